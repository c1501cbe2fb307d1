package rnn

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lowrank-rnn/lowrank/internal/quote"
	"github.com/lowrank-rnn/lowrank/kernels"
	"github.com/lowrank-rnn/lowrank/rnn/safetensors"
)

// A compressed GRU or LSTM file is its model file (PyTorch's names under
// "rnn.", the readout under "fc.") with each layer's weight_hh replaced
// by two tensors whose product it is:
//
//	rnn.weight_hh_l<k>.left   G·H×R
//	rnn.weight_hh_l<k>.right  R×P      weight_hh_l<k> = left @ right
//
// A joint truncation has R = r. A per-gate one stacks the gates' factors,
// R = r_0 + … + r_{G−1}: right holds V_0, V_1, … one under the other, and
// left is block-diagonal, gate q's rows holding U_q in its own r_q
// columns and zeros elsewhere, so that the one product rebuilds every
// gate. (The zeros cost file space, not run time: the kernels run the
// compact factors.) The metadata adds "compressed" (the method), "joint"
// and "ranks": per layer, separated by ";", the rank of a joint
// truncation or the gates' ranks separated by "/" ("32;32", "16/16/16").
// The README shows how PyTorch loads such a file back.

// gatedRanksMeta returns the "ranks" metadata of c's layers.
func (c *Compressed) gatedRanksMeta() string {
	var ls []string
	for _, l := range c.Layers {
		var rs []string
		for _, r := range l.Ranks {
			rs = append(rs, strconv.Itoa(r))
		}
		ls = append(ls, strings.Join(rs, "/"))
	}
	return strings.Join(ls, ";")
}

// gatedFile replaces the weight_hh tensors of the model file f by their
// factors (see above).
func (c *Compressed) gatedFile(f *safetensors.File) error {
	f.Metadata["ranks"] = c.gatedRanksMeta()
	g, h, p := c.Cell.torchGates(), c.Hidden, c.stateWidth()
	for k, l := range c.Layers {
		name := torchPrefix + "weight_hh_l" + strconv.Itoa(k)
		delete(f.Tensors, name)
		R := 0
		for _, fc := range l.Factors {
			R += fc.Rank()
		}
		left, right := kernels.NewMatrix(g*h, R), kernels.NewMatrix(R, p)
		r0, row0 := 0, 0
		for _, fc := range l.Factors {
			if fc.V.Cols != p || (len(l.Factors) == 1 && fc.U.Rows != g*h) || (len(l.Factors) > 1 && fc.U.Rows != h) {
				return fmt.Errorf("rnn: the factors of %s are %d×%d and %d×%d, which do not fit a %d×%d weight_hh", name, fc.U.Rows, fc.U.Cols, fc.V.Rows, fc.V.Cols, g*h, p)
			}
			for i := 0; i < fc.U.Rows; i++ {
				copy(left.Row(row0 + i)[r0:], fc.U.Row(i))
			}
			for i := 0; i < fc.Rank(); i++ {
				copy(right.Row(r0+i), fc.V.Row(i))
			}
			r0 += fc.Rank()
			row0 += fc.U.Rows
		}
		f.Tensors[name+".left"] = matrixTensor(left)
		f.Tensors[name+".right"] = matrixTensor(right)
	}
	return nil
}

// gatedRanksOf parses the "ranks" metadata of a compressed GRU or LSTM:
// per layer one rank (joint) or G ranks, each in [1, min(rows, P)].
func gatedRanksOf(md map[string]string, cfg Config, joint bool) ([][]int, error) {
	g, h, p := cfg.Cell.torchGates(), cfg.Hidden, cfg.stateWidth()
	s := md["ranks"]
	layers := strings.SplitN(s, ";", cfg.NumLayers+1) // bounded: a hostile list can be megabytes
	if len(layers) != cfg.NumLayers {
		return nil, fmt.Errorf("metadata ranks = %s, want one entry per layer (%d) separated by \";\"", quote.String(s), cfg.NumLayers)
	}
	per, rows := g, h
	if joint {
		per, rows = 1, g*h
	}
	out := make([][]int, len(layers))
	for k, l := range layers {
		rs := strings.SplitN(l, "/", per+1)
		if len(rs) != per {
			return nil, fmt.Errorf("metadata ranks = %s: layer %d has %d ranks, want %d (joint = %v)", quote.String(s), k, len(rs), per, joint)
		}
		for _, v := range rs {
			r, err := Bounds.Rank.Parse(v)
			if err == nil && r > min(rows, p) {
				err = &RangeError{Name: "rank", Value: v, Want: fmt.Sprintf("1 ≤ rank ≤ %d", min(rows, p)), What: Bounds.Rank.What}
			}
			if err != nil {
				return nil, fmt.Errorf("metadata ranks = %s: %w", quote.String(s), err)
			}
			out[k] = append(out[k], r)
		}
	}
	return out, nil
}

// gatedCompressedTensors lists the tensors of a compressed GRU or LSTM
// file: the model's, with each weight_hh replaced by its factors.
func (c Config) gatedCompressedTensors(ranks [][]int) []tensorSpec {
	g, h, p := c.Cell.torchGates(), c.Hidden, c.stateWidth()
	var ts []tensorSpec
	for _, s := range c.modelTensors() {
		var k int
		if _, err := fmt.Sscanf(s.name, torchPrefix+"weight_hh_l%d", &k); err == nil && s.name == torchPrefix+"weight_hh_l"+strconv.Itoa(k) {
			R := 0
			for _, r := range ranks[k] {
				R += r
			}
			ts = append(ts, tensorSpec{name: s.name + ".left", shape: []int{g * h, R}}, tensorSpec{name: s.name + ".right", shape: []int{R, p}})
			continue
		}
		ts = append(ts, s)
	}
	return ts
}

// gatedFromFile builds the compressed layers of a GRU or LSTM from the
// factors of a compressed file into c (whose model holds the other
// tensors), checking that a per-gate left factor is block-diagonal.
func (c *Compressed) gatedFromFile(values map[string][]float32, ranks [][]int) error {
	g, h, p := c.Cell.torchGates(), c.Hidden, c.stateWidth()
	c.Layers = make([]CompressedLayer, len(ranks))
	for k, rs := range ranks {
		name := torchPrefix + "weight_hh_l" + strconv.Itoa(k)
		R := 0
		for _, r := range rs {
			R += r
		}
		left := kernels.Matrix{Rows: g * h, Cols: R, Stride: R, Data: values[name+".left"]}
		right := kernels.Matrix{Rows: R, Cols: p, Stride: p, Data: values[name+".right"]}
		cl := &c.Layers[k]
		rows := g * h / len(rs)
		r0 := 0
		for q, r := range rs {
			u := kernels.NewMatrix(rows, r)
			for i := 0; i < g*h; i++ {
				for j := 0; j < R; j++ {
					inside := i/rows == q && j >= r0 && j < r0+r
					v := left.At(i, j)
					switch {
					case inside:
						u.Set(i-q*rows, j-r0, v)
					case i/rows == q && v != 0:
						return fmt.Errorf("tensor %s: element [%d %d] is %g: a per-gate factor is block-diagonal (gate %d's rows use columns %d…%d only)",
							quote.String(name+".left"), i, j, v, q, r0, r0+r-1)
					}
				}
			}
			v := kernels.NewMatrix(r, p)
			for i := 0; i < r; i++ {
				copy(v.Row(i), right.Row(r0+i))
			}
			cl.Factors = append(cl.Factors, kernels.LowRank{U: u, V: v})
			cl.Ranks = append(cl.Ranks, r)
			r0 += r
		}
		c.Model.Layers[k].Whh = cl.reconstruct(g*h, p)
	}
	c.Ranks = [2]int{ranks[0][0], 0}
	return nil
}
