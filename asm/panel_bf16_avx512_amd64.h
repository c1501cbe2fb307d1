// The packed bf16 panel product for AVX-512, written once for every routine
// that multiplies a PackedBF16 by one vector: the products
// (gemv_bf16_avx512_amd64.s) and the fused steps (step_bf16_avx512_amd64.s).
// The routine supplies the dot product of one pair of columns and its
// epilogues.
//
//	#include "avx512_amd64.h"
//	#include "panel_bf16_avx512_amd64.h"
//
// The batched products (gemm_bf16_avx512_amd64.s) use its conversion,
// dot-product instruction (BF_VDP) and sums with loops of their own.
//
// The layout is that of kernels.PackedBF16: row i lies in panel p = i/16 at
// a[p*stride:], and pair k (columns 2k, 2k+1) of a panel is the 64 bytes at
// 64*k in it, one ZMM register whose 32-bit lane r holds row r's two bf16
// weights, column 2k in the low half. A tall panel (BF_TALL4_AVX512) holds
// 64 rows as four such blocks side by side: pair k of the panel is the 256
// bytes at 256*k, block j's 64 at 64*j in them.
//
// The sum is not associative, so the order is part of the specification
// (kernels/bf16.go): pair k goes to accumulator k%4 of its rows, the odd
// column first, each product added with one rounding, and the four are
// summed as (a0+a1)+(a2+a3). Four 16-row panels at a time (sixteen
// accumulators, Z0–Z15: panel j, phase k in Z(4j+k)), leftover panels one
// at a time (Z0–Z3); or the four blocks of a tall panel at once, block j
// as panel j: the same sums, read in one stream instead of four.
//
// Two dot products, one per target, each a macro
// DOT(m, xo, xe, acc, t, u, un, xn, accn): acc += the products of pair m,
// m a memory operand of 64 weight bytes, xo and xe the broadcast inputs of
// the odd and even columns, t and u temporaries; un, xn and accn are the
// numbers of u, xo and acc (for the raw encoding):
//
//	BF_DOT_NATIVE  VDPBF16PS (AVX512_BF16), which the Go assembler cannot
//	               spell: the weights are loaded into u and the instruction
//	               written in bytes; xo holds the pair of inputs (bf16)
//	BF_DOT_EMU     the weights widened to float32 by a mask (odd) and a
//	               shift (even), then two FMAs, the odd first: the same
//	               bits, as bf16.go shows; xo and xe hold float32 inputs
//
// The routine converts x into memory it owns (BF_CONVERT_AVX512: pairs of
// bf16 for the native product, float32s for the emulation, both rounded as
// kernels.toBF16), loads BF_ROWS = len(y), BF_A = &a[0], BF_STRIDE =
// stride (bytes), BF_X = the converted x, BF_PAIRS = ⌈len(x)/2⌉, then
// expands
//
//	BF_PANELS_AVX512(DOT, BCAST, XSTEP, EPI4, EPI1, EPIK)
//
// once (its labels are bf…), with BCAST and XSTEP (the bytes of converted
// x per pair) BF_BCAST_NATIVE and 4, or BF_BCAST_EMU and 8. The epilogues find the float32 sums of the
// rows at byte offset BF_ROFF (= 4*i) of y:
//
//	EPI4  rows i..i+64 in Z0–Z3, sixteen to a register
//	EPI1  rows i..i+16 in Z0
//	EPIK  the last len(y)%16 rows in the low lanes of Z0, selected by K1
//
// They may use AX, CX, DI, R15, Z0–Z27 and K2–K7, and must keep the
// registers named below, Z28–Z31 and K1.

#ifndef PANEL_BF16_AVX512_AMD64_H
#define PANEL_BF16_AVX512_AMD64_H

#define BF_ROFF    R9  // byte offset of the current rows in y: 4*i
#define BF_ROWS    BX  // rows left, counting those the epilogue finishes
#define BF_A       SI  // start of the current panel
#define BF_STRIDE  DX  // panel stride in bytes
#define BF_STRIDE3 R10 // 3*stride
#define BF_X       R8  // the converted x
#define BF_PAIRS   R11 // pairs of columns
#define BF_AP      R12 // walks the pairs of the current panels
#define BF_XP      R13 // walks the converted x
#define BF_J       R14 // pairs (or quadruples of pairs) left
#define BF_HIMASK  Z31 // 0xffff0000 in every lane, for BF_DOT_EMU
// Z16–Z23 hold the broadcasts of x during a product, Z24–Z27 the dot
// products' temporaries.

#define BF_DOT_NATIVE(m, xo, xe, acc, t, u, un, xn, accn) \
	VMOVDQU32 m, u; \
	BF_VDP(accn, xn, un)

// BF_VDP(accn, xn, un) is VDPBF16PS zmm(accn), zmm(xn), zmm(un), written in
// bytes: EVEX.512.F3.0F38.W0 52 /r; per 32-bit lane, acc += u.odd·x.odd,
// then acc += u.even·x.even, each fused.
#define BF_VDP(accn, xn, un) \
	BYTE $0x62;                                                                                             \
	BYTE $((((accn)>>3)&1^1)<<7 | (((un)>>4)&1^1)<<6 | (((un)>>3)&1^1)<<5 | (((accn)>>4)&1^1)<<4 | 2); \
	BYTE $(((xn)&15^15)<<3 | 6);                                                                            \
	BYTE $(0x40 | (((xn)>>4)&1^1)<<3);                                                                      \
	BYTE $0x52;                                                                                             \
	BYTE $(0xc0 | ((accn)&7)<<3 | ((un)&7))

#define BF_DOT_EMU(m, xo, xe, acc, t, u, un, xn, accn) \
	VPANDD      m, BF_HIMASK, t; \ // the odd columns' weights as float32
	VPSLLD      $16, m, u;       \ // the even columns'
	VFMADD231PS xo, t, acc;      \ // odd first, as VDPBF16PS
	VFMADD231PS xe, u, acc

#define BF_SET_HIMASK \
	MOVL         $0xffff0000, AX; \
	VPBROADCASTD AX, BF_HIMASK

// BF_PANELS_AVX512 walks y: groups of four panels while 64 rows are left,
// then single panels, then the partial last one, each product followed by
// its epilogue.
#define BF_PANELS_AVX512(DOT, BCAST, XSTEP, EPI4, EPI1, EPIK) \
	LEAQ (BF_STRIDE)(BF_STRIDE*2), BF_STRIDE3; \
	XORQ BF_ROFF, BF_ROFF;                     \
                                                   \
bfgroup4:                                          \
	CMPQ BF_ROWS, $64;                         \
	JLT  bfgroup1;                             \
	BF_PANEL4_AVX512(DOT, BCAST, XSTEP);              \
	EPI4;                                      \
	ADDQ $256, BF_ROFF;                        \
	SUBQ $64, BF_ROWS;                         \
	LEAQ (BF_A)(BF_STRIDE*4), BF_A;            \ // the next four panels
	JMP  bfgroup4;                             \
                                                   \
bfgroup1:                                          \
	TESTQ BF_ROWS, BF_ROWS;                    \
	JZ    bfdone;                              \
	BF_PANEL1_AVX512(DOT, BCAST, XSTEP);              \
	CMPQ  BF_ROWS, $16;                        \
	JLT   bfpartial;                           \
	EPI1;                                      \
	ADDQ  $64, BF_ROFF;                        \
	SUBQ  $16, BF_ROWS;                        \
	ADDQ  BF_STRIDE, BF_A;                     \
	JMP   bfgroup1;                            \
                                                   \
bfpartial:                                         \ // the last panel holds fewer than 16 rows of y
	MOVQ BF_ROWS, CX;                          \
	MASK(K1);                                  \ // K1 = the rows left
	EPIK;                                      \
                                                   \
bfdone:

// BF_PANEL4_AVX512 sets Z0–Z3 to the sums of the four panels at BF_A.
#define BF_PANEL4_AVX512(DOT, BCAST, XSTEP) \
	BF_QUADS(BF_PAIR4, 64, DOT, BCAST, XSTEP, bf4loop, bf4tail, bf4sum)

// BF_QUADS sets Z0–Z3 to the sums of four blocks of sixteen rows from
// BF_A, PAIR adding one pair of the four blocks into their accumulators of
// one phase, consecutive pairs PITCH bytes apart: pair k into phase k%4 of
// Z0–Z15, quadruples of pairs, then the 0–3 left over; lloop, ltail and
// lsum are its labels.
#define BF_QUADS(PAIR, PITCH, DOT, BCAST, XSTEP, lloop, ltail, lsum) \
	MOVQ BF_A, BF_AP;                                                      \
	MOVQ BF_X, BF_XP;                                                      \
	MOVQ BF_PAIRS, BF_J;                                                   \
	SHRQ $2, BF_J;                                                         \ // quadruples of pairs
	BF_ZERO16;                                                             \
	TESTQ BF_J, BF_J;                                                      \
	JZ    ltail;                                                           \
                                                                               \
lloop:                                                                         \
	BCAST(0, Z16, Z20);                                                    \
	BCAST(1, Z17, Z21);                                                    \
	BCAST(2, Z18, Z22);                                                    \
	BCAST(3, Z19, Z23);                                                    \
	PAIR(0, Z16, Z20, 16, Z0, 0, Z4, 4, Z8, 8, Z12, 12, DOT);              \ // pair k: phase 0
	PAIR(PITCH, Z17, Z21, 17, Z1, 1, Z5, 5, Z9, 9, Z13, 13, DOT);          \ // phase 1
	PAIR(2*PITCH, Z18, Z22, 18, Z2, 2, Z6, 6, Z10, 10, Z14, 14, DOT);      \ // phase 2
	PAIR(3*PITCH, Z19, Z23, 19, Z3, 3, Z7, 7, Z11, 11, Z15, 15, DOT);      \ // phase 3
	ADDQ $(4*PITCH), BF_AP;                                                \
	ADDQ $(4*XSTEP), BF_XP;                                                \
	DECQ BF_J;                                                             \
	JNZ  lloop;                                                            \
                                                                               \
ltail:                                                                         \ // 0–3 pairs left, into phases 0, 1, 2
	MOVQ BF_PAIRS, BF_J;                                                   \
	ANDQ $3, BF_J;                                                         \
	JZ   lsum;                                                             \
	BCAST(0, Z16, Z20);                                                    \
	PAIR(0, Z16, Z20, 16, Z0, 0, Z4, 4, Z8, 8, Z12, 12, DOT);              \
	CMPQ BF_J, $2;                                                         \
	JLT  lsum;                                                             \
	BCAST(1, Z17, Z21);                                                    \
	PAIR(PITCH, Z17, Z21, 17, Z1, 1, Z5, 5, Z9, 9, Z13, 13, DOT);          \
	CMPQ BF_J, $3;                                                         \
	JLT  lsum;                                                             \
	BCAST(2, Z18, Z22);                                                    \
	PAIR(2*PITCH, Z18, Z22, 18, Z2, 2, Z6, 6, Z10, 10, Z14, 14, DOT);      \
                                                                               \
lsum:                                                                          \
	BF_SUM16

// BF_PAIR4 adds the pair at off(BF_AP) of the four panels into their
// accumulators of one phase.
#define BF_PAIR4(off, xo, xe, xn, a0, a0n, a1, a1n, a2, a2n, a3, a3n, DOT) \
	DOT(off(BF_AP), xo, xe, a0, Z24, Z25, 25, xn, a0n);                  \
	DOT(off(BF_AP)(BF_STRIDE*1), xo, xe, a1, Z26, Z27, 27, xn, a1n);     \
	DOT(off(BF_AP)(BF_STRIDE*2), xo, xe, a2, Z24, Z25, 25, xn, a2n);     \
	DOT(off(BF_AP)(BF_STRIDE3*1), xo, xe, a3, Z26, Z27, 27, xn, a3n)

// BF_TALL4_AVX512 sets Z0–Z3 to the sums of the four 16-row blocks of the
// 64-row panel at BF_A: pair k of the panel is the 256 bytes at 256*k,
// block j's at 64*j in it, so that the product reads one stream.
#define BF_TALL4_AVX512(DOT, BCAST, XSTEP) \
	BF_QUADS(BF_TPAIR4, 256, DOT, BCAST, XSTEP, bft4loop, bft4tail, bft4sum)

// BF_TPAIR4 adds the pair at off(BF_AP) of a 64-row panel, its four blocks
// of sixteen rows, into their accumulators of one phase.
#define BF_TPAIR4(off, xo, xe, xn, a0, a0n, a1, a1n, a2, a2n, a3, a3n, DOT) \
	DOT(off(BF_AP), xo, xe, a0, Z24, Z25, 25, xn, a0n);     \
	DOT(off+64(BF_AP), xo, xe, a1, Z26, Z27, 27, xn, a1n);  \
	DOT(off+128(BF_AP), xo, xe, a2, Z24, Z25, 25, xn, a2n); \
	DOT(off+192(BF_AP), xo, xe, a3, Z26, Z27, 27, xn, a3n)

// BF_SUM16 sums the phases of four blocks (or panels) j, Z(4j)–Z(4j+3),
// as (a0 + a1) + (a2 + a3), into Zj.
#define BF_SUM16 \
	VADDPS Z1, Z0, Z0;    \
	VADDPS Z3, Z2, Z2;    \
	VADDPS Z2, Z0, Z0;    \
	VADDPS Z5, Z4, Z4;    \
	VADDPS Z7, Z6, Z6;    \
	VADDPS Z6, Z4, Z1;    \
	VADDPS Z9, Z8, Z8;    \
	VADDPS Z11, Z10, Z10; \
	VADDPS Z10, Z8, Z2;   \
	VADDPS Z13, Z12, Z12; \
	VADDPS Z15, Z14, Z14; \
	VADDPS Z14, Z12, Z3

// BF_PANEL1_AVX512 sets Z0 to the sums of the panel at BF_A.
#define BF_PANEL1_AVX512(DOT, BCAST, XSTEP) \
	MOVQ BF_A, BF_AP;                                  \
	MOVQ BF_X, BF_XP;                                  \
	MOVQ BF_PAIRS, BF_J;                               \
	SHRQ $2, BF_J;                                     \
	VXORPS Z0, Z0, Z0;                                 \
	VXORPS Z1, Z1, Z1;                                 \
	VXORPS Z2, Z2, Z2;                                 \
	VXORPS Z3, Z3, Z3;                                 \
	TESTQ BF_J, BF_J;                                  \
	JZ    bf1tail;                                     \
                                                           \
bf1loop:                                                   \
	BCAST(0, Z16, Z20);                      \
	BCAST(1, Z17, Z21);                      \
	BCAST(2, Z18, Z22);                      \
	BCAST(3, Z19, Z23);                      \
	DOT((BF_AP), Z16, Z20, Z0, Z24, Z25, 25, 16, 0);   \
	DOT(64(BF_AP), Z17, Z21, Z1, Z26, Z27, 27, 17, 1); \
	DOT(128(BF_AP), Z18, Z22, Z2, Z24, Z25, 25, 18, 2); \
	DOT(192(BF_AP), Z19, Z23, Z3, Z26, Z27, 27, 19, 3); \
	ADDQ $256, BF_AP;                                  \
	ADDQ $(4*XSTEP), BF_XP;                            \
	DECQ BF_J;                                         \
	JNZ  bf1loop;                                      \
                                                           \
bf1tail:                                                   \ // 0–3 pairs left, into phases 0, 1, 2
	MOVQ BF_PAIRS, BF_J;                               \
	ANDQ $3, BF_J;                                     \
	JZ   bf1sum;                                       \
	BCAST(0, Z16, Z20);                      \
	DOT((BF_AP), Z16, Z20, Z0, Z24, Z25, 25, 16, 0);   \
	CMPQ BF_J, $2;                                     \
	JLT  bf1sum;                                       \
	BCAST(1, Z17, Z21);                      \
	DOT(64(BF_AP), Z17, Z21, Z1, Z26, Z27, 27, 17, 1); \
	CMPQ BF_J, $3;                                     \
	JLT  bf1sum;                                       \
	BCAST(2, Z18, Z22);                      \
	DOT(128(BF_AP), Z18, Z22, Z2, Z24, Z25, 25, 18, 2); \
                                                           \
bf1sum:                                                    \
	VADDPS Z1, Z0, Z0;                                 \ // (a0 + a1) + (a2 + a3)
	VADDPS Z3, Z2, Z2;                                 \
	VADDPS Z2, Z0, Z0

// BF_ZERO16 zeroes the accumulators of four panels, Z0–Z15.
#define BF_ZERO16 \
	VXORPS Z0, Z0, Z0;    \
	VXORPS Z1, Z1, Z1;    \
	VXORPS Z2, Z2, Z2;    \
	VXORPS Z3, Z3, Z3;    \
	VXORPS Z4, Z4, Z4;    \
	VXORPS Z5, Z5, Z5;    \
	VXORPS Z6, Z6, Z6;    \
	VXORPS Z7, Z7, Z7;    \
	VXORPS Z8, Z8, Z8;    \
	VXORPS Z9, Z9, Z9;    \
	VXORPS Z10, Z10, Z10; \
	VXORPS Z11, Z11, Z11; \
	VXORPS Z12, Z12, Z12; \
	VXORPS Z13, Z13, Z13; \
	VXORPS Z14, Z14, Z14; \
	VXORPS Z15, Z15, Z15

// BF_ROUND16(z) rounds the sixteen float32s in z to bf16 as kernels.toBF16
// does, leaving each as the upper half of its lane (the lower half zero):
// zero below 2⁻⁵⁰, NaN made quiet, else to nearest, ties to even.
// Clobbers Z24, Z25, K2, K3.
#define BF_ROUND16(z) \
	VPSRLD      $16, z, Z24;            \
	VPANDD.BCST bfconst<>+0(SB), Z24, Z24; \ // the lowest kept bit
	VPADDD.BCST bfconst<>+4(SB), Z24, Z24; \ // + 0x7fff: to nearest, ties to even
	VPADDD      z, Z24, Z24;            \
	VCMPPS      $3, z, z, K2;           \ // K2 = NaN
	VPORD.BCST  bfconst<>+8(SB), z, K2, Z24; \ // NaN: made quiet, not rounded
	VPANDD.BCST bfconst<>+12(SB), z, Z25; \ // |x|
	VPCMPUD.BCST $5, bfconst<>+16(SB), Z25, K3; \ // K3 = |x| ≥ 2⁻⁵⁰ (or NaN)
	VPANDD.BCST bfconst<>+20(SB), Z24, K3, z; \
	KNOTW       K3, K3;                 \
	VPXORD      z, z, K3, z               // below 2⁻⁵⁰: +0

// BF_CONVERT_AVX512(x, n, dst, STORE) writes bf16(x_j) for the n floats
// at x to dst (a register, advanced by STORE): BF_STORE_NATIVE stores
// pairs of bf16 (two bytes each), BF_STORE_EMU float32s (four bytes each),
// then zeros up to the next multiple of sixteen values. Clobbers AX, CX,
// DI, Z24–Z26, K2, K3.
#define BF_CONVERT_AVX512(x, n, dst, STORE) \
	MOVQ x, DI;                   \
	MOVQ n, CX;                   \
                                      \
bfconv16:                             \
	CMPQ    CX, $16;              \
	JLT     bfconvtail;           \
	VMOVUPS (DI), Z26;            \
	BF_ROUND16(Z26);              \
	STORE(Z26, dst);              \
	ADDQ    $64, DI;              \
	SUBQ    $16, CX;              \
	JMP     bfconv16;             \
                                      \
bfconvtail:                           \
	TESTQ     CX, CX;             \
	JZ        bfconvdone;         \
	MASK(K3);                     \
	VMOVUPS.Z (DI), K3, Z26;      \ // masked lanes are 0
	BF_ROUND16(Z26);              \
	STORE(Z26, dst);              \
                                      \
bfconvdone:

#define BF_STORE_NATIVE(z, dst) \
	VPSRLD  $16, z, z; \
	VPMOVDW z, (dst);  \ // sixteen bf16
	ADDQ    $32, dst

#define BF_STORE_EMU(z, dst) \
	VMOVUPS z, (dst); \ // sixteen float32s
	ADDQ    $64, dst

// The broadcasts of the inputs of pair k past BF_XP: the pair of bf16
// (native), or x[2k+1] and x[2k] as float32s (emulation).
#define BF_BCAST_NATIVE(k, xo, xe) VPBROADCASTD k*4(BF_XP), xo
#define BF_BCAST_EMU(k, xo, xe) \
	VPBROADCASTD k*8+4(BF_XP), xo; \
	VPBROADCASTD k*8(BF_XP), xe

// The constants of BF_ROUND16.
DATA bfconst<>+0(SB)/4, $1
DATA bfconst<>+4(SB)/4, $0x7fff
DATA bfconst<>+8(SB)/4, $0x00400000  // the quiet bit
DATA bfconst<>+12(SB)/4, $0x7fffffff
DATA bfconst<>+16(SB)/4, $0x26800000 // 2⁻⁵⁰
DATA bfconst<>+20(SB)/4, $0xffff0000
GLOBL bfconst<>(SB), RODATA|NOPTR, $24

#endif
