package rnn

import (
	"math/bits"
	"sync"

	"github.com/lowrank-rnn/lowrank/kernels"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// engine runs a model over whole batches on the kernels: at each step the
// input projections as one batched product, then the fused batched step,
// with the recurrent weights dense or low-rank. It is what a deployed
// model computes, and much faster than the training pass for evaluation.
type engine struct {
	cfg Config
	w   [2]*kernels.Packed
	u   [2]kernels.Operator
	b   [2][]float32
	r   *kernels.Packed
	c   []float32
	// cols[g] holds the columns of W[g], In×n: the projection of a token
	// (see tokens).
	cols [2][]float32
	xp   [2][]float32
	h    [2][]float32
	work []float32
	out  []float32
	// onStep, if set, sees the state after each step (B×n) and, for the
	// MGRU, the f ⊙ h_{t−1} that fed U_h at that step.
	onStep func(t int, h, fh kernels.Matrix)
	// gated runs a GRU or LSTM instead (see infer_gated.go).
	gated *gatedEngine
}

func newEngine(m *Model, u [2]kernels.Operator) *engine {
	e := &engine{cfg: m.Config, u: u, r: kernels.Pack(m.R), c: m.C}
	for g := 0; g < m.Cell.gates(); g++ {
		e.w[g] = kernels.Pack(m.W[g])
		e.b[g] = m.B[g]
		e.cols[g] = columns(m.W[g])
	}
	return e
}

// columns returns the columns of a, one after the other.
func columns(a kernels.Matrix) []float32 {
	c := make([]float32, a.Rows*a.Cols)
	for i := range a.Rows {
		for j, v := range a.Row(i) {
			c[j*a.Rows+i] = v
		}
	}
	return c
}

// tokens returns b's input symbols when its inputs are their one-hot
// encoding (text: see task.Batch) and each is a column of an input in
// wide, else nil. The engines then take the column of the input weights
// for each token instead of multiplying them by its encoding: the same
// numbers, since such a product adds one weight to zeros.
func tokens(b *task.Batch, in int) []int32 {
	if b.In != in || len(b.Tokens) != b.T*b.B {
		return nil
	}
	for _, t := range b.Tokens {
		if t < 0 || int(t) >= in {
			return nil
		}
	}
	return b.Tokens
}

// engineOf returns an engine for m with dense recurrent weights.
func engineOf(m *Model) *engine {
	if m.Cell.Gated() {
		return &engine{cfg: m.Config, gated: packGated(m, nil).engine()}
	}
	var u [2]kernels.Operator
	for g := 0; g < m.Cell.gates(); g++ {
		u[g] = kernels.Pack(m.U[g])
	}
	return newEngine(m, u)
}

// grow returns s resliced to n floats, or a buffer of n floats from the
// pool (see release) if s is too small. The contents are undefined: the
// engines overwrite or clear what they use.
func grow(s []float32, n int) []float32 {
	if cap(s) >= n {
		return s[:n]
	}
	class := bits.Len(uint(n - 1)) // the smallest 2^class ≥ n
	if p, ok := buffers[class].Get().(*[]float32); ok {
		return (*p)[:n]
	}
	return make([]float32, n, 1<<class)
}

// buffers recycles the engines' buffers, by capacity 2^class: a sweep
// builds an engine for every configuration it evaluates, each with
// megabytes of projections and states per batch, and zeroing fresh ones
// (and collecting them) took a fifth of a GRU's sweep.
var buffers [bits.UintSize]sync.Pool

// release gives buffers that grow made back to the pool.
func release(bufs ...[]float32) {
	for _, b := range bufs {
		if c := cap(b); c > 0 && c&(c-1) == 0 {
			b = b[:0]
			buffers[bits.Len(uint(c-1))].Put(&b)
		}
	}
}

// run returns the readout of every step (T×B×Out, time-major), or of the
// last step (B×Out) for ClassifyLast: the trainer's layout, which
// task.Meter reads. The result is the engine's own buffer.
func (e *engine) run(b *task.Batch) []float32 {
	if e.gated != nil {
		return e.gated.run(b)
	}
	n, B, T, in := e.cfg.Hidden, b.B, b.T, e.cfg.In
	tb := T * B
	tok := tokens(b, in)
	for g := 0; g < e.cfg.Cell.gates(); g++ {
		e.xp[g] = grow(e.xp[g], B*n)
	}
	for i := range e.h {
		e.h[i] = grow(e.h[i], B*n)
	}
	clear(e.h[0])
	e.work = grow(e.work, 2*B*n)
	rows := tb
	if e.cfg.Objective == ClassifyLast {
		rows = B
	}
	e.out = grow(e.out, rows*e.cfg.Out)
	mat := func(d []float32) kernels.Matrix { return kernels.Matrix{Rows: B, Cols: n, Stride: n, Data: d} }
	for t := 0; t < T; t++ {
		h, hNew := mat(e.h[t%2]), mat(e.h[(t+1)%2])
		// The step's input projections, B×n each: computed step by step,
		// they stay in cache for the step that reads them.
		for g := 0; g < e.cfg.Cell.gates(); g++ {
			if tok == nil {
				e.w[g].MatVecBatch(mat(e.xp[g]), kernels.Matrix{Rows: B, Cols: in, Stride: in, Data: b.X[t*B*in : (t+1)*B*in]})
				continue
			}
			for r, s := range tok[t*B : (t+1)*B] {
				copy(e.xp[g][r*n:(r+1)*n], e.cols[g][int(s)*n:])
			}
		}
		xp0 := mat(e.xp[0])
		var fh kernels.Matrix
		if e.cfg.Cell == RNN {
			kernels.RNNStepBatch(hNew, h, xp0, e.b[0], e.u[0])
		} else {
			xp1 := mat(e.xp[1])
			kernels.MGRUStepBatch(hNew, h, xp0, xp1, e.b[0], e.b[1], e.u[0], e.u[1], e.work)
			fh = mat(e.work[B*n : 2*B*n])
		}
		if e.onStep != nil {
			e.onStep(t, hNew, fh)
		}
		if e.cfg.Objective != ClassifyLast || t == T-1 {
			o := e.out
			if e.cfg.Objective != ClassifyLast {
				o = e.out[t*B*e.cfg.Out : (t+1)*B*e.cfg.Out]
			}
			om := kernels.Matrix{Rows: B, Cols: e.cfg.Out, Stride: e.cfg.Out, Data: o}
			e.r.MatVecBatch(om, hNew)
			addBias(o, e.c)
		}
	}
	return e.out
}

// evaluate scores the engine on batches of a task.
func (e *engine) evaluate(spec task.Spec, batches []*task.Batch) *task.Meter {
	meter := task.NewMeter(spec)
	for _, b := range batches {
		meter.Add(b, e.run(b))
	}
	e.release()
	return meter
}

// release gives the engine's buffers back to the pool; a later run takes
// new ones.
func (e *engine) release() {
	if g := e.gated; g != nil {
		release(g.xp, g.hs, g.cs, g.in, g.work, g.out)
		g.xp, g.hs, g.cs, g.in, g.work, g.out = nil, nil, nil, nil, nil, nil
		return
	}
	release(e.xp[0], e.xp[1], e.h[0], e.h[1], e.work, e.out)
	e.xp, e.h, e.work, e.out = [2][]float32{}, [2][]float32{}, nil, nil
}

// engine returns an engine that runs the compressed model on its kernels:
// low-rank, quantized, or both.
func (c *Compressed) engine() *engine {
	if c.Cell.Gated() {
		return &engine{cfg: c.Config, gated: packGated(c.Model, c.gatedOperators()).engine()}
	}
	return newEngine(c.Model, c.operators())
}
