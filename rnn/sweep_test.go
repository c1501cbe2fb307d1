package rnn

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/lowrank-rnn/lowrank/rnn/task"
)

func TestSweep(t *testing.T) {
	rec := task.Recall{Rho: 0.5, K: 3, T: 30}
	ds := rec.Dataset(1, 32)
	for _, cell := range []Cell{RNN, MGRU} {
		m, _ := New(ConfigFor(ds.Spec(), cell, 16), 2)
		// Singular values 0.9·0.7^j: dropping the last ones is a small
		// perturbation, the regime where the first-order model holds.
		for g := 0; g < cell.gates(); g++ {
			for i := 0; i < 16; i++ {
				for j := 0; j < 16; j++ {
					m.U[g].Set(i, j, m.U[g].At(i, j)*float32(0.9*math.Pow(0.7, float64(j))))
				}
			}
		}
		rows, err := Sweep(m, ds.Spec(), SweepConfig{
			Ranks: Ranks{2, Full, 15, 16, 40}, Method: Whitened,
			Eval: ds.Eval(32), Probe: ds.Eval(8)[0], Calib: []*task.Batch{rec.Generate(3, 16)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[0].Rank != Full || rows[0].Method != "" || rows[1].Rank != 2 || rows[2].Rank != 15 {
			t.Fatalf("%s: ranks %v, want the uncompressed model (once) then 2 and 15 (16 and 40 are not below n)", cell, rows)
		}
		g := cell.gates()
		if rows[0].MetricRel != 1 || rows[0].Params != g*256 || rows[1].Params != g*2*2*16 || rows[1].MulAdds != g*2*2*16 {
			t.Errorf("%s: uncompressed %+v, rank 2 %+v", cell, rows[0], rows[1])
		}
		// The metric's error is the meter's, the held-out set's jackknife.
		if se := engineOf(m).evaluate(ds.Spec(), ds.Eval(32)).MemoryCapacitySE(); !(se >= 0) || rows[0].MetricSE != se {
			t.Errorf("%s: MetricSE %v, the meter's %v", cell, rows[0].MetricSE, se)
		}
		for _, r := range rows {
			if !(r.MetricSE >= 0) {
				t.Errorf("%s rank %s: MetricSE %v, want a number ≥ 0 (32 sequences)", cell, r.Rank, r.MetricSE)
			}
		}
		r := rows[2] // rank 15 of 16: a small perturbation
		if !(r.RelErr > 0 && r.RelErr < 0.01) || math.Abs(math.Log(r.Predicted/r.RelErr)) > math.Log(1.05) {
			t.Errorf("%s rank 15: relative error %.4g measured, %.4g predicted", cell, r.RelErr, r.Predicted)
		}
		if rows[1].RelErr <= r.RelErr {
			t.Errorf("%s: rank 2 error %.4g not above rank 15's %.4g", cell, rows[1].RelErr, r.RelErr)
		}
	}
}

// TestTestbed: a model file's testbed finds its task from the metadata and
// sweeps each method over the same data, the uncompressed model once.
func TestTestbed(t *testing.T) {
	rec := task.Recall{Rho: 0.5, K: 3, T: 30}
	m, _ := New(ConfigFor(rec.Spec(), MGRU, 10), 4)
	path := filepath.Join(t.TempDir(), "recall.safetensors")
	meta := map[string]string{"task": rec.Spec().Name, "rho": "0.5", "T": "30", "data_seed": "1"}
	if err := m.Save(path, meta); err != nil {
		t.Fatal(err)
	}
	tb, err := LoadTestbed(path, 40, "")
	if err != nil {
		t.Fatal(err)
	}
	if base, err := MetricOf(tb.Model, tb.Spec, tb.Eval); err != nil || tb.Spec.Name != rec.Spec().Name || tb.Probe.B != 32 || tb.Base != base {
		t.Fatalf("testbed %+v", tb)
	}
	rows, err := tb.Sweep(Ranks{2, 5, 10}, []Method{SVD, Whitened}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || rows[0].Rank != Full || rows[1].Method != SVD || rows[3].Method != Whitened || rows[4].Rank != 5 {
		t.Fatalf("rows %+v; want full, then 2 and 5 by svd, then by whitened", rows)
	}
	c, err := Compress(tb.Model, CompressSpec{Ranks: [2]int{5, 5}, Method: Whitened, Calibration: tb.Calibration})
	if err != nil {
		t.Fatal(err)
	}
	// (An untrained model has no memory: MetricRel is 0/0, printed alike.)
	if d, err := tb.Assess(c); err != nil || fmt.Sprintf("%+v", d) != fmt.Sprintf("%+v", rows[4]) {
		t.Errorf("Assess of rank 5 whitened: %+v (%v), the sweep's row %+v", d, err, rows[4])
	}
	if _, err := LoadTestbed(filepath.Join(t.TempDir(), "none.safetensors"), 40, ""); err == nil {
		t.Error("a missing file gave a testbed")
	}
}

// TestEvaluateReusesBuffers checks that an engine scores the same with the
// pooled buffers of engines evaluated before it, of other cells and sizes,
// as the first engine to run did.
func TestEvaluateReusesBuffers(t *testing.T) {
	rec := task.Recall{Rho: 0.5, K: 3, T: 30}
	ds := rec.Dataset(1, 32)
	eval := ds.Eval(16)
	var models []*Model
	for i, cell := range []Cell{RNN, MGRU, GRU, LSTM} {
		m, err := New(ConfigFor(ds.Spec(), cell, 8+4*i), uint64(3+i))
		if err != nil {
			t.Fatal(err)
		}
		models = append(models, m)
	}
	first := make([]float64, len(models))
	for round := range 3 {
		for i, m := range models {
			mc := engineOf(m).evaluate(ds.Spec(), eval).MemoryCapacity()
			if round == 0 {
				first[i] = mc
			} else if mc != first[i] {
				t.Errorf("%s, round %d: MC %v, first %v", m.Cell, round, mc, first[i])
			}
		}
	}
}
