//go:build gc && !purego && !noasm

#include "textflag.h"
#include "neon_arm64.h"

// Dot product for NEON: DotNEON in stubs_arm64.go. NEON is mandatory in
// AArch64, so nothing here needs a feature check.

#define DOT_X R0
#define DOT_Y R1
#define DOT_N R2

// func DotNEON(x []float32, y []float32) float32
// Requires: ASIMD
//
// Four accumulators of 4 lanes (16 floats per iteration), a 4-float loop,
// a reduction, then a scalar tail.
TEXT ·DotNEON(SB), NOSPLIT, $0-52
	MOVD x_base+0(FP), DOT_X
	MOVD x_len+8(FP), DOT_N
	MOVD y_base+24(FP), DOT_Y
	VEOR V16.B16, V16.B16, V16.B16 // s0 = 0
	VEOR V17.B16, V17.B16, V17.B16 // s1 = 0
	VEOR V18.B16, V18.B16, V18.B16 // s2 = 0
	VEOR V19.B16, V19.B16, V19.B16 // s3 = 0

dot16:
	CMP    $16, DOT_N
	BLT    dot4
	VLD1.P 64(DOT_X), [V0.S4, V1.S4, V2.S4, V3.S4] // x[i:i+16]
	VLD1.P 64(DOT_Y), [V4.S4, V5.S4, V6.S4, V7.S4] // y[i:i+16]
	VFMLA  V0.S4, V4.S4, V16.S4                    // s0 += x[i:i+4] * y[i:i+4]
	VFMLA  V1.S4, V5.S4, V17.S4                    // s1 += x[i+4:i+8] * y[i+4:i+8]
	VFMLA  V2.S4, V6.S4, V18.S4                    // s2 += …
	VFMLA  V3.S4, V7.S4, V19.S4                    // s3 += …
	SUB    $16, DOT_N
	B      dot16

dot4:
	CMP    $4, DOT_N
	BLT    dotsum
	VLD1.P 16(DOT_X), [V0.S4]   // x[i:i+4]
	VLD1.P 16(DOT_Y), [V4.S4]   // y[i:i+4]
	VFMLA  V0.S4, V4.S4, V16.S4 // s0 += x[i:i+4] * y[i:i+4]
	SUB    $4, DOT_N
	B      dot4

dotsum:
	VFADD4S(17, 16, 16)  // s0 += s1
	VFADD4S(19, 18, 18)  // s2 += s3
	VFADD4S(18, 16, 16)  // s0 += s2
	VFADDP4S(16, 16, 16) // pairwise sums of lanes
	VFADDP4S(16, 16, 16) // F16 = s = Σ lanes of s0

dot1:
	CBZ     DOT_N, dotdone
	FMOVS.P 4(DOT_X), F0
	FMOVS.P 4(DOT_Y), F1
	FMADDS  F0, F16, F1, F16 // s += x[i] * y[i]
	SUB     $1, DOT_N
	B       dot1

dotdone:
	FMOVS F16, ret+48(FP)
	RET
