package task

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func mustText(t *testing.T, corpus string) *Corpus {
	t.Helper()
	c, err := Text{Corpus: corpus}.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// SplitBlocks holds out the middle block of every run of round(1/frac),
// or the end.
func TestSplitBlocks(t *testing.T) {
	s := make([]int, 23)
	for i := range s {
		s[i] = i
	}
	rest, held := SplitBlocks(s, 0.25, 3) // blocks 0–2, 3–5, …, 21–22; every 4th from block 2
	if !slices.Equal(held, []int{6, 7, 8, 18, 19, 20}) || len(rest) != 17 || rest[6] != 9 {
		t.Errorf("blocks: rest %v, held %v", rest, held)
	}
	rest, held = SplitBlocks(s, 0.1, 0)
	if !slices.Equal(held, []int{21, 22}) || len(rest) != 21 || cap(rest) != 21 {
		t.Errorf("end: rest %v (cap %d), held %v", rest, cap(rest), held)
	}
}

func TestTextOpticks(t *testing.T) {
	c := mustText(t, "opticks")
	// Eleven of the 114 blocks of 5000 characters are held out.
	if c.V() != 92 || len(c.Train) != 512038 || len(c.Test) != 55000 {
		t.Fatalf("V %d, %d training and %d held-out characters; want 92, 512038, 55000", c.V(), len(c.Train), len(c.Test))
	}
	if c.Vocab[c.V()-1] != Unknown || !slices.IsSorted(c.Vocab[:c.V()-1]) {
		t.Fatal("vocabulary not sorted with Unknown last")
	}
	for _, r := range "aeZ .,\n_æ" {
		if !slices.Contains(c.Vocab, r) {
			t.Errorf("%q missing from the vocabulary", r)
		}
	}
	if got := c.Decode(c.Train[:14]); got != "Produced by Su" {
		t.Fatalf("training part starts %q", got)
	}
	if got := c.Decode(c.Encode("light€")); got != "light"+string(Unknown) {
		t.Fatalf("round trip %q", got)
	}
	s := c.Spec()
	if s != (Spec{Name: "text-opticks", Kind: ClassifyEach, In: 92, Out: 92, T: 100,
		Coherence: Coherence{Family: "text", Level: "Opticks (English)", Order: 1}}) {
		t.Fatalf("spec %+v", s)
	}
	b := c.Sample(NewRand(1), 8)
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	for k := 0; k < (b.T-1)*b.B; k++ {
		if b.Labels[k] != b.Tokens[k+b.B] || b.X[k*b.In+int(b.Tokens[k])] != 1 {
			t.Fatalf("step %d: label is not the next input", k)
		}
	}
	if x := slices.Clone(b.X); slices.Max(x) != 1 || func() (s float32) {
		for _, v := range x {
			s += v
		}
		return
	}() != float32(b.T*b.B) {
		t.Fatal("X is not one-hot")
	}
}

func TestTextPi(t *testing.T) {
	c := mustText(t, "pi")
	if c.V() != 11 || len(c.Train) != 90000 || len(c.Test) != 10000 {
		t.Fatalf("V %d, %d training and %d held-out digits; want 11, 90000, 10000", c.V(), len(c.Train), len(c.Test))
	}
	if got := string(c.Vocab); got != "0123456789"+string(Unknown) {
		t.Fatalf("vocabulary %q", got)
	}
	if got := c.Decode(c.Train[:10]); got != "1415926535" {
		t.Fatalf("π starts %q", got)
	}
	if strings.ContainsRune(c.Decode(c.Test), Unknown) {
		t.Fatal("held-out π has non-digits")
	}
	ds, err := Text{Corpus: "pi", SeqLen: 50}.Dataset()
	want := Spec{Name: "text-pi", Kind: ClassifyEach, In: 11, Out: 11, T: 50, Coherence: Coherence{"text", "digits of π", 0}}
	if err != nil || ds.Spec() != want {
		t.Fatalf("Dataset: %v, spec %+v, want %+v", err, ds.Spec(), want)
	}
}

// Held-out bits per character of a uniform predictor is log2 V, and every
// held-out character but the first is scored exactly once.
func TestTextUniformBits(t *testing.T) {
	for _, name := range []string{"opticks", "pi"} {
		c := mustText(t, name)
		m := NewMeter(c.Spec())
		for _, b := range c.Eval(64) {
			if err := b.Check(); err != nil {
				t.Fatal(err)
			}
			m.Add(b, make([]float32, b.T*b.B*b.Out))
		}
		if m.N() != len(c.Test)-1 {
			t.Errorf("%s: %d scored characters, want %d", name, m.N(), len(c.Test)-1)
		}
		if got, want := m.Bits(), math.Log2(float64(c.V())); math.Abs(got-want) > 1e-12 {
			t.Errorf("%s: uniform predictor %v bits/char, want log2 %d = %v", name, got, c.V(), want)
		}
	}
}

// A unigram model of the training part (add-one smoothing) scores ~4.5
// bits per character on held-out Opticks.
func TestTextUnigram(t *testing.T) {
	c := mustText(t, "opticks")
	count := make([]float64, c.V())
	for _, id := range c.Train {
		count[id]++
	}
	lp := make([]float32, c.V())
	for i, n := range count {
		lp[i] = float32(math.Log((n + 1) / float64(len(c.Train)+c.V())))
	}
	m := NewMeter(c.Spec())
	var labels []int32
	for _, b := range c.Eval(128) {
		out := make([]float32, 0, b.T*b.B*b.Out)
		for range b.T * b.B {
			out = append(out, lp...)
		}
		m.Add(b, out)
		labels = append(labels, b.Labels...)
	}
	if bits := m.Bits(); bits < 4.3 || bits > 4.7 {
		t.Errorf("unigram: %.3f bits/char, want ~4.5", bits)
	} else {
		t.Logf("unigram: %.4f bits/char on held-out Opticks; uniform: %.4f", bits, math.Log2(float64(c.V())))
	}
	if len(labels) != len(c.Test)-1 {
		t.Fatalf("%d labels", len(labels))
	}
}

func TestTextEvalCover(t *testing.T) {
	c, err := Text{Corpus: "pi", SeqLen: 7}.Load()
	if err != nil {
		t.Fatal(err)
	}
	ev := c.Eval(100)
	// 9999 predictions = 1428 windows of 7 + 3: 15 batches, then one of T=3.
	if len(ev) != 16 || ev[14].B != 28 || ev[15].T != 3 || ev[15].B != 1 {
		t.Fatalf("%d batches, last %d×%d", len(ev), ev[15].T, ev[15].B)
	}
	var got []int32
	for _, b := range ev {
		for j := 0; j < b.B; j++ {
			for tt := 0; tt < b.T; tt++ {
				got = append(got, b.Labels[tt*b.B+j])
			}
		}
	}
	if !slices.Equal(got, c.Test[1:]) {
		t.Fatal("Eval labels are not the held-out characters in order")
	}
	if _, err := (Text{Corpus: "shakespeare"}).Load(); err == nil {
		t.Fatal("unknown corpus: no error")
	}
}

// A data folder that holds a corpus file is read instead of GOROOT's; a
// corpus found nowhere says where it looked and what to do.
func TestTextDataFolder(t *testing.T) {
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "pi.txt"), []byte("3."+strings.Repeat("0123456789", 50)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(DataEnv, data)
	c, err := Text{Corpus: "pi", SeqLen: 10}.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Decode(c.Train[:12]); got != "012345678901" || len(c.Train)+len(c.Test) != 500 {
		t.Errorf("read %q… (%d characters), want the data folder's 500 digits", got, len(c.Train)+len(c.Test))
	}
	if p, err := TextPath("opticks", ""); err != nil || filepath.Dir(p) == data {
		t.Errorf("opticks, not in the data folder: %q, %v; want GOROOT's", p, err)
	}
	t.Setenv("GOROOT", t.TempDir())
	_, err = TextPath("opticks", data)
	if err == nil || !strings.Contains(err.Error(), data) || !strings.Contains(err.Error(), "Isaac.Newton-Opticks.txt") ||
		!strings.Contains(err.Error(), DataEnv) {
		t.Errorf("opticks nowhere: %v", err)
	}
}
