package report

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/rnn"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// quantRows is one model's sweep with the precision axis: dense in three
// precisions and two ranks in float32 and int8, each accuracy with a
// standard error of 0.003.
func quantRows() []SweepRow {
	c := task.Coherence{Family: "seqmnist", Level: "rows in order", Order: 1}
	row := func(r rnn.Rank, m rnn.Method, p rnn.Precision, bytes int, kept float64) SweepRow {
		return SweepRow{Model: "seqmnist-mgru-128", Task: "seqmnist", Coherence: c, Cell: rnn.MGRU, Hidden: 128, MetricName: "accuracy",
			Damage: rnn.Damage{Rank: r, Method: m, Precision: p, Bytes: bytes, Metric: kept, MetricSE: 0.003, MetricRel: kept, RelErr: 1 - kept, Predicted: 1 - kept}}
	}
	return []SweepRow{
		row(rnn.Full, "", rnn.F32, 131072, 1),
		row(rnn.Full, "", rnn.BF16, 65536, 0.999),
		row(rnn.Full, "", rnn.Int8, 33792, 0.995),
		row(16, rnn.SVD, rnn.F32, 32768, 0.9),
		row(8, rnn.SVD, rnn.F32, 16384, 0.7),
		row(16, rnn.SVD, rnn.Int8, 8960, 0.89),
		row(8, rnn.SVD, rnn.Int8, 4480, 0.69),
	}
}

func TestRankOrBits(t *testing.T) {
	rows := quantRows()
	dense := denseBytes(rows)
	for _, c := range []struct {
		budget float64
		want   string
	}{
		{0.26, "int8 dense"},    // 25.8%: fits
		{0.25, "f32 svd r=16"},  // int8 dense does not fit; f32 r=16 is 25% exactly and keeps more than int8 r=16
		{0.10, "int8 svd r=16"}, // 6.8%
		{0.05, "int8 svd r=8"},  // 3.4%
		{0.02, ""},              // nothing fits
	} {
		r, ok := best(rows, "seqmnist-mgru-128", c.budget, dense, func(SweepRow) bool { return true })
		if got := combination(r); ok != (c.want != "") || (ok && got != c.want) {
			t.Errorf("budget %v: %q (found %v), want %q", c.budget, got, ok, c.want)
		}
	}
	var b strings.Builder
	rankOrBits(func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }, Inputs{Sweep: rows, Figures: "figures"})
	text := b.String()
	for _, want := range []string{"## Rank or bits?", "pareto-seqmnist.svg", // kept ± kept·√((0.003/kept)² + 0.003²): 0.00404, 0.00402, 0.00364
		"| seqmnist-mgru-128 | f32 svd r=16 (0.900±0.004) | int8 svd r=16 (0.890±0.004); f32: nothing fits | int8 svd r=8 (0.690±0.004); f32: nothing fits |",
		"The dense int8 models read 25.8% of the float32 bytes and keep at least 0.995±0.004 of the metric on all 1 models (seqmnist-mgru-128).",
		"At 10% of the float32 bytes, on the 1 models: fewer bits alone (a dense bf16 or int8 model) win on 0, fewer bits and a lower rank together on 1"} {
		if !strings.Contains(text, want) {
			t.Errorf("the section lacks %q:\n%s", want, text)
		}
	}
	paths, err := ParetoFigures(rows, t.TempDir())
	if err != nil || len(paths) != 2 || filepath.Base(paths[0]) != "pareto-seqmnist.svg" {
		t.Errorf("ParetoFigures: %v, %v", paths, err)
	}
}
