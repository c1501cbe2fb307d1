package kernels

import (
	"fmt"
	"unsafe"
)

// Matrix is a row-major view of float32 data: element (i, j) is
// Data[i*Stride+j]. Stride ≥ Cols lets a Matrix describe a sub-block of a
// larger one without copying.
type Matrix struct {
	Rows, Cols, Stride int
	Data               []float32
}

// NewMatrix returns a zeroed rows×cols matrix with Stride == cols.
func NewMatrix(rows, cols int) Matrix {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("kernels: NewMatrix(%d, %d): negative dimension", rows, cols))
	}
	return Matrix{Rows: rows, Cols: cols, Stride: cols, Data: make([]float32, rows*cols)}
}

// At returns element (i, j).
func (a Matrix) At(i, j int) float32 { return a.Data[i*a.Stride+j] }

// Set sets element (i, j) to v.
func (a Matrix) Set(i, j int, v float32) { a.Data[i*a.Stride+j] = v }

// Row returns row i as a slice of length Cols that aliases Data.
func (a Matrix) Row(i int) []float32 { return a.Data[i*a.Stride : i*a.Stride+a.Cols] }

// check panics unless a is a well-formed view; op names the caller and
// name the operand ("" for the only one). The message is built only on
// failure, so checks cost no allocation.
func (a Matrix) check(op, name string) {
	var msg string
	switch {
	case a.Rows < 0 || a.Cols < 0:
		msg = fmt.Sprintf("negative matrix size %d×%d", a.Rows, a.Cols)
	case a.Rows > 0 && a.Stride < a.Cols:
		msg = fmt.Sprintf("stride %d < cols %d", a.Stride, a.Cols)
	case a.Rows > 0 && len(a.Data) < (a.Rows-1)*a.Stride+a.Cols:
		msg = fmt.Sprintf("%d×%d matrix with stride %d needs %d elements, Data has %d",
			a.Rows, a.Cols, a.Stride, (a.Rows-1)*a.Stride+a.Cols, len(a.Data))
	default:
		return
	}
	if name != "" {
		msg = name + ": " + msg
	}
	panic("kernels: " + op + ": " + msg)
}

// LowRank is a rank-r factorisation W ≈ U·V of an n×m matrix, with U n×r
// (singular values folded in) and V r×m. A product y = U(Vx) costs r(n+m)
// multiply-adds instead of n·m.
type LowRank struct {
	U, V Matrix
}

// Rank returns r, the inner dimension.
func (w LowRank) Rank() int { return w.U.Cols }

func (w LowRank) check(op string) {
	w.U.check(op, "U")
	w.V.check(op, "V")
	if w.U.Cols != w.V.Rows {
		panic(fmt.Sprintf("kernels: %s: U is %d×%d but V is %d×%d; want U.Cols == V.Rows",
			op, w.U.Rows, w.U.Cols, w.V.Rows, w.V.Cols))
	}
}

// PanelRows is the height of a panel in the packed layout: one AVX-512
// register, two AVX2 registers, four NEON registers of float32.
const PanelRows = 16

// align is the byte alignment of packed data: one cache line, so that every
// 16-float panel column is one aligned cache line.
const align = 64

// Packed is a matrix stored for fast matrix-vector products. Weights are
// static at inference, so they are packed once into the layout the kernels
// want: rows are grouped into panels of PanelRows (the last panel padded with
// zeros), and each panel is stored column by column, so that column j of a
// panel is PanelRows consecutive floats. A product then streams the weights
// once, in order, and accumulates whole panels of y with broadcast
// multiply-adds: no horizontal reductions.
//
// A Packed is immutable after Pack and safe for concurrent use.
type Packed struct {
	rows, cols int
	// panelStride is the distance in floats between the starts of
	// consecutive panels: cols*PanelRows.
	panelStride int
	data        []float32
}

// Pack returns a packed copy of a.
func Pack(a Matrix) *Packed {
	a.check("Pack", "")
	p := &Packed{rows: a.Rows, cols: a.Cols, panelStride: a.Cols * PanelRows}
	npanels := (a.Rows + PanelRows - 1) / PanelRows
	p.data = alignedFloats(npanels * p.panelStride)
	for i := 0; i < a.Rows; i++ {
		panel := p.data[(i/PanelRows)*p.panelStride:]
		r := i % PanelRows
		for j, v := range a.Row(i) {
			panel[j*PanelRows+r] = v
		}
	}
	return p
}

// Rows returns the number of rows of the packed matrix.
func (p *Packed) Rows() int { return p.rows }

// Cols returns the number of columns of the packed matrix.
func (p *Packed) Cols() int { return p.cols }

// Unpack returns a row-major copy of the packed matrix.
func (p *Packed) Unpack() Matrix {
	a := NewMatrix(p.rows, p.cols)
	for i := 0; i < p.rows; i++ {
		panel := p.data[(i/PanelRows)*p.panelStride:]
		r := i % PanelRows
		row := a.Row(i)
		for j := range row {
			row[j] = panel[j*PanelRows+r]
		}
	}
	return a
}

// WeightBytes returns the bytes of weights a product reads (padding
// excluded).
func (p *Packed) WeightBytes() int { return 4 * p.rows * p.cols }

// PackedLowRank is a LowRank factorisation with both factors packed.
type PackedLowRank struct {
	U, V *Packed
}

// PackLowRank returns a packed copy of w.
func PackLowRank(w LowRank) *PackedLowRank {
	w.check("PackLowRank")
	return &PackedLowRank{U: Pack(w.U), V: Pack(w.V)}
}

// Rows returns n, the rows of U.
func (p *PackedLowRank) Rows() int { return p.U.rows }

// Cols returns m, the columns of V.
func (p *PackedLowRank) Cols() int { return p.V.cols }

// Rank returns r.
func (p *PackedLowRank) Rank() int { return p.V.rows }

// WeightBytes returns the bytes of weights a product reads.
func (p *PackedLowRank) WeightBytes() int { return p.U.WeightBytes() + p.V.WeightBytes() }

// Operator is a linear map that can be applied to a vector: a *Packed or a
// *PackedLowRank. Recurrent cells hold their recurrent weights as an
// Operator, so that dense and compressed models run the same code.
type Operator interface {
	Rows() int
	Cols() int
	// MatVec sets y = A·x.
	MatVec(y, x []float32)
	// MatVecAdd sets y += A·x.
	MatVecAdd(y, x []float32)
	// WeightBytes is the size of the weights one product reads.
	WeightBytes() int
}

var (
	_ Operator = (*Packed)(nil)
	_ Operator = (*PackedLowRank)(nil)
)

// alignedFloats returns a zeroed slice of n floats whose first element is
// aligned to align bytes.
func alignedFloats(n int) []float32 {
	if n == 0 {
		return nil
	}
	buf := make([]float32, n+align/4)
	off := 0
	if mis := uintptr(unsafe.Pointer(&buf[0])) % align; mis != 0 {
		off = int(align-mis) / 4
	}
	return buf[off : off+n : off+n]
}
