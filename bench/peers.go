package bench

import (
	"slices"
	"strings"
	"sync"

	"github.com/lowrank-rnn/lowrank/kernels"
)

// A Peer is a matrix–vector product from outside package kernels that the
// benchmarks put beside the kernels targets, under impl=Name. Peers are
// compiled in only where asked for: "openblas" with -tags openblas (cgo,
// see openblas.go), "c" with -tags cpeer (cgo, gcc -O3 -march=native; a
// packed intrinsics kernel, see cpeer.go) and "simd" with
// GOEXPERIMENT=simd on amd64 (see simd.go).
type Peer struct {
	// Name is the impl= value: "openblas", "c" or "simd".
	Name string
	// Err is nil if the peer can run here, else why not (library missing,
	// CPU without AVX-512).
	Err error
	// Info says what runs, e.g. the OpenBLAS version and core, for a
	// benchmark's configuration lines.
	Info string
	// Prepare returns a function that sets y = A·x for the matrix a, with
	// len(y) == a.Rows and len(x) == a.Cols. It copies or packs a into the
	// layout the peer wants once, here, so that only the product is timed;
	// the product allocates nothing. Nil when Err is not.
	Prepare func(a kernels.Matrix) func(y, x []float32)
}

// peerInits are the peers compiled into this build, registered by the
// init functions of their files.
var peerInits []func() Peer

// Peers returns the peers compiled into this build, available or not (see
// Err), by name. The first call loads what they need (OpenBLAS).
func Peers() []Peer {
	return append([]Peer(nil), loadPeers()...)
}

var loadPeers = sync.OnceValue(func() []Peer {
	ps := make([]Peer, len(peerInits))
	for i, f := range peerInits {
		ps[i] = f()
	}
	slices.SortFunc(ps, func(a, b Peer) int { return strings.Compare(a.Name, b.Name) })
	return ps
})
