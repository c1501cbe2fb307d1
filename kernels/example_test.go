package kernels_test

import (
	"fmt"

	"github.com/lowrank-rnn/lowrank/kernels"
)

// The values in these examples are small integers, so every target gives
// exactly the printed results whatever its summation order.

// Pack a matrix once, then apply it as often as needed: the packed layout
// is the fast path for the repeated products of a recurrent network.
func ExamplePack() {
	a := kernels.NewMatrix(2, 3)
	copy(a.Row(0), []float32{1, 2, 3})
	copy(a.Row(1), []float32{4, 5, 6})
	p := kernels.Pack(a)

	x := []float32{1, 0, -1}
	y := make([]float32, p.Rows())
	p.MatVec(y, x)
	fmt.Println(y)
	p.MatVecAdd(y, x) // y += A·x
	fmt.Println(y)
	// Output:
	// [-2 -2]
	// [-4 -4]
}

// A Matrix can view part of a larger array: here the left 2×2 block of a
// 2×3 array, with Stride 3.
func ExampleMatVec() {
	data := []float32{
		1, 2, 99,
		3, 4, 99,
	}
	a := kernels.Matrix{Rows: 2, Cols: 2, Stride: 3, Data: data}
	y := make([]float32, 2)
	kernels.MatVec(y, a, []float32{1, 1})
	fmt.Println(y)
	// Output:
	// [3 7]
}

// A rank-1 factorisation W = U·V of a 3×2 matrix: y = U·(V·x) costs
// r·(n+m) = 5 multiply-adds instead of n·m = 6, a saving that grows with n
// and m.
func ExamplePackLowRank() {
	u := kernels.Matrix{Rows: 3, Cols: 1, Stride: 1, Data: []float32{1, 2, 3}}
	v := kernels.Matrix{Rows: 1, Cols: 2, Stride: 2, Data: []float32{1, -1}}
	w := kernels.PackLowRank(kernels.LowRank{U: u, V: v})

	y := make([]float32, w.Rows())
	w.MatVec(y, []float32{3, 1})
	fmt.Println(w.Rows(), w.Cols(), w.Rank())
	fmt.Println(y)
	// Output:
	// 3 2 1
	// [2 4 6]
}

// Tests and benchmarks pin a target with Use and restore the previous one
// when done; an unknown or unsupported target is an error and changes
// nothing.
func ExampleUse() {
	restore, err := kernels.Use("go")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer restore()
	fmt.Println(kernels.Active())

	if _, err := kernels.Use("bogus"); err != nil {
		fmt.Println("still", kernels.Active())
	}
	// Output:
	// go
	// still go
}

// One step of PyTorch's GRU cell: weight_hh (3H×H, gates r, z, n) packed
// gate-interleaved once, the input projection xp = W_ih·x + b_ih
// precomputed, b = b_hh. With zero recurrent weights and zero state the
// step is hNew = (1 − z)·n with z = σ(xp_z + b_z) and n = tanh(xp_n +
// r·b_n), printed to four decimals (every target agrees to 1e-6).
func ExampleGRUStep() {
	const H = 2
	whh := kernels.NewMatrix(3*H, H) // zero: the state does not feed back here
	u := kernels.PackGates(whh, 3)
	h, hNew := make([]float32, H), make([]float32, H)
	xp := []float32{0, 0, 0, 0, 1, -1} // r, z, n: 2 units each
	b := []float32{0, 0, 0, 0, 0, 0}
	work := make([]float32, 3*H)
	kernels.GRUStep(hNew, h, xp, b, u, work)
	fmt.Printf("%.4f\n", hNew) // (1 − ½)·tanh(±1)
	// Output:
	// [0.3808 -0.3808]
}

// Quantize recurrent weights to int8: one scale per row (the row's largest
// magnitude over 64), the state quantized to 8 bits at each product. Every
// target gives these exact bits.
func ExamplePackInt8() {
	w := kernels.NewMatrix(2, 3)
	copy(w.Row(0), []float32{0.5, -0.25, 0.125})
	copy(w.Row(1), []float32{1, 0, -1})
	p := kernels.PackInt8(w)
	q, scale := p.Quantized()
	fmt.Println(q, scale)

	// The weights are exact here; the state is not: 0.5 becomes 64/127.
	h := []float32{1, -1, 0.5}
	y := make([]float32, 2)
	p.MatVec(y, h) // W·h = [0.8125 0.5]
	fmt.Println(y, p.WeightBytes(), "bytes")
	// Output:
	// [64 -32 16 64 0 -64] [0.0078125 0.015625]
	// [0.8129921 0.496063] 14 bytes
}
