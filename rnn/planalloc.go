package rnn

import (
	"math"
	"sort"
)

// config is one way to keep a model's recurrent matrices: a rank per gate
// (RNN: ranks[0]), for the MGRU one rank of the joint [U_f; U_h]
// (ranks[0] = ranks[1]), or dense, as trained.
type config struct {
	dense bool
	joint bool
	ranks [2]int
}

// params returns the recurrent weights of c for cell and n.
func (c config) params(cell Cell, n int) int {
	switch {
	case c.dense:
		return cell.gates() * n * n
	case c.joint:
		return 3 * n * c.ranks[0]
	}
	p := 0
	for g := 0; g < cell.gates(); g++ {
		p += 2 * n * c.ranks[g]
	}
	return p
}

// mulAdds returns the recurrent multiply-adds of a step of c: the joint
// pair shares V but applies it to h and to f ⊙ h, so it saves weights,
// not arithmetic.
func (c config) mulAdds(cell Cell, n int) int {
	if c.joint && !c.dense {
		return 4 * n * c.ranks[0]
	}
	return c.params(cell, n)
}

// firstOrder is the first-order damage of every truncation: the Gram
// matrix of the blocks' responses, summed over the scored steps, and the
// measure's reference sum. The damage of a configuration, in energy
// units (relative error², or loss), is vᵀ G v / ref with v the blocks'
// weights (0 kept, 1 discarded, √w the block a rank falls in).
type firstOrder struct {
	ts     []*truncation
	off    []int
	k      int
	gram   []float64
	ref    float64
	scored int
	// suf[a][b] holds the suffix sums S[i][j] = Σ_{i' ≥ i, j' ≥ j} G_ab[i'][j']
	// of the blocks of truncations a and b, (K_a+1)×(K_b+1), so that a
	// configuration's damage costs O(1).
	suf [][][]float64
}

func newFirstOrder(ts []*truncation, off []int, k int, gram []float64, ref float64, scored int) *firstOrder {
	fo := &firstOrder{ts: ts, off: off, k: k, gram: gram, ref: ref, scored: scored}
	fo.suf = make([][][]float64, len(ts))
	for a := range ts {
		fo.suf[a] = make([][]float64, len(ts))
		for b := range ts {
			if ts[a].joint != ts[b].joint {
				continue // never discarded together
			}
			ka, kb := ts[a].blocks(), ts[b].blocks()
			s := make([]float64, (ka+1)*(kb+1))
			for i := ka - 1; i >= 0; i-- {
				for j := kb - 1; j >= 0; j-- {
					s[i*(kb+1)+j] = fo.g(a, b, i, j) + s[(i+1)*(kb+1)+j] + s[i*(kb+1)+j+1] - s[(i+1)*(kb+1)+j+1]
				}
			}
			fo.suf[a][b] = s
		}
	}
	return fo
}

// g returns the Gram entry of block i of truncation a and block j of b.
func (fo *firstOrder) g(a, b, i, j int) float64 {
	return fo.gram[(fo.off[a]+i)*fo.k+fo.off[b]+j]
}

// quad returns v_aᵀ G_ab v_b for truncation a at rank ra and b at rb.
func (fo *firstOrder) quad(a, b, ra, rb int) float64 {
	ja, wa := fo.ts[a].position(ra)
	jb, wb := fo.ts[b].position(rb)
	ka, kb := fo.ts[a].blocks(), fo.ts[b].blocks()
	if ja == ka || jb == kb {
		return 0
	}
	s := fo.suf[a][b]
	at := func(i, j int) float64 { return s[i*(kb+1)+j] }
	tail := at(ja+1, jb+1)
	return tail + wa*(at(ja, jb+1)-tail) + wb*(at(ja+1, jb)-tail) + wa*wb*fo.g(a, b, ja, jb)
}

// energy returns the first-order damage of c in energy units (0 for an
// empty reference: nothing scored can be damaged).
func (fo *firstOrder) energy(c config) float64 {
	if !(fo.ref > 0) {
		return 0
	}
	var e float64
	if c.joint {
		j := len(fo.ts) - 1
		e = fo.quad(j, j, c.ranks[0], c.ranks[0])
	} else {
		for a, t := range fo.ts {
			if t.joint {
				continue
			}
			for b, u := range fo.ts {
				if !u.joint {
					e += fo.quad(a, b, c.ranks[t.gate], c.ranks[u.gate])
				}
			}
		}
	}
	return max(e, 0) / fo.ref
}

// configs calls f for every configuration of a family whose cost is below
// the dense model's: for the RNN and the MGRU's separate family (joint
// false) every rank, or pair of ranks, from 1; for the joint family every
// rank of [U_f; U_h].
func configs(cell Cell, n int, joint bool, cost func(config) float64, f func(config)) {
	dense := cost(config{dense: true})
	switch {
	case joint:
		for r := 1; r < n; r++ {
			c := config{joint: true, ranks: [2]int{r, r}}
			if cost(c) >= dense {
				break
			}
			f(c)
		}
	case cell == RNN:
		for r := 1; r < n; r++ {
			if c := (config{ranks: [2]int{r, 0}}); cost(c) < dense {
				f(c)
			}
		}
	default:
		for r0 := 1; r0 < n; r0++ {
			for r1 := 1; r1 < n; r1++ {
				c := config{ranks: [2]int{r0, r1}}
				if cost(c) >= dense {
					break // the cost grows with r1
				}
				f(c)
			}
		}
	}
}

// frontierPoint is a configuration, its cost and first-order damage.
type frontierPoint struct {
	c      config
	cost   float64
	energy float64
}

// frontier returns the configurations of a family that no cheaper one of
// the family beats in first-order damage, cheapest first.
func frontier(cell Cell, n int, joint bool, fo *firstOrder, cost func(config) float64) []frontierPoint {
	var all []frontierPoint
	configs(cell, n, joint, cost, func(c config) {
		all = append(all, frontierPoint{c, cost(c), fo.energy(c)})
	})
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].cost != all[j].cost {
			return all[i].cost < all[j].cost
		}
		return all[i].energy < all[j].energy
	})
	var out []frontierPoint
	for _, p := range all {
		if len(out) == 0 || p.energy < out[len(out)-1].energy {
			out = append(out, p)
		}
	}
	return out
}

// spread returns up to k points of a frontier spaced evenly along it in
// the plane of log cost and log damage, each axis scaled to its range, so
// that the points follow the cost where the damage changes slowly and the
// damage where it changes fast. Only the stretch between maxEnergy (beyond
// it a truncation ruins the model) and minEnergy (below it no target
// looks, and the truncations are the largest, so the dearest to run) is
// spread over, with the nearest point beyond each end.
func spread(front []frontierPoint, k int, minEnergy, maxEnergy float64) []frontierPoint {
	// The damage decreases along the frontier.
	lo, hi := 0, len(front)-1
	for lo < hi && front[lo+1].energy > maxEnergy {
		lo++
	}
	for hi > lo && (!(front[hi].energy > 0) || front[hi-1].energy < minEnergy) {
		hi--
	}
	front = front[lo : hi+1]
	if len(front) <= k {
		return front
	}
	if k < 1 {
		return nil
	}
	last := len(front) - 1
	lc := math.Log(front[last].cost / front[0].cost)
	le := math.Log(front[0].energy / front[last].energy)
	arc := make([]float64, len(front))
	for i := 1; i < len(front); i++ {
		dc := math.Log(front[i].cost/front[i-1].cost) / lc
		de := math.Log(front[i-1].energy/front[i].energy) / le
		arc[i] = arc[i-1] + math.Hypot(dc, de)
	}
	var out []frontierPoint
	prev := -1
	for i := 0; i < k; i++ {
		want := arc[last] / 2 // one point: the middle
		if k > 1 {
			want = arc[last] * float64(i) / float64(k-1)
		}
		j := sort.SearchFloat64s(arc, want*(1-1e-12))
		if j > prev {
			out = append(out, front[j])
			prev = j
		}
	}
	return out
}

// correction maps the first-order damage to the damage the checks
// measured, running the truncated models beside the dense one: a
// non-decreasing fit (pool-adjacent-violators) of the measured values
// against the first-order ones, linear between checks and proportional
// beyond them. Without checks it is the identity.
type correction struct {
	x, y []float64 // first order, fitted measured; x increasing
}

func newCorrection(first, measured []float64) correction {
	type pt struct{ x, y, w float64 }
	var ps []pt
	for i, x := range first {
		// A check that measured nothing is below what its frames can
		// resolve (no decision flipped): it bounds nothing, and leaving it
		// out extrapolates the ratio of the smallest damage measured.
		if x > 0 && measured[i] > 0 {
			ps = append(ps, pt{x, measured[i], 1})
		}
	}
	sort.Slice(ps, func(a, b int) bool { return ps[a].x < ps[b].x })
	// Pool adjacent violators: merge neighbours until the y are
	// non-decreasing; a merged block keeps the mean x and y of its members.
	var st []pt
	for _, p := range ps {
		st = append(st, p)
		for len(st) > 1 && st[len(st)-2].y > st[len(st)-1].y {
			a, b := st[len(st)-2], st[len(st)-1]
			w := a.w + b.w
			st = append(st[:len(st)-2], pt{(a.x*a.w + b.x*b.w) / w, (a.y*a.w + b.y*b.w) / w, w})
		}
	}
	var c correction
	for _, p := range st {
		c.x = append(c.x, p.x)
		c.y = append(c.y, p.y)
	}
	return c
}

// at returns the corrected damage for a first-order damage e: log-linear
// between the fitted checks (damage grows as a power of the perturbation),
// proportional beyond them.
func (c correction) at(e float64) float64 {
	k := len(c.x)
	switch {
	case k == 0:
		return e
	case e <= c.x[0]:
		return c.y[0] * e / c.x[0]
	case e >= c.x[k-1]:
		return c.y[k-1] * e / c.x[k-1]
	}
	j := sort.SearchFloat64s(c.x, e) // c.x[j-1] < e ≤ c.x[j]
	t := math.Log(e/c.x[j-1]) / math.Log(c.x[j]/c.x[j-1])
	return c.y[j-1] * math.Pow(c.y[j]/c.y[j-1], t)
}
