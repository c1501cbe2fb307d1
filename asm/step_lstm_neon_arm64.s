//go:build gc && !purego && !noasm

#include "textflag.h"
#include "neon_arm64.h"
#include "activation_neon_arm64.h"
#include "panel_neon_arm64.h"
#include "gates_neon_arm64.h"

// The fused step of PyTorch's LSTM cell for NEON: the panel product over
// gate-interleaved panels with the gates' epilogues (see gates_neon_arm64.h).

// LSTM_EPI finishes the panel in V16–V19. Gates 0 and 1 (i, f) go to
// the frame at gi + 64·GATE, gate 2 (g) to gg; gate 3 (o) combines them.
#define LSTM_EPI \
	GATE_ROWS(b_base+152(FP), xp_base+128(FP)); \
	CMP    $2, GATE;              \
	BEQ    lstmg;                 \
	BGT    lstmo;                 \
	MOVD   $gi-192(SP), R4;        \
	ADD    GATE<<6, R4;           \
                                      \
lstmif:                               \ // i or f, four units at a time
	GATE_IN;                      \
	SIGMOID_NEON;                 \
	VST1.P [V20.S4], 16(R4);      \
	GATE_QUAD;                    \
	BNE    lstmif;                \
	ADD    $1, GATE;              \
	B      lstmdone;              \
                                      \
lstmg:                                \
	MOVD   $gg-64(SP), R4;         \
                                      \
lstmgquad:                            \
	GATE_IN;                      \
	TANH_NEON;                    \
	VST1.P [V20.S4], 16(R4);      \
	GATE_QUAD;                    \
	BNE    lstmgquad;             \
	ADD    $1, GATE;              \
	B      lstmdone;              \
                                      \
lstmo:                                \
	MOVD   $gi-192(SP), R4;        \
	MOVD   $gf-128(SP), R5;        \
	MOVD   $gg-64(SP), R24;        \
	MOVD   c_base+104(FP), R11;   \
	ADD    GATE_OFF, R11;         \ // &c[16k]
	MOVD   c2_base+24(FP), R12;   \
	ADD    GATE_OFF, R12;         \ // &c2[16k]
	MOVD   y_base+0(FP), R0;      \
	ADD    GATE_OFF, R0;          \ // &y[16k]
                                      \
lstmoquad:                            \
	GATE_IN;                      \
	SIGMOID_NEON;                 \
	VMOV   V20.B16, V3.B16;       \ // o
	VLD1.P 16(R4), [V4.S4];       \ // i
	VLD1.P 16(R24), [V6.S4];      \ // g
	VFMUL4S(6, 4, 20);            \ // i*g
	VLD1.P 16(R5), [V5.S4];       \ // f
	VLD1.P 16(R11), [V7.S4];      \ // c
	VFMLA  V7.S4, V5.S4, V20.S4;  \ // c' = i*g + f*c, fused
	VST1.P [V20.S4], 16(R12);     \
	TANH_NEON;                    \
	VFMUL4S(3, 20, 20);           \ // tanh(c') * o
	VST1.P [V20.S4], 16(R0);      \
	GATE_QUAD;                    \
	BNE    lstmoquad;             \
	GATE_BLOCK;                   \
                                      \
lstmdone:

// func LSTMStepPanelsNEON(y []float32, c2 []float32, a []float32, stride int, x []float32, c []float32, xp []float32, b []float32, ld int)
// Requires: ASIMD
TEXT ·LSTMStepPanelsNEON(SB), NOSPLIT, $192-184
	MOVD y_len+8(FP), PNL_ROWS
	LSL  $2, PNL_ROWS // four panels per block
	MOVD a_base+48(FP), PNL_A
	MOVD stride+72(FP), PNL_STRIDE
	MOVD x_base+80(FP), PNL_X
	MOVD x_len+88(FP), PNL_COLS
	MOVD ld+176(FP), GATE_LD
	LSL  $2, GATE_LD
	MOVD ZR, GATE
	MOVD ZR, GATE_OFF
	MOVD $16, PNL_CS // column step: the 16-row panels the gates are packed in
	PANELS_NEON(GATES_PRE, LSTM_EPI)
	RET
