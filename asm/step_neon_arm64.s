//go:build gc && !purego && !noasm

#include "textflag.h"
#include "neon_arm64.h"
#include "activation_neon_arm64.h"
#include "panel_neon_arm64.h"

// The fused recurrent step for NEON: the packed panel product of
// panel_neon_arm64.h (the one GemvPanelsNEON runs: same accumulators, same
// order of summation), then, while each panel of sixteen rows is still in
// V16–V19, the input projection, the bias, the activation of the cell and
// the stores.
//
// The product uses all 32 vector registers; the activations need V20–V31
// (see activation_neon_arm64.h), so the constants are loaded once per
// product, and the epilogue takes the panel four rows at a time: V16 goes
// to V20, and V17–V19 move down. A partial last panel finishes one row at
// a time as scalars in lane 0, so no vector is loaded from or stored to a
// slice past its end.

// Register roles of StepPanelsNEON, beside the PNL_… of the panel product.
#define N_Y    R0  // &y[i]
#define N_Y2   R1  // &y2[i]
#define N_H    R2  // &h[i]
#define N_F    R3  // &f[i]
#define N_XP   R4  // &xp[i]
#define N_B    R5  // &b[i]
#define N_ADD  R11 // add
#define N_MODE R12 // 0: RNN, 1: MGRU gate, 2: MGRU output
#define N_TMP  R17 // scratch

// STEP_PRE loads the activations' constants into V26–V31.
#define STEP_PRE ACT_NEON_INIT(N_TMP)

// STEP_EPI finishes the PNL_N rows in V16–V19.
#define STEP_EPI \
stepepi4:                                   \ // four rows at a time, from V16
	CMP  $4, PNL_N;                     \
	BLT  stepepi1;                      \
	VMOV V16.B16, V20.B16;              \ // s
	CBZ  N_ADD, stepepi4in;             \
	VLD1 (N_Y), [V0.S4];                \
	VFADD4S(0, 20, 20);                 \ // s += y[i:i+4]
                                            \
stepepi4in:                                 \
	VLD1.P 16(N_XP), [V0.S4];           \
	VLD1.P 16(N_B), [V1.S4];            \
	VFADD4S(0, 20, 20);                 \ // s += xp[i:i+4]
	VFADD4S(1, 20, 20);                 \ // s += b[i:i+4]
	CMP    $1, N_MODE;                  \
	BEQ    stepepi4gate;                \
	BGT    stepepi4out;                 \
	TANH_NEON;                          \
	VST1.P [V20.S4], 16(N_Y);           \ // y[i:i+4] = tanh(s)
	B      stepepi4next;                \
                                            \
stepepi4gate:                               \
	SIGMOID_NEON;                       \
	VST1.P [V20.S4], 16(N_Y);           \ // y[i:i+4] = σ(s)
	VLD1.P 16(N_H), [V0.S4];            \
	VFMUL4S(0, 20, 1);                  \
	VST1.P [V1.S4], 16(N_Y2);           \ // y2[i:i+4] = y[i:i+4] * h[i:i+4]
	B      stepepi4next;                \
                                            \
stepepi4out:                                \
	TANH_NEON;                          \
	VLD1.P 16(N_H), [V0.S4];            \
	VLD1.P 16(N_F), [V1.S4];            \
	VFSUB4S(0, 20, 20);                 \ // h̃ − h
	VFMLA  V1.S4, V20.S4, V0.S4;        \ // h + f*(h̃ − h), fused
	VST1.P [V0.S4], 16(N_Y);            \
                                            \
stepepi4next:                               \
	VMOV V17.B16, V16.B16;              \ // s = s[4:]
	VMOV V18.B16, V17.B16;              \
	VMOV V19.B16, V18.B16;              \
	SUB  $4, PNL_N;                     \
	B    stepepi4;                      \
                                            \
stepepi1:                                   \ // the last rows of a partial panel, one at a time in lane 0
	CBZ   PNL_N, stepepidone;           \
	FMOVS F16, F20;                     \ // s = s[0], the other lanes 0
	CBZ   N_ADD, stepepi1in;            \
	FMOVS (N_Y), F0;                    \
	FADDS F0, F20;                      \ // s += y[i]
                                            \
stepepi1in:                                 \
	FMOVS.P 4(N_XP), F0;                \
	FADDS   F0, F20;                    \ // s += xp[i]
	FMOVS.P 4(N_B), F0;                 \
	FADDS   F0, F20;                    \ // s += b[i]
	CMP     $1, N_MODE;                 \
	BEQ     stepepi1gate;               \
	BGT     stepepi1out;                \
	TANH_NEON;                          \
	FMOVS.P F20, 4(N_Y);                \ // y[i] = tanh(s)
	B       stepepi1next;               \
                                            \
stepepi1gate:                               \
	SIGMOID_NEON;                       \
	FMOVS.P F20, 4(N_Y);                \ // y[i] = σ(s)
	FMOVS.P 4(N_H), F0;                 \
	FMULS   F20, F0;                    \
	FMOVS.P F0, 4(N_Y2);                \ // y2[i] = y[i] * h[i]
	B       stepepi1next;               \
                                            \
stepepi1out:                                \
	TANH_NEON;                          \
	FMOVS.P 4(N_H), F0;                 \
	FMOVS.P 4(N_F), F1;                 \
	FSUBS   F0, F20;                    \ // h̃ − h
	FMADDS  F20, F0, F1, F0;            \ // h + f*(h̃ − h), fused
	FMOVS.P F0, 4(N_Y);                 \
                                            \
stepepi1next:                               \
	VEXT $4, V16.B16, V16.B16, V16.B16; \ // s = s[1:] (rotate lanes)
	SUB  $1, PNL_N;                     \
	B    stepepi1;                      \
                                            \
stepepidone:

// func StepPanelsNEON(y []float32, y2 []float32, a []float32, stride int, cs int, x []float32, h []float32, f []float32, xp []float32, b []float32, mode int, add bool)
// Requires: ASIMD
TEXT ·StepPanelsNEON(SB), NOSPLIT, $0-217
	MOVD  y_base+0(FP), N_Y
	MOVD  y_len+8(FP), PNL_ROWS
	MOVD  y2_base+24(FP), N_Y2
	MOVD  a_base+48(FP), PNL_A
	MOVD  stride+72(FP), PNL_STRIDE
	MOVD  cs+80(FP), PNL_CS
	MOVD  x_base+88(FP), PNL_X
	MOVD  x_len+96(FP), PNL_COLS
	MOVD  h_base+112(FP), N_H
	MOVD  f_base+136(FP), N_F
	MOVD  xp_base+160(FP), N_XP
	MOVD  b_base+184(FP), N_B
	MOVD  mode+208(FP), N_MODE
	MOVBU add+216(FP), N_ADD
	PANELS_NEON(STEP_PRE, STEP_EPI)
	RET
