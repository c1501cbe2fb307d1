package rnn

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// delaySet is white noise and, as targets, the inputs 1 and 2 steps back.
func delaySet(rng *rand.Rand, n, t int) *Set {
	s := &Set{N: n, T: t, In: 1, Out: 2, X: make([]float32, n*t), Y: make([]float32, n*t*2)}
	for i := range s.X {
		s.X[i] = float32(rng.NormFloat64())
	}
	for q := 0; q < n; q++ {
		for step := 0; step < t; step++ {
			for k := 1; k <= 2; k++ {
				if step-k >= 0 {
					s.Y[(q*t+step)*2+k-1] = s.X[q*t+step-k]
				}
			}
		}
	}
	return s
}

// TestTrainLearns trains both cells on a two-step delayed recall of white
// noise: a network that learned anything recalls the last input almost
// perfectly, where an untrained readout explains nothing (R² ≈ 0).
func TestTrainLearns(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	train, test := delaySet(rng, 512, 20), delaySet(rng, 128, 20)
	for _, cell := range []Cell{RNN, MGRU} {
		m, err := New(Config{Cell: cell, In: 1, Hidden: 16, Out: 2, Objective: Regression, Burn: 2}, 3)
		if err != nil {
			t.Fatal(err)
		}
		before, _ := Evaluate(m, test, 0)
		if _, err := Train(m, train, TrainConfig{Epochs: 30, BatchSize: 32, LR: 1e-2, Seed: 4}); err != nil {
			t.Fatal(err)
		}
		after, err := Evaluate(m, test, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: R² per delay before %.3f, after %.3f", cell, before.R2, after.R2)
		if after.R2[0] < 0.9 || after.R2[1] < 0.5 {
			t.Errorf("%s: R² per delay after training = %.3f, want ≥ 0.9 and ≥ 0.5", cell, after.R2)
		}
	}
}

// TestTrainDeterministic: the same seed gives the same weights, bit for bit.
func TestTrainDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	data := delaySet(rng, 100, 10)
	var weights [2][]float32
	for run := range 2 {
		m, _ := New(Config{Cell: MGRU, In: 1, Hidden: 8, Out: 2, Objective: Regression}, 7)
		if _, err := Train(m, data, TrainConfig{Epochs: 2, BatchSize: 16, Seed: 9}); err != nil {
			t.Fatal(err)
		}
		for _, p := range m.Params() {
			weights[run] = append(weights[run], p.Data...)
		}
	}
	if !slices.Equal(weights[0], weights[1]) {
		t.Error("two trainings with the same seeds gave different weights")
	}
}

// Dropout and weight decay draw from their own seeded streams: the same
// seed gives the same weights, and regularisation changes them.
func TestTrainRegularisedDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	data := delaySet(rng, 100, 10)
	run := func(tc TrainConfig) []float32 {
		m, _ := New(Config{Cell: MGRU, In: 1, Hidden: 8, Out: 2, Objective: Regression}, 7)
		if _, err := Train(m, data, tc); err != nil {
			t.Fatal(err)
		}
		var w []float32
		for _, p := range m.Params() {
			w = append(w, p.Data...)
		}
		return w
	}
	plain := TrainConfig{Epochs: 2, BatchSize: 16, Seed: 9}
	reg := plain
	reg.InputDropout, reg.OutputDropout, reg.WeightDecay = 0.2, 0.3, 0.1
	a, b := run(reg), run(reg)
	if !slices.Equal(a, b) {
		t.Error("two regularised trainings with the same seeds gave different weights")
	}
	if slices.Equal(a, run(plain)) {
		t.Error("regularisation changed nothing")
	}
}

// A zero gradient leaves Adam's step at zero: what remains is the decay,
// w ← (1 − lr·wd)·w for the weight matrices, none for the biases.
func TestWeightDecay(t *testing.T) {
	m, _ := New(Config{Cell: MGRU, In: 2, Hidden: 3, Out: 2, Objective: Regression}, 1)
	for _, p := range m.Params() {
		for i := range p.Data {
			p.Data[i] = 0.5
		}
	}
	tr, err := NewTrainer(m, TrainConfig{LR: 0.1, WeightDecay: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	tr.step()
	for _, p := range m.Params() {
		want := float32(0.5 * (1 - 0.1*0.2))
		if p.Name[0] == 'b' || p.Name == "c" {
			want = 0.5
		}
		for _, v := range p.Data {
			if v != want {
				t.Fatalf("%s: %v after a step of zero gradient, want %v", p.Name, v, want)
			}
		}
	}
}

// With validation, training stops after Patience epochs without a better
// score and keeps the best epoch's weights: those of a run that stopped
// there.
func TestTrainValidation(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	data := delaySet(rng, 64, 10)
	scores := []float64{3, 2, 2.5, 2.1, 1}
	newModel := func() *Model {
		m, _ := New(Config{Cell: RNN, In: 1, Hidden: 6, Out: 2, Objective: Regression}, 4)
		return m
	}
	m := newModel()
	calls := 0
	tc := TrainConfig{Epochs: 5, BatchSize: 16, Seed: 5, Patience: 2,
		Validate: func(*Model) (float64, error) { calls++; return scores[calls-1], nil }}
	sum, err := Train(m, data, tc)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Epochs != 4 || sum.Best != 2 || !slices.Equal(sum.History, scores[:4]) {
		t.Errorf("summary %+v: want 4 epochs run, the 2nd kept, history %v", sum, scores[:4])
	}
	short := newModel()
	if _, err := Train(short, data, TrainConfig{Epochs: 2, BatchSize: 16, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	for i, p := range m.Params() {
		if !slices.Equal(p.Data, short.Params()[i].Data) {
			t.Fatalf("%s: the kept weights are not those after epoch 2", p.Name)
		}
	}
	tc.Validate = func(*Model) (float64, error) { return math.NaN(), nil }
	if _, err := Train(newModel(), data, tc); err == nil || !strings.Contains(err.Error(), "not finite") {
		t.Errorf("a NaN validation score: error %v", err)
	}
	for _, bad := range []TrainConfig{{InputDropout: 1}, {OutputDropout: -0.1}, {WeightDecay: 2}, {Patience: -1}} {
		if _, err := NewTrainer(newModel(), bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// dropInputs keeps zeros, drops about p of the rest and scales the kept.
func TestDropInputs(t *testing.T) {
	x := make([]float32, 20000)
	for i := 0; i < len(x); i += 2 {
		x[i] = 2
	}
	dropInputs(x, 0.25, rand.New(rand.NewPCG(1, 1)))
	dropped := 0
	for i, v := range x {
		switch {
		case i%2 == 1 && v != 0:
			t.Fatalf("x[%d] = %v: a zero input was scaled", i, v)
		case i%2 == 0 && v == 0:
			dropped++
		case i%2 == 0 && v != 2/0.75:
			t.Fatalf("x[%d] = %v, want 0 or 2/0.75", i, v)
		}
	}
	// 10000 draws at p = 0.25: sd 43; 5 sd either side.
	if dropped < 2500-220 || dropped > 2500+220 {
		t.Errorf("dropped %d of 10000 at p = 0.25", dropped)
	}
}

// The validation split is every tenth block of the training part, and the
// held-out part is untouched.
func TestTextValidation(t *testing.T) {
	ds, err := task.Named("pi", task.Params{})
	if err != nil {
		t.Skipf("no π corpus: %v", err)
	}
	c := ds.(*task.Corpus)
	train, validate, err := TextValidation(ds, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	tc := train.(*task.Corpus)
	// 90000 digits: 18 blocks of 5000, of which blocks 5 and 15 validate.
	if len(tc.Train) != 80000 || !slices.Equal(tc.Train[25000:25010], c.Train[30000:30010]) || !slices.Equal(tc.Test, c.Test) {
		t.Errorf("training part %d of %d characters, want 80000 without blocks 5 and 15; held-out part changed: %v",
			len(tc.Train), len(c.Train), !slices.Equal(tc.Test, c.Test))
	}
	m, _ := New(ConfigFor(ds.Spec(), RNN, 4), 1)
	bits, err := validate(m)
	if err != nil || !(bits > 3 && bits < 4) { // an untrained model: about log2(11)
		t.Errorf("validation of an untrained model: %v bits (%v)", bits, err)
	}
	rec, _ := task.Named("recall", task.Params{Rho: 0.5, K: 4, T: 20, NEval: 4})
	dir := t.TempDir() // 500 digits: one block, nothing to validate on
	if err := os.WriteFile(filepath.Join(dir, "pi.txt"), []byte("3."+strings.Repeat("0123456789", 50)), 0o644); err != nil {
		t.Fatal(err)
	}
	tiny, err := task.Named("pi", task.Params{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ds   task.Dataset
		frac float64
		want string
	}{{rec, 0.1, "not a text task"}, {ds, 0.7, "valid"}, {ds, 0, "valid"}, {tiny, 0.1, "too few"}} {
		if _, _, err := TextValidation(c.ds, c.frac); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("TextValidation(%s, %g): %v, want an error with %q", c.ds.Spec().Name, c.frac, err, c.want)
		}
	}
}

// Output dropout is refused for the gated cells, whose backward pass does
// not mask the readout's gradient.
func TestOutputDropoutGated(t *testing.T) {
	m, err := New(Config{Cell: GRU, In: 1, Hidden: 4, Out: 1, NumLayers: 1, Objective: Regression}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewTrainer(m, TrainConfig{OutputDropout: 0.1}); err == nil || !strings.Contains(err.Error(), "output dropout is for the RNN and MGRU") {
		t.Errorf("GRU with output dropout: %v", err)
	}
	if _, err := NewTrainer(m, TrainConfig{InputDropout: 0.1}); err != nil {
		t.Errorf("GRU with input dropout: %v", err)
	}
}
