package kernels

import "fmt"

// The stacked recurrent weights of a gated cell, packed for the fused
// steps. PyTorch stacks the G gates' recurrent matrices row-wise: weight_hh
// of an nn.GRU is [W_hr; W_hz; W_hn] (3H×H), of an nn.LSTM [W_hi; W_hf;
// W_hg; W_ho] (4H×P). A step needs, for each hidden unit, the sums of all G
// gates before it can combine them, so the packing interleaves the gates
// by blocks of PanelRows hidden units: block k is the G panels
//
//	gate 0, rows 16k…16k+15;  gate 1, the same rows;  …;  gate G−1
//
// stored one after the other. One sequential pass over the weights then
// produces the gates of block 0, then those of block 1, …, and the step
// finishes each block while its gates are still in registers (GRUStep,
// LSTMStep). Each gate's rows are padded to a whole number of panels, so
// gate g of block k starts at panel G·k + g: gate g alone is an ordinary
// packed matrix with panel stride G·cols·PanelRows, which is how the plain
// products (MatVec, the batches) read it.

// gatesCode is the panel loop of the gate-interleaved panels: 16 rows
// (PanelRows) in four streams, the geometry their packing and the fused
// gated steps are written for, whatever the geometry table says.
var gatesCode = Geometry{Rows: PanelRows, Streams: 4, Accs: 8}.code()

// PackedGates is the stacked recurrent matrix of a gated cell, G gates of
// H rows and m columns ([W_0; …; W_{G−1}], G·H×m), packed gate-interleaved
// for GRUStep and LSTMStep. It is an Operator on the stacked matrix in
// PyTorch's row order. A PackedGates is immutable and safe for concurrent
// use.
type PackedGates struct {
	gates, hidden, cols int
	// panelStride is the distance in floats between consecutive panels,
	// cols·PanelRows; the panels of one gate are gates·panelStride apart.
	panelStride int
	data        []float32
}

// PackGates returns the stacked matrix w, gates·H×m with the gates' blocks
// of H rows one after the other (PyTorch's weight_hh), packed
// gate-interleaved. It panics unless gates ≥ 1 divides w.Rows.
func PackGates(w Matrix, gates int) *PackedGates {
	w.check("PackGates", "")
	if gates < 1 || w.Rows%gates != 0 {
		panic(fmt.Sprintf("kernels: PackGates: %d rows do not split into %d gates of equal height", w.Rows, gates))
	}
	h := w.Rows / gates
	blocks := (h + PanelRows - 1) / PanelRows
	p := &PackedGates{gates: gates, hidden: h, cols: w.Cols, panelStride: w.Cols * PanelRows}
	p.data = alignedFloats(gates * blocks * p.panelStride)
	for g := 0; g < gates; g++ {
		for i := 0; i < h; i++ {
			panel := p.data[(gates*(i/PanelRows)+g)*p.panelStride:]
			r := i % PanelRows
			for j, v := range w.Row(g*h + i) {
				panel[j*PanelRows+r] = v
			}
		}
	}
	return p
}

// Gates returns G, the number of gates.
func (p *PackedGates) Gates() int { return p.gates }

// Hidden returns H, the rows of each gate.
func (p *PackedGates) Hidden() int { return p.hidden }

// Rows returns G·H, the rows of the stacked matrix.
func (p *PackedGates) Rows() int { return p.gates * p.hidden }

// Cols returns m.
func (p *PackedGates) Cols() int { return p.cols }

// WeightBytes returns the bytes of weights a product reads (padding
// excluded).
func (p *PackedGates) WeightBytes() int { return 4 * p.gates * p.hidden * p.cols }

// Unpack returns the stacked matrix, row-major in PyTorch's order.
func (p *PackedGates) Unpack() Matrix {
	a := NewMatrix(p.Rows(), p.cols)
	for g := 0; g < p.gates; g++ {
		for i := 0; i < p.hidden; i++ {
			panel := p.data[(p.gates*(i/PanelRows)+g)*p.panelStride:]
			r := i % PanelRows
			row := a.Row(g*p.hidden + i)
			for j := range row {
				row[j] = panel[j*PanelRows+r]
			}
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
// [c0, c0+len(x)) with x, one gate at a time: gate g is a packed matrix of
// its own at panel g with panel stride G·panelStride. c0 is a multiple of
// PanelRows or 0 (see PackedGatesLowRank.apply).
func (p *PackedGates) apply(y, x []float32, c0 int, add bool) {
	for g := 0; g < p.gates; g++ {
		gemvPanels(y[g*p.hidden:(g+1)*p.hidden], p.data[g*p.panelStride+c0*PanelRows:], p.gates*p.panelStride, x, add, gatesCode)
	}
}

// applyGeneric is apply with the pure-Go leaf, whatever the target.
func (p *PackedGates) applyGeneric(y, x []float32) {
	for g := 0; g < p.gates; g++ {
		gemvPanelsGeneric(y[g*p.hidden:(g+1)*p.hidden], p.data[g*p.panelStride:], p.gates*p.panelStride, x, false, PanelRows)
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
// rows as PackGates expects them.
func PackGatesLowRank(w LowRank, gates int) *PackedGatesLowRank {
	w.check("PackGatesLowRank")
	return &PackedGatesLowRank{U: PackGates(w.U, gates), V: Pack(w.V)}
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
		const group = 4
		r := u.Rank()
		if r > 0 && r <= lowRankChunk {
			var buf [group * lowRankChunk]float32
			for b0 := 0; b0 < x.Rows; b0 += group {
				cnt := min(group, x.Rows-b0)
				u.V.batch(buf[:], r, x.Data[b0*x.Stride:], x.Stride, u.V.cols, cnt, 0, false)
				gatesGemm(y.Data[b0*y.Stride:], y.Stride, u.U, buf[:], r, cnt)
			}
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

// gatesGemm is gemmPanels for each gate of p: for b < batch,
// y[b*ldy+g*H:][:H] = W_g·x[b*ldx:][:cols].
func gatesGemm(y []float32, ldy int, p *PackedGates, x []float32, ldx, batch int) {
	for g := 0; g < p.gates; g++ {
		gemmPanels(y[g*p.hidden:], ldy, p.hidden, p.data[g*p.panelStride:], p.gates*p.panelStride,
			x, ldx, p.cols, batch, false, gatesCode)
	}
}
