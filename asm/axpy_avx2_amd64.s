//go:build gc && !purego && !noasm

#include "textflag.h"

// y += alpha·x for AVX2+FMA3: AxpyAVX2 in stubs_amd64.go. The tail is
// scalar, as in dot_avx2_amd64.s.

#define XP    SI // x cursor
#define YP    DI // y cursor
#define N     CX // elements left
#define ALPHA Y0 // alpha in every lane

// func AxpyAVX2(alpha float32, x []float32, y []float32)
// Requires: AVX, AVX2, FMA3
TEXT ·AxpyAVX2(SB), NOSPLIT, $0-56
	VBROADCASTSS alpha+0(FP), ALPHA
	MOVQ         x_base+8(FP), XP
	MOVQ         x_len+16(FP), N
	MOVQ         y_base+32(FP), YP
	CMPQ         N, $32
	JB           axpy8

axpy32:
	VMOVUPS     (YP), Y1
	VMOVUPS     32(YP), Y2
	VMOVUPS     64(YP), Y3
	VMOVUPS     96(YP), Y4
	VFMADD231PS (XP), ALPHA, Y1   // y[i:i+8] += alpha * x[i:i+8]
	VFMADD231PS 32(XP), ALPHA, Y2
	VFMADD231PS 64(XP), ALPHA, Y3
	VFMADD231PS 96(XP), ALPHA, Y4
	VMOVUPS     Y1, (YP)
	VMOVUPS     Y2, 32(YP)
	VMOVUPS     Y3, 64(YP)
	VMOVUPS     Y4, 96(YP)
	ADDQ        $128, XP
	ADDQ        $128, YP
	SUBQ        $32, N
	CMPQ        N, $32
	JAE         axpy32

axpy8:
	CMPQ        N, $8
	JB          axpyTail
	VMOVUPS     (YP), Y1
	VFMADD231PS (XP), ALPHA, Y1 // y[i:i+8] += alpha * x[i:i+8]
	VMOVUPS     Y1, (YP)
	ADDQ        $32, XP
	ADDQ        $32, YP
	SUBQ        $8, N
	JMP         axpy8

axpyTail:
	TESTQ N, N
	JZ    axpyDone

axpy1:
	VMOVSS      (YP), X1
	VMOVSS      (XP), X2
	VFMADD231SS X2, X0, X1   // y[i] += alpha * x[i]
	VMOVSS      X1, (YP)
	ADDQ        $4, XP
	ADDQ        $4, YP
	DECQ        N
	JNZ         axpy1

axpyDone:
	VZEROUPPER
	RET
