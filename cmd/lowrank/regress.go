package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/lowrank-rnn/lowrank/bench"
)

// regressRun is how `lowrank regress -bench` produces results itself.
type regressRun struct {
	base      string // old results file (without oldBin)
	oldBin    string // old benchmark binary to interleave with the new one
	benchRe   string
	count     int
	pkg       string // directory of the benchmark package
	benchtime string
	cpu       string // -test.cpu
	out       string // where to save the new results
}

func runRegress(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("regress", "regress [flags] OLD NEW\n"+
		"       lowrank regress [flags] -bench REGEXP (-base OLD | -old-bin BINARY) [-count N] [-pkg DIR]",
		"Regress compares two sets of benchmark results (`go test -bench` output)\n"+
			"and fails when the new ones are significantly worse. It prints a table per\n"+
			"unit and exits 1 on a regression, 0 otherwise, 2 when it cannot compare.\n"+
			"\n"+
			"A statistical unit regresses when the Mann-Whitney p-value, corrected\n"+
			"with Holm's method over all the pairs compared, is below -alpha AND the\n"+
			"median moved the bad way by more than -min-effect. allocs/op, B/op and\n"+
			"units declared `Unit NAME assume=exact` regress on any bad move. Gated\n"+
			"by default: x/ref (a paired ratio, steady on a noisy machine) where both\n"+
			"sides report it, else sec/op; plus the exact units. Benchmarks on one\n"+
			"side only and pairs with too few samples are reported, not failed.\n"+
			"\n"+
			"With -bench, regress builds the package in -pkg once (go test -c) and\n"+
			"runs the benchmarks matching REGEXP -count times, one process each, for\n"+
			"the new side; the old side is the file -base, or as many runs of the\n"+
			"test binary -old-bin interleaved with the new runs (old, new, old, new…).",
		stderr)
	alpha := fs.Float64("alpha", bench.DefaultAlpha, "family-wise significance `level`")
	minEffect := fs.Float64("min-effect", bench.DefaultMinEffect,
		"smallest bad change of the median that counts, as a `fraction` (0.05 = 5%; 0: any)")
	units := fs.String("units", "",
		"comma-separated `units` to gate (default: x/ref where both sides have it, else sec/op; plus the exact units)")
	filter := fs.String("filter", "", "benchproc filter `expression`, e.g. '.name:MatVec /impl:avx512'")
	minSamples := fs.Int("min-samples", bench.DefaultMinSamples, "fewest samples a side for a statistical test")
	strict := fs.Bool("strict", false, "fail when a benchmark or gated unit of OLD is missing from NEW")
	var r regressRun
	fs.StringVar(&r.benchRe, "bench", "", "run the benchmarks matching `regexp` for the new side")
	fs.StringVar(&r.base, "base", "", "with -bench: the old results `file`")
	fs.StringVar(&r.oldBin, "old-bin", "", "with -bench: an old test `binary` (go test -c) to run interleaved with the new one")
	fs.IntVar(&r.count, "count", 10, "with -bench: runs of each side")
	fs.StringVar(&r.pkg, "pkg", "./bench", "with -bench: the benchmark package's `directory`")
	fs.StringVar(&r.benchtime, "benchtime", "", "with -bench: -test.benchtime for each run, e.g. 200ms or 100x (default: go test's)")
	fs.StringVar(&r.cpu, "cpu", "", "with -bench: -test.cpu for each run; 1 matches the names of a lowrank bench baseline (no -N suffix)")
	fs.StringVar(&r.out, "o", "", "with -bench: also write the new results to `file`")

	// Flags may follow the file names: parse, take a name, parse the rest.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}

	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "lowrank regress: "+format+"\n", a...)
		fmt.Fprintln(stderr, "run 'lowrank help regress' for usage")
		return exitUsage
	}
	opt := bench.CompareOptions{
		Alpha:         *alpha,
		MinEffect:     *minEffect,
		Filter:        *filter,
		MinSamples:    *minSamples,
		StrictMissing: *strict,
	}
	switch {
	case !(*alpha > 0 && *alpha < 1):
		return usageErr("-alpha %v: want 0 < alpha < 1, e.g. 0.05", *alpha)
	case !(*minEffect >= 0 && *minEffect < 1):
		return usageErr("-min-effect %v: want a fraction 0 ≤ f < 1, e.g. 0.05 for 5%%", *minEffect)
	case *minSamples < 2:
		return usageErr("-min-samples %d: want at least 2", *minSamples)
	}
	if *minEffect == 0 {
		opt.MinEffect = -1 // CompareOptions' "none"
	}
	for u := range strings.SplitSeq(*units, ",") {
		if u = strings.TrimSpace(u); u != "" {
			opt.Units = append(opt.Units, u)
		}
	}

	var (
		c   *bench.Comparison
		err error
	)
	if r.benchRe == "" {
		switch {
		case r.base != "" || r.oldBin != "":
			return usageErr("-base and -old-bin need -bench REGEXP")
		case len(files) != 2:
			return usageErr("want two files, OLD and NEW, got %d", len(files))
		}
		fmt.Fprintf(stdout, "old: %s\nnew: %s\n\n", files[0], files[1])
		c, err = bench.CompareFiles(files[:1], files[1:], opt)
	} else {
		switch {
		case len(files) > 0:
			return usageErr("-bench runs the new side: want no file arguments, got %q", files)
		case (r.base == "") == (r.oldBin == ""):
			return usageErr("-bench needs exactly one of -base FILE and -old-bin BINARY for the old side")
		case r.count < 1:
			return usageErr("-count %d: want at least 1", r.count)
		}
		c, err = r.compare(stdout, stderr, opt)
	}
	if err != nil {
		fmt.Fprintf(stderr, "lowrank regress: %v\n", err)
		return exitUsage
	}

	if err := c.WriteTable(stdout); err != nil {
		fmt.Fprintf(stderr, "lowrank regress: %v\n", err)
		return exitUsage
	}
	if n := c.Count(bench.Insufficient); n > 0 {
		fmt.Fprintf(stderr, "lowrank regress: warning: %d comparisons have fewer than %d samples on a side and were not tested\n",
			n, c.Options.MinSamples)
	}
	if c.Failed() {
		fmt.Fprintf(stderr, "lowrank regress: FAIL: %d regressions", c.Count(bench.Regressed))
		if c.Options.StrictMissing {
			fmt.Fprintf(stderr, ", %d missing", c.Count(bench.Missing))
		}
		fmt.Fprintln(stderr)
		return exitFail
	}
	return exitOK
}

// compare builds and runs the benchmarks and compares the results with the
// old side.
func (r regressRun) compare(stdout, stderr io.Writer, opt bench.CompareOptions) (*bench.Comparison, error) {
	dir, err := filepath.Abs(r.pkg)
	if err == nil {
		var fi os.FileInfo
		if fi, err = os.Stat(dir); err == nil && !fi.IsDir() {
			err = fmt.Errorf("not a directory")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("-pkg %s: %v; want the benchmark package's directory, e.g. ./bench", r.pkg, err)
	}
	var base []byte
	if r.base != "" {
		// Read it now rather than after minutes of benchmarks.
		if base, err = os.ReadFile(r.base); err != nil {
			return nil, err
		}
	}
	oldBin := r.oldBin
	if oldBin != "" {
		if oldBin, err = filepath.Abs(oldBin); err == nil {
			var fi os.FileInfo
			if fi, err = os.Stat(oldBin); err == nil && (fi.IsDir() || fi.Mode()&0o111 == 0) {
				err = fmt.Errorf("not an executable file")
			}
		}
		if err != nil {
			return nil, fmt.Errorf("-old-bin %s: %v; want a test binary built with go test -c", r.oldBin, err)
		}
	}

	tmp, err := os.MkdirTemp("", "lowrank-regress-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	newBin := filepath.Join(tmp, "new.test")
	fmt.Fprintf(stderr, "lowrank regress: building %s\n", r.pkg)
	build := exec.Command("go", "test", "-c", "-o", newBin, ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the benchmarks in %s (go test -c): %v\n%s", r.pkg, err, out)
	}
	if _, err := os.Stat(newBin); err != nil {
		return nil, fmt.Errorf("%s has no test files to build a benchmark binary from", r.pkg)
	}

	var oldOut, newOut bytes.Buffer
	for i := 1; i <= r.count; i++ {
		if oldBin != "" {
			fmt.Fprintf(stderr, "lowrank regress: run %d/%d: old\n", i, r.count)
			if err := r.runOnce(oldBin, dir, &oldOut); err != nil {
				return nil, fmt.Errorf("run %d of the old binary: %v", i, err)
			}
		}
		fmt.Fprintf(stderr, "lowrank regress: run %d/%d: new\n", i, r.count)
		if err := r.runOnce(newBin, dir, &newOut); err != nil {
			return nil, fmt.Errorf("run %d of the new benchmarks: %v", i, err)
		}
	}
	if r.out != "" {
		if err := os.WriteFile(r.out, newOut.Bytes(), 0o644); err != nil {
			return nil, err
		}
	}

	newName := fmt.Sprintf("new (%s -bench %s, %d runs)", r.pkg, r.benchRe, r.count)
	oldName, old := r.base, base
	if oldBin != "" {
		oldName, old = fmt.Sprintf("old (%s -bench %s, %d runs)", r.oldBin, r.benchRe, r.count), oldOut.Bytes()
	}
	fmt.Fprintf(stdout, "old: %s\nnew: %s\n\n", oldName, newName)
	return bench.Compare(bytes.NewReader(old), oldName, bytes.NewReader(newOut.Bytes()), newName, opt)
}

// runOnce runs the benchmarks of test binary bin once, in the package
// directory as go test does, and appends their output to out.
func (r regressRun) runOnce(bin, dir string, out *bytes.Buffer) error {
	args := []string{"-test.run", "^$", "-test.bench", r.benchRe, "-test.count", "1", "-test.benchmem"}
	if r.benchtime != "" {
		args = append(args, "-test.benchtime", r.benchtime)
	}
	if r.cpu != "" {
		args = append(args, "-test.cpu", r.cpu)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s%s", bin, strings.Join(args, " "), err, tail(stdout.Bytes()), tail(stderr.Bytes()))
	}
	out.Write(stdout.Bytes())
	return nil
}

// tail returns the end of a command's output, for an error message.
func tail(b []byte) []byte {
	const keep = 4000
	if len(b) > keep {
		b = append([]byte("…"), b[len(b)-keep:]...)
	}
	return b
}
