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
