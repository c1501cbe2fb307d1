//go:build cpeer && cgo && amd64

package bench

// The C peer: a straightforward packed matrix–vector product written with
// intrinsics and compiled with gcc -O3 -march=native, what a C programmer
// gets on the same machine. Run with the tag:
//
//	go test -tags cpeer ./bench -run Peer
//	go test -tags cpeer ./bench -run '^$' -bench 'MatVec/impl=c'
//
// The layout is the one the measurements found best in C on Zen 5:
// panels of 64 rows (AVX-512; 32 with AVX2 only), each stored column by
// column, streamed one at a time with two columns per step in eight
// accumulators; the rows left over go in panels of 16 (AVX-512) or 8
// (AVX2) rows, the last zero-padded. Each call crosses cgo (a few tens of
// nanoseconds), which matters for the smallest shapes only: that is part of
// what calling C from Go costs.

/*
#cgo CFLAGS: -O3 -march=native
#include <immintrin.h>
#include <stddef.h>

#ifdef __AVX512F__
#define CP_H 64 // main panel height
#define CP_T 16 // tail panel height
#else
#define CP_H 32
#define CP_T 8
#endif

// cp_size returns the floats of the packed form of a rows×cols matrix.
static size_t cp_size(int rows, int cols) {
	int full = rows / CP_H * CP_H;
	int tail = (rows - full + CP_T - 1) / CP_T * CP_T;
	return (size_t)(full + tail) * cols;
}

// cp_pack packs the row-major a (stride lda) into out, cp_size floats.
static void cp_pack(const float *a, int rows, int cols, int lda, float *out) {
	int full = rows / CP_H * CP_H;
	for (int i = 0; i < rows; i++) {
		int h = i < full ? CP_H : CP_T;
		int p0 = i < full ? i / CP_H * CP_H : full + (i - full) / CP_T * CP_T;
		float *panel = out + (size_t)p0 * cols;
		for (int j = 0; j < cols; j++) {
			panel[(size_t)j * h + (i - p0)] = a[(size_t)i * lda + j];
		}
	}
	int end = full + (rows - full + CP_T - 1) / CP_T * CP_T;
	for (int i = rows; i < end; i++) { // padding rows
		int p0 = full + (i - full) / CP_T * CP_T;
		for (int j = 0; j < cols; j++) {
			out[(size_t)p0 * cols + (size_t)j * CP_T + (i - p0)] = 0;
		}
	}
}

#ifdef __AVX512F__
// cp_gemv sets y = P·x for the packed P.
static void cp_gemv(const float *p, int rows, int cols, const float *x, float *y) {
	int full = rows / CP_H * CP_H;
	for (int i = 0; i < full; i += CP_H) {
		const float *w = p + (size_t)i * cols;
		__m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
		__m512 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
		int j = 0;
		for (; j + 2 <= cols; j += 2, w += 2 * CP_H) {
			__m512 x0 = _mm512_set1_ps(x[j]), x1 = _mm512_set1_ps(x[j + 1]);
			a0 = _mm512_fmadd_ps(_mm512_load_ps(w), x0, a0);
			a1 = _mm512_fmadd_ps(_mm512_load_ps(w + 16), x0, a1);
			a2 = _mm512_fmadd_ps(_mm512_load_ps(w + 32), x0, a2);
			a3 = _mm512_fmadd_ps(_mm512_load_ps(w + 48), x0, a3);
			b0 = _mm512_fmadd_ps(_mm512_load_ps(w + 64), x1, b0);
			b1 = _mm512_fmadd_ps(_mm512_load_ps(w + 80), x1, b1);
			b2 = _mm512_fmadd_ps(_mm512_load_ps(w + 96), x1, b2);
			b3 = _mm512_fmadd_ps(_mm512_load_ps(w + 112), x1, b3);
		}
		if (j < cols) {
			__m512 x0 = _mm512_set1_ps(x[j]);
			a0 = _mm512_fmadd_ps(_mm512_load_ps(w), x0, a0);
			a1 = _mm512_fmadd_ps(_mm512_load_ps(w + 16), x0, a1);
			a2 = _mm512_fmadd_ps(_mm512_load_ps(w + 32), x0, a2);
			a3 = _mm512_fmadd_ps(_mm512_load_ps(w + 48), x0, a3);
		}
		_mm512_storeu_ps(y + i, _mm512_add_ps(a0, b0));
		_mm512_storeu_ps(y + i + 16, _mm512_add_ps(a1, b1));
		_mm512_storeu_ps(y + i + 32, _mm512_add_ps(a2, b2));
		_mm512_storeu_ps(y + i + 48, _mm512_add_ps(a3, b3));
	}
	for (int i = full; i < rows; i += CP_T) {
		const float *w = p + (size_t)i * cols;
		__m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
		int j = 0;
		for (; j + 4 <= cols; j += 4, w += 4 * CP_T) {
			a0 = _mm512_fmadd_ps(_mm512_load_ps(w), _mm512_set1_ps(x[j]), a0);
			a1 = _mm512_fmadd_ps(_mm512_load_ps(w + 16), _mm512_set1_ps(x[j + 1]), a1);
			a2 = _mm512_fmadd_ps(_mm512_load_ps(w + 32), _mm512_set1_ps(x[j + 2]), a2);
			a3 = _mm512_fmadd_ps(_mm512_load_ps(w + 48), _mm512_set1_ps(x[j + 3]), a3);
		}
		for (; j < cols; j++, w += CP_T) {
			a0 = _mm512_fmadd_ps(_mm512_load_ps(w), _mm512_set1_ps(x[j]), a0);
		}
		__m512 s = _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3));
		int n = rows - i < CP_T ? rows - i : CP_T;
		_mm512_mask_storeu_ps(y + i, (__mmask16)((1u << n) - 1), s);
	}
}
#else
static void cp_gemv(const float *p, int rows, int cols, const float *x, float *y) {
	int full = rows / CP_H * CP_H;
	for (int i = 0; i < full; i += CP_H) {
		const float *w = p + (size_t)i * cols;
		__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
		__m256 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
		int j = 0;
		for (; j + 2 <= cols; j += 2, w += 2 * CP_H) {
			__m256 x0 = _mm256_set1_ps(x[j]), x1 = _mm256_set1_ps(x[j + 1]);
			a0 = _mm256_fmadd_ps(_mm256_load_ps(w), x0, a0);
			a1 = _mm256_fmadd_ps(_mm256_load_ps(w + 8), x0, a1);
			a2 = _mm256_fmadd_ps(_mm256_load_ps(w + 16), x0, a2);
			a3 = _mm256_fmadd_ps(_mm256_load_ps(w + 24), x0, a3);
			b0 = _mm256_fmadd_ps(_mm256_load_ps(w + 32), x1, b0);
			b1 = _mm256_fmadd_ps(_mm256_load_ps(w + 40), x1, b1);
			b2 = _mm256_fmadd_ps(_mm256_load_ps(w + 48), x1, b2);
			b3 = _mm256_fmadd_ps(_mm256_load_ps(w + 56), x1, b3);
		}
		if (j < cols) {
			__m256 x0 = _mm256_set1_ps(x[j]);
			a0 = _mm256_fmadd_ps(_mm256_load_ps(w), x0, a0);
			a1 = _mm256_fmadd_ps(_mm256_load_ps(w + 8), x0, a1);
			a2 = _mm256_fmadd_ps(_mm256_load_ps(w + 16), x0, a2);
			a3 = _mm256_fmadd_ps(_mm256_load_ps(w + 24), x0, a3);
		}
		_mm256_storeu_ps(y + i, _mm256_add_ps(a0, b0));
		_mm256_storeu_ps(y + i + 8, _mm256_add_ps(a1, b1));
		_mm256_storeu_ps(y + i + 16, _mm256_add_ps(a2, b2));
		_mm256_storeu_ps(y + i + 24, _mm256_add_ps(a3, b3));
	}
	for (int i = full; i < rows; i += CP_T) {
		const float *w = p + (size_t)i * cols;
		__m256 a0 = _mm256_setzero_ps(), a1 = a0;
		int j = 0;
		for (; j + 2 <= cols; j += 2, w += 2 * CP_T) {
			a0 = _mm256_fmadd_ps(_mm256_load_ps(w), _mm256_set1_ps(x[j]), a0);
			a1 = _mm256_fmadd_ps(_mm256_load_ps(w + 8), _mm256_set1_ps(x[j + 1]), a1);
		}
		if (j < cols) {
			a0 = _mm256_fmadd_ps(_mm256_load_ps(w), _mm256_set1_ps(x[j]), a0);
		}
		float s[8];
		_mm256_storeu_ps(s, _mm256_add_ps(a0, a1));
		int n = rows - i < CP_T ? rows - i : CP_T;
		for (int k = 0; k < n; k++) {
			y[i + k] = s[k];
		}
	}
}
#endif

static const char *cp_isa(void) {
#ifdef __AVX512F__
	return "AVX-512";
#else
	return "AVX2";
#endif
}
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/klauspost/cpuid/v2"

	"github.com/lowrank-rnn/lowrank/internal/hugepages"
	"github.com/lowrank-rnn/lowrank/kernels"
)

func init() {
	peerInits = append(peerInits, func() Peer {
		p := Peer{Name: "c", Info: fmt.Sprintf("gcc -O3 -march=native, %s intrinsics, packed panels of %d rows",
			C.GoString(C.cp_isa()), int(C.CP_H))}
		// -march=native: the build machine's instructions. A binary moved to
		// a CPU without them must not run the peer.
		if C.CP_H == 64 && !cpuid.CPU.Supports(cpuid.AVX512F) || !cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
			p.Err = fmt.Errorf("the C peer was built for %s, which this CPU lacks", C.GoString(C.cp_isa()))
			return p
		}
		p.Prepare = CPeerPrepare
		return p
	})
}

// CPeerPrepare packs a for the C peer once and returns its product: y =
// A·x with len(y) == a.Rows and len(x) == a.Cols. The product panics on
// other lengths.
func CPeerPrepare(a kernels.Matrix) func(y, x []float32) {
	rows, cols := a.Rows, a.Cols
	// The panels' columns are loaded aligned: start on a 64-byte boundary,
	// in huge pages from hugepages.MinBytes on, as the kernels' weights.
	packed := hugepages.Alloc[float32](int(C.cp_size(C.int(rows), C.int(cols))), 64)
	if rows > 0 && cols > 0 {
		C.cp_pack((*C.float)(unsafe.Pointer(&a.Data[0])), C.int(rows), C.int(cols), C.int(a.Stride),
			(*C.float)(unsafe.Pointer(&packed[0])))
	}
	return func(y, x []float32) {
		if len(y) != rows || len(x) != cols {
			panic(fmt.Sprintf("bench: C peer: y has %d elements and x %d for a %d×%d matrix", len(y), len(x), rows, cols))
		}
		switch {
		case rows == 0:
		case cols == 0:
			clear(y)
		default:
			C.cp_gemv((*C.float)(unsafe.Pointer(&packed[0])), C.int(rows), C.int(cols),
				(*C.float)(unsafe.Pointer(&x[0])), (*C.float)(unsafe.Pointer(&y[0])))
		}
	}
}
