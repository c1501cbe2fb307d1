package rnn_test

import (
	"fmt"
	"log"
	"math/rand/v2"

	"github.com/lowrank-rnn/lowrank/rnn"
)

// Choose the ranks of a trained model from its input alone, as a device
// would: frames in, a plan out, then compress as planned. Here noise
// stands in for the frames a device would feed (rows of images, for this
// MNIST model); lowrank plan feeds a task's held-out inputs.
func ExamplePlanner() {
	m, _, err := rnn.Load("../results/models/seqmnist-mgru-128.safetensors")
	if err != nil {
		log.Fatal(err)
	}
	p, err := rnn.NewPlanner(m, rnn.PlanConfig{Measure: rnn.OutputError})
	if err != nil {
		log.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	frame := make([]float32, m.In)
	for !p.Done() {
		for range 28 { // a sequence: 28 rows
			for i := range frame {
				frame[i] = rng.Float32()
			}
			p.Step(frame)
		}
		p.Reset() // the end of a sequence
	}
	plan, err := p.Plan(rnn.Target{MaxError: 0.05}) // a 5% relative readout error
	if err != nil {
		log.Fatal(err)
	}
	spec, err := plan.Spec()
	if err != nil {
		log.Fatal(err) // a plan that keeps the model dense has no spec
	}
	c, err := rnn.Compress(m, spec) // truncates exactly as planned
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("within the target:", plan.Error <= 0.05, "; smaller than dense:", c.RecurrentParams() < m.RecurrentParams())
	// Output: within the target: true ; smaller than dense: true
}
