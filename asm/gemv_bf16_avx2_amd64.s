//go:build gc && !purego && !noasm

#include "textflag.h"
#include "panel_bf16_avx2_amd64.h"

// The bf16 product y (+)= W̃·bf16(x) of kernels.PackedBF16 for AVX2: the
// input rounded to bf16 into the routine's frame, then the emulated
// VDPBF16PS panel product of panel_bf16_avx2_amd64.h.

// The frame (16544 bytes): the converted x (MaxQuantCols float32s and room
// for the last eight), the last floats of x, the rows of a partial panel.
#define GBY_QX   0(SP)
#define GBY_TAIL 16448(SP)
#define GBY_PART 16480(SP)
#define GBY_PART_HI 16512(SP)

#define GBY_Y   DI  // &y[0]
#define GBY_ADD R15 // add flag

// The epilogues: y[i:i+16] = the sums, or y[i:i+16] += them when add.
#define GBY_EPI1 \
	TESTQ   GBY_ADD, GBY_ADD;                \
	JZ      3(PC);                           \
	VADDPS  (GBY_Y)(BFY_ROFF*1), Y0, Y0;     \ // y + sum
	VADDPS  32(GBY_Y)(BFY_ROFF*1), Y1, Y1;   \
	VMOVUPS Y0, (GBY_Y)(BFY_ROFF*1);         \
	VMOVUPS Y1, 32(GBY_Y)(BFY_ROFF*1)

// The partial panel goes through the frame: its rows are stored one by one.
#define GBY_EPIP \
	VMOVUPS Y0, GBY_PART;              \
	VMOVUPS Y1, GBY_PART_HI;           \
	LEAQ    GBY_PART, AX;              \
	LEAQ    (GBY_Y)(BFY_ROFF*1), R10;  \
                                           \
gbyrow:                                    \
	VMOVSS  (AX), X0;                  \
	TESTQ   GBY_ADD, GBY_ADD;          \
	JZ      2(PC);                     \
	VADDSS  (R10), X0, X0;             \ // y + sum
	VMOVSS  X0, (R10);                 \
	ADDQ    $4, AX;                    \
	ADDQ    $4, R10;                   \
	DECQ    BFY_ROWS;                  \
	JNZ     gbyrow

// func GemvBF16AVX2(y []float32, a []uint16, stride int, x []float32, add bool)
// Requires: AVX, AVX2, FMA3
TEXT ·GemvBF16AVX2(SB), 0, $16544-81
	BFY_SET_HIMASK
	LEAQ    GBY_QX, BFY_X
	MOVQ    BFY_X, R11
	BFY_CONVERT(x_base+56(FP), x_len+64(FP), R11, GBY_TAIL)
	MOVQ    y_base+0(FP), GBY_Y
	MOVQ    y_len+8(FP), BFY_ROWS
	MOVQ    a_base+24(FP), BFY_A
	MOVQ    stride+48(FP), BFY_STRIDE
	SHLQ    $1, BFY_STRIDE                       // elements to bytes
	MOVQ    x_len+64(FP), BFY_PAIRS
	INCQ    BFY_PAIRS
	SHRQ    $1, BFY_PAIRS                        // ⌈len(x)/2⌉
	MOVBQZX add+80(FP), GBY_ADD
	BFY_PANELS(GBY_EPI1, GBY_EPIP)
	VZEROUPPER
	RET
