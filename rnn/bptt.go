package rnn

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// Float is the precision of a training pass: float32 for training, float64
// for the finite-difference gradient checks.
type Float interface{ float32 | float64 }

// Batch is a minibatch of B sequences of T steps, time-major.
type Batch[T Float] struct {
	T, B int
	// X[(t*B+b)*In+i] is input feature i of sequence b at step t.
	X []T
	// Y holds Regression targets, T×B×Out like X.
	Y []T
	// Labels holds class labels: B of them for ClassifyLast, T×B (time-major)
	// for ClassifyEach.
	Labels []int32
}

// net is a model's parameters in precision T, in Params order: per gate
// W (n×in), U (n×n), b (n); then R (out×n), c (out).
type net[T Float] struct {
	Config
	p [][]T
}

func (nt *net[T]) w(g int) []T { return nt.p[3*g] }
func (nt *net[T]) u(g int) []T { return nt.p[3*g+1] }
func (nt *net[T]) b(g int) []T { return nt.p[3*g+2] }
func (nt *net[T]) r() []T      { return nt.p[nt.readoutIndex()] }
func (nt *net[T]) c() []T      { return nt.p[nt.readoutIndex()+1] }

// netOf copies the parameters of m into precision T.
func netOf[T Float](m *Model) *net[T] {
	nt := &net[T]{Config: m.Config}
	for _, p := range m.Params() {
		d := make([]T, len(p.Data))
		for i, v := range p.Data {
			d[i] = T(v)
		}
		nt.p = append(nt.p, d)
	}
	return nt
}

// zeroLike returns zeroed tensors shaped like nt's.
func (nt *net[T]) zeroLike() [][]T {
	g := make([][]T, len(nt.p))
	for i, p := range nt.p {
		g[i] = make([]T, len(p))
	}
	return g
}

// pass holds the activations of one forward pass, kept for the backward
// pass, and its scratch; reused across minibatches of the same shape.
type pass[T Float] struct {
	t, bs int
	h     []T           // (T+1)×B×n, h[0] = 0
	xp    [2][]T        // per gate, T×B×n: W x_t + b
	f, hc []T           // MGRU: gate f_t and candidate h̃_t, T×B×n
	fh    []T           // MGRU: f_t ⊙ h_{t−1}
	o     []T           // readout outputs: T×B×out (ClassifyLast: B×out)
	da    [2][]T        // per gate, T×B×n: ∂L/∂(pre-activation)
	dh    []T           // B×n: ∂L/∂h_t flowing back
	dfh   []T           // B×n
	do    []T           // like o
	g     *gatedPass[T] // a GRU or LSTM (see bptt_gated.go); h is then its top layer's states
}

func (ps *pass[T]) resize(cfg Config, t, bs int) {
	if ps.t == t && ps.bs == bs && ps.h != nil {
		return
	}
	n, tbn := cfg.Hidden, t*bs*cfg.Hidden
	ps.t, ps.bs = t, bs
	ps.h = make([]T, (t+1)*bs*n)
	for g := 0; g < cfg.Cell.gates(); g++ {
		ps.xp[g] = make([]T, tbn)
		ps.da[g] = make([]T, tbn)
	}
	if cfg.Cell == MGRU {
		ps.f, ps.hc, ps.fh = make([]T, tbn), make([]T, tbn), make([]T, tbn)
		ps.dfh = make([]T, bs*n)
	}
	ps.dh = make([]T, bs*n)
	ps.resizeReadout(cfg, t, bs)
}

// resizeReadout sizes the readout's outputs and their gradient.
func (ps *pass[T]) resizeReadout(cfg Config, t, bs int) {
	rows := t * bs
	if cfg.Objective == ClassifyLast {
		rows = bs
	}
	if len(ps.o) != rows*cfg.Out {
		ps.o = make([]T, rows*cfg.Out)
		ps.do = make([]T, rows*cfg.Out)
	}
}

func (nt *net[T]) checkBatch(bt *Batch[T]) error {
	err := task.CheckLayout(task.Kind(nt.Objective), bt.T, bt.B, nt.In, nt.Out, len(bt.X), len(bt.Y), bt.Labels)
	if err != nil {
		return err
	}
	if nt.Objective != ClassifyLast && nt.Burn >= bt.T {
		return fmt.Errorf("rnn: burn-in %d leaves no scored step of %d", nt.Burn, bt.T)
	}
	return nil
}

// forward runs the batch and returns the mean loss, keeping what backward
// needs in ps.
func (nt *net[T]) forward(ps *pass[T], bt *Batch[T]) T {
	if nt.Cell.Gated() {
		return nt.forwardGated(ps, bt)
	}
	n, bs, tt := nt.Hidden, bt.B, bt.T
	ps.resize(nt.Config, tt, bs)
	bn := bs * n
	clear(ps.h[:bn])
	// Input projections of every step at once: XP = X·Wᵀ + b.
	for g := 0; g < nt.Cell.gates(); g++ {
		gemm(false, true, tt*bs, n, nt.In, 1, bt.X, nt.In, nt.w(g), nt.In, 0, ps.xp[g], n)
		addBias(ps.xp[g], nt.b(g))
	}
	for t := 0; t < tt; t++ {
		hp, h := ps.h[t*bn:(t+1)*bn], ps.h[(t+1)*bn:(t+2)*bn]
		if nt.Cell == RNN {
			copy(h, ps.xp[0][t*bn:(t+1)*bn])
			gemm(false, true, bs, n, n, 1, hp, n, nt.u(0), n, 1, h, n)
			for i := range h {
				h[i] = T(math.Tanh(float64(h[i])))
			}
			continue
		}
		f, hc, fh := ps.f[t*bn:(t+1)*bn], ps.hc[t*bn:(t+1)*bn], ps.fh[t*bn:(t+1)*bn]
		copy(f, ps.xp[0][t*bn:(t+1)*bn])
		gemm(false, true, bs, n, n, 1, hp, n, nt.u(0), n, 1, f, n)
		for i := range f {
			f[i] = sigmoid(f[i])
			fh[i] = f[i] * hp[i]
		}
		copy(hc, ps.xp[1][t*bn:(t+1)*bn])
		gemm(false, true, bs, n, n, 1, fh, n, nt.u(1), n, 1, hc, n)
		for i := range hc {
			hc[i] = T(math.Tanh(float64(hc[i])))
			h[i] = hp[i] + f[i]*(hc[i]-hp[i])
		}
	}
	return nt.readout(ps, bt)
}

// readout computes the outputs, the loss and ∂L/∂o.
func (nt *net[T]) readout(ps *pass[T], bt *Batch[T]) T {
	n, bs, tt, out := nt.readWidth(), bt.B, bt.T, nt.Out
	if out == 0 {
		return 0 // a GRU or LSTM without a readout scores nothing
	}
	bn := bs * n
	if nt.Objective == ClassifyLast {
		gemm(false, true, bs, out, n, 1, ps.h[tt*bn:], n, nt.r(), n, 0, ps.o, out)
	} else {
		gemm(false, true, tt*bs, out, n, 1, ps.h[bn:], n, nt.r(), n, 0, ps.o, out)
	}
	addBias(ps.o, nt.c())
	clear(ps.do)
	var loss float64
	switch nt.Objective {
	case Regression:
		scale := 1 / T(bs*(tt-nt.Burn))
		for k := nt.Burn * bs * out; k < len(ps.o); k++ {
			e := ps.o[k] - bt.Y[k]
			loss += float64(e * e)
			ps.do[k] = e * scale
		}
		loss *= 0.5 * float64(scale)
	case ClassifyLast:
		scale := 1 / T(bs)
		for b := 0; b < bs; b++ {
			loss += softmaxCE(ps.o[b*out:(b+1)*out], ps.do[b*out:(b+1)*out], int(bt.Labels[b]), scale)
		}
		loss *= float64(scale)
	case ClassifyEach:
		scale := 1 / T(bs*(tt-nt.Burn))
		for k := nt.Burn * bs; k < tt*bs; k++ {
			loss += softmaxCE(ps.o[k*out:(k+1)*out], ps.do[k*out:(k+1)*out], int(bt.Labels[k]), scale)
		}
		loss *= float64(scale)
	}
	return T(loss)
}

// softmaxCE returns −log softmax(o)[label] and sets d = scale·(softmax(o) − onehot).
func softmaxCE[T Float](o, d []T, label int, scale T) float64 {
	mx := o[0]
	for _, v := range o {
		mx = max(mx, v)
	}
	var sum float64
	for i, v := range o {
		e := math.Exp(float64(v - mx))
		d[i] = T(e)
		sum += e
	}
	for i := range d {
		d[i] = T(float64(d[i])/sum) * scale
	}
	d[label] -= scale
	return math.Log(sum) - float64(o[label]-mx)
}

// backward accumulates ∂L/∂θ into grad, after forward on the same batch.
func (nt *net[T]) backward(ps *pass[T], bt *Batch[T], grad [][]T) {
	if nt.Cell.Gated() {
		nt.backwardGated(ps, bt, grad)
		return
	}
	n, bs, tt, out := nt.Hidden, bt.B, bt.T, nt.Out
	bn := bs * n
	G := nt.Cell.gates()
	gr, gc := grad[3*G], grad[3*G+1]
	// Readout: dR = dOᵀ·H, dc = Σ dO.
	hs := ps.h[bn:]
	rows := tt * bs
	if nt.Objective == ClassifyLast {
		hs, rows = ps.h[tt*bn:], bs
	}
	gemm(true, false, out, n, rows, 1, ps.do, out, hs, n, 1, gr, n)
	sumRows(gc, ps.do, out)

	clear(ps.dh)
	for t := tt - 1; t >= 0; t-- {
		// ∂L/∂h_t from the readout at step t.
		switch {
		case nt.Objective != ClassifyLast:
			gemm(false, false, bs, n, out, 1, ps.do[t*bs*out:], out, nt.r(), n, 1, ps.dh, n)
		case t == tt-1:
			gemm(false, false, bs, n, out, 1, ps.do, out, nt.r(), n, 1, ps.dh, n)
		}
		hp, h := ps.h[t*bn:(t+1)*bn], ps.h[(t+1)*bn:(t+2)*bn]
		if nt.Cell == RNN {
			da := ps.da[0][t*bn : (t+1)*bn]
			for i := range da {
				da[i] = ps.dh[i] * (1 - h[i]*h[i])
			}
			// dh_{t−1} = da·U (the old dh is fully consumed).
			gemm(false, false, bs, n, n, 1, da, n, nt.u(0), n, 0, ps.dh, n)
			continue
		}
		f, hc := ps.f[t*bn:(t+1)*bn], ps.hc[t*bn:(t+1)*bn]
		daf, dah := ps.da[0][t*bn:(t+1)*bn], ps.da[1][t*bn:(t+1)*bn]
		// h = hp + f⊙(hc − hp): dhc = dh⊙f, df = dh⊙(hc − hp), dhp = dh⊙(1 − f).
		for i := range dah {
			dah[i] = ps.dh[i] * f[i] * (1 - hc[i]*hc[i])
			daf[i] = ps.dh[i] * (hc[i] - hp[i]) // df, completed below
			ps.dh[i] *= 1 - f[i]
		}
		// fh = f⊙hp feeds U_h: dfh = dah·U_h.
		gemm(false, false, bs, n, n, 1, dah, n, nt.u(1), n, 0, ps.dfh, n)
		for i := range daf {
			df := daf[i] + ps.dfh[i]*hp[i]
			ps.dh[i] += ps.dfh[i] * f[i]
			daf[i] = df * f[i] * (1 - f[i])
		}
		gemm(false, false, bs, n, n, 1, daf, n, nt.u(0), n, 1, ps.dh, n)
	}
	// Weight gradients of all steps at once.
	for g := 0; g < G; g++ {
		gemm(true, false, n, nt.In, tt*bs, 1, ps.da[g], n, bt.X, nt.In, 1, grad[3*g], nt.In)
		sumRows(grad[3*g+2], ps.da[g], n)
	}
	if nt.Cell == RNN {
		// dU = Σ_t da_tᵀ·h_{t−1}.
		gemm(true, false, n, n, tt*bs, 1, ps.da[0], n, ps.h[:tt*bn], n, 1, grad[1], n)
	} else {
		gemm(true, false, n, n, tt*bs, 1, ps.da[0], n, ps.h[:tt*bn], n, 1, grad[1], n)
		gemm(true, false, n, n, tt*bs, 1, ps.da[1], n, ps.fh, n, 1, grad[4], n)
	}
}

func sigmoid[T Float](x T) T { return T(1 / (1 + math.Exp(-float64(x)))) }

// addBias adds b to every row of a (rows of len(b)).
func addBias[T Float](a, b []T) {
	for k := 0; k < len(a); k += len(b) {
		row := a[k : k+len(b)]
		for i, v := range b {
			row[i] += v
		}
	}
}

// sumRows adds the rows of a (rows of len(s)) into s.
func sumRows[T Float](s, a []T, cols int) {
	for k := 0; k < len(a); k += cols {
		for i, v := range a[k : k+cols] {
			s[i] += v
		}
	}
}

// gemm sets c = alpha·op(a)·op(b) + beta·c for row-major operands, op
// transposing when asked: op(a) is m×k and op(b) k×n. It runs on gonum's
// BLAS in the precision of T.
func gemm[T Float](ta, tb bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	tA, tB := blas.NoTrans, blas.NoTrans
	if ta {
		tA = blas.Trans
	}
	if tb {
		tB = blas.Trans
	}
	switch a := any(a).(type) {
	case []float32:
		blas32.Implementation().Sgemm(tA, tB, m, n, k, float32(alpha), a, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		blas64.Implementation().Dgemm(tA, tB, m, n, k, float64(alpha), a, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	default:
		panic("rnn: gemm on an unsupported float type")
	}
}
