package rnn

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/lowrank-rnn/lowrank/kernels"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// The first-order perturbation model.
//
// Replace the recurrent matrices U[g] by U[g] + ΔU[g] (for compression
// ΔU = U' − U, U' the truncated matrix) and linearise the cell around the
// unperturbed trajectory h_0 = 0, h_1, …, h_T. The perturbed trajectory is
// h_t + δh_t with, to first order,
//
//	δh_t = J_t δh_{t−1} + e_t,   δh_0 = 0,
//
// J_t = ∂h_t/∂h_{t−1} the Jacobian of one step and e_t the change of h_t
// caused by ΔU at a fixed h_{t−1}, both evaluated on the unperturbed
// trajectory. The readout changes by δy_t = R δh_t.
//
// Vanilla RNN, h_t = tanh(a_t), a_t = W x_t + U h_{t−1} + b, and
// D_t = diag(1 − h_t²):
//
//	δa_t = U δh_{t−1} + ΔU h_{t−1}
//	J_t  = D_t U
//	e_t  = D_t ΔU h_{t−1}
//
// MGRU, with s_t = f_t ⊙ h_{t−1} (the input of U_h) and
//
//	f_t = σ(a^f_t),     a^f_t = W_f x_t + U_f h_{t−1} + b_f
//	h̃_t = tanh(a^h_t),  a^h_t = W_h x_t + U_h s_t + b_h
//	h_t = h_{t−1} + f_t ⊙ (h̃_t − h_{t−1}) = (1 − f_t) ⊙ h_{t−1} + f_t ⊙ h̃_t,
//
// write F_t = diag(f_t ⊙ (1 − f_t)) (the gate derivative), G_t =
// diag(1 − h̃_t²) (the candidate derivative), and differentiate the three
// equations in order:
//
//	δa^f = U_f δh_{t−1} + ΔU_f h_{t−1}
//	δf   = F_t δa^f
//	δs   = h_{t−1} ⊙ δf + f_t ⊙ δh_{t−1}
//	δa^h = U_h δs + ΔU_h s_t
//	δh̃   = G_t δa^h
//	δh_t = (1 − f_t) ⊙ δh_{t−1} + (h̃_t − h_{t−1}) ⊙ δf + f_t ⊙ δh̃
//
// Collecting the terms in δh_{t−1} gives the Jacobian: the direct path
// through 1 − f, the path through the gate f, and the path through the
// candidate, which sees h_{t−1} both through f and through f ⊙ h_{t−1}:
//
//	J_t = diag(1 − f_t)
//	    + diag(h̃_t − h_{t−1}) F_t U_f
//	    + diag(f_t) G_t U_h (diag(h_{t−1}) F_t U_f + diag(f_t))
//
// and the terms in ΔU (at δh_{t−1} = 0) the injected error, where ΔU_f acts
// directly and again through the gate's effect on U_h's input:
//
//	e_t = diag(h̃_t − h_{t−1}) F_t ΔU_f h_{t−1}
//	    + diag(f_t) G_t (U_h diag(h_{t−1}) F_t ΔU_f h_{t−1} + ΔU_h s_t)
//
// Predict propagates the vector form (the six lines above) for every
// sequence of a batch, which costs two n×n products per gate and step
// instead of forming J_t. The two explicit forms are implemented by
// rnnJacobian, mgruJacobian, rnnInjected and mgruInjected and checked
// against finite differences in the tests.

// ErrorCurve is the energy of a state (and output) perturbation per step,
// averaged over the sequences of a batch: predicted by Predict or
// PredictTangent, measured by Measure. Index t is the state after input t
// (h_{t+1} in the recursion's numbering, h_0 = 0 being the start).
type ErrorCurve struct {
	Steps, Seqs int // T and B of the batch
	// Lo, Hi: the scored steps [Lo, Hi) of the model's objective: t ≥ Burn
	// for Regression and ClassifyEach, the last step for ClassifyLast.
	Lo, Hi int
	DH     []float64 // mean over the batch of ‖δh_t‖²
	H      []float64 // mean over the batch of ‖h_t‖² (unperturbed)
	DY     []float64 // mean over the batch of ‖δy_t‖² (Predict: ‖R δh_t‖²)
	Y      []float64 // mean over the batch of ‖y_t‖², y_t = R h_t + c (unperturbed)
}

// RelErr is the relative state error over the scored steps,
// √(Σ_t,b ‖δh_t‖² / Σ_t,b ‖h_t‖²).
func (c *ErrorCurve) RelErr() float64 {
	return errRatio(sumRange(c.DH, c.Lo, c.Hi), sumRange(c.H, c.Lo, c.Hi))
}

// OutRelErr is the relative output error over the scored steps,
// √(Σ_t,b ‖δy_t‖² / Σ_t,b ‖y_t‖²).
func (c *ErrorCurve) OutRelErr() float64 {
	return errRatio(sumRange(c.DY, c.Lo, c.Hi), sumRange(c.Y, c.Lo, c.Hi))
}

// Energy is the mean state error energy over the scored steps,
// mean_t,b ‖δh_t‖².
func (c *ErrorCurve) Energy() float64 { return sumRange(c.DH, c.Lo, c.Hi) / float64(c.Hi-c.Lo) }

// EnergyRatio is the ratio of the state error energies of two curves over
// a's scored steps, typically predicted over measured.
func EnergyRatio(a, b *ErrorCurve) float64 {
	return sumRange(a.DH, a.Lo, a.Hi) / sumRange(b.DH, a.Lo, a.Hi)
}

func sumRange(v []float64, lo, hi int) float64 {
	var s float64
	for _, x := range v[lo:hi] {
		s += x
	}
	return s
}

// DeltaU returns the perturbation of the recurrent matrices from m to p,
// ΔU[g] = p.U[g] − m.U[g], for Predict. Gates whose matrices are equal get
// an empty matrix (no perturbation).
func DeltaU(m, p *Model) ([2]kernels.Matrix, error) {
	var d [2]kernels.Matrix
	if m.Cell.Gated() {
		return d, fmt.Errorf("rnn: DeltaU: a %s model: its perturbations are per layer (see PredictGated)", m.Cell)
	}
	if m.Config != p.Config {
		return d, fmt.Errorf("rnn: DeltaU: models differ in shape: %+v and %+v", m.Config, p.Config)
	}
	n := m.Hidden
	for g := 0; g < m.Cell.gates(); g++ {
		if err := checkSquare(m.U[g], n, "U"); err != nil {
			return d, err
		}
		if err := checkSquare(p.U[g], n, "perturbed U"); err != nil {
			return d, err
		}
		dg := kernels.NewMatrix(n, n)
		nonzero := false
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				v := p.U[g].At(i, j) - m.U[g].At(i, j)
				dg.Set(i, j, v)
				nonzero = nonzero || v != 0
			}
		}
		if nonzero {
			d[g] = dg
		}
	}
	return d, nil
}

func checkSquare(a kernels.Matrix, n int, name string) error {
	switch {
	case a.Rows != n || a.Cols != n:
		return fmt.Errorf("rnn: %s is %d×%d, want %d×%d", name, a.Rows, a.Cols, n, n)
	case a.Stride < a.Cols || len(a.Data) < (a.Rows-1)*a.Stride+a.Cols:
		return fmt.Errorf("rnn: %s: stride %d and %d elements do not hold a %d×%d matrix", name, a.Stride, len(a.Data), n, n)
	}
	return nil
}

// baseRun is m's unperturbed float64 run over a probe batch: what
// predicting and measuring every compression of m on that batch share, so
// that a sweep runs it once.
type baseRun struct {
	m  *Model
	b  *task.Batch
	nt *net[float64]
	ps *pass[float64]

	ysOnce sync.Once
	ys     []float64 // the outputs of every step, T·B×Out (see outputsAt)
}

// outputsAt returns the run's output y_t = h_t·Rᵀ + c (B×Out) at step t,
// which every compression's predicted and measured errors are relative
// to: computed once, for every step, on first use.
func (r *baseRun) outputsAt(t int) []float64 {
	bs, out := r.b.B, r.m.Out
	r.ysOnce.Do(func() {
		n := r.m.readWidth()
		bn := bs * n
		r.ys = make([]float64, r.b.T*bs*out)
		for s := 0; s < r.b.T; s++ {
			outputs(r.nt, r.ps.h[(s+1)*bn:(s+2)*bn], r.ys[s*bs*out:(s+1)*bs*out], bs)
		}
	})
	return r.ys[t*bs*out : (t+1)*bs*out]
}

// runOf returns m's run over b: run itself when it is that run, else a new
// one.
func runOf(run *baseRun, m *Model, b *task.Batch) (*baseRun, error) {
	if run != nil && run.m == m && run.b == b {
		return run, nil
	}
	nt, ps, err := trajectory(m, b)
	if err != nil {
		return nil, err
	}
	return &baseRun{m: m, b: b, nt: nt, ps: ps}, nil
}

// trajectory runs m in float64 over the inputs of b and returns the net and
// the pass holding h_t (and, for the MGRU, f_t, h̃_t, f_t ⊙ h_{t−1}) for
// every step. Targets are not needed: the readout runs as ClassifyLast
// against dummy labels, which only costs one B×Out product.
func trajectory(m *Model, b *task.Batch) (*net[float64], *pass[float64], error) {
	if err := m.Config.validate(); err != nil {
		return nil, nil, err
	}
	if b == nil || b.T < 1 || b.B < 1 {
		return nil, nil, errors.New("rnn: perturbation: empty batch")
	}
	if b.In != m.In || len(b.X) != b.T*b.B*m.In {
		return nil, nil, fmt.Errorf("rnn: perturbation: batch has In=%d and %d inputs, model wants In=%d (T·B·In = %d)",
			b.In, len(b.X), m.In, b.T*b.B*m.In)
	}
	for g := 0; g < m.Cell.gates(); g++ {
		if err := checkSquare(m.U[g], m.Hidden, "U"); err != nil {
			return nil, nil, err
		}
		if m.U[g].Stride != m.Hidden || m.W[g].Stride != m.In {
			return nil, nil, errors.New("rnn: perturbation: model matrices must be contiguous (Stride == Cols)")
		}
	}
	nt := netOf[float64](m)
	nt.Objective = ClassifyLast
	bt := &Batch[float64]{T: b.T, B: b.B, X: make([]float64, len(b.X)), Labels: make([]int32, b.B)}
	for i, v := range b.X {
		bt.X[i] = float64(v)
	}
	ps := new(pass[float64])
	nt.forward(ps, bt)
	return nt, ps, nil
}

// scored returns the scored steps [lo, hi) of cfg's objective on T steps.
func scored(cfg Config, steps int) (lo, hi int, err error) {
	if cfg.Objective == ClassifyLast {
		return steps - 1, steps, nil
	}
	if cfg.Burn >= steps {
		return 0, 0, fmt.Errorf("rnn: perturbation: burn-in %d leaves no scored step of %d", cfg.Burn, steps)
	}
	return cfg.Burn, steps, nil
}

func newCurve(cfg Config, steps, seqs int) (*ErrorCurve, error) {
	lo, hi, err := scored(cfg, steps)
	if err != nil {
		return nil, err
	}
	return &ErrorCurve{Steps: steps, Seqs: seqs, Lo: lo, Hi: hi,
		DH: make([]float64, steps), H: make([]float64, steps),
		DY: make([]float64, steps), Y: make([]float64, steps)}, nil
}

// meanSq returns the mean over the rows (of length n) of a of ‖row‖².
func meanSq(a []float64, n int) float64 {
	var s float64
	for _, v := range a {
		s += v * v
	}
	return s / float64(len(a)/n)
}

// outputs sets y (B×Out) to h·Rᵀ + c.
func outputs(nt *net[float64], h, y []float64, bs int) {
	n := nt.readWidth()
	gemm(false, true, bs, nt.Out, n, 1, h, n, nt.r(), n, 0, y, nt.Out)
	addBias(y, nt.c())
}

// Predict runs the unperturbed model m in float64 over the inputs of b and
// propagates the first-order state perturbation δh_t = J_t δh_{t−1} + e_t
// caused by adding dU[g] to the recurrent matrices U[g] (an empty dU[g]:
// that gate is unperturbed; the RNN uses dU[0] only). Only b's inputs are
// used. See DeltaU for the dU of a compressed model.
func Predict(m *Model, dU [2]kernels.Matrix, b *task.Batch) (*ErrorCurve, error) {
	return predict(m, dU, b, "Predict", "PredictGated", false, nil)
}

// PredictTangent is Predict with the error propagated through the
// perturbed recurrent matrices U + ΔU instead of U: the tangent model of
// the perturbed network along the unperturbed trajectory,
//
//	δh_t = J'_t δh_{t−1} + e_t,
//
// J'_t the step Jacobian of the section comment with U' = U + ΔU in place
// of U (U'_f, U'_h for the MGRU), evaluated, like e_t, on the unperturbed
// run. Predict linearises in δh and ΔU jointly and so drops ΔU δh_{t−1}:
// the directions a truncation discards keep amplifying the error in its
// model, although the compressed network no longer has them, which is
// what makes it over-predict at low rank. Here the pre-activation error,
// U' δh_{t−1} + ΔU h_{t−1} for the RNN, is exact; what is left is the
// linearisation of tanh and σ around the unperturbed pre-activations (and,
// for the MGRU, the products of two errors). It needs no labels and never
// runs the perturbed model, and costs what Predict costs.
func PredictTangent(m *Model, dU [2]kernels.Matrix, b *task.Batch) (*ErrorCurve, error) {
	return predict(m, dU, b, "PredictTangent", "PredictGatedTangent", true, nil)
}

// predict is Predict, with the Jacobian of the perturbed network when
// perturbedJacobian is set (PredictTangent), on m's run over b (nil: run
// it). A gated cell is refused with the name of its counterpart, gated.
func predict(m *Model, dU [2]kernels.Matrix, b *task.Batch, caller, gated string, perturbedJacobian bool, run *baseRun) (*ErrorCurve, error) {
	if m.Cell.Gated() {
		return nil, fmt.Errorf("rnn: %s: a %s model; use %s", caller, m.Cell, gated)
	}
	n := m.Hidden
	du, err := perturbations(m, dU, caller)
	if err != nil {
		return nil, err
	}
	run, err = runOf(run, m, b)
	if err != nil {
		return nil, err
	}
	nt, ps := run.nt, run.ps
	c, err := newCurve(m.Config, b.T, b.B)
	if err != nil {
		return nil, err
	}
	bs := b.B
	bn := bs * n
	u := [2][]float64{nt.u(0)}
	if m.Cell == MGRU {
		u[1] = nt.u(1)
	}
	if perturbedJacobian {
		for g := range u {
			if du[g] == nil {
				continue
			}
			up := make([]float64, n*n)
			for i, v := range u[g] {
				up[i] = v + du[g][i]
			}
			u[g] = up
		}
	}
	var uop, duop [2]*product32
	for g := range u {
		if u[g] != nil {
			uop[g] = newProduct32(u[g], n, n)
		}
		if du[g] != nil {
			duop[g] = newProduct32(du[g], n, n)
		}
	}
	readout := newProduct32(nt.r(), m.Out, n)
	var scr linScratch
	dh := make([]float64, bn) // δh_0 = 0: both runs start from h_0 = 0
	dy := make([]float64, bs*m.Out)
	for t := 0; t < b.T; t++ {
		hp, h := ps.h[t*bn:(t+1)*bn], ps.h[(t+1)*bn:(t+2)*bn]
		var f, hc, fh []float64
		if m.Cell == MGRU {
			f, hc, fh = ps.f[t*bn:(t+1)*bn], ps.hc[t*bn:(t+1)*bn], ps.fh[t*bn:(t+1)*bn]
		}
		linStep(m.Cell, n, bs, uop, duop, hp, h, f, hc, fh, dh, &scr)
		c.DH[t] = meanSq(dh, n)
		c.H[t] = meanSq(h, n)
		readout.apply(dy, dh, bs, false)
		c.DY[t] = meanSq(dy, m.Out)
		c.Y[t] = meanSq(run.outputsAt(t), m.Out)
	}
	return c, nil
}

// perturbations checks the recurrent perturbations dU against m and
// returns them in float64, n×n row-major (nil: that gate is unperturbed).
func perturbations(m *Model, dU [2]kernels.Matrix, caller string) ([2][]float64, error) {
	n := m.Hidden
	var du [2][]float64
	for g := range dU {
		if len(dU[g].Data) == 0 {
			continue
		}
		if g >= m.Cell.gates() {
			return du, fmt.Errorf("rnn: %s: dU[%d] given for a %s cell with %d recurrent matrix", caller, g, m.Cell, m.Cell.gates())
		}
		if err := checkSquare(dU[g], n, fmt.Sprintf("dU[%d]", g)); err != nil {
			return du, err
		}
		du[g] = make([]float64, n*n)
		for i := 0; i < n; i++ {
			for j, v := range dU[g].Row(i) {
				du[g][i*n+j] = float64(v)
			}
		}
	}
	return du, nil
}

// linScratch is linStep's scratch, sized on first use.
type linScratch struct{ a, s, ah []float64 }

func (s *linScratch) size(k int) {
	if len(s.a) != k {
		s.a, s.s, s.ah = make([]float64, k), make([]float64, k), make([]float64, k)
	}
}

// linStep replaces dh (bs×n, δh_{t−1} on entry) by δh_t = J_t δh_{t−1} + e_t
// for a batch of bs sequences, given the unperturbed step: hp = h_{t−1},
// h = h_t, and for the MGRU f = f_t, hc = h̃_t, fh = f_t ⊙ h_{t−1}. u are
// the recurrent matrices, du their perturbations (nil: none), all n×n.
func linStep(cell Cell, n, bs int, u, du [2]*product32, hp, h, f, hc, fh, dh []float64, scr *linScratch) {
	scr.size(bs * n)
	da := scr.a
	// δa (RNN) or δa^f (MGRU) = U δh_{t−1} + ΔU h_{t−1}, as rows: δH·Uᵀ + H·ΔUᵀ.
	u[0].apply(da, dh, bs, false)
	if du[0] != nil {
		du[0].apply(da, hp, bs, true)
	}
	if cell == RNN {
		for i, v := range h {
			dh[i] = (1 - v*v) * da[i]
		}
		return
	}
	df, ds, dah := da, scr.s, scr.ah
	for i := range df {
		df[i] *= f[i] * (1 - f[i])       // δf = F δa^f
		ds[i] = hp[i]*df[i] + f[i]*dh[i] // δs = h_{t−1} ⊙ δf + f ⊙ δh_{t−1}
	}
	// δa^h = U_h δs + ΔU_h s.
	u[1].apply(dah, ds, bs, false)
	if du[1] != nil {
		du[1].apply(dah, fh, bs, true)
	}
	for i := range dh {
		dhc := (1 - hc[i]*hc[i]) * dah[i] // δh̃ = G δa^h
		dh[i] = (1-f[i])*dh[i] + (hc[i]-hp[i])*df[i] + f[i]*dhc
	}
}

// rnnJacobian returns J = diag(1 − h²) U for one step of the vanilla RNN
// ending in state h (U n×n row-major).
func rnnJacobian(u, h []float64) *mat.Dense {
	n := len(h)
	j := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		d := 1 - h[i]*h[i]
		for k := 0; k < n; k++ {
			j.Set(i, k, d*u[i*n+k])
		}
	}
	return j
}

// rnnInjected returns e = diag(1 − h²) ΔU h_{t−1}.
func rnnInjected(du, hp, h []float64) []float64 {
	n := len(h)
	e := make([]float64, n)
	for i := range e {
		var s float64
		for k := 0; k < n; k++ {
			s += du[i*n+k] * hp[k]
		}
		e[i] = (1 - h[i]*h[i]) * s
	}
	return e
}

// mgruJacobian returns the MGRU step Jacobian
//
//	J = diag(1 − f) + diag(h̃ − h_{t−1}) F U_f + diag(f) G U_h (diag(h_{t−1}) F U_f + diag(f))
//
// with F = diag(f(1 − f)), G = diag(1 − h̃²), at h_{t−1} = hp, f = f_t,
// h̃ = hc (U_f, U_h n×n row-major).
func mgruJacobian(uf, uh, hp, f, hc []float64) *mat.Dense {
	n := len(hp)
	// K = diag(h_{t−1}) F U_f + diag(f) = ∂s/∂h_{t−1}.
	k := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		fi := f[i] * (1 - f[i])
		for j := 0; j < n; j++ {
			k.Set(i, j, hp[i]*fi*uf[i*n+j])
		}
		k.Set(i, i, k.At(i, i)+f[i])
	}
	var l mat.Dense
	l.Mul(mat.NewDense(n, n, uh), k) // U_h K
	jac := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		fi := f[i] * (1 - f[i])
		gi := 1 - hc[i]*hc[i]
		for j := 0; j < n; j++ {
			jac.Set(i, j, (hc[i]-hp[i])*fi*uf[i*n+j]+f[i]*gi*l.At(i, j))
		}
		jac.Set(i, i, jac.At(i, i)+1-f[i])
	}
	return jac
}

// mgruInjected returns the MGRU injected error at fixed h_{t−1} = hp
//
//	e = diag(h̃ − h_{t−1}) F ΔU_f h_{t−1} + diag(f) G (U_h diag(h_{t−1}) F ΔU_f h_{t−1} + ΔU_h (f ⊙ h_{t−1}))
//
// for perturbations duf, duh (nil: zero).
func mgruInjected(uh, duf, duh, hp, f, hc []float64) []float64 {
	n := len(hp)
	mv := func(a, x []float64) []float64 {
		y := make([]float64, n)
		if a == nil {
			return y
		}
		for i := range y {
			var s float64
			for k := 0; k < n; k++ {
				s += a[i*n+k] * x[k]
			}
			y[i] = s
		}
		return y
	}
	df := mv(duf, hp) // δf = F ΔU_f h_{t−1}
	s := make([]float64, n)
	hdf := make([]float64, n)
	for i := range df {
		df[i] *= f[i] * (1 - f[i])
		s[i] = f[i] * hp[i]
		hdf[i] = hp[i] * df[i]
	}
	q, r := mv(uh, hdf), mv(duh, s)
	e := make([]float64, n)
	for i := range e {
		e[i] = (hc[i]-hp[i])*df[i] + f[i]*(1-hc[i]*hc[i])*(q[i]+r[i])
	}
	return e
}

// Measure runs m and perturbed (the same shape, any parameters changed) in
// float64 over the inputs of b and returns the measured error curve:
// ‖h'_t − h_t‖², ‖y'_t − y_t‖² and the unperturbed ‖h_t‖², ‖y_t‖².
func Measure(m, perturbed *Model, b *task.Batch) (*ErrorCurve, error) {
	return measure(m, perturbed, b, nil)
}

// measure is Measure on m's run over b (nil: run it).
func measure(m, perturbed *Model, b *task.Batch, run *baseRun) (*ErrorCurve, error) {
	if m.Config != perturbed.Config {
		return nil, fmt.Errorf("rnn: Measure: models differ in shape: %+v and %+v", m.Config, perturbed.Config)
	}
	run, err := runOf(run, m, b)
	if err != nil {
		return nil, err
	}
	ps := run.ps
	nq, pq, err := trajectory(perturbed, b)
	if err != nil {
		return nil, err
	}
	c, err := newCurve(m.Config, b.T, b.B)
	if err != nil {
		return nil, err
	}
	n, bs := m.readWidth(), b.B
	bn := bs * n
	dh := make([]float64, bn)
	yq := make([]float64, bs*m.Out)
	for t := 0; t < b.T; t++ {
		h, hq := ps.h[(t+1)*bn:(t+2)*bn], pq.h[(t+1)*bn:(t+2)*bn]
		for i := range dh {
			dh[i] = hq[i] - h[i]
		}
		c.DH[t] = meanSq(dh, n)
		c.H[t] = meanSq(h, n)
		if m.Out == 0 {
			continue // a GRU or LSTM without a readout
		}
		y := run.outputsAt(t)
		outputs(nq, hq, yq, bs)
		c.Y[t] = meanSq(y, m.Out)
		for i := range yq {
			yq[i] -= y[i]
		}
		c.DY[t] = meanSq(yq, m.Out)
	}
	return c, nil
}

// ScalarErrorVariance is the stationary variance of δh_t = a δh_{t−1} + e_t
// for an AR(1) injected error e_t = ρ e_{t−1} + √(1−ρ²) ξ_t of unit
// variance: Σ_k Σ_l a^k a^l ρ^|k−l| = (1 + aρ) / ((1 − a²)(1 − aρ)), for
// |a| < 1, |ρ| < 1. Temporally coherent errors (ρ near 1) add up coherently.
func ScalarErrorVariance(a, rho float64) float64 {
	return (1 + a*rho) / ((1 - a*a) * (1 - a*rho))
}

// LinearErrorCovariance returns the stationary covariance of the
// first-order error δh of a linear network h_t = A h_{t−1} + v u_t whose
// recurrent matrix is perturbed by dA, driven by an AR(1) input
// u_t = ρ u_{t−1} + √(1−ρ²) ξ_t of unit variance (ρ = 0: white noise):
//
//	δh_t = A δh_{t−1} + dA h_{t−1}.
//
// The input, the state and the error form one linear system driven by ξ,
//
//	z_t = [u_t; h_t; δh_t] = M z_{t−1} + g ξ_t,
//	M = [ρ 0 0; ρv A 0; 0 dA A],  g = √(1−ρ²) [1; v; 0],
//
// whose covariance P = M P Mᵀ + g gᵀ (a discrete Lyapunov equation, solved
// by doubling) holds Cov(δh) in its last block. A must be stable
// (spectral radius < 1) and |ρ| < 1.
func LinearErrorCovariance(A, dA *mat.Dense, v []float64, rho float64) (*mat.Dense, error) {
	return linearErrorCov(A, dA, v, rho, false)
}

// LinearErrorCovarianceExact is LinearErrorCovariance for the exact error
// δh_t = h'_t − h_t of the perturbed network h'_t = (A + dA) h'_{t−1} + v u_t,
// which obeys δh_t = (A + dA) δh_{t−1} + dA h_{t−1} at every order. A + dA
// must be stable too.
func LinearErrorCovarianceExact(A, dA *mat.Dense, v []float64, rho float64) (*mat.Dense, error) {
	return linearErrorCov(A, dA, v, rho, true)
}

func linearErrorCov(A, dA *mat.Dense, v []float64, rho float64, exact bool) (*mat.Dense, error) {
	n, c := A.Dims()
	if n != c || n == 0 {
		return nil, fmt.Errorf("rnn: linear error covariance: A is %d×%d, want square", n, c)
	}
	if r, c := dA.Dims(); r != n || c != n {
		return nil, fmt.Errorf("rnn: linear error covariance: dA is %d×%d, want %d×%d like A", r, c, n, n)
	}
	if len(v) != n {
		return nil, fmt.Errorf("rnn: linear error covariance: v has %d elements, want %d", len(v), n)
	}
	if !(math.Abs(rho) < 1) {
		return nil, fmt.Errorf("rnn: linear error covariance: AR(1) coefficient %v, want |ρ| < 1", rho)
	}
	if r := SpectralRadius(A); !(r < 1) {
		return nil, fmt.Errorf("rnn: linear error covariance: A has spectral radius %.6g ≥ 1: no stationary state", r)
	}
	var ap mat.Dense
	ap.Add(A, dA)
	if exact {
		if r := SpectralRadius(&ap); !(r < 1) {
			return nil, fmt.Errorf("rnn: linear error covariance: A + dA has spectral radius %.6g ≥ 1: no stationary error", r)
		}
	}
	N := 2*n + 1
	M := mat.NewDense(N, N, nil)
	M.Set(0, 0, rho)
	for i := 0; i < n; i++ {
		M.Set(1+i, 0, rho*v[i])
		for j := 0; j < n; j++ {
			M.Set(1+i, 1+j, A.At(i, j))
			M.Set(1+n+i, 1+j, dA.At(i, j))
			if exact {
				M.Set(1+n+i, 1+n+j, ap.At(i, j))
			} else {
				M.Set(1+n+i, 1+n+j, A.At(i, j))
			}
		}
	}
	g := make([]float64, N)
	s := math.Sqrt(1 - rho*rho)
	g[0] = s
	for i, x := range v {
		g[1+i] = s * x
	}
	Q := mat.NewDense(N, N, nil)
	Q.Outer(1, mat.NewVecDense(N, g), mat.NewVecDense(N, g))
	P, err := lyapunovDoubling(M, Q)
	if err != nil {
		return nil, err
	}
	out := mat.NewDense(n, n, nil)
	out.Copy(P.Slice(1+n, N, 1+n, N))
	return out, nil
}

// lyapunovDoubling solves P = M P Mᵀ + Q for a stable M by doubling
// (Smith's method): after k rounds P = Σ_{j<2^k} M^j Q M^jᵀ, using
// P ← P + M_k P M_kᵀ, M_{k+1} = M_k².
func lyapunovDoubling(M, Q *mat.Dense) (*mat.Dense, error) {
	var P, Mk, tmp, inc mat.Dense
	P.CloneFrom(Q)
	Mk.CloneFrom(M)
	for it := 0; it < 100; it++ {
		tmp.Mul(&Mk, &P)
		inc.Mul(&tmp, Mk.T())
		P.Add(&P, &inc)
		tmp.Mul(&Mk, &Mk)
		Mk.CloneFrom(&tmp)
		if mat.Trace(&inc) <= 1e-16*mat.Trace(&P) && mat.Norm(&Mk, 2) < 1 {
			// Symmetrise away rounding.
			var pt mat.Dense
			pt.CloneFrom(P.T())
			P.Add(&P, &pt)
			P.Scale(0.5, &P)
			return &P, nil
		}
		if math.IsInf(mat.Trace(&P), 0) || math.IsNaN(mat.Trace(&P)) {
			break
		}
	}
	return nil, errors.New("rnn: Lyapunov equation: doubling did not converge (is the system stable?)")
}
