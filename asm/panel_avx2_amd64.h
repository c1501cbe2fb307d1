// The packed panel product y = P·x for AVX2+FMA3, written once for every
// routine that multiplies a packed matrix by one vector: the plain product
// (GemvPanelsAVX2, gemv_avx2_amd64.s) and the fused recurrent step
// (StepPanelsAVX2, step_avx2_amd64.s). A routine supplies only its
// epilogue: what happens to each sixteen-row sum while it is still in
// registers.
//
//	#include "panel_avx2_amd64.h"
//
// The layout: blocks of 16 rows, block k at a[k*stride:], column j of a
// block the 16 floats at cs*j in it, two YMM registers. A run of 16-row
// panels is blocks with cs = 16; a taller panel of h rows is h/16 blocks
// 16 floats apart with cs = h (the caller passes one panel at a time); and
// with cs = 8 the routine takes one panel of at most 8 rows, a YMM register
// a column. For each column, x[j] is broadcast and multiplied into the
// accumulators of whole blocks, so no horizontal sums are needed. Two
// blocks (32 rows) at a time with two column phases: block k in Y0:Y1 (even
// j) and Y2:Y3 (odd j), block k+1 in Y4:Y5 and Y6:Y7. Leftover blocks go
// one at a time with four column phases, phase j%4 = m in Y(2m):Y(2m+1).
// Requires AVX, AVX2, FMA3.
//
// The routine loads PNL_ROWS = len(y), PNL_A = &a[0], PNL_STRIDE = stride
// and PNL_CS = cs (in floats), PNL_X = &x[0], PNL_COLS = len(x), then
// expands
//
//	PANELS_AVX2(EPI2, EPI1, EPIP)
//
// once (its labels are pnl…). The epilogues are macros that find the sums
// of the rows at byte offset PNL_ROFF (= 4*i) of y:
//
//	EPI2  rows i..i+32: i..i+16 in Y0:Y1, i+16..i+32 in Y4:Y5
//	EPI1  rows i..i+16 in Y0:Y1
//	EPIP  the last PNL_ROWS < 16 rows in the low lanes of Y0:Y1 (the
//	      other lanes are padding rows: never store them)
//
// They may use AX, DI, R10–R14 and all YMM registers, and must keep the
// other registers named below. No masked loads (VMASKMOVPS): qemu 7.2 reads
// the whole vector for those, which faults at a guard page under the CI's
// qemu-x86_64 -cpu Haswell run, so a partial panel goes through memory the
// routine owns (its frame).

#ifndef PANEL_AVX2_AMD64_H
#define PANEL_AVX2_AMD64_H

#define PNL_ROFF   R9  // byte offset of the current rows in y: 4*i
#define PNL_ROWS   BX  // rows left, counting those the epilogue finishes
#define PNL_A      SI  // start of the current panel
#define PNL_STRIDE DX  // panel stride in bytes
#define PNL_X      R8  // &x[0]
#define PNL_COLS   CX  // len(x)
#define PNL_P0     R10 // column cursor in panel p
#define PNL_P1     R11 // column cursor in panel p+1
#define PNL_XT     R12 // x cursor
#define PNL_K      R13 // loop counter
#define PNL_CS     R15 // column step in bytes
#define PNL_CS3    AX  // 3*column step in bytes, during a product
// Y8–Y11 hold the broadcasts of x during a product.

// PANELS_AVX2 walks y: pairs of blocks while 32 rows are left, then single
// blocks, then the partial last one, each product followed by its
// epilogue; or the one panel of at most 8 rows.
#define PANELS_AVX2(EPI2, EPI1, EPIP) \
	SHLQ $2, PNL_STRIDE;               \
	SHLQ $2, PNL_CS;                   \
	XORQ PNL_ROFF, PNL_ROFF;           \
	CMPQ PNL_CS, $32;                  \
	JNE  pnlpair;                      \
	TESTQ PNL_ROWS, PNL_ROWS;          \
	JZ   pnldone;                      \
	PANEL8_AVX2;                       \
	JMP  pnlpartial;                   \
                                           \
pnlpair:                                   \
	CMPQ PNL_ROWS, $32;                \
	JB   pnlone;                       \
	PANEL2_AVX2;                       \
	EPI2;                              \
	ADDQ $128, PNL_ROFF;               \
	LEAQ (PNL_A)(PNL_STRIDE*2), PNL_A; \ // the next two blocks
	SUBQ $32, PNL_ROWS;                \
	JMP  pnlpair;                      \
                                           \
pnlone:                                    \ // the last one or two blocks; the last may be partial
	TESTQ PNL_ROWS, PNL_ROWS;          \
	JZ    pnldone;                     \
	PANEL1_AVX2;                       \
	CMPQ  PNL_ROWS, $16;               \
	JB    pnlpartial;                  \
	EPI1;                              \
	ADDQ  $64, PNL_ROFF;               \
	ADDQ  PNL_STRIDE, PNL_A;           \
	SUBQ  $16, PNL_ROWS;               \
	JMP   pnlone;                      \
                                           \
pnlpartial:                                \ // PNL_ROWS < 16 rows left
	EPIP;                              \
                                           \
pnldone:

// PANELS_TALL_AVX2 walks y over a run of whole panels of PNL_CS = h rows
// (32, 64 or 128), PNL_STRIDE floats apart, pairs of 16-row blocks at a
// time: blocks 16 floats apart within a panel, columns h apart, so that
// EPI2 finishes the rows in order as PANELS_AVX2 hands them. PNL_ROWS is
// a multiple of h. PA and PS are two frame slots of the routine, for the
// current panel and the panel stride in bytes. Its labels are pnlt….
#define PANELS_TALL_AVX2(EPI2, PA, PS) \
	SHLQ  $2, PNL_STRIDE;              \
	SHLQ  $2, PNL_CS;                  \
	MOVQ  PNL_STRIDE, PS;              \
	MOVQ  PNL_A, PA;                   \
	MOVQ  $64, PNL_STRIDE;             \ // the second block of a pair
	XORQ  PNL_ROFF, PNL_ROFF;          \
                                           \
pnltpair:                                  \
	TESTQ PNL_ROWS, PNL_ROWS;          \
	JZ    pnltdone;                    \
	PANEL2L_AVX2(pnlt4, pnlt2, pnlt1, pnltsum); \
	EPI2;                              \
	ADDQ  $128, PNL_ROFF;              \
	SUBQ  $32, PNL_ROWS;               \
	ADDQ  $128, PNL_A;                 \ // the next pair of this panel
	MOVQ  PNL_A, AX;                   \
	SUBQ  PA, AX;                      \
	CMPQ  AX, PNL_CS;                  \
	JNE   pnltpair;                    \
	MOVQ  PA, PNL_A;                   \ // or the next panel
	ADDQ  PS, PNL_A;                   \
	MOVQ  PNL_A, PA;                   \
	JMP   pnltpair;                    \
                                           \
pnltdone:

// PNL_ZERO_AVX2 zeroes the accumulators of a product, Y0–Y7.
#define PNL_ZERO_AVX2 \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7

// PANEL2L_AVX2 sets Y0:Y1 and Y4:Y5 to the sums of the two blocks at
// PNL_A and PNL_A + PNL_STRIDE; L4, L2, L1 and LS name its labels.
#define PANEL2L_AVX2(L4, L2, L1, LS) \
	PNL_ZERO_AVX2;                                \
	MOVQ   PNL_A, PNL_P0;                         \
	LEAQ   (PNL_A)(PNL_STRIDE*1), PNL_P1;         \
	LEAQ   (PNL_CS)(PNL_CS*2), PNL_CS3;           \
	MOVQ   PNL_X, PNL_XT;                         \
	MOVQ   PNL_COLS, PNL_K;                       \
	SHRQ   $2, PNL_K;                             \
	JZ     L2;                             \
                                                      \
L4:                                            \
	VBROADCASTSS (PNL_XT), Y8;                    \
	VBROADCASTSS 4(PNL_XT), Y9;                   \
	VFMADD231PS  (PNL_P0), Y8, Y0;                \ // acc[k][0:8] += col[j][0:8] * x[j]
	VFMADD231PS  32(PNL_P0), Y8, Y1;              \ // acc[k][8:16] += col[j][8:16] * x[j]
	VFMADD231PS  (PNL_P1), Y8, Y4;                \ // acc[k+1] …
	VFMADD231PS  32(PNL_P1), Y8, Y5;              \
	VFMADD231PS  (PNL_P0)(PNL_CS*1), Y9, Y2;      \ // odd phase: column j+1
	VFMADD231PS  32(PNL_P0)(PNL_CS*1), Y9, Y3;    \
	VFMADD231PS  (PNL_P1)(PNL_CS*1), Y9, Y6;      \
	VFMADD231PS  32(PNL_P1)(PNL_CS*1), Y9, Y7;    \
	VBROADCASTSS 8(PNL_XT), Y10;                  \
	VBROADCASTSS 12(PNL_XT), Y11;                 \
	VFMADD231PS  (PNL_P0)(PNL_CS*2), Y10, Y0;     \ // column j+2
	VFMADD231PS  32(PNL_P0)(PNL_CS*2), Y10, Y1;   \
	VFMADD231PS  (PNL_P1)(PNL_CS*2), Y10, Y4;     \
	VFMADD231PS  32(PNL_P1)(PNL_CS*2), Y10, Y5;   \
	VFMADD231PS  (PNL_P0)(PNL_CS3*1), Y11, Y2;    \ // column j+3
	VFMADD231PS  32(PNL_P0)(PNL_CS3*1), Y11, Y3;  \
	VFMADD231PS  (PNL_P1)(PNL_CS3*1), Y11, Y6;    \
	VFMADD231PS  32(PNL_P1)(PNL_CS3*1), Y11, Y7;  \
	ADDQ         $16, PNL_XT;                     \
	LEAQ         (PNL_P0)(PNL_CS*4), PNL_P0;      \
	LEAQ         (PNL_P1)(PNL_CS*4), PNL_P1;      \
	DECQ         PNL_K;                           \
	JNZ          L4;                       \
                                                      \
L2:                                            \
	TESTQ        $2, PNL_COLS;                    \
	JZ           L1;                       \
	VBROADCASTSS (PNL_XT), Y8;                    \
	VBROADCASTSS 4(PNL_XT), Y9;                   \
	VFMADD231PS  (PNL_P0), Y8, Y0;                \
	VFMADD231PS  32(PNL_P0), Y8, Y1;              \
	VFMADD231PS  (PNL_P1), Y8, Y4;                \
	VFMADD231PS  32(PNL_P1), Y8, Y5;              \
	VFMADD231PS  (PNL_P0)(PNL_CS*1), Y9, Y2;      \
	VFMADD231PS  32(PNL_P0)(PNL_CS*1), Y9, Y3;    \
	VFMADD231PS  (PNL_P1)(PNL_CS*1), Y9, Y6;      \
	VFMADD231PS  32(PNL_P1)(PNL_CS*1), Y9, Y7;    \
	ADDQ         $8, PNL_XT;                      \
	LEAQ         (PNL_P0)(PNL_CS*2), PNL_P0;      \
	LEAQ         (PNL_P1)(PNL_CS*2), PNL_P1;      \
                                                      \
L1:                                            \
	TESTQ        $1, PNL_COLS;                    \
	JZ           LS;                         \
	VBROADCASTSS (PNL_XT), Y8;                    \
	VFMADD231PS  (PNL_P0), Y8, Y0;                \
	VFMADD231PS  32(PNL_P0), Y8, Y1;              \
	VFMADD231PS  (PNL_P1), Y8, Y4;                \
	VFMADD231PS  32(PNL_P1), Y8, Y5;              \
                                                      \
LS:                                              \
	VADDPS Y2, Y0, Y0;                            \ // even + odd phases
	VADDPS Y3, Y1, Y1;                            \
	VADDPS Y6, Y4, Y4;                            \
	VADDPS Y7, Y5, Y5

// PANEL2_AVX2 is PANEL2L_AVX2 with the labels of PANELS_AVX2.
#define PANEL2_AVX2 PANEL2L_AVX2(pnl2cols4, pnl2cols2, pnl2cols1, pnl2sum)

// PANEL1_AVX2 sets Y0:Y1 to the sums of the block at PNL_A.
#define PANEL1_AVX2 \
	PNL_ZERO_AVX2;                              \
	MOVQ   PNL_A, PNL_P0;                       \
	LEAQ   (PNL_CS)(PNL_CS*2), PNL_CS3;         \
	MOVQ   PNL_X, PNL_XT;                       \
	MOVQ   PNL_COLS, PNL_K;                     \
	SHRQ   $2, PNL_K;                           \
	JZ     pnl1tail;                            \
                                                    \
pnl1cols4:                                          \
	VBROADCASTSS (PNL_XT), Y8;                  \
	VBROADCASTSS 4(PNL_XT), Y9;                 \
	VBROADCASTSS 8(PNL_XT), Y10;                \
	VBROADCASTSS 12(PNL_XT), Y11;               \
	VFMADD231PS  (PNL_P0), Y8, Y0;              \ // acc[0:8] += col[j][0:8] * x[j]
	VFMADD231PS  32(PNL_P0), Y8, Y1;            \ // acc[8:16] += col[j][8:16] * x[j]
	VFMADD231PS  (PNL_P0)(PNL_CS*1), Y9, Y2;    \ // column j+1
	VFMADD231PS  32(PNL_P0)(PNL_CS*1), Y9, Y3;  \
	VFMADD231PS  (PNL_P0)(PNL_CS*2), Y10, Y4;   \ // column j+2
	VFMADD231PS  32(PNL_P0)(PNL_CS*2), Y10, Y5; \
	VFMADD231PS  (PNL_P0)(PNL_CS3*1), Y11, Y6;  \ // column j+3
	VFMADD231PS  32(PNL_P0)(PNL_CS3*1), Y11, Y7; \
	ADDQ         $16, PNL_XT;                   \
	LEAQ         (PNL_P0)(PNL_CS*4), PNL_P0;    \
	DECQ         PNL_K;                         \
	JNZ          pnl1cols4;                     \
                                                    \
pnl1tail:                                           \
	MOVQ PNL_COLS, PNL_K;                       \
	ANDQ $3, PNL_K;                             \
	JZ   pnl1sum;                               \
                                                    \
pnl1cols1:                                          \
	VBROADCASTSS (PNL_XT), Y8;                  \
	VFMADD231PS  (PNL_P0), Y8, Y0;              \
	VFMADD231PS  32(PNL_P0), Y8, Y1;            \
	ADDQ         $4, PNL_XT;                    \
	ADDQ         PNL_CS, PNL_P0;                \
	DECQ         PNL_K;                         \
	JNZ          pnl1cols1;                     \
                                                    \
pnl1sum:                                            \
	VADDPS Y2, Y0, Y0;                          \ // sum the four phases
	VADDPS Y6, Y4, Y4;                          \
	VADDPS Y4, Y0, Y0;                          \
	VADDPS Y3, Y1, Y1;                          \
	VADDPS Y7, Y5, Y5;                          \
	VADDPS Y5, Y1, Y1

// PANEL8_AVX2 sets Y0 to the sums of the panel of at most 8 rows at PNL_A
// (columns 32 bytes apart), four column phases in Y0, Y2, Y4, Y6, and
// clears Y1.
#define PANEL8_AVX2 \
	PNL_ZERO_AVX2;                   \
	MOVQ   PNL_A, PNL_P0;            \
	MOVQ   PNL_X, PNL_XT;            \
	MOVQ   PNL_COLS, PNL_K;          \
	SHRQ   $2, PNL_K;                \
	JZ     pnl8tail;                 \
                                         \
pnl8cols4:                               \
	VBROADCASTSS (PNL_XT), Y8;       \
	VBROADCASTSS 4(PNL_XT), Y9;      \
	VBROADCASTSS 8(PNL_XT), Y10;     \
	VBROADCASTSS 12(PNL_XT), Y11;    \
	VFMADD231PS  (PNL_P0), Y8, Y0;   \ // acc[0:8] += col[j] * x[j]
	VFMADD231PS  32(PNL_P0), Y9, Y2; \ // column j+1
	VFMADD231PS  64(PNL_P0), Y10, Y4; \ // column j+2
	VFMADD231PS  96(PNL_P0), Y11, Y6; \ // column j+3
	ADDQ         $16, PNL_XT;        \
	ADDQ         $128, PNL_P0;       \
	DECQ         PNL_K;              \
	JNZ          pnl8cols4;          \
                                         \
pnl8tail:                                \
	MOVQ PNL_COLS, PNL_K;            \
	ANDQ $3, PNL_K;                  \
	JZ   pnl8sum;                    \
                                         \
pnl8cols1:                               \
	VBROADCASTSS (PNL_XT), Y8;       \
	VFMADD231PS  (PNL_P0), Y8, Y0;   \
	ADDQ         $4, PNL_XT;         \
	ADDQ         $32, PNL_P0;        \
	DECQ         PNL_K;              \
	JNZ          pnl8cols1;          \
                                         \
pnl8sum:                                 \
	VADDPS Y2, Y0, Y0;               \ // sum the four phases
	VADDPS Y6, Y4, Y4;               \
	VADDPS Y4, Y0, Y0

#endif
