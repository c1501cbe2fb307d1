//go:build gc && !purego && !noasm

#include "textflag.h"
#include "activation_avx2_amd64.h"

// The AVX2 activation loops: two vectors per iteration, then one, then the
// last len%8 elements through an 8-float buffer on the stack (no masked
// loads: qemu reads the whole vector for those). dst may be src itself: each
// vector is loaded before it is stored.

#define A_DST DI // &dst[i]
#define A_SRC SI // &src[i]
#define A_N   CX // elements left
#define A_J   AX // tail index
#define A_TMP DX

// ACT_LOOP is the loop of one activation f over A_N elements, given as F0
// (f of Y0) and F8 (f of Y8, independent of F0, so that the two overlap).
// The routine's frame is the 32-byte tail buffer. Its labels are act…:
// expand it once per routine.
#define ACT_LOOP(F0, F8) \
act16:                              \
	CMPQ    A_N, $16;           \
	JLT     act8;               \
	VMOVUPS (A_SRC), Y0;        \
	VMOVUPS 32(A_SRC), Y8;      \
	F0;                         \
	F8;                         \
	VMOVUPS Y0, (A_DST);        \ // dst[i:i+8] = f(src[i:i+8])
	VMOVUPS Y8, 32(A_DST);      \
	ADDQ    $64, A_SRC;         \
	ADDQ    $64, A_DST;         \
	SUBQ    $16, A_N;           \
	JMP     act16;              \
                                    \
act8:                               \
	CMPQ    A_N, $8;            \
	JLT     acttail;            \
	VMOVUPS (A_SRC), Y0;        \
	F0;                         \
	VMOVUPS Y0, (A_DST);        \
	ADDQ    $32, A_SRC;         \
	ADDQ    $32, A_DST;         \
	SUBQ    $8, A_N;            \
                                    \
acttail:                            \
	TESTQ   A_N, A_N;           \
	JZ      actdone;            \
	VXORPS  Y0, Y0, Y0;         \
	VMOVUPS Y0, (SP);           \ // buf = 0
	XORQ    A_J, A_J;           \
                                    \
actin:                              \
	MOVL (A_SRC)(A_J*4), A_TMP; \ // buf[j] = src[i+j]
	MOVL A_TMP, (SP)(A_J*4);    \
	INCQ A_J;                   \
	CMPQ A_J, A_N;              \
	JLT  actin;                 \
	VMOVUPS (SP), Y0;           \
	F0;                         \
	VMOVUPS Y0, (SP);           \
	XORQ    A_J, A_J;           \
                                    \
actout:                             \
	MOVL (SP)(A_J*4), A_TMP;    \ // dst[i+j] = f(buf[j])
	MOVL A_TMP, (A_DST)(A_J*4); \
	INCQ A_J;                   \
	CMPQ A_J, A_N;              \
	JLT  actout;                \
                                    \
actdone:

#define TANH_Y0    TANH_AVX2(Y0, Y1, Y2, Y3, Y4)
#define TANH_Y8    TANH_AVX2(Y8, Y9, Y10, Y11, Y12)
#define SIGMOID_Y0 SIGMOID_AVX2(Y0, Y1, Y2)
#define SIGMOID_Y8 SIGMOID_AVX2(Y8, Y9, Y10)

// func TanhAVX2(dst, src []float32)
// Requires: AVX, AVX2, FMA3
TEXT ·TanhAVX2(SB), NOSPLIT, $32-48
	MOVQ dst_base+0(FP), A_DST
	MOVQ src_base+24(FP), A_SRC
	MOVQ src_len+32(FP), A_N
	ACT_LOOP(TANH_Y0, TANH_Y8)
	VZEROUPPER
	RET

// func SigmoidAVX2(dst, src []float32)
// Requires: AVX, AVX2, FMA3
TEXT ·SigmoidAVX2(SB), NOSPLIT, $32-48
	MOVQ dst_base+0(FP), A_DST
	MOVQ src_base+24(FP), A_SRC
	MOVQ src_len+32(FP), A_N
	ACT_LOOP(SIGMOID_Y0, SIGMOID_Y8)
	VZEROUPPER
	RET
