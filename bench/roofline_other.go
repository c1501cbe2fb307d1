//go:build !amd64 || !gc || purego || noasm

package bench

// probeFor reports that this build has no roofline probes.
func probeFor(string) (probe, bool) { return probe{}, false }
