package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/lowrank-rnn/lowrank/rnn"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// taskFlags are the flags that choose a task, shared by the commands that
// train, evaluate or compress models.
type taskFlags struct {
	name *string
	rho  *float64
	k    *int
	t    *int
	seed *uint64
}

func addTaskFlags(fs interface {
	String(string, string, string) *string
	Float64(string, float64, string) *float64
	Int(string, int, string) *int
	Uint64(string, uint64, string) *uint64
}) taskFlags {
	return taskFlags{
		name: fs.String("task", "recall", "`task`: recall, seqmnist, seqmnist-perm, opticks or pi"),
		rho:  fs.Float64("rho", 0.9, "recall: AR(1) coefficient ρ of the input, in [0, 1)"),
		k:    fs.Int("K", 64, "recall: largest delay K"),
		t:    fs.Int("T", 200, "recall: steps per sequence"),
		seed: fs.Uint64("data-seed", 1, "recall: seed of the held-out sequences"),
	}
}

// taskNames are the tasks the commands know.
const taskNames = "recall, seqmnist, seqmnist-perm, opticks, pi"

// load returns the dataset the flags name.
func (tf taskFlags) load() (task.Dataset, error) {
	switch *tf.name {
	case "recall":
		r := task.Recall{Rho: *tf.rho, K: *tf.k, T: *tf.t}
		if !(r.Rho >= 0 && r.Rho < 1) || r.K < 1 || r.T <= r.K {
			return nil, fmt.Errorf("recall: want 0 ≤ -rho < 1, -K ≥ 1 and -T > K; got ρ = %v, K = %d, T = %d", r.Rho, r.K, r.T)
		}
		return r.Dataset(*tf.seed, 512), nil
	case "seqmnist", "seqmnist-perm":
		return task.MNIST{Permuted: *tf.name == "seqmnist-perm"}.Dataset()
	case "opticks", "pi":
		return task.Text{Corpus: *tf.name}.Dataset()
	}
	return nil, fmt.Errorf("unknown task %q; the tasks are %s", *tf.name, taskNames)
}

// describeMeter returns the task metric of a meter in words.
func describeMeter(spec task.Spec, m *task.Meter) string {
	switch spec.Kind {
	case task.Regression:
		r2 := m.R2()
		return fmt.Sprintf("memory capacity %.2f (K = %d), R²(1) = %.4f, R²(K) = %.4f",
			m.MemoryCapacity(), len(r2), r2[0], r2[len(r2)-1])
	case task.ClassifyLast:
		return fmt.Sprintf("test accuracy %.2f%% (%d sequences)", 100*m.Accuracy(), m.N())
	default:
		return fmt.Sprintf("held-out %.4f bits per character, accuracy %.2f%%", m.Bits(), 100*m.Accuracy())
	}
}

func runTrain(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("train", "train [flags] -o FILE",
		"Train trains an RNN or MGRU with a linear readout on a task by BPTT with\n"+
			"Adam, evaluates it on the task's held-out set, and saves it as a\n"+
			"safetensors model file. Training is deterministic for a given -seed.\n"+
			"A progress bar is shown on stderr when it is a terminal.", stderr)
	tf := addTaskFlags(fs)
	cell := fs.String("cell", "mgru", "`cell`: rnn or mgru")
	hidden := fs.Int("hidden", 128, "state size n")
	epochs := fs.Int("epochs", 10, "training epochs")
	perEpoch := fs.Int("per-epoch", 20000, "sequences per epoch for the sampled tasks (recall, text); MNIST epochs are its 60000 images")
	batch := fs.Int("batch", 64, "sequences per minibatch")
	lr := fs.Float64("lr", 2e-3, "Adam step size")
	decay := fs.Float64("decay", 1, "step-size factor applied after each epoch")
	clip := fs.Float64("clip", 1, "gradient-norm clipping threshold")
	seed := fs.Uint64("seed", 1, "seed of the initial weights and the training order")
	out := fs.String("o", "", "write the trained model to `file` (safetensors)")
	if status, done := parseFlags(fs, args); done {
		return status
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "lowrank train: "+format+"\n", a...)
		return code
	}
	if *out == "" {
		return fail(exitUsage, "-o FILE is required")
	}
	if *epochs < 1 || *perEpoch < 1 || *batch < 1 || *hidden < 1 {
		return fail(exitUsage, "-epochs, -per-epoch, -batch and -hidden must be positive")
	}
	ds, err := tf.load()
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	spec := ds.Spec()
	m, err := rnn.New(rnn.ConfigFor(spec, rnn.Cell(*cell), *hidden), *seed)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	data := rnn.TaskData(ds, *perEpoch, *seed)
	batches := (data.Len() + *batch - 1) / *batch

	bar := progressBar(stderr, int64(*epochs*batches), fmt.Sprintf("%s %s-%d", spec.Name, *cell, *hidden))
	tc := rnn.TrainConfig{Epochs: *epochs, BatchSize: *batch, LR: *lr, Decay: *decay, Clip: *clip, Seed: *seed,
		Progress: func(p rnn.Progress) {
			if bar != nil {
				bar.Describe(fmt.Sprintf("%s %s-%d epoch %d/%d loss %.4f", spec.Name, *cell, *hidden, p.Epoch, p.Epochs, p.EpochMeanLoss))
				_ = bar.Add(1)
			}
		}}
	tr, err := rnn.NewTrainer(m, tc)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	start := time.Now()
	var loss float64
	for e := 1; e <= *epochs; e++ {
		if loss, err = tr.Epoch(data); err != nil {
			return fail(exitFail, "epoch %d: %v", e, err)
		}
	}
	elapsed := time.Since(start)
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(stderr)
	}
	meter, err := rnn.EvaluateTask(m, ds, 256)
	if err != nil {
		return fail(exitFail, "evaluate: %v", err)
	}
	meta := map[string]string{
		"task": spec.Name, "epochs": strconv.Itoa(*epochs), "per_epoch": strconv.Itoa(*perEpoch),
		"batch": strconv.Itoa(*batch), "lr": strconv.FormatFloat(*lr, 'g', -1, 64),
		"decay": strconv.FormatFloat(*decay, 'g', -1, 64), "clip": strconv.FormatFloat(*clip, 'g', -1, 64),
		"seed": strconv.FormatUint(*seed, 10), "metric": describeMeter(spec, meter),
	}
	if spec.Kind == task.Regression {
		meta["rho"] = strconv.FormatFloat(*tf.rho, 'g', -1, 64)
		meta["T"] = strconv.Itoa(*tf.t)
		meta["data_seed"] = strconv.FormatUint(*tf.seed, 10)
	}
	if err := m.Save(*out, meta); err != nil {
		return fail(exitFail, "%v", err)
	}
	fmt.Fprintf(stdout, "%s %s-%d: %d epochs in %v (%.1f s per epoch), final training loss %.4f\n",
		spec.Name, *cell, *hidden, *epochs, elapsed.Round(time.Second), elapsed.Seconds()/float64(*epochs), loss)
	fmt.Fprintf(stdout, "%s\n", describeMeter(spec, meter))
	fmt.Fprintf(stdout, "saved %s (%d parameters)\n", *out, m.NumParams())
	return exitOK
}

// progressBar returns a bar drawn on w when w is a terminal, else nil: logs
// and CI get the final metrics only.
func progressBar(w io.Writer, n int64, desc string) *progressbar.ProgressBar {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions64(n,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetWidth(30),
	)
}
