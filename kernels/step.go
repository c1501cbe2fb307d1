package kernels

import (
	"fmt"
	"unsafe"
)

// One step of a recurrent cell, fused: the recurrent product, the
// precomputed input projection, the bias and the activations in one pass
// over the weights, with no intermediate vector written that the maths does
// not need. The recurrent weights are an Operator: a dense *Packed, or a
// low-rank *PackedLowRank, for which the small vector t = V·h is computed
// first and the product with U carries the activations. Two PackedLowRank
// that share one V (the joint truncation of [U_f; U_h]) are fine.

// RNNStep sets hNew = tanh(xp + U·h + b), one step of a vanilla RNN whose
// input projection xp = W·x is precomputed. hNew must not overlap h.
func RNNStep(hNew, h, xp, b []float32, u Operator) {
	n := len(h)
	if !square(u, n) || len(hNew) != n || len(xp) != n || len(b) != n {
		checkStep("RNNStep", n, u, []vec{{"hNew", hNew}, {"xp", xp}, {"b", b}})
	}
	noOverlap("RNNStep", "hNew", hNew, "h", h)
	switch u := u.(type) {
	case *Packed:
		u.step(hNew, nil, h, nil, nil, xp, b, stepRNN)
	case *PackedLowRank:
		u.step(hNew, nil, h, nil, nil, xp, b, stepRNN)
	case *PackedInt8:
		stepInt8(hNew, nil, u.data, u.stride, u.scale, u.bias, h, false, nil, nil, xp, b, stepRNN, false, u.streams)
	case *PackedInt8LowRank:
		u.step(hNew, nil, h, nil, nil, xp, b, stepRNN)
	default:
		u.MatVec(hNew, h)
		epilogue(hNew, nil, nil, nil, xp, b, stepRNN)
	}
}

// MGRUStep sets hNew to one step of the minimal gated unit:
//
//	f    = σ(xpf + U_f·h + bf)
//	h̃    = tanh(xph + U_h·(f ⊙ h) + bh)
//	hNew = (1 − f) ⊙ h + f ⊙ h̃
//
// with the input projections xpf = W_f·x and xph = W_h·x precomputed. work
// holds f and f ⊙ h and needs at least 2·len(h) elements. hNew must not
// overlap h or work.
func MGRUStep(hNew, h, xpf, xph, bf, bh []float32, uf, uh Operator, work []float32) {
	n := len(h)
	if !square(uf, n) || !square(uh, n) || len(hNew) != n || len(xpf) != n || len(xph) != n || len(bf) != n || len(bh) != n {
		checkStep("MGRUStep", n, uf, []vec{{"hNew", hNew}, {"xpf", xpf}, {"xph", xph}, {"bf", bf}, {"bh", bh}})
		checkStep("MGRUStep", n, uh, nil)
	}
	if len(work) < 2*n {
		panic(fmt.Sprintf("kernels: MGRUStep: len(work) = %d, want at least 2·n = %d", len(work), 2*n))
	}
	f, fh := work[:n], work[n:2*n]
	noOverlap("MGRUStep", "hNew", hNew, "h", h)
	noOverlap("MGRUStep", "hNew", hNew, "work", work[:2*n])
	noOverlap("MGRUStep", "h", h, "work", work[:2*n])

	switch u := uf.(type) {
	case *Packed:
		u.step(f, fh, h, h, nil, xpf, bf, stepGate)
	case *PackedLowRank:
		u.step(f, fh, h, h, nil, xpf, bf, stepGate)
	case *PackedInt8:
		stepInt8(f, fh, u.data, u.stride, u.scale, u.bias, h, false, h, nil, xpf, bf, stepGate, false, u.streams)
	case *PackedInt8LowRank:
		u.step(f, fh, h, h, nil, xpf, bf, stepGate)
	default:
		u.MatVec(f, h)
		epilogue(f, fh, h, nil, xpf, bf, stepGate)
	}
	switch u := uh.(type) {
	case *Packed:
		u.step(hNew, nil, fh, h, f, xph, bh, stepOut)
	case *PackedLowRank:
		u.step(hNew, nil, fh, h, f, xph, bh, stepOut)
	case *PackedInt8:
		stepInt8(hNew, nil, u.data, u.stride, u.scale, u.bias, fh, false, h, f, xph, bh, stepOut, false, u.streams)
	case *PackedInt8LowRank:
		u.step(hNew, nil, fh, h, f, xph, bh, stepOut)
	default:
		u.MatVec(hNew, fh)
		epilogue(hNew, nil, h, f, xph, bh, stepOut)
	}
}

// step is the fused step with low-rank weights: t = V·x on the stack, then
// the step leaf with U·t; ranks above lowRankChunk apply the product in
// chunks, then the epilogue.
func (u *PackedLowRank) step(y, y2, x, h, f, xp, b []float32, mode int) {
	switch r := u.Rank(); {
	case r <= smallRank:
		var buf [smallRank]float32
		u.V.whole(buf[:r], x, false)
		u.U.step(y, y2, buf[:r], h, f, xp, b, mode)
	case r <= lowRankChunk:
		var buf [lowRankChunk]float32
		u.V.whole(buf[:r], x, false)
		u.U.step(y, y2, buf[:r], h, f, xp, b, mode)
	default:
		u.apply(y, x, false)
		epilogue(y, y2, h, f, xp, b, mode)
	}
}

// step is the fused step with int8 low-rank weights: t = V·x on the
// stack, quantized when U's leaf reads it, then the step leaf with U·t.
func (u *PackedInt8LowRank) step(y, y2, x, h, f, xp, b []float32, mode int) {
	var buf [MaxInt8Rank]float32
	t := buf[:u.Rank()]
	gemvInt8(t, u.V.data, u.V.stride, u.V.scale, u.V.bias, x, false, false, u.streams)
	stepInt8(y, y2, u.U.data, u.U.stride, u.U.scale, u.U.bias, t, true, h, f, xp, b, mode, false, u.streams)
}

// step is the fused step leaf over the runs of panels of p: for each row
// i, with s = (P·x)[i], the epilogue of mode (see stepPanelsGeneric) writes
// y[i] (and y2[i]). Vectors a mode does not use may be nil.
func (p *Packed) step(y, y2, x, h, f, xp, b []float32, mode int) {
	if len(p.segs) == 1 { // one run, which starts the data: the leaf on the whole vectors
		s := &p.segs[0]
		stepPanels(y, y2, p.data, s.stride(p.cols), x, h, f, xp, b, mode, false, s.code)
		return
	}
	for _, s := range p.segs {
		lo, hi := s.row0, s.row0+s.rows
		stepPanels(y[lo:hi], part(y2, lo, hi), p.data[s.off:], s.stride(p.cols), x,
			part(h, lo, hi), part(f, lo, hi), xp[lo:hi], b[lo:hi], mode, false, s.code)
	}
}

// epilogue applies the epilogue of mode to a product already in y: the
// step leaf with no columns, so that its sums are zero and no weight is
// read.
func epilogue(y, y2, h, f, xp, b []float32, mode int) {
	stepPanels(y, y2, nil, 0, nil, h, f, xp, b, mode, true, noColumns)
}

// noColumns is the geometry of the step leaves (plain and gated) run with
// no columns, as epilogues of a product already made: the 16-row
// four-stream loop, which hands the epilogue 64 rows at a time, whose
// activations overlap (one 16-row panel at a time, each activation waited
// for the last). The AVX-512 leaf has a loop of its own for no columns,
// 64 rows a round with its row pointers kept in registers.
const noColumns = geomCode(PanelRows | 4<<8 | 8<<12)

// part returns v[lo:hi], or nil for a nil v.
func part(v []float32, lo, hi int) []float32 {
	if v == nil {
		return nil
	}
	return v[lo:hi]
}

// RNNStepGeneric is the reference for RNNStep: the product in the order of
// MatVecGeneric, then (s + xp[i]) + b[i], then TanhGeneric.
func RNNStepGeneric(hNew, h, xp, b []float32, u Operator) {
	matVecGeneric(u, hNew, h)
	stepTailGeneric(hNew, nil, nil, nil, xp, b, stepRNN)
}

// MGRUStepGeneric is the reference for MGRUStep.
func MGRUStepGeneric(hNew, h, xpf, xph, bf, bh []float32, uf, uh Operator, work []float32) {
	n := len(h)
	f, fh := work[:n], work[n:2*n]
	matVecGeneric(uf, f, h)
	stepTailGeneric(f, fh, h, nil, xpf, bf, stepGate)
	matVecGeneric(uh, hNew, fh)
	stepTailGeneric(hNew, nil, h, f, xph, bh, stepOut)
}

// matVecGeneric sets y = A·x with the pure-Go leaves, whatever the target.
func matVecGeneric(a Operator, y, x []float32) {
	switch a := a.(type) {
	case *Packed:
		a.productGeneric(y, x)
	case *PackedLowRank:
		t := make([]float32, a.Rank())
		a.V.productGeneric(t, x)
		a.U.productGeneric(y, t)
	default:
		a.MatVec(y, x)
	}
}

// productGeneric sets y = P·x with the pure-Go leaves.
func (p *Packed) productGeneric(y, x []float32) {
	for _, s := range p.segs {
		if s.code.tiles() {
			gemvTilesGeneric(y[s.row0:s.row0+s.rows], p.data[s.off:], s.stride(p.cols), x, false)
			continue
		}
		gemvPanelsGeneric(y[s.row0:s.row0+s.rows], p.data[s.off:], s.stride(p.cols), x, false, s.height())
	}
}

// The fused leaf: stepPanels(y, y2, a, stride, x, h, f, xp, b, mode, add,
// g) computes, for each row i of y, with s = (P·x)[i] for the packed P in
// a, panels of g.height() rows (see gemvPanelsGeneric; no columns when x is
// empty):
//
//	if add { s += y[i] }
//	s = (s + xp[i]) + b[i]
//	stepRNN:  y[i] = tanh(s)
//	stepGate: y[i] = σ(s); y2[i] = y[i]·h[i]
//	stepOut:  y[i] = h[i] + f[i]·(tanh(s) − h[i]), that is (1 − f)·h + f·h̃
//
// Slices a mode does not use may be nil. With an empty x and add set, it is
// the epilogue alone, applied to a product already in y.
const (
	stepRNN = iota
	stepGate
	stepOut
)

// stepPanelsGeneric is the pure-Go fused leaf.
func stepPanelsGeneric(y, y2, a []float32, stride int, x, h, f, xp, b []float32, mode int, add bool, g geomCode) {
	gemvPanelsGeneric(y, a, stride, x, add, g.height())
	stepTailGeneric(y, y2, h, f, xp, b, mode)
}

// stepTailGeneric applies the epilogue of mode to the product in y.
func stepTailGeneric(y, y2, h, f, xp, b []float32, mode int) {
	for i := range y {
		y[i] = (y[i] + xp[i]) + b[i]
	}
	switch mode {
	case stepRNN:
		TanhGeneric(y, y)
	case stepGate:
		SigmoidGeneric(y, y)
		for i := range y {
			y2[i] = y[i] * h[i]
		}
	case stepOut:
		TanhGeneric(y, y)
		for i := range y {
			y[i] = h[i] + f[i]*(y[i]-h[i])
		}
	}
}

type vec struct {
	name string
	v    []float32
}

// square reports whether u is an n×n operator: the test of checkStep that
// a step makes first, building checkStep's message only when it fails (the
// step of a low-rank model takes a hundred nanoseconds or two).
func square(u Operator, n int) bool { return u != nil && u.Rows() == n && u.Cols() == n }

// checkStep panics unless u is n×n and every vector has length n.
func checkStep(op string, n int, u Operator, vs []vec) {
	if u == nil {
		panic(fmt.Sprintf("kernels: %s: nil recurrent weights", op))
	}
	if u.Rows() != n || u.Cols() != n {
		panic(fmt.Sprintf("kernels: %s: recurrent weights are %d×%d, want %d×%d for len(h) = %d",
			op, u.Rows(), u.Cols(), n, n, n))
	}
	for _, v := range vs {
		if len(v.v) != n {
			panic(fmt.Sprintf("kernels: %s: len(%s) = %d, want len(h) = %d", op, v.name, len(v.v), n))
		}
	}
}

// extent returns the part of a.Data that a's elements span.
func extent(a Matrix) []float32 {
	if a.Rows == 0 || a.Cols == 0 {
		return nil
	}
	return a.Data[:(a.Rows-1)*a.Stride+a.Cols]
}

// noOverlap panics if a and b share memory.
func noOverlap(op, an string, a []float32, bn string, b []float32) {
	if len(a) == 0 || len(b) == 0 {
		return
	}
	a0 := uintptr(unsafe.Pointer(unsafe.SliceData(a)))
	b0 := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if a0 < b0+uintptr(4*len(b)) && b0 < a0+uintptr(4*len(a)) {
		panic(fmt.Sprintf("kernels: %s: %s and %s overlap", op, an, bn))
	}
}

// Batches: B independent sequences advance together, one row of each matrix
// per sequence. The recurrent weights are read once per step for every four
// sequences on targets with a batched kernel (avx2, avx512), instead of once
// per sequence.

// RNNStepBatch runs RNNStep for each row b: row b of hNew is
// tanh(row b of xp + U·(row b of h) + b).
func RNNStepBatch(hNew, h, xp Matrix, b []float32, u Operator) {
	checkBatchStep("RNNStepBatch", h, u, []mat{{"hNew", hNew}, {"xp", xp}}, []vec{{"b", b}})
	noOverlap("RNNStepBatch", "hNew", extent(hNew), "h", extent(h))
	batchProduct(hNew, u, h)
	for r := 0; r < h.Rows; r++ {
		epilogue(hNew.Row(r), nil, nil, nil, xp.Row(r), b, stepRNN)
	}
}

// MGRUStepBatch runs MGRUStep for each row. work holds f and f ⊙ h for every
// row and needs at least 2·B·n elements.
func MGRUStepBatch(hNew, h, xpf, xph Matrix, bf, bh []float32, uf, uh Operator, work []float32) {
	n := checkBatchStep("MGRUStepBatch", h, uf, []mat{{"hNew", hNew}, {"xpf", xpf}, {"xph", xph}}, []vec{{"bf", bf}, {"bh", bh}})
	checkStep("MGRUStepBatch", n, uh, nil)
	bn := h.Rows * n
	if len(work) < 2*bn {
		panic(fmt.Sprintf("kernels: MGRUStepBatch: len(work) = %d, want at least 2·B·n = %d", len(work), 2*bn))
	}
	noOverlap("MGRUStepBatch", "hNew", extent(hNew), "h", extent(h))
	noOverlap("MGRUStepBatch", "hNew", extent(hNew), "work", work[:2*bn])
	noOverlap("MGRUStepBatch", "h", extent(h), "work", work[:2*bn])
	f := Matrix{Rows: h.Rows, Cols: n, Stride: n, Data: work[:bn]}
	fh := Matrix{Rows: h.Rows, Cols: n, Stride: n, Data: work[bn : 2*bn]}
	batchProduct(f, uf, h)
	for r := 0; r < h.Rows; r++ {
		epilogue(f.Row(r), fh.Row(r), h.Row(r), nil, xpf.Row(r), bf, stepGate)
	}
	batchProduct(hNew, uh, fh)
	for r := 0; r < h.Rows; r++ {
		epilogue(hNew.Row(r), nil, h.Row(r), f.Row(r), xph.Row(r), bh, stepOut)
	}
}

// batchProduct sets row b of y to U·(row b of x). A low-rank U reads each
// factor once per group of four rows: t = V·x for the group, kept on the
// stack, then U·t.
func batchProduct(y Matrix, u Operator, x Matrix) {
	switch u := u.(type) {
	case *Packed:
		u.batch(y.Data, y.Stride, x.Data, x.Stride, u.cols, x.Rows, 0, false)
		return
	case *PackedInt8:
		u.batch(y, x, false)
		return
	case *PackedInt8LowRank:
		u.batch(y, x)
		return
	case *PackedBF16:
		u.batch(y, x, false)
		return
	case *PackedBF16LowRank:
		switch r := u.Rank(); {
		case r > 0 && r <= smallRank:
			var buf [batchGroup * smallRank]float32
			u.batch(y, x, buf[:batchGroup*r])
			return
		case r > 0 && r <= lowRankChunk:
			var buf [batchGroup * lowRankChunk]float32
			u.batch(y, x, buf[:batchGroup*r])
			return
		}
	case *PackedLowRank:
		switch r := u.Rank(); {
		case r > 0 && r <= smallRank:
			var buf [batchGroup * smallRank]float32
			u.batch(y, x, buf[:batchGroup*r])
			return
		case r > 0 && r <= lowRankChunk:
			var buf [batchGroup * lowRankChunk]float32
			u.batch(y, x, buf[:batchGroup*r])
			return
		}
	}
	for b := 0; b < x.Rows; b++ {
		u.MatVec(y.Row(b), x.Row(b))
	}
}

// batchGroup is the number of rows of a batch whose t = V·x a low-rank
// batch product keeps at once: the widest batched leaf.
const batchGroup = 4

// batch sets row b of y to U·(V·(row b of x)), a group of rows at a time,
// each factor read once per group, t (batchGroup·rank floats) in buf.
func (u *PackedLowRank) batch(y Matrix, x Matrix, buf []float32) {
	r := u.Rank()
	for b0 := 0; b0 < x.Rows; b0 += batchGroup {
		cnt := min(batchGroup, x.Rows-b0)
		u.V.batch(buf, r, x.Data[b0*x.Stride:], x.Stride, u.V.cols, cnt, 0, false)
		u.U.batch(y.Data[b0*y.Stride:], y.Stride, buf, r, r, cnt, 0, false)
	}
}

type mat struct {
	name string
	m    Matrix
}

// checkBatchStep panics unless h is B×n for the n×n operator u, every matrix
// is B×n and every vector has length n. It returns n.
func checkBatchStep(op string, h Matrix, u Operator, ms []mat, vs []vec) int {
	h.check(op, "h")
	n := h.Cols
	checkStep(op, n, u, vs)
	for _, m := range ms {
		m.m.check(op, m.name)
		if m.m.Rows != h.Rows || m.m.Cols != n {
			panic(fmt.Sprintf("kernels: %s: %s is %d×%d, want %d×%d like h", op, m.name, m.m.Rows, m.m.Cols, h.Rows, n))
		}
	}
	return n
}

// RNNSequence runs T steps of RNNStep from the state h0: row t of hs is the
// state after step t, computed from row t of xp, the input projections
// (one Packed.MatVecBatch of the inputs gives them all at once).
func RNNSequence(hs Matrix, h0 []float32, xp Matrix, b []float32, u Operator) {
	hs.check("RNNSequence", "hs")
	xp.check("RNNSequence", "xp")
	if xp.Rows != hs.Rows || xp.Cols != hs.Cols || len(h0) != hs.Cols {
		panic(fmt.Sprintf("kernels: RNNSequence: hs is %d×%d, xp %d×%d, len(h0) = %d; want xp like hs and len(h0) = %d",
			hs.Rows, hs.Cols, xp.Rows, xp.Cols, len(h0), hs.Cols))
	}
	h := h0
	for t := 0; t < hs.Rows; t++ {
		RNNStep(hs.Row(t), h, xp.Row(t), b, u)
		h = hs.Row(t)
	}
}

// MGRUSequence runs T steps of MGRUStep from h0, as RNNSequence does; work
// needs 2·n elements.
func MGRUSequence(hs Matrix, h0 []float32, xpf, xph Matrix, bf, bh []float32, uf, uh Operator, work []float32) {
	hs.check("MGRUSequence", "hs")
	xpf.check("MGRUSequence", "xpf")
	xph.check("MGRUSequence", "xph")
	if xpf.Rows != hs.Rows || xpf.Cols != hs.Cols || xph.Rows != hs.Rows || xph.Cols != hs.Cols || len(h0) != hs.Cols {
		panic(fmt.Sprintf("kernels: MGRUSequence: hs is %d×%d, xpf %d×%d, xph %d×%d, len(h0) = %d; want all like hs",
			hs.Rows, hs.Cols, xpf.Rows, xpf.Cols, xph.Rows, xph.Cols, len(h0)))
	}
	h := h0
	for t := 0; t < hs.Rows; t++ {
		MGRUStep(hs.Row(t), h, xpf.Row(t), xph.Row(t), bf, bh, uf, uh, work)
		h = hs.Row(t)
	}
}
