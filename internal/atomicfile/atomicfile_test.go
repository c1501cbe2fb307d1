package atomicfile

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// names lists the directory, so that a test can see a temporary file left
// behind.
func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, e := range es {
		s = append(s, e.Name())
	}
	return s
}

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

func TestWriteNewAndReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := Write(path, writeString("first"), nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first" {
		t.Fatalf("content %q, want %q", b, "first")
	}
	// A new file gets what os.Create would give it.
	ref := filepath.Join(dir, "ref")
	f, err := os.Create(ref)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	fi, _ := os.Stat(path)
	ri, _ := os.Stat(ref)
	if fi.Mode() != ri.Mode() {
		t.Errorf("new file mode %v, os.Create gives %v", fi.Mode(), ri.Mode())
	}
	os.Remove(ref)

	// A replaced file keeps its permissions.
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	verified := ""
	err = Write(path, writeString("second"), func(tmp string) error {
		b, err := os.ReadFile(tmp)
		verified = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if verified != "second" {
		t.Errorf("verify saw %q, want the new content", verified)
	}
	if b, _ := os.ReadFile(path); string(b) != "second" {
		t.Errorf("content %q, want %q", b, "second")
	}
	if fi, _ := os.Stat(path); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o640 {
		t.Errorf("replaced file mode %v, want 0640 kept", fi.Mode().Perm())
	}
	if got := names(t, dir); !slices.Equal(got, []string{"out.txt"}) {
		t.Errorf("directory holds %q, want only out.txt", got)
	}
	if err := WriteBytes(path, []byte("third")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "third" {
		t.Errorf("WriteBytes: content %q", b)
	}
}

// Every failure leaves the previous file byte-identical and no temporary
// file behind.
func TestWriteFailureKeepsPrevious(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	old := bytes.Repeat([]byte("previous content\n"), 1000)
	if err := os.WriteFile(path, old, 0o644); err != nil {
		t.Fatal(err)
	}
	diskFull := errors.New("no space left on device")
	for _, c := range []struct {
		name   string
		write  func(io.Writer) error
		verify func(string) error
		want   string
	}{
		{"write fails midway", func(w io.Writer) error {
			w.Write(bytes.Repeat([]byte{'x'}, 200<<10)) // past the buffer: reaches the file
			return diskFull
		}, nil, "no space left on device"},
		{"write fails at once", func(io.Writer) error { return diskFull }, nil, "no space left on device"},
		{"verify refuses", writeString("half a model"), func(string) error {
			return errors.New(`tensor "U.left" has shape [128 1], want [128]`)
		}, "does not load back: tensor"},
	} {
		err := Write(path, c.write, c.verify)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), path+": not written") {
			t.Errorf("%s: error %v, want one starting with the path and mentioning %q", c.name, err, c.want)
		}
		if c.verify == nil && !errors.Is(err, diskFull) {
			t.Errorf("%s: the writer's error is not wrapped: %v", c.name, err)
		}
		if b, _ := os.ReadFile(path); !bytes.Equal(b, old) {
			t.Errorf("%s: the previous file changed (%d bytes, want %d)", c.name, len(b), len(old))
		}
		if got := names(t, dir); !slices.Equal(got, []string{"model.safetensors"}) {
			t.Errorf("%s: directory holds %q: a temporary file was left", c.name, got)
		}
	}
}

func TestWriteRefusals(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, path, want string
	}{
		{"empty", "", "empty output path"},
		{"directory", dir, "is not a regular file (a directory)"},
		{"missing directory", filepath.Join(dir, "nope", "out"), "no such file or directory"},
	} {
		err := Write(c.path, writeString("x"), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	if runtime.GOOS == "windows" {
		return
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "missing"), dangling); err != nil {
		t.Fatal(err)
	}
	if err := Write(dangling, writeString("x"), nil); err == nil || !strings.Contains(err.Error(), "symbolic link to a missing file") {
		t.Errorf("dangling link: %v", err)
	}
}

// Writing through a symbolic link replaces the file it points to and keeps
// the link.
func TestWriteThroughSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	link := filepath.Join(dir, "link")
	os.WriteFile(real, []byte("old"), 0o644)
	if err := os.Symlink("real", link); err != nil {
		t.Fatal(err)
	}
	if err := Write(link, writeString("new"), nil); err != nil {
		t.Fatal(err)
	}
	if li, _ := os.Lstat(link); li.Mode()&fs.ModeSymlink == 0 {
		t.Error("the link was replaced by a file")
	}
	if b, _ := os.ReadFile(real); string(b) != "new" {
		t.Errorf("target holds %q, want %q", b, "new")
	}
}

func TestCheckOutput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.safetensors")
	os.WriteFile(in, []byte("model"), 0o644)
	if err := CheckOutput(filepath.Join(dir, "out"), in, ""); err != nil {
		t.Errorf("a fresh output: %v", err)
	}
	if err := CheckOutput(in, filepath.Join(dir, "other")); err != nil {
		t.Errorf("replacing an existing file that is not an input: %v", err)
	}
	wd, _ := os.Getwd()
	rel, err := filepath.Rel(wd, in)
	if err != nil {
		t.Fatal(err)
	}
	clashes := map[string]string{
		"same path":     in,
		"relative path": rel,
		"dot segments":  strings.Join([]string{dir, ".", "sub", "..", "in.safetensors"}, string(os.PathSeparator)),
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	if runtime.GOOS != "windows" {
		os.Symlink(in, filepath.Join(dir, "link"))
		os.Link(in, filepath.Join(dir, "hard"))
		clashes["symbolic link"] = filepath.Join(dir, "link")
		clashes["hard link"] = filepath.Join(dir, "hard")
	}
	for name, out := range clashes {
		err := CheckOutput(out, in)
		if err == nil || !strings.Contains(err.Error(), "is the input") {
			t.Errorf("%s: CheckOutput(%s, %s) = %v, want a refusal", name, out, in, err)
		}
		if same, _ := SameFile(in, out); !same {
			t.Errorf("%s: SameFile(%s, %s) = false", name, in, out)
		}
	}
	if same, err := SameFile(in, filepath.Join(dir, "missing")); same || err != nil {
		t.Errorf("SameFile with a missing file = %v, %v", same, err)
	}
	for _, c := range []struct{ path, want string }{
		{filepath.Join(dir, "nope", "out"), "does not exist: create it first"},
		{filepath.Join(in, "out"), "not a directory"},
		{dir, "a directory"},
		{"", "empty output path"},
	} {
		if err := CheckOutput(c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckOutput(%q) = %v, want %q", c.path, err, c.want)
		}
	}
	if runtime.GOOS != "windows" && os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		if err := CheckOutput(filepath.Join(ro, "out")); err == nil || !strings.Contains(err.Error(), "cannot create files in") {
			t.Errorf("read-only directory: %v", err)
		}
	}
	if got := names(t, dir); slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, ".tmp-") }) {
		t.Errorf("CheckOutput left a probe file: %q", got)
	}
}
