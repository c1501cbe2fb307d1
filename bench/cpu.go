package bench

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/klauspost/cpuid/v2"

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

// WriteCPU writes this CPU's identity, SIMD features and caches as CPUID
// reports them, then the kernels targets of this build: available or why
// not, and the one in use (lowrank cpu).
func WriteCPU(w io.Writer) {
	writeCPUInfo(w, cpuid.CPU)
	fmt.Fprintln(w)
	writeTargets(w)
}

func writeCPUInfo(w io.Writer, c cpuid.CPUInfo) {
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
	fmt.Fprintf(tw, "identity\t%s (vendor, family, model, ISA: results/<identity>/ keeps its baseline)\n", slugOf(c))
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

func writeTargets(w io.Writer) {
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

// orUnknown returns s, or "unknown" when it is blank.
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
	if n <= 0 {
		return "unknown"
	}
	return formatBytes(n)
}
