//go:build !gc || purego || noasm || !(amd64 || arm64)

package kernels

// Without assembly (other architectures, gccgo, or the purego and noasm
// build tags) the portable Go target is the only one.

func archTargets() []Target { return []Target{goTarget} }

func dot(x, y []float32) float32 { return DotGeneric(x, y) }

func axpy(alpha float32, x, y []float32) { AxpyGeneric(alpha, x, y) }

func gemv(y, a []float32, lda int, x []float32, add bool) { gemvGeneric(y, a, lda, x, add) }

func gemvPanels(y, a []float32, stride int, x []float32, add bool, g geomCode) {
	gemvPanelsGeneric(y, a, stride, x, add, g.height())
}

func gemmPanels(y []float32, ldy, rows int, a []float32, stride int, x []float32, ldx, cols, batch int, add bool, g geomCode) {
	for b := 0; b < batch; b++ {
		gemvPanels(y[b*ldy:b*ldy+rows], a, stride, x[b*ldx:b*ldx+cols], add, g)
	}
}

func tanh(dst, src []float32) { TanhGeneric(dst, src) }

func sigmoid(dst, src []float32) { SigmoidGeneric(dst, src) }

func stepPanels(y, y2, a []float32, stride int, x, h, f, xp, b []float32, mode int, add bool, g geomCode) {
	stepPanelsGeneric(y, y2, a, stride, x, h, f, xp, b, mode, add, g)
}

func gemvTiles(y, a []float32, stride int, x []float32, add bool) {
	gemvTilesGeneric(y, a, stride, x, add)
}

// gemmTiles is gemmPanels for a run of tiled panels: one vector at a time.
func gemmTiles(y []float32, ldy, rows int, a []float32, stride int, x []float32, ldx, cols, batch int, add bool) {
	for b := 0; b < batch; b++ {
		gemvTiles(y[b*ldy:b*ldy+rows], a, stride, x[b*ldx:b*ldx+cols], add)
	}
}

// fusedGates reports whether the gated leaves take gate-interleaved panels
// of g's height: the pure-Go ones take all.
func fusedGates(g geomCode) bool { return true }

// gemvGates reports false: the product is permuted in Go.
func gemvGates(y, a []float32, stride int, x []float32, ld, gates int, add bool, g geomCode) bool {
	return false
}

func gruStepPanels(y, a []float32, stride int, x, h, xp, b []float32, ld int, g geomCode) {
	gruStepPanelsGeneric(y, a, stride, x, h, xp, b, ld, g)
}

func lstmStepPanels(y, c2, a []float32, stride int, x, c, xp, b []float32, ld int, g geomCode) {
	lstmStepPanelsGeneric(y, c2, a, stride, x, c, xp, b, ld, g)
}

func gemvInt8(y []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn, add bool, _ int) {
	gemvInt8Generic(y, a, stride, scale, bias, x, dyn, add)
}

func stepInt8(y, y2 []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn bool, h, f, xp, b []float32, mode int, add bool, streams int) {
	gemvInt8(y, a, stride, scale, bias, x, dyn, add, streams)
	epilogue(y, y2, h, f, xp, b, mode)
}

func gemmInt8(y []float32, ldy, rows int, a []int8, stride int, scale []float32, bias []int32, x []float32, ldx, cols, batch int, dyn, add bool, streams int) {
	for b := 0; b < batch; b++ {
		gemvInt8(y[b*ldy:b*ldy+rows], a, stride, scale, bias, x[b*ldx:b*ldx+cols], dyn, add, streams)
	}
}

func gemvBF16(y []float32, a []uint16, stride, h int, x []float32, add bool) {
	gemvBF16Generic(y, a, stride, h, x, add)
}

func bf16TallLeaf() bool { return false }

// gemmBF16 is gemvBF16 for each of the batch rows of x into y.
func gemmBF16(y []float32, ldy, rows int, a []uint16, stride, h int, x []float32, ldx, cols, batch int, add bool) {
	for b := 0; b < batch; b++ {
		gemvBF16(y[b*ldy:b*ldy+rows], a, stride, h, x[b*ldx:b*ldx+cols], add)
	}
}
