package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/kernels"
)

// defaultSuite is what `lowrank bench` runs without -bench: every dense and
// low-rank product and every fused step, and the sequences at three sizes
// and two ranks (all of them take about three times as long). About five
// minutes on a Zen 5 core with the peers, at -count 6 and -benchtime 100ms.
var defaultSuite = []string{
	`^Benchmark(MatVec|LowRank|Step)$`,
	`^BenchmarkSequence$/././^n=(64|256|1024)$/^rank=(full|32)$`,
}

// gateCount is the fewest samples of the gate benchmarks a baseline
// needs: with ten a side, the Mann-Whitney test can still reach
// significance after Holm's correction over the gate's eight benchmarks.
const gateCount = 10

// benchConfig is one `lowrank bench` invocation.
type benchConfig struct {
	targets       []string
	suite         []string // -bench regexps
	count         int
	gateCount     int
	benchtime     string
	gateBenchtime string
	out           string
	short         bool
	peers         string
	pkg           string
	from          string
	figures       string
	table         string
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func runBench(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench", "bench [flags]",
		"Bench runs the benchmark suite of package bench once per kernels target and\n"+
			"once for the peers (gonum, and OpenBLAS and Go's simd package where they\n"+
			"build), then the paired-ratio benchmarks of the regression gate, and\n"+
			"writes all the results to one file in the Go benchmark format, ready for\n"+
			"benchstat (-col /impl) and lowrank regress. It builds the benchmarks once\n"+
			"(go test -c; -peers auto adds -tags openblas and GOEXPERIMENT=simd where\n"+
			"they build), measures the roofline of each target, and finally prints\n"+
			"each result with the cache level that holds its weights and its fraction\n"+
			"of the roofline for that level.\n"+
			"\n"+
			"Each run's configuration lines say what ran: cpu, goarch, go version,\n"+
			"target, goamd64, cpu-slug, caches, the peers (the OpenBLAS core). The\n"+
			"benchmarks run with -test.cpu 1 (the kernels are single-threaded), so\n"+
			"their names carry no -N suffix and files from different machines compare\n"+
			"with benchstat -col .file -table ''. The gate's samples come from a plain\n"+
			"build, as lowrank regress makes its new side, so benchstat shows them\n"+
			"in a table of their own.\n"+
			"\n"+
			"OpenBLAS picks its kernels from OPENBLAS_CORETYPE: an existing value is\n"+
			"kept; unset it (env -u OPENBLAS_CORETYPE) to let the benchmarks choose\n"+
			"from cpuid (SkylakeX with AVX-512).\n"+
			"\n"+
			"With -from FILE, bench runs nothing: it reads FILE and prints its table,\n"+
			"and writes figures (-figures) and a Markdown table (-table); make results\n"+
			"does that for every committed results file.", stderr)
	targetsFlag := fs.String("targets", "", "comma-separated kernels `targets` to run (default: all available)")
	var suite multiFlag
	fs.Var(&suite, "bench", "benchmarks to run, a go test -bench `regexp`; repeat for several (default: the suite, see above)")
	count := fs.Int("count", 6, "samples of each benchmark, one process per pass each (benchstat wants at least 6)")
	gc := fs.Int("gate-count", gateCount, "samples of the gate benchmarks, one process each (0: skip them)")
	benchtime := fs.String("benchtime", "100ms", "-test.benchtime of each sample")
	gateBenchtime := fs.String("gate-benchtime", "300ms", "-test.benchtime of each gate sample (make gate uses the same)")
	out := fs.String("o", "", "results `file` (default results/<cpu-slug>/kernels.txt, or results/<cpu-slug>/gate.txt with -short)")
	short := fs.Bool("short", false, "run the gate benchmarks only ("+bench.GateBench+")")
	peers := fs.String("peers", "auto", "peers to build: auto (openblas and simd where they build), none, or a comma-separated `list`")
	pkg := fs.String("pkg", "./bench", "the benchmark package's `directory`")
	from := fs.String("from", "", "run nothing: summarise this results `file`")
	figures := fs.String("figures", "", "write the figures (SVG and PNG) into `dir`")
	table := fs.String("table", "", "write the summary as a Markdown table to `file`")
	if status, done := parseFlags(fs, args); done {
		return status
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "lowrank bench: "+format+"\n", a...)
		fmt.Fprintln(stderr, "run 'lowrank help bench' for usage")
		return exitUsage
	}
	cfg := benchConfig{suite: suite, count: *count, gateCount: *gc, benchtime: *benchtime,
		gateBenchtime: *gateBenchtime, out: *out, short: *short, peers: *peers, pkg: *pkg,
		from: *from, figures: *figures, table: *table}
	switch {
	case cfg.count < 1:
		return usageErr("-count %d: want at least 1", cfg.count)
	case cfg.gateCount < 0:
		return usageErr("-gate-count %d: want 0 (no gate benchmarks) or more", cfg.gateCount)
	case cfg.short && cfg.gateCount == 0:
		return usageErr("-short runs the gate benchmarks only: want -gate-count ≥ 1")
	case cfg.from != "" && (cfg.out != "" || cfg.short || len(cfg.suite) > 0 || *targetsFlag != ""):
		return usageErr("-from reads a results file: it takes no -o, -short, -bench or -targets")
	}
	if cfg.from != "" {
		return cfg.report(stdout, stderr)
	}
	var err error
	if cfg.targets, err = parseTargets(*targetsFlag); err != nil {
		return usageErr("%v", err)
	}
	if len(cfg.suite) == 0 {
		cfg.suite = defaultSuite
	}
	if cfg.out == "" {
		name := "kernels.txt"
		if cfg.short {
			name = "gate.txt"
		}
		cfg.out = filepath.Join("results", bench.CPUSlug(), name)
	}
	results, err := cfg.run(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "lowrank bench: %v\n", err)
		return exitFail
	}
	if err := os.MkdirAll(filepath.Dir(cfg.out), 0o755); err == nil {
		err = os.WriteFile(cfg.out, results, 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "lowrank bench: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stderr, "lowrank bench: wrote %s\n", cfg.out)
	cfg.from = cfg.out
	return cfg.report(stdout, stderr)
}

// report prints the summary of cfg.from and writes its figures and table.
func (cfg benchConfig) report(stdout, stderr io.Writer) int {
	f, err := os.Open(cfg.from)
	if err != nil {
		fmt.Fprintf(stderr, "lowrank bench: %v\n", err)
		return exitFail
	}
	defer f.Close()
	s, err := bench.ReadSummary(f, cfg.from)
	if err != nil {
		fmt.Fprintf(stderr, "lowrank bench: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "%s: %s, caches %s; roof: fraction of the roofline for the level that holds the weights\n\n",
		cfg.from, orUnknown(s.Config["cpu"]), orUnknown(s.Config["caches"]))
	if err := s.WriteTable(stdout); err != nil {
		fmt.Fprintf(stderr, "lowrank bench: %v\n", err)
		return exitFail
	}
	if cfg.table != "" {
		var b bytes.Buffer
		if err := s.WriteMarkdown(&b); err == nil {
			err = os.WriteFile(cfg.table, b.Bytes(), 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "lowrank bench: %v\n", err)
			return exitFail
		}
		fmt.Fprintf(stderr, "lowrank bench: wrote %s\n", cfg.table)
	}
	if cfg.figures != "" {
		paths, err := s.WriteFigures(cfg.figures)
		if err != nil {
			fmt.Fprintf(stderr, "lowrank bench: %v\n", err)
			return exitFail
		}
		for _, p := range paths {
			fmt.Fprintf(stderr, "lowrank bench: wrote %s\n", p)
		}
	}
	return exitOK
}

// run builds the benchmarks, runs the passes and returns their output.
func (cfg benchConfig) run(stderr io.Writer) ([]byte, error) {
	dir, err := filepath.Abs(cfg.pkg)
	if err == nil {
		var fi os.FileInfo
		if fi, err = os.Stat(dir); err == nil && !fi.IsDir() {
			err = errors.New("not a directory")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("-pkg %s: %v; want the benchmark package's directory, e.g. ./bench", cfg.pkg, err)
	}
	if v, ok := os.LookupEnv("OPENBLAS_CORETYPE"); ok && !cfg.short {
		fmt.Fprintf(stderr, "lowrank bench: note: OPENBLAS_CORETYPE=%s is set and kept: OpenBLAS runs that core "+
			"(unset it to let the benchmarks pick one from cpuid)\n", v)
	}
	tmp, err := os.MkdirTemp("", "lowrank-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	// The suite's binary has the peers; the gate's is built as lowrank
	// regress builds its new side (go test -c, no tags, no experiments),
	// so that a baseline's gate samples differ from a CI run's only by the
	// code under test. (The cgo and GOEXPERIMENT=simd build runs the fused
	// RNN step about 2% slower on Zen 5.)
	bin, gateBin := filepath.Join(tmp, "bench.test"), filepath.Join(tmp, "gate.test")
	var peers []string
	if !cfg.short {
		if peers, err = buildBench(dir, bin, cfg.peers, stderr); err != nil {
			return nil, err
		}
	}
	if cfg.gateCount > 0 {
		if _, err = buildBench(dir, gateBin, "none", stderr); err != nil {
			return nil, err
		}
	}

	// One roofline per target, measured now and handed to every pass, so
	// that every roof in the file is a fraction of the same ceiling.
	var head bytes.Buffer
	roofs := map[string]bench.Roofline{}
	for _, t := range kernels.Available() {
		if r, err := bench.MeasureRoofline(t); err == nil {
			roofs[t] = r
			fmt.Fprintf(stderr, "lowrank bench: roofline: %v\n", r)
			_, line, _ := strings.Cut(r.String(), ": ")
			fmt.Fprintf(&head, "roofline-%s: %s\n", t, line)
		}
	}
	roofJSON, err := json.Marshal(roofs)
	if err != nil {
		return nil, err
	}
	env := setEnv(os.Environ(), bench.RooflineEnv, string(roofJSON))

	// A pass is one set of impls; each sample of each pass is one process
	// running every benchmark of a regexp once, and the samples go round
	// robin over the passes (target go, avx2, avx512, peers; go, avx2…),
	// so that the load of a shared machine, which changes over minutes,
	// falls on every implementation alike.
	type pass struct {
		what string
		bin  string
		env  []string
	}
	var passes []pass
	if !cfg.short {
		// Each pass selects its impls with LOWRANK_IMPLS (the benchmarks
		// switch to impl's target themselves) and leaves LOWRANK_TARGET
		// as it is, so that every pass prints the same configuration
		// lines, target: included (the kernels' own pick, impl=best's).
		for _, t := range cfg.targets {
			passes = append(passes, pass{"target " + t, bin, setEnv(env, "LOWRANK_IMPLS", t)})
		}
		ps := strings.Join(append([]string{"gonum"}, peers...), ",")
		passes = append(passes, pass{"peers " + ps, bin, setEnv(env, "LOWRANK_IMPLS", ps)})
	}
	var out bytes.Buffer
	out.Write(head.Bytes())
	runOnce := func(p pass, re, benchtime, progress string) error {
		fmt.Fprintf(stderr, "lowrank bench: %s: %s: -bench %s\n", progress, p.what, re)
		args := []string{"-test.run", "^$", "-test.bench", re, "-test.count", "1",
			"-test.benchtime", benchtime, "-test.cpu", "1", "-test.benchmem"}
		cmd := exec.Command(p.bin, args...)
		cmd.Dir, cmd.Env = dir, p.env
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %s %s: %v\n%s%s", p.what, p.bin, strings.Join(args, " "), err,
				tail(o.Bytes()), tail(e.Bytes()))
		}
		out.Write(o.Bytes())
		return nil
	}
	// The gate's samples (LOWRANK_TARGET is kept: impl=best is what the
	// kernels pick) are spread over the whole run, between the rounds of
	// the suite: x/ref cancels most of what a shared machine does, but not
	// all (a busy neighbour on the same core moves it by a few percent for
	// as long as it runs), and a baseline taken in one half-minute would
	// hold whatever state the machine was in then.
	gate := pass{"gate (impl=best)", gateBin, setEnv(env, "LOWRANK_IMPLS", "best")}
	gateDone := 0
	runGate := func(upTo int) error {
		for ; gateDone < upTo; gateDone++ {
			progress := fmt.Sprintf("gate sample %d/%d", gateDone+1, cfg.gateCount)
			if err := runOnce(gate, bench.GateBench, cfg.gateBenchtime, progress); err != nil {
				return err
			}
		}
		return nil
	}
	rounds := cfg.count
	if len(passes) == 0 {
		rounds = 1
	}
	for i := 1; i <= rounds; i++ {
		for _, p := range passes {
			for _, re := range cfg.suite {
				if err := runOnce(p, re, cfg.benchtime, fmt.Sprintf("sample %d/%d", i, cfg.count)); err != nil {
					return nil, err
				}
			}
		}
		if err := runGate((i*cfg.gateCount + rounds - 1) / rounds); err != nil {
			return nil, err
		}
	}
	return out.Bytes(), nil
}

// buildBench builds the benchmark binary bin from dir with the peers asked
// for ("auto", "none" or a list of "openblas", "simd") and returns the
// peers built in. With auto, a peer that does not build (no cgo, no
// libopenblas-dev, no GOEXPERIMENT=simd on this GOARCH) is left out with a
// note.
func buildBench(dir, bin, peers string, stderr io.Writer) ([]string, error) {
	var want []string
	auto := peers == "auto"
	switch peers {
	case "auto":
		want = []string{"openblas"}
		if runtime.GOARCH == "amd64" {
			want = append(want, "simd")
		}
	case "none", "":
	default:
		for p := range strings.SplitSeq(peers, ",") {
			p = strings.TrimSpace(p)
			if p != "openblas" && p != "simd" {
				return nil, fmt.Errorf("-peers: unknown peer %q; want auto, none, or a list of openblas, simd", p)
			}
			if !slices.Contains(want, p) {
				want = append(want, p)
			}
		}
	}
	build := func(ps []string) error {
		args := []string{"test", "-c", "-o", bin}
		env := os.Environ()
		if slices.Contains(ps, "openblas") {
			args = append(args, "-tags", "openblas")
		}
		if slices.Contains(ps, "simd") {
			exp := "simd"
			if v := os.Getenv("GOEXPERIMENT"); v != "" {
				exp = v + ",simd"
			}
			env = setEnv(env, "GOEXPERIMENT", exp)
		}
		cmd := exec.Command("go", append(args, ".")...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go %s (peers %q): %v\n%s", strings.Join(args, " "), ps, err, tail(out))
		}
		return nil
	}
	fmt.Fprintf(stderr, "lowrank bench: building %s (peers: %s)\n", dir, orNone(want))
	err := build(want)
	if err == nil || !auto {
		return want, err
	}
	// Drop the peers that do not build, one at a time.
	var got []string
	for _, p := range want {
		if e := build([]string{p}); e != nil {
			fmt.Fprintf(stderr, "lowrank bench: note: peer %s left out: it does not build here: %s\n",
				p, firstLine(e.Error(), 200))
			continue
		}
		got = append(got, p)
	}
	return got, build(got)
}

func firstLine(s string, max int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	l := lines[len(lines)-1] // the compiler's message, after the go command line
	if len(l) > max {
		l = l[:max] + "…"
	}
	return l
}

// setEnv returns env with key set to value.
func setEnv(env []string, key, value string) []string {
	return append(unsetEnv(env, key), key+"="+value)
}

// unsetEnv returns env without key.
func unsetEnv(env []string, key string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, key+"=") })
}
