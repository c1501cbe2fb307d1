package bench_test

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lowrank-rnn/lowrank/bench"
)

// The paired-ratio benchmarks, which the regression gate compares:
//
//	BenchmarkRatio/op=matvec/impl=best/dtype=f32/n=256
//	BenchmarkRatio/op=lowrank/impl=best/dtype=int8/n=1024/rank=64
//	BenchmarkRatio/op=step/impl=best/dtype=f32/cell=mgru/n=256/rank=32
//
// Each iteration times a block of calls of the candidate, then the same
// number of passes of the reference (bench.ReadReference: the roofline's
// read probe streaming a buffer as large as the candidate's weights),
// back to back. x/ref is the median over the iterations of candidate time
// over reference time: a slower clock or a neighbour's burst stretches
// both halves of a pair alike and cancels out, where it would shift
// ns/op. ns/op is the candidate's mean time per call.
//
// The shapes put weights in each cache level of a current server core
// (48 KiB L1d, 1–2 MiB L2): L1 (16 KiB, 8 KiB), L2 (64–512 KiB) and L3
// (4 MiB); the quantized ones are those of the quantized kernels' speed
// claims (int8 and bf16 products at n = 512, int8 low rank at n = 1024,
// r = 64, the int8 MGRU step at n = 256).
var ratioShapes = []struct {
	op    string // "matvec", "lowrank" or "step"
	dtype string // f32, bf16 or int8
	cell  string // for op=step: "rnn" or "mgru"
	n     int
	rank  int // 0: dense
}{
	{op: "matvec", dtype: f32, n: 64},
	{op: "matvec", dtype: f32, n: 256},
	{op: "matvec", dtype: f32, n: 1024},
	{op: "matvec", dtype: int8, n: 512},
	{op: "matvec", dtype: bf16, n: 512},
	{op: "lowrank", dtype: f32, n: 64, rank: 16},
	{op: "lowrank", dtype: f32, n: 256, rank: 32},
	{op: "lowrank", dtype: f32, n: 1024, rank: 64},
	{op: "lowrank", dtype: int8, n: 1024, rank: 64},
	{op: "step", dtype: f32, cell: "rnn", n: 256},
	{op: "step", dtype: f32, cell: "mgru", n: 256, rank: 32},
	{op: "step", dtype: int8, cell: "mgru", n: 256},
}

// slowdownEnv injects a known slowdown into the candidate of every
// BenchmarkRatio, to check that the gate catches it: with
// LOWRANK_BENCH_SLOWDOWN=0.15 each block runs 15% more calls than it
// counts. A results file says so in its slowdown: line.
const slowdownEnv = "LOWRANK_BENCH_SLOWDOWN"

var slowdown = sync.OnceValue(func() float64 {
	s := os.Getenv(slowdownEnv)
	if s == "" {
		return 0
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v >= 0 && v <= 10) {
		fmt.Fprintf(os.Stderr, "bench: %s=%q: want a fraction such as 0.15; ignored\n", slowdownEnv, s)
		return 0
	}
	return v
})

// ratioImpls returns the implementations of a ratio benchmark: best
// first, then the targets, and for the products gonum and the peers.
func ratioImpls(op string) []impl {
	var out []impl
	if selected(best) {
		out = append(out, impl{name: best})
	}
	if op == "step" {
		return append(out, stepImpls()...)
	}
	return append(out, impls()...)
}

func BenchmarkRatio(b *testing.B) {
	var ops []string
	for _, s := range ratioShapes {
		if !slices.Contains(ops, s.op) {
			ops = append(ops, s.op)
		}
	}
	for _, op := range ops {
		b.Run("op="+op, func(b *testing.B) {
			for _, im := range some(b, ratioImpls(op)) {
				b.Run("impl="+im.name, func(b *testing.B) {
					for _, s := range ratioShapes {
						if s.op != op || !slices.Contains(dtypesOf(im), s.dtype) {
							continue
						}
						name := "n=" + strconv.Itoa(s.n)
						if s.cell != "" {
							name = "cell=" + s.cell + "/" + name
						}
						if s.op != "matvec" {
							name += "/rank=" + rankName(s.rank)
						}
						name = "dtype=" + s.dtype + "/" + name
						b.Run(name, func(b *testing.B) {
							useTarget(b, im)
							var f func()
							var bytes int
							switch s.op {
							case "matvec":
								c := denseInputs(s.n)
								f, bytes = c.matVecFunc(im, s.dtype), c.op(s.dtype).WeightBytes()
							case "lowrank":
								c := lowRankInputs(s.n, s.rank)
								f, bytes = c.matVecFunc(im, s.dtype), c.op(s.dtype).WeightBytes()
							case "step":
								st := newStepInputs(s.cell, s.dtype, s.n, s.rank)
								f, bytes = st.step, st.recurrentBytes()
							}
							ratioLoop(b, f, bytes)
						})
					}
				})
			}
		})
	}
}

// blockTime is the length of the candidate's half of a pair: long enough
// that reading the clock (tens of nanoseconds) is lost in it, short enough
// that the two halves of a pair see the same machine.
const blockTime = 20 * time.Microsecond

// minBlockCalls is the fewest calls in a block, so that an injected
// slowdown (LOWRANK_BENCH_SLOWDOWN) is a whole number of calls within 2.5%
// of the fraction asked for, and changes nothing else.
const minBlockCalls = 20

// ratioLoop runs b's timed loop of pairs: a block of calls of cand, then
// as many passes of a reference reading weightBytes, and reports x/ref and
// the candidate's ns/op.
func ratioLoop(b *testing.B, cand func(), weightBytes int) {
	ref := bench.NewReadReference(weightBytes)
	k := max(blockCalls(cand, blockTime), minBlockCalls)
	extra := int(math.Round(slowdown() * float64(k)))
	ref.Run(k) // warm the reference's buffer too

	// The latest pairs' ratios, preallocated: the loop allocates nothing.
	ratios := make([]float64, 1<<16)
	var candTime time.Duration
	pairs := 0
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		for range k + extra {
			cand()
		}
		t1 := time.Now()
		ref.Run(k)
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
		b.ReportMetric(ratios[len(ratios)/2], "x/ref")
	}
}

// blockCalls returns how many calls of f take about d, from calls timed
// for 10·d at least (which also warm the caches up).
func blockCalls(f func(), d time.Duration) int {
	calls := 0
	start := time.Now()
	var el time.Duration
	for el < 10*d || calls < 2 {
		f()
		calls++
		el = time.Since(start)
	}
	per := float64(el) / float64(calls)
	return max(1, int(math.Ceil(float64(d)/per)))
}

func TestReadReference(t *testing.T) {
	r := bench.NewReadReference(1000)
	if r.Bytes() != 1024 || r.Probe == "" {
		t.Errorf("NewReadReference(1000): %d bytes, probe %q; want 1024 bytes and a probe", r.Bytes(), r.Probe)
	}
	r.Run(3)
}
