//go:build gc && !purego && !noasm

#include "textflag.h"
#include "avx512_amd64.h"
#include "panel_bf16_avx512_amd64.h"

// The bf16 products y (+)= W̃·bf16(x) of kernels.PackedBF16 for AVX-512:
// the input rounded to bf16 into the routine's frame, then the panel
// product of panel_bf16_avx512_amd64.h. GemvBF16AVX512BF16 sums with
// VDPBF16PS, GemvBF16AVX512 emulates it with FMAs; both give the same bits.

// The frames: the converted x, MaxQuantCols values and room for the last
// sixteen: 2 bytes a value native (8256 bytes), 4 emulated (16448).
#define GB_QX 0(SP)

#define GB_Y   DI  // &y[0]
#define GB_ADD R15 // add flag

// The epilogues: y[i:i+16k] = the sums, or y[i:i+16k] += them when add.
#define GB_EPI4 \
	TESTQ   GB_ADD, GB_ADD;                \
	JZ      gb4store;                      \
	VADDPS  (GB_Y)(BF_ROFF*1), Z0, Z0;     \ // y + sum
	VADDPS  64(GB_Y)(BF_ROFF*1), Z1, Z1;   \
	VADDPS  128(GB_Y)(BF_ROFF*1), Z2, Z2;  \
	VADDPS  192(GB_Y)(BF_ROFF*1), Z3, Z3;  \
                                               \
gb4store:                                      \
	VMOVUPS Z0, (GB_Y)(BF_ROFF*1);         \
	VMOVUPS Z1, 64(GB_Y)(BF_ROFF*1);       \
	VMOVUPS Z2, 128(GB_Y)(BF_ROFF*1);      \
	VMOVUPS Z3, 192(GB_Y)(BF_ROFF*1)

#define GB_EPI1 \
	TESTQ   GB_ADD, GB_ADD;             \
	JZ      gb1store;                   \
	VADDPS  (GB_Y)(BF_ROFF*1), Z0, Z0;  \
                                            \
gb1store:                                   \
	VMOVUPS Z0, (GB_Y)(BF_ROFF*1)

#define GB_EPIK \
	TESTQ     GB_ADD, GB_ADD;             \
	JZ        gbkstore;                   \
	VMOVUPS.Z (GB_Y)(BF_ROFF*1), K1, Z1;  \
	VADDPS    Z1, Z0, Z0;                 \
                                              \
gbkstore:                                     \
	VMOVUPS   Z0, K1, (GB_Y)(BF_ROFF*1)

// GB_SETUP converts x into the frame and loads the registers of the panel
// product from the arguments.
#define GB_SETUP(STORE) \
	LEAQ    GB_QX, BF_X;                                    \
	MOVQ    BF_X, BF_XP;                                    \
	BF_CONVERT_AVX512(x_base+56(FP), x_len+64(FP), BF_XP, STORE); \
	MOVQ    y_base+0(FP), GB_Y;                             \
	MOVQ    y_len+8(FP), BF_ROWS;                           \
	MOVQ    a_base+24(FP), BF_A;                            \
	MOVQ    stride+48(FP), BF_STRIDE;                       \
	SHLQ    $1, BF_STRIDE;                                  \ // elements to bytes
	MOVQ    x_len+64(FP), BF_PAIRS;                         \
	INCQ    BF_PAIRS;                                       \
	SHRQ    $1, BF_PAIRS;                                   \ // ⌈len(x)/2⌉
	MOVBQZX add+80(FP), GB_ADD

// GB_BODY is the whole routine after the prologue.
#define GB_BODY(DOT, BCAST, XSTEP, STORE) \
	GB_SETUP(STORE);                                        \
	BF_PANELS_AVX512(DOT, BCAST, XSTEP, GB_EPI4, GB_EPI1, GB_EPIK); \
	VZEROUPPER;                                             \
	RET

// func GemvBF16AVX512BF16(y []float32, a []uint16, stride int, x []float32, add bool)
// Requires: AVX512F, AVX512BW, AVX512DQ, AVX512VL, AVX512_BF16
TEXT ·GemvBF16AVX512BF16(SB), 0, $8256-81
	GB_BODY(BF_DOT_NATIVE, BF_BCAST_NATIVE, 4, BF_STORE_NATIVE)

// func GemvBF16AVX512(y []float32, a []uint16, stride int, x []float32, add bool)
// Requires: AVX512F, AVX512BW, AVX512DQ, AVX512VL
TEXT ·GemvBF16AVX512(SB), 0, $16448-81
	BF_SET_HIMASK
	GB_BODY(BF_DOT_EMU, BF_BCAST_EMU, 8, BF_STORE_EMU)

// GT_BODY is the whole routine of the 64-row panels after the prologue:
// each panel's four blocks at once, one stream, then their epilogue; the
// last panel's rows block by block.
#define GT_BODY(DOT, BCAST, XSTEP, STORE) \
	GB_SETUP(STORE);                                        \
	XORQ    BF_ROFF, BF_ROFF;                               \
                                                                \
gtpanel:                                                        \
	TESTQ BF_ROWS, BF_ROWS;                                 \
	JZ    gtdone;                                           \
	BF_TALL4_AVX512(DOT, BCAST, XSTEP);                     \
	CMPQ  BF_ROWS, $64;                                     \
	JLT   gtlast;                                           \
	GB_EPI4;                                                \
	ADDQ  $256, BF_ROFF;                                    \
	SUBQ  $64, BF_ROWS;                                     \
	ADDQ  BF_STRIDE, BF_A;                                  \
	JMP   gtpanel;                                          \
                                                                \
gtlast:                                                         \ // the last panel holds fewer than 64 rows of y
	CMPQ    BF_ROWS, $16;                                   \
	JLT     gtpartial;                                      \
	GB_EPI1;                                                \
	ADDQ    $64, BF_ROFF;                                   \
	SUBQ    $16, BF_ROWS;                                   \
	VMOVAPS Z1, Z0;                                         \ // the next block
	VMOVAPS Z2, Z1;                                         \
	VMOVAPS Z3, Z2;                                         \
	JMP     gtlast;                                         \
                                                                \
gtpartial:                                                      \
	TESTQ BF_ROWS, BF_ROWS;                                 \
	JZ    gtdone;                                           \
	MOVQ  BF_ROWS, CX;                                      \
	MASK(K1);                                               \ // K1 = the rows left
	GB_EPIK;                                                \
                                                                \
gtdone:                                                         \
	VZEROUPPER;                                             \
	RET

// func GemvBF16TallAVX512BF16(y []float32, a []uint16, stride int, x []float32, add bool)
// Requires: AVX512F, AVX512BW, AVX512DQ, AVX512VL, AVX512_BF16
TEXT ·GemvBF16TallAVX512BF16(SB), 0, $8256-81
	GT_BODY(BF_DOT_NATIVE, BF_BCAST_NATIVE, 4, BF_STORE_NATIVE)

// func GemvBF16TallAVX512(y []float32, a []uint16, stride int, x []float32, add bool)
// Requires: AVX512F, AVX512BW, AVX512DQ, AVX512VL
TEXT ·GemvBF16TallAVX512(SB), 0, $16448-81
	BF_SET_HIMASK
	GT_BODY(BF_DOT_EMU, BF_BCAST_EMU, 8, BF_STORE_EMU)
