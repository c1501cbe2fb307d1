package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/kernels"
)

func runTune(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("tune", "tune [-rounds 60] [-block 200µs] [-margin 0.03] [-prefetch 1024,4096,16384] [-name NAME] [-o FILE]",
		"Tune measures every panel geometry the kernels implement (panel height,\n"+
			"streams, accumulators, prefetch distance) on the products of the benchmark\n"+
			"suite, dense and the two factors of low-rank ones, with the kernels target\n"+
			"in use, in rounds of short blocks of calls of every candidate, compared\n"+
			"round by round (prefetching candidates only beyond L2). It prints each\n"+
			"shape's fastest geometry and its fraction of the\n"+
			"read bandwidth at its working set, then this CPU's entry for the geometry\n"+
			"table of package kernels (kernels/geometry.go), as Go, to paste there;\n"+
			"-o writes the entry to a file as well. Run it on a quiet machine: a few\n"+
			"minutes.", stderr)
	rounds := fs.Int("rounds", 60, "rounds of blocks of every candidate on each shape")
	block := fs.Duration("block", 200*time.Microsecond, "length of one block of calls")
	margin := fs.Float64("margin", 0.03, "how much faster another geometry must be to start a new rule")
	prefetch := fs.String("prefetch", "1024,4096,16384", "prefetch `distances` to try, bytes (multiples of 64), comma-separated")
	name := fs.String("name", "", "the entry's `name`, e.g. \"AMD Zen 5\" (default: vendor, family and model)")
	out := fs.String("o", "", "also write the entry to `file`")
	if status, done := parseFlags(fs, args); done {
		return status
	}
	var dists []int
	for f := range strings.SplitSeq(*prefetch, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil || d <= 0 || d%64 != 0 || d >= 1<<20 {
			fmt.Fprintf(stderr, "lowrank tune: -prefetch %q: want positive multiples of 64 below 1048576, comma-separated\n", f)
			return exitUsage
		}
		dists = append(dists, d)
	}
	if !(*margin > 0 && *margin < 1) {
		fmt.Fprintf(stderr, "lowrank tune: -margin %g: want a fraction between 0 and 1, e.g. 0.03\n", *margin)
		return exitUsage
	}
	if *rounds < 3 || *block <= 0 {
		fmt.Fprintf(stderr, "lowrank tune: -rounds %d -block %v: want at least 3 rounds of blocks of a positive length\n", *rounds, *block)
		return exitUsage
	}
	fmt.Fprintf(stderr, "lowrank tune: target %s; %d geometries\n", kernels.Active(), len(kernels.Geometries(dists...)))
	e, results, err := bench.Tune(bench.TuneConfig{Prefetch: dists, Rounds: *rounds, Block: *block,
		Margin: *margin, Name: *name, Log: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "lowrank tune: %v\n", err)
		return exitFail
	}
	if err := bench.WriteTuneResults(stdout, results); err != nil {
		fmt.Fprintf(stderr, "lowrank tune: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "\n// The geometry table entry for this CPU (kernels/geometry.go):\n%#v,\n", e)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(fmt.Sprintf("%#v,\n", e)), 0o644); err != nil {
			fmt.Fprintf(stderr, "lowrank tune: %v\n", err)
			return exitFail
		}
	}
	return exitOK
}
