// The fused steps of PyTorch's GRU and LSTM cells for NEON: the packed
// panel product of panel_neon_arm64.h (the one GemvPanelsNEON runs) over
// the gate-interleaved panels of kernels.PackedGates, each panel finished
// by an epilogue while its sixteen sums are in V16–V19.
//
// The walk is that of gates_avx512_amd64.h: the panels come block by
// block, the G gates of sixteen units in turn, always whole panels (PNL_N
// is 16); GATE counts the gates of the current block and GATE_OFF is its
// byte offset into h, c and y. The first G−1 gates are activated and
// parked in the frame, 64 bytes each; the last combines them and stores
// the block. The activations work on V20 (activation_neon_arm64.h), so an
// epilogue takes its panel four units at a time: V16 goes to V20, and
// V17–V19 move down.
//
//	#include "gates_neon_arm64.h"
//
// after the panel product's header: step_gru_neon_arm64.s and
// step_lstm_neon_arm64.s expand the driver with their epilogues and use
// the registers and macros below.

#ifndef GATES_NEON_ARM64_H
#define GATES_NEON_ARM64_H

// Register roles, beside the PNL_… of the panel product; R0–R5, R11, R12,
// R17 and R24 are the epilogues' scratch, V0–V7 their temporaries.
#define GATE     R21 // gate of the next panel: 0 … G−1
#define GATE_OFF R22 // 4·16k for block k
#define GATE_LD  R23 // 4·ld: bytes from one gate to the next in xp and b

// GATES_PRE loads the activations' constants, which every product
// overwrites.
#define GATES_PRE ACT_NEON_INIT(R17)

// GATE_ROWS points R1 at the current panel's rows in b and R2 in xp, and
// sets R3 to the four quads of the panel.
#define GATE_ROWS(b, xp) \
	MUL  GATE, GATE_LD, R0; \
	ADD  GATE_OFF, R0;      \ // byte offset of the rows in xp and b
	MOVD b, R1;             \
	ADD  R0, R1;            \
	MOVD xp, R2;            \
	ADD  R0, R2;            \
	MOVD $4, R3

// GATE_IN sets V20 = (s + b) + xp for the next four units, s from V16.
#define GATE_IN \
	VMOV   V16.B16, V20.B16; \
	VLD1.P 16(R1), [V0.S4];  \
	VLD1.P 16(R2), [V1.S4];  \
	VFADD4S(0, 20, 20);      \ // s + b
	VFADD4S(1, 20, 20)         // (s + b) + xp

// GATE_QUAD moves the panel's next four units to V16 and counts the quad
// down: the flags say whether any is left.
#define GATE_QUAD \
	VMOV V17.B16, V16.B16; \
	VMOV V18.B16, V17.B16; \
	VMOV V19.B16, V18.B16; \
	SUBS $1, R3

// GATE_BLOCK moves to the first gate of the next block.
#define GATE_BLOCK \
	MOVD ZR, GATE; \
	ADD  $64, GATE_OFF

#endif
