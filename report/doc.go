// Package report turns lowrank's measurements into the tables, figures and
// REPORT.md under results/, and owns the deterministic results formats
// under results/accuracy/: it both writes and reads sweep.csv (SweepRow),
// plan.csv (PlanRow) and the memory-*.csv files (MemoryRow), each from one
// column list, and a reader fails on a malformed row. It also prints the
// commands' text tables (WriteSweepTable, WritePlanTable,
// WriteMemoryTable) and writes results files so that a failed run never
// leaves one cut short (WriteFile).
//
// It also runs the commands' work over model files, so that lowrank's
// subcommands only parse flags, make one call and print: the sweep
// (Sweep), the planner's validation and one model's plan (PlanValidation,
// PlanFile), the compression of a file (Compression) and REPORT.md itself
// (Build). Their errors tell a bad request (UsageError, exit status 2)
// from a failure.
//
//	in, _ := report.ReadInputs("results", "results/accuracy/sweep.csv", steps, "results/accuracy/plan.csv", memoryGlob, kernelsGlob, "results/figures")
//	report.WriteFile("results/REPORT.md", func(w io.Writer) error { return report.WriteReport(w, in) })
//
// What does not live here: measuring (packages rnn and bench), and the
// per-machine timings, whose format (bench.Timings, under results/<cpu>/)
// is bench's.
package report
