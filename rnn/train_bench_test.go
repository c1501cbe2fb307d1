package rnn

import (
	"testing"

	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// BenchmarkTrainEpoch times one epoch of row-sequential MNIST (60000
// sequences of 28 steps, minibatches of 64) for each cell at hidden size
// 128, the training budget of the default models:
//
//	go test -run '^$' -bench TrainEpoch -benchtime 1x ./rnn
func BenchmarkTrainEpoch(b *testing.B) {
	ds, err := task.MNIST{}.Dataset()
	if err != nil {
		b.Skip(err)
	}
	for _, cell := range []Cell{RNN, MGRU} {
		b.Run("task=seqmnist/cell="+string(cell)+"/hidden=128", func(b *testing.B) {
			m, err := New(ConfigFor(ds.Spec(), cell, 128), 1)
			if err != nil {
				b.Fatal(err)
			}
			tr, err := NewTrainer(m, TrainConfig{BatchSize: 64, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			data := TaskData(ds, 0, 1)
			for b.Loop() {
				if _, err := tr.Epoch(data); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(data.Len())*float64(b.N)/b.Elapsed().Seconds(), "seq/s")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/epoch")
		})
	}
}
