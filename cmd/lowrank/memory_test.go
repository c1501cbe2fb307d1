package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/rnn"
)

// tableAfter returns the whitespace-separated rows of the table whose
// header line starts with first, up to the next blank line.
func tableAfter(out, first string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(rows) == 0 && len(f) > 0 && f[0] == first:
			rows = append(rows, f)
		case len(rows) > 0 && len(f) == 0:
			return rows
		case len(rows) > 0:
			rows = append(rows, f)
		}
	}
	return rows
}

func TestMemory(t *testing.T) {
	csvPath := filepath.Join(t.TempDir(), "memory.csv")
	status, out, errOut := runCmd("memory", "-hidden", "16", "-K", "8", "-ranks", "2,full,32", "-rho", "0,0.9", "-steps", "2000", "-csv", csvPath)
	if status != 0 {
		t.Fatalf("exit %d, stderr:\n%s", status, errOut)
	}
	if !strings.Contains(errOut, "skipping rank 32 ≥ n = 16") {
		t.Errorf("no note about skipping rank 32; stderr:\n%s", errOut)
	}
	table := tableAfter(out, "rho")
	if len(table) != 5 || strings.Join(table[0], " ") != "rho rank rec-params MC-fixed MC-refit" {
		t.Fatalf("want a header rho rank rec-params MC-fixed MC-refit and 4 rows, got %q in:\n%s", table, out)
	}
	for i, want := range [][3]string{{"0", "2", "64"}, {"0", "full", "256"}, {"0.9", "2", "64"}, {"0.9", "full", "256"}} {
		row := table[i+1]
		if len(row) != 5 || [3]string(row[:3]) != want {
			t.Errorf("row %d is %q, want %q and two capacities", i+1, row, want)
			continue
		}
		if want[1] == "full" && row[3] != row[4] {
			t.Errorf("uncompressed row %q: fixed and refitted capacity differ", row)
		}
	}
	lin := tableAfter(out, "rank")
	if len(lin) != 3 || lin[0][1] != "MC-measured" || lin[1][0] != "2" || lin[1][3] != "3" || lin[1][len(lin[1])-1] != "yes" {
		t.Errorf("linear network check: got %q in:\n%s", lin, out)
	}

	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("reading the CSV: %v", err)
	}
	// 2 ρ × 2 ranks × 8 delays for the network, 2 ranks × 8 for the linear one.
	if len(recs) != 1+32+16 || recs[0][0] != "net" || recs[0][5] != "r2_fixed" || recs[1][0] != "rnn-16-random" || recs[33][0] != "linear-16-random" {
		t.Errorf("CSV has %d records (%q, %q …); want 49", len(recs), recs[0], recs[1])
	}
}

// A trained-model file with one input: the task columns appear.
func TestMemoryModel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "recall.safetensors")
	m, err := rnn.New(rnn.Config{Cell: rnn.MGRU, In: 1, Hidden: 8, Out: 4, Objective: rnn.Regression, Burn: 4}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Save(path, map[string]string{"task": "recall(rho=0.9,K=4)"}); err != nil {
		t.Fatal(err)
	}
	status, out, errOut := runCmd("memory", "-model", path, "-K", "6", "-ranks", "2,full", "-rho", "0.5", "-steps", "1500", "-linear=false", "-method", "whitened")
	if status != 0 {
		t.Fatalf("exit %d, stderr:\n%s", status, errOut)
	}
	table := tableAfter(out, "rho")
	if len(table) != 3 || len(table[0]) != 8 || table[0][5] != "task-MC" || table[2][1] != "full" || table[2][2] != "128" {
		t.Errorf("want the task columns and rows for ranks 2 and full; got %q in:\n%s", table, out)
	}
	if !strings.Contains(out, "recall(rho=0.9,K=4)") || strings.Contains(out, "Linear network") {
		t.Errorf("output:\n%s", out)
	}

	two := filepath.Join(t.TempDir(), "two.safetensors")
	m2, _ := rnn.New(rnn.Config{Cell: rnn.RNN, In: 2, Hidden: 8, Out: 1, Objective: rnn.Regression}, 1)
	if err := m2.Save(two, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args   []string
		status int
		want   string
	}{
		{[]string{"-model", two}, 2, "has 2 inputs"},
		{[]string{"-model", path, "-cell", "mgru"}, 2, "-cell describes an untrained network: -model gives the network"},
		{[]string{"-model", path, "-linear=false", "-radius", "0.5"}, 2, "-radius describes the untrained and linear networks"},
		{[]string{"-model", path, "-csv", path}, 2, "is the input"},
		{[]string{"-model", filepath.Join(t.TempDir(), "missing.safetensors")}, 1, "missing.safetensors"},
	} {
		status, _, errOut := runCmd(append([]string{"memory"}, tc.args...)...)
		if status != tc.status || !strings.Contains(errOut, tc.want) {
			t.Errorf("lowrank memory %q: exit %d, stderr:\n%s\nwant exit %d and %q", tc.args, status, errOut, tc.status, tc.want)
		}
	}
}

func TestMemoryUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-rho", "1"}, `rho = 1 is out of range: want 0 ≤ rho < 1`},
		{[]string{"-rho", "0,x"}, `rho = "x" is not a number`},
		{[]string{"-rho", "0.5,0.5"}, "0.5 is listed twice"},
		{[]string{"-ranks", "0"}, `rank "0" is neither a positive integer nor full`},
		{[]string{"-ranks", "full,full"}, "rank full is listed twice"},
		{[]string{"-ranks", "64", "-hidden", "16"}, "no rank of -ranks"},
		{[]string{"-method", "qr"}, `-method "qr"`},
		{[]string{"-net", "sparse"}, `-net "sparse"`},
		{[]string{"-radius", "1.2"}, "radius = 1.2 is out of range"},
		{[]string{"-cell", "tcn"}, `unknown cell "tcn"`},
		{[]string{"-hidden", "0"}, "hidden = 0 is out of range"},
		{[]string{"-joint"}, "-joint truncates the MGRU"},
		{[]string{"-K", "0"}, "K = 0 is out of range"},
		{[]string{"-K", "600", "-steps", "1000"}, "steps leave"},
		{[]string{"-washout", "4", "-K", "8"}, "washout 4 is shorter"},
		{[]string{"-steps", "100"}, "steps leave"},
		{[]string{"-lambda", "-1"}, "lambda = -1 is out of range"},
		{[]string{"-steps", "1000000000"}, "steps = 1000000000 is out of range"},
		{[]string{"-hidden", "4096"}, "10000 steps on 4096 units need 1250 MiB of states, more than the 1024 MiB bound: run at most 8192 steps"},
		{[]string{"-csv", filepath.Join(t.TempDir(), "no", "m.csv")}, "does not exist: create it first"},
		{[]string{"extra"}, `unexpected arguments ["extra"]`},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
	} {
		status, _, errOut := runCmd(append([]string{"memory"}, tc.args...)...)
		if status != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("lowrank memory %q: exit %d, stderr:\n%s\nwant exit 2 and %q", tc.args, status, errOut, tc.want)
		}
	}
}
