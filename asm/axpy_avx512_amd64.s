//go:build gc && !purego && !noasm

#include "textflag.h"
#include "avx512_amd64.h"

// y += alpha·x for AVX-512 (F): AxpyAVX512 in stubs_amd64.go. The tail is a
// masked load and store, which do not fault on masked-out elements, so
// nothing outside the slices is touched.

// func AxpyAVX512(alpha float32, x, y []float32)
// Requires: AVX512F
TEXT ·AxpyAVX512(SB), NOSPLIT, $0-56
	VBROADCASTSS alpha+0(FP), Z0
	MOVQ         x_base+8(FP), SI
	MOVQ         x_len+16(FP), CX
	MOVQ         y_base+32(FP), DI

axpy64:
	CMPQ CX, $64
	JLT  axpy16
	VMOVUPS     (SI), Z1
	VMOVUPS     64(SI), Z2
	VMOVUPS     128(SI), Z3
	VMOVUPS     192(SI), Z4
	VFMADD213PS (DI), Z0, Z1     // x = alpha*x + y
	VFMADD213PS 64(DI), Z0, Z2
	VFMADD213PS 128(DI), Z0, Z3
	VFMADD213PS 192(DI), Z0, Z4
	VMOVUPS     Z1, (DI)
	VMOVUPS     Z2, 64(DI)
	VMOVUPS     Z3, 128(DI)
	VMOVUPS     Z4, 192(DI)
	ADDQ        $256, SI
	ADDQ        $256, DI
	SUBQ        $64, CX
	JMP         axpy64

axpy16:
	CMPQ CX, $16
	JLT  axpytail
	VMOVUPS     (SI), Z1
	VFMADD213PS (DI), Z0, Z1
	VMOVUPS     Z1, (DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         axpy16

axpytail:
	TESTQ CX, CX
	JZ    axpydone
	MASK(K1)
	VMOVUPS.Z   (SI), K1, Z1
	VMOVUPS.Z   (DI), K1, Z2
	VFMADD213PS Z2, Z0, Z1
	VMOVUPS     Z1, K1, (DI)     // y[i:n] only

axpydone:
	VZEROUPPER
	RET
