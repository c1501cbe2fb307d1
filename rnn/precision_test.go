package rnn

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/kernels"
	"github.com/lowrank-rnn/lowrank/rnn/safetensors"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

func TestParsePrecision(t *testing.T) {
	for s, want := range map[string]Precision{"f32": F32, "bf16": BF16, "int8": Int8, "32": F32, "16": BF16, " 8 ": Int8} {
		if p, err := ParsePrecision(s); err != nil || p != want {
			t.Errorf("ParsePrecision(%q) = %q, %v; want %q", s, p, err, want)
		}
	}
	for _, s := range []string{"", "f16", "4", "int4", "INT8"} {
		if _, err := ParsePrecision(s); err == nil || !strings.Contains(err.Error(), "want f32, bf16 or int8") {
			t.Errorf("ParsePrecision(%q): err = %v", s, err)
		}
	}
	var ps Precisions
	if err := ps.Set("32,int8"); err != nil || ps.String() != "f32,int8" {
		t.Errorf("Precisions.Set(32,int8) = %v, %v", ps, err)
	}
	if err := ps.Set("8,int8"); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("Precisions.Set(8,int8): err = %v", err)
	}
	for _, p := range AllPrecisions {
		if q, err := ParsePrecision(fmt.Sprint(p.Bits())); err != nil || q != p {
			t.Errorf("%s: Bits() = %d does not parse back: %q, %v", p, p.Bits(), q, err)
		}
	}
}

// quantModes are the compressions every precision test runs: dense, low
// rank, mixed, and the joint MGRU pair.
var quantModes = []struct {
	name  string
	cell  Cell
	ranks [2]int
	joint bool
}{
	{"rnn dense", RNN, [2]int{int(Full), 0}, false},
	{"rnn rank 5", RNN, [2]int{5, 0}, false},
	{"mgru dense", MGRU, [2]int{int(Full), int(Full)}, false},
	{"mgru ranks 4,full", MGRU, [2]int{4, int(Full)}, false},
	{"mgru ranks 3,6", MGRU, [2]int{3, 6}, false},
	{"mgru joint 5", MGRU, [2]int{5, 5}, true},
}

// TestCompressPrecision compresses models in every precision and mode and
// checks what the compressed model holds: weights on the bf16 grid or the
// int8 grid of their rows' scales, the bytes a step reads, a stream that
// runs the quantized kernels, and a file that loads back to the same
// weights and the same outputs, bit for bit.
func TestCompressPrecision(t *testing.T) {
	const n, in = 24, 3
	x := []float32{0.5, -1, 0.25}
	for _, mode := range quantModes {
		m, err := New(Config{Cell: mode.cell, In: in, Hidden: n, Out: 2, Objective: Regression}, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range AllPrecisions {
			name := fmt.Sprintf("%s %s", mode.name, p)
			c, err := Compress(m, CompressSpec{Ranks: mode.ranks, Joint: mode.joint, Precision: p})
			if p == F32 && mode.ranks[0] == int(Full) && (mode.cell == RNN || mode.ranks[1] == int(Full)) {
				if err == nil || !strings.Contains(err.Error(), "nothing to compress") {
					t.Errorf("%s: err = %v, want nothing to compress", name, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if c.Precision() != p {
				t.Errorf("%s: Precision() = %s", name, c.Precision())
			}
			checkGrid(t, name, c)
			wantBytes := 0
			for g := 0; g < m.Cell.gates(); g++ {
				rows, cols := []int{n}, []int{n}
				if r := c.Ranks[g]; r != int(Full) {
					rows, cols = []int{n, r}, []int{r, n}
					if mode.joint && g == 1 {
						rows, cols = []int{n}, []int{r}
					}
				}
				for k := range rows {
					wantBytes += rows[k] * cols[k] * p.Bits() / 8
					if p == Int8 {
						wantBytes += 4 * rows[k]
					}
				}
			}
			if got := c.RecurrentBytes(); got != wantBytes {
				t.Errorf("%s: RecurrentBytes() = %d, want %d", name, got, wantBytes)
			}

			// The stream runs the kernels; the file brings back the same.
			y := slices.Clone(c.NewStream().Step(x))
			var buf bytes.Buffer
			if err := c.Write(&buf, map[string]string{"k": "v"}); err != nil {
				t.Fatalf("%s: Write: %v", name, err)
			}
			got, meta, err := ReadCompressed(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatalf("%s: ReadCompressed of its own file: %v", name, err)
			}
			if got.Precision() != p || got.Ranks != c.Ranks || got.Spec.Joint != mode.joint || meta["k"] != "v" {
				t.Fatalf("%s: loaded precision %s ranks %v joint %v meta %v", name, got.Precision(), got.Ranks, got.Spec.Joint, meta)
			}
			for g := 0; g < m.Cell.gates(); g++ {
				if !slices.Equal(got.U[g].Data, c.U[g].Data) {
					t.Errorf("%s: gate %d: the loaded weights differ from the saved ones", name, g)
				}
			}
			if y2 := got.NewStream().Step(x); !slices.Equal(y2, y) {
				t.Errorf("%s: the loaded model's stream gives %v, the original's %v", name, y2, y)
			}
			if rb := got.RecurrentBytes(); rb != wantBytes {
				t.Errorf("%s: loaded RecurrentBytes() = %d, want %d", name, rb, wantBytes)
			}
		}
	}
}

// checkGrid checks that the weights of c lie on the grid of its precision.
func checkGrid(t *testing.T, name string, c *Compressed) {
	t.Helper()
	var mats []kernels.Matrix
	for g := 0; g < c.Cell.gates(); g++ {
		if c.Ranks[g] == int(Full) {
			mats = append(mats, c.U[g])
		} else {
			mats = append(mats, c.Factors[g].U, c.Factors[g].V)
		}
	}
	for _, a := range mats {
		for i := 0; i < a.Rows; i++ {
			row := a.Row(i)
			var mx float32
			for _, v := range row {
				mx = max(mx, float32(math.Abs(float64(v))))
			}
			for _, v := range row {
				switch c.Precision() {
				case BF16:
					if math.Float32bits(v)&0xffff != 0 {
						t.Fatalf("%s: weight %v is not a bf16 value", name, v)
					}
				case Int8:
					// On the grid of the row's scale s = max/64: v/s an
					// integer, up to the rounding of v = s·q to float32.
					q := float64(v) / (float64(mx) / 64)
					if d := math.Abs(q - math.Round(q)); d > 1e-5 || math.Abs(q) > 64.00001 {
						t.Fatalf("%s: weight %v is %v steps of the row's scale, not an integer in [−64, 64]", name, v, q)
					}
				}
			}
		}
	}
}

// TestStreamQuantized checks that a quantized stream runs the quantized
// kernels: its outputs differ from the dequantized model's on the float32
// kernels, but only by the quantization of the state, a few percent.
func TestStreamQuantized(t *testing.T) {
	m, err := New(Config{Cell: MGRU, In: 3, Hidden: 32, Out: 2, Objective: Regression}, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []Precision{BF16, Int8} {
		c, err := Compress(m, CompressSpec{Ranks: [2]int{int(Full), int(Full)}, Precision: p})
		if err != nil {
			t.Fatal(err)
		}
		sq, sf := c.NewStream(), c.Model.NewStream()
		var num, den float64
		for step := range 50 {
			x := []float32{float32(math.Sin(float64(step))), 0.5, -0.25}
			yq := sq.Step(x)
			yf := sf.Step(x)
			for i, v := range yq {
				d := float64(v - yf[i])
				num += d * d
				den += float64(yf[i]) * float64(yf[i])
			}
		}
		rel := math.Sqrt(num / den)
		if !(rel > 0) || rel > 0.03 {
			t.Errorf("%s: the stream's outputs are %.3g from the dequantized model's, want (0, 0.03]", p, rel)
		}
	}
}

func TestCompressPrecisionErrors(t *testing.T) {
	m, err := New(Config{Cell: MGRU, In: 2, Hidden: 8, Out: 2, Objective: Regression}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		spec CompressSpec
		want string
	}{
		{CompressSpec{Ranks: [2]int{4, 4}, Precision: "int4"}, "unknown precision"},
		{CompressSpec{Ranks: [2]int{int(Full), int(Full)}}, "nothing to compress"},
		{CompressSpec{Ranks: [2]int{int(Full), int(Full)}, Precision: Int8, Method: Whitened}, "nothing is truncated"},
		{CompressSpec{Ranks: [2]int{int(Full), int(Full)}, Precision: Int8, Joint: true}, "joint truncation has one rank"},
	} {
		if _, err := Compress(m, c.spec); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Compress(%+v): err = %v, want one saying %q", c.spec, err, c.want)
		}
	}
	big, err := New(Config{Cell: RNN, In: 2, Hidden: kernels.MaxInt8Rank + 20, Out: 2, Objective: Regression}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Compress(big, CompressSpec{Ranks: [2]int{kernels.MaxInt8Rank + 1}, Precision: Int8}); err == nil || !strings.Contains(err.Error(), "int8 low rank supports ranks up to") {
		t.Errorf("int8 rank %d: err = %v", kernels.MaxInt8Rank+1, err)
	}
}

// TestQuantizedFileErrors loads quantized files that are wrong in one way
// each: every one is an error that says what, never a panic.
func TestQuantizedFileErrors(t *testing.T) {
	m, err := New(Config{Cell: MGRU, In: 2, Hidden: 8, Out: 2, Objective: Regression}, 1)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compress(m, CompressSpec{Ranks: [2]int{3, int(Full)}, Precision: Int8})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(f *safetensors.File)
		want   string
	}{
		{"weight out of range", func(f *safetensors.File) { f.Tensors["U_h"].Data[5] = 100 }, "= 100 outside [−64, 64]"},
		{"-128", func(f *safetensors.File) { f.Tensors["U_f.left"].Data[0] = 0x80 }, "= -128 outside"},
		{"NaN scale", func(f *safetensors.File) {
			f.Tensors["U_f.right.scale"] = safetensors.FromFloat32([]int{3}, []float32{1, float32(math.NaN()), 1})
		}, "U_f.right.scale"},
		{"missing scale", func(f *safetensors.File) { delete(f.Tensors, "U_h.scale") }, `"U_h.scale" not found`},
		{"F32 instead of I8", func(f *safetensors.File) {
			f.Tensors["U_h"] = safetensors.FromFloat32([]int{8, 8}, make([]float32, 64))
		}, "dtype F32, want I8"},
		{"wrong shape", func(f *safetensors.File) {
			f.Tensors["U_f.left"] = safetensors.FromInt8([]int{3, 8}, make([]int8, 24))
		}, "shape [3 8], want [8 3]"},
		{"bad precision", func(f *safetensors.File) { f.Metadata["precision"] = "int4" }, "metadata precision"},
		{"f32 full", func(f *safetensors.File) { f.Metadata["precision"] = "f32"; f.Metadata["ranks"] = "full,full" }, ""},
		{"method none with a rank", func(f *safetensors.File) { f.Metadata["compressed"] = "none" }, `"none" is the method`},
	} {
		f, err := c.File(nil)
		if err != nil {
			t.Fatal(err)
		}
		tc.change(f)
		var buf bytes.Buffer
		if err := safetensors.Write(&buf, f); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		_, _, err = ReadCompressed(&buf)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one saying %q", tc.name, err, tc.want)
		}
	}
}

// TestSweepPrecisions runs a sweep with the precision axis: one float32
// dense row, the dense model in each lower precision, and every rank in
// float32 and, below n/2, in every precision, with the bytes falling as
// the precision does.
func TestSweepPrecisions(t *testing.T) {
	tb := smallTestbed(t)
	rows, err := tb.Sweep(Ranks{2, 4, 5}, []Method{SVD, Whitened}, AllPrecisions)
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		r Rank
		m Method
		p Precision
	}
	seen := map[key]Damage{}
	for _, d := range rows {
		k := key{d.Rank, d.Method, d.Precision}
		if _, dup := seen[k]; dup {
			t.Errorf("row %+v twice", k)
		}
		seen[k] = d
		if d.Bytes <= 0 || d.Params <= 0 || math.IsNaN(d.MetricRel) || math.IsNaN(d.RelErr) || math.IsNaN(d.Predicted) {
			t.Errorf("row %+v: bytes %d params %d kept %v relerr %v predicted %v", k, d.Bytes, d.Params, d.MetricRel, d.RelErr, d.Predicted)
		}
	}
	if want := 1 + 2 + 3*2 + 2*2*2; len(rows) != want {
		t.Errorf("%d rows, want %d (f32 dense, 2 quantized dense, 3 ranks × 2 methods in f32, 2 below n/2 × 2 methods × 2 precisions)", len(rows), want)
	}
	if _, ok := seen[key{5, SVD, Int8}]; ok {
		t.Errorf("rank 5 of n = 10 in int8: it reads as many bytes as the dense int8 model")
	}
	n := tb.Model.Hidden
	for _, p := range []Precision{BF16, Int8} {
		d := seen[key{Full, "", p}]
		f32 := seen[key{Full, "", F32}]
		if d.Bytes >= f32.Bytes || d.Params != f32.Params || d.RelErr == 0 {
			t.Errorf("dense %s: bytes %d params %d relerr %v; f32 bytes %d", p, d.Bytes, d.Params, d.RelErr, f32.Bytes)
		}
		lr := seen[key{4, SVD, p}]
		if lr.Bytes >= seen[key{4, SVD, F32}].Bytes || lr.Params != seen[key{4, SVD, F32}].Params || lr.MulAdds != 2*4*2*n {
			t.Errorf("rank 4 %s: %+v", p, lr)
		}
	}
}

// smallTestbed is a recall testbed of a 10-unit MGRU, as in TestTestbed.
func smallTestbed(t *testing.T) *Testbed {
	t.Helper()
	rec := task.Recall{Rho: 0.5, K: 3, T: 30}
	m, _ := New(ConfigFor(rec.Spec(), MGRU, 10), 4)
	path := filepath.Join(t.TempDir(), "recall.safetensors")
	meta := map[string]string{"task": rec.Spec().Name, "rho": "0.5", "T": "30", "data_seed": "1"}
	if err := m.Save(path, meta); err != nil {
		t.Fatal(err)
	}
	tb, err := LoadTestbed(path, 40, "")
	if err != nil {
		t.Fatal(err)
	}
	return tb
}
