package rnn

import (
	"math"
	"slices"

	"github.com/lowrank-rnn/lowrank/kernels"
)

// PlanCheck is one truncation the planner ran beside the uncompressed
// model on the check frames, on the low-rank kernels as deployed: its
// first-order damage and what it measured. All are label-free.
type PlanCheck struct {
	Joint  bool
	Ranks  [2]int
	Params int
	// FirstOrder is the first-order damage in the plan's measure.
	FirstOrder float64
	// State and Output are the relative state and readout errors,
	// √(Σ‖h' − h‖² / Σ‖h‖²) and the same for y, over the scored steps.
	State, Output float64
	// Loss is the predicted relative loss of the task metric (see
	// MetricLoss).
	Loss float64
}

// checker runs the dense model and the candidates, all on the kernels'
// fused steps from one input projection per frame, and adds up their
// differences at the scored steps. It runs in rounds: a candidate added in
// a later round is measured against the reference sums of the rounds it
// ran.
type checker struct {
	n         int
	ts        []*truncation
	dense     denseRun
	objective Objective
	burn      int
	r         *kernels.Packed
	c         []float32
	y, diff   []float32
	p         []float64
	lse       float64 // log Σ exp(y) of the dense readout
	cands     []*candidate
	rounds    []refSums
	t         int
}

type candidate struct {
	cfg         config
	u           [2]kernels.Operator
	h, hNew     []float32
	work        []float32
	y           []float32
	dh, dy, div float64 // Σ‖δh‖², Σ‖δy‖², Σ loss terms
	from        int     // the round it started in
}

// newChecker returns a checker of the configurations, truncated in the
// planner's bases, starting from the state h.
func newChecker(m *Model, ts []*truncation, cfgs []config, h []float32, t int) *checker {
	ck := &checker{n: m.Hidden, ts: ts, dense: newDenseRun(m), objective: m.Objective, burn: m.Burn,
		r: kernels.Pack(m.R), c: append([]float32(nil), m.C...), y: make([]float32, m.Out), diff: make([]float32, max(m.Hidden, m.Out)),
		p: make([]float64, m.Out), rounds: []refSums{newRefSums(m.Out)}, t: t}
	copy(ck.dense.h, h)
	ck.add(cfgs)
	return ck
}

// nextRound starts a round that adds the configurations.
func (ck *checker) nextRound(cfgs []config) {
	ck.rounds = append(ck.rounds, newRefSums(len(ck.y)))
	ck.add(cfgs)
}

// add starts candidates of the configurations from the dense state.
func (ck *checker) add(cfgs []config) {
	n := ck.n
	for _, cfg := range cfgs {
		cd := &candidate{cfg: cfg, h: append([]float32(nil), ck.dense.h...), hNew: make([]float32, n),
			work: make([]float32, 2*n), y: make([]float32, len(ck.y)), from: len(ck.rounds) - 1}
		if cfg.joint {
			t := ck.ts[len(ck.ts)-1]
			left, right := t.factors(cfg.ranks[0])
			v := kernels.Pack(right) // one copy of the shared factor, as Compressed runs it
			r := cfg.ranks[0]
			uf := kernels.Matrix{Rows: n, Cols: r, Stride: r, Data: left.Data[:n*r]}
			uh := kernels.Matrix{Rows: n, Cols: r, Stride: r, Data: left.Data[n*r:]}
			cd.u[0] = &kernels.PackedLowRank{U: kernels.Pack(uf), V: v}
			cd.u[1] = &kernels.PackedLowRank{U: kernels.Pack(uh), V: v}
		} else {
			for g := 0; g < ck.dense.cell.gates(); g++ {
				left, right := ck.ts[g].factors(cfg.ranks[g])
				cd.u[g] = kernels.PackLowRank(kernels.LowRank{U: left, V: right})
			}
		}
		ck.cands = append(ck.cands, cd)
	}
}

// has reports whether c is a candidate already.
func (ck *checker) has(c config) bool {
	for _, cd := range ck.cands {
		if cd.cfg == c {
			return true
		}
	}
	return false
}

// step advances every model by one frame.
func (ck *checker) step(x []float32) {
	d := &ck.dense
	d.project(x)
	d.advance()
	for _, cd := range ck.cands {
		if d.cell == RNN {
			kernels.RNNStep(cd.hNew, cd.h, d.xp[0], d.b[0], cd.u[0])
		} else {
			kernels.MGRUStep(cd.hNew, cd.h, d.xp[0], d.xp[1], d.b[0], d.b[1], cd.u[0], cd.u[1], cd.work)
		}
		cd.h, cd.hNew = cd.hNew, cd.h
	}
	if ck.objective != ClassifyLast && ck.t >= ck.burn {
		ck.score()
	}
	ck.t++
}

// reset ends a sequence (ClassifyLast scores its last step).
func (ck *checker) reset() {
	if ck.objective == ClassifyLast && ck.t > 0 {
		ck.score()
	}
	ck.dense.reset()
	for _, cd := range ck.cands {
		clear(cd.h)
	}
	ck.t = 0
}

func (ck *checker) score() {
	h := ck.dense.h
	readout(ck.y, ck.r, ck.c, h)
	if ck.objective != Regression {
		softmax(ck.p, ck.y)
		ck.lse = logSumExp(ck.y)
	}
	ck.rounds[len(ck.rounds)-1].add(ck.objective, h, ck.y, ck.p)
	for _, cd := range ck.cands {
		cd.dh += diffSq(ck.diff, cd.h, h)
		readout(cd.y, ck.r, ck.c, cd.h)
		dy := diffSq(ck.diff[:len(ck.y)], cd.y, ck.y)
		cd.dy += dy
		switch ck.objective {
		case Regression:
			cd.div += dy
		case ClassifyEach:
			// KL(p‖q), what a calibrated model's cross-entropy grows by:
			// with log p = z − LSE(z), Σ p (z − z') − LSE(z) + LSE(z').
			var s float64
			for i, p := range ck.p {
				s += p * float64(ck.y[i]-cd.y[i])
			}
			cd.div += s - ck.lse + logSumExp(cd.y)
		case ClassifyLast:
			// The accuracy a calibrated model expects drops from p_c to
			// p_c', c and c' the dense and compressed decisions.
			cd.div += ck.p[argmax64(ck.p)] - ck.p[argmax(cd.y)]
		}
	}
}

// diffSq returns ‖a − b‖², using d as scratch.
func diffSq(d, a, b []float32) float64 {
	copy(d, a)
	kernels.Axpy(-1, b, d)
	return float64(kernels.Dot(d, d))
}

// logSumExp returns log Σ exp(z).
func logSumExp(z []float32) float64 {
	mx := float64(slices.Max(z))
	var s float64
	for _, v := range z {
		s += math.Exp(float64(v) - mx)
	}
	return mx + math.Log(s)
}

// scored returns the number of scored steps so far.
func (ck *checker) scored() int {
	n := 0
	for _, r := range ck.rounds {
		n += r.n
	}
	return n
}

// results returns the checks' measured values, each relative to the
// reference sums of the rounds it ran.
func (ck *checker) results(cell Cell, fo *firstOrder, measure DamageMeasure) []PlanCheck {
	var out []PlanCheck
	for _, cd := range ck.cands {
		ref := newRefSums(len(ck.y))
		for _, r := range ck.rounds[cd.from:] {
			ref.merge(r)
		}
		loss := ref.info // Σ H(p) or Σ p_c: the cross-entropy or accuracy expected
		if ck.objective == Regression {
			loss = ref.total(varianceForm)
		}
		out = append(out, PlanCheck{Joint: cd.cfg.joint, Ranks: cd.cfg.ranks, Params: cd.cfg.params(cell, ck.n),
			FirstOrder: measure.fromEnergy(fo.energy(cd.cfg)),
			State:      errRatio(cd.dh, ref.h), Output: errRatio(cd.dy, ref.y),
			Loss: lossRatio(cd.div, loss)})
	}
	return out
}

// lossRatio is a loss sum over its reference: 0 without a loss.
func lossRatio(num, den float64) float64 {
	if num == 0 {
		return 0
	}
	return num / den
}
