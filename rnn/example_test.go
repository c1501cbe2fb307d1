package rnn_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/lowrank-rnn/lowrank/rnn"
)

// Load a trained model, run one frame through it, compress its recurrent
// matrices to rank 32 and save the compressed model: the README's
// "Using the library". (The README loads from the repository root, and
// saves beside it rather than in a temporary directory.)
func Example() {
	m, meta, err := rnn.Load("../results/models/seqmnist-mgru-128.safetensors") // strict: shapes, dtypes, NaN
	if err != nil {
		log.Fatal(err)
	}
	x := make([]float32, m.In) // one frame: a row of 28 pixels
	s := m.NewStream()
	y := s.Step(x) // one frame on the fused kernels, no allocation

	c, err := rnn.Compress(m, rnn.CompressSpec{Ranks: [2]int{32, 32}}) // m is not modified
	if err != nil {
		log.Fatal(err)
	}
	cs := c.NewStream() // the same model on the low-rank kernels
	yc := cs.Step(x)
	if w := c.SizeWarning(); w != "" { // rank ≥ n/2 saves nothing
		fmt.Println(w)
	}

	dir, err := os.MkdirTemp("", "lowrank-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mgru-r32.safetensors")
	if err := c.Save(path, meta); err != nil { // atomic, and loaded back before it replaces anything
		log.Fatal(err)
	}
	back, _, err := rnn.LoadCompressed(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s-%d: %d scores dense, %d compressed\n", m.Cell, m.Hidden, len(y), len(yc))
	fmt.Printf("ranks %v: %d recurrent weights instead of %d\n", back.Ranks, back.RecurrentParams(), m.RecurrentParams())
	// Output:
	// mgru-128: 10 scores dense, 10 compressed
	// ranks [32 32]: 16384 recurrent weights instead of 32768
}

// Run a model frame by frame, as a deployed network does: the package
// example.
func ExampleModel_NewStream() {
	m, err := rnn.New(rnn.Config{Cell: rnn.MGRU, In: 28, Hidden: 128, Out: 10,
		Objective: rnn.ClassifyLast}, 1)
	if err != nil {
		log.Fatal(err)
	}
	frames := make([][]float32, 28) // an image, one row of 28 pixels a step
	for i := range frames {
		frames[i] = make([]float32, 28)
	}
	s := m.NewStream()
	var y []float32
	for _, x := range frames {
		y = s.Step(x) // no allocation
	}
	fmt.Println(len(y), "class scores after", len(frames), "steps")
	// Output: 10 class scores after 28 steps
}

// Every number that comes from a file or a flag has one documented range;
// a command checks its flags with the same ranges the loaders use.
func ExampleIntRange_Check() {
	fmt.Println(rnn.Bounds.T.Check(200))
	fmt.Println(rnn.Bounds.T.Check(1000000000))
	fmt.Println(rnn.Bounds.Rho.Check(1))
	fmt.Println(rnn.CheckRank(96, 64))
	// Output:
	// <nil>
	// T = 1000000000 is out of range: want 2 ≤ T ≤ 10000 (steps per recall sequence)
	// rho = 1 is out of range: want 0 ≤ rho < 1 (AR(1) coefficient ρ of the recall input)
	// rank = 96 is out of range: want 1 ≤ rank ≤ n = 64 (rank of a recurrent matrix, at most the state size n)
}

// A rank of n/2 or more gives a "compressed" model with more recurrent
// weights than the dense one; SizeWarning says so for the command to print.
func ExampleCompressed_SizeWarning() {
	m, err := rnn.New(rnn.Config{Cell: rnn.RNN, In: 1, Hidden: 64, Out: 4, Objective: rnn.Regression, Burn: 4}, 1)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range []int{16, 40} {
		c, err := rnn.Compress(m, rnn.CompressSpec{Ranks: [2]int{r, r}})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("rank %d: %q\n", r, c.SizeWarning())
	}
	// Output:
	// rank 16: ""
	// rank 40: "the compressed model has 5120 recurrent weights, 125% of the dense model's 4096: ranks [40] are not below n/2 = 32, so it is larger and slower than the original"
}
