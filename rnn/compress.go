package rnn

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/lowrank-rnn/lowrank/kernels"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// Method is how a recurrent matrix is truncated.
type Method string

const (
	// SVD keeps the r largest singular values of U: the best rank-r
	// approximation in Frobenius norm, blind to the data.
	SVD Method = "svd"
	// Whitened is data-aware truncation (SVD-LLM, arXiv:2403.07378): with
	// the second moment C = E[x xᵀ] = S·Sᵀ of U's inputs x (h_{t−1}, or
	// f ⊙ h_{t−1} for U_h) on calibration data, truncate U·S and map back,
	// U' = (U·S)_r·S⁻¹. Then E‖(U − U')x‖² is the sum of the discarded
	// squared singular values of U·S: the smallest possible for that data.
	Whitened Method = "whitened"
)

// ParseMethod parses a method's name.
func ParseMethod(s string) (Method, error) {
	switch m := Method(strings.TrimSpace(s)); m {
	case SVD, Whitened:
		return m, nil
	}
	return "", fmt.Errorf("unknown method %q (want %s or %s)", s, SVD, Whitened)
}

// ParseMethods parses a comma-separated list of methods' names; a method
// named twice is swept once.
func ParseMethods(s string) ([]Method, error) {
	var ms []Method
	for name := range strings.SplitSeq(s, ",") {
		m, err := ParseMethod(name)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ms, m) {
			ms = append(ms, m)
		}
	}
	return ms, nil
}

// CompressSpec says how to compress a model's recurrent matrices. There is
// no fine-tuning: everything else stays as trained.
type CompressSpec struct {
	// Ranks per gate, each in [1, n] (RNN: Ranks[0]; MGRU: U_f, U_h;
	// joint: Ranks[0]), unless Energy chooses them.
	Ranks [2]int
	// Energy, if not 0, chooses every rank instead, and Ranks must be
	// zero: the smallest rank whose singular values hold this fraction, in
	// (0, 1], of the (whitened) Frobenius energy Σσ².
	Energy float64
	// Joint truncates the MGRU's [U_f; U_h] (2n×n) as one matrix, so that
	// both share the right factor V: r·3n weights instead of r·4n.
	Joint bool
	// Method is SVD (default) or Whitened.
	Method Method
	// Calibration holds the input moments for Whitened (see Calibrate).
	Calibration *Calibration
	// Precision of the recurrent weights after truncation: F32 (the
	// default, ""), BF16 or Int8. A rank of Full keeps that gate's matrix
	// dense, so Ranks {Full, Full} with Int8 quantizes without truncating.
	Precision Precision

	// factors, if not nil, keeps the decompositions for the next call
	// (see factorCache).
	factors *factorCache
}

// Compressed is a model whose recurrent matrices are low-rank.
type Compressed struct {
	// Model is a copy of the original with each U[g] replaced by its
	// low-rank reconstruction, for evaluation with the training code.
	*Model
	// Factors[g] is U[g] ≈ Factors[g].U · Factors[g].V. With Joint, the two
	// gates' V share one backing array.
	Factors [2]kernels.LowRank
	Spec    CompressSpec
	Ranks   [2]int
	// Sigma[g] are the singular values of U[g] (SVD) or U[g]·S (Whitened);
	// of [U_f; U_h] (times S) in Sigma[0] for Joint.
	Sigma [2][]float64
	// Layers are a GRU's or LSTM's compressed layers (see
	// compress_gated.go); Factors and Sigma are unused then, and Ranks[0]
	// is the first layer's first rank.
	Layers []CompressedLayer
	// ops are the recurrent products as the kernels run them, in the
	// precision of Spec (see pack).
	ops [2]kernels.Operator
}

// Calibration holds the second moments of the recurrent matrices' inputs
// over calibration sequences: C[0] = E[h_{t−1} h_{t−1}ᵀ] (the input of U,
// U_f), C[1] = E[(f_t ⊙ h_{t−1})(f_t ⊙ h_{t−1})ᵀ] (the input of U_h).
type Calibration struct {
	C [2]*mat.SymDense
	// Layers are, for a GRU or LSTM, each layer's E[h_{t−1} h_{t−1}ᵀ] (P×P),
	// the input of its weight_hh.
	Layers []*mat.SymDense
	N      int // state vectors averaged
}

// Calibrate runs m over the batches (on the kernels) and accumulates the
// moments. States from step 1 on are used (h_0 = 0 carries nothing).
func Calibrate(m *Model, batches []*task.Batch) (*Calibration, error) {
	if m.Cell.Gated() {
		return calibrateGated(m, batches)
	}
	n := m.Hidden
	cal := &Calibration{}
	acc := [2]*mat.SymDense{mat.NewSymDense(n, nil), mat.NewSymDense(n, nil)}
	var rows [2][]float64
	var count [2]int
	e := engineOf(m)
	add := func(g int, x kernels.Matrix) {
		for i := 0; i < x.Rows; i++ {
			for _, v := range x.Row(i) {
				rows[g] = append(rows[g], float64(v))
			}
		}
		count[g] += x.Rows
	}
	flush := func() {
		for g := range 2 {
			if k := len(rows[g]) / n; k > 0 {
				var s mat.SymDense
				s.SymOuterK(1, mat.NewDense(k, n, rows[g]).T()) // Σ x xᵀ
				acc[g].AddSym(acc[g], &s)
				rows[g] = rows[g][:0]
			}
		}
	}
	for _, b := range batches {
		if b.In != m.In || b.Kind != task.Kind(m.Objective) {
			return nil, fmt.Errorf("rnn: calibrate: a %s batch of %d inputs for a %s model of %d", b.Kind, b.In, m.Objective, m.In)
		}
		e.onStep = func(t int, h, fh kernels.Matrix) {
			if t+1 < b.T { // h_{t+1} is the input of step t+2
				add(0, h)
			}
			if m.Cell == MGRU && t >= 1 { // f_t ⊙ h_{t−1}, t ≥ 1
				add(1, fh)
			}
			if len(rows[0]) > 1<<20 {
				flush()
			}
		}
		e.run(b)
		flush()
	}
	cal.N = count[0]
	if cal.N == 0 {
		return nil, errors.New("rnn: calibrate: no states (need sequences of at least 2 steps)")
	}
	for g := 0; g < m.Cell.gates(); g++ {
		acc[g].ScaleSym(1/float64(count[g]), acc[g])
		cal.C[g] = acc[g]
	}
	return cal, nil
}

// Compress returns a compressed copy of m; m is not modified.
func Compress(m *Model, spec CompressSpec) (*Compressed, error) {
	if spec.Precision == "" {
		spec.Precision = F32
	}
	truncates := spec.Energy != 0
	for g := 0; g < max(m.Cell.gates(), 1); g++ { // a GRU's or LSTM's one rank is Ranks[0]
		truncates = truncates || spec.Ranks[g] != int(Full)
	}
	if spec.Method == "" && truncates {
		spec.Method = SVD
	}
	if err := m.Config.validate(); err != nil {
		return nil, err
	}
	if err := checkFinite(m); err != nil {
		return nil, err
	}
	switch {
	case !spec.Precision.valid():
		return nil, fmt.Errorf("rnn: compress: unknown precision %q (want %s, %s or %s)", spec.Precision, F32, BF16, Int8)
	case !truncates && spec.Precision == F32:
		return nil, errors.New("rnn: compress: every matrix full rank in f32: nothing to compress; give a rank, an energy fraction or a precision")
	case !truncates && spec.Method != "":
		return nil, fmt.Errorf("rnn: compress: method %s with every matrix full rank: nothing is truncated", spec.Method)
	case truncates && spec.Method != SVD && spec.Method != Whitened:
		return nil, fmt.Errorf("rnn: compress: unknown method %q (want %q or %q)", spec.Method, SVD, Whitened)
	case spec.Method == Whitened && spec.Calibration == nil:
		return nil, errors.New("rnn: compress: the whitened method needs a Calibration (see Calibrate)")
	case m.Cell.Gated() && spec.Precision != F32:
		return nil, fmt.Errorf("rnn: compress: %s weights are for the RNN and the MGRU; the %s step runs in %s only", spec.Precision, m.Cell, F32)
	case spec.Joint && m.Cell != MGRU && !m.Cell.Gated():
		return nil, errors.New("rnn: compress: joint truncation is for the MGRU's [U_f; U_h] and the GRU's and LSTM's stacked gates")
	case spec.Energy != 0 && !(spec.Energy > 0 && spec.Energy <= 1):
		return nil, fmt.Errorf("rnn: compress: energy fraction %v outside (0, 1]", spec.Energy)
	}
	n := m.Hidden
	gates := m.Cell.gates()
	if spec.Joint {
		gates = 1 // Ranks[0] is the rank of [U_f; U_h]
	}
	for g := 0; g < gates; g++ {
		name := m.shapes()[3*g+1].name
		switch r := spec.Ranks[g]; {
		case spec.Energy != 0 && r != 0:
			return nil, fmt.Errorf("rnn: compress: rank %d of %s and an energy fraction: give one or the other", r, name)
		case r == int(Full) && spec.Joint:
			return nil, errors.New("rnn: compress: a joint truncation has one rank, not full")
		case r == int(Full):
		case spec.Energy == 0 && (r < 1 || r > n):
			return nil, fmt.Errorf("rnn: compress: rank %d of %s outside [1, %d] (or choose the ranks by an energy fraction)", r, name, n)
		}
	}
	c := &Compressed{Model: m.Clone(), Spec: spec}
	defer func() { c.Spec.factors = nil }() // the cache is the caller's, not the result's
	if m.Cell.Gated() {
		if err := c.compressGated(m); err != nil {
			return nil, err
		}
		return c, nil
	}
	if spec.Joint {
		if err := c.truncateJoint(m); err != nil {
			return nil, err
		}
	} else {
		for g := 0; g < m.Cell.gates(); g++ {
			if spec.Ranks[g] == int(Full) {
				c.Ranks[g] = int(Full) // kept dense
				continue
			}
			if err := c.truncate(m, g); err != nil {
				return nil, err
			}
		}
	}
	if err := c.checkFactors(m); err != nil {
		return nil, err
	}
	if err := c.pack(); err != nil {
		return nil, err
	}
	return c, nil
}

// whitening returns S, the lower Cholesky factor of the calibration moment
// C + δI of an n×n input (δ: jitter grown until the factorisation
// succeeds, as SVD-LLM does for rank-deficient moments). C is not
// modified.
func whitening(cm *mat.SymDense, n int) (*mat.TriDense, error) {
	if cm == nil || cm.SymmetricDim() != n {
		return nil, fmt.Errorf("rnn: compress: the calibration has no %d×%d moment for this input", n, n)
	}
	scale := mat.Trace(cm) / float64(n)
	if !(scale > 0) {
		scale = 1
	}
	for jitter := 1e-8 * scale; jitter < scale; jitter *= 10 {
		reg := mat.NewSymDense(n, nil)
		reg.CopySym(cm)
		for i := 0; i < n; i++ {
			reg.SetSym(i, i, reg.At(i, i)+jitter)
		}
		var ch mat.Cholesky
		if ch.Factorize(reg) {
			var l mat.TriDense
			ch.LTo(&l)
			return &l, nil
		}
	}
	return nil, errors.New("rnn: compress: calibration moment is not positive definite even with jitter")
}

// A factorization is the thin SVD of a recurrent matrix u (rows×n), or of
// u·S whitened by the lower-triangular S: P·diag(σ)·Qᵀ. Truncating it to
// any rank needs no new decomposition.
type factorization struct {
	s     *mat.TriDense // nil: not whitened
	sigma []float64
	p, q  mat.Dense
}

// factorize returns the thin SVD of u, whitened by s when s is not nil.
func factorize(u *mat.Dense, s *mat.TriDense) (*factorization, error) {
	target := u
	if s != nil {
		var us mat.Dense
		us.Mul(u, s)
		target = &us
	}
	var svd mat.SVD
	if !svd.Factorize(target, mat.SVDThin) {
		return nil, errors.New("rnn: compress: SVD did not converge")
	}
	f := &factorization{s: s, sigma: svd.Values(nil)}
	svd.UTo(&f.p)
	svd.VTo(&f.q)
	return f, nil
}

// truncate returns the factors of rank, or when energy is not 0, of the
// smallest rank that keeps that fraction of Σσ²: A (rows×r, singular values
// folded in), B (r×n), a copy of the singular values, and r.
func (f *factorization) truncate(rank int, energy float64) (a, b *mat.Dense, sigma []float64, r int, err error) {
	sigma = append([]float64(nil), f.sigma...)
	if energy != 0 {
		rank = energyRank(sigma, energy)
	}
	rank = min(rank, len(sigma))
	rows, _ := f.p.Dims()
	n, _ := f.q.Dims()
	a = mat.NewDense(rows, rank, nil) // rank ≥ 1: validated, or energyRank's
	b = mat.NewDense(rank, n, nil)
	for i := 0; i < rows; i++ {
		for k := 0; k < rank; k++ {
			a.Set(i, k, f.p.At(i, k)*sigma[k])
		}
	}
	qr := f.q.Slice(0, n, 0, rank) // n×r
	if f.s == nil {
		b.Copy(qr.T())
		return a, b, sigma, rank, nil
	}
	// B = Q_rᵀ·S⁻¹, i.e. Sᵀ·Bᵀ = Q_r: a triangular solve.
	var bt mat.Dense
	if err := bt.Solve(f.s.T(), qr); err != nil {
		return nil, nil, nil, 0, fmt.Errorf("rnn: compress: whitening solve: %w", err)
	}
	b.Copy(bt.T())
	return a, b, sigma, rank, nil
}

// A factorCache keeps the factorizations Compress computes, for a caller
// that compresses one model many times (a sweep: every rank, in every
// precision, of the same matrices): the key names the matrix (layer,
// gate or block, joint), the method and the calibration. It is safe for
// concurrent use.
type factorCache struct {
	mu sync.Mutex
	m  map[factorKey]*factorization
}

type factorKey struct {
	model       *Model
	layer, gate int
	joint       bool
	method      Method
	cal         *Calibration
}

// get returns the factorization of key, computing it with compute on
// first use; a nil cache computes every time.
func (fc *factorCache) get(key factorKey, compute func() (*factorization, error)) (*factorization, error) {
	if fc == nil {
		return compute()
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if f, ok := fc.m[key]; ok {
		return f, nil
	}
	f, err := compute()
	if err != nil {
		return nil, err
	}
	if fc.m == nil {
		fc.m = map[factorKey]*factorization{}
	}
	fc.m[key] = f
	return f, nil
}

// energyRank is the smallest r with Σ_{i<r} σ_i² ≥ frac·Σσ².
func energyRank(sigma []float64, frac float64) int {
	var total float64
	for _, v := range sigma {
		total += v * v
	}
	var acc float64
	for r, v := range sigma {
		acc += v * v
		if acc >= frac*total*(1-1e-12) {
			return r + 1
		}
	}
	return len(sigma)
}

func (c *Compressed) truncate(m *Model, g int) error {
	key := factorKey{model: m, gate: g, method: c.Spec.Method, cal: c.Spec.Calibration}
	f, err := c.Spec.factors.get(key, func() (*factorization, error) {
		var s *mat.TriDense
		if c.Spec.Method == Whitened {
			var err error
			if s, err = whitening(c.Spec.Calibration.C[g], m.Hidden); err != nil {
				return nil, err
			}
		}
		return factorize(toDense(m.U[g]), s)
	})
	if err != nil {
		return err
	}
	a, b, sigma, r, err := f.truncate(c.Spec.Ranks[g], c.Spec.Energy)
	if err != nil {
		return err
	}
	c.Sigma[g], c.Ranks[g] = sigma, r
	c.Factors[g] = kernels.LowRank{U: toMatrix(a, r, true), V: toMatrix(b, r, false)}
	c.U[g] = reconstruct(c.Factors[g], m.Hidden)
	return nil
}

// truncateJoint truncates [U_f; U_h] as one 2n×n matrix. Whitened uses the
// average of the two inputs' moments, since the two blocks see different
// inputs (h and f ⊙ h) but must share one right factor. The average is a
// moment of its own: the caller's Calibration, which sweeps share, is
// only read.
func (c *Compressed) truncateJoint(m *Model) error {
	n := m.Hidden
	key := factorKey{model: m, joint: true, method: c.Spec.Method, cal: c.Spec.Calibration}
	f, err := c.Spec.factors.get(key, func() (*factorization, error) {
		stack := mat.NewDense(2*n, n, nil)
		stack.Slice(0, n, 0, n).(*mat.Dense).Copy(toDense(m.U[0]))
		stack.Slice(n, 2*n, 0, n).(*mat.Dense).Copy(toDense(m.U[1]))
		var s *mat.TriDense
		if c.Spec.Method == Whitened {
			cal := c.Spec.Calibration
			if cal.C[0] == nil || cal.C[1] == nil {
				return nil, errors.New("rnn: compress: joint whitening needs both moments of the MGRU calibration")
			}
			avg := mat.NewSymDense(n, nil)
			avg.AddSym(cal.C[0], cal.C[1])
			avg.ScaleSym(0.5, avg)
			var err error
			if s, err = whitening(avg, n); err != nil {
				return nil, err
			}
		}
		return factorize(stack, s)
	})
	if err != nil {
		return err
	}
	a, b, sigma, r, err := f.truncate(c.Spec.Ranks[0], c.Spec.Energy)
	if err != nil {
		return err
	}
	c.Sigma[0], c.Ranks = sigma, [2]int{r, r}
	v := toMatrix(b, r, false)
	af, ah := a.Slice(0, n, 0, r).(*mat.Dense), a.Slice(n, 2*n, 0, r).(*mat.Dense)
	c.Factors[0] = kernels.LowRank{U: toMatrix(af, r, true), V: v}
	c.Factors[1] = kernels.LowRank{U: toMatrix(ah, r, true), V: v}
	for g := range 2 {
		c.U[g] = reconstruct(c.Factors[g], n)
	}
	return nil
}

func toDense(a kernels.Matrix) *mat.Dense {
	d := mat.NewDense(a.Rows, a.Cols, nil)
	for i := 0; i < a.Rows; i++ {
		for j, v := range a.Row(i) {
			d.Set(i, j, float64(v))
		}
	}
	return d
}

// toMatrix converts the first r columns (left factor) or rows (right
// factor) of d to float32.
func toMatrix(d *mat.Dense, r int, left bool) kernels.Matrix {
	rows, cols := d.Dims()
	if left {
		cols = r
	} else {
		rows = r
	}
	a := kernels.NewMatrix(rows, cols)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			a.Set(i, j, float32(d.At(i, j)))
		}
	}
	return a
}

// reconstruct returns U·V as a dense n×n matrix, accumulated in float64.
func reconstruct(f kernels.LowRank, n int) kernels.Matrix {
	u := kernels.NewMatrix(n, n)
	reconstructInto(u, 0, f)
	return u
}

// reconstructInto sets the rows of w from r0 on to f.U·f.V: each element
// the sum, in float64 and in the order of k, of its r products, rounded
// once to float32. Row by row, so that V is read along its rows.
func reconstructInto(w kernels.Matrix, r0 int, f kernels.LowRank) {
	s := make([]float64, f.V.Cols)
	for i := 0; i < f.U.Rows; i++ {
		clear(s)
		for k, u := range f.U.Row(i) {
			uk := float64(u)
			for j, v := range f.V.Row(k) {
				s[j] += uk * float64(v)
			}
		}
		row := w.Row(r0 + i)
		for j, v := range s {
			row[j] = float32(v)
		}
	}
}

// NewStream returns a stream that runs the compressed model as deployed:
// on the low-rank kernels (each step costs r·2n multiply-adds per truncated
// recurrent matrix instead of n²), and with int8 or bf16 weights on the
// quantized kernels.
func (c *Compressed) NewStream() *Stream {
	if c.Cell.Gated() {
		return newGatedModelStream(c.Model, c.gatedOperators())
	}
	return newStream(c.Model, c.operators())
}

// RecurrentParams returns the weights of the recurrent matrices: n² per
// dense matrix, r·2n per factorisation, r·3n for the joint MGRU pair.
func (c *Compressed) RecurrentParams() int {
	if c.Cell.Gated() {
		return c.gatedRecurrentParams()
	}
	n := c.Hidden
	if c.Spec.Joint {
		return c.Ranks[0] * 3 * n
	}
	p := 0
	for g := 0; g < c.Cell.gates(); g++ {
		if c.Ranks[g] == int(Full) {
			p += n * n
			continue
		}
		p += c.Ranks[g] * 2 * n
	}
	return p
}
