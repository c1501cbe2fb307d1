package kernels

import (
	"fmt"
	"math"
)

// # bf16: what is computed, exactly
//
// bf16 is the upper half of a float32: 8 significant bits, the float32
// exponent range. Weights are rounded to bf16 once, at packing, and the
// input vector before each product, both by
//
//	bf16(x) = +0                      if |x| < 2⁻⁵⁰ (zeros, subnormals, and
//	                                  tiny normals: see below)
//	        = a quiet NaN             if x is NaN
//	        = x rounded to 8 bits     otherwise, to nearest, ties to even
//	                                  (±Inf stays, overflow gives ±Inf)
//
// which is VCVTNEPS2BF16 after zeroing the lanes below 2⁻⁵⁰. A row's sum is
// that of AVX512_BF16's VDPBF16PS, which adds, per 32-bit lane, the
// product of the odd elements and then that of the even ones, each with
// one rounding (a fused multiply-add): over the column pairs k (columns 2k
// and 2k+1, the last padded with a zero), in four accumulators by k mod 4,
//
//	acc[k%4] = fma(w[2k+1], x[2k+1], acc[k%4])
//	acc[k%4] = fma(w[2k],   x[2k],   acc[k%4])
//	y_i = (acc[0] + acc[1]) + (acc[2] + acc[3])    (y_i += that for …Add)
//
// all accumulators starting at +0. VDPBF16PS treats subnormal inputs as
// zero and flushes subnormal results, where an emulation with ordinary FMAs
// would not: the 2⁻⁵⁰ flush makes that difference unreachable. Every
// nonzero operand is then at least 2⁻⁵⁰ with 8 significant bits, so every
// product is a multiple of 2⁻¹¹⁴, so is every partial sum (rounding to 24
// bits keeps that), and a nonzero one is at least 2⁻¹¹⁴, far above the
// subnormal range below 2⁻¹²⁶. The product of two bf16 values is exact in
// float32 (16 significant bits), so each step is one rounding of an exact
// sum, and the emulation (widen to float32 by a shift, FMA) matches
// VDPBF16PS bit for bit, as the tests check on every target. NaN results
// are NaN on every target, with possibly different payloads.
//
// The error: each weight and input moves by at most 2⁻⁹ relative (half a
// bf16 unit), so a product of n terms is off by at most about
// (2⁻⁸ + n·2⁻²⁴)·Σ_j |w_ij·x_j|.

// bf16Group is the number of columns one 32-bit lane of a bf16 panel holds.
const bf16Group = 2

// bf16Tiny is 2⁻⁵⁰ as float32 bits: inputs below it become zero.
const bf16Tiny = (127 - 50) << 23

// toBF16 rounds x to bf16 as specified above.
func toBF16(x float32) uint16 {
	b := math.Float32bits(x)
	switch {
	case b&^signBit < bf16Tiny:
		return 0
	case x != x:
		return uint16(b>>16) | 0x40 // quiet
	}
	b += 0x7fff + (b>>16)&1 // round to nearest, ties to even; overflow reaches Inf
	return uint16(b >> 16)
}

// fromBF16 widens a bf16 value to float32 (exact).
func fromBF16(v uint16) float32 { return math.Float32frombits(uint32(v) << 16) }

// PackedBF16 is a matrix rounded to bf16 and packed for VDPBF16PS: rows are
// grouped into panels, and each panel is stored by pairs of columns, a pair
// of a block of PanelRows rows being 64 bytes: row r's two weights
// w[r][2k] (low half) and w[r][2k+1] (high half) in the 32-bit word at byte
// 4r. One pair of a block is then one AVX-512 register. A panel holds one
// block (PanelRows rows), or four (bf16TallRows) whose pairs lie side by
// side, pair k of the panel the 256 bytes at 256k, so that a product reads
// one stream with sixteen accumulators. PackBF16 and NewPackedBF16 take
// tall panels where the
// geometry table gives a float32 matrix of as many bytes one stream of
// panels of 32 rows or more (in L2, on Zen 5) and the active target has
// their leaf (AVX-512): on Zen 5 the product of a 256×256 matrix then
// takes 0.67 of the time, and of a 512×512 one 0.56, of four streams of
// 16-row panels. The sums are the same, bit for bit. The last pair and
// panel are padded with zeros.
//
// A PackedBF16 is immutable after PackBF16 and safe for concurrent use.
type PackedBF16 struct {
	rows, cols int
	// height is the rows of a panel: PanelRows or bf16TallRows.
	height int
	// stride is the distance in bf16 elements between the starts of
	// consecutive panels: 2·height per pair of columns.
	stride int
	data   []uint16
}

// bf16TallRows is the height of a tall bf16 panel.
const bf16TallRows = 4 * PanelRows

// bf16Height returns the panel height of a rows×cols bf16 matrix: tall
// where the active target has the leaf, the geometry table gives a dense
// matrix of its bytes one stream of panels of 32 rows or more, and the
// rows fill whole tall panels or are so many (512) that the padding of the
// last one costs less than a tenth more.
func bf16Height(rows, cols int) int {
	if bf16TallLeaf() && oneStream(2*rows*cols) &&
		rows >= bf16TallRows && (rows%bf16TallRows == 0 || rows >= 512) {
		return bf16TallRows
	}
	return PanelRows
}

// PackBF16 returns a copy of a rounded to bf16 and packed. It panics if a
// has more than MaxQuantCols columns.
func PackBF16(a Matrix) *PackedBF16 {
	a.check("PackBF16", "")
	p, err := newPackedBF16(a.Rows, a.Cols)
	if err != nil {
		panic("kernels: PackBF16: " + err.Error())
	}
	for i := 0; i < a.Rows; i++ {
		for j, v := range a.Row(i) {
			p.set(i, j, toBF16(v))
		}
	}
	return p
}

// NewPackedBF16 returns the packed form of a row-major rows×cols matrix of
// bf16 values (the upper halves of float32s), as a model file stores them.
// Values below 2⁻⁵⁰ in magnitude become +0, as bf16 rounding specifies.
func NewPackedBF16(rows, cols int, w []uint16) (*PackedBF16, error) {
	if len(w) != rows*cols || rows < 0 {
		return nil, fmt.Errorf("kernels: bf16 matrix %d×%d: %d values, want %d", rows, cols, len(w), max(0, rows*cols))
	}
	p, err := newPackedBF16(rows, cols)
	if err != nil {
		return nil, fmt.Errorf("kernels: bf16 matrix: %v", err)
	}
	for k, v := range w {
		p.set(k/cols, k%cols, toBF16(fromBF16(v)))
	}
	return p, nil
}

func newPackedBF16(rows, cols int) (*PackedBF16, error) {
	switch {
	case rows < 0 || cols < 0:
		return nil, fmt.Errorf("%d×%d: negative size", rows, cols)
	case cols > MaxQuantCols:
		return nil, fmt.Errorf("%d columns, at most MaxQuantCols = %d", cols, MaxQuantCols)
	}
	return newPackedBF16Height(rows, cols, bf16Height(rows, cols)), nil
}

// newPackedBF16Height returns a zero rows×cols PackedBF16 in panels of h
// rows.
func newPackedBF16Height(rows, cols, h int) *PackedBF16 {
	pairs := (cols + bf16Group - 1) / bf16Group
	npanels := (rows + h - 1) / h
	p := &PackedBF16{rows: rows, cols: cols, height: h, stride: pairs * h * bf16Group}
	p.data = alignedBytes[uint16](npanels * p.stride)
	return p
}

// at returns the index in data of element (i, j).
func (p *PackedBF16) at(i, j int) int {
	h := p.height
	return (i/h)*p.stride + (j/bf16Group)*h*bf16Group + (i%h)*bf16Group + j%bf16Group
}

func (p *PackedBF16) set(i, j int, v uint16) { p.data[p.at(i, j)] = v }

// Rows returns the number of rows.
func (p *PackedBF16) Rows() int { return p.rows }

// Cols returns the number of columns.
func (p *PackedBF16) Cols() int { return p.cols }

// WeightBytes returns the bytes of weights a product reads (padding
// excluded): two per weight.
func (p *PackedBF16) WeightBytes() int { return 2 * p.rows * p.cols }

// BF16 returns a row-major copy of the bf16 weights.
func (p *PackedBF16) BF16() []uint16 {
	w := make([]uint16, p.rows*p.cols)
	for i := range p.rows {
		for j := range p.cols {
			w[i*p.cols+j] = p.data[p.at(i, j)]
		}
	}
	return w
}

// Dequantize returns the matrix the product applies, the bf16 weights
// widened to float32 (exact).
func (p *PackedBF16) Dequantize() Matrix {
	a := NewMatrix(p.rows, p.cols)
	for i := range p.rows {
		for j := range p.cols {
			a.Data[i*p.cols+j] = fromBF16(p.data[p.at(i, j)])
		}
	}
	return a
}

// MatVec sets y = W̃·bf16(x) as specified above. It panics unless
// len(y) == p.Rows() and len(x) == p.Cols().
func (p *PackedBF16) MatVec(y, x []float32) {
	p.checkVec("PackedBF16.MatVec", y, x)
	gemvBF16(y, p.data, p.stride, p.height, x, false)
}

// MatVecAdd sets y += W̃·bf16(x).
func (p *PackedBF16) MatVecAdd(y, x []float32) {
	p.checkVec("PackedBF16.MatVecAdd", y, x)
	gemvBF16(y, p.data, p.stride, p.height, x, true)
}

// MatVecBatch sets row b of Y to W̃·bf16(row b of X) for every row of X:
// Y is B×Rows and X is B×Cols. The avx512 targets read each weight once
// for four rows; every row's sums are those of MatVec, bit for bit.
func (p *PackedBF16) MatVecBatch(y, x Matrix) {
	checkBatch("PackedBF16.MatVecBatch", p.rows, p.cols, y, x)
	p.batch(y, x, false)
}

// MatVecBatchAdd adds W̃·bf16(row b of X) to row b of Y for every row of X.
func (p *PackedBF16) MatVecBatchAdd(y, x Matrix) {
	checkBatch("PackedBF16.MatVecBatchAdd", p.rows, p.cols, y, x)
	p.batch(y, x, true)
}

// batch is MatVecBatch (MatVecBatchAdd when add) on checked shapes.
func (p *PackedBF16) batch(y, x Matrix, add bool) {
	gemmBF16(y.Data, y.Stride, p.rows, p.data, p.stride, p.height, x.Data, x.Stride, p.cols, x.Rows, add)
}

func (p *PackedBF16) checkVec(op string, y, x []float32) {
	if len(y) != p.rows || len(x) != p.cols {
		panic(fmt.Sprintf("kernels: %s: matrix is %d×%d, len(y) = %d, len(x) = %d; want len(y) = %d, len(x) = %d",
			op, p.rows, p.cols, len(y), len(x), p.rows, p.cols))
	}
}

// PackedBF16LowRank is a low-rank factorisation W ≈ U·V with both factors
// in bf16. A product computes t = Ṽ·bf16(x) in float32, then
// y = Ũ·bf16(t); ranks above 512 are applied in chunks of 512 columns of
// U, each chunk's float32 sum added to y in order, as PackedLowRank does.
type PackedBF16LowRank struct {
	U, V *PackedBF16
}

// PackBF16LowRank returns a copy of w rounded to bf16 and packed. It panics
// if a factor has more than MaxQuantCols columns.
func PackBF16LowRank(w LowRank) *PackedBF16LowRank {
	w.check("PackBF16LowRank")
	return &PackedBF16LowRank{U: PackBF16(w.U), V: PackBF16(w.V)}
}

// NewPackedBF16LowRank pairs two bf16 factors, U n×r and V r×m.
func NewPackedBF16LowRank(u, v *PackedBF16) (*PackedBF16LowRank, error) {
	switch {
	case u == nil || v == nil:
		return nil, fmt.Errorf("kernels: bf16 low rank: nil factor")
	case u.cols != v.rows:
		return nil, fmt.Errorf("kernels: bf16 low rank: U is %d×%d but V is %d×%d; want U.Cols == V.Rows", u.rows, u.cols, v.rows, v.cols)
	}
	return &PackedBF16LowRank{U: u, V: v}, nil
}

// Rows returns n, the rows of U.
func (p *PackedBF16LowRank) Rows() int { return p.U.rows }

// Cols returns m, the columns of V.
func (p *PackedBF16LowRank) Cols() int { return p.V.cols }

// Rank returns r.
func (p *PackedBF16LowRank) Rank() int { return p.V.rows }

// WeightBytes returns the bytes of weights a product reads.
func (p *PackedBF16LowRank) WeightBytes() int { return p.U.WeightBytes() + p.V.WeightBytes() }

// MatVec sets y = Ũ·bf16(Ṽ·bf16(x)).
func (p *PackedBF16LowRank) MatVec(y, x []float32) {
	p.checkVec("PackedBF16LowRank.MatVec", y, x)
	p.apply(y, x, false)
}

// MatVecAdd sets y += Ũ·bf16(Ṽ·bf16(x)).
func (p *PackedBF16LowRank) MatVecAdd(y, x []float32) {
	p.checkVec("PackedBF16LowRank.MatVecAdd", y, x)
	p.apply(y, x, true)
}

func (p *PackedBF16LowRank) checkVec(op string, y, x []float32) {
	checkFactorsVec(op, p.U.rows, p.V.rows, p.V.cols, y, x)
}

func (p *PackedBF16LowRank) apply(y, x []float32, add bool) {
	var buf [lowRankChunk]float32
	r := p.V.rows
	if r == 0 && !add {
		clear(y)
	}
	// lowRankChunk is a multiple of every panel height and of bf16Group,
	// so each chunk of V's rows is a run of whole panels and each chunk of
	// U's columns starts at a pair boundary (pair c0/2, 2·height elements
	// a pair).
	for c0 := 0; c0 < r; c0 += lowRankChunk {
		c1 := min(c0+lowRankChunk, r)
		t := buf[:c1-c0]
		gemvBF16(t, p.V.data[(c0/p.V.height)*p.V.stride:], p.V.stride, p.V.height, x, false)
		gemvBF16(y, p.U.data[c0*p.U.height:], p.U.stride, p.U.height, t, add || c0 > 0)
	}
}

// batch sets row b of y to Ũ·bf16(Ṽ·bf16(row b of x)), each factor read
// once for every four rows, t (four rows of the rank) in buf: the sums of
// apply, bit for bit. The rank is at most lowRankChunk.
func (p *PackedBF16LowRank) batch(y Matrix, x Matrix, buf []float32) {
	r := p.V.rows
	for b0 := 0; b0 < x.Rows; b0 += batchGroup {
		cnt := min(batchGroup, x.Rows-b0)
		gemmBF16(buf, r, r, p.V.data, p.V.stride, p.V.height, x.Data[b0*x.Stride:], x.Stride, p.V.cols, cnt, false)
		gemmBF16(y.Data[b0*y.Stride:], y.Stride, p.U.rows, p.U.data, p.U.stride, p.U.height, buf, r, r, cnt, false)
	}
}

var (
	_ Operator = (*PackedBF16)(nil)
	_ Operator = (*PackedBF16LowRank)(nil)
)
