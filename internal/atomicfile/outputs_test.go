package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckOutputs(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "model.safetensors")
	if err := os.WriteFile(in, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.txt")
	for _, c := range []struct {
		outputs []string
		want    string // "" for nil
	}{
		{[]string{a, "", b}, ""},
		{[]string{"", ""}, ""},
		{[]string{a, b, in}, "is the input " + in},
		{[]string{a, filepath.Join(dir, ".", "a.csv")}, "are the same file"},
		{[]string{filepath.Join(dir, "missing", "x.csv")}, "does not exist: create it first"},
	} {
		err := CheckOutputs(c.outputs, "", in)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("CheckOutputs(%q) = %v, want %q", c.outputs, err, c.want)
		}
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("the checks left %d files in %s, want only the input", len(es), dir)
	}
}

func TestCheckDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ dir, want string }{
		{"", ""},
		{dir, ""},
		{file, "output directory " + file + " is not a directory"},
		{filepath.Join(dir, "missing"), "directory " + filepath.Join(dir, "missing") + " does not exist: create it first"},
	} {
		err := CheckDir(c.dir)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("CheckDir(%q) = %v, want %q", c.dir, err, c.want)
		}
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("the checks left %d files in %s", len(es), dir)
	}
}
