//go:build linux

package kernels

import (
	"fmt"
	"math"
	"testing"
)

// TestGuardPagesGates calls the gated leaves directly, on panels of 16 to
// 128 rows, with every slice they read or write (the panels a, x, xp, b, h
// or c, y and c2) against a guard page, and then GRUStep and LSTMStep, whose partial last block goes
// through copies, with their vectors against guard pages too. The results
// are checked against the pure-Go leaves and references within
//
//	2·(2·errC·(T+2)·u·S + 2·actErr)·(4 + |h or c| + |u_n|)
//
// where S is the largest Σ|terms| of a unit's gates (the error of a gate's
// pre-activation, carried through the cell as in gatedCase.exact).
func TestGuardPagesGates(t *testing.T) {
	const gap = 3
	ncols := []int{0, 1, 3, 8, 17}
	maxBlocks, maxCols := 5, ncols[len(ncols)-1]
	g := newGuardPages(t, 8, 4*(4*maxBlocks*(16*maxCols+gap)+4*16*maxBlocks+16))
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		src := newRand(40)
		for _, pl := range placements {
			for _, gates := range []int{3, 4} {
				for _, ny := range []int{16, 32, 48, 80} {
					for _, nx := range ncols {
						for _, ph := range []int{16, 32, 64, 128} {
							gc := noColumns
							if ph > 16 {
								gc = Geometry{Rows: ph, Streams: 1, Accs: 8 << (nx % 2)}.code()
							}
							if gates*ny%ph != 0 || !fusedGates(gc) {
								continue // taller panels are never partial, and not every leaf takes them
							}
							for _, ld := range []int{ny, ny + 5} {
								stride := ph*nx + gap
								panels := gates * ny / ph
								a := g.place(t, pl.end, 0, (panels-1)*stride+ph*nx, src)
								x := g.place(t, pl.end, 1, nx, src)
								y := g.place(t, pl.end, 2, ny, src)
								xp := g.place(t, pl.end, 3, (gates-1)*ld+ny, src)
								b := g.place(t, pl.end, 4, (gates-1)*ld+ny, src)
								hc := g.place(t, pl.end, 5, ny, src)
								c2 := g.place(t, pl.end, 6, ny, src)
								want, want2 := make([]float32, ny), make([]float32, ny)
								where := fmt.Sprintf("%d gates, len(y)=%d len(x)=%d ld=%d %d-row panels, %s: %s %s %s %s %s %s %s",
									gates, ny, nx, ld, ph, pl.name, span("a", a), span("x", x), span("y", y),
									span("xp", xp), span("b", b), span("h/c", hc), span("c2", c2))
								if gates == 3 {
									gruStepPanelsGeneric(want, a, stride, x, hc, xp, b, ld, gc)
									noFault(c, "gruStepPanels "+where, func() { gruStepPanels(y, a, stride, x, hc, xp, b, ld, gc) })
								} else {
									lstmStepPanelsGeneric(want, want2, a, stride, x, hc, xp, b, ld, gc)
									noFault(c, "lstmStepPanels "+where, func() { lstmStepPanels(y, c2, a, stride, x, hc, xp, b, ld, gc) })
								}
								for i := range y {
									var s, un float64
									for q := range gates {
										var p float64
										for j, v := range x {
											r := 16*(gates*(i/16)+q) + i%16 // its interleaved row
											p += math.Abs(float64(a[r/ph*stride+ph*j+r%ph]) * float64(v))
										}
										k := q*ld + i
										s = max(s, p+math.Abs(float64(b[k]))+math.Abs(float64(xp[k])))
										if q == 2 {
											un = p + math.Abs(float64(b[k]))
										}
									}
									bound := 2 * (2*errC*float64(nx+2)*u32*s + 2*actErr) * (4 + math.Abs(float64(hc[i])) + un)
									if d := math.Abs(float64(y[i] - want[i])); !(d <= bound) {
										c.errorf("%s: y[%d] = %v, reference %v (|diff| %.3g > %.3g)", where, i, y[i], want[i], d, bound)
									}
									if gates == 4 {
										if d := math.Abs(float64(c2[i] - want2[i])); !(d <= bound) {
											c.errorf("%s: c2[%d] = %v, reference %v (|diff| %.3g > %.3g)", where, i, c2[i], want2[i], d, bound)
										}
									}
								}
							}
						}
					}
				}
			}
			for _, lstm := range []bool{false, true} {
				for _, n := range []int{1, 15, 17, 33, 50} {
					gc := newGatedCase(src, lstm, n, 5, 0, layout{})
					G := gc.g
					h := g.place(t, pl.end, 0, n, src)
					xp := g.place(t, pl.end, 1, G*n, src)
					b := g.place(t, pl.end, 2, G*n, src)
					cv := g.place(t, pl.end, 3, n, src)
					hNew := g.place(t, pl.end, 4, n, src)
					cNew := g.place(t, pl.end, 5, n, src)
					work := g.place(t, pl.end, 6, 5*n, src)
					aDense := gemv64(gc.w, abs64(h), true)
					aLow := gemv64(gc.lu, gemv64(gc.lv, abs64(h), true), true)
					for _, o := range gc.operands {
						want, want2 := make([]float32, n), make([]float32, n)
						where := fmt.Sprintf("lstm=%v %s n=%d, %s", lstm, o.name, n, pl.name)
						if lstm {
							LSTMStepGeneric(want, want2, h, cv, xp, b, o.op, nil, make([]float32, 5*n))
							noFault(c, "LSTMStep "+where, func() { LSTMStep(hNew, cNew, h, cv, xp, b, o.op, nil, work) })
						} else {
							GRUStepGeneric(want, h, xp, b, o.op, make([]float32, 3*n))
							noFault(c, "GRUStep "+where, func() { GRUStep(hNew, h, xp, b, o.op, work[:3*n]) })
						}
						for i := range n {
							var s, un float64
							for q := range G {
								p := aDense[q*n+i]
								if o.name == "lowrank" || o.name == "lowrank-plain" {
									p = aLow[q*n+i]
								}
								k := q*n + i
								s = max(s, p+math.Abs(float64(b[k]))+math.Abs(float64(xp[k])))
								if q == 2 {
									un = p + math.Abs(float64(b[k]))
								}
							}
							bound := 2 * (2*errC*float64(n+5+2)*u32*s + 2*actErr) * (4 + math.Abs(float64(cv[i])) + math.Abs(float64(h[i])) + un)
							if d := math.Abs(float64(hNew[i] - want[i])); !(d <= bound) {
								c.errorf("%s: h'[%d] = %v, reference %v (|diff| %.3g > %.3g)", where, i, hNew[i], want[i], d, bound)
							}
							if lstm {
								if d := math.Abs(float64(cNew[i] - want2[i])); !(d <= bound) {
									c.errorf("%s: c'[%d] = %v, reference %v (|diff| %.3g > %.3g)", where, i, cNew[i], want2[i], d, bound)
								}
							}
						}
					}
				}
			}
		}
	})
}
