//go:build gc && !purego && !noasm

#include "textflag.h"

// AVX-512 (F+BW+DQ+VL) float32 kernels. Tails are done with opmask
// registers: masked loads do not fault on masked-out elements, so no routine
// touches memory outside its slices.

// MASK sets k to the low n bits, 0 < n < 16. Clobbers AX and CX must hold n.
#define MASK(k) \
	MOVL $1, AX; \
	SHLL CX, AX; \
	DECL AX;     \
	KMOVW AX, k

// HSUM leaves the sum of the 16 lanes of z in lane 0 of x (the low part of
// z). Clobbers ty and tx.
#define HSUM(z, y, x, ty, tx) \
	VEXTRACTF64X4 $1, z, ty;  \
	VADDPS        ty, y, y;   \
	VEXTRACTF32X4 $1, y, tx;  \
	VADDPS        tx, x, x;   \
	VPERMILPS     $0x4e, x, tx; \
	VADDPS        tx, x, x;   \
	VPERMILPS     $0xb1, x, tx; \
	VADDPS        tx, x, x

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

// Register roles of GemvAVX512.
#define G_Y     DI  // &y[i]
#define G_ROWS  BX  // rows left
#define G_A     SI  // &a[i*lda]
#define G_LDA   DX  // lda in bytes
#define G_LDA3  R10 // 3*lda in bytes
#define G_X     R8  // &x[0]
#define G_COLS  R9  // len(x)
#define G_ADD   R11 // add flag
#define G_AP    R12 // walks the columns of the current rows
#define G_XP    R13 // walks x
#define G_J     R14 // columns left

// func GemvAVX512(y []float32, a []float32, lda int, x []float32, add bool)
// Requires: AVX512F, AVX512DQ, AVX512VL
//
// Four rows at a time, each a dot product with x kept in two accumulators
// (32 columns per iteration, eight independent FMA chains); one horizontal
// sum per row at the end.
TEXT ·GemvAVX512(SB), NOSPLIT, $0-81
	MOVQ    y_base+0(FP), G_Y
	MOVQ    y_len+8(FP), G_ROWS
	MOVQ    a_base+24(FP), G_A
	MOVQ    lda+48(FP), G_LDA
	SHLQ    $2, G_LDA
	LEAQ    (G_LDA)(G_LDA*2), G_LDA3
	MOVQ    x_base+56(FP), G_X
	MOVQ    x_len+64(FP), G_COLS
	MOVBQZX add+80(FP), G_ADD

	// K1 masks the column tail, len(x) % 16.
	MOVQ G_COLS, CX
	ANDQ $15, CX
	JZ   rows4
	MASK(K1)

rows4:
	CMPQ G_ROWS, $4
	JLT  rows1
	MOVQ G_A, G_AP
	MOVQ G_X, G_XP
	MOVQ G_COLS, G_J
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7

rows4cols32:
	CMPQ G_J, $32
	JLT  rows4cols16
	VMOVUPS     (G_XP), Z16
	VMOVUPS     64(G_XP), Z17
	VFMADD231PS (G_AP), Z16, Z0               // row 0
	VFMADD231PS (G_AP)(G_LDA*1), Z16, Z1      // row 1
	VFMADD231PS (G_AP)(G_LDA*2), Z16, Z2      // row 2
	VFMADD231PS (G_AP)(G_LDA3*1), Z16, Z3     // row 3
	VFMADD231PS 64(G_AP), Z17, Z4
	VFMADD231PS 64(G_AP)(G_LDA*1), Z17, Z5
	VFMADD231PS 64(G_AP)(G_LDA*2), Z17, Z6
	VFMADD231PS 64(G_AP)(G_LDA3*1), Z17, Z7
	ADDQ        $128, G_AP
	ADDQ        $128, G_XP
	SUBQ        $32, G_J
	JMP         rows4cols32

rows4cols16:
	CMPQ G_J, $16
	JLT  rows4tail
	VMOVUPS     (G_XP), Z16
	VFMADD231PS (G_AP), Z16, Z0
	VFMADD231PS (G_AP)(G_LDA*1), Z16, Z1
	VFMADD231PS (G_AP)(G_LDA*2), Z16, Z2
	VFMADD231PS (G_AP)(G_LDA3*1), Z16, Z3
	ADDQ        $64, G_AP
	ADDQ        $64, G_XP
	SUBQ        $16, G_J

rows4tail:
	TESTQ G_J, G_J
	JZ    rows4sum
	VMOVUPS.Z   (G_XP), K1, Z16
	VMOVUPS.Z   (G_AP), K1, Z17
	VMOVUPS.Z   (G_AP)(G_LDA*1), K1, Z18
	VMOVUPS.Z   (G_AP)(G_LDA*2), K1, Z19
	VMOVUPS.Z   (G_AP)(G_LDA3*1), K1, Z20
	VFMADD231PS Z17, Z16, Z0
	VFMADD231PS Z18, Z16, Z1
	VFMADD231PS Z19, Z16, Z2
	VFMADD231PS Z20, Z16, Z3

rows4sum:
	VADDPS Z4, Z0, Z0
	VADDPS Z5, Z1, Z1
	VADDPS Z6, Z2, Z2
	VADDPS Z7, Z3, Z3
	HSUM(Z0, Y0, X0, Y16, X16)
	HSUM(Z1, Y1, X1, Y16, X16)
	HSUM(Z2, Y2, X2, Y16, X16)
	HSUM(Z3, Y3, X3, Y16, X16)
	TESTQ  G_ADD, G_ADD
	JZ     rows4store
	VADDSS (G_Y), X0, X0                      // y[i] += s
	VADDSS 4(G_Y), X1, X1
	VADDSS 8(G_Y), X2, X2
	VADDSS 12(G_Y), X3, X3

rows4store:
	VMOVSS X0, (G_Y)
	VMOVSS X1, 4(G_Y)
	VMOVSS X2, 8(G_Y)
	VMOVSS X3, 12(G_Y)
	ADDQ   $16, G_Y
	LEAQ   (G_A)(G_LDA*4), G_A
	SUBQ   $4, G_ROWS
	JMP    rows4

rows1:
	TESTQ G_ROWS, G_ROWS
	JZ    gemvdone
	MOVQ  G_A, G_AP
	MOVQ  G_X, G_XP
	MOVQ  G_COLS, G_J
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1

rows1cols32:
	CMPQ G_J, $32
	JLT  rows1cols16
	VMOVUPS     (G_XP), Z16
	VMOVUPS     64(G_XP), Z17
	VFMADD231PS (G_AP), Z16, Z0
	VFMADD231PS 64(G_AP), Z17, Z1
	ADDQ        $128, G_AP
	ADDQ        $128, G_XP
	SUBQ        $32, G_J
	JMP         rows1cols32

rows1cols16:
	CMPQ G_J, $16
	JLT  rows1tail
	VMOVUPS     (G_XP), Z16
	VFMADD231PS (G_AP), Z16, Z0
	ADDQ        $64, G_AP
	ADDQ        $64, G_XP
	SUBQ        $16, G_J

rows1tail:
	TESTQ G_J, G_J
	JZ    rows1sum
	VMOVUPS.Z   (G_XP), K1, Z16
	VMOVUPS.Z   (G_AP), K1, Z17
	VFMADD231PS Z17, Z16, Z0

rows1sum:
	VADDPS Z1, Z0, Z0
	HSUM(Z0, Y0, X0, Y16, X16)
	TESTQ  G_ADD, G_ADD
	JZ     rows1store
	VADDSS (G_Y), X0, X0

rows1store:
	VMOVSS X0, (G_Y)
	ADDQ   $4, G_Y
	ADDQ   G_LDA, G_A
	DECQ   G_ROWS
	JMP    rows1

gemvdone:
	VZEROUPPER
	RET

// Register roles of GemvPanelsAVX512.
#define P_Y       DI  // &y[i], i a multiple of 16
#define P_ROWS    BX  // rows left to store
#define P_A       SI  // start of the current panel
#define P_STRIDE  DX  // panel stride in bytes
#define P_STRIDE3 R10 // 3*stride in bytes
#define P_X       R8  // &x[0]
#define P_COLS    R9  // len(x)
#define P_ADD     R11 // add flag
#define P_AP      R12 // walks the columns of the current panels
#define P_XP      R13 // walks x
#define P_J       R14 // columns (or column pairs) left

// func GemvPanelsAVX512(y []float32, a []float32, stride int, x []float32, add bool)
// Requires: AVX512F, AVX512DQ, AVX512VL
//
// Each panel column is one ZMM register of weights. For each column j, x[j]
// is broadcast and multiplied into the accumulators of whole panels, so no
// horizontal sums are needed. Four panels (64 rows) at a time, with even and
// odd columns in separate accumulators: eight independent FMA chains hide
// the FMA latency and each broadcast feeds four FMAs. Leftover panels go one
// at a time with eight column phases.
TEXT ·GemvPanelsAVX512(SB), NOSPLIT, $0-81
	MOVQ    y_base+0(FP), P_Y
	MOVQ    y_len+8(FP), P_ROWS
	MOVQ    a_base+24(FP), P_A
	MOVQ    stride+48(FP), P_STRIDE
	SHLQ    $2, P_STRIDE
	LEAQ    (P_STRIDE)(P_STRIDE*2), P_STRIDE3
	MOVQ    x_base+56(FP), P_X
	MOVQ    x_len+64(FP), P_COLS
	MOVBQZX add+80(FP), P_ADD

panels4:
	CMPQ P_ROWS, $64
	JLT  panel1
	MOVQ P_A, P_AP
	MOVQ P_X, P_XP
	MOVQ P_COLS, P_J
	SHRQ $1, P_J                              // column pairs
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	TESTQ P_J, P_J
	JZ    panels4odd

panels4loop:
	VBROADCASTSS (P_XP), Z16                  // x[j]
	VBROADCASTSS 4(P_XP), Z17                 // x[j+1]
	VFMADD231PS  (P_AP), Z16, Z0              // panel 0, even columns
	VFMADD231PS  (P_AP)(P_STRIDE*1), Z16, Z1  // panel 1
	VFMADD231PS  (P_AP)(P_STRIDE*2), Z16, Z2  // panel 2
	VFMADD231PS  (P_AP)(P_STRIDE3*1), Z16, Z3 // panel 3
	VFMADD231PS  64(P_AP), Z17, Z4            // panel 0, odd columns
	VFMADD231PS  64(P_AP)(P_STRIDE*1), Z17, Z5
	VFMADD231PS  64(P_AP)(P_STRIDE*2), Z17, Z6
	VFMADD231PS  64(P_AP)(P_STRIDE3*1), Z17, Z7
	ADDQ         $128, P_AP
	ADDQ         $8, P_XP
	DECQ         P_J
	JNZ          panels4loop

panels4odd:
	TESTQ $1, P_COLS
	JZ    panels4sum
	VBROADCASTSS (P_XP), Z16
	VFMADD231PS  (P_AP), Z16, Z0
	VFMADD231PS  (P_AP)(P_STRIDE*1), Z16, Z1
	VFMADD231PS  (P_AP)(P_STRIDE*2), Z16, Z2
	VFMADD231PS  (P_AP)(P_STRIDE3*1), Z16, Z3

panels4sum:
	VADDPS Z4, Z0, Z0
	VADDPS Z5, Z1, Z1
	VADDPS Z6, Z2, Z2
	VADDPS Z7, Z3, Z3
	TESTQ  P_ADD, P_ADD
	JZ     panels4store
	VADDPS (P_Y), Z0, Z0                      // y[i:i+64] += acc
	VADDPS 64(P_Y), Z1, Z1
	VADDPS 128(P_Y), Z2, Z2
	VADDPS 192(P_Y), Z3, Z3

panels4store:
	VMOVUPS Z0, (P_Y)
	VMOVUPS Z1, 64(P_Y)
	VMOVUPS Z2, 128(P_Y)
	VMOVUPS Z3, 192(P_Y)
	ADDQ    $256, P_Y
	LEAQ    (P_A)(P_STRIDE*4), P_A
	SUBQ    $64, P_ROWS
	JMP     panels4

panel1:
	TESTQ P_ROWS, P_ROWS
	JZ    panelsdone
	MOVQ  P_A, P_AP
	MOVQ  P_X, P_XP
	MOVQ  P_COLS, P_J
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7

panel1cols8:
	CMPQ P_J, $8
	JLT  panel1cols1
	VBROADCASTSS (P_XP), Z16
	VBROADCASTSS 4(P_XP), Z17
	VBROADCASTSS 8(P_XP), Z18
	VBROADCASTSS 12(P_XP), Z19
	VBROADCASTSS 16(P_XP), Z20
	VBROADCASTSS 20(P_XP), Z21
	VBROADCASTSS 24(P_XP), Z22
	VBROADCASTSS 28(P_XP), Z23
	VFMADD231PS  (P_AP), Z16, Z0              // acc[j%8] += col j * x[j]
	VFMADD231PS  64(P_AP), Z17, Z1
	VFMADD231PS  128(P_AP), Z18, Z2
	VFMADD231PS  192(P_AP), Z19, Z3
	VFMADD231PS  256(P_AP), Z20, Z4
	VFMADD231PS  320(P_AP), Z21, Z5
	VFMADD231PS  384(P_AP), Z22, Z6
	VFMADD231PS  448(P_AP), Z23, Z7
	ADDQ         $512, P_AP
	ADDQ         $32, P_XP
	SUBQ         $8, P_J
	JMP          panel1cols8

panel1cols1:
	TESTQ P_J, P_J
	JZ    panel1sum
	VBROADCASTSS (P_XP), Z16
	VFMADD231PS  (P_AP), Z16, Z0
	ADDQ         $64, P_AP
	ADDQ         $4, P_XP
	DECQ         P_J
	JMP          panel1cols1

panel1sum:
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z5, Z4, Z4
	VADDPS Z7, Z6, Z6
	VADDPS Z2, Z0, Z0
	VADDPS Z6, Z4, Z4
	VADDPS Z4, Z0, Z0
	CMPQ   P_ROWS, $16
	JLT    panelpartial
	TESTQ  P_ADD, P_ADD
	JZ     panel1store
	VADDPS (P_Y), Z0, Z0

panel1store:
	VMOVUPS Z0, (P_Y)
	ADDQ    $64, P_Y
	ADDQ    P_STRIDE, P_A
	SUBQ    $16, P_ROWS
	JMP     panel1

panelpartial:
	// The last panel holds fewer than 16 rows of y: store only those.
	MOVQ P_ROWS, CX
	MASK(K1)
	TESTQ P_ADD, P_ADD
	JZ    panelpartialstore
	VMOVUPS.Z (P_Y), K1, Z1
	VADDPS    Z1, Z0, Z0

panelpartialstore:
	VMOVUPS Z0, K1, (P_Y)

panelsdone:
	VZEROUPPER
	RET

// Register roles of GemmPanels4AVX512.
#define M_Y       DI  // &y[0][i], i a multiple of 16
#define M_LDY     R8  // ldy in bytes
#define M_LDY3    R9  // 3*ldy in bytes
#define M_ROWS    BX  // rows left to store
#define M_A       SI  // start of the current panel
#define M_STRIDE  DX  // panel stride in bytes
#define M_STRIDE3 R10 // 3*stride in bytes
#define M_X       R11 // &x[0][0]
#define M_LDX     R12 // ldx in bytes
#define M_LDX3    R13 // 3*ldx in bytes
#define M_AP      R14 // walks the columns of the current panels
#define M_XP      R15 // walks the columns of x
#define M_J       AX  // columns (or column pairs) left

// func GemmPanels4AVX512(y []float32, ldy int, rows int, a []float32, stride int, x []float32, ldx int, cols int, add bool)
// Requires: AVX512F, AVX512DQ, AVX512VL
//
// Four products at once, y[b*ldy:][:rows] (+)= P·x[b*ldx:][:cols] for
// b < 4, so each panel column is loaded once for all four: four panels ×
// four vectors are sixteen independent accumulators.
TEXT ·GemmPanels4AVX512(SB), NOSPLIT, $0-113

// STORE16 stores the 16 rows in acc to mem, adding mem first when add is set.
#define STORE16(acc, mem) \
	CMPB    add+112(FP), $0; \
	JEQ     2(PC);           \
	VADDPS  mem, acc, acc;   \
	VMOVUPS acc, mem
// STOREK is STORE16 for the rows of a partial panel selected by K1.
#define STOREK(acc, mem) \
	CMPB      add+112(FP), $0; \
	JEQ       3(PC);           \
	VMOVUPS.Z mem, K1, Z24;    \
	VADDPS    Z24, acc, acc;   \
	VMOVUPS   acc, K1, mem

	MOVQ y_base+0(FP), M_Y
	MOVQ ldy+24(FP), M_LDY
	SHLQ $2, M_LDY
	LEAQ (M_LDY)(M_LDY*2), M_LDY3
	MOVQ rows+32(FP), M_ROWS
	MOVQ a_base+40(FP), M_A
	MOVQ stride+64(FP), M_STRIDE
	SHLQ $2, M_STRIDE
	LEAQ (M_STRIDE)(M_STRIDE*2), M_STRIDE3
	MOVQ x_base+72(FP), M_X
	MOVQ ldx+96(FP), M_LDX
	SHLQ $2, M_LDX
	LEAQ (M_LDX)(M_LDX*2), M_LDX3

	// K1 masks the rows of a partial last panel.
	MOVQ M_ROWS, CX
	ANDQ $15, CX
	JZ   gemm4
	MASK(K1)

gemm4:
	CMPQ   M_ROWS, $64
	JLT    gemm1
	MOVQ   M_A, M_AP
	MOVQ   M_X, M_XP
	MOVQ   cols+104(FP), M_J
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	VXORPS Z8, Z8, Z8
	VXORPS Z9, Z9, Z9
	VXORPS Z10, Z10, Z10
	VXORPS Z11, Z11, Z11
	VXORPS Z12, Z12, Z12
	VXORPS Z13, Z13, Z13
	VXORPS Z14, Z14, Z14
	VXORPS Z15, Z15, Z15
	TESTQ  M_J, M_J
	JZ     gemm4store

gemm4loop:
	VBROADCASTSS (M_XP), Z16                  // x[0][j]
	VBROADCASTSS (M_XP)(M_LDX*1), Z17         // x[1][j]
	VBROADCASTSS (M_XP)(M_LDX*2), Z18         // x[2][j]
	VBROADCASTSS (M_XP)(M_LDX3*1), Z19        // x[3][j]
	VMOVUPS      (M_AP), Z20                  // panel 0, column j
	VMOVUPS      (M_AP)(M_STRIDE*1), Z21      // panel 1
	VMOVUPS      (M_AP)(M_STRIDE*2), Z22      // panel 2
	VMOVUPS      (M_AP)(M_STRIDE3*1), Z23     // panel 3
	VFMADD231PS  Z20, Z16, Z0                 // acc[panel 0][x 0]
	VFMADD231PS  Z20, Z17, Z1
	VFMADD231PS  Z20, Z18, Z2
	VFMADD231PS  Z20, Z19, Z3
	VFMADD231PS  Z21, Z16, Z4                 // acc[panel 1][x 0]
	VFMADD231PS  Z21, Z17, Z5
	VFMADD231PS  Z21, Z18, Z6
	VFMADD231PS  Z21, Z19, Z7
	VFMADD231PS  Z22, Z16, Z8
	VFMADD231PS  Z22, Z17, Z9
	VFMADD231PS  Z22, Z18, Z10
	VFMADD231PS  Z22, Z19, Z11
	VFMADD231PS  Z23, Z16, Z12
	VFMADD231PS  Z23, Z17, Z13
	VFMADD231PS  Z23, Z18, Z14
	VFMADD231PS  Z23, Z19, Z15
	ADDQ         $64, M_AP
	ADDQ         $4, M_XP
	DECQ         M_J
	JNZ          gemm4loop

gemm4store:
	STORE16(Z0, (M_Y))
	STORE16(Z1, (M_Y)(M_LDY*1))
	STORE16(Z2, (M_Y)(M_LDY*2))
	STORE16(Z3, (M_Y)(M_LDY3*1))
	STORE16(Z4, 64(M_Y))
	STORE16(Z5, 64(M_Y)(M_LDY*1))
	STORE16(Z6, 64(M_Y)(M_LDY*2))
	STORE16(Z7, 64(M_Y)(M_LDY3*1))
	STORE16(Z8, 128(M_Y))
	STORE16(Z9, 128(M_Y)(M_LDY*1))
	STORE16(Z10, 128(M_Y)(M_LDY*2))
	STORE16(Z11, 128(M_Y)(M_LDY3*1))
	STORE16(Z12, 192(M_Y))
	STORE16(Z13, 192(M_Y)(M_LDY*1))
	STORE16(Z14, 192(M_Y)(M_LDY*2))
	STORE16(Z15, 192(M_Y)(M_LDY3*1))
	ADDQ $256, M_Y
	LEAQ (M_A)(M_STRIDE*4), M_A
	SUBQ $64, M_ROWS
	JMP  gemm4

gemm1:
	TESTQ  M_ROWS, M_ROWS
	JZ     gemmdone
	MOVQ   M_A, M_AP
	MOVQ   M_X, M_XP
	MOVQ   cols+104(FP), M_J
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	SHRQ   $1, M_J                            // column pairs
	JZ     gemm1odd

gemm1loop:
	VMOVUPS      (M_AP), Z20                  // column j
	VMOVUPS      64(M_AP), Z21                // column j+1
	VBROADCASTSS (M_XP), Z16
	VBROADCASTSS (M_XP)(M_LDX*1), Z17
	VBROADCASTSS (M_XP)(M_LDX*2), Z18
	VBROADCASTSS (M_XP)(M_LDX3*1), Z19
	VFMADD231PS  Z20, Z16, Z0                 // acc[x 0] += col j * x[0][j]
	VFMADD231PS  Z20, Z17, Z1
	VFMADD231PS  Z20, Z18, Z2
	VFMADD231PS  Z20, Z19, Z3
	VBROADCASTSS 4(M_XP), Z16
	VBROADCASTSS 4(M_XP)(M_LDX*1), Z17
	VBROADCASTSS 4(M_XP)(M_LDX*2), Z18
	VBROADCASTSS 4(M_XP)(M_LDX3*1), Z19
	VFMADD231PS  Z21, Z16, Z4                 // odd columns
	VFMADD231PS  Z21, Z17, Z5
	VFMADD231PS  Z21, Z18, Z6
	VFMADD231PS  Z21, Z19, Z7
	ADDQ         $128, M_AP
	ADDQ         $8, M_XP
	DECQ         M_J
	JNZ          gemm1loop

gemm1odd:
	TESTQ        $1, cols+104(FP)
	JZ           gemm1sum
	VMOVUPS      (M_AP), Z20
	VBROADCASTSS (M_XP), Z16
	VBROADCASTSS (M_XP)(M_LDX*1), Z17
	VBROADCASTSS (M_XP)(M_LDX*2), Z18
	VBROADCASTSS (M_XP)(M_LDX3*1), Z19
	VFMADD231PS  Z20, Z16, Z0
	VFMADD231PS  Z20, Z17, Z1
	VFMADD231PS  Z20, Z18, Z2
	VFMADD231PS  Z20, Z19, Z3

gemm1sum:
	VADDPS Z4, Z0, Z0
	VADDPS Z5, Z1, Z1
	VADDPS Z6, Z2, Z2
	VADDPS Z7, Z3, Z3
	CMPQ   M_ROWS, $16
	JLT    gemmpartial
	STORE16(Z0, (M_Y))
	STORE16(Z1, (M_Y)(M_LDY*1))
	STORE16(Z2, (M_Y)(M_LDY*2))
	STORE16(Z3, (M_Y)(M_LDY3*1))
	ADDQ   $64, M_Y
	ADDQ   M_STRIDE, M_A
	SUBQ   $16, M_ROWS
	JMP    gemm1

gemmpartial:
	STOREK(Z0, (M_Y))
	STOREK(Z1, (M_Y)(M_LDY*1))
	STOREK(Z2, (M_Y)(M_LDY*2))
	STOREK(Z3, (M_Y)(M_LDY3*1))

gemmdone:
	VZEROUPPER
	RET
