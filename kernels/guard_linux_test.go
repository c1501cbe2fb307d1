//go:build linux

package kernels

// Guard pages: every operand is placed so that it ends exactly where a
// PROT_NONE page begins, or starts exactly where one ends, and every
// operation runs on every target with debug.SetPanicOnFault(true), so that
// a read or write one float outside an operand is a test failure (with the
// fault address) rather than a silent over-read or a crash. The NaN
// sentinels of kernels_test.go catch what lands inside mapped memory.

import (
	"fmt"
	"runtime/debug"
	"syscall"
	"testing"
	"unsafe"
)

// guardPages is an anonymous mapping of read-write regions, each between
// two PROT_NONE pages: [none][region 0][none][region 1][none]…
type guardPages struct {
	regions [][]byte
}

func newGuardPages(t *testing.T, nregions, regionBytes int) *guardPages {
	t.Helper()
	page := syscall.Getpagesize()
	per := (regionBytes + page - 1) / page
	size := (nregions*(per+1) + 1) * page
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap %d bytes: %v", size, err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	g := &guardPages{}
	for i := 0; i <= nregions; i++ {
		at := i * (per + 1) * page
		if err := syscall.Mprotect(mem[at:at+page], syscall.PROT_NONE); err != nil {
			t.Fatalf("mprotect: %v", err)
		}
		if i < nregions {
			g.regions = append(g.regions, mem[at+page:at+page+per*page])
		}
	}
	return g
}

// atEnd returns n floats of region i that end exactly at the PROT_NONE page
// after it. For n = 0 the slice points at that page.
func (g *guardPages) atEnd(t testing.TB, i, n int) []float32 {
	reg := g.region(t, i, n)
	return unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(reg)), len(reg)-4*n)), n)
}

// atStart returns n floats of region i that start right after the PROT_NONE
// page before it.
func (g *guardPages) atStart(t testing.TB, i, n int) []float32 {
	reg := g.region(t, i, n)
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(reg))), n)
}

func (g *guardPages) region(t testing.TB, i, n int) []byte {
	t.Helper()
	if reg := g.regions[i]; 4*n <= len(reg) {
		return reg
	}
	t.Fatalf("guard pages: %d floats do not fit a %d-byte region", n, len(g.regions[i]))
	return nil
}

// placements are the ways operands k = 0, 1, 2, … are put against guard
// pages: all ending at one, all starting after one, and alternating.
var placements = []struct {
	name string
	end  func(k int) bool
}{
	{"all end at a guard page", func(int) bool { return true }},
	{"all start after a guard page", func(int) bool { return false }},
	{"even operands end, odd start", func(k int) bool { return k%2 == 0 }},
	{"even operands start, odd end", func(k int) bool { return k%2 == 1 }},
}

// place returns operand k (in region k) of n floats, filled from src.
func (g *guardPages) place(t testing.TB, end func(int) bool, k, n int, src valueSource) []float32 {
	var s []float32
	if end(k) {
		s = g.atEnd(t, k, n)
	} else {
		s = g.atStart(t, k, n)
	}
	for i := range s {
		s[i] = src.next()
	}
	return s
}

// span describes an operand's address range for fault messages.
func span(name string, s []float32) string {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	return fmt.Sprintf("%s=[%#x,%#x)", name, p, p+4*uintptr(len(s)))
}

// noFault runs f with faults turned into panics. A memory fault is a fatal
// test failure that names the operation, the fault address and the
// operands' ranges; any other panic is reported through c and the test
// goes on.
func noFault(c *checker, what string, f func()) {
	c.t.Helper()
	if c.skip(what) {
		return
	}
	r := catchFault(f)
	if r == nil {
		return
	}
	if e, ok := r.(interface{ Addr() uintptr }); ok {
		c.t.Fatalf("[target %s] %s: memory fault at %#x: %v", Active(), what, e.Addr(), r)
	}
	c.panicked(what, r)
}

// catchFault runs f with debug.SetPanicOnFault(true) and returns what it
// panicked with, or nil.
func catchFault(f func()) (r any) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() { r = recover() }()
	f()
	return nil
}

func TestGuardPagesVec(t *testing.T) {
	g := newGuardPages(t, 2, 4*4097)
	var ns []int
	for n := 0; n <= 70; n++ {
		ns = append(ns, n)
	}
	ns = append(ns, 127, 128, 129, 255, 256, 257, 1000, 4097)
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		src := newRand(11)
		for _, pl := range placements {
			for _, n := range ns {
				x := g.place(t, pl.end, 0, n, src)
				y := g.place(t, pl.end, 1, n, src)
				where := fmt.Sprintf("n=%d, %s: %s %s", n, pl.name, span("x", x), span("y", y))
				noFault(c, "Dot "+where, func() { Dot(x, y) })
				noFault(c, "Axpy "+where, func() { Axpy(0.5, x, y) })
			}
		}
	})
}

// guardRows and guardCols are the matrix shapes of the guard-page tests:
// around the panel heights 8, 16, 32, 64 and 128 and the vector widths 4,
// 8, 16 and unrolls.
var (
	guardRows = []int{0, 1, 2, 3, 5, 8, 9, 15, 16, 17, 31, 33, 64, 72, 100, 130}
	guardCols = []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65}
)

func TestGuardPagesMatVec(t *testing.T) {
	g := newGuardPages(t, 3, 4*130*(65+3))
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		src := newRand(12)
		for _, pl := range placements {
			for _, rows := range guardRows {
				for _, cols := range guardCols {
					for _, gap := range []int{0, 3} {
						stride := cols + gap
						need := 0
						if rows > 0 {
							need = (rows-1)*stride + cols
						}
						a := Matrix{Rows: rows, Cols: cols, Stride: stride, Data: g.place(t, pl.end, 0, need, src)}
						x := g.place(t, pl.end, 1, cols, src)
						y := g.place(t, pl.end, 2, rows, src)
						where := fmt.Sprintf("%d×%d stride %d, %s: %s %s %s",
							rows, cols, stride, pl.name, span("a.Data", a.Data), span("x", x), span("y", y))
						noFault(c, "MatVec "+where, func() { MatVec(y, a, x) })
						noFault(c, "MatVecAdd "+where, func() { MatVecAdd(y, a, x) })
						if gap != 0 {
							continue // the packed copy does not depend on the stride
						}
						p := PackWith(a, testGeometries[(rows+cols)%len(testGeometries)])
						where += fmt.Sprintf(", geometry %v", p.Geometry())
						noFault(c, "Packed.MatVec "+where, func() { p.MatVec(y, x) })
						noFault(c, "Packed.MatVecAdd "+where, func() { p.MatVecAdd(y, x) })
					}
				}
			}
		}
	})
}

func TestGuardPagesLowRank(t *testing.T) {
	type shape struct{ n, m, r int }
	var shapes []shape
	for _, n := range []int{0, 1, 3, 8, 15, 16, 17, 33} {
		for _, m := range []int{0, 1, 3, 8, 9, 16, 17, 65} {
			for _, r := range []int{0, 1, 5, 16, 17} {
				shapes = append(shapes, shape{n, m, r})
			}
		}
	}
	shapes = append(shapes, shape{3, 5, 520}, shape{17, 9, 513}, shape{16, 16, 1024}, shape{1, 1, 600})
	g := newGuardPages(t, 4, 4*17*1024)
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		src := newRand(13)
		for _, pl := range placements {
			for _, s := range shapes {
				u := Matrix{Rows: s.n, Cols: s.r, Stride: s.r + 1}
				v := Matrix{Rows: s.r, Cols: s.m, Stride: s.m}
				for _, a := range []*Matrix{&u, &v} {
					need := 0
					if a.Rows > 0 {
						need = (a.Rows-1)*a.Stride + a.Cols
					}
					k := 0
					if a == &v {
						k = 3
					}
					a.Data = g.place(t, pl.end, k, need, src)
				}
				w := LowRank{U: u, V: v}
				x := g.place(t, pl.end, 1, s.m, src)
				y := g.place(t, pl.end, 2, s.n, src)
				where := fmt.Sprintf("%d×%d rank %d, %s: %s %s %s %s", s.n, s.m, s.r, pl.name,
					span("U.Data", u.Data), span("V.Data", v.Data), span("x", x), span("y", y))
				noFault(c, "LowRankMatVec "+where, func() { LowRankMatVec(y, w, x) })
				noFault(c, "LowRankMatVecAdd "+where, func() { LowRankMatVecAdd(y, w, x) })
				var p *PackedLowRank
				gu, gv := testGeometries[(s.n+s.r)%len(testGeometries)], vGeometries[(s.m+2*s.r)%len(vGeometries)]
				where += fmt.Sprintf(", geometries %v / %v", gu, gv)
				noFault(c, "PackLowRankWith "+where, func() { p = PackLowRankWith(w, gu, gv) })
				if p == nil {
					continue
				}
				noFault(c, "PackedLowRank.MatVec "+where, func() { p.MatVec(y, x) })
				noFault(c, "PackedLowRank.MatVecAdd "+where, func() { p.MatVecAdd(y, x) })
			}
		}
	})
}

// TestGuardPagesPanels calls the packed leaf directly, for every geometry
// code, with its weights against guard pages, honouring the documented
// layout: only the columns [p·stride, p·stride+h·len(x)) of panels
// p < ⌈len(y)/h⌉ are readable, so the weights end right after the last
// panel's last column.
func TestGuardPagesPanels(t *testing.T) {
	g := newGuardPages(t, 3, 4*(3*(128*65+5)))
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		src := newRand(14)
		for _, code := range leafCodes() {
			h := code.height()
			for _, pl := range placements {
				for _, ny := range leafRows(h) {
					if ny > 3*h {
						continue
					}
					for _, nx := range guardCols {
						for _, gap := range []int{0, 5} {
							stride := h*nx + gap
							need := 0
							if np := (ny + h - 1) / h; np > 0 {
								need = (np-1)*stride + h*nx
							}
							a := g.place(t, pl.end, 0, need, src)
							x := g.place(t, pl.end, 1, nx, src)
							y := g.place(t, pl.end, 2, ny, src)
							where := fmt.Sprintf("geom %#x len(y)=%d len(x)=%d stride=%d, %s: %s %s %s",
								int(code), ny, nx, stride, pl.name, span("a", a), span("x", x), span("y", y))
							noFault(c, "gemvPanels "+where, func() { gemvPanels(y, a, stride, x, false, code) })
							noFault(c, "gemvPanels add "+where, func() { gemvPanels(y, a, stride, x, true, code) })
						}
					}
				}
			}
		}
	})
}

// TestGuardPagesTiles calls the tiled leaf with its weights, x and y
// against guard pages: a partial last tile of x must be read masked or
// through a copy, never past len(x).
func TestGuardPagesTiles(t *testing.T) {
	g := newGuardPages(t, 3, 4*(3*256*5+5))
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		src := newRand(20)
		for _, pl := range placements {
			for _, ny := range []int{0, 16, 48} {
				for _, nx := range guardCols {
					tiles := (nx + 15) / 16
					for _, gap := range []int{0, 5} {
						stride := 256*tiles + gap
						need := 0
						if ny > 0 {
							need = (ny/16-1)*stride + 256*tiles
						}
						a := g.place(t, pl.end, 0, need, src)
						x := g.place(t, pl.end, 1, nx, src)
						y := g.place(t, pl.end, 2, ny, src)
						where := fmt.Sprintf("len(y)=%d len(x)=%d stride=%d, %s: %s %s %s",
							ny, nx, stride, pl.name, span("a", a), span("x", x), span("y", y))
						noFault(c, "gemvTiles "+where, func() { gemvTiles(y, a, stride, x, false) })
						noFault(c, "gemvTiles add "+where, func() { gemvTiles(y, a, stride, x, true) })
					}
				}
			}
		}
	})
}

func TestGuardPagesBatch(t *testing.T) {
	g := newGuardPages(t, 3, 4*13*(130+3))
	forEachTarget(t, func(t *testing.T) {
		c := &checker{t: t}
		src := newRand(15)
		for _, pl := range placements {
			for _, rows := range []int{0, 1, 15, 16, 17, 33, 64, 65, 130} {
				for _, cols := range []int{0, 1, 2, 3, 8, 9, 16, 17, 33, 65} {
					a := NewMatrix(rows, cols)
					for i := range a.Data {
						a.Data[i] = src.next()
					}
					p := PackWith(a, testGeometries[(rows+cols)%len(testGeometries)])
					for _, batch := range []int{0, 1, 2, 3, 4, 5, 8, 9, 13} {
						for _, gap := range []int{0, 3} {
							mat := func(k, r, c int) Matrix {
								m := Matrix{Rows: r, Cols: c, Stride: c + gap}
								need := 0
								if r > 0 {
									need = (r-1)*m.Stride + c
								}
								m.Data = g.place(t, pl.end, k, need, src)
								return m
							}
							x, y := mat(0, batch, cols), mat(1, batch, rows)
							where := fmt.Sprintf("%d×%d (%v), batch %d, stride gap %d, %s: %s %s",
								rows, cols, p.Geometry(), batch, gap, pl.name, span("X.Data", x.Data), span("Y.Data", y.Data))
							noFault(c, "Packed.MatVecBatch "+where, func() { p.MatVecBatch(y, x) })
							noFault(c, "Packed.MatVecBatchAdd "+where, func() { p.MatVecBatchAdd(y, x) })
						}
					}
				}
			}
		}
	})
}
