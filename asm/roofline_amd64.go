//go:build gc && !purego && !noasm

package asm

// The roofline probes: loops that run one resource of the core flat out, so
// that the benchmark suite can say what fraction of the machine a kernel
// uses. They compute nothing useful; the sums they return only keep the
// work observable.

// FMAChains is the number of independent multiply-add chains the FMAPeak…
// probes run. Two FMA pipes with a latency of four or five cycles need eight
// to ten chains in flight; twelve leave a margin.
const FMAChains = 12

// FMAPeakAVX512 is: for range iters { for c := range FMAChains { acc[c] +=
// 1 * 1 } } on vectors of 16 float32, that is iters*FMAChains fused
// multiply-adds (VFMADD231PS) of 16 lanes, 32*FMAChains flops per iteration.
// Requires AVX512F.
//
//go:noescape
func FMAPeakAVX512(iters int)

// ReadAVX512 is: for range passes { for i := range buf { s += buf[i] } };
// return s, summed in eight 16-lane accumulators (so the order of the
// additions differs from the loop). It streams buf from memory passes times,
// eight 64-byte loads per iteration. Requires AVX512F.
//
//go:noescape
func ReadAVX512(buf []float32, passes int) float32

// FMAPeakAVX2 is FMAPeakAVX512 on vectors of 8 float32 (16*FMAChains flops
// per iteration). Requires AVX2, FMA3.
//
//go:noescape
func FMAPeakAVX2(iters int)

// ReadAVX2 is ReadAVX512 with eight 32-byte loads per iteration. Requires
// AVX2.
//
//go:noescape
func ReadAVX2(buf []float32, passes int) float32

// Read4AVX512 is ReadAVX512 with another order: the four quarters of buf
// (each a multiple of 32 floats; the floats after them last) read at once,
// four interleaved streams, as a four-stream panel product reads its
// panels; a working set just above L1 reads faster so. Requires AVX512F.
//
//go:noescape
func Read4AVX512(buf []float32, passes int) float32

// Read4AVX2 is Read4AVX512 with YMM loads (quarters a multiple of 16
// floats). Requires AVX2.
//
//go:noescape
func Read4AVX2(buf []float32, passes int) float32
