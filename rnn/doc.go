// Package rnn holds lowrank's recurrent networks: the vanilla RNN and the
// minimal gated unit (MGRU) with a linear readout, their BPTT training, and
// streaming inference on the kernels.
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
package rnn
