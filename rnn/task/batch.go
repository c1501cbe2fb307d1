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
	if b.T < 1 || b.B < 1 || b.In < 1 || b.Out < 1 {
		return fmt.Errorf("task: batch shape T=%d B=%d In=%d Out=%d", b.T, b.B, b.In, b.Out)
	}
	if len(b.X) != b.T*b.B*b.In {
		return fmt.Errorf("task: batch X has %d values, want T·B·In = %d", len(b.X), b.T*b.B*b.In)
	}
	switch b.Kind {
	case Regression:
		if len(b.Y) != b.T*b.B*b.Out {
			return fmt.Errorf("task: batch Y has %d values, want T·B·Out = %d", len(b.Y), b.T*b.B*b.Out)
		}
	case ClassifyLast, ClassifyEach:
		want := b.B
		if b.Kind == ClassifyEach {
			want = b.T * b.B
		}
		if len(b.Labels) != want {
			return fmt.Errorf("task: batch has %d labels, want %d", len(b.Labels), want)
		}
		for _, l := range b.Labels {
			if l < 0 || int(l) >= b.Out {
				return fmt.Errorf("task: label %d outside [0, %d)", l, b.Out)
			}
		}
	default:
		return fmt.Errorf("task: unknown kind %q", b.Kind)
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
