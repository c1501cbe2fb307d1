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
// candidates within the margin of the best geometric mean are tied; each
// rule covers the longest run of sizes one candidate is tied at, and takes
// the candidate least behind over the run; the last rule has no limit.
func TestTuneRules(t *testing.T) {
	a, b, c := kernels.Geometries()[0], kernels.Geometries()[2], kernels.Geometries()[4]
	cands := []kernels.Geometry{a, b, c}
	res := func(n int, ratios ...float64) TuneResult {
		return TuneResult{Shape: TuneShape{kernels.RoleDense, n, 0}, Candidates: cands, Ratio: ratios}
	}
	results := []TuneResult{
		res(64, 1, 0.9, 1.2),   // b only
		res(128, 1, 0.9, 0.89), // c by 1%: b and c tied, stays b
		res(256, 1, 1.0, 0.8),  // c by 25%: a new rule
		res(512, 1, 1.0, math.Inf(1)),
		{Shape: TuneShape{kernels.RoleU, 64, 8}, Candidates: cands, Ratio: []float64{1, 2, 3}},
	}
	got, why := tuneRules(kernels.RoleDense, results, 0.03, nil)
	want := []kernels.GeometryRule{
		{Role: kernels.RoleDense, MaxBytes: 4 * 128 * 128, Geometry: b},
		{Role: kernels.RoleDense, MaxBytes: 4 * 256 * 256, Geometry: c},
		{Role: kernels.RoleDense, Geometry: a}, // a and b tie: the earlier
	}
	if !slices.Equal(got, want) || why != "new rules" {
		t.Errorf("tuneRules(dense) =\n%v (%q)\nwant\n%v", got, why, want)
	}
	if got, _ := tuneRules(kernels.RoleU, results, 0.03, nil); !slices.Equal(got, []kernels.GeometryRule{{Role: kernels.RoleU, Geometry: a}}) {
		t.Errorf("tuneRules(U) = %v, want the default only", got)
	}
	if got, why := tuneRules(kernels.RoleV, results, 0.03, nil); got != nil || why != "" {
		t.Errorf("tuneRules(V) with no V results = %v (%q), want none", got, why)
	}

	// Ties: the fastest of one size is not chosen where another
	// geometry, tied there, covers the next size as well.
	ties := []TuneResult{
		res(64, 1, 1.01, 0.99), // all three tied; c fastest
		res(128, 1, 0.8, 1.2),  // b only
		res(256, 1, 0.81, 0.8), // b and c tied
	}
	got, _ = tuneRules(kernels.RoleDense, ties, 0.03, nil)
	if want := []kernels.GeometryRule{{Role: kernels.RoleDense, Geometry: b}}; !slices.Equal(got, want) {
		t.Errorf("tuneRules(ties) = %v, want the one rule %v: b is tied at every size", got, want)
	}

	// A kept entry whose geometry is tied at every size keeps its rules,
	// limits and all; one beaten beyond the margin somewhere does not.
	keep := kernels.CPUGeometry{Name: "kept", Rules: []kernels.GeometryRule{
		{Role: kernels.RoleDense, MaxBytes: 4 * 200 * 200, Geometry: b},
		{Role: kernels.RoleDense, Geometry: c},
		{Role: kernels.RoleU, Geometry: b},
	}}
	tiedKeep := []TuneResult{res(64, 1, 0.9, 0.88), res(128, 1, 0.8, 0.79), res(256, 1, 1.02, 1)}
	got, why = tuneRules(kernels.RoleDense, tiedKeep, 0.03, &keep)
	if want := keep.Rules[:2]; !slices.Equal(got, want) || !strings.HasPrefix(why, "kept the rules of kept") {
		t.Errorf("tuneRules(kept, tied) = %v (%q), want the kept rules %v", got, why, want)
	}
	got, why = tuneRules(kernels.RoleDense, results, 0.03, &keep)
	if !slices.Equal(got, want) || !strings.Contains(why, "kept's rows=64 streams=1 accs=8 prefetch=0 is not measured at 1 MiB") {
		t.Errorf("tuneRules(kept, beaten) = %v (%q), want fresh rules %v and why", got, why, want)
	}
	if got, why := tuneRules(kernels.RoleU, results, 0.03, &keep); !slices.Equal(got, []kernels.GeometryRule{{Role: kernels.RoleU, Geometry: a}}) ||
		why != "new rules: kept's rows=32 streams=1 accs=8 prefetch=0 is 100.0% slower than the fastest at 4 KiB, beyond the 3% margin" {
		t.Errorf("tuneRules(U, kept beaten) = %v (%q)", got, why)
	}
	// A kept entry without rules for the role does not count.
	if got, why := tuneRules(kernels.RoleV, []TuneResult{{Shape: TuneShape{kernels.RoleV, 64, 8}, Candidates: cands, Ratio: []float64{1, 0.5, 1}}}, 0.03, &keep); !slices.Equal(got, []kernels.GeometryRule{{Role: kernels.RoleV, Geometry: b}}) || why != "new rules" {
		t.Errorf("tuneRules(V, kept without V rules) = %v (%q)", got, why)
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
		if !(r.Low[r.Best] <= r.Ratio[r.Best] && r.Ratio[r.Best] <= r.High[r.Best]) {
			t.Errorf("%v: the median ratio %g outside its interval [%g, %g]", r.Shape, r.Ratio[r.Best], r.Low[r.Best], r.High[r.Best])
		}
		// The roof is paired with a read probe where the probes are built.
		if _, _, probes := widestProbe(); probes != (r.Roof > 0) {
			t.Errorf("%v: roof %g with probes %v", r.Shape, r.Roof, probes)
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
