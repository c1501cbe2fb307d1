//go:build gc && !purego && !noasm

#include "textflag.h"
#include "avx512_amd64.h"
#include "panel_avx512_amd64.h"

// Matrix-vector products y (+)= A·x for AVX-512 (F+DQ+VL): GemvAVX512 on a
// row-major A, GemvPanelsAVX512 on a run of packed panels (its loops are
// the shared panel products of panel_avx512_amd64.h, one per geometry). Tails are masked loads and stores,
// which do not fault on masked-out elements, so no routine touches memory
// outside its slices.

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

// Register roles of GemvPanelsAVX512, beside the PNL_… of the panel product.
#define GP_Y   DI  // &y[0]
#define GP_ADD R15 // add flag

// The epilogues: y[i:i+16k] = acc, or y[i:i+16k] += acc when add.
#define GP_EPI4 \
	TESTQ   GP_ADD, GP_ADD;                \
	JZ      gp4store;                      \
	VADDPS  (GP_Y)(PNL_ROFF*1), Z0, Z0;    \ // acc += y[i:i+64]
	VADDPS  64(GP_Y)(PNL_ROFF*1), Z1, Z1;  \
	VADDPS  128(GP_Y)(PNL_ROFF*1), Z2, Z2; \
	VADDPS  192(GP_Y)(PNL_ROFF*1), Z3, Z3; \
                                               \
gp4store:                                      \
	VMOVUPS Z0, (GP_Y)(PNL_ROFF*1);        \ // y[i:i+64] = acc
	VMOVUPS Z1, 64(GP_Y)(PNL_ROFF*1);      \
	VMOVUPS Z2, 128(GP_Y)(PNL_ROFF*1);     \
	VMOVUPS Z3, 192(GP_Y)(PNL_ROFF*1)

#define GP_EPI1 \
	TESTQ   GP_ADD, GP_ADD;             \
	JZ      gp1store;                   \
	VADDPS  (GP_Y)(PNL_ROFF*1), Z0, Z0; \ // acc += y[i:i+16]
                                            \
gp1store:                                   \
	VMOVUPS Z0, (GP_Y)(PNL_ROFF*1)        // y[i:i+16] = acc

#define GP_EPIK \
	TESTQ     GP_ADD, GP_ADD;             \
	JZ        gpkstore;                   \
	VMOVUPS.Z (GP_Y)(PNL_ROFF*1), K1, Z1; \
	VADDPS    Z1, Z0, Z0;                 \ // acc += y[i:len(y)]
                                              \
gpkstore:                                     \
	VMOVUPS   Z0, K1, (GP_Y)(PNL_ROFF*1)    // y[i:len(y)] = acc

// func GemvPanelsAVX512(y []float32, a []float32, stride int, x []float32, add bool, geom int)
// Requires: AVX512F, AVX512DQ, AVX512VL
TEXT ·GemvPanelsAVX512(SB), NOSPLIT, $24-96
	MOVQ    y_base+0(FP), GP_Y
	MOVQ    y_len+8(FP), PNL_ROWS
	MOVQ    a_base+24(FP), PNL_A
	MOVQ    stride+48(FP), PNL_STRIDE
	MOVQ    x_base+56(FP), PNL_X
	MOVQ    x_len+64(FP), PNL_COLS
	MOVBQZX add+80(FP), GP_ADD
	MOVQ    geom+88(FP), AX
	PANELS_AVX512(GP_EPI4, GP_EPI1, GP_EPIK)
	VZEROUPPER
	RET
