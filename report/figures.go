package report

import (
	"cmp"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
	"github.com/lowrank-rnn/lowrank/rnn"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// Kept is the fraction of the uncompressed model's metric a row keeps,
// higher is better for every task: MetricRel for accuracy and memory
// capacity, its inverse for bits per character.
func (r SweepRow) Kept() float64 {
	if r.MetricName == "bits/char" {
		return 1 / r.MetricRel
	}
	return r.MetricRel
}

var levelColors = []color.Color{
	color.RGBA{R: 31, G: 119, B: 180, A: 255},
	color.RGBA{R: 255, G: 127, B: 14, A: 255},
	color.RGBA{R: 44, G: 160, B: 44, A: 255},
	color.RGBA{R: 214, G: 39, B: 40, A: 255},
	color.RGBA{R: 148, G: 103, B: 189, A: 255},
}

var groups = []struct{ name, title string }{
	{"recall", "delayed recall"},
	{"seqmnist", "row-sequential MNIST"},
	{"text", "next character"},
}

// SweepFigures writes the figures of a rank sweep into dir, SVG and PNG:
// the coherence and retention figures of each method (CoherenceFigures)
// and the perturbation figure (PerturbationFigure) of the float32 rows,
// and the Pareto figures of the precisions (ParetoFigures) when the sweep
// has them. It returns the paths.
func SweepFigures(rows []SweepRow, methods []rnn.Method, dir string) ([]string, error) {
	var written []string
	f32 := F32Rows(rows)
	for _, method := range methods {
		paths, err := CoherenceFigures(f32, string(method), dir)
		written = append(written, paths...)
		if err != nil {
			return written, err
		}
	}
	paths, err := PerturbationFigure(f32, dir)
	written = append(written, paths...)
	if err != nil || !hasPrecisions(rows) {
		return written, err
	}
	paths, err = ParetoFigures(rows, dir)
	return append(written, paths...), err
}

// CoherenceFigures draws, for one truncation method, the damage against the
// rank with one curve per coherence level, in a grid of cells (rows) × task
// families (columns): coherence-<method> (relative hidden-state error,
// measured, with the first-order prediction dashed) and
// retention-<method> (fraction of the metric kept). Each is written as
// SVG and PNG in dir; it returns the paths.
func CoherenceFigures(rows []SweepRow, method, dir string) ([]string, error) {
	var written []string
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for _, fig := range []struct {
		name, ylabel string
		value        func(SweepRow) float64
		predicted    func(SweepRow) float64
		logY         bool
	}{
		{"coherence", "relative hidden-state error", func(r SweepRow) float64 { return r.RelErr },
			func(r SweepRow) float64 { return r.Predicted }, true},
		{"retention", "fraction of the metric kept", SweepRow.Kept, nil, false},
	} {
		cells := cellsOf(rows)
		if len(cells) == 0 || len(presentGroups(rows)) == 0 {
			return written, fmt.Errorf("report: no rows for method %q", method)
		}
		present := presentGroups(rows)
		grid := make([][]*plot.Plot, len(cells))
		for i, cell := range cells {
			for _, g := range present {
				p := plot.New()
				p.Title.Text = fmt.Sprintf("%s, %s", cell, g.title)
				p.X.Label.Text = "rank"
				p.Y.Label.Text = fig.ylabel
				p.X.Scale = plot.LogScale{}
				p.X.Tick.Marker = plot.LogTicks{Prec: -1}
				if fig.logY {
					p.Y.Scale = plot.LogScale{}
					p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
				} else {
					p.Y.Min, p.Y.Max = 0, 1.05
				}
				// Bottom right: below the curves that rise to 1, and below
				// the errors that fall with rank.
				p.Legend.Top, p.Legend.Left = false, false
				levels := levelsOf(rows, cell, g.name)
				for li, lv := range levels {
					var pts, pred plotter.XYs
					for _, r := range rows {
						c := r.Coherence
						if c.Family != g.name || c.Level != lv || string(r.Cell) != cell || string(r.Method) != method || r.Rank == rnn.Full {
							continue
						}
						v := fig.value(r)
						if fig.logY && !(v > 0) {
							continue
						}
						pts = append(pts, plotter.XY{X: float64(r.Rank), Y: v})
						if fig.predicted != nil && r.Predicted > 0 {
							pred = append(pred, plotter.XY{X: float64(r.Rank), Y: fig.predicted(r)})
						}
					}
					if len(pts) == 0 {
						continue
					}
					slices.SortFunc(pts, func(a, b plotter.XY) int { return int(a.X - b.X) })
					slices.SortFunc(pred, func(a, b plotter.XY) int { return int(a.X - b.X) })
					col := levelColors[li%len(levelColors)]
					l, s, err := plotter.NewLinePoints(pts)
					if err != nil {
						return written, err
					}
					l.Color, s.Color = col, col
					s.Shape = draw.CircleGlyph{}
					p.Add(l, s)
					p.Legend.Add(lv, l, s)
					if len(pred) > 0 {
						pl, err := plotter.NewLine(pred)
						if err != nil {
							return written, err
						}
						pl.Color = col
						pl.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
						p.Add(pl)
					}
				}
				grid[i] = append(grid[i], p)
			}
		}
		paths, err := saveGrid(grid, filepath.Join(dir, fig.name+"-"+method))
		written = append(written, paths...)
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// PerturbationFigure plots the predicted against the measured relative
// hidden-state error of every compressed row, log-log, with the line y = x:
// the first-order model beside the tangent model, into
// dir/perturbation.svg and .png.
func PerturbationFigure(rows []SweepRow, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var panels []*plot.Plot
	for _, pr := range predictors {
		p, err := perturbationPanel(rows, pr.title, pr.of)
		if err != nil {
			return nil, err
		}
		panels = append(panels, p)
	}
	return saveGrid([][]*plot.Plot{panels}, filepath.Join(dir, "perturbation"))
}

// predictors are the label-free predictions of the state error in a sweep
// row, in the order the report shows them.
var predictors = []struct {
	name, title string
	of          func(SweepRow) float64
}{
	{"first-order", "first-order model (linearised along the trajectory)", func(r SweepRow) float64 { return r.Predicted }},
	{"tangent", "tangent model (propagated through U + ΔU)", func(r SweepRow) float64 { return r.Tangent }},
}

func perturbationPanel(rows []SweepRow, title string, predicted func(SweepRow) float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "measured relative hidden-state error"
	p.Y.Label.Text = "predicted"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	lo, hi := math.Inf(1), math.Inf(-1)
	for ci, cell := range cellsOf(rows) {
		var pts plotter.XYs
		for _, r := range rows {
			if y := predicted(r); string(r.Cell) == cell && r.Rank != rnn.Full && r.RelErr > 0 && y > 0 {
				pts = append(pts, plotter.XY{X: r.RelErr, Y: y})
				lo, hi = min(lo, r.RelErr, y), max(hi, r.RelErr, y)
			}
		}
		if len(pts) == 0 {
			continue
		}
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		s.Color = levelColors[ci]
		s.Shape = draw.CircleGlyph{}
		p.Add(s)
		p.Legend.Add(cell, s)
	}
	if lo < hi {
		diag, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}})
		if err != nil {
			return nil, err
		}
		diag.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(diag)
		p.Legend.Add("predicted = measured", diag)
	}
	p.Legend.Top, p.Legend.Left = true, true
	return p, nil
}

// presentGroups returns the task families that have compressed rows.
func presentGroups(rows []SweepRow) []struct{ name, title string } {
	var out []struct{ name, title string }
	for _, g := range groups {
		if slices.ContainsFunc(rows, func(r SweepRow) bool {
			return r.Coherence.Family == g.name && r.Rank != rnn.Full && r.RelErr > 0
		}) {
			out = append(out, g)
		}
	}
	return out
}

func cellsOf(rows []SweepRow) []string {
	var cells []string
	for _, r := range rows {
		if !slices.Contains(cells, string(r.Cell)) {
			cells = append(cells, string(r.Cell))
		}
	}
	slices.Sort(cells)
	return cells
}

// levelsOf returns a family's coherence levels, from the most coherent.
func levelsOf(rows []SweepRow, cell, family string) []string {
	var levels []task.Coherence
	for _, r := range rows {
		c := r.Coherence
		if c.Family == family && string(r.Cell) == cell &&
			!slices.ContainsFunc(levels, func(l task.Coherence) bool { return l.Level == c.Level }) {
			levels = append(levels, c)
		}
	}
	slices.SortFunc(levels, func(a, b task.Coherence) int { return cmp.Compare(b.Order, a.Order) })
	names := make([]string, len(levels))
	for i, l := range levels {
		names[i] = l.Level
	}
	return names
}

// saveGrid draws a grid of plots into base.svg and base.png.
func saveGrid(grid [][]*plot.Plot, base string) ([]string, error) {
	rows, cols := len(grid), 0
	for _, r := range grid {
		cols = max(cols, len(r))
	}
	w, h := vg.Length(cols)*4.2*vg.Inch, vg.Length(rows)*3.2*vg.Inch
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	var written []string
	for _, ext := range []string{".svg", ".png"} {
		var c interface {
			vg.CanvasSizer
		}
		var write func(io.Writer) error
		if ext == ".svg" {
			sc := vgsvg.New(w, h)
			c, write = sc, func(f io.Writer) error { _, err := sc.WriteTo(f); return err }
		} else {
			ic := vgimg.New(w, h)
			c, write = ic, func(f io.Writer) error { _, err := vgimg.PngCanvas{Canvas: ic}.WriteTo(f); return err }
		}
		dc := draw.New(c)
		canvases := plot.Align(grid, tiles, dc)
		for i := range grid {
			for j, p := range grid[i] {
				p.Draw(canvases[i][j])
			}
		}
		if err := atomicfile.Write(base+ext, write, nil); err != nil {
			return written, err
		}
		written = append(written, base+ext)
	}
	return written, nil
}
