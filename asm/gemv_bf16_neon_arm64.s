//go:build gc && !purego && !noasm

#include "textflag.h"
#include "neon_arm64.h"
#include "neon_quant_arm64.h"
#include "panel_bf16_neon_arm64.h"

// The bf16 product y (+)= W̃·bf16(x) of kernels.PackedBF16 for NEON: the
// input rounded to bf16 into the routine's frame, then the emulated
// VDPBF16PS panel product of panel_bf16_neon_arm64.h.

// The frame: the converted x (MaxQuantCols float32s and room for the last
// sixteen), a scratch for the last floats of x, the rows of a partial
// panel.
#define GBN_QX      qx-16576(SP)
#define GBN_SCRATCH scratch-128(SP)
#define GBN_PART    part-64(SP)

#define GBN_ADD R10 // add flag

// GBN_EPI stores sixteen rows: y = the sums, or y += them when add.
#define GBN_EPI \
	CBZ  GBN_ADD, 6(PC);                                 \
	VLD1 (BFN_YP), [V9.S4, V10.S4, V11.S4, V12.S4];      \
	VFADD4S(16, 9, 16);                                  \ // y + sum
	VFADD4S(17, 10, 17);                                 \
	VFADD4S(18, 11, 18);                                 \
	VFADD4S(19, 12, 19);                                 \
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(BFN_YP)

// GBN_EPIP stores the last BFN_ROWS < 16 rows, one by one through the frame.
#define GBN_EPIP \
	MOVD  $GBN_PART, R11;                                  \
	VST1  [V16.S4, V17.S4, V18.S4, V19.S4], (R11);         \
                                                               \
gbnrow:                                                        \
	FMOVS.P 4(R11), F1;                                    \
	CBZ     GBN_ADD, 3(PC);                                \
	FMOVS   (BFN_YP), F2;                                  \
	FADDS   F1, F2, F1;                                    \ // y + sum
	FMOVS.P F1, 4(BFN_YP);                                 \
	SUB     $1, BFN_ROWS;                                  \
	CBNZ    BFN_ROWS, gbnrow

// func GemvBF16NEON(y []float32, a []uint16, stride int, x []float32, add bool)
// Requires: ASIMD
TEXT ·GemvBF16NEON(SB), 0, $16576-81
	MOVD  $GBN_QX, BFN_X
	MOVD  BFN_X, R17
	BFN_CONVERT(x_base+56(FP), x_len+64(FP), R17, $GBN_SCRATCH)
	BFN_SET_HIMASK
	MOVD  y_base+0(FP), BFN_YP
	MOVD  y_len+8(FP), BFN_ROWS
	MOVD  a_base+24(FP), BFN_A
	MOVD  stride+48(FP), BFN_STRIDE
	LSL   $1, BFN_STRIDE                       // elements to bytes
	MOVD  x_len+64(FP), BFN_PAIRS
	ADD   $1, BFN_PAIRS
	LSR   $1, BFN_PAIRS                        // ⌈len(x)/2⌉
	MOVBU add+80(FP), GBN_ADD
	BFN_PANELS(GBN_EPI, GBN_EPIP)
	RET
