package kernels

import (
	"math"
	"testing"
)

// FuzzGates runs GRUStep or LSTMStep (with a projection when p > 0) on
// fuzzer-chosen sizes (units < 70, rank < 40, projection < 20), layouts
// and values, on every available target, with every form of the recurrent
// weights in this CPU's geometry or the gate-interleaved ones in a
// fuzzer-chosen geometry (tall panels where the units are a multiple of
// 16). Each result must be within the bound of the exact step
// (gatedCase.exact), and within twice that bound of the go target's.
//
//	go test -run='^$' -fuzz=FuzzGates ./kernels
func FuzzGates(f *testing.F) {
	f.Add(uint8(1), uint8(1), uint8(0), false, uint8(0), []byte(nil))
	f.Add(uint8(17), uint8(5), uint8(0), false, uint8(0x35), []byte("the quick brown fox"))
	f.Add(uint8(33), uint8(16), uint8(7), true, uint8(0x9c), []byte{1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add(uint8(64), uint8(39), uint8(0), true, uint8(0xff), []byte("jumps over the lazy dog"))
	// 64 units in tall panels: the GRU's 192 rows in 64-row panels (63^57 =
	// 6), the LSTM's 256 in 128-row ones with prefetch (63^49 = 14).
	f.Add(uint8(63), uint8(12), uint8(0), false, uint8(57), []byte("tall"))
	f.Add(uint8(63), uint8(20), uint8(5), true, uint8(49), []byte("taller panels"))
	f.Fuzz(func(t *testing.T, units, rank, proj uint8, lstm bool, place uint8, data []byte) {
		n, r, p := 1+int(units)%69, int(rank)%40, int(proj)%20
		if !lstm {
			p = 0
		}
		l := layout{offA: int(place & 15), offB: int(place>>4) ^ 5, offX: int(place>>2) & 15, offY: int(place >> 4)}
		geoms := append([]Geometry{{}}, Geometries(512)...) // {}: the table's, every form
		g := geoms[int(units^place)%len(geoms)]
		outs := map[string]map[string]gatedResult{}
		targets := availableTargets(t)
		for _, target := range targets {
			restore, err := Use(target)
			if err != nil {
				t.Fatalf("Use(%q): %v", target, err)
			}
			gc := newGatedCase(&fuzzSource{data: data}, lstm, n, r, p, l)
			if g != (Geometry{}) {
				gc = gc.withGeometry(g)
			}
			outs[target] = gc.run(&checker{t: t}, l)
			restore()
		}
		for _, target := range targets[1:] {
			for op, got := range outs[target] {
				want, ok := outs["go"][op]
				if !ok {
					continue
				}
				for i, g := range got.got {
					if d := math.Abs(float64(g) - float64(want.got[i])); !(d <= 2*want.b[i]) {
						t.Errorf("[target %s vs go] lstm=%v %s n=%d r=%d p=%d: output %d = %v, go gives %v ± %.3g",
							target, lstm, op, n, r, p, i, g, want.got[i], 2*want.b[i])
						break
					}
				}
			}
		}
	})
}
