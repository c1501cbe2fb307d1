package bench_test

import (
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/kernels"
)

// The shapes benchmarked: recurrent sizes from hearing aids (64) to large
// server models (2048), and the ranks of a compression sweep. Low-rank
// benchmarks use only rank < n.
var (
	sizes = []int{64, 128, 256, 512, 1024, 2048}
	ranks = []int{8, 16, 32, 64, 128, 256}
)

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
		printConfig(os.Stdout)
	}
	os.Exit(m.Run())
}

// printConfig prints the lines that head a benchmark run's output: the
// directions of our units (benchstat knows those of ns/op and MB/s only),
// then the configuration (see bench.ConfigLines), the peers compiled in
// and what they run (the OpenBLAS version and core), and the reference of
// the paired ratios. None of them depends on which impls run: the passes
// of lowrank bench print the same lines, so benchstat (which splits its
// tables by configuration) keeps the whole file in one table.
func printConfig(w io.Writer) {
	fmt.Fprintln(w, "Unit FLOP/s better=higher")
	fmt.Fprintln(w, "Unit roof better=higher")
	fmt.Fprintln(w, "Unit x/ref better=lower")
	fmt.Fprintln(w, "Unit x/f32 better=lower")
	fmt.Fprintln(w, "Unit x/bare better=lower")
	fmt.Fprintln(w, "Unit ns/step better=lower")
	// BenchmarkAccuracy's metrics are deterministic.
	fmt.Fprintln(w, "Unit acc better=higher assume=exact")
	fmt.Fprintln(w, "Unit MC better=higher assume=exact")
	fmt.Fprintln(w, "Unit bits/char better=lower assume=exact")
	fmt.Fprintln(w, "Unit kept better=higher assume=exact")
	fmt.Fprintln(w, "Unit relerr better=lower assume=exact")
	for _, l := range bench.ConfigLines() {
		fmt.Fprintln(w, l)
	}
	// Every peer has a line, empty where it is not compiled in: in a file
	// that concatenates runs of different builds, an empty value deletes
	// the key another build set.
	peers := map[string]bench.Peer{}
	for _, p := range bench.Peers() {
		peers[p.Name] = p
	}
	for _, name := range []string{"openblas", "c", "simd"} {
		switch p, ok := peers[name]; {
		case !ok:
			fmt.Fprintf(w, "peer-%s:\n", name)
		case p.Err != nil:
			fmt.Fprintf(w, "peer-%s: unavailable: %v\n", name, p.Err)
		default:
			fmt.Fprintf(w, "peer-%s: %s\n", name, p.Info)
		}
	}
	fmt.Fprintf(w, "ratio-ref: %s read probe\n", bench.NewReadReference(64).Probe)
	if s := slowdown(); s != 0 {
		fmt.Fprintf(w, "slowdown: %g injected into BenchmarkRatio (%s)\n", s, slowdownEnv)
	} else {
		fmt.Fprintln(w, "slowdown:")
	}
}

// Which implementations run. A benchmark binary started with
// LOWRANK_IMPLS=a,b runs those only (lowrank bench runs one process per
// target, one for the peers, one per gate sample); with LOWRANK_TARGET=t
// and no LOWRANK_IMPLS, it runs target t and impl=best (which is then t);
// with neither, all of them.
const implsEnv = "LOWRANK_IMPLS"

var implFilter = sync.OnceValue(func() func(string) bool {
	if s := strings.TrimSpace(os.Getenv(implsEnv)); s != "" {
		set := map[string]bool{}
		for name := range strings.SplitSeq(s, ",") {
			set[strings.TrimSpace(name)] = true
		}
		return func(name string) bool { return set[name] }
	}
	if t := strings.TrimSpace(os.Getenv("LOWRANK_TARGET")); t != "" {
		return func(name string) bool { return name == t || name == best }
	}
	return func(string) bool { return true }
})

func selected(name string) bool { return implFilter()(name) }

// best is the impl of the paired-ratio benchmarks that the regression gate
// compares: whatever target kernels picked at start-up (the best
// available, or LOWRANK_TARGET). Its name does not say which, so that a
// run with LOWRANK_TARGET=avx2 against an avx512 baseline is a real
// slowdown for the gate to catch; the target: configuration line says.
const best = "best"

// An impl is one implementation a benchmark times: a kernels target,
// gonum's blas32, or a peer.
type impl struct {
	name    string
	peer    *bench.Peer // nil for targets and gonum
	variant bool        // a quantized variant of a target (its Family is another's)
}

func (im impl) target() bool { return im.name != "gonum" && im.name != best && im.peer == nil }

// targetImpls returns the selected kernels targets this CPU and build can
// run that have float32 kernels of their own: the quantized variants
// (avx512vnni, …) run their family's, so a float32 benchmark of them
// would repeat it.
func targetImpls() []impl {
	var out []impl
	for _, t := range kernels.Targets() {
		if t.Available && t.Family == t.Name && selected(t.Name) {
			out = append(out, impl{name: t.Name})
		}
	}
	return out
}

// some returns impls, and skips b when there are none: a parent benchmark
// that runs no sub-benchmark would be reported as a benchmark that timed
// nothing (see bench.CheckResult).
func some(b *testing.B, impls []impl) []impl {
	if len(impls) == 0 {
		b.Skip("no implementation selected here (LOWRANK_IMPLS)")
	}
	return impls
}

// The element types of the recurrent weights (key dtype=): float32, and
// the quantized bf16 and int8 of kernels.PackBF16 and kernels.PackInt8.
// Peers and gonum are float32 only; the quantized products run on every
// kernels target but go (whose reference loops would only time Go) and on
// the variants, which differ from their family in these products alone.
const (
	f32  = "f32"
	bf16 = "bf16"
	int8 = "int8"
)

// dtypesOf returns the dtypes impl runs.
func dtypesOf(im impl) []string {
	var out []string
	if !im.variant {
		out = append(out, f32)
	}
	if im.target() && im.name != "go" || im.name == best {
		out = append(out, bf16, int8)
	}
	return out
}

// quantImpls returns the selected variants (whose only benchmarks are the
// quantized ones).
func quantImpls() []impl {
	var out []impl
	for _, t := range kernels.Targets() {
		if t.Available && t.Family != t.Name && selected(t.Name) {
			out = append(out, impl{name: t.Name, variant: true})
		}
	}
	return out
}

// stepImpls returns the impls of the step and sequence benchmarks: every
// kernels target, variants included.
func stepImpls() []impl { return append(targetImpls(), quantImpls()...) }

// flopsPerByte returns the flops (two per multiply-add) per byte of
// weights read: the intensity of a product's roofline, 0.5 in float32.
func flopsPerByte(mulAdds, weightBytes int) float64 {
	return 2 * float64(mulAdds) / float64(weightBytes)
}

// impls returns the implementations of a matrix–vector product to
// compare: the selected targets, gonum, and the peers compiled into this
// build that can run here.
func impls() []impl {
	out := append(targetImpls(), quantImpls()...)
	if selected("gonum") {
		out = append(out, impl{name: "gonum"})
	}
	for _, p := range bench.Peers() {
		if p.Err == nil && selected(p.Name) {
			out = append(out, impl{name: p.Name, peer: &p})
		}
	}
	return out
}

// useTarget makes impl the active kernels target for the rest of the
// benchmark or test; the other impls need none.
func useTarget(tb testing.TB, im impl) {
	if !im.target() {
		return
	}
	restore, err := kernels.Use(im.name)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(restore)
}

// reportRoof reports roof: the fraction of the roofline that b's loop
// reached, for flops flops per iteration at flopsPerByte flops per byte of
// weights read (bench.MatVecFlopsPerByte for one product), with a working
// set (weights plus vectors) of workingSet bytes: the ceiling is the FMA
// peak (float32 weights only) or the read bandwidth measured at that very
// size, before and again after the loop, the better (bench.RoofAt),
// whichever is lower. Without the probes (another build), nothing is
// reported.
func reportRoof(b *testing.B, dtype string, flops float64, workingSet int, flopsPerByte float64) {
	achieved := flops * float64(b.N) / b.Elapsed().Seconds()
	roofAt := bench.RoofAt
	if dtype != f32 { // no FMA probe bounds integer or bf16 dot products
		roofAt = bench.ReadRoofAt
	}
	bound, err := roofAt(workingSet, flopsPerByte, true)
	if err != nil {
		return
	}
	b.ReportMetric(achieved/bound, "roof")
}

// warmRoofline measures the roofline and the read bandwidth at
// workingSet, if not yet done, before b's timed loop starts (b.Loop resets
// the timer at its first call).
func warmRoofline(workingSet int) { _, _ = bench.RoofAt(workingSet, 1, false) }

// reportFLOPs reports the throughput of b's loop, two flops per
// multiply-add.
func reportFLOPs(b *testing.B, multiplyAdds int) {
	b.ReportMetric(2*float64(multiplyAdds)*float64(b.N)/b.Elapsed().Seconds(), "FLOP/s")
}

// randomMatrix returns a rows×cols matrix of uniform values in [-1, 1),
// the same for the same arguments.
func randomMatrix(rows, cols int, seed uint64) kernels.Matrix {
	a := kernels.NewMatrix(rows, cols)
	fill(a.Data, seed)
	return a
}

func fill(v []float32, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, uint64(len(v))))
	for i := range v {
		v[i] = 2*rng.Float32() - 1
	}
}

// dense holds the inputs of a dense n×n product. They are built on first
// use and kept, so that every implementation reads the same numbers and
// `go test` without -bench builds nothing.
type dense struct {
	a    kernels.Matrix
	p    *kernels.Packed
	q    map[string]kernels.Operator // quantized copies of a, by dtype
	x, y []float32
}

// op returns the packed weights of dtype.
func (c *dense) op(dtype string) kernels.Operator {
	if dtype == f32 {
		return c.p
	}
	if c.q[dtype] == nil {
		c.q[dtype] = quantize(c.a, dtype)
	}
	return c.q[dtype]
}

// quantize returns a packed in dtype, bf16 or int8.
func quantize(a kernels.Matrix, dtype string) kernels.Operator {
	if dtype == bf16 {
		return kernels.PackBF16(a)
	}
	return kernels.PackInt8(a)
}

var denseCache = map[int]*dense{}

func denseInputs(n int) *dense {
	if c, ok := denseCache[n]; ok {
		return c
	}
	c := &dense{a: randomMatrix(n, n, 1), x: make([]float32, n), y: make([]float32, n), q: map[string]kernels.Operator{}}
	c.p = kernels.Pack(c.a)
	fill(c.x, 3)
	denseCache[n] = c
	return c
}

// workingSet returns the bytes one product touches: the weights, x and y.
func (c *dense) workingSet(dtype string) int {
	return c.op(dtype).WeightBytes() + 4*(len(c.x)+len(c.y))
}

// gonum returns the blas32 views of the dense inputs.
func (c *dense) gonum() (a blas32.General, x, y blas32.Vector) {
	return general(c.a), vector(c.x), vector(c.y)
}

// lowRank holds the inputs of a rank-r product with an n×n matrix U·V.
type lowRank struct {
	w    kernels.LowRank
	p    *kernels.PackedLowRank
	q    map[string]kernels.Operator // quantized copies of w, by dtype
	x, y []float32
	t    []float32 // V·x, for gonum
}

// op returns the packed factors of dtype.
func (c *lowRank) op(dtype string) kernels.Operator {
	switch {
	case dtype == f32:
		return c.p
	case c.q[dtype] != nil:
	case dtype == bf16:
		c.q[dtype] = kernels.PackBF16LowRank(c.w)
	default:
		c.q[dtype] = kernels.PackInt8LowRank(c.w)
	}
	return c.q[dtype]
}

var lowRankCache = map[[2]int]*lowRank{}

func lowRankInputs(n, r int) *lowRank {
	if c, ok := lowRankCache[[2]int{n, r}]; ok {
		return c
	}
	c := &lowRank{
		w: kernels.LowRank{U: randomMatrix(n, r, 4), V: randomMatrix(r, n, 5)},
		x: make([]float32, n), y: make([]float32, n), t: make([]float32, r), q: map[string]kernels.Operator{},
	}
	c.p = kernels.PackLowRank(c.w)
	fill(c.x, 3)
	lowRankCache[[2]int{n, r}] = c
	return c
}

// workingSet returns the bytes one product touches: both factors, x, y and
// the temporary V·x.
func (c *lowRank) workingSet(dtype string) int {
	return c.op(dtype).WeightBytes() + 4*(len(c.x)+len(c.y)+len(c.t))
}

// gonum returns the blas32 views of the low-rank inputs and the temporary.
func (c *lowRank) gonum() (u, v blas32.General, x, y, t blas32.Vector) {
	return general(c.w.U), general(c.w.V), vector(c.x), vector(c.y), vector(c.t)
}

func general(a kernels.Matrix) blas32.General {
	return blas32.General{Rows: a.Rows, Cols: a.Cols, Stride: a.Stride, Data: a.Data}
}

func vector(v []float32) blas32.Vector { return blas32.Vector{N: len(v), Inc: 1, Data: v} }

// peerFuncs caches what the peers prepared (copies, packed panels) per
// matrix, so that -count does not prepare them again.
var peerFuncs = map[peerKey]func(y, x []float32){}

type peerKey struct {
	peer string
	data *float32
}

// peerFunc returns peer p's product with a, prepared once.
func peerFunc(p *bench.Peer, a kernels.Matrix) func(y, x []float32) {
	k := peerKey{p.Name, unsafe.SliceData(a.Data)}
	f, ok := peerFuncs[k]
	if !ok {
		f = p.Prepare(a)
		peerFuncs[k] = f
	}
	return f
}

// matVecFunc returns impl's y = W·x for the dense inputs: packed (Pack,
// MatVec, or the quantized forms of dtype) for our targets, row-major
// blas32.Gemv for gonum, the peer's own layout for a peer.
func (c *dense) matVecFunc(im impl, dtype string) func() {
	switch {
	case im.name == "gonum":
		a, x, y := c.gonum()
		return func() { blas32.Gemv(blas.NoTrans, 1, a, x, 0, y) }
	case im.peer != nil:
		f := peerFunc(im.peer, c.a)
		return func() { f(c.y, c.x) }
	}
	op := c.op(dtype)
	return func() { op.MatVec(c.y, c.x) }
}

// matVecFunc returns impl's y = U·(V·x) for the low-rank inputs: the
// packed factors for our targets, two products through a preallocated
// temporary for gonum and the peers.
func (c *lowRank) matVecFunc(im impl, dtype string) func() {
	switch {
	case im.name == "gonum":
		u, v, x, y, t := c.gonum()
		return func() {
			blas32.Gemv(blas.NoTrans, 1, v, x, 0, t)
			blas32.Gemv(blas.NoTrans, 1, u, t, 0, y)
		}
	case im.peer != nil:
		fu, fv := peerFunc(im.peer, c.w.U), peerFunc(im.peer, c.w.V)
		return func() {
			fv(c.t, c.x)
			fu(c.y, c.t)
		}
	}
	op := c.op(dtype)
	return func() { op.MatVec(c.y, c.x) }
}

// quantLowRank reports whether the quantized low-rank products run at
// n and rank r: a subset of the float32 shapes, ranks 16 and 64 where
// they save (r < n/2), to keep lowrank bench's length.
func quantLowRank(n, r int) bool { return (r == 16 || r == 64) && 2*r < n }

// BenchmarkMatVec times y = W·x for a dense n×n W, for every impl and
// dtype. MB/s counts the weight bytes of the dtype (int8 scales
// included).
func BenchmarkMatVec(b *testing.B) {
	for _, im := range some(b, impls()) {
		b.Run("impl="+im.name, func(b *testing.B) {
			for _, dtype := range dtypesOf(im) {
				b.Run("dtype="+dtype, func(b *testing.B) {
					for _, n := range sizes {
						b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
							useTarget(b, im)
							c := denseInputs(n)
							warmRoofline(c.workingSet(dtype))
							f := c.matVecFunc(im, dtype)
							bytes := c.op(dtype).WeightBytes()
							b.SetBytes(int64(bytes))
							b.ReportAllocs()
							for b.Loop() {
								f()
							}
							reportFLOPs(b, n*n)
							reportRoof(b, dtype, 2*float64(n*n), c.workingSet(dtype), flopsPerByte(n*n, bytes))
						})
					}
				})
			}
		})
	}
}

// BenchmarkLowRank times y = U·(V·x) for a rank-r factorisation of an n×n
// matrix, for every impl.
func BenchmarkLowRank(b *testing.B) {
	for _, im := range some(b, impls()) {
		b.Run("impl="+im.name, func(b *testing.B) {
			for _, dtype := range dtypesOf(im) {
				b.Run("dtype="+dtype, func(b *testing.B) {
					for _, n := range sizes {
						b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
							for _, r := range ranks {
								if r >= n || (dtype != f32 && !quantLowRank(n, r)) {
									continue
								}
								b.Run("rank="+strconv.Itoa(r), func(b *testing.B) {
									useTarget(b, im)
									c := lowRankInputs(n, r)
									warmRoofline(c.workingSet(dtype))
									f := c.matVecFunc(im, dtype)
									bytes := c.op(dtype).WeightBytes()
									b.SetBytes(int64(bytes))
									b.ReportAllocs()
									for b.Loop() {
										f()
									}
									reportFLOPs(b, 2*n*r)
									reportRoof(b, dtype, 4*float64(n*r), c.workingSet(dtype), flopsPerByte(2*n*r, bytes))
								})
							}
						})
					}
				})
			}
		})
	}
}

// TestBenchmarkInputs checks, at the smallest size, that every
// implementation the benchmarks time computes the product they claim to,
// so that a fast number is never the number of a wrong computation (a
// transposed gonum view, an unpacked matrix).
func TestBenchmarkInputs(t *testing.T) {
	const n, r = 64, 8
	d := denseInputs(n)
	wantDense := make([]float32, n)
	kernels.MatVecGeneric(wantDense, d.a, d.x)
	l := lowRankInputs(n, r)
	wantLow := make([]float32, n)
	kernels.LowRankMatVecGeneric(wantLow, l.w, l.x)

	// The quantized products are exact: the go target's bits.
	restore, err := kernels.Use("go")
	if err != nil {
		t.Fatal(err)
	}
	wantQ := map[string][2][]float32{}
	for _, dtype := range []string{bf16, int8} {
		dy, ly := make([]float32, n), make([]float32, n)
		d.op(dtype).MatVec(dy, d.x)
		l.op(dtype).MatVec(ly, l.x)
		wantQ[dtype] = [2][]float32{dy, ly}
	}
	restore()

	for _, im := range impls() {
		t.Run(im.name, func(t *testing.T) {
			useTarget(t, im)
			for _, dtype := range dtypesOf(im) {
				clear(d.y)
				clear(l.y)
				d.matVecFunc(im, dtype)()
				l.matVecFunc(im, dtype)()
				if dtype != f32 {
					if !slices.Equal(d.y, wantQ[dtype][0]) || !slices.Equal(l.y, wantQ[dtype][1]) {
						t.Errorf("%s: the products differ from the go target's", dtype)
					}
					continue
				}
				// Differently ordered float32 sums: allow a few units of
				// rounding per term, relative to the sum of magnitudes.
				check(t, "dense", d.y, wantDense, func(i int) float64 {
					return absDot(d.a.Row(i), d.x)
				}, n)
				check(t, "low rank", l.y, wantLow, func(i int) float64 {
					tmp := make([]float32, r)
					for k := range tmp {
						tmp[k] = float32(absDot(l.w.V.Row(k), l.x))
					}
					return absDot(l.w.U.Row(i), tmp)
				}, n+r)
			}
		})
	}
}

func absDot(a, x []float32) float64 {
	var s float64
	for j := range a {
		s += math.Abs(float64(a[j]) * float64(x[j]))
	}
	return s
}

func check(t *testing.T, what string, got, want []float32, scale func(i int) float64, terms int) {
	t.Helper()
	for i := range want {
		tol := 4 * float64(terms) * 0x1p-24 * scale(i)
		if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= tol) {
			t.Errorf("%s: y[%d] = %v, want %v (|diff| %.3g > %.3g)", what, i, got[i], want[i], d, tol)
		}
	}
}
