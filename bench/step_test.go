package bench_test

import (
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/lowrank-rnn/lowrank/kernels"
)

// The recurrent shapes of the step and sequence benchmarks: hearing-aid
// to speech-model state sizes, ranks where low rank saves multiply-adds
// (r < n/2), the input width of a hearing aid's feature frame, batches of
// independent streams, and a second of 10 ms frames.
var (
	stepSizes = []int{64, 128, 256, 512, 1024}
	stepRanks = []int{16, 32, 64} // and full (dense)
	stepIn    = 64
	seqT      = 100
	seqBatch  = []int{1, 2, 4, 8}
)

// stepRanksFor returns the ranks benchmarked at size n: 0 (full), then
// those below n/2.
func stepRanksFor(n int) []int {
	out := []int{0}
	for _, r := range stepRanks {
		if 2*r < n {
			out = append(out, r)
		}
	}
	return out
}

func rankName(r int) string {
	if r == 0 {
		return "full"
	}
	return strconv.Itoa(r)
}

// operator returns random n×n recurrent weights, dense (rank 0) or as
// rank-r factors, scaled so that W·h keeps the size of h (rows of norm
// about one) and the activations work in their interesting range rather
// than saturated.
func operator(n, rank int, seed uint64, dtype string) kernels.Operator {
	if rank == 0 {
		a := randomMatrix(n, n, seed)
		scale(a.Data, math.Sqrt(3/float64(n)))
		if dtype != f32 {
			return quantize(a, dtype)
		}
		return kernels.Pack(a)
	}
	u, v := randomMatrix(n, rank, seed), randomMatrix(rank, n, seed+1)
	scale(u.Data, math.Sqrt(3/float64(rank)))
	scale(v.Data, math.Sqrt(3/float64(n)))
	w := kernels.LowRank{U: u, V: v}
	switch dtype {
	case bf16:
		return kernels.PackBF16LowRank(w)
	case int8:
		return kernels.PackInt8LowRank(w)
	}
	return kernels.PackLowRank(w)
}

// quantStep reports whether the quantized steps and sequences run at n
// and rank r (0: dense): dense and rank 32, to keep lowrank bench's
// length.
func quantStep(n, r int) bool { return r == 0 || r == 32 }

func scale(v []float32, s float64) {
	for i := range v {
		v[i] *= float32(s)
	}
}

func vec(n int, seed uint64) []float32 {
	v := make([]float32, n)
	fill(v, seed)
	return v
}

// cell holds the weights of one recurrent cell: a vanilla RNN (uf, bf and
// the input weights wf only) or an MGRU (the f and h halves).
type cell struct {
	kind   string // "rnn" or "mgru"
	dtype  string // of the recurrent weights: f32, bf16 or int8
	n      int
	rank   int // 0: dense
	uf, uh kernels.Operator
	bf, bh []float32
	wf, wh *kernels.Packed // input weights, n×stepIn
}

func newCell(kind, dtype string, n, rank int) *cell {
	c := &cell{kind: kind, dtype: dtype, n: n, rank: rank, uf: operator(n, rank, 11, dtype), bf: vec(n, 12)}
	w := randomMatrix(n, stepIn, 13)
	scale(w.Data, math.Sqrt(3/float64(stepIn)))
	c.wf = kernels.Pack(w)
	if kind == "mgru" {
		c.uh, c.bh = operator(n, rank, 21, dtype), vec(n, 22)
		w := randomMatrix(n, stepIn, 23)
		scale(w.Data, math.Sqrt(3/float64(stepIn)))
		c.wh = kernels.Pack(w)
	}
	return c
}

// gates is 1 for an RNN and 2 for an MGRU: the recurrent and input
// products per step.
func (c *cell) gates() int {
	if c.kind == "mgru" {
		return 2
	}
	return 1
}

// recurrentBytes returns the bytes of recurrent weights one step reads,
// in the cell's dtype (int8 scales included).
func (c *cell) recurrentBytes() int { return c.gates() * c.uf.WeightBytes() }

// inputBytes returns the bytes of input weights.
func (c *cell) inputBytes() int { return c.gates() * c.wf.WeightBytes() }

// recurrentMulAdds returns the multiply-adds of one step's recurrent
// products: n² dense, r(n+n) low rank, per gate.
func (c *cell) recurrentMulAdds() int {
	per := c.n * c.n
	if c.rank > 0 {
		per = 2 * c.n * c.rank
	}
	return c.gates() * per
}

// stepInputs is one cell stepping one sequence: states h and hNew swap
// after every step, so the state keeps evolving as in real use.
type stepInputs struct {
	*cell
	h, hNew  []float32
	xpf, xph []float32
	work     []float32
}

func newStepInputs(kind, dtype string, n, rank int) *stepInputs {
	s := &stepInputs{cell: newCell(kind, dtype, n, rank), h: vec(n, 31), hNew: make([]float32, n),
		xpf: vec(n, 32), xph: vec(n, 33), work: make([]float32, 2*n)}
	scale(s.h, 0.5)
	return s
}

// workingSet returns the bytes one step touches: the recurrent weights,
// the state and new state, the projections and biases, an MGRU's work
// vectors, and the rank-sized temporary of a low-rank product.
func (s *stepInputs) workingSet() int {
	vecs := 4 * s.n // h, hNew, xpf, bf
	if s.kind == "mgru" {
		vecs += 4 * s.n // xph, bh, work
	}
	return s.recurrentBytes() + 4*(vecs+s.rank)
}

// step advances the state by one step with the active kernels target.
func (s *stepInputs) step() {
	if s.kind == "mgru" {
		kernels.MGRUStep(s.hNew, s.h, s.xpf, s.xph, s.bf, s.bh, s.uf, s.uh, s.work)
	} else {
		kernels.RNNStep(s.hNew, s.h, s.xpf, s.bf, s.uf)
	}
	s.h, s.hNew = s.hNew, s.h
}

// BenchmarkStep times one fused recurrent step (recurrent product,
// precomputed input projection, bias, activations) of a vanilla RNN or an
// MGRU, dense (rank=full) or low rank, on each kernels target. One op is
// one step: ns/op is ns/step. FLOP/s counts two per multiply-add of the
// recurrent products; roof is the fraction of the matrix–vector roofline
// at the step's working set (recurrent weights and vectors).
func BenchmarkStep(b *testing.B) {
	for _, kind := range stepCells {
		b.Run("cell="+kind, func(b *testing.B) {
			for _, im := range some(b, stepImplsOf(kind)) {
				b.Run("impl="+im.name, func(b *testing.B) {
					for _, dtype := range stepDtypes(kind, im) {
						b.Run("dtype="+dtype, func(b *testing.B) {
							for _, n := range stepSizes {
								b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
									for _, r := range stepRanksFor(n) {
										if dtype != f32 && !quantStep(n, r) {
											continue
										}
										b.Run("rank="+rankName(r), func(b *testing.B) {
											benchStep(b, im, kind, dtype, n, r)
										})
									}
								})
							}
						})
					}
				})
			}
		})
	}
}

func benchStep(b *testing.B, im impl, kind, dtype string, n, r int) {
	if gatedCell(kind) {
		benchGatedStep(b, im, kind, n, r)
		return
	}
	useTarget(b, im)
	s := newStepInputs(kind, dtype, n, r)
	warmRoofline(s.workingSet())
	b.SetBytes(int64(s.recurrentBytes()))
	b.ReportAllocs()
	for b.Loop() {
		s.step()
	}
	reportFLOPs(b, s.recurrentMulAdds())
	reportRoof(b, dtype, 2*float64(s.recurrentMulAdds()), s.workingSet(), flopsPerByte(s.recurrentMulAdds(), s.recurrentBytes()))
}

// seqInputs is B sequences of T inputs through one cell: X holds the
// inputs, row t·B+b for sequence b at time t; XPf and XPh their
// projections; hs the states, laid out like X.
type seqInputs struct {
	*cell
	t, batch int
	x        kernels.Matrix // (T·B)×in
	xpf, xph kernels.Matrix // (T·B)×n
	hs       kernels.Matrix // (T·B)×n
	h0       kernels.Matrix // B×n
	work     []float32
}

func newSeqInputs(kind, dtype string, n, rank, t, batch int) *seqInputs {
	s := &seqInputs{cell: newCell(kind, dtype, n, rank), t: t, batch: batch,
		x:   randomMatrix(t*batch, stepIn, 41),
		xpf: kernels.NewMatrix(t*batch, n), xph: kernels.NewMatrix(t*batch, n),
		hs: kernels.NewMatrix(t*batch, n), h0: kernels.NewMatrix(batch, n),
		work: make([]float32, 2*batch*n)}
	return s
}

// rows returns rows [t·B, (t+1)·B) of m: time step t of every sequence.
func (s *seqInputs) rows(m kernels.Matrix, t int) kernels.Matrix {
	n := m.Cols
	return kernels.Matrix{Rows: s.batch, Cols: n, Stride: n, Data: m.Data[t*s.batch*n : (t+1)*s.batch*n]}
}

// run processes the B sequences from the zero state: the input
// projections of all T·B inputs in one batched product per gate, then T
// steps, batched over the B sequences (RNNSequence and MGRUSequence for
// B = 1).
func (s *seqInputs) run() {
	mgru := s.kind == "mgru"
	s.wf.MatVecBatch(s.xpf, s.x)
	if mgru {
		s.wh.MatVecBatch(s.xph, s.x)
	}
	if s.batch == 1 {
		if mgru {
			kernels.MGRUSequence(s.hs, s.h0.Row(0), s.xpf, s.xph, s.bf, s.bh, s.uf, s.uh, s.work)
		} else {
			kernels.RNNSequence(s.hs, s.h0.Row(0), s.xpf, s.bf, s.uf)
		}
		return
	}
	h := s.h0
	for t := range s.t {
		hNew := s.rows(s.hs, t)
		if mgru {
			kernels.MGRUStepBatch(hNew, h, s.rows(s.xpf, t), s.rows(s.xph, t), s.bf, s.bh, s.uf, s.uh, s.work)
		} else {
			kernels.RNNStepBatch(hNew, h, s.rows(s.xpf, t), s.bf, s.uf)
		}
		h = hNew
	}
}

// mulAdds returns the multiply-adds of one run: input and recurrent
// products of every step of every sequence.
func (s *seqInputs) mulAdds() int {
	return s.t * s.batch * (s.gates()*s.n*stepIn + s.recurrentMulAdds())
}

// weightTraffic returns the bytes of weights one run must read at least:
// the input weights once, the recurrent weights once per step.
func (s *seqInputs) weightTraffic() int { return s.inputBytes() + s.t*s.recurrentBytes() }

// BenchmarkSequence times B sequences of T = 100 steps through an RNN or
// an MGRU: the input projection of the T·B inputs (in = 64) with
// Packed.MatVecBatch, then the T steps with RNNStepBatch/MGRUStepBatch
// (RNNSequence/MGRUSequence for B = 1). One op is one run; ns/step is per
// time step of all B sequences; MB/s is the least weight traffic of a
// run (input weights once, recurrent weights once per step) over its
// time. FLOP/s counts two per multiply-add of the
// input and recurrent products; roof is the fraction of the roofline at
// the run's intensity (its flops over the weight bytes read, the
// recurrent weights once per step), with the read bandwidth measured at
// the size of all the weights.
func BenchmarkSequence(b *testing.B) {
	for _, kind := range []string{"rnn", "mgru"} {
		b.Run("cell="+kind, func(b *testing.B) {
			for _, im := range some(b, stepImplsOf(kind)) {
				b.Run("impl="+im.name, func(b *testing.B) {
					for _, dtype := range stepDtypes(kind, im) {
						b.Run("dtype="+dtype, func(b *testing.B) {
							for _, n := range stepSizes {
								if dtype != f32 && n > 256 {
									continue
								}
								b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
									for _, r := range stepRanksFor(n) {
										if dtype != f32 && !quantStep(n, r) {
											continue
										}
										b.Run("rank="+rankName(r), func(b *testing.B) {
											b.Run("T="+strconv.Itoa(seqT), func(b *testing.B) {
												for _, batch := range seqBatch {
													if dtype != f32 && batch != 1 && batch != 4 {
														continue
													}
													b.Run("B="+strconv.Itoa(batch), func(b *testing.B) {
														benchSequence(b, im, kind, dtype, n, r, batch)
													})
												}
											})
										})
									}
								})
							}
						})
					}
				})
			}
		})
	}
}

func benchSequence(b *testing.B, im impl, kind, dtype string, n, r, batch int) {
	useTarget(b, im)
	s := newSeqInputs(kind, dtype, n, r, seqT, batch)
	warmRoofline(s.recurrentBytes() + s.inputBytes())
	b.SetBytes(int64(s.weightTraffic()))
	b.ReportAllocs()
	for b.Loop() {
		s.run()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*s.t), "ns/step")
	reportFLOPs(b, s.mulAdds())
	flops := 2 * float64(s.mulAdds())
	reportRoof(b, dtype, flops, s.recurrentBytes()+s.inputBytes(), flops/float64(s.weightTraffic()))
}

// TestStepInputs checks the step and sequence benchmarks' computations
// against the pure-Go references on every target, at a small size.
func TestStepInputs(t *testing.T) {
	const n, T = 64, 5
	for _, im := range stepImpls() {
		for _, kind := range []string{"rnn", "mgru"} {
			for _, c := range []struct {
				r     int
				dtype string
			}{{0, f32}, {16, f32}, {0, int8}, {16, int8}, {0, bf16}, {16, bf16}} {
				r, dtype := c.r, c.dtype
				if !slices.Contains(dtypesOf(im), dtype) {
					continue
				}
				t.Run(im.name+"/"+kind+"/dtype="+dtype+"/rank="+rankName(r), func(t *testing.T) {
					useTarget(t, im)
					s := newStepInputs(kind, dtype, n, r)
					h := append([]float32(nil), s.h...)
					want := make([]float32, n)
					if kind == "mgru" {
						kernels.MGRUStepGeneric(want, h, s.xpf, s.xph, s.bf, s.bh, s.uf, s.uh, make([]float32, 2*n))
					} else {
						kernels.RNNStepGeneric(want, h, s.xpf, s.bf, s.uf)
					}
					s.step()
					near(t, "step", s.h, want)

					// A batch of 3 runs like 3 single sequences.
					q := newSeqInputs(kind, dtype, n, r, T, 3)
					q.run()
					for b := range 3 {
						one := newSeqInputs(kind, dtype, n, r, T, 1)
						for tt := range T {
							copy(one.x.Row(tt), q.x.Row(tt*3+b))
						}
						one.run()
						near(t, "sequence", q.hs.Row((T-1)*3+b), one.hs.Row(T-1))
					}
				})
			}
		}
	}
}

// near fails t unless got and want agree to float32 rounding of bounded
// activations (their values are at most 1 in magnitude).
func near(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= 1e-4) {
			t.Fatalf("%s: h[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}
