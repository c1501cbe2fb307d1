package rnn

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/lowrank-rnn/lowrank/kernels"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// The first-order perturbation model for PyTorch's cells. Perturb each
// layer's recurrent matrix, W_hh → W_hh + ΔW (ΔW = W' − W_hh for a
// compression), and linearise around the unperturbed trajectory. With
// a = W_ih x_t + b_ih and u = W_hh h_{t−1} + b_hh as in bptt_gated.go, a
// layer whose input is perturbed by δx_t (the output perturbation of the
// layer below; 0 for layer 0) sees
//
//	δa = W_ih δx_t,   δu = W_hh δh_{t−1} + ΔW h_{t−1}
//
// and then, for the GRU,
//
//	δr = r(1 − r) ⊙ (δa_r + δu_r),  δz = z(1 − z) ⊙ (δa_z + δu_z)
//	δn = (1 − n²) ⊙ (δa_n + δr ⊙ u_n + r ⊙ δu_n)
//	δh_t = (1 − z) ⊙ δn + (h_{t−1} − n) ⊙ δz + z ⊙ δh_{t−1}
//
// and for the LSTM, with s = a + u and δs = δa + δu,
//
//	δi = i(1 − i) ⊙ δs_i,  δf = f(1 − f) ⊙ δs_f,  δg = (1 − g²) ⊙ δs_g,  δo = o(1 − o) ⊙ δs_o
//	δc_t = c_{t−1} ⊙ δf + f ⊙ δc_{t−1} + g ⊙ δi + i ⊙ δg
//	δm = tanh(c_t) ⊙ δo + o ⊙ (1 − tanh²(c_t)) ⊙ δc_t,   δh_t = δm or W_hr δm.
//
// The layer's state is h (and the LSTM's c), so the step Jacobian J_t and
// the injected error e_t (the terms in ΔW at δh_{t−1} = 0, δx = 0) of
// δs_t = J_t δs_{t−1} + e_t are, for the GRU (W_r, W_z, W_n the blocks of
// W_hh),
//
//	J_t = diag(z) + diag((h_{t−1} − n) z(1 − z)) W_z
//	    + diag((1 − z)(1 − n²)) (diag(u_n r(1 − r)) W_r + diag(r) W_n)
//
// and e_t the same with ΔW h_{t−1} in place of W δh_{t−1}; for the LSTM on
// the state [h; c] (gruJacobian, lstmJacobian below). Predict propagates
// the vector form for every sequence and layer; the explicit forms are
// checked against finite differences in the tests.

// gatedDeltas returns ΔW_hh = p's weight_hh − m's for every layer (an
// empty matrix for a layer that is unchanged).
func gatedDeltas(m, p *Model) ([]kernels.Matrix, error) {
	if m.Config != p.Config {
		return nil, fmt.Errorf("rnn: perturbation: models differ in shape: %+v and %+v", m.Config, p.Config)
	}
	d := make([]kernels.Matrix, m.NumLayers)
	for k := range m.Layers {
		a, b := m.Layers[k].Whh, p.Layers[k].Whh
		dk := kernels.NewMatrix(a.Rows, a.Cols)
		nonzero := false
		for i := 0; i < a.Rows; i++ {
			for j := 0; j < a.Cols; j++ {
				v := b.At(i, j) - a.At(i, j)
				dk.Set(i, j, v)
				nonzero = nonzero || v != 0
			}
		}
		if nonzero {
			d[k] = dk
		}
	}
	return d, nil
}

// PredictGated is Predict for a GRU or LSTM: it runs m in float64 over the
// inputs of b and propagates the first-order perturbation of every layer
// caused by adding dW[k] to layer k's weight_hh (an empty dW[k]: none),
// through the layers above, to the top layer's output, which the curve
// reports (and the readout's).
func PredictGated(m *Model, dW []kernels.Matrix, b *task.Batch) (*ErrorCurve, error) {
	return predictGated(m, dW, b, false)
}

// PredictGatedTangent is PredictGated with the perturbation propagated
// through W_hh + ΔW instead of W_hh (in δu = W δh_{t−1} + ΔW h_{t−1}): the
// tangent model of the perturbed network along the unperturbed
// trajectory, as PredictTangent is for the RNN and the MGRU.
func PredictGatedTangent(m *Model, dW []kernels.Matrix, b *task.Batch) (*ErrorCurve, error) {
	return predictGated(m, dW, b, true)
}

// predictGated is PredictGated, or PredictGatedTangent when tangent is set.
func predictGated(m *Model, dW []kernels.Matrix, b *task.Batch, tangent bool) (*ErrorCurve, error) {
	if !m.Cell.Gated() {
		if tangent {
			return nil, fmt.Errorf("rnn: PredictGatedTangent: a %s model; use PredictTangent", m.Cell)
		}
		return nil, fmt.Errorf("rnn: PredictGated: a %s model; use Predict", m.Cell)
	}
	if len(dW) != m.NumLayers {
		return nil, fmt.Errorf("rnn: PredictGated: %d perturbations for %d layers", len(dW), m.NumLayers)
	}
	dw, err := gatedDeltaRows(m, dW)
	if err != nil {
		return nil, err
	}
	r, err := runOf(nil, m, b)
	if err != nil {
		return nil, err
	}
	return r.predictGated(dw, tangent)
}

// predictGated is PredictGated on the run r, with the perturbations dw
// (row-major, nil: none), or PredictGatedTangent when tangent is set.
func (r *baseRun) predictGated(dw [][]float64, tangent bool) (*ErrorCurve, error) {
	m, b, nt, ps := r.m, r.b, r.nt, r.ps
	p := m.stateWidth()
	c, err := newCurve(m.Config, b.T, b.B)
	if err != nil {
		return nil, err
	}
	bs, steps := b.B, b.T
	// dx holds the layer's input perturbation, T·B×in (nil: none, layer
	// 0); each layer leaves its output perturbation for the next.
	var dx []float64
	for k := range ps.g.layers {
		dx = linLayer(nt, k, &ps.g.layers[k], dw[k], dx, steps, bs, tangent)
	}
	top := ps.g.layers[len(ps.g.layers)-1]
	dy := make([]float64, bs*m.Out)
	var readout *product32
	if m.Out > 0 {
		readout = newProduct32(nt.r(), m.Out, p)
	}
	for t := 0; t < steps; t++ {
		dh, hh := dx[t*bs*p:(t+1)*bs*p], top.hs[(t+1)*bs*p:(t+2)*bs*p]
		c.DH[t], c.H[t] = meanSq(dh, p), meanSq(hh, p)
		if m.Out > 0 {
			readout.apply(dy, dh, bs, false)
			c.DY[t] = meanSq(dy, m.Out)
			c.Y[t] = meanSq(r.outputsAt(t), m.Out)
		}
	}
	return c, nil
}

// gatedDeltaRows checks the perturbations of a GRU's or LSTM's weight_hh
// and returns them row-major in float64 (nil: that layer is unperturbed).
func gatedDeltaRows(m *Model, dW []kernels.Matrix) ([][]float64, error) {
	g, h, p := m.Cell.torchGates(), m.Hidden, m.stateWidth()
	dw := make([][]float64, len(dW))
	for k, d := range dW {
		if len(d.Data) == 0 {
			continue
		}
		if d.Rows != g*h || d.Cols != p {
			return nil, fmt.Errorf("rnn: PredictGated: dW[%d] is %d×%d, want %d×%d", k, d.Rows, d.Cols, g*h, p)
		}
		dw[k] = make([]float64, g*h*p)
		for i := 0; i < d.Rows; i++ {
			for j, v := range d.Row(i) {
				dw[k][i*p+j] = float64(v)
			}
		}
	}
	return dw, nil
}

// linLayer propagates the first-order perturbation through layer k of a
// trajectory: its weight_hh perturbed by dw (nil: not) and its inputs by
// dx (nil: not); with tangent, through W_hh + dw. It returns the
// perturbation of the layer's outputs, T·B×P.
func linLayer(nt *net[float64], k int, l *gatedLayerPass[float64], dw, dx []float64, steps, bs int, tangent bool) []float64 {
	wih, whh, _, _, whr := nt.gatedLayer(k)
	if tangent && dw != nil {
		w := make([]float64, len(whh))
		for i, v := range whh {
			w[i] = v + dw[i]
		}
		whh = w
	}
	in := nt.layerIn(k)
	H, p := nt.Hidden, nt.stateWidth()
	gh := nt.Cell.torchGates() * H
	out := make([]float64, steps*bs*p)
	// da is the input's contribution W_ih δx_t to the gates, every step;
	// the first layer's inputs are not perturbed, so its da is zero (one
	// step's worth, reused).
	da := make([]float64, bs*gh)
	if dx != nil {
		da = make([]float64, steps*bs*gh)
		gemm(false, true, steps*bs, gh, in, 1, dx, in, wih, in, 0, da, gh)
	}
	w := newProduct32(whh, gh, p)
	var dwp *product32
	if dw != nil {
		dwp = newProduct32(dw, gh, p)
	}
	du := make([]float64, bs*gh)
	dh := make([]float64, bs*p) // δh_{t−1}; both runs start from zero
	var dc, dm []float64
	if nt.Cell == LSTM {
		dc, dm = make([]float64, bs*H), make([]float64, bs*H)
	}
	for t := 0; t < steps; t++ {
		hp := l.hs[t*bs*p : (t+1)*bs*p]
		w.apply(du, dh, bs, false) // δH·W_hhᵀ + H·ΔW_hhᵀ
		if dwp != nil {
			dwp.apply(du, hp, bs, true)
		}
		gates := l.gates[t*bs*gh : (t+1)*bs*gh]
		dat := da[:bs*gh]
		if dx != nil {
			dat = da[t*bs*gh : (t+1)*bs*gh]
		}
		next := out[t*bs*p : (t+1)*bs*p]
		if nt.Cell == GRU {
			un := l.un[t*bs*H : (t+1)*bs*H]
			for b := 0; b < bs; b++ {
				gg, a, u := gates[b*gh:(b+1)*gh], dat[b*gh:(b+1)*gh], du[b*gh:(b+1)*gh]
				for i := 0; i < H; i++ {
					r, z, n := gg[i], gg[H+i], gg[2*H+i]
					j := b*H + i
					dr := r * (1 - r) * (a[i] + u[i])
					dz := z * (1 - z) * (a[H+i] + u[H+i])
					dn := (1 - n*n) * (a[2*H+i] + dr*un[j] + r*u[2*H+i])
					next[j] = (1-z)*dn + (hp[j]-n)*dz + z*dh[j]
				}
			}
		} else {
			cp := l.cs[t*bs*H : (t+1)*bs*H]
			tc := l.tc[t*bs*H : (t+1)*bs*H]
			for b := 0; b < bs; b++ {
				gg, a, u := gates[b*gh:(b+1)*gh], dat[b*gh:(b+1)*gh], du[b*gh:(b+1)*gh]
				for i := 0; i < H; i++ {
					ig, fg, g, og := gg[i], gg[H+i], gg[2*H+i], gg[3*H+i]
					j := b*H + i
					di := ig * (1 - ig) * (a[i] + u[i])
					df := fg * (1 - fg) * (a[H+i] + u[H+i])
					dg := (1 - g*g) * (a[2*H+i] + u[2*H+i])
					do := og * (1 - og) * (a[3*H+i] + u[3*H+i])
					dc[j] = cp[j]*df + fg*dc[j] + g*di + ig*dg
					dm[j] = tc[j]*do + og*(1-tc[j]*tc[j])*dc[j]
				}
			}
			if whr != nil {
				gemm(false, true, bs, p, H, 1, dm, H, whr, H, 0, next, p)
			} else {
				copy(next, dm)
			}
		}
		copy(dh, next)
	}
	return out
}

// gruJacobian returns J_t = ∂h_t/∂h_{t−1} of one GRU step (see above): whh
// is W_hh (3H×H row-major), hp = h_{t−1}, and r, z, n, un = u_n the step's
// values.
func gruJacobian(whh, hp, r, z, n, un []float64) *mat.Dense {
	h := len(hp)
	j := mat.NewDense(h, h, nil)
	for i := 0; i < h; i++ {
		az := (hp[i] - n[i]) * z[i] * (1 - z[i])
		an := (1 - z[i]) * (1 - n[i]*n[i])
		ar := an * un[i] * r[i] * (1 - r[i])
		for k := 0; k < h; k++ {
			j.Set(i, k, az*whh[(h+i)*h+k]+ar*whh[i*h+k]+an*r[i]*whh[(2*h+i)*h+k])
		}
		j.Set(i, i, j.At(i, i)+z[i])
	}
	return j
}

// gruInjected returns e_t: the change of h_t caused by ΔW_hh = dw at a
// fixed h_{t−1} = hp, to first order.
func gruInjected(dw, hp, r, z, n, un []float64) []float64 {
	h := len(hp)
	du := matVec64(dw, hp, 3*h)
	e := make([]float64, h)
	for i := range e {
		dr := r[i] * (1 - r[i]) * du[i]
		dz := z[i] * (1 - z[i]) * du[h+i]
		dn := (1 - n[i]*n[i]) * (dr*un[i] + r[i]*du[2*h+i])
		e[i] = (1-z[i])*dn + (hp[i]-n[i])*dz
	}
	return e
}

// lstmJacobian returns the Jacobian of one LSTM step on the state [h; c]
// (P + H): ∂[h_t; c_t]/∂[h_{t−1}; c_{t−1}]. whh is W_hh (4H×P), whr W_hr
// (P×H, nil without a projection), cp = c_{t−1}, gates i, f, g, o and
// tc = tanh(c_t) the step's values.
func lstmJacobian(whh, whr, cp, in, f, g, o, tc []float64) *mat.Dense {
	h := len(cp)
	p := len(whh) / (4 * h)
	// ∂c_t/∂h_{t−1} (H×P) and ∂m/∂[h; c] (H×(P+H)).
	dc := mat.NewDense(h, p+h, nil)
	dm := mat.NewDense(h, p+h, nil)
	for i := 0; i < h; i++ {
		ai := g[i] * in[i] * (1 - in[i])
		af := cp[i] * f[i] * (1 - f[i])
		ag := in[i] * (1 - g[i]*g[i])
		ao := tc[i] * o[i] * (1 - o[i])
		dtc := o[i] * (1 - tc[i]*tc[i])
		for k := 0; k < p; k++ {
			v := ai*whh[i*p+k] + af*whh[(h+i)*p+k] + ag*whh[(2*h+i)*p+k]
			dc.Set(i, k, v)
			dm.Set(i, k, ao*whh[(3*h+i)*p+k]+dtc*v)
		}
		dc.Set(i, p+i, f[i])
		dm.Set(i, p+i, dtc*f[i])
	}
	j := mat.NewDense(p+h, p+h, nil)
	if whr == nil {
		j.Slice(0, p, 0, p+h).(*mat.Dense).Copy(dm)
	} else {
		j.Slice(0, p, 0, p+h).(*mat.Dense).Mul(mat.NewDense(p, h, whr), dm)
	}
	j.Slice(p, p+h, 0, p+h).(*mat.Dense).Copy(dc)
	return j
}

// lstmInjected returns e_t on the state [h; c]: the change of h_t and c_t
// caused by ΔW_hh = dw at fixed h_{t−1} = hp and c_{t−1} = cp, to first
// order.
func lstmInjected(dw, whr, hp, cp, in, f, g, o, tc []float64) []float64 {
	h := len(cp)
	p := len(hp)
	du := matVec64(dw, hp, 4*h)
	dc := make([]float64, h)
	dm := make([]float64, h)
	for i := range dc {
		di := in[i] * (1 - in[i]) * du[i]
		df := f[i] * (1 - f[i]) * du[h+i]
		dg := (1 - g[i]*g[i]) * du[2*h+i]
		do := o[i] * (1 - o[i]) * du[3*h+i]
		dc[i] = cp[i]*df + g[i]*di + in[i]*dg
		dm[i] = tc[i]*do + o[i]*(1-tc[i]*tc[i])*dc[i]
	}
	e := make([]float64, p+h)
	if whr == nil {
		copy(e, dm)
	} else {
		copy(e, matVec64(whr, dm, p))
	}
	copy(e[p:], dc)
	return e
}

// matVec64 returns A·x for A with rows rows, row-major.
func matVec64(a, x []float64, rows int) []float64 {
	y := make([]float64, rows)
	cols := len(x)
	for i := range y {
		var s float64
		for k, v := range x {
			s += a[i*cols+k] * v
		}
		y[i] = s
	}
	return y
}
