package task

import (
	"fmt"
	"math"
	"slices"
)

// R2 is the coefficient of determination 1 − Σ(p−y)²/Σ(y−ȳ)²: 1 for a
// perfect prediction, 0 for predicting the mean, negative for worse (on
// held-out data). It is 0 when the target has no variance.
func R2(pred, target []float64) float64 {
	if len(pred) != len(target) {
		panic(fmt.Sprintf("task: R2: %d predictions for %d targets", len(pred), len(target)))
	}
	var a r2acc
	for i, y := range target {
		a.add(pred[i], y)
	}
	return a.r2()
}

// r2acc accumulates R² in one pass.
type r2acc struct{ n, sy, syy, sse float64 }

func (a *r2acc) add(p, y float64) {
	a.n++
	a.sy += y
	a.syy += y * y
	a.sse += (p - y) * (p - y)
}

// minus is a's statistics without those of b, a subset of its values.
func (a r2acc) minus(b r2acc) r2acc {
	return r2acc{a.n - b.n, a.sy - b.sy, a.syy - b.syy, a.sse - b.sse}
}

func (a *r2acc) plus(b r2acc) {
	a.n += b.n
	a.sy += b.sy
	a.syy += b.syy
	a.sse += b.sse
}

func (a *r2acc) r2() float64 {
	if a.n == 0 {
		return 0
	}
	sst := a.syy - a.sy*a.sy/a.n
	if !(sst > 0) {
		return 0
	}
	return 1 - a.sse/sst
}

// MemoryCapacity is Σ_k max(R²(k), 0): the memory capacity of a memory
// curve, negative held-out R² counting as no memory.
func MemoryCapacity(r2 []float64) float64 {
	var mc float64
	for _, v := range r2 {
		mc += max(v, 0)
	}
	return mc
}

// R2PerDelay returns R²(k), k = 1..Out, of predictions for a Regression
// batch (pred laid out like b.Y), over steps t ≥ b.Burn: the memory curve.
func R2PerDelay(b *Batch, pred []float32) []float64 {
	m := NewMeter(Spec{Kind: b.Kind, In: b.In, Out: b.Out, T: b.T, Burn: b.Burn})
	m.Add(b, pred)
	return m.R2()
}

// Accuracy is the fraction of rows of scores (len(labels) rows of classes
// values: logits, probabilities or log-probabilities) whose largest entry
// (the first, on ties) is at the label.
func Accuracy(scores []float32, labels []int32, classes int) float64 {
	checkScores("Accuracy", scores, labels, classes)
	if len(labels) == 0 {
		return 0
	}
	var ok int
	for i, l := range labels {
		if argmax(scores[i*classes:(i+1)*classes]) == int(l) {
			ok++
		}
	}
	return float64(ok) / float64(len(labels))
}

// BitsPerChar is the mean cross-entropy −log₂ softmax(s)[label] over the
// rows of scores (len(labels) rows of V logits; log-probabilities work too,
// softmax leaves them unchanged).
func BitsPerChar(scores []float32, labels []int32, V int) float64 {
	checkScores("BitsPerChar", scores, labels, V)
	if len(labels) == 0 {
		return 0
	}
	var s ksum
	for i, l := range labels {
		s.add(nllBits(scores[i*V:(i+1)*V], l))
	}
	return s.value() / float64(len(labels))
}

func checkScores(fn string, scores []float32, labels []int32, classes int) {
	if classes < 1 || len(scores) != len(labels)*classes {
		panic(fmt.Sprintf("task: %s: %d scores for %d labels of %d classes", fn, len(scores), len(labels), classes))
	}
	for _, l := range labels {
		if l < 0 || int(l) >= classes {
			panic(fmt.Sprintf("task: %s: label %d outside [0, %d)", fn, l, classes))
		}
	}
}

func argmax(s []float32) int {
	best := 0
	for i, v := range s {
		if v > s[best] {
			best = i
		}
	}
	return best
}

// nllBits is −log₂ softmax(s)[l], in float64.
func nllBits(s []float32, l int32) float64 {
	mx := float64(s[0])
	for _, v := range s {
		mx = max(mx, float64(v))
	}
	var sum float64
	for _, v := range s {
		sum += math.Exp(float64(v) - mx)
	}
	return (math.Log(sum) + mx - float64(s[l])) / math.Ln2
}

// Meter accumulates a task's metrics over evaluation batches. Add takes the
// model's outputs in the layout of package rnn: Regression T×B×Out
// predictions; ClassifyLast B×Out scores (after the last step);
// ClassifyEach T×B×Out scores. Scored steps are t ≥ Burn (Regression,
// ClassifyEach). It also keeps each sequence's share, in the order the
// sequences were added, for the standard errors.
type Meter struct {
	spec    Spec
	r2      []r2acc   // Regression, per output
	n, ok   int       // classification: scored labels, correct ones
	bits    ksum      // classification: Σ −log₂ p(label)
	sse, ne float64   // Regression: Σ squared error, number of values
	seqBits []seqBits // classification, per sequence
	seqR2   []r2acc   // Regression, Out per sequence
}

// seqBits is one sequence's share of a classification meter.
type seqBits struct {
	bits float64
	n    int
}

// NewMeter returns an empty Meter for a task of shape s.
func NewMeter(s Spec) *Meter {
	m := &Meter{spec: s}
	if s.Kind == Regression {
		m.r2 = make([]r2acc, s.Out)
	}
	return m
}

// Add scores one batch.
func (m *Meter) Add(b *Batch, out []float32) {
	if b.Kind != m.spec.Kind || b.Out != m.spec.Out {
		panic(fmt.Sprintf("task: Meter for %s/%d outputs given a %s batch of %d", m.spec.Kind, m.spec.Out, b.Kind, b.Out))
	}
	O, B := b.Out, b.B
	rows := b.T * B
	if b.Kind == ClassifyLast {
		rows = B
	}
	if len(out) != rows*O {
		panic(fmt.Sprintf("task: Meter.Add: %d outputs, want %d", len(out), rows*O))
	}
	switch b.Kind {
	case Regression:
		first := len(m.seqR2)
		m.seqR2 = slices.Grow(m.seqR2, B*O)[:first+B*O]
		seq := m.seqR2[first:]
		clear(seq)
		for k := m.spec.Burn * B; k < rows; k++ {
			sk := seq[k%B*O : k%B*O+O]
			ok, yk := out[k*O:k*O+O], b.Y[k*O:k*O+O]
			for j := range sk {
				sk[j].add(float64(ok[j]), float64(yk[j]))
			}
		}
		// The whole meter's sums are those of its sequences.
		for i, a := range seq {
			m.r2[i%O].plus(a)
			m.sse += a.sse
			m.ne += a.n
		}
	case ClassifyLast, ClassifyEach:
		from := 0
		if b.Kind == ClassifyEach {
			from = m.spec.Burn * B
		}
		first := len(m.seqBits)
		m.seqBits = slices.Grow(m.seqBits, B)[:first+B]
		seq := m.seqBits[first:]
		clear(seq)
		for k := from; k < rows; k++ {
			s, l := out[k*O:(k+1)*O], b.Labels[k]
			if argmax(s) == int(l) {
				m.ok++
			}
			nll := nllBits(s, l)
			m.bits.add(nll)
			m.n++
			seq[k%B].bits += nll
			seq[k%B].n++
		}
	}
}

// R2 returns R²(k) per output (Regression): the memory curve for recall.
func (m *Meter) R2() []float64 {
	r := make([]float64, len(m.r2))
	for i := range m.r2 {
		r[i] = m.r2[i].r2()
	}
	return r
}

// MemoryCapacity is MemoryCapacity(m.R2()).
func (m *Meter) MemoryCapacity() float64 { return MemoryCapacity(m.R2()) }

// MSE is the mean squared error per target value (Regression).
func (m *Meter) MSE() float64 {
	if m.ne == 0 {
		return 0
	}
	return m.sse / m.ne
}

// Accuracy is the fraction of scored labels predicted (classification).
func (m *Meter) Accuracy() float64 {
	if m.n == 0 {
		return 0
	}
	return float64(m.ok) / float64(m.n)
}

// Bits is the mean cross-entropy in bits per scored label
// (classification): bits per character for text.
func (m *Meter) Bits() float64 {
	if m.n == 0 {
		return 0
	}
	return m.bits.value() / float64(m.n)
}

// SEBlocks is the number of blocks of consecutive sequences the standard
// errors of BitsSE and MemoryCapacitySE are computed over.
const SEBlocks = 20

// AccuracySE is the binomial standard error √(p(1−p)/n) of Accuracy over
// its n scored labels: the sampling error of a test set of independent
// sequences (ClassifyLast: MNIST's test images). The characters of a text
// are not independent; its error is BitsSE's.
func (m *Meter) AccuracySE() float64 {
	if m.n == 0 {
		return math.NaN()
	}
	p := m.Accuracy()
	return math.Sqrt(p * (1 - p) / float64(m.n))
}

// BitsSE is the standard error of Bits (classification), by the
// delete-one-block jackknife over SEBlocks blocks of consecutive sequences
// (Bits being a ratio of sums, the jackknife also weighs blocks of
// unequal length right). Blocks, not single windows, because the windows
// of a text are consecutive stretches of it: neighbours share a topic and
// its words, so their losses are correlated, and a per-window error would
// be too small. A block of a twentieth of the held-out text (about 2,700
// characters of Opticks) spans paragraphs, beyond which that correlation
// is small. It is the error of sampling this held-out text, not of
// training or of the choice of text; NaN with fewer than two sequences.
func (m *Meter) BitsSE() float64 {
	g := min(SEBlocks, len(m.seqBits))
	if g < 2 {
		return math.NaN()
	}
	blocks := make([]seqBits, g)
	for i, s := range m.seqBits {
		b := &blocks[i*g/len(m.seqBits)]
		b.bits += s.bits
		b.n += s.n
	}
	total := m.bits.value()
	return jackknife(g, func(i int) float64 {
		return (total - blocks[i].bits) / float64(m.n-blocks[i].n)
	})
}

// MemoryCapacitySE is the standard error of MemoryCapacity (Regression),
// by the delete-one-block jackknife over SEBlocks blocks of the held-out
// sequences: each left-out block's R²(k) recomputed from the others'
// sums. Recall's sequences are independent draws, so it is the sampling
// error of this test set of sequences, at no extra run of the model; not
// the error of the readout, trained once on other data. NaN with fewer
// than two sequences.
func (m *Meter) MemoryCapacitySE() float64 {
	O := len(m.r2)
	seqs := 0
	if O > 0 {
		seqs = len(m.seqR2) / O
	}
	g := min(SEBlocks, seqs)
	if g < 2 {
		return math.NaN()
	}
	blocks := make([]r2acc, g*O)
	for s := range seqs {
		b := blocks[s*g/seqs*O:]
		for j, a := range m.seqR2[s*O : (s+1)*O] {
			b[j].plus(a)
		}
	}
	return jackknife(g, func(i int) float64 {
		var mc float64
		for j, a := range m.r2 {
			rest := a.minus(blocks[i*O+j])
			mc += max(rest.r2(), 0)
		}
		return mc
	})
}

// jackknife is the delete-one jackknife standard error
// √((g−1)/g · Σ_i (θ_i − θ̄)²) of a statistic whose value without group i
// of g is without(i); NaN where one is not finite.
func jackknife(g int, without func(i int) float64) float64 {
	theta := make([]float64, g)
	var mean float64
	for i := range theta {
		theta[i] = without(i)
		mean += theta[i]
	}
	mean /= float64(g)
	var ss float64
	for _, t := range theta {
		ss += (t - mean) * (t - mean)
	}
	se := math.Sqrt(float64(g-1) / float64(g) * ss)
	if math.IsInf(se, 0) {
		return math.NaN()
	}
	return se
}

// N is the number of scored labels (classification) or scored steps × B
// (Regression).
func (m *Meter) N() int {
	if m.spec.Kind == Regression && len(m.r2) > 0 {
		return int(m.r2[0].n)
	}
	return m.n
}

// String is the task's metric in words: memory capacity and R² at the
// first and last delays (Regression), accuracy (ClassifyLast), bits per
// character and accuracy (ClassifyEach).
func (m *Meter) String() string {
	switch m.spec.Kind {
	case Regression:
		r2 := m.R2()
		if len(r2) == 0 {
			return "no outputs"
		}
		return fmt.Sprintf("memory capacity %.2f (K = %d), R²(1) = %.4f, R²(K) = %.4f",
			m.MemoryCapacity(), len(r2), r2[0], r2[len(r2)-1])
	case ClassifyLast:
		return fmt.Sprintf("test accuracy %.2f%% (%d sequences)", 100*m.Accuracy(), m.N())
	}
	return fmt.Sprintf("held-out %.4f bits per character, accuracy %.2f%%", m.Bits(), 100*m.Accuracy())
}

// ksum is a compensated (Neumaier) sum: long sums of bits stay exact to a
// few ulps.
type ksum struct{ s, c float64 }

func (k *ksum) add(x float64) {
	t := k.s + x
	if math.Abs(k.s) >= math.Abs(x) {
		k.c += (k.s - t) + x
	} else {
		k.c += (x - t) + k.s
	}
	k.s = t
}

func (k *ksum) value() float64 { return k.s + k.c }
