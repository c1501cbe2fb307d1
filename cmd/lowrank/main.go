// Command lowrank measures how far the recurrent weights of an RNN or MGRU
// can be SVD-compressed, what each rank costs in accuracy and short-term
// memory, and how fast the low-rank recurrence runs on this CPU.
//
// Usage:
//
//	lowrank cpu [-slug | -baseline DIR]   this CPU's identity, features and kernels targets; its gate baseline
//	lowrank train -task seqmnist -cell mgru -hidden 128 -epochs 10 [-data DIR] -o FILE
//	lowrank compress -model FILE (-rank R[,R_h] | -energy F | -max-error E | -budget B) [-method svd|whitened] [-joint] -o FILE
//	lowrank plan -model FILE (-max-error E | -budget B) [-measure state|output|loss]   a dry run, without labels
//	lowrank plan -models results/models [-csv FILE] [-figures DIR]                     the planner's validation
//	lowrank inspect FILE                what a model file (lowrank's or PyTorch's) holds
//	lowrank sweep [-models results/models] [-ranks 4,8,…,124] [-methods svd,whitened] [-csv FILE] [-times FILE] [-figures DIR]
//	lowrank sweep -n 256 [-ranks 8,16,32,64,128] [-targets avx2,avx512] [-times FILE]   products only
//	lowrank memory [-model FILE | -cell rnn -hidden 128 -net random -radius 0.9] [-rho 0,0.5,0.9,0.99] [-ranks 2,4,8,full] [-csv FILE]
//	lowrank bench [-targets go,avx2,avx512] [-bench RE] [-count 6] [-o FILE] [-short] | -from FILE [-figures DIR] [-table FILE]
//	lowrank regress [flags] OLD NEW | -bench RE (-base OLD | -old-bin BIN)   exit 1 on a regression
//	lowrank report [-o results/REPORT.md]
//	lowrank help [command]
//
// Each command parses its flags (with internal/cli, the subcommand
// framework), calls the library (packages rnn, bench, report) and prints;
// results files are written only where a flag names them. LOWRANK_TARGET=go|avx2|avx512|neon selects the kernels target at
// start-up; LOWRANK_DATA (or -data) a folder of task data.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/lowrank-rnn/lowrank/internal/cli"
	"github.com/lowrank-rnn/lowrank/kernels"
	"github.com/lowrank-rnn/lowrank/report"
)

// Exit statuses: 1 for a failure, 2 for a bad command line or
// environment.
const (
	exitOK    = cli.ExitOK
	exitFail  = cli.ExitFail
	exitUsage = cli.ExitUsage
)

// A command is one subcommand. run gets the arguments after its name.
type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) int
}

// commands returns the subcommands, in the order help lists them. (A
// function, not a variable: help refers back to the list.)
func commands() []command {
	return []command{
		{"cpu", "print this CPU's features and caches and the kernels targets", runCPU},
		{"train", "train an RNN, MGRU, GRU or LSTM on a task and save it as safetensors", runTrain},
		{"compress", "truncate a trained model's recurrent matrices to low rank and assess it", runCompress},
		{"plan", "choose the ranks without labels, for a maximum error or a budget (a dry run)", runPlan},
		{"inspect", "say what a model file holds: cell, layers, shapes, singular-value spectra", runInspect},
		{"sweep", "the main job: compress the default models to each rank; speed, metric, error", runSweep},
		{"memory", "measure short-term memory (capacity) of a network under rank truncation", runMemory},
		{"bench", "run the benchmark suite per target and peer; write results/<cpu>/kernels.txt", runBench},
		{"tune", "measure the panel geometries on this CPU; print its geometry table entry", runTune},
		{"regress", "compare benchmark results; exit 1 on a significant slowdown", runRegress},
		{"report", "write results/REPORT.md from the measurements under results/", runReport},
		{"help", "print this help, or a command's flags: lowrank help sweep", runHelp},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole program: it dispatches args to a subcommand and returns
// the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	}
	if c, ok := lookup(name); ok {
		// Checked once, here, for every command: a target asked for and not
		// used would make every number that follows a lie.
		if err := kernels.EnvError(); err != nil {
			fmt.Fprintf(stderr, "lowrank %s: %v\n", name, err)
			return exitUsage
		}
		return c.run(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "lowrank: unknown command %q; the commands are %s (run 'lowrank help')\n",
		name, commandNames())
	return exitUsage
}

func lookup(name string) (command, bool) {
	cs := commands()
	if i := slices.IndexFunc(cs, func(c command) bool { return c.name == name }); i >= 0 {
		return cs[i], true
	}
	return command{}, false
}

func commandNames() string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return strings.Join(names, ", ")
}

func usage(w io.Writer) {
	fmt.Fprint(w, `lowrank measures how far the recurrent weights of an RNN can be
SVD-compressed and how fast the low-rank recurrence runs on this CPU.

Usage:

	lowrank <command> [flags]

Commands:

`)
	for _, c := range commands() {
		fmt.Fprintf(w, "\t%-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Environment:

	LOWRANK_TARGET=go|avx2|avx512|neon   kernels target to use (default: the fastest available)
	LOWRANK_DATA=DIR                     folder of task data (MNIST's idx files, the text corpora)
`)
}

func runHelp(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		usage(stdout)
		return exitOK
	case len(args) > 1:
		fmt.Fprintf(stderr, "lowrank help: want at most one command, got %q\n", args)
		return exitUsage
	}
	c, ok := lookup(args[0])
	if !ok {
		fmt.Fprintf(stderr, "lowrank help: unknown command %q; the commands are %s\n", args[0], commandNames())
		return exitUsage
	}
	if c.name == "help" {
		usage(stdout)
		return exitOK
	}
	// A command's -h prints its usage and flags.
	return c.run([]string{"-h"}, stdout, stdout)
}

// failer reports a subcommand's errors on stderr and gives the exit
// status: usage for a bad command line, fail for a failure.
type failer struct {
	name   string
	stderr io.Writer
}

func (f failer) usage(format string, a ...any) int {
	fmt.Fprintf(f.stderr, "lowrank %s: %s\nrun 'lowrank help %s' for usage\n", f.name, fmt.Sprintf(format, a...), f.name)
	return exitUsage
}

// logf reports progress and notes.
func (f failer) logf(format string, a ...any) {
	fmt.Fprintf(f.stderr, "lowrank %s: %s\n", f.name, fmt.Sprintf(format, a...))
}

func (f failer) fail(err error) int {
	fmt.Fprintf(f.stderr, "lowrank %s: %v\n", f.name, err)
	return exitFail
}

// status reports err, if any, and gives the exit status: usage for a
// report.UsageError (a bad request), fail for any other error.
func (f failer) status(err error) int {
	switch {
	case err == nil:
		return exitOK
	case report.IsUsage(err):
		return f.usage("%v", err)
	}
	return f.fail(err)
}
