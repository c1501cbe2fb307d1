package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
	"github.com/lowrank-rnn/lowrank/report"
)

func runReport(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("report", "report [flags]",
		"Report writes results/REPORT.md from the measurements under results/: the\n"+
			"rank sweep of the default models (lowrank sweep -csv) and this CPU's\n"+
			"step times (lowrank sweep -times), the memorization experiments\n"+
			"(lowrank memory -csv), the planner held out by task family (lowrank\n"+
			"plan -models -csv) and the kernel benchmark tables. For each of the\n"+
			"study's four claims it gives the table or figure that tests it, what\n"+
			"the numbers say, and the command that regenerates them.", stderr)
	sweep := fs.String("sweep", "results/accuracy/sweep.csv", "the sweep CSV `file`")
	steps := fs.String("steps", filepath.Join("results", bench.CPUSlug(), "sweep.txt"), "the sweep's step times, a `file` (it may be missing)")
	plans := fs.String("plans", "results/accuracy/plan.csv", "the planner's CSV `file` (it may be missing)")
	memory := fs.String("memory", "results/accuracy/memory-*.csv", "memorization CSV files (a `glob`)")
	kernels := fs.String("kernels", "results/*/kernels.md", "kernel benchmark tables (a `glob`)")
	figures := fs.String("figures", "results/figures", "the figures `directory`")
	out := fs.String("o", "results/REPORT.md", "write the report to `file`")
	if status, done := parseFlags(fs, args); done {
		return status
	}
	f := failer{"report", stderr}
	mems, _ := filepath.Glob(*memory)
	if err := atomicfile.CheckOutputs([]string{*out}, append(mems, *sweep, *steps, *plans)...); err != nil {
		return f.usage("%v", err)
	}
	in, err := report.ReadInputs(filepath.Dir(*out), *sweep, *steps, *plans, *memory, *kernels, *figures)
	if err == nil {
		err = report.WriteFile(*out, func(w io.Writer) error { return report.WriteReport(w, in) })
	}
	if err != nil {
		return f.fail(err)
	}
	if in.Steps == nil {
		f.logf("note: no step times in %s: the report leaves the speedups out", *steps)
	}
	if in.Plans == nil {
		f.logf("note: no planner results in %s: the report says how to make them", *plans)
	}
	fmt.Fprintf(stdout, "wrote %s (%d sweep rows, %d plan rows, %d memory files, %d kernel tables)\n", *out, len(in.Sweep), len(in.Plans),
		len(in.MemoryPaths), len(in.Kernels))
	return exitOK
}
