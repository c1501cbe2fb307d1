//go:build gc && !purego && !noasm

package asm

// DotAVX2 is: for i := range x { s += x[i] * y[i] }; return s.
// len(y) ≥ len(x). Requires AVX2, FMA3.
//
//go:noescape
func DotAVX2(x, y []float32) float32

// AxpyAVX2 is: for i := range x { y[i] += alpha * x[i] }. len(y) ≥ len(x).
// Requires AVX2, FMA3.
//
//go:noescape
func AxpyAVX2(alpha float32, x, y []float32)

// GemvAVX2 is: for i := range y { s := dot(x, a[i*lda:][:len(x)]); if add
// { y[i] += s } else { y[i] = s } }. Requires AVX2, FMA3.
//
//go:noescape
func GemvAVX2(y, a []float32, lda int, x []float32, add bool)

// GemvPanelsAVX2 is: for i := range y { p, r := i/16, i%16; s := Σ_j
// a[p*stride+16*j+r] * x[j]; if add { y[i] += s } else { y[i] = s } }.
// Requires AVX2, FMA3.
//
//go:noescape
func GemvPanelsAVX2(y, a []float32, stride int, x []float32, add bool)

// DotAVX512 is DotAVX2 for AVX-512 F+BW+DQ+VL.
//
//go:noescape
func DotAVX512(x, y []float32) float32

// AxpyAVX512 is AxpyAVX2 for AVX-512 F+BW+DQ+VL.
//
//go:noescape
func AxpyAVX512(alpha float32, x, y []float32)

// GemvAVX512 is GemvAVX2 for AVX-512 F+BW+DQ+VL.
//
//go:noescape
func GemvAVX512(y, a []float32, lda int, x []float32, add bool)

// GemvPanelsAVX512 is GemvPanelsAVX2 for AVX-512 F+BW+DQ+VL.
//
//go:noescape
func GemvPanelsAVX512(y, a []float32, stride int, x []float32, add bool)
