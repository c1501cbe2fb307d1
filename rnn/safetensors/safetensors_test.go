package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// stream hides the concrete reader, so Read cannot know the size and must
// take its unknown-size path.
type stream struct{ io.Reader }

// raw builds a file from a header (written as given, no padding) and data.
func raw(header string, data ...byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

// le32 returns the little-endian bytes of v.
func le32(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func mustWrite(t *testing.T, f *File) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, f); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

// sameFile reports how a and b differ, or "" if they hold the same
// metadata and tensors (an empty map and a nil one are the same).
func sameFile(a, b *File) string {
	if len(a.Metadata) != len(b.Metadata) {
		return "metadata differ"
	}
	for k, v := range a.Metadata {
		if w, ok := b.Metadata[k]; !ok || v != w {
			return "metadata key " + k + " differs"
		}
	}
	if len(a.Tensors) != len(b.Tensors) {
		return "tensor counts differ"
	}
	for name, x := range a.Tensors {
		y, ok := b.Tensors[name]
		if !ok || x.DType != y.DType || !slices.Equal(x.Shape, y.Shape) || !bytes.Equal(x.Data, y.Data) {
			return "tensor " + name + " differs"
		}
	}
	return ""
}

func testModel() *File {
	return &File{
		Metadata: map[string]string{
			"cell":    "mgru",
			"escapes": "quote\" backslash\\ nl\n tab\t ctl\x01 html<>& sep\u2028 é",
			"":        "empty key",
		},
		Tensors: map[string]Tensor{
			"W_h":      FromFloat32([]int{2, 3}, []float32{1, -2, 3.5, float32(math.Inf(1)), 0, -0.25}),
			"U_h":      FromFloat32([]int{3, 3}, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}),
			"b":        FromFloat32([]int{3}, []float32{0.5, 0.25, 0.125}),
			"scalar":   FromFloat64([]int{}, []float64{math.Pi}),
			"steps":    FromInt64([]int{1}, []int64{-1 << 40}),
			"seed":     FromInt32([]int{2}, []int32{7, -7}),
			"empty":    FromFloat32([]int{0, 4}, nil),
			"mask":     {DType: BOOL, Shape: []int{3}, Data: []byte{1, 0, 1}},
			"half":     {DType: F16, Shape: []int{1}, Data: []byte{0x00, 0x3c}},
			"packed":   {DType: F4, Shape: []int{4}, Data: []byte{0x12, 0x34}},
			"naïve \"": FromFloat32([]int{1}, []float32{42}),
		},
	}
}

func TestRoundTrip(t *testing.T) {
	f := testModel()
	out := mustWrite(t, f)
	if again := mustWrite(t, testModel()); !bytes.Equal(out, again) {
		t.Fatal("writing the same model twice gave different bytes")
	}
	n := binary.LittleEndian.Uint64(out)
	if n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	for _, r := range []io.Reader{bytes.NewReader(out), stream{bytes.NewReader(out)}} {
		g, err := Read(r, Limits{})
		if err != nil {
			t.Fatalf("Read(%T): %v", r, err)
		}
		if d := sameFile(f, g); d != "" {
			t.Fatalf("Read(%T): %s", r, d)
		}
		if again := mustWrite(t, g); !bytes.Equal(out, again) {
			t.Fatalf("Read(%T) then Write gave different bytes", r)
		}
	}

	// Every tensor's data is aligned to its element size in the file, as
	// the reference writer guarantees.
	var header map[string]json.RawMessage
	if err := json.Unmarshal(out[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	for name, msg := range header {
		if name == "__metadata__" {
			continue
		}
		var e struct {
			DType   string  `json:"dtype"`
			Offsets []int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(msg, &e); err != nil {
			t.Fatal(err)
		}
		off := 8 + int64(n) + e.Offsets[0]
		if size := int64(max(ElementBits(e.DType)/8, 1)); off%size != 0 {
			t.Errorf("tensor %q (%s) starts at byte %d, not aligned to %d", name, e.DType, off, size)
		}
	}
}

func TestReadWriteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.safetensors")
	f := testModel()
	if err := WriteFile(path, f); err != nil {
		t.Fatal(err)
	}
	g, err := ReadFile(path, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if d := sameFile(f, g); d != "" {
		t.Fatal(d)
	}

	// Errors about the content carry the path.
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, b[:len(b)-1], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadFile(path, Limits{})
	if err == nil || !strings.HasPrefix(err.Error(), path+": tensor ") || !strings.Contains(err.Error(), "reach past the end of the file") {
		t.Fatalf("truncated file: got %v, want %s: tensor …: … reach past the end of the file", err, path)
	}

	// An *os.File not at its start: the size left is what counts.
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := os.WriteFile(path, append([]byte("junk"), b...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Seek(4, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if g, err = Read(in, Limits{}); err != nil {
		t.Fatal(err)
	}
	if d := sameFile(f, g); d != "" {
		t.Fatal(d)
	}
}

// WriteFile replaces a file only with a complete, readable one: a File it
// refuses leaves the previous file as it was, and no temporary file.
func TestWriteFileKeepsPrevious(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	if err := WriteFile(path, testModel()); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(path)
	bad := &File{Tensors: map[string]Tensor{"w": {DType: F32, Shape: []int{2}, Data: make([]byte, 7)}}}
	if err := WriteFile(path, bad); err == nil || !strings.HasPrefix(err.Error(), path+`: tensor "w"`) {
		t.Errorf("WriteFile of a malformed File: %v", err)
	}
	if err := WriteFile(dir, testModel()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("WriteFile to a directory: %v", err)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, old) {
		t.Error("a refused WriteFile changed the previous file")
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("the directory holds %d entries, want the file alone", len(es))
	}
	one := &File{Tensors: map[string]Tensor{"x": FromFloat32([]int{1}, []float32{1})}}
	if err := WriteFile(path, one); err != nil {
		t.Fatal(err)
	}
	if g, err := ReadFile(path, Limits{}); err != nil || sameFile(one, g) != "" {
		t.Errorf("the replacement reads back as %v, %v", g, err)
	}
}

// The files a reference writer (Python's safetensors.torch.save_file or
// the Rust crate) produces, built here by hand from the format's rules: the
// __metadata__ entry first, then tensors by descending element width and
// then by name, each range following the last, the header padded with
// spaces so that the data starts at a multiple of 8. The "single" and
// "mixed" bytes are those Python's safetensors 0.8.0 (with torch) writes
// for the same tensors, checked once on a machine that has it.
func TestInterop(t *testing.T) {
	t.Run("single", func(t *testing.T) {
		header := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
		if len(header) != 54 {
			t.Fatalf("test header is %d bytes", len(header))
		}
		want := append([]byte{56, 0, 0, 0, 0, 0, 0, 0}, header+"  "...)
		want = append(want, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40) // 1.0, 2.0
		f := &File{Tensors: map[string]Tensor{"a": FromFloat32([]int{2}, []float32{1, 2})}}
		if got := mustWrite(t, f); !bytes.Equal(got, want) {
			t.Errorf("Write:\n got %q\nwant %q", got, want)
		}
		g, err := Read(bytes.NewReader(want), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if v, err := g.Float32("a", 2); err != nil || !slices.Equal(v, []float32{1, 2}) {
			t.Errorf("a = %v, %v; want [1 2]", v, err)
		}
	})
	t.Run("mixed", func(t *testing.T) {
		header := `{"__metadata__":{"format":"pt"},` +
			`"c":{"dtype":"F64","shape":[],"data_offsets":[0,8]},` +
			`"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},` +
			`"b":{"dtype":"I32","shape":[1],"data_offsets":[16,20]}}`
		for len(header)%8 != 0 {
			header += " "
		}
		data := binary.LittleEndian.AppendUint64(nil, math.Float64bits(0.25))
		data = append(data, le32(1, 2)...)
		data = binary.LittleEndian.AppendUint32(data, 7)
		want := raw(header, data...)
		f := &File{
			Metadata: map[string]string{"format": "pt"},
			Tensors: map[string]Tensor{
				"b": FromInt32([]int{1}, []int32{7}),
				"a": FromFloat32([]int{2}, []float32{1, 2}),
				"c": FromFloat64([]int{}, []float64{0.25}),
			},
		}
		if got := mustWrite(t, f); !bytes.Equal(got, want) {
			t.Errorf("Write:\n got %q\nwant %q", got, want)
		}
	})
	t.Run("other writers", func(t *testing.T) {
		// Key order unlike the data order, whitespace, no padding, escapes:
		// all valid JSON, all accepted.
		header := "{\n  \"b\\u0031\": {\"shape\": [1], \"data_offsets\": [8, 12], \"dtype\": \"F32\"},\n" +
			"  \"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},\n" +
			"  \"__metadata__\": {\"k\": \"v\\n\"}\n}\n"
		g, err := Read(bytes.NewReader(raw(header, le32(1, 2, 3)...)), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := g.Float32("a")
		b1, _ := g.Float32("b1")
		if !slices.Equal(a, []float32{1, 2}) || !slices.Equal(b1, []float32{3}) || g.Metadata["k"] != "v\n" {
			t.Errorf("got a=%v b1=%v metadata=%q", a, b1, g.Metadata)
		}
	})
	t.Run("empty", func(t *testing.T) {
		want := raw("{}      ")
		if got := mustWrite(t, &File{Metadata: map[string]string{}}); !bytes.Equal(got, want) {
			t.Errorf("Write:\n got %q\nwant %q", got, want)
		}
		g, err := Read(bytes.NewReader(want), Limits{})
		if err != nil || len(g.Tensors) != 0 || g.Metadata != nil {
			t.Errorf("Read = %+v, %v; want an empty file", g, err)
		}
	})
}

// entry1 is a valid one-tensor header entry: "a", F32, [2], bytes [0, 8).
const entry1 = `"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}`

func TestReadErrors(t *testing.T) {
	data8 := le32(1, 2)
	huge := func(n uint64) []byte { return binary.LittleEndian.AppendUint64(nil, n) }
	cases := []struct {
		name   string
		file   []byte
		lim    Limits
		stream bool     // read through a reader of unknown size
		want   []string // substrings of the error
		eof    bool     // errors.Is(err, io.ErrUnexpectedEOF)
	}{
		// Truncation.
		{name: "empty file", file: nil, want: []string{"file ends after 0 bytes"}, eof: true},
		{name: "short length", file: []byte{1, 2, 3}, want: []string{"inside the 8-byte header length"}, eof: true},
		{name: "header past file", file: raw(`{` + entry1 + `}`)[:20], want: []string{"header length 54 runs past the end of the file (12 bytes follow"}, eof: true},
		{name: "header truncated", file: raw(`{` + entry1 + `}`)[:20], stream: true, want: []string{"file ends inside the header: 12 of 54 bytes"}, eof: true},
		{name: "data past file", file: raw(`{`+entry1+`}`, 1, 2, 3), want: []string{`tensor "a": data_offsets [0, 8] reach past the end of the file (3 data bytes)`}},
		{name: "data truncated", file: raw(`{`+entry1+`,"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, le32(1, 2, 3)[:10]...), stream: true,
			want: []string{`tensor "b": file ends inside its data: data_offsets [8, 12], data section ends at 10`}, eof: true},

		// Lengths that lie.
		{name: "header length 2^63", file: append(huge(1<<63), `{}`...), want: []string{"header length 9223372036854775808 exceeds the limit of 16777216 bytes (Limits.MaxHeader)"}},
		{name: "header length 2^64-1", file: append(huge(math.MaxUint64), `{}`...), stream: true, want: []string{"header length 18446744073709551615 exceeds the limit"}},
		{name: "header length over limit", file: raw(`{` + entry1 + `}`), lim: Limits{MaxHeader: 53}, want: []string{"header length 54 exceeds the limit of 53 bytes"}},
		{name: "header length 0", file: huge(0), want: []string{"header length 0 is too short"}},
		{name: "data over limit", file: raw(`{` + entry1 + `}`), lim: Limits{MaxData: 7}, stream: true,
			want: []string{`tensor "a": data_offsets [0, 8] reach past the limit of 7 bytes (Limits.MaxData)`}},
		{name: "too many tensors", file: raw(`{`+entry1+`,"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, le32(1, 2, 3)...), lim: Limits{MaxTensors: 1},
			want: []string{"more than 1 tensors (Limits.MaxTensors)"}},

		// Not JSON, or not the expected JSON.
		{name: "invalid JSON", file: raw(`{"a":{"dtype":"F32",`), want: []string{`tensor "a": header is not valid JSON`}},
		{name: "not an object", file: raw(`[1, 2]  `), want: []string{"header does not start with '{'"}},
		{name: "leading space", file: raw(` {}`), want: []string{"header does not start with '{'"}},
		{name: "invalid UTF-8", file: raw("{\"\xff\":1}"), want: []string{"header is not valid UTF-8"}},
		{name: "garbage after object", file: raw(`{} x`), want: []string{"header is not valid JSON after its object"}},
		{name: "two objects", file: raw(`{}{}`), want: []string{`header has "{" after its object`}},
		{name: "entry not an object", file: raw(`{"a":[1]}`), want: []string{`tensor "a": its entry: got "[", want "{"`}},
		{name: "entry null", file: raw(`{"a":null}`), want: []string{`tensor "a": its entry: got null, want "{"`}},
		{name: "unknown field", file: raw(`{"a":{"dtype":"F32","shape":[2],"offsets":[0,8]}}`, data8...), want: []string{`tensor "a": unknown field "offsets"`}},
		{name: "no dtype", file: raw(`{"a":{"shape":[2],"data_offsets":[0,8]}}`, data8...), want: []string{`tensor "a": entry has no dtype`}},
		{name: "no shape", file: raw(`{"a":{"dtype":"F32","data_offsets":[0,8]}}`, data8...), want: []string{`tensor "a": entry has no shape`}},
		{name: "no offsets", file: raw(`{"a":{"dtype":"F32","shape":[2]}}`, data8...), want: []string{`tensor "a": entry has no data_offsets`}},

		// Duplicates.
		{name: "duplicate tensor", file: raw(`{`+entry1+`,`+entry1+`}`, data8...), want: []string{`tensor "a": duplicate tensor name`}},
		{name: "duplicate escaped", file: raw(`{`+entry1+`,"\u0061":{}}`, data8...), want: []string{`tensor "a": duplicate tensor name`}},
		{name: "duplicate metadata", file: raw(`{"__metadata__":{},"__metadata__":{}}`), want: []string{"duplicate __metadata__"}},
		{name: "duplicate field", file: raw(`{"a":{"dtype":"F32","dtype":"U8","shape":[2],"data_offsets":[0,8]}}`, data8...), want: []string{`tensor "a": field "dtype" appears twice`}},
		{name: "duplicate metadata key", file: raw(`{"__metadata__":{"k":"1","k":"2"}}`), want: []string{`__metadata__ has key "k" twice`}},

		// Names and metadata.
		{name: "empty name", file: raw(`{"":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, data8...), want: []string{"a tensor has an empty name"}},
		{name: "metadata number", file: raw(`{"__metadata__":{"k":1}}`), want: []string{`__metadata__ value of "k" is number 1, want a string`}},
		{name: "metadata object", file: raw(`{"__metadata__":{"k":{"x":"y"}}}`), want: []string{`__metadata__ value of "k" is "{", want a string`}},
		{name: "metadata null", file: raw(`{"__metadata__":{"k":null}}`), want: []string{`__metadata__ value of "k" is null, want a string`}},
		{name: "metadata not an object", file: raw(`{"__metadata__":"x"}`), want: []string{`__metadata__: got string "x", want "{"`}},

		// Dtypes and shapes.
		{name: "unknown dtype", file: raw(`{"a":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}}`, data8...), want: []string{`tensor "a": unknown dtype "F31"`}},
		{name: "lowercase dtype", file: raw(`{"a":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}}`, data8...), want: []string{`tensor "a": unknown dtype "f32"`}},
		{name: "dtype not a string", file: raw(`{"a":{"dtype":32,"shape":[2],"data_offsets":[0,8]}}`, data8...), want: []string{`tensor "a": dtype is number 32, want a string`}},
		{name: "negative dim", file: raw(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, data8...), want: []string{`tensor "a": shape holds -2, want a non-negative integer`}},
		{name: "fractional dim", file: raw(`{"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}`, data8...), want: []string{`tensor "a": shape holds 2.0`}},
		{name: "exponent dim", file: raw(`{"a":{"dtype":"F32","shape":[2e0],"data_offsets":[0,8]}}`, data8...), want: []string{`tensor "a": shape holds 2e0`}},
		{name: "string dim", file: raw(`{"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}`, data8...), want: []string{`tensor "a": shape holds string "2", want non-negative integers`}},
		{name: "nested dim", file: raw(`{"a":{"dtype":"F32","shape":[[2]],"data_offsets":[0,8]}}`, data8...), want: []string{`tensor "a": shape holds "["`}},
		{name: "dim 2^63", file: raw(`{"a":{"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,8]}}`, data8...), want: []string{`tensor "a": shape holds 9223372036854775808, want a non-negative integer below 2^63`}},
		{name: "shape not an array", file: raw(`{"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}}`, data8...), want: []string{`tensor "a": shape: got number 2, want "["`}},
		{name: "element count overflow", file: raw(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, data8...), want: []string{`tensor "a": shape [4294967296 4294967296]: element count overflows int64`}},
		{name: "overflow after zero", file: raw(`{"a":{"dtype":"F32","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}}`), want: []string{`tensor "a": shape [0 4294967296 4294967296]: element count overflows`}},
		{name: "size overflow", file: raw(`{"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]}}`, data8...), want: []string{`tensor "a": shape [2305843009213693952] of F64: size in bits overflows int64`}},
		{name: "wrap to small size", file: raw(`{"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}}`), want: []string{`tensor "a": shape [4611686018427387904] of F32: size in bits overflows`}},
		{name: "partial byte", file: raw(`{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}`, 0, 0), want: []string{`tensor "a": shape [3] of F4 is 12 bits, not a whole number of bytes`}},

		// Offsets.
		{name: "offsets disagree with shape", file: raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 1, 2, 3, 4), want: []string{`tensor "a": shape [2] of F32 needs 8 bytes, but data_offsets [0, 4] hold 4`}},
		{name: "offsets reversed", file: raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}`, data8...), want: []string{`tensor "a": data_offsets [8, 0] end before they begin`}},
		{name: "three offsets", file: raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}}`, data8...), want: []string{`tensor "a": data_offsets has more than 2 numbers`}},
		{name: "one offset", file: raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[8]}}`, data8...), want: []string{`tensor "a": data_offsets has 1 numbers, want 2`}},
		{name: "rank 65", file: raw(`{"a":{"dtype":"F32","shape":[`+strings.Repeat("1,", 64)+`2],"data_offsets":[0,8]}}`, data8...), want: []string{`tensor "a": shape has more than 64 numbers`}},
		{name: "negative offset", file: raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}`, data8...), want: []string{`tensor "a": data_offsets holds -8`}},
		{name: "offsets past 2^63", file: raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[18446744073709551608,0]}}`, data8...), want: []string{`tensor "a": data_offsets holds 18446744073709551608`}},
		{name: "offset far out of range", file: raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[9223372036854775799,9223372036854775807]}}`, data8...),
			want: []string{`tensor "a": data_offsets [9223372036854775799, 9223372036854775807] reach past the end of the file (8 data bytes)`}},
		{name: "out of range", file: raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[1000,1008]}}`, data8...), want: []string{`tensor "a": data_offsets [1000, 1008] reach past the end of the file (8 data bytes)`}},
		{name: "overlap", file: raw(`{`+entry1+`,"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, le32(1, 2, 3)...),
			want: []string{`tensor "b": data_offsets [4, 12] overlap those of tensor "a" [0, 8]`}},
		{name: "same range twice", file: raw(`{`+entry1+`,"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, data8...),
			want: []string{`tensor "b": data_offsets [0, 8] overlap those of tensor "a" [0, 8]`}},
		{name: "empty tensor inside another", file: raw(`{`+entry1+`,"b":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}`, data8...),
			want: []string{`tensor "b": data_offsets [4, 4] overlap those of tensor "a" [0, 8]`}},
		{name: "hole", file: raw(`{`+entry1+`,"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}`, le32(1, 2, 3, 4)...),
			want: []string{`tensor "b": data_offsets [12, 16] leave bytes [8, 12) of the data section to no tensor`}},
		{name: "hole at start", file: raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, le32(1, 2, 3)...),
			want: []string{`tensor "a": data_offsets [4, 12] leave bytes [0, 4) of the data section to no tensor`}},
		{name: "trailing bytes", file: raw(`{`+entry1+`}`, le32(1, 2, 3)...), want: []string{"4 bytes follow the last tensor's data"}},
		{name: "trailing bytes stream", file: raw(`{`+entry1+`}`, le32(1, 2, 3)...), stream: true, want: []string{"bytes follow the last tensor's data"}},
		{name: "data but no tensors", file: raw(`{}`, 0), want: []string{"1 bytes follow the last tensor's data"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r io.Reader = bytes.NewReader(c.file)
			if c.stream {
				r = stream{r}
			}
			f, err := Read(r, c.lim)
			if err == nil {
				t.Fatalf("Read succeeded: %+v", f)
			}
			if _, ok := errors.AsType[*FormatError](err); !ok {
				t.Errorf("error %T is not a *FormatError", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n  %v\ndoes not contain\n  %s", err, w)
				}
			}
			if c.eof != errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("errors.Is(err, io.ErrUnexpectedEOF) = %v, want %v", !c.eof, c.eof)
			}
			// The other path must refuse the file too.
			r = bytes.NewReader(c.file)
			if !c.stream {
				r = stream{r}
			}
			if _, err := Read(r, c.lim); err == nil {
				t.Errorf("Read(%T) accepted the file", r)
			}
		})
	}
}

// A reader error that is not EOF is reported as such.
func TestReadIOError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader(raw(`{`+entry1+`}`, 1, 2)), &errReader{boom})
	_, err := Read(r, Limits{})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), `tensor "a": file ends inside its data`) {
		t.Fatalf("got %v, want one wrapping boom", err)
	}
}

type errReader struct{ err error }

func (r *errReader) Read([]byte) (int, error) { return 0, r.err }

// allocated returns the bytes allocated while running f.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Declared sizes far beyond what the file holds fail without allocating
// for them, even with limits that would allow them.
func TestHugeDeclarations(t *testing.T) {
	big := Limits{MaxHeader: 1 << 62, MaxData: 1 << 62, MaxTensors: 1 << 30}
	hugeData := raw(`{"a":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,4398046511104]}}`, 1, 2, 3)
	cases := []struct {
		name string
		file []byte
		lim  Limits
	}{
		{"header 2^63, default limits", append(binary.LittleEndian.AppendUint64(nil, 1<<63), "{}"...), Limits{}},
		{"header 2^62, huge limits", append(binary.LittleEndian.AppendUint64(nil, 1<<62), "{}"...), big},
		{"data 4 TiB, default limits", hugeData, Limits{}},
		{"data 4 TiB, huge limits", hugeData, big},
	}
	for _, c := range cases {
		for _, sized := range []bool{true, false} {
			var err error
			n := allocated(func() {
				var r io.Reader = bytes.NewReader(c.file)
				if !sized {
					r = stream{r}
				}
				_, err = Read(r, c.lim)
			})
			if err == nil {
				t.Errorf("%s (sized %v): Read succeeded", c.name, sized)
			}
			// 64 KiB is the first buffer for a reader of unknown size.
			if n > 128<<10 {
				t.Errorf("%s (sized %v): allocated %d bytes; want < 128 KiB (%v)", c.name, sized, n, err)
			}
		}
	}
}

// A stream that delivers far less than it declares costs memory in
// proportion to what it delivered.
func TestStreamAllocation(t *testing.T) {
	body := make([]byte, 1<<20)
	file := raw(`{"a":{"dtype":"U8","shape":[1073741824],"data_offsets":[0,1073741824]}}`, body...)
	var err error
	n := allocated(func() {
		_, err = Read(stream{bytes.NewReader(file)}, Limits{})
	})
	if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v, want a truncation error", err)
	}
	if n > 8<<20 {
		t.Errorf("allocated %d bytes for 1 MiB of data declared as 1 GiB; want < 8 MiB", n)
	}
}

func TestWriteErrors(t *testing.T) {
	cases := []struct {
		name string
		f    *File
		want string
	}{
		{"empty name", &File{Tensors: map[string]Tensor{"": FromFloat32([]int{1}, []float32{1})}}, "a tensor has an empty name"},
		{"reserved name", &File{Tensors: map[string]Tensor{"__metadata__": FromFloat32([]int{1}, []float32{1})}}, `tensor "__metadata__": the name is reserved`},
		{"bad UTF-8 name", &File{Tensors: map[string]Tensor{"\xff": FromFloat32([]int{1}, []float32{1})}}, "not valid UTF-8"},
		{"bad UTF-8 metadata", &File{Metadata: map[string]string{"k": "\xff"}}, `metadata "k": key or value is not valid UTF-8`},
		{"unknown dtype", &File{Tensors: map[string]Tensor{"w": {DType: "F31", Shape: []int{1}, Data: make([]byte, 4)}}}, `tensor "w": unknown dtype "F31"`},
		{"short data", &File{Tensors: map[string]Tensor{"w": {DType: F32, Shape: []int{2}, Data: make([]byte, 4)}}}, `tensor "w": shape [2] of F32 needs 8 bytes, Data has 4`},
		{"negative dim", &File{Tensors: map[string]Tensor{"w": {DType: F32, Shape: []int{-1}}}}, `tensor "w": shape [-1]: dimension 0 is negative`},
		{"rank 65", &File{Tensors: map[string]Tensor{"w": {DType: F32, Shape: make([]int, 65)}}}, `tensor "w": shape has 65 dimensions, more than 64`},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		err := Write(&buf, c.f)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %s", c.name, err, c.want)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: wrote %d bytes before failing", c.name, buf.Len())
		}
	}

	path := filepath.Join(t.TempDir(), "bad.safetensors")
	err := WriteFile(path, &File{Tensors: map[string]Tensor{"w": {DType: F32, Shape: []int{-1}}}})
	if err == nil || !strings.HasPrefix(err.Error(), path+": tensor \"w\"") {
		t.Errorf("WriteFile: got %v, want an error starting with the path", err)
	}
	if err := Write(&errWriter{errors.New("disk full")}, testModel()); err == nil || err.Error() != "disk full" {
		t.Errorf("Write to a failing writer: got %v", err)
	}
}

type errWriter struct{ err error }

func (w *errWriter) Write([]byte) (int, error) { return 0, w.err }

func TestTensorAccessors(t *testing.T) {
	f := testModel()
	if v, err := f.Tensors["scalar"].Float64(); err != nil || !slices.Equal(v, []float64{math.Pi}) {
		t.Errorf("scalar = %v, %v", v, err)
	}
	if v, err := f.Tensors["steps"].Int64(); err != nil || !slices.Equal(v, []int64{-1 << 40}) {
		t.Errorf("steps = %v, %v", v, err)
	}
	if v, err := f.Tensors["seed"].Int32(); err != nil || !slices.Equal(v, []int32{7, -7}) {
		t.Errorf("seed = %v, %v", v, err)
	}
	if v, err := f.Tensors["empty"].Float32(); err != nil || len(v) != 0 {
		t.Errorf("empty = %v, %v", v, err)
	}

	errs := []struct {
		err  error
		want string
	}{
		{second(f.Tensors["seed"].Float32()), "dtype is I32, want F32"},
		{second(Tensor{DType: F32, Shape: []int{2}, Data: make([]byte, 7)}.Float32()), "shape [2] of F32 needs 8 bytes, Data has 7"},
		{second(f.Float32("nope")), `tensor "nope" not found`},
		{second(f.Float32("U_h", 3, 2)), `tensor "U_h" has shape [3 3], want [3 2]`},
		{second(f.Float32("seed")), `tensor "seed": dtype is I32, want F32`},
		{CheckFinite("W_h", []float32{1, 2, 3, float32(math.Inf(1))}), `tensor "W_h": element 3 of 4 is +Inf, want a finite value`},
		{CheckFinite("b", []float32{float32(math.NaN())}), `tensor "b": element 0 of 1 is NaN`},
	}
	for _, e := range errs {
		if e.err == nil || !strings.Contains(e.err.Error(), e.want) {
			t.Errorf("got %v, want %s", e.err, e.want)
		}
	}
	if err := CheckFinite("ok", []float32{0, -1, math.MaxFloat32}); err != nil {
		t.Errorf("CheckFinite of finite values: %v", err)
	}

	for _, c := range []struct {
		name string
		f    func()
		want string
	}{
		{"count", func() { FromFloat32([]int{2, 2}, make([]float32, 3)) }, "safetensors: FromFloat32: shape [2 2] has 4 elements, got 3 values"},
		{"negative", func() { FromInt32([]int{-1}, nil) }, "safetensors: FromInt32: shape [-1]: dimension 0 is negative"},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), c.want) {
					t.Errorf("%s: panic %v, want %s", c.name, r, c.want)
				}
			}()
			c.f()
		}()
	}
	if ElementBits(F6E2M3) != 6 || ElementBits(C64) != 64 || ElementBits("F31") != 0 {
		t.Error("ElementBits is wrong")
	}
}

func second[T any](_ T, err error) error { return err }

// TestQuantizedTensors round-trips the dtypes of quantized weights, I8 and
// BF16, and checks that decoding one as another is an error.
func TestQuantizedTensors(t *testing.T) {
	q := []int8{-128, -64, 0, 1, 64, 127}
	b := []uint16{0x3f80, 0xc000, 0x7f80, 0x0000, 0x8000, 0x7fc0}
	f := &File{Tensors: map[string]Tensor{
		"q": FromInt8([]int{2, 3}, q),
		"b": FromBF16([]int{3, 2}, b),
	}}
	g, err := Read(bytes.NewReader(mustWrite(t, f)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	gq, err := g.Tensors["q"].Int8()
	if err != nil || !slices.Equal(gq, q) || g.Tensors["q"].DType != I8 {
		t.Errorf("I8 tensor read back as %v, %v (dtype %s), want %v", gq, err, g.Tensors["q"].DType, q)
	}
	gb, err := g.Tensors["b"].BF16()
	if err != nil || !slices.Equal(gb, b) || g.Tensors["b"].DType != BF16 {
		t.Errorf("BF16 tensor read back as %#x, %v (dtype %s), want %#x", gb, err, g.Tensors["b"].DType, b)
	}
	if _, err := g.Tensors["q"].BF16(); err == nil || !strings.Contains(err.Error(), "dtype is I8, want BF16") {
		t.Errorf("decoding I8 as BF16: err = %v", err)
	}
	if _, err := g.Tensors["b"].Float32(); err == nil {
		t.Errorf("decoding BF16 as F32 succeeded")
	}
}
