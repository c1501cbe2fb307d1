package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// benchLines returns one benchmark line per value of x/ref, with ns/op
// varying around ns and allocs allocations per op.
func benchLines(name string, ratios []float64, ns float64, allocs int) string {
	var b strings.Builder
	for i, r := range ratios {
		fmt.Fprintf(&b, "Benchmark%s-2\t1000\t%.1f ns/op\t%.4f x/ref\t0 B/op\t%d allocs/op\n",
			name, ns*(1+0.1*float64(i%3-1)), r, allocs)
	}
	return b.String()
}

// scaled returns vs times f.
func scaled(vs []float64, f float64) []float64 {
	out := make([]float64, len(vs))
	for i, v := range vs {
		out[i] = v * f
	}
	return out
}

// ratios are ten paired ratios with ±2% spread.
var ratios = []float64{1.00, 1.01, 0.99, 1.02, 0.98, 1.005, 0.995, 1.015, 0.985, 1.0}

const header = "goos: linux\ngoarch: amd64\npkg: github.com/lowrank-rnn/lowrank/bench\n"

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func regress(args ...string) (status int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	status = runRegress(args, &out, &errOut)
	return status, out.String(), errOut.String()
}

func TestRegressCommand(t *testing.T) {
	old := writeTemp(t, "old.txt", header+
		benchLines("MatVec/impl=avx2/n=256", ratios, 5000, 0)+
		benchLines("MatVec/impl=avx512/n=256", ratios, 3000, 0))
	same := writeTemp(t, "same.txt", header+
		benchLines("MatVec/impl=avx2/n=256", scaled(ratios, 1.01), 5500, 0)+
		benchLines("MatVec/impl=avx512/n=256", ratios, 2800, 0))
	slower := writeTemp(t, "slower.txt", header+
		benchLines("MatVec/impl=avx2/n=256", ratios, 5000, 0)+
		benchLines("MatVec/impl=avx512/n=256", scaled(ratios, 1.2), 3000, 0))
	allocs := writeTemp(t, "allocs.txt", header+
		benchLines("MatVec/impl=avx2/n=256", ratios, 5000, 1)+
		benchLines("MatVec/impl=avx512/n=256", ratios, 3000, 0))
	fewer := writeTemp(t, "fewer.txt", header+
		benchLines("MatVec/impl=avx2/n=256", ratios[:3], 5000, 0))

	for _, tc := range []struct {
		name   string
		args   []string
		status int
		stdout []string // substrings of stdout
		stderr []string // substrings of stderr
	}{
		{"same", []string{old, same}, 0,
			[]string{"old: " + old, "x/ref (lower is better", "MatVec/impl=avx2/n=256-2", "+1.00%", "allocs/op", "gate: 0 regressed"}, nil},
		{"slower", []string{old, slower}, 1,
			[]string{"MatVec/impl=avx512/n=256-2", "+20.00%", "REGRESSION", "gate: 1 regressed"}, []string{"FAIL: 1 regressions"}},
		{"flags after files", []string{old, slower, "-min-effect", "0.25"}, 0, []string{"small", "min effect 25%"}, nil},
		{"filter", []string{"-filter", "/impl:avx2", old, slower}, 0, []string{"avx2"}, nil},
		{"allocs", []string{old, allocs}, 1, []string{"allocs/op (lower is better, exact)", "REGRESSION"}, nil},
		{"units", []string{"-units", "ns/op", old, slower}, 0, []string{"sec/op (lower is better"}, nil},
		{"insufficient", []string{old, fewer}, 0, []string{"insufficient samples", "10+3", "missing in new"},
			[]string{"warning: 1 comparisons have fewer than 4 samples"}},
		{"strict", []string{"-strict", old, fewer}, 1, []string{"missing in new"}, []string{"3 missing"}},
		{"help", []string{"-h"}, 0, nil, []string{"usage: lowrank regress [flags] OLD NEW", "-min-effect"}},

		{"no files", nil, 2, nil, []string{"want two files, OLD and NEW, got 0"}},
		{"three files", []string{old, old, old}, 2, nil, []string{"got 3"}},
		{"missing file", []string{old, old + ".nope"}, 2, nil, []string{"no such file"}},
		{"not benchmarks", []string{old, writeTemp(t, "x.txt", "hello\n")}, 2, nil, []string{"no benchmark results"}},
		{"bad flag", []string{"-nope", old, old}, 2, nil, []string{"flag provided but not defined: -nope"}},
		{"bad alpha", []string{"-alpha", "0", old, old}, 2, nil, []string{"alpha = 0 is out of range: want 0 < alpha < 1"}},
		{"bad effect", []string{"-min-effect", "1.5", old, old}, 2, nil, []string{"min-effect = 1.5 is out of range"}},
		{"bad units", []string{"-units", "bogus", old, old}, 2, nil, []string{`unit "bogus" is in neither results`}},
		{"too few samples", []string{"-units", "x/ref", "-min-samples", "11", old, old}, 2, nil, []string{"nothing to compare"}},
		{"count without bench", []string{"-count", "3", old, old}, 2, nil, []string{"-count needs -bench"}},
		{"o without bench", []string{"-o", old + ".new", old, old}, 2, nil, []string{"-o needs -bench"}},
		{"o is base", []string{"-bench", ".", "-base", old, "-o", old, "-pkg", t.TempDir()}, 2, nil, []string{"is the input " + old}},
		{"bad filter", []string{"-filter", ".name:(", old, old}, 2, nil, []string{"filter"}},
		{"filter matches nothing", []string{"-filter", ".name:Nope", old, old}, 2, nil, []string{"match the filter"}},
		{"base without bench", []string{"-base", old, old}, 2, nil, []string{"-base needs -bench"}},
		{"bench with files", []string{"-bench", ".", "-base", old, old}, 2, nil, []string{"want no file arguments"}},
		{"bench without old side", []string{"-bench", "."}, 2, nil, []string{"exactly one of -base FILE and -old-bin"}},
		{"bench with both", []string{"-bench", ".", "-base", old, "-old-bin", old}, 2, nil, []string{"exactly one of"}},
		{"bench bad pkg", []string{"-bench", ".", "-base", old, "-pkg", old + ".nope"}, 2, nil, []string{"-pkg", "no such file"}},
		{"bench bad old-bin", []string{"-bench", ".", "-old-bin", old, "-pkg", t.TempDir()}, 2, nil, []string{"not an executable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out, errOut := regress(tc.args...)
			if status != tc.status {
				t.Errorf("lowrank regress %q: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tc.args, status, tc.status, out, errOut)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
		})
	}
}

// TestRegressCommandRuns builds a tiny benchmark package, old and new, and
// lets regress build and run it: a constant x/ref of 1.0 (old) against 1.3
// (new) is a regression; new against its own saved results is not.
func TestRegressCommandRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs test binaries")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	pkg := filepath.Join(dir, "fake")
	src := func(ratio string) {
		t.Helper()
		if err := os.MkdirAll(pkg, 0o755); err != nil {
			t.Fatal(err)
		}
		files := map[string]string{
			"go.mod": "module example.com/fake\n\ngo 1.26\n",
			"fake_test.go": "package fake\n\nimport \"testing\"\n\n" +
				"func BenchmarkFake(b *testing.B) {\n\tfor b.Loop() {\n\t}\n\tb.ReportMetric(" + ratio + ", \"x/ref\")\n}\n",
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(pkg, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	src("1.0")
	oldBin := filepath.Join(dir, "old.test")
	build := exec.Command("go", "test", "-c", "-o", oldBin, ".")
	build.Dir = pkg
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go test -c: %v\n%s", err, out)
	}
	src("1.3")

	saved := filepath.Join(dir, "new.txt")
	status, out, errOut := regress("-bench", ".", "-old-bin", oldBin, "-count", "5", "-pkg", pkg, "-benchtime", "1x", "-o", saved)
	if status != 1 || !strings.Contains(out, "Fake") || !strings.Contains(out, "+30.00%") || !strings.Contains(out, "REGRESSION") {
		t.Errorf("old 1.0 against new 1.3: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", status, out, errOut)
	}
	if !strings.Contains(errOut, "run 5/5: new") {
		t.Errorf("stderr shows no progress:\n%s", errOut)
	}
	if b, err := os.ReadFile(saved); err != nil || bytes.Count(b, []byte("x/ref")) != 5 {
		t.Errorf("-o %s: %v, %d results, want 5:\n%s", saved, err, bytes.Count(b, []byte("x/ref")), b)
	}

	status, out, errOut = regress("-bench", ".", "-base", saved, "-count", "4", "-pkg", pkg, "-benchtime", "1x")
	if status != 0 || !strings.Contains(out, "5+4") || !strings.Contains(out, "gate: 0 regressed") {
		t.Errorf("new against its saved results: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", status, out, errOut)
	}

	status, _, errOut = regress("-bench", "NoSuchBenchmark", "-base", saved, "-count", "1", "-pkg", pkg)
	if status != 2 || !strings.Contains(errOut, "no benchmark results") {
		t.Errorf("-bench matching nothing: exit %d, want 2\nstderr:\n%s", status, errOut)
	}

	if err := os.WriteFile(filepath.Join(pkg, "fake_test.go"), []byte("package fake\n\nfunc broken(\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	status, _, errOut = regress("-bench", ".", "-base", saved, "-pkg", pkg)
	if status != 2 || !strings.Contains(errOut, "building the benchmarks") {
		t.Errorf("broken package: exit %d, want 2\nstderr:\n%s", status, errOut)
	}
}
