package rnn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func memSum(a []float64) float64 {
	var s float64
	for _, v := range a {
		s += v
	}
	return s
}

// driveStates is the float64 training forward pass, one sequence at a time.
func TestDriveStatesMatchesForward(t *testing.T) {
	for _, cell := range []Cell{RNN, MGRU} {
		m, err := New(Config{Cell: cell, In: 1, Hidden: 7, Out: 3, Objective: Regression}, 5)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for g := range cell.gates() {
			for i := range m.B[g] {
				m.B[g][i] = float32(0.3 * rng.NormFloat64())
			}
		}
		for i := range m.C {
			m.C[i] = float32(rng.NormFloat64())
		}
		const T = 40
		u := make([]float64, T)
		bt := Batch[float64]{T: T, B: 1, X: make([]float64, T), Y: make([]float64, T*m.Out)}
		for i := range u {
			u[i] = rng.NormFloat64()
			bt.X[i] = u[i]
		}
		nt := netOf[float64](m)
		var ps pass[float64]
		nt.forward(&ps, &bt)
		h, out := driveStates(m, u, true)
		n := m.Hidden
		for tt := 0; tt < T; tt++ {
			for i := 0; i < n; i++ {
				if d := math.Abs(h.At(tt, i) - ps.h[(tt+1)*n+i]); d > 1e-13 {
					t.Fatalf("%s: h[%d][%d] = %v, forward %v", cell, tt, i, h.At(tt, i), ps.h[(tt+1)*n+i])
				}
			}
			for j := 0; j < m.Out; j++ {
				if d := math.Abs(out.At(tt, j) - ps.o[tt*m.Out+j]); d > 1e-12 {
					t.Fatalf("%s: out[%d][%d] = %v, forward %v", cell, tt, j, out.At(tt, j), ps.o[tt*m.Out+j])
				}
			}
		}
	}
}

// A scalar network x_t = a x_{t−1} + u_t: P = 1/(1−a²), m(k) = a^{2k}(1−a²).
func TestLinearMemoryTheoryScalar(t *testing.T) {
	a := 0.8
	curve, m0, err := LinearMemoryTheory(mat.NewDense(1, 1, []float64{a}), []float64{2}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 - a*a; math.Abs(m0-want) > 1e-12 {
		t.Errorf("m(0) = %v, want %v", m0, want)
	}
	for k := 1; k <= 5; k++ {
		if want := math.Pow(a, 2*float64(k)) * (1 - a*a); math.Abs(curve[k-1]-want) > 1e-12 {
			t.Errorf("m(%d) = %v, want %v", k, curve[k-1], want)
		}
	}
	if _, _, err := LinearMemoryTheory(mat.NewDense(1, 1, []float64{1.01}), []float64{1}, 5); err == nil {
		t.Error("an unstable A gave no error")
	}
	if _, _, err := LinearMemory(mat.NewDense(1, 1, []float64{1.01}), []float64{1}, MemoryConfig{K: 2, Steps: 100}); err == nil || !strings.Contains(err.Error(), "not stable") {
		t.Errorf("LinearMemory of an unstable A: error %v", err)
	}
}

func memLinearNet(seed uint64, n int, radius float64, orth bool) (*mat.Dense, []float64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	a := RandomRecurrent(rng, n, radius, orth)
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return a, v
}

// The measured memory of a linear network matches the theory; MC ≤ N, and
// after a rank-r truncation of A, MC ≤ r + 1.
func TestLinearMemory(t *testing.T) {
	const n, K = 10, 150
	a, v := memLinearNet(3, n, 0.9, false)
	cfg := MemoryConfig{K: K, Steps: 20000, Seed: 1}
	th, m0, err := LinearMemoryTheory(a, v, K)
	if err != nil {
		t.Fatal(err)
	}
	if total := memSum(th) + m0; math.Abs(total-n) > 1e-6 {
		t.Errorf("Σ_{k≥0} m(k) = %v, want N = %d", total, n)
	}
	// P = APAᵀ + vvᵀ gives det P = det(APAᵀ)(1 + x), x = vᵀ(APAᵀ)⁻¹v, and
	// m(0) = x/(1 + x): m(0) = 1 − det(A)².
	if d := mat.Det(a); math.Abs(m0-(1-d*d)) > 1e-9 {
		t.Errorf("m(0) = %v, want 1 − det(A)² = %v", m0, 1-d*d)
	}
	mc, curve, err := LinearMemory(a, v, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(curve) != K {
		t.Fatalf("curve has %d delays, want %d", len(curve), K)
	}
	if want := memSum(th); math.Abs(mc-want) > 0.05*want || mc > n {
		t.Errorf("MC = %.4f, theory %.4f (want within 5%%, and ≤ N = %d)", mc, want, n)
	}
	for _, r := range []int{1, 3, 6} {
		ar, err := TruncatedSVD(a, r)
		if err != nil {
			t.Fatal(err)
		}
		var svd mat.SVD
		svd.Factorize(ar, mat.SVDNone)
		if s := svd.Values(nil); s[r-1] < 1e-6 || s[r] > 1e-10 {
			t.Fatalf("rank %d truncation has singular values %v", r, s)
		}
		th, m0, err := LinearMemoryTheory(ar, v, K)
		if err != nil {
			t.Fatal(err)
		}
		if total := memSum(th) + m0; total > float64(r+1)+1e-6 {
			t.Errorf("rank %d: theory Σ_{k≥0} m(k) = %v > r + 1", r, total)
		}
		mc, _, err := LinearMemory(ar, v, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if mc > float64(r+1)+0.05 {
			t.Errorf("rank %d: MC = %.4f > r + 1", r, mc)
		}
		if want := memSum(th); math.Abs(mc-want) > 0.05*want {
			t.Errorf("rank %d: MC = %.4f, theory %.4f", r, mc, want)
		}
	}
}

// A normal (scaled orthogonal) linear network with white input stores
// N in total: MC over delays k ≥ 1 is N − m(0) = N − 1 + ρ^{2N}.
func TestLinearMemoryOrthogonal(t *testing.T) {
	const n = 10
	a, v := memLinearNet(4, n, 0.95, true)
	th, m0, err := LinearMemoryTheory(a, v, 300)
	if err != nil {
		t.Fatal(err)
	}
	if total := memSum(th) + m0; math.Abs(total-n) > 1e-6 {
		t.Errorf("Σ_{k≥0} m(k) = %v, want N = %d", total, n)
	}
	if want := 1 - math.Pow(0.95, 2*n); math.Abs(m0-want) > 1e-6 {
		t.Errorf("m(0) = %v, want 1 − ρ^{2N} = %v", m0, want)
	}
	mc, _, err := LinearMemory(a, v, MemoryConfig{K: 300, Steps: 20000, Washout: 500, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if mc < n-1-0.05 || mc > n || math.Abs(mc+m0-n) > 0.05*n {
		t.Errorf("MC = %.4f (+ m(0) = %.4f): want close to N = %d", mc, m0, n)
	}
}

func TestRandomReservoir(t *testing.T) {
	for _, orth := range []bool{false, true} {
		m, err := RandomReservoir(MGRU, 24, 0.9, orth, 3)
		if err != nil {
			t.Fatal(err)
		}
		for g := range 2 {
			u := toDense(m.U[g])
			if r := SpectralRadius(u); math.Abs(r-0.9) > 1e-5 {
				t.Errorf("orthogonal=%v gate %d: spectral radius %v, want 0.9", orth, g, r)
			}
			if orth {
				var svd mat.SVD
				svd.Factorize(u, mat.SVDNone)
				for _, s := range svd.Values(nil) {
					if math.Abs(s-0.9) > 1e-5 {
						t.Fatalf("orthogonal gate %d: singular value %v, want 0.9", g, s)
					}
				}
			}
		}
		again, _ := RandomReservoir(MGRU, 24, 0.9, orth, 3)
		if !memSameWeights(m, again) {
			t.Errorf("orthogonal=%v: the same seed gave different networks", orth)
		}
	}
	if _, err := RandomReservoir(RNN, 8, 0, false, 1); err == nil {
		t.Error("radius 0 gave no error")
	}
	if _, err := RandomReservoir("tcn", 8, 0.9, false, 1); err == nil {
		t.Error("an unknown cell gave no error")
	}
}

func memSameWeights(a, b *Model) bool {
	pa, pb := a.Params(), b.Params()
	for i := range pa {
		for j := range pa[i].Data {
			if pa[i].Data[j] != pb[i].Data[j] {
				return false
			}
		}
	}
	return true
}

// Tanh reservoirs: the refitted capacity falls with the rank on average
// (a single network may gain a little memory from a truncation), the fixed
// readout does no better than the refitted one, and full rank is the
// original.
func TestReservoirMemoryUnderCompression(t *testing.T) {
	const n = 32
	ranks := []int{2, 4, 8, 16}
	avg := make([]float64, len(ranks)+1) // refitted MC at each rank, then n, over the conditions
	conditions := 0
	for _, orth := range []bool{false, true} {
		m, err := RandomReservoir(RNN, n, 0.9, orth, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, rho := range []float64{0, 0.9} {
			conditions++
			p, err := NewMemoryProbe(m, MemoryConfig{Rho: rho, K: 32, Steps: 4000, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			orig, err := p.Measure(m)
			if err != nil {
				t.Fatal(err)
			}
			if orig.MCFixed != orig.MCRefit {
				t.Errorf("uncompressed: fixed MC %v ≠ refitted %v", orig.MCFixed, orig.MCRefit)
			}
			avg[len(ranks)] += orig.MCRefit
			for i, r := range append(ranks, n) {
				c, err := Compress(m, CompressSpec{Ranks: [2]int{r}})
				if err != nil {
					t.Fatal(err)
				}
				res, err := p.Measure(c.Model)
				if err != nil {
					t.Fatal(err)
				}
				if res.MCFixed > res.MCRefit+0.25 {
					t.Errorf("orth=%v ρ=%v rank %d: fixed MC %.3f > refitted %.3f", orth, rho, r, res.MCFixed, res.MCRefit)
				}
				if r == n {
					if math.Abs(res.MCFixed-orig.MCFixed) > 1e-6 || math.Abs(res.MCRefit-orig.MCRefit) > 1e-6 {
						t.Errorf("orth=%v ρ=%v full rank: MC %.8f/%.8f, original %.8f", orth, rho, res.MCFixed, res.MCRefit, orig.MCRefit)
					}
					continue
				}
				if i == 0 && res.MCRefit > orig.MCRefit-1 {
					t.Errorf("orth=%v ρ=%v: rank 2 keeps refitted MC %.3f of %.3f", orth, rho, res.MCRefit, orig.MCRefit)
				}
				avg[i] += res.MCRefit
			}
		}
	}
	for i := range avg {
		avg[i] /= float64(conditions)
	}
	for i := 1; i < len(avg); i++ {
		if avg[i] <= avg[i-1] {
			t.Errorf("mean refitted MC over ranks %v, n: %.3f does not rise with the rank", ranks, avg)
			break
		}
	}
}

// The task metric is the fixed-readout condition with the model's own
// readout: with the fitted readout copied into R and c, the two agree.
func TestMemoryTaskReadout(t *testing.T) {
	const K = 6
	m, err := New(Config{Cell: MGRU, In: 1, Hidden: 12, Out: K, Objective: Regression, Burn: K}, 2)
	if err != nil {
		t.Fatal(err)
	}
	cfg := MemoryConfig{Rho: 0.5, K: K, Steps: 3000, Seed: 3, Task: true}
	p, err := NewMemoryProbe(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for j := 0; j < K; j++ {
		for i := 0; i < m.Hidden; i++ {
			m.R.Set(j, i, float32(p.fixed.W.At(i, j)))
		}
		m.C[j] = float32(p.fixed.B[j])
	}
	res, err := p.Measure(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Task) != K {
		t.Fatalf("task curve has %d delays, want %d", len(res.Task), K)
	}
	for k := range res.Task {
		if math.Abs(res.Task[k]-res.Fixed[k]) > 1e-4 {
			t.Errorf("R²(%d): own readout %.6f, fixed readout %.6f", k+1, res.Task[k], res.Fixed[k])
		}
	}
	if math.Abs(res.MCTask-res.MCFixed) > 1e-3 {
		t.Errorf("task MC %.5f, fixed MC %.5f", res.MCTask, res.MCFixed)
	}
	// Whitened compression calibrated on the probe's training run: full
	// rank is the original.
	cal, err := p.Calibrate(m)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compress(m, CompressSpec{Ranks: [2]int{12, 12}, Method: Whitened, Calibration: cal})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := p.Measure(c.Model)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(rc.MCRefit-res.MCRefit) > 1e-4 || math.Abs(rc.MCTask-res.MCTask) > 1e-4 {
		t.Errorf("whitened full rank: MC %.6f task %.6f, original %.6f task %.6f", rc.MCRefit, rc.MCTask, res.MCRefit, res.MCTask)
	}
}

func TestMemoryErrors(t *testing.T) {
	res, _ := RandomReservoir(RNN, 8, 0.9, false, 1)
	two, _ := New(Config{Cell: RNN, In: 2, Hidden: 8, Out: 1, Objective: Regression}, 1)
	cls, _ := New(Config{Cell: RNN, In: 1, Hidden: 8, Out: 3, Objective: ClassifyLast}, 1)
	other, _ := RandomReservoir(RNN, 9, 0.9, false, 1)
	for _, c := range []struct {
		m, ref *Model
		cfg    MemoryConfig
		want   string
	}{
		{res, res, MemoryConfig{Rho: 1}, "outside [0, 1)"},
		{res, res, MemoryConfig{Rho: -0.1}, "outside [0, 1)"},
		{res, res, MemoryConfig{K: -1}, "largest delay"},
		{res, res, MemoryConfig{Lambda: -1}, "ridge"},
		{res, res, MemoryConfig{K: 10, Washout: 5}, "washout"},
		{res, res, MemoryConfig{K: 10, Steps: 100, Washout: 90}, "steps"},
		{two, two, MemoryConfig{}, "inputs"},
		{cls, cls, MemoryConfig{Task: true}, "objective"},
		{other, res, MemoryConfig{K: 4, Steps: 200}, "does not match"},
	} {
		_, err := MemoryCurve(c.m, c.ref, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", c.cfg, err, c.want)
		}
	}
}
