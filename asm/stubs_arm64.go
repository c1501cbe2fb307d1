//go:build gc && !purego && !noasm

package asm

// DotNEON is: for i := range x { s += x[i] * y[i] }; return s.
// len(y) ≥ len(x).
//
//go:noescape
func DotNEON(x, y []float32) float32

// AxpyNEON is: for i := range x { y[i] += alpha * x[i] }. len(y) ≥ len(x).
//
//go:noescape
func AxpyNEON(alpha float32, x, y []float32)

// GemvNEON is: for i := range y { s := dot(x, a[i*lda:][:len(x)]); if add
// { y[i] += s } else { y[i] = s } }.
//
//go:noescape
func GemvNEON(y, a []float32, lda int, x []float32, add bool)

// GemvPanelsNEON is: for i := range y { p, r := i/16, i%16; s := Σ_j
// a[p*stride+16*j+r] * x[j]; if add { y[i] += s } else { y[i] = s } }.
//
//go:noescape
func GemvPanelsNEON(y, a []float32, stride int, x []float32, add bool)

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
