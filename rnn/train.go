package rnn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/lowrank-rnn/lowrank/rnn/task"
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
	Seed      uint64  // shuffling order, and the dropout masks

	// Regularisation; all of it is off at zero, where training is what
	// it was without it, bit for bit.
	//
	// InputDropout zeroes each nonzero input feature of each step with
	// this probability and scales the kept ones by 1/(1−p) (inverted
	// dropout: evaluation uses the weights as they are); OutputDropout
	// does the same to the state units the readout sees. Neither touches
	// the recurrence, so the dynamics that compression truncates are
	// trained as they run.
	InputDropout, OutputDropout float64
	// WeightDecay shrinks the weight matrices (not the biases) by
	// lr·WeightDecay after every Adam step, decoupled from the gradient
	// (AdamW).
	WeightDecay float64
	// Validate, if set, scores the model after every epoch, lower being
	// better (held-out data carved from the training part, never the
	// task's test part). Training ends with the weights of the best
	// epoch, and stops once Patience epochs in a row (0: never) have not
	// improved on it.
	Validate func(*Model) (float64, error)
	Patience int

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

// TrainSummary is how a training run ended.
type TrainSummary struct {
	Loss   float64 // mean training loss of the last epoch run
	Epochs int     // epochs run: fewer than TrainConfig.Epochs when validation stopped it
	// Best is the epoch whose weights the model holds (1-based; the last
	// one without Validate), and History the validation score of each
	// epoch run (nil without Validate).
	Best    int
	History []float64
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

// Check returns an error naming the first setting of tc out of its range
// (Bounds); zero values stand for their defaults.
func (tc TrainConfig) Check() error {
	tc.defaults()
	checks := []error{Bounds.Epochs.Check(tc.Epochs), Bounds.Batch.Check(tc.BatchSize), Bounds.LR.Check(tc.LR),
		Bounds.Decay.Check(tc.Decay), Bounds.InputDropout.Check(tc.InputDropout), Bounds.OutputDropout.Check(tc.OutputDropout),
		Bounds.WeightDecay.Check(tc.WeightDecay), Bounds.Patience.Check(tc.Patience)}
	if tc.Clip > 0 { // negative: no clipping
		checks = append(checks, Bounds.Clip.Check(tc.Clip))
	}
	for _, err := range checks {
		if err != nil {
			return fmt.Errorf("rnn: train: %w", err)
		}
	}
	return nil
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
	if err := tc.Check(); err != nil {
		return nil, err
	}
	if tc.OutputDropout > 0 && m.Cell.Gated() {
		// The gated cells' backward pass reads the readout's gradient
		// unmasked; input dropout, applied to the batch, works for all.
		return nil, fmt.Errorf("rnn: train: output dropout is for the RNN and MGRU readouts, not the %s's: use -input-dropout or none", m.Cell)
	}
	tr := &Trainer{m: m, tc: tc, nt: netView(m), lr: tc.LR}
	tr.ps.outputDropout = float32(tc.OutputDropout)
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

// Train runs tc.Epochs epochs of minibatch BPTT with Adam on m, in place,
// and says how it ended: with tc.Validate, m holds the weights of the
// epoch that scored best, and training may stop early (tc.Patience).
// Training is deterministic: the same model, data, configuration and seed
// give the same weights.
func Train(m *Model, data Data, tc TrainConfig) (TrainSummary, error) {
	tr, err := NewTrainer(m, tc)
	if err != nil {
		return TrainSummary{}, err
	}
	var sum TrainSummary
	var best [][]float32 // the best epoch's weights
	for e := 1; e <= tr.tc.Epochs; e++ {
		if sum.Loss, err = tr.Epoch(data); err != nil {
			return sum, err
		}
		sum.Epochs = e
		if tr.tc.Validate == nil {
			sum.Best = e
			continue
		}
		v, err := tr.tc.Validate(m)
		switch {
		case err != nil:
			return sum, fmt.Errorf("rnn: train: validation after epoch %d: %w", e, err)
		case math.IsNaN(v) || math.IsInf(v, 0):
			return sum, fmt.Errorf("rnn: train: validation score %v after epoch %d is not finite", v, e)
		}
		sum.History = append(sum.History, v)
		if sum.Best == 0 || v < sum.History[sum.Best-1] {
			sum.Best = e
			best = tr.nt.copyInto(best)
		} else if tr.tc.Patience > 0 && e-sum.Best >= tr.tc.Patience {
			break
		}
	}
	if best != nil {
		for i, p := range tr.nt.p {
			copy(p, best[i])
		}
	}
	return sum, nil
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
	// The dropout masks have a stream of their own: without dropout the
	// order and the weights are what they were.
	tr.ps.rng = rand.New(rand.NewPCG(tr.tc.Seed, 1<<32|uint64(tr.epoch)))
	bs := tr.tc.BatchSize
	batches := (n + bs - 1) / bs
	var sum float64
	for k := 0; k < batches; k++ {
		idx := order[k*bs : min(n, (k+1)*bs)]
		data.Fill(&tr.bt, idx)
		if err := tr.nt.checkBatch(&tr.bt); err != nil {
			return 0, err
		}
		if p := float32(tr.tc.InputDropout); p > 0 {
			dropInputs(tr.bt.X, p, tr.ps.rng)
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
	decay := float32(1 - tr.lr*tr.tc.WeightDecay)
	for pi, p := range tr.nt.p {
		g, m, v := tr.grad[pi], tr.opt.m[pi], tr.opt.v[pi]
		if tr.tc.WeightDecay > 0 && !tr.nt.isBias(pi) {
			for i := range p {
				p[i] *= decay
			}
		}
		for i := range p {
			gi := g[i] * float32(scale)
			m[i] = b1*m[i] + (1-b1)*gi
			v[i] = b2*v[i] + (1-b2)*gi*gi
			p[i] -= alpha * m[i] / (float32(math.Sqrt(float64(v[i]))) + eps)
		}
	}
	return norm
}

// dropInputs zeroes each nonzero entry of x with probability p and scales
// the others by 1/(1−p). Zero entries stay zero whatever the draw, so
// only the nonzero ones draw: a one-hot input costs one draw a step.
func dropInputs(x []float32, p float32, rng *rand.Rand) {
	scale := 1 / (1 - p)
	for i, v := range x {
		if v == 0 {
			continue
		}
		if rng.Float32() < p {
			x[i] = 0
		} else {
			x[i] = v * scale
		}
	}
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

// TextValidation carves a validation split of about frac from a text
// task's training part (never from its held-out part), in blocks as
// Opticks's held-out part is carved (task.SplitBlocks with
// task.TextBlock), so that it samples the whole training text: it
// returns the task with the rest of the training part, from which
// training windows are then drawn, and a TrainConfig.Validate that scores
// a model's bits per character on the split, cut into windows as the
// held-out part is (task.Corpus.Eval).
func TextValidation(ds task.Dataset, frac float64) (task.Dataset, func(*Model) (float64, error), error) {
	c, ok := ds.(*task.Corpus)
	if !ok {
		return nil, nil, fmt.Errorf("rnn: a validation split is carved from a text task's training part, and %s is not a text task", ds.Spec().Name)
	}
	if err := Bounds.Valid.Check(frac); err != nil {
		return nil, nil, fmt.Errorf("rnn: validation split: %w", err)
	}
	train, valid := *c, *c
	train.Train, valid.Test = task.SplitBlocks(c.Train, frac, task.TextBlock)
	if len(train.Train) < c.SeqLen+1 || len(valid.Test) < 2 {
		return nil, nil, fmt.Errorf("rnn: validation split of %g leaves %d training and %d validation characters of %s, too few for windows of %d",
			frac, len(train.Train), len(valid.Test), c.Name, c.SeqLen)
	}
	return &train, func(m *Model) (float64, error) {
		meter, err := EvaluateTask(m, &valid, 256)
		if err != nil {
			return 0, err
		}
		return meter.Bits(), nil
	}, nil
}

// RegularisationMeta returns the model file metadata of tc's
// regularisation, of the validation split valid (TextValidation; 0 for
// none) and of how training ended. Settings left at zero have no key, so
// that a file trained without them reads as before.
func RegularisationMeta(tc TrainConfig, valid float64, sum TrainSummary) map[string]string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	meta := map[string]string{}
	for _, s := range []struct {
		key string
		v   float64
	}{{"input_dropout", tc.InputDropout}, {"output_dropout", tc.OutputDropout}, {"weight_decay", tc.WeightDecay}, {"valid", valid}} {
		if s.v != 0 {
			meta[s.key] = f(s.v)
		}
	}
	if tc.Validate != nil {
		if tc.Patience > 0 {
			meta["patience"] = strconv.Itoa(tc.Patience)
		}
		hist := make([]string, len(sum.History))
		for i, v := range sum.History {
			hist[i] = strconv.FormatFloat(v, 'f', 4, 64)
		}
		meta["epochs_run"], meta["best_epoch"] = strconv.Itoa(sum.Epochs), strconv.Itoa(sum.Best)
		meta["validation"] = strings.Join(hist, ",")
	}
	return meta
}

// ValidationNote says how validation chose the weights, "; validation
// 2.3411, 2.3012, …: kept epoch 2", or "" without validation.
func (s TrainSummary) ValidationNote() string {
	if s.History == nil {
		return ""
	}
	return fmt.Sprintf("; validation %.4f by epoch: kept epoch %d", s.History, s.Best)
}
