package kernels

import "fmt"

// Dot returns Σ x[i]·y[i]. It panics if the lengths differ.
func Dot(x, y []float32) float32 {
	if len(x) != len(y) {
		panic(fmt.Sprintf("kernels: Dot: len(x) = %d, len(y) = %d; want equal", len(x), len(y)))
	}
	return dot(x, y)
}

// Axpy sets y[i] += alpha·x[i]. It panics if the lengths differ.
func Axpy(alpha float32, x, y []float32) {
	if len(x) != len(y) {
		panic(fmt.Sprintf("kernels: Axpy: len(x) = %d, len(y) = %d; want equal", len(x), len(y)))
	}
	axpy(alpha, x, y)
}

// MatVec sets y = A·x for a row-major A. Packed matrices (see Pack) are
// faster for the small and medium sizes of recurrent networks; this form
// serves matrices used once.
func MatVec(y []float32, a Matrix, x []float32) {
	checkMatVec("MatVec", y, a, x)
	gemv(y[:a.Rows], a.Data, a.Stride, x[:a.Cols], false)
}

// MatVecAdd sets y += A·x for a row-major A.
func MatVecAdd(y []float32, a Matrix, x []float32) {
	checkMatVec("MatVecAdd", y, a, x)
	gemv(y[:a.Rows], a.Data, a.Stride, x[:a.Cols], true)
}

// lowRankChunk bounds the intermediate vector t = V·x kept on the stack by
// the low-rank products; larger ranks are applied in chunks of this many,
// y = Σ_c U[:, c]·(V[c, :]·x), so no product allocates.
const lowRankChunk = 512

// smallRank bounds the ranks whose t lives in a smaller stack buffer: Go
// zeroes a local array on every call, and zeroing 2 KiB costs as much as
// a tenth of a rank-16 product.
const smallRank = 64

// LowRankMatVec sets y = U·(V·x), the product with W ≈ U·V.
func LowRankMatVec(y []float32, w LowRank, x []float32) {
	w.check("LowRankMatVec")
	checkLens("LowRankMatVec", y, Matrix{Rows: w.U.Rows, Cols: w.V.Cols}, x)
	lowRank(y[:w.U.Rows], w, x[:w.V.Cols], false)
}

// LowRankMatVecAdd sets y += U·(V·x).
func LowRankMatVecAdd(y []float32, w LowRank, x []float32) {
	w.check("LowRankMatVecAdd")
	checkLens("LowRankMatVecAdd", y, Matrix{Rows: w.U.Rows, Cols: w.V.Cols}, x)
	lowRank(y[:w.U.Rows], w, x[:w.V.Cols], true)
}

func lowRank(y []float32, w LowRank, x []float32, add bool) {
	if len(y) == 0 {
		return
	}
	var buf [lowRankChunk]float32
	r := w.V.Rows
	if r == 0 && !add {
		clear(y)
	}
	for c0 := 0; c0 < r; c0 += lowRankChunk {
		c1 := min(c0+lowRankChunk, r)
		t := buf[:c1-c0]
		gemv(t, w.V.Data[c0*w.V.Stride:], w.V.Stride, x, false)
		gemv(y, w.U.Data[c0:], w.U.Stride, t, add || c0 > 0)
	}
}

// MatVec sets y = P·x. It panics unless len(y) == p.Rows() and
// len(x) == p.Cols().
func (p *Packed) MatVec(y, x []float32) {
	p.checkVec("Packed.MatVec", y, x)
	p.whole(y, x, false)
}

// MatVecAdd sets y += P·x.
func (p *Packed) MatVecAdd(y, x []float32) {
	p.checkVec("Packed.MatVecAdd", y, x)
	p.whole(y, x, true)
}

func (p *Packed) checkVec(op string, y, x []float32) {
	if len(y) != p.rows || len(x) != p.cols {
		panic(fmt.Sprintf("kernels: %s: matrix is %d×%d, len(y) = %d, len(x) = %d; want len(y) = %d, len(x) = %d",
			op, p.rows, p.cols, len(y), len(x), p.rows, p.cols))
	}
}

// product sets y = P[row0:row0+len(y), col0:col0+len(x)]·x, or adds it to
// y when add: one call of the packed leaf per run of panels. row0 must
// start a panel and row0+len(y) end one (or the matrix), which multiples of
// lowRankChunk do in every geometry.
func (p *Packed) product(y, x []float32, row0, col0 int, add bool) {
	for _, s := range p.segs {
		lo, hi := max(row0, s.row0), min(row0+len(y), s.row0+s.rows)
		if lo >= hi {
			continue
		}
		stride, a := s.stride(p.cols), p.data[s.off:]
		// Most products start every run at its first panel and column: no
		// division to find them (a product at n = 64 takes tens of
		// nanoseconds, and such overhead shows).
		if lo > s.row0 {
			a = a[(lo-s.row0)/s.height()*stride:]
		}
		if s.code.tiles() { // V alone is tiled, and never by columns
			gemvTiles(y[lo-row0:hi-row0], a, stride, x, add)
			continue
		}
		if col0 > 0 {
			a = a[col0*s.height():]
		}
		gemvPanels(y[lo-row0:hi-row0], a, stride, x, add, s.code)
	}
}

// whole sets y = P·x, or adds it to y when add, over every row and column.
// A P of one run of panels, which starts the data (every dense matrix of
// one geometry, the factors of small low-rank ones), goes straight to its
// leaf: product's walk over runs costs several nanoseconds a call, a
// twentieth of a product at n = 64 or of a rank-16 one at n = 256.
func (p *Packed) whole(y, x []float32, add bool) {
	if len(p.segs) != 1 {
		p.product(y, x, 0, 0, add)
		return
	}
	s := &p.segs[0]
	if s.code.tiles() {
		gemvTiles(y, p.data, s.stride(p.cols), x, add)
		return
	}
	gemvPanels(y, p.data, s.stride(p.cols), x, add, s.code)
}

// MatVec sets y = U·(V·x).
func (p *PackedLowRank) MatVec(y, x []float32) {
	p.checkVec("PackedLowRank.MatVec", y, x)
	p.apply(y, x, false)
}

// MatVecAdd sets y += U·(V·x).
func (p *PackedLowRank) MatVecAdd(y, x []float32) {
	p.checkVec("PackedLowRank.MatVecAdd", y, x)
	p.apply(y, x, true)
}

func (p *PackedLowRank) checkVec(op string, y, x []float32) {
	checkFactorsVec(op, p.U.rows, p.V.rows, p.V.cols, y, x)
}

// checkFactorsVec panics unless y and x fit factors U n×r and V r×m: the
// check of every packed low-rank product, whatever its weights' type.
func checkFactorsVec(op string, n, r, m int, y, x []float32) {
	if len(y) != n || len(x) != m {
		panic(fmt.Sprintf("kernels: %s: factors are %d×%d · %d×%d, len(y) = %d, len(x) = %d; want len(y) = %d, len(x) = %d",
			op, n, r, r, m, len(y), len(x), n, m))
	}
}

func (p *PackedLowRank) apply(y, x []float32, add bool) {
	if len(y) == 0 {
		return
	}
	if r := p.V.rows; r <= smallRank {
		var buf [smallRank]float32
		p.V.whole(buf[:r], x, false)
		p.U.whole(y, buf[:r], add) // with r = 0: y = 0, or unchanged
		return
	}
	var buf [lowRankChunk]float32
	r := p.V.rows
	if r == 0 && !add {
		clear(y)
	}
	// lowRankChunk is a multiple of every panel height, so each chunk of
	// V's rows is a run of whole panels.
	for c0 := 0; c0 < r; c0 += lowRankChunk {
		c1 := min(c0+lowRankChunk, r)
		t := buf[:c1-c0]
		p.V.product(t, x, c0, 0, false)
		p.U.product(y, t, 0, c0, add || c0 > 0)
	}
}

func checkMatVec(op string, y []float32, a Matrix, x []float32) {
	a.check(op, "")
	checkLens(op, y, a, x)
}

// checkLens panics unless len(y) == a.Rows and len(x) == a.Cols.
func checkLens(op string, y []float32, a Matrix, x []float32) {
	if len(y) != a.Rows || len(x) != a.Cols {
		panic(fmt.Sprintf("kernels: %s: matrix is %d×%d, len(y) = %d, len(x) = %d; want len(y) = %d, len(x) = %d",
			op, a.Rows, a.Cols, len(y), len(x), a.Rows, a.Cols))
	}
}

// MatVecBatch sets row b of Y to P·(row b of X) for every row of X: Y is
// B×Rows and X is B×Cols. Targets that have batched kernels (avx2, avx512)
// read each weight once for four vectors (and once for a remaining two),
// so a batch costs less than B products.
func (p *Packed) MatVecBatch(y, x Matrix) {
	checkBatch("Packed.MatVecBatch", p.rows, p.cols, y, x)
	p.batch(y.Data, y.Stride, x.Data, x.Stride, p.cols, x.Rows, 0, false)
}

// MatVecBatchAdd adds P·(row b of X) to row b of Y for every row of X.
func (p *Packed) MatVecBatchAdd(y, x Matrix) {
	checkBatch("Packed.MatVecBatchAdd", p.rows, p.cols, y, x)
	p.batch(y.Data, y.Stride, x.Data, x.Stride, p.cols, x.Rows, 0, true)
}

// batch sets row b of y (stride ldy) to P[:, col0:col0+cols]·(row b of x)
// (stride ldx) for b < nb, or adds it when add: one call of the batched
// leaf per run of panels.
func (p *Packed) batch(y []float32, ldy int, x []float32, ldx, cols, nb, col0 int, add bool) {
	if nb == 0 {
		return
	}
	for _, s := range p.segs {
		h, stride := s.height(), s.stride(p.cols)
		if s.code.tiles() {
			gemmTiles(y[s.row0:], ldy, s.rows, p.data[s.off:], stride, x, ldx, cols, nb, add)
			continue
		}
		gemmPanels(y[s.row0:], ldy, s.rows, p.data[s.off+col0*h:], stride, x, ldx, cols, nb, add, s.code)
	}
}

// checkBatch panics unless Y is B×rows and X is B×cols for a rows×cols
// matrix, each a valid Matrix.
func checkBatch(op string, rows, cols int, y, x Matrix) {
	y.check(op, "Y")
	x.check(op, "X")
	if y.Rows != x.Rows || y.Cols != rows || x.Cols != cols {
		panic(fmt.Sprintf("kernels: %s: matrix is %d×%d, Y is %d×%d, X is %d×%d; want Y %d×%d for X %d×%d",
			op, rows, cols, y.Rows, y.Cols, x.Rows, x.Cols, x.Rows, rows, x.Rows, cols))
	}
}
