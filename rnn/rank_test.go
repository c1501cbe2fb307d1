package rnn

import (
	"flag"
	"slices"
	"strings"
	"testing"
)

func TestRanks(t *testing.T) {
	rs, err := ParseRanks(" 4, 8,full,16")
	if err != nil || !slices.Equal(rs, Ranks{4, 8, Full, 16}) {
		t.Fatalf("ParseRanks: %v, %v", rs, err)
	}
	if s := rs.String(); s != "4,8,full,16" {
		t.Errorf("String() = %q, want 4,8,full,16", s)
	}
	if back, err := ParseRanks(rs.String()); err != nil || !slices.Equal(back, rs) {
		t.Errorf("round trip: %v, %v", back, err)
	}
	kept, skipped := Ranks{4, 16, Full, 17, 8}.For(16)
	if !slices.Equal(kept, Ranks{4, Full, 8}) || !slices.Equal(skipped, Ranks{16, 17}) {
		t.Errorf("For(16): kept %v, skipped %v; want 4,full,8 and 16,17", kept, skipped)
	}
	if rs, skipped := (Ranks{4, 16, Full, 17, 8}).Truncating(16); !slices.Equal(rs, []int{4, 8}) || !slices.Equal(skipped, Ranks{16, 17}) {
		t.Errorf("Truncating(16): %v, skipped %v; want 4,8 and 16,17", rs, skipped)
	}
	if Full.Truncates(16) || Rank(16).Truncates(16) || !Rank(15).Truncates(16) {
		t.Error("Truncates: want ranks 1..n−1 only")
	}
	for _, bad := range []struct{ in, want string }{
		{"0", `rank "0" is neither a positive integer nor full`},
		{"4,x", `rank "x" is neither`},
		{"", `rank "" is neither`},
		{"-1", `rank "-1" is neither`},
		{"8,8", "rank 8 is listed twice"},
		{"full,full", "rank full is listed twice"},
	} {
		if _, err := ParseRanks(bad.in); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParseRanks(%q): %v, want %q", bad.in, err, bad.want)
		}
	}
	// As a flag.
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	flagRanks := Ranks{2, Full}
	fs.Var(&flagRanks, "ranks", "")
	if err := fs.Parse([]string{"-ranks", "3,full"}); err != nil || !slices.Equal(flagRanks, Ranks{3, Full}) {
		t.Errorf("-ranks 3,full: %v, %v", flagRanks, err)
	}
	if err := fs.Parse([]string{"-ranks", "3,3"}); err == nil {
		t.Error("-ranks 3,3 accepted")
	}
}

func TestRanksPerGate(t *testing.T) {
	if r, err := (Ranks{8}).PerGate(); err != nil || r != [2]int{8, 8} {
		t.Errorf("8: %v, %v", r, err)
	}
	if r, err := (Ranks{8, 4}).PerGate(); err != nil || r != [2]int{8, 4} {
		t.Errorf("8,4: %v, %v", r, err)
	}
	if r, err := (Ranks{4, Full}).PerGate(); err != nil || r != [2]int{4, int(Full)} {
		t.Errorf("4,full: %v, %v", r, err)
	}
	for _, bad := range []Ranks{nil, {1, 2, 3}} {
		if _, err := bad.PerGate(); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
