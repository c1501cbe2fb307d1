package main

import (
	"fmt"
	"io"
	"time"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
	"github.com/lowrank-rnn/lowrank/internal/cli"
	"github.com/lowrank-rnn/lowrank/kernels"
	"github.com/lowrank-rnn/lowrank/rnn"
)

const tuneDoc = `Tune measures every panel geometry the kernels implement (panel height,
streams, accumulators, prefetch distance) on the products of the benchmark
suite, dense and the two factors of low-rank ones, with the kernels target
in use, in rounds of short blocks of calls of every candidate, compared
round by round (prefetching candidates only beyond L2). It prints each
shape's fastest geometry and its fraction of the read bandwidth at its
working set, then this CPU's entry for the geometry table of package
kernels (kernels/geometry.go), as Go, to paste there; -o writes the entry
to a file as well.

Geometries within the margin of the fastest at a working set are tied:
rounds of short blocks cannot rank them. Where the table already has an
entry for this CPU, tune keeps its rules for a role (dense, U, V) if they
give a tied geometry at every size, and says where they do not; so a
second run reproduces the entry unless a geometry is faster beyond the
margin. -fresh makes every role's rules from the measurements alone, the
fewest rules that give every size a tied geometry. Each shape's rounds are
spread over four passes over the shapes, and the speed-up of its fastest
geometry is printed with the 95% interval of the rounds' median.

Run it on a quiet machine (under a minute), and more than once: on a
shared VM, where another tenant may hold the other thread of the core, the
ranking of geometries within a few percent of each other can move between
runs minutes apart by more than the intervals of either run (up to 10–15%
on Zen 5, most at the L2's capacity), so a verdict to replace an entry
wants runs that agree, or a -margin as wide as their disagreement.`

func runTune(args []string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("tune", "tune [-rounds 60] [-block 200µs] [-margin 0.03] [-prefetch 1024,4096,16384] [-fresh] [-name NAME] [-o FILE]", tuneDoc, stderr)
	cfg := bench.TuneConfig{Log: stderr}
	rnn.Bounds.Rounds.Var(fs, &cfg.Rounds, 60, "rounds of blocks of every candidate on each shape")
	rnn.Bounds.Margin.Var(fs, &cfg.Margin, 0.03, "how much faster another geometry must be to start a new rule")
	fs.DurationVar(&cfg.Block, "block", 200*time.Microsecond, "length of one block of calls")
	fs.Func("prefetch", "prefetch `distances` to try, bytes (multiples of 64), comma-separated (default 1024,4096,16384)",
		func(s string) (err error) { cfg.Prefetch, err = bench.ParsePrefetch(s); return err })
	fs.StringVar(&cfg.Name, "name", "", "the entry's `name`, e.g. \"AMD Zen 5\" (default: vendor, family and model)")
	out := fs.String("o", "", "also write the entry to `file`")
	fresh := fs.Bool("fresh", false, "ignore this CPU's entry in the table: make every rule from the measurements")
	if status, done := cli.ParseFlags(fs, args); done {
		return status
	}
	f := failer{"tune", stderr}
	if cfg.Block <= 0 || cfg.Block > time.Second {
		return f.usage("-block %v: want a positive length of at most 1s, e.g. 200µs", cfg.Block)
	}
	if err := atomicfile.CheckOutputs([]string{*out}); err != nil {
		return f.usage("%v", err)
	}
	if e, ok := kernels.ThisCPU(); ok && !*fresh {
		cfg.Keep = &e
		f.logf("keeping the rules of the table's %s wherever they are within the margin", e.Name)
	}
	f.logf("target %s; %d geometries", kernels.Active(), len(kernels.Geometries(cfg.Prefetch...)))
	e, results, err := bench.Tune(cfg)
	if err == nil {
		err = bench.WriteTuneResults(stdout, results)
	}
	if err != nil {
		return f.fail(err)
	}
	entry := fmt.Sprintf("%#v,\n", e)
	fmt.Fprintf(stdout, "\n// The geometry table entry for this CPU (kernels/geometry.go):\n%s", entry)
	if *out != "" {
		if err := atomicfile.WriteBytes(*out, []byte(entry)); err != nil {
			return f.fail(err)
		}
		f.logf("wrote %s", *out)
	}
	return exitOK
}
