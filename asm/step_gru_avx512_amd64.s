//go:build gc && !purego && !noasm

#include "textflag.h"
#include "avx512_amd64.h"
#include "activation_avx512_amd64.h"
#include "panel_avx512_amd64.h"
#include "gates_avx512_amd64.h"

// The fused step of PyTorch's GRU cell for AVX-512: the panel product over
// gate-interleaved panels with the gates' epilogues (see gates_avx512_amd64.h).

// GRU_PANEL finishes the panel in acc; Lz, Ln and Ldone are labels unique
// to the expansion. Gate 2 (n) uses r and z from the frame.
#define GRU_PANEL(acc, Lz, Ln, Ldone) \
	GATE_ROWS(ld+152(FP));                    \
	MOVQ        b_base+128(FP), CX;           \
	VADDPS      (CX)(AX*1), acc, acc;         \ // u = s + b
	MOVQ        xp_base+104(FP), CX;          \
	CMPQ        GATE, $1;                     \
	JEQ         Lz;                           \
	JGT         Ln;                           \
	VADDPS      (CX)(AX*1), acc, acc;         \ // u_r + xp_r
	SIGMOIDF_AVX512(acc, Z24, Z25);           \
	VMOVUPS     acc, r-160(SP);               \ // r
	INCQ        GATE;                         \
	JMP         Ldone;                        \
                                                  \
Lz:                                               \
	VADDPS      (CX)(AX*1), acc, acc;         \ // u_z + xp_z
	SIGMOIDF_AVX512(acc, Z24, Z25);           \
	VMOVUPS     acc, z-96(SP);                \ // z
	INCQ        GATE;                         \
	JMP         Ldone;                        \
                                                  \
Ln:                                               \
	VMOVUPS     r-160(SP), Z24;               \
	VFMADD213PS (CX)(AX*1), Z24, acc;         \ // r*u_n + xp_n
	TANHF_AVX512(acc, Z24, Z25, Z26, Z30, Z31); \ // n
	MOVQ        h_base+80(FP), CX;            \
	VMOVUPS     (CX)(GATE_OFF*1), Z24;        \
	VSUBPS      acc, Z24, Z24;                \ // h − n
	VFMADD231PS z-96(SP), Z24, acc;           \ // n + z*(h − n)
	MOVQ        y_base+0(FP), CX;             \
	VMOVUPS     acc, (CX)(GATE_OFF*1);        \
	GATE_BLOCK;                               \
                                                  \
Ldone:

#define GRU_EPI4 \
	GRU_PANEL(Z0, gru4z0, gru4n0, gru4d0); \
	GRU_PANEL(Z1, gru4z1, gru4n1, gru4d1); \
	GRU_PANEL(Z2, gru4z2, gru4n2, gru4d2); \
	GRU_PANEL(Z3, gru4z3, gru4n3, gru4d3)

#define GRU_EPI1 GRU_PANEL(Z0, gru1z, gru1n, gru1d)

// func GRUStepPanelsAVX512(y []float32, a []float32, stride int, x []float32, h []float32, xp []float32, b []float32, ld int, geom int)
// Requires: AVX512F, AVX512DQ
TEXT ·GRUStepPanelsAVX512(SB), NOSPLIT, $160-168
	MOVQ y_len+8(FP), PNL_ROWS
	LEAQ (PNL_ROWS)(PNL_ROWS*2), PNL_ROWS // three panels per block
	MOVQ a_base+24(FP), PNL_A
	MOVQ stride+48(FP), PNL_STRIDE
	MOVQ x_base+56(FP), PNL_X
	MOVQ x_len+64(FP), PNL_COLS
	XORQ GATE, GATE
	XORQ GATE_OFF, GATE_OFF
	ACTF_INIT_AVX512(Z30, Z31)
	MOVQ geom+160(FP), AX                 // the panels' geometry: their height and loop
	PANELS_AVX512(GRU_EPI4, GRU_EPI1, GATES_NONE)
	VZEROUPPER
	RET
