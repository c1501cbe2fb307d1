package safetensors

import (
	"cmp"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
)

// Write writes f to w in the safetensors format. The output depends only on
// f: metadata keys are sorted, tensors are laid out by descending element
// width, then by name (the reference writer's order, which keeps every
// tensor aligned to its element size), and the header is padded with
// spaces to a multiple of 8 bytes. For a file that the reference writer
// could produce, the bytes are the ones it writes.
//
// Write checks every tensor first (see Tensor.Check) and writes nothing if
// one is malformed.
func Write(w io.Writer, f *File) error {
	header, order, err := encodeHeader(f)
	if err != nil {
		return err
	}
	var prefix [8]byte
	binary.LittleEndian.PutUint64(prefix[:], uint64(len(header)))
	if _, err := w.Write(prefix[:]); err != nil {
		return err
	}
	if _, err := w.Write(header); err != nil {
		return err
	}
	for _, name := range order {
		if _, err := w.Write(f.Tensors[name].Data); err != nil {
			return err
		}
	}
	return nil
}

// WriteFile writes f to the named file, atomically: a malformed File is
// refused before anything is created, the new file is written to a
// temporary file beside path, synced and read back with Read before it
// replaces path, and on any failure the previous file is unchanged and no
// temporary file is left (see atomicfile.Write).
func WriteFile(path string, f *File) error {
	if _, _, err := encodeHeader(f); err != nil { // Write would refuse it too, after creating the file
		if fe, ok := errors.AsType[*FormatError](err); ok {
			fe.Path = path
		}
		return err
	}
	return atomicfile.Write(path, func(w io.Writer) error { return Write(w, f) }, func(tmp string) error {
		// What Write produced is bounded by f itself, not by the defaults.
		_, err := ReadFile(tmp, Limits{MaxHeader: math.MaxInt64, MaxData: math.MaxInt64, MaxTensors: len(f.Tensors) + 1})
		return err
	})
}

// encodeHeader returns the padded JSON header for f and the tensor names in
// data order.
func encodeHeader(f *File) ([]byte, []string, error) {
	type entry struct {
		name string
		rank int
	}
	entries := make([]entry, 0, len(f.Tensors))
	for name, t := range f.Tensors {
		switch {
		case name == "":
			return nil, nil, errorf("", "a tensor has an empty name")
		case name == metadataKey:
			return nil, nil, errorf(name, "the name is reserved for metadata")
		case !utf8.ValidString(name):
			return nil, nil, errorf(name, "the name is not valid UTF-8")
		}
		if err := t.Check(); err != nil {
			return nil, nil, errorf(name, "%v", err)
		}
		_, rank, _ := dtypeInfo(t.DType)
		entries = append(entries, entry{name, rank})
	}
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(b.rank, a.rank), cmp.Compare(a.name, b.name))
	})

	b := []byte{'{'}
	if len(f.Metadata) > 0 {
		keys := make([]string, 0, len(f.Metadata))
		for k, v := range f.Metadata {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return nil, nil, errorf("", "metadata %q: key or value is not valid UTF-8", k)
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = appendString(b, metadataKey)
		b = append(b, ":{"...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, f.Metadata[k])
		}
		b = append(b, '}')
	}
	order := make([]string, len(entries))
	var offset int64
	for i, e := range entries {
		t := f.Tensors[e.name]
		order[i] = e.name
		if i > 0 || len(f.Metadata) > 0 {
			b = append(b, ',')
		}
		b = appendString(b, e.name)
		b = append(b, `:{"dtype":`...)
		b = appendString(b, t.DType)
		b = append(b, `,"shape":[`...)
		for j, d := range t.Shape {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(d), 10)
		}
		b = append(b, `],"data_offsets":[`...)
		b = strconv.AppendInt(b, offset, 10)
		b = append(b, ',')
		offset += int64(len(t.Data))
		b = strconv.AppendInt(b, offset, 10)
		b = append(b, "]}"...)
	}
	b = append(b, '}')
	for len(b)%8 != 0 {
		b = append(b, ' ')
	}
	return b, order, nil
}

// appendString appends s, valid UTF-8, as a JSON string escaped the way the
// reference writer (serde_json) escapes it: only '"', '\\' and control
// characters. encoding/json would also escape <, >, & and U+2028/9, which
// is valid but would make our bytes differ from the reference's.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
