// The packed panel product y = P·x for NEON, written once for every routine
// that multiplies a packed matrix by one vector: the plain product
// (GemvPanelsNEON, gemv_neon_arm64.s) and the fused recurrent step
// (StepPanelsNEON, step_neon_arm64.s). A routine supplies only its
// epilogue: what happens to each sixteen-row sum while it is still in
// registers.
//
//	#include "neon_arm64.h"
//	#include "panel_neon_arm64.h"
//
// The layout: blocks of 16 rows, block k at a[k*stride:], column j of a
// block the 16 floats at cs*j in it, four vector registers. A run of
// 16-row panels is blocks with cs = 16; a taller panel of h rows is h/16
// blocks 16 floats apart with cs = h (the caller passes one panel at a
// time); and with cs = 8 the routine takes one panel of at most 8 rows, two
// registers a column. For each column, x[j] is broadcast and multiplied
// into the accumulators of whole blocks, so no horizontal sums are needed.
// Two blocks at a time with two column phases (16 accumulators, V16–V31,
// added at the end), leftover blocks one at a time with four column phases.
//
// The routine loads PNL_ROWS = len(y), PNL_A = &a[0], PNL_STRIDE = stride
// and PNL_CS = cs (in floats), PNL_X = &x[0], PNL_COLS = len(x), then expands
//
//	PANELS_NEON(PRE, EPI)
//
// once (its labels are pnl…). The product uses all 32 vector registers, so
// the epilogue runs on one panel at a time, the second panel of a pair
// waiting in V12–V15. After each product the driver expands PRE (once per
// pair: what the epilogue needs set up, PNL_NOTHING if nothing), then EPI
// for each panel in turn:
//
//	EPI  the next PNL_N = min(16, rows left) rows of y in V16–V19, four
//	     to a register; when PNL_N < 16 the other lanes are padding rows:
//	     never store them. EPI walks its own pointers into the slices.
//
// PRE and EPI may use R0–R5, R11, R12, R17, R21–R25, V0–V11 and V20–V31,
// and must keep V12–V15 and the other registers named below.

#ifndef PANEL_NEON_ARM64_H
#define PANEL_NEON_ARM64_H

#define PNL_A      R6  // start of the next panel
#define PNL_STRIDE R7  // panel stride in bytes
#define PNL_X      R8  // &x[0]
#define PNL_COLS   R9  // len(x)
#define PNL_ROWS   R10 // rows left, not counting those of the current panel
#define PNL_P0     R13 // column cursor in panel p
#define PNL_P1     R14 // column cursor in panel p+1
#define PNL_XT     R15 // x cursor
#define PNL_J      R16 // columns left
#define PNL_PEND   R19 // 1 while the second panel of a pair (V12–V15) waits
#define PNL_N      R20 // rows of the current panel: min(16, rows left)
#define PNL_CS     R26 // column step in bytes
// V0–V9 hold the broadcasts of x and the panel columns during a product.

// PNL_NOTHING is an empty PRE.
#define PNL_NOTHING

// PANELS_NEON walks y: pairs of panels while 32 rows are left, then single
// panels, the last maybe partial; after each product PRE, then EPI once per
// panel.
#define PANELS_NEON(PRE, EPI) \
	LSL  $2, PNL_STRIDE;             \
	LSL  $2, PNL_CS;                 \
	MOVD ZR, PNL_PEND;               \
	CMP  $32, PNL_CS;                \
	BNE  pnlpair;                    \
	CBZ  PNL_ROWS, pnldone;          \
	PANEL8_NEON;                     \ // one panel of at most 8 rows
	B    pnlepi;                     \
                                         \
pnlpair:                                 \ // two whole panels, 32 rows
	CMP  $32, PNL_ROWS;              \
	BLT  pnlone;                     \
	PANEL2_NEON;                     \
	ADD  PNL_STRIDE<<1, PNL_A;       \
	MOVD $1, PNL_PEND;               \
	B    pnlepi;                     \
                                         \
pnlone:                                  \ // the last one or two panels; the last may be partial
	CBZ  PNL_ROWS, pnldone;          \
	PANEL1_NEON;                     \
	ADD  PNL_STRIDE, PNL_A;          \
                                         \
pnlepi:                                  \
	PRE;                             \
                                         \
pnlrows:                                 \
	MOVD $16, PNL_N;                 \
	CMP  $16, PNL_ROWS;              \
	CSEL LT, PNL_ROWS, PNL_N, PNL_N; \ // PNL_N = min(16, rows left)
	SUB  PNL_N, PNL_ROWS;            \
	EPI;                             \
	CBZ  PNL_PEND, pnlpair;          \
	MOVD ZR, PNL_PEND;               \
	VMOV V12.B16, V16.B16;           \ // the second panel of the pair
	VMOV V13.B16, V17.B16;           \
	VMOV V14.B16, V18.B16;           \
	VMOV V15.B16, V19.B16;           \
	B    pnlrows;                    \
                                         \
pnldone:

// PNL_ZERO_NEON zeroes the accumulators of a product, V16–V31.
#define PNL_ZERO_NEON \
	VEOR V16.B16, V16.B16, V16.B16; \
	VEOR V17.B16, V17.B16, V17.B16; \
	VEOR V18.B16, V18.B16, V18.B16; \
	VEOR V19.B16, V19.B16, V19.B16; \
	VEOR V20.B16, V20.B16, V20.B16; \
	VEOR V21.B16, V21.B16, V21.B16; \
	VEOR V22.B16, V22.B16, V22.B16; \
	VEOR V23.B16, V23.B16, V23.B16; \
	VEOR V24.B16, V24.B16, V24.B16; \
	VEOR V25.B16, V25.B16, V25.B16; \
	VEOR V26.B16, V26.B16, V26.B16; \
	VEOR V27.B16, V27.B16, V27.B16; \
	VEOR V28.B16, V28.B16, V28.B16; \
	VEOR V29.B16, V29.B16, V29.B16; \
	VEOR V30.B16, V30.B16, V30.B16; \
	VEOR V31.B16, V31.B16, V31.B16

// PANEL2_NEON sets V16–V19 to the sums of the panel at PNL_A and V12–V15
// to those of the next one. Column phase 0 accumulates in V16–V19 (panel
// p) and V20–V23 (panel p+1), phase 1 in V24–V27 and V28–V31.
#define PANEL2_NEON \
	MOVD PNL_A, PNL_P0;                               \
	ADD  PNL_STRIDE, PNL_A, PNL_P1;                   \
	MOVD PNL_X, PNL_XT;                               \
	MOVD PNL_COLS, PNL_J;                             \
	PNL_ZERO_NEON;                                    \
                                                          \
pnl2cols2:                                                \
	CMP     $2, PNL_J;                                \
	BLT     pnl2cols1;                                \
	VLD1R.P 4(PNL_XT), [V0.S4];                       \ // x[j] in all lanes
	VLD1R.P 4(PNL_XT), [V1.S4];                       \ // x[j+1] in all lanes
	VLD1.P  (PNL_P0)(PNL_CS), [V2.S4, V3.S4, V4.S4, V5.S4]; \ // panel p, column j
	VLD1.P  (PNL_P1)(PNL_CS), [V6.S4, V7.S4, V8.S4, V9.S4]; \ // panel p+1, column j
	VFMLA   V0.S4, V2.S4, V16.S4;                     \
	VFMLA   V0.S4, V3.S4, V17.S4;                     \
	VFMLA   V0.S4, V4.S4, V18.S4;                     \
	VFMLA   V0.S4, V5.S4, V19.S4;                     \
	VFMLA   V0.S4, V6.S4, V20.S4;                     \
	VFMLA   V0.S4, V7.S4, V21.S4;                     \
	VFMLA   V0.S4, V8.S4, V22.S4;                     \
	VFMLA   V0.S4, V9.S4, V23.S4;                     \
	VLD1.P  (PNL_P0)(PNL_CS), [V2.S4, V3.S4, V4.S4, V5.S4]; \ // panel p, column j+1
	VLD1.P  (PNL_P1)(PNL_CS), [V6.S4, V7.S4, V8.S4, V9.S4]; \ // panel p+1, column j+1
	VFMLA   V1.S4, V2.S4, V24.S4;                     \
	VFMLA   V1.S4, V3.S4, V25.S4;                     \
	VFMLA   V1.S4, V4.S4, V26.S4;                     \
	VFMLA   V1.S4, V5.S4, V27.S4;                     \
	VFMLA   V1.S4, V6.S4, V28.S4;                     \
	VFMLA   V1.S4, V7.S4, V29.S4;                     \
	VFMLA   V1.S4, V8.S4, V30.S4;                     \
	VFMLA   V1.S4, V9.S4, V31.S4;                     \
	SUB     $2, PNL_J;                                \
	B       pnl2cols2;                                \
                                                          \
pnl2cols1:                                                \
	CBZ   PNL_J, pnl2sum;                             \
	VLD1R (PNL_XT), [V0.S4];                          \
	VLD1  (PNL_P0), [V2.S4, V3.S4, V4.S4, V5.S4];     \
	VLD1  (PNL_P1), [V6.S4, V7.S4, V8.S4, V9.S4];     \
	VFMLA V0.S4, V2.S4, V16.S4;                       \
	VFMLA V0.S4, V3.S4, V17.S4;                       \
	VFMLA V0.S4, V4.S4, V18.S4;                       \
	VFMLA V0.S4, V5.S4, V19.S4;                       \
	VFMLA V0.S4, V6.S4, V20.S4;                       \
	VFMLA V0.S4, V7.S4, V21.S4;                       \
	VFMLA V0.S4, V8.S4, V22.S4;                       \
	VFMLA V0.S4, V9.S4, V23.S4;                       \
                                                          \
pnl2sum:                                                  \
	VFADD4S(24, 16, 16);                              \ // panel p: phase 0 += phase 1
	VFADD4S(25, 17, 17);                              \
	VFADD4S(26, 18, 18);                              \
	VFADD4S(27, 19, 19);                              \
	VFADD4S(28, 20, 12);                              \ // panel p+1, into V12..V15
	VFADD4S(29, 21, 13);                              \
	VFADD4S(30, 22, 14);                              \
	VFADD4S(31, 23, 15)

// PANEL1_NEON sets V16–V19 to the sums of the panel at PNL_A. Column
// phase k = j%4 accumulates in V(16+4k)–V(19+4k).
#define PANEL1_NEON \
	MOVD PNL_A, PNL_P0;                                   \
	MOVD PNL_X, PNL_XT;                                   \
	MOVD PNL_COLS, PNL_J;                                 \
	PNL_ZERO_NEON;                                        \
                                                              \
pnl1cols4:                                                    \
	CMP     $4, PNL_J;                                    \
	BLT     pnl1cols1;                                    \
	VLD1R.P 4(PNL_XT), [V0.S4];                           \ // x[j]
	VLD1R.P 4(PNL_XT), [V1.S4];                           \ // x[j+1]
	VLD1R.P 4(PNL_XT), [V2.S4];                           \ // x[j+2]
	VLD1R.P 4(PNL_XT), [V3.S4];                           \ // x[j+3]
	VLD1.P  (PNL_P0)(PNL_CS), [V4.S4, V5.S4, V6.S4, V7.S4];     \ // column j
	VLD1.P  (PNL_P0)(PNL_CS), [V8.S4, V9.S4, V10.S4, V11.S4];   \ // column j+1
	VLD1.P  (PNL_P0)(PNL_CS), [V12.S4, V13.S4, V14.S4, V15.S4]; \ // column j+2
	VFMLA   V0.S4, V4.S4, V16.S4;                         \
	VFMLA   V0.S4, V5.S4, V17.S4;                         \
	VFMLA   V0.S4, V6.S4, V18.S4;                         \
	VFMLA   V0.S4, V7.S4, V19.S4;                         \
	VLD1.P  (PNL_P0)(PNL_CS), [V4.S4, V5.S4, V6.S4, V7.S4];     \ // column j+3
	VFMLA   V1.S4, V8.S4, V20.S4;                         \
	VFMLA   V1.S4, V9.S4, V21.S4;                         \
	VFMLA   V1.S4, V10.S4, V22.S4;                        \
	VFMLA   V1.S4, V11.S4, V23.S4;                        \
	VFMLA   V2.S4, V12.S4, V24.S4;                        \
	VFMLA   V2.S4, V13.S4, V25.S4;                        \
	VFMLA   V2.S4, V14.S4, V26.S4;                        \
	VFMLA   V2.S4, V15.S4, V27.S4;                        \
	VFMLA   V3.S4, V4.S4, V28.S4;                         \
	VFMLA   V3.S4, V5.S4, V29.S4;                         \
	VFMLA   V3.S4, V6.S4, V30.S4;                         \
	VFMLA   V3.S4, V7.S4, V31.S4;                         \
	SUB     $4, PNL_J;                                    \
	B       pnl1cols4;                                    \
                                                              \
pnl1cols1:                                                    \
	CBZ     PNL_J, pnl1sum;                               \
	VLD1R.P 4(PNL_XT), [V0.S4];                           \
	VLD1.P  (PNL_P0)(PNL_CS), [V4.S4, V5.S4, V6.S4, V7.S4];     \
	VFMLA   V0.S4, V4.S4, V16.S4;                         \
	VFMLA   V0.S4, V5.S4, V17.S4;                         \
	VFMLA   V0.S4, V6.S4, V18.S4;                         \
	VFMLA   V0.S4, V7.S4, V19.S4;                         \
	SUB     $1, PNL_J;                                    \
	B       pnl1cols1;                                    \
                                                              \
pnl1sum:                                                      \
	VFADD4S(20, 16, 16);                                  \ // phase 0 += phase 1
	VFADD4S(21, 17, 17);                                  \
	VFADD4S(22, 18, 18);                                  \
	VFADD4S(23, 19, 19);                                  \
	VFADD4S(28, 24, 24);                                  \ // phase 2 += phase 3
	VFADD4S(29, 25, 25);                                  \
	VFADD4S(30, 26, 26);                                  \
	VFADD4S(31, 27, 27);                                  \
	VFADD4S(24, 16, 16);                                  \ // phase 0 += phase 2
	VFADD4S(25, 17, 17);                                  \
	VFADD4S(26, 18, 18);                                  \
	VFADD4S(27, 19, 19)

// PANEL8_NEON sets V16:V17 to the sums of the panel of at most 8 rows at
// PNL_A (columns 32 bytes apart), four column phases in V16:V17, V20:V21,
// V24:V25 and V28:V29, and clears V18:V19.
#define PANEL8_NEON \
	MOVD PNL_A, PNL_P0;                             \
	MOVD PNL_X, PNL_XT;                             \
	MOVD PNL_COLS, PNL_J;                           \
	PNL_ZERO_NEON;                                  \
                                                        \
pnl8cols4:                                              \
	CMP     $4, PNL_J;                              \
	BLT     pnl8cols1;                              \
	VLD1R.P 4(PNL_XT), [V0.S4];                     \ // x[j]
	VLD1R.P 4(PNL_XT), [V1.S4];                     \
	VLD1R.P 4(PNL_XT), [V2.S4];                     \
	VLD1R.P 4(PNL_XT), [V3.S4];                     \
	VLD1.P  32(PNL_P0), [V4.S4, V5.S4];             \ // column j
	VLD1.P  32(PNL_P0), [V6.S4, V7.S4];             \
	VLD1.P  32(PNL_P0), [V8.S4, V9.S4];             \
	VLD1.P  32(PNL_P0), [V10.S4, V11.S4];           \
	VFMLA   V0.S4, V4.S4, V16.S4;                   \
	VFMLA   V0.S4, V5.S4, V17.S4;                   \
	VFMLA   V1.S4, V6.S4, V20.S4;                   \
	VFMLA   V1.S4, V7.S4, V21.S4;                   \
	VFMLA   V2.S4, V8.S4, V24.S4;                   \
	VFMLA   V2.S4, V9.S4, V25.S4;                   \
	VFMLA   V3.S4, V10.S4, V28.S4;                  \
	VFMLA   V3.S4, V11.S4, V29.S4;                  \
	SUB     $4, PNL_J;                              \
	B       pnl8cols4;                              \
                                                        \
pnl8cols1:                                              \
	CBZ     PNL_J, pnl8sum;                         \
	VLD1R.P 4(PNL_XT), [V0.S4];                     \
	VLD1.P  32(PNL_P0), [V4.S4, V5.S4];             \
	VFMLA   V0.S4, V4.S4, V16.S4;                   \
	VFMLA   V0.S4, V5.S4, V17.S4;                   \
	SUB     $1, PNL_J;                              \
	B       pnl8cols1;                              \
                                                        \
pnl8sum:                                                \
	VFADD4S(20, 16, 16);                            \ // phase 0 += phase 1
	VFADD4S(21, 17, 17);                            \
	VFADD4S(28, 24, 24);                            \ // phase 2 += phase 3
	VFADD4S(29, 25, 25);                            \
	VFADD4S(24, 16, 16);                            \ // phase 0 += phase 2
	VFADD4S(25, 17, 17)

#endif
