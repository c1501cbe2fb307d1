package rnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/lowrank-rnn/lowrank/kernels"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// refCell is an independent float64 implementation of one step of each
// cell, written from the DESIGN's equations (h = (1 − f) ⊙ h_{t−1} + f ⊙ h̃),
// for the finite-difference checks.
type refCell struct {
	cell  Cell
	n, in int
	w, u  [2][]float64 // n×in, n×n row-major
	b     [2][]float64
}

func newRefCell(cell Cell, n, in int, rng *rand.Rand) *refCell {
	c := &refCell{cell: cell, n: n, in: in}
	for g := 0; g < cell.gates(); g++ {
		c.w[g] = randVec(rng, n*in, 0.7)
		c.u[g] = randVec(rng, n*n, 0.7)
		c.b[g] = randVec(rng, n, 0.3)
	}
	return c
}

func randVec(rng *rand.Rand, k int, scale float64) []float64 {
	v := make([]float64, k)
	for i := range v {
		v[i] = scale * rng.NormFloat64()
	}
	return v
}

// step returns h_t and, for the MGRU, f_t and h̃_t, with the recurrent
// matrices u (defaults to c.u where nil).
func (c *refCell) step(u [2][]float64, x, hp []float64) (h, f, hc []float64) {
	n := c.n
	for g := range u {
		if u[g] == nil {
			u[g] = c.u[g]
		}
	}
	pre := func(g int, r []float64) []float64 {
		a := make([]float64, n)
		for i := 0; i < n; i++ {
			s := c.b[g][i]
			for k := 0; k < c.in; k++ {
				s += c.w[g][i*c.in+k] * x[k]
			}
			for k := 0; k < n; k++ {
				s += u[g][i*n+k] * r[k]
			}
			a[i] = s
		}
		return a
	}
	if c.cell == RNN {
		h = pre(0, hp)
		for i := range h {
			h[i] = math.Tanh(h[i])
		}
		return h, nil, nil
	}
	f = pre(0, hp)
	fh := make([]float64, n)
	for i := range f {
		f[i] = 1 / (1 + math.Exp(-f[i]))
		fh[i] = f[i] * hp[i]
	}
	hc = pre(1, fh)
	h = make([]float64, n)
	for i := range hc {
		hc[i] = math.Tanh(hc[i])
		h[i] = (1-f[i])*hp[i] + f[i]*hc[i]
	}
	return h, f, hc
}

func (c *refCell) jacobian(hp, h, f, hc []float64) *mat.Dense {
	if c.cell == RNN {
		return rnnJacobian(c.u[0], h)
	}
	return mgruJacobian(c.u[0], c.u[1], hp, f, hc)
}

func (c *refCell) injected(du [2][]float64, hp, h, f, hc []float64) []float64 {
	if c.cell == RNN {
		return rnnInjected(du[0], hp, h)
	}
	return mgruInjected(c.u[1], du[0], du[1], hp, f, hc)
}

// relDiff returns max|a − b| / max|b|.
func relDiff(a, b []float64) float64 {
	var d, s float64
	for i := range a {
		d = max(d, math.Abs(a[i]-b[i]))
		s = max(s, math.Abs(b[i]))
	}
	return d / s
}

// TestPerturbStepFiniteDifferences checks J_t and e_t of both cells against
// central differences of an independent step in float64 (n = 5). With step
// 1e-5 the truncation error is O(1e-10) relative and the rounding error
// O(1e-11), so 1e-6 separates a wrong term from noise. It also checks that
// linStep, the batched propagation Predict uses, computes J δh + e.
func TestPerturbStepFiniteDifferences(t *testing.T) {
	const n, in, eps = 5, 3, 1e-5
	for _, cell := range []Cell{RNN, MGRU} {
		// For the MGRU: both gates perturbed, then each alone.
		cases := [][2]bool{{true, false}}
		if cell == MGRU {
			cases = [][2]bool{{true, true}, {true, false}, {false, true}}
		}
		for _, which := range cases {
			t.Run(fmt.Sprintf("%s/dUf=%v/dUh=%v", cell, which[0], which[1]), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(7, 11))
				c := newRefCell(cell, n, in, rng)
				x := randVec(rng, in, 1)
				hp := make([]float64, n)
				for i := range hp {
					hp[i] = 1.8*rng.Float64() - 0.9
				}
				h, f, hc := c.step([2][]float64{}, x, hp)

				// Jacobian, column by column.
				jac := c.jacobian(hp, h, f, hc)
				fd := mat.NewDense(n, n, nil)
				for j := 0; j < n; j++ {
					p, m := append([]float64(nil), hp...), append([]float64(nil), hp...)
					p[j] += eps
					m[j] -= eps
					hpl, _, _ := c.step([2][]float64{}, x, p)
					hmi, _, _ := c.step([2][]float64{}, x, m)
					for i := 0; i < n; i++ {
						fd.Set(i, j, (hpl[i]-hmi[i])/(2*eps))
					}
				}
				if r := relDiff(fd.RawMatrix().Data, jac.RawMatrix().Data); r > 1e-6 {
					t.Errorf("J_t: relative error %.3g against finite differences\nJ  = %v\nFD = %v",
						r, mat.Formatted(jac), mat.Formatted(fd))
				}

				// Injected error: the one-step change under ±ε·ΔU at fixed h_{t−1}.
				var du [2][]float64
				for g := 0; g < cell.gates(); g++ {
					if which[g] {
						du[g] = randVec(rng, n*n, 0.5)
					}
				}
				e := c.injected(du, hp, h, f, hc)
				shift := func(s float64) []float64 {
					var u [2][]float64
					for g := 0; g < cell.gates(); g++ {
						u[g] = append([]float64(nil), c.u[g]...)
						for k := range u[g] {
							if du[g] != nil {
								u[g][k] += s * du[g][k]
							}
						}
					}
					hs, _, _ := c.step(u, x, hp)
					return hs
				}
				hpl, hmi := shift(eps), shift(-eps)
				efd := make([]float64, n)
				for i := range efd {
					efd[i] = (hpl[i] - hmi[i]) / (2 * eps)
				}
				if r := relDiff(e, efd); r > 1e-6 {
					t.Errorf("e_t: relative error %.3g against finite differences\ne  = %v\nFD = %v", r, e, efd)
				}

				// linStep (one sequence) = J δh_{t−1} + e.
				dh := randVec(rng, n, 0.1)
				want := mat.NewVecDense(n, nil)
				want.MulVec(jac, mat.NewVecDense(n, append([]float64(nil), dh...)))
				want.AddVec(want, mat.NewVecDense(n, e))
				var fh []float64
				if cell == MGRU {
					fh = make([]float64, n)
					for i := range fh {
						fh[i] = f[i] * hp[i]
					}
				}
				// Its products run on the float32 kernels: each of the n = 5
				// inputs, weights and terms rounds to 2⁻²⁴ relative, so
				// 1e-5 leaves room for a sum that cancels by 10×.
				var uop, duop [2]*product32
				for g := 0; g < cell.gates(); g++ {
					uop[g] = newProduct32(c.u[g], n, n)
					if du[g] != nil {
						duop[g] = newProduct32(du[g], n, n)
					}
				}
				var scr linScratch
				linStep(cell, n, 1, uop, duop, hp, h, f, hc, fh, dh, &scr)
				if r := relDiff(dh, want.RawVector().Data); r > 1e-5 {
					t.Errorf("linStep: relative error %.3g against J δh + e\ngot  %v\nwant %v", r, dh, want.RawVector().Data)
				}
			})
		}
	}
}

// perturbModel returns a random model for the prediction tests: Gaussian
// recurrent matrices of the given gain (singular values spread over
// [0, 2·gain], so truncation removes real energy), small random biases.
func perturbModel(t *testing.T, cell Cell, n int, gain float64, seed uint64) *Model {
	t.Helper()
	cfg := Config{Cell: cell, In: 4, Hidden: n, Out: 3, Objective: Regression, Burn: 10}
	m, err := New(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	for g := 0; g < cell.gates(); g++ {
		for i := range m.U[g].Data {
			m.U[g].Data[i] = float32(gain / math.Sqrt(float64(n)) * rng.NormFloat64())
		}
		for i := range m.B[g] {
			m.B[g][i] = float32(0.2 * rng.NormFloat64())
		}
	}
	return m
}

// perturbBatch returns B sequences of T steps of Gaussian inputs (with
// dummy regression targets).
func perturbBatch(cfg Config, T, B int, seed uint64) *task.Batch {
	rng := rand.New(rand.NewPCG(seed, 5))
	b := &task.Batch{Kind: task.Regression, T: T, B: B, In: cfg.In, Out: cfg.Out, Burn: cfg.Burn,
		X: make([]float32, T*B*cfg.In), Y: make([]float32, T*B*cfg.Out)}
	for i := range b.X {
		b.X[i] = float32(rng.NormFloat64())
	}
	return b
}

func frob(a kernels.Matrix) float64 {
	var s float64
	for i := 0; i < a.Rows; i++ {
		for _, v := range a.Row(i) {
			s += float64(v) * float64(v)
		}
	}
	return math.Sqrt(s)
}

// truncated returns the rank-r truncated SVD of a (float64, rounded to float32).
func truncated(t *testing.T, a kernels.Matrix, r int) kernels.Matrix {
	t.Helper()
	n := a.Rows
	d := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			d.Set(i, j, float64(a.At(i, j)))
		}
	}
	var svd mat.SVD
	if !svd.Factorize(d, mat.SVDThin) {
		t.Fatal("SVD failed")
	}
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	s := svd.Values(nil)
	out := kernels.NewMatrix(n, n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			var x float64
			for k := 0; k < r; k++ {
				x += u.At(i, k) * s[k] * v.At(j, k)
			}
			out.Set(i, j, float32(x))
		}
	}
	return out
}

// perturbed returns a copy of m with U[g] += scale·dir[g] (dir[g] empty:
// unchanged) and the ΔU actually applied (after rounding to float32).
func perturbed(t *testing.T, m *Model, dir [2]kernels.Matrix, scale [2]float64) (*Model, [2]kernels.Matrix) {
	t.Helper()
	p := m.Clone()
	for g := 0; g < m.Cell.gates(); g++ {
		if len(dir[g].Data) == 0 {
			continue
		}
		for i := range p.U[g].Data {
			p.U[g].Data[i] += float32(scale[g] * float64(dir[g].Data[i]))
		}
	}
	du, err := DeltaU(m, p)
	if err != nil {
		t.Fatal(err)
	}
	return p, du
}

// TestPredictMatchesMeasure compares the first-order prediction with the
// measured state error on random models (n = 32, T = 50, 16 sequences).
// A perturbation with ‖ΔU‖_F = 1e-3·‖U‖_F must agree within 5% in error
// energy: the neglected second-order terms are O(1e-3) relative. Truncation
// to half rank is logged, with a loose bound (see below).
func TestPredictMatchesMeasure(t *testing.T) {
	const n, T, B = 32, 50, 16
	for _, cell := range []Cell{RNN, MGRU} {
		m := perturbModel(t, cell, n, 1.0, 3)
		b := perturbBatch(m.Config, T, B, 4)
		G := cell.gates()

		run := func(name string, p *Model, du [2]kernels.Matrix) (ratio, outRatio float64) {
			pred, err := Predict(m, du, b)
			if err != nil {
				t.Fatal(err)
			}
			meas, err := Measure(m, p, b)
			if err != nil {
				t.Fatal(err)
			}
			ratio = EnergyRatio(pred, meas)
			outRatio = sumRange(pred.DY, pred.Lo, pred.Hi) / sumRange(meas.DY, meas.Lo, meas.Hi)
			t.Logf("%s %-22s relerr predicted %.4g measured %.4g; energy ratio pred/meas %.4f (state), %.4f (output); last step %.4f",
				cell, name, pred.RelErr(), meas.RelErr(), ratio, outRatio, pred.DH[T-1]/meas.DH[T-1])
			return ratio, outRatio
		}

		rng := rand.New(rand.NewPCG(21, 22))
		var rnd, trunc [2]kernels.Matrix
		var sRnd, sTrunc [2]float64
		for g := 0; g < G; g++ {
			rnd[g] = kernels.NewMatrix(n, n)
			for i := range rnd[g].Data {
				rnd[g].Data[i] = float32(rng.NormFloat64())
			}
			sRnd[g] = 1e-3 * frob(m.U[g]) / frob(rnd[g])
			// The truncation direction U_r − U, scaled to 1e-3·‖U‖.
			trunc[g] = truncated(t, m.U[g], n/2)
			for i := range trunc[g].Data {
				trunc[g].Data[i] -= m.U[g].Data[i]
			}
			sTrunc[g] = 1e-3 * frob(m.U[g]) / frob(trunc[g])
		}
		for _, c := range []struct {
			name  string
			dir   [2]kernels.Matrix
			scale [2]float64
		}{
			{"small random", rnd, sRnd},
			{"small truncation dir", trunc, sTrunc},
		} {
			p, du := perturbed(t, m, c.dir, c.scale)
			r, ro := run(c.name, p, du)
			if !(r >= 0.95 && r <= 1.05) || !(ro >= 0.95 && ro <= 1.05) {
				t.Errorf("%s %s: predicted/measured error energy %.4f (state), %.4f (output), want within [0.95, 1.05]", cell, c.name, r, ro)
			}
		}

		// Half-rank truncation: ‖ΔU‖ is a large fraction of ‖U‖, far outside
		// the first-order regime, and saturation of tanh/σ bounds the real
		// error (‖δh‖ ≤ 2√n) where the linear model's does not. The bound
		// only catches a prediction that has lost its order of magnitude.
		p, du := perturbed(t, m, trunc, [2]float64{1, 1})
		t.Logf("%s half rank: ‖ΔU‖/‖U‖ = %.3f", cell, frob(trunc[0])/frob(m.U[0]))
		if r, _ := run("half rank", p, du); !(r > 0.1 && r < 10) {
			t.Errorf("%s half rank: predicted/measured error energy %.4g, want within [0.1, 10]", cell, r)
		}
	}
}

// TestPredictLinearity checks that the prediction is linear in ΔU (energy
// scales with its square), zero without a perturbation, and that bad
// shapes are errors.
func TestPredictLinearity(t *testing.T) {
	for _, cell := range []Cell{RNN, MGRU} {
		m := perturbModel(t, cell, 8, 1.0, 5)
		b := perturbBatch(m.Config, 20, 3, 6)
		rng := rand.New(rand.NewPCG(1, 2))
		var du, du2 [2]kernels.Matrix
		for g := 0; g < cell.gates(); g++ {
			du[g], du2[g] = kernels.NewMatrix(8, 8), kernels.NewMatrix(8, 8)
			for i := range du[g].Data {
				du[g].Data[i] = float32(0.01 * rng.NormFloat64())
				du2[g].Data[i] = 2 * du[g].Data[i]
			}
		}
		p1, err := Predict(m, du, b)
		if err != nil {
			t.Fatal(err)
		}
		p2, err := Predict(m, du2, b)
		if err != nil {
			t.Fatal(err)
		}
		for k := range p1.DH {
			if math.Abs(p2.DH[k]-4*p1.DH[k]) > 1e-12*p2.DH[k] || math.Abs(p2.DY[k]-4*p1.DY[k]) > 1e-12*p2.DY[k] {
				t.Fatalf("%s step %d: energies %g, %g for ΔU and 2ΔU: not quadratic", cell, k, p1.DH[k], p2.DH[k])
			}
		}
		p0, err := Predict(m, [2]kernels.Matrix{}, b)
		if err != nil {
			t.Fatal(err)
		}
		if p0.Energy() != 0 || p0.RelErr() != 0 || p0.H[5] != p1.H[5] {
			t.Errorf("%s: no perturbation predicts energy %g", cell, p0.Energy())
		}
		if p1.Lo != 10 || p1.Hi != 20 {
			t.Errorf("%s: scored steps [%d, %d), want [10, 20)", cell, p1.Lo, p1.Hi)
		}
		// A model against itself measures exactly zero.
		if meas, err := Measure(m, m, b); err != nil || meas.Energy() != 0 {
			t.Errorf("%s: Measure(m, m) = %v, %v", cell, meas, err)
		}
		bad := du
		bad[0] = kernels.NewMatrix(8, 7)
		if _, err := Predict(m, bad, b); err == nil {
			t.Errorf("%s: Predict accepted an 8×7 dU", cell)
		}
		wrongIn := *b
		wrongIn.In = 5
		if _, err := Predict(m, du, &wrongIn); err == nil {
			t.Errorf("%s: Predict accepted a batch with the wrong In", cell)
		}
	}
	m := perturbModel(t, RNN, 8, 1.0, 5)
	if _, err := Predict(m, [2]kernels.Matrix{{}, kernels.NewMatrix(8, 8)}, perturbBatch(m.Config, 20, 3, 6)); err == nil {
		t.Error("Predict accepted dU[1] for an RNN")
	}
}

// TestPerturbTrajectory pins the float64 trajectory used by Predict and
// Measure to the independent reference step.
func TestPerturbTrajectory(t *testing.T) {
	for _, cell := range []Cell{RNN, MGRU} {
		m := perturbModel(t, cell, 6, 1.2, 9)
		b := perturbBatch(m.Config, 12, 2, 10)
		_, ps, err := trajectory(m, b)
		if err != nil {
			t.Fatal(err)
		}
		c := &refCell{cell: cell, n: m.Hidden, in: m.In}
		f64 := func(v []float32) []float64 {
			out := make([]float64, len(v))
			for i, x := range v {
				out[i] = float64(x)
			}
			return out
		}
		for g := 0; g < cell.gates(); g++ {
			c.w[g], c.u[g], c.b[g] = f64(m.W[g].Data), f64(m.U[g].Data), f64(m.B[g])
		}
		n := m.Hidden
		for s := 0; s < b.B; s++ {
			h := make([]float64, n)
			for step := 0; step < b.T; step++ {
				x := f64(b.X[(step*b.B+s)*b.In : (step*b.B+s+1)*b.In])
				h, _, _ = c.step([2][]float64{}, x, h)
				got := ps.h[((step+1)*b.B+s)*n : ((step+1)*b.B+s+1)*n]
				if r := relDiff(got, h); r > 1e-12 {
					t.Fatalf("%s seq %d step %d: trajectory differs from the reference by %.3g", cell, s, step, r)
				}
			}
		}
	}
}

// TestScalarErrorVariance is REFERENCES' scalar check: gain a = 0.9, AR(1)
// injected error with coefficient ρ and unit variance. The closed form, the
// Lyapunov solution of a two-state linear network set up to produce that
// error, and a simulation of 10⁶ steps must agree (simulation within 2%).
//
// The network: A = [a 0; 0 0], v = [0; 1], dA = [0 1; 0 0]. Then h₂ = u is
// the AR(1) input itself, h₁ = 0, and δh₁_t = a δh₁_{t−1} + u_{t−1}: the
// injected error is the AR(1) process, propagated with gain a.
func TestScalarErrorVariance(t *testing.T) {
	const a = 0.9
	want := map[float64]float64{0: 5.26, 0.5: 13.88, 0.9: 50.14}
	rng := rand.New(rand.NewPCG(2017, 1612))
	for _, rho := range []float64{0, 0.5, 0.9} {
		got := ScalarErrorVariance(a, rho)
		if math.Abs(got-want[rho]) > 0.005 {
			t.Errorf("ScalarErrorVariance(%v, %v) = %.4f, want %.2f", a, rho, got, want[rho])
		}
		A := mat.NewDense(2, 2, []float64{a, 0, 0, 0})
		dA := mat.NewDense(2, 2, []float64{0, 1, 0, 0})
		cov, err := LinearErrorCovariance(A, dA, []float64{0, 1}, rho)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(cov.At(0, 0)-got) > 1e-9*got || cov.At(1, 1) != 0 {
			t.Errorf("ρ = %v: LinearErrorCovariance = %v, want [[%.6g 0] [0 0]]", rho, mat.Formatted(cov), got)
		}

		const steps, burn = 1_000_000, 1000
		s := math.Sqrt(1 - rho*rho)
		e, x := rng.NormFloat64(), 0.0
		var sum float64
		for k := 0; k < steps+burn; k++ {
			e = rho*e + s*rng.NormFloat64()
			x = a*x + e
			if k >= burn {
				sum += x * x
			}
		}
		sim := sum / steps
		t.Logf("a = %v, ρ = %v: predicted %.3f, simulated %.3f (%+.2f%%)", a, rho, got, sim, 100*(sim/got-1))
		if math.Abs(sim/got-1) > 0.02 {
			t.Errorf("ρ = %v: simulated variance %.3f, predicted %.3f: more than 2%% apart", rho, sim, got)
		}
	}
}

// TestLinearErrorCovariance checks the Lyapunov closed form against a long
// simulation of a random stable linear network (n = 8, spectral radius
// 0.8, AR(1) input with ρ = 0.5), for the first-order error and for the
// exact error of the perturbed network, within 3% in Frobenius norm.
func TestLinearErrorCovariance(t *testing.T) {
	const n, rho, steps, burn = 8, 0.5, 1_000_000, 1000
	rng := rand.New(rand.NewPCG(8, 8))
	A := mat.NewDense(n, n, randVec(rng, n*n, 1))
	A.Scale(0.8/SpectralRadius(A), A)
	dA := mat.NewDense(n, n, randVec(rng, n*n, 1))
	dA.Scale(0.1*mat.Norm(A, 2)/mat.Norm(dA, 2), dA)
	v := randVec(rng, n, 1)

	first, err := LinearErrorCovariance(A, dA, v, rho)
	if err != nil {
		t.Fatal(err)
	}
	exact, err := LinearErrorCovarianceExact(A, dA, v, rho)
	if err != nil {
		t.Fatal(err)
	}
	var ap mat.Dense
	ap.Add(A, dA)
	a, d, p := A.RawMatrix().Data, dA.RawMatrix().Data, ap.RawMatrix().Data
	h, hq, dh := make([]float64, n), make([]float64, n), make([]float64, n)
	nh, nhq, ndh := make([]float64, n), make([]float64, n), make([]float64, n)
	cFirst, cExact := make([]float64, n*n), make([]float64, n*n)
	s := math.Sqrt(1 - rho*rho)
	u := rng.NormFloat64()
	for k := 0; k < steps+burn; k++ {
		u = rho*u + s*rng.NormFloat64()
		for i := 0; i < n; i++ {
			var ah, aq, adh, dAh float64
			for j := 0; j < n; j++ {
				ah += a[i*n+j] * h[j]
				aq += p[i*n+j] * hq[j]
				adh += a[i*n+j] * dh[j]
				dAh += d[i*n+j] * h[j]
			}
			nh[i] = ah + v[i]*u
			nhq[i] = aq + v[i]*u
			ndh[i] = adh + dAh // δh_t = A δh_{t−1} + dA h_{t−1}
		}
		h, nh = nh, h
		hq, nhq = nhq, hq
		dh, ndh = ndh, dh
		if k < burn {
			continue
		}
		for i := 0; i < n; i++ {
			ei := hq[i] - h[i]
			for j := 0; j < n; j++ {
				cFirst[i*n+j] += dh[i] * dh[j]
				cExact[i*n+j] += ei * (hq[j] - h[j])
			}
		}
	}
	for _, c := range []struct {
		name string
		sim  []float64
		want *mat.Dense
	}{{"first order", cFirst, first}, {"exact", cExact, exact}} {
		sim := mat.NewDense(n, n, c.sim)
		sim.Scale(1.0/steps, sim)
		var diff mat.Dense
		diff.Sub(sim, c.want)
		r := mat.Norm(&diff, 2) / mat.Norm(c.want, 2)
		t.Logf("%s: tr Cov(δh) closed form %.5g, simulated %.5g; ‖Δ‖_F/‖P‖_F = %.4f",
			c.name, mat.Trace(c.want), mat.Trace(sim), r)
		if r > 0.03 {
			t.Errorf("%s: simulated covariance differs from the closed form by %.2f%% (Frobenius)", c.name, 100*r)
		}
	}
	if math.Abs(mat.Trace(first)/mat.Trace(exact)-1) < 1e-3 {
		t.Errorf("first-order and exact covariances agree to 0.1%%: the test does not tell them apart")
	}

	// Errors: an unstable A, a wrong v.
	unstable := mat.NewDense(n, n, nil)
	unstable.Scale(1.01/0.8, A)
	if _, err := LinearErrorCovariance(unstable, dA, v, rho); err == nil {
		t.Error("accepted an unstable A")
	}
	if _, err := LinearErrorCovariance(A, dA, v[:n-1], rho); err == nil {
		t.Error("accepted a short v")
	}
	if _, err := LinearErrorCovariance(A, dA, v, 1); err == nil {
		t.Error("accepted ρ = 1")
	}
}

// TestLyapunovDoubling checks the solver's residual on a non-normal,
// slowly decaying system.
func TestLyapunovDoubling(t *testing.T) {
	const n = 6
	rng := rand.New(rand.NewPCG(4, 4))
	M := mat.NewDense(n, n, randVec(rng, n*n, 1))
	M.Scale(0.99/SpectralRadius(M), M)
	g := randVec(rng, n, 1)
	Q := mat.NewDense(n, n, nil)
	Q.Outer(1, mat.NewVecDense(n, g), mat.NewVecDense(n, g))
	P, err := lyapunovDoubling(M, Q)
	if err != nil {
		t.Fatal(err)
	}
	var res, tmp mat.Dense
	tmp.Mul(M, P)
	res.Mul(&tmp, M.T())
	res.Add(&res, Q)
	res.Sub(&res, P)
	if r := mat.Norm(&res, 2) / mat.Norm(P, 2); r > 1e-12 {
		t.Errorf("residual ‖MPMᵀ + Q − P‖/‖P‖ = %.3g", r)
	}
}

// TestMeasureSharedRun checks that measuring several models against one
// base run, whose outputs are computed once, gives the curves of measuring
// each alone, for both kinds of cell.
func TestMeasureSharedRun(t *testing.T) {
	gru, err := New(Config{Cell: GRU, In: 3, Hidden: 10, Out: 2, NumLayers: 1, Objective: Regression, Burn: 2}, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Model{perturbModel(t, MGRU, 12, 1.0, 6), gru} {
		b := perturbBatch(m.Config, 15, 3, 7)
		var others []*Model
		for _, r := range []int{2, 5, 2} {
			c, err := Compress(m, CompressSpec{Ranks: [2]int{r, r}, Joint: m.Cell.Gated()})
			if err != nil {
				t.Fatal(err)
			}
			others = append(others, c.Model)
		}
		run, err := runOf(nil, m, b)
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range others {
			shared, err := measure(m, o, b, run)
			if err != nil {
				t.Fatal(err)
			}
			alone, err := Measure(m, o, b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(shared, alone) {
				t.Errorf("%s, model %d: measured against a shared run %+v, alone %+v", m.Cell, i, shared, alone)
			}
		}
	}
}
