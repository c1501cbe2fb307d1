package kernels

// Tests of the quantized kernels (quant.go, bf16.go). Integer sums are
// exact and the float32 operations around them are specified step by step,
// so every target must reproduce the Go reference bit for bit: equality,
// never a tolerance (NaN results need only be NaN). The reference itself is
// checked against float64 arithmetic on the quantized values, and the
// quantization error against its stated bound.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// quantOp is one quantized product in the form every test drives.
type quantOp struct {
	name string
	op   Operator
	// ref computes the result with the pure-Go leaves, whatever the target.
	ref func(y, x []float32, add bool)
}

func int8Op(p *PackedInt8) quantOp {
	name := "int8"
	if p.streams == 1 {
		name = "int8 (one stream)"
	}
	return quantOp{name, p, func(y, x []float32, add bool) {
		gemvInt8Generic(y, p.data, p.stride, p.scale, p.bias, x, false, add)
	}}
}

// int8OneStream returns a copy of p whose AVX-512 products read one panel
// at a time, whatever its size.
func int8OneStream(p *PackedInt8) *PackedInt8 {
	q := *p
	q.streams = 1
	return &q
}

func int8LowRankOp(p *PackedInt8LowRank) quantOp {
	return quantOp{"int8 low rank", p, func(y, x []float32, add bool) {
		t := make([]float32, p.Rank())
		gemvInt8Generic(t, p.V.data, p.V.stride, p.V.scale, p.V.bias, x, false, false)
		gemvInt8Generic(y, p.U.data, p.U.stride, p.U.scale, p.U.bias, t, true, add)
	}}
}

// bf16Op is the check of a PackedBF16 in any panel height against the
// portable leaf on the same weights in 16-row panels, the layout the
// specification is written for.
func bf16Op(p *PackedBF16) quantOp {
	s := bf16WithHeight(p, PanelRows)
	name := "bf16"
	if p.height != PanelRows {
		name = fmt.Sprintf("bf16 (%d-row panels)", p.height)
	}
	return quantOp{name, p, func(y, x []float32, add bool) {
		gemvBF16Generic(y, s.data, s.stride, PanelRows, x, add)
	}}
}

func bf16LowRankOp(p *PackedBF16LowRank) quantOp {
	u, v := bf16WithHeight(p.U, PanelRows), bf16WithHeight(p.V, PanelRows)
	name := "bf16 low rank"
	if p.U.height != PanelRows || p.V.height != PanelRows {
		name = fmt.Sprintf("bf16 low rank (%d- and %d-row panels)", p.U.height, p.V.height)
	}
	return quantOp{name, p, func(y, x []float32, add bool) {
		r := p.Rank()
		if r == 0 && !add {
			clear(y)
		}
		for c0 := 0; c0 < r; c0 += lowRankChunk {
			t := make([]float32, min(c0+lowRankChunk, r)-c0)
			gemvBF16Generic(t, v.data[(c0/PanelRows)*v.stride:], v.stride, PanelRows, x, false)
			gemvBF16Generic(y, u.data[c0*PanelRows:], u.stride, PanelRows, t, add || c0 > 0)
		}
	}}
}

// bf16WithHeight returns p's weights repacked in panels of h rows.
func bf16WithHeight(p *PackedBF16, h int) *PackedBF16 {
	q := newPackedBF16Height(p.rows, p.cols, h)
	for i := range p.rows {
		for j := range p.cols {
			q.set(i, j, p.data[p.at(i, j)])
		}
	}
	return q
}

// bf16Tall returns a's bf16 weights packed in tall panels, whatever
// PackBF16 would choose.
func bf16Tall(a Matrix) *PackedBF16 { return bf16WithHeight(PackBF16(a), bf16TallRows) }

// sameBits reports whether got and want are equal bit for bit, or both NaN.
func sameBits(got, want float32) bool {
	return math.Float32bits(got) == math.Float32bits(want) || (got != got && want != want)
}

// checkQuant runs op on x (MatVec, then MatVecAdd onto y0) in guarded
// buffers at the offsets of l and compares the results with op.ref bit for
// bit; guards and inputs must not change.
func checkQuant(c *checker, what string, q quantOp, x, y0 []float32, offX, offY int) {
	c.t.Helper()
	n, m := q.op.Rows(), q.op.Cols()
	gx := newGuarded("x", m, offX)
	copy(gx.vec(), x)
	gx.freeze()
	for _, add := range []bool{false, true} {
		gy := newGuarded("y", n, offY)
		copy(gy.vec(), y0)
		gy.freeze()
		want := slices.Clone(y0)
		q.ref(want, x, add)
		call := fmt.Sprintf("%s MatVec %s %d×%d", q.name, what, n, m)
		f := func() { q.op.MatVec(gy.vec(), gx.vec()) }
		if add {
			call = fmt.Sprintf("%s MatVecAdd %s %d×%d", q.name, what, n, m)
			f = func() { q.op.MatVecAdd(gy.vec(), gx.vec()) }
		}
		if !c.call(call, f) {
			continue
		}
		gx.check(c, call, false)
		gy.check(c, call, true)
		for i, g := range gy.vec() {
			if !sameBits(g, want[i]) {
				c.errorf("%s: y[%d] = %v (%#x), the reference gives %v (%#x)", call, i, g, math.Float32bits(g), want[i], math.Float32bits(want[i]))
				break
			}
		}
	}
}

// quantValues returns n inputs for a quantized product: mostly uniform in
// [−1, 1] like a recurrent state, with values exactly at the rounding ties
// of 127·x, the clamps and beyond, and special values when special is set.
func quantValues(rng *rand.Rand, n int, special bool) []float32 {
	x := make([]float32, n)
	for j := range x {
		switch k := rng.IntN(16); {
		case k == 0:
			x[j] = float32(rng.IntN(255)-127) / 127
		case k == 1:
			x[j] = (float32(rng.IntN(254)-127) + 0.5) / 127 // a tie, up to rounding of the division
		case k == 2:
			x[j] = float32(rng.NormFloat64() * 3)
		case k == 3 && special:
			x[j] = []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)), 1e-40, 1e30}[rng.IntN(7)]
		default:
			x[j] = float32(2*rng.Float64() - 1)
		}
	}
	return x
}

// quantMatrix returns a rows×cols matrix with rows of different magnitudes
// (each row's scale differs), some exact zeros and an all-zero row.
func quantMatrix(rng *rand.Rand, rows, cols int) Matrix {
	a := NewMatrix(rows, cols)
	for i := range rows {
		mag := math.Exp(6*rng.Float64() - 3)
		if rows > 2 && i == rows/2 {
			mag = 0
		}
		for j := range a.Row(i) {
			if rng.IntN(9) != 0 {
				a.Set(i, j, float32(rng.NormFloat64()*mag))
			}
		}
	}
	return a
}

func quantShapes() (rows, cols []int) {
	rows = []int{0, 1, 2, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 80, 127, 129}
	cols = []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 36, 63, 64, 65, 100}
	if testing.Short() {
		rows = []int{0, 1, 15, 16, 17, 48, 64, 65, 129}
		cols = []int{0, 1, 3, 4, 5, 16, 17, 33, 65}
	}
	return rows, cols
}

func TestInt8BF16Exact(t *testing.T) {
	rows, cols := quantShapes()
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		rng := rand.New(rand.NewPCG(1, 2))
		for _, n := range rows {
			for _, m := range cols {
				a := quantMatrix(rng, n, m)
				x := quantValues(rng, m, true)
				y0 := quantValues(rng, n, false)
				offX, offY := rng.IntN(16), rng.IntN(16)
				what := fmt.Sprintf("(x offset %d, y offset %d)", offX, offY)
				checkQuant(c, what, int8Op(PackInt8(a)), x, y0, offX, offY)
				checkQuant(c, what, int8Op(int8OneStream(PackInt8(a))), x, y0, offX, offY)
				checkQuant(c, what, bf16Op(PackBF16(a)), x, y0, offX, offY)
				checkQuant(c, what, bf16Op(bf16Tall(a)), x, y0, offX, offY)
			}
		}
	})
}

func TestInt8BF16LowRankExact(t *testing.T) {
	shapes := [][3]int{{0, 5, 3}, {5, 0, 3}, {7, 9, 0}, {1, 1, 1}, {16, 16, 4}, {17, 33, 5}, {64, 64, 16},
		{65, 63, 17}, {100, 80, 33}, {129, 70, 64}, {40, 130, 128}, {33, 20, 512}}
	bf16Only := [][3]int{{20, 30, 513}, {17, 9, 1030}}
	if testing.Short() {
		shapes = shapes[:8]
		bf16Only = bf16Only[:1]
	}
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		rng := rand.New(rand.NewPCG(3, 4))
		for _, s := range slices.Concat(shapes, bf16Only) {
			n, m, r := s[0], s[1], s[2]
			w := LowRank{U: quantMatrix(rng, n, r), V: quantMatrix(rng, r, m)}
			x := quantValues(rng, m, false)
			y0 := quantValues(rng, n, false)
			offX, offY := rng.IntN(16), rng.IntN(16)
			what := fmt.Sprintf("rank %d (x offset %d, y offset %d)", r, offX, offY)
			if r <= MaxInt8Rank {
				lr := PackInt8LowRank(w)
				checkQuant(c, what, int8LowRankOp(lr), x, y0, offX, offY)
				one := *lr
				one.streams = 1
				checkQuant(c, what+" one stream", int8LowRankOp(&one), x, y0, offX, offY)
			}
			checkQuant(c, what, bf16LowRankOp(PackBF16LowRank(w)), x, y0, offX, offY)
			tall := &PackedBF16LowRank{U: bf16Tall(w.U), V: bf16Tall(w.V)}
			checkQuant(c, what, bf16LowRankOp(tall), x, y0, offX, offY)
		}
	})
}

// TestBF16Height checks when PackBF16 takes tall panels: only where the
// active target has their leaf, the geometry table gives a float32 matrix
// of as many bytes one stream of panels of 32 rows or more, and the rows
// fill whole tall panels or number at least 512.
func TestBF16Height(t *testing.T) {
	forEachTarget(t, func(t *testing.T) {
		for _, s := range [][2]int{{64, 64}, {256, 256}, {512, 512}, {100, 512}, {520, 512}, {1024, 64}, {64, 1024}, {16, 4096}, {2048, 2048}} {
			rows, cols := s[0], s[1]
			want := PanelRows
			if bf16TallLeaf() && oneStream(2*rows*cols) && (rows%bf16TallRows == 0 || rows >= 512) {
				want = bf16TallRows
			}
			if got := PackBF16(NewMatrix(rows, cols)).height; got != want {
				t.Errorf("PackBF16 of %d×%d (geometry %v, tall leaf %v): %d-row panels, want %d",
					rows, cols, GeometryFor(RoleDense, 2*rows*cols), bf16TallLeaf(), got, want)
			}
		}
	})
}

// TestInt8Streams checks when int8 products read one panel at a time:
// where the geometry table gives a float32 matrix of as many bytes as the
// product's weights (both factors of a low rank) one stream of panels of
// 32 rows or more.
func TestInt8Streams(t *testing.T) {
	want := func(bytes int) int {
		if oneStream(bytes) {
			return 1
		}
		return 4
	}
	for _, s := range [][2]int{{64, 64}, {256, 256}, {512, 512}, {1024, 1024}, {4096, 2048}} {
		if got := PackInt8(NewMatrix(s[0], s[1])).streams; got != want(s[0]*s[1]) {
			t.Errorf("PackInt8 of %d×%d: %d streams, want %d", s[0], s[1], got, want(s[0]*s[1]))
		}
	}
	for _, s := range [][2]int{{256, 16}, {1024, 64}, {2048, 64}} {
		n, r := s[0], s[1]
		w := LowRank{U: NewMatrix(n, r), V: NewMatrix(r, n)}
		lr := PackInt8LowRank(w)
		paired, err := NewPackedInt8LowRank(lr.U, lr.V)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []*PackedInt8LowRank{lr, paired} {
			if p.streams != want(2*n*r) {
				t.Errorf("int8 low rank n=%d rank %d: %d streams, want %d (of %d bytes)", n, r, p.streams, want(2*n*r), 2*n*r)
			}
		}
	}
}

// TestQuantMaxCols runs the widest matrices the kernels take, whose input
// fills the frame they quantize it into.
func TestQuantMaxCols(t *testing.T) {
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		rng := rand.New(rand.NewPCG(5, 6))
		for _, m := range []int{MaxQuantCols - 1, MaxQuantCols} {
			a := quantMatrix(rng, 18, m)
			x := quantValues(rng, m, true)
			y0 := quantValues(rng, 18, false)
			checkQuant(c, "", int8Op(PackInt8(a)), x, y0, 3, 5)
			checkQuant(c, "", bf16Op(PackBF16(a)), x, y0, 3, 5)
		}
	})
}

// TestInt8Reference checks the int8 reference against float64 arithmetic
// on the quantized values, and the quantization error against its bound.
func TestInt8Reference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, s := range [][2]int{{1, 1}, {17, 33}, {64, 100}, {130, 257}} {
		n, m := s[0], s[1]
		a := quantMatrix(rng, n, m)
		p := PackInt8(a)
		q, scale := p.Quantized()
		for i := range n {
			var mx float64
			for j := range m {
				mx = max(mx, math.Abs(float64(a.At(i, j))))
			}
			if want := float32(mx / 64); scale[i] != want {
				t.Fatalf("%d×%d: scale[%d] = %v, want max|w|/64 = %v", n, m, i, scale[i], want)
			}
			for j := range m {
				qij := q[i*m+j]
				if qij < -Int8WeightMax || qij > Int8WeightMax {
					t.Fatalf("%d×%d: q[%d][%d] = %d out of range", n, m, i, j, qij)
				}
				// The weight error is at most half a step, s/2.
				if d := math.Abs(float64(scale[i])*float64(qij) - float64(a.At(i, j))); d > float64(scale[i])/2*(1+1e-6) {
					t.Fatalf("%d×%d: weight (%d, %d) = %v quantized to %d·%v, error %v > s/2", n, m, i, j, a.At(i, j), qij, scale[i], d)
				}
			}
		}
		x := quantValues(rng, m, false)
		y := make([]float32, n)
		int8Op(p).ref(y, x, false)
		for i := range n {
			var acc int64
			var exact, bound float64
			for j := range m {
				v := math.RoundToEven(float64(max(-127, min(127, x[j]*127))))
				acc += int64(q[i*m+j]) * int64(v)
				xc := max(-1, min(1, float64(x[j])))
				exact += float64(a.At(i, j)) * xc
				// |w̃x̃ − wx| ≤ |w̃−w||x̃| + |w||x̃−x|: half a weight step
				// and half an activation step.
				bound += float64(scale[i])/2*math.Abs(v/127) + math.Abs(float64(a.At(i, j)))/254
			}
			want := float32(float32(acc)*scale[i]) * (1.0 / 127)
			if y[i] != want {
				t.Errorf("%d×%d: y[%d] = %v, want (float32(%d)·%v)·(1/127) = %v", n, m, i, y[i], acc, scale[i], want)
			}
			if d := math.Abs(float64(y[i]) - exact); d > bound*(1+1e-5)+1e-6*math.Abs(exact) {
				t.Errorf("%d×%d: y[%d] = %v is %.3g from W·x = %v, above the quantization bound %.3g", n, m, i, y[i], d, exact, bound)
			}
		}
	}
}

// TestInt8Quantizer pins the activation quantizer: rounding ties to even,
// the clamps, NaN, and the dynamic scale.
func TestInt8Quantizer(t *testing.T) {
	if f := float32(1.0 / Int8ActMax); math.Float32bits(f) != 0x3c010204 {
		t.Errorf("float32(1/127) = %#x, the kernels' constant is 0x3c010204", math.Float32bits(f))
	}
	for _, c := range []struct {
		x, inv float32
		want   int8
	}{
		{0, 127, 0}, {1, 127, 127}, {-1, 127, -127}, {2, 127, 127}, {-1e30, 127, -127},
		{float32(math.Inf(1)), 127, 127}, {float32(math.Inf(-1)), 127, -127}, {float32(math.NaN()), 127, 0},
		{0.5, 1, 0}, {1.5, 1, 2}, {2.5, 1, 2}, {-0.5, 1, 0}, {-1.5, 1, -2}, {126.5, 1, 126}, {-126.5, 1, -126},
		{127.49, 1, 127}, {0.49999997, 1, 0}, {float32(math.Inf(1)), 0, 0},
	} {
		if got := quantizeInt8(c.x, c.inv); got != c.want {
			t.Errorf("quantizeInt8(%v, %v) = %d, want %d", c.x, c.inv, got, c.want)
		}
	}
	for _, c := range []struct {
		x      []float32
		inv, d float32
	}{
		{nil, 0, 0},
		{[]float32{0, 0}, 0, 0},
		{[]float32{0.5, -2, float32(math.NaN())}, 127.0 / 2, 2.0 / 127},
		{[]float32{float32(math.Inf(-1)), 1}, 0, 0},
		{[]float32{3}, float32(127) / 3, float32(3) / 127},
	} {
		inv, d := int8Scales(c.x, true)
		if inv != c.inv || d != c.d {
			t.Errorf("int8Scales(%v, dyn) = %v, %v; want %v, %v", c.x, inv, d, c.inv, c.d)
		}
	}
}

// TestBF16Rounding pins bf16 rounding against float64 arithmetic.
func TestBF16Rounding(t *testing.T) {
	for _, c := range []struct {
		x    float32
		want uint16
	}{
		{1, 0x3f80}, {-2, 0xc000}, {0, 0}, {float32(math.Copysign(0, -1)), 0},
		{math.Float32frombits(0x3f808000), 0x3f80}, // tie, even stays
		{math.Float32frombits(0x3f818000), 0x3f82}, // tie, odd rounds up
		{math.Float32frombits(0x3f808001), 0x3f81},
		{math.Float32frombits(0x7f7fffff), 0x7f80}, // overflows to Inf
		{float32(math.Inf(-1)), 0xff80},
		{1e-40, 0}, {-1e-40, 0}, // subnormal
		{math.Float32frombits(bf16Tiny), 0x2680},
		{math.Float32frombits(bf16Tiny - 1), 0},    // just below 2⁻⁵⁰
		{math.Float32frombits(0x7fa00001), 0x7fe0}, // signalling NaN made quiet
	} {
		if got := toBF16(c.x); got != c.want {
			t.Errorf("toBF16(%v = %#x) = %#x, want %#x", c.x, math.Float32bits(c.x), got, c.want)
		}
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for range 100000 {
		x := math.Float32frombits(rng.Uint32())
		if x != x || math.Abs(float64(x)) < 0x1p-50 {
			continue
		}
		got := float64(fromBF16(toBF16(x)))
		// The nearest bf16 value: 8 significant bits.
		e := math.Floor(math.Log2(math.Abs(float64(x))))
		ulp := math.Ldexp(1, int(e)-7)
		if d := math.Abs(got - float64(x)); !math.IsInf(got, 0) && d > ulp/2 {
			t.Fatalf("bf16(%v) = %v, %.3g away, more than half a unit %.3g", x, got, d, ulp/2)
		}
	}
}

// TestQuantRoundTrip checks Quantized, BF16, Dequantize and the
// constructors that load them back.
func TestQuantRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, s := range [][2]int{{0, 0}, {0, 3}, {3, 0}, {1, 1}, {17, 33}, {40, 6}} {
		n, m := s[0], s[1]
		a := quantMatrix(rng, n, m)
		p := PackInt8(a)
		q, scale := p.Quantized()
		p2, err := NewPackedInt8(n, m, q, scale)
		if err != nil {
			t.Fatalf("NewPackedInt8(%d, %d): %v", n, m, err)
		}
		if !slices.Equal(p2.data, p.data) || !slices.Equal(p2.scale, p.scale) || !slices.Equal(p2.bias, p.bias) {
			t.Errorf("%d×%d: NewPackedInt8(Quantized()) packs differently", n, m)
		}
		d := p.Dequantize()
		for i := range n {
			for j := range m {
				if want := float32(float64(scale[i]) * float64(q[i*m+j])); d.At(i, j) != want {
					t.Fatalf("%d×%d: Dequantize (%d, %d) = %v, want %v", n, m, i, j, d.At(i, j), want)
				}
			}
		}
		b := PackBF16(a)
		w := b.BF16()
		b2, err := NewPackedBF16(n, m, w)
		if err != nil || !slices.Equal(b2.data, b.data) {
			t.Errorf("%d×%d: NewPackedBF16(BF16()) = %v, packs equal: %v", n, m, err, err == nil && slices.Equal(b2.data, b.data))
		}
		db := b.Dequantize()
		for i := range n {
			for j := range m {
				if want := fromBF16(toBF16(a.At(i, j))); db.At(i, j) != want {
					t.Fatalf("%d×%d: bf16 Dequantize (%d, %d) = %v, want %v", n, m, i, j, db.At(i, j), want)
				}
			}
		}
	}
}

func TestQuantErrors(t *testing.T) {
	for _, c := range []struct {
		rows, cols int
		q          []int8
		scale      []float32
		want       string
	}{
		{-1, 2, nil, nil, "negative"},
		{1, MaxQuantCols + 1, make([]int8, MaxQuantCols+1), []float32{1}, "MaxQuantCols"},
		{2, 2, make([]int8, 3), []float32{1, 1}, "3 weights, want 4"},
		{2, 2, make([]int8, 4), []float32{1}, "1 scales"},
		{1, 3, []int8{0, 65, 0}, []float32{1}, "weight (0, 1) = 65 outside"},
		{1, 3, []int8{0, -128, 0}, []float32{1}, "weight (0, 1) = -128 outside"},
		{2, 1, []int8{1, 1}, []float32{1, float32(math.NaN())}, "scale of row 1 is NaN"},
	} {
		_, err := NewPackedInt8(c.rows, c.cols, c.q, c.scale)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewPackedInt8(%d, %d, …): err = %v, want one saying %q", c.rows, c.cols, err, c.want)
		}
	}
	if _, err := NewPackedBF16(2, 2, make([]uint16, 3)); err == nil || !strings.Contains(err.Error(), "3 values, want 4") {
		t.Errorf("NewPackedBF16 with 3 values: err = %v", err)
	}
	if _, err := NewPackedBF16(1, MaxQuantCols+1, make([]uint16, MaxQuantCols+1)); err == nil || !strings.Contains(err.Error(), "MaxQuantCols") {
		t.Errorf("NewPackedBF16 too wide: err = %v", err)
	}
	u, _ := NewPackedInt8(3, 2, make([]int8, 6), make([]float32, 3))
	v, _ := NewPackedInt8(3, 4, make([]int8, 12), make([]float32, 3))
	if _, err := NewPackedInt8LowRank(u, v); err == nil || !strings.Contains(err.Error(), "U.Cols == V.Rows") {
		t.Errorf("NewPackedInt8LowRank of mismatched factors: err = %v", err)
	}
	if _, err := NewPackedInt8LowRank(nil, v); err == nil {
		t.Errorf("NewPackedInt8LowRank(nil, …) succeeded")
	}
	bu, _ := NewPackedBF16(3, 2, make([]uint16, 6))
	bv, _ := NewPackedBF16(3, 4, make([]uint16, 12))
	if _, err := NewPackedBF16LowRank(bu, bv); err == nil || !strings.Contains(err.Error(), "U.Cols == V.Rows") {
		t.Errorf("NewPackedBF16LowRank of mismatched factors: err = %v", err)
	}

	nan := NewMatrix(2, 3)
	nan.Set(1, 2, float32(math.NaN()))
	mustPanic(t, "PackInt8 of NaN", func() { PackInt8(nan) }, "weight (1, 2) is NaN")
	inf := NewMatrix(2, 3)
	inf.Set(0, 1, float32(math.Inf(-1)))
	mustPanic(t, "PackInt8 of -Inf", func() { PackInt8(inf) }, "weight (0, 1) is -Inf")
	mustPanic(t, "PackInt8 too wide", func() { PackInt8(NewMatrix(1, MaxQuantCols+1)) }, "MaxQuantCols")
	mustPanic(t, "PackBF16 too wide", func() { PackBF16(NewMatrix(1, MaxQuantCols+1)) }, "MaxQuantCols")
	mustPanic(t, "PackInt8LowRank rank", func() {
		PackInt8LowRank(LowRank{U: NewMatrix(2, MaxInt8Rank+1), V: NewMatrix(MaxInt8Rank+1, 2)})
	}, "MaxInt8Rank")
	p, lr := PackInt8(NewMatrix(3, 4)), PackInt8LowRank(LowRank{U: NewMatrix(3, 2), V: NewMatrix(2, 4)})
	b, blr := PackBF16(NewMatrix(3, 4)), PackBF16LowRank(LowRank{U: NewMatrix(3, 2), V: NewMatrix(2, 4)})
	for _, op := range []Operator{p, lr, b, blr} {
		mustPanic(t, fmt.Sprintf("%T.MatVec short y", op), func() { op.MatVec(make([]float32, 2), make([]float32, 4)) }, "len(y) = 2")
		mustPanic(t, fmt.Sprintf("%T.MatVecAdd long x", op), func() { op.MatVecAdd(make([]float32, 3), make([]float32, 5)) }, "len(x) = 5")
	}
	for _, op := range []struct {
		name       string
		batch, add func(y, x Matrix)
	}{{"PackedInt8", p.MatVecBatch, p.MatVecBatchAdd}, {"PackedBF16", b.MatVecBatch, b.MatVecBatchAdd}} {
		mustPanic(t, op.name+".MatVecBatch Y rows != X rows", func() { op.batch(NewMatrix(2, 3), NewMatrix(3, 4)) },
			op.name+".MatVecBatch", "3×4", "Y is 2×3", "X is 3×4")
		mustPanic(t, op.name+".MatVecBatchAdd X cols", func() { op.add(NewMatrix(2, 3), NewMatrix(2, 5)) },
			op.name+".MatVecBatchAdd", "X is 2×5")
		mustPanic(t, op.name+".MatVecBatch short Y.Data",
			func() { op.batch(Matrix{Rows: 2, Cols: 3, Stride: 4, Data: make([]float32, 6)}, NewMatrix(2, 4)) },
			op.name+".MatVecBatch", "needs 7", "has 6")
	}
}

func TestQuantShapes(t *testing.T) {
	a := quantMatrix(rand.New(rand.NewPCG(13, 14)), 17, 9)
	w := LowRank{U: quantMatrix(rand.New(rand.NewPCG(15, 16)), 17, 3), V: quantMatrix(rand.New(rand.NewPCG(17, 18)), 3, 9)}
	for _, c := range []struct {
		op                     Operator
		rows, cols, rank, size int
	}{
		{PackInt8(a), 17, 9, -1, 17*9 + 4*17},
		{PackBF16(a), 17, 9, -1, 2 * 17 * 9},
		{PackInt8LowRank(w), 17, 9, 3, 17*3 + 4*17 + 3*9 + 4*3},
		{PackBF16LowRank(w), 17, 9, 3, 2 * (17*3 + 3*9)},
	} {
		if c.op.Rows() != c.rows || c.op.Cols() != c.cols || c.op.WeightBytes() != c.size {
			t.Errorf("%T: Rows, Cols, WeightBytes = %d, %d, %d; want %d, %d, %d",
				c.op, c.op.Rows(), c.op.Cols(), c.op.WeightBytes(), c.rows, c.cols, c.size)
		}
		if r, ok := c.op.(interface{ Rank() int }); ok && r.Rank() != c.rank {
			t.Errorf("%T: Rank() = %d, want %d", c.op, r.Rank(), c.rank)
		}
	}
}

func TestQuantNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	a := quantMatrix(rng, 70, 130)
	w := LowRank{U: quantMatrix(rng, 70, 40), V: quantMatrix(rng, 40, 130)}
	wBig := LowRank{U: quantMatrix(rng, 30, 600), V: quantMatrix(rng, 600, 130)}
	x, y := quantValues(rng, 130, false), make([]float32, 70)
	ops := []Operator{PackInt8(a), PackBF16(a), PackInt8LowRank(w), PackBF16LowRank(w), PackBF16LowRank(wBig)}
	forEachTarget(t, func(t *testing.T) {
		for _, op := range ops {
			yy := y[:op.Rows()]
			if n := testing.AllocsPerRun(20, func() { op.MatVec(yy, x); op.MatVecAdd(yy, x) }); n != 0 {
				t.Errorf("%T %d×%d: %v allocations per MatVec and MatVecAdd, want 0", op, op.Rows(), op.Cols(), n)
			}
		}
	})
}

// TestBF16Edges runs the bf16 products on the values where an emulation
// could part from VDPBF16PS: around the 2⁻⁵⁰ flush, subnormals, products
// that overflow or cancel, infinities and NaN.
func TestBF16Edges(t *testing.T) {
	special := []float32{0x1p-49, -0x1p-49, 0x1p-50, 0x1.fep-51, -0x1p-51, 0x1p-60, 1e-40, -1e-45,
		0x1p-126, 3e38, -3e38, 0x1p100, 0x1p-100, 1, -1, 1 + 0x1p-8, 0.5, 0, float32(math.Copysign(0, -1)),
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	rng := rand.New(rand.NewPCG(21, 22))
	pick := func(finite bool) float32 {
		for {
			v := special[rng.IntN(len(special))]
			if !finite || !(math.IsInf(float64(v), 0) || v != v) {
				return v
			}
		}
	}
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		for _, finite := range []bool{true, false} {
			for _, s := range [][2]int{{16, 8}, {17, 9}, {64, 31}, {70, 40}} {
				n, m := s[0], s[1]
				a := NewMatrix(n, m)
				for i := range a.Data {
					a.Data[i] = pick(finite)
				}
				x := make([]float32, m)
				for j := range x {
					x[j] = pick(finite)
				}
				y0 := make([]float32, n)
				for i := range y0 {
					y0[i] = pick(true)
				}
				what := fmt.Sprintf("edge values (finite %v)", finite)
				checkQuant(c, what, bf16Op(PackBF16(a)), x, y0, 1, 2)
				checkQuant(c, what, bf16Op(bf16Tall(a)), x, y0, 1, 2)
				if finite {
					checkQuant(c, what, int8Op(PackInt8(a)), x, y0, 1, 2)
				}
			}
		}
	})
}

// TestQuantBatch checks the batched products and steps on quantized
// weights against one product or step per row, bit for bit: the batched
// kernels read each weight once for four rows but compute the same. The
// shapes hold partial panels, and blocks of tall bf16 panels; the batches
// every size around the four the kernels take at once; rows of X and Y
// have gaps, which must stay as they were.
func TestQuantBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	type batchOp struct {
		quantOp
		batch func(y, x Matrix, add bool)
	}
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		for _, s := range [][2]int{{1, 1}, {16, 16}, {17, 33}, {70, 65}, {33, 130}, {64, 7}, {144, 40}, {520, 9}} {
			rows, cols := s[0], s[1]
			a := quantMatrix(rng, rows, cols)
			p := PackInt8(a)
			if rows%2 == 1 { // the rows left over a batch of four read one panel at a time
				p = int8OneStream(p)
			}
			ops := []batchOp{{int8Op(p), func(y, x Matrix, add bool) {
				if add {
					p.MatVecBatchAdd(y, x)
				} else {
					p.MatVecBatch(y, x)
				}
			}}}
			for _, q := range []*PackedBF16{bf16WithHeight(PackBF16(a), PanelRows), bf16Tall(a)} {
				ops = append(ops, batchOp{bf16Op(q), func(y, x Matrix, add bool) {
					if add {
						q.MatVecBatchAdd(y, x)
					} else {
						q.MatVecBatch(y, x)
					}
				}})
			}
			for _, op := range ops {
				for _, batch := range []int{0, 1, 3, 4, 5, 8, 9} {
					gap := rng.IntN(3)
					x := Matrix{Rows: batch, Cols: cols, Stride: cols + gap, Data: quantValues(rng, max(0, (batch-1)*(cols+gap)+cols), true)}
					y0 := Matrix{Rows: batch, Cols: rows, Stride: rows + gap, Data: quantValues(rng, max(0, (batch-1)*(rows+gap)+rows), false)}
					for _, add := range []bool{false, true} {
						y := Matrix{Rows: batch, Cols: rows, Stride: y0.Stride, Data: slices.Clone(y0.Data)}
						what := fmt.Sprintf("%s MatVecBatch add=%v %d×%d batch %d", op.name, add, rows, cols, batch)
						if !c.call(what, func() { op.batch(y, x, add) }) {
							continue
						}
						for b := range batch {
							want := slices.Clone(y0.Row(b))
							op.ref(want, x.Row(b), add)
							if got := y.Row(b); !slices.EqualFunc(got, want, sameBits) {
								c.errorf("%s: row %d = %v, one product gives %v", what, b, got, want)
							}
							if b+1 < batch && !slices.EqualFunc(y.Data[b*y.Stride+rows:(b+1)*y.Stride], y0.Data[b*y.Stride+rows:(b+1)*y.Stride], sameBits) {
								c.errorf("%s: the gap after row %d changed", what, b)
							}
						}
					}
				}
			}
		}

		// Batched steps, dense and low rank, against one step per row.
		const n = 80
		for _, op := range []struct {
			name   string
			uf, uh Operator
		}{
			{"int8", PackInt8(quantMatrix(rng, n, n)), PackInt8(quantMatrix(rng, n, n))},
			{"int8 low rank", PackInt8LowRank(LowRank{U: quantMatrix(rng, n, 7), V: quantMatrix(rng, 7, n)}),
				PackInt8LowRank(LowRank{U: quantMatrix(rng, n, 9), V: quantMatrix(rng, 9, n)})},
			{"bf16", PackBF16(quantMatrix(rng, n, n)), bf16Tall(quantMatrix(rng, n, n))},
			{"bf16 low rank", PackBF16LowRank(LowRank{U: quantMatrix(rng, n, 7), V: quantMatrix(rng, 7, n)}),
				&PackedBF16LowRank{U: bf16Tall(quantMatrix(rng, n, 9)), V: PackBF16(quantMatrix(rng, 9, n))}},
		} {
			const batch = 6
			mat := func() Matrix { return Matrix{Rows: batch, Cols: n, Stride: n, Data: quantValues(rng, batch*n, false)} }
			h, xpf, xph := mat(), mat(), mat()
			bf, bh := quantValues(rng, n, false), quantValues(rng, n, false)
			hNew, hNew2 := NewMatrix(batch, n), NewMatrix(batch, n)
			RNNStepBatch(hNew, h, xpf, bf, op.uh)
			MGRUStepBatch(hNew2, h, xpf, xph, bf, bh, op.uf, op.uh, make([]float32, 2*batch*n))
			for b := range batch {
				want := make([]float32, n)
				RNNStep(want, h.Row(b), xpf.Row(b), bf, op.uh)
				if !slices.Equal(hNew.Row(b), want) {
					c.errorf("%s RNNStepBatch row %d differs from RNNStep", op.name, b)
				}
				MGRUStep(want, h.Row(b), xpf.Row(b), xph.Row(b), bf, bh, op.uf, op.uh, make([]float32, 2*n))
				if !slices.Equal(hNew2.Row(b), want) {
					c.errorf("%s MGRUStepBatch row %d differs from MGRUStep", op.name, b)
				}
			}
		}
	})
}

// TestQuantStepFused checks the fused int8 step leaf against its
// definition on the same target: the int8 product into y, then the float32
// step's epilogue alone (stepPanels with no columns), bit for bit, in
// every mode, with and without add and the dynamic scale, over partial
// panels and groups.
func TestQuantStepFused(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		for _, rows := range []int{1, 15, 16, 17, 33, 64, 65, 80} {
			for _, cols := range []int{1, 3, 4, 5, 17, 64, 65} {
				p := PackInt8(quantMatrix(rng, rows, cols))
				x := quantValues(rng, cols, true)
				h, f := quantValues(rng, rows, false), quantValues(rng, rows, false)
				xp, b := quantValues(rng, rows, false), quantValues(rng, rows, false)
				y0 := quantValues(rng, rows, false)
				for mode := stepRNN; mode <= stepOut; mode++ {
					for _, dyn := range []bool{false, true} {
						for _, add := range []bool{false, true} {
							got, got2 := slices.Clone(y0), make([]float32, rows)
							want, want2 := slices.Clone(y0), make([]float32, rows)
							streams := 1 + 3*rng.IntN(2)
							what := fmt.Sprintf("stepInt8 %d×%d mode %d dyn %v add %v streams %d", rows, cols, mode, dyn, add, streams)
							if !c.call(what, func() {
								stepInt8(got, got2, p.data, p.stride, p.scale, p.bias, x, dyn, h, f, xp, b, mode, add, streams)
							}) {
								continue
							}
							gemvInt8(want, p.data, p.stride, p.scale, p.bias, x, dyn, add, 4)
							epilogue(want, want2, h, f, xp, b, mode)
							if !slices.EqualFunc(got, want, sameBits) || (mode == stepGate && !slices.EqualFunc(got2, want2, sameBits)) {
								c.errorf("%s: %v, %v; product then epilogue give %v, %v", what, got, got2, want, want2)
							}
						}
					}
				}
			}
		}
	})
}

func TestQuantStepAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	const n = 70
	bf := bf16Tall(quantMatrix(rng, n, n))
	ops := []Operator{PackInt8(quantMatrix(rng, n, n)), PackBF16(quantMatrix(rng, n, n)), bf,
		PackInt8LowRank(LowRank{U: quantMatrix(rng, n, 9), V: quantMatrix(rng, 9, n)}),
		PackBF16LowRank(LowRank{U: quantMatrix(rng, n, 9), V: quantMatrix(rng, 9, n)})}
	h, xp, b := quantValues(rng, n, false), quantValues(rng, n, false), quantValues(rng, n, false)
	hNew, work := make([]float32, n), make([]float32, 2*n)
	hb, xb := NewMatrix(5, n), NewMatrix(5, n)
	hbNew, workB := NewMatrix(5, n), make([]float32, 2*5*n)
	forEachTarget(t, func(t *testing.T) {
		for _, u := range ops {
			if a := testing.AllocsPerRun(10, func() {
				RNNStep(hNew, h, xp, b, u)
				MGRUStep(hNew, h, xp, xp, b, b, u, u, work)
				RNNStepBatch(hbNew, hb, xb, b, u)
				MGRUStepBatch(hbNew, hb, xb, xb, b, b, u, u, workB)
			}); a != 0 {
				t.Errorf("%T: %v allocations per set of steps, want 0", u, a)
			}
		}
		if a := testing.AllocsPerRun(10, func() { bf.MatVecBatch(hbNew, xb); bf.MatVecBatchAdd(hbNew, xb) }); a != 0 {
			t.Errorf("PackedBF16.MatVecBatch: %v allocations per call, want 0", a)
		}
	})
}
