package kernels

// The kernels test suite. Every test that touches a kernel runs once per
// available target (forEachTarget), in one binary, and checks the result
// against a float64 reference computed with gonum within a stated rounding
// bound (see errC). Operands live in guarded buffers: NaN sentinels before,
// after and between matrix rows, so that a stray read shows up as a NaN in
// the result and a stray write as a changed sentinel. guard_linux_test.go
// adds PROT_NONE guard pages, fuzz_test.go a fuzz target.
//
// Environment:
//
//	LOWRANK_REQUIRE=avx512,avx2  a listed target that this build or CPU lacks
//	                             fails the tests instead of being skipped.
//
// -short shrinks the sweeps, for runs under emulation (qemu-user).

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// ---------------------------------------------------------------------------
// Targets

// requiredTargets returns the set of target names listed in LOWRANK_REQUIRE
// (comma-separated).
func requiredTargets() map[string]bool {
	req := map[string]bool{}
	for _, name := range strings.Split(os.Getenv("LOWRANK_REQUIRE"), ",") {
		if name = strings.TrimSpace(name); name != "" {
			req[name] = true
		}
	}
	return req
}

// forEachTarget runs f as a subtest named after each target compiled into
// this binary, with that target active (kernels.Use, restored afterwards).
// An unavailable target is skipped, unless LOWRANK_REQUIRE lists it: then it
// fails, as does a required target this build does not have at all, so that a
// CI machine that silently lost its AVX-512 path cannot pass.
func forEachTarget(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	req := requiredTargets()
	ts := Targets()
	for _, tg := range ts {
		t.Run(tg.Name, func(t *testing.T) {
			if !tg.Available {
				if req[tg.Name] {
					t.Fatalf("target %s is required (LOWRANK_REQUIRE=%s) but unavailable: %s",
						tg.Name, os.Getenv("LOWRANK_REQUIRE"), tg.Missing)
				}
				t.Skipf("target %s unavailable: %s", tg.Name, tg.Missing)
			}
			restore, err := Use(tg.Name)
			if err != nil {
				t.Fatalf("Use(%q): %v", tg.Name, err)
			}
			defer restore()
			f(t)
		})
	}
	for _, name := range slices.Sorted(maps.Keys(req)) {
		if !slices.ContainsFunc(ts, func(tg Target) bool { return tg.Name == name }) {
			t.Run(name, func(t *testing.T) {
				t.Fatalf("target %s is required (LOWRANK_REQUIRE=%s) but this build has only %s",
					name, os.Getenv("LOWRANK_REQUIRE"), names(ts, false))
			})
		}
	}
}

// availableTargets returns the names of the targets to test, failing t for
// every target LOWRANK_REQUIRE lists that is missing or unavailable. It is
// forEachTarget for fuzz functions, which compare targets with each other.
func availableTargets(t testing.TB) []string {
	t.Helper()
	req := requiredTargets()
	avail := Available()
	for _, name := range slices.Sorted(maps.Keys(req)) {
		if !slices.Contains(avail, name) {
			t.Errorf("target %s is required (LOWRANK_REQUIRE) but unavailable (available: %s)",
				name, strings.Join(avail, ", "))
		}
	}
	return avail
}

// ---------------------------------------------------------------------------
// Rounding-error bound

// u32 is the unit roundoff of float32, 2⁻²⁴.
const u32 = 1.0 / (1 << 24)

// errC is the constant c of the bound every result is tested against:
//
//	|got_i − ref_i| ≤ c · n · u · S_i
//
// where ref_i is the exact result (computed in float64), n the number of
// terms a result element sums and S_i the sum of their absolute values.
//
// Dense. A float32 sum of n products s = Σ_j a_j·x_j, computed in any order
// (one accumulator, several, SIMD lanes reduced by a tree) and with or
// without FMA, satisfies (Higham, Accuracy and Stability of Numerical
// Algorithms, 2nd ed., §3.1, (3.4)–(3.5))
//
//	|ŝ − s| ≤ γ_n · Σ_j |a_j·x_j|,   γ_n = n·u/(1 − n·u),
//
// because in any summation tree every product meets at most n roundings: its
// own (none when fused into an FMA) and at most n−1 additions; adding exact
// zeros from padded lanes rounds nothing. For n·u ≤ 0.01 (n ≤ 167772, far
// above the sizes here) γ_n ≤ 1.01·n·u. The reference is exact up to float64
// rounding: float32 products are exact in float64, and the float64 sum adds
// at most γ_n(2⁻⁵³)·S, 2⁻²⁹ of the float32 bound. So every correct kernel
// meets c = 1.01 whatever its order; we state c = 2, room for the product
// roundings and the reference, yet a dropped, doubled or misplaced term
// (error ≈ |a_j·x_j|, not n·u of it) is caught at the sizes where tails and
// remainders live (TestExactIntegers covers the large ones).
// MatVecAdd's y_i is one more term: n+1 terms, |y_i| added to S_i.
//
// Low rank, y = U·(V·x) with U n×r and V r×m. Let T_k = Σ_j |v_kj·x_j| and
// S_i = Σ_k |u_ik|·T_k. The computed t̂_k = fl(Σ_j v_kj·x_j) satisfies
// |t̂_k − t_k| ≤ γ_m·T_k, hence |t̂_k| ≤ (1+γ_m)·T_k. The computed
// ŷ_i = fl(Σ_k u_ik·t̂_k) satisfies |ŷ_i − Σ_k u_ik·t̂_k| ≤ γ_r·Σ_k |u_ik|·|t̂_k|.
// So
//
//	|ŷ_i − y_i| ≤ |ŷ_i − Σ_k u_ik·t̂_k| + Σ_k |u_ik|·|t̂_k − t_k|
//	           ≤ γ_r·(1+γ_m)·S_i + γ_m·S_i
//	           = (γ_r + γ_m + γ_r·γ_m)·S_i ≤ γ_{r+m}·S_i      (Higham, Lemma 3.3),
//
// the dense bound with n = r+m terms and S_i in place of Σ_j |a_ij·x_j|.
// Ranks above lowRankChunk are applied in chunks whose partial sums are
// added into y; a term of chunk k still meets at most r roundings (at most
// its chunk's size inside the chunk, plus one per chunk add, and every other
// chunk holds at least one term), so the bound stands. LowRankMatVecAdd again
// counts y_i as one more term.
const errC = 2

// refVec is the float64 reference for a vector result: the exact value of
// each element, the sum S of the absolute values of its terms, and the
// number n of terms, so that bound(i) = errC·n·u·S_i.
type refVec struct {
	want, abs []float64
	terms     int
}

func (r refVec) bound(i int) float64 { return errC * float64(r.terms) * u32 * r.abs[i] }

// addInto returns the reference of y0 + r (a …Add operation).
func (r refVec) addInto(y0 []float32) refVec {
	s := refVec{want: slices.Clone(r.want), abs: slices.Clone(r.abs), terms: r.terms + 1}
	for i, v := range y0 {
		s.want[i] += float64(v)
		s.abs[i] += math.Abs(float64(v))
	}
	return s
}

// gemv64 returns A·x computed in float64 by gonum's blas64.Gemv. With abs
// it uses |A| instead, so gemv64(a, |x|, true) is Σ_j |a_ij·x_j|.
func gemv64(a Matrix, x []float64, abs bool) []float64 {
	y := make([]float64, a.Rows)
	if a.Rows == 0 || a.Cols == 0 {
		return y
	}
	g := blas64.General{Rows: a.Rows, Cols: a.Cols, Stride: a.Cols, Data: make([]float64, a.Rows*a.Cols)}
	for i := 0; i < a.Rows; i++ {
		for j := 0; j < a.Cols; j++ {
			v := float64(a.At(i, j))
			if abs {
				v = math.Abs(v)
			}
			g.Data[i*a.Cols+j] = v
		}
	}
	blas64.Gemv(blas.NoTrans, 1, g,
		blas64.Vector{N: a.Cols, Inc: 1, Data: x}, 0,
		blas64.Vector{N: a.Rows, Inc: 1, Data: y})
	return y
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func abs64(x []float32) []float64 {
	y := to64(x)
	for i, v := range y {
		y[i] = math.Abs(v)
	}
	return y
}

// matVecRef is the reference for y = A·x.
func matVecRef(a Matrix, x []float32) refVec {
	return refVec{want: gemv64(a, to64(x), false), abs: gemv64(a, abs64(x), true), terms: a.Cols}
}

// lowRankRef is the reference for y = U·(V·x); see errC for the bound.
func lowRankRef(w LowRank, x []float32) refVec {
	t := gemv64(w.V, to64(x), false)
	tabs := gemv64(w.V, abs64(x), true)
	return refVec{want: gemv64(w.U, t, false), abs: gemv64(w.U, tabs, true), terms: w.V.Rows + w.V.Cols}
}

// dotRef is the reference for Σ x_i·y_i, by gonum's blas64.Dot.
func dotRef(x, y []float32) refVec {
	vec := func(v []float64) blas64.Vector { return blas64.Vector{N: len(v), Inc: 1, Data: v} }
	return refVec{
		want:  []float64{blas64.Dot(vec(to64(x)), vec(to64(y)))},
		abs:   []float64{blas64.Dot(vec(abs64(x)), vec(abs64(y)))},
		terms: len(x),
	}
}

// axpyRef is the reference for y_i + alpha·x_i: two terms per element.
func axpyRef(alpha float32, x, y []float32) refVec {
	r := refVec{want: make([]float64, len(x)), abs: make([]float64, len(x)), terms: 2}
	for i := range x {
		p := float64(alpha) * float64(x[i])
		r.want[i] = float64(y[i]) + p
		r.abs[i] = math.Abs(float64(y[i])) + math.Abs(p)
	}
	return r
}

// ---------------------------------------------------------------------------
// Checking and reporting

// maxFails bounds the failures one test reports before it stops, so that a
// broken kernel gives a readable report rather than thousands of lines.
const maxFails = 12

// checker reports failures of one test, each prefixed with the active
// target, and stops the test after maxFails.
type checker struct {
	t     testing.TB
	fails int
	// panics counts panics by operation (the first word of what), so that
	// an operation that panics on every call is reported a few times and
	// then skipped, and the test goes on to check the others.
	panics map[string]int
	// exact makes compare demand the exact result: the inputs are small
	// integers whose every partial sum is exact in float32 (see
	// TestExactIntegers).
	exact bool
}

// maxPanics is the number of panics of one operation a test reports
// before it stops calling that operation.
const maxPanics = 3

func (c *checker) errorf(format string, args ...any) {
	c.t.Helper()
	c.fails++
	c.t.Errorf("[target %s] %s", Active(), fmt.Sprintf(format, args...))
	if c.fails >= maxFails {
		c.t.Fatalf("too many failures (%d); stopping this test", c.fails)
	}
}

// call runs f, turning a panic into a reported failure. It reports whether
// f returned normally.
func (c *checker) call(what string, f func()) bool {
	c.t.Helper()
	if c.skip(what) {
		return false
	}
	if r := catch(f); r != nil {
		c.panicked(what, r)
		return false
	}
	return true
}

// skip reports whether the operation of what has panicked too often.
func (c *checker) skip(what string) bool {
	op, _, _ := strings.Cut(what, " ")
	return c.panics[op] >= maxPanics
}

// panicked reports a panic r of what.
func (c *checker) panicked(what string, r any) {
	c.t.Helper()
	op, _, _ := strings.Cut(what, " ")
	if c.panics == nil {
		c.panics = map[string]int{}
	}
	c.panics[op]++
	more := ""
	if c.panics[op] == maxPanics {
		more = fmt.Sprintf(" (panic %d of %s: not calling it again in this test)", maxPanics, op)
	}
	c.errorf("%s: panic: %v%s", what, r, more)
}

// catch runs f and returns what it panicked with, or nil.
func catch(f func()) (r any) {
	defer func() { r = recover() }()
	f()
	return nil
}

// compare checks got against ref within the rounding bound, element by
// element; a NaN or Inf from finite inputs fails too. It reports at most
// three elements per call.
func (c *checker) compare(what string, got []float32, ref refVec) bool {
	c.t.Helper()
	if len(got) != len(ref.want) {
		c.errorf("%s: %d results, want %d", what, len(got), len(ref.want))
		return false
	}
	bad := 0
	for i, g := range got {
		b := ref.bound(i)
		if c.exact {
			b = 0
		}
		d := math.Abs(float64(g) - ref.want[i])
		switch {
		case d <= b: // also rejects NaN
		case c.exact:
			c.errorf("%s: y[%d] = %v, want exactly %v (integer inputs, every partial sum exact)", what, i, g, ref.want[i])
		default:
			c.errorf("%s: y[%d] = %v, want %v ± %.3g (|err| = %.3g = %.3g×bound; %d terms, c = %d, Σ|terms| = %.4g)",
				what, i, g, ref.want[i], b, d, d/b, ref.terms, errC, ref.abs[i])
		}
		if !(d <= b) {
			if bad++; bad == 3 {
				break
			}
		}
	}
	return bad == 0
}

// ---------------------------------------------------------------------------
// Guarded operands

// sentinel fills every float around and between the operands: a signalling
// NaN with a payload that arithmetic never produces (arithmetic quiets it),
// so a changed guard is detected bit for bit and a guard read into a result
// makes it NaN.
var sentinel = math.Float32frombits(0x7fa5a5a5)

// guardLen is the number of sentinel floats before and after an operand.
const guardLen = 32

// guarded is one operand in a larger buffer full of sentinels: buf[lo:hi].
// The buffer is 64-byte aligned, so lo-guardLen is the operand's offset in
// floats from a cache line (and from any vector register width).
type guarded struct {
	name   string
	buf    []float32
	lo, hi int
	snap   []float32 // buf as it was before the call
}

// newGuarded returns an n-float operand whose first element lies off floats
// past a 64-byte boundary, filled with sentinels.
func newGuarded(name string, n, off int) *guarded {
	buf := alignedFloats(guardLen + off + n + guardLen)
	for i := range buf {
		buf[i] = sentinel
	}
	return &guarded{name: name, buf: buf, lo: guardLen + off, hi: guardLen + off + n}
}

// vec returns the operand.
func (g *guarded) vec() []float32 { return g.buf[g.lo:g.hi] }

// fill sets the operand's elements from src.
func (g *guarded) fill(src valueSource) *guarded {
	for i := g.lo; i < g.hi; i++ {
		g.buf[i] = src.next()
	}
	return g
}

// freeze records the buffer; check compares against it.
func (g *guarded) freeze() { g.snap = slices.Clone(g.buf) }

// check reports any float of the buffer that changed since freeze, other
// than the operand itself when it is the output.
func (g *guarded) check(c *checker, what string, output bool) {
	c.t.Helper()
	for i, v := range g.buf {
		if output && g.lo <= i && i < g.hi {
			continue
		}
		if math.Float32bits(v) != math.Float32bits(g.snap[i]) {
			where := "a guard"
			if g.lo <= i && i < g.hi {
				where = "an input element (or a gap between rows)"
			}
			c.errorf("%s: %s[%d] (%s) changed from %v (%#x) to %v (%#x)",
				what, g.name, i-g.lo, where, g.snap[i], math.Float32bits(g.snap[i]), v, math.Float32bits(v))
			return
		}
	}
}

// newGuardedMatrix returns a rows×cols matrix with the given stride whose
// Data is exactly the (rows−1)·stride+cols floats the shape needs, starting
// off floats past a 64-byte boundary, in a guarded buffer. The gaps between
// rows (columns cols…stride−1) hold sentinels.
func newGuardedMatrix(name string, rows, cols, stride, off int, src valueSource) (Matrix, *guarded) {
	n := 0
	if rows > 0 {
		n = (rows-1)*stride + cols
	}
	g := newGuarded(name, n, off)
	a := Matrix{Rows: rows, Cols: cols, Stride: stride, Data: g.vec()}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			a.Set(i, j, src.next())
		}
	}
	g.freeze()
	return a, g
}

// valueSource supplies the values of operands.
type valueSource interface{ next() float32 }

// randSource draws values uniform in [-1, 1] scaled by e^k, k uniform in
// [-2, 2]: mixed signs and magnitudes over about three decades.
type randSource struct{ *rand.Rand }

func (s randSource) next() float32 {
	return float32((2*s.Float64() - 1) * math.Exp(4*s.Float64()-2))
}

func newRand(seed uint64) randSource {
	return randSource{rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
}

// layout places the operands of one case: offsets in floats from a 64-byte
// boundary, the extra stride of matrices beyond their width, and the
// geometries the matrices are packed in (gA: the dense matrix or U, gB: V).
type layout struct {
	offA, offB, offX, offY int
	gap                    int
	gA, gB                 Geometry
}

// testGeometries are the geometries the tests pack in: every one the
// kernels implement, and the prefetching ones with a distance inside small
// matrices and one far past their end (a prefetch must never fault).
// vGeometries adds the tiles, which only V takes.
var (
	testGeometries = Geometries(64, 8192)
	vGeometries    = append(slices.Clone(testGeometries), TileGeometry)
)

func randLayout(rnd randSource) layout {
	l := layout{offA: rnd.IntN(16), offB: rnd.IntN(16), offX: rnd.IntN(16), offY: rnd.IntN(16),
		gA: testGeometries[rnd.IntN(len(testGeometries))], gB: vGeometries[rnd.IntN(len(vGeometries))]}
	if rnd.IntN(2) == 0 {
		l.gap = 1 + rnd.IntN(19)
	}
	return l
}

func (l layout) String() string {
	return fmt.Sprintf("offsets a=%d b=%d x=%d y=%d, stride gap %d, geometry %v / %v",
		l.offA, l.offB, l.offX, l.offY, l.gap, l.gA, l.gB)
}

// leafCodes returns every geometry code the packed leaves take: those of
// testGeometries and the tails' (8-row and 16-row panels, one stream).
func leafCodes() []geomCode {
	codes := []geomCode{heightCode(8), heightCode(16)}
	for _, g := range testGeometries {
		codes = append(codes, g.code())
	}
	return codes
}

// leafRows returns lengths of y that a run of panels of height h can have:
// any number of rows for 16-row panels, at most 8 for an 8-row panel, and
// whole panels for taller ones.
func leafRows(h int) []int {
	switch {
	case h == 8:
		return []int{0, 1, 5, 7, 8}
	case h == 16:
		return []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 79, 80, 130}
	}
	return []int{0, h, 2 * h, 3 * h}
}

// result is one operation's output with its reference.
type result struct {
	got []float32
	ref refVec
}

// ---------------------------------------------------------------------------
// Case runners: each builds guarded operands from src, runs every variant of
// an operation on the active target, checks results, guards and inputs, and
// returns the outputs by operation name (the fuzz target compares them
// across targets).

// runVecCase runs Dot and Axpy on n-element vectors.
func runVecCase(c *checker, src valueSource, n int, l layout) map[string]result {
	c.t.Helper()
	out := map[string]result{}
	x := newGuarded("x", n, l.offX).fill(src)
	y := newGuarded("y", n, l.offY).fill(src)
	x.freeze()
	y.freeze()
	what := fmt.Sprintf("Dot n=%d (%v)", n, l)
	var d float32
	if c.call(what, func() { d = Dot(x.vec(), y.vec()) }) {
		ref := dotRef(x.vec(), y.vec())
		c.compare(what, []float32{d}, ref)
		out["Dot"] = result{[]float32{d}, ref}
	}
	x.check(c, what, false)
	y.check(c, what, false)

	alpha := src.next()
	what = fmt.Sprintf("Axpy alpha=%v n=%d (%v)", alpha, n, l)
	y0 := slices.Clone(y.vec())
	ref := axpyRef(alpha, x.vec(), y0)
	if c.call(what, func() { Axpy(alpha, x.vec(), y.vec()) }) {
		c.compare(what, y.vec(), ref)
		out["Axpy"] = result{slices.Clone(y.vec()), ref}
	}
	x.check(c, what, false)
	y.check(c, what, true)
	return out
}

// runMatVecCase runs MatVec, MatVecAdd, Packed.MatVec and Packed.MatVecAdd
// with a rows×cols matrix.
func runMatVecCase(c *checker, src valueSource, rows, cols int, l layout) map[string]result {
	c.t.Helper()
	out := map[string]result{}
	stride := cols + l.gap
	a, ga := newGuardedMatrix("a", rows, cols, stride, l.offA, src)
	x := newGuarded("x", cols, l.offX).fill(src)
	x.freeze()
	y0 := make([]float32, rows)
	for i := range y0 {
		y0[i] = src.next()
	}
	ref := matVecRef(a, x.vec())
	shape := fmt.Sprintf("%d×%d stride %d (%v)", rows, cols, stride, l)

	var p *Packed
	c.call("PackWith "+shape, func() { p = PackWith(a, l.gA) })
	var pdata []float32
	if p != nil {
		pdata = slices.Clone(p.data)
	}

	for _, op := range []string{"MatVec", "MatVecAdd", "Packed.MatVec", "Packed.MatVecAdd"} {
		add := strings.HasSuffix(op, "Add")
		packed := strings.HasPrefix(op, "Packed")
		if packed && p == nil {
			continue
		}
		what := op + " " + shape
		y := newGuarded("y", rows, l.offY)
		want := ref
		if add {
			copy(y.vec(), y0)
			want = ref.addInto(y0)
		} // else y holds sentinels (NaN): y = A·x must not read y.
		y.freeze()
		ok := c.call(what, func() {
			switch op {
			case "MatVec":
				MatVec(y.vec(), a, x.vec())
			case "MatVecAdd":
				MatVecAdd(y.vec(), a, x.vec())
			case "Packed.MatVec":
				p.MatVec(y.vec(), x.vec())
			case "Packed.MatVecAdd":
				p.MatVecAdd(y.vec(), x.vec())
			}
		})
		if ok {
			c.compare(what, y.vec(), want)
			out[op] = result{slices.Clone(y.vec()), want}
		}
		ga.check(c, what, false)
		x.check(c, what, false)
		y.check(c, what, true)
		if packed && !slices.Equal(p.data, pdata) {
			c.errorf("%s: packed weights changed", what)
		}
	}
	return out
}

// runLowRankCase runs LowRankMatVec, LowRankMatVecAdd, PackedLowRank.MatVec
// and PackedLowRank.MatVecAdd with U n×r, V r×m.
func runLowRankCase(c *checker, src valueSource, n, m, r int, l layout) map[string]result {
	c.t.Helper()
	out := map[string]result{}
	u, gu := newGuardedMatrix("U", n, r, r+l.gap, l.offA, src)
	v, gv := newGuardedMatrix("V", r, m, m+(l.gap+3)%7, l.offB, src)
	w := LowRank{U: u, V: v}
	x := newGuarded("x", m, l.offX).fill(src)
	x.freeze()
	y0 := make([]float32, n)
	for i := range y0 {
		y0[i] = src.next()
	}
	ref := lowRankRef(w, x.vec())
	shape := fmt.Sprintf("%d×%d rank %d, U stride %d, V stride %d (%v)", n, m, r, u.Stride, v.Stride, l)

	var p *PackedLowRank
	c.call("PackLowRankWith "+shape, func() { p = PackLowRankWith(w, l.gA, l.gB) })
	var pu, pv []float32
	if p != nil {
		pu, pv = slices.Clone(p.U.data), slices.Clone(p.V.data)
	}

	for _, op := range []string{"LowRankMatVec", "LowRankMatVecAdd", "PackedLowRank.MatVec", "PackedLowRank.MatVecAdd"} {
		add := strings.HasSuffix(op, "Add")
		packed := strings.HasPrefix(op, "Packed")
		if packed && p == nil {
			continue
		}
		what := op + " " + shape
		y := newGuarded("y", n, l.offY)
		want := ref
		if add {
			copy(y.vec(), y0)
			want = ref.addInto(y0)
		}
		y.freeze()
		ok := c.call(what, func() {
			switch op {
			case "LowRankMatVec":
				LowRankMatVec(y.vec(), w, x.vec())
			case "LowRankMatVecAdd":
				LowRankMatVecAdd(y.vec(), w, x.vec())
			case "PackedLowRank.MatVec":
				p.MatVec(y.vec(), x.vec())
			case "PackedLowRank.MatVecAdd":
				p.MatVecAdd(y.vec(), x.vec())
			}
		})
		if ok {
			c.compare(what, y.vec(), want)
			out[op] = result{slices.Clone(y.vec()), want}
		}
		gu.check(c, what, false)
		gv.check(c, what, false)
		x.check(c, what, false)
		y.check(c, what, true)
		if packed && (!slices.Equal(p.U.data, pu) || !slices.Equal(p.V.data, pv)) {
			c.errorf("%s: packed weights changed", what)
		}
	}
	return out
}

// runBatchCase runs Packed.MatVecBatch and Packed.MatVecBatchAdd with a
// rows×cols matrix on batch vectors: X is batch×cols, Y batch×rows, both
// with gaps between their rows that must stay untouched.
func runBatchCase(c *checker, src valueSource, rows, cols, batch int, l layout) map[string]result {
	c.t.Helper()
	out := map[string]result{}
	a := NewMatrix(rows, cols)
	for i := range a.Data {
		a.Data[i] = src.next()
	}
	p := pack(a, l.gB) // any geometry, the tiles included (the V of a batched low rank)
	x, gx := newGuardedMatrix("X", batch, cols, cols+l.gap, l.offX, src)
	y0 := make([]float32, batch*rows)
	for i := range y0 {
		y0[i] = src.next()
	}
	var refs []refVec
	for b := 0; b < batch; b++ {
		refs = append(refs, matVecRef(a, x.Row(b)))
	}
	ystride := rows + (l.gap+5)%11
	shape := fmt.Sprintf("%d×%d (%v), batch %d, X stride %d, Y stride %d (%v)", rows, cols, l.gB, batch, x.Stride, ystride, l)
	for _, op := range []string{"Packed.MatVecBatch", "Packed.MatVecBatchAdd"} {
		add := op == "Packed.MatVecBatchAdd"
		what := op + " " + shape
		y, gy := newGuardedMatrix("Y", batch, rows, ystride, l.offY, constSource(sentinel))
		if add {
			for b := 0; b < batch; b++ {
				copy(y.Row(b), y0[b*rows:])
			}
			gy.freeze()
		}
		ok := c.call(what, func() {
			if add {
				p.MatVecBatchAdd(y, x)
			} else {
				p.MatVecBatch(y, x)
			}
		})
		var got []float32
		want := refVec{terms: cols}
		for b := 0; ok && b < batch; b++ {
			r := refs[b]
			if add {
				r = r.addInto(y0[b*rows : (b+1)*rows])
			}
			c.compare(fmt.Sprintf("%s: row %d of Y", what, b), y.Row(b), r)
			got = append(got, y.Row(b)...)
			want.want, want.abs, want.terms = append(want.want, r.want...), append(want.abs, r.abs...), r.terms
		}
		if ok {
			out[op] = result{got, want}
		}
		gx.check(c, what, false)
		// Y's guards and the gaps between its rows must not change.
		for i := range gy.buf {
			k := i - gy.lo
			if k >= 0 && i < gy.hi && k%ystride < rows {
				continue // an element of Y
			}
			if math.Float32bits(gy.buf[i]) != math.Float32bits(gy.snap[i]) {
				c.errorf("%s: Y.Data[%d] (a guard or gap) changed from %v to %v", what, k, gy.snap[i], gy.buf[i])
				break
			}
		}
	}
	return out
}

// constSource supplies one value.
type constSource float32

func (s constSource) next() float32 { return float32(s) }

// ---------------------------------------------------------------------------
// Sweeps

// vecLengths are the vector lengths of the Dot/Axpy sweep: every n up to
// 130, past 4×unroll+1 for the widest unroll (4 AVX-512 registers of 16 =
// 64, and twice that), plus 1000 and 4097.
func vecLengths() []int {
	top := 130
	if testing.Short() {
		top = 66
	}
	var ns []int
	for n := 0; n <= top; n++ {
		ns = append(ns, n)
	}
	return append(ns, 1000, 4097)
}

// widths are the sizes a matrix dimension takes when the other one sweeps:
// around the vector widths 4, 8 and 16 and the unrolls 32 and 64.
var widths = []int{0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65}

// matShapes are the rows×cols shapes of the dense sweep: every shape up to
// 70×70; rows 71…130 (two rounds of the 4-panel, 64-row AVX-512 block plus
// every remainder) with every width as cols, and vice versa; and a few large
// ones. -short keeps rows 0…35 with a few widths, and vice versa.
func matShapes() [][2]int {
	var shapes [][2]int
	seen := map[[2]int]bool{}
	add := func(r, c int) {
		if !seen[[2]int{r, c}] {
			seen[[2]int{r, c}] = true
			shapes = append(shapes, [2]int{r, c})
		}
	}
	if testing.Short() {
		for i := 0; i <= 35; i++ {
			for _, w := range []int{0, 1, 3, 8, 9, 16, 17, 33, 65} {
				add(i, w)
				add(w, i)
			}
		}
	} else {
		for r := 0; r <= 70; r++ {
			for c := 0; c <= 70; c++ {
				add(r, c)
			}
		}
		for i := 71; i <= 130; i++ {
			for _, w := range widths {
				add(i, w)
				add(w, i)
			}
		}
	}
	add(1000, 37)
	add(37, 1000)
	add(513, 257)
	return shapes
}

// lowRankShapes are the n×m, rank r shapes of the low-rank sweep: n and m
// each sweep 0…70 with the other and the rank taken from small sets, plus
// ranks around and beyond lowRankChunk (512), which split the product.
func lowRankShapes() [][3]int {
	top, ranks, ws := 70, []int{0, 1, 2, 15, 16, 17, 31, 33}, widths
	if testing.Short() {
		top, ranks, ws = 35, []int{0, 1, 16, 17}, []int{0, 1, 3, 8, 9, 16, 17, 33, 65}
	}
	var shapes [][3]int
	for i := 0; i <= top; i++ {
		for k, r := range ranks {
			for _, h := range []int{0, len(ws) / 2} {
				shapes = append(shapes, [3]int{i, ws[(3*i+k+h)%len(ws)], r})
				shapes = append(shapes, [3]int{ws[(5*i+k+h)%len(ws)], i, r})
			}
		}
	}
	shapes = append(shapes,
		[3]int{1000, 37, 17}, [3]int{37, 1000, 17},
		[3]int{20, 30, 512}, [3]int{20, 30, 513}, [3]int{17, 19, 1025},
		[3]int{0, 5, 600}, [3]int{5, 0, 600}, [3]int{1, 1, 530})
	if !testing.Short() {
		shapes = append(shapes, [3]int{1100, 600, 530})
	}
	return shapes
}

func TestDotAxpy(t *testing.T) {
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		rnd := newRand(1)
		for _, n := range vecLengths() {
			// Every pair of x and y offsets for short vectors (where
			// the tails are), 16 pairs with each x offset for long ones.
			for offX := 0; offX < 16; offX++ {
				for offY := 0; offY < 16; offY++ {
					if (n > 40 || testing.Short()) && offY != (5*offX+n)%16 {
						continue
					}
					runVecCase(c, rnd, n, layout{offX: offX, offY: offY})
				}
			}
		}
	})
}

func TestMatVec(t *testing.T) {
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		rnd := newRand(2)
		for _, s := range matShapes() {
			runMatVecCase(c, rnd, s[0], s[1], randLayout(rnd))
		}
	})
}

func TestLowRank(t *testing.T) {
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		rnd := newRand(3)
		for _, s := range lowRankShapes() {
			runLowRankCase(c, rnd, s[0], s[1], s[2], randLayout(rnd))
		}
	})
}

func TestMatVecBatch(t *testing.T) {
	rowSet := []int{0, 1, 2, 15, 16, 17, 31, 33, 48, 63, 64, 65, 70, 127, 128, 130}
	batches := []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 13}
	cols := widths
	if testing.Short() {
		rowSet, batches, cols = []int{0, 1, 16, 17, 65}, []int{0, 1, 4, 5, 9}, []int{0, 1, 8, 9, 17, 65}
	}
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		rnd := newRand(9)
		for _, rows := range rowSet {
			for _, cs := range cols {
				for _, b := range batches {
					runBatchCase(c, rnd, rows, cs, b, randLayout(rnd))
				}
			}
		}
		runBatchCase(c, rnd, 257, 300, 6, randLayout(rnd))
	})
}

// intSource draws integers in [-2, 2].
type intSource struct{ randSource }

func (s intSource) next() float32 { return float32(s.IntN(5) - 2) }

// TestExactIntegers reruns the sweeps with integer inputs in [-2, 2]: every
// product and every partial sum is then an integer below 2²⁴ in magnitude
// (at most 4·4097 for Dot, 2·4·600·530 for the largest low-rank case), so
// every summation order gives the exact result and the tests demand it. This
// catches what the rounding bound cannot at large n: one dropped or doubled
// term among thousands is below c·n·u·Σ|terms| there, but not here.
func TestExactIntegers(t *testing.T) {
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t, exact: true}
		rnd := newRand(10)
		src := intSource{rnd}
		for _, n := range vecLengths() {
			for off := 0; off < 16; off += 5 {
				runVecCase(c, src, n, layout{offX: off, offY: (off + n) % 16})
			}
		}
		for _, s := range matShapes() {
			runMatVecCase(c, src, s[0], s[1], randLayout(rnd))
		}
		for _, s := range lowRankShapes() {
			runLowRankCase(c, src, s[0], s[1], s[2], randLayout(rnd))
		}
		for _, rows := range []int{0, 1, 16, 17, 63, 64, 65, 130} {
			for _, cols := range []int{0, 1, 8, 9, 17, 65, 1000} {
				for _, b := range []int{1, 4, 5, 9} {
					runBatchCase(c, src, rows, cols, b, randLayout(rnd))
				}
			}
		}
	})
}

// TestGemvPanelsLayout calls the packed leaf directly, for every geometry
// code, with the freedom its contract leaves the caller (PackedLowRank
// uses it for rank chunks): a panel stride larger than h·len(x), an
// unaligned start, and only the columns [p·stride, p·stride+h·len(x)) of
// panels p < ⌈len(y)/h⌉ valid. Everything else — gaps between panels, the
// floats after the last panel — is a NaN sentinel and must be neither read
// into y nor written; the padding rows of a partial last panel may be read
// but are NaN too, so they must not reach y either.
func TestGemvPanelsLayout(t *testing.T) {
	nxs := []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 64, 65}
	if testing.Short() {
		nxs = []int{0, 1, 3, 8, 9, 17, 33}
	}
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		src := newRand(4)
		for _, code := range leafCodes() {
			h := code.height()
			for _, ny := range leafRows(h) {
				for _, nx := range nxs {
					gap := []int{0, 1, 16, 37}[(ny+nx)%4]
					off := src.IntN(16)
					stride := h*nx + gap
					np := (ny + h - 1) / h
					n := 0
					if np > 0 {
						n = (np-1)*stride + h*nx
					}
					ga := newGuarded("a", n, off)
					a := ga.vec()
					// Row i of the matrix, column j: a[p*stride+h*j+r].
					w := NewMatrix(ny, nx)
					for i := 0; i < ny; i++ {
						for j := 0; j < nx; j++ {
							v := src.next()
							w.Set(i, j, v)
							a[(i/h)*stride+h*j+i%h] = v
						}
					}
					ga.freeze()
					x := newGuarded("x", nx, src.IntN(16)).fill(src)
					x.freeze()
					y0 := make([]float32, ny)
					for i := range y0 {
						y0[i] = src.next()
					}
					ref := matVecRef(w, x.vec())
					for _, add := range []bool{false, true} {
						what := fmt.Sprintf("gemvPanels add=%v len(y)=%d len(x)=%d geom %#x (h=%d) stride=%d (h·len(x)+%d) a offset %d",
							add, ny, nx, int(code), h, stride, gap, off)
						y := newGuarded("y", ny, src.IntN(16))
						want := ref
						if add {
							copy(y.vec(), y0)
							want = ref.addInto(y0)
						}
						y.freeze()
						if c.call(what, func() { gemvPanels(y.vec(), a, stride, x.vec(), add, code) }) {
							c.compare(what, y.vec(), want)
						}
						ga.check(c, what, false)
						x.check(c, what, false)
						y.check(c, what, true)
					}
				}
			}
		}
	})
}

// TestGemvTilesLayout calls the tiled leaf directly, as TestGemvPanelsLayout
// does the column one: panels of 16 rows, a panel stride larger than the
// tiles, a partial last tile whose padding columns hold NaN sentinels in
// the test (the leaf must not let them reach y; the packer zeroes them),
// and everything outside the panels' tiles a sentinel.
func TestGemvTilesLayout(t *testing.T) {
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		src := newRand(18)
		for _, ny := range []int{0, 16, 32, 48} {
			for _, nx := range []int{0, 1, 3, 15, 16, 17, 31, 32, 33, 65, 100} {
				for _, gap := range []int{0, 16, 37} {
					tiles := (nx + 15) / 16
					stride := 256*tiles + gap
					n := 0
					if ny > 0 {
						n = (ny/16-1)*stride + 256*tiles
					}
					ga := newGuarded("a", n, src.IntN(16))
					a := ga.vec()
					w := NewMatrix(ny, nx)
					for i := 0; i < ny; i++ {
						for j := 0; j < 16*tiles; j++ {
							k := i/16*stride + j/16*256 + i%16*16 + j%16
							if j >= nx {
								a[k] = 0 // the packer's padding
								continue
							}
							v := src.next()
							w.Set(i, j, v)
							a[k] = v
						}
					}
					ga.freeze()
					x := newGuarded("x", nx, src.IntN(16)).fill(src)
					x.freeze()
					y0 := make([]float32, ny)
					for i := range y0 {
						y0[i] = src.next()
					}
					ref := matVecRef(w, x.vec())
					for _, add := range []bool{false, true} {
						what := fmt.Sprintf("gemvTiles add=%v len(y)=%d len(x)=%d stride=%d (256·tiles+%d)", add, ny, nx, stride, gap)
						y := newGuarded("y", ny, src.IntN(16))
						want := ref
						if add {
							copy(y.vec(), y0)
							want = ref.addInto(y0)
						}
						y.freeze()
						if c.call(what, func() { gemvTiles(y.vec(), a, stride, x.vec(), add) }) {
							c.compare(what, y.vec(), want)
						}
						ga.check(c, what, false)
						x.check(c, what, false)
						y.check(c, what, true)
					}
				}
			}
		}
	})
}

// ---------------------------------------------------------------------------
// Special values

// TestNaNInfPropagate checks that NaN and Inf propagate as IEEE arithmetic
// says, with no lane mixing: a NaN in x[j] poisons every output that
// multiplies it (0·NaN = NaN), a NaN in A[i][j] only y[i], an Inf in x[j]
// gives ±Inf where a_ij ≠ 0 and NaN where a_ij = 0 (0·Inf = NaN).
func TestNaNInfPropagate(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	sizes := []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 66}
	if testing.Short() {
		sizes = []int{1, 3, 8, 9, 16, 17, 33, 65}
	}
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		src := newRand(5)
		rvec := func(n int) []float32 {
			v := make([]float32, n)
			for i := range v {
				v[i] = src.next()
			}
			return v
		}
		for _, n := range sizes {
			x, y := rvec(n), rvec(n)
			for k := 0; k < n; k++ {
				xk := x[k]
				x[k] = nan
				if d := Dot(x, y); !isNaN(d) {
					c.errorf("Dot n=%d, x[%d] = NaN: got %v, want NaN", n, k, d)
				}
				x[k] = inf
				y[k] = math.Float32frombits(math.Float32bits(y[k]) &^ (1 << 31)) // y[k] > 0
				if d := Dot(x, y); !math.IsInf(float64(d), 1) {
					c.errorf("Dot n=%d, x[%d] = +Inf, y[%d] > 0: got %v, want +Inf", n, k, k, d)
				}
				x[k] = nan
				z := rvec(n)
				Axpy(1.5, x, z)
				for i, v := range z {
					if isNaN(v) != (i == k) {
						c.errorf("Axpy n=%d, x[%d] = NaN: y[%d] = %v", n, k, i, v)
					}
				}
				x[k] = xk
			}
		}
		for _, rows := range sizes {
			for _, cols := range sizes {
				a := NewMatrix(rows, cols)
				for i := range a.Data {
					a.Data[i] = src.next()
				}
				j := (rows + 3*cols) % cols // a column to poison
				zi := (cols + 5*rows) % rows
				a.Set(zi, j, 0) // one row with a zero in column j
				x := rvec(cols)
				p := Pack(a)
				w := LowRank{U: a, V: NewMatrix(cols, cols)}
				for i := range w.V.Data {
					w.V.Data[i] = src.next()
				}
				pw := PackLowRank(w)
				shape := fmt.Sprintf("%d×%d", rows, cols)
				y := make([]float32, rows)
				apply := map[string]func(){
					"MatVec":               func() { MatVec(y, a, x) },
					"Packed.MatVec":        func() { p.MatVec(y, x) },
					"LowRankMatVec":        func() { LowRankMatVec(y, w, x) },
					"PackedLowRank.MatVec": func() { pw.MatVec(y, x) },
				}
				for _, op := range slices.Sorted(maps.Keys(apply)) {
					f := apply[op]
					xj := x[j]
					x[j] = nan
					if c.call(op+" "+shape, f) {
						for i, v := range y {
							if !isNaN(v) {
								c.errorf("%s %s, x[%d] = NaN: y[%d] = %v, want NaN", op, shape, j, i, v)
								break
							}
						}
					}
					x[j] = inf
					if !strings.Contains(op, "LowRank") && c.call(op+" "+shape, f) {
						for i, v := range y {
							aij := a.At(i, j)
							switch {
							case aij == 0 && !isNaN(v):
								c.errorf("%s %s, x[%d] = +Inf, a[%d][%d] = 0: y[%d] = %v, want NaN (0·Inf)", op, shape, j, i, j, i, v)
							case aij != 0 && !math.IsInf(float64(v), int(sign(aij))):
								c.errorf("%s %s, x[%d] = +Inf, a[%d][%d] = %v: y[%d] = %v, want %vInf", op, shape, j, i, j, aij, i, v, signStr(aij))
							}
						}
					}
					x[j] = xj
				}
				// A NaN weight poisons its row only.
				for _, op := range []string{"MatVec", "Packed.MatVec"} {
					i0 := (7*rows + cols) % rows
					b := NewMatrix(rows, cols)
					copy(b.Data, a.Data)
					b.Set(i0, j, nan)
					pb := Pack(b)
					if c.call(op+" "+shape, func() {
						if op == "MatVec" {
							MatVec(y, b, x)
						} else {
							pb.MatVec(y, x)
						}
					}) {
						for i, v := range y {
							if isNaN(v) != (i == i0) {
								c.errorf("%s %s, a[%d][%d] = NaN: y[%d] = %v", op, shape, i0, j, i, v)
								break
							}
						}
					}
				}
			}
		}
	})
}

func isNaN(v float32) bool { return v != v }

func sign(v float32) float32 {
	if v < 0 {
		return -1
	}
	return 1
}

func signStr(v float32) string {
	if v < 0 {
		return "-"
	}
	return "+"
}

// ---------------------------------------------------------------------------
// Shape validation

// mustPanic checks that f panics with a message containing every one of
// want (the shapes involved, so that the user sees what was wrong).
func mustPanic(t *testing.T, what string, f func(), want ...string) {
	t.Helper()
	r := catch(f)
	if r == nil {
		t.Errorf("%s: did not panic; want a panic mentioning %q", what, want)
		return
	}
	msg := fmt.Sprint(r)
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("%s: panic %q does not mention %q", what, msg, w)
		}
	}
}

func TestShapePanics(t *testing.T) {
	m34 := NewMatrix(3, 4)
	u32m, v24 := NewMatrix(3, 2), NewMatrix(2, 4)
	w := LowRank{U: u32m, V: v24}
	bad := LowRank{U: NewMatrix(3, 2), V: NewMatrix(3, 4)}
	p, pw := Pack(m34), PackLowRank(w)
	v := func(n int) []float32 { return make([]float32, n) }

	mustPanic(t, "Dot", func() { Dot(v(3), v(4)) }, "Dot", "len(x) = 3", "len(y) = 4")
	mustPanic(t, "Axpy", func() { Axpy(1, v(3), v(2)) }, "Axpy", "len(x) = 3", "len(y) = 2")
	mustPanic(t, "MatVec short y", func() { MatVec(v(2), m34, v(4)) }, "MatVec", "3×4", "len(y) = 2")
	mustPanic(t, "MatVec long x", func() { MatVec(v(3), m34, v(5)) }, "MatVec", "3×4", "len(x) = 5")
	mustPanic(t, "MatVecAdd long y", func() { MatVecAdd(v(4), m34, v(4)) }, "MatVecAdd", "3×4", "len(y) = 4")
	mustPanic(t, "MatVec negative rows",
		func() { MatVec(v(0), Matrix{Rows: -1, Cols: 4, Stride: 4}, v(4)) }, "MatVec", "negative", "-1×4")
	mustPanic(t, "MatVec negative cols",
		func() { MatVec(v(2), Matrix{Rows: 2, Cols: -3, Stride: 4, Data: v(8)}, v(0)) }, "negative", "2×-3")
	mustPanic(t, "MatVec stride < cols",
		func() { MatVec(v(3), Matrix{Rows: 3, Cols: 4, Stride: 3, Data: v(12)}, v(4)) }, "MatVec", "stride 3 < cols 4")
	mustPanic(t, "MatVecAdd short Data",
		func() { MatVecAdd(v(3), Matrix{Rows: 3, Cols: 4, Stride: 5, Data: v(13)}, v(4)) },
		"MatVecAdd", "3×4", "stride 5", "needs 14", "has 13")
	mustPanic(t, "NewMatrix negative", func() { NewMatrix(-1, 2) }, "NewMatrix(-1, 2)")
	mustPanic(t, "Pack stride < cols", func() { Pack(Matrix{Rows: 2, Cols: 2, Stride: 1, Data: v(4)}) }, "Pack", "stride 1 < cols 2")

	mustPanic(t, "LowRankMatVec U.Cols != V.Rows", func() { LowRankMatVec(v(3), bad, v(4)) },
		"LowRankMatVec", "U is 3×2", "V is 3×4")
	mustPanic(t, "LowRankMatVec short y", func() { LowRankMatVec(v(2), w, v(4)) },
		"LowRankMatVec", "len(y) = 2", "3", "4")
	mustPanic(t, "LowRankMatVecAdd long x", func() { LowRankMatVecAdd(v(3), w, v(5)) },
		"LowRankMatVecAdd", "len(x) = 5", "3", "4")
	mustPanic(t, "LowRankMatVec short U.Data",
		func() {
			LowRankMatVec(v(3), LowRank{U: Matrix{Rows: 3, Cols: 2, Stride: 2, Data: v(5)}, V: v24}, v(4))
		}, "LowRankMatVec", "3×2", "needs 6", "has 5")
	mustPanic(t, "LowRankMatVecAdd V stride < cols",
		func() {
			LowRankMatVecAdd(v(3), LowRank{U: u32m, V: Matrix{Rows: 2, Cols: 4, Stride: 3, Data: v(8)}}, v(4))
		}, "LowRankMatVecAdd", "stride 3 < cols 4")
	mustPanic(t, "PackLowRank U.Cols != V.Rows", func() { PackLowRank(bad) }, "PackLowRank", "U is 3×2", "V is 3×4")

	mustPanic(t, "Packed.MatVec short y", func() { p.MatVec(v(2), v(4)) }, "Packed.MatVec", "3×4", "len(y) = 2")
	mustPanic(t, "Packed.MatVecAdd long x", func() { p.MatVecAdd(v(3), v(5)) }, "Packed.MatVecAdd", "3×4", "len(x) = 5")
	mustPanic(t, "PackedLowRank.MatVec long x", func() { pw.MatVec(v(3), v(5)) },
		"PackedLowRank.MatVec", "3×2 · 2×4", "len(x) = 5")
	mustPanic(t, "Packed.MatVecBatch Y rows != X rows", func() { p.MatVecBatch(NewMatrix(2, 3), NewMatrix(3, 4)) },
		"Packed.MatVecBatch", "3×4", "Y is 2×3", "X is 3×4")
	mustPanic(t, "Packed.MatVecBatchAdd X cols", func() { p.MatVecBatchAdd(NewMatrix(2, 3), NewMatrix(2, 5)) },
		"Packed.MatVecBatchAdd", "3×4", "X is 2×5")
	mustPanic(t, "Packed.MatVecBatch short Y.Data",
		func() { p.MatVecBatch(Matrix{Rows: 2, Cols: 3, Stride: 4, Data: v(6)}, NewMatrix(2, 4)) },
		"Packed.MatVecBatch", "needs 7", "has 6")
	mustPanic(t, "PackedLowRank.MatVecAdd short y", func() { pw.MatVecAdd(v(0), v(4)) },
		"PackedLowRank.MatVecAdd", "3×2 · 2×4", "len(y) = 0")
}

// TestDegenerate checks shapes the validation must accept: empty matrices
// with zero stride and no data, and rank 0 (y = 0, or y unchanged by Add).
func TestDegenerate(t *testing.T) {
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		c.call("MatVec 0×5 stride 0 nil Data", func() { MatVec(nil, Matrix{Cols: 5}, make([]float32, 5)) })
		y := []float32{1, 2, 3}
		c.call("MatVec 3×0 stride 0 nil Data", func() { MatVec(y, Matrix{Rows: 3}, nil) })
		if !slices.Equal(y, []float32{0, 0, 0}) {
			c.errorf("MatVec 3×0: y = %v, want zeros", y)
		}
		y = []float32{1, 2, 3}
		c.call("MatVecAdd 3×0", func() { MatVecAdd(y, Matrix{Rows: 3}, nil) })
		if !slices.Equal(y, []float32{1, 2, 3}) {
			c.errorf("MatVecAdd 3×0: y = %v, want unchanged", y)
		}
		w := LowRank{U: NewMatrix(3, 0), V: NewMatrix(0, 4)}
		x := []float32{1, 2, 3, 4}
		c.call("LowRankMatVec rank 0", func() { LowRankMatVec(y, w, x) })
		if !slices.Equal(y, []float32{0, 0, 0}) {
			c.errorf("LowRankMatVec rank 0: y = %v, want zeros", y)
		}
		y = []float32{1, 2, 3}
		pw := PackLowRank(w)
		c.call("PackedLowRank.MatVecAdd rank 0", func() { pw.MatVecAdd(y, x) })
		if !slices.Equal(y, []float32{1, 2, 3}) {
			c.errorf("PackedLowRank.MatVecAdd rank 0: y = %v, want unchanged", y)
		}
		c.call("PackedLowRank.MatVec rank 0", func() { pw.MatVec(y, x) })
		if !slices.Equal(y, []float32{0, 0, 0}) {
			c.errorf("PackedLowRank.MatVec rank 0: y = %v, want zeros", y)
		}
		if d := Dot(nil, nil); d != 0 {
			c.errorf("Dot(nil, nil) = %v, want 0", d)
		}
		Axpy(2, nil, nil)
	})
}

// ---------------------------------------------------------------------------
// Targets and Use

func TestUse(t *testing.T) {
	ts := Targets()
	if len(ts) == 0 || ts[0].Name != "go" || !ts[0].Available {
		t.Fatalf("Targets()[0] = %+v, want the available go target first", ts)
	}
	avail := Available()
	if !slices.Contains(avail, "go") {
		t.Errorf("Available() = %q, want it to contain go", avail)
	}
	for _, tg := range ts {
		if slices.Contains(avail, tg.Name) != tg.Available {
			t.Errorf("target %+v: Available() = %q disagrees", tg, avail)
		}
		if !tg.Available && tg.Missing == "" {
			t.Errorf("target %s is unavailable but Missing is empty", tg.Name)
		}
	}
	ts[0].Name = "changed"
	if Targets()[0].Name != "go" {
		t.Errorf("Targets() returned the internal list; modifying it changed the registry")
	}
	ts = Targets()

	start := Active()
	if env := strings.TrimSpace(os.Getenv("LOWRANK_TARGET")); env == "" {
		if best := avail[len(avail)-1]; start != best {
			t.Errorf("Active() = %s at start with LOWRANK_TARGET unset, want the best available, %s", start, best)
		}
		if err := EnvError(); err != nil {
			t.Errorf("EnvError() = %v with LOWRANK_TARGET unset", err)
		}
	} else if slices.Contains(avail, env) && start != env {
		t.Errorf("Active() = %s with LOWRANK_TARGET=%s", start, env)
	}

	for _, name := range []string{"bogus", "", "AVX2", "gonum"} {
		restore, err := Use(name)
		if err == nil {
			t.Errorf("Use(%q) succeeded", name)
			restore()
			continue
		}
		msg := err.Error()
		for _, want := range append([]string{fmt.Sprintf("%q", name), "unknown"}, names(ts, false)) {
			if !strings.Contains(msg, want) {
				t.Errorf("Use(%q) error %q does not mention %q", name, msg, want)
			}
		}
		if restore == nil {
			t.Errorf("Use(%q) returned a nil restore func with its error", name)
		} else {
			restore()
		}
		if Active() != start {
			t.Errorf("failed Use(%q) changed Active() from %s to %s", name, start, Active())
		}
	}
	// A known target name this build lacks (neon on amd64, avx2 on arm64,
	// everything but go under purego) is unknown here too.
	for _, name := range []string{"go", "avx2", "avx512", "neon"} {
		if slices.ContainsFunc(ts, func(tg Target) bool { return tg.Name == name }) {
			continue
		}
		if _, err := Use(name); err == nil || !strings.Contains(err.Error(), "unknown") {
			t.Errorf("Use(%q) on a build without it: err = %v, want an unknown-target error", name, err)
		}
	}
	for _, tg := range ts {
		restore, err := Use(tg.Name)
		if !tg.Available {
			if err == nil || !strings.Contains(err.Error(), "not available") || !strings.Contains(err.Error(), tg.Missing) {
				t.Errorf("Use(%q) of an unavailable target: err = %v, want one saying it is not available: %s", tg.Name, err, tg.Missing)
			}
			if Active() != start {
				t.Errorf("failed Use(%q) changed Active() to %s", tg.Name, Active())
			}
			continue
		}
		if err != nil {
			t.Errorf("Use(%q): %v", tg.Name, err)
			continue
		}
		if Active() != tg.Name {
			t.Errorf("after Use(%q), Active() = %s", tg.Name, Active())
		}
		restore2, err := Use("go")
		if err != nil || Active() != "go" {
			t.Errorf("nested Use(go): err = %v, Active() = %s", err, Active())
		}
		restore2()
		if Active() != tg.Name {
			t.Errorf("nested restore: Active() = %s, want %s", Active(), tg.Name)
		}
		restore()
		if Active() != start {
			t.Errorf("restore after Use(%q): Active() = %s, want %s", tg.Name, Active(), start)
		}
	}
	if runtime.GOARCH == "amd64" {
		if _, err := Use("neon"); err == nil || !strings.Contains(err.Error(), "unknown") {
			t.Errorf(`Use("neon") on amd64: err = %v, want an unknown-target error`, err)
		}
	}
}

// ---------------------------------------------------------------------------
// Allocation

func TestNoAllocs(t *testing.T) {
	src := newRand(6)
	randMatrix := func(r, c int) Matrix {
		a := NewMatrix(r, c)
		for i := range a.Data {
			a.Data[i] = src.next()
		}
		return a
	}
	a := randMatrix(130, 70)
	p := Pack(a)
	w := LowRank{U: randMatrix(90, 33), V: randMatrix(33, 70)}
	wBig := LowRank{U: randMatrix(40, 600), V: randMatrix(600, 70)} // rank > lowRankChunk
	pw, pwBig := PackLowRank(w), PackLowRank(wBig)
	x := make([]float32, 70)
	for i := range x {
		x[i] = src.next()
	}
	y := make([]float32, 130)
	batchX, batchY := randMatrix(9, 70), NewMatrix(9, 130)
	cases := []struct {
		name string
		f    func()
	}{
		{"Dot", func() { Dot(x, y[:70]) }},
		{"Axpy", func() { Axpy(0.5, x, y[:70]) }},
		{"MatVec", func() { MatVec(y, a, x) }},
		{"MatVecAdd", func() { MatVecAdd(y, a, x) }},
		{"LowRankMatVec", func() { LowRankMatVec(y[:90], w, x) }},
		{"LowRankMatVec rank 600", func() { LowRankMatVec(y[:40], wBig, x) }},
		{"LowRankMatVecAdd rank 600", func() { LowRankMatVecAdd(y[:40], wBig, x) }},
		{"Packed.MatVec", func() { p.MatVec(y, x) }},
		{"Packed.MatVecAdd", func() { p.MatVecAdd(y, x) }},
		{"PackedLowRank.MatVec", func() { pw.MatVec(y[:90], x) }},
		{"PackedLowRank.MatVec rank 600", func() { pwBig.MatVec(y[:40], x) }},
		{"PackedLowRank.MatVecAdd rank 600", func() { pwBig.MatVecAdd(y[:40], x) }},
		{"Packed.MatVecBatch", func() { p.MatVecBatch(batchY, batchX) }},
		{"Packed.MatVecBatchAdd", func() { p.MatVecBatchAdd(batchY, batchX) }},
	}
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		for _, tc := range cases {
			if !c.call(tc.name, tc.f) {
				continue
			}
			if n := testing.AllocsPerRun(20, tc.f); n != 0 {
				c.errorf("%s: %v allocations per call, want 0", tc.name, n)
			}
		}
	})
}

// ---------------------------------------------------------------------------
// Packing

func TestPackUnpack(t *testing.T) {
	src := newRand(7)
	for _, g := range testGeometries {
		for _, rows := range []int{0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 64, 72, 100, 128, 136, 137, 300} {
			for _, cols := range []int{0, 1, 3, 16, 17, 33} {
				gap := (rows + cols) % 6
				a, _ := newGuardedMatrix("a", rows, cols, cols+gap, gap, src)
				shape := fmt.Sprintf("%d×%d stride %d, geometry %v", rows, cols, cols+gap, g)
				p := PackWith(a, g)
				if p.Rows() != rows || p.Cols() != cols || p.WeightBytes() != 4*rows*cols || p.Geometry() != g {
					t.Errorf("PackWith %s: Rows, Cols, WeightBytes, Geometry = %d, %d, %d, %v; want %d, %d, %d, %v",
						shape, p.Rows(), p.Cols(), p.WeightBytes(), p.Geometry(), rows, cols, 4*rows*cols, g)
				}
				// The layout the leaves rely on: whole panels of g.Rows,
				// then 16-row panels, then an 8-row panel if at most 8
				// rows are left (else a padded 16-row one), back to back.
				full := rows / g.Rows * g.Rows
				wantSize := full * cols
				rest := rows - full
				switch {
				case rest%16 == 0:
					wantSize += rest * cols
				case rest%16 <= 8:
					wantSize += (rest/16*16 + 8) * cols
				default:
					wantSize += (rest/16*16 + 16) * cols
				}
				if len(p.data) != wantSize {
					t.Errorf("PackWith %s: %d floats, want %d", shape, len(p.data), wantSize)
				}
				if len(p.data) > 0 && uintptr(unsafe.Pointer(&p.data[0]))%align != 0 {
					t.Errorf("PackWith %s: data at %p, want %d-byte aligned", shape, &p.data[0], align)
				}
				k, i := 0, 0
				for i < rows || (k < len(p.data) && cols > 0) {
					h := g.Rows
					switch rest := rows - i; {
					case i < full:
					case rest >= 16:
						h = 16
					case rest > 8:
						h = 16
					default:
						h = 8
					}
					for j := 0; j < cols; j++ {
						for r := 0; r < h; r++ {
							want := float32(0) // padding
							if i+r < rows {
								want = a.At(i+r, j)
							}
							if k >= len(p.data) || math.Float32bits(p.data[k]) != math.Float32bits(want) {
								t.Fatalf("PackWith %s: data[%d] (panel of %d rows at row %d, column %d, row %d) wrong, want %v",
									shape, k, h, i, j, r, want)
							}
							k++
						}
					}
					i += h
				}
				u := p.Unpack()
				if u.Rows != rows || u.Cols != cols || u.Stride != cols {
					t.Errorf("Unpack %s: %d×%d stride %d", shape, u.Rows, u.Cols, u.Stride)
					continue
				}
				for i := 0; i < rows; i++ {
					if !slices.Equal(u.Row(i), a.Row(i)) {
						t.Errorf("Pack/Unpack %s: row %d = %v, want %v", shape, i, u.Row(i), a.Row(i))
						break
					}
				}
				// Pack copies: changing the source changes nothing.
				if rows > 0 && cols > 0 {
					a.Set(0, 0, a.At(0, 0)+1)
					if p.Unpack().At(0, 0) == a.At(0, 0) {
						t.Errorf("PackWith %s aliases its source", shape)
					}
				}
			}
		}
	}
}

// TestPackTiles checks the tiled layout and its round trip.
func TestPackTiles(t *testing.T) {
	src := newRand(19)
	for _, rows := range []int{0, 1, 8, 9, 15, 16, 17, 32, 40} {
		for _, cols := range []int{0, 1, 15, 16, 17, 40} {
			a, _ := newGuardedMatrix("a", rows, cols, cols+1, 1, src)
			v := Matrix{Rows: 1, Cols: rows, Stride: rows, Data: make([]float32, rows)}
			p := PackLowRankWith(LowRank{U: Matrix{Rows: 1, Cols: rows, Stride: rows, Data: v.Data}, V: a}, DefaultGeometry, TileGeometry).V
			shape := fmt.Sprintf("%d×%d tiled", rows, cols)
			full, tiles := rows/16*16, (cols+15)/16
			for i := 0; i < full; i++ {
				for j := 0; j < 16*tiles; j++ {
					want := float32(0)
					if j < cols {
						want = a.At(i, j)
					}
					if got := p.data[i/16*tiles*256+j/16*256+i%16*16+j%16]; math.Float32bits(got) != math.Float32bits(want) {
						t.Fatalf("%s: row %d column %d = %v, want %v", shape, i, j, got, want)
					}
				}
			}
			u := p.Unpack()
			for i := 0; i < rows; i++ {
				if !slices.Equal(u.Row(i), a.Row(i)) {
					t.Errorf("%s: Unpack row %d = %v, want %v", shape, i, u.Row(i), a.Row(i))
				}
			}
		}
	}
	mustPanic(t, "PackWith(tiles)", func() { PackWith(NewMatrix(16, 16), TileGeometry) }, "tiles")
	mustPanic(t, "PackLowRankWith(U tiles)", func() {
		PackLowRankWith(LowRank{U: NewMatrix(16, 2), V: NewMatrix(2, 16)}, TileGeometry, DefaultGeometry)
	}, "tiles")
}

// TestPackGeometry checks that Pack and PackLowRank take the geometries
// this CPU's table entry gives their roles and sizes, and that PackWith
// rejects a geometry the kernels do not implement.
func TestPackGeometry(t *testing.T) {
	src := newRand(17)
	for _, n := range []int{16, 64, 256, 1024} {
		a, _ := newGuardedMatrix("a", n, n, n, 0, src)
		if got, want := Pack(a).Geometry(), GeometryFor(RoleDense, 4*n*n); got != want {
			t.Errorf("Pack %d×%d: geometry %v, want %v", n, n, got, want)
		}
		for _, r := range []int{8, 32} {
			u, _ := newGuardedMatrix("U", n, r, r, 0, src)
			v, _ := newGuardedMatrix("V", r, n, n, 0, src)
			p := PackLowRank(LowRank{U: u, V: v})
			ws := 8 * n * r
			if p.U.Geometry() != GeometryFor(RoleU, ws) || p.V.Geometry() != GeometryFor(RoleV, ws) {
				t.Errorf("PackLowRank n=%d r=%d: geometries %v, %v; want %v, %v", n, r,
					p.U.Geometry(), p.V.Geometry(), GeometryFor(RoleU, ws), GeometryFor(RoleV, ws))
			}
		}
	}
	for _, g := range []Geometry{{}, {Rows: 48, Streams: 1, Accs: 8}, {Rows: 32, Streams: 4, Accs: 8},
		{Rows: 16, Streams: 1, Accs: 16}, {Rows: 64, Streams: 1, Accs: 8, Prefetch: 100}, {Rows: 16, Streams: 1, Accs: 8, Prefetch: 64}} {
		mustPanic(t, fmt.Sprintf("PackWith(%v)", g), func() { PackWith(NewMatrix(3, 3), g) }, "geometry")
	}
}

func TestPackLowRankDims(t *testing.T) {
	src := newRand(8)
	for _, s := range [][3]int{{0, 0, 0}, {3, 4, 2}, {17, 5, 16}, {5, 17, 33}, {40, 30, 600}} {
		n, m, r := s[0], s[1], s[2]
		u, _ := newGuardedMatrix("U", n, r, r+1, 1, src)
		v, _ := newGuardedMatrix("V", r, m, m, 2, src)
		p := PackLowRank(LowRank{U: u, V: v})
		if p.Rows() != n || p.Cols() != m || p.Rank() != r || p.WeightBytes() != 4*(n*r+r*m) {
			t.Errorf("PackLowRank %d×%d rank %d: Rows, Cols, Rank, WeightBytes = %d, %d, %d, %d",
				n, m, r, p.Rows(), p.Cols(), p.Rank(), p.WeightBytes())
		}
		if w := (LowRank{U: u, V: v}); w.Rank() != r {
			t.Errorf("LowRank.Rank() = %d, want %d", w.Rank(), r)
		}
		pu, pv := p.U.Unpack(), p.V.Unpack()
		for i := 0; i < n; i++ {
			if !slices.Equal(pu.Row(i), u.Row(i)) {
				t.Errorf("PackLowRank %d×%d rank %d: U row %d differs", n, m, r, i)
			}
		}
		for i := 0; i < r; i++ {
			if !slices.Equal(pv.Row(i), v.Row(i)) {
				t.Errorf("PackLowRank %d×%d rank %d: V row %d differs", n, m, r, i)
			}
		}
	}
}

func TestMatrixAccessors(t *testing.T) {
	a := Matrix{Rows: 2, Cols: 3, Stride: 4, Data: make([]float32, 7)}
	a.Set(1, 2, 5)
	if a.Data[6] != 5 || a.At(1, 2) != 5 {
		t.Errorf("Set(1, 2) wrote Data = %v", a.Data)
	}
	if r := a.Row(1); len(r) != 3 || &r[0] != &a.Data[4] {
		t.Errorf("Row(1) = %v, want Data[4:7] aliased", r)
	}
	if b := NewMatrix(2, 3); b.Rows != 2 || b.Cols != 3 || b.Stride != 3 || len(b.Data) != 6 {
		t.Errorf("NewMatrix(2, 3) = %+v", b)
	}
}
