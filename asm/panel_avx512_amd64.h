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
// The layout is that of doc.go, for one run of panels of one height h (8,
// 16, 32, 64 or 128 rows): row i lies in panel p = i/h at a[p*stride:], and
// column j of a panel is the h floats at h*j in it, h/16 ZMM registers.
// For each column, x[j] is broadcast and multiplied into the accumulators
// of a whole panel, so no horizontal sums are needed. The geometry (see
// kernels.Geometry, and the geom argument in stubs_amd64.go) picks the
// loop:
//
//	h = 16, 4 streams   four panels (64 rows) at a time, even and odd columns
//	                    in separate accumulators: each broadcast feeds four
//	                    FMAs from four streams; leftover panels one at a time
//	h = 16, 32, 64, 128 one panel at a time, one sequential stream: a column
//	                    step covers 128/h columns (8 accumulators) or 256/h
//	                    (16), each in its own registers, so that 8 or 16 FMA
//	                    chains hide the FMA latency; optionally prefetching
//	                    the weights pnlpf bytes ahead
//	h = 8               a panel of at most 8 rows, in YMM registers, four
//	                    column phases
//
// Only panels of 8 or 16 rows may be partial (their rows past len(y) are
// padding, which the product reads and the epilogue never stores).
//
// The routine loads PNL_ROWS = len(y), PNL_A = &a[0], PNL_STRIDE = stride
// (in floats), PNL_X = &x[0], PNL_COLS = len(x), AX = geom, then expands
//
//	PANELS_AVX512(EPI4, EPI1, EPIK)
//
// once (its labels are pnl…); it needs a frame of 24 bytes (pnlv, pnln,
// pnlpf). The epilogues are macros that find the sums of the rows at byte
// offset PNL_ROFF (= 4*i) of y:
//
//	EPI4  rows i..i+64 in Z0–Z3, sixteen to a register; must keep Z4–Z7
//	EPI1  rows i..i+16 in Z0; must keep Z1
//	EPIK  the last rows, fewer than 16, in the low lanes of Z0, selected by K1
//	      (the other lanes are padding rows: never store them)
//
// They may use AX, CX, DI, R15, PNL_AP, PNL_XP, PNL_J, Z8–Z31 and K1–K7,
// and must keep the other registers named below.

#ifndef PANEL_AVX512_AMD64_H
#define PANEL_AVX512_AMD64_H

#define PNL_ROFF    R9  // byte offset of the current rows in y: 4*i
#define PNL_ROWS    BX  // rows left, counting those the epilogue finishes
#define PNL_A       SI  // start of the current panel
#define PNL_STRIDE  DX  // panel stride in bytes
#define PNL_STRIDE3 R10 // 3*stride in bytes, in the four-stream loop
#define PNL_PF      R10 // the prefetch distance in bytes, in the one-stream loops
#define PNL_X       R8  // &x[0]
#define PNL_COLS    R11 // len(x)
#define PNL_AP      R12 // walks the columns of the current panels
#define PNL_XP      R13 // walks x
#define PNL_J       R14 // column steps left
// Z16–Z23 hold the broadcasts of x during a product. The frame holds the
// loop (pnlv), the sums still to finish (pnln) and the prefetch distance
// (pnlpf).

// The loops, as PNL_DECODE numbers them from geom.
#define PNL_V8      0 // 8-row panels
#define PNL_V16     1 // 16 rows, one stream
#define PNL_V16X4   2 // 16 rows, four streams
#define PNL_V32     3 // 32 rows, 8 accumulators (PNL_V32+1: 16)
#define PNL_V64     5 // 64 rows, 8 accumulators (PNL_V64+1: 16)
#define PNL_V128    7 // 128 rows, 8 accumulators (PNL_V128+1: 16)

// PANELS_AVX512 walks y: the panels of the run, each product followed by
// its epilogue, then the partial last panel if any.
#define PANELS_AVX512(EPI4, EPI1, EPIK) \
	SHLQ $2, PNL_STRIDE;                                        \
	XORQ PNL_ROFF, PNL_ROFF;                                    \
	PNL_DECODE;                                                 \
                                                                    \
pnlnext:                                                            \
	TESTQ PNL_ROWS, PNL_ROWS;                                   \
	JZ    pnldone;                                              \
	MOVQ  pnlv-8(SP), AX;                                       \
	CMPQ  AX, $PNL_V64;                                         \
	JEQ   pnlh64;                                               \
	CMPQ  AX, $PNL_V128;                                        \
	JEQ   pnlh128;                                              \
	CMPQ  AX, $PNL_V16X4;                                       \
	JEQ   pnlh16x4;                                             \
	CMPQ  AX, $PNL_V16;                                         \
	JEQ   pnlh16;                                               \
	CMPQ  AX, $PNL_V32;                                         \
	JEQ   pnlh32;                                               \
	CMPQ  AX, $(PNL_V64+1);                                     \
	JEQ   pnlh64a16;                                            \
	CMPQ  AX, $(PNL_V128+1);                                    \
	JEQ   pnlh128a16;                                           \
	CMPQ  AX, $(PNL_V32+1);                                     \
	JEQ   pnlh32a16;                                            \
                                                                    \ // PNL_V8: one panel of at most 8 rows
	PNL_PRODUCT(pnl8loop, pnl8tail, pnl8one, pnl8sum, 2, 32, PNL_ZERO4, PNL_BODY8, PNL_ONE8, PNL_SUM8); \
	JMP pnlpartial;                                             \
                                                                    \
pnlh16x4:                                                           \
	CMPQ PNL_ROWS, $64;                                         \
	JLT  pnlh16;                                                \
	PANEL4_AVX512;                                              \
	MOVQ $4, pnln-16(SP);                                       \
	LEAQ (PNL_A)(PNL_STRIDE*4), PNL_A;                          \ // the next four panels
	JMP  pnlepi;                                                \
                                                                    \
pnlh16:                                                             \
	PNL_PRODUCT(pnl16loop, pnl16tail, pnl16one, pnl16sum, 3, 64, PNL_ZERO8, PNL_BODY16, PNL_ONE16, PNL_SUM16); \
	CMPQ PNL_ROWS, $16;                                         \
	JLT  pnlpartial;                                            \
	MOVQ $1, pnln-16(SP);                                       \
	ADDQ PNL_STRIDE, PNL_A;                                     \
	JMP  pnlepi;                                                \
                                                                    \
pnlh32:                                                             \
	PNL_PRODUCT_PF(pnl32loop, pnl32pf, pnl32tail, pnl32one, pnl32sum, 2, 128, PNL_ZERO8, PNL_BODY32, PNL_PF8, PNL_ONE32, PNL_SUM32); \
	MOVQ $2, pnln-16(SP);                                       \
	ADDQ PNL_STRIDE, PNL_A;                                     \
	JMP  pnlepi;                                                \
                                                                    \
pnlh32a16:                                                          \
	PNL_PRODUCT_PF(pnl32aloop, pnl32apf, pnl32atail, pnl32aone, pnl32asum, 3, 128, PNL_ZERO16, PNL_BODY32A16, PNL_PF16, PNL_ONE32, PNL_SUM32A16); \
	MOVQ $2, pnln-16(SP);                                       \
	ADDQ PNL_STRIDE, PNL_A;                                     \
	JMP  pnlepi;                                                \
                                                                    \
pnlh64:                                                             \
	PNL_PRODUCT_PF(pnl64loop, pnl64pf, pnl64tail, pnl64one, pnl64sum, 1, 256, PNL_ZERO8, PNL_BODY64, PNL_PF8, PNL_ONE64, PNL_SUM64); \
	MOVQ $4, pnln-16(SP);                                       \
	ADDQ PNL_STRIDE, PNL_A;                                     \
	JMP  pnlepi;                                                \
                                                                    \
pnlh64a16:                                                          \
	PNL_PRODUCT_PF(pnl64aloop, pnl64apf, pnl64atail, pnl64aone, pnl64asum, 2, 256, PNL_ZERO16, PNL_BODY64A16, PNL_PF16, PNL_ONE64, PNL_SUM64A16); \
	MOVQ $4, pnln-16(SP);                                       \
	ADDQ PNL_STRIDE, PNL_A;                                     \
	JMP  pnlepi;                                                \
                                                                    \
pnlh128:                                                            \
	PNL_PRODUCT_PF(pnl128loop, pnl128pf, pnl128tail, pnl128one, pnl128sum, 0, 512, PNL_ZERO8, PNL_BODY128, PNL_PF8, PNL_ONE128, PNL_NOTHING); \
	MOVQ $8, pnln-16(SP);                                       \
	ADDQ PNL_STRIDE, PNL_A;                                     \
	JMP  pnlepi;                                                \
                                                                    \
pnlh128a16:                                                         \
	PNL_PRODUCT_PF(pnl128aloop, pnl128apf, pnl128atail, pnl128aone, pnl128asum, 1, 512, PNL_ZERO16, PNL_BODY128A16, PNL_PF16, PNL_ONE128, PNL_SUM128A16); \
	MOVQ $8, pnln-16(SP);                                       \
	ADDQ PNL_STRIDE, PNL_A;                                     \
                                                                    \
pnlepi:                                                             \ // pnln sums of 16 rows in Z0–Z7, four or fewer at a time
	CMPQ pnln-16(SP), $4;                                       \
	JLT  pnlepi1;                                               \
	EPI4;                                                       \
	ADDQ $256, PNL_ROFF;                                        \
	SUBQ $64, PNL_ROWS;                                         \
	SUBQ $4, pnln-16(SP);                                       \
	JZ   pnlnext;                                               \
	VMOVAPS Z4, Z0;                                             \ // the second half of a 128-row panel
	VMOVAPS Z5, Z1;                                             \
	VMOVAPS Z6, Z2;                                             \
	VMOVAPS Z7, Z3;                                             \
	JMP  pnlepi;                                                \
                                                                    \
pnlepi1:                                                            \
	EPI1;                                                       \
	ADDQ $64, PNL_ROFF;                                         \
	SUBQ $16, PNL_ROWS;                                         \
	DECQ pnln-16(SP);                                           \
	JZ   pnlnext;                                               \
	VMOVAPS Z1, Z0;                                             \ // the second half of a 32-row panel
	JMP  pnlepi1;                                               \
                                                                    \
pnlpartial:                                                         \ // the last panel holds fewer than 16 rows of y
	MOVQ PNL_ROWS, CX;                                          \
	MASK(K1);                                                   \ // K1 = the rows left
	EPIK;                                                       \
                                                                    \
pnldone:

// PNL_DECODE stores the loop for geom (in AX) in pnlv and the prefetch
// distance in pnlpf. A height other than 8, 32, 64 and 128 runs the 16-row
// loops; accumulators other than 16 run the 8-accumulator loops.
#define PNL_DECODE \
	MOVQ AX, CX;            \
	SHRQ $20, CX;           \
	MOVQ CX, pnlpf-24(SP);  \ // prefetch distance
	MOVQ AX, CX;            \
	SHRQ $12, CX;           \
	ANDQ $0xff, CX;         \
	CMPQ CX, $16;           \
	MOVQ $0, CX;            \
	JNE  2(PC);             \
	MOVQ $1, CX;            \ // CX = 1 with 16 accumulators
	MOVQ AX, PNL_J;         \
	SHRQ $8, PNL_J;         \
	ANDQ $0xf, PNL_J;       \ // streams
	ANDQ $0xff, AX;         \ // panel height
	CMPQ AX, $32;           \
	JNE  pnld64;            \
	ADDQ $PNL_V32, CX;      \
	JMP  pnldset;           \
                                \
pnld64:                         \
	CMPQ AX, $64;           \
	JNE  pnld128;           \
	ADDQ $PNL_V64, CX;      \
	JMP  pnldset;           \
                                \
pnld128:                        \
	CMPQ AX, $128;          \
	JNE  pnld8;             \
	ADDQ $PNL_V128, CX;     \
	JMP  pnldset;           \
                                \
pnld8:                          \
	MOVQ $PNL_V8, CX;       \
	CMPQ AX, $8;            \
	JEQ  pnldset;           \
	MOVQ $PNL_V16, CX;      \
	CMPQ PNL_J, $4;         \
	JNE  pnldset;           \
	MOVQ $PNL_V16X4, CX;    \
                                \
pnldset:                        \
	MOVQ CX, pnlv-8(SP)

// PNL_PRODUCT sets the accumulators to the sums of the panel at PNL_A,
// columns CS bytes apart, 1<<SHIFT columns per step: ZERO clears them,
// BODY is one step (with PNL_AP at its first column and PNL_XP at its x),
// ONE a single column broadcast from Z16 into the first phase, SUM adds
// the phases into the first. LOOP, TAIL, ONEL and SUML name its labels.
#define PNL_PRODUCT(LOOP, TAIL, ONEL, SUML, SHIFT, CS, ZERO, BODY, ONE, SUM) \
	MOVQ  PNL_A, PNL_AP;              \
	MOVQ  PNL_X, PNL_XP;              \
	ZERO;                             \
	MOVQ  PNL_COLS, PNL_J;            \
	SHRQ  $SHIFT, PNL_J;              \ // whole steps
	TESTQ PNL_J, PNL_J;               \
	JZ    TAIL;                    \
                                          \
LOOP:                                  \
	BODY;                             \
	ADDQ  $((1<<SHIFT)*CS), PNL_AP;   \
	ADDQ  $(4<<SHIFT), PNL_XP;        \
	DECQ  PNL_J;                      \
	JNZ   LOOP;                    \
	PNL_TAIL(TAIL, ONEL, SUML, SHIFT, CS, ONE, SUM)

// PNL_PRODUCT_PF is PNL_PRODUCT with a second copy of the loop that first
// prefetches the step pnlpf bytes ahead (PF), taken when pnlpf is not 0;
// PFL names its label.
#define PNL_PRODUCT_PF(LOOP, PFL, TAIL, ONEL, SUML, SHIFT, CS, ZERO, BODY, PF, ONE, SUM) \
	MOVQ  PNL_A, PNL_AP;              \
	MOVQ  PNL_X, PNL_XP;              \
	ZERO;                             \
	MOVQ  PNL_COLS, PNL_J;            \
	SHRQ  $SHIFT, PNL_J;              \ // whole steps
	TESTQ PNL_J, PNL_J;               \
	JZ    TAIL;                    \
	MOVQ  pnlpf-24(SP), PNL_PF;       \
	TESTQ PNL_PF, PNL_PF;             \
	JNZ   PFL;                      \
                                          \
LOOP:                                  \
	BODY;                             \
	ADDQ  $((1<<SHIFT)*CS), PNL_AP;   \
	ADDQ  $(4<<SHIFT), PNL_XP;        \
	DECQ  PNL_J;                      \
	JNZ   LOOP;                    \
	JMP   TAIL;                    \
                                          \
PFL:                                    \
	PF;                               \
	BODY;                             \
	ADDQ  $((1<<SHIFT)*CS), PNL_AP;   \
	ADDQ  $(4<<SHIFT), PNL_XP;        \
	DECQ  PNL_J;                      \
	JNZ   PFL;                      \
	PNL_TAIL(TAIL, ONEL, SUML, SHIFT, CS, ONE, SUM)

// PNL_TAIL runs the columns left after the whole steps, one at a time,
// then sums the phases.
#define PNL_TAIL(TAIL, ONEL, SUML, SHIFT, CS, ONE, SUM) \
                                          \
TAIL:                                  \
	MOVQ  PNL_COLS, PNL_J;            \
	ANDQ  $((1<<SHIFT)-1), PNL_J;     \
	JZ    SUML;                     \
                                          \
ONEL:                                   \
	VBROADCASTSS (PNL_XP), Z16;       \
	ONE;                              \
	ADDQ  $CS, PNL_AP;                \
	ADDQ  $4, PNL_XP;                 \
	DECQ  PNL_J;                      \
	JNZ   ONEL;                     \
                                          \
SUML:                                   \
	SUM

#define PNL_NOTHING

// One column of a panel, at byte offset off from PNL_AP, times the
// broadcast b, into the accumulators a0…: 16, 32, 64 or 128 rows.
#define PNL_C16(off, b, a0) \
	VFMADD231PS (off)(PNL_AP), b, a0
#define PNL_C32(off, b, a0, a1) \
	PNL_C16(off, b, a0); PNL_C16(off+64, b, a1)
#define PNL_C64(off, b, a0, a1, a2, a3) \
	PNL_C32(off, b, a0, a1); PNL_C32(off+128, b, a2, a3)
#define PNL_C128(off, b, a0, a1, a2, a3, a4, a5, a6, a7) \
	PNL_C64(off, b, a0, a1, a2, a3); PNL_C64(off+256, b, a4, a5, a6, a7)

// Prefetches of one step, 8 or 16 cache lines, pnlpf bytes ahead.
#define PNL_PF8 \
	PREFETCHT0 (PNL_AP)(PNL_PF*1);    \
	PREFETCHT0 64(PNL_AP)(PNL_PF*1);  \
	PREFETCHT0 128(PNL_AP)(PNL_PF*1); \
	PREFETCHT0 192(PNL_AP)(PNL_PF*1); \
	PREFETCHT0 256(PNL_AP)(PNL_PF*1); \
	PREFETCHT0 320(PNL_AP)(PNL_PF*1); \
	PREFETCHT0 384(PNL_AP)(PNL_PF*1); \
	PREFETCHT0 448(PNL_AP)(PNL_PF*1)
#define PNL_PF16 \
	PNL_PF8;                          \
	PREFETCHT0 512(PNL_AP)(PNL_PF*1); \
	PREFETCHT0 576(PNL_AP)(PNL_PF*1); \
	PREFETCHT0 640(PNL_AP)(PNL_PF*1); \
	PREFETCHT0 704(PNL_AP)(PNL_PF*1); \
	PREFETCHT0 768(PNL_AP)(PNL_PF*1); \
	PREFETCHT0 832(PNL_AP)(PNL_PF*1); \
	PREFETCHT0 896(PNL_AP)(PNL_PF*1); \
	PREFETCHT0 960(PNL_AP)(PNL_PF*1)

// Broadcasts of x for a step of 1, 2, 4 or 8 columns.
#define PNL_X2 \
	VBROADCASTSS (PNL_XP), Z16;  \
	VBROADCASTSS 4(PNL_XP), Z17
#define PNL_X4 \
	PNL_X2;                      \
	VBROADCASTSS 8(PNL_XP), Z18; \
	VBROADCASTSS 12(PNL_XP), Z19
#define PNL_X8 \
	PNL_X4;                       \
	VBROADCASTSS 16(PNL_XP), Z20; \
	VBROADCASTSS 20(PNL_XP), Z21; \
	VBROADCASTSS 24(PNL_XP), Z22; \
	VBROADCASTSS 28(PNL_XP), Z23

#define PNL_ZERO4 \
	VXORPS Z0, Z0, Z0; \
	VXORPS Z1, Z1, Z1; \
	VXORPS Z2, Z2, Z2; \
	VXORPS Z3, Z3, Z3
#define PNL_ZERO8 \
	PNL_ZERO4;         \
	VXORPS Z4, Z4, Z4; \
	VXORPS Z5, Z5, Z5; \
	VXORPS Z6, Z6, Z6; \
	VXORPS Z7, Z7, Z7
#define PNL_ZERO16 \
	PNL_ZERO8;            \
	VXORPS Z8, Z8, Z8;    \
	VXORPS Z9, Z9, Z9;    \
	VXORPS Z10, Z10, Z10; \
	VXORPS Z11, Z11, Z11; \
	VXORPS Z12, Z12, Z12; \
	VXORPS Z13, Z13, Z13; \
	VXORPS Z14, Z14, Z14; \
	VXORPS Z15, Z15, Z15

// 8 rows, four column phases in Y0–Y3 (the upper halves of Z0–Z3 stay
// zero), 32 bytes a column.
#define PNL_BODY8 \
	VBROADCASTSS (PNL_XP), Y16;    \
	VBROADCASTSS 4(PNL_XP), Y17;   \
	VBROADCASTSS 8(PNL_XP), Y18;   \
	VBROADCASTSS 12(PNL_XP), Y19;  \
	VFMADD231PS  (PNL_AP), Y16, Y0; \
	VFMADD231PS  32(PNL_AP), Y17, Y1; \
	VFMADD231PS  64(PNL_AP), Y18, Y2; \
	VFMADD231PS  96(PNL_AP), Y19, Y3
#define PNL_ONE8 \
	VFMADD231PS (PNL_AP), Y16, Y0
#define PNL_SUM8 \
	VADDPS Y1, Y0, Y0; \
	VADDPS Y3, Y2, Y2; \
	VADDPS Y2, Y0, Y0

// 16 rows, eight column phases in Z0–Z7.
#define PNL_BODY16 \
	PNL_X8;                 \
	PNL_C16(0, Z16, Z0);    \
	PNL_C16(64, Z17, Z1);   \
	PNL_C16(128, Z18, Z2);  \
	PNL_C16(192, Z19, Z3);  \
	PNL_C16(256, Z20, Z4);  \
	PNL_C16(320, Z21, Z5);  \
	PNL_C16(384, Z22, Z6);  \
	PNL_C16(448, Z23, Z7)
#define PNL_ONE16 \
	PNL_C16(0, Z16, Z0)
#define PNL_SUM16 \
	VADDPS Z1, Z0, Z0; \
	VADDPS Z3, Z2, Z2; \
	VADDPS Z5, Z4, Z4; \
	VADDPS Z7, Z6, Z6; \
	VADDPS Z2, Z0, Z0; \
	VADDPS Z6, Z4, Z4; \
	VADDPS Z4, Z0, Z0

// 32 rows: four phases in Z0:Z1, Z2:Z3, Z4:Z5, Z6:Z7, or eight in Z0–Z15.
#define PNL_BODY32 \
	PNL_X4;                        \
	PNL_C32(0, Z16, Z0, Z1);       \
	PNL_C32(128, Z17, Z2, Z3);     \
	PNL_C32(256, Z18, Z4, Z5);     \
	PNL_C32(384, Z19, Z6, Z7)
#define PNL_BODY32A16 \
	PNL_X8;                        \
	PNL_C32(0, Z16, Z0, Z1);       \
	PNL_C32(128, Z17, Z2, Z3);     \
	PNL_C32(256, Z18, Z4, Z5);     \
	PNL_C32(384, Z19, Z6, Z7);     \
	PNL_C32(512, Z20, Z8, Z9);     \
	PNL_C32(640, Z21, Z10, Z11);   \
	PNL_C32(768, Z22, Z12, Z13);   \
	PNL_C32(896, Z23, Z14, Z15)
#define PNL_ONE32 \
	PNL_C32(0, Z16, Z0, Z1)
#define PNL_SUM32 \
	VADDPS Z2, Z0, Z0; \
	VADDPS Z3, Z1, Z1; \
	VADDPS Z6, Z4, Z4; \
	VADDPS Z7, Z5, Z5; \
	VADDPS Z4, Z0, Z0; \
	VADDPS Z5, Z1, Z1
#define PNL_SUM32A16 \
	VADDPS Z10, Z8, Z8;   \
	VADDPS Z11, Z9, Z9;   \
	VADDPS Z14, Z12, Z12; \
	VADDPS Z15, Z13, Z13; \
	VADDPS Z12, Z8, Z8;   \
	VADDPS Z13, Z9, Z9;   \
	PNL_SUM32;            \
	VADDPS Z8, Z0, Z0;    \
	VADDPS Z9, Z1, Z1

// 64 rows: two phases in Z0–Z3 and Z4–Z7, or four in Z0–Z15.
#define PNL_BODY64 \
	PNL_X2;                             \
	PNL_C64(0, Z16, Z0, Z1, Z2, Z3);    \
	PNL_C64(256, Z17, Z4, Z5, Z6, Z7)
#define PNL_BODY64A16 \
	PNL_X4;                               \
	PNL_C64(0, Z16, Z0, Z1, Z2, Z3);      \
	PNL_C64(256, Z17, Z4, Z5, Z6, Z7);    \
	PNL_C64(512, Z18, Z8, Z9, Z10, Z11);  \
	PNL_C64(768, Z19, Z12, Z13, Z14, Z15)
#define PNL_ONE64 \
	PNL_C64(0, Z16, Z0, Z1, Z2, Z3)
#define PNL_SUM64 \
	VADDPS Z4, Z0, Z0; \
	VADDPS Z5, Z1, Z1; \
	VADDPS Z6, Z2, Z2; \
	VADDPS Z7, Z3, Z3
#define PNL_SUM64A16 \
	VADDPS Z12, Z8, Z8;   \
	VADDPS Z13, Z9, Z9;   \
	VADDPS Z14, Z10, Z10; \
	VADDPS Z15, Z11, Z11; \
	PNL_SUM64;            \
	VADDPS Z8, Z0, Z0;    \
	VADDPS Z9, Z1, Z1;    \
	VADDPS Z10, Z2, Z2;   \
	VADDPS Z11, Z3, Z3

// 128 rows: one phase in Z0–Z7, or two in Z0–Z15.
#define PNL_BODY128 \
	VBROADCASTSS (PNL_XP), Z16; \
	PNL_C128(0, Z16, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
#define PNL_BODY128A16 \
	PNL_X2;                                                \
	PNL_C128(0, Z16, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7);      \
	PNL_C128(512, Z17, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
#define PNL_ONE128 \
	PNL_C128(0, Z16, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
#define PNL_SUM128A16 \
	VADDPS Z8, Z0, Z0;   \
	VADDPS Z9, Z1, Z1;   \
	VADDPS Z10, Z2, Z2;  \
	VADDPS Z11, Z3, Z3;  \
	VADDPS Z12, Z4, Z4;  \
	VADDPS Z13, Z5, Z5;  \
	VADDPS Z14, Z6, Z6;  \
	VADDPS Z15, Z7, Z7

// PANEL4_AVX512 sets Z0–Z3 to the sums of the four 16-row panels at PNL_A.
#define PANEL4_AVX512 \
	LEAQ   (PNL_STRIDE)(PNL_STRIDE*2), PNL_STRIDE3;  \
	MOVQ   PNL_A, PNL_AP;                            \
	MOVQ   PNL_X, PNL_XP;                            \
	MOVQ   PNL_COLS, PNL_J;                          \
	SHRQ   $1, PNL_J;                                \ // column pairs
	PNL_ZERO8;                                       \
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

#endif
