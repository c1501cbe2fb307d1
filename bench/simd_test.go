//go:build goexperiment.simd && amd64

package bench

import (
	"math/rand/v2"
	"simd/archsimd"
	"testing"
	"unsafe"
)

func TestSIMDPackPanels(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, s := range peerShapes {
		a, _ := randMatrix(rng, s[0], s[1])
		data, stride := PackPanels(a)
		if stride != 16*a.Cols || len(data) != (a.Rows+15)/16*stride {
			t.Fatalf("%d×%d: stride %d, %d floats", a.Rows, a.Cols, stride, len(data))
		}
		if len(data) > 0 && uintptr(unsafe.Pointer(&data[0]))%64 != 0 {
			t.Errorf("%d×%d: data not 64-byte aligned", a.Rows, a.Cols)
		}
		for k, v := range data {
			p, j, r := k/stride, k%stride/16, k%16
			want := float32(0) // padding
			if i := 16*p + r; i < a.Rows {
				want = a.At(i, j)
			}
			if v != want {
				t.Fatalf("%d×%d: data[%d] = %g, want %g", a.Rows, a.Cols, k, v, want)
			}
		}
	}
}

func TestSIMDMatVec(t *testing.T) {
	if !archsimd.X86.AVX512() {
		t.Skip("CPU without AVX-512")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for _, s := range peerShapes {
		a, x := randMatrix(rng, s[0], s[1])
		data, stride := PackPanels(a)
		y := make([]float32, s[0]+1)
		y[s[0]] = 42
		SIMDMatVec(y[:s[0]], data, stride, x)
		checkMatVec(t, "simd", y, a, x)
		if y[s[0]] != 42 {
			t.Errorf("%d×%d: wrote past y", s[0], s[1])
		}
	}
}
