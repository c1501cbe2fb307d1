// The packed bf16 panel product for NEON, written once for every routine
// that multiplies a PackedBF16 by one vector on the neon and neondot
// targets: the products (gemv_bf16_neon_arm64.s) and the fused steps
// (step_bf16_neon_arm64.s). ARMv8.0 has no bf16 instruction (and ARMv8.6's
// BFDOT does not round like VDPBF16PS): the weights are widened to float32
// by a mask (odd column) and a shift (even column) and multiplied with
// FMLA in the order of VDPBF16PS, which gives its bits (see
// kernels/bf16.go).
//
//	#include "neon_arm64.h"
//	#include "neon_quant_arm64.h"
//	#include "panel_bf16_neon_arm64.h"
//
// Pair k of a sixteen-row panel is 64 bytes, four registers of four rows.
// One panel at a time, pair k into phase k%4, phase k in V(16+4k)–V(19+4k),
// summed as (a0+a1)+(a2+a3) into V16–V19.
//
// The routine converts x into memory it owns (BFN_CONVERT: float32s
// rounded to bf16, zeros after them up to a multiple of sixteen), loads
// BFN_ROWS = len(y), BFN_A = &a[0], BFN_STRIDE = stride (bytes), BFN_X =
// the converted x, BFN_PAIRS = ⌈len(x)/2⌉, BFN_YP = &y[0], then expands
//
//	BFN_PANELS(EPI, EPIP)
//
// once (its labels are bfn…): after each product EPI stores sixteen rows
// (V16–V19) at BFN_YP and advances it, or EPIP the last BFN_ROWS < 16
// (never the padding rows). They may use R11–R17, R19–R25, V0–V14 and
// V20–V31, and must keep the registers named below and BFN_HIMASK.

#ifndef PANEL_BF16_NEON_ARM64_H
#define PANEL_BF16_NEON_ARM64_H

#define BFN_YP     R0 // the rows of y the epilogue stores
#define BFN_ROWS   R1 // rows left, counting those the epilogue finishes
#define BFN_A      R2 // start of the current panel
#define BFN_STRIDE R3 // panel stride in bytes
#define BFN_X      R4 // the converted x: float32s
#define BFN_PAIRS  R5 // pairs of columns
#define BFN_P      R6 // walks the pairs of the current panel
#define BFN_XT     R7 // walks the converted x
#define BFN_J      R8 // loop counter
#define BFN_HIMASK 15 // V15: 0xffff0000 in every lane

#define BFN_SET_HIMASK \
	MOVW $0xffff0000, R11; \
	VDUP R11, V15.S4

// BFN_PANELS walks y a panel at a time, the last maybe partial.
#define BFN_PANELS(EPI, EPIP) \
bfnpanel:                     \
	CBZ  BFN_ROWS, bfndone;   \
	BFN_PANEL;                \
	CMP  $16, BFN_ROWS;       \
	BLT  bfnpartial;          \
	EPI;                      \
	ADD  BFN_STRIDE, BFN_A;   \
	SUB  $16, BFN_ROWS;       \
	B    bfnpanel;            \
                                  \
bfnpartial:                       \
	EPIP;                     \
                                  \
bfndone:

// BFN_PAIR(xr, io, ie, a) adds the pair in V2–V5 into the phase whose first
// accumulator is a: the odd column's weights (masked) times lane io of V(xr),
// then the even column's (shifted) times lane ie, four rows a register.
#define BFN_PAIR(xr, io, ie, a) \
	VAND  V15.B16, V2.B16, V7.B16;  \ // odd column, as float32
	VAND  V15.B16, V3.B16, V8.B16;  \
	VAND  V15.B16, V4.B16, V9.B16;  \
	VAND  V15.B16, V5.B16, V10.B16; \
	VSHL  $16, V2.S4, V11.S4;       \ // even column
	VSHL  $16, V3.S4, V12.S4;       \
	VSHL  $16, V4.S4, V13.S4;       \
	VSHL  $16, V5.S4, V14.S4;       \
	VFMLAE4S(xr, io, 7, a);         \ // odd first, as VDPBF16PS
	VFMLAE4S(xr, io, 8, a+1);       \
	VFMLAE4S(xr, io, 9, a+2);       \
	VFMLAE4S(xr, io, 10, a+3);      \
	VFMLAE4S(xr, ie, 11, a);        \
	VFMLAE4S(xr, ie, 12, a+1);      \
	VFMLAE4S(xr, ie, 13, a+2);      \
	VFMLAE4S(xr, ie, 14, a+3)

#define BFN_LOADPAIR VLD1.P 64(BFN_P), [V2.S4, V3.S4, V4.S4, V5.S4]

// BFN_PANEL sets V16–V19 to the sums of the panel at BFN_A.
#define BFN_PANEL \
	MOVD BFN_A, BFN_P;                                 \
	MOVD BFN_X, BFN_XT;                                \
	LSR  $2, BFN_PAIRS, BFN_J;                         \
	VEOR V16.B16, V16.B16, V16.B16;                    \
	VEOR V17.B16, V17.B16, V17.B16;                    \
	VEOR V18.B16, V18.B16, V18.B16;                    \
	VEOR V19.B16, V19.B16, V19.B16;                    \
	VEOR V20.B16, V20.B16, V20.B16;                    \
	VEOR V21.B16, V21.B16, V21.B16;                    \
	VEOR V22.B16, V22.B16, V22.B16;                    \
	VEOR V23.B16, V23.B16, V23.B16;                    \
	VEOR V24.B16, V24.B16, V24.B16;                    \
	VEOR V25.B16, V25.B16, V25.B16;                    \
	VEOR V26.B16, V26.B16, V26.B16;                    \
	VEOR V27.B16, V27.B16, V27.B16;                    \
	VEOR V28.B16, V28.B16, V28.B16;                    \
	VEOR V29.B16, V29.B16, V29.B16;                    \
	VEOR V30.B16, V30.B16, V30.B16;                    \
	VEOR V31.B16, V31.B16, V31.B16;                    \
	CBZ  BFN_J, bfntail;                               \
                                                           \
bfn4:                                                      \
	VLD1.P 32(BFN_XT), [V0.S4, V1.S4];                 \ // x[2k..2k+7]
	BFN_LOADPAIR;                                      \
	BFN_PAIR(0, 1, 0, 16);                             \ // pair k: phase 0
	BFN_LOADPAIR;                                      \
	BFN_PAIR(0, 3, 2, 20);                             \ // phase 1
	BFN_LOADPAIR;                                      \
	BFN_PAIR(1, 1, 0, 24);                             \ // phase 2
	BFN_LOADPAIR;                                      \
	BFN_PAIR(1, 3, 2, 28);                             \ // phase 3
	SUB    $1, BFN_J;                                  \
	CBNZ   BFN_J, bfn4;                                \
                                                           \
bfntail:                                                   \ // 0–3 pairs left, into phases 0, 1, 2
	AND    $3, BFN_PAIRS, BFN_J;                       \
	CBZ    BFN_J, bfnsum;                              \
	VLD1   (BFN_XT), [V0.S4, V1.S4];                   \ // within the zero padding
	BFN_LOADPAIR;                                      \
	BFN_PAIR(0, 1, 0, 16);                             \
	CMP    $2, BFN_J;                                  \
	BLT    bfnsum;                                     \
	BFN_LOADPAIR;                                      \
	BFN_PAIR(0, 3, 2, 20);                             \
	CMP    $3, BFN_J;                                  \
	BLT    bfnsum;                                     \
	BFN_LOADPAIR;                                      \
	BFN_PAIR(1, 1, 0, 24);                             \
                                                           \
bfnsum:                                                    \ // (a0 + a1) + (a2 + a3)
	VFADD4S(20, 16, 16);                               \
	VFADD4S(21, 17, 17);                               \
	VFADD4S(22, 18, 18);                               \
	VFADD4S(23, 19, 19);                               \
	VFADD4S(28, 24, 24);                               \
	VFADD4S(29, 25, 25);                               \
	VFADD4S(30, 26, 26);                               \
	VFADD4S(31, 27, 27);                               \
	VFADD4S(24, 16, 16);                               \
	VFADD4S(25, 17, 17);                               \
	VFADD4S(26, 18, 18);                               \
	VFADD4S(27, 19, 19)

// BFN_ROUND(r, n) rounds the four float32s in register r (number n) to
// bf16 as kernels.toBF16 does, each left as the upper half of its lane:
// zero below 2⁻⁵⁰, NaN made quiet, else to nearest, ties to even. The
// constants are in V20–V26 (BFN_CONSTANTS). Clobbers V27–V29.
#define BFN_ROUND(r, n) \
	VUSHR $16, r.S4, V27.S4;          \
	VAND  V20.B16, V27.B16, V27.B16;  \ // the lowest kept bit
	VADD  V21.S4, V27.S4, V27.S4;     \ // + 0x7fff: to nearest, ties to even
	VADD  r.S4, V27.S4, V27.S4;       \
	VORR  V22.B16, r.B16, V28.B16;    \ // NaN made quiet
	VFCMEQ4S(n, n, 29);               \ // all ones where not NaN
	VBIF  V29.B16, V28.B16, V27.B16;  \ // NaN lanes from V28
	VAND  V23.B16, V27.B16, V27.B16;  \ // the upper half
	VAND  V24.B16, r.B16, V28.B16;    \ // |x|
	VCMHI4S(28, 25, 29);              \ // all ones where 2⁻⁵⁰ > |x|
	VBIT  V29.B16, V26.B16, V27.B16;  \ // those lanes +0
	VMOV  V27.B16, r.B16

#define BFN_CONSTANTS \
	MOVW $1, R11;          \
	VDUP R11, V20.S4;      \
	MOVW $0x7fff, R11;     \
	VDUP R11, V21.S4;      \
	MOVW $0x00400000, R11; \ // the quiet bit
	VDUP R11, V22.S4;      \
	MOVW $0xffff0000, R11; \
	VDUP R11, V23.S4;      \
	MOVW $0x7fffffff, R11; \
	VDUP R11, V24.S4;      \
	MOVW $0x26800000, R11; \ // 2⁻⁵⁰
	VDUP R11, V25.S4;      \
	VEOR V26.B16, V26.B16, V26.B16

// BFN_ROUND16 rounds the sixteen float32s in V1–V4.
#define BFN_ROUND16 \
	BFN_ROUND(V1, 1); \
	BFN_ROUND(V2, 2); \
	BFN_ROUND(V3, 3); \
	BFN_ROUND(V4, 4)

// BFN_CONVERT(x, n, dst, scratch) writes bf16(x_j) as float32s for the n
// floats at x to dst (a register, advanced), then zeros up to the next
// multiple of sixteen. scratch is the address of 64 bytes of the frame,
// where the last n%16 floats are copied. Clobbers R11–R14, R16, V1–V4,
// V20–V29.
#define BFN_CONVERT(x, n, dst, scratch) \
	BFN_CONSTANTS;                                      \
	MOVD x, R12;                                        \
	MOVD n, R13;                                        \
                                                            \
bfnconv16:                                                  \
	CMP    $16, R13;                                    \
	BLT    bfnconvtail;                                 \
	VLD1.P 64(R12), [V1.S4, V2.S4, V3.S4, V4.S4];       \
	BFN_ROUND16;                                        \
	VST1.P [V1.S4, V2.S4, V3.S4, V4.S4], 64(dst);       \
	SUB    $16, R13;                                    \
	B      bfnconv16;                                   \
                                                            \
bfnconvtail:                                                \
	CBZ    R13, bfnconvdone;                            \
	QN_TAIL(R12, R13, scratch, bfnconvcopy);            \ // zeros past the end
	VLD1   (R14), [V1.S4, V2.S4, V3.S4, V4.S4];         \
	BFN_ROUND16;                                        \
	VST1.P [V1.S4, V2.S4, V3.S4, V4.S4], 64(dst);       \
                                                            \
bfnconvdone:

#endif
