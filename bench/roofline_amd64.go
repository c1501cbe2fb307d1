//go:build gc && !purego && !noasm

package bench

import "github.com/lowrank-rnn/lowrank/asm"

// probeFor returns the roofline probes of an amd64 target.
func probeFor(target string) (probe, bool) {
	switch target {
	case "avx512":
		return probe{asm.FMAPeakAVX512, 2 * 16 * asm.FMAChains, readOrders(asm.ReadAVX512, asm.Read4AVX512)}, true
	case "avx2":
		return probe{asm.FMAPeakAVX2, 2 * 8 * asm.FMAChains, readOrders(asm.ReadAVX2, asm.Read4AVX2)}, true
	}
	return probe{}, false
}
