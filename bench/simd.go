//go:build goexperiment.simd && amd64

package bench

// The simd peer: the packed-panel matrix–vector product of package kernels,
// written in Go with the experimental simd/archsimd package (Go 1.26,
// GOEXPERIMENT=simd, amd64) instead of assembly, to show what the compiler
// makes of the same algorithm.
//
//	GOEXPERIMENT=simd go test ./bench -run SIMD
//	GOEXPERIMENT=simd go test ./bench -run '^$' -bench 'MatVec/impl=simd'

import (
	"errors"
	"fmt"
	"simd/archsimd"
	"unsafe"

	"github.com/lowrank-rnn/lowrank/kernels"
)

func init() {
	peerInits = append(peerInits, func() Peer {
		p := Peer{Name: "simd", Info: "simd/archsimd Float32x16, packed panels of 16 rows"}
		if !archsimd.X86.AVX512() {
			p.Err = errors.New("simd: the archsimd kernel needs AVX-512 (F+CD+BW+DQ+VL)")
			return p
		}
		p.Prepare = func(a kernels.Matrix) func(y, x []float32) {
			data, stride := PackPanels(a)
			return func(y, x []float32) { SIMDMatVec(y, data, stride, x) }
		}
		return p
	})
}

// PackPanels returns a in the packed layout of kernels.Packed (which keeps
// its data to itself): rows in panels of kernels.PanelRows, the last padded
// with zeros; each panel column by column, so that column j of panel p is
// the 16 floats data[p*stride+16*j:][:16]; stride = 16*a.Cols. The data
// starts on a 64-byte boundary, as in kernels.
func PackPanels(a kernels.Matrix) (data []float32, stride int) {
	const pr = kernels.PanelRows
	stride = a.Cols * pr
	n := (a.Rows + pr - 1) / pr * stride
	buf := make([]float32, n+16)
	off := 0
	if mis := uintptr(unsafe.Pointer(unsafe.SliceData(buf))) % 64; mis != 0 {
		off = int(64-mis) / 4
	}
	data = buf[off : off+n : off+n]
	for i := range a.Rows {
		panel := data[i/pr*stride:]
		for j, v := range a.Row(i) {
			panel[j*pr+i%pr] = v
		}
	}
	return data, stride
}

// SIMDMatVec sets y = A·x, where a holds the len(y)×len(x) matrix A in the
// layout of PackPanels with panel stride stride. It is: for i := range y {
// p, r := i/16, i%16; y[i] = Σ_j a[p*stride+16*j+r] * x[j] }. It panics on
// inconsistent sizes, or if the CPU lacks AVX-512.
func SIMDMatVec(y, a []float32, stride int, x []float32) {
	npanels := (len(y) + 15) / 16
	switch {
	case !archsimd.X86.AVX512():
		panic("bench: SIMDMatVec needs AVX-512")
	case stride < 16*len(x):
		panic(fmt.Sprintf("bench: SIMDMatVec: panel stride %d < 16×%d columns", stride, len(x)))
	case npanels > 0 && len(a) < (npanels-1)*stride+16*len(x):
		panic(fmt.Sprintf("bench: SIMDMatVec: %d panels of stride %d need %d floats, a has %d",
			npanels, stride, (npanels-1)*stride+16*len(x), len(a)))
	}
	simdGemvPanels(y, a, stride, x)
	archsimd.ClearAVXUpperBits()
}

// simdGemvPanels is the kernel of SIMDMatVec, the algorithm of
// asm.GemvPanelsAVX512: four panels (64 rows) at a time, each column's
// x[j] broadcast into the accumulators of the four panels, even and odd
// columns in separate accumulators (eight independent FMA chains); then
// single panels with four column phases. The loops re-slice the panels
// as they go so the compiler can drop the bounds checks.
func simdGemvPanels(y, a []float32, stride int, x []float32) {
	cols := len(x)
	w := 16 * cols // floats of one panel
	i := 0
	for ; i+64 <= len(y); i += 64 {
		base := i / 16 * stride
		p0 := a[base:][:w]
		p1 := a[base+stride:][:w]
		p2 := a[base+2*stride:][:w]
		p3 := a[base+3*stride:][:w]
		var s0, s1, s2, s3, t0, t1, t2, t3 archsimd.Float32x16
		xs := x
		for len(xs) >= 2 && len(p0) >= 32 && len(p1) >= 32 && len(p2) >= 32 && len(p3) >= 32 {
			b := archsimd.BroadcastFloat32x16(xs[0])
			c := archsimd.BroadcastFloat32x16(xs[1])
			s0 = archsimd.LoadFloat32x16Slice(p0).MulAdd(b, s0)
			s1 = archsimd.LoadFloat32x16Slice(p1).MulAdd(b, s1)
			s2 = archsimd.LoadFloat32x16Slice(p2).MulAdd(b, s2)
			s3 = archsimd.LoadFloat32x16Slice(p3).MulAdd(b, s3)
			t0 = archsimd.LoadFloat32x16Slice(p0[16:]).MulAdd(c, t0)
			t1 = archsimd.LoadFloat32x16Slice(p1[16:]).MulAdd(c, t1)
			t2 = archsimd.LoadFloat32x16Slice(p2[16:]).MulAdd(c, t2)
			t3 = archsimd.LoadFloat32x16Slice(p3[16:]).MulAdd(c, t3)
			xs, p0, p1, p2, p3 = xs[2:], p0[32:], p1[32:], p2[32:], p3[32:]
		}
		if len(xs) == 1 {
			b := archsimd.BroadcastFloat32x16(xs[0])
			s0 = archsimd.LoadFloat32x16Slice(p0).MulAdd(b, s0)
			s1 = archsimd.LoadFloat32x16Slice(p1).MulAdd(b, s1)
			s2 = archsimd.LoadFloat32x16Slice(p2).MulAdd(b, s2)
			s3 = archsimd.LoadFloat32x16Slice(p3).MulAdd(b, s3)
		}
		s0.Add(t0).StoreSlice(y[i:])
		s1.Add(t1).StoreSlice(y[i+16:])
		s2.Add(t2).StoreSlice(y[i+32:])
		s3.Add(t3).StoreSlice(y[i+48:])
	}
	for ; i < len(y); i += 16 {
		p := a[i/16*stride:][:w]
		var s0, s1, s2, s3 archsimd.Float32x16
		xs := x
		for len(xs) >= 4 && len(p) >= 64 {
			s0 = archsimd.LoadFloat32x16Slice(p).MulAdd(archsimd.BroadcastFloat32x16(xs[0]), s0)
			s1 = archsimd.LoadFloat32x16Slice(p[16:]).MulAdd(archsimd.BroadcastFloat32x16(xs[1]), s1)
			s2 = archsimd.LoadFloat32x16Slice(p[32:]).MulAdd(archsimd.BroadcastFloat32x16(xs[2]), s2)
			s3 = archsimd.LoadFloat32x16Slice(p[48:]).MulAdd(archsimd.BroadcastFloat32x16(xs[3]), s3)
			xs, p = xs[4:], p[64:]
		}
		for len(xs) >= 1 && len(p) >= 16 {
			s0 = archsimd.LoadFloat32x16Slice(p).MulAdd(archsimd.BroadcastFloat32x16(xs[0]), s0)
			xs, p = xs[1:], p[16:]
		}
		s0.Add(s1).Add(s2.Add(s3)).StoreSlicePart(y[i:])
	}
}
