package bench

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestRegressRunCheck(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	for _, c := range []struct {
		name  string
		r     RegressRun
		files []string
		want  string // in the error; "" for none
	}{
		{"two files", RegressRun{}, []string{"old.txt", "new.txt"}, ""},
		{"one file", RegressRun{}, []string{"old.txt"}, "want two files, OLD and NEW, got 1"},
		{"files and -bench", RegressRun{Run: BenchRun{Bench: "."}, Base: "old.txt"}, []string{"new.txt"}, "-bench runs the new side"},
		{"no old side", RegressRun{Run: BenchRun{Bench: "."}}, nil, "exactly one of -base FILE and -old-bin BINARY"},
		{"two old sides", RegressRun{Run: BenchRun{Bench: "."}, Base: "a", OldBin: "b"}, nil, "exactly one of -base FILE and -old-bin BINARY"},
		{"no package", RegressRun{Run: BenchRun{Bench: "."}, Base: "a"}, nil, "-pkg " + missing},
	} {
		r := c.r
		pkg := dir
		if c.name == "no package" {
			pkg = missing
		}
		err := r.Check(pkg, c.files)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: Check = %v, want %q", c.name, err, c.want)
		}
	}
}

// TestRegressRunCheckSetsDir checks that Check resolves the package's
// directory, which the runs need.
func TestRegressRunCheckSetsDir(t *testing.T) {
	r := RegressRun{Run: BenchRun{Bench: "."}, Base: "old.txt"}
	if err := r.Check(".", nil); err != nil || !filepath.IsAbs(r.Dir) {
		t.Errorf("Check = %v, Dir %q; want no error and an absolute Dir", err, r.Dir)
	}
}
