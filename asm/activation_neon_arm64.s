//go:build gc && !purego && !noasm

#include "textflag.h"
#include "activation_neon_arm64.h"

// The NEON activation loops: four lanes per iteration (the out-of-order
// core overlaps iterations; the macros work on fixed registers), then the
// last len%4 elements one at a time as scalars in lane 0. dst may be src
// itself: each vector is loaded before it is stored.

#define A_DST R0 // &dst[i]
#define A_SRC R1 // &src[i]
#define A_N   R2 // elements left

// func TanhNEON(dst, src []float32)
// Requires: ASIMD
TEXT ·TanhNEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), A_DST
	MOVD src_base+24(FP), A_SRC
	MOVD src_len+32(FP), A_N
	ACT_NEON_INIT(R3)

tanh4:
	CMP    $4, A_N
	BLT    tanh1
	VLD1.P 16(A_SRC), [ACT_X.S4]
	TANH_NEON
	VST1.P [ACT_X.S4], 16(A_DST) // dst[i:i+4] = tanh(src[i:i+4])
	SUB    $4, A_N
	B      tanh4

tanh1:
	CBZ     A_N, tanhdone
	FMOVS.P 4(A_SRC), ACT_XF     // lane 0 = src[i], the others 0
	TANH_NEON
	FMOVS.P ACT_XF, 4(A_DST)
	SUB     $1, A_N
	B       tanh1

tanhdone:
	RET

// func SigmoidNEON(dst, src []float32)
// Requires: ASIMD
TEXT ·SigmoidNEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), A_DST
	MOVD src_base+24(FP), A_SRC
	MOVD src_len+32(FP), A_N
	ACT_NEON_INIT(R3)

sigmoid4:
	CMP    $4, A_N
	BLT    sigmoid1
	VLD1.P 16(A_SRC), [ACT_X.S4]
	SIGMOID_NEON
	VST1.P [ACT_X.S4], 16(A_DST) // dst[i:i+4] = σ(src[i:i+4])
	SUB    $4, A_N
	B      sigmoid4

sigmoid1:
	CBZ     A_N, sigmoiddone
	FMOVS.P 4(A_SRC), ACT_XF
	SIGMOID_NEON
	FMOVS.P ACT_XF, 4(A_DST)
	SUB     $1, A_N
	B       sigmoid1

sigmoiddone:
	RET
