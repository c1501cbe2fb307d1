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
	// (0: 200 µs) each. A shape's rounds are spread over four passes over
	// the shapes (see tunePasses).
	Rounds int
	Block  time.Duration
	// Margin is how much faster (0: 3%) another geometry must be than the
	// one chosen for the next smaller working set of a role to start a
	// new rule: noise never splits the rules.
	Margin float64
	// Keep is an entry whose rules Tune keeps for a role wherever they
	// are within the margin of the fastest geometry at every working set
	// measured for the role, so that tuning a CPU again reproduces its
	// entry unless some geometry beats it by more than the margin (nil:
	// every role gets rules made afresh). The command passes this CPU's
	// entry of the geometry table.
	Keep *kernels.CPUGeometry
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
	// Low and High bound each candidate's Ratio: the order statistics of
	// its rounds' ratios that hold the median with 95% confidence (equal
	// to Ratio for the default; +Inf if not measured).
	Low, High []float64
	// Best indexes the fastest candidate by Ratio.
	Best int
	// Kept indexes the candidate that TuneConfig.Keep's rules give the
	// shape; -1 without Keep, or if that geometry is not a candidate.
	Kept int
	// Roof is the best candidate's fraction of the read bandwidth at the
	// product's working set (weights plus vectors): the median over the
	// rounds of its bandwidth over that of a read probe of the working
	// set timed in the same round (NewReadProbe), as BenchmarkBars
	// measures it; NaN where the probes are not built.
	Roof float64
}

// Tune measures every geometry the kernels implement on each shape, with
// the active kernels target, and returns the geometry table entry for this
// CPU that the measurements argue for. Geometries within the margin of the
// fastest at a working-set size are tied there: per role, Tune keeps the
// rules of cfg.Keep if its geometry is tied at every size, and otherwise
// makes the fewest rules that give every size a tied geometry (see
// tuneRules). It takes a few seconds to a minute.
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
		Name: cmp.Or(cfg.Name, keptName(cfg.Keep), fmt.Sprintf("%s family %d model %d", vendor, family, model)), Vendor: vendor,
		Family: family, Model: model,
		Source: fmt.Sprintf("lowrank tune, %s target, on %s, %s%s", kernels.Active(), cpuid.CPU.BrandName,
			time.Now().Format("2006-01-02"), loadNote()),
	}
	for _, s := range cfg.Shapes {
		if s.N <= 0 || (s.Role != kernels.RoleDense && (s.Rank <= 0 || s.Rank > s.N)) {
			return e, nil, fmt.Errorf("tune: shape %v: want n > 0 and, for a factor, 0 < rank ≤ n", s)
		}
	}
	// Dense and U shapes first, then V shapes with U in the geometry
	// chosen for it; each phase's shapes measured in interleaved passes.
	uBest := map[[2]int]kernels.Geometry{}
	results := make([]TuneResult, len(cfg.Shapes))
	for _, phase := range [][]kernels.Role{{kernels.RoleDense, kernels.RoleU}, {kernels.RoleV}} {
		var jobs []*tuneJob
		var at []int // the index in cfg.Shapes of each job
		for k, s := range cfg.Shapes {
			if !slices.Contains(phase, s.Role) {
				continue
			}
			// Prefetch only beyond L2; tiles for V only.
			measured := make([]bool, len(cands))
			for i, g := range cands {
				measured[i] = (g.Prefetch == 0 || s.WeightBytes() > l2) && (!g.Tiles || s.Role == kernels.RoleV)
			}
			jobs = append(jobs, newTuneJob(s, cands, measured, uBest[[2]int{s.N, s.Rank}]))
			at = append(at, k)
		}
		measureJobs(jobs, cfg.Rounds, cfg.Block)
		for j, job := range jobs {
			s, res := job.shape, job.result(cands)
			res.Kept = -1
			if cfg.Keep != nil {
				res.Kept = slices.Index(cands, cfg.Keep.GeometryFor(s.Role, s.WeightBytes()))
			}
			if s.Role == kernels.RoleU {
				uBest[[2]int{s.N, s.Rank}] = cands[res.Best]
			}
			if cfg.Log != nil {
				fmt.Fprintf(cfg.Log, "tune: %v (%s): %v, %s, %.3f× the default's speed\n", s, formatSize(s.WeightBytes()),
					cands[res.Best], formatSeconds(res.Median[res.Best]*1e-9), 1/res.Ratio[res.Best])
			}
			results[at[j]] = res
		}
	}
	for _, role := range []kernels.Role{kernels.RoleDense, kernels.RoleU, kernels.RoleV} {
		rules, why := tuneRules(role, results, cfg.Margin, cfg.Keep)
		e.Rules = append(e.Rules, rules...)
		if cfg.Log != nil && why != "" {
			fmt.Fprintf(cfg.Log, "tune: %v: %s\n", role, why)
		}
	}
	if err := e.Validate(); err != nil {
		return e, results, fmt.Errorf("tune: %v", err)
	}
	return e, results, nil
}

// keptName returns the name of the kept entry, "" for none.
func keptName(keep *kernels.CPUGeometry) string {
	if keep == nil {
		return ""
	}
	return keep.Name
}

// A tuneJob is one shape's candidates, packed, and their times.
type tuneJob struct {
	shape TuneShape
	// fs are the products of the candidates measured, then the read
	// probe of the working set where the probes are built.
	fs    []func()
	idx   []int // the candidate of each product
	probe *ReadReference
	times [][]float64 // per f, per round
}

// newTuneJob packs the candidates marked measured on s (the first, the
// default, always is); uGeom is the geometry of U for a V shape (the zero
// Geometry: the default).
func newTuneJob(s TuneShape, cands []kernels.Geometry, measured []bool, uGeom kernels.Geometry) *tuneJob {
	if uGeom == (kernels.Geometry{}) {
		uGeom = kernels.DefaultGeometry
	}
	n, r := s.N, s.Rank
	x, y := make([]float32, n), make([]float32, n)
	fill32(x, 3)
	var a, u, v kernels.Matrix
	if s.Role == kernels.RoleDense {
		a = randMatrix32(n, n, 1)
	} else {
		u, v = randMatrix32(n, r, 4), randMatrix32(r, n, 5)
	}
	job := &tuneJob{shape: s}
	for i, g := range cands {
		if !measured[i] && i > 0 {
			continue
		}
		job.idx = append(job.idx, i)
		switch s.Role {
		case kernels.RoleDense:
			p := kernels.PackWith(a, g)
			job.fs = append(job.fs, func() { p.MatVec(y, x) })
		case kernels.RoleU:
			p := kernels.PackLowRankWith(kernels.LowRank{U: u, V: v}, g, kernels.DefaultGeometry)
			job.fs = append(job.fs, func() { p.MatVec(y, x) })
		case kernels.RoleV:
			p := kernels.PackLowRankWith(kernels.LowRank{U: u, V: v}, uGeom, g)
			job.fs = append(job.fs, func() { p.MatVec(y, x) })
		}
	}
	if _, _, ok := widestProbe(); ok {
		job.probe = NewReadProbe(s.WeightBytes() + 4*(2*n+r))
		job.fs = append(job.fs, func() { job.probe.Run(1) })
	}
	job.times = make([][]float64, len(job.fs))
	return job
}

// tunePasses is the number of passes over a phase's shapes that share
// its rounds: a disturbance of the machine that lasts a fraction of a
// run then reaches a fraction of every shape's rounds, not all of one
// shape's. Runs of the tuning on this project's shared machines differed
// more between runs than their rounds' intervals allowed.
const tunePasses = 4

// measureJobs times every job's candidates for rounds rounds (see
// measureRounds), spread over tunePasses passes over the jobs (one where
// rounds are too few to split).
func measureJobs(jobs []*tuneJob, rounds int, block time.Duration) {
	passes := tunePasses
	if rounds < 3*passes {
		passes = 1
	}
	for p := range passes {
		n := rounds / passes
		if p < rounds%passes {
			n++
		}
		for _, job := range jobs {
			for i, ts := range measureRounds(job.fs, n, block, uint64(p)) {
				job.times[i] = append(job.times[i], ts...)
			}
		}
	}
}

// result returns the measurement of the job's shape: the candidates not
// measured get an infinite ratio.
func (job *tuneJob) result(cands []kernels.Geometry) TuneResult {
	res := TuneResult{Shape: job.shape, Candidates: cands, Median: make([]float64, len(cands)), Ratio: make([]float64, len(cands)),
		Low: make([]float64, len(cands)), High: make([]float64, len(cands))}
	for i := range cands {
		res.Median[i], res.Ratio[i], res.Low[i], res.High[i] = math.NaN(), math.Inf(1), math.Inf(1), math.Inf(1)
	}
	rounds := len(job.times[0])
	ratios := make([]float64, rounds)
	lo, hi := medianBounds(rounds)
	for k, ts := range job.times[:len(job.idx)] {
		i := job.idx[k]
		res.Median[i] = median(ts)
		for r := range ratios {
			ratios[r] = ts[r] / job.times[0][r]
		}
		res.Ratio[i] = median(ratios)
		slices.Sort(ratios)
		res.Low[i], res.High[i] = ratios[lo], ratios[hi]
		if res.Ratio[i] < res.Ratio[res.Best] {
			res.Best = i
		}
	}
	res.Roof = math.NaN()
	if job.probe != nil {
		// roof = (weights/t_best) / (probe bytes/t_probe), round by round.
		best, probe := job.times[slices.Index(job.idx, res.Best)], job.times[len(job.idx)]
		for r := range ratios {
			ratios[r] = float64(job.shape.WeightBytes()) / float64(job.probe.Bytes()) * probe[r] / best[r]
		}
		res.Roof = median(ratios)
	}
	return res
}

// medianBounds returns the indexes, in n sorted samples, of the order
// statistics that hold the median with about 95% confidence: n/2 ∓
// 1.96·√n/2, the normal approximation of the binomial, within [0, n).
func medianBounds(n int) (lo, hi int) {
	w := 1.96 * math.Sqrt(float64(n)) / 2
	lo = max(0, int(math.Floor(float64(n)/2-w))-1)
	hi = min(n-1, int(math.Ceil(float64(n)/2+w))-1)
	return lo, hi
}

// tuneRules turns the results of one role into rules, and says why in a
// line for the log ("" for a role without results). Each working-set size
// scores each candidate by the geometric mean of its ratios over the
// size's shapes; the candidates within the margin of the best score are
// tied there, since rounds of blocks cannot rank them reliably. If keep
// has rules for the role and their geometry is tied at every size, those
// rules are the answer, limits and all: a second run on the same CPU
// reproduces the entry. Otherwise, by increasing size, each rule covers
// the longest run of sizes that some candidate is tied at throughout (the
// fewest rules any choice among ties allows), and takes of those
// candidates the one least behind the best over the run, the earlier
// candidate (the default first) on equal terms. The last rule has no limit.
func tuneRules(role kernels.Role, results []TuneResult, margin float64, keep *kernels.CPUGeometry) ([]kernels.GeometryRule, string) {
	bySize := map[int][]TuneResult{}
	for _, r := range results {
		if r.Shape.Role == role {
			bySize[r.Shape.WeightBytes()] = append(bySize[r.Shape.WeightBytes()], r)
		}
	}
	if len(bySize) == 0 {
		return nil, ""
	}
	sizes := slices.Sorted(maps.Keys(bySize))
	cands := bySize[sizes[0]][0].Candidates
	// behind[k][i]: how far candidate i's score is behind the best at
	// sizes[k], as a log ratio (0 for the best; +Inf if not measured).
	behind := make([][]float64, len(sizes))
	for k, size := range sizes {
		behind[k] = make([]float64, len(cands))
		for i := range cands {
			for _, r := range bySize[size] {
				behind[k][i] += math.Log(r.Ratio[i])
			}
			behind[k][i] /= float64(len(bySize[size]))
		}
		best := slices.Min(behind[k])
		for i := range cands {
			behind[k][i] -= best
		}
	}
	tie := math.Log1p(margin)

	why := "new rules"
	if keep != nil && slices.ContainsFunc(keep.Rules, func(r kernels.GeometryRule) bool { return r.Role == role }) {
		held := true
		for k, size := range sizes {
			g := keep.GeometryFor(role, size)
			if i := slices.Index(cands, g); i < 0 || behind[k][i] > tie {
				lag := "not measured"
				if i >= 0 && !math.IsInf(behind[k][i], 1) {
					lag = fmt.Sprintf("%.1f%% slower than the fastest", 100*math.Expm1(behind[k][i]))
				}
				why = fmt.Sprintf("new rules: %s's %v is %s at %s, beyond the %.0f%% margin",
					keep.Name, g, lag, formatSize(size), 100*margin)
				held = false
				break
			}
		}
		if held {
			var rules []kernels.GeometryRule
			for _, r := range keep.Rules {
				if r.Role == role {
					rules = append(rules, r)
				}
			}
			return rules, fmt.Sprintf("kept the rules of %s: within %.0f%% of the fastest at every size", keep.Name, 100*margin)
		}
	}

	tied := func(k, i int) bool { return behind[k][i] <= tie }
	var rules []kernels.GeometryRule
	for start := 0; start < len(sizes); {
		run := make([]bool, len(cands)) // tied at every size of the run so far
		for i := range cands {
			run[i] = tied(start, i)
		}
		end := start + 1
		for ; end < len(sizes); end++ {
			next := slices.Clone(run)
			for i := range cands {
				next[i] = next[i] && tied(end, i)
			}
			if !slices.Contains(next, true) {
				break
			}
			run = next
		}
		pick, lag := -1, math.Inf(1)
		for i := range cands {
			if !run[i] {
				continue
			}
			var l float64
			for k := start; k < end; k++ {
				l += behind[k][i]
			}
			if l < lag {
				pick, lag = i, l
			}
		}
		limit := 0
		if end < len(sizes) {
			limit = sizes[end-1]
		}
		rules = append(rules, kernels.GeometryRule{Role: role, MaxBytes: limit, Geometry: cands[pick]})
		start = end
	}
	return rules, why
}

// measureRounds times each function in rounds: in each, in an order
// shuffled per round, a call of each function that is not timed (it
// brings the function's data back into cache), then a block of calls
// lasting about block. It returns each function's time per call in ns,
// round by round, so that round k of one function and of another ran
// within a few milliseconds of each other: on a shared machine their
// ratio is steady where the times are not.
func measureRounds(fs []func(), rounds int, block time.Duration, seed uint64) [][]float64 {
	calls := make([]int, len(fs))
	for i, f := range fs {
		calls[i] = blockCalls(f, block)
	}
	times := make([][]float64, len(fs))
	for i := range times {
		times[i] = make([]float64, rounds)
	}
	rng := rand.New(rand.NewPCG(1, seed))
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
// geometry, its time, its speed-up over the default geometry (with the 95%
// interval of the rounds' median where it is not the default), its fraction
// of the read bandwidth at its working set, the next fastest geometry with
// its time relative to the fastest, and that of the geometry the kept
// entry (TuneConfig.Keep) gives the shape ("—" without one).
func WriteTuneResults(w io.Writer, results []TuneResult) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "shape\tweights\tbest geometry\ttime\tdefault/best\troof\trunner-up\tthe kept entry's\t")
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
		kept := "—"
		switch {
		case r.Kept == r.Best:
			kept = "the best"
		case r.Kept >= 0 && !math.IsInf(r.Ratio[r.Kept], 1):
			kept = fmt.Sprintf("%+.1f%%", 100*(r.Ratio[r.Kept]/r.Ratio[r.Best]-1))
		}
		speedup := fmt.Sprintf("%.3f", 1/r.Ratio[r.Best])
		if r.Low != nil && r.Best > 0 {
			speedup += fmt.Sprintf(" [%.3f, %.3f]", 1/r.High[r.Best], 1/r.Low[r.Best])
		}
		fmt.Fprintf(tw, "%v\t%s\t%v\t%s\t%s\t%s\t%s\t%s\t\n", r.Shape, formatSize(r.Shape.WeightBytes()),
			r.Candidates[r.Best], formatSeconds(r.Median[r.Best]*1e-9), speedup, formatPercent(r.Roof), runnerUp, kept)
	}
	return tw.Flush()
}
