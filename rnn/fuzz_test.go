package rnn_test

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/internal/hostile"
	"github.com/lowrank-rnn/lowrank/rnn"
	"github.com/lowrank-rnn/lowrank/rnn/safetensors"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// oneLine fails t unless err is a short one-line message.
func oneLine(t *testing.T, err error) {
	t.Helper()
	if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\n\r") || len(msg) > 600 {
		t.Fatalf("not a clean one-line error (%d bytes): %.300q", len(msg), msg)
	}
}

// FuzzReadCompressed feeds arbitrary bytes to ReadCompressed, seeded with
// valid compressed files and the hostile ones, and checks that: it never
// panics; it allocates within allocBound; a refusal is one line; and what
// it accepts is a compressed model that keeps every promise of the format:
// ranks in [1, n] (or full, a dense quantized gate), factors of n×r and
// r×n, shared for a joint MGRU, every
// weight finite and within Bounds.Weight, outputs of a step finite, and
// Write followed by ReadCompressed giving back the same bytes.
func FuzzReadCompressed(f *testing.F) {
	for _, c := range append(hostile.Valid(), hostile.CompressedModels()...) {
		if c.Compressed && len(c.Data) < 64<<10 { // megabyte seeds slow every iteration
			f.Add(c.Data)
		}
	}
	for _, seed := range gatedCompressedSeeds(f) {
		f.Add(seed)
	}
	for _, s := range quantizedSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c *rnn.Compressed
		var meta map[string]string
		var err error
		if alloc := allocated(func() { c, meta, err = rnn.ReadCompressed(bytes.NewReader(data)) }); alloc > allocBound(len(data)) {
			t.Fatalf("reading %d bytes allocated %d, more than %d", len(data), alloc, allocBound(len(data)))
		}
		if err != nil {
			oneLine(t, err)
			return
		}
		n := c.Hidden
		if c.Cell.Gated() {
			checkGatedFactors(t, c)
		}
		for g := 0; g < c.Cell.Gates() && !c.Cell.Gated(); g++ {
			r, fc := c.Ranks[g], c.Factors[g]
			if r == int(rnn.Full) && c.Precision() != rnn.F32 { // a dense gate, quantized
				if u := c.U[g]; u.Rows != n || u.Cols != n {
					t.Fatalf("gate %d: dense, %d×%d for n = %d", g, u.Rows, u.Cols, n)
				}
				continue
			}
			if r < 1 || r > n || fc.U.Rows != n || fc.U.Cols != r || fc.V.Rows != r || fc.V.Cols != n {
				t.Fatalf("gate %d: rank %d, factors %d×%d and %d×%d for n = %d", g, r, fc.U.Rows, fc.U.Cols, fc.V.Rows, fc.V.Cols, n)
			}
			for _, v := range [][]float32{fc.U.Data, fc.V.Data} {
				for _, x := range v {
					if rnn.Bounds.Weight.Check(float64(x)) != nil {
						t.Fatalf("gate %d: a factor holds %v", g, x)
					}
				}
			}
		}
		if c.Spec.Joint && !c.Cell.Gated() && (c.Ranks[0] != c.Ranks[1] || !slices.Equal(c.Factors[0].V.Data, c.Factors[1].V.Data)) {
			t.Fatalf("a joint truncation of ranks %v whose gates do not share their right factor", c.Ranks)
		}
		for _, y := range c.NewStream().Step(make([]float32, c.In)) {
			if math.IsNaN(float64(y)) || math.IsInf(float64(y), 0) {
				t.Fatalf("a loaded compressed model gave %v from a zero input", y)
			}
		}
		var out bytes.Buffer
		if err := c.Write(&out, meta); err != nil {
			t.Fatalf("Write of an accepted file: %v", err)
		}
		again, meta2, err := rnn.ReadCompressed(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("ReadCompressed of Write's output: %v", err)
		}
		var out2 bytes.Buffer
		if err := again.Write(&out2, meta2); err != nil || !bytes.Equal(out.Bytes(), out2.Bytes()) {
			t.Fatalf("Write, ReadCompressed, Write changed the file (%v)", err)
		}
	})
}

// gatedCompressedSeeds returns compressed GRU and LSTM files: joint and
// per gate, stacked, with a projection.
func gatedCompressedSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, c := range []struct {
		cfg   rnn.Config
		joint bool
	}{
		{rnn.Config{Cell: rnn.GRU, In: 2, Hidden: 6, Out: 2, NumLayers: 2, Objective: rnn.Regression}, true},
		{rnn.Config{Cell: rnn.LSTM, In: 2, Hidden: 5, Out: 1, NumLayers: 1, Proj: 3, Objective: rnn.ClassifyLast}, false},
	} {
		m, err := rnn.New(c.cfg, 1)
		if err != nil {
			f.Fatal(err)
		}
		cm, err := rnn.Compress(m, rnn.CompressSpec{Ranks: [2]int{2, 2}, Joint: c.joint})
		if err != nil {
			f.Fatal(err)
		}
		var b bytes.Buffer
		if err := cm.Write(&b, nil); err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b.Bytes())
	}
	return seeds
}

// checkGatedFactors checks the promises of a compressed GRU or LSTM: per
// layer one joint factorisation or one per gate, ranks within the
// matrices, factors that fit weight_hh, weights finite and within
// Bounds.Weight.
func checkGatedFactors(t *testing.T, c *rnn.Compressed) {
	t.Helper()
	g, h := c.Cell.Gates(), c.Hidden
	p := h
	if c.Proj > 0 {
		p = c.Proj
	}
	if len(c.Layers) != c.NumLayers {
		t.Fatalf("%d compressed layers for %d", len(c.Layers), c.NumLayers)
	}
	for k, l := range c.Layers {
		want, rows := g, h
		if c.Spec.Joint {
			want, rows = 1, g*h
		}
		if len(l.Factors) != want || len(l.Ranks) != want {
			t.Fatalf("layer %d: %d factorisations, want %d (joint %v)", k, len(l.Factors), want, c.Spec.Joint)
		}
		for q, fc := range l.Factors {
			r := l.Ranks[q]
			if r < 1 || r > min(rows, p) || fc.U.Rows != rows || fc.U.Cols != r || fc.V.Rows != r || fc.V.Cols != p {
				t.Fatalf("layer %d factor %d: rank %d, factors %d×%d and %d×%d", k, q, r, fc.U.Rows, fc.U.Cols, fc.V.Rows, fc.V.Cols)
			}
			for _, v := range [][]float32{fc.U.Data, fc.V.Data} {
				for _, x := range v {
					if rnn.Bounds.Weight.Check(float64(x)) != nil {
						t.Fatalf("layer %d factor %d holds %v", k, q, x)
					}
				}
			}
		}
	}
}

// quantizedSeeds returns small compressed files in bf16 and int8, dense
// and low-rank, for FuzzReadCompressed.
func quantizedSeeds(f *testing.F) [][]byte {
	var out [][]byte
	for _, cell := range []rnn.Cell{rnn.RNN, rnn.MGRU} {
		m, err := rnn.New(rnn.Config{Cell: cell, In: 2, Hidden: 6, Out: 2, Objective: rnn.Regression}, 1)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range []rnn.Precision{rnn.BF16, rnn.Int8} {
			for _, ranks := range [][2]int{{int(rnn.Full), int(rnn.Full)}, {2, 3}} {
				c, err := rnn.Compress(m, rnn.CompressSpec{Ranks: ranks, Precision: p})
				if err != nil {
					f.Fatal(err)
				}
				var b bytes.Buffer
				if err := c.Write(&b, nil); err != nil {
					f.Fatal(err)
				}
				out = append(out, b.Bytes())
			}
		}
	}
	return out
}

// FuzzMetadata puts arbitrary strings in the metadata of valid model files
// (the configuration, the task and the compression) and an arbitrary
// held-out size, and checks that the loaders and TaskOf never panic,
// refuse with one line, and accept only what Bounds allows: a task that
// fits the model, T and ρ in range, and a working set within
// MaxWorkingSet. A refusal by TaskOf allocates no data.
func FuzzMetadata(f *testing.F) {
	f.Add("16", "1", "4", "4", "recall(rho=0.5,K=4)", "0.5", "12", "1", 2000, "3,2", "false", "svd")
	f.Add("16", "1", "4", "4", "recall(rho=0.5,K=4)", "0.5", "1000000000", "1", 2000, "3,3", "true", "whitened")
	f.Add("+16", "01", "4", "4", "recall(rho=0.50,K=4)", "5e-1", "100000", "-1", 0, "0,0", "maybe", "pca")
	f.Add("16", "1", "4", "0", "seqmnist", "NaN", "4", "18446744073709551616", -1, "3", "1", "")
	f.Add("4097", "1", "65537", "10001", "text-pi", "1", "10000", "7", 100000, "1e9,0", "T", "SVD")

	var plain, compressed *safetensors.File
	for _, c := range hostile.Valid() {
		sf, err := safetensors.Read(bytes.NewReader(c.Data), safetensors.Limits{})
		if err != nil {
			f.Fatal(err)
		}
		switch c.Name {
		case "valid rnn":
			plain = sf
		case "valid compressed mgru ranks 3,2":
			compressed = sf
		}
	}
	if plain == nil || compressed == nil {
		f.Fatal("the hostile package no longer makes the valid files this fuzz target edits")
	}
	f.Fuzz(func(t *testing.T, hidden, in, out, burn, taskName, rho, T, seed string, nEval int, ranks, joint, method string) {
		edit := func(sf *safetensors.File) *safetensors.File {
			md := map[string]string{}
			for k, v := range sf.Metadata {
				md[k] = v
			}
			for k, v := range map[string]string{"hidden": hidden, "in": in, "out": out, "burn": burn,
				"task": taskName, "rho": rho, "T": T, "data_seed": seed} {
				md[k] = v
			}
			if md["compressed"] != "" {
				md["ranks"], md["joint"], md["compressed"] = ranks, joint, method
			}
			return &safetensors.File{Metadata: md, Tensors: sf.Tensors}
		}
		var models []*rnn.Model
		var metas []map[string]string
		if m, meta, err := rnn.FromFile(edit(plain)); err != nil {
			oneLine(t, err)
		} else {
			models, metas = append(models, m), append(metas, meta)
		}
		if c, meta, err := rnn.CompressedFromFile(edit(compressed)); err != nil {
			oneLine(t, err)
		} else {
			if c.Ranks != [2]int{3, 2} || c.Spec.Joint {
				t.Fatalf("accepted ranks %v joint %v for factors of ranks 3 and 2", c.Ranks, c.Spec.Joint)
			}
			models, metas = append(models, c.Model), append(metas, meta)
		}
		for i, m := range models {
			var err error
			var ds task.Dataset
			alloc := allocated(func() { ds, err = rnn.TaskOf(metas[i], m, nEval, "") })
			if err != nil {
				oneLine(t, err)
				if alloc > 64<<10 && !strings.HasPrefix(taskName, "text-") { // a corpus is loaded before its vocabulary is known
					t.Fatalf("TaskOf allocated %d bytes to refuse %q", alloc, taskName)
				}
				continue
			}
			spec := ds.Spec()
			if rnn.Bounds.Eval.Check(nEval) != nil || rnn.Bounds.T.Check(spec.T) != nil {
				t.Fatalf("accepted %d held-out sequences of T = %d", nEval, spec.T)
			}
			if rnn.ConfigFor(spec, m.Cell, m.Hidden) != m.Config {
				t.Fatalf("accepted task %s for a model it does not fit", spec.Name)
			}
			if strings.HasPrefix(spec.Name, "recall") && rnn.RecallWorkingSet(spec.T, m.Out, m.Hidden, nEval) > rnn.MaxWorkingSet {
				t.Fatalf("accepted a recall task of T = %d, K = %d with %d sequences: over the working set", spec.T, m.Out, nEval)
			}
		}
	})
}
