package bench

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCacheConfig(t *testing.T) {
	size := map[string]int{"L1": 48 << 10, "L2": 1 << 20, "L3": 32 << 20}
	s := formatCaches(size)
	if s != "L1d 48 KiB, L2 1 MiB, L3 32 MiB" {
		t.Errorf("formatCaches = %q", s)
	}
	got, err := ParseCacheConfig(s)
	if err != nil || len(got) != 3 || got["L1"] != size["L1"] || got["L2"] != size["L2"] || got["L3"] != size["L3"] {
		t.Errorf("ParseCacheConfig(%q) = %v, %v; want %v", s, got, err, size)
	}
	for _, bad := range []string{"L1d 48", "L4 1 MiB", "L2 x MiB", "L2 1 PiB"} {
		if _, err := ParseCacheConfig(bad); err == nil {
			t.Errorf("ParseCacheConfig(%q): no error", bad)
		}
	}
	if _, err := ParseCacheConfig(CacheConfig()); err != nil {
		t.Errorf("ParseCacheConfig(CacheConfig()): %v", err)
	}
}

func TestConfigLines(t *testing.T) {
	keys := map[string]bool{}
	for _, l := range ConfigLines() {
		k, _, ok := strings.Cut(l, ":")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			t.Errorf("config line %q is not key: value", l)
		}
		keys[k] = true
	}
	for _, k := range []string{"go", "target", "cpu-slug", "caches", "tags", "goexperiment"} {
		if !keys[k] {
			t.Errorf("no %s: line in %q", k, ConfigLines())
		}
	}
}

const summaryInput = `roofline-avx512: FMA 269 GFLOP/s; read L1 472, L2 205, L3 126, DRAM 29 GB/s
Unit roof better=higher
cpu-slug: test-cpu-f1-m2
caches: L1d 48 KiB, L2 1 MiB, L3 32 MiB
target: avx512
goos: linux
cpu: Test CPU
BenchmarkMatVec/impl=avx512/n=64 	 1000	 44.0 ns/op	 372000 MB/s	 186e9 FLOP/s	 0.79 roof	 0 B/op	 0 allocs/op
BenchmarkMatVec/impl=avx512/n=64 	 1000	 46.0 ns/op	 356000 MB/s	 178e9 FLOP/s	 0.75 roof	 0 B/op	 0 allocs/op
BenchmarkMatVec/impl=avx512/n=64 	 1000	 45.0 ns/op	 364000 MB/s	 182e9 FLOP/s	 0.77 roof	 0 B/op	 0 allocs/op
BenchmarkMatVec/impl=avx512/n=512 	 1000	 8000 ns/op	 131000 MB/s	 65e9 FLOP/s	 0.6 roof	 0 B/op	 0 allocs/op
BenchmarkLowRank/impl=avx512/n=256/rank=32 	 1000	 450 ns/op	 145000 MB/s	 73e9 FLOP/s	 0.56 roof	 0 B/op	 0 allocs/op
BenchmarkLowRank/impl=avx512/n=256/rank=8 	 1000	 185 ns/op	 88000 MB/s	 47e9 FLOP/s	 0.18 roof	 0 B/op	 0 allocs/op
target: go
BenchmarkMatVec/impl=go/n=64 	 1000	 1400 ns/op	 11700 MB/s	 5.8e9 FLOP/s	 0.02 roof	 0 B/op	 0 allocs/op
BenchmarkLowRank/impl=go/n=256/rank=32 	 1000	 5500 ns/op	 11700 MB/s	 5.9e9 FLOP/s	 0.04 roof	 0 B/op	 0 allocs/op
BenchmarkSequence/cell=mgru/impl=go/n=64/rank=full/T=100/B=2 	 10	 1e6 ns/op	 1 MB/s	 1e9 FLOP/s	 0.1 roof	 10000 ns/step	 0 B/op	 0 allocs/op
BenchmarkRatio/op=matvec/impl=best/n=1024 	 1000	 40000 ns/op	 1.03 x/ref	 0 B/op	 0 allocs/op
`

func TestSummary(t *testing.T) {
	s, err := ReadSummary(strings.NewReader(summaryInput), "test.txt")
	if err != nil {
		t.Fatal(err)
	}
	if s.Config["cpu-slug"] != "test-cpu-f1-m2" || s.Caches["L2"] != 1<<20 {
		t.Errorf("config %v, caches %v", s.Config, s.Caches)
	}
	want := []struct {
		bench, impl, level string
		bytes, samples     int
		sec, roof          float64
	}{
		{"MatVec/n=64", "go", "L1", 16 << 10, 1, 1400e-9, 0.02},
		{"MatVec/n=64", "avx512", "L1", 16 << 10, 3, 45e-9, 0.77},
		{"MatVec/n=512", "avx512", "L2", 1 << 20, 1, 8000e-9, 0.6},
		{"LowRank/n=256/rank=8", "avx512", "L1", 16 << 10, 1, 185e-9, 0.18},
		{"LowRank/n=256/rank=32", "go", "L2", 64 << 10, 1, 5500e-9, 0.04},
		{"LowRank/n=256/rank=32", "avx512", "L2", 64 << 10, 1, 450e-9, 0.56},
		{"Sequence/cell=mgru/n=64/rank=full/T=100/B=2", "go", "L1", 32 << 10, 1, 1e-3, 0.1},
		{"Ratio/op=matvec/n=1024", "best", "L3", 4 << 20, 1, 40000e-9, math.NaN()},
	}
	if len(s.Rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(s.Rows), len(want), s.Rows)
	}
	for i, w := range want {
		r := s.Rows[i]
		if r.Bench != w.bench || r.Impl != w.impl || r.Level != w.level || r.WeightBytes != w.bytes ||
			r.Samples != w.samples || math.Abs(r.SecPerOp-w.sec) > 1e-15 ||
			!(math.Abs(r.Roof-w.roof) < 1e-12 || math.IsNaN(w.roof) && math.IsNaN(r.Roof)) {
			t.Errorf("row %d = %+v\nwant %+v", i, r, w)
		}
	}
	if r := s.Rows[0]; r.Target != "go" {
		t.Errorf("MatVec go target = %q, want go (the target: line of its block)", r.Target)
	}
	if x := s.Rows[len(s.Rows)-1].XRef; x != 1.03 {
		t.Errorf("x/ref = %v, want 1.03", x)
	}

	var b strings.Builder
	if err := s.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"MatVec/n=512", "1 MiB", "77%", "1.030"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, b.String())
		}
	}
	b.Reset()
	if err := s.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	if md := b.String(); !strings.Contains(md, "| MatVec/n=64 | L1 | 16 KiB | 1.4µs (2%) | 45ns (77%) |") ||
		!strings.Contains(md, "## Ratio") {
		t.Errorf("markdown:\n%s", md)
	}

	if testing.Short() {
		return
	}
	dir := t.TempDir()
	paths, err := s.WriteFigures(dir)
	if err != nil {
		t.Fatal(err)
	}
	// roofline-matvec and roofline-lowrank (rank 32); no n=512 low rank.
	names := map[string]bool{}
	for _, p := range paths {
		names[filepath.Base(p)] = true
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, n := range []string{"kernels-test-cpu-f1-m2-lowrank-n256.svg", "kernels-test-cpu-f1-m2-lowrank-n256.png",
		"kernels-test-cpu-f1-m2-roofline-matvec.svg", "kernels-test-cpu-f1-m2-roofline-lowrank.png"} {
		if !names[n] {
			t.Errorf("WriteFigures wrote %v; want %s among them", paths, n)
		}
	}
}

func TestSummaryErrors(t *testing.T) {
	if _, err := ReadSummary(strings.NewReader("goos: linux\n"), "empty.txt"); err == nil {
		t.Error("no results: no error")
	}
	if _, err := ReadSummary(strings.NewReader("caches: L9 3 B\nBenchmarkX 1 1 ns/op\n"), "bad.txt"); err == nil {
		t.Error("bad caches line: no error")
	}
}
