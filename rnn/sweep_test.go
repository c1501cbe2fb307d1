package rnn

import (
	"math"
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
			Ranks: []int{2, 15, 16, 40}, Method: Whitened,
			Eval: ds.Eval(32), Probe: ds.Eval(8)[0], Calib: []*task.Batch{rec.Generate(3, 16)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[0].Rank != 0 || rows[1].Rank != 2 || rows[2].Rank != 15 {
			t.Fatalf("%s: ranks %v, want the uncompressed model then 2 and 15 (16 and 40 are not below n)", cell, rows)
		}
		g := cell.gates()
		if rows[0].MetricRel != 1 || rows[0].Params != g*256 || rows[1].Params != g*2*2*16 || rows[1].MulAdds != g*2*2*16 {
			t.Errorf("%s: uncompressed %+v, rank 2 %+v", cell, rows[0], rows[1])
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
