// NEON float32 tanh, logistic sigmoid and the exp they share, as assembler
// macros, so that fused kernels can apply them in their epilogues:
//
//	#include "activation_neon_arm64.h"
//
// They compute, lane for lane, exactly the algorithm of
// kernels.TanhGeneric and kernels.SigmoidGeneric (see kernels/activation.go),
// with a fused multiply-add wherever the Go reference has fma32, so every
// target gives the same bits.
//
// Register conventions. The Go assembler has no mnemonics for most vector
// floating-point instructions, so these are encoded (the V…4S macros of
// neon_arm64.h) and need register numbers; the macros therefore work on
// fixed registers:
//
//	V20 (ACT_X)          the argument and result, four lanes
//	V21–V25 (ACT_T0–T4)  clobbered
//	V26–V31 (ACT_C0–C5)  the constants, loaded once by ACT_NEON_INIT
//
//	ACT_NEON_INIT(R)  loads ACT_C0–C5; clobbers the general register R
//	TANH_NEON         V20 = tanh(V20)
//	SIGMOID_NEON      V20 = 1/(1+exp(-V20))
//
// V0–V19 and all general registers are left alone. A scalar in F20 (as
// FMOVS loads it, upper lanes zero) works too.

#ifndef ACTIVATION_NEON_ARM64_H
#define ACTIVATION_NEON_ARM64_H

#include "neon_arm64.h"

#define ACT_X   V20
#define ACT_XN  20
#define ACT_XF  F20
#define ACT_T0  V21
#define ACT_T0N 21
#define ACT_T1  V22
#define ACT_T1N 22
#define ACT_T2  V23
#define ACT_T2N 23
#define ACT_T3  V24
#define ACT_T3N 24
#define ACT_T4  V25
#define ACT_T4N 25

// The constants, four to a register, used as ACT_Ck.S[lane].
#define ACT_C0  V26 // log2e, -ln2Hi, -ln2Lo, 1.5·2²³
#define ACT_C0N 26
#define ACT_C1  V27 // exp: Q4, Q3, Q2, Q1 of Q(r) ≈ (e^r - 1 - r)/r²
#define ACT_C2  V28 // Q0, 1 (also the bits 127<<23), 2, 9.1 (tanh clamps |x| here)
#define ACT_C3  V29 // tanh: P4, P3, P2, P1 of P(s) ≈ (tanh(a) - a)/a³
#define ACT_C4  V30 // P0, 0.55 (tanh polynomial below), 0x7fffffff, -18 (sigmoid clamp)
#define ACT_C5  V31 // 89 (sigmoid clamp), unused ×3

DATA actconstneon<>+0(SB)/4, $0x3fb8aa3b  // 1.44269502
DATA actconstneon<>+4(SB)/4, $0xbf318000  // -0.693359375
DATA actconstneon<>+8(SB)/4, $0x395e8083  // 0.000212194442
DATA actconstneon<>+12(SB)/4, $0x4b400000 // 12582912
DATA actconstneon<>+16(SB)/4, $0x3ab50d47 // 0.00138131611
DATA actconstneon<>+20(SB)/4, $0x3c091fda // 0.00836941041
DATA actconstneon<>+24(SB)/4, $0x3d2aac8b // 0.041668456
DATA actconstneon<>+28(SB)/4, $0x3e2aaa45 // 0.166665152
DATA actconstneon<>+32(SB)/4, $0x3efffffe // 0.49999994
DATA actconstneon<>+36(SB)/4, $0x3f800000 // 1
DATA actconstneon<>+40(SB)/4, $0x40000000 // 2
DATA actconstneon<>+44(SB)/4, $0x4111999a // 9.10000038
DATA actconstneon<>+48(SB)/4, $0xbbcd9823 // -0.00627423963
DATA actconstneon<>+52(SB)/4, $0x3cac9e84 // 0.0210716799
DATA actconstneon<>+56(SB)/4, $0xbd5c943d // -0.0538523085
DATA actconstneon<>+60(SB)/4, $0x3e088693 // 0.13332586
DATA actconstneon<>+64(SB)/4, $0xbeaaaaa5 // -0.333333164
DATA actconstneon<>+68(SB)/4, $0x3f0ccccd // 0.550000012
DATA actconstneon<>+72(SB)/4, $0x7fffffff
DATA actconstneon<>+76(SB)/4, $0xc1900000 // -18
DATA actconstneon<>+80(SB)/4, $0x42b20000 // 89
DATA actconstneon<>+84(SB)/4, $0
DATA actconstneon<>+88(SB)/4, $0
DATA actconstneon<>+92(SB)/4, $0
GLOBL actconstneon<>(SB), RODATA|NOPTR, $96

// ACT_NEON_INIT loads the constants into ACT_C0–C5. Clobbers r.
#define ACT_NEON_INIT(r) \
	MOVD   $actconstneon<>(SB), r; \
	VLD1.P 64(r), [ACT_C0.S4, ACT_C1.S4, ACT_C2.S4, ACT_C3.S4]; \
	VLD1   (r), [ACT_C4.S4, ACT_C5.S4]

// ACT_EXP_NEON sets y = exp(y) (y: the register, yn: its number), for y in
// [-18, 89] (the callers clamp): n = round(y·log2e), r = y - n·ln2 in two
// parts, p = 1 + r·(1 + r·Q(r)), y = p·2ⁿ with 2ⁿ built from the low bits of
// y·log2e + 1.5·2²³ (n = 128 gives +Inf). Clobbers ACT_T2–T4.
#define ACT_EXP_NEON(y, yn) \
	VDUP  ACT_C0.S[3], ACT_T2.S4;             \
	VFMLAE4S(ACT_C0N, 0, yn, ACT_T2N);       \ // T2 = 1.5·2²³ + y*log2e, n in the low bits
	VDUP  ACT_C0.S[3], ACT_T3.S4;             \
	VFSUB4S(ACT_T3N, ACT_T2N, ACT_T3N);      \ // T3 = n
	VFMLAE4S(ACT_C0N, 1, ACT_T3N, yn);       \ // y = y - n*ln2Hi (exact)
	VFMLAE4S(ACT_C0N, 2, ACT_T3N, yn);       \ // y = r = y - n*ln2Lo
	VSHL  $23, ACT_T2.S4, ACT_T2.S4;          \
	VDUP  ACT_C2.S[1], ACT_T3.S4;             \
	VADD  ACT_T3.S4, ACT_T2.S4, ACT_T2.S4;    \ // T2 = 2ⁿ: bits (n + 127) << 23
	VDUP  ACT_C1.S[0], ACT_T3.S4;             \ // T3 = Q4
	VDUP  ACT_C1.S[1], ACT_T4.S4;             \
	VFMLA ACT_T3.S4, y.S4, ACT_T4.S4;         \ // T4 = Q3 + T3*r
	VDUP  ACT_C1.S[2], ACT_T3.S4;             \
	VFMLA ACT_T4.S4, y.S4, ACT_T3.S4;         \ // T3 = Q2 + T4*r
	VDUP  ACT_C1.S[3], ACT_T4.S4;             \
	VFMLA ACT_T3.S4, y.S4, ACT_T4.S4;         \ // T4 = Q1 + T3*r
	VDUP  ACT_C2.S[0], ACT_T3.S4;             \
	VFMLA ACT_T4.S4, y.S4, ACT_T3.S4;         \ // T3 = Q0 + T4*r = Q(r)
	VDUP  ACT_C2.S[1], ACT_T4.S4;             \
	VFMLA ACT_T3.S4, y.S4, ACT_T4.S4;         \ // T4 = 1 + T3*r
	VDUP  ACT_C2.S[1], ACT_T3.S4;             \
	VFMLA ACT_T4.S4, y.S4, ACT_T3.S4;         \ // T3 = p = 1 + T4*r
	VFMUL4S(ACT_T2N, ACT_T3N, yn)              // y = p * 2ⁿ

// TANH_NEON sets V20 = tanh(V20): with a = min(|x|, 9.1), the polynomial
// a + a·s·P(s), s = a², where a < 0.55, else 1 - 2/(exp(2a)+1); then the
// sign of x. Both branches are computed and blended.
#define TANH_NEON \
	VFABS4S(ACT_XN, ACT_T0N);                \ // T0 = |x|
	VDUP  ACT_C2.S[3], ACT_T1.S4;             \
	VFMIN4S(ACT_T1N, ACT_T0N, ACT_T0N);      \ // T0 = a = min(|x|, 9.1); NaN stays NaN
	VFADD4S(ACT_T0N, ACT_T0N, ACT_T1N);      \ // T1 = 2a
	ACT_EXP_NEON(ACT_T1, ACT_T1N);            \ // T1 = exp(2a)
	VDUP  ACT_C2.S[1], ACT_T2.S4;             \ // T2 = 1
	VFADD4S(ACT_T2N, ACT_T1N, ACT_T1N);      \
	VDUP  ACT_C2.S[2], ACT_T3.S4;             \
	VFDIV4S(ACT_T1N, ACT_T3N, ACT_T1N);      \ // T1 = d = 2/(exp(2a)+1)
	VFSUB4S(ACT_T1N, ACT_T2N, ACT_T1N);      \ // T1 = 1 - d
	VFMUL4S(ACT_T0N, ACT_T0N, ACT_T2N);      \ // T2 = s = a²
	VDUP  ACT_C3.S[0], ACT_T3.S4;             \ // T3 = P4
	VDUP  ACT_C3.S[1], ACT_T4.S4;             \
	VFMLA ACT_T3.S4, ACT_T2.S4, ACT_T4.S4;    \ // T4 = P3 + T3*s
	VDUP  ACT_C3.S[2], ACT_T3.S4;             \
	VFMLA ACT_T4.S4, ACT_T2.S4, ACT_T3.S4;    \ // T3 = P2 + T4*s
	VDUP  ACT_C3.S[3], ACT_T4.S4;             \
	VFMLA ACT_T3.S4, ACT_T2.S4, ACT_T4.S4;    \ // T4 = P1 + T3*s
	VDUP  ACT_C4.S[0], ACT_T3.S4;             \
	VFMLA ACT_T4.S4, ACT_T2.S4, ACT_T3.S4;    \ // T3 = P0 + T4*s = P(s)
	VFMUL4S(ACT_T0N, ACT_T2N, ACT_T2N);      \ // T2 = a*s
	VMOV  ACT_T0.B16, ACT_T4.B16;             \
	VFMLA ACT_T3.S4, ACT_T2.S4, ACT_T4.S4;    \ // T4 = a + a*s*P(s)
	VDUP  ACT_C4.S[1], ACT_T2.S4;             \
	VFCMGT4S(ACT_T0N, ACT_T2N, ACT_T2N);     \ // T2 = 0.55 > a (false for NaN)
	VBIT  ACT_T2.B16, ACT_T4.B16, ACT_T1.B16; \ // T1 = a < 0.55 ? polynomial : exp form
	VDUP  ACT_C4.S[2], ACT_T2.S4;             \
	VBIT  ACT_T2.B16, ACT_T1.B16, ACT_X.B16     // x = sign(x) | magnitude(T1)

// SIGMOID_NEON sets V20 = 1/(1+exp(z)), z = min(max(-x, -18), 89).
#define SIGMOID_NEON \
	VFNEG4S(ACT_XN, ACT_XN);                 \ // x = -x
	VDUP  ACT_C4.S[3], ACT_T0.S4;             \
	VFMAX4S(ACT_T0N, ACT_XN, ACT_XN);        \ // x = max(-x, -18); NaN stays NaN
	VDUP  ACT_C5.S[0], ACT_T0.S4;             \
	VFMIN4S(ACT_T0N, ACT_XN, ACT_XN);        \ // x = z = min(x, 89)
	ACT_EXP_NEON(ACT_X, ACT_XN);              \ // x = exp(z), +Inf for z ≥ 88.38
	VDUP  ACT_C2.S[1], ACT_T0.S4;             \
	VFADD4S(ACT_T0N, ACT_XN, ACT_XN);        \
	VFDIV4S(ACT_XN, ACT_T0N, ACT_XN)           // x = 1/(1 + exp(z))

#endif
