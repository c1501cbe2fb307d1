package bench_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/kernels"
)

// The step benchmarks of PyTorch's cells, under BenchmarkStep:
//
//	BenchmarkStep/cell=gru/impl=avx512/n=256/rank=32
//	BenchmarkStep/cell=lstm/impl=avx512/n=256/rank=full
//
// One op is one step of kernels.GRUStep or kernels.LSTMStep (no
// projection), the stacked recurrent weights packed gate-interleaved
// (dense) or as a joint factorisation sharing V (rank=r). Each iteration
// times a block of steps, then as many bare products of the same stacked
// matrix, packed plainly (kernels.Pack of the G·n×n matrix, or
// kernels.PackLowRank of its factors), then as many products of the
// step's own gate-interleaved packing. x/product is the median over the
// iterations of step time over plain product time: what the gates,
// activations and state update add to the fastest bare product of the
// matrix. x/gates is step time over the gate-interleaved product's: what
// they add to the product they are fused with, the layout's own cost set
// apart. ns/op, FLOP/s and roof are the step's alone.

// stepCells are the cells of BenchmarkStep: the two of the study, then
// PyTorch's.
var stepCells = []string{"rnn", "mgru", "gru", "lstm"}

// gatedCell reports whether kind is one of PyTorch's cells, benchmarked
// here rather than by benchStep.
func gatedCell(kind string) bool { return kind == "gru" || kind == "lstm" }

// stepImplsOf returns the impls of cell kind's step benchmarks: PyTorch's
// cells have float32 steps only, so no quantized variants.
func stepImplsOf(kind string) []impl {
	if gatedCell(kind) {
		return targetImpls()
	}
	return stepImpls()
}

// stepDtypes returns the dtypes of cell kind's step benchmarks on im.
func stepDtypes(kind string, im impl) []string {
	if gatedCell(kind) {
		return []string{f32}
	}
	return dtypesOf(im)
}

// gatedInputs is one gated cell stepping one sequence, and the plain
// product it is compared with.
type gatedInputs struct {
	lstm       bool
	n, g, rank int
	u          kernels.Operator // gate-interleaved: the step's
	plain      kernels.Operator // the same matrix packed plainly
	h, hNew    []float32
	c, cNew    []float32
	xp, b      []float32
	prod       []float32 // the plain product's output
	work       []float32
}

func newGatedInputs(kind string, n, rank int) *gatedInputs {
	s := &gatedInputs{lstm: kind == "lstm", n: n, g: 3, rank: rank}
	if s.lstm {
		s.g = 4
	}
	gn := s.g * n
	if rank == 0 {
		w := randomMatrix(gn, n, 51)
		scale(w.Data, math.Sqrt(3/float64(n)))
		s.u, s.plain = kernels.PackGates(w, s.g), kernels.Pack(w)
	} else {
		lr := kernels.LowRank{U: randomMatrix(gn, rank, 51), V: randomMatrix(rank, n, 52)}
		scale(lr.U.Data, math.Sqrt(3/float64(rank)))
		scale(lr.V.Data, math.Sqrt(3/float64(n)))
		s.u, s.plain = kernels.PackGatesLowRank(lr, s.g), kernels.PackLowRank(lr)
	}
	s.h, s.hNew = vec(n, 53), make([]float32, n)
	scale(s.h, 0.5)
	s.c, s.cNew = vec(n, 54), make([]float32, n)
	s.xp, s.b = vec(gn, 55), vec(gn, 56)
	s.prod = make([]float32, gn)
	s.work = make([]float32, 5*n)
	return s
}

// step advances the state by one step with the active kernels target.
func (s *gatedInputs) step() {
	if s.lstm {
		kernels.LSTMStep(s.hNew, s.cNew, s.h, s.c, s.xp, s.b, s.u, nil, s.work)
		s.c, s.cNew = s.cNew, s.c
	} else {
		kernels.GRUStep(s.hNew, s.h, s.xp, s.b, s.u, s.work)
	}
	s.h, s.hNew = s.hNew, s.h
}

// product is the bare product of the step's matrix, packed plainly.
func (s *gatedInputs) product() { s.plain.MatVec(s.prod, s.h) }

// gatesProduct is the bare product of the step's own packing.
func (s *gatedInputs) gatesProduct() { s.u.MatVec(s.prod, s.h) }

// workingSet returns the bytes one step touches: the recurrent weights,
// the states, projections and biases, and a low rank's temporary.
func (s *gatedInputs) workingSet() int {
	return s.u.WeightBytes() + 4*(len(s.h)+len(s.hNew)+len(s.c)+len(s.cNew)+len(s.xp)+len(s.b)+s.rank)
}

// mulAdds returns the multiply-adds of one step's recurrent product.
func (s *gatedInputs) mulAdds() int {
	if s.rank == 0 {
		return s.g * s.n * s.n
	}
	return s.rank * (s.g*s.n + s.n)
}

func benchGatedStep(b *testing.B, im impl, kind string, n, r int) {
	useTarget(b, im)
	s := newGatedInputs(kind, n, r)
	warmRoofline(s.workingSet())
	bytes := s.u.WeightBytes()
	b.SetBytes(int64(bytes))
	k := blockCalls(s.step, blockTime)
	for range k {
		s.product()
	}
	// The latest iterations' ratios, preallocated: the loop allocates
	// nothing.
	ratios, gates := make([]float64, 1<<16), make([]float64, 1<<16)
	var stepTime time.Duration
	pairs := 0
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		for range k {
			s.step()
		}
		t1 := time.Now()
		for range k {
			s.product()
		}
		t2 := time.Now()
		for range k {
			s.gatesProduct()
		}
		t3 := time.Now()
		stepTime += t1.Sub(t0)
		if dp, dg := t2.Sub(t1), t3.Sub(t2); dp > 0 && dg > 0 {
			ratios[pairs%len(ratios)] = float64(t1.Sub(t0)) / float64(dp)
			gates[pairs%len(gates)] = float64(t1.Sub(t0)) / float64(dg)
			pairs++
		}
	}
	calls := float64(b.N * k)
	b.ReportMetric(float64(stepTime.Nanoseconds())/calls, "ns/op")
	b.ReportMetric(float64(bytes)*calls/stepTime.Seconds()/1e6, "MB/s")
	flops := 2 * float64(s.mulAdds())
	b.ReportMetric(flops*calls/stepTime.Seconds(), "FLOP/s")
	if bound, err := bench.RoofAt(s.workingSet(), bench.MatVecFlopsPerByte, true); err == nil {
		b.ReportMetric(flops*calls/stepTime.Seconds()/bound, "roof")
	}
	if ratios, gates = ratios[:min(pairs, len(ratios))], gates[:min(pairs, len(gates))]; len(ratios) > 0 {
		slices.Sort(ratios)
		slices.Sort(gates)
		b.ReportMetric(ratios[len(ratios)/2], "x/product")
		b.ReportMetric(gates[len(gates)/2], "x/gates")
	}
}

// TestGatedStepInputs checks the gated step benchmarks' computations
// against the pure-Go references on every target, at a small size: the
// step, and the product it is compared with.
func TestGatedStepInputs(t *testing.T) {
	const n = 48
	for _, im := range targetImpls() {
		for _, kind := range []string{"gru", "lstm"} {
			for _, r := range []int{0, 16} {
				t.Run(im.name+"/"+kind+"/rank="+rankName(r), func(t *testing.T) {
					useTarget(t, im)
					s := newGatedInputs(kind, n, r)
					h, c := slices.Clone(s.h), slices.Clone(s.c)
					want, wantC := make([]float32, n), make([]float32, n)
					if s.lstm {
						kernels.LSTMStepGeneric(want, wantC, h, c, s.xp, s.b, s.u, nil, make([]float32, 5*n))
					} else {
						kernels.GRUStepGeneric(want, h, s.xp, s.b, s.u, make([]float32, 3*n))
					}
					s.step()
					near(t, "step", s.h, want)
					if s.lstm {
						near(t, "cell", s.c, wantC)
					}
					// The plain product is the gate-interleaved one's.
					s.product()
					ref := make([]float32, s.g*n)
					s.u.MatVec(ref, s.h)
					for i := range ref {
						if d := math.Abs(float64(ref[i] - s.prod[i])); !(d <= 1e-5*(1+math.Abs(float64(ref[i])))) {
							t.Fatalf("product[%d] = %v, gate-interleaved %v", i, s.prod[i], ref[i])
						}
					}
				})
			}
		}
	}
}
