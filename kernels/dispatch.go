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
// (arm64 Advanced SIMD).
type Target struct {
	Name string
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
)

var (
	targetsOnce sync.Once
	targetList  []Target // filled by archTargets; index = id
	// active is the id of the target in use. Read on every kernel call, so it
	// is an atomic: Use may run concurrently with kernels in tests.
	active atomic.Int32
	envErr error
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
	active.Store(int32(idOf(ts[best].Name)))
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
	}
	return -1
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
	switch active.Load() {
	case targetAVX2:
		return "avx2"
	case targetAVX512:
		return "avx512"
	case targetNEON:
		return "neon"
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
	prev := active.Swap(int32(idOf(name)))
	return func() { active.Store(prev) }, nil
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
var goTarget = Target{Name: "go", Available: true}
