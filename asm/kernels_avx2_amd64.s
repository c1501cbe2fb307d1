//go:build gc && !purego && !noasm

#include "textflag.h"

// Scalar loads go through VMOVSS rather than an FMA memory operand, and no
// VMASKMOVPS loads are used: qemu (7.2) reads the whole vector for those,
// which faults at a guard page under the CI's qemu-x86_64 -cpu Haswell run.

// ---------------------------------------------------------------------------
// Dot

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

#undef XP
#undef YP
#undef N

// ---------------------------------------------------------------------------
// Axpy

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

#undef XP
#undef YP
#undef N
#undef ALPHA

// ---------------------------------------------------------------------------
// Gemv, row-major

#define YP   DI  // y cursor
#define AP   SI  // start of the current row (group)
#define LDA  BX  // row stride in bytes
#define XB   DX  // &x[0]
#define NC   CX  // cols = len(x)
#define NR   R13 // rows left
#define A0   R8  // row i cursor
#define A1   R9  // row i+1 cursor
#define A2   R10 // row i+2 cursor
#define A3   R11 // row i+3 cursor
#define XT   AX  // x cursor
#define K    R12 // loop counter

// func GemvAVX2(y []float32, a []float32, lda int, x []float32, add bool)
// Requires: AVX, AVX2, FMA3
TEXT ·GemvAVX2(SB), NOSPLIT, $0-81
	MOVQ    y_base+0(FP), YP
	MOVQ    y_len+8(FP), NR
	MOVQ    a_base+24(FP), AP
	MOVQ    lda+48(FP), LDA
	SHLQ    $2, LDA
	MOVQ    x_base+56(FP), XB
	MOVQ    x_len+64(FP), NC

gemvRows4: // four rows share each load of x; two accumulators per row
	CMPQ   NR, $4
	JB     gemvRows1
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   AP, A0
	LEAQ   (A0)(LDA*1), A1
	LEAQ   (A1)(LDA*1), A2
	LEAQ   (A2)(LDA*1), A3
	MOVQ   XB, XT
	MOVQ   NC, K
	SHRQ   $4, K
	JZ     gemv4Cols8

gemv4Cols16:
	VMOVUPS     (XT), Y8
	VMOVUPS     32(XT), Y9
	VFMADD231PS (A0), Y8, Y0   // s0 += a[i][j:j+8] * x[j:j+8]
	VFMADD231PS 32(A0), Y9, Y1 // s0' += a[i][j+8:j+16] * x[j+8:j+16]
	VFMADD231PS (A1), Y8, Y2   // s1 …
	VFMADD231PS 32(A1), Y9, Y3
	VFMADD231PS (A2), Y8, Y4   // s2 …
	VFMADD231PS 32(A2), Y9, Y5
	VFMADD231PS (A3), Y8, Y6   // s3 …
	VFMADD231PS 32(A3), Y9, Y7
	ADDQ        $64, XT
	ADDQ        $64, A0
	ADDQ        $64, A1
	ADDQ        $64, A2
	ADDQ        $64, A3
	DECQ        K
	JNZ         gemv4Cols16

gemv4Cols8:
	TESTQ       $8, NC
	JZ          gemv4Sum
	VMOVUPS     (XT), Y8
	VFMADD231PS (A0), Y8, Y0 // s0 += a[i][j:j+8] * x[j:j+8]
	VFMADD231PS (A1), Y8, Y2
	VFMADD231PS (A2), Y8, Y4
	VFMADD231PS (A3), Y8, Y6
	ADDQ        $32, XT
	ADDQ        $32, A0
	ADDQ        $32, A1
	ADDQ        $32, A2
	ADDQ        $32, A3

gemv4Sum:
	VADDPS       Y1, Y0, Y0 // s0 += s0'
	VADDPS       Y3, Y2, Y2
	VADDPS       Y5, Y4, Y4
	VADDPS       Y7, Y6, Y6
	VHADDPS      Y2, Y0, Y0 // pairwise sums of s0, s1
	VHADDPS      Y6, Y4, Y4 // … of s2, s3
	VHADDPS      Y4, Y0, Y0 // per 128-bit half: {s0, s1, s2, s3}
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0 // {s0, s1, s2, s3}
	MOVQ         NC, K
	ANDQ         $7, K
	JZ           gemv4Add

gemv4Tail: // the last cols%8 columns; exact loads, so nothing past a row's end is read
	VBROADCASTSS (XT), X8
	VMOVSS       (A0), X9
	VINSERTPS    $0x10, (A1), X9, X9 // {a[i][j], a[i+1][j], …
	VINSERTPS    $0x20, (A2), X9, X9
	VINSERTPS    $0x30, (A3), X9, X9 // …, a[i+3][j]}
	VFMADD231PS  X9, X8, X0          // s[0:4] += a[i:i+4][j] * x[j]
	ADDQ         $4, XT
	ADDQ         $4, A0
	ADDQ         $4, A1
	ADDQ         $4, A2
	ADDQ         $4, A3
	DECQ         K
	JNZ          gemv4Tail

gemv4Add:
	CMPB   add+80(FP), $0
	JZ     gemv4Store
	VADDPS (YP), X0, X0 // += y[i:i+4]

gemv4Store:
	VMOVUPS X0, (YP) // y[i:i+4] = …
	ADDQ    $16, YP
	LEAQ    (AP)(LDA*4), AP
	SUBQ    $4, NR
	JMP     gemvRows4

gemvRows1: // the last len(y)%4 rows, one at a time
	TESTQ  NR, NR
	JZ     gemvDone
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	MOVQ   AP, A0
	MOVQ   XB, XT
	MOVQ   NC, K
	SHRQ   $4, K
	JZ     gemv1Cols8

gemv1Cols16:
	VMOVUPS     (XT), Y8
	VMOVUPS     32(XT), Y9
	VFMADD231PS (A0), Y8, Y0   // s += a[i][j:j+8] * x[j:j+8]
	VFMADD231PS 32(A0), Y9, Y1 // s' += a[i][j+8:j+16] * x[j+8:j+16]
	ADDQ        $64, XT
	ADDQ        $64, A0
	DECQ        K
	JNZ         gemv1Cols16

gemv1Cols8:
	TESTQ       $8, NC
	JZ          gemv1Sum
	VMOVUPS     (XT), Y8
	VFMADD231PS (A0), Y8, Y0 // s += a[i][j:j+8] * x[j:j+8]
	ADDQ        $32, XT
	ADDQ        $32, A0

gemv1Sum:
	VADDPS       Y1, Y0, Y0 // s += s'
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0 // 8 lanes → 4
	VHADDPS      X0, X0, X0 // 4 → 2
	VHADDPS      X0, X0, X0 // 2 → 1
	MOVQ         NC, K
	ANDQ         $7, K
	JZ           gemv1Add

gemv1Tail: // the last cols%8 columns
	VMOVSS      (XT), X8
	VMOVSS      (A0), X9
	VFMADD231SS X9, X8, X0   // s += a[i][j] * x[j]
	ADDQ        $4, XT
	ADDQ        $4, A0
	DECQ        K
	JNZ         gemv1Tail

gemv1Add:
	CMPB   add+80(FP), $0
	JZ     gemv1Store
	VADDSS (YP), X0, X0 // s += y[i]

gemv1Store:
	VMOVSS X0, (YP) // y[i] = s
	ADDQ   $4, YP
	ADDQ   LDA, AP
	DECQ   NR
	JMP    gemvRows1

gemvDone:
	VZEROUPPER
	RET

#undef YP
#undef AP
#undef LDA
#undef XB
#undef NC
#undef NR
#undef A0
#undef A1
#undef A2
#undef A3
#undef XT
#undef K

// ---------------------------------------------------------------------------
// Gemv, packed panels

#define YP     DI  // y cursor
#define AP     SI  // start of the current panel
#define STRIDE BX  // panel stride in bytes
#define XB     DX  // &x[0]
#define NC     CX  // cols = len(x)
#define NR     R13 // rows left
#define ADD    R12 // add flag
#define P0     R8  // column cursor in panel p
#define P1     R9  // column cursor in panel p+1
#define XT     R10 // x cursor
#define K      AX  // loop counter
#define T32    R11 // scratch, 32-bit moves

// Accumulators, two YMM (16 rows) per panel and column phase:
// two-panel loop: panel p in Y0:Y1 (even j) and Y2:Y3 (odd j), panel p+1
// in Y4:Y5 and Y6:Y7; one-panel loop: phase j%4 = k in Y(2k):Y(2k+1).
// A partial last panel goes through the 64-byte frame acc, so that nothing
// past y[len(y)-1] is read or written.

// func GemvPanelsAVX2(y []float32, a []float32, stride int, x []float32, add bool)
// Requires: AVX, AVX2, FMA3
TEXT ·GemvPanelsAVX2(SB), NOSPLIT, $64-81
	MOVQ    y_base+0(FP), YP
	MOVQ    y_len+8(FP), NR
	MOVQ    a_base+24(FP), AP
	MOVQ    stride+48(FP), STRIDE
	SHLQ    $2, STRIDE
	MOVQ    x_base+56(FP), XB
	MOVQ    x_len+64(FP), NC
	MOVBQZX add+80(FP), ADD

panelsPair: // two whole panels, 32 rows, at a time
	CMPQ   NR, $32
	JB     panelsOne
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   AP, P0
	LEAQ   (AP)(STRIDE*1), P1
	MOVQ   XB, XT
	MOVQ   NC, K
	SHRQ   $2, K
	JZ     pair2

pair4:
	VBROADCASTSS (XT), Y8
	VBROADCASTSS 4(XT), Y9
	VFMADD231PS  (P0), Y8, Y0   // acc[p][0:8] += col[j][0:8] * x[j]
	VFMADD231PS  32(P0), Y8, Y1 // acc[p][8:16] += col[j][8:16] * x[j]
	VFMADD231PS  (P1), Y8, Y4   // acc[p+1] …
	VFMADD231PS  32(P1), Y8, Y5
	VFMADD231PS  64(P0), Y9, Y2 // odd phase: column j+1
	VFMADD231PS  96(P0), Y9, Y3
	VFMADD231PS  64(P1), Y9, Y6
	VFMADD231PS  96(P1), Y9, Y7
	VBROADCASTSS 8(XT), Y10
	VBROADCASTSS 12(XT), Y11
	VFMADD231PS  128(P0), Y10, Y0 // column j+2
	VFMADD231PS  160(P0), Y10, Y1
	VFMADD231PS  128(P1), Y10, Y4
	VFMADD231PS  160(P1), Y10, Y5
	VFMADD231PS  192(P0), Y11, Y2 // column j+3
	VFMADD231PS  224(P0), Y11, Y3
	VFMADD231PS  192(P1), Y11, Y6
	VFMADD231PS  224(P1), Y11, Y7
	ADDQ         $16, XT
	ADDQ         $256, P0
	ADDQ         $256, P1
	DECQ         K
	JNZ          pair4

pair2:
	TESTQ        $2, NC
	JZ           pair1
	VBROADCASTSS (XT), Y8
	VBROADCASTSS 4(XT), Y9
	VFMADD231PS  (P0), Y8, Y0
	VFMADD231PS  32(P0), Y8, Y1
	VFMADD231PS  (P1), Y8, Y4
	VFMADD231PS  32(P1), Y8, Y5
	VFMADD231PS  64(P0), Y9, Y2
	VFMADD231PS  96(P0), Y9, Y3
	VFMADD231PS  64(P1), Y9, Y6
	VFMADD231PS  96(P1), Y9, Y7
	ADDQ         $8, XT
	ADDQ         $128, P0
	ADDQ         $128, P1

pair1:
	TESTQ        $1, NC
	JZ           pairSum
	VBROADCASTSS (XT), Y8
	VFMADD231PS  (P0), Y8, Y0
	VFMADD231PS  32(P0), Y8, Y1
	VFMADD231PS  (P1), Y8, Y4
	VFMADD231PS  32(P1), Y8, Y5

pairSum:
	VADDPS Y2, Y0, Y0 // even + odd phases
	VADDPS Y3, Y1, Y1
	VADDPS Y6, Y4, Y4
	VADDPS Y7, Y5, Y5
	TESTQ  ADD, ADD
	JZ     pairStore
	VADDPS (YP), Y0, Y0 // += y[i:i+32]
	VADDPS 32(YP), Y1, Y1
	VADDPS 64(YP), Y4, Y4
	VADDPS 96(YP), Y5, Y5

pairStore:
	VMOVUPS Y0, (YP) // y[i:i+32] = acc
	VMOVUPS Y1, 32(YP)
	VMOVUPS Y4, 64(YP)
	VMOVUPS Y5, 96(YP)
	ADDQ    $128, YP
	LEAQ    (AP)(STRIDE*2), AP
	SUBQ    $32, NR
	JMP     panelsPair

panelsOne: // the last one or two panels, one at a time; the last may be partial
	TESTQ  NR, NR
	JZ     panelsDone
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   AP, P0
	MOVQ   XB, XT
	MOVQ   NC, K
	SHRQ   $2, K
	JZ     one1Setup

one4:
	VBROADCASTSS (XT), Y8
	VBROADCASTSS 4(XT), Y9
	VBROADCASTSS 8(XT), Y10
	VBROADCASTSS 12(XT), Y11
	VFMADD231PS  (P0), Y8, Y0    // acc[0:8] += col[j][0:8] * x[j]
	VFMADD231PS  32(P0), Y8, Y1  // acc[8:16] += col[j][8:16] * x[j]
	VFMADD231PS  64(P0), Y9, Y2  // column j+1
	VFMADD231PS  96(P0), Y9, Y3
	VFMADD231PS  128(P0), Y10, Y4 // column j+2
	VFMADD231PS  160(P0), Y10, Y5
	VFMADD231PS  192(P0), Y11, Y6 // column j+3
	VFMADD231PS  224(P0), Y11, Y7
	ADDQ         $16, XT
	ADDQ         $256, P0
	DECQ         K
	JNZ          one4

one1Setup:
	MOVQ NC, K
	ANDQ $3, K
	JZ   oneSum

one1:
	VBROADCASTSS (XT), Y8
	VFMADD231PS  (P0), Y8, Y0
	VFMADD231PS  32(P0), Y8, Y1
	ADDQ         $4, XT
	ADDQ         $64, P0
	DECQ         K
	JNZ          one1

oneSum:
	VADDPS Y2, Y0, Y0 // sum the four phases
	VADDPS Y6, Y4, Y4
	VADDPS Y4, Y0, Y0
	VADDPS Y3, Y1, Y1
	VADDPS Y7, Y5, Y5
	VADDPS Y5, Y1, Y1
	CMPQ   NR, $16
	JB     onePartial
	TESTQ  ADD, ADD
	JZ     oneStore
	VADDPS (YP), Y0, Y0 // += y[i:i+16]
	VADDPS 32(YP), Y1, Y1

oneStore:
	VMOVUPS Y0, (YP) // y[i:i+16] = acc
	VMOVUPS Y1, 32(YP)
	ADDQ    $64, YP
	ADDQ    STRIDE, AP
	SUBQ    $16, NR
	JMP     panelsOne

onePartial: // NR < 16 rows left: spill acc, then store only y[i:i+NR]
	VMOVUPS Y0, acc-64(SP)
	VMOVUPS Y1, acc-32(SP)
	XORQ    K, K
	TESTQ   ADD, ADD
	JNZ     partialAdd

partialSet:
	MOVL acc-64(SP)(K*4), T32
	MOVL T32, (YP)(K*4)      // y[i+k] = acc[k]
	INCQ K
	CMPQ K, NR
	JB   partialSet
	JMP  panelsDone

partialAdd:
	VMOVSS acc-64(SP)(K*4), X0
	VADDSS (YP)(K*4), X0, X0
	VMOVSS X0, (YP)(K*4)       // y[i+k] += acc[k]
	INCQ   K
	CMPQ   K, NR
	JB     partialAdd

panelsDone:
	VZEROUPPER
	RET

#undef YP
#undef AP
#undef STRIDE
#undef XB
#undef NC
#undef NR
#undef ADD
#undef P0
#undef P1
#undef XT
#undef K
#undef T32

// ---------------------------------------------------------------------------
// Gemm, packed panels, four vectors at once

#define M_Y      DI  // &y[0][i], i a multiple of 16
#define M_LDY    R8  // ldy in bytes
#define M_LDY3   R9  // 3*ldy in bytes
#define M_ROWS   BX  // rows left
#define M_A      SI  // start of the current panel
#define M_STRIDE DX  // panel stride in bytes
#define M_X      R11 // &x[0][0]
#define M_LDX    R12 // ldx in bytes
#define M_LDX3   R13 // 3*ldx in bytes
#define M_AP     R14 // walks the columns of the current panel
#define M_XP     R10 // walks the columns of x
#define M_J      AX  // column pairs left
#define M_K      CX  // row counter of a partial panel

// func GemmPanels4AVX2(y []float32, ldy int, rows int, a []float32, stride int, x []float32, ldx int, cols int, add bool)
// Requires: AVX, AVX2, FMA3
//
// Four products at once, y[b*ldy:][:rows] (+)= P·x[b*ldx:][:cols] for
// b < 4, so each panel column is loaded once for all four: one panel (two
// YMM) × four vectors are eight independent accumulators, vector b in
// Y(2b):Y(2b+1). A partial last panel goes through the 64-byte frame acc,
// one vector at a time, so that nothing past a row's last element is read
// or written.
TEXT ·GemmPanels4AVX2(SB), NOSPLIT, $64-113

// STORE8 stores the 8 rows in acc to mem, adding mem first when add is set.
#define STORE8(acc, mem) \
	CMPB    add+112(FP), $0; \
	JEQ     2(PC);           \
	VADDPS  mem, acc, acc;   \
	VMOVUPS acc, mem

	MOVQ y_base+0(FP), M_Y
	MOVQ ldy+24(FP), M_LDY
	SHLQ $2, M_LDY
	LEAQ (M_LDY)(M_LDY*2), M_LDY3
	MOVQ rows+32(FP), M_ROWS
	MOVQ a_base+40(FP), M_A
	MOVQ stride+64(FP), M_STRIDE
	SHLQ $2, M_STRIDE
	MOVQ x_base+72(FP), M_X
	MOVQ ldx+96(FP), M_LDX
	SHLQ $2, M_LDX
	LEAQ (M_LDX)(M_LDX*2), M_LDX3

gemmPanel:
	TESTQ  M_ROWS, M_ROWS
	JZ     gemmDone
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   M_A, M_AP
	MOVQ   M_X, M_XP
	MOVQ   cols+104(FP), M_J
	SHRQ   $1, M_J
	JZ     gemmOdd

gemmPair:
	VMOVUPS      (M_AP), Y12           // column j, rows 0:8
	VMOVUPS      32(M_AP), Y13         // column j, rows 8:16
	VBROADCASTSS (M_XP), Y8            // x[0][j]
	VBROADCASTSS (M_XP)(M_LDX*1), Y9   // x[1][j]
	VBROADCASTSS (M_XP)(M_LDX*2), Y10  // x[2][j]
	VBROADCASTSS (M_XP)(M_LDX3*1), Y11 // x[3][j]
	VFMADD231PS  Y12, Y8, Y0           // acc[x 0] += col j * x[0][j]
	VFMADD231PS  Y13, Y8, Y1
	VFMADD231PS  Y12, Y9, Y2           // acc[x 1] …
	VFMADD231PS  Y13, Y9, Y3
	VFMADD231PS  Y12, Y10, Y4
	VFMADD231PS  Y13, Y10, Y5
	VFMADD231PS  Y12, Y11, Y6
	VFMADD231PS  Y13, Y11, Y7
	VMOVUPS      64(M_AP), Y14         // column j+1
	VMOVUPS      96(M_AP), Y15
	VBROADCASTSS 4(M_XP), Y8
	VBROADCASTSS 4(M_XP)(M_LDX*1), Y9
	VBROADCASTSS 4(M_XP)(M_LDX*2), Y10
	VBROADCASTSS 4(M_XP)(M_LDX3*1), Y11
	VFMADD231PS  Y14, Y8, Y0
	VFMADD231PS  Y15, Y8, Y1
	VFMADD231PS  Y14, Y9, Y2
	VFMADD231PS  Y15, Y9, Y3
	VFMADD231PS  Y14, Y10, Y4
	VFMADD231PS  Y15, Y10, Y5
	VFMADD231PS  Y14, Y11, Y6
	VFMADD231PS  Y15, Y11, Y7
	ADDQ         $128, M_AP
	ADDQ         $8, M_XP
	DECQ         M_J
	JNZ          gemmPair

gemmOdd:
	TESTQ        $1, cols+104(FP)
	JZ           gemmStore
	VMOVUPS      (M_AP), Y12
	VMOVUPS      32(M_AP), Y13
	VBROADCASTSS (M_XP), Y8
	VBROADCASTSS (M_XP)(M_LDX*1), Y9
	VBROADCASTSS (M_XP)(M_LDX*2), Y10
	VBROADCASTSS (M_XP)(M_LDX3*1), Y11
	VFMADD231PS  Y12, Y8, Y0
	VFMADD231PS  Y13, Y8, Y1
	VFMADD231PS  Y12, Y9, Y2
	VFMADD231PS  Y13, Y9, Y3
	VFMADD231PS  Y12, Y10, Y4
	VFMADD231PS  Y13, Y10, Y5
	VFMADD231PS  Y12, Y11, Y6
	VFMADD231PS  Y13, Y11, Y7

gemmStore:
	CMPQ M_ROWS, $16
	JB   gemmPartial
	STORE8(Y0, (M_Y))
	STORE8(Y1, 32(M_Y))
	STORE8(Y2, (M_Y)(M_LDY*1))
	STORE8(Y3, 32(M_Y)(M_LDY*1))
	STORE8(Y4, (M_Y)(M_LDY*2))
	STORE8(Y5, 32(M_Y)(M_LDY*2))
	STORE8(Y6, (M_Y)(M_LDY3*1))
	STORE8(Y7, 32(M_Y)(M_LDY3*1))
	ADDQ $64, M_Y
	ADDQ M_STRIDE, M_A
	SUBQ $16, M_ROWS
	JMP  gemmPanel

gemmPartial: // M_ROWS < 16 rows left in each of the four vectors
	MOVQ $4, M_J // vectors left; vector b is in Y0:Y1, b+1 in Y2:Y3, …

partialVec:
	VMOVUPS Y0, acc-64(SP)
	VMOVUPS Y1, acc-32(SP)
	XORQ    M_K, M_K
	CMPB    add+112(FP), $0
	JNE     partialAdd

partialSet:
	MOVL acc-64(SP)(M_K*4), M_XP
	MOVL M_XP, (M_Y)(M_K*4)    // y[b][i+k] = acc[k]
	INCQ M_K
	CMPQ M_K, M_ROWS
	JB   partialSet
	JMP  partialNext

partialAdd:
	VMOVSS acc-64(SP)(M_K*4), X8
	VADDSS (M_Y)(M_K*4), X8, X8
	VMOVSS X8, (M_Y)(M_K*4)     // y[b][i+k] += acc[k]
	INCQ   M_K
	CMPQ   M_K, M_ROWS
	JB     partialAdd

partialNext:
	VMOVAPS Y2, Y0 // the next vector
	VMOVAPS Y3, Y1
	VMOVAPS Y4, Y2
	VMOVAPS Y5, Y3
	VMOVAPS Y6, Y4
	VMOVAPS Y7, Y5
	ADDQ    M_LDY, M_Y
	DECQ    M_J
	JNZ     partialVec

gemmDone:
	VZEROUPPER
	RET
