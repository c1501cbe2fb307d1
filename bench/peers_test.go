package bench

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lowrank-rnn/lowrank/kernels"
)

// peerShapes are the matrix shapes the peers are checked on: empty, single
// rows and columns, every panel remainder, and the benchmark sizes' kind.
var peerShapes = [][2]int{
	{0, 0}, {0, 5}, {5, 0}, {1, 1}, {1, 17}, {17, 1}, {3, 7}, {15, 16}, {16, 16},
	{17, 33}, {31, 2}, {33, 31}, {48, 5}, {63, 64}, {64, 64}, {65, 63},
	{100, 129}, {128, 128}, {130, 257}, {256, 256}, {300, 100},
}

// randMatrix returns a rows×cols matrix (with a stride of cols+3, so that
// rows do not abut) and an x of cols, uniform in [-1, 1).
func randMatrix(rng *rand.Rand, rows, cols int) (kernels.Matrix, []float32) {
	a := kernels.Matrix{Rows: rows, Cols: cols, Stride: cols + 3, Data: make([]float32, rows*(cols+3))}
	for i := range a.Data {
		a.Data[i] = 2*rng.Float32() - 1
	}
	x := make([]float32, cols)
	for i := range x {
		x[i] = 2*rng.Float32() - 1
	}
	return a, x
}

// checkMatVec fails t unless y = a·x within the bound of a float32 sum in
// any order: |y_i − ref_i| ≤ c·n·2⁻²⁴·Σ_j |a_ij x_j|, ref in float64, with
// c = 2 (one rounding per multiply-add, one per partial-sum merge).
func checkMatVec(t *testing.T, name string, y []float32, a kernels.Matrix, x []float32) {
	t.Helper()
	const c = 2
	for i := range a.Rows {
		var ref, abs float64
		for j, v := range a.Row(i) {
			p := float64(v) * float64(x[j])
			ref += p
			abs += math.Abs(p)
		}
		bound := c * float64(a.Cols) * 0x1p-24 * abs
		if d := math.Abs(float64(y[i]) - ref); !(d <= bound) {
			t.Errorf("%s %d×%d: y[%d] = %g, want %g ± %.3g (off by %.3g)", name, a.Rows, a.Cols, i, y[i], ref, bound, d)
			return
		}
	}
}

// TestPeers checks every peer compiled into this build against the float64
// reference, through the same Prepare path the benchmarks use.
func TestPeers(t *testing.T) {
	ps := Peers()
	if len(ps) == 0 {
		t.Skip("no peers in this build (-tags openblas, GOEXPERIMENT=simd)")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range ps {
		t.Run(p.Name, func(t *testing.T) {
			if p.Err != nil {
				t.Skip(p.Err)
			}
			t.Log(p.Info)
			for _, s := range peerShapes {
				a, x := randMatrix(rng, s[0], s[1])
				f := p.Prepare(a)
				y := make([]float32, s[0]+1)
				y[s[0]] = 42 // guard
				for i := range s[0] {
					y[i] = float32(math.NaN()) // must be overwritten
				}
				f(y[:s[0]], x)
				checkMatVec(t, p.Name, y, a, x)
				if y[s[0]] != 42 {
					t.Errorf("%s %d×%d: wrote past y", p.Name, s[0], s[1])
				}
			}
		})
	}
}
