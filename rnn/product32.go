package rnn

import "github.com/lowrank-rnn/lowrank/kernels"

// A product32 is a fixed matrix A (rows×cols) packed for the float32
// kernels and applied to batches of float64 vectors: the recurrent
// products of the first-order and tangent models, which carry an error
// through every step of a probe batch and took most of a sweep's time in
// float64. Each product rounds its sums to float32 (a relative error of
// order 1e-7 per term); the error it carries is compared with measured
// errors at the percent level.
type product32 struct {
	p    *kernels.Packed
	x, y kernels.Matrix // the batch in float32, sized on first use
}

// newProduct32 packs a (rows×cols, row-major) in float32.
func newProduct32(a []float64, rows, cols int) *product32 {
	m := kernels.NewMatrix(rows, cols)
	for i, v := range a[:rows*cols] {
		m.Data[i] = float32(v)
	}
	return &product32{p: kernels.Pack(m)}
}

// apply sets dst (batch×rows, row-major) to src (batch×cols)·Aᵀ, that is
// row b of dst to A·(row b of src), or adds it to dst when add.
func (o *product32) apply(dst, src []float64, batch int, add bool) {
	rows, cols := o.p.Rows(), o.p.Cols()
	if o.x.Rows != batch {
		o.x, o.y = kernels.NewMatrix(batch, cols), kernels.NewMatrix(batch, rows)
	}
	for i, v := range src[:batch*cols] {
		o.x.Data[i] = float32(v)
	}
	o.p.MatVecBatch(o.y, o.x)
	d := dst[:batch*rows]
	if add {
		for i, v := range o.y.Data {
			d[i] += float64(v)
		}
		return
	}
	for i, v := range o.y.Data {
		d[i] = float64(v)
	}
}
