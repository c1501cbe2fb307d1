package bench

import (
	"bytes"
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
