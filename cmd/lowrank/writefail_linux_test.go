package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteFailureKeepsOutput runs train and compress under a file-size
// limit (what `ulimit -f 20` sets) smaller than the model they write: the
// write fails, the command says so and exits 1, and the previous output is
// byte-identical, with no temporary file left beside it.
func TestWriteFailureKeepsOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and trains two models")
	}
	dir := t.TempDir()
	bin := buildLowrank(t, dir)
	// An MGRU with 64 units is some 34 KB: larger than the limit.
	trainArgs := []string{"train", "-task", "recall", "-K", "4", "-T", "30", "-cell", "mgru", "-hidden", "64", "-epochs", "1", "-per-epoch", "64"}
	model := filepath.Join(dir, "m.safetensors")
	if status, out, errOut := runCmd(append(trainArgs, "-o", model)...); status != 0 {
		t.Fatalf("train: exit %d\n%s%s", status, out, errOut)
	}
	outDir := filepath.Join(dir, "out")
	if err := os.Mkdir(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	previous := bytes.Repeat([]byte("previous "), 1000) // 9 KB: within the limit
	for _, args := range [][]string{trainArgs, {"compress", "-model", model, "-rank", "32", "-eval", "32"}} {
		out := filepath.Join(outDir, args[0]+".safetensors")
		if err := os.WriteFile(out, previous, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("sh", append([]string{"-c", `ulimit -f 20 && exec "$@"`, "sh", bin}, append(args, "-o", out)...)...)
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		cmd.Run()
		code := cmd.ProcessState.ExitCode()
		if msg := errOut.String(); code != 1 || !strings.Contains(msg, "file too large") || !strings.Contains(msg, "the previous file, if any, is unchanged") {
			t.Errorf("lowrank %s under ulimit -f 20: exit %d, want 1 and the write's failure; stderr:\n%s", args[0], code, msg)
		}
		if b, err := os.ReadFile(out); err != nil || !bytes.Equal(b, previous) {
			t.Errorf("lowrank %s: the previous output changed (%d bytes, %v)", args[0], len(b), err)
		}
	}
	if es, err := os.ReadDir(outDir); err != nil || len(es) != 2 {
		t.Errorf("%s holds %d files, want the 2 outputs: a temporary file was left (%v)", outDir, len(es), err)
	}
}
