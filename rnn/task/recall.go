package task

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Recall is noiseless delayed recall: the input u_t is a stationary AR(1)
// process with unit variance,
//
//	u_0 ~ N(0, 1),  u_t = ρ u_{t−1} + √(1−ρ²) ε_t,  ε_t ~ N(0, 1),
//
// and the targets at step t are u_{t−k} for k = 1..K. ρ = 0 is white noise,
// ρ near 1 is temporally coherent. Steps t < K carry no target (Burn = K).
type Recall struct {
	Rho float64 // AR(1) coefficient, in [0, 1)
	K   int     // largest delay, ≥ 1
	T   int     // steps per sequence, > K
}

// Validate reports a Recall outside its domain.
func (r Recall) Validate() error {
	if !(r.Rho >= 0 && r.Rho < 1) || r.K < 1 || r.T <= r.K {
		return fmt.Errorf("task: recall with ρ = %v, K = %d, T = %d: want 0 ≤ ρ < 1, K ≥ 1 and T > K", r.Rho, r.K, r.T)
	}
	return nil
}

func (r Recall) check() {
	if err := r.Validate(); err != nil {
		panic(err)
	}
}

// Spec returns the shape: In 1, Out K, Burn K.
func (r Recall) Spec() Spec {
	r.check()
	return Spec{
		Name: fmt.Sprintf("recall(rho=%g,K=%d)", r.Rho, r.K),
		Kind: Regression, In: 1, Out: r.K, T: r.T, Burn: r.K,
		Coherence: Coherence{Family: "recall", Level: fmt.Sprintf("ρ = %g", r.Rho), Order: r.Rho},
	}
}

// Generate returns n sequences determined by seed: sequence b has its own
// generator, so the first m sequences are the same for every n ≥ m.
func (r Recall) Generate(seed uint64, n int) *Batch {
	return r.gen(n, func(b int) *rand.Rand { return rand.New(rand.NewPCG(seed, mix(uint64(b)))) })
}

// Sample draws B fresh sequences from rng (one after the other).
func (r Recall) Sample(rng *rand.Rand, B int) *Batch {
	return r.gen(B, func(int) *rand.Rand { return rng })
}

func (r Recall) gen(n int, rngOf func(b int) *rand.Rand) *Batch {
	r.check()
	if n < 1 {
		panic(fmt.Sprintf("task: Recall: %d sequences", n))
	}
	T, K := r.T, r.K
	bt := &Batch{Kind: Regression, T: T, B: n, In: 1, Out: K, Burn: K,
		X: make([]float32, T*n), Y: make([]float32, T*n*K)}
	u := make([]float64, T)
	for b := 0; b < n; b++ {
		ar1(rngOf(b), r.Rho, u)
		for t := 0; t < T; t++ {
			bt.X[t*n+b] = float32(u[t])
		}
	}
	for t := K; t < T; t++ {
		for b := 0; b < n; b++ {
			y := bt.Y[(t*n+b)*K : (t*n+b+1)*K]
			for k := 1; k <= K; k++ {
				y[k-1] = bt.X[(t-k)*n+b]
			}
		}
	}
	return bt
}

// Dataset returns Recall as a Dataset: Sample draws fresh sequences, Eval
// returns nEval sequences generated from seed (Generate's sequences, cut
// into batches).
func (r Recall) Dataset(seed uint64, nEval int) Dataset {
	r.check()
	if nEval < 1 {
		panic(fmt.Sprintf("task: Recall.Dataset: %d evaluation sequences", nEval))
	}
	return recallSet{r, seed, nEval}
}

type recallSet struct {
	Recall
	seed  uint64
	nEval int
}

func (s recallSet) Eval(B int) []*Batch {
	if B < 1 {
		panic(fmt.Sprintf("task: Eval(%d)", B))
	}
	var out []*Batch
	for from := 0; from < s.nEval; from += B {
		n := min(B, s.nEval-from)
		out = append(out, s.gen(n, func(b int) *rand.Rand {
			return rand.New(rand.NewPCG(s.seed, mix(uint64(from+b))))
		}))
	}
	return out
}

// AR1 returns n steps of the stationary unit-variance AR(1) process with
// coefficient rho (see Recall), for driving a network with one long input.
func AR1(rng *rand.Rand, rho float64, n int) []float64 {
	if !(rho >= 0 && rho < 1) {
		panic(fmt.Sprintf("task: AR1: rho %v outside [0, 1)", rho))
	}
	u := make([]float64, n)
	ar1(rng, rho, u)
	return u
}

func ar1(rng *rand.Rand, rho float64, u []float64) {
	if len(u) == 0 {
		return
	}
	s := math.Sqrt(1 - rho*rho)
	u[0] = rng.NormFloat64()
	for t := 1; t < len(u); t++ {
		u[t] = rho*u[t-1] + s*rng.NormFloat64()
	}
}
