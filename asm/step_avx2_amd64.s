//go:build gc && !purego && !noasm

#include "textflag.h"
#include "activation_avx2_amd64.h"

// The fused recurrent step for AVX2+FMA3: the packed product of
// GemvPanelsAVX2 (same accumulators, same order of summation), then, while
// each panel of sixteen rows is still in two registers, the input
// projection, the bias, the activation of the cell and the stores.
//
// A partial last panel (len(y)%16 rows) never loads a vector from the
// slices: its sums go to the 64-byte frame acc, the element-wise parts of
// the epilogue run one row at a time (the same operations, so the same
// bits), and only the activation runs on the whole frame. No VMASKMOVPS:
// qemu reads the whole vector for those (see kernels_avx2_amd64.s).

// Register roles of StepPanelsAVX2.
#define S_ROFF   R9  // byte offset of the current rows: 4*i
#define S_ROWS   BX  // rows left
#define S_A      SI  // start of the current panel
#define S_STRIDE DX  // panel stride in bytes
#define S_X      R8  // &x[0]
#define S_COLS   CX  // len(x)
#define S_P0     R10 // column cursor in panel p
#define S_P1     R11 // column cursor in panel p+1
#define S_XT     R12 // x cursor
#define S_K      R13 // loop counter
#define S_MODE   R14 // 0: RNN, 1: MGRU gate, 2: MGRU output
// AX and DI hold slice bases in the epilogues.

// The epilogues of eight rows, at byte offset off from S_ROFF, in acc;
// t0–t3 are temporaries.

// IN: acc = ((acc + y, if add) + xp) + b.
#define IN(acc, off) \
	CMPB   add+208(FP), $0;             \
	JEQ    3(PC);                       \
	MOVQ   y_base+0(FP), AX;            \
	VADDPS off(AX)(S_ROFF*1), acc, acc; \
	MOVQ   xp_base+152(FP), AX;         \
	VADDPS off(AX)(S_ROFF*1), acc, acc; \
	MOVQ   b_base+176(FP), AX;          \
	VADDPS off(AX)(S_ROFF*1), acc, acc

// RNN: y = tanh(acc).
#define RNN(acc, off, t0, t1, t2, t3) \
	TANH_AVX2(acc, t0, t1, t2, t3); \
	MOVQ    y_base+0(FP), AX;       \
	VMOVUPS acc, off(AX)(S_ROFF*1)

// GATE: y = σ(acc), y2 = y ⊙ h.
#define GATE(acc, off, t0, t1) \
	SIGMOID_AVX2(acc, t0, t1);           \
	MOVQ    y_base+0(FP), AX;            \
	VMOVUPS acc, off(AX)(S_ROFF*1);      \
	MOVQ    h_base+104(FP), AX;          \
	VMULPS  off(AX)(S_ROFF*1), acc, t0;  \
	MOVQ    y2_base+24(FP), AX;          \
	VMOVUPS t0, off(AX)(S_ROFF*1)

// OUT: y = h + f ⊙ (tanh(acc) − h).
#define OUT(acc, off, t0, t1, t2, t3) \
	TANH_AVX2(acc, t0, t1, t2, t3);     \
	MOVQ        h_base+104(FP), AX;     \
	VMOVUPS     off(AX)(S_ROFF*1), t0;  \
	MOVQ        f_base+128(FP), AX;     \
	VMOVUPS     off(AX)(S_ROFF*1), t1;  \
	VSUBPS      t0, acc, acc;           \ // h̃ − h
	VFMADD213PS t0, t1, acc;            \ // f*(h̃ − h) + h
	MOVQ        y_base+0(FP), AX;       \
	VMOVUPS     acc, off(AX)(S_ROFF*1)

// func StepPanelsAVX2(y []float32, y2 []float32, a []float32, stride int, x []float32, h []float32, f []float32, xp []float32, b []float32, mode int, add bool)
// Requires: AVX, AVX2, FMA3
TEXT ·StepPanelsAVX2(SB), NOSPLIT, $64-209
	MOVQ y_len+8(FP), S_ROWS
	MOVQ a_base+48(FP), S_A
	MOVQ stride+72(FP), S_STRIDE
	SHLQ $2, S_STRIDE
	MOVQ x_base+80(FP), S_X
	MOVQ x_len+88(FP), S_COLS
	MOVQ mode+200(FP), S_MODE
	XORQ S_ROFF, S_ROFF

stepPair: // two whole panels, 32 rows: panel p in Y0:Y1, p+1 in Y4:Y5
	CMPQ   S_ROWS, $32
	JB     stepOne
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   S_A, S_P0
	LEAQ   (S_A)(S_STRIDE*1), S_P1
	MOVQ   S_X, S_XT
	MOVQ   S_COLS, S_K
	SHRQ   $2, S_K
	JZ     pair2

pair4:
	VBROADCASTSS (S_XT), Y8
	VBROADCASTSS 4(S_XT), Y9
	VFMADD231PS  (S_P0), Y8, Y0     // acc[p][0:8] += col[j][0:8] * x[j]
	VFMADD231PS  32(S_P0), Y8, Y1   // acc[p][8:16] += col[j][8:16] * x[j]
	VFMADD231PS  (S_P1), Y8, Y4     // acc[p+1] …
	VFMADD231PS  32(S_P1), Y8, Y5
	VFMADD231PS  64(S_P0), Y9, Y2   // odd phase: column j+1
	VFMADD231PS  96(S_P0), Y9, Y3
	VFMADD231PS  64(S_P1), Y9, Y6
	VFMADD231PS  96(S_P1), Y9, Y7
	VBROADCASTSS 8(S_XT), Y10
	VBROADCASTSS 12(S_XT), Y11
	VFMADD231PS  128(S_P0), Y10, Y0 // column j+2
	VFMADD231PS  160(S_P0), Y10, Y1
	VFMADD231PS  128(S_P1), Y10, Y4
	VFMADD231PS  160(S_P1), Y10, Y5
	VFMADD231PS  192(S_P0), Y11, Y2 // column j+3
	VFMADD231PS  224(S_P0), Y11, Y3
	VFMADD231PS  192(S_P1), Y11, Y6
	VFMADD231PS  224(S_P1), Y11, Y7
	ADDQ         $16, S_XT
	ADDQ         $256, S_P0
	ADDQ         $256, S_P1
	DECQ         S_K
	JNZ          pair4

pair2:
	TESTQ        $2, S_COLS
	JZ           pair1
	VBROADCASTSS (S_XT), Y8
	VBROADCASTSS 4(S_XT), Y9
	VFMADD231PS  (S_P0), Y8, Y0
	VFMADD231PS  32(S_P0), Y8, Y1
	VFMADD231PS  (S_P1), Y8, Y4
	VFMADD231PS  32(S_P1), Y8, Y5
	VFMADD231PS  64(S_P0), Y9, Y2
	VFMADD231PS  96(S_P0), Y9, Y3
	VFMADD231PS  64(S_P1), Y9, Y6
	VFMADD231PS  96(S_P1), Y9, Y7
	ADDQ         $8, S_XT
	ADDQ         $128, S_P0
	ADDQ         $128, S_P1

pair1:
	TESTQ        $1, S_COLS
	JZ           pairSum
	VBROADCASTSS (S_XT), Y8
	VFMADD231PS  (S_P0), Y8, Y0
	VFMADD231PS  32(S_P0), Y8, Y1
	VFMADD231PS  (S_P1), Y8, Y4
	VFMADD231PS  32(S_P1), Y8, Y5

pairSum:
	VADDPS Y2, Y0, Y0 // even + odd phases
	VADDPS Y3, Y1, Y1
	VADDPS Y6, Y4, Y4
	VADDPS Y7, Y5, Y5
	IN(Y0, 0)
	IN(Y1, 32)
	IN(Y4, 64)
	IN(Y5, 96)
	CMPQ   S_MODE, $1
	JEQ    pairGate
	JGT    pairOut
	RNN(Y0, 0, Y8, Y9, Y10, Y11)
	RNN(Y1, 32, Y12, Y13, Y14, Y15)
	RNN(Y4, 64, Y8, Y9, Y10, Y11)
	RNN(Y5, 96, Y12, Y13, Y14, Y15)
	JMP    pairNext

pairGate:
	GATE(Y0, 0, Y8, Y9)
	GATE(Y1, 32, Y10, Y11)
	GATE(Y4, 64, Y12, Y13)
	GATE(Y5, 96, Y14, Y15)
	JMP  pairNext

pairOut:
	OUT(Y0, 0, Y8, Y9, Y10, Y11)
	OUT(Y1, 32, Y12, Y13, Y14, Y15)
	OUT(Y4, 64, Y8, Y9, Y10, Y11)
	OUT(Y5, 96, Y12, Y13, Y14, Y15)

pairNext:
	ADDQ $128, S_ROFF
	LEAQ (S_A)(S_STRIDE*2), S_A
	SUBQ $32, S_ROWS
	JMP  stepPair

stepOne: // the last one or two panels; phase j%4 = k in Y(2k):Y(2k+1)
	TESTQ  S_ROWS, S_ROWS
	JZ     stepDone
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   S_A, S_P0
	MOVQ   S_X, S_XT
	MOVQ   S_COLS, S_K
	SHRQ   $2, S_K
	JZ     one1Setup

one4:
	VBROADCASTSS (S_XT), Y8
	VBROADCASTSS 4(S_XT), Y9
	VBROADCASTSS 8(S_XT), Y10
	VBROADCASTSS 12(S_XT), Y11
	VFMADD231PS  (S_P0), Y8, Y0    // acc[0:8] += col[j][0:8] * x[j]
	VFMADD231PS  32(S_P0), Y8, Y1  // acc[8:16] += col[j][8:16] * x[j]
	VFMADD231PS  64(S_P0), Y9, Y2  // column j+1
	VFMADD231PS  96(S_P0), Y9, Y3
	VFMADD231PS  128(S_P0), Y10, Y4 // column j+2
	VFMADD231PS  160(S_P0), Y10, Y5
	VFMADD231PS  192(S_P0), Y11, Y6 // column j+3
	VFMADD231PS  224(S_P0), Y11, Y7
	ADDQ         $16, S_XT
	ADDQ         $256, S_P0
	DECQ         S_K
	JNZ          one4

one1Setup:
	MOVQ S_COLS, S_K
	ANDQ $3, S_K
	JZ   oneSum

one1:
	VBROADCASTSS (S_XT), Y8
	VFMADD231PS  (S_P0), Y8, Y0
	VFMADD231PS  32(S_P0), Y8, Y1
	ADDQ         $4, S_XT
	ADDQ         $64, S_P0
	DECQ         S_K
	JNZ          one1

oneSum:
	VADDPS Y2, Y0, Y0 // sum the four phases
	VADDPS Y6, Y4, Y4
	VADDPS Y4, Y0, Y0
	VADDPS Y3, Y1, Y1
	VADDPS Y7, Y5, Y5
	VADDPS Y5, Y1, Y1
	CMPQ   S_ROWS, $16
	JB     onePartial
	IN(Y0, 0)
	IN(Y1, 32)
	CMPQ   S_MODE, $1
	JEQ    oneGate
	JGT    oneOut
	RNN(Y0, 0, Y8, Y9, Y10, Y11)
	RNN(Y1, 32, Y12, Y13, Y14, Y15)
	JMP    oneNext

oneGate:
	GATE(Y0, 0, Y8, Y9)
	GATE(Y1, 32, Y10, Y11)
	JMP  oneNext

oneOut:
	OUT(Y0, 0, Y8, Y9, Y10, Y11)
	OUT(Y1, 32, Y12, Y13, Y14, Y15)

oneNext:
	ADDQ $64, S_ROFF
	ADDQ S_STRIDE, S_A
	SUBQ $16, S_ROWS
	JMP  stepOne

onePartial: // S_ROWS < 16 rows left: through the frame, row by row
	VMOVUPS Y0, acc-64(SP)
	VMOVUPS Y1, acc-32(SP)
	MOVQ    xp_base+152(FP), AX
	ADDQ    S_ROFF, AX                // AX = &xp[i]
	MOVQ    b_base+176(FP), DI
	ADDQ    S_ROFF, DI                // DI = &b[i]
	MOVQ    y_base+0(FP), S_P0
	ADDQ    S_ROFF, S_P0              // S_P0 = &y[i]
	XORQ    S_K, S_K
	CMPB    add+208(FP), $0
	JEQ     partIn

partInAdd:
	VMOVSS acc-64(SP)(S_K*4), X0
	VADDSS (S_P0)(S_K*4), X0, X0
	VMOVSS X0, acc-64(SP)(S_K*4)      // acc[k] += y[i+k]
	INCQ   S_K
	CMPQ   S_K, S_ROWS
	JB     partInAdd
	XORQ   S_K, S_K

partIn:
	VMOVSS acc-64(SP)(S_K*4), X0
	VADDSS (AX)(S_K*4), X0, X0
	VADDSS (DI)(S_K*4), X0, X0
	VMOVSS X0, acc-64(SP)(S_K*4)      // acc[k] = (acc[k] + xp[i+k]) + b[i+k]
	INCQ   S_K
	CMPQ   S_K, S_ROWS
	JB     partIn
	VMOVUPS acc-64(SP), Y0
	VMOVUPS acc-32(SP), Y1
	XORQ    S_K, S_K
	MOVQ    h_base+104(FP), AX
	ADDQ    S_ROFF, AX                // AX = &h[i]
	CMPQ    S_MODE, $1
	JEQ     partGate
	JGT     partOut
	TANH_AVX2(Y0, Y8, Y9, Y10, Y11)
	TANH_AVX2(Y1, Y12, Y13, Y14, Y15)
	VMOVUPS Y0, acc-64(SP)
	VMOVUPS Y1, acc-32(SP)

partRNN:
	MOVL acc-64(SP)(S_K*4), S_P1
	MOVL S_P1, (S_P0)(S_K*4)          // y[i+k] = tanh(acc[k])
	INCQ S_K
	CMPQ S_K, S_ROWS
	JB   partRNN
	JMP  stepDone

partGate:
	SIGMOID_AVX2(Y0, Y8, Y9)
	SIGMOID_AVX2(Y1, Y10, Y11)
	VMOVUPS Y0, acc-64(SP)
	VMOVUPS Y1, acc-32(SP)
	MOVQ    y2_base+24(FP), DI
	ADDQ    S_ROFF, DI                // DI = &y2[i]

partGateRow:
	VMOVSS acc-64(SP)(S_K*4), X0
	VMOVSS X0, (S_P0)(S_K*4)          // y[i+k] = σ(acc[k])
	VMULSS (AX)(S_K*4), X0, X0
	VMOVSS X0, (DI)(S_K*4)            // y2[i+k] = y[i+k] * h[i+k]
	INCQ   S_K
	CMPQ   S_K, S_ROWS
	JB     partGateRow
	JMP    stepDone

partOut:
	TANH_AVX2(Y0, Y8, Y9, Y10, Y11)
	TANH_AVX2(Y1, Y12, Y13, Y14, Y15)
	VMOVUPS Y0, acc-64(SP)
	VMOVUPS Y1, acc-32(SP)
	MOVQ    f_base+128(FP), DI
	ADDQ    S_ROFF, DI                // DI = &f[i]

partOutRow:
	VMOVSS      acc-64(SP)(S_K*4), X0
	VMOVSS      (AX)(S_K*4), X1
	VMOVSS      (DI)(S_K*4), X2
	VSUBSS      X1, X0, X0            // h̃ − h
	VFMADD213SS X1, X2, X0            // f*(h̃ − h) + h
	VMOVSS      X0, (S_P0)(S_K*4)
	INCQ        S_K
	CMPQ        S_K, S_ROWS
	JB          partOutRow

stepDone:
	VZEROUPPER
	RET
