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
// ridge regression in float64 on the states of a training run, its
// penalty chosen on a validation run, and scored by R²(k) on Runs
// independent test runs; every run has its own input, and the first
// Washout steps of each are not used. R²(k) is the memory curve and
// MC = Σ_k max(R²(k), 0) the memory capacity (Jaeger), given as the mean
// over the test runs with a 95% confidence interval (Capacity).
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
	Rho float64 // AR(1) coefficient of the input, in [0, 1); 0: white noise
	K   int     // largest delay (default 64)
	// Steps is the length of each run: the training run, the validation
	// run and every test run (default 10000).
	Steps   int
	Washout int // leading steps of each run not used (default max(K, task outputs, min(500, Steps/4)))
	// Lambda is the ridge penalty relative to the mean variance of the
	// states: the readout minimises (1/T)Σ‖u − Wᵀh − b‖² + λ‖W‖² with
	// λ = Lambda · tr(Cov h)/n. Zero (the default) chooses it for each
	// readout on the validation run, from every second decade between
	// 1e-2 and 1e-36: the penalty whose readout scores the largest
	// capacity there. Noiseless networks keep far delays in state
	// directions with tiny shares of the variance, which any fixed λ above
	// those shares discards.
	Lambda float64
	Runs   int    // independent test runs (default 8, at least 2)
	Seed   uint64 // seed of the inputs; every run draws from its own stream
	// Task also scores the model's own readout as recall outputs: output j
	// predicts u_{t−1−j} (the layout of task.Recall). That is the task
	// metric, condition "fixed readout" with the trained readout.
	Task bool
}

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
	if c.Runs == 0 {
		c.Runs = 8
	}
	if c.Washout == 0 {
		c.Washout = max(c.K, taskOut, min(500, c.Steps/4))
	}
	switch {
	case !(c.Rho >= 0 && c.Rho < 1):
		return c, fmt.Errorf("rnn: memory: input coefficient ρ = %v outside [0, 1)", c.Rho)
	case c.K < 1:
		return c, fmt.Errorf("rnn: memory: largest delay K = %d, want ≥ 1", c.K)
	case c.Lambda != 0 && Bounds.Lambda.Check(c.Lambda) != nil:
		return c, fmt.Errorf("rnn: memory: ridge %v; or 0 to choose λ by validation", Bounds.Lambda.Check(c.Lambda))
	case Bounds.Runs.Check(c.Runs) != nil:
		return c, fmt.Errorf("rnn: memory: %v", Bounds.Runs.Check(c.Runs))
	case c.Washout < c.K || c.Washout < taskOut:
		return c, fmt.Errorf("rnn: memory: washout %d is shorter than the largest delay (K = %d, task outputs %d)", c.Washout, c.K, taskOut)
	case c.Steps-c.Washout < 2*c.K || c.Steps-c.Washout < 10:
		return c, fmt.Errorf("rnn: memory: %d steps leave %d after the washout of %d; want at least 2K = %d", c.Steps, c.Steps-c.Washout, c.Washout, 2*c.K)
	case c.Steps > 1<<22 || c.Steps*c.K > 1<<25:
		return c, fmt.Errorf("rnn: memory: %d steps × K = %d delays is too large (the delay targets of the training, validation and a test run would take %d MiB)",
			c.Steps, c.K, c.Steps*c.K*24>>20)
	}
	return c, nil
}

// Streams of the runs' inputs: "train", "valid", and "test" for test run
// 0, the others above it.
const (
	trainStream = 0x747261696e
	validStream = 0x76616c6964
	testStream  = 0x74657374
)

// input returns the input of one run: an AR(1) stream determined by the
// seed and the stream.
func (c MemoryConfig) input(stream uint64) []float64 {
	return task.AR1(rand.New(rand.NewPCG(c.Seed, stream)), c.Rho, c.Steps)
}

// testInput returns the input of test run r.
func (c MemoryConfig) testInput(r int) []float64 { return c.input(testStream + uint64(r)<<40) }

// MemoryResult is the outcome of the memorization experiment for one
// network, over Runs test runs.
type MemoryResult struct {
	Fixed, Refit Capacity // the fixed (reference network's) and refitted readouts
	// Task is the model's own readout (MemoryConfig.Task only, else zero):
	// R²(j+1) of output j, j = 0..Out−1.
	Task Capacity
	Runs int
}

// MemoryProbe runs the memorization experiment against a reference
// network: it holds the inputs and delay targets of the training and
// validation runs and the fixed readout fitted on the reference network's
// states, so that many compressed versions of it are measured at the cost
// of their own runs only. Measure may be called concurrently.
type MemoryProbe struct {
	cfg                MemoryConfig
	ref                *Model
	trainU, validU     []float64
	trainY, validY     *mat.Dense // u_{t−k}, rows t ≥ Washout
	fixed              *task.Ridge
	fixedLambda        float64
	refTrain, refValid *mat.Dense // rows t ≥ Washout
}

// NewMemoryProbe runs ref (In = 1) on the training and validation inputs
// and fits the fixed readout. The probe keeps ref's states: do not change
// ref's recurrent or input weights while using it.
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
	p := &MemoryProbe{cfg: cfg, ref: ref, trainU: cfg.input(trainStream), validU: cfg.input(validStream)}
	p.trainY = task.DelayTargets(p.trainU, cfg.K, cfg.Washout)
	p.validY = task.DelayTargets(p.validU, cfg.K, cfg.Washout)
	p.refTrain, p.refValid = p.states(ref, p.trainU), p.states(ref, p.validU)
	p.fixed, p.fixedLambda, err = fitReadout(p.refTrain, p.trainY, p.refValid, p.validY, cfg.Lambda)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Config returns the configuration with its defaults filled in.
func (p *MemoryProbe) Config() MemoryConfig { return p.cfg }

// states returns m's states on input u, after the washout.
func (p *MemoryProbe) states(m *Model, u []float64) *mat.Dense {
	h, _ := driveStates(m, u, false)
	return afterWashout(h, p.cfg.Washout)
}

// Measure runs m, a compressed version of the reference network (or the
// reference itself), on the training, validation and test inputs, fits
// its own readout, and scores both readouts (and the model's own) on
// every test run.
func (p *MemoryProbe) Measure(m *Model) (MemoryResult, error) {
	if m.Cell != p.ref.Cell || m.In != p.ref.In || m.Hidden != p.ref.Hidden {
		return MemoryResult{}, fmt.Errorf("rnn: memory: network %s/in=%d/n=%d does not match the reference %s/in=%d/n=%d",
			m.Cell, m.In, m.Hidden, p.ref.Cell, p.ref.In, p.ref.Hidden)
	}
	if p.cfg.Task && (m.Objective != Regression || m.Out != p.ref.Out) {
		return MemoryResult{}, fmt.Errorf("rnn: memory: the network's readout (%s, %d outputs) does not match the reference's (%d outputs)", m.Objective, m.Out, p.ref.Out)
	}
	train, valid := p.refTrain, p.refValid
	if m != p.ref {
		train, valid = p.states(m, p.trainU), p.states(m, p.validU)
	}
	refit, lambda, err := fitReadout(train, p.trainY, valid, p.validY, p.cfg.Lambda)
	if err != nil {
		return MemoryResult{}, err
	}
	w, runs := p.cfg.Washout, p.cfg.Runs
	fixed, refitted, own := make([][]float64, runs), make([][]float64, runs), make([][]float64, runs)
	for r := range runs {
		u := p.cfg.testInput(r)
		h, out := driveStates(m, u, p.cfg.Task)
		test, y := afterWashout(h, w), task.DelayTargets(u, p.cfg.K, w)
		fixed[r] = task.R2Columns(p.fixed.Predict(test), y)
		refitted[r] = task.R2Columns(refit.Predict(test), y)
		if p.cfg.Task {
			own[r] = task.R2Columns(afterWashout(out, w), task.DelayTargets(u, m.Out, w))
		}
	}
	res := MemoryResult{Fixed: capacityOf(fixed, p.fixedLambda), Refit: capacityOf(refitted, lambda), Runs: runs}
	if p.cfg.Task {
		res.Task = capacityOf(own, 0)
	}
	return res, nil
}

// Calibrate returns the moments of m's recurrent inputs on the training
// input (for the Whitened compression method): the validation and test
// runs stay unseen.
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
// MemoryConfig's experiment, its capacity over the test runs. With white
// input (Rho = 0) it estimates LinearMemoryTheory. A must be stable: note
// that truncating a stable non-normal A can make it unstable.
func LinearMemory(a *mat.Dense, v []float64, cfg MemoryConfig) (Capacity, error) {
	_, c, err := linearEstimate(a, v, cfg, EstimatorSVD, false)
	return c, err
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
