package rnn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/kernels"
)

// In its linear regime (inputs and states of order 1e-3, so tanh and σ are
// linear to 1e-6) a network's error under any ΔU obeys
// δh_t = J'_t δh_{t−1} + e_t exactly: PredictTangent must match the measured
// error of a truncation to rank 4 of 32, where ΔU is as large as U itself.
// Predict, which propagates with U, must not: the test is in the regime
// where the two differ.
func TestPredictTangentLinearRegime(t *testing.T) {
	const n, T, B = 32, 60, 8
	for _, cell := range []Cell{RNN, MGRU} {
		m := perturbModel(t, cell, n, 0.9, 3)
		for g := 0; g < cell.gates(); g++ {
			for i := range m.W[g].Data {
				m.W[g].Data[i] *= 1e-3
			}
			clear(m.B[g])
		}
		b := perturbBatch(m.Config, T, B, 4)
		var dir [2]kernels.Matrix
		for g := 0; g < cell.gates(); g++ {
			dir[g] = truncated(t, m.U[g], 4)
			for i := range dir[g].Data {
				dir[g].Data[i] -= m.U[g].Data[i]
			}
		}
		p, du := perturbed(t, m, dir, [2]float64{1, 1})
		meas, err := Measure(m, p, b)
		if err != nil {
			t.Fatal(err)
		}
		tan, err := PredictTangent(m, du, b)
		if err != nil {
			t.Fatal(err)
		}
		first, err := Predict(m, du, b)
		if err != nil {
			t.Fatal(err)
		}
		rt, rf := EnergyRatio(tan, meas), EnergyRatio(first, meas)
		t.Logf("%s: relerr measured %.4g, tangent %.4g, first order %.4g", cell, meas.RelErr(), tan.RelErr(), first.RelErr())
		if math.Abs(rt-1) > 1e-4 {
			t.Errorf("%s: tangent/measured error energy %.6f, want 1 within 1e-4", cell, rt)
		}
		for k := range tan.DH {
			if math.Abs(tan.DH[k]-meas.DH[k]) > 1e-3*meas.DH[k] {
				t.Fatalf("%s step %d: tangent error energy %.6g, measured %.6g", cell, k, tan.DH[k], meas.DH[k])
			}
		}
		if math.Abs(rf-1) < 0.1 {
			t.Errorf("%s: first-order/measured error energy %.4f: the truncation is too mild to tell the models apart", cell, rf)
		}
	}
}

// For a small ΔU the two models differ by second-order terms only, and
// both match the measured error.
func TestPredictTangentSmall(t *testing.T) {
	const n, T, B = 32, 50, 16
	for _, cell := range []Cell{RNN, MGRU} {
		m := perturbModel(t, cell, n, 1.0, 3)
		b := perturbBatch(m.Config, T, B, 4)
		rng := rand.New(rand.NewPCG(21, 22))
		var dir [2]kernels.Matrix
		var scale [2]float64
		for g := 0; g < cell.gates(); g++ {
			dir[g] = kernels.NewMatrix(n, n)
			for i := range dir[g].Data {
				dir[g].Data[i] = float32(rng.NormFloat64())
			}
			scale[g] = 1e-3 * frob(m.U[g]) / frob(dir[g])
		}
		p, du := perturbed(t, m, dir, scale)
		meas, err := Measure(m, p, b)
		if err != nil {
			t.Fatal(err)
		}
		tan, err := PredictTangent(m, du, b)
		if err != nil {
			t.Fatal(err)
		}
		first, err := Predict(m, du, b)
		if err != nil {
			t.Fatal(err)
		}
		if r := EnergyRatio(tan, first); math.Abs(r-1) > 1e-2 {
			t.Errorf("%s: tangent/first-order error energy %.5f, want 1 within 1e-2", cell, r)
		}
		if r := EnergyRatio(tan, meas); math.Abs(r-1) > 0.05 {
			t.Errorf("%s: tangent/measured error energy %.4f, want 1 within 5%%", cell, r)
		}
		if tan.H[7] != first.H[7] || tan.Y[7] != first.Y[7] {
			t.Errorf("%s: the unperturbed energies differ between the models", cell)
		}
	}
	m := perturbModel(t, RNN, 8, 1.0, 5)
	b := perturbBatch(m.Config, 20, 3, 6)
	for _, c := range []struct {
		du   [2]kernels.Matrix
		want string
	}{
		{[2]kernels.Matrix{{}, kernels.NewMatrix(8, 8)}, "PredictTangent: dU[1]"},
		{[2]kernels.Matrix{kernels.NewMatrix(8, 7)}, "dU[0] is 8×7"},
	} {
		if _, err := PredictTangent(m, c.du, b); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one mentioning %q", err, c.want)
		}
	}
	if p, err := PredictTangent(m, [2]kernels.Matrix{}, b); err != nil || p.Energy() != 0 {
		t.Errorf("no perturbation: energy %v, error %v", p.Energy(), err)
	}
}

// predictorRow is one (model, method, rank) of the evaluation.
