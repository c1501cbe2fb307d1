//go:build gc && !purego && !noasm

#include "textflag.h"

// Dot product for AVX2+FMA3: DotAVX2 in stubs_amd64.go. The tail is
// scalar: qemu (7.2) reads the whole vector for a VMASKMOVPS load, which
// faults at a guard page under the CI's qemu-x86_64 -cpu Haswell run.

#define XP SI // x cursor
#define YP DI // y cursor
#define N  CX // elements left

// func DotAVX2(x []float32, y []float32) float32
// Requires: AVX, AVX2, FMA3
TEXT ·DotAVX2(SB), NOSPLIT, $0-52
	MOVQ   x_base+0(FP), XP
	MOVQ   x_len+8(FP), N
	MOVQ   y_base+24(FP), YP
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	CMPQ   N, $32
	JB     dot8

dot32: // four independent accumulators hide the FMA latency
	VMOVUPS     (XP), Y4
	VMOVUPS     32(XP), Y5
	VMOVUPS     64(XP), Y6
	VMOVUPS     96(XP), Y7
	VFMADD231PS (YP), Y4, Y0   // s0 += x[i:i+8] * y[i:i+8]
	VFMADD231PS 32(YP), Y5, Y1 // s1 += …
	VFMADD231PS 64(YP), Y6, Y2
	VFMADD231PS 96(YP), Y7, Y3
	ADDQ        $128, XP
	ADDQ        $128, YP
	SUBQ        $32, N
	CMPQ        N, $32
	JAE         dot32

dot8:
	CMPQ        N, $8
	JB          dotSum
	VMOVUPS     (XP), Y4
	VFMADD231PS (YP), Y4, Y0 // s0 += x[i:i+8] * y[i:i+8]
	ADDQ        $32, XP
	ADDQ        $32, YP
	SUBQ        $8, N
	JMP         dot8

dotSum:
	VADDPS       Y1, Y0, Y0 // s0 += s1
	VADDPS       Y3, Y2, Y2 // s2 += s3
	VADDPS       Y2, Y0, Y0 // s0 += s2
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0 // 8 lanes → 4
	VHADDPS      X0, X0, X0 // 4 → 2
	VHADDPS      X0, X0, X0 // 2 → 1: s
	TESTQ        N, N
	JZ           dotDone

dot1:
	VMOVSS      (XP), X1
	VMOVSS      (YP), X2
	VFMADD231SS X2, X1, X0   // s += x[i] * y[i]
	ADDQ        $4, XP
	ADDQ        $4, YP
	DECQ        N
	JNZ         dot1

dotDone:
	VMOVSS X0, ret+48(FP)
	VZEROUPPER
	RET
