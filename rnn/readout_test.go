package rnn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// The capacity is the mean of the runs' capacities (negative R² counting
// as none), and its interval Student's t at 95% over the runs.
func TestCapacityOf(t *testing.T) {
	curves := [][]float64{{1, 0.5, -0.1}, {1, 0.25, 0}, {0.5, 0.5, 0.5}, {1, 1, -1}} // capacities 1.5, 1.25, 1.5, 2
	c := capacityOf(curves, 1e-6)
	if c.MC != 1.5625 || c.Lambda != 1e-6 || !slices.Equal(c.Curve, []float64{0.875, 0.5625, -0.15}) {
		t.Errorf("capacityOf = %+v, want MC 1.5625 and the mean curve", c)
	}
	// sd of 1.5, 1.25, 1.5, 2 is 0.3146; t(0.975, 3) = 3.182446.
	sd := math.Sqrt((2*0.0625*0.0625 + 0.3125*0.3125 + 0.4375*0.4375) / 3)
	if want := 3.182446305 * sd / 2; math.Abs(c.CI-want) > 1e-8 {
		t.Errorf("CI = %.10f, want %.10f", c.CI, want)
	}
	if c := capacityOf([][]float64{{0.5}, {0.5}}, 0); c.CI != 0 || c.MC != 0.5 {
		t.Errorf("identical runs: %+v, want MC 0.5 ± 0", c)
	}
}

// Where the normal equations are well conditioned, the readout from the
// SVD is task.FitRidge's, at every penalty.
func TestSVDRidgeMatchesNormalEquations(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := mat.NewDense(300, 6, nil), mat.NewDense(300, 2, nil)
	for i := 0; i < 300; i++ {
		for j := 0; j < 6; j++ {
			x.Set(i, j, rng.NormFloat64()+float64(j))
		}
		y.Set(i, 0, x.At(i, 0)-2*x.At(i, 3)+0.1*rng.NormFloat64())
		y.Set(i, 1, rng.NormFloat64())
	}
	f, err := newSVDRidge(x, y)
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range []float64{1e-8, 1e-2, 1} {
		got, _ := f.readout(rel)
		want, err := task.FitRidge(x, y, rel*meanVariance(x))
		if err != nil {
			t.Fatal(err)
		}
		if !mat.EqualApprox(got.W, want.W, 1e-10) || !slices.EqualFunc(got.B, want.B, func(a, b float64) bool { return math.Abs(a-b) < 1e-10 }) {
			t.Errorf("λ = %g: SVD readout %v %v, normal equations %v %v", rel, mat.Formatted(got.W.T()), got.B, mat.Formatted(want.W.T()), want.B)
		}
	}
}

// The float32 Cholesky factor and solve agree with float64 to float32
// accuracy, and a matrix that is not positive definite has no factor.
func TestNormal32(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x, y := mat.NewDense(200, 4, nil), mat.NewDense(200, 1, nil)
	for i := 0; i < 200; i++ {
		for j := 0; j < 4; j++ {
			x.Set(i, j, rng.NormFloat64())
		}
		y.Set(i, 0, x.At(i, 1)+0.5*x.At(i, 2))
	}
	got, err := newNormal32(x, y).readout(1e-3)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := task.FitRidge(x, y, 1e-3*meanVariance(x))
	if !mat.EqualApprox(got.W, want.W, 1e-5) {
		t.Errorf("float32 readout %v, float64 %v", mat.Formatted(got.W.T()), mat.Formatted(want.W.T()))
	}
	if cholesky32([]float32{1, 2, 0, 1}, 2) { // [[1 2] [2 1]] has eigenvalue −1
		t.Error("an indefinite matrix was factored")
	}
}

// The linear network of the committed check (lowrank memory: n = 128,
// Gaussian A of spectral radius 0.9, seed 1): truncated to rank r it
// stores r delays (Σ_{k≥1} m(k) = r up to the delays beyond K = 64, which
// hold less than 1e-3 here). The SVD estimator at the λ validation
// chooses measures that; the normal equations at the fixed λ = 1e-8 of
// the earlier estimator measured 6.87 at rank 8.
func TestLinearMemoryEstimator(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the 128-unit linear network")
	}
	a, v := linearNet(128, 0.9, false, 1)
	for _, r := range []Rank{8, 16} {
		ar, _, err := truncateLinear(a, r)
		if err != nil {
			t.Fatal(err)
		}
		c, err := LinearMemory(ar, v, MemoryConfig{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(c.MC-float64(r)) > 0.05 || c.CI > 0.05 || c.Lambda > 1e-12 {
			t.Errorf("rank %s: MC %.4f ± %.4f at λ = %g; want %d within 0.05, chosen below 1e-12", r, c.MC, c.CI, c.Lambda, r)
		}
		if r != 8 {
			continue
		}
		old, _, err := linearEstimate(ar, v, MemoryConfig{Seed: 1, Lambda: 1e-8}, EstimatorNormal, false)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(old[0].valid-6.88) > 0.05 {
			t.Errorf("rank 8, normal equations at λ = 1e-8: validation MC %.4f, want 6.88", old[0].valid)
		}
	}
}

// The estimator paths: every estimator has one chosen point, the one of
// the largest validation capacity, scored on the test runs; the normal
// equations cannot fit the smallest penalties of a truncated network,
// whose state covariance is singular; the SVD estimator's chosen point is
// LinearMemory's measurement.
func TestLinearRidgePaths(t *testing.T) {
	cfg := MemoryConfig{K: 12, Steps: 1500, Runs: 3, Seed: 2}
	pts, err := LinearRidgePaths(16, 0.9, false, 3, Ranks{4, Full}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	grid := len(memoryLambdas())
	for _, r := range []Rank{4, Full} {
		for _, e := range Estimators {
			var path []RidgePoint
			for _, p := range pts {
				if p.Rank == r && p.Estimator == e {
					path = append(path, p)
				}
			}
			if len(path) == 0 || len(path) > grid {
				t.Fatalf("rank %s, %s: %d points of a grid of %d", r, e, len(path), grid)
			}
			best := slices.MaxFunc(path, func(a, b RidgePoint) int { return cmpFloat(a.Valid, b.Valid) })
			chosen := slices.IndexFunc(path, func(p RidgePoint) bool { return p.Chosen })
			if chosen < 0 || path[chosen].Valid != best.Valid || slices.ContainsFunc(path[:chosen], func(p RidgePoint) bool { return p.Valid == best.Valid }) {
				t.Errorf("rank %s, %s: chosen %d of %+v; want the largest λ of the best validation MC", r, e, chosen, path)
				continue
			}
			c := path[chosen].Test
			if len(c.Curve) != 12 || c.Lambda != path[chosen].Lambda || c.MC <= 0 {
				t.Errorf("rank %s, %s: test capacity %+v", r, e, c)
			}
			switch e {
			case EstimatorNormal, EstimatorF32:
				if r != Full && len(path) == grid {
					t.Errorf("rank %s, %s: fitted every λ down to 1e-36", r, e)
				}
			case EstimatorSVD:
				ar, _, _ := truncateLinear(linearNetFor(16, 3), r)
				lm, err := LinearMemory(ar, linearV(16, 3), cfg)
				if err != nil || lm.MC != c.MC || lm.Lambda != c.Lambda {
					t.Errorf("rank %s: LinearMemory %+v (%v), the path's chosen %+v", r, lm, err, c)
				}
			}
		}
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func linearNetFor(n int, seed uint64) *mat.Dense { a, _ := linearNet(n, 0.9, false, seed); return a }

func linearV(n int, seed uint64) []float64 { _, v := linearNet(n, 0.9, false, seed); return v }
