package rnn

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/rnn/task"
)

func TestRanges(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string // "" for nil
	}{
		{Bounds.T.Check(200), ""},
		{Bounds.T.Check(2), ""},
		{Bounds.T.Check(10000), ""},
		{Bounds.T.Check(1), "T = 1 is out of range: want 2 ≤ T ≤ 10000 (steps per recall sequence)"},
		{Bounds.T.Check(100000), "T = 100000 is out of range"},
		{Bounds.T.Check(1000000000), "T = 1000000000 is out of range"},
		{second(Bounds.T.Parse("1000000000")), "T = 1000000000 is out of range"},
		{second(Bounds.T.Parse("99999999999999999999")), `T = "99999999999999999999" is not a number`},
		{second(Bounds.T.Parse("")), `T = "" is not a number: want 2 ≤ T ≤ 10000`},
		{second(Bounds.T.Parse("2e2")), `T = "2e2" is not a number`},
		{second(Bounds.Burn.Parse("0")), ""},
		{second(Bounds.Burn.Parse("-1")), "burn = -1 is out of range"},
		{Bounds.Rho.Check(0), ""},
		{Bounds.Rho.Check(0.99), ""},
		{Bounds.Rho.Check(1), "rho = 1 is out of range: want 0 ≤ rho < 1"},
		{Bounds.Rho.Check(math.NaN()), "rho = NaN is out of range"},
		{Bounds.Rho.Check(-0.5), "rho = -0.5 is out of range"},
		{second(Bounds.Rho.Parse("NaN")), "rho = NaN is out of range"},
		{second(Bounds.Rho.Parse("1e400")), `rho = "1e400" is not a number`},
		{second(Bounds.Rho.Parse("0.5")), ""},
		{Bounds.Energy.Check(1), ""},
		{Bounds.Energy.Check(0), "energy = 0 is out of range: want 0 < energy ≤ 1"},
		{Bounds.Energy.Check(math.Inf(1)), "energy = +Inf is out of range"},
		{Bounds.Lambda.Check(1e-8), ""},
		{Bounds.Lambda.Check(math.Inf(1)), "lambda = +Inf"},
		{Bounds.Radius.Check(1), "want 0 < radius < 1"},
		{Bounds.Eval.Check(0), "eval = 0 is out of range: want 1 ≤ eval ≤ 100000 (held-out sequences evaluated)"},
		{Bounds.Epochs.Check(-3), "epochs = -3 is out of range"},
		{CheckRank(64, 128), ""},
		{CheckRank(128, 128), ""},
		{CheckRank(129, 128), "rank = 129 is out of range: want 1 ≤ rank ≤ n = 128"},
		{CheckRank(0, 128), "rank = 0 is out of range: want 1 ≤ rank ≤ 4096"},
	} {
		switch {
		case c.want == "" && c.err != nil:
			t.Errorf("unexpected error %v", c.err)
		case c.want != "" && (c.err == nil || !strings.Contains(c.err.Error(), c.want)):
			t.Errorf("error %v, want %q", c.err, c.want)
		case c.err != nil && !errors.As(c.err, new(*RangeError)):
			t.Errorf("error %v is not a *RangeError", c.err)
		}
	}
}

// recallModel is a model of the shape lowrank train gives a recall task of
// K delays, and its metadata.
func recallModel(t *testing.T, K int) (*Model, map[string]string) {
	t.Helper()
	r := task.Recall{Rho: 0.5, K: K, T: 3 * K}
	m, err := New(ConfigFor(r.Spec(), RNN, 8), 1)
	if err != nil {
		t.Fatal(err)
	}
	return m, map[string]string{"task": r.Spec().Name, "rho": "0.5", "T": "24", "data_seed": "3"}
}

// TestTaskOfRefusesLies feeds TaskOf metadata that lies, and evaluation
// sizes that are out of range: each is an error that says what is wrong,
// found before any data is made (the allocation bound), never a panic.
func TestTaskOfRefusesLies(t *testing.T) {
	m, good := recallModel(t, 8)
	if ds, err := TaskOf(good, m, 10, ""); err != nil || len(HeldOut(ds, 10)) == 0 {
		t.Fatalf("the honest metadata: %v", err)
	}
	with := func(k, v string) map[string]string {
		md := map[string]string{}
		for a, b := range good {
			md[a] = b
		}
		if v == "<delete>" {
			delete(md, k)
		} else {
			md[k] = v
		}
		return md
	}
	for _, c := range []struct {
		name  string
		meta  map[string]string
		nEval int
		want  string
	}{
		{"T = 1e9", with("T", "1000000000"), 10, "metadata T = 1000000000 is out of range: want 2 ≤ T ≤ 10000"},
		{"T = 1e5", with("T", "100000"), 10, "T = 100000 is out of range"},
		{"T negative", with("T", "-5"), 10, "T = -5 is out of range"},
		{"T not a number", with("T", "lots"), 10, `T = "lots" is not a number`},
		{"T missing", with("T", "<delete>"), 10, `T = "" is not a number`},
		{"T ≤ K", with("T", "8"), 10, "T = 8 steps per sequence leave nothing to score after K = 8 delays"},
		{"rho 1", with("rho", "1"), 10, "rho = 1 is out of range"},
		{"rho NaN", with("rho", "NaN"), 10, "rho = NaN is out of range"},
		{"rho huge", with("rho", "1e308"), 10, "rho = 1e+308 is out of range"},
		{"rho disagrees with the name", with("rho", "0.9"), 10, `metadata task = "recall(rho=0.5,K=8)" disagrees with rho = 0.9`},
		{"seed negative", with("data_seed", "-1"), 10, `metadata data_seed = "-1" is not a seed`},
		{"task unknown", with("task", "bogus"), 10, `unknown task "bogus"`},
		{"task missing", with("task", "<delete>"), 10, `the model names no task`},
		{"task of another shape", with("task", "seqmnist"), 10, "does not fit its task seqmnist (in 28, out 10, classify-last"},
		{"zero evaluation sequences", good, 0, "eval = 0 is out of range"},
		{"negative evaluation sequences", good, -1, "eval = -1 is out of range"},
		{"too many evaluation sequences", good, 1 << 30, "eval = 1073741824 is out of range"},
		{"working set", with("T", "1000"), 100000, "with 100000 held-out sequences need 6911 MiB, more than the 1024 MiB bound: evaluate on at most"},
	} {
		var err error
		alloc := allocated(func() { _, err = TaskOf(c.meta, m, c.nEval, "") })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: a multi-line error: %q", c.name, err)
		}
		if alloc > 64<<10 {
			t.Errorf("%s: refusing allocated %d bytes, want under 64 KiB", c.name, alloc)
		}
	}
	// A recall model with the wrong burn-in does not fit its own task.
	m.Burn = 0
	if _, err := TaskOf(good, m, 10, ""); err == nil || !strings.Contains(err.Error(), "burn 0) does not fit") {
		t.Errorf("wrong burn-in: %v", err)
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

func TestRecallWorkingSet(t *testing.T) {
	// The committed recall models evaluated as lowrank compress does by
	// default fit.
	if ws := RecallWorkingSet(200, 64, 128, 2000); ws > MaxWorkingSet {
		t.Errorf("the default compress of a recall model needs %d MiB, over the bound", ws>>20)
	}
	// Five times longer sequences fit fewer held-out sequences: exactly
	// as many as the error suggests.
	err := checkRecall(0.9, 64, 1000, 128, 2000)
	var fits int
	if err == nil {
		t.Fatal("T = 1000 with 2000 sequences passed")
	}
	if _, serr := fmt.Sscanf(err.Error()[strings.Index(err.Error(), "at most "):], "at most %d sequences", &fits); serr != nil {
		t.Fatalf("T = 1000 with 2000 sequences: %v (no suggestion: %v)", err, serr)
	}
	if checkRecall(0.9, 64, 1000, 128, fits) != nil || checkRecall(0.9, 64, 1000, 128, fits+1) == nil {
		t.Errorf("the suggested %d sequences are not the most that fit", fits)
	}
	if err := checkRecall(0.9, 64, 5000, 128, 1); err == nil || !strings.Contains(err.Error(), "the sequences are too long") {
		t.Errorf("T = 5000: %v", err)
	}
}

// TestCompressRefusesOverflow: weights of 3e38 are finite, but their
// singular values are not in float32; Compress says so instead of writing
// infinities. A NaN weight is refused before the SVD.
func TestCompressRefusesOverflow(t *testing.T) {
	for _, joint := range []bool{false, true} {
		m, _ := New(Config{Cell: MGRU, In: 2, Hidden: 16, Out: 2, Objective: Regression}, 3)
		for i := range m.U[1].Data {
			m.U[1].Data[i] = 3e38
		}
		c, err := Compress(m, CompressSpec{Ranks: [2]int{4, 4}, Joint: joint})
		if err == nil || !strings.Contains(err.Error(), "of U_h overflow float32") || !strings.Contains(err.Error(), "up to 3e+38") {
			t.Errorf("joint=%v: Compress = %v, %v; want an overflow error naming U_h", joint, c, err)
		}
	}
	m, _ := New(Config{Cell: RNN, In: 2, Hidden: 16, Out: 2, Objective: Regression}, 3)
	m.W[0].Data[5] = float32(math.Inf(-1))
	if _, err := Compress(m, CompressSpec{Ranks: [2]int{4, 4}}); err == nil || !strings.Contains(err.Error(), "W[5] is -Inf: the model must be finite") {
		t.Errorf("an infinite weight: %v", err)
	}
}

// TestZeroWeights: a model whose recurrent weights are all zero, and one
// whose weights are all zero, compress and assess to finite numbers (kept
// 1, no error) instead of NaN.
func TestZeroWeights(t *testing.T) {
	r := task.Recall{Rho: 0.5, K: 4, T: 20}
	ds := r.Dataset(1, 64)
	for _, all := range []bool{false, true} {
		for _, cell := range []Cell{RNN, MGRU} {
			m, _ := New(ConfigFor(r.Spec(), cell, 8), 2)
			for _, p := range m.Params() {
				if all || p.Name == "U" || p.Name == "U_f" || p.Name == "U_h" {
					clear(p.Data)
				}
			}
			cal, err := Calibrate(m, CalibrationBatches(ds))
			if err != nil {
				t.Fatal(err)
			}
			rows, err := Sweep(m, ds.Spec(), SweepConfig{Ranks: Ranks{1, 3}, Eval: HeldOut(ds, 64), Probe: ds.Eval(32)[0], Calibration: cal, Method: Whitened})
			if err != nil {
				t.Fatalf("%s all=%v: %v", cell, all, err)
			}
			for _, d := range rows {
				for _, v := range []float64{d.Metric, d.MetricRel, d.RelErr, d.Predicted, d.OutRelErr, d.OutPredicted, d.CalibErr} {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Errorf("%s all=%v rank %d: %+v has a non-finite value", cell, all, d.Rank, d)
						break
					}
				}
				// The truncation of zero is exact; the measured error is
				// the deployed float32 run's against the float64 one:
				// rounding (2⁻²⁴ ≈ 6e-8 per operation) and the kernels'
				// activations (within 4e-7 absolute), not compounding in
				// a model this contractive.
				if d.Rank > 0 && (d.MetricRel != 1 || d.RelErr > 1e-6 || d.CalibErr != 0) {
					t.Errorf("%s all=%v rank %d: kept %v, error %v, calibration error %v; the truncation of zero is exact", cell, all, d.Rank, d.MetricRel, d.RelErr, d.CalibErr)
				}
			}
		}
	}
}

func TestMetricOfNothing(t *testing.T) {
	r := task.Recall{Rho: 0, K: 4, T: 20}
	m, _ := New(ConfigFor(r.Spec(), RNN, 8), 2)
	if v, err := MetricOf(m, r.Spec(), nil); err == nil || !strings.Contains(err.Error(), "no MC on recall(rho=0,K=4): the held-out set has no scored steps") {
		t.Errorf("MetricOf on no sequences = %v, %v; want an error", v, err)
	}
	short := r.Generate(1, 3)
	short.T = 4 // every step inside the burn-in of 4
	short.X, short.Y = short.X[:4*3], short.Y[:4*3*4]
	if v, err := MetricOf(m, r.Spec(), []*task.Batch{short}); err == nil {
		t.Errorf("MetricOf with every step in the burn-in = %v, want an error", v)
	}
	if _, err := MetricOf(m, r.Spec(), []*task.Batch{r.Generate(1, 3)}); err != nil {
		t.Errorf("MetricOf on three sequences: %v", err)
	}
}

func TestSizeWarning(t *testing.T) {
	m, _ := New(Config{Cell: MGRU, In: 2, Hidden: 12, Out: 2, Objective: Regression}, 1)
	for _, c := range []struct {
		ranks [2]int
		joint bool
		warn  bool
	}{
		{[2]int{5, 5}, false, false},
		{[2]int{6, 5}, false, false}, // 22·24 < 2·144
		{[2]int{6, 6}, false, true},  // 2·6·24 = 2·144: no saving
		{[2]int{12, 12}, false, true},
		{[2]int{7, 7}, true, false}, // 7·36 < 288
		{[2]int{8, 8}, true, true},  // 8·36 = 288
	} {
		c2, err := Compress(m, CompressSpec{Ranks: c.ranks, Joint: c.joint})
		if err != nil {
			t.Fatal(err)
		}
		w := c2.SizeWarning()
		if (w != "") != c.warn {
			t.Errorf("ranks %v joint %v: warning %q", c.ranks, c.joint, w)
		}
		if c.warn && !strings.Contains(w, "larger and slower than the original") {
			t.Errorf("ranks %v joint %v: warning %q does not say it plainly", c.ranks, c.joint, w)
		}
	}
	full, err := Compress(m, CompressSpec{Energy: 1})
	if err != nil {
		t.Fatal(err)
	}
	if full.SizeWarning() == "" {
		t.Errorf("energy 1 kept ranks %v without a warning", full.Ranks)
	}
	if got := m.RecurrentParams(); got != 2*12*12 {
		t.Errorf("dense recurrent weights %d, want %d", got, 2*12*12)
	}
}

func second[T any](_ T, err error) error { return err }
