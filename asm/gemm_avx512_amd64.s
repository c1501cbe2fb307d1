//go:build gc && !purego && !noasm

#include "textflag.h"
#include "avx512_amd64.h"

// The batched packed product, four vectors at once, for AVX-512
// (F+DQ+VL): GemmPanels4AVX512 in stubs_amd64.go.

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
