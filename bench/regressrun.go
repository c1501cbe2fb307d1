package bench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
)

// A RegressRun is a regression check whose new side is measured here
// (lowrank regress -bench): Count runs of the benchmarks of the package in
// Dir that match Run.Bench, against the results file Base, or against as
// many runs of the test binary OldBin, interleaved with the new ones.
type RegressRun struct {
	Dir          string // the benchmark package (PackageDir)
	Base, OldBin string // the old side: exactly one
	Out          string // if set, the new results are also written there
	Run          BenchRun
	Count        int
}

// Compare builds and runs the benchmarks, writes the new results to Out,
// and compares the two sides with opt; logf reports progress. The names
// label the two sides for a reader.
func (r RegressRun) Compare(opt CompareOptions, logf func(format string, a ...any)) (c *Comparison, oldName, newName string, err error) {
	var old io.Reader
	var oldBin *TestBinary
	if r.Base != "" {
		f, err := os.Open(r.Base) // now rather than after minutes of benchmarks
		if err != nil {
			return nil, "", "", err
		}
		defer f.Close()
		old, oldName = f, r.Base
	} else if oldBin, err = OpenTestBinary(r.OldBin, r.Dir); err != nil {
		return nil, "", "", fmt.Errorf("old binary %s: %v; want a test binary built with go test -c", r.OldBin, err)
	}
	oldOut, newOut, err := RunPackage(r.Dir, oldBin, r.Run, r.Count, logf)
	if err == nil && r.Out != "" {
		err = atomicfile.WriteBytes(r.Out, newOut)
	}
	if err != nil {
		return nil, "", "", err
	}
	if oldBin != nil {
		old, oldName = bytes.NewReader(oldOut), fmt.Sprintf("old (%s -bench %s, %d runs)", r.OldBin, r.Run.Bench, r.Count)
	}
	newName = fmt.Sprintf("new (%s -bench %s, %d runs)", r.Dir, r.Run.Bench, r.Count)
	c, err = Compare(old, oldName, bytes.NewReader(newOut), newName, opt)
	return c, oldName, newName, err
}

// Check checks that r and the positional files ask for one of the two ways
// to compare: two results files, OLD and NEW, and no Run.Bench; or
// Run.Bench, no files and exactly one old side. It sets Dir to the
// benchmark package in pkg.
func (r *RegressRun) Check(pkg string, files []string) (err error) {
	switch {
	case r.Run.Bench == "":
		if len(files) != 2 {
			return fmt.Errorf("want two files, OLD and NEW, got %d", len(files))
		}
		return nil
	case len(files) > 0:
		return fmt.Errorf("-bench runs the new side: want no file arguments, got %q", files)
	case (r.Base == "") == (r.OldBin == ""):
		return errors.New("-bench needs exactly one of -base FILE and -old-bin BINARY for the old side")
	}
	if r.Dir, err = PackageDir(pkg); err != nil {
		return fmt.Errorf("-pkg %s: %v; want the benchmark package's directory, e.g. ./bench", pkg, err)
	}
	return atomicfile.CheckOutputs([]string{r.Out}, r.Base, r.OldBin)
}

// Regress compares the old side with the new one by opt, prints the two
// sides' names and the table to w, and reports whether the new side
// regressed (logf: progress and the verdict's reasons). The sides are the
// results files OLD and NEW without Run.Bench, else as Compare measures
// them.
func (r RegressRun) Regress(w io.Writer, files []string, opt CompareOptions, logf func(format string, a ...any)) (regressed bool, err error) {
	var c *Comparison
	names := files
	if r.Run.Bench == "" {
		c, err = CompareFiles(files[:1], files[1:], opt)
	} else {
		names = make([]string, 2)
		c, names[0], names[1], err = r.Compare(opt, logf)
	}
	if err == nil {
		fmt.Fprintf(w, "old: %s\nnew: %s\n\n", names[0], names[1])
		err = c.WriteTable(w)
	}
	if err != nil {
		return false, err
	}
	return c.Verdict(logf), nil
}
