package rnn

import (
	"fmt"
	"math"
)

// Numbers the library reports are finite or say why not: a compression
// that would overflow float32 is an error, a metric over nothing is an
// error, and a ratio of two zeros is what it means (no change), never NaN.

// RecurrentParams returns the weights of m's dense recurrent matrices, n²
// per matrix: what a compression is measured against. (A Compressed
// reports its own with Compressed.RecurrentParams; c.Model.RecurrentParams
// is the dense count.)
func (m *Model) RecurrentParams() int {
	if m.Cell.Gated() {
		return m.gatedRecurrentParams()
	}
	return m.Cell.gates() * m.Hidden * m.Hidden
}

// SizeWarning returns a sentence for the user when c has at least as many
// recurrent weights (and multiply-adds per step) as the dense model it
// replaces, or "" when it saves some. A square n×n matrix saves weights
// only below rank n/2 (a joint MGRU pair below 2n/3): a higher rank, or an
// energy fraction that keeps nearly every singular value, makes the
// "compressed" model larger and slower than the original.
func (c *Compressed) SizeWarning() string {
	dense, low := c.Model.RecurrentParams(), c.RecurrentParams()
	if low < dense {
		return ""
	}
	n := c.Hidden
	limit := fmt.Sprintf("n/2 = %d", n/2)
	if c.Spec.Joint {
		limit = fmt.Sprintf("2n/3 = %d", 2*n/3)
	}
	ranks := fmt.Sprint(c.Ranks[:c.Cell.gates()])
	if c.Cell.Gated() {
		limit = c.gatedSizeLimit()
		var rs []int
		for _, l := range c.Layers {
			rs = append(rs, l.Ranks...)
		}
		ranks = fmt.Sprint(rs)
	}
	return fmt.Sprintf("the compressed model has %d recurrent weights, %.0f%% of the dense model's %d: ranks %s are not below %s, so it is larger and slower than the original",
		low, 100*float64(low)/float64(dense), dense, ranks, limit)
}

// checkFinite reports the first parameter of m that holds a NaN or an
// infinity: no compression of it can be finite.
func checkFinite(m *Model) error {
	for _, p := range m.Params() {
		for i, x := range p.Data {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("rnn: compress: %s[%d] is %v: the model must be finite", p.Name, i, x)
			}
		}
	}
	return nil
}

// checkFactors reports a compression whose float32 factors or
// reconstruction are not finite: the SVD runs in float64, and singular
// values of huge (finite) weights can exceed the float32 range, which would
// write infinities into a model file.
func (c *Compressed) checkFactors(m *Model) error {
	for g := 0; g < c.Cell.gates(); g++ {
		if finite(c.Factors[g].U.Data) && finite(c.Factors[g].V.Data) && finite(c.U[g].Data) {
			continue
		}
		var big float32
		for _, x := range m.U[g].Data {
			big = max(big, float32(math.Abs(float64(x))))
		}
		s := c.Sigma[g]
		if c.Spec.Joint {
			s = c.Sigma[0]
		}
		return fmt.Errorf("rnn: compress: the rank-%d factors of %s overflow float32 (largest singular value %.3g, float32 ends at %.3g): its weights, up to %.3g in magnitude, are too large to compress; scale them down",
			c.Ranks[g], m.shapes()[3*g+1].name, s[0], math.MaxFloat32, big)
	}
	return nil
}

func finite(v []float32) bool {
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return false
		}
	}
	return true
}

// relative returns a/b for a metric or an error energy against its
// reference: 1 when both are equal (zero included: nothing changed), ±Inf
// when only b is zero, never NaN for finite a and b.
func relative(a, b float64) float64 {
	if a == b {
		return 1
	}
	return a / b
}

// errRatio returns √(num/den) for an error energy num against a reference
// energy den: 0 when there is no error (also against a zero reference),
// +Inf for an error against a zero reference.
func errRatio(num, den float64) float64 {
	if num == 0 {
		return 0
	}
	return math.Sqrt(num / den)
}
