package rnn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// MemoryRow is one network of a memorization sweep: the reference network
// truncated to one rank, driven by an input of one coherence.
type MemoryRow struct {
	Rho    float64 // the input's AR(1) coefficient
	Rank   Rank    // Full: the reference network itself
	Params int     // recurrent weights
	Result MemoryResult
}

// MemorySweepConfig says which networks a memorization sweep measures.
type MemorySweepConfig struct {
	Rhos   []float64    // AR(1) coefficients of the input, each in [0, 1)
	Ranks  Ranks        // Full, or ranks of the truncated networks
	Memory MemoryConfig // the experiment; its Rho is each of Rhos in turn
	Method Method       // truncation: SVD, or Whitened (calibrated on each ρ's training run)
	Joint  bool         // MGRU: truncate [U_f; U_h] as one matrix
}

// MemorySweep runs the memorization experiment on ref and its
// truncations: for each ρ (several at once, GOMAXPROCS at a time) one
// probe, against which each rank is measured. Rows come in Rhos × Ranks
// order.
func MemorySweep(ref *Model, c MemorySweepConfig) ([]MemoryRow, error) {
	rows := make([][]MemoryRow, len(c.Rhos))
	err := parallel(len(c.Rhos), func(i int) (err error) {
		rows[i], err = memoryRowsAt(ref, c, c.Rhos[i])
		if err != nil {
			err = fmt.Errorf("ρ = %g: %w", c.Rhos[i], err)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	var all []MemoryRow
	for _, r := range rows {
		all = append(all, r...)
	}
	return all, nil
}

// memoryRowsAt measures every rank of c at input coefficient rho.
func memoryRowsAt(ref *Model, c MemorySweepConfig, rho float64) ([]MemoryRow, error) {
	cfg := c.Memory
	cfg.Rho = rho
	p, err := NewMemoryProbe(ref, cfg)
	if err != nil {
		return nil, err
	}
	spec := CompressSpec{Method: c.Method, Joint: c.Joint}
	if c.Method == Whitened {
		if spec.Calibration, err = p.Calibrate(ref); err != nil {
			return nil, err
		}
	}
	var rows []MemoryRow
	for _, r := range c.Ranks {
		m, params := ref, ref.RecurrentParams()
		if r != Full {
			spec.Ranks = [2]int{int(r), int(r)}
			cm, err := Compress(ref, spec)
			if err != nil {
				return nil, fmt.Errorf("rank %s: %w", r, err)
			}
			m, params = cm.Model, cm.RecurrentParams()
		}
		res, err := p.Measure(m)
		if err != nil {
			return nil, fmt.Errorf("rank %s: %w", r, err)
		}
		rows = append(rows, MemoryRow{Rho: rho, Rank: r, Params: params, Result: res})
	}
	return rows, nil
}

// LinearRow is one rank of the linear network check: the memory of
// x_t = A x_{t−1} + v u_t with white input, measured (the refitted
// readout, MemoryConfig's experiment) and from theory (LinearMemoryTheory).
type LinearRow struct {
	Rank   Rank
	Params int // weights of A: n², or r·2n as factors
	// Bound is the theory's bound on Σ_{k≥0} m(k): r + 1, or n at full rank.
	Bound  int
	Radius float64 // spectral radius of the (truncated) A
	// Curve and TheoryCurve are R²(k) and m(k), k = 1..K, MC and Theory
	// their sums. Both curves are nil when the truncated A is unstable
	// (Radius ≥ 1): it has no stationary state to measure.
	Curve, TheoryCurve []float64
	MC, Theory         float64
}

// LinearMemorySweep checks the memory theory on a linear network: A is
// n×n of spectral radius radius (Gaussian, or orthogonal) and v Gaussian,
// both drawn from seed; for each rank (several at once) A is truncated
// and the network measured with white input (cfg's Rho and Task are not
// used) beside the theory's curve. Rows come in ranks order.
func LinearMemorySweep(n int, radius float64, orthogonal bool, seed uint64, ranks Ranks, cfg MemoryConfig) ([]LinearRow, error) {
	rng := rand.New(rand.NewPCG(seed, 0x6c696e656172)) // "linear"
	a := RandomRecurrent(rng, n, radius, orthogonal)
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	cfg.Rho, cfg.Task = 0, false
	rows := make([]LinearRow, len(ranks))
	err := parallel(len(ranks), func(i int) (err error) {
		rows[i], err = linearRow(a, v, ranks[i], cfg)
		if err != nil {
			err = fmt.Errorf("rank %s: %w", ranks[i], err)
		}
		return err
	})
	return rows, err
}

func linearRow(a *mat.Dense, v []float64, r Rank, cfg MemoryConfig) (LinearRow, error) {
	n, _ := a.Dims()
	row := LinearRow{Rank: r, Params: n * n, Bound: n}
	if r != Full {
		var err error
		if a, err = TruncatedSVD(a, int(r)); err != nil {
			return row, err
		}
		row.Params, row.Bound = int(r)*2*n, int(r)+1
	}
	// Truncating a stable non-normal A can make it unstable.
	if row.Radius = SpectralRadius(a); !(row.Radius < 1) {
		return row, nil
	}
	var err error
	if row.MC, row.Curve, err = LinearMemory(a, v, cfg); err != nil {
		return row, err
	}
	if row.TheoryCurve, _, err = LinearMemoryTheory(a, v, cfg.K); err != nil {
		return row, err
	}
	for _, m := range row.TheoryCurve {
		row.Theory += m
	}
	return row, nil
}

// ParseRhos parses a comma-separated list of distinct AR(1) coefficients
// of the input, each in [0, 1).
func ParseRhos(s string) ([]float64, error) {
	var rhos []float64
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		v, err := Bounds.Rho.Parse(f)
		if err != nil {
			return nil, fmt.Errorf("%q: %v; want a list such as 0,0.5,0.9", s, err)
		}
		if slices.Contains(rhos, v) {
			return nil, fmt.Errorf("%q: %g is listed twice", s, v)
		}
		rhos = append(rhos, v)
	}
	return rhos, nil
}

// MemorylessCapacity is the capacity of a readout of the input u_t alone,
// Σ_{k=1..K} ρ^{2k} (R²(k) = ρ^{2k} for AR(1) input): what a network with
// no memory scores from the input's own coherence.
func MemorylessCapacity(rho float64, K int) float64 {
	var s float64
	for k := 1; k <= K; k++ {
		s += math.Pow(rho, 2*float64(k))
	}
	return s
}

// parallel calls f(0), …, f(n−1), GOMAXPROCS of them at a time, and joins
// their errors.
func parallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = f(i)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
