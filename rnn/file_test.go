package rnn

import (
	"bytes"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/rnn/safetensors"
)

func TestFileRoundTrip(t *testing.T) {
	for _, cell := range []Cell{RNN, MGRU} {
		m, _ := New(Config{Cell: cell, In: 3, Hidden: 7, Out: 2, Objective: ClassifyEach, Burn: 1}, 4)
		path := filepath.Join(t.TempDir(), "m.safetensors")
		meta := map[string]string{"task": "text-opticks", "epochs": "3"}
		if err := m.Save(path, meta); err != nil {
			t.Fatal(err)
		}
		got, gotMeta, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.Config != m.Config {
			t.Errorf("%s: config %+v, want %+v", cell, got.Config, m.Config)
		}
		for i, p := range got.Params() {
			if !slices.Equal(p.Data, m.Params()[i].Data) {
				t.Errorf("%s: tensor %s differs after a round trip", cell, p.Name)
			}
		}
		if gotMeta["task"] != "text-opticks" || gotMeta["epochs"] != "3" || len(gotMeta) != 2 {
			t.Errorf("%s: metadata %v, want %v", cell, gotMeta, meta)
		}
		var a, b bytes.Buffer
		if err := m.Write(&a, meta); err != nil {
			t.Fatal(err)
		}
		if err := got.Write(&b, gotMeta); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: writing the loaded model gave different bytes", cell)
		}
	}
}

// TestOneColumnMatrices checks that a model with one input stores its
// input weights as the matrices they are, [hidden, 1] as PyTorch's
// weight_ih of a one-input layer, and still reads the files that stored
// them as vectors of hidden elements, to the same weights. Vectors stay
// vectors, and a matrix of one column with the wrong length is an error.
func TestOneColumnMatrices(t *testing.T) {
	for _, cell := range []Cell{RNN, MGRU} {
		m, _ := New(Config{Cell: cell, In: 1, Hidden: 5, Out: 1, Objective: Regression, Burn: 1}, 6)
		f, err := m.File(nil)
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string][]int{"W": {5, 1}, "R": {1, 5}, "b": {5}, "c": {1}, "U": {5, 5}} {
			if cell == MGRU && (name == "W" || name == "U" || name == "b") {
				name += "_h"
			}
			if got := f.Tensors[name].Shape; !slices.Equal(got, want) {
				t.Errorf("%s: tensor %s has shape %v, want %v", cell, name, got, want)
			}
		}
		legacy := func(shape ...int) []byte {
			old, _ := m.File(nil)
			for _, w := range []string{"W", "W_f", "W_h"} {
				if tw, ok := old.Tensors[w]; ok {
					tw.Shape = shape
					old.Tensors[w] = tw
				}
			}
			var buf bytes.Buffer
			if err := safetensors.Write(&buf, old); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}
		got, _, err := Read(bytes.NewReader(legacy(5)))
		if err != nil {
			t.Fatalf("%s: a file with a 1-D W: %v", cell, err)
		}
		for i, p := range got.Params() {
			if !slices.Equal(p.Data, m.Params()[i].Data) {
				t.Errorf("%s: tensor %s of a 1-D file differs", cell, p.Name)
			}
		}
		if _, _, err := Read(bytes.NewReader(legacy(1, 5))); err == nil || !strings.Contains(err.Error(), "want [5 1]") {
			t.Errorf("%s: W of shape [1 5]: %v", cell, err)
		}
	}
}

func TestFileErrors(t *testing.T) {
	m, _ := New(Config{Cell: MGRU, In: 2, Hidden: 4, Out: 3, Objective: Regression}, 1)
	good, err := m.File(nil)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(*safetensors.File)) []byte {
		c := &safetensors.File{Metadata: map[string]string{}, Tensors: map[string]safetensors.Tensor{}}
		for k, v := range good.Metadata {
			c.Metadata[k] = v
		}
		for k, v := range good.Tensors {
			c.Tensors[k] = v
		}
		f(c)
		var buf bytes.Buffer
		if err := safetensors.Write(&buf, c); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	nan := append([]float32(nil), m.U[1].Data...)
	nan[5] = float32(math.NaN())
	valid := edit(func(*safetensors.File) {})
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"not a model", edit(func(f *safetensors.File) { delete(f.Metadata, "format") }), "format"},
		{"bad cell", edit(func(f *safetensors.File) { f.Metadata["cell"] = "tcn" }), `metadata cell = "tcn", want "rnn", "mgru", "gru" or "lstm"`},
		{"bad size", edit(func(f *safetensors.File) { f.Metadata["hidden"] = "many" }), `hidden = "many" is not a number`},
		{"huge size", edit(func(f *safetensors.File) { f.Metadata["hidden"] = "100000000" }), "hidden = 100000000 is out of range: want 1 ≤ hidden ≤ 4096"},
		{"wrong shape", edit(func(f *safetensors.File) {
			f.Tensors["U_h"] = safetensors.FromFloat32([]int{4, 2}, m.U[1].Data[:8])
		}), `tensor "U_h" has shape [4 2], want [4 4]`},
		{"missing tensor", edit(func(f *safetensors.File) { delete(f.Tensors, "b_f") }), `"b_f" not found`},
		{"extra tensor", edit(func(f *safetensors.File) {
			f.Tensors["U_x"] = safetensors.FromFloat32([]int{1}, []float32{1})
		}), `unexpected tensor "U_x"`},
		{"NaN weight", edit(func(f *safetensors.File) {
			f.Tensors["U_h"] = safetensors.FromFloat32([]int{4, 4}, nan)
		}), "U_h"},
		{"truncated", valid[:len(valid)-3], ""},
		{"empty", nil, ""},
	} {
		_, _, err := Read(bytes.NewReader(c.data))
		if err == nil {
			t.Errorf("%s: loaded without error", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not mention %q", c.name, err, c.want)
		}
	}
	if _, _, err := Read(bytes.NewReader(valid)); err != nil {
		t.Errorf("the unedited file fails to load: %v", err)
	}
	if _, err := m.File(map[string]string{"cell": "rnn"}); err == nil {
		t.Error("metadata overriding the configuration was accepted")
	}
}

// FuzzLoad: no input makes the loader panic, and whatever loads is a model
// with finite weights that runs.
func FuzzLoad(f *testing.F) {
	m, _ := New(Config{Cell: RNN, In: 2, Hidden: 3, Out: 2, Objective: ClassifyLast}, 1)
	var buf bytes.Buffer
	if err := m.Write(&buf, map[string]string{"task": "x"}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:40])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		s := m.NewStream()
		for _, v := range s.Step(make([]float32, m.In)) {
			if math.IsNaN(float64(v)) {
				t.Fatalf("a loaded model gave NaN from a zero input")
			}
		}
	})
}

func TestCompressedFile(t *testing.T) {
	m, _ := New(Config{Cell: MGRU, In: 2, Hidden: 12, Out: 3, Objective: ClassifyLast}, 6)
	for _, joint := range []bool{false, true} {
		c, err := Compress(m, CompressSpec{Ranks: [2]int{3, 5}, Joint: joint})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "c.safetensors")
		if err := c.Save(path, map[string]string{"task": "x"}); err != nil {
			t.Fatal(err)
		}
		got, meta, err := LoadCompressed(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.Ranks != c.Ranks || got.Spec.Joint != joint || meta["task"] != "x" || len(meta) != 1 {
			t.Errorf("joint=%v: ranks %v, joint %v, meta %v; want %v, %v", joint, got.Ranks, got.Spec.Joint, meta, c.Ranks, joint)
		}
		for g := range 2 {
			if !slices.Equal(got.Factors[g].U.Data, c.Factors[g].U.Data) || !slices.Equal(got.Factors[g].V.Data, c.Factors[g].V.Data) ||
				!slices.Equal(got.U[g].Data, c.U[g].Data) {
				t.Errorf("joint=%v gate %d: factors or reconstruction differ after a round trip", joint, g)
			}
		}
		if _, _, err := Load(path); err == nil || !strings.Contains(err.Error(), "LoadCompressed") {
			t.Errorf("Load of a compressed file: %v, want a hint to LoadCompressed", err)
		}
		var buf bytes.Buffer
		if err := c.Write(&buf, nil); err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		for _, cut := range []int{0, 8, len(data) / 2, len(data) - 1} {
			if _, _, err := ReadCompressed(bytes.NewReader(data[:cut])); err == nil {
				t.Errorf("a compressed file cut at %d bytes loaded", cut)
			}
		}
	}
	if _, _, err := ReadCompressed(bytes.NewReader(mustModelBytes(t, m))); err == nil {
		t.Error("a plain model file loaded as compressed")
	}
}

func mustModelBytes(t *testing.T, m *Model) []byte {
	var buf bytes.Buffer
	if err := m.Write(&buf, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
