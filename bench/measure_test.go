package bench

import (
	"math"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when a timed function moves it, and
// can stretch chosen timed intervals, as a noisy machine would. now is
// called twice per timed run (start, end); interval k is the k-th run.
type fakeClock struct {
	t     time.Time
	calls int
	start time.Time
	// stretch returns the factor by which timed run k is slowed; nil is 1.
	stretch func(k int) float64
}

func (c *fakeClock) now() time.Time {
	if c.calls%2 == 0 {
		c.start = c.t
	} else if c.stretch != nil {
		el := c.t.Sub(c.start)
		c.t = c.start.Add(time.Duration(float64(el) * c.stretch(c.calls/2)))
	}
	c.calls++
	return c.t
}

// work returns a function that costs d of fake time per call.
func (c *fakeClock) work(d time.Duration) func() {
	return func() { c.t = c.t.Add(d) }
}

func TestMeasureCalibratesAndTakesMedian(t *testing.T) {
	const (
		cost    = 3 * time.Microsecond
		minTime = time.Millisecond
		samples = 5
	)
	// A quiet machine: every sample is exact; calibration reaches minTime
	// without overshooting by more than testing's 20% margin.
	c := &fakeClock{}
	r := measureEach([]func(){c.work(cost)}, samples, minTime, c.now)[0]
	if got := time.Duration(r.Iters) * cost; got < minTime || got > minTime*12/10+cost {
		t.Errorf("Iters = %d: a sample lasts %v; want between %v and 1.2×that", r.Iters, got, minTime)
	}
	if len(r.Samples) != samples {
		t.Fatalf("%d samples, want %d", len(r.Samples), samples)
	}
	for i, s := range r.Samples {
		if s != 3000 {
			t.Errorf("sample %d = %v ns/op, want 3000", i, s)
		}
	}
	calRuns := c.calls/2 - samples // runs spent calibrating

	// A noisy machine: two of the five samples are 20 times slower. The
	// median ignores them; with three slow samples it must not.
	for _, tc := range []struct {
		slow []int
		want float64
	}{
		{[]int{1, 3}, 3000},
		{[]int{0, 2, 4}, 60000},
	} {
		c := &fakeClock{stretch: func(k int) float64 {
			for _, s := range tc.slow {
				if k == calRuns+s {
					return 20
				}
			}
			return 1
		}}
		r := measureEach([]func(){c.work(cost)}, samples, minTime, c.now)[0]
		if r.Median != tc.want {
			t.Errorf("slow samples %v: samples %v, median %v; want median %v", tc.slow, r.Samples, r.Median, tc.want)
		}
		if r.Samples[tc.slow[0]] != 60000 {
			t.Errorf("slow samples %v: samples %v; want sample %d = 60000", tc.slow, r.Samples, tc.slow[0])
		}
	}
}

func TestMeasureSlowFunctionAndDegenerateArgs(t *testing.T) {
	c := &fakeClock{}
	r := measureEach([]func(){c.work(5 * time.Millisecond)}, 3, time.Millisecond, c.now)[0]
	if r.Iters != 1 || r.Median != 5e6 {
		t.Errorf("5ms function, 1ms minimum: Iters %d, median %v; want 1, 5e6", r.Iters, r.Median)
	}
	c = &fakeClock{}
	r = measureEach([]func(){c.work(time.Microsecond)}, 0, 0, c.now)[0]
	if r.Iters != 1 || len(r.Samples) != 1 || r.Median != 1000 {
		t.Errorf("samples 0, minTime 0: %+v; want one sample of one call, 1000 ns", r)
	}
}

func TestMeasureEachPairsSamples(t *testing.T) {
	// The machine's speed drifts from round to round (both functions see
	// the same factor within a round); the paired ratio is exact anyway.
	drift := []float64{1, 4, 1.5, 9, 2, 6, 3}
	c := &fakeClock{}
	fs := []func(){c.work(2 * time.Microsecond), c.work(time.Microsecond)}
	measureEach(fs, len(drift), time.Millisecond, c.now)
	calRuns := c.calls/2 - len(fs)*len(drift)

	c.calls, c.stretch = 0, func(k int) float64 {
		if k < calRuns {
			return 1
		}
		return drift[(k-calRuns)/len(fs)]
	}
	res := measureEach(fs, len(drift), time.Millisecond, c.now)
	for i := range drift {
		if r := res[0].Samples[i] / res[1].Samples[i]; math.Abs(r-2) > 1e-3 {
			t.Errorf("round %d: samples %v and %v are not paired in time", i, res[0].Samples[i], res[1].Samples[i])
		}
	}
	if r := Ratio(res[0], res[1]); math.Abs(r-2) > 1e-3 {
		t.Errorf("Ratio = %v, want 2", r)
	}
	if res[0].Samples[3] < 8*res[0].Samples[0] {
		t.Errorf("samples %v do not show the drift %v", res[0].Samples, drift)
	}
}

func TestRatioIsPaired(t *testing.T) {
	a := Result{Samples: []float64{2, 4, 100}}
	b := Result{Samples: []float64{1, 2, 1}}
	// Pairwise: 2, 2, 100 → 2. The ratio of the medians would be 4.
	if r := Ratio(a, b); r != 2 {
		t.Errorf("Ratio = %v, want 2", r)
	}
	defer func() {
		if recover() == nil {
			t.Error("Ratio of 3 samples to 2 did not panic")
		}
	}()
	Ratio(a, Result{Samples: []float64{1, 2}})
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{5}, 5},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{9, 1, 1, 1, 9}, 1},
	} {
		in := append([]float64(nil), tc.in...)
		if got := median(in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.in[i] {
				t.Errorf("median modified its input: %v → %v", tc.in, in)
				break
			}
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median(nil) is not NaN")
	}
}

// TestMeasureRealClock checks Measure's arithmetic on the real clock, and
// asserts no speed: each call of spin lasts at least d by construction, so
// the median cannot be below d (it would be with a unit mistake, µs taken
// for ns), and the samples, Iters calls each, were all timed inside the
// wall time of the whole Measure call (a mistake the other way, or in the
// iteration count, would put them outside it).
func TestMeasureRealClock(t *testing.T) {
	const d = 200 * time.Microsecond
	spin := func() {
		for start := time.Now(); time.Since(start) < d; {
		}
	}
	start := time.Now()
	r := Measure(spin, 3, 2*time.Millisecond)
	wall := float64(time.Since(start).Nanoseconds())
	var timed float64
	for _, s := range r.Samples {
		timed += s * float64(r.Iters)
	}
	if r.Median < float64(d.Nanoseconds()) || timed > wall {
		t.Errorf("spinning %v per call: median %v ns/op, samples %v of %d calls each, %.0f ns timed in %.0f ns of wall time",
			d, r.Median, r.Samples, r.Iters, timed, wall)
	}
}
