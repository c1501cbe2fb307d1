package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/rnn"
)

// The text tables lowrank prints on a terminal.

// table writes rows of cells, right-aligned, the first row the header.
func table(w io.Writer, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', tabwriter.AlignRight)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t")+"\t")
	}
	return tw.Flush()
}

// WriteSweepTable writes one model's sweep, headed by the model and its
// task: per method and rank the recurrent weights and multiply-adds, the
// fused step's time and speedup on each target of t (the timings of the
// model's cell and size, bench.StepOps), the metric and the fraction
// kept, and the relative state error measured, predicted (first-order
// model) and predicted by the tangent model.
func WriteSweepTable(w io.Writer, rows []SweepRow, t *bench.Timings) error {
	r0 := rows[0]
	fmt.Fprintf(w, "\n%s  (%s, %s-%d, %s)\n", r0.Model, r0.Task, r0.Cell, r0.Hidden, r0.MetricName)
	head := []string{"method", "rank", "weights", "params", "bytes", "mul-adds"}
	for _, target := range t.Targets {
		head = append(head, target+" ns", "speedup")
	}
	cells := [][]string{append(head, r0.MetricName+"±SE", "kept±SE", "state err", "predicted", "tangent")}
	var base SweepRow // the uncompressed model, the fraction kept's reference
	for _, r := range rows {
		if r.Rank == rnn.Full && r.Method == "" && r.Precision == rnn.F32 {
			base = r
		}
	}
	for _, r := range rows {
		op := t.Op(bench.StepName(string(r.Cell), r.Hidden, r.Rank.String()))
		if op < 0 {
			return fmt.Errorf("report: no step times of %s-%d at rank %s", r.Cell, r.Hidden, r.Rank)
		}
		method := string(r.Method)
		if r.Rank == rnn.Full {
			method = "-"
		}
		times := t.Cells(op)
		if r.Precision != rnn.F32 { // the sweep times the float32 steps only: lowrank bench times the rest
			for i := range times {
				times[i] = "-"
			}
		}
		row := append([]string{method, r.Rank.String(), string(r.Precision), strconv.Itoa(r.Params), strconv.Itoa(r.Bytes), strconv.Itoa(r.MulAdds)}, times...)
		cells = append(cells, append(row, formatMetricSE(r), formatKept(r, base),
			fmt.Sprintf("%.3g", r.RelErr), fmt.Sprintf("%.3g", r.Predicted), fmt.Sprintf("%.3g", r.Tangent)))
	}
	return table(w, cells)
}

// WriteMemoryTable writes a memorization sweep: per ρ and rank the
// recurrent weights, the fixed and refitted capacities with their 95%
// confidence intervals and the refitted readout's ridge penalty, and with
// task the model's own readout's (outputs of them), then what the columns
// mean and the capacity of the input alone.
func WriteMemoryTable(w io.Writer, rows []rnn.MemoryRow, K int, task bool, outputs int) error {
	head := []string{"rho", "rank", "rec-params", "MC-fixed", "MC-refit", "λ-refit"}
	if task {
		head = append(head, "task-MC", "task-R²(1)", "task-R²(K)")
	}
	cells := [][]string{head}
	var rhos []float64
	for _, r := range rows {
		res := r.Result
		row := []string{strconv.FormatFloat(r.Rho, 'g', -1, 64), r.Rank.String(), strconv.Itoa(r.Params),
			mcCell(res.Fixed), mcCell(res.Refit), formatLambda(res.Refit.Lambda)}
		if task {
			row = append(row, mcCell(res.Task), fmt.Sprintf("%.3f", res.Task.Curve[0]), fmt.Sprintf("%.3f", res.Task.Curve[len(res.Task.Curve)-1]))
		}
		cells = append(cells, row)
		if !slices.Contains(rhos, r.Rho) {
			rhos = append(rhos, r.Rho)
		}
	}
	if err := table(w, cells); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nMC: capacity Σ_k max(R²(k), 0), k = 1..%d, mean ± 95%% interval over the test runs. fixed: readout fitted on the uncompressed network; refit: on the compressed one", K)
	if len(rows) > 0 {
		fmt.Fprintf(w, " (%d test runs; the fixed readout's λ at ρ = %g: %s)", rows[0].Result.Runs, rows[0].Rho, formatLambda(rows[0].Result.Fixed.Lambda))
	}
	fmt.Fprint(w, ".\n")
	if task {
		fmt.Fprintf(w, "task: the model's own readout, output j scored as u_{t−1−j} (%d outputs).\n", outputs)
	}
	var base []string
	for _, rho := range rhos {
		base = append(base, fmt.Sprintf("ρ = %g: %.2f", rho, rnn.MemorylessCapacity(rho, K)))
	}
	_, err := fmt.Fprintf(w, "Memoryless baseline (u_t alone, Σ_k ρ^{2k}): %s.\n", strings.Join(base, ", "))
	return err
}

// mcCell is a capacity and its 95% interval as one table cell, 26.21±0.05.
func mcCell(c rnn.Capacity) string { return fmt.Sprintf("%.2f±%.2f", c.MC, c.CI) }

// DescribeMemorySweep says in a line how a memorization sweep measures
// (its Memory has the defaults filled in: MemoryConfig.Resolve).
func DescribeMemorySweep(sc rnn.MemorySweepConfig) string {
	c := sc.Memory
	lambda := "chosen per readout on the validation run"
	if c.Lambda > 0 {
		lambda = fmt.Sprintf("%g", c.Lambda)
	}
	s := fmt.Sprintf("K = %d delays; %d steps per run (washout %d): a training run, a validation run and %d test runs, independent; "+
		"ridge λ (× mean state variance) %s; %s truncation", c.K, c.Steps, c.Washout, c.Runs, lambda, sc.Method)
	if sc.Joint {
		s += " (joint: the gates' recurrent matrices share V)"
	}
	return s
}

// WriteLinearTable writes the linear network check: per rank the capacity
// measured (with its 95% interval and ridge penalty) and from theory
// against the bound, then what they mean.
func WriteLinearTable(w io.Writer, rows []rnn.LinearRow) error {
	cells := [][]string{{"rank", "MC-measured", "λ", "MC-theory", "bound", "MC ≤ bound"}}
	for _, r := range rows {
		if r.Curve == nil {
			cells = append(cells, []string{r.Rank.String(), "-", "-", "-", strconv.Itoa(r.Bound), fmt.Sprintf("unstable (spectral radius %.3f)", r.Radius)})
			continue
		}
		ok := "yes"
		if r.MC-r.CI > float64(r.Bound)+1e-9 {
			ok = "NO"
		}
		cells = append(cells, []string{r.Rank.String(), mcCell(rnn.Capacity{MC: r.MC, CI: r.CI}), formatLambda(r.Lambda),
			fmt.Sprintf("%.2f", r.Theory), strconv.Itoa(r.Bound), ok})
	}
	if err := table(w, cells); err != nil {
		return err
	}
	_, err := fmt.Fprint(w, "\ntheory: Σ_{k=1..K} vᵀA^{kᵀ}P⁺A^k v with P = A P Aᵀ + v vᵀ. bound: r + 1 (n at full rank) on Σ_{k≥0};\n"+
		"the delays k ≥ 1 measured here hold that total less m(0) = vᵀP⁺v. A row is over the bound when its whole interval is.\n")
	return err
}

// WriteCompression writes what compressing the testbed's model (from the
// file path) to c cost: the ranks, weights and multiply-adds, the metric
// before and after, and the state error measured and predicted.
func WriteCompression(w io.Writer, path string, tb *rnn.Testbed, c *rnn.Compressed, d rnn.Damage) {
	m, name := tb.Model, rnn.MetricName(tb.Spec)
	fmt.Fprintf(w, "%s: %s-%d on %s, %s\n", path, m.Cell, m.Hidden, tb.Spec.Name, c.DescribeRanks())
	dense, sequences := m.RecurrentParams(), 0
	for _, b := range tb.Eval {
		sequences += b.B
	}
	fmt.Fprintf(w, "recurrent weights %d → %d (%.1f%%), multiply-adds per step %d → %d\n",
		dense, d.Params, 100*float64(d.Params)/float64(dense), dense, d.MulAdds)
	fmt.Fprintf(w, "recurrent bytes %d → %d (%.1f%%)\n", m.RecurrentBytes(), d.Bytes, 100*float64(d.Bytes)/float64(m.RecurrentBytes()))
	rows := SweepRows(path, tb, []rnn.Damage{{Rank: rnn.Full, Precision: rnn.F32, Metric: tb.Base, MetricSE: tb.BaseSE, MetricRel: 1}, d})
	fmt.Fprintf(w, "%s %s → %s on %d held-out sequences (kept %s; ± a standard error)\n", name,
		formatMetricSE(rows[0]), formatMetricSE(rows[1]), sequences, formatKept(rows[1], rows[0]))
	fmt.Fprintf(w, "relative hidden-state error %.4g measured, predicted %.4g (tangent) and %.4g (first-order); products on calibration states %.4g\n",
		d.RelErr, d.Tangent, d.Predicted, d.CalibErr)
}
