package rnn

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/lowrank-rnn/lowrank/kernels"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// Compression of PyTorch's cells. Each layer's weight_hh (G·H×P, the G
// gates stacked) is truncated, with no fine-tuning:
//
//   - jointly (CompressSpec.Joint): the stacked matrix as one, [W_0; …;
//     W_{G−1}] ≈ U·V, the gates sharing V. A step computes t = V·h once and
//     streams U with the gates' epilogues (kernels.PackedGatesLowRank):
//     r·(G·H + P) weights.
//   - per gate: each gate's H×P block truncated on its own, W_q ≈ U_q·V_q,
//     r·(H + P) weights a gate.
//
// By plain SVD or whitened by the moment of the layer's recurrent input
// h_{t−1}, which all gates share, so a joint whitened truncation is
// SVD-LLM's exactly. CompressSpec.Ranks[0] is the rank of every truncated
// matrix (or Energy chooses each); weight_hr, the LSTM's projection, stays
// as it is: with it, W_hh·W_hr is already a rank-P factorisation of the
// 4H×H recurrent matrix.

// CompressedLayer is the compression of one GRU or LSTM layer's weight_hh.
type CompressedLayer struct {
	// Factors holds one joint factorisation of the stacked matrix (U is
	// G·H×r), or one per gate (U_q is H×r_q), in PyTorch's gate order; V is
	// r×P.
	Factors []kernels.LowRank
	Ranks   []int
	// Sigma are the singular values of each truncated matrix (whitened:
	// times the whitening factor S).
	Sigma [][]float64
}

// compressGated truncates every layer of the GRU or LSTM m into c (a
// clone of m whose weight_hh are replaced by their reconstructions).
func (c *Compressed) compressGated(m *Model) error {
	spec := c.Spec
	g, h, p := m.Cell.torchGates(), m.Hidden, m.stateWidth()
	rows := h
	if spec.Joint {
		rows = g * h
	}
	if r := spec.Ranks[1]; r != 0 && r != spec.Ranks[0] {
		return fmt.Errorf("rnn: compress: ranks %d,%d: a %s takes one rank, of every truncated matrix", spec.Ranks[0], r, m.Cell)
	}
	if spec.Energy != 0 && spec.Ranks[0] != 0 {
		return fmt.Errorf("rnn: compress: rank %d and an energy fraction: give one or the other", spec.Ranks[0])
	}
	if limit := min(rows, p); spec.Energy == 0 && (spec.Ranks[0] < 1 || spec.Ranks[0] > limit) {
		what := "each gate's"
		if spec.Joint {
			what = "the stacked"
		}
		return fmt.Errorf("rnn: compress: rank %d of %s %d×%d weight_hh outside [1, %d] (or choose the ranks by an energy fraction)",
			spec.Ranks[0], what, rows, p, limit)
	}
	if spec.Method == Whitened && (spec.Calibration == nil || len(spec.Calibration.Layers) != m.NumLayers) {
		return fmt.Errorf("rnn: compress: the whitened method needs a calibration of the %d layers' recurrent inputs (see Calibrate)", m.NumLayers)
	}
	c.Layers = make([]CompressedLayer, m.NumLayers)
	for k, l := range m.Layers {
		cl := &c.Layers[k]
		blocks := 1
		if !spec.Joint {
			blocks = g
		}
		// The layer's weight_hh in float64 and its whitening, made on the
		// first factorization the cache does not hold, for every block.
		var whh *mat.Dense
		var s *mat.TriDense
		for q := range blocks {
			key := factorKey{model: m, layer: k, gate: q, joint: spec.Joint, method: spec.Method, cal: spec.Calibration}
			fz, err := spec.factors.get(key, func() (*factorization, error) {
				if whh == nil {
					whh = toDense(l.Whh)
					if spec.Method == Whitened {
						var err error
						if s, err = whitening(spec.Calibration.Layers[k], p); err != nil {
							return nil, err
						}
					}
				}
				w := whh
				if !spec.Joint {
					w = whh.Slice(q*h, (q+1)*h, 0, p).(*mat.Dense)
				}
				return factorize(w, s)
			})
			if err != nil {
				return err
			}
			a, b, sigma, r, err := fz.truncate(spec.Ranks[0], spec.Energy)
			if err != nil {
				return err
			}
			f := kernels.LowRank{U: toMatrix(a, r, true), V: toMatrix(b, r, false)}
			if !finite(f.U.Data) || !finite(f.V.Data) {
				return fmt.Errorf("rnn: compress: the rank-%d factors of layer %d's weight_hh overflow float32 (largest singular value %.3g): its weights are too large to compress; scale them down",
					r, k, sigma[0])
			}
			cl.Factors, cl.Ranks, cl.Sigma = append(cl.Factors, f), append(cl.Ranks, r), append(cl.Sigma, sigma)
		}
		c.Model.Layers[k].Whh = cl.reconstruct(g*h, p)
	}
	c.Ranks = [2]int{c.Layers[0].Ranks[0], 0}
	return nil
}

// reconstruct returns the dense weight_hh (rows×cols) the factors stand
// for, each product accumulated in float64.
func (cl *CompressedLayer) reconstruct(rows, cols int) kernels.Matrix {
	w := kernels.NewMatrix(rows, cols)
	r0 := 0
	for _, f := range cl.Factors {
		reconstructInto(w, r0, f)
		r0 += f.U.Rows
	}
	return w
}

// operator returns the layer's recurrent weights for the kernels: a joint
// factorisation as one gate-interleaved pass, per-gate factors gate by
// gate.
func (cl *CompressedLayer) operator(gates int) kernels.Operator {
	if len(cl.Factors) == 1 {
		return kernels.PackGatesLowRank(cl.Factors[0], gates)
	}
	op := &gateFactors{}
	for _, f := range cl.Factors {
		op.f = append(op.f, kernels.PackLowRank(f))
	}
	return op
}

// params returns the weights of the layer's factors.
func (cl *CompressedLayer) params() int {
	n := 0
	for _, f := range cl.Factors {
		n += f.Rank() * (f.U.Rows + f.V.Cols)
	}
	return n
}

// gateFactors is a stacked matrix held as one factorisation per gate:
// rows q·H … (q+1)·H of a product are U_q·(V_q·x). It is a
// kernels.Operator, which the gated steps apply into their work before
// finishing the gates (the joint form streams in one pass instead).
type gateFactors struct{ f []*kernels.PackedLowRank }

func (g *gateFactors) Rows() int { return len(g.f) * g.f[0].Rows() }
func (g *gateFactors) Cols() int { return g.f[0].Cols() }

func (g *gateFactors) MatVec(y, x []float32) {
	h := g.f[0].Rows()
	for q, f := range g.f {
		f.MatVec(y[q*h:(q+1)*h], x)
	}
}

func (g *gateFactors) MatVecAdd(y, x []float32) {
	h := g.f[0].Rows()
	for q, f := range g.f {
		f.MatVecAdd(y[q*h:(q+1)*h], x)
	}
}

func (g *gateFactors) WeightBytes() int {
	n := 0
	for _, f := range g.f {
		n += f.WeightBytes()
	}
	return n
}

// gatedOperators returns the kernels operators of a compressed GRU or
// LSTM's layers.
func (c *Compressed) gatedOperators() []kernels.Operator {
	ops := make([]kernels.Operator, len(c.Layers))
	for k := range c.Layers {
		ops[k] = c.Layers[k].operator(c.Cell.torchGates())
	}
	return ops
}

// gatedRecurrentParams returns the recurrent weights of a compressed GRU
// or LSTM: the factors of every layer, and the projections.
func (c *Compressed) gatedRecurrentParams() int {
	n := 0
	for k := range c.Layers {
		n += c.Layers[k].params()
		if c.Proj > 0 {
			n += c.Proj * c.Hidden
		}
	}
	return n
}

// gatedMulAdds returns the recurrent multiply-adds of one step of a
// compressed GRU or LSTM: each factorisation r·(rows + cols), the
// projections P·H.
func (c *Compressed) gatedMulAdds() int { return c.gatedRecurrentParams() }

// calibrateGated accumulates, for each layer of the GRU or LSTM m, the
// second moment of its recurrent input h_{t−1} (P×P) over the batches, from
// step 1 on (h_0 = 0 carries nothing).
func calibrateGated(m *Model, batches []*task.Batch) (*Calibration, error) {
	p := m.stateWidth()
	acc := make([]*mat.SymDense, m.NumLayers)
	rows := make([][]float64, m.NumLayers)
	for k := range acc {
		acc[k] = mat.NewSymDense(p, nil)
	}
	flush := func(k int) {
		if n := len(rows[k]) / p; n > 0 {
			var s mat.SymDense
			s.SymOuterK(1, mat.NewDense(n, p, rows[k]).T())
			acc[k].AddSym(acc[k], &s)
			rows[k] = rows[k][:0]
		}
	}
	e := packGated(m, nil).engine()
	count := 0
	for _, b := range batches {
		if b.In != m.In {
			return nil, fmt.Errorf("rnn: calibrate: a batch of %d inputs for a model of %d", b.In, m.In)
		}
		e.onLayerStep = func(layer, t int, h kernels.Matrix) {
			if t+1 >= b.T { // h_T feeds no step
				return
			}
			for i := 0; i < h.Rows; i++ {
				for _, v := range h.Row(i) {
					rows[layer] = append(rows[layer], float64(v))
				}
			}
			if layer == 0 {
				count += h.Rows
			}
			if len(rows[layer]) > 1<<20 {
				flush(layer)
			}
		}
		e.run(b)
		for k := range rows {
			flush(k)
		}
	}
	if count == 0 {
		return nil, errors.New("rnn: calibrate: no states (need sequences of at least 2 steps)")
	}
	for k := range acc {
		acc[k].ScaleSym(1/float64(count), acc[k])
	}
	return &Calibration{Layers: acc, N: count}, nil
}

// gatedCalibErr is Damage.CalibErr for a GRU or LSTM: the relative error
// of every layer's recurrent product on its calibration moment.
func gatedCalibErr(m, c *Model, cal *Calibration) float64 {
	var num, den float64
	for k := range m.Layers {
		w, wc := toDense(m.Layers[k].Whh), toDense(c.Layers[k].Whh)
		var d mat.Dense
		d.Sub(w, wc)
		num += quadTrace(&d, cal.Layers[k])
		den += quadTrace(w, cal.Layers[k])
	}
	return errRatio(num, den)
}

// gatedSizeLimit says, for SizeWarning, below which rank a truncation of
// the GRU's or LSTM's weight_hh saves weights.
func (c *Compressed) gatedSizeLimit() string {
	g, h, p := c.Cell.torchGates(), c.Hidden, c.stateWidth()
	if c.Spec.Joint {
		return fmt.Sprintf("G·H·P/(G·H + P) = %d", int(math.Floor(float64(g*h*p)/float64(g*h+p))))
	}
	return fmt.Sprintf("H·P/(H + P) = %d", h*p/(h+p))
}
