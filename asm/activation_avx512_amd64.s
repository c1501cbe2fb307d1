//go:build gc && !purego && !noasm

#include "textflag.h"
#include "avx512_amd64.h"
#include "activation_avx512_amd64.h"

// The AVX-512 activation loops: two vectors per iteration, then one, then a
// masked tail (masked loads do not fault on masked-out elements, so nothing
// outside the slices is touched). dst may be src itself: each vector is
// loaded before it is stored.

#define A_DST DI // &dst[i]
#define A_SRC SI // &src[i]
#define A_N   CX // elements left (MASK reads CX)

// ACT_LOOP is the loop of one activation f over A_N elements, given as F0 (f of Z0) and F8
// (f of Z8, independent of F0, so that the two overlap). Its labels are
// act…: expand it once per routine.
#define ACT_LOOP(F0, F8) \
act32:                             \
	CMPQ    A_N, $32;          \
	JLT     act16;             \
	VMOVUPS (A_SRC), Z0;       \
	VMOVUPS 64(A_SRC), Z8;     \
	F0;                        \
	F8;                        \
	VMOVUPS Z0, (A_DST);       \ // dst[i:i+16] = f(src[i:i+16])
	VMOVUPS Z8, 64(A_DST);     \
	ADDQ    $128, A_SRC;       \
	ADDQ    $128, A_DST;       \
	SUBQ    $32, A_N;          \
	JMP     act32;             \
                                   \
act16:                             \
	CMPQ    A_N, $16;          \
	JLT     acttail;           \
	VMOVUPS (A_SRC), Z0;       \
	F0;                        \
	VMOVUPS Z0, (A_DST);       \
	ADDQ    $64, A_SRC;        \
	ADDQ    $64, A_DST;        \
	SUBQ    $16, A_N;          \
                                   \
acttail:                           \
	TESTQ     A_N, A_N;        \
	JZ        actdone;         \
	MASK(K1);                  \ // K1 = the last A_N elements
	VMOVUPS.Z (A_SRC), K1, Z0; \ // src[i:n], zero past n
	F0;                        \
	VMOVUPS   Z0, K1, (A_DST); \ // dst[i:n] only
                                   \
actdone:

#define TANH_Z0    TANH_AVX512(Z0, Z1, Z2, Z3, Z4, K2)
#define TANH_Z8    TANH_AVX512(Z8, Z9, Z10, Z11, Z12, K3)
#define SIGMOID_Z0 SIGMOID_AVX512(Z0, Z1, Z2)
#define SIGMOID_Z8 SIGMOID_AVX512(Z8, Z9, Z10)

// func TanhAVX512(dst, src []float32)
// Requires: AVX512F
TEXT ·TanhAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), A_DST
	MOVQ src_base+24(FP), A_SRC
	MOVQ src_len+32(FP), A_N
	ACT_LOOP(TANH_Z0, TANH_Z8)
	VZEROUPPER
	RET

// func SigmoidAVX512(dst, src []float32)
// Requires: AVX512F
TEXT ·SigmoidAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), A_DST
	MOVQ src_base+24(FP), A_SRC
	MOVQ src_len+32(FP), A_N
	ACT_LOOP(SIGMOID_Z0, SIGMOID_Z8)
	VZEROUPPER
	RET
