package task

import (
	"errors"
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Ridge is a linear readout y = Wᵀx + B fitted by ridge regression.
type Ridge struct {
	W *mat.Dense // d×k: column j reads output j from the d features
	B []float64  // k intercepts
}

// FitRidge fits a readout of the columns of Y (n×k) from the rows of X
// (n×d), in float64, minimising
//
//	(1/n) Σ_t ‖y_t − Wᵀx_t − B‖² + λ ‖W‖²_F,
//
// with the intercept unpenalised. λ is per sample, so it does not depend
// on n; λ > 0 keeps an ill-conditioned state covariance solvable.
func FitRidge(X, Y mat.Matrix, lambda float64) (*Ridge, error) {
	n, d := X.Dims()
	ny, k := Y.Dims()
	if n != ny || n < 1 || d < 1 || k < 1 {
		return nil, fmt.Errorf("task: FitRidge: X is %d×%d, Y is %d×%d", n, d, ny, k)
	}
	if lambda < 0 {
		return nil, fmt.Errorf("task: FitRidge: negative λ %v", lambda)
	}
	xc, xm := Centre(X)
	yc, ym := Centre(Y)
	var c mat.SymDense
	c.SymOuterK(1/float64(n), xc.T())
	for i := 0; i < d; i++ {
		c.SetSym(i, i, c.At(i, i)+lambda)
	}
	var xy mat.Dense
	xy.Mul(xc.T(), yc)
	xy.Scale(1/float64(n), &xy)
	var ch mat.Cholesky
	if !ch.Factorize(&c) {
		return nil, errors.New("task: FitRidge: state covariance + λI is not positive definite; use a larger λ")
	}
	r := &Ridge{W: mat.NewDense(d, k, nil), B: make([]float64, k)}
	if err := ch.SolveTo(r.W, &xy); err != nil {
		return nil, fmt.Errorf("task: FitRidge: %v", err)
	}
	for j := 0; j < k; j++ {
		b := ym[j]
		for i := 0; i < d; i++ {
			b -= xm[i] * r.W.At(i, j)
		}
		r.B[j] = b
	}
	return r, nil
}

// Centre returns a copy of a with its column means subtracted, and the
// means: what every ridge readout here fits, its intercept unpenalised.
func Centre(a mat.Matrix) (*mat.Dense, []float64) {
	c := mat.DenseCopyOf(a)
	n, d := c.Dims()
	m := make([]float64, d)
	for i := 0; i < n; i++ {
		row := c.RawRowView(i)
		for j, v := range row {
			m[j] += v
		}
	}
	for j := range m {
		m[j] /= float64(n)
	}
	for i := 0; i < n; i++ {
		row := c.RawRowView(i)
		for j := range row {
			row[j] -= m[j]
		}
	}
	return c, m
}

// Predict returns XW + 1Bᵀ (n×k) for the rows of X (n×d).
func (r *Ridge) Predict(X mat.Matrix) *mat.Dense {
	var p mat.Dense
	p.Mul(X, r.W)
	n, k := p.Dims()
	for i := 0; i < n; i++ {
		row := p.RawRowView(i)
		for j := 0; j < k; j++ {
			row[j] += r.B[j]
		}
	}
	return &p
}

// R2Columns returns R2 (see R2) of each column of pred against target.
func R2Columns(pred, target mat.Matrix) []float64 {
	n, k := target.Dims()
	if pn, pk := pred.Dims(); pn != n || pk != k {
		panic(fmt.Sprintf("task: R2Columns: pred %d×%d, target %d×%d", pn, pk, n, k))
	}
	r := make([]float64, k)
	for j := range r {
		r[j] = R2(mat.Col(nil, j, pred), mat.Col(nil, j, target))
	}
	return r
}

// DelayTargets returns the (len(u)−from)×K matrix whose row t−from holds
// u[t−1], …, u[t−K], for t = from..len(u)−1. It needs from ≥ K.
func DelayTargets(u []float64, K, from int) *mat.Dense {
	if K < 1 || from < K || from >= len(u) {
		panic(fmt.Sprintf("task: DelayTargets: K=%d from=%d with %d inputs", K, from, len(u)))
	}
	y := mat.NewDense(len(u)-from, K, nil)
	for t := from; t < len(u); t++ {
		row := y.RawRowView(t - from)
		for k := 1; k <= K; k++ {
			row[k-1] = u[t-k]
		}
	}
	return y
}
