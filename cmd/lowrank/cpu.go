package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/klauspost/cpuid/v2"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/kernels"
)

// simdFeatures are the features worth knowing for float32 kernels, per
// architecture, in cpuid's spelling (the one kernels.Target.Requires uses;
// SSE4 is SSE4.1).
var simdFeatures = map[string][]cpuid.FeatureID{
	"amd64": {
		cpuid.SSE, cpuid.SSE2, cpuid.SSE3, cpuid.SSSE3, cpuid.SSE4, cpuid.SSE42,
		cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.F16C, cpuid.AVXVNNI,
		cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512DQ, cpuid.AVX512VL, cpuid.AVX512CD,
		cpuid.AVX512VNNI, cpuid.AVX512BF16, cpuid.AVX512FP16,
		cpuid.AMXTILE, cpuid.AMXBF16, cpuid.AMXINT8, cpuid.AMXFP16,
	},
	"arm64": {
		cpuid.ASIMD, cpuid.ASIMDHP, cpuid.ASIMDDP, cpuid.FPHP, cpuid.FHM,
		cpuid.BF16, cpuid.I8MM, cpuid.SVE, cpuid.SVE2,
	},
}

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
	printCPU(stdout, cpuid.CPU)
	fmt.Fprintln(stdout)
	printTargets(stdout)
	if err := kernels.EnvError(); err != nil {
		fmt.Fprintf(stderr, "lowrank cpu: %v\n", err)
		return exitUsage
	}
	return exitOK
}

func printCPU(w io.Writer, c cpuid.CPUInfo) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	defer tw.Flush()
	fmt.Fprintf(tw, "cpu\t%s\n", orUnknown(c.BrandName))
	vendor := fmt.Sprintf("%v (%s)", c.VendorID, c.VendorString)
	if c.VM() {
		hv := c.HypervisorVendorID.String()
		if c.HypervisorVendorID == cpuid.VendorUnknown {
			hv = orUnknown(c.HypervisorVendorString)
		}
		vendor += fmt.Sprintf("; under hypervisor %s (caches and cores as the VM shows them)", hv)
	}
	fmt.Fprintf(tw, "vendor\t%s\n", vendor)
	fmt.Fprintf(tw, "family\t%d (%#x), model %d (%#x), stepping %d\n",
		c.Family, c.Family, c.Model, c.Model, c.Stepping)
	switch runtime.GOARCH {
	case "amd64":
		if l := c.X64Level(); l > 0 {
			fmt.Fprintf(tw, "level\tx86-64-v%d\n", l)
		} else {
			fmt.Fprintf(tw, "level\tbelow x86-64-v1\n")
		}
		if c.AVX10Level > 0 {
			fmt.Fprintf(tw, "avx10\t%d\n", c.AVX10Level)
		}
	case "arm64":
		if major, minor := c.ARM64Level(); major > 0 {
			fmt.Fprintf(tw, "level\tArmv%d.%d-A\n", major, minor)
		}
	}
	var has, lacks []string
	for _, f := range simdFeatures[runtime.GOARCH] {
		if c.Supports(f) {
			has = append(has, f.String())
		} else {
			lacks = append(lacks, f.String())
		}
	}
	fmt.Fprintf(tw, "features\t%s\n", orNone(has))
	fmt.Fprintf(tw, "lacks\t%s\n", orNone(lacks))
	fmt.Fprintf(tw, "caches\tL1d %s, L2 %s, L3 %s (cache line %s)\n",
		bytesize(c.Cache.L1D), bytesize(c.Cache.L2), bytesize(c.Cache.L3), bytesize(c.CacheLine))
	fmt.Fprintf(tw, "cores\t%d logical, %d physical, %d thread(s) per core\n",
		c.LogicalCores, c.PhysicalCores, c.ThreadsPerCore)
}

func printTargets(w io.Writer) {
	fmt.Fprintf(w, "kernels targets (%s/%s build; LOWRANK_TARGET selects one):\n", runtime.GOOS, runtime.GOARCH)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	active := kernels.Active()
	for _, t := range kernels.Targets() {
		status := "available"
		if !t.Available {
			status = "missing: " + t.Missing
		}
		req := t.Requires
		if req == "" {
			req = "nothing"
		}
		fmt.Fprintf(tw, "  %s\t%s\tneeds %s", t.Name, status, req)
		if t.Name == active {
			fmt.Fprint(tw, "\tactive")
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintf(w, "active: %s\n", active)
}

func orUnknown(s string) string {
	if strings.TrimSpace(s) == "" {
		return "unknown"
	}
	return s
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " ")
}

// bytesize formats a cache size; cpuid reports -1 (or 0) when it cannot
// tell.
func bytesize(n int) string {
	switch {
	case n <= 0:
		return "unknown"
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
