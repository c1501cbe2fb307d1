//go:build gc && !purego && !noasm

package asm

// The arm64 routines, by operation; each lives in <operation>_neon_arm64.s.
// Advanced SIMD (NEON) is mandatory in AArch64: nothing needs a check.

// Dot: dot_neon_arm64.s.

// DotNEON is: for i := range x { s += x[i] * y[i] }; return s.
// len(y) ≥ len(x).
//
//go:noescape
func DotNEON(x, y []float32) float32

// Axpy: axpy_neon_arm64.s.

// AxpyNEON is: for i := range x { y[i] += alpha * x[i] }. len(y) ≥ len(x).
//
//go:noescape
func AxpyNEON(alpha float32, x, y []float32)

// Gemv, row-major and packed: gemv_neon_arm64.s. The packed product shares
// its loop with the fused step (panel_neon_arm64.h).

// GemvNEON is: for i := range y { s := dot(x, a[i*lda:][:len(x)]); if add
// { y[i] += s } else { y[i] = s } }.
//
//go:noescape
func GemvNEON(y, a []float32, lda int, x []float32, add bool)

// GemvPanelsNEON is: for i := range y { k, r := i/16, i%16; s := Σ_j
// a[k*stride+j*cs+r] * x[j]; if add { y[i] += s } else { y[i] = s } }:
// blocks of 16 rows (the last may be partial) whose columns lie cs floats
// apart, cs ≥ 16; or, with cs = 8, one block of len(y) ≤ 8 rows whose
// columns lie 8 floats apart (see GemvPanelsAVX2). Requires ASIMD.
//
//go:noescape
func GemvPanelsNEON(y, a []float32, stride, cs int, x []float32, add bool)

// Activations: activation_neon_arm64.s, with the arithmetic in
// activation_neon_arm64.h, shared with the fused step.

// TanhNEON is: for i := range src { dst[i] = tanh(src[i]) } within 4e-7,
// computed as kernels.TanhGeneric does. len(dst) ≥ len(src); dst may be src.
//
//go:noescape
func TanhNEON(dst, src []float32)

// SigmoidNEON is: for i := range src { dst[i] = 1 / (1 + exp(-src[i])) }
// within 4e-7, computed as kernels.SigmoidGeneric does. len(dst) ≥ len(src);
// dst may be src.
//
//go:noescape
func SigmoidNEON(dst, src []float32)

// Fused recurrent step: step_neon_arm64.s, the packed product of
// GemvPanelsNEON with an epilogue.

// StepPanelsNEON is the fused recurrent step on packed blocks P
// (GemvPanelsNEON layout, columns cs floats apart), for i := range y, with
// s = (P·x)[i]:
//
//	if add { s += y[i] }
//	s = (s + xp[i]) + b[i]
//	mode 0 (RNN):       y[i] = tanh(s)
//	mode 1 (MGRU gate): y[i] = σ(s); y2[i] = y[i] * h[i]
//	mode 2 (MGRU out):  y[i] = h[i] + f[i]*(tanh(s) - h[i])
//
// with tanh and σ those of TanhNEON and SigmoidNEON. Slices a mode does not
// use may be nil; the others need len(y) elements.
//
//go:noescape
func StepPanelsNEON(y, y2, a []float32, stride, cs int, x, h, f, xp, b []float32, mode int, add bool)

// Tiled products: tiles_neon_arm64.s.

// GemvTilesNEON is: for i := range y { p, r := i/16, i%16; s := Σ_j
// a[p*stride+256*(j/16)+16*r+j%16] * x[j]; if add { y[i] += s } else {
// y[i] = s } }, for len(y) a multiple of 16: panels of 16 rows in tiles of
// 16 columns, each tile row by row, the last tile zero-padded (see
// kernels.Geometry.Tiles). Requires ASIMD.
//
//go:noescape
func GemvTilesNEON(y, a []float32, stride int, x []float32, add bool)

// Gated steps, PyTorch's GRU and LSTM cells: step_gates_neon_arm64.s, the
// packed product of GemvPanelsNEON over gate-interleaved panels (block k
// holds the G gates of units 16k…16k+15 as panels Gk … Gk+G−1) with the
// gates' epilogue. len(y) is a multiple of 16; xp and b hold gate g's rows
// at g*ld.

// GRUStepPanelsNEON is, for i := range y, with k, l := i/16, i%16 and
// s[g] := Σ_j a[(3*k+g)*stride+16*j+l] * x[j]:
//
//	u0, u1, u2 := s[0]+b[i], s[1]+b[ld+i], s[2]+b[2*ld+i]
//	r, z := σ(u0+xp[i]), σ(u1+xp[ld+i])
//	n := tanh(fma(r, u2, xp[2*ld+i]))
//	y[i] = fma(z, h[i]-n, n)
//
// with tanh and σ those of TanhNEON and SigmoidNEON.
//
//go:noescape
func GRUStepPanelsNEON(y, a []float32, stride int, x, h, xp, b []float32, ld int)

// LSTMStepPanelsNEON is, for i := range y, with k, l := i/16, i%16 and
// s[q] := Σ_j a[(4*k+q)*stride+16*j+l] * x[j], a[q] := (s[q]+b[q*ld+i]) +
// xp[q*ld+i]:
//
//	in, f, g, o := σ(a[0]), σ(a[1]), tanh(a[2]), σ(a[3])
//	c2[i] = fma(f, c[i], in*g)
//	y[i] = o * tanh(c2[i])
//
// with tanh and σ those of TanhNEON and SigmoidNEON.
//
//go:noescape
func LSTMStepPanelsNEON(y, c2, a []float32, stride int, x, c, xp, b []float32, ld int)

// Quantized products, int8 (kernels.PackedInt8): gemv_int8_neon_arm64.s,
// with the panel product of panel_int8_neon_arm64.h. Each quantizes x into
// its own frame, so len(x) ≤ 4096 (kernels.MaxQuantCols). With v the
// quantized x (see kernels/quant.go), each is, for i := range y,
// p, r := i/16, i%16:
//
//	acc := Σ_j a[p*stride+64*(j/4)+4*r+j%4] * v[j]  // int32
//	s := float32(acc) * scale[i] * d
//	if add { y[i] += s } else { y[i] = s }
//
// with (inv, d) = (127, 1/127), or from max |x| when dyn. scale holds a
// whole number of 16-row panels; bias (the x86 kernels' offset correction)
// is not read.

// GemvInt8NEONDot is the int8 product above with SDOT. Requires ASIMDDP
// (FEAT_DotProd).
//
//go:noescape
func GemvInt8NEONDot(y []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn, add bool)

// GemvInt8NEON is the int8 product above with SMULL, SMLAL and SADALP.
//
//go:noescape
func GemvInt8NEON(y []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn, add bool)

// Quantized products, bf16 (kernels.PackedBF16): gemv_bf16_neon_arm64.s,
// with the panel product of panel_bf16_neon_arm64.h.

// GemvBF16NEON rounds x to bf16 into its own frame (len(x) ≤ 4096) and is,
// for i := range y, p, r := i/16, i%16, with w(j) =
// a[p*stride+32*(j/2)+2*r+j%2] widened and acc[0..3] = 0:
//
//	for k := range ⌈len(x)/2⌉ {
//		acc[k%4] = fma(w(2k+1), bf16(x[2k+1]), acc[k%4])
//		acc[k%4] = fma(w(2k), bf16(x[2k]), acc[k%4])
//	}
//	s := (acc[0] + acc[1]) + (acc[2] + acc[3])
//	if add { y[i] += s } else { y[i] = s }
//
// the bits of AVX512_BF16's VDPBF16PS (see kernels/bf16.go).
//
//go:noescape
func GemvBF16NEON(y []float32, a []uint16, stride int, x []float32, add bool)
