package rnn

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lowrank-rnn/lowrank/kernels"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// Precision is how a compressed model's recurrent weights are stored and
// run: float32, bf16, or int8 with a per-row scale (see the kernels
// package for exactly what the quantized products compute). Everything
// else in a model (input weights, biases, readout, the state) stays
// float32.
type Precision string

const (
	// F32 keeps the recurrent weights in float32.
	F32 Precision = "f32"
	// BF16 rounds them to bfloat16: 8 significant bits, half the bytes.
	BF16 Precision = "bf16"
	// Int8 quantizes them to integers in [−64, 64] with one float32 scale
	// per row, and the state to 8 bits at each product: a quarter of the
	// bytes.
	Int8 Precision = "int8"
)

// AllPrecisions lists the precisions, widest first.
var AllPrecisions = []Precision{F32, BF16, Int8}

// Bits returns the bits of one stored weight.
func (p Precision) Bits() int {
	switch p {
	case BF16:
		return 16
	case Int8:
		return 8
	}
	return 32
}

func (p Precision) valid() bool { return slices.Contains(AllPrecisions, p) }

// ParsePrecision parses f32, bf16 or int8, or the bits of one: 32, 16, 8.
func ParsePrecision(s string) (Precision, error) {
	s = strings.TrimSpace(s)
	if p := Precision(s); p.valid() {
		return p, nil
	}
	if bits, err := strconv.Atoi(s); err == nil {
		for _, p := range AllPrecisions {
			if p.Bits() == bits {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("unknown precision %q (want f32, bf16 or int8, or 32, 16 or 8 bits)", s)
}

// String returns the precision's name (flag.Value).
func (p Precision) String() string { return string(p) }

// Set parses s as ParsePrecision does (flag.Value), so that a command's
// -bits 8 reads as Int8.
func (p *Precision) Set(s string) error {
	v, err := ParsePrecision(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Precisions is a list of distinct precisions, written "f32,bf16,int8"
// (or in bits, "32,16,8"). It is a flag.Value.
type Precisions []Precision

// String returns the list as Set reads it.
func (ps Precisions) String() string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ",")
}

// Set parses a comma-separated list (flag.Value).
func (ps *Precisions) Set(s string) error {
	var v Precisions
	for f := range strings.SplitSeq(s, ",") {
		p, err := ParsePrecision(f)
		if err != nil {
			return err
		}
		if slices.Contains(v, p) {
			return fmt.Errorf("precision %s is listed twice", p)
		}
		v = append(v, p)
	}
	*ps = v
	return nil
}

// pack builds the recurrent products of c in its precision, once, after
// truncation: the factors (or the dense matrix of a gate kept at full rank)
// are rounded to bf16 or quantized to int8, and Factors and Model.U are
// replaced by what the quantized weights represent, so that c.Model, its
// evaluation with the training code and DeltaU see the weights the kernels
// run. A joint truncation's shared right factor is quantized once.
func (c *Compressed) pack() error {
	p := c.Spec.Precision
	if p == "" {
		p = F32
	}
	for g := 0; g < c.Cell.gates(); g++ {
		name := c.shapes()[3*g+1].name
		if c.Ranks[g] == int(Full) {
			switch p {
			case F32:
				c.ops[g] = kernels.Pack(c.U[g])
			case BF16:
				q := kernels.PackBF16(c.U[g])
				c.ops[g], c.U[g] = q, q.Dequantize()
			case Int8:
				q := kernels.PackInt8(c.U[g])
				c.ops[g], c.U[g] = q, q.Dequantize()
			}
			continue
		}
		f := c.Factors[g]
		shared := c.Spec.Joint && g == 1
		switch p {
		case F32:
			lr := kernels.PackLowRank(f)
			if shared {
				lr.V = c.ops[0].(*kernels.PackedLowRank).V // one copy of the shared factor
			}
			c.ops[g] = lr
			continue
		case BF16:
			v := kernels.PackBF16(f.V)
			if shared {
				v = c.ops[0].(*kernels.PackedBF16LowRank).V
			}
			lr, _ := kernels.NewPackedBF16LowRank(kernels.PackBF16(f.U), v) // shapes are the factors'
			c.ops[g] = lr
			f = kernels.LowRank{U: lr.U.Dequantize(), V: lr.V.Dequantize()}
		case Int8:
			if c.Ranks[g] > kernels.MaxInt8Rank {
				return fmt.Errorf("rnn: compress: int8 low rank supports ranks up to %d, %s has rank %d; use bf16, or keep it dense (full) in int8",
					kernels.MaxInt8Rank, name, c.Ranks[g])
			}
			v := kernels.PackInt8(f.V)
			if shared {
				v = c.ops[0].(*kernels.PackedInt8LowRank).V
			}
			lr, err := kernels.NewPackedInt8LowRank(kernels.PackInt8(f.U), v)
			if err != nil {
				return fmt.Errorf("rnn: compress: %s: %w", name, err)
			}
			c.ops[g] = lr
			f = kernels.LowRank{U: lr.U.Dequantize(), V: lr.V.Dequantize()}
		}
		if shared {
			f.V = c.Factors[0].V // the same values, one backing array
		}
		c.Factors[g] = f
		c.U[g] = reconstruct(f, c.Hidden)
	}
	return nil
}

// operators returns the recurrent products as the kernels run them.
func (c *Compressed) operators() [2]kernels.Operator {
	if c.ops[0] == nil && c.Precision() == F32 {
		_ = c.pack() // float32 packing cannot fail
	}
	return c.ops
}

// Precision returns the precision of c's recurrent weights.
func (c *Compressed) Precision() Precision {
	if c.Spec.Precision == "" {
		return F32
	}
	return c.Spec.Precision
}

// RecurrentBytes returns the bytes of recurrent weights a step reads, scales
// included: 4 per float32 weight, 2 per bf16 weight, 1 per int8 weight and 4
// per row of an int8 matrix; a joint truncation's shared factor once.
func (c *Compressed) RecurrentBytes() int {
	if c.Cell.Gated() {
		return 4 * c.gatedRecurrentParams() // float32 only
	}
	ops := c.operators()
	b := 0
	for g := 0; g < c.Cell.gates(); g++ {
		b += ops[g].WeightBytes()
	}
	if c.Spec.Joint && c.Cell == MGRU {
		b -= sharedFactorBytes(ops[1])
	}
	return b
}

// sharedFactorBytes returns the bytes of op's right factor.
func sharedFactorBytes(op kernels.Operator) int {
	switch lr := op.(type) {
	case *kernels.PackedLowRank:
		return lr.V.WeightBytes()
	case *kernels.PackedBF16LowRank:
		return lr.V.WeightBytes()
	case *kernels.PackedInt8LowRank:
		return lr.V.WeightBytes()
	}
	return 0
}

// RecurrentBytes returns the bytes of m's recurrent weights in float32.
func (m *Model) RecurrentBytes() int { return 4 * m.RecurrentParams() }

// measureDeployed is Measure for a compressed model as it is deployed: the
// states of c's own kernels (the fused float32 steps; quantized weights
// with the state quantized at each product) against m's float64 run over b
// (run, or a new one). For a stacked GRU or LSTM it compares the top
// layer's states, those the readout sees.
func measureDeployed(m *Model, c *Compressed, b *task.Batch, run *baseRun) (*ErrorCurve, error) {
	run, err := runOf(run, m, b)
	if err != nil {
		return nil, err
	}
	nt, ps := run.nt, run.ps
	curve, err := newCurve(m.Config, b.T, b.B)
	if err != nil {
		return nil, err
	}
	n, bs := m.readWidth(), b.B
	bn := bs * n
	hq := make([]float64, bn)
	dh := make([]float64, bn)
	yq := make([]float64, bs*m.Out)
	onState := func(t int, state kernels.Matrix) {
		h := ps.h[(t+1)*bn : (t+2)*bn]
		for i := range hq {
			hq[i] = float64(state.Data[i])
			dh[i] = hq[i] - h[i]
		}
		curve.DH[t] = meanSq(dh, n)
		curve.H[t] = meanSq(h, n)
		if m.Out == 0 {
			return // a GRU or LSTM without a readout
		}
		y := run.outputsAt(t)
		outputs(nt, hq, yq, bs) // the readout is not compressed
		curve.Y[t] = meanSq(y, m.Out)
		for i := range yq {
			yq[i] -= y[i]
		}
		curve.DY[t] = meanSq(yq, m.Out)
	}
	e := c.engine()
	if g := e.gated; g != nil {
		top := len(g.wih) - 1
		g.onLayerStep = func(k, t int, h kernels.Matrix) {
			if k == top {
				onState(t, h)
			}
		}
	} else {
		e.onStep = func(t int, h, _ kernels.Matrix) { onState(t, h) }
	}
	e.run(b)
	e.release()
	return curve, nil
}
