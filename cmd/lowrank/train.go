package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
	"github.com/lowrank-rnn/lowrank/rnn"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

func runTrain(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("train", "train [flags] -o FILE",
		"Train trains an RNN, MGRU, GRU or LSTM (PyTorch's cells, one layer)\n"+
			"with a linear readout on a task by BPTT with Adam, evaluates it on\n"+
			"the task's held-out set, and saves it as a safetensors model file.\n"+
			"Training is deterministic for a given -seed.\n"+
			"A progress bar is shown on stderr when it is a terminal.", stderr)
	name, p := taskFlags(fs)
	cell := fs.String("cell", "mgru", "`cell`: rnn, mgru, gru or lstm")
	var hidden, perEpoch int
	rnn.Bounds.Hidden.Var(fs, &hidden, 128, "state size n")
	tc := rnn.TrainConfig{}
	rnn.Bounds.Epochs.Var(fs, &tc.Epochs, 10, "training epochs")
	rnn.Bounds.PerEpoch.Var(fs, &perEpoch, 20000, "sequences per epoch for the sampled tasks (recall, text); MNIST epochs are its 60000 images")
	rnn.Bounds.Batch.Var(fs, &tc.BatchSize, 64, "sequences per minibatch")
	rnn.Bounds.LR.Var(fs, &tc.LR, 2e-3, "Adam step size")
	rnn.Bounds.Decay.Var(fs, &tc.Decay, 1, "step-size factor applied after each epoch")
	rnn.Bounds.Clip.Var(fs, &tc.Clip, 1, "gradient-norm clipping threshold")
	fs.Uint64Var(&tc.Seed, "seed", 1, "seed of the initial weights and the training order")
	out := fs.String("o", "", "write the trained model to `file` (safetensors)")
	if status, done := parseFlags(fs, args); done {
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
	if err != nil {
		return f.usage("%v", err)
	}
	spec := ds.Spec()
	desc := fmt.Sprintf("%s %s-%d", spec.Name, m.Cell, m.Hidden)
	tc.Progress = progress(stderr, desc)
	start := time.Now()
	loss, err := rnn.Train(m, rnn.TaskData(ds, perEpoch, tc.Seed), tc)
	elapsed := time.Since(start)
	tc.Progress(rnn.Progress{}) // ends the bar
	if err != nil {
		return f.fail(err)
	}
	meter, err := rnn.EvaluateTask(m, ds, 256)
	if err == nil {
		err = m.Save(*out, rnn.TrainingMeta(spec, *p, tc, perEpoch, meter))
	}
	if err != nil {
		return f.fail(err)
	}
	fmt.Fprintf(stdout, "%s: %d epochs in %v (%.1f s per epoch), final training loss %.4f\n%s\nsaved %s (%d parameters)\n",
		desc, tc.Epochs, elapsed.Round(time.Second), elapsed.Seconds()/float64(tc.Epochs), loss, meter, *out, m.NumParams())
	return exitOK
}

// checkTrain checks what the flags ask of training before any data is made
// or loaded: the output, the flags of other tasks, the recall task's bounds.
func checkTrain(fs *flag.FlagSet, name string, p task.Params, hidden int, out string) error {
	if out == "" {
		return errors.New("-o FILE is required")
	}
	recall := name == "recall"
	err := cmp.Or(unused(fs, !recall, "is a setting of -task recall", "rho", "K", "T", "data-seed"),
		unused(fs, recall, "names a folder of task data: -task recall makes its own", "data"),
		unused(fs, strings.HasPrefix(name, "seqmnist"), "is for the sampled tasks: an MNIST epoch is its 60000 images", "per-epoch"),
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

// progress returns a Progress callback that draws a bar on w when w is a
// terminal (logs and CI get the final metrics only). A call with Epoch 0
// ends the bar.
func progress(w io.Writer, desc string) func(rnn.Progress) {
	if f, ok := w.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
		return func(rnn.Progress) {}
	}
	var bar *progressbar.ProgressBar
	return func(p rnn.Progress) {
		switch {
		case p.Epoch == 0 && bar != nil:
			_ = bar.Finish()
			fmt.Fprintln(w)
		case p.Epoch > 0 && bar == nil:
			bar = progressbar.NewOptions64(int64(p.Epochs*p.Batches), progressbar.OptionSetWriter(w), progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionSetWidth(30))
			fallthrough
		case p.Epoch > 0:
			bar.Describe(fmt.Sprintf("%s epoch %d/%d loss %.4f", desc, p.Epoch, p.Epochs, p.EpochMeanLoss))
			_ = bar.Add(1)
		}
	}
}
