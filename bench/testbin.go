package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// A TestBinary is a benchmark package compiled by go test -c. It runs in
// the package's directory, as go test runs it: "go test -c, then run
// -test.bench", the one way lowrank bench and lowrank regress measure.
type TestBinary struct {
	Path string   // the executable
	Dir  string   // the package directory it runs in
	Env  []string // the environment of its runs; nil: this process's
}

// PackageDir returns the absolute path of the benchmark package directory
// dir, or an error saying why it is not one.
func PackageDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", errors.New("not a directory")
	}
	return abs, nil
}

// BuildTestBinary compiles the tests of the package in dir into out (go
// test -c) with the build tags, and env (KEY=VALUE settings, such as
// GOEXPERIMENT=simd) over this process's environment.
func BuildTestBinary(dir, out string, tags, env []string) (*TestBinary, error) {
	args := []string{"test", "-c", "-o", out}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir, cmd.Env = dir, os.Environ()
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		cmd.Env = setEnv(cmd.Env, k, v)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the benchmarks in %s (go %s): %v\n%s", dir, strings.Join(args, " "), err, tail(b))
	}
	if _, err := os.Stat(out); err != nil {
		return nil, fmt.Errorf("%s has no test files to build a benchmark binary from", dir)
	}
	return &TestBinary{Path: out, Dir: dir}, nil
}

// OpenTestBinary returns a test binary built before (go test -c), to run
// in the package directory dir.
func OpenTestBinary(path, dir string) (*TestBinary, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return nil, errors.New("not an executable file")
	}
	return &TestBinary{Path: abs, Dir: dir}, nil
}

// A BenchRun is what one run of a test binary measures.
type BenchRun struct {
	Bench     string // -test.bench regexp
	Benchtime string // -test.benchtime; "" for go test's default
	CPU       string // -test.cpu; "" for go test's default (GOMAXPROCS)
}

// Run runs the benchmarks once (-test.count 1, -test.benchmem, no tests)
// and returns what they print. A failure's error holds the end of both
// outputs.
func (b *TestBinary) Run(r BenchRun) ([]byte, error) {
	args := []string{"-test.run", "^$", "-test.bench", r.Bench, "-test.count", "1", "-test.benchmem"}
	if r.Benchtime != "" {
		args = append(args, "-test.benchtime", r.Benchtime)
	}
	if r.CPU != "" {
		args = append(args, "-test.cpu", r.CPU)
	}
	cmd := exec.Command(b.Path, args...)
	cmd.Dir, cmd.Env = b.Dir, b.Env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %v\n%s%s", b.Path, strings.Join(args, " "), err, tail(stdout.Bytes()), tail(stderr.Bytes()))
	}
	// A row that timed nothing is never recorded (see CheckResult).
	for br := benchfmt.NewReader(bytes.NewReader(stdout.Bytes()), b.Path); br.Scan(); {
		if rec, ok := br.Result().(*benchfmt.Result); ok {
			if err := CheckResult(rec); err != nil {
				return nil, fmt.Errorf("%s -test.bench %s: %v", b.Path, r.Bench, err)
			}
		}
	}
	return stdout.Bytes(), nil
}

// RunPackage builds the tests of the package in dir (go test -c, into a
// temporary folder) and runs their benchmarks as RunInterleaved does: the
// new side of a regression check, beside the runs of the old binary old
// when it is not nil.
func RunPackage(dir string, old *TestBinary, r BenchRun, count int, logf func(format string, a ...any)) (oldOut, newOut []byte, err error) {
	tmp, err := os.MkdirTemp("", "lowrank-regress-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp)
	logf("building %s", dir)
	bin, err := BuildTestBinary(dir, filepath.Join(tmp, "new.test"), nil, nil)
	if err != nil {
		return nil, nil, err
	}
	return RunInterleaved(old, bin, r, count, logf)
}

// RunInterleaved runs the benchmarks of new count times and, when old is
// not nil, those of old before each (old, new, old, new…), so that both
// sides see the machine alike; logf reports progress.
func RunInterleaved(old, new *TestBinary, r BenchRun, count int, logf func(format string, a ...any)) (oldOut, newOut []byte, err error) {
	for i := 1; i <= count; i++ {
		if old != nil {
			logf("run %d/%d: old", i, count)
			b, err := old.Run(r)
			if err != nil {
				return nil, nil, fmt.Errorf("run %d of the old binary: %v", i, err)
			}
			oldOut = append(oldOut, b...)
		}
		logf("run %d/%d: new", i, count)
		b, err := new.Run(r)
		if err != nil {
			return nil, nil, fmt.Errorf("run %d of the new benchmarks: %v", i, err)
		}
		newOut = append(newOut, b...)
	}
	return oldOut, newOut, nil
}

// tail returns the end of a command's output, for an error message.
func tail(b []byte) []byte {
	const keep = 4000
	if len(b) > keep {
		b = append([]byte("…"), b[len(b)-keep:]...)
	}
	return b
}

// setEnv returns env with key set to value.
func setEnv(env []string, key, value string) []string {
	env = slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, key+"=") })
	return append(env, key+"="+value)
}
