package main

import (
	"io"
	"path/filepath"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/internal/cli"
	"github.com/lowrank-rnn/lowrank/report"
)

func runReport(args []string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("report", "report [flags]",
		"Report writes results/REPORT.md from the measurements under results/: the\n"+
			"rank sweep of the default models (lowrank sweep -csv) and this CPU's\n"+
			"step times (lowrank sweep -times), the memorization experiments\n"+
			"(lowrank memory -csv), the planner held out by task family (lowrank\n"+
			"plan -models -csv) and the kernel benchmark tables. For each of the\n"+
			"study's four claims it gives the table or figure that tests it, what\n"+
			"the numbers say, and the command that regenerates them.", stderr)
	f := failer{"report", stderr}
	b := report.Build{Logf: f.logf}
	fs.StringVar(&b.Sweep, "sweep", "results/accuracy/sweep.csv", "the sweep CSV `file`")
	fs.StringVar(&b.Steps, "steps", filepath.Join("results", bench.CPUSlug(), "sweep.txt"), "the sweep's step times, a `file` (it may be missing)")
	fs.StringVar(&b.Plans, "plans", "results/accuracy/plan.csv", "the planner's CSV `file` (it may be missing)")
	fs.StringVar(&b.Memory, "memory", "results/accuracy/memory-*.csv", "memorization CSV files (a `glob`)")
	fs.StringVar(&b.Kernels, "kernels", "results/*/kernels.md", "kernel benchmark tables (a `glob`)")
	fs.StringVar(&b.Figures, "figures", "results/figures", "the figures `directory`")
	fs.StringVar(&b.Out, "o", "results/REPORT.md", "write the report to `file`")
	if status, done := cli.ParseFlags(fs, args); done {
		return status
	}
	return f.status(b.Run(stdout))
}
