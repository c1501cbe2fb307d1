package rnn

import "fmt"

// Set is an in-memory Data: N sequences of T steps, sequence-major.
type Set struct {
	N, T, In, Out int
	// X[(s*T+t)*In+i] is input feature i of sequence s at step t.
	X []float32
	// Y holds Regression targets, N×T×Out like X.
	Y []float32
	// Labels: N for ClassifyLast, N×T for ClassifyEach.
	Labels []int32
}

// Len returns N.
func (s *Set) Len() int { return s.N }

// Check reports a Set whose slices do not match its sizes.
func (s *Set) Check() error {
	switch {
	case s.N < 0 || s.T < 1 || s.In < 1:
		return fmt.Errorf("rnn: set of %d sequences of %d steps of %d inputs", s.N, s.T, s.In)
	case len(s.X) != s.N*s.T*s.In:
		return fmt.Errorf("rnn: set X has %d values, want N·T·In = %d", len(s.X), s.N*s.T*s.In)
	case s.Y != nil && len(s.Y) != s.N*s.T*s.Out:
		return fmt.Errorf("rnn: set Y has %d values, want N·T·Out = %d", len(s.Y), s.N*s.T*s.Out)
	case s.Labels != nil && len(s.Labels) != s.N && len(s.Labels) != s.N*s.T:
		return fmt.Errorf("rnn: set has %d labels, want N = %d or N·T = %d", len(s.Labels), s.N, s.N*s.T)
	}
	return nil
}

// Fill writes sequences idx into bt, transposing to time-major.
func (s *Set) Fill(bt *Batch[float32], idx []int) {
	bt.T, bt.B = s.T, len(idx)
	bt.X = resize(bt.X, s.T*len(idx)*s.In)
	for b, si := range idx {
		for t := 0; t < s.T; t++ {
			copy(bt.X[(t*bt.B+b)*s.In:][:s.In], s.X[(si*s.T+t)*s.In:][:s.In])
		}
	}
	bt.Y = bt.Y[:0]
	if s.Y != nil {
		bt.Y = resize(bt.Y, s.T*len(idx)*s.Out)
		for b, si := range idx {
			for t := 0; t < s.T; t++ {
				copy(bt.Y[(t*bt.B+b)*s.Out:][:s.Out], s.Y[(si*s.T+t)*s.Out:][:s.Out])
			}
		}
	}
	bt.Labels = bt.Labels[:0]
	switch len(s.Labels) {
	case 0:
	case s.N:
		for _, si := range idx {
			bt.Labels = append(bt.Labels, s.Labels[si])
		}
	default:
		bt.Labels = resize(bt.Labels, s.T*len(idx))
		for b, si := range idx {
			for t := 0; t < s.T; t++ {
				bt.Labels[t*bt.B+b] = s.Labels[si*s.T+t]
			}
		}
	}
}

func resize[E any](s []E, n int) []E {
	if cap(s) < n {
		return make([]E, n)
	}
	return s[:n]
}
