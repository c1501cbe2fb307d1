package task

import (
	"math"
	"slices"
	"testing"
)

func TestAR1Statistics(t *testing.T) {
	for _, rho := range []float64{0, 0.5, 0.9} {
		r := Recall{Rho: rho, K: 3, T: 2000}
		b := r.Generate(42, 100)
		var n, s, ss, lag float64
		var lagN float64
		for j := 0; j < b.B; j++ {
			for tt := 0; tt < b.T; tt++ {
				u := float64(b.X[tt*b.B+j])
				n++
				s += u
				ss += u * u
				if tt > 0 {
					lag += u * float64(b.X[(tt-1)*b.B+j])
					lagN++
				}
			}
		}
		mean, vr := s/n, ss/n
		ac := (lag / lagN) / vr
		// Large-sample standard deviations of the estimates for AR(1).
		sdMean := math.Sqrt((1 + rho) / (1 - rho) / n)
		sdVar := math.Sqrt(2 * (1 + rho*rho) / (1 - rho*rho) / n)
		sdAC := math.Sqrt((1 - rho*rho) / n)
		if math.Abs(mean) > 5*sdMean {
			t.Errorf("rho=%v: mean %.4f, want 0 ± %.4f", rho, mean, 5*sdMean)
		}
		if math.Abs(vr-1) > 5*sdVar {
			t.Errorf("rho=%v: variance %.4f, want 1 ± %.4f", rho, vr, 5*sdVar)
		}
		if math.Abs(ac-rho) > 5*sdAC {
			t.Errorf("rho=%v: lag-1 autocorrelation %.4f, want %v ± %.4f", rho, ac, rho, 5*sdAC)
		}
		// The first step is already stationary: unit variance across sequences.
		r0 := Recall{Rho: rho, K: 1, T: 2}.Generate(7, 20000)
		var v0 float64
		for _, u := range r0.X[:r0.B] {
			v0 += float64(u) * float64(u)
		}
		if v0 /= float64(r0.B); math.Abs(v0-1) > 5*math.Sqrt(2.0/float64(r0.B)) {
			t.Errorf("rho=%v: variance at t=0 is %.4f, want 1", rho, v0)
		}
	}
}

func TestRecallTargets(t *testing.T) {
	r := Recall{Rho: 0.7, K: 5, T: 40}
	b := r.Generate(1, 3)
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	if s := r.Spec(); s.Kind != Regression || s.In != 1 || s.Out != 5 || s.Burn != 5 || s.T != 40 || b.Burn != 5 ||
		s.Coherence != (Coherence{Family: "recall", Level: "ρ = 0.7", Order: 0.7}) {
		t.Fatalf("spec %+v, batch burn %d", s, b.Burn)
	}
	for tt := 0; tt < b.T; tt++ {
		for j := 0; j < b.B; j++ {
			for k := 1; k <= r.K; k++ {
				y := b.Y[(tt*b.B+j)*r.K+k-1]
				want := float32(0)
				if tt >= r.K {
					want = b.X[(tt-k)*b.B+j]
				}
				if math.Float32bits(y) != math.Float32bits(want) {
					t.Fatalf("t=%d b=%d k=%d: Y=%v, want %v", tt, j, k, y, want)
				}
			}
		}
	}
	if got := b.Step(2); len(got) != b.B || got[1] != b.X[2*b.B+1] {
		t.Fatalf("Step(2) = %v", got)
	}
}

func TestRecallDeterminism(t *testing.T) {
	r := Recall{Rho: 0.5, K: 4, T: 30}
	a, b := r.Generate(9, 5), r.Generate(9, 5)
	if !slices.Equal(a.X, b.X) || !slices.Equal(a.Y, b.Y) {
		t.Fatal("same seed, different sequences")
	}
	if c := r.Generate(10, 5); slices.Equal(a.X, c.X) {
		t.Fatal("different seeds, same sequences")
	}
	// Sequence b does not depend on how many are generated.
	big := r.Generate(9, 8)
	for tt := 0; tt < r.T; tt++ {
		for j := 0; j < 5; j++ {
			if a.X[tt*5+j] != big.X[tt*8+j] {
				t.Fatalf("sequence %d differs between n=5 and n=8", j)
			}
		}
	}
	// Eval is Generate cut into batches, the same on every call.
	ds := r.Dataset(9, 8)
	ev := ds.Eval(3)
	if len(ev) != 3 || ev[2].B != 2 {
		t.Fatalf("Eval(3) of 8: %d batches", len(ev))
	}
	for i, e := range ev {
		for tt := 0; tt < r.T; tt++ {
			for j := 0; j < e.B; j++ {
				if e.X[tt*e.B+j] != big.X[tt*8+3*i+j] {
					t.Fatalf("Eval batch %d sequence %d differs from Generate", i, j)
				}
			}
		}
	}
	s1, s2 := ds.Sample(NewRand(3), 4), ds.Sample(NewRand(3), 4)
	if !slices.Equal(s1.X, s2.X) || s1.Check() != nil {
		t.Fatal("Sample is not deterministic for a seeded generator")
	}
	if u, v := AR1(NewRand(5), 0.3, 50), AR1(NewRand(5), 0.3, 50); !slices.Equal(u, v) {
		t.Fatal("AR1 is not deterministic")
	}
}

func TestRecallRejectsBadConfig(t *testing.T) {
	for _, r := range []Recall{{Rho: 1, K: 1, T: 5}, {Rho: -0.1, K: 1, T: 5}, {Rho: 0.5, K: 0, T: 5}, {Rho: 0.5, K: 5, T: 5}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%+v: no panic", r)
				}
			}()
			r.Generate(1, 1)
		}()
	}
}
