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

// func TanhAVX2(dst, src []float32)
// Requires: AVX, AVX2, FMA3
TEXT ·TanhAVX2(SB), NOSPLIT, $32-48
	MOVQ dst_base+0(FP), A_DST
	MOVQ src_base+24(FP), A_SRC
	MOVQ src_len+32(FP), A_N

tanh16:
	CMPQ    A_N, $16
	JLT     tanh8
	VMOVUPS (A_SRC), Y0
	VMOVUPS 32(A_SRC), Y8
	TANH_AVX2(Y0, Y1, Y2, Y3, Y4)
	TANH_AVX2(Y8, Y9, Y10, Y11, Y12)
	VMOVUPS Y0, (A_DST)              // dst[i:i+8] = tanh(src[i:i+8])
	VMOVUPS Y8, 32(A_DST)
	ADDQ    $64, A_SRC
	ADDQ    $64, A_DST
	SUBQ    $16, A_N
	JMP     tanh16

tanh8:
	CMPQ    A_N, $8
	JLT     tanhtail
	VMOVUPS (A_SRC), Y0
	TANH_AVX2(Y0, Y1, Y2, Y3, Y4)
	VMOVUPS Y0, (A_DST)
	ADDQ    $32, A_SRC
	ADDQ    $32, A_DST
	SUBQ    $8, A_N

tanhtail:
	TESTQ A_N, A_N
	JZ    tanhdone
	VXORPS  Y0, Y0, Y0
	VMOVUPS Y0, (SP)                 // buf = 0
	XORQ    A_J, A_J

tanhin:
	MOVL (A_SRC)(A_J*4), A_TMP       // buf[j] = src[i+j]
	MOVL A_TMP, (SP)(A_J*4)
	INCQ A_J
	CMPQ A_J, A_N
	JLT  tanhin
	VMOVUPS (SP), Y0
	TANH_AVX2(Y0, Y1, Y2, Y3, Y4)
	VMOVUPS Y0, (SP)
	XORQ    A_J, A_J

tanhout:
	MOVL (SP)(A_J*4), A_TMP          // dst[i+j] = tanh(buf[j])
	MOVL A_TMP, (A_DST)(A_J*4)
	INCQ A_J
	CMPQ A_J, A_N
	JLT  tanhout

tanhdone:
	VZEROUPPER
	RET

// func SigmoidAVX2(dst, src []float32)
// Requires: AVX, AVX2, FMA3
TEXT ·SigmoidAVX2(SB), NOSPLIT, $32-48
	MOVQ dst_base+0(FP), A_DST
	MOVQ src_base+24(FP), A_SRC
	MOVQ src_len+32(FP), A_N

sigmoid16:
	CMPQ    A_N, $16
	JLT     sigmoid8
	VMOVUPS (A_SRC), Y0
	VMOVUPS 32(A_SRC), Y8
	SIGMOID_AVX2(Y0, Y1, Y2)
	SIGMOID_AVX2(Y8, Y9, Y10)
	VMOVUPS Y0, (A_DST)              // dst[i:i+8] = σ(src[i:i+8])
	VMOVUPS Y8, 32(A_DST)
	ADDQ    $64, A_SRC
	ADDQ    $64, A_DST
	SUBQ    $16, A_N
	JMP     sigmoid16

sigmoid8:
	CMPQ    A_N, $8
	JLT     sigmoidtail
	VMOVUPS (A_SRC), Y0
	SIGMOID_AVX2(Y0, Y1, Y2)
	VMOVUPS Y0, (A_DST)
	ADDQ    $32, A_SRC
	ADDQ    $32, A_DST
	SUBQ    $8, A_N

sigmoidtail:
	TESTQ A_N, A_N
	JZ    sigmoiddone
	VXORPS  Y0, Y0, Y0
	VMOVUPS Y0, (SP)
	XORQ    A_J, A_J

sigmoidin:
	MOVL (A_SRC)(A_J*4), A_TMP
	MOVL A_TMP, (SP)(A_J*4)
	INCQ A_J
	CMPQ A_J, A_N
	JLT  sigmoidin
	VMOVUPS (SP), Y0
	SIGMOID_AVX2(Y0, Y1, Y2)
	VMOVUPS Y0, (SP)
	XORQ    A_J, A_J

sigmoidout:
	MOVL (SP)(A_J*4), A_TMP
	MOVL A_TMP, (A_DST)(A_J*4)
	INCQ A_J
	CMPQ A_J, A_N
	JLT  sigmoidout

sigmoiddone:
	VZEROUPPER
	RET
