package rnn

import (
	"math"
	"testing"
)

func TestMemorySweep(t *testing.T) {
	ref, err := RandomReservoir(MGRU, 12, 0.9, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	c := MemorySweepConfig{Rhos: []float64{0, 0.9}, Ranks: Ranks{2, Full, 6},
		Memory: MemoryConfig{K: 6, Steps: 1500, Seed: 1}, Method: Whitened, Joint: true}
	rows, err := MemorySweep(ref, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 {
		t.Fatalf("%d rows, want 2 ρ × 3 ranks", len(rows))
	}
	for i, r := range rows {
		rho, rank := c.Rhos[i/3], c.Ranks[i%3]
		if r.Rho != rho || r.Rank != rank {
			t.Errorf("row %d is ρ = %g rank %s, want ρ = %g rank %s (Rhos × Ranks order)", i, r.Rho, r.Rank, rho, rank)
		}
		// Joint truncation of [U_f; U_h]: r·3n weights; dense 2n².
		want := 2 * 12 * 12
		if rank != Full {
			want = int(rank) * 3 * 12
		}
		if r.Params != want {
			t.Errorf("ρ = %g rank %s: %d recurrent weights, want %d", rho, rank, r.Params, want)
		}
		if len(r.Result.Refit.Curve) != 6 || r.Result.Runs != 8 || (rank == Full && r.Result.Fixed.MC != r.Result.Refit.MC) {
			t.Errorf("ρ = %g rank %s: %+v", rho, rank, r.Result)
		}
	}
	// Each row is the probe's measurement of that network.
	single, err := MemoryCurve(ref, ref, MemoryConfig{Rho: 0.9, K: 6, Steps: 1500, Seed: 1})
	if err != nil || single.Refit.MC != rows[4].Result.Refit.MC {
		t.Errorf("ρ = 0.9, full: MemoryCurve gives %v (%v), the sweep %v", single.Refit.MC, err, rows[4].Result.Refit.MC)
	}
	if _, err := MemorySweep(ref, MemorySweepConfig{Rhos: []float64{0.5, 1}, Ranks: Ranks{Full}}); err == nil {
		t.Error("ρ = 1 accepted")
	}
}

func TestLinearMemorySweep(t *testing.T) {
	const n, K = 16, 24
	rows, err := LinearMemorySweep(n, 0.9, true, 1, Ranks{Full, 2, 8}, MemoryConfig{K: K, Steps: 8000, Seed: 1, Rho: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		rank          Rank
		params, bound int
	}{{Full, n * n, n}, {2, 2 * 2 * n, 3}, {8, 8 * 2 * n, 9}} {
		r := rows[i]
		if r.Rank != want.rank || r.Params != want.params || r.Bound != want.bound {
			t.Errorf("row %d: rank %s, %d weights, bound %d; want %s, %d, %d", i, r.Rank, r.Params, r.Bound, want.rank, want.params, want.bound)
		}
		if r.Curve == nil {
			continue // an unstable truncation: nothing to measure
		}
		if len(r.Curve) != K || len(r.TheoryCurve) != K || r.MC > float64(r.Bound)+0.05 {
			t.Errorf("rank %s: MC %.3f (theory %.3f) against the bound %d", r.Rank, r.MC, r.Theory, r.Bound)
		}
		if math.Abs(r.MC-r.Theory) > 0.1*r.Theory+0.2 {
			t.Errorf("rank %s: measured MC %.3f, theory %.3f", r.Rank, r.MC, r.Theory)
		}
	}
	if rows[0].Curve == nil || rows[0].Radius < 0.89 || rows[0].Radius > 0.91 {
		t.Errorf("the orthogonal A of radius 0.9: %+v", rows[0])
	}
}

func TestMemorylessCapacity(t *testing.T) {
	// Σ_{k=1..K} ρ^{2k} = ρ²(1 − ρ^{2K})/(1 − ρ²).
	for _, c := range []struct {
		rho float64
		K   int
	}{{0, 10}, {0.5, 3}, {0.9, 64}} {
		r2 := c.rho * c.rho
		want := r2 * (1 - math.Pow(r2, float64(c.K))) / (1 - r2)
		if got := MemorylessCapacity(c.rho, c.K); math.Abs(got-want) > 1e-12 {
			t.Errorf("ρ = %g, K = %d: %v, want %v", c.rho, c.K, got, want)
		}
	}
}

func TestParseRhos(t *testing.T) {
	if rhos, err := ParseRhos("0, 0.5,0.99"); err != nil || len(rhos) != 3 || rhos[2] != 0.99 {
		t.Errorf("ParseRhos: %v, %v", rhos, err)
	}
	for _, bad := range []string{"1", "-0.1", "0,x", "", "0.5,0.5"} {
		if _, err := ParseRhos(bad); err == nil {
			t.Errorf("ParseRhos(%q) accepted", bad)
		}
	}
}
