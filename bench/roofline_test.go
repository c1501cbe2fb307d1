package bench

import (
	"math"
	"slices"
	"testing"

	"github.com/lowrank-rnn/lowrank/kernels"
)

func TestMeasureRoofline(t *testing.T) {
	cfg := defaultRoof
	if testing.Short() {
		cfg = quickRoof
	}
	for _, target := range []string{"avx512", "avx2"} {
		t.Run(target, func(t *testing.T) {
			r, err := measureRoofline(target, cfg)
			if _, ok := probeFor(target); !ok || !slices.Contains(kernels.Available(), target) {
				if err == nil {
					t.Fatalf("MeasureRoofline(%q) on a build or CPU without it: no error", target)
				}
				t.Skipf("not measured here: %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Log(r)
			good := func(what string, v float64) {
				if !(v > 0) || math.IsInf(v, 0) {
					t.Errorf("%s = %g, want a positive finite number", what, v)
				}
			}
			good("FMAPeak", r.FMAPeak)
			for _, level := range Levels {
				if _, ok := r.Size[level]; ok || level == "DRAM" {
					good("Read["+level+"]", r.Read[level])
				}
			}
			if _, ok := r.Read["L1"]; ok && r.Read["L1"] < r.Read["DRAM"] {
				t.Errorf("L1 read %.3g B/s < DRAM read %.3g B/s", r.Read["L1"], r.Read["DRAM"])
			}
			if r.Target != target || r.CPU == "" {
				t.Errorf("Target %q, CPU %q; want %q and a CPU name", r.Target, r.CPU, target)
			}
		})
	}
}

func TestMeasureRooflineUnknown(t *testing.T) {
	for _, target := range []string{"", "go", "sse9"} {
		if _, err := MeasureRoofline(target); err == nil {
			t.Errorf("MeasureRoofline(%q): no error", target)
		}
	}
}

// A roofline with round numbers: 32 KiB L1, 1 MiB L2, 32 MiB L3.
var testRoof = Roofline{
	FMAPeak: 1e12,
	Read:    map[string]float64{"L1": 400e9, "L2": 200e9, "L3": 100e9, "DRAM": 40e9},
	Size:    map[string]int{"L1": 32 << 10, "L2": 1 << 20, "L3": 32 << 20},
}

func TestRooflineLevel(t *testing.T) {
	for _, c := range []struct {
		bytes int
		want  string
	}{
		{0, "L1"}, {32 << 10, "L1"}, {32<<10 + 1, "L2"}, {1 << 20, "L2"},
		{1<<20 + 4, "L3"}, {32 << 20, "L3"}, {32<<20 + 4, "DRAM"}, {1 << 40, "DRAM"},
	} {
		if got := testRoof.Level(c.bytes); got != c.want {
			t.Errorf("Level(%d) = %s, want %s", c.bytes, got, c.want)
		}
	}
	// Without an L3 (cpuid reported none), L2 spills to DRAM.
	noL3 := Roofline{Size: map[string]int{"L1": 32 << 10, "L2": 1 << 20}}
	if got := noL3.Level(2 << 20); got != "DRAM" {
		t.Errorf("no L3: Level(2 MiB) = %s, want DRAM", got)
	}
}

func TestRooflineFraction(t *testing.T) {
	for _, c := range []struct {
		bytes int
		ns    float64
		want  float64
	}{
		{16 << 10, float64(16<<10) / 400, 1},         // exactly L1 bandwidth
		{256 << 10, 2 * float64(256<<10) / 200, 0.5}, // half of L2 bandwidth
		{4 << 20, float64(4<<20) / 100 * 4, 0.25},    // a quarter of L3
		{64 << 20, float64(64<<20) / 40, 1},          // DRAM
	} {
		if got := testRoof.Fraction(c.bytes, c.ns); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Fraction(%d, %g) = %g, want %g", c.bytes, c.ns, got, c.want)
		}
	}
	// A slow FMA unit caps the bound: 0.5 flop/B × 400 GB/s > 50 GFLOP/s.
	slow := testRoof
	slow.FMAPeak = 50e9
	if got := slow.Bound(16 << 10); got != 50e9 {
		t.Errorf("Bound with a 50 GFLOP/s peak = %g, want 5e10", got)
	}
	if got := (Roofline{}).Fraction(1024, 1); !math.IsNaN(got) {
		t.Errorf("Fraction of an unmeasured roofline = %g, want NaN", got)
	}
}

func TestProbeSize(t *testing.T) {
	size := map[string]int{"L1": 48 << 10, "L2": 1 << 20, "L3": 32 << 20}
	prev := 0
	for _, level := range Levels {
		n := probeSize(level, size, 256<<20)
		if n <= prev || n%4096 != 0 {
			t.Errorf("probeSize(%s) = %d after %d; want increasing whole pages", level, n, prev)
		}
		if c, ok := size[level]; ok && n > c {
			t.Errorf("probeSize(%s) = %d exceeds the capacity %d", level, n, c)
		}
		if level != "L1" && n <= size[Levels[slices.Index(Levels, level)-1]] {
			t.Errorf("probeSize(%s) = %d fits the level below", level, n)
		}
		prev = n
	}
	if n := probeSize("L3", map[string]int{"L1": 48 << 10, "L2": 1 << 20}, 0); n != 0 {
		t.Errorf("probeSize(L3) without an L3 = %d, want 0", n)
	}
}

func TestReadAt(t *testing.T) {
	saved := readAtConfig
	readAtConfig = quickRoof
	defer func() { readAtConfig = saved }()
	bw, err := ReadAt(1000)
	if _, _, ok := widestProbe(); !ok {
		if err == nil {
			t.Fatal("ReadAt on a build or CPU without probes: no error")
		}
		t.Skipf("not measured here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !(bw > 0) || math.IsInf(bw, 0) {
		t.Fatalf("ReadAt(1000) = %g, want a positive finite bandwidth", bw)
	}
	// Sizes round up to whole cache lines and are measured once.
	if again, err := ReadAt(1024); err != nil || again != bw {
		t.Errorf("ReadAt(1024) after ReadAt(1000) = %g, %v; want the kept %g", again, err, bw)
	}
	if again, err := readAtBest(1000, true); err != nil || again < bw {
		t.Errorf("readAtBest(1000, again) = %g, %v; want the best of both measurements, at least %g", again, err, bw)
	}
	if r, err := RoofAt(1000, MatVecFlopsPerByte, false); err != nil || !(r > 0 && r <= MatVecFlopsPerByte*bw*1.5) {
		t.Errorf("RoofAt(1000, 0.5) = %g, %v; want positive and at most 0.5 × %g", r, err, bw)
	}
}

// TestReadProbes checks that every read loop of each probe add every float
// of the buffer once per pass, at lengths around their steps.
func TestReadProbes(t *testing.T) {
	for _, target := range []string{"avx512", "avx2"} {
		p, ok := probeFor(target)
		if !ok || !slices.Contains(kernels.Available(), target) {
			continue
		}
		for _, n := range []int{0, 1, 7, 15, 16, 17, 63, 64, 100, 127, 128, 129, 200, 511, 512, 513, 1000, 4096 + 37, 4096, 2*4096 + 100} {
			buf := alignedBuffer((n*4 + 63) / 64 * 64)[:n]
			for i := range buf {
				buf[i] = 1
			}
			for _, o := range p.reads {
				if got := o.read(buf, 3); got != float32(3*n) {
					t.Errorf("%s %s of %d ones, 3 passes = %v, want %d", target, o.name, n, got, 3*n)
				}
			}
		}
	}
}
