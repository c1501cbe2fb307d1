package kernels

import (
	"fmt"
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// A Geometry is the shape of a packed matrix's panels and of the loop that
// streams them: how many rows a panel holds, how many panels the loop reads
// at once, how many accumulator registers it keeps, and how far ahead it
// prefetches. The panel height is part of the packed layout; the rest
// steers the loop. Which geometry reaches the bandwidth depends on the
// microarchitecture and on the working set (see GeometryFor), so Pack picks
// one from a table measured per CPU, and PackWith takes one explicitly.
//
// The same geometry describes the layouts of the float32 kernels here and
// of the quantized kernels to come: a panel of Rows rows stores each of its
// columns as Rows consecutive elements.
type Geometry struct {
	// Rows is the panel height: 16, 32, 64 or 128 rows. A column of a
	// panel is Rows consecutive floats, Rows/16 AVX-512 registers, so a
	// product reads one sequential stream of Rows·4 bytes per column.
	Rows int
	// Streams is the number of panels a product reads at once: 1, or 4
	// (16-row panels only: four interleaved streams, one broadcast of x
	// feeding four registers, which wins while the weights sit in L1).
	Streams int
	// Accs is the number of accumulator registers of the product, 8 or
	// 16: a column step covers Accs/(Streams·Rows/16) columns, each in its
	// own accumulators, so that that many FMA chains are in flight. 16
	// needs Rows ≥ 32.
	Accs int
	// Prefetch is the distance in bytes, a multiple of 64 below 1 MiB,
	// at which a single-stream product of panels of 32 rows or more
	// prefetches the weights ahead of its loads; 0 for none (hardware
	// prefetchers suffice while the weights stay in L2).
	Prefetch int
	// Tiles stores each panel of 16 rows in tiles of 16 columns, row by
	// row, and the product sums one dot product per row, reduced once per
	// panel: one load of x per 256 weights where the column layout
	// broadcasts one x per 16. That pays for V of a low rank, 16 or 32
	// rows by n columns, whose column product is bound by its broadcasts.
	// Tiles needs Rows 16, Streams 1, Accs 16 (one accumulator per row)
	// and no prefetch (see TileGeometry); only the V of PackLowRankWith
	// takes it, never a matrix a fused step applies.
	Tiles bool
}

// TileGeometry is the tiled geometry, for the V of a low-rank product.
var TileGeometry = Geometry{Rows: 16, Streams: 1, Accs: 16, Tiles: true}

// DefaultGeometry is the geometry of a CPU the table does not know: 16-row
// panels read four at a time, the loop every target was first written
// for.
var DefaultGeometry = Geometry{Rows: 16, Streams: 4, Accs: 8}

// maxPanelRows is the tallest panel of any geometry.
const maxPanelRows = 128

// Validate returns nil if g is a geometry the kernels implement, else an
// error that says what is wrong.
func (g Geometry) Validate() error {
	if g.Tiles {
		if g != TileGeometry {
			return fmt.Errorf("geometry %v: tiles need rows=16 streams=1 accs=16 prefetch=0", g)
		}
		return nil
	}
	switch {
	case g.Rows != 16 && g.Rows != 32 && g.Rows != 64 && g.Rows != 128:
		return fmt.Errorf("geometry %v: panel height %d, want 16, 32, 64 or 128 rows", g, g.Rows)
	case g.Streams != 1 && g.Streams != 4:
		return fmt.Errorf("geometry %v: %d streams, want 1 or 4", g, g.Streams)
	case g.Streams == 4 && g.Rows != 16:
		return fmt.Errorf("geometry %v: four streams need 16-row panels", g)
	case g.Accs != 8 && g.Accs != 16:
		return fmt.Errorf("geometry %v: %d accumulators, want 8 or 16", g, g.Accs)
	case g.Accs == 16 && g.Rows < 32:
		return fmt.Errorf("geometry %v: 16 accumulators need panels of 32 rows or more", g)
	case g.Prefetch < 0 || g.Prefetch%64 != 0 || g.Prefetch >= 1<<20:
		return fmt.Errorf("geometry %v: prefetch distance %d, want a multiple of 64 bytes below 1 MiB", g, g.Prefetch)
	case g.Prefetch > 0 && (g.Streams != 1 || g.Rows < 32):
		return fmt.Errorf("geometry %v: prefetch needs one stream of panels of 32 rows or more", g)
	}
	return nil
}

// ColsPerStep returns the columns one step of the product's loop covers,
// each accumulated in its own registers (a tile's 16 for Tiles).
func (g Geometry) ColsPerStep() int {
	if g.Tiles {
		return 16
	}
	return g.Accs / (g.Streams * g.Rows / 16)
}

// String returns the geometry as "rows=64 streams=1 accs=8 prefetch=0", or
// "tiles" for TileGeometry.
func (g Geometry) String() string {
	if g.Tiles {
		return "tiles"
	}
	return fmt.Sprintf("rows=%d streams=%d accs=%d prefetch=%d", g.Rows, g.Streams, g.Accs, g.Prefetch)
}

// Geometries returns every column geometry the kernels implement, without
// prefetching, then with the given prefetch distances where a geometry
// allows them: the candidates that `lowrank tune` measures and the tests
// run (with TileGeometry for V).
func Geometries(prefetch ...int) []Geometry {
	gs := []Geometry{{Rows: 16, Streams: 4, Accs: 8}, {Rows: 16, Streams: 1, Accs: 8}}
	for _, rows := range []int{32, 64, 128} {
		for _, accs := range []int{8, 16} {
			gs = append(gs, Geometry{Rows: rows, Streams: 1, Accs: accs})
		}
	}
	base := len(gs)
	for _, pf := range prefetch {
		for _, g := range gs[:base] {
			if g.Streams == 1 && g.Rows >= 32 && pf > 0 {
				g.Prefetch = pf
				gs = append(gs, g)
			}
		}
	}
	return gs
}

// A Role is what a packed matrix is in a product: a dense matrix, or one of
// the two factors of a low-rank one, which have opposite shapes (U is tall
// and thin, V short and wide) and may want different geometries.
type Role int

const (
	RoleDense Role = iota // W in y = W·x
	RoleU                 // U (n×r) in y = U·(V·x)
	RoleV                 // V (r×m) in y = U·(V·x)
)

func (r Role) String() string {
	switch r {
	case RoleDense:
		return "dense"
	case RoleU:
		return "U"
	case RoleV:
		return "V"
	}
	return fmt.Sprintf("Role(%d)", int(r))
}

// A GeometryRule chooses the geometry of matrices of one role whose product
// has a working set of at most MaxBytes (all the weights the product reads,
// both factors for a low-rank one); MaxBytes 0 means no limit.
type GeometryRule struct {
	Role     Role
	MaxBytes int
	Geometry Geometry
}

// A CPUGeometry is the entry of the geometry table for one
// microarchitecture, identified as cpuid reports it (the brand string is
// not stable: hypervisors rename CPUs).
type CPUGeometry struct {
	// Name is the microarchitecture, for people: "AMD Zen 5".
	Name string
	// Vendor, Family and Model identify it: cpuid's vendor name ("AMD",
	// "Intel"), family and model.
	Vendor        string
	Family, Model int
	// Source says where the rules come from: a `lowrank tune` run, or
	// measurements of an earlier kernel.
	Source string
	// Rules, by role and increasing MaxBytes; the first that fits applies.
	Rules []GeometryRule
}

// geometryTable holds the geometry rules of the CPUs that have been
// measured. A CPU without an entry gets DefaultGeometry everywhere.
var geometryTable = []CPUGeometry{
	// Measured by lowrank tune on a shared 2-vCPU VM (see Source): per
	// size, the paired ratios of every geometry against the default.
	{
		Name: "AMD Zen 5", Vendor: "AMD", Family: 26, Model: 2,
		Source: "lowrank tune, avx512 target, on Oxide Virtual Turin-like Processor, 2026-12-01, load average 21.63",
		Rules: []GeometryRule{
			{RoleDense, 65536, Geometry{Rows: 16, Streams: 4, Accs: 8, Prefetch: 0}},
			{RoleDense, 262144, Geometry{Rows: 32, Streams: 1, Accs: 16, Prefetch: 0}},
			{RoleDense, 4194304, Geometry{Rows: 128, Streams: 1, Accs: 16, Prefetch: 0}},
			{RoleDense, 0, Geometry{Rows: 16, Streams: 4, Accs: 8, Prefetch: 0}},
			{RoleU, 8192, Geometry{Rows: 16, Streams: 4, Accs: 8, Prefetch: 0}},
			{RoleU, 32768, Geometry{Rows: 128, Streams: 1, Accs: 8, Prefetch: 0}},
			{RoleU, 65536, Geometry{Rows: 32, Streams: 1, Accs: 16, Prefetch: 0}},
			{RoleU, 131072, Geometry{Rows: 64, Streams: 1, Accs: 8, Prefetch: 0}},
			{RoleU, 0, Geometry{Rows: 128, Streams: 1, Accs: 16, Prefetch: 0}},
			{RoleV, 32768, TileGeometry},
			{RoleV, 262144, Geometry{Rows: 32, Streams: 1, Accs: 16, Prefetch: 0}},
			{RoleV, 524288, Geometry{Rows: 32, Streams: 1, Accs: 8, Prefetch: 0}},
			{RoleV, 0, Geometry{Rows: 128, Streams: 1, Accs: 8, Prefetch: 0}},
		},
	},
	{
		// Not measured with lowrank tune: no such machine was at hand.
		// The first baselines (results/intel-f6-m207-avx2-avx512-vnni-bf16)
		// ran the 16-row four-stream loop at 87–104% of its L2 roofline,
		// and the issue that introduced geometries reports that this Xeon
		// preferred a geometry other than Zen 5's; so it keeps that loop
		// until tune runs there.
		Name: "Intel Emerald Rapids", Vendor: "Intel", Family: 6, Model: 207,
		Source: "the 16-row four-stream loop of the first baselines (results/intel-f6-m207-avx2-avx512-vnni-bf16); not tuned",
		Rules: []GeometryRule{
			{RoleDense, 0, DefaultGeometry},
			{RoleU, 0, DefaultGeometry},
			{RoleV, 0, DefaultGeometry},
		},
	},
}

// GeometryTable returns a copy of the geometry table.
func GeometryTable() []CPUGeometry {
	out := make([]CPUGeometry, len(geometryTable))
	for i, e := range geometryTable {
		e.Rules = append([]GeometryRule(nil), e.Rules...)
		out[i] = e
	}
	return out
}

// cpuVendor returns cpuid's name of this CPU's vendor: "AMD", "Intel"…
func cpuVendor() string {
	return strings.TrimSpace(cpuid.CPU.VendorID.String())
}

// ThisCPU returns the entry of the geometry table for this CPU, if it has
// one.
func ThisCPU() (CPUGeometry, bool) {
	return lookupCPU(cpuVendor(), cpuid.CPU.Family, cpuid.CPU.Model)
}

func lookupCPU(vendor string, family, model int) (CPUGeometry, bool) {
	for _, e := range GeometryTable() {
		if e.Vendor == vendor && e.Family == family && e.Model == model {
			return e, true
		}
	}
	return CPUGeometry{}, false
}

// GeometryFor returns the geometry Pack and PackLowRank use on this CPU for
// a matrix of role r in a product whose weights take workingSet bytes.
func GeometryFor(r Role, workingSet int) Geometry {
	e, _ := ThisCPU()
	return e.GeometryFor(r, workingSet)
}

// GeometryFor returns the geometry e's rules give a matrix of role r in a
// product whose weights take workingSet bytes: that of the first rule of
// the role that fits, DefaultGeometry if none does.
func (e CPUGeometry) GeometryFor(r Role, workingSet int) Geometry {
	for _, rule := range e.Rules {
		if rule.Role == r && (rule.MaxBytes == 0 || workingSet <= rule.MaxBytes) {
			return rule.Geometry
		}
	}
	return DefaultGeometry
}

// oneStream reports whether this CPU's geometry table gives a dense
// float32 matrix of bytes bytes one stream of panels of 32 rows or more:
// the working sets (L2, on Zen 5) where a product that reads its panels one
// at a time beats four interleaved streams. The quantized layouts, which
// have no geometry of their own, follow it (bf16Height, int8Streams).
func oneStream(bytes int) bool {
	g := GeometryFor(RoleDense, bytes)
	return g.Streams == 1 && g.Rows >= 32
}

// Validate checks that every rule's geometry is one the kernels implement
// and that each role's rules grow in MaxBytes and end with no limit.
func (e CPUGeometry) Validate() error {
	last := map[Role]int{}
	open := map[Role]bool{}
	for i, rule := range e.Rules {
		if err := rule.Geometry.Validate(); err != nil {
			return fmt.Errorf("%s: rule %d: %v", e.Name, i, err)
		}
		switch {
		case rule.Geometry.Tiles && rule.Role != RoleV:
			return fmt.Errorf("%s: rule %d (%v): tiles are for V only", e.Name, i, rule.Role)
		case open[rule.Role]:
			return fmt.Errorf("%s: rule %d (%v): follows a rule without a limit", e.Name, i, rule.Role)
		case rule.MaxBytes == 0:
			open[rule.Role] = true
		case rule.MaxBytes <= last[rule.Role]:
			return fmt.Errorf("%s: rule %d (%v): MaxBytes %d not above the previous %d",
				e.Name, i, rule.Role, rule.MaxBytes, last[rule.Role])
		}
		last[rule.Role] = rule.MaxBytes
	}
	return nil
}

// geomCode is a geometry as the assembly routines take it (their geom
// argument, see package asm): the panel height in bits 0–7, the streams in
// bits 8–11, the accumulators in bits 12–17, Tiles in bit 18 and the
// prefetch distance in bytes from bit 20.
type geomCode int

const tilesBit = 1 << 18

func (g Geometry) code() geomCode {
	c := geomCode(g.Rows | g.Streams<<8 | g.Accs<<12 | g.Prefetch<<20)
	if g.Tiles {
		c |= tilesBit
	}
	return c
}

// height returns the panel height of a code.
func (c geomCode) height() int { return int(c) & 0xff }

// tiles reports whether a code is of tiled panels.
func (c geomCode) tiles() bool { return c&tilesBit != 0 }

// heightCode is the code of panels of h rows streamed one at a time with
// eight accumulators: the tails of a layout (see Packed), and panels of 8.
func heightCode(h int) geomCode { return geomCode(h | 1<<8 | 8<<12) }

// GoString returns e as a Go composite literal, in the form of an entry of
// the geometry table (`lowrank tune` prints it to be pasted there).
func (e CPUGeometry) GoString() string {
	var b strings.Builder
	fmt.Fprintf(&b, "{\n\tName: %q, Vendor: %q, Family: %d, Model: %d,\n\tSource: %q,\n\tRules: []GeometryRule{\n",
		e.Name, e.Vendor, e.Family, e.Model, e.Source)
	for _, r := range e.Rules {
		role := map[Role]string{RoleDense: "RoleDense", RoleU: "RoleU", RoleV: "RoleV"}[r.Role]
		g := r.Geometry
		if g.Tiles {
			fmt.Fprintf(&b, "\t\t{%s, %d, TileGeometry},\n", role, r.MaxBytes)
			continue
		}
		fmt.Fprintf(&b, "\t\t{%s, %d, Geometry{Rows: %d, Streams: %d, Accs: %d, Prefetch: %d}},\n",
			role, r.MaxBytes, g.Rows, g.Streams, g.Accs, g.Prefetch)
	}
	b.WriteString("\t},\n}")
	return b.String()
}

// ThisCPUID returns cpuid's vendor name, family and model of this CPU: the
// key of its entry in the geometry table.
func ThisCPUID() (vendor string, family, model int) {
	return cpuVendor(), cpuid.CPU.Family, cpuid.CPU.Model
}
