package hugepages

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestAlloc checks what Alloc promises on either side of MinBytes: the
// length, capacity and alignment, zeroed memory, and that two buffers do
// not overlap.
func TestAlloc(t *testing.T) {
	for _, n := range []int{1, 15, 1000, MinBytes/4 - 1, MinBytes / 4, MinBytes/4 + 1, 3 * PageBytes / 4} {
		for _, align := range []int{4, 64, 4096} {
			a, b := Alloc[float32](n, align), Alloc[float32](n, align)
			if len(a) != n || cap(a) != n {
				t.Fatalf("Alloc(%d, %d): len %d cap %d", n, align, len(a), cap(a))
			}
			want := uintptr(align)
			if 4*n >= MinBytes && advisable {
				want = PageBytes
			}
			if p := uintptr(unsafe.Pointer(&a[0])); p%want != 0 {
				t.Errorf("Alloc(%d, %d) at %#x: not aligned to %d", n, align, p, want)
			}
			for i := range a {
				if a[i] != 0 {
					t.Fatalf("Alloc(%d, %d)[%d] = %g, want zeroed memory", n, align, i, a[i])
				}
				a[i] = 1
			}
			for i := range b {
				if b[i] != 0 {
					t.Fatalf("Alloc(%d, %d): a second buffer overlaps the first at %d", n, align, i)
				}
			}
		}
	}
	if got := Alloc[int8](0, 64); got != nil {
		t.Errorf("Alloc(0) = %v, want nil", got)
	}
	if p := Alloc[uint16](MinBytes/2, 64); uintptr(unsafe.Pointer(&p[0]))%64 != 0 {
		t.Errorf("Alloc[uint16] not aligned")
	}
}

// TestAllocBadAlign checks that an alignment Alloc cannot give panics.
func TestAllocBadAlign(t *testing.T) {
	for _, align := range []int{0, 2, 48, 8192} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Alloc[float32](8, %d) did not panic", align)
				}
			}()
			Alloc[float32](8, align)
		}()
	}
}

// TestHugePages checks, where Linux has transparent huge pages in madvise
// or always mode, that a large buffer is in them: the mapping that holds
// it (madvise gives the buffer a mapping of its own, or one shared with
// neighbours advised alike) has at least the buffer's size of
// AnonHugePages.
func TestHugePages(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("transparent huge pages are Linux's")
	}
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || strings.Contains(string(mode), "[never]") {
		t.Skipf("transparent huge pages off here (%q, %v)", strings.TrimSpace(string(mode)), err)
	}
	const n = 3 * PageBytes / 4 // 6 MiB of floats: three huge pages
	a := Alloc[float32](n, 64)
	for i := range a {
		a[i] = float32(i)
	}
	if huge := anonHugeAt(t, uintptr(unsafe.Pointer(&a[0]))); huge < 4*n {
		t.Errorf("the mapping of a %d-byte buffer has %d bytes of AnonHugePages", 4*n, huge)
	}
	runtime.KeepAlive(a)
}

// anonHugeAt returns the AnonHugePages, in bytes, of the mapping of this
// process that contains addr.
func anonHugeAt(t *testing.T, addr uintptr) int {
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skipf("no smaps: %v", err)
	}
	in := false
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(f[0], "-"); ok && !strings.HasSuffix(f[0], ":") {
			from, err1 := strconv.ParseUint(lo, 16, 64)
			to, err2 := strconv.ParseUint(hi, 16, 64)
			in = err1 == nil && err2 == nil && uint64(addr) >= from && uint64(addr) < to
			continue
		}
		if in && len(f) == 3 && f[0] == "AnonHugePages:" {
			kb, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatalf("smaps: %q: %v", l, err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no mapping in smaps holds %#x", addr)
	return 0
}
