package rnn

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/lowrank-rnn/lowrank/internal/quote"
	"github.com/lowrank-rnn/lowrank/kernels"
	"github.com/lowrank-rnn/lowrank/rnn/safetensors"
)

// PyTorch model files. A GRU or LSTM saved from PyTorch with
//
//	safetensors.torch.save_file(model.state_dict(), "model.safetensors")
//
// loads with Load like a lowrank model file. The file is a state_dict: for
// each layer k, "<prefix>weight_ih_l<k>", "weight_hh_l<k>", "bias_ih_l<k>",
// "bias_hh_l<k>" (and "weight_hr_l<k>" for an LSTM with proj_size), where
// <prefix> is the path of the GRU or LSTM in the saved module ("" for the
// module itself, "rnn." for an attribute rnn); the cell, the sizes, the
// layers and the projection follow from the shapes. At most one more
// pair "<name>weight" (Out×P) and "<name>bias" (Out) is read as a linear
// readout on the top layer's output (an nn.Linear head, bias optional);
// any other tensor is an error that names it, as are a missing or
// misshapen one and a bidirectional model (tensors "…_reverse"), which
// cannot stream. Such a file carries no task: it is read as a Regression
// model (a readout at every step, none scored before Burn = 0).
//
// lowrank writes its own GRU and LSTM models in the same layout, with the
// prefix "rnn." and the readout "fc." (see the README for the module that
// loads them back into PyTorch), and its metadata beside them.

// ErrNotPyTorch is LoadPyTorch's error for a file that is not a PyTorch
// state_dict (it has lowrank's metadata, or no GRU or LSTM tensors).
var ErrNotPyTorch = errors.New("not a PyTorch GRU or LSTM state_dict")

// LoadPyTorch loads a PyTorch state_dict of a GRU or LSTM, as Load does,
// and returns ErrNotPyTorch (wrapped) for any other model file, so that a
// caller can treat a file that names no task apart from a lowrank file
// that lost its task.
func LoadPyTorch(path string) (*Model, map[string]string, error) {
	f, err := safetensors.ReadFile(path, safetensors.Limits{})
	if err != nil {
		return nil, nil, err
	}
	if !isTorchFile(f) {
		return nil, nil, fmt.Errorf("%s: %w", path, ErrNotPyTorch)
	}
	m, meta, err := FromFile(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, meta, nil
}

// isTorchFile reports whether f looks like a PyTorch state_dict of a GRU
// or LSTM rather than a lowrank model file: no lowrank format in its
// metadata, and a tensor whose name ends in "weight_ih_l0".
func isTorchFile(f *safetensors.File) bool {
	if f.Metadata["format"] != "" {
		return false
	}
	for name := range f.Tensors {
		if strings.HasSuffix(name, "weight_ih_l0") {
			return true
		}
	}
	return false
}

// FromTorch builds a GRU or LSTM model from a safetensors file holding a
// PyTorch state_dict (see above). Every tensor is checked, for its shape
// and for finite weights within Bounds.Weight, before the model is built.
func FromTorch(f *safetensors.File) (*Model, error) {
	names := slices.Sorted(maps.Keys(f.Tensors))
	var heads []string
	for _, name := range names {
		if strings.HasSuffix(name, "weight_ih_l0") {
			heads = append(heads, name)
		}
	}
	switch len(heads) {
	case 0:
		return nil, fmt.Errorf("no tensor ends in weight_ih_l0: not the state_dict of a PyTorch GRU or LSTM")
	case 1:
	default:
		return nil, fmt.Errorf("%d tensors end in weight_ih_l0 (%s, …): one GRU or LSTM per file", len(heads), quote.String(heads[0]))
	}
	prefix := strings.TrimSuffix(heads[0], "weight_ih_l0")
	for _, name := range names {
		if strings.HasPrefix(name, prefix) && strings.HasSuffix(name, "_reverse") {
			return nil, fmt.Errorf("tensor %s: a bidirectional model, whose output at each step needs the inputs after it, cannot stream; lowrank runs unidirectional GRUs and LSTMs", quote.String(name))
		}
	}
	cfg, err := torchConfig(f, prefix)
	if err != nil {
		return nil, err
	}
	specs := cfg.gatedTensors(prefix, "")
	readout, err := torchReadoutOf(f, cfg, specs)
	if err != nil {
		return nil, err
	}
	if readout.weight != "" {
		cfg.Out = f.Tensors[readout.weight].Shape[0]
		specs = append(specs, tensorSpec{name: readout.weight, shape: []int{cfg.Out, cfg.stateWidth()}})
		if readout.bias != "" {
			specs = append(specs, tensorSpec{name: readout.bias, shape: []int{cfg.Out}})
		}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	values, err := readTensors(f, specs)
	if err != nil {
		return nil, err
	}
	// Rename to the model's own names, the readout to "fc.".
	canon := map[string][]float32{}
	own := cfg.gatedTensors(torchPrefix, torchReadout)
	for i, s := range cfg.gatedTensors(prefix, "") {
		canon[own[i].name] = values[s.name]
	}
	if readout.weight != "" {
		canon[torchReadout+"weight"] = values[readout.weight]
		canon[torchReadout+"bias"] = values[readout.bias] // nil without a bias: zeros
	}
	return buildModel(cfg, canon), nil
}

// torchConfig infers a model's configuration from the shapes of the
// recurrent tensors under prefix: the cell from the ratio of weight_hh's
// rows to its units (3: GRU, 4: LSTM), the units from weight_hh's columns
// or, with a projection, weight_hr's, and the layers from the
// consecutive weight_ih_l<k>.
func torchConfig(f *safetensors.File, prefix string) (Config, error) {
	shape := func(name string) ([]int, error) {
		t, ok := f.Tensors[prefix+name]
		if !ok {
			return nil, fmt.Errorf("tensor %s is missing", quote.String(prefix+name))
		}
		if len(t.Shape) != 2 {
			return nil, fmt.Errorf("tensor %s has shape %v, want a matrix", quote.String(prefix+name), t.Shape)
		}
		return t.Shape, nil
	}
	ih, err := shape("weight_ih_l0")
	if err != nil {
		return Config{}, err
	}
	hh, err := shape("weight_hh_l0")
	if err != nil {
		return Config{}, err
	}
	cfg := Config{In: ih[1], Objective: Regression}
	units, proj := hh[1], 0
	if _, ok := f.Tensors[prefix+"weight_hr_l0"]; ok {
		hr, err := shape("weight_hr_l0")
		if err != nil {
			return Config{}, err
		}
		units, proj = hr[1], hr[0]
	}
	switch {
	case units < 1:
		return Config{}, fmt.Errorf("tensor %s has shape %v: no units", quote.String(prefix+"weight_hh_l0"), hh)
	case hh[0] == 3*units && proj == 0:
		cfg.Cell = GRU
	case hh[0] == 4*units:
		cfg.Cell = LSTM
	default:
		return Config{}, fmt.Errorf("tensor %s has shape %v: %d rows are neither 3 (GRU) nor 4 (LSTM) gates of %d units",
			quote.String(prefix+"weight_hh_l0"), hh, hh[0], units)
	}
	cfg.Hidden, cfg.Proj = units, proj
	for cfg.NumLayers = 1; ; cfg.NumLayers++ {
		if _, ok := f.Tensors[prefix+"weight_ih_l"+strconv.Itoa(cfg.NumLayers)]; !ok {
			break
		}
		if cfg.NumLayers > Bounds.Layers.Max {
			return Config{}, fmt.Errorf("rnn: %w", Bounds.Layers.Check(cfg.NumLayers))
		}
	}
	return cfg, nil
}

// torchReadoutNames are the tensors of a readout found in a PyTorch file.
type torchReadoutNames struct{ weight, bias string }

// torchReadoutOf finds the readout among the tensors that are not the
// recurrent layers': none, or "<name>weight" (a matrix) with an optional
// "<name>bias". Anything else is an error naming the tensors.
func torchReadoutOf(f *safetensors.File, cfg Config, recurrent []tensorSpec) (torchReadoutNames, error) {
	var rest []string
	for _, name := range slices.Sorted(maps.Keys(f.Tensors)) {
		if !slices.ContainsFunc(recurrent, func(s tensorSpec) bool { return s.name == name }) {
			rest = append(rest, name)
		}
	}
	var r torchReadoutNames
	for _, name := range rest {
		if strings.HasSuffix(name, "weight") && len(f.Tensors[name].Shape) == 2 && r.weight == "" {
			r.weight = name
		}
	}
	if r.weight != "" {
		if b := strings.TrimSuffix(r.weight, "weight") + "bias"; slices.Contains(rest, b) {
			r.bias = b
		}
	}
	var extra []string
	for _, name := range rest {
		if name != r.weight && name != r.bias {
			extra = append(extra, quote.String(name))
		}
	}
	if len(extra) > 0 {
		what := fmt.Sprintf("a %d-layer %s", cfg.NumLayers, strings.ToUpper(string(cfg.Cell)))
		if len(extra) > 4 {
			extra = append(extra[:4], fmt.Sprintf("and %d more", len(extra)-4))
		}
		return r, fmt.Errorf("unexpected tensors %s: the file holds %s and at most a linear readout (name.weight, name.bias); lowrank reads nothing else",
			strings.Join(extra, ", "), what)
	}
	return r, nil
}

// gatedTensors lists the tensors of a GRU or LSTM of this configuration,
// the recurrent ones under prefix and, if readout is not empty and the
// model has one, the readout's "<readout>weight" and "<readout>bias".
func (c Config) gatedTensors(prefix, readout string) []tensorSpec {
	var ts []tensorSpec
	for _, s := range c.gatedShapes() {
		name := s.name
		switch {
		case strings.HasPrefix(name, torchPrefix):
			name = prefix + strings.TrimPrefix(name, torchPrefix)
		case readout == "":
			continue
		default:
			name = readout + strings.TrimPrefix(name, torchReadout)
		}
		ts = append(ts, tensorSpec{name: name, shape: s.tensorShape()}) // no legacy shapes: PyTorch's are 2-D
	}
	return ts
}

// buildGated allocates a GRU or LSTM model of cfg and fills it from values
// by the model's own tensor names (missing tensors stay zero).
func buildGated(cfg Config, values map[string][]float32) *Model {
	m := &Model{Config: cfg}
	g, h, p := cfg.Cell.torchGates(), cfg.Hidden, cfg.stateWidth()
	for k := 0; k < cfg.NumLayers; k++ {
		l := Layer{Wih: kernels.NewMatrix(g*h, cfg.layerIn(k)), Whh: kernels.NewMatrix(g*h, p),
			Bih: make([]float32, g*h), Bhh: make([]float32, g*h)}
		if cfg.Proj > 0 {
			l.Whr = kernels.NewMatrix(p, h)
		}
		m.Layers = append(m.Layers, l)
	}
	if cfg.Out > 0 {
		m.R = kernels.NewMatrix(cfg.Out, p)
		m.C = make([]float32, cfg.Out)
	}
	for _, prm := range m.Params() {
		copy(prm.Data, values[prm.Name])
	}
	return m
}
