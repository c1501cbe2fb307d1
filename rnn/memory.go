package rnn

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// The noiseless memorization experiment. A network with one input is
// driven, with no noise, by a long stationary AR(1) input u_t (coefficient
// ρ, unit variance; ρ = 0 is white noise). A linear readout of u_{t−k}
// from the state h_t (the state after input u_t), k = 1..K, is fitted by
// ridge regression in float64 on the states of a training run and scored
// by R²(k) on an independent test run (other inputs); the first Washout
// steps of each run are not used. R²(k) is the memory curve and
// MC = Σ_k max(R²(k), 0) the memory capacity (Jaeger).
//
// For a compressed network two readouts are scored: the fixed readout,
// fitted on the states of the uncompressed network and applied to the
// compressed network's states (what a deployed model does when it is
// compressed without fine-tuning), and the refitted readout, fitted on the
// compressed network's own states (how much memory its dynamics still
// hold).

// MemoryConfig configures the memorization experiment. Zero fields take
// the defaults in their comments.
type MemoryConfig struct {
	Rho     float64 // AR(1) coefficient of the input, in [0, 1); 0: white noise
	K       int     // largest delay (default 64)
	Steps   int     // steps per run, training and test run each (default 10000)
	Washout int     // leading steps of each run not used (default max(K, task outputs, min(500, Steps/4)))
	// Lambda is the ridge penalty relative to the mean variance of the
	// states: the readout minimises (1/T)Σ‖u − Wᵀh − b‖² + λ‖W‖² with
	// λ = Lambda · tr(Cov h)/n (default DefaultMemoryLambda). It keeps
	// ill-conditioned state covariances solvable; naive least squares is
	// noisy.
	Lambda float64
	Seed   uint64 // seed of the inputs; the two runs draw from independent streams
	// Task also scores the model's own readout as recall outputs: output j
	// predicts u_{t−1−j} (the layout of task.Recall). That is the task
	// metric, condition "fixed readout" with the trained readout.
	Task bool
}

// DefaultMemoryLambda is the default relative ridge penalty: small enough
// that state directions with a 1e-8 share of the variance still count
// (noiseless networks store far delays there: larger values lower the
// capacity of truncated networks most, 1e-6 by about 5%, 1e-4 by about 20%
// at rank n/4), large enough that the state covariance of a rank-r network
// (rank r + 1) stays well conditioned in float64.
const DefaultMemoryLambda = 1e-8

// Resolve returns c with its defaults filled in, or an error saying what
// is invalid. taskOut is the number of the model's own outputs scored
// (Task), else 0.
func (c MemoryConfig) Resolve(taskOut int) (MemoryConfig, error) {
	if c.K == 0 {
		c.K = 64
	}
	if c.Steps == 0 {
		c.Steps = 10000
	}
	if c.Lambda == 0 {
		c.Lambda = DefaultMemoryLambda
	}
	if c.Washout == 0 {
		c.Washout = max(c.K, taskOut, min(500, c.Steps/4))
	}
	switch {
	case !(c.Rho >= 0 && c.Rho < 1):
		return c, fmt.Errorf("rnn: memory: input coefficient ρ = %v outside [0, 1)", c.Rho)
	case c.K < 1:
		return c, fmt.Errorf("rnn: memory: largest delay K = %d, want ≥ 1", c.K)
	case !(c.Lambda > 0) || math.IsInf(c.Lambda, 0):
		return c, fmt.Errorf("rnn: memory: ridge λ = %v, want a positive number", c.Lambda)
	case c.Washout < c.K || c.Washout < taskOut:
		return c, fmt.Errorf("rnn: memory: washout %d is shorter than the largest delay (K = %d, task outputs %d)", c.Washout, c.K, taskOut)
	case c.Steps-c.Washout < 2*c.K || c.Steps-c.Washout < 10:
		return c, fmt.Errorf("rnn: memory: %d steps leave %d after the washout of %d; want at least 2K = %d", c.Steps, c.Steps-c.Washout, c.Washout, 2*c.K)
	case c.Steps > 1<<22 || c.Steps*c.K > 1<<26:
		return c, fmt.Errorf("rnn: memory: %d steps × K = %d delays is too large (the delay targets alone would take %d MiB)", c.Steps, c.K, c.Steps*c.K*16>>20)
	}
	return c, nil
}

// inputs returns the training and test inputs: independent AR(1) streams
// determined by the seed.
func (c MemoryConfig) inputs() (train, test []float64) {
	train = task.AR1(rand.New(rand.NewPCG(c.Seed, 0x747261696e)), c.Rho, c.Steps) // "train"
	test = task.AR1(rand.New(rand.NewPCG(c.Seed, 0x74657374)), c.Rho, c.Steps)    // "test"
	return train, test
}

// MemoryResult is the outcome of the memorization experiment for one
// network. Curves hold R²(k) for k = 1..K (index k−1) on the test run.
type MemoryResult struct {
	Fixed, Refit     []float64 // fixed (reference network's) and refitted readout
	MCFixed, MCRefit float64   // Σ_k max(R²(k), 0)
	// Task is R²(j+1) of the model's own output j, j = 0..Out−1, and
	// MCTask its capacity (MemoryConfig.Task only).
	Task   []float64
	MCTask float64
}

// MemoryProbe runs the memorization experiment against a reference
// network: it holds the inputs, the delay targets and the fixed readout
// fitted on the reference network's states, so that many compressed
// versions of it are measured at the cost of their own runs only.
type MemoryProbe struct {
	cfg            MemoryConfig
	ref            *Model
	trainU, testU  []float64
	trainY, testY  *mat.Dense // u_{t−k}, rows t ≥ Washout
	taskY          *mat.Dense // test run targets of the model's outputs (Task)
	fixed          *task.Ridge
	refTrainStates *mat.Dense // rows t ≥ Washout
}

// NewMemoryProbe runs ref (In = 1) on the training input and fits the
// fixed readout. The probe keeps ref's states: do not change ref's
// recurrent or input weights while using it.
func NewMemoryProbe(ref *Model, cfg MemoryConfig) (*MemoryProbe, error) {
	if err := ref.Config.validate(); err != nil {
		return nil, err
	}
	if ref.In != 1 {
		return nil, fmt.Errorf("rnn: memory: the network has %d inputs, want 1", ref.In)
	}
	taskOut := 0
	if cfg.Task {
		if ref.Objective != Regression {
			return nil, fmt.Errorf("rnn: memory: the model's own readout is scored as recall outputs, but its objective is %s", ref.Objective)
		}
		taskOut = ref.Out
	}
	cfg, err := cfg.Resolve(taskOut)
	if err != nil {
		return nil, err
	}
	p := &MemoryProbe{cfg: cfg, ref: ref}
	p.trainU, p.testU = cfg.inputs()
	p.trainY = task.DelayTargets(p.trainU, cfg.K, cfg.Washout)
	p.testY = task.DelayTargets(p.testU, cfg.K, cfg.Washout)
	if cfg.Task {
		p.taskY = task.DelayTargets(p.testU, ref.Out, cfg.Washout)
	}
	h, _ := driveStates(ref, p.trainU, false)
	p.refTrainStates = afterWashout(h, cfg.Washout)
	if p.fixed, err = fitReadout(p.refTrainStates, p.trainY, cfg.Lambda); err != nil {
		return nil, err
	}
	return p, nil
}

// Config returns the configuration with its defaults filled in.
func (p *MemoryProbe) Config() MemoryConfig { return p.cfg }

// Measure runs m, a compressed version of the reference network (or the
// reference itself), on the training and test inputs and scores both
// readouts.
func (p *MemoryProbe) Measure(m *Model) (MemoryResult, error) {
	if m.Cell != p.ref.Cell || m.In != p.ref.In || m.Hidden != p.ref.Hidden {
		return MemoryResult{}, fmt.Errorf("rnn: memory: network %s/in=%d/n=%d does not match the reference %s/in=%d/n=%d",
			m.Cell, m.In, m.Hidden, p.ref.Cell, p.ref.In, p.ref.Hidden)
	}
	if p.cfg.Task && (m.Objective != Regression || m.Out != p.ref.Out) {
		return MemoryResult{}, fmt.Errorf("rnn: memory: the network's readout (%s, %d outputs) does not match the reference's (%d outputs)", m.Objective, m.Out, p.ref.Out)
	}
	w := p.cfg.Washout
	train := p.refTrainStates
	if m != p.ref {
		h, _ := driveStates(m, p.trainU, false)
		train = afterWashout(h, w)
	}
	h, out := driveStates(m, p.testU, p.cfg.Task)
	test := afterWashout(h, w)
	var res MemoryResult
	res.Fixed = task.R2Columns(p.fixed.Predict(test), p.testY)
	refit, err := fitReadout(train, p.trainY, p.cfg.Lambda)
	if err != nil {
		return MemoryResult{}, err
	}
	res.Refit = task.R2Columns(refit.Predict(test), p.testY)
	res.MCFixed, res.MCRefit = task.MemoryCapacity(res.Fixed), task.MemoryCapacity(res.Refit)
	if p.cfg.Task {
		res.Task = task.R2Columns(afterWashout(out, w), p.taskY)
		res.MCTask = task.MemoryCapacity(res.Task)
	}
	return res, nil
}

// Calibrate returns the moments of m's recurrent inputs on the training
// input (for the Whitened compression method): the test run stays unseen.
func (p *MemoryProbe) Calibrate(m *Model) (*Calibration, error) {
	u := p.trainU
	b := &task.Batch{Kind: task.Kind(m.Objective), T: len(u), B: 1, In: 1, Out: m.Out, Burn: min(m.Burn, len(u)-1),
		X: make([]float32, len(u))}
	for t, v := range u {
		b.X[t] = float32(v)
	}
	switch m.Objective {
	case Regression:
		b.Y = make([]float32, len(u)*m.Out)
	case ClassifyLast:
		b.Labels = make([]int32, 1)
	case ClassifyEach:
		b.Labels = make([]int32, len(u))
	}
	mm := *m
	mm.Burn = b.Burn // a calibration run is not scored
	return Calibrate(&mm, []*task.Batch{b})
}

// MemoryCurve runs the memorization experiment on m with the fixed readout
// fitted on ref (the uncompressed network; it may be m itself).
func MemoryCurve(m, ref *Model, cfg MemoryConfig) (MemoryResult, error) {
	p, err := NewMemoryProbe(ref, cfg)
	if err != nil {
		return MemoryResult{}, err
	}
	return p.Measure(m)
}

// afterWashout returns the rows t ≥ w of h.
func afterWashout(h *mat.Dense, w int) *mat.Dense {
	r, c := h.Dims()
	return h.Slice(w, r, 0, c).(*mat.Dense)
}

// fitReadout fits a ridge readout of the columns of y from the states,
// with λ relative to the states' mean variance.
func fitReadout(states, y *mat.Dense, rel float64) (*task.Ridge, error) {
	return task.FitRidge(states, y, rel*meanVariance(states))
}

// meanVariance is tr(Cov)/d of the rows of h, or 1 when the states do not
// vary (the readout is then zero whatever λ).
func meanVariance(h *mat.Dense) float64 {
	r, c := h.Dims()
	var total float64
	for j := 0; j < c; j++ {
		var s, ss float64
		for i := 0; i < r; i++ {
			v := h.At(i, j)
			s += v
			ss += v * v
		}
		total += max(ss-s*s/float64(r), 0) / float64(r)
	}
	if v := total / float64(c); v > 0 {
		return v
	}
	return 1
}

// driveStates drives m (In = 1) with u from a zero state, in float64, and
// returns the states (row t: h_t, after input u[t]) and, when outputs is
// set, the readout outputs (row t: R h_t + c).
func driveStates(m *Model, u []float64, outputs bool) (states, out *mat.Dense) {
	if m.Cell.Gated() {
		return driveGated(m, u, outputs)
	}
	nt := netOf[float64](m)
	n := m.Hidden
	bl := blas64.Implementation()
	states = mat.NewDense(len(u), n, nil)
	hp := make([]float64, n)
	f, fh := make([]float64, n), make([]float64, n)
	for t, x := range u {
		h := states.RawRowView(t)
		if m.Cell == RNN {
			w, b := nt.w(0), nt.b(0)
			for i := range h {
				h[i] = w[i]*x + b[i]
			}
			bl.Dgemv(blas.NoTrans, n, n, 1, nt.u(0), n, hp, 1, 1, h, 1)
			for i, v := range h {
				h[i] = math.Tanh(v)
			}
		} else {
			wf, bf, wh, bh := nt.w(0), nt.b(0), nt.w(1), nt.b(1)
			for i := range f {
				f[i] = wf[i]*x + bf[i]
			}
			bl.Dgemv(blas.NoTrans, n, n, 1, nt.u(0), n, hp, 1, 1, f, 1)
			for i, v := range f {
				f[i] = sigmoid(v)
				fh[i] = f[i] * hp[i]
			}
			for i := range h {
				h[i] = wh[i]*x + bh[i]
			}
			bl.Dgemv(blas.NoTrans, n, n, 1, nt.u(1), n, fh, 1, 1, h, 1)
			for i, v := range h {
				h[i] = hp[i] + f[i]*(math.Tanh(v)-hp[i])
			}
		}
		hp = h
	}
	if !outputs {
		return states, nil
	}
	out = mat.NewDense(len(u), m.Out, nil)
	out.Mul(states, mat.NewDense(m.Out, n, nt.r()).T())
	c := nt.c()
	for t := range u {
		row := out.RawRowView(t)
		for j := range row {
			row[j] += c[j]
		}
	}
	return states, out
}

// driveGated is driveStates for a GRU or LSTM: the states are the top
// layer's outputs (P wide), what its readout reads.
func driveGated(m *Model, u []float64, outputs bool) (states, out *mat.Dense) {
	nt := netOf[float64](m)
	nt.Objective = ClassifyLast // one readout row; the states are what is wanted
	bt := &Batch[float64]{T: len(u), B: 1, X: u, Labels: make([]int32, 1)}
	var ps pass[float64]
	nt.forward(&ps, bt)
	p := m.stateWidth()
	states = mat.NewDense(len(u), p, append([]float64(nil), ps.h[p:]...))
	if !outputs {
		return states, nil
	}
	out = mat.NewDense(len(u), m.Out, nil)
	out.Mul(states, mat.NewDense(m.Out, p, nt.r()).T())
	c := nt.c()
	for t := range u {
		row := out.RawRowView(t)
		for j := range row {
			row[j] += c[j]
		}
	}
	return states, out
}

// RandomReservoir returns an untrained network with one input: each
// recurrent matrix is a Gaussian matrix scaled to spectral radius radius,
// or (orthogonal) a random orthogonal matrix times radius, whose
// eigenvalues all have modulus radius. Input weights are New's (Glorot
// uniform, ±√(6/(n+1))), biases zero; the readout (Out = 1, Regression) is
// unused. The same seed gives the same network.
func RandomReservoir(cell Cell, n int, radius float64, orthogonal bool, seed uint64) (*Model, error) {
	if !(radius > 0) || math.IsInf(radius, 0) {
		return nil, fmt.Errorf("rnn: reservoir: spectral radius %v, want a positive number", radius)
	}
	m, err := New(Config{Cell: cell, In: 1, Hidden: n, Out: 1, Objective: Regression}, seed)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x7265736572766f69)) // "reservoi"
	for g := 0; g < cell.gates(); g++ {
		a := RandomRecurrent(rng, n, radius, orthogonal)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				m.U[g].Set(i, j, float32(a.At(i, j)))
			}
		}
	}
	return m, nil
}

// RandomRecurrent returns an n×n matrix with spectral radius radius: a
// Gaussian matrix scaled to it, or a Haar-random orthogonal matrix times
// radius.
func RandomRecurrent(rng *rand.Rand, n int, radius float64, orth bool) *mat.Dense {
	a := mat.NewDense(n, n, nil)
	if orth {
		a.Scale(radius, toDense(orthogonal(rng, n))) // float32 entries: orthogonal to ~1e-7
		return a
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	if r := SpectralRadius(a); r > 0 {
		a.Scale(radius/r, a)
	}
	return a
}

// SpectralRadius returns the largest modulus of the eigenvalues of a.
func SpectralRadius(a mat.Matrix) float64 {
	var eig mat.Eigen
	if !eig.Factorize(a, mat.EigenNone) {
		return math.NaN()
	}
	var r float64
	for _, v := range eig.Values(nil) {
		r = max(r, cmplx.Abs(v))
	}
	return r
}

// TruncatedSVD returns the best rank-r approximation of a (Frobenius
// norm): its SVD with all but the r largest singular values zeroed.
func TruncatedSVD(a mat.Matrix, r int) (*mat.Dense, error) {
	rows, cols := a.Dims()
	if r < 0 {
		return nil, fmt.Errorf("rnn: truncated SVD: rank %d", r)
	}
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		return nil, errors.New("rnn: truncated SVD: SVD did not converge")
	}
	s := svd.Values(nil)
	r = min(r, len(s))
	out := mat.NewDense(rows, cols, nil)
	if r == 0 {
		return out, nil
	}
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	us := mat.DenseCopyOf(u.Slice(0, rows, 0, r))
	for k := 0; k < r; k++ {
		for i := 0; i < rows; i++ {
			us.Set(i, k, us.At(i, k)*s[k])
		}
	}
	out.Mul(us, v.Slice(0, cols, 0, r).T())
	return out, nil
}

// LinearMemory runs the memorization experiment on the linear network
// x_t = A x_{t−1} + v u_t (x_{−1} = 0), in float64: the refitted readout of
// MemoryConfig's experiment, R²(k) for k = 1..K and the capacity. With
// white input (Rho = 0) it estimates LinearMemoryTheory. A must be stable:
// note that truncating a stable non-normal A can make it unstable.
func LinearMemory(a *mat.Dense, v []float64, cfg MemoryConfig) (mc float64, curve []float64, err error) {
	n, c := a.Dims()
	if n != c || len(v) != n || n < 1 {
		return 0, nil, fmt.Errorf("rnn: linear memory: A is %d×%d and v has %d elements", n, c, len(v))
	}
	if cfg, err = cfg.Resolve(0); err != nil {
		return 0, nil, err
	}
	if r := SpectralRadius(a); !(r < 1) {
		return 0, nil, fmt.Errorf("rnn: linear memory: A is not stable (spectral radius %.4g)", r)
	}
	trainU, testU := cfg.inputs()
	train := afterWashout(driveLinear(a, v, trainU), cfg.Washout)
	test := afterWashout(driveLinear(a, v, testU), cfg.Washout)
	rd, err := fitReadout(train, task.DelayTargets(trainU, cfg.K, cfg.Washout), cfg.Lambda)
	if err != nil {
		return 0, nil, err
	}
	curve = task.R2Columns(rd.Predict(test), task.DelayTargets(testU, cfg.K, cfg.Washout))
	return task.MemoryCapacity(curve), curve, nil
}

// driveLinear returns the states of x_t = A x_{t−1} + v u_t, row t = x_t.
func driveLinear(a *mat.Dense, v, u []float64) *mat.Dense {
	n, _ := a.Dims()
	bl := blas64.Implementation()
	ra := a.RawMatrix()
	states := mat.NewDense(len(u), n, nil)
	hp := make([]float64, n)
	for t, x := range u {
		h := states.RawRowView(t)
		for i := range h {
			h[i] = v[i] * x
		}
		bl.Dgemv(blas.NoTrans, n, n, 1, ra.Data, ra.Stride, hp, 1, 1, h, 1)
		hp = h
	}
	return states
}

// LinearMemoryTheory returns the memory curve of the linear network
// x_t = A x_{t−1} + v u_t for white unit-variance input: with the state
// covariance P = A P Aᵀ + v vᵀ, m(k) = vᵀ A^{kᵀ} P⁺ A^k v for k = 1..K
// (curve[k−1]), and m0 = m(0) = vᵀ P⁺ v. Σ_{k≥0} m(k) equals rank P, the
// rank of the Krylov matrix [v, Av, A²v, …]: at most N, and r + 1 when A
// has rank r. The values are exact (see LinearMemoryExact, which also
// reports the condition number and precision used): a truncated A is
// reduced to its r + 1 coordinates, and P is handled in extended precision,
// since its smallest eigenvalues carry memory far below float64's
// resolution. For an invertible A, m0 = 1 − det(A)², so a scaled
// orthogonal A of radius ρ keeps N − 1 + ρ^{2N} over k ≥ 1. A must be
// stable (spectral radius below 1).
func LinearMemoryTheory(a *mat.Dense, v []float64, K int) (curve []float64, m0 float64, err error) {
	t, err := LinearMemoryExact(a, v, K)
	if err != nil {
		return nil, 0, err
	}
	return t.Curve, t.M0, nil
}
