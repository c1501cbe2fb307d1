package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/klauspost/cpuid/v2"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/kernels"
	"github.com/lowrank-rnn/lowrank/report"
	"github.com/lowrank-rnn/lowrank/rnn"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

type modelSweepConfig struct {
	dir     string
	ranks   []int
	targets []string
	methods []rnn.Method
	evalN   int
	samples int
	minTime time.Duration
	csvPath string
	figures string
}

func parseMethods(s string) ([]rnn.Method, error) {
	var ms []rnn.Method
	for _, f := range strings.Split(s, ",") {
		m := rnn.Method(strings.TrimSpace(f))
		if m != rnn.SVD && m != rnn.Whitened {
			return nil, fmt.Errorf("-methods %q: unknown method %q (want %s or %s)", s, m, rnn.SVD, rnn.Whitened)
		}
		if !slices.Contains(ms, m) {
			ms = append(ms, m)
		}
	}
	return ms, nil
}

// stepTimes holds the fused step's time for one cell and size: ns[i][k] is
// rank ranks[i] (0: dense) on target k, speedup[i][k] over dense.
type stepTimes struct {
	ranks       []int
	ns, speedup [][]float64
}

func modelSweep(mc modelSweepConfig, stdout, stderr io.Writer) int {
	files, err := filepath.Glob(filepath.Join(mc.dir, "*.safetensors"))
	if err != nil || len(files) == 0 {
		fmt.Fprintf(stderr, "lowrank sweep: no model files (*.safetensors) in %s; `make models` trains the defaults, or use -n for a speed-only sweep\n", mc.dir)
		return exitUsage
	}
	slices.Sort(files)
	start := time.Now()
	fmt.Fprintf(stdout, "lowrank sweep  %s  %s %s/%s  %s\n", orUnknown(cpuid.CPU.BrandName),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, time.Now().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(stdout, "%d models in %s; metrics on %d held-out sequences; step times: medians of %d samples of ≥ %v\n",
		len(files), mc.dir, mc.evalN, mc.samples, mc.minTime)

	times := map[string]*stepTimes{}
	var rows []report.SweepRow
	for _, path := range files {
		m, meta, err := rnn.Load(path)
		if err != nil {
			fmt.Fprintf(stderr, "lowrank sweep: %v\n", err)
			return exitFail
		}
		ds, err := rnn.TaskOf(meta, m, max(mc.evalN, 32))
		if err != nil {
			fmt.Fprintf(stderr, "lowrank sweep: %s: %v\n", path, err)
			return exitFail
		}
		spec := ds.Spec()
		key := fmt.Sprintf("%s-%d", m.Cell, m.Hidden)
		st, ok := times[key]
		if !ok {
			st = measureSteps(m.Cell, m.Hidden, mc.ranks, mc.targets, mc.samples, mc.minTime)
			times[key] = st
		}
		eval := rnn.HeldOut(ds, mc.evalN)
		cal, err := rnn.Calibrate(m, rnn.CalibrationBatches(ds))
		if err != nil {
			fmt.Fprintf(stderr, "lowrank sweep: %s: %v\n", path, err)
			return exitFail
		}
		probe := ds.Eval(32)[0]
		name := strings.TrimSuffix(filepath.Base(path), ".safetensors")
		fmt.Fprintf(stdout, "\n%s  (%s, %s-%d, %s)\n", name, spec.Name, m.Cell, m.Hidden, rnn.MetricName(spec))
		tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', tabwriter.AlignRight)
		head := []string{"method", "rank", "params", "mul-adds"}
		for _, t := range mc.targets {
			head = append(head, t+" ns", "speedup")
		}
		head = append(head, rnn.MetricName(spec), "kept", "state err", "predicted")
		fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
		for mi, method := range mc.methods {
			damage, err := rnn.Sweep(m, spec, rnn.SweepConfig{Ranks: mc.ranks, Method: method, Eval: eval, Probe: probe, Calibration: cal})
			if err != nil {
				fmt.Fprintf(stderr, "lowrank sweep: %s: %v\n", path, err)
				return exitFail
			}
			for _, d := range damage {
				if d.Rank == 0 && mi > 0 {
					continue // the uncompressed model once
				}
				row := report.SweepRow{Model: name, Task: spec.Name, Cell: string(m.Cell), Hidden: m.Hidden,
					Rank: d.Rank, Params: d.Params, MulAdds: d.MulAdds, Targets: mc.targets,
					MetricName: rnn.MetricName(spec), Metric: d.Metric, MetricRel: d.MetricRel,
					RelErr: d.RelErr, Predicted: d.Predicted, OutRelErr: d.OutRelErr, OutPredicted: d.OutPredicted,
					CalibErr: d.CalibErr}
				if d.Rank > 0 {
					row.Method = string(method)
				}
				i := slices.Index(st.ranks, d.Rank)
				row.StepNs, row.Speedup = st.ns[i], st.speedup[i]
				rows = append(rows, row)
				rank, meth := "full", "-"
				if d.Rank > 0 {
					rank, meth = strconv.Itoa(d.Rank), string(method)
				}
				cells := []string{meth, rank, strconv.Itoa(d.Params), strconv.Itoa(d.MulAdds)}
				for k := range mc.targets {
					cells = append(cells, formatNs(row.StepNs[k]), fmt.Sprintf("%.2f", row.Speedup[k]))
				}
				cells = append(cells, formatMetric(spec, d.Metric), fmt.Sprintf("%.3f", row.Kept()),
					fmt.Sprintf("%.3g", d.RelErr), fmt.Sprintf("%.3g", d.Predicted))
				fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
			}
		}
		tw.Flush()
	}
	if err := report.WriteSweepFile(mc.csvPath, rows); err != nil {
		fmt.Fprintf(stderr, "lowrank sweep: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "\nwrote %s", mc.csvPath)
	if mc.figures != "" {
		fmt.Fprintf(stdout, " and the figures in %s", mc.figures)
	}
	if mc.figures != "" {
		for _, method := range mc.methods {
			_, err := report.CoherenceFigures(rows, string(method), mc.figures)
			if err != nil {
				fmt.Fprintf(stderr, "lowrank sweep: figures: %v\n", err)
				return exitFail
			}
		}
		_, err := report.PerturbationFigure(rows, mc.figures)
		if err != nil {
			fmt.Fprintf(stderr, "lowrank sweep: figures: %v\n", err)
			return exitFail
		}
	}
	fmt.Fprintf(stdout, "\nswept in %v\n", time.Since(start).Round(100*time.Millisecond))
	return exitOK
}

func formatMetric(spec task.Spec, v float64) string {
	if spec.Kind == task.ClassifyLast {
		return fmt.Sprintf("%.2f%%", 100*v)
	}
	return fmt.Sprintf("%.3f", v)
}

// measureSteps times one fused step of the cell with state size n, dense
// (rank 0) and at each rank below n, on each target, with random weights
// (the time does not depend on the values).
func measureSteps(cell rnn.Cell, n int, ranks []int, targets []string, samples int, minTime time.Duration) *stepTimes {
	rng := rand.New(rand.NewPCG(2, uint64(n)))
	random := func(rows, cols int) kernels.Matrix {
		a := kernels.NewMatrix(rows, cols)
		for i := range a.Data {
			a.Data[i] = (2*rng.Float32() - 1) / float32(n)
		}
		return a
	}
	st := &stepTimes{ranks: []int{0}}
	ops := [][2]kernels.Operator{{kernels.Pack(random(n, n)), kernels.Pack(random(n, n))}}
	for _, r := range ranks {
		if r >= 1 && r < n {
			st.ranks = append(st.ranks, r)
			ops = append(ops, [2]kernels.Operator{
				kernels.PackLowRank(kernels.LowRank{U: random(n, r), V: random(r, n)}),
				kernels.PackLowRank(kernels.LowRank{U: random(n, r), V: random(r, n)})})
		}
	}
	h, hNew := random(1, n).Data, make([]float32, n)
	xp, b := random(1, n).Data, random(1, n).Data
	work := make([]float32, 2*n)
	fs := make([]func(), len(ops))
	for i, op := range ops {
		if cell == rnn.RNN {
			fs[i] = func() { kernels.RNNStep(hNew, h, xp, b, op[0]) }
		} else {
			fs[i] = func() { kernels.MGRUStep(hNew, h, xp, xp, b, b, op[0], op[1], work) }
		}
	}
	st.ns = make([][]float64, len(ops))
	st.speedup = make([][]float64, len(ops))
	for _, name := range targets {
		restore, err := kernels.Use(name)
		if err != nil {
			panic(err) // checked by parseTargets
		}
		res := bench.MeasureEach(fs, samples, minTime)
		restore()
		for i := range ops {
			st.ns[i] = append(st.ns[i], res[i].Median)
			st.speedup[i] = append(st.speedup[i], bench.Ratio(res[0], res[i]))
		}
	}
	return st
}
