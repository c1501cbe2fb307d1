//go:build openblas && cgo

package bench

// The OpenBLAS peer: cblas_sgemv on the row-major matrix, one thread.
//
// Install the library (Debian 12 ships OpenBLAS 0.3.21, a DYNAMIC_ARCH
// build that picks its kernels at load time) and run with the tag:
//
//	apt-get update && apt-get install -y libopenblas-dev
//	go test -tags openblas ./bench -run OpenBLAS
//	go test -tags openblas ./bench -run '^$' -bench 'MatVec/impl=openblas'
//
// OpenBLAS picks its kernels ("core") in a library constructor, from cpuid
// or from the environment variable OPENBLAS_CORETYPE, and never again. Its
// own detection can fail on CPUs newer than the release (0.3.21 takes an
// Intel family 6 model 207 for a Prescott and runs scalar SSE3 code, ~7×
// slower), so where OPENBLAS_CORETYPE is unset we set it from the features
// cpuid reports: SKYLAKEX with AVX-512 F+BW+DQ+VL, HASWELL with AVX2+FMA3.
// The variable must be set before the constructor runs, and a library
// linked with -lopenblas is constructed before any code of ours: a C
// __attribute__((constructor)) in this preamble runs after it, and even a
// function in .preinit_array, which does run first, cannot set it (libc
// re-initialises environ after the pre-initialisers). So the library is not
// linked but opened with dlopen after os.Setenv, on first use. A value of
// OPENBLAS_CORETYPE already in the environment is the user's choice and is
// kept: check OpenBLASCore.
//
// OPENBLAS_NUM_THREADS=1 (unless set) and openblas_set_num_threads(1) keep
// the comparison to one core, like the kernels. Each call crosses cgo (some
// tens of nanoseconds), which matters for the smallest shapes only: that
// is part of what calling OpenBLAS from Go costs.

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>
#include <cblas.h>

static void *lib;
static __typeof__(cblas_sgemv) *p_sgemv;
static __typeof__(openblas_get_corename) *p_corename;
static __typeof__(openblas_get_config) *p_config;
static __typeof__(openblas_set_num_threads) *p_set_num_threads;

// load opens OpenBLAS and finds its functions; it returns NULL or what
// failed.
static const char *load(void) {
	const char *names[] = {"libopenblas.so.0", "libopenblas.so"};
	for (int i = 0; i < 2 && lib == NULL; i++) {
		lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	}
	if (lib == NULL) {
		return dlerror();
	}
	p_sgemv = dlsym(lib, "cblas_sgemv");
	p_corename = dlsym(lib, "openblas_get_corename");
	p_config = dlsym(lib, "openblas_get_config");
	p_set_num_threads = dlsym(lib, "openblas_set_num_threads");
	if (!p_sgemv || !p_corename || !p_config || !p_set_num_threads) {
		return "libopenblas lacks cblas_sgemv, openblas_get_corename, openblas_get_config or openblas_set_num_threads";
	}
	p_set_num_threads(1);
	return NULL;
}

static const char *corename(void) { return p_corename(); }
static const char *config(void) { return p_config(); }

// sgemv sets y = A·x for the row-major m×n matrix a.
static void sgemv(int m, int n, const float *a, int lda, const float *x, float *y) {
	p_sgemv(CblasRowMajor, CblasNoTrans, m, n, 1.0f, a, lda, x, 1, 0.0f, y, 1);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"unsafe"

	"github.com/klauspost/cpuid/v2"

	"github.com/lowrank-rnn/lowrank/kernels"
)

func init() {
	peerInits = append(peerInits, func() Peer {
		p := Peer{Name: "openblas", Err: LoadOpenBLAS()}
		if p.Err == nil {
			p.Info = fmt.Sprintf("%s; core %s", OpenBLASConfig(), OpenBLASCore())
			p.Prepare = func(a kernels.Matrix) func(y, x []float32) {
				a = kernels.Matrix{Rows: a.Rows, Cols: a.Cols, Stride: a.Stride,
					Data: append([]float32(nil), a.Data...)}
				return func(y, x []float32) { OpenBLASMatVec(y, a, x) }
			}
		}
		return p
	})
}

var openblas struct {
	once     sync.Once
	err      error
	coreType string // OPENBLAS_CORETYPE at load, "" if unset
	ours     bool   // whether we set it
}

// OpenBLASCoreType returns the OPENBLAS_CORETYPE cpuid suggests for this
// CPU: "SKYLAKEX" with AVX-512 F+BW+DQ+VL, "HASWELL" with AVX2 and FMA3,
// else "" (leave OpenBLAS to decide).
func OpenBLASCoreType() string {
	switch {
	case cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512DQ, cpuid.AVX512VL):
		return "SKYLAKEX"
	case cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3):
		return "HASWELL"
	}
	return ""
}

// LoadOpenBLAS loads OpenBLAS, once: it sets OPENBLAS_CORETYPE (unless
// set) to OpenBLASCoreType and OPENBLAS_NUM_THREADS (unless set) to 1,
// opens the library and limits it to one thread. It returns why OpenBLAS
// cannot be used, or nil. The other OpenBLAS functions call it.
func LoadOpenBLAS() error {
	openblas.once.Do(func() {
		ct, ok := os.LookupEnv("OPENBLAS_CORETYPE")
		if !ok {
			if ct = OpenBLASCoreType(); ct != "" {
				os.Setenv("OPENBLAS_CORETYPE", ct)
				openblas.ours = true
			}
		}
		openblas.coreType = ct
		if _, ok := os.LookupEnv("OPENBLAS_NUM_THREADS"); !ok {
			os.Setenv("OPENBLAS_NUM_THREADS", "1")
		}
		if msg := C.load(); msg != nil {
			openblas.err = fmt.Errorf("OpenBLAS: %s (install it with: apt-get install libopenblas-dev)", C.GoString(msg))
		}
	})
	return openblas.err
}

// OpenBLASCore returns the name of the kernels OpenBLAS runs, from
// openblas_get_corename ("SkylakeX", "Haswell", "Prescott", …), followed
// by where its OPENBLAS_CORETYPE came from, e.g. "SkylakeX
// (OPENBLAS_CORETYPE=SKYLAKEX set by lowrank)". Empty if OpenBLAS cannot
// be loaded.
func OpenBLASCore() string {
	if LoadOpenBLAS() != nil {
		return ""
	}
	name := C.GoString(C.corename())
	switch {
	case openblas.ours:
		return fmt.Sprintf("%s (OPENBLAS_CORETYPE=%s set by lowrank)", name, openblas.coreType)
	case openblas.coreType != "":
		return fmt.Sprintf("%s (OPENBLAS_CORETYPE=%s from the environment)", name, openblas.coreType)
	}
	return name + " (detected by OpenBLAS)"
}

// OpenBLASConfig returns openblas_get_config: version and build options,
// e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY SkylakeX
// MAX_THREADS=64". Empty if OpenBLAS cannot be loaded.
func OpenBLASConfig() string {
	if LoadOpenBLAS() != nil {
		return ""
	}
	return C.GoString(C.config())
}

// errOpenBLASShape is the panic for sizes cblas takes as int.
var errOpenBLASShape = errors.New("bench: OpenBLASMatVec: matrix too large for cblas (int dimensions)")

// OpenBLASMatVec sets y = a·x with cblas_sgemv (row-major, no transpose,
// alpha 1, beta 0) on one thread. len(y) must be a.Rows and len(x) a.Cols;
// it panics on a shape mismatch or if OpenBLAS cannot be loaded.
func OpenBLASMatVec(y []float32, a kernels.Matrix, x []float32) {
	switch {
	case len(y) != a.Rows || len(x) != a.Cols:
		panic(fmt.Sprintf("bench: OpenBLASMatVec: y has %d elements and x %d for a %d×%d matrix; want %d and %d",
			len(y), len(x), a.Rows, a.Cols, a.Rows, a.Cols))
	case a.Rows > 0 && (a.Stride < max(a.Cols, 1) || len(a.Data) < (a.Rows-1)*a.Stride+a.Cols):
		panic(fmt.Sprintf("bench: OpenBLASMatVec: %d×%d matrix with stride %d and %d elements is malformed",
			a.Rows, a.Cols, a.Stride, len(a.Data)))
	case a.Rows > math.MaxInt32 || a.Stride > math.MaxInt32:
		panic(errOpenBLASShape)
	}
	if err := LoadOpenBLAS(); err != nil {
		panic(err)
	}
	if a.Rows == 0 {
		return
	}
	if a.Cols == 0 {
		clear(y)
		return
	}
	C.sgemv(C.int(a.Rows), C.int(a.Cols), (*C.float)(unsafe.Pointer(&a.Data[0])), C.int(a.Stride),
		(*C.float)(unsafe.Pointer(&x[0])), (*C.float)(unsafe.Pointer(&y[0])))
}
