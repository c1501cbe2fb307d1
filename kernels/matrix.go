package kernels

import (
	"fmt"

	"github.com/lowrank-rnn/lowrank/internal/hugepages"
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

// PanelRows is the height of a panel of the default geometry and of the
// tail panels of every geometry (see Packed): one AVX-512 register, two
// AVX2 registers, four NEON registers of float32.
const PanelRows = 16

// align is the byte alignment of packed data: one cache line, so that every
// 16-float panel column is one aligned cache line. Packed data of 256 KiB
// or more (hugepages.MinBytes) starts on a 2 MiB boundary in transparent
// huge pages, where Linux gives them: in 4 KiB pages a working set of half
// the L2 overfills some L2 sets by the chance of its physical pages, and a
// product then ran at 72–95% of its read bandwidth depending on the
// process; in huge pages at 93–100% in every one (internal/hugepages). It
// costs the data's size rounded up to 2 MiB of memory.
const align = 64

// Packed is a matrix stored for fast matrix-vector products. Weights are
// static at inference, so they are packed once into the layout the kernels
// want: rows are grouped into panels, and each panel is stored column by
// column, so that column j of a panel of h rows is h consecutive floats. A
// product then streams the weights once, in order, and accumulates whole
// panels of y with broadcast multiply-adds: no horizontal reductions.
//
// The panels follow the Geometry: as many panels of Geometry.Rows rows as
// the matrix fills, then the rows left over in panels of 16 and at most
// one last panel of 8 rows (or 16, partly padding, when more than 8 rows
// are left). So a small rank costs no zero-padding traffic: a rank-8
// factor is one 8-row panel. The panels lie back to back, each taking
// cols·h floats.
//
// A Packed is immutable after Pack and safe for concurrent use.
type Packed struct {
	rows, cols int
	geom       Geometry
	// segs are the runs of panels of one height: the Geometry.Rows
	// panels, the 16-row tails, the last 8-row panel. Empty runs are
	// left out.
	segs []segment
	data []float32
}

// A segment is a run of panels of one height.
type segment struct {
	row0, rows int      // the rows of the matrix it holds
	off        int      // offset of its first panel in data
	code       geomCode // its height and loop, for the assembly
}

// height returns the panel height of s.
func (s segment) height() int { return s.code.height() }

// stride returns the floats between the starts of s's panels in a matrix
// of cols columns: h·cols, or whole tiles of 16×16 for a tiled run.
func (s segment) stride(cols int) int {
	if s.code.tiles() {
		return (cols + 15) / 16 * 256
	}
	return s.height() * cols
}

// Pack returns a packed copy of a, in the geometry this CPU's entry of the
// geometry table gives dense matrices of its size (see GeometryFor).
func Pack(a Matrix) *Packed {
	a.check("Pack", "")
	return pack(a, GeometryFor(RoleDense, 4*a.Rows*a.Cols))
}

// PackWith returns a packed copy of a in geometry g. It panics if g is not
// a geometry the kernels implement (see Geometry.Validate), or is
// TileGeometry, which is for the V of PackLowRankWith only.
func PackWith(a Matrix, g Geometry) *Packed {
	a.check("PackWith", "")
	if err := g.Validate(); err != nil {
		panic("kernels: PackWith: " + err.Error())
	}
	if g.Tiles {
		panic("kernels: PackWith: geometry tiles is for the V of a low-rank product (PackLowRankWith), not a matrix a step applies")
	}
	return pack(a, g)
}

func pack(a Matrix, g Geometry) *Packed {
	if g.Tiles {
		return packTiles(a)
	}
	p := &Packed{rows: a.Rows, cols: a.Cols, geom: g}
	// The rows: whole panels of g.Rows, then whole panels of 16, then
	// the rest, in an 8-row panel if it fits one, else in a padded
	// 16-row panel.
	full := a.Rows / g.Rows * g.Rows
	r16 := (a.Rows - full) / 16 * 16
	r8 := a.Rows - full - r16
	if r8 > 8 {
		r16, r8 = r16+r8, 0
	}
	tail := heightCode(16)
	if g.Rows == 16 {
		// One run of 16-row panels, streamed as the geometry says.
		full, r16, tail = full+r16, 0, g.code()
	}
	row, off := 0, 0
	for _, s := range []struct {
		rows int
		code geomCode
	}{{full, g.code()}, {r16, tail}, {r8, heightCode(8)}} {
		if s.rows == 0 {
			continue
		}
		h := s.code.height()
		p.segs = append(p.segs, segment{row0: row, rows: s.rows, off: off, code: s.code})
		row += s.rows
		off += (s.rows + h - 1) / h * h * a.Cols
	}
	p.data = alignedFloats(off)
	for _, s := range p.segs {
		h, stride := s.height(), s.height()*a.Cols
		for i := 0; i < s.rows; i++ {
			panel := p.data[s.off+(i/h)*stride:]
			for j, v := range a.Row(s.row0 + i) {
				panel[j*h+i%h] = v
			}
		}
	}
	return p
}

// packTiles packs a in TileGeometry: panels of 16 rows, each in tiles of 16
// columns (the last zero-padded), a tile row by row; the rows left over in
// an 8-row or a padded 16-row panel of the column layout.
func packTiles(a Matrix) *Packed {
	p := &Packed{rows: a.Rows, cols: a.Cols, geom: TileGeometry}
	full := a.Rows / 16 * 16
	tiles := (a.Cols + 15) / 16
	rest := Matrix{Rows: a.Rows - full, Cols: a.Cols, Stride: a.Stride}
	if rest.Rows > 0 {
		rest.Data = a.Data[full*a.Stride:]
	}
	tail := pack(rest, DefaultGeometry)
	if full > 0 {
		p.segs = append(p.segs, segment{row0: 0, rows: full, off: 0, code: TileGeometry.code()})
	}
	off := full * tiles * 16
	for _, s := range tail.segs {
		s.row0 += full
		s.off += off
		p.segs = append(p.segs, s)
	}
	p.data = alignedFloats(off + len(tail.data))
	for i := 0; i < full; i++ {
		panel := p.data[(i/16)*tiles*256:]
		for j, v := range a.Row(i) {
			panel[(j/16)*256+(i%16)*16+j%16] = v
		}
	}
	copy(p.data[off:], tail.data)
	return p
}

// Rows returns the number of rows of the packed matrix.
func (p *Packed) Rows() int { return p.rows }

// Cols returns the number of columns of the packed matrix.
func (p *Packed) Cols() int { return p.cols }

// Geometry returns the geometry the matrix was packed in.
func (p *Packed) Geometry() Geometry { return p.geom }

// Unpack returns a row-major copy of the packed matrix.
func (p *Packed) Unpack() Matrix {
	a := NewMatrix(p.rows, p.cols)
	for _, s := range p.segs {
		h, stride := s.height(), s.stride(p.cols)
		for i := 0; i < s.rows; i++ {
			panel := p.data[s.off+(i/h)*stride:]
			row := a.Row(s.row0 + i)
			for j := range row {
				if s.code.tiles() {
					row[j] = panel[(j/16)*256+(i%16)*16+j%16]
				} else {
					row[j] = panel[j*h+i%h]
				}
			}
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

// PackLowRank returns a packed copy of w, each factor in the geometry this
// CPU's entry of the geometry table gives its role (U or V) in a product of
// this size (see GeometryFor).
func PackLowRank(w LowRank) *PackedLowRank {
	w.check("PackLowRank")
	ws := 4 * (w.U.Rows*w.U.Cols + w.V.Rows*w.V.Cols)
	return &PackedLowRank{U: pack(w.U, GeometryFor(RoleU, ws)), V: pack(w.V, GeometryFor(RoleV, ws))}
}

// PackLowRankWith returns a packed copy of w with U in geometry gu and V in
// gv (which may be TileGeometry). It panics if either is not a geometry
// the kernels implement, or gu is TileGeometry (a fused step applies U).
func PackLowRankWith(w LowRank, gu, gv Geometry) *PackedLowRank {
	w.check("PackLowRankWith")
	for _, g := range []Geometry{gu, gv} {
		if err := g.Validate(); err != nil {
			panic("kernels: PackLowRankWith: " + err.Error())
		}
	}
	if gu.Tiles {
		panic("kernels: PackLowRankWith: geometry tiles is for V, not U, which a fused step applies")
	}
	return &PackedLowRank{U: pack(w.U, gu), V: pack(w.V, gv)}
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
// aligned to align bytes; from hugepages.MinBytes on, in huge pages where
// the system gives them, so that the weights' place in the caches does not
// depend on the physical pages this process got (see package hugepages).
func alignedFloats(n int) []float32 { return hugepages.Alloc[float32](n, align) }
