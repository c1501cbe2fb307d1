package report

import (
	"cmp"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/klauspost/cpuid/v2"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
	"github.com/lowrank-rnn/lowrank/rnn"
)

// A Sweep is one run of lowrank sweep: every model file of Dir compressed
// to each rank, method and precision, or with N > 0 only the bare
// products y = W·x of a random N×N matrix, dense and at each rank. Zero
// Ranks, Samples and MinTime stand for the defaults of the mode.
type Sweep struct {
	N, Eval, Samples int
	MinTime          time.Duration // of one timed sample
	Ranks            rnn.Ranks
	Methods          []rnn.Method
	Precisions       rnn.Precisions
	Targets          []string // kernels targets to time
	Dir, Data        string   // the model files' directory, the task data's folder
	Outputs          SweepOutputs
	Logf             Logf
}

// Run checks the sweep (a bad request is a UsageError), runs it and
// prints its tables to w as they are done, then writes the outputs named.
func (s Sweep) Run(w io.Writer) error {
	s.defaults()
	var files []string
	if s.N == 0 {
		files, _ = filepath.Glob(filepath.Join(s.Dir, "*.safetensors"))
		if len(files) == 0 {
			return usageErrorf("no model files (*.safetensors) in %s; `make models` trains the defaults, or use -n for a speed-only sweep", s.Dir)
		}
	}
	o := s.Outputs
	if err := cmp.Or(atomicfile.CheckOutputs([]string{o.CSV, o.Times}, files...), atomicfile.CheckDir(o.Figures)); err != nil {
		return usage(err)
	}
	fmt.Fprintf(w, "lowrank sweep  %s  %s %s/%s  %s\n", cmp.Or(strings.TrimSpace(cpuid.CPU.BrandName), "unknown"),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, time.Now().Format("2006-01-02 15:04 MST"))
	if s.N > 0 {
		return s.products(w)
	}
	return s.models(w, files)
}

// defaults fills in the defaults of the mode: a sweep of products times
// larger ranks for longer.
func (s *Sweep) defaults() {
	ranks, samples, minTime := "4,8,16,32,64,96,112,120,124", 5, 10*time.Millisecond
	if s.N > 0 {
		ranks, samples, minTime = "8,16,32,64,128", 7, 100*time.Millisecond
	}
	if len(s.Ranks) == 0 {
		s.Ranks, _ = rnn.ParseRanks(ranks)
	}
	if s.Samples == 0 {
		s.Samples = samples
	}
	if s.MinTime <= 0 {
		s.MinTime = minTime
	}
}

// truncating returns the ranks that truncate an n×n matrix, with a note
// for those that do not (full is the dense step, always there).
func (s *Sweep) truncating(n int) []int {
	ranks, skipped := s.Ranks.Truncating(n)
	for _, r := range skipped {
		s.Logf.printf("note: skipping rank %s ≥ n = %d", r, n)
	}
	return ranks
}

// products times bare products y = W·x, dense and at each rank.
func (s *Sweep) products(w io.Writer) error {
	ops, err := bench.MatVecOps(s.N, s.truncating(s.N))
	if err != nil {
		return usage(err)
	}
	fmt.Fprintf(w, "n = %d; ns per product y = W·x, median of %d samples of ≥ %v; speedup over dense on the same target\n\n",
		s.N, s.Samples, s.MinTime)
	t, err := bench.TimeOps(ops, s.Targets, s.Samples, s.MinTime)
	if err == nil {
		err = t.WriteTable(w, ops)
	}
	if err != nil {
		return err
	}
	return s.writeOutputs(w, nil, []*bench.Timings{t})
}

// models sweeps the model files: the step times of each cell and size
// first, alone (timing beside other work would time the contention, and a
// timing switches the kernels target of the whole process), then the
// models, one per core at a time, their tables printed in file order as
// they are done.
func (s *Sweep) models(w io.Writer, files []string) error {
	start := time.Now()
	fmt.Fprintf(w, "%d models in %s; metrics on their held-out sets (%d recall sequences); step times: medians of %d samples of ≥ %v\n",
		len(files), s.Dir, s.Eval, s.Samples, s.MinTime)
	times, err := s.stepTimes(files)
	if err != nil {
		return err
	}
	var rows []SweepRow
	err = inOrder(files, func(path string) ([]SweepRow, error) {
		tb, err := rnn.LoadTestbed(path, s.Eval, s.Data)
		if err != nil {
			return nil, err
		}
		damage, err := tb.Sweep(s.Ranks, s.Methods, s.Precisions)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return SweepRows(strings.TrimSuffix(filepath.Base(path), ".safetensors"), tb, damage), nil
	}, func(model []SweepRow) error {
		rows = append(rows, model...)
		return WriteSweepTable(w, model, timingsOf(times, string(model[0].Cell), model[0].Hidden))
	})
	if err == nil {
		err = s.writeOutputs(w, rows, times)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "swept in %v\n", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// stepTimes times the steps of every cell and size among the files, each
// once.
func (s *Sweep) stepTimes(files []string) ([]*bench.Timings, error) {
	var times []*bench.Timings
	for _, path := range files {
		m, _, err := rnn.Load(path)
		if err != nil {
			return nil, err
		}
		if timingsOf(times, string(m.Cell), m.Hidden) != nil {
			continue
		}
		ops, err := bench.StepOps(string(m.Cell), m.Hidden, s.truncating(m.Hidden))
		if err != nil {
			return nil, err
		}
		t, err := bench.TimeOps(ops, s.Targets, s.Samples, s.MinTime)
		if err != nil {
			return nil, err
		}
		times = append(times, t)
	}
	return times, nil
}

// timingsOf returns the timings of the steps of cell at size n, nil if
// they have not been taken.
func timingsOf(times []*bench.Timings, cell string, n int) *bench.Timings {
	for _, t := range times {
		if t.Op(bench.StepName(cell, n, "full")) >= 0 {
			return t
		}
	}
	return nil
}

// writeOutputs writes the files named, and says what it wrote.
func (s *Sweep) writeOutputs(w io.Writer, rows []SweepRow, times []*bench.Timings) error {
	wrote, err := s.Outputs.Write(rows, s.Methods, times)
	if err != nil {
		return err
	}
	fmt.Fprintln(w)
	writeWrote(w, wrote, "-csv, -times and -figures write the results")
	return nil
}
