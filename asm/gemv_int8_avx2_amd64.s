//go:build gc && !purego && !noasm

#include "textflag.h"
#include "panel_int8_avx2_amd64.h"

// The int8 products y (+)= W̃·x of kernels.PackedInt8 for AVX2: the input
// quantized into the routine's frame, the panel product of
// panel_int8_avx2_amd64.h, and the scaling of each sixteen-row sum while it
// is in registers. GemvInt8AVXVNNI sums with the VEX-encoded VPDPBUSD,
// GemvInt8AVX2 with VPMADDUBSW and VPMADDWD; both give the same bits.

// The frame (4224 bytes): the quantized x (MaxQuantCols bytes and room for
// the last group of eight), the last floats of x, the rows of a partial
// panel.
#define GY_QX   0(SP)
#define GY_TAIL 4112(SP)
#define GY_PART 4160(SP)
#define GY_PART_HI 4192(SP)

// Register roles beside the I8Y_… of the panel product.
#define GY_Y   DI  // &y[0]
#define GY_ADD R15 // add flag

#define GY_TOFLOAT(lo, hi, off) I8Y_TOFLOAT(lo, hi, off, scale_base+56(FP), bias_base+80(FP))

// The epilogues: y[i:i+16k] = the products, or y[i:i+16k] += them when add.
#define GY_STORE(lo, hi, off) \
	TESTQ   GY_ADD, GY_ADD;                  \
	JZ      3(PC);                           \
	VADDPS  off(GY_Y)(I8Y_ROFF*1), lo, lo;   \ // y + product
	VADDPS  off+32(GY_Y)(I8Y_ROFF*1), hi, hi; \
	VMOVUPS lo, off(GY_Y)(I8Y_ROFF*1);       \
	VMOVUPS hi, off+32(GY_Y)(I8Y_ROFF*1)

#define GY_EPI2 \
	GY_TOFLOAT(Y0, Y1, 0);  \
	GY_TOFLOAT(Y4, Y5, 64); \
	GY_STORE(Y0, Y1, 0);    \
	GY_STORE(Y4, Y5, 64)

#define GY_EPI1 \
	GY_TOFLOAT(Y0, Y1, 0); \
	GY_STORE(Y0, Y1, 0)

// The partial panel goes through the frame: its rows are stored one by one.
#define GY_EPIP \
	GY_TOFLOAT(Y0, Y1, 0);                   \
	VMOVUPS Y0, GY_PART;                     \
	VMOVUPS Y1, GY_PART_HI;                  \
	LEAQ    GY_PART, AX;                     \
	LEAQ    (GY_Y)(I8Y_ROFF*1), R10;         \
                                                 \
gyrow:                                           \
	VMOVSS  (AX), X0;                        \
	TESTQ   GY_ADD, GY_ADD;                  \
	JZ      2(PC);                           \
	VADDSS  (R10), X0, X0;                   \ // y + product
	VMOVSS  X0, (R10);                       \
	ADDQ    $4, AX;                          \
	ADDQ    $4, R10;                         \
	DECQ    I8Y_ROWS;                        \
	JNZ     gyrow

// GY_BODY is the whole routine after the prologue, for one dot product.
#define GY_BODY(DOT) \
	I8Y_SCALES(x_base+104(FP), x_len+112(FP), dyn+128(FP), GY_TAIL); \
	LEAQ GY_QX, I8Y_X;                                               \
	MOVQ I8Y_X, I8Y_XT;                                              \
	I8Y_QUANTIZE(x_base+104(FP), x_len+112(FP), I8Y_XT, GY_TAIL);    \
	MOVQ    y_base+0(FP), GY_Y;                                      \
	MOVQ    y_len+8(FP), I8Y_ROWS;                                   \
	MOVQ    a_base+24(FP), I8Y_A;                                    \
	MOVQ    stride+48(FP), I8Y_STRIDE;                               \
	MOVQ    x_len+112(FP), I8Y_GROUPS;                               \
	ADDQ    $3, I8Y_GROUPS;                                          \
	SHRQ    $2, I8Y_GROUPS;                                          \ // ⌈len(x)/4⌉
	MOVBQZX add+129(FP), GY_ADD;                                     \
	I8Y_PANELS(DOT, GY_EPI2, GY_EPI1, GY_EPIP);                      \
	VZEROUPPER;                                                      \
	RET

// func GemvInt8AVXVNNI(y []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn bool, add bool)
// Requires: AVX, AVX2, AVXVNNI
TEXT ·GemvInt8AVXVNNI(SB), 0, $4224-130
	GY_BODY(DOT_VNNI)

// func GemvInt8AVX2(y []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn bool, add bool)
// Requires: AVX, AVX2
TEXT ·GemvInt8AVX2(SB), 0, $4224-130
	I8Y_SET_ONES
	GY_BODY(DOT_MADD)
