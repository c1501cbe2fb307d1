package safetensors_test

import (
	"bytes"
	"fmt"

	"github.com/lowrank-rnn/lowrank/rnn/safetensors"
)

// Write a model's weights, read them back, and get one matrix with its
// shape checked.
func Example() {
	model := &safetensors.File{
		Metadata: map[string]string{"cell": "rnn", "rank": "full"},
		Tensors: map[string]safetensors.Tensor{
			"W": safetensors.FromFloat32([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6}),
			"b": safetensors.FromFloat32([]int{2}, []float32{0.5, -0.5}),
		},
	}
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, model); err != nil {
		panic(err)
	}

	f, err := safetensors.Read(&buf, safetensors.Limits{})
	if err != nil {
		panic(err)
	}
	w, err := f.Float32("W", 2, 3)
	fmt.Println(w, err, f.Metadata["cell"])
	_, err = f.Float32("W", 3, 2)
	fmt.Println(err)
	// Output:
	// [1 2 3 4 5 6] <nil> rnn
	// tensor "W" has shape [2 3], want [3 2]
}
