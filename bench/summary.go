package bench

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchfmt"
)

// A Summary condenses a results file (Go benchmark format, as `lowrank
// bench` writes it) into one row per benchmark and implementation, for
// the tables and figures under results/. It needs nothing but the file:
// the cache sizes, and so the level that holds each kernel's weights,
// come from its caches: configuration line, and the fraction of the
// roofline from its roof metric.
type Summary struct {
	// Config holds the first value seen of each configuration key: cpu,
	// cpu-slug, caches, go, the peers' descriptions…
	Config map[string]string
	// Caches are the capacities from the caches: line ("L1", "L2", "L3").
	Caches map[string]int
	Rows   []SummaryRow
}

// A SummaryRow is one benchmark of one implementation: the medians of its
// samples in each unit. A unit the benchmark does not report is NaN.
type SummaryRow struct {
	// Bench is the benchmark's name without "Benchmark", impl and
	// GOMAXPROCS, e.g. "LowRank/n=256/rank=32".
	Bench string
	// Impl is the impl= key: "avx512", "gonum", "best"…
	Impl string
	// Keys are the name's other key=value parts: n, rank, cell, op, T, B.
	Keys map[string]string
	// Target is the kernels target of the run (its target: line).
	Target  string
	Samples int
	// Seconds per op, FLOP/s, fraction of the roofline, paired ratio to
	// the reference, seconds per step.
	SecPerOp, FLOPs, Roof, XRef, SecPerStep float64
	// WeightBytes is the size of the weights one product or step reads
	// (the recurrent weights of a sequence); Level the cache level that
	// holds them.
	WeightBytes int
	Level       string
}

// Group returns the first element of the benchmark's name: "MatVec",
// "LowRank", "Step", "Sequence", "Ratio".
func (r SummaryRow) Group() string {
	g, _, _ := strings.Cut(r.Bench, "/")
	return g
}

// Int returns the integer value of name key k, or 0.
func (r SummaryRow) Int(k string) int {
	v, _ := strconv.Atoi(r.Keys[k])
	return v
}

// F32 reports whether the row's weights are float32: dtype=f32, or no
// dtype (results recorded before the quantized kernels).
func (r SummaryRow) F32() bool { return r.Keys["dtype"] == "" || r.Keys["dtype"] == "f32" }

// implOrder is the order of the impl columns: our targets from the most
// portable (each family's quantized variants after it), the gate's best,
// then the peers.
var implOrder = []string{"go", "avx2", "avxvnni", "avx512", "avx512vnni", "avx512bf16", "neon", "neondot", "best", "gonum", "openblas", "c", "simd"}

func implRank(s string) int {
	if i := slices.Index(implOrder, s); i >= 0 {
		return i
	}
	return len(implOrder)
}

// ReadSummaryFile reads a results file (ReadSummary).
func ReadSummaryFile(path string) (*Summary, error) { return readFile(path, ReadSummary) }

// ReadSummary reads results in the Go benchmark format; name labels
// errors.
func ReadSummary(r io.Reader, name string) (*Summary, error) {
	type acc struct {
		row    SummaryRow
		values map[string][]float64
		bytes  []float64
	}
	s := &Summary{Config: map[string]string{}}
	byKey := map[[2]string]*acc{}
	var order [][2]string
	br := benchfmt.NewReader(r, name)
	n := 0
	for br.Scan() {
		rec, ok := br.Result().(*benchfmt.Result)
		if !ok {
			continue // syntax errors and unit lines
		}
		if err := CheckResult(rec); err != nil {
			file, line := rec.Pos()
			return nil, fmt.Errorf("%s:%d: %v", file, line, err)
		}
		n++
		for _, c := range rec.Config {
			if _, ok := s.Config[c.Key]; !ok && c.File {
				s.Config[c.Key] = strings.TrimSpace(string(c.Value)) // a brand string may end in padding
			}
		}
		bench, impl, keys := splitName(string(rec.Name.Full()))
		k := [2]string{bench, impl}
		a := byKey[k]
		if a == nil {
			a = &acc{row: SummaryRow{Bench: bench, Impl: impl, Keys: keys, Target: rec.GetConfig("target")},
				values: map[string][]float64{}}
			byKey[k] = a
			order = append(order, k)
		}
		a.row.Samples++
		var secPerOp, bytesPerSec float64
		for _, v := range rec.Values {
			a.values[v.Unit] = append(a.values[v.Unit], v.Value)
			switch v.Unit {
			case "sec/op":
				secPerOp = v.Value
			case "B/s":
				bytesPerSec = v.Value
			}
		}
		if secPerOp > 0 && bytesPerSec > 0 {
			a.bytes = append(a.bytes, secPerOp*bytesPerSec)
		}
	}
	if err := br.Err(); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("%s: no benchmark results", name)
	}
	if c, ok := s.Config["caches"]; ok {
		caches, err := ParseCacheConfig(c)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		s.Caches = caches
	}
	roof := Roofline{Size: s.Caches}
	for _, k := range order {
		a := byKey[k]
		row := a.row
		med := func(unit string) float64 { return median(a.values[unit]) }
		row.SecPerOp, row.FLOPs, row.Roof, row.XRef, row.SecPerStep =
			med("sec/op"), med("FLOP/s"), med("roof"), med("x/ref"), med("sec/step")
		row.WeightBytes = weightBytes(row)
		if row.WeightBytes == 0 && len(a.bytes) > 0 {
			// Not a benchmark of the suite: trust B/s, to a few digits.
			row.WeightBytes = int(math.Round(median(a.bytes)))
		}
		if s.Caches != nil && row.WeightBytes > 0 {
			row.Level = roof.Level(row.WeightBytes)
		}
		s.Rows = append(s.Rows, row)
	}
	slices.SortStableFunc(s.Rows, func(a, b SummaryRow) int {
		return cmp.Or(groupRank(a.Group())-groupRank(b.Group()), compareBench(a, b), implRank(a.Impl)-implRank(b.Impl))
	})
	return s, nil
}

// weightBytes returns the bytes of weights that one product or step of the
// suite's benchmark r reads, from its name: n² weights dense, 2nr for rank
// r, twice for an MGRU; G·n² for PyTorch's cells of G gates, and r(G·n + n)
// at rank r (their joint factorisation shares V); for a sequence, those of
// its recurrent weights, which it reads every step. A weight is 4 bytes in
// float32, 2 in bf16, 1 in int8, whose matrices add a 4-byte scale per
// row. 0 for names it does not know.
func weightBytes(r SummaryRow) int {
	n, rank := r.Int("n"), r.Int("rank")
	if n == 0 {
		return 0
	}
	size, scales := 4, 0
	switch r.Keys["dtype"] {
	case "bf16":
		size = 2
	case "int8":
		size, scales = 1, 4
	}
	dense := size*n*n + scales*n
	low := 2*size*n*rank + scales*(n+rank)
	per := dense
	if rank > 0 {
		per = low
	}
	gates := 1
	switch r.Keys["cell"] {
	case "mgru":
		gates = 2
	case "gru", "lstm":
		g := 3
		if r.Keys["cell"] == "lstm" {
			g = 4
		}
		if rank > 0 && r.Group() == "Step" {
			return size * rank * (g*n + n)
		}
		gates = g
	}
	switch op := r.Keys["op"]; {
	case r.Group() == "MatVec", op == "matvec":
		return dense
	case r.Group() == "LowRank", op == "lowrank":
		return low
	case r.Group() == "Step", r.Group() == "Sequence", op == "step":
		return gates * per
	}
	return 0
}

var groupOrder = []string{"MatVec", "LowRank", "Step", "Sequence", "Ratio"}

func groupRank(g string) int {
	if i := slices.Index(groupOrder, g); i >= 0 {
		return i
	}
	return len(groupOrder)
}

// compareBench orders benchmarks of one group by their name keys, numbers
// numerically ("full" before any rank).
func compareBench(a, b SummaryRow) int {
	ap, bp := strings.Split(a.Bench, "/"), strings.Split(b.Bench, "/")
	for i := 1; i < min(len(ap), len(bp)); i++ {
		if c := compareKeyValue(ap[i], bp[i]); c != 0 {
			return c
		}
	}
	return len(ap) - len(bp)
}

func compareKeyValue(a, b string) int {
	ak, av, _ := strings.Cut(a, "=")
	bk, bv, _ := strings.Cut(b, "=")
	if ak != bk {
		return strings.Compare(ak, bk)
	}
	num := func(s string) (float64, bool) {
		if s == "full" {
			return math.Inf(-1), true
		}
		v, err := strconv.ParseFloat(s, 64)
		return v, err == nil
	}
	x, okA := num(av)
	y, okB := num(bv)
	if okA && okB {
		return cmp.Compare(x, y)
	}
	return strings.Compare(av, bv)
}

// splitName splits a full benchmark name into the name without impl and
// GOMAXPROCS suffix, the impl, and the key=value parts.
func splitName(full string) (bench, impl string, keys map[string]string) {
	base, parts := benchfmt.Name(full).Parts()
	keys = map[string]string{}
	out := []string{string(base)}
	for _, p := range parts {
		ps := string(p)
		if !strings.HasPrefix(ps, "/") {
			continue // -GOMAXPROCS
		}
		ps = ps[1:]
		k, v, ok := strings.Cut(ps, "=")
		if ok && k == "impl" {
			impl = v
			continue
		}
		if ok {
			keys[k] = v
		}
		out = append(out, ps)
	}
	return strings.Join(out, "/"), impl, keys
}

// WriteTable writes the summary as an aligned text table: per benchmark
// and impl, the level holding the weights, their size, the median time per
// op, GFLOP/s, the fraction of the roofline and the paired ratio.
func (s *Summary) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "benchmark\timpl\tlevel\tweights\ttime/op\tGFLOP/s\troof\tx/ref\tn\t")
	for _, r := range s.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n", r.Bench, r.Impl, orDash(r.Level),
			formatSize(r.WeightBytes), formatSeconds(r.SecPerOp), formatScaled(r.FLOPs, 1e-9, 1),
			formatPercent(r.Roof), formatScaled(r.XRef, 1, 3), r.Samples)
	}
	return tw.Flush()
}

// WriteMarkdown writes one Markdown table per benchmark group with the
// implementations side by side: time per op, and the fraction of the
// roofline in parentheses.
func (s *Summary) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Kernel benchmarks: %s\n\n", orDash(s.Config["cpu-slug"]))
	fmt.Fprintf(&b, "Generated by `make results` from the results file (`lowrank bench -from`); do not edit.\n")
	fmt.Fprintf(&b, "CPU %s; caches %s; %s.\n", orDash(s.Config["cpu"]), orDash(s.Config["caches"]), orDash(s.Config["go"]))
	if v := s.Config["loadavg"]; v != "" {
		fmt.Fprintf(&b, "Load average when the run began: %s (absolute times on a busy machine are slower).\n", v)
	}
	for _, k := range []string{"peer-openblas", "peer-c", "peer-simd"} {
		if v := s.Config[k]; v != "" {
			fmt.Fprintf(&b, "%s: %s.\n", strings.TrimPrefix(k, "peer-"), v)
		}
	}
	b.WriteString("\nMedian time per op; in parentheses the roof metric as the run measured it,\n" +
		"the fraction of the read bandwidth at the benchmark's working set (weights\n" +
		"plus vectors), or, in files recorded before the per-size roofline, at the\n" +
		"cache level that holds the weights (x/ref for the paired ratios). The level\n" +
		"is the cache that holds the weights.\n")
	for _, g := range groupOrder {
		var rows []SummaryRow
		var impls []string
		for _, r := range s.Rows {
			if r.Group() == g {
				rows = append(rows, r)
				if !slices.Contains(impls, r.Impl) {
					impls = append(impls, r.Impl)
				}
			}
		}
		if len(rows) == 0 {
			continue
		}
		slices.SortFunc(impls, func(a, b string) int { return implRank(a) - implRank(b) })
		fmt.Fprintf(&b, "\n## %s\n\n| benchmark | level | weights |", g)
		for _, im := range impls {
			fmt.Fprintf(&b, " %s |", im)
		}
		b.WriteString("\n|---|---|---:|")
		for range impls {
			b.WriteString("---:|")
		}
		b.WriteString("\n")
		for i := 0; i < len(rows); {
			j := i
			cells := map[string]string{}
			level, bytes := "", 0
			for ; j < len(rows) && rows[j].Bench == rows[i].Bench; j++ {
				r := rows[j]
				extra := formatPercent(r.Roof)
				if !math.IsNaN(r.XRef) {
					extra = formatScaled(r.XRef, 1, 3) + " x/ref"
				}
				cells[r.Impl] = formatSeconds(r.SecPerOp) + " (" + extra + ")"
				level, bytes = cmp.Or(level, r.Level), cmp.Or(bytes, r.WeightBytes)
			}
			fmt.Fprintf(&b, "| %s | %s | %s |", rows[i].Bench, orDash(level), formatSize(bytes))
			for _, im := range impls {
				fmt.Fprintf(&b, " %s |", orDash(cells[im]))
			}
			b.WriteString("\n")
			i = j
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func formatSize(n int) string {
	switch {
	case n == 0:
		return "—"
	case n >= 1<<20:
		return fmt.Sprintf("%.3g MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.3g KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func formatSeconds(s float64) string {
	switch {
	case math.IsNaN(s):
		return "—"
	case s >= 1:
		return fmt.Sprintf("%.3gs", s)
	case s >= 1e-3:
		return fmt.Sprintf("%.3gms", s*1e3)
	case s >= 1e-6:
		return fmt.Sprintf("%.3gµs", s*1e6)
	}
	return fmt.Sprintf("%.3gns", s*1e9)
}

func formatScaled(v, scale float64, prec int) string {
	if math.IsNaN(v) {
		return "—"
	}
	return strconv.FormatFloat(v*scale, 'f', prec, 64)
}

func formatPercent(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", 100*v)
}
