package bench

import (
	"fmt"
	"runtime"
	"runtime/debug"
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

// CPUSlug returns a short, file-name-safe name for this CPU model, under
// which results/<slug>/ keeps its benchmark baseline: the brand name in
// lowercase words joined by '-', without trademarks, clock speeds, core
// counts and the words "cpu" and "processor", then cpuid's family and
// model, e.g. "amd-epyc-f26-m2" or "intel-xeon-platinum-8480-f6-m143".
// Two machines with the same slug run the kernels alike; a hypervisor that
// shortens the brand name ("AMD EPYC") still leaves family and model to
// tell the generations apart.
func CPUSlug() string {
	return cpuSlug(cpuid.CPU.BrandName, cpuid.CPU.Family, cpuid.CPU.Model)
}

func cpuSlug(brand string, family, model int) string {
	brand = strings.ToLower(brand)
	if i := strings.Index(brand, "@"); i >= 0 {
		brand = brand[:i] // "@ 2.30GHz"
	}
	for _, tm := range []string{"(r)", "(tm)", "(c)"} {
		brand = strings.ReplaceAll(brand, tm, " ")
	}
	words := strings.FieldsFunc(brand, func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '.')
	})
	var keep []string
	for _, w := range words {
		w = strings.Trim(w, ".")
		switch {
		case w == "", w == "cpu", w == "processor", w == "with", w == "w", w == "radeon", w == "graphics",
			strings.HasSuffix(w, "ghz"):
			continue
		}
		keep = append(keep, strings.ReplaceAll(w, ".", "-"))
	}
	// "12-core" was split into "12" and "core" by FieldsFunc: drop those.
	var out []string
	for i := 0; i < len(keep); i++ {
		if i+1 < len(keep) && keep[i+1] == "core" {
			if _, err := strconv.Atoi(keep[i]); err == nil {
				i++
				continue
			}
		}
		out = append(out, keep[i])
	}
	if len(out) == 0 {
		out = []string{runtime.GOARCH}
	}
	return fmt.Sprintf("%s-f%d-m%d", strings.Join(out, "-"), family, model)
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
//	cpu-slug: amd-epyc-f26-m2
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
