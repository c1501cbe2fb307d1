// Package report turns lowrank's measurements into the tables, figures and
// REPORT.md under results/: the rank sweep of the default models, and the
// figures that test the study's claims. It only formats; the measuring is
// done by packages rnn and bench.
package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// SweepRow is one model at one rank.
type SweepRow struct {
	Model  string // file name without extension, e.g. recall-rho0.9-mgru-128
	Task   string // task name, e.g. recall(rho=0.9,K=64)
	Cell   string
	Hidden int
	Method string // svd, whitened; "" for the uncompressed model
	Rank   int    // 0: uncompressed
	// Params and MulAdds count the recurrent weights and the recurrent
	// multiply-adds of one step.
	Params, MulAdds int
	// StepNs and Speedup are the fused step's time on each target and its
	// speedup over the dense step on the same target, in Targets order.
	Targets []string
	StepNs  []float64
	Speedup []float64
	// Metric is the task metric (MetricName), MetricRel its ratio to the
	// uncompressed model's.
	MetricName string
	Metric     float64
	MetricRel  float64
	// Relative hidden-state and output errors, measured and predicted by
	// the first-order perturbation model.
	RelErr, Predicted       float64
	OutRelErr, OutPredicted float64
	// CalibErr is the relative error of the recurrent products on the
	// calibration states (what whitened truncation minimises).
	CalibErr float64
}

// Coherence returns the coherence group and level of a row's task, for the
// figures: recall by ρ, MNIST rows against pixels in a fixed random order,
// English against the digits of π. ok is false for other tasks.
func (r SweepRow) Coherence() (group, level string, order int, ok bool) {
	switch {
	case strings.HasPrefix(r.Task, "recall(rho="):
		rho := strings.TrimPrefix(r.Task, "recall(rho=")
		rho = rho[:strings.IndexAny(rho, ",)")]
		v, _ := strconv.ParseFloat(rho, 64)
		return "recall", "ρ = " + rho, int(1000 * v), true
	case r.Task == "seqmnist":
		return "seqmnist", "rows in order", 1, true
	case r.Task == "seqmnist-perm":
		return "seqmnist", "pixels permuted", 0, true
	case r.Task == "text-opticks":
		return "text", "Opticks (English)", 1, true
	case r.Task == "text-pi":
		return "text", "digits of π", 0, true
	}
	return "", "", 0, false
}

var sweepHeader = []string{"model", "task", "cell", "hidden", "method", "rank", "params", "mul_adds"}

// WriteSweepCSV writes rows as CSV, one column per target for the step time
// and the speedup.
func WriteSweepCSV(w io.Writer, rows []SweepRow) error {
	cw := csv.NewWriter(w)
	var targets []string
	if len(rows) > 0 {
		targets = rows[0].Targets
	}
	head := append([]string(nil), sweepHeader...)
	for _, t := range targets {
		head = append(head, t+"_step_ns", t+"_speedup")
	}
	head = append(head, "metric_name", "metric", "metric_rel", "relerr", "relerr_predicted", "out_relerr", "out_relerr_predicted", "calib_err")
	if err := cw.Write(head); err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, r := range rows {
		rec := []string{r.Model, r.Task, r.Cell, strconv.Itoa(r.Hidden), r.Method, strconv.Itoa(r.Rank),
			strconv.Itoa(r.Params), strconv.Itoa(r.MulAdds)}
		for i := range targets {
			rec = append(rec, strconv.FormatFloat(r.StepNs[i], 'f', 1, 64), strconv.FormatFloat(r.Speedup[i], 'f', 3, 64))
		}
		rec = append(rec, r.MetricName, f(r.Metric), f(r.MetricRel), f(r.RelErr), f(r.Predicted), f(r.OutRelErr), f(r.OutPredicted), f(r.CalibErr))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadSweepCSV reads what WriteSweepCSV wrote.
func ReadSweepCSV(r io.Reader) ([]SweepRow, error) {
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("report: empty sweep CSV")
	}
	head := recs[0]
	if len(head) < len(sweepHeader)+8 || (len(head)-len(sweepHeader)-8)%2 != 0 {
		return nil, fmt.Errorf("report: sweep CSV header has %d columns", len(head))
	}
	nt := (len(head) - len(sweepHeader) - 8) / 2
	var targets []string
	for i := 0; i < nt; i++ {
		targets = append(targets, strings.TrimSuffix(head[len(sweepHeader)+2*i], "_step_ns"))
	}
	var rows []SweepRow
	for ln, rec := range recs[1:] {
		if len(rec) != len(head) {
			return nil, fmt.Errorf("report: sweep CSV line %d has %d fields, want %d", ln+2, len(rec), len(head))
		}
		var errs []error
		num := func(s string) float64 {
			v, err := strconv.ParseFloat(s, 64)
			errs = append(errs, err)
			return v
		}
		in := func(s string) int {
			v, err := strconv.Atoi(s)
			errs = append(errs, err)
			return v
		}
		r := SweepRow{Model: rec[0], Task: rec[1], Cell: rec[2], Hidden: in(rec[3]), Method: rec[4], Rank: in(rec[5]),
			Params: in(rec[6]), MulAdds: in(rec[7]), Targets: targets}
		k := len(sweepHeader)
		for i := 0; i < nt; i++ {
			r.StepNs = append(r.StepNs, num(rec[k+2*i]))
			r.Speedup = append(r.Speedup, num(rec[k+2*i+1]))
		}
		k += 2 * nt
		r.MetricName = rec[k]
		r.Metric, r.MetricRel = num(rec[k+1]), num(rec[k+2])
		r.RelErr, r.Predicted = num(rec[k+3]), num(rec[k+4])
		r.OutRelErr, r.OutPredicted = num(rec[k+5]), num(rec[k+6])
		r.CalibErr = num(rec[k+7])
		for _, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("report: sweep CSV line %d: %v", ln+2, err)
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// ReadSweepFile reads a sweep CSV file.
func ReadSweepFile(path string) ([]SweepRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := ReadSweepCSV(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

// WriteSweepFile writes rows to path, creating its directory.
func WriteSweepFile(path string, rows []SweepRow) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteSweepCSV(f, rows); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}
