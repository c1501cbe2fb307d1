package rnn

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
	"github.com/lowrank-rnn/lowrank/internal/quote"
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
	n := c.Hidden
	for g := 0; g < c.Cell.gates(); g++ {
		delete(f.Tensors, c.shapes()[3*g+1].name)
		left, right := factorNames(c.Config, g, c.Spec.Joint)
		fc, r := c.Factors[g], c.Ranks[g]
		if fc.U.Rows != n || fc.U.Cols != r || fc.V.Rows != r || fc.V.Cols != n {
			return nil, fmt.Errorf("rnn: the factors of %s are %d×%d and %d×%d, want %d×%d and %d×%d for rank %d",
				c.shapes()[3*g+1].name, fc.U.Rows, fc.U.Cols, fc.V.Rows, fc.V.Cols, n, r, r, n, r)
		}
		f.Tensors[left] = matrixTensor(fc.U)
		f.Tensors[right] = matrixTensor(fc.V)
	}
	return f, nil
}

// matrixTensor returns a as an F32 tensor of shape [Rows, Cols], rows
// packed (a may be a view with a larger stride).
func matrixTensor(a kernels.Matrix) safetensors.Tensor {
	v := make([]float32, 0, a.Rows*a.Cols)
	for i := 0; i < a.Rows; i++ {
		v = append(v, a.Row(i)...)
	}
	return safetensors.FromFloat32([]int{a.Rows, a.Cols}, v)
}

// Save writes c to the named file, atomically: the new file is loaded back
// with LoadCompressed before it replaces anything, so that a file that
// would not load (a wrong shape, a non-finite factor) never reaches the
// path, and on any failure the previous file is unchanged.
func (c *Compressed) Save(path string, meta map[string]string) error {
	f, err := c.File(meta)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(w io.Writer) error { return safetensors.Write(w, f) },
		func(tmp string) error { return loadBack(tmp, ReadCompressed) })
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
	spec, err := compressionFromMeta(f.Metadata, cfg)
	if err != nil {
		return nil, nil, err
	}
	values, err := readTensors(f, cfg.compressedTensors(spec))
	if err != nil {
		return nil, nil, err
	}
	m := buildModel(cfg, values)
	c := &Compressed{Model: m, Spec: spec, Ranks: spec.Ranks}
	n := cfg.Hidden
	mat := func(v []float32, rows, cols int) kernels.Matrix {
		return kernels.Matrix{Rows: rows, Cols: cols, Stride: cols, Data: v}
	}
	for g := 0; g < cfg.Cell.gates(); g++ {
		left, right := factorNames(cfg, g, spec.Joint)
		c.Factors[g] = kernels.LowRank{U: mat(values[left], n, spec.Ranks[g]), V: mat(values[right], spec.Ranks[g], n)}
		c.U[g] = reconstruct(c.Factors[g], n)
	}
	return c, userMeta(f.Metadata), nil
}

// compressionFromMeta parses and checks the metadata a compressed file
// adds: the method, joint, and one rank per recurrent matrix in [1, n].
func compressionFromMeta(md map[string]string, cfg Config) (CompressSpec, error) {
	method := Method(md["compressed"])
	if method != SVD && method != Whitened {
		return CompressSpec{}, fmt.Errorf("metadata compressed = %s: not a compressed model file, or an unknown method (want %q or %q)", quote.String(md["compressed"]), SVD, Whitened)
	}
	joint, err := strconv.ParseBool(md["joint"])
	if err != nil || (joint && cfg.Cell != MGRU) {
		return CompressSpec{}, fmt.Errorf("metadata joint = %s is not valid for a %s model (want true or false; true only for the MGRU)", quote.String(md["joint"]), cfg.Cell)
	}
	var ranks [2]int
	rs := strings.SplitN(md["ranks"], ",", 3) // at most 3: a hostile list can be megabytes
	if len(rs) != 2 {
		return CompressSpec{}, fmt.Errorf("metadata ranks = %s, want two ranks such as 16,16", quote.String(md["ranks"]))
	}
	n := cfg.Hidden
	for g := range 2 {
		if g >= cfg.Cell.gates() {
			if rs[g] != "0" {
				return CompressSpec{}, fmt.Errorf("metadata ranks = %s: an RNN has one recurrent matrix, want R,0", quote.String(md["ranks"]))
			}
			continue
		}
		r, err := Bounds.Rank.Parse(rs[g])
		if err == nil {
			err = CheckRank(r, n)
		}
		if err != nil {
			return CompressSpec{}, fmt.Errorf("metadata ranks = %s: %w", quote.String(md["ranks"]), err)
		}
		ranks[g] = r
	}
	if joint && ranks[0] != ranks[1] {
		return CompressSpec{}, fmt.Errorf("metadata ranks = %s: a joint truncation has one rank", quote.String(md["ranks"]))
	}
	return CompressSpec{Method: method, Joint: joint, Ranks: ranks}, nil
}

// factorNames returns the names of the left and right factors of gate g's
// recurrent matrix in a compressed file.
func factorNames(cfg Config, g int, joint bool) (left, right string) {
	name := cfg.shapes()[3*g+1].name
	if joint {
		return name + ".left", "U_fh.right"
	}
	return name + ".left", name + ".right"
}

// compressedTensors lists the tensors of a compressed file: the model's,
// with each recurrent matrix replaced by its factors, always stored as
// matrices (n×r and r×n, also for r = 1).
func (c Config) compressedTensors(spec CompressSpec) []tensorSpec {
	n := c.Hidden
	var ts []tensorSpec
	for i, s := range c.shapes() {
		if g := i / 3; i%3 == 1 && g < c.Cell.gates() {
			left, right := factorNames(c, g, spec.Joint)
			ts = append(ts, tensorSpec{name: left, shape: []int{n, spec.Ranks[g]}})
			if !spec.Joint || g == 0 {
				ts = append(ts, tensorSpec{name: right, shape: []int{spec.Ranks[g], n}})
			}
			continue
		}
		ts = append(ts, s.tensorSpec())
	}
	return ts
}
