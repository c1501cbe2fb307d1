package bench_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/lowrank-rnn/lowrank/kernels"
)

// The speed of the quantized kernels against float32, as paired ratios:
//
//	BenchmarkQuantRatio/op=matvec/impl=avx512bf16/dtype=int8/n=512        x/f32
//	BenchmarkQuantRatio/op=lowrank/impl=avx512bf16/dtype=int8/n=1024/rank=64  x/f32
//	BenchmarkQuantRatio/op=step/impl=avx512bf16/dtype=int8/cell=mgru/n=256    x/bare
//
// Each iteration times a block of calls of the quantized product, then as
// many of the same product in float32 on the same target (the variants
// run their family's float32 kernels), back to back; x/f32 is the median
// over the iterations of quantized time over float32 time: below 1/3 is
// three times as fast. For op=step the reference is the step's bare
// quantized products (one per recurrent matrix, as MatVec), and x/bare
// what the rest of the fused step costs on top of them.
var quantRatioShapes = []struct {
	op, dtype, cell string
	n, rank         int
}{
	{op: "matvec", dtype: int8, n: 256},
	{op: "matvec", dtype: int8, n: 512},
	{op: "matvec", dtype: int8, n: 1024},
	{op: "matvec", dtype: bf16, n: 512},
	{op: "matvec", dtype: bf16, n: 1024},
	{op: "lowrank", dtype: int8, n: 1024, rank: 64},
	{op: "lowrank", dtype: bf16, n: 1024, rank: 64},
	{op: "step", dtype: int8, cell: "mgru", n: 256},
	{op: "step", dtype: int8, cell: "rnn", n: 256},
	{op: "step", dtype: int8, cell: "mgru", n: 1024, rank: 64},
}

func BenchmarkQuantRatio(b *testing.B) {
	var ops []string
	for _, s := range quantRatioShapes {
		if !slices.Contains(ops, s.op) {
			ops = append(ops, s.op)
		}
	}
	for _, op := range ops {
		b.Run("op="+op, func(b *testing.B) {
			for _, im := range some(b, quantRatioImpls()) {
				b.Run("impl="+im.name, func(b *testing.B) {
					for _, s := range quantRatioShapes {
						if s.op != op {
							continue
						}
						name := "dtype=" + s.dtype
						if s.cell != "" {
							name += "/cell=" + s.cell
						}
						name += "/n=" + strconv.Itoa(s.n)
						if s.op != "matvec" {
							name += "/rank=" + rankName(s.rank)
						}
						b.Run(name, func(b *testing.B) {
							useTarget(b, im)
							var cand, ref func()
							unit := "x/f32"
							switch s.op {
							case "matvec":
								c := denseInputs(s.n)
								q := c.op(s.dtype)
								cand = func() { q.MatVec(c.y, c.x) }
								ref = func() { c.p.MatVec(c.y, c.x) }
							case "lowrank":
								c := lowRankInputs(s.n, s.rank)
								q := c.op(s.dtype)
								cand = func() { q.MatVec(c.y, c.x) }
								ref = func() { c.p.MatVec(c.y, c.x) }
							case "step":
								st := newStepInputs(s.cell, s.dtype, s.n, s.rank)
								y := make([]float32, s.n)
								cand, ref, unit = st.step, func() {
									st.uf.MatVec(y, st.h)
									if st.uh != nil {
										st.uh.MatVec(y, st.h)
									}
								}, "x/bare"
							}
							pairLoop(b, cand, ref, unit)
						})
					}
				})
			}
		})
	}
}

// quantRatioImpls returns the targets with quantized kernels: all but go.
func quantRatioImpls() []impl {
	var out []impl
	for _, im := range stepImpls() {
		if im.name != "go" {
			out = append(out, im)
		}
	}
	return out
}

// pairLoop runs b's timed loop of pairs: a block of calls of cand, then as
// many calls of ref, and reports the median ratio of their times as unit,
// and cand's ns/op.
func pairLoop(b *testing.B, cand, ref func(), unit string) {
	k := max(blockCalls(cand, blockTime), blockCalls(ref, blockTime)/4, minBlockCalls)
	ratios := make([]float64, 1<<16)
	var candTime time.Duration
	pairs := 0
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		for range k {
			cand()
		}
		t1 := time.Now()
		for range k {
			ref()
		}
		t2 := time.Now()
		dc, dr := t1.Sub(t0), t2.Sub(t1)
		candTime += dc
		if dr > 0 {
			ratios[pairs%len(ratios)] = float64(dc) / float64(dr)
			pairs++
		}
	}
	ratios = ratios[:min(pairs, len(ratios))]
	b.ReportMetric(float64(candTime.Nanoseconds())/float64(b.N*k), "ns/op")
	if len(ratios) > 0 {
		slices.Sort(ratios)
		b.ReportMetric(ratios[len(ratios)/2], unit)
	}
}

// TestQuantRatioShapes checks that the quantized ratio benchmarks compare
// like with like: the candidate and the reference products of a shape
// have the same sizes, and the quantized one is the cheaper in bytes.
func TestQuantRatioShapes(t *testing.T) {
	for _, s := range quantRatioShapes {
		if s.op == "step" {
			continue
		}
		var q, f kernels.Operator
		if s.op == "matvec" {
			c := denseInputs(s.n)
			q, f = c.op(s.dtype), c.p
		} else {
			c := lowRankInputs(s.n, s.rank)
			q, f = c.op(s.dtype), c.p
		}
		if q.Rows() != f.Rows() || q.Cols() != f.Cols() || q.WeightBytes() >= f.WeightBytes() {
			t.Errorf("%+v: quantized %d×%d, %d bytes; float32 %d×%d, %d bytes", s, q.Rows(), q.Cols(), q.WeightBytes(), f.Rows(), f.Cols(), f.WeightBytes())
		}
	}
}
