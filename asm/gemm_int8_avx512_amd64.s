//go:build gc && !purego && !noasm

#include "textflag.h"
#include "avx512_amd64.h"
#include "panel_int8_avx512_amd64.h"

// The batched int8 products, four vectors at once, for AVX-512: each group
// of weights is loaded once and multiplied by the four vectors' quantized
// activations, so a batch reads the weights a quarter as often.
// GemmInt8x4AVX512VNNI sums with VPDPBUSD, GemmInt8x4AVX512 with
// VPMADDUBSW and VPMADDWD (the DOT_… of panel_int8_avx512_amd64.h).

// The frame (16512 bytes): the four quantized vectors, 4112 bytes apart
// (MaxQuantCols and room for the last sixteen), then their four d.
#define G4_QSTEP 4112
#define G4_D     16448

// Register roles.
#define G4_Y      DI  // &y[0][0]
#define G4_LDY    R8  // ldy in bytes
#define G4_ROFF   R9  // byte offset of the current rows in each y
#define G4_ROWS   BX  // rows left
#define G4_A      SI  // start of the current panel
#define G4_STRIDE DX  // panel stride in bytes
#define G4_GROUPS R10 // groups of four columns
#define G4_AP     R11 // walks the groups of the panel
#define G4_XP     R12 // walks the quantized vectors
#define G4_J      R13 // pairs of groups left
#define G4_YB     R14 // the rows of vector b's y

// G4_TOFLOAT(acc, b) turns vector b's int32 sums into its products,
// (float32(Σ q·v)·s)·d_b. Clobbers AX.
#define G4_TOFLOAT(acc, b) \
	MOVQ         bias_base+96(FP), AX;           \
	VPSUBD       (AX)(G4_ROFF*1), acc, acc;      \ // Σ q·(v+127) − 127·Σ q = Σ q·v
	VCVTDQ2PS    acc, acc;                       \
	MOVQ         scale_base+72(FP), AX;          \
	VMULPS       (AX)(G4_ROFF*1), acc, acc;      \ // · s_i
	VMULPS.BCST  G4_D+4*b(SP), acc, acc            // · d_b

// G4_STORE16 stores vector b's sixteen rows (y += them when add).
#define G4_STORE16(acc) \
	CMPB    add+161(FP), $0;           \
	JEQ     2(PC);                     \
	VADDPS  (G4_YB)(G4_ROFF*1), acc, acc; \
	VMOVUPS acc, (G4_YB)(G4_ROFF*1)

// G4_STOREK stores the rows of a partial panel selected by K1.
#define G4_STOREK(acc) \
	CMPB      add+161(FP), $0;           \
	JEQ       3(PC);                     \
	VMOVUPS.Z (G4_YB)(G4_ROFF*1), K1, Z24; \
	VADDPS    Z24, acc, acc;             \
	VMOVUPS   acc, K1, (G4_YB)(G4_ROFF*1)

// G4_EPI(STORE) finishes the four vectors of a panel.
#define G4_EPI(STORE) \
	MOVQ G4_Y, G4_YB;            \
	G4_TOFLOAT(Z0, 0);           \
	STORE(Z0);                   \
	ADDQ G4_LDY, G4_YB;          \
	G4_TOFLOAT(Z1, 1);           \
	STORE(Z1);                   \
	ADDQ G4_LDY, G4_YB;          \
	G4_TOFLOAT(Z2, 2);           \
	STORE(Z2);                   \
	ADDQ G4_LDY, G4_YB;          \
	G4_TOFLOAT(Z3, 3);           \
	STORE(Z3)

// G4_BODY is the whole routine after the prologue, for one dot product.
#define G4_BODY(DOT) \
	MOVQ  x_base+120(FP), R13;                              \ // quantize each vector with its own scales
	LEAQ  0(SP), R12;                                       \
	XORQ  R14, R14;                                         \
                                                                \
g4quant:                                                        \
	I8_SCALES_AVX512(R13, cols+152(FP), dyn+160(FP));       \
	VMOVSS X30, G4_D(SP)(R14*4);                            \ // d_b
	MOVQ   R12, R15;                                        \
	I8_QUANTIZE_AVX512(R13, cols+152(FP), R15);             \
	MOVQ   ldx+144(FP), AX;                                 \
	LEAQ   (R13)(AX*4), R13;                                \ // the next vector
	ADDQ   $G4_QSTEP, R12;                                  \
	INCQ   R14;                                             \
	CMPQ   R14, $4;                                         \
	JLT    g4quant;                                         \
                                                                \
	MOVQ    y_base+0(FP), G4_Y;                             \
	MOVQ    ldy+24(FP), G4_LDY;                             \
	SHLQ    $2, G4_LDY;                                     \
	MOVQ    rows+32(FP), G4_ROWS;                           \
	MOVQ    a_base+40(FP), G4_A;                            \
	MOVQ    stride+64(FP), G4_STRIDE;                       \
	MOVQ    cols+152(FP), G4_GROUPS;                        \
	ADDQ    $3, G4_GROUPS;                                  \
	SHRQ    $2, G4_GROUPS;                                  \ // ⌈cols/4⌉
	XORQ    G4_ROFF, G4_ROFF;                               \
                                                                \
g4panel:                                                        \
	TESTQ G4_ROWS, G4_ROWS;                                 \
	JZ    g4done;                                           \
	I8_ZERO_AVX512;                                         \
	MOVQ  G4_A, G4_AP;                                      \
	LEAQ  0(SP), G4_XP;                                     \
	MOVQ  G4_GROUPS, G4_J;                                  \
	SHRQ  $1, G4_J;                                         \
	JZ    g4odd;                                            \
                                                                \
g4loop:                                                         \
	VMOVDQU32    (G4_AP), Z8;                               \ // group g, loaded once
	VMOVDQU32    64(G4_AP), Z9;                             \ // group g+1
	VPBROADCASTD (G4_XP), Z16;                              \ // vector 0's u of group g
	VPBROADCASTD G4_QSTEP(G4_XP), Z17;                      \ // vector 1's
	VPBROADCASTD 2*G4_QSTEP(G4_XP), Z18;                    \
	VPBROADCASTD 3*G4_QSTEP(G4_XP), Z19;                    \
	VPBROADCASTD 4(G4_XP), Z20;                             \ // group g+1
	VPBROADCASTD G4_QSTEP+4(G4_XP), Z21;                    \
	VPBROADCASTD 2*G4_QSTEP+4(G4_XP), Z22;                  \
	VPBROADCASTD 3*G4_QSTEP+4(G4_XP), Z23;                  \
	DOT(Z8, Z16, Z0, Z10);                                  \ // vector b, even groups: Z(b)
	DOT(Z8, Z17, Z1, Z11);                                  \
	DOT(Z8, Z18, Z2, Z12);                                  \
	DOT(Z8, Z19, Z3, Z13);                                  \
	DOT(Z9, Z20, Z4, Z14);                                  \ // odd groups: Z(b+4)
	DOT(Z9, Z21, Z5, Z15);                                  \
	DOT(Z9, Z22, Z6, Z26);                                  \
	DOT(Z9, Z23, Z7, Z27);                                  \
	ADDQ $128, G4_AP;                                       \
	ADDQ $8, G4_XP;                                         \
	DECQ G4_J;                                              \
	JNZ  g4loop;                                            \
                                                                \
g4odd:                                                          \
	TESTQ $1, G4_GROUPS;                                    \
	JZ    g4sum;                                            \
	VMOVDQU32    (G4_AP), Z8;                               \
	VPBROADCASTD (G4_XP), Z16;                              \
	VPBROADCASTD G4_QSTEP(G4_XP), Z17;                      \
	VPBROADCASTD 2*G4_QSTEP(G4_XP), Z18;                    \
	VPBROADCASTD 3*G4_QSTEP(G4_XP), Z19;                    \
	DOT(Z8, Z16, Z0, Z10);                                  \
	DOT(Z8, Z17, Z1, Z11);                                  \
	DOT(Z8, Z18, Z2, Z12);                                  \
	DOT(Z8, Z19, Z3, Z13);                                  \
                                                                \
g4sum:                                                          \
	VPADDD Z4, Z0, Z0;                                      \
	VPADDD Z5, Z1, Z1;                                      \
	VPADDD Z6, Z2, Z2;                                      \
	VPADDD Z7, Z3, Z3;                                      \
	CMPQ   G4_ROWS, $16;                                    \
	JLT    g4partial;                                       \
	G4_EPI(G4_STORE16);                                     \
	ADDQ   $64, G4_ROFF;                                    \
	SUBQ   $16, G4_ROWS;                                    \
	ADDQ   G4_STRIDE, G4_A;                                 \
	JMP    g4panel;                                         \
                                                                \
g4partial:                                                      \
	MOVQ G4_ROWS, CX;                                       \
	MASK(K1);                                               \ // K1 = the rows left
	G4_EPI(G4_STOREK);                                      \
                                                                \
g4done:                                                         \
	VZEROUPPER;                                             \
	RET

// func GemmInt8x4AVX512VNNI(y []float32, ldy int, rows int, a []int8, stride int, scale []float32, bias []int32, x []float32, ldx int, cols int, dyn bool, add bool)
// Requires: AVX512F, AVX512BW, AVX512DQ, AVX512VL, AVX512_VNNI
TEXT ·GemmInt8x4AVX512VNNI(SB), 0, $16512-162
	G4_BODY(DOT_VNNI)

// func GemmInt8x4AVX512(y []float32, ldy int, rows int, a []int8, stride int, scale []float32, bias []int32, x []float32, ldx int, cols int, dyn bool, add bool)
// Requires: AVX512F, AVX512BW, AVX512DQ, AVX512VL
TEXT ·GemmInt8x4AVX512(SB), 0, $16512-162
	I8_SET_ONES
	G4_BODY(DOT_BW)
