//go:build gc && !purego && !noasm

#include "textflag.h"
#include "avx512_amd64.h"
#include "panel_avx512_amd64.h"
#include "gates_avx512_amd64.h"

// The plain product of gate-interleaved panels for AVX-512: the panel
// product of panel_avx512_amd64.h over the interleaved rows, each chunk of
// sixteen stored where PyTorch's row order puts it (gate g of block k at
// row g·ld + 16k), as the gated steps find their gates (see
// gates_avx512_amd64.h).

// GATES_PANEL stores (or adds) the chunk in acc at its row; Lst and Lnext
// are labels unique to the expansion.
#define GATES_PANEL(acc, Lst, Lnext) \
	GATE_ROWS(ld+80(FP));         \
	MOVQ    y_base+0(FP), CX;     \
	CMPB    add+96(FP), $0;       \
	JEQ     Lst;                  \
	VADDPS  (CX)(AX*1), acc, acc; \ // y + s
                                      \
Lst:                                  \
	VMOVUPS acc, (CX)(AX*1);      \
	INCQ    GATE;                 \
	CMPQ    GATE, gates+88(FP);   \
	JNE     Lnext;                \
	GATE_BLOCK;                   \
                                      \
Lnext:

#define GATES_EPI4 \
	GATES_PANEL(Z0, gates4s0, gates4n0); \
	GATES_PANEL(Z1, gates4s1, gates4n1); \
	GATES_PANEL(Z2, gates4s2, gates4n2); \
	GATES_PANEL(Z3, gates4s3, gates4n3)

#define GATES_EPI1 GATES_PANEL(Z0, gates1s, gates1n)

// func GemvGatesAVX512(y []float32, a []float32, stride int, x []float32, ld int, gates int, add bool, geom int)
// Requires: AVX512F, AVX512DQ
TEXT ·GemvGatesAVX512(SB), NOSPLIT, $24-112
	MOVQ y_len+8(FP), PNL_ROWS            // gates·ld interleaved rows
	MOVQ a_base+24(FP), PNL_A
	MOVQ stride+48(FP), PNL_STRIDE
	MOVQ x_base+56(FP), PNL_X
	MOVQ x_len+64(FP), PNL_COLS
	XORQ GATE, GATE
	XORQ GATE_OFF, GATE_OFF
	MOVQ geom+104(FP), AX
	PANELS_AVX512(GATES_EPI4, GATES_EPI1, GATES_NONE)
	VZEROUPPER
	RET
