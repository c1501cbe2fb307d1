package bench

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/klauspost/cpuid/v2"
	"golang.org/x/perf/benchfmt"

	"github.com/lowrank-rnn/lowrank/kernels"
)

// An Op is one operation a sweep times.
type Op struct {
	// Name is its benchmark name without "Benchmark" and impl, e.g.
	// "SweepStep/cell=mgru/n=128/rank=32" (rank=full: dense).
	Name    string
	Rank    string // "full" (dense) or the rank of the factors
	MulAdds int    // multiply-adds of one call
	Run     func()
}

// Timings holds the times of several operations on several kernels
// targets, as TimeOps takes them: Results[i][k] is Ops[i] on Targets[k],
// and Speedups[i][k] its speedup over Ops[0], the reference (the dense
// operation in every sweep), on the same target: the median of the
// ratios of samples taken back to back (Ratio).
type Timings struct {
	Ops      []string
	Targets  []string
	Results  [][]Result
	Speedups [][]float64
}

// TimeOps times ops on each target in turn: on each, the samples of all
// ops are interleaved (MeasureEach), samples of at least minTime each.
// Every sweep that compares operations across targets times them here.
func TimeOps(ops []Op, targets []string, samples int, minTime time.Duration) (*Timings, error) {
	t := &Timings{Targets: targets, Results: make([][]Result, len(ops)), Speedups: make([][]float64, len(ops))}
	fs := make([]func(), len(ops))
	for i, op := range ops {
		t.Ops = append(t.Ops, op.Name)
		fs[i] = op.Run
	}
	for _, target := range targets {
		restore, err := kernels.Use(target)
		if err != nil {
			return nil, err
		}
		res := MeasureEach(fs, samples, minTime)
		restore()
		for i := range ops {
			t.Results[i] = append(t.Results[i], res[i])
			t.Speedups[i] = append(t.Speedups[i], Ratio(res[0], res[i]))
		}
	}
	return t, nil
}

// ParseTargets parses a comma-separated list of kernels targets to time,
// checking that each exists and is available; "" means all available ones.
func ParseTargets(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return kernels.Available(), nil
	}
	return parseTargets(s)
}

// ParseFloatTargets is ParseTargets for float32 work only: "" means the
// available targets with float32 kernels of their own, leaving out the
// quantized variants (avx512vnni, …), which run their family's.
func ParseFloatTargets(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		var names []string
		for _, t := range kernels.Targets() {
			if t.Available && t.Family == t.Name {
				names = append(names, t.Name)
			}
		}
		return names, nil
	}
	return parseTargets(s)
}

func parseTargets(s string) ([]string, error) {
	var targets []string
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		restore, err := kernels.Use(name)
		restore()
		if err != nil {
			return nil, err
		}
		if slices.Contains(targets, name) {
			return nil, fmt.Errorf("target %q is listed twice", name)
		}
		targets = append(targets, name)
	}
	return targets, nil
}

// Op returns the index of the named operation, or -1.
func (t *Timings) Op(name string) int { return slices.Index(t.Ops, name) }

// Cells returns op i's median time and speedup on each target, formatted
// for a table: ns with three significant digits (whole ns from 100 on),
// the speedup with two decimals.
func (t *Timings) Cells(i int) []string {
	var cells []string
	for k := range t.Targets {
		ns := t.Results[i][k].Median
		s := strconv.FormatFloat(ns, 'g', 3, 64)
		if ns >= 100 {
			s = strconv.FormatFloat(ns, 'f', 0, 64)
		}
		cells = append(cells, s, fmt.Sprintf("%.2f", t.Speedups[i][k]))
	}
	return cells
}

// WriteTable writes ops' times as a table: per op its rank, weights and
// multiply-adds (the same for a product), time and speedup on each target,
// and the speedup the multiply-adds predict.
func (t *Timings) WriteTable(w io.Writer, ops []Op) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', tabwriter.AlignRight)
	head := []string{"rank", "params", "mul-adds"}
	for _, name := range t.Targets {
		head = append(head, name+" ns", name+" speedup")
	}
	fmt.Fprintln(tw, strings.Join(append(head, "n/(2r)"), "\t")+"\t")
	for _, op := range ops {
		row := append([]string{op.Rank, strconv.Itoa(op.MulAdds), strconv.Itoa(op.MulAdds)}, t.Cells(t.Op(op.Name))...)
		theory := float64(ops[0].MulAdds) / float64(op.MulAdds)
		fmt.Fprintln(tw, strings.Join(append(row, fmt.Sprintf("%.2f", theory)), "\t")+"\t")
	}
	return tw.Flush()
}

// randomMatrix returns a rows×cols matrix of values uniform in
// [−scale, scale): a product's time does not depend on them.
func randomMatrix(rng *rand.Rand, rows, cols int, scale float32) kernels.Matrix {
	a := kernels.NewMatrix(rows, cols)
	for i := range a.Data {
		a.Data[i] = scale * (2*rng.Float32() - 1)
	}
	return a
}

// rankNames are the rank keys of a sweep's ops: full (dense) first, then
// the ranks.
func rankNames(ranks []int) []string {
	names := []string{"full"}
	for _, r := range ranks {
		names = append(names, strconv.Itoa(r))
	}
	return names
}

// MatVecOps returns the products y = W·x of a random n×n matrix, dense
// (first), then as factors of each rank (each in [1, n)), packed for the
// kernels: SweepMatVec/n=…/rank=….
func MatVecOps(n int, ranks []int) ([]Op, error) {
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	x, y := randomMatrix(rng, 1, n, 1).Data, make([]float32, n)
	products := []kernels.Operator{kernels.Pack(randomMatrix(rng, n, n, 1))}
	for _, r := range ranks {
		if r < 1 || r >= n {
			return nil, fmt.Errorf("bench: rank %d of an %d×%d product: want 1 ≤ r < n", r, n, n)
		}
		products = append(products, kernels.PackLowRank(kernels.LowRank{U: randomMatrix(rng, n, r, 1), V: randomMatrix(rng, r, n, 1)}))
	}
	ops := make([]Op, len(products))
	for i, rank := range rankNames(ranks) {
		p := products[i]
		ops[i] = Op{Name: fmt.Sprintf("SweepMatVec/n=%d/rank=%s", n, rank), Rank: rank, MulAdds: n * n,
			Run: func() { p.MatVec(y, x) }}
		if i > 0 {
			ops[i].MulAdds = 2 * ranks[i-1] * n
		}
	}
	return ops, nil
}

// StepName is the name StepOps gives the fused step of cell at state
// size n and rank ("full" for dense).
func StepName(cell string, n int, rank string) string {
	return fmt.Sprintf("SweepStep/cell=%s/n=%d/rank=%s", cell, n, rank)
}

// StepOps returns the fused steps (kernels.RNNStep, MGRUStep, GRUStep,
// LSTMStep) of cell "rnn", "mgru", "gru" or "lstm" with state size n:
// dense (first), then with every recurrent matrix as factors of each rank
// (each in [1, n)); the GRU's and LSTM's stacked gates as one joint
// factorisation, the form their sweep truncates to. The weights are
// random, scaled by 1/n to keep the activations off saturation.
func StepOps(cell string, n int, ranks []int) ([]Op, error) {
	if cell == "gru" || cell == "lstm" {
		return gatedStepOps(cell, n, ranks)
	}
	gates := map[string]int{"rnn": 1, "mgru": 2}[cell]
	if gates == 0 {
		return nil, fmt.Errorf("bench: unknown cell %q (want rnn, mgru, gru or lstm)", cell)
	}
	rng := rand.New(rand.NewPCG(2, uint64(n)))
	scale := 1 / float32(n)
	random := func(rows, cols int) kernels.Matrix { return randomMatrix(rng, rows, cols, scale) }
	weights := [][2]kernels.Operator{{kernels.Pack(random(n, n)), kernels.Pack(random(n, n))}}
	for _, r := range ranks {
		if r < 1 || r >= n {
			return nil, fmt.Errorf("bench: rank %d of a step of size %d: want 1 ≤ r < n", r, n)
		}
		weights = append(weights, [2]kernels.Operator{
			kernels.PackLowRank(kernels.LowRank{U: random(n, r), V: random(r, n)}),
			kernels.PackLowRank(kernels.LowRank{U: random(n, r), V: random(r, n)})})
	}
	h, hNew := random(1, n).Data, make([]float32, n)
	xp, b := random(1, n).Data, random(1, n).Data
	work := make([]float32, 2*n)
	ops := make([]Op, len(weights))
	for i, rank := range rankNames(ranks) {
		u := weights[i]
		ops[i] = Op{Name: StepName(cell, n, rank), Rank: rank, MulAdds: gates * n * n,
			Run: func() { kernels.RNNStep(hNew, h, xp, b, u[0]) }}
		if i > 0 {
			ops[i].MulAdds = gates * 2 * ranks[i-1] * n
		}
		if gates == 2 {
			ops[i].Run = func() { kernels.MGRUStep(hNew, h, xp, xp, b, b, u[0], u[1], work) }
		}
	}
	return ops, nil
}

// gatedStepOps is StepOps for the GRU ("gru", 3 gates) and the LSTM
// ("lstm", 4 gates, no projection): the stacked recurrent weights packed
// gate-interleaved, dense or jointly factorised.
func gatedStepOps(cell string, n int, ranks []int) ([]Op, error) {
	gates := 3
	if cell == "lstm" {
		gates = 4
	}
	rng := rand.New(rand.NewPCG(3, uint64(n)))
	scale := 1 / float32(n)
	random := func(rows, cols int) kernels.Matrix { return randomMatrix(rng, rows, cols, scale) }
	weights := []kernels.Operator{kernels.PackGates(random(gates*n, n), gates)}
	for _, r := range ranks {
		if r < 1 || r >= n {
			return nil, fmt.Errorf("bench: rank %d of a step of size %d: want 1 ≤ r < n", r, n)
		}
		weights = append(weights, kernels.PackGatesLowRank(kernels.LowRank{U: random(gates*n, r), V: random(r, n)}, gates))
	}
	h, hNew, c, cNew := random(1, n).Data, make([]float32, n), random(1, n).Data, make([]float32, n)
	xp, b := random(1, gates*n).Data, random(1, gates*n).Data
	work := make([]float32, 5*n)
	ops := make([]Op, len(weights))
	for i, rank := range rankNames(ranks) {
		u := weights[i]
		ops[i] = Op{Name: StepName(cell, n, rank), Rank: rank, MulAdds: gates * n * n,
			Run: func() { kernels.GRUStep(hNew, h, xp, b, u, work) }}
		if i > 0 {
			ops[i].MulAdds = ranks[i-1] * (gates*n + n)
		}
		if cell == "lstm" {
			ops[i].Run = func() { kernels.LSTMStep(hNew, cNew, h, c, xp, b, u, nil, work) }
		}
	}
	return ops, nil
}

// Timings files: the Go benchmark format, one line per sample, each op's
// name with impl=<target> after its first element, its ns/op (6
// significant digits) and its speedup over the reference in the same round
// (a paired ratio, 5 digits, so that benchstat's median of it is
// Speedups'), after the configuration lines of this machine (ConfigLines):
//
//	Unit speedup better=higher
//	BenchmarkSweepStep/impl=avx512/cell=mgru/n=128/rank=32 48113 240.2 ns/op 3.55 speedup
//
// benchstat reads them (-col /impl -row /rank); ReadTimings reads them back.

const speedupUnit = "speedup"

// WriteTimings writes ts as a timings file.
func WriteTimings(w io.Writer, ts ...*Timings) error {
	bw := benchfmt.NewWriter(w)
	unit := &benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: speedupUnit, Key: "better"},
		OrigUnit: speedupUnit, Value: "higher"}
	if err := bw.Write(unit); err != nil {
		return err
	}
	res := &benchfmt.Result{Config: timingsConfig()}
	for _, t := range ts {
		for i, op := range t.Ops {
			for k, target := range t.Targets {
				base, rest, _ := strings.Cut(op, "/")
				res.Name = benchfmt.Name(base + "/impl=" + target + "/" + rest)
				ref, r := t.Results[0][k], t.Results[i][k]
				for s, ns := range r.Samples {
					res.Iters = r.Iters
					ns := significant(ns, 6)
					res.Values = []benchfmt.Value{
						{Value: ns * 1e-9, Unit: "sec/op", OrigValue: ns, OrigUnit: "ns/op"},
						{Value: significant(ref.Samples[s]/r.Samples[s], 5), Unit: speedupUnit},
					}
					if err := bw.Write(res); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// significant rounds v to digits significant digits: a timing holds no
// more, and the file stays readable.
func significant(v float64, digits int) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', digits, 64), 64)
	return r
}

// timingsConfig is the file configuration of a timings file: what go test
// prints (goos, goarch, cpu) and ConfigLines.
func timingsConfig() []benchfmt.Config {
	lines := append([]string{"goos: " + runtime.GOOS, "goarch: " + runtime.GOARCH, "cpu: " + cpuid.CPU.BrandName},
		ConfigLines()...)
	var cfg []benchfmt.Config
	for _, l := range lines {
		k, v, _ := strings.Cut(l, ":")
		if v = strings.TrimSpace(v); v != "" {
			cfg = append(cfg, benchfmt.Config{Key: k, Value: []byte(v), File: true})
		}
	}
	return cfg
}

// ReadTimings reads a timings file (or several concatenated) into one
// Timings: its ops and targets in the order they first appear. It fails
// on a line that is not a benchmark result or configuration, a result
// without ns/op and speedup, and an op that lacks a target another has.
func ReadTimings(r io.Reader, name string) (*Timings, error) {
	type key struct{ op, target string }
	type acc struct {
		iters             int
		samples, speedups []float64
	}
	t := &Timings{}
	accs := map[key]*acc{}
	br := benchfmt.NewReader(r, name)
	for br.Scan() {
		var rec *benchfmt.Result
		switch x := br.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, x
		case *benchfmt.UnitMetadata:
			continue
		case *benchfmt.Result:
			rec = x
		}
		op, target, _ := splitName(string(rec.Name.Full()))
		ns, speedup, err := timingValues(rec)
		if target == "" || err != nil {
			return nil, fmt.Errorf("%s: %s: want impl=<target> in the name, ns/op and speedup: %v", name, rec.Name.Full(), err)
		}
		k := key{op, target}
		a := accs[k]
		switch {
		case a == nil:
			a = &acc{iters: rec.Iters}
			accs[k] = a
			if !slices.Contains(t.Ops, op) {
				t.Ops = append(t.Ops, op)
			}
			if !slices.Contains(t.Targets, target) {
				t.Targets = append(t.Targets, target)
			}
		case a.iters != rec.Iters:
			return nil, fmt.Errorf("%s: %s: samples of %d and %d iterations: one op is sampled at one count", name, rec.Name.Full(), a.iters, rec.Iters)
		}
		a.samples = append(a.samples, ns)
		a.speedups = append(a.speedups, speedup)
	}
	if err := br.Err(); err != nil {
		return nil, err
	}
	if len(accs) == 0 {
		return nil, fmt.Errorf("%s: no timings", name)
	}
	for _, op := range t.Ops {
		var rs []Result
		var ss []float64
		for _, target := range t.Targets {
			a := accs[key{op, target}]
			if a == nil {
				return nil, fmt.Errorf("%s: %s has no samples on target %s", name, op, target)
			}
			rs = append(rs, Result{Iters: a.iters, Samples: a.samples, Median: median(a.samples)})
			ss = append(ss, median(a.speedups))
		}
		t.Results = append(t.Results, rs)
		t.Speedups = append(t.Speedups, ss)
	}
	return t, nil
}

// timingValues returns a result's ns/op and speedup.
func timingValues(rec *benchfmt.Result) (ns, speedup float64, err error) {
	var haveNs, haveSpeedup bool
	for _, v := range rec.Values {
		switch {
		case v.OrigUnit == "ns/op":
			ns, haveNs = v.OrigValue, true
		case v.Unit == speedupUnit:
			speedup, haveSpeedup = v.Value, true
		}
	}
	if !haveNs || !haveSpeedup || !(ns > 0) || !(speedup > 0) {
		return 0, 0, fmt.Errorf("ns/op %v, speedup %v", ns, speedup)
	}
	return ns, speedup, nil
}

// ReadTimingsFile reads a timings file.
func ReadTimingsFile(path string) (*Timings, error) { return readFile(path, ReadTimings) }

// readFile reads the file path with read, which names it in errors.
func readFile[T any](path string, read func(io.Reader, string) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	return read(f, path)
}
