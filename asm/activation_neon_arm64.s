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

// ACT_LOOP is the loop of one activation F (TANH_NEON or SIGMOID_NEON: V20
// = f(V20)) over A_N elements. Its labels are act…: expand it once per
// routine.
#define ACT_LOOP(F) \
	ACT_NEON_INIT(R3);            \
                                      \
act4:                                 \
	CMP    $4, A_N;               \
	BLT    act1;                  \
	VLD1.P 16(A_SRC), [ACT_X.S4]; \
	F;                            \
	VST1.P [ACT_X.S4], 16(A_DST); \ // dst[i:i+4] = f(src[i:i+4])
	SUB    $4, A_N;               \
	B      act4;                  \
                                      \
act1:                                 \
	CBZ     A_N, actdone;         \
	FMOVS.P 4(A_SRC), ACT_XF;     \ // lane 0 = src[i], the others 0
	F;                            \
	FMOVS.P ACT_XF, 4(A_DST);     \ // dst[i] = f(src[i])
	SUB     $1, A_N;              \
	B       act1;                 \
                                      \
actdone:

// func TanhNEON(dst, src []float32)
// Requires: ASIMD
TEXT ·TanhNEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), A_DST
	MOVD src_base+24(FP), A_SRC
	MOVD src_len+32(FP), A_N
	ACT_LOOP(TANH_NEON)
	RET

// func SigmoidNEON(dst, src []float32)
// Requires: ASIMD
TEXT ·SigmoidNEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), A_DST
	MOVD src_base+24(FP), A_SRC
	MOVD src_len+32(FP), A_N
	ACT_LOOP(SIGMOID_NEON)
	RET
