//go:build gc && !purego && !noasm

#include "textflag.h"
#include "neon_arm64.h"

// y += alpha·x for NEON: AxpyNEON in stubs_arm64.go.

#define AXPY_X R0
#define AXPY_Y R1
#define AXPY_N R2

// func AxpyNEON(alpha float32, x []float32, y []float32)
// Requires: ASIMD
TEXT ·AxpyNEON(SB), NOSPLIT, $0-56
	FMOVS alpha+0(FP), F0
	MOVD  x_base+8(FP), AXPY_X
	MOVD  x_len+16(FP), AXPY_N
	MOVD  y_base+32(FP), AXPY_Y
	VDUP  V0.S[0], V0.S4        // V0 = {alpha, alpha, alpha, alpha}

axpy16:
	CMP    $16, AXPY_N
	BLT    axpy4
	VLD1.P 64(AXPY_X), [V4.S4, V5.S4, V6.S4, V7.S4]     // x[i:i+16]
	VLD1   (AXPY_Y), [V16.S4, V17.S4, V18.S4, V19.S4]   // y[i:i+16]
	VFMLA  V0.S4, V4.S4, V16.S4                         // y[i:i+4] += alpha * x[i:i+4]
	VFMLA  V0.S4, V5.S4, V17.S4                         // …
	VFMLA  V0.S4, V6.S4, V18.S4
	VFMLA  V0.S4, V7.S4, V19.S4
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(AXPY_Y)
	SUB    $16, AXPY_N
	B      axpy16

axpy4:
	CMP    $4, AXPY_N
	BLT    axpy1
	VLD1.P 16(AXPY_X), [V4.S4]
	VLD1   (AXPY_Y), [V16.S4]
	VFMLA  V0.S4, V4.S4, V16.S4 // y[i:i+4] += alpha * x[i:i+4]
	VST1.P [V16.S4], 16(AXPY_Y)
	SUB    $4, AXPY_N
	B      axpy4

axpy1:
	CBZ     AXPY_N, axpydone
	FMOVS.P 4(AXPY_X), F4
	FMOVS   (AXPY_Y), F5
	FMADDS  F0, F5, F4, F5   // y[i] += alpha * x[i]
	FMOVS.P F5, 4(AXPY_Y)
	SUB     $1, AXPY_N
	B       axpy1

axpydone:
	RET
