package rnn

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
)

// TestEveryRankRoundTrips compresses 128-unit models to every rank from 1
// to 128, for the RNN, the MGRU and the joint MGRU, saves each with Save
// and loads it back with LoadCompressed: the factors must come back bit
// for bit and run to the same outputs. (Rank 1 once wrote U.left as
// [128 1] and refused its own file.) With -short, ranks 1–4, n/2 ± 1 and
// n−1, n only.
func TestEveryRankRoundTrips(t *testing.T) {
	const n = 128
	ranks := make([]int, 0, n)
	for r := 1; r <= n; r++ {
		if !testing.Short() || r <= 4 || r >= n-1 || (r >= n/2-1 && r <= n/2+1) {
			ranks = append(ranks, r)
		}
	}
	x := make([]float32, 5)
	for i := range x {
		x[i] = float32(i) - 2
	}
	for _, mode := range []struct {
		cell  Cell
		joint bool
	}{{RNN, false}, {MGRU, false}, {MGRU, true}} {
		name := fmt.Sprintf("%s joint=%v", mode.cell, mode.joint)
		m, err := New(Config{Cell: mode.cell, In: len(x), Hidden: n, Out: 3, Objective: Regression, Burn: 2}, 9)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		for _, r := range ranks {
			c, err := Compress(m, CompressSpec{Ranks: [2]int{r, max(1, r-1)}, Joint: mode.joint})
			if err != nil {
				t.Fatalf("%s rank %d: %v", name, r, err)
			}
			path := filepath.Join(dir, "c.safetensors")
			if err := c.Save(path, map[string]string{"rank": fmt.Sprint(r)}); err != nil {
				t.Fatalf("%s rank %d: Save: %v", name, r, err)
			}
			got, meta, err := LoadCompressed(path)
			if err != nil {
				t.Fatalf("%s rank %d: LoadCompressed of its own file: %v", name, r, err)
			}
			if got.Ranks != c.Ranks || got.Spec.Joint != mode.joint || meta["rank"] != fmt.Sprint(r) {
				t.Fatalf("%s rank %d: loaded ranks %v joint %v meta %v, want %v %v", name, r, got.Ranks, got.Spec.Joint, meta, c.Ranks, mode.joint)
			}
			for g := 0; g < m.Cell.gates(); g++ {
				a, b := c.Factors[g], got.Factors[g]
				if a.U.Rows != b.U.Rows || a.U.Cols != b.U.Cols || a.V.Rows != b.V.Rows || a.V.Cols != b.V.Cols ||
					!slices.Equal(a.U.Data, b.U.Data) || !slices.Equal(a.V.Data, b.V.Data) {
					t.Fatalf("%s rank %d gate %d: factors differ after the round trip", name, r, g)
				}
			}
			s1, s2 := c.NewStream(), got.NewStream()
			for step := range 3 {
				y1, y2 := s1.Step(x), s2.Step(x)
				if !slices.Equal(y1, y2) {
					t.Fatalf("%s rank %d step %d: outputs %v after the round trip, %v before", name, r, step, y2, y1)
				}
			}
		}
	}
}
