package bench_test

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

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
		// benchstat knows the direction of ns/op and MB/s only.
		fmt.Println("Unit FLOP/s better=higher")
	}
	os.Exit(m.Run())
}

// impls returns the implementations to compare: every kernels target this
// CPU and build can run, then the gonum peer.
func impls() []string {
	var names []string
	for _, t := range kernels.Targets() {
		if t.Available {
			names = append(names, t.Name)
		}
	}
	return append(names, "gonum")
}

// useTarget makes impl the active kernels target for the rest of the
// benchmark or test; gonum needs none.
func useTarget(tb testing.TB, impl string) {
	if impl == "gonum" {
		return
	}
	restore, err := kernels.Use(impl)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(restore)
}

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
	x, y []float32
}

var denseCache = map[int]*dense{}

func denseInputs(n int) *dense {
	if c, ok := denseCache[n]; ok {
		return c
	}
	c := &dense{a: randomMatrix(n, n, 1), x: make([]float32, n), y: make([]float32, n)}
	c.p = kernels.Pack(c.a)
	fill(c.x, 3)
	denseCache[n] = c
	return c
}

// gonum returns the blas32 views of the dense inputs.
func (c *dense) gonum() (a blas32.General, x, y blas32.Vector) {
	return general(c.a), vector(c.x), vector(c.y)
}

// lowRank holds the inputs of a rank-r product with an n×n matrix U·V.
type lowRank struct {
	w    kernels.LowRank
	p    *kernels.PackedLowRank
	x, y []float32
	t    []float32 // V·x, for gonum
}

var lowRankCache = map[[2]int]*lowRank{}

func lowRankInputs(n, r int) *lowRank {
	if c, ok := lowRankCache[[2]int{n, r}]; ok {
		return c
	}
	c := &lowRank{
		w: kernels.LowRank{U: randomMatrix(n, r, 4), V: randomMatrix(r, n, 5)},
		x: make([]float32, n), y: make([]float32, n), t: make([]float32, r),
	}
	c.p = kernels.PackLowRank(c.w)
	fill(c.x, 3)
	lowRankCache[[2]int{n, r}] = c
	return c
}

// gonum returns the blas32 views of the low-rank inputs and the temporary.
func (c *lowRank) gonum() (u, v blas32.General, x, y, t blas32.Vector) {
	return general(c.w.U), general(c.w.V), vector(c.x), vector(c.y), vector(c.t)
}

func general(a kernels.Matrix) blas32.General {
	return blas32.General{Rows: a.Rows, Cols: a.Cols, Stride: a.Stride, Data: a.Data}
}

func vector(v []float32) blas32.Vector { return blas32.Vector{N: len(v), Inc: 1, Data: v} }

// BenchmarkMatVec times y = W·x for a dense n×n W: packed (Pack, MatVec)
// for our targets, row-major blas32.Gemv for gonum.
func BenchmarkMatVec(b *testing.B) {
	for _, impl := range impls() {
		b.Run("impl="+impl, func(b *testing.B) {
			for _, n := range sizes {
				b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
					useTarget(b, impl)
					c := denseInputs(n)
					b.SetBytes(int64(c.p.WeightBytes()))
					b.ReportAllocs()
					if impl == "gonum" {
						a, x, y := c.gonum()
						for b.Loop() {
							blas32.Gemv(blas.NoTrans, 1, a, x, 0, y)
						}
					} else {
						for b.Loop() {
							c.p.MatVec(c.y, c.x)
						}
					}
					reportFLOPs(b, n*n)
				})
			}
		})
	}
}

// BenchmarkLowRank times y = U·(V·x) for a rank-r factorisation of an n×n
// matrix: PackLowRank and MatVec for our targets, two blas32.Gemv calls
// through a preallocated temporary for gonum.
func BenchmarkLowRank(b *testing.B) {
	for _, impl := range impls() {
		b.Run("impl="+impl, func(b *testing.B) {
			for _, n := range sizes {
				b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
					for _, r := range ranks {
						if r >= n {
							continue
						}
						b.Run("rank="+strconv.Itoa(r), func(b *testing.B) {
							useTarget(b, impl)
							c := lowRankInputs(n, r)
							b.SetBytes(int64(c.p.WeightBytes()))
							b.ReportAllocs()
							if impl == "gonum" {
								u, v, x, y, t := c.gonum()
								for b.Loop() {
									blas32.Gemv(blas.NoTrans, 1, v, x, 0, t)
									blas32.Gemv(blas.NoTrans, 1, u, t, 0, y)
								}
							} else {
								for b.Loop() {
									c.p.MatVec(c.y, c.x)
								}
							}
							reportFLOPs(b, 2*n*r)
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

	for _, impl := range impls() {
		t.Run(impl, func(t *testing.T) {
			useTarget(t, impl)
			clear(d.y)
			clear(l.y)
			if impl == "gonum" {
				a, x, y := d.gonum()
				blas32.Gemv(blas.NoTrans, 1, a, x, 0, y)
				u, v, x, y, tmp := l.gonum()
				blas32.Gemv(blas.NoTrans, 1, v, x, 0, tmp)
				blas32.Gemv(blas.NoTrans, 1, u, tmp, 0, y)
			} else {
				d.p.MatVec(d.y, d.x)
				l.p.MatVec(l.y, l.x)
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
