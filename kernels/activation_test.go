package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// actBound is the promised maximum absolute error of Tanh and Sigmoid.
const actBound = 4e-7

// actULPs is how far (in float32 steps) a target may be from the Go
// reference. The assembly performs the reference's operations exactly, so
// only fma32's rare double rounding can separate them.
const actULPs = 2

// An actFunc is one activation under test.
type actFunc struct {
	name    string
	f, ref  func(dst, src []float32)
	exact   func(x float64) float64
	lo, hi  float32 // the range of the function
	odd     bool
	special []actCase // exact results
}

type actCase struct{ x, want float32 }

var (
	actInf    = float32(math.Inf(1))
	actNegZ   = float32(math.Copysign(0, -1))
	actTiny   = math.Float32frombits(1) // smallest subnormal
	actClamp  = float32(tanhClamp)
	actSmall  = float32(tanhSmall)
	actSigLo  = float32(-sigmoidLo)
	actSigLo2 = float32(-88.38) // z = 88.38 gives n = 128: exp(z) = +Inf
)

var actFuncs = []actFunc{
	{
		name: "Tanh", f: Tanh, ref: TanhGeneric, exact: math.Tanh, lo: -1, hi: 1, odd: true,
		special: []actCase{
			{0, 0}, {actNegZ, actNegZ}, {actTiny, actTiny}, {-actTiny, -actTiny},
			{0x1p-126, 0x1p-126}, {0x1p-20, 0x1p-20},
			{actInf, 1}, {-actInf, -1}, {actClamp, 1}, {-actClamp, -1}, {1e6, 1}, {math.MaxFloat32, 1},
			{-math.MaxFloat32, -1},
		},
	},
	{
		name: "Sigmoid", f: Sigmoid, ref: SigmoidGeneric,
		exact: func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, lo: 0, hi: 1,
		special: []actCase{
			{0, 0.5}, {actNegZ, 0.5}, {actTiny, 0.5}, {-actTiny, 0.5},
			{actInf, 1}, {-actInf, 0}, {actSigLo, 1}, {math.MaxFloat32, 1},
			{actSigLo2, 0}, {-89, 0}, {-1000, 0}, {-math.MaxFloat32, 0},
		},
	},
}

// actPoints returns the test inputs: a dense uniform sweep of [-12, 12], a
// logarithmic sweep of every binade from the smallest subnormal to
// MaxFloat32 with both signs, and the edges with their neighbours.
func actPoints() []float32 {
	dense, perBinade := 6_000_000, 7_500
	if testing.Short() {
		dense, perBinade = 60_000, 70
	}
	xs := make([]float32, 0, dense+1+2*278*perBinade+64)
	for i := 0; i <= dense; i++ {
		xs = append(xs, float32(-12+24*float64(i)/float64(dense)))
	}
	for e := -149; e <= 127; e++ {
		for k := range perBinade {
			v := float32(math.Ldexp(1+float64(k)/float64(perBinade), e))
			xs = append(xs, v, -v)
		}
	}
	edges := []float32{0, actNegZ, actTiny, 0x1p-126, math.MaxFloat32, actInf,
		actClamp, actSmall, actSigLo, actSigLo2, 88.3762, 89, 17.33, 0.5 * actSmall, 0.5 * actClamp}
	for _, e := range edges {
		for _, v := range []float32{e, math.Nextafter32(e, 0), math.Nextafter32(e, actInf)} {
			xs = append(xs, v, -v)
		}
	}
	return append(xs, float32(math.NaN()), math.Float32frombits(0xffc00001), math.Float32frombits(0x7f800001))
}

// actULPDist returns the number of float32 steps between a and b (±0 are
// equal).
func actULPDist(a, b float32) uint64 {
	ord := func(v float32) int64 {
		u := int64(math.Float32bits(v))
		if u&(1<<31) != 0 {
			return -(u &^ (1 << 31))
		}
		return u
	}
	d := ord(a) - ord(b)
	if d < 0 {
		d = -d
	}
	return uint64(d)
}

func TestTanhSigmoidAccuracy(t *testing.T) {
	xs := actPoints()
	neg := make([]float32, len(xs))
	for i, x := range xs {
		neg[i] = -x
	}
	for _, fn := range actFuncs {
		t.Run(fn.name, func(t *testing.T) {
			want := make([]float32, len(xs))
			fn.ref(want, xs)
			got := make([]float32, len(xs))
			gotNeg := make([]float32, len(xs))
			forEachTarget(t, func(t *testing.T) {
				fn.f(got, xs)
				if fn.odd {
					fn.f(gotNeg, neg)
				}
				fails := 0
				fail := func(format string, args ...any) {
					if fails++; fails <= 10 {
						t.Errorf(format, args...)
					}
				}
				var maxErr float64
				var maxAt float32
				bitDiffs := 0
				for i, x := range xs {
					y := got[i]
					if x != x || y != y {
						if x == x || y == y {
							fail("%s(%g) = %g, want NaN exactly for NaN input", fn.name, x, y)
						}
						continue
					}
					if err := math.Abs(float64(y) - fn.exact(float64(x))); err > maxErr {
						maxErr, maxAt = err, x
					}
					if y < fn.lo || y > fn.hi {
						fail("%s(%g) = %g, outside [%g, %g]", fn.name, x, y, fn.lo, fn.hi)
					}
					if math.Float32bits(y) != math.Float32bits(want[i]) {
						bitDiffs++
						if d := actULPDist(y, want[i]); d > actULPs {
							fail("%s(%g) = %g, %sGeneric gives %g: %d ulps apart, want ≤ %d",
								fn.name, x, y, fn.name, want[i], d, actULPs)
						}
					}
					if fn.odd && math.Float32bits(gotNeg[i]) != math.Float32bits(-y) {
						fail("%s(%g) = %g but %s(%g) = %g: not odd", fn.name, -x, gotNeg[i], fn.name, x, y)
					}
				}
				if maxErr > actBound {
					fail("%s: max |error| = %.3g at x = %g, want ≤ %g", fn.name, maxErr, maxAt, actBound)
				}
				t.Logf("%s: %d points, max |error| %.3g at x = %g; %d results not bit-identical to %sGeneric",
					fn.name, len(xs), maxErr, maxAt, bitDiffs, fn.name)
			})
		})
	}
}

func TestTanhSigmoidSpecial(t *testing.T) {
	forEachTarget(t, func(t *testing.T) {
		for _, fn := range actFuncs {
			src := make([]float32, len(fn.special))
			for i, c := range fn.special {
				src[i] = c.x
			}
			// Every position of a vector and of the tail: shift the cases
			// through a buffer of 37 elements.
			for off := range 37 {
				buf := make([]float32, len(src)+37)
				copy(buf[off:], src)
				out := make([]float32, len(buf))
				fn.f(out, buf)
				for i, c := range fn.special {
					if got := out[off+i]; math.Float32bits(got) != math.Float32bits(c.want) {
						t.Errorf("%s(%g) = %g (%#08x) at index %d, want %g (%#08x)",
							fn.name, c.x, got, math.Float32bits(got), off+i, c.want, math.Float32bits(c.want))
					}
				}
			}
		}
	})
}

// actSentinel marks the memory around dst; it must be unchanged.
var actSentinel = math.Float32frombits(0x7fc0dead)

func TestTanhSigmoidLengths(t *testing.T) {
	const pad = 16
	rnd := rand.New(rand.NewPCG(1, 2))
	lengths := make([]int, 0, 72)
	for n := range 71 {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 1000)
	forEachTarget(t, func(t *testing.T) {
		for _, fn := range actFuncs {
			for _, n := range lengths {
				for off := range 16 {
					if n > 70 && off%5 != 0 {
						continue
					}
					what := fmt.Sprintf("%s n=%d off=%d", fn.name, n, off)
					sbuf := make([]float32, n+off+pad)
					dbuf := make([]float32, n+off+pad)
					for i := range sbuf {
						sbuf[i] = actSentinel
						dbuf[i] = actSentinel
					}
					src := sbuf[off : off+n]
					for i := range src {
						src[i] = float32(rnd.Float64()*24 - 12)
						if rnd.IntN(8) == 0 {
							src[i] *= 8
						}
					}
					dst := dbuf[off : off+n]
					sbefore := slices.Clone(sbuf)
					want := make([]float32, n)
					fn.ref(want, src)
					fn.f(dst, src)
					for i := range dbuf {
						in := i >= off && i < off+n
						if !in && math.Float32bits(dbuf[i]) != math.Float32bits(actSentinel) {
							t.Fatalf("%s: wrote %g to dst[%d], outside the slice", what, dbuf[i], i-off)
						}
						if in && actULPDist(dbuf[i], want[i-off]) > actULPs {
							t.Fatalf("%s: dst[%d] = %g, %sGeneric gives %g", what, i-off, dbuf[i], fn.name, want[i-off])
						}
						if math.Float32bits(sbuf[i]) != math.Float32bits(sbefore[i]) {
							t.Fatalf("%s: src buffer changed at %d", what, i-off)
						}
					}
					// In place: dst is src.
					fn.f(src, src)
					for i := range src {
						if math.Float32bits(src[i]) != math.Float32bits(dst[i]) {
							t.Fatalf("%s: in place gives %g at %d, out of place %g", what, src[i], i, dst[i])
						}
					}
					for i := range sbuf {
						if (i < off || i >= off+n) && math.Float32bits(sbuf[i]) != math.Float32bits(actSentinel) {
							t.Fatalf("%s: in place wrote %g to src[%d], outside the slice", what, sbuf[i], i-off)
						}
					}
				}
			}
		}
	})
}

func TestTanhSigmoidPanics(t *testing.T) {
	for _, fn := range actFuncs {
		func() {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if want := fn.name + ": len(dst) = 3, len(src) = 4"; !strings.Contains(msg, want) {
					t.Errorf("%s with lengths 3 and 4: panic %v, want one containing %q", fn.name, r, want)
				}
			}()
			fn.f(make([]float32, 3), make([]float32, 4))
		}()
	}
}

func TestTanhSigmoidNoAllocs(t *testing.T) {
	src := make([]float32, 1000)
	dst := make([]float32, 1000)
	for i := range src {
		src[i] = float32(i)/50 - 10
	}
	forEachTarget(t, func(t *testing.T) {
		for _, fn := range actFuncs {
			if a := testing.AllocsPerRun(20, func() { fn.f(dst, src); fn.f(dst[:37], src[:37]) }); a != 0 {
				t.Errorf("%s allocates %v times per call, want 0", fn.name, a)
			}
		}
	})
}
