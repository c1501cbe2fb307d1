//go:build gc && !purego && !noasm

#include "textflag.h"
#include "avx512_amd64.h"
#include "panel_bf16_avx512_amd64.h"

// The batched bf16 products, four vectors at once, for AVX-512: each pair
// of weights is loaded once and multiplied by the four vectors, so a batch
// reads the weights a quarter as often. GemmBF16x4AVX512BF16 sums with
// VDPBF16PS, GemmBF16x4AVX512 emulates it with FMAs (the two products of
// panel_bf16_avx512_amd64.h), both in the order of kernels.PackedBF16: the
// same bits as four GemvBF16… calls.
//
// Each block of sixteen rows is one product: a panel of 16 rows is one
// block, a tall panel of 64 rows four, side by side (pair k of block j at
// 256*k + 64*j), so the pairs of a block lie pitch = 4·h bytes apart. The
// sixteen accumulators are vector b's phase k in Z(4b+k), which
// BF_SUM16 sums into Zb.

// The frame: the four converted vectors, B4_QSTEP apart (MaxQuantCols
// values and room for the last sixteen: 8256 bytes as pairs of bf16,
// native; 16448 as float32s, emulated), then the blocks left in the
// current panel.
#define B4_QNATIVE 8256
#define B4_QEMU    16448

// Register roles.
#define B4_Y      DI  // &y[0][0]
#define B4_LDY    R8  // ldy in bytes
#define B4_ROFF   R9  // byte offset of the current rows in each y
#define B4_ROWS   BX  // rows left
#define B4_A      SI  // start of the current block
#define B4_STRIDE DX  // panel stride in bytes
#define B4_PAIRS  R10 // pairs of columns
#define B4_AP     R11 // walks the pairs of the block
#define B4_XP     R12 // walks the converted vectors
#define B4_J      R13 // quadruples of pairs left
#define B4_YB     R14 // the rows of vector b's y
#define B4_PITCH  R15 // bytes from one pair of a block to the next
#define B4_PITCH3 AX  // 3·pitch (MASK takes AX, in the last block only)

// B4_PAIR_NATIVE(m, k, QSTEP, a0, a0n, a1, a1n, a2, a2n, a3, a3n) adds pair
// m, phase k of a quadruple, into the accumulators a_b of the four vectors:
// the weights loaded once, each vector's pair of bf16 inputs broadcast.
#define B4_PAIR_NATIVE(m, k, QSTEP, a0, a0n, a1, a1n, a2, a2n, a3, a3n) \
	VMOVDQU32    m, Z24;                      \
	VPBROADCASTD k*4(B4_XP), Z16;             \
	VPBROADCASTD k*4+QSTEP(B4_XP), Z17;       \
	VPBROADCASTD k*4+2*QSTEP(B4_XP), Z18;     \
	VPBROADCASTD k*4+3*QSTEP(B4_XP), Z19;     \
	BF_VDP(a0n, 16, 24);                      \
	BF_VDP(a1n, 17, 24);                      \
	BF_VDP(a2n, 18, 24);                      \
	BF_VDP(a3n, 19, 24)

// B4_PAIR_EMU is B4_PAIR_NATIVE with the weights widened to float32 once
// (odd columns by a mask, even by a shift) and two FMAs a vector, the odd
// column first.
#define B4_PAIR_EMU(m, k, QSTEP, a0, a0n, a1, a1n, a2, a2n, a3, a3n) \
	VPANDD       m, BF_HIMASK, Z24;           \
	VPSLLD       $16, m, Z25;                 \
	VPBROADCASTD k*8+4(B4_XP), Z16;           \ // vector 0's x[2k+1]
	VPBROADCASTD k*8(B4_XP), Z17;             \ // and x[2k]
	VPBROADCASTD k*8+4+QSTEP(B4_XP), Z18;     \
	VPBROADCASTD k*8+QSTEP(B4_XP), Z19;       \
	VPBROADCASTD k*8+4+2*QSTEP(B4_XP), Z20;   \
	VPBROADCASTD k*8+2*QSTEP(B4_XP), Z21;     \
	VPBROADCASTD k*8+4+3*QSTEP(B4_XP), Z22;   \
	VPBROADCASTD k*8+3*QSTEP(B4_XP), Z23;     \
	VFMADD231PS  Z16, Z24, a0;                \
	VFMADD231PS  Z17, Z25, a0;                \
	VFMADD231PS  Z18, Z24, a1;                \
	VFMADD231PS  Z19, Z25, a1;                \
	VFMADD231PS  Z20, Z24, a2;                \
	VFMADD231PS  Z21, Z25, a2;                \
	VFMADD231PS  Z22, Z24, a3;                \
	VFMADD231PS  Z23, Z25, a3

// The four phases of a quadruple, each with the accumulators of its phase.
#define B4_PHASE0(PAIR, QSTEP) PAIR((B4_AP), 0, QSTEP, Z0, 0, Z4, 4, Z8, 8, Z12, 12)
#define B4_PHASE1(PAIR, QSTEP) PAIR((B4_AP)(B4_PITCH*1), 1, QSTEP, Z1, 1, Z5, 5, Z9, 9, Z13, 13)
#define B4_PHASE2(PAIR, QSTEP) PAIR((B4_AP)(B4_PITCH*2), 2, QSTEP, Z2, 2, Z6, 6, Z10, 10, Z14, 14)
#define B4_PHASE3(PAIR, QSTEP) PAIR((B4_AP)(B4_PITCH3*1), 3, QSTEP, Z3, 3, Z7, 7, Z11, 11, Z15, 15)

// B4_STORE16 stores vector b's sixteen rows (y += them when add).
#define B4_STORE16(acc) \
	CMPB    add+120(FP), $0;              \
	JEQ     2(PC);                        \
	VADDPS  (B4_YB)(B4_ROFF*1), acc, acc; \
	VMOVUPS acc, (B4_YB)(B4_ROFF*1)

// B4_STOREK stores the rows of a partial block selected by K1.
#define B4_STOREK(acc) \
	CMPB      add+120(FP), $0;                 \
	JEQ       3(PC);                           \
	VMOVUPS.Z (B4_YB)(B4_ROFF*1), K1, Z24;     \
	VADDPS    Z24, acc, acc;                   \
	VMOVUPS   acc, K1, (B4_YB)(B4_ROFF*1)

// B4_EPI(STORE) stores the four vectors' sums of a block, Z0–Z3.
#define B4_EPI(STORE) \
	MOVQ B4_Y, B4_YB;   \
	STORE(Z0);          \
	ADDQ B4_LDY, B4_YB; \
	STORE(Z1);          \
	ADDQ B4_LDY, B4_YB; \
	STORE(Z2);          \
	ADDQ B4_LDY, B4_YB; \
	STORE(Z3)

// B4_BODY is the whole routine after the prologue: PAIR the dot product,
// XSTEP the bytes of a converted vector per pair, QSTEP the bytes from one
// converted vector to the next, STORE how BF_CONVERT_AVX512 writes them.
#define B4_BODY(PAIR, XSTEP, QSTEP, STORE) \
	MOVQ x_base+80(FP), R13;                                \ // convert each vector
	LEAQ 0(SP), R12;                                        \
	XORQ R14, R14;                                          \
                                                                \
b4conv:                                                         \
	MOVQ R12, R15;                                          \
	BF_CONVERT_AVX512(R13, cols+112(FP), R15, STORE);       \
	MOVQ ldx+104(FP), AX;                                   \
	LEAQ (R13)(AX*4), R13;                                  \ // the next vector
	ADDQ $QSTEP, R12;                                       \
	INCQ R14;                                               \
	CMPQ R14, $4;                                           \
	JLT  b4conv;                                            \
                                                                \
	MOVQ y_base+0(FP), B4_Y;                                \
	MOVQ ldy+24(FP), B4_LDY;                                \
	SHLQ $2, B4_LDY;                                        \
	MOVQ rows+32(FP), B4_ROWS;                              \
	MOVQ a_base+40(FP), B4_A;                               \
	MOVQ stride+64(FP), B4_STRIDE;                          \
	SHLQ $1, B4_STRIDE;                                     \ // elements to bytes
	MOVQ h+72(FP), B4_PITCH;                                \
	SHLQ $2, B4_PITCH;                                      \ // 4·h bytes a pair
	LEAQ (B4_PITCH)(B4_PITCH*2), B4_PITCH3;                 \
	MOVQ cols+112(FP), B4_PAIRS;                            \
	INCQ B4_PAIRS;                                          \
	SHRQ $1, B4_PAIRS;                                      \ // ⌈cols/2⌉
	XORQ B4_ROFF, B4_ROFF;                                  \
                                                                \
b4panel:                                                        \
	MOVQ B4_PITCH, B4_J;                                    \
	SHRQ $6, B4_J;                                          \
	MOVQ B4_J, 4*QSTEP(SP);                                 \ // blocks in the panel: pitch/64
                                                                \
b4block:                                                        \
	TESTQ B4_ROWS, B4_ROWS;                                 \
	JZ    b4done;                                           \
	BF_ZERO16;                                              \
	MOVQ  B4_A, B4_AP;                                      \
	LEAQ  0(SP), B4_XP;                                     \
	MOVQ  B4_PAIRS, B4_J;                                   \
	SHRQ  $2, B4_J;                                         \ // quadruples of pairs
	JZ    b4tail;                                           \
                                                                \
b4loop:                                                         \
	B4_PHASE0(PAIR, QSTEP);                                 \
	B4_PHASE1(PAIR, QSTEP);                                 \
	B4_PHASE2(PAIR, QSTEP);                                 \
	B4_PHASE3(PAIR, QSTEP);                                 \
	LEAQ (B4_AP)(B4_PITCH*4), B4_AP;                        \
	ADDQ $(4*XSTEP), B4_XP;                                 \
	DECQ B4_J;                                              \
	JNZ  b4loop;                                            \
                                                                \
b4tail:                                                         \ // 0–3 pairs left, into phases 0, 1, 2
	MOVQ B4_PAIRS, B4_J;                                    \
	ANDQ $3, B4_J;                                          \
	JZ   b4sum;                                             \
	B4_PHASE0(PAIR, QSTEP);                                 \
	CMPQ B4_J, $2;                                          \
	JLT  b4sum;                                             \
	B4_PHASE1(PAIR, QSTEP);                                 \
	CMPQ B4_J, $3;                                          \
	JLT  b4sum;                                             \
	B4_PHASE2(PAIR, QSTEP);                                 \
                                                                \
b4sum:                                                          \
	BF_SUM16;                                               \ // vector b's sums in Zb
	CMPQ B4_ROWS, $16;                                      \
	JLT  b4partial;                                         \
	B4_EPI(B4_STORE16);                                     \
	ADDQ $64, B4_ROFF;                                      \
	SUBQ $16, B4_ROWS;                                      \
	ADDQ $64, B4_A;                                         \ // the next block of the panel
	DECQ 4*QSTEP(SP);                                       \
	JNZ  b4block;                                           \
	ADDQ B4_STRIDE, B4_A;                                   \ // the next panel
	SUBQ B4_PITCH, B4_A;                                    \
	JMP  b4panel;                                           \
                                                                \
b4partial:                                                      \ // the last block holds fewer than 16 rows of y
	MOVQ B4_ROWS, CX;                                       \
	MASK(K1);                                               \ // K1 = the rows left
	B4_EPI(B4_STOREK);                                      \
                                                                \
b4done:                                                         \
	VZEROUPPER;                                             \
	RET

// func GemmBF16x4AVX512BF16(y []float32, ldy int, rows int, a []uint16, stride int, h int, x []float32, ldx int, cols int, add bool)
// Requires: AVX512F, AVX512BW, AVX512DQ, AVX512VL, AVX512_BF16
TEXT ·GemmBF16x4AVX512BF16(SB), 0, $33032-121
	B4_BODY(B4_PAIR_NATIVE, 4, B4_QNATIVE, BF_STORE_NATIVE)

// func GemmBF16x4AVX512(y []float32, ldy int, rows int, a []uint16, stride int, h int, x []float32, ldx int, cols int, add bool)
// Requires: AVX512F, AVX512BW, AVX512DQ, AVX512VL
TEXT ·GemmBF16x4AVX512(SB), 0, $65800-121
	BF_SET_HIMASK
	B4_BODY(B4_PAIR_EMU, 8, B4_QEMU, BF_STORE_EMU)
