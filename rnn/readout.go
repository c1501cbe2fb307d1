package rnn

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// The memorization experiment's estimator: ridge readouts of the delayed
// inputs, fitted on a training run from the singular value decomposition
// of its states, their penalty chosen on a validation run, and scored on
// independent test runs, which give the capacity a confidence interval.

// Capacity is a memory capacity measured on independent test runs.
type Capacity struct {
	// Curve is R²(k), k = 1..K (index k−1), the mean over the test runs.
	Curve []float64
	// MC is the mean over the test runs of each run's capacity
	// Σ_k max(R²(k), 0), and CI the half-width of its 95% confidence
	// interval (Student's t over the runs). CI covers the test runs'
	// sampling; the readout itself is fitted once.
	MC, CI float64
	// Lambda is the readout's relative ridge penalty (MemoryConfig.Lambda);
	// 0 for a model's own readout.
	Lambda float64
}

// capacityOf summarises the memory curves of the test runs.
func capacityOf(curves [][]float64, lambda float64) Capacity {
	c := Capacity{Curve: make([]float64, len(curves[0])), Lambda: lambda}
	mcs := make([]float64, len(curves))
	for r, curve := range curves {
		for k, v := range curve {
			c.Curve[k] += v / float64(len(curves))
		}
		mcs[r] = task.MemoryCapacity(curve)
		c.MC += mcs[r] / float64(len(curves))
	}
	if len(mcs) > 1 {
		var ss float64
		for _, m := range mcs {
			ss += (m - c.MC) * (m - c.MC)
		}
		sem := math.Sqrt(ss / float64(len(mcs)-1) / float64(len(mcs)))
		c.CI = distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(mcs) - 1)}.Quantile(0.975) * sem
	}
	return c
}

// memoryLambdas are the relative ridge penalties validation chooses from:
// every second decade from 1e-2 down to 1e-36. Noiseless networks store
// far delays in state directions with tiny shares of the variance (the
// Krylov matrix of a truncated linear network is badly conditioned), so
// the grid reaches down to where no direction that float64 resolves
// (singular values above 2⁻⁵² of the largest) is penalised any more: the
// plain least-squares readout.
func memoryLambdas() []float64 {
	var ls []float64
	for e := -2; e >= -36; e -= 2 {
		l, _ := strconv.ParseFloat(fmt.Sprintf("1e%d", e), 64) // exactly 1e-2, not math.Pow's 0.010000000000000002
		ls = append(ls, l)
	}
	return ls
}

// svdRidge is the SVD X = U S Vᵀ of a training run's centred states and
// UᵀY of its centred targets, from which the ridge readout at any penalty
// costs one product: W = V diag(s/(s² + Tλ)) UᵀY, B = ȳ − Wᵀx̄. It
// minimises (1/T)Σ‖y − Wᵀx − B‖² + λ‖W‖², like task.FitRidge, but through
// the SVD a state direction counts down to singular values of 2⁻⁵² of the
// largest, where the normal equations (XᵀX + TλI)W = XᵀY lose every
// direction whose share of the variance is below 2⁻⁵².
type svdRidge struct {
	t      float64   // samples
	s      []float64 // singular values
	v      *mat.Dense
	uty    *mat.Dense
	xm, ym []float64
	// meanVar is tr(Cov)/d, what λ is relative to (1 when the states do
	// not vary).
	meanVar float64
}

func newSVDRidge(states, y *mat.Dense) (*svdRidge, error) {
	xc, xm := task.Centre(states)
	yc, ym := task.Centre(y)
	var svd mat.SVD
	if !svd.Factorize(xc, mat.SVDThin) {
		return nil, errors.New("rnn: memory: the SVD of the training states did not converge")
	}
	f := &svdRidge{s: svd.Values(nil), v: new(mat.Dense), uty: new(mat.Dense), xm: xm, ym: ym}
	var u mat.Dense
	svd.UTo(&u)
	svd.VTo(f.v)
	f.uty.Mul(u.T(), yc)
	t, d := states.Dims()
	f.t = float64(t)
	var ss float64
	for _, s := range f.s {
		ss += s * s
	}
	f.meanVar = ss / f.t / float64(d)
	if !(f.meanVar > 0) {
		f.meanVar = 1
	}
	return f, nil
}

// readout returns the readout at relative penalty rel > 0.
func (f *svdRidge) readout(rel float64) (*task.Ridge, error) {
	lam := rel * f.meanVar * f.t
	q, k := f.uty.Dims()
	g := mat.NewDense(q, k, nil)
	for i, s := range f.s {
		c := s / (s*s + lam)
		row, uy := g.RawRowView(i), f.uty.RawRowView(i)
		for j, v := range uy {
			row[j] = c * v
		}
	}
	d, _ := f.v.Dims()
	r := &task.Ridge{W: mat.NewDense(d, k, nil)}
	r.W.Mul(f.v, g)
	r.B = intercepts(r.W, f.xm, f.ym)
	return r, nil
}

// intercepts returns B = ȳ − Wᵀx̄.
func intercepts(w *mat.Dense, xm, ym []float64) []float64 {
	b := append([]float64(nil), ym...)
	for i, x := range xm {
		for j, v := range w.RawRowView(i) {
			b[j] -= x * v
		}
	}
	return b
}

// lambdaPoint is one penalty of a validation walk: the readout fitted at
// it and its capacity on the validation run.
type lambdaPoint struct {
	lambda, valid float64
	readout       *task.Ridge
}

// walkLambdas fits a readout at each of lambdas, from the largest down,
// and scores it on the validation run; a penalty whose fit fails (the
// normal equations at too small a λ) has no point. best indexes the point
// of the largest validation capacity (the largest λ among equals), or is
// −1 when no fit succeeded. With early, the walk stops once three
// successive penalties score below the best: validation capacity rises to
// one maximum as λ falls, and each fit costs a product with the whole run.
func walkLambdas(fit func(rel float64) (*task.Ridge, error), valid, validY *mat.Dense, lambdas []float64, early bool) (pts []lambdaPoint, best int) {
	best = -1
	worse := 0
	for _, l := range lambdas {
		rd, err := fit(l)
		if err != nil {
			continue
		}
		mc := task.MemoryCapacity(task.R2Columns(rd.Predict(valid), validY))
		pts = append(pts, lambdaPoint{lambda: l, valid: mc, readout: rd})
		switch {
		case best < 0 || mc > pts[best].valid:
			best, worse = len(pts)-1, 0
		case early:
			if worse++; worse == 3 {
				return pts, best
			}
		}
	}
	return pts, best
}

// fitReadout fits the ridge readout of y from the training states by SVD,
// at the relative penalty lambda, or, when lambda is 0, at the penalty
// of memoryLambdas that scores the largest capacity on the validation run.
// It returns the readout and its penalty.
func fitReadout(train, y, valid, validY *mat.Dense, lambda float64) (*task.Ridge, float64, error) {
	f, err := newSVDRidge(train, y)
	if err != nil {
		return nil, 0, err
	}
	if lambda > 0 {
		rd, err := f.readout(lambda)
		return rd, lambda, err
	}
	pts, best := walkLambdas(f.readout, valid, validY, memoryLambdas(), true)
	return pts[best].readout, pts[best].lambda, nil // the SVD fit never fails
}

// Estimator is how a memory capacity is computed: the precision of the
// network's states and the way the readout is fitted. The memorization
// experiment uses EstimatorSVD; the others show what the estimate owes to
// it (LinearRidgePaths).
type Estimator string

const (
	// EstimatorSVD: float64 states, the ridge readout from their SVD.
	EstimatorSVD Estimator = "f64-svd"
	// EstimatorNormal: float64 states, the ridge readout from the normal
	// equations by Cholesky in float64 (task.FitRidge).
	EstimatorNormal Estimator = "f64-normal"
	// EstimatorF32States: states of the network run in float32, the ridge
	// readout from their SVD in float64.
	EstimatorF32States Estimator = "f32-states-svd"
	// EstimatorF32: float32 states, the ridge readout from the normal
	// equations by Cholesky in float32, its weights stored in float32.
	EstimatorF32 Estimator = "f32-normal"
)

// Estimators lists the estimators, the memorization experiment's first.
var Estimators = []Estimator{EstimatorSVD, EstimatorNormal, EstimatorF32States, EstimatorF32}

// float32States reports whether e runs the network in float32.
func (e Estimator) float32States() bool { return e == EstimatorF32States || e == EstimatorF32 }

// fitter returns e's readout fit of y from the training states, by
// relative penalty.
func (e Estimator) fitter(train, y *mat.Dense) (func(rel float64) (*task.Ridge, error), error) {
	switch e {
	case EstimatorSVD, EstimatorF32States:
		f, err := newSVDRidge(train, y)
		if err != nil {
			return nil, err
		}
		return f.readout, nil
	case EstimatorNormal:
		mv := meanVariance(train)
		return func(rel float64) (*task.Ridge, error) { return task.FitRidge(train, y, rel*mv) }, nil
	case EstimatorF32:
		f := newNormal32(train, y)
		return f.readout, nil
	}
	return nil, fmt.Errorf("rnn: memory: unknown estimator %q", e)
}

// normal32 holds the float32 moments of a training run: XᵀX/T and XᵀY/T
// of the centred states and targets, accumulated in float32.
type normal32 struct {
	d, k    int
	cxx     []float32 // d×d, upper triangle
	cxy     []float32 // d×k
	xm, ym  []float64 // means, as float32 computed them
	meanVar float32
}

func newNormal32(train, y *mat.Dense) *normal32 {
	t, d := train.Dims()
	_, k := y.Dims()
	x32, xm := centred32(train)
	y32, ym := centred32(y)
	f := &normal32{d: d, k: k, cxx: make([]float32, d*d), cxy: make([]float32, d*k), xm: xm, ym: ym}
	bl := blas32.Implementation()
	inv := 1 / float32(t)
	bl.Ssyrk(blas.Upper, blas.Trans, d, t, inv, x32, d, 0, f.cxx, d)
	bl.Sgemm(blas.Trans, blas.NoTrans, d, k, t, inv, x32, d, y32, k, 0, f.cxy, k)
	for i := 0; i < d; i++ {
		f.meanVar += f.cxx[i*d+i] / float32(d)
	}
	if !(f.meanVar > 0) {
		f.meanVar = 1
	}
	return f
}

// centred32 returns the rows of a in float32 with their float32 column
// means subtracted, and the means.
func centred32(a *mat.Dense) ([]float32, []float64) {
	n, d := a.Dims()
	x := make([]float32, n*d)
	m := make([]float32, d)
	for i := 0; i < n; i++ {
		for j, v := range a.RawRowView(i) {
			x[i*d+j] = float32(v)
			m[j] += float32(v)
		}
	}
	means := make([]float64, d)
	for j := range m {
		m[j] /= float32(n)
		means[j] = float64(m[j])
	}
	for i := 0; i < n; i++ {
		for j := range d {
			x[i*d+j] -= m[j]
		}
	}
	return x, means
}

// readout solves (XᵀX/T + λI) W = XᵀY/T by Cholesky in float32.
func (f *normal32) readout(rel float64) (*task.Ridge, error) {
	d, k := f.d, f.k
	c := append([]float32(nil), f.cxx...)
	lam := float32(rel) * f.meanVar
	for i := 0; i < d; i++ {
		c[i*d+i] += lam
	}
	if !cholesky32(c, d) {
		return nil, fmt.Errorf("rnn: memory: float32 state covariance + λI is not positive definite at λ = %g", rel)
	}
	w := append([]float32(nil), f.cxy...)
	bl := blas32.Implementation()
	// C = RᵀR, R upper: solve Rᵀ Z = XᵀY/T, then R W = Z.
	bl.Strsm(blas.Left, blas.Upper, blas.Trans, blas.NonUnit, d, k, 1, c, d, w, k)
	bl.Strsm(blas.Left, blas.Upper, blas.NoTrans, blas.NonUnit, d, k, 1, c, d, w, k)
	r := &task.Ridge{W: mat.NewDense(d, k, nil)}
	for i, v := range w {
		r.W.RawMatrix().Data[i] = float64(v)
	}
	b := make([]float32, k)
	for j := range b {
		b[j] = float32(f.ym[j])
		for i := 0; i < d; i++ {
			b[j] -= float32(f.xm[i]) * w[i*k+j]
		}
	}
	r.B = make([]float64, k)
	for j, v := range b {
		r.B[j] = float64(v)
	}
	return r, nil
}

// cholesky32 factors the symmetric positive definite d×d matrix whose
// upper triangle is in a (row-major) as RᵀR, R upper triangular, in
// place and in float32; it reports false when a pivot is not positive.
// (gonum factors in float64 only.)
func cholesky32(a []float32, d int) bool {
	for j := 0; j < d; j++ {
		s := a[j*d+j]
		for k := 0; k < j; k++ {
			s -= a[k*d+j] * a[k*d+j]
		}
		if !(s > 0) {
			return false
		}
		s = float32(math.Sqrt(float64(s)))
		a[j*d+j] = s
		for i := j + 1; i < d; i++ {
			v := a[j*d+i]
			for k := 0; k < j; k++ {
				v -= a[k*d+j] * a[k*d+i]
			}
			a[j*d+i] = v / s
		}
	}
	return true
}

// driveLinear32 returns the states of x_t = A x_{t−1} + v u_t run in
// float32, as float64.
func driveLinear32(a *mat.Dense, v, u []float64) *mat.Dense {
	n, _ := a.Dims()
	a32, v32 := make([]float32, n*n), make([]float32, n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			a32[i*n+j] = float32(a.At(i, j))
		}
		v32[i] = float32(v[i])
	}
	bl := blas32.Implementation()
	states := mat.NewDense(len(u), n, nil)
	hp, h := make([]float32, n), make([]float32, n)
	for t, x := range u {
		for i := range h {
			h[i] = v32[i] * float32(x)
		}
		bl.Sgemv(blas.NoTrans, n, n, 1, a32, n, hp, 1, 1, h, 1)
		row := states.RawRowView(t)
		for i, s := range h {
			row[i] = float64(s)
		}
		hp, h = h, hp
	}
	return states
}

// linearEstimate measures the linear network x_t = A x_{t−1} + v u_t with
// estimator e: the validation walk over the penalties (cfg.Lambda alone
// if set; with path, every one of memoryLambdas, else until it stops
// improving), and the capacity on the test runs at the chosen penalty.
func linearEstimate(a *mat.Dense, v []float64, cfg MemoryConfig, e Estimator, path bool) ([]lambdaPoint, Capacity, error) {
	n, c := a.Dims()
	if n != c || len(v) != n || n < 1 {
		return nil, Capacity{}, fmt.Errorf("rnn: linear memory: A is %d×%d and v has %d elements", n, c, len(v))
	}
	cfg, err := cfg.Resolve(0)
	if err != nil {
		return nil, Capacity{}, err
	}
	if r := SpectralRadius(a); !(r < 1) {
		return nil, Capacity{}, fmt.Errorf("rnn: linear memory: A is not stable (spectral radius %.4g)", r)
	}
	drive := driveLinear
	if e.float32States() {
		drive = driveLinear32
	}
	w := cfg.Washout
	run := func(u []float64) (*mat.Dense, *mat.Dense) {
		return afterWashout(drive(a, v, u), w), task.DelayTargets(u, cfg.K, w)
	}
	train, trainY := run(cfg.input(trainStream))
	valid, validY := run(cfg.input(validStream))
	fit, err := e.fitter(train, trainY)
	if err != nil {
		return nil, Capacity{}, err
	}
	lambdas := memoryLambdas()
	if cfg.Lambda > 0 {
		lambdas = []float64{cfg.Lambda}
	}
	pts, best := walkLambdas(fit, valid, validY, lambdas, !path)
	if best < 0 {
		return pts, Capacity{}, fmt.Errorf("rnn: linear memory: estimator %s fits no readout at any λ", e)
	}
	curves := make([][]float64, cfg.Runs)
	for r := range curves {
		test, y := run(cfg.testInput(r))
		curves[r] = task.R2Columns(pts[best].readout.Predict(test), y)
	}
	return pts, capacityOf(curves, pts[best].lambda), nil
}
