package rnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// randBatch returns a float64 batch for cfg with T steps and B sequences.
func randBatch(cfg Config, rng *rand.Rand, t, b int) *Batch[float64] {
	bt := &Batch[float64]{T: t, B: b, X: make([]float64, t*b*cfg.In)}
	for i := range bt.X {
		bt.X[i] = rng.NormFloat64()
	}
	switch cfg.Objective {
	case Regression:
		bt.Y = make([]float64, t*b*cfg.Out)
		for i := range bt.Y {
			bt.Y[i] = rng.NormFloat64()
		}
	case ClassifyLast:
		for range b {
			bt.Labels = append(bt.Labels, int32(rng.IntN(cfg.Out)))
		}
	case ClassifyEach:
		for range t * b {
			bt.Labels = append(bt.Labels, int32(rng.IntN(cfg.Out)))
		}
	}
	return bt
}

// TestGradients checks the BPTT gradients of every parameter of both cells
// and all objectives against central finite differences in float64. With
// step 1e-5 the truncation error is O(1e-10) relative and the rounding error
// O(1e-16/1e-5) = 1e-11, so a relative error above 1e-6 is a wrong gradient.
//
// With dropout of the readout's states, each forward pass below draws the
// same mask (the generator is reseeded), so the loss is a smooth function
// of the parameters and the gradient is the masked one.
func TestGradients(t *testing.T) {
	for _, cell := range []Cell{RNN, MGRU} {
		for _, obj := range []Objective{Regression, ClassifyLast, ClassifyEach} {
			for _, drop := range []float64{0, 0.4} {
				t.Run(fmt.Sprintf("%s/%s/dropout=%g", cell, obj, drop), func(t *testing.T) {
					checkGradients(t, Config{Cell: cell, In: 3, Hidden: 5, Out: 4, Objective: obj, Burn: 1}, drop)
				})
			}
		}
	}
}

func checkGradients(t *testing.T, cfg Config, drop float64) {
	m, err := New(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 3))
	// Non-zero biases and a larger recurrence exercise every term.
	for _, p := range m.Params() {
		for i := range p.Data {
			p.Data[i] += float32(0.3 * rng.NormFloat64())
		}
	}
	nt := netOf[float64](m)
	bt := randBatch(cfg, rng, 6, 3)
	if err := nt.checkBatch(bt); err != nil {
		t.Fatal(err)
	}
	ps := pass[float64]{outputDropout: drop}
	forward := func() float64 {
		ps.rng = rand.New(rand.NewPCG(5, 6))
		return nt.forward(&ps, bt)
	}
	forward()
	if drop > 0 && !slices.Contains(ps.keep, 0) {
		t.Fatalf("dropout %g dropped no state of %d", drop, len(ps.keep))
	}
	grad := nt.zeroLike()
	nt.backward(&ps, bt, grad)
	const h = 1e-5
	names := m.Params()
	for pi, p := range nt.p {
		for i := range p {
			old := p[i]
			p[i] = old + h
			lp := forward()
			p[i] = old - h
			lm := forward()
			p[i] = old
			fd := (lp - lm) / (2 * h)
			an := grad[pi][i]
			if d := math.Abs(fd - an); d > 1e-6*math.Max(1e-3, math.Abs(fd)+math.Abs(an)) {
				t.Errorf("∂L/∂%s[%d] = %.10g by BPTT, %.10g by finite differences", names[pi].Name, i, an, fd)
			}
		}
	}
}

// TestForwardMatchesKernels checks that the training forward pass and the
// kernels' fused steps compute the same cell.
func TestForwardMatchesKernels(t *testing.T) {
	for _, cell := range []Cell{RNN, MGRU} {
		cfg := Config{Cell: cell, In: 4, Hidden: 37, Out: 3, Objective: Regression}
		m, _ := New(cfg, 5)
		rng := rand.New(rand.NewPCG(4, 4))
		bt := randBatch(cfg, rng, 8, 1)
		nt := netOf[float64](m)
		var ps pass[float64]
		nt.forward(&ps, bt)

		s := m.NewStream()
		x := make([]float32, cfg.In)
		for step := 0; step < bt.T; step++ {
			for i := range x {
				x[i] = float32(bt.X[step*cfg.In+i])
			}
			y := s.Step(x)
			for k := range y {
				want := ps.o[step*cfg.Out+k]
				if math.Abs(float64(y[k])-want) > 1e-4 {
					t.Fatalf("%s step %d: stream output %d = %v, training forward %v", cell, step, k, y[k], want)
				}
			}
		}
	}
}

// TestEngineMatchesForward: the batched kernels engine (evaluation and
// calibration) computes what the training pass computes.
func TestEngineMatchesForward(t *testing.T) {
	for _, cell := range []Cell{RNN, MGRU} {
		for _, obj := range []Objective{Regression, ClassifyLast, ClassifyEach} {
			cfg := Config{Cell: cell, In: 3, Hidden: 21, Out: 4, Objective: obj, Burn: 1}
			m, _ := New(cfg, 8)
			rng := rand.New(rand.NewPCG(5, 6))
			b64 := randBatch(cfg, rng, 7, 5)
			nt := netOf[float64](m)
			var ps pass[float64]
			nt.forward(&ps, b64)
			b := &task.Batch{Kind: task.Kind(obj), T: 7, B: 5, In: 3, Out: 4, Labels: b64.Labels}
			for _, v := range b64.X {
				b.X = append(b.X, float32(v))
			}
			got := engineOf(m).run(b)
			if len(got) != len(ps.o) {
				t.Fatalf("%s/%s: %d outputs, want %d", cell, obj, len(got), len(ps.o))
			}
			for i := range got {
				if math.Abs(float64(got[i])-ps.o[i]) > 1e-4 {
					t.Fatalf("%s/%s: output %d = %v, training pass %v", cell, obj, i, got[i], ps.o[i])
				}
			}
		}
	}
}
