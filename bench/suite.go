package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/lowrank-rnn/lowrank/kernels"
)

// DefaultSuite is what lowrank bench runs without -bench: every dense and
// low-rank product and every fused step, and the sequences at three sizes
// and two ranks (all of them take about three times as long). About five
// minutes on a Zen 5 core with the peers, at -count 6 and -benchtime 100ms.
var DefaultSuite = []string{
	`^Benchmark(MatVec|LowRank|Step)$`,
	`^BenchmarkSequence$/././^n=(64|256|1024)$/^rank=(full|32)$`,
}

// GateCount is the fewest samples of the gate benchmarks a baseline
// needs: with ten a side, the Mann-Whitney test can still reach
// significance after Holm's correction over the gate's eight benchmarks.
const GateCount = 10

// SuiteConfig is one run of the benchmark suite (lowrank bench).
type SuiteConfig struct {
	Dir       string   // the benchmark package
	Targets   []string // kernels targets: one pass each
	Bench     []string // the suite's -bench regexps (DefaultSuite)
	Count     int      // samples of each, one process per pass and regexp
	Benchtime string
	// GateCount samples of the gate's benchmarks (GateBench, impl=best)
	// are spread over the run, GateBenchtime each.
	GateCount     int
	GateBenchtime string
	Short         bool   // the gate's samples only
	Peers         string // "auto" (openblas, c and simd where they build), "none", or a list
}

// A pass is one set of impls (LOWRANK_IMPLS), run by one binary.
type pass struct {
	what, impls string
	bin         *TestBinary
}

// RunSuite builds the suite once (go test -c, with the peers asked for),
// measures the roofline of each target, and runs the passes: one per
// kernels target and one for the peers, their samples round robin (go,
// avx2, avx512, peers; go, avx2…) so that the load of a shared machine,
// which changes over minutes, falls on every implementation alike, and
// between the rounds the gate's samples. It returns the results, in the
// Go benchmark format; logf reports progress.
func RunSuite(c SuiteConfig, logf func(format string, a ...any)) ([]byte, error) {
	if v, ok := os.LookupEnv("OPENBLAS_CORETYPE"); ok && !c.Short {
		logf("note: OPENBLAS_CORETYPE=%s is set and kept: OpenBLAS runs that core "+
			"(unset it to let the benchmarks pick one from cpuid)", v)
	}
	tmp, err := os.MkdirTemp("", "lowrank-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	passes, gate, err := c.build(tmp, logf)
	if err != nil {
		return nil, err
	}
	head, env, err := rooflines(logf)
	if err != nil {
		return nil, err
	}
	// Each pass selects its impls with LOWRANK_IMPLS and leaves
	// LOWRANK_TARGET as it is, so that every pass prints the same
	// configuration lines, target: included (impl=best's).
	for _, p := range append(passes, gate) {
		if p.bin != nil {
			p.bin.Env = setEnv(env, "LOWRANK_IMPLS", p.impls)
		}
	}
	out := bytes.NewBuffer(head)
	rounds := c.Count
	if len(passes) == 0 {
		rounds = 1
	}
	gateDone := 0
	for i := 1; i <= rounds; i++ {
		for _, p := range passes {
			for _, re := range c.Bench {
				progress := fmt.Sprintf("sample %d/%d", i, c.Count)
				if err := runPass(out, p, BenchRun{Bench: re, Benchtime: c.Benchtime, CPU: "1"}, progress, logf); err != nil {
					return nil, err
				}
			}
		}
		// The gate's samples go between the rounds: x/ref cancels most of
		// what a shared machine does, but not all, and a baseline taken in
		// one half-minute would hold whatever state the machine was in.
		for ; gateDone < (i*c.GateCount+rounds-1)/rounds; gateDone++ {
			progress := fmt.Sprintf("gate sample %d/%d", gateDone+1, c.GateCount)
			if err := runPass(out, gate, BenchRun{Bench: GateBench, Benchtime: c.GateBenchtime, CPU: "1"}, progress, logf); err != nil {
				return nil, err
			}
		}
	}
	return out.Bytes(), nil
}

// runPass runs one sample of a pass and appends its results to out.
func runPass(out *bytes.Buffer, p pass, r BenchRun, progress string, logf func(format string, a ...any)) error {
	logf("%s: %s: -bench %s", progress, p.what, r.Bench)
	b, err := p.bin.Run(r)
	if err != nil {
		return fmt.Errorf("%s: %v", p.what, err)
	}
	out.Write(b)
	return nil
}

// rooflines measures one roofline per target, to hand to every pass
// (RooflineEnv) so that every roof in the file is a fraction of the same
// ceiling, and returns them as configuration lines and the environment.
func rooflines(logf func(format string, a ...any)) (head []byte, env []string, err error) {
	var b bytes.Buffer
	roofs := map[string]Roofline{}
	for _, t := range kernels.Available() {
		if r, err := MeasureRoofline(t); err == nil {
			roofs[t] = r
			logf("roofline: %v", r)
			_, line, _ := strings.Cut(r.String(), ": ")
			fmt.Fprintf(&b, "roofline-%s: %s\n", t, line)
		}
	}
	// A results file says how busy the machine was when it began: on a
	// shared machine its absolute times depend on it.
	fmt.Fprintf(&b, "loadavg: %s\n", loadAverage())
	j, err := json.Marshal(roofs)
	if err != nil {
		return nil, nil, err
	}
	return b.Bytes(), setEnv(os.Environ(), RooflineEnv, string(j)), nil
}

// build builds the suite's binary (with the peers) and the gate's, and
// returns the passes and the gate pass. The gate's binary is built as
// lowrank regress builds its new side (no tags, no experiments), so that a
// baseline's gate samples differ from a CI run's only by the code under
// test: the cgo and GOEXPERIMENT=simd build runs the fused RNN step about
// 2% slower on Zen 5.
func (c SuiteConfig) build(tmp string, logf func(format string, a ...any)) (passes []pass, gate pass, err error) {
	if !c.Short {
		bin, peers, err := buildWithPeers(c.Dir, filepath.Join(tmp, "bench.test"), c.Peers, logf)
		if err != nil {
			return nil, gate, err
		}
		for _, t := range c.Targets {
			b := *bin
			passes = append(passes, pass{"target " + t, t, &b})
		}
		ps := strings.Join(append([]string{"gonum"}, peers...), ",")
		passes = append(passes, pass{"peers " + ps, ps, bin})
	}
	if c.GateCount > 0 {
		bin, err := BuildTestBinary(c.Dir, filepath.Join(tmp, "gate.test"), nil, nil)
		if err != nil {
			return nil, gate, err
		}
		gate = pass{"gate (impl=best)", "best", bin}
	}
	return passes, gate, nil
}

// buildWithPeers builds the benchmark binary out from dir with the peers
// asked for ("auto", "none" or a list of "openblas", "c", "simd") and returns
// the peers built in. With auto, a peer that does not build (no cgo, no
// libopenblas-dev, no GOEXPERIMENT=simd on this GOARCH) is left out with
// a note.
func buildWithPeers(dir, out, peers string, logf func(format string, a ...any)) (*TestBinary, []string, error) {
	want, err := parsePeers(peers)
	if err != nil {
		return nil, nil, err
	}
	names := "none"
	if len(want) > 0 {
		names = strings.Join(want, " ")
	}
	logf("building %s (peers: %s)", dir, names)
	bin, err := buildPeers(dir, out, want)
	if err == nil || peers != "auto" {
		return bin, want, err
	}
	// Drop the peers that do not build, one at a time.
	var got []string
	for _, p := range want {
		if _, e := buildPeers(dir, out, []string{p}); e != nil {
			logf("note: peer %s left out: it does not build here: %s", p, lastLine(e.Error(), 200))
			continue
		}
		got = append(got, p)
	}
	bin, err = buildPeers(dir, out, got)
	return bin, got, err
}

// parsePeers returns the peers a -peers value asks for.
func parsePeers(peers string) ([]string, error) {
	switch peers {
	case "auto":
		if runtime.GOARCH == "amd64" {
			return []string{"openblas", "c", "simd"}, nil
		}
		return []string{"openblas"}, nil
	case "none", "":
		return nil, nil
	}
	var want []string
	for p := range strings.SplitSeq(peers, ",") {
		p = strings.TrimSpace(p)
		if p != "openblas" && p != "c" && p != "simd" {
			return nil, fmt.Errorf("-peers: unknown peer %q; want auto, none, or a list of openblas, c, simd", p)
		}
		if !slices.Contains(want, p) {
			want = append(want, p)
		}
	}
	return want, nil
}

// buildPeers builds the binary with the peers: openblas and c (-tags
// cpeer) are build tags, simd a GOEXPERIMENT.
func buildPeers(dir, out string, peers []string) (*TestBinary, error) {
	var tags, env []string
	if slices.Contains(peers, "openblas") {
		tags = append(tags, "openblas")
	}
	if slices.Contains(peers, "c") {
		tags = append(tags, "cpeer")
	}
	if slices.Contains(peers, "simd") {
		exp := "simd"
		if v := os.Getenv("GOEXPERIMENT"); v != "" {
			exp = v + ",simd"
		}
		env = append(env, "GOEXPERIMENT="+exp)
	}
	return BuildTestBinary(dir, out, tags, env)
}

// lastLine returns the last line of s (the compiler's message, after the
// go command line), at most max bytes of it.
func lastLine(s string, max int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	l := lines[len(lines)-1]
	if len(l) > max {
		l = l[:max] + "…"
	}
	return l
}
