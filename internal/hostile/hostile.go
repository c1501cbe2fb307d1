// Package hostile makes hostile model files for the tests: files that break
// the safetensors format at every structural point, and valid safetensors
// files whose tensors or metadata lie. The loaders' tests and the command's
// tests feed every one of them to everything that reads a model file and
// expect one clear error, bounded memory and no panic. The files are made
// at test time; nothing binary is committed.
package hostile

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/lowrank-rnn/lowrank/rnn"
	"github.com/lowrank-rnn/lowrank/rnn/safetensors"
)

// Stage says which reader must refuse a file.
type Stage int

const (
	// Format: not valid safetensors; safetensors.Read refuses it.
	Format Stage = iota
	// Model: valid safetensors but not a valid model file (for
	// CompressedModels, not a valid compressed model file); rnn.Read
	// (rnn.ReadCompressed) refuses it.
	Model
	// Task: a valid model file whose task metadata lies or asks for more
	// than the bounds allow; rnn.TaskOf refuses it.
	Task
	// Sound: a valid file that every reader accepts (see Valid).
	Sound
)

func (s Stage) String() string {
	return [...]string{"format", "model", "task", "sound"}[s]
}

// Case is one hostile file.
type Case struct {
	Name       string // what is wrong with it
	Data       []byte
	Stage      Stage
	Compressed bool // made from a compressed model file
}

// The base models: what lowrank train makes for a small recall task, so
// that a file whose only fault is in its task metadata is a model that
// loads.
const (
	hidden = 16
	delays = 4 // K: the model's outputs
)

func recallMeta() map[string]string {
	return map[string]string{"task": fmt.Sprintf("recall(rho=0.5,K=%d)", delays), "rho": "0.5", "T": "12", "data_seed": "1"}
}

func baseModel(cell rnn.Cell) *rnn.Model {
	spec := rnn.Config{Cell: cell, In: 1, Hidden: hidden, Out: delays, Objective: rnn.Regression, Burn: delays}
	m, err := rnn.New(spec, 1)
	if err != nil {
		panic(err) // the constants above are a valid model
	}
	return m
}

// tensor is one header entry and its bytes. shape and offsets are JSON
// text, so that a case can write anything there; empty offsets are
// computed from the data.
type tensor struct {
	name, dtype, shape, offsets, extra string
	entry                              string // if set, the whole entry verbatim
	data                               []byte
}

// file is a safetensors file being built: metadata as JSON text (empty:
// none), the tensors in header and data order, and bytes to add after the
// data.
type file struct {
	meta    []kv
	rawMeta string // if set, the __metadata__ value verbatim
	tensors []tensor
	trailer []byte
}

type kv struct{ k, v string }

// fromFile turns a safetensors.File into a file to edit, tensors in name
// order.
func fromFile(sf *safetensors.File) file {
	var f file
	for _, k := range slices.Sorted(mapsKeys(sf.Metadata)) {
		f.meta = append(f.meta, kv{k, sf.Metadata[k]})
	}
	for _, name := range slices.Sorted(mapsKeys(sf.Tensors)) {
		t := sf.Tensors[name]
		f.tensors = append(f.tensors, tensor{name: name, dtype: t.DType, shape: jsonInts(t.Shape), data: slices.Clone(t.Data)})
	}
	return f
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func jsonInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return "[" + strings.Join(s, ",") + "]"
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// bytes lays the file out: length, header, data, trailer.
func (f *file) bytes() []byte {
	var h strings.Builder
	h.WriteString("{")
	sep := ""
	if f.rawMeta != "" || f.meta != nil {
		h.WriteString(`"__metadata__":`)
		if f.rawMeta != "" {
			h.WriteString(f.rawMeta)
		} else {
			h.WriteString("{")
			for i, e := range f.meta {
				if i > 0 {
					h.WriteString(",")
				}
				h.WriteString(jsonString(e.k) + ":" + jsonString(e.v))
			}
			h.WriteString("}")
		}
		sep = ","
	}
	var data []byte
	for _, t := range f.tensors {
		off := t.offsets
		if off == "" {
			off = fmt.Sprintf("[%d,%d]", len(data), len(data)+len(t.data))
		}
		data = append(data, t.data...)
		entry := fmt.Sprintf(`{"dtype":%s,"shape":%s,"data_offsets":%s%s}`, jsonString(t.dtype), t.shape, off, t.extra)
		if t.entry != "" {
			entry = t.entry
		}
		fmt.Fprintf(&h, "%s%s:%s", sep, jsonString(t.name), entry)
		sep = ","
	}
	h.WriteString("}")
	return assemble([]byte(h.String()), append(data, f.trailer...))
}

func assemble(header, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	return append(out, data...)
}

func (f *file) tensor(name string) *tensor {
	for i := range f.tensors {
		if f.tensors[i].name == name {
			return &f.tensors[i]
		}
	}
	panic("hostile: no tensor " + name)
}

func (f *file) setMeta(k, v string) {
	for i := range f.meta {
		if f.meta[i].k == k {
			f.meta[i].v = v
			return
		}
	}
	f.meta = append(f.meta, kv{k, v})
}

func (f *file) delMeta(k string) {
	f.meta = slices.DeleteFunc(f.meta, func(e kv) bool { return e.k == k })
}

func (f *file) remove(name string) {
	f.tensors = slices.DeleteFunc(f.tensors, func(t tensor) bool { return t.name == name })
}

// setF32 stores v as element i of an F32 tensor.
func (t *tensor) setF32(i int, v float32) {
	binary.LittleEndian.PutUint32(t.data[4*i:], math.Float32bits(v))
}

func f32s(v ...float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// builder makes cases from one base file.
type builder struct {
	base       func() file
	compressed bool
	cases      []Case
}

func (b *builder) add(stage Stage, name string, edit func(f *file)) {
	f := b.base()
	edit(&f)
	b.raw(stage, name, f.bytes())
}

func (b *builder) raw(stage Stage, name string, data []byte) {
	b.cases = append(b.cases, Case{Name: name, Data: data, Stage: stage, Compressed: b.compressed})
}

func modelFile(cell rnn.Cell, meta map[string]string) func() file {
	return func() file {
		sf, err := baseModel(cell).File(meta)
		if err != nil {
			panic(err)
		}
		return fromFile(sf)
	}
}

// Models returns hostile model files: at least one for every way a file
// can break the format or lie, about a hundred in all.
func Models() []Case {
	b := &builder{base: modelFile(rnn.RNN, recallMeta())}
	valid := b.base()
	good := valid.bytes()
	headerLen := int(binary.LittleEndian.Uint64(good[:8]))
	dataStart := 8 + headerLen

	// Truncation at every structural point.
	b.raw(Format, "empty file", nil)
	for n := 1; n < 8; n++ {
		b.raw(Format, fmt.Sprintf("cut after %d bytes of the header length", n), good[:n])
	}
	b.raw(Format, "the header length alone", good[:8])
	b.raw(Format, "cut after the header's first byte", good[:9])
	b.raw(Format, "cut inside the header", good[:8+headerLen/2])
	b.raw(Format, "cut at the end of the header", good[:dataStart])
	at := dataStart
	for _, t := range valid.tensors {
		if len(t.data) > 0 {
			b.raw(Format, "cut inside tensor "+t.name, good[:at+len(t.data)/2])
		}
		at += len(t.data)
		if at < len(good) {
			b.raw(Format, "cut after tensor "+t.name, good[:at])
		}
	}
	b.raw(Format, "one byte short", good[:len(good)-1])
	b.raw(Format, "one byte after the data", append(slices.Clone(good), 0))
	b.raw(Format, "a second file after the first", append(slices.Clone(good), good...))

	// Header lengths.
	withLength := func(n uint64) []byte {
		out := slices.Clone(good)
		binary.LittleEndian.PutUint64(out, n)
		return out
	}
	b.raw(Format, "header length 0", withLength(0))
	b.raw(Format, "header length 1", withLength(1))
	b.raw(Format, "header length 2^63", withLength(1<<63))
	b.raw(Format, "header length 2^64-1", withLength(math.MaxUint64))
	b.raw(Format, "header length 2^40", withLength(1<<40))
	b.raw(Format, "header length past the end of the file", withLength(uint64(len(good)-8+1)))
	b.raw(Format, "header length one short of its JSON", withLength(uint64(headerLen-1)))
	b.raw(Format, "header length into the data", withLength(uint64(headerLen+8)))
	b.raw(Format, "header length over the 16 MiB limit", withLength(16<<20+1))

	// Header content.
	b.raw(Format, "header not JSON", assemble([]byte("not json at all!"), nil))
	b.raw(Format, "header a JSON array", assemble([]byte("[1,2,3]"), nil))
	b.raw(Format, "header a JSON string", assemble([]byte(`"W"`), nil))
	b.raw(Format, "header not UTF-8", assemble([]byte("{\"W\xff\":{}}"), nil))
	b.raw(Format, "header of NUL bytes", assemble(make([]byte, 64), nil))
	b.raw(Format, "JSON nested 100000 deep in a tensor entry",
		assemble([]byte(`{"W":`+strings.Repeat("[", 100000)+strings.Repeat("]", 100000)+"}"), nil))
	b.raw(Format, "JSON nested 100000 deep in the metadata",
		assemble([]byte(`{"__metadata__":{"a":`+strings.Repeat(`{"a":`, 100000)+strings.Repeat("}", 100001)+"}"), nil))
	b.add(Format, "text after the header object", func(f *file) { f.rawMeta = `{}} {"x":1` })
	b.add(Format, "duplicate tensor name", func(f *file) { f.tensors = append(f.tensors, f.tensors[0]) })
	b.add(Format, "duplicate metadata key", func(f *file) { f.meta = append(f.meta, kv{"cell", "mgru"}) })
	b.add(Format, "two __metadata__ entries", func(f *file) {
		f.tensors[0].name = "__metadata__"
	})
	b.add(Format, "metadata value a number", func(f *file) { f.rawMeta = `{"format":1}` })
	b.add(Format, "metadata an array", func(f *file) { f.rawMeta = `["format"]` })
	b.add(Format, "unknown field in a tensor entry", func(f *file) { f.tensors[0].extra = `,"strides":[1]` })
	b.add(Format, "tensor entry field twice", func(f *file) { f.tensors[0].extra = `,"dtype":"F32"` })
	b.add(Format, "tensor entry without dtype", func(f *file) {
		t := &f.tensors[0]
		t.entry = fmt.Sprintf(`{"shape":%s,"data_offsets":[0,%d]}`, t.shape, len(t.data))
	})
	b.add(Format, "tensor entry a number", func(f *file) { f.tensors[0].entry = "7" })
	b.add(Format, "empty tensor name", func(f *file) { f.tensors[0].name = "" })

	// Offsets.
	b.add(Format, "overlapping offsets", func(f *file) {
		n := len(f.tensors[0].data)
		f.tensors[1].offsets = fmt.Sprintf("[%d,%d]", n-4, n-4+len(f.tensors[1].data))
	})
	b.add(Format, "a gap between tensors", func(f *file) {
		t := &f.tensors[0]
		t.offsets = fmt.Sprintf("[0,%d]", len(t.data))
		t.data = append(t.data, 0, 0, 0, 0) // the next tensor starts 4 bytes later
	})
	b.add(Format, "offsets past the data", func(f *file) {
		t := &f.tensors[len(f.tensors)-1]
		total := 0
		for _, u := range f.tensors {
			total += len(u.data)
		}
		t.offsets = fmt.Sprintf("[%d,%d]", total-len(t.data)+4, total+4)
	})
	b.add(Format, "offsets that end before they begin", func(f *file) { f.tensors[0].offsets = "[8,0]" })
	b.add(Format, "negative offset", func(f *file) { f.tensors[0].offsets = "[-4,60]" })
	b.add(Format, "fractional offsets", func(f *file) { f.tensors[0].offsets = "[0.5,64]" })
	b.add(Format, "offsets of 2^62", func(f *file) { f.tensors[0].offsets = "[4611686018427387904,4611686018427387968]" })
	b.add(Format, "offsets of 2^64", func(f *file) { f.tensors[0].offsets = "[0,18446744073709551616]" })
	b.add(Format, "three offsets", func(f *file) { f.tensors[0].offsets = "[0,4,8]" })
	b.add(Format, "offsets as a string", func(f *file) { f.tensors[0].offsets = `"0-64"` })
	b.add(Format, "offsets of two tensors swapped", func(f *file) {
		a, c := &f.tensors[0], &f.tensors[1] // "R" (4×16) and "U" (16×16)
		na, nc := len(a.data), len(c.data)
		a.offsets = fmt.Sprintf("[%d,%d]", na, na+nc)
		c.offsets = fmt.Sprintf("[0,%d]", na)
	})
	b.add(Format, "all tensors at offset 0", func(f *file) {
		for i := range f.tensors {
			f.tensors[i].offsets = fmt.Sprintf("[0,%d]", len(f.tensors[i].data))
		}
	})

	// Dtypes.
	b.add(Format, "unknown dtype", func(f *file) { f.tensors[0].dtype = "F33" })
	b.add(Format, "lower-case dtype", func(f *file) { f.tensors[0].dtype = "f32" })
	b.add(Format, "dtype 8 MiB long", func(f *file) { f.tensors[0].dtype = strings.Repeat("F", 8<<20) })
	b.add(Model, "dtype F16 for a weight", func(f *file) {
		t := f.tensor("U")
		t.dtype, t.data = "F16", t.data[:len(t.data)/2]
	})
	b.add(Model, "dtype F64 for a weight", func(f *file) {
		t := f.tensor("U")
		t.dtype, t.data = "F64", append(t.data, t.data...)
	})
	b.add(Model, "dtype I32 for a weight", func(f *file) { f.tensor("U").dtype = "I32" })

	// Shapes.
	b.add(Format, "negative dimension", func(f *file) { f.tensor("U").shape = "[-16,-16]" })
	b.add(Format, "dimensions whose product overflows", func(f *file) { f.tensor("U").shape = "[4294967296,4294967296,4294967296]" })
	b.add(Format, "dimension of 2^63", func(f *file) { f.tensor("U").shape = "[9223372036854775807]" })
	b.add(Format, "shape of 65 dimensions", func(f *file) { f.tensor("U").shape = "[" + strings.Repeat("1,", 64) + "256]" })
	b.add(Format, "shape that disagrees with the offsets", func(f *file) { f.tensor("U").shape = "[16,15]" })
	b.add(Format, "shape a string", func(f *file) { f.tensor("U").shape = `"16x16"` })
	b.add(Model, "transposed shape", func(f *file) { f.tensor("R").shape = fmt.Sprintf("[%d,%d]", hidden, delays) })
	b.add(Model, "matrix stored as a vector", func(f *file) { f.tensor("U").shape = fmt.Sprintf("[%d]", hidden*hidden) })
	b.add(Model, "extra dimension", func(f *file) { f.tensor("U").shape = fmt.Sprintf("[1,%d,%d]", hidden, hidden) })
	b.add(Model, "empty tensor for a matrix", func(f *file) {
		t := f.tensor("U")
		t.shape, t.data = fmt.Sprintf("[0,%d]", hidden), nil
	})
	b.add(Model, "scalar for a vector", func(f *file) {
		t := f.tensor("b")
		t.shape, t.data = "[]", t.data[:4]
	})

	// Values.
	for _, v := range []struct {
		name   string
		tensor string
		value  float32
	}{
		{"NaN", "U", float32(math.NaN())},
		{"signalling NaN", "W", math.Float32frombits(0x7f800001)},
		{"+Inf", "W", float32(math.Inf(1))},
		{"-Inf", "b", float32(math.Inf(-1))},
		{"3e38", "U", 3e38},
		{"-1e7", "R", -1e7},
	} {
		b.add(Model, v.name+" in "+v.tensor, func(f *file) { f.tensor(v.tensor).setF32(1, v.value) })
	}
	b.add(Model, "every recurrent weight 3e38", func(f *file) {
		t := f.tensor("U")
		for i := range len(t.data) / 4 {
			t.setF32(i, 3e38)
		}
	})

	// The model's metadata.
	for _, m := range []struct {
		name, key, value string
	}{
		{"format missing", "format", ""},
		{"format of another version", "format", "lowrank-model-2"},
		{"cell lstm", "cell", "lstm"},
		{"cell 8 MiB long", "cell", strings.Repeat("x\n", 4<<20)},
		{"objective unknown", "objective", "classify-some"},
		{"hidden 1e9", "hidden", "1000000000"},
		{"hidden 2^63", "hidden", "9223372036854775808"},
		{"hidden -1", "hidden", "-1"},
		{"hidden 0", "hidden", "0"},
		{"hidden not a number", "hidden", "16abc"},
		{"hidden smaller than the tensors", "hidden", "12"},
		{"hidden larger than the tensors", "hidden", "32"},
		{"in 1e20", "in", "99999999999999999999"},
		{"out 1e6", "out", "1000000"},
		{"out that disagrees with R", "out", "8"},
		{"burn negative", "burn", "-4"},
		{"burn 1e9", "burn", "1000000000"},
		{"compressed key on a plain model", "compressed", "svd"},
	} {
		b.add(Model, "metadata "+m.name, func(f *file) {
			if m.value == "" {
				f.delMeta(m.key)
			} else {
				f.setMeta(m.key, m.value)
			}
		})
	}

	// The tensors present.
	b.add(Model, "tensor missing", func(f *file) { f.remove("b") })
	b.add(Model, "extra tensor", func(f *file) {
		f.tensors = append(f.tensors, tensor{name: "U_extra", dtype: "F32", shape: "[1]", data: f32s(1)})
	})
	b.add(Model, "10000 extra tensors", func(f *file) {
		for i := range 10000 {
			f.tensors = append(f.tensors, tensor{name: fmt.Sprintf("x%05d", i), dtype: "U8", shape: "[0]"})
		}
	})
	b.add(Format, "70000 tensors, over the limit", func(f *file) {
		for i := range 70000 {
			f.tensors = append(f.tensors, tensor{name: fmt.Sprintf("x%05d", i), dtype: "U8", shape: "[0]"})
		}
	})
	b.add(Model, "tensor name 1 MiB long", func(f *file) {
		f.tensors = append(f.tensors, tensor{name: strings.Repeat("U", 1<<20), dtype: "U8", shape: "[0]"})
	})
	b.add(Model, "an 8 MiB header of metadata lies", func(f *file) {
		f.setMeta("cell", "lstm")
		f.setMeta("notes", strings.Repeat(" ", 8<<20))
	})

	// The task metadata: a model that loads, for a task that is not there.
	for _, m := range []struct {
		name, key, value string
	}{
		{"T 1e9", "T", "1000000000"},
		{"T 1e5", "T", "100000"},
		{"T -5", "T", "-5"},
		{"T not a number", "T", "many"},
		{"T missing", "T", ""},
		{"T not above K", "T", strconv.Itoa(delays)},
		{"rho 1", "rho", "1"},
		{"rho NaN", "rho", "NaN"},
		{"rho -0.5", "rho", "-0.5"},
		{"rho 1e308", "rho", "1e308"},
		{"rho that disagrees with the task name", "rho", "0.9"},
		{"data_seed -1", "data_seed", "-1"},
		{"data_seed 2^64", "data_seed", "18446744073709551616"},
		{"task unknown", "task", "bogus"},
		{"task missing", "task", ""},
		{"task 8 MiB long", "task", strings.Repeat("recall", 1<<20)},
		{"task of another shape (seqmnist)", "task", "seqmnist"},
		{"task with another K", "task", "recall(rho=0.5,K=64)"},
		{"burn that does not fit the task", "burn", "0"},
	} {
		b.add(Task, "metadata "+m.name, func(f *file) {
			if m.value == "" {
				f.delMeta(m.key)
			} else {
				f.setMeta(m.key, m.value)
			}
		})
	}

	// The same faults in an MGRU file.
	b.base = modelFile(rnn.MGRU, recallMeta())
	b.add(Model, "MGRU: NaN in U_h", func(f *file) { f.tensor("U_h").setF32(0, float32(math.NaN())) })
	b.add(Model, "MGRU: U_f missing", func(f *file) { f.remove("U_f") })
	b.add(Model, "MGRU: U_h stored as 16×8", func(f *file) {
		t := f.tensor("U_h")
		t.shape, t.data = fmt.Sprintf("[%d,%d]", hidden, hidden/2), t.data[:len(t.data)/2]
	})
	b.add(Model, "MGRU: cell rnn over MGRU tensors", func(f *file) { f.setMeta("cell", "rnn") })
	b.add(Task, "MGRU: T 1e9", func(f *file) { f.setMeta("T", "1000000000") })
	return b.cases
}

func compressedFile(cell rnn.Cell, spec rnn.CompressSpec) func() file {
	return func() file {
		c, err := rnn.Compress(baseModel(cell), spec)
		if err != nil {
			panic(err)
		}
		sf, err := c.File(recallMeta())
		if err != nil {
			panic(err)
		}
		return fromFile(sf)
	}
}

// Valid returns the files the hostile ones are edited from, which every
// reader accepts (Stage Sound): a hostile case fails because of its edit.
func Valid() []Case {
	b := &builder{}
	for _, cell := range []rnn.Cell{rnn.RNN, rnn.MGRU} {
		b.base = modelFile(cell, recallMeta())
		b.add(Sound, "valid "+string(cell), func(*file) {})
	}
	b.compressed = true
	for _, s := range []struct {
		name string
		cell rnn.Cell
		spec rnn.CompressSpec
	}{
		{"valid compressed rnn rank 3", rnn.RNN, rnn.CompressSpec{Ranks: [2]int{3, 3}}},
		{"valid compressed rnn rank 1", rnn.RNN, rnn.CompressSpec{Ranks: [2]int{1, 1}}},
		{"valid joint mgru rank 3", rnn.MGRU, rnn.CompressSpec{Ranks: [2]int{3, 3}, Joint: true}},
		{"valid compressed mgru ranks 3,2", rnn.MGRU, rnn.CompressSpec{Ranks: [2]int{3, 2}}},
	} {
		b.base = compressedFile(s.cell, s.spec)
		b.add(Sound, s.name, func(*file) {})
	}
	return b.cases
}

// CompressedModels returns hostile compressed model files.
func CompressedModels() []Case {
	compressed := compressedFile
	b := &builder{base: compressed(rnn.RNN, rnn.CompressSpec{Ranks: [2]int{3, 3}}), compressed: true}
	good := b.base()
	data := good.bytes()
	b.raw(Format, "compressed: cut in half", data[:len(data)/2])
	b.raw(Format, "compressed: one byte short", data[:len(data)-1])
	b.add(Format, "compressed: U.right at the offsets of U.left", func(f *file) {
		start := len(f.tensor("R").data) // the tensors are in name order: R, U.left, U.right, …
		f.tensor("U.right").offsets = fmt.Sprintf("[%d,%d]", start, start+len(f.tensor("U.left").data))
	})
	for _, m := range []struct {
		name, key, value string
	}{
		{"ranks 0,0", "ranks", "0,0"},
		{"ranks above n", "ranks", "200,0"},
		{"ranks -1,0", "ranks", "-1,0"},
		{"one rank", "ranks", "3"},
		{"three ranks", "ranks", "3,3,3"},
		{"ranks 1e9,0", "ranks", "1000000000,0"},
		{"ranks that disagree with the factors", "ranks", "8,0"},
		{"a second rank for an RNN", "ranks", "3,3"},
		{"ranks 8 MiB long", "ranks", strings.Repeat("3,", 4<<20)},
		{"joint neither true nor false", "joint", "maybe"},
		{"joint for an RNN", "joint", "true"},
		{"method unknown", "compressed", "pca"},
		{"method missing", "compressed", ""},
	} {
		b.add(Model, "compressed metadata "+m.name, func(f *file) {
			if m.value == "" {
				f.delMeta(m.key)
			} else {
				f.setMeta(m.key, m.value)
			}
		})
	}
	b.add(Model, "compressed: U.left missing", func(f *file) { f.remove("U.left") })
	b.add(Model, "compressed: the dense U as well", func(f *file) {
		f.tensors = append(f.tensors, tensor{name: "U", dtype: "F32", shape: fmt.Sprintf("[%d,%d]", hidden, hidden), data: make([]byte, 4*hidden*hidden)})
	})
	b.add(Model, "compressed: NaN in U.left", func(f *file) { f.tensor("U.left").setF32(2, float32(math.NaN())) })
	b.add(Model, "compressed: +Inf in U.right", func(f *file) { f.tensor("U.right").setF32(0, float32(math.Inf(1))) })
	b.add(Model, "compressed: 1e30 in U.left", func(f *file) { f.tensor("U.left").setF32(0, 1e30) })
	b.add(Model, "compressed: factors transposed", func(f *file) {
		f.tensor("U.left").shape = fmt.Sprintf("[3,%d]", hidden)
		f.tensor("U.right").shape = fmt.Sprintf("[%d,3]", hidden)
	})
	b.add(Task, "compressed: T 1e9", func(f *file) { f.setMeta("T", "1000000000") })

	b.base = compressed(rnn.RNN, rnn.CompressSpec{Ranks: [2]int{1, 1}})
	b.add(Model, "compressed rank 1: U.left stored as a vector", func(f *file) {
		f.tensor("U.left").shape = fmt.Sprintf("[%d]", hidden)
	})

	b.base = compressed(rnn.MGRU, rnn.CompressSpec{Ranks: [2]int{3, 3}, Joint: true})
	b.add(Model, "joint: U_fh.right missing", func(f *file) { f.remove("U_fh.right") })
	b.add(Model, "joint: a U_f.right as well", func(f *file) {
		f.tensors = append(f.tensors, tensor{name: "U_f.right", dtype: "F32", shape: fmt.Sprintf("[3,%d]", hidden), data: make([]byte, 4*3*hidden)})
	})
	b.add(Model, "joint: two ranks", func(f *file) { f.setMeta("ranks", "3,2") })
	b.add(Model, "joint: joint false over shared factors", func(f *file) { f.setMeta("joint", "false") })

	b.base = compressed(rnn.MGRU, rnn.CompressSpec{Ranks: [2]int{3, 2}})
	b.add(Model, "MGRU: ranks swapped", func(f *file) { f.setMeta("ranks", "2,3") })
	b.add(Model, "MGRU: U_h.right missing", func(f *file) { f.remove("U_h.right") })
	return b.cases
}
