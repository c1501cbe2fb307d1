package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"strings"
	"time"

	"github.com/lowrank-rnn/lowrank/internal/progress"
	"github.com/lowrank-rnn/lowrank/rnn"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

func runTrain(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("train", "train [flags] -o FILE",
		"Train trains an RNN or MGRU with a linear readout on a task by BPTT with Adam,\n"+
			"evaluates it on the task's held-out set, and saves it as a safetensors model\n"+
			"file, deterministically for a -seed (a progress bar shows on a terminal).", stderr)
	name, p := taskFlags(fs)
	cell := fs.String("cell", "mgru", "`cell`: rnn or mgru")
	hidden := fs.Int("hidden", 128, "state size n")
	tc, perEpoch, valid := trainFlags(fs)
	out := fs.String("o", "", "write the trained model to `file` (safetensors)")
	if status, done := parseFlags(fs, args); done {
		return status
	}
	f := failer{"train", stderr}
	switch {
	case *out == "":
		return f.usage("-o FILE is required")
	case *perEpoch < 1 || *hidden < 1:
		return f.usage("-per-epoch and -hidden must be positive")
	case tc.Check() != nil:
		return f.usage("%v", tc.Check())
	}
	ds, err := task.Named(*name, *p)
	var m *rnn.Model
	if err == nil {
		m, err = rnn.New(rnn.ConfigFor(ds.Spec(), rnn.Cell(*cell), *hidden), tc.Seed)
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
	tc = &rnn.TrainConfig{}
	fs.IntVar(&tc.Epochs, "epochs", 10, "training epochs (at most, with -patience)")
	perEpoch = fs.Int("per-epoch", 20000, "sequences per epoch for the sampled tasks (recall, text); MNIST epochs are its 60000 images")
	fs.IntVar(&tc.BatchSize, "batch", 64, "sequences per minibatch")
	fs.Float64Var(&tc.LR, "lr", 2e-3, "Adam step size")
	fs.Float64Var(&tc.Decay, "decay", 1, "step-size factor applied after each epoch")
	fs.Float64Var(&tc.Clip, "clip", 1, "gradient-norm clipping threshold")
	fs.Uint64Var(&tc.Seed, "seed", 1, "seed of the initial weights, the training order and the dropout masks")
	fs.Float64Var(&tc.InputDropout, "input-dropout", 0, "probability of dropping each input feature of each step (training only)")
	fs.Float64Var(&tc.OutputDropout, "output-dropout", 0, "probability of dropping each state unit the readout sees, per step (training only)")
	fs.Float64Var(&tc.WeightDecay, "weight-decay", 0, "decoupled weight decay of the weight matrices (AdamW), per unit step size")
	valid = fs.Float64("valid", 0, "text tasks: hold out this last `fraction` of the training part for validation, and keep the best epoch")
	fs.IntVar(&tc.Patience, "patience", 0, "with -valid: stop after this many epochs without a better validation score (0: never)")
	return tc, perEpoch, valid
}

// taskFlags adds the flags that choose a task.
func taskFlags(fs *flag.FlagSet) (name *string, p *task.Params) {
	p = &task.Params{NEval: 512}
	name = fs.String("task", "recall", "`task`: "+strings.Join(task.Names, ", "))
	fs.Float64Var(&p.Rho, "rho", 0.9, "recall: AR(1) coefficient ρ of the input, in [0, 1)")
	fs.IntVar(&p.K, "K", 64, "recall: largest delay K")
	fs.IntVar(&p.T, "T", 200, "recall: steps per sequence")
	fs.Uint64Var(&p.Seed, "data-seed", 1, "recall: seed of the held-out sequences")
	fs.StringVar(&p.Dir, "data", "", "`folder` of task data (default $LOWRANK_DATA, then the module cache and GOROOT)")
	return name, p
}
