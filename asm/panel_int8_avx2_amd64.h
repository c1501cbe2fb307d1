// The packed int8 panel product for AVX2, written once for every routine
// that multiplies a PackedInt8 by one vector on the avx2 and avxvnni
// targets: the products (gemv_int8_avx2_amd64.s) and the fused steps
// (step_int8_avx2_amd64.s). The routine supplies the dot product of one
// group and its epilogues.
//
//	#include "panel_int8_avx2_amd64.h"
//
// The layout is that of kernels.PackedInt8 (see panel_int8_avx512_amd64.h):
// group g of panel p is 64 bytes, rows 0–7 in the first YMM register and
// rows 8–15 in the second, each 32-bit lane one row's four weights. Two
// panels (32 rows) at a time with two group phases: panel p in Y0:Y1 (even
// groups) and Y2:Y3 (odd), panel p+1 in Y4:Y5 and Y6:Y7. Leftover panels
// go one at a time with four group phases, phase g%4 = k in Y(2k):Y(2k+1).
//
// Two dot products, one per target, each a macro
// DOT(m, x, acc, t, xn, accn, tn): acc += dot(m, x), m a memory operand of
// 32 weight bytes, x the broadcast activations, t a temporary, and xn, accn,
// tn the numbers of those registers (for the raw encoding):
//
//	DOT_MADD   VPMADDUBSW (u8×s8 pairs into int16, exact as |q| ≤ 64),
//	           VPMADDWD by ones (I8Y_ONES), VPADDD: AVX2
//	DOT_VNNI   VPDPBUSD, VEX-encoded (AVX-VNNI): the Go assembler knows
//	           only the EVEX form, which needs AVX512_VNNI and AVX512VL, so
//	           the weights are loaded and the instruction spelled in bytes
//
// The routine quantizes x into memory it owns (I8Y_QUANTIZE), loads
// I8Y_ROWS = len(y), I8Y_A = &a[0], I8Y_STRIDE = stride (bytes), I8Y_X =
// the quantized x, I8Y_GROUPS = ⌈len(x)/4⌉, then expands
//
//	I8Y_PANELS(DOT, EPI2, EPI1, EPIP)
//
// once (its labels are i8y…). The epilogues find the int32 sums of the
// rows at byte offset I8Y_ROFF (= 4*i) of y:
//
//	EPI2  rows i..i+32: i..i+16 in Y0:Y1, i+16..i+32 in Y4:Y5
//	EPI1  rows i..i+16 in Y0:Y1
//	EPIP  the last I8Y_ROWS = len(y)%16 rows in the low lanes of Y0:Y1 (the
//	      other lanes are padding rows: never store them)
//
// They may use AX, DI, R10–R15 and Y2–Y13, and must keep the other
// registers named below and I8Y_ONES, I8Y_D. No masked loads (see
// panel_avx2_amd64.h): tails go through the routine's frame.

#ifndef PANEL_INT8_AVX2_AMD64_H
#define PANEL_INT8_AVX2_AMD64_H

#define I8Y_ROFF   R9  // byte offset of the current rows in y: 4*i
#define I8Y_ROWS   BX  // rows left, counting those the epilogue finishes
#define I8Y_A      SI  // start of the current panel
#define I8Y_STRIDE DX  // panel stride in bytes
#define I8Y_X      R8  // the quantized x: four u8 per group
#define I8Y_GROUPS CX  // groups of four columns
#define I8Y_P0     R10 // group cursor in panel p
#define I8Y_P1     R11 // group cursor in panel p+1
#define I8Y_XT     R12 // quantized x cursor
#define I8Y_K      R13 // loop counter
#define I8Y_ONES   Y14 // int16 ones, for DOT_MADD
#define I8Y_D      Y15 // d, broadcast: the scale of the quantized x
// Y8–Y11 hold the broadcasts of x during a product, Y10–Y13 the dot
// products' temporaries.

#define DOT_MADD(m, x, acc, t, xn, accn, tn) \
	VPMADDUBSW m, x, t;        \ // int16: u[2k]·q[2k] + u[2k+1]·q[2k+1]
	VPMADDWD   I8Y_ONES, t, t; \ // int32: the four products of the lane
	VPADDD     t, acc, acc

// VPDPBUSD ymm(accn), ymm(xn), ymm(tn): VEX.256.66.0F38.W0 50 /r, acc +=
// Σ u8(x)·s8(t) per 32-bit lane.
#define DOT_VNNI(m, x, acc, t, xn, accn, tn) \
	VMOVDQU m, t;                                                    \
	BYTE    $0xc4;                                                   \
	BYTE    $((((accn)>>3)&1^1)<<7 | 1<<6 | (((tn)>>3)&1^1)<<5 | 2); \
	BYTE    $(((xn)^15)<<3 | 5);                                     \
	BYTE    $0x50;                                                   \
	BYTE    $(0xc0 | ((accn)&7)<<3 | ((tn)&7))

#define I8Y_SET_ONES \
	MOVL         $0x00010001, AX; \
	VMOVD        AX, X14;         \
	VPBROADCASTD X14, I8Y_ONES

// I8Y_PANELS walks y: pairs of panels while 32 rows are left, then single
// panels, then the partial last one, each product followed by its
// epilogue.
#define I8Y_PANELS(DOT, EPI2, EPI1, EPIP) \
	XORQ I8Y_ROFF, I8Y_ROFF;              \
                                              \
i8ypair:                                      \
	CMPQ I8Y_ROWS, $32;                   \
	JB   i8yone;                          \
	I8Y_PANEL2(DOT);                      \
	EPI2;                                 \
	ADDQ $128, I8Y_ROFF;                  \
	LEAQ (I8Y_A)(I8Y_STRIDE*2), I8Y_A;    \ // the next two panels
	SUBQ $32, I8Y_ROWS;                   \
	JMP  i8ypair;                         \
                                              \
i8yone:                                       \ // the last one or two panels; the last may be partial
	TESTQ I8Y_ROWS, I8Y_ROWS;             \
	JZ    i8ydone;                        \
	I8Y_PANEL1(DOT);                      \
	CMPQ  I8Y_ROWS, $16;                  \
	JB    i8ypartial;                     \
	EPI1;                                 \
	ADDQ  $64, I8Y_ROFF;                  \
	ADDQ  I8Y_STRIDE, I8Y_A;              \
	SUBQ  $16, I8Y_ROWS;                  \
	JMP   i8yone;                         \
                                              \
i8ypartial:                                   \ // I8Y_ROWS < 16 rows left
	EPIP;                                 \
                                              \
i8ydone:

// I8Y_ZERO zeroes the accumulators, Y0–Y7.
#define I8Y_ZERO \
	VPXOR Y0, Y0, Y0; \
	VPXOR Y1, Y1, Y1; \
	VPXOR Y2, Y2, Y2; \
	VPXOR Y3, Y3, Y3; \
	VPXOR Y4, Y4, Y4; \
	VPXOR Y5, Y5, Y5; \
	VPXOR Y6, Y6, Y6; \
	VPXOR Y7, Y7, Y7

// I8Y_PANEL2 sets Y0:Y1 and Y4:Y5 to the int32 sums of the two panels at
// I8Y_A.
#define I8Y_PANEL2(DOT) \
	I8Y_ZERO;                                      \
	MOVQ I8Y_A, I8Y_P0;                            \
	LEAQ (I8Y_A)(I8Y_STRIDE*1), I8Y_P1;            \
	MOVQ I8Y_X, I8Y_XT;                            \
	MOVQ I8Y_GROUPS, I8Y_K;                        \
	SHRQ $1, I8Y_K;                                \ // pairs of groups
	JZ   i8y2odd;                                  \
                                                       \
i8y2loop:                                              \
	VPBROADCASTD (I8Y_XT), Y8;                     \ // u[4g..4g+3]
	VPBROADCASTD 4(I8Y_XT), Y9;                    \ // u[4g+4..4g+7]
	DOT((I8Y_P0), Y8, Y0, Y10, 8, 0, 10);          \ // panel p, rows 0–7, group g
	DOT(32(I8Y_P0), Y8, Y1, Y11, 8, 1, 11);        \ // rows 8–15
	DOT((I8Y_P1), Y8, Y4, Y12, 8, 4, 12);          \ // panel p+1
	DOT(32(I8Y_P1), Y8, Y5, Y13, 8, 5, 13);        \
	DOT(64(I8Y_P0), Y9, Y2, Y10, 9, 2, 10);        \ // group g+1
	DOT(96(I8Y_P0), Y9, Y3, Y11, 9, 3, 11);        \
	DOT(64(I8Y_P1), Y9, Y6, Y12, 9, 6, 12);        \
	DOT(96(I8Y_P1), Y9, Y7, Y13, 9, 7, 13);        \
	ADDQ $8, I8Y_XT;                               \
	ADDQ $128, I8Y_P0;                             \
	ADDQ $128, I8Y_P1;                             \
	DECQ I8Y_K;                                    \
	JNZ  i8y2loop;                                 \
                                                       \
i8y2odd:                                               \
	TESTQ $1, I8Y_GROUPS;                          \
	JZ    i8y2sum;                                 \
	VPBROADCASTD (I8Y_XT), Y8;                     \ // the last group
	DOT((I8Y_P0), Y8, Y0, Y10, 8, 0, 10);          \
	DOT(32(I8Y_P0), Y8, Y1, Y11, 8, 1, 11);        \
	DOT((I8Y_P1), Y8, Y4, Y12, 8, 4, 12);          \
	DOT(32(I8Y_P1), Y8, Y5, Y13, 8, 5, 13);        \
                                                       \
i8y2sum:                                               \
	VPADDD Y2, Y0, Y0;                             \ // even + odd groups
	VPADDD Y3, Y1, Y1;                             \
	VPADDD Y6, Y4, Y4;                             \
	VPADDD Y7, Y5, Y5

// I8Y_PANEL1 sets Y0:Y1 to the int32 sums of the panel at I8Y_A.
#define I8Y_PANEL1(DOT) \
	I8Y_ZERO;                                      \
	MOVQ I8Y_A, I8Y_P0;                            \
	MOVQ I8Y_X, I8Y_XT;                            \
	MOVQ I8Y_GROUPS, I8Y_K;                        \
	SHRQ $2, I8Y_K;                                \
	JZ   i8y1tail;                                 \
                                                       \
i8y1groups4:                                           \
	VPBROADCASTD (I8Y_XT), Y8;                     \
	VPBROADCASTD 4(I8Y_XT), Y9;                    \
	VPBROADCASTD 8(I8Y_XT), Y10;                   \
	VPBROADCASTD 12(I8Y_XT), Y11;                  \
	DOT((I8Y_P0), Y8, Y0, Y12, 8, 0, 12);          \ // phase 0: group g
	DOT(32(I8Y_P0), Y8, Y1, Y13, 8, 1, 13);        \
	DOT(64(I8Y_P0), Y9, Y2, Y12, 9, 2, 12);        \ // phase 1
	DOT(96(I8Y_P0), Y9, Y3, Y13, 9, 3, 13);        \
	DOT(128(I8Y_P0), Y10, Y4, Y12, 10, 4, 12);     \ // phase 2
	DOT(160(I8Y_P0), Y10, Y5, Y13, 10, 5, 13);     \
	DOT(192(I8Y_P0), Y11, Y6, Y12, 11, 6, 12);     \ // phase 3
	DOT(224(I8Y_P0), Y11, Y7, Y13, 11, 7, 13);     \
	ADDQ $16, I8Y_XT;                              \
	ADDQ $256, I8Y_P0;                             \
	DECQ I8Y_K;                                    \
	JNZ  i8y1groups4;                              \
                                                       \
i8y1tail:                                              \
	MOVQ I8Y_GROUPS, I8Y_K;                        \
	ANDQ $3, I8Y_K;                                \
	JZ   i8y1sum;                                  \
                                                       \
i8y1groups1:                                           \
	VPBROADCASTD (I8Y_XT), Y8;                     \
	DOT((I8Y_P0), Y8, Y0, Y12, 8, 0, 12);          \
	DOT(32(I8Y_P0), Y8, Y1, Y13, 8, 1, 13);        \
	ADDQ $4, I8Y_XT;                               \
	ADDQ $64, I8Y_P0;                              \
	DECQ I8Y_K;                                    \
	JNZ  i8y1groups1;                              \
                                                       \
i8y1sum:                                               \
	VPADDD Y2, Y0, Y0;                             \ // sum the four phases
	VPADDD Y6, Y4, Y4;                             \
	VPADDD Y4, Y0, Y0;                             \
	VPADDD Y3, Y1, Y1;                             \
	VPADDD Y7, Y5, Y5;                             \
	VPADDD Y5, Y1, Y1

// I8Y_TOFLOAT(lo, hi, off, scale, bias) turns the int32 sums Σ q·u of the
// sixteen rows at byte offset I8Y_ROFF+off (lo: the first eight) into the
// products (float32(Σ q·v)·s)·d; scale and bias are the argument slots of
// the routine's slices (padded to whole panels). Clobbers AX.
#define I8Y_TOFLOAT(lo, hi, off, scale, bias) \
	MOVQ      bias, AX;                            \
	VPSUBD    off(AX)(I8Y_ROFF*1), lo, lo;         \ // Σ q·(v+127) − 127·Σ q = Σ q·v
	VPSUBD    off+32(AX)(I8Y_ROFF*1), hi, hi;      \
	VCVTDQ2PS lo, lo;                              \ // rounded to nearest even
	VCVTDQ2PS hi, hi;                              \
	MOVQ      scale, AX;                           \
	VMULPS    off(AX)(I8Y_ROFF*1), lo, lo;         \ // · s_i
	VMULPS    off+32(AX)(I8Y_ROFF*1), hi, hi;      \
	VMULPS    I8Y_D, lo, lo;                       \ // · d
	VMULPS    I8Y_D, hi, hi

// I8Y_SCALES(x, n, dyn, tmp) sets I8Y_D = d and Y13 = inv (broadcast), the
// scale pair of the n floats at x: static (127, 1/127) unless the byte dyn
// is set, then from m = max |x_j| (NaN ignored; inv = d = 0 for m = 0 or
// +Inf). tmp is 8 bytes of the frame. Clobbers AX, DI, R13, X0–X3, Y10–Y12.
#define I8Y_SCALES(x, n, dyn, tmp) \
	MOVL         $0x42fe0000, AX;    \ // 127
	VMOVD        AX, X13;            \
	VPBROADCASTD X13, Y13;           \
	MOVL         $0x3c010204, AX;    \ // float32(1/127)
	VMOVD        AX, X15;            \
	VPBROADCASTD X15, I8Y_D;         \
	CMPB         dyn, $0;            \
	JEQ          i8yscalesdone;      \
	MOVQ         x, DI;              \
	MOVQ         n, R13;             \
	MOVL         $0x7fffffff, AX;    \
	VMOVD        AX, X11;            \
	VPBROADCASTD X11, Y11;           \ // |·| mask
	VPXOR        Y12, Y12, Y12;      \ // m = 0
                                         \
i8ymax8:                                 \
	CMPQ   R13, $8;                  \
	JB     i8ymax1;                  \
	VANDPS (DI), Y11, Y10;           \ // |x|
	VMAXPS Y12, Y10, Y12;            \ // m = max(|x|, m): m when |x| is NaN
	ADDQ   $32, DI;                  \
	SUBQ   $8, R13;                  \
	JMP    i8ymax8;                  \
                                         \
i8ymax1:                                 \
	VEXTRACTF128 $1, Y12, X10;       \ // max over the lanes: exact in any order
	VMAXPS       X10, X12, X12;      \
	VPERMILPS    $0x4e, X12, X10;    \
	VMAXPS       X10, X12, X12;      \
	VPERMILPS    $0xb1, X12, X10;    \
	VMAXPS       X10, X12, X12;      \ // lane 0: m so far
                                         \
i8ymaxtail:                              \
	TESTQ  R13, R13;                 \
	JZ     i8ymaxdone;               \
	VMOVSS (DI), X10;                \
	VANDPS X11, X10, X10;            \
	VMAXSS X12, X10, X12;            \
	ADDQ   $4, DI;                   \
	DECQ   R13;                      \
	JMP    i8ymaxtail;               \
                                         \
i8ymaxdone:                              \
	VPXOR  Y13, Y13, Y13;            \ // inv = d = 0 …
	VPXOR  I8Y_D, I8Y_D, I8Y_D;      \
	VMOVD  X12, AX;                  \
	TESTL  AX, AX;                   \
	JZ     i8yscalesdone;            \ // … for m = 0
	CMPL   AX, $0x7f800000;          \
	JEQ    i8yscalesdone;            \ // … and for m = +Inf
	MOVL   $0x42fe0000, AX;          \
	VMOVD  AX, X10;                  \
	VDIVSS X12, X10, X13;            \ // inv = 127/m
	VDIVSS X10, X12, X15;            \ // d = m/127
	VPBROADCASTD X13, Y13;           \
	VPBROADCASTD X15, I8Y_D;         \
                                         \
i8yscalesdone:

// I8Y_QUANTIZE(x, n, dst, tail) writes u_j = 127 + v_j,
// v_j = roundEven(clamp(x_j·inv, −127, 127)) (0 for NaN), inv in Y13, for
// the n floats at x, as bytes at dst (a register, advanced), then u = 127
// up to the next multiple of 8 bytes: dst needs room for n rounded up to 8.
// tail is 32 bytes of the frame, where the last n%8 floats are copied
// (without masked loads). Clobbers AX, DI, R13, Y8–Y12.
#define I8Y_QUANTIZE(x, n, dst, tail) \
	MOVQ         x, DI;               \
	MOVQ         n, R13;              \
	MOVL         $0xc2fe0000, AX;     \ // -127
	VMOVD        AX, X9;              \
	VPBROADCASTD X9, Y9;              \
	MOVL         $0x42fe0000, AX;     \ // 127
	VMOVD        AX, X10;             \
	VPBROADCASTD X10, Y10;            \
	MOVL         $127, AX;            \
	VMOVD        AX, X11;             \
	VPBROADCASTD X11, Y11;            \
                                          \
i8yquant8:                                \
	CMPQ   R13, $8;                   \
	JB     i8yquanttail;              \
	VMULPS (DI), Y13, Y8;             \
	I8Y_QUANT8(Y8, X8, X12, dst);     \
	ADDQ   $32, DI;                   \
	ADDQ   $8, dst;                   \
	SUBQ   $8, R13;                   \
	JMP    i8yquant8;                 \
                                          \
i8yquanttail:                             \
	TESTQ R13, R13;                   \
	JZ    i8yquantdone;               \
	VPXOR Y8, Y8, Y8;                 \
	VMOVDQU Y8, tail;                 \ // zeros: u = 127 past the end
	LEAQ  tail, AX;                   \
                                          \
i8yquantcopy:                             \
	MOVL  (DI), R10;                  \
	MOVL  R10, (AX);                  \
	ADDQ  $4, DI;                     \
	ADDQ  $4, AX;                     \
	DECQ  R13;                        \
	JNZ   i8yquantcopy;               \
	VMULPS tail, Y13, Y8;             \
	I8Y_QUANT8(Y8, X8, X12, dst);     \
                                          \
i8yquantdone:

// I8Y_QUANT8 stores the eight bytes 127 + v of the products x·inv in y
// (x its low half). Clobbers y, t.
#define I8Y_QUANT8(y, x, t, dst) \
	VCMPPS       $7, y, y, Y12;  \ // all ones where not NaN
	VANDPS       Y12, y, y;      \ // NaN → 0
	VMAXPS       Y9, y, y;       \
	VMINPS       Y10, y, y;      \ // clamp to [−127, 127]
	VCVTPS2DQ    y, y;           \ // round to nearest even
	VPADDD       Y11, y, y;      \ // u = v + 127 in [0, 254]
	VEXTRACTI128 $1, y, t;       \
	VPACKUSDW    t, x, x;        \ // eight u16, in order
	VPACKUSWB    x, x, x;        \ // eight u8, twice
	VMOVQ        x, (dst)

#endif
