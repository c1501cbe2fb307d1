package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

// synthBench is one synthetic benchmark: its true values and, for the new
// side, the factors they are multiplied by.
type synthBench struct {
	name   string
	ns     float64 // true time per op
	ratio  float64 // true x/ref
	allocs float64
	bytes  float64
	acc    float64 // an exact, higher-is-better metric (0: not reported)
}

// noise is the synthetic machine: raw times vary by a lognormal factor of
// ±timeSigma per sample (and FLOP/s with them), paired ratios by ±ratioSigma;
// drift multiplies every raw time of one side by a lognormal factor of
// ±drift (a busier machine during one of the runs), which the paired ratio
// cancels.
type noise struct {
	timeSigma, ratioSigma, drift float64
}

// machineNoise is this machine as REFERENCES.md measured it: ±20% on raw
// times, ±3% on paired ratios.
var machineNoise = noise{timeSigma: 0.20, ratioSigma: 0.03}

const synthFlops = 1 << 20 // floating-point operations per op

// synthesize writes count runs of benches in the Go benchmark format, as
// `go test -bench -count` would, with the header lines and the unit
// declarations our TestMain prints. slow multiplies the true time and
// x/ref of the benchmark with that name; the ratio is applied to its acc.
func synthesize(rng *rand.Rand, benches []synthBench, count int, nz noise, slow map[string]float64) string {
	var b strings.Builder
	b.WriteString("goos: linux\ngoarch: amd64\npkg: github.com/lowrank-rnn/lowrank/bench\ncpu: synthetic\n")
	b.WriteString("Unit FLOP/s better=higher\nUnit acc better=higher assume=exact\n")
	drift := math.Exp(nz.drift * rng.NormFloat64())
	for _, bm := range benches {
		f := 1.0
		if s, ok := slow[bm.name]; ok {
			f = s
		}
		for range count {
			ns := bm.ns * f * drift * math.Exp(nz.timeSigma*rng.NormFloat64())
			ratio := bm.ratio * f * math.Exp(nz.ratioSigma*rng.NormFloat64())
			fmt.Fprintf(&b, "Benchmark%s-2\t1000\t%.1f ns/op\t%.4f x/ref\t%.4g FLOP/s\t%g B/op\t%g allocs/op",
				bm.name, ns, ratio, synthFlops/(ns*1e-9), bm.bytes, bm.allocs)
			if bm.acc != 0 {
				fmt.Fprintf(&b, "\t%.6f acc", bm.acc/f)
			}
			b.WriteString("\n")
		}
	}
	b.WriteString("PASS\nok  \tgithub.com/lowrank-rnn/lowrank/bench\t12.345s\n")
	return b.String()
}

// suite returns n synthetic benchmarks named like ours.
func suite(n int) []synthBench {
	var bs []synthBench
	for i := range n {
		size := 64 << (i % 6)
		bs = append(bs, synthBench{
			name:  fmt.Sprintf("MatVec/impl=avx%d/n=%d", []int{2, 512}[i/6%2], size) + strings.Repeat("/x", i/12),
			ns:    float64(size*size) / 4,
			ratio: 0.3 + 0.02*float64(i),
		})
	}
	return bs
}

func compareStrings(t *testing.T, old, new string, opt CompareOptions) *Comparison {
	t.Helper()
	c, err := Compare(strings.NewReader(old), "old.txt", strings.NewReader(new), "new.txt", opt)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func table(t *testing.T, c *Comparison) string {
	t.Helper()
	var b strings.Builder
	if err := c.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func find(t *testing.T, c *Comparison, name, unit string) Delta {
	t.Helper()
	for _, d := range c.Deltas {
		if strings.HasPrefix(d.Name, name+"-") && d.Unit == unit {
			return d
		}
	}
	t.Fatalf("no delta for %s %s in:\n%s", name, unit, table(t, c))
	return Delta{}
}

// regressed returns the names and units of the regressions.
func regressed(c *Comparison) []string {
	var out []string
	for _, d := range c.Deltas {
		if d.Verdict == Regressed {
			out = append(out, d.Name+" "+d.Unit)
		}
	}
	return out
}

func TestRegressAAPasses(t *testing.T) {
	bs := suite(30)
	for seed := range uint64(5) {
		rng := rand.New(rand.NewPCG(seed, 1))
		old := synthesize(rng, bs, 10, machineNoise, nil)
		new := synthesize(rng, bs, 10, machineNoise, nil)
		c := compareStrings(t, old, new, CompareOptions{})
		if r := regressed(c); len(r) > 0 || c.Failed() {
			t.Errorf("seed %d: A/A comparison flags %q:\n%s", seed, r, table(t, c))
		}
		// x/ref is gated (both sides have it), not sec/op; B/op and
		// allocs/op exactly.
		if c.Tests != 30 || len(c.Deltas) != 90 {
			t.Errorf("seed %d: %d tests, %d deltas; want 30 tests (x/ref) and 90 deltas", seed, c.Tests, len(c.Deltas))
		}
		for _, d := range c.Deltas {
			if d.Unit == "sec/op" || d.Unit == "FLOP/s" {
				t.Errorf("seed %d: %s %s gated by default", seed, d.Name, d.Unit)
			}
		}
	}
}

func TestRegressCatchesSlowdown(t *testing.T) {
	bs := suite(30)
	rng := rand.New(rand.NewPCG(7, 7))
	old := synthesize(rng, bs, 10, machineNoise, nil)
	new := synthesize(rng, bs, 10, machineNoise, map[string]float64{bs[13].name: 1.15})
	c := compareStrings(t, old, new, CompareOptions{})
	want := []string{bs[13].name + "-2 x/ref"}
	if got := regressed(c); !slices.Equal(got, want) || !c.Failed() {
		t.Fatalf("regressions %q, want %q:\n%s", got, want, table(t, c))
	}
	d := find(t, c, bs[13].name, "x/ref")
	if d.Change < 0.10 || d.Change > 0.20 || !(d.PHolm < 0.05) || d.PHolm < d.P {
		t.Errorf("change %+.3f, p %g, Holm p %g; want ≈ +0.15, Holm p ≥ p, < 0.05", d.Change, d.P, d.PHolm)
	}
	out := table(t, c)
	for _, s := range []string{"x/ref (lower is better", bs[13].name + "-2", "REGRESSION", "gate: 1 regressed", "over 30 tests"} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
	}
}

func TestRegressIgnoresSmallShift(t *testing.T) {
	bs := suite(30)
	rng := rand.New(rand.NewPCG(3, 3))
	old := synthesize(rng, bs, 10, machineNoise, nil)
	new := synthesize(rng, bs, 10, machineNoise, map[string]float64{bs[4].name: 1.02})
	c := compareStrings(t, old, new, CompareOptions{})
	if r := regressed(c); len(r) > 0 {
		t.Errorf("a 2%% shift flags %q:\n%s", r, table(t, c))
	}
	// With no minimum effect, a noiseless 2% shift is significant and
	// counts.
	bs1 := bs[:1]
	quiet := noise{timeSigma: 0.2, ratioSigma: 0.002}
	old = synthesize(rng, bs1, 10, quiet, nil)
	new = synthesize(rng, bs1, 10, quiet, map[string]float64{bs1[0].name: 1.02})
	if c := compareStrings(t, old, new, CompareOptions{}); find(t, c, bs1[0].name, "x/ref").Verdict != Small {
		t.Errorf("2%% shift with 0.2%% noise: want verdict small:\n%s", table(t, c))
	}
	if c := compareStrings(t, old, new, CompareOptions{MinEffect: -1}); find(t, c, bs1[0].name, "x/ref").Verdict != Regressed {
		t.Errorf("2%% shift with 0.2%% noise, no minimum effect: want a regression:\n%s", table(t, c))
	}
}

func TestRegressFallsBackToTime(t *testing.T) {
	// Without x/ref, sec/op is gated: a 2× slowdown is caught despite the
	// ±20% noise.
	old := "BenchmarkA-2 1 100 ns/op\nBenchmarkA-2 1 110 ns/op\nBenchmarkA-2 1 90 ns/op\nBenchmarkA-2 1 105 ns/op\nBenchmarkA-2 1 95 ns/op\n"
	new := "BenchmarkA-2 1 200 ns/op\nBenchmarkA-2 1 220 ns/op\nBenchmarkA-2 1 180 ns/op\nBenchmarkA-2 1 210 ns/op\nBenchmarkA-2 1 190 ns/op\n"
	c := compareStrings(t, old, new, CompareOptions{})
	d := find(t, c, "A", "sec/op")
	if d.Verdict != Regressed || d.Change != 1 {
		t.Errorf("verdict %v change %v, want a regression of +100%%:\n%s", d.Verdict, d.Change, table(t, c))
	}
	if out := table(t, c); !strings.Contains(out, "100.0n ± ") || !strings.Contains(out, "+100.00%") {
		t.Errorf("table does not scale sec/op to ns:\n%s", out)
	}
	// -units ns/op means sec/op.
	c = compareStrings(t, old, new, CompareOptions{Units: []string{"ns/op"}})
	if len(c.Deltas) != 1 || c.Deltas[0].Unit != "sec/op" {
		t.Errorf("Units ns/op: deltas %+v", c.Deltas)
	}
}

func TestRegressExactUnits(t *testing.T) {
	bs := suite(3)
	rng := rand.New(rand.NewPCG(1, 2))
	old := synthesize(rng, bs, 10, machineNoise, nil)
	bs[1].allocs = 1
	bs[2].bytes = 4096
	new := synthesize(rng, bs, 10, machineNoise, nil)
	c := compareStrings(t, old, new, CompareOptions{})
	want := []string{bs[1].name + "-2 allocs/op", bs[2].name + "-2 B/op"}
	if got := regressed(c); !slices.Equal(got, want) {
		t.Fatalf("regressions %q, want %q:\n%s", got, want, table(t, c))
	}
	d := find(t, c, bs[1].name, "allocs/op")
	if !d.Exact || !math.IsNaN(d.P) || !math.IsInf(d.Change, 1) {
		t.Errorf("allocs/op 0 → 1: exact %v p %v change %v; want exact, no p-value, +Inf", d.Exact, d.P, d.Change)
	}
	// The other way round is an improvement.
	c = compareStrings(t, new, old, CompareOptions{})
	if got := regressed(c); len(got) > 0 || c.Count(Improved) != 2 {
		t.Errorf("allocs 1 → 0: regressions %q, %d improvements; want none and 2:\n%s", got, c.Count(Improved), table(t, c))
	}
	// Exact metrics need no minimum sample count: one run each suffices.
	one := "BenchmarkA-2 1 100 ns/op 0 B/op 0 allocs/op\n"
	c = compareStrings(t, one, strings.ReplaceAll(one, " 0 allocs", " 2 allocs"), CompareOptions{})
	if d := find(t, c, "A", "allocs/op"); d.Verdict != Regressed {
		t.Errorf("allocs 0 → 2 with one sample: %v", d.Verdict)
	}
	if d := find(t, c, "A", "sec/op"); d.Verdict != Insufficient {
		t.Errorf("sec/op with one sample: %v, want insufficient", d.Verdict)
	}
}

func TestRegressDeclaredUnits(t *testing.T) {
	// FLOP/s is declared better=higher: a drop is a regression, a rise is
	// not. acc is declared assume=exact better=higher.
	bs := suite(1)
	bs[0].acc = 0.9
	name := bs[0].name
	rng := rand.New(rand.NewPCG(5, 5))
	opt := CompareOptions{Units: []string{"FLOP/s", "acc"}}
	base := synthesize(rng, bs, 10, machineNoise, nil)
	slower := synthesize(rng, bs, 10, machineNoise, map[string]float64{name: 2})
	faster := synthesize(rng, bs, 10, machineNoise, map[string]float64{name: 0.5})

	c := compareStrings(t, base, slower, opt)
	if d := find(t, c, name, "FLOP/s"); d.Better != 1 || d.Exact || d.Verdict != Regressed {
		t.Errorf("FLOP/s halved: better %d exact %v verdict %v; want +1, statistical, regression:\n%s", d.Better, d.Exact, d.Verdict, table(t, c))
	}
	if d := find(t, c, name, "acc"); d.Better != 1 || !d.Exact || d.Verdict != Regressed {
		t.Errorf("acc 0.9 → 0.45: better %d exact %v verdict %v; want +1, exact, regression:\n%s", d.Better, d.Exact, d.Verdict, table(t, c))
	}
	c = compareStrings(t, base, faster, opt)
	if r := regressed(c); len(r) > 0 || find(t, c, name, "FLOP/s").Verdict != Improved || find(t, c, name, "acc").Verdict != Improved {
		t.Errorf("FLOP/s and acc doubled: regressions %q:\n%s", r, table(t, c))
	}
	// Without the Unit line, FLOP/s is still a rate, higher is better;
	// acc's direction is unknown and it is no longer exact.
	strip := func(s string) string {
		return strings.NewReplacer("Unit FLOP/s better=higher\n", "", "Unit acc better=higher assume=exact\n", "").Replace(s)
	}
	c = compareStrings(t, strip(base), strip(slower), opt)
	if d := find(t, c, name, "FLOP/s"); d.Verdict != Regressed {
		t.Errorf("undeclared FLOP/s halved: %v", d.Verdict)
	}
	if d := find(t, c, name, "acc"); d.Exact || d.Better != 0 || d.Verdict != Changed || len(d.Notes) == 0 {
		t.Errorf("undeclared acc: exact %v better %d verdict %v notes %q; want statistical, unknown, changed, a note", d.Exact, d.Better, d.Verdict, d.Notes)
	}
	// A declaration on the new side counts too.
	c = compareStrings(t, strip(base), slower, opt)
	if d := find(t, c, name, "acc"); !d.Exact || d.Verdict != Regressed {
		t.Errorf("acc declared on the new side only: exact %v verdict %v", d.Exact, d.Verdict)
	}
}

func TestRegressMissingAndNew(t *testing.T) {
	bs := suite(3)
	rng := rand.New(rand.NewPCG(9, 9))
	old := synthesize(rng, bs[:2], 10, machineNoise, nil)
	new := synthesize(rng, bs[1:], 10, machineNoise, nil)
	c := compareStrings(t, old, new, CompareOptions{})
	if d := find(t, c, bs[0].name, "x/ref"); d.Verdict != Missing {
		t.Errorf("%s only in old: %v, want missing", bs[0].name, d.Verdict)
	}
	if d := find(t, c, bs[2].name, "x/ref"); d.Verdict != Added {
		t.Errorf("%s only in new: %v, want new", bs[2].name, d.Verdict)
	}
	if c.Failed() || c.Count(Missing) != 3 || c.Count(Added) != 3 {
		t.Errorf("failed %v, %d missing, %d new; want pass, 3 (x/ref, B/op, allocs/op) each:\n%s",
			c.Failed(), c.Count(Missing), c.Count(Added), table(t, c))
	}
	if out := table(t, c); !strings.Contains(out, "missing in new") || !strings.Contains(out, "—") {
		t.Errorf("table:\n%s", out)
	}
	if c := compareStrings(t, old, new, CompareOptions{StrictMissing: true}); !c.Failed() {
		t.Error("StrictMissing: a missing benchmark does not fail the gate")
	}
}

func TestRegressInsufficientSamples(t *testing.T) {
	bs := suite(2)
	rng := rand.New(rand.NewPCG(4, 4))
	old := synthesize(rng, bs, 3, machineNoise, nil)
	new := synthesize(rng, bs, 10, machineNoise, map[string]float64{bs[0].name: 1.5})
	c := compareStrings(t, old, new, CompareOptions{})
	d := find(t, c, bs[0].name, "x/ref")
	if d.Verdict != Insufficient || c.Failed() || c.Tests != 0 || len(d.Notes) == 0 {
		t.Errorf("3 old samples: verdict %v, failed %v, %d tests, notes %q; want insufficient, pass, 0, a note",
			d.Verdict, c.Failed(), c.Tests, d.Notes)
	}
	if out := table(t, c); !strings.Contains(out, "insufficient samples") || !strings.Contains(out, "3+10") {
		t.Errorf("table:\n%s", out)
	}
	// MinSamples lowers the bar, but 3+10 samples cannot reach
	// p < 0.05/2 (the least p is 2/C(13, 3) = 0.007; for 3+3 it is 0.1),
	// and the gate says so.
	c = compareStrings(t, old, old, CompareOptions{MinSamples: 3})
	if c.Tests != 2 || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "2 of 2 tests cannot detect any change") ||
		!strings.Contains(c.Warnings[0], "at least 5 samples a side") {
		t.Errorf("MinSamples 3: %d tests, warnings %q; want 2 and a warning that they are powerless", c.Tests, c.Warnings)
	}
}

func TestRegressFilter(t *testing.T) {
	bs := suite(12) // avx2 then avx512
	rng := rand.New(rand.NewPCG(6, 6))
	old := synthesize(rng, bs, 5, machineNoise, nil)
	new := synthesize(rng, bs, 5, machineNoise, nil)
	c := compareStrings(t, old, new, CompareOptions{Filter: "/impl:avx512 /n:(64 OR 128)"})
	var names []string
	for _, d := range c.Deltas {
		if d.Unit == "x/ref" {
			names = append(names, d.Name)
		}
	}
	want := []string{"MatVec/impl=avx512/n=64-2", "MatVec/impl=avx512/n=128-2"}
	if !slices.Equal(names, want) {
		t.Errorf("filtered names %q, want %q", names, want)
	}
	if _, err := Compare(strings.NewReader(old), "old", strings.NewReader(new), "new", CompareOptions{Filter: ".name:("}); err == nil {
		t.Error("bad filter: no error")
	}
	_, err := Compare(strings.NewReader(old), "old", strings.NewReader(new), "new", CompareOptions{Filter: ".name:Nothing"})
	if err == nil || !strings.Contains(err.Error(), "match the filter") {
		t.Errorf("filter matching nothing: error %v", err)
	}
}

func TestRegressBadInput(t *testing.T) {
	good := "BenchmarkA-2 1 100 ns/op\n"
	for _, tc := range []struct {
		old, new string
		opt      CompareOptions
		want     string
	}{
		{"PASS\n", good, CompareOptions{}, "old.txt: no benchmark results"},
		{good, "", CompareOptions{}, "new.txt: no benchmark results"},
		{good, good, CompareOptions{Alpha: 1.5}, "alpha"},
		{good, good, CompareOptions{MinEffect: 2}, "minimum effect"},
		{good, good, CompareOptions{MinSamples: 1}, "minimum samples"},
	} {
		_, err := Compare(strings.NewReader(tc.old), "old.txt", strings.NewReader(tc.new), "new.txt", tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Compare(%q, %q, %+v): error %v, want %q", tc.old, tc.new, tc.opt, err, tc.want)
		}
	}
	// A malformed line is a warning, not an error.
	exact := "BenchmarkA-2 1 100 ns/op 0 allocs/op\n"
	c := compareStrings(t, exact+"BenchmarkB-2 x 1 ns/op\n", exact, CompareOptions{})
	if len(c.Warnings) != 1 || !strings.Contains(table(t, c), "warning: old.txt:2:") {
		t.Errorf("warnings %q", c.Warnings)
	}
}

// TestRegressComparesSomething: a gate whose units or samples leave
// nothing to compare is an error, never a pass over zero tests.
func TestRegressComparesSomething(t *testing.T) {
	bs := suite(2)
	rng := rand.New(rand.NewPCG(9, 9))
	old, new := synthesize(rng, bs, 5, machineNoise, nil), synthesize(rng, bs, 5, machineNoise, nil)
	for _, tc := range []struct {
		old, new string
		opt      CompareOptions
		want     string
	}{
		{old, new, CompareOptions{Units: []string{"bogus"}}, `unit "bogus" is in neither results: they report sec/op, x/ref, FLOP/s, B/op, allocs/op`},
		{old, new, CompareOptions{Units: []string{"x/ref", "bogus"}}, `unit "bogus" is in neither results`},
		{old, new, CompareOptions{Units: []string{"x/ref"}, MinSamples: 6}, "nothing to compare: no benchmark has the gated units (x/ref) on both sides with at least 6 samples a side (0 pairs on one side only, 2 with too few samples)"},
		{"BenchmarkA 10 100 ns/op\n", "BenchmarkB 10 100 ns/op\n", CompareOptions{}, "nothing to compare"},
	} {
		_, err := Compare(strings.NewReader(tc.old), "old", strings.NewReader(tc.new), "new", tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Compare(%+v): %v, want %q", tc.opt, err, tc.want)
		}
	}
	// A unit only some benchmarks report is enough, and ns/op is sec/op.
	for _, u := range []string{"ns/op", "B/op"} {
		if _, err := Compare(strings.NewReader(old), "old", strings.NewReader(new), "new", CompareOptions{Units: []string{u}}); err != nil {
			t.Errorf("-units %s: %v", u, err)
		}
	}
}

// TestTimedNothing: a row that timed nothing (a parent benchmark whose
// sub-benchmarks were all filtered out) is refused by both readers.
func TestTimedNothing(t *testing.T) {
	junk := "BenchmarkStep/cell=rnn 1000000000 0.0000002 ns/op 0 B/op 0 allocs/op\n"
	real := "BenchmarkStep/cell=rnn/impl=go/n=64/rank=full 1000 250.5 ns/op 0 B/op 0 allocs/op\n"
	want := "BenchmarkStep/cell=rnn reports 2e-07 ns/op at b.N = 1000000000: it timed nothing"
	_, err := Compare(strings.NewReader(real+junk), "old.txt", strings.NewReader(real), "new.txt", CompareOptions{})
	if err == nil || !strings.Contains(err.Error(), "old.txt:2: "+want) {
		t.Errorf("Compare: %v, want %q", err, want)
	}
	if _, err := ReadSummary(strings.NewReader(junk+real), "k.txt"); err == nil || !strings.Contains(err.Error(), "k.txt:1: "+want) {
		t.Errorf("ReadSummary: %v, want %q", err, want)
	}
	for _, bad := range []string{"BenchmarkA 10 NaN ns/op\n", "BenchmarkA 10 +Inf ns/op\n", "BenchmarkA 10 -5 ns/op\n", "BenchmarkA 10 5 ns/op -1 allocs/op\n", "BenchmarkA 10 5 ns/op NaN x/ref\n"} {
		if _, err := ReadSummary(strings.NewReader(bad), "k.txt"); err == nil || !strings.Contains(err.Error(), "k.txt:1: BenchmarkA reports") {
			t.Errorf("ReadSummary(%q): %v", bad, err)
		}
	}
	// An empty b.Loop still takes a fraction of a nanosecond: a result.
	if _, err := ReadSummary(strings.NewReader("BenchmarkEmpty 1000000000 0.2512 ns/op\n"), "k.txt"); err != nil {
		t.Errorf("a sub-nanosecond benchmark: %v", err)
	}
}

func TestRegressFiles(t *testing.T) {
	dir := t.TempDir()
	bs := suite(2)
	rng := rand.New(rand.NewPCG(8, 8))
	var paths []string
	for i := range 3 {
		p := fmt.Sprintf("%s/%d.txt", dir, i)
		if err := os.WriteFile(p, []byte(synthesize(rng, bs, 3, machineNoise, nil)), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	// Two old files pool into 6 samples a side.
	c, err := CompareFiles(paths[:2], paths[2:], CompareOptions{MinSamples: 3})
	if err != nil {
		t.Fatal(err)
	}
	if d := find(t, c, bs[0].name, "x/ref"); len(d.Old) != 6 || len(d.New) != 3 {
		t.Errorf("%d old and %d new samples, want 6 and 3", len(d.Old), len(d.New))
	}
	if _, err := CompareFiles([]string{dir + "/nope.txt"}, paths[2:], CompareOptions{}); err == nil || !os.IsNotExist(err) {
		t.Errorf("missing file: error %v", err)
	}
}

func TestMinUTestP(t *testing.T) {
	// benchmath's table of the least p-value for n+n samples.
	for n, want := range map[int]float64{1: 1, 2: 0.3333333333333333, 4: 0.02857142857142857, 6: 0.0021645021645021645, 9: 4.113533525298231e-05} {
		if got := minUTestP(n, n); math.Abs(got-want) > 1e-12*want {
			t.Errorf("minUTestP(%d, %d) = %g, want %g", n, n, got, want)
		}
	}
	if got, want := minUTestP(3, 10), 2.0/286; math.Abs(got-want) > 1e-15 {
		t.Errorf("minUTestP(3, 10) = %g, want %g", got, want)
	}
}

func TestHolm(t *testing.T) {
	for _, tc := range []struct{ p, want []float64 }{
		{nil, []float64{}},
		{[]float64{0.03}, []float64{0.03}},
		// Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06,
		// 0.04·1 = 0.04 → raised to 0.06 to stay monotone.
		{[]float64{0.01, 0.04, 0.03, 0.005}, []float64{0.03, 0.06, 0.06, 0.02}},
		// Capped at 1, and ties keep their order.
		{[]float64{0.5, 0.9, 0.5}, []float64{1, 1, 1}},
		{[]float64{0.001, 0.001, 0.2}, []float64{0.003, 0.003, 0.2}},
	} {
		got := holm(tc.p)
		ok := len(got) == len(tc.want)
		for i := range got {
			ok = ok && math.Abs(got[i]-tc.want[i]) < 1e-12
		}
		if !ok {
			t.Errorf("holm(%v) = %v, want %v", tc.p, got, tc.want)
		}
	}
}

// TestRegressCalibration measures the gate's false-alarm rate (A/A) and
// detection rate (one benchmark 15% slower) on synthetic suites of 30
// benchmarks × 10 samples, 200 trials each. It is a measurement, not a
// test: it runs only with LOWRANK_CALIBRATE=1 and logs the rates.
//
//	LOWRANK_CALIBRATE=1 go test -run RegressCalibration -v ./bench
func TestRegressCalibration(t *testing.T) {
	if os.Getenv("LOWRANK_CALIBRATE") == "" {
		t.Skip("set LOWRANK_CALIBRATE=1 to measure the gate's false-alarm and detection rates")
	}
	const trials = 200
	bs := suite(30)
	rate := func(nz noise, count int, units []string, slow float64) (alarm, detect float64) {
		rng := rand.New(rand.NewPCG(42, uint64(count)))
		nAlarm, nDetect := 0, 0
		for range trials {
			s := map[string]float64{bs[13].name: slow}
			c := compareStrings(t, synthesize(rng, bs, count, nz, nil), synthesize(rng, bs, count, nz, s), CompareOptions{Units: units})
			alarm, detect := false, false
			for _, d := range c.Deltas {
				if d.Verdict == Regressed {
					if d.Name == bs[13].name+"-2" && slow > 1 {
						detect = true
					} else {
						alarm = true
					}
				}
			}
			if alarm {
				nAlarm++
			}
			if detect {
				nDetect++
			}
		}
		return float64(nAlarm) / trials, float64(nDetect) / trials
	}
	for _, tc := range []struct {
		what  string
		nz    noise
		count int
		units []string
	}{
		{"x/ref ±3%", machineNoise, 10, nil},
		{"x/ref ±3%", machineNoise, 6, nil},
		{"x/ref ±3%", machineNoise, 7, nil},
		{"x/ref ±3%", machineNoise, 8, nil},
		{"x/ref ±3%, ±10% drift", noise{0.2, 0.03, 0.1}, 10, nil},
		{"sec/op ±20%", machineNoise, 10, []string{"sec/op"}},
		{"sec/op ±20%, ±10% drift", noise{0.2, 0.03, 0.1}, 10, []string{"sec/op"}},
	} {
		alarm, _ := rate(tc.nz, tc.count, tc.units, 1)
		_, detect := rate(tc.nz, tc.count, tc.units, 1.15)
		t.Logf("%-26s n=%2d: A/A runs with any false alarm %5.1f%%; 15%% slowdown detected %5.1f%%",
			tc.what, tc.count, 100*alarm, 100*detect)
	}
}
