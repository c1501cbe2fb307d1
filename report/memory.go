package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/lowrank-rnn/lowrank/rnn"
)

// MemoryRow is one network, input coherence and rank of the memorization
// experiment (lowrank memory -csv): a network of the sweep (rnn.MemoryRow,
// whose Result holds the fixed, refitted and, for a trained recall model,
// task readouts' curves R²(k) and capacities), or a rank of the linear
// network check, whose refitted readout is the measurement (Result.Refit)
// and Theory the theory's curve. A curve a network does not have is nil.
type MemoryRow struct {
	Source string // the file it was read from (not a column)
	Net    string // the network's name
	rnn.MemoryRow
	Theory   []float64 // linear network: m(k), k = 1..K
	MCTheory float64
}

// Linear reports whether the row is the linear network check: the rows
// with the theory's curve.
func (r MemoryRow) Linear() bool { return r.Theory != nil }

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
		out = append(out, MemoryRow{Net: net, Theory: r.TheoryCurve, MCTheory: r.Theory,
			MemoryRow: rnn.MemoryRow{Rank: r.Rank, Params: r.Params, Result: rnn.MemoryResult{Refit: r.Curve, MCRefit: r.MC}}})
	}
	return out
}

// A memory CSV file is the long form: one line per row and delay
// k = 1..K, K = len(Result.Refit), every curve's R²(k) and every capacity
// on each line. A curve a row does not have is written as empty cells;
// the task curve, of one value per output of the model, may end before K.

// curve is one of the four memory curves of a row.
type curve struct {
	r2, mc string // column names
	get    func(*MemoryRow) (r2 *[]float64, mc *float64)
}

var curves = []curve{
	{"r2_fixed", "mc_fixed", func(r *MemoryRow) (*[]float64, *float64) { return &r.Result.Fixed, &r.Result.MCFixed }},
	{"r2_refit", "mc_refit", func(r *MemoryRow) (*[]float64, *float64) { return &r.Result.Refit, &r.Result.MCRefit }},
	{"r2_task", "mc_task", func(r *MemoryRow) (*[]float64, *float64) { return &r.Result.Task, &r.Result.MCTask }},
	{"r2_theory", "mc_theory", func(r *MemoryRow) (*[]float64, *float64) { return &r.Theory, &r.MCTheory }},
}

// memoryLine is one line of a memory CSV file.
type memoryLine struct {
	net    string
	rho    float64
	rank   rnn.Rank
	params int
	k      int
	r2, mc [4]string // per curve: the value, or "" where it has none
}

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
		{"k", func(l *memoryLine) string { return strconv.Itoa(l.k) }, set(parseInt, func(l *memoryLine) *int { return &l.k })},
	}
	value := func(field func(*memoryLine) *string) func(*memoryLine, string) error {
		return func(l *memoryLine, s string) error {
			if s != "" {
				if _, err := parseFloat(s); err != nil {
					return err
				}
			}
			*field(l) = s
			return nil
		}
	}
	for _, part := range []struct {
		name  func(curve) string
		field func(*memoryLine, int) *string
	}{
		{func(c curve) string { return c.r2 }, func(l *memoryLine, i int) *string { return &l.r2[i] }},
		{func(c curve) string { return c.mc }, func(l *memoryLine, i int) *string { return &l.mc[i] }},
	} {
		for i, c := range curves {
			field := func(l *memoryLine) *string { return part.field(l, i) }
			cols = append(cols, column[memoryLine]{part.name(c), func(l *memoryLine) string { return *field(l) }, value(field)})
		}
	}
	return cols
}()

// WriteMemoryCSV writes rows as a memory CSV file.
func WriteMemoryCSV(w io.Writer, rows []MemoryRow) error {
	var lines []memoryLine
	for i := range rows {
		r := &rows[i]
		for k := range r.Result.Refit {
			l := memoryLine{net: r.Net, rho: r.Rho, rank: r.Rank, params: r.Params, k: k + 1}
			for j, c := range curves {
				r2, mc := c.get(r)
				if *r2 == nil {
					continue
				}
				l.mc[j] = formatF(*mc)
				if k < len(*r2) {
					l.r2[j] = formatF((*r2)[k])
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
// without the refitted readout, a capacity that changes within a row or
// comes without its curve, and a curve with a gap.
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
	row := MemoryRow{Net: first.net, MemoryRow: rnn.MemoryRow{Rho: first.rho, Rank: first.rank, Params: first.params}}
	for k, l := range lines {
		if l.k != k+1 || l.net != first.net || l.rho != first.rho || l.rank != first.rank || l.params != first.params {
			return row, fmt.Errorf("line of delay %d of %s ρ = %g rank %s: want delay %d of the same network, ρ and rank",
				l.k, l.net, l.rho, l.rank, k+1)
		}
	}
	for j, c := range curves {
		r2, mc := c.get(&row)
		if first.mc[j] == "" {
			if slices.ContainsFunc(lines, func(l memoryLine) bool { return l.r2[j] != "" || l.mc[j] != "" }) {
				return row, fmt.Errorf("%s or %s without %s on the first line", c.r2, c.mc, c.mc)
			}
			continue
		}
		*mc, _ = parseFloat(first.mc[j])
		*r2 = []float64{}
		for _, l := range lines {
			switch {
			case l.mc[j] != first.mc[j]:
				return row, fmt.Errorf("%s changes from %s to %s within a row", c.mc, first.mc[j], l.mc[j])
			case l.r2[j] == "":
			case len(*r2) < l.k-1:
				return row, fmt.Errorf("%s has a gap before delay %d", c.r2, l.k)
			default:
				v, _ := parseFloat(l.r2[j])
				*r2 = append(*r2, v)
			}
		}
	}
	if row.Result.Refit == nil || len(row.Result.Refit) != len(lines) {
		return row, fmt.Errorf("r2_refit does not cover the %d delays", len(lines))
	}
	return row, nil
}

// ReadMemoryFile reads a memory CSV file; each row's Source is path.
func ReadMemoryFile(path string) ([]MemoryRow, error) {
	rows, err := readFile(path, ReadMemoryCSV)
	for i := range rows {
		rows[i].Source = path
	}
	return rows, err
}
