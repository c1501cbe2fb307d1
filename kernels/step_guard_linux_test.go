//go:build linux

package kernels

import (
	"fmt"
	"math"
	"testing"
)

// TestGuardPagesStep calls the fused step leaf directly, in every mode, with
// and without add, with each slice it reads or writes (the weights a, x, y,
// y2, h, f, xp, b) against a guard page, so that the handling of a partial
// last panel cannot touch a float outside them. Slices a mode does not use
// are nil, as the cells pass them. The results are checked against
// stepPanelsGeneric as well: the partial panels with add go through code
// that the cell tests reach only with high-rank low-rank weights.
func TestGuardPagesStep(t *testing.T) {
	const gap = 5
	ncols := []int{0, 1, 3, 8, 17}
	maxRows, maxCols := 256, ncols[len(ncols)-1]
	g := newGuardPages(t, 8, 4*(maxRows*maxCols+2*gap))
	// Every panel height, with the rows a run of it can have.
	runs := []struct {
		code geomCode
		rows []int
	}{
		{heightCode(8), []int{1, 5, 8}},
		{heightCode(16), []int{1, 15, 17, 33, 70}},
		{DefaultGeometry.code(), []int{1, 17, 64, 70}},
		{Geometry{Rows: 32, Streams: 1, Accs: 8, Prefetch: 0}.code(), []int{32, 64}},
		{Geometry{Rows: 64, Streams: 1, Accs: 16, Prefetch: 0}.code(), []int{64, 128}},
		{Geometry{Rows: 128, Streams: 1, Accs: 8, Prefetch: 64}.code(), []int{128, 256}},
	}
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		src := newRand(16)
		for _, run := range runs {
			ht := run.code.height()
			for _, pl := range placements {
				for _, ny := range run.rows {
					for _, nx := range ncols {
						for mode := stepRNN; mode <= stepOut; mode++ {
							for _, add := range []bool{false, true} {
								code := run.code
								stride := ht*nx + gap
								need := ((ny+ht-1)/ht-1)*stride + ht*nx
								a := g.place(t, pl.end, 0, need, src)
								x := g.place(t, pl.end, 1, nx, src)
								y := g.place(t, pl.end, 2, ny, src)
								xp := g.place(t, pl.end, 3, ny, src)
								b := g.place(t, pl.end, 4, ny, src)
								var y2, h, f []float32
								if mode != stepRNN {
									h = g.place(t, pl.end, 5, ny, src)
								}
								if mode == stepGate {
									y2 = g.place(t, pl.end, 6, ny, src)
								}
								if mode == stepOut {
									f = g.place(t, pl.end, 7, ny, src)
								}
								want, want2 := append([]float32(nil), y...), make([]float32, len(y2))
								stepPanelsGeneric(want, want2, a, stride, x, h, f, xp, b, mode, add, code)
								y0 := append([]float32(nil), y...)
								where := fmt.Sprintf("geom %#x len(y)=%d len(x)=%d mode %d add %v, %s: %s %s %s %s %s %s %s %s",
									int(code), ny, nx, mode, add, pl.name, span("a", a), span("x", x), span("y", y), span("y2", y2),
									span("h", h), span("f", f), span("xp", xp), span("b", b))
								noFault(c, "stepPanels "+where, func() { stepPanels(y, y2, a, stride, x, h, f, xp, b, mode, add, code) })
								for i := range y {
									var absProd float64
									for j, v := range x {
										absProd += math.Abs(float64(a[i/ht*stride+ht*j+i%ht]) * float64(v))
									}
									absS := absProd + math.Abs(float64(xp[i])) + math.Abs(float64(b[i]))
									if add {
										absS += math.Abs(float64(y0[i]))
									}
									scale := 1.0
									if h != nil {
										scale += math.Abs(float64(h[i]))
									}
									if f != nil {
										scale *= 1 + math.Abs(float64(f[i]))
									}
									bound := scale * (stepBound(nx+1, absProd, absS) + 4*u32)
									if d := math.Abs(float64(y[i] - want[i])); !(d <= bound) {
										c.errorf("%s: y[%d] = %v, reference %v (|diff| %.3g > %.3g)", where, i, y[i], want[i], d, bound)
									}
									if y2 != nil {
										if d := math.Abs(float64(y2[i] - want2[i])); !(d <= bound) {
											c.errorf("%s: y2[%d] = %v, reference %v (|diff| %.3g > %.3g)", where, i, y2[i], want2[i], d, bound)
										}
									}
								}
							}
						}
					}
				}
			}
		}
	})
}
