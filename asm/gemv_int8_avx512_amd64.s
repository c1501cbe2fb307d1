//go:build gc && !purego && !noasm

#include "textflag.h"
#include "avx512_amd64.h"
#include "panel_int8_avx512_amd64.h"

// The int8 products y (+)= W̃·x of kernels.PackedInt8 for AVX-512: the
// input quantized into the routine's frame, the panel product of
// panel_int8_avx512_amd64.h, and the scaling of each sixteen-row sum while
// it is in a register. GemvInt8AVX512VNNI sums with VPDPBUSD,
// GemvInt8AVX512 with VPMADDUBSW and VPMADDWD; both give the same bits.

// The frame (4160 bytes): the quantized x, MaxQuantCols bytes and room for
// the last group of sixteen.
#define GI_QX   0(SP)

// Register roles beside the I8_… of the panel product.
#define GI_Y   DI  // &y[0]
#define GI_ADD R15 // add flag

// The epilogues: y[i:i+16k] = the products, or y[i:i+16k] += them when add.
#define GI_TOFLOAT(acc, off) I8_TOFLOAT(acc, off, scale_base+56(FP), bias_base+80(FP))

#define GI_EPI4 \
	GI_TOFLOAT(Z0, 0);                   \
	GI_TOFLOAT(Z1, 64);                  \
	GI_TOFLOAT(Z2, 128);                 \
	GI_TOFLOAT(Z3, 192);                 \
	TESTQ   GI_ADD, GI_ADD;              \
	JZ      gi4store;                    \
	VADDPS  (GI_Y)(I8_ROFF*1), Z0, Z0;   \ // y + product
	VADDPS  64(GI_Y)(I8_ROFF*1), Z1, Z1; \
	VADDPS  128(GI_Y)(I8_ROFF*1), Z2, Z2; \
	VADDPS  192(GI_Y)(I8_ROFF*1), Z3, Z3; \
                                             \
gi4store:                                    \
	VMOVUPS Z0, (GI_Y)(I8_ROFF*1);       \
	VMOVUPS Z1, 64(GI_Y)(I8_ROFF*1);     \
	VMOVUPS Z2, 128(GI_Y)(I8_ROFF*1);    \
	VMOVUPS Z3, 192(GI_Y)(I8_ROFF*1)

#define GI_EPI1 \
	GI_TOFLOAT(Z0, 0);                \
	TESTQ   GI_ADD, GI_ADD;           \
	JZ      gi1store;                 \
	VADDPS  (GI_Y)(I8_ROFF*1), Z0, Z0; \
                                          \
gi1store:                                 \
	VMOVUPS Z0, (GI_Y)(I8_ROFF*1)

#define GI_EPIK \
	GI_TOFLOAT(Z0, 0);                      \
	TESTQ     GI_ADD, GI_ADD;               \
	JZ        gikstore;                     \
	VMOVUPS.Z (GI_Y)(I8_ROFF*1), K1, Z1;    \
	VADDPS    Z1, Z0, Z0;                   \
                                                \
gikstore:                                       \
	VMOVUPS   Z0, K1, (GI_Y)(I8_ROFF*1)

// GI_FOUR reads one panel at a time where streams is 1.
#define GI_FOUR \
	CMPQ streams+136(FP), $1; \
	JEQ  i8group1

// GI_BODY is the whole routine after the prologue, for one dot product.
#define GI_BODY(DOT) \
	I8_SCALES_AVX512(x_base+104(FP), x_len+112(FP), dyn+128(FP)); \
	LEAQ GI_QX, I8_X;                                              \
	MOVQ I8_X, I8_XP;                                              \
	I8_QUANTIZE_AVX512(x_base+104(FP), x_len+112(FP), I8_XP);      \
	MOVQ    y_base+0(FP), GI_Y;                                    \
	MOVQ    y_len+8(FP), I8_ROWS;                                  \
	MOVQ    a_base+24(FP), I8_A;                                   \
	MOVQ    stride+48(FP), I8_STRIDE;                              \
	MOVQ    x_len+112(FP), I8_GROUPS;                              \
	ADDQ    $3, I8_GROUPS;                                         \
	SHRQ    $2, I8_GROUPS;                                         \ // ⌈len(x)/4⌉
	MOVBQZX add+129(FP), GI_ADD;                                   \
	I8_PANELS_AVX512(DOT, GI_FOUR, GI_EPI4, GI_EPI1, GI_EPIK);     \
	VZEROUPPER;                                                    \
	RET

// func GemvInt8AVX512VNNI(y []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn bool, add bool, streams int)
// Requires: AVX512F, AVX512BW, AVX512DQ, AVX512VL, AVX512_VNNI
TEXT ·GemvInt8AVX512VNNI(SB), 0, $4160-144
	GI_BODY(DOT_VNNI)

// func GemvInt8AVX512(y []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn bool, add bool, streams int)
// Requires: AVX512F, AVX512BW, AVX512DQ, AVX512VL
TEXT ·GemvInt8AVX512(SB), 0, $4160-144
	I8_SET_ONES
	GI_BODY(DOT_BW)
