package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
	"github.com/lowrank-rnn/lowrank/internal/cli"
	"github.com/lowrank-rnn/lowrank/report"
	"github.com/lowrank-rnn/lowrank/rnn"
)

// memoryFlags are lowrank memory's flags.
type memoryFlags struct {
	cell, net, model, method, csv string
	ridgeCSV, figures             string
	hidden                        int
	radius                        float64
	seed                          uint64
	rhos                          rnn.Rhos
	ranks                         rnn.Ranks
	cfg                           rnn.MemoryConfig
	joint, linear                 bool
}

func runMemory(args []string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("memory", "memory [flags]",
		"Memory runs the noiseless memorization experiment: a network with one input\n"+
			"is driven by noiseless AR(1) input u_t (coefficient ρ); ridge readouts of\n"+
			"u_{t−k}, k = 1..K, from the state are fitted on a training run, their\n"+
			"penalty chosen on a validation run, and scored by R²(k) on independent\n"+
			"test runs: the memory capacity MC = Σ_k max(R²(k), 0) is their mean ± 95%.\n"+
			"Per ρ and rank (truncated, no fine-tuning) it scores the fixed readout\n"+
			"(fitted on the uncompressed network), the refitted one and, with -model,\n"+
			"the model's own; a linear network checks the theory (MC ≤ r + 1).", stderr)
	var mf memoryFlags
	fs.StringVar(&mf.cell, "cell", "rnn", "untrained network: `cell` rnn or mgru")
	rnn.Bounds.Hidden.Var(fs, &mf.hidden, 128, "untrained network: state size n")
	fs.StringVar(&mf.net, "net", "random", "`kind` of the untrained and linear networks' recurrent matrices: random (Gaussian) or orthogonal")
	rnn.Bounds.Radius.Var(fs, &mf.radius, 0.9, "spectral radius of the untrained and linear networks' recurrent matrices")
	fs.Uint64Var(&mf.seed, "seed", 1, "seed of the untrained and linear networks")
	fs.StringVar(&mf.model, "model", "", "trained model `file` with one input (default: an untrained network)")
	mf.rhos = rnn.Rhos{0, 0.5, 0.9, 0.99}
	fs.Var(&mf.rhos, "rho", "comma-separated AR(1) `coefficients` ρ of the input, each in [0, 1)")
	mf.ranks, _ = rnn.ParseRanks("2,4,8,16,32,64,full")
	fs.Var(&mf.ranks, "ranks", "comma-separated `ranks`; full is the uncompressed network; ranks ≥ n are skipped (default 2,4,8,16,32,64,full)")
	rnn.Bounds.K.Var(fs, &mf.cfg.K, 64, "largest delay K")
	rnn.Bounds.Steps.Var(fs, &mf.cfg.Steps, 10000, "steps per run (a training, a validation and each test run per network and ρ)")
	rnn.Bounds.Washout.Var(fs, &mf.cfg.Washout, 0, "leading `steps` of each run not used (default max(K, min(500, steps/4)))")
	rnn.Bounds.Lambda.Var(fs, &mf.cfg.Lambda, 0, "ridge penalty relative to the mean state variance (0: chosen per readout on the validation run)")
	rnn.Bounds.Runs.Var(fs, &mf.cfg.Runs, 8, "independent test runs each MC is averaged over")
	fs.Uint64Var(&mf.cfg.Seed, "data-seed", 1, "seed of the inputs")
	fs.StringVar(&mf.method, "method", "svd", "truncation `method`: svd or whitened (calibrated on the training run)")
	fs.BoolVar(&mf.joint, "joint", false, "MGRU: truncate [U_f; U_h] as one matrix (shared right factor); GRU, LSTM: the stacked gates")
	fs.BoolVar(&mf.linear, "linear", true, "also run the linear network check")
	fs.StringVar(&mf.csv, "csv", "", "also write the memory curves as CSV to `file` (one row per network, ρ, rank and delay k)")
	fs.StringVar(&mf.ridgeCSV, "ridge-csv", "", "linear check: also write MC against λ for float64 and float32 states and regressions as CSV to `file`")
	fs.StringVar(&mf.figures, "figures", "", "with -ridge-csv: draw MC against λ into `folder` (ridge-<net>.svg and .png)")
	if status, done := cli.ParseFlags(fs, args); done {
		return status
	}
	f := failer{"memory", stderr}
	if err := cmp.Or(mf.check(), atomicfile.CheckOutputs([]string{mf.csv, mf.ridgeCSV}, mf.model),
		cli.Unused(fs, mf.model != "", "describes an untrained network: -model gives the network", "cell", "hidden"),
		cli.Unused(fs, mf.model != "" && !mf.linear, "describes the untrained and linear networks: with -model and -linear=false there are none", "net", "radius", "seed")); err != nil {
		return f.usage("%v", err)
	}
	var trained *rnn.Model
	var meta map[string]string
	var err error
	if mf.model != "" {
		if trained, meta, err = rnn.Load(mf.model); err != nil {
			return f.fail(err)
		}
	}
	ref, name, origin, err := mf.network(trained, meta)
	if err != nil {
		return f.usage("%v", err)
	}
	return mf.run(ref, name, origin, stdout, stderr)
}

// check checks the flags that do not depend on the network.
func (mf *memoryFlags) check() error {
	switch {
	case !slices.Contains([]rnn.Method{rnn.SVD, rnn.Whitened}, rnn.Method(mf.method)):
		return fmt.Errorf("-method %q: want svd or whitened", mf.method)
	case mf.net != "random" && mf.net != "orthogonal":
		return fmt.Errorf("-net %q: want random or orthogonal", mf.net)
	case (mf.ridgeCSV != "" || mf.figures != "") && (!mf.linear || mf.ridgeCSV == ""):
		return errors.New("-ridge-csv measures the linear check's estimator and -figures draws it: both need the linear check, -figures needs -ridge-csv")
	}
	return nil
}

// network returns the network the flags name (m, the trained model, if
// there is one), its name for the CSV and a description.
func (mf *memoryFlags) network(m *rnn.Model, meta map[string]string) (ref *rnn.Model, name, origin string, err error) {
	if m == nil {
		if err = rnn.CheckMemory(mf.cfg.Steps, mf.hidden); err == nil { // before a large network takes minutes to make
			ref, err = rnn.RandomReservoir(rnn.Cell(mf.cell), mf.hidden, mf.radius, mf.net == "orthogonal", mf.seed)
		}
		if err != nil {
			return nil, "", "", err
		}
		return ref, fmt.Sprintf("%s-%d-%s", ref.Cell, ref.Hidden, mf.net), fmt.Sprintf("untrained %s-%d, %s recurrent matrices of spectral radius %g, seed %d",
			ref.Cell, ref.Hidden, mf.net, mf.radius, mf.seed), nil
	}
	if m.In != 1 {
		return nil, "", "", fmt.Errorf("%s has %d inputs; the memorization experiment drives one (train a recall model)", mf.model, m.In)
	}
	origin = fmt.Sprintf("trained model %s (%s-%d", mf.model, m.Cell, m.Hidden)
	if t := meta["task"]; t != "" {
		origin += ", " + t
	}
	return m, strings.TrimSuffix(filepath.Base(mf.model), filepath.Ext(mf.model)), origin + ")", nil
}

// run measures the network and its truncations, prints them and writes
// the CSV.
func (mf *memoryFlags) run(ref *rnn.Model, name, origin string, stdout, stderr io.Writer) int {
	f := failer{"memory", stderr}
	n := ref.Hidden
	ranks, skipped := mf.ranks.For(n)
	for _, r := range skipped {
		f.logf("note: skipping rank %s ≥ n = %d", r, n)
	}
	mf.cfg.Task = ref.Objective == rnn.Regression && mf.model != ""
	taskOut := map[bool]int{true: ref.Out}[mf.cfg.Task]
	cfg, err := mf.cfg.Resolve(taskOut)
	err = cmp.Or(err, rnn.CheckMemory(cfg.Steps, n)) // before any state is allocated
	switch {
	case len(ranks) == 0:
		return f.usage("no rank of -ranks %s is below n = %d", mf.ranks, n)
	case mf.joint && ref.Cell != rnn.MGRU && !ref.Cell.Gated():
		return f.usage("-joint truncates the MGRU's [U_f; U_h] or the GRU's and LSTM's stacked gates; the network is an %s", ref.Cell)
	case err != nil:
		return f.usage("%v", err)
	}
	start := time.Now()
	sc := rnn.MemorySweepConfig{Rhos: mf.rhos, Ranks: ranks, Memory: cfg, Method: rnn.Method(mf.method), Joint: mf.joint}
	fmt.Fprintf(stdout, "lowrank memory  %s\n%s\n\n", origin, report.DescribeMemorySweep(sc))
	rows, err := rnn.MemorySweep(ref, sc)
	if err != nil {
		return f.fail(err)
	}
	if err := report.WriteMemoryTable(stdout, rows, cfg.K, cfg.Task, ref.Out); err != nil {
		return f.fail(err)
	}
	out := report.NetworkMemoryRows(name, rows)
	if mf.linear {
		lin, err := mf.linearCheck(n, ranks, cfg, stdout)
		if err != nil {
			return f.fail(err)
		}
		out = append(out, lin...)
	}
	fmt.Fprintf(stdout, "(%.1f s)\n", time.Since(start).Seconds())
	if mf.csv != "" {
		if err := report.WriteFile(mf.csv, func(w io.Writer) error { return report.WriteMemoryCSV(w, out) }); err != nil {
			return f.fail(err)
		}
	}
	return exitOK
}

// linearCheck runs and prints the linear network check and its estimator paths.
func (mf *memoryFlags) linearCheck(n int, ranks rnn.Ranks, cfg rnn.MemoryConfig, stdout io.Writer) ([]report.MemoryRow, error) {
	fmt.Fprintf(stdout, "\nLinear network x_t = A x_{t−1} + v u_t, n = %d, A %s of spectral radius %g, white input:\n\n", n, mf.net, mf.radius)
	lin, err := rnn.LinearMemorySweep(n, mf.radius, mf.net == "orthogonal", mf.seed, ranks, cfg)
	if err == nil {
		err = report.WriteLinearTable(stdout, lin)
	}
	name := fmt.Sprintf("linear-%d-%s", n, mf.net)
	rows := report.LinearMemoryRows(name, lin)
	if err == nil && mf.ridgeCSV != "" {
		var pts []rnn.RidgePoint
		if pts, err = rnn.LinearRidgePaths(n, mf.radius, mf.net == "orthogonal", mf.seed, ranks, cfg); err == nil {
			err = report.WriteRidge(mf.ridgeCSV, mf.figures, report.RidgeRows(name, pts), rows)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("linear network: %v", err)
	}
	return rows, nil
}
