// The packed bf16 panel product for AVX2, written once for every routine
// that multiplies a PackedBF16 by one vector on the avx2 and avxvnni
// targets: the products (gemv_bf16_avx2_amd64.s) and the fused steps
// (step_bf16_avx2_amd64.s). AVX2 has no bf16 instruction: the weights are
// widened to float32 by a mask (odd column) and a shift (even column) and
// multiplied with FMAs in the order of VDPBF16PS, which gives its bits (see
// kernels/bf16.go and panel_bf16_avx512_amd64.h).
//
//	#include "panel_bf16_avx2_amd64.h"
//
// Pair k of panel p is 64 bytes: rows 0–7 in the first YMM register, rows
// 8–15 in the second. One panel at a time, pair k into phase k%4, phase k
// in Y(2k):Y(2k+1), summed as (a0+a1)+(a2+a3).
//
// The routine converts x into memory it owns (BFY_CONVERT: float32s
// rounded to bf16), loads BFY_ROWS = len(y), BFY_A = &a[0], BFY_STRIDE =
// stride (bytes), BFY_X = the converted x, BFY_PAIRS = ⌈len(x)/2⌉, then
// expands
//
//	BFY_PANELS(EPI1, EPIP)
//
// once (its labels are bfy…). The epilogues find the float32 sums of the
// rows at byte offset BFY_ROFF (= 4*i) of y:
//
//	EPI1  rows i..i+16 in Y0:Y1
//	EPIP  the last BFY_ROWS = len(y)%16 rows in the low lanes of Y0:Y1 (the
//	      other lanes are padding rows: never store them)
//
// They may use AX, DI, R10–R15 and Y2–Y13, and must keep the other
// registers named below and BFY_HIMASK. No masked loads (see
// panel_avx2_amd64.h).

#ifndef PANEL_BF16_AVX2_AMD64_H
#define PANEL_BF16_AVX2_AMD64_H

#define BFY_ROFF   R9  // byte offset of the current rows in y: 4*i
#define BFY_ROWS   BX  // rows left, counting those the epilogue finishes
#define BFY_A      SI  // start of the current panel
#define BFY_STRIDE DX  // panel stride in bytes
#define BFY_X      R8  // the converted x: float32s
#define BFY_PAIRS  CX  // pairs of columns
#define BFY_P      R10 // pair cursor
#define BFY_XT     R12 // converted x cursor
#define BFY_K      R13 // loop counter
#define BFY_HIMASK Y14 // 0xffff0000 in every lane
// Y8–Y11 hold the broadcasts of x during a product, Y12 and Y13 the
// widened weights.

#define BFY_SET_HIMASK \
	MOVL         $0xffff0000, AX; \
	VMOVD        AX, X14;         \
	VPBROADCASTD X14, BFY_HIMASK

// BFY_DOT(off, xo, xe, acc) adds the products of the eight rows at
// off(BFY_P) of one pair: the odd column, then the even one, fused.
#define BFY_DOT(off, xo, xe, acc) \
	VPAND       off(BFY_P), BFY_HIMASK, Y12; \ // the odd column's weights as float32
	VMOVDQU     off(BFY_P), Y13;             \
	VPSLLD      $16, Y13, Y13;               \ // the even column's
	VFMADD231PS xo, Y12, acc;                \
	VFMADD231PS xe, Y13, acc

// BFY_PAIR(k, xo, xe, lo, hi) adds pair k past BFY_P and BFY_XT into the
// phase lo:hi.
#define BFY_PAIR(k, xo, xe, lo, hi) \
	VBROADCASTSS k*8+4(BFY_XT), xo; \ // x[2k+1]
	VBROADCASTSS k*8(BFY_XT), xe;   \ // x[2k]
	BFY_DOT(k*64, xo, xe, lo);      \
	BFY_DOT(k*64+32, xo, xe, hi)

// BFY_PANELS walks y a panel at a time, the last maybe partial, each
// product followed by its epilogue.
#define BFY_PANELS(EPI1, EPIP) \
	XORQ BFY_ROFF, BFY_ROFF;    \
                                    \
bfyone:                             \
	TESTQ BFY_ROWS, BFY_ROWS;   \
	JZ    bfydone;              \
	BFY_PANEL1;                 \
	CMPQ  BFY_ROWS, $16;        \
	JB    bfypartial;           \
	EPI1;                       \
	ADDQ  $64, BFY_ROFF;        \
	ADDQ  BFY_STRIDE, BFY_A;    \
	SUBQ  $16, BFY_ROWS;        \
	JMP   bfyone;               \
                                    \
bfypartial:                         \ // BFY_ROWS < 16 rows left
	EPIP;                       \
                                    \
bfydone:

// BFY_PANEL1 sets Y0:Y1 to the sums of the panel at BFY_A.
#define BFY_PANEL1 \
	VXORPS Y0, Y0, Y0;                  \
	VXORPS Y1, Y1, Y1;                  \
	VXORPS Y2, Y2, Y2;                  \
	VXORPS Y3, Y3, Y3;                  \
	VXORPS Y4, Y4, Y4;                  \
	VXORPS Y5, Y5, Y5;                  \
	VXORPS Y6, Y6, Y6;                  \
	VXORPS Y7, Y7, Y7;                  \
	MOVQ   BFY_A, BFY_P;                \
	MOVQ   BFY_X, BFY_XT;               \
	MOVQ   BFY_PAIRS, BFY_K;            \
	SHRQ   $2, BFY_K;                   \
	JZ     bfy1tail;                    \
                                            \
bfy1pairs4:                                 \
	BFY_PAIR(0, Y8, Y9, Y0, Y1);        \ // phase 0
	BFY_PAIR(1, Y10, Y11, Y2, Y3);      \ // phase 1
	BFY_PAIR(2, Y8, Y9, Y4, Y5);        \ // phase 2
	BFY_PAIR(3, Y10, Y11, Y6, Y7);      \ // phase 3
	ADDQ   $32, BFY_XT;                 \
	ADDQ   $256, BFY_P;                 \
	DECQ   BFY_K;                       \
	JNZ    bfy1pairs4;                  \
                                            \
bfy1tail:                                   \ // 0–3 pairs left, into phases 0, 1, 2
	MOVQ   BFY_PAIRS, BFY_K;            \
	ANDQ   $3, BFY_K;                   \
	JZ     bfy1sum;                     \
	BFY_PAIR(0, Y8, Y9, Y0, Y1);        \
	CMPQ   BFY_K, $2;                   \
	JB     bfy1sum;                     \
	BFY_PAIR(1, Y10, Y11, Y2, Y3);      \
	CMPQ   BFY_K, $3;                   \
	JB     bfy1sum;                     \
	BFY_PAIR(2, Y8, Y9, Y4, Y5);        \
                                            \
bfy1sum:                                    \ // (a0 + a1) + (a2 + a3)
	VADDPS Y2, Y0, Y0;                  \
	VADDPS Y6, Y4, Y4;                  \
	VADDPS Y4, Y0, Y0;                  \
	VADDPS Y3, Y1, Y1;                  \
	VADDPS Y7, Y5, Y5;                  \
	VADDPS Y5, Y1, Y1

// BFY_ROUND8(y) rounds the eight float32s in y to bf16 as kernels.toBF16
// does, each left as the upper half of its lane: zero below 2⁻⁵⁰, NaN made
// quiet, else to nearest, ties to even. Clobbers Y8–Y11.
#define BFY_ROUND8(y) \
	VPSRLD       $16, y, Y8;        \
	VPAND        bfyconst<>+0(SB), Y8, Y8;  \ // the lowest kept bit
	VPADDD       bfyconst<>+32(SB), Y8, Y8; \ // + 0x7fff: to nearest, ties to even
	VPADDD       y, Y8, Y8;         \
	VPOR         bfyconst<>+64(SB), y, Y9;  \ // NaN made quiet
	VCMPPS       $3, y, y, Y10;     \ // all ones where NaN
	VBLENDVPS    Y10, Y9, Y8, Y8;   \
	VPAND        BFY_HIMASK, Y8, Y8; \
	VPAND        bfyconst<>+96(SB), y, Y11;  \ // |x|
	VMOVDQU      bfyconst<>+128(SB), Y9;     \
	VPCMPGTD     Y11, Y9, Y11;      \ // all ones where 2⁻⁵⁰ > |x|
	VPANDN       Y8, Y11, y           // those lanes +0

// BFY_CONVERT(x, n, dst, tail) writes bf16(x_j) as float32s for the n
// floats at x to dst (a register, advanced), then zeros up to the next
// multiple of eight. tail is 32 bytes of the frame, where the last n%8
// floats are copied (without masked loads). Clobbers AX, DI, R10, R13,
// Y8–Y12.
#define BFY_CONVERT(x, n, dst, tail) \
	MOVQ x, DI;                   \
	MOVQ n, R13;                  \
                                      \
bfyconv8:                             \
	CMPQ    R13, $8;              \
	JB      bfyconvtail;          \
	VMOVUPS (DI), Y12;            \
	BFY_ROUND8(Y12);              \
	VMOVUPS Y12, (dst);           \
	ADDQ    $32, DI;              \
	ADDQ    $32, dst;             \
	SUBQ    $8, R13;              \
	JMP     bfyconv8;             \
                                      \
bfyconvtail:                          \
	TESTQ   R13, R13;             \
	JZ      bfyconvdone;          \
	VXORPS  Y12, Y12, Y12;        \
	VMOVUPS Y12, tail;            \ // zeros past the end
	LEAQ    tail, AX;             \
                                      \
bfyconvcopy:                          \
	MOVL    (DI), R10;            \
	MOVL    R10, (AX);            \
	ADDQ    $4, DI;               \
	ADDQ    $4, AX;               \
	DECQ    R13;                  \
	JNZ     bfyconvcopy;          \
	VMOVUPS tail, Y12;            \
	BFY_ROUND8(Y12);              \
	VMOVUPS Y12, (dst);           \
                                      \
bfyconvdone:

// The constants of BFY_ROUND8, a YMM register each.
DATA bfyconst<>+0(SB)/8, $0x0000000100000001
DATA bfyconst<>+8(SB)/8, $0x0000000100000001
DATA bfyconst<>+16(SB)/8, $0x0000000100000001
DATA bfyconst<>+24(SB)/8, $0x0000000100000001
DATA bfyconst<>+32(SB)/8, $0x00007fff00007fff
DATA bfyconst<>+40(SB)/8, $0x00007fff00007fff
DATA bfyconst<>+48(SB)/8, $0x00007fff00007fff
DATA bfyconst<>+56(SB)/8, $0x00007fff00007fff
DATA bfyconst<>+64(SB)/8, $0x0040000000400000 // the quiet bit
DATA bfyconst<>+72(SB)/8, $0x0040000000400000
DATA bfyconst<>+80(SB)/8, $0x0040000000400000
DATA bfyconst<>+88(SB)/8, $0x0040000000400000
DATA bfyconst<>+96(SB)/8, $0x7fffffff7fffffff
DATA bfyconst<>+104(SB)/8, $0x7fffffff7fffffff
DATA bfyconst<>+112(SB)/8, $0x7fffffff7fffffff
DATA bfyconst<>+120(SB)/8, $0x7fffffff7fffffff
DATA bfyconst<>+128(SB)/8, $0x2680000026800000 // 2⁻⁵⁰
DATA bfyconst<>+136(SB)/8, $0x2680000026800000
DATA bfyconst<>+144(SB)/8, $0x2680000026800000
DATA bfyconst<>+152(SB)/8, $0x2680000026800000
GLOBL bfyconst<>(SB), RODATA|NOPTR, $160

#endif
