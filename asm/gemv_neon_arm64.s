//go:build gc && !purego && !noasm

#include "textflag.h"
#include "neon_arm64.h"
#include "panel_neon_arm64.h"

// Matrix-vector products y (+)= A·x for NEON: GemvNEON on a row-major A,
// GemvPanelsNEON on a packed A (its loop is the shared panel product of
// panel_neon_arm64.h).

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

// Register roles of GemvPanelsNEON, beside the PNL_… of the panel product.
#define GP_Y   R0 // &y[i]
#define GP_ADD R1 // add

// GP_EPI stores the PNL_N rows in V16–V19: y[i:i+PNL_N] = s, or += s when
// add. A partial panel stores 8, 4, then single lanes, shifting the rows
// not yet stored down into V16.
#define GP_EPI \
	CMP  $16, PNL_N;                                   \
	BLT  gppart8;                                      \
	CBZ  GP_ADD, gpput16;                              \
	VLD1 (GP_Y), [V0.S4, V1.S4, V2.S4, V3.S4];         \ // y[i:i+16]
	VFADD4S(0, 16, 16);                                \
	VFADD4S(1, 17, 17);                                \
	VFADD4S(2, 18, 18);                                \
	VFADD4S(3, 19, 19);                                \
                                                           \
gpput16:                                                   \
	VST1.P [V16.S4, V17.S4, V18.S4, V19.S4], 64(GP_Y); \ // y[i:i+16] = s
	B      gpepidone;                                  \
                                                           \
gppart8:                                                   \
	CMP  $8, PNL_N;                                    \
	BLT  gppart4;                                      \
	CBZ  GP_ADD, gppart8put;                           \
	VLD1 (GP_Y), [V0.S4, V1.S4];                       \
	VFADD4S(0, 16, 16);                                \
	VFADD4S(1, 17, 17);                                \
                                                           \
gppart8put:                                                \
	VST1.P [V16.S4, V17.S4], 32(GP_Y);                 \ // y[i:i+8] = s[0:8]
	VMOV   V18.B16, V16.B16;                           \
	VMOV   V19.B16, V17.B16;                           \ // s = s[8:]
	SUB    $8, PNL_N;                                  \
                                                           \
gppart4:                                                   \
	CMP  $4, PNL_N;                                    \
	BLT  gppart1;                                      \
	CBZ  GP_ADD, gppart4put;                           \
	VLD1 (GP_Y), [V0.S4];                              \
	VFADD4S(0, 16, 16);                                \
                                                           \
gppart4put:                                                \
	VST1.P [V16.S4], 16(GP_Y);                         \ // y[i:i+4] = s[0:4]
	VMOV   V17.B16, V16.B16;                           \ // s = s[4:]
	SUB    $4, PNL_N;                                  \
                                                           \
gppart1:                                                   \
	CBZ   PNL_N, gpepidone;                            \
	FMOVS F16, F1;                                     \ // t = s[0]
	CBZ   GP_ADD, gppart1put;                          \
	FMOVS (GP_Y), F0;                                  \
	FADDS F0, F1;                                      \ // t += y[i]
                                                           \
gppart1put:                                                \
	FMOVS.P F1, 4(GP_Y);                               \ // y[i] = t
	VEXT    $4, V16.B16, V16.B16, V16.B16;             \ // s = s[1:] (rotate lanes)
	SUB     $1, PNL_N;                                 \
	B       gppart1;                                   \
                                                           \
gpepidone:

// func GemvPanelsNEON(y []float32, a []float32, stride int, cs int, x []float32, add bool)
// Requires: ASIMD
TEXT ·GemvPanelsNEON(SB), NOSPLIT, $0-89
	MOVD  y_base+0(FP), GP_Y
	MOVD  y_len+8(FP), PNL_ROWS
	MOVD  a_base+24(FP), PNL_A
	MOVD  stride+48(FP), PNL_STRIDE
	MOVD  cs+56(FP), PNL_CS
	MOVD  x_base+64(FP), PNL_X
	MOVD  x_len+72(FP), PNL_COLS
	MOVBU add+88(FP), GP_ADD
	PANELS_NEON(PNL_NOTHING, GP_EPI)
	RET
