//go:build gc && !purego && !noasm

#include "textflag.h"

// Advanced SIMD (NEON) float32 kernels. NEON is mandatory in AArch64, so
// nothing here needs a feature check.
//
// The Go arm64 assembler has no mnemonics for the vector forms of FADD and
// FADDP, so these macros encode them. Operands are register numbers in Go
// order (Vm, Vn, Vd), as for VFMLA.
//
//	VFADD4S(m, n, d)  = FADD  Vd.4S, Vn.4S, Vm.4S: Vd = Vn + Vm
//	VFADDP4S(m, n, d) = FADDP Vd.4S, Vn.4S, Vm.4S: Vd = {n0+n1, n2+n3, m0+m1, m2+m3}
#define VFADD4S(m, n, d) WORD $(0x4E20D400 | (m)<<16 | (n)<<5 | (d))
#define VFADDP4S(m, n, d) WORD $(0x6E20D400 | (m)<<16 | (n)<<5 | (d))

// ---------------------------------------------------------------------------

#define DOT_X R0
#define DOT_Y R1
#define DOT_N R2

// func DotNEON(x []float32, y []float32) float32
// Requires: ASIMD
//
// Four accumulators of 4 lanes (16 floats per iteration), a 4-float loop,
// a reduction, then a scalar tail.
TEXT ·DotNEON(SB), NOSPLIT, $0-52
	MOVD x_base+0(FP), DOT_X
	MOVD x_len+8(FP), DOT_N
	MOVD y_base+24(FP), DOT_Y
	VEOR V16.B16, V16.B16, V16.B16 // s0 = 0
	VEOR V17.B16, V17.B16, V17.B16 // s1 = 0
	VEOR V18.B16, V18.B16, V18.B16 // s2 = 0
	VEOR V19.B16, V19.B16, V19.B16 // s3 = 0

dot16:
	CMP    $16, DOT_N
	BLT    dot4
	VLD1.P 64(DOT_X), [V0.S4, V1.S4, V2.S4, V3.S4] // x[i:i+16]
	VLD1.P 64(DOT_Y), [V4.S4, V5.S4, V6.S4, V7.S4] // y[i:i+16]
	VFMLA  V0.S4, V4.S4, V16.S4                    // s0 += x[i:i+4] * y[i:i+4]
	VFMLA  V1.S4, V5.S4, V17.S4                    // s1 += x[i+4:i+8] * y[i+4:i+8]
	VFMLA  V2.S4, V6.S4, V18.S4                    // s2 += …
	VFMLA  V3.S4, V7.S4, V19.S4                    // s3 += …
	SUB    $16, DOT_N
	B      dot16

dot4:
	CMP    $4, DOT_N
	BLT    dotsum
	VLD1.P 16(DOT_X), [V0.S4]   // x[i:i+4]
	VLD1.P 16(DOT_Y), [V4.S4]   // y[i:i+4]
	VFMLA  V0.S4, V4.S4, V16.S4 // s0 += x[i:i+4] * y[i:i+4]
	SUB    $4, DOT_N
	B      dot4

dotsum:
	VFADD4S(17, 16, 16)  // s0 += s1
	VFADD4S(19, 18, 18)  // s2 += s3
	VFADD4S(18, 16, 16)  // s0 += s2
	VFADDP4S(16, 16, 16) // pairwise sums of lanes
	VFADDP4S(16, 16, 16) // F16 = s = Σ lanes of s0

dot1:
	CBZ     DOT_N, dotdone
	FMOVS.P 4(DOT_X), F0
	FMOVS.P 4(DOT_Y), F1
	FMADDS  F0, F16, F1, F16 // s += x[i] * y[i]
	SUB     $1, DOT_N
	B       dot1

dotdone:
	FMOVS F16, ret+48(FP)
	RET

// ---------------------------------------------------------------------------

#define AXPY_X R0
#define AXPY_Y R1
#define AXPY_N R2

// func AxpyNEON(alpha float32, x []float32, y []float32)
// Requires: ASIMD
TEXT ·AxpyNEON(SB), NOSPLIT, $0-56
	FMOVS alpha+0(FP), F0
	MOVD  x_base+8(FP), AXPY_X
	MOVD  x_len+16(FP), AXPY_N
	MOVD  y_base+32(FP), AXPY_Y
	VDUP  V0.S[0], V0.S4        // V0 = {alpha, alpha, alpha, alpha}

axpy16:
	CMP    $16, AXPY_N
	BLT    axpy4
	VLD1.P 64(AXPY_X), [V4.S4, V5.S4, V6.S4, V7.S4]     // x[i:i+16]
	VLD1   (AXPY_Y), [V16.S4, V17.S4, V18.S4, V19.S4]   // y[i:i+16]
	VFMLA  V0.S4, V4.S4, V16.S4                         // y[i:i+4] += alpha * x[i:i+4]
	VFMLA  V0.S4, V5.S4, V17.S4                         // …
	VFMLA  V0.S4, V6.S4, V18.S4
	VFMLA  V0.S4, V7.S4, V19.S4
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(AXPY_Y)
	SUB    $16, AXPY_N
	B      axpy16

axpy4:
	CMP    $4, AXPY_N
	BLT    axpy1
	VLD1.P 16(AXPY_X), [V4.S4]
	VLD1   (AXPY_Y), [V16.S4]
	VFMLA  V0.S4, V4.S4, V16.S4 // y[i:i+4] += alpha * x[i:i+4]
	VST1.P [V16.S4], 16(AXPY_Y)
	SUB    $4, AXPY_N
	B      axpy4

axpy1:
	CBZ     AXPY_N, axpydone
	FMOVS.P 4(AXPY_X), F4
	FMOVS   (AXPY_Y), F5
	FMADDS  F0, F5, F4, F5   // y[i] += alpha * x[i]
	FMOVS.P F5, 4(AXPY_Y)
	SUB     $1, AXPY_N
	B       axpy1

axpydone:
	RET

// ---------------------------------------------------------------------------

#define GV_Y R0    // &y[i]
#define GV_ROWS R1 // rows left
#define GV_A R2    // &a[i*lda]
#define GV_LDA R3  // lda in bytes
#define GV_X R4    // &x[0]
#define GV_COLS R5 // len(x)
#define GV_ADD R6  // add
#define GV_A0 R7   // &a[i*lda+j]
#define GV_A1 R8   // &a[(i+1)*lda+j]
#define GV_A2 R9   // &a[(i+2)*lda+j]
#define GV_A3 R10  // &a[(i+3)*lda+j]
#define GV_XP R11  // &x[j]
#define GV_J R12   // columns left

// func GemvNEON(y []float32, a []float32, lda int, x []float32, add bool)
// Requires: ASIMD
//
// Four rows at a time share each load of x; each row has four accumulators
// (16 independent FMA chains). The four rows' sums are reduced into one
// vector with pairwise adds, and the column tail is done on that vector with
// lane loads. Leftover rows go one at a time.
TEXT ·GemvNEON(SB), NOSPLIT, $0-81
	MOVD  y_base+0(FP), GV_Y
	MOVD  y_len+8(FP), GV_ROWS
	MOVD  a_base+24(FP), GV_A
	MOVD  lda+48(FP), GV_LDA
	LSL   $2, GV_LDA
	MOVD  x_base+56(FP), GV_X
	MOVD  x_len+64(FP), GV_COLS
	MOVBU add+80(FP), GV_ADD

gvrows4:
	CMP  $4, GV_ROWS
	BLT  gvrows1
	MOVD GV_A, GV_A0
	ADD  GV_LDA, GV_A0, GV_A1
	ADD  GV_LDA, GV_A1, GV_A2
	ADD  GV_LDA, GV_A2, GV_A3
	MOVD GV_X, GV_XP
	MOVD GV_COLS, GV_J
	VEOR V16.B16, V16.B16, V16.B16 // row i: V16..V19 = 0
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16 // row i+1: V20..V23 = 0
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16
	VEOR V24.B16, V24.B16, V24.B16 // row i+2: V24..V27 = 0
	VEOR V25.B16, V25.B16, V25.B16
	VEOR V26.B16, V26.B16, V26.B16
	VEOR V27.B16, V27.B16, V27.B16
	VEOR V28.B16, V28.B16, V28.B16 // row i+3: V28..V31 = 0
	VEOR V29.B16, V29.B16, V29.B16
	VEOR V30.B16, V30.B16, V30.B16
	VEOR V31.B16, V31.B16, V31.B16

gv4cols16:
	CMP    $16, GV_J
	BLT    gv4cols4
	VLD1.P 64(GV_XP), [V0.S4, V1.S4, V2.S4, V3.S4]     // x[j:j+16]
	VLD1.P 64(GV_A0), [V4.S4, V5.S4, V6.S4, V7.S4]     // row i
	VLD1.P 64(GV_A1), [V8.S4, V9.S4, V10.S4, V11.S4]   // row i+1
	VFMLA  V0.S4, V4.S4, V16.S4
	VFMLA  V1.S4, V5.S4, V17.S4
	VFMLA  V2.S4, V6.S4, V18.S4
	VFMLA  V3.S4, V7.S4, V19.S4
	VLD1.P 64(GV_A2), [V12.S4, V13.S4, V14.S4, V15.S4] // row i+2
	VFMLA  V0.S4, V8.S4, V20.S4
	VFMLA  V1.S4, V9.S4, V21.S4
	VFMLA  V2.S4, V10.S4, V22.S4
	VFMLA  V3.S4, V11.S4, V23.S4
	VLD1.P 64(GV_A3), [V4.S4, V5.S4, V6.S4, V7.S4]     // row i+3
	VFMLA  V0.S4, V12.S4, V24.S4
	VFMLA  V1.S4, V13.S4, V25.S4
	VFMLA  V2.S4, V14.S4, V26.S4
	VFMLA  V3.S4, V15.S4, V27.S4
	VFMLA  V0.S4, V4.S4, V28.S4
	VFMLA  V1.S4, V5.S4, V29.S4
	VFMLA  V2.S4, V6.S4, V30.S4
	VFMLA  V3.S4, V7.S4, V31.S4
	SUB    $16, GV_J
	B      gv4cols16

gv4cols4:
	CMP    $4, GV_J
	BLT    gv4sum
	VLD1.P 16(GV_XP), [V0.S4]   // x[j:j+4]
	VLD1.P 16(GV_A0), [V4.S4]
	VLD1.P 16(GV_A1), [V5.S4]
	VLD1.P 16(GV_A2), [V6.S4]
	VLD1.P 16(GV_A3), [V7.S4]
	VFMLA  V0.S4, V4.S4, V16.S4
	VFMLA  V0.S4, V5.S4, V20.S4
	VFMLA  V0.S4, V6.S4, V24.S4
	VFMLA  V0.S4, V7.S4, V28.S4
	SUB    $4, GV_J
	B      gv4cols4

gv4sum:
	VFADD4S(17, 16, 16)  // row i: V16 += V17
	VFADD4S(19, 18, 18)  //        V18 += V19
	VFADD4S(18, 16, 16)  //        V16 += V18
	VFADD4S(21, 20, 20)  // row i+1 into V20
	VFADD4S(23, 22, 22)
	VFADD4S(22, 20, 20)
	VFADD4S(25, 24, 24)  // row i+2 into V24
	VFADD4S(27, 26, 26)
	VFADD4S(26, 24, 24)
	VFADD4S(29, 28, 28)  // row i+3 into V28
	VFADD4S(31, 30, 30)
	VFADD4S(30, 28, 28)
	VFADDP4S(20, 16, 16) // V16 = pairwise(V16, V20)
	VFADDP4S(28, 24, 24) // V24 = pairwise(V24, V28)
	VFADDP4S(24, 16, 16) // V16 = {s_i, s_i+1, s_i+2, s_i+3}

gv4cols1:
	CBZ     GV_J, gv4store
	VLD1R.P 4(GV_XP), [V0.S4]    // {x[j], x[j], x[j], x[j]}
	VLD1.P  4(GV_A0), V4.S[0]
	VLD1.P  4(GV_A1), V4.S[1]
	VLD1.P  4(GV_A2), V4.S[2]
	VLD1.P  4(GV_A3), V4.S[3]    // V4 = column j of rows i..i+3
	VFMLA   V0.S4, V4.S4, V16.S4
	SUB     $1, GV_J
	B       gv4cols1

gv4store:
	CBZ  GV_ADD, gv4put
	VLD1 (GV_Y), [V0.S4]
	VFADD4S(0, 16, 16)   // s += y[i:i+4]
gv4put:
	VST1.P [V16.S4], 16(GV_Y) // y[i:i+4] = s
	ADD    GV_LDA<<2, GV_A
	SUB    $4, GV_ROWS
	B      gvrows4

gvrows1:
	CBZ  GV_ROWS, gvdone
	MOVD GV_A, GV_A0
	MOVD GV_X, GV_XP
	MOVD GV_COLS, GV_J
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16

gv1cols16:
	CMP    $16, GV_J
	BLT    gv1cols4
	VLD1.P 64(GV_XP), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(GV_A0), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA  V0.S4, V4.S4, V16.S4
	VFMLA  V1.S4, V5.S4, V17.S4
	VFMLA  V2.S4, V6.S4, V18.S4
	VFMLA  V3.S4, V7.S4, V19.S4
	SUB    $16, GV_J
	B      gv1cols16

gv1cols4:
	CMP    $4, GV_J
	BLT    gv1sum
	VLD1.P 16(GV_XP), [V0.S4]
	VLD1.P 16(GV_A0), [V4.S4]
	VFMLA  V0.S4, V4.S4, V16.S4
	SUB    $4, GV_J
	B      gv1cols4

gv1sum:
	VFADD4S(17, 16, 16)
	VFADD4S(19, 18, 18)
	VFADD4S(18, 16, 16)
	VFADDP4S(16, 16, 16)
	VFADDP4S(16, 16, 16) // F16 = s

gv1cols1:
	CBZ     GV_J, gv1store
	FMOVS.P 4(GV_XP), F0
	FMOVS.P 4(GV_A0), F1
	FMADDS  F0, F16, F1, F16 // s += a[i*lda+j] * x[j]
	SUB     $1, GV_J
	B       gv1cols1

gv1store:
	CBZ   GV_ADD, gv1put
	FMOVS (GV_Y), F0
	FADDS F0, F16        // s += y[i]
gv1put:
	FMOVS.P F16, 4(GV_Y) // y[i] = s
	ADD     GV_LDA, GV_A
	SUB     $1, GV_ROWS
	B       gvrows1

gvdone:
	RET

// ---------------------------------------------------------------------------

#define GP_Y R0      // &y[16*p]
#define GP_ROWS R1   // rows left
#define GP_A R2      // &a[p*stride]
#define GP_STRIDE R3 // stride in bytes
#define GP_X R4      // &x[0]
#define GP_COLS R5   // len(x)
#define GP_ADD R6    // add
#define GP_P0 R7     // &a[p*stride+16*j]
#define GP_P1 R8     // &a[(p+1)*stride+16*j]
#define GP_XP R9     // &x[j]
#define GP_J R10     // columns left

// func GemvPanelsNEON(y []float32, a []float32, stride int, x []float32, add bool)
// Requires: ASIMD
//
// Broadcast x[j] and multiply-add column j of a panel into the panel's four
// accumulator registers: no horizontal reductions. Two panels at a time with
// two column phases (16 accumulators, added at the end); a leftover panel
// with four column phases. The last panel may be partial: it is computed
// whole in registers and only its first len(y)%16 rows are stored.
TEXT ·GemvPanelsNEON(SB), NOSPLIT, $0-81
	MOVD  y_base+0(FP), GP_Y
	MOVD  y_len+8(FP), GP_ROWS
	MOVD  a_base+24(FP), GP_A
	MOVD  stride+48(FP), GP_STRIDE
	LSL   $2, GP_STRIDE
	MOVD  x_base+56(FP), GP_X
	MOVD  x_len+64(FP), GP_COLS
	MOVBU add+80(FP), GP_ADD

gppanels2:
	CMP  $32, GP_ROWS
	BLT  gppanel1
	MOVD GP_A, GP_P0
	ADD  GP_STRIDE, GP_A, GP_P1
	MOVD GP_X, GP_XP
	MOVD GP_COLS, GP_J
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

gp2cols2:
	CMP     $2, GP_J
	BLT     gp2cols1
	VLD1R.P 4(GP_XP), [V0.S4]                       // x[j] in all lanes
	VLD1R.P 4(GP_XP), [V1.S4]                       // x[j+1] in all lanes
	VLD1.P  64(GP_P0), [V2.S4, V3.S4, V4.S4, V5.S4] // panel p, column j
	VLD1.P  64(GP_P1), [V6.S4, V7.S4, V8.S4, V9.S4] // panel p+1, column j
	VFMLA   V0.S4, V2.S4, V16.S4
	VFMLA   V0.S4, V3.S4, V17.S4
	VFMLA   V0.S4, V4.S4, V18.S4
	VFMLA   V0.S4, V5.S4, V19.S4
	VFMLA   V0.S4, V6.S4, V20.S4
	VFMLA   V0.S4, V7.S4, V21.S4
	VFMLA   V0.S4, V8.S4, V22.S4
	VFMLA   V0.S4, V9.S4, V23.S4
	VLD1.P  64(GP_P0), [V2.S4, V3.S4, V4.S4, V5.S4] // panel p, column j+1
	VLD1.P  64(GP_P1), [V6.S4, V7.S4, V8.S4, V9.S4] // panel p+1, column j+1
	VFMLA   V1.S4, V2.S4, V24.S4
	VFMLA   V1.S4, V3.S4, V25.S4
	VFMLA   V1.S4, V4.S4, V26.S4
	VFMLA   V1.S4, V5.S4, V27.S4
	VFMLA   V1.S4, V6.S4, V28.S4
	VFMLA   V1.S4, V7.S4, V29.S4
	VFMLA   V1.S4, V8.S4, V30.S4
	VFMLA   V1.S4, V9.S4, V31.S4
	SUB     $2, GP_J
	B       gp2cols2

gp2cols1:
	CBZ   GP_J, gp2sum
	VLD1R (GP_XP), [V0.S4]
	VLD1  (GP_P0), [V2.S4, V3.S4, V4.S4, V5.S4]
	VLD1  (GP_P1), [V6.S4, V7.S4, V8.S4, V9.S4]
	VFMLA V0.S4, V2.S4, V16.S4
	VFMLA V0.S4, V3.S4, V17.S4
	VFMLA V0.S4, V4.S4, V18.S4
	VFMLA V0.S4, V5.S4, V19.S4
	VFMLA V0.S4, V6.S4, V20.S4
	VFMLA V0.S4, V7.S4, V21.S4
	VFMLA V0.S4, V8.S4, V22.S4
	VFMLA V0.S4, V9.S4, V23.S4

gp2sum:
	VFADD4S(24, 16, 16)                        // phase 0 += phase 1
	VFADD4S(25, 17, 17)
	VFADD4S(26, 18, 18)
	VFADD4S(27, 19, 19)
	VFADD4S(28, 20, 20)
	VFADD4S(29, 21, 21)
	VFADD4S(30, 22, 22)
	VFADD4S(31, 23, 23)
	CBZ  GP_ADD, gp2put
	VLD1 (GP_Y), [V0.S4, V1.S4, V2.S4, V3.S4]  // y[16p:16p+16]
	VFADD4S(0, 16, 16)
	VFADD4S(1, 17, 17)
	VFADD4S(2, 18, 18)
	VFADD4S(3, 19, 19)
	ADD  $64, GP_Y, GP_XP                      // GP_XP is free until the next pair
	VLD1 (GP_XP), [V4.S4, V5.S4, V6.S4, V7.S4] // y[16p+16:16p+32]
	VFADD4S(4, 20, 20)
	VFADD4S(5, 21, 21)
	VFADD4S(6, 22, 22)
	VFADD4S(7, 23, 23)
gp2put:
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(GP_Y)
	VST1.P [V20.S4, V21.S4, V22.S4, V23.S4], 64(GP_Y)
	ADD    GP_STRIDE<<1, GP_A
	SUB    $32, GP_ROWS
	B      gppanels2

gppanel1:
	CBZ  GP_ROWS, gpdone
	MOVD GP_A, GP_P0
	MOVD GP_X, GP_XP
	MOVD GP_COLS, GP_J
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

gp1cols4:
	CMP     $4, GP_J
	BLT     gp1cols1
	VLD1R.P 4(GP_XP), [V0.S4]                           // x[j]
	VLD1R.P 4(GP_XP), [V1.S4]                           // x[j+1]
	VLD1R.P 4(GP_XP), [V2.S4]                           // x[j+2]
	VLD1R.P 4(GP_XP), [V3.S4]                           // x[j+3]
	VLD1.P  64(GP_P0), [V4.S4, V5.S4, V6.S4, V7.S4]     // column j
	VLD1.P  64(GP_P0), [V8.S4, V9.S4, V10.S4, V11.S4]   // column j+1
	VLD1.P  64(GP_P0), [V12.S4, V13.S4, V14.S4, V15.S4] // column j+2
	VFMLA   V0.S4, V4.S4, V16.S4
	VFMLA   V0.S4, V5.S4, V17.S4
	VFMLA   V0.S4, V6.S4, V18.S4
	VFMLA   V0.S4, V7.S4, V19.S4
	VLD1.P  64(GP_P0), [V4.S4, V5.S4, V6.S4, V7.S4]     // column j+3
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
	SUB     $4, GP_J
	B       gp1cols4

gp1cols1:
	CBZ     GP_J, gp1sum
	VLD1R.P 4(GP_XP), [V0.S4]
	VLD1.P  64(GP_P0), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFMLA   V0.S4, V4.S4, V16.S4
	VFMLA   V0.S4, V5.S4, V17.S4
	VFMLA   V0.S4, V6.S4, V18.S4
	VFMLA   V0.S4, V7.S4, V19.S4
	SUB     $1, GP_J
	B       gp1cols1

gp1sum:
	VFADD4S(20, 16, 16)                       // phase 0 += phase 1
	VFADD4S(21, 17, 17)
	VFADD4S(22, 18, 18)
	VFADD4S(23, 19, 19)
	VFADD4S(28, 24, 24)                       // phase 2 += phase 3
	VFADD4S(29, 25, 25)
	VFADD4S(30, 26, 26)
	VFADD4S(31, 27, 27)
	VFADD4S(24, 16, 16)                       // phase 0 += phase 2
	VFADD4S(25, 17, 17)
	VFADD4S(26, 18, 18)
	VFADD4S(27, 19, 19)                       // V16..V19 = s[0:16] of panel p
	CMP  $16, GP_ROWS
	BLT  gppart8
	CBZ  GP_ADD, gp1put
	VLD1 (GP_Y), [V0.S4, V1.S4, V2.S4, V3.S4]
	VFADD4S(0, 16, 16)
	VFADD4S(1, 17, 17)
	VFADD4S(2, 18, 18)
	VFADD4S(3, 19, 19)
gp1put:
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(GP_Y) // y[16p:16p+16] = s
	ADD    GP_STRIDE, GP_A
	SUB    $16, GP_ROWS
	B      gppanel1

	// Partial last panel: 0 < rows < 16. Store 8, 4, then single lanes,
	// shifting the rows not yet stored down into V16.
gppart8:
	CMP  $8, GP_ROWS
	BLT  gppart4
	CBZ  GP_ADD, gppart8put
	VLD1 (GP_Y), [V0.S4, V1.S4]
	VFADD4S(0, 16, 16)
	VFADD4S(1, 17, 17)
gppart8put:
	VST1.P [V16.S4, V17.S4], 32(GP_Y) // y[0:8] = s[0:8]
	VMOV   V18.B16, V16.B16
	VMOV   V19.B16, V17.B16           // s = s[8:]
	SUB    $8, GP_ROWS

gppart4:
	CMP  $4, GP_ROWS
	BLT  gppart1
	CBZ  GP_ADD, gppart4put
	VLD1 (GP_Y), [V0.S4]
	VFADD4S(0, 16, 16)
gppart4put:
	VST1.P [V16.S4], 16(GP_Y) // y[0:4] = s[0:4]
	VMOV   V17.B16, V16.B16   // s = s[4:]
	SUB    $4, GP_ROWS

gppart1:
	CBZ   GP_ROWS, gpdone
	FMOVS F16, F1            // t = s[0]
	CBZ   GP_ADD, gppart1put
	FMOVS (GP_Y), F0
	FADDS F0, F1             // t += y[0]
gppart1put:
	FMOVS.P F1, 4(GP_Y)                   // y[0] = t
	VEXT    $4, V16.B16, V16.B16, V16.B16 // s = s[1:] (rotate lanes)
	SUB     $1, GP_ROWS
	B       gppart1

gpdone:
	RET
