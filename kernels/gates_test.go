package kernels

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// Tests of the gated steps (GRUStep, LSTMStep), their batches and the
// gate-interleaved packing. Every result is checked against PyTorch's
// equations evaluated in float64 from the same float32 operands, within a
// bound that follows the float32 rounding of each operation through the
// cell (gatedExact); the go target, the specification, must meet it like
// every other target. testdata/torch (torch_test.go) checks the equations
// against PyTorch itself.

// actErr bounds the absolute error of every target's tanh and σ (see Tanh).
const actErr = 4e-7

// gatedOperand is one stacked recurrent matrix of a case, in one of the
// forms a step accepts, with what its exact product needs.
type gatedOperand struct {
	name  string
	op    Operator
	terms int // float32 roundings a product's element meets (errC bound)
}

// gatedCase is one GRU or LSTM step: n units, G gates, h of m elements
// (m = n, or the projection's p rows), with guarded vectors, dense and
// rank-r recurrent weights, and the exact float64 products.
type gatedCase struct {
	lstm     bool
	g, n, m  int
	r        int
	w        Matrix // G·n×m, PyTorch's stacked order
	lu, lv   Matrix // rank-r factors, G·n×r and r×m
	proj     Matrix // p×n, or 0×0
	projOp   Operator
	h, c     *guarded
	xp, b    *guarded
	sDense   []float64 // exact W·h
	aDense   []float64 // |W|·|h|
	sLow     []float64 // exact U·(V·h)
	aLow     []float64 // |U|·(|V|·|h|)
	operands []gatedOperand
	note     string // what the operands are packed in, for messages
}

// newGatedCase draws a case from src. Weights are scaled by 1/√(columns) so
// that pre-activations stay in the range where the gates are neither
// constant nor linear; src's magnitudes (e^±2) still reach saturation.
func newGatedCase(src valueSource, lstm bool, n, r, p int, l layout) *gatedCase {
	g, m := 3, n
	if lstm {
		g = 4
		if p > 0 {
			m = p
		}
	}
	gc := &gatedCase{lstm: lstm, g: g, n: n, m: m, r: r}
	scaled := func(rows, cols int) Matrix {
		a := NewMatrix(rows, cols)
		s := float32(1 / math.Sqrt(float64(max(cols, 1))))
		for i := range a.Data {
			a.Data[i] = src.next() * s
		}
		return a
	}
	gc.w = scaled(g*n, m)
	gc.lu, gc.lv = scaled(g*n, r), scaled(r, m)
	if p > 0 {
		gc.proj = scaled(p, n)
		gc.projOp = Pack(gc.proj)
	}
	gc.h = newGuarded("h", m, l.offX).fill(src)
	gc.c = newGuarded("c", n, l.offB^7).fill(src)
	gc.xp = newGuarded("xp", g*n, l.offA).fill(src)
	gc.b = newGuarded("b", g*n, l.offB).fill(src)
	for _, v := range []*guarded{gc.h, gc.c, gc.xp, gc.b} {
		v.freeze()
	}
	h := to64(gc.h.vec())
	ah := abs64(gc.h.vec())
	gc.sDense, gc.aDense = gemv64(gc.w, h, false), gemv64(gc.w, ah, true)
	gc.sLow = gemv64(gc.lu, gemv64(gc.lv, h, false), false)
	gc.aLow = gemv64(gc.lu, gemv64(gc.lv, ah, true), true)
	lr := LowRank{U: gc.lu, V: gc.lv}
	gc.operands = []gatedOperand{
		{"dense", PackGates(gc.w, g), m},
		{"lowrank", PackGatesLowRank(lr, g), m + r},
		// Operators the fused pass cannot stream go through work.
		{"packed", Pack(gc.w), m},
		{"lowrank-plain", PackLowRank(lr), m + r},
	}
	return gc
}

// exact returns the step's exact outputs for an operand, computed in
// float64 from PyTorch's equations, and for each a bound on the error of
// a float32 evaluation in the order of GRUStepGeneric or LSTMStepGeneric
// (with any order of summation in the products).
//
// Let e_q = errC·(T+2)·u·(Σ|products| + |b| + |xp|) bound the error of gate
// q's pre-activation (T terms of the product, two additions). σ is
// ¼-Lipschitz and tanh 1-Lipschitz, and both are within actErr of the
// exact functions. Then, for a GRU,
//
//	Δr, Δz ≤ e/4 + actErr
//	Δ(r·u_n + xp_n) ≤ Δr·(|u_n| + e_n) + r·e_n + u·(|r·u_n| + |xp_n|)
//	Δn ≤ that + actErr
//	ΔhNew ≤ 2Δn + Δz·(|h| + 1 + Δn) + 3u·(|h| + 1)
//
// and for an LSTM
//
//	Δi, Δf, Δo ≤ e/4 + actErr,  Δg ≤ e + actErr
//	ΔcNew ≤ Δf·|c| + Δi·(|g| + Δg) + i·Δg + u·(2|i·g| + |f·c|)
//	Δm ≤ Δo + o·(ΔcNew + actErr) + u
//
// and a projection adds Σ_j |W_hr|_ij Δm_j and its own product's bound.
func (gc *gatedCase) exact(name string) (y, by, c2, bc []float64) {
	s, a, terms := gc.sDense, gc.aDense, gc.m
	if name == "lowrank" || name == "lowrank-plain" {
		s, a, terms = gc.sLow, gc.aLow, gc.m+gc.r
	}
	n := gc.n
	xp, b, h, c := gc.xp.vec(), gc.b.vec(), gc.h.vec(), gc.c.vec()
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	e := func(q, i int) float64 {
		k := q*n + i
		return errC * float64(terms+2) * u32 * (a[k] + math.Abs(float64(b[k])) + math.Abs(float64(xp[k])))
	}
	pre := func(q, i int) float64 { k := q*n + i; return s[k] + float64(b[k]) + float64(xp[k]) }
	y, by = make([]float64, n), make([]float64, n)
	if !gc.lstm {
		for i := range n {
			r, z := sig(pre(0, i)), sig(pre(1, i))
			un := s[2*n+i] + float64(b[2*n+i])
			xn := float64(xp[2*n+i])
			nn := math.Tanh(r*un + xn)
			hi := float64(h[i])
			y[i] = (1-z)*nn + z*hi
			dr, dz := e(0, i)/4+actErr, e(1, i)/4+actErr
			en := e(2, i)
			dn := dr*(math.Abs(un)+en) + r*en + u32*(math.Abs(r*un)+math.Abs(xn)) + actErr
			by[i] = 2*dn + dz*(math.Abs(hi)+1+dn) + 3*u32*(math.Abs(hi)+1)
		}
		return y, by, nil, nil
	}
	c2, bc = make([]float64, n), make([]float64, n)
	for i := range n {
		ig, fg, gg, og := sig(pre(0, i)), sig(pre(1, i)), math.Tanh(pre(2, i)), sig(pre(3, i))
		ci := float64(c[i])
		c2[i] = fg*ci + ig*gg
		y[i] = og * math.Tanh(c2[i])
		di, df, dg, do := e(0, i)/4+actErr, e(1, i)/4+actErr, e(2, i)+actErr, e(3, i)/4+actErr
		bc[i] = df*math.Abs(ci) + di*(math.Abs(gg)+dg) + ig*dg + u32*(2*math.Abs(ig*gg)+math.Abs(fg*ci))
		by[i] = do + og*(bc[i]+actErr) + u32
	}
	if gc.proj.Rows == 0 {
		return y, by, c2, bc
	}
	ym, bym := y, by
	y, by = make([]float64, gc.m), make([]float64, gc.m)
	for i := range gc.m {
		var sum, prop, abs float64
		for j := range n {
			w := float64(gc.proj.At(i, j))
			sum += w * ym[j]
			prop += math.Abs(w) * bym[j]
			abs += math.Abs(w) * (math.Abs(ym[j]) + bym[j])
		}
		y[i] = sum
		by[i] = prop + errC*float64(n)*u32*abs
	}
	return y, by, c2, bc
}

// gatedResult is one step's outputs with their exact values and bounds.
type gatedResult struct {
	got     []float32 // hNew, then cNew for an LSTM
	want, b []float64
}

// runGatedCase runs GRUStep or LSTMStep with every operand of a case drawn
// from src on the active target, checks the outputs against the exact
// step, the guards, and that no input changed, and returns the outputs by
// operand.
func runGatedCase(c *checker, src valueSource, lstm bool, n, r, p int, l layout) map[string]gatedResult {
	c.t.Helper()
	return newGatedCase(src, lstm, n, r, p, l).run(c, l)
}

// run is runGatedCase for the operands of gc, with its vectors laid out as
// in l.
func (gc *gatedCase) run(c *checker, l layout) map[string]gatedResult {
	c.t.Helper()
	lstm, n, r, p := gc.lstm, gc.n, gc.r, gc.proj.Rows
	out := map[string]gatedResult{}
	cell := "GRUStep"
	if lstm {
		cell = "LSTMStep"
	}
	for _, o := range gc.operands {
		what := fmt.Sprintf("%s %s%s n=%d r=%d p=%d (%v)", cell, o.name, gc.note, n, r, p, l)
		hNew := newGuarded("hNew", gc.m, l.offY)
		cNew := newGuarded("cNew", n, l.offY^5)
		work := newGuarded("work", 5*n, l.offA^3)
		for _, v := range []*guarded{hNew, cNew, work} {
			v.freeze()
		}
		ok := c.call(what, func() {
			if lstm {
				LSTMStep(hNew.vec(), cNew.vec(), gc.h.vec(), gc.c.vec(), gc.xp.vec(), gc.b.vec(), o.op, gc.projOp, work.vec())
			} else {
				GRUStep(hNew.vec(), gc.h.vec(), gc.xp.vec(), gc.b.vec(), o.op, work.vec()[:3*n])
			}
		})
		for _, v := range []*guarded{gc.h, gc.c, gc.xp, gc.b} {
			v.check(c, what, false)
		}
		hNew.check(c, what, true)
		cNew.check(c, what, lstm)
		work.check(c, what, true)
		if !ok {
			continue
		}
		y, by, c2, bc := gc.exact(o.name)
		res := gatedResult{got: slices.Clone(hNew.vec()), want: y, b: by}
		if lstm {
			res.got = append(res.got, cNew.vec()...)
			res.want = append(slices.Clone(y), c2...)
			res.b = append(slices.Clone(by), bc...)
		}
		compareGated(c, what, res)
		out[o.name] = res
	}
	return out
}

// compareGated reports the outputs outside their bounds (NaN fails too),
// at most three per call.
func compareGated(c *checker, what string, res gatedResult) bool {
	c.t.Helper()
	bad := 0
	for i, g := range res.got {
		d := math.Abs(float64(g) - res.want[i])
		if d <= res.b[i] {
			continue
		}
		c.errorf("%s: output %d = %v, want %v ± %.3g (|err| = %.3g = %.3g×bound)", what, i, g, res.want[i], res.b[i], d, d/res.b[i])
		if bad++; bad == 3 {
			break
		}
	}
	return bad == 0
}

// gatedSizes returns the unit counts of the sweeps: every n up to five
// blocks and one (all groupings of the drivers' panels, partial last
// blocks), then larger ones; -short keeps a sample.
func gatedSizes() []int {
	if testing.Short() {
		return []int{1, 2, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 81}
	}
	var ns []int
	for n := 1; n <= 81; n++ {
		ns = append(ns, n)
	}
	return append(ns, 100, 130, 256)
}

func TestGRUStep(t *testing.T) {
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		rnd := newRand(31)
		for _, n := range gatedSizes() {
			for _, r := range []int{1, 7, 16, 17} {
				runGatedCase(c, rnd, false, n, r, 0, randLayout(rnd))
			}
		}
	})
}

func TestLSTMStep(t *testing.T) {
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		rnd := newRand(32)
		for _, n := range gatedSizes() {
			for _, r := range []int{1, 16, 17} {
				for _, p := range []int{0, 1, 9, 16, 20} {
					runGatedCase(c, rnd, true, n, r, p, randLayout(rnd))
				}
			}
		}
	})
}

// TestGatedHighRank takes the joint low rank past lowRankChunk, where the
// step applies the factors in chunks into work instead of fusing them.
func TestGatedHighRank(t *testing.T) {
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		rnd := newRand(33)
		for _, n := range []int{5, 20} {
			runGatedCase(c, rnd, false, n, lowRankChunk+9, 0, randLayout(rnd))
			runGatedCase(c, rnd, true, n, lowRankChunk+9, 3, randLayout(rnd))
		}
	})
}

// TestGatedConvention pins PyTorch's conventions with one unit and values
// computed by hand (float64): GRU gates r, z, n, with b_hn inside r ⊙ (…)
// and hNew = (1 − z)·n + z·h; LSTM gates i, f, g, o.
//
// GRU: W_hh = [0.5; -1; 2], h = 0.5, b_hh = [0.1, 0.2, 0.3], xp = [0.3,
// -0.4, 0.2]: r = σ(0.25+0.1+0.3) = σ(0.65), z = σ(-0.5+0.2-0.4) = σ(-0.7),
// n = tanh(0.2 + r·(1+0.3)), hNew = (1−z)·n + z·0.5. A swapped gate order,
// b_hn outside r, or z and 1 − z exchanged each give another value.
//
// LSTM: W_hh = [0.5; -1; 2; 0.25], h = 0.5, c = -0.3, b_hh = [0.1, 0.2,
// 0.3, 0.4], xp = [0.3, -0.4, 0.2, -0.1]: i = σ(0.65), f = σ(-0.7),
// g = tanh(1.5), o = σ(0.425), cNew = f·c + i·g, hNew = o·tanh(cNew).
func TestGatedConvention(t *testing.T) {
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	r, z := sig(0.65), sig(-0.7)
	n := math.Tanh(0.2 + r*1.3)
	gru := (1-z)*n + z*0.5
	i, f, g, o := sig(0.65), sig(-0.7), math.Tanh(1.5), sig(0.425)
	c2 := f*-0.3 + i*g
	lstm := o * math.Tanh(c2)
	col := func(v ...float32) Matrix { return Matrix{Rows: len(v), Cols: 1, Stride: 1, Data: v} }
	wg := col(0.5, -1, 2)
	wl := col(0.5, -1, 2, 0.25)
	forEachTarget(t, func(t *testing.T) {
		for _, u := range []Operator{PackGates(wg, 3), Pack(wg)} {
			h := make([]float32, 1)
			GRUStep(h, []float32{0.5}, []float32{0.3, -0.4, 0.2}, []float32{0.1, 0.2, 0.3}, u, make([]float32, 3))
			if d := math.Abs(float64(h[0]) - gru); d > 1e-6 {
				t.Errorf("GRU %T: h' = %.9f, want %.9f", u, h[0], gru)
			}
		}
		for _, u := range []Operator{PackGates(wl, 4), Pack(wl)} {
			h, c := make([]float32, 1), make([]float32, 1)
			LSTMStep(h, c, []float32{0.5}, []float32{-0.3}, []float32{0.3, -0.4, 0.2, -0.1}, []float32{0.1, 0.2, 0.3, 0.4}, u, nil, make([]float32, 5))
			if d := math.Abs(float64(c[0]) - c2); d > 1e-6 {
				t.Errorf("LSTM %T: c' = %.9f, want %.9f", u, c[0], c2)
			}
			if d := math.Abs(float64(h[0]) - lstm); d > 1e-6 {
				t.Errorf("LSTM %T: h' = %.9f, want %.9f", u, h[0], lstm)
			}
		}
	})
	t.Logf("GRU h' = %.9f, LSTM c' = %.9f, h' = %.9f", gru, c2, lstm)
}

// TestGatedGeneric checks the references GRUStepGeneric and LSTMStepGeneric
// against the exact step like the steps themselves: they are the
// specification, so they must meet the bound too.
func TestGatedGeneric(t *testing.T) {
	c := &checker{t: t}
	rnd := newRand(34)
	for _, n := range []int{1, 16, 17, 40} {
		for _, lstm := range []bool{false, true} {
			p := 0
			if lstm {
				p = 7
			}
			newGatedCase(rnd, lstm, n, 5, p, layout{}).checkGeneric(c)
		}
	}
}

// checkGeneric compares the references, GRUStepGeneric or LSTMStepGeneric,
// on every operand of gc with the exact step.
func (gc *gatedCase) checkGeneric(c *checker) {
	n, lstm := gc.n, gc.lstm
	for _, o := range gc.operands {
		y, by, c2, bc := gc.exact(o.name)
		hNew, cNew, work := make([]float32, gc.m), make([]float32, n), make([]float32, 5*n)
		res := gatedResult{want: y, b: by}
		if lstm {
			LSTMStepGeneric(hNew, cNew, gc.h.vec(), gc.c.vec(), gc.xp.vec(), gc.b.vec(), o.op, gc.projOp, work)
			res.got, res.want, res.b = append(hNew, cNew...), append(y, c2...), append(by, bc...)
		} else {
			GRUStepGeneric(hNew, gc.h.vec(), gc.xp.vec(), gc.b.vec(), o.op, work)
			res.got = hNew
		}
		compareGated(c, fmt.Sprintf("Generic lstm=%v %s%s n=%d", lstm, o.name, gc.note, n), res)
	}
}

// TestGatedBatch runs B sequences through GRUStepBatch and LSTMStepBatch
// (rows in strided views) and checks each row against the exact step of
// that row, for every operand form.
func TestGatedBatch(t *testing.T) {
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		rnd := newRand(35)
		for _, n := range []int{5, 16, 33, 64} {
			for _, B := range []int{1, 2, 3, 4, 5, 8, 9} {
				for _, lstm := range []bool{false, true} {
					p := 0
					if lstm && B%2 == 1 {
						p = 6
					}
					runGatedBatch(c, rnd, lstm, n, 7, p, B)
				}
			}
		}
	})
}

// runGatedBatch runs a batch of B rows with the default operands, or with
// the gate-interleaved ones packed in geom if given.
func runGatedBatch(c *checker, rnd randSource, lstm bool, n, r, p, B int, geom ...Geometry) {
	c.t.Helper()
	// One case per row, sharing the weights of the first.
	cases := make([]*gatedCase, B)
	for k := range cases {
		cases[k] = newGatedCase(rnd, lstm, n, r, p, layout{})
	}
	base := cases[0]
	for _, g := range geom {
		base.withGeometry(g)
	}
	g, m := base.g, base.m
	for _, gc := range cases[1:] {
		gc.w, gc.lu, gc.lv, gc.proj, gc.projOp = base.w, base.lu, base.lv, base.proj, base.projOp
		gc.b = base.b
		h := to64(gc.h.vec())
		ah := abs64(gc.h.vec())
		gc.sDense, gc.aDense = gemv64(gc.w, h, false), gemv64(gc.w, ah, true)
		gc.sLow = gemv64(gc.lu, gemv64(gc.lv, h, false), false)
		gc.aLow = gemv64(gc.lu, gemv64(gc.lv, ah, true), true)
	}
	rows := func(cols, gap int, get func(*gatedCase) []float32) Matrix {
		a := NewMatrix(B, cols+gap)
		a.Cols = cols
		for k, gc := range cases {
			if get != nil {
				copy(a.Row(k), get(gc))
			}
		}
		return a
	}
	h := rows(m, 3, func(gc *gatedCase) []float32 { return gc.h.vec() })
	cm := rows(n, 1, func(gc *gatedCase) []float32 { return gc.c.vec() })
	xp := rows(g*n, 5, func(gc *gatedCase) []float32 { return gc.xp.vec() })
	for _, o := range base.operands {
		what := fmt.Sprintf("batch lstm=%v %s%s n=%d p=%d B=%d", lstm, o.name, base.note, n, p, B)
		hNew, cNew := rows(m, 2, nil), rows(n, 4, nil)
		work := make([]float32, 5*B*n)
		if !c.call(what, func() {
			if lstm {
				LSTMStepBatch(hNew, cNew, h, cm, xp, base.b.vec(), o.op, base.projOp, work)
			} else {
				GRUStepBatch(hNew, h, xp, base.b.vec(), o.op, work)
			}
		}) {
			continue
		}
		for k, gc := range cases {
			y, by, c2, bc := gc.exact(o.name)
			res := gatedResult{got: slices.Clone(hNew.Row(k)), want: y, b: by}
			if lstm {
				res.got, res.want, res.b = append(res.got, cNew.Row(k)...), append(y, c2...), append(by, bc...)
			}
			compareGated(c, fmt.Sprintf("%s row %d", what, k), res)
		}
	}
}

// TestGatedNaN checks that a NaN in the state reaches every output of a
// dense step, as it does in PyTorch, on every target.
func TestGatedNaN(t *testing.T) {
	forEachTarget(t, func(t *testing.T) {
		for _, lstm := range []bool{false, true} {
			gc := newGatedCase(newRand(36), lstm, 40, 6, 0, layout{})
			h := slices.Clone(gc.h.vec())
			h[5] = float32(math.NaN())
			for _, o := range gc.operands {
				hNew, cNew, work := make([]float32, gc.n), make([]float32, gc.n), make([]float32, 5*gc.n)
				if lstm {
					LSTMStep(hNew, cNew, h, gc.c.vec(), gc.xp.vec(), gc.b.vec(), o.op, nil, work)
				} else {
					GRUStep(hNew, h, gc.xp.vec(), gc.b.vec(), o.op, work)
				}
				for i, v := range hNew {
					if v == v {
						t.Fatalf("lstm=%v %s: NaN in h[5] did not reach h'[%d] = %v", lstm, o.name, i, v)
					}
				}
			}
		}
	})
}

func TestGatedPanics(t *testing.T) {
	w := NewMatrix(24, 8)
	gru, lstm := PackGates(w, 3), PackGates(w, 4) // 3×8 units of 8, 4×6 units of 8
	h, xp, b := make([]float32, 8), make([]float32, 24), make([]float32, 24)
	mustPanic(t, "gates", func() { PackGates(w, 5) }, "24 rows", "5 gates")
	mustPanic(t, "short xp", func() { GRUStep(make([]float32, 8), h, xp[:23], b, gru, make([]float32, 24)) }, "len(xp) = 23", "3·8 = 24")
	mustPanic(t, "wrong U", func() { GRUStep(make([]float32, 16), h, xp, b, gru, make([]float32, 24)) }, "len(hNew) = 16, want 8")
	mustPanic(t, "U of an LSTM", func() { GRUStep(make([]float32, 8), h, xp, b, lstm, make([]float32, 24)) }, "packed for 4 gates, want 3")
	mustPanic(t, "U too small", func() { GRUStep(make([]float32, 4), h[:4], xp[:12], b[:12], gru, make([]float32, 24)) }, "24×8", "want 12×4")
	mustPanic(t, "short work", func() { GRUStep(make([]float32, 8), h, xp, b, gru, make([]float32, 23)) }, "len(work) = 23")
	mustPanic(t, "alias", func() { GRUStep(h, h, xp, b, gru, make([]float32, 24)) }, "overlap")
	mustPanic(t, "alias work", func() { GRUStep(make([]float32, 8), h, xp, b, gru, xp) }, "overlap")
	mustPanic(t, "nil U", func() { GRUStep(make([]float32, 8), h, xp, b, nil, make([]float32, 24)) }, "nil")
	c, c2 := make([]float32, 6), make([]float32, 6)
	mustPanic(t, "no projection", func() { LSTMStep(make([]float32, 8), c2, h, c, xp, b, lstm, nil, make([]float32, 30)) }, "len(h) = 8", "6 units")
	proj := Pack(NewMatrix(8, 5))
	mustPanic(t, "projection shape", func() {
		LSTMStep(make([]float32, 8), c2, h, c, xp, b, lstm, proj, make([]float32, 30))
	}, "projection is 8×5", "want 8×6")
	mustPanic(t, "LSTM work", func() {
		LSTMStep(make([]float32, 8), c2, h, c, xp, b, lstm, Pack(NewMatrix(8, 6)), make([]float32, 29))
	}, "len(work) = 29")
	mustPanic(t, "batch xp", func() {
		GRUStepBatch(NewMatrix(2, 8), NewMatrix(2, 8), NewMatrix(2, 23), b, gru, make([]float32, 48))
	}, "xp is 2×23", "want 2×24")
}

// TestGatedAllocs: the steps and batches allocate nothing, with the
// 16-row layout and with tall panels (whose batches reorder their
// products in place), on every target.
func TestGatedAllocs(t *testing.T) {
	const n, B = 128, 5
	forEachTarget(t, func(t *testing.T) {
		// nil: the operands of newGatedCase, in this CPU's geometries.
		for _, g := range []*Geometry{nil, {Rows: 64, Streams: 1, Accs: 16, Prefetch: 512}} {
			for _, lstm := range []bool{false, true} {
				gc := newGatedCase(newRand(37), lstm, n, 16, 0, layout{})
				if g != nil {
					gc = gc.withGeometry(*g)
				}
				rnd := newRand(38)
				h, cm := randGatedMatrix(rnd, B, n), randGatedMatrix(rnd, B, n)
				xp := randGatedMatrix(rnd, B, gc.g*n)
				hNew, cNew := NewMatrix(B, n), NewMatrix(B, n)
				work := make([]float32, 5*B*n)
				for _, o := range gc.operands {
					for _, proj := range []Operator{nil, Pack(randGatedMatrix(rnd, n, n))} {
						if !lstm && proj != nil {
							continue
						}
						step := func() {
							if lstm {
								LSTMStep(hNew.Row(0), cNew.Row(0), h.Row(0), cm.Row(0), xp.Row(0), gc.b.vec(), o.op, proj, work)
							} else {
								GRUStep(hNew.Row(0), h.Row(0), xp.Row(0), gc.b.vec(), o.op, work)
							}
						}
						batch := func() {
							if lstm {
								LSTMStepBatch(hNew, cNew, h, cm, xp, gc.b.vec(), o.op, proj, work)
							} else {
								GRUStepBatch(hNew, h, xp, gc.b.vec(), o.op, work)
							}
						}
						if a := testing.AllocsPerRun(10, step); a != 0 {
							t.Errorf("lstm=%v %s%s proj=%v: step: %v allocs, want 0", lstm, o.name, gc.note, proj != nil, a)
						}
						if a := testing.AllocsPerRun(10, batch); a != 0 {
							t.Errorf("lstm=%v %s%s proj=%v: batch: %v allocs, want 0", lstm, o.name, gc.note, proj != nil, a)
						}
					}
				}
			}
		}
	})
}

func randGatedMatrix(rnd randSource, rows, cols int) Matrix {
	a := NewMatrix(rows, cols)
	for i := range a.Data {
		a.Data[i] = rnd.next() / float32(math.Sqrt(float64(cols)))
	}
	return a
}

// TestPackGates checks the gate-interleaved packing: Unpack gives the
// matrix back, the panels lie where the leaves expect them, and the
// products (dense and low rank, with ranks past lowRankChunk, and the
// batches) are the stacked matrix's in PyTorch's row order.
func TestPackGates(t *testing.T) {
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		rnd := newRand(39)
		for _, g := range []int{1, 3, 4} {
			for _, n := range []int{1, 15, 16, 17, 40} {
				for _, m := range []int{0, 1, 5, 33} {
					w := randGatedMatrix(rnd, g*n, max(m, 1))
					w.Cols = m
					w.Stride = max(m, 1)
					p := PackGates(w, g)
					if p.Gates() != g || p.Hidden() != n || p.Rows() != g*n || p.Cols() != m || p.WeightBytes() != 4*g*n*m {
						t.Fatalf("PackGates %d×%d, %d gates: Gates, Hidden, Rows, Cols, WeightBytes = %d, %d, %d, %d, %d",
							g*n, m, g, p.Gates(), p.Hidden(), p.Rows(), p.Cols(), p.WeightBytes())
					}
					u := p.Unpack()
					for i := 0; i < g*n; i++ {
						for j := 0; j < m; j++ {
							if u.At(i, j) != w.At(i, j) {
								t.Fatalf("PackGates %d×%d, %d gates: Unpack[%d][%d] = %v, want %v", g*n, m, g, i, j, u.At(i, j), w.At(i, j))
							}
							q := g*(i%n/PanelRows) + i/n // panel of row i: its gate and block
							if got := p.data[q*p.panelStride+j*PanelRows+i%n%PanelRows]; got != w.At(i, j) {
								t.Fatalf("PackGates %d×%d, %d gates: row %d column %d is %v in the panels, want %v", g*n, m, g, i, j, got, w.At(i, j))
							}
						}
					}
					x := make([]float32, m)
					for i := range x {
						x[i] = rnd.next()
					}
					y := make([]float32, g*n)
					what := fmt.Sprintf("PackedGates.MatVec %d×%d, %d gates", g*n, m, g)
					c.call(what, func() { p.MatVec(y, x) })
					c.compare(what, y, matVecRef(w, x))
					y0 := slices.Clone(y)
					c.call(what, func() { p.MatVecAdd(y, x) })
					c.compare("PackedGates.MatVecAdd", y, matVecRef(w, x).addInto(y0))
				}
			}
		}
		for _, r := range []int{0, 3, 16, lowRankChunk + 17} {
			const g, n, m = 3, 21, 10
			lr := LowRank{U: randGatedMatrix(rnd, g*n, r), V: randGatedMatrix(rnd, r, m)}
			if r == 0 {
				lr = LowRank{U: NewMatrix(g*n, 0), V: NewMatrix(0, m)}
			}
			p := PackGatesLowRank(lr, g)
			x := make([]float32, m)
			for i := range x {
				x[i] = rnd.next()
			}
			y := make([]float32, g*n)
			what := fmt.Sprintf("PackedGatesLowRank.MatVec rank %d", r)
			c.call(what, func() { p.MatVec(y, x) })
			c.compare(what, y, lowRankRef(lr, x))
			y0 := slices.Clone(y)
			c.call(what, func() { p.MatVecAdd(y, x) })
			c.compare("PackedGatesLowRank.MatVecAdd", y, lowRankRef(lr, x).addInto(y0))
			if p.Rank() != r || p.Rows() != g*n || p.Cols() != m || p.WeightBytes() != 4*r*(g*n+m) {
				t.Errorf("PackGatesLowRank rank %d: Rank, Rows, Cols, WeightBytes = %d, %d, %d, %d", r, p.Rank(), p.Rows(), p.Cols(), p.WeightBytes())
			}
		}
	})
}

// checkGatesProducts compares op's MatVec and MatVecAdd on the first row
// of x, into y, and its batched product of every row, into yb, with ref.
func checkGatesProducts(c *checker, what string, op Operator, ref func(x []float32) refVec, x Matrix, y []float32, yb Matrix) {
	c.call(what+" MatVec", func() { op.MatVec(y, x.Row(0)) })
	c.compare(what+" MatVec", y, ref(x.Row(0)))
	y0 := slices.Clone(y)
	c.call(what+" MatVecAdd", func() { op.MatVecAdd(y, x.Row(0)) })
	c.compare(what+" MatVecAdd", y, ref(x.Row(0)).addInto(y0))
	c.call(what+" batch", func() { gatesBatchProduct(yb, op, x) })
	for b := range x.Rows {
		c.compare(fmt.Sprintf("%s batch row %d", what, b), yb.Row(b), ref(x.Row(b)))
	}
}

// withGeometry replaces the operands of gc with the gate-interleaved ones
// packed in g (U in g, V in the tiles or the default geometry), named
// like newGatedCase's.
func (gc *gatedCase) withGeometry(g Geometry) *gatedCase {
	gv := DefaultGeometry
	if g.Rows >= 32 {
		gv = TileGeometry
	}
	lr := LowRank{U: gc.lu, V: gc.lv}
	gc.operands = []gatedOperand{
		{"dense", PackGatesWith(gc.w, gc.g, g), gc.m},
		{"lowrank", PackGatesLowRankWith(lr, gc.g, g, gv), gc.m + gc.r},
	}
	gc.note = " (" + g.String() + ")"
	return gc
}

// wantGatesGeometry returns the geometry gates of n rows should be packed
// in when g is asked for: g where its panels fit the gate-interleaved
// layout (see PackedGates), DefaultGeometry where they do not.
func wantGatesGeometry(g Geometry, gates, n int) Geometry {
	if g.Rows == 16 || n%16 == 0 && gates*n%g.Rows == 0 {
		return g
	}
	return DefaultGeometry
}

// gatesGeometrySweep returns the geometries and units of the geometry
// sweeps: every geometry, with and without prefetching; whole blocks that
// fit every height or only some, and one that fits none but 16. -short
// (the emulated runs) leaves out prefetching and n = 256.
func gatesGeometrySweep() ([]Geometry, []int) {
	if testing.Short() {
		return Geometries(), []int{16, 40, 48, 128}
	}
	return Geometries(512), []int{16, 40, 48, 128, 256}
}

// TestGatedGeometries runs the fused steps, the references and the
// batches with the gate-interleaved weights packed in every geometry
// (with and without prefetching), on every target: panels taller than 16
// rows where they fit the layout, 16-row ones where they do not.
func TestGatedGeometries(t *testing.T) {
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		rnd := newRand(42)
		geoms, sizes := gatesGeometrySweep()
		for _, g := range geoms {
			for _, n := range sizes {
				for _, lstm := range []bool{false, true} {
					gates, p := 3, 0
					if lstm {
						gates = 4
						if n == 48 {
							p = 20
						}
					}
					gc := newGatedCase(rnd, lstm, n, 24, p, layout{}).withGeometry(g)
					checkGatesGeometry(t, gc, g, gates, n)
					gc.run(c, randLayout(rnd))
					gc.checkGeneric(c) // the references, the specification, for every layout
					if n <= 128 {
						for _, B := range []int{1, 4, 5} {
							runGatedBatch(c, rnd, lstm, n, 24, p, B, g)
						}
					}
				}
			}
		}
	})
}

// checkGatesGeometry checks that the operands of gc took g where its
// panels fit the layout and DefaultGeometry where they do not.
func checkGatesGeometry(t *testing.T, gc *gatedCase, g Geometry, gates, n int) {
	t.Helper()
	want := wantGatesGeometry(g, gates, n)
	for _, o := range gc.operands {
		var u *PackedGates
		switch op := o.op.(type) {
		case *PackedGates:
			u = op
		case *PackedGatesLowRank:
			u = op.U
		}
		if u.Geometry() != want {
			t.Fatalf("%s, %d gates of %d units, asked for %v: packed in %v, want %v", o.name, gates, n, g, u.Geometry(), want)
		}
	}
}

// TestPackGatesGeometries checks the gate-interleaved packing in every
// geometry: Unpack gives the matrix back, row i lies at its interleaved
// row in panels of the geometry's height, and the products (dense, low
// rank with ranks past lowRankChunk, batches) are the stacked matrix's
// in PyTorch's row order; they allocate nothing.
func TestPackGatesGeometries(t *testing.T) {
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		rnd := newRand(43)
		geoms, sizes := gatesGeometrySweep()
		for _, g := range geoms {
			for _, gates := range []int{1, 3, 4} {
				for _, n := range sizes {
					for _, m := range []int{0, 5, 33} {
						w := randGatedMatrix(rnd, gates*n, max(m, 1))
						w.Cols = m
						w.Stride = max(m, 1)
						p := PackGatesWith(w, gates, g)
						what := fmt.Sprintf("PackGatesWith %d×%d, %d gates, %v", gates*n, m, gates, g)
						want := wantGatesGeometry(g, gates, n)
						if p.Geometry() != want {
							t.Fatalf("%s: packed in %v, want %v", what, p.Geometry(), want)
						}
						u := p.Unpack()
						h := p.Geometry().Rows
						for i := 0; i < gates*n; i++ {
							q := (gates*(i%n/16)+i/n)*16 + i%n%16 // its interleaved row
							for j := 0; j < m; j++ {
								if u.At(i, j) != w.At(i, j) {
									t.Fatalf("%s: Unpack[%d][%d] = %v, want %v", what, i, j, u.At(i, j), w.At(i, j))
								}
								if got := p.data[q/h*h*m+j*h+q%h]; got != w.At(i, j) {
									t.Fatalf("%s: row %d column %d is %v in the panels, want %v", what, i, j, got, w.At(i, j))
								}
							}
						}
						x := randGatedMatrix(rnd, 5, m)
						y := make([]float32, gates*n)
						yb := NewMatrix(5, gates*n+3)
						yb.Cols = gates * n
						checkGatesProducts(c, what, p, func(x []float32) refVec { return matVecRef(w, x) }, x, y, yb)
						if m == 33 && n == 128 {
							if a := testing.AllocsPerRun(10, func() { p.MatVec(y, x.Row(0)); p.MatVecAdd(y, x.Row(0)); gatesBatchProduct(yb, p, x) }); a != 0 {
								t.Errorf("%s: %v allocs, want 0", what, a)
							}
						}
					}
				}
			}
			for _, r := range []int{3, 16, lowRankChunk + 17} {
				const gates, n, m = 3, 128, 10
				lr := LowRank{U: randGatedMatrix(rnd, gates*n, r), V: randGatedMatrix(rnd, r, m)}
				for _, gv := range []Geometry{DefaultGeometry, TileGeometry} {
					p := PackGatesLowRankWith(lr, gates, g, gv)
					what := fmt.Sprintf("PackedGatesLowRank rank %d, U %v, V %v", r, g, gv)
					if p.U.Geometry() != g || p.V.Geometry() != gv {
						t.Fatalf("%s: packed in %v and %v", what, p.U.Geometry(), p.V.Geometry())
					}
					x := randGatedMatrix(rnd, 5, m)
					y := make([]float32, gates*n)
					yb := NewMatrix(5, gates*n)
					checkGatesProducts(c, what, p, func(x []float32) refVec { return lowRankRef(lr, x) }, x, y, yb)
					if a := testing.AllocsPerRun(10, func() { p.MatVec(y, x.Row(0)); p.MatVecAdd(y, x.Row(0)); gatesBatchProduct(yb, p, x) }); a != 0 {
						t.Errorf("%s: %v allocs, want 0", what, a)
					}
				}
			}
		}
	})
}
