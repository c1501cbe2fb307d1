package rnn

import (
	"errors"
	"fmt"
	"math"
	"math/big"

	"gonum.org/v1/gonum/mat"
)

// The exact memory curve of a linear network x_t = A x_{t−1} + v u_t
// driven by white unit-variance input.
//
// With w_k = A^k v the state is x_t = Σ_k w_k u_{t−k}, its covariance
// P = Σ_k w_k w_kᵀ (P = A P Aᵀ + v vᵀ), and the best linear readout of
// u_{t−k} from x_t has R² = m(k) = w_kᵀ P⁺ w_k: the leverage of delay k in
// the row space of the Krylov matrix [w_0, w_1, …]. So Σ_{k≥0} m(k) =
// rank P, the dimension of the space the input reaches.
//
// Two things make this hard to compute, and neither is a property of the
// network's memory:
//
//   - P is badly conditioned. The Krylov vectors of a random A turn towards
//     its dominant directions, so P's smallest eigenvalues sit far below its
//     largest, and they carry real memory: for the 128-unit network of
//     `lowrank memory` (radius 0.9), κ(P) is 4e11, 1e15, 2e24 and 4e35 at
//     ranks 8, 16, 32 and 64, and 2e75 at full rank. Any float64
//     computation, or a cut of "negligible" eigenvalues, loses that memory.
//     Here P is summed, factored and applied in extended precision
//     (math/big), with as many bits as its condition number demands.
//   - A truncated A_r = U_r S_r V_rᵀ is singular: in n coordinates P has
//     rank r + 1 only, and telling its zero eigenvalues from its tiny real
//     ones is the ill-conditioned problem again. The dynamics live in
//     span(v, U_r): in the basis [U_r, v] of that space the state is
//     x_t = U_r y_{t−1} + v u_t with the r-dimensional network
//     y_t = S_r V_rᵀ x_t = M y_{t−1} + c u_t, M = S_r V_rᵀ U_r, c = S_r V_rᵀ v.
//     The coordinates (y_{t−1}, u_t) are exact (no orthogonalisation, no
//     rounding of the reduced matrix), u_t is white and independent of
//     y_{t−1}, so m(0) = 1 and m(k) is the memory of (M, c) at delay k − 1:
//     Σ_{k≥0} m(k) = r + 1 whenever (M, c) reaches all r dimensions.

// MemoryTheory is the exact memory curve of a linear network with white
// unit-variance input.
type MemoryTheory struct {
	Curve []float64 // m(k) for k = 1..K (index k−1)
	M0    float64   // m(0)
	// Dim is Σ_{k≥0} m(k): the dimension of the state space the input
	// reaches (rank P, at most r + 1 for a rank-r A and N for an N×N one).
	Dim int
	// Cond is the 2-norm condition number of the state covariance the
	// curve was computed from, on the space the input reaches, in the
	// coordinates used: A's own for an invertible A, (M, c) above for a
	// truncated one.
	Cond float64
	// Prec is the number of mantissa bits the computation used: enough
	// that m(k) is accurate to float64 precision for the A and v given.
	Prec uint
}

// MC is the capacity over the delays 1..K, Σ_{k=1..K} m(k).
func (t *MemoryTheory) MC() float64 {
	var s float64
	for _, v := range t.Curve {
		s += v
	}
	return s
}

// LinearMemoryExact returns the exact memory curve of the linear network
// x_t = A x_{t−1} + v u_t for delays 1..K. A rank-deficient A (singular
// values at or below n·ε·σ_max: rounding, as for a truncated A formed as a
// product) is treated as its truncated SVD, as in LowRankMemoryExact. A
// must be stable (spectral radius below 1).
func LinearMemoryExact(a *mat.Dense, v []float64, K int) (MemoryTheory, error) {
	n, c := a.Dims()
	if n != c || len(v) != n || n < 1 || K < 0 {
		return MemoryTheory{}, fmt.Errorf("rnn: linear memory theory: A is %d×%d, v has %d elements, K = %d; want A n×n, v of n elements, K ≥ 0", n, c, len(v), K)
	}
	if err := checkFiniteTheory("A", mat.DenseCopyOf(a).RawMatrix().Data); err != nil {
		return MemoryTheory{}, err
	}
	if err := checkFiniteTheory("v", v); err != nil {
		return MemoryTheory{}, err
	}
	if r := SpectralRadius(a); !(r < 1) {
		return MemoryTheory{}, fmt.Errorf("rnn: linear memory theory: A is not stable (spectral radius %.6g); the state covariance diverges", r)
	}
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		return MemoryTheory{}, errors.New("rnn: linear memory theory: the SVD of A did not converge")
	}
	s := svd.Values(nil)
	r := 0
	for _, x := range s {
		if x > float64(n)*0x1p-52*s[0] {
			r++
		}
	}
	if r == 0 {
		return LowRankMemoryExact(nil, nil, nil, v, K)
	}
	if r < n {
		var u, w mat.Dense
		svd.UTo(&u)
		svd.VTo(&w)
		return LowRankMemoryExact(u.Slice(0, n, 0, r).(*mat.Dense), s[:r], w.Slice(0, n, 0, r).(*mat.Dense), v, K)
	}
	ks, err := krylovMemoryOf(a, v, K)
	if err != nil {
		return MemoryTheory{}, err
	}
	return ks.theory(K), nil
}

// LowRankMemoryExact returns the exact memory curve of the linear network
// x_t = A x_{t−1} + v u_t for delays 1..K, where A = U diag(s) Wᵀ is given
// by its factors (U and W n×r, as TruncatedSVDFactors returns them; any
// factors of full column rank will do). It works in the r + 1 coordinates
// of span(v, U): see the comment above MemoryTheory. A must be stable.
func LowRankMemoryExact(u *mat.Dense, s []float64, w *mat.Dense, v []float64, K int) (MemoryTheory, error) {
	n, r := len(v), len(s)
	if n < 1 || K < 0 {
		return MemoryTheory{}, fmt.Errorf("rnn: linear memory theory: v has %d elements, K = %d; want n ≥ 1 elements and K ≥ 0", n, K)
	}
	if err := checkFiniteTheory("v", v); err != nil {
		return MemoryTheory{}, err
	}
	if r == 0 { // A = 0 (u and w may be empty): x_t = v u_t
		t := MemoryTheory{Curve: make([]float64, K), Cond: 1, Prec: 53}
		for _, x := range v {
			if x != 0 {
				t.M0, t.Dim = 1, 1
			}
		}
		return t, nil
	}
	if u == nil || w == nil {
		return MemoryTheory{}, fmt.Errorf("rnn: linear memory theory: %d values s but no factors U and W", r)
	}
	un, ur := u.Dims()
	if wn, wr := w.Dims(); un != n || ur != r || wn != n || wr != r {
		return MemoryTheory{}, fmt.Errorf("rnn: linear memory theory: U is %d×%d and W %d×%d, s has %d values and v %d elements; want U and W n×r for r values and n elements",
			un, ur, wn, wr, r, n)
	}
	for _, x := range []struct {
		name string
		data []float64
	}{{"U", mat.DenseCopyOf(u).RawMatrix().Data}, {"s", s}, {"W", mat.DenseCopyOf(w).RawMatrix().Data}} {
		if err := checkFiniteTheory(x.name, x.data); err != nil {
			return MemoryTheory{}, err
		}
	}
	// M = diag(s) Wᵀ U has the nonzero eigenvalues of A.
	m := mat.NewDense(r, r, nil)
	m.Mul(w.T(), u)
	m.Apply(func(i, j int, x float64) float64 { return s[i] * x }, m)
	if rad := SpectralRadius(m); !(rad < 1) {
		return MemoryTheory{}, fmt.Errorf("rnn: linear memory theory: A is not stable (spectral radius %.6g); the state covariance diverges", rad)
	}
	if !liftable(u, v) {
		return reducedMemory(u, s, w, v, K)
	}
	// (M, c) in extended precision, from the float64 factors: the
	// products of two float64 values are exact, the sums carried at the
	// working precision.
	build := func(prec uint) (*bigMatrix, []big.Float) {
		bm := newBigMatrix(r, r, prec)
		bc := newBigVector(r, prec)
		var x, y, t, sc big.Float
		x.SetPrec(prec)
		y.SetPrec(prec)
		sc.SetPrec(prec)
		t.SetPrec(2 * 53)
		for i := 0; i < r; i++ {
			for j := 0; j <= r; j++ {
				x.SetInt64(0)
				for l := 0; l < n; l++ {
					y.SetFloat64(w.At(l, i))
					if j < r {
						t.SetFloat64(u.At(l, j))
					} else {
						t.SetFloat64(v[l])
					}
					t.Mul(&t, &y)
					accumulate(&x, &t, &sc)
				}
				y.SetFloat64(s[i])
				if j < r {
					bm.at(i, j).Mul(&x, &y)
				} else {
					bc[i].Mul(&x, &y)
				}
			}
		}
		return bm, bc
	}
	kmax := max(K-1, 0)
	ks, err := krylovMemory(build, m, kmax)
	if err != nil {
		return MemoryTheory{}, err
	}
	t := MemoryTheory{Curve: make([]float64, K), M0: 1, Dim: ks.rank + 1, Cond: ks.cond, Prec: ks.prec}
	copy(t.Curve, ks.m)
	return t, nil
}

// liftable reports whether [U, v] has full column rank, so that the
// coordinates (y_{t−1}, u_t) of x_t = U y_{t−1} + v u_t are unique.
func liftable(u *mat.Dense, v []float64) bool {
	n, r := u.Dims()
	if r+1 > n {
		return false
	}
	t := mat.NewDense(n, r+1, nil)
	for j := 0; j <= r; j++ { // columns scaled to unit norm
		col := make([]float64, n)
		if j < r {
			mat.Col(col, j, u)
		} else {
			copy(col, v)
		}
		nrm := 0.0
		for _, x := range col {
			nrm = math.Hypot(nrm, x)
		}
		if nrm == 0 {
			return false
		}
		for i, x := range col {
			t.Set(i, j, x/nrm)
		}
	}
	var svd mat.SVD
	if !svd.Factorize(t, mat.SVDNone) {
		return false
	}
	sv := svd.Values(nil)
	return sv[r] > float64(n)*0x1p-52*sv[0]
}

// reducedMemory is LowRankMemoryExact where v lies in span(U) or U is
// rank-deficient: it works in an orthonormal basis Q of span(U, v), with
// the reduced matrix Qᵀ A Q rounded to float64.
func reducedMemory(u *mat.Dense, s []float64, w *mat.Dense, v []float64, K int) (MemoryTheory, error) {
	n, r := u.Dims()
	t := mat.NewDense(n, r+1, nil)
	t.Slice(0, n, 0, r).(*mat.Dense).Copy(u)
	t.SetCol(r, v)
	var svd mat.SVD
	if !svd.Factorize(t, mat.SVDThin) {
		return MemoryTheory{}, errors.New("rnn: linear memory theory: the SVD of [U, v] did not converge")
	}
	sv := svd.Values(nil)
	d := 0
	for _, x := range sv {
		if x > float64(n)*0x1p-52*sv[0] {
			d++
		}
	}
	if d == 0 { // v = 0 and U = 0: the state stays zero
		return MemoryTheory{Curve: make([]float64, K), Cond: 1, Prec: 53}, nil
	}
	var qf mat.Dense
	svd.UTo(&qf)
	q := qf.Slice(0, n, 0, d)
	// B = Qᵀ U diag(s) Wᵀ Q, b = Qᵀ v.
	var qu, wq, b mat.Dense
	qu.Mul(q.T(), u)
	qu.Apply(func(i, j int, x float64) float64 { return x * s[j] }, &qu)
	wq.Mul(w.T(), q)
	b.Mul(&qu, &wq)
	var bv mat.VecDense
	bv.MulVec(q.T(), mat.NewVecDense(n, v))
	ks, err := krylovMemoryOf(&b, bv.RawVector().Data, K)
	if err != nil {
		return MemoryTheory{}, err
	}
	return ks.theory(K), nil
}

// TruncatedSVDFactors returns the factors of the best rank-r approximation
// of a (Frobenius norm), a_r = U diag(s) Wᵀ with U and W orthonormal
// columns: the factors TruncatedSVD multiplies out. At rank 0, U and W are
// empty.
func TruncatedSVDFactors(a mat.Matrix, r int) (u *mat.Dense, s []float64, w *mat.Dense, err error) {
	rows, cols := a.Dims()
	if r < 0 {
		return nil, nil, nil, fmt.Errorf("rnn: truncated SVD: rank %d; want r ≥ 0", r)
	}
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		return nil, nil, nil, errors.New("rnn: truncated SVD: SVD did not converge")
	}
	s = svd.Values(nil)
	r = min(r, len(s))
	if r == 0 {
		return &mat.Dense{}, nil, &mat.Dense{}, nil
	}
	var uf, wf mat.Dense
	svd.UTo(&uf)
	svd.VTo(&wf)
	return mat.DenseCopyOf(uf.Slice(0, rows, 0, r)), s[:r:r], mat.DenseCopyOf(wf.Slice(0, cols, 0, r)), nil
}

// checkFiniteTheory reports the first non-finite element of x, named name.
func checkFiniteTheory(name string, x []float64) error {
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("rnn: linear memory theory: %s[%d] = %v; want finite values", name, i, v)
		}
	}
	return nil
}

// krylovResult is m(j) = w_jᵀ P⁺ w_j for j = 0..kmax, w_j = B^j b and
// P = Σ_j w_j w_jᵀ.
type krylovResult struct {
	m    []float64
	rank int
	cond float64
	prec uint
}

// theory returns the memory curve of x_t = B x_{t−1} + b u_t itself.
func (ks krylovResult) theory(K int) MemoryTheory {
	t := MemoryTheory{Curve: make([]float64, K), M0: ks.m[0], Dim: ks.rank, Cond: ks.cond, Prec: ks.prec}
	copy(t.Curve, ks.m[1:])
	return t
}

// krylovMemoryOf is krylovMemory for float64 B and b (exact in any
// precision), with kmax = K.
func krylovMemoryOf(b *mat.Dense, v []float64, K int) (krylovResult, error) {
	d, _ := b.Dims()
	build := func(prec uint) (*bigMatrix, []big.Float) {
		bm := newBigMatrix(d, d, prec)
		for i := 0; i < d; i++ {
			for j := 0; j < d; j++ {
				bm.at(i, j).SetFloat64(b.At(i, j))
			}
		}
		bv := newBigVector(d, prec)
		for i, x := range v {
			bv[i].SetFloat64(x)
		}
		return bm, bv
	}
	return krylovMemory(build, b, K)
}

// Precision limits of krylovMemory, in mantissa bits: the largest, and
// the bits kept beyond the condition number (error bounds are
// κ(P)·poly(d)·2^−prec; 64 bits more than log2 κ + 2·log2 d leave float64
// results exact).
const (
	memPrecMax   = 2048
	memPrecSpare = 64
)

// krylovMemory computes m(j) for j = 0..kmax in extended precision:
// build returns B and b at a given precision, bf is B in float64 (for the
// series' tail bound). The precision grows from 128 bits until P's
// factorisation resolves all of P and the bits spare beyond log2 κ(P) make
// m(j) exact to float64. Directions of P at or below 2^−(memPrecMax−32) of
// its largest count as unreached.
func krylovMemory(build func(prec uint) (*bigMatrix, []big.Float), bf *mat.Dense, kmax int) (krylovResult, error) {
	d, _ := bf.Dims()
	// The series Σ_j w_j w_jᵀ is cut where what is left, at most
	// ‖w_j‖² · tr(X) with X = Σ_m B^mᵀ B^m (X = Bᵀ X B + I), falls below
	// 2^−prec of its trace.
	var bt mat.Dense
	bt.CloneFrom(bf.T())
	id := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		id.Set(i, i, 1)
	}
	x, err := lyapunovDoubling(&bt, id)
	if err != nil {
		return krylovResult{}, errors.New("rnn: linear memory theory: the state covariance diverges (A is not stable)")
	}
	tailLog2 := math.Log2(mat.Trace(x))
	prec := uint(128)
	for {
		ks, next, err := krylovAttempt(build, d, kmax, prec, tailLog2)
		if err != nil {
			return krylovResult{}, err
		}
		if next <= prec {
			return ks, nil
		}
		if prec == memPrecMax {
			return krylovResult{}, fmt.Errorf("rnn: linear memory theory: the state covariance is too ill-conditioned (κ ≈ %.3g) for %d-bit arithmetic", ks.cond, memPrecMax)
		}
		prec = min(next, memPrecMax)
	}
}

// roundBits rounds a number of bits up to whole 64-bit words, at least
// 128; anything beyond memPrecMax (NaN and +Inf too) is memPrecMax + 64.
func roundBits(bits float64) uint {
	if !(bits <= memPrecMax) {
		return memPrecMax + 64
	}
	return max(128, uint(math.Ceil(bits/64))*64)
}

// krylovAttempt is one try of krylovMemory at precision prec. It returns
// the precision the result demands: if that is above prec, the result is
// not valid and the caller retries with it.
func krylovAttempt(build func(prec uint) (*bigMatrix, []big.Float), d, kmax int, prec uint, tailLog2 float64) (ks krylovResult, next uint, err error) {
	bm, w := build(prec)
	ks.prec = prec
	// P = Σ_j w_j w_jᵀ (upper triangle), the first kmax + 1 terms kept.
	p := newBigMatrix(d, d, prec)
	ws := make([][]big.Float, kmax+1)
	wn := newBigVector(d, prec) // w_{j+1}
	var t, s, nrm, tr big.Float
	t.SetPrec(prec)
	s.SetPrec(prec)
	nrm.SetPrec(prec)
	tr.SetPrec(prec)
	// Enough terms for any stable B: ‖B^j‖ ≤ C ρ^j with ρ < 1; the limit
	// catches a spectral radius within 1e-5 of 1 rather than run for hours.
	const maxTerms = 1 << 21
	for j := 0; ; j++ {
		if j <= kmax {
			ws[j] = newBigVector(d, prec)
			for i := range w {
				ws[j][i].Set(&w[i])
			}
		}
		nrm.SetInt64(0)
		for i := 0; i < d; i++ {
			row := p.a[i*d : (i+1)*d]
			for l := i; l < d; l++ {
				t.Mul(&w[i], &w[l])
				accumulate(&row[l], &t, &s)
			}
			t.Mul(&w[i], &w[i])
			accumulate(&nrm, &t, &s)
		}
		accumulate(&tr, &nrm, &s)
		if j >= kmax && (nrm.Sign() == 0 || log2Big(&nrm)+tailLog2 < log2Big(&tr)-float64(prec)-8) {
			break
		}
		if j == maxTerms {
			return ks, 0, errors.New("rnn: linear memory theory: the Krylov series did not converge in 2^21 terms (spectral radius too close to 1)")
		}
		bm.mulVec(wn, w, &t, &s)
		w, wn = wn, w
	}
	for i := 0; i < d; i++ {
		for l := 0; l < i; l++ {
			p.at(i, l).Set(p.at(l, i))
		}
	}
	if tr.Sign() == 0 { // b = 0: nothing is reached
		ks.m, ks.cond = make([]float64, kmax+1), 1
		return ks, prec, nil
	}
	perm, lower, rank, resolved := pivotedCholesky(p, prec)
	ks.rank = rank
	linv := lower.lowerInverse(rank)
	ks.cond = triCond(lower, linv, rank)
	log2d := 2 * math.Log2(float64(d+1))
	next = roundBits(math.Log2(ks.cond) + log2d + memPrecSpare)
	if !resolved && prec < memPrecMax { // at memPrecMax, what is left counts as unreached
		// Tiny pivots may be real, and each try costs a full series: aim
		// for the next to be the last. log2 κ of the part resolved grows
		// about quadratically with its size in the networks measured
		// (random, radius 0.9: 104 bits at 89 of 128 dimensions, 251 at
		// 128): extrapolate so, with a margin.
		grow := float64(d) / float64(max(rank, 1))
		next = max(next, roundBits(1.25*math.Log2(ks.cond)*grow*grow+log2d+memPrecSpare), prec+64)
	}
	if next > prec {
		return ks, next, nil
	}
	// m(j) = ‖L⁻¹ (Πᵀ w_j)[:rank]‖².
	ks.m = make([]float64, kmax+1)
	y := newBigVector(rank, prec)
	for j, wj := range ws {
		for i := 0; i < rank; i++ {
			y[i].SetInt64(0)
			for l := 0; l <= i; l++ {
				t.Mul(linv.at(i, l), &wj[perm[l]])
				accumulate(&y[i], &t, &s)
			}
		}
		nrm.SetInt64(0)
		for i := range y {
			t.Mul(&y[i], &y[i])
			accumulate(&nrm, &t, &s)
		}
		ks.m[j], _ = nrm.Float64()
	}
	return ks, prec, nil
}

// pivotedCholesky factors the symmetric positive semidefinite p (which it
// overwrites) as Π L Lᵀ Πᵀ with diagonal pivoting, L lower triangular,
// returned with row i of L belonging to p's row perm[i]. It stops at the
// first pivot at or below 2^−(prec−32) of the largest diagonal entry:
// rank is the number of pivots taken, and resolved is false if the part
// left was not exactly zero (more precision may resolve it).
func pivotedCholesky(p *bigMatrix, prec uint) (perm []int, lower *bigMatrix, rank int, resolved bool) {
	d := p.rows
	perm = make([]int, d)
	for i := range perm {
		perm[i] = i
	}
	var top, tiny, t big.Float
	top.SetPrec(prec)
	for i := 0; i < d; i++ {
		if p.at(i, i).Cmp(&top) > 0 {
			top.Set(p.at(i, i))
		}
	}
	tiny.SetPrec(prec).SetMantExp(&top, -int(prec-32))
	t.SetPrec(prec)
	for k := 0; k < d; k++ {
		q := k
		for i := k + 1; i < d; i++ {
			if p.at(i, i).Cmp(p.at(q, q)) > 0 {
				q = i
			}
		}
		if p.at(q, q).Cmp(&tiny) <= 0 {
			resolved = true
			for i := k; i < d; i++ {
				if p.at(i, i).Sign() != 0 {
					resolved = false
				}
			}
			return perm, p, k, resolved
		}
		p.swapSym(k, q)
		perm[k], perm[q] = perm[q], perm[k]
		lkk := p.at(k, k)
		lkk.Sqrt(lkk)
		for i := k + 1; i < d; i++ {
			p.at(i, k).Quo(p.at(i, k), lkk)
		}
		// The trailing block is updated in full, so that it stays
		// symmetric for the next swap.
		for j := k + 1; j < d; j++ {
			for i := j; i < d; i++ {
				t.Mul(p.at(i, k), p.at(j, k))
				p.at(i, j).Sub(p.at(i, j), &t)
				if i != j {
					p.at(j, i).Set(p.at(i, j))
				}
			}
		}
	}
	return perm, p, d, true
}

// triCond is κ₂(L Lᵀ) = (‖L‖₂ ‖L⁻¹‖₂)² for the leading k×k block of the
// lower triangular l and its inverse. Both norms are well conditioned, so
// their float64 roundings suffice.
func triCond(l, linv *bigMatrix, k int) float64 {
	if k == 0 {
		return 1
	}
	a, b := mat.NewDense(k, k, nil), mat.NewDense(k, k, nil)
	for i := 0; i < k; i++ {
		for j := 0; j <= i; j++ {
			x, _ := l.at(i, j).Float64()
			y, _ := linv.at(i, j).Float64()
			a.Set(i, j, x)
			b.Set(i, j, y)
		}
	}
	c := mat.Norm(a, 2) * mat.Norm(b, 2)
	return c * c
}

// log2Big returns log2 x for x > 0, in float64 whatever x's exponent.
func log2Big(x *big.Float) float64 {
	var m big.Float
	e := x.MantExp(&m)
	f, _ := m.Float64()
	return float64(e) + math.Log2(f)
}

// bigMatrix is a dense row-major matrix of big.Float at one precision.
type bigMatrix struct {
	rows, cols int
	a          []big.Float
}

func newBigMatrix(rows, cols int, prec uint) *bigMatrix {
	m := &bigMatrix{rows: rows, cols: cols, a: make([]big.Float, rows*cols)}
	for i := range m.a {
		m.a[i].SetPrec(prec)
	}
	return m
}

func newBigVector(n int, prec uint) []big.Float {
	v := make([]big.Float, n)
	for i := range v {
		v[i].SetPrec(prec)
	}
	return v
}

func (m *bigMatrix) at(i, j int) *big.Float { return &m.a[i*m.cols+j] }

// mulVec sets y = m x; t and s are scratch.
func (m *bigMatrix) mulVec(y, x []big.Float, t, s *big.Float) {
	for i := 0; i < m.rows; i++ {
		y[i].SetInt64(0)
		row := m.a[i*m.cols : (i+1)*m.cols]
		for j := range row {
			if row[j].Sign() != 0 {
				t.Mul(&row[j], &x[j])
				accumulate(&y[i], t, s)
			}
		}
	}
}

// accumulate sets *acc += x, with s (of acc's precision) as scratch.
// big.Float's Add allocates when its result aliases an operand whose
// mantissa must be shifted; adding into the scratch and swapping the two
// values does not.
func accumulate(acc, x, s *big.Float) {
	s.Add(acc, x)
	*acc, *s = *s, *acc
}

// swapSym swaps rows i and j and columns i and j of the square m.
// Swapping the Float values exchanges their mantissas; nothing is shared.
func (m *bigMatrix) swapSym(i, j int) {
	if i == j {
		return
	}
	for k := 0; k < m.cols; k++ {
		m.a[i*m.cols+k], m.a[j*m.cols+k] = m.a[j*m.cols+k], m.a[i*m.cols+k]
	}
	for k := 0; k < m.rows; k++ {
		m.a[k*m.cols+i], m.a[k*m.cols+j] = m.a[k*m.cols+j], m.a[k*m.cols+i]
	}
}

// lowerInverse returns the inverse of the leading k×k block of the lower
// triangular m (the rest of m ignored).
func (m *bigMatrix) lowerInverse(k int) *bigMatrix {
	prec := m.a[0].Prec()
	inv := newBigMatrix(k, k, prec)
	var t, s big.Float
	t.SetPrec(prec)
	s.SetPrec(prec)
	for j := 0; j < k; j++ {
		inv.at(j, j).Quo(big.NewFloat(1), m.at(j, j))
		for i := j + 1; i < k; i++ {
			s.SetInt64(0)
			for l := j; l < i; l++ {
				t.Mul(m.at(i, l), inv.at(l, j))
				s.Add(&s, &t)
			}
			inv.at(i, j).Quo(&s, m.at(i, i))
			inv.at(i, j).Neg(inv.at(i, j))
		}
	}
	return inv
}
