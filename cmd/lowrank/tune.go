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
to a file as well. Run it on a quiet machine: a few minutes.`

func runTune(args []string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("tune", "tune [-rounds 60] [-block 200µs] [-margin 0.03] [-prefetch 1024,4096,16384] [-name NAME] [-o FILE]", tuneDoc, stderr)
	cfg := bench.TuneConfig{Log: stderr}
	rnn.Bounds.Rounds.Var(fs, &cfg.Rounds, 60, "rounds of blocks of every candidate on each shape")
	rnn.Bounds.Margin.Var(fs, &cfg.Margin, 0.03, "how much faster another geometry must be to start a new rule")
	fs.DurationVar(&cfg.Block, "block", 200*time.Microsecond, "length of one block of calls")
	fs.Func("prefetch", "prefetch `distances` to try, bytes (multiples of 64), comma-separated (default 1024,4096,16384)",
		func(s string) (err error) { cfg.Prefetch, err = bench.ParsePrefetch(s); return err })
	fs.StringVar(&cfg.Name, "name", "", "the entry's `name`, e.g. \"AMD Zen 5\" (default: vendor, family and model)")
	out := fs.String("o", "", "also write the entry to `file`")
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
