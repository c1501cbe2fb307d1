//go:build gc && !purego && !noasm

#include "textflag.h"

// Roofline probes for AVX2+FMA: see roofline_amd64.go.

// func FMAPeakAVX2(iters int)
// Requires: AVX, AVX2, FMA3
//
// Twelve independent accumulators, as in FMAPeakAVX512, on YMM registers.
TEXT ·FMAPeakAVX2(SB), NOSPLIT, $0-8
	MOVQ         iters+0(FP), CX
	MOVL         $0x3f800000, AX // 1.0
	MOVD         AX, X12
	VBROADCASTSS X12, Y12        // m = 1
	VMOVAPS      Y12, Y13        // c = 1
	VXORPS       Y0, Y0, Y0
	VXORPS       Y1, Y1, Y1
	VXORPS       Y2, Y2, Y2
	VXORPS       Y3, Y3, Y3
	VXORPS       Y4, Y4, Y4
	VXORPS       Y5, Y5, Y5
	VXORPS       Y6, Y6, Y6
	VXORPS       Y7, Y7, Y7
	VXORPS       Y8, Y8, Y8
	VXORPS       Y9, Y9, Y9
	VXORPS       Y10, Y10, Y10
	VXORPS       Y11, Y11, Y11
	TESTQ        CX, CX
	JLE          fmadone

fmaloop:
	VFMADD231PS Y13, Y12, Y0 // acc0 += m*c
	VFMADD231PS Y13, Y12, Y1
	VFMADD231PS Y13, Y12, Y2
	VFMADD231PS Y13, Y12, Y3
	VFMADD231PS Y13, Y12, Y4
	VFMADD231PS Y13, Y12, Y5
	VFMADD231PS Y13, Y12, Y6
	VFMADD231PS Y13, Y12, Y7
	VFMADD231PS Y13, Y12, Y8
	VFMADD231PS Y13, Y12, Y9
	VFMADD231PS Y13, Y12, Y10
	VFMADD231PS Y13, Y12, Y11
	DECQ        CX
	JNZ         fmaloop

fmadone:
	VZEROUPPER
	RET

// Register roles of ReadAVX2.
#define R_BASE  SI // &buf[0]
#define R_LEN   BX // len(buf)
#define R_PASS  DX // passes left
#define R_P     DI // walks buf
#define R_N     CX // floats left in this pass

// func ReadAVX2(buf []float32, passes int) float32
// Requires: AVX
//
// Eight 32-byte loads per iteration (four cache lines), each added into its
// own accumulator. The tail goes 8 floats at a time, then one at a time.
TEXT ·ReadAVX2(SB), NOSPLIT, $0-36
	MOVQ   buf_base+0(FP), R_BASE
	MOVQ   buf_len+8(FP), R_LEN
	MOVQ   passes+24(FP), R_PASS
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8            // scalar tail sum, lane 0

readpass:
	TESTQ R_PASS, R_PASS
	JLE   readsum
	MOVQ  R_BASE, R_P
	MOVQ  R_LEN, R_N

read64:
	CMPQ   R_N, $64
	JLT    read8
	VADDPS (R_P), Y0, Y0          // s0 += buf[i:i+8]
	VADDPS 32(R_P), Y1, Y1
	VADDPS 64(R_P), Y2, Y2
	VADDPS 96(R_P), Y3, Y3
	VADDPS 128(R_P), Y4, Y4
	VADDPS 160(R_P), Y5, Y5
	VADDPS 192(R_P), Y6, Y6
	VADDPS 224(R_P), Y7, Y7
	ADDQ   $256, R_P
	SUBQ   $64, R_N
	JMP    read64

read8:
	CMPQ   R_N, $8
	JLT    read1
	VADDPS (R_P), Y0, Y0
	ADDQ   $32, R_P
	SUBQ   $8, R_N
	JMP    read8

read1:
	TESTQ  R_N, R_N
	JZ     readnext
	VADDSS (R_P), X8, X8          // t += buf[i]
	ADDQ   $4, R_P
	DECQ   R_N
	JMP    read1

readnext:
	DECQ R_PASS
	JMP  readpass

readsum:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y5, Y4, Y4
	VADDPS       Y7, Y6, Y6
	VADDPS       Y2, Y0, Y0
	VADDPS       Y6, Y4, Y4
	VADDPS       Y4, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VADDPS       X1, X0, X0
	VADDSS       X8, X0, X0
	VMOVSS       X0, ret+32(FP)
	VZEROUPPER
	RET

// Register roles of Read4AVX2.
#define Q_BASE  SI  // &buf[0]
#define Q_LEN   BX  // len(buf)
#define Q_PASS  DX  // passes left
#define Q_P     DI  // walks the first quarter
#define Q_N     CX  // iterations (or floats) left
#define Q_QB    R8  // quarter length in bytes, a multiple of 64
#define Q_QB3   R9  // 3*quarter in bytes
#define Q_REST  R10 // &buf[4*quarter]: the floats after the quarters
#define Q_RN    R11 // len(buf) - 4*quarter

// func Read4AVX2(buf []float32, passes int) float32
// Requires: AVX
//
// Read4AVX512 with YMM: one cache line (two loads) of each quarter per
// iteration; the floats after the quarters 8 at a time, then one at a time.
TEXT ·Read4AVX2(SB), NOSPLIT, $0-36
	MOVQ   buf_base+0(FP), Q_BASE
	MOVQ   buf_len+8(FP), Q_LEN
	MOVQ   passes+24(FP), Q_PASS
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8                // scalar tail sum, lane 0
	MOVQ   Q_LEN, Q_QB
	SHRQ   $2, Q_QB
	ANDQ   $-16, Q_QB                // quarter in floats
	MOVQ   Q_LEN, Q_RN
	SUBQ   Q_QB, Q_RN
	SUBQ   Q_QB, Q_RN
	SUBQ   Q_QB, Q_RN
	SUBQ   Q_QB, Q_RN                // floats after the quarters
	SHLQ   $2, Q_QB                  // quarter in bytes
	LEAQ   (Q_QB)(Q_QB*2), Q_QB3
	LEAQ   (Q_BASE)(Q_QB*4), Q_REST

r4pass:
	TESTQ Q_PASS, Q_PASS
	JLE   r4sum
	MOVQ  Q_BASE, Q_P
	MOVQ  Q_QB, Q_N
	SHRQ  $6, Q_N                    // 64-byte steps
	JZ    r4rest

r4loop:
	VADDPS (Q_P), Y0, Y0             // quarter 0
	VADDPS 32(Q_P), Y1, Y1
	VADDPS (Q_P)(Q_QB*1), Y2, Y2     // quarter 1
	VADDPS 32(Q_P)(Q_QB*1), Y3, Y3
	VADDPS (Q_P)(Q_QB*2), Y4, Y4     // quarter 2
	VADDPS 32(Q_P)(Q_QB*2), Y5, Y5
	VADDPS (Q_P)(Q_QB3*1), Y6, Y6    // quarter 3
	VADDPS 32(Q_P)(Q_QB3*1), Y7, Y7
	ADDQ   $64, Q_P
	DECQ   Q_N
	JNZ    r4loop

r4rest:
	MOVQ Q_REST, Q_P
	MOVQ Q_RN, Q_N

r4rest8:
	CMPQ   Q_N, $8
	JLT    r4rest1
	VADDPS (Q_P), Y0, Y0
	ADDQ   $32, Q_P
	SUBQ   $8, Q_N
	JMP    r4rest8

r4rest1:
	TESTQ  Q_N, Q_N
	JZ     r4next
	VADDSS (Q_P), X8, X8
	ADDQ   $4, Q_P
	DECQ   Q_N
	JMP    r4rest1

r4next:
	DECQ Q_PASS
	JMP  r4pass

r4sum:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y5, Y4, Y4
	VADDPS       Y7, Y6, Y6
	VADDPS       Y2, Y0, Y0
	VADDPS       Y6, Y4, Y4
	VADDPS       Y4, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0x4e, X0, X1
	VADDPS       X1, X0, X0
	VPERMILPS    $0xb1, X0, X1
	VADDPS       X1, X0, X0
	VADDSS       X8, X0, X0
	VMOVSS       X0, ret+32(FP)
	VZEROUPPER
	RET
