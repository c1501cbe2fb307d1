package rnn

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// TestSaveLoadsBack: Save loads its output back before it replaces
// anything, so a model that would not load (here a NaN weight, and
// infinite factors) never reaches the path, and the previous file stays.
func TestSaveLoadsBack(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	m, _ := New(Config{Cell: MGRU, In: 2, Hidden: 8, Out: 2, Objective: Regression}, 1)
	if err := m.Save(path, nil); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(path)
	c, err := Compress(m, CompressSpec{Ranks: [2]int{2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	bad := m.Clone()
	bad.U[1].Data[3] = float32(math.NaN())
	c.Factors[1].U.Data[0] = float32(math.Inf(1))
	for _, save := range []struct {
		name string
		err  error
		want string
	}{
		{"a NaN weight", bad.Save(path, nil), `the new content does not load back: tensor "U_h": element 3 of 64 is NaN`},
		{"an infinite factor", c.Save(path, nil), `the new content does not load back: tensor "U_h.left": element 0 of 24 is +Inf`},
	} {
		if save.err == nil || !strings.Contains(save.err.Error(), save.want) || !strings.HasPrefix(save.err.Error(), path+": not written") {
			t.Errorf("%s: Save = %v, want %q", save.name, save.err, save.want)
		}
		if b, _ := os.ReadFile(path); !bytes.Equal(b, old) {
			t.Errorf("%s: the previous file changed", save.name)
		}
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("the directory holds %d files, want 1: a temporary file was left", len(es))
	}
}
