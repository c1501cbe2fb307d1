package rnn

import (
	"github.com/lowrank-rnn/lowrank/kernels"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// Inference of PyTorch's cells on the kernels: each layer's input
// projection W_ih·x + b_ih as one (batched) product, then the fused gated
// step (kernels.GRUStep, kernels.LSTMStep) with the recurrent weights
// packed gate-interleaved (dense, or a joint factorisation), the
// projection, and the readout on the top layer.

// gatedNet holds a GRU's or LSTM's weights packed for the kernels.
type gatedNet struct {
	cfg      Config
	wih      []*kernels.Packed
	cols     []float32 // the columns of the first layer's W_ih, In×G·H (see tokens)
	bih, bhh [][]float32
	u        []kernels.Operator // per layer: weight_hh, G·H×P
	proj     []kernels.Operator // per layer: weight_hr, P×H; nil without
	r        *kernels.Packed    // nil without a readout
	c        []float32
}

// packGated packs m's weights, with u[k] as layer k's recurrent weights
// (nil: weight_hh packed dense). The biases and the readout are copied:
// later changes to m do not reach the result.
func packGated(m *Model, u []kernels.Operator) *gatedNet {
	g := &gatedNet{cfg: m.Config}
	g.cols = columns(m.Layers[0].Wih)
	for k, l := range m.Layers {
		g.wih = append(g.wih, kernels.Pack(l.Wih))
		g.bih = append(g.bih, append([]float32(nil), l.Bih...))
		g.bhh = append(g.bhh, append([]float32(nil), l.Bhh...))
		var op kernels.Operator = kernels.PackGates(l.Whh, m.Cell.torchGates())
		if u != nil && u[k] != nil {
			op = u[k]
		}
		g.u = append(g.u, op)
		var pr kernels.Operator
		if m.Proj > 0 {
			pr = kernels.Pack(l.Whr)
		}
		g.proj = append(g.proj, pr)
	}
	if m.Out > 0 {
		g.r, g.c = kernels.Pack(m.R), append([]float32(nil), m.C...)
	}
	return g
}

// gatedStream is Stream's state for a GRU or LSTM: per layer h (P), c (H)
// and their next values, the input projection and the step's work.
type gatedStream struct {
	*gatedNet
	h, hNext, c, cNext [][]float32
	xp                 []float32
	work               []float32
}

func newGatedStream(g *gatedNet) *gatedStream {
	cfg := g.cfg
	s := &gatedStream{gatedNet: g, xp: make([]float32, cfg.Cell.torchGates()*cfg.Hidden), work: make([]float32, 5*cfg.Hidden)}
	for range cfg.NumLayers {
		p := cfg.stateWidth()
		s.h, s.hNext = append(s.h, make([]float32, p)), append(s.hNext, make([]float32, p))
		s.c, s.cNext = append(s.c, make([]float32, cfg.Hidden)), append(s.cNext, make([]float32, cfg.Hidden))
	}
	return s
}

// step advances every layer by one input x and returns the top layer's
// new state.
func (s *gatedStream) step(x []float32) []float32 {
	in := x
	for k := range s.wih {
		s.wih[k].MatVec(s.xp, in)
		for i, v := range s.bih[k] {
			s.xp[i] += v
		}
		if s.cfg.Cell == GRU {
			kernels.GRUStep(s.hNext[k], s.h[k], s.xp, s.bhh[k], s.u[k], s.work)
		} else {
			kernels.LSTMStep(s.hNext[k], s.cNext[k], s.h[k], s.c[k], s.xp, s.bhh[k], s.u[k], s.proj[k], s.work)
			s.c[k], s.cNext[k] = s.cNext[k], s.c[k]
		}
		s.h[k], s.hNext[k] = s.hNext[k], s.h[k]
		in = s.h[k]
	}
	return in
}

// gatedEngine runs a GRU or LSTM over whole batches, layer by layer: at
// each step of a layer its input projection as one batched product, then
// its fused batched step; a layer's outputs are the next layer's inputs.
type gatedEngine struct {
	*gatedNet
	xp, hs, cs []float32 // a step's projections (B×G·H), a layer's states ((T+1)·B×P), the cell (2·B×H)
	in         []float32 // a layer's inputs, T·B×P, when they are the outputs of the layer below
	work, out  []float32
	// onLayerStep, if set, sees each layer's state after each step (B×P).
	onLayerStep func(layer, t int, h kernels.Matrix)
}

func (g *gatedNet) engine() *gatedEngine { return &gatedEngine{gatedNet: g} }

// run is engine.run for a GRU or LSTM.
func (e *gatedEngine) run(b *task.Batch) []float32 {
	cfg := e.cfg
	B, T, tb := b.B, b.T, b.T*b.B
	gh, h, p := cfg.Cell.torchGates()*cfg.Hidden, cfg.Hidden, cfg.stateWidth()
	e.xp = grow(e.xp, B*gh)
	e.hs = grow(e.hs, (T+1)*B*p)
	e.cs = grow(e.cs, 2*B*h)
	e.work = grow(e.work, 5*B*h)
	in := kernels.Matrix{Rows: tb, Cols: cfg.In, Stride: cfg.In, Data: b.X}
	mat := func(d []float32, cols int) kernels.Matrix {
		return kernels.Matrix{Rows: B, Cols: cols, Stride: cols, Data: d[:B*cols]}
	}
	xps := mat(e.xp, gh)
	tok := tokens(b, cfg.In)
	for k := range e.wih {
		clear(e.hs[:B*p])
		clear(e.cs)
		for t := 0; t < T; t++ {
			// xp = W_ih·x_t + b_ih with the bias stored first: the same
			// single rounding of sum + bias, in a buffer that stays in
			// cache for the step.
			for r := range B {
				copy(e.xp[r*gh:(r+1)*gh], e.bih[k])
			}
			if k == 0 && tok != nil {
				for r, s := range tok[t*B : (t+1)*B] {
					kernels.Axpy(1, e.cols[int(s)*gh:(int(s)+1)*gh], e.xp[r*gh:(r+1)*gh])
				}
			} else {
				x := kernels.Matrix{Rows: B, Cols: in.Cols, Stride: in.Stride, Data: in.Data[t*B*in.Stride : (t+1)*B*in.Stride]}
				e.wih[k].MatVecBatchAdd(xps, x)
			}
			hPrev, hNew := mat(e.hs[t*B*p:], p), mat(e.hs[(t+1)*B*p:], p)
			if cfg.Cell == GRU {
				kernels.GRUStepBatch(hNew, hPrev, xps, e.bhh[k], e.u[k], e.work)
			} else {
				c, cNew := mat(e.cs[(t%2)*B*h:], h), mat(e.cs[((t+1)%2)*B*h:], h)
				kernels.LSTMStepBatch(hNew, cNew, hPrev, c, xps, e.bhh[k], e.u[k], e.proj[k], e.work)
			}
			if e.onLayerStep != nil {
				e.onLayerStep(k, t, hNew)
			}
		}
		// The outputs h_1 … h_T are the next layer's inputs, or the
		// readout's; for a next layer they must not alias hs, which it
		// overwrites.
		out := e.hs[B*p : (T+1)*B*p]
		if k < len(e.wih)-1 {
			e.in = grow(e.in, tb*p)
			copy(e.in, out)
			out = e.in
		}
		in = kernels.Matrix{Rows: tb, Cols: p, Stride: p, Data: out}
	}
	if e.r == nil {
		return nil
	}
	rows := tb
	top := in
	if cfg.Objective == ClassifyLast {
		rows = B
		top = kernels.Matrix{Rows: B, Cols: p, Stride: p, Data: in.Data[(T-1)*B*p:]}
	}
	e.out = grow(e.out, rows*cfg.Out)
	e.r.MatVecBatch(kernels.Matrix{Rows: rows, Cols: cfg.Out, Stride: cfg.Out, Data: e.out}, top)
	addBias(e.out, e.c)
	return e.out
}
