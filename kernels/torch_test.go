package kernels

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/rnn/safetensors"
)

// TestTorchFixtures runs the GRU and LSTM models of testdata/torch (written
// by PyTorch 1.13's nn.GRU and nn.LSTM, see gen.py) through GRUStep,
// LSTMStep and their batches, layer by layer, on every target, and
// compares the outputs and final states with PyTorch's. The recurrent
// weights run in three forms: packed gate-interleaved (the fused pass),
// as an exact joint factorisation W_hh = W_hh·I (the low-rank fused pass),
// and as a plain Packed operator (the product through work).
//
// The bar: every tensor within 1e-5 relative, max|got − torch| ≤ 1e-5 ·
// max|torch|, for each of out, h_n, c_n and the readout. The test reads
// the files with rnn/safetensors, a leaf package that does not import
// kernels; the fixtures are shared with the importer in rnn.
func TestTorchFixtures(t *testing.T) {
	const bar = 1e-5
	for _, name := range []string{"gru1", "gru2", "lstm1", "lstm2", "lstmproj", "prefix"} {
		t.Run(name, func(t *testing.T) { testTorchFixture(t, name, bar) })
	}
}

func testTorchFixture(t *testing.T, name string, bar float64) {
	fx := loadTorchFixture(t, name)
	forEachTarget(t, func(t *testing.T) {
		for _, form := range []string{"gates", "lowrank", "packed"} {
			for _, batch := range []bool{false, true} {
				what := fmt.Sprintf("%s %s batch=%v", name, form, batch)
				got := fx.run(form, batch)
				for _, k := range []string{"out", "h_n", "c_n", "readout"} {
					want, ok := fx.io[k]
					if !ok {
						continue
					}
					var maxDiff, maxWant float64
					for i := range want {
						maxDiff = max(maxDiff, math.Abs(float64(got[k][i])-float64(want[i])))
						maxWant = max(maxWant, math.Abs(float64(want[i])))
					}
					if rel := maxDiff / maxWant; !(rel <= bar) {
						t.Errorf("%s: %s differs from PyTorch's by %.3g relative (max |diff| %.3g, max |torch| %.3g), want ≤ %g",
							what, k, rel, maxDiff, maxWant, bar)
					} else if form == "gates" && !batch {
						t.Logf("%s: %s within %.2g relative of PyTorch's", what, k, rel)
					}
				}
			}
		}
	})
}

// torchLayer is one layer of a fixture: PyTorch's tensors, row-major.
type torchLayer struct {
	in, hidden, out int    // input width I, units H, state width (H, or P with proj_size)
	wih, whh        Matrix // G·H×I, G·H×out
	bih, bhh        []float32
	whr             Matrix // P×H, or 0×0
}

type torchFixture struct {
	lstm    bool
	gates   int
	layers  []torchLayer
	fcW     Matrix // O×out readout, or 0×0
	fcB     []float32
	t, b    int
	io      map[string][]float32
	ioShape map[string][]int
}

func loadTorchFixture(t *testing.T, name string) *torchFixture {
	t.Helper()
	dir := filepath.Join("..", "testdata", "torch")
	model, err := safetensors.ReadFile(filepath.Join(dir, name+".safetensors"), safetensors.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	io, err := safetensors.ReadFile(filepath.Join(dir, name+".io.safetensors"), safetensors.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	fx := &torchFixture{io: map[string][]float32{}, ioShape: map[string][]int{}}
	for k, ten := range io.Tensors {
		v, err := ten.Float32()
		if err != nil {
			t.Fatalf("%s.io: %s: %v", name, k, err)
		}
		fx.io[k], fx.ioShape[k] = v, ten.Shape
	}
	fx.t, fx.b = fx.ioShape["x"][0], fx.ioShape["x"][1]
	_, fx.lstm = fx.io["c0"]
	fx.gates = 3
	if fx.lstm {
		fx.gates = 4
	}
	prefix := ""
	if name == "prefix" {
		prefix = "rnn."
	}
	mat := func(key string) Matrix {
		ten, ok := model.Tensors[key]
		if !ok {
			return Matrix{}
		}
		v, err := ten.Float32()
		if err != nil || len(ten.Shape) != 2 {
			t.Fatalf("%s: %s: shape %v: %v", name, key, ten.Shape, err)
		}
		return Matrix{Rows: ten.Shape[0], Cols: ten.Shape[1], Stride: ten.Shape[1], Data: v}
	}
	vec := func(key string) []float32 {
		v, err := model.Float32(key)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return v
	}
	for l := 0; ; l++ {
		s := strconv.Itoa(l)
		wih := mat(prefix + "weight_ih_l" + s)
		if wih.Rows == 0 {
			break
		}
		ly := torchLayer{wih: wih, whh: mat(prefix + "weight_hh_l" + s), whr: mat(prefix + "weight_hr_l" + s),
			bih: vec(prefix + "bias_ih_l" + s), bhh: vec(prefix + "bias_hh_l" + s)}
		ly.in, ly.hidden, ly.out = wih.Cols, wih.Rows/fx.gates, wih.Rows/fx.gates
		if ly.whr.Rows > 0 {
			ly.out = ly.whr.Rows
		}
		fx.layers = append(fx.layers, ly)
	}
	fx.fcW = mat("fc.weight")
	if fx.fcW.Rows > 0 {
		fx.fcB = vec("fc.bias")
	}
	for k := range model.Tensors {
		if strings.HasSuffix(k, "_reverse") {
			t.Fatalf("%s: a bidirectional model is not a fixture for this test", name)
		}
	}
	return fx
}

// run returns the outputs of the fixture's model on its inputs, with the
// recurrent weights in form ("gates", "lowrank" or "packed"), stepping
// each sequence alone (GRUStep, LSTMStep) or all together (…Batch).
func (fx *torchFixture) run(form string, batch bool) map[string][]float32 {
	T, B := fx.t, fx.b
	L := len(fx.layers)
	// in holds the current layer's inputs, row t·B+b.
	in := Matrix{Rows: T * B, Cols: fx.ioShape["x"][2], Stride: fx.ioShape["x"][2], Data: fx.io["x"]}
	res := map[string][]float32{"h_n": nil, "c_n": nil}
	for l, ly := range fx.layers {
		var u Operator
		switch form {
		case "gates":
			u = PackGates(ly.whh, fx.gates)
		case "lowrank":
			id := NewMatrix(ly.whh.Cols, ly.whh.Cols)
			for i := 0; i < id.Rows; i++ {
				id.Set(i, i, 1)
			}
			u = PackGatesLowRank(LowRank{U: ly.whh, V: id}, fx.gates)
		case "packed":
			u = Pack(ly.whh)
		}
		var proj Operator
		if ly.whr.Rows > 0 {
			proj = Pack(ly.whr)
		}
		gh := fx.gates * ly.hidden
		xp := NewMatrix(T*B, gh)
		Pack(ly.wih).MatVecBatch(xp, in)
		for r := 0; r < xp.Rows; r++ {
			addTo(xp.Row(r), ly.bih)
		}
		h := Matrix{Rows: B, Cols: ly.out, Stride: ly.out, Data: append([]float32(nil), fx.io["h0"][l*B*ly.out:(l+1)*B*ly.out]...)}
		c := NewMatrix(B, ly.hidden)
		if fx.lstm {
			copy(c.Data, fx.io["c0"][l*B*ly.hidden:])
		}
		outs := NewMatrix(T*B, ly.out)
		hNew, cNew := NewMatrix(B, ly.out), NewMatrix(B, ly.hidden)
		work := make([]float32, 5*B*ly.hidden)
		for s := 0; s < T; s++ {
			xps := Matrix{Rows: B, Cols: gh, Stride: gh, Data: xp.Data[s*B*gh : (s+1)*B*gh]}
			switch {
			case batch && fx.lstm:
				LSTMStepBatch(hNew, cNew, h, c, xps, ly.bhh, u, proj, work)
			case batch:
				GRUStepBatch(hNew, h, xps, ly.bhh, u, work)
			default:
				for k := 0; k < B; k++ {
					if fx.lstm {
						LSTMStep(hNew.Row(k), cNew.Row(k), h.Row(k), c.Row(k), xps.Row(k), ly.bhh, u, proj, work)
					} else {
						GRUStep(hNew.Row(k), h.Row(k), xps.Row(k), ly.bhh, u, work)
					}
				}
			}
			h, hNew = hNew, h
			c, cNew = cNew, c
			copy(outs.Data[s*B*ly.out:], h.Data)
		}
		res["h_n"] = append(res["h_n"], h.Data...)
		res["c_n"] = append(res["c_n"], c.Data...)
		in = outs
		if l == L-1 {
			res["out"] = outs.Data
		}
	}
	if fx.fcW.Rows > 0 {
		ro := NewMatrix(T*B, fx.fcW.Rows)
		Pack(fx.fcW).MatVecBatch(ro, in)
		for r := 0; r < ro.Rows; r++ {
			addTo(ro.Row(r), fx.fcB)
		}
		res["readout"] = ro.Data
	}
	return res
}
