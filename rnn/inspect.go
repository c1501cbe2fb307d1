package rnn

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/lowrank-rnn/lowrank/kernels"
	"github.com/lowrank-rnn/lowrank/rnn/safetensors"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// FileSummary is what a model file holds, for lowrank inspect: which kind
// of file it is, the model's configuration, the metadata, every tensor's
// shape and the singular values of each recurrent matrix.
type FileSummary struct {
	Kind    string // "lowrank model", "compressed lowrank model" or "PyTorch state_dict"
	Config  Config
	Meta    map[string]string
	Tensors []TensorSummary
	Spectra []Spectrum
	// Ranks describes a compressed file's ranks ("" for others).
	Ranks string
}

// TensorSummary is one tensor of a file.
type TensorSummary struct {
	Name  string
	DType string
	Shape []int
}

// Spectrum is the singular values of one recurrent matrix, largest first.
type Spectrum struct {
	Name       string // the tensor, and the gate for one gate's block
	Rows, Cols int
	Sigma      []float64
}

// Inspect reads a model file (lowrank's, a compressed one, or a PyTorch
// state_dict of a GRU or LSTM), strictly as Load does, and summarises it.
// The spectra are those of the recurrent matrices: U (RNN), U_f and U_h
// (MGRU), each layer's weight_hh and its gates' blocks (GRU, LSTM), as
// the file holds them (a compressed file's: the products of its factors).
func Inspect(path string) (*FileSummary, error) {
	f, err := safetensors.ReadFile(path, safetensors.Limits{})
	if err != nil {
		return nil, err
	}
	s := &FileSummary{Meta: map[string]string{}}
	for _, name := range slices.Sorted(maps.Keys(f.Tensors)) {
		t := f.Tensors[name]
		s.Tensors = append(s.Tensors, TensorSummary{Name: name, DType: t.DType, Shape: t.Shape})
	}
	var m *Model
	switch {
	case isTorchFile(f):
		s.Kind = "PyTorch state_dict"
		m, err = FromTorch(f)
	case f.Metadata["compressed"] != "":
		s.Kind = "compressed lowrank model"
		var c *Compressed
		c, s.Meta, err = CompressedFromFile(f)
		if err == nil {
			m, s.Ranks = c.Model, c.DescribeRanks()
		}
	default:
		s.Kind = "lowrank model"
		m, s.Meta, err = FromFile(f)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.Config = m.Config
	for _, r := range m.recurrentMatrices() {
		sv, err := singularValues(r.m)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, r.name, err)
		}
		s.Spectra = append(s.Spectra, Spectrum{Name: r.name, Rows: r.m.Rows, Cols: r.m.Cols, Sigma: sv})
	}
	return s, nil
}

type namedMatrix struct {
	name string
	m    kernels.Matrix
}

// recurrentMatrices lists the recurrent matrices of m by their tensor
// names; for a GRU or LSTM each layer's stacked weight_hh, then its gates'
// blocks.
func (m *Model) recurrentMatrices() []namedMatrix {
	var out []namedMatrix
	if !m.Cell.Gated() {
		for g := 0; g < m.Cell.gates(); g++ {
			out = append(out, namedMatrix{m.shapes()[3*g+1].name, m.U[g]})
		}
		return out
	}
	gates := map[Cell][]string{GRU: {"r", "z", "n"}, LSTM: {"i", "f", "g", "o"}}[m.Cell]
	h := m.Hidden
	for k, l := range m.Layers {
		name := torchPrefix + "weight_hh_l" + strconv.Itoa(k)
		out = append(out, namedMatrix{name, l.Whh})
		for q, g := range gates {
			block := kernels.Matrix{Rows: h, Cols: l.Whh.Cols, Stride: l.Whh.Stride, Data: l.Whh.Data[q*h*l.Whh.Stride:]}
			out = append(out, namedMatrix{name + " gate " + g, block})
		}
	}
	return out
}

// singularValues returns the singular values of a, largest first.
func singularValues(a kernels.Matrix) ([]float64, error) {
	if a.Rows == 0 || a.Cols == 0 {
		return nil, nil
	}
	var svd mat.SVD
	if !svd.Factorize(toDense(a), mat.SVDNone) {
		return nil, errors.New("SVD did not converge")
	}
	return svd.Values(nil), nil
}

// DescribeRanks says how c was truncated and stored: the method, joint or
// not, the ranks and the precision ("svd truncation (joint [U_f; U_h]),
// ranks [32 32], f32 weights"); for a GRU or LSTM the ranks per layer,
// separated by ";", and per gate by "/".
func (c *Compressed) DescribeRanks() string {
	s := string(c.Spec.Method) + " truncation"
	if c.Spec.Method == "" {
		s = "no truncation"
	}
	if c.Cell.Gated() {
		if c.Spec.Joint {
			s += " (joint: the gates share V)"
		} else {
			s += " (per gate)"
		}
		return s + ", ranks " + c.gatedRanksMeta() + ", " + string(c.Precision()) + " weights"
	}
	if c.Spec.Joint {
		s += " (joint [U_f; U_h])"
	}
	var ranks []string
	for _, r := range c.Ranks[:c.Cell.gates()] {
		ranks = append(ranks, Rank(r).String())
	}
	return s + fmt.Sprintf(", ranks %v, %s weights", ranks, c.Precision())
}

// EnergyRank returns the smallest rank whose singular values hold the
// fraction frac of Σσ².
func (s Spectrum) EnergyRank(frac float64) int {
	if len(s.Sigma) == 0 {
		return 0
	}
	return energyRank(s.Sigma, frac)
}

// AssessUntasked measures what the compression c costs m without the
// model's task, for a file that names none (a PyTorch state_dict): on 32
// sequences of 100 steps of Gaussian inputs (unit variance, a fixed seed),
// the relative state (and output) error measured by running the compressed
// model as deployed against the original's float64 run (see Damage) and
// predicted by the first-order and tangent models, with the weights and
// multiply-adds. The metric fields are zero: there is no task to score.
func AssessUntasked(m *Model, c *Compressed) (Damage, error) {
	probe := GaussianProbe(m, 32, 100, 1)
	d := Damage{Rank: Rank(c.Ranks[0]), Method: c.Spec.Method, Joint: c.Spec.Joint, Params: c.RecurrentParams()}
	if m.Cell.Gated() {
		d.MulAdds = c.gatedMulAdds()
	} else {
		for g := 0; g < m.Cell.gates(); g++ {
			d.MulAdds += c.Ranks[g] * 2 * m.Hidden
		}
	}
	run, err := runOf(nil, m, probe)
	if err != nil {
		return d, err
	}
	measured, err := measureDeployed(m, c, probe, run)
	if err != nil {
		return d, err
	}
	predicted, tangent, err := predictCompressed(m, c.Model, run)
	if err != nil {
		return d, err
	}
	d.RelErr, d.Predicted, d.Tangent = measured.RelErr(), predicted.RelErr(), tangent.RelErr()
	d.OutRelErr, d.OutPredicted, d.OutTangent = measured.OutRelErr(), predicted.OutRelErr(), tangent.OutRelErr()
	return d, nil
}

// GaussianProbe returns B sequences of T steps of independent unit
// Gaussian inputs for m, drawn from seed: a probe for models whose task is
// unknown.
func GaussianProbe(m *Model, B, T int, seed uint64) *task.Batch {
	rng := rand.New(rand.NewPCG(seed, 0x70726f6265)) // "probe"
	b := &task.Batch{Kind: task.Kind(m.Objective), T: T, B: B, In: m.In, Out: m.Out, Burn: m.Burn,
		X: make([]float32, T*B*m.In)}
	for i := range b.X {
		b.X[i] = float32(rng.NormFloat64())
	}
	return b
}
