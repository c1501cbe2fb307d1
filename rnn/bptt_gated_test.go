package rnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// gatedConfigs are the GRU and LSTM shapes the training tests cover: one
// and two layers, and a projection.
var gatedConfigs = []Config{
	{Cell: GRU, In: 3, Hidden: 4, Out: 3, NumLayers: 1},
	{Cell: GRU, In: 3, Hidden: 4, Out: 3, NumLayers: 2},
	{Cell: LSTM, In: 3, Hidden: 4, Out: 3, NumLayers: 1},
	{Cell: LSTM, In: 3, Hidden: 5, Out: 3, NumLayers: 2, Proj: 2},
}

// TestGatedGradients checks the BPTT gradients of every parameter of the
// GRU and the LSTM (stacked, with a projection) and all objectives against
// central finite differences in float64, as TestGradients does for the
// RNN and the MGRU.
func TestGatedGradients(t *testing.T) {
	for _, base := range gatedConfigs {
		for _, obj := range []Objective{Regression, ClassifyLast, ClassifyEach} {
			cfg := base
			cfg.Objective, cfg.Burn = obj, 1
			t.Run(fmt.Sprintf("%s/layers=%d/proj=%d/%s", cfg.Cell, cfg.NumLayers, cfg.Proj, obj), func(t *testing.T) {
				m, err := New(cfg, 1)
				if err != nil {
					t.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(2, 3))
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
				var ps pass[float64]
				nt.forward(&ps, bt)
				grad := nt.zeroLike()
				nt.backward(&ps, bt, grad)
				const h = 1e-5
				names := m.Params()
				for pi, p := range nt.p {
					for i := range p {
						old := p[i]
						p[i] = old + h
						lp := nt.forward(&ps, bt)
						p[i] = old - h
						lm := nt.forward(&ps, bt)
						p[i] = old
						fd := (lp - lm) / (2 * h)
						an := grad[pi][i]
						if d := math.Abs(fd - an); d > 1e-6*math.Max(1e-3, math.Abs(fd)+math.Abs(an)) {
							t.Errorf("∂L/∂%s[%d] = %.10g by BPTT, %.10g by finite differences", names[pi].Name, i, an, fd)
						}
					}
				}
			})
		}
	}
}

// TestGatedForwardMatchesKernels checks that the training pass (float64,
// gonum) and the kernels (a Stream per sequence, and the batched engine)
// compute the same GRU and LSTM.
func TestGatedForwardMatchesKernels(t *testing.T) {
	for _, base := range gatedConfigs {
		for _, obj := range []Objective{Regression, ClassifyLast} {
			cfg := base
			cfg.Hidden, cfg.Objective = 21, obj
			m, err := New(cfg, 5)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(4, 4))
			bt := randBatch(cfg, rng, 8, 3)
			nt := netOf[float64](m)
			var ps pass[float64]
			nt.forward(&ps, bt)
			b := &task.Batch{Kind: task.Kind(obj), T: bt.T, B: bt.B, In: cfg.In, Out: cfg.Out, Labels: bt.Labels, Y: make([]float32, len(bt.Y))}
			for _, v := range bt.X {
				b.X = append(b.X, float32(v))
			}
			got := engineOf(m).run(b)
			for i := range got {
				if math.Abs(float64(got[i])-ps.o[i]) > 1e-4 {
					t.Fatalf("%+v: engine output %d = %v, training pass %v", cfg, i, got[i], ps.o[i])
				}
			}
			for seq := 0; seq < bt.B; seq++ {
				s := m.NewStream()
				for step := 0; step < bt.T; step++ {
					y := s.Step(b.X[(step*bt.B+seq)*cfg.In : (step*bt.B+seq+1)*cfg.In])
					if obj == ClassifyLast && step < bt.T-1 {
						continue
					}
					row := step*bt.B + seq
					if obj == ClassifyLast {
						row = seq
					}
					for k := range y {
						if want := ps.o[row*cfg.Out+k]; math.Abs(float64(y[k])-want) > 1e-4 {
							t.Fatalf("%+v: step %d sequence %d: stream output %d = %v, training pass %v", cfg, step, seq, k, y[k], want)
						}
					}
				}
			}
		}
	}
}

// TestGatedTrains trains a small GRU and LSTM on the recall task for a few
// hundred steps: the loss must fall well below its start, which a wrong
// update direction or a broken readout would not do.
func TestGatedTrains(t *testing.T) {
	if testing.Short() {
		t.Skip("training")
	}
	ds, err := task.Named("recall", task.Params{Rho: 0.5, K: 4, T: 30, NEval: 64})
	if err != nil {
		t.Fatal(err)
	}
	for _, cell := range []Cell{GRU, LSTM} {
		m, err := New(ConfigFor(ds.Spec(), cell, 16), 3)
		if err != nil {
			t.Fatal(err)
		}
		var first, last float64
		tc := TrainConfig{Epochs: 3, BatchSize: 32, LR: 1e-2, Seed: 1, Progress: func(p Progress) {
			if p.Epoch == 1 && p.Batch == 1 {
				first = p.Loss
			}
			last = p.EpochMeanLoss
		}}
		if _, err := Train(m, TaskData(ds, 2000, 1), tc); err != nil {
			t.Fatal(err)
		}
		if !(last < 0.5*first) {
			t.Errorf("%s: mean loss of the last epoch %.4g, first batch %.4g: not learning", cell, last, first)
		}
		t.Logf("%s: loss %.4g → %.4g", cell, first, last)
	}
}
