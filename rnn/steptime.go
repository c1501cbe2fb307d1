package rnn

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/lowrank-rnn/lowrank/kernels"
)

// StepTiming is a model of the time of one step of a model on this CPU
// and kernels target, measured once by MeasureStepTiming: the dense step,
// and low-rank steps as a straight line in the recurrent multiply-adds.
// A step is what a deployed stream computes per frame: the input
// projection, the fused recurrent step and the readout.
type StepTiming struct {
	Cell   Cell
	Hidden int
	Target string // the kernels target it was measured on
	Dense  time.Duration
	// A low-rank step with m recurrent multiply-adds takes about
	// BaseNs + PerMulAddNs·m nanoseconds: the Theil–Sen line through the
	// measured ranks (the median of the pairwise slopes, which a sample
	// that another process slowed down does not tilt), never decreasing.
	BaseNs, PerMulAddNs float64
	// Ranks and Measured are the measurements the line is fitted to: the
	// median time of a step with every matrix at that rank.
	Ranks    []int
	Measured []time.Duration
}

// LowRank returns the modelled time of a low-rank step with mulAdds
// recurrent multiply-adds.
func (s *StepTiming) LowRank(mulAdds int) time.Duration {
	return time.Duration(s.BaseNs + s.PerMulAddNs*float64(mulAdds))
}

// The timing's samples: each at least stepSample long, stepRounds of them
// per configuration, taken round-robin so that a slow moment of the
// machine hits every configuration alike.
const (
	stepSample = 2 * time.Millisecond
	stepRounds = 7
)

// MeasureStepTiming times steps of m's shape on the active kernels target
// (about 0.1 s): the dense step and steps whose recurrent matrices all
// have rank 1, n/16, n/8, n/4 and n/2, with random factors (the time does
// not depend on the values). A model with n = 1 has no rank to time: its
// line is flat at the dense step's time.
func MeasureStepTiming(m *Model) (*StepTiming, error) {
	if err := m.Config.validate(); err != nil {
		return nil, err
	}
	n := m.Hidden
	st := &StepTiming{Cell: m.Cell, Hidden: n, Target: kernels.Active()}
	for _, r := range []int{1, n / 16, n / 8, n / 4, n / 2} {
		if r >= 1 && r < n && !slices.Contains(st.Ranks, r) {
			st.Ranks = append(st.Ranks, r)
		}
	}
	rng := rand.New(rand.NewPCG(3, uint64(n)))
	random := func(rows, cols int) kernels.Matrix {
		a := kernels.NewMatrix(rows, cols)
		for i := range a.Data {
			a.Data[i] = (2*rng.Float32() - 1) / float32(n)
		}
		return a
	}
	streams := []*Stream{m.NewStream()}
	for _, r := range st.Ranks {
		var u [2]kernels.Operator
		for g := 0; g < m.Cell.gates(); g++ {
			u[g] = kernels.PackLowRank(kernels.LowRank{U: random(n, r), V: random(r, n)})
		}
		streams = append(streams, newStream(m, u))
	}
	x := random(1, m.In).Data
	samples := make([][]float64, len(streams))
	for round := 0; round < stepRounds+1; round++ {
		for i, s := range streams {
			steps, start := 0, time.Now()
			for time.Since(start) < stepSample {
				for range 64 {
					s.Step(x)
				}
				steps += 64
			}
			if round > 0 { // the first round warms caches and clocks
				samples[i] = append(samples[i], float64(time.Since(start).Nanoseconds())/float64(steps))
			}
		}
	}
	med := make([]float64, len(samples))
	for i, s := range samples {
		med[i] = median(s)
	}
	st.Dense = time.Duration(med[0])
	if len(st.Ranks) == 0 {
		st.BaseNs = med[0]
		return st, nil
	}
	var xs []float64
	for i, r := range st.Ranks {
		st.Measured = append(st.Measured, time.Duration(med[i+1]))
		xs = append(xs, float64(config{ranks: [2]int{r, r}}.mulAdds(m.Cell, n)))
	}
	st.BaseNs, st.PerMulAddNs = theilSen(xs, med[1:])
	return st, nil
}

// theilSen returns the line y ≈ a + b·x with b the median of the slopes
// between pairs of points (0 if negative, or with fewer than two distinct
// x) and a the median of y − b·x.
func theilSen(x, y []float64) (a, b float64) {
	var slopes []float64
	for i := range x {
		for j := i + 1; j < len(x); j++ {
			if x[j] != x[i] {
				slopes = append(slopes, (y[j]-y[i])/(x[j]-x[i]))
			}
		}
	}
	b = max(median(slopes), 0)
	r := make([]float64, len(x))
	for i := range x {
		r[i] = y[i] - b*x[i]
	}
	return median(r), b
}

// median returns the median of v (0 for none), reordering v.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if k := len(v); k%2 == 0 {
		return (v[k/2-1] + v[k/2]) / 2
	}
	return v[len(v)/2]
}
