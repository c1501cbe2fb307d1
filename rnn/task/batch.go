package task

import (
	"fmt"
	"math/rand/v2"
)

// Kind says what a task's targets are and how a model is scored on them.
// The values equal the names of the objectives in package rnn, so
// rnn.Objective(spec.Kind) converts one to the other.
type Kind string

const (
	// Regression: real targets at every step (Batch.Y, T×B×Out), squared
	// error; the first Spec.Burn steps carry no target and are not scored.
	Regression Kind = "regression"
	// ClassifyLast: one class label per sequence (Batch.Labels, B of them),
	// predicted from the state after the last step.
	ClassifyLast Kind = "classify-last"
	// ClassifyEach: one class label per step (Batch.Labels, T×B, time-major),
	// here the next symbol of a text.
	ClassifyEach Kind = "classify-each"
)

// Spec is the shape of a task: what a model for it needs to know.
type Spec struct {
	Name string // e.g. "recall(rho=0.9,K=20)", "seqmnist", "seqmnist-perm", "text-opticks"
	Kind Kind
	In   int // input features per step
	Out  int // outputs per scored step: K delays, or the number of classes
	T    int // steps per sequence (training batches; a last evaluation batch may be shorter)
	Burn int // leading steps without a target (Regression, ClassifyEach)
	// Coherence places the task among its variants of more or less
	// temporal coherence, for results that compare them.
	Coherence Coherence
}

// Coherence places a task among the variants of one family that differ in
// the temporal coherence of their data.
type Coherence struct {
	Family string  // the variants' common task: "recall", "seqmnist", "text"
	Level  string  // this variant in words: "ρ = 0.9", "pixels permuted", "digits of π"
	Order  float64 // orders a family's variants, more coherent higher: recall's ρ; 1 or 0 for the others
}

// Batch is B sequences of T steps, time-major, as flat float32 slices.
// Exactly one of Y (Regression) and Labels (classification) is set.
type Batch struct {
	Kind Kind
	T, B int
	In   int
	Out  int
	Burn int       // Regression: steps t < Burn have Y = 0 and are not scored
	X    []float32 // T×B×In: X[(t*B+b)*In+i] is feature i of sequence b at step t
	Y    []float32 // Regression: T×B×Out, same layout as X
	// Labels: ClassifyLast: B labels in [0, Out); ClassifyEach: T×B labels,
	// Labels[t*B+b] the target of sequence b at step t.
	Labels []int32
	// Tokens (text only): T×B input symbol ids; X is their one-hot encoding,
	// so a trainer may gather columns of its input matrix instead.
	Tokens []int32
}

// Step returns the B×In block of inputs at step t.
func (b *Batch) Step(t int) []float32 {
	n := b.B * b.In
	return b.X[t*n : (t+1)*n]
}

// Check reports whether the slices have the lengths the shape says.
func (b *Batch) Check() error {
	if b.In < 1 || b.Out < 1 {
		return fmt.Errorf("task: batch shape T=%d B=%d In=%d Out=%d", b.T, b.B, b.In, b.Out)
	}
	return CheckLayout(b.Kind, b.T, b.B, b.In, b.Out, len(b.X), len(b.Y), b.Labels)
}

// CheckLayout reports whether a batch of kind k, T steps of B sequences of
// in features with out outputs (or classes), can hold nX inputs, nY
// targets and labels: X is T·B·In, Y T·B·Out (Regression), Labels B
// (ClassifyLast) or T·B (ClassifyEach), each in [0, out). It is the check
// of every batch layout, Batch's and the trainer's (package rnn).
func CheckLayout(k Kind, T, B, in, out, nX, nY int, labels []int32) error {
	if T < 1 || B < 1 {
		return fmt.Errorf("task: batch of %d sequences of %d steps", B, T)
	}
	if nX != T*B*in {
		return fmt.Errorf("task: batch X has %d values, want T·B·In = %d", nX, T*B*in)
	}
	switch k {
	case Regression:
		if nY != T*B*out {
			return fmt.Errorf("task: batch Y has %d values, want T·B·Out = %d", nY, T*B*out)
		}
	case ClassifyLast, ClassifyEach:
		want := B
		if k == ClassifyEach {
			want = T * B
		}
		if len(labels) != want {
			return fmt.Errorf("task: batch has %d labels, want %d", len(labels), want)
		}
		for _, l := range labels {
			if l < 0 || int(l) >= out {
				return fmt.Errorf("task: label %d outside [0, %d)", l, out)
			}
		}
	default:
		return fmt.Errorf("task: unknown kind %q", k)
	}
	return nil
}

// Dataset is what a trainer consumes: a shape, training minibatches and a
// fixed held-out set.
type Dataset interface {
	Spec() Spec
	// Sample draws a training minibatch of B sequences using rng.
	Sample(rng *rand.Rand, B int) *Batch
	// Eval returns the whole held-out set in batches of at most B sequences,
	// the same batches on every call.
	Eval(B int) []*Batch
}

// NewRand returns the generator this package uses for a seed: PCG-DXSM
// (math/rand/v2) seeded with (seed, a fixed constant).
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x6c6f7772616e6b)) // "lowrank"
}

// mix is SplitMix64's finaliser: distinct, well-spread seeds from counters.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
