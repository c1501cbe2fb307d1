package rnn

import (
	"bytes"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/rnn/task"
)

func TestRangeFlags(t *testing.T) {
	parse := func(args ...string) (epochs int, lr float64, err error) {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		Bounds.Epochs.Var(fs, &epochs, 10, "training epochs")
		Bounds.LR.Var(fs, &lr, 2e-3, "Adam `step` size")
		return epochs, lr, fs.Parse(args)
	}
	if e, lr, err := parse(); err != nil || e != 10 || lr != 2e-3 {
		t.Errorf("defaults: %d, %g, %v", e, lr, err)
	}
	if e, lr, err := parse("-epochs", "10000", "-lr", "1"); err != nil || e != 10000 || lr != 1 {
		t.Errorf("the upper ends: %d, %g, %v", e, lr, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-epochs", "0"}, "epochs = 0 is out of range: want 1 ≤ epochs ≤ 10000"},
		{[]string{"-epochs", "1000000000"}, "epochs = 1000000000 is out of range"},
		{[]string{"-epochs", "1e3"}, `epochs = "1e3" is not a number`},
		{[]string{"-lr", "0"}, "lr = 0 is out of range: want 0 < lr ≤ 1"},
		{[]string{"-lr", "NaN"}, "lr = NaN is out of range"},
		{[]string{"-lr", "Inf"}, "lr = +Inf is out of range"},
	} {
		if _, _, err := parse(c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.args, err, c.want)
		}
	}

	// The usage names the argument and gives the range.
	var b bytes.Buffer
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(&b)
	var n, w int
	var energy float64
	Bounds.Epochs.Var(fs, &n, 10, "training epochs")
	Bounds.Washout.Var(fs, &w, 0, "leading steps not used")
	Bounds.Energy.Var(fs, &energy, 0, "keep this `fraction` of the energy")
	fs.PrintDefaults()
	for _, want := range []string{
		"-epochs integer\n    \ttraining epochs (an integer, 1 ≤ epochs ≤ 10000) (default 10)\n",
		"-washout integer\n    \tleading steps not used (an integer, 0 ≤ washout ≤ 4194304)\n",
		"-energy fraction\n    \tkeep this fraction of the energy (0 < energy ≤ 1)\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, b.String())
		}
	}
}

func TestParseRankBounds(t *testing.T) {
	if r, err := ParseRank("4096"); err != nil || r != 4096 {
		t.Errorf("ParseRank(4096) = %v, %v", r, err)
	}
	if _, err := ParseRanks("8,1000000000"); err == nil || !strings.Contains(err.Error(), "rank = 1000000000 is out of range") {
		t.Errorf("ParseRanks of a huge rank: %v", err)
	}
	if _, err := ParseRhos("0,1"); err == nil || !strings.Contains(err.Error(), "rho = 1 is out of range: want 0 ≤ rho < 1") {
		t.Errorf("ParseRhos(0,1): %v", err)
	}
}

func TestCheckRecall(t *testing.T) {
	for _, c := range []struct {
		p    task.Params
		n    int
		want string // "" for nil
	}{
		{task.Params{Rho: 0.9, K: 64, T: 200, NEval: 512}, 128, ""},
		{task.Params{Rho: 0.9, K: 64, T: 64, NEval: 512}, 128, "want T > K"},
		{task.Params{Rho: 0.9, K: 64, T: 200, NEval: 0}, 128, "eval = 0 is out of range"},
		{task.Params{Rho: 0.9, K: 4096, T: 10000, NEval: 512}, 4096, "more than the 1024 MiB bound"},
		{task.Params{Rho: 1, K: 64, T: 200, NEval: 512}, 128, "rho = 1 is out of range"},
	} {
		err := CheckRecall(c.p, c.n)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("CheckRecall(%+v, %d) = %v, want %q", c.p, c.n, err, c.want)
		}
	}
}

func TestCheckMemory(t *testing.T) {
	if err := CheckMemory(10000, 128); err != nil {
		t.Errorf("the default run on 128 units: %v", err)
	}
	err := CheckMemory(1<<22, 4096)
	if err == nil || !strings.Contains(err.Error(), "4194304 steps on 4096 units need 524288 MiB of states, more than the 1024 MiB bound: run at most 8192 steps") {
		t.Errorf("the largest flags: %v", err)
	}
	if err := CheckMemory(8192, 4096); err != nil {
		t.Errorf("the most steps the error allows: %v", err)
	}
}
