//go:build linux

package kernels

import (
	"fmt"
	"testing"
	"unsafe"
)

// TestGuardPagesQuant calls the int8 and bf16 leaves with every operand
// against a PROT_NONE page: the weights exactly as long as the packed
// layout says (whole groups or pairs, whole panels), the scales and biases
// one whole panel per sixteen rows, x and y exactly len(x) and len(y).
func TestGuardPagesQuant(t *testing.T) {
	const maxRows, maxCols = 65, 65
	g := newGuardPages(t, 6, 2*((maxRows+bf16TallRows-1)/bf16TallRows*bf16TallRows)*(maxCols+3)+64)
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		src := newRand(31)
		for _, pl := range placements {
			for _, rows := range []int{0, 1, 15, 16, 17, 33, 48, 64, maxRows} {
				for _, cols := range []int{0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 63, maxCols} {
					a := NewMatrix(rows, cols)
					for i := range a.Data {
						a.Data[i] = src.next()
					}
					p, b, tb := PackInt8(a), PackBF16(a), bf16Tall(a)
					data := placeSlice(t, g, pl.end(0), 0, p.data)
					scale := placeSlice(t, g, pl.end(1), 1, p.scale)
					bias := placeSlice(t, g, pl.end(2), 2, p.bias)
					bdata := placeSlice(t, g, pl.end(0), 0, b.data)
					tdata := placeSlice(t, g, pl.end(5), 5, tb.data)
					x := g.place(t, pl.end, 3, cols, src)
					y := g.place(t, pl.end, 4, rows, src)
					where := fmt.Sprintf("%d×%d, %s: %s %s", rows, cols, pl.name, span("x", x), span("y", y))
					for _, dyn := range []bool{false, true} {
						for _, add := range []bool{false, true} {
							for _, streams := range []int{1, 4} {
								noFault(c, fmt.Sprintf("gemvInt8 dyn=%v add=%v streams=%d %s", dyn, add, streams, where), func() {
									gemvInt8(y, data, p.stride, scale, bias, x, dyn, add, streams)
								})
							}
						}
					}
					for _, add := range []bool{false, true} {
						noFault(c, fmt.Sprintf("gemvBF16 add=%v %s", add, where), func() {
							gemvBF16(y, bdata, b.stride, b.height, x, add)
						})
						noFault(c, fmt.Sprintf("gemvBF16 tall add=%v %s", add, where), func() {
							gemvBF16(y, tdata, tb.stride, bf16TallRows, x, add)
						})
					}
				}
			}
		}
	})
}

// placeSlice copies src into region k of g, ending at its guard page (end)
// or starting right after the one before it.
func placeSlice[T int8 | uint16 | int32 | float32](t *testing.T, g *guardPages, end bool, k int, src []T) []T {
	t.Helper()
	var z T
	size := int(unsafe.Sizeof(z))
	reg := g.regions[k]
	if len(src)*size > len(reg) {
		t.Fatalf("guard pages: %d bytes do not fit a %d-byte region", len(src)*size, len(reg))
	}
	at := 0
	if end {
		at = len(reg) - len(src)*size
	}
	dst := unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(reg[at:]))), len(src))
	copy(dst, src)
	return dst
}

// TestGuardPagesQuantBatch puts the rows of a batched int8 or bf16
// product (bf16 in either panel height) against guard pages: X and Y
// exactly (B−1)·stride + width floats long.
func TestGuardPagesQuantBatch(t *testing.T) {
	g := newGuardPages(t, 2, 4*(9*70+70))
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		src := newRand(32)
		for _, pl := range placements {
			for _, rows := range []int{1, 16, 17, 33} {
				for _, cols := range []int{1, 4, 5, 17, 64} {
					a := NewMatrix(rows, cols)
					for i := range a.Data {
						a.Data[i] = src.next()
					}
					p := PackInt8(a)
					bf := []*PackedBF16{bf16WithHeight(PackBF16(a), PanelRows), bf16WithHeight(PackBF16(a), bf16TallRows)}
					for _, batch := range []int{1, 4, 5, 8, 9} {
						ldx, ldy := cols+3, rows+1
						x := g.place(t, pl.end, 0, (batch-1)*ldx+cols, src)
						y := g.place(t, pl.end, 1, (batch-1)*ldy+rows, src)
						where := fmt.Sprintf("%d×%d batch %d, %s: %s %s", rows, cols, batch, pl.name, span("x", x), span("y", y))
						for _, dyn := range []bool{false, true} {
							streams := 1 + 3*(batch%2)
							noFault(c, fmt.Sprintf("gemmInt8 dyn=%v streams=%d %s", dyn, streams, where), func() {
								gemmInt8(y, ldy, rows, p.data, p.stride, p.scale, p.bias, x, ldx, cols, batch, dyn, true, streams)
							})
						}
						for _, q := range bf {
							noFault(c, fmt.Sprintf("gemmBF16 height %d %s", q.height, where), func() {
								gemmBF16(y, ldy, rows, q.data, q.stride, q.height, x, ldx, cols, batch, true)
							})
						}
					}
				}
			}
		}
	})
}
