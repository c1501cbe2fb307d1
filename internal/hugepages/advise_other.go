//go:build !linux

package hugepages

// advisable says whether advise can do anything here: without Linux's
// madvise, Alloc does not over-allocate for nothing.
const advisable = false

func advise([]byte) {}
