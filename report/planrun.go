package report

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
	"github.com/lowrank-rnn/lowrank/rnn"
)

// A PlanRequest asks for a plan as lowrank plan and compress take it on
// their command lines, and its errors name their flags: a target
// (MaxError or Budget, a size or a time), the damage measured (Measure;
// "": the caller's default), the truncation Method, and NoJoint to leave
// the MGRU's joint truncation out.
type PlanRequest struct {
	MaxError                float64
	Budget, Measure, Method string
	NoJoint                 bool
}

// Asked reports whether a plan is asked for: a target is given.
func (r PlanRequest) Asked() bool { return r.MaxError != 0 || r.Budget != "" }

// config returns the planner's configuration, defaultMeasure standing in
// for an unset Measure.
func (r PlanRequest) config(defaultMeasure rnn.DamageMeasure) (rnn.PlanConfig, error) {
	cfg := rnn.PlanConfig{Measure: defaultMeasure, NoJoint: r.NoJoint}
	var err error
	if r.Measure != "" {
		if cfg.Measure, err = rnn.ParseMeasure(r.Measure); err != nil {
			return cfg, usageErrorf("-measure: %v", err)
		}
	}
	if cfg.Method, err = rnn.ParseMethod(r.Method); err != nil {
		return cfg, usageErrorf("-method: %v", err)
	}
	return cfg, nil
}

// target returns the request's target for m (a budget is relative to
// m's dense weights or timed on its cell).
func (r PlanRequest) target(m *rnn.Model) (rnn.Target, error) {
	switch {
	case r.MaxError != 0 && r.Budget != "":
		return rnn.Target{}, usageErrorf("give one of -max-error and -budget")
	case r.Budget != "":
		t, err := rnn.ParseBudget(r.Budget, m)
		return t, usage(err)
	}
	return rnn.Target{MaxError: r.MaxError}, nil
}

// PlanFile loads the model file's testbed (evalN held-out recall
// sequences, task data from the folder data) and plans its compression
// as r asks, without labels; the testbed then scores the plan.
func PlanFile(path string, r PlanRequest, evalN int, data string) (*rnn.PlanResult, *rnn.Testbed, error) {
	cfg, err := r.config(rnn.StateError)
	if err != nil {
		return nil, nil, err
	}
	tb, err := rnn.LoadTestbed(path, evalN, data)
	if err != nil {
		return nil, nil, err
	}
	target, err := r.target(tb.Model)
	if err != nil {
		return nil, nil, err
	}
	p, err := tb.PlanCompression(cfg, target)
	return p, tb, err
}

// A PlanValidation validates the planner (lowrank plan -models): every
// model file of Dir is planned for the thresholds of PlanThresholds, by
// the planner and the greedy baseline, each plan scored with the labels
// and, held out by task family, against the oracle of the labeled sweep
// in the file Sweep. CSV and Figures name the outputs ("": none).
type PlanValidation struct {
	Dir          string
	Request      PlanRequest // its Measure ("": the loss), Method and NoJoint
	Eval         int
	Data         string
	CSV, Figures string
	Sweep        string
	Logf         Logf
}

// Run checks the validation (a bad request is a UsageError), runs it,
// printing each model's plans to w as they are done, then scores them and
// writes the outputs named.
func (v PlanValidation) Run(w io.Writer) error {
	cfg, err := v.Request.config(rnn.MetricLoss)
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(v.Dir, "*.safetensors"))
	if err != nil || len(files) == 0 {
		return usageErrorf("no model files (*.safetensors) in %s", v.Dir)
	}
	slices.Sort(files)
	if err := cmp.Or(atomicfile.CheckOutputs([]string{v.CSV}, append(files, v.Sweep)...), atomicfile.CheckDir(v.Figures)); err != nil {
		return usage(err)
	}
	// The oracle, read before the work: a sweep file that is not one is an
	// error, a missing one leaves the plans unscored.
	swept, err := ReadSweepFile(v.Sweep)
	if err != nil && !(errors.Is(err, fs.ErrNotExist) && v.Figures == "") {
		return fmt.Errorf("the oracle: %w", err)
	}
	var targets []rnn.Target
	for _, greedy := range []bool{false, true} {
		for _, e := range PlanThresholds() {
			targets = append(targets, rnn.Target{MaxError: e, Greedy: greedy})
		}
	}
	var rows []PlanRow
	err = inOrder(files, func(path string) ([]PlanRow, error) {
		return v.plans(path, cfg, targets)
	}, func(model []PlanRow) error {
		rows = append(rows, model...)
		return WritePlanTable(w, model)
	})
	if err != nil {
		return err
	}
	if swept == nil {
		v.Logf.printf("note: the plans are not scored: no oracle in %s (lowrank sweep -csv writes it)", v.Sweep)
	}
	return v.writeOutputs(w, rows, swept)
}

// plans plans the model file for every threshold by both allocations; a
// GRU or LSTM is left out, with a note.
func (v PlanValidation) plans(path string, cfg rnn.PlanConfig, targets []rnn.Target) ([]PlanRow, error) {
	if m, _, err := rnn.Load(path); err == nil && m.Cell.Gated() {
		v.Logf.printf("note: %s: a %s model, left out: the planner is for the RNN and the MGRU", path, m.Cell)
		return nil, nil
	}
	tb, err := rnn.LoadTestbed(path, v.Eval, v.Data)
	if err != nil {
		return nil, err
	}
	p, err := tb.Planner(cfg)
	if err == nil {
		var curve []rnn.PlanPoint
		if curve, err = tb.PlanCurve(p, targets); err == nil {
			return PlanRows(strings.TrimSuffix(filepath.Base(path), ".safetensors"), tb, curve), nil
		}
	}
	return nil, fmt.Errorf("%s: %w", path, err)
}

// writeOutputs prints the held-out score against the oracle of the
// sweep's rows (none: no score) and writes the outputs named.
func (v PlanValidation) writeOutputs(w io.Writer, rows []PlanRow, swept []SweepRow) error {
	var wrote []string
	if v.CSV != "" {
		if err := WriteFile(v.CSV, func(w io.Writer) error { return WritePlanCSV(w, rows) }); err != nil {
			return err
		}
		wrote = append(wrote, v.CSV)
	}
	if swept != nil {
		tests, err := PlanTests(rows, swept, AllocSearch, PlanTargets, true)
		if err != nil {
			return err
		}
		fmt.Fprintln(w)
		if len(tests) == 0 {
			v.Logf.printf("note: no held-out test: the models are all of one task family, so no threshold is calibrated on another")
		}
		for _, s := range Score(tests, PlanTargets) {
			fmt.Fprintf(w, "held out by task family, target %g%%: %d of %d plans meet it, %d within %g× of the oracle's size\n",
				100*s.Target, s.Met, s.Tests, s.Within, MaxOracleRatio)
		}
		if v.Figures != "" && len(tests) > 0 {
			paths, err := PlanFigure(tests, PlanTargets, v.Figures)
			if err != nil {
				return err
			}
			wrote = append(wrote, paths...)
		}
	}
	writeWrote(w, wrote, "-csv and -figures write the results")
	return nil
}
