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
// truncations: for each ρ one probe, against which each rank is measured,
// GOMAXPROCS networks at a time. Rows come in Rhos × Ranks order.
func MemorySweep(ref *Model, c MemorySweepConfig) ([]MemoryRow, error) {
	probes, specs := make([]*MemoryProbe, len(c.Rhos)), make([]CompressSpec, len(c.Rhos))
	err := parallel(len(c.Rhos), func(i int) (err error) {
		if probes[i], specs[i], err = probeAt(ref, c, c.Rhos[i]); err != nil {
			err = fmt.Errorf("ρ = %g: %w", c.Rhos[i], err)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	rows := make([]MemoryRow, len(c.Rhos)*len(c.Ranks))
	err = parallel(len(rows), func(i int) (err error) {
		j, r := i/len(c.Ranks), c.Ranks[i%len(c.Ranks)]
		if rows[i], err = measureRank(ref, probes[j], specs[j], r); err != nil {
			err = fmt.Errorf("ρ = %g, rank %s: %w", c.Rhos[j], r, err)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// probeAt returns the probe of ref at input coefficient rho and the
// compression of c, calibrated on the probe's training run for Whitened.
func probeAt(ref *Model, c MemorySweepConfig, rho float64) (*MemoryProbe, CompressSpec, error) {
	cfg := c.Memory
	cfg.Rho = rho
	spec := CompressSpec{Method: c.Method, Joint: c.Joint}
	p, err := NewMemoryProbe(ref, cfg)
	if err == nil && c.Method == Whitened {
		spec.Calibration, err = p.Calibrate(ref)
	}
	return p, spec, err
}

// measureRank measures ref truncated to rank r (Full: ref itself) against
// the probe.
func measureRank(ref *Model, p *MemoryProbe, spec CompressSpec, r Rank) (MemoryRow, error) {
	m, params := ref, ref.RecurrentParams()
	if r != Full {
		spec.Ranks = [2]int{int(r), int(r)}
		cm, err := Compress(ref, spec)
		if err != nil {
			return MemoryRow{}, err
		}
		m, params = cm.Model, cm.RecurrentParams()
	}
	res, err := p.Measure(m)
	return MemoryRow{Rho: p.cfg.Rho, Rank: r, Params: params, Result: res}, err
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
	// Curve and TheoryCurve are R²(k) (the mean over the test runs) and
	// m(k), k = 1..K, MC and Theory their capacities. Both curves are nil
	// when the truncated A is unstable (Radius ≥ 1): it has no stationary
	// state to measure.
	Curve, TheoryCurve []float64
	MC, Theory         float64
	// CI is the half-width of MC's 95% confidence interval over Runs test
	// runs, Lambda the readout's relative ridge penalty.
	CI, Lambda float64
	Runs       int
}

// linearNet returns the linear network of the check: A n×n of spectral
// radius radius (Gaussian, or orthogonal) and v Gaussian, from seed.
func linearNet(n int, radius float64, orthogonal bool, seed uint64) (*mat.Dense, []float64) {
	rng := rand.New(rand.NewPCG(seed, 0x6c696e656172)) // "linear"
	a := RandomRecurrent(rng, n, radius, orthogonal)
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return a, v
}

// truncateLinear returns A truncated to rank r (Full: A itself) and its
// spectral radius.
func truncateLinear(a *mat.Dense, r Rank) (*mat.Dense, float64, error) {
	if r != Full {
		var err error
		if a, err = TruncatedSVD(a, int(r)); err != nil {
			return nil, 0, err
		}
	}
	return a, SpectralRadius(a), nil
}

// LinearMemorySweep checks the memory theory on a linear network: A is
// n×n of spectral radius radius (Gaussian, or orthogonal) and v Gaussian,
// both drawn from seed; for each rank (several at once) A is truncated
// and the network measured with white input (cfg's Rho and Task are not
// used) beside the theory's curve. Rows come in ranks order.
func LinearMemorySweep(n int, radius float64, orthogonal bool, seed uint64, ranks Ranks, cfg MemoryConfig) ([]LinearRow, error) {
	a, v := linearNet(n, radius, orthogonal, seed)
	cfg.Rho, cfg.Task = 0, false
	cfg, err := cfg.Resolve(0)
	if err != nil {
		return nil, err
	}
	rows := make([]LinearRow, len(ranks))
	err = parallel(len(ranks), func(i int) (err error) {
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
		row.Params, row.Bound = int(r)*2*n, int(r)+1
	}
	a, radius, err := truncateLinear(a, r)
	// Truncating a stable non-normal A can make it unstable.
	if row.Radius = radius; err != nil || !(radius < 1) {
		return row, err
	}
	c, err := LinearMemory(a, v, cfg)
	if err != nil {
		return row, err
	}
	row.Curve, row.MC, row.CI, row.Lambda, row.Runs = c.Curve, c.MC, c.CI, c.Lambda, cfg.Runs
	if row.TheoryCurve, _, err = LinearMemoryTheory(a, v, cfg.K); err != nil {
		return row, err
	}
	for _, m := range row.TheoryCurve {
		row.Theory += m
	}
	return row, nil
}

// RidgePoint is one relative ridge penalty of one estimator on one rank
// of the linear network check (LinearRidgePaths).
type RidgePoint struct {
	Rank      Rank
	Estimator Estimator
	Lambda    float64 // relative ridge penalty (MemoryConfig.Lambda)
	Valid     float64 // the capacity on the validation run
	// Chosen marks the penalty validation chooses for the estimator (the
	// largest Valid); only it is scored on the test runs, in Test.
	Chosen bool
	Test   Capacity
}

// LinearRidgePaths shows what the linear network check's measurement owes
// to its estimator: for each rank and each of Estimators, the capacity on
// the validation run at every penalty validation chooses from (a penalty
// whose fit fails, the normal equations' at small λ, has no point), and
// the chosen one scored on the test runs. The network, input and runs are
// LinearMemorySweep's (cfg's Lambda, Rho and Task are not used); unstable
// truncations have no points. Points come in ranks × Estimators order,
// largest λ first.
func LinearRidgePaths(n int, radius float64, orthogonal bool, seed uint64, ranks Ranks, cfg MemoryConfig) ([]RidgePoint, error) {
	a, v := linearNet(n, radius, orthogonal, seed)
	cfg.Rho, cfg.Task, cfg.Lambda = 0, false, 0
	cfg, err := cfg.Resolve(0)
	if err != nil {
		return nil, err
	}
	ne := len(Estimators)
	paths := make([][]RidgePoint, len(ranks)*ne)
	err = parallel(len(paths), func(i int) error {
		r, e := ranks[i/ne], Estimators[i%ne]
		ar, radius, err := truncateLinear(a, r)
		if err != nil || !(radius < 1) {
			return err
		}
		pts, c, err := linearEstimate(ar, v, cfg, e, true)
		if err != nil {
			return fmt.Errorf("rank %s, %s: %w", r, e, err)
		}
		for _, p := range pts {
			rp := RidgePoint{Rank: r, Estimator: e, Lambda: p.lambda, Valid: p.valid}
			if rp.Chosen = p.lambda == c.Lambda; rp.Chosen {
				rp.Test = c
			}
			paths[i] = append(paths[i], rp)
		}
		return nil
	})
	var out []RidgePoint
	for _, p := range paths {
		out = append(out, p...)
	}
	return out, err
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
