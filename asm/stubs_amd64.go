//go:build gc && !purego && !noasm

package asm

// The amd64 routines, by operation; each lives in <operation>_<isa>_amd64.s
// (the roofline probes are declared in roofline_amd64.go). AVX2 routines
// require AVX2 and FMA3, AVX-512 routines AVX-512 F+BW+DQ+VL.

// Dot: dot_avx2_amd64.s, dot_avx512_amd64.s.

// DotAVX2 is: for i := range x { s += x[i] * y[i] }; return s.
// len(y) ≥ len(x). Requires AVX2, FMA3.
//
//go:noescape
func DotAVX2(x, y []float32) float32

// DotAVX512 is: for i := range x { s += x[i] * y[i] }; return s.
// len(y) ≥ len(x). Requires AVX-512 F+BW+DQ+VL.
//
//go:noescape
func DotAVX512(x, y []float32) float32

// Axpy: axpy_avx2_amd64.s, axpy_avx512_amd64.s.

// AxpyAVX2 is: for i := range x { y[i] += alpha * x[i] }. len(y) ≥ len(x).
// Requires AVX2, FMA3.
//
//go:noescape
func AxpyAVX2(alpha float32, x, y []float32)

// AxpyAVX512 is: for i := range x { y[i] += alpha * x[i] }. len(y) ≥
// len(x). Requires AVX-512 F+BW+DQ+VL.
//
//go:noescape
func AxpyAVX512(alpha float32, x, y []float32)

// Gemv, row-major and packed: gemv_avx2_amd64.s, gemv_avx512_amd64.s. The
// packed products share their loop with the fused steps
// (panel_<isa>_amd64.h).

// GemvAVX2 is: for i := range y { s := dot(x, a[i*lda:][:len(x)]); if add
// { y[i] += s } else { y[i] = s } }. Requires AVX2, FMA3.
//
//go:noescape
func GemvAVX2(y, a []float32, lda int, x []float32, add bool)

// GemvAVX512 is: for i := range y { s := dot(x, a[i*lda:][:len(x)]); if add
// { y[i] += s } else { y[i] = s } }. Requires AVX-512 F+BW+DQ+VL.
//
//go:noescape
func GemvAVX512(y, a []float32, lda int, x []float32, add bool)

// GemvPanelsAVX2 is: for i := range y { k, r := i/16, i%16; s := Σ_j
// a[k*stride+j*cs+r] * x[j]; if add { y[i] += s } else { y[i] = s } }:
// blocks of 16 rows (the last may be partial) whose columns lie cs floats
// apart, cs ≥ 16; or, with cs = 8, one block of len(y) ≤ 8 rows whose
// columns lie 8 floats apart. A run of panels of h ≤ 16 rows is one call
// with cs = h; a panel of h > 16 rows is h/16 blocks with stride 16 and cs
// = h. Requires AVX2, FMA3.
//
//go:noescape
func GemvPanelsAVX2(y, a []float32, stride, cs int, x []float32, add bool)

// GemvPanelsAVX512 is: for i := range y { p, r := i/h, i%h; s := Σ_j
// a[p*stride+j*h+r] * x[j]; if add { y[i] += s } else { y[i] = s } }, for
// a run of panels of h rows streamed as geom says: h = geom&0xff (8, 16,
// 32, 64 or 128; only panels of 8 or 16 rows may be partial), streams
// (geom>>8)&0xf (4 with h = 16: four panels at a time), accumulators
// (geom>>12)&0xff (8 or 16) and prefetch distance in bytes geom>>20 (see
// kernels.Geometry). Requires AVX-512 F+BW+DQ+VL.
//
//go:noescape
func GemvPanelsAVX512(y, a []float32, stride int, x []float32, add bool, geom int)

// Gemm, packed, several vectors at once: gemm_avx2_amd64.s,
// gemm_avx512_amd64.s.

// GemmPanels4AVX2 is: for b := range 4 { GemvPanelsAVX2(y[b*ldy:][:rows], a,
// stride, cs, x[b*ldx:][:cols], add) }, loading each panel column once for
// the four products. Requires AVX2, FMA3.
//
//go:noescape
func GemmPanels4AVX2(y []float32, ldy, rows int, a []float32, stride, cs int, x []float32, ldx, cols int, add bool)

// GemmPanels4AVX512 is: for b := range 4 { GemvPanelsAVX512(y[b*ldy:][:rows],
// a, stride, x[b*ldx:][:cols], add, geom) }, loading each panel column once
// for the four products (the streams, accumulators and prefetch of geom
// are ignored). Requires AVX-512 F+BW+DQ+VL.
//
//go:noescape
func GemmPanels4AVX512(y []float32, ldy, rows int, a []float32, stride int, x []float32, ldx, cols int, add bool, geom int)

// GemmPanels2AVX512 is GemmPanels4AVX512 for two vectors: for b := range 2
// { GemvPanelsAVX512(y[b*ldy:][:rows], a, stride, x[b*ldx:][:cols], add,
// geom) }. Requires AVX-512 F+BW+DQ+VL.
//
//go:noescape
func GemmPanels2AVX512(y []float32, ldy, rows int, a []float32, stride int, x []float32, ldx, cols int, add bool, geom int)

// Activations: activation_avx2_amd64.s, activation_avx512_amd64.s, with
// the arithmetic in activation_<isa>_amd64.h, shared with the fused steps.

// TanhAVX2 is: for i := range src { dst[i] = tanh(src[i]) } within 4e-7,
// computed as kernels.TanhGeneric does. len(dst) ≥ len(src); dst may be src.
// Requires AVX2, FMA3.
//
//go:noescape
func TanhAVX2(dst, src []float32)

// TanhAVX512 is: for i := range src { dst[i] = tanh(src[i]) } within 4e-7,
// computed as kernels.TanhGeneric does. len(dst) ≥ len(src); dst may be src.
// Requires AVX512F.
//
//go:noescape
func TanhAVX512(dst, src []float32)

// SigmoidAVX2 is: for i := range src { dst[i] = 1 / (1 + exp(-src[i])) }
// within 4e-7, computed as kernels.SigmoidGeneric does. len(dst) ≥ len(src);
// dst may be src. Requires AVX2, FMA3.
//
//go:noescape
func SigmoidAVX2(dst, src []float32)

// SigmoidAVX512 is: for i := range src { dst[i] = 1 / (1 + exp(-src[i])) }
// within 4e-7, computed as kernels.SigmoidGeneric does. len(dst) ≥ len(src);
// dst may be src. Requires AVX512F.
//
//go:noescape
func SigmoidAVX512(dst, src []float32)

// Fused recurrent steps: step_avx2_amd64.s, step_avx512_amd64.s, the
// packed product of GemvPanels… with an epilogue.

// StepPanelsAVX2 is the fused recurrent step on packed blocks P
// (GemvPanelsAVX2 layout, columns cs floats apart), for i := range y, with
// s = (P·x)[i]:
//
//	if add { s += y[i] }
//	s = (s + xp[i]) + b[i]
//	mode 0 (RNN):       y[i] = tanh(s)
//	mode 1 (MGRU gate): y[i] = σ(s); y2[i] = y[i] * h[i]
//	mode 2 (MGRU out):  y[i] = h[i] + f[i]*(tanh(s) - h[i])
//
// with tanh and σ those of TanhAVX2 and SigmoidAVX2. Slices a mode does not
// use may be nil; the others need len(y) elements. Requires AVX2, FMA3.
//
//go:noescape
func StepPanelsAVX2(y, y2, a []float32, stride, cs int, x, h, f, xp, b []float32, mode int, add bool)

// StepPanelsAVX512 is the fused recurrent step on a run of packed panels P
// (GemvPanelsAVX512 layout and geom), for i := range y, with s = (P·x)[i]:
//
//	if add { s += y[i] }
//	s = (s + xp[i]) + b[i]
//	mode 0 (RNN):       y[i] = tanh(s)
//	mode 1 (MGRU gate): y[i] = σ(s); y2[i] = y[i] * h[i]
//	mode 2 (MGRU out):  y[i] = h[i] + f[i]*(tanh(s) - h[i])
//
// with tanh and σ the division-free forms of activation_avx512_amd64.h
// (TANHF_AVX512, SIGMOIDF_AVX512): within the 4e-7 of TanhAVX512 and
// SigmoidAVX512, not their bits. Slices a mode does not use may be nil;
// the others need len(y) elements. Requires AVX-512 F+BW+DQ+VL.
//
//go:noescape
func StepPanelsAVX512(y, y2, a []float32, stride int, x, h, f, xp, b []float32, mode int, add bool, geom int)

// Tiled products: tiles_avx2_amd64.s, tiles_avx512_amd64.s.

// GemvTilesAVX2 is: for i := range y { p, r := i/16, i%16; s := Σ_j
// a[p*stride+256*(j/16)+16*r+j%16] * x[j]; if add { y[i] += s } else {
// y[i] = s } }, for len(y) a multiple of 16: panels of 16 rows in tiles of
// 16 columns, each tile row by row, the last tile zero-padded (see
// kernels.Geometry.Tiles). Requires AVX2, FMA3.
//
//go:noescape
func GemvTilesAVX2(y, a []float32, stride int, x []float32, add bool)

// GemvTilesAVX512 is GemvTilesAVX2 for AVX-512. Requires AVX-512
// F+BW+DQ+VL.
//
//go:noescape
func GemvTilesAVX512(y, a []float32, stride int, x []float32, add bool)

// GemmTiles4AVX512 is: for b := range 4 { GemvTilesAVX512(y[b*ldy:][:rows],
// a, stride, x[b*ldx:][:cols], add) }, loading each tile once for the four
// products. Requires AVX-512 F+BW+DQ+VL.
//
//go:noescape
func GemmTiles4AVX512(y []float32, ldy, rows int, a []float32, stride int, x []float32, ldx, cols int, add bool)

// GemmTiles2AVX512 is GemmTiles4AVX512 for two vectors. Requires AVX-512
// F+BW+DQ+VL.
//
//go:noescape
func GemmTiles2AVX512(y []float32, ldy, rows int, a []float32, stride int, x []float32, ldx, cols int, add bool)

// Gated steps, PyTorch's GRU and LSTM cells: step_gru_avx2_amd64.s,
// step_lstm_avx2_amd64.s and their avx512 peers, the packed product of
// GemvPanels… over gate-interleaved rows (block k holds the G gates of
// units 16k…16k+15 as interleaved rows 16·(Gk) … 16·(Gk+G)−1) with the
// gates' epilogue. The interleaved rows lie in panels of ph rows (16, or
// 32, 64, 128), each holding ph/16 consecutive chunks of sixteen: the AVX2
// routines take ph, the AVX-512 ones the geometry geom (as
// GemvPanelsAVX512 takes it). len(y) is a multiple of 16, and G·len(y)
// one of ph; xp and b hold gate g's rows at g*ld.

// GemvGatesAVX512 is GemvPanelsAVX512 over the gate-interleaved rows of
// gates gates of ld rows each (len(y) = gates*ld, ld a multiple of 16),
// in panels of geom, with y in the gates' row order: for each interleaved
// row t, with k, g, l := t/16/gates, t/16%gates, t%16 and s its sum,
// y[g*ld+16*k+l] = s, or += s with add. Requires AVX-512 F+BW+DQ+VL.
//
//go:noescape
func GemvGatesAVX512(y, a []float32, stride int, x []float32, ld, gates int, add bool, geom int)

// GRUStepPanelsAVX2 is, for i := range y, with k, l := i/16, i%16, t :=
// 16*(3*k+g)+l the interleaved row and s[g] := Σ_j
// a[(t/ph)*stride+ph*j+t%ph] * x[j]:
//
//	u0, u1, u2 := s[0]+b[i], s[1]+b[ld+i], s[2]+b[2*ld+i]
//	r, z := σ(u0+xp[i]), σ(u1+xp[ld+i])
//	n := tanh(fma(r, u2, xp[2*ld+i]))
//	y[i] = fma(z, h[i]-n, n)
//
// with tanh and σ those of TanhAVX2 and SigmoidAVX2. Requires AVX2, FMA3.
//
//go:noescape
func GRUStepPanelsAVX2(y, a []float32, stride int, x, h, xp, b []float32, ld, ph int)

// GRUStepPanelsAVX512 is GRUStepPanelsAVX2 with the tanh and σ of
// StepPanelsAVX512 (within 4e-7, division-free), ph the panel height of
// geom. Requires
// AVX-512 F+BW+DQ+VL.
//
//go:noescape
func GRUStepPanelsAVX512(y, a []float32, stride int, x, h, xp, b []float32, ld int, geom int)

// LSTMStepPanelsAVX2 is, for i := range y, with k, l := i/16, i%16, t :=
// 16*(4*k+q)+l the interleaved row, s[q] := Σ_j
// a[(t/ph)*stride+ph*j+t%ph] * x[j] and a[q] := (s[q]+b[q*ld+i]) +
// xp[q*ld+i]:
//
//	in, f, g, o := σ(a[0]), σ(a[1]), tanh(a[2]), σ(a[3])
//	c2[i] = fma(f, c[i], in*g)
//	y[i] = o * tanh(c2[i])
//
// with tanh and σ those of TanhAVX2 and SigmoidAVX2. Requires AVX2, FMA3.
//
//go:noescape
func LSTMStepPanelsAVX2(y, c2, a []float32, stride int, x, c, xp, b []float32, ld, ph int)

// LSTMStepPanelsAVX512 is LSTMStepPanelsAVX2 with the tanh and σ of
// StepPanelsAVX512 (within 4e-7, division-free), ph the panel height of
// geom. Requires
// AVX-512 F+BW+DQ+VL.
//
//go:noescape
func LSTMStepPanelsAVX512(y, c2, a []float32, stride int, x, c, xp, b []float32, ld int, geom int)

// Quantized products, int8 (kernels.PackedInt8): gemv_int8_avx512_amd64.s,
// gemv_int8_avx2_amd64.s, with the panel products of
// panel_int8_<isa>_amd64.h. Each quantizes x into its own frame, so
// len(x) ≤ 4096 (kernels.MaxQuantCols). With u = 127 + v, v the quantized
// x (see kernels/quant.go), each is, for i := range y, p, r := i/16, i%16:
//
//	acc := Σ_j a[p*stride+64*(j/4)+4*r+j%4] * u[j] − bias[i]  // int32
//	s := float32(acc) * scale[i] * d
//	if add { y[i] += s } else { y[i] = s }
//
// with (inv, d) = (127, 1/127), or from max |x| when dyn. scale and bias
// hold a whole number of 16-row panels.

// GemvInt8AVX512VNNI is the int8 product above with VPDPBUSD, reading
// four panels at a time, or one (a single stream) where streams is 1: the
// integer sums, so the results, are the same. Requires AVX-512
// F+BW+DQ+VL, AVX512_VNNI.
//
//go:noescape
func GemvInt8AVX512VNNI(y []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn, add bool, streams int)

// GemvInt8AVX512 is the int8 product above with VPMADDUBSW and VPMADDWD,
// streams as GemvInt8AVX512VNNI's. Requires AVX-512 F+BW+DQ+VL.
//
//go:noescape
func GemvInt8AVX512(y []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn, add bool, streams int)

// GemvInt8AVXVNNI is the int8 product above with the VEX-encoded VPDPBUSD.
// Requires AVX2, AVX-VNNI.
//
//go:noescape
func GemvInt8AVXVNNI(y []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn, add bool)

// GemvInt8AVX2 is the int8 product above with VPMADDUBSW and VPMADDWD.
// Requires AVX2.
//
//go:noescape
func GemvInt8AVX2(y []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn, add bool)

// Quantized products, bf16 (kernels.PackedBF16): gemv_bf16_avx512_amd64.s,
// gemv_bf16_avx2_amd64.s, with the panel products of
// panel_bf16_<isa>_amd64.h. Each rounds x to bf16 into its own frame, so
// len(x) ≤ 4096 (kernels.MaxQuantCols), and is, for i := range y,
// p, r := i/16, i%16, with w(j) = a[p*stride+32*(j/2)+2*r+j%2] widened and
// acc[0..3] = 0:
//
//	for k := range ⌈len(x)/2⌉ {
//		acc[k%4] = fma(w(2k+1), bf16(x[2k+1]), acc[k%4])
//		acc[k%4] = fma(w(2k), bf16(x[2k]), acc[k%4])
//	}
//	s := (acc[0] + acc[1]) + (acc[2] + acc[3])
//	if add { y[i] += s } else { y[i] = s }
//
// (see kernels/bf16.go for bf16 rounding and why FMAs reproduce
// VDPBF16PS).

// GemvBF16AVX512BF16 is the bf16 product above with VDPBF16PS. Requires
// AVX-512 F+BW+DQ+VL, AVX512_BF16.
//
//go:noescape
func GemvBF16AVX512BF16(y []float32, a []uint16, stride int, x []float32, add bool)

// GemvBF16AVX512 is the bf16 product above with FMAs. Requires AVX-512
// F+BW+DQ+VL.
//
//go:noescape
func GemvBF16AVX512(y []float32, a []uint16, stride int, x []float32, add bool)

// GemvBF16TallAVX512BF16 is GemvBF16AVX512BF16 on panels of 64 rows:
// pair k of panel p is the 128 elements at p*stride+128*k, and the block
// of its rows 16b..16b+15 the 32 at 32*b in them, in the layout of a
// 16-row panel's pair. The sums are those of the 16-row layout, bit for
// bit. Requires AVX-512 F+BW+DQ+VL, AVX512_BF16.
//
//go:noescape
func GemvBF16TallAVX512BF16(y []float32, a []uint16, stride int, x []float32, add bool)

// GemvBF16TallAVX512 is GemvBF16TallAVX512BF16 with FMAs. Requires
// AVX-512 F+BW+DQ+VL.
//
//go:noescape
func GemvBF16TallAVX512(y []float32, a []uint16, stride int, x []float32, add bool)

// GemvBF16AVX2 is the bf16 product above with FMAs. Requires AVX2, FMA3.
//
//go:noescape
func GemvBF16AVX2(y []float32, a []uint16, stride int, x []float32, add bool)

// Batched bf16 products, four vectors at once: gemm_bf16_avx512_amd64.s.

// GemmBF16x4AVX512BF16 is: for b := range 4 { y[b*ldy:][:rows] (+)= the
// bf16 product above of a, in panels of h rows (16, or 64 as
// GemvBF16TallAVX512BF16 reads them), with x[b*ldx:][:cols] }, loading
// each pair of weights once for the four vectors: the same bits as four
// GemvBF16AVX512BF16 or GemvBF16TallAVX512BF16 calls. Requires AVX-512
// F+BW+DQ+VL, AVX512_BF16.
//
//go:noescape
func GemmBF16x4AVX512BF16(y []float32, ldy, rows int, a []uint16, stride, h int, x []float32, ldx, cols int, add bool)

// GemmBF16x4AVX512 is GemmBF16x4AVX512BF16 with FMAs. Requires AVX-512
// F+BW+DQ+VL.
//
//go:noescape
func GemmBF16x4AVX512(y []float32, ldy, rows int, a []uint16, stride, h int, x []float32, ldx, cols int, add bool)

// Batched int8 products, four vectors at once: gemm_int8_avx512_amd64.s.

// GemmInt8x4AVX512VNNI is: for b := range 4 { GemvInt8AVX512VNNI(y[b*ldy:][:rows],
// a, stride, scale, bias, x[b*ldx:][:cols], dyn, add) }, each vector
// quantized with its own scales, loading each group of weights once for
// the four. Requires AVX-512 F+BW+DQ+VL, AVX512_VNNI.
//
//go:noescape
func GemmInt8x4AVX512VNNI(y []float32, ldy, rows int, a []int8, stride int, scale []float32, bias []int32, x []float32, ldx, cols int, dyn, add bool)

// GemmInt8x4AVX512 is GemmInt8x4AVX512VNNI with VPMADDUBSW and VPMADDWD.
// Requires AVX-512 F+BW+DQ+VL.
//
//go:noescape
func GemmInt8x4AVX512(y []float32, ldy, rows int, a []int8, stride int, scale []float32, bias []int32, x []float32, ldx, cols int, dyn, add bool)

// Fused quantized recurrent steps: step_int8_avx512_amd64.s, the int8
// product above with the epilogue of StepPanelsAVX512 (mode 0: RNN, 1:
// MGRU gate, 2: MGRU output) applied to its rows in registers.

// StepInt8AVX512VNNI is the fused step on a PackedInt8 product s =
// GemvInt8AVX512VNNI's (dyn as there): if add { s += y[i] }; s = (s +
// xp[i]) + b[i]; then the mode's epilogue, as StepPanelsAVX512; streams
// as GemvInt8AVX512VNNI's. Requires AVX-512 F+BW+DQ+VL, AVX512_VNNI.
//
//go:noescape
func StepInt8AVX512VNNI(y, y2 []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn bool, h, f, xp, b []float32, mode int, add bool, streams int)

// StepInt8AVX512 is StepInt8AVX512VNNI with VPMADDUBSW and VPMADDWD.
// Requires AVX-512 F+BW+DQ+VL.
//
//go:noescape
func StepInt8AVX512(y, y2 []float32, a []int8, stride int, scale []float32, bias []int32, x []float32, dyn bool, h, f, xp, b []float32, mode int, add bool, streams int)
