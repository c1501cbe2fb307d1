package atomicfile

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestFileSizeLimit replaces a file from a child process whose file-size
// limit (RLIMIT_FSIZE, what `ulimit -f` sets) is below the new content's
// size: the write fails with EFBIG, the previous file stays byte-identical
// and no temporary file is left. A child, because the limit is per process.
func TestFileSizeLimit(t *testing.T) {
	if path := os.Getenv("ATOMICFILE_FSIZE_CHILD"); path != "" {
		lim := syscall.Rlimit{Cur: 20 << 10, Max: 20 << 10} // ulimit -f 20
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
			t.Fatal(err)
		}
		err := WriteBytes(path, bytes.Repeat([]byte{'n'}, 1<<20))
		if err == nil {
			t.Fatal("a 1 MiB write under a 20 KiB file-size limit succeeded")
		}
		t.Log(err)
		if !strings.Contains(err.Error(), "file too large") {
			t.Fatalf("error %v, want EFBIG (file too large)", err)
		}
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "out.safetensors")
	old := bytes.Repeat([]byte("previous "), 1000) // 9 KB: under the limit
	if err := os.WriteFile(path, old, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFileSizeLimit$", "-test.v")
	cmd.Env = append(os.Environ(), "ATOMICFILE_FSIZE_CHILD="+path)
	out, err := cmd.CombinedOutput()
	if errors.Is(err, syscall.ENOEXEC) {
		t.Skipf("cannot run the test binary as a child here (under qemu-user?): %v", err)
	}
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("file too large")) {
		t.Fatalf("the child did not see the limit:\n%s", out)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, old) {
		t.Errorf("the previous file changed: %d bytes, want %d", len(b), len(old))
	}
	if got := names(t, dir); !slices.Equal(got, []string{"out.safetensors"}) {
		t.Errorf("directory holds %q: a temporary file was left", got)
	}
}
