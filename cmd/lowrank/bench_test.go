package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/kernels"
)

func TestBenchUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "-count", "0"}, "count = 0 is out of range: want 1 ≤ count ≤ 1000"},
		{[]string{"bench", "-gate-count", "-1"}, "gate-count = -1 is out of range"},
		{[]string{"bench", "-short", "-gate-count", "0"}, "-short runs the gate benchmarks only"},
		{[]string{"bench", "-short", "-bench", "."}, "-bench is for the suite: -short runs the gate benchmarks only"},
		{[]string{"bench", "-short", "-count", "3"}, "-count is for the suite"},
		{[]string{"bench", "-from", "x.txt", "-o", "y.txt"}, "-o runs benchmarks: -from reads a results file instead"},
		{[]string{"bench", "-from", "x.txt", "-count", "3"}, "-count runs benchmarks"},
		{[]string{"bench", "-from", "x.txt", "-peers", "none"}, "-peers runs benchmarks"},
		{[]string{"bench", "-from", "x.txt", "-table", filepath.Join(t.TempDir(), "no", "k.md")}, "does not exist: create it first"},
		{[]string{"bench", "-from", "x.txt", "-figures", filepath.Join(t.TempDir(), "no")}, "does not exist: create it first"},
		{[]string{"bench", "-targets", "sse9"}, `unknown target "sse9"`},
		{[]string{"bench", "extra"}, `unexpected arguments ["extra"]`},
	} {
		status, _, errOut := runCmd(tc.args...)
		if status != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("lowrank %q: exit %d, stderr:\n%s\nwant exit 2 and %q", tc.args, status, errOut, tc.want)
		}
	}
	if status, _, errOut := runCmd("bench", "-from", filepath.Join(t.TempDir(), "none.txt")); status != 1 ||
		!strings.Contains(errOut, "no such file") {
		t.Errorf("-from a missing file: exit %d, stderr %q; want exit 1", status, errOut)
	}
}

func TestCPUSlug(t *testing.T) {
	status, out, _ := runCmd("cpu", "-slug")
	if status != 0 || strings.TrimSpace(out) != bench.CPUSlug() {
		t.Errorf("lowrank cpu -slug: exit %d, %q; want %q", status, out, bench.CPUSlug())
	}
}

// TestCPUBaseline: this CPU's baseline, or one of its microarchitecture
// with a note on stderr, or exit 1 saying there is none.
func TestCPUBaseline(t *testing.T) {
	root := t.TempDir()
	slug := bench.CPUSlug()
	micro := strings.Join(strings.SplitN(slug, "-", 4)[:3], "-")
	other := filepath.Join(root, micro+"-sha512", "kernels.txt")
	if err := os.MkdirAll(filepath.Dir(other), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	status, out, errOut := runCmd("cpu", "-baseline", root)
	if status != 0 || strings.TrimSpace(out) != other || !strings.Contains(errOut, "no baseline for this CPU, "+slug+", exactly: using "+other) {
		t.Errorf("same microarchitecture: exit %d, stdout %q, stderr %q", status, out, errOut)
	}
	own := filepath.Join(root, slug, "kernels.txt")
	os.MkdirAll(filepath.Dir(own), 0o755)
	if err := os.WriteFile(own, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if status, out, errOut := runCmd("cpu", "-baseline", root); status != 0 || strings.TrimSpace(out) != own || errOut != "" {
		t.Errorf("exact: exit %d, stdout %q, stderr %q", status, out, errOut)
	}
	if status, out, errOut := runCmd("cpu", "-baseline", t.TempDir()); status != 1 || out != "" || !strings.Contains(errOut, "no baseline for this CPU, "+slug+", nor for its microarchitecture "+micro) {
		t.Errorf("none: exit %d, stdout %q, stderr %q", status, out, errOut)
	}
	if status, _, _ := runCmd("cpu", "-slug", "-baseline", root); status != 2 {
		t.Errorf("-slug -baseline: exit %d, want 2", status)
	}
}

// TestGateInSync checks that the Makefile's gate runs what lowrank bench
// puts in a baseline: the same benchmarks and -benchtime.
func TestGateInSync(t *testing.T) {
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Skip(err)
	}
	get := func(v string) string {
		m := regexp.MustCompile(`(?m)^` + v + `\s*\??:?=\s*(\S+)`).FindSubmatch(mk)
		if m == nil {
			t.Fatalf("no %s in the Makefile", v)
		}
		return strings.ReplaceAll(string(m[1]), "$$", "$")
	}
	if got := get("GATE_BENCH"); got != bench.GateBench {
		t.Errorf("Makefile GATE_BENCH = %s, bench.GateBench = %s", got, bench.GateBench)
	}
	status, help, _ := runCmd("help", "bench")
	if status != 0 {
		t.Fatalf("lowrank help bench: exit %d", status)
	}
	if got := get("GATE_BENCHTIME"); !regexp.MustCompile(`-gate-benchtime string\n.*\(default "` + got + `"\)`).MatchString(help) {
		t.Errorf("Makefile GATE_BENCHTIME = %s is not lowrank bench's -gate-benchtime default:\n%s", got, help)
	}
	if got := get("GATE_COUNT"); got != "10" || bench.GateCount != 10 {
		t.Errorf("Makefile GATE_COUNT = %s, lowrank bench -gate-count %d", got, bench.GateCount)
	}
}

// TestBenchRuns runs a tiny suite end to end: build, roofline, a target
// pass, the peers pass, a gate pass, the file and its summary.
func TestBenchRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the benchmarks")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "kernels.txt")
	md := filepath.Join(dir, "kernels.md")
	status, stdout, stderr := runCmd("bench", "-pkg", "../../bench", "-targets", "go", "-peers", "none",
		"-bench", "^BenchmarkMatVec$/./^dtype=f32$/^n=64$", "-count", "2", "-benchtime", "5ms",
		"-gate-count", "2", "-gate-benchtime", "5ms", "-o", out, "-table", md)
	if status != 0 {
		t.Fatalf("lowrank bench: exit %d\nstdout:\n%s\nstderr:\n%s", status, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{
		"target: " + kernels.Active() + "\n", "cpu-slug: " + bench.CPUSlug() + "\n", "caches: ", "goamd64: ",
		"BenchmarkMatVec/impl=go/dtype=f32/n=64 ", "BenchmarkMatVec/impl=gonum/dtype=f32/n=64 ",
		"BenchmarkRatio/op=matvec/impl=best/dtype=f32/n=64 ", "x/ref",
	} {
		if !strings.Contains(text, want) && !(want == "goamd64: " && !strings.Contains(text, "goarch: amd64")) {
			t.Errorf("results lack %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "impl=avx") || strings.Contains(text, "BenchmarkMatVec/impl=go/dtype=f32/n=64-") {
		t.Errorf("results hold other targets, or names with a -N suffix:\n%s", text)
	}
	if n := strings.Count(text, "BenchmarkRatio/op=matvec/impl=best/dtype=f32/n=64 "); n != 2 {
		t.Errorf("%d gate samples of Ratio/op=matvec/n=64, want 2", n)
	}
	// Every pass prints the same configuration, so that benchstat keeps
	// the file in one table.
	if n := strings.Count(text, "target: "+kernels.Active()+"\n"); n < 3 || n != strings.Count(text, "target: ") {
		t.Errorf("want the same target: line in every pass:\n%s", text)
	}
	if !strings.Contains(stdout, "MatVec/dtype=f32/n=64") || !strings.Contains(stdout, "L1") {
		t.Errorf("no summary table on stdout:\n%s", stdout)
	}
	if b, err := os.ReadFile(md); err != nil || !strings.Contains(string(b), "| MatVec/dtype=f32/n=64 |") {
		t.Errorf("-table %s: %v\n%s", md, err, b)
	}
}
