package task

import (
	"fmt"
	"math"
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
// ClassifyEach).
type Meter struct {
	spec    Spec
	r2      []r2acc // Regression, per output
	n, ok   int     // classification: scored labels, correct ones
	bits    ksum    // classification: Σ −log₂ p(label)
	sse, ne float64 // Regression: Σ squared error, number of values
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
		for k := m.spec.Burn * B; k < rows; k++ {
			for j := 0; j < O; j++ {
				p, y := float64(out[k*O+j]), float64(b.Y[k*O+j])
				m.r2[j].add(p, y)
				m.sse += (p - y) * (p - y)
				m.ne++
			}
		}
	case ClassifyLast, ClassifyEach:
		from := 0
		if b.Kind == ClassifyEach {
			from = m.spec.Burn * B
		}
		for k := from; k < rows; k++ {
			s, l := out[k*O:(k+1)*O], b.Labels[k]
			if argmax(s) == int(l) {
				m.ok++
			}
			m.bits.add(nllBits(s, l))
			m.n++
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
