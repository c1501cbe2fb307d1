package rnn

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// ConfigFor returns the configuration of a model with the given cell and
// state size for a task.
func ConfigFor(spec task.Spec, cell Cell, hidden int) Config {
	c := Config{Cell: cell, In: spec.In, Hidden: hidden, Out: spec.Out,
		Objective: Objective(spec.Kind), Burn: spec.Burn}
	if cell.Gated() {
		c.NumLayers = 1
	}
	return c
}

// TaskData returns a task's training data as Data. MNIST trains in epochs
// over its 60000 training images, without replacement; the other tasks draw
// perEpoch fresh sequences per epoch from a generator seeded by seed (the
// same seed, the same sequences).
func TaskData(ds task.Dataset, perEpoch int, seed uint64) Data {
	if s, ok := ds.(*task.ImageSplit); ok {
		return imagesData{s.Train}
	}
	return &sampled{ds: ds, n: perEpoch, rng: task.NewRand(seed)}
}

type imagesData struct{ im *task.Images }

func (d imagesData) Len() int { return d.im.Len() }

func (d imagesData) Fill(bt *Batch[float32], idx []int) { fromTask(bt, d.im.Batch(idx)) }

type sampled struct {
	ds  task.Dataset
	n   int
	rng *rand.Rand
}

func (d *sampled) Len() int { return d.n }

func (d *sampled) Fill(bt *Batch[float32], idx []int) { fromTask(bt, d.ds.Sample(d.rng, len(idx))) }

// fromTask copies a task batch into a training batch; the layouts agree.
func fromTask(bt *Batch[float32], b *task.Batch) {
	bt.T, bt.B = b.T, b.B
	bt.X = append(bt.X[:0], b.X...)
	bt.Y = append(bt.Y[:0], b.Y...)
	bt.Labels = append(bt.Labels[:0], b.Labels...)
}

// EvaluateTask runs m over the task's held-out set on the kernels, batch
// sequences at a time, and returns the task's meter: accuracy, bits per
// character, or the memory curve R²(k) and capacity.
func EvaluateTask(m *Model, ds task.Dataset, batch int) (*task.Meter, error) {
	spec := ds.Spec()
	if cfg := ConfigFor(spec, m.Cell, m.Hidden); cfg != m.Config {
		return nil, fmt.Errorf("rnn: model %+v does not fit task %s (%+v)", m.Config, spec.Name, cfg)
	}
	if batch < 1 {
		batch = 256
	}
	return engineOf(m).evaluate(spec, ds.Eval(batch)), nil
}

// TaskOf returns the task a model file was trained on, from its metadata
// (as lowrank train records it): "task" names it, and recall models also
// record "rho", "T" and "data_seed". nEval is the number of held-out recall
// sequences; dataDir the folder of the task data ("" for the default, see
// task.DataEnv). Every number in the metadata is checked against Bounds,
// and the model's shape against the task, before any data is made or
// loaded.
func TaskOf(meta map[string]string, m *Model, nEval int, dataDir string) (task.Dataset, error) {
	if err := checkTaskOf(meta, m, nEval); err != nil {
		return nil, fmt.Errorf("rnn: %w", err)
	}
	name := meta["task"]
	p := task.Params{Dir: dataDir}
	switch {
	case name == "text-opticks" || name == "text-pi":
		name = strings.TrimPrefix(name, "text-")
	case strings.HasPrefix(name, "recall"):
		r, seed, _ := recallOf(meta, m, nEval) // checked above
		name, p = "recall", task.Params{Rho: r.Rho, K: r.K, T: r.T, Seed: seed, NEval: nEval}
	}
	ds, err := task.Named(name, p)
	if err == nil {
		err = fits(m, ds.Spec()) // text: the corpus gives the vocabulary
	}
	if err != nil {
		return nil, fmt.Errorf("rnn: the model's task %q: %w", meta["task"], err)
	}
	return ds, nil
}

// TrainingMeta returns the metadata of a model trained on a task (lowrank
// train writes it into the model file): the task as TaskOf reads it back
// (for recall also ρ, T and the held-out seed of p), the training
// settings, and the metric the model reached.
func TrainingMeta(spec task.Spec, p task.Params, tc TrainConfig, perEpoch int, meter *task.Meter) map[string]string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	meta := map[string]string{
		"task": spec.Name, "epochs": strconv.Itoa(tc.Epochs), "per_epoch": strconv.Itoa(perEpoch),
		"batch": strconv.Itoa(tc.BatchSize), "lr": f(tc.LR), "decay": f(tc.Decay), "clip": f(tc.Clip),
		"seed": strconv.FormatUint(tc.Seed, 10), "metric": meter.String(),
	}
	if spec.Kind == task.Regression {
		meta["rho"], meta["T"], meta["data_seed"] = f(p.Rho), strconv.Itoa(p.T), strconv.FormatUint(p.Seed, 10)
	}
	return meta
}

// HeldOut returns the leading batches (at most 256 sequences each) of the
// task's held-out set that hold at least n sequences: the evaluation set of
// a sweep or an assessment.
func HeldOut(ds task.Dataset, n int) []*task.Batch {
	var out []*task.Batch
	seen := 0
	for _, b := range ds.Eval(min(256, max(n, 1))) {
		if seen >= n {
			break
		}
		out = append(out, b)
		seen += b.B
	}
	return out
}

// CalibrationBatches returns the training sequences that whitened
// truncation and the calibration error are computed on: 128 sequences drawn
// with fixed seeds, so that every command calibrates alike.
func CalibrationBatches(ds task.Dataset) []*task.Batch {
	return []*task.Batch{ds.Sample(task.NewRand(7), 64), ds.Sample(task.NewRand(8), 64)}
}
