package rnn

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// The flag side of Bounds: each range defines the command-line flag of its
// name, so that a flag is held to the rule a file's metadata is held to,
// and a value out of range stops a command while its flags are parsed
// (usage error, exit status 2), before any work or allocation:
//
//	rnn.Bounds.Epochs.Var(fs, &tc.Epochs, 10, "training epochs")

// Var defines the flag -r.Name on fs with the default value, storing into
// p. A value that is not a decimal integer in r is a parse error of fs;
// the usage message gets the range.
func (r IntRange) Var(fs *flag.FlagSet, p *int, value int, usage string) {
	*p = value
	fs.Var(&intFlag{r, p}, r.Name, withRange(usage, "integer", r.String()))
}

// Var defines the flag -r.Name on fs with the default value, storing into
// p. A value that is not a number in r (NaN and infinities never are) is
// a parse error of fs; the usage message gets the range.
func (r FloatRange) Var(fs *flag.FlagSet, p *float64, value float64, usage string) {
	*p = value
	fs.Var(&floatFlag{r, p}, r.Name, withRange(usage, "number", r.String()))
}

// withRange appends the range to a flag's usage, and names the argument
// (the flag package shows "value" for a flag.Value) unless the usage
// already names it in back quotes.
func withRange(usage, kind, bounds string) string {
	if strings.Contains(usage, "`") {
		return usage + " (" + bounds + ")"
	}
	return usage + " (an `" + kind + "`, " + bounds + ")"
}

type intFlag struct {
	r IntRange
	p *int
}

func (f *intFlag) String() string {
	if f == nil || f.p == nil { // the flag package's zero value
		return "0"
	}
	return strconv.Itoa(*f.p)
}

func (f *intFlag) Set(s string) error {
	v, err := f.r.Parse(s)
	if err == nil {
		*f.p = v
	}
	return err
}

type floatFlag struct {
	r FloatRange
	p *float64
}

func (f *floatFlag) String() string {
	if f == nil || f.p == nil {
		return "0"
	}
	return strconv.FormatFloat(*f.p, 'g', -1, 64)
}

func (f *floatFlag) Set(s string) error {
	v, err := f.r.Parse(s)
	if err == nil {
		*f.p = v
	}
	return err
}

// CheckRecall checks the settings of a recall task (p.Rho, p.K, p.T) for
// a model of n units evaluated on p.NEval held-out sequences, alone and
// together: T > K, and the working set within MaxWorkingSet (see Bounds).
// lowrank train calls it before it makes any data; a model file's recall
// metadata gets the same check from TaskOf.
func CheckRecall(p task.Params, n int) error {
	if err := Bounds.Eval.Check(p.NEval); err != nil {
		return err
	}
	return checkRecall(p.Rho, p.K, p.T, n, p.NEval)
}

// Rhos is a list of distinct AR(1) coefficients of an input, each within
// Bounds.Rho, written "0,0.5,0.9": a flag.Value that reads as ParseRhos.
type Rhos []float64

// String returns the list as ParseRhos reads it.
func (rs Rhos) String() string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = strconv.FormatFloat(r, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// Set parses s into rs (flag.Value).
func (rs *Rhos) Set(s string) error {
	v, err := ParseRhos(s)
	if err == nil {
		*rs = v
	}
	return err
}

// MemoryWorkingSet is the memory, in bytes, that the memorization
// experiment takes for runs of steps steps on n units: the float64 states
// of the training and the test run, of the reference network and of the
// truncation being scored, 8·steps·n bytes each. (Measured: a peak RSS of
// 349 MB for 40000 steps on 256 units, 82 MB a state matrix.)
func MemoryWorkingSet(steps, n int) int64 { return 4 * 8 * int64(steps) * int64(n) }

// CheckMemory checks that a memorization run of steps steps on n units
// fits within MaxWorkingSet, before any state is allocated.
func CheckMemory(steps, n int) error {
	if ws := MemoryWorkingSet(steps, n); ws > MaxWorkingSet {
		return fmt.Errorf("%d steps on %d units need %d MiB of states, more than the %d MiB bound: run at most %d steps",
			steps, n, ws>>20, MaxWorkingSet>>20, MaxWorkingSet/MemoryWorkingSet(1, n))
	}
	return nil
}
