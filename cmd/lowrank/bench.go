package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
	"github.com/lowrank-rnn/lowrank/internal/cli"
	"github.com/lowrank-rnn/lowrank/report"
	"github.com/lowrank-rnn/lowrank/rnn"
)

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

const benchDoc = `Bench builds the benchmark suite of package bench once (go test -c; -peers
auto adds -tags openblas,cpeer and GOEXPERIMENT=simd where they build),
measures the roofline of each target, runs the suite once per kernels
target and once for the peers (gonum, OpenBLAS, the C peer, Go's simd
package), their samples
round robin, then the paired-ratio benchmarks of the regression gate from
a plain build (as lowrank regress builds its new side). It writes one file
in the Go benchmark format, for benchstat (-col /impl) and lowrank
regress, whose configuration lines say what ran (cpu, go, target,
cpu-slug, caches, the OpenBLAS core); names carry no -N suffix
(-test.cpu 1), so files of different machines compare with benchstat
-col .file -table ''. It ends with each result's cache level and its
fraction of the read bandwidth at its working set. An OPENBLAS_CORETYPE
already set is kept: unset
it (env -u) to let the benchmarks choose from cpuid.

With -from FILE, bench runs nothing: it prints FILE's table and writes
figures (-figures) and a Markdown table (-table), as make results does.`

func runBench(args []string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("bench", "bench [flags]", benchDoc, stderr)
	targets := fs.String("targets", "", "comma-separated kernels `targets` to run (default: all available)")
	var suite multiFlag
	fs.Var(&suite, "bench", "benchmarks to run, a go test -bench `regexp`; repeat for several (default: the suite, see above)")
	c := bench.SuiteConfig{}
	rnn.Bounds.Count.Var(fs, &c.Count, 6, "samples of each benchmark, one process per pass each (benchstat wants at least 6)")
	rnn.Bounds.GateCount.Var(fs, &c.GateCount, bench.GateCount, "samples of the gate benchmarks, one process each (0: skip them)")
	fs.StringVar(&c.Benchtime, "benchtime", "100ms", "-test.benchtime of each sample")
	fs.StringVar(&c.GateBenchtime, "gate-benchtime", "300ms", "-test.benchtime of each gate sample (make gate uses the same)")
	out := fs.String("o", "", "results `file` (default results/<cpu-slug>/kernels.txt, or results/<cpu-slug>/gate.txt with -short)")
	fs.BoolVar(&c.Short, "short", false, "run the gate benchmarks only ("+bench.GateBench+")")
	fs.StringVar(&c.Peers, "peers", "auto", "peers to build: auto (openblas, c and simd where they build), none, or a comma-separated `list`")
	pkg := fs.String("pkg", "./bench", "the benchmark package's `directory`")
	from := fs.String("from", "", "run nothing: summarise this results `file`")
	figures := fs.String("figures", "", "write the figures (SVG and PNG) into `dir`")
	table := fs.String("table", "", "write the summary as a Markdown table to `file`")
	if status, done := cli.ParseFlags(fs, args); done {
		return status
	}
	f := failer{"bench", stderr}
	if *out == "" && *from == "" {
		*out = filepath.Join("results", bench.CPUSlug(), map[bool]string{false: "kernels.txt", true: "gate.txt"}[c.Short])
		os.MkdirAll(filepath.Dir(*out), 0o755) // this CPU's own folder; CheckOutputs says if it failed
	}
	err := cmp.Or(cli.Unused(fs, *from != "", "runs benchmarks: -from reads a results file instead", "o", "short", "bench", "targets",
		"count", "gate-count", "benchtime", "gate-benchtime", "peers", "pkg"),
		cli.Unused(fs, c.Short, "is for the suite: -short runs the gate benchmarks only", "bench", "count", "benchtime", "peers", "targets"),
		atomicfile.CheckOutputs([]string{*out, *table}, *from), atomicfile.CheckDir(*figures))
	switch {
	case err != nil:
		return f.usage("%v", err)
	case c.Short && c.GateCount == 0:
		return f.usage("-short runs the gate benchmarks only: want -gate-count ≥ 1")
	case *from != "":
		return summarize(*from, *figures, *table, stdout, stderr)
	}
	if c.Targets, err = bench.ParseTargets(*targets); err != nil {
		return f.usage("-targets: %v", err)
	}
	if c.Dir, err = bench.PackageDir(*pkg); err != nil {
		return f.usage("-pkg %s: %v; want the benchmark package's directory, e.g. ./bench", *pkg, err)
	}
	if c.Bench = suite; len(suite) == 0 {
		c.Bench = bench.DefaultSuite
	}
	results, err := bench.RunSuite(c, f.logf)
	if err == nil {
		err = report.WriteFile(*out, func(w io.Writer) error { _, err := w.Write(results); return err })
	}
	if err != nil {
		return f.fail(err)
	}
	f.logf("wrote %s", *out)
	return summarize(*out, *figures, *table, stdout, stderr)
}

// summarize prints the summary of a results file and writes its figures
// and Markdown table.
func summarize(path, figures, table string, stdout, stderr io.Writer) int {
	f := failer{"bench", stderr}
	s, err := bench.ReadSummaryFile(path)
	if err != nil {
		return f.fail(err)
	}
	fmt.Fprintf(stdout, "%s: %s, caches %s; roof: fraction of the read bandwidth at the benchmark's working set\n\n",
		path, cmp.Or(s.Config["cpu"], "unknown"), cmp.Or(s.Config["caches"], "unknown"))
	if err := s.WriteTable(stdout); err != nil {
		return f.fail(err)
	}
	if table != "" {
		if err := report.WriteFile(table, s.WriteMarkdown); err != nil {
			return f.fail(err)
		}
		f.logf("wrote %s", table)
	}
	if figures != "" {
		paths, err := s.WriteFigures(figures)
		if err != nil {
			return f.fail(err)
		}
		for _, p := range paths {
			f.logf("wrote %s", p)
		}
	}
	return exitOK
}
