package rnn

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// memoryFromPoles is an independent oracle for the memory curve m(k),
// k = 0..K, of a linear network whose reachable dynamics have the
// eigenvalues poles. The delay sequences a state can read out, k ↦ cᵀA^k v,
// span the sequences k ↦ λ^k of A's eigenvalues λ (controllable A, v), so
// m(k) depends on the poles alone: it is Σ_j |φ_j[k]|² over an orthonormal
// basis φ_j of that span in ℓ². The Takenaka–Malmquist functions
// φ_j(z) = √(1−|λ_j|²)/(1 − λ_j z) · Π_{i<j} (z − λ̄_i)/(1 − λ_i z) are one:
// an impulse passed through a cascade of all-pass sections, computed in
// float64 without ever forming, let alone inverting, P.
func memoryFromPoles(poles []complex128, K int) []float64 {
	s := make([]complex128, K+1) // the impulse after the all-pass sections so far
	s[0] = 1
	m := make([]float64, K+1)
	for _, l := range poles {
		c := complex(math.Sqrt(1-real(l)*real(l)-imag(l)*imag(l)), 0)
		var y complex128
		for k, x := range s { // y = c/(1 − l z) s
			y = l*y + c*x
			m[k] += real(y)*real(y) + imag(y)*imag(y)
		}
		var in, out complex128
		for k, x := range s { // s ← (z − l̄)/(1 − l z) s
			out = l*out + in - cmplx.Conj(l)*x
			in, s[k] = x, out
		}
	}
	return m
}

func eigenvalues(t *testing.T, a mat.Matrix) []complex128 {
	t.Helper()
	var eig mat.Eigen
	if !eig.Factorize(a, mat.EigenNone) {
		t.Fatal("eigendecomposition failed")
	}
	return eig.Values(nil)
}

// linearNetCmd is the linear network of `lowrank memory` (cmd/lowrank,
// linearRows) with its defaults: n = 128, radius 0.9, Gaussian A, seed 1.
func linearNetCmd() (*mat.Dense, []float64) {
	rng := rand.New(rand.NewPCG(1, 0x6c696e656172)) // "linear"
	a := RandomRecurrent(rng, 128, 0.9, false)
	v := make([]float64, 128)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return a, v
}

// The committed network's exact capacities over delays 1..64. A rank-r
// truncation reaches r + 1 dimensions, m(0) = 1 (u_t is read from the
// coordinate along v), so delays k ≥ 1 hold r in all: within K = 64 that
// is all of it at ranks 8, 16 and 32, and 62.16 of 64 at rank 64.
func TestLinearMemoryExactPinned(t *testing.T) {
	a, v := linearNetCmd()
	const K = 64
	for _, c := range []struct {
		rank int
		mc   float64
	}{{8, 8}, {16, 16}, {32, 32}, {64, 62.155212}} {
		ar, err := TruncatedSVD(a, c.rank)
		if err != nil {
			t.Fatal(err)
		}
		dense, err := LinearMemoryExact(ar, v, K) // as `lowrank memory` calls it
		if err != nil {
			t.Fatal(err)
		}
		u, s, w, err := TruncatedSVDFactors(a, c.rank)
		if err != nil {
			t.Fatal(err)
		}
		fact, err := LowRankMemoryExact(u, s, w, v, K)
		if err != nil {
			t.Fatal(err)
		}
		for _, th := range []MemoryTheory{dense, fact} {
			if math.Abs(th.MC()-c.mc) > 5e-6 || th.M0 != 1 || th.Dim != c.rank+1 || len(th.Curve) != K {
				t.Errorf("rank %d: Σ_{k=1..%d} m(k) = %.7f, m(0) = %v, Dim %d, %d delays; want %.6f, 1, %d, %d",
					c.rank, K, th.MC(), th.M0, th.Dim, len(th.Curve), c.mc, c.rank+1, K)
			}
			// MC ≤ r + 1, exactly: Σ_{k=0..K} m(k) ≤ Dim = r + 1.
			if total := th.MC() + th.M0; total > float64(th.Dim)+1e-9 {
				t.Errorf("rank %d: Σ_{k=0..%d} m(k) = %.12f > r + 1 = %d", c.rank, K, total, th.Dim)
			}
			if !(th.Cond > 1e10) || th.Prec < 128 {
				t.Errorf("rank %d: condition number %.3g at %d bits: the reduced covariance should be ill-conditioned", c.rank, th.Cond, th.Prec)
			}
		}
		for k := range dense.Curve {
			if d := math.Abs(dense.Curve[k] - fact.Curve[k]); d > 1e-7 {
				t.Errorf("rank %d: m(%d) = %.10f from the dense truncation, %.10f from its factors", c.rank, k+1, dense.Curve[k], fact.Curve[k])
			}
		}
		// The oracle: the reduced dynamics M = S Wᵀ U and the lifted
		// coordinate along v (a pole at 0).
		var m mat.Dense
		m.Mul(w.T(), u)
		m.Apply(func(i, j int, x float64) float64 { return s[i] * x }, &m)
		want := memoryFromPoles(append(eigenvalues(t, &m), 0), K)
		for k := 1; k <= K; k++ {
			if d := math.Abs(fact.Curve[k-1] - want[k]); d > 1e-8 {
				t.Errorf("rank %d: m(%d) = %.12f, from the poles %.12f", c.rank, k, fact.Curve[k-1], want[k])
			}
		}
	}
}

// At full rank the 128-dimensional network stores every delay up to 64
// almost perfectly: the exact value, where float64 estimates with a cut on
// P's eigenvalues give 49.9 to 64.
func TestLinearMemoryExactFullRank(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of 384-bit arithmetic")
	}
	a, v := linearNetCmd()
	const K = 64
	th, err := LinearMemoryExact(a, v, K)
	if err != nil {
		t.Fatal(err)
	}
	want := memoryFromPoles(eigenvalues(t, a), K)
	for k := 0; k <= K; k++ {
		got := th.M0
		if k > 0 {
			got = th.Curve[k-1]
		}
		if math.Abs(got-want[k]) > 1e-8 {
			t.Errorf("m(%d) = %.12f, from the poles %.12f", k, got, want[k])
		}
	}
	if d := mat.Det(a); math.Abs(th.M0-(1-d*d)) > 1e-12 || th.Dim != 128 || math.Abs(th.MC()-64) > 1e-4 {
		t.Errorf("m(0) = %v (1 − det² = %v), Dim %d, MC %.6f; want Dim 128 and MC 64.0000", th.M0, 1-d*d, th.Dim, th.MC())
	}
	t.Logf("full rank: MC = %.9f, κ(P) = %.3g, %d bits", th.MC(), th.Cond, th.Prec)
}

// Small networks of every kind against the oracle: Gaussian and scaled
// orthogonal A, full rank and truncated, Σ_{k≥0} m(k) = Dim.
func TestLinearMemoryExactSmall(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		for _, c := range []struct {
			radius float64
			orth   bool
		}{{0.9, false}, {0.5, false}, {0.95, true}} {
			const n, K = 12, 400
			a, v := memLinearNet(seed, n, c.radius, c.orth)
			for _, r := range []int{0, 1, 5, 11, n} {
				var th MemoryTheory
				var poles []complex128
				var err error
				if r == n {
					th, err = LinearMemoryExact(a, v, K)
					poles = eigenvalues(t, a)
				} else {
					u, s, w, err := TruncatedSVDFactors(a, r)
					if err != nil {
						t.Fatal(err)
					}
					th, err = LowRankMemoryExact(u, s, w, v, K)
					if err != nil {
						t.Fatal(err)
					}
					var m mat.Dense
					if r > 0 {
						m.Mul(w.T(), u)
						m.Apply(func(i, j int, x float64) float64 { return s[i] * x }, &m)
						poles = eigenvalues(t, &m)
					}
					poles = append(poles, 0)
				}
				if err != nil {
					t.Fatal(err)
				}
				want := memoryFromPoles(poles, K)
				if math.Abs(th.M0-want[0]) > 1e-10 {
					t.Errorf("seed %d %+v rank %d: m(0) = %.12f, from the poles %.12f", seed, c, r, th.M0, want[0])
				}
				for k, x := range th.Curve {
					if math.Abs(x-want[k+1]) > 1e-10 {
						t.Errorf("seed %d %+v rank %d: m(%d) = %.12f, from the poles %.12f", seed, c, r, k+1, x, want[k+1])
						break
					}
				}
				if dim := min(r+1, n); th.Dim != dim || math.Abs(th.MC()+th.M0-float64(dim)) > 1e-9 {
					t.Errorf("seed %d %+v rank %d: Σ_{k≥0} m(k) = %.12f, Dim %d; want %d", seed, c, r, th.MC()+th.M0, th.Dim, dim)
				}
			}
		}
	}
}

// Pairs that do not reach the whole space: v an eigenvector, v = 0, A = 0,
// and v inside the range of a truncated A.
func TestLinearMemoryExactUnreached(t *testing.T) {
	a := mat.NewDense(3, 3, []float64{0.5, 0, 0, 0, -0.3, 0, 0, 0, 0.8})
	th, err := LinearMemoryExact(a, []float64{2, 0, 0}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if th.Dim != 1 || math.Abs(th.M0-0.75) > 1e-15 {
		t.Errorf("v an eigenvector: Dim %d, m(0) = %v; want 1 and 1 − 0.5² = 0.75", th.Dim, th.M0)
	}
	for k, x := range th.Curve {
		if want := math.Pow(0.5, 2*float64(k+1)) * 0.75; math.Abs(x-want) > 1e-15 {
			t.Errorf("v an eigenvector: m(%d) = %v, want %v", k+1, x, want)
		}
	}
	th, err = LinearMemoryExact(a, []float64{0, 0, 0}, 5)
	if err != nil || th.Dim != 0 || th.M0 != 0 || th.MC() != 0 {
		t.Errorf("v = 0: %+v, %v; want nothing reached", th, err)
	}
	th, err = LinearMemoryExact(mat.NewDense(3, 3, nil), []float64{1, 2, 3}, 5)
	if err != nil || th.Dim != 1 || th.M0 != 1 || th.MC() != 0 {
		t.Errorf("A = 0: %+v, %v; want m(0) = 1 and nothing else", th, err)
	}
	// v = the first left singular vector of a rank-2 A: the state stays in
	// span(U), 2 dimensions, u_t no longer read perfectly.
	full, _ := memLinearNet(5, 6, 0.9, false)
	u, s, w, err := TruncatedSVDFactors(full, 2)
	if err != nil {
		t.Fatal(err)
	}
	v := mat.Col(nil, 0, u)
	th, err = LowRankMemoryExact(u, s, w, v, 300)
	if err != nil {
		t.Fatal(err)
	}
	var b mat.Dense // the dynamics in the coordinates of U
	b.Mul(w.T(), u)
	b.Apply(func(i, j int, x float64) float64 { return s[i] * x }, &b)
	want := memoryFromPoles(eigenvalues(t, &b), 300)
	if th.Dim != 2 || math.Abs(th.M0-want[0]) > 1e-9 || math.Abs(th.MC()+th.M0-2) > 1e-9 {
		t.Errorf("v in span(U): Dim %d, m(0) = %.12f (from the poles %.12f), Σ = %.12f; want 2, Σ = 2", th.Dim, th.M0, want[0], th.MC()+th.M0)
	}
}

func TestLinearMemoryExactErrors(t *testing.T) {
	a, v := memLinearNet(1, 4, 0.9, false)
	nan := mat.DenseCopyOf(a)
	nan.Set(1, 2, math.NaN())
	unstable := mat.DenseCopyOf(a)
	unstable.Scale(1.2, unstable)
	u, s, w, _ := TruncatedSVDFactors(unstable, 2)
	for _, c := range []struct {
		name string
		err  func() error
		want string
	}{
		{"unstable", func() error { _, err := LinearMemoryExact(unstable, v, 3); return err }, "not stable"},
		{"unstable factors", func() error { _, err := LowRankMemoryExact(u, s, w, v, 3); return err }, "not stable"},
		{"NaN", func() error { _, err := LinearMemoryExact(nan, v, 3); return err }, "finite"},
		{"short v", func() error { _, err := LinearMemoryExact(a, v[:3], 3); return err }, "v has 3"},
		{"K < 0", func() error { _, err := LinearMemoryExact(a, v, -1); return err }, "K = -1"},
		{"factor shapes", func() error { _, err := LowRankMemoryExact(u, s[:1], w, v, 3); return err }, "s has 1"},
		{"negative rank", func() error { _, _, _, err := TruncatedSVDFactors(a, -1); return err }, "rank -1"},
	} {
		if err := c.err(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

// The measured capacity of the committed linear network against the ridge
// penalty: the shortfall from the exact value is the estimator's, not the
// network's. Run with -v for the table.
func TestLinearMemoryRidge(t *testing.T) {
	if testing.Short() {
		t.Skip("twenty 10000-step runs of a 128-unit network")
	}
	a, v := linearNetCmd()
	lambdas := []float64{1e-6, 1e-8, 1e-10, 1e-12}
	t.Logf("rank   exact   MC at λ = %v", lambdas)
	for _, r := range []int{8, 16, 32, 64, 128} {
		ar := a
		if r < 128 {
			var err error
			if ar, err = TruncatedSVD(a, r); err != nil {
				t.Fatal(err)
			}
		}
		th, err := LinearMemoryExact(ar, v, 64)
		if err != nil {
			t.Fatal(err)
		}
		line := fmt.Sprintf("%4d  %6.2f ", r, th.MC())
		for _, l := range lambdas {
			c, err := LinearMemory(ar, v, MemoryConfig{K: 64, Steps: 10000, Lambda: l, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			mc := c.MC
			line += fmt.Sprintf("  %6.2f", mc)
			if mc > th.MC()+0.02 {
				t.Errorf("rank %d, λ = %g: measured MC %.4f above the exact %.4f", r, l, mc, th.MC())
			}
		}
		t.Log(line)
	}
}
