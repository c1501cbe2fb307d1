package main

import (
	"cmp"
	"fmt"
	"io"
	"strings"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/internal/cli"
	"github.com/lowrank-rnn/lowrank/rnn"
)

const regressDoc = `Regress compares two sets of benchmark results (` + "`go test -bench`" + ` output)
and fails when the new ones are significantly worse. It prints a table per
unit and exits 1 on a regression, 0 otherwise, 2 when it cannot compare.

A statistical unit regresses when the Mann-Whitney p-value, corrected
with Holm's method over all the pairs compared, is below -alpha AND the
median moved the bad way by more than -min-effect. allocs/op, B/op and
units declared ` + "`Unit NAME assume=exact`" + ` regress on any bad move. Gated
by default: x/ref (a paired ratio, steady on a noisy machine) where both
sides report it, else sec/op; plus the exact units. Benchmarks on one
side only and pairs with too few samples are reported, not failed.

With -bench, regress builds the package in -pkg once (go test -c) and
runs the benchmarks matching REGEXP -count times, one process each, for
the new side; the old side is the file -base, or as many runs of the
test binary -old-bin interleaved with the new runs (old, new, old, new…).`

func runRegress(args []string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("regress", "regress [flags] OLD NEW\n"+
		"       lowrank regress [flags] -bench REGEXP (-base OLD | -old-bin BINARY) [-count N] [-pkg DIR]", regressDoc, stderr)
	var opt bench.CompareOptions
	rnn.Bounds.Alpha.Var(fs, &opt.Alpha, bench.DefaultAlpha, "family-wise significance `level`")
	rnn.Bounds.MinEffect.Var(fs, &opt.MinEffect, bench.DefaultMinEffect,
		"smallest bad change of the median that counts, as a `fraction` (0.05 = 5%; 0: any)")
	units := fs.String("units", "",
		"comma-separated `units` to gate (default: x/ref where both sides have it, else sec/op; plus the exact units)")
	fs.StringVar(&opt.Filter, "filter", "", "benchproc filter `expression`, e.g. '.name:MatVec /impl:avx512'")
	rnn.Bounds.MinSamples.Var(fs, &opt.MinSamples, bench.DefaultMinSamples, "fewest samples a side for a statistical test")
	fs.BoolVar(&opt.StrictMissing, "strict", false, "fail when a benchmark or gated unit of OLD is missing from NEW")
	var r bench.RegressRun
	fs.StringVar(&r.Run.Bench, "bench", "", "run the benchmarks matching `regexp` for the new side")
	fs.StringVar(&r.Base, "base", "", "with -bench: the old results `file`")
	fs.StringVar(&r.OldBin, "old-bin", "", "with -bench: an old test `binary` (go test -c) to run interleaved with the new one")
	rnn.Bounds.Count.Var(fs, &r.Count, 10, "with -bench: runs of each side")
	pkg := fs.String("pkg", "./bench", "with -bench: the benchmark package's `directory`")
	fs.StringVar(&r.Run.Benchtime, "benchtime", "", "with -bench: -test.benchtime for each run, e.g. 200ms or 100x (default: go test's)")
	fs.StringVar(&r.Run.CPU, "cpu", "", "with -bench: -test.cpu for each run; 1 matches the names of a lowrank bench baseline (no -N suffix)")
	fs.StringVar(&r.Out, "o", "", "with -bench: also write the new results to `file`")
	files, status, done := cli.ParseInterleaved(fs, args)
	if done {
		return status
	}
	f := failer{"regress", stderr}
	// One of the two ways to compare, and no flag of the other way.
	if err := cmp.Or(cli.Unused(fs, r.Run.Bench == "", "needs -bench REGEXP", "base", "old-bin", "count", "pkg", "benchtime", "cpu", "o"),
		r.Check(*pkg, files)); err != nil {
		return f.usage("%v", err)
	}
	if opt.MinEffect == 0 {
		opt.MinEffect = -1 // CompareOptions' "none"
	}
	for u := range strings.SplitSeq(*units, ",") {
		if u = strings.TrimSpace(u); u != "" {
			opt.Units = append(opt.Units, u)
		}
	}
	regressed, err := r.Regress(stdout, files, opt, f.logf)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "lowrank regress: %v\n", err)
		return exitUsage
	case regressed:
		return exitFail
	}
	return exitOK
}
