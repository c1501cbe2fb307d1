//go:build gc && !purego && !noasm

#include "textflag.h"
#include "avx512_amd64.h"

// Roofline probes for AVX-512: see roofline_amd64.go.

// func FMAPeakAVX512(iters int)
// Requires: AVX512F
//
// Twelve independent accumulators (acc += 1*1) keep both FMA pipes
// busy through the FMA latency. The values climb to 2^24 and stay there:
// no denormals, no infinities, nothing that could slow a pipe.
TEXT ·FMAPeakAVX512(SB), NOSPLIT, $0-8
	MOVQ         iters+0(FP), CX
	MOVL         $0x3f800000, AX // 1.0
	VPBROADCASTD AX, Z12         // m = 1
	VMOVAPS      Z12, Z13        // c = 1
	VXORPS       Z0, Z0, Z0
	VXORPS       Z1, Z1, Z1
	VXORPS       Z2, Z2, Z2
	VXORPS       Z3, Z3, Z3
	VXORPS       Z4, Z4, Z4
	VXORPS       Z5, Z5, Z5
	VXORPS       Z6, Z6, Z6
	VXORPS       Z7, Z7, Z7
	VXORPS       Z8, Z8, Z8
	VXORPS       Z9, Z9, Z9
	VXORPS       Z10, Z10, Z10
	VXORPS       Z11, Z11, Z11
	TESTQ        CX, CX
	JLE          fmadone

fmaloop:
	VFMADD231PS Z13, Z12, Z0 // acc0 += m*c
	VFMADD231PS Z13, Z12, Z1
	VFMADD231PS Z13, Z12, Z2
	VFMADD231PS Z13, Z12, Z3
	VFMADD231PS Z13, Z12, Z4
	VFMADD231PS Z13, Z12, Z5
	VFMADD231PS Z13, Z12, Z6
	VFMADD231PS Z13, Z12, Z7
	VFMADD231PS Z13, Z12, Z8
	VFMADD231PS Z13, Z12, Z9
	VFMADD231PS Z13, Z12, Z10
	VFMADD231PS Z13, Z12, Z11
	DECQ        CX
	JNZ         fmaloop

fmadone:
	VZEROUPPER
	RET

// Register roles of ReadAVX512.
#define R_BASE  SI // &buf[0]
#define R_LEN   BX // len(buf)
#define R_PASS  DX // passes left
#define R_P     DI // walks buf
#define R_N     CX // floats left in this pass

// func ReadAVX512(buf []float32, passes int) float32
// Requires: AVX512F
//
// Eight loads of one cache line each per iteration, each added into its
// own accumulator, so that eight loads are in flight and the add latency
// never limits the loads. The tail goes 16 floats at a time, then masked.
TEXT ·ReadAVX512(SB), NOSPLIT, $0-36
	MOVQ   buf_base+0(FP), R_BASE
	MOVQ   buf_len+8(FP), R_LEN
	MOVQ   passes+24(FP), R_PASS
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7

	// K1 masks the last len(buf) % 16 floats.
	MOVQ R_LEN, CX
	ANDQ $15, CX
	MASK(K1)

readpass:
	TESTQ R_PASS, R_PASS
	JLE   readsum
	MOVQ  R_BASE, R_P
	MOVQ  R_LEN, R_N

read128:
	CMPQ   R_N, $128
	JLT    read16
	VADDPS (R_P), Z0, Z0          // s0 += buf[i:i+16]
	VADDPS 64(R_P), Z1, Z1
	VADDPS 128(R_P), Z2, Z2
	VADDPS 192(R_P), Z3, Z3
	VADDPS 256(R_P), Z4, Z4
	VADDPS 320(R_P), Z5, Z5
	VADDPS 384(R_P), Z6, Z6
	VADDPS 448(R_P), Z7, Z7
	ADDQ   $512, R_P
	SUBQ   $128, R_N
	JMP    read128

read16:
	CMPQ   R_N, $16
	JLT    readtail
	VADDPS (R_P), Z0, Z0
	ADDQ   $64, R_P
	SUBQ   $16, R_N
	JMP    read16

readtail:
	TESTQ     R_N, R_N
	JZ        readnext
	VMOVUPS.Z (R_P), K1, Z8       // buf[i:n], zero past n
	VADDPS    Z8, Z1, Z1

readnext:
	DECQ R_PASS
	JMP  readpass

readsum:
	VADDPS        Z1, Z0, Z0
	VADDPS        Z3, Z2, Z2
	VADDPS        Z5, Z4, Z4
	VADDPS        Z7, Z6, Z6
	VADDPS        Z2, Z0, Z0
	VADDPS        Z6, Z4, Z4
	VADDPS        Z4, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS        Y1, Y0, Y0
	VEXTRACTF32X4 $1, Y0, X1
	VADDPS        X1, X0, X0
	VPERMILPS     $0x4e, X0, X1
	VADDPS        X1, X0, X0
	VPERMILPS     $0xb1, X0, X1
	VADDPS        X1, X0, X0
	VMOVSS        X0, ret+32(FP)
	VZEROUPPER
	RET

// Register roles of Read4AVX512.
#define Q_BASE  SI  // &buf[0]
#define Q_LEN   BX  // len(buf)
#define Q_PASS  DX  // passes left
#define Q_P     DI  // walks the first quarter
#define Q_N     CX  // iterations (or floats) left
#define Q_QB    R8  // quarter length in bytes, a multiple of 128
#define Q_QB3   R9  // 3*quarter in bytes
#define Q_REST  R10 // &buf[4*quarter]: the floats after the quarters
#define Q_RN    R11 // len(buf) - 4*quarter

// func Read4AVX512(buf []float32, passes int) float32
// Requires: AVX512F
//
// Four streams: buf's four quarters (each a multiple of 32 floats) read at
// once, two cache lines of each per iteration into eight accumulators, as
// the four-stream panel loop reads its panels; then the floats after the
// quarters, 16 at a time, then masked.
TEXT ·Read4AVX512(SB), NOSPLIT, $0-36
	MOVQ   buf_base+0(FP), Q_BASE
	MOVQ   buf_len+8(FP), Q_LEN
	MOVQ   passes+24(FP), Q_PASS
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	MOVQ   Q_LEN, Q_QB
	SHRQ   $2, Q_QB
	ANDQ   $-32, Q_QB                // quarter in floats
	MOVQ   Q_LEN, Q_RN
	SUBQ   Q_QB, Q_RN
	SUBQ   Q_QB, Q_RN
	SUBQ   Q_QB, Q_RN
	SUBQ   Q_QB, Q_RN                // floats after the quarters
	SHLQ   $2, Q_QB                  // quarter in bytes
	LEAQ   (Q_QB)(Q_QB*2), Q_QB3
	LEAQ   (Q_BASE)(Q_QB*4), Q_REST

	// K1 masks the last (len(buf) - 4*quarter) % 16 floats.
	MOVQ Q_RN, CX
	ANDQ $15, CX
	MASK(K1)

r4pass:
	TESTQ Q_PASS, Q_PASS
	JLE   r4sum
	MOVQ  Q_BASE, Q_P
	MOVQ  Q_QB, Q_N
	SHRQ  $7, Q_N                    // 128-byte steps
	JZ    r4rest

r4loop:
	VADDPS (Q_P), Z0, Z0             // quarter 0
	VADDPS 64(Q_P), Z1, Z1
	VADDPS (Q_P)(Q_QB*1), Z2, Z2     // quarter 1
	VADDPS 64(Q_P)(Q_QB*1), Z3, Z3
	VADDPS (Q_P)(Q_QB*2), Z4, Z4     // quarter 2
	VADDPS 64(Q_P)(Q_QB*2), Z5, Z5
	VADDPS (Q_P)(Q_QB3*1), Z6, Z6    // quarter 3
	VADDPS 64(Q_P)(Q_QB3*1), Z7, Z7
	ADDQ   $128, Q_P
	DECQ   Q_N
	JNZ    r4loop

r4rest:
	MOVQ Q_REST, Q_P
	MOVQ Q_RN, Q_N

r4rest16:
	CMPQ   Q_N, $16
	JLT    r4tail
	VADDPS (Q_P), Z0, Z0
	ADDQ   $64, Q_P
	SUBQ   $16, Q_N
	JMP    r4rest16

r4tail:
	TESTQ     Q_N, Q_N
	JZ        r4next
	VMOVUPS.Z (Q_P), K1, Z8          // the last floats, zero past the end
	VADDPS    Z8, Z1, Z1

r4next:
	DECQ Q_PASS
	JMP  r4pass

r4sum:
	VADDPS        Z1, Z0, Z0
	VADDPS        Z3, Z2, Z2
	VADDPS        Z5, Z4, Z4
	VADDPS        Z7, Z6, Z6
	VADDPS        Z2, Z0, Z0
	VADDPS        Z6, Z4, Z4
	VADDPS        Z4, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS        Y1, Y0, Y0
	VEXTRACTF32X4 $1, Y0, X1
	VADDPS        X1, X0, X0
	VPERMILPS     $0x4e, X0, X1
	VADDPS        X1, X0, X0
	VPERMILPS     $0xb1, X0, X1
	VADDPS        X1, X0, X0
	VMOVSS        X0, ret+32(FP)
	VZEROUPPER
	RET
