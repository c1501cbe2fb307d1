package report

import (
	"fmt"
	"io"
	"strconv"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/rnn"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// SweepRow is one model at one rank of the rank sweep: the model and its
// task, and what compressing it to that rank costs.
type SweepRow struct {
	Model     string // file name without extension, e.g. recall-rho0.9-mgru-128
	Task      string // task name (task.Spec.Name), e.g. recall(rho=0.9,K=64)
	Coherence task.Coherence
	Cell      rnn.Cell
	Hidden    int
	// EvalSeqs are the held-out sequences (MNIST images, text windows) the
	// metric is computed on, ProbeSeqs those of the probe batch the state
	// errors are measured and predicted on.
	EvalSeqs, ProbeSeqs int
	MetricName          string // rnn.MetricName of the task: accuracy, MC, bits/char
	rnn.Damage
}

// SweepRows returns the rows of one model's sweep (rnn.Testbed.Sweep).
func SweepRows(model string, tb *rnn.Testbed, damage []rnn.Damage) []SweepRow {
	eval := 0
	for _, b := range tb.Eval {
		eval += b.B
	}
	rows := make([]SweepRow, len(damage))
	for i, d := range damage {
		rows[i] = SweepRow{Model: model, Task: tb.Spec.Name, Coherence: tb.Spec.Coherence, Cell: tb.Model.Cell,
			Hidden: tb.Model.Hidden, EvalSeqs: eval, ProbeSeqs: tb.Probe.B, MetricName: rnn.MetricName(tb.Spec), Damage: d}
	}
	return rows
}

// formatG is the precision of measured values in sweep.csv.
func formatG(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// sweepFloat is a column of a measured value.
func sweepFloat(name string, field func(*SweepRow) *float64) column[SweepRow] {
	return column[SweepRow]{name, func(r *SweepRow) string { return formatG(*field(r)) }, set(parseFloat, field)}
}

// sweepColumns is sweep.csv: deterministic columns only (the step times
// of a sweep are per machine: bench.Timings files under results/<cpu>/).
var sweepColumns = []column[SweepRow]{
	{"model", func(r *SweepRow) string { return r.Model }, set(nonEmpty, func(r *SweepRow) *string { return &r.Model })},
	{"task", func(r *SweepRow) string { return r.Task }, set(nonEmpty, func(r *SweepRow) *string { return &r.Task })},
	{"family", func(r *SweepRow) string { return r.Coherence.Family }, set(anyText, func(r *SweepRow) *string { return &r.Coherence.Family })},
	{"level", func(r *SweepRow) string { return r.Coherence.Level }, set(anyText, func(r *SweepRow) *string { return &r.Coherence.Level })},
	{"coherence", func(r *SweepRow) string { return strconv.FormatFloat(r.Coherence.Order, 'g', -1, 64) },
		set(parseFloat, func(r *SweepRow) *float64 { return &r.Coherence.Order })},
	{"cell", func(r *SweepRow) string { return string(r.Cell) }, set(parseCell, func(r *SweepRow) *rnn.Cell { return &r.Cell })},
	{"hidden", func(r *SweepRow) string { return strconv.Itoa(r.Hidden) }, set(parseInt, func(r *SweepRow) *int { return &r.Hidden })},
	{"eval_sequences", func(r *SweepRow) string { return strconv.Itoa(r.EvalSeqs) }, set(parseInt, func(r *SweepRow) *int { return &r.EvalSeqs })},
	{"probe_sequences", func(r *SweepRow) string { return strconv.Itoa(r.ProbeSeqs) }, set(parseInt, func(r *SweepRow) *int { return &r.ProbeSeqs })},
	{"method", func(r *SweepRow) string { return string(r.Method) }, set(parseMethod, func(r *SweepRow) *rnn.Method { return &r.Method })},
	{"joint", func(r *SweepRow) string { return strconv.FormatBool(r.Joint) }, set(strconv.ParseBool, func(r *SweepRow) *bool { return &r.Joint })},
	{"precision", func(r *SweepRow) string { return string(r.Precision) }, set(rnn.ParsePrecision, func(r *SweepRow) *rnn.Precision { return &r.Precision })},
	{"rank", func(r *SweepRow) string { return r.Rank.String() }, set(parseRank, func(r *SweepRow) *rnn.Rank { return &r.Rank })},
	{"params", func(r *SweepRow) string { return strconv.Itoa(r.Params) }, set(parseInt, func(r *SweepRow) *int { return &r.Params })},
	{"bytes", func(r *SweepRow) string { return strconv.Itoa(r.Bytes) }, set(parseInt, func(r *SweepRow) *int { return &r.Bytes })},
	{"mul_adds", func(r *SweepRow) string { return strconv.Itoa(r.MulAdds) }, set(parseInt, func(r *SweepRow) *int { return &r.MulAdds })},
	{"metric_name", func(r *SweepRow) string { return r.MetricName }, set(nonEmpty, func(r *SweepRow) *string { return &r.MetricName })},
	sweepFloat("metric", func(r *SweepRow) *float64 { return &r.Metric }),
	{"metric_se", func(r *SweepRow) string { return formatG(r.MetricSE) }, set(parseSE, func(r *SweepRow) *float64 { return &r.MetricSE })},
	sweepFloat("metric_rel", func(r *SweepRow) *float64 { return &r.MetricRel }),
	sweepFloat("relerr", func(r *SweepRow) *float64 { return &r.RelErr }),
	sweepFloat("relerr_predicted", func(r *SweepRow) *float64 { return &r.Predicted }),
	sweepFloat("relerr_tangent", func(r *SweepRow) *float64 { return &r.Tangent }),
	sweepFloat("out_relerr", func(r *SweepRow) *float64 { return &r.OutRelErr }),
	sweepFloat("out_relerr_predicted", func(r *SweepRow) *float64 { return &r.OutPredicted }),
	sweepFloat("out_relerr_tangent", func(r *SweepRow) *float64 { return &r.OutTangent }),
	sweepFloat("calib_err", func(r *SweepRow) *float64 { return &r.CalibErr }),
}

// parseSE reads a standard error: a number ≥ 0, or NaN where the
// held-out set had too few sequences to estimate one (rnn.Damage.MetricSE).
func parseSE(s string) (float64, error) {
	v, err := parseFloat(s)
	if err == nil && v < 0 {
		err = fmt.Errorf("%s is negative: a standard error is ≥ 0 (or NaN, unknown)", s)
	}
	return v, err
}

// anyText accepts every value, the empty string included.
func anyText(s string) (string, error) { return s, nil }

// WriteSweepCSV writes rows as sweep.csv.
func WriteSweepCSV(w io.Writer, rows []SweepRow) error { return writeCSV(w, sweepColumns, rows) }

// ReadSweepCSV reads what WriteSweepCSV wrote. It fails on a header that is
// not sweep.csv's, a field that does not parse, and a row whose method
// does not fit its rank (none for the uncompressed model, one otherwise).
func ReadSweepCSV(r io.Reader) ([]SweepRow, error) {
	rows, err := readCSV(r, sweepColumns)
	if err != nil {
		return nil, err
	}
	for i, row := range rows {
		if (row.Rank == rnn.Full) != (row.Method == "") {
			return nil, fmt.Errorf("line %d: rank %s with method %q: the uncompressed model (full) has no method, a truncation one",
				i+2, row.Rank, row.Method)
		}
	}
	return rows, nil
}

// F32Rows returns the rows whose recurrent weights are float32: the rank
// sweep proper, which the figures and claims of the study are about.
func F32Rows(rows []SweepRow) []SweepRow {
	var out []SweepRow
	for _, r := range rows {
		if r.Precision == rnn.F32 {
			out = append(out, r)
		}
	}
	return out
}

// ReadSweepFile reads a sweep.csv file.
func ReadSweepFile(path string) ([]SweepRow, error) { return readFile(path, ReadSweepCSV) }

// SweepOutputs are the files lowrank sweep writes, each only when named:
// the table's deterministic columns (CSV), this machine's step or product
// times (Times, bench's timings format) and the figures (a directory).
type SweepOutputs struct{ CSV, Times, Figures string }

// Write writes the outputs named, rows and methods for the CSV and the
// figures and times for the times file, and returns the paths written.
func (o SweepOutputs) Write(rows []SweepRow, methods []rnn.Method, times []*bench.Timings) ([]string, error) {
	var wrote []string
	if o.CSV != "" {
		if err := WriteFile(o.CSV, func(w io.Writer) error { return WriteSweepCSV(w, rows) }); err != nil {
			return wrote, err
		}
		wrote = append(wrote, o.CSV)
	}
	if o.Times != "" {
		if err := WriteFile(o.Times, func(w io.Writer) error { return bench.WriteTimings(w, times...) }); err != nil {
			return wrote, err
		}
		wrote = append(wrote, o.Times)
	}
	if o.Figures != "" {
		paths, err := SweepFigures(rows, methods, o.Figures)
		if err != nil {
			return wrote, fmt.Errorf("figures: %v", err)
		}
		wrote = append(wrote, paths...)
	}
	return wrote, nil
}
