package rnn

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/lowrank-rnn/lowrank/kernels"
	"github.com/lowrank-rnn/lowrank/rnn/safetensors"
)

// A compressed model file is a model file whose recurrent matrices are
// stored as their factors: "<U>.left" (n×r, singular values folded in) and
// "<U>.right" (r×n) for each recurrent matrix <U> ("U", or "U_f" and "U_h");
// a joint MGRU truncation stores one shared "U_fh.right". The metadata adds
// "compressed" (the method), "ranks" and "joint".

// compressedKeys are the metadata entries a compressed file adds.
var compressedKeys = []string{"compressed", "ranks", "joint"}

// File returns c as a safetensors file (see the package comment above).
func (c *Compressed) File(meta map[string]string) (*safetensors.File, error) {
	for k := range meta {
		if slices.Contains(compressedKeys, k) {
			return nil, fmt.Errorf("rnn: metadata key %q is reserved for the compression", k)
		}
	}
	f, err := c.Model.File(meta)
	if err != nil {
		return nil, err
	}
	f.Metadata["compressed"] = string(c.Spec.Method)
	f.Metadata["ranks"] = fmt.Sprintf("%d,%d", c.Ranks[0], c.Ranks[1])
	f.Metadata["joint"] = strconv.FormatBool(c.Spec.Joint)
	shapes := c.shapes()
	for g := 0; g < c.Cell.gates(); g++ {
		name := shapes[3*g+1].name
		delete(f.Tensors, name)
		fc := c.Factors[g]
		f.Tensors[name+".left"] = safetensors.FromFloat32([]int{fc.U.Rows, fc.U.Cols}, fc.U.Data)
		right := name + ".right"
		if c.Spec.Joint {
			right = "U_fh.right"
		}
		f.Tensors[right] = safetensors.FromFloat32([]int{fc.V.Rows, fc.V.Cols}, fc.V.Data)
	}
	return f, nil
}

// Save writes c to the named file.
func (c *Compressed) Save(path string, meta map[string]string) error {
	f, err := c.File(meta)
	if err != nil {
		return err
	}
	return safetensors.WriteFile(path, f)
}

// Write writes c to w.
func (c *Compressed) Write(w io.Writer, meta map[string]string) error {
	f, err := c.File(meta)
	if err != nil {
		return err
	}
	return safetensors.Write(w, f)
}

// LoadCompressed reads a compressed model file written by Compressed.Save,
// as strictly as Load reads a model file.
func LoadCompressed(path string) (*Compressed, map[string]string, error) {
	f, err := safetensors.ReadFile(path, safetensors.Limits{})
	if err != nil {
		return nil, nil, err
	}
	c, meta, err := CompressedFromFile(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, meta, nil
}

// ReadCompressed reads a compressed model from r.
func ReadCompressed(r io.Reader) (*Compressed, map[string]string, error) {
	f, err := safetensors.Read(r, safetensors.Limits{})
	if err != nil {
		return nil, nil, err
	}
	return CompressedFromFile(f)
}

// CompressedFromFile builds a compressed model from a safetensors file.
func CompressedFromFile(f *safetensors.File) (*Compressed, map[string]string, error) {
	cfg, err := configFromMeta(f.Metadata)
	if err != nil {
		return nil, nil, err
	}
	md := f.Metadata
	method := Method(md["compressed"])
	if method != SVD && method != Whitened {
		return nil, nil, fmt.Errorf("metadata compressed = %q: not a compressed model file (or an unknown method)", md["compressed"])
	}
	joint, err := strconv.ParseBool(md["joint"])
	if err != nil || (joint && cfg.Cell != MGRU) {
		return nil, nil, fmt.Errorf("metadata joint = %q is not valid for a %s model", md["joint"], cfg.Cell)
	}
	var ranks [2]int
	rs := strings.Split(md["ranks"], ",")
	if len(rs) != 2 {
		return nil, nil, fmt.Errorf("metadata ranks = %q, want two ranks such as 16,16", md["ranks"])
	}
	n := cfg.Hidden
	for g := range 2 {
		if ranks[g], err = strconv.Atoi(rs[g]); err != nil || ranks[g] < 0 || ranks[g] > n || (g < cfg.Cell.gates() && ranks[g] < 1) {
			return nil, nil, fmt.Errorf("metadata ranks = %q: want ranks in [1, %d]", md["ranks"], n)
		}
	}
	if joint && ranks[0] != ranks[1] {
		return nil, nil, fmt.Errorf("metadata ranks = %q: a joint truncation has one rank", md["ranks"])
	}
	shapes := cfg.shapes()
	skip := map[string]bool{}
	var extra []paramShape
	for g := 0; g < cfg.Cell.gates(); g++ {
		name := shapes[3*g+1].name
		skip[name] = true
		extra = append(extra, paramShape{name + ".left", n, ranks[g]})
		if !joint {
			extra = append(extra, paramShape{name + ".right", ranks[g], n})
		}
	}
	if joint {
		extra = append(extra, paramShape{"U_fh.right", ranks[0], n})
	}
	all := append(slices.Clone(shapes), extra...)
	values, err := readTensors(f, all, skip)
	if err != nil {
		return nil, nil, err
	}
	m := buildModel(cfg, values)
	c := &Compressed{Model: m, Spec: CompressSpec{Method: method, Joint: joint, Ranks: ranks}, Ranks: ranks}
	for g := 0; g < cfg.Cell.gates(); g++ {
		name := shapes[3*g+1].name
		right := name + ".right"
		if joint {
			right = "U_fh.right"
		}
		mat := func(v []float32, rows, cols int) kernels.Matrix {
			return kernels.Matrix{Rows: rows, Cols: cols, Stride: cols, Data: v}
		}
		c.Factors[g] = kernels.LowRank{U: mat(values[name+".left"], n, ranks[g]), V: mat(values[right], ranks[g], n)}
		c.U[g] = reconstruct(c.Factors[g], n)
	}
	return c, userMeta(md), nil
}
