//go:build openblas && cgo

package bench

import (
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

func TestOpenBLAS(t *testing.T) {
	if err := LoadOpenBLAS(); err != nil {
		t.Fatal(err) // built with -tags openblas: a missing library is a failure
	}
	core := OpenBLASCore()
	t.Logf("%s; core %s", OpenBLASConfig(), core)
	// Where we chose the core, OpenBLAS must run it: a name other than the
	// one asked for means the variable came too late (after the library's
	// constructor) and OpenBLAS guessed.
	if openblas.ours {
		want := map[string]string{"SKYLAKEX": "SkylakeX", "HASWELL": "Haswell"}[openblas.coreType]
		if !strings.HasPrefix(core, want+" ") {
			t.Errorf("OPENBLAS_CORETYPE=%s, but OpenBLAS runs %q", openblas.coreType, core)
		}
	}
	if v := os.Getenv("OPENBLAS_NUM_THREADS"); v != "1" {
		t.Logf("OPENBLAS_NUM_THREADS=%s from the environment; openblas_set_num_threads(1) applies anyway", v)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range peerShapes {
		a, x := randMatrix(rng, s[0], s[1])
		y := make([]float32, s[0])
		OpenBLASMatVec(y, a, x)
		checkMatVec(t, "openblas", y, a, x)
	}
}

func TestOpenBLASPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("OpenBLASMatVec with a short y: no panic")
		}
	}()
	a, x := randMatrix(rand.New(rand.NewPCG(5, 6)), 4, 4)
	OpenBLASMatVec(make([]float32, 3), a, x)
}
