// AVX-512 float32 tanh, logistic sigmoid and the exp they share, as
// assembler macros, so that fused kernels can apply them in their epilogues:
//
//	#include "activation_avx512_amd64.h"
//
// They compute, lane for lane, exactly the algorithm of
// kernels.TanhGeneric and kernels.SigmoidGeneric (see kernels/activation.go),
// with an FMA wherever the Go reference has fma32, so every target gives the
// same bits. Requires AVX512F only.
//
// Register conventions. Arguments are ZMM registers (k: an opmask register),
// all distinct:
//
//	TANH_AVX512(x, t0, t1, t2, t3, k)  x = tanh(x); clobbers t0–t3 and k
//	SIGMOID_AVX512(x, t0, t1)          x = 1/(1+exp(-x)); clobbers t0, t1
//	ACT_EXP_AVX512(y, u, v)            y = exp(y) for y in [-18, 89] (the
//	                                   callers clamp); clobbers u, v
//
// No general-purpose register is used. The constants are read from the
// table actconst512<> (4-byte scalars, embedded broadcasts); a file that
// includes this header gets its own copy of the table.
//
// The fused steps use faster forms that are not those bits but stay within
// the same error bound (see TANHF_AVX512):
//
//	ACTF_INIT_AVX512(c0, c1)           c0, c1 = the constants TANHF_AVX512 keeps in
//	                                   registers (a step loads them once per epilogue)
//	TANHF_AVX512(x, t0, t1, t2, c0, c1) x = tanh(x) within 4e-7; clobbers t0–t2
//	SIGMOIDF_AVX512(x, t0, t1)         x = 1/(1+exp(-x)) within 4e-7; clobbers t0, t1

#ifndef ACTIVATION_AVX512_AMD64_H
#define ACTIVATION_AVX512_AMD64_H

#define ACT512_LOG2E  actconst512<>+0(SB)  // log2(e)
#define ACT512_NLN2HI actconst512<>+4(SB)  // -ln2Hi, 9 significant bits
#define ACT512_NLN2LO actconst512<>+8(SB)  // -ln2Lo = -(ln2 - ln2Hi)
#define ACT512_MAGIC  actconst512<>+12(SB) // 1.5·2²³
#define ACT512_Q4     actconst512<>+16(SB) // exp: Q(r) ≈ (e^r - 1 - r)/r²
#define ACT512_Q3     actconst512<>+20(SB)
#define ACT512_Q2     actconst512<>+24(SB)
#define ACT512_Q1     actconst512<>+28(SB)
#define ACT512_Q0     actconst512<>+32(SB)
#define ACT512_ONE    actconst512<>+36(SB) // 1.0, also the bits 127<<23
#define ACT512_TWO    actconst512<>+40(SB)
#define ACT512_CLAMP  actconst512<>+44(SB) // 9.1: tanh clamps |x| here
#define ACT512_SMALL  actconst512<>+48(SB) // 0.55: tanh polynomial below
#define ACT512_P4     actconst512<>+52(SB) // tanh: P(s) ≈ (tanh(a) - a)/a³
#define ACT512_P3     actconst512<>+56(SB)
#define ACT512_P2     actconst512<>+60(SB)
#define ACT512_P1     actconst512<>+64(SB)
#define ACT512_P0     actconst512<>+68(SB)
#define ACT512_ABS    actconst512<>+72(SB) // 0x7fffffff
#define ACT512_SIGN   actconst512<>+76(SB) // 0x80000000
#define ACT512_LO     actconst512<>+80(SB) // -18: sigmoid clamps -x here…
#define ACT512_HI     actconst512<>+84(SB) // 89: …and here
#define ACT512_2LOG2E actconst512<>+88(SB) // 2·log2(e)
#define ACT512_NLOG2E actconst512<>+92(SB) // -log2(e)
#define ACT512_E5     actconst512<>+96(SB) // E(f) ≈ 2^f, |f| ≤ 1/2
#define ACT512_E4     actconst512<>+100(SB)
#define ACT512_E3     actconst512<>+104(SB)
#define ACT512_E2     actconst512<>+108(SB)
#define ACT512_E1     actconst512<>+112(SB)
#define ACT512_E0     actconst512<>+116(SB)
#define ACT512_ZLO    actconst512<>+120(SB) // -26: the fast sigmoid clamps z·log2(e) here…
#define ACT512_ZHI    actconst512<>+124(SB) // 26: …and here
#define ACT512_H5     actconst512<>+128(SB) // E(f)/2, for tanh
#define ACT512_H4     actconst512<>+132(SB)
#define ACT512_H3     actconst512<>+136(SB)
#define ACT512_H2     actconst512<>+140(SB)
#define ACT512_H1     actconst512<>+144(SB)
#define ACT512_H0     actconst512<>+148(SB)
#define ACT512_HALF   actconst512<>+152(SB) // 0.5

DATA actconst512<>+0(SB)/4, $0x3fb8aa3b  // 1.44269502
DATA actconst512<>+4(SB)/4, $0xbf318000  // -0.693359375
DATA actconst512<>+8(SB)/4, $0x395e8083  // 0.000212194442
DATA actconst512<>+12(SB)/4, $0x4b400000 // 12582912
DATA actconst512<>+16(SB)/4, $0x3ab50d47 // 0.00138131611
DATA actconst512<>+20(SB)/4, $0x3c091fda // 0.00836941041
DATA actconst512<>+24(SB)/4, $0x3d2aac8b // 0.041668456
DATA actconst512<>+28(SB)/4, $0x3e2aaa45 // 0.166665152
DATA actconst512<>+32(SB)/4, $0x3efffffe // 0.49999994
DATA actconst512<>+36(SB)/4, $0x3f800000 // 1
DATA actconst512<>+40(SB)/4, $0x40000000 // 2
DATA actconst512<>+44(SB)/4, $0x4111999a // 9.10000038
DATA actconst512<>+48(SB)/4, $0x3f0ccccd // 0.550000012
DATA actconst512<>+52(SB)/4, $0xbbcd9823 // -0.00627423963
DATA actconst512<>+56(SB)/4, $0x3cac9e84 // 0.0210716799
DATA actconst512<>+60(SB)/4, $0xbd5c943d // -0.0538523085
DATA actconst512<>+64(SB)/4, $0x3e088693 // 0.13332586
DATA actconst512<>+68(SB)/4, $0xbeaaaaa5 // -0.333333164
DATA actconst512<>+72(SB)/4, $0x7fffffff
DATA actconst512<>+76(SB)/4, $0x80000000
DATA actconst512<>+80(SB)/4, $0xc1900000 // -18
DATA actconst512<>+84(SB)/4, $0x42b20000 // 89
DATA actconst512<>+88(SB)/4, $0x4038aa3b // 2.88539004
DATA actconst512<>+92(SB)/4, $0xbfb8aa3b // -1.44269502
DATA actconst512<>+96(SB)/4, $0x3aae0473 // 0.00132764725
DATA actconst512<>+100(SB)/4, $0x3c1e8629 // 0.00967554096
DATA actconst512<>+104(SB)/4, $0x3d635b72 // 0.0555071309
DATA actconst512<>+108(SB)/4, $0x3e75fc8c // 0.240221202
DATA actconst512<>+112(SB)/4, $0x3f317214 // 0.693146944
DATA actconst512<>+116(SB)/4, $0x3f800001 // 1.00000012
DATA actconst512<>+120(SB)/4, $0xc1d00000 // -26
DATA actconst512<>+124(SB)/4, $0x41d00000 // 26
DATA actconst512<>+128(SB)/4, $0x3a2e0473 // E5/2
DATA actconst512<>+132(SB)/4, $0x3b9e8629 // E4/2
DATA actconst512<>+136(SB)/4, $0x3ce35b72 // E3/2
DATA actconst512<>+140(SB)/4, $0x3df5fc8c // E2/2
DATA actconst512<>+144(SB)/4, $0x3eb17214 // E1/2
DATA actconst512<>+148(SB)/4, $0x3f000001 // E0/2
DATA actconst512<>+152(SB)/4, $0x3f000000 // 0.5
GLOBL actconst512<>(SB), RODATA|NOPTR, $156

// ACT_EXP_AVX512 sets y = exp(y): n = round(y·log2e), r = y - n·ln2 in two
// parts, p = 1 + r·(1 + r·Q(r)), y = p·2ⁿ with 2ⁿ built from the low bits of
// y·log2e + 1.5·2²³ (n = 128 gives +Inf).
#define ACT_EXP_AVX512(y, u, v) \
	VBROADCASTSS          ACT512_LOG2E, u;  \ // u = log2e
	VFMADD213PS.BCST      ACT512_MAGIC, y, u; \ // u = y*log2e + 1.5·2²³, n in the low bits
	VSUBPS.BCST           ACT512_MAGIC, u, v; \ // v = n
	VFMADD231PS.BCST      ACT512_NLN2HI, v, y; \ // y = y - n*ln2Hi (exact)
	VFMADD231PS.BCST      ACT512_NLN2LO, v, y; \ // y = r = y - n*ln2Lo
	VBROADCASTSS          ACT512_Q4, v;     \
	VFMADD213PS.BCST      ACT512_Q3, y, v;  \ // v = v*r + Q3
	VFMADD213PS.BCST      ACT512_Q2, y, v;  \
	VFMADD213PS.BCST      ACT512_Q1, y, v;  \
	VFMADD213PS.BCST      ACT512_Q0, y, v;  \
	VFMADD213PS.BCST      ACT512_ONE, y, v; \
	VFMADD213PS.BCST      ACT512_ONE, y, v; \ // v = p = 1 + r*(1 + r*Q(r))
	VPSLLD                $23, u, u;        \
	VPADDD.BCST           ACT512_ONE, u, u; \ // u = 2ⁿ: bits (n + 127) << 23
	VMULPS                u, v, y             // y = p * 2ⁿ

// TANH_AVX512 sets x = tanh(x): with a = min(|x|, 9.1), the polynomial
// a + a·s·P(s), s = a², where a < 0.55, else 1 - 2/(exp(2a)+1); then the
// sign of x. Both branches are computed and blended.
#define TANH_AVX512(x, t0, t1, t2, t3, k) \
	VPANDD.BCST           ACT512_ABS, x, t0;  \ // t0 = |x|
	VBROADCASTSS          ACT512_CLAMP, t1;   \
	VMINPS                t0, t1, t0;         \ // t0 = a = min(9.1, |x|); NaN stays NaN
	VCMPPS.BCST           $0x11, ACT512_SMALL, t0, k; \ // k = a < 0.55 (false for NaN)
	VADDPS                t0, t0, t1;         \ // t1 = 2a
	ACT_EXP_AVX512(t1, t2, t3);               \ // t1 = exp(2a)
	VADDPS.BCST           ACT512_ONE, t1, t1; \
	VBROADCASTSS          ACT512_TWO, t2;     \
	VDIVPS                t1, t2, t1;         \ // t1 = d = 2/(exp(2a)+1)
	VSUBPS.BCST           ACT512_ONE, t1, t1; \ // t1 = d - 1 = -(1 - d); the sign is replaced below
	VMULPS                t0, t0, t2;         \ // t2 = s = a²
	VBROADCASTSS          ACT512_P4, t3;      \
	VFMADD213PS.BCST      ACT512_P3, t2, t3;  \ // t3 = t3*s + P3
	VFMADD213PS.BCST      ACT512_P2, t2, t3;  \
	VFMADD213PS.BCST      ACT512_P1, t2, t3;  \
	VFMADD213PS.BCST      ACT512_P0, t2, t3;  \ // t3 = P(s)
	VMULPS                t0, t2, t2;         \ // t2 = a*s
	VFMADD213PS           t0, t2, t3;         \ // t3 = a*s*P(s) + a
	VMOVAPS               t3, k, t1;          \ // t1 = a < 0.55 ? polynomial : exp form
	VPTERNLOGD.BCST       $0xe4, ACT512_SIGN, t1, x // x = sign(x) | magnitude(t1)

// SIGMOID_AVX512 sets x = 1/(1+exp(z)), z = min(max(-x, -18), 89).
#define SIGMOID_AVX512(x, t0, t1) \
	VPXORD.BCST           ACT512_SIGN, x, x;  \ // x = -x
	VBROADCASTSS          ACT512_LO, t0;      \
	VMAXPS                x, t0, x;           \ // x = max(-18, -x); NaN stays NaN
	VBROADCASTSS          ACT512_HI, t0;      \
	VMINPS                x, t0, x;           \ // x = z = min(89, x)
	ACT_EXP_AVX512(x, t0, t1);                \ // x = exp(z), +Inf for z ≥ 88.38
	VADDPS.BCST           ACT512_ONE, x, x;   \
	VBROADCASTSS          ACT512_ONE, t0;     \
	VDIVPS                x, t0, x              // x = 1/(1 + exp(z))

// The fast forms of the fused steps, without a division or a table: exp
// as 2^u = E(f)·2^n with n = round(u), f = u − n from VREDUCEPS (exact),
// E a degree-5 minimax polynomial for 2^f on [−1/2, 1/2] (relative error
// 7.5e-8, fitted by a Remez exchange in float64), the power of two applied
// by VSCALEFPS; and 1/d as VRCP14PS (relative error 2^-14) refined by one
// Newton step. They hold 4e-7 absolute error, the bound of Tanh and Sigmoid
// (tested over 10^7 points and, with LOWRANK_EXHAUSTIVE=1, every float32),
// in about half the instructions. Requires AVX512F, AVX512DQ.

// ACTF_INIT_AVX512 loads the constants of TANHF_AVX512: c0 = 9.1 (the
// clamp), c1 = E5/2 (the leading coefficient).
#define ACTF_INIT_AVX512(c0, c1) \
	VBROADCASTSS ACT512_CLAMP, c0; \
	VBROADCASTSS ACT512_H5, c1

// TANHF_AVX512 sets x = tanh(x), c0 and c1 from ACTF_INIT_AVX512: with
// a = min(|x|, 9.1), t = 1 − 1/((exp(2a)+1)/2), exp(2a)/2 from the halved
// polynomial E(f)/2 (exact: a power of two), then the sign of x (exactly
// odd; NaN stays NaN).
#define TANHF_AVX512(x, t0, t1, t2, c0, c1) \
	VPANDD.BCST       ACT512_ABS, x, t0;    \ // t0 = |x|
	VMINPS            t0, c0, t0;           \ // t0 = a = min(9.1, |x|); NaN stays NaN
	VMULPS.BCST       ACT512_2LOG2E, t0, t0; \ // t0 = u = 2a·log2e
	VREDUCEPS         $0, t0, t1;           \ // t1 = f = u − round(u)
	VSUBPS            t1, t0, t0;           \ // t0 = n = round(u)
	VMOVAPS           c1, t2;               \
	VFMADD213PS.BCST  ACT512_H4, t1, t2;    \ // t2 = t2*f + E4/2
	VFMADD213PS.BCST  ACT512_H3, t1, t2;    \
	VFMADD213PS.BCST  ACT512_H2, t1, t2;    \
	VFMADD213PS.BCST  ACT512_H1, t1, t2;    \
	VFMADD213PS.BCST  ACT512_H0, t1, t2;    \ // t2 = E(f)/2 ≈ 2^f/2
	VSCALEFPS         t0, t2, t2;           \ // t2 = exp(2a)/2
	VADDPS.BCST       ACT512_HALF, t2, t2;  \ // t2 = d = (exp(2a)+1)/2
	ACT_RCPF_AVX512(t2, t0);                \ // t0 = 1/d = 2/(exp(2a)+1)
	VSUBPS.BCST       ACT512_ONE, t0, t0;   \ // t0 = 1/d − 1 = −t; the sign is replaced below
	VPTERNLOGD.BCST   $0xe4, ACT512_SIGN, t0, x // x = sign(x) | magnitude(t0)

// SIGMOIDF_AVX512 sets x = 1/(1+2^z), z = min(max(−x·log2e, −26), 26)
// (NaN stays NaN).
#define SIGMOIDF_AVX512(x, t0, t1) \
	VMULPS.BCST       ACT512_NLOG2E, x, x;  \ // x = −x·log2e
	VBROADCASTSS      ACT512_ZLO, t0;       \
	VMAXPS            x, t0, x;             \ // x = max(−26, x); NaN stays NaN
	VBROADCASTSS      ACT512_ZHI, t0;       \
	VMINPS            x, t0, x;             \ // x = z = min(26, x)
	VREDUCEPS         $0, x, t0;            \ // t0 = f = z − round(z)
	VSUBPS            t0, x, x;             \ // x = n = round(z)
	ACT_EXP2F_AVX512(t0, x, t1);            \ // t1 = 2^z
	VADDPS.BCST       ACT512_ONE, t1, t1;   \ // t1 = d = 2^z + 1
	ACT_RCPF_AVX512(t1, x)                    // x = 1/d

// ACT_EXP2F_AVX512 sets e = E(f)·2^n for |f| ≤ 1/2 and integral n.
#define ACT_EXP2F_AVX512(f, n, e) \
	VBROADCASTSS      ACT512_E5, e;         \
	VFMADD213PS.BCST  ACT512_E4, f, e;      \ // e = e*f + E4
	VFMADD213PS.BCST  ACT512_E3, f, e;      \
	VFMADD213PS.BCST  ACT512_E2, f, e;      \
	VFMADD213PS.BCST  ACT512_E1, f, e;      \
	VFMADD213PS.BCST  ACT512_E0, f, e;      \ // e = E(f) ≈ 2^f
	VSCALEFPS         n, e, e                 // e = E(f)·2^n

// ACT_RCPF_AVX512 sets r = 1/d for d ≥ 1/2 (clobbering d): VRCP14PS, then
// r = r + r·(1 − d·r).
#define ACT_RCPF_AVX512(d, r) \
	VRCP14PS          d, r;                 \ // r ≈ 1/d within 2^-14
	VFNMADD213PS.BCST ACT512_ONE, r, d;     \ // d = 1 − d·r
	VFMADD213PS       r, r, d;              \ // d = r + r·(1 − d·r)
	VMOVAPS           d, r

#endif
