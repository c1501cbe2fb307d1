//go:build gc && !purego && !noasm

#include "textflag.h"
#include "activation_avx512_amd64.h"

// The AVX-512 activation loops: two vectors per iteration, then one, then a
// masked tail (masked loads do not fault on masked-out elements, so nothing
// outside the slices is touched). dst may be src itself: each vector is
// loaded before it is stored.

#define A_DST DI // &dst[i]
#define A_SRC SI // &src[i]
#define A_N   CX // elements left

// ACT_TAILMASK sets K1 to the low A_N bits, 0 < A_N < 16. Clobbers AX.
#define ACT_TAILMASK \
	MOVL  $1, AX;   \
	SHLL  A_N, AX;  \
	DECL  AX;       \
	KMOVW AX, K1

// func TanhAVX512(dst, src []float32)
// Requires: AVX512F
TEXT ·TanhAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), A_DST
	MOVQ src_base+24(FP), A_SRC
	MOVQ src_len+32(FP), A_N

tanh32:
	CMPQ    A_N, $32
	JLT     tanh16
	VMOVUPS (A_SRC), Z0
	VMOVUPS 64(A_SRC), Z8
	TANH_AVX512(Z0, Z1, Z2, Z3, Z4, K2)
	TANH_AVX512(Z8, Z9, Z10, Z11, Z12, K3)
	VMOVUPS Z0, (A_DST)                    // dst[i:i+16] = tanh(src[i:i+16])
	VMOVUPS Z8, 64(A_DST)
	ADDQ    $128, A_SRC
	ADDQ    $128, A_DST
	SUBQ    $32, A_N
	JMP     tanh32

tanh16:
	CMPQ    A_N, $16
	JLT     tanhtail
	VMOVUPS (A_SRC), Z0
	TANH_AVX512(Z0, Z1, Z2, Z3, Z4, K2)
	VMOVUPS Z0, (A_DST)
	ADDQ    $64, A_SRC
	ADDQ    $64, A_DST
	SUBQ    $16, A_N

tanhtail:
	TESTQ A_N, A_N
	JZ    tanhdone
	ACT_TAILMASK
	VMOVUPS.Z (A_SRC), K1, Z0              // src[i:n], zero past n
	TANH_AVX512(Z0, Z1, Z2, Z3, Z4, K2)
	VMOVUPS   Z0, K1, (A_DST)              // dst[i:n] only

tanhdone:
	VZEROUPPER
	RET

// func SigmoidAVX512(dst, src []float32)
// Requires: AVX512F
TEXT ·SigmoidAVX512(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), A_DST
	MOVQ src_base+24(FP), A_SRC
	MOVQ src_len+32(FP), A_N

sigmoid32:
	CMPQ    A_N, $32
	JLT     sigmoid16
	VMOVUPS (A_SRC), Z0
	VMOVUPS 64(A_SRC), Z8
	SIGMOID_AVX512(Z0, Z1, Z2)
	SIGMOID_AVX512(Z8, Z9, Z10)
	VMOVUPS Z0, (A_DST)                    // dst[i:i+16] = σ(src[i:i+16])
	VMOVUPS Z8, 64(A_DST)
	ADDQ    $128, A_SRC
	ADDQ    $128, A_DST
	SUBQ    $32, A_N
	JMP     sigmoid32

sigmoid16:
	CMPQ    A_N, $16
	JLT     sigmoidtail
	VMOVUPS (A_SRC), Z0
	SIGMOID_AVX512(Z0, Z1, Z2)
	VMOVUPS Z0, (A_DST)
	ADDQ    $64, A_SRC
	ADDQ    $64, A_DST
	SUBQ    $16, A_N

sigmoidtail:
	TESTQ A_N, A_N
	JZ    sigmoiddone
	ACT_TAILMASK
	VMOVUPS.Z (A_SRC), K1, Z0
	SIGMOID_AVX512(Z0, Z1, Z2)
	VMOVUPS   Z0, K1, (A_DST)

sigmoiddone:
	VZEROUPPER
	RET
