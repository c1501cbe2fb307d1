package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/report"
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

// regressRun is how lowrank regress -bench produces results itself.
type regressRun struct {
	base, oldBin, pkg, out string
	run                    bench.BenchRun
	count                  int
}

func runRegress(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("regress", "regress [flags] OLD NEW\n"+
		"       lowrank regress [flags] -bench REGEXP (-base OLD | -old-bin BINARY) [-count N] [-pkg DIR]", regressDoc, stderr)
	var opt bench.CompareOptions
	fs.Float64Var(&opt.Alpha, "alpha", bench.DefaultAlpha, "family-wise significance `level`")
	fs.Float64Var(&opt.MinEffect, "min-effect", bench.DefaultMinEffect,
		"smallest bad change of the median that counts, as a `fraction` (0.05 = 5%; 0: any)")
	units := fs.String("units", "",
		"comma-separated `units` to gate (default: x/ref where both sides have it, else sec/op; plus the exact units)")
	fs.StringVar(&opt.Filter, "filter", "", "benchproc filter `expression`, e.g. '.name:MatVec /impl:avx512'")
	fs.IntVar(&opt.MinSamples, "min-samples", bench.DefaultMinSamples, "fewest samples a side for a statistical test")
	fs.BoolVar(&opt.StrictMissing, "strict", false, "fail when a benchmark or gated unit of OLD is missing from NEW")
	var r regressRun
	fs.StringVar(&r.run.Bench, "bench", "", "run the benchmarks matching `regexp` for the new side")
	fs.StringVar(&r.base, "base", "", "with -bench: the old results `file`")
	fs.StringVar(&r.oldBin, "old-bin", "", "with -bench: an old test `binary` (go test -c) to run interleaved with the new one")
	fs.IntVar(&r.count, "count", 10, "with -bench: runs of each side")
	fs.StringVar(&r.pkg, "pkg", "./bench", "with -bench: the benchmark package's `directory`")
	fs.StringVar(&r.run.Benchtime, "benchtime", "", "with -bench: -test.benchtime for each run, e.g. 200ms or 100x (default: go test's)")
	fs.StringVar(&r.run.CPU, "cpu", "", "with -bench: -test.cpu for each run; 1 matches the names of a lowrank bench baseline (no -N suffix)")
	fs.StringVar(&r.out, "o", "", "with -bench: also write the new results to `file`")
	files, status, done := parseInterleaved(fs, args)
	if done {
		return status
	}
	f := failer{"regress", stderr}
	if err := checkCompareOptions(&opt, *units); err != nil {
		return f.usage("%v", err)
	}
	if err := r.check(files); err != nil {
		return f.usage("%v", err)
	}
	var c *bench.Comparison
	var err error
	if r.run.Bench == "" {
		fmt.Fprintf(stdout, "old: %s\nnew: %s\n\n", files[0], files[1])
		c, err = bench.CompareFiles(files[:1], files[1:], opt)
	} else {
		c, err = r.compare(stdout, stderr, opt)
	}
	if err == nil {
		err = c.WriteTable(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "lowrank regress: %v\n", err)
		return exitUsage
	}
	if c.Verdict(f.logf) {
		return exitFail
	}
	return exitOK
}

// parseInterleaved parses flags that may follow the file names: parse,
// take a name, parse the rest.
func parseInterleaved(fs *flag.FlagSet, args []string) (files []string, status int, done bool) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, true
			}
			return nil, exitUsage, true
		}
		if fs.NArg() == 0 {
			return files, exitOK, false
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// check checks that the files and the -bench flags ask for one of the two
// ways to compare.
func (r regressRun) check(files []string) error {
	switch {
	case r.run.Bench == "" && (r.base != "" || r.oldBin != ""):
		return errors.New("-base and -old-bin need -bench REGEXP")
	case r.run.Bench == "" && len(files) != 2:
		return fmt.Errorf("want two files, OLD and NEW, got %d", len(files))
	case r.run.Bench == "":
		return nil
	case len(files) > 0:
		return fmt.Errorf("-bench runs the new side: want no file arguments, got %q", files)
	case (r.base == "") == (r.oldBin == ""):
		return errors.New("-bench needs exactly one of -base FILE and -old-bin BINARY for the old side")
	case r.count < 1:
		return fmt.Errorf("-count %d: want at least 1", r.count)
	}
	return nil
}

// checkCompareOptions checks the flags' options and sets the units.
func checkCompareOptions(opt *bench.CompareOptions, units string) error {
	switch {
	case !(opt.Alpha > 0 && opt.Alpha < 1):
		return fmt.Errorf("-alpha %v: want 0 < alpha < 1, e.g. 0.05", opt.Alpha)
	case !(opt.MinEffect >= 0 && opt.MinEffect < 1):
		return fmt.Errorf("-min-effect %v: want a fraction 0 ≤ f < 1, e.g. 0.05 for 5%%", opt.MinEffect)
	case opt.MinSamples < 2:
		return fmt.Errorf("-min-samples %d: want at least 2", opt.MinSamples)
	}
	if opt.MinEffect == 0 {
		opt.MinEffect = -1 // CompareOptions' "none"
	}
	for u := range strings.SplitSeq(units, ",") {
		if u = strings.TrimSpace(u); u != "" {
			opt.Units = append(opt.Units, u)
		}
	}
	return nil
}

// compare builds and runs the benchmarks and compares the results with the
// old side.
func (r regressRun) compare(stdout, stderr io.Writer, opt bench.CompareOptions) (*bench.Comparison, error) {
	dir, err := bench.PackageDir(r.pkg)
	if err != nil {
		return nil, fmt.Errorf("-pkg %s: %v; want the benchmark package's directory, e.g. ./bench", r.pkg, err)
	}
	oldName, newName := r.base, fmt.Sprintf("new (%s -bench %s, %d runs)", r.pkg, r.run.Bench, r.count)
	var old []byte
	var oldBin *bench.TestBinary
	if r.base != "" {
		old, err = os.ReadFile(r.base) // now rather than after minutes of benchmarks
	} else if oldBin, err = bench.OpenTestBinary(r.oldBin, dir); err != nil {
		err = fmt.Errorf("-old-bin %s: %v; want a test binary built with go test -c", r.oldBin, err)
	}
	if err != nil {
		return nil, err
	}
	oldOut, newOut, err := bench.RunPackage(dir, oldBin, r.run, r.count, failer{"regress", stderr}.logf)
	if err == nil && r.out != "" {
		err = report.WriteFile(r.out, func(w io.Writer) error { _, err := w.Write(newOut); return err })
	}
	if err != nil {
		return nil, err
	}
	if oldBin != nil {
		oldName, old = fmt.Sprintf("old (%s -bench %s, %d runs)", r.oldBin, r.run.Bench, r.count), oldOut
	}
	fmt.Fprintf(stdout, "old: %s\nnew: %s\n\n", oldName, newName)
	return bench.Compare(bytes.NewReader(old), oldName, bytes.NewReader(newOut), newName, opt)
}
