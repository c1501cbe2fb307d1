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
// a joint MGRU truncation stores one shared "U_fh.right". A matrix kept at
// full rank is stored whole, as "<U>". The metadata adds "compressed" (the
// method, "none" when nothing is truncated), "ranks" (a rank or "full" per
// matrix), "joint" and "precision".
//
// The precision is that of the recurrent tensors ("<U>", "<U>.left",
// "<U>.right", "U_fh.right"); every other tensor stays F32:
//
//	f32   F32 tensors
//	bf16  BF16 tensors (torch.bfloat16)
//	int8  I8 tensors of integers in [−64, 64], each with an F32 tensor of
//	      one scale per row, "<name>.scale" of shape [rows]: the matrix is
//	      q·scale row by row, in PyTorch
//	      t["U_h.left"].float() * t["U_h.left.scale"][:, None]
//
// safetensors.torch.load_file reads every one of them.

// compressedKeys are the metadata entries a compressed file adds.
var compressedKeys = []string{"compressed", "ranks", "joint", "precision"}

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
	method := string(c.Spec.Method)
	if method == "" {
		method = "none"
	}
	f.Metadata["compressed"] = method
	f.Metadata["ranks"] = Ranks{Rank(c.Ranks[0]), Rank(c.Ranks[1])}.String()
	if c.Cell != MGRU {
		f.Metadata["ranks"] = Rank(c.Ranks[0]).String() + ",0"
	}
	f.Metadata["joint"] = strconv.FormatBool(c.Spec.Joint)
	f.Metadata["precision"] = string(c.Precision())
	if c.Cell.Gated() {
		if err := c.gatedFile(f); err != nil {
			return nil, err
		}
		return f, nil
	}
	n := c.Hidden
	ops := c.operators()
	for g := 0; g < c.Cell.gates(); g++ {
		name := c.shapes()[3*g+1].name
		delete(f.Tensors, name)
		if c.Ranks[g] == int(Full) {
			putRecurrent(f, name, ops[g], c.U[g])
			continue
		}
		left, right := factorNames(c.Config, g, c.Spec.Joint)
		fc, r := c.Factors[g], c.Ranks[g]
		if fc.U.Rows != n || fc.U.Cols != r || fc.V.Rows != r || fc.V.Cols != n {
			return nil, fmt.Errorf("rnn: the factors of %s are %d×%d and %d×%d, want %d×%d and %d×%d for rank %d",
				name, fc.U.Rows, fc.U.Cols, fc.V.Rows, fc.V.Cols, n, r, r, n, r)
		}
		u, v := factorOps(ops[g])
		putRecurrent(f, left, u, fc.U)
		putRecurrent(f, right, v, fc.V)
	}
	return f, nil
}

// factorOps returns the packed factors of a low-rank operator (nil, nil for
// float32, whose factors are written from the matrices).
func factorOps(op kernels.Operator) (u, v kernels.Operator) {
	switch lr := op.(type) {
	case *kernels.PackedInt8LowRank:
		return lr.U, lr.V
	case *kernels.PackedBF16LowRank:
		return lr.U, lr.V
	}
	return nil, nil
}

// putRecurrent stores one recurrent matrix of the file in its precision:
// int8 with its scales, bf16, or float32 from a.
func putRecurrent(f *safetensors.File, name string, op kernels.Operator, a kernels.Matrix) {
	switch q := op.(type) {
	case *kernels.PackedInt8:
		v, scale := q.Quantized()
		f.Tensors[name] = safetensors.FromInt8([]int{q.Rows(), q.Cols()}, v)
		f.Tensors[name+".scale"] = safetensors.FromFloat32([]int{q.Rows()}, scale)
	case *kernels.PackedBF16:
		f.Tensors[name] = safetensors.FromBF16([]int{q.Rows(), q.Cols()}, q.BF16())
	default:
		f.Tensors[name] = matrixTensor(a)
	}
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
	if cfg.Cell.Gated() {
		ranks, err := gatedRanksOf(f.Metadata, cfg, spec.Joint)
		if err != nil {
			return nil, nil, err
		}
		values, err := readTensors(f, cfg.gatedCompressedTensors(ranks))
		if err != nil {
			return nil, nil, err
		}
		c := &Compressed{Model: buildModel(cfg, values), Spec: spec}
		if err := c.gatedFromFile(values, ranks); err != nil {
			return nil, nil, err
		}
		return c, userMeta(f.Metadata), nil
	}
	specs := cfg.compressedTensors(spec)
	values, err := readTensors(f, specs)
	if err != nil {
		return nil, nil, err
	}
	m := buildModel(cfg, values)
	c := &Compressed{Model: m, Spec: spec, Ranks: spec.Ranks}
	n := cfg.Hidden
	p := spec.Precision
	for g := 0; g < cfg.Cell.gates(); g++ {
		name := cfg.shapes()[3*g+1].name
		if spec.Ranks[g] == int(Full) {
			op, a, err := readRecurrent(f, values, p, name, n, n, nil)
			if err != nil {
				return nil, nil, err
			}
			c.ops[g], c.U[g] = op, a
			continue
		}
		left, right := factorNames(cfg, g, spec.Joint)
		var shared kernels.Operator
		if spec.Joint && g == 1 {
			_, shared = factorOps(c.ops[0])
		}
		uop, u, err := readRecurrent(f, values, p, left, n, spec.Ranks[g], nil)
		if err != nil {
			return nil, nil, err
		}
		vop, v, err := readRecurrent(f, values, p, right, spec.Ranks[g], n, shared)
		if err != nil {
			return nil, nil, err
		}
		c.Factors[g] = kernels.LowRank{U: u, V: v}
		c.U[g] = reconstruct(c.Factors[g], n)
		switch p {
		case BF16:
			c.ops[g], _ = kernels.NewPackedBF16LowRank(uop.(*kernels.PackedBF16), vop.(*kernels.PackedBF16)) // shapes checked
		case Int8:
			if c.ops[g], err = kernels.NewPackedInt8LowRank(uop.(*kernels.PackedInt8), vop.(*kernels.PackedInt8)); err != nil {
				return nil, nil, err
			}
		}
	}
	if p == F32 {
		c.ops = [2]kernels.Operator{} // packed on first use
	}
	return c, userMeta(f.Metadata), nil
}

// readRecurrent decodes the recurrent tensor name (rows×cols) in precision
// p, and returns its packed form (nil for float32, or shared when the
// joint right factor was already read) and the matrix it represents.
// Quantized values must decode to finite weights within Bounds.Weight,
// int8 ones lie in [−64, 64].
func readRecurrent(f *safetensors.File, values map[string][]float32, p Precision, name string, rows, cols int, shared kernels.Operator) (kernels.Operator, kernels.Matrix, error) {
	var op interface {
		kernels.Operator
		Dequantize() kernels.Matrix
	}
	switch p {
	case F32:
		return nil, kernels.Matrix{Rows: rows, Cols: cols, Stride: cols, Data: values[name]}, nil
	case BF16:
		bits, err := f.Tensors[name].BF16() // dtype and shape checked by readTensors
		if err != nil {
			return nil, kernels.Matrix{}, fmt.Errorf("tensor %s: %w", quote.String(name), err)
		}
		if op, err = kernels.NewPackedBF16(rows, cols, bits); err != nil {
			return nil, kernels.Matrix{}, fmt.Errorf("tensor %s: %w", quote.String(name), err)
		}
	case Int8:
		q, err := f.Tensors[name].Int8()
		if err != nil {
			return nil, kernels.Matrix{}, fmt.Errorf("tensor %s: %w", quote.String(name), err)
		}
		if op, err = kernels.NewPackedInt8(rows, cols, q, values[name+".scale"]); err != nil {
			return nil, kernels.Matrix{}, fmt.Errorf("tensor %s: %w", quote.String(name), err)
		}
	}
	if shared != nil {
		op = shared.(interface {
			kernels.Operator
			Dequantize() kernels.Matrix
		})
	}
	a := op.Dequantize()
	if err := checkWeights(name, a.Data); err != nil {
		return nil, kernels.Matrix{}, err
	}
	return op, a, nil
}

// compressionFromMeta parses and checks the metadata a compressed file
// adds: the method, joint, and one rank per recurrent matrix in [1, n].
func compressionFromMeta(md map[string]string, cfg Config) (CompressSpec, error) {
	method := Method(md["compressed"])
	if method != SVD && method != Whitened && method != "none" {
		return CompressSpec{}, fmt.Errorf("metadata compressed = %s: not a compressed model file, or an unknown method (want %q, %q or none)", quote.String(md["compressed"]), SVD, Whitened)
	}
	precision := F32
	if s, ok := md["precision"]; ok {
		if p := Precision(s); p.valid() {
			precision = p
		} else {
			return CompressSpec{}, fmt.Errorf("metadata precision = %s, want %s, %s or %s", quote.String(s), F32, BF16, Int8)
		}
	}
	joint, err := strconv.ParseBool(md["joint"])
	if err != nil || (joint && cfg.Cell != MGRU && !cfg.Cell.Gated()) {
		return CompressSpec{}, fmt.Errorf("metadata joint = %s is not valid for a %s model (want true or false; true only for the MGRU, GRU and LSTM)", quote.String(md["joint"]), cfg.Cell)
	}
	if cfg.Cell.Gated() {
		if precision != F32 {
			return CompressSpec{}, fmt.Errorf("metadata precision = %s: a %s file holds %s weights only", quote.String(md["precision"]), cfg.Cell, F32)
		}
		return CompressSpec{Method: method, Joint: joint}, nil // the ranks are per layer: gatedRanksOf
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
		if rs[g] == "full" {
			ranks[g] = int(Full)
			continue
		}
		r, err := Bounds.Rank.Parse(rs[g])
		if err == nil {
			err = CheckRank(r, n)
		}
		if err != nil {
			return CompressSpec{}, fmt.Errorf("metadata ranks = %s: %w", quote.String(md["ranks"]), err)
		}
		if precision == Int8 && r > kernels.MaxInt8Rank {
			return CompressSpec{}, fmt.Errorf("metadata ranks = %s: int8 low rank goes up to rank %d", quote.String(md["ranks"]), kernels.MaxInt8Rank)
		}
		ranks[g] = r
	}
	truncates := ranks[0] != int(Full) || (cfg.Cell == MGRU && ranks[1] != int(Full))
	switch {
	case joint && (ranks[0] != ranks[1] || !truncates):
		return CompressSpec{}, fmt.Errorf("metadata ranks = %s: a joint truncation has one rank", quote.String(md["ranks"]))
	case truncates == (method == "none"):
		return CompressSpec{}, fmt.Errorf("metadata compressed = %s and ranks = %s: \"none\" is the method of a file whose matrices are all full rank, and only of those",
			quote.String(md["compressed"]), quote.String(md["ranks"]))
	case !truncates && precision == F32:
		return CompressSpec{}, fmt.Errorf("metadata ranks = %s and precision = f32: nothing is compressed; load it with rnn.Load", quote.String(md["ranks"]))
	}
	if method == "none" {
		method = ""
	}
	return CompressSpec{Method: method, Joint: joint, Ranks: ranks, Precision: precision}, nil
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
	recurrent := func(name string, rows, cols int) {
		switch spec.Precision {
		case Int8:
			ts = append(ts, tensorSpec{name: name, shape: []int{rows, cols}, dtype: safetensors.I8},
				tensorSpec{name: name + ".scale", shape: []int{rows}})
		case BF16:
			ts = append(ts, tensorSpec{name: name, shape: []int{rows, cols}, dtype: safetensors.BF16})
		default:
			ts = append(ts, tensorSpec{name: name, shape: []int{rows, cols}})
		}
	}
	for i, s := range c.shapes() {
		if g := i / 3; i%3 == 1 && g < c.Cell.gates() {
			if spec.Ranks[g] == int(Full) {
				recurrent(s.name, n, n)
				continue
			}
			left, right := factorNames(c, g, spec.Joint)
			recurrent(left, n, spec.Ranks[g])
			if !spec.Joint || g == 0 {
				recurrent(right, spec.Ranks[g], n)
			}
			continue
		}
		ts = append(ts, s.tensorSpec())
	}
	return ts
}
