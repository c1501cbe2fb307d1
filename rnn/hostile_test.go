package rnn_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/internal/hostile"
	"github.com/lowrank-rnn/lowrank/rnn"
	"github.com/lowrank-rnn/lowrank/rnn/safetensors"
)

// evalN is the held-out size TaskOf is asked for: lowrank compress's
// default.
const evalN = 2000

// allocBound is the most a loader may allocate in all (runtime.MemStats
// TotalAlloc, garbage included) for a file of n bytes: 1 MiB plus 32 bytes
// a byte. The tensors cost about 3n (the file's bytes, the decoded values,
// the model); the header costs more, since encoding/json's Token allocates
// for every token (a header of 65536 tiny entries, the most Read accepts,
// takes about 25 bytes a byte). TaskOf allocates no data for a file it
// refuses.
func allocBound(n int) uint64 { return 1<<20 + 32*uint64(n) }

// TestHostileFiles gives every hostile file to every loader, from a file
// on disk and from a stream of unknown size: each must refuse it at its
// stage (the format, the model, the task) with a clean one-line error,
// never panic, and allocate no more than allocBound.
func TestHostileFiles(t *testing.T) {
	models, compressed := hostile.Models(), hostile.CompressedModels()
	if len(models) < 60 || len(compressed) < 15 {
		t.Fatalf("%d hostile model files and %d compressed ones, want at least 60 and 15", len(models), len(compressed))
	}
	dir := t.TempDir()
	for i, c := range append(models, compressed...) {
		isCompressed := c.Compressed
		path := filepath.Join(dir, fmt.Sprintf("%03d.safetensors", i))
		if err := os.WriteFile(path, c.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		check := func(loader string, wantErr bool, f func() error) {
			t.Helper()
			var err error
			var panicked any
			alloc := allocated(func() {
				defer func() { panicked = recover() }()
				err = f()
			})
			switch {
			case panicked != nil:
				t.Errorf("%s (%s): %s panicked: %v", c.Name, c.Stage, loader, panicked)
			case wantErr && err == nil:
				t.Errorf("%s (%s): %s accepted it", c.Name, c.Stage, loader)
			case !wantErr && err != nil:
				t.Errorf("%s (%s): %s refused it: %v", c.Name, c.Stage, loader, err)
			case err != nil:
				if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || len(msg) > 600 || strings.Contains(msg, "panic") {
					t.Errorf("%s (%s): %s: not a clean one-line error (%d bytes): %.300q", c.Name, c.Stage, loader, len(msg), msg)
				}
			}
			if bound := allocBound(len(c.Data)); alloc > bound {
				t.Errorf("%s (%s): %s allocated %d bytes for a %d-byte file, more than %d", c.Name, c.Stage, loader, alloc, len(c.Data), bound)
			}
		}
		stream := func() io.Reader { return struct{ io.Reader }{bytes.NewReader(c.Data)} }

		check("safetensors.ReadFile", c.Stage == hostile.Format, func() error {
			_, err := safetensors.ReadFile(path, safetensors.Limits{})
			return err
		})
		check("safetensors.Read from a stream", c.Stage == hostile.Format, func() error {
			_, err := safetensors.Read(stream(), safetensors.Limits{})
			return err
		})
		// A plain model loader refuses every compressed file, and the
		// compressed loader every plain one.
		modelOK := !isCompressed && c.Stage == hostile.Task
		compressedOK := isCompressed && c.Stage == hostile.Task
		var m *rnn.Model
		var meta map[string]string
		check("rnn.Load", !modelOK, func() (err error) {
			m, meta, err = rnn.Load(path)
			return err
		})
		check("rnn.Read from a stream", !modelOK, func() error {
			_, _, err := rnn.Read(stream())
			return err
		})
		var cm *rnn.Compressed
		check("rnn.LoadCompressed", !compressedOK, func() (err error) {
			cm, meta, err = rnn.LoadCompressed(path)
			return err
		})
		check("rnn.ReadCompressed from a stream", !compressedOK, func() error {
			_, _, err := rnn.ReadCompressed(stream())
			return err
		})
		if cm != nil {
			m = cm.Model
		}
		if m != nil {
			check("rnn.TaskOf", true, func() error {
				_, err := rnn.TaskOf(meta, m, evalN, "")
				return err
			})
		}
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// The generator's base files are valid: a case is hostile because of its
// edit, not because the base was broken.
func TestHostileBaseIsValid(t *testing.T) {
	for _, c := range hostile.Valid() {
		var err error
		if c.Compressed {
			var cm *rnn.Compressed
			var meta map[string]string
			if cm, meta, err = rnn.ReadCompressed(bytes.NewReader(c.Data)); err == nil {
				_, err = rnn.TaskOf(meta, cm.Model, evalN, "")
			}
		} else {
			var m *rnn.Model
			var meta map[string]string
			if m, meta, err = rnn.Read(bytes.NewReader(c.Data)); err == nil {
				_, err = rnn.TaskOf(meta, m, evalN, "")
			}
		}
		if err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
	}
}
