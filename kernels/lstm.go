package kernels

import "fmt"

// LSTMStep sets hNew and cNew to one step of the cell of PyTorch's
// nn.LSTM, gates i, f, g, o in that order:
//
//	u    = W_hh·h + b_hh                        (4H: u_i, u_f, u_g, u_o)
//	i = σ(u_i + xp_i)   f = σ(u_f + xp_f)   g = tanh(u_g + xp_g)   o = σ(u_o + xp_o)
//	cNew = f ⊙ c + i ⊙ g
//	m    = o ⊙ tanh(cNew)
//	hNew = m, or W_hr·m with a projection (proj_size)
//
// with the input projection xp = W_ih·x + b_ih precomputed (4H, PyTorch's
// row order) and b = b_hh (4H). H = len(c). Without a projection (proj
// nil) h and hNew have H elements; with one, proj is P×H (weight_hr), h and
// hNew have P elements and the recurrent weights u are 4H×P. u runs as one
// pass over its packed weights, with the gates finished per panel, when it
// is a *PackedGates or a *PackedGatesLowRank (rank ≤ 512) whose panels the
// target's fused leaf takes (see GRUStep); any other Operator is applied
// into work first. work needs 5·H elements (the
// product, and m before its projection). Neither hNew, cNew nor work may
// overlap h, c, xp, b or each other.
//
// The operations and their order are those of LSTMStepGeneric, with a fused
// multiply-add for f ⊙ c + (i ⊙ g); the avx512 target computes σ and tanh
// in the division-free forms of its fused steps, within the 4e-7 of
// Sigmoid and Tanh but not their bits.
func LSTMStep(hNew, cNew, h, c, xp, b []float32, u, proj Operator, work []float32) {
	const op = "LSTMStep"
	n, m := len(c), len(h)
	checkGated(op, 4, n, m, u, []vec{{"cNew", cNew}}, []vec{{"xp", xp}, {"b", b}}, work, 5*n)
	checkProj(op, n, m, proj, len(hNew))
	gatedOverlaps(op, []vec{{"hNew", hNew}, {"cNew", cNew}}, []vec{{"h", h}, {"c", c}, {"xp", xp}, {"b", b}}, work[:5*n])
	out := hNew
	if proj != nil {
		out = work[4*n : 5*n]
	}
	lstmProduct(out, cNew, h, c, xp, b, u, work[:4*n])
	if proj != nil {
		proj.MatVec(hNew, out)
	}
}

// lstmProduct is LSTMStep up to m, written to out.
func lstmProduct(out, cNew, h, c, xp, b []float32, u Operator, p []float32) {
	switch u := u.(type) {
	case *PackedGates:
		if fusedGates(u.code) {
			lstmBlocks(out, cNew, u.data, u.panelStride, h, c, xp, b, u.code)
			return
		}
	case *PackedGatesLowRank:
		// As in GRUStep.
		if r := u.Rank(); r <= smallRank && fusedGates(u.U.code) {
			var buf [smallRank]float32
			lstmLowRank(out, cNew, h, c, xp, b, u, buf[:r])
			return
		} else if r <= lowRankChunk && fusedGates(u.U.code) {
			var buf [lowRankChunk]float32
			lstmLowRank(out, cNew, h, c, xp, b, u, buf[:r])
			return
		}
	}
	u.MatVec(p, h)
	addTo(p, b)
	lstmBlocks(out, cNew, nil, 0, nil, c, xp, p, noColumns)
}

// lstmLowRank is lstmProduct's fused pass of a low rank, with t = V·h.
func lstmLowRank(out, cNew, h, c, xp, b []float32, u *PackedGatesLowRank, t []float32) {
	u.V.whole(t, h, false)
	lstmBlocks(out, cNew, u.U.data, u.U.panelStride, t, c, xp, b, u.U.code)
}

// LSTMStepBatch runs LSTMStep for each row k of h, c and xp (B×4H), with
// row k of hNew and cNew the new state. The recurrent weights and the
// projection are read once for every four rows where the target has a
// batched kernel (avx2, avx512). work needs B·5H elements.
func LSTMStepBatch(hNew, cNew, h, c, xp Matrix, b []float32, u, proj Operator, work []float32) {
	const op = "LSTMStepBatch"
	n := checkGatedBatch(op, 4, h, u, []mat{{"cNew", cNew}, {"c", c}}, xp, b, work, 5)
	hNew.check(op, "hNew")
	checkProj(op, n, h.Cols, proj, hNew.Cols)
	if hNew.Rows != h.Rows {
		panic(fmt.Sprintf("kernels: %s: hNew has %d rows, h %d; want one per sequence", op, hNew.Rows, h.Rows))
	}
	B := h.Rows
	w := work[:B*5*n]
	outs := []vec{{"hNew", extent(hNew)}, {"cNew", extent(cNew)}}
	gatedOverlaps(op, outs, []vec{{"h", extent(h)}, {"c", extent(c)}, {"xp", extent(xp)}, {"b", b}}, w)
	p := Matrix{Rows: B, Cols: 4 * n, Stride: 4 * n, Data: w[:B*4*n]}
	out := hNew
	if proj != nil {
		out = Matrix{Rows: B, Cols: n, Stride: n, Data: w[B*4*n:]}
	}
	gatesBatchProduct(p, u, h)
	for r := 0; r < B; r++ {
		addTo(p.Row(r), b)
		lstmBlocks(out.Row(r), cNew.Row(r), nil, 0, nil, c.Row(r), xp.Row(r), p.Row(r), noColumns)
	}
	if proj != nil {
		batchProduct(hNew, proj, out)
	}
}

// LSTMStepGeneric is the reference for LSTMStep: the products with the
// pure-Go leaves, and for each hidden unit, with s_q the product's row of
// gate q,
//
//	a_q = (s_q + b_q) + xp_q        for q = i, f, g, o
//	i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o)
//	cNew = fma(f, c, i·g)
//	m = o · tanh(cNew)
//
// with SigmoidGeneric, TanhGeneric and fma32; then hNew = m, or the
// projection of m. It allocates; work is used as in LSTMStep.
func LSTMStepGeneric(hNew, cNew, h, c, xp, b []float32, u, proj Operator, work []float32) {
	n := len(c)
	p := work[:4*n]
	gatesMatVecGeneric(u, p, h)
	out := hNew
	if proj != nil {
		out = work[4*n : 5*n]
	}
	for k := 0; k < n; k += PanelRows {
		m := min(PanelRows, n-k)
		var s [4][PanelRows]float32
		for g := range s {
			copy(s[g][:m], p[g*n+k:])
		}
		lstmEpilogue(out[k:k+m], cNew[k:], c[k:], &s, xp[k:], b[k:], n)
	}
	if proj != nil {
		matVecGeneric(proj, hNew, out)
	}
}

// lstmEpilogue finishes the len(y) ≤ PanelRows units of one block from the
// sums s[q] of its four gates: it sets c2 to the new cell and y to m. xp
// and b start at the block's first unit, gate q at offset q·ld.
func lstmEpilogue(y, c2, c []float32, s *[4][PanelRows]float32, xp, b []float32, ld int) {
	m := len(y)
	var a [4][PanelRows]float32
	for q := range a {
		for i := range m {
			a[q][i] = (s[q][i] + b[q*ld+i]) + xp[q*ld+i]
		}
	}
	SigmoidGeneric(a[0][:m], a[0][:m])
	SigmoidGeneric(a[1][:m], a[1][:m])
	TanhGeneric(a[2][:m], a[2][:m])
	SigmoidGeneric(a[3][:m], a[3][:m])
	var t [PanelRows]float32
	for i := range m {
		c2[i] = fma32(a[1][i], c[i], a[0][i]*a[2][i])
		t[i] = c2[i]
	}
	TanhGeneric(t[:m], t[:m])
	for i := range m {
		y[i] = a[3][i] * t[i]
	}
}

// The LSTM leaf, lstmStepPanels(y, c2, a, stride, x, c, xp, b, ld, g),
// for len(y) a multiple of PanelRows: for each block k, the sums of its
// gates q = 0…3 are those of the interleaved rows (4k+q)·16 … of the
// packed panels at a (as for the GRU leaf) with x, and lstmEpilogue
// finishes the block, c2 and c at the block's first unit like y.

// lstmStepPanelsGeneric is the pure-Go LSTM leaf.
func lstmStepPanelsGeneric(y, c2, a []float32, stride int, x, c, xp, b []float32, ld int, g geomCode) {
	for k := 0; k < len(y); k += PanelRows {
		var s [4][PanelRows]float32
		q := 4 * (k / PanelRows)
		for i := range s {
			gemvChunkGeneric(s[i][:], a, stride, x, q+i, g.height())
		}
		lstmEpilogue(y[k:k+PanelRows], c2[k:], c[k:], &s, xp[k:], b[k:], ld)
	}
}

// lstmBlocks runs the LSTM leaf over all of y, as gruBlocks does.
func lstmBlocks(y, c2, a []float32, stride int, x, c, xp, b []float32, g geomCode) {
	n := len(y)
	full := n - n%PanelRows
	if full > 0 {
		lstmStepPanels(y[:full], c2[:full], a, stride, x, c, xp, b, n, g)
	}
	if full == n {
		return
	}
	var yT, c2T, cT [PanelRows]float32
	var xpT, bT [4 * PanelRows]float32
	copy(cT[:], c[full:])
	for g := range 4 {
		copy(xpT[g*PanelRows:], xp[g*n+full:(g+1)*n])
		copy(bT[g*PanelRows:], b[g*n+full:(g+1)*n])
	}
	if len(x) > 0 {
		a = a[4*(full/PanelRows)*stride:]
	}
	lstmStepPanels(yT[:], c2T[:], a, stride, x, cT[:], xpT[:], bT[:], PanelRows, g)
	copy(y[full:], yT[:n-full])
	copy(c2[full:], c2T[:n-full])
}

// checkProj panics unless proj is nil with m == n and len(hNew) == n, or
// proj is m×n with len(hNew) == m.
func checkProj(op string, n, m int, proj Operator, lenHNew int) {
	if proj == nil {
		if m != n {
			panic(fmt.Sprintf("kernels: %s: len(h) = %d but the cell has %d units: without a projection they must be equal", op, m, n))
		}
		if lenHNew != n {
			panic(fmt.Sprintf("kernels: %s: hNew has %d elements, want %d", op, lenHNew, n))
		}
		return
	}
	if proj.Rows() != m || proj.Cols() != n {
		panic(fmt.Sprintf("kernels: %s: projection is %d×%d, want %d×%d (len(h)×units)", op, proj.Rows(), proj.Cols(), m, n))
	}
	if lenHNew != m {
		panic(fmt.Sprintf("kernels: %s: hNew has %d elements, want %d (the projection's rows)", op, lenHNew, m))
	}
}
