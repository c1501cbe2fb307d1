package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lowrank-rnn/lowrank/internal/quote"
)

// Default limits, used where a Limits field is zero or negative.
const (
	DefaultMaxHeader  = 16 << 20 // bytes of JSON header
	DefaultMaxData    = 2 << 30  // bytes of tensor data
	DefaultMaxTensors = 1 << 16
)

// Limits bounds what Read accepts, so that a hostile file costs at most
// this much memory. Zero or negative fields mean the defaults.
type Limits struct {
	MaxHeader  int64 // largest JSON header, in bytes
	MaxData    int64 // largest data section, in bytes
	MaxTensors int   // most tensors
}

func (l Limits) withDefaults() Limits {
	if l.MaxHeader <= 0 {
		l.MaxHeader = DefaultMaxHeader
	}
	if l.MaxData <= 0 {
		l.MaxData = DefaultMaxData
	}
	l.MaxData = min(l.MaxData, math.MaxInt) // the data is one []byte
	if l.MaxTensors <= 0 {
		l.MaxTensors = DefaultMaxTensors
	}
	return l
}

// ReadFile reads and checks the named safetensors file; see Read. Errors
// about the content are *FormatError with Path set.
func ReadFile(path string, lim Limits) (*File, error) {
	in, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	f, err := Read(in, lim)
	if fe, ok := errors.AsType[*FormatError](err); ok {
		fe.Path = path
	}
	return f, err
}

// Read reads a whole safetensors file from r and checks it strictly: the
// header must be one JSON object without duplicate keys, every entry must
// have a known dtype, a shape and data_offsets that agree with each other,
// and the tensors' byte ranges must tile the data section exactly, with
// nothing after the last one. A file that breaks any rule gives a
// *FormatError naming the tensor and the problem; Read never panics.
//
// Memory is bounded by lim and by what r actually holds: declared sizes are
// checked before anything is allocated for them. When r is an *os.File,
// *bytes.Reader, *bytes.Buffer or *strings.Reader, the size of what is left
// in it is checked first; from any other reader, buffers grow only as data
// arrives, so a file that lies about its lengths fails as truncated. Read
// consumes r to its end to make sure nothing follows the last tensor.
//
// The tensors' Data slices share one buffer of the size of the data section.
func Read(r io.Reader, lim Limits) (*File, error) {
	lim = lim.withDefaults()
	rem := remaining(r) // -1: unknown

	var prefix [8]byte
	if n, err := io.ReadFull(r, prefix[:]); err != nil {
		return nil, readError(err, "file ends after %d bytes, inside the 8-byte header length", n)
	}
	n := binary.LittleEndian.Uint64(prefix[:])
	switch {
	case n > uint64(lim.MaxHeader):
		return nil, errorf("", "header length %d exceeds the limit of %d bytes (Limits.MaxHeader)", n, lim.MaxHeader)
	case rem >= 0 && n > uint64(rem-8):
		e := errorf("", "header length %d runs past the end of the file (%d bytes follow the length)", n, rem-8)
		e.Err = io.ErrUnexpectedEOF
		return nil, e
	case n < 2:
		return nil, errorf("", "header length %d is too short for a JSON object", n)
	}
	header, err := readBytes(r, int64(n), rem >= 0)
	if err != nil {
		return nil, readError(err, "file ends inside the header: %d of %d bytes", len(header), n)
	}

	// Tensor data may not reach past the limit or, when known, the file.
	dataLimit, limitName := lim.MaxData, "the limit of "+strconv.FormatInt(lim.MaxData, 10)+" bytes (Limits.MaxData)"
	if rem >= 0 {
		if fileData := rem - 8 - int64(n); fileData <= dataLimit {
			dataLimit, limitName = fileData, "the end of the file ("+strconv.FormatInt(fileData, 10)+" data bytes)"
		}
	}
	metadata, entries, err := parseHeader(header, lim.MaxTensors, dataLimit, limitName)
	if err != nil {
		return nil, err
	}
	size, err := checkLayout(entries)
	if err != nil {
		return nil, err
	}
	if rem >= 0 && size < rem-8-int64(n) {
		return nil, errorf("", "%d bytes follow the last tensor's data", rem-8-int64(n)-size)
	}

	data, err := readBytes(r, size, rem >= 0)
	if err != nil {
		got := int64(len(data))
		for _, e := range entries {
			if e.end > got {
				return nil, readError(err, "file ends inside its data: data_offsets [%d, %d], data section ends at %d", e.begin, e.end, got).named(e.name)
			}
		}
		return nil, readError(err, "file ends inside the data section") // not reached: some end > got
	}
	if rem < 0 {
		var one [1]byte
		if k, _ := io.ReadFull(r, one[:]); k > 0 {
			return nil, errorf("", "bytes follow the last tensor's data")
		}
	}

	f := &File{Metadata: metadata, Tensors: make(map[string]Tensor, len(entries))}
	for _, e := range entries {
		f.Tensors[e.name] = Tensor{DType: e.dtype, Shape: e.shape, Data: data[e.begin:e.end:e.end]}
	}
	return f, nil
}

// remaining returns the number of bytes left in r, or -1 if r is not one
// of the readers whose size is known without reading.
func remaining(r io.Reader) int64 {
	switch v := r.(type) {
	case *bytes.Reader:
		return int64(v.Len())
	case *bytes.Buffer:
		return int64(v.Len())
	case *strings.Reader:
		return int64(v.Len())
	case *os.File:
		fi, err := v.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return -1
		}
		off, err := v.Seek(0, io.SeekCurrent)
		if err != nil || off > fi.Size() {
			return -1
		}
		return fi.Size() - off
	}
	return -1
}

// readBytes reads exactly n bytes. When the size of r is known (and n has
// been checked against it) the buffer is allocated at once; otherwise it
// starts small and doubles as data arrives, so a reader that ends early
// costs memory in proportion to what it held, not to n. On a short read
// it returns what it got and the error.
func readBytes(r io.Reader, n int64, sized bool) ([]byte, error) {
	c := n
	if !sized {
		c = min(n, 64<<10)
	}
	buf := make([]byte, c)
	got := 0
	for {
		k, err := io.ReadFull(r, buf[got:])
		got += k
		if err != nil {
			return buf[:got], err
		}
		if int64(got) == n {
			return buf, nil
		}
		next := make([]byte, min(2*int64(len(buf)), n))
		copy(next, buf)
		buf = next
	}
}

// readError turns a short read into a *FormatError wrapping
// io.ErrUnexpectedEOF, and passes other errors on.
func readError(err error, format string, args ...any) *FormatError {
	e := errorf("", format, args...)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		e.Err = io.ErrUnexpectedEOF
	} else {
		e.Problem += ": " + err.Error()
		e.Err = err
	}
	return e
}

func (e *FormatError) named(tensor string) *FormatError {
	e.Tensor = tensor
	return e
}

// entry is one tensor of the header, checked against itself and the limits.
type entry struct {
	name       string
	dtype      string
	shape      []int
	begin, end int64
}

// parseHeader parses the JSON header token by token, which lets it reject
// duplicate keys (encoding/json keeps the last) and stop at the first
// unexpected token instead of scanning a deeply nested value.
func parseHeader(header []byte, maxTensors int, dataLimit int64, limitName string) (map[string]string, []entry, error) {
	if !utf8.Valid(header) {
		return nil, nil, errorf("", "header is not valid UTF-8")
	}
	if header[0] != '{' {
		return nil, nil, errorf("", "header does not start with '{'")
	}
	p := &parser{dec: json.NewDecoder(bytes.NewReader(header))}
	p.dec.UseNumber()
	if err := p.delim('{', "", "the header"); err != nil {
		return nil, nil, err
	}
	var metadata map[string]string
	var entries []entry
	seen := make(map[string]bool)
	for p.dec.More() {
		name, err := p.key("", "the header")
		if err != nil {
			return nil, nil, err
		}
		if seen[name] {
			if name == metadataKey {
				return nil, nil, errorf("", "duplicate %s", metadataKey)
			}
			return nil, nil, errorf(name, "duplicate tensor name")
		}
		seen[name] = true
		if name == metadataKey {
			if metadata, err = p.metadata(); err != nil {
				return nil, nil, err
			}
			continue
		}
		if name == "" {
			return nil, nil, errorf("", "a tensor has an empty name")
		}
		if len(entries) == maxTensors {
			return nil, nil, errorf("", "more than %d tensors (Limits.MaxTensors)", maxTensors)
		}
		e, err := p.entry(name)
		if err != nil {
			return nil, nil, err
		}
		if err := e.check(dataLimit, limitName); err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	if err := p.delim('}', "", "the header"); err != nil {
		return nil, nil, err
	}
	if tok, err := p.dec.Token(); err != io.EOF {
		if err != nil {
			return nil, nil, errorf("", "header is not valid JSON after its object: %v", err)
		}
		return nil, nil, errorf("", "header has %s after its object", describe(tok))
	}
	return metadata, entries, nil
}

// check checks an entry against itself and against the space its data may
// occupy.
func (e *entry) check(dataLimit int64, limitName string) error {
	size, problem := byteSize(e.dtype, e.shape)
	if problem != "" {
		return errorf(e.name, "%s", problem)
	}
	if e.end < e.begin {
		return errorf(e.name, "data_offsets [%d, %d] end before they begin", e.begin, e.end)
	}
	if e.end-e.begin != size {
		return errorf(e.name, "shape %v of %s needs %d bytes, but data_offsets [%d, %d] hold %d",
			e.shape, e.dtype, size, e.begin, e.end, e.end-e.begin)
	}
	if e.end > dataLimit {
		return errorf(e.name, "data_offsets [%d, %d] reach past %s", e.begin, e.end, limitName)
	}
	return nil
}

// checkLayout sorts entries by offset and checks that they tile
// [0, size) exactly, without holes or overlaps; it returns size.
func checkLayout(entries []entry) (int64, error) {
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end), strings.Compare(a.name, b.name))
	})
	var end int64
	prev := -1
	for i, e := range entries {
		switch {
		case e.begin > end:
			return 0, errorf(e.name, "data_offsets [%d, %d] leave bytes [%d, %d) of the data section to no tensor",
				e.begin, e.end, end, e.begin)
		case e.begin < end:
			p := entries[prev]
			return 0, errorf(e.name, "data_offsets [%d, %d] overlap those of tensor %s [%d, %d]",
				e.begin, e.end, quote.String(p.name), p.begin, p.end)
		}
		if e.end > e.begin {
			end, prev = e.end, i
		}
	}
	return end, nil
}

// parser reads the header's tokens.
type parser struct {
	dec *json.Decoder
}

// token returns the next token; tensor and where say whose it is for the
// error message.
func (p *parser) token(tensor, where string) (json.Token, error) {
	tok, err := p.dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, errorf(tensor, "header is not valid JSON in %s: %v", where, err)
	}
	return tok, nil
}

func (p *parser) delim(want json.Delim, tensor, where string) error {
	tok, err := p.token(tensor, where)
	if err != nil {
		return err
	}
	if tok != want {
		return errorf(tensor, "%s: got %s, want %q", where, describe(tok), string(want))
	}
	return nil
}

// key reads an object key (the decoder guarantees it is a string).
func (p *parser) key(tensor, where string) (string, error) {
	tok, err := p.token(tensor, where)
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", errorf(tensor, "%s: got %s, want a key", where, describe(tok))
	}
	return s, nil
}

func (p *parser) str(tensor, where string) (string, error) {
	tok, err := p.token(tensor, where)
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", errorf(tensor, "%s is %s, want a string", where, describe(tok))
	}
	return s, nil
}

// maxRank bounds the number of dimensions of a tensor: NumPy's limit, far
// above what any model uses, and low enough that a hostile shape costs
// little to parse.
const maxRank = 64

// ints reads an array of at most limit non-negative integers that fit in
// an int.
func (p *parser) ints(tensor, where string, limit int) ([]int64, error) {
	if err := p.delim('[', tensor, where); err != nil {
		return nil, err
	}
	v := []int64{}
	for p.dec.More() {
		tok, err := p.token(tensor, where)
		if err != nil {
			return nil, err
		}
		num, ok := tok.(json.Number)
		if !ok {
			return nil, errorf(tensor, "%s holds %s, want non-negative integers", where, describe(tok))
		}
		x, err := strconv.ParseUint(string(num), 10, 64)
		if err != nil || x > math.MaxInt {
			s := string(num)
			if len(s) > quote.Width {
				s = quote.String(s)
			}
			return nil, errorf(tensor, "%s holds %s, want a non-negative integer below 2^63", where, s)
		}
		if len(v) == limit {
			return nil, errorf(tensor, "%s has more than %d numbers", where, limit)
		}
		v = append(v, int64(x))
	}
	return v, p.delim(']', tensor, where)
}

func (p *parser) metadata() (map[string]string, error) {
	const where = metadataKey
	if err := p.delim('{', "", where); err != nil {
		return nil, err
	}
	m := make(map[string]string)
	for p.dec.More() {
		k, err := p.key("", where)
		if err != nil {
			return nil, err
		}
		if _, dup := m[k]; dup {
			return nil, errorf("", "%s has key %s twice", where, quote.String(k))
		}
		if m[k], err = p.str("", where+" value of "+quote.String(k)); err != nil {
			return nil, err
		}
	}
	return m, p.delim('}', "", where)
}

func (p *parser) entry(name string) (entry, error) {
	e := entry{name: name}
	if err := p.delim('{', name, "its entry"); err != nil {
		return e, err
	}
	var haveDType, haveShape, haveOffsets bool
	for p.dec.More() {
		field, err := p.key(name, "its entry")
		if err != nil {
			return e, err
		}
		var dup bool
		switch field {
		case "dtype":
			dup, haveDType = haveDType, true
			e.dtype, err = p.str(name, "dtype")
		case "shape":
			dup, haveShape = haveShape, true
			var dims []int64
			dims, err = p.ints(name, "shape", maxRank)
			e.shape = make([]int, len(dims))
			for i, d := range dims {
				e.shape[i] = int(d)
			}
		case "data_offsets":
			dup, haveOffsets = haveOffsets, true
			var off []int64
			if off, err = p.ints(name, "data_offsets", 2); err == nil && len(off) != 2 {
				err = errorf(name, "data_offsets has %d numbers, want 2", len(off))
			}
			if err == nil {
				e.begin, e.end = off[0], off[1]
			}
		default:
			return e, errorf(name, "unknown field %s in its entry", quote.String(field))
		}
		if dup {
			return e, errorf(name, "field %s appears twice", quote.String(field))
		}
		if err != nil {
			return e, err
		}
	}
	switch {
	case !haveDType:
		return e, errorf(name, "entry has no dtype")
	case !haveShape:
		return e, errorf(name, "entry has no shape")
	case !haveOffsets:
		return e, errorf(name, "entry has no data_offsets")
	}
	return e, p.delim('}', name, "its entry")
}

// describe names a token for an error message.
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return strconv.Quote(string(v))
	case string:
		return "string " + quote.String(v)
	case json.Number:
		if len(v) > quote.Width {
			return "number " + quote.String(string(v))
		}
		return "number " + string(v)
	case bool:
		return "boolean " + strconv.FormatBool(v)
	case nil:
		return "null"
	}
	return "an unexpected token"
}
