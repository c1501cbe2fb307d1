package rnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/kernels"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// TestPredictGatedTangentLinearRegime is TestPredictTangentLinearRegime for
// the GRU and LSTM: with inputs and states of order 1e-3 and no biases,
// tanh and σ are linear up to cubic terms (σ″(0) = 0), so the error of a
// truncation to rank 2 — a ΔW as large as W_hh — follows
// δu = (W + ΔW) δh_{t−1} + ΔW h_{t−1} up to products of two small errors:
// PredictGatedTangent must match the measured error, and PredictGated,
// which propagates through W, must not.
func TestPredictGatedTangentLinearRegime(t *testing.T) {
	for _, cfg := range []Config{
		{Cell: GRU, In: 2, Hidden: 16, Out: 2, NumLayers: 2, Objective: Regression},
		{Cell: LSTM, In: 2, Hidden: 16, Out: 2, NumLayers: 1, Proj: 6, Objective: Regression},
	} {
		name := fmt.Sprintf("%s layers=%d proj=%d", cfg.Cell, cfg.NumLayers, cfg.Proj)
		m, err := New(cfg, 3)
		if err != nil {
			t.Fatal(err)
		}
		for k := range m.Layers {
			l := &m.Layers[k]
			for i := range l.Wih.Data {
				l.Wih.Data[i] *= 1e-3
			}
			for i := range l.Whh.Data {
				l.Whh.Data[i] *= 2 // a recurrence with memory, where the two models differ
			}
			clear(l.Bih)
			clear(l.Bhh)
		}
		rng := rand.New(rand.NewPCG(4, 5))
		b := &task.Batch{Kind: task.Kind(cfg.Objective), T: 60, B: 8, In: cfg.In, Out: cfg.Out}
		for range b.T * b.B * cfg.In {
			b.X = append(b.X, float32(rng.NormFloat64()))
		}
		c, err := Compress(m, CompressSpec{Ranks: [2]int{2, 2}, Joint: true})
		if err != nil {
			t.Fatal(err)
		}
		dw, err := gatedDeltas(m, c.Model)
		if err != nil {
			t.Fatal(err)
		}
		meas, err := Measure(m, c.Model, b)
		if err != nil {
			t.Fatal(err)
		}
		tan, err := PredictGatedTangent(m, dw, b)
		if err != nil {
			t.Fatal(err)
		}
		first, err := PredictGated(m, dw, b)
		if err != nil {
			t.Fatal(err)
		}
		rt, rf := EnergyRatio(tan, meas), EnergyRatio(first, meas)
		t.Logf("%s: relerr measured %.4g, tangent %.4g, first order %.4g", name, meas.RelErr(), tan.RelErr(), first.RelErr())
		if math.Abs(rt-1) > 1e-3 {
			t.Errorf("%s: tangent/measured error energy %.6f, want 1 within 1e-3", name, rt)
		}
		if math.Abs(rf-1) < 0.1 {
			t.Errorf("%s: first-order/measured error energy %.4f: the truncation is too mild to tell the models apart", name, rf)
		}
	}
}

// PredictGated and PredictGatedTangent refuse the RNN and MGRU, and Predict
// and PredictTangent the GRU and LSTM, each naming its counterpart.
func TestPredictRefusesTheOtherCells(t *testing.T) {
	g, err := New(Config{Cell: GRU, In: 1, Hidden: 4, Out: 1, NumLayers: 1, Objective: Regression}, 1)
	if err != nil {
		t.Fatal(err)
	}
	r := perturbModel(t, MGRU, 4, 0.9, 1)
	bg, br := perturbBatch(g.Config, 3, 1, 2), perturbBatch(r.Config, 3, 1, 2)
	for _, c := range []struct {
		err  error
		want string
	}{
		{second(Predict(g, [2]kernels.Matrix{}, bg)), "Predict: a gru model; use PredictGated"},
		{second(PredictTangent(g, [2]kernels.Matrix{}, bg)), "PredictTangent: a gru model; use PredictGatedTangent"},
		{second(PredictGated(r, nil, br)), "PredictGated: a mgru model; use Predict"},
		{second(PredictGatedTangent(r, nil, br)), "PredictGatedTangent: a mgru model; use PredictTangent"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("error %v, want one mentioning %q", c.err, c.want)
		}
	}
}
