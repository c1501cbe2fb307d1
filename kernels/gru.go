package kernels

import "fmt"

// GRUStep sets hNew to one step of the cell of PyTorch's nn.GRU, gates r,
// z, n in that order:
//
//	u    = W_hh·h + b_hh                        (3H: u_r, u_z, u_n)
//	r    = σ(u_r + xp_r)
//	z    = σ(u_z + xp_z)
//	n    = tanh(r ⊙ u_n + xp_n)
//	hNew = n + z ⊙ (h − n)                      = (1 − z) ⊙ n + z ⊙ h
//
// with the input projection xp = W_ih·x + b_ih precomputed (3H, PyTorch's
// row order) and b = b_hh (3H). The recurrent weights u are 3H×H: a
// *PackedGates or a *PackedGatesLowRank (rank ≤ 512) runs as one pass over
// its packed weights with the gates finished per panel where the target
// has a fused leaf for its panels (all but neon for panels taller than 16
// rows, see fusedGates); any other Operator is applied into work first
// (len(work) ≥ 3H). Neither hNew nor work may
// overlap h, xp, b or each other.
//
// The operations and their order are those of GRUStepGeneric, with fused
// multiply-adds for r ⊙ u_n + xp_n and n + z ⊙ (h − n); the avx512 target
// computes σ and tanh in the division-free forms of its fused steps,
// within the 4e-7 of Sigmoid and Tanh but not their bits.
func GRUStep(hNew, h, xp, b []float32, u Operator, work []float32) {
	n := len(h)
	checkGated("GRUStep", 3, n, n, u, []vec{{"hNew", hNew}}, []vec{{"xp", xp}, {"b", b}}, work, 3*n)
	gatedOverlaps("GRUStep", []vec{{"hNew", hNew}}, []vec{{"h", h}, {"xp", xp}, {"b", b}}, work[:3*n])
	switch u := u.(type) {
	case *PackedGates:
		if fusedGates(u.code) {
			gruBlocks(hNew, u.data, u.panelStride, h, h, xp, b, u.code)
			return
		}
	case *PackedGatesLowRank:
		// t = V·h on the stack, in a small buffer for a small rank: Go
		// zeroes the buffer on every call (see smallRank).
		if r := u.Rank(); r <= smallRank && fusedGates(u.U.code) {
			var buf [smallRank]float32
			gruLowRank(hNew, h, xp, b, u, buf[:r])
			return
		} else if r <= lowRankChunk && fusedGates(u.U.code) {
			var buf [lowRankChunk]float32
			gruLowRank(hNew, h, xp, b, u, buf[:r])
			return
		}
	}
	p := work[:3*n]
	u.MatVec(p, h)
	addTo(p, b)
	gruBlocks(hNew, nil, 0, nil, h, xp, p, noColumns)
}

// gruLowRank is GRUStep's fused pass of a low rank, with t = V·h.
func gruLowRank(hNew, h, xp, b []float32, u *PackedGatesLowRank, t []float32) {
	u.V.whole(t, h, false)
	gruBlocks(hNew, u.U.data, u.U.panelStride, t, h, xp, b, u.U.code)
}

// GRUStepBatch runs GRUStep for each row: row k of hNew is the step from
// row k of h with row k of xp (B×3H). The recurrent weights are read once
// for every four rows where the target has a batched kernel (avx2,
// avx512). work needs B·3H elements.
func GRUStepBatch(hNew, h, xp Matrix, b []float32, u Operator, work []float32) {
	const op = "GRUStepBatch"
	n := checkGatedBatch(op, 3, h, u, []mat{{"hNew", hNew}}, xp, b, work, 3)
	if n != h.Cols {
		panic(fmt.Sprintf("kernels: %s: recurrent weights are %d×%d, want 3·%d×%d for h %d×%d", op, u.Rows(), u.Cols(), h.Cols, h.Cols, h.Rows, h.Cols))
	}
	noOverlap(op, "hNew", extent(hNew), "h", extent(h))
	noOverlap(op, "hNew", extent(hNew), "xp", extent(xp))
	noOverlap(op, "hNew", extent(hNew), "work", work[:h.Rows*3*n])
	noOverlap(op, "h", extent(h), "work", work[:h.Rows*3*n])
	noOverlap(op, "xp", extent(xp), "work", work[:h.Rows*3*n])
	p := Matrix{Rows: h.Rows, Cols: 3 * n, Stride: 3 * n, Data: work[:h.Rows*3*n]}
	gatesBatchProduct(p, u, h)
	for r := 0; r < h.Rows; r++ {
		addTo(p.Row(r), b)
		gruBlocks(hNew.Row(r), nil, 0, nil, h.Row(r), xp.Row(r), p.Row(r), noColumns)
	}
}

// GRUStepGeneric is the reference for GRUStep: the product with the pure-Go
// leaves (in the order of MatVecGeneric), then, for each hidden unit,
//
//	u_g = s_g + b_g                  for g = r, z, n
//	r = σ(u_r + xp_r), z = σ(u_z + xp_z)
//	n = tanh(fma(r, u_n, xp_n))
//	hNew = fma(z, h − n, n)
//
// with SigmoidGeneric, TanhGeneric and fma32. It allocates; work is
// used as in GRUStep.
func GRUStepGeneric(hNew, h, xp, b []float32, u Operator, work []float32) {
	n := len(h)
	p := work[:3*n]
	gatesMatVecGeneric(u, p, h)
	for k := 0; k < n; k += PanelRows {
		m := min(PanelRows, n-k)
		var s [3][PanelRows]float32
		for g := range s {
			copy(s[g][:m], p[g*n+k:])
		}
		gruEpilogue(hNew[k:k+m], h[k:], &s, xp[k:], b[k:], n)
	}
}

// gruEpilogue finishes the len(y) ≤ PanelRows units of one block from the
// sums s[g] of its three gates: xp and b start at the block's first unit,
// gate g at offset g·ld.
func gruEpilogue(y, h []float32, s *[3][PanelRows]float32, xp, b []float32, ld int) {
	m := len(y)
	var r, z, c [PanelRows]float32
	for i := range m {
		r[i] = (s[0][i] + b[i]) + xp[i]
		z[i] = (s[1][i] + b[ld+i]) + xp[ld+i]
	}
	SigmoidGeneric(r[:m], r[:m])
	SigmoidGeneric(z[:m], z[:m])
	for i := range m {
		c[i] = fma32(r[i], s[2][i]+b[2*ld+i], xp[2*ld+i])
	}
	TanhGeneric(c[:m], c[:m])
	for i := range m {
		y[i] = fma32(z[i], h[i]-c[i], c[i])
	}
}

// The GRU leaf, gruStepPanels(y, a, stride, x, h, xp, b, ld, g), for
// len(y) a multiple of PanelRows: for each block k < len(y)/PanelRows, the
// sums of its gates q = 0, 1, 2 are those of the interleaved rows
// (3k+q)·16 … (3k+q)·16+15 of the packed panels of g.height() rows at a,
// stride floats apart, with x (no columns when x is empty: the sums are
// 0), and gruEpilogue finishes the block with xp and b at the block's
// first unit and gate stride ld. Panels taller than PanelRows come only
// where fusedGates says the target takes them.

// gruStepPanelsGeneric is the pure-Go GRU leaf.
func gruStepPanelsGeneric(y, a []float32, stride int, x, h, xp, b []float32, ld int, g geomCode) {
	for k := 0; k < len(y); k += PanelRows {
		var s [3][PanelRows]float32
		q := 3 * (k / PanelRows)
		for i := range s {
			gemvChunkGeneric(s[i][:], a, stride, x, q+i, g.height())
		}
		gruEpilogue(y[k:k+PanelRows], h[k:], &s, xp[k:], b[k:], ld)
	}
}

// gruBlocks runs the GRU leaf over all of y: the whole blocks in place, then
// a partial last block through copies on the stack padded to a whole
// block, so that the leaves, which work in whole panels, never touch a
// float outside the slices. xp and b are 3·len(y) in PyTorch's order.
// Panels taller than PanelRows come with len(y) a multiple of PanelRows
// (see PackedGates).
func gruBlocks(y, a []float32, stride int, x, h, xp, b []float32, g geomCode) {
	n := len(y)
	full := n - n%PanelRows
	if full > 0 {
		gruStepPanels(y[:full], a, stride, x, h, xp, b, n, g)
	}
	if full == n {
		return
	}
	var yT, hT [PanelRows]float32
	var xpT, bT [3 * PanelRows]float32
	copy(hT[:], h[full:])
	for g := range 3 {
		copy(xpT[g*PanelRows:], xp[g*n+full:(g+1)*n])
		copy(bT[g*PanelRows:], b[g*n+full:(g+1)*n])
	}
	if len(x) > 0 {
		a = a[3*(full/PanelRows)*stride:]
	}
	gruStepPanels(yT[:], a, stride, x, hT[:], xpT[:], bT[:], PanelRows, g)
	copy(y[full:], yT[:n-full])
}

// gemvChunkGeneric sets y (PanelRows) to the sums of interleaved rows
// q·16 … q·16+15 of the packed panels of h rows at a, stride floats apart,
// with x: rows q·16%h … of panel q·16/h.
func gemvChunkGeneric(y, a []float32, stride int, x []float32, q, h int) {
	i := q * PanelRows
	if len(x) > 0 {
		a = a[i/h*stride+i%h:]
	}
	gemvPanelsGeneric(y, a, stride, x, false, h)
}

// addTo sets y[i] += x[i], as axpy with alpha = 1: the product 1·x[i] is
// exact, so a fused multiply-add rounds once, as the addition does.
func addTo(y, x []float32) { axpy(1, x[:len(y)], y) }

// checkGated panics unless u is gates·n×m, the vectors in ns have length n,
// those in gs gates·n, and len(work) ≥ minWork.
func checkGated(op string, gates, n, m int, u Operator, ns, gs []vec, work []float32, minWork int) {
	if u == nil {
		panic(fmt.Sprintf("kernels: %s: nil recurrent weights", op))
	}
	if u.Rows() != gates*n || u.Cols() != m {
		panic(fmt.Sprintf("kernels: %s: recurrent weights are %d×%d, want %d×%d (%d gates of %d rows, %d columns)",
			op, u.Rows(), u.Cols(), gates*n, m, gates, n, m))
	}
	if k := packedGates(u); k != 0 && k != gates {
		panic(fmt.Sprintf("kernels: %s: recurrent weights are packed for %d gates, want %d", op, k, gates))
	}
	for _, v := range ns {
		if len(v.v) != n {
			panic(fmt.Sprintf("kernels: %s: len(%s) = %d, want %d", op, v.name, len(v.v), n))
		}
	}
	for _, v := range gs {
		if len(v.v) != gates*n {
			panic(fmt.Sprintf("kernels: %s: len(%s) = %d, want %d·%d = %d (one per gate and unit)",
				op, v.name, len(v.v), gates, n, gates*n))
		}
	}
	if len(work) < minWork {
		panic(fmt.Sprintf("kernels: %s: len(work) = %d, want at least %d", op, len(work), minWork))
	}
}

// packedGates returns the gates u is packed for, or 0 for an Operator
// that is not packed gate-interleaved.
func packedGates(u Operator) int {
	switch u := u.(type) {
	case *PackedGates:
		return u.gates
	case *PackedGatesLowRank:
		return u.U.gates
	}
	return 0
}

// gatedOverlaps panics if an output of a gated step shares memory with
// another output, with an input or with work, or work with an input.
func gatedOverlaps(op string, outs, ins []vec, work []float32) {
	for i, o := range outs {
		for _, in := range ins {
			noOverlap(op, o.name, o.v, in.name, in.v)
		}
		for _, o2 := range outs[i+1:] {
			noOverlap(op, o.name, o.v, o2.name, o2.v)
		}
		noOverlap(op, o.name, o.v, "work", work)
	}
	for _, in := range ins {
		noOverlap(op, in.name, in.v, "work", work)
	}
}

// checkGatedBatch panics unless h is B×m for the gates·n×m operator u,
// every matrix in ms is B×n, xp is B×gates·n, len(b) = gates·n and work
// holds B·workPer·n elements. It returns n.
func checkGatedBatch(op string, gates int, h Matrix, u Operator, ms []mat, xp Matrix, b, work []float32, workPer int) int {
	h.check(op, "h")
	xp.check(op, "xp")
	if u == nil {
		panic(fmt.Sprintf("kernels: %s: nil recurrent weights", op))
	}
	if u.Rows()%gates != 0 || u.Cols() != h.Cols {
		panic(fmt.Sprintf("kernels: %s: recurrent weights are %d×%d, want %d gates of equal height and %d columns (h is %d×%d)",
			op, u.Rows(), u.Cols(), gates, h.Cols, h.Rows, h.Cols))
	}
	n := u.Rows() / gates
	if k := packedGates(u); k != 0 && k != gates {
		panic(fmt.Sprintf("kernels: %s: recurrent weights are packed for %d gates, want %d", op, k, gates))
	}
	for _, m := range ms {
		m.m.check(op, m.name)
		if m.m.Rows != h.Rows || m.m.Cols != n {
			panic(fmt.Sprintf("kernels: %s: %s is %d×%d, want %d×%d", op, m.name, m.m.Rows, m.m.Cols, h.Rows, n))
		}
	}
	if xp.Rows != h.Rows || xp.Cols != gates*n {
		panic(fmt.Sprintf("kernels: %s: xp is %d×%d, want %d×%d (%d gates of %d units)", op, xp.Rows, xp.Cols, h.Rows, gates*n, gates, n))
	}
	if len(b) != gates*n {
		panic(fmt.Sprintf("kernels: %s: len(b) = %d, want %d", op, len(b), gates*n))
	}
	if w := workPer * n; len(work) < h.Rows*w {
		panic(fmt.Sprintf("kernels: %s: len(work) = %d, want at least B·%d·%d = %d", op, len(work), workPer, n, h.Rows*w))
	}
	return n
}
