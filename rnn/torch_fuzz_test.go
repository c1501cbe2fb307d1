package rnn_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/lowrank-rnn/lowrank/rnn"
)

// FuzzReadTorch feeds arbitrary bytes to Read, seeded with the PyTorch
// fixtures (testdata/torch), and checks that it never panics, allocates
// within allocBound, refuses with one line, and that what it accepts runs
// to finite outputs from a zero input and writes back to a file that
// reads as the same model.
func FuzzReadTorch(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "torch", "*.safetensors"))
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m *rnn.Model
		var err error
		if alloc := allocated(func() { m, _, err = rnn.Read(bytes.NewReader(data)) }); alloc > allocBound(len(data)) {
			t.Fatalf("reading %d bytes allocated %d, more than %d", len(data), alloc, allocBound(len(data)))
		}
		if err != nil {
			oneLine(t, err)
			return
		}
		for _, y := range m.NewStream().Step(make([]float32, m.In)) {
			if math.IsNaN(float64(y)) || math.IsInf(float64(y), 0) {
				t.Fatalf("a loaded model gave %v from a zero input", y)
			}
		}
		var out bytes.Buffer
		if err := m.Write(&out, nil); err != nil {
			t.Fatalf("Write of an accepted model: %v", err)
		}
		again, _, err := rnn.Read(&out)
		if err != nil || again.Config != m.Config {
			t.Fatalf("Read of Write's output: %v (config %+v, want %+v)", err, again, m.Config)
		}
	})
}
