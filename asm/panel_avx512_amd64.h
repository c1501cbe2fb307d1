// The packed panel product y = P·x for AVX-512, written once for every
// routine that multiplies a packed matrix by one vector: the plain product
// (GemvPanelsAVX512, gemv_avx512_amd64.s) and the fused recurrent step
// (StepPanelsAVX512, step_avx512_amd64.s). A routine supplies only its
// epilogue: what happens to each sixteen-row sum while it is still in a
// register.
//
//	#include "avx512_amd64.h"
//	#include "panel_avx512_amd64.h"
//
// The layout is that of doc.go: row i lies in panel p = i/16 at
// a[p*stride:], and column j of a panel is the 16 floats at 16*j in it, one
// ZMM register. For each column, x[j] is broadcast and multiplied into the
// accumulators of whole panels, so no horizontal sums are needed. Four
// panels (64 rows) at a time, with even and odd columns in separate
// accumulators: eight independent FMA chains hide the FMA latency, and each
// broadcast feeds four FMAs. Leftover panels go one at a time with eight
// column phases. Requires AVX512F.
//
// The routine loads PNL_ROWS = len(y), PNL_A = &a[0], PNL_STRIDE = stride
// (in floats), PNL_X = &x[0], PNL_COLS = len(x), then expands
//
//	PANELS_AVX512(EPI4, EPI1, EPIK)
//
// once (its labels are pnl…). The epilogues are macros that find the sums
// of the rows at byte offset PNL_ROFF (= 4*i) of y:
//
//	EPI4  rows i..i+64 in Z0–Z3, sixteen to a register
//	EPI1  rows i..i+16 in Z0
//	EPIK  the last len(y)%16 rows in the low lanes of Z0, selected by K1
//	      (the other lanes are padding rows: never store them)
//
// They may use AX, CX, DI, R15, Z0–Z15, Z24–Z31 and K1–K7, and must keep
// the registers named below.

#ifndef PANEL_AVX512_AMD64_H
#define PANEL_AVX512_AMD64_H

#define PNL_ROFF    R9  // byte offset of the current rows in y: 4*i
#define PNL_ROWS    BX  // rows left, counting those the epilogue finishes
#define PNL_A       SI  // start of the current panel
#define PNL_STRIDE  DX  // panel stride in bytes
#define PNL_STRIDE3 R10 // 3*stride in bytes
#define PNL_X       R8  // &x[0]
#define PNL_COLS    R11 // len(x)
#define PNL_AP      R12 // walks the columns of the current panels
#define PNL_XP      R13 // walks x
#define PNL_J       R14 // columns (or column pairs) left
// Z16–Z23 hold the broadcasts of x during a product.

// PANELS_AVX512 walks y: groups of four panels while 64 rows are left,
// then single panels, then the partial last one, each product followed by
// its epilogue.
#define PANELS_AVX512(EPI4, EPI1, EPIK) \
	SHLQ $2, PNL_STRIDE;                          \
	LEAQ (PNL_STRIDE)(PNL_STRIDE*2), PNL_STRIDE3; \
	XORQ PNL_ROFF, PNL_ROFF;                      \
                                                      \
pnlgroup4:                                            \
	CMPQ PNL_ROWS, $64;                           \
	JLT  pnlgroup1;                               \
	PANEL4_AVX512;                                \
	EPI4;                                         \
	ADDQ $256, PNL_ROFF;                          \
	SUBQ $64, PNL_ROWS;                           \
	LEAQ (PNL_A)(PNL_STRIDE*4), PNL_A;            \ // the next four panels
	JMP  pnlgroup4;                               \
                                                      \
pnlgroup1:                                            \
	TESTQ PNL_ROWS, PNL_ROWS;                     \
	JZ    pnldone;                                \
	PANEL1_AVX512;                                \
	CMPQ  PNL_ROWS, $16;                          \
	JLT   pnlpartial;                             \
	EPI1;                                         \
	ADDQ  $64, PNL_ROFF;                          \
	SUBQ  $16, PNL_ROWS;                          \
	ADDQ  PNL_STRIDE, PNL_A;                      \
	JMP   pnlgroup1;                              \
                                                      \
pnlpartial:                                           \ // the last panel holds fewer than 16 rows of y
	MOVQ PNL_ROWS, CX;                            \
	MASK(K1);                                     \ // K1 = the rows left
	EPIK;                                         \
                                                      \
pnldone:

// PNL_ZERO_AVX512 zeroes the accumulators of a product, Z0–Z7.
#define PNL_ZERO_AVX512 \
	VXORPS Z0, Z0, Z0; \
	VXORPS Z1, Z1, Z1; \
	VXORPS Z2, Z2, Z2; \
	VXORPS Z3, Z3, Z3; \
	VXORPS Z4, Z4, Z4; \
	VXORPS Z5, Z5, Z5; \
	VXORPS Z6, Z6, Z6; \
	VXORPS Z7, Z7, Z7

// PANEL4_AVX512 sets Z0–Z3 to the sums of the four panels at PNL_A.
#define PANEL4_AVX512 \
	MOVQ   PNL_A, PNL_AP;                            \
	MOVQ   PNL_X, PNL_XP;                            \
	MOVQ   PNL_COLS, PNL_J;                          \
	SHRQ   $1, PNL_J;                                \ // column pairs
	PNL_ZERO_AVX512;                                 \
	TESTQ  PNL_J, PNL_J;                             \
	JZ     pnl4odd;                                  \
                                                         \
pnl4loop:                                                \
	VBROADCASTSS (PNL_XP), Z16;                      \ // x[j]
	VBROADCASTSS 4(PNL_XP), Z17;                     \ // x[j+1]
	VFMADD231PS  (PNL_AP), Z16, Z0;                  \ // panel 0, even columns
	VFMADD231PS  (PNL_AP)(PNL_STRIDE*1), Z16, Z1;    \ // panel 1
	VFMADD231PS  (PNL_AP)(PNL_STRIDE*2), Z16, Z2;    \ // panel 2
	VFMADD231PS  (PNL_AP)(PNL_STRIDE3*1), Z16, Z3;   \ // panel 3
	VFMADD231PS  64(PNL_AP), Z17, Z4;                \ // panel 0, odd columns
	VFMADD231PS  64(PNL_AP)(PNL_STRIDE*1), Z17, Z5;  \
	VFMADD231PS  64(PNL_AP)(PNL_STRIDE*2), Z17, Z6;  \
	VFMADD231PS  64(PNL_AP)(PNL_STRIDE3*1), Z17, Z7; \
	ADDQ         $128, PNL_AP;                       \
	ADDQ         $8, PNL_XP;                         \
	DECQ         PNL_J;                              \
	JNZ          pnl4loop;                           \
                                                         \
pnl4odd:                                                 \
	TESTQ        $1, PNL_COLS;                       \
	JZ           pnl4sum;                            \
	VBROADCASTSS (PNL_XP), Z16;                      \ // the last column
	VFMADD231PS  (PNL_AP), Z16, Z0;                  \
	VFMADD231PS  (PNL_AP)(PNL_STRIDE*1), Z16, Z1;    \
	VFMADD231PS  (PNL_AP)(PNL_STRIDE*2), Z16, Z2;    \
	VFMADD231PS  (PNL_AP)(PNL_STRIDE3*1), Z16, Z3;   \
                                                         \
pnl4sum:                                                 \
	VADDPS Z4, Z0, Z0;                               \ // even + odd columns
	VADDPS Z5, Z1, Z1;                               \
	VADDPS Z6, Z2, Z2;                               \
	VADDPS Z7, Z3, Z3

// PANEL1_AVX512 sets Z0 to the sums of the panel at PNL_A.
#define PANEL1_AVX512 \
	MOVQ   PNL_A, PNL_AP;              \
	MOVQ   PNL_X, PNL_XP;              \
	MOVQ   PNL_COLS, PNL_J;            \
	PNL_ZERO_AVX512;                   \
                                           \
pnl1cols8:                                 \
	CMPQ PNL_J, $8;                    \
	JLT  pnl1cols1;                    \
	VBROADCASTSS (PNL_XP), Z16;        \
	VBROADCASTSS 4(PNL_XP), Z17;       \
	VBROADCASTSS 8(PNL_XP), Z18;       \
	VBROADCASTSS 12(PNL_XP), Z19;      \
	VBROADCASTSS 16(PNL_XP), Z20;      \
	VBROADCASTSS 20(PNL_XP), Z21;      \
	VBROADCASTSS 24(PNL_XP), Z22;      \
	VBROADCASTSS 28(PNL_XP), Z23;      \
	VFMADD231PS  (PNL_AP), Z16, Z0;    \ // acc[j%8] += col j * x[j]
	VFMADD231PS  64(PNL_AP), Z17, Z1;  \
	VFMADD231PS  128(PNL_AP), Z18, Z2; \
	VFMADD231PS  192(PNL_AP), Z19, Z3; \
	VFMADD231PS  256(PNL_AP), Z20, Z4; \
	VFMADD231PS  320(PNL_AP), Z21, Z5; \
	VFMADD231PS  384(PNL_AP), Z22, Z6; \
	VFMADD231PS  448(PNL_AP), Z23, Z7; \
	ADDQ         $512, PNL_AP;         \
	ADDQ         $32, PNL_XP;          \
	SUBQ         $8, PNL_J;            \
	JMP          pnl1cols8;            \
                                           \
pnl1cols1:                                 \
	TESTQ PNL_J, PNL_J;                \
	JZ    pnl1sum;                     \
	VBROADCASTSS (PNL_XP), Z16;        \
	VFMADD231PS  (PNL_AP), Z16, Z0;    \
	ADDQ         $64, PNL_AP;          \
	ADDQ         $4, PNL_XP;           \
	DECQ         PNL_J;                \
	JMP          pnl1cols1;            \
                                           \
pnl1sum:                                   \
	VADDPS Z1, Z0, Z0;                 \ // sum the eight phases
	VADDPS Z3, Z2, Z2;                 \
	VADDPS Z5, Z4, Z4;                 \
	VADDPS Z7, Z6, Z6;                 \
	VADDPS Z2, Z0, Z0;                 \
	VADDPS Z6, Z4, Z4;                 \
	VADDPS Z4, Z0, Z0

#endif
