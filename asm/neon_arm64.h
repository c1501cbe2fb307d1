// Advanced SIMD instructions that the Go arm64 assembler has no mnemonic
// for (it has VFMLA, VLD1, VST1, VDUP, but no vector FADD, FMUL, …),
// encoded with WORD:
//
//	#include "neon_arm64.h"
//
// Operands are register numbers in Go order, sources first and the
// destination last (as for VFMLA); the arrangement is 4S.
//
//	VFADD4S(m, n, d)      FADD  Vd, Vn, Vm: d = n + m
//	VFADDP4S(m, n, d)     FADDP Vd, Vn, Vm: d = {n0+n1, n2+n3, m0+m1, m2+m3}
//	VFSUB4S(m, n, d)      FSUB  Vd, Vn, Vm: d = n - m
//	VFMUL4S(m, n, d)      FMUL  Vd, Vn, Vm: d = n * m
//	VFDIV4S(m, n, d)      FDIV  Vd, Vn, Vm: d = n / m
//	VFMIN4S(m, n, d)      FMIN  Vd, Vn, Vm: d = min(n, m), NaN if either is
//	VFMAX4S(m, n, d)      FMAX  Vd, Vn, Vm: d = max(n, m), NaN if either is
//	VFCMGT4S(m, n, d)     FCMGT Vd, Vn, Vm: d = n > m ? all ones : 0
//	VFABS4S(n, d)         FABS  Vd, Vn: d = |n|
//	VFNEG4S(n, d)         FNEG  Vd, Vn: d = -n
//	VFMLAE4S(m, i, n, d)  FMLA  Vd, Vn, Vm.S[i]: d += n * m[i], fused

#ifndef NEON_ARM64_H
#define NEON_ARM64_H

#define VFADD4S(m, n, d) WORD $(0x4E20D400 | (m)<<16 | (n)<<5 | (d))
#define VFADDP4S(m, n, d) WORD $(0x6E20D400 | (m)<<16 | (n)<<5 | (d))
#define VFSUB4S(m, n, d) WORD $(0x4EA0D400 | (m)<<16 | (n)<<5 | (d))
#define VFMUL4S(m, n, d) WORD $(0x6E20DC00 | (m)<<16 | (n)<<5 | (d))
#define VFDIV4S(m, n, d) WORD $(0x6E20FC00 | (m)<<16 | (n)<<5 | (d))
#define VFMIN4S(m, n, d) WORD $(0x4EA0F400 | (m)<<16 | (n)<<5 | (d))
#define VFMAX4S(m, n, d) WORD $(0x4E20F400 | (m)<<16 | (n)<<5 | (d))
#define VFCMGT4S(m, n, d) WORD $(0x6EA0E400 | (m)<<16 | (n)<<5 | (d))
#define VFABS4S(n, d) WORD $(0x4EA0F800 | (n)<<5 | (d))
#define VFNEG4S(n, d) WORD $(0x6EA0F800 | (n)<<5 | (d))
#define VFMLAE4S(m, i, n, d) WORD $(0x4F801000 | ((i)&1)<<21 | (m)<<16 | ((i)>>1)<<11 | (n)<<5 | (d))

#endif
