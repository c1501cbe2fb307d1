package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/lowrank-rnn/lowrank/rnn"
)

// formatMC writes a capacity with its 95% confidence interval.
func formatMC(c rnn.Capacity) string { return fmt.Sprintf("%.2f ± %.2f", c.MC, c.CI) }

// formatLambda writes a relative ridge penalty, 1e-10.
func formatLambda(l float64) string { return fmt.Sprintf("%.0e", l) }

// links writes the files as Markdown links, comma-separated.
func links(paths []string) string {
	out := make([]string, len(paths))
	for i, m := range paths {
		out[i] = fmt.Sprintf("[%s](%s)", m, m)
	}
	return strings.Join(out, ", ")
}

func claim3(p pf, in Inputs) {
	p("## Claim 3: a noiseless memorization experiment exposes the loss of short-term memory\n\n")
	p("Networks are driven by noiseless AR(1) input u_t; ridge readouts of u_{t−k} from the state give R²(k) and the memory ")
	p("capacity MC = Σ_k max(R²(k), 0). `fixed`: the readout fitted on the uncompressed network's states, applied to the ")
	p("compressed network (a deployed model); `refit`: refitted on the compressed network's own states (the memory its ")
	p("dynamics still hold); `task`: a trained recall model's own readout. Each readout is fitted on a training run ")
	p("from the singular value decomposition of its states, its ridge penalty λ (relative to the mean state variance) is ")
	p("the one of 1e-2, 1e-4, …, 1e-36 that scores best on a separate validation run, and it is scored on independent ")
	p("test runs%s: every MC is their mean ± the half-width of its 95%% confidence interval (Student's t over the runs). ", runsOf(in.Memory))
	p("The interval covers the test runs' sampling; each readout is fitted once, on one training run.\n\n")
	if len(in.MemoryPaths) > 0 {
		p("Sources: %s (`make results` runs `lowrank memory` for each).\n\n", links(in.MemoryPaths))
	}
	memoryTables(p, in)
	linearTable(p, in)
	estimatorSection(p, in)
	memoryVerdict(p, in)
}

// runsOf says how many test runs the rows have, " (8 of them)", or ""
// when they differ.
func runsOf(rows []MemoryRow) string {
	if len(rows) == 0 || slices.ContainsFunc(rows, func(r MemoryRow) bool { return r.Result.Runs != rows[0].Result.Runs }) {
		return ""
	}
	return fmt.Sprintf(" (%d of them)", rows[0].Result.Runs)
}

// memoryTables writes one table per network and source file.
func memoryTables(p pf, in Inputs) {
	var order []string
	for _, r := range in.Memory {
		key := r.Source + "|" + r.Net
		if !r.Linear() && !slices.Contains(order, key) {
			order = append(order, key)
		}
	}
	for _, key := range order {
		src, net, _ := strings.Cut(key, "|")
		p("**%s** (%s)\n\n| ρ | rank | weights | MC fixed | MC refit | MC task | λ fixed, refit |\n|---|---|---|---|---|---|---|\n", net, src)
		for _, r := range in.Memory {
			if r.Source == src && r.Net == net {
				task := "–"
				if r.Result.Task.Curve != nil {
					task = formatMC(r.Result.Task)
				}
				p("| %g | %s | %d | %s | %s | %s | %s, %s |\n", r.Rho, r.Rank, r.Params, formatMC(r.Result.Fixed), formatMC(r.Result.Refit), task,
					formatLambda(r.Result.Fixed.Lambda), formatLambda(r.Result.Refit.Lambda))
			}
		}
		p("\n")
	}
}

func linearRows(in Inputs) []MemoryRow {
	var lin []MemoryRow
	for _, r := range in.Memory {
		if r.Linear() {
			lin = append(lin, r)
		}
	}
	return lin
}

// linearTable writes the linear network check against the bound.
func linearTable(p pf, in Inputs) {
	lin := linearRows(in)
	if len(lin) == 0 {
		return
	}
	p("Linear networks, where theory gives MC ≤ r + 1 after a rank-r truncation (delays k ≥ 0; measured over k ≥ 1). ")
	p("A row is within the bound unless its whole confidence interval lies above it:\n\n")
	p("| network | rank | MC measured | λ | MC theory | within r + 1 |\n|---|---|---|---|---|---|\n")
	ok := true
	for _, r := range lin {
		within := "–"
		if r.Rank != rnn.Full {
			in := r.Result.Refit.MC-r.Result.Refit.CI <= float64(r.Rank+1)+1e-9
			within = map[bool]string{true: "yes", false: "no"}[in]
			ok = ok && in
		}
		p("| %s | %s | %s | %s | %.2f | %s |\n", r.Net, r.Rank, formatMC(r.Result.Refit), formatLambda(r.Result.Refit.Lambda), r.Theory.MC, within)
	}
	p("\nThe bound %s.\n\n", map[bool]string{true: "holds at every rank", false: "is violated somewhere (see the table)"}[ok])
}

// ridgeAt returns the point of net, rank and estimator at penalty l.
func ridgeAt(rows []RidgeRow, net string, r rnn.Rank, e rnn.Estimator, l float64) (RidgeRow, bool) {
	i := slices.IndexFunc(rows, func(p RidgeRow) bool {
		return p.Net == net && p.Rank == r && p.Estimator == e && math.Abs(p.Lambda/l-1) < 1e-9
	})
	if i < 0 {
		return RidgeRow{}, false
	}
	return rows[i], true
}

// ridgeChosen returns the chosen point of net, rank and estimator, and the
// smallest penalty the estimator could fit.
func ridgeChosen(rows []RidgeRow, net string, r rnn.Rank, e rnn.Estimator) (chosen RidgeRow, smallest float64, ok bool) {
	smallest = math.Inf(1)
	for _, p := range rows {
		if p.Net == net && p.Rank == r && p.Estimator == e {
			smallest = min(smallest, p.Lambda)
			if p.Chosen {
				chosen, ok = p, true
			}
		}
	}
	return chosen, smallest, ok
}

// estimatorSection explains, from the estimator paths, why the measured
// and the theory's capacities differ.
func estimatorSection(p pf, in Inputs) {
	if len(in.Ridge) == 0 {
		return
	}
	p("### Why the measured and the exact capacities differ\n\n")
	p("The measurement is an estimate: of a readout fitted on finite runs, at a ridge penalty, in finite precision. ")
	p("For the linear network check, the figure shows the capacity on the validation run against λ for four estimators ")
	p("(ringed: the λ validation chooses; dashed: the theory), and the table scores each estimator's chosen λ on the test runs ")
	p("(sources: %s, `lowrank memory -ridge-csv`).\n\n", links(in.RidgePaths))
	var nets []string
	for _, r := range in.Ridge {
		if !slices.Contains(nets, r.Net) {
			nets = append(nets, r.Net)
		}
	}
	lin := linearRows(in)
	for _, net := range nets {
		p("![MC against λ, %s](%s/ridge-%s.svg)\n\n", net, in.Figures, net)
		p("| rank | MC theory | normal equations at λ = 1e-8, 1e-10, 1e-12 (validation) |")
		for _, e := range rnn.Estimators {
			p(" %s: MC (λ) |", estimatorTitles[e])
		}
		p("\n|---|---|---|%s\n", strings.Repeat("---|", len(rnn.Estimators)))
		var ranks []rnn.Rank
		for _, r := range in.Ridge {
			if r.Net == net && !slices.Contains(ranks, r.Rank) {
				ranks = append(ranks, r.Rank)
			}
		}
		for _, rank := range ranks {
			theory := "–"
			if i := slices.IndexFunc(lin, func(m MemoryRow) bool { return m.Net == net && m.Rank == rank }); i >= 0 {
				theory = fmt.Sprintf("%.2f", lin[i].Theory.MC)
			}
			var fixed []string
			for _, l := range []float64{1e-8, 1e-10, 1e-12} {
				s := "fails"
				if pt, ok := ridgeAt(in.Ridge, net, rank, rnn.EstimatorNormal, l); ok {
					s = fmt.Sprintf("%.2f", pt.Valid)
				}
				fixed = append(fixed, s)
			}
			p("| %s | %s | %s |", rank, theory, strings.Join(fixed, ", "))
			for _, e := range rnn.Estimators {
				c, smallest, ok := ridgeChosen(in.Ridge, net, rank, e)
				if !ok {
					p(" – |")
					continue
				}
				note := ""
				if e == rnn.EstimatorNormal || e == rnn.EstimatorF32 {
					note = fmt.Sprintf("; fails below %s", formatLambda(smallest))
				}
				p(" %s (%s%s) |", formatMC(c.Test), formatLambda(c.Lambda), note)
			}
			p("\n")
		}
		p("\n")
		estimatorFindings(p, in.Ridge, lin, net, ranks)
	}
}

// estimatorFindings says what the paths of one network show, with its
// numbers.
func estimatorFindings(p pf, ridge []RidgeRow, lin []MemoryRow, net string, ranks []rnn.Rank) {
	// The rank the numbers quote: 8 if swept, else the smallest truncation.
	quote := rnn.Rank(8)
	if !slices.Contains(ranks, quote) {
		quote = slices.Max(ranks)
		for _, r := range ranks {
			if r != rnn.Full {
				quote = min(quote, r)
			}
		}
	}
	val := func(e rnn.Estimator, l float64) string {
		if pt, ok := ridgeAt(ridge, net, quote, e, l); ok {
			return fmt.Sprintf("%.2f", pt.Valid)
		}
		return "no fit"
	}
	p("- **The ridge penalty.** A readout at penalty λ gives up the state directions whose variance is below about λ ")
	p("times the mean variance of a state unit, and a truncated network keeps the input's history in directions whose variances span many decades ")
	p("(the Krylov matrix [v, Av, A²v, …] of a truncated A is badly conditioned). So every decade less of λ recovers memory: ")
	p("at rank %s, %s, %s and %s on the validation run at λ = 1e-8 (this report's former fixed penalty), 1e-10 and 1e-12. ",
		quote, val(rnn.EstimatorSVD, 1e-8), val(rnn.EstimatorSVD, 1e-10), val(rnn.EstimatorSVD, 1e-12))
	p("Choosing λ on a validation run, as memory-capacity estimates usually do, lets each readout go as low as its states allow.\n")
	_, smallNormal, _ := ridgeChosen(ridge, net, quote, rnn.EstimatorNormal)
	svd, _, okSVD := ridgeChosen(ridge, net, quote, rnn.EstimatorSVD)
	if okSVD {
		p("- **The regression.** The normal equations (XᵀX + TλI)W = XᵀY square the states' condition number: their Cholesky ")
		p("factorisation fails below λ = %s at rank %s. The SVD of the states themselves fits down to λ = %s there and measures %s.\n",
			formatLambda(smallNormal), quote, formatLambda(svd.Lambda), formatMC(svd.Test))
	}
	f32s, _, ok32s := ridgeChosen(ridge, net, quote, rnn.EstimatorF32States)
	f32, small32, ok32 := ridgeChosen(ridge, net, quote, rnn.EstimatorF32)
	if ok32s && ok32 {
		p("- **The precision of the states.** A network run in float32 carries rounding errors of about 1e-7 of its state, ")
		p("which drown the directions with variance shares below about 1e-14: at rank %s its states hold %s at best (λ = %s). ",
			quote, formatMC(f32s.Test), formatLambda(f32s.Lambda))
		p("Fitted in float32 as well, the normal equations fail below λ = %s and measure %s.\n", formatLambda(small32), formatMC(f32.Test))
	}
	var agree, compared []string
	for _, r := range ranks {
		c, _, ok := ridgeChosen(ridge, net, r, rnn.EstimatorSVD)
		i := slices.IndexFunc(lin, func(m MemoryRow) bool { return m.Net == net && m.Rank == r })
		if !ok || i < 0 {
			continue
		}
		d := c.Test.MC - lin[i].Theory.MC
		s := fmt.Sprintf("rank %s %+.2f", r, d)
		compared = append(compared, s)
		if math.Abs(d) <= c.Test.CI {
			agree = append(agree, r.String())
		}
	}
	if len(compared) > 0 {
		p("- **What is left.** Measured (SVD, chosen λ) minus theory: %s; within the test runs' 95%% interval at %d of %d ranks%s. ",
			strings.Join(compared, ", "), len(agree), len(compared), map[bool]string{true: " (" + strings.Join(agree, ", ") + ")", false: ""}[len(agree) > 0])
		p("The interval covers the sampling of the test runs only. A difference beyond it is the estimate's bias: the readout is ")
		p("fitted on one training run, and states computed in float64 keep no direction below about 1e-16 of the largest in ")
		p("amplitude, where the highest ranks store their farthest delays.\n")
	}
	p("\n")
}

// memoryVerdict counts what the tables say.
func memoryVerdict(p pf, in Inputs) {
	type nk struct {
		key string
		rho float64
	}
	full, low := map[nk]MemoryRow{}, map[nk]MemoryRow{}
	var fixedLE, fixedLess, fixedMore, compressed int
	for _, r := range in.Memory {
		if r.Linear() {
			continue
		}
		k := nk{r.Source + "|" + r.Net, r.Rho}
		if r.Rank == rnn.Full {
			full[k] = r
			continue
		}
		compressed++
		switch fixed, refit := r.Result.Fixed, r.Result.Refit; {
		case fixed.MC <= refit.MC:
			fixedLE++
			if apart(refit, fixed) {
				fixedLess++
			}
		case apart(fixed, refit):
			fixedMore++
		}
		if cur, ok := low[k]; !ok || r.Params < cur.Params {
			low[k] = r
		}
	}
	fell, fellApart, pairs := 0, 0, 0
	for k, f := range full {
		if l, ok := low[k]; ok {
			pairs++
			if l.Result.Refit.MC < f.Result.Refit.MC {
				fell++
				if apart(f.Result.Refit, l.Result.Refit) {
					fellApart++
				}
			}
		}
	}
	if pairs > 0 {
		verdict := "Agrees"
		if 2*fellApart <= pairs || fixedMore > 0 || 2*fixedLE <= compressed {
			verdict = "Partly agrees"
		}
		p("**%s.** At the smallest rank, the refit memory capacity is below the uncompressed network's in %d of %d ", verdict, fell, pairs)
		p("(network, ρ) pairs, %d of them by more than the two 95%% intervals combined; ", fellApart)
		p("the fixed readout keeps no more memory than a refitted one in %d of %d compressed rows, less by more than the ", fixedLE, compressed)
		p("combined interval in %d, and more by more than it in %d: ", fixedLess, fixedMore)
		p("a deployed model without fine-tuning loses memory first through its readout. ")
		p("(The combined interval √(a² + b²) of two half-widths a and b treats the two capacities as independent; ")
		p("both are scored on the same test runs, so it overstates the uncertainty of their difference.)\n\n")
	}
}

// apart reports whether capacity a exceeds b by more than their 95%
// intervals combined, √(a.CI² + b.CI²).
func apart(a, b rnn.Capacity) bool { return a.MC-b.MC > math.Hypot(a.CI, b.CI) }
