package safetensors

import (
	"bytes"
	"testing"
)

// FuzzRead feeds arbitrary bytes to Read, with limits far above the input
// size so that only Read's own care bounds memory, and checks that:
// it never panics; the known-size and streaming paths accept the same
// files; memory allocated is in proportion to the input, never to the
// sizes it declares; and an accepted file survives Write and Read
// unchanged, with Write reproducing its own output.
func FuzzRead(f *testing.F) {
	valid := raw(`{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},`+
		`"b":{"dtype":"I32","shape":[1],"data_offsets":[8,12]},"e":{"dtype":"U8","shape":[0],"data_offsets":[12,12]}}`,
		le32(1, 2, 3)...)
	f.Add(valid)
	for _, n := range []int{0, 7, 8, 9, 30, len(valid) - 13, len(valid) - 1} {
		f.Add(valid[:n])
	}
	var model bytes.Buffer
	if err := Write(&model, testModel()); err != nil {
		f.Fatal(err)
	}
	f.Add(model.Bytes())
	f.Add(raw(`{"a":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,4398046511104]}}`))
	f.Add(raw(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}`, le32(1, 2)...))

	lim := Limits{MaxHeader: 1 << 40, MaxData: 1 << 40, MaxTensors: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		var sized, streamed *File
		var errSized, errStreamed error
		n := allocated(func() {
			sized, errSized = Read(bytes.NewReader(data), lim)
			streamed, errStreamed = Read(stream{bytes.NewReader(data)}, lim)
		})
		// Two reads, each a 64 KiB first buffer at most for a stream, plus
		// the JSON decoder's bookkeeping per header byte.
		if bound := uint64(256<<10 + 256*len(data)); n > bound {
			t.Fatalf("reading %d bytes allocated %d bytes, more than %d", len(data), n, bound)
		}
		if (errSized == nil) != (errStreamed == nil) {
			t.Fatalf("known size: %v; stream: %v", errSized, errStreamed)
		}
		if errSized != nil {
			return
		}
		if d := sameFile(sized, streamed); d != "" {
			t.Fatalf("known size and stream disagree: %s", d)
		}
		total := 0
		for _, x := range sized.Tensors {
			total += len(x.Data)
		}
		if total > len(data) {
			t.Fatalf("tensors hold %d bytes, more than the %d of the file", total, len(data))
		}
		var out bytes.Buffer
		if err := Write(&out, sized); err != nil {
			t.Fatalf("Write of an accepted file: %v", err)
		}
		again, err := Read(bytes.NewReader(out.Bytes()), Limits{})
		if err != nil {
			t.Fatalf("Read of Write's output: %v", err)
		}
		if d := sameFile(sized, again); d != "" {
			t.Fatalf("Write then Read changed the file: %s", d)
		}
		var out2 bytes.Buffer
		if err := Write(&out2, again); err != nil || !bytes.Equal(out.Bytes(), out2.Bytes()) {
			t.Fatalf("Write is not reproducible: %v", err)
		}
	})
}
