package bench

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lowrank-rnn/lowrank/kernels"
)

// TestTuneRules checks how measurements become rules: per working set the
// geometry with the best geometric mean, a new rule only where it beats
// the previous size's choice by more than the margin, the last rule
// without a limit.
func TestTuneRules(t *testing.T) {
	a, b, c := kernels.Geometries()[0], kernels.Geometries()[2], kernels.Geometries()[4]
	cands := []kernels.Geometry{a, b, c}
	res := func(n int, ratios ...float64) TuneResult {
		return TuneResult{Shape: TuneShape{kernels.RoleDense, n, 0}, Candidates: cands, Ratio: ratios}
	}
	results := []TuneResult{
		res(64, 1, 0.9, 1.2),   // b
		res(128, 1, 0.9, 0.89), // c by 1%: stays b
		res(256, 1, 1.0, 0.8),  // c by 25%: a new rule
		res(512, 1, 1.0, math.Inf(1)),
		{Shape: TuneShape{kernels.RoleU, 64, 8}, Candidates: cands, Ratio: []float64{1, 2, 3}},
	}
	got := tuneRules(kernels.RoleDense, results, 0.03)
	want := []kernels.GeometryRule{
		{Role: kernels.RoleDense, MaxBytes: 4 * 128 * 128, Geometry: b},
		{Role: kernels.RoleDense, MaxBytes: 4 * 256 * 256, Geometry: c},
		{Role: kernels.RoleDense, Geometry: a},
	}
	if !slices.Equal(got, want) {
		t.Errorf("tuneRules(dense) =\n%v\nwant\n%v", got, want)
	}
	if got := tuneRules(kernels.RoleU, results, 0.03); !slices.Equal(got, []kernels.GeometryRule{{Role: kernels.RoleU, Geometry: a}}) {
		t.Errorf("tuneRules(U) = %v, want the default only", got)
	}
	if got := tuneRules(kernels.RoleV, results, 0.03); got != nil {
		t.Errorf("tuneRules(V) with no V results = %v, want none", got)
	}
}

// TestTune runs the whole measurement on two small shapes, briefly.
func TestTune(t *testing.T) {
	shapes := []TuneShape{{kernels.RoleDense, 48, 0}, {kernels.RoleU, 40, 8}, {kernels.RoleV, 40, 8}}
	e, results, err := Tune(TuneConfig{Shapes: shapes, Rounds: 3, Block: 20 * time.Microsecond, Name: "test CPU"})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(shapes) {
		t.Fatalf("%d results for %d shapes", len(results), len(shapes))
	}
	for _, r := range results {
		if r.Candidates[0] != kernels.DefaultGeometry || r.Ratio[0] != 1 {
			t.Errorf("%v: first candidate %v with ratio %g, want the default with 1", r.Shape, r.Candidates[0], r.Ratio[0])
		}
		if math.IsInf(r.Ratio[r.Best], 0) || !(r.Median[r.Best] > 0) {
			t.Errorf("%v: best %v has ratio %g, time %g", r.Shape, r.Candidates[r.Best], r.Ratio[r.Best], r.Median[r.Best])
		}
		for i, g := range r.Candidates {
			// These shapes fit L2: no prefetching candidate is measured;
			// the tiles are measured for V only.
			measured := !math.IsInf(r.Ratio[i], 1)
			if g.Prefetch > 0 && measured {
				t.Errorf("%v: prefetching %v measured within L2", r.Shape, g)
			}
			if g.Tiles && measured != (r.Shape.Role == kernels.RoleV) {
				t.Errorf("%v: tiles measured %v", r.Shape, measured)
			}
		}
	}
	if e.Name != "test CPU" || len(e.Rules) != 3 || e.Validate() != nil {
		t.Errorf("entry %#v: want three rules, one per role, valid", e)
	}
	var b strings.Builder
	if err := WriteTuneResults(&b, results); err != nil || strings.Count(b.String(), "\n") != 1+len(shapes) {
		t.Errorf("WriteTuneResults: %v\n%s", err, b.String())
	}
	if _, _, err := Tune(TuneConfig{Shapes: []TuneShape{{kernels.RoleU, 8, 16}}}); err == nil {
		t.Error("Tune of a factor with rank > n: no error")
	}
}
