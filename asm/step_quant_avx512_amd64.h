// The epilogue of the fused quantized steps for AVX-512: what a recurrent
// step does to sixteen rows of its product while they are in a register,
// the same arithmetic as StepPanelsAVX512's (step_avx512_amd64.s), with
// its division-free activations (TANHF_AVX512, SIGMOIDF_AVX512), so that a
// fused step gives the bits of the product followed by the float32
// epilogue, over the argument slots of the quantized step routines:
//
//	#include "activation_avx512_amd64.h"
//	#include "step_quant_avx512_amd64.h"
//
// The routine defines the slots QS_Y, QS_Y2, QS_H, QS_F, QS_XP, QS_B (the
// slices' base slots) and QS_ADD (the add flag), holds the mode (0: RNN,
// 1: MGRU gate, 2: MGRU output) in QS_MODE, and finds the rows at byte
// offset QS_ROFF. The macros use AX, Z24–Z28 and K2; QS_EPI4 takes four
// registers of sixteen rows, QS_EPI1 one, QS_EPIK the rows of one selected
// by K1.

#ifndef STEP_QUANT_AVX512_AMD64_H
#define STEP_QUANT_AVX512_AMD64_H

// QS_IN: acc = ((acc + y, if add) + xp) + b.
#define QS_IN(acc, off) \
	CMPB   QS_ADD, $0;                   \
	JEQ    3(PC);                        \
	MOVQ   QS_Y, AX;                     \
	VADDPS off(AX)(QS_ROFF*1), acc, acc; \
	MOVQ   QS_XP, AX;                    \
	VADDPS off(AX)(QS_ROFF*1), acc, acc; \
	MOVQ   QS_B, AX;                     \
	VADDPS off(AX)(QS_ROFF*1), acc, acc

#define QS_INK(acc) \
	CMPB      QS_ADD, $0;               \
	JEQ       4(PC);                    \
	MOVQ      QS_Y, AX;                 \
	VMOVUPS.Z (AX)(QS_ROFF*1), K1, Z28; \
	VADDPS    Z28, acc, acc;            \
	MOVQ      QS_XP, AX;                \
	VMOVUPS.Z (AX)(QS_ROFF*1), K1, Z28; \
	VADDPS    Z28, acc, acc;            \
	MOVQ      QS_B, AX;                 \
	VMOVUPS.Z (AX)(QS_ROFF*1), K1, Z28; \
	VADDPS    Z28, acc, acc

// QS_RNN: y = tanh(acc).
#define QS_RNN(acc, off) \
	ACTF_INIT_AVX512(Z27, Z28);               \
	TANHF_AVX512(acc, Z24, Z25, Z26, Z27, Z28); \
	MOVQ    QS_Y, AX;                         \
	VMOVUPS acc, off(AX)(QS_ROFF*1)

#define QS_RNNK(acc) \
	ACTF_INIT_AVX512(Z27, Z28);               \
	TANHF_AVX512(acc, Z24, Z25, Z26, Z27, Z28); \
	MOVQ    QS_Y, AX;                         \
	VMOVUPS acc, K1, (AX)(QS_ROFF*1)

// QS_GATE: y = σ(acc), y2 = y ⊙ h.
#define QS_GATE(acc, off) \
	SIGMOIDF_AVX512(acc, Z24, Z25);        \
	MOVQ    QS_Y, AX;                     \
	VMOVUPS acc, off(AX)(QS_ROFF*1);      \
	MOVQ    QS_H, AX;                     \
	VMULPS  off(AX)(QS_ROFF*1), acc, Z24; \
	MOVQ    QS_Y2, AX;                    \
	VMOVUPS Z24, off(AX)(QS_ROFF*1)

#define QS_GATEK(acc) \
	SIGMOIDF_AVX512(acc, Z24, Z25);      \
	MOVQ      QS_Y, AX;                 \
	VMOVUPS   acc, K1, (AX)(QS_ROFF*1); \
	MOVQ      QS_H, AX;                 \
	VMOVUPS.Z (AX)(QS_ROFF*1), K1, Z24; \
	VMULPS    Z24, acc, Z24;            \
	MOVQ      QS_Y2, AX;                \
	VMOVUPS   Z24, K1, (AX)(QS_ROFF*1)

// QS_OUT: y = h + f ⊙ (tanh(acc) − h).
#define QS_OUT(acc, off) \
	ACTF_INIT_AVX512(Z27, Z28);               \
	TANHF_AVX512(acc, Z24, Z25, Z26, Z27, Z28); \
	MOVQ        QS_H, AX;                     \
	VMOVUPS     off(AX)(QS_ROFF*1), Z24;      \
	MOVQ        QS_F, AX;                     \
	VMOVUPS     off(AX)(QS_ROFF*1), Z25;      \
	VSUBPS      Z24, acc, acc;                \ // h̃ − h
	VFMADD213PS Z24, Z25, acc;                \ // f*(h̃ − h) + h
	MOVQ        QS_Y, AX;                     \
	VMOVUPS     acc, off(AX)(QS_ROFF*1)

#define QS_OUTK(acc) \
	ACTF_INIT_AVX512(Z27, Z28);               \
	TANHF_AVX512(acc, Z24, Z25, Z26, Z27, Z28); \
	MOVQ        QS_H, AX;                     \
	VMOVUPS.Z   (AX)(QS_ROFF*1), K1, Z24;     \
	MOVQ        QS_F, AX;                     \
	VMOVUPS.Z   (AX)(QS_ROFF*1), K1, Z25;     \
	VSUBPS      Z24, acc, acc;                \
	VFMADD213PS Z24, Z25, acc;                \
	MOVQ        QS_Y, AX;                     \
	VMOVUPS     acc, K1, (AX)(QS_ROFF*1)

// The epilogues by the number of rows: the input terms, then the mode's
// activation, four registers at a time so that their activations overlap.
#define QS_EPI4 \
	QS_IN(Z0, 0);     \
	QS_IN(Z1, 64);    \
	QS_IN(Z2, 128);   \
	QS_IN(Z3, 192);   \
	CMPQ QS_MODE, $1; \
	JEQ  qs4gate;     \
	JGT  qs4out;      \
	QS_RNN(Z0, 0);    \
	QS_RNN(Z1, 64);   \
	QS_RNN(Z2, 128);  \
	QS_RNN(Z3, 192);  \
	JMP  qs4done;     \
                          \
qs4gate:                  \
	QS_GATE(Z0, 0);   \
	QS_GATE(Z1, 64);  \
	QS_GATE(Z2, 128); \
	QS_GATE(Z3, 192); \
	JMP  qs4done;     \
                          \
qs4out:                   \
	QS_OUT(Z0, 0);    \
	QS_OUT(Z1, 64);   \
	QS_OUT(Z2, 128);  \
	QS_OUT(Z3, 192);  \
                          \
qs4done:

#define QS_EPI1 \
	QS_IN(Z0, 0);     \
	CMPQ QS_MODE, $1; \
	JEQ  qs1gate;     \
	JGT  qs1out;      \
	QS_RNN(Z0, 0);    \
	JMP  qs1done;     \
                          \
qs1gate:                  \
	QS_GATE(Z0, 0);   \
	JMP  qs1done;     \
                          \
qs1out:                   \
	QS_OUT(Z0, 0);    \
                          \
qs1done:

#define QS_EPIK \
	QS_INK(Z0);       \
	CMPQ QS_MODE, $1; \
	JEQ  qskgate;     \
	JGT  qskout;      \
	QS_RNNK(Z0);      \
	JMP  qskdone;     \
                          \
qskgate:                  \
	QS_GATEK(Z0);     \
	JMP  qskdone;     \
                          \
qskout:                   \
	QS_OUTK(Z0);      \
                          \
qskdone:

#endif
