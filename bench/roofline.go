package bench

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/cpuid/v2"

	"github.com/lowrank-rnn/lowrank/internal/hugepages"
	"github.com/lowrank-rnn/lowrank/kernels"
)

// MatVecFlopsPerByte is the arithmetic intensity of a float32 matrix–vector
// product: one multiply-add (two flops) per 4-byte weight, each weight read
// once. At 0.5 flop per byte every shape is bound by the bandwidth of the
// memory level that holds the weights, never by the FMA units.
const MatVecFlopsPerByte = 0.5

// Levels are the memory levels of a Roofline, nearest first.
var Levels = []string{"L1", "L2", "L3", "DRAM"}

// Roofline is the measured ceiling of one core for one kernels target: the
// peak rate of fused multiply-adds, and the read bandwidth of each memory
// level. A kernel's time then reads as a fraction of what the hardware
// allows (see Fraction).
//
// The bandwidth of a level is a summary: on Zen 5 a stream of 256 KiB
// reads at 165 GB/s and one of 512 KiB at 215, both "L2". The benchmarks'
// roof metric therefore divides by the bandwidth at each benchmark's own
// working set (ReadAt), and keeps the level as a label.
type Roofline struct {
	// FMAPeak is the peak arithmetic rate in FLOP/s (two per multiply-add).
	FMAPeak float64
	// Read is the streaming read bandwidth in bytes/s of each level of
	// Levels that was measured.
	Read map[string]float64
	// Size is the capacity in bytes of each cache level ("L1" is the L1
	// data cache), from cpuid: Level uses it.
	Size map[string]int
	// Probe is the working set in bytes each bandwidth was measured with.
	Probe map[string]int
	// CPU is the processor's brand name.
	CPU string
	// Target is the kernels target measured: "avx512" or "avx2".
	Target string
}

// roofConfig is how hard MeasureRoofline looks.
type roofConfig struct {
	samples int           // samples per probe; the median is kept
	minTime time.Duration // at least this long per sample
	minDRAM int           // smallest DRAM working set in bytes
}

var (
	// defaultRoof takes about half a second per target on a Zen 5 core.
	defaultRoof = roofConfig{samples: 9, minTime: 2 * time.Millisecond, minDRAM: 256 << 20}
	// quickRoof is for tests: a few short samples, a smaller DRAM set.
	quickRoof = roofConfig{samples: 3, minTime: 500 * time.Microsecond, minDRAM: 64 << 20}
)

// errNoProbes is returned where this build has no assembly probes.
var errNoProbes = errors.New("roofline not measured: the probes are amd64 assembly, " +
	"not in this build (other GOARCH, gccgo, or -tags purego/noasm)")

// MeasureRoofline measures the roofline of one core for target ("avx512" or
// "avx2"): the FMA peak with independent multiply-add chains, and the read
// bandwidth of L1, L2, L3 and DRAM by streaming a buffer sized to sit
// clearly inside each level (half of L1d; half of L2; the geometric mean of
// L2 and L3; four times L3 and at least 256 MiB), sizes from cpuid, in
// each order of ReadAt. Each figure is the best of several samples of a
// few milliseconds; the whole takes a second or two. A target this CPU or
// build cannot run is an error.
func MeasureRoofline(target string) (Roofline, error) {
	return measureRoofline(target, defaultRoof)
}

func measureRoofline(target string, cfg roofConfig) (Roofline, error) {
	if !slices.Contains(kernels.Available(), target) {
		return Roofline{}, fmt.Errorf("roofline: target %q is not available on this CPU and build (available: %s)",
			target, strings.Join(kernels.Available(), ", "))
	}
	p, ok := probeFor(target)
	if !ok {
		return Roofline{}, fmt.Errorf("roofline: target %q: %w", target, errNoProbes)
	}
	r := Roofline{
		Read:   map[string]float64{},
		Size:   cacheSizes(),
		Probe:  map[string]int{},
		CPU:    cpuid.CPU.BrandName,
		Target: target,
	}

	// FMA peak: calls of a few microseconds, timed in bulk.
	const fmaIters = 4096
	res := Measure(func() { p.fma(fmaIters) }, cfg.samples, cfg.minTime)
	r.FMAPeak = fmaIters * p.flopsPerIter / (res.Median * 1e-9)

	// Working sets: whole pages, so whole iterations of the read loops.
	for _, level := range Levels {
		if size := probeSize(level, r.Size, cfg.minDRAM); size > 0 {
			r.Probe[level] = size
		}
	}
	buf := alignedBuffer(slices.Max(slices.Collect(maps.Values(r.Probe))))
	for i := range buf {
		buf[i] = 1 // touch every page before timing
	}
	for _, level := range Levels {
		size, ok := r.Probe[level]
		if !ok {
			continue
		}
		r.Read[level] = p.bestRead(buf[:size/4], cfg.samples, cfg.minTime)
	}
	return r, nil
}

// sink keeps the probes' sums observable.
var sink float32

// probe is one target's set of roofline routines: the FMA peak, and the
// read loops of the orders a panel product can read its weights in (see
// readOrders); which is fastest depends on the working set.
type probe struct {
	fma          func(iters int)
	flopsPerIter float64
	reads        []readOrder
}

// A readOrder is one of a probe's read loops: it adds every float of buf
// once per pass and returns the sum.
type readOrder struct {
	name string // "one-stream", "four-stream"…
	read func(buf []float32, passes int) float32
}

// readOrders returns a probe's read loops, given its one-stream loop read
// and its four-stream loop read4 (which reads buf's four quarters at once):
//
//   - one-stream: the order of the one-stream panel products;
//   - four-stream: the order of the four-stream product over one run of
//     panels;
//   - four-stream on pages: the same, with quarters a whole number of
//     4 KiB pages long, then the rest of buf in one stream. Four streams a
//     multiple of 4 KiB apart walk the same L1 sets at once (an L1 way is
//     4 KiB on the CPUs we run on), as the four-stream product's panels do
//     where a panel is a multiple of 4 KiB. Just above the L1 that keeps
//     part of the set in L1 from one pass to the next: at 64 KiB on Zen 5
//     this order reads 1.3× as fast as the other two, and without it the
//     four-stream product of a 128×128 matrix read 1.18× as fast as the
//     probe.
func readOrders(read, read4 func([]float32, int) float32) []readOrder {
	const quad = 4 * 4096 / 4 // floats in four pages
	pages := func(buf []float32, passes int) float32 {
		head, tail := buf[:len(buf)/quad*quad], buf[len(buf)/quad*quad:]
		var s float32
		for range passes {
			s += read4(head, 1) + read(tail, 1)
		}
		return s
	}
	return []readOrder{{"one-stream", read}, {"four-stream", read4}, {"four-stream on pages", pages}}
}

// bestRead returns the read bandwidth in bytes/s of streaming buf with p's
// read loops: the best of samples runs of minTime of each, the fastest
// loop.
func (p probe) bestRead(buf []float32, samples int, minTime time.Duration) float64 {
	// About 4 MiB per call keeps the call overhead out of the small sets.
	passes := max(1, (4<<20)/(4*len(buf)))
	var sum float32
	best := math.Inf(1)
	for _, o := range p.reads {
		res := Measure(func() { sum += o.read(buf, passes) }, samples, minTime)
		best = min(best, slices.Min(res.Samples))
	}
	sink = sum
	return 4 * float64(len(buf)) * float64(passes) / (best * 1e-9)
}

// cacheSizes returns the L1d, L2 and L3 capacities cpuid reports. A level
// reported missing, or no larger than the level below (an L3 shared so thin
// it adds nothing), is left out.
func cacheSizes() map[string]int {
	s := map[string]int{}
	prev := 0
	for _, l := range []struct {
		name string
		size int
	}{{"L1", cpuid.CPU.Cache.L1D}, {"L2", cpuid.CPU.Cache.L2}, {"L3", cpuid.CPU.Cache.L3}} {
		if l.size > prev {
			s[l.name] = l.size
			prev = l.size
		}
	}
	return s
}

// probeSize returns the working set for level, or 0 where the level is
// unknown. L1 and L2: half the capacity (on Zen 5, a stream of half of L2
// reads about 30% faster than one of a quarter, so the larger set gives the
// truer ceiling), or, for an L2 less than four times L1d, the geometric
// mean of the two; L3: the geometric mean of L2 and L3, clear of both edges
// and of the neighbours that share L3; DRAM: four times the last cache, at
// least minDRAM.
func probeSize(level string, size map[string]int, minDRAM int) int {
	const page = 4 << 10
	geomean := func(a, b int) int { return int(math.Sqrt(float64(a) * float64(b))) }
	var n int
	switch level {
	case "L1":
		n = size["L1"] / 2
	case "L2":
		if size["L1"] == 0 || size["L2"] == 0 {
			return 0
		}
		if n = size["L2"] / 2; n < 2*size["L1"] {
			n = geomean(size["L1"], size["L2"])
		}
	case "L3":
		if size["L2"] == 0 || size["L3"] == 0 {
			return 0
		}
		n = geomean(size["L2"], size["L3"])
	case "DRAM":
		n = max(4*slices.Max(append(slices.Collect(maps.Values(size)), 0)), minDRAM)
	}
	return n / page * page
}

// Level returns the nearest memory level that holds a working set of
// weightBytes: "L1" up to the L1d capacity, then "L2", "L3" and "DRAM".
// Capacities come from Size; a level without a capacity is skipped.
func (r Roofline) Level(weightBytes int) string {
	for _, level := range Levels[:3] {
		if c, ok := r.Size[level]; ok && weightBytes <= c {
			return level
		}
	}
	return "DRAM"
}

// Bound returns the attainable FLOP/s of a matrix–vector product whose
// weights take weightBytes: the lesser of the bandwidth bound (the read
// bandwidth of the level that holds them times MatVecFlopsPerByte) and the
// FMA peak. It is NaN where that level was not measured.
func (r Roofline) Bound(weightBytes int) float64 {
	bw, ok := r.Read[r.Level(weightBytes)]
	if !ok {
		return math.NaN()
	}
	return min(MatVecFlopsPerByte*bw, r.FMAPeak)
}

// Fraction returns the fraction of the roofline that a matrix–vector
// product reading weightBytes of weights in nsPerOp nanoseconds achieves:
// its FLOP/s over Bound. Since a product is bandwidth-bound, that is its
// weight bytes per second over the read bandwidth of the level that holds
// the weights. NaN where that level was not measured.
func (r Roofline) Fraction(weightBytes int, nsPerOp float64) float64 {
	achieved := MatVecFlopsPerByte * float64(weightBytes) / (nsPerOp * 1e-9)
	return achieved / r.Bound(weightBytes)
}

// String summarises r on one line, e.g. "avx512 on AMD EPYC: FMA 289
// GFLOP/s; read L1 579, L2 216, L3 112, DRAM 44 GB/s".
func (r Roofline) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %s: FMA %.0f GFLOP/s; read", r.Target, r.CPU, r.FMAPeak/1e9)
	sep := " "
	for _, level := range Levels {
		if bw, ok := r.Read[level]; ok {
			fmt.Fprintf(&b, "%s%s %.0f", sep, level, bw/1e9)
			sep = ", "
		}
	}
	b.WriteString(" GB/s")
	return b.String()
}

// readAtConfig is how hard ReadAt looks: best of samples probes of minTime.
var readAtConfig = roofConfig{samples: 15, minTime: time.Millisecond}

var readAt struct {
	sync.Mutex
	bw map[int]float64
}

// ReadAt returns the read bandwidth in bytes/s of one core streaming a
// working set of bytes bytes (rounded up to whole 64-byte lines) with the
// widest read probe this CPU and build have (avx512, else avx2), in each
// order a panel product reads in (one sequential stream, four interleaved
// ones, four on whole pages: see readOrders): the best of 15 probes of a
// millisecond of each, each reading the set several times. A kernel
// that reads its working set once per call cannot beat it, so a
// kernel's bytes/s over ReadAt of its working set (weights plus vectors)
// is the fraction of the bandwidth it reaches at its own size. Measured on
// first use of a size (about 50 ms) and kept; an error where the probes
// are not built.
func ReadAt(bytes int) (float64, error) {
	return readAtBest(bytes, false)
}

// readAtBest is ReadAt; with again, it measures the size once more and
// returns the best of every measurement of it: a probe taken while a
// neighbour's burst slowed the machine is not a ceiling, and a second look
// after a benchmark's loop keeps its roof from passing 100%.
func readAtBest(bytes int, again bool) (float64, error) {
	_, p, ok := widestProbe()
	if !ok {
		return 0, fmt.Errorf("read bandwidth at %d bytes: %w", bytes, errNoProbes)
	}
	n := (max(bytes, 64) + 63) / 64 * 64
	readAt.Lock()
	defer readAt.Unlock()
	old, seen := readAt.bw[n]
	if seen && !again {
		return old, nil
	}
	buf := alignedBuffer(n)
	for i := range buf {
		buf[i] = 1 // touch every page before timing
	}
	bw := max(old, p.bestRead(buf, readAtConfig.samples, readAtConfig.minTime))
	if readAt.bw == nil {
		readAt.bw = map[int]float64{}
	}
	readAt.bw[n] = bw
	return bw, nil
}

// RoofAt returns the attainable FLOP/s of a kernel that does flopsPerByte
// flops per byte of weights and whose working set (weights plus vectors)
// takes workingSet bytes: the lesser of the FMA peak of BenchRoofline and
// flopsPerByte × ReadAt(workingSet), measured once more with again (see
// readAtBest).
func RoofAt(workingSet int, flopsPerByte float64, again bool) (float64, error) {
	r, err := BenchRoofline()
	if err != nil {
		return 0, err
	}
	bw, err := readAtBest(workingSet, again)
	if err != nil {
		return 0, err
	}
	return min(r.FMAPeak, flopsPerByte*bw), nil
}

// ReadRoofAt is RoofAt without the FMA peak: the roof of a kernel whose
// arithmetic is not float32 FMAs (int8 dot products, bf16 pairs do more
// multiply-adds an instruction than the FMA probe measures), which only
// the read bandwidth at its working set bounds.
func ReadRoofAt(workingSet int, flopsPerByte float64, again bool) (float64, error) {
	bw, err := readAtBest(workingSet, again)
	if err != nil {
		return 0, err
	}
	return flopsPerByte * bw, nil
}

// widestProbe returns the widest read probe this CPU and build have.
func widestProbe() (string, probe, bool) {
	for _, t := range []string{"avx512", "avx2"} {
		if p, ok := probeFor(t); ok && slices.Contains(kernels.Available(), t) {
			return t, p, true
		}
	}
	return "", probe{}, false
}

// alignedBuffer returns bytes/4 floats (bytes a multiple of 64) whose
// first element lies on a 64-byte boundary, like packed weights, and in
// huge pages where they are (from hugepages.MinBytes on, as packed
// weights): a probe in 4 KiB pages can lose some L2 sets to the chance of
// its physical pages, and the roof it gives is no ceiling.
func alignedBuffer(bytes int) []float32 { return hugepages.Alloc[float32](bytes/4, 64) }
