//go:build !gc || purego || noasm || !(amd64 || arm64)

package kernels

// Without assembly (other architectures, gccgo, or the purego and noasm
// build tags) the portable Go target is the only one.

func archTargets() []Target { return []Target{goTarget} }

func dot(x, y []float32) float32 { return DotGeneric(x, y) }

func axpy(alpha float32, x, y []float32) { AxpyGeneric(alpha, x, y) }

func gemv(y, a []float32, lda int, x []float32, add bool) { gemvGeneric(y, a, lda, x, add) }

func gemvPanels(y, a []float32, stride int, x []float32, add bool) {
	gemvPanelsGeneric(y, a, stride, x, add)
}

func gemmPanels(y []float32, ldy, rows int, a []float32, stride int, x []float32, ldx, cols, batch int, add bool) {
	for b := 0; b < batch; b++ {
		gemvPanels(y[b*ldy:b*ldy+rows], a, stride, x[b*ldx:b*ldx+cols], add)
	}
}

func tanh(dst, src []float32) { TanhGeneric(dst, src) }

func sigmoid(dst, src []float32) { SigmoidGeneric(dst, src) }

func stepPanels(y, y2, a []float32, stride int, x, h, f, xp, b []float32, mode int, add bool) {
	gemvPanels(y, a, stride, x, add)
	stepTailGeneric(y, y2, h, f, xp, b, mode)
}

func gruStepPanels(y, a []float32, stride int, x, h, xp, b []float32, ld int) {
	gruStepPanelsGeneric(y, a, stride, x, h, xp, b, ld)
}

func lstmStepPanels(y, c2, a []float32, stride int, x, c, xp, b []float32, ld int) {
	lstmStepPanelsGeneric(y, c2, a, stride, x, c, xp, b, ld)
}

func gemvInt8(y []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn, add bool) {
	gemvInt8Generic(y, a, stride, scale, bias, x, dyn, add)
}

func stepInt8(y, y2 []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn bool, h, f, xp, b []float32, mode int, add bool) {
	gemvInt8(y, a, stride, scale, bias, x, dyn, add)
	stepPanels(y, y2, nil, 0, nil, h, f, xp, b, mode, true)
}

func gemmInt8(y []float32, ldy, rows int, a []int8, stride int, scale []float32, bias []int32, x []float32, ldx, cols, batch int, dyn, add bool) {
	for b := 0; b < batch; b++ {
		gemvInt8(y[b*ldy:b*ldy+rows], a, stride, scale, bias, x[b*ldx:b*ldx+cols], dyn, add)
	}
}

func gemvBF16(y []float32, a []uint16, stride int, x []float32, add bool) {
	gemvBF16Generic(y, a, stride, x, add)
}
