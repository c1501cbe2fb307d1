// Package rnn holds lowrank's recurrent networks and the science done on
// them: the vanilla RNN and the minimal gated unit (MGRU) with a linear
// readout, their BPTT training, streaming inference on the kernels, SVD
// compression of the recurrent matrices, the first-order perturbation
// model, the rank sweep and the noiseless memorization experiment, and
// the safetensors model files.
//
// Training runs in float32 on gonum's BLAS; the same code instantiated in
// float64 checks the gradients by finite differences. Inference runs on the
// fused steps of package kernels:
//
//	m, _ := rnn.New(rnn.Config{Cell: rnn.MGRU, In: 28, Hidden: 128, Out: 10,
//		Objective: rnn.ClassifyLast}, seed)
//	s := m.NewStream()
//	for _, x := range frames {
//		y := s.Step(x) // no allocation
//	}
//
// Compression and its cost, on a model file's own task:
//
//	tb, _ := rnn.LoadTestbed("results/models/seqmnist-mgru-128.safetensors", 1000, "")
//	c, _ := rnn.Compress(tb.Model, rnn.CompressSpec{Ranks: [2]int{32, 32}}) // tb.Model is not modified
//	d, _ := tb.Assess(c)                                                    // metric kept, state error measured and predicted
//	damage, _ := tb.Sweep(rnn.Ranks{8, 16, 32}, []rnn.Method{rnn.SVD, rnn.Whitened})
//
// Where things are: model.go, bptt.go and train.go the cells and their
// training; stream.go and infer.go inference on the kernels; compress.go
// truncation (plain and whitened) and compressfile.go its files; rank.go
// the ranks every command takes ("4,8,full"); perturb.go the perturbation
// model; sweep.go the rank sweep (Damage, Testbed); memory.go the
// memorization experiment and memorysweep.go its sweep over coherence and
// rank; tasks.go the bridge to package task; file.go and safetensors/ the
// model files.
//
// What does not live here: the tasks and their data and metrics (package
// task), the kernels (package kernels, never asm directly), timing
// (package bench), and the results files and their formats (package
// report).
package rnn
