package report

import (
	"fmt"
	"math"

	"github.com/lowrank-rnn/lowrank/rnn"
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

// hasSE reports whether sweep.csv records a standard error of r's metric
// (rnn.Damage.MetricSE: NaN below two held-out sequences).
func (r SweepRow) hasSE() bool { return r.MetricSE >= 0 }

// KeptSE is the standard error of r.Kept() against the uncompressed row
// base, by the delta method from the two metrics' recorded errors,
// treating them as independent: they are scored on the same held-out
// sequences, and their positive correlation only makes the true error
// smaller, so this bound is conservative. NaN without an error.
func (r SweepRow) KeptSE(base SweepRow) float64 {
	if r.isReference(base) {
		return 0
	}
	if !r.hasSE() || !base.hasSE() || !(r.Metric > 0) || !(base.Metric > 0) {
		return math.NaN()
	}
	a, b := r.MetricSE/r.Metric, base.MetricSE/base.Metric
	return r.Kept() * math.Sqrt(a*a+b*b)
}

// isReference reports whether r is base itself, the uncompressed float32
// model, whose fraction kept is 1 exactly.
func (r SweepRow) isReference(base SweepRow) bool {
	return r.Model == base.Model && r.Rank == rnn.Full && r.Method == "" && r.Precision == base.Precision &&
		r.Metric == base.Metric
}

// formatMetricCI formats r's metric with its 95% interval: an accuracy's
// Wilson interval over its held-out images, "98.52% [98.27, 98.74]"; bits
// per character and MC ± z·SE, "2.109 [2.087, 2.131]"; without an error as
// FormatMetric does.
func formatMetricCI(r SweepRow) string {
	s := FormatMetric(r.MetricName, r.Metric)
	switch {
	case r.MetricName == "accuracy" && r.EvalSeqs > 0:
		lo, hi := Wilson(r.Metric, r.EvalSeqs)
		return fmt.Sprintf("%s [%.2f, %.2f]", s, 100*lo, 100*hi)
	case r.MetricName != "accuracy" && r.hasSE():
		return fmt.Sprintf("%s [%.3f, %.3f]", s, max(0, r.Metric-z95*r.MetricSE), r.Metric+z95*r.MetricSE)
	}
	return s
}

// formatMetricSE formats r's metric ± its standard error (terminal tables).
func formatMetricSE(r SweepRow) string {
	s := FormatMetric(r.MetricName, r.Metric)
	switch {
	case !r.hasSE():
		return s
	case r.MetricName == "accuracy":
		return fmt.Sprintf("%s±%.2f", s, 100*r.MetricSE)
	}
	return fmt.Sprintf("%s±%.3f", s, r.MetricSE)
}

// formatKept formats the fraction of base's metric that r keeps, ± its
// standard error where it has one.
func formatKept(r, base SweepRow) string {
	if r.isReference(base) {
		return fmt.Sprintf("%.3f", r.Kept())
	}
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

// formatMean formats a mean of fractions kept ± se, or alone when se is
// unknown (NaN).
func formatMean(v, se float64) string {
	if math.IsNaN(se) {
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.3f±%.3f", v, se)
}
