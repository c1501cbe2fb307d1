package hugepages

import "syscall"

// advisable says whether advise can do anything here.
const advisable = true

// madvCollapse is MADV_COLLAPSE (Linux 6.1), which package syscall does not
// name.
const madvCollapse = 25

// advise asks for huge pages under b, whole huge pages at a huge-page
// boundary: MADV_HUGEPAGE, then a write to each 2 MiB (untouched memory
// then faults in as one huge page), then MADV_COLLAPSE for memory the Go
// heap had already faulted in as small pages. Errors are ignored: where
// transparent huge pages are off or none is free, b stays as it is.
func advise(b []byte) {
	if syscall.Madvise(b, syscall.MADV_HUGEPAGE) != nil {
		return
	}
	for i := 0; i < len(b); i += PageBytes {
		b[i] = 0
	}
	_ = syscall.Madvise(b, madvCollapse)
}
