package rnn

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/lowrank-rnn/lowrank/kernels"
)

// The planner's view of a truncation. Compress truncates a matrix A (U_g,
// or the MGRU's stacked [U_f; U_h]) whose input has the moment C = S·Sᵀ:
// with A·S = P Σ Qᵀ, the rank-r matrix is P_r Σ_r Q_rᵀ S⁻¹ = Π_r A, where
// Π_r = P_r P_rᵀ projects on the first r left singular vectors (S = I for
// plain SVD). So the error a rank-r truncation makes on an input x is
//
//	ΔA x = −Σ_{i ≥ r} p_i (p_iᵀ A x),
//
// a sum over the discarded components, each a direction p_i and a
// coefficient read off the product A x that the step computes anyway.
// The first-order error is linear in ΔA, so the error of any truncation is
// the sum of the responses to its discarded components, and its energy is
// a sum of entries of the Gram matrix of those responses. The planner
// groups components into blocks (blockBounds) and propagates one response
// per block.

// truncation is one matrix the planner may truncate, and the basis of its
// truncations.
type truncation struct {
	joint bool // the MGRU's [U_f; U_h], rows = 2n; else gate's U
	gate  int
	rows  int
	// pt is n×rows: row i is p_i, in float32 for the injections; packed
	// in ptp so that all coefficients Pᵀ·a are one product.
	pt  kernels.Matrix
	ptp *kernels.Packed
	// right is Pᵀ·A (n×n, float64): the rank-r right factor is its first
	// r rows, and P's first r columns the left factor.
	right *mat.Dense
	p     *mat.Dense // rows×n
	// sigma are the singular values of A·S; eps[i] = p_iᵀ A C Aᵀ p_i is the
	// energy component i injects on the calibration inputs (σ_i² when
	// whitened), which splits a block's response between its ranks.
	sigma, eps []float64
	bounds     []int // block boundaries, 0 = bounds[0] < … < bounds[K] = n
}

// blocks returns the number of blocks.
func (t *truncation) blocks() int { return len(t.bounds) - 1 }

// blockBounds returns the block boundaries for n components: every rank up
// to 16, then steps of about an eighth of the rank, so that a rank between
// two boundaries is within 12.5% of one. n = 128 has 35 blocks, n = 1024
// has 53: the number grows as log n.
func blockBounds(n int) []int {
	b := []int{0}
	for r := 0; r < n; {
		r += max(1, r/8)
		b = append(b, min(r, n))
	}
	return b
}

// newTruncation returns the truncation basis of a (rows×n) whose input has
// the moment c, for the method.
func newTruncation(a *mat.Dense, c *mat.SymDense, method Method) (*truncation, error) {
	rows, n := a.Dims()
	target := a
	if method == Whitened {
		s, err := whitening(c, n)
		if err != nil {
			return nil, err
		}
		var as mat.Dense
		as.Mul(a, s)
		target = &as
	}
	var svd mat.SVD
	if !svd.Factorize(target, mat.SVDThinU) {
		return nil, errors.New("rnn: plan: SVD did not converge")
	}
	t := &truncation{rows: rows, sigma: svd.Values(nil), p: new(mat.Dense), right: new(mat.Dense),
		bounds: blockBounds(n)}
	svd.UTo(t.p)
	t.right.Mul(t.p.T(), a)
	t.pt = kernels.NewMatrix(n, rows)
	for i := 0; i < n; i++ {
		for j := 0; j < rows; j++ {
			t.pt.Set(i, j, float32(t.p.At(j, i)))
		}
	}
	t.ptp = kernels.Pack(t.pt)
	var rc mat.Dense
	rc.Mul(t.right, c)
	t.eps = make([]float64, n)
	for i := range t.eps {
		t.eps[i] = mat.Dot(rc.RowView(i), t.right.RowView(i))
	}
	return t, nil
}

// factors returns the rank-r factors of the truncation in float32: the
// left factor P_r (rows×r) and the right factor (PᵀA)_r (r×n).
func (t *truncation) factors(r int) (left, right kernels.Matrix) {
	n := t.pt.Rows
	left, right = kernels.NewMatrix(t.rows, r), kernels.NewMatrix(r, n)
	for i := 0; i < t.rows; i++ {
		for k := 0; k < r; k++ {
			left.Set(i, k, float32(t.p.At(i, k)))
		}
	}
	for k := 0; k < r; k++ {
		for j := 0; j < n; j++ {
			right.Set(k, j, float32(t.right.At(k, j)))
		}
	}
	return left, right
}

// position returns the block holding the first discarded component of a
// rank-r truncation and the weight of that block's response: rank r keeps
// components below r, so blocks after j are discarded whole, block j from
// r on. Its response is scaled by √w, w the share of the block's injected
// energy from r on: exact at a boundary (w = 1), and between boundaries as
// if the block's components added their energies. r ≥ n discards nothing
// (j = K).
func (t *truncation) position(r int) (j int, alpha float64) {
	k := t.blocks()
	if r >= len(t.eps) {
		return k, 0
	}
	for j = 0; t.bounds[j+1] <= r; j++ {
	}
	lo, hi := t.bounds[j], t.bounds[j+1]
	if r == lo {
		return j, 1
	}
	var part, all float64
	for i := lo; i < hi; i++ {
		all += t.eps[i]
		if i >= r {
			part += t.eps[i]
		}
	}
	if all == 0 {
		return j, float64(hi-r) / float64(hi-lo)
	}
	return j, math.Sqrt(part / all)
}

// truncations returns the matrices the planner may truncate for the
// model and calibration: U (RNN), or U_f, U_h and, unless noJoint, the
// joint [U_f; U_h] (MGRU), whitened by the joint moment (C_0 + C_1)/2 as
// Compress does.
func truncations(m *Model, cal *Calibration, method Method, noJoint bool) ([]*truncation, error) {
	n := m.Hidden
	var ts []*truncation
	for g := 0; g < m.Cell.gates(); g++ {
		if cal.C[g] == nil || cal.C[g].SymmetricDim() != n {
			return nil, fmt.Errorf("rnn: plan: the calibration has no %d×%d moment for gate %d", n, n, g)
		}
		t, err := newTruncation(toDense(m.U[g]), cal.C[g], method)
		if err != nil {
			return nil, err
		}
		t.gate = g
		ts = append(ts, t)
	}
	if m.Cell == MGRU && !noJoint {
		stack := mat.NewDense(2*n, n, nil)
		stack.Slice(0, n, 0, n).(*mat.Dense).Copy(toDense(m.U[0]))
		stack.Slice(n, 2*n, 0, n).(*mat.Dense).Copy(toDense(m.U[1]))
		avg := mat.NewSymDense(n, nil)
		avg.AddSym(cal.C[0], cal.C[1])
		avg.ScaleSym(0.5, avg)
		t, err := newTruncation(stack, avg, method)
		if err != nil {
			return nil, err
		}
		t.joint = true
		ts = append(ts, t)
	}
	return ts, nil
}
