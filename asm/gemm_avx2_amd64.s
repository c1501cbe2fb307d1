//go:build gc && !purego && !noasm

#include "textflag.h"

// The batched packed product, four vectors at once, for AVX2+FMA3:
// GemmPanels4AVX2 in stubs_amd64.go.

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
#define M_CS     R15 // column step in bytes

// func GemmPanels4AVX2(y []float32, ldy int, rows int, a []float32, stride int, cs int, x []float32, ldx int, cols int, add bool)
// Requires: AVX, AVX2, FMA3
//
// Four products at once, y[b*ldy:][:rows] (+)= P·x[b*ldx:][:cols] for
// b < 4, on the blocks of GemvPanelsAVX2 (columns cs floats apart; with
// cs = 8 one panel of at most 8 rows), so each block column is loaded once
// for all four: one block (two YMM) × four vectors are eight independent
// accumulators, vector b in Y(2b):Y(2b+1). A partial last block goes
// through the 64-byte frame acc, one vector at a time, so that nothing past
// a row's last element is read or written.
TEXT ·GemmPanels4AVX2(SB), NOSPLIT, $64-121

// STORE8 stores the 8 rows in acc to mem, adding mem first when add is set.
#define STORE8(acc, mem) \
	CMPB    add+120(FP), $0; \
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
	MOVQ cs+72(FP), M_CS
	SHLQ $2, M_CS
	MOVQ x_base+80(FP), M_X
	MOVQ ldx+104(FP), M_LDX
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
	MOVQ   cols+112(FP), M_J
	CMPQ   M_CS, $32
	JEQ    gemm8
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
	VMOVUPS      (M_AP)(M_CS*1), Y14   // column j+1
	VMOVUPS      32(M_AP)(M_CS*1), Y15
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
	LEAQ         (M_AP)(M_CS*2), M_AP
	ADDQ         $8, M_XP
	DECQ         M_J
	JNZ          gemmPair

gemmOdd:
	TESTQ        $1, cols+112(FP)
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

	JMP          gemmStore

gemm8:
	// One panel of at most 8 rows, a YMM register a column: vector b
	// in Y(2b), Y(2b+1) stays zero.
	TESTQ M_J, M_J
	JZ    gemmPartial

gemm8col:
	VMOVUPS      (M_AP), Y12           // column j, rows 0:8
	VBROADCASTSS (M_XP), Y8
	VBROADCASTSS (M_XP)(M_LDX*1), Y9
	VBROADCASTSS (M_XP)(M_LDX*2), Y10
	VBROADCASTSS (M_XP)(M_LDX3*1), Y11
	VFMADD231PS  Y12, Y8, Y0
	VFMADD231PS  Y12, Y9, Y2
	VFMADD231PS  Y12, Y10, Y4
	VFMADD231PS  Y12, Y11, Y6
	ADDQ         $32, M_AP
	ADDQ         $4, M_XP
	DECQ         M_J
	JNZ          gemm8col
	JMP          gemmPartial

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
	CMPB    add+120(FP), $0
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
