package report

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/lowrank-rnn/lowrank/rnn"
)

// sparkLevels are the bars of a sparkline, lowest first.
var sparkLevels = []rune("▁▂▃▄▅▆▇█")

// SparkFloor is the bottom of a spectrum's sparkline, relative to σ₁: the
// bars are log σ from σ₁·SparkFloor (and below: the lowest bar) to σ₁.
const SparkFloor = 1e-3

// Sparkline draws singular values (largest first) as at most width bars
// on a log scale from σ₁·SparkFloor to σ₁; when there are more values
// than bars, each bar is the largest value of its share. A zero spectrum
// is all lowest bars.
func Sparkline(sigma []float64, width int) string {
	if len(sigma) == 0 || width < 1 {
		return ""
	}
	top := sigma[0]
	n := min(width, len(sigma))
	var b strings.Builder
	for k := 0; k < n; k++ {
		lo, hi := k*len(sigma)/n, (k+1)*len(sigma)/n
		v := slices.Max(sigma[lo:hi])
		level := 0
		if top > 0 && v > 0 {
			f := math.Log(v/top)/math.Log(1/SparkFloor) + 1 // 1 at σ₁, 0 at the floor
			level = int(math.Round(f * float64(len(sparkLevels)-1)))
			level = max(0, min(level, len(sparkLevels)-1))
		}
		b.WriteRune(sparkLevels[level])
	}
	return b.String()
}

// WriteInspection writes what a model file holds (rnn.Inspect): its kind,
// the model, the metadata, every tensor, and per recurrent matrix the
// spectrum as a sparkline with σ₁, the smallest σ and the ranks that keep
// 90%, 99% and 99.9% of Σσ².
func WriteInspection(w io.Writer, path string, s *rnn.FileSummary) error {
	c := s.Config
	fmt.Fprintf(w, "%s: %s\n", path, s.Kind)
	desc := fmt.Sprintf("%s, %d inputs, %d units", strings.ToUpper(string(c.Cell)), c.In, c.Hidden)
	if c.Cell.Gated() {
		desc += fmt.Sprintf(", %d layer", c.NumLayers)
		if c.NumLayers > 1 {
			desc += "s"
		}
		if c.Proj > 0 {
			desc += fmt.Sprintf(", projection to %d", c.Proj)
		}
	}
	if c.Out > 0 {
		desc += fmt.Sprintf("; readout of %d outputs (%s)", c.Out, c.Objective)
	} else {
		desc += "; no readout"
	}
	fmt.Fprintf(w, "model: %s; %d recurrent weights\n", desc, (&rnn.Model{Config: c}).RecurrentParams())
	if s.Ranks != "" {
		fmt.Fprintf(w, "compressed: %s\n", s.Ranks)
	}
	if len(s.Meta) > 0 {
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(s.Meta)) {
			kv = append(kv, k+"="+s.Meta[k])
		}
		fmt.Fprintf(w, "metadata: %s\n", strings.Join(kv, ", "))
	}
	fmt.Fprintln(w, "\ntensors:")
	cells := [][]string{{"name", "dtype", "shape"}}
	for _, t := range s.Tensors {
		dims := make([]string, len(t.Shape))
		for i, d := range t.Shape {
			dims[i] = strconv.Itoa(d)
		}
		cells = append(cells, []string{t.Name, t.DType, "[" + strings.Join(dims, " ") + "]"})
	}
	if err := table(w, cells); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nsingular values of the recurrent matrices (sparkline: log σ from σ₁·%g to σ₁; r90/r99/r99.9: ranks keeping that share of Σσ²):\n", SparkFloor)
	cells = [][]string{{"matrix", "shape", "σ₁", "σ_min", "r90", "r99", "r99.9", "spectrum"}}
	for _, sp := range s.Spectra {
		if len(sp.Sigma) == 0 {
			continue
		}
		cells = append(cells, []string{sp.Name, fmt.Sprintf("%d×%d", sp.Rows, sp.Cols),
			fmt.Sprintf("%.4g", sp.Sigma[0]), fmt.Sprintf("%.3g", sp.Sigma[len(sp.Sigma)-1]),
			strconv.Itoa(sp.EnergyRank(0.9)), strconv.Itoa(sp.EnergyRank(0.99)), strconv.Itoa(sp.EnergyRank(0.999)),
			Sparkline(sp.Sigma, 64)})
	}
	return table(w, cells)
}

// WriteCompressionUntasked writes what compressing a model that names no
// task (a PyTorch file) to c cost, as rnn.AssessUntasked measures it: the
// ranks, weights and multiply-adds, and the state and output errors on
// Gaussian inputs, measured and predicted.
func WriteCompressionUntasked(w io.Writer, path string, m *rnn.Model, c *rnn.Compressed, d rnn.Damage) {
	layers := ""
	if m.Cell.Gated() {
		layers = fmt.Sprintf(" ×%d layers", m.NumLayers)
	}
	fmt.Fprintf(w, "%s: %s-%d%s (no task in the file), %s\n", path, m.Cell, m.Hidden, layers, c.DescribeRanks())
	dense := m.RecurrentParams()
	fmt.Fprintf(w, "recurrent weights %d → %d (%.1f%%), multiply-adds per step %d → %d\n",
		dense, d.Params, 100*float64(d.Params)/float64(dense), dense, d.MulAdds)
	fmt.Fprintf(w, "on 32 sequences of 100 steps of Gaussian inputs: relative state error %.4g measured, predicted %.4g (tangent) and %.4g (first-order)",
		d.RelErr, d.Tangent, d.Predicted)
	if m.Out > 0 {
		fmt.Fprintf(w, "; readout %.4g measured, predicted %.4g (tangent) and %.4g (first-order)", d.OutRelErr, d.OutTangent, d.OutPredicted)
	}
	fmt.Fprintln(w)
}
