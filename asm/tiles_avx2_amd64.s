//go:build gc && !purego && !noasm

#include "textflag.h"

// The tiled product for AVX2+FMA3: GemvTilesAVX2 in stubs_amd64.go; see
// tiles_avx512_amd64.s for the layout. Eight rows of a panel at a time (a
// YMM accumulator each, both halves of a tile row into it, x in Y8:Y9),
// reduced with horizontal adds. A partial last tile takes x through the
// frame, zero-padded: no masked loads (see panel_avx2_amd64.h).

// Register roles of GemvTilesAVX2.
#define T_Y      DI  // &y[16p+8h]
#define T_ROWS   BX  // rows left
#define T_A      SI  // start of the current half panel
#define T_STRIDE DX  // panel stride in bytes
#define T_X      R8  // &x[0]
#define T_TILES  R10 // whole tiles: len(x)/16
#define T_COLS   R11 // len(x)
#define T_AP     R12 // walks the tiles of the half panel
#define T_XP     R13 // walks x
#define T_J      R14 // tiles left
#define T_HALF   R15 // 0 for rows 0–7 of a panel, 1 for 8–15
#define T_K      CX  // copies the last columns of x

// ROWS8 multiplies rows 0–7 of the tile at T_AP (from the half's first
// row) by x in Y8:Y9, row r into Yr.
#define ROWS8 \
	VFMADD231PS (T_AP), Y8, Y0;     \
	VFMADD231PS 32(T_AP), Y9, Y0;   \
	VFMADD231PS 64(T_AP), Y8, Y1;   \
	VFMADD231PS 96(T_AP), Y9, Y1;   \
	VFMADD231PS 128(T_AP), Y8, Y2;  \
	VFMADD231PS 160(T_AP), Y9, Y2;  \
	VFMADD231PS 192(T_AP), Y8, Y3;  \
	VFMADD231PS 224(T_AP), Y9, Y3;  \
	VFMADD231PS 256(T_AP), Y8, Y4;  \
	VFMADD231PS 288(T_AP), Y9, Y4;  \
	VFMADD231PS 320(T_AP), Y8, Y5;  \
	VFMADD231PS 352(T_AP), Y9, Y5;  \
	VFMADD231PS 384(T_AP), Y8, Y6;  \
	VFMADD231PS 416(T_AP), Y9, Y6;  \
	VFMADD231PS 448(T_AP), Y8, Y7;  \
	VFMADD231PS 480(T_AP), Y9, Y7

// func GemvTilesAVX2(y []float32, a []float32, stride int, x []float32, add bool)
// Requires: AVX, AVX2, FMA3
TEXT ·GemvTilesAVX2(SB), NOSPLIT, $64-81
	MOVQ y_base+0(FP), T_Y
	MOVQ y_len+8(FP), T_ROWS
	MOVQ a_base+24(FP), T_A
	MOVQ stride+48(FP), T_STRIDE
	SHLQ $2, T_STRIDE
	MOVQ x_base+56(FP), T_X
	MOVQ x_len+64(FP), T_COLS
	MOVQ T_COLS, T_TILES
	SHRQ $4, T_TILES

	// The frame xt holds the last len(x) % 16 floats of x, zero-padded.
	VXORPS  Y8, Y8, Y8
	VMOVUPS Y8, xt-64(SP)
	VMOVUPS Y8, xt-32(SP)
	MOVQ    T_TILES, T_K
	SHLQ    $6, T_K
	ADDQ    T_X, T_K                 // &x[16*tiles]
	MOVQ    T_COLS, T_J
	ANDQ    $15, T_J                 // the floats of the last tile
	XORQ    AX, AX

tcopy:
	CMPQ AX, T_J
	JAE  thalves
	MOVL (T_K)(AX*4), T_HALF
	MOVL T_HALF, xt-64(SP)(AX*4)     // xt[k] = x[16*tiles+k]
	INCQ AX
	JMP  tcopy

thalves:
	XORQ T_HALF, T_HALF

thalf:
	CMPQ   T_ROWS, $8
	JLT    tdone
	MOVQ   T_A, T_AP
	MOVQ   T_HALF, AX
	SHLQ   $9, AX
	ADDQ   AX, T_AP                  // rows 8h… of the first tile
	MOVQ   T_X, T_XP
	MOVQ   T_TILES, T_J
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ  T_J, T_J
	JZ     ttail

tloop:
	VMOVUPS (T_XP), Y8               // x[16t:16t+8]
	VMOVUPS 32(T_XP), Y9             // x[16t+8:16t+16]
	ROWS8
	ADDQ    $1024, T_AP
	ADDQ    $64, T_XP
	DECQ    T_J
	JNZ     tloop

ttail:
	TESTQ   $15, T_COLS
	JZ      tsum
	VMOVUPS xt-64(SP), Y8
	VMOVUPS xt-32(SP), Y9
	ROWS8

tsum:
	VHADDPS    Y1, Y0, Y10           // per 128-bit lane {r0 01, r0 23, r1 01, r1 23}
	VHADDPS    Y3, Y2, Y11
	VHADDPS    Y11, Y10, Y10         // {r0, r1, r2, r3} of each 128-bit lane
	VHADDPS    Y5, Y4, Y11
	VHADDPS    Y7, Y6, Y12
	VHADDPS    Y12, Y11, Y11         // {r4, r5, r6, r7} of each lane
	VPERM2F128 $0x20, Y11, Y10, Y12  // the low lanes: {r0…r3 | r4…r7}
	VPERM2F128 $0x31, Y11, Y10, Y13  // the high lanes
	VADDPS     Y13, Y12, Y10         // y[16p+8h:16p+8h+8]
	CMPB       add+80(FP), $0
	JEQ        2(PC)
	VADDPS     (T_Y), Y10, Y10
	VMOVUPS    Y10, (T_Y)
	ADDQ       $32, T_Y
	SUBQ       $8, T_ROWS
	XORQ       $1, T_HALF
	JNZ        thalf
	ADDQ       T_STRIDE, T_A         // both halves done: the next panel
	JMP        thalf

tdone:
	VZEROUPPER
	RET
