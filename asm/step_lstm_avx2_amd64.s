//go:build gc && !purego && !noasm

#include "textflag.h"
#include "activation_avx2_amd64.h"
#include "panel_avx2_amd64.h"
#include "gates_avx2_amd64.h"

// The fused step of PyTorch's LSTM cell for AVX2+FMA3: the panel product over
// gate-interleaved panels with the gates' epilogues (see gates_avx2_amd64.h).

// LSTM_PANEL finishes the panel in lo:hi; Lg, Lo and Ldone are labels
// unique to the expansion. Gates 0 and 1 (i, f) go to
// the frame at gi + 64·GATE, gate 2 (g) to gg; gate 3 (o) combines them.
#define LSTM_PANEL(lo, hi, Lg, Lo, Ldone) \
	GATE_ROWS(ld+176(FP));             \
	MOVQ        b_base+152(FP), R10;    \
	VADDPS      (R10)(AX*1), lo, lo;    \ // s + b
	VADDPS      32(R10)(AX*1), hi, hi;  \
	MOVQ        xp_base+128(FP), R10;   \
	VADDPS      (R10)(AX*1), lo, lo;    \ // (s + b) + xp
	VADDPS      32(R10)(AX*1), hi, hi;  \
	CMPQ        GATE, $2;              \
	JEQ         Lg;                    \
	JGT         Lo;                    \
	SIGMOID_AVX2(lo, Y8, Y9);          \ // i or f
	SIGMOID_AVX2(hi, Y10, Y11);        \
	MOVQ        GATE, R10;              \
	SHLQ        $6, R10;                \
	VMOVUPS     lo, gi-192(SP)(R10*1);   \
	VMOVUPS     hi, gi-160(SP)(R10*1);   \
	INCQ        GATE;                  \
	JMP         Ldone;                 \
                                           \
Lg:                                        \
	TANH_AVX2(lo, Y8, Y9, Y10, Y11);   \
	TANH_AVX2(hi, Y12, Y13, Y14, Y15); \
	VMOVUPS     lo, gg-64(SP);          \ // g
	VMOVUPS     hi, gg-32(SP);          \
	INCQ        GATE;                  \
	JMP         Ldone;                 \
                                           \
Lo:                                        \
	SIGMOID_AVX2(lo, Y8, Y9);          \ // o
	SIGMOID_AVX2(hi, Y10, Y11);        \
	VMOVUPS     gi-192(SP), Y2;         \
	VMOVUPS     gi-160(SP), Y3;         \
	VMULPS      gg-64(SP), Y2, Y2;      \ // i*g
	VMULPS      gg-32(SP), Y3, Y3;      \
	MOVQ        c_base+104(FP), R10;    \
	VMOVUPS     (R10)(GATE_OFF*1), Y8;  \
	VMOVUPS     32(R10)(GATE_OFF*1), Y9; \
	VFMADD231PS gf-128(SP), Y8, Y2;     \ // c' = f*c + i*g
	VFMADD231PS gf-96(SP), Y9, Y3;      \
	MOVQ        c2_base+24(FP), R10;    \
	VMOVUPS     Y2, (R10)(GATE_OFF*1);  \
	VMOVUPS     Y3, 32(R10)(GATE_OFF*1); \
	TANH_AVX2(Y2, Y8, Y9, Y10, Y11);   \
	TANH_AVX2(Y3, Y12, Y13, Y14, Y15); \
	VMULPS      Y2, lo, lo;            \ // o * tanh(c')
	VMULPS      Y3, hi, hi;            \
	MOVQ        y_base+0(FP), R10;      \
	VMOVUPS     lo, (R10)(GATE_OFF*1);  \
	VMOVUPS     hi, 32(R10)(GATE_OFF*1); \
	GATE_BLOCK;                        \
                                           \
Ldone:

#define LSTM_EPI2 \
	LSTM_PANEL(Y0, Y1, lstm2g0, lstm2o0, lstm2d0); \
	LSTM_PANEL(Y4, Y5, lstm2g1, lstm2o1, lstm2d1)

#define LSTM_EPI1 LSTM_PANEL(Y0, Y1, lstm1g, lstm1o, lstm1d)

// LSTM_EPI2T is LSTM_EPI2 for the walk of taller panels.
#define LSTM_EPI2T \
	LSTM_PANEL(Y0, Y1, lstm2tg0, lstm2to0, lstm2td0); \
	LSTM_PANEL(Y4, Y5, lstm2tg1, lstm2to1, lstm2td1)

// func LSTMStepPanelsAVX2(y []float32, c2 []float32, a []float32, stride int, x []float32, c []float32, xp []float32, b []float32, ld int, ph int)
// Requires: AVX, AVX2, FMA3
TEXT ·LSTMStepPanelsAVX2(SB), NOSPLIT, $208-192
	MOVQ y_len+8(FP), PNL_ROWS
	SHLQ $2, PNL_ROWS // four panels per block
	MOVQ a_base+48(FP), PNL_A
	MOVQ stride+72(FP), PNL_STRIDE
	MOVQ x_base+80(FP), PNL_X
	MOVQ x_len+88(FP), PNL_COLS
	XORQ GATE, GATE
	XORQ GATE_OFF, GATE_OFF
	MOVQ ph+184(FP), PNL_CS               // column step: the panel height
	CMPQ PNL_CS, $16
	JNE  tall
	PANELS_AVX2(LSTM_EPI2, LSTM_EPI1, GATES_NONE)
	VZEROUPPER
	RET

tall:
	PANELS_TALL_AVX2(LSTM_EPI2T, pa-208(SP), ps-200(SP))
	VZEROUPPER
	RET
