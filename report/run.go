package report

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
)

// A UsageError is an error in what the caller asked for (a flag, a file
// that is not there to read), not a failure of the work that followed: a
// command exits 2 on one and 1 on any other error.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// IsUsage reports whether err is, or wraps, a UsageError.
func IsUsage(err error) bool {
	var u *UsageError
	return errors.As(err, &u)
}

// usageErrorf returns a UsageError with the formatted message.
func usageErrorf(format string, a ...any) error {
	return &UsageError{fmt.Errorf(format, a...)}
}

// usage wraps a non-nil err as a UsageError.
func usage(err error) error {
	if err == nil {
		return nil
	}
	return &UsageError{err}
}

// A Logf reports progress and notes, such as a command's on its stderr;
// nil discards them.
type Logf func(format string, a ...any)

func (l Logf) printf(format string, a ...any) {
	if l != nil {
		l(format, a...)
	}
}

// writeWrote says which results files a run wrote, or how to get them.
func writeWrote(w io.Writer, wrote []string, how string) {
	if len(wrote) == 0 {
		fmt.Fprintf(w, "wrote nothing (%s; make results writes results/)\n", how)
		return
	}
	fmt.Fprintf(w, "wrote %s\n", strings.Join(wrote, ", "))
}

// inOrder runs work on every file, one per core at a time, and hands each
// result to done in file order as soon as it and those before it are
// ready, so that a long run prints as it goes. The first error, in file
// order, is returned; work not yet begun is then skipped, so that a
// library caller is not left with the rest of a long run behind its back.
func inOrder[T any](files []string, work func(path string) (T, error), done func(T) error) error {
	type result struct {
		v     T
		err   error
		ready chan struct{}
	}
	results := make([]result, len(files))
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	var stop atomic.Bool
	defer stop.Store(true)
	for i, path := range files {
		results[i].ready = make(chan struct{})
		go func() {
			slots <- struct{}{}
			defer func() { <-slots; close(results[i].ready) }()
			if !stop.Load() {
				results[i].v, results[i].err = work(path)
			}
		}()
	}
	for i := range results {
		<-results[i].ready
		if results[i].err != nil {
			return results[i].err
		}
		if err := done(results[i].v); err != nil {
			return err
		}
	}
	return nil
}

// A Build is one run of lowrank report: REPORT.md written to Out from the
// results files (see ReadInputs; Memory and Kernels are globs).
type Build struct {
	Out                                           string
	Sweep, Steps, Plans, Memory, Kernels, Figures string
	Logf                                          Logf
}

// Run reads the inputs, writes the report (an output that would overwrite
// an input is a UsageError), notes what it left out and says what it
// wrote.
func (b Build) Run(w io.Writer) error {
	mems, _ := filepath.Glob(b.Memory)
	if err := atomicfile.CheckOutputs([]string{b.Out}, append(mems, b.Sweep, b.Steps, b.Plans)...); err != nil {
		return usage(err)
	}
	in, err := ReadInputs(filepath.Dir(b.Out), b.Sweep, b.Steps, b.Plans, b.Memory, b.Kernels, b.Figures)
	if err == nil {
		err = WriteFile(b.Out, func(w io.Writer) error { return WriteReport(w, in) })
	}
	if err != nil {
		return err
	}
	if in.Steps == nil {
		b.Logf.printf("note: no step times in %s: the report leaves the speedups out", b.Steps)
	}
	if in.Plans == nil {
		b.Logf.printf("note: no planner results in %s: the report says how to make them", b.Plans)
	}
	fmt.Fprintf(w, "wrote %s (%d sweep rows, %d plan rows, %d memory files, %d kernel tables)\n", b.Out, len(in.Sweep), len(in.Plans),
		len(in.MemoryPaths), len(in.Kernels))
	return nil
}
