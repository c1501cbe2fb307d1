package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"strings"
	"time"

	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
	"github.com/lowrank-rnn/lowrank/internal/cli"
	"github.com/lowrank-rnn/lowrank/internal/progress"
	"github.com/lowrank-rnn/lowrank/rnn"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

func runTrain(args []string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("train", "train [flags] -o FILE",
		"Train trains an RNN, MGRU, GRU or LSTM (PyTorch's cells, one layer) with a\n"+
			"linear readout on a task by BPTT with Adam, evaluates it on the task's\n"+
			"held-out set, and saves it as a safetensors model file, deterministically\n"+
			"for a -seed (a progress bar shows on a terminal).", stderr)
	name, p := taskFlags(fs)
	cell := fs.String("cell", "mgru", "`cell`: rnn, mgru, gru or lstm")
	var hidden int
	rnn.Bounds.Hidden.Var(fs, &hidden, 128, "state size n")
	tc, perEpoch, valid := trainFlags(fs)
	out := fs.String("o", "", "write the trained model to `file` (safetensors)")
	if status, done := cli.ParseFlags(fs, args); done {
		return status
	}
	f := failer{"train", stderr}
	if err := checkTrain(fs, *name, *p, hidden, *out); err != nil {
		return f.usage("%v", err)
	}
	ds, err := task.Named(*name, *p)
	var m *rnn.Model
	if err == nil {
		m, err = rnn.New(rnn.ConfigFor(ds.Spec(), rnn.Cell(*cell), hidden), tc.Seed)
	}
	data := ds
	if err == nil && *valid > 0 {
		data, tc.Validate, err = rnn.TextValidation(ds, *valid)
	}
	if err != nil {
		return f.usage("%v", err)
	}
	spec := ds.Spec()
	desc := fmt.Sprintf("%s %s-%d", spec.Name, m.Cell, m.Hidden)
	tc.Progress = progress.Bar(stderr, desc)
	start := time.Now()
	sum, err := rnn.Train(m, rnn.TaskData(data, *perEpoch, tc.Seed), *tc)
	elapsed := time.Since(start)
	tc.Progress(rnn.Progress{}) // ends the bar
	if err != nil {
		return f.fail(err)
	}
	meter, err := rnn.EvaluateTask(m, ds, 256)
	if err == nil {
		meta := rnn.TrainingMeta(spec, *p, *tc, *perEpoch, meter)
		maps.Copy(meta, rnn.RegularisationMeta(*tc, *valid, sum))
		err = m.Save(*out, meta)
	}
	if err != nil {
		return f.fail(err)
	}
	fmt.Fprintf(stdout, "%s: %d epochs in %v (%.1f s per epoch), final training loss %.4f%s\n%s\nsaved %s (%d parameters)\n", desc, sum.Epochs,
		elapsed.Round(time.Second), elapsed.Seconds()/float64(sum.Epochs), sum.Loss, sum.ValidationNote(), meter, *out, m.NumParams())
	return exitOK
}

// trainFlags adds the training settings' flags.
func trainFlags(fs *flag.FlagSet) (tc *rnn.TrainConfig, perEpoch *int, valid *float64) {
	tc, perEpoch, valid = &rnn.TrainConfig{}, new(int), new(float64)
	rnn.Bounds.Epochs.Var(fs, &tc.Epochs, 10, "training epochs (at most, with -patience)")
	rnn.Bounds.PerEpoch.Var(fs, perEpoch, 20000, "sequences per epoch for the sampled tasks (recall, text); MNIST epochs are its 60000 images")
	rnn.Bounds.Batch.Var(fs, &tc.BatchSize, 64, "sequences per minibatch")
	rnn.Bounds.LR.Var(fs, &tc.LR, 2e-3, "Adam step size")
	rnn.Bounds.Decay.Var(fs, &tc.Decay, 1, "step-size factor applied after each epoch")
	rnn.Bounds.Clip.Var(fs, &tc.Clip, 1, "gradient-norm clipping threshold")
	fs.Uint64Var(&tc.Seed, "seed", 1, "seed of the initial weights, the training order and the dropout masks")
	rnn.Bounds.InputDropout.Var(fs, &tc.InputDropout, 0, "probability of dropping each input feature of each step (training only)")
	rnn.Bounds.OutputDropout.Var(fs, &tc.OutputDropout, 0, "probability of dropping each state unit the readout sees, per step (training only)")
	rnn.Bounds.WeightDecay.Var(fs, &tc.WeightDecay, 0, "decoupled weight decay of the weight matrices (AdamW), per unit step size")
	rnn.Bounds.Valid.Var(fs, valid, 0, "text tasks: hold out this `fraction` of the training part for validation, and keep the best epoch (default: none)")
	rnn.Bounds.Patience.Var(fs, &tc.Patience, 0, "with -valid: stop after this many epochs without a better validation score (0: never)")
	return tc, perEpoch, valid
}

// checkTrain checks what the flags ask of training before any data is made
// or loaded: the output, the flags of other tasks, the recall task's bounds.
func checkTrain(fs *flag.FlagSet, name string, p task.Params, hidden int, out string) error {
	if out == "" {
		return errors.New("-o FILE is required")
	}
	recall := name == "recall"
	text := name == "opticks" || name == "pi"
	err := cmp.Or(cli.Unused(fs, !recall, "is a setting of -task recall", "rho", "K", "T", "data-seed"),
		cli.Unused(fs, recall, "names a folder of task data: -task recall makes its own", "data"),
		cli.Unused(fs, strings.HasPrefix(name, "seqmnist"), "is for the sampled tasks: an MNIST epoch is its 60000 images", "per-epoch"),
		cli.Unused(fs, !text, "carves a validation split from a text task's training part: use -task opticks or pi", "valid"),
		cli.Unused(fs, !cli.FlagsSet(fs)["valid"], "stops on the validation score: set -valid too", "patience"),
		atomicfile.CheckOutputs([]string{out})) // before hours of training
	if err == nil && recall {
		err = rnn.CheckRecall(p, hidden)
	}
	return err
}

// taskFlags adds the flags that choose a task.
func taskFlags(fs *flag.FlagSet) (name *string, p *task.Params) {
	p = &task.Params{NEval: 512}
	name = fs.String("task", "recall", "`task`: "+strings.Join(task.Names, ", "))
	rnn.Bounds.Rho.Var(fs, &p.Rho, 0.9, "recall: AR(1) coefficient ρ of the input")
	rnn.Bounds.K.Var(fs, &p.K, 64, "recall: largest delay K")
	rnn.Bounds.T.Var(fs, &p.T, 200, "recall: steps per sequence")
	fs.Uint64Var(&p.Seed, "data-seed", 1, "recall: seed of the held-out sequences")
	fs.StringVar(&p.Dir, "data", "", "`folder` of task data (default $LOWRANK_DATA, then the module cache and GOROOT)")
	return name, p
}
