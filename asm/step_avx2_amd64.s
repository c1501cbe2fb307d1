//go:build gc && !purego && !noasm

#include "textflag.h"
#include "activation_avx2_amd64.h"
#include "panel_avx2_amd64.h"

// The fused recurrent step for AVX2+FMA3: the packed panel product of
// panel_avx2_amd64.h (the one GemvPanelsAVX2 runs: same accumulators, same
// order of summation), then, while each panel of sixteen rows is still in
// two registers, the input projection, the bias, the activation of the cell
// and the stores.
//
// A partial last panel (len(y)%16 rows) never loads a vector from the
// slices: its sums go to the 64-byte frame acc, the element-wise parts of
// the epilogue run one row at a time (the same operations, so the same
// bits), and only the activation runs on the whole frame. No VMASKMOVPS:
// qemu reads the whole vector for those (see panel_avx2_amd64.h).

// Register roles of StepPanelsAVX2, beside the PNL_… of the panel product.
#define S_MODE R14 // 0: RNN, 1: MGRU gate, 2: MGRU output
// AX and DI hold slice bases in the epilogues; the product's cursors
// PNL_P0, PNL_P1 and PNL_K are free there.

// The epilogues of eight rows, at byte offset off from PNL_ROFF, in acc;
// t0–t3 are temporaries.

// IN: acc = ((acc + y, if add) + xp) + b.
#define IN(acc, off) \
	CMPB   add+216(FP), $0;               \
	JEQ    3(PC);                         \
	MOVQ   y_base+0(FP), AX;              \
	VADDPS off(AX)(PNL_ROFF*1), acc, acc; \
	MOVQ   xp_base+160(FP), AX;           \
	VADDPS off(AX)(PNL_ROFF*1), acc, acc; \
	MOVQ   b_base+184(FP), AX;            \
	VADDPS off(AX)(PNL_ROFF*1), acc, acc

// RNN: y = tanh(acc).
#define RNN(acc, off, t0, t1, t2, t3) \
	TANH_AVX2(acc, t0, t1, t2, t3);  \
	MOVQ    y_base+0(FP), AX;        \
	VMOVUPS acc, off(AX)(PNL_ROFF*1)

// GATE: y = σ(acc), y2 = y ⊙ h.
#define GATE(acc, off, t0, t1) \
	SIGMOID_AVX2(acc, t0, t1);            \
	MOVQ    y_base+0(FP), AX;             \
	VMOVUPS acc, off(AX)(PNL_ROFF*1);     \
	MOVQ    h_base+112(FP), AX;           \
	VMULPS  off(AX)(PNL_ROFF*1), acc, t0; \
	MOVQ    y2_base+24(FP), AX;           \
	VMOVUPS t0, off(AX)(PNL_ROFF*1)

// OUT: y = h + f ⊙ (tanh(acc) − h).
#define OUT(acc, off, t0, t1, t2, t3) \
	TANH_AVX2(acc, t0, t1, t2, t3);      \
	MOVQ        h_base+112(FP), AX;      \
	VMOVUPS     off(AX)(PNL_ROFF*1), t0; \
	MOVQ        f_base+136(FP), AX;      \
	VMOVUPS     off(AX)(PNL_ROFF*1), t1; \
	VSUBPS      t0, acc, acc;            \ // h̃ − h
	VFMADD213PS t0, t1, acc;             \ // f*(h̃ − h) + h
	MOVQ        y_base+0(FP), AX;        \
	VMOVUPS     acc, off(AX)(PNL_ROFF*1)

// The epilogues of the panel product, by the number of rows: the input
// terms, then the activation of the mode, a pair of panels at a time so
// that their activations overlap.
#define STEP_EPI2 \
	IN(Y0, 0);                       \
	IN(Y1, 32);                      \
	IN(Y4, 64);                      \
	IN(Y5, 96);                      \
	CMPQ S_MODE, $1;                 \
	JEQ  step2gate;                  \
	JGT  step2out;                   \
	RNN(Y0, 0, Y8, Y9, Y10, Y11);    \
	RNN(Y1, 32, Y12, Y13, Y14, Y15); \
	RNN(Y4, 64, Y8, Y9, Y10, Y11);   \
	RNN(Y5, 96, Y12, Y13, Y14, Y15); \
	JMP  step2done;                  \
                                         \
step2gate:                               \
	GATE(Y0, 0, Y8, Y9);             \
	GATE(Y1, 32, Y10, Y11);          \
	GATE(Y4, 64, Y12, Y13);          \
	GATE(Y5, 96, Y14, Y15);          \
	JMP  step2done;                  \
                                         \
step2out:                                \
	OUT(Y0, 0, Y8, Y9, Y10, Y11);    \
	OUT(Y1, 32, Y12, Y13, Y14, Y15); \
	OUT(Y4, 64, Y8, Y9, Y10, Y11);   \
	OUT(Y5, 96, Y12, Y13, Y14, Y15); \
                                         \
step2done:

#define STEP_EPI1 \
	IN(Y0, 0);                       \
	IN(Y1, 32);                      \
	CMPQ S_MODE, $1;                 \
	JEQ  step1gate;                  \
	JGT  step1out;                   \
	RNN(Y0, 0, Y8, Y9, Y10, Y11);    \
	RNN(Y1, 32, Y12, Y13, Y14, Y15); \
	JMP  step1done;                  \
                                         \
step1gate:                               \
	GATE(Y0, 0, Y8, Y9);             \
	GATE(Y1, 32, Y10, Y11);          \
	JMP  step1done;                  \
                                         \
step1out:                                \
	OUT(Y0, 0, Y8, Y9, Y10, Y11);    \
	OUT(Y1, 32, Y12, Y13, Y14, Y15); \
                                         \
step1done:

// The partial panel, PNL_ROWS < 16 rows: through the frame, row by row.
#define STEP_EPIP \
	VMOVUPS Y0, acc-64(SP);              \
	VMOVUPS Y1, acc-32(SP);              \
	MOVQ    xp_base+160(FP), AX;         \
	ADDQ    PNL_ROFF, AX;                \ // AX = &xp[i]
	MOVQ    b_base+184(FP), DI;          \
	ADDQ    PNL_ROFF, DI;                \ // DI = &b[i]
	MOVQ    y_base+0(FP), PNL_P0;        \
	ADDQ    PNL_ROFF, PNL_P0;            \ // PNL_P0 = &y[i]
	XORQ    PNL_K, PNL_K;                \
	CMPB    add+216(FP), $0;             \
	JEQ     steppin;                     \
                                             \
steppinadd:                                  \
	VMOVSS acc-64(SP)(PNL_K*4), X0;      \
	VADDSS (PNL_P0)(PNL_K*4), X0, X0;    \
	VMOVSS X0, acc-64(SP)(PNL_K*4);      \ // acc[k] += y[i+k]
	INCQ   PNL_K;                        \
	CMPQ   PNL_K, PNL_ROWS;              \
	JB     steppinadd;                   \
	XORQ   PNL_K, PNL_K;                 \
                                             \
steppin:                                     \
	VMOVSS  acc-64(SP)(PNL_K*4), X0;     \
	VADDSS  (AX)(PNL_K*4), X0, X0;       \
	VADDSS  (DI)(PNL_K*4), X0, X0;       \
	VMOVSS  X0, acc-64(SP)(PNL_K*4);     \ // acc[k] = (acc[k] + xp[i+k]) + b[i+k]
	INCQ    PNL_K;                       \
	CMPQ    PNL_K, PNL_ROWS;             \
	JB      steppin;                     \
	VMOVUPS acc-64(SP), Y0;              \
	VMOVUPS acc-32(SP), Y1;              \
	XORQ    PNL_K, PNL_K;                \
	MOVQ    h_base+112(FP), AX;          \
	ADDQ    PNL_ROFF, AX;                \ // AX = &h[i]
	CMPQ    S_MODE, $1;                  \
	JEQ     steppgate;                   \
	JGT     steppout;                    \
	TANH_AVX2(Y0, Y8, Y9, Y10, Y11);     \
	TANH_AVX2(Y1, Y12, Y13, Y14, Y15);   \
	VMOVUPS Y0, acc-64(SP);              \
	VMOVUPS Y1, acc-32(SP);              \
                                             \
stepprnn:                                    \
	MOVL acc-64(SP)(PNL_K*4), PNL_P1;    \
	MOVL PNL_P1, (PNL_P0)(PNL_K*4);      \ // y[i+k] = tanh(acc[k])
	INCQ PNL_K;                          \
	CMPQ PNL_K, PNL_ROWS;                \
	JB   stepprnn;                       \
	JMP  steppdone;                      \
                                             \
steppgate:                                   \
	SIGMOID_AVX2(Y0, Y8, Y9);            \
	SIGMOID_AVX2(Y1, Y10, Y11);          \
	VMOVUPS Y0, acc-64(SP);              \
	VMOVUPS Y1, acc-32(SP);              \
	MOVQ    y2_base+24(FP), DI;          \
	ADDQ    PNL_ROFF, DI;                \ // DI = &y2[i]
                                             \
steppgaterow:                                \
	VMOVSS acc-64(SP)(PNL_K*4), X0;      \
	VMOVSS X0, (PNL_P0)(PNL_K*4);        \ // y[i+k] = σ(acc[k])
	VMULSS (AX)(PNL_K*4), X0, X0;        \
	VMOVSS X0, (DI)(PNL_K*4);            \ // y2[i+k] = y[i+k] * h[i+k]
	INCQ   PNL_K;                        \
	CMPQ   PNL_K, PNL_ROWS;              \
	JB     steppgaterow;                 \
	JMP    steppdone;                    \
                                             \
steppout:                                    \
	TANH_AVX2(Y0, Y8, Y9, Y10, Y11);     \
	TANH_AVX2(Y1, Y12, Y13, Y14, Y15);   \
	VMOVUPS Y0, acc-64(SP);              \
	VMOVUPS Y1, acc-32(SP);              \
	MOVQ    f_base+136(FP), DI;          \
	ADDQ    PNL_ROFF, DI;                \ // DI = &f[i]
                                             \
steppoutrow:                                 \
	VMOVSS      acc-64(SP)(PNL_K*4), X0; \
	VMOVSS      (AX)(PNL_K*4), X1;       \
	VMOVSS      (DI)(PNL_K*4), X2;       \
	VSUBSS      X1, X0, X0;              \ // h̃ − h
	VFMADD213SS X1, X2, X0;              \ // f*(h̃ − h) + h
	VMOVSS      X0, (PNL_P0)(PNL_K*4);   \
	INCQ        PNL_K;                   \
	CMPQ        PNL_K, PNL_ROWS;         \
	JB          steppoutrow;             \
                                             \
steppdone:

// func StepPanelsAVX2(y []float32, y2 []float32, a []float32, stride int, cs int, x []float32, h []float32, f []float32, xp []float32, b []float32, mode int, add bool)
// Requires: AVX, AVX2, FMA3
TEXT ·StepPanelsAVX2(SB), NOSPLIT, $64-217
	MOVQ y_len+8(FP), PNL_ROWS
	MOVQ a_base+48(FP), PNL_A
	MOVQ stride+72(FP), PNL_STRIDE
	MOVQ cs+80(FP), PNL_CS
	MOVQ x_base+88(FP), PNL_X
	MOVQ x_len+96(FP), PNL_COLS
	MOVQ mode+208(FP), S_MODE
	PANELS_AVX2(STEP_EPI2, STEP_EPI1, STEP_EPIP)
	VZEROUPPER
	RET
