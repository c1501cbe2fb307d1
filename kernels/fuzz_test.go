package kernels

import (
	"encoding/binary"
	"math"
	"testing"
)

// fuzzSource reads operand values from fuzz bytes, 4 at a time, cycling
// when it runs out. A 4-byte word keeps its sign and mantissa, and its
// exponent is folded into [2⁻²⁰, 2²¹) (a zero exponent field gives 0): no
// NaN, Inf or subnormal, and no overflow or underflow in any product or sum
// of the bounded sizes below, so the rounding bound of errC applies. Folding
// rather than rejecting out-of-range words keeps every input useful to the
// fuzzer.
type fuzzSource struct {
	data []byte
	i    int
}

func (s *fuzzSource) next() float32 {
	if len(s.data) == 0 {
		return 0
	}
	var b [4]byte
	for k := range b {
		b[k] = s.data[(s.i+k)%len(s.data)]
	}
	s.i = (s.i + 4) % len(s.data)
	bits := binary.LittleEndian.Uint32(b[:])
	e := bits >> 23 & 0xff
	if e == 0 {
		return 0
	}
	e = 127 - 20 + e%41
	v := math.Float32frombits(bits&0x807fffff | e<<23)
	if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || math.Abs(float64(v)) >= 1<<21 {
		panic("fuzzSource: value out of range") // unreachable by construction
	}
	return v
}

// FuzzKernels runs every operation on fuzzer-chosen sizes (rows < 161, cols
// < 81, rank < 41, batch = rank mod 10), layouts, geometries and values, on
// every available target, and checks each
// result against the float64 reference within the errC bound and against the
// go target (the …Generic reference) within twice that bound, both being
// within the bound of the exact result.
//
//	go test -run='^$' -fuzz=FuzzKernels ./kernels
func FuzzKernels(f *testing.F) {
	words := func(vs ...float32) []byte {
		b := make([]byte, 0, 4*len(vs))
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		return b
	}
	f.Add(uint8(0), uint8(0), uint8(0), uint8(0), []byte(nil))
	f.Add(uint8(1), uint8(1), uint8(1), uint8(0), words(1.5))
	f.Add(uint8(3), uint8(5), uint8(2), uint8(0x35), words(1, -2, 3.25, -0.125, 1e3, 7))
	f.Add(uint8(16), uint8(16), uint8(16), uint8(0xff), words(0.1, -0.2, 0.3, 1e-5, -1e5))
	f.Add(uint8(17), uint8(33), uint8(15), uint8(0x9c), words(-1, 0, 2, 0, 1e-3, -5e4, 3))
	f.Add(uint8(65), uint8(64), uint8(17), uint8(0x41), []byte("the quick brown fox jumps over the lazy dog"))
	f.Add(uint8(80), uint8(9), uint8(40), uint8(0x07), words(1e6, -1e6, 1, -1, 1e-6))
	f.Add(uint8(7), uint8(80), uint8(33), uint8(0xe2), words(3, 3, 3, -3))

	f.Fuzz(func(t *testing.T, rows, cols, rank, place uint8, data []byte) {
		n, m, r := int(rows)%161, int(cols)%81, int(rank)%41
		ng := len(testGeometries)
		l := layout{
			offA: int(place & 15), offB: int(place>>4) ^ 5,
			offX: int(place>>2) & 15, offY: int(place >> 4),
			gap: int(place % 7),
			gA:  testGeometries[(int(place>>3)+int(rows))%ng], gB: vGeometries[(int(rank)+int(cols))%len(vGeometries)],
		}
		targets := availableTargets(t)
		type key struct{ run, op string }
		outs := map[string]map[key]result{}
		for _, target := range targets {
			restore, err := Use(target)
			if err != nil {
				t.Fatalf("Use(%q): %v", target, err)
			}
			c := &checker{t: t}
			o := map[key]result{}
			// The same values for every target: a fresh source each time.
			for op, res := range runVecCase(c, &fuzzSource{data: data}, m, l) {
				o[key{"vec", op}] = res
			}
			for op, res := range runMatVecCase(c, &fuzzSource{data: data}, n, m, l) {
				o[key{"mat", op}] = res
			}
			for op, res := range runLowRankCase(c, &fuzzSource{data: data}, n, m, r, l) {
				o[key{"lowrank", op}] = res
			}
			for op, res := range runBatchCase(c, &fuzzSource{data: data}, n, m, r%10, l) {
				o[key{"batch", op}] = res
			}
			restore()
			outs[target] = o
		}
		ref := outs["go"]
		for _, target := range targets {
			if target == "go" {
				continue
			}
			for k, got := range outs[target] {
				want, ok := ref[k]
				if !ok {
					continue // the go target failed here and said so
				}
				for i, g := range got.got {
					b := 2 * want.ref.bound(i)
					d := math.Abs(float64(g) - float64(want.got[i]))
					if !(d <= b) {
						t.Errorf("[target %s vs go] %s %d×%d rank %d (%v): y[%d] = %v, go gives %v ± %.3g (|diff| = %.3g)",
							target, k.op, n, m, r, l, i, g, want.got[i], b, d)
						break
					}
				}
			}
			for k := range ref {
				if _, ok := outs[target][k]; !ok {
					t.Errorf("[target %s] %s %d×%d rank %d: no result where go has one", target, k.op, n, m, r)
				}
			}
		}
	})
}
