package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/kernels"
)

// TestMain lets a test run the command in a child process, for what only a
// fresh process can show (LOWRANK_TARGET is read at start-up).
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv("LOWRANK_TEST_RUN"); ok {
		os.Exit(run(strings.Fields(args), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// runCmd runs the command in-process.
func runCmd(args ...string) (status int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	status = run(args, &out, &errOut)
	return status, out.String(), errOut.String()
}

func TestCPU(t *testing.T) {
	status, out, errOut := runCmd("cpu")
	if status != 0 {
		t.Fatalf("lowrank cpu: exit %d, stderr:\n%s", status, errOut)
	}
	for _, label := range []string{"cpu", "vendor", "family", "identity", "features", "lacks", "caches", "cores"} {
		if !hasLinePrefix(out, label+" ") {
			t.Errorf("no %q line in:\n%s", label, out)
		}
	}
	for _, tg := range kernels.Targets() {
		if !hasLinePrefix(out, "  "+tg.Name+" ") {
			t.Errorf("target %s is not listed in:\n%s", tg.Name, out)
		}
	}
	if !hasLinePrefix(out, "active: "+kernels.Active()) {
		t.Errorf("no line \"active: %s\" in:\n%s", kernels.Active(), out)
	}
}

func hasLinePrefix(s, prefix string) bool {
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, prefix) {
			return true
		}
	}
	return false
}

// TestBadTargetEnv: an invalid LOWRANK_TARGET (unknown, or another
// architecture's) is an error with the valid list, exit 2, in every
// command, before it does anything.
func TestBadTargetEnv(t *testing.T) {
	foreign := "neon" // a target of the other architecture, not in this build
	if runtime.GOARCH == "arm64" {
		foreign = "avx2"
	}
	for _, target := range []string{"sse9", foreign} {
		for _, c := range commands() {
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), "LOWRANK_TEST_RUN="+c.name, "LOWRANK_TARGET="+target)
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != 2 || out.Len() > 0 {
				t.Errorf("LOWRANK_TARGET=%s lowrank %s: %v (exit %d, %d bytes on stdout), want exit 2 and nothing done; stderr:\n%s",
					target, c.name, err, code, out.Len(), errOut.String())
			}
			want := fmt.Sprintf("lowrank %s: LOWRANK_TARGET: unknown target %q (this build has go", c.name, target)
			if !strings.Contains(errOut.String(), want) {
				t.Errorf("LOWRANK_TARGET=%s lowrank %s: stderr lacks %q:\n%s", target, c.name, want, errOut.String())
			}
		}
	}
}

func TestSweep(t *testing.T) {
	timesPath := filepath.Join(t.TempDir(), "sweep.txt")
	status, out, errOut := runCmd("sweep", "-n", "32", "-ranks", "4,full,8,32,40", "-samples", "2", "-time", "1ms", "-times", timesPath)
	if status != 0 {
		t.Fatalf("exit %d, stderr:\n%s", status, errOut)
	}
	for _, r := range []string{"32", "40"} {
		if !strings.Contains(errOut, "skipping rank "+r+" ≥ n = 32") {
			t.Errorf("no note about skipping rank %s; stderr:\n%s", r, errOut)
		}
	}
	// The float32 targets: the quantized variants run their family's.
	var targets []string
	for _, tg := range kernels.Targets() {
		if tg.Available && tg.Family == tg.Name {
			targets = append(targets, tg.Name)
		}
	}
	wantCols := 3 + 2*len(targets) + 1

	// The table: the header, then dense and one row per kept rank, each
	// with rank, params, multiply-adds, ns and speedup per target, theory.
	var table [][]string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && (f[0] == "rank" || len(table) > 0) && !strings.HasPrefix(line, "wrote") {
			table = append(table, f)
		}
	}
	if len(table) == 0 || !strings.HasPrefix(out, "lowrank sweep ") {
		t.Fatalf("no header line or no table in:\n%s", out)
	}
	head := strings.Join(table[0], " ")
	for _, tg := range targets {
		if !strings.Contains(head, tg+" ns "+tg+" speedup") {
			t.Errorf("header %q lacks the columns of target %s", head, tg)
		}
	}
	want := [][3]string{{"full", "1024", "1024"}, {"4", "256", "256"}, {"8", "512", "512"}}
	if len(table) != 1+len(want) {
		t.Fatalf("table has %d rows, want header + %d:\n%s", len(table), len(want), out)
	}
	for i, w := range want {
		row := table[i+1]
		// The header has two words per target column ("go ns", "go
		// speedup") and "mul-adds": count the data rows' cells.
		if len(row) != wantCols {
			t.Errorf("row %q has %d columns, want %d", row, len(row), wantCols)
			continue
		}
		if [3]string(row[:3]) != w {
			t.Errorf("row %d starts %q, want %q", i+1, row[:3], w)
		}
	}
	if full := table[1]; full[4] != "1.00" || full[len(full)-1] != "1.00" {
		t.Errorf("dense row %q: speedup and theory should be 1.00", full)
	}
	if theory := table[2][wantCols-1]; theory != "4.00" {
		t.Errorf("rank 4 of n = 32: theory %s, want 4.00", theory)
	}
	if !strings.Contains(out, "wrote "+timesPath) {
		t.Errorf("no line saying it wrote %s:\n%s", timesPath, out)
	}
	times, err := bench.ReadTimingsFile(timesPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(times.Ops) != 3 || times.Ops[2] != "SweepMatVec/n=32/rank=8" || len(times.Targets) != len(targets) ||
		len(times.Results[2][0].Samples) != 2 {
		t.Errorf("times file: ops %q, targets %q", times.Ops, times.Targets)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in stderr
	}{
		{[]string{}, "Usage:"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"; the commands are cpu, train, compress, plan, inspect, sweep, memory, bench, tune, regress, report, help`},
		{[]string{"help", "frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"cpu", "extra"}, `unexpected arguments ["extra"]`},
		{[]string{"sweep", "-targets", "go,sse9"}, `-targets: unknown target "sse9" (this build has go`},
		{[]string{"sweep", "-targets", "go,go"}, `target "go" is listed twice`},
		{[]string{"sweep", "-ranks", "4,x"}, `rank "x" is neither a positive integer nor full`},
		{[]string{"sweep", "-ranks", "0"}, `rank "0" is neither a positive integer nor full`},
		{[]string{"sweep", "-ranks", ""}, `rank "" is neither a positive integer nor full`},
		{[]string{"sweep", "-ranks", "8,8"}, `rank 8 is listed twice`},
		{[]string{"sweep", "-ranks", "8,5000"}, `rank = 5000 is out of range: want 1 ≤ rank ≤ 4096`},
		{[]string{"sweep", "-n", "64", "-csv", "x.csv"}, `-csv is for the model sweep, not -n's products (-times writes their times)`},
		{[]string{"sweep", "-n", "64", "-models", "."}, `-models is for the model sweep`},
		{[]string{"sweep", "-n", "64", "-eval", "10"}, `-eval is for the model sweep`},
		{[]string{"sweep", "-n", "0"}, `invalid value "0" for flag -n: n = 0 is out of range: want 1 ≤ n ≤ 8192`},
		{[]string{"sweep", "-n", "1000000000"}, `n = 1000000000 is out of range`},
		{[]string{"sweep", "-samples", "0"}, `samples = 0 is out of range: want 1 ≤ samples ≤ 1000`},
		{[]string{"sweep", "-eval", "0"}, `eval = 0 is out of range`},
		{[]string{"sweep", "-n", "8", "-times", filepath.Join(t.TempDir(), "missing", "t.txt")}, "does not exist: create it first"},
		{[]string{"sweep", "-time", "0s"}, `-time 0s: want a positive duration`},
		{[]string{"sweep", "-bogus"}, `flag provided but not defined: -bogus`},
		{[]string{"train", "-o", "x", "-output-dropout", "1"}, "dropout = 1 is out of range"},
		{[]string{"train", "-o", "x", "-weight-decay", "-1"}, "weight-decay = -1 is out of range"},
		{[]string{"train", "-o", "x", "-valid", "0.1"}, "-valid carves a validation split from a text task"},
		{[]string{"train", "-task", "pi", "-o", "x", "-patience", "2"}, "-patience stops on the validation score: set -valid too"},
		{[]string{"tune", "-prefetch", "100"}, `prefetch distance "100": want positive multiples of 64`},
		{[]string{"tune", "-prefetch", ","}, `no prefetch distance in ","`},
		{[]string{"tune", "-rounds", "2"}, `rounds = 2 is out of range: want 3 ≤ rounds ≤ 10000`},
		{[]string{"tune", "-margin", "0"}, `margin = 0 is out of range: want 0 < margin < 1`},
		{[]string{"tune", "-block", "0s"}, `-block 0s: want a positive length`},
		{[]string{"tune", "-o", filepath.Join(t.TempDir(), "missing", "e.go")}, "does not exist: create it first"},
	} {
		status, _, errOut := runCmd(tc.args...)
		if status != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("lowrank %q: exit %d, stderr:\n%s\nwant exit 2 and %q", tc.args, status, errOut, tc.want)
		}
	}
	// An available target that this build or CPU cannot run says why.
	for _, tg := range kernels.Targets() {
		if !tg.Available {
			status, _, errOut := runCmd("sweep", "-targets", tg.Name)
			if status != 2 || !strings.Contains(errOut, "not available: "+tg.Missing) {
				t.Errorf("-targets %s: exit %d, stderr %q; want exit 2 and the reason", tg.Name, status, errOut)
			}
		}
	}
}

func TestHelp(t *testing.T) {
	status, out, _ := runCmd("help")
	if status != 0 {
		t.Fatalf("lowrank help: exit %d", status)
	}
	for _, c := range []string{"cpu", "train", "compress", "plan", "sweep", "memory", "bench", "regress", "report", "help"} {
		if !strings.Contains(out, "\t"+c+" ") {
			t.Errorf("help does not list %s:\n%s", c, out)
		}
	}
	status, out, _ = runCmd("help", "sweep")
	if status != 0 || !strings.Contains(out, "usage: lowrank sweep") || !strings.Contains(out, "-ranks") {
		t.Errorf("lowrank help sweep: exit %d, output:\n%s", status, out)
	}
	if status, _, errOut := runCmd("sweep", "-h"); status != 0 || !strings.Contains(errOut, "-samples") {
		t.Errorf("lowrank sweep -h: exit %d, stderr:\n%s", status, errOut)
	}
}
