package report

import (
	"fmt"
	"io"
	"strconv"

	"github.com/lowrank-rnn/lowrank/rnn"
)

// MemoryRow is one network, input coherence and rank of the memorization
// experiment (lowrank memory -csv): a network of the sweep (rnn.MemoryRow,
// whose Result holds the fixed, refitted and, for a trained recall model,
// task readouts' capacities over the test runs), or a rank of the linear
// network check, whose refitted readout is the measurement (Result.Refit)
// and Theory the theory's curve and capacity. A curve a network does not
// have is nil.
type MemoryRow struct {
	Source string // the file it was read from (not a column)
	Net    string // the network's name
	rnn.MemoryRow
	Theory rnn.Capacity // linear network: m(k), k = 1..K, and its sum; exact, no CI or λ
}

// Linear reports whether the row is the linear network check: the rows
// with the theory's curve.
func (r MemoryRow) Linear() bool { return r.Theory.Curve != nil }

// NetworkMemoryRows returns the rows of a memorization sweep of the
// network named net (rnn.MemorySweep).
func NetworkMemoryRows(net string, rows []rnn.MemoryRow) []MemoryRow {
	out := make([]MemoryRow, len(rows))
	for i, r := range rows {
		out[i] = MemoryRow{Net: net, MemoryRow: r}
	}
	return out
}

// LinearMemoryRows returns the rows of the linear network check named net
// (rnn.LinearMemorySweep): its white input is ρ = 0. An unstable
// truncation has nothing measured and no row.
func LinearMemoryRows(net string, rows []rnn.LinearRow) []MemoryRow {
	var out []MemoryRow
	for _, r := range rows {
		if r.Curve == nil {
			continue
		}
		measured := rnn.Capacity{Curve: r.Curve, MC: r.MC, CI: r.CI, Lambda: r.Lambda}
		out = append(out, MemoryRow{Net: net, Theory: rnn.Capacity{Curve: r.TheoryCurve, MC: r.Theory},
			MemoryRow: rnn.MemoryRow{Rank: r.Rank, Params: r.Params, Result: rnn.MemoryResult{Refit: measured, Runs: r.Runs}}})
	}
	return out
}

// A memory CSV file is the long form: one line per row and delay
// k = 1..K, K = len(Result.Refit.Curve), every curve's R²(k) and every
// capacity, with its confidence interval and ridge penalty, on each line.
// A curve a row does not have is written as empty cells; the task curve,
// of one value per output of the model, may end before K.

// curve is one of the four memory curves of a row: its columns (ci and
// lambda "" where the curve has none: the theory is exact, a model's own
// readout has no penalty).
type curve struct {
	r2, mc, ci, lambda string
	get                func(*MemoryRow) *rnn.Capacity
}

var curves = []curve{
	{"r2_fixed", "mc_fixed", "ci95_fixed", "lambda_fixed", func(r *MemoryRow) *rnn.Capacity { return &r.Result.Fixed }},
	{"r2_refit", "mc_refit", "ci95_refit", "lambda_refit", func(r *MemoryRow) *rnn.Capacity { return &r.Result.Refit }},
	{"r2_task", "mc_task", "ci95_task", "", func(r *MemoryRow) *rnn.Capacity { return &r.Result.Task }},
	{"r2_theory", "mc_theory", "", "", func(r *MemoryRow) *rnn.Capacity { return &r.Theory }},
}

// memoryLine is one line of a memory CSV file.
type memoryLine struct {
	net    string
	rho    float64
	rank   rnn.Rank
	params int
	runs   int
	k      int
	// Per curve and part (r2, mc, ci, lambda): the value, or "" where it
	// has none.
	v [4][4]string
}

// The parts of a curve on a line, in curve's column order.
const (
	partR2 = iota
	partMC
	partCI
	partLambda
)

func formatF(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }

// memoryColumns is the memory CSV format.
var memoryColumns = func() []column[memoryLine] {
	cols := []column[memoryLine]{
		{"net", func(l *memoryLine) string { return l.net }, set(nonEmpty, func(l *memoryLine) *string { return &l.net })},
		{"rho", func(l *memoryLine) string { return strconv.FormatFloat(l.rho, 'g', -1, 64) },
			set(parseFloat, func(l *memoryLine) *float64 { return &l.rho })},
		{"rank", func(l *memoryLine) string { return l.rank.String() }, set(parseRank, func(l *memoryLine) *rnn.Rank { return &l.rank })},
		{"recurrent_params", func(l *memoryLine) string { return strconv.Itoa(l.params) },
			set(parseInt, func(l *memoryLine) *int { return &l.params })},
		{"runs", func(l *memoryLine) string { return strconv.Itoa(l.runs) }, set(parseInt, func(l *memoryLine) *int { return &l.runs })},
		{"k", func(l *memoryLine) string { return strconv.Itoa(l.k) }, set(parseInt, func(l *memoryLine) *int { return &l.k })},
	}
	for part := partR2; part <= partLambda; part++ {
		for i, c := range curves {
			name := [4]string{c.r2, c.mc, c.ci, c.lambda}[part]
			if name == "" {
				continue
			}
			cols = append(cols, column[memoryLine]{name, func(l *memoryLine) string { return l.v[i][part] },
				func(l *memoryLine, s string) error {
					if s != "" {
						if _, err := parseFloat(s); err != nil {
							return err
						}
					}
					l.v[i][part] = s
					return nil
				}})
		}
	}
	return cols
}()

// WriteMemoryCSV writes rows as a memory CSV file.
func WriteMemoryCSV(w io.Writer, rows []MemoryRow) error {
	var lines []memoryLine
	for i := range rows {
		r := &rows[i]
		for k := range r.Result.Refit.Curve {
			l := memoryLine{net: r.Net, rho: r.Rho, rank: r.Rank, params: r.Params, runs: r.Result.Runs, k: k + 1}
			for j, c := range curves {
				cp := c.get(r)
				if cp.Curve == nil {
					continue
				}
				if k < len(cp.Curve) {
					l.v[j][partR2] = formatF(cp.Curve[k])
				}
				l.v[j][partMC] = formatF(cp.MC)
				if c.ci != "" {
					l.v[j][partCI] = formatF(cp.CI)
				}
				if c.lambda != "" {
					l.v[j][partLambda] = strconv.FormatFloat(cp.Lambda, 'g', -1, 64)
				}
			}
			lines = append(lines, l)
		}
	}
	return writeCSV(w, memoryColumns, lines)
}

// ReadMemoryCSV reads what WriteMemoryCSV wrote, one row per network, ρ
// and rank. Besides a field that does not parse it rejects lines that do
// not make rows: delays that do not count 1, 2, … within a row, a row
// without the refitted readout, a capacity, interval or penalty that
// changes within a row, comes without its curve, or is missing beside it,
// and a curve with a gap.
func ReadMemoryCSV(r io.Reader) ([]MemoryRow, error) {
	lines, err := readCSV(r, memoryColumns)
	if err != nil {
		return nil, err
	}
	var rows []MemoryRow
	for i := 0; i < len(lines); {
		j := i + 1
		for j < len(lines) && lines[j].k != 1 {
			j++
		}
		row, err := memoryRowOf(lines[i:j])
		if err != nil {
			return nil, fmt.Errorf("lines %d to %d: %v", i+2, j+1, err)
		}
		rows = append(rows, row)
		i = j
	}
	return rows, nil
}

// memoryRowOf assembles one row from its lines, k = 1..K.
func memoryRowOf(lines []memoryLine) (MemoryRow, error) {
	first := lines[0]
	row := MemoryRow{Net: first.net, MemoryRow: rnn.MemoryRow{Rho: first.rho, Rank: first.rank, Params: first.params,
		Result: rnn.MemoryResult{Runs: first.runs}}}
	for k, l := range lines {
		if l.k != k+1 || l.net != first.net || l.rho != first.rho || l.rank != first.rank || l.params != first.params || l.runs != first.runs {
			return row, fmt.Errorf("line of delay %d of %s ρ = %g rank %s: want delay %d of the same network, ρ, rank and runs",
				l.k, l.net, l.rho, l.rank, k+1)
		}
	}
	for j, c := range curves {
		if err := curveOf(lines, j, c, c.get(&row)); err != nil {
			return row, err
		}
	}
	if row.Result.Refit.Curve == nil || len(row.Result.Refit.Curve) != len(lines) {
		return row, fmt.Errorf("r2_refit does not cover the %d delays", len(lines))
	}
	return row, nil
}

// curveOf reads curve j of c from a row's lines into cp.
func curveOf(lines []memoryLine, j int, c curve, cp *rnn.Capacity) error {
	first := lines[0].v[j]
	if first[partMC] == "" {
		for _, l := range lines {
			for part, name := range [4]string{c.r2, c.mc, c.ci, c.lambda} {
				if l.v[j][part] != "" {
					return fmt.Errorf("%s without %s on the first line", name, c.mc)
				}
			}
		}
		return nil
	}
	for part, name := range [4]string{c.r2, c.mc, c.ci, c.lambda} {
		if part != partR2 && name != "" && first[part] == "" {
			return fmt.Errorf("%s without %s", c.mc, name)
		}
	}
	cp.MC, _ = parseFloat(first[partMC])
	if c.ci != "" {
		cp.CI, _ = parseFloat(first[partCI])
	}
	if c.lambda != "" {
		cp.Lambda, _ = parseFloat(first[partLambda])
	}
	cp.Curve = []float64{}
	for _, l := range lines {
		for part, name := range [4]string{c.r2, c.mc, c.ci, c.lambda} {
			if part != partR2 && l.v[j][part] != first[part] {
				return fmt.Errorf("%s changes from %s to %s within a row", name, first[part], l.v[j][part])
			}
		}
		switch {
		case l.v[j][partR2] == "":
		case len(cp.Curve) < l.k-1:
			return fmt.Errorf("%s has a gap before delay %d", c.r2, l.k)
		default:
			v, _ := parseFloat(l.v[j][partR2])
			cp.Curve = append(cp.Curve, v)
		}
	}
	return nil
}

// ReadMemoryFile reads a memory CSV file; each row's Source is path.
func ReadMemoryFile(path string) ([]MemoryRow, error) {
	rows, err := readFile(path, ReadMemoryCSV)
	for i := range rows {
		rows[i].Source = path
	}
	return rows, err
}
