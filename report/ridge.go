package report

import (
	"fmt"
	"image/color"
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

// RidgeRow is one point of the linear network check's estimator paths
// (rnn.LinearRidgePaths; lowrank memory -ridge-csv): the network's name and
// the point. The test runs' curve of a chosen point is not kept.
type RidgeRow struct {
	Net string
	rnn.RidgePoint
}

// RidgeRows returns the points of the network named net.
func RidgeRows(net string, pts []rnn.RidgePoint) []RidgeRow {
	out := make([]RidgeRow, len(pts))
	for i, p := range pts {
		p.Test.Curve = nil
		out[i] = RidgeRow{Net: net, RidgePoint: p}
	}
	return out
}

// ridgeColumns is the ridge CSV format: one line per point; mc_test and
// ci95_test only on the chosen points.
var ridgeColumns = []column[RidgeRow]{
	{"net", func(r *RidgeRow) string { return r.Net }, set(nonEmpty, func(r *RidgeRow) *string { return &r.Net })},
	{"rank", func(r *RidgeRow) string { return r.Rank.String() }, set(parseRank, func(r *RidgeRow) *rnn.Rank { return &r.Rank })},
	{"estimator", func(r *RidgeRow) string { return string(r.Estimator) },
		set(parseEstimator, func(r *RidgeRow) *rnn.Estimator { return &r.Estimator })},
	{"lambda", func(r *RidgeRow) string { return strconv.FormatFloat(r.Lambda, 'g', -1, 64) },
		set(parseFloat, func(r *RidgeRow) *float64 { return &r.Lambda })},
	{"mc_valid", func(r *RidgeRow) string { return formatF(r.Valid) }, set(parseFloat, func(r *RidgeRow) *float64 { return &r.Valid })},
	{"chosen", func(r *RidgeRow) string { return strconv.FormatBool(r.Chosen) }, set(strconv.ParseBool, func(r *RidgeRow) *bool { return &r.Chosen })},
	{"mc_test", func(r *RidgeRow) string { return chosenF(r, r.Test.MC) }, set(parseOptional, func(r *RidgeRow) *float64 { return &r.Test.MC })},
	{"ci95_test", func(r *RidgeRow) string { return chosenF(r, r.Test.CI) }, set(parseOptional, func(r *RidgeRow) *float64 { return &r.Test.CI })},
}

// chosenF formats v on a chosen point, or leaves the cell empty.
func chosenF(r *RidgeRow, v float64) string {
	if !r.Chosen {
		return ""
	}
	return formatF(v)
}

// parseOptional parses a number, or an empty cell as NaN, which the
// reader then requires exactly off the chosen points.
func parseOptional(s string) (float64, error) {
	if s == "" {
		return math.NaN(), nil
	}
	return parseFloat(s)
}

func parseEstimator(s string) (rnn.Estimator, error) {
	e := rnn.Estimator(s)
	if !slices.Contains(rnn.Estimators, e) {
		return "", fmt.Errorf("unknown estimator %q", s)
	}
	return e, nil
}

// WriteRidgeCSV writes points as a ridge CSV file.
func WriteRidgeCSV(w io.Writer, rows []RidgeRow) error { return writeCSV(w, ridgeColumns, rows) }

// ReadRidgeCSV reads what WriteRidgeCSV wrote. Besides a field that does
// not parse it rejects test values off a chosen point or missing on one,
// and a second chosen point of a network, rank and estimator.
func ReadRidgeCSV(r io.Reader) ([]RidgeRow, error) {
	rows, err := readCSV(r, ridgeColumns)
	if err != nil {
		return nil, err
	}
	type key struct {
		net string
		r   rnn.Rank
		e   rnn.Estimator
	}
	chosen := map[key]bool{}
	for i := range rows {
		r := &rows[i]
		has := !math.IsNaN(r.Test.MC) && !math.IsNaN(r.Test.CI)
		k := key{r.Net, r.Rank, r.Estimator}
		switch {
		case r.Chosen != has:
			return nil, fmt.Errorf("line %d: chosen %v, but mc_test and ci95_test are %s", i+2, r.Chosen,
				map[bool]string{true: "set", false: "not both set"}[has])
		case r.Chosen && chosen[k]:
			return nil, fmt.Errorf("line %d: a second chosen λ for %s rank %s, %s", i+2, r.Net, r.Rank, r.Estimator)
		}
		chosen[k] = chosen[k] || r.Chosen
		if r.Chosen {
			r.Test.Lambda = r.Lambda
		} else {
			r.Test = rnn.Capacity{}
		}
	}
	return rows, nil
}

// ReadRidgeFile reads a ridge CSV file.
func ReadRidgeFile(path string) ([]RidgeRow, error) { return readFile(path, ReadRidgeCSV) }

// estimatorTitles name the estimators in the figure's legend.
var estimatorTitles = map[rnn.Estimator]string{
	rnn.EstimatorSVD:       "float64 states, SVD",
	rnn.EstimatorNormal:    "float64 states, normal equations",
	rnn.EstimatorF32States: "float32 states, SVD",
	rnn.EstimatorF32:       "all float32, normal equations",
}

// RidgeFigure draws, for each network of the points, how its measured
// capacity depends on the ridge penalty and the estimator: one panel per
// rank, the validation run's capacity against λ for each estimator, the
// chosen λ ringed, and the theory's capacity (from the linear rows of the
// memory CSV, if given) dashed. It writes dir/ridge-<net>.svg and .png and
// returns the paths.
func RidgeFigure(points []RidgeRow, linear []MemoryRow, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var written []string
	var nets []string
	for _, p := range points {
		if !slices.Contains(nets, p.Net) {
			nets = append(nets, p.Net)
		}
	}
	for _, net := range nets {
		var ranks []rnn.Rank
		for _, p := range points {
			if p.Net == net && !slices.Contains(ranks, p.Rank) {
				ranks = append(ranks, p.Rank)
			}
		}
		// One panel a rank, four a row, and the legend in a panel of its own
		// after them, where it hides no curve.
		const cols = 4
		grid := make([][]*plot.Plot, (len(ranks)+cols)/cols)
		for i := range grid {
			grid[i] = make([]*plot.Plot, cols)
		}
		for i, r := range ranks {
			p, err := ridgePanel(points, linear, net, r)
			if err != nil {
				return written, err
			}
			grid[i/cols][i%cols] = p
		}
		grid[len(ranks)/cols][len(ranks)%cols] = ridgeKey()
		paths, err := saveGrid(grid, filepath.Join(dir, "ridge-"+net))
		written = append(written, paths...)
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// decadeTicks marks every second decade of a log axis and labels every
// eighth, 1e-36 … 1e-4: LogTicks labels all 35 decades of the λ grid
// on top of each other.
type decadeTicks struct{}

func (decadeTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		if int(e)%2 != 0 {
			continue
		}
		t := plot.Tick{Value: math.Pow(10, e)}
		if int(e)%8 == 4 || int(e)%8 == -4 {
			t.Label = fmt.Sprintf("1e%d", int(e))
		}
		ts = append(ts, t)
	}
	return ts
}

// ridgeKey is RidgeFigure's legend, a panel of its own.
func ridgeKey() *plot.Plot {
	key := plot.New()
	key.HideAxes()
	key.Legend.Top, key.Legend.Left = true, true
	key.Legend.XOffs = -vg.Inch // the panel has no axis to make room for
	for ei, e := range rnn.Estimators {
		l := &plotter.Line{LineStyle: draw.LineStyle{Color: levelColors[ei%len(levelColors)], Width: vg.Points(1)}}
		key.Legend.Add(estimatorTitles[e], l)
	}
	ring := &plotter.Scatter{GlyphStyle: draw.GlyphStyle{Color: color.Black, Shape: draw.RingGlyph{}, Radius: vg.Points(5)}}
	key.Legend.Add("λ validation chooses", ring)
	theory := &plotter.Line{LineStyle: draw.LineStyle{Color: color.Black, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}}
	key.Legend.Add("theory", theory)
	return key
}

// ridgePanel is one rank's panel of RidgeFigure.
func ridgePanel(points []RidgeRow, linear []MemoryRow, net string, r rnn.Rank) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s, rank %s", net, r)
	p.X.Label.Text = "ridge λ (relative to the mean state variance)"
	p.Y.Label.Text = "MC on the validation run"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = decadeTicks{}
	lo, hi := math.Inf(1), math.Inf(-1)
	for ei, e := range rnn.Estimators {
		var line, chosen plotter.XYs
		for _, pt := range points {
			if pt.Net == net && pt.Rank == r && pt.Estimator == e {
				line = append(line, plotter.XY{X: pt.Lambda, Y: pt.Valid})
				lo, hi = min(lo, pt.Lambda), max(hi, pt.Lambda)
				if pt.Chosen {
					chosen = append(chosen, plotter.XY{X: pt.Lambda, Y: pt.Valid})
				}
			}
		}
		if len(line) == 0 {
			continue
		}
		col := levelColors[ei%len(levelColors)]
		l, s, err := plotter.NewLinePoints(line)
		if err != nil {
			return nil, err
		}
		l.Color, s.Color = col, col
		s.Shape, s.Radius = draw.CircleGlyph{}, vg.Points(1.5)
		p.Add(l, s)
		if len(chosen) > 0 {
			c, err := plotter.NewScatter(chosen)
			if err != nil {
				return nil, err
			}
			c.Color, c.Shape, c.Radius = col, draw.RingGlyph{}, vg.Points(5)
			p.Add(c)
		}
	}
	for _, m := range linear {
		if m.Net == net && m.Rank == r && m.Linear() && lo < hi {
			l, err := plotter.NewLine(plotter.XYs{{X: lo, Y: m.Theory.MC}, {X: hi, Y: m.Theory.MC}})
			if err != nil {
				return nil, err
			}
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			p.Add(l)
		}
	}
	return p, nil
}

// WriteRidge writes the estimator paths to the ridge CSV file path and,
// if dir is not "", their figure (RidgeFigure) into dir.
func WriteRidge(path, dir string, rows []RidgeRow, linear []MemoryRow) error {
	if err := WriteFile(path, func(w io.Writer) error { return WriteRidgeCSV(w, rows) }); err != nil || dir == "" {
		return err
	}
	_, err := RidgeFigure(rows, linear, dir)
	return err
}
