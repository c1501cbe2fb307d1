//go:build gc && !purego && !noasm

package kernels

import (
	"github.com/klauspost/cpuid/v2"

	"github.com/lowrank-rnn/lowrank/asm"
)

// archTargets lists the amd64 targets. Each is gated on every instruction
// set its assembly uses, as cpuid reports them (including OS support for the
// wider registers), so that an unsupported request is an error, never SIGILL.
func archTargets() []Target {
	avx2 := Target{Name: "avx2", Family: "avx2", Requires: "AVX2 FMA3",
		Available: cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3)}
	if !avx2.Available {
		avx2.Missing = "this CPU lacks AVX2 or FMA3"
	}
	avx512 := Target{Name: "avx512", Family: "avx512", Requires: "AVX512F AVX512BW AVX512DQ AVX512VL",
		Available: cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512DQ, cpuid.AVX512VL)}
	if !avx512.Available {
		avx512.Missing = "this CPU or OS lacks AVX-512 F+BW+DQ+VL"
	}
	return []Target{goTarget, avx2, withFeatures(avx2, "avxvnni", cpuid.AVXVNNI),
		avx512, withFeatures(avx512, "avx512vnni", cpuid.AVX512VNNI),
		withFeatures(avx512, "avx512bf16", cpuid.AVX512VNNI, cpuid.AVX512BF16)}
}

// withFeatures returns the variant name of family that also needs fs.
func withFeatures(family Target, name string, fs ...cpuid.FeatureID) Target {
	t := Target{Name: name, Family: family.Family, Requires: family.Requires,
		Available: family.Available && cpuid.CPU.Supports(fs...)}
	for _, f := range fs {
		t.Requires += " " + f.String()
	}
	if !t.Available {
		t.Missing = "this CPU or OS lacks " + t.Requires
	}
	return t
}

// The leaf dispatchers. Direct calls in a switch, rather than a table of
// function values, keep escape analysis exact: slices passed through a
// function value escape, which would move the stack temporaries of the
// low-rank products to the heap.

func dot(x, y []float32) float32 {
	switch active.Load() {
	case targetAVX512:
		return asm.DotAVX512(x, y)
	case targetAVX2:
		return asm.DotAVX2(x, y)
	}
	return DotGeneric(x, y)
}

func axpy(alpha float32, x, y []float32) {
	switch active.Load() {
	case targetAVX512:
		asm.AxpyAVX512(alpha, x, y)
	case targetAVX2:
		asm.AxpyAVX2(alpha, x, y)
	default:
		AxpyGeneric(alpha, x, y)
	}
}

func gemv(y, a []float32, lda int, x []float32, add bool) {
	switch active.Load() {
	case targetAVX512:
		asm.GemvAVX512(y, a, lda, x, add)
	case targetAVX2:
		asm.GemvAVX2(y, a, lda, x, add)
	default:
		gemvGeneric(y, a, lda, x, add)
	}
}

// The packed leaves take one run of panels of one height (see Packed). The
// AVX-512 routines implement every geometry. The AVX2 ones stream blocks
// of 16 rows whose columns lie cs floats apart, so a run of taller panels
// goes to them one panel at a time: h/16 blocks 16 floats apart, columns h
// apart.

func gemvPanels(y, a []float32, stride int, x []float32, add bool, g geomCode) {
	switch active.Load() {
	case targetAVX512:
		asm.GemvPanelsAVX512(y, a, stride, x, add, int(g))
	case targetAVX2:
		h := g.height()
		if h <= 16 {
			asm.GemvPanelsAVX2(y, a, stride, h, x, add)
			return
		}
		for i := 0; i < len(y); i += h {
			asm.GemvPanelsAVX2(y[i:i+h], a[i/h*stride:], 16, h, x, add)
		}
	default:
		gemvPanelsGeneric(y, a, stride, x, add, g.height())
	}
}

// gemmPanels sets (adds) row b of y (stride ldy, rows rows) to P·(row b of x)
// (stride ldx, cols columns) for b < batch, for a run of panels: four
// vectors at a time, then two, then one.
func gemmPanels(y []float32, ldy, rows int, a []float32, stride int, x []float32, ldx, cols, batch int, add bool, g geomCode) {
	b := 0
	switch active.Load() {
	case targetAVX512:
		for ; b+4 <= batch; b += 4 {
			asm.GemmPanels4AVX512(y[b*ldy:], ldy, rows, a, stride, x[b*ldx:], ldx, cols, add, int(g))
		}
		if b+2 <= batch {
			asm.GemmPanels2AVX512(y[b*ldy:], ldy, rows, a, stride, x[b*ldx:], ldx, cols, add, int(g))
			b += 2
		}
	case targetAVX2:
		h := g.height()
		for ; b+4 <= batch; b += 4 {
			if h <= 16 {
				asm.GemmPanels4AVX2(y[b*ldy:], ldy, rows, a, stride, h, x[b*ldx:], ldx, cols, add)
				continue
			}
			for i := 0; i < rows; i += h {
				asm.GemmPanels4AVX2(y[b*ldy+i:], ldy, h, a[i/h*stride:], 16, h, x[b*ldx:], ldx, cols, add)
			}
		}
	}
	for ; b < batch; b++ {
		gemvPanels(y[b*ldy:b*ldy+rows], a, stride, x[b*ldx:b*ldx+cols], add, g)
	}
}

func tanh(dst, src []float32) {
	switch active.Load() {
	case targetAVX512:
		asm.TanhAVX512(dst, src)
	case targetAVX2:
		asm.TanhAVX2(dst, src)
	default:
		TanhGeneric(dst, src)
	}
}

func sigmoid(dst, src []float32) {
	switch active.Load() {
	case targetAVX512:
		asm.SigmoidAVX512(dst, src)
	case targetAVX2:
		asm.SigmoidAVX2(dst, src)
	default:
		SigmoidGeneric(dst, src)
	}
}

func stepPanels(y, y2, a []float32, stride int, x, h, f, xp, b []float32, mode int, add bool, g geomCode) {
	switch active.Load() {
	case targetAVX512:
		asm.StepPanelsAVX512(y, y2, a, stride, x, h, f, xp, b, mode, add, int(g))
	case targetAVX2:
		ht := g.height()
		if ht <= 16 {
			asm.StepPanelsAVX2(y, y2, a, stride, ht, x, h, f, xp, b, mode, add)
			return
		}
		for i := 0; i < len(y); i += ht {
			asm.StepPanelsAVX2(y[i:i+ht], part(y2, i, i+ht), a[i/ht*stride:], 16, ht, x,
				part(h, i, i+ht), part(f, i, i+ht), xp[i:i+ht], b[i:i+ht], mode, add)
		}
	default:
		stepPanelsGeneric(y, y2, a, stride, x, h, f, xp, b, mode, add, g)
	}
}

// gemvTiles is the leaf of a run of tiled panels (see Geometry.Tiles).
func gemvTiles(y, a []float32, stride int, x []float32, add bool) {
	switch active.Load() {
	case targetAVX512:
		asm.GemvTilesAVX512(y, a, stride, x, add)
	case targetAVX2:
		asm.GemvTilesAVX2(y, a, stride, x, add)
	default:
		gemvTilesGeneric(y, a, stride, x, add)
	}
}

// gemmTiles is gemmPanels for a run of tiled panels: four vectors at a
// time, then two, then one.
func gemmTiles(y []float32, ldy, rows int, a []float32, stride int, x []float32, ldx, cols, batch int, add bool) {
	b := 0
	if active.Load() == targetAVX512 {
		for ; b+4 <= batch; b += 4 {
			asm.GemmTiles4AVX512(y[b*ldy:], ldy, rows, a, stride, x[b*ldx:], ldx, cols, add)
		}
		if b+2 <= batch {
			asm.GemmTiles2AVX512(y[b*ldy:], ldy, rows, a, stride, x[b*ldx:], ldx, cols, add)
			b += 2
		}
	}
	for ; b < batch; b++ {
		gemvTiles(y[b*ldy:b*ldy+rows], a, stride, x[b*ldx:b*ldx+cols], add)
	}
}

// fusedGates reports whether the gated leaves take gate-interleaved panels
// of g's height on the active target: all do (the AVX-512 ones run the
// panel product of every geometry, the AVX2 ones walk taller panels in
// pairs of 16-row blocks).
func fusedGates(g geomCode) bool { return true }

// gemvGates sets (adds) y, in the gates' row order, to the product of the
// gate-interleaved panels of g (taller than 16 rows) with x, if the target
// has a leaf for it (avx512), and reports whether it had.
func gemvGates(y, a []float32, stride int, x []float32, ld, gates int, add bool, g geomCode) bool {
	if active.Load() != targetAVX512 {
		return false
	}
	asm.GemvGatesAVX512(y, a, stride, x, ld, gates, add, int(g))
	return true
}

func gruStepPanels(y, a []float32, stride int, x, h, xp, b []float32, ld int, g geomCode) {
	switch active.Load() {
	case targetAVX512:
		asm.GRUStepPanelsAVX512(y, a, stride, x, h, xp, b, ld, int(g))
	case targetAVX2:
		asm.GRUStepPanelsAVX2(y, a, stride, x, h, xp, b, ld, g.height())
	default:
		gruStepPanelsGeneric(y, a, stride, x, h, xp, b, ld, g)
	}
}

func lstmStepPanels(y, c2, a []float32, stride int, x, c, xp, b []float32, ld int, g geomCode) {
	switch active.Load() {
	case targetAVX512:
		asm.LSTMStepPanelsAVX512(y, c2, a, stride, x, c, xp, b, ld, int(g))
	case targetAVX2:
		asm.LSTMStepPanelsAVX2(y, c2, a, stride, x, c, xp, b, ld, g.height())
	default:
		lstmStepPanelsGeneric(y, c2, a, stride, x, c, xp, b, ld, g)
	}
}

// The quantized leaves switch on the variant, which picks the dot-product
// instructions; see quant.go.

// gemvInt8 is the int8 product; streams (1 or 4) is how many panels the
// AVX-512 leaves read at once (see int8Streams), which the others ignore.
func gemvInt8(y []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn, add bool, streams int) {
	switch variant.Load() {
	case targetAVX512VNNI, targetAVX512BF16:
		asm.GemvInt8AVX512VNNI(y, a, stride, scale, bias, x, dyn, add, streams)
	case targetAVX512:
		asm.GemvInt8AVX512(y, a, stride, scale, bias, x, dyn, add, streams)
	case targetAVXVNNI:
		asm.GemvInt8AVXVNNI(y, a, stride, scale, bias, x, dyn, add)
	case targetAVX2:
		asm.GemvInt8AVX2(y, a, stride, scale, bias, x, dyn, add)
	default:
		gemvInt8Generic(y, a, stride, scale, bias, x, dyn, add)
	}
}

// stepInt8 is the fused quantized step: the int8 product of gemvInt8 with
// the epilogue of stepPanels. Where no fused routine exists, the product
// goes to y and stepPanels applies the epilogue alone to it: the same
// operations, so the same bits.
func stepInt8(y, y2 []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn bool, h, f, xp, b []float32, mode int, add bool, streams int) {
	switch variant.Load() {
	case targetAVX512VNNI, targetAVX512BF16:
		asm.StepInt8AVX512VNNI(y, y2, a, stride, scale, bias, x, dyn, h, f, xp, b, mode, add, streams)
	case targetAVX512:
		asm.StepInt8AVX512(y, y2, a, stride, scale, bias, x, dyn, h, f, xp, b, mode, add, streams)
	default:
		gemvInt8(y, a, stride, scale, bias, x, dyn, add, streams)
		epilogue(y, y2, h, f, xp, b, mode)
	}
}

// gemmInt8 is gemvInt8 for the batch rows b of x (ldx apart) into y (ldy
// apart), four at a time where a batched kernel reads the weights once for
// the four (reading one panel at a time); the rows left over as gemvInt8
// with streams.
func gemmInt8(y []float32, ldy, rows int, a []int8, stride int, scale []float32, bias []int32, x []float32, ldx, cols, batch int, dyn, add bool, streams int) {
	b := 0
	switch variant.Load() {
	case targetAVX512VNNI, targetAVX512BF16:
		for ; b+4 <= batch; b += 4 {
			asm.GemmInt8x4AVX512VNNI(y[b*ldy:], ldy, rows, a, stride, scale, bias, x[b*ldx:], ldx, cols, dyn, add)
		}
	case targetAVX512:
		for ; b+4 <= batch; b += 4 {
			asm.GemmInt8x4AVX512(y[b*ldy:], ldy, rows, a, stride, scale, bias, x[b*ldx:], ldx, cols, dyn, add)
		}
	}
	for ; b < batch; b++ {
		gemvInt8(y[b*ldy:b*ldy+rows], a, stride, scale, bias, x[b*ldx:b*ldx+cols], dyn, add, streams)
	}
}

// gemvBF16 is the bf16 leaf on panels of h rows: AVX-512 reads panels of
// 16 and of bf16TallRows rows, AVX2 of 16, the portable leaf any.
func gemvBF16(y []float32, a []uint16, stride, h int, x []float32, add bool) {
	switch v := variant.Load(); {
	case v == targetAVX512BF16 && h == bf16TallRows:
		asm.GemvBF16TallAVX512BF16(y, a, stride, x, add)
	case v == targetAVX512BF16 && h == PanelRows:
		asm.GemvBF16AVX512BF16(y, a, stride, x, add)
	case (v == targetAVX512 || v == targetAVX512VNNI) && h == bf16TallRows:
		asm.GemvBF16TallAVX512(y, a, stride, x, add)
	case (v == targetAVX512 || v == targetAVX512VNNI) && h == PanelRows:
		asm.GemvBF16AVX512(y, a, stride, x, add)
	case (v == targetAVX2 || v == targetAVXVNNI) && h == PanelRows:
		asm.GemvBF16AVX2(y, a, stride, x, add)
	default:
		gemvBF16Generic(y, a, stride, h, x, add)
	}
}

// bf16TallLeaf reports whether the active target has a leaf for bf16
// panels of bf16TallRows rows: the AVX-512 ones.
func bf16TallLeaf() bool { return active.Load() == targetAVX512 }

// gemmBF16 is gemvBF16 for the batch rows b of x (ldx apart) into y (ldy
// apart), four at a time where a batched kernel reads the weights once for
// the four (AVX-512, either panel height); the rows left over as gemvBF16.
func gemmBF16(y []float32, ldy, rows int, a []uint16, stride, h int, x []float32, ldx, cols, batch int, add bool) {
	b := 0
	switch variant.Load() {
	case targetAVX512BF16:
		for ; b+4 <= batch; b += 4 {
			asm.GemmBF16x4AVX512BF16(y[b*ldy:], ldy, rows, a, stride, h, x[b*ldx:], ldx, cols, add)
		}
	case targetAVX512, targetAVX512VNNI:
		for ; b+4 <= batch; b += 4 {
			asm.GemmBF16x4AVX512(y[b*ldy:], ldy, rows, a, stride, h, x[b*ldx:], ldx, cols, add)
		}
	}
	for ; b < batch; b++ {
		gemvBF16(y[b*ldy:b*ldy+rows], a, stride, h, x[b*ldx:b*ldx+cols], add)
	}
}
