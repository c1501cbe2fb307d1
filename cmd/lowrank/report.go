package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/lowrank-rnn/lowrank/report"
)

func runReport(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("report", "report [flags]",
		"Report writes results/REPORT.md from the measurements under results/: the\n"+
			"rank sweep of the default models (lowrank sweep), the memorization\n"+
			"experiments (lowrank memory -csv) and the kernel benchmark tables. For\n"+
			"each of the study's four claims it gives the table or figure that tests\n"+
			"it, what the numbers say, and the command that regenerates them.", stderr)
	sweepPath := fs.String("sweep", "results/accuracy/sweep.csv", "the sweep CSV `file`")
	memoryGlob := fs.String("memory", "results/accuracy/memory-*.csv", "memorization CSV files (a `glob`)")
	kernelsGlob := fs.String("kernels", "results/*/kernels.md", "kernel benchmark tables (a `glob`)")
	figures := fs.String("figures", "results/figures", "the figures `directory`")
	out := fs.String("o", "results/REPORT.md", "write the report to `file`")
	if status, done := parseFlags(fs, args); done {
		return status
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "lowrank report: %v\n", err)
		return exitFail
	}
	rows, err := report.ReadSweepFile(*sweepPath)
	if err != nil {
		return fail(fmt.Errorf("%v (run `go run ./cmd/lowrank sweep` first)", err))
	}
	dir := filepath.Dir(*out)
	rel := func(p string) string {
		if r, err := filepath.Rel(dir, p); err == nil {
			return filepath.ToSlash(r)
		}
		return p
	}
	in := report.Inputs{Sweep: rows, SweepPath: rel(*sweepPath), Figures: rel(*figures)}
	memFiles, _ := filepath.Glob(*memoryGlob)
	slices.Sort(memFiles)
	for _, f := range memFiles {
		m, err := report.ReadMemoryFile(f)
		if err != nil {
			return fail(err)
		}
		for i := range m {
			m[i].Source = rel(f)
		}
		in.Memory = append(in.Memory, m...)
		in.MemoryPaths = append(in.MemoryPaths, rel(f))
	}
	kern, _ := filepath.Glob(*kernelsGlob)
	slices.Sort(kern)
	for _, k := range kern {
		in.Kernels = append(in.Kernels, rel(k))
	}
	f, err := os.Create(*out)
	if err != nil {
		return fail(err)
	}
	if err := report.WriteReport(f, in); err != nil {
		f.Close()
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d sweep rows, %d memory files, %d kernel tables)\n", *out, len(rows), len(memFiles), len(kern))
	return exitOK
}
