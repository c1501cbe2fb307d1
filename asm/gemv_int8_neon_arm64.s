//go:build gc && !purego && !noasm

#include "textflag.h"
#include "neon_arm64.h"
#include "neon_quant_arm64.h"
#include "panel_int8_neon_arm64.h"

// The int8 products y (+)= W̃·x of kernels.PackedInt8 for NEON: the input
// quantized into the routine's frame, the panel product of
// panel_int8_neon_arm64.h, and the scaling of each sixteen-row sum while it
// is in registers. GemvInt8NEONDot sums with SDOT, GemvInt8NEON with SMULL,
// SMLAL and SADALP; both give the same bits. bias is unused: Arm multiplies
// the signed v directly.

// The frame: the quantized x (MaxQuantCols bytes and room for the last
// sixteen), a scratch for the last floats of x, the rows of a partial
// panel.
#define GN_QX      qx-4240(SP)
#define GN_SCRATCH scratch-128(SP)
#define GN_PART    part-64(SP)

#define GN_ADD R10 // add flag

// GN_EPI stores sixteen rows: y = the products, or y += them when add.
#define GN_EPI \
	CBZ  GN_ADD, 6(PC);                                  \
	VLD1 (I8N_YP), [V9.S4, V10.S4, V11.S4, V12.S4];      \
	VFADD4S(16, 9, 16);                                  \ // y + product
	VFADD4S(17, 10, 17);                                 \
	VFADD4S(18, 11, 18);                                 \
	VFADD4S(19, 12, 19);                                 \
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(I8N_YP)

// GN_EPIP stores the last I8N_ROWS < 16 rows, one by one through the frame.
#define GN_EPIP \
	MOVD  $GN_PART, R11;                                   \
	VST1  [V16.S4, V17.S4, V18.S4, V19.S4], (R11);         \
                                                               \
gnrow:                                                         \
	FMOVS.P 4(R11), F1;                                    \
	CBZ     GN_ADD, 3(PC);                                 \
	FMOVS   (I8N_YP), F2;                                  \
	FADDS   F1, F2, F1;                                    \ // y + product
	FMOVS.P F1, 4(I8N_YP);                                 \
	SUB     $1, I8N_ROWS;                                  \
	CBNZ    I8N_ROWS, gnrow

// GN_BODY is the whole routine, for one panel product.
#define GN_BODY(PANEL) \
	I8N_SCALES(x_base+104(FP), x_len+112(FP), dyn+128(FP), $GN_SCRATCH); \
	MOVD  $GN_QX, I8N_X;                                                   \
	MOVD  I8N_X, I8N_XT;                                                   \
	I8N_QUANTIZE(x_base+104(FP), x_len+112(FP), I8N_XT, $GN_SCRATCH);    \
	MOVD  y_base+0(FP), I8N_YP;                                            \
	MOVD  y_len+8(FP), I8N_ROWS;                                           \
	MOVD  a_base+24(FP), I8N_A;                                            \
	MOVD  stride+48(FP), I8N_STRIDE;                                       \
	MOVD  scale_base+56(FP), I8N_SCALE;                                    \
	MOVD  x_len+112(FP), I8N_GROUPS;                                       \
	ADD   $3, I8N_GROUPS;                                                  \
	LSR   $2, I8N_GROUPS;                                                  \ // ⌈len(x)/4⌉
	MOVBU add+129(FP), GN_ADD;                                             \
	I8N_PANELS(PANEL, GN_EPI, GN_EPIP);                                    \
	RET

// func GemvInt8NEONDot(y []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn bool, add bool)
// Requires: ASIMD, ASIMDDP
TEXT ·GemvInt8NEONDot(SB), 0, $4240-130
	GN_BODY(I8N_PANEL_DOT)

// func GemvInt8NEON(y []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn bool, add bool)
// Requires: ASIMD
TEXT ·GemvInt8NEON(SB), 0, $4240-130
	GN_BODY(I8N_PANEL_MUL)
