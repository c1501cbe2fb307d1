// Package hugepages allocates the large, long-lived buffers whose speed
// depends on where their lines fall in the caches: packed weights, and the
// read probes that measure the bandwidth those weights are read at.
//
// A set-associative cache indexes its sets with address bits above the
// 4 KiB page offset (bits 12–15 for a 1 MiB, 16-way L2 of 64-byte lines),
// and those bits come from whichever physical pages the kernel handed the
// process. A buffer of half the L2 in 4 KiB pages therefore fills some sets
// beyond their ways by chance, and streaming it then misses in those sets
// on every pass: on Zen 5 the same low-rank product ran at 72–82% of its
// read bandwidth in one process out of four and at 93–95% in the others,
// steadily within each. In a 2 MiB page the bits are those of the virtual
// address, every set gets its share, and the speed no longer depends on
// the process.
//
// Alloc asks Linux for transparent huge pages (madvise and, for memory
// already faulted in, a synchronous collapse) for buffers of at least
// MinBytes, best effort: where huge pages are off, short or not Linux, the
// buffer is ordinary memory and only its alignment is promised. A buffer in
// huge pages takes its size rounded up to 2 MiB of memory, so small
// buffers stay in ordinary pages: within the L1 (indexed by the page
// offset alone) and far below the L2 the placement does not matter.
package hugepages

import "unsafe"

const (
	// MinBytes is the size from which Alloc places a buffer in huge pages:
	// a quarter of a 1 MiB L2.
	MinBytes = 256 << 10
	// PageBytes is the size of a transparent huge page on amd64 and of the
	// usual arm64 configuration (4 KiB base pages).
	PageBytes = 2 << 20
)

// An Elem is an element type Alloc hands out: fixed-size numbers, no
// pointers.
type Elem interface {
	~int8 | ~uint8 | ~int16 | ~uint16 | ~int32 | ~uint32 | ~float32 | ~float64
}

// Alloc returns a zeroed slice of n elements, with length and capacity n,
// whose first element is aligned to align bytes (a power of two, at least
// the element's size and at most 4096). A slice of at least MinBytes starts
// on a huge-page boundary and is advised into huge pages where the system
// offers them.
func Alloc[T Elem](n, align int) []T {
	var z T
	size := int(unsafe.Sizeof(z))
	if align < size || align > 4096 || align&(align-1) != 0 {
		panic("hugepages: alignment not a power of two between the element size and 4096")
	}
	if n <= 0 {
		return nil
	}
	bytes := n * size
	if bytes < MinBytes || !advisable {
		return aligned(make([]T, n+align/size), n, align, size)
	}
	span := (bytes + PageBytes - 1) / PageBytes * PageBytes
	s := aligned(make([]T, (span+PageBytes)/size), n, PageBytes, size)
	advise(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), span))
	return s
}

// aligned returns the n elements of buf from its first one aligned to
// align bytes; buf has at least align bytes to spare.
func aligned[T Elem](buf []T, n, align, size int) []T {
	off := 0
	if mis := int(uintptr(unsafe.Pointer(unsafe.SliceData(buf))) % uintptr(align)); mis != 0 {
		off = (align - mis) / size
	}
	return buf[off : off+n : off+n]
}
