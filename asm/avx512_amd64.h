// Small AVX-512 macros that several files use:
//
//	#include "avx512_amd64.h"
//
//	MASK(k)                   opmask k = the low CX bits, 0 ≤ CX < 16, for
//	                          masked loads and stores of a tail (a masked
//	                          load does not fault on masked-out elements).
//	                          Clobbers AX.
//	HSUM(z, y, x, ty, tx)     lane 0 of x = the sum of the 16 lanes of z; y
//	                          and x are the low parts of z. Clobbers ty, tx.

#ifndef AVX512_AMD64_H
#define AVX512_AMD64_H

#define MASK(k) \
	MOVL  $1, AX; \
	SHLL  CX, AX; \
	DECL  AX;     \ // (1 << CX) - 1
	KMOVW AX, k

#define HSUM(z, y, x, ty, tx) \
	VEXTRACTF64X4 $1, z, ty;    \
	VADDPS        ty, y, y;     \ // 16 lanes → 8
	VEXTRACTF32X4 $1, y, tx;    \
	VADDPS        tx, x, x;     \ // 8 → 4
	VPERMILPS     $0x4e, x, tx; \
	VADDPS        tx, x, x;     \ // 4 → 2
	VPERMILPS     $0xb1, x, tx; \
	VADDPS        tx, x, x        // 2 → 1

#endif
