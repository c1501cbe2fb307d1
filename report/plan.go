package report

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/lowrank-rnn/lowrank/rnn"
)

// PlanRow is one model planned for one maximum predicted damage, without
// labels (rnn.Planner), and what the plan costs on the held-out set,
// measured with them: a row of plan.csv.
type PlanRow struct {
	Model, Task string
	Family      string // the task's family (task.Coherence.Family): recall, seqmnist, text
	Cell        rnn.Cell
	Hidden      int
	Measure     rnn.DamageMeasure
	Allocation  string // "search" (the planner's) or "greedy" (the baseline)
	MaxError    float64
	// The plan: dense, or a joint rank, or a rank per recurrent matrix
	// (RNN: Ranks[0]).
	Dense, Joint          bool
	Ranks                 [2]int
	Params, MulAdds       int
	Predicted, FirstOrder float64
	MetricName            string
	// Metric is the plan's metric on the held-out set, MetricSE its
	// standard error there (NaN: unknown), MetricRel the metric over the
	// uncompressed model's.
	Metric, MetricSE, MetricRel float64
}

// Allocations of plan.csv.
const (
	AllocSearch = "search"
	AllocGreedy = "greedy"
)

// PlanRows returns the rows of one model's plan curve (rnn.Testbed.PlanCurve).
func PlanRows(model string, tb *rnn.Testbed, curve []rnn.PlanPoint) []PlanRow {
	rows := make([]PlanRow, len(curve))
	for i, pt := range curve {
		pl := pt.Plan
		alloc := AllocSearch
		if pt.Target.Greedy {
			alloc = AllocGreedy
		}
		rows[i] = PlanRow{Model: model, Task: tb.Spec.Name, Family: tb.Spec.Coherence.Family, Cell: tb.Model.Cell,
			Hidden: tb.Model.Hidden, Measure: pl.Measure, Allocation: alloc, MaxError: pt.Target.MaxError,
			Dense: pl.Dense, Joint: pl.Joint, Ranks: pl.Ranks, Params: pl.Params, MulAdds: pl.MulAdds,
			Predicted: pl.Error, FirstOrder: pl.FirstOrder, MetricName: rnn.MetricName(tb.Spec),
			Metric: pt.Metric, MetricSE: pt.MetricSE, MetricRel: pt.MetricRel}
	}
	return rows
}

// Loss is the relative loss of the metric: the fraction of accuracy or
// memory capacity lost, or of bits per character added.
func (r PlanRow) Loss() float64 { return metricLoss(r.MetricName, r.MetricRel) }

// LossSE is the standard error of Loss from the plan's own metric, relative
// to the uncompressed model's (whose error, on the same held-out
// sequences, is correlated with it and not added); 0 for a dense plan, the
// uncompressed model itself; NaN when unknown.
func (r PlanRow) LossSE() float64 {
	if r.Dense {
		return 0
	}
	if !(r.MetricSE >= 0) || !(r.Metric > 0) || !(r.MetricRel > 0) {
		return math.NaN()
	}
	return r.MetricSE * r.MetricRel / r.Metric
}

// formatLoss formats the row's measured loss ± LossSE.
func (r PlanRow) formatLoss() string {
	if se := r.LossSE(); !math.IsNaN(se) {
		return fmt.Sprintf("%.4f±%.4f", r.Loss(), se)
	}
	return fmt.Sprintf("%.4f", r.Loss())
}

// Loss is the relative loss of the row's metric, as PlanRow.Loss.
func (r SweepRow) Loss() float64 { return metricLoss(r.MetricName, r.MetricRel) }

func metricLoss(name string, rel float64) float64 {
	if name == "bits/char" {
		return rel - 1
	}
	return 1 - rel
}

// rankText writes a rank of plan.csv: "full" for a dense plan, "" for the
// RNN's second matrix, which it has not.
func (r *PlanRow) rankText(g int) string {
	switch {
	case r.Dense:
		return rnn.Full.String()
	case g == 1 && r.Cell == rnn.RNN:
		return ""
	}
	return strconv.Itoa(r.Ranks[g])
}

// setRank reads what rankText wrote (full reads as 0, with Dense).
func setRank(g int) func(*PlanRow, string) error {
	return func(r *PlanRow, s string) error {
		if s == "" && g == 1 {
			return nil
		}
		k, err := rnn.ParseRank(s)
		if err != nil {
			return err
		}
		if k != rnn.Full {
			r.Ranks[g] = int(k)
		}
		return nil
	}
}

func parseMeasure(s string) (rnn.DamageMeasure, error) { return rnn.ParseMeasure(s) }

func parseAllocation(s string) (string, error) {
	if s != AllocSearch && s != AllocGreedy {
		return "", fmt.Errorf("unknown allocation %q (want %s or %s)", s, AllocSearch, AllocGreedy)
	}
	return s, nil
}

func planFloat(name string, field func(*PlanRow) *float64) column[PlanRow] {
	return column[PlanRow]{name, func(r *PlanRow) string { return formatG(*field(r)) }, set(parseFloat, field)}
}

// planColumns is plan.csv.
var planColumns = []column[PlanRow]{
	{"model", func(r *PlanRow) string { return r.Model }, set(nonEmpty, func(r *PlanRow) *string { return &r.Model })},
	{"task", func(r *PlanRow) string { return r.Task }, set(nonEmpty, func(r *PlanRow) *string { return &r.Task })},
	{"family", func(r *PlanRow) string { return r.Family }, set(nonEmpty, func(r *PlanRow) *string { return &r.Family })},
	{"cell", func(r *PlanRow) string { return string(r.Cell) }, set(parseCell, func(r *PlanRow) *rnn.Cell { return &r.Cell })},
	{"hidden", func(r *PlanRow) string { return strconv.Itoa(r.Hidden) }, set(parseInt, func(r *PlanRow) *int { return &r.Hidden })},
	{"measure", func(r *PlanRow) string { return string(r.Measure) }, set(parseMeasure, func(r *PlanRow) *rnn.DamageMeasure { return &r.Measure })},
	{"allocation", func(r *PlanRow) string { return r.Allocation }, set(parseAllocation, func(r *PlanRow) *string { return &r.Allocation })},
	planFloat("max_error", func(r *PlanRow) *float64 { return &r.MaxError }),
	{"dense", func(r *PlanRow) string { return strconv.FormatBool(r.Dense) }, set(strconv.ParseBool, func(r *PlanRow) *bool { return &r.Dense })},
	{"joint", func(r *PlanRow) string { return strconv.FormatBool(r.Joint) }, set(strconv.ParseBool, func(r *PlanRow) *bool { return &r.Joint })},
	{"rank", func(r *PlanRow) string { return r.rankText(0) }, setRank(0)},
	{"rank_h", func(r *PlanRow) string { return r.rankText(1) }, setRank(1)},
	{"params", func(r *PlanRow) string { return strconv.Itoa(r.Params) }, set(parseInt, func(r *PlanRow) *int { return &r.Params })},
	{"mul_adds", func(r *PlanRow) string { return strconv.Itoa(r.MulAdds) }, set(parseInt, func(r *PlanRow) *int { return &r.MulAdds })},
	planFloat("predicted", func(r *PlanRow) *float64 { return &r.Predicted }),
	planFloat("first_order", func(r *PlanRow) *float64 { return &r.FirstOrder }),
	{"metric_name", func(r *PlanRow) string { return r.MetricName }, set(nonEmpty, func(r *PlanRow) *string { return &r.MetricName })},
	planFloat("metric", func(r *PlanRow) *float64 { return &r.Metric }),
	{"metric_se", func(r *PlanRow) string { return formatG(r.MetricSE) }, set(parseSE, func(r *PlanRow) *float64 { return &r.MetricSE })},
	planFloat("metric_rel", func(r *PlanRow) *float64 { return &r.MetricRel }),
}

// WritePlanCSV writes rows as plan.csv.
func WritePlanCSV(w io.Writer, rows []PlanRow) error { return writeCSV(w, planColumns, rows) }

// ReadPlanCSV reads what WritePlanCSV wrote. It fails on a header that is
// not plan.csv's, a field that does not parse, and a plan whose ranks do
// not fit it: a dense plan has none, a joint one equal ranks, an RNN's one.
func ReadPlanCSV(r io.Reader) ([]PlanRow, error) {
	rows, err := readCSV(r, planColumns)
	if err != nil {
		return nil, err
	}
	for i, row := range rows {
		var bad string
		switch {
		case row.Dense && (row.Joint || row.Ranks != [2]int{}):
			bad = "a dense plan with ranks"
		case !row.Dense && row.Ranks[0] < 1:
			bad = "a truncation without a rank"
		case row.Joint && (row.Cell != rnn.MGRU || row.Ranks[0] != row.Ranks[1]):
			bad = "a joint truncation not of an MGRU's two equal ranks"
		case !row.Dense && !row.Joint && (row.Cell == rnn.MGRU) != (row.Ranks[1] > 0):
			bad = "ranks that do not fit the cell"
		}
		if bad != "" {
			return nil, fmt.Errorf("line %d: %s (dense %v, joint %v, %s ranks %v)", i+2, bad, row.Dense, row.Joint, row.Cell, row.Ranks)
		}
	}
	return rows, nil
}

// ReadPlanFile reads a plan.csv file.
func ReadPlanFile(path string) ([]PlanRow, error) { return readFile(path, ReadPlanCSV) }

// PlanTest is one held-out test of the planner: a model planned at the
// threshold calibrated on another task family, against the oracle, the
// smallest configuration of the labeled sweep that meets the target.
type PlanTest struct {
	Target      float64 // the largest relative loss of the metric allowed
	Calibration string  // the family the threshold was calibrated on
	Threshold   float64 // the maximum predicted damage planned for
	Plan        PlanRow
	Oracle      SweepRow
}

// Met reports whether the plan meets the target.
func (t PlanTest) Met() bool { return t.Plan.Loss() <= t.Target }

// Ratio is the plan's recurrent weights over the oracle's.
func (t PlanTest) Ratio() float64 { return float64(t.Plan.Params) / float64(t.Oracle.Params) }

// MaxOracleRatio is how much larger than the oracle a plan may be and
// still count as small enough.
const MaxOracleRatio = 1.25

// PlanTests holds the planner out by task family: for each target and
// family, the threshold is the largest maximum error at which the plans of
// every model of that family meet the target, and every other model is
// planned at it. Capped, no threshold exceeds the target itself: the
// predicted damage estimates the loss, and a family on which it
// overestimates must not license a looser threshold for the others. The
// rows are the plans of one allocation; the oracle comes from the sweep.
func PlanTests(plans []PlanRow, sweep []SweepRow, allocation string, targets []float64, capped bool) ([]PlanTest, error) {
	byModel := map[string][]PlanRow{}
	var models, families []string
	for _, r := range plans {
		if r.Allocation != allocation {
			continue
		}
		if _, ok := byModel[r.Model]; !ok {
			models = append(models, r.Model)
		}
		byModel[r.Model] = append(byModel[r.Model], r)
		if !slices.Contains(families, r.Family) {
			families = append(families, r.Family)
		}
	}
	slices.Sort(models)
	slices.Sort(families)
	at := func(model string, e float64) (PlanRow, bool) {
		i := slices.IndexFunc(byModel[model], func(r PlanRow) bool { return r.MaxError == e })
		if i < 0 {
			return PlanRow{}, false
		}
		return byModel[model][i], true
	}
	var tests []PlanTest
	for _, target := range targets {
		for _, fam := range families {
			var grid []float64
			for _, m := range models {
				if byModel[m][0].Family == fam {
					for _, r := range byModel[m] {
						if !slices.Contains(grid, r.MaxError) {
							grid = append(grid, r.MaxError)
						}
					}
				}
			}
			slices.Sort(grid)
			threshold := grid[0]
			for _, e := range grid {
				if capped && e > target {
					break
				}
				all := true
				for _, m := range models {
					r, ok := at(m, e)
					if byModel[m][0].Family == fam && (!ok || r.Loss() > target) {
						all = false
					}
				}
				if all {
					threshold = e
				}
			}
			for _, m := range models {
				if byModel[m][0].Family == fam {
					continue
				}
				r, ok := at(m, threshold)
				if !ok {
					return nil, fmt.Errorf("plan.csv: %s has no %s plan for a maximum error of %g, which %s calibrated", m, allocation, threshold, fam)
				}
				oracle, ok := oracleOf(sweep, m, target)
				if !ok {
					return nil, fmt.Errorf("sweep.csv has no row of %s: the oracle of its plans is unknown", m)
				}
				tests = append(tests, PlanTest{Target: target, Calibration: fam, Threshold: threshold, Plan: r, Oracle: oracle})
			}
		}
	}
	return tests, nil
}

// oracleOf returns the smallest swept float32 configuration of a model
// (the uncompressed model included) that meets the target: the planner
// chooses ranks, not precisions.
func oracleOf(sweep []SweepRow, model string, target float64) (SweepRow, bool) {
	var best SweepRow
	found := false
	for _, r := range sweep {
		if r.Model == model && r.Precision == rnn.F32 && r.Loss() <= target && (!found || r.Params < best.Params) {
			best, found = r, true
		}
	}
	return best, found
}

// PlanScore counts the tests of one target that meet it, and that do so
// within MaxOracleRatio of the oracle; MedianRatio is the median size over
// the oracle's of those that meet it (NaN for none).
type PlanScore struct {
	Target             float64
	Tests, Met, Within int
	MedianRatio        float64
}

// Score counts the tests of each target.
func Score(tests []PlanTest, targets []float64) []PlanScore {
	var out []PlanScore
	for _, target := range targets {
		s := PlanScore{Target: target}
		var ratios []float64
		for _, t := range tests {
			if t.Target != target {
				continue
			}
			s.Tests++
			if t.Met() {
				s.Met++
				ratios = append(ratios, t.Ratio())
				if t.Ratio() <= MaxOracleRatio*(1+1e-12) {
					s.Within++
				}
			}
		}
		s.MedianRatio = median(ratios)
		out = append(out, s)
	}
	return out
}

// PlanThresholds are the maximum predicted damages plan.csv holds a plan
// for: from 0.1% to 40%, ten a decade (a factor of 1.26 apart), the
// resolution at which a threshold is calibrated.
func PlanThresholds() []float64 {
	var t []float64
	for k := 0; k <= 26; k++ {
		t = append(t, 1e-3*math.Pow(10, float64(k)/10))
	}
	return t
}

// planLabel is a plan's ranks in words: "dense", "joint 24", "24,40", "24".
func planLabel(r PlanRow) string {
	switch {
	case r.Dense:
		return "dense"
	case r.Joint:
		return fmt.Sprintf("joint %d", r.Ranks[0])
	case r.Cell == rnn.MGRU:
		return fmt.Sprintf("%d,%d", r.Ranks[0], r.Ranks[1])
	}
	return strconv.Itoa(r.Ranks[0])
}

// oracleLabel is a sweep row's configuration in words.
func oracleLabel(r SweepRow) string {
	if r.Rank == rnn.Full {
		return "dense"
	}
	return fmt.Sprintf("%s %s", r.Method, r.Rank)
}

// WritePlanTable prints one model's plan curve: per allocation, the
// thresholds at which the plan changes, the plan, its predicted damage and
// its measured loss.
func WritePlanTable(w io.Writer, rows []PlanRow) error {
	if len(rows) == 0 {
		return nil
	}
	r0 := rows[0]
	fmt.Fprintf(w, "\n%s  (%s, %s-%d, predicted %s; measured loss of %s)\n", r0.Model, r0.Task, r0.Cell, r0.Hidden, r0.Measure, r0.MetricName)
	cells := [][]string{{"allocation", "max error", "ranks", "weights", "predicted", "measured loss"}}
	for i, r := range rows {
		if i > 0 && r.Allocation == rows[i-1].Allocation && planLabel(r) == planLabel(rows[i-1]) {
			continue // a threshold that plans what the one before did
		}
		cells = append(cells, []string{r.Allocation, fmt.Sprintf("%.3g", r.MaxError), planLabel(r), strconv.Itoa(r.Params),
			fmt.Sprintf("%.3g", r.Predicted), fmt.Sprintf("%.3g", r.Loss())})
	}
	return table(w, cells)
}

// WritePlan writes a plan of the testbed's model (from the file path),
// made without labels, and what it cost on the held-out set with them.
func WritePlan(w io.Writer, path string, tb *rnn.Testbed, r *rnn.PlanResult) {
	pl, m := r.Plan, tb.Model
	dense := m.RecurrentParams()
	if pl.Dense {
		fmt.Fprintf(w, "%s: %s-%d on %s: keep it dense: no truncation meets the target for less than its %d recurrent weights\n",
			path, m.Cell, m.Hidden, tb.Spec.Name, dense)
		return
	}
	fmt.Fprintf(w, "%s: planned from the held-out inputs, without labels: %s\n", path, pl)
	WriteCompression(w, path, tb, r.Compressed, r.Damage)
}

// sortTests orders tests by target, model and calibration family.
func sortTests(tests []PlanTest) {
	slices.SortStableFunc(tests, func(a, b PlanTest) int {
		return cmp.Or(cmp.Compare(a.Target, b.Target), cmp.Compare(a.Plan.Model, b.Plan.Model), cmp.Compare(a.Calibration, b.Calibration))
	})
}

// PlanFigure draws the held-out tests' planned recurrent weights against
// the oracle's, log-log, one colour per target, with the diagonal and the
// line MaxOracleRatio above it; a plan that misses its target is a cross.
// It writes plan-size.svg and .png into dir and returns the paths.
func PlanFigure(tests []PlanTest, targets []float64, dir string) ([]string, error) {
	if len(tests) == 0 {
		return nil, fmt.Errorf("report: no planner tests to draw")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p := plot.New()
	p.Title.Text = "planned without labels, against the oracle"
	p.X.Label.Text = "oracle's recurrent weights"
	p.Y.Label.Text = "planned recurrent weights"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	lo, hi := math.Inf(1), math.Inf(-1)
	for ti, target := range targets {
		for _, met := range []bool{true, false} {
			var pts plotter.XYs
			for _, t := range tests {
				if t.Target == target && t.Met() == met {
					x, y := float64(t.Oracle.Params), float64(t.Plan.Params)
					pts = append(pts, plotter.XY{X: x, Y: y})
					lo, hi = min(lo, x, y), max(hi, x, y)
				}
			}
			if len(pts) == 0 {
				continue
			}
			s, err := plotter.NewScatter(pts)
			if err != nil {
				return nil, err
			}
			s.Color = levelColors[ti%len(levelColors)]
			s.Shape = draw.CircleGlyph{}
			label := fmt.Sprintf("target %g%%", 100*target)
			if !met {
				s.Shape, label = draw.CrossGlyph{}, label+", missed"
			}
			s.Radius = vg.Points(3)
			p.Add(s)
			p.Legend.Add(label, s)
		}
	}
	if lo < hi {
		for _, k := range []float64{1, MaxOracleRatio} {
			l, err := plotter.NewLine(plotter.XYs{{X: lo, Y: k * lo}, {X: hi, Y: k * hi}})
			if err != nil {
				return nil, err
			}
			if k == 1 {
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
				p.Legend.Add("planned = oracle", l)
			} else {
				l.Dashes = []vg.Length{vg.Points(1), vg.Points(2)}
				p.Legend.Add(fmt.Sprintf("%g × oracle", MaxOracleRatio), l)
			}
			p.Add(l)
		}
	}
	p.Legend.Top, p.Legend.Left = true, true
	return saveGrid([][]*plot.Plot{{p}}, filepath.Join(dir, "plan-size"))
}

// PlanTargets are the metric-loss targets the planner is validated for.
var PlanTargets = []float64{0.01, 0.05}

// planning is REPORT.md's section on choosing the rank without labels:
// the planner held out by task family, its score against the oracle, the
// same for the greedy allocation and without the cap, the figure and the
// table of every test.
func planning(p pf, in Inputs) {
	p("## Choosing the rank without labels\n\n")
	if len(in.Plans) == 0 {
		p("No planner results (%s): `make results` writes them (`lowrank plan -models results/models -csv`).\n\n", in.PlansPath)
		return
	}
	r0 := in.Plans[0]
	p("A device has no labels. `lowrank plan` (and `lowrank compress -max-error E` or `-budget B`) chooses the ranks from the ")
	p("model's input alone (`rnn.Planner`): the input moments for the whitened truncation; the first-order error response of ")
	p("every block of singular components, propagated beside the model (claim 2's perturbation model, for every rank and pair ")
	p("of ranks at once, errors compounding over time and across U_f and U_h); then truncations run beside the dense model on ")
	p("the low-rank kernels, which correct the first-order model where saturation bounds the error. It searches every pair of ")
	p("ranks of U_f and U_h and the joint truncation. Here it bounds the predicted `%s`: the label-free relative loss of the ", r0.Measure)
	p("metric, from the uncompressed model's own outputs (a calibrated classifier's expected loss of accuracy or growth of ")
	p("cross-entropy; for recall, the readout error over the outputs' variance). It reads the inputs of the held-out set, as a ")
	p("deployed model would serve them, never their labels (a test plans from batches that have none). Source: [%s](%s).\n\n", in.PlansPath, in.PlansPath)
	p("Held out by task family: for each target loss and each family, the threshold on the predicted loss is the largest ")
	p("at which the plans of every model of that family meet the target, and never above the target itself (a family on which ")
	p("the prediction runs high, as on text where the models are overconfident, must not loosen the threshold for the others). ")
	p("The models of the other families are planned at it, compressed, and scored with labels on their whole held-out sets, ")
	p("against the oracle: the smallest configuration of the labeled sweep, by either method at any swept rank or the dense ")
	p("model, that meets the target.\n\n")
	var tests []PlanTest
	p("| allocation | threshold | target | held-out tests | meet the target | and within %g× of the oracle's size | median size / oracle's, of those meeting it |\n", MaxOracleRatio)
	p("|---|---|---|---|---|---|---|\n")
	for _, alloc := range []string{AllocSearch, AllocGreedy} {
		for _, capped := range []bool{true, false} {
			ts, err := PlanTests(in.Plans, in.Sweep, alloc, PlanTargets, capped)
			if err != nil {
				p("\n%v\n\n", err)
				return
			}
			if alloc == AllocSearch && capped {
				tests = ts
			}
			for _, s := range Score(ts, PlanTargets) {
				if s.Tests == 0 {
					continue
				}
				p("| %s | %s | %g%% | %d | %d (%.0f%%) | %d (%.0f%%) | %.2f |\n", alloc, map[bool]string{true: "capped", false: "uncapped"}[capped],
					100*s.Target, s.Tests, s.Met, 100*float64(s.Met)/float64(s.Tests), s.Within, 100*float64(s.Within)/float64(s.Tests), s.MedianRatio)
			}
		}
	}
	if len(tests) == 0 {
		p("\nNo held-out test: the models are all of one task family, so no threshold is calibrated on another.\n\n")
		return
	}
	p("\n`search` is the planner; `greedy` the baseline that grows the ranks one at a time by the largest share of a matrix's ")
	p("singular values, blind to compounding and to the joint truncation, at the same thresholds and corrections.\n\n")
	p("![planned against oracle size](%s/plan-size.svg)\n\n", in.Figures)
	sortTests(tests)
	p("Every test of the planner (capped thresholds):\n\n")
	p("| model | target | calibrated on | threshold | plan | weights | oracle | weights | ratio | measured loss |\n")
	p("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, t := range tests {
		miss := ""
		if !t.Met() {
			miss = " (missed)"
		}
		p("| %s | %g%% | %s | %.3g | %s | %d | %s | %d | %.2f | %s%s |\n", t.Plan.Model, 100*t.Target, t.Calibration, t.Threshold,
			planLabel(t.Plan), t.Plan.Params, oracleLabel(t.Oracle), t.Oracle.Params, t.Ratio(), t.Plan.formatLoss(), miss)
	}
	p("\nThe measured loss carries the standard error of the plan's metric over the held-out set, relative to the ")
	p("uncompressed metric.\n")
	p("\nA whole plan of a 128-unit model, from the first frame to the choice, is one benchmark: ")
	p("`go test -run '^$' -bench Plan ./rnn` (BenchmarkPlan/cell=…/n=…, with its CPU time).\n\n")
}
