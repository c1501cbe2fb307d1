package kernels

import (
	"fmt"
	"slices"
)

// The stacked recurrent weights of a gated cell, packed for the fused
// steps. PyTorch stacks the G gates' recurrent matrices row-wise: weight_hh
// of an nn.GRU is [W_hr; W_hz; W_hn] (3H×H), of an nn.LSTM [W_hi; W_hf;
// W_hg; W_ho] (4H×P). A step needs, for each hidden unit, the sums of all G
// gates before it can combine them, so the packing interleaves the gates
// by blocks of PanelRows hidden units: the interleaved order of the rows
// is, for block k,
//
//	gate 0, units 16k…16k+15;  gate 1, the same units;  …;  gate G−1
//
// that is, row r of gate g in block k is interleaved row (G·k+g)·16 + r.
// One sequential pass over the weights then produces the gates of block
// 0, then those of block 1, …, and the step finishes each block while its
// gates are still in registers (GRUStep, LSTMStep): the epilogue sees the
// sums sixteen rows at a time, in the interleaved order, whatever the
// panels.
//
// The G·H×m matrix of the interleaved rows is stored as ordinary packed
// panels (see Packed) of the geometry's height R, each column R
// consecutive floats: a panel holds R/16 consecutive chunks of sixteen
// interleaved rows. With 16-row panels each gate's rows are padded to a
// whole number of panels, so gate g of block k is panel G·k+g: gate g
// alone is an ordinary packed matrix with panel stride G·cols·16, which
// is how the plain products (MatVec, the batches) read it. Taller panels
// (32, 64 or 128 rows, which the geometry table gives tall-thin matrices
// on some CPUs) cannot be partial, so they need H a multiple of 16 and G·H
// a multiple of R; the plain products then compute the whole interleaved
// product, stored in PyTorch's row order by the AVX-512 leaf or permuted
// into it. Any other shape gets DefaultGeometry's 16-row panels.

// gatesGeometry returns the geometry gates of h rows each are packed in
// when g is asked for: g itself if its panels fit the layout, else
// DefaultGeometry.
func gatesGeometry(g Geometry, gates, h int) Geometry {
	if g.Rows == PanelRows {
		return g
	}
	if h%PanelRows == 0 && gates*h%g.Rows == 0 {
		return g
	}
	return DefaultGeometry
}

// PackedGates is the stacked recurrent matrix of a gated cell, G gates of
// H rows and m columns ([W_0; …; W_{G−1}], G·H×m), packed gate-interleaved
// for GRUStep and LSTMStep. It is an Operator on the stacked matrix in
// PyTorch's row order. A PackedGates is immutable and safe for concurrent
// use.
type PackedGates struct {
	gates, hidden, cols int
	geom                Geometry
	code                geomCode
	// panelStride is the distance in floats between consecutive panels,
	// cols·geom.Rows; with 16-row panels, the panels of one gate are
	// gates·panelStride apart.
	panelStride int
	data        []float32
	// cycles is the permutation of a tall layout's products into PyTorch's
	// row order (see chunkCycles); nil for 16-row panels.
	cycles []int32
}

// PackGates returns the stacked matrix w, gates·H×m with the gates' blocks
// of H rows one after the other (PyTorch's weight_hh), packed
// gate-interleaved in the geometry this CPU's entry of the geometry table
// gives dense matrices of its size (see GeometryFor), where its panels fit
// the layout (see PackedGates). It panics unless gates ≥ 1 divides w.Rows.
func PackGates(w Matrix, gates int) *PackedGates {
	w.check("PackGates", "")
	checkGates("PackGates", w, gates)
	return packGates(w, gates, GeometryFor(RoleDense, 4*w.Rows*w.Cols))
}

// PackGatesWith is PackGates in geometry g, or in DefaultGeometry where
// g's panels do not fit the layout (see PackedGates and Geometry). It
// panics if g is not a geometry the kernels implement, or is TileGeometry.
func PackGatesWith(w Matrix, gates int, g Geometry) *PackedGates {
	w.check("PackGatesWith", "")
	checkGates("PackGatesWith", w, gates)
	checkStepGeometry("PackGatesWith", g)
	return packGates(w, gates, g)
}

func checkGates(op string, w Matrix, gates int) {
	if gates < 1 || w.Rows%gates != 0 {
		panic(fmt.Sprintf("kernels: %s: %d rows do not split into %d gates of equal height", op, w.Rows, gates))
	}
}

// checkStepGeometry panics unless g is a geometry of a matrix a fused step
// applies.
func checkStepGeometry(op string, g Geometry) {
	if err := g.Validate(); err != nil {
		panic("kernels: " + op + ": " + err.Error())
	}
	if g.Tiles {
		panic("kernels: " + op + ": geometry tiles is for the V of a low-rank product, not a matrix a step applies")
	}
}

func packGates(w Matrix, gates int, g Geometry) *PackedGates {
	h := w.Rows / gates
	g = gatesGeometry(g, gates, h)
	blocks := (h + PanelRows - 1) / PanelRows
	p := &PackedGates{gates: gates, hidden: h, cols: w.Cols, geom: g, code: g.code(), panelStride: w.Cols * g.Rows}
	p.data = alignedFloats(gates * blocks * PanelRows * w.Cols)
	if p.tall() {
		p.cycles = chunkCycles(gates, h/PanelRows)
	}
	for i := 0; i < w.Rows && w.Cols > 0; i++ {
		panel, rows := p.row(i)
		for j, v := range w.Row(i) {
			panel[j*rows] = v
		}
	}
	return p
}

// row returns the packed data from row i (in PyTorch's order) of column
// 0 on, and the distance between its columns: the panel height.
func (p *PackedGates) row(i int) ([]float32, int) {
	g, u := i/p.hidden, i%p.hidden
	q := (p.gates*(u/PanelRows)+g)*PanelRows + u%PanelRows // its interleaved row
	rows := p.geom.Rows
	return p.data[q/rows*p.panelStride+q%rows:], rows
}

// tall reports whether p's panels are taller than PanelRows: gate g alone
// is then no packed matrix of its own.
func (p *PackedGates) tall() bool { return p.geom.Rows > PanelRows }

// Gates returns G, the number of gates.
func (p *PackedGates) Gates() int { return p.gates }

// Hidden returns H, the rows of each gate.
func (p *PackedGates) Hidden() int { return p.hidden }

// Rows returns G·H, the rows of the stacked matrix.
func (p *PackedGates) Rows() int { return p.gates * p.hidden }

// Cols returns m.
func (p *PackedGates) Cols() int { return p.cols }

// Geometry returns the geometry the matrix was packed in.
func (p *PackedGates) Geometry() Geometry { return p.geom }

// WeightBytes returns the bytes of weights a product reads (padding
// excluded).
func (p *PackedGates) WeightBytes() int { return 4 * p.gates * p.hidden * p.cols }

// Unpack returns the stacked matrix, row-major in PyTorch's order.
func (p *PackedGates) Unpack() Matrix {
	a := NewMatrix(p.Rows(), p.cols)
	for i := 0; i < a.Rows && p.cols > 0; i++ {
		panel, rows := p.row(i)
		row := a.Row(i)
		for j := range row {
			row[j] = panel[j*rows]
		}
	}
	return a
}

// MatVec sets y = W·x, y in PyTorch's row order (gate 0's H rows first).
func (p *PackedGates) MatVec(y, x []float32) {
	p.checkVec("PackedGates.MatVec", y, x)
	p.apply(y, x, 0, false)
}

// MatVecAdd sets y += W·x.
func (p *PackedGates) MatVecAdd(y, x []float32) {
	p.checkVec("PackedGates.MatVecAdd", y, x)
	p.apply(y, x, 0, true)
}

func (p *PackedGates) checkVec(op string, y, x []float32) {
	if len(y) != p.Rows() || len(x) != p.cols {
		panic(fmt.Sprintf("kernels: %s: matrix is %d×%d (%d gates), len(y) = %d, len(x) = %d; want len(y) = %d, len(x) = %d",
			op, p.Rows(), p.cols, p.gates, len(y), len(x), p.Rows(), p.cols))
	}
}

// apply sets (or with add, adds to) y the product of columns
// [c0, c0+len(x)) with x. With 16-row panels it goes one gate at a time:
// gate g is a packed matrix of its own at panel g with panel stride
// G·panelStride. With taller ones the product of the interleaved rows
// goes to y in PyTorch's order, by the target's leaf (gemvGates) or after
// a permutation (and y to the interleaved order before, to add to it). c0
// is a multiple of PanelRows or 0 (see PackedGatesLowRank.apply).
func (p *PackedGates) apply(y, x []float32, c0 int, add bool) {
	if p.tall() {
		a := p.data[c0*p.geom.Rows:]
		if gemvGates(y, a, p.panelStride, x, p.hidden, p.gates, add, p.code) {
			return
		}
		if add {
			p.permute(y, false)
		}
		gemvPanels(y, a, p.panelStride, x, add, p.code)
		p.permute(y, true)
		return
	}
	for g := 0; g < p.gates; g++ {
		gemvPanels(y[g*p.hidden:(g+1)*p.hidden], p.data[g*p.panelStride+c0*PanelRows:], p.gates*p.panelStride, x, add, p.code)
	}
}

// applyGeneric is apply with the pure-Go leaf, whatever the target.
func (p *PackedGates) applyGeneric(y, x []float32) {
	if p.tall() {
		gemvPanelsGeneric(y, p.data, p.panelStride, x, false, p.geom.Rows)
		p.permute(y, true)
		return
	}
	for g := 0; g < p.gates; g++ {
		gemvPanelsGeneric(y[g*p.hidden:(g+1)*p.hidden], p.data[g*p.panelStride:], p.gates*p.panelStride, x, false, PanelRows)
	}
}

// permute reorders y, the G·H rows of a layout of tall panels, in place:
// with toTorch from the interleaved order to PyTorch's, else back, moving
// the chunks of sixteen rows along the cycles of the permutation (see
// chunkCycles).
func (p *PackedGates) permute(y []float32, toTorch bool) {
	const c = PanelRows
	chunk := func(q int32) *[c]float32 { return (*[c]float32)(y[int(q)*c:]) }
	for cyc := range cycles(p.cycles) {
		last := len(cyc) - 1
		if toTorch {
			// The chunk at cyc[i] goes to cyc[i+1], the last to cyc[0].
			carry := *chunk(cyc[last])
			for _, q := range cyc {
				carry, *chunk(q) = *chunk(q), carry
			}
			continue
		}
		// Back: the chunk at cyc[i+1] goes to cyc[i], cyc[0] to the last.
		carry := *chunk(cyc[0])
		for i := last; i >= 0; i-- {
			carry, *chunk(cyc[i]) = *chunk(cyc[i]), carry
		}
	}
}

// chunkCycles returns the permutation of the chunks of sixteen rows that
// takes G gates of k chunks each from the interleaved order to PyTorch's
// (chunk G·b+g of the interleaved order is chunk g·k+b of PyTorch's), as
// its cycles of two or more chunks, each listed in the order the chunks
// move (a chunk goes to where the next one was) and followed by −1.
func chunkCycles(gates, k int) []int32 {
	n := gates * k
	dest := func(q int) int { return q%gates*k + q/gates }
	var out []int32
	seen := make([]bool, n)
	for s := range n {
		if seen[s] || dest(s) == s {
			seen[s] = true
			continue
		}
		// Following dest from s lists where each chunk goes; the chunk at
		// q moves to dest(q), i.e. in the listing order each chunk goes
		// to where the next one was.
		for q := s; !seen[q]; q = dest(q) {
			seen[q] = true
			out = append(out, int32(q))
		}
		out = append(out, -1)
	}
	return out
}

// cycles yields the cycles of a chunkCycles list.
func cycles(list []int32) func(yield func([]int32) bool) {
	return func(yield func([]int32) bool) {
		for len(list) > 0 {
			end := slices.Index(list, -1)
			if !yield(list[:end]) {
				return
			}
			list = list[end+1:]
		}
	}
}

// PackedGatesLowRank is a rank-r factorisation of a gated cell's stacked
// recurrent matrix that shares its right factor between the gates (the
// joint truncation [W_0; …; W_{G−1}] ≈ [U_0; …; U_{G−1}]·V): U (G·H×r)
// packed gate-interleaved, V (r×m) packed plainly. A step computes
// t = V·h once, then streams U with the gates' epilogues, reading
// r·(G·H + m) weights instead of G·H·m.
type PackedGatesLowRank struct {
	U *PackedGates
	V *Packed
}

// PackGatesLowRank returns a packed copy of w, whose U stacks the gates'
// rows as PackGates expects them. Each factor takes the geometry this
// CPU's entry of the geometry table gives its role in a product of this
// size, as in PackLowRank (U where its panels fit the gate-interleaved
// layout, see PackedGates).
func PackGatesLowRank(w LowRank, gates int) *PackedGatesLowRank {
	w.check("PackGatesLowRank")
	checkGates("PackGatesLowRank", w.U, gates)
	ws := 4 * (w.U.Rows*w.U.Cols + w.V.Rows*w.V.Cols)
	return &PackedGatesLowRank{U: packGates(w.U, gates, GeometryFor(RoleU, ws)), V: pack(w.V, GeometryFor(RoleV, ws))}
}

// PackGatesLowRankWith is PackGatesLowRank with U in geometry gu (or
// DefaultGeometry where gu's panels do not fit, see PackGatesWith) and V
// in gv (which may be TileGeometry). It panics if either is not a geometry
// the kernels implement, or gu is TileGeometry.
func PackGatesLowRankWith(w LowRank, gates int, gu, gv Geometry) *PackedGatesLowRank {
	const op = "PackGatesLowRankWith"
	w.check(op)
	checkGates(op, w.U, gates)
	checkStepGeometry(op, gu)
	if err := gv.Validate(); err != nil {
		panic("kernels: " + op + ": " + err.Error())
	}
	return &PackedGatesLowRank{U: packGates(w.U, gates, gu), V: pack(w.V, gv)}
}

// Rows returns G·H.
func (p *PackedGatesLowRank) Rows() int { return p.U.Rows() }

// Cols returns m.
func (p *PackedGatesLowRank) Cols() int { return p.V.cols }

// Rank returns r.
func (p *PackedGatesLowRank) Rank() int { return p.V.rows }

// WeightBytes returns the bytes of weights a product reads.
func (p *PackedGatesLowRank) WeightBytes() int { return p.U.WeightBytes() + p.V.WeightBytes() }

// MatVec sets y = U·(V·x), in PyTorch's row order.
func (p *PackedGatesLowRank) MatVec(y, x []float32) {
	p.checkVec("PackedGatesLowRank.MatVec", y, x)
	p.apply(y, x, false)
}

// MatVecAdd sets y += U·(V·x).
func (p *PackedGatesLowRank) MatVecAdd(y, x []float32) {
	p.checkVec("PackedGatesLowRank.MatVecAdd", y, x)
	p.apply(y, x, true)
}

func (p *PackedGatesLowRank) checkVec(op string, y, x []float32) {
	checkFactorsVec(op, p.Rows(), p.V.rows, p.Cols(), y, x)
}

// apply is PackedLowRank.apply with a gate-interleaved U: ranks above
// lowRankChunk go in chunks of whole panels of V's rows.
func (p *PackedGatesLowRank) apply(y, x []float32, add bool) {
	var buf [lowRankChunk]float32
	r := p.V.rows
	if r == 0 && !add {
		clear(y)
	}
	for c0 := 0; c0 < r; c0 += lowRankChunk {
		c1 := min(c0+lowRankChunk, r)
		t := buf[:c1-c0]
		p.V.product(t, x, c0, 0, false)
		p.U.apply(y, t, c0, add || c0 > 0)
	}
}

var (
	_ Operator = (*PackedGates)(nil)
	_ Operator = (*PackedGatesLowRank)(nil)
)

// gatesMatVecGeneric sets y = A·x with the pure-Go leaves, whatever the
// target, for the references of the gated steps.
func gatesMatVecGeneric(a Operator, y, x []float32) {
	switch a := a.(type) {
	case *PackedGates:
		a.applyGeneric(y, x)
	case *PackedGatesLowRank:
		t := make([]float32, a.Rank())
		a.V.productGeneric(t, x)
		a.U.applyGeneric(y, t)
	default:
		matVecGeneric(a, y, x)
	}
}

// gatesBatchProduct sets row b of y to U·(row b of x), y in PyTorch's row
// order, reading the weights once for every four rows where the target has
// a batched kernel (see batchProduct).
func gatesBatchProduct(y Matrix, u Operator, x Matrix) {
	switch u := u.(type) {
	case *PackedGates:
		gatesGemm(y.Data, y.Stride, u, x.Data, x.Stride, x.Rows)
		return
	case *PackedGatesLowRank:
		// t = V·x of a group of rows on the stack, in a small buffer for a
		// small rank (as batchProduct).
		switch r := u.Rank(); {
		case r > 0 && r <= smallRank:
			var buf [batchGroup * smallRank]float32
			gatesLowRankBatch(y, u, x, buf[:batchGroup*r])
			return
		case r > 0 && r <= lowRankChunk:
			var buf [batchGroup * lowRankChunk]float32
			gatesLowRankBatch(y, u, x, buf[:batchGroup*r])
			return
		}
	case *Packed, *PackedLowRank:
		batchProduct(y, u, x)
		return
	}
	for b := 0; b < x.Rows; b++ {
		u.MatVec(y.Row(b), x.Row(b))
	}
}

// gatesLowRankBatch sets row b of y to U·(V·(row b of x)), a group of rows
// at a time, each factor read once per group, t (batchGroup·rank floats)
// in buf.
func gatesLowRankBatch(y Matrix, u *PackedGatesLowRank, x Matrix, buf []float32) {
	r := u.Rank()
	for b0 := 0; b0 < x.Rows; b0 += batchGroup {
		cnt := min(batchGroup, x.Rows-b0)
		u.V.batch(buf, r, x.Data[b0*x.Stride:], x.Stride, u.V.cols, cnt, 0, false)
		gatesGemm(y.Data[b0*y.Stride:], y.Stride, u.U, buf, r, cnt)
	}
}

// gatesGemm sets y[b*ldy:][:G·H] = W·x[b*ldx:][:cols] for b < batch, in
// PyTorch's row order: gemmPanels for each gate of p with 16-row panels,
// or for the whole interleaved matrix of tall ones, each row then
// permuted.
func gatesGemm(y []float32, ldy int, p *PackedGates, x []float32, ldx, batch int) {
	if p.tall() {
		rows := p.Rows()
		gemmPanels(y, ldy, rows, p.data, p.panelStride, x, ldx, p.cols, batch, false, p.code)
		for b := range batch {
			p.permute(y[b*ldy:b*ldy+rows], true)
		}
		return
	}
	for g := 0; g < p.gates; g++ {
		gemmPanels(y[g*p.hidden:], ldy, p.hidden, p.data[g*p.panelStride:], p.gates*p.panelStride,
			x, ldx, p.cols, batch, false, p.code)
	}
}
