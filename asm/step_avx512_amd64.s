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
// In the epilogues (where the product's walkers are free), pointers to
// the current rows of the slices, set once per epilogue by S_PTRS.
#define S_Y    DI  // &y[i]
#define S_XP   R12 // &xp[i]
#define S_B    R13 // &b[i]
#define S_H    R14 // &h[i] (gate and output modes)
#define S_AUX  AX  // &y2[i] (gate) or &f[i] (output)
// Z30, Z31 hold the constants of TANHF_AVX512 in an epilogue.

// S_PTRS sets the row pointers for the rows at PNL_ROFF.
#define S_PTRS \
	MOVQ y_base+0(FP), S_Y;     \
	ADDQ PNL_ROFF, S_Y;         \
	MOVQ xp_base+152(FP), S_XP; \
	ADDQ PNL_ROFF, S_XP;        \
	MOVQ b_base+176(FP), S_B;   \
	ADDQ PNL_ROFF, S_B;         \
	MOVQ h_base+104(FP), S_H;   \
	ADDQ PNL_ROFF, S_H;         \
	MOVQ y2_base+24(FP), S_AUX; \
	CMPQ S_MODE, $2;            \
	JNE  2(PC);                 \
	MOVQ f_base+128(FP), S_AUX; \
	ADDQ PNL_ROFF, S_AUX

// The epilogues of sixteen rows, in acc, at byte offset off from the row
// pointers. The …K forms act on the rows selected by K1 only.
// Temporaries: Z24–Z29, K2.

// IN: acc = (acc + xp) + b (y was added first, if add).
#define IN(acc, off) \
	VADDPS off(S_XP), acc, acc; \
	VADDPS off(S_B), acc, acc

#define INK(acc) \
	CMPB      add+208(FP), $0;   \
	JEQ       3(PC);             \
	VMOVUPS.Z (S_Y), K1, Z28;    \
	VADDPS    Z28, acc, acc;     \
	VMOVUPS.Z (S_XP), K1, Z28;   \
	VADDPS    Z28, acc, acc;     \
	VMOVUPS.Z (S_B), K1, Z28;    \
	VADDPS    Z28, acc, acc

// RNN: y = tanh(acc).
#define RNN(acc, off) \
	TANHF_AVX512(acc, Z24, Z25, Z26, Z30, Z31); \
	VMOVUPS acc, off(S_Y)

#define RNNK(acc) \
	TANHF_AVX512(acc, Z24, Z25, Z26, Z30, Z31); \
	VMOVUPS acc, K1, (S_Y)

// GATE: y = σ(acc), y2 = y ⊙ h.
#define GATE(acc, off) \
	SIGMOIDF_AVX512(acc, Z24, Z25);  \
	VMOVUPS acc, off(S_Y);           \
	VMULPS  off(S_H), acc, Z24;      \
	VMOVUPS Z24, off(S_AUX)

#define GATEK(acc) \
	SIGMOIDF_AVX512(acc, Z24, Z25); \
	VMOVUPS   acc, K1, (S_Y);       \
	VMOVUPS.Z (S_H), K1, Z24;       \
	VMULPS    Z24, acc, Z24;        \
	VMOVUPS   Z24, K1, (S_AUX)

// OUT: y = h + f ⊙ (tanh(acc) − h).
#define OUT(acc, off) \
	TANHF_AVX512(acc, Z24, Z25, Z26, Z30, Z31); \
	VMOVUPS     off(S_H), Z24;                  \
	VSUBPS      Z24, acc, acc;                  \ // h̃ − h
	VFMADD132PS off(S_AUX), Z24, acc;           \ // (h̃ − h)*f + h
	VMOVUPS     acc, off(S_Y)

#define OUTK(acc) \
	TANHF_AVX512(acc, Z24, Z25, Z26, Z30, Z31); \
	VMOVUPS.Z   (S_H), K1, Z24;                 \
	VMOVUPS.Z   (S_AUX), K1, Z25;               \
	VSUBPS      Z24, acc, acc;                  \
	VFMADD213PS Z24, Z25, acc;                  \
	VMOVUPS     acc, K1, (S_Y)

// The epilogues of the panel product, by the number of rows: the input
// terms, then the activation of the mode, four registers at a time so
// that their activations overlap.
#define STEP_EPI4 \
	S_PTRS;                         \
	ACTF_INIT_AVX512(Z30, Z31);     \
	CMPB   add+208(FP), $0;         \
	JEQ    step4in;                 \
	VADDPS (S_Y), Z0, Z0;           \ // acc += y
	VADDPS 64(S_Y), Z1, Z1;         \
	VADDPS 128(S_Y), Z2, Z2;        \
	VADDPS 192(S_Y), Z3, Z3;        \
                                        \
step4in:                                \
	IN(Z0, 0);                      \
	IN(Z1, 64);                     \
	IN(Z2, 128);                    \
	IN(Z3, 192);                    \
	CMPQ S_MODE, $1;                \
	JEQ  step4gate;                 \
	JGT  step4out;                  \
	RNN(Z0, 0);                     \
	RNN(Z1, 64);                    \
	RNN(Z2, 128);                   \
	RNN(Z3, 192);                   \
	JMP  step4done;                 \
                                        \
step4gate:                              \
	GATE(Z0, 0);                    \
	GATE(Z1, 64);                   \
	GATE(Z2, 128);                  \
	GATE(Z3, 192);                  \
	JMP  step4done;                 \
                                        \
step4out:                               \
	OUT(Z0, 0);                     \
	OUT(Z1, 64);                    \
	OUT(Z2, 128);                   \
	OUT(Z3, 192);                   \
                                        \
step4done:

#define STEP_EPI1 \
	S_PTRS;                         \
	ACTF_INIT_AVX512(Z30, Z31);     \
	CMPB   add+208(FP), $0;         \
	JEQ    2(PC);                   \
	VADDPS (S_Y), Z0, Z0;           \ // acc += y
	IN(Z0, 0);                      \
	CMPQ S_MODE, $1;                \
	JEQ  step1gate;                 \
	JGT  step1out;                  \
	RNN(Z0, 0);                     \
	JMP  step1done;                 \
                                        \
step1gate:                              \
	GATE(Z0, 0);                    \
	JMP  step1done;                 \
                                        \
step1out:                               \
	OUT(Z0, 0);                     \
                                        \
step1done:

#define STEP_EPIK \
	S_PTRS;                         \
	ACTF_INIT_AVX512(Z30, Z31);     \
	INK(Z0);                        \
	CMPQ S_MODE, $1;                \
	JEQ  stepkgate;                 \
	JGT  stepkout;                  \
	RNNK(Z0);                       \
	JMP  stepkdone;                 \
                                        \
stepkgate:                              \
	GATEK(Z0);                      \
	JMP  stepkdone;                 \
                                        \
stepkout:                               \
	OUTK(Z0);                       \
                                        \
stepkdone:

// The epilogue alone (no columns: y = act(y + xp + b), y the product
// made by another routine), as the batched steps run it row by row: the
// row pointers set once and advanced, 64 rows a round, so that nothing
// but the activations' own work stands between one round and the next.
// The labels of its loop, then the activation macros of the mode.
#define EPI_ONLY(l4, l1, lk, ldone, ACT, ACTK) \
l4:                                     \
	CMPQ      PNL_ROWS, $64;        \
	JLT       l1;                   \
	VMOVUPS.Z (S_Y), K3, Z0;        \ // acc = y if add, else 0
	VMOVUPS.Z 64(S_Y), K3, Z1;      \
	VMOVUPS.Z 128(S_Y), K3, Z2;     \
	VMOVUPS.Z 192(S_Y), K3, Z3;     \
	IN(Z0, 0);                      \
	IN(Z1, 64);                     \
	IN(Z2, 128);                    \
	IN(Z3, 192);                    \
	ACT(Z0, 0);                     \
	ACT(Z1, 64);                    \
	ACT(Z2, 128);                   \
	ACT(Z3, 192);                   \
	EPI_ADVANCE($256);              \
	SUBQ      $64, PNL_ROWS;        \
	JMP       l4;                   \
                                        \
l1:                                     \
	CMPQ      PNL_ROWS, $16;        \
	JLT       lk;                   \
	VMOVUPS.Z (S_Y), K3, Z0;        \
	IN(Z0, 0);                      \
	ACT(Z0, 0);                     \
	EPI_ADVANCE($64);               \
	SUBQ      $16, PNL_ROWS;        \
	JMP       l1;                   \
                                        \
lk:                                     \
	TESTQ     PNL_ROWS, PNL_ROWS;   \
	JZ        ldone;                \
	MOVQ      S_AUX, R10;           \ // MASK takes AX
	MOVQ      PNL_ROWS, CX;         \
	MASK(K1);                       \
	MOVQ      R10, S_AUX;           \
	VPXORD    Z0, Z0, Z0;           \
	INK(Z0);                        \
	ACTK(Z0);                       \
                                        \
ldone:

// EPI_ADVANCE moves the row pointers on by n bytes.
#define EPI_ADVANCE(n) \
	ADDQ n, S_Y;   \
	ADDQ n, S_XP;  \
	ADDQ n, S_B;   \
	ADDQ n, S_H;   \
	ADDQ n, S_AUX

// func StepPanelsAVX512(y []float32, y2 []float32, a []float32, stride int, x []float32, h []float32, f []float32, xp []float32, b []float32, mode int, add bool, geom int)
// Requires: AVX512F, AVX512DQ, AVX512VL
TEXT ·StepPanelsAVX512(SB), NOSPLIT, $24-224
	MOVQ y_len+8(FP), PNL_ROWS
	MOVQ a_base+48(FP), PNL_A
	MOVQ stride+72(FP), PNL_STRIDE
	MOVQ x_base+80(FP), PNL_X
	MOVQ x_len+88(FP), PNL_COLS
	MOVQ mode+200(FP), S_MODE
	TESTQ PNL_COLS, PNL_COLS
	JZ    epionly
	MOVQ geom+216(FP), AX
	PANELS_AVX512(STEP_EPI4, STEP_EPI1, STEP_EPIK)
	VZEROUPPER
	RET

epionly:
	XORQ   PNL_ROFF, PNL_ROFF
	S_PTRS
	ACTF_INIT_AVX512(Z30, Z31)
	KXORW  K3, K3, K3             // K3: every lane if add, else none
	CMPB   add+208(FP), $0
	JEQ    2(PC)
	KXNORW K3, K3, K3
	CMPQ   S_MODE, $1
	JEQ    eogate
	JGT    eoout
	EPI_ONLY(eornn4, eornn1, eornnk, eornnd, RNN, RNNK)
	JMP    eodone

eogate:
	EPI_ONLY(eogate4, eogate1, eogatek, eogated, GATE, GATEK)
	JMP    eodone

eoout:
	EPI_ONLY(eoout4, eoout1, eooutk, eooutd, OUT, OUTK)

eodone:
	VZEROUPPER
	RET
