package rnn

import (
	"math"

	"github.com/lowrank-rnn/lowrank/kernels"
)

// probe runs the uncompressed model frame by frame and, beside it, the
// first-order error responses to every block of every truncation: one row
// of the k×n matrix δH per block, propagated by the linearised step of
// perturb.go (δh_t = J_t δh_{t−1} + e_t, e_t the block's injection) for
// all blocks at once, the recurrent products as batched kernel products.
// At scored steps it adds the rows' Gram matrix in the quadratic form of
// the plan's measure. Nothing is kept of the sequence but the current
// state and responses, and a few scored steps of rows waiting to be added.
type probe struct {
	cell      Cell
	n, k      int
	objective Objective
	burn      int
	form      form
	ts        []*truncation
	off       []int // first row of each truncation's blocks

	w    [2]*kernels.Packed
	u    [2]*kernels.Packed
	b    [2][]float32
	r    *kernels.Packed
	c    []float32
	xp   [2][]float32
	pre  []float32
	a    [2][]float32 // recurrent products U_f h_{t−1}, U_h s_t (RNN: U h_{t−1})
	ax   [2][]float32 // for the joint truncation: U_h h_{t−1}, U_f s_t
	join bool         // the last truncation is the joint one
	f, s []float32
	hc   []float32
	h    []float32
	hp   []float32
	coef []float32 // Pᵀ·(product) of one truncation
	jin  []float32 // the joint truncation's 2n-vector input

	dh, da, ds, dah kernels.Matrix // k×n responses and scratch
	z               kernels.Matrix // k×out readout responses
	y, sp           []float32
	p               []float64

	// Gram accumulation: the rows (of length d: n, or Out) of steps scored
	// steps side by side in buf (k×steps·d), added to gram (k×k) by kernel
	// dot products when full.
	d, steps, filled int
	buf              kernels.Matrix
	gram             []float64
	ref              refSums
	t                int // steps since the last Reset
}

// gramRow is the number of floats of measure rows buffered per response
// before the Gram matrix is updated: long dot products keep the kernel
// busy.
const gramRow = 1024

// form is the quadratic form of the state responses whose Gram matrix the
// probe adds up: the first-order damage of a measure, or a smoother proxy.
type form int

const (
	stateForm    form = iota // ‖δh‖² / Σ‖h‖²
	outputForm               // ‖R δh‖² / Σ‖y‖²
	varianceForm             // ‖R δh‖² / Σ_k Var(y_k): the regression loss
	fisherForm               // δzᵀ F δz / 2 / Σ H(p), z = R h: the KL divergence
)

// formOf returns the form of a measure for an objective. The loss of a
// model scored on its last step's decision (ClassifyLast) has no second
// order (decisions flip), and the Fisher form of its few scored steps
// weighs the handful of uncertain sequences alone: the readout error ranks
// its truncations far more steadily, and the check phase measures the loss.
func formOf(m DamageMeasure, o Objective) form {
	switch {
	case m == StateError:
		return stateForm
	case m == OutputError || o == ClassifyLast:
		return outputForm
	case o == Regression:
		return varianceForm
	}
	return fisherForm
}

func newProbe(m *Model, ts []*truncation, measure DamageMeasure) *probe {
	n := m.Hidden
	pr := &probe{cell: m.Cell, n: n, objective: m.Objective, burn: m.Burn,
		ts: ts, r: kernels.Pack(m.R), c: append([]float32(nil), m.C...),
		pre: make([]float32, n), f: make([]float32, n), s: make([]float32, n), hc: make([]float32, n),
		h: make([]float32, n), hp: make([]float32, n), coef: make([]float32, n), jin: make([]float32, 2*n),
		y: make([]float32, m.Out), sp: make([]float32, m.Out), p: make([]float64, m.Out)}
	for g := 0; g < m.Cell.gates(); g++ {
		pr.w[g], pr.u[g] = kernels.Pack(m.W[g]), kernels.Pack(m.U[g])
		pr.b[g] = append([]float32(nil), m.B[g]...)
		pr.xp[g] = make([]float32, n)
		pr.a[g], pr.ax[g] = make([]float32, n), make([]float32, n)
	}
	for _, t := range ts {
		pr.off = append(pr.off, pr.k)
		pr.k += t.blocks()
		pr.join = pr.join || t.joint
	}
	k := pr.k
	pr.dh, pr.da, pr.ds, pr.dah = kernels.NewMatrix(k, n), kernels.NewMatrix(k, n), kernels.NewMatrix(k, n), kernels.NewMatrix(k, n)
	pr.z = kernels.NewMatrix(k, m.Out)
	pr.form = formOf(measure, m.Objective)
	pr.d = n
	if pr.form != stateForm {
		pr.d = m.Out
	}
	pr.steps = max(1, gramRow/pr.d)
	pr.buf = kernels.NewMatrix(k, pr.steps*pr.d)
	pr.gram = make([]float64, k*k)
	pr.ref = newRefSums(m.Out)
	return pr
}

// step advances the model and the responses by one frame.
func (pr *probe) step(x []float32) {
	pr.h, pr.hp = pr.hp, pr.h
	for g := 0; g < pr.cell.gates(); g++ {
		pr.w[g].MatVec(pr.xp[g], x)
	}
	// The responses' recurrent products come first: they read δh_{t−1}.
	pr.u[0].MatVecBatch(pr.da, pr.dh)
	if pr.cell == RNN {
		pr.u[0].MatVec(pr.a[0], pr.hp)
		addTo(pr.pre, pr.xp[0], pr.b[0], pr.a[0])
		kernels.Tanh(pr.h, pr.pre)
		pr.inject(pr.da, 0, pr.a[0], nil)
		for i := 0; i < pr.k; i++ {
			row := pr.dh.Row(i)
			for j, v := range pr.da.Row(i) {
				row[j] = (1 - pr.h[j]*pr.h[j]) * v
			}
		}
	} else {
		pr.mgru()
	}
	if pr.objective != ClassifyLast && pr.t >= pr.burn {
		pr.score()
	}
	pr.t++
}

// mgru is step for the MGRU: the trajectory, then the linearised step of
// perturb.go's linStep for every response row, with each block's
// injection added to δa^f or δa^h.
func (pr *probe) mgru() {
	f, s, hc, hp, h := pr.f, pr.s, pr.hc, pr.hp, pr.h
	pr.u[0].MatVec(pr.a[0], hp)
	addTo(pr.pre, pr.xp[0], pr.b[0], pr.a[0])
	kernels.Sigmoid(f, pr.pre)
	for i := range s {
		s[i] = f[i] * hp[i]
	}
	pr.u[1].MatVec(pr.a[1], s)
	addTo(pr.pre, pr.xp[1], pr.b[1], pr.a[1])
	kernels.Tanh(hc, pr.pre)
	for i := range h {
		h[i] = hp[i] + f[i]*(hc[i]-hp[i])
	}
	if pr.join {
		pr.u[1].MatVec(pr.ax[0], hp) // U_h h_{t−1}
		pr.u[0].MatVec(pr.ax[1], s)  // U_f s_t
	}
	// δa^f = U_f δh_{t−1} + ΔU_f h_{t−1} (da holds the product already).
	pr.inject(pr.da, 0, pr.a[0], pr.ax[0])
	for i := 0; i < pr.k; i++ {
		da, ds, dh := pr.da.Row(i), pr.ds.Row(i), pr.dh.Row(i)
		for j := range da {
			da[j] *= f[j] * (1 - f[j])       // δf = F δa^f
			ds[j] = hp[j]*da[j] + f[j]*dh[j] // δs = h_{t−1} ⊙ δf + f ⊙ δh_{t−1}
		}
	}
	// δa^h = U_h δs + ΔU_h s.
	pr.u[1].MatVecBatch(pr.dah, pr.ds)
	pr.inject(pr.dah, 1, pr.a[1], pr.ax[1])
	for i := 0; i < pr.k; i++ {
		df, dah, dh := pr.da.Row(i), pr.dah.Row(i), pr.dh.Row(i)
		for j := range dh {
			dhc := (1 - hc[j]*hc[j]) * dah[j] // δh̃ = G δa^h
			dh[j] = (1-f[j])*dh[j] + (hc[j]-hp[j])*df[j] + f[j]*dhc
		}
	}
}

// inject adds to the rows of da the errors of gate g's discarded blocks:
// −P_b P_bᵀ a for the separate truncation of gate g (a = U_g times the
// gate's input), and for the joint one −[P_b P_bᵀ [U_f x; U_h x]]_g, where
// the step's product a is one half of the stacked vector and other, the
// other matrix times the same input, the other half.
func (pr *probe) inject(da kernels.Matrix, g int, a, other []float32) {
	n := pr.n
	for ti, t := range pr.ts {
		var in []float32
		switch {
		case !t.joint && t.gate == g:
			in = a
		case t.joint && g == 0:
			copy(pr.jin[:n], a)
			copy(pr.jin[n:], other)
			in = pr.jin
		case t.joint:
			copy(pr.jin[:n], other)
			copy(pr.jin[n:], a)
			in = pr.jin
		default:
			continue
		}
		t.ptp.MatVec(pr.coef, in) // c_i = p_iᵀ·in
		lo := 0
		if t.joint {
			lo = g * n // the rows of p_i that belong to gate g
		}
		for j := 0; j < t.blocks(); j++ {
			row := da.Row(pr.off[ti] + j)
			for i := t.bounds[j]; i < t.bounds[j+1]; i++ {
				kernels.Axpy(-pr.coef[i], t.pt.Row(i)[lo:lo+n], row)
			}
		}
	}
}

// reset ends a sequence: ClassifyLast scores its last step, then the state
// and the responses return to zero.
func (pr *probe) reset() {
	if pr.objective == ClassifyLast && pr.t > 0 {
		pr.score()
	}
	clear(pr.h)
	clear(pr.dh.Data)
	pr.t = 0
}

// score adds the current step to the reference sums and its measure rows
// to the Gram buffer.
func (pr *probe) score() {
	col := pr.filled * pr.d
	if pr.form == stateForm {
		pr.ref.add(pr.objective, pr.h, nil, nil)
		for i := 0; i < pr.k; i++ {
			copy(pr.buf.Row(i)[col:col+pr.d], pr.dh.Row(i))
		}
	} else {
		readout(pr.y, pr.r, pr.c, pr.h)
		if pr.objective != Regression {
			softmax(pr.p, pr.y)
		}
		pr.ref.add(pr.objective, pr.h, pr.y, pr.p)
		pr.r.MatVecBatch(pr.z, pr.dh) // δy = R δh for every response
		if pr.form == fisherForm {
			// Second order of the cross-entropy in the logits z: δzᵀ F δz / 2,
			// F = diag(p) − p pᵀ, written as ‖√(p/2) ⊙ (δz − pᵀδz)‖².
			for j, p := range pr.p {
				pr.sp[j] = float32(math.Sqrt(p / 2))
			}
			for i := 0; i < pr.k; i++ {
				z := pr.z.Row(i)
				var mean float64
				for j, v := range z {
					mean += pr.p[j] * float64(v)
				}
				for j, v := range z {
					z[j] = pr.sp[j] * (v - float32(mean))
				}
			}
		}
		for i := 0; i < pr.k; i++ {
			copy(pr.buf.Row(i)[col:col+pr.d], pr.z.Row(i))
		}
	}
	if pr.filled++; pr.filled == pr.steps {
		pr.flush()
	}
}

// flush adds the buffered rows' Gram matrix.
func (pr *probe) flush() {
	if pr.filled == 0 {
		return
	}
	w := pr.filled * pr.d
	for i := 0; i < pr.k; i++ {
		bi := pr.buf.Row(i)[:w]
		for j := 0; j <= i; j++ {
			pr.gram[i*pr.k+j] += float64(kernels.Dot(bi, pr.buf.Row(j)[:w]))
		}
	}
	pr.filled = 0
}

// result returns the first-order model: the Gram matrix (symmetric) and
// the reference it is relative to.
func (pr *probe) result() *firstOrder {
	pr.flush()
	k := pr.k
	for i := 0; i < k; i++ {
		for j := i + 1; j < k; j++ {
			pr.gram[i*k+j] = pr.gram[j*k+i]
		}
	}
	return newFirstOrder(pr.ts, pr.off, pr.k, pr.gram, pr.ref.total(pr.form), pr.ref.n)
}

// addTo sets dst = a + b + c.
func addTo(dst, a, b, c []float32) {
	for i := range dst {
		dst[i] = a[i] + b[i] + c[i]
	}
}

// readout sets y = R h + c.
func readout(y []float32, r *kernels.Packed, c, h []float32) {
	r.MatVec(y, h)
	for i, v := range c {
		y[i] += v
	}
}

// softmax sets p to the softmax of z, in float64.
func softmax(p []float64, z []float32) {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = max(mx, float64(v))
	}
	var s float64
	for i, v := range z {
		p[i] = math.Exp(float64(v) - mx)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
}

// refSums accumulates, over the scored steps, what the measures are
// relative to: Σ‖h‖², Σ‖y‖², the readout's sums for its variance, and the
// entropy of the predictions (ClassifyEach: the cross-entropy a calibrated
// model expects, in nats) or their top probability (ClassifyLast: the
// accuracy it expects). All are label-free.
type refSums struct {
	n          int // scored steps
	h, y, info float64
	sy, syy    []float64
}

func newRefSums(out int) refSums {
	return refSums{sy: make([]float64, out), syy: make([]float64, out)}
}

// add adds a scored step: its state h, its readout y (nil: not needed) and,
// for classification, the readout's softmax p.
func (r *refSums) add(o Objective, h, y []float32, p []float64) {
	r.n++
	r.h += sumSq(h)
	if y == nil {
		return
	}
	r.y += sumSq(y)
	switch o {
	case Regression:
		for i, v := range y {
			r.sy[i] += float64(v)
			r.syy[i] += float64(v) * float64(v)
		}
	case ClassifyLast:
		r.info += p[argmax64(p)]
	case ClassifyEach:
		for _, v := range p {
			if v > 0 {
				r.info -= v * math.Log(v)
			}
		}
	}
}

// merge adds the sums of o.
func (r *refSums) merge(o refSums) {
	r.n += o.n
	r.h += o.h
	r.y += o.y
	r.info += o.info
	for i := range r.sy {
		r.sy[i] += o.sy[i]
		r.syy[i] += o.syy[i]
	}
}

// total returns the reference of a form: the sum its error energy is
// divided by.
func (r *refSums) total(f form) float64 {
	switch f {
	case stateForm:
		return r.h
	case outputForm:
		return r.y
	case varianceForm:
		var v float64
		for i, s := range r.sy {
			v += r.syy[i] - s*s/float64(r.n)
		}
		return v
	}
	return r.info
}

func sumSq(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return s
}

func argmax64(p []float64) int {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}
