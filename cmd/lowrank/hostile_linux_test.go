package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/lowrank-rnn/lowrank/internal/hostile"
)

// Limits on a command that reads a hostile file. The address-space limit
// (RLIMIT_AS, set by the runner below) turns a runaway allocation into a
// failed one that the test sees as a crash; the Go runtime reserves about
// 700 MB of address space at start-up, so 2 GiB leaves room for the real
// work of a command that accepts a file. A file that is refused must be
// refused cheaply: a peak RSS under 100 MiB.
const (
	addressSpace = 2 << 30
	refusedRSS   = 100 << 20
)

// job is one run of the command, and what came of it.
type job struct {
	Args   []string
	Status int
	RSS    int64 // peak resident set, bytes
	Stderr string
}

// TestHostileCommands builds lowrank once and gives every hostile model
// and compressed file to every command that reads a model file: compress
// (-model), memory (-model) and sweep (-models, a directory holding only
// that file). Each run must end with exit status 1 or 2 and one clean line
// on stderr (no panic, no goroutine trace), stay within the memory limits,
// and leave its pre-existing output file byte-identical with no temporary
// file beside it. The memorization experiment does not use a model's task
// metadata, so memory may accept a file whose only lie is there (stage
// task); it must then finish normally.
func TestHostileCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and runs it about five hundred times")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build lowrank with")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "lowrank")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	outDir := filepath.Join(dir, "out")
	if err := os.Mkdir(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	previous := []byte("the previous output, which a failed command must leave alone\n")

	type run struct {
		c         hostile.Case
		command   string
		out       string // the output file the command was given
		mayAccept bool
	}
	var runs []run
	var jobs []job
	add := func(c hostile.Case, command string, args ...string) {
		out := filepath.Join(outDir, fmt.Sprintf("%03d-%s.out", len(runs), command))
		if err := os.WriteFile(out, previous, 0o644); err != nil {
			t.Fatal(err)
		}
		flag := map[string]string{"compress": "-o", "memory": "-csv", "sweep": "-csv"}[command]
		runs = append(runs, run{c, command, out, command == "memory" && c.Stage == hostile.Task && !c.Compressed})
		jobs = append(jobs, job{Args: append([]string{bin, command}, append(args, flag, out)...)})
	}
	modelRuns := func(c hostile.Case, path string) {
		add(c, "compress", "-model", path, "-rank", "4", "-eval", "200")
		add(c, "memory", "-model", path, "-rho", "0", "-ranks", "2", "-steps", "400", "-K", "4", "-linear=false")
	}
	for i, c := range append(hostile.Models(), hostile.CompressedModels()...) {
		// sweep reads every *.safetensors of a directory: one directory each.
		caseDir := filepath.Join(dir, fmt.Sprintf("case%03d", i))
		path := filepath.Join(caseDir, "model.safetensors")
		if err := os.Mkdir(caseDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, c.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		modelRuns(c, path)
		add(c, "sweep", "-models", caseDir, "-ranks", "2", "-methods", "svd", "-targets", "go", "-samples", "1",
			"-time", "1ms", "-eval", "200", "-figures", "")
	}
	for _, e := range []struct{ name, path string }{
		{"a directory", dir},
		{"a missing file", filepath.Join(dir, "missing.safetensors")},
		{"/dev/null", os.DevNull},
	} {
		modelRuns(hostile.Case{Name: e.name, Stage: hostile.Format}, e.path)
	}

	jobs = runUnderLimits(t, jobs)
	for i, r := range runs {
		j := jobs[i]
		what := fmt.Sprintf("%s: lowrank %s", r.c.Name, r.command)
		lines := strings.Split(strings.TrimRight(j.Stderr, "\n"), "\n")
		switch {
		case strings.Contains(j.Stderr, "panic") || strings.Contains(j.Stderr, "goroutine ") || strings.Contains(j.Stderr, "fatal error"):
			t.Errorf("%s: crashed (exit %d):\n%.2000s", what, j.Status, j.Stderr)
		case j.Status == 0 && r.mayAccept:
			continue // it wrote its CSV, as it should
		case j.Status != 1 && j.Status != 2:
			t.Errorf("%s: exit %d, want 1 or 2; stderr:\n%.2000s", what, j.Status, j.Stderr)
		case len(lines) != 1 || !strings.HasPrefix(lines[0], "lowrank "+r.command+": ") || len(lines[0]) > 600:
			t.Errorf("%s: want one short line on stderr, got %d lines:\n%.2000s", what, len(lines), j.Stderr)
		case j.RSS > refusedRSS:
			t.Errorf("%s: refused with a peak RSS of %d MiB, more than %d MiB", what, j.RSS>>20, refusedRSS>>20)
		}
		if b, err := os.ReadFile(r.out); err != nil || !bytes.Equal(b, previous) {
			t.Errorf("%s: the previous output file changed (%v)", what, err)
		}
	}
	if es, err := os.ReadDir(outDir); err != nil || len(es) != len(runs) {
		t.Errorf("the output directory holds %d files, want the %d outputs: a temporary file was left (%v)", len(es), len(runs), err)
	}
	var peak int64
	for _, j := range jobs {
		peak = max(peak, j.RSS)
	}
	t.Logf("%d runs; the largest peak RSS of any run was %d MiB", len(jobs), peak>>20)
}

// runUnderLimits runs the jobs one after the other in a runner: this test
// binary started afresh (TestHostileRunner). A small runner, because the
// peak RSS that getrusage reports for a child includes that of the process
// it was started from (Go starts children with vfork), and this test holds
// every hostile file in memory.
func runUnderLimits(t *testing.T, jobs []job) []job {
	t.Helper()
	spec, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	specFile := filepath.Join(t.TempDir(), "jobs.json")
	if err := os.WriteFile(specFile, spec, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHostileRunner$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LOWRANK_HOSTILE_JOBS="+specFile)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("runner: %v\n%s", err, out)
	}
	done, err := os.ReadFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	var got []job
	if err := json.Unmarshal(done, &got); err != nil || len(got) != len(jobs) {
		t.Fatalf("runner: %d results for %d jobs (%v)", len(got), len(jobs), err)
	}
	return got
}

// TestHostileRunner is the runner of TestHostileCommands; on its own it
// does nothing. It lowers its address-space limit (inherited by the
// commands it starts), runs each job, and writes the results back.
func TestHostileRunner(t *testing.T) {
	specFile := os.Getenv("LOWRANK_HOSTILE_JOBS")
	if specFile == "" {
		t.Skip("the runner of TestHostileCommands")
	}
	spec, err := os.ReadFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	var jobs []job
	if err := json.Unmarshal(spec, &jobs); err != nil {
		t.Fatal(err)
	}
	lim := syscall.Rlimit{Cur: addressSpace, Max: addressSpace}
	if err := syscall.Setrlimit(syscall.RLIMIT_AS, &lim); err != nil {
		t.Fatal(err)
	}
	for i := range jobs {
		cmd := exec.Command(jobs[i].Args[0], jobs[i].Args[1:]...)
		cmd.Env = append(os.Environ(), "GOTRACEBACK=all")
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		cmd.Run()
		if cmd.ProcessState == nil {
			t.Fatalf("%q did not start", jobs[i].Args)
		}
		jobs[i].Status = cmd.ProcessState.ExitCode()
		jobs[i].Stderr = errOut.String()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			jobs[i].RSS = ru.Maxrss << 10 // KiB on Linux
		}
	}
	out, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(specFile, out, 0o644); err != nil {
		t.Fatal(err)
	}
}
