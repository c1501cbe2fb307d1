package main

import (
	"io"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/internal/cli"
	"github.com/lowrank-rnn/lowrank/report"
	"github.com/lowrank-rnn/lowrank/rnn"
)

func runSweep(args []string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("sweep", "sweep [flags]",
		"Sweep is the main job. For every model file in -models (the committed\n"+
			"default models), it compresses the recurrent weights to each rank by\n"+
			"truncated SVD, plain and whitened by the hidden states, and stores the\n"+
			"weights in each precision (float32, bf16, int8; the dense model too),\n"+
			"without fine-tuning, and prints per rank and precision: the recurrent\n"+
			"parameters, bytes and multiply-adds of a step, the float32 fused step's\n"+
			"time on each kernels target and its speedup over the dense step, the\n"+
			"task metric and the fraction of it kept, and the relative hidden-state\n"+
			"error measured and predicted by the first-order perturbation model. The\n"+
			"models are swept in parallel, one per CPU, and timed one at a time\n"+
			"afterwards. It writes nothing unless asked:\n"+
			"-csv the table's deterministic columns (results/accuracy/sweep.csv),\n"+
			"-times this machine's step times (results/<cpu>/sweep.txt, benchstat\n"+
			"reads it), -figures the coherence figures; make results writes all three.\n\n"+
			"With -n, it only times y = W·x for a random n×n matrix W, dense and at\n"+
			"each rank, on each target, beside the theoretical speedup n/(2r).\n"+
			"Times are medians of -samples samples of at least -time each; speedups\n"+
			"are medians of the ratios of samples taken back to back.", stderr)
	var c report.Sweep
	rnn.Bounds.N.Var(fs, &c.N, 0, "time products of a random `n`×n matrix only (no models)")
	fs.Var(&c.Ranks, "ranks", "comma-separated `ranks`; the dense step (full) always comes first, ranks ≥ n are skipped (default 8,16,32,64,128 with -n; 4,8,16,32,64,96,112,120,124 for models)")
	targets := fs.String("targets", "", "comma-separated kernels `targets` (default: all available)")
	rnn.Bounds.Samples.Var(fs, &c.Samples, 0, "timed samples per product (the median is reported; default 7 with -n, 5 for models)")
	fs.DurationVar(&c.MinTime, "time", 0, "minimum `duration` of one sample (default 100ms with -n, 10ms for models)")
	fs.StringVar(&c.Outputs.CSV, "csv", "", "models: write the table's deterministic columns as CSV to `file`")
	fs.StringVar(&c.Outputs.Times, "times", "", "write the step (or product) times to `file`, in the Go benchmark format")
	fs.StringVar(&c.Dir, "models", "results/models", "`directory` of model files (*.safetensors) to sweep")
	methods := fs.String("methods", "svd,whitened", "truncation `methods`: svd, whitened")
	c.Precisions = rnn.Precisions(rnn.AllPrecisions)
	fs.Var(&c.Precisions, "precisions", "`precisions` of the recurrent weights: f32, bf16, int8 (or bits: 32,16,8)")
	rnn.Bounds.Eval.Var(fs, &c.Eval, 1000, "held-out recall `sequences` each metric is computed on (MNIST and the corpora: their whole held-out sets)")
	fs.StringVar(&c.Outputs.Figures, "figures", "", "write the figures (coherence, retention, perturbation) into `directory`")
	fs.StringVar(&c.Data, "data", "", "`folder` of task data (default $LOWRANK_DATA, then the module cache and GOROOT)")
	if status, done := cli.ParseFlags(fs, args); done {
		return status
	}
	f := failer{"sweep", stderr}
	set := cli.FlagsSet(fs)
	if set["time"] && c.MinTime <= 0 {
		return f.usage("-time %v: want a positive duration such as 10ms", c.MinTime)
	}
	if err := cli.Unused(fs, set["n"], "is for the model sweep, not -n's products (-times writes their times)", "models", "methods", "precisions", "eval", "data", "csv", "figures"); err != nil {
		return f.usage("%v", err)
	}
	var err error
	if c.Targets, err = bench.ParseFloatTargets(*targets); err != nil {
		return f.usage("-targets: %v", err)
	}
	if c.Methods, err = rnn.ParseMethods(*methods); err != nil {
		return f.usage("-methods %q: %v", *methods, err)
	}
	c.Logf = f.logf
	return f.status(c.Run(stdout))
}
