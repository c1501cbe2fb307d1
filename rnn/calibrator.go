package rnn

import (
	"errors"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/lowrank-rnn/lowrank/kernels"
)

// Calibrator accumulates the moments of Calibrate online, one frame at a
// time, as a device sees its input: nothing of the sequence is kept but
// the last state and a block of momentBlock states waiting to be added.
// A block is stored transposed, one row per coordinate, so that its
// contribution to each moment entry, Σ_k x_i x_j over the block, is one
// float32 dot product of the kernels; the sums are kept in float64. The
// model runs on the kernels' fused steps. Step allocates nothing.
type Calibrator struct {
	dense denseRun
	t     int // steps since the last Reset
	// cols[g] is gate g's pending block, n×momentBlock: row i holds
	// coordinate i of the pending input vectors. sums[g] is the lower
	// triangle of Σ x xᵀ so far, n×n.
	cols  [2][]float32
	sums  [2][]float64
	k     int // pending vectors
	count int // vectors added to each moment
}

// momentBlock is the number of input vectors added to the moments at once:
// long enough for the dot products to run at the kernels' speed.
const momentBlock = 256

// NewCalibrator returns a calibrator for m with a zero state.
func NewCalibrator(m *Model) (*Calibrator, error) {
	if err := m.Config.validate(); err != nil {
		return nil, err
	}
	n := m.Hidden
	c := &Calibrator{dense: newDenseRun(m)}
	for g := 0; g < m.Cell.gates(); g++ {
		c.cols[g] = make([]float32, n*momentBlock)
		c.sums[g] = make([]float64, n*n)
	}
	return c, nil
}

// Step runs the model on one input frame x (len In) and adds the
// recurrent matrices' inputs of this step to the moments: h_{t−1} (the
// input of U, U_f) and f_t ⊙ h_{t−1} (the input of U_h), from the second
// step of a sequence on (h_0 = 0 carries nothing), as Calibrate does.
func (c *Calibrator) Step(x []float32) {
	d := &c.dense
	d.step(x)
	if c.t > 0 {
		for i, v := range d.hPrev {
			c.cols[0][i*momentBlock+c.k] = v
		}
		if d.cell == MGRU {
			for i, v := range d.work[d.n : 2*d.n] {
				c.cols[1][i*momentBlock+c.k] = v
			}
		}
		if c.k++; c.k == momentBlock {
			c.flush()
		}
	}
	c.t++
}

// Reset ends a sequence: the next Step starts from a zero state.
func (c *Calibrator) Reset() {
	c.dense.reset()
	c.t = 0
}

// Count returns the number of state vectors in the moments so far.
func (c *Calibrator) Count() int { return c.count + c.k }

// flush adds the pending block to the moments: Σ x xᵀ += XᵀX.
func (c *Calibrator) flush() {
	if c.k == 0 {
		return
	}
	n, k := c.dense.n, c.k
	for g := 0; g < c.dense.cell.gates(); g++ {
		x, sum := c.cols[g], c.sums[g]
		for i := 0; i < n; i++ {
			xi := x[i*momentBlock : i*momentBlock+k]
			for j := 0; j <= i; j++ {
				sum[i*n+j] += float64(kernels.Dot(xi, x[j*momentBlock:j*momentBlock+k]))
			}
		}
	}
	c.count += k
	c.k = 0
}

// Calibration returns the moments so far as Calibrate returns them: the
// mean of x xᵀ over the added vectors of each gate. The calibrator can go
// on accumulating after it.
func (c *Calibrator) Calibration() (*Calibration, error) {
	c.flush()
	if c.count == 0 {
		return nil, errors.New("rnn: calibrate: no states yet (the moments need sequences of at least 2 steps)")
	}
	n := c.dense.n
	cal := &Calibration{N: c.count}
	for g := 0; g < c.dense.cell.gates(); g++ {
		s := mat.NewSymDense(n, nil)
		for i := 0; i < n; i++ {
			for j := 0; j <= i; j++ {
				s.SetSym(i, j, c.sums[g][i*n+j]/float64(c.count))
			}
		}
		cal.C[g] = s
	}
	return cal, nil
}

// denseRun steps an uncompressed model on the kernels, one frame at a
// time, keeping the previous state and, for the MGRU, f_t and f_t ⊙ h_{t−1}
// (the fused step's work vector).
type denseRun struct {
	cell     Cell
	n, in    int
	w        [2]*kernels.Packed
	u        [2]*kernels.Packed
	b        [2][]float32
	xp       [2][]float32 // W_g x of the current frame, without the bias
	h, hPrev []float32
	work     []float32
}

func newDenseRun(m *Model) denseRun {
	n := m.Hidden
	d := denseRun{cell: m.Cell, n: n, in: m.In,
		h: make([]float32, n), hPrev: make([]float32, n), work: make([]float32, 2*n)}
	for g := 0; g < m.Cell.gates(); g++ {
		d.w[g], d.u[g] = kernels.Pack(m.W[g]), kernels.Pack(m.U[g])
		d.b[g] = append([]float32(nil), m.B[g]...)
		d.xp[g] = make([]float32, n)
	}
	return d
}

// project sets xp to the input projections of x.
func (d *denseRun) project(x []float32) {
	if len(x) != d.in {
		panic(fmt.Sprintf("rnn: a frame of %d inputs for a model of %d", len(x), d.in))
	}
	for g := 0; g < d.cell.gates(); g++ {
		d.w[g].MatVec(d.xp[g], x)
	}
}

// step advances the state by one frame: hPrev is h_{t−1} afterwards.
func (d *denseRun) step(x []float32) {
	d.project(x)
	d.advance()
}

// advance runs the recurrent step on the projections already in xp.
func (d *denseRun) advance() {
	d.h, d.hPrev = d.hPrev, d.h
	if d.cell == RNN {
		kernels.RNNStep(d.h, d.hPrev, d.xp[0], d.b[0], d.u[0])
	} else {
		kernels.MGRUStep(d.h, d.hPrev, d.xp[0], d.xp[1], d.b[0], d.b[1], d.u[0], d.u[1], d.work)
	}
}

func (d *denseRun) reset() { clear(d.h) }
