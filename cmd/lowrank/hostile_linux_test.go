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
	dir := t.TempDir()
	bin := buildLowrank(t, dir)
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
		flag := map[string]string{"compress": "-o", "memory": "-csv", "sweep": "-csv", "plan": "-csv"}[command]
		runs = append(runs, run{c, command, out, command == "memory" && c.Stage == hostile.Task && !c.Compressed})
		jobs = append(jobs, job{Args: append([]string{bin, command}, append(args, flag, out)...)})
	}
	modelRuns := func(c hostile.Case, path string) {
		add(c, "compress", "-model", path, "-rank", "4", "-eval", "200")
		add(c, "compress", "-model", path, "-max-error", "0.1", "-eval", "200") // planned without labels
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
		add(c, "plan", "-models", caseDir, "-eval", "200", "-sweep", filepath.Join(dir, "no-sweep.csv"))
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
		if !(jobs[i].Status == 0 && r.mayAccept) { // else it wrote its CSV, as it should
			checkRefused(t, fmt.Sprintf("%s: lowrank %s", r.c.Name, r.command), r.command, jobs[i], r.out, previous)
		}
	}
	checkOutputs(t, outDir, len(runs), jobs)
}

// buildLowrank builds the command into dir and returns its path.
func buildLowrank(t *testing.T, dir string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build lowrank with")
	}
	bin := filepath.Join(dir, "lowrank")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// checkRefused checks one run of command that must refuse its input: exit
// status 1 or 2, one short line on stderr and no crash, a peak RSS within
// refusedRSS, and out (if any) still holding previous.
func checkRefused(t *testing.T, what, command string, j job, out string, previous []byte) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(j.Stderr, "\n"), "\n")
	switch {
	case strings.Contains(j.Stderr, "panic") || strings.Contains(j.Stderr, "goroutine ") || strings.Contains(j.Stderr, "fatal error"):
		t.Errorf("%s: crashed (exit %d):\n%.2000s", what, j.Status, j.Stderr)
	case j.Status != 1 && j.Status != 2:
		t.Errorf("%s: exit %d, want 1 or 2; stderr:\n%.2000s", what, j.Status, j.Stderr)
	case len(lines) != 1 || !strings.HasPrefix(lines[0], "lowrank "+command+": ") || len(lines[0]) > 600:
		t.Errorf("%s: want one short line on stderr, got %d lines:\n%.2000s", what, len(lines), j.Stderr)
	case j.RSS > refusedRSS:
		t.Errorf("%s: refused with a peak RSS of %d MiB, more than %d MiB", what, j.RSS>>20, refusedRSS>>20)
	}
	if out == "" {
		return
	}
	if b, err := os.ReadFile(out); err != nil || !bytes.Equal(b, previous) {
		t.Errorf("%s: the previous output file changed (%v)", what, err)
	}
}

// checkOutputs checks that outDir holds only the n outputs given (no
// temporary file left beside them), and logs the largest peak RSS.
func checkOutputs(t *testing.T, outDir string, n int, jobs []job) {
	t.Helper()
	if es, err := os.ReadDir(outDir); err != nil || len(es) != n {
		t.Errorf("the output directory holds %d files, want the %d outputs: a temporary file was left (%v)", len(es), n, err)
	}
	var peak int64
	for _, j := range jobs {
		peak = max(peak, j.RSS)
	}
	t.Logf("%d runs; the largest peak RSS of any run was %d MiB", len(jobs), peak>>20)
}

// A results format that a command reads, and the reader that must refuse
// a hostile file of it.
type reader int

const (
	benchfmtFile reader = 1 << iota // the Go benchmark format: bench -from, regress OLD NEW, report -steps
	csvFile                         // a results CSV: report -sweep, -memory, -plans; plan -sweep
)

// hostileResults returns hostile results files, each with the formats
// whose readers must refuse it: not the format at all, values no
// measurement has, rows that timed nothing, and lines or fields far
// longer than any real one.
func hostileResults(model []byte) []struct {
	name    string
	data    []byte
	readers reader
} {
	any := benchfmtFile | csvFile
	noise := make([]byte, 64<<10)
	for i, x := 0, uint32(1); i < len(noise); i++ {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		noise[i] = byte(x)
	}
	head := "goos: linux\ngoarch: amd64\npkg: github.com/lowrank-rnn/lowrank/bench\ncaches: L1d 48 KiB, L2 1 MiB\n"
	row := "BenchmarkMatVec/impl=go/n=64 \t1000\t1250 ns/op\t3000 MB/s\n"
	sweepHead := "model,task,family,level,coherence,cell,hidden,method,joint,rank,params,mul_adds,metric_name,metric,metric_rel,relerr,relerr_predicted,out_relerr,out_relerr_predicted,calib_err\n"
	return []struct {
		name    string
		data    []byte
		readers reader
	}{
		{"empty", nil, any},
		{"random bytes", noise, any},
		{"a model file", model, any},
		{"a MiB of NUL bytes", make([]byte, 1<<20), any},
		{"one 16 MiB line", bytes.Repeat([]byte("x"), 16<<20), any},
		{"a row that timed nothing", []byte(head + row + "BenchmarkStep/cell=rnn \t1000000000\t0.0000002 ns/op\n"), benchfmtFile},
		{"a NaN time", []byte(head + "BenchmarkMatVec/impl=go/n=64 \t1000\tNaN ns/op\n"), benchfmtFile},
		{"an infinite throughput", []byte(head + "BenchmarkMatVec/impl=go/n=64 \t1000\t1250 ns/op\t+Inf MB/s\n"), benchfmtFile},
		{"a negative time", []byte(head + "BenchmarkMatVec/impl=go/n=64 \t1000\t-1250 ns/op\n"), benchfmtFile},
		{"an iteration count beyond int64", []byte(head + "BenchmarkMatVec/impl=go/n=64 \t99999999999999999999\t1250 ns/op\n"), benchfmtFile},
		{"a 16 MiB benchmark name", []byte(head + "Benchmark" + strings.Repeat("A", 16<<20) + " \t1000\t1250 ns/op\n"), benchfmtFile},
		{"a foreign header", []byte("a,b,c\n1,2,3\n"), csvFile},
		{"a short row", []byte(sweepHead + "m,t,f,l,0,rnn,8\n"), csvFile},
		{"an unterminated quote", []byte(sweepHead + "\"m,t\n"), csvFile},
		{"a 16 MiB field", []byte(sweepHead + "\"" + strings.Repeat("y", 16<<20) + "\"\n"), csvFile},
	}
}

// TestHostileResultsFiles gives every hostile results file, and a
// directory, a missing file and /dev/null, to every command that reads a
// results file: bench -from, regress (as OLD and as NEW), report (-sweep,
// -memory, -steps, -plans) and plan -models (-sweep). Each run must be refused as
// TestHostileCommands requires, with its pre-existing output (bench
// -table, report -o) byte-identical.
func TestHostileResultsFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and runs it about a hundred times")
	}
	dir := t.TempDir()
	bin := buildLowrank(t, dir)
	good := validResults(t, dir)
	outDir := filepath.Join(dir, "out")
	if err := os.Mkdir(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	previous := []byte("the previous output, which a failed command must leave alone\n")
	type run struct{ what, command, out string }
	var runs []run
	var jobs []job
	add := func(what string, outFlag string, args ...string) {
		var out string
		if outFlag != "" {
			out = filepath.Join(outDir, fmt.Sprintf("%03d.out", len(runs)))
			if err := os.WriteFile(out, previous, 0o644); err != nil {
				t.Fatal(err)
			}
			args = append(args, outFlag, out)
		}
		runs = append(runs, run{what + ": lowrank " + strings.Join(args[:2], " "), args[0], out})
		jobs = append(jobs, job{Args: append([]string{bin}, args...)})
	}
	reads := func(name, path string, readers reader, missingOK bool) {
		if readers&benchfmtFile != 0 {
			add(name, "-table", "bench", "-from", path)
			add(name, "", "regress", path, good["bench"])
			add(name, "", "regress", good["bench"], path)
			if !missingOK {
				add(name, "-o", "report", "-steps", path, "-sweep", good["sweep"], "-memory", good["memory"])
			}
		}
		if readers&csvFile != 0 {
			add(name, "-o", "report", "-sweep", path, "-steps", good["steps"], "-memory", good["memory"])
			add(name, "-o", "report", "-memory", path, "-steps", good["steps"], "-sweep", good["sweep"])
			if !missingOK { // the planner's results, and the oracle of its validation, may be missing
				add(name, "-o", "report", "-plans", path, "-steps", good["steps"], "-sweep", good["sweep"], "-memory", good["memory"])
				add(name, "-csv", "plan", "-models", filepath.Dir(good["model"]), "-sweep", path, "-eval", "32")
			}
		}
	}
	model, err := os.ReadFile(good["model"])
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range hostileResults(model) {
		path := filepath.Join(dir, fmt.Sprintf("case%02d.txt", i))
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		reads(c.name, path, c.readers, false)
	}
	reads("a directory", dir, benchfmtFile|csvFile, false)
	reads("/dev/null", os.DevNull, benchfmtFile|csvFile, false)
	// report -steps may be missing (the report then leaves the speedups out).
	reads("a missing file", filepath.Join(dir, "missing.txt"), benchfmtFile|csvFile, true)

	jobs = runUnderLimits(t, jobs)
	for i, r := range runs {
		checkRefused(t, r.what, r.command, jobs[i], r.out, previous)
	}
	checkOutputs(t, outDir, len(runs)-countEmpty(runs, func(r run) string { return r.out }), jobs)
}

func countEmpty[T any](xs []T, f func(T) string) int {
	n := 0
	for _, x := range xs {
		if f(x) == "" {
			n++
		}
	}
	return n
}

// validResults makes one valid file of each results format in dir, by
// running the commands that write them on a tiny trained model: a model,
// a sweep CSV and its step times, a memory CSV, and a benchmark file.
func validResults(t *testing.T, dir string) map[string]string {
	t.Helper()
	models := filepath.Join(dir, "models")
	if err := os.Mkdir(models, 0o755); err != nil {
		t.Fatal(err)
	}
	p := map[string]string{"model": filepath.Join(models, "recall.safetensors"), "sweep": filepath.Join(dir, "sweep.csv"),
		"steps": filepath.Join(dir, "steps.txt"), "memory": filepath.Join(dir, "memory.csv"), "bench": filepath.Join(dir, "bench.txt")}
	for _, args := range [][]string{
		{"train", "-task", "recall", "-rho", "0.5", "-K", "4", "-T", "30", "-cell", "rnn", "-hidden", "8", "-epochs", "1", "-per-epoch", "64", "-o", p["model"]},
		{"sweep", "-models", models, "-ranks", "2", "-methods", "svd", "-targets", "go", "-samples", "1", "-time", "1ms", "-eval", "32", "-csv", p["sweep"], "-times", p["steps"]},
		{"memory", "-hidden", "8", "-K", "3", "-ranks", "2,full", "-rho", "0", "-steps", "600", "-csv", p["memory"]},
	} {
		if status, out, errOut := runCmd(args...); status != 0 {
			t.Fatalf("lowrank %q: exit %d\n%s%s", args, status, out, errOut)
		}
	}
	var b strings.Builder
	b.WriteString("goos: linux\ngoarch: amd64\npkg: github.com/lowrank-rnn/lowrank/bench\n")
	for i := range 6 {
		fmt.Fprintf(&b, "BenchmarkMatVec/impl=go/n=64 \t1000\t%d ns/op\t0 allocs/op\n", 1250+i)
	}
	if err := os.WriteFile(p["bench"], []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
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
