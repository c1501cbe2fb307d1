//go:build gc && !purego && !noasm

#include "textflag.h"
#include "activation_neon_arm64.h"

// The fused recurrent step for NEON: the packed product of GemvPanelsNEON
// (same accumulators, same order of summation), then, while each panel of
// sixteen rows is still in V16–V19, the input projection, the bias, the
// activation of the cell and the stores.
//
// The product uses all 32 vector registers; the activations need V20–V31
// (see activation_neon_arm64.h), so the constants are loaded once per panel
// after the product, and the epilogue takes the panel four rows at a time:
// V16 goes to V20, and V17–V19 move down. A partial last panel finishes
// one row at a time as scalars in lane 0, so no vector is loaded from or
// stored to a slice past its end.

#define N_Y      R0  // &y[i]
#define N_Y2     R1  // &y2[i]
#define N_H      R2  // &h[i]
#define N_F      R3  // &f[i]
#define N_XP     R4  // &xp[i]
#define N_B      R5  // &b[i]
#define N_A      R6  // start of the next panel
#define N_STRIDE R7  // panel stride in bytes
#define N_X      R8  // &x[0]
#define N_COLS   R9  // len(x)
#define N_ROWS   R10 // rows left, not counting those of the current panel
#define N_ADD    R11 // add
#define N_MODE   R12 // 0: RNN, 1: MGRU gate, 2: MGRU output
#define N_P0     R13 // column cursor in panel p
#define N_P1     R14 // column cursor in panel p+1
#define N_XT     R15 // x cursor
#define N_J      R16 // columns left
#define N_TMP    R17 // scratch
#define N_PEND   R19 // 1 while the second panel of a pair (V12–V15) waits
#define N_N      R20 // rows of the current panel left to finish

// func StepPanelsNEON(y []float32, y2 []float32, a []float32, stride int, x []float32, h []float32, f []float32, xp []float32, b []float32, mode int, add bool)
// Requires: ASIMD
TEXT ·StepPanelsNEON(SB), NOSPLIT, $0-209
	MOVD  y_base+0(FP), N_Y
	MOVD  y_len+8(FP), N_ROWS
	MOVD  y2_base+24(FP), N_Y2
	MOVD  a_base+48(FP), N_A
	MOVD  stride+72(FP), N_STRIDE
	LSL   $2, N_STRIDE
	MOVD  x_base+80(FP), N_X
	MOVD  x_len+88(FP), N_COLS
	MOVD  h_base+104(FP), N_H
	MOVD  f_base+128(FP), N_F
	MOVD  xp_base+152(FP), N_XP
	MOVD  b_base+176(FP), N_B
	MOVD  mode+200(FP), N_MODE
	MOVBU add+208(FP), N_ADD
	MOVD  ZR, N_PEND

steppair: // two whole panels, 32 rows
	CMP  $32, N_ROWS
	BLT  stepone
	MOVD N_A, N_P0
	ADD  N_STRIDE, N_A, N_P1
	MOVD N_X, N_XT
	MOVD N_COLS, N_J
	VEOR V16.B16, V16.B16, V16.B16 // phase 0, panel p: V16..V19
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16 // phase 0, panel p+1: V20..V23
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16
	VEOR V24.B16, V24.B16, V24.B16 // phase 1, panel p: V24..V27
	VEOR V25.B16, V25.B16, V25.B16
	VEOR V26.B16, V26.B16, V26.B16
	VEOR V27.B16, V27.B16, V27.B16
	VEOR V28.B16, V28.B16, V28.B16 // phase 1, panel p+1: V28..V31
	VEOR V29.B16, V29.B16, V29.B16
	VEOR V30.B16, V30.B16, V30.B16
	VEOR V31.B16, V31.B16, V31.B16

pair2:
	CMP     $2, N_J
	BLT     pair1
	VLD1R.P 4(N_XT), [V0.S4]                       // x[j] in all lanes
	VLD1R.P 4(N_XT), [V1.S4]                       // x[j+1] in all lanes
	VLD1.P  64(N_P0), [V2.S4, V3.S4, V4.S4, V5.S4] // panel p, column j
	VLD1.P  64(N_P1), [V6.S4, V7.S4, V8.S4, V9.S4] // panel p+1, column j
	VFMLA   V0.S4, V2.S4, V16.S4
	VFMLA   V0.S4, V3.S4, V17.S4
	VFMLA   V0.S4, V4.S4, V18.S4
	VFMLA   V0.S4, V5.S4, V19.S4
	VFMLA   V0.S4, V6.S4, V20.S4
	VFMLA   V0.S4, V7.S4, V21.S4
	VFMLA   V0.S4, V8.S4, V22.S4
	VFMLA   V0.S4, V9.S4, V23.S4
	VLD1.P  64(N_P0), [V2.S4, V3.S4, V4.S4, V5.S4] // panel p, column j+1
	VLD1.P  64(N_P1), [V6.S4, V7.S4, V8.S4, V9.S4] // panel p+1, column j+1
	VFMLA   V1.S4, V2.S4, V24.S4
	VFMLA   V1.S4, V3.S4, V25.S4
	VFMLA   V1.S4, V4.S4, V26.S4
	VFMLA   V1.S4, V5.S4, V27.S4
	VFMLA   V1.S4, V6.S4, V28.S4
	VFMLA   V1.S4, V7.S4, V29.S4
	VFMLA   V1.S4, V8.S4, V30.S4
	VFMLA   V1.S4, V9.S4, V31.S4
	SUB     $2, N_J
	B       pair2

pair1:
	CBZ   N_J, pairsum
	VLD1R (N_XT), [V0.S4]
	VLD1  (N_P0), [V2.S4, V3.S4, V4.S4, V5.S4]
	VLD1  (N_P1), [V6.S4, V7.S4, V8.S4, V9.S4]
	VFMLA V0.S4, V2.S4, V16.S4
	VFMLA V0.S4, V3.S4, V17.S4
	VFMLA V0.S4, V4.S4, V18.S4
	VFMLA V0.S4, V5.S4, V19.S4
	VFMLA V0.S4, V6.S4, V20.S4
	VFMLA V0.S4, V7.S4, V21.S4
	VFMLA V0.S4, V8.S4, V22.S4
	VFMLA V0.S4, V9.S4, V23.S4

pairsum:
	ACT_FADD(24, 16, 16)        // panel p: phase 0 += phase 1
	ACT_FADD(25, 17, 17)
	ACT_FADD(26, 18, 18)
	ACT_FADD(27, 19, 19)
	ACT_FADD(28, 20, 12)        // panel p+1, into V12..V15, clear of the activations
	ACT_FADD(29, 21, 13)
	ACT_FADD(30, 22, 14)
	ACT_FADD(31, 23, 15)
	ADD  N_STRIDE<<1, N_A
	MOVD $1, N_PEND
	B    epi

stepone: // the last one or two panels, four column phases
	CBZ  N_ROWS, stepdone
	MOVD N_A, N_P0
	MOVD N_X, N_XT
	MOVD N_COLS, N_J
	VEOR V16.B16, V16.B16, V16.B16 // phase 0: V16..V19
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16 // phase 1: V20..V23
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16
	VEOR V24.B16, V24.B16, V24.B16 // phase 2: V24..V27
	VEOR V25.B16, V25.B16, V25.B16
	VEOR V26.B16, V26.B16, V26.B16
	VEOR V27.B16, V27.B16, V27.B16
	VEOR V28.B16, V28.B16, V28.B16 // phase 3: V28..V31
	VEOR V29.B16, V29.B16, V29.B16
	VEOR V30.B16, V30.B16, V30.B16
	VEOR V31.B16, V31.B16, V31.B16

one4:
	CMP     $4, N_J
	BLT     one1
	VLD1R.P 4(N_XT), [V0.S4]                           // x[j]
	VLD1R.P 4(N_XT), [V1.S4]                           // x[j+1]
	VLD1R.P 4(N_XT), [V2.S4]                           // x[j+2]
	VLD1R.P 4(N_XT), [V3.S4]                           // x[j+3]
	VLD1.P  64(N_P0), [V4.S4, V5.S4, V6.S4, V7.S4]     // column j
	VLD1.P  64(N_P0), [V8.S4, V9.S4, V10.S4, V11.S4]   // column j+1
	VLD1.P  64(N_P0), [V12.S4, V13.S4, V14.S4, V15.S4] // column j+2
	VFMLA   V0.S4, V4.S4, V16.S4
	VFMLA   V0.S4, V5.S4, V17.S4
	VFMLA   V0.S4, V6.S4, V18.S4
	VFMLA   V0.S4, V7.S4, V19.S4
	VLD1.P  64(N_P0), [V4.S4, V5.S4, V6.S4, V7.S4]     // column j+3
	VFMLA   V1.S4, V8.S4, V20.S4
	VFMLA   V1.S4, V9.S4, V21.S4
	VFMLA   V1.S4, V10.S4, V22.S4
	VFMLA   V1.S4, V11.S4, V23.S4
	VFMLA   V2.S4, V12.S4, V24.S4
	VFMLA   V2.S4, V13.S4, V25.S4
	VFMLA   V2.S4, V14.S4, V26.S4
	VFMLA   V2.S4, V15.S4, V27.S4
	VFMLA   V3.S4, V4.S4, V28.S4
	VFMLA   V3.S4, V5.S4, V29.S4
	VFMLA   V3.S4, V6.S4, V30.S4
	VFMLA   V3.S4, V7.S4, V31.S4
	SUB     $4, N_J
	B       one4

one1:
	CBZ     N_J, onesum
	VLD1R.P 4(N_XT), [V0.S4]
	VLD1.P  64(N_P0), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA   V0.S4, V4.S4, V16.S4
	VFMLA   V0.S4, V5.S4, V17.S4
	VFMLA   V0.S4, V6.S4, V18.S4
	VFMLA   V0.S4, V7.S4, V19.S4
	SUB     $1, N_J
	B       one1

onesum:
	ACT_FADD(20, 16, 16) // phase 0 += phase 1
	ACT_FADD(21, 17, 17)
	ACT_FADD(22, 18, 18)
	ACT_FADD(23, 19, 19)
	ACT_FADD(28, 24, 24) // phase 2 += phase 3
	ACT_FADD(29, 25, 25)
	ACT_FADD(30, 26, 26)
	ACT_FADD(31, 27, 27)
	ACT_FADD(24, 16, 16) // phase 0 += phase 2
	ACT_FADD(25, 17, 17)
	ACT_FADD(26, 18, 18)
	ACT_FADD(27, 19, 19) // V16..V19 = s[0:16] of panel p
	ADD N_STRIDE, N_A

epi: // V16..V19 hold the sums of the next min(16, N_ROWS) rows
	ACT_NEON_INIT(N_TMP)

epirows:
	MOVD $16, N_N
	CMP  $16, N_ROWS
	CSEL LT, N_ROWS, N_N, N_N // N_N = min(16, rows left)
	SUB  N_N, N_ROWS

epi4: // four rows at a time, from V16
	CMP  $4, N_N
	BLT  epi1
	VMOV V16.B16, V20.B16     // s
	CBZ  N_ADD, epi4in
	VLD1 (N_Y), [V0.S4]
	ACT_FADD(0, 20, 20)       // s += y[i:i+4]

epi4in:
	VLD1.P 16(N_XP), [V0.S4]
	VLD1.P 16(N_B), [V1.S4]
	ACT_FADD(0, 20, 20)       // s += xp[i:i+4]
	ACT_FADD(1, 20, 20)       // s += b[i:i+4]
	CMP    $1, N_MODE
	BEQ    epi4gate
	BGT    epi4out
	TANH_NEON
	VST1.P [V20.S4], 16(N_Y)  // y[i:i+4] = tanh(s)
	B      epi4next

epi4gate:
	SIGMOID_NEON
	VST1.P [V20.S4], 16(N_Y)  // y[i:i+4] = σ(s)
	VLD1.P 16(N_H), [V0.S4]
	ACT_FMUL(0, 20, 1)
	VST1.P [V1.S4], 16(N_Y2)  // y2[i:i+4] = y[i:i+4] * h[i:i+4]
	B      epi4next

epi4out:
	TANH_NEON
	VLD1.P 16(N_H), [V0.S4]
	VLD1.P 16(N_F), [V1.S4]
	ACT_FSUB(0, 20, 20)        // h̃ − h
	VFMLA  V1.S4, V20.S4, V0.S4 // h + f*(h̃ − h), fused
	VST1.P [V0.S4], 16(N_Y)

epi4next:
	VMOV V17.B16, V16.B16 // s = s[4:]
	VMOV V18.B16, V17.B16
	VMOV V19.B16, V18.B16
	SUB  $4, N_N
	B    epi4

epi1: // the last rows of a partial panel, one at a time in lane 0
	CBZ   N_N, epidone
	FMOVS F16, F20            // s = s[0], the other lanes 0
	CBZ   N_ADD, epi1in
	FMOVS (N_Y), F0
	FADDS F0, F20             // s += y[i]

epi1in:
	FMOVS.P 4(N_XP), F0
	FADDS   F0, F20           // s += xp[i]
	FMOVS.P 4(N_B), F0
	FADDS   F0, F20           // s += b[i]
	CMP     $1, N_MODE
	BEQ     epi1gate
	BGT     epi1out
	TANH_NEON
	FMOVS.P F20, 4(N_Y)       // y[i] = tanh(s)
	B       epi1next

epi1gate:
	SIGMOID_NEON
	FMOVS.P F20, 4(N_Y)       // y[i] = σ(s)
	FMOVS.P 4(N_H), F0
	FMULS   F20, F0
	FMOVS.P F0, 4(N_Y2)       // y2[i] = y[i] * h[i]
	B       epi1next

epi1out:
	TANH_NEON
	FMOVS.P 4(N_H), F0
	FMOVS.P 4(N_F), F1
	FSUBS   F0, F20           // h̃ − h
	FMADDS  F20, F0, F1, F0   // h + f*(h̃ − h), fused
	FMOVS.P F0, 4(N_Y)

epi1next:
	VEXT $4, V16.B16, V16.B16, V16.B16 // s = s[1:] (rotate lanes)
	SUB  $1, N_N
	B    epi1

epidone:
	CBZ  N_PEND, steppair
	MOVD ZR, N_PEND
	VMOV V12.B16, V16.B16 // the second panel of the pair
	VMOV V13.B16, V17.B16
	VMOV V14.B16, V18.B16
	VMOV V15.B16, V19.B16
	B    epirows

stepdone:
	RET
