package kernels

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"
)

// FuzzQuant runs the int8 and bf16 products, dense and low-rank, and a
// batch of bf16 products in either panel height, on fuzzer-chosen sizes (rows, cols < 81, rank < 41), offsets and values on
// every available target, and demands the reference's bits (NaN for NaN).
// Weights come from fuzzSource (finite, as PackInt8 requires); the input x
// takes raw words too, NaN and infinities included.
//
//	go test -run='^$' -fuzz=FuzzQuant ./kernels
func FuzzQuant(f *testing.F) {
	words := func(vs ...float32) []byte {
		b := make([]byte, 0, 4*len(vs))
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		return b
	}
	f.Add(uint8(0), uint8(0), uint8(0), uint8(0), []byte(nil))
	f.Add(uint8(1), uint8(1), uint8(1), uint8(0), words(0.5))
	f.Add(uint8(17), uint8(9), uint8(3), uint8(0x35), words(1, -2, 3.25, -0.125, 1e3, 7))
	f.Add(uint8(64), uint8(65), uint8(16), uint8(0xff), words(0.1, -0.2, 0.3, 1e-5, -1e5, float32(math.NaN())))
	f.Add(uint8(80), uint8(80), uint8(40), uint8(0x9c), words(1, -1, 0.5/127, 1.5/127, float32(math.Inf(1)), 0x1p-50))

	f.Fuzz(func(t *testing.T, rows, cols, rank, place uint8, data []byte) {
		n, m, r := int(rows)%81, int(cols)%81, int(rank)%41
		offX, offY := int(place&15), int(place>>4)
		src := &fuzzSource{data: data}
		mat := func(rows, cols int) Matrix {
			a := NewMatrix(rows, cols)
			for i := range a.Data {
				a.Data[i] = src.next()
			}
			return a
		}
		a, w := mat(n, m), LowRank{U: mat(n, r), V: mat(r, m)}
		x := make([]float32, m)
		for j := range x {
			x[j] = src.next()
			if len(data) >= 4 && j%3 == 1 { // a raw word: any float32
				k := (4 * j) % (len(data) - len(data)%4)
				x[j] = math.Float32frombits(binary.LittleEndian.Uint32(data[k:]))
			}
		}
		y0 := make([]float32, n)
		for i := range y0 {
			y0[i] = src.next()
		}
		ops := []quantOp{int8Op(PackInt8(a)), int8Op(int8OneStream(PackInt8(a))), bf16Op(PackBF16(a)), bf16Op(bf16Tall(a)),
			int8LowRankOp(PackInt8LowRank(w)), bf16LowRankOp(PackBF16LowRank(w)),
			bf16LowRankOp(&PackedBF16LowRank{U: bf16Tall(w.U), V: bf16Tall(w.V)})}
		for _, target := range availableTargets(t) {
			restore, err := Use(target)
			if err != nil {
				t.Fatalf("Use(%q): %v", target, err)
			}
			c := &checker{t: t}
			for _, q := range ops {
				checkQuant(c, "", q, x, y0, offX, offY)
			}
			// A batch of five rows (one batched kernel call and one row
			// over), each x shifted, onto y0: each row as one product.
			const batch = 5
			xs, ys := NewMatrix(batch, m), NewMatrix(batch, n)
			for b := range batch {
				for j := range m {
					xs.Set(b, j, x[(j+b)%m])
				}
				copy(ys.Row(b), y0)
			}
			for _, p := range []*PackedBF16{PackBF16(a), bf16Tall(a)} {
				got := Matrix{Rows: batch, Cols: n, Stride: n, Data: slices.Clone(ys.Data)}
				if !c.call("bf16 MatVecBatchAdd", func() { p.MatVecBatchAdd(got, xs) }) {
					continue
				}
				for b := range batch {
					want := slices.Clone(y0)
					bf16Op(p).ref(want, xs.Row(b), true)
					if !slices.EqualFunc(got.Row(b), want, sameBits) {
						c.errorf("bf16 MatVecBatchAdd (%d-row panels) %d×%d row %d = %v, one product gives %v", p.height, n, m, b, got.Row(b), want)
					}
				}
			}
			restore()
		}
	})
}
