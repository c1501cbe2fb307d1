package rnn

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// feed steps every sequence of the batches through step, each followed by
// reset.
func feed(step func([]float32), reset func(), batches ...*task.Batch) {
	for _, b := range batches {
		for s := 0; s < b.B; s++ {
			for t := 0; t < b.T; t++ {
				step(b.X[(t*b.B+s)*b.In : (t*b.B+s+1)*b.In])
			}
			reset()
		}
	}
}

// TestCalibratorMatchesCalibrate checks that the online moments, one frame
// at a time, are Calibrate's on the same sequences: the same vectors
// (h_{t−1} and f ⊙ h_{t−1} from the second step on), up to the rounding
// of the batched and the single-vector kernels.
func TestCalibratorMatchesCalibrate(t *testing.T) {
	for _, cell := range []Cell{RNN, MGRU} {
		m := perturbModel(t, cell, 24, 1.0, 7)
		batches := []*task.Batch{perturbBatch(m.Config, 30, 5, 8), perturbBatch(m.Config, 17, 70, 9)}
		want, err := Calibrate(m, batches)
		if err != nil {
			t.Fatal(err)
		}
		c, err := NewCalibrator(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Calibration(); err == nil {
			t.Errorf("%s: moments of no states", cell)
		}
		feed(c.Step, c.Reset, batches...)
		got, err := c.Calibration()
		if err != nil {
			t.Fatal(err)
		}
		if got.N != want.N || got.N != 29*5+16*70 || c.Count() != got.N {
			t.Errorf("%s: %d states (Count %d), Calibrate has %d", cell, got.N, c.Count(), want.N)
		}
		for g := 0; g < cell.gates(); g++ {
			var d mat.Dense
			d.Sub(got.C[g], want.C[g])
			if r := mat.Norm(&d, 2) / mat.Norm(want.C[g], 2); !(r < 1e-5) {
				t.Errorf("%s gate %d: moments differ by %.3g relative", cell, g, r)
			}
		}
		if cell == RNN && got.C[1] != nil {
			t.Error("RNN: a second moment")
		}
	}
}

// TestCalibratorStepAllocates checks that a frame costs no allocation.
func TestCalibratorStepAllocates(t *testing.T) {
	m := perturbModel(t, MGRU, 32, 1.0, 3)
	c, err := NewCalibrator(m)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, m.In)
	if a := testing.AllocsPerRun(500, func() { c.Step(x) }); a != 0 {
		t.Errorf("Step allocates %.1f times", a)
	}
	if c.Count() != 500 { // AllocsPerRun runs once more to warm up: 501 frames, 500 inputs of U
		t.Errorf("Count %d after 501 frames of one sequence", c.Count())
	}
	if math.IsNaN(float64(c.dense.h[0])) {
		t.Error("NaN state")
	}
}
