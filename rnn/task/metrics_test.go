package task

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestR2(t *testing.T) {
	y := []float64{1, 2, 3, 4}
	if r := R2(y, y); r != 1 {
		t.Errorf("perfect prediction: R² = %v, want 1", r)
	}
	if r := R2([]float64{2.5, 2.5, 2.5, 2.5}, y); r != 0 {
		t.Errorf("mean prediction: R² = %v, want 0", r)
	}
	// SSE = 4·1, SST = 5: R² = 1 − 4/5.
	if r := R2([]float64{2, 3, 4, 5}, y); math.Abs(r-0.2) > 1e-15 {
		t.Errorf("shifted prediction: R² = %v, want 0.2", r)
	}
	if r := R2([]float64{1, 2}, []float64{3, 3}); r != 0 {
		t.Errorf("constant target: R² = %v, want 0", r)
	}
	if mc := MemoryCapacity([]float64{1, 0.5, 0.25, -0.3}); mc != 1.75 {
		t.Errorf("MC = %v, want 1.75", mc)
	}
}

func TestAccuracyAndBits(t *testing.T) {
	scores := []float32{
		0, 1, 0, // argmax 1
		2, 2, 0, // tie: first, 0
		0, 0, 5, // 2
		1, 0, 0, // 0
	}
	labels := []int32{1, 1, 2, 2}
	if a := Accuracy(scores, labels, 3); a != 0.5 {
		t.Errorf("accuracy %v, want 0.5", a)
	}
	// log-probabilities: p = 1/2, 1/4 → 1 and 2 bits.
	lp := []float32{float32(math.Log(0.5)), float32(math.Log(0.5)), 0, 0,
		float32(math.Log(0.25)), float32(math.Log(0.25)), float32(math.Log(0.25)), float32(math.Log(0.25))}
	lp[2], lp[3] = -100, -100 // the rest of the first row's mass is ~0
	if b := BitsPerChar(lp, []int32{0, 3}, 4); math.Abs(b-1.5) > 1e-6 {
		t.Errorf("bits %v, want 1.5", b)
	}
	// Uniform logits: exactly log2 V.
	if b := BitsPerChar(make([]float32, 7*5), make([]int32, 5), 7); math.Abs(b-math.Log2(7)) > 1e-12 {
		t.Errorf("uniform bits %v, want %v", b, math.Log2(7))
	}
}

func TestMeterRegression(t *testing.T) {
	b := Recall{Rho: 0.3, K: 3, T: 50}.Generate(2, 4)
	r2 := R2PerDelay(b, b.Y)
	if MemoryCapacity(r2) != 3 {
		t.Fatalf("perfect prediction: R² %v", r2)
	}
	m := NewMeter(Recall{Rho: 0.3, K: 3, T: 50}.Spec())
	m.Add(b, make([]float32, len(b.Y)))
	for k, v := range m.R2() {
		if v > 0 || v < -0.2 {
			t.Errorf("zero prediction: R²(%d) = %v, want ≈ 0 (−mean²/var)", k+1, v)
		}
	}
	if m.N() != 4*(50-3) || m.MSE() < 0.5 {
		t.Errorf("N %d, MSE %v", m.N(), m.MSE())
	}
}

func TestMeterClassifyEachBurn(t *testing.T) {
	b := &Batch{Kind: ClassifyEach, T: 2, B: 1, In: 1, Out: 2, X: []float32{0, 0}, Labels: []int32{0, 1}}
	m := NewMeter(Spec{Kind: ClassifyEach, Out: 2, Burn: 1})
	m.Add(b, []float32{0, 9, 0, 9}) // step 0 wrong but not scored; step 1 right
	if m.N() != 1 || m.Accuracy() != 1 {
		t.Fatalf("N %d accuracy %v", m.N(), m.Accuracy())
	}
}

func TestFitRidge(t *testing.T) {
	rng := NewRand(1)
	n, d := 500, 4
	x := mat.NewDense(n, d, nil)
	y := mat.NewDense(n, 2, nil)
	w := [][2]float64{{1, 0}, {-2, 0.5}, {0, 3}, {0.25, -1}}
	for i := 0; i < n; i++ {
		var y0, y1 float64 = 0.5, -7
		for j := 0; j < d; j++ {
			v := rng.NormFloat64() + 3
			x.Set(i, j, v)
			y0 += w[j][0] * v
			y1 += w[j][1] * v
		}
		y.Set(i, 0, y0)
		y.Set(i, 1, y1)
	}
	r, err := FitRidge(x, y, 0)
	if err != nil {
		t.Fatal(err)
	}
	for j := 0; j < d; j++ {
		for k := 0; k < 2; k++ {
			if math.Abs(r.W.At(j, k)-w[j][k]) > 1e-9 {
				t.Fatalf("W[%d][%d] = %v, want %v", j, k, r.W.At(j, k), w[j][k])
			}
		}
	}
	if math.Abs(r.B[0]-0.5) > 1e-8 || math.Abs(r.B[1]+7) > 1e-8 {
		t.Fatalf("B = %v", r.B)
	}
	for _, v := range R2Columns(r.Predict(x), y) {
		if math.Abs(v-1) > 1e-12 {
			t.Fatalf("R² %v", v)
		}
	}
	if _, err := FitRidge(mat.NewDense(3, 2, nil), mat.NewDense(3, 1, nil), 0); err == nil {
		t.Fatal("singular covariance with λ = 0: no error")
	}
}

// The memorization experiment's readout, from the pieces rnn builds it of
// (DelayTargets, FitRidge, R2Columns): a shift register holding u_t …
// u_{t−4} remembers delays 1..4 exactly and nothing beyond (white input),
// MC = 4.
func TestDelayReadoutShiftRegister(t *testing.T) {
	const n, K, burn = 5, 8, 10
	run := func(seed uint64, steps int) (*mat.Dense, []float64) {
		u := AR1(NewRand(seed), 0, steps)
		h := mat.NewDense(steps, n, nil)
		for tt := range steps {
			for i := 0; i < n && tt-i >= 0; i++ {
				h.Set(tt, i, u[tt-i])
			}
		}
		return h, u
	}
	ha, ua := run(1, 4000)
	hb, ub := run(2, 4000)
	after := func(h *mat.Dense) mat.Matrix { return h.Slice(burn, 4000, 0, n) }
	rd, err := FitRidge(after(ha), DelayTargets(ua, K, burn), 1e-9)
	if err != nil {
		t.Fatal(err)
	}
	r2 := R2Columns(rd.Predict(after(hb)), DelayTargets(ub, K, burn))
	for k := 1; k <= K; k++ {
		want := 0.0
		if k < n {
			want = 1
		}
		if math.Abs(r2[k-1]-want) > 0.01 {
			t.Errorf("R²(%d) = %.4f, want %v", k, r2[k-1], want)
		}
	}
	if mc := MemoryCapacity(r2); math.Abs(mc-4) > 0.02 {
		t.Errorf("MC = %.4f, want 4", mc)
	}
}

// bitsBatch is a ClassifyEach batch of one step per sequence whose
// sequence i costs bits[i] bits: two classes, scored by the
// log-probabilities of 2^−bits and its complement, label 0.
func bitsBatch(bits []float64) (*Batch, []float32) {
	B := len(bits)
	b := &Batch{Kind: ClassifyEach, T: 1, B: B, In: 1, Out: 2, X: make([]float32, B), Labels: make([]int32, B)}
	out := make([]float32, 2*B)
	for i, x := range bits {
		p := math.Exp2(-x)
		out[2*i], out[2*i+1] = float32(math.Log(p)), float32(math.Log1p(-p))
	}
	return b, out
}

func TestMeterBitsSE(t *testing.T) {
	spec := Spec{Kind: ClassifyEach, Out: 2}
	// Four sequences, a block each: the jackknife of a mean is s/√n,
	// s² = ((1.5² + 0.5²)·2)/3 = 5/3 about the mean 2.5.
	m := NewMeter(spec)
	m.Add(bitsBatch([]float64{1, 2, 3, 4}))
	if got, want := m.BitsSE(), math.Sqrt(5.0/3/4); math.Abs(got-want) > 1e-6 {
		t.Errorf("4 sequences: BitsSE = %v, want %v", got, want)
	}
	// Forty sequences in two batches: twenty blocks of two consecutive ones,
	// a ± 0.5 with a = 1, 2, 1, 2, …; only the block means a count:
	// s² = 20·0.25/19, SE = √(s²/20) = √(1/76).
	bits := make([]float64, 40)
	for i := range bits {
		bits[i] = float64(1+i/2%2) + 0.5 - float64(i%2)
	}
	m = NewMeter(spec)
	m.Add(bitsBatch(bits[:16]))
	m.Add(bitsBatch(bits[16:]))
	if got, want := m.BitsSE(), math.Sqrt(1.0/76); math.Abs(got-want) > 1e-6 {
		t.Errorf("40 sequences in 20 blocks: BitsSE = %v, want %v", got, want)
	}
	m = NewMeter(spec)
	m.Add(bitsBatch([]float64{2}))
	if !math.IsNaN(m.BitsSE()) {
		t.Errorf("one sequence: BitsSE = %v, want NaN (no spread to see)", m.BitsSE())
	}
	// Accuracy: label 0 is right where 2^−bits > 1/2: 1 of 4.
	m = NewMeter(Spec{Kind: ClassifyLast, Out: 2})
	b, out := bitsBatch([]float64{0.5, 2, 3, 4})
	b.Kind = ClassifyLast
	m.Add(b, out)
	if got, want := m.AccuracySE(), math.Sqrt(0.25*0.75/4); m.Accuracy() != 0.25 || math.Abs(got-want) > 1e-15 {
		t.Errorf("accuracy %v ± %v, want 0.25 ± %v", m.Accuracy(), got, want)
	}
}

// The jackknife of MC, recomputed from scratch: each block of sequences
// left out in turn, R²(k) of the rest by R2.
func TestMeterMemoryCapacitySE(t *testing.T) {
	r := Recall{Rho: 0.5, K: 3, T: 20}
	spec := r.Spec()
	batches := []*Batch{r.Generate(1, 12), r.Generate(2, 18)} // 30 sequences: blocks of 1 or 2
	rng := NewRand(3)
	m := NewMeter(spec)
	type val struct {
		seq, k int
		p, y   float64
	}
	var vals []val
	seq := 0
	for _, b := range batches {
		pred := make([]float32, len(b.Y))
		for i, y := range b.Y {
			pred[i] = y + float32(rng.NormFloat64())*0.7
		}
		m.Add(b, pred)
		for k := spec.Burn * b.B; k < b.T*b.B; k++ {
			for j := 0; j < b.Out; j++ {
				vals = append(vals, val{seq + k%b.B, j, float64(pred[k*b.Out+j]), float64(b.Y[k*b.Out+j])})
			}
		}
		seq += b.B
	}
	g := SEBlocks
	theta := make([]float64, g)
	var mean float64
	for i := range theta {
		for j := 0; j < spec.Out; j++ {
			var p, y []float64
			for _, v := range vals {
				if v.k == j && v.seq*g/seq != i {
					p, y = append(p, v.p), append(y, v.y)
				}
			}
			theta[i] += max(R2(p, y), 0)
		}
		mean += theta[i] / float64(g)
	}
	var ss float64
	for _, v := range theta {
		ss += (v - mean) * (v - mean)
	}
	want := math.Sqrt(float64(g-1) / float64(g) * ss)
	if got := m.MemoryCapacitySE(); !(want > 0) || math.Abs(got-want) > 1e-9*want {
		t.Errorf("MemoryCapacitySE = %v, want %v (MC %v)", got, want, m.MemoryCapacity())
	}
}
