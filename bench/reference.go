package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"sync"
	"time"
)

// ReadReference is the fixed reference of the paired-ratio benchmarks
// (BenchmarkRatio): it streams a buffer of the same size as a kernel's
// weights with the roofline's read probe. Timed back to back with the
// kernel inside each iteration, it reads the same number of bytes from
// the same memory level, so what slows one down on a shared machine (a
// neighbour's traffic in L3, a lower clock) slows the other too and
// cancels out of their ratio; and it is assembly that no change to the
// kernels touches, so a change of the ratio is a change of the kernel.
// The ratio also reads directly: kernel time over the time the read
// bandwidth alone allows, about 1/(fraction of the roofline).
type ReadReference struct {
	// Probe names the read loop: "avx512" or "avx2" (the widest this CPU
	// and build have, whatever target the kernels use), or "go" (a plain Go
	// loop, where the assembly probes are not built).
	Probe string
	buf   []float32
	read  func(buf []float32, passes int) float32
	sum   float32
}

// NewReadReference returns a reference that streams a 64-byte-aligned
// buffer of bytes bytes (rounded up to whole 64-byte lines).
func NewReadReference(bytes int) *ReadReference {
	r := &ReadReference{Probe: "go", buf: alignedBuffer((max(bytes, 64) + 63) / 64 * 64), read: readGo}
	for i := range r.buf {
		r.buf[i] = 1
	}
	if t, p, ok := widestProbe(); ok {
		r.Probe, r.read = t, p.reads[0].read
	}
	return r
}

// NewReadProbe returns a reference like NewReadReference whose read loop is
// the fastest at this size of the probe's read orders (one stream, four,
// four on whole pages: see ReadAt), and Probe says which ("avx512
// four-stream"): timed back to back with a kernel of that working set, its
// time over the kernel's is the kernel's fraction of the read bandwidth at
// its size, measured in pairs.
func NewReadProbe(bytes int) *ReadReference {
	r := NewReadReference(bytes)
	_, p, ok := widestProbe()
	if !ok {
		return r
	}
	passes := max(1, (4<<20)/r.Bytes())
	var sum float32
	fs := make([]func(), len(p.reads))
	for i, o := range p.reads {
		fs[i] = func() { sum += o.read(r.buf, passes) }
	}
	res := MeasureEach(fs, 7, time.Millisecond)
	sink = sum
	best := 0
	for i := range res {
		if slices.Min(res[i].Samples) < slices.Min(res[best].Samples) {
			best = i
		}
	}
	if best > 0 {
		r.Probe, r.read = r.Probe+" "+p.reads[best].name, p.reads[best].read
	}
	return r
}

// Run streams the buffer passes times.
func (r *ReadReference) Run(passes int) {
	r.sum += r.read(r.buf, passes)
}

// Bytes returns the size of the buffer Run streams per pass.
func (r *ReadReference) Bytes() int { return 4 * len(r.buf) }

// readGo is the portable read loop: eight independent sums, like the
// assembly probes.
func readGo(buf []float32, passes int) float32 {
	var s [8]float32
	for range passes {
		b := buf
		for len(b) >= 8 {
			s[0] += b[0]
			s[1] += b[1]
			s[2] += b[2]
			s[3] += b[3]
			s[4] += b[4]
			s[5] += b[5]
			s[6] += b[6]
			s[7] += b[7]
			b = b[8:]
		}
		for _, v := range b {
			s[0] += v
		}
	}
	return s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7]
}

// RooflineEnv names the environment variable through which `lowrank
// bench` hands the rooflines it measured (a JSON object from target to
// Roofline) to the benchmark processes it starts, so that every roof
// metric in one results file is a fraction of the same ceiling.
const RooflineEnv = "LOWRANK_ROOFLINE"

var roofs struct {
	sync.Mutex
	done bool
	r    Roofline
	err  error
}

// BenchRoofline returns the roofline the benchmarks' roof metric is a
// fraction of, the same for every implementation: that of the widest read
// probe this CPU and build have (avx512, else avx2), the ceiling of the
// hardware. (Each target's own probe would flatter the narrower ones: on
// Zen 5 the AVX2 probe streams L3 more slowly than the AVX2 kernel does.)
// It is taken from $LOWRANK_ROOFLINE where set, else measured on first
// use (about a second) and kept.
func BenchRoofline() (Roofline, error) {
	roofs.Lock()
	defer roofs.Unlock()
	if roofs.done {
		return roofs.r, roofs.err
	}
	roofs.done = true
	var env map[string]Roofline
	if s := os.Getenv(RooflineEnv); s != "" {
		if err := json.Unmarshal([]byte(s), &env); err != nil {
			roofs.err = fmt.Errorf("$%s: %v", RooflineEnv, err)
			return roofs.r, roofs.err
		}
	}
	roofs.err = errNoProbes
	if t, _, ok := widestProbe(); ok {
		if r, ok := env[t]; ok {
			roofs.r, roofs.err = r, nil
		} else {
			roofs.r, roofs.err = MeasureRoofline(t)
		}
	}
	return roofs.r, roofs.err
}

// BoundAt returns the attainable FLOP/s of a kernel that does
// flopsPerByte flops per byte of weights read, with weightBytes of weights
// held in the nearest level that fits them: min(FMAPeak, flopsPerByte ×
// read bandwidth). Bound is BoundAt with MatVecFlopsPerByte. NaN where that
// level was not measured.
func (r Roofline) BoundAt(weightBytes int, flopsPerByte float64) float64 {
	bw, ok := r.Read[r.Level(weightBytes)]
	if !ok {
		return math.NaN()
	}
	return min(flopsPerByte*bw, r.FMAPeak)
}
