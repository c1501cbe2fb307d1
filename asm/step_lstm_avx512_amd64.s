//go:build gc && !purego && !noasm

#include "textflag.h"
#include "avx512_amd64.h"
#include "activation_avx512_amd64.h"
#include "panel_avx512_amd64.h"
#include "gates_avx512_amd64.h"

// The fused step of PyTorch's LSTM cell for AVX-512: the panel product over
// gate-interleaved panels with the gates' epilogues (see gates_avx512_amd64.h).

// LSTM_PANEL finishes the panel in acc; Lg, Lo and Ldone are labels unique
// to the expansion. Gates 0 and 1 (i, f) go to
// the frame at gi + 64·GATE, gate 2 (g) to gg; gate 3 (o) combines them.
#define LSTM_PANEL(acc, Lg, Lo, Ldone) \
	GATE_ROWS(ld+176(FP));                    \
	MOVQ        b_base+152(FP), CX;           \
	VADDPS      (CX)(AX*1), acc, acc;         \ // s + b
	MOVQ        xp_base+128(FP), CX;          \
	VADDPS      (CX)(AX*1), acc, acc;         \ // (s + b) + xp
	CMPQ        GATE, $2;                     \
	JEQ         Lg;                           \
	JGT         Lo;                           \
	SIGMOIDF_AVX512(acc, Z24, Z25);           \ // i or f
	MOVQ        GATE, CX;                     \
	SHLQ        $6, CX;                       \
	VMOVUPS     acc, gi-224(SP)(CX*1);         \
	INCQ        GATE;                         \
	JMP         Ldone;                        \
                                                  \
Lg:                                               \
	TANHF_AVX512(acc, Z24, Z25, Z26, Z30, Z31); \
	VMOVUPS     acc, gg-96(SP);                \ // g
	INCQ        GATE;                         \
	JMP         Ldone;                        \
                                                  \
Lo:                                               \
	SIGMOIDF_AVX512(acc, Z24, Z25);           \ // o
	VMOVUPS     gi-224(SP), Z28;               \
	VMULPS      gg-96(SP), Z28, Z28;           \ // i*g
	MOVQ        c_base+104(FP), CX;           \
	VMOVUPS     (CX)(GATE_OFF*1), Z29;        \
	VFMADD231PS gf-160(SP), Z29, Z28;          \ // c' = f*c + i*g
	MOVQ        c2_base+24(FP), CX;           \
	VMOVUPS     Z28, (CX)(GATE_OFF*1);        \
	TANHF_AVX512(Z28, Z24, Z25, Z26, Z30, Z31); \
	VMULPS      Z28, acc, acc;                \ // o * tanh(c')
	MOVQ        y_base+0(FP), CX;             \
	VMOVUPS     acc, (CX)(GATE_OFF*1);        \
	GATE_BLOCK;                               \
                                                  \
Ldone:

#define LSTM_EPI4 \
	LSTM_PANEL(Z0, lstm4g0, lstm4o0, lstm4d0); \
	LSTM_PANEL(Z1, lstm4g1, lstm4o1, lstm4d1); \
	LSTM_PANEL(Z2, lstm4g2, lstm4o2, lstm4d2); \
	LSTM_PANEL(Z3, lstm4g3, lstm4o3, lstm4d3)

#define LSTM_EPI1 LSTM_PANEL(Z0, lstm1g, lstm1o, lstm1d)

// func LSTMStepPanelsAVX512(y []float32, c2 []float32, a []float32, stride int, x []float32, c []float32, xp []float32, b []float32, ld int, geom int)
// Requires: AVX512F, AVX512DQ
TEXT ·LSTMStepPanelsAVX512(SB), NOSPLIT, $224-192
	MOVQ y_len+8(FP), PNL_ROWS
	SHLQ $2, PNL_ROWS // four panels per block
	MOVQ a_base+48(FP), PNL_A
	MOVQ stride+72(FP), PNL_STRIDE
	MOVQ x_base+80(FP), PNL_X
	MOVQ x_len+88(FP), PNL_COLS
	XORQ GATE, GATE
	XORQ GATE_OFF, GATE_OFF
	ACTF_INIT_AVX512(Z30, Z31)
	MOVQ geom+184(FP), AX                 // the panels' geometry: their height and loop
	PANELS_AVX512(LSTM_EPI4, LSTM_EPI1, GATES_NONE)
	VZEROUPPER
	RET
