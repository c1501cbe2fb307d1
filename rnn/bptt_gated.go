package rnn

import "math"

// BPTT for PyTorch's cells, layer by layer: the forward pass runs layer 0
// over the whole sequence, then layer 1 on its outputs, …; the backward
// pass runs the top layer back through time first, and the gradient it
// leaves on its inputs is the gradient on the outputs of the layer below.
//
// GRU, with a = W_ih x_t + b_ih and u = W_hh h_{t−1} + b_hh (3H each):
//
//	r = σ(a_r + u_r),  z = σ(a_z + u_z),  n = tanh(a_n + r ⊙ u_n)
//	h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
//
// backward, from dh = ∂L/∂h_t: dn = dh ⊙ (1 − z), dz = dh ⊙ (h_{t−1} − n),
// ∂n_pre = dn ⊙ (1 − n²), ∂r_pre = ∂n_pre ⊙ u_n ⊙ r(1 − r),
// ∂z_pre = dz ⊙ z(1 − z); the input side gets ∂a = [∂r_pre, ∂z_pre,
// ∂n_pre], the recurrent side ∂u = [∂r_pre, ∂z_pre, ∂n_pre ⊙ r], and
// dh_{t−1} = dh ⊙ z + W_hhᵀ ∂u.
//
// LSTM, with s = a + u (4H): i, f, o = σ(s_i, s_f, s_o), g = tanh(s_g),
// c_t = f ⊙ c_{t−1} + i ⊙ g, m = o ⊙ tanh(c_t), h_t = m or W_hr m;
// backward: dm = dh or W_hrᵀ dh, do = dm ⊙ tanh(c_t), dc += dm ⊙ o ⊙
// (1 − tanh²(c_t)), then di = dc ⊙ g, dg = dc ⊙ i, df = dc ⊙ c_{t−1},
// ∂s = [di·i(1−i), df·f(1−f), dg·(1−g²), do·o(1−o)] for both sides,
// dc_{t−1} = dc ⊙ f and dh_{t−1} = W_hhᵀ ∂s.

// gatedLayerPass holds one layer's forward values and backward scratch.
type gatedLayerPass[T Float] struct {
	x     []T // inputs, T·B×in: the batch's, or the layer below's outputs
	xp    []T // W_ih x + b_ih, T·B×G·H
	hs    []T // states h_0 = 0, h_1, …, h_T: (T+1)·B×P
	cs    []T // LSTM cells c_0 = 0, …, c_T: (T+1)·B×H
	gates []T // activated gates, T·B×G·H (GRU r, z, n; LSTM i, f, g, o)
	un    []T // GRU: u_n = W_hn h_{t−1} + b_hn, T·B×H
	tc    []T // LSTM: tanh(c_t), T·B×H
	m     []T // LSTM with a projection: o ⊙ tanh(c_t), T·B×H
	da    []T // ∂L/∂a, T·B×G·H
	du    []T // ∂L/∂u, T·B×G·H (the LSTM's equals da)
	dhx   []T // ∂L/∂h_t from outside the layer (readout, layer above), T·B×P
	dhAll []T // LSTM with a projection: the total ∂L/∂h_t, T·B×P
	u     []T // scratch: one step's u, B×G·H
	dh    []T // scratch: ∂L/∂h carried back, B×P
	dc    []T // scratch: ∂L/∂c carried back, B×H
	dm    []T // scratch: ∂L/∂m, B×H
}

// gatedPass is a GRU's or LSTM's forward pass, one entry per layer.
type gatedPass[T Float] struct {
	t, bs  int
	layers []gatedLayerPass[T]
}

func (gp *gatedPass[T]) resize(cfg Config, t, bs int) {
	if gp.t == t && gp.bs == bs && gp.layers != nil {
		return
	}
	gp.t, gp.bs = t, bs
	gh, h, p := cfg.Cell.torchGates()*cfg.Hidden, cfg.Hidden, cfg.stateWidth()
	tb := t * bs
	gp.layers = make([]gatedLayerPass[T], cfg.NumLayers)
	for k := range gp.layers {
		l := &gp.layers[k]
		l.xp, l.gates, l.da, l.du = make([]T, tb*gh), make([]T, tb*gh), make([]T, tb*gh), make([]T, tb*gh)
		l.hs, l.dhx = make([]T, (t+1)*bs*p), make([]T, tb*p)
		l.u, l.dh = make([]T, bs*gh), make([]T, bs*p)
		if cfg.Cell == GRU {
			l.un = make([]T, tb*h)
		} else {
			l.cs, l.tc = make([]T, (t+1)*bs*h), make([]T, tb*h)
			l.dc, l.dm = make([]T, bs*h), make([]T, bs*h)
			if cfg.Proj > 0 {
				l.m, l.dhAll = make([]T, tb*h), make([]T, tb*p)
			}
		}
	}
}

// gatedLayer returns the parameters of layer k: weight_ih, weight_hh,
// bias_ih, bias_hh and weight_hr (nil without a projection).
func (nt *net[T]) gatedLayer(k int) (wih, whh, bih, bhh, whr []T) {
	i := k * nt.perLayer()
	wih, whh, bih, bhh = nt.p[i], nt.p[i+1], nt.p[i+2], nt.p[i+3]
	if nt.Proj > 0 {
		whr = nt.p[i+4]
	}
	return
}

// readoutIndex is the index of R among the parameters (c follows).
func (c Config) readoutIndex() int {
	if c.Cell.Gated() {
		return c.NumLayers * c.perLayer()
	}
	return 3 * c.Cell.gates()
}

// readWidth is the width of the states the readout reads.
func (c Config) readWidth() int {
	if c.Cell.Gated() {
		return c.stateWidth()
	}
	return c.Hidden
}

// forwardGated is forward for a GRU or LSTM; ps.h is set to the top
// layer's states for the readout.
func (nt *net[T]) forwardGated(ps *pass[T], bt *Batch[T]) T {
	if ps.g == nil {
		ps.g = new(gatedPass[T])
	}
	gp := ps.g
	gp.resize(nt.Config, bt.T, bt.B)
	x := bt.X
	for k := range gp.layers {
		l := &gp.layers[k]
		l.x = x
		nt.forwardLayer(k, l, bt.T, bt.B)
		x = l.hs[bt.B*nt.stateWidth():]
	}
	ps.h = gp.layers[len(gp.layers)-1].hs
	ps.resizeReadout(nt.Config, bt.T, bt.B)
	return nt.readout(ps, bt)
}

// forwardLayer runs layer k over the sequence of l.x.
func (nt *net[T]) forwardLayer(k int, l *gatedLayerPass[T], steps, bs int) {
	wih, whh, bih, bhh, whr := nt.gatedLayer(k)
	in := nt.layerIn(k)
	H, p := nt.Hidden, nt.stateWidth()
	gh := nt.Cell.torchGates() * H
	gemm(false, true, steps*bs, gh, in, 1, l.x, in, wih, in, 0, l.xp, gh)
	addBias(l.xp, bih)
	clear(l.hs[:bs*p])
	if l.cs != nil {
		clear(l.cs[:bs*H])
	}
	for t := 0; t < steps; t++ {
		hp, h := l.hs[t*bs*p:(t+1)*bs*p], l.hs[(t+1)*bs*p:(t+2)*bs*p]
		gemm(false, true, bs, gh, p, 1, hp, p, whh, p, 0, l.u, gh)
		addBias(l.u, bhh)
		xp, gates := l.xp[t*bs*gh:(t+1)*bs*gh], l.gates[t*bs*gh:(t+1)*bs*gh]
		if nt.Cell == GRU {
			un := l.un[t*bs*H : (t+1)*bs*H]
			for b := 0; b < bs; b++ {
				a, u, g := xp[b*gh:(b+1)*gh], l.u[b*gh:(b+1)*gh], gates[b*gh:(b+1)*gh]
				for i := 0; i < H; i++ {
					r := sigmoid(a[i] + u[i])
					z := sigmoid(a[H+i] + u[H+i])
					n := T(math.Tanh(float64(a[2*H+i] + r*u[2*H+i])))
					g[i], g[H+i], g[2*H+i] = r, z, n
					un[b*H+i] = u[2*H+i]
					h[b*H+i] = (1-z)*n + z*hp[b*H+i]
				}
			}
			continue
		}
		cp, c := l.cs[t*bs*H:(t+1)*bs*H], l.cs[(t+1)*bs*H:(t+2)*bs*H]
		tc := l.tc[t*bs*H : (t+1)*bs*H]
		m := h // without a projection, m is h
		if whr != nil {
			m = l.m[t*bs*H : (t+1)*bs*H]
		}
		for b := 0; b < bs; b++ {
			a, u, g := xp[b*gh:(b+1)*gh], l.u[b*gh:(b+1)*gh], gates[b*gh:(b+1)*gh]
			for i := 0; i < H; i++ {
				ig := sigmoid(a[i] + u[i])
				fg := sigmoid(a[H+i] + u[H+i])
				gg := T(math.Tanh(float64(a[2*H+i] + u[2*H+i])))
				og := sigmoid(a[3*H+i] + u[3*H+i])
				g[i], g[H+i], g[2*H+i], g[3*H+i] = ig, fg, gg, og
				ci := fg*cp[b*H+i] + ig*gg
				c[b*H+i] = ci
				tc[b*H+i] = T(math.Tanh(float64(ci)))
				m[b*H+i] = og * tc[b*H+i]
			}
		}
		if whr != nil {
			gemm(false, true, bs, p, H, 1, m, H, whr, H, 0, h, p)
		}
	}
}

// backwardGated is backward for a GRU or LSTM.
func (nt *net[T]) backwardGated(ps *pass[T], bt *Batch[T], grad [][]T) {
	gp := ps.g
	bs, steps, out, p := bt.B, bt.T, nt.Out, nt.stateWidth()
	ri := nt.readoutIndex()
	top := &gp.layers[len(gp.layers)-1]
	// Readout: dR = dOᵀ·H, dc = Σ dO, and ∂L/∂h_t = dO_t·R.
	clear(top.dhx)
	if out > 0 {
		if nt.Objective == ClassifyLast {
			last := top.hs[steps*bs*p:]
			gemm(true, false, out, p, bs, 1, ps.do, out, last, p, 1, grad[ri], p)
			gemm(false, false, bs, p, out, 1, ps.do, out, nt.r(), p, 0, top.dhx[(steps-1)*bs*p:], p)
		} else {
			gemm(true, false, out, p, steps*bs, 1, ps.do, out, top.hs[bs*p:], p, 1, grad[ri], p)
			gemm(false, false, steps*bs, p, out, 1, ps.do, out, nt.r(), p, 0, top.dhx, p)
		}
		sumRows(grad[ri+1], ps.do, out)
	}
	for k := len(gp.layers) - 1; k >= 0; k-- {
		l := &gp.layers[k]
		nt.backwardLayer(k, l, grad, steps, bs)
		if k > 0 {
			// The gradient on this layer's inputs is the gradient on the
			// outputs h_1 … h_T of the layer below.
			wih, _, _, _, _ := nt.gatedLayer(k)
			gh := nt.Cell.torchGates() * nt.Hidden
			gemm(false, false, steps*bs, nt.layerIn(k), gh, 1, l.da, gh, wih, nt.layerIn(k), 0, gp.layers[k-1].dhx, nt.layerIn(k))
		}
	}
}

// backwardLayer runs layer k back through time from l.dhx and accumulates
// its weights' gradients.
func (nt *net[T]) backwardLayer(k int, l *gatedLayerPass[T], grad [][]T, steps, bs int) {
	_, whh, _, _, whr := nt.gatedLayer(k)
	gi := k * nt.perLayer()
	in := nt.layerIn(k)
	H, p := nt.Hidden, nt.stateWidth()
	gh := nt.Cell.torchGates() * H
	clear(l.dh)
	if l.dc != nil {
		clear(l.dc)
	}
	for t := steps - 1; t >= 0; t-- {
		dhx := l.dhx[t*bs*p : (t+1)*bs*p]
		for i := range l.dh {
			l.dh[i] += dhx[i]
		}
		hp := l.hs[t*bs*p : (t+1)*bs*p]
		gates := l.gates[t*bs*gh : (t+1)*bs*gh]
		da, du := l.da[t*bs*gh:(t+1)*bs*gh], l.du[t*bs*gh:(t+1)*bs*gh]
		if nt.Cell == GRU {
			un := l.un[t*bs*H : (t+1)*bs*H]
			for b := 0; b < bs; b++ {
				g, a, u := gates[b*gh:(b+1)*gh], da[b*gh:(b+1)*gh], du[b*gh:(b+1)*gh]
				for i := 0; i < H; i++ {
					r, z, n := g[i], g[H+i], g[2*H+i]
					dh := l.dh[b*H+i]
					pn := dh * (1 - z) * (1 - n*n)
					pr := pn * un[b*H+i] * r * (1 - r)
					pz := dh * (hp[b*H+i] - n) * z * (1 - z)
					a[i], a[H+i], a[2*H+i] = pr, pz, pn
					u[i], u[H+i], u[2*H+i] = pr, pz, pn*r
					l.dh[b*H+i] = dh * z // the direct path; W_hhᵀ ∂u is added below
				}
			}
			gemm(false, false, bs, p, gh, 1, du, gh, whh, p, 1, l.dh, p)
			continue
		}
		cp := l.cs[t*bs*H : (t+1)*bs*H]
		tc := l.tc[t*bs*H : (t+1)*bs*H]
		if whr != nil {
			copy(l.dhAll[t*bs*p:(t+1)*bs*p], l.dh)
			gemm(false, false, bs, H, p, 1, l.dh, p, whr, H, 0, l.dm, H)
		} else {
			copy(l.dm, l.dh)
		}
		for b := 0; b < bs; b++ {
			g, a := gates[b*gh:(b+1)*gh], da[b*gh:(b+1)*gh]
			for i := 0; i < H; i++ {
				ig, fg, gg, og := g[i], g[H+i], g[2*H+i], g[3*H+i]
				j := b*H + i
				dm, tci := l.dm[j], tc[j]
				dc := l.dc[j] + dm*og*(1-tci*tci)
				a[i] = dc * gg * ig * (1 - ig)
				a[H+i] = dc * cp[j] * fg * (1 - fg)
				a[2*H+i] = dc * ig * (1 - gg*gg)
				a[3*H+i] = dm * tci * og * (1 - og)
				l.dc[j] = dc * fg
			}
		}
		copy(du, da)
		gemm(false, false, bs, p, gh, 1, du, gh, whh, p, 0, l.dh, p)
	}
	tb := steps * bs
	// Weight gradients of all steps at once.
	gemm(true, false, gh, in, tb, 1, l.da, gh, l.x, in, 1, grad[gi], in)
	gemm(true, false, gh, p, tb, 1, l.du, gh, l.hs[:tb*p], p, 1, grad[gi+1], p)
	sumRows(grad[gi+2], l.da, gh)
	sumRows(grad[gi+3], l.du, gh)
	if whr != nil {
		// h_t = W_hr m_t: dW_hr = Σ_t dh_tᵀ m_t.
		gemm(true, false, p, H, tb, 1, l.dhAll, p, l.m, H, 1, grad[gi+4], H)
	}
}
