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
		m, meta, err := rnn.Load(path)
		if err != nil {
			b.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(path), ".safetensors")
		taskName := strings.TrimSuffix(name, fmt.Sprintf("-%s-%d", m.Cell, m.Hidden))
		ds, err := rnn.TaskOf(meta, m, 256)
		if err != nil {
			b.Fatal(err)
		}
		spec := ds.Spec()
		eval := rnn.HeldOut(ds, 256)
		probe := ds.Eval(32)[0]
		calib := rnn.CalibrationBatches(ds)
		var base float64
		for _, rank := range []int{0, 16, 32, 64} {
			label := "full"
			if rank > 0 {
				label = fmt.Sprint(rank)
			}
			b.Run(fmt.Sprintf("task=%s/cell=%s/rank=%s", taskName, m.Cell, label), func(b *testing.B) {
				var s *rnn.Stream
				var d rnn.Damage
				if rank == 0 {
					var err error
					if base, err = rnn.MetricOf(m, spec, eval); err != nil {
						b.Fatal(err)
					}
					d = rnn.Damage{Metric: base, MetricRel: 1}
					s = m.NewStream()
				} else {
					cal, err := rnn.Calibrate(m, calib)
					if err != nil {
						b.Fatal(err)
					}
					c, err := rnn.Compress(m, rnn.CompressSpec{Ranks: [2]int{rank, rank}})
					if err != nil {
						b.Fatal(err)
					}
					if base == 0 {
						if base, err = rnn.MetricOf(m, spec, eval); err != nil {
							b.Fatal(err)
						}
					}
					if d, err = rnn.Assess(m, c, spec, eval, probe, cal, base); err != nil {
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
				unit := map[string]string{"accuracy": "acc", "MC": "MC", "bits/char": "bits/char"}[rnn.MetricName(spec)]
				b.ReportMetric(d.Metric, unit)
				b.ReportMetric(d.MetricRel, "kept")
				b.ReportMetric(d.RelErr, "relerr")
			})
		}
	}
}
