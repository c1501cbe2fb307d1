//go:build gc && !purego && !noasm

#include "textflag.h"
#include "avx512_amd64.h"
#include "activation_avx512_amd64.h"
#include "panel_avx512_amd64.h"

// The fused recurrent step for AVX-512: the packed panel product of
// panel_avx512_amd64.h (the one GemvPanelsAVX512 runs), then, while each
// panel of sixteen rows is still in a register, the input projection, the
// bias, the activation of the cell and the stores. No intermediate vector
// goes to memory. The activations are the fast forms of
// activation_avx512_amd64.h (no division), within the error bound of
// TanhAVX512 and SigmoidAVX512 but not their bits: the epilogue is about a
// third of a low-rank step, so its cost is the step's overhead.

// Register roles of StepPanelsAVX512, beside the PNL_… of the panel product.
#define S_MODE R15 // 0: RNN, 1: MGRU gate, 2: MGRU output

// The epilogues of sixteen rows, in acc, at byte offset off from PNL_ROFF;
// they load the slices from the argument slots into AX as needed. The …K
// forms act on the rows selected by K1 only. Temporaries: Z24–Z29, K2.

// IN: acc = ((acc + y, if add) + xp) + b.
#define IN(acc, off) \
	CMPB   add+208(FP), $0;               \
	JEQ    3(PC);                         \
	MOVQ   y_base+0(FP), AX;              \
	VADDPS off(AX)(PNL_ROFF*1), acc, acc; \
	MOVQ   xp_base+152(FP), AX;           \
	VADDPS off(AX)(PNL_ROFF*1), acc, acc; \
	MOVQ   b_base+176(FP), AX;            \
	VADDPS off(AX)(PNL_ROFF*1), acc, acc

#define INK(acc) \
	CMPB      add+208(FP), $0;           \
	JEQ       4(PC);                     \
	MOVQ      y_base+0(FP), AX;          \
	VMOVUPS.Z (AX)(PNL_ROFF*1), K1, Z28; \
	VADDPS    Z28, acc, acc;             \
	MOVQ      xp_base+152(FP), AX;       \
	VMOVUPS.Z (AX)(PNL_ROFF*1), K1, Z28; \
	VADDPS    Z28, acc, acc;             \
	MOVQ      b_base+176(FP), AX;        \
	VMOVUPS.Z (AX)(PNL_ROFF*1), K1, Z28; \
	VADDPS    Z28, acc, acc

// RNN: y = tanh(acc).
#define RNN(acc, off) \
	TANHF_AVX512(acc, Z24, Z25, Z26); \
	MOVQ    y_base+0(FP), AX;         \
	VMOVUPS acc, off(AX)(PNL_ROFF*1)

#define RNNK(acc) \
	TANHF_AVX512(acc, Z24, Z25, Z26); \
	MOVQ    y_base+0(FP), AX;         \
	VMOVUPS acc, K1, (AX)(PNL_ROFF*1)

// GATE: y = σ(acc), y2 = y ⊙ h.
#define GATE(acc, off) \
	SIGMOIDF_AVX512(acc, Z24, Z25);        \
	MOVQ    y_base+0(FP), AX;              \
	VMOVUPS acc, off(AX)(PNL_ROFF*1);      \
	MOVQ    h_base+104(FP), AX;            \
	VMULPS  off(AX)(PNL_ROFF*1), acc, Z24; \
	MOVQ    y2_base+24(FP), AX;            \
	VMOVUPS Z24, off(AX)(PNL_ROFF*1)

#define GATEK(acc) \
	SIGMOIDF_AVX512(acc, Z24, Z25);      \
	MOVQ      y_base+0(FP), AX;          \
	VMOVUPS   acc, K1, (AX)(PNL_ROFF*1); \
	MOVQ      h_base+104(FP), AX;        \
	VMOVUPS.Z (AX)(PNL_ROFF*1), K1, Z24; \
	VMULPS    Z24, acc, Z24;             \
	MOVQ      y2_base+24(FP), AX;        \
	VMOVUPS   Z24, K1, (AX)(PNL_ROFF*1)

// OUT: y = h + f ⊙ (tanh(acc) − h).
#define OUT(acc, off) \
	TANHF_AVX512(acc, Z24, Z25, Z26);         \
	MOVQ        h_base+104(FP), AX;           \
	VMOVUPS     off(AX)(PNL_ROFF*1), Z24;     \
	MOVQ        f_base+128(FP), AX;           \
	VMOVUPS     off(AX)(PNL_ROFF*1), Z25;     \
	VSUBPS      Z24, acc, acc;                \ // h̃ − h
	VFMADD213PS Z24, Z25, acc;                \ // f*(h̃ − h) + h
	MOVQ        y_base+0(FP), AX;             \
	VMOVUPS     acc, off(AX)(PNL_ROFF*1)

#define OUTK(acc) \
	TANHF_AVX512(acc, Z24, Z25, Z26);         \
	MOVQ        h_base+104(FP), AX;           \
	VMOVUPS.Z   (AX)(PNL_ROFF*1), K1, Z24;    \
	MOVQ        f_base+128(FP), AX;           \
	VMOVUPS.Z   (AX)(PNL_ROFF*1), K1, Z25;    \
	VSUBPS      Z24, acc, acc;                \
	VFMADD213PS Z24, Z25, acc;                \
	MOVQ        y_base+0(FP), AX;             \
	VMOVUPS     acc, K1, (AX)(PNL_ROFF*1)

// The epilogues of the panel product, by the number of rows: the input
// terms, then the activation of the mode, four panels at a time so that
// their activations overlap.
#define STEP_EPI4 \
	IN(Z0, 0);       \
	IN(Z1, 64);      \
	IN(Z2, 128);     \
	IN(Z3, 192);     \
	CMPQ S_MODE, $1; \
	JEQ  step4gate;  \
	JGT  step4out;   \
	RNN(Z0, 0);      \
	RNN(Z1, 64);     \
	RNN(Z2, 128);    \
	RNN(Z3, 192);    \
	JMP  step4done;  \
                         \
step4gate:               \
	GATE(Z0, 0);     \
	GATE(Z1, 64);    \
	GATE(Z2, 128);   \
	GATE(Z3, 192);   \
	JMP  step4done;  \
                         \
step4out:                \
	OUT(Z0, 0);      \
	OUT(Z1, 64);     \
	OUT(Z2, 128);    \
	OUT(Z3, 192);    \
                         \
step4done:

#define STEP_EPI1 \
	IN(Z0, 0);       \
	CMPQ S_MODE, $1; \
	JEQ  step1gate;  \
	JGT  step1out;   \
	RNN(Z0, 0);      \
	JMP  step1done;  \
                         \
step1gate:               \
	GATE(Z0, 0);     \
	JMP  step1done;  \
                         \
step1out:                \
	OUT(Z0, 0);      \
                         \
step1done:

#define STEP_EPIK \
	INK(Z0);         \
	CMPQ S_MODE, $1; \
	JEQ  stepkgate;  \
	JGT  stepkout;   \
	RNNK(Z0);        \
	JMP  stepkdone;  \
                         \
stepkgate:               \
	GATEK(Z0);       \
	JMP  stepkdone;  \
                         \
stepkout:                \
	OUTK(Z0);        \
                         \
stepkdone:

// func StepPanelsAVX512(y []float32, y2 []float32, a []float32, stride int, x []float32, h []float32, f []float32, xp []float32, b []float32, mode int, add bool, geom int)
// Requires: AVX512F, AVX512DQ, AVX512VL
TEXT ·StepPanelsAVX512(SB), NOSPLIT, $24-224
	MOVQ y_len+8(FP), PNL_ROWS
	MOVQ a_base+48(FP), PNL_A
	MOVQ stride+72(FP), PNL_STRIDE
	MOVQ x_base+80(FP), PNL_X
	MOVQ x_len+88(FP), PNL_COLS
	MOVQ mode+200(FP), S_MODE
	MOVQ geom+216(FP), AX
	PANELS_AVX512(STEP_EPI4, STEP_EPI1, STEP_EPIK)
	VZEROUPPER
	RET
