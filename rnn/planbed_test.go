package rnn

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// planTestbed returns the testbed of a small untrained recall MGRU whose
// recurrent matrices have decaying singular values.
func planTestbed(t *testing.T) *Testbed {
	t.Helper()
	rec := task.Recall{Rho: 0.5, K: 3, T: 30}
	m, _ := New(ConfigFor(rec.Spec(), MGRU, 16), 4)
	for g := 0; g < 2; g++ {
		for i := 0; i < 16; i++ {
			for j := 0; j < 16; j++ {
				m.U[g].Set(i, j, m.U[g].At(i, j)*float32(0.9*math.Pow(0.8, float64(j))))
			}
		}
	}
	path := filepath.Join(t.TempDir(), "recall.safetensors")
	if err := m.Save(path, map[string]string{"task": rec.Spec().Name, "rho": "0.5", "T": "30", "data_seed": "1"}); err != nil {
		t.Fatal(err)
	}
	tb, err := LoadTestbed(path, 64, "")
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// TestTestbedPlan plans a testbed's model from its held-out inputs:
// the result is the model compressed as planned and assessed like any
// compression; a curve of targets evaluates each configuration it plans.
func TestTestbedPlan(t *testing.T) {
	tb := planTestbed(t)
	cfg := PlanConfig{MomentFrames: 600, ProbeFrames: 600, CheckFrames: 1200}
	r, err := tb.PlanCompression(cfg, Target{MaxError: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v; measured state error %.4g", r.Plan, r.Damage.RelErr)
	if r.Plan.Dense || r.Compressed == nil || r.Compressed.Ranks != r.Plan.Ranks || r.Damage.Params != r.Plan.Params {
		t.Fatalf("plan %v, compressed %+v, damage %+v", r.Plan, r.Compressed, r.Damage)
	}
	if d, err := tb.Assess(r.Compressed); err != nil || d != r.Damage {
		t.Errorf("Assess gives %+v (%v), the plan's %+v", d, err, r.Damage)
	}
	r, err = tb.PlanCompression(cfg, Target{MaxError: 1e-9})
	if err != nil || !r.Plan.Dense || r.Compressed != nil || r.Damage.Rank != Full || r.Damage.MetricRel != 1 {
		t.Errorf("an unreachable error: %+v (%v)", r, err)
	}

	p, err := tb.Planner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	targets := []Target{{MaxError: 0.3}, {MaxError: 0.05}, {MaxError: 0.3}, {MaxError: 1e-9}, {MaxError: 0.05, Greedy: true}}
	curve, err := tb.PlanCurve(p, targets)
	if err != nil {
		t.Fatal(err)
	}
	for i, pt := range curve {
		want := tb.Base
		if !pt.Plan.Dense {
			spec, _ := pt.Plan.Spec()
			c, err := Compress(tb.Model, spec)
			if err != nil {
				t.Fatal(err)
			}
			d, err := tb.Assess(c) // on the low-rank kernels, as deployed
			if err != nil {
				t.Fatal(err)
			}
			want = d.Metric
		}
		if pt.Target != targets[i] || pt.Metric != want || pt.MetricRel != relative(want, tb.Base) {
			t.Errorf("point %d: %+v, metric %v; want target %+v, metric %v", i, pt, pt.Metric, targets[i], want)
		}
	}
	if curve[0].Plan.Params != curve[2].Plan.Params || !curve[3].Plan.Dense || curve[4].Plan.Joint {
		t.Errorf("curve %v %v %v %v", curve[0].Plan, curve[2].Plan, curve[3].Plan, curve[4].Plan)
	}
}

// TestParseBudget reads bytes, percentages of the dense weights and times
// a step, each within Bounds, and refuses anything else.
func TestParseBudget(t *testing.T) {
	m := perturbModel(t, MGRU, 16, 1.0, 1) // 2·16² weights: 2048 bytes
	for _, c := range []struct {
		in   string
		want Target
	}{
		{"1000", Target{Budget: 1000, Cost: Bytes}},
		{" 25% ", Target{Budget: 512, Cost: Bytes}},
		{"12.5%", Target{Budget: 256, Cost: Bytes}},
		{"0.5us", Target{Budget: 5e-7, Cost: StepTime}},
		{"800ns", Target{Budget: 8e-7, Cost: StepTime}},
		{"2µs", Target{Budget: 2e-6, Cost: StepTime}},
	} {
		got, err := ParseBudget(c.in, m)
		if err != nil || got.Cost != c.want.Cost || math.Abs(got.Budget-c.want.Budget) > 1e-15 {
			t.Errorf("ParseBudget(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"", "want bytes"}, {"-3", "out of range"}, {"0", "out of range"}, {"1e3", "want bytes"},
		{"0%", "out of range"}, {"150%", "out of range"}, {"x%", "invalid syntax"},
		{"0us", "out of range"}, {"2s", "out of range"}, {"5 parsecs", "a time is written"},
	} {
		if got, err := ParseBudget(c.in, m); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseBudget(%q) = %+v, %v; want an error with %q", c.in, got, err, c.want)
		}
	}
}
