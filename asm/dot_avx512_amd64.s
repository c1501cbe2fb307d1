//go:build gc && !purego && !noasm

#include "textflag.h"
#include "avx512_amd64.h"

// Dot product for AVX-512 (F+DQ+VL): DotAVX512 in stubs_amd64.go. The
// tail is a masked load, which does not fault on masked-out elements, so
// nothing outside the slices is touched.

// func DotAVX512(x, y []float32) float32
// Requires: AVX512F, AVX512DQ, AVX512VL
TEXT ·DotAVX512(SB), NOSPLIT, $0-52
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVQ y_base+24(FP), DI
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3

dot64:
	CMPQ CX, $64
	JLT  dot16
	VMOVUPS     (SI), Z4
	VMOVUPS     64(SI), Z5
	VMOVUPS     128(SI), Z6
	VMOVUPS     192(SI), Z7
	VFMADD231PS (DI), Z4, Z0     // s0 += x[i:i+16] * y[i:i+16]
	VFMADD231PS 64(DI), Z5, Z1
	VFMADD231PS 128(DI), Z6, Z2
	VFMADD231PS 192(DI), Z7, Z3
	ADDQ        $256, SI
	ADDQ        $256, DI
	SUBQ        $64, CX
	JMP         dot64

dot16:
	CMPQ CX, $16
	JLT  dottail
	VMOVUPS     (SI), Z4
	VFMADD231PS (DI), Z4, Z0
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         dot16

dottail:
	TESTQ CX, CX
	JZ    dotsum
	MASK(K1)
	VMOVUPS.Z   (SI), K1, Z4     // x[i:n], zero past n
	VMOVUPS.Z   (DI), K1, Z5
	VFMADD231PS Z5, Z4, Z0

dotsum:
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z2, Z0, Z0
	HSUM(Z0, Y0, X0, Y1, X1)
	VMOVSS X0, ret+48(FP)
	VZEROUPPER
	RET
