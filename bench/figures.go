package bench

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
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
)

// WriteFigures draws the summary's figures into dir, each as SVG and PNG,
// named kernels-<cpu-slug>-…, and returns the paths written:
//
//   - lowrank-n256, lowrank-n512: time of one low-rank product y = U(Vx)
//     against the rank, one line per implementation, with the dense
//     product of the same implementation dashed: where each rank pays off;
//   - roofline-matvec, roofline-lowrank: the fraction of the roofline of
//     each implementation for each size (dense; rank 32), with the cache
//     level that holds the weights.
//
// A figure whose benchmarks are not in the summary is skipped.
func (s *Summary) WriteFigures(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	slug := s.Config["cpu-slug"]
	if slug == "" {
		slug = "unknown-cpu"
	}
	var written []string
	save := func(p *plot.Plot, name string) error {
		for _, ext := range []string{".svg", ".png"} {
			path := filepath.Join(dir, "kernels-"+slug+"-"+name+ext)
			wt, err := p.WriterTo(7*vg.Inch, 4.5*vg.Inch, ext[1:])
			if err == nil {
				err = atomicfile.Write(path, func(w io.Writer) error { _, err := wt.WriteTo(w); return err }, nil)
			}
			if err != nil {
				return fmt.Errorf("writing %s: %v", path, err)
			}
			written = append(written, path)
		}
		return nil
	}
	for _, n := range []int{256, 512} {
		p, ok, err := s.rankFigure(n)
		if err != nil {
			return written, err
		}
		if ok {
			if err := save(p, "lowrank-n"+strconv.Itoa(n)); err != nil {
				return written, err
			}
		}
	}
	for _, f := range []struct {
		name, group string
		rank        int
	}{{"roofline-matvec", "MatVec", 0}, {"roofline-lowrank", "LowRank", 32}} {
		p, ok, err := s.roofFigure(f.group, f.rank)
		if err != nil {
			return written, err
		}
		if ok {
			if err := save(p, f.name); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// implStyle returns the colour and glyph shape of impl, the same in every
// figure.
func implStyle(impl string) (c draw.LineStyle, shape draw.GlyphDrawer) {
	i := implRank(impl)
	c = plotter.DefaultLineStyle
	c.Color = implColors[i%len(implColors)]
	c.Width = vg.Points(1.5)
	return c, plotutil.Shape(i)
}

// implColors are the colours of implOrder's impls (Tableau 10): our
// targets in greys, greens and blues, the peers in warm colours.
var implColors = []color.Color{
	color.RGBA{0x7f, 0x7f, 0x7f, 0xff}, // go
	color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, // avx2
	color.RGBA{0x1f, 0x77, 0xb4, 0xff}, // avx512
	color.RGBA{0x17, 0xbe, 0xcf, 0xff}, // neon
	color.RGBA{0x00, 0x00, 0x00, 0xff}, // best
	color.RGBA{0xff, 0x7f, 0x0e, 0xff}, // gonum
	color.RGBA{0xd6, 0x27, 0x28, 0xff}, // openblas
	color.RGBA{0x94, 0x67, 0xbd, 0xff}, // simd
	color.RGBA{0x8c, 0x56, 0x4b, 0xff}, // others
}

// implsOf returns the impls of the rows that keep, in column order.
func (s *Summary) implsOf(keep func(SummaryRow) bool) []string {
	var out []string
	for _, r := range s.Rows {
		if keep(r) && !slices.Contains(out, r.Impl) {
			out = append(out, r.Impl)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return implRank(a) - implRank(b) })
	return out
}

func (s *Summary) title(what string) string {
	cpu := s.Config["cpu"]
	if slug := s.Config["cpu-slug"]; slug != "" {
		cpu = slug
	}
	return what + " — " + cpu
}

// rankFigure plots the time of LowRank/n=n against the rank per impl,
// with MatVec/n=n as a dashed line.
func (s *Summary) rankFigure(n int) (*plot.Plot, bool, error) {
	isLow := func(r SummaryRow) bool {
		return r.Group() == "LowRank" && r.F32() && r.Int("n") == n && !math.IsNaN(r.SecPerOp)
	}
	impls := s.implsOf(isLow)
	if len(impls) == 0 {
		return nil, false, nil
	}
	p := plot.New()
	p.Title.Text = s.title(fmt.Sprintf("y = U(Vx), n = %d: time per product (dashed: dense)", n))
	p.X.Label.Text = "rank r"
	p.Y.Label.Text = "µs per product"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top, p.Legend.Left = true, true
	var ticks plot.ConstantTicks
	minR, maxR := math.Inf(1), 0.0
	for _, im := range impls {
		var xys plotter.XYs
		for _, r := range s.Rows {
			if isLow(r) && r.Impl == im {
				xys = append(xys, plotter.XY{X: float64(r.Int("rank")), Y: r.SecPerOp * 1e6})
			}
		}
		slices.SortFunc(xys, func(a, b plotter.XY) int { return int(a.X - b.X) })
		for _, xy := range xys {
			if !slices.ContainsFunc(ticks, func(t plot.Tick) bool { return t.Value == xy.X }) {
				ticks = append(ticks, plot.Tick{Value: xy.X, Label: strconv.Itoa(int(xy.X))})
			}
			minR, maxR = min(minR, xy.X), max(maxR, xy.X)
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, false, err
		}
		style, shape := implStyle(im)
		line.LineStyle = style
		points.Color, points.Shape = style.Color, shape
		p.Add(line, points)
		p.Legend.Add(im, line, points)
	}
	p.X.Tick.Marker = ticks
	// Dense lines, drawn once the rank range is known.
	for _, im := range impls {
		for _, r := range s.Rows {
			if r.Group() == "MatVec" && r.F32() && r.Impl == im && r.Int("n") == n && !math.IsNaN(r.SecPerOp) {
				y := r.SecPerOp * 1e6
				line, err := plotter.NewLine(plotter.XYs{{X: minR, Y: y}, {X: maxR, Y: y}})
				if err != nil {
					return nil, false, err
				}
				style, _ := implStyle(im)
				style.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
				style.Width = vg.Points(1)
				line.LineStyle = style
				p.Add(line)
			}
		}
	}
	p.Y.Max *= 4 // room above the lines for the legend
	p.Add(plotter.NewGrid())
	return p, true, nil
}

// roofFigure plots the roof metric of group (at rank, for LowRank) per
// size and impl as grouped bars.
func (s *Summary) roofFigure(group string, rank int) (*plot.Plot, bool, error) {
	keep := func(r SummaryRow) bool {
		return r.Group() == group && r.F32() && r.Int("rank") == rank && !math.IsNaN(r.Roof)
	}
	impls := s.implsOf(keep)
	if len(impls) == 0 {
		return nil, false, nil
	}
	var sizes []int
	level := map[int]string{}
	for _, r := range s.Rows {
		if keep(r) {
			if n := r.Int("n"); !slices.Contains(sizes, n) {
				sizes = append(sizes, n)
				level[n] = r.Level
			}
		}
	}
	slices.Sort(sizes)
	p := plot.New()
	what := "dense y = Wx"
	if group == "LowRank" {
		what = fmt.Sprintf("low-rank y = U(Vx), r = %d", rank)
	}
	p.Title.Text = s.title("fraction of the roofline, " + what)
	p.Y.Label.Text = "fraction of the roofline"
	p.X.Label.Text = "n (level holding the weights)"
	p.Legend.Top, p.Legend.Left = true, true
	width := vg.Points(min(60/float64(len(impls)), 12))
	for i, im := range impls {
		vals := make(plotter.Values, len(sizes))
		for j, n := range sizes {
			for _, r := range s.Rows {
				if keep(r) && r.Impl == im && r.Int("n") == n {
					vals[j] = r.Roof
				}
			}
		}
		bars, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, false, err
		}
		style, _ := implStyle(im)
		bars.Color = style.Color
		bars.LineStyle.Width = 0
		bars.Offset = width * vg.Length(float64(i)-float64(len(impls)-1)/2)
		p.Add(bars)
		p.Legend.Add(im, bars)
	}
	labels := make([]string, len(sizes))
	for j, n := range sizes {
		labels[j] = fmt.Sprintf("%d (%s)", n, level[n])
	}
	p.NominalX(labels...)
	p.Y.Min, p.Y.Max = 0, 1.6 // room above the bars for the legend
	p.Y.Tick.Marker = plot.ConstantTicks{{Value: 0, Label: "0"}, {Value: 0.25}, {Value: 0.5, Label: "0.5"},
		{Value: 0.75}, {Value: 1, Label: "1"}}
	p.Add(plotter.NewGrid())
	return p, true, nil
}
