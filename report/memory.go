package report

import (
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// MemoryRow is one network, input coherence and rank of the memorization
// experiment (lowrank memory -csv), its memory capacities summed over the
// delays: readout fitted on the uncompressed network (Fixed), refitted on
// the compressed one (Refit), the trained model's own readout (Task, NaN
// for untrained networks), and the linear theory (Theory, linear networks
// only).
type MemoryRow struct {
	Source                     string // the CSV file
	Net                        string
	Rho                        float64
	Rank                       string // "full" or a number
	Params                     int
	Fixed, Refit, Task, Theory float64
}

// ReadMemoryFile reads the capacities from a lowrank memory CSV file: one
// row per network, ρ and rank (the per-delay rows collapsed).
func ReadMemoryFile(path string) ([]MemoryRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: empty", path)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, h := range []string{"net", "rho", "rank", "recurrent_params", "k", "mc_fixed", "mc_refit", "mc_task", "mc_theory"} {
		if _, ok := col[h]; !ok {
			return nil, fmt.Errorf("%s: no column %q", path, h)
		}
	}
	num := func(s string) float64 {
		if s == "" {
			return nan
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nan
		}
		return v
	}
	var rows []MemoryRow
	for _, rec := range recs[1:] {
		if len(rec) != len(recs[0]) || rec[col["k"]] != "1" {
			continue
		}
		p, _ := strconv.Atoi(rec[col["recurrent_params"]])
		rows = append(rows, MemoryRow{Source: path, Net: rec[col["net"]], Rho: num(rec[col["rho"]]),
			Rank: rec[col["rank"]], Params: p,
			Fixed: num(rec[col["mc_fixed"]]), Refit: num(rec[col["mc_refit"]]),
			Task: num(rec[col["mc_task"]]), Theory: num(rec[col["mc_theory"]])})
	}
	return rows, nil
}

// Linear reports whether the row is the linear network check.
func (r MemoryRow) Linear() bool { return strings.HasPrefix(r.Net, "linear") }
