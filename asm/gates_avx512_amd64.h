// The fused steps of PyTorch's GRU and LSTM cells for AVX-512: the packed
// panel product of panel_avx512_amd64.h (the one GemvPanelsAVX512 runs)
// over the gate-interleaved rows of kernels.PackedGates, each chunk of
// sixteen rows finished by an epilogue while its sums are in a register.
//
// The interleaved rows come block by block, the G gates of sixteen units
// in turn (GRU: r, z, n; LSTM: i, f, g, o), so the driver's rows are
// G·len(y) (the caller passes len(y) a multiple of 16). They are packed in
// panels of the geometry the routine takes (its geom argument): 16-row
// panels, one gate of a block each, or taller ones that hold several
// consecutive chunks of sixteen rows, a block's gates possibly spanning
// two panels. Either way the driver hands the epilogue the chunks in
// order, sixteen sums to a register (EPI4 four, EPI1 one). The epilogue of
// a chunk does not know from the driver which gate it holds: GATE counts
// the gates of the current block, and GATE_OFF is the block's byte offset
// into the vectors of one unit each (h, c, y). The first G−1 gates are
// activated and parked in the frame, 64 bytes each; the last one combines
// them, stores the block's outputs and moves to the next block. Any
// grouping the driver chooses works, as long as it visits the chunks in
// order.
//
//	#include "gates_avx512_amd64.h"
//
// after the panel product's header: step_gru_avx512_amd64.s and
// step_lstm_avx512_amd64.s expand the driver with their epilogues and use
// the registers and macros below, and so does gemv_gates_avx512_amd64.s,
// the plain product that stores each chunk at its gate's rows.

#ifndef GATES_AVX512_AMD64_H
#define GATES_AVX512_AMD64_H

// Register roles, beside the PNL_… of the panel product. AX holds the byte
// offset of a panel's rows in xp and b, CX slice bases; the activations
// (the division-free TANHF_AVX512 and SIGMOIDF_AVX512) use Z24–Z26, with
// their constants in Z30, Z31, loaded once by the routine
// (ACTF_INIT_AVX512: the panel product leaves them alone); Z28, Z29 hold
// the LSTM's cell.
#define GATE     R15 // gate of the next panel: 0 … G−1
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
