// Package rnn holds lowrank's recurrent networks and the science done on
// them: the vanilla RNN, the minimal gated unit (MGRU), and PyTorch's GRU
// and LSTM (stacked, with proj_size; read from and written to PyTorch
// state_dicts), each with a linear readout; their BPTT training,
// streaming inference on the kernels, SVD compression of the recurrent
// matrices, the first-order perturbation model, the rank sweep and the
// noiseless memorization experiment, and the safetensors model files.
//
// Training runs in float32 on gonum's BLAS; the same code instantiated in
// float64 checks the gradients by finite differences. Inference runs on the
// fused steps of package kernels:
//
//	m, err := rnn.New(rnn.Config{Cell: rnn.MGRU, In: 28, Hidden: 128, Out: 10,
//		Objective: rnn.ClassifyLast}, seed)
//	if err != nil {
//		return err
//	}
//	s := m.NewStream()
//	var y []float32
//	for _, x := range frames { // one row of 28 pixels a step
//		y = s.Step(x) // no allocation
//	}
//
// (ExampleModel_NewStream runs this.) Model files are read strictly and
// every number in them is checked against Bounds before anything is
// allocated for it: a hostile file is an error, never a panic.
//
// Compression and its cost, on a model file's own task:
//
//	tb, err := rnn.LoadTestbed("results/models/seqmnist-mgru-128.safetensors", 1000, "")
//	if err != nil {
//		return err
//	}
//	c, err := rnn.Compress(tb.Model, rnn.CompressSpec{Ranks: [2]int{32, 32}}) // tb.Model is not modified
//	if err != nil {
//		return err
//	}
//	d, err := tb.Assess(c) // metric kept, state error measured and predicted
//
// Choosing the ranks without labels, on a device, from input frames alone:
//
//	p, err := rnn.NewPlanner(m, rnn.PlanConfig{})
//	if err != nil {
//		return err
//	}
//	for !p.Done() {
//		p.Step(nextFrame()) // and p.Reset() at the end of a sequence
//	}
//	plan, err := p.Plan(rnn.Target{MaxError: 0.05}) // or a Budget of bytes, multiply-adds or time
//
// Where things are: model.go, bptt.go and train.go the cells and their
// training; stream.go and infer.go inference on the kernels; compress.go
// truncation (plain and whitened); gated.go, torch.go and the …_gated.go
// files the GRU and LSTM (their layout, PyTorch files, training,
// inference, compression, perturbation model and compressed files);
// inspect.go what a file holds (lowrank inspect); rank.go
// the ranks every command takes ("4,8,full"); perturb.go the perturbation
// model; sweep.go the rank sweep (Damage, Testbed); memory.go the
// memorization experiment and memorysweep.go its sweep over coherence and
// rank; calibrator.go the input moments accumulated online, plan.go (with
// planbasis.go, planprobe.go, plancheck.go, planalloc.go) the planner,
// planbed.go planning a testbed's model, steptime.go the step-time model
// its time budgets are priced by; tasks.go the bridge to package task;
// file.go, compressfile.go and
// safetensors/ the model files; limits.go the bounds (Bounds) that every
// number read from a file or a flag is checked against.
//
// What does not live here: the tasks and their data and metrics (package
// task), the kernels (package kernels, never asm directly), timing
// (package bench; the planner's step-time model is the one timing here),
// and the results files and their formats (package report).
package rnn
