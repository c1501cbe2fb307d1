package task

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// Unknown is the symbol that stands for any character not seen in the
// training part; it is always the last entry of a Corpus's Vocab.
const Unknown = utf8.RuneError

// The two corpora, files that ship with Go: where in GOROOT, their place
// among the text tasks (English is coherent, π's digits are not), and the
// blocks their held-out split is made of (SplitBlocks). Opticks holds out
// blocks from all through the book: its last tenth is the Queries, prose
// unlike the experiments and tables before it, which a model of the rest
// predicts 0.3 bits per character worse than unseen text from the rest.
var corpora = map[string]struct {
	file      string
	coherence Coherence
	block     int
}{
	"opticks": {"src/testdata/Isaac.Newton-Opticks.txt", Coherence{"text", "Opticks (English)", 1}, TextBlock},
	"pi":      {"src/compress/testdata/pi.txt", Coherence{"text", "digits of π", 0}, 0},
}

// TextBlock is the length of the blocks Opticks's held-out split is made
// of: fifty windows of the default 100 characters.
const TextBlock = 5000

// SplitBlocks splits s into a part to train on and a held-out part of
// about frac of it: every round(1/frac)-th block of block elements (the
// middle one of each run of that many), or, when block is 0, the last frac
// of s. Both parts are the concatenations of their blocks, so a window
// that crosses the end of a block joins it to the next one of its part.
func SplitBlocks[E any](s []E, frac float64, block int) (rest, held []E) {
	if block <= 0 {
		cut := len(s) - int(float64(len(s))*frac)
		return s[:cut:cut], s[cut:]
	}
	k := max(1, int(math.Round(1/frac)))
	for i := 0; i*block < len(s); i++ {
		b := s[i*block : min(len(s), (i+1)*block)]
		if i%k == k/2 {
			held = append(held, b...)
		} else {
			rest = append(rest, b...)
		}
	}
	return rest, held
}

// Text is next-character prediction on a corpus that ships with Go:
// "opticks" (Newton's Opticks, UTF-8, read as Unicode characters) or "pi"
// (the 100000 decimals of π after the leading "3.", everything that is not
// a digit dropped). The held-out split is HeldOut of the characters:
// every tenth block of TextBlock characters for Opticks, the last tenth of
// the digits for π (SplitBlocks); the vocabulary is the set of characters
// of the training part, sorted, plus Unknown.
type Text struct {
	Corpus  string  // "opticks" or "pi"
	SeqLen  int     // steps per training sequence; 0 means 100
	HeldOut float64 // held-out fraction (see SplitBlocks); 0 means 0.1
	// Dir is a data folder that may hold the corpus file
	// (Isaac.Newton-Opticks.txt, pi.txt); "" means $LOWRANK_DATA. Where
	// it does not, the file is read from GOROOT.
	Dir string
}

// TextPath returns the file of a named corpus: in the data folder dir
// ("" means $LOWRANK_DATA) if it is there, else in GOROOT.
func TextPath(corpus, dir string) (string, error) {
	c, ok := corpora[corpus]
	if !ok {
		return "", fmt.Errorf("task: unknown text corpus %q (want \"opticks\" or \"pi\")", corpus)
	}
	file := filepath.FromSlash(c.file)
	var fallback place
	if root := goroot(); root != "" {
		fallback = place{filepath.Join(root, filepath.Dir(file)), "GOROOT"}
	} else {
		fallback.what = "GOROOT (this program was built without one: set GOROOT)"
	}
	found, err := locate(dir, []string{filepath.Base(file)}, fallback)
	if err != nil {
		return "", fmt.Errorf("task: the %s corpus: %v; set GOROOT to a Go installation, or copy %s into a data folder (-data or %s)",
			corpus, err, filepath.Base(file), DataEnv)
	}
	return filepath.Join(found, filepath.Base(file)), nil
}

// Load reads, encodes and splits the corpus.
func (t Text) Load() (*Corpus, error) {
	if t.SeqLen == 0 {
		t.SeqLen = 100
	}
	if t.HeldOut == 0 {
		t.HeldOut = 0.1
	}
	if t.SeqLen < 1 || !(t.HeldOut > 0 && t.HeldOut < 1) {
		return nil, fmt.Errorf("task: Text{SeqLen: %d, HeldOut: %v}: want SeqLen ≥ 1 and 0 < HeldOut < 1", t.SeqLen, t.HeldOut)
	}
	path, err := TextPath(t.Corpus, t.Dir)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("task: %s corpus: %v", t.Corpus, err)
	}
	var text []rune
	if t.Corpus == "pi" {
		s, _ := strings.CutPrefix(string(raw), "3.")
		for _, r := range s {
			if '0' <= r && r <= '9' {
				text = append(text, r)
			}
		}
	} else {
		text = []rune(string(raw))
	}
	train, test := SplitBlocks(text, t.HeldOut, corpora[t.Corpus].block)
	if len(train) < t.SeqLen+1 || len(test) < 2 {
		return nil, fmt.Errorf("task: %s corpus: %d training and %d held-out characters are too few for sequences of %d",
			t.Corpus, len(train), len(test), t.SeqLen)
	}
	c := &Corpus{Name: "text-" + t.Corpus, SeqLen: t.SeqLen, index: map[rune]int32{},
		coherence: corpora[t.Corpus].coherence}
	for _, r := range train {
		c.index[r] = 0
	}
	delete(c.index, Unknown)
	for r := range c.index {
		c.Vocab = append(c.Vocab, r)
	}
	slices.Sort(c.Vocab)
	c.Vocab = append(c.Vocab, Unknown)
	for i, r := range c.Vocab {
		c.index[r] = int32(i)
	}
	c.Train, c.Test = c.encode(train), c.encode(test)
	return c, nil
}

// Corpus is an encoded, split text. It is a ClassifyEach Dataset: input at
// step t is character t (one-hot, In = V), the label is character t+1.
type Corpus struct {
	Name   string  // "text-opticks" or "text-pi"
	Vocab  []rune  // symbol of each id, sorted; the last is Unknown
	Train  []int32 // symbol ids of the training part
	Test   []int32 // symbol ids of the held-out part
	SeqLen int     // steps per training sequence
	index  map[rune]int32
	// coherence is the corpus's place among the text tasks (Spec).
	coherence Coherence
}

// V is the vocabulary size, Unknown included.
func (c *Corpus) V() int { return len(c.Vocab) }

// Encode maps s to symbol ids (Unknown for characters outside Vocab).
func (c *Corpus) Encode(s string) []int32 { return c.encode([]rune(s)) }

func (c *Corpus) encode(rs []rune) []int32 {
	unk := int32(len(c.Vocab) - 1)
	ids := make([]int32, len(rs))
	for i, r := range rs {
		id, ok := c.index[r]
		if !ok {
			id = unk
		}
		ids[i] = id
	}
	return ids
}

// Decode maps symbol ids back to text.
func (c *Corpus) Decode(ids []int32) string {
	var b strings.Builder
	for _, id := range ids {
		b.WriteRune(c.Vocab[id])
	}
	return b.String()
}

// Spec: ClassifyEach, In = Out = V, T = SeqLen, no burn-in.
func (c *Corpus) Spec() Spec {
	return Spec{Name: c.Name, Kind: ClassifyEach, In: c.V(), Out: c.V(), T: c.SeqLen, Coherence: c.coherence}
}

// Batch returns the windows ids[s : s+T+1] for s in starts as a batch of T
// steps: inputs ids[s+t] (one-hot in X, ids in Tokens), labels ids[s+t+1].
func (c *Corpus) Batch(ids []int32, starts []int, T int) *Batch {
	B, V := len(starts), c.V()
	bt := &Batch{Kind: ClassifyEach, T: T, B: B, In: V, Out: V,
		X: make([]float32, T*B*V), Tokens: make([]int32, T*B), Labels: make([]int32, T*B)}
	for b, s := range starts {
		w := ids[s : s+T+1]
		for t := 0; t < T; t++ {
			k := t*B + b
			bt.Tokens[k] = w[t]
			bt.Labels[k] = w[t+1]
			bt.X[k*V+int(w[t])] = 1
		}
	}
	return bt
}

// Sample draws B windows of SeqLen+1 characters from the training part,
// starts uniform.
func (c *Corpus) Sample(rng *rand.Rand, B int) *Batch {
	starts := make([]int, B)
	for i := range starts {
		starts[i] = rng.IntN(len(c.Train) - c.SeqLen)
	}
	return c.Batch(c.Train, starts, c.SeqLen)
}

// Eval cuts the held-out part into consecutive windows that overlap by one
// character, so that every held-out character but the first is predicted
// exactly once, each window from a fresh state: full windows of SeqLen
// steps, B per batch (the last may hold fewer), then, if characters remain,
// one batch with a single shorter sequence.
func (c *Corpus) Eval(B int) []*Batch {
	if B < 1 {
		panic(fmt.Sprintf("task: Eval(%d)", B))
	}
	T, P := c.SeqLen, len(c.Test)-1
	full := P / T
	var out []*Batch
	for from := 0; from < full; from += B {
		starts := make([]int, min(B, full-from))
		for i := range starts {
			starts[i] = (from + i) * T
		}
		out = append(out, c.Batch(c.Test, starts, T))
	}
	if r := P - full*T; r > 0 {
		out = append(out, c.Batch(c.Test, []int{full * T}, r))
	}
	return out
}

// Dataset is Load as a Dataset (a *Corpus).
func (t Text) Dataset() (Dataset, error) {
	c, err := t.Load()
	if err != nil {
		return nil, err
	}
	return c, nil
}
