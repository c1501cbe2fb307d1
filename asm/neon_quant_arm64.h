// Advanced SIMD instructions of the quantized kernels that the Go arm64
// assembler has no mnemonic for, encoded with WORD (each checked against
// llvm-mc):
//
//	#include "neon_quant_arm64.h"
//
// Operands are register numbers in Go order, sources first and the
// destination last, as in neon_arm64.h.
//
//	VSDOTE(m, i, n, d)   SDOT   Vd.4S, Vn.16B, Vm.4B[i]: d[k] += Σ of the
//	                     four s8 products of n's lane k and m's lane i
//	                     (FEAT_DotProd)
//	VSMULL8B(m, n, d)    SMULL  Vd.8H, Vn.8B, Vm.8B: s8×s8 → s16, low halves
//	VSMULL16B(m, n, d)   SMULL2 Vd.8H, Vn.16B, Vm.16B: the high halves
//	VSMLAL8B(m, n, d)    SMLAL  Vd.8H, Vn.8B, Vm.8B: d += n×m, low halves
//	VSMLAL16B(m, n, d)   SMLAL2 Vd.8H, Vn.16B, Vm.16B: the high halves
//	VSADALP8H(n, d)      SADALP Vd.4S, Vn.8H: d[k] += n[2k] + n[2k+1]
//	VSCVTF4S(n, d)       SCVTF  Vd.4S, Vn.4S: int32 to float32, to nearest
//	VFCVTNS4S(n, d)      FCVTNS Vd.4S, Vn.4S: float32 to int32, to nearest,
//	                     ties to even (NaN gives 0)
//	VXTN4S(n, d)         XTN    Vd.4H, Vn.4S: the low halves
//	VXTN24S(n, d)        XTN2   Vd.8H, Vn.4S: into the high half of d
//	VXTN8H(n, d)         XTN    Vd.8B, Vn.8H
//	VXTN28H(n, d)        XTN2   Vd.16B, Vn.8H
//	VFMAXNM4S(m, n, d)   FMAXNM Vd.4S, Vn.4S, Vm.4S: max, a NaN operand ignored
//	VFMAXNMV4S(n, d)     FMAXNMV Sd, Vn.4S: the max of the four lanes
//	VFCMEQ4S(m, n, d)    FCMEQ  Vd.4S, Vn.4S, Vm.4S: all ones where n == m
//	VCMHI4S(m, n, d)     CMHI   Vd.4S, Vn.4S, Vm.4S: all ones where n > m,
//	                     unsigned
//
// and one helper of the kernels' tails, which load no vector past the end
// of a slice:
//
//	QN_TAIL(p, n, scratch, label)

#ifndef NEON_QUANT_ARM64_H
#define NEON_QUANT_ARM64_H

#define VSDOTE(m, i, n, d) WORD $(0x4F80E000 | ((i)&1)<<21 | ((m)>>4)<<20 | ((m)&15)<<16 | ((i)>>1)<<11 | (n)<<5 | (d))
#define VSMULL8B(m, n, d) WORD $(0x0E20C000 | (m)<<16 | (n)<<5 | (d))
#define VSMULL16B(m, n, d) WORD $(0x4E20C000 | (m)<<16 | (n)<<5 | (d))
#define VSMLAL8B(m, n, d) WORD $(0x0E208000 | (m)<<16 | (n)<<5 | (d))
#define VSMLAL16B(m, n, d) WORD $(0x4E208000 | (m)<<16 | (n)<<5 | (d))
#define VSADALP8H(n, d) WORD $(0x4E606800 | (n)<<5 | (d))
#define VSCVTF4S(n, d) WORD $(0x4E21D800 | (n)<<5 | (d))
#define VFCVTNS4S(n, d) WORD $(0x4E21A800 | (n)<<5 | (d))
#define VXTN4S(n, d) WORD $(0x0E612800 | (n)<<5 | (d))
#define VXTN24S(n, d) WORD $(0x4E612800 | (n)<<5 | (d))
#define VXTN8H(n, d) WORD $(0x0E212800 | (n)<<5 | (d))
#define VXTN28H(n, d) WORD $(0x4E212800 | (n)<<5 | (d))
#define VFMAXNM4S(m, n, d) WORD $(0x4E20C400 | (m)<<16 | (n)<<5 | (d))
#define VFMAXNMV4S(n, d) WORD $(0x6E30C800 | (n)<<5 | (d))
#define VFCMEQ4S(m, n, d) WORD $(0x4E20E400 | (m)<<16 | (n)<<5 | (d))
#define VCMHI4S(m, n, d) WORD $(0x6EA03400 | (m)<<16 | (n)<<5 | (d))

// QN_TAIL(p, n, scratch, label) copies the n < 16 floats at p to the
// 64-byte scratch (its address left in R14), after zeroing it; label names
// its loop. Advances p, zeroes n; clobbers R11, R16, V1–V4.
#define QN_TAIL(p, n, scratch, label) \
	MOVD  scratch, R14;                                    \
	VEOR  V1.B16, V1.B16, V1.B16;                          \
	VEOR  V2.B16, V2.B16, V2.B16;                          \
	VEOR  V3.B16, V3.B16, V3.B16;                          \
	VEOR  V4.B16, V4.B16, V4.B16;                          \
	VST1  [V1.B16, V2.B16, V3.B16, V4.B16], (R14);         \
	MOVD  R14, R11;                                        \
                                                               \
label:                                                         \
	MOVWU.P 4(p), R16;                                     \
	MOVW.P  R16, 4(R11);                                   \
	SUB     $1, n;                                         \
	CBNZ    n, label

#endif
