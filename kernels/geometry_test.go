package kernels

import (
	"go/parser"
	"strings"
	"testing"
)

func TestGeometryValidate(t *testing.T) {
	gs := Geometries(64, 4096)
	if len(gs) != 8+2*6 {
		t.Errorf("Geometries(64, 4096): %d geometries, want 8 without prefetch and 6 per distance", len(gs))
	}
	seen := map[Geometry]bool{}
	for _, g := range gs {
		if err := g.Validate(); err != nil {
			t.Errorf("Geometries lists %v: %v", g, err)
		}
		if seen[g] {
			t.Errorf("Geometries lists %v twice", g)
		}
		seen[g] = true
		if c := g.ColsPerStep(); c < 1 || c*g.Streams*g.Rows/16 != g.Accs {
			t.Errorf("%v: ColsPerStep %d does not fill its %d accumulators", g, c, g.Accs)
		}
	}
	if err := DefaultGeometry.Validate(); err != nil {
		t.Errorf("DefaultGeometry: %v", err)
	}
	for _, c := range []struct {
		g    Geometry
		want string
	}{
		{Geometry{Rows: 24, Streams: 1, Accs: 8}, "panel height"},
		{Geometry{Rows: 16, Streams: 2, Accs: 8}, "streams"},
		{Geometry{Rows: 64, Streams: 4, Accs: 8}, "16-row"},
		{Geometry{Rows: 64, Streams: 1, Accs: 12}, "accumulators"},
		{Geometry{Rows: 16, Streams: 1, Accs: 16}, "32 rows"},
		{Geometry{Rows: 64, Streams: 1, Accs: 8, Prefetch: 96}, "multiple of 64"},
		{Geometry{Rows: 64, Streams: 1, Accs: 8, Prefetch: 1 << 20}, "below 1 MiB"},
		{Geometry{Rows: 16, Streams: 4, Accs: 8, Prefetch: 512}, "one stream"},
	} {
		err := c.g.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v.Validate() = %v, want an error about %q", c.g, err, c.want)
		}
	}
}

func TestGeometryTable(t *testing.T) {
	for _, e := range GeometryTable() {
		if err := e.Validate(); err != nil {
			t.Error(err)
		}
		if e.Name == "" || e.Vendor == "" || e.Source == "" {
			t.Errorf("table entry %+v: want a name, a vendor and a source", e)
		}
		for _, r := range []Role{RoleDense, RoleU, RoleV} {
			// Every role has a last rule without a limit.
			if g := e.GeometryFor(r, 1<<40); g.Validate() != nil {
				t.Errorf("%s: no geometry for a huge %v", e.Name, r)
			}
		}
		if got, ok := lookupCPU(e.Vendor, e.Family, e.Model); !ok || got.Name != e.Name {
			t.Errorf("lookupCPU(%s, %d, %d) = %v, %v", e.Vendor, e.Family, e.Model, got.Name, ok)
		}
	}
	if _, ok := lookupCPU("NoSuchVendor", 1, 2); ok {
		t.Error("lookupCPU of an unknown CPU found an entry")
	}
	// A CPU without an entry packs everything in the default geometry.
	var none CPUGeometry
	if g := none.GeometryFor(RoleU, 1000); g != DefaultGeometry {
		t.Errorf("no entry: geometry %v, want the default %v", g, DefaultGeometry)
	}
	// Rules apply by role and size, the first that fits.
	small, big := Geometry{Rows: 64, Streams: 1, Accs: 8, Prefetch: 0}, Geometry{Rows: 128, Streams: 1, Accs: 16, Prefetch: 512}
	e := CPUGeometry{Name: "test", Rules: []GeometryRule{
		{RoleDense, 1 << 16, small}, {RoleDense, 0, big}, {RoleV, 0, small},
	}}
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		r    Role
		ws   int
		want Geometry
	}{{RoleDense, 100, small}, {RoleDense, 1 << 16, small}, {RoleDense, 1<<16 + 4, big}, {RoleV, 1 << 30, small}, {RoleU, 10, DefaultGeometry}} {
		if g := e.GeometryFor(c.r, c.ws); g != c.want {
			t.Errorf("GeometryFor(%v, %d) = %v, want %v", c.r, c.ws, g, c.want)
		}
	}
	for _, bad := range [][]GeometryRule{
		{{RoleDense, 0, small}, {RoleDense, 1 << 16, big}},
		{{RoleDense, 1 << 16, small}, {RoleDense, 1 << 10, big}},
		{{RoleU, 0, Geometry{Rows: 7}}},
	} {
		if err := (CPUGeometry{Name: "bad", Rules: bad}).Validate(); err == nil {
			t.Errorf("rules %v: Validate accepted them", bad)
		}
	}
}

// TestGeometryGoString checks that a table entry prints as a Go literal
// that parses, with every rule.
func TestGeometryGoString(t *testing.T) {
	e := CPUGeometry{Name: "X", Vendor: "AMD", Family: 26, Model: 2, Source: "a \"test\"",
		Rules: []GeometryRule{{RoleDense, 1 << 16, DefaultGeometry}, {RoleU, 0, Geometry{Rows: 128, Streams: 1, Accs: 16, Prefetch: 4096}}}}
	s := e.GoString()
	if _, err := parser.ParseExpr("CPUGeometry" + s); err != nil {
		t.Fatalf("GoString does not parse: %v\n%s", err, s)
	}
	for _, want := range []string{`Name: "X"`, `Family: 26`, `"a \"test\""`, "{RoleDense, 65536, Geometry{Rows: 16, Streams: 4, Accs: 8, Prefetch: 0}}",
		"{RoleU, 0, Geometry{Rows: 128, Streams: 1, Accs: 16, Prefetch: 4096}}"} {
		if !strings.Contains(s, want) {
			t.Errorf("GoString lacks %s:\n%s", want, s)
		}
	}
}
