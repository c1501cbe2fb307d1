//go:build gc && !purego && !noasm

#include "textflag.h"
#include "neon_arm64.h"

// The tiled product for NEON: GemvTilesNEON in stubs_arm64.go; see
// tiles_avx512_amd64.s for the layout. A panel's sixteen rows accumulate
// in V16–V31, one register per row (four lanes of partial sums), x of a
// tile in V0–V3; pairwise adds reduce them to the row sums. A partial last
// tile takes x through the frame, zero-padded.

// Register roles of GemvTilesNEON.
#define T_Y      R0  // &y[16p]
#define T_ROWS   R1  // rows left
#define T_A      R2  // start of the current panel
#define T_STRIDE R3  // panel stride in bytes
#define T_X      R4  // &x[0]
#define T_TILES  R5  // whole tiles: len(x)/16
#define T_COLS   R6  // len(x)
#define T_AP     R7  // walks the tiles of the panel
#define T_XP     R8  // walks x
#define T_J      R9  // tiles left
#define T_ADD    R10 // add flag
#define T_T      R11 // scratch

// ROW multiplies a row of a tile, loaded into V4–V7, by x in V0–V3 into
// acc.
#define ROW(acc) \
	VFMLA V0.S4, V4.S4, acc.S4; \
	VFMLA V1.S4, V5.S4, acc.S4; \
	VFMLA V2.S4, V6.S4, acc.S4; \
	VFMLA V3.S4, V7.S4, acc.S4

// TILE multiplies the tile at T_AP (advancing it by the tile) by x in
// V0–V3: row r into V(16+r).
#define TILE \
	VLD1.P 64(T_AP), [V4.S4, V5.S4, V6.S4, V7.S4]; ROW(V16); \
	VLD1.P 64(T_AP), [V4.S4, V5.S4, V6.S4, V7.S4]; ROW(V17); \
	VLD1.P 64(T_AP), [V4.S4, V5.S4, V6.S4, V7.S4]; ROW(V18); \
	VLD1.P 64(T_AP), [V4.S4, V5.S4, V6.S4, V7.S4]; ROW(V19); \
	VLD1.P 64(T_AP), [V4.S4, V5.S4, V6.S4, V7.S4]; ROW(V20); \
	VLD1.P 64(T_AP), [V4.S4, V5.S4, V6.S4, V7.S4]; ROW(V21); \
	VLD1.P 64(T_AP), [V4.S4, V5.S4, V6.S4, V7.S4]; ROW(V22); \
	VLD1.P 64(T_AP), [V4.S4, V5.S4, V6.S4, V7.S4]; ROW(V23); \
	VLD1.P 64(T_AP), [V4.S4, V5.S4, V6.S4, V7.S4]; ROW(V24); \
	VLD1.P 64(T_AP), [V4.S4, V5.S4, V6.S4, V7.S4]; ROW(V25); \
	VLD1.P 64(T_AP), [V4.S4, V5.S4, V6.S4, V7.S4]; ROW(V26); \
	VLD1.P 64(T_AP), [V4.S4, V5.S4, V6.S4, V7.S4]; ROW(V27); \
	VLD1.P 64(T_AP), [V4.S4, V5.S4, V6.S4, V7.S4]; ROW(V28); \
	VLD1.P 64(T_AP), [V4.S4, V5.S4, V6.S4, V7.S4]; ROW(V29); \
	VLD1.P 64(T_AP), [V4.S4, V5.S4, V6.S4, V7.S4]; ROW(V30); \
	VLD1.P 64(T_AP), [V4.S4, V5.S4, V6.S4, V7.S4]; ROW(V31)

// SUM4 reduces the accumulators of four rows a…d to their sums, in out.
#define SUM4(a, b, c, d, out) \
	VFADDP4S(b, a, 8);   \ // {a01, a23, b01, b23}
	VFADDP4S(d, c, 9);   \ // {c01, c23, d01, d23}
	VFADDP4S(9, 8, out)    // {a, b, c, d}

// func GemvTilesNEON(y []float32, a []float32, stride int, x []float32, add bool)
// Requires: ASIMD
TEXT ·GemvTilesNEON(SB), NOSPLIT, $64-81
	MOVD  y_base+0(FP), T_Y
	MOVD  y_len+8(FP), T_ROWS
	MOVD  a_base+24(FP), T_A
	MOVD  stride+48(FP), T_STRIDE
	LSL   $2, T_STRIDE
	MOVD  x_base+56(FP), T_X
	MOVD  x_len+64(FP), T_COLS
	MOVBU add+80(FP), T_ADD
	LSR   $4, T_COLS, T_TILES

	// The frame xt holds the last len(x) % 16 floats of x, zero-padded.
	MOVD $xt-64(SP), T_T
	VEOR V0.B16, V0.B16, V0.B16
	VST1 [V0.S4], (T_T)
	ADD  $16, T_T
	VST1 [V0.S4], (T_T)
	ADD  $16, T_T
	VST1 [V0.S4], (T_T)
	ADD  $16, T_T
	VST1 [V0.S4], (T_T)
	LSL  $6, T_TILES, T_XP
	ADD  T_X, T_XP                   // &x[16*tiles]
	AND  $15, T_COLS, T_J            // the floats of the last tile
	MOVD $xt-64(SP), T_T

tcopy:
	CBZ     T_J, tpanel
	FMOVS.P 4(T_XP), F0
	FMOVS.P F0, 4(T_T)               // xt[k] = x[16*tiles+k]
	SUB     $1, T_J
	B       tcopy

tpanel:
	CMP  $16, T_ROWS
	BLT  tdone
	MOVD T_A, T_AP
	MOVD T_X, T_XP
	MOVD T_TILES, T_J
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16
	VEOR V24.B16, V24.B16, V24.B16
	VEOR V25.B16, V25.B16, V25.B16
	VEOR V26.B16, V26.B16, V26.B16
	VEOR V27.B16, V27.B16, V27.B16
	VEOR V28.B16, V28.B16, V28.B16
	VEOR V29.B16, V29.B16, V29.B16
	VEOR V30.B16, V30.B16, V30.B16
	VEOR V31.B16, V31.B16, V31.B16

tloop:
	CBZ    T_J, ttail
	VLD1.P 64(T_XP), [V0.S4, V1.S4, V2.S4, V3.S4] // x[16t:16t+16]
	TILE
	SUB    $1, T_J
	B      tloop

ttail:
	AND  $15, T_COLS, T_T
	CBZ  T_T, tsum
	MOVD $xt-64(SP), T_T
	VLD1 (T_T), [V0.S4, V1.S4, V2.S4, V3.S4]
	TILE

tsum:
	SUM4(16, 17, 18, 19, 0)
	SUM4(20, 21, 22, 23, 1)
	SUM4(24, 25, 26, 27, 2)
	SUM4(28, 29, 30, 31, 3)
	CBZ  T_ADD, tstore
	VLD1 (T_Y), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFADD4S(4, 0, 0)
	VFADD4S(5, 1, 1)
	VFADD4S(6, 2, 2)
	VFADD4S(7, 3, 3)

tstore:
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(T_Y) // y[16p:16p+16]
	ADD    T_STRIDE, T_A
	SUB    $16, T_ROWS
	B      tpanel

tdone:
	RET
