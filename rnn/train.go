package rnn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Data is a set of sequences a model trains on or is evaluated on.
type Data interface {
	// Len is the number of sequences.
	Len() int
	// Fill writes sequences idx into bt, time-major, resizing its slices:
	// bt.T, bt.B = steps, len(idx).
	Fill(bt *Batch[float32], idx []int)
}

// TrainConfig sets up BPTT training with Adam.
type TrainConfig struct {
	Epochs    int     // passes over the data (default 1)
	BatchSize int     // sequences per minibatch (default 64)
	LR        float64 // Adam step size (default 2e-3)
	Decay     float64 // the step size is multiplied by this after each epoch (default 1)
	Clip      float64 // gradient-norm clipping threshold (default 1; < 0: off)
	Seed      uint64  // shuffling order
	// Progress, if set, is called after every minibatch.
	Progress func(Progress)
}

// Progress reports training as it goes.
type Progress struct {
	Epoch, Epochs  int // 1-based
	Batch, Batches int // 1-based, within the epoch
	Loss           float64
	GradNorm       float64 // before clipping
	EpochMeanLoss  float64 // mean loss of the epoch so far
}

func (tc *TrainConfig) defaults() {
	if tc.Epochs == 0 {
		tc.Epochs = 1
	}
	if tc.BatchSize == 0 {
		tc.BatchSize = 64
	}
	if tc.LR == 0 {
		tc.LR = 2e-3
	}
	if tc.Decay == 0 {
		tc.Decay = 1
	}
	if tc.Clip == 0 {
		tc.Clip = 1
	}
}

// adam is the optimiser state.
type adam struct {
	m, v [][]float32
	t    int
}

// Trainer trains one model; it keeps the optimiser state between calls of
// Epoch, so training can be resumed epoch by epoch.
type Trainer struct {
	m     *Model
	tc    TrainConfig
	nt    *net[float32]
	ps    pass[float32]
	grad  [][]float32
	opt   adam
	bt    Batch[float32]
	epoch int
	lr    float64
}

// NewTrainer prepares to train m in place.
func NewTrainer(m *Model, tc TrainConfig) (*Trainer, error) {
	tc.defaults()
	if err := m.Config.validate(); err != nil {
		return nil, err
	}
	switch {
	case tc.Epochs < 0 || tc.BatchSize < 1:
		return nil, fmt.Errorf("rnn: train: %d epochs, batch size %d", tc.Epochs, tc.BatchSize)
	case !(tc.LR > 0) || math.IsInf(tc.LR, 0):
		return nil, fmt.Errorf("rnn: train: step size %v must be positive", tc.LR)
	}
	tr := &Trainer{m: m, tc: tc, nt: netView(m), lr: tc.LR}
	tr.grad = tr.nt.zeroLike()
	tr.opt.m, tr.opt.v = tr.nt.zeroLike(), tr.nt.zeroLike()
	return tr, nil
}

// netView returns a float32 net whose tensors alias m's parameters.
func netView(m *Model) *net[float32] {
	nt := &net[float32]{Config: m.Config}
	for _, p := range m.Params() {
		nt.p = append(nt.p, p.Data)
	}
	return nt
}

// Train runs tc.Epochs epochs of minibatch BPTT with Adam on m, in place.
// It returns the mean training loss of the last epoch. Training is
// deterministic: the same model, data, configuration and seed give the same
// weights.
func Train(m *Model, data Data, tc TrainConfig) (float64, error) {
	tr, err := NewTrainer(m, tc)
	if err != nil {
		return 0, err
	}
	var loss float64
	for range tr.tc.Epochs {
		if loss, err = tr.Epoch(data); err != nil {
			return loss, err
		}
	}
	return loss, nil
}

// ErrDiverged is returned when the loss becomes NaN or infinite.
var ErrDiverged = errors.New("rnn: training diverged (loss is not finite); lower the step size or the clipping threshold")

// Epoch runs one pass over data in a shuffled order and returns the mean
// minibatch loss.
func (tr *Trainer) Epoch(data Data) (float64, error) {
	n := data.Len()
	if n == 0 {
		return 0, errors.New("rnn: train: no data")
	}
	tr.epoch++
	rng := rand.New(rand.NewPCG(tr.tc.Seed, uint64(tr.epoch)))
	order := rng.Perm(n)
	bs := tr.tc.BatchSize
	batches := (n + bs - 1) / bs
	var sum float64
	for k := 0; k < batches; k++ {
		idx := order[k*bs : min(n, (k+1)*bs)]
		data.Fill(&tr.bt, idx)
		if err := tr.nt.checkBatch(&tr.bt); err != nil {
			return 0, err
		}
		loss := float64(tr.nt.forward(&tr.ps, &tr.bt))
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return loss, ErrDiverged
		}
		for _, g := range tr.grad {
			clear(g)
		}
		tr.nt.backward(&tr.ps, &tr.bt, tr.grad)
		norm := tr.step()
		sum += loss
		if tr.tc.Progress != nil {
			tr.tc.Progress(Progress{
				Epoch: tr.epoch, Epochs: tr.tc.Epochs, Batch: k + 1, Batches: batches,
				Loss: loss, GradNorm: norm, EpochMeanLoss: sum / float64(k+1),
			})
		}
	}
	tr.lr *= tr.tc.Decay
	return sum / float64(batches), nil
}

// step clips the gradient to norm Clip and applies one Adam update. It
// returns the gradient norm before clipping.
func (tr *Trainer) step() float64 {
	var ss float64
	for _, g := range tr.grad {
		for _, v := range g {
			ss += float64(v) * float64(v)
		}
	}
	norm := math.Sqrt(ss)
	scale := 1.0
	if tr.tc.Clip > 0 && norm > tr.tc.Clip {
		scale = tr.tc.Clip / norm
	}
	const b1, b2, eps = 0.9, 0.999, 1e-8
	tr.opt.t++
	c1 := 1 - math.Pow(b1, float64(tr.opt.t))
	c2 := 1 - math.Pow(b2, float64(tr.opt.t))
	alpha := float32(tr.lr * math.Sqrt(c2) / c1)
	for pi, p := range tr.nt.p {
		g, m, v := tr.grad[pi], tr.opt.m[pi], tr.opt.v[pi]
		for i := range p {
			gi := g[i] * float32(scale)
			m[i] = b1*m[i] + (1-b1)*gi
			v[i] = b2*v[i] + (1-b2)*gi*gi
			p[i] -= alpha * m[i] / (float32(math.Sqrt(float64(v[i]))) + eps)
		}
	}
	return norm
}

// Eval is a model's score on a data set.
type Eval struct {
	Loss float64 // mean loss per scored step (nats for classification)
	// Accuracy is the fraction of correct argmax predictions
	// (classification).
	Accuracy float64
	// BitsPerChar is the loss in bits (ClassifyEach).
	BitsPerChar float64
	// R2 is, per output, 1 − SSE/SST over the scored steps (Regression).
	R2 []float64
}

// Evaluate scores m on data, batch sequences at a time, in float32 like
// training.
func Evaluate(m *Model, data Data, batch int) (Eval, error) {
	if batch < 1 {
		batch = 256
	}
	nt := netView(m)
	var ps pass[float32]
	var bt Batch[float32]
	n := data.Len()
	if n == 0 {
		return Eval{}, errors.New("rnn: evaluate: no data")
	}
	var ev Eval
	var lossSum, weight float64
	var correct, total int
	out := m.Out
	var sse, sy, syy []float64
	var cnt float64
	if m.Objective == Regression {
		sse, sy, syy = make([]float64, out), make([]float64, out), make([]float64, out)
	}
	idx := make([]int, 0, batch)
	for b0 := 0; b0 < n; b0 += batch {
		idx = idx[:0]
		for i := b0; i < min(n, b0+batch); i++ {
			idx = append(idx, i)
		}
		data.Fill(&bt, idx)
		if err := nt.checkBatch(&bt); err != nil {
			return Eval{}, err
		}
		loss := float64(nt.forward(&ps, &bt))
		scored := float64(bt.B)
		if m.Objective != ClassifyLast {
			scored *= float64(bt.T - m.Burn)
		}
		lossSum += loss * scored
		weight += scored
		switch m.Objective {
		case ClassifyLast:
			for b := 0; b < bt.B; b++ {
				if argmax(ps.o[b*out:(b+1)*out]) == int(bt.Labels[b]) {
					correct++
				}
				total++
			}
		case ClassifyEach:
			for k := m.Burn * bt.B; k < bt.T*bt.B; k++ {
				if argmax(ps.o[k*out:(k+1)*out]) == int(bt.Labels[k]) {
					correct++
				}
				total++
			}
		case Regression:
			for k := m.Burn * bt.B * out; k < len(ps.o); k++ {
				j := k % out
				y := float64(bt.Y[k])
				e := float64(ps.o[k]) - y
				sse[j] += e * e
				sy[j] += y
				syy[j] += y * y
			}
			cnt += scored
		}
	}
	ev.Loss = lossSum / weight
	switch m.Objective {
	case ClassifyLast, ClassifyEach:
		ev.Accuracy = float64(correct) / float64(total)
		ev.BitsPerChar = ev.Loss / math.Ln2
	case Regression:
		ev.R2 = make([]float64, out)
		for j := range ev.R2 {
			sst := syy[j] - sy[j]*sy[j]/cnt
			ev.R2[j] = 1 - sse[j]/sst
		}
	}
	return ev, nil
}

func argmax(v []float32) int {
	return slices.Index(v, slices.Max(v))
}
