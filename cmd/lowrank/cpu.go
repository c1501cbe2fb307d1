package main

import (
	"fmt"
	"io"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/internal/cli"
)

func runCPU(args []string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("cpu", "cpu [-slug | -baseline DIR]",
		"Cpu prints this CPU's identity, SIMD features and caches as CPUID reports\n"+
			"them, then the kernels targets of this build: available or why not, and\n"+
			"the one in use. With -slug it prints only the CPU's identity (vendor,\n"+
			"family, model and ISA), the directory of its benchmark baseline under\n"+
			"results/; with -baseline, the path of the baseline the regression gate\n"+
			"uses (make gate): this CPU's, or one of the same vendor, family and model\n"+
			"(saying so on stderr); exit 1 when there is none.", stderr)
	slug := fs.Bool("slug", false, "print only the CPU's identity, e.g. amd-f26-m2-avx2-avx512-vnni-bf16")
	baseline := fs.String("baseline", "", "print only the path of the gate's baseline under `dir` (results)")
	if status, done := cli.ParseFlags(fs, args); done {
		return status
	}
	f := failer{"cpu", stderr}
	switch {
	case *slug && *baseline != "":
		return f.usage("give at most one of -slug and -baseline")
	case *slug:
		fmt.Fprintln(stdout, bench.CPUSlug())
	case *baseline != "":
		b, err := bench.FindBaseline(*baseline)
		if err != nil {
			return f.fail(err)
		}
		if note := b.Note(); note != "" {
			f.logf("%s", note)
		}
		fmt.Fprintln(stdout, b.Path)
	default:
		bench.WriteCPU(stdout)
	}
	return exitOK
}
