package report

import (
	"math"
	"strings"
	"testing"
)

// The Wilson interval against published values (Newcombe, Stat. Med. 1998,
// table I: 81/263 gives 0.2553–0.3662) and the textbook cases.
func TestWilson(t *testing.T) {
	for _, c := range []struct {
		p      float64
		n      int
		lo, hi float64
	}{{0.5, 100, 0.40383, 0.59617}, {0.95, 100, 0.88825, 0.97846}, {1, 10, 0.72247, 1}, {0, 10, 0, 0.27753}, {81.0 / 263, 263, 0.2553, 0.3662}} {
		lo, hi := Wilson(c.p, c.n)
		if math.Abs(lo-c.lo) > 6e-5 || math.Abs(hi-c.hi) > 6e-5 {
			t.Errorf("Wilson(%g, %d) = [%.5f, %.5f], want [%.5f, %.5f]", c.p, c.n, lo, hi, c.lo, c.hi)
		}
	}
	if lo, hi := Wilson(0.5, 0); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("Wilson of no trials: [%v, %v], want NaN", lo, hi)
	}
}

// Accuracies get an interval and their kept fractions an error; bits per
// character, which sweep.csv records no spread for, get neither.
func TestSweepUncertainty(t *testing.T) {
	base := SweepRow{MetricName: "accuracy", EvalSeqs: 10000}
	base.Metric, base.MetricRel = 0.98, 1
	r := base
	r.Metric, r.MetricRel = 0.49, 0.5
	se := r.KeptSE(base)
	want := 0.5 * math.Hypot(math.Sqrt(0.49*0.51/1e4)/0.49, math.Sqrt(0.98*0.02/1e4)/0.98)
	if math.Abs(se-want) > 1e-12 {
		t.Errorf("KeptSE = %v, want %v", se, want)
	}
	if got := formatMetricCI(base); got != "98.00% [97.71, 98.26]" {
		t.Errorf("accuracy with its interval: %q", got)
	}
	if got := formatKept(r, base); got != "0.500±0.005" {
		t.Errorf("kept fraction with its error: %q", got)
	}
	bits := SweepRow{MetricName: "bits/char", EvalSeqs: 550}
	bits.Metric, bits.MetricRel = 2.3, 1.1
	if !math.IsNaN(bits.MetricSE()) || !math.IsNaN(bits.KeptSE(bits)) || strings.Contains(formatMetricCI(bits)+formatKept(bits, bits), "±") {
		t.Errorf("bits/char: SE %v, kept SE %v, %q %q: want none", bits.MetricSE(), bits.KeptSE(bits), formatMetricCI(bits), formatKept(bits, bits))
	}
	if !beyond(0.6, 0.5, 0.02, 0.02) || beyond(0.52, 0.5, 0.02, 0.02) || beyond(0.9, 0.1, math.NaN(), 0.01) {
		t.Error("beyond: a difference of 0.1 is beyond 2·0.028 and one of 0.02 is not; an unknown error is never beyond")
	}
}
