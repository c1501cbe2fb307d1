package rnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/lowrank-rnn/lowrank/kernels"
)

// PyTorch's cells. A GRU or LSTM model is a stack of Layers in the layout
// of nn.GRU and nn.LSTM, with a linear readout on the top layer's output:
//
//	GRU   (gates r, z, n)      r = σ(W_ir x + b_ir + W_hr h + b_hr)
//	                           z = σ(W_iz x + b_iz + W_hz h + b_hz)
//	                           n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
//	                           h′ = (1 − z) ⊙ n + z ⊙ h
//	LSTM  (gates i, f, g, o)   i, f, o = σ(W_i· x + b_i· + W_h· h + b_h·), g = tanh(…)
//	                           c′ = f ⊙ c + i ⊙ g,  h′ = o ⊙ tanh(c′)
//	                           with Proj > 0: h′ = W_hr (o ⊙ tanh(c′)) (proj_size)
//
// Layer k's input is the model's input for k = 0 and layer k−1's output
// after. The state of a layer is h (P = Proj or Hidden wide) and, for the
// LSTM, c (Hidden wide); every layer starts from zero. A bidirectional
// model cannot stream (its output at t needs the inputs after t) and is
// refused.

// Layer is one layer of a GRU or LSTM, with PyTorch's tensors: the gates'
// matrices stacked row-wise in PyTorch's order.
type Layer struct {
	Wih      kernels.Matrix // weight_ih_l{k}: G·H×in
	Whh      kernels.Matrix // weight_hh_l{k}: G·H×P
	Bih, Bhh []float32      // bias_ih_l{k}, bias_hh_l{k}: G·H
	Whr      kernels.Matrix // weight_hr_l{k}: P×H with Proj > 0, else 0×0
}

// Gated reports whether c is one of PyTorch's cells (GRU, LSTM).
func (c Cell) Gated() bool { return c == GRU || c == LSTM }

// torchGates returns the gates stacked in a layer's matrices: 3 for the
// GRU, 4 for the LSTM, 0 for the others.
func (c Cell) torchGates() int {
	switch c {
	case GRU:
		return 3
	case LSTM:
		return 4
	}
	return 0
}

// stateWidth returns P, the width of the state a layer feeds back and
// the readout reads: Proj if set, else Hidden.
func (c Config) stateWidth() int {
	if c.Proj > 0 {
		return c.Proj
	}
	return c.Hidden
}

// layerIn returns the input width of layer k.
func (c Config) layerIn(k int) int {
	if k == 0 {
		return c.In
	}
	return c.stateWidth()
}

// perLayer returns the number of parameter tensors of a layer: weight_ih,
// weight_hh, bias_ih, bias_hh, and weight_hr with a projection.
func (c Config) perLayer() int {
	if c.Proj > 0 {
		return 5
	}
	return 4
}

// torchPrefix and torchReadout name the tensors of the GRU and LSTM
// models lowrank writes: "rnn.weight_ih_l0", …, "fc.weight", "fc.bias",
// the state_dict of a module whose GRU or LSTM is its attribute rnn and
// whose nn.Linear readout is its attribute fc (see the README).
const (
	torchPrefix  = "rnn."
	torchReadout = "fc."
)

// gatedShapes lists the parameters of a GRU or LSTM model in Params
// order: per layer weight_ih, weight_hh, bias_ih, bias_hh (and weight_hr),
// then the readout.
func (c Config) gatedShapes() []paramShape {
	g, h, p := c.Cell.torchGates(), c.Hidden, c.stateWidth()
	var ps []paramShape
	for k := 0; k < c.NumLayers; k++ {
		l := strconv.Itoa(k)
		ps = append(ps,
			paramShape{torchPrefix + "weight_ih_l" + l, g * h, c.layerIn(k), false},
			paramShape{torchPrefix + "weight_hh_l" + l, g * h, p, false},
			paramShape{torchPrefix + "bias_ih_l" + l, g * h, 1, true},
			paramShape{torchPrefix + "bias_hh_l" + l, g * h, 1, true})
		if c.Proj > 0 {
			ps = append(ps, paramShape{torchPrefix + "weight_hr_l" + l, p, h, false})
		}
	}
	if c.Out > 0 {
		ps = append(ps, paramShape{torchReadout + "weight", c.Out, p, false}, paramShape{torchReadout + "bias", c.Out, 1, true})
	}
	return ps
}

// gatedData returns the storage of a GRU or LSTM model's parameters in
// Params order.
func (m *Model) gatedData() [][]float32 {
	var data [][]float32
	for _, l := range m.Layers {
		data = append(data, l.Wih.Data, l.Whh.Data, l.Bih, l.Bhh)
		if m.Proj > 0 {
			data = append(data, l.Whr.Data)
		}
	}
	if m.Out > 0 {
		data = append(data, m.R.Data, m.C)
	}
	return data
}

// validateGated checks the parts of a configuration that only PyTorch's
// cells have, and that the others do not use them.
func (c Config) validateGated() error {
	if !c.Cell.Gated() {
		if c.NumLayers != 0 || c.Proj != 0 {
			return fmt.Errorf("rnn: layers = %d and proj = %d are for the gru and lstm cells; a %s has one layer and no projection", c.NumLayers, c.Proj, c.Cell)
		}
		return nil
	}
	if err := Bounds.Layers.Check(c.NumLayers); err != nil {
		return fmt.Errorf("rnn: %w", err)
	}
	switch {
	case c.Proj != 0 && c.Cell != LSTM:
		return fmt.Errorf("rnn: proj = %d: only the LSTM has a projection (proj_size)", c.Proj)
	case c.Proj < 0 || c.Proj >= c.Hidden && c.Proj != 0:
		return fmt.Errorf("rnn: proj = %d: want 0 (none) or 0 < proj < hidden = %d, as PyTorch requires", c.Proj, c.Hidden)
	}
	return nil
}

// newGated returns a GRU or LSTM model with fresh weights: each gate's
// block of the input matrices Glorot-uniform, of the recurrent matrices
// (and the projection) a random orthogonal matrix (semi-orthogonal when
// not square), biases zero but the LSTM's forget gate, whose input bias
// starts at 1 so that the cell remembers from the start (Jozefowicz et
// al., ICML 2015); the readout as New's.
func newGated(cfg Config, rng *rand.Rand) *Model {
	m := &Model{Config: cfg}
	g, h, p := cfg.Cell.torchGates(), cfg.Hidden, cfg.stateWidth()
	for k := 0; k < cfg.NumLayers; k++ {
		in := cfg.layerIn(k)
		l := Layer{Wih: kernels.NewMatrix(g*h, in), Whh: kernels.NewMatrix(g*h, p),
			Bih: make([]float32, g*h), Bhh: make([]float32, g*h)}
		for q := 0; q < g; q++ {
			copyBlock(l.Wih, q*h, glorot(rng, h, in))
			copyBlock(l.Whh, q*h, semiOrthogonal(rng, h, p))
		}
		if cfg.Cell == LSTM {
			for i := h; i < 2*h; i++ {
				l.Bih[i] = 1
			}
		}
		if cfg.Proj > 0 {
			l.Whr = semiOrthogonal(rng, p, h)
		}
		m.Layers = append(m.Layers, l)
	}
	if cfg.Out > 0 {
		m.R = glorot(rng, cfg.Out, p)
		m.C = make([]float32, cfg.Out)
	}
	return m
}

// copyBlock copies src into dst from row r0.
func copyBlock(dst kernels.Matrix, r0 int, src kernels.Matrix) {
	for i := 0; i < src.Rows; i++ {
		copy(dst.Row(r0+i), src.Row(i))
	}
}

// semiOrthogonal returns a rows×cols matrix with orthonormal rows or
// columns (whichever are fewer): the Q factor of a Gaussian matrix.
func semiOrthogonal(rng *rand.Rand, rows, cols int) kernels.Matrix {
	if rows == cols {
		return orthogonal(rng, rows)
	}
	tall := rows > cols
	n, k := rows, cols
	if !tall {
		n, k = cols, rows
	}
	g := mat.NewDense(n, k, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	a := kernels.NewMatrix(rows, cols)
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			if tall {
				a.Set(i, j, float32(q.At(i, j)))
			} else {
				a.Set(j, i, float32(q.At(i, j)))
			}
		}
	}
	return a
}

// cloneMatrix returns a compact copy of a.
func cloneMatrix(a kernels.Matrix) kernels.Matrix {
	b := kernels.NewMatrix(a.Rows, a.Cols)
	for i := 0; i < a.Rows; i++ {
		copy(b.Row(i), a.Row(i))
	}
	return b
}

// cloneLayers returns a deep copy of layers.
func cloneLayers(layers []Layer) []Layer {
	out := make([]Layer, len(layers))
	for k, l := range layers {
		out[k] = Layer{Wih: cloneMatrix(l.Wih), Whh: cloneMatrix(l.Whh), Whr: cloneMatrix(l.Whr),
			Bih: append([]float32(nil), l.Bih...), Bhh: append([]float32(nil), l.Bhh...)}
	}
	return out
}

// gatedRecurrentParams returns the weights of the recurrent paths of a GRU
// or LSTM: every layer's weight_hh, and weight_hr, which sits in the loop.
func (c Config) gatedRecurrentParams() int {
	g, h, p := c.Cell.torchGates(), c.Hidden, c.stateWidth()
	per := g * h * p
	if c.Proj > 0 {
		per += p * h
	}
	return c.NumLayers * per
}

// sigmoid64 is the logistic function in float64.
func sigmoid64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
