package rnn

import (
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/lowrank-rnn/lowrank/kernels"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

func frob2(a, b *mat.Dense) float64 {
	var d mat.Dense
	d.Sub(a, b)
	n := mat.Norm(&d, 2)
	return n * n
}

func TestCompressSVD(t *testing.T) {
	m, _ := New(Config{Cell: MGRU, In: 2, Hidden: 24, Out: 3, Objective: Regression}, 1)
	before := m.Clone()
	for _, r := range []int{1, 5, 12, 24} {
		c, err := Compress(m, CompressSpec{Ranks: [2]int{r, r}})
		if err != nil {
			t.Fatal(err)
		}
		for g := range 2 {
			if c.Ranks[g] != r || c.Factors[g].Rank() != r {
				t.Fatalf("rank %d: got ranks %v, factor rank %d", r, c.Ranks, c.Factors[g].Rank())
			}
			// Eckart–Young: the error is the discarded singular values.
			var want float64
			for _, s := range c.Sigma[g][r:] {
				want += s * s
			}
			got := frob2(toDense(m.U[g]), toDense(c.U[g]))
			if math.Abs(got-want) > 1e-4*(1+want) {
				t.Errorf("rank %d gate %d: ‖U − U'‖² = %.6g, want Σσ²(discarded) = %.6g", r, g, got, want)
			}
		}
	}
	for i, p := range m.Params() {
		if !slices.Equal(p.Data, before.Params()[i].Data) {
			t.Fatalf("Compress modified the original's %s", p.Name)
		}
	}
}

func TestCompressEnergyAndJoint(t *testing.T) {
	m, _ := New(Config{Cell: MGRU, In: 2, Hidden: 16, Out: 3, Objective: Regression}, 2)
	c, err := Compress(m, CompressSpec{Energy: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	// An orthogonal U has equal singular values: half the energy is half
	// the rank.
	if c.Ranks != [2]int{8, 8} {
		t.Errorf("energy 0.5 of orthogonal 16×16 matrices: ranks %v, want [8 8]", c.Ranks)
	}
	j, err := Compress(m, CompressSpec{Ranks: [2]int{6}, Joint: true})
	if err != nil {
		t.Fatal(err)
	}
	if &j.Factors[0].V.Data[0] != &j.Factors[1].V.Data[0] {
		t.Error("joint truncation: the two gates do not share V")
	}
	if got, want := j.RecurrentParams(), 6*3*16; got != want {
		t.Errorf("joint recurrent parameters %d, want %d", got, want)
	}
	for _, bad := range []CompressSpec{
		{},
		{Ranks: [2]int{17, 1}},
		{Ranks: [2]int{2, 2}, Method: Whitened},
		{Ranks: [2]int{2, 2}, Method: "qr"},
		{Energy: 1.5},
		{Energy: math.NaN()},
		{Ranks: [2]int{4, 4}, Energy: 0.5}, // two rules for one rank
		{Ranks: [2]int{0, 3}},              // rank 0 is no rank
	} {
		if _, err := Compress(m, bad); err == nil {
			t.Errorf("Compress(%+v) accepted", bad)
		}
	}
	rnnModel, _ := New(Config{Cell: RNN, In: 1, Hidden: 4, Out: 1, Objective: Regression}, 1)
	if _, err := Compress(rnnModel, CompressSpec{Ranks: [2]int{2}, Joint: true}); err == nil {
		t.Error("joint truncation of an RNN accepted")
	}
}

// TestCompressWhitened: on its calibration data, whitened truncation's
// error E‖(U − U')x‖² is the discarded whitened energy and never exceeds
// plain SVD's.
func TestCompressWhitened(t *testing.T) {
	rec := task.Recall{Rho: 0.9, K: 4, T: 40}
	m, _ := New(Config{Cell: MGRU, In: 1, Hidden: 20, Out: 4, Objective: Regression, Burn: 4}, 3)
	calib := rec.Generate(5, 64)
	cal, err := Calibrate(m, []*task.Batch{calib})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []int{2, 5, 10} {
		plain, err := Compress(m, CompressSpec{Ranks: [2]int{r, r}})
		if err != nil {
			t.Fatal(err)
		}
		white, err := Compress(m, CompressSpec{Ranks: [2]int{r, r}, Method: Whitened, Calibration: cal})
		if err != nil {
			t.Fatal(err)
		}
		for g := range 2 {
			ep := dataError(m.U[g], plain.U[g], cal.C[g])
			ew := dataError(m.U[g], white.U[g], cal.C[g])
			var want float64
			for _, s := range white.Sigma[g][r:] {
				want += s * s
			}
			if math.Abs(ew-want) > 1e-3*want+1e-9 {
				t.Errorf("rank %d gate %d: whitened data error %.6g, want discarded energy %.6g", r, g, ew, want)
			}
			if ew > ep*(1+1e-3) {
				t.Errorf("rank %d gate %d: whitened data error %.6g > plain SVD's %.6g", r, g, ew, ep)
			}
		}
	}
}

// dataError is E‖(U − U')x‖² = tr(ΔU C ΔUᵀ).
func dataError(u, u2 kernels.Matrix, c *mat.SymDense) float64 {
	var d, dc, p mat.Dense
	d.Sub(toDense(u), toDense(u2))
	dc.Mul(&d, c)
	p.Mul(&dc, d.T())
	return mat.Trace(&p)
}

// TestCompressedStream: the low-rank kernels compute the same model as the
// dense reconstruction.
func TestCompressedStream(t *testing.T) {
	for _, joint := range []bool{false, true} {
		m, _ := New(Config{Cell: MGRU, In: 3, Hidden: 40, Out: 2, Objective: Regression}, 4)
		c, err := Compress(m, CompressSpec{Ranks: [2]int{7, 7}, Joint: joint})
		if err != nil {
			t.Fatal(err)
		}
		lr, dense := c.NewStream(), c.Model.NewStream()
		x := []float32{0.3, -1, 0.5}
		for step := 0; step < 20; step++ {
			x[0] = float32(math.Sin(float64(step)))
			a := slices.Clone(lr.Step(x))
			b := dense.Step(x)
			for k := range a {
				if math.Abs(float64(a[k]-b[k])) > 1e-4 {
					t.Fatalf("joint=%v step %d: low-rank stream %v, dense reconstruction %v", joint, step, a, b)
				}
			}
		}
	}
}

// TestCompressLeavesCalibration: Compress borrows the caller's Calibration,
// which sweeps share between goroutines, and gives it back unchanged: the
// moments are bit for bit the same after concurrent joint and per-gate
// whitened truncations (and -race sees no write), and every goroutine gets
// the same factors.
func TestCompressLeavesCalibration(t *testing.T) {
	rec := task.Recall{Rho: 0.5, K: 3, T: 30}
	m, _ := New(Config{Cell: MGRU, In: 1, Hidden: 12, Out: 3, Objective: Regression, Burn: 3}, 9)
	cal, err := Calibrate(m, []*task.Batch{rec.Generate(2, 16)})
	if err != nil {
		t.Fatal(err)
	}
	moments := cal.C
	before := [2]*mat.SymDense{mat.NewSymDense(12, nil), mat.NewSymDense(12, nil)}
	for g := range 2 {
		before[g].CopySym(cal.C[g])
	}
	specs := []CompressSpec{
		{Ranks: [2]int{4}, Joint: true, Method: Whitened, Calibration: cal},
		{Ranks: [2]int{4, 5}, Method: Whitened, Calibration: cal},
	}
	const workers = 8
	got := make([]*Compressed, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() { got[i], errs[i] = Compress(m, specs[i%len(specs)]) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("goroutine %d: %v", i, err)
		}
		if first := got[i%len(specs)]; !slices.Equal(got[i].Factors[1].U.Data, first.Factors[1].U.Data) {
			t.Errorf("goroutine %d: factors differ from goroutine %d's, the same spec", i, i%len(specs))
		}
	}
	for g := range 2 {
		if cal.C[g] != moments[g] || !mat.Equal(cal.C[g], before[g]) {
			t.Errorf("moment %d of the calibration changed", g)
		}
	}
}

func TestParseMethods(t *testing.T) {
	got, err := ParseMethods("whitened, svd,whitened")
	if want := []Method{Whitened, SVD}; err != nil || !slices.Equal(got, want) {
		t.Errorf("ParseMethods = %q, %v; want %q, each once in the order given", got, err, want)
	}
	if _, err := ParseMethods("svd,qr"); err == nil || !strings.Contains(err.Error(), `unknown method "qr"`) {
		t.Errorf("ParseMethods(svd,qr) = %v, want qr's error", err)
	}
}
