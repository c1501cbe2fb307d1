//go:build gc && !purego && !noasm

#include "textflag.h"
#include "panel_avx2_amd64.h"

// Matrix-vector products y (+)= A·x for AVX2+FMA3: GemvAVX2 on a row-major
// A, GemvPanelsAVX2 on a packed A (its loop is the shared panel product of
// panel_avx2_amd64.h). Scalar loads go through VMOVSS rather than an FMA
// memory operand, and no VMASKMOVPS loads are used: qemu (7.2) reads the
// whole vector for those, which faults at a guard page under the CI's
// qemu-x86_64 -cpu Haswell run.

// Register roles of GemvAVX2.
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

// Register roles of GemvPanelsAVX2, beside the PNL_… of the panel product.
#define GP_Y   DI  // &y[0], then &y[i] in the partial panel
#define GP_ADD R14 // add flag

// The epilogues: y[i:i+16k] = acc, or y[i:i+16k] += acc when add.
#define GP_EPI2 \
	TESTQ   GP_ADD, GP_ADD;               \
	JZ      gp2store;                     \
	VADDPS  (GP_Y)(PNL_ROFF*1), Y0, Y0;   \ // acc += y[i:i+32]
	VADDPS  32(GP_Y)(PNL_ROFF*1), Y1, Y1; \
	VADDPS  64(GP_Y)(PNL_ROFF*1), Y4, Y4; \
	VADDPS  96(GP_Y)(PNL_ROFF*1), Y5, Y5; \
                                              \
gp2store:                                     \
	VMOVUPS Y0, (GP_Y)(PNL_ROFF*1);       \ // y[i:i+32] = acc
	VMOVUPS Y1, 32(GP_Y)(PNL_ROFF*1);     \
	VMOVUPS Y4, 64(GP_Y)(PNL_ROFF*1);     \
	VMOVUPS Y5, 96(GP_Y)(PNL_ROFF*1)

#define GP_EPI1 \
	TESTQ   GP_ADD, GP_ADD;               \
	JZ      gp1store;                     \
	VADDPS  (GP_Y)(PNL_ROFF*1), Y0, Y0;   \ // acc += y[i:i+16]
	VADDPS  32(GP_Y)(PNL_ROFF*1), Y1, Y1; \
                                              \
gp1store:                                     \
	VMOVUPS Y0, (GP_Y)(PNL_ROFF*1);       \ // y[i:i+16] = acc
	VMOVUPS Y1, 32(GP_Y)(PNL_ROFF*1)

// The partial panel: spill acc to the frame, then store only y[i:len(y)].
#define GP_EPIP \
	VMOVUPS Y0, acc-64(SP);         \
	VMOVUPS Y1, acc-32(SP);         \
	ADDQ    PNL_ROFF, GP_Y;         \
	XORQ    PNL_K, PNL_K;           \
	TESTQ   GP_ADD, GP_ADD;         \
	JNZ     gppadd;                 \
                                        \
gppset:                                 \
	MOVL acc-64(SP)(PNL_K*4), AX;   \
	MOVL AX, (GP_Y)(PNL_K*4);       \ // y[i+k] = acc[k]
	INCQ PNL_K;                     \
	CMPQ PNL_K, PNL_ROWS;           \
	JB   gppset;                    \
	JMP  gppdone;                   \
                                        \
gppadd:                                 \
	VMOVSS acc-64(SP)(PNL_K*4), X0; \
	VADDSS (GP_Y)(PNL_K*4), X0, X0; \
	VMOVSS X0, (GP_Y)(PNL_K*4);     \ // y[i+k] += acc[k]
	INCQ   PNL_K;                   \
	CMPQ   PNL_K, PNL_ROWS;         \
	JB     gppadd;                  \
                                        \
gppdone:

// func GemvPanelsAVX2(y []float32, a []float32, stride int, cs int, x []float32, add bool)
// Requires: AVX, AVX2, FMA3
TEXT ·GemvPanelsAVX2(SB), NOSPLIT, $64-89
	MOVQ    y_base+0(FP), GP_Y
	MOVQ    y_len+8(FP), PNL_ROWS
	MOVQ    a_base+24(FP), PNL_A
	MOVQ    stride+48(FP), PNL_STRIDE
	MOVQ    cs+56(FP), PNL_CS
	MOVQ    x_base+64(FP), PNL_X
	MOVQ    x_len+72(FP), PNL_COLS
	MOVBQZX add+88(FP), GP_ADD
	PANELS_AVX2(GP_EPI2, GP_EPI1, GP_EPIP)
	VZEROUPPER
	RET
