package rnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/lowrank-rnn/lowrank/rnn/safetensors"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// gatedStep64 is one step of a GRU or LSTM layer in float64, written from
// PyTorch's equations independently of the training pass: input x, state
// hp (and cp), weights row-major (whr nil without a projection). It
// returns h_t, c_t and the step's values the Jacobians take: the gates
// (GRU r, z, n; LSTM i, f, g, o), u_n and tanh(c_t).
func gatedStep64(cell Cell, H int, wih, whh, bih, bhh, whr, x, hp, cp []float64) (h, c []float64, gates [4][]float64, un, tc []float64) {
	G := 3
	if cell == LSTM {
		G = 4
	}
	a := matVec64(wih, x, G*H)
	u := matVec64(whh, hp, G*H)
	for i := range a {
		a[i] += bih[i]
		u[i] += bhh[i]
	}
	for q := range G {
		gates[q] = make([]float64, H)
	}
	if cell == GRU {
		h, un = make([]float64, H), make([]float64, H)
		for i := 0; i < H; i++ {
			r := sigmoid64(a[i] + u[i])
			z := sigmoid64(a[H+i] + u[H+i])
			n := math.Tanh(a[2*H+i] + r*u[2*H+i])
			gates[0][i], gates[1][i], gates[2][i], un[i] = r, z, n, u[2*H+i]
			h[i] = (1-z)*n + z*hp[i]
		}
		return h, nil, gates, un, nil
	}
	c, tc = make([]float64, H), make([]float64, H)
	m := make([]float64, H)
	for i := 0; i < H; i++ {
		in := sigmoid64(a[i] + u[i])
		f := sigmoid64(a[H+i] + u[H+i])
		g := math.Tanh(a[2*H+i] + u[2*H+i])
		o := sigmoid64(a[3*H+i] + u[3*H+i])
		gates[0][i], gates[1][i], gates[2][i], gates[3][i] = in, f, g, o
		c[i] = f*cp[i] + in*g
		tc[i] = math.Tanh(c[i])
		m[i] = o * tc[i]
	}
	if whr == nil {
		return m, c, gates, nil, tc
	}
	return matVec64(whr, m, len(hp)), c, gates, nil, tc
}

func randSlice(rng *rand.Rand, n int, s float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = s * rng.NormFloat64()
	}
	return v
}

// TestGatedJacobians checks the explicit step Jacobians and injected
// errors of the GRU and the LSTM (with and without a projection) against
// central finite differences of gatedStep64, at random states: step
// 1e-6, agreement to 1e-7 absolute on entries of order 1.
func TestGatedJacobians(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, tc := range []struct {
		cell    Cell
		H, P, I int
	}{{GRU, 6, 6, 3}, {LSTM, 5, 5, 3}, {LSTM, 5, 3, 2}} {
		name := fmt.Sprintf("%s H=%d P=%d", tc.cell, tc.H, tc.P)
		G := 3
		if tc.cell == LSTM {
			G = 4
		}
		H, P := tc.H, tc.P
		wih, whh := randSlice(rng, G*H*tc.I, 0.6), randSlice(rng, G*H*P, 0.6)
		bih, bhh := randSlice(rng, G*H, 0.3), randSlice(rng, G*H, 0.3)
		var whr []float64
		if P != H {
			whr = randSlice(rng, P*H, 0.6)
		}
		x, hp, cp := randSlice(rng, tc.I, 1), randSlice(rng, P, 0.5), randSlice(rng, H, 0.8)
		_, _, gs, un, tanhc := gatedStep64(tc.cell, H, wih, whh, bih, bhh, whr, x, hp, cp)
		var jac *mat.Dense
		if tc.cell == GRU {
			jac = gruJacobian(whh, hp, gs[0], gs[1], gs[2], un)
		} else {
			jac = lstmJacobian(whh, whr, cp, gs[0], gs[1], gs[2], gs[3], tanhc)
		}
		state := func(h, c []float64) []float64 { return append(append([]float64(nil), h...), c...) }
		const eps = 1e-6
		ns := P
		if tc.cell == LSTM {
			ns = P + H
		}
		for k := 0; k < ns; k++ {
			hpp, hpm, cpp, cpm := append([]float64(nil), hp...), append([]float64(nil), hp...), append([]float64(nil), cp...), append([]float64(nil), cp...)
			if k < P {
				hpp[k] += eps
				hpm[k] -= eps
			} else {
				cpp[k-P] += eps
				cpm[k-P] -= eps
			}
			h1, c1, _, _, _ := gatedStep64(tc.cell, H, wih, whh, bih, bhh, whr, x, hpp, cpp)
			h2, c2, _, _, _ := gatedStep64(tc.cell, H, wih, whh, bih, bhh, whr, x, hpm, cpm)
			s1, s2 := state(h1, c1), state(h2, c2)
			for i := 0; i < ns; i++ {
				fd := (s1[i] - s2[i]) / (2 * eps)
				if d := math.Abs(fd - jac.At(i, k)); d > 1e-7 {
					t.Errorf("%s: J[%d][%d] = %.9g, finite differences %.9g", name, i, k, jac.At(i, k), fd)
				}
			}
		}
		// The injected error: d/dε of the step with W_hh + ε·ΔW at ε = 0.
		dw := randSlice(rng, G*H*P, 1)
		var e []float64
		if tc.cell == GRU {
			e = gruInjected(dw, hp, gs[0], gs[1], gs[2], un)
		} else {
			e = lstmInjected(dw, whr, hp, cp, gs[0], gs[1], gs[2], gs[3], tanhc)
		}
		shift := func(s float64) []float64 {
			w := append([]float64(nil), whh...)
			for i := range w {
				w[i] += s * dw[i]
			}
			h, c, _, _, _ := gatedStep64(tc.cell, H, wih, w, bih, bhh, whr, x, hp, cp)
			return state(h, c)
		}
		s1, s2 := shift(eps), shift(-eps)
		for i := range e {
			fd := (s1[i] - s2[i]) / (2 * eps)
			if d := math.Abs(fd - e[i]); d > 1e-7 {
				t.Errorf("%s: e[%d] = %.9g, finite differences %.9g", name, i, e[i], fd)
			}
		}
	}
}

// TestPredictGated checks the propagation through stacked layers and the
// projection against runs of the perturbed model: for a small perturbation
// of every layer's weight_hh the predicted and measured error energies
// agree within 3%, and halving the perturbation halves the prediction.
func TestPredictGated(t *testing.T) {
	for _, cfg := range []Config{
		{Cell: GRU, In: 2, Hidden: 12, Out: 2, NumLayers: 2, Objective: Regression, Burn: 2},
		{Cell: LSTM, In: 2, Hidden: 10, Out: 2, NumLayers: 2, Proj: 4, Objective: Regression, Burn: 2},
		{Cell: LSTM, In: 2, Hidden: 10, Out: 3, NumLayers: 1, Objective: ClassifyLast},
	} {
		name := fmt.Sprintf("%s layers=%d proj=%d", cfg.Cell, cfg.NumLayers, cfg.Proj)
		m, err := New(cfg, 7)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(8, 9))
		b := &task.Batch{Kind: task.Kind(cfg.Objective), T: 20, B: 4, In: cfg.In, Out: cfg.Out}
		for range b.T * b.B * cfg.In {
			b.X = append(b.X, float32(rng.NormFloat64()))
		}
		dir := make([][]float64, cfg.NumLayers) // one direction, two sizes
		for k := range dir {
			dir[k] = randSlice(rng, len(m.Layers[k].Whh.Data), 1)
		}
		var prev float64
		for _, scale := range []float64{1e-3, 5e-4} {
			p := m.Clone()
			for k := range p.Layers {
				for i, v := range dir[k] {
					p.Layers[k].Whh.Data[i] += float32(scale * v)
				}
			}
			// The perturbation as the models differ (float32 rounding).
			dw, err := gatedDeltas(m, p)
			if err != nil {
				t.Fatal(err)
			}
			pred, err := PredictGated(m, dw, b)
			if err != nil {
				t.Fatal(err)
			}
			meas, err := Measure(m, p, b)
			if err != nil {
				t.Fatal(err)
			}
			r := EnergyRatio(pred, meas)
			if math.Abs(r-1) > 0.03 {
				t.Errorf("%s, scale %g: predicted/measured error energy %.4f, want 1 ± 0.03", name, scale, r)
			}
			if prev != 0 {
				if q := prev / pred.RelErr(); math.Abs(q-2) > 0.01 {
					t.Errorf("%s: halving the perturbation divided the predicted error by %.3f, want about 2", name, q)
				}
			}
			prev = pred.RelErr()
			if cfg.Out > 0 && pred.OutRelErr() == 0 {
				t.Errorf("%s: no predicted output error", name)
			}
		}
	}
}

// TestGatedCompress compresses GRUs and LSTMs jointly and per gate, plain
// and whitened: the factors' shapes and ranks, the parameter counts, that
// the reconstruction is the product of the factors, that full rank gives
// the model back, and that the kernels run the factors as the dense
// reconstruction.
func TestGatedCompress(t *testing.T) {
	for _, cfg := range []Config{
		{Cell: GRU, In: 3, Hidden: 20, Out: 2, NumLayers: 2, Objective: Regression},
		{Cell: LSTM, In: 3, Hidden: 16, Out: 2, NumLayers: 1, Proj: 6, Objective: Regression},
	} {
		m, err := New(cfg, 3)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(5, 5))
		b := &task.Batch{Kind: task.Regression, T: 12, B: 5, In: cfg.In, Out: cfg.Out, Y: make([]float32, 12*5*cfg.Out)}
		for range b.T * b.B * cfg.In {
			b.X = append(b.X, float32(rng.NormFloat64()))
		}
		cal, err := Calibrate(m, []*task.Batch{b})
		if err != nil {
			t.Fatal(err)
		}
		G, P := cfg.Cell.Gates(), m.stateWidth()
		for _, joint := range []bool{true, false} {
			for _, method := range []Method{SVD, Whitened} {
				name := fmt.Sprintf("%s joint=%v %s", cfg.Cell, joint, method)
				c, err := Compress(m, CompressSpec{Ranks: [2]int{3, 3}, Joint: joint, Method: method, Calibration: cal})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				wantParams := 0
				for k, l := range c.Layers {
					want := G
					if joint {
						want = 1
					}
					if len(l.Factors) != want {
						t.Fatalf("%s: layer %d has %d factorisations, want %d", name, k, len(l.Factors), want)
					}
					for _, f := range l.Factors {
						if f.Rank() != 3 || f.V.Cols != P {
							t.Fatalf("%s: layer %d: factors %d×%d·%d×%d, want rank 3 and %d columns", name, k, f.U.Rows, f.U.Cols, f.V.Rows, f.V.Cols, P)
						}
						wantParams += 3 * (f.U.Rows + P)
					}
					if cfg.Proj > 0 {
						wantParams += P * cfg.Hidden
					}
					w := l.reconstruct(G*cfg.Hidden, P)
					for i := range w.Data {
						if w.Data[i] != c.Model.Layers[k].Whh.Data[i] {
							t.Fatalf("%s: layer %d: the model's weight_hh is not the factors' product", name, k)
						}
					}
				}
				if got := c.RecurrentParams(); got != wantParams {
					t.Errorf("%s: RecurrentParams = %d, want %d", name, got, wantParams)
				}
				// The low-rank kernels run what the dense reconstruction runs.
				s, sd := c.NewStream(), c.Model.NewStream()
				for step := 0; step < b.T; step++ {
					x := b.X[step*b.B*cfg.In : step*b.B*cfg.In+cfg.In]
					y, yd := append([]float32(nil), s.Step(x)...), sd.Step(x)
					for i := range y {
						if math.Abs(float64(y[i]-yd[i])) > 1e-5 {
							t.Fatalf("%s: step %d: low-rank stream %v, dense reconstruction %v", name, step, y, yd)
						}
					}
				}
			}
		}
		// Full rank keeps the model (to float32 rounding of the SVD).
		full := min(cfg.Hidden, P)
		c, err := Compress(m, CompressSpec{Ranks: [2]int{full, 0}})
		if err != nil {
			t.Fatal(err)
		}
		for k := range m.Layers {
			for i, v := range m.Layers[k].Whh.Data {
				if d := math.Abs(float64(v - c.Model.Layers[k].Whh.Data[i])); d > 1e-5 {
					t.Fatalf("%s: full rank changed weight_hh[%d] by %.3g", cfg.Cell, i, d)
				}
			}
		}
		if _, err := Compress(m, CompressSpec{Ranks: [2]int{3, 4}}); err == nil {
			t.Errorf("%s: two different ranks accepted", cfg.Cell)
		}
	}
}

// TestGatedCompressedFile saves compressed GRUs and LSTMs (joint and per
// gate, two layers, a projection) and loads them back: the factors come
// back bit for bit, the left @ right product of the file's tensors is the
// reconstructed weight_hh, and a left factor of a per-gate file that is
// not block-diagonal is an error that says so.
func TestGatedCompressedFile(t *testing.T) {
	for _, cfg := range []Config{
		{Cell: GRU, In: 3, Hidden: 20, Out: 2, NumLayers: 2, Objective: Regression},
		{Cell: LSTM, In: 3, Hidden: 16, Out: 2, NumLayers: 2, Proj: 6, Objective: Regression},
	} {
		m, err := New(cfg, 4)
		if err != nil {
			t.Fatal(err)
		}
		for _, joint := range []bool{true, false} {
			name := fmt.Sprintf("%s joint=%v", cfg.Cell, joint)
			c, err := Compress(m, CompressSpec{Energy: 0.9, Joint: joint})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "c.safetensors")
			if err := c.Save(path, map[string]string{"note": name}); err != nil {
				t.Fatalf("%s: Save: %v", name, err)
			}
			back, meta, err := LoadCompressed(path)
			if err != nil {
				t.Fatalf("%s: LoadCompressed of its own file: %v", name, err)
			}
			if meta["note"] != name || back.Spec.Joint != joint || back.Spec.Method != SVD {
				t.Fatalf("%s: metadata %v, spec %+v", name, meta, back.Spec)
			}
			for k := range c.Layers {
				a, b := c.Layers[k], back.Layers[k]
				if !slices.Equal(a.Ranks, b.Ranks) {
					t.Fatalf("%s: layer %d ranks %v, want %v", name, k, b.Ranks, a.Ranks)
				}
				for q := range a.Factors {
					if !slices.Equal(a.Factors[q].U.Data, b.Factors[q].U.Data) || !slices.Equal(a.Factors[q].V.Data, b.Factors[q].V.Data) {
						t.Fatalf("%s: layer %d factor %d differs after the round trip", name, k, q)
					}
				}
			}
			f, err := safetensors.ReadFile(path, safetensors.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			l, _ := f.Float32("rnn.weight_hh_l1.left")
			r, _ := f.Float32("rnn.weight_hh_l1.right")
			R := f.Tensors["rnn.weight_hh_l1.right"].Shape[0]
			w := c.Model.Layers[1].Whh
			for i := 0; i < w.Rows; i++ {
				for j := 0; j < w.Cols; j++ {
					var s float64
					for k := 0; k < R; k++ {
						s += float64(l[i*R+k]) * float64(r[k*w.Cols+j])
					}
					if math.Abs(s-float64(w.At(i, j))) > 1e-6 {
						t.Fatalf("%s: (left @ right)[%d][%d] = %v, weight_hh %v", name, i, j, s, w.At(i, j))
					}
				}
			}
			if !joint {
				l[R-1] = 0.5 // row 0 (gate 0) in the last gate's columns
				f.Tensors["rnn.weight_hh_l1.left"] = safetensors.FromFloat32(f.Tensors["rnn.weight_hh_l1.left"].Shape, l)
				if _, _, err := CompressedFromFile(f); err == nil || !strings.Contains(err.Error(), "block-diagonal") {
					t.Errorf("%s: a left factor with a stray element: %v, want an error about block-diagonal factors", name, err)
				}
			}
		}
	}
}

// TestGatedMemory runs the memorization experiment on a GRU and an LSTM
// with one input and on their truncations: the float64 states it fits
// readouts on are the kernels' (a Stream's), the capacity of the dense
// network is positive, and the refitted capacity of a rank-2 truncation
// is below the dense network's (its dynamics keep less).
func TestGatedMemory(t *testing.T) {
	for _, cell := range []Cell{GRU, LSTM} {
		m, err := New(Config{Cell: cell, In: 1, Hidden: 16, Out: 1, NumLayers: 1, Objective: Regression}, 11)
		if err != nil {
			t.Fatal(err)
		}
		cfg := MemoryConfig{K: 8, Steps: 3000, Seed: 2}
		rc, _ := cfg.Resolve(0)
		u, _ := rc.inputs()
		states, _ := driveStates(m, u[:50], false)
		s := m.NewStream()
		for step, v := range u[:50] {
			s.Step([]float32{float32(v)})
			for i, h := range s.gated.h[0] {
				if d := math.Abs(float64(h) - states.At(step, i)); d > 1e-5 {
					t.Fatalf("%s: step %d: float64 state[%d] = %v, stream %v", cell, step, i, states.At(step, i), h)
				}
			}
		}
		p, err := NewMemoryProbe(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		dense, err := p.Measure(m)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Compress(m, CompressSpec{Ranks: [2]int{2, 2}, Joint: true})
		if err != nil {
			t.Fatal(err)
		}
		low, err := p.Measure(c.Model)
		if err != nil {
			t.Fatal(err)
		}
		if !(dense.MCRefit > 0.5) || !(low.MCRefit < dense.MCRefit) {
			t.Errorf("%s: memory capacity dense %.3f, rank 2 %.3f: want a positive capacity that truncation lowers", cell, dense.MCRefit, low.MCRefit)
		}
		t.Logf("%s: MC dense %.3f, rank 2 (joint) %.3f", cell, dense.MCRefit, low.MCRefit)
	}
}
