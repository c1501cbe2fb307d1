package rnn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/lowrank-rnn/lowrank/kernels"
)

// Cell names a recurrent cell.
type Cell string

const (
	// RNN is the vanilla cell: h_t = tanh(W x_t + U h_{t−1} + b).
	RNN Cell = "rnn"
	// MGRU is the minimal gated unit (Zhou et al. 2016):
	//
	//	f_t = σ(W_f x_t + U_f h_{t−1} + b_f)
	//	h̃_t = tanh(W_h x_t + U_h (f_t ⊙ h_{t−1}) + b_h)
	//	h_t = (1 − f_t) ⊙ h_{t−1} + f_t ⊙ h̃_t
	MGRU Cell = "mgru"
	// GRU is PyTorch's nn.GRU, and LSTM its nn.LSTM (see gated.go): stacks
	// of Layers in PyTorch's layout, which model files of other tools
	// (state_dicts saved with safetensors) hold as they are.
	GRU  Cell = "gru"
	LSTM Cell = "lstm"
)

// gates returns the number of (W, U, b) blocks of the cell: 1 for the RNN,
// 2 for the MGRU (index 0 the gate f, 1 the candidate h̃), and 0 for
// PyTorch's cells, whose weights are Layers.
func (c Cell) gates() int {
	switch c {
	case RNN:
		return 1
	case MGRU:
		return 2
	}
	return 0
}

func (c Cell) valid() bool { return c == RNN || c == MGRU || c == GRU || c == LSTM }

// Objective says what the readout is trained for.
type Objective string

const (
	// Regression: a linear readout at every step, squared error against real
	// targets; the first Burn steps are not scored.
	Regression Objective = "regression"
	// ClassifyLast: softmax over Out classes at the last step.
	ClassifyLast Objective = "classify-last"
	// ClassifyEach: softmax over Out classes at every step (next-symbol
	// prediction); the first Burn steps are not scored.
	ClassifyEach Objective = "classify-each"
)

func (o Objective) valid() bool {
	return o == Regression || o == ClassifyLast || o == ClassifyEach
}

// Config is the shape of a model.
type Config struct {
	Cell      Cell
	In        int // input features per step
	Hidden    int // n, the state size
	Out       int // readout outputs (classes for classification)
	Objective Objective
	Burn      int // leading steps not scored (Regression, ClassifyEach)
	// NumLayers and Proj shape PyTorch's cells (GRU, LSTM): the stacked
	// layers (num_layers ≥ 1) and the LSTM's proj_size (0: none). Zero for
	// the RNN and the MGRU. A GRU or LSTM model may have no readout (Out =
	// 0): a model imported without one.
	NumLayers, Proj int
}

func (c Config) validate() error {
	switch {
	case !c.Cell.valid():
		return fmt.Errorf("rnn: unknown cell %q (want %q, %q, %q or %q)", c.Cell, RNN, MGRU, GRU, LSTM)
	case !c.Objective.valid():
		return fmt.Errorf("rnn: unknown objective %q", c.Objective)
	}
	if err := c.validateGated(); err != nil {
		return err
	}
	return c.checkBounds()
}

// Model is a recurrent cell with a linear readout y_t = R h_t + c.
type Model struct {
	Config
	// For gate g (RNN: g = 0; MGRU: 0 is f, 1 is h̃): W[g] is Hidden×In,
	// U[g] is Hidden×Hidden, B[g] has Hidden elements.
	W [2]kernels.Matrix
	U [2]kernels.Matrix
	B [2][]float32
	// Layers are the GRU's or LSTM's layers, bottom first (see gated.go);
	// W, U and B are unused then.
	Layers []Layer
	R      kernels.Matrix // Out×Hidden (Out×P for a GRU or LSTM)
	C      []float32      // Out
}

// New returns a model with freshly initialised weights: input and readout
// weights uniform in ±√(6/(fan-in + fan-out)) (Glorot), recurrent weights a
// random orthogonal matrix (so that signals neither explode nor vanish at
// the start of training), biases zero. The same seed gives the same model.
func New(cfg Config, seed uint64) (*Model, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x6c6f7772616e6b)) // "lowrank"
	if cfg.Cell.Gated() {
		return newGated(cfg, rng), nil
	}
	m := &Model{Config: cfg}
	n := cfg.Hidden
	for g := 0; g < cfg.Cell.gates(); g++ {
		m.W[g] = glorot(rng, n, cfg.In)
		m.U[g] = orthogonal(rng, n)
		m.B[g] = make([]float32, n)
	}
	m.R = glorot(rng, cfg.Out, n)
	m.C = make([]float32, cfg.Out)
	return m, nil
}

func glorot(rng *rand.Rand, rows, cols int) kernels.Matrix {
	a := kernels.NewMatrix(rows, cols)
	lim := math.Sqrt(6 / float64(rows+cols))
	for i := range a.Data {
		a.Data[i] = float32(lim * (2*rng.Float64() - 1))
	}
	return a
}

// orthogonal returns the Q factor of a Gaussian matrix, with signs fixed so
// that the distribution is uniform (Haar).
func orthogonal(rng *rand.Rand, n int) kernels.Matrix {
	g := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q, r mat.Dense
	qr.QTo(&q)
	qr.RTo(&r)
	a := kernels.NewMatrix(n, n)
	for j := 0; j < n; j++ {
		s := 1.0
		if r.At(j, j) < 0 {
			s = -1
		}
		for i := 0; i < n; i++ {
			a.Set(i, j, float32(s*q.At(i, j)))
		}
	}
	return a
}

// Clone returns a deep copy of m.
func (m *Model) Clone() *Model {
	c := &Model{Config: m.Config}
	cp := func(a kernels.Matrix) kernels.Matrix {
		b := kernels.NewMatrix(a.Rows, a.Cols)
		for i := 0; i < a.Rows; i++ {
			copy(b.Row(i), a.Row(i))
		}
		return b
	}
	for g := 0; g < m.Cell.gates(); g++ {
		c.W[g], c.U[g] = cp(m.W[g]), cp(m.U[g])
		c.B[g] = append([]float32(nil), m.B[g]...)
	}
	if m.Layers != nil {
		c.Layers = cloneLayers(m.Layers)
	}
	c.R = cp(m.R)
	c.C = append([]float32(nil), m.C...)
	return c
}

// Param is one named parameter tensor of a model, aliasing its storage.
type Param struct {
	Name       string
	Rows, Cols int // Cols = 1 for vectors
	Data       []float32
}

// paramShape names a parameter tensor and its shape: a matrix, or a
// vector of rows elements (cols = 1).
type paramShape struct {
	name       string
	rows, cols int
	vector     bool
}

// shapes lists the parameters of a model of this configuration in Params
// order.
func (c Config) shapes() []paramShape {
	if c.Cell.Gated() {
		return c.gatedShapes()
	}
	suffix := [2]string{"", ""}
	if c.Cell == MGRU {
		suffix = [2]string{"_f", "_h"}
	}
	var ps []paramShape
	for g := 0; g < c.Cell.gates(); g++ {
		ps = append(ps,
			paramShape{"W" + suffix[g], c.Hidden, c.In, false},
			paramShape{"U" + suffix[g], c.Hidden, c.Hidden, false},
			paramShape{"b" + suffix[g], c.Hidden, 1, true})
	}
	return append(ps, paramShape{"R", c.Out, c.Hidden, false}, paramShape{"c", c.Out, 1, true})
}

// tensorShape is the shape of a parameter in a model file: [rows, cols]
// for a matrix, also of one column (W of a model with one input is
// [hidden, 1], as PyTorch's weight_ih of a one-input layer), [rows] for a
// vector.
func (p paramShape) tensorShape() []int {
	if p.vector {
		return []int{p.rows}
	}
	return []int{p.rows, p.cols}
}

// tensorSpec returns the tensor a file must hold for p. Files written
// before matrices of one column were 2-D hold them as vectors; they read
// alike.
func (p paramShape) tensorSpec() tensorSpec {
	ts := tensorSpec{name: p.name, shape: p.tensorShape()}
	if !p.vector && p.cols == 1 {
		ts.legacy = []int{p.rows}
	}
	return ts
}

// Params lists the parameters in a fixed order: per gate W, U, b, then R, c.
// Names follow the DESIGN: "W", "U", "b" for the RNN; "W_f", "U_f", "b_f",
// "W_h", "U_h", "b_h" for the MGRU; "R", "c" for the readout. A GRU or
// LSTM lists per layer PyTorch's tensors, "rnn.weight_ih_l0",
// "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0" (and
// "rnn.weight_hr_l0"), then its readout "fc.weight", "fc.bias" (if any).
func (m *Model) Params() []Param {
	var data [][]float32
	for g := 0; g < m.Cell.gates(); g++ {
		data = append(data, m.W[g].Data, m.U[g].Data, m.B[g])
	}
	if m.Cell.Gated() {
		data = m.gatedData()
	} else {
		data = append(data, m.R.Data, m.C)
	}
	ps := make([]Param, 0, len(data))
	for i, s := range m.shapes() {
		ps = append(ps, Param{Name: s.name, Rows: s.rows, Cols: s.cols, Data: data[i]})
	}
	return ps
}

// NumParams returns the number of trainable weights.
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.Params() {
		n += len(p.Data)
	}
	return n
}

// Gates returns the number of recurrent matrices of the cell: 1 for the
// RNN, 2 (U_f, U_h) for the MGRU. PyTorch's cells stack theirs per layer,
// 3 gates for the GRU and 4 for the LSTM, which Gates also returns.
func (c Cell) Gates() int {
	if c.Gated() {
		return c.torchGates()
	}
	return c.gates()
}
