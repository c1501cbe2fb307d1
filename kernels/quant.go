package kernels

import (
	"fmt"
	"math"

	"github.com/lowrank-rnn/lowrank/internal/hugepages"
)

// Quantized recurrent weights: int8 with a per-row scale, the way deployed
// voice networks (RNNoise, Opus) store their GRUs, and bf16 (bf16.go).
// Both are Operators, so RNNStep, MGRUStep, their batches and sequences run
// them like float32 weights.
//
// # int8: what is computed, exactly
//
// Weights. Row i of W is stored as a scale s_i (float32) and integers q_ij
// in [−Int8WeightMax, Int8WeightMax], so that W̃_ij = s_i·q_ij is the matrix
// applied: s_i = float32(max_j |w_ij| / 64) (exact: a power-of-two
// division) and q_ij = round(w_ij / s_i), ties to even, computed in float64
// (an all-zero row has s_i = 0, q = 0). The error of each weight is at most
// s_i/2 = max_j |w_ij|/128.
//
// Activations. Before each product the input vector x is quantized to
// integers v_j in [−127, 127], with a scale pair (inv, d):
//
//	v_j = roundEven(clamp(x_j·inv, −127, 127))   x_j·inv in float32; NaN → 0
//
// For a state bounded by tanh (h, and the MGRU's f ⊙ h, both in [−1, 1])
// the scale is static: inv = 127, d = float32(1/127), and |x_j − v_j/127|
// ≤ 1/254 on [−1, 1] (values outside are clamped to ±1). The low-rank
// intermediate t = V·h is unbounded, so it gets a dynamic scale, computed
// per product from m = max_j |t_j| (NaN ignored): inv = float32(127/m),
// d = float32(m/127) (inv = d = 0 when m is 0 or +Inf), and
// |t_j − v_j·m/127| ≤ m/254 (plus float32 rounding of inv, 2⁻²⁴ relative).
// A float32 t would be more accurate but cannot use the integer dot
// products: measured on the hidden states of the 16 default models (24
// recurrent matrices, ranks 16, 32, 64), a dynamic int8 t raises the
// low-rank product error by 8% in the median (4–48%), and keeps U·t at
// int8 speed: a float32 t (U's int8 weights widened to float32 for FMAs,
// an AVX-512 prototype) made the whole product at n = 1024, r = 64 1.7–2.7×
// slower on Zen 5, which would lose most of int8's gain over float32.
//
// Product. acc_i = Σ_j q_ij·v_j in int32 (exact: |acc_i| ≤ 64·127·cols <
// 2³¹ for cols ≤ MaxQuantCols), then
//
//	y_i = (float32(acc_i)·s_i)·d          float32, rounded at each step
//	y_i = y_i_old + (float32(acc_i)·s_i)·d    for the …Add forms
//
// Every target computes exactly this, bit for bit: the integers are exact
// and the float32 operations are the same operations in the same order.
//
// Why ±64 and not ±127. AVX2 has no 8-bit dot product: vpmaddubsw
// multiplies u8 by s8 and adds adjacent pairs into int16 with saturation,
// and x86 feeds it u8 = v + 127 in [0, 254], so a pair reaches
// 2·254·|q|: exact only for |q| ≤ 64 (2·254·64 = 32512 ≤ 32767). Halving
// the activation range instead (7-bit v) is the other exact choice;
// measured over the 24 recurrent matrices of the 16 default models on
// their hidden states, 7-bit weights with 8-bit states give the smaller
// product error on 16 of them, and halving the activation grid would also
// double the error of a dynamically scaled t. The cost against
// unconstrained 8-bit weights (±127, which only VNNI and sdot multiply
// exactly): the relative product error rises from 0.29–1.5% to 0.51–2.0%,
// by 1.5× in the median (1.1–1.9×).
const (
	// Int8WeightMax bounds the int8 weights: |q_ij| ≤ 64.
	Int8WeightMax = 64
	// Int8ActMax bounds the quantized activations: |v_j| ≤ 127.
	Int8ActMax = 127
	// MaxQuantCols bounds the columns of an int8 or bf16 matrix: the
	// kernels quantize the input vector into their own stack frame.
	MaxQuantCols = 4096
	// MaxInt8Rank bounds the rank of an int8 low-rank factorisation: the
	// whole of t = V·h shares one dynamic scale and lives on the stack.
	MaxInt8Rank = lowRankChunk
)

// int8Group is the number of columns one 32-bit lane of an int8 panel
// holds: the four bytes of one row that vpdpbusd and sdot multiply and sum.
const int8Group = 4

// PackedInt8 is a matrix quantized to int8 with one float32 scale per row
// (see the package's int8 specification above), packed for the dot-product
// instructions: rows are grouped into panels of PanelRows, as in Packed,
// and each panel is stored by groups of four columns, a group being 64
// bytes: row r's four int8 weights q[r][4g..4g+3] at byte 4r. One group is
// then one AVX-512 register (two AVX2 registers, four NEON registers), each
// 32-bit lane one row's four weights. The last group and panel are padded
// with zeros.
//
// A product reads four panels at a time, or one (a single stream) where
// the geometry table gives a float32 matrix of as many bytes one stream
// (see int8Streams); the sums are exact integers, the same either way.
//
// A PackedInt8 is immutable after PackInt8 and safe for concurrent use.
type PackedInt8 struct {
	rows, cols int
	// streams is the panels an AVX-512 product reads at once: 4, or 1.
	streams int
	// stride is the distance in bytes between the starts of consecutive
	// panels: 64 bytes per group of four columns.
	stride int
	data   []int8
	// scale holds s_i, bias 127·Σ_j q_ij (the offset u = v + 127 that x86
	// multiplies adds this to each sum). Both are padded with zeros to a
	// whole number of panels, so the kernels load whole registers.
	scale []float32
	bias  []int32
}

// PackInt8 returns a quantized and packed copy of a. It panics if a has
// more than MaxQuantCols columns or a weight that is NaN or infinite.
func PackInt8(a Matrix) *PackedInt8 {
	a.check("PackInt8", "")
	if a.Cols > MaxQuantCols {
		panic(fmt.Sprintf("kernels: PackInt8: %d columns, at most MaxQuantCols = %d", a.Cols, MaxQuantCols))
	}
	for i := 0; i < a.Rows; i++ {
		for j, v := range a.Row(i) {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				panic(fmt.Sprintf("kernels: PackInt8: weight (%d, %d) is %v; int8 needs finite weights", i, j, v))
			}
		}
	}
	p := newPackedInt8(a.Rows, a.Cols)
	q := make([]int8, a.Cols)
	for i := 0; i < a.Rows; i++ {
		p.scale[i] = quantizeRow(q, a.Row(i))
		p.setRow(i, q)
	}
	return p
}

// NewPackedInt8 returns the packed form of an already quantized matrix:
// row-major weights q (rows×cols) in [−Int8WeightMax, Int8WeightMax] and
// one finite scale per row, W̃_ij = scale[i]·q[i*cols+j]. It is how a model
// file's int8 tensors are loaded; bad input is an error, not a panic.
func NewPackedInt8(rows, cols int, q []int8, scale []float32) (*PackedInt8, error) {
	switch {
	case rows < 0 || cols < 0:
		return nil, fmt.Errorf("kernels: int8 matrix %d×%d: negative size", rows, cols)
	case cols > MaxQuantCols:
		return nil, fmt.Errorf("kernels: int8 matrix %d×%d: at most MaxQuantCols = %d columns", rows, cols, MaxQuantCols)
	case len(q) != rows*cols:
		return nil, fmt.Errorf("kernels: int8 matrix %d×%d: %d weights, want %d", rows, cols, len(q), rows*cols)
	case len(scale) != rows:
		return nil, fmt.Errorf("kernels: int8 matrix %d×%d: %d scales, want one per row", rows, cols, len(scale))
	}
	for k, v := range q {
		if v < -Int8WeightMax || v > Int8WeightMax {
			return nil, fmt.Errorf("kernels: int8 matrix %d×%d: weight (%d, %d) = %d outside [−%d, %d], the range every target multiplies exactly; requantize the weights",
				rows, cols, k/cols, k%cols, v, Int8WeightMax, Int8WeightMax)
		}
	}
	for i, s := range scale {
		if math.IsNaN(float64(s)) || math.IsInf(float64(s), 0) {
			return nil, fmt.Errorf("kernels: int8 matrix %d×%d: scale of row %d is %v, want a finite number", rows, cols, i, s)
		}
	}
	p := newPackedInt8(rows, cols)
	copy(p.scale, scale)
	for i := 0; i < rows; i++ {
		p.setRow(i, q[i*cols:(i+1)*cols])
	}
	return p, nil
}

// int8Streams returns how many panels at once an int8 product whose
// weights take bytes bytes reads: one, where the geometry table gives a
// float32 matrix of as many bytes one stream of panels of 32 rows or more
// (in L2, on Zen 5: 1.4× as fast at 256 KiB, while four win in L1), else
// four.
func int8Streams(bytes int) int {
	if oneStream(bytes) {
		return 1
	}
	return 4
}

func newPackedInt8(rows, cols int) *PackedInt8 {
	groups := (cols + int8Group - 1) / int8Group
	npanels := (rows + PanelRows - 1) / PanelRows
	p := &PackedInt8{rows: rows, cols: cols, streams: int8Streams(rows * cols), stride: groups * PanelRows * int8Group}
	p.data = alignedBytes[int8](npanels * p.stride)
	p.scale = make([]float32, npanels*PanelRows)
	p.bias = make([]int32, npanels*PanelRows)
	return p
}

// setRow stores the quantized row i and its bias.
func (p *PackedInt8) setRow(i int, q []int8) {
	panel := p.data[(i/PanelRows)*p.stride:]
	r := i % PanelRows
	var sum int32
	for j, v := range q {
		panel[(j/int8Group)*PanelRows*int8Group+r*int8Group+j%int8Group] = v
		sum += int32(v)
	}
	p.bias[i] = Int8ActMax * sum
}

// quantizeRow sets q to the int8 weights of row w and returns its scale.
func quantizeRow(q []int8, w []float32) float32 {
	var m float32
	for _, v := range w {
		m = max(m, float32(math.Abs(float64(v))))
	}
	s := m / Int8WeightMax
	for j, v := range w {
		q[j] = 0
		if s > 0 {
			r := math.RoundToEven(float64(v) / float64(s))
			q[j] = int8(max(-Int8WeightMax, min(Int8WeightMax, r)))
		}
	}
	return s
}

// Rows returns the number of rows.
func (p *PackedInt8) Rows() int { return p.rows }

// Cols returns the number of columns.
func (p *PackedInt8) Cols() int { return p.cols }

// WeightBytes returns the bytes of weights and scales a product reads
// (padding excluded): one byte per weight and four per row.
func (p *PackedInt8) WeightBytes() int { return p.rows*p.cols + 4*p.rows }

// Quantized returns a row-major copy of the int8 weights and of the
// scales, W̃_ij = scale[i]·q[i*Cols+j]: what a model file stores.
func (p *PackedInt8) Quantized() (q []int8, scale []float32) {
	q = make([]int8, p.rows*p.cols)
	for i := 0; i < p.rows; i++ {
		panel := p.data[(i/PanelRows)*p.stride:]
		r := i % PanelRows
		for j := 0; j < p.cols; j++ {
			q[i*p.cols+j] = panel[(j/int8Group)*PanelRows*int8Group+r*int8Group+j%int8Group]
		}
	}
	return q, append([]float32(nil), p.scale[:p.rows]...)
}

// Dequantize returns the matrix the product applies, W̃_ij = s_i·q_ij,
// rounded to float32 (a relative change of at most 2⁻²⁴, far below the
// quantization error): the perturbation W̃ − W is what quantization costs.
func (p *PackedInt8) Dequantize() Matrix {
	q, s := p.Quantized()
	a := NewMatrix(p.rows, p.cols)
	for i := range p.rows {
		for j := range p.cols {
			a.Data[i*p.cols+j] = float32(float64(s[i]) * float64(q[i*p.cols+j]))
		}
	}
	return a
}

// MatVec sets y = W̃·x, with x quantized with the static scale (see the
// int8 specification): x should lie in [−1, 1], as a recurrent state does;
// values outside are clamped. It panics unless len(y) == p.Rows() and
// len(x) == p.Cols().
func (p *PackedInt8) MatVec(y, x []float32) {
	p.checkVec("PackedInt8.MatVec", y, x)
	gemvInt8(y, p.data, p.stride, p.scale, p.bias, x, false, false, p.streams)
}

// MatVecAdd sets y += W̃·x, x quantized as for MatVec.
func (p *PackedInt8) MatVecAdd(y, x []float32) {
	p.checkVec("PackedInt8.MatVecAdd", y, x)
	gemvInt8(y, p.data, p.stride, p.scale, p.bias, x, false, true, p.streams)
}

// MatVecBatch sets row b of Y to W̃·(row b of X) for every row of X, each
// row quantized with the static scale: Y is B×Rows and X is B×Cols. The
// avx512 targets read each weight once for four rows.
func (p *PackedInt8) MatVecBatch(y, x Matrix) {
	checkBatch("PackedInt8.MatVecBatch", p.rows, p.cols, y, x)
	p.batch(y, x, false)
}

// MatVecBatchAdd adds W̃·(row b of X) to row b of Y for every row of X.
func (p *PackedInt8) MatVecBatchAdd(y, x Matrix) {
	checkBatch("PackedInt8.MatVecBatchAdd", p.rows, p.cols, y, x)
	p.batch(y, x, true)
}

// batch is MatVecBatch (MatVecBatchAdd when add) on checked shapes.
func (p *PackedInt8) batch(y, x Matrix, add bool) {
	gemmInt8(y.Data, y.Stride, p.rows, p.data, p.stride, p.scale, p.bias, x.Data, x.Stride, p.cols, x.Rows, false, add, p.streams)
}

// batch sets row b of y to Ũ·(Ṽ·(row b of x)), four rows at a time, t on
// the stack.
func (p *PackedInt8LowRank) batch(y Matrix, x Matrix) {
	const group = 4
	var buf [group * MaxInt8Rank]float32
	r := p.V.rows
	for b0 := 0; b0 < x.Rows; b0 += group {
		cnt := min(group, x.Rows-b0)
		gemmInt8(buf[:], r, r, p.V.data, p.V.stride, p.V.scale, p.V.bias, x.Data[b0*x.Stride:], x.Stride, p.V.cols, cnt, false, false, p.streams)
		gemmInt8(y.Data[b0*y.Stride:], y.Stride, p.U.rows, p.U.data, p.U.stride, p.U.scale, p.U.bias, buf[:], r, r, cnt, true, false, p.streams)
	}
}

func (p *PackedInt8) checkVec(op string, y, x []float32) {
	if len(y) != p.rows || len(x) != p.cols {
		panic(fmt.Sprintf("kernels: %s: matrix is %d×%d, len(y) = %d, len(x) = %d; want len(y) = %d, len(x) = %d",
			op, p.rows, p.cols, len(y), len(x), p.rows, p.cols))
	}
}

// PackedInt8LowRank is a low-rank factorisation W ≈ U·V with both factors
// quantized to int8, each with its own per-row scales. A product
// quantizes x with the static scale, computes t = Ṽ·x in float32, then
// quantizes t with its own dynamic scale for y = Ũ·t (see the int8
// specification). Both products read their panels as one product of the
// two factors' bytes would (int8Streams).
type PackedInt8LowRank struct {
	U, V *PackedInt8
	// streams is the panels the AVX-512 products read at once: 4, or 1.
	streams int
}

// PackInt8LowRank returns a quantized and packed copy of w. It panics if
// the rank exceeds MaxInt8Rank, a factor has more than MaxQuantCols
// columns, or a weight is not finite.
func PackInt8LowRank(w LowRank) *PackedInt8LowRank {
	w.check("PackInt8LowRank")
	if w.Rank() > MaxInt8Rank {
		panic(fmt.Sprintf("kernels: PackInt8LowRank: rank %d, at most MaxInt8Rank = %d (the intermediate t = V·x shares one scale); use PackInt8 or PackBF16LowRank",
			w.Rank(), MaxInt8Rank))
	}
	return newPackedInt8LowRank(PackInt8(w.U), PackInt8(w.V))
}

// NewPackedInt8LowRank pairs two quantized factors, U n×r and V r×m.
func NewPackedInt8LowRank(u, v *PackedInt8) (*PackedInt8LowRank, error) {
	switch {
	case u == nil || v == nil:
		return nil, fmt.Errorf("kernels: int8 low rank: nil factor")
	case u.cols != v.rows:
		return nil, fmt.Errorf("kernels: int8 low rank: U is %d×%d but V is %d×%d; want U.Cols == V.Rows", u.rows, u.cols, v.rows, v.cols)
	case v.rows > MaxInt8Rank:
		return nil, fmt.Errorf("kernels: int8 low rank: rank %d, at most MaxInt8Rank = %d", v.rows, MaxInt8Rank)
	}
	return newPackedInt8LowRank(u, v), nil
}

func newPackedInt8LowRank(u, v *PackedInt8) *PackedInt8LowRank {
	return &PackedInt8LowRank{U: u, V: v, streams: int8Streams(u.rows*u.cols + v.rows*v.cols)}
}

// Rows returns n, the rows of U.
func (p *PackedInt8LowRank) Rows() int { return p.U.rows }

// Cols returns m, the columns of V.
func (p *PackedInt8LowRank) Cols() int { return p.V.cols }

// Rank returns r.
func (p *PackedInt8LowRank) Rank() int { return p.V.rows }

// WeightBytes returns the bytes of weights and scales a product reads.
func (p *PackedInt8LowRank) WeightBytes() int { return p.U.WeightBytes() + p.V.WeightBytes() }

// MatVec sets y = Ũ·(Ṽ·x), x and t = Ṽ·x quantized as specified.
func (p *PackedInt8LowRank) MatVec(y, x []float32) {
	p.checkVec("PackedInt8LowRank.MatVec", y, x)
	p.apply(y, x, false)
}

// MatVecAdd sets y += Ũ·(Ṽ·x).
func (p *PackedInt8LowRank) MatVecAdd(y, x []float32) {
	p.checkVec("PackedInt8LowRank.MatVecAdd", y, x)
	p.apply(y, x, true)
}

func (p *PackedInt8LowRank) checkVec(op string, y, x []float32) {
	checkFactorsVec(op, p.U.rows, p.V.rows, p.V.cols, y, x)
}

func (p *PackedInt8LowRank) apply(y, x []float32, add bool) {
	var buf [MaxInt8Rank]float32
	t := buf[:p.V.rows]
	gemvInt8(t, p.V.data, p.V.stride, p.V.scale, p.V.bias, x, false, false, p.streams)
	gemvInt8(y, p.U.data, p.U.stride, p.U.scale, p.U.bias, t, true, add, p.streams)
}

var (
	_ Operator = (*PackedInt8)(nil)
	_ Operator = (*PackedInt8LowRank)(nil)
)

// alignedBytes returns a zeroed slice of n elements of a one- or two-byte
// type whose first element is aligned to align bytes, in huge pages from
// hugepages.MinBytes on, as alignedFloats.
func alignedBytes[T int8 | uint16](n int) []T { return hugepages.Alloc[T](n, align) }
