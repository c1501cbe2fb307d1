package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
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
)

// maxN bounds -n: a dense 8192×8192 matrix and its packed copy take 512 MiB.
const maxN = 8192

type sweepConfig struct {
	n       int
	ranks   []int // each < n
	targets []string
	samples int
	minTime time.Duration
	csvPath string
}

func runSweep(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("sweep", "sweep [flags]",
		"Sweep is the main job. For every model file in -models (the committed\n"+
			"default models), it compresses the recurrent weights to each rank by\n"+
			"truncated SVD, plain and whitened by the hidden states, without\n"+
			"fine-tuning, and reports per rank: the recurrent parameters and\n"+
			"multiply-adds of a step, the fused step's time on each kernels target\n"+
			"and its speedup over the dense step, the task metric and the fraction\n"+
			"of it kept, and the relative hidden-state error measured and predicted\n"+
			"by the first-order perturbation model. It writes the table as CSV and\n"+
			"the coherence figures into results/.\n\n"+
			"With -n, it only times y = W·x for a random n×n matrix W, dense and at\n"+
			"each rank, on each target, beside the theoretical speedup n/(2r).\n"+
			"Times are medians of -samples samples of at least -time each; speedups\n"+
			"are medians of the ratios of samples taken back to back.", stderr)
	n := fs.Int("n", 0, "time products of a random `n`×n matrix only (no models)")
	ranksFlag := fs.String("ranks", "", "comma-separated `ranks`; ranks ≥ n are skipped (default 8,16,32,64,128 with -n; 4,8,16,32,64,96,112,120,124 for models)")
	targetsFlag := fs.String("targets", "", "comma-separated kernels `targets` (default: all available)")
	samples := fs.Int("samples", 0, "timed samples per product (the median is reported; default 7 with -n, 5 for models)")
	minTime := fs.Duration("time", 0, "minimum `duration` of one sample (default 100ms with -n, 10ms for models)")
	csvPath := fs.String("csv", "", "write the table as CSV to `file` (default for models: results/accuracy/sweep.csv)")
	models := fs.String("models", "results/models", "`directory` of model files (*.safetensors) to sweep")
	methods := fs.String("methods", "svd,whitened", "truncation `methods`: svd, whitened")
	evalN := fs.Int("eval", 1000, "held-out sequences each metric is computed on")
	figures := fs.String("figures", "results/figures", "write the coherence figures into `directory` (\"\" for none)")
	if status, done := parseFlags(fs, args); done {
		return status
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	speedOnly := set["n"]
	if !set["ranks"] {
		*ranksFlag = "4,8,16,32,64,96,112,120,124"
		if speedOnly {
			*ranksFlag = "8,16,32,64,128"
		}
	}
	if !set["samples"] {
		*samples = 5
		if speedOnly {
			*samples = 7
		}
	}
	if !set["time"] {
		*minTime = 10 * time.Millisecond
		if speedOnly {
			*minTime = 100 * time.Millisecond
		}
	}
	if !speedOnly {
		mc := modelSweepConfig{dir: *models, evalN: *evalN, samples: *samples, minTime: *minTime,
			csvPath: *csvPath, figures: *figures}
		err := func() error {
			var err error
			if mc.ranks, err = parseRanks(*ranksFlag); err != nil {
				return err
			}
			if mc.targets, err = parseTargets(*targetsFlag); err != nil {
				return err
			}
			if mc.methods, err = parseMethods(*methods); err != nil {
				return err
			}
			switch {
			case *samples < 1:
				return fmt.Errorf("-samples %d: want at least 1", *samples)
			case *minTime <= 0:
				return fmt.Errorf("-time %v: want a positive duration such as 10ms", *minTime)
			case *evalN < 1:
				return fmt.Errorf("-eval %d: want at least 1", *evalN)
			}
			return nil
		}()
		if err != nil {
			fmt.Fprintf(stderr, "lowrank sweep: %v\n", err)
			return exitUsage
		}
		if mc.csvPath == "" {
			mc.csvPath = filepath.Join("results", "accuracy", "sweep.csv")
		}
		return modelSweep(mc, stdout, stderr)
	}

	cfg := sweepConfig{n: *n, samples: *samples, minTime: *minTime, csvPath: *csvPath}
	err := func() error {
		switch {
		case cfg.n < 1 || cfg.n > maxN:
			return fmt.Errorf("-n %d: want 1 ≤ n ≤ %d", cfg.n, maxN)
		case cfg.samples < 1:
			return fmt.Errorf("-samples %d: want at least 1", cfg.samples)
		case cfg.minTime <= 0:
			return fmt.Errorf("-time %v: want a positive duration such as 100ms", cfg.minTime)
		}
		ranks, err := parseRanks(*ranksFlag)
		if err != nil {
			return err
		}
		for _, r := range ranks {
			if r >= cfg.n {
				fmt.Fprintf(stderr, "lowrank sweep: note: skipping rank %d ≥ n = %d\n", r, cfg.n)
				continue
			}
			cfg.ranks = append(cfg.ranks, r)
		}
		cfg.targets, err = parseTargets(*targetsFlag)
		return err
	}()
	if err != nil {
		fmt.Fprintf(stderr, "lowrank sweep: %v\n", err)
		return exitUsage
	}

	// Create the CSV file before spending time on measurements.
	var csvFile *os.File
	if cfg.csvPath != "" {
		if csvFile, err = os.Create(cfg.csvPath); err != nil {
			fmt.Fprintf(stderr, "lowrank sweep: %v\n", err)
			return exitFail
		}
		defer csvFile.Close()
	}

	fmt.Fprintf(stdout, "lowrank sweep  %s  %s %s/%s  %s\n", orUnknown(cpuid.CPU.BrandName),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, time.Now().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(stdout, "n = %d; ns per product y = W·x, median of %d samples of ≥ %v; speedup over dense on the same target\n\n",
		cfg.n, cfg.samples, cfg.minTime)
	t := sweep(cfg)
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', tabwriter.AlignRight)
	for _, row := range t.text() {
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	tw.Flush()

	if csvFile != nil {
		w := csv.NewWriter(csvFile)
		w.WriteAll(t.csv()) // WriteAll flushes
		if err := w.Error(); err == nil {
			err = csvFile.Close()
		}
		if err != nil {
			fmt.Fprintf(stderr, "lowrank sweep: writing %s: %v\n", cfg.csvPath, err)
			return exitFail
		}
	}
	return exitOK
}

// parseRanks parses a comma-separated list of distinct positive ranks.
func parseRanks(s string) ([]int, error) {
	var ranks []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		r, err := strconv.Atoi(f)
		if err != nil || r < 1 {
			return nil, fmt.Errorf("-ranks %q: %q is not a positive integer; want a list such as 8,16,32", s, f)
		}
		if slices.Contains(ranks, r) {
			return nil, fmt.Errorf("-ranks %q: rank %d is listed twice", s, r)
		}
		ranks = append(ranks, r)
	}
	return ranks, nil
}

// parseTargets parses a comma-separated list of kernels targets, checking
// that each exists and is available; "" means all available ones.
func parseTargets(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return kernels.Available(), nil
	}
	var targets []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		restore, err := kernels.Use(name)
		restore()
		if err != nil {
			return nil, fmt.Errorf("-targets: %v", err)
		}
		if slices.Contains(targets, name) {
			return nil, fmt.Errorf("-targets %q: target %q is listed twice", s, name)
		}
		targets = append(targets, name)
	}
	return targets, nil
}

// sweepTable is the outcome of a sweep: rows[0] is dense, then one row per
// rank; time[i][k] and speedup[i][k] are row i on target k.
type sweepTable struct {
	n       int
	ranks   []int
	targets []string
	ns      [][]float64
	speedup [][]float64
}

// sweep packs random weights once and times them on each target, dense and
// every rank sampled round-robin (see bench.MeasureEach).
func sweep(cfg sweepConfig) *sweepTable {
	n := cfg.n
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	random := func(rows, cols int) kernels.Matrix {
		a := kernels.NewMatrix(rows, cols)
		for i := range a.Data {
			a.Data[i] = 2*rng.Float32() - 1
		}
		return a
	}
	ops := []kernels.Operator{kernels.Pack(random(n, n))}
	for _, r := range cfg.ranks {
		ops = append(ops, kernels.PackLowRank(kernels.LowRank{U: random(n, r), V: random(r, n)}))
	}
	x := random(1, n).Data
	y := make([]float32, n)
	fs := make([]func(), len(ops))
	for i, op := range ops {
		fs[i] = func() { op.MatVec(y, x) }
	}

	t := &sweepTable{n: n, ranks: cfg.ranks, targets: cfg.targets}
	t.ns = make([][]float64, len(ops))
	t.speedup = make([][]float64, len(ops))
	for _, name := range cfg.targets {
		restore, err := kernels.Use(name)
		if err != nil {
			panic(err) // checked by parseTargets
		}
		res := bench.MeasureEach(fs, cfg.samples, cfg.minTime)
		restore()
		for i := range ops {
			t.ns[i] = append(t.ns[i], res[i].Median)
			t.speedup[i] = append(t.speedup[i], bench.Ratio(res[0], res[i]))
		}
	}
	return t
}

// row returns the rank label, parameters and multiply-adds of row i, and
// the theoretical speedup n/(2r).
func (t *sweepTable) row(i int) (rank string, params, madds int, theory float64) {
	if i == 0 {
		return "full", t.n * t.n, t.n * t.n, 1
	}
	r := t.ranks[i-1]
	return strconv.Itoa(r), 2 * r * t.n, 2 * r * t.n, float64(t.n) / float64(2*r)
}

func (t *sweepTable) text() [][]string {
	head := []string{"rank", "params", "mul-adds"}
	for _, name := range t.targets {
		head = append(head, name+" ns", name+" speedup")
	}
	rows := [][]string{append(head, "n/(2r)")}
	for i := range t.ns {
		rank, params, madds, theory := t.row(i)
		row := []string{rank, strconv.Itoa(params), strconv.Itoa(madds)}
		for k := range t.targets {
			row = append(row, formatNs(t.ns[i][k]), fmt.Sprintf("%.2f", t.speedup[i][k]))
		}
		rows = append(rows, append(row, fmt.Sprintf("%.2f", theory)))
	}
	return rows
}

func (t *sweepTable) csv() [][]string {
	head := []string{"rank", "params", "multiply_adds"}
	for _, name := range t.targets {
		head = append(head, name+"_ns", name+"_speedup")
	}
	rows := [][]string{append(head, "theoretical_speedup")}
	for i := range t.ns {
		rank, params, madds, theory := t.row(i)
		row := []string{rank, strconv.Itoa(params), strconv.Itoa(madds)}
		for k := range t.targets {
			row = append(row, strconv.FormatFloat(t.ns[i][k], 'f', 1, 64),
				strconv.FormatFloat(t.speedup[i][k], 'f', 3, 64))
		}
		rows = append(rows, append(row, strconv.FormatFloat(theory, 'f', 3, 64)))
	}
	return rows
}

// formatNs prints three significant digits or whole nanoseconds.
func formatNs(ns float64) string {
	if ns >= 100 {
		return strconv.FormatFloat(ns, 'f', 0, 64)
	}
	return strconv.FormatFloat(ns, 'g', 3, 64)
}
