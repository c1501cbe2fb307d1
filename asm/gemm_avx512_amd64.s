//go:build gc && !purego && !noasm

#include "textflag.h"
#include "avx512_amd64.h"

// The batched packed products for AVX-512 (F+DQ+VL), four or two vectors
// at once: GemmPanels4AVX512 and GemmPanels2AVX512 in stubs_amd64.go. Each
// loads a panel column once and multiplies it into the accumulators of
// every vector, so a batch reads the weights once. The layout is that of
// panel_avx512_amd64.h: a run of panels of h = geom&0xff rows (16 with
// (geom>>8)&0xf = 4 streams: four panels at a time), column j of a panel
// the h floats at h*j in it; only panels of 8 or 16 rows may be partial.

// Register roles of both routines.
#define M_Y       DI  // &y[0][i]
#define M_LDY     R8  // ldy in bytes
#define M_LDY3    R9  // 3*ldy in bytes
#define M_ROWS    BX  // rows left to store
#define M_A       SI  // start of the current panel
#define M_STRIDE  DX  // panel stride in bytes
#define M_STRIDE3 R10 // 3*stride in bytes
#define M_X       R11 // &x[0][0]
#define M_LDX     R12 // ldx in bytes
#define M_LDX3    R13 // 3*ldx in bytes
#define M_AP      R14 // walks the columns of the current panels
#define M_XP      R15 // walks the columns of x
#define M_J       AX  // columns (or column steps) left
// The frame holds the panel height (gh), the streams (g4), and for the
// 64-row passes of GemmPanels4AVX512 the column step (gcs) and the passes
// left (gpass).

// STORE16 stores the 16 rows in acc to mem, adding mem first when add is set.
#define STORE16(acc, mem) \
	CMPB    add+112(FP), $0; \
	JEQ     2(PC);           \
	VADDPS  mem, acc, acc;   \
	VMOVUPS acc, mem

// STOREK is STORE16 for the rows of a partial panel selected by K1.
#define STOREK(acc, mem) \
	CMPB      add+112(FP), $0; \
	JEQ       3(PC);           \
	VMOVUPS.Z mem, K1, Z24;    \
	VADDPS    Z24, acc, acc;   \
	VMOVUPS   acc, K1, mem

// Broadcasts of x[0..3][j] at byte offset off of the column walker.
#define BX4(off) \
	VBROADCASTSS off(M_XP), Z16;            \
	VBROADCASTSS off(M_XP)(M_LDX*1), Z17;   \
	VBROADCASTSS off(M_XP)(M_LDX*2), Z18;   \
	VBROADCASTSS off(M_XP)(M_LDX3*1), Z19
#define BX2(off) \
	VBROADCASTSS off(M_XP), Z16;            \
	VBROADCASTSS off(M_XP)(M_LDX*1), Z17

// The column register c times the broadcasts of four (two) vectors into
// four (two) accumulators.
#define F4(c, a0, a1, a2, a3) \
	VFMADD231PS c, Z16, a0; \
	VFMADD231PS c, Z17, a1; \
	VFMADD231PS c, Z18, a2; \
	VFMADD231PS c, Z19, a3
#define F2(c, a0, a1) \
	VFMADD231PS c, Z16, a0; \
	VFMADD231PS c, Z17, a1

// Stores of the sums of 16 rows at byte offset off of y, for four (two)
// vectors.
#define S4(off, a0, a1, a2, a3) \
	STORE16(a0, off(M_Y));             \
	STORE16(a1, off(M_Y)(M_LDY*1));    \
	STORE16(a2, off(M_Y)(M_LDY*2));    \
	STORE16(a3, off(M_Y)(M_LDY3*1))
#define S2(off, a0, a1) \
	STORE16(a0, off(M_Y));             \
	STORE16(a1, off(M_Y)(M_LDY*1))
#define SK4(a0, a1, a2, a3) \
	STOREK(a0, (M_Y));                 \
	STOREK(a1, (M_Y)(M_LDY*1));        \
	STOREK(a2, (M_Y)(M_LDY*2));        \
	STOREK(a3, (M_Y)(M_LDY3*1))
#define SK2(a0, a1) \
	STOREK(a0, (M_Y));                 \
	STOREK(a1, (M_Y)(M_LDY*1))

#define ZERO8 \
	VXORPS Z0, Z0, Z0; \
	VXORPS Z1, Z1, Z1; \
	VXORPS Z2, Z2, Z2; \
	VXORPS Z3, Z3, Z3; \
	VXORPS Z4, Z4, Z4; \
	VXORPS Z5, Z5, Z5; \
	VXORPS Z6, Z6, Z6; \
	VXORPS Z7, Z7, Z7
#define ZERO16 \
	ZERO8;                \
	VXORPS Z8, Z8, Z8;    \
	VXORPS Z9, Z9, Z9;    \
	VXORPS Z10, Z10, Z10; \
	VXORPS Z11, Z11, Z11; \
	VXORPS Z12, Z12, Z12; \
	VXORPS Z13, Z13, Z13; \
	VXORPS Z14, Z14, Z14; \
	VXORPS Z15, Z15, Z15

// GEMM_START loads the arguments common to both routines and stores the
// panel height and the four-stream flag in the frame.
#define GEMM_START \
	MOVQ y_base+0(FP), M_Y;                \
	MOVQ ldy+24(FP), M_LDY;                \
	SHLQ $2, M_LDY;                        \
	LEAQ (M_LDY)(M_LDY*2), M_LDY3;         \
	MOVQ rows+32(FP), M_ROWS;              \
	MOVQ a_base+40(FP), M_A;               \
	MOVQ stride+64(FP), M_STRIDE;          \
	SHLQ $2, M_STRIDE;                     \
	LEAQ (M_STRIDE)(M_STRIDE*2), M_STRIDE3; \
	MOVQ x_base+72(FP), M_X;               \
	MOVQ ldx+96(FP), M_LDX;                \
	SHLQ $2, M_LDX;                        \
	LEAQ (M_LDX)(M_LDX*2), M_LDX3;         \
	MOVQ geom+120(FP), AX;                 \
	MOVQ AX, CX;                           \
	ANDQ $0xff, CX;                        \
	MOVQ CX, gh-8(SP);                     \ // panel height
	SHRQ $8, AX;                           \
	ANDQ $0xf, AX;                         \
	MOVQ AX, g4-16(SP);                    \ // streams
	MOVQ M_ROWS, CX;                       \
	ANDQ $15, CX;                          \
	MASK(K1)                                 // K1: the rows of a partial panel

// func GemmPanels4AVX512(y []float32, ldy int, rows int, a []float32, stride int, x []float32, ldx int, cols int, add bool, geom int)
// Requires: AVX512F, AVX512DQ, AVX512VL
//
// Four products at once, y[b*ldy:][:rows] (+)= P·x[b*ldx:][:cols] for
// b < 4. The accumulators: four 16-row panels × four vectors (four
// streams), one panel × four vectors × two column phases (16 rows, and
// 8 in YMM), two 32-row panels or one 64-row panel × four vectors (a last
// single 32-row panel: eight accumulators), and 128-row panels as two
// 64-row halves, each a pass over the columns.
TEXT ·GemmPanels4AVX512(SB), NOSPLIT, $32-128
	GEMM_START

g4next:
	TESTQ M_ROWS, M_ROWS
	JZ    g4done
	MOVQ  gh-8(SP), CX
	CMPQ  CX, $64
	JEQ   g4h64
	CMPQ  CX, $128
	JEQ   g4h128
	CMPQ  CX, $32
	JEQ   g4h32
	CMPQ  CX, $8
	JEQ   g4h8
	CMPQ  g4-16(SP), $4
	JNE   g4h16
	CMPQ  M_ROWS, $64
	JLT   g4h16

	// Four 16-row panels × four vectors, sixteen accumulators.
	MOVQ   M_A, M_AP
	MOVQ   M_X, M_XP
	MOVQ   cols+104(FP), M_J
	ZERO16
	TESTQ  M_J, M_J
	JZ     g4x4store

g4x4loop:
	BX4(0)
	VMOVUPS (M_AP), Z20                      // panel 0, column j
	VMOVUPS (M_AP)(M_STRIDE*1), Z21          // panel 1
	VMOVUPS (M_AP)(M_STRIDE*2), Z22          // panel 2
	VMOVUPS (M_AP)(M_STRIDE3*1), Z23         // panel 3
	F4(Z20, Z0, Z1, Z2, Z3)                  // acc[panel 0][x 0..3]
	F4(Z21, Z4, Z5, Z6, Z7)
	F4(Z22, Z8, Z9, Z10, Z11)
	F4(Z23, Z12, Z13, Z14, Z15)
	ADDQ    $64, M_AP
	ADDQ    $4, M_XP
	DECQ    M_J
	JNZ     g4x4loop

g4x4store:
	S4(0, Z0, Z1, Z2, Z3)
	S4(64, Z4, Z5, Z6, Z7)
	S4(128, Z8, Z9, Z10, Z11)
	S4(192, Z12, Z13, Z14, Z15)
	ADDQ $256, M_Y
	LEAQ (M_A)(M_STRIDE*4), M_A
	SUBQ $64, M_ROWS
	JMP  g4next

g4h16:
	// One 16-row panel × four vectors × two column phases.
	MOVQ  M_A, M_AP
	MOVQ  M_X, M_XP
	MOVQ  cols+104(FP), M_J
	ZERO8
	SHRQ  $1, M_J                            // column pairs
	JZ    g4h16odd

g4h16loop:
	VMOVUPS (M_AP), Z20                      // column j
	VMOVUPS 64(M_AP), Z21                    // column j+1
	BX4(0)
	F4(Z20, Z0, Z1, Z2, Z3)
	BX4(4)
	F4(Z21, Z4, Z5, Z6, Z7)
	ADDQ    $128, M_AP
	ADDQ    $8, M_XP
	DECQ    M_J
	JNZ     g4h16loop

g4h16odd:
	TESTQ   $1, cols+104(FP)
	JZ      g4h16sum
	VMOVUPS (M_AP), Z20
	BX4(0)
	F4(Z20, Z0, Z1, Z2, Z3)

g4h16sum:
	VADDPS Z4, Z0, Z0
	VADDPS Z5, Z1, Z1
	VADDPS Z6, Z2, Z2
	VADDPS Z7, Z3, Z3
	CMPQ   M_ROWS, $16
	JLT    g4partial
	S4(0, Z0, Z1, Z2, Z3)
	ADDQ   $64, M_Y
	ADDQ   M_STRIDE, M_A
	SUBQ   $16, M_ROWS
	JMP    g4next

g4h8:
	// A panel of at most 8 rows, YMM columns, four vectors × two phases.
	MOVQ  M_A, M_AP
	MOVQ  M_X, M_XP
	MOVQ  cols+104(FP), M_J
	ZERO8
	SHRQ  $1, M_J
	JZ    g4h8odd

g4h8loop:
	VMOVUPS      (M_AP), Y20                 // column j
	VMOVUPS      32(M_AP), Y21               // column j+1
	VBROADCASTSS (M_XP), Y16
	VBROADCASTSS (M_XP)(M_LDX*1), Y17
	VBROADCASTSS (M_XP)(M_LDX*2), Y18
	VBROADCASTSS (M_XP)(M_LDX3*1), Y19
	VFMADD231PS  Y20, Y16, Y0
	VFMADD231PS  Y20, Y17, Y1
	VFMADD231PS  Y20, Y18, Y2
	VFMADD231PS  Y20, Y19, Y3
	VBROADCASTSS 4(M_XP), Y16
	VBROADCASTSS 4(M_XP)(M_LDX*1), Y17
	VBROADCASTSS 4(M_XP)(M_LDX*2), Y18
	VBROADCASTSS 4(M_XP)(M_LDX3*1), Y19
	VFMADD231PS  Y21, Y16, Y4
	VFMADD231PS  Y21, Y17, Y5
	VFMADD231PS  Y21, Y18, Y6
	VFMADD231PS  Y21, Y19, Y7
	ADDQ         $64, M_AP
	ADDQ         $8, M_XP
	DECQ         M_J
	JNZ          g4h8loop

g4h8odd:
	TESTQ        $1, cols+104(FP)
	JZ           g4h8sum
	VMOVUPS      (M_AP), Y20
	VBROADCASTSS (M_XP), Y16
	VBROADCASTSS (M_XP)(M_LDX*1), Y17
	VBROADCASTSS (M_XP)(M_LDX*2), Y18
	VBROADCASTSS (M_XP)(M_LDX3*1), Y19
	VFMADD231PS  Y20, Y16, Y0
	VFMADD231PS  Y20, Y17, Y1
	VFMADD231PS  Y20, Y18, Y2
	VFMADD231PS  Y20, Y19, Y3

g4h8sum:
	VADDPS Y4, Y0, Y0                        // the upper halves of Z0–Z3 stay zero
	VADDPS Y5, Y1, Y1
	VADDPS Y6, Y2, Y2
	VADDPS Y7, Y3, Y3
	MOVQ   M_ROWS, CX
	MASK(K1)

g4partial:
	SK4(Z0, Z1, Z2, Z3)
	JMP g4done

g4h32:
	CMPQ  M_ROWS, $64
	JLT   g4h32one

	// Two 32-row panels × four vectors: sixteen accumulators, a
	// broadcast of x feeding four FMAs as in the other loops.
	MOVQ  M_A, M_AP
	MOVQ  M_X, M_XP
	MOVQ  cols+104(FP), M_J
	ZERO16
	TESTQ M_J, M_J
	JZ    g4h32x2store

g4h32x2loop:
	VMOVUPS (M_AP), Z20                      // panel p, rows 0–15 of column j
	VMOVUPS 64(M_AP), Z21                    // rows 16–31
	VMOVUPS (M_AP)(M_STRIDE*1), Z22          // panel p+1
	VMOVUPS 64(M_AP)(M_STRIDE*1), Z23
	BX4(0)
	F4(Z20, Z0, Z1, Z2, Z3)
	F4(Z21, Z4, Z5, Z6, Z7)
	F4(Z22, Z8, Z9, Z10, Z11)
	F4(Z23, Z12, Z13, Z14, Z15)
	ADDQ    $128, M_AP
	ADDQ    $4, M_XP
	DECQ    M_J
	JNZ     g4h32x2loop

g4h32x2store:
	S4(0, Z0, Z1, Z2, Z3)
	S4(64, Z4, Z5, Z6, Z7)
	S4(128, Z8, Z9, Z10, Z11)
	S4(192, Z12, Z13, Z14, Z15)
	ADDQ $256, M_Y
	LEAQ (M_A)(M_STRIDE*2), M_A
	SUBQ $64, M_ROWS
	JMP  g4next

g4h32one:
	// One 32-row panel × four vectors: eight accumulators.
	MOVQ  M_A, M_AP
	MOVQ  M_X, M_XP
	MOVQ  cols+104(FP), M_J
	ZERO8
	TESTQ M_J, M_J
	JZ    g4h32store

g4h32loop:
	VMOVUPS (M_AP), Z20                      // rows 0–15 of column j
	VMOVUPS 64(M_AP), Z21                    // rows 16–31
	BX4(0)
	F4(Z20, Z0, Z1, Z2, Z3)
	F4(Z21, Z4, Z5, Z6, Z7)
	ADDQ    $128, M_AP
	ADDQ    $4, M_XP
	DECQ    M_J
	JNZ     g4h32loop

g4h32store:
	S4(0, Z0, Z1, Z2, Z3)
	S4(64, Z4, Z5, Z6, Z7)
	ADDQ $128, M_Y
	ADDQ M_STRIDE, M_A
	SUBQ $32, M_ROWS
	JMP  g4next

g4h64:
	// 64 rows × four vectors, sixteen accumulators: a 64-row panel in
	// one pass over its columns, a 128-row one in two, one per half.
	MOVQ $256, gcs-24(SP)                    // column step
	MOVQ $1, gpass-32(SP)                    // passes
	JMP  g4r64

g4h128:
	MOVQ $512, gcs-24(SP)
	MOVQ $2, gpass-32(SP)

g4r64:
	MOVQ M_A, M_AP

g4r64pass:
	MOVQ  M_X, M_XP
	MOVQ  cols+104(FP), M_J
	MOVQ  gcs-24(SP), CX
	ZERO16
	TESTQ M_J, M_J
	JZ    g4r64store

g4r64loop:
	VMOVUPS (M_AP), Z20                      // rows 0–15 of column j
	VMOVUPS 64(M_AP), Z21
	VMOVUPS 128(M_AP), Z22
	VMOVUPS 192(M_AP), Z23
	BX4(0)
	F4(Z20, Z0, Z1, Z2, Z3)
	F4(Z21, Z4, Z5, Z6, Z7)
	F4(Z22, Z8, Z9, Z10, Z11)
	F4(Z23, Z12, Z13, Z14, Z15)
	ADDQ    CX, M_AP
	ADDQ    $4, M_XP
	DECQ    M_J
	JNZ     g4r64loop

g4r64store:
	S4(0, Z0, Z1, Z2, Z3)
	S4(64, Z4, Z5, Z6, Z7)
	S4(128, Z8, Z9, Z10, Z11)
	S4(192, Z12, Z13, Z14, Z15)
	ADDQ $256, M_Y
	SUBQ $64, M_ROWS
	LEAQ 256(M_A), M_AP                      // the second half of a 128-row panel
	DECQ gpass-32(SP)
	JNZ  g4r64pass
	ADDQ M_STRIDE, M_A
	JMP  g4next

g4done:
	VZEROUPPER
	RET

// func GemmPanels2AVX512(y []float32, ldy int, rows int, a []float32, stride int, x []float32, ldx int, cols int, add bool, geom int)
// Requires: AVX512F, AVX512DQ, AVX512VL
//
// Two products at once, y[b*ldy:][:rows] (+)= P·x[b*ldx:][:cols] for
// b < 2. The accumulators: four 16-row panels × two vectors (four
// streams), one panel × two vectors × four column phases (16 rows, and 8
// in YMM), two registers × two vectors × two phases (32 rows), and four or
// eight registers × two vectors (64 and 128 rows): one stream of panels,
// as the single products, so that a pair reads from L2 as fast as one.
TEXT ·GemmPanels2AVX512(SB), NOSPLIT, $32-128
	GEMM_START

g2next:
	TESTQ M_ROWS, M_ROWS
	JZ    g2done
	MOVQ  gh-8(SP), CX
	CMPQ  CX, $64
	JEQ   g2h64
	CMPQ  CX, $128
	JEQ   g2h128
	CMPQ  CX, $32
	JEQ   g2h32
	CMPQ  CX, $8
	JEQ   g2h8
	CMPQ  g4-16(SP), $4
	JNE   g2h16
	CMPQ  M_ROWS, $64
	JLT   g2h16

	// Four 16-row panels × two vectors.
	MOVQ   M_A, M_AP
	MOVQ   M_X, M_XP
	MOVQ   cols+104(FP), M_J
	ZERO8
	TESTQ  M_J, M_J
	JZ     g2x4store

g2x4loop:
	BX2(0)
	VMOVUPS (M_AP), Z20                      // panel 0, column j
	VMOVUPS (M_AP)(M_STRIDE*1), Z21          // panel 1
	VMOVUPS (M_AP)(M_STRIDE*2), Z22          // panel 2
	VMOVUPS (M_AP)(M_STRIDE3*1), Z23         // panel 3
	F2(Z20, Z0, Z1)                          // acc[panel 0][x 0, 1]
	F2(Z21, Z2, Z3)
	F2(Z22, Z4, Z5)
	F2(Z23, Z6, Z7)
	ADDQ    $64, M_AP
	ADDQ    $4, M_XP
	DECQ    M_J
	JNZ     g2x4loop

g2x4store:
	S2(0, Z0, Z1)
	S2(64, Z2, Z3)
	S2(128, Z4, Z5)
	S2(192, Z6, Z7)
	ADDQ $256, M_Y
	LEAQ (M_A)(M_STRIDE*4), M_A
	SUBQ $64, M_ROWS
	JMP  g2next

g2h16:
	// One 16-row panel × two vectors × four column phases.
	MOVQ  M_A, M_AP
	MOVQ  M_X, M_XP
	MOVQ  cols+104(FP), M_J
	ZERO8
	SHRQ  $2, M_J
	JZ    g2h16tail

g2h16loop:
	VMOVUPS (M_AP), Z20
	VMOVUPS 64(M_AP), Z21
	VMOVUPS 128(M_AP), Z22
	VMOVUPS 192(M_AP), Z23
	BX2(0)
	F2(Z20, Z0, Z1)
	BX2(4)
	F2(Z21, Z2, Z3)
	BX2(8)
	F2(Z22, Z4, Z5)
	BX2(12)
	F2(Z23, Z6, Z7)
	ADDQ    $256, M_AP
	ADDQ    $16, M_XP
	DECQ    M_J
	JNZ     g2h16loop

g2h16tail:
	MOVQ  cols+104(FP), M_J
	ANDQ  $3, M_J
	JZ    g2h16sum

g2h16one:
	VMOVUPS (M_AP), Z20
	BX2(0)
	F2(Z20, Z0, Z1)
	ADDQ    $64, M_AP
	ADDQ    $4, M_XP
	DECQ    M_J
	JNZ     g2h16one

g2h16sum:
	VADDPS Z2, Z0, Z0
	VADDPS Z3, Z1, Z1
	VADDPS Z6, Z4, Z4
	VADDPS Z7, Z5, Z5
	VADDPS Z4, Z0, Z0
	VADDPS Z5, Z1, Z1
	CMPQ   M_ROWS, $16
	JLT    g2partial
	S2(0, Z0, Z1)
	ADDQ   $64, M_Y
	ADDQ   M_STRIDE, M_A
	SUBQ   $16, M_ROWS
	JMP    g2next

g2h8:
	// A panel of at most 8 rows, YMM columns, two vectors × four phases.
	MOVQ  M_A, M_AP
	MOVQ  M_X, M_XP
	MOVQ  cols+104(FP), M_J
	ZERO8
	SHRQ  $2, M_J
	JZ    g2h8tail

g2h8loop:
	VBROADCASTSS (M_XP), Y16
	VBROADCASTSS (M_XP)(M_LDX*1), Y17
	VFMADD231PS  (M_AP), Y16, Y0
	VFMADD231PS  (M_AP), Y17, Y1
	VBROADCASTSS 4(M_XP), Y16
	VBROADCASTSS 4(M_XP)(M_LDX*1), Y17
	VFMADD231PS  32(M_AP), Y16, Y2
	VFMADD231PS  32(M_AP), Y17, Y3
	VBROADCASTSS 8(M_XP), Y16
	VBROADCASTSS 8(M_XP)(M_LDX*1), Y17
	VFMADD231PS  64(M_AP), Y16, Y4
	VFMADD231PS  64(M_AP), Y17, Y5
	VBROADCASTSS 12(M_XP), Y16
	VBROADCASTSS 12(M_XP)(M_LDX*1), Y17
	VFMADD231PS  96(M_AP), Y16, Y6
	VFMADD231PS  96(M_AP), Y17, Y7
	ADDQ         $128, M_AP
	ADDQ         $16, M_XP
	DECQ         M_J
	JNZ          g2h8loop

g2h8tail:
	MOVQ  cols+104(FP), M_J
	ANDQ  $3, M_J
	JZ    g2h8sum

g2h8one:
	VBROADCASTSS (M_XP), Y16
	VBROADCASTSS (M_XP)(M_LDX*1), Y17
	VFMADD231PS  (M_AP), Y16, Y0
	VFMADD231PS  (M_AP), Y17, Y1
	ADDQ         $32, M_AP
	ADDQ         $4, M_XP
	DECQ         M_J
	JNZ          g2h8one

g2h8sum:
	VADDPS Y2, Y0, Y0                        // the upper halves of Z0, Z1 stay zero
	VADDPS Y3, Y1, Y1
	VADDPS Y6, Y4, Y4
	VADDPS Y7, Y5, Y5
	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	MOVQ   M_ROWS, CX
	MASK(K1)

g2partial:
	SK2(Z0, Z1)
	JMP g2done

g2h32:
	// One 32-row panel × two vectors × two column phases (two panels at
	// once would be two streams, slower from L2).
	MOVQ  M_A, M_AP
	MOVQ  M_X, M_XP
	MOVQ  cols+104(FP), M_J
	ZERO8
	SHRQ  $1, M_J
	JZ    g2h32odd

g2h32loop:
	VMOVUPS (M_AP), Z20                      // column j, rows 0–15
	VMOVUPS 64(M_AP), Z21                    // rows 16–31
	VMOVUPS 128(M_AP), Z22                   // column j+1
	VMOVUPS 192(M_AP), Z23
	BX2(0)
	F2(Z20, Z0, Z1)
	F2(Z21, Z2, Z3)
	BX2(4)
	F2(Z22, Z4, Z5)
	F2(Z23, Z6, Z7)
	ADDQ    $256, M_AP
	ADDQ    $8, M_XP
	DECQ    M_J
	JNZ     g2h32loop

g2h32odd:
	TESTQ   $1, cols+104(FP)
	JZ      g2h32sum
	VMOVUPS (M_AP), Z20
	VMOVUPS 64(M_AP), Z21
	BX2(0)
	F2(Z20, Z0, Z1)
	F2(Z21, Z2, Z3)

g2h32sum:
	VADDPS Z4, Z0, Z0
	VADDPS Z5, Z1, Z1
	VADDPS Z6, Z2, Z2
	VADDPS Z7, Z3, Z3
	S2(0, Z0, Z1)
	S2(64, Z2, Z3)
	ADDQ   $128, M_Y
	ADDQ   M_STRIDE, M_A
	SUBQ   $32, M_ROWS
	JMP    g2next

g2h64:
	// One 64-row panel × two vectors: eight accumulators.
	MOVQ  M_A, M_AP
	MOVQ  M_X, M_XP
	MOVQ  cols+104(FP), M_J
	ZERO8
	TESTQ M_J, M_J
	JZ    g2h64store

g2h64loop:
	VMOVUPS (M_AP), Z20                      // rows 0–15 of column j
	VMOVUPS 64(M_AP), Z21
	VMOVUPS 128(M_AP), Z22
	VMOVUPS 192(M_AP), Z23
	BX2(0)
	F2(Z20, Z0, Z1)
	F2(Z21, Z2, Z3)
	F2(Z22, Z4, Z5)
	F2(Z23, Z6, Z7)
	ADDQ    $256, M_AP
	ADDQ    $4, M_XP
	DECQ    M_J
	JNZ     g2h64loop

g2h64store:
	S2(0, Z0, Z1)
	S2(64, Z2, Z3)
	S2(128, Z4, Z5)
	S2(192, Z6, Z7)
	ADDQ $256, M_Y
	ADDQ M_STRIDE, M_A
	SUBQ $64, M_ROWS
	JMP  g2next

g2h128:
	// One 128-row panel × two vectors: sixteen accumulators.
	MOVQ  M_A, M_AP
	MOVQ  M_X, M_XP
	MOVQ  cols+104(FP), M_J
	ZERO16
	TESTQ M_J, M_J
	JZ    g2h128store

g2h128loop:
	BX2(0)
	VMOVUPS (M_AP), Z20
	VMOVUPS 64(M_AP), Z21
	VMOVUPS 128(M_AP), Z22
	VMOVUPS 192(M_AP), Z23
	F2(Z20, Z0, Z1)
	F2(Z21, Z2, Z3)
	F2(Z22, Z4, Z5)
	F2(Z23, Z6, Z7)
	VMOVUPS 256(M_AP), Z20
	VMOVUPS 320(M_AP), Z21
	VMOVUPS 384(M_AP), Z22
	VMOVUPS 448(M_AP), Z23
	F2(Z20, Z8, Z9)
	F2(Z21, Z10, Z11)
	F2(Z22, Z12, Z13)
	F2(Z23, Z14, Z15)
	ADDQ    $512, M_AP
	ADDQ    $4, M_XP
	DECQ    M_J
	JNZ     g2h128loop

g2h128store:
	S2(0, Z0, Z1)
	S2(64, Z2, Z3)
	S2(128, Z4, Z5)
	S2(192, Z6, Z7)
	S2(256, Z8, Z9)
	S2(320, Z10, Z11)
	S2(384, Z12, Z13)
	S2(448, Z14, Z15)
	ADDQ $512, M_Y
	ADDQ M_STRIDE, M_A
	SUBQ $128, M_ROWS
	JMP  g2next

g2done:
	VZEROUPPER
	RET
