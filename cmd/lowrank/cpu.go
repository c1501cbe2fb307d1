package main

import (
	"fmt"
	"io"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/kernels"
)

func runCPU(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("cpu", "cpu",
		"Cpu prints this CPU's identity, SIMD features and caches as CPUID reports\n"+
			"them, then the kernels targets of this build: available or why not, and\n"+
			"the one in use. With -slug it prints only the CPU's short name, the\n"+
			"directory of its benchmark baseline under results/.", stderr)
	slug := fs.Bool("slug", false, "print only the CPU slug, e.g. amd-epyc-f26-m2")
	if status, done := parseFlags(fs, args); done {
		return status
	}
	if *slug {
		fmt.Fprintln(stdout, bench.CPUSlug())
		return exitOK
	}
	bench.WriteCPU(stdout)
	if err := kernels.EnvError(); err != nil {
		fmt.Fprintf(stderr, "lowrank cpu: %v\n", err)
		return exitUsage
	}
	return exitOK
}
