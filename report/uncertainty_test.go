package report

import (
	"math"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/rnn"
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

// Every metric with a recorded error gets an interval, and its kept
// fractions an error; one without (NaN) gets neither.
func TestSweepUncertainty(t *testing.T) {
	base := SweepRow{MetricName: "accuracy", EvalSeqs: 10000}
	base.Rank, base.Precision = rnn.Full, rnn.F32
	base.Metric, base.MetricSE, base.MetricRel = 0.98, math.Sqrt(0.98*0.02/1e4), 1
	r := base
	r.Rank, r.Method = 16, rnn.SVD
	r.Metric, r.MetricSE, r.MetricRel = 0.49, math.Sqrt(0.49*0.51/1e4), 0.5
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
	if got := formatKept(base, base); base.KeptSE(base) != 0 || got != "1.000" {
		t.Errorf("the reference keeps all of itself exactly: %q ± %v", got, base.KeptSE(base))
	}
	if got := formatMetricSE(base); got != "98.00%±0.14" {
		t.Errorf("accuracy ± its error: %q", got)
	}
	// Bits per character, lower is better: kept = base/metric = 2/2.5,
	// relative errors 0.01/2 and 0.02/2.5 in quadrature.
	bpc := SweepRow{MetricName: "bits/char", EvalSeqs: 550}
	bpc.Metric, bpc.MetricSE, bpc.MetricRel = 2, 0.01, 1
	worse := bpc
	worse.Metric, worse.MetricSE, worse.MetricRel = 2.5, 0.02, 1.25
	if got, want := worse.KeptSE(bpc), 0.8*math.Hypot(0.01/2, 0.02/2.5); math.Abs(got-want) > 1e-12 {
		t.Errorf("bits/char KeptSE = %v, want %v", got, want)
	}
	if got := formatMetricCI(worse); got != "2.500 [2.461, 2.539]" {
		t.Errorf("bits/char with its interval: %q", got)
	}
	if got := formatKept(worse, bpc); got != "0.800±0.008" { // 0.8·√(0.005² + 0.008²) = 0.0075
		t.Errorf("bits/char kept: %q", got)
	}
	mc := SweepRow{MetricName: "MC", EvalSeqs: 1000}
	mc.Metric, mc.MetricSE = 0.03, 0.02
	if got := formatMetricCI(mc); got != "0.030 [0.000, 0.069]" {
		t.Errorf("MC's interval stops at 0: %q", got)
	}
	unknown := bpc
	unknown.MetricSE = math.NaN()
	if !math.IsNaN(unknown.KeptSE(bpc)) || !math.IsNaN(worse.KeptSE(unknown)) ||
		strings.ContainsAny(formatMetricCI(unknown)+formatKept(unknown, bpc)+formatMetricSE(unknown), "±[") {
		t.Errorf("unknown error: kept SE %v, %q %q %q: want none", unknown.KeptSE(bpc),
			formatMetricCI(unknown), formatKept(unknown, bpc), formatMetricSE(unknown))
	}
	if !beyond(0.6, 0.5, 0.02, 0.02) || beyond(0.52, 0.5, 0.02, 0.02) || beyond(0.9, 0.1, math.NaN(), 0.01) {
		t.Error("beyond: a difference of 0.1 is beyond 2·0.028 and one of 0.02 is not; an unknown error is never beyond")
	}
}
