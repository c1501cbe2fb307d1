package bench

import (
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/klauspost/cpuid/v2"

	"github.com/lowrank-rnn/lowrank/kernels"
)

// GateBench is the -bench regexp of the regression gate (make gate,
// .ci/run, lowrank bench -short): the paired-ratio benchmarks
// (BenchmarkRatio) of impl=best, the target the kernels pick by
// themselves. The Makefile's GATE_BENCH must be the same.
const GateBench = `^BenchmarkRatio$/./^impl=best$`

// CPUSlug returns this CPU's identity, the name of the directory under
// results/ that keeps its benchmark baseline: the vendor, cpuid's family
// and model, and the instruction-set extensions that decide which kernels
// code runs (isaGroups), e.g. "amd-f26-m2-avx2-avx512-vnni-bf16". Not the
// brand string: the same Zen 5 reports "AMD EPYC" under one hypervisor and
// "Oxide Virtual Turin-like Processor" under another, and both must find
// one baseline. (A results file keeps the brand string in its cpu:
// configuration line.) A hypervisor may also hide features: FindBaseline
// then takes a baseline of the same vendor, family and model, and says so.
func CPUSlug() string { return slugOf(cpuid.CPU) }

func slugOf(c cpuid.CPUInfo) string {
	var isa []string
	for _, g := range isaGroups[runtime.GOARCH] {
		if c.Supports(g.needs...) {
			isa = append(isa, g.name)
		}
	}
	return cpuSlug(vendorName(c), c.Family, c.Model, isa)
}

func cpuSlug(vendor string, family, model int, isa []string) string {
	return strings.Join(append([]string{fmt.Sprintf("%s-f%d-m%d", vendor, family, model)}, isa...), "-")
}

// isaGroups are the instruction-set extensions that decide which kernels
// code runs, per architecture, each named for a slug and counted only when
// the CPU has every feature it needs: the avx2 and avx512 kernels targets
// (as kernels.Target.Requires gates them), and the int8 and bf16 dot
// products of the quantized kernels.
var isaGroups = map[string][]struct {
	name  string
	needs []cpuid.FeatureID
}{
	"amd64": {
		{"avx2", []cpuid.FeatureID{cpuid.AVX2, cpuid.FMA3}},
		{"avx512", []cpuid.FeatureID{cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512DQ, cpuid.AVX512VL}},
		{"vnni", []cpuid.FeatureID{cpuid.AVX512VNNI}},
		{"bf16", []cpuid.FeatureID{cpuid.AVX512BF16}},
	},
	"arm64": {
		{"neon", []cpuid.FeatureID{cpuid.ASIMD}},
		{"dotprod", []cpuid.FeatureID{cpuid.ASIMDDP}},
		{"i8mm", []cpuid.FeatureID{cpuid.I8MM}},
		{"bf16", []cpuid.FeatureID{cpuid.BF16}},
	},
}

// vendorName is the CPU's vendor in lowercase letters and digits: "amd",
// "intel", "arm"; the vendor string cpuid could not name, or the
// architecture when there is none.
func vendorName(c cpuid.CPUInfo) string {
	v := c.VendorID.String()
	if c.VendorID == cpuid.VendorUnknown {
		v = c.VendorString
	}
	v = strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			return r
		case 'A' <= r && r <= 'Z':
			return r - 'A' + 'a'
		}
		return -1
	}, v)
	if v == "" {
		return runtime.GOARCH
	}
	return v
}

// splitSlug splits a CPU slug into its microarchitecture (vendor, family
// and model: "amd-f26-m2") and its ISA groups; ok is false for a name that
// is not a slug.
func splitSlug(slug string) (micro string, isa []string, ok bool) {
	f := strings.Split(slug, "-")
	num := func(s, prefix string) bool {
		_, err := strconv.ParseUint(strings.TrimPrefix(s, prefix), 10, 32)
		return strings.HasPrefix(s, prefix) && err == nil
	}
	if len(f) < 3 || f[0] == "" || !num(f[1], "f") || !num(f[2], "m") {
		return "", nil, false
	}
	return strings.Join(f[:3], "-"), f[3:], true
}

// A Baseline is the results file that the regression gate compares this
// CPU with, root/<slug>/kernels.txt.
type Baseline struct {
	Path  string
	Slug  string // the identity of the CPU that recorded it
	CPU   string // this CPU's identity (CPUSlug)
	Exact bool   // Slug is CPU; else the same vendor, family and model
	// Lacks are the ISA groups of the baseline's CPU that this one lacks,
	// Extra the reverse (both empty when Exact).
	Lacks, Extra []string
}

// FindBaseline returns this CPU's baseline under root (results):
// root/<CPUSlug()>/kernels.txt, or else the baseline of the same
// microarchitecture (vendor, family and model) whose ISA groups differ
// least from this CPU's, with Exact false. It is an error, naming the
// baselines there are, when there is neither: nothing to gate against.
func FindBaseline(root string) (Baseline, error) { return findBaseline(root, CPUSlug()) }

func findBaseline(root, slug string) (Baseline, error) {
	paths, err := filepath.Glob(filepath.Join(root, "*", "kernels.txt"))
	if err != nil {
		return Baseline{}, err
	}
	micro, isa, _ := splitSlug(slug)
	var best *Baseline
	var there []string
	for _, p := range paths {
		s := filepath.Base(filepath.Dir(p))
		there = append(there, s)
		if s == slug {
			return Baseline{Path: p, Slug: s, CPU: slug, Exact: true}, nil
		}
		m, other, ok := splitSlug(s)
		if !ok || m != micro {
			continue
		}
		b := Baseline{Path: p, Slug: s, CPU: slug, Lacks: missing(other, isa), Extra: missing(isa, other)}
		if best == nil || len(b.Lacks)+len(b.Extra) < len(best.Lacks)+len(best.Extra) {
			best = &b
		}
	}
	if best == nil {
		return Baseline{}, fmt.Errorf("no baseline for this CPU, %s, nor for its microarchitecture %s, in %s (there are: %s): the gate has nothing to compare with; make bench records one",
			slug, micro, root, orNone(there))
	}
	return *best, nil
}

// missing returns the elements of a that b lacks.
func missing(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// Note says, when b is not this CPU's own baseline, which one it is and
// how the CPUs differ; "" when it is.
func (b Baseline) Note() string {
	if b.Exact {
		return ""
	}
	micro, _, _ := splitSlug(b.Slug)
	var diff []string
	if len(b.Lacks) > 0 {
		diff = append(diff, "it has "+strings.Join(b.Lacks, " ")+", which this CPU lacks")
	}
	if len(b.Extra) > 0 {
		diff = append(diff, "this CPU has "+strings.Join(b.Extra, " ")+", which it lacks")
	}
	return fmt.Sprintf("no baseline for this CPU, %s, exactly: using %s, of the same microarchitecture %s (%s)",
		b.CPU, b.Path, micro, strings.Join(diff, "; "))
}

// CacheConfig describes the caches cpuid reports, for a configuration line
// (see ParseCacheConfig): "L1d 48 KiB, L2 1 MiB, L3 32 MiB".
func CacheConfig() string {
	return formatCaches(cacheSizes())
}

func formatCaches(size map[string]int) string {
	var parts []string
	for _, level := range Levels[:3] {
		if s, ok := size[level]; ok {
			name := level
			if level == "L1" {
				name = "L1d"
			}
			parts = append(parts, name+" "+formatBytes(s))
		}
	}
	return strings.Join(parts, ", ")
}

// ParseCacheConfig reads CacheConfig's format back into capacities by
// level ("L1", "L2", "L3"), as Roofline.Size holds them.
func ParseCacheConfig(s string) (map[string]int, error) {
	size := map[string]int{}
	for part := range strings.SplitSeq(s, ",") {
		f := strings.Fields(part)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("caches %q: want e.g. \"L1d 48 KiB, L2 1 MiB\"", s)
		}
		level := strings.TrimSuffix(f[0], "d")
		if level != "L1" && level != "L2" && level != "L3" {
			return nil, fmt.Errorf("caches %q: unknown level %q", s, f[0])
		}
		v, err := strconv.Atoi(f[1])
		mult := map[string]int{"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[f[2]]
		if err != nil || v <= 0 || mult == 0 {
			return nil, fmt.Errorf("caches %q: bad size %q", s, f[1]+" "+f[2])
		}
		size[level] = v * mult
	}
	return size, nil
}

// formatBytes writes n in the largest binary unit that divides it.
func formatBytes(n int) string {
	for _, u := range []struct {
		name string
		size int
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d %s", n/u.size, u.name)
		}
	}
	return fmt.Sprintf("%d B", n)
}

// ConfigLines returns the configuration lines (Go benchmark format, "key:
// value") that describe a benchmark run of this process, for the
// benchmark binary to print before its results, so that a results file
// says what produced it and `benchstat -col .file` can compare files from
// different machines:
//
//	go: go1.26.0            the toolchain
//	goamd64: v1             build settings that change the code: GOAMD64 or
//	goexperiment: simd      GOARM64, GOEXPERIMENT and -tags (empty, and so
//	tags: openblas          deleted, when not set)
//	target: avx512          the kernels target in use (LOWRANK_TARGET or the best)
//	cpu-slug: amd-f26-m2-avx2-avx512-vnni-bf16
//	caches: L1d 48 KiB, L2 1 MiB, L3 32 MiB
//
// testing itself prints goos, goarch, pkg and cpu. Keys with an empty
// value are printed bare ("tags:"): in a file that concatenates several
// runs, that deletes the previous run's value.
func ConfigLines() []string {
	settings := map[string]string{}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
	}
	lines := []string{"go: " + runtime.Version()}
	switch runtime.GOARCH {
	case "amd64":
		lines = append(lines, "goamd64: "+orDefault(settings["GOAMD64"], "v1"))
	case "arm64":
		lines = append(lines, "goarm64: "+orDefault(settings["GOARM64"], "v8.0"))
	}
	lines = append(lines,
		"goexperiment: "+settings["GOEXPERIMENT"],
		"tags: "+settings["-tags"],
		"target: "+kernels.Active(),
		"cpu-slug: "+CPUSlug(),
		"caches: "+CacheConfig(),
	)
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return lines
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
