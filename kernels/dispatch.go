package kernels

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
)

// A Target is one implementation of the kernels: "go" (portable Go, always
// available), "avx2" (AVX2+FMA), "avx512" (AVX-512 F+BW+DQ+VL) or "neon"
// (arm64 Advanced SIMD); or a variant of one of these that adds the
// instructions of the quantized kernels (see quant.go): "avxvnni" (avx2 with
// AVX-VNNI), "avx512vnni" (avx512 with AVX512_VNNI), "avx512bf16" (that and
// AVX512_BF16) or "neondot" (neon with the dot product, FEAT_DotProd).
type Target struct {
	Name string
	// Family is the target whose float32 kernels this one runs: its own
	// name, or "avx2", "avx512" or "neon" for a variant. Variants differ
	// from their family in the int8 and bf16 kernels only.
	Family string
	// Available reports whether this CPU and build can run the target.
	Available bool
	// Requires lists the CPU features the target needs, as cpuid names them.
	Requires string
	// Missing says why an unavailable target cannot run, for error messages.
	Missing string
}

// Target identifiers, in order of preference (last is best). The leaf
// dispatch switches in dispatch_<arch>.go use them.
const (
	targetGo = iota
	targetAVX2
	targetAVX512
	targetNEON
	// The variants: the float32 kernels of their family (familyOf), their
	// own int8 and bf16 kernels.
	targetAVXVNNI
	targetAVX512VNNI
	targetAVX512BF16
	targetNEONDot
)

// familyOf returns the id of the target whose float32 kernels id runs.
func familyOf(id int) int {
	switch id {
	case targetAVXVNNI:
		return targetAVX2
	case targetAVX512VNNI, targetAVX512BF16:
		return targetAVX512
	case targetNEONDot:
		return targetNEON
	}
	return id
}

var (
	targetsOnce sync.Once
	targetList  []Target // filled by archTargets; index = id
	// active is the family of the target in use, the id the float32 leaves
	// switch on. Read on every kernel call, so it is an atomic: Use may run
	// concurrently with kernels in tests.
	active atomic.Int32
	// variant is the id of the target in use, the one the quantized leaves
	// switch on; active is its family.
	variant atomic.Int32
	envErr  error
)

// targets returns the compiled-in targets, go first. The list is fixed after
// the first call.
func targets() []Target {
	targetsOnce.Do(func() {
		targetList = archTargets()
	})
	return targetList
}

func init() {
	ts := targets()
	best := 0
	for i, t := range ts {
		if t.Available {
			best = i
		}
	}
	setTarget(idOf(ts[best].Name))
	if name := strings.TrimSpace(os.Getenv("LOWRANK_TARGET")); name != "" {
		if _, err := Use(name); err != nil {
			envErr = fmt.Errorf("LOWRANK_TARGET: %w", err)
			fmt.Fprintf(os.Stderr, "lowrank: %v; using %q\n", envErr, Active())
		}
	}
}

// idOf maps a target name to its identifier, or -1.
func idOf(name string) int {
	switch name {
	case "go":
		return targetGo
	case "avx2":
		return targetAVX2
	case "avx512":
		return targetAVX512
	case "neon":
		return targetNEON
	case "avxvnni":
		return targetAVXVNNI
	case "avx512vnni":
		return targetAVX512VNNI
	case "avx512bf16":
		return targetAVX512BF16
	case "neondot":
		return targetNEONDot
	}
	return -1
}

// setTarget makes id the target in use and returns the one it replaces.
func setTarget(id int) (prev int) {
	active.Store(int32(familyOf(id)))
	return int(variant.Swap(int32(id)))
}

// Targets returns every target compiled into this binary, available or not,
// from the most portable to the fastest.
func Targets() []Target {
	return append([]Target(nil), targets()...)
}

// Available returns the names of the targets this CPU can run.
func Available() []string {
	var names []string
	for _, t := range targets() {
		if t.Available {
			names = append(names, t.Name)
		}
	}
	return names
}

// Active returns the name of the target the kernels use now.
func Active() string {
	switch variant.Load() {
	case targetAVX2:
		return "avx2"
	case targetAVX512:
		return "avx512"
	case targetNEON:
		return "neon"
	case targetAVXVNNI:
		return "avxvnni"
	case targetAVX512VNNI:
		return "avx512vnni"
	case targetAVX512BF16:
		return "avx512bf16"
	case targetNEONDot:
		return "neondot"
	}
	return "go"
}

// EnvError reports a LOWRANK_TARGET that named an unknown or unsupported
// target at start-up (the best available target is used instead), or nil.
func EnvError() error { return envErr }

// Use makes name the active target and returns a function that restores the
// previous one. It is meant for tests, benchmarks and command-line flags; an
// unknown target, or one this CPU or build cannot run, is an error that names
// the valid choices, and nothing changes.
func Use(name string) (restore func(), err error) {
	var t *Target
	for i := range targets() {
		if targets()[i].Name == name {
			t = &targets()[i]
		}
	}
	switch {
	case t == nil:
		return func() {}, fmt.Errorf("unknown target %q (this build has %s)", name, names(targets(), false))
	case !t.Available:
		return func() {}, fmt.Errorf("target %q is not available: %s (available: %s)",
			name, t.Missing, names(targets(), true))
	}
	prev := setTarget(idOf(name))
	return func() { setTarget(prev) }, nil
}

func names(ts []Target, availableOnly bool) string {
	var s []string
	for _, t := range ts {
		if t.Available || !availableOnly {
			s = append(s, t.Name)
		}
	}
	return strings.Join(s, ", ")
}

// goTarget is the portable target, present in every build.
var goTarget = Target{Name: "go", Family: "go", Available: true}
