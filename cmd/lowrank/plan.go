package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
	"github.com/lowrank-rnn/lowrank/report"
	"github.com/lowrank-rnn/lowrank/rnn"
)

// planFlags are the flags that ask for a plan: a target, and what the
// planner measures. compress and plan share them; each has its -method.
type planFlags struct {
	maxError        float64
	budget, measure string
	noJoint         bool
}

func (pf *planFlags) register(fs *flag.FlagSet) {
	rnn.Bounds.MaxError.Var(fs, &pf.maxError, 0, "plan the smallest compression whose predicted damage is at most `E` (0.05: 5%)")
	fs.StringVar(&pf.budget, "budget", "", "plan the least damaging compression within `B`: bytes of recurrent weights (12288), a percentage of the dense ones (25%), or a time a step on this CPU (0.5us)")
	fs.StringVar(&pf.measure, "measure", "", "the planned `damage`: state (relative state error), output (relative readout error) or loss (label-free relative loss of the metric); default state, loss with -models")
	fs.BoolVar(&pf.noJoint, "no-joint", false, "MGRU: do not consider the joint truncation of [U_f; U_h]")
}

// asked reports whether a plan is asked for.
func (pf *planFlags) asked() bool { return pf.maxError != 0 || pf.budget != "" }

// config checks the flags and returns the planner's configuration for the
// truncation method, defaultMeasure standing in for an unset -measure.
func (pf *planFlags) config(method string, defaultMeasure rnn.DamageMeasure) (rnn.PlanConfig, error) {
	cfg := rnn.PlanConfig{Measure: defaultMeasure, NoJoint: pf.noJoint}
	var err error
	if pf.measure != "" {
		if cfg.Measure, err = rnn.ParseMeasure(pf.measure); err != nil {
			return cfg, fmt.Errorf("-measure: %v", err)
		}
	}
	if cfg.Method, err = rnn.ParseMethod(method); err != nil {
		return cfg, fmt.Errorf("-method: %v", err)
	}
	return cfg, nil
}

// target returns the target of the flags for m (-max-error is checked as
// it is parsed, -budget here).
func (pf *planFlags) target(m *rnn.Model) (rnn.Target, error) {
	switch {
	case pf.maxError != 0 && pf.budget != "":
		return rnn.Target{}, fmt.Errorf("give one of -max-error and -budget")
	case pf.budget != "":
		return rnn.ParseBudget(pf.budget, m)
	}
	return rnn.Target{MaxError: pf.maxError}, nil
}

func runPlan(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("plan", "plan -model FILE (-max-error E | -budget B) [flags] | plan -models DIR [-csv FILE] [-figures DIR]",
		"Plan chooses the ranks of a model's recurrent matrices without labels: it\n"+
			"reads the inputs of the task's held-out set, as a deployed model serves\n"+
			"them, never their labels, and plans the smallest compression whose\n"+
			"predicted damage is at most -max-error, or the least damaging within\n"+
			"-budget. It prints the plan, then the compressed model's metric measured\n"+
			"with the labels. It is a dry run: it writes nothing (lowrank compress\n"+
			"with the same flags saves the model).\n\n"+
			"With -models, it validates the planner: for every model file, the plans\n"+
			"for maximum predicted losses from 0.1% to 40%, by the planner and by the\n"+
			"greedy baseline, each scored with the labels; -csv writes them (plan.csv),\n"+
			"-figures the planned size against the oracle's from -sweep.", stderr)
	model := fs.String("model", "", "the trained model `file`")
	var pf planFlags
	pf.register(fs)
	method := fs.String("method", "whitened", "truncation `method`: whitened by the input's moments, or svd")
	var evalN int
	rnn.Bounds.Eval.Var(fs, &evalN, 1000, "held-out recall `sequences` (MNIST and the corpora: their whole held-out sets)")
	data := fs.String("data", "", "`folder` of task data (default $LOWRANK_DATA, then the module cache and GOROOT)")
	models := fs.String("models", "", "validate the planner on every model file in `directory`")
	csvPath := fs.String("csv", "", "with -models: write the plans as CSV to `file`")
	figures := fs.String("figures", "", "with -models: write the planned-size figure into `directory`")
	sweep := fs.String("sweep", "results/accuracy/sweep.csv", "with -models: the labeled sweep `file`, whose smallest configurations meeting each target are the oracle")
	if status, done := parseFlags(fs, args); done {
		return status
	}
	f := failer{"plan", stderr}
	if *models != "" {
		if *model != "" || pf.asked() {
			return f.usage("-models plans for a range of maximum errors: it takes no -model, -max-error or -budget")
		}
		return validatePlans(*models, pf, *method, evalN, *data, *csvPath, *figures, *sweep, stdout, f)
	}
	if err := unused(fs, true, "is for the validation, with -models", "csv", "figures", "sweep"); err != nil {
		return f.usage("%v", err)
	}
	if *model == "" || !pf.asked() {
		return f.usage("give -model FILE and one of -max-error and -budget (or -models DIR to validate the planner)")
	}
	r, tb, status := planModel(*model, pf, *method, evalN, *data, f)
	if r == nil {
		return status
	}
	report.WritePlan(stdout, *model, tb, r)
	fmt.Fprintf(stdout, "wrote nothing (a dry run; lowrank compress with the same flags and -o FILE saves the model)\n")
	return exitOK
}

// planModel loads the model file's testbed and plans its compression as
// the flags say. It returns a nil result and the exit status on failure.
func planModel(path string, pf planFlags, method string, evalN int, data string, f failer) (*rnn.PlanResult, *rnn.Testbed, int) {
	cfg, err := pf.config(method, rnn.StateError)
	if err != nil {
		return nil, nil, f.usage("%v", err)
	}
	tb, err := rnn.LoadTestbed(path, evalN, data)
	if err != nil {
		return nil, nil, f.fail(err)
	}
	target, err := pf.target(tb.Model)
	if err != nil {
		return nil, nil, f.usage("%v", err)
	}
	r, err := tb.PlanCompression(cfg, target)
	if err != nil {
		return nil, nil, f.fail(err)
	}
	return r, tb, exitOK
}

// validatePlans plans every model of dir for the thresholds of
// report.PlanThresholds, by both allocations, and writes what the flags
// name.
func validatePlans(dir string, pf planFlags, method string, evalN int, data, csvPath, figures, sweep string, stdout io.Writer, f failer) int {
	cfg, err := pf.config(method, rnn.MetricLoss)
	if err != nil {
		return f.usage("%v", err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if err != nil || len(files) == 0 {
		return f.usage("no model files (*.safetensors) in %s", dir)
	}
	slices.Sort(files)
	if err := cmp.Or(atomicfile.CheckOutputs([]string{csvPath}, append(files, sweep)...), atomicfile.CheckDir(figures)); err != nil {
		return f.usage("%v", err)
	}
	// The oracle, read before the work: a sweep file that is not one is an
	// error, a missing one leaves the plans unscored.
	swept, err := report.ReadSweepFile(sweep)
	if err != nil && !(errors.Is(err, fs.ErrNotExist) && figures == "") {
		return f.fail(fmt.Errorf("the oracle: %w", err))
	}
	var targets []rnn.Target
	for _, greedy := range []bool{false, true} {
		for _, e := range report.PlanThresholds() {
			targets = append(targets, rnn.Target{MaxError: e, Greedy: greedy})
		}
	}
	var rows []report.PlanRow
	err = inOrder(files, func(path string) ([]report.PlanRow, error) {
		if m, _, err := rnn.Load(path); err == nil && m.Cell.Gated() {
			f.logf("note: %s: a %s model, left out: the planner is for the RNN and the MGRU", path, m.Cell)
			return nil, nil
		}
		tb, err := rnn.LoadTestbed(path, evalN, data)
		if err != nil {
			return nil, err
		}
		p, err := tb.Planner(cfg)
		if err == nil {
			var curve []rnn.PlanPoint
			if curve, err = tb.PlanCurve(p, targets); err == nil {
				return report.PlanRows(strings.TrimSuffix(filepath.Base(path), ".safetensors"), tb, curve), nil
			}
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}, func(model []report.PlanRow) error {
		rows = append(rows, model...)
		return report.WritePlanTable(stdout, model)
	})
	if err != nil {
		return f.fail(err)
	}
	if swept == nil {
		f.logf("note: the plans are not scored: no oracle in %s (lowrank sweep -csv writes it)", sweep)
	}
	return writePlanOutputs(rows, csvPath, figures, swept, stdout, f)
}

// writePlanOutputs prints the held-out score against the oracle of the
// sweep's rows (none: no score) and writes what the flags name.
func writePlanOutputs(rows []report.PlanRow, csvPath, figures string, swept []report.SweepRow, stdout io.Writer, f failer) int {
	var wrote []string
	if csvPath != "" {
		if err := report.WriteFile(csvPath, func(w io.Writer) error { return report.WritePlanCSV(w, rows) }); err != nil {
			return f.fail(err)
		}
		wrote = append(wrote, csvPath)
	}
	if swept != nil {
		tests, err := report.PlanTests(rows, swept, report.AllocSearch, report.PlanTargets, true)
		if err != nil {
			return f.fail(err)
		}
		fmt.Fprintln(stdout)
		if len(tests) == 0 {
			f.logf("note: no held-out test: the models are all of one task family, so no threshold is calibrated on another")
		}
		for _, s := range report.Score(tests, report.PlanTargets) {
			fmt.Fprintf(stdout, "held out by task family, target %g%%: %d of %d plans meet it, %d within %g× of the oracle's size\n",
				100*s.Target, s.Met, s.Tests, s.Within, report.MaxOracleRatio)
		}
		if figures != "" && len(tests) > 0 {
			paths, err := report.PlanFigure(tests, report.PlanTargets, figures)
			if err != nil {
				return f.fail(err)
			}
			wrote = append(wrote, paths...)
		}
	}
	if len(wrote) == 0 {
		fmt.Fprintf(stdout, "wrote nothing (-csv and -figures write the results; make results writes results/)\n")
		return exitOK
	}
	fmt.Fprintf(stdout, "wrote %s\n", strings.Join(wrote, ", "))
	return exitOK
}
