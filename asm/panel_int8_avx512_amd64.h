// The packed int8 panel product for AVX-512, written once for every
// routine that multiplies a PackedInt8 by one vector: the products
// (GemvInt8AVX512, GemvInt8AVX512VNNI, gemv_int8_avx512_amd64.s) and the
// fused steps (step_int8_avx512_amd64.s). The routine supplies the dot
// product of one group (how four u8×s8 products are summed into each int32
// lane) and its epilogues.
//
//	#include "avx512_amd64.h"
//	#include "panel_int8_avx512_amd64.h"
//
// The layout is that of kernels.PackedInt8: row i lies in panel p = i/16 at
// a[p*stride:], and group g (columns 4g..4g+3) of a panel is the 64 bytes
// at 64*g in it, one ZMM register whose 32-bit lane r holds row r's four
// int8 weights. The quantized input is four u8 per group (u = v + 127), so
// a broadcast of one 32-bit word of it feeds whole panels: no horizontal
// sums. Four panels (64 rows) at a time with even and odd groups in
// separate accumulators; leftover panels, or every panel where the routine
// asks for one stream, one at a time with eight group phases. Integer sums
// are exact in any order. Four streams win while the weights sit in L1;
// in L2 one stream reads faster (on Zen 5, 1.4× at 256 KiB), as for the
// float32 panels.
//
// Two dot products, one per target:
//
//	DOT_VNNI  VPDPBUSD: acc += Σ of the four u8×s8 products, one
//	          instruction (AVX512_VNNI)
//	DOT_BW    VPMADDUBSW (u8×s8, adjacent pairs summed into int16; exact,
//	          as |q| ≤ 64 keeps 2·254·64 below 32767), VPMADDWD by ones
//	          (pairs of int16 into int32), VPADDD (AVX512BW)
//
// each a macro DOT(m, x, acc, t): acc += dot(m, x) with m a memory operand
// of 64 weight bytes, x the broadcast activations, t a temporary. DOT_BW
// needs I8_ONES (Z31) to hold int16 ones: I8_SET_ONES.
//
// The routine quantizes x into memory it owns (I8_QUANTIZE_AVX512), loads
// I8_ROWS = len(y), I8_A = &a[0], I8_STRIDE = stride (bytes), I8_X = the
// quantized x, I8_GROUPS = ⌈len(x)/4⌉, then expands
//
//	I8_PANELS_AVX512(DOT, FOUR, EPI4, EPI1, EPIK)
//
// once (its labels are i8…), FOUR being instructions that jump to i8group1
// unless the product is to read four panels at a time. The epilogues find
// the int32 sums of the rows at byte offset I8_ROFF (= 4*i) of y, like
// those of panel_avx512_amd64.h:
//
//	EPI4  rows i..i+64 in Z0–Z3, sixteen to a register
//	EPI1  rows i..i+16 in Z0
//	EPIK  the last len(y)%16 rows in the low lanes of Z0, selected by K1
//
// They may use AX, CX, DI, R15, Z0–Z15, Z24–Z28 and K2–K7, and must keep
// the registers named below, Z29–Z31 and K1. I8_TOFLOAT turns the sums into
// the float32 products of the specification.

#ifndef PANEL_INT8_AVX512_AMD64_H
#define PANEL_INT8_AVX512_AMD64_H

#define I8_ROFF    R9  // byte offset of the current rows in y: 4*i
#define I8_ROWS    BX  // rows left, counting those the epilogue finishes
#define I8_A       SI  // start of the current panel
#define I8_STRIDE  DX  // panel stride in bytes
#define I8_STRIDE3 R10 // 3*stride
#define I8_X       R8  // the quantized x: four u8 per group
#define I8_GROUPS  R11 // groups of four columns
#define I8_AP      R12 // walks the groups of the current panels
#define I8_XP      R13 // walks the quantized x
#define I8_J       R14 // groups (or pairs of groups) left
#define I8_D       Z30 // d, broadcast: the scale of the quantized x
#define I8_ONES    Z31 // int16 ones, for DOT_BW
// Z16–Z23 hold the broadcasts of x during a product, Z8–Z15 DOT_BW's
// temporaries.

#define DOT_VNNI(m, x, acc, t) VPDPBUSD m, x, acc

#define DOT_BW(m, x, acc, t) \
	VPMADDUBSW m, x, t;       \ // int16: u[2k]·q[2k] + u[2k+1]·q[2k+1]
	VPMADDWD   I8_ONES, t, t; \ // int32: the four products of the lane
	VPADDD     t, acc, acc

#define I8_SET_ONES \
	MOVL         $0x00010001, AX; \
	VPBROADCASTD AX, I8_ONES

// I8_PANELS_AVX512 walks y: groups of four panels while 64 rows are left
// (if FOUR lets it), then single panels, then the partial last one, each
// product followed by its epilogue.
#define I8_PANELS_AVX512(DOT, FOUR, EPI4, EPI1, EPIK) \
	LEAQ (I8_STRIDE)(I8_STRIDE*2), I8_STRIDE3; \
	XORQ I8_ROFF, I8_ROFF;                     \
	FOUR;                                      \
                                                   \
i8group4:                                          \
	CMPQ I8_ROWS, $64;                         \
	JLT  i8group1;                             \
	I8_PANEL4_AVX512(DOT);                     \
	EPI4;                                      \
	ADDQ $256, I8_ROFF;                        \
	SUBQ $64, I8_ROWS;                         \
	LEAQ (I8_A)(I8_STRIDE*4), I8_A;            \ // the next four panels
	JMP  i8group4;                             \
                                                   \
i8group1:                                          \
	TESTQ I8_ROWS, I8_ROWS;                    \
	JZ    i8done;                              \
	I8_PANEL1_AVX512(DOT);                     \
	CMPQ  I8_ROWS, $16;                        \
	JLT   i8partial;                           \
	EPI1;                                      \
	ADDQ  $64, I8_ROFF;                        \
	SUBQ  $16, I8_ROWS;                        \
	ADDQ  I8_STRIDE, I8_A;                     \
	JMP   i8group1;                            \
                                                   \
i8partial:                                         \ // the last panel holds fewer than 16 rows of y
	MOVQ I8_ROWS, CX;                          \
	MASK(K1);                                  \ // K1 = the rows left
	EPIK;                                      \
                                                   \
i8done:

// I8_ZERO_AVX512 zeroes the accumulators, Z0–Z7.
#define I8_ZERO_AVX512 \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7

// I8_PANEL4_AVX512 sets Z0–Z3 to the int32 sums of the four panels at I8_A.
#define I8_PANEL4_AVX512(DOT) \
	MOVQ I8_A, I8_AP;                                \
	MOVQ I8_X, I8_XP;                                \
	MOVQ I8_GROUPS, I8_J;                            \
	SHRQ $1, I8_J;                                   \ // pairs of groups
	I8_ZERO_AVX512;                                  \
	TESTQ I8_J, I8_J;                                \
	JZ    i84odd;                                    \
                                                         \
i84loop:                                                 \
	VPBROADCASTD (I8_XP), Z16;                       \ // u[4g..4g+3]
	VPBROADCASTD 4(I8_XP), Z17;                      \ // u[4g+4..4g+7]
	DOT((I8_AP), Z16, Z0, Z8);                       \ // panel 0, even groups
	DOT((I8_AP)(I8_STRIDE*1), Z16, Z1, Z9);          \ // panel 1
	DOT((I8_AP)(I8_STRIDE*2), Z16, Z2, Z10);         \ // panel 2
	DOT((I8_AP)(I8_STRIDE3*1), Z16, Z3, Z11);        \ // panel 3
	DOT(64(I8_AP), Z17, Z4, Z12);                    \ // panel 0, odd groups
	DOT(64(I8_AP)(I8_STRIDE*1), Z17, Z5, Z13);       \
	DOT(64(I8_AP)(I8_STRIDE*2), Z17, Z6, Z14);       \
	DOT(64(I8_AP)(I8_STRIDE3*1), Z17, Z7, Z15);      \
	ADDQ $128, I8_AP;                                \
	ADDQ $8, I8_XP;                                  \
	DECQ I8_J;                                       \
	JNZ  i84loop;                                    \
                                                         \
i84odd:                                                  \
	TESTQ $1, I8_GROUPS;                             \
	JZ    i84sum;                                    \
	VPBROADCASTD (I8_XP), Z16;                       \ // the last group
	DOT((I8_AP), Z16, Z0, Z8);                       \
	DOT((I8_AP)(I8_STRIDE*1), Z16, Z1, Z9);          \
	DOT((I8_AP)(I8_STRIDE*2), Z16, Z2, Z10);         \
	DOT((I8_AP)(I8_STRIDE3*1), Z16, Z3, Z11);        \
                                                         \
i84sum:                                                  \
	VPADDD Z4, Z0, Z0;                               \ // even + odd groups
	VPADDD Z5, Z1, Z1;                               \
	VPADDD Z6, Z2, Z2;                               \
	VPADDD Z7, Z3, Z3

// I8_PANEL1_AVX512 sets Z0 to the int32 sums of the panel at I8_A.
#define I8_PANEL1_AVX512(DOT) \
	MOVQ I8_A, I8_AP;                  \
	MOVQ I8_X, I8_XP;                  \
	MOVQ I8_GROUPS, I8_J;              \
	I8_ZERO_AVX512;                    \
                                           \
i81groups8:                                \
	CMPQ I8_J, $8;                     \
	JLT  i81groups1;                   \
	VPBROADCASTD (I8_XP), Z16;         \
	VPBROADCASTD 4(I8_XP), Z17;        \
	VPBROADCASTD 8(I8_XP), Z18;        \
	VPBROADCASTD 12(I8_XP), Z19;       \
	VPBROADCASTD 16(I8_XP), Z20;       \
	VPBROADCASTD 20(I8_XP), Z21;       \
	VPBROADCASTD 24(I8_XP), Z22;       \
	VPBROADCASTD 28(I8_XP), Z23;       \
	DOT((I8_AP), Z16, Z0, Z8);         \ // acc[g%8] += group g
	DOT(64(I8_AP), Z17, Z1, Z9);       \
	DOT(128(I8_AP), Z18, Z2, Z10);     \
	DOT(192(I8_AP), Z19, Z3, Z11);     \
	DOT(256(I8_AP), Z20, Z4, Z12);     \
	DOT(320(I8_AP), Z21, Z5, Z13);     \
	DOT(384(I8_AP), Z22, Z6, Z14);     \
	DOT(448(I8_AP), Z23, Z7, Z15);     \
	ADDQ $512, I8_AP;                  \
	ADDQ $32, I8_XP;                   \
	SUBQ $8, I8_J;                     \
	JMP  i81groups8;                   \
                                           \
i81groups1:                                \
	TESTQ I8_J, I8_J;                  \
	JZ    i81sum;                      \
	VPBROADCASTD (I8_XP), Z16;         \
	DOT((I8_AP), Z16, Z0, Z8);         \
	ADDQ $64, I8_AP;                   \
	ADDQ $4, I8_XP;                    \
	DECQ I8_J;                         \
	JMP  i81groups1;                   \
                                           \
i81sum:                                    \
	VPADDD Z1, Z0, Z0;                 \ // sum the eight phases
	VPADDD Z3, Z2, Z2;                 \
	VPADDD Z5, Z4, Z4;                 \
	VPADDD Z7, Z6, Z6;                 \
	VPADDD Z2, Z0, Z0;                 \
	VPADDD Z6, Z4, Z4;                 \
	VPADDD Z4, Z0, Z0

// I8_TOFLOAT(acc, off, scale, bias) turns the int32 sums Σ q·u of the
// sixteen rows at byte offset I8_ROFF+off into the products
// (float32(Σ q·v)·s)·d of the specification: scale and bias are the
// argument slots of the routine's scale and bias slices (padded to whole
// panels, so whole registers load). Clobbers AX.
#define I8_TOFLOAT(acc, off, scale, bias) \
	MOVQ      bias, AX;                        \
	VPSUBD    off(AX)(I8_ROFF*1), acc, acc;    \ // Σ q·(v+127) − 127·Σ q = Σ q·v
	VCVTDQ2PS acc, acc;                        \ // rounded to nearest even
	MOVQ      scale, AX;                       \
	VMULPS    off(AX)(I8_ROFF*1), acc, acc;    \ // · s_i
	VMULPS    I8_D, acc, acc                     // · d

// I8_SCALES_AVX512(x, n, dyn) sets I8_D = d and Z29 = inv (broadcast), the
// scale pair of the n floats at x: static (127, 1/127) unless the byte
// dyn is set, then from m = max |x_j| (NaN ignored; inv = d = 0 for m = 0
// or +Inf). Clobbers AX, CX, DI, Z24–Z28, K2.
#define I8_SCALES_AVX512(x, n, dyn) \
	MOVL         $0x42fe0000, AX;      \ // 127
	VPBROADCASTD AX, Z29;              \
	MOVL         $0x3c010204, AX;      \ // float32(1/127)
	VPBROADCASTD AX, I8_D;             \
	CMPB         dyn, $0;              \
	JEQ          i8scalesdone;         \
	MOVQ         x, DI;                \
	MOVQ         n, CX;                \
	MOVL         $0x7fffffff, AX;      \
	VPBROADCASTD AX, Z26;              \ // |·| mask
	VPXORD       Z25, Z25, Z25;        \ // m = 0
                                           \
i8max16:                                   \
	CMPQ    CX, $16;                   \
	JLT     i8maxtail;                 \
	VPANDD  (DI), Z26, Z24;            \ // |x|
	VMAXPS  Z25, Z24, Z25;             \ // m = max(|x|, m): m when |x| is NaN
	ADDQ    $64, DI;                   \
	SUBQ    $16, CX;                   \
	JMP     i8max16;                   \
                                           \
i8maxtail:                                 \
	TESTQ     CX, CX;                  \
	JZ        i8maxsum;                \
	MASK(K2);                          \
	VMOVUPS.Z (DI), K2, Z24;           \ // masked lanes are 0: no effect
	VPANDD    Z26, Z24, Z24;           \
	VMAXPS    Z25, Z24, Z25;           \
                                           \
i8maxsum:                                  \
	VEXTRACTF64X4 $1, Z25, Y24;        \ // max over the lanes: exact in any order
	VMAXPS        Y24, Y25, Y25;       \
	VEXTRACTF32X4 $1, Y25, X24;        \
	VMAXPS        X24, X25, X25;       \
	VPERMILPS     $0x4e, X25, X24;     \
	VMAXPS        X24, X25, X25;       \
	VPERMILPS     $0xb1, X25, X24;     \
	VMAXPS        X24, X25, X25;       \ // lane 0: m
	VPXORD        Z29, Z29, Z29;       \ // inv = d = 0 …
	VPXORD        I8_D, I8_D, I8_D;    \
	VMOVD         X25, AX;             \
	TESTL         AX, AX;              \
	JZ            i8scalesdone;        \ // … for m = 0
	CMPL          AX, $0x7f800000;     \
	JEQ           i8scalesdone;        \ // … and for m = +Inf
	MOVL          $0x42fe0000, AX;     \
	VMOVD         AX, X24;             \
	VDIVSS        X25, X24, X26;       \ // inv = 127/m
	VDIVSS        X24, X25, X27;       \ // d = m/127
	VPBROADCASTD  X26, Z29;            \
	VPBROADCASTD  X27, I8_D;           \
                                           \
i8scalesdone:

// I8_QUANTIZE_AVX512(x, n, dst) writes u_j = 127 + v_j,
// v_j = roundEven(clamp(x_j·inv, −127, 127)) (0 for NaN), inv in Z29, for
// the n floats at x, as bytes at dst (a register, advanced), then u = 127
// (v = 0) up to the next multiple of 16 bytes: dst needs room for n rounded
// up to 16. Clobbers AX, CX, DI, Z24–Z28, K2, K3.
#define I8_QUANTIZE_AVX512(x, n, dst) \
	MOVQ         x, DI;                \
	MOVQ         n, CX;                \
	MOVL         $0xc2fe0000, AX;      \ // -127
	VPBROADCASTD AX, Z26;              \
	MOVL         $0x42fe0000, AX;      \ // 127
	VPBROADCASTD AX, Z27;              \
	MOVL         $127, AX;             \
	VPBROADCASTD AX, Z28;              \
                                           \
i8quant16:                                 \
	CMPQ CX, $16;                      \
	JLT  i8quanttail;                  \
	VMULPS (DI), Z29, Z24;             \
	I8_QUANT16_AVX512(Z24, dst);       \
	ADDQ $64, DI;                      \
	ADDQ $16, dst;                     \
	SUBQ $16, CX;                      \
	JMP  i8quant16;                    \
                                           \
i8quanttail:                               \
	TESTQ CX, CX;                      \
	JZ    i8quantdone;                 \
	MASK(K3);                          \
	VMOVUPS.Z (DI), K3, Z24;           \ // masked lanes are 0: u = 127
	VMULPS    Z29, Z24, Z24;           \
	I8_QUANT16_AVX512(Z24, dst);       \
                                           \
i8quantdone:

// I8_QUANT16_AVX512 stores the sixteen bytes 127 + v of the products x·inv
// in z. Clobbers z, K2.
#define I8_QUANT16_AVX512(z, dst) \
	VCMPPS      $7, z, z, K2;  \ // K2 = not NaN
	VMAXPS      Z26, z, z;     \
	VMINPS      Z27, z, z;     \ // clamp to [−127, 127]
	VCVTPS2DQ.Z z, K2, z;      \ // round to nearest even; NaN lanes 0
	VPADDD      Z28, z, z;     \ // u = v + 127 in [0, 254]
	VPMOVDB     z, (dst)

#endif
