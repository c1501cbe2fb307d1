package bench

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/klauspost/cpuid/v2"

	"github.com/lowrank-rnn/lowrank/kernels"
)

// A TuneShape is one product Tune measures: a dense n×n matrix (Rank 0),
// or the factor Role of a rank-Rank factorisation of one.
type TuneShape struct {
	Role    kernels.Role
	N, Rank int
}

// WeightBytes returns the bytes of weights the shape's product reads: the
// working set by which the geometry table's rules choose.
func (s TuneShape) WeightBytes() int {
	if s.Role == kernels.RoleDense {
		return 4 * s.N * s.N
	}
	return 8 * s.N * s.Rank
}

func (s TuneShape) String() string {
	if s.Role == kernels.RoleDense {
		return fmt.Sprintf("dense n=%d", s.N)
	}
	return fmt.Sprintf("%v of n=%d rank=%d", s.Role, s.N, s.Rank)
}

// DefaultTuneShapes are the shapes of the benchmark suite that Tune
// measures: dense products from 16 KiB to 16 MiB of weights, and the U and
// V factors of low-rank products from 8 KiB to 2 MiB.
func DefaultTuneShapes() []TuneShape {
	var shapes []TuneShape
	for _, n := range []int{64, 128, 256, 512, 1024, 2048} {
		shapes = append(shapes, TuneShape{kernels.RoleDense, n, 0})
	}
	lr := [][2]int{{64, 16}, {128, 16}, {256, 16}, {256, 32}, {512, 32}, {256, 64}, {512, 64},
		{1024, 64}, {1024, 128}, {2048, 128}}
	for _, role := range []kernels.Role{kernels.RoleU, kernels.RoleV} {
		for _, s := range lr {
			shapes = append(shapes, TuneShape{role, s[0], s[1]})
		}
	}
	return shapes
}

// TuneConfig says what Tune measures and how hard.
type TuneConfig struct {
	// Shapes to measure (nil: DefaultTuneShapes). A V shape is measured
	// with U in the geometry Tune chose for the U shape of the same n and
	// rank, if it measured one.
	Shapes []TuneShape
	// Prefetch lists the prefetch distances tried, in bytes (nil: 1, 4
	// and 16 KiB), on working sets larger than L2 only: within L2 the
	// hardware prefetchers keep up (REFERENCES.md, Zen 5).
	Prefetch []int
	// Rounds is the number of rounds (0: 60); each round times a block of
	// calls of every candidate (one untimed call first, so that the
	// weights are back in cache), in a shuffled order, for about Block
	// (0: 200 µs) each.
	Rounds int
	Block  time.Duration
	// Margin is how much faster (0: 3%) another geometry must be than the
	// one chosen for the next smaller working set of a role to start a
	// new rule: noise never splits the rules.
	Margin float64
	// Name names the entry (default: vendor, family and model).
	Name string
	// Log receives a line per shape measured; nil for none.
	Log io.Writer
}

// ParsePrefetch parses a comma-separated list of prefetch distances in
// bytes, as TuneConfig.Prefetch takes them: each a positive multiple of 64
// (a cache line) below 1 MiB.
func ParsePrefetch(s string) ([]int, error) {
	var dists []int
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil || d <= 0 || d%64 != 0 || d >= 1<<20 {
			return nil, fmt.Errorf("prefetch distance %q: want positive multiples of 64 below 1048576, comma-separated, e.g. 1024,4096", f)
		}
		dists = append(dists, d)
	}
	if len(dists) == 0 {
		return nil, fmt.Errorf("no prefetch distance in %q: want positive multiples of 64, comma-separated, e.g. 1024,4096", s)
	}
	return dists, nil
}

// A TuneResult is the measurement of every candidate geometry on one shape.
type TuneResult struct {
	Shape TuneShape
	// Candidates are the geometries, DefaultGeometry first; those with
	// prefetch are measured only beyond L2, the tiles only for V.
	Candidates []kernels.Geometry
	// Median is each candidate's median time per product in ns (NaN if
	// not measured); Ratio the median over the rounds of its time over the
	// first candidate's (+Inf if not measured).
	Median, Ratio []float64
	// Best indexes the fastest candidate by Ratio.
	Best int
	// Roof is the best candidate's fraction of the read bandwidth at the
	// product's working set (ReadAt of weights plus vectors); NaN where the
	// probes are not built.
	Roof float64
}

// Tune measures every geometry the kernels implement on each shape, with
// the active kernels target, and returns the geometry table entry for this
// CPU that the measurements argue for: per role, the fastest geometry of
// each working-set size, a new rule only where another geometry is faster
// by more than the margin. It takes a few minutes.
func Tune(cfg TuneConfig) (kernels.CPUGeometry, []TuneResult, error) {
	if cfg.Shapes == nil {
		cfg.Shapes = DefaultTuneShapes()
	}
	if cfg.Prefetch == nil {
		cfg.Prefetch = []int{1 << 10, 4 << 10, 16 << 10}
	}
	cfg.Rounds = cmp.Or(cfg.Rounds, 60)
	cfg.Block = cmp.Or(cfg.Block, 200*time.Microsecond)
	cfg.Margin = cmp.Or(cfg.Margin, 0.03)
	// The candidates: the default first, the others without prefetch,
	// then those with; near holds the first prefetching one.
	cands := []kernels.Geometry{kernels.DefaultGeometry}
	for _, g := range kernels.Geometries(cfg.Prefetch...) {
		if err := g.Validate(); err != nil {
			return kernels.CPUGeometry{}, nil, fmt.Errorf("tune: %v", err)
		}
		if g != kernels.DefaultGeometry {
			cands = append(cands, g)
		}
	}
	cands = append(cands, kernels.TileGeometry)
	l2 := cacheSizes()["L2"]
	vendor, family, model := kernels.ThisCPUID()
	e := kernels.CPUGeometry{
		Name: cmp.Or(cfg.Name, fmt.Sprintf("%s family %d model %d", vendor, family, model)), Vendor: vendor,
		Family: family, Model: model,
		Source: fmt.Sprintf("lowrank tune, %s target, on %s, %s%s", kernels.Active(), cpuid.CPU.BrandName,
			time.Now().Format("2006-01-02"), loadNote()),
	}
	uBest := map[[2]int]kernels.Geometry{}
	var results []TuneResult
	for _, s := range cfg.Shapes {
		if s.N <= 0 || (s.Role != kernels.RoleDense && (s.Rank <= 0 || s.Rank > s.N)) {
			return e, results, fmt.Errorf("tune: shape %v: want n > 0 and, for a factor, 0 < rank ≤ n", s)
		}
		// Prefetch only beyond L2; tiles for V only.
		measured := make([]bool, len(cands))
		for i, g := range cands {
			measured[i] = (g.Prefetch == 0 || s.WeightBytes() > l2) && (!g.Tiles || s.Role == kernels.RoleV)
		}
		res := tuneShape(s, cands, measured, uBest[[2]int{s.N, s.Rank}], cfg)
		if s.Role == kernels.RoleU {
			uBest[[2]int{s.N, s.Rank}] = cands[res.Best]
		}
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "tune: %v (%s): %v, %s, %.3f× the default's speed\n", s, formatSize(s.WeightBytes()),
				cands[res.Best], formatSeconds(res.Median[res.Best]*1e-9), 1/res.Ratio[res.Best])
		}
		results = append(results, res)
	}
	for _, role := range []kernels.Role{kernels.RoleDense, kernels.RoleU, kernels.RoleV} {
		e.Rules = append(e.Rules, tuneRules(role, results, cfg.Margin)...)
	}
	if err := e.Validate(); err != nil {
		return e, results, fmt.Errorf("tune: %v", err)
	}
	return e, results, nil
}

// tuneShape measures the candidates marked measured on s (the others get
// an infinite ratio; the first, the default, is always measured); uGeom is
// the geometry of U for a V shape (the zero Geometry: the default).
func tuneShape(s TuneShape, cands []kernels.Geometry, measured []bool, uGeom kernels.Geometry, cfg TuneConfig) TuneResult {
	if uGeom == (kernels.Geometry{}) {
		uGeom = kernels.DefaultGeometry
	}
	n, r := s.N, s.Rank
	x, y, t := make([]float32, n), make([]float32, n), make([]float32, r)
	fill32(x, 3)
	var a, u, v kernels.Matrix
	if s.Role == kernels.RoleDense {
		a = randMatrix32(n, n, 1)
	} else {
		u, v = randMatrix32(n, r, 4), randMatrix32(r, n, 5)
	}
	var fs []func()
	var idx []int // the candidate of each f
	for i, g := range cands {
		if !measured[i] && i > 0 {
			continue
		}
		idx = append(idx, i)
		switch s.Role {
		case kernels.RoleDense:
			p := kernels.PackWith(a, g)
			fs = append(fs, func() { p.MatVec(y, x) })
		case kernels.RoleU:
			p := kernels.PackLowRankWith(kernels.LowRank{U: u, V: v}, g, kernels.DefaultGeometry)
			fs = append(fs, func() { p.MatVec(y, x) })
		case kernels.RoleV:
			p := kernels.PackLowRankWith(kernels.LowRank{U: u, V: v}, uGeom, g)
			fs = append(fs, func() { p.MatVec(y, x) })
		}
	}
	times := measureRounds(fs, cfg.Rounds, cfg.Block)
	res := TuneResult{Shape: s, Candidates: cands, Median: make([]float64, len(cands)), Ratio: make([]float64, len(cands))}
	for i := range cands {
		res.Median[i], res.Ratio[i] = math.NaN(), math.Inf(1)
	}
	ratios := make([]float64, cfg.Rounds)
	for k, ts := range times {
		i := idx[k]
		res.Median[i] = median(ts)
		for r := range ratios {
			ratios[r] = ts[r] / times[0][r]
		}
		res.Ratio[i] = median(ratios)
		if res.Ratio[i] < res.Ratio[res.Best] {
			res.Best = i
		}
	}
	res.Roof = math.NaN()
	ws := s.WeightBytes() + 4*(len(x)+len(y)+len(t))
	if bw, err := ReadAtAgain(ws); err == nil {
		res.Roof = float64(s.WeightBytes()) / (res.Median[res.Best] * 1e-9) / bw
	}
	return res
}

// tuneRules turns the results of one role into rules: by increasing
// working set, each size takes the geometry with the least geometric mean
// of ratios over its shapes, unless the geometry of the previous size is
// within the margin of it there.
func tuneRules(role kernels.Role, results []TuneResult, margin float64) []kernels.GeometryRule {
	bySize := map[int][]TuneResult{}
	for _, r := range results {
		if r.Shape.Role == role {
			bySize[r.Shape.WeightBytes()] = append(bySize[r.Shape.WeightBytes()], r)
		}
	}
	sizes := slices.Sorted(maps.Keys(bySize))
	var rules []kernels.GeometryRule
	cur, prevSize := -1, 0
	for _, size := range sizes {
		group := bySize[size]
		cands := group[0].Candidates
		score := func(i int) float64 { // geometric mean of the ratios
			var l float64
			for _, r := range group {
				l += math.Log(r.Ratio[i])
			}
			return l / float64(len(group))
		}
		best := 0
		for i := range cands {
			if score(i) < score(best) {
				best = i
			}
		}
		switch {
		case cur < 0:
			cur = best
		case score(cur) > score(best)+math.Log1p(margin):
			rules = append(rules, kernels.GeometryRule{Role: role, MaxBytes: prevSize, Geometry: cands[cur]})
			cur = best
		}
		prevSize = size
	}
	if cur >= 0 {
		rules = append(rules, kernels.GeometryRule{Role: role, Geometry: results[0].Candidates[cur]})
	}
	return rules
}

// measureRounds times each function in rounds: in each, in an order
// shuffled per round, a call of each function that is not timed (it
// brings the function's data back into cache), then a block of calls
// lasting about block. It returns each function's time per call in ns,
// round by round, so that round k of one function and of another ran
// within a few milliseconds of each other: on a shared machine their
// ratio is steady where the times are not.
func measureRounds(fs []func(), rounds int, block time.Duration) [][]float64 {
	calls := make([]int, len(fs))
	for i, f := range fs {
		calls[i] = blockCalls(f, block)
	}
	times := make([][]float64, len(fs))
	for i := range times {
		times[i] = make([]float64, rounds)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	order := make([]int, len(fs))
	for k := range rounds {
		for i := range order {
			order[i] = i
		}
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		for _, i := range order {
			fs[i]()
			t0 := time.Now()
			for range calls[i] {
				fs[i]()
			}
			times[i][k] = float64(time.Since(t0).Nanoseconds()) / float64(calls[i])
		}
	}
	return times
}

// blockCalls returns how many calls of f take about d, at least one.
func blockCalls(f func(), d time.Duration) int {
	f()
	calls := 0
	start := time.Now()
	for time.Since(start) < d || calls < 2 {
		f()
		calls++
	}
	return max(1, int(float64(calls)*float64(d)/float64(time.Since(start))))
}

// loadNote returns ", load average L" where the system reports one: a
// tuning run on a busy machine says so.
func loadNote() string {
	if l := loadAverage(); l != "" {
		return ", load average " + l
	}
	return ""
}

// loadAverage returns the one-minute load average from /proc/loadavg, or
// "" where there is none.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return ""
}

// randMatrix32 returns a rows×cols matrix of values uniform in [-1, 1),
// the same for the same arguments.
func randMatrix32(rows, cols int, seed uint64) kernels.Matrix {
	a := kernels.NewMatrix(rows, cols)
	fill32(a.Data, seed)
	return a
}

func fill32(v []float32, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, uint64(len(v))))
	for i := range v {
		v[i] = 2*rng.Float32() - 1
	}
}

// WriteTuneResults writes one line per shape: its weights, the fastest
// geometry, its time, its speed-up over the default geometry, its fraction
// of the read bandwidth at its working set, and the next fastest geometry
// with its time relative to the fastest.
func WriteTuneResults(w io.Writer, results []TuneResult) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "shape\tweights\tbest geometry\ttime\tdefault/best\troof\trunner-up\t")
	for _, r := range results {
		second := -1
		for i := range r.Candidates {
			if i != r.Best && !math.IsInf(r.Ratio[i], 1) && (second < 0 || r.Ratio[i] < r.Ratio[second]) {
				second = i
			}
		}
		runnerUp := "—"
		if second >= 0 {
			runnerUp = fmt.Sprintf("%v (%+.1f%%)", r.Candidates[second], 100*(r.Ratio[second]/r.Ratio[r.Best]-1))
		}
		fmt.Fprintf(tw, "%v\t%s\t%v\t%s\t%.3f\t%s\t%s\t\n", r.Shape, formatSize(r.Shape.WeightBytes()),
			r.Candidates[r.Best], formatSeconds(r.Median[r.Best]*1e-9), 1/r.Ratio[r.Best], formatPercent(r.Roof), runnerUp)
	}
	return tw.Flush()
}
