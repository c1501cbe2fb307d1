// Package rnn holds lowrank's recurrent networks: the vanilla RNN and the
// minimal gated unit (MGRU) with a linear readout, their BPTT training, and
// streaming inference on the kernels.
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
package rnn
