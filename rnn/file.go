package rnn

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"

	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
	"github.com/lowrank-rnn/lowrank/internal/quote"
	"github.com/lowrank-rnn/lowrank/kernels"
	"github.com/lowrank-rnn/lowrank/rnn/safetensors"
)

// Model files are safetensors: one F32 tensor per parameter, named as in
// Params ("W", "U", "b", "R", "c" for the RNN; "W_f", "U_f", … for the
// MGRU; PyTorch's names for the GRU and LSTM), and a "__metadata__" map
// with the configuration ("format", "cell", "in", "hidden", "out",
// "objective", "burn", and for the GRU and LSTM "layers" and "proj") plus
// whatever the caller records (task, training settings). A PyTorch
// state_dict of a GRU or LSTM, which has no such metadata, loads too (see
// torch.go).

// FormatVersion identifies this layout in the "format" metadata entry.
const FormatVersion = "lowrank-model-1"

// configKeys are the metadata entries the configuration occupies.
var configKeys = []string{"format", "cell", "in", "hidden", "out", "objective", "burn", "layers", "proj"}

// File returns m as a safetensors file with meta merged into its metadata.
// meta may not override the configuration keys.
func (m *Model) File(meta map[string]string) (*safetensors.File, error) {
	if err := m.Config.validate(); err != nil {
		return nil, err
	}
	md := map[string]string{
		"format":    FormatVersion,
		"cell":      string(m.Cell),
		"in":        strconv.Itoa(m.In),
		"hidden":    strconv.Itoa(m.Hidden),
		"out":       strconv.Itoa(m.Out),
		"objective": string(m.Objective),
		"burn":      strconv.Itoa(m.Burn),
	}
	if m.Cell.Gated() { // the RNN's and MGRU's files stay as they were
		md["layers"], md["proj"] = strconv.Itoa(m.NumLayers), strconv.Itoa(m.Proj)
	}
	for k, v := range meta {
		if slices.Contains(configKeys, k) {
			return nil, fmt.Errorf("rnn: metadata key %q is reserved for the model configuration", k)
		}
		md[k] = v
	}
	f := &safetensors.File{Metadata: md, Tensors: map[string]safetensors.Tensor{}}
	shapes := m.shapes()
	for i, p := range m.Params() {
		if len(p.Data) != p.Rows*p.Cols { // FromFloat32 would panic
			return nil, fmt.Errorf("rnn: parameter %s holds %d values, want %d×%d = %d", p.Name, len(p.Data), p.Rows, p.Cols, p.Rows*p.Cols)
		}
		f.Tensors[p.Name] = safetensors.FromFloat32(shapes[i].tensorShape(), p.Data)
	}
	return f, nil
}

// Write writes m to w as safetensors; the same model and metadata give the
// same bytes.
func (m *Model) Write(w io.Writer, meta map[string]string) error {
	f, err := m.File(meta)
	if err != nil {
		return err
	}
	return safetensors.Write(w, f)
}

// Save writes m to the named file, atomically: the new file is loaded back
// with Load before it replaces anything, and on any failure the previous
// file is unchanged (see atomicfile.Write).
func (m *Model) Save(path string, meta map[string]string) error {
	f, err := m.File(meta)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(w io.Writer) error { return safetensors.Write(w, f) },
		func(tmp string) error { return loadBack(tmp, Read) })
}

// Load reads a model file written by Save, strictly: a file that is not
// valid safetensors, lacks or misstates the configuration, has a tensor of
// the wrong name, dtype or shape, or holds a NaN or infinite weight, is an
// error naming what is wrong. It returns the model and the caller's
// metadata (the configuration keys removed).
func Load(path string) (*Model, map[string]string, error) {
	f, err := safetensors.ReadFile(path, safetensors.Limits{})
	if err != nil {
		return nil, nil, err
	}
	m, meta, err := FromFile(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, meta, nil
}

// loadBack reads the file a Save has just written with the strict reader
// (Read or ReadCompressed) before it replaces anything. The error names no
// path: the temporary file's name would mean nothing to the user.
func loadBack[T any](tmp string, read func(io.Reader) (T, map[string]string, error)) error {
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	defer f.Close()
	_, _, err = read(f)
	return err
}

// Read reads a model from r; see Load.
func Read(r io.Reader) (*Model, map[string]string, error) {
	f, err := safetensors.Read(r, safetensors.Limits{})
	if err != nil {
		return nil, nil, err
	}
	return FromFile(f)
}

// FromFile builds a model from a safetensors file; see Load. A file with
// no lowrank metadata that holds a PyTorch GRU or LSTM is read by
// FromTorch.
func FromFile(f *safetensors.File) (*Model, map[string]string, error) {
	if isTorchFile(f) {
		m, err := FromTorch(f)
		if err != nil {
			return nil, nil, err
		}
		return m, userMeta(f.Metadata), nil
	}
	cfg, err := configFromMeta(f.Metadata)
	if err != nil {
		return nil, nil, err
	}
	if f.Metadata["compressed"] != "" {
		return nil, nil, errors.New("a compressed model: load it with rnn.LoadCompressed")
	}
	values, err := readTensors(f, cfg.modelTensors())
	if err != nil {
		return nil, nil, err
	}
	return buildModel(cfg, values), userMeta(f.Metadata), nil
}

// configFromMeta parses the configuration keys of a model file.
func configFromMeta(md map[string]string) (Config, error) {
	if md["format"] != FormatVersion {
		return Config{}, fmt.Errorf("metadata format = %s, want %q (not a lowrank model file?)", quote.String(md["format"]), FormatVersion)
	}
	cfg := Config{Cell: Cell(md["cell"]), Objective: Objective(md["objective"])}
	if !cfg.Cell.valid() {
		return Config{}, fmt.Errorf("metadata cell = %s, want %q, %q, %q or %q", quote.String(md["cell"]), RNN, MGRU, GRU, LSTM)
	}
	if !cfg.Objective.valid() {
		return Config{}, fmt.Errorf("metadata objective = %s, want %q, %q or %q", quote.String(md["objective"]), Regression, ClassifyLast, ClassifyEach)
	}
	for _, kv := range []struct {
		r   IntRange
		dst *int
	}{{Bounds.In, &cfg.In}, {Bounds.Hidden, &cfg.Hidden}, {Bounds.Out, &cfg.Out}, {Bounds.Burn, &cfg.Burn}} {
		if kv.r.Name == Bounds.Out.Name && cfg.Cell.Gated() && md["out"] == "0" {
			continue // a GRU or LSTM without a readout
		}
		v, err := kv.r.Parse(md[kv.r.Name])
		if err != nil {
			return Config{}, metaError(err)
		}
		*kv.dst = v
	}
	if cfg.Cell.Gated() {
		v, err := Bounds.Layers.Parse(md["layers"])
		if err != nil {
			return Config{}, metaError(err)
		}
		cfg.NumLayers = v
		proj := IntRange{"proj", 0, cfg.Hidden - 1, "LSTM projection size, below the units"}
		if cfg.Proj, err = proj.Parse(md["proj"]); err != nil {
			return Config{}, metaError(err)
		}
	}
	return cfg, cfg.validate()
}

// tensorSpec is a tensor a file must hold: its name, exact shape (or the
// legacy shape older files wrote it in; nil: none), and dtype ("" for F32,
// the only one readTensors decodes).
type tensorSpec struct {
	name          string
	shape, legacy []int
	dtype         string
}

// modelTensors lists the tensors of a model file of this configuration.
func (c Config) modelTensors() []tensorSpec {
	var ts []tensorSpec
	for _, s := range c.shapes() {
		ts = append(ts, s.tensorSpec())
	}
	return ts
}

// readTensors checks and decodes the tensors of specs, and rejects any
// other tensor in the file. Everything is checked against the
// configuration before a model is allocated, so a header claiming huge
// sizes costs nothing: the decoded tensors are no larger than the file.
// Every weight must be finite and within Bounds.Weight.
func readTensors(f *safetensors.File, specs []tensorSpec) (map[string][]float32, error) {
	values := map[string][]float32{}
	for _, s := range specs {
		if s.dtype != "" { // a quantized tensor: its reader decodes it
			t, ok := f.Tensors[s.name]
			switch {
			case !ok:
				return nil, fmt.Errorf("tensor %q not found", s.name)
			case t.DType != s.dtype:
				return nil, fmt.Errorf("tensor %q has dtype %s, want %s", s.name, t.DType, s.dtype)
			case !slices.Equal(t.Shape, s.shape):
				return nil, fmt.Errorf("tensor %q has shape %v, want %v", s.name, t.Shape, s.shape)
			}
			if err := t.Check(); err != nil {
				return nil, fmt.Errorf("tensor %q: %w", s.name, err)
			}
			continue
		}
		shape := s.shape
		if t, ok := f.Tensors[s.name]; ok && s.legacy != nil && slices.Equal(t.Shape, s.legacy) {
			shape = s.legacy
		}
		v, err := f.Float32(s.name, shape...)
		if err != nil {
			return nil, err
		}
		if err := checkWeights(s.name, v); err != nil {
			return nil, err
		}
		values[s.name] = v
	}
	for _, name := range slices.Sorted(maps.Keys(f.Tensors)) {
		if !slices.ContainsFunc(specs, func(s tensorSpec) bool { return s.name == name }) {
			return nil, fmt.Errorf("unexpected tensor %s", quote.String(name))
		}
	}
	return values, nil
}

// buildModel allocates a model of cfg and fills it from values (missing
// tensors stay zero).
func buildModel(cfg Config, values map[string][]float32) *Model {
	if cfg.Cell.Gated() {
		return buildGated(cfg, values)
	}
	n := cfg.Hidden
	m := &Model{Config: cfg}
	for g := 0; g < cfg.Cell.gates(); g++ {
		m.W[g] = kernels.NewMatrix(n, cfg.In)
		m.U[g] = kernels.NewMatrix(n, n)
		m.B[g] = make([]float32, n)
	}
	m.R = kernels.NewMatrix(cfg.Out, n)
	m.C = make([]float32, cfg.Out)
	for _, p := range m.Params() {
		copy(p.Data, values[p.Name])
	}
	return m
}

// userMeta returns the metadata without the configuration keys.
func userMeta(md map[string]string) map[string]string {
	meta := map[string]string{}
	for k, v := range md {
		if !slices.Contains(configKeys, k) && !slices.Contains(compressedKeys, k) {
			meta[k] = v
		}
	}
	return meta
}
