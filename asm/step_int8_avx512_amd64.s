//go:build gc && !purego && !noasm

#include "textflag.h"
#include "avx512_amd64.h"
#include "activation_avx512_amd64.h"
#include "panel_int8_avx512_amd64.h"

// The fused int8 recurrent steps for AVX-512: the input quantized into the
// frame, the int8 panel product of panel_int8_avx512_amd64.h, and, while
// each panel of sixteen rows is in a register, its scaling, the input
// projection, the bias, the activation of the cell and the stores
// (step_quant_avx512_amd64.h). StepInt8AVX512VNNI sums with VPDPBUSD,
// StepInt8AVX512 with VPMADDUBSW and VPMADDWD.

#define QS_Y    y_base+0(FP)
#define QS_Y2   y2_base+24(FP)
#define QS_H    h_base+160(FP)
#define QS_F    f_base+184(FP)
#define QS_XP   xp_base+208(FP)
#define QS_B    b_base+232(FP)
#define QS_ADD  add+264(FP)
#define QS_MODE R15
#define QS_ROFF I8_ROFF

#include "step_quant_avx512_amd64.h"

#define SI_TOFLOAT(acc, off) I8_TOFLOAT(acc, off, scale_base+80(FP), bias_base+104(FP))

#define SI_EPI4 \
	SI_TOFLOAT(Z0, 0);   \
	SI_TOFLOAT(Z1, 64);  \
	SI_TOFLOAT(Z2, 128); \
	SI_TOFLOAT(Z3, 192); \
	QS_EPI4

#define SI_EPI1 \
	SI_TOFLOAT(Z0, 0); \
	QS_EPI1

#define SI_EPIK \
	SI_TOFLOAT(Z0, 0); \
	QS_EPIK

// SI_FOUR reads one panel at a time where streams is 1.
#define SI_FOUR \
	CMPQ streams+272(FP), $1; \
	JEQ  i8group1

// SI_BODY is the whole routine after the prologue, for one dot product.
#define SI_BODY(DOT) \
	I8_SCALES_AVX512(x_base+128(FP), x_len+136(FP), dyn+152(FP)); \
	LEAQ 0(SP), I8_X;                                              \
	MOVQ I8_X, I8_XP;                                              \
	I8_QUANTIZE_AVX512(x_base+128(FP), x_len+136(FP), I8_XP);      \
	MOVQ y_len+8(FP), I8_ROWS;                                     \
	MOVQ a_base+48(FP), I8_A;                                      \
	MOVQ stride+72(FP), I8_STRIDE;                                 \
	MOVQ x_len+136(FP), I8_GROUPS;                                 \
	ADDQ $3, I8_GROUPS;                                            \
	SHRQ $2, I8_GROUPS;                                            \ // ⌈len(x)/4⌉
	MOVQ mode+256(FP), QS_MODE;                                    \
	I8_PANELS_AVX512(DOT, SI_FOUR, SI_EPI4, SI_EPI1, SI_EPIK);     \
	VZEROUPPER;                                                    \
	RET

// func StepInt8AVX512VNNI(y []float32, y2 []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn bool, h []float32, f []float32, xp []float32, b []float32, mode int, add bool, streams int)
// Requires: AVX512F, AVX512BW, AVX512DQ, AVX512VL, AVX512_VNNI
TEXT ·StepInt8AVX512VNNI(SB), 0, $4160-280
	SI_BODY(DOT_VNNI)

// func StepInt8AVX512(y []float32, y2 []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn bool, h []float32, f []float32, xp []float32, b []float32, mode int, add bool, streams int)
// Requires: AVX512F, AVX512BW, AVX512DQ, AVX512VL
TEXT ·StepInt8AVX512(SB), 0, $4160-280
	I8_SET_ONES
	SI_BODY(DOT_BW)
