package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// stepCase is one recurrent layer with random weights: dense and low-rank
// recurrent matrices (MGRU: U_f and U_h), biases, a state and projections.
type stepCase struct {
	n, r           int
	ufM, uhM       Matrix // dense, row-major
	uf, uh         *Packed
	lrf, lrh       *PackedLowRank // rank r, sharing one V (joint truncation)
	h, xpf, xph    []float32
	bf, bh         []float32
	absUf, absUh   Matrix // |U| for the error bounds
	absLRf, absLRh Matrix // |U_lr|·|V| products, for the low-rank bounds
}

func randVec(rng *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(scale * (2*rng.Float64() - 1))
	}
	return v
}

// randMatrix returns an n×m matrix with entries uniform in ±scale.
func randMatrix(rng *rand.Rand, n, m int, scale float64) Matrix {
	a := NewMatrix(n, m)
	for i := range a.Data {
		a.Data[i] = float32(scale * (2*rng.Float64() - 1))
	}
	return a
}

func absMatrix(a Matrix) Matrix {
	b := NewMatrix(a.Rows, a.Cols)
	for i := 0; i < a.Rows; i++ {
		for j := 0; j < a.Cols; j++ {
			b.Set(i, j, float32(math.Abs(float64(a.At(i, j)))))
		}
	}
	return b
}

func mul64(a, b Matrix) Matrix {
	c := NewMatrix(a.Rows, b.Cols)
	for i := 0; i < a.Rows; i++ {
		for j := 0; j < b.Cols; j++ {
			var s float64
			for k := 0; k < a.Cols; k++ {
				s += float64(a.At(i, k)) * float64(b.At(k, j))
			}
			c.Set(i, j, float32(s))
		}
	}
	return c
}

// newStepCase returns a random layer of n units with rank-r low-rank
// weights, the dense matrices and U packed in geometry g and V in the next
// geometry of vGeometries (so that U and V differ, and V takes the tiles).
func newStepCase(seed uint64, n, r int, g Geometry) *stepCase {
	rng := rand.New(rand.NewPCG(seed, 7))
	// Entries of size ~1/√n keep the recurrence stable and the activations
	// out of saturation, where errors would hide.
	s := 1.5 / math.Sqrt(float64(n))
	c := &stepCase{n: n, r: r}
	c.ufM, c.uhM = randMatrix(rng, n, n, s), randMatrix(rng, n, n, s)
	c.uf, c.uh = PackWith(c.ufM, g), PackWith(c.uhM, g)
	v := randMatrix(rng, r, n, s)
	af, ah := randMatrix(rng, n, r, 1.5/math.Sqrt(float64(max(r, 1)))), randMatrix(rng, n, r, 1.5/math.Sqrt(float64(max(r, 1))))
	gv := vGeometries[(slices.Index(vGeometries, g)+1)%len(vGeometries)]
	c.lrf = PackLowRankWith(LowRank{U: af, V: v}, g, gv)
	c.lrh = &PackedLowRank{U: PackWith(ah, g), V: c.lrf.V} // one V, shared
	c.h = randVec(rng, n, 1)
	c.xpf, c.xph = randVec(rng, n, 1), randVec(rng, n, 1)
	c.bf, c.bh = randVec(rng, n, 0.5), randVec(rng, n, 0.5)
	c.absUf, c.absUh = absMatrix(c.ufM), absMatrix(c.uhM)
	c.absLRf, c.absLRh = mul64(absMatrix(af), absMatrix(v)), mul64(absMatrix(ah), absMatrix(v))
	return c
}

// stepBound bounds |fused − reference| for one output of a step whose
// pre-activation is s = (P·x)_i + xp_i + b_i: each of the two float32
// evaluations of the product carries at most terms·u·Σ|p_ij x_j| of error
// (see refVec), the two additions one rounding of |s| each, the activations
// are 1-Lipschitz (σ: ¼), and both sides' activations are within
// 4e-7 of the truth. errC leaves room for the double roundings of FMA.
func stepBound(terms int, absProd, absS float64) float64 {
	return 2*errC*float64(terms+2)*u32*(absProd+absS) + 2*4e-7
}

func absDot(a Matrix, i int, x []float32) float64 {
	var s float64
	for j, v := range x {
		s += float64(a.At(i, j)) * math.Abs(float64(v))
	}
	return s
}

func TestRNNStep(t *testing.T) {
	forEachTarget(t, func(t *testing.T) {
		for k, n := range []int{1, 2, 8, 9, 15, 16, 17, 33, 63, 64, 65, 100, 130, 256, 300} {
			for _, r := range []int{1, 5, 8, 16, 17} {
				g := testGeometries[(k+r)%len(testGeometries)]
				c := newStepCase(uint64(n*100+r), n, r, g)
				for _, w := range []struct {
					name  string
					u     Operator
					abs   Matrix
					terms int
				}{{"dense", c.uf, c.absUf, n}, {"lowrank", c.lrf, c.absLRf, n + r}} {
					got := make([]float32, n)
					want := make([]float32, n)
					RNNStep(got, c.h, c.xpf, c.bf, w.u)
					RNNStepGeneric(want, c.h, c.xpf, c.bf, w.u)
					for i := range got {
						ap := absDot(w.abs, i, c.h)
						bound := stepBound(w.terms, ap, ap+math.Abs(float64(c.xpf[i]))+math.Abs(float64(c.bf[i])))
						if d := math.Abs(float64(got[i] - want[i])); !(d <= bound) {
							t.Fatalf("%s n=%d r=%d (%v): h'[%d] = %v, reference %v, |diff| %.3g > bound %.3g",
								w.name, n, r, g, i, got[i], want[i], d, bound)
						}
					}
				}
			}
		}
	})
}

func TestMGRUStep(t *testing.T) {
	forEachTarget(t, func(t *testing.T) {
		for k, n := range []int{1, 2, 8, 9, 15, 16, 17, 33, 63, 64, 65, 100, 130, 256, 300} {
			for _, r := range []int{1, 8, 16, 17} {
				g := testGeometries[(k+2*r)%len(testGeometries)]
				c := newStepCase(uint64(n*100+r+50), n, r, g)
				for _, w := range []struct {
					name       string
					uf, uh     Operator
					absF, absH Matrix
					terms      int
				}{
					{"dense", c.uf, c.uh, c.absUf, c.absUh, n},
					{"lowrank", c.lrf, c.lrh, c.absLRf, c.absLRh, n + r},
				} {
					got := make([]float32, n)
					want := make([]float32, n)
					work := make([]float32, 2*n)
					workRef := make([]float32, 2*n)
					MGRUStep(got, c.h, c.xpf, c.xph, c.bf, c.bh, w.uf, w.uh, work)
					MGRUStepGeneric(want, c.h, c.xpf, c.xph, c.bf, c.bh, w.uf, w.uh, workRef)
					// The gate's error (σ is ¼-Lipschitz) reaches the
					// output through f·(h̃ − h) and U_h·(f ⊙ h); bound it
					// by the gate bound times (2 + Σ_j |U_h|_ij |h_j|)
					// plus the output's own bound.
					var gateMax float64
					for i := 0; i < n; i++ {
						ap := absDot(w.absF, i, c.h)
						gateMax = max(gateMax, stepBound(w.terms, ap, ap+math.Abs(float64(c.xpf[i]))+math.Abs(float64(c.bf[i]))))
					}
					for i := range got {
						ap := absDot(w.absH, i, c.h)
						bound := stepBound(w.terms, ap, ap+math.Abs(float64(c.xph[i]))+math.Abs(float64(c.bh[i]))) +
							gateMax*(2+ap) + 4*u32
						if d := math.Abs(float64(got[i] - want[i])); !(d <= bound) {
							t.Fatalf("%s n=%d r=%d (%v): h'[%d] = %v, reference %v, |diff| %.3g > bound %.3g",
								w.name, n, r, g, i, got[i], want[i], d, bound)
						}
					}
				}
			}
		}
	})
}

// TestMGRUConvention pins the gate convention of DESIGN.md with values
// computed by hand (float64): f = σ(0.2 + 0.5·0.5) = 0.610639…,
// h̃ = tanh(0.1 − 1·(f·0.5) + 0.3) = 0.094398…, and the new state
// (1 − f)·0.5 + f·h̃ = 0.252324…. The swapped convention, f·h + (1 − f)·h̃,
// would give 0.342124….
func TestMGRUConvention(t *testing.T) {
	uf := Pack(Matrix{Rows: 1, Cols: 1, Stride: 1, Data: []float32{0.5}})
	uh := Pack(Matrix{Rows: 1, Cols: 1, Stride: 1, Data: []float32{-1}})
	forEachTarget(t, func(t *testing.T) {
		hNew := make([]float32, 1)
		work := make([]float32, 2)
		MGRUStep(hNew, []float32{0.5}, []float32{0.2}, []float32{0.1}, []float32{0}, []float32{0.3}, uf, uh, work)
		for _, c := range []struct {
			what      string
			got, want float64
		}{
			{"f", float64(work[0]), 0.610639233949222},
			{"f⊙h", float64(work[1]), 0.610639233949222 * 0.5},
			{"h'", float64(hNew[0]), 0.25232379671240135},
		} {
			if math.Abs(c.got-c.want) > 1e-6 {
				t.Errorf("%s = %.9f, want %.9f", c.what, c.got, c.want)
			}
		}
	})
}

// TestRollout runs 1000 steps of each cell on the active target and on the
// reference, from the same state. The layers are contractive (spectral
// radius of U about 0.9 times the activations' slopes ≤ 1), so a per-step
// difference ε ≤ 1e-6 stays below ε/(1 − 0.9) = 1e-5; the test allows 1e-4.
func TestRollout(t *testing.T) {
	const steps, n, bound = 1000, 128, 1e-4
	rng := rand.New(rand.NewPCG(11, 12))
	// Uniform entries in ±a have variance a²/3; a spectral radius of about
	// √n·a/√3 = 0.9 needs a = 0.9·√3/√n.
	a := 0.9 * math.Sqrt(3) / math.Sqrt(n)
	u, u2 := Pack(randMatrix(rng, n, n, a)), Pack(randMatrix(rng, n, n, a))
	lr := PackLowRank(LowRank{U: randMatrix(rng, n, 16, 0.2), V: randMatrix(rng, 16, n, 0.2)})
	xs := make([][]float32, steps)
	for t := range xs {
		xs[t] = randVec(rng, n, 1)
	}
	b := randVec(rng, n, 0.1)
	forEachTarget(t, func(t *testing.T) {
		for _, cell := range []string{"rnn", "mgru", "rnn-lowrank"} {
			h, hr := make([]float32, n), make([]float32, n)
			next, nextr := make([]float32, n), make([]float32, n)
			work, workr := make([]float32, 2*n), make([]float32, 2*n)
			var worst float64
			for s := 0; s < steps; s++ {
				switch cell {
				case "rnn":
					RNNStep(next, h, xs[s], b, u)
					RNNStepGeneric(nextr, hr, xs[s], b, u)
				case "rnn-lowrank":
					RNNStep(next, h, xs[s], b, lr)
					RNNStepGeneric(nextr, hr, xs[s], b, lr)
				case "mgru":
					MGRUStep(next, h, xs[s], xs[(s+1)%steps], b, b, u, u2, work)
					MGRUStepGeneric(nextr, hr, xs[s], xs[(s+1)%steps], b, b, u, u2, workr)
				}
				h, next = next, h
				hr, nextr = nextr, hr
				for i := range h {
					worst = max(worst, math.Abs(float64(h[i]-hr[i])))
				}
			}
			if !(worst <= bound) {
				t.Errorf("%s: after %d steps the state differs from the reference by %.3g > %g", cell, steps, worst, bound)
			} else {
				t.Logf("%s: max |h − h_ref| over %d steps = %.3g", cell, steps, worst)
			}
		}
	})
}

func TestStepNaNPropagates(t *testing.T) {
	c := newStepCase(3, 40, 8, DefaultGeometry)
	forEachTarget(t, func(t *testing.T) {
		for _, u := range []Operator{c.uf, c.lrf} {
			h := append([]float32(nil), c.h...)
			h[5] = float32(math.NaN())
			got := make([]float32, c.n)
			RNNStep(got, h, c.xpf, c.bf, u)
			for i, v := range got {
				if v == v {
					t.Fatalf("%T: NaN in h[5] did not reach h'[%d] = %v", u, i, v)
				}
			}
			work := make([]float32, 2*c.n)
			MGRUStep(got, h, c.xpf, c.xph, c.bf, c.bh, u, u, work)
			if got[5] == got[5] {
				t.Fatalf("%T: MGRU: NaN in h[5] gave h'[5] = %v", u, got[5])
			}
		}
	})
}

func TestStepPanics(t *testing.T) {
	c := newStepCase(4, 8, 2, DefaultGeometry)
	h := make([]float32, 8)
	mustPanic(t, "short xp", func() { RNNStep(make([]float32, 8), h, make([]float32, 7), c.bf, c.uf) }, "len(xp) = 7")
	mustPanic(t, "wrong U", func() { RNNStep(make([]float32, 4), h[:4], c.xpf[:4], c.bf[:4], c.uf) }, "8×8", "len(h) = 4")
	mustPanic(t, "alias", func() { RNNStep(h, h, c.xpf, c.bf, c.uf) }, "overlap")
	mustPanic(t, "short work", func() {
		MGRUStep(make([]float32, 8), h, c.xpf, c.xph, c.bf, c.bh, c.uf, c.uh, make([]float32, 15))
	}, "len(work) = 15")
	mustPanic(t, "nil U", func() { RNNStep(make([]float32, 8), h, c.xpf, c.bf, nil) }, "nil")
}

func TestStepAllocs(t *testing.T) {
	c := newStepCase(5, 256, 32, Geometry{Rows: 64, Streams: 1, Accs: 8})
	got := make([]float32, c.n)
	work := make([]float32, 2*c.n)
	forEachTarget(t, func(t *testing.T) {
		for _, w := range []struct {
			name   string
			uf, uh Operator
		}{{"dense", c.uf, c.uh}, {"lowrank", c.lrf, c.lrh}} {
			if a := testing.AllocsPerRun(20, func() { RNNStep(got, c.h, c.xpf, c.bf, w.uf) }); a != 0 {
				t.Errorf("RNNStep %s: %v allocs, want 0", w.name, a)
			}
			if a := testing.AllocsPerRun(20, func() { MGRUStep(got, c.h, c.xpf, c.xph, c.bf, c.bh, w.uf, w.uh, work) }); a != 0 {
				t.Errorf("MGRUStep %s: %v allocs, want 0", w.name, a)
			}
		}
	})
}

func TestStepBatch(t *testing.T) {
	forEachTarget(t, func(t *testing.T) {
		for k, n := range []int{5, 16, 33, 64, 100, 130} {
			for _, B := range []int{1, 2, 3, 4, 5, 6, 8, 9} {
				g := testGeometries[(k+B)%len(testGeometries)]
				c := newStepCase(uint64(n*10+B), n, 7, g)
				rng := rand.New(rand.NewPCG(uint64(n), uint64(B)))
				// Strides wider than n: rows are views into larger buffers.
				h := randMatrixStride(rng, B, n, n+3, 1)
				xpf, xph := randMatrixStride(rng, B, n, n+1, 1), randMatrixStride(rng, B, n, n+5, 1)
				for _, w := range []struct {
					name   string
					uf, uh Operator
				}{{"dense", c.uf, c.uh}, {"lowrank", c.lrf, c.lrh}} {
					got := randMatrixStride(rng, B, n, n+2, 0)
					want := make([]float32, n)
					RNNStepBatch(got, h, xpf, c.bf, w.uf)
					for r := 0; r < B; r++ {
						RNNStepGeneric(want, h.Row(r), xpf.Row(r), c.bf, w.uf)
						compareLoose(t, fmt.Sprintf("RNNStepBatch %s n=%d B=%d (%v) row %d", w.name, n, B, g, r), got.Row(r), want, 2e-5)
					}
					work := make([]float32, 2*B*n)
					MGRUStepBatch(got, h, xpf, xph, c.bf, c.bh, w.uf, w.uh, work)
					for r := 0; r < B; r++ {
						MGRUStepGeneric(want, h.Row(r), xpf.Row(r), xph.Row(r), c.bf, c.bh, w.uf, w.uh, make([]float32, 2*n))
						compareLoose(t, fmt.Sprintf("MGRUStepBatch %s n=%d B=%d (%v) row %d", w.name, n, B, g, r), got.Row(r), want, 2e-5)
					}
				}
			}
		}
	})
}

func TestSequence(t *testing.T) {
	const T, n = 50, 40
	c := newStepCase(9, n, 6, Geometry{Rows: 32, Streams: 1, Accs: 16})
	rng := rand.New(rand.NewPCG(1, 2))
	xpf, xph := randMatrix(rng, T, n, 1), randMatrix(rng, T, n, 1)
	h0 := randVec(rng, n, 1)
	forEachTarget(t, func(t *testing.T) {
		hs := NewMatrix(T, n)
		ref := make([]float32, n)
		prev := append([]float32(nil), h0...)
		RNNSequence(hs, h0, xpf, c.bf, c.lrf)
		for s := 0; s < T; s++ {
			RNNStepGeneric(ref, prev, xpf.Row(s), c.bf, c.lrf)
			compareLoose(t, fmt.Sprintf("RNNSequence step %d", s), hs.Row(s), ref, 1e-5)
			copy(prev, ref)
		}
		copy(prev, h0)
		work := make([]float32, 2*n)
		MGRUSequence(hs, h0, xpf, xph, c.bf, c.bh, c.uf, c.uh, work)
		for s := 0; s < T; s++ {
			MGRUStepGeneric(ref, prev, xpf.Row(s), xph.Row(s), c.bf, c.bh, c.uf, c.uh, make([]float32, 2*n))
			compareLoose(t, fmt.Sprintf("MGRUSequence step %d", s), hs.Row(s), ref, 1e-5)
			copy(prev, ref)
		}
		if a := testing.AllocsPerRun(5, func() { MGRUSequence(hs, h0, xpf, xph, c.bf, c.bh, c.uf, c.uh, work) }); a != 0 {
			t.Errorf("MGRUSequence: %v allocs, want 0", a)
		}
	})
}

func TestStepBatchAllocs(t *testing.T) {
	const n, B = 64, 8
	c := newStepCase(10, n, 16, DefaultGeometry)
	rng := rand.New(rand.NewPCG(3, 4))
	h, xp := randMatrix(rng, B, n, 1), randMatrix(rng, B, n, 1)
	got := NewMatrix(B, n)
	work := make([]float32, 2*B*n)
	forEachTarget(t, func(t *testing.T) {
		for _, u := range []Operator{c.uf, c.lrf} {
			if a := testing.AllocsPerRun(10, func() { RNNStepBatch(got, h, xp, c.bf, u) }); a != 0 {
				t.Errorf("RNNStepBatch %T: %v allocs, want 0", u, a)
			}
			if a := testing.AllocsPerRun(10, func() { MGRUStepBatch(got, h, xp, xp, c.bf, c.bh, u, u, work) }); a != 0 {
				t.Errorf("MGRUStepBatch %T: %v allocs, want 0", u, a)
			}
		}
	})
}

// randMatrixStride returns a rows×cols view with the given stride into a
// buffer of random values (scale 0: zeros).
func randMatrixStride(rng *rand.Rand, rows, cols, stride int, scale float64) Matrix {
	return Matrix{Rows: rows, Cols: cols, Stride: stride, Data: randVec(rng, rows*stride, scale)}
}

// compareLoose fails t unless |got−want| ≤ tol elementwise. The tolerance is
// absolute: the steps' outputs are in [−1, 1], and the tight bounds are the
// business of TestRNNStep and TestMGRUStep; this catches wrong rows,
// strides and batching.
func compareLoose(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); !(d <= tol) {
			t.Fatalf("%s: [%d] = %v, reference %v (|diff| %.3g > %g)", what, i, got[i], want[i], d, tol)
		}
	}
}

// TestStepActivations checks the activations of the fused steps, which on
// some targets (avx512) are faster forms than Tanh and Sigmoid, against the
// exact functions within the same bound, actBound: the leaf with no
// columns computes tanh(xp + 0) (RNN) and σ(xp + 0) (the MGRU gate, with
// y2 = σ·1), over the points of TestTanhSigmoidAccuracy. With
// LOWRANK_EXHAUSTIVE=1 it checks every float32 as well (minutes).
func TestStepActivations(t *testing.T) {
	xs := actPoints()
	if os.Getenv("LOWRANK_EXHAUSTIVE") != "" {
		xs = nil // the exhaustive sweep below covers them
	}
	forEachTarget(t, func(t *testing.T) {
		var maxTanh, maxSig float64
		check := func(xs []float32) {
			n := len(xs)
			y, y2, zero, one := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range one {
				one[i] = 1
			}
			stepPanels(y, nil, nil, 0, nil, nil, nil, xs, zero, stepRNN, false, heightCode(16))
			for i, x := range xs {
				e := checkAct(t, "tanh", x, y[i], math.Tanh, -1, 1)
				maxTanh = max(maxTanh, e)
			}
			for i := range xs {
				xs[i] = -xs[i]
			}
			neg := append([]float32(nil), y...)
			stepPanels(neg, nil, nil, 0, nil, nil, nil, xs, zero, stepRNN, false, heightCode(16))
			for i := range xs {
				xs[i] = -xs[i]
				if xs[i] != 0 && y[i] == y[i] && math.Float32bits(neg[i]) != math.Float32bits(-y[i]) {
					t.Fatalf("fused tanh(%g) = %g but tanh(%g) = %g: not odd", -xs[i], neg[i], xs[i], y[i])
				}
			}
			stepPanels(y, y2, nil, 0, nil, one, nil, xs, zero, stepGate, false, heightCode(16))
			for i, x := range xs {
				e := checkAct(t, "sigmoid", x, y[i], func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }, 0, 1)
				maxSig = max(maxSig, e)
				if math.Float32bits(y2[i]) != math.Float32bits(y[i]) {
					t.Fatalf("fused gate(%g): y2 = %g, want y·1 = %g", x, y2[i], y[i])
				}
			}
		}
		if xs != nil {
			check(slices.Clone(xs))
		} else {
			const chunk = 1 << 20
			buf := make([]float32, chunk)
			for hi := uint64(0); hi < 1<<32; hi += chunk {
				for i := range buf {
					buf[i] = math.Float32frombits(uint32(hi) + uint32(i))
				}
				check(buf)
			}
		}
		t.Logf("fused tanh: max |error| %.3g; fused sigmoid: max |error| %.3g", maxTanh, maxSig)
	})
}

// checkAct fails t unless got is within actBound of exact(x) and in [lo,
// hi], or NaN exactly for a NaN x; it returns the error.
func checkAct(t *testing.T, name string, x, got float32, exact func(float64) float64, lo, hi float32) float64 {
	t.Helper()
	if x != x || got != got {
		if x == x || got == got {
			t.Fatalf("fused %s(%g) = %g, want NaN exactly for NaN input", name, x, got)
		}
		return 0
	}
	e := math.Abs(float64(got) - exact(float64(x)))
	if !(e <= actBound) || got < lo || got > hi {
		t.Fatalf("fused %s(%g) = %g, exact %g: |error| %.3g, want ≤ %g within [%g, %g]",
			name, x, got, exact(float64(x)), e, actBound, lo, hi)
	}
	return e
}
