package rnn

import (
	"bytes"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/kernels"
	"github.com/lowrank-rnn/lowrank/rnn/safetensors"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// The PyTorch fixtures of testdata/torch (gen.py): models saved from
// torch.nn.GRU and torch.nn.LSTM as their state_dicts, their inputs, and
// PyTorch's outputs and final states.

var torchDir = filepath.Join("..", "testdata", "torch")

// torchIO reads a fixture's inputs and PyTorch's outputs.
func torchIO(t *testing.T, name string) (map[string][]float32, map[string][]int) {
	t.Helper()
	f, err := safetensors.ReadFile(filepath.Join(torchDir, name+".io.safetensors"), safetensors.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	vals, shapes := map[string][]float32{}, map[string][]int{}
	for k, ten := range f.Tensors {
		if vals[k], err = ten.Float32(); err != nil {
			t.Fatal(err)
		}
		shapes[k] = ten.Shape
	}
	return vals, shapes
}

// forEachTarget runs f with every kernels target this CPU can run.
func forEachTarget(t *testing.T, f func(t *testing.T)) {
	for _, tg := range kernels.Targets() {
		if !tg.Available {
			continue
		}
		t.Run(tg.Name, func(t *testing.T) {
			restore, err := kernels.Use(tg.Name)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			f(t)
		})
	}
}

// TestTorchImport loads every fixture with Load (no metadata: the PyTorch
// path), checks the configuration it infers, runs each sequence through a
// Stream on every target, and compares the top layer's outputs, every
// layer's final h (and c) and the readout with PyTorch's: within 1e-5
// relative, max|got − torch| ≤ 1e-5·max|torch| per tensor.
func TestTorchImport(t *testing.T) {
	const bar = 1e-5
	want := map[string]Config{
		"gru1":     {Cell: GRU, In: 6, Hidden: 20, NumLayers: 1, Objective: Regression},
		"gru2":     {Cell: GRU, In: 5, Hidden: 33, NumLayers: 2, Objective: Regression},
		"lstm1":    {Cell: LSTM, In: 6, Hidden: 20, NumLayers: 1, Objective: Regression},
		"lstm2":    {Cell: LSTM, In: 5, Hidden: 17, NumLayers: 2, Objective: Regression},
		"lstmproj": {Cell: LSTM, In: 6, Hidden: 20, NumLayers: 2, Proj: 9, Objective: Regression},
		"prefix":   {Cell: GRU, In: 6, Hidden: 20, NumLayers: 1, Out: 3, Objective: Regression},
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		t.Run(name, func(t *testing.T) {
			m, _, err := Load(filepath.Join(torchDir, name+".safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			if m.Config != want[name] {
				t.Fatalf("config %+v, want %+v", m.Config, want[name])
			}
			io, shapes := torchIO(t, name)
			forEachTarget(t, func(t *testing.T) {
				got := runTorchFixture(m, io, shapes)
				for _, k := range []string{"out", "h_n", "c_n", "readout"} {
					w := io[k]
					if w == nil {
						continue
					}
					var maxDiff, maxWant float64
					for i := range w {
						maxDiff = max(maxDiff, math.Abs(float64(got[k][i])-float64(w[i])))
						maxWant = max(maxWant, math.Abs(float64(w[i])))
					}
					if rel := maxDiff / maxWant; !(rel <= bar) {
						t.Errorf("%s differs from PyTorch's by %.3g relative (max |diff| %.3g), want ≤ %g", k, rel, maxDiff, bar)
					}
				}
			})
		})
	}
}

// runTorchFixture runs a fixture's sequences through m, one Stream per
// sequence from PyTorch's initial states, and returns the top layer's
// outputs (out), every layer's final h and c (h_n, c_n) and the readout,
// in PyTorch's layouts.
func runTorchFixture(m *Model, io map[string][]float32, shapes map[string][]int) map[string][]float32 {
	T, B, in := shapes["x"][0], shapes["x"][1], shapes["x"][2]
	L, P, H := m.NumLayers, m.stateWidth(), m.Hidden
	got := map[string][]float32{
		"out": make([]float32, T*B*P), "h_n": make([]float32, L*B*P), "c_n": make([]float32, L*B*H),
		"readout": make([]float32, T*B*m.Out),
	}
	for b := 0; b < B; b++ {
		s := m.NewStream()
		for k := 0; k < L; k++ {
			copy(s.gated.h[k], io["h0"][(k*B+b)*P:])
			if m.Cell == LSTM {
				copy(s.gated.c[k], io["c0"][(k*B+b)*H:])
			}
		}
		for tt := 0; tt < T; tt++ {
			y := s.Step(io["x"][(tt*B+b)*in : (tt*B+b+1)*in])
			copy(got["readout"][(tt*B+b)*m.Out:], y)
			copy(got["out"][(tt*B+b)*P:], s.gated.h[L-1])
		}
		for k := 0; k < L; k++ {
			copy(got["h_n"][(k*B+b)*P:], s.gated.h[k])
			copy(got["c_n"][(k*B+b)*H:], s.gated.c[k])
		}
	}
	return got
}

// TestGatedEngine runs the fixtures' inputs through the batched engine
// and through one Stream per sequence, both from zero states, on every
// target: the top layer's states and the readouts must agree to float32
// rounding (different products, the same cell).
func TestGatedEngine(t *testing.T) {
	for _, name := range []string{"gru2", "lstm2", "lstmproj", "prefix"} {
		m, _, err := Load(filepath.Join(torchDir, name+".safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		io, shapes := torchIO(t, name)
		T, B, in := shapes["x"][0], shapes["x"][1], shapes["x"][2]
		P, L := m.stateWidth(), m.NumLayers
		forEachTarget(t, func(t *testing.T) {
			e := engineOf(m)
			states := make([]float32, T*B*P)
			e.gated.onLayerStep = func(layer, tt int, h kernels.Matrix) {
				if layer == L-1 {
					copy(states[tt*B*P:], h.Data[:B*P])
				}
			}
			x := append([]float32(nil), io["x"]...)
			r := e.run(&task.Batch{Kind: task.Regression, T: T, B: B, In: in, Out: m.Out, X: x})
			for b := 0; b < B; b++ {
				s := m.NewStream()
				for tt := 0; tt < T; tt++ {
					y := s.Step(x[(tt*B+b)*in : (tt*B+b+1)*in])
					for i, v := range s.gated.h[L-1] {
						if d := math.Abs(float64(v - states[(tt*B+b)*P+i])); d > 1e-5 {
							t.Fatalf("%s: step %d sequence %d: engine state[%d] = %v, stream %v", name, tt, b, i, states[(tt*B+b)*P+i], v)
						}
					}
					for i, v := range y {
						if d := math.Abs(float64(v - r[(tt*B+b)*m.Out+i])); d > 1e-5*(1+math.Abs(float64(v))) {
							t.Fatalf("%s: step %d sequence %d: engine readout[%d] = %v, stream %v", name, tt, b, i, r[(tt*B+b)*m.Out+i], v)
						}
					}
				}
			}
		})
	}
}

func TestTorchBidirectional(t *testing.T) {
	_, _, err := Load(filepath.Join(torchDir, "bidir.safetensors"))
	if err == nil || !strings.Contains(err.Error(), "bidirectional") || !strings.Contains(err.Error(), "_reverse") {
		t.Fatalf("Load(bidir): %v, want an error that says a bidirectional model cannot stream", err)
	}
}

// TestTorchErrors edits a fixture: a missing, an extra and a misshapen
// tensor, two models in one file, and a non-gate shape, each an error that
// names what is wrong.
func TestTorchErrors(t *testing.T) {
	read := func(name string) *safetensors.File {
		f, err := safetensors.ReadFile(filepath.Join(torchDir, name+".safetensors"), safetensors.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, c := range []struct {
		name, file string
		edit       func(f *safetensors.File)
		want       []string
	}{
		{"missing", "gru2", func(f *safetensors.File) { delete(f.Tensors, "bias_hh_l1") }, []string{`"bias_hh_l1"`, "not found"}},
		{"extra", "lstm1", func(f *safetensors.File) {
			f.Tensors["encoder.scale"] = safetensors.FromFloat32([]int{3}, []float32{1, 2, 3})
		}, []string{`unexpected tensors "encoder.scale"`, "1-layer LSTM"}},
		{"misshapen", "lstmproj", func(f *safetensors.File) {
			f.Tensors["weight_hr_l1"] = safetensors.FromFloat32([]int{9, 19}, make([]float32, 9*19))
		}, []string{`"weight_hr_l1"`, "[9 19]", "want [9 20]"}},
		{"readout width", "prefix", func(f *safetensors.File) {
			f.Tensors["fc.weight"] = safetensors.FromFloat32([]int{3, 21}, make([]float32, 63))
		}, []string{`"fc.weight"`, "want [3 20]"}},
		{"two models", "gru1", func(f *safetensors.File) { f.Tensors["b.weight_ih_l0"] = f.Tensors["weight_ih_l0"] }, []string{"2 tensors end in weight_ih_l0"}},
		{"not gates", "gru1", func(f *safetensors.File) {
			f.Tensors["weight_hh_l0"] = safetensors.FromFloat32([]int{50, 20}, make([]float32, 1000))
		}, []string{`"weight_hh_l0"`, "neither 3 (GRU) nor 4 (LSTM) gates of 20 units"}},
		{"NaN", "gru1", func(f *safetensors.File) {
			v, _ := f.Float32("bias_ih_l0")
			v[7] = float32(math.NaN())
			f.Tensors["bias_ih_l0"] = safetensors.FromFloat32([]int{60}, v)
		}, []string{"bias_ih_l0", "NaN"}},
	} {
		f := read(c.file)
		c.edit(f)
		_, _, err := FromFile(f)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, w)
			}
		}
	}
}

// TestTorchExport writes imported models as lowrank files (PyTorch's names
// under "rnn." and "fc.", and lowrank's metadata) and reads them back, as
// lowrank files and, with the metadata dropped, as PyTorch files: the same
// model both ways.
func TestTorchExport(t *testing.T) {
	for _, name := range []string{"gru2", "lstmproj", "prefix"} {
		m, _, err := Load(filepath.Join(torchDir, name+".safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "m.safetensors")
		if err := m.Save(path, map[string]string{"source": name}); err != nil {
			t.Fatalf("%s: Save: %v", name, err)
		}
		back, meta, err := Load(path)
		if err != nil {
			t.Fatalf("%s: Load of its own file: %v", name, err)
		}
		sameModel(t, name+" (lowrank file)", m, back)
		if meta["source"] != name {
			t.Errorf("%s: metadata %v lost source", name, meta)
		}
		f, err := m.File(nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range m.Params() {
			if !strings.HasPrefix(p.Name, "rnn.") && !strings.HasPrefix(p.Name, "fc.") {
				t.Errorf("%s: tensor %q is named neither rnn.… nor fc.…", name, p.Name)
			}
		}
		f.Metadata = nil
		var buf bytes.Buffer
		if err := safetensors.Write(&buf, f); err != nil {
			t.Fatal(err)
		}
		asTorch, _, err := Read(&buf)
		if err != nil {
			t.Fatalf("%s: the file without metadata, as PyTorch would save it: %v", name, err)
		}
		sameModel(t, name+" (as PyTorch)", m, asTorch)
	}
	if _, err := os.Stat(torchDir); err != nil {
		t.Fatal(err)
	}
}

func sameModel(t *testing.T, what string, a, b *Model) {
	t.Helper()
	if a.Config != b.Config {
		t.Fatalf("%s: config %+v, want %+v", what, b.Config, a.Config)
	}
	pa, pb := a.Params(), b.Params()
	for i := range pa {
		if pa[i].Name != pb[i].Name || !slices.Equal(pa[i].Data, pb[i].Data) {
			t.Fatalf("%s: parameter %s differs", what, pa[i].Name)
		}
	}
}
