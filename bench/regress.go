package bench

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
	"golang.org/x/perf/benchunit"
)

// Gate defaults.
const (
	DefaultAlpha          = 0.05
	DefaultMinEffect      = 0.05
	DefaultMinSamples     = 4
	DefaultExactTolerance = 1e-9
)

// minSecPerOp is the least time per operation a benchmark result can
// report: a picosecond, a fifth of a clock cycle at 5 GHz. Less is a
// benchmark that timed nothing. A parent benchmark whose sub-benchmarks
// were all filtered out (or none was selected) is run as if it were one:
// its body, which only calls b.Run, at b.N = 1e9, giving rows such as
// "BenchmarkStep/cell=rnn 1000000000 0.0000002 ns/op". Such a row would
// stand as a benchmark of its own in every table, so the runner and the
// readers refuse it (CheckResult).
const minSecPerOp = 1e-12

// CheckResult returns an error for a result no benchmark can have
// measured: a value that is not a finite number (NaN, ±Inf), a negative
// time or count, or a time per operation that timed nothing (see
// minSecPerOp), saying where the last comes from.
func CheckResult(r *benchfmt.Result) error {
	name := "Benchmark" + string(r.Name.Full())
	for _, v := range r.Values {
		if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) || v.Value < 0 && slices.Contains([]string{"sec/op", "B/op", "allocs/op", "B/s"}, v.Unit) {
			return fmt.Errorf("%s reports %v %s: want a finite measurement", name, v.OrigValue, cmp.Or(v.OrigUnit, v.Unit))
		}
	}
	if v, ok := r.Value("sec/op"); ok && v < minSecPerOp {
		return fmt.Errorf("%s reports %.3g ns/op at b.N = %d: it timed nothing (a parent benchmark whose sub-benchmarks were all filtered out "+
			"runs its own body as one); have it skip when it has nothing to run, and leave the row out", name, v*1e9, r.Iters)
	}
	return nil
}

// UnitRatio is the unit of a paired ratio: candidate time over reference
// time, measured back to back inside the same iteration. Lower is better.
const UnitRatio = "x/ref"

// CompareOptions configure Compare. The zero value gives the defaults.
type CompareOptions struct {
	// Alpha is the family-wise significance level: the chance that any of
	// the statistical comparisons flags a change that is not there.
	// 0 means DefaultAlpha.
	Alpha float64
	// MinEffect is the smallest relative change of the median in the bad
	// direction that counts as a regression (0.05: 5% slower, or 5% less
	// throughput). 0 means DefaultMinEffect; a negative value means no
	// minimum (significance alone decides).
	MinEffect float64
	// Units lists the units to gate, as printed ("ns/op" and "sec/op" are
	// the same unit). Empty means the default: x/ref or sec/op, plus the
	// exact units.
	Units []string
	// Filter is a benchproc filter expression ("go doc
	// golang.org/x/perf/benchproc/syntax"), e.g. ".name:MatVec" or
	// "/impl:avx512". Empty keeps everything.
	Filter string
	// MinSamples is the fewest values on each side of a statistical
	// comparison; with fewer the pair is reported as Insufficient.
	// 0 means DefaultMinSamples.
	MinSamples int
	// ExactTolerance is the relative change an exact unit may make in the
	// bad direction without counting. 0 means DefaultExactTolerance.
	ExactTolerance float64
	// StrictMissing makes a benchmark (or gated unit) missing from the new
	// results a failure (see Comparison.Failed).
	StrictMissing bool
}

func (o CompareOptions) withDefaults() (CompareOptions, error) {
	if o.Alpha == 0 {
		o.Alpha = DefaultAlpha
	}
	if o.MinEffect == 0 {
		o.MinEffect = DefaultMinEffect
	} else if o.MinEffect < 0 {
		o.MinEffect = 0
	}
	if o.MinSamples == 0 {
		o.MinSamples = DefaultMinSamples
	}
	if o.ExactTolerance == 0 {
		o.ExactTolerance = DefaultExactTolerance
	}
	switch {
	case !(o.Alpha > 0 && o.Alpha < 1):
		return o, fmt.Errorf("alpha %v: want 0 < alpha < 1, e.g. 0.05", o.Alpha)
	case math.IsNaN(o.MinEffect) || o.MinEffect >= 1:
		return o, fmt.Errorf("minimum effect %v: want a fraction below 1, e.g. 0.05 for 5%%", o.MinEffect)
	case o.MinSamples < 2:
		return o, fmt.Errorf("minimum samples %d: want at least 2", o.MinSamples)
	case !(o.ExactTolerance >= 0):
		return o, fmt.Errorf("exact tolerance %v: want ≥ 0", o.ExactTolerance)
	}
	return o, nil
}

// A Verdict is the outcome of one (benchmark, unit) comparison.
type Verdict int

const (
	Same         Verdict = iota // no significant change, or an exact unit unchanged
	Small                       // significant, but within MinEffect
	Improved                    // better by more than MinEffect (or any amount, exact)
	Regressed                   // worse by more than MinEffect (or any amount, exact)
	Changed                     // changed significantly, but the unit's direction is unknown
	Insufficient                // too few samples on a side for a statistical test
	Missing                     // in the old results only
	Added                       // in the new results only
)

func (v Verdict) String() string {
	switch v {
	case Same:
		return "~"
	case Small:
		return "small"
	case Improved:
		return "improved"
	case Regressed:
		return "REGRESSION"
	case Changed:
		return "changed"
	case Insufficient:
		return "insufficient samples"
	case Missing:
		return "missing in new"
	case Added:
		return "new"
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// A Delta is the comparison of one benchmark in one unit.
type Delta struct {
	Name string // full benchmark name without "Benchmark", e.g. "MatVec/impl=avx2/n=512-2"
	Unit string // tidied unit: sec/op for ns/op, B/s for MB/s
	// Old and New are the values, in ascending order, in Unit.
	Old, New []float64
	// OldSummary and NewSummary are the median (the mode for exact units)
	// and its 95% confidence interval; zero on a side without values.
	OldSummary, NewSummary benchmath.Summary
	Better                 int     // +1 higher is better, -1 lower is better, 0 unknown
	Exact                  bool    // compared exactly, without statistics
	Change                 float64 // New center / Old center − 1 (NaN without both sides)
	// P is the Mann-Whitney p-value and PHolm the Holm-corrected one; NaN
	// when no test was made (exact units, missing sides, too few samples).
	P, PHolm float64
	Verdict  Verdict
	// Notes are warnings about this pair (inexact "exact" values,
	// unknown direction, benchmath warnings).
	Notes []string
}

// A Comparison is the result of Compare.
type Comparison struct {
	Deltas  []Delta
	Options CompareOptions // with the defaults filled in
	// Tests is the number of statistical tests made, the family the Holm
	// correction runs over.
	Tests int
	// Warnings concern the inputs: syntax errors, conflicting unit
	// declarations.
	Warnings []string
}

// Count returns the number of deltas with verdict v.
func (c *Comparison) Count(v Verdict) int {
	n := 0
	for _, d := range c.Deltas {
		if d.Verdict == v {
			n++
		}
	}
	return n
}

// Failed reports whether the gate fails: any regression, or, with
// StrictMissing, anything missing from the new results.
func (c *Comparison) Failed() bool {
	return c.Count(Regressed) > 0 || c.Options.StrictMissing && c.Count(Missing) > 0
}

// Compare is the regression gate. It reads two sets of benchmark results
// in the Go benchmark format (the output of `go test -bench`; oldName and
// newName only label messages), pairs them by full benchmark name and
// unit, and decides for each pair whether the new results are worse:
//
//   - Statistical units (times, ratios, throughputs) need at least
//     MinSamples values on each side. The Mann-Whitney U test
//     (benchmath.AssumeNothing) gives a p-value; the p-values of all the
//     pairs compared are corrected together with Holm's method, so the
//     chance of any false alarm in the whole set stays below Alpha. A pair
//     regresses when its corrected p < Alpha AND its median moved in the
//     bad direction by more than MinEffect: a shared, noisy machine makes
//     tiny shifts significant and meaningless.
//   - Exact units (allocs/op, B/op and any unit declared
//     `Unit NAME assume=exact`) are compared without statistics: any move
//     in the bad direction beyond ExactTolerance is a regression.
//
// Which units are gated: by default, for each benchmark, x/ref (a
// candidate timed back to back with a fixed reference inside each
// iteration: drift of the machine's speed cancels out of it) when both
// sides report it, else sec/op (ns/op), plus every exact unit. The
// direction of a unit comes from `Unit NAME better=higher|lower` lines,
// then from benchfmt's defaults (sec/op, B/op, allocs/op lower; B/s
// higher), then x/ref lower and any other rate (".../s", e.g. FLOP/s)
// higher.
//
// A benchmark or unit on one side only is reported as Missing or Added,
// and a pair with too few samples as Insufficient; neither fails the gate
// (Comparison.Failed) unless StrictMissing asks for it. Holm's correction
// demands more samples as more pairs are compared: the Comparison warns
// when the sample counts make a test unable to reach significance.
//
//	c, err := bench.Compare(oldFile, "old.txt", newFile, "new.txt", bench.CompareOptions{})
//	c.WriteTable(os.Stdout)
//	if c.Failed() { … }
func Compare(old io.Reader, oldName string, new io.Reader, newName string, opt CompareOptions) (*Comparison, error) {
	return compare(func(r *reader) error {
		r.r = benchfmt.NewReader(old, oldName)
		return nil
	}, oldName, func(r *reader) error {
		r.r = benchfmt.NewReader(new, newName)
		return nil
	}, newName, opt)
}

// CompareFiles is Compare on files: each side may be several files, whose
// results are pooled.
func CompareFiles(oldPaths, newPaths []string, opt CompareOptions) (*Comparison, error) {
	open := func(paths []string) func(*reader) error {
		return func(r *reader) error {
			if len(paths) == 0 {
				return fmt.Errorf("no files given")
			}
			r.r = &benchfmt.Files{Paths: paths}
			return nil
		}
	}
	return compare(open(oldPaths), strings.Join(oldPaths, ","), open(newPaths), strings.Join(newPaths, ","), opt)
}

// reader is what benchfmt.Reader and benchfmt.Files have in common.
type reader struct {
	r interface {
		Scan() bool
		Result() benchfmt.Record
		Err() error
	}
}

func (r *reader) units() benchfmt.UnitMetadataMap {
	switch r := r.r.(type) {
	case *benchfmt.Reader:
		return r.Units()
	case *benchfmt.Files:
		return r.Units()
	}
	return nil
}

// side is one side's values by (benchmark, unit) key.
type side map[benchproc.Key][]float64

func compare(openOld func(*reader) error, oldName string, openNew func(*reader) error, newName string, opt CompareOptions) (*Comparison, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	query := opt.Filter
	if strings.TrimSpace(query) == "" {
		query = "*"
	}
	filter, err := benchproc.NewFilter(query)
	if err != nil {
		return nil, fmt.Errorf("filter %q: %v", opt.Filter, err)
	}
	var parser benchproc.ProjectionParser
	proj, unitField, err := parser.ParseWithUnit(".fullname", filter)
	if err != nil {
		return nil, err
	}
	var nameField *benchproc.Field
	for _, f := range proj.Fields() {
		if f.Name == ".fullname" {
			nameField = f
		}
	}

	c := &Comparison{Options: opt}
	units := benchfmt.UnitMetadataMap{}
	read := func(open func(*reader) error, name string) (side, error) {
		var r reader
		if err := open(&r); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		s := side{}
		n := 0
		for r.r.Scan() {
			switch rec := r.r.Result().(type) {
			case *benchfmt.SyntaxError:
				c.Warnings = append(c.Warnings, rec.Error())
			case *benchfmt.Result:
				n++
				if err := CheckResult(rec); err != nil {
					file, line := rec.Pos()
					return nil, fmt.Errorf("%s:%d: %v", file, line, err)
				}
				if ok, _ := filter.Apply(rec); !ok {
					continue
				}
				for i, k := range proj.ProjectValues(rec) {
					s[k] = append(s[k], rec.Values[i].Value)
				}
			}
		}
		if err := r.r.Err(); err != nil {
			return nil, err
		}
		switch {
		case n == 0:
			return nil, fmt.Errorf("%s: no benchmark results", name)
		case len(s) == 0:
			return nil, fmt.Errorf("%s: none of the %d benchmark results match the filter %q", name, n, opt.Filter)
		}
		for k, m := range r.units() {
			if have, ok := units[k]; ok && have.Value != m.Value {
				c.Warnings = append(c.Warnings, fmt.Sprintf("%s: Unit %s %s=%s conflicts with %s=%s in the old results; using %s",
					name, m.OrigUnit, k.Key, m.Value, k.Key, have.Value, m.Value))
			}
			units[k] = m
		}
		return s, nil
	}
	oldSide, err := read(openOld, oldName)
	if err != nil {
		return nil, err
	}
	newSide, err := read(openNew, newName)
	if err != nil {
		return nil, err
	}

	// Rows in the order the benchmarks and units were first seen.
	var keys []benchproc.Key
	for k := range oldSide {
		keys = append(keys, k)
	}
	for k := range newSide {
		if _, ok := oldSide[k]; !ok {
			keys = append(keys, k)
		}
	}
	benchproc.SortKeys(keys)
	var names []string
	unitsOf := map[string][]benchproc.Key{}
	for _, k := range keys {
		name := k.Get(nameField)
		if _, ok := unitsOf[name]; !ok {
			names = append(names, name)
		}
		unitsOf[name] = append(unitsOf[name], k)
	}

	gated := gatePolicy(opt.Units, units)
	for _, name := range names {
		for _, k := range gated(unitsOf[name], unitField, oldSide, newSide) {
			c.Deltas = append(c.Deltas, newDelta(name, k.Get(unitField), oldSide[k], newSide[k], units, opt))
		}
	}
	if err := c.checkCompared(keys, unitField); err != nil {
		return nil, err
	}

	// Holm over every test made, then the verdicts that depend on it.
	var ps []float64
	var tested []*Delta
	for i := range c.Deltas {
		if d := &c.Deltas[i]; !math.IsNaN(d.P) {
			ps = append(ps, d.P)
			tested = append(tested, d)
		}
	}
	c.Tests = len(ps)
	for i, p := range holm(ps) {
		d := tested[i]
		d.PHolm = p
		if p >= opt.Alpha {
			d.Verdict = Same
			continue
		}
		d.Verdict = judge(d.Change, d.Better, opt.MinEffect)
	}

	// Holm asks the smallest p-value to be below Alpha/Tests; too few
	// samples can never get there, however large the change.
	powerless, fewest := 0, math.MaxInt
	for _, d := range tested {
		if minUTestP(len(d.Old), len(d.New)) >= opt.Alpha/float64(c.Tests) {
			powerless++
			fewest = min(fewest, len(d.Old), len(d.New))
		}
	}
	if powerless > 0 {
		need := 2
		for minUTestP(need, need) >= opt.Alpha/float64(c.Tests) {
			need++
		}
		c.Warnings = append(c.Warnings, fmt.Sprintf(
			"%d of %d tests cannot detect any change: after Holm correction the smallest p-value must be below %.2g, "+
				"and the Mann-Whitney test on %d+%d samples never goes below %.2g; take at least %d samples a side (-count %d), or compare fewer benchmarks",
			powerless, c.Tests, opt.Alpha/float64(c.Tests), fewest, fewest, minUTestP(fewest, fewest), need, need))
	}
	return c, nil
}

// checkCompared returns an error when the comparison would check nothing:
// a unit of Options.Units that neither side reports, or no benchmark with a
// gated unit on both sides that can be compared (exactly, or with enough
// samples for a test). A gate that compares nothing must not pass.
func (c *Comparison) checkCompared(keys []benchproc.Key, unitField *benchproc.Field) error {
	var have []string
	for _, k := range keys {
		if u := k.Get(unitField); !slices.Contains(have, u) {
			have = append(have, u)
		}
	}
	for _, u := range c.Options.Units {
		if _, tidy := benchunit.Tidy(1, strings.TrimSpace(u)); !slices.Contains(have, tidy) {
			return fmt.Errorf("unit %q is in neither results: they report %s", u, strings.Join(have, ", "))
		}
	}
	for _, d := range c.Deltas {
		if d.Verdict != Missing && d.Verdict != Added && d.Verdict != Insufficient {
			return nil
		}
	}
	what := "x/ref or sec/op, and the exact units"
	if len(c.Options.Units) > 0 {
		what = strings.Join(c.Options.Units, ", ")
	}
	return fmt.Errorf("nothing to compare: no benchmark has the gated units (%s) on both sides with at least %d samples a side (%d pairs on one side only, %d with too few samples)",
		what, c.Options.MinSamples, c.Count(Missing)+c.Count(Added), c.Count(Insufficient))
}

// minUTestP returns the smallest two-sided p-value the exact Mann-Whitney
// test can give for samples of n1 and n2 distinct values: 2/C(n1+n2, n1),
// when the samples do not overlap at all.
func minUTestP(n1, n2 int) float64 {
	lg := func(n int) float64 { v, _ := math.Lgamma(float64(n + 1)); return v }
	return math.Min(1, 2*math.Exp(lg(n2)+lg(n1)-lg(n1+n2)))
}

// gatePolicy returns the function that picks which of a benchmark's
// (benchmark, unit) keys are gated.
func gatePolicy(want []string, units benchfmt.UnitMetadataMap) func([]benchproc.Key, *benchproc.Field, side, side) []benchproc.Key {
	if len(want) > 0 {
		set := map[string]bool{}
		for _, u := range want {
			_, u = benchunit.Tidy(1, strings.TrimSpace(u))
			set[u] = true
		}
		return func(keys []benchproc.Key, unit *benchproc.Field, _, _ side) []benchproc.Key {
			var out []benchproc.Key
			for _, k := range keys {
				if set[k.Get(unit)] {
					out = append(out, k)
				}
			}
			return out
		}
	}
	return func(keys []benchproc.Key, unit *benchproc.Field, old, new side) []benchproc.Key {
		// x/ref when both sides have it (or the only side has it), else
		// sec/op; then the exact units.
		var ratio, time benchproc.Key
		var out []benchproc.Key
		for _, k := range keys {
			switch u := k.Get(unit); {
			case u == UnitRatio:
				ratio = k
			case u == "sec/op":
				time = k
			case isExact(u, units):
				out = append(out, k)
			}
		}
		primary := time
		if !ratio.IsZero() && (len(old[ratio]) > 0 || len(old[time]) == 0) && (len(new[ratio]) > 0 || len(new[time]) == 0) {
			primary = ratio
		}
		if !primary.IsZero() {
			out = append([]benchproc.Key{primary}, out...)
		}
		return out
	}
}

// isExact reports whether unit is compared exactly.
func isExact(unit string, units benchfmt.UnitMetadataMap) bool {
	switch unit {
	case "allocs/op", "B/op":
		return true
	}
	return units.GetAssumption(unit) == benchmath.AssumeExact
}

// betterOf returns +1 if higher values of unit are better, -1 if lower
// ones are, 0 if unknown.
func betterOf(unit string, units benchfmt.UnitMetadataMap) int {
	if b := units.GetBetter(unit); b != 0 {
		return b
	}
	switch {
	case unit == UnitRatio:
		return -1
	case strings.HasSuffix(unit, "/s"):
		return +1 // a rate: FLOP/s, ops/s
	}
	return 0
}

// newDelta compares one (benchmark, unit) pair as far as it can without
// the other pairs: everything but the Holm-dependent verdicts.
func newDelta(name, unit string, old, new []float64, units benchfmt.UnitMetadataMap, opt CompareOptions) Delta {
	d := Delta{
		Name: name, Unit: unit,
		Old: slices.Sorted(slices.Values(old)), New: slices.Sorted(slices.Values(new)),
		Better: betterOf(unit, units), Exact: isExact(unit, units),
		Change: math.NaN(), P: math.NaN(), PHolm: math.NaN(),
	}
	assume := benchmath.Assumption(benchmath.AssumeNothing)
	if d.Exact {
		assume = benchmath.AssumeExact
	}
	thr := &benchmath.Thresholds{CompareAlpha: opt.Alpha}
	summarize := func(vs []float64, which string) (*benchmath.Sample, benchmath.Summary) {
		if len(vs) == 0 {
			return nil, benchmath.Summary{}
		}
		s := benchmath.NewSample(slices.Clone(vs), thr)
		sum := assume.Summary(s, 0.95)
		if d.Exact {
			for _, w := range sum.Warnings {
				d.Notes = append(d.Notes, which+": "+w.Error())
			}
		}
		return s, sum
	}
	oldS, oldSum := summarize(d.Old, "old")
	newS, newSum := summarize(d.New, "new")
	d.OldSummary, d.NewSummary = oldSum, newSum
	switch {
	case oldS == nil:
		d.Verdict = Added
		return d
	case newS == nil:
		d.Verdict = Missing
		return d
	}
	d.Change = relChange(oldSum.Center, newSum.Center)
	if d.Better == 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("direction of %s unknown: declare it with a `Unit %s better=higher|lower` line", unit, unit))
	}

	if d.Exact {
		// Any move in the bad direction beyond rounding.
		o, n := oldSum.Center, newSum.Center
		diff := n - o
		switch tol := opt.ExactTolerance * math.Max(math.Abs(o), math.Abs(n)); {
		case math.Abs(diff) <= tol:
			d.Verdict = Same
		case d.Better == 0:
			d.Verdict = Changed
		case float64(d.Better)*diff < 0:
			d.Verdict = Regressed
		default:
			d.Verdict = Improved
		}
		return d
	}

	if len(d.Old) < opt.MinSamples || len(d.New) < opt.MinSamples {
		d.Verdict = Insufficient
		d.Notes = append(d.Notes, fmt.Sprintf("%d old and %d new samples: need at least %d on each side", len(d.Old), len(d.New), opt.MinSamples))
		return d
	}
	res := benchmath.AssumeNothing.Compare(oldS, newS)
	d.P = res.P
	for _, w := range res.Warnings {
		d.Notes = append(d.Notes, w.Error())
	}
	return d
}

// relChange returns new/old − 1, ±Inf for a change from 0, 0 for 0 → 0.
func relChange(old, new float64) float64 {
	switch {
	case old == new:
		return 0
	case old == 0:
		return math.Inf(int(math.Copysign(1, new)))
	}
	return new/old - 1
}

// judge classifies a significant change of the center by its direction
// and size.
func judge(change float64, better int, minEffect float64) Verdict {
	if better == 0 {
		return Changed
	}
	// bad > 0 is the fraction by which the unit got worse: slower for
	// lower-is-better, less for higher-is-better.
	bad := change
	if better > 0 {
		bad = -change
	}
	switch {
	case bad > minEffect:
		return Regressed
	case -bad > minEffect:
		return Improved
	}
	return Small
}

// holm returns the Holm–Bonferroni adjusted p-values of ps, in the same
// order: with m tests sorted ascending, p′₍ᵢ₎ = max over j ≤ i of
// min(1, (m−j+1)·p₍ⱼ₎). Rejecting where p′ < α keeps the chance of any
// false rejection ≤ α, whatever the dependence between the tests, and is
// uniformly more powerful than Bonferroni.
func holm(ps []float64) []float64 {
	m := len(ps)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ps[a], ps[b]) })
	adj := make([]float64, m)
	running := 0.0
	for j, i := range order {
		running = math.Max(running, math.Min(1, float64(m-j)*ps[i]))
		adj[i] = running
	}
	return adj
}

// Verdict reports, through logf, the comparisons that could not be
// tested and, when c failed, how many regressed (and with StrictMissing,
// went missing); it returns Failed().
func (c *Comparison) Verdict(logf func(format string, a ...any)) bool {
	if n := c.Count(Insufficient); n > 0 {
		logf("warning: %d comparisons have fewer than %d samples on a side and were not tested", n, c.Options.MinSamples)
	}
	if !c.Failed() {
		return false
	}
	if c.Options.StrictMissing {
		logf("FAIL: %d regressions, %d missing", c.Count(Regressed), c.Count(Missing))
	} else {
		logf("FAIL: %d regressions", c.Count(Regressed))
	}
	return true
}

// WriteTable writes the comparison as benchstat-like tables, one per unit,
// then a summary line and the warnings.
func (c *Comparison) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	var unitOrder []string
	byUnit := map[string][]*Delta{}
	for i := range c.Deltas {
		d := &c.Deltas[i]
		if _, ok := byUnit[d.Unit]; !ok {
			unitOrder = append(unitOrder, d.Unit)
		}
		byUnit[d.Unit] = append(byUnit[d.Unit], d)
	}
	for ui, unit := range unitOrder {
		ds := byUnit[unit]
		if ui > 0 {
			fmt.Fprintln(tw)
		}
		how := "exact"
		if !ds[0].Exact {
			how = "median ± 95% CI"
		}
		fmt.Fprintf(tw, "%s (%s, %s)\told\tnew\tchange\tp (Holm)\tn\tverdict\n", unit, direction(ds[0].Better), how)
		for _, d := range ds {
			scale := rowScale(d)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d+%d\t%s\n", d.Name,
				cell(d.Old, d.OldSummary, d.Exact, scale), cell(d.New, d.NewSummary, d.Exact, scale),
				formatChange(d.Change), formatP(d.PHolm), len(d.Old), len(d.New), d.Verdict)
		}
	}
	fmt.Fprintln(tw)
	if err := tw.Flush(); err != nil {
		return err
	}

	o := c.Options
	fmt.Fprintf(w, "gate: %d regressed, %d improved, %d unchanged, %d small, %d insufficient, %d missing, %d new",
		c.Count(Regressed), c.Count(Improved), c.Count(Same), c.Count(Small), c.Count(Insufficient), c.Count(Missing), c.Count(Added))
	if n := c.Count(Changed); n > 0 {
		fmt.Fprintf(w, ", %d changed (direction unknown)", n)
	}
	fmt.Fprintf(w, "\n      Mann-Whitney U, Holm-corrected over %d tests at alpha %g; min effect %g%%; ≥ %d samples a side\n",
		c.Tests, o.Alpha, 100*o.MinEffect, o.MinSamples)
	for _, d := range c.Deltas {
		for _, n := range d.Notes {
			fmt.Fprintf(w, "note: %s %s: %s\n", d.Name, d.Unit, n)
		}
	}
	for _, warn := range c.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	return nil
}

func direction(better int) string {
	switch better {
	case 1:
		return "higher is better"
	case -1:
		return "lower is better"
	}
	return "direction unknown"
}

// rowScale returns the scale for one row's old and new values: a common
// SI or binary prefix, as benchstat does, except for dimensionless ratios
// and small exact values, which read best as plain numbers.
func rowScale(d *Delta) benchunit.Scaler {
	var centers []float64
	if len(d.Old) > 0 {
		centers = append(centers, d.OldSummary.Center)
	}
	if len(d.New) > 0 {
		centers = append(centers, d.NewSummary.Center)
	}
	big := false
	for _, c := range centers {
		big = big || math.Abs(c) >= 1e6
	}
	switch {
	case d.Unit == UnitRatio:
		return benchunit.Scaler{Prec: 4, Factor: 1}
	case d.Exact && !big:
		return benchunit.NoOpScaler
	}
	return benchunit.CommonScale(centers, benchunit.ClassOf(d.Unit))
}

func cell(vs []float64, s benchmath.Summary, exact bool, scale benchunit.Scaler) string {
	if len(vs) == 0 {
		return "—"
	}
	if exact {
		return scale.Format(s.Center)
	}
	return scale.Format(s.Center) + " ± " + s.PctRangeString()
}

func formatChange(c float64) string {
	switch {
	case math.IsNaN(c):
		return ""
	case math.IsInf(c, 1):
		return "+∞%"
	case math.IsInf(c, -1):
		return "-∞%"
	}
	return fmt.Sprintf("%+.2f%%", 100*c)
}

func formatP(p float64) string {
	if math.IsNaN(p) {
		return "—"
	}
	if p >= 0.001 {
		return fmt.Sprintf("%.3f", p)
	}
	return fmt.Sprintf("%.1e", p)
}
