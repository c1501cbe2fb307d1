package bench

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// TestCPUSlug: the identity is vendor, family, model and ISA groups, and
// nothing of the brand string, so that one CPU under two hypervisors that
// name it differently has one identity.
func TestCPUSlug(t *testing.T) {
	zen5 := func(brand string) cpuid.CPUInfo {
		c := cpuid.CPUInfo{BrandName: brand, VendorID: cpuid.AMD, VendorString: "AuthenticAMD", Family: 26, Model: 2}
		return c
	}
	a, b := zen5("AMD EPYC"), zen5("Oxide Virtual Turin-like Processor")
	if slugOf(a) != slugOf(b) {
		t.Errorf("one CPU, two brand strings, two identities: %q and %q", slugOf(a), slugOf(b))
	}
	for _, c := range []struct {
		vendor        string
		family, model int
		isa           []string
		want          string
	}{
		{"amd", 26, 2, []string{"avx2", "avx512", "vnni", "bf16"}, "amd-f26-m2-avx2-avx512-vnni-bf16"},
		{"intel", 6, 207, []string{"avx2", "avx512", "vnni", "bf16"}, "intel-f6-m207-avx2-avx512-vnni-bf16"},
		{"intel", 6, 60, []string{"avx2"}, "intel-f6-m60-avx2"},
		{"amd64", 0, 0, nil, "amd64-f0-m0"},
	} {
		got := cpuSlug(c.vendor, c.family, c.model, c.isa)
		if got != c.want {
			t.Errorf("cpuSlug(%q, %d, %d, %q) = %q, want %q", c.vendor, c.family, c.model, c.isa, got, c.want)
		}
		micro, isa, ok := splitSlug(got)
		if !ok || !strings.HasPrefix(got, micro) || !slices.Equal(isa, c.isa) && len(c.isa) > 0 {
			t.Errorf("splitSlug(%q) = %q, %q, %v", got, micro, isa, ok)
		}
	}
	for _, c := range []struct{ vendor, vendorString, want string }{
		{"Intel", "GenuineIntel", "intel"}, {"", "Some Vendor 2!", "somevendor2"}, {"", "", runtime.GOARCH},
	} {
		info := cpuid.CPUInfo{VendorString: c.vendorString}
		if c.vendor == "Intel" {
			info.VendorID = cpuid.Intel
		}
		if got := vendorName(info); got != c.want {
			t.Errorf("vendorName(%q, %q) = %q, want %q", c.vendor, c.vendorString, got, c.want)
		}
	}
	for _, s := range []string{"amd-epyc-f26-m2", "", "amd", "amd-f26", "amd-fx-m2", "-f1-m2"} {
		if _, _, ok := splitSlug(s); ok {
			t.Errorf("splitSlug(%q) accepted a name that is not a CPU identity", s)
		}
	}
	if s := CPUSlug(); strings.ContainsAny(s, " /()@") || !strings.Contains(s, "-f") {
		t.Errorf("CPUSlug() = %q: want a file-name-safe identity", s)
	}
}

// TestFindBaseline: the exact identity first; else a baseline of the same
// vendor, family and model, the one closest in features, saying how it
// differs; else an error naming what there is.
func TestFindBaseline(t *testing.T) {
	root := t.TempDir()
	for _, s := range []string{"amd-f26-m2-avx2-avx512-vnni-bf16", "amd-f26-m2-avx2", "intel-f6-m207-avx2-avx512-vnni-bf16", "amd-epyc-f26-m2", "notes"} {
		if err := os.MkdirAll(filepath.Join(root, s), 0o755); err != nil {
			t.Fatal(err)
		}
		if s != "notes" {
			if err := os.WriteFile(filepath.Join(root, s, "kernels.txt"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, err := findBaseline(root, "amd-f26-m2-avx2-avx512-vnni-bf16")
	if err != nil || !b.Exact || b.Path != filepath.Join(root, "amd-f26-m2-avx2-avx512-vnni-bf16", "kernels.txt") || b.Note() != "" {
		t.Errorf("exact: %+v, %v", b, err)
	}
	// A hypervisor that hides the bf16 products: the closest baseline of
	// the microarchitecture, and a note that says which and how.
	b, err = findBaseline(root, "amd-f26-m2-avx2-avx512-vnni")
	if err != nil || b.Exact || b.Slug != "amd-f26-m2-avx2-avx512-vnni-bf16" || !slices.Equal(b.Lacks, []string{"bf16"}) || len(b.Extra) != 0 {
		t.Errorf("same microarchitecture: %+v, %v", b, err)
	}
	for _, want := range []string{"no baseline for this CPU, amd-f26-m2-avx2-avx512-vnni, exactly: using " + b.Path,
		"same microarchitecture amd-f26-m2", "it has bf16, which this CPU lacks"} {
		if !strings.Contains(b.Note(), want) {
			t.Errorf("note %q lacks %q", b.Note(), want)
		}
	}
	if b, err = findBaseline(root, "amd-f26-m2-avx2-sha"); err != nil || b.Slug != "amd-f26-m2-avx2" || !slices.Equal(b.Extra, []string{"sha"}) {
		t.Errorf("closest: %+v, %v", b, err)
	}
	// The brand-string slug of old is no identity, and another model is
	// another microarchitecture.
	_, err = findBaseline(root, "amd-f26-m68-avx2-avx512")
	if err == nil || !strings.Contains(err.Error(), "no baseline for this CPU, amd-f26-m68-avx2-avx512, nor for its microarchitecture amd-f26-m68") ||
		!strings.Contains(err.Error(), "intel-f6-m207-avx2-avx512-vnni-bf16") {
		t.Errorf("no baseline: %v", err)
	}
}
