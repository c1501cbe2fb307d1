//go:build gc && !purego && !noasm

#include "textflag.h"
#include "activation_avx2_amd64.h"
#include "panel_avx2_amd64.h"
#include "gates_avx2_amd64.h"

// The fused step of PyTorch's GRU cell for AVX2+FMA3: the panel product over
// gate-interleaved panels with the gates' epilogues (see gates_avx2_amd64.h).

// GRU_PANEL finishes the panel in lo:hi (rows 0–7 and 8–15); Lz, Ln and
// Ldone are labels unique to the expansion.
#define GRU_PANEL(lo, hi, Lz, Ln, Ldone) \
	GATE_ROWS(ld+152(FP));             \
	MOVQ        b_base+128(FP), R10;    \
	VADDPS      (R10)(AX*1), lo, lo;    \ // u = s + b
	VADDPS      32(R10)(AX*1), hi, hi;  \
	MOVQ        xp_base+104(FP), R10;   \
	CMPQ        GATE, $1;              \
	JEQ         Lz;                    \
	JGT         Ln;                    \
	VADDPS      (R10)(AX*1), lo, lo;    \ // u_r + xp_r
	VADDPS      32(R10)(AX*1), hi, hi;  \
	SIGMOID_AVX2(lo, Y8, Y9);          \
	SIGMOID_AVX2(hi, Y10, Y11);        \
	VMOVUPS     lo, r-128(SP);         \ // r
	VMOVUPS     hi, r-96(SP);          \
	INCQ        GATE;                  \
	JMP         Ldone;                 \
                                           \
Lz:                                        \
	VADDPS      (R10)(AX*1), lo, lo;    \ // u_z + xp_z
	VADDPS      32(R10)(AX*1), hi, hi;  \
	SIGMOID_AVX2(lo, Y8, Y9);          \
	SIGMOID_AVX2(hi, Y10, Y11);        \
	VMOVUPS     lo, z-64(SP);          \ // z
	VMOVUPS     hi, z-32(SP);          \
	INCQ        GATE;                  \
	JMP         Ldone;                 \
                                           \
Ln:                                        \
	VMOVUPS     r-128(SP), Y8;         \
	VMOVUPS     r-96(SP), Y9;          \
	VFMADD213PS (R10)(AX*1), Y8, lo;    \ // r*u_n + xp_n
	VFMADD213PS 32(R10)(AX*1), Y9, hi;  \
	TANH_AVX2(lo, Y8, Y9, Y10, Y11);   \ // n
	TANH_AVX2(hi, Y12, Y13, Y14, Y15); \
	MOVQ        h_base+80(FP), R10;     \
	VMOVUPS     (R10)(GATE_OFF*1), Y8;  \
	VMOVUPS     32(R10)(GATE_OFF*1), Y9; \
	VSUBPS      lo, Y8, Y8;            \ // h − n
	VSUBPS      hi, Y9, Y9;            \
	VFMADD231PS z-64(SP), Y8, lo;      \ // n + z*(h − n)
	VFMADD231PS z-32(SP), Y9, hi;      \
	MOVQ        y_base+0(FP), R10;      \
	VMOVUPS     lo, (R10)(GATE_OFF*1);  \
	VMOVUPS     hi, 32(R10)(GATE_OFF*1); \
	GATE_BLOCK;                        \
                                           \
Ldone:

#define GRU_EPI2 \
	GRU_PANEL(Y0, Y1, gru2z0, gru2n0, gru2d0); \
	GRU_PANEL(Y4, Y5, gru2z1, gru2n1, gru2d1)

#define GRU_EPI1 GRU_PANEL(Y0, Y1, gru1z, gru1n, gru1d)

// GRU_EPI2T is GRU_EPI2 for the walk of taller panels.
#define GRU_EPI2T \
	GRU_PANEL(Y0, Y1, gru2tz0, gru2tn0, gru2td0); \
	GRU_PANEL(Y4, Y5, gru2tz1, gru2tn1, gru2td1)

// func GRUStepPanelsAVX2(y []float32, a []float32, stride int, x []float32, h []float32, xp []float32, b []float32, ld int, ph int)
// Requires: AVX, AVX2, FMA3
TEXT ·GRUStepPanelsAVX2(SB), NOSPLIT, $144-168
	MOVQ y_len+8(FP), PNL_ROWS
	LEAQ (PNL_ROWS)(PNL_ROWS*2), PNL_ROWS // three panels per block
	MOVQ a_base+24(FP), PNL_A
	MOVQ stride+48(FP), PNL_STRIDE
	MOVQ x_base+56(FP), PNL_X
	MOVQ x_len+64(FP), PNL_COLS
	XORQ GATE, GATE
	XORQ GATE_OFF, GATE_OFF
	MOVQ ph+160(FP), PNL_CS               // column step: the panel height
	CMPQ PNL_CS, $16
	JNE  tall
	PANELS_AVX2(GRU_EPI2, GRU_EPI1, GATES_NONE)
	VZEROUPPER
	RET

tall:
	PANELS_TALL_AVX2(GRU_EPI2T, pa-144(SP), ps-136(SP))
	VZEROUPPER
	RET
