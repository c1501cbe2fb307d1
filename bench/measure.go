package bench

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"
)

// Result is the outcome of timing one function.
type Result struct {
	// Iters is the number of calls timed together in each sample.
	Iters int
	// Samples holds each sample's mean time per call in nanoseconds, in the
	// order the samples were taken.
	Samples []float64
	// Median is the median of Samples, in nanoseconds per call.
	Median float64
}

// maxIters bounds the calls in one sample, as testing does.
const maxIters = 1_000_000_000

// Measure times f: it calibrates how many calls of f take at least minTime
// (as testing.B does, growing the count until one run is long enough; the
// calibration runs double as warm-up and are discarded), then takes samples
// runs of that many calls and reports the time per call of each and their
// median. The median of several long samples resists the outliers of a
// shared machine (a neighbour's burst, a migration, a frequency change)
// that a single mean would absorb.
//
// samples < 1 counts as 1; minTime ≤ 0 times single calls. f should not
// allocate: garbage collection inside a sample is measured like any other
// work.
func Measure(f func(), samples int, minTime time.Duration) Result {
	return MeasureEach([]func(){f}, samples, minTime)[0]
}

// MeasureEach times each function like Measure, but takes their samples
// round-robin (one sample of each function per round, the starting function
// rotating from round to round), so that slow changes of the machine's speed
// hit them all alike and sample i of one function is paired in time with
// sample i of the others: see Ratio.
func MeasureEach(fs []func(), samples int, minTime time.Duration) []Result {
	return measureEach(fs, samples, minTime, time.Now)
}

func measureEach(fs []func(), samples int, minTime time.Duration, now func() time.Time) []Result {
	samples = max(samples, 1)
	runtime.GC() // start with a clean heap, as testing does
	res := make([]Result, len(fs))
	for i, f := range fs {
		res[i] = Result{Iters: calibrate(f, minTime, now), Samples: make([]float64, samples)}
	}
	for s := range samples {
		for k := range fs {
			i := (s + k) % len(fs)
			d := timeRun(fs[i], res[i].Iters, now)
			res[i].Samples[s] = float64(d.Nanoseconds()) / float64(res[i].Iters)
		}
	}
	for i := range res {
		res[i].Median = median(res[i].Samples)
	}
	return res
}

// calibrate returns the number of calls of f that take at least minTime,
// predicted as testing.B predicts b.N: from the last run's time per call,
// aim 20% over minTime, grow at least by one and at most 100-fold per step.
func calibrate(f func(), minTime time.Duration, now func() time.Time) int {
	n := 1
	for {
		d := timeRun(f, n, now)
		if d >= minTime || n >= maxIters {
			return n
		}
		next := int64(maxIters)
		if d > 0 {
			next = int64(1.2 * float64(minTime) * float64(n) / float64(d))
		}
		next = min(max(next, int64(n)+1), 100*int64(n), maxIters)
		n = int(next)
	}
}

func timeRun(f func(), n int, now func() time.Time) time.Duration {
	start := now()
	for range n {
		f()
	}
	return now().Sub(start)
}

// Ratio returns the median over samples of a.Samples[i] / b.Samples[i]: how
// many times slower a is than b, from samples taken close together in time
// (see MeasureEach). A drift of the machine's speed between rounds cancels
// out of each ratio, so the ratio is steadier than a.Median / b.Median.
// Ratio panics unless a and b have the same number of samples.
func Ratio(a, b Result) float64 {
	if len(a.Samples) != len(b.Samples) {
		panic(fmt.Sprintf("bench: Ratio of %d samples to %d samples; want equal counts",
			len(a.Samples), len(b.Samples)))
	}
	r := make([]float64, len(a.Samples))
	for i := range r {
		r[i] = a.Samples[i] / b.Samples[i]
	}
	return median(r)
}

// median returns the median of xs (the mean of the middle two for an even
// count), or NaN for none. xs is not modified.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}
