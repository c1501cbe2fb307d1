//go:build gc && !purego && !noasm

#include "textflag.h"
#include "activation_avx512_amd64.h"

// The fused recurrent step: the packed product of GemvPanelsAVX512, then,
// while each panel of sixteen rows is still in a register, the input
// projection, the bias and the activation of the cell, and the stores. No
// intermediate vector goes to memory.

// Register roles of StepPanelsAVX512.
#define S_ROFF    R9  // byte offset of the current rows: 4*i
#define S_ROWS    BX  // rows left to store
#define S_A       SI  // start of the current panel
#define S_STRIDE  DX  // panel stride in bytes
#define S_STRIDE3 R10 // 3*stride in bytes
#define S_X       R8  // &x[0]
#define S_COLS    R11 // len(x)
#define S_AP      R12 // walks the columns of the current panels
#define S_XP      R13 // walks x
#define S_J       R14 // columns (or column pairs) left
#define S_MODE    R15 // 0: RNN, 1: MGRU gate, 2: MGRU output

// The epilogues take the accumulator, the byte offset of its rows from
// S_ROFF, and the argument slots of the slices they read or write (loaded
// into AX as needed). The …K forms act on the rows selected by K1 only.
// Temporaries: Z24–Z29, K2.

// IN: acc = ((acc + y, if add) + xp) + b.
#define IN(acc, off, ys, xps, bs, adds) \
	CMPB   adds, $0;                  \
	JEQ    3(PC);                     \
	MOVQ   ys, AX;                    \
	VADDPS off(AX)(S_ROFF*1), acc, acc; \
	MOVQ   xps, AX;                   \
	VADDPS off(AX)(S_ROFF*1), acc, acc; \
	MOVQ   bs, AX;                    \
	VADDPS off(AX)(S_ROFF*1), acc, acc

#define INK(acc, ys, xps, bs, adds) \
	CMPB      adds, $0;              \
	JEQ       4(PC);                 \
	MOVQ      ys, AX;                \
	VMOVUPS.Z (AX)(S_ROFF*1), K1, Z28; \
	VADDPS    Z28, acc, acc;         \
	MOVQ      xps, AX;               \
	VMOVUPS.Z (AX)(S_ROFF*1), K1, Z28; \
	VADDPS    Z28, acc, acc;         \
	MOVQ      bs, AX;                \
	VMOVUPS.Z (AX)(S_ROFF*1), K1, Z28; \
	VADDPS    Z28, acc, acc

// RNN: y = tanh(acc).
#define RNN(acc, off, ys) \
	TANH_AVX512(acc, Z24, Z25, Z26, Z27, K2); \
	MOVQ    ys, AX;                           \
	VMOVUPS acc, off(AX)(S_ROFF*1)

#define RNNK(acc, ys) \
	TANH_AVX512(acc, Z24, Z25, Z26, Z27, K2); \
	MOVQ    ys, AX;                           \
	VMOVUPS acc, K1, (AX)(S_ROFF*1)

// GATE: y = σ(acc), y2 = y ⊙ h.
#define GATE(acc, off, ys, y2s, hs) \
	SIGMOID_AVX512(acc, Z24, Z25);       \
	MOVQ    ys, AX;                      \
	VMOVUPS acc, off(AX)(S_ROFF*1);      \
	MOVQ    hs, AX;                      \
	VMULPS  off(AX)(S_ROFF*1), acc, Z24; \
	MOVQ    y2s, AX;                     \
	VMOVUPS Z24, off(AX)(S_ROFF*1)

#define GATEK(acc, ys, y2s, hs) \
	SIGMOID_AVX512(acc, Z24, Z25);     \
	MOVQ      ys, AX;                  \
	VMOVUPS   acc, K1, (AX)(S_ROFF*1); \
	MOVQ      hs, AX;                  \
	VMOVUPS.Z (AX)(S_ROFF*1), K1, Z24; \
	VMULPS    Z24, acc, Z24;           \
	MOVQ      y2s, AX;                 \
	VMOVUPS   Z24, K1, (AX)(S_ROFF*1)

// OUT: y = h + f ⊙ (tanh(acc) − h).
#define OUT(acc, off, ys, hs, fs) \
	TANH_AVX512(acc, Z24, Z25, Z26, Z27, K2); \
	MOVQ        hs, AX;                       \
	VMOVUPS     off(AX)(S_ROFF*1), Z24;       \
	MOVQ        fs, AX;                       \
	VMOVUPS     off(AX)(S_ROFF*1), Z25;       \
	VSUBPS      Z24, acc, acc;                \ // h̃ − h
	VFMADD213PS Z24, Z25, acc;                \ // f*(h̃ − h) + h
	MOVQ        ys, AX;                       \
	VMOVUPS     acc, off(AX)(S_ROFF*1)

#define OUTK(acc, ys, hs, fs) \
	TANH_AVX512(acc, Z24, Z25, Z26, Z27, K2); \
	MOVQ        hs, AX;                       \
	VMOVUPS.Z   (AX)(S_ROFF*1), K1, Z24;      \
	MOVQ        fs, AX;                       \
	VMOVUPS.Z   (AX)(S_ROFF*1), K1, Z25;      \
	VSUBPS      Z24, acc, acc;                \
	VFMADD213PS Z24, Z25, acc;                \
	MOVQ        ys, AX;                       \
	VMOVUPS     acc, K1, (AX)(S_ROFF*1)

// func StepPanelsAVX512(y []float32, y2 []float32, a []float32, stride int, x []float32, h []float32, f []float32, xp []float32, b []float32, mode int, add bool)
// Requires: AVX512F, AVX512DQ, AVX512VL
TEXT ·StepPanelsAVX512(SB), NOSPLIT, $0-209
	MOVQ y_len+8(FP), S_ROWS
	MOVQ a_base+48(FP), S_A
	MOVQ stride+72(FP), S_STRIDE
	SHLQ $2, S_STRIDE
	LEAQ (S_STRIDE)(S_STRIDE*2), S_STRIDE3
	MOVQ x_base+80(FP), S_X
	MOVQ x_len+88(FP), S_COLS
	MOVQ mode+200(FP), S_MODE
	XORQ S_ROFF, S_ROFF

panels4:
	CMPQ   S_ROWS, $64
	JLT    panel1
	MOVQ   S_A, S_AP
	MOVQ   S_X, S_XP
	MOVQ   S_COLS, S_J
	SHRQ   $1, S_J                            // column pairs
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	TESTQ  S_J, S_J
	JZ     panels4odd

panels4loop:
	VBROADCASTSS (S_XP), Z16                  // x[j]
	VBROADCASTSS 4(S_XP), Z17                 // x[j+1]
	VFMADD231PS  (S_AP), Z16, Z0              // panel 0, even columns
	VFMADD231PS  (S_AP)(S_STRIDE*1), Z16, Z1
	VFMADD231PS  (S_AP)(S_STRIDE*2), Z16, Z2
	VFMADD231PS  (S_AP)(S_STRIDE3*1), Z16, Z3
	VFMADD231PS  64(S_AP), Z17, Z4            // panel 0, odd columns
	VFMADD231PS  64(S_AP)(S_STRIDE*1), Z17, Z5
	VFMADD231PS  64(S_AP)(S_STRIDE*2), Z17, Z6
	VFMADD231PS  64(S_AP)(S_STRIDE3*1), Z17, Z7
	ADDQ         $128, S_AP
	ADDQ         $8, S_XP
	DECQ         S_J
	JNZ          panels4loop

panels4odd:
	TESTQ $1, S_COLS
	JZ    panels4sum
	VBROADCASTSS (S_XP), Z16
	VFMADD231PS  (S_AP), Z16, Z0
	VFMADD231PS  (S_AP)(S_STRIDE*1), Z16, Z1
	VFMADD231PS  (S_AP)(S_STRIDE*2), Z16, Z2
	VFMADD231PS  (S_AP)(S_STRIDE3*1), Z16, Z3

panels4sum:
	VADDPS Z4, Z0, Z0
	VADDPS Z5, Z1, Z1
	VADDPS Z6, Z2, Z2
	VADDPS Z7, Z3, Z3
	IN(Z0, 0, y_base+0(FP), xp_base+152(FP), b_base+176(FP), add+208(FP))
	IN(Z1, 64, y_base+0(FP), xp_base+152(FP), b_base+176(FP), add+208(FP))
	IN(Z2, 128, y_base+0(FP), xp_base+152(FP), b_base+176(FP), add+208(FP))
	IN(Z3, 192, y_base+0(FP), xp_base+152(FP), b_base+176(FP), add+208(FP))
	CMPQ S_MODE, $1
	JEQ  panels4gate
	JGT  panels4out
	RNN(Z0, 0, y_base+0(FP))
	RNN(Z1, 64, y_base+0(FP))
	RNN(Z2, 128, y_base+0(FP))
	RNN(Z3, 192, y_base+0(FP))
	JMP  panels4next

panels4gate:
	GATE(Z0, 0, y_base+0(FP), y2_base+24(FP), h_base+104(FP))
	GATE(Z1, 64, y_base+0(FP), y2_base+24(FP), h_base+104(FP))
	GATE(Z2, 128, y_base+0(FP), y2_base+24(FP), h_base+104(FP))
	GATE(Z3, 192, y_base+0(FP), y2_base+24(FP), h_base+104(FP))
	JMP  panels4next

panels4out:
	OUT(Z0, 0, y_base+0(FP), h_base+104(FP), f_base+128(FP))
	OUT(Z1, 64, y_base+0(FP), h_base+104(FP), f_base+128(FP))
	OUT(Z2, 128, y_base+0(FP), h_base+104(FP), f_base+128(FP))
	OUT(Z3, 192, y_base+0(FP), h_base+104(FP), f_base+128(FP))

panels4next:
	ADDQ $256, S_ROFF
	LEAQ (S_A)(S_STRIDE*4), S_A
	SUBQ $64, S_ROWS
	JMP  panels4

panel1:
	TESTQ  S_ROWS, S_ROWS
	JZ     stepdone
	MOVQ   S_A, S_AP
	MOVQ   S_X, S_XP
	MOVQ   S_COLS, S_J
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7

panel1cols8:
	CMPQ S_J, $8
	JLT  panel1cols1
	VBROADCASTSS (S_XP), Z16
	VBROADCASTSS 4(S_XP), Z17
	VBROADCASTSS 8(S_XP), Z18
	VBROADCASTSS 12(S_XP), Z19
	VBROADCASTSS 16(S_XP), Z20
	VBROADCASTSS 20(S_XP), Z21
	VBROADCASTSS 24(S_XP), Z22
	VBROADCASTSS 28(S_XP), Z23
	VFMADD231PS  (S_AP), Z16, Z0              // acc[j%8] += col j * x[j]
	VFMADD231PS  64(S_AP), Z17, Z1
	VFMADD231PS  128(S_AP), Z18, Z2
	VFMADD231PS  192(S_AP), Z19, Z3
	VFMADD231PS  256(S_AP), Z20, Z4
	VFMADD231PS  320(S_AP), Z21, Z5
	VFMADD231PS  384(S_AP), Z22, Z6
	VFMADD231PS  448(S_AP), Z23, Z7
	ADDQ         $512, S_AP
	ADDQ         $32, S_XP
	SUBQ         $8, S_J
	JMP          panel1cols8

panel1cols1:
	TESTQ S_J, S_J
	JZ    panel1sum
	VBROADCASTSS (S_XP), Z16
	VFMADD231PS  (S_AP), Z16, Z0
	ADDQ         $64, S_AP
	ADDQ         $4, S_XP
	DECQ         S_J
	JMP          panel1cols1

panel1sum:
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z5, Z4, Z4
	VADDPS Z7, Z6, Z6
	VADDPS Z2, Z0, Z0
	VADDPS Z6, Z4, Z4
	VADDPS Z4, Z0, Z0
	CMPQ   S_ROWS, $16
	JLT    panelpartial
	IN(Z0, 0, y_base+0(FP), xp_base+152(FP), b_base+176(FP), add+208(FP))
	CMPQ   S_MODE, $1
	JEQ    panel1gate
	JGT    panel1out
	RNN(Z0, 0, y_base+0(FP))
	JMP    panel1next

panel1gate:
	GATE(Z0, 0, y_base+0(FP), y2_base+24(FP), h_base+104(FP))
	JMP  panel1next

panel1out:
	OUT(Z0, 0, y_base+0(FP), h_base+104(FP), f_base+128(FP))

panel1next:
	ADDQ $64, S_ROFF
	ADDQ S_STRIDE, S_A
	SUBQ $16, S_ROWS
	JMP  panel1

panelpartial:
	// The last panel holds fewer than 16 rows of y: touch only those.
	MOVQ  S_ROWS, CX
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX
	KMOVW AX, K1                              // K1 = rows left
	INK(Z0, y_base+0(FP), xp_base+152(FP), b_base+176(FP), add+208(FP))
	CMPQ  S_MODE, $1
	JEQ   partialgate
	JGT   partialout
	RNNK(Z0, y_base+0(FP))
	JMP   stepdone

partialgate:
	GATEK(Z0, y_base+0(FP), y2_base+24(FP), h_base+104(FP))
	JMP stepdone

partialout:
	OUTK(Z0, y_base+0(FP), h_base+104(FP), f_base+128(FP))

stepdone:
	VZEROUPPER
	RET
