//go:build gc && !purego && !noasm

#include "textflag.h"
#include "neon_arm64.h"
#include "activation_neon_arm64.h"
#include "panel_neon_arm64.h"
#include "gates_neon_arm64.h"

// The fused step of PyTorch's GRU cell for NEON: the panel product over
// gate-interleaved panels with the gates' epilogues (see gates_neon_arm64.h).

// GRU_EPI finishes the panel in V16–V19. Gates 0 and 1 (r, z) go to the
// frame; gate 2 (n) combines them.
#define GRU_EPI \
	GATE_ROWS(b_base+128(FP), xp_base+104(FP)); \
	CMP    $1, GATE;              \
	BEQ    gruz;                  \
	BGT    grun;                  \
	MOVD   $r-128(SP), R4;        \
	B      grurz;                 \
                                      \
gruz:                                 \
	MOVD   $z-64(SP), R4;         \
                                      \
grurz:                                \ // r or z, four units at a time
	GATE_IN;                      \
	SIGMOID_NEON;                 \
	VST1.P [V20.S4], 16(R4);      \
	GATE_QUAD;                    \
	BNE    grurz;                 \
	ADD    $1, GATE;              \
	B      grudone;               \
                                      \
grun:                                 \
	MOVD   $r-128(SP), R4;        \
	MOVD   $z-64(SP), R5;         \
	MOVD   h_base+80(FP), R11;    \
	ADD    GATE_OFF, R11;         \ // &h[16k]
	MOVD   y_base+0(FP), R12;     \
	ADD    GATE_OFF, R12;         \ // &y[16k]
                                      \
grunquad:                             \
	VMOV   V16.B16, V20.B16;      \
	VLD1.P 16(R1), [V0.S4];       \
	VFADD4S(0, 20, 20);           \ // u_n = s + b
	VLD1.P 16(R4), [V1.S4];       \ // r
	VLD1.P 16(R2), [V2.S4];       \ // xp_n
	VFMLA  V1.S4, V20.S4, V2.S4;  \ // xp_n + r*u_n, fused
	VMOV   V2.B16, V20.B16;       \
	TANH_NEON;                    \ // n
	VLD1.P 16(R11), [V0.S4];      \
	VFSUB4S(20, 0, 0);            \ // h − n
	VLD1.P 16(R5), [V1.S4];       \ // z
	VFMLA  V1.S4, V0.S4, V20.S4;  \ // n + z*(h − n), fused
	VST1.P [V20.S4], 16(R12);     \
	GATE_QUAD;                    \
	BNE    grunquad;              \
	GATE_BLOCK;                   \
                                      \
grudone:

// func GRUStepPanelsNEON(y []float32, a []float32, stride int, x []float32, h []float32, xp []float32, b []float32, ld int)
// Requires: ASIMD
TEXT ·GRUStepPanelsNEON(SB), NOSPLIT, $128-160
	MOVD y_len+8(FP), PNL_ROWS
	ADD  PNL_ROWS<<1, PNL_ROWS // three panels per block
	MOVD a_base+24(FP), PNL_A
	MOVD stride+48(FP), PNL_STRIDE
	MOVD x_base+56(FP), PNL_X
	MOVD x_len+64(FP), PNL_COLS
	MOVD ld+152(FP), GATE_LD
	LSL  $2, GATE_LD
	MOVD ZR, GATE
	MOVD ZR, GATE_OFF
	MOVD $16, PNL_CS // column step: the 16-row panels the gates are packed in
	PANELS_NEON(GATES_PRE, GRU_EPI)
	RET
