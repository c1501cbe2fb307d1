package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/rnn"
)

var torchFixtures = filepath.Join("..", "..", "testdata", "torch")

// TestInspect runs lowrank inspect on PyTorch fixtures and on a compressed
// file: the kind, the model, every tensor and a spectrum line per
// recurrent matrix and gate.
func TestInspect(t *testing.T) {
	status, out, errOut := runCmd("inspect", filepath.Join(torchFixtures, "lstmproj.safetensors"))
	if status != 0 {
		t.Fatalf("exit %d, stderr:\n%s", status, errOut)
	}
	for _, want := range []string{"PyTorch state_dict", "LSTM, 6 inputs, 20 units, 2 layers, projection to 9", "weight_hr_l1",
		"rnn.weight_hh_l1 gate o", "80×9", "r99"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
	status, _, errOut = runCmd("inspect", filepath.Join(torchFixtures, "bidir.safetensors"))
	if status != exitFail || !strings.Contains(errOut, "bidirectional") {
		t.Errorf("inspect of a bidirectional model: exit %d, stderr %q; want exit 1 and why", status, errOut)
	}
	if status, _, errOut = runCmd("inspect"); status != exitUsage || !strings.Contains(errOut, "want one model file") {
		t.Errorf("inspect without a file: exit %d, stderr %q", status, errOut)
	}
}

// TestCompressTorch compresses PyTorch fixtures (no task in the file):
// the errors on Gaussian inputs, a saved file that loads and that inspect
// reads, and the whitened method refused for want of data.
func TestCompressTorch(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		file string
		args []string
		want string
	}{
		{"gru2", []string{"-rank", "8", "-joint"}, "joint: the gates share V), ranks 8;8"},
		{"prefix", []string{"-energy", "0.9"}, "(per gate), ranks"},
		{"lstmproj", []string{"-rank", "3"}, "ranks 3/3/3/3;3/3/3/3"},
	} {
		out := filepath.Join(dir, c.file+"-c.safetensors")
		args := append([]string{"compress", "-model", filepath.Join(torchFixtures, c.file+".safetensors"), "-o", out}, c.args...)
		status, stdout, errOut := runCmd(args...)
		if status != 0 {
			t.Fatalf("%v: exit %d, stderr:\n%s", args, status, errOut)
		}
		for _, w := range []string{c.want, "no task in the file", "Gaussian inputs", "predicted", "saved"} {
			if !strings.Contains(stdout, w) {
				t.Errorf("%s: output lacks %q:\n%s", c.file, w, stdout)
			}
		}
		cm, meta, err := rnn.LoadCompressed(out)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if !cm.Cell.Gated() || meta["compressed_from"] == "" {
			t.Errorf("%s: loaded a %s, metadata %v", c.file, cm.Cell, meta)
		}
		if status, stdout, _ := runCmd("inspect", out); status != 0 || !strings.Contains(stdout, "compressed lowrank model") || !strings.Contains(stdout, "weight_hh_l0.left") {
			t.Errorf("%s: inspect of the compressed file: exit %d:\n%s", c.file, status, stdout)
		}
	}
	status, _, errOut := runCmd("compress", "-model", filepath.Join(torchFixtures, "gru1.safetensors"), "-rank", "4", "-method", "whitened", "-o", filepath.Join(dir, "w.safetensors"))
	if status != exitUsage || !strings.Contains(errOut, "names no task") {
		t.Errorf("whitened on a PyTorch file: exit %d, stderr %q", status, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "w.safetensors")); err == nil {
		t.Error("a refused compression wrote its output")
	}
}

// TestTorchRefusals: what needs a task's data or a quantized step says why
// a GRU or LSTM file cannot have it, and the planner's validation leaves
// the gated models of its folder out, by name.
func TestTorchRefusals(t *testing.T) {
	dir := t.TempDir()
	gru := filepath.Join(torchFixtures, "gru1.safetensors")
	for _, c := range []struct {
		args   []string
		status int
		want   string
	}{
		{[]string{"compress", "-model", gru, "-max-error", "0.05", "-o", filepath.Join(dir, "p.safetensors")}, exitFail, "names no task"},
		{[]string{"compress", "-model", gru, "-rank", "4", "-bits", "8", "-o", filepath.Join(dir, "q.safetensors")}, exitUsage, "the gru step runs in f32 only"},
	} {
		if status, _, errOut := runCmd(c.args...); status != c.status || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, status, errOut, c.status, c.want)
		}
	}
	models := t.TempDir()
	b, err := os.ReadFile(gru)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(models, "gru1.safetensors"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	status, _, errOut := runCmd("plan", "-models", models, "-sweep", filepath.Join(dir, "none.csv"))
	if status != exitOK || !strings.Contains(errOut, "a gru model, left out") {
		t.Errorf("plan -models over a GRU: exit %d, stderr %q", status, errOut)
	}
}
