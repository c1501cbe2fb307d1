package report

import (
	"fmt"
	"math"
)

// z95 is the standard normal quantile of a two-sided 95% interval.
const z95 = 1.959963984540054

// Wilson returns the 95% Wilson score interval of a binomial proportion p
// observed on n trials: unlike p ± z·√(p(1−p)/n) it stays inside [0, 1]
// and keeps its coverage near 0 and 1, where the accuracies of good
// models lie.
func Wilson(p float64, n int) (lo, hi float64) {
	if n < 1 {
		return math.NaN(), math.NaN()
	}
	nf := float64(n)
	z2 := z95 * z95
	mid := (p + z2/(2*nf)) / (1 + z2/nf)
	half := z95 / (1 + z2/nf) * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return max(0, mid-half), min(1, mid+half)
}

// hasInterval reports whether sweep.csv records what r's metric's
// uncertainty is computed from: an accuracy and the number of held-out
// images it is the fraction of. Bits per character and memory capacity
// are means over sequences whose spread the sweep does not record.
func (r SweepRow) hasInterval() bool { return r.MetricName == "accuracy" && r.EvalSeqs > 0 }

// MetricSE is the standard error of r's accuracy, √(p(1−p)/n) over its
// n held-out images, and NaN for a metric without one (hasInterval).
func (r SweepRow) MetricSE() float64 {
	if !r.hasInterval() {
		return math.NaN()
	}
	return math.Sqrt(r.Metric * (1 - r.Metric) / float64(r.EvalSeqs))
}

// KeptSE is the standard error of r.Kept() against the uncompressed row
// base, by the delta method, treating the two accuracies as independent:
// they are scored on the same images, and their positive correlation only
// makes the true error smaller, so this bound is conservative. NaN
// without an interval.
func (r SweepRow) KeptSE(base SweepRow) float64 {
	if !r.hasInterval() || !base.hasInterval() || !(r.Metric > 0) || !(base.Metric > 0) {
		return math.NaN()
	}
	a, b := r.MetricSE()/r.Metric, base.MetricSE()/base.Metric
	return r.Kept() * math.Sqrt(a*a+b*b)
}

// formatMetricCI formats r's metric with its 95% interval where it has one:
// "98.52% [98.27, 98.74]", else as FormatMetric does.
func formatMetricCI(r SweepRow) string {
	s := FormatMetric(r.MetricName, r.Metric)
	if !r.hasInterval() {
		return s
	}
	lo, hi := Wilson(r.Metric, r.EvalSeqs)
	return fmt.Sprintf("%s [%.2f, %.2f]", s, 100*lo, 100*hi)
}

// formatKept formats the fraction of base's metric that r keeps, ± its
// standard error where it has one.
func formatKept(r, base SweepRow) string {
	if se := r.KeptSE(base); !math.IsNaN(se) {
		return fmt.Sprintf("%.3f±%.3f", r.Kept(), se)
	}
	return fmt.Sprintf("%.3f", r.Kept())
}

// beyond reports whether a − b is more than twice the standard error of
// the difference of two independent estimates with errors sa and sb;
// false where either is unknown (NaN).
func beyond(a, b, sa, sb float64) bool {
	return math.Abs(a-b) > 2*math.Hypot(sa, sb)
}
