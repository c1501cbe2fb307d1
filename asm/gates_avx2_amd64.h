// The fused steps of PyTorch's GRU and LSTM cells for AVX2+FMA3: the
// packed panel product of panel_avx2_amd64.h (the one GemvPanelsAVX2 runs)
// over the gate-interleaved panels of kernels.PackedGates, each panel
// finished by an epilogue while its sixteen sums are in two registers.
//
// The walk is that of gates_avx512_amd64.h: the chunks of sixteen
// interleaved rows come block by block, the G gates of sixteen units in
// turn, always whole; GATE counts the gates of the current block and
// GATE_OFF is its byte offset into h, c and y. The first G−1 gates are
// activated and parked in the frame, 64 bytes each; the last combines them
// and stores the block. 16-row panels (one chunk each) go through
// PANELS_AVX2, taller ones through PANELS_TALL_AVX2, in pairs of chunks.
// Whole chunks only, so no partial vector is ever loaded (see
// panel_avx2_amd64.h on VMASKMOVPS under qemu).
//
//	#include "gates_avx2_amd64.h"
//
// after the panel product's header: step_gru_avx2_amd64.s and
// step_lstm_avx2_amd64.s expand the driver with their epilogues and use
// the registers and macros below.

#ifndef GATES_AVX2_AMD64_H
#define GATES_AVX2_AMD64_H

// Register roles, beside the PNL_… of the panel product (which keeps its
// column step in R15). AX holds the byte offset of a panel's rows in xp
// and b, R10 slice bases; the activations use Y8–Y15, and Y2, Y3 hold the
// LSTM's cell. The routines load PNL_CS = the panel height (their ph
// argument).
#define GATE     R14 // gate of the next panel: 0 … G−1
#define GATE_OFF DI  // 4·16k for block k

// GATE_ROWS sets AX = 4·(GATE·ld) + GATE_OFF, the byte offset of the
// current panel's rows in xp and b, from the argument slot ld.
#define GATE_ROWS(ld) \
	MOVQ  ld, AX;      \
	IMULQ GATE, AX;    \
	LEAQ  (GATE_OFF)(AX*4), AX

// GATE_BLOCK moves to the first gate of the next block.
#define GATE_BLOCK \
	XORQ GATE, GATE; \
	ADDQ $64, GATE_OFF

// GATES_NONE is the epilogue of a partial panel, which never comes.
#define GATES_NONE

#endif
