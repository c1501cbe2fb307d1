package bench_test

import (
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/kernels"
)

// BenchmarkBars measures the targets of the kernels (issue 14) as ratios of
// two functions timed in pairs of short blocks inside each iteration, the
// median over the pairs: what a shared machine does to one half of a pair
// it does to the other. With the kernels target in use (run it on the
// best, avx512):
//
//	BenchmarkBars/roof/op=matvec/n=256         roof: the product's fraction of the read
//	BenchmarkBars/roof/op=lowrank/n=256/rank=16      bandwidth at its working set (weights and
//	                                                 vectors), against the faster read probe there
//	BenchmarkBars/peer/op=matvec/n=256         x/c: its time over the C peer's (-tags cpeer)
//	BenchmarkBars/step/cell=rnn/n=256/rank=16  x/product: a fused step over the product alone
//	BenchmarkBars/batch/cell=rnn/n=256/rank=full/B=2   x/B1: a sequence step of B streams
//	                                                   over one of a single stream
//	BenchmarkBars/batchstep/cell=mgru/n=256/rank=32/B=4  x/B1: the same without the
//	                                                     input projections: the recurrent step alone
//
//	go test -tags cpeer -run '^$' -bench BenchmarkBars -benchtime 2s ./bench
func BenchmarkBars(b *testing.B) {
	roofShapes := []struct{ n, rank int }{
		{64, 0}, {256, 0}, {512, 0}, {1024, 0}, {256, 16},
		{256, 32}, {512, 32}, {1024, 32}, {256, 64}, {512, 64}, {1024, 64},
	}
	name := func(n, rank int) string {
		if rank == 0 {
			return "op=matvec/n=" + strconv.Itoa(n)
		}
		return "op=lowrank/n=" + strconv.Itoa(n) + "/rank=" + strconv.Itoa(rank)
	}
	product := func(n, rank int) (f func(), weights, ws int) {
		if rank == 0 {
			c := denseInputs(n)
			return c.matVecFunc(impl{name: kernels.Active()}, f32), c.p.WeightBytes(), c.workingSet(f32)
		}
		c := lowRankInputs(n, rank)
		return c.matVecFunc(impl{name: kernels.Active()}, f32), c.p.WeightBytes(), c.workingSet(f32)
	}
	b.Run("roof", func(b *testing.B) {
		for _, s := range roofShapes {
			b.Run(name(s.n, s.rank), func(b *testing.B) {
				f, weights, ws := product(s.n, s.rank)
				ref := bench.NewReadProbe(ws)
				// roof = (weights/t_kernel) / (ws/t_probe).
				r := pairedLoop(b, f, func() { ref.Run(1) })
				b.ReportMetric(float64(weights)/float64(ref.Bytes())/r, "roof")
			})
		}
	})
	b.Run("peer", func(b *testing.B) {
		var c *bench.Peer
		for _, p := range bench.Peers() {
			if p.Name == "c" && p.Err == nil {
				c = &p
			}
		}
		if c == nil {
			b.Skip("no C peer in this build (-tags cpeer)")
		}
		for _, s := range roofShapes {
			b.Run(name(s.n, s.rank), func(b *testing.B) {
				f, _, _ := product(s.n, s.rank)
				var g func()
				if s.rank == 0 {
					g = denseInputs(s.n).matVecFunc(impl{name: "c", peer: c}, f32)
				} else {
					g = lowRankInputs(s.n, s.rank).matVecFunc(impl{name: "c", peer: c}, f32)
				}
				b.ReportMetric(pairedLoop(b, f, g), "x/c")
			})
		}
	})
	b.Run("step", func(b *testing.B) {
		for _, rank := range []int{16, 32} {
			b.Run("cell=rnn/n=256/rank="+strconv.Itoa(rank), func(b *testing.B) {
				s := newStepInputs("rnn", f32, 256, rank)
				y := make([]float32, 256)
				b.ReportMetric(pairedLoop(b, s.step, func() { s.uf.MatVec(y, s.h) }), "x/product")
			})
		}
	})
	b.Run("batch", func(b *testing.B) {
		for _, c := range []struct {
			kind    string
			n, rank int
			batch   int
		}{{"rnn", 256, 0, 2}, {"rnn", 256, 0, 4}, {"mgru", 256, 32, 2}, {"mgru", 256, 32, 4}} {
			b.Run("cell="+c.kind+"/n="+strconv.Itoa(c.n)+"/rank="+rankName(c.rank)+"/B="+strconv.Itoa(c.batch), func(b *testing.B) {
				// Whole sequences of T steps (input projections included),
				// as BenchmarkSequence runs them: per step of all B
				// streams over per step of one.
				many, one := newSeqInputs(c.kind, f32, c.n, c.rank, seqT, c.batch), newSeqInputs(c.kind, f32, c.n, c.rank, seqT, 1)
				b.ReportMetric(pairedLoop(b, many.run, one.run), "x/B1")
			})
		}
	})
	b.Run("batchstep", func(b *testing.B) {
		for _, c := range []struct {
			kind    string
			n, rank int
			batch   int
		}{{"rnn", 256, 0, 2}, {"rnn", 256, 0, 4}, {"mgru", 256, 32, 2}, {"mgru", 256, 32, 4}} {
			b.Run("cell="+c.kind+"/n="+strconv.Itoa(c.n)+"/rank="+rankName(c.rank)+"/B="+strconv.Itoa(c.batch), func(b *testing.B) {
				// The recurrent step alone (no input projections): a
				// batched step of B streams over a fused step of one.
				b.ReportMetric(pairedLoop(b, newBatchStep(c.kind, c.n, c.rank, c.batch), newStepInputs(c.kind, f32, c.n, c.rank).step), "x/B1")
			})
		}
	})
}

// newBatchStep returns a function that advances B states by one batched
// step (RNNStepBatch or MGRUStepBatch) with the active kernels target.
func newBatchStep(kind string, n, rank, batch int) func() {
	c := newCell(kind, f32, n, rank)
	h, hNew := randomMatrix(batch, n, 31), kernels.NewMatrix(batch, n)
	scale(h.Data, 0.5)
	xpf, xph, work := randomMatrix(batch, n, 32), randomMatrix(batch, n, 33), make([]float32, 2*batch*n)
	return func() {
		if kind == "mgru" {
			kernels.MGRUStepBatch(hNew, h, xpf, xph, c.bf, c.bh, c.uf, c.uh, work)
		} else {
			kernels.RNNStepBatch(hNew, h, xpf, c.bf, c.uf)
		}
		h, hNew = hNew, h
	}
}

// pairedLoop runs b's loop: each iteration times a block of calls of f,
// then one of ref (each block after one untimed call, about 50 µs), and it
// returns the median over the iterations of f's time per call over ref's.
func pairedLoop(b *testing.B, f, ref func()) float64 {
	kf, kr := max(blockCalls(f, 50*time.Microsecond), 1), max(blockCalls(ref, 50*time.Microsecond), 1)
	ratios := make([]float64, 0, 1<<16)
	b.ReportAllocs()
	for b.Loop() {
		f()
		t0 := time.Now()
		for range kf {
			f()
		}
		t1 := time.Now()
		ref()
		t2 := time.Now()
		for range kr {
			ref()
		}
		t3 := time.Now()
		if len(ratios) < cap(ratios) && t3.After(t2) {
			ratios = append(ratios, (float64(t1.Sub(t0))/float64(kf))/(float64(t3.Sub(t2))/float64(kr)))
		}
	}
	if len(ratios) == 0 {
		return math.NaN()
	}
	slices.Sort(ratios)
	return ratios[len(ratios)/2]
}
