package bench_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/rnn"
)

// modelsDir holds the committed default models (make models).
const modelsDir = "../results/models"

// BenchmarkAccuracy puts accuracy beside speed: for each committed default
// model, compressed by plain truncated SVD to each rank with no
// fine-tuning, it times one step of the compressed model as deployed (input
// projection, fused recurrent step, readout) and reports the task metric
// (acc, MC or bits/char), the fraction of it kept ("kept") and the relative
// hidden-state error ("relerr"), all declared exact: they do not vary from
// run to run. benchstat -row /rank then shows accuracy against rank next to
// ns/op:
//
//	go test -run '^$' -bench Accuracy -count 1 ./bench | benchstat -row /rank -col /task -
func BenchmarkAccuracy(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join(modelsDir, "*.safetensors"))
	if len(files) == 0 {
		b.Skipf("no models in %s: run make models", modelsDir)
	}
	slices.Sort(files)
	for _, path := range files {
		tb, err := rnn.LoadTestbed(path, 256, "")
		if err != nil {
			b.Fatal(err)
		}
		m := tb.Model
		name := strings.TrimSuffix(filepath.Base(path), ".safetensors")
		taskName := strings.TrimSuffix(name, fmt.Sprintf("-%s-%d", m.Cell, m.Hidden))
		for _, rank := range (rnn.Ranks{rnn.Full, 16, 32, 64}) {
			b.Run(fmt.Sprintf("task=%s/cell=%s/rank=%s", taskName, m.Cell, rank), func(b *testing.B) {
				s := m.NewStream()
				d := rnn.Damage{Rank: rnn.Full, Metric: tb.Base, MetricRel: 1}
				if rank != rnn.Full {
					c, err := rnn.Compress(m, rnn.CompressSpec{Ranks: [2]int{int(rank), int(rank)}})
					if err != nil {
						b.Fatal(err)
					}
					if d, err = tb.Assess(c); err != nil {
						b.Fatal(err)
					}
					s = c.NewStream()
				}
				x := make([]float32, m.In)
				for i := range x {
					x[i] = 0.5
				}
				b.ReportAllocs()
				for b.Loop() {
					s.Step(x)
				}
				unit := map[string]string{"accuracy": "acc", "MC": "MC", "bits/char": "bits/char"}[rnn.MetricName(tb.Spec)]
				b.ReportMetric(d.Metric, unit)
				b.ReportMetric(d.MetricRel, "kept")
				b.ReportMetric(d.RelErr, "relerr")
			})
		}
	}
}
