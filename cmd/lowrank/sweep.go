package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/cpuid/v2"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
	"github.com/lowrank-rnn/lowrank/report"
	"github.com/lowrank-rnn/lowrank/rnn"
)

// sweepConfig is one lowrank sweep: of the models in dir, or with n > 0
// of bare products.
type sweepConfig struct {
	n, evalN, samples              int
	minTime                        time.Duration
	ranks                          rnn.Ranks
	methods                        []rnn.Method
	precisions                     rnn.Precisions
	targets, files                 []string
	dir, csv, times, figures, data string
}

func runSweep(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("sweep", "sweep [flags]",
		"Sweep is the main job. For every model file in -models (the committed\n"+
			"default models), it compresses the recurrent weights to each rank by\n"+
			"truncated SVD, plain and whitened by the hidden states, and stores the\n"+
			"weights in each precision (float32, bf16, int8; the dense model too),\n"+
			"without fine-tuning, and prints per rank and precision: the recurrent\n"+
			"parameters, bytes and multiply-adds of a step, the float32 fused step's\n"+
			"time on each kernels target and its speedup over the dense step, the\n"+
			"task metric and the fraction of it kept, and the relative hidden-state\n"+
			"error measured and predicted by the first-order perturbation model. The\n"+
			"models are swept in parallel, one per CPU, and timed one at a time\n"+
			"afterwards. It writes nothing unless asked:\n"+
			"-csv the table's deterministic columns (results/accuracy/sweep.csv),\n"+
			"-times this machine's step times (results/<cpu>/sweep.txt, benchstat\n"+
			"reads it), -figures the coherence figures; make results writes all three.\n\n"+
			"With -n, it only times y = W·x for a random n×n matrix W, dense and at\n"+
			"each rank, on each target, beside the theoretical speedup n/(2r).\n"+
			"Times are medians of -samples samples of at least -time each; speedups\n"+
			"are medians of the ratios of samples taken back to back.", stderr)
	var c sweepConfig
	rnn.Bounds.N.Var(fs, &c.n, 0, "time products of a random `n`×n matrix only (no models)")
	fs.Var(&c.ranks, "ranks", "comma-separated `ranks`; the dense step (full) always comes first, ranks ≥ n are skipped (default 8,16,32,64,128 with -n; 4,8,16,32,64,96,112,120,124 for models)")
	targets := fs.String("targets", "", "comma-separated kernels `targets` (default: all available)")
	rnn.Bounds.Samples.Var(fs, &c.samples, 0, "timed samples per product (the median is reported; default 7 with -n, 5 for models)")
	fs.DurationVar(&c.minTime, "time", 0, "minimum `duration` of one sample (default 100ms with -n, 10ms for models)")
	fs.StringVar(&c.csv, "csv", "", "models: write the table's deterministic columns as CSV to `file`")
	fs.StringVar(&c.times, "times", "", "write the step (or product) times to `file`, in the Go benchmark format")
	fs.StringVar(&c.dir, "models", "results/models", "`directory` of model files (*.safetensors) to sweep")
	methods := fs.String("methods", "svd,whitened", "truncation `methods`: svd, whitened")
	c.precisions = rnn.Precisions(rnn.AllPrecisions)
	fs.Var(&c.precisions, "precisions", "`precisions` of the recurrent weights: f32, bf16, int8 (or bits: 32,16,8)")
	rnn.Bounds.Eval.Var(fs, &c.evalN, 1000, "held-out recall `sequences` each metric is computed on (MNIST and the corpora: their whole held-out sets)")
	fs.StringVar(&c.figures, "figures", "", "write the figures (coherence, retention, perturbation) into `directory`")
	fs.StringVar(&c.data, "data", "", "`folder` of task data (default $LOWRANK_DATA, then the module cache and GOROOT)")
	if status, done := parseFlags(fs, args); done {
		return status
	}
	f := failer{"sweep", stderr}
	if err := c.resolve(fs, *targets, *methods); err != nil {
		return f.usage("%v", err)
	}
	fmt.Fprintf(stdout, "lowrank sweep  %s  %s %s/%s  %s\n", cmp.Or(strings.TrimSpace(cpuid.CPU.BrandName), "unknown"),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, time.Now().Format("2006-01-02 15:04 MST"))
	if c.n > 0 {
		return c.products(stdout, stderr)
	}
	return c.models(stdout, stderr)
}

// resolve checks the flags and fills in the defaults of the mode, and
// finds the model files.
func (c *sweepConfig) resolve(fs *flag.FlagSet, targets, methods string) error {
	set := flagsSet(fs)
	speedOnly := set["n"]
	ranks, samples, minTime := "4,8,16,32,64,96,112,120,124", 5, 10*time.Millisecond
	if speedOnly {
		ranks, samples, minTime = "8,16,32,64,128", 7, 100*time.Millisecond
	}
	if !set["ranks"] {
		c.ranks, _ = rnn.ParseRanks(ranks)
	}
	if !set["samples"] {
		c.samples = samples
	}
	if !set["time"] {
		c.minTime = minTime
	}
	if c.minTime <= 0 {
		return fmt.Errorf("-time %v: want a positive duration such as 10ms", c.minTime)
	}
	if err := unused(fs, speedOnly, "is for the model sweep, not -n's products (-times writes their times)", "models", "methods", "precisions", "eval", "data", "csv", "figures"); err != nil {
		return err
	}
	var err error
	if c.targets, err = bench.ParseFloatTargets(targets); err != nil {
		return fmt.Errorf("-targets: %v", err)
	}
	for s := range strings.SplitSeq(methods, ",") {
		m, err := rnn.ParseMethod(s)
		if err != nil {
			return fmt.Errorf("-methods %q: %v", methods, err)
		}
		if !slices.Contains(c.methods, m) {
			c.methods = append(c.methods, m)
		}
	}
	if !speedOnly {
		c.files, _ = filepath.Glob(filepath.Join(c.dir, "*.safetensors"))
		if len(c.files) == 0 {
			return fmt.Errorf("no model files (*.safetensors) in %s; `make models` trains the defaults, or use -n for a speed-only sweep", c.dir)
		}
	}
	return cmp.Or(atomicfile.CheckOutputs([]string{c.csv, c.times}, c.files...), atomicfile.CheckDir(c.figures))
}

// truncating returns the ranks that truncate an n×n matrix, with a note
// for those that do not (full is the dense step, always there).
func (c *sweepConfig) truncating(n int, f failer) []int {
	ranks, skipped := c.ranks.Truncating(n)
	for _, r := range skipped {
		f.logf("note: skipping rank %s ≥ n = %d", r, n)
	}
	return ranks
}

// products times bare products y = W·x, dense and at each rank.
func (c *sweepConfig) products(stdout, stderr io.Writer) int {
	f := failer{"sweep", stderr}
	ops, err := bench.MatVecOps(c.n, c.truncating(c.n, f))
	if err != nil {
		return f.usage("%v", err)
	}
	fmt.Fprintf(stdout, "n = %d; ns per product y = W·x, median of %d samples of ≥ %v; speedup over dense on the same target\n\n",
		c.n, c.samples, c.minTime)
	t, err := bench.TimeOps(ops, c.targets, c.samples, c.minTime)
	if err == nil {
		err = t.WriteTable(stdout, ops)
	}
	if err != nil {
		return f.fail(err)
	}
	return c.writeOutputs(nil, []*bench.Timings{t}, stdout, f)
}

// models sweeps every model file of c.dir: the step times of each cell
// and size first, alone (timing beside other work would time the
// contention, and a timing switches the kernels target of the whole
// process), then the models, one per core at a time, their tables printed
// in file order as they are done.
func (c *sweepConfig) models(stdout, stderr io.Writer) int {
	f := failer{"sweep", stderr}
	start := time.Now()
	fmt.Fprintf(stdout, "%d models in %s; metrics on their held-out sets (%d recall sequences); step times: medians of %d samples of ≥ %v\n",
		len(c.files), c.dir, c.evalN, c.samples, c.minTime)
	var times []*bench.Timings // one per cell and size
	for _, path := range c.files {
		m, _, err := rnn.Load(path)
		if err != nil {
			return f.fail(err)
		}
		if stepTimes(times, string(m.Cell), m.Hidden) != nil {
			continue
		}
		ops, err := bench.StepOps(string(m.Cell), m.Hidden, c.truncating(m.Hidden, f))
		if err != nil {
			return f.fail(err)
		}
		t, err := bench.TimeOps(ops, c.targets, c.samples, c.minTime)
		if err != nil {
			return f.fail(err)
		}
		times = append(times, t)
	}
	var rows []report.SweepRow
	err := inOrder(c.files, func(path string) ([]report.SweepRow, error) {
		tb, err := rnn.LoadTestbed(path, c.evalN, c.data)
		if err != nil {
			return nil, err
		}
		damage, err := tb.Sweep(c.ranks, c.methods, c.precisions)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return report.SweepRows(strings.TrimSuffix(filepath.Base(path), ".safetensors"), tb, damage), nil
	}, func(model []report.SweepRow) error {
		rows = append(rows, model...)
		return report.WriteSweepTable(stdout, model, stepTimes(times, string(model[0].Cell), model[0].Hidden))
	})
	if err != nil {
		return f.fail(err)
	}
	if status := c.writeOutputs(rows, times, stdout, f); status != exitOK {
		return status
	}
	fmt.Fprintf(stdout, "swept in %v\n", time.Since(start).Round(100*time.Millisecond))
	return exitOK
}

// stepTimes returns the timings of the steps of cell at size n, nil if
// they have not been taken.
func stepTimes(times []*bench.Timings, cell string, n int) *bench.Timings {
	for _, t := range times {
		if t.Op(bench.StepName(cell, n, "full")) >= 0 {
			return t
		}
	}
	return nil
}

// writeOutputs writes the files the flags name, and says what it wrote.
func (c *sweepConfig) writeOutputs(rows []report.SweepRow, times []*bench.Timings, stdout io.Writer, f failer) int {
	wrote, err := report.SweepOutputs{CSV: c.csv, Times: c.times, Figures: c.figures}.Write(rows, c.methods, times)
	if err != nil {
		return f.fail(err)
	}
	if len(wrote) == 0 {
		fmt.Fprintf(stdout, "\nwrote nothing (-csv, -times and -figures write the results; make results writes results/)\n")
		return exitOK
	}
	fmt.Fprintf(stdout, "\nwrote %s\n", strings.Join(wrote, ", "))
	return exitOK
}
