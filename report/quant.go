package report

import (
	"cmp"
	"fmt"
	"image/color"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/lowrank-rnn/lowrank/rnn"
)

// "Rank or bits?": at a byte budget, is it better to truncate the rank, to
// quantize the weights, or both? The sweep's precision axis answers it per
// model, from the same rows as the rank sweep.

// budgets are the fractions of the float32 recurrent bytes the report
// answers for.
var budgets = []float64{0.25, 0.10, 0.05}

// precisionColors and methodShapes mark the rows of a Pareto figure.
var (
	precisionColors = map[rnn.Precision]int{rnn.F32: 0, rnn.BF16: 1, rnn.Int8: 2}
	methodShapes    = map[rnn.Method]draw.GlyphDrawer{
		"": draw.BoxGlyph{}, rnn.SVD: draw.CircleGlyph{}, rnn.Whitened: draw.TriangleGlyph{},
	}
)

// byteFraction is a row's recurrent bytes over its model's float32 dense
// bytes.
func byteFraction(r SweepRow, dense map[string]int) float64 {
	return float64(r.Bytes) / float64(dense[r.Model])
}

// denseBytes returns each model's float32 dense recurrent bytes.
func denseBytes(rows []SweepRow) map[string]int {
	d := map[string]int{}
	for m, r := range references(rows) {
		d[m] = r.Bytes
	}
	return d
}

// references returns each model's uncompressed float32 row: the one its
// fractions kept are of.
func references(rows []SweepRow) map[string]SweepRow {
	refs := map[string]SweepRow{}
	for _, r := range rows {
		if r.Rank == rnn.Full && r.Method == "" && r.Precision == rnn.F32 {
			refs[r.Model] = r
		}
	}
	return refs
}

// combination names a row's compression: "int8 dense", "f32 svd r=16".
func combination(r SweepRow) string {
	if r.Rank == rnn.Full {
		return string(r.Precision) + " dense"
	}
	j := ""
	if r.Joint {
		j = " joint"
	}
	return fmt.Sprintf("%s %s%s r=%s", r.Precision, r.Method, j, r.Rank)
}

// best returns the row of model that keeps the most of the metric within
// the byte budget (a fraction of the float32 dense bytes), the fewer bytes
// on a tie, and whether any row fits. keep filters the candidates.
func best(rows []SweepRow, model string, budget float64, dense map[string]int, keep func(SweepRow) bool) (SweepRow, bool) {
	var out SweepRow
	found := false
	for _, r := range rows {
		if r.Model != model || byteFraction(r, dense) > budget+1e-12 || !keep(r) {
			continue
		}
		if !found || r.Kept() > out.Kept() || (r.Kept() == out.Kept() && r.Bytes < out.Bytes) {
			out, found = r, true
		}
	}
	return out, found
}

// hasPrecisions reports whether rows hold more than float32 rows.
func hasPrecisions(rows []SweepRow) bool {
	return slices.ContainsFunc(rows, func(r SweepRow) bool { return r.Precision != rnn.F32 })
}

// ParetoFigures draws, per task family, the fraction of the metric kept
// against the recurrent bytes (a fraction of the float32 dense model's,
// log scale) of every row of the sweep, in a grid of cells (rows) ×
// coherence levels (columns): colour by precision, shape by method (a
// square for the dense model), each method's ranks joined per precision,
// grey lines at the budgets of the report's answers.
// Each family's figure goes to dir/pareto-<family>.svg and .png.
func ParetoFigures(rows []SweepRow, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	dense := denseBytes(rows)
	var written []string
	for _, g := range groups {
		cells := cellsOf(rows)
		var grid [][]*plot.Plot
		for _, cell := range cells {
			var line []*plot.Plot
			for _, lv := range levelsOf(rows, cell, g.name) {
				p, err := paretoPlot(rows, dense, cell, g.name, lv)
				if err != nil {
					return written, err
				}
				line = append(line, p)
			}
			if len(line) > 0 {
				grid = append(grid, line)
			}
		}
		if len(grid) == 0 {
			continue
		}
		paths, err := saveGrid(grid, filepath.Join(dir, "pareto-"+g.name))
		written = append(written, paths...)
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// paretoPlot is one panel of a Pareto figure: one model.
func paretoPlot(rows []SweepRow, dense map[string]int, cell, family, level string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s, %s %s", cell, family, level)
	p.X.Label.Text = "recurrent bytes, fraction of float32 dense"
	p.Y.Label.Text = "fraction of the metric kept"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Min, p.Y.Max = 0, 1.05
	p.Legend.Top, p.Legend.Left = false, false
	type key struct {
		m rnn.Method
		p rnn.Precision
	}
	series := map[key]plotter.XYs{}
	for _, r := range rows {
		c := r.Coherence
		if c.Family != family || c.Level != level || string(r.Cell) != cell || !(r.Bytes > 0) {
			continue
		}
		k := key{r.Method, r.Precision}
		series[k] = append(series[k], plotter.XY{X: byteFraction(r, dense), Y: max(0, min(1.05, r.Kept()))})
	}
	keys := make([]key, 0, len(series))
	for k := range series {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(precisionColors[a.p], precisionColors[b.p]), cmp.Compare(a.m, b.m))
	})
	for _, b := range budgets { // the budgets the report answers for
		l, err := plotter.NewLine(plotter.XYs{{X: b, Y: 0}, {X: b, Y: 1.05}})
		if err != nil {
			return nil, err
		}
		l.Color = color.Gray{Y: 160}
		l.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(l)
	}
	for _, k := range keys {
		pts := series[k]
		slices.SortFunc(pts, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
		col := levelColors[precisionColors[k.p]%len(levelColors)]
		name := string(k.p) + " dense"
		if k.m != "" {
			name = fmt.Sprintf("%s %s", k.p, k.m)
		}
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		s.Color, s.Shape = col, methodShapes[k.m]
		if len(pts) > 1 {
			l, err := plotter.NewLine(pts)
			if err != nil {
				return nil, err
			}
			l.Color = col
			if k.m == rnn.Whitened {
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			}
			p.Add(l)
		}
		p.Add(s)
		p.Legend.Add(name, s)
	}
	return p, nil
}

// rankOrBits writes REPORT.md's "Rank or bits?" section.
func rankOrBits(p pf, in Inputs) {
	rows := in.Sweep
	if !hasPrecisions(rows) {
		return
	}
	dense := denseBytes(rows)
	models := modelsOf(rows)
	p("## Rank or bits?\n\n")
	p("A deployer with a byte budget for the recurrent weights can truncate the rank, store the weights in fewer bits, or both. ")
	p("The sweep stores the dense model and every truncation below n/2 in float32, bf16 and int8 (a truncation to n/2 or more reads more bytes ")
	p("than the dense model in the same precision), int8 being integers in [−64, 64] with a float32 scale per row, ")
	p("the state quantized to 8 bits at every product, as RNNoise and Opus do (the kernels package specifies the arithmetic to the bit); ")
	p("and evaluates each on the deployed kernels, with no fine-tuning. Bytes are the recurrent weights a step reads, int8 scales included, ")
	p("so an int8 dense matrix reads n² + 4n bytes: %.1f%% of its float32 bytes at n = 128.\n\n", 100*(128.0*128+4*128)/(4*128*128))
	for _, g := range groups {
		if slices.ContainsFunc(rows, func(r SweepRow) bool { return r.Coherence.Family == g.name }) {
			p("![Pareto, %s](%s/pareto-%s.svg)\n\n", g.title, in.Figures, g.name)
		}
	}
	p("What keeps the most of each model's metric within %s of the float32 bytes (the fraction kept in brackets, ", budgetList())
	p("± its standard error; beside it, the best float32 truncation within the same budget):\n\n")
	p("| model |")
	for _, b := range budgets {
		p(" %.0f%% |", 100*b)
	}
	p("\n|---|")
	for range budgets {
		p("---|")
	}
	p("\n")
	all := func(SweepRow) bool { return true }
	f32 := func(r SweepRow) bool { return r.Precision == rnn.F32 }
	type tally struct{ rankOnly, bitsOnly, both, none int }
	tallies := make([]tally, len(budgets))
	refs := references(rows)
	for _, model := range models {
		p("| %s |", model)
		for i, b := range budgets {
			r, ok := best(rows, model, b, dense, all)
			if !ok {
				p(" nothing fits |")
				tallies[i].none++
				continue
			}
			switch {
			case r.Precision == rnn.F32:
				tallies[i].rankOnly++
			case r.Rank == rnn.Full:
				tallies[i].bitsOnly++
			default:
				tallies[i].both++
			}
			p(" %s (%s)", combination(r), formatKept(r, refs[model]))
			if r.Precision != rnn.F32 {
				if f, ok := best(rows, model, b, dense, f32); ok {
					p("; f32: %s (%s)", combination(f), formatKept(f, refs[model]))
				} else {
					p("; f32: nothing fits")
				}
			}
			p(" |")
		}
		p("\n")
	}
	p("\n")
	familyAnswers(p, rows, dense)
	for i, b := range budgets {
		t := tallies[i]
		p("At %.0f%% of the float32 bytes, on the %d models: fewer bits alone (a dense bf16 or int8 model) win on %d, ", 100*b, len(models), t.bitsOnly)
		p("fewer bits and a lower rank together on %d, a lower rank alone (float32) on %d", t.both, t.rankOnly)
		if t.none > 0 {
			p(", and nothing swept fits on %d", t.none)
		}
		p(".\n")
	}
	denseNote(p, rows, dense, refs)
	p("\n")
	quantPrediction(p, rows, models)
}

// familyAnswers gives the plain answer per task family: the combination
// (precision, method, rank) that wins most often at each budget.
func familyAnswers(p pf, rows []SweepRow, dense map[string]int) {
	all := func(SweepRow) bool { return true }
	for _, g := range groups {
		var models []string
		for _, m := range modelsOf(rows) {
			if slices.ContainsFunc(rows, func(r SweepRow) bool { return r.Model == m && r.Coherence.Family == g.name }) {
				models = append(models, m)
			}
		}
		if len(models) == 0 {
			continue
		}
		p("**%s** (%d models):", g.title, len(models))
		for i, b := range budgets {
			count := map[string]int{}
			for _, m := range models {
				if r, ok := best(rows, m, b, dense, all); ok {
					count[combination(r)]++
				}
			}
			top, n := "nothing fits", 0
			for _, c := range slices.Sorted(maps.Keys(count)) {
				if count[c] > n {
					top, n = c, count[c]
				}
			}
			sep := ";"
			if i == len(budgets)-1 {
				sep = "."
			}
			p(" at %.0f%%, %s (%d of %d)%s", 100*b, top, n, len(models), sep)
		}
		p("\n\n")
	}
}

// denseNote says what the dense quantized models read and keep: the
// answer just above a budget that a scale per row puts them over.
func denseNote(p pf, rows []SweepRow, dense map[string]int, refs map[string]SweepRow) {
	for _, prec := range []rnn.Precision{rnn.Int8, rnn.BF16} {
		frac, count := 0.0, 0
		var worst SweepRow
		for _, r := range rows {
			if r.Rank == rnn.Full && r.Precision == prec {
				if count == 0 || r.Kept() < worst.Kept() {
					worst = r
				}
				frac, count = max(frac, byteFraction(r, dense)), count+1
			}
		}
		if count > 0 {
			p("The dense %s models read %.1f%% of the float32 bytes and keep at least %s of the metric on all %d models (%s).\n",
				prec, 100*frac, formatKept(worst, refs[worst.Model]), count, worst.Model)
		}
	}
}

func budgetList() string {
	s := ""
	for i, b := range budgets {
		switch {
		case i == len(budgets)-1:
			s += " and "
		case i > 0:
			s += ", "
		}
		s += fmt.Sprintf("%.0f%%", 100*b)
	}
	return s
}

// quantPrediction says how well the first-order model, fed the change of
// the weights by quantization as ΔU, ranks the damage of quantizing each
// dense model.
func quantPrediction(p pf, rows []SweepRow, models []string) {
	for _, prec := range []rnn.Precision{rnn.Int8, rnn.BF16} {
		var measured, predicted []float64
		var worst SweepRow
		for _, model := range models {
			i := slices.IndexFunc(rows, func(r SweepRow) bool {
				return r.Model == model && r.Rank == rnn.Full && r.Precision == prec
			})
			if i < 0 {
				continue
			}
			r := rows[i]
			measured, predicted = append(measured, r.RelErr), append(predicted, r.Predicted)
			if r.Kept() < worst.Kept() || worst.Model == "" {
				worst = r
			}
		}
		if len(measured) < 3 {
			continue
		}
		ratios := make([]float64, len(measured))
		for i := range measured {
			ratios[i] = predicted[i] / measured[i]
		}
		p("Quantizing the dense models to %s: the relative state error, measured on the %s kernels, runs from %.3g to %.3g; ",
			prec, prec, slices.Min(measured), slices.Max(measured))
		p("the first-order model, fed the weights' change as ΔU alone, ranks the %d models with Spearman %.2f ",
			len(measured), spearman(measured, predicted))
		p("and predicts %.2f× the measured error in the median (the rest is the state's own quantization, which ΔU does not carry). ",
			median(ratios))
		p("The worst kept fraction is %s (%s).\n\n", formatKept(worst, references(rows)[worst.Model]), worst.Model)
	}
}
