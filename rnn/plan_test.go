package rnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// newTestPlanner returns a planner of m whose moment phase is fed calib and
// whose probe phase is fed probe (then stopped, or continued into the
// check phase with check).
func newTestPlanner(t *testing.T, m *Model, cfg PlanConfig, calib, probe, check *task.Batch) *Planner {
	t.Helper()
	cfg.MomentFrames, cfg.ProbeFrames = calib.T*calib.B, probe.T*probe.B
	if check == nil {
		cfg.NoCheck = true
	} else {
		cfg.CheckFrames = 2 * check.T * check.B // both rounds see the batch
	}
	p, err := NewPlanner(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []*task.Batch{calib, probe, check, check} {
		if b == nil {
			break
		}
		if err := p.StepBatch(b); err != nil {
			t.Fatal(err)
		}
	}
	if !p.Done() {
		ph, f, need := p.Progress()
		t.Fatalf("planner not done: %s, %d of %d frames", ph, f, need)
	}
	return p
}

func (c config) String() string {
	switch {
	case c.dense:
		return "dense"
	case c.joint:
		return fmt.Sprintf("joint %d", c.ranks[0])
	}
	return fmt.Sprint(c.ranks)
}

// predicted returns Predict's state and output error energies (relative
// squared errors) of compressing m as c, on b.
func predicted(t *testing.T, m *Model, cal *Calibration, method Method, c config, b *task.Batch) (state, out float64) {
	t.Helper()
	cp, err := Compress(m, CompressSpec{Ranks: c.ranks, Joint: c.joint, Method: method, Calibration: cal})
	if err != nil {
		t.Fatal(err)
	}
	du, err := DeltaU(m, cp.Model)
	if err != nil {
		t.Fatal(err)
	}
	curve, err := Predict(m, du, b)
	if err != nil {
		t.Fatal(err)
	}
	return math.Pow(curve.RelErr(), 2), math.Pow(curve.OutRelErr(), 2)
}

// TestPlanFirstOrderIsPredict checks the probe against Predict: fed the
// sequences Predict runs, the planner's first-order damage of any
// configuration is Predict's for the compression Compress makes with the
// planner's moments, up to float32 rounding (the planner runs on the
// kernels, Predict in float64). With n = 16 every rank is a block boundary,
// so every configuration is exact; with n = 40 the ranks inside a block are
// interpolated, and only logged.
func TestPlanFirstOrderIsPredict(t *testing.T) {
	for _, cell := range []Cell{RNN, MGRU} {
		for _, method := range []Method{Whitened, SVD} {
			for _, n := range []int{16, 40} {
				m := perturbModel(t, cell, n, 1.0, 11)
				calib, probe := perturbBatch(m.Config, 30, 12, 12), perturbBatch(m.Config, 40, 6, 13)
				var fo [2]*firstOrder
				for i, measure := range []DamageMeasure{StateError, OutputError} {
					p := newTestPlanner(t, m, PlanConfig{Method: method, Measure: measure}, calib, probe, nil)
					fo[i] = p.fo
				}
				p := newTestPlanner(t, m, PlanConfig{Method: method}, calib, probe, nil)
				cal := p.Calibration()
				cfgs := []config{{ranks: [2]int{1, 0}}, {ranks: [2]int{5, 0}}, {ranks: [2]int{n - 1, 0}}, {ranks: [2]int{n / 2, 0}}, {ranks: [2]int{n/2 + 1, 0}}}
				if cell == MGRU {
					cfgs = []config{{ranks: [2]int{3, 11}}, {ranks: [2]int{n - 1, 2}}, {ranks: [2]int{9, 9}}, {ranks: [2]int{n/2 + 1, 5}},
						{joint: true, ranks: [2]int{6, 6}}, {joint: true, ranks: [2]int{n - 1, n - 1}}, {joint: true, ranks: [2]int{n/2 + 1, n/2 + 1}}}
				}
				for _, c := range cfgs {
					state, out := predicted(t, m, cal, method, c, probe)
					got := [2]float64{fo[0].energy(c), fo[1].energy(c)}
					exact := true
					for _, tr := range fo[0].ts {
						if tr.joint != c.joint {
							continue
						}
						r := c.ranks[tr.gate]
						if j, w := tr.position(r); j < tr.blocks() && w != 1 {
							exact = false
						}
					}
					rs, ro := got[0]/state, got[1]/out
					t.Logf("%s %s n=%d %v: state %.5g predicted %.5g (ratio %.6f), output %.5g predicted %.5g (%.6f) exact %v",
						cell, method, n, c, got[0], state, rs, got[1], out, ro, exact)
					if exact && (math.Abs(rs-1) > 1e-3 || math.Abs(ro-1) > 1e-3) {
						t.Errorf("%s %s n=%d %v: first-order damage %.6g (state), %.6g (output); Predict %.6g, %.6g",
							cell, method, n, c, got[0], got[1], state, out)
					}
				}
			}
		}
	}
}

// TestPlanChecksAreMeasure checks the check phase against Measure: each
// checked truncation, run on the low-rank kernels beside the dense model,
// measures the state and output errors Measure finds in float64 for the
// model Compress makes, on the same sequences.
func TestPlanChecksAreMeasure(t *testing.T) {
	for _, cell := range []Cell{RNN, MGRU} {
		m := perturbModel(t, cell, 24, 1.0, 21)
		calib, probe, check := perturbBatch(m.Config, 30, 12, 22), perturbBatch(m.Config, 40, 6, 23), perturbBatch(m.Config, 40, 8, 24)
		p := newTestPlanner(t, m, PlanConfig{Checks: 6}, calib, probe, check)
		checks := p.Checks()
		joint := 0
		for _, c := range checks {
			if c.Joint {
				joint++
			}
		}
		// Six spread along the frontiers (two of them joint), then up to
		// three to refine.
		if len(checks) < 6 || len(checks) > 9 || cell == MGRU && joint < 2 || cell == RNN && joint > 0 {
			t.Fatalf("%s: %d checks, %d joint; want 6 to 9, at least 2 joint for the MGRU", cell, len(checks), joint)
		}
		for i, c := range checks {
			if i > 0 && i < 6 && c.Joint == checks[i-1].Joint && c.Params <= checks[i-1].Params {
				t.Errorf("%s: first-round checks of a family not in increasing size: %+v after %+v", cell, c, checks[i-1])
			}
			cp, err := Compress(m, CompressSpec{Ranks: c.Ranks, Joint: c.Joint, Method: Whitened, Calibration: p.Calibration()})
			if err != nil {
				t.Fatal(err)
			}
			meas, err := Measure(m, cp.Model, check)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s %+v: measured state %.5g, output %.5g", cell, c, meas.RelErr(), meas.OutRelErr())
			if math.Abs(c.State/meas.RelErr()-1) > 1e-3 || math.Abs(c.Output/meas.OutRelErr()-1) > 1e-3 {
				t.Errorf("%s %+v: Measure finds state %.6g, output %.6g", cell, c, meas.RelErr(), meas.OutRelErr())
			}
		}
	}
}

// TestPlanTargets checks Plan against a brute-force search over every
// configuration: with a maximum error, no cheaper configuration meets it;
// with a budget, none within it has less damage.
func TestPlanTargets(t *testing.T) {
	for _, cell := range []Cell{RNN, MGRU} {
		m := perturbModel(t, cell, 24, 1.0, 31)
		calib, probe, check := perturbBatch(m.Config, 30, 12, 32), perturbBatch(m.Config, 40, 6, 33), perturbBatch(m.Config, 40, 8, 34)
		p := newTestPlanner(t, m, PlanConfig{}, calib, probe, check)
		type scored struct {
			c         config
			cost, err float64
			first     float64
		}
		all := func(kind Cost) []scored {
			var out []scored
			cost := p.cost(kind, nil)
			for _, joint := range []bool{false, cell == MGRU} {
				configs(cell, 24, joint, cost, func(c config) {
					out = append(out, scored{c, cost(c), math.Sqrt(p.corrected(c)), math.Sqrt(p.fo.energy(c))})
				})
			}
			return out
		}
		for _, kind := range []Cost{Bytes, MulAdds} {
			cs := all(kind)
			dense := p.cost(kind, nil)(config{dense: true})
			for _, maxErr := range []float64{0.3, 0.1, 0.03, 0.01, 1e-9} {
				pl, err := p.Plan(Target{MaxError: maxErr, Cost: kind})
				if err != nil {
					t.Fatal(err)
				}
				k := p.cost(kind, nil)(config{dense: pl.Dense, joint: pl.Joint, ranks: pl.Ranks})
				t.Logf("%s %s ≤ %g: %v", cell, kind, maxErr, pl)
				if !pl.Dense && pl.Error > maxErr {
					t.Errorf("%s: plan %v exceeds the maximum error %g", cell, pl, maxErr)
				}
				for _, s := range cs {
					if s.err <= maxErr && s.cost < k {
						t.Errorf("%s %s ≤ %g: plan %v (cost %g), but %v costs %g with error %.4g", cell, kind, maxErr, pl, k, s.c, s.cost, s.err)
						break
					}
				}
			}
			for _, frac := range []float64{0.05, 0.2, 0.45, 0.99} {
				budget := frac * dense
				cheapest := math.Inf(1)
				for _, s := range cs {
					cheapest = min(cheapest, s.cost)
				}
				pl, err := p.Plan(Target{Budget: budget, Cost: kind})
				if budget < cheapest {
					if err == nil {
						t.Errorf("%s: a budget of %g below the cheapest truncation's %g plans %v", cell, budget, cheapest, pl)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				k := p.cost(kind, nil)(config{joint: pl.Joint, ranks: pl.Ranks})
				if pl.Dense || k > budget {
					t.Errorf("%s: plan %v costs %g, over the budget %g", cell, pl, k, budget)
				}
				for _, s := range cs {
					if s.cost <= budget && s.err < pl.Error-1e-12 {
						t.Errorf("%s %s ≤ %g: plan %v, but %v costs %g with error %.4g", cell, kind, budget, pl, s.c, s.cost, s.err)
						break
					}
				}
			}
			if pl, err := p.Plan(Target{Budget: dense, Cost: kind}); err != nil || !pl.Dense || pl.Error != 0 {
				t.Errorf("%s: a budget of the dense cost plans %v, %v; want the dense model", cell, pl, err)
			}
		}
		if pl, err := p.Plan(Target{MaxError: 1e-12}); err != nil || !pl.Dense {
			t.Errorf("%s: an unreachable maximum error plans %v, %v; want the dense model", cell, pl, err)
		} else if _, err := pl.Spec(); err == nil {
			t.Errorf("%s: a dense plan has a CompressSpec", cell)
		}
	}
}

// objectiveModel returns perturbModel's model with objective o (4 classes
// for classification, no burn-in at the last step).
func objectiveModel(t *testing.T, cell Cell, o Objective, seed uint64) *Model {
	t.Helper()
	m := perturbModel(t, cell, 16, 1.0, seed)
	m.Objective = o
	if o != Regression {
		m.Out = 4
		m.R = glorot(rand.New(rand.NewPCG(seed, 1)), 4, 16)
		m.C = make([]float32, 4)
	}
	if o == ClassifyLast {
		m.Burn = 0
	}
	return m
}

// unlabeled returns B sequences of T Gaussian frames for m, with no
// targets and no labels at all: task.Batch.Check refuses it.
func unlabeled(m *Model, T, B int, seed uint64) *task.Batch {
	b := perturbBatch(m.Config, T, B, seed)
	b.Kind, b.Out, b.Y = task.Kind(m.Objective), m.Out, nil
	return b
}

// TestPlanReadsNoLabels proves that planning reads no label. Its input is
// frames alone (Step takes a []float32); StepBatch plans from batches that
// have no targets and no labels at all, for a model of each objective; and
// batches with true-looking labels, or scrambled ones, plan the very same
// plans and checks, number for number.
func TestPlanReadsNoLabels(t *testing.T) {
	for _, o := range []Objective{Regression, ClassifyLast, ClassifyEach} {
		for _, cell := range []Cell{RNN, MGRU} {
			m := objectiveModel(t, cell, o, 41)
			var runs []string
			for variant := range 3 {
				batches := []*task.Batch{unlabeled(m, 30, 8, 42), unlabeled(m, 30, 4, 43), unlabeled(m, 30, 6, 44)}
				if variant == 0 {
					if err := batches[0].Check(); err == nil {
						t.Fatalf("%s %s: a batch without labels passes Check", o, cell)
					}
				}
				rng := rand.New(rand.NewPCG(uint64(variant), 45))
				for _, b := range batches {
					switch {
					case variant == 0:
					case o == Regression:
						b.Y = make([]float32, b.T*b.B*b.Out)
						for i := range b.Y {
							b.Y[i] = float32(rng.NormFloat64())
						}
					default:
						k := b.B
						if o == ClassifyEach {
							k *= b.T
						}
						b.Labels = make([]int32, k)
						for i := range b.Labels {
							b.Labels[i] = int32(rng.IntN(b.Out))
						}
					}
					if variant > 0 {
						if err := b.Check(); err != nil {
							t.Fatal(err)
						}
					}
				}
				p := newTestPlanner(t, m, PlanConfig{Measure: MetricLoss, Checks: 4}, batches[0], batches[1], batches[2])
				s := fmt.Sprintf("%+v", p.Checks())
				for _, target := range []Target{{MaxError: 0.01}, {MaxError: 0.2}, {Budget: 1000}} {
					pl, err := p.Plan(target)
					if err != nil {
						t.Fatal(err)
					}
					pl.Calibration = nil // a pointer: compared by its moments below
					s += fmt.Sprintf("%+v", *pl)
				}
				s += fmt.Sprint(p.Calibration().C[0].RawSymmetric().Data)
				runs = append(runs, s)
			}
			if runs[1] != runs[0] || runs[2] != runs[0] {
				t.Errorf("%s %s: plans differ with labels:\nnone:      %s\nlabels:    %s\nscrambled: %s", o, cell, runs[0], runs[1], runs[2])
			}
		}
	}
}

// TestPlanErrors checks that bad configurations, targets and input are
// errors that say what is wrong, and that Plan waits for its frames.
func TestPlanErrors(t *testing.T) {
	m := perturbModel(t, MGRU, 16, 1.0, 51)
	for _, cfg := range []PlanConfig{{MomentFrames: -1}, {Checks: -2}, {Method: "pca"}, {Measure: "joy"}} {
		if _, err := NewPlanner(m, cfg); err == nil {
			t.Errorf("NewPlanner accepted %+v", cfg)
		}
	}
	bad := m.Clone()
	bad.U[1].Data[3] = float32(math.NaN())
	if _, err := NewPlanner(bad, PlanConfig{}); err == nil {
		t.Error("NewPlanner accepted a NaN weight")
	}
	p, err := NewPlanner(m, PlanConfig{MomentFrames: 60, ProbeFrames: 60, CheckFrames: 60})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Plan(Target{MaxError: 0.1}); err == nil || !strings.Contains(err.Error(), "moments phase") {
		t.Errorf("Plan before any frame: %v", err)
	}
	if err := p.StepBatch(&task.Batch{T: 2, B: 1, In: 3, X: make([]float32, 6)}); err == nil {
		t.Error("StepBatch accepted frames of 3 inputs for a model of 4")
	}
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "len(x) = 3, want 4") {
				t.Errorf("Step of a frame of 3 inputs: %v", r)
			}
		}()
		p.Step(make([]float32, 3))
	}()
	for p.Progress(); !p.Done(); {
		if err := p.StepBatch(perturbBatch(m.Config, 30, 1, 52)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tg := range []Target{{}, {MaxError: 0.1, Budget: 100}, {MaxError: -1}, {MaxError: math.NaN()},
		{Budget: math.Inf(1)}, {Budget: 100, Cost: "joules"}, {Budget: 1e-6, Cost: StepTime},
		{Budget: 1e-6, Cost: StepTime, Timing: &StepTiming{Cell: MGRU, Hidden: 8}}} {
		if _, err := p.Plan(tg); err == nil {
			t.Errorf("Plan accepted %+v", tg)
		}
	}
	if _, err := p.Plan(Target{Budget: 10}); err == nil || !strings.Contains(err.Error(), "below the cheapest") {
		t.Errorf("a budget below rank 1: %v", err)
	}

	// Nothing scored: a ClassifyLast model fed an endless stream (never
	// Reset), a Regression model fed sequences within its burn-in.
	last := objectiveModel(t, RNN, ClassifyLast, 53)
	p, _ = NewPlanner(last, PlanConfig{MomentFrames: 40, ProbeFrames: 40, CheckFrames: 40})
	for !p.Done() {
		p.Step(make([]float32, last.In))
	}
	if _, err := p.Plan(Target{MaxError: 0.1}); err == nil || !strings.Contains(err.Error(), "Reset") {
		t.Errorf("ClassifyLast without Reset: %v", err)
	}
	p, _ = NewPlanner(m, PlanConfig{MomentFrames: 40, ProbeFrames: 40, CheckFrames: 40})
	for !p.Done() {
		p.StepBatch(perturbBatch(m.Config, 10, 2, 54)) // Burn is 10: nothing scored
	}
	if _, err := p.Plan(Target{MaxError: 0.1}); err == nil || !strings.Contains(err.Error(), "burn-in") {
		t.Errorf("sequences within the burn-in: %v", err)
	}
}

// TestPlanEndlessStream feeds frames without any Reset, as a device does
// that never restarts: each phase ends at its count exactly, and the next
// starts from the state the stream is in.
func TestPlanEndlessStream(t *testing.T) {
	for _, cell := range []Cell{RNN, MGRU} {
		m := perturbModel(t, cell, 16, 1.0, 61)
		p, err := NewPlanner(m, PlanConfig{MomentFrames: 300, ProbeFrames: 200, CheckFrames: 400})
		if err != nil {
			t.Fatal(err)
		}
		b := perturbBatch(m.Config, 1000, 1, 62)
		want := []string{"moments", "probe", "check", "refine", "done"}
		at := []int{0, 300, 500, 700, 900}
		for f := 0; f < 1000; f++ {
			for i, a := range at {
				if ph, _, _ := p.Progress(); f == a && ph != want[i] {
					t.Fatalf("%s: frame %d in phase %s, want %s", cell, f, ph, want[i])
				}
			}
			p.Step(b.X[f*m.In : (f+1)*m.In])
		}
		if pl, err := p.Plan(Target{MaxError: 0.05}); err != nil || pl.Dense && pl.Error != 0 {
			t.Errorf("%s: %v, %v", cell, pl, err)
		}
		if p.pr != nil || p.ck != nil {
			t.Errorf("%s: the probe or the checks are kept after the plan", cell)
		}
	}
}

// TestPlanStepAllocates checks that a frame costs no allocation in any
// phase.
func TestPlanStepAllocates(t *testing.T) {
	for _, o := range []Objective{Regression, ClassifyEach} {
		m := objectiveModel(t, MGRU, o, 71)
		p, err := NewPlanner(m, PlanConfig{MomentFrames: 500, ProbeFrames: 500, CheckFrames: 1000, Measure: MetricLoss})
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, m.In)
		for i := range x {
			x[i] = float32(i) / 3
		}
		for _, phase := range []string{"moments", "probe", "check", "refine"} {
			for ph, _, _ := p.Progress(); ph != phase; ph, _, _ = p.Progress() {
				p.Step(x)
			}
			if a := testing.AllocsPerRun(200, func() { p.Step(x) }); a != 0 {
				t.Errorf("%s: Step allocates %.1f times in the %s phase", o, a, phase)
			}
		}
	}
}

// TestCorrection checks the map from first-order to measured damage: a
// non-decreasing fit through the checks, log-linear between them,
// proportional beyond, zero measurements left out, and the identity
// without checks.
func TestCorrection(t *testing.T) {
	if c := newCorrection(nil, nil); c.at(0.3) != 0.3 {
		t.Errorf("no checks: %v", c.at(0.3))
	}
	// The second and third points violate monotonicity and are pooled;
	// the zero is left out.
	c := newCorrection([]float64{1, 4, 2, 8, 0.5}, []float64{0.1, 0.2, 0.3, 0.8, 0})
	if len(c.x) != 3 || c.x[1] != 3 || math.Abs(c.y[1]-0.25) > 1e-15 {
		t.Fatalf("fit %v %v, want the pooled point (3, 0.25)", c.x, c.y)
	}
	for _, tc := range []struct{ e, want float64 }{
		{1, 0.1}, {3, 0.25}, {8, 0.8}, {0.5, 0.05}, {16, 1.6},
		{math.Sqrt(3), math.Sqrt(0.1 * 0.25)}, // log-linear: the geometric mean between 1 and 3
	} {
		if got := c.at(tc.e); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("at(%g) = %g, want %g", tc.e, got, tc.want)
		}
	}
	prev := 0.0
	for e := 0.01; e < 100; e *= 1.1 {
		if v := c.at(e); v < prev {
			t.Errorf("at(%g) = %g after %g: decreasing", e, v, prev)
		} else {
			prev = v
		}
	}
}

// TestBlockBounds checks the block grid: every rank up to 16, then steps
// of at most an eighth of the rank, from 0 to n.
func TestBlockBounds(t *testing.T) {
	for _, n := range []int{1, 2, 16, 17, 40, 128, 1024, 4096} {
		b := blockBounds(n)
		if b[0] != 0 || b[len(b)-1] != n {
			t.Fatalf("n=%d: bounds %v", n, b)
		}
		for i := 1; i < len(b); i++ {
			if step := b[i] - b[i-1]; step < 1 || step > max(1, b[i-1]/8) {
				t.Errorf("n=%d: step %d after %d", n, step, b[i-1])
			}
		}
		if want := map[int]int{128: 35, 1024: 53}[n]; want > 0 && len(b)-1 != want {
			t.Errorf("n=%d: %d blocks, want %d", n, len(b)-1, want)
		}
	}
}

// TestStepTiming checks the step-time model's shape (not its times: a test
// asserts nothing about speed, and on a shared machine the measured times
// may even make the dense step the fastest), and plans within a time
// budget by a model given in numbers.
func TestStepTiming(t *testing.T) {
	m := perturbModel(t, MGRU, 32, 1.0, 81)
	measured, err := MeasureStepTiming(m)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", measured)
	if measured.Cell != MGRU || measured.Hidden != 32 || fmt.Sprint(measured.Ranks) != "[1 2 4 8 16]" ||
		len(measured.Measured) != len(measured.Ranks) || !(measured.Dense > 0) || !(measured.PerMulAddNs >= 0) ||
		measured.LowRank(100) > measured.LowRank(200) {
		t.Fatalf("timing %+v", measured)
	}
	st := &StepTiming{Cell: MGRU, Hidden: 32, Dense: 900 * time.Nanosecond, BaseNs: 150, PerMulAddNs: 0.25}
	calib, probe, check := perturbBatch(m.Config, 30, 12, 82), perturbBatch(m.Config, 40, 6, 83), perturbBatch(m.Config, 40, 8, 84)
	p := newTestPlanner(t, m, PlanConfig{}, calib, probe, check)
	budget := 400e-9 // room for 1000 multiply-adds
	pl, err := p.Plan(Target{Budget: budget, Cost: StepTime, Timing: st})
	if err != nil {
		t.Fatal(err)
	}
	if pl.Dense || pl.StepTime.Seconds() > budget || pl.StepTime != st.LowRank(pl.MulAdds) || pl.MulAdds > 1000 {
		t.Errorf("time budget %v: plan %v", budget, pl)
	}
	if q, err := p.Plan(Target{Budget: 1000, Cost: MulAdds}); err != nil || q.Ranks != pl.Ranks || q.Joint != pl.Joint {
		t.Errorf("400 ns plan %v, 1000 multiply-adds plan %v (%v)", pl, q, err)
	}
	if q, err := p.Plan(Target{Budget: 1e-6, Cost: StepTime, Timing: st}); err != nil || !q.Dense || q.StepTime != st.Dense {
		t.Errorf("a budget above the dense step's time plans %v (%v)", q, err)
	}
	// No configuration the model times within the budget has less damage.
	cost := p.cost(StepTime, st)
	for _, joint := range []bool{false, true} {
		configs(MGRU, 32, joint, cost, func(c config) {
			if cost(c) <= budget && p.corrected(c) < p.cfg.Measure.toEnergy(pl.Error)*(1-1e-12) {
				t.Errorf("time budget %v: plan %v, but %v takes %v with error %.4g", budget, pl, c, cost(c), math.Sqrt(p.corrected(c)))
			}
		})
	}
}

// TestPlanBeatsGreedy compares the exhaustive search with the baseline
// greedy allocation at equal budgets: by its own damage model the search
// is never worse, and the log shows what the two cost when measured.
func TestPlanBeatsGreedy(t *testing.T) {
	for seed := uint64(91); seed < 94; seed++ {
		m := perturbModel(t, MGRU, 24, 1.0, seed)
		// Make the gate's errors compound more than the candidate's, which
		// the greedy allocation cannot see.
		for i := range m.U[0].Data {
			m.U[0].Data[i] *= 2
		}
		calib, probe, check := perturbBatch(m.Config, 30, 12, seed+1), perturbBatch(m.Config, 40, 6, seed+2), perturbBatch(m.Config, 40, 8, seed+3)
		exact := newTestPlanner(t, m, PlanConfig{NoJoint: true}, calib, probe, check)
		greedy := exact
		for _, budget := range []float64{600, 1200, 2400} {
			pe, err := exact.Plan(Target{Budget: budget})
			if err != nil {
				t.Fatal(err)
			}
			pg, err := greedy.Plan(Target{Budget: budget, Greedy: true})
			if err != nil {
				t.Fatal(err)
			}
			if pe.Error > pg.Error {
				t.Errorf("seed %d, %g bytes: the search's %v predicts more damage than greedy's %v", seed, budget, pe, pg)
			}
			measured := func(pl *Plan) float64 {
				sp, err := pl.Spec()
				if err != nil {
					t.Fatal(err)
				}
				c, err := Compress(m, sp)
				if err != nil {
					t.Fatal(err)
				}
				curve, err := Measure(m, c.Model, check)
				if err != nil {
					t.Fatal(err)
				}
				return curve.RelErr()
			}
			t.Logf("seed %d, %g bytes: search %v measured %.4g; greedy %v measured %.4g", seed, budget, pe.Ranks, measured(pe), pg.Ranks, measured(pg))
		}
	}
}
