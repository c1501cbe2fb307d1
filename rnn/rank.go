package rnn

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lowrank-rnn/lowrank/internal/quote"
)

// Rank is the rank a recurrent matrix is truncated to, or Full: the matrix
// kept dense, as trained. There is no rank 0.
type Rank int

// Full is the uncompressed model in a list of ranks.
const Full Rank = -1

// String returns "full" or the number.
func (r Rank) String() string {
	if r == Full {
		return "full"
	}
	return strconv.Itoa(int(r))
}

// Truncates reports whether r truncates an n×n matrix: a rank below n.
// Full and ranks of n or more keep every singular value.
func (r Rank) Truncates(n int) bool { return r >= 1 && int(r) < n }

// ParseRank parses "full" or a positive integer within Bounds.Rank.
func ParseRank(s string) (Rank, error) {
	s = strings.TrimSpace(s)
	if s == "full" {
		return Full, nil
	}
	r, err := strconv.Atoi(s)
	if err != nil || r < 1 {
		return 0, fmt.Errorf("rank %s is neither a positive integer nor full", quote.String(s))
	}
	return Rank(r), Bounds.Rank.Check(r)
}

// Ranks is a list of distinct ranks, written "4,8,16,full". It is a
// flag.Value, so that every command that takes ranks reads them alike.
type Ranks []Rank

// ParseRanks parses a comma-separated list of distinct ranks.
func ParseRanks(s string) (Ranks, error) {
	var rs Ranks
	for f := range strings.SplitSeq(s, ",") {
		r, err := ParseRank(f)
		if err != nil {
			return nil, fmt.Errorf("%v; want a list such as 8,16,full", err)
		}
		if slices.Contains(rs, r) {
			return nil, fmt.Errorf("rank %s is listed twice", r)
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// String returns the list as ParseRanks reads it.
func (rs Ranks) String() string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, ",")
}

// Set parses s into rs (flag.Value).
func (rs *Ranks) Set(s string) error {
	v, err := ParseRanks(s)
	if err != nil {
		return err
	}
	*rs = v
	return nil
}

// For splits rs for a state size n into the ranks that apply, Full and
// the ranks that truncate, and those that do not (n or more), in order.
func (rs Ranks) For(n int) (kept, skipped Ranks) {
	for _, r := range rs {
		if r == Full || r.Truncates(n) {
			kept = append(kept, r)
		} else {
			skipped = append(skipped, r)
		}
	}
	return kept, skipped
}

// Truncating returns the ranks of rs that truncate an n×n matrix, as
// numbers (Full, the dense matrix, dropped), and those ≥ n, which do not.
func (rs Ranks) Truncating(n int) (ranks []int, skipped Ranks) {
	for _, r := range rs {
		switch {
		case r.Truncates(n):
			ranks = append(ranks, int(r))
		case r != Full:
			skipped = append(skipped, r)
		}
	}
	return ranks, skipped
}

// PerGate returns CompressSpec.Ranks from a list of one rank for every
// recurrent matrix, or one per gate (the MGRU's U_f, U_h). Full keeps a
// matrix dense, which only a lower precision compresses (Compress says so).
func (rs Ranks) PerGate() ([2]int, error) {
	var ranks [2]int
	if len(rs) < 1 || len(rs) > 2 {
		return ranks, fmt.Errorf("ranks %s: want R, or R_f,R_h for the MGRU", rs)
	}
	for i, r := range rs {
		ranks[i] = int(r)
	}
	if len(rs) == 1 {
		ranks[1] = ranks[0]
	}
	return ranks, nil
}
