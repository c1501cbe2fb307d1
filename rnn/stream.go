package rnn

import (
	"fmt"

	"github.com/lowrank-rnn/lowrank/kernels"
)

// Stream runs a model one input at a time, as a deployed network does at
// every frame, on the kernels' fused steps. Set-up packs the weights once;
// Step allocates nothing. A Stream is not safe for concurrent use; make one
// per stream.
type Stream struct {
	cell     Cell
	in       int
	w        [2]*kernels.Packed  // input weights
	u        [2]kernels.Operator // recurrent weights: dense or low-rank
	b        [2][]float32
	r        *kernels.Packed
	c        []float32
	h, hNext []float32
	xp       [2][]float32
	work     []float32
	y        []float32
	gated    *gatedStream // a GRU or LSTM (see infer_gated.go)
}

// NewStream returns a stream of m with a zero state. The stream keeps packed
// copies of the weights: later changes to m do not affect it.
func (m *Model) NewStream() *Stream {
	if m.Cell.Gated() {
		return newGatedModelStream(m, nil)
	}
	var u [2]kernels.Operator
	for g := 0; g < m.Cell.gates(); g++ {
		u[g] = kernels.Pack(m.U[g])
	}
	return newStream(m, u)
}

// newStream builds a stream of m whose recurrent products are u.
func newStream(m *Model, u [2]kernels.Operator) *Stream {
	n := m.Hidden
	s := &Stream{
		cell: m.Cell, in: m.In, u: u,
		r: kernels.Pack(m.R), c: append([]float32(nil), m.C...),
		h: make([]float32, n), hNext: make([]float32, n),
		work: make([]float32, 2*n), y: make([]float32, m.Out),
	}
	for g := 0; g < m.Cell.gates(); g++ {
		s.w[g] = kernels.Pack(m.W[g])
		s.b[g] = append([]float32(nil), m.B[g]...)
		s.xp[g] = make([]float32, n)
	}
	return s
}

// newGatedModelStream returns a stream of the GRU or LSTM m whose
// recurrent weights are u (nil: dense).
func newGatedModelStream(m *Model, u []kernels.Operator) *Stream {
	g := packGated(m, u)
	return &Stream{cell: m.Cell, in: m.In, r: g.r, c: g.c, y: make([]float32, m.Out), gated: newGatedStream(g)}
}

// Step advances the state by one input x (len In) and returns the readout
// R·h + c (empty for a GRU or LSTM without a readout). The returned slice
// is the stream's own, overwritten by the next Step.
func (s *Stream) Step(x []float32) []float32 {
	if len(x) != s.in {
		panic(fmt.Sprintf("rnn: Stream.Step: len(x) = %d, want %d", len(x), s.in))
	}
	if s.gated != nil {
		top := s.gated.step(x)
		if s.r != nil {
			s.r.MatVec(s.y, top)
			for i, v := range s.c {
				s.y[i] += v
			}
		}
		return s.y
	}
	for g := range s.cell.gates() {
		s.w[g].MatVec(s.xp[g], x)
	}
	if s.cell == RNN {
		kernels.RNNStep(s.hNext, s.h, s.xp[0], s.b[0], s.u[0])
	} else {
		kernels.MGRUStep(s.hNext, s.h, s.xp[0], s.xp[1], s.b[0], s.b[1], s.u[0], s.u[1], s.work)
	}
	s.h, s.hNext = s.hNext, s.h
	s.r.MatVec(s.y, s.h)
	for i, v := range s.c {
		s.y[i] += v
	}
	return s.y
}
