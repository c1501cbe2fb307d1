package rnn

import (
	"fmt"
	"math/rand/v2"

	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// ConfigFor returns the configuration of a model with the given cell and
// state size for a task.
func ConfigFor(spec task.Spec, cell Cell, hidden int) Config {
	return Config{Cell: cell, In: spec.In, Hidden: hidden, Out: spec.Out,
		Objective: Objective(spec.Kind), Burn: spec.Burn}
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

// EvaluateTask runs m over the task's held-out set, batch sequences at a
// time, and returns the task's meter: accuracy, bits per character, or the
// memory curve R²(k) and capacity.
func EvaluateTask(m *Model, ds task.Dataset, batch int) (*task.Meter, error) {
	spec := ds.Spec()
	if cfg := ConfigFor(spec, m.Cell, m.Hidden); cfg != m.Config {
		return nil, fmt.Errorf("rnn: model %+v does not fit task %s (%+v)", m.Config, spec.Name, cfg)
	}
	if batch < 1 {
		batch = 256
	}
	nt := netView(m)
	var ps pass[float32]
	var bt Batch[float32]
	meter := task.NewMeter(spec)
	for _, b := range ds.Eval(batch) {
		fromTask(&bt, b)
		if err := nt.checkBatch(&bt); err != nil {
			return nil, err
		}
		nt.forward(&ps, &bt)
		meter.Add(b, ps.o)
	}
	return meter, nil
}
