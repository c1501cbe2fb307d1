// AVX2+FMA float32 tanh, logistic sigmoid and the exp they share, as
// assembler macros, so that fused kernels can apply them in their epilogues:
//
//	#include "activation_avx2_amd64.h"
//
// They compute, lane for lane, exactly the algorithm of
// kernels.TanhGeneric and kernels.SigmoidGeneric (see kernels/activation.go),
// with an FMA wherever the Go reference has fma32, so every target gives the
// same bits. Requires AVX, AVX2, FMA3.
//
// Register conventions. Arguments are YMM registers (XMM registers work too,
// on the low four lanes), all distinct:
//
//	TANH_AVX2(x, t0, t1, t2, t3)  x = tanh(x); clobbers t0–t3
//	SIGMOID_AVX2(x, t0, t1)       x = 1/(1+exp(-x)); clobbers t0, t1
//	ACT_EXP_AVX2(y, u, v)         y = exp(y) for y in [-18, 89] (the callers
//	                              clamp); clobbers u, v
//
// No general-purpose register is used. The constants are read from the
// table actconst256<>, each replicated into 32 bytes so that it can be an
// instruction's memory operand; a file that includes this header gets its
// own copy of the table.

#ifndef ACTIVATION_AVX2_AMD64_H
#define ACTIVATION_AVX2_AMD64_H

#define ACT256_LOG2E  actconst256<>+0(SB)   // log2(e)
#define ACT256_NLN2HI actconst256<>+32(SB)  // -ln2Hi, 9 significant bits
#define ACT256_NLN2LO actconst256<>+64(SB)  // -ln2Lo = -(ln2 - ln2Hi)
#define ACT256_MAGIC  actconst256<>+96(SB)  // 1.5·2²³
#define ACT256_Q4     actconst256<>+128(SB) // exp: Q(r) ≈ (e^r - 1 - r)/r²
#define ACT256_Q3     actconst256<>+160(SB)
#define ACT256_Q2     actconst256<>+192(SB)
#define ACT256_Q1     actconst256<>+224(SB)
#define ACT256_Q0     actconst256<>+256(SB)
#define ACT256_ONE    actconst256<>+288(SB) // 1.0, also the bits 127<<23
#define ACT256_TWO    actconst256<>+320(SB)
#define ACT256_CLAMP  actconst256<>+352(SB) // 9.1: tanh clamps |x| here
#define ACT256_SMALL  actconst256<>+384(SB) // 0.55: tanh polynomial below
#define ACT256_P4     actconst256<>+416(SB) // tanh: P(s) ≈ (tanh(a) - a)/a³
#define ACT256_P3     actconst256<>+448(SB)
#define ACT256_P2     actconst256<>+480(SB)
#define ACT256_P1     actconst256<>+512(SB)
#define ACT256_P0     actconst256<>+544(SB)
#define ACT256_ABS    actconst256<>+576(SB) // 0x7fffffff
#define ACT256_SIGN   actconst256<>+608(SB) // 0x80000000
#define ACT256_LO     actconst256<>+640(SB) // -18: sigmoid clamps -x here…
#define ACT256_HI     actconst256<>+672(SB) // 89: …and here

// ACT256_DATA stores the 32-bit value bits eight times from offset off.
#define ACT256_DATA(off, bits) \
	DATA actconst256<>+(off+0)(SB)/4, $bits;  \
	DATA actconst256<>+(off+4)(SB)/4, $bits;  \
	DATA actconst256<>+(off+8)(SB)/4, $bits;  \
	DATA actconst256<>+(off+12)(SB)/4, $bits; \
	DATA actconst256<>+(off+16)(SB)/4, $bits; \
	DATA actconst256<>+(off+20)(SB)/4, $bits; \
	DATA actconst256<>+(off+24)(SB)/4, $bits; \
	DATA actconst256<>+(off+28)(SB)/4, $bits

ACT256_DATA(0, 0x3fb8aa3b)   // 1.44269502
ACT256_DATA(32, 0xbf318000)  // -0.693359375
ACT256_DATA(64, 0x395e8083)  // 0.000212194442
ACT256_DATA(96, 0x4b400000)  // 12582912
ACT256_DATA(128, 0x3ab50d47) // 0.00138131611
ACT256_DATA(160, 0x3c091fda) // 0.00836941041
ACT256_DATA(192, 0x3d2aac8b) // 0.041668456
ACT256_DATA(224, 0x3e2aaa45) // 0.166665152
ACT256_DATA(256, 0x3efffffe) // 0.49999994
ACT256_DATA(288, 0x3f800000) // 1
ACT256_DATA(320, 0x40000000) // 2
ACT256_DATA(352, 0x4111999a) // 9.10000038
ACT256_DATA(384, 0x3f0ccccd) // 0.550000012
ACT256_DATA(416, 0xbbcd9823) // -0.00627423963
ACT256_DATA(448, 0x3cac9e84) // 0.0210716799
ACT256_DATA(480, 0xbd5c943d) // -0.0538523085
ACT256_DATA(512, 0x3e088693) // 0.13332586
ACT256_DATA(544, 0xbeaaaaa5) // -0.333333164
ACT256_DATA(576, 0x7fffffff)
ACT256_DATA(608, 0x80000000)
ACT256_DATA(640, 0xc1900000) // -18
ACT256_DATA(672, 0x42b20000) // 89
GLOBL actconst256<>(SB), RODATA|NOPTR, $704

// ACT_EXP_AVX2 sets y = exp(y): n = round(y·log2e), r = y - n·ln2 in two
// parts, p = 1 + r·(1 + r·Q(r)), y = p·2ⁿ with 2ⁿ built from the low bits of
// y·log2e + 1.5·2²³ (n = 128 gives +Inf).
#define ACT_EXP_AVX2(y, u, v) \
	VMOVUPS     ACT256_MAGIC, u;     \
	VFMADD231PS ACT256_LOG2E, y, u;  \ // u = y*log2e + 1.5·2²³, n in the low bits
	VSUBPS      ACT256_MAGIC, u, v;  \ // v = n
	VFMADD231PS ACT256_NLN2HI, v, y; \ // y = y - n*ln2Hi (exact)
	VFMADD231PS ACT256_NLN2LO, v, y; \ // y = r = y - n*ln2Lo
	VMOVUPS     ACT256_Q4, v;        \
	VFMADD213PS ACT256_Q3, y, v;     \ // v = v*r + Q3
	VFMADD213PS ACT256_Q2, y, v;     \
	VFMADD213PS ACT256_Q1, y, v;     \
	VFMADD213PS ACT256_Q0, y, v;     \
	VFMADD213PS ACT256_ONE, y, v;    \
	VFMADD213PS ACT256_ONE, y, v;    \ // v = p = 1 + r*(1 + r*Q(r))
	VPSLLD      $23, u, u;           \
	VPADDD      ACT256_ONE, u, u;    \ // u = 2ⁿ: bits (n + 127) << 23
	VMULPS      u, v, y                // y = p * 2ⁿ

// TANH_AVX2 sets x = tanh(x): with a = min(|x|, 9.1), the polynomial
// a + a·s·P(s), s = a², where a < 0.55, else 1 - 2/(exp(2a)+1); then the
// sign of x. Both branches are computed and blended.
#define TANH_AVX2(x, t0, t1, t2, t3) \
	VANDPS      ACT256_ABS, x, t0;   \ // t0 = |x|
	VMOVUPS     ACT256_CLAMP, t1;    \
	VMINPS      t0, t1, t0;          \ // t0 = a = min(9.1, |x|); NaN stays NaN
	VADDPS      t0, t0, t1;          \ // t1 = 2a
	ACT_EXP_AVX2(t1, t2, t3);        \ // t1 = exp(2a)
	VADDPS      ACT256_ONE, t1, t1;  \
	VMOVUPS     ACT256_TWO, t2;      \
	VDIVPS      t1, t2, t1;          \ // t1 = d = 2/(exp(2a)+1)
	VSUBPS      ACT256_ONE, t1, t1;  \ // t1 = d - 1 = -(1 - d); the sign is replaced below
	VMULPS      t0, t0, t2;          \ // t2 = s = a²
	VMOVUPS     ACT256_P4, t3;       \
	VFMADD213PS ACT256_P3, t2, t3;   \ // t3 = t3*s + P3
	VFMADD213PS ACT256_P2, t2, t3;   \
	VFMADD213PS ACT256_P1, t2, t3;   \
	VFMADD213PS ACT256_P0, t2, t3;   \ // t3 = P(s)
	VMULPS      t0, t2, t2;          \ // t2 = a*s
	VFMADD213PS t0, t2, t3;          \ // t3 = a*s*P(s) + a
	VCMPPS      $0x11, ACT256_SMALL, t0, t2; \ // t2 = a < 0.55 (false for NaN)
	VBLENDVPS   t2, t3, t1, t1;      \ // t1 = a < 0.55 ? polynomial : exp form
	VANDPS      ACT256_ABS, t1, t1;  \
	VANDPS      ACT256_SIGN, x, x;   \
	VORPS       t1, x, x               // x = sign(x) | |t1|

// SIGMOID_AVX2 sets x = 1/(1+exp(z)), z = min(max(-x, -18), 89).
#define SIGMOID_AVX2(x, t0, t1) \
	VXORPS      ACT256_SIGN, x, x;   \ // x = -x
	VMOVUPS     ACT256_LO, t0;       \
	VMAXPS      x, t0, x;            \ // x = max(-18, -x); NaN stays NaN
	VMOVUPS     ACT256_HI, t0;       \
	VMINPS      x, t0, x;            \ // x = z = min(89, x)
	ACT_EXP_AVX2(x, t0, t1);         \ // x = exp(z), +Inf for z ≥ 88.38
	VADDPS      ACT256_ONE, x, x;    \
	VMOVUPS     ACT256_ONE, t0;      \
	VDIVPS      x, t0, x               // x = 1/(1 + exp(z))

#endif
