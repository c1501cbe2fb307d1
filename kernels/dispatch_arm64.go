//go:build gc && !purego && !noasm

package kernels

import "github.com/lowrank-rnn/lowrank/asm"

// archTargets lists the arm64 targets. Advanced SIMD (NEON) is mandatory in
// AArch64, so the neon target is always available.
func archTargets() []Target {
	return []Target{goTarget, {Name: "neon", Requires: "ASIMD", Available: true}}
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

func gemvPanels(y, a []float32, stride int, x []float32, add bool) {
	if active.Load() == targetNEON {
		asm.GemvPanelsNEON(y, a, stride, x, add)
		return
	}
	gemvPanelsGeneric(y, a, stride, x, add)
}

func gemmPanels(y []float32, ldy, rows int, a []float32, stride int, x []float32, ldx, cols, batch int, add bool) {
	for b := 0; b < batch; b++ {
		gemvPanels(y[b*ldy:b*ldy+rows], a, stride, x[b*ldx:b*ldx+cols], add)
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

func stepPanels(y, y2, a []float32, stride int, x, h, f, xp, b []float32, mode int, add bool) {
	if active.Load() == targetNEON {
		asm.StepPanelsNEON(y, y2, a, stride, x, h, f, xp, b, mode, add)
		return
	}
	stepPanelsGeneric(y, y2, a, stride, x, h, f, xp, b, mode, add)
}

func gruStepPanels(y, a []float32, stride int, x, h, xp, b []float32, ld int) {
	if active.Load() == targetNEON {
		asm.GRUStepPanelsNEON(y, a, stride, x, h, xp, b, ld)
		return
	}
	gruStepPanelsGeneric(y, a, stride, x, h, xp, b, ld)
}

func lstmStepPanels(y, c2, a []float32, stride int, x, c, xp, b []float32, ld int) {
	if active.Load() == targetNEON {
		asm.LSTMStepPanelsNEON(y, c2, a, stride, x, c, xp, b, ld)
		return
	}
	lstmStepPanelsGeneric(y, c2, a, stride, x, c, xp, b, ld)
}
