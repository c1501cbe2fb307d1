// Package asm holds lowrank's hand-written assembly leaf routines and their
// Go declarations: AVX2+FMA and AVX-512 on amd64, Advanced SIMD (NEON) on
// arm64. Nothing else lives here.
//
// The routines validate nothing: the caller (package kernels) checks shapes
// and picks a routine the CPU supports. Each declaration states its meaning
// as the reference loop in Go. Slices are only read up to the lengths the
// routine's spec names, so a routine never touches memory outside them.
//
// The packed layout used by the Gemv…Panels routines: row i of the matrix
// lies in panel p = i/16, which starts at a[p*stride]; column j of a panel is
// the 16 consecutive floats a[p*stride+16*j:][:16]. Only the first len(y)
// rows are stored, so the last panel may be partly padding.
package asm
