//go:build gc && !purego && !noasm

package kernels

import (
	"github.com/klauspost/cpuid/v2"

	"github.com/lowrank-rnn/lowrank/asm"
)

// archTargets lists the arm64 targets. Advanced SIMD (NEON) is mandatory in
// AArch64, so the neon target is always available.
func archTargets() []Target {
	dot := cpuid.CPU.Supports(cpuid.ASIMDDP)
	neondot := Target{Name: "neondot", Family: "neon", Requires: "ASIMD ASIMDDP", Available: dot}
	if !dot {
		neondot.Missing = "this CPU lacks the dot product instructions (ASIMDDP, FEAT_DotProd)"
	}
	return []Target{goTarget, {Name: "neon", Family: "neon", Requires: "ASIMD", Available: true}, neondot}
}

// The leaf dispatchers; see dispatch_amd64.go for why they switch.

func dot(x, y []float32) float32 {
	if active.Load() == targetNEON {
		return asm.DotNEON(x, y)
	}
	return DotGeneric(x, y)
}

func axpy(alpha float32, x, y []float32) {
	if active.Load() == targetNEON {
		asm.AxpyNEON(alpha, x, y)
		return
	}
	AxpyGeneric(alpha, x, y)
}

func gemv(y, a []float32, lda int, x []float32, add bool) {
	if active.Load() == targetNEON {
		asm.GemvNEON(y, a, lda, x, add)
		return
	}
	gemvGeneric(y, a, lda, x, add)
}

// The packed leaves take one run of panels of one height (see Packed). The
// NEON routines stream blocks of 16 rows whose columns lie cs floats apart,
// so a run of taller panels goes to them one panel at a time: h/16 blocks
// 16 floats apart, columns h apart.

func gemvPanels(y, a []float32, stride int, x []float32, add bool, g geomCode) {
	if active.Load() != targetNEON {
		gemvPanelsGeneric(y, a, stride, x, add, g.height())
		return
	}
	h := g.height()
	if h <= 16 {
		asm.GemvPanelsNEON(y, a, stride, h, x, add)
		return
	}
	for i := 0; i < len(y); i += h {
		asm.GemvPanelsNEON(y[i:i+h], a[i/h*stride:], 16, h, x, add)
	}
}

func gemmPanels(y []float32, ldy, rows int, a []float32, stride int, x []float32, ldx, cols, batch int, add bool, g geomCode) {
	for b := 0; b < batch; b++ {
		gemvPanels(y[b*ldy:b*ldy+rows], a, stride, x[b*ldx:b*ldx+cols], add, g)
	}
}

func tanh(dst, src []float32) {
	if active.Load() == targetNEON {
		asm.TanhNEON(dst, src)
		return
	}
	TanhGeneric(dst, src)
}

func sigmoid(dst, src []float32) {
	if active.Load() == targetNEON {
		asm.SigmoidNEON(dst, src)
		return
	}
	SigmoidGeneric(dst, src)
}

func stepPanels(y, y2, a []float32, stride int, x, h, f, xp, b []float32, mode int, add bool, g geomCode) {
	if active.Load() != targetNEON {
		stepPanelsGeneric(y, y2, a, stride, x, h, f, xp, b, mode, add, g)
		return
	}
	ht := g.height()
	if ht <= 16 {
		asm.StepPanelsNEON(y, y2, a, stride, ht, x, h, f, xp, b, mode, add)
		return
	}
	for i := 0; i < len(y); i += ht {
		asm.StepPanelsNEON(y[i:i+ht], part(y2, i, i+ht), a[i/ht*stride:], 16, ht, x,
			part(h, i, i+ht), part(f, i, i+ht), xp[i:i+ht], b[i:i+ht], mode, add)
	}
}

// gemvTiles is the leaf of a run of tiled panels (see Geometry.Tiles).
func gemvTiles(y, a []float32, stride int, x []float32, add bool) {
	if active.Load() == targetNEON {
		asm.GemvTilesNEON(y, a, stride, x, add)
		return
	}
	gemvTilesGeneric(y, a, stride, x, add)
}

// gemmTiles is gemmPanels for a run of tiled panels: one vector at a time.
func gemmTiles(y []float32, ldy, rows int, a []float32, stride int, x []float32, ldx, cols, batch int, add bool) {
	for b := 0; b < batch; b++ {
		gemvTiles(y[b*ldy:b*ldy+rows], a, stride, x[b*ldx:b*ldx+cols], add)
	}
}

// fusedGates reports whether the gated leaves take gate-interleaved panels
// of g's height on the active target: the NEON ones take 16-row panels
// only (the steps apply taller ones into work first), the pure-Go ones
// all.
func fusedGates(g geomCode) bool {
	return g.height() == PanelRows || active.Load() != targetNEON
}

// gemvGates reports false: no NEON leaf stores the product of
// gate-interleaved panels in the gates' row order.
func gemvGates(y, a []float32, stride int, x []float32, ld, gates int, add bool, g geomCode) bool {
	return false
}

func gruStepPanels(y, a []float32, stride int, x, h, xp, b []float32, ld int, g geomCode) {
	if active.Load() == targetNEON {
		asm.GRUStepPanelsNEON(y, a, stride, x, h, xp, b, ld)
		return
	}
	gruStepPanelsGeneric(y, a, stride, x, h, xp, b, ld, g)
}

func lstmStepPanels(y, c2, a []float32, stride int, x, c, xp, b []float32, ld int, g geomCode) {
	if active.Load() == targetNEON {
		asm.LSTMStepPanelsNEON(y, c2, a, stride, x, c, xp, b, ld)
		return
	}
	lstmStepPanelsGeneric(y, c2, a, stride, x, c, xp, b, ld, g)
}

// The quantized leaves switch on the variant; see quant.go.

func gemvInt8(y []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn, add bool, _ int) {
	switch variant.Load() {
	case targetNEONDot:
		asm.GemvInt8NEONDot(y, a, stride, scale, bias, x, dyn, add)
	case targetNEON:
		asm.GemvInt8NEON(y, a, stride, scale, bias, x, dyn, add)
	default:
		gemvInt8Generic(y, a, stride, scale, bias, x, dyn, add)
	}
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

// gemvBF16 is the bf16 leaf on panels of h rows: NEON reads 16-row
// panels, the portable leaf any.
func gemvBF16(y []float32, a []uint16, stride, h int, x []float32, add bool) {
	if h == PanelRows && familyOf(int(variant.Load())) == targetNEON {
		asm.GemvBF16NEON(y, a, stride, x, add)
		return
	}
	gemvBF16Generic(y, a, stride, h, x, add)
}

// bf16TallLeaf reports whether the active target has a leaf for bf16
// panels of bf16TallRows rows: none on arm64.
func bf16TallLeaf() bool { return false }

// gemmBF16 is gemvBF16 for each of the batch rows of x into y.
func gemmBF16(y []float32, ldy, rows int, a []uint16, stride, h int, x []float32, ldx, cols, batch int, add bool) {
	for b := 0; b < batch; b++ {
		gemvBF16(y[b*ldy:b*ldy+rows], a, stride, h, x[b*ldx:b*ldx+cols], add)
	}
}
