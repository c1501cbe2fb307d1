//go:build gc && !purego && !noasm

#include "textflag.h"
#include "avx512_amd64.h"

// The tiled product for AVX-512 (F+DQ+VL): GemvTilesAVX512 in
// stubs_amd64.go. A panel of 16 rows lies in tiles of 16 columns, each
// tile row by row, so that one load of x[16t:16t+16] multiplies a whole
// tile: sixteen FMAs with the rows of the tile, one accumulator per row,
// where the column layout needs a broadcast of x for every column. The
// sixteen accumulators then reduce to the row sums, one ZMM.

// Register roles of GemvTilesAVX512.
#define T_Y      DI  // &y[16p]
#define T_ROWS   BX  // rows left
#define T_A      SI  // start of the current panel
#define T_STRIDE DX  // panel stride in bytes
#define T_X      R8  // &x[0]
#define T_TILES  R10 // whole tiles: len(x)/16
#define T_COLS   R11 // len(x)
#define T_AP     R12 // walks the tiles of the panel
#define T_XP     R13 // walks x
#define T_J      R14 // tiles left
#define T_ADD    R15 // add flag

// TILE multiplies the tile at T_AP by the 16 floats of x in Z16: row r of
// the tile into Zr.
#define TILE \
	VFMADD231PS (T_AP), Z16, Z0;    \
	VFMADD231PS 64(T_AP), Z16, Z1;  \
	VFMADD231PS 128(T_AP), Z16, Z2; \
	VFMADD231PS 192(T_AP), Z16, Z3; \
	VFMADD231PS 256(T_AP), Z16, Z4; \
	VFMADD231PS 320(T_AP), Z16, Z5; \
	VFMADD231PS 384(T_AP), Z16, Z6; \
	VFMADD231PS 448(T_AP), Z16, Z7; \
	VFMADD231PS 512(T_AP), Z16, Z8; \
	VFMADD231PS 576(T_AP), Z16, Z9; \
	VFMADD231PS 640(T_AP), Z16, Z10; \
	VFMADD231PS 704(T_AP), Z16, Z11; \
	VFMADD231PS 768(T_AP), Z16, Z12; \
	VFMADD231PS 832(T_AP), Z16, Z13; \
	VFMADD231PS 896(T_AP), Z16, Z14; \
	VFMADD231PS 960(T_AP), Z16, Z15

// PAIR1 sums lanes of rows a and b into out: in each 128-bit lane,
// {a0+a2, b0+b2, a1+a3, b1+b3}.
#define PAIR1(a, b, out) \
	VUNPCKLPS b, a, Z16; \ // {a0, b0, a1, b1}
	VUNPCKHPS b, a, Z17; \ // {a2, b2, a3, b3}
	VADDPS    Z17, Z16, out

// PAIR2 sums two PAIR1 results into out: in each 128-bit lane, the four
// rows' sums of that lane.
#define PAIR2(a, b, out) \
	VUNPCKLPD b, a, Z16; \ // {a.ab02, b.ab02}
	VUNPCKHPD b, a, Z17; \ // {a.ab13, b.ab13}
	VADDPS    Z17, Z16, out

// LANES sums the 128-bit lanes of four PAIR2 results: out lane k = the
// sum of the lanes of input k, so that out holds the sixteen row sums.
#define LANES(a, b, c, d, out) \
	VSHUFF32X4 $0x88, b, a, Z16;  \ // {a.0, a.2, b.0, b.2}
	VSHUFF32X4 $0xdd, b, a, Z17;  \ // {a.1, a.3, b.1, b.3}
	VADDPS     Z17, Z16, Z18;     \ // {a.01, a.23, b.01, b.23}
	VSHUFF32X4 $0x88, d, c, Z16;  \
	VSHUFF32X4 $0xdd, d, c, Z17;  \
	VADDPS     Z17, Z16, Z19;     \ // {c.01, c.23, d.01, d.23}
	VSHUFF32X4 $0x88, Z19, Z18, Z16; \ // {a.01, b.01, c.01, d.01}
	VSHUFF32X4 $0xdd, Z19, Z18, Z17; \ // {a.23, b.23, c.23, d.23}
	VADDPS     Z17, Z16, out

// func GemvTilesAVX512(y []float32, a []float32, stride int, x []float32, add bool)
// Requires: AVX512F, AVX512DQ, AVX512VL
TEXT ·GemvTilesAVX512(SB), NOSPLIT, $0-81
	MOVQ    y_base+0(FP), T_Y
	MOVQ    y_len+8(FP), T_ROWS
	MOVQ    a_base+24(FP), T_A
	MOVQ    stride+48(FP), T_STRIDE
	SHLQ    $2, T_STRIDE
	MOVQ    x_base+56(FP), T_X
	MOVQ    x_len+64(FP), T_COLS
	MOVBQZX add+80(FP), T_ADD
	MOVQ    T_COLS, T_TILES
	SHRQ    $4, T_TILES

	// K1 masks the columns of a partial last tile, len(x) % 16.
	MOVQ T_COLS, CX
	ANDQ $15, CX
	MASK(K1)

tpanel:
	CMPQ   T_ROWS, $16
	JLT    tdone
	MOVQ   T_A, T_AP
	MOVQ   T_X, T_XP
	MOVQ   T_TILES, T_J
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	VXORPS Z8, Z8, Z8
	VXORPS Z9, Z9, Z9
	VXORPS Z10, Z10, Z10
	VXORPS Z11, Z11, Z11
	VXORPS Z12, Z12, Z12
	VXORPS Z13, Z13, Z13
	VXORPS Z14, Z14, Z14
	VXORPS Z15, Z15, Z15
	TESTQ  T_J, T_J
	JZ     ttail

tloop:
	VMOVUPS (T_XP), Z16              // x[16t:16t+16]
	TILE
	ADDQ    $1024, T_AP
	ADDQ    $64, T_XP
	DECQ    T_J
	JNZ     tloop

ttail:
	TESTQ     $15, T_COLS
	JZ        tsum
	VMOVUPS.Z (T_XP), K1, Z16        // the last columns of x, zero past len(x)
	TILE                             // (the tile's padding columns are zero)

tsum:
	PAIR1(Z0, Z1, Z0)
	PAIR1(Z2, Z3, Z1)
	PAIR1(Z4, Z5, Z2)
	PAIR1(Z6, Z7, Z3)
	PAIR1(Z8, Z9, Z4)
	PAIR1(Z10, Z11, Z5)
	PAIR1(Z12, Z13, Z6)
	PAIR1(Z14, Z15, Z7)
	PAIR2(Z0, Z1, Z0)
	PAIR2(Z2, Z3, Z1)
	PAIR2(Z4, Z5, Z2)
	PAIR2(Z6, Z7, Z3)
	LANES(Z0, Z1, Z2, Z3, Z0)        // y[16p+r] in lane r
	TESTQ  T_ADD, T_ADD
	JZ     2(PC)
	VADDPS (T_Y), Z0, Z0
	VMOVUPS Z0, (T_Y)
	ADDQ   $64, T_Y
	ADDQ   T_STRIDE, T_A
	SUBQ   $16, T_ROWS
	JMP    tpanel

tdone:
	VZEROUPPER
	RET

// Register roles of GemmTiles4AVX512 and GemmTiles2AVX512.
#define M_Y      DI  // &y[0][16p]
#define M_LDY    R8  // ldy in bytes
#define M_LDY3   R9  // 3*ldy in bytes
#define M_ROWS   BX  // rows left
#define M_A      SI  // start of the current panel
#define M_STRIDE DX  // panel stride in bytes
#define M_X      R11 // &x[0][0]
#define M_LDX    R12 // ldx in bytes
#define M_LDX3   R13 // 3*ldx in bytes
#define M_AP     R14 // walks the tiles of the pass
#define M_XP     R15 // walks x
#define M_J      AX  // tiles left
#define M_TILES  CX  // whole tiles: cols/16
// The frame holds the pass (gq).

// F4X4 multiplies rows r0…r3 (registers) by the x of vectors 0…3 in
// Z16–Z19 into Z0–Z15, vector-major: vector v, row r into Z(4v+r).
#define F4X4 \
	VFMADD231PS Z20, Z16, Z0;  \
	VFMADD231PS Z21, Z16, Z1;  \
	VFMADD231PS Z22, Z16, Z2;  \
	VFMADD231PS Z23, Z16, Z3;  \
	VFMADD231PS Z20, Z17, Z4;  \
	VFMADD231PS Z21, Z17, Z5;  \
	VFMADD231PS Z22, Z17, Z6;  \
	VFMADD231PS Z23, Z17, Z7;  \
	VFMADD231PS Z20, Z18, Z8;  \
	VFMADD231PS Z21, Z18, Z9;  \
	VFMADD231PS Z22, Z18, Z10; \
	VFMADD231PS Z23, Z18, Z11; \
	VFMADD231PS Z20, Z19, Z12; \
	VFMADD231PS Z21, Z19, Z13; \
	VFMADD231PS Z22, Z19, Z14; \
	VFMADD231PS Z23, Z19, Z15

// F8X2 multiplies rows r0…r7 (Z20–Z27) by the x of vectors 0, 1 in Z16,
// Z17 into Z0–Z15: vector v, row r into Z(8v+r).
#define F8X2 \
	VFMADD231PS Z20, Z16, Z0;  \
	VFMADD231PS Z21, Z16, Z1;  \
	VFMADD231PS Z22, Z16, Z2;  \
	VFMADD231PS Z23, Z16, Z3;  \
	VFMADD231PS Z24, Z16, Z4;  \
	VFMADD231PS Z25, Z16, Z5;  \
	VFMADD231PS Z26, Z16, Z6;  \
	VFMADD231PS Z27, Z16, Z7;  \
	VFMADD231PS Z20, Z17, Z8;  \
	VFMADD231PS Z21, Z17, Z9;  \
	VFMADD231PS Z22, Z17, Z10; \
	VFMADD231PS Z23, Z17, Z11; \
	VFMADD231PS Z24, Z17, Z12; \
	VFMADD231PS Z25, Z17, Z13; \
	VFMADD231PS Z26, Z17, Z14; \
	VFMADD231PS Z27, Z17, Z15

#define ZERO16 \
	VXORPS Z0, Z0, Z0;    \
	VXORPS Z1, Z1, Z1;    \
	VXORPS Z2, Z2, Z2;    \
	VXORPS Z3, Z3, Z3;    \
	VXORPS Z4, Z4, Z4;    \
	VXORPS Z5, Z5, Z5;    \
	VXORPS Z6, Z6, Z6;    \
	VXORPS Z7, Z7, Z7;    \
	VXORPS Z8, Z8, Z8;    \
	VXORPS Z9, Z9, Z9;    \
	VXORPS Z10, Z10, Z10; \
	VXORPS Z11, Z11, Z11; \
	VXORPS Z12, Z12, Z12; \
	VXORPS Z13, Z13, Z13; \
	VXORPS Z14, Z14, Z14; \
	VXORPS Z15, Z15, Z15

// REDUCE16 sums the lanes of Z0–Z15 into Z0: lane i, the sum of Zi.
#define REDUCE16 \
	PAIR1(Z0, Z1, Z0);   \
	PAIR1(Z2, Z3, Z1);   \
	PAIR1(Z4, Z5, Z2);   \
	PAIR1(Z6, Z7, Z3);   \
	PAIR1(Z8, Z9, Z4);   \
	PAIR1(Z10, Z11, Z5); \
	PAIR1(Z12, Z13, Z6); \
	PAIR1(Z14, Z15, Z7); \
	PAIR2(Z0, Z1, Z0);   \
	PAIR2(Z2, Z3, Z1);   \
	PAIR2(Z4, Z5, Z2);   \
	PAIR2(Z6, Z7, Z3);   \
	LANES(Z0, Z1, Z2, Z3, Z0)

// func GemmTiles4AVX512(y []float32, ldy int, rows int, a []float32, stride int, x []float32, ldx int, cols int, add bool)
// Requires: AVX512F, AVX512DQ, AVX512VL
//
// GemvTilesAVX512 for four vectors, each tile loaded once for all four:
// four passes over a panel's tiles, rows 4q…4q+3 × four vectors in
// sixteen accumulators each, reduced to a ZMM whose 128-bit lane v holds
// vector v's four rows.
TEXT ·GemmTiles4AVX512(SB), NOSPLIT, $16-113

// STORE4 stores (or, with add, adds) the four floats in x to mem.
#define STORE4(x, mem) \
	CMPB    add+112(FP), $0; \
	JEQ     2(PC);           \
	VADDPS  mem, x, x;       \
	VMOVUPS x, mem

// STORE8 is STORE4 for eight floats.
#define STORE8(x, mem) \
	CMPB    add+112(FP), $0; \
	JEQ     2(PC);           \
	VADDPS  mem, x, x;       \
	VMOVUPS x, mem

// GEMMT_START loads the arguments common to both routines (the same
// frame) and K1, the columns of a partial
// last tile.
#define GEMMT_START \
	MOVQ y_base+0(FP), M_Y;        \
	MOVQ ldy+24(FP), M_LDY;        \
	SHLQ $2, M_LDY;                \
	LEAQ (M_LDY)(M_LDY*2), M_LDY3; \
	MOVQ rows+32(FP), M_ROWS;      \
	MOVQ a_base+40(FP), M_A;       \
	MOVQ stride+64(FP), M_STRIDE;  \
	SHLQ $2, M_STRIDE;             \
	MOVQ x_base+72(FP), M_X;       \
	MOVQ ldx+96(FP), M_LDX;        \
	SHLQ $2, M_LDX;                \
	LEAQ (M_LDX)(M_LDX*2), M_LDX3; \
	MOVQ cols+104(FP), CX;         \
	ANDQ $15, CX;                  \
	MASK(K1);                      \
	MOVQ cols+104(FP), M_TILES;    \
	SHRQ $4, M_TILES

	GEMMT_START

t4panel:
	CMPQ M_ROWS, $16
	JLT  t4done
	MOVQ $0, gq-8(SP)

t4pass:
	MOVQ  gq-8(SP), M_AP
	SHLQ  $8, M_AP
	ADDQ  M_A, M_AP                  // row 4q of the first tile
	MOVQ  M_X, M_XP
	MOVQ  M_TILES, M_J
	ZERO16
	TESTQ M_J, M_J
	JZ    t4tail

t4loop:
	VMOVUPS (M_XP), Z16              // x[v][16t:16t+16], v = 0…3
	VMOVUPS (M_XP)(M_LDX*1), Z17
	VMOVUPS (M_XP)(M_LDX*2), Z18
	VMOVUPS (M_XP)(M_LDX3*1), Z19
	VMOVUPS (M_AP), Z20              // rows 4q…4q+3 of the tile
	VMOVUPS 64(M_AP), Z21
	VMOVUPS 128(M_AP), Z22
	VMOVUPS 192(M_AP), Z23
	F4X4
	ADDQ    $1024, M_AP
	ADDQ    $64, M_XP
	DECQ    M_J
	JNZ     t4loop

t4tail:
	TESTQ     $15, cols+104(FP)
	JZ        t4sum
	VMOVUPS.Z (M_XP), K1, Z16        // the last columns, zero past cols
	VMOVUPS.Z (M_XP)(M_LDX*1), K1, Z17
	VMOVUPS.Z (M_XP)(M_LDX*2), K1, Z18
	VMOVUPS.Z (M_XP)(M_LDX3*1), K1, Z19
	VMOVUPS   (M_AP), Z20
	VMOVUPS   64(M_AP), Z21
	VMOVUPS   128(M_AP), Z22
	VMOVUPS   192(M_AP), Z23
	F4X4

t4sum:
	REDUCE16
	VEXTRACTF32X4 $1, Z0, X1         // vector 1's four rows
	VEXTRACTF32X4 $2, Z0, X2
	VEXTRACTF32X4 $3, Z0, X3
	MOVQ          gq-8(SP), AX
	SHLQ          $4, AX
	ADDQ          M_Y, AX            // &y[0][16p+4q]
	STORE4(X0, (AX))
	STORE4(X1, (AX)(M_LDY*1))
	STORE4(X2, (AX)(M_LDY*2))
	STORE4(X3, (AX)(M_LDY3*1))
	INCQ          gq-8(SP)
	CMPQ          gq-8(SP), $4
	JLT           t4pass
	ADDQ          $64, M_Y
	ADDQ          M_STRIDE, M_A
	SUBQ          $16, M_ROWS
	JMP           t4panel

t4done:
	VZEROUPPER
	RET

// func GemmTiles2AVX512(y []float32, ldy int, rows int, a []float32, stride int, x []float32, ldx int, cols int, add bool)
// Requires: AVX512F, AVX512DQ, AVX512VL
//
// GemvTilesAVX512 for two vectors, each tile loaded once for both: two
// passes over a panel's tiles, rows 8h…8h+7 × two vectors in sixteen
// accumulators each, reduced to a ZMM whose low half holds vector 0's
// eight rows and high half vector 1's.
TEXT ·GemmTiles2AVX512(SB), NOSPLIT, $16-113
	GEMMT_START

t2panel:
	CMPQ M_ROWS, $16
	JLT  t2done
	MOVQ $0, gq-8(SP)

t2pass:
	MOVQ  gq-8(SP), M_AP
	SHLQ  $9, M_AP
	ADDQ  M_A, M_AP                  // row 8h of the first tile
	MOVQ  M_X, M_XP
	MOVQ  M_TILES, M_J
	ZERO16
	TESTQ M_J, M_J
	JZ    t2tail

t2loop:
	VMOVUPS (M_XP), Z16              // x[v][16t:16t+16], v = 0, 1
	VMOVUPS (M_XP)(M_LDX*1), Z17
	VMOVUPS (M_AP), Z20              // rows 8h…8h+7 of the tile
	VMOVUPS 64(M_AP), Z21
	VMOVUPS 128(M_AP), Z22
	VMOVUPS 192(M_AP), Z23
	VMOVUPS 256(M_AP), Z24
	VMOVUPS 320(M_AP), Z25
	VMOVUPS 384(M_AP), Z26
	VMOVUPS 448(M_AP), Z27
	F8X2
	ADDQ    $1024, M_AP
	ADDQ    $64, M_XP
	DECQ    M_J
	JNZ     t2loop

t2tail:
	TESTQ     $15, cols+104(FP)
	JZ        t2sum
	VMOVUPS.Z (M_XP), K1, Z16        // the last columns, zero past cols
	VMOVUPS.Z (M_XP)(M_LDX*1), K1, Z17
	VMOVUPS   (M_AP), Z20
	VMOVUPS   64(M_AP), Z21
	VMOVUPS   128(M_AP), Z22
	VMOVUPS   192(M_AP), Z23
	VMOVUPS   256(M_AP), Z24
	VMOVUPS   320(M_AP), Z25
	VMOVUPS   384(M_AP), Z26
	VMOVUPS   448(M_AP), Z27
	F8X2

t2sum:
	REDUCE16
	VEXTRACTF64X4 $1, Z0, Y1         // vector 1's eight rows
	MOVQ          gq-8(SP), AX
	SHLQ          $5, AX
	ADDQ          M_Y, AX            // &y[0][16p+8h]
	STORE8(Y0, (AX))
	STORE8(Y1, (AX)(M_LDY*1))
	INCQ          gq-8(SP)
	CMPQ          gq-8(SP), $2
	JLT           t2pass
	ADDQ          $64, M_Y
	ADDQ          M_STRIDE, M_A
	SUBQ          $16, M_ROWS
	JMP           t2panel

t2done:
	VZEROUPPER
	RET
