package rnn

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkPlan times a whole plan, as a device would make it: a planner
// with the default frame counts fed a stream of sequences of 100 frames
// (moments, SVDs, first-order probe, checks), then a plan for a 5% state
// error. Besides the wall time it reports the process's CPU time per plan
// (cpu-ns/op), which the other processes of a shared machine inflate less. The model has 32 inputs and 32 regression outputs scored at every
// step after a burn-in of 10, the most scored steps a task has; its
// weights are New's (orthogonal recurrent matrices), its input Gaussian.
// The time of a plan does not depend on the values, but on n, the cell and
// the scored steps.
func BenchmarkPlan(b *testing.B) {
	for _, cell := range []Cell{RNN, MGRU} {
		for _, n := range []int{64, 128, 256, 512, 1024} {
			b.Run(fmt.Sprintf("cell=%s/n=%d", cell, n), func(b *testing.B) {
				m, err := New(Config{Cell: cell, In: 32, Hidden: n, Out: 32, Objective: Regression, Burn: 10}, 1)
				if err != nil {
					b.Fatal(err)
				}
				const T = 100
				frames := DefaultMomentFrames + DefaultProbeFrames + DefaultCheckFrames + 3*T
				rng := rand.New(rand.NewPCG(1, 2))
				x := make([]float32, frames*m.In)
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				b.ReportAllocs()
				cpu := processCPU()
				for b.Loop() {
					p, err := NewPlanner(m, PlanConfig{})
					if err != nil {
						b.Fatal(err)
					}
					for f := 0; !p.Done(); f++ {
						p.Step(x[f*m.In : (f+1)*m.In])
						if f%T == T-1 {
							p.Reset()
						}
					}
					if _, err := p.Plan(Target{MaxError: 0.05}); err != nil {
						b.Fatal(err)
					}
				}
				if cpu > 0 {
					b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
				}
			})
		}
	}
}
