package rnn

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lowrank-rnn/lowrank/internal/quote"
	"github.com/lowrank-rnn/lowrank/rnn/safetensors"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// Bounds is the documented range of every number that reaches the library
// from a model file's metadata or from a command-line flag, written once.
// The loaders (Load, LoadCompressed, TaskOf) check what a file says against
// it before anything is allocated for it, and the commands define their
// flags with the same ranges (see IntRange.Var), so that a file and a flag
// are held to the same rules:
//
//	rnn.Bounds.Epochs.Var(fs, &tc.Epochs, 10, "training epochs")
//
// # Memory
//
// With these bounds, no command uses more than a small multiple of the
// model's own size plus its task's working set, whatever a file says:
//
//   - Loading a model or compressed file holds about four times the file's
//     size (the file's bytes, the decoded tensors, the model); every length
//     a header declares is checked against the size of the file before
//     anything is allocated for it (see safetensors.Read). Parsing the JSON
//     header allocates up to about 25 bytes a header byte in all (Go's
//     encoding/json allocates per token), most of it garbage at once.
//   - Compress works in float64 on copies of the recurrent matrices: about
//     ten times their float32 size (n ≤ 4096).
//   - A recall task's working set is RecallWorkingSet, at most MaxWorkingSet:
//     TaskOf refuses a file whose T, K and held-out size would need more.
//     The default compress of a committed recall model needs 334 MiB by
//     that formula and peaks at 335 MB of RSS. MNIST and the text corpora
//     have a fixed working set: the data (55 MB of MNIST pixels, under
//     1 MB of text).
//   - The memorization experiment keeps 8·Steps·K bytes of delay targets,
//     at most 256 MiB (MemoryConfig.Resolve), for each of the training and
//     validation runs and for each network being measured (GOMAXPROCS at
//     a time).
//
// Between garbage collections the process may hold up to twice its live
// data (GOGC=100).
var Bounds = struct {
	// Model shape, from a model file's metadata or lowrank train; Layers
	// for PyTorch's cells.
	In, Hidden, Out, Burn, Layers IntRange
	// Recall task, from a model's metadata or the task flags.
	T, K IntRange
	// Compression and evaluation.
	Rank, Eval IntRange
	// Training.
	Epochs, PerEpoch, Batch, Patience IntRange
	// Memorization experiment and sweeps.
	Steps, Washout, Runs, Samples IntRange
	// Benchmarks and the regression gate (lowrank sweep -n, bench, regress).
	N, Count, GateCount, MinSamples IntRange
	Alpha, MinEffect                FloatRange
	// Panel-geometry tuning (lowrank tune).
	Rounds IntRange
	Margin FloatRange

	Energy, Rho, Lambda, Radius FloatRange
	LR, Decay, Clip             FloatRange
	// Regularisation of training (lowrank train).
	InputDropout, OutputDropout, WeightDecay, Valid FloatRange
	// Planning: the largest damage, and a budget in bytes (at most the
	// dense weights of the largest model), in percent of the dense bytes,
	// or in seconds a step.
	MaxError, BudgetPercent, BudgetTime FloatRange
	BudgetBytes                         IntRange

	// Weight bounds every weight of a model file. A trained network's
	// weights are O(1), and at 1e6 every unit a weight feeds saturates;
	// within it, sums of at most 65536 products of the tasks' inputs stay
	// many orders of magnitude inside the float32 range, so a model that
	// loads runs to finite outputs.
	Weight FloatRange
}{
	In:     IntRange{"in", 1, 1 << 16, "input features per step"},
	Hidden: IntRange{"hidden", 1, 4096, "state size n"},
	Out:    IntRange{"out", 1, 1 << 16, "readout outputs"},
	Burn:   IntRange{"burn", 0, 10000, "leading steps not scored"},
	Layers: IntRange{"layers", 1, 64, "stacked layers of a GRU or LSTM"},

	T: IntRange{"T", 2, 10000, "steps per recall sequence"},
	K: IntRange{"K", 1, 4096, "largest recall delay"},

	Rank: IntRange{"rank", 1, 4096, "rank of a recurrent matrix, at most the state size n"},
	Eval: IntRange{"eval", 1, 100000, "held-out sequences evaluated"},

	Epochs:   IntRange{"epochs", 1, 10000, "training epochs"},
	PerEpoch: IntRange{"per-epoch", 1, 10000000, "training sequences per epoch"},
	Batch:    IntRange{"batch", 1, 4096, "sequences per minibatch"},
	Patience: IntRange{"patience", 0, 10000, "epochs without a better validation score before training stops (0: never)"},

	Steps:   IntRange{"steps", 1, 1 << 22, "steps per memorization run"},
	Washout: IntRange{"washout", 0, 1 << 22, "leading steps of a memorization run not used"},
	Runs:    IntRange{"test-runs", 2, 1000, "independent test runs of a memorization experiment"},
	Samples: IntRange{"samples", 1, 1000, "timed samples per product"},

	N:          IntRange{"n", 1, 8192, "size of a bare product's n×n matrix (at 8192 it and its packed copy take 512 MiB)"},
	Count:      IntRange{"count", 1, 1000, "samples of each benchmark"},
	GateCount:  IntRange{"gate-count", 0, 1000, "samples of the gate benchmarks (0: none)"},
	MinSamples: IntRange{"min-samples", 2, 1000, "fewest samples a side for a statistical test"},
	Alpha:      FloatRange{"alpha", 0, 1, true, true, "family-wise significance level"},
	MinEffect:  FloatRange{"min-effect", 0, 1, false, true, "smallest bad change of a median that counts, as a fraction (0: any)"},
	Rounds:     IntRange{"rounds", 3, 10000, "rounds of timed blocks of every candidate geometry"},
	Margin:     FloatRange{"margin", 0, 1, true, true, "gain of another geometry that starts a new rule, as a fraction"},

	Energy: FloatRange{"energy", 0, 1, true, false, "fraction of the singular values' energy Σσ² kept"},
	Rho:    FloatRange{"rho", 0, 1, false, true, "AR(1) coefficient ρ of the recall input"},
	Lambda: FloatRange{"lambda", 0, 1e6, false, false, "ridge penalty λ relative to the mean state variance (0: chosen by validation)"},
	Radius: FloatRange{"radius", 0, 1, true, true, "spectral radius of an untrained network"},
	LR:     FloatRange{"lr", 0, 1, true, false, "Adam step size"},
	Decay:  FloatRange{"decay", 0, 1, true, false, "step-size factor per epoch"},
	Clip:   FloatRange{"clip", 0, 1e6, true, false, "gradient-norm clipping threshold"},
	Weight: FloatRange{"weight", -1e6, 1e6, false, false, "a model weight"},

	InputDropout:  FloatRange{"input-dropout", 0, 1, false, true, "probability of dropping an input feature"},
	OutputDropout: FloatRange{"output-dropout", 0, 1, false, true, "probability of dropping a state unit the readout sees"},
	WeightDecay:   FloatRange{"weight-decay", 0, 1, false, false, "decoupled weight decay per unit step size"},
	Valid:         FloatRange{"valid", 0, 0.5, true, false, "fraction of a text task's training part held out for validation"},

	MaxError:      FloatRange{"max-error", 0, 1, true, false, "largest predicted damage: a relative error or loss, 0.05 for 5%"},
	BudgetPercent: FloatRange{"budget", 0, 100, true, false, "percent of the dense recurrent weights' bytes"},
	BudgetTime:    FloatRange{"budget", 0, 1, true, false, "seconds a step"},
	BudgetBytes:   IntRange{"budget", 1, 2 * 4 * 4096 * 4096, "bytes of recurrent weights"},
}

// MaxWorkingSet is the most memory, in bytes, that a task's data and
// evaluation may take beyond the model (see Bounds).
const MaxWorkingSet = 1 << 30

// IntRange is the range [Min, Max] of an integer setting.
type IntRange struct {
	Name     string // as the metadata key or flag is spelled
	Min, Max int
	What     string // what the number is, for the error message
}

// Check returns nil if v is in range, else a *RangeError.
func (r IntRange) Check(v int) error {
	if v < r.Min || v > r.Max {
		return &RangeError{Name: r.Name, Value: strconv.Itoa(v), Want: r.String(), What: r.What}
	}
	return nil
}

// Parse parses s as a decimal integer (as metadata holds it) and checks it.
func (r IntRange) Parse(s string) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, &RangeError{Name: r.Name, Value: quote.String(s), Want: r.String(), What: r.What, NaN: true}
	}
	return v, r.Check(v)
}

// String is the range as an inequality, "2 ≤ T ≤ 10000".
func (r IntRange) String() string {
	return fmt.Sprintf("%d ≤ %s ≤ %d", r.Min, r.Name, r.Max)
}

// FloatRange is the range of a real setting between Min and Max, each end
// open or closed. NaN and infinities are never in range.
type FloatRange struct {
	Name             string
	Min, Max         float64
	OpenMin, OpenMax bool // the end itself is excluded
	What             string
}

// Check returns nil if v is in range, else a *RangeError.
func (r FloatRange) Check(v float64) error {
	lo := v > r.Min || !r.OpenMin && v == r.Min
	hi := v < r.Max || !r.OpenMax && v == r.Max
	if !lo || !hi { // NaN fails both
		return &RangeError{Name: r.Name, Value: strconv.FormatFloat(v, 'g', -1, 64), Want: r.String(), What: r.What}
	}
	return nil
}

// Parse parses s as a number (as metadata holds it) and checks it.
func (r FloatRange) Parse(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, &RangeError{Name: r.Name, Value: quote.String(s), Want: r.String(), What: r.What, NaN: true}
	}
	return v, r.Check(v)
}

// String is the range as an inequality, "0 ≤ rho < 1".
func (r FloatRange) String() string {
	lo, hi := "≤", "≤"
	if r.OpenMin {
		lo = "<"
	}
	if r.OpenMax {
		hi = "<"
	}
	return fmt.Sprintf("%g %s %s %s %g", r.Min, lo, r.Name, hi, r.Max)
}

// RangeError reports a number outside its documented range, or a string
// that is not a number.
type RangeError struct {
	Name  string // the setting
	Value string // the value given (quoted if it did not parse)
	Want  string // the range, "2 ≤ T ≤ 10000"
	What  string // what the setting is
	NaN   bool   // Value is not a number at all
}

func (e *RangeError) Error() string {
	if e.NaN {
		return fmt.Sprintf("%s = %s is not a number: want %s (%s)", e.Name, e.Value, e.Want, e.What)
	}
	return fmt.Sprintf("%s = %s is out of range: want %s (%s)", e.Name, e.Value, e.Want, e.What)
}

// CheckRank checks a rank for a model of state size n.
func CheckRank(r, n int) error {
	if err := Bounds.Rank.Check(r); err != nil {
		return err
	}
	if r > n {
		return &RangeError{Name: "rank", Value: strconv.Itoa(r), Want: fmt.Sprintf("1 ≤ rank ≤ n = %d", n), What: Bounds.Rank.What}
	}
	return nil
}

// RecallWorkingSet is the memory, in bytes, that evaluating and compressing
// a recall model of state size n takes beyond the model, for sequences of T
// steps, K delays and nEval held-out sequences: the held-out set, made twice
// (cut into batches for the metric, and again for the probe), the 128
// calibration sequences and the 32-sequence probe, at 4·T·(K+1) bytes a
// sequence; one batch of 256 sequences run on the kernels, 4·256·T·(2n + K);
// and the float64 trajectories of the perturbation model on the probe,
// about 8·32·T·8n. This is the live data; between garbage collections
// (GOGC=100) the process may hold up to twice as much.
func RecallWorkingSet(T, K, n, nEval int) int64 {
	t, k, nn, e := int64(T), int64(K), int64(n), int64(nEval)
	return 4*t*(k+1)*(2*e+160) + 4*256*t*(2*nn+k) + 8*32*t*8*nn
}

// checkRecall checks a recall task's settings, alone and together, for a
// model of state size n evaluated on nEval sequences.
func checkRecall(rho float64, K, T, n, nEval int) error {
	if err := Bounds.Rho.Check(rho); err != nil {
		return err
	}
	if err := Bounds.K.Check(K); err != nil {
		return err
	}
	if err := Bounds.T.Check(T); err != nil {
		return err
	}
	if T <= K {
		return fmt.Errorf("T = %d steps per sequence leave nothing to score after K = %d delays: want T > K", T, K)
	}
	ws := RecallWorkingSet(T, K, n, nEval)
	if ws <= MaxWorkingSet {
		return nil
	}
	if RecallWorkingSet(T, K, n, 1) > MaxWorkingSet {
		return fmt.Errorf("T = %d steps, K = %d delays and n = %d units need %d MiB even for one held-out sequence, more than the %d MiB bound: the sequences are too long",
			T, K, n, RecallWorkingSet(T, K, n, 1)>>20, MaxWorkingSet>>20)
	}
	fits := 1 // the most held-out sequences that fit: the working set grows with nEval
	for lo, hi := 1, nEval; lo <= hi; {
		mid := lo + (hi-lo)/2
		if RecallWorkingSet(T, K, n, mid) <= MaxWorkingSet {
			fits, lo = mid, mid+1
		} else {
			hi = mid - 1
		}
	}
	return fmt.Errorf("T = %d steps, K = %d delays and n = %d units with %d held-out sequences need %d MiB, more than the %d MiB bound: evaluate on at most %d sequences",
		T, K, n, nEval, ws>>20, MaxWorkingSet>>20, fits)
}

// recallOf rebuilds the recall task a model was trained on from its
// metadata ("rho", "T", "data_seed" as lowrank train records them, K being
// the model's outputs), checking every value and that the recorded task
// name agrees with them.
func recallOf(meta map[string]string, m *Model, nEval int) (task.Recall, uint64, error) {
	rho, err := Bounds.Rho.Parse(meta["rho"])
	if err != nil {
		return task.Recall{}, 0, metaError(err)
	}
	T, err := Bounds.T.Parse(meta["T"])
	if err != nil {
		return task.Recall{}, 0, metaError(err)
	}
	seed, err := strconv.ParseUint(meta["data_seed"], 10, 64)
	if err != nil {
		return task.Recall{}, 0, fmt.Errorf("metadata data_seed = %s is not a seed: want an integer in [0, 2⁶⁴)", quote.String(meta["data_seed"]))
	}
	if err := checkRecall(rho, m.Out, T, m.Hidden, nEval); err != nil {
		return task.Recall{}, 0, metaError(err)
	}
	r := task.Recall{Rho: rho, K: m.Out, T: T}
	if want := r.Spec().Name; meta["task"] != want {
		return task.Recall{}, 0, fmt.Errorf("metadata task = %s disagrees with rho = %g and the model's K = %d outputs (want %q)", quote.String(meta["task"]), rho, m.Out, want)
	}
	return r, seed, nil
}

// checkTaskOf checks what TaskOf is about to trust, before it makes or
// loads any data: the number of held-out sequences, and that the model's
// shape is the named task's.
func checkTaskOf(meta map[string]string, m *Model, nEval int) error {
	if err := Bounds.Eval.Check(nEval); err != nil {
		return err
	}
	name := meta["task"]
	switch {
	case name == "seqmnist" || name == "seqmnist-perm":
		return fits(m, task.Spec{Name: name, Kind: task.ClassifyLast, In: task.MNISTRow, Out: task.MNISTClasses, T: task.MNISTSteps})
	case strings.HasPrefix(name, "recall"):
		r, _, err := recallOf(meta, m, nEval)
		if err != nil {
			return err
		}
		return fits(m, r.Spec())
	case name == "text-opticks" || name == "text-pi":
		return nil // fits is checked once the corpus gives the vocabulary
	case name == "":
		return fmt.Errorf("the model names no task (a PyTorch state_dict names none): what needs the task's data cannot run on it; compress it by -rank or -energy, which measure on Gaussian inputs")
	}
	return fmt.Errorf("unknown task %s in the model's metadata (want seqmnist, seqmnist-perm, text-opticks, text-pi or recall(…))", quote.String(name))
}

// fits reports whether m has the shape of a model for the task.
func fits(m *Model, spec task.Spec) error {
	if want := ConfigFor(spec, m.Cell, m.Hidden); want != m.Config {
		return fmt.Errorf("the model (in %d, out %d, %s, burn %d) does not fit its task %s (in %d, out %d, %s, burn %d)",
			m.In, m.Out, m.Objective, m.Burn, spec.Name, want.In, want.Out, want.Objective, want.Burn)
	}
	return nil
}

// metaError marks a range error as coming from a file's metadata.
func metaError(err error) error {
	if _, ok := err.(*RangeError); ok {
		return fmt.Errorf("metadata %w", err)
	}
	return err
}

// checkBounds checks the sizes of a configuration against Bounds.
func (c Config) checkBounds() error {
	for _, b := range []struct {
		r IntRange
		v int
	}{{Bounds.In, c.In}, {Bounds.Hidden, c.Hidden}, {Bounds.Out, c.Out}, {Bounds.Burn, c.Burn}} {
		if b.r.Name == Bounds.Out.Name && c.Cell.Gated() && c.Out == 0 {
			continue // a GRU or LSTM without a readout
		}
		if err := b.r.Check(b.v); err != nil {
			return fmt.Errorf("rnn: %w", err)
		}
	}
	return nil
}

// checkWeights reports the first weight of tensor name that is not finite
// or lies outside Bounds.Weight.
func checkWeights(name string, v []float32) error {
	if err := safetensors.CheckFinite(name, v); err != nil {
		return err
	}
	lim := float32(Bounds.Weight.Max)
	for i, x := range v {
		if x > lim || x < -lim {
			return fmt.Errorf("tensor %q: element %d of %d is %g, beyond the ±%g a model may hold (a trained network's weights are O(1))", name, i, len(v), x, lim)
		}
	}
	return nil
}
