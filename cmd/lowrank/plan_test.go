package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/rnn"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// planModelFile saves an untrained recall MGRU of 16 units whose
// recurrent matrices have decaying singular values, with its task's
// metadata, and returns the file.
func planModelFile(t *testing.T) string {
	t.Helper()
	rec := task.Recall{Rho: 0.5, K: 3, T: 30}
	m, err := rnn.New(rnn.ConfigFor(rec.Spec(), rnn.MGRU, 16), 4)
	if err != nil {
		t.Fatal(err)
	}
	for g := range 2 {
		for i := range 16 {
			for j := range 16 {
				m.U[g].Set(i, j, m.U[g].At(i, j)*float32(0.9*pow(0.8, j)))
			}
		}
	}
	path := filepath.Join(t.TempDir(), "recall.safetensors")
	if err := m.Save(path, map[string]string{"task": rec.Spec().Name, "rho": "0.5", "T": "30", "data_seed": "1"}); err != nil {
		t.Fatal(err)
	}
	return path
}

func pow(x float64, k int) float64 {
	p := 1.0
	for range k {
		p *= x
	}
	return p
}

// TestPlan: lowrank plan is a dry run that prints the plan and the
// metric it costs and writes nothing; compress with the same flags saves
// the planned model; bad targets are usage errors.
func TestPlan(t *testing.T) {
	path := planModelFile(t)
	dir := filepath.Dir(path)
	before, _ := os.ReadDir(dir)
	status, out, errOut := runCmd("plan", "-model", path, "-max-error", "0.05", "-eval", "32")
	if after, _ := os.ReadDir(dir); status != 0 || len(after) != len(before) ||
		!strings.Contains(out, "planned from the held-out inputs, without labels: ranks") ||
		!strings.Contains(out, "MC ") || !strings.Contains(out, "wrote nothing") {
		t.Fatalf("plan: exit %d, %d files were %d\n%s%s", status, len(after), len(before), out, errOut)
	}
	if status, out, errOut := runCmd("plan", "-model", path, "-budget", "25%", "-measure", "output", "-eval", "32"); status != 0 ||
		!strings.Contains(out, ", 512 bytes,") || !strings.Contains(out, "predicted output") {
		t.Errorf("plan -budget 25%%: exit %d\n%s%s", status, out, errOut)
	}
	out2 := filepath.Join(dir, "c.safetensors")
	status, out, errOut = runCmd("compress", "-model", path, "-max-error", "0.05", "-eval", "32", "-o", out2)
	if status != 0 || !strings.Contains(out, "saved "+out2) {
		t.Fatalf("compress -max-error: exit %d\n%s%s", status, out, errOut)
	}
	if c, meta, err := rnn.LoadCompressed(out2); err != nil || c.Spec.Method != rnn.Whitened || meta["compressed_from"] != path {
		t.Errorf("the planned file: %v, %v", err, meta)
	}
	if status, _, errOut := runCmd("compress", "-model", path, "-max-error", "1e-6", "-eval", "32", "-o", out2); status != 1 ||
		!strings.Contains(errOut, "nothing to save: the plan keeps the model dense") {
		t.Errorf("compress to a dense plan: exit %d, %q", status, errOut)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "-model", path}, "one of -max-error and -budget"},
		{[]string{"plan", "-model", path, "-max-error", "0.1", "-budget", "100"}, "give one of -max-error and -budget"},
		{[]string{"plan", "-model", path, "-max-error", "2"}, "max-error = 2 is out of range"},
		{[]string{"plan", "-model", path, "-max-error", "-0.1"}, "max-error = -0.1 is out of range"},
		{[]string{"plan", "-model", path, "-budget", "lots"}, `budget "lots"`},
		{[]string{"plan", "-model", path, "-budget", "120%"}, "budget = 120 is out of range"},
		{[]string{"plan", "-model", path, "-max-error", "0.1", "-measure", "joy"}, `unknown measure "joy"`},
		{[]string{"plan", "-model", path, "-max-error", "0.1", "-method", "qr"}, `unknown method "qr"`},
		{[]string{"plan", "-model", path, "-max-error", "0.1", "-eval", "0"}, "eval = 0 is out of range"},
		{[]string{"plan", "-models", dir, "-model", path}, "takes no -model"},
		{[]string{"compress", "-model", path, "-o", out2, "-rank", "2", "-max-error", "0.1"}, "at most one of -rank, -energy, -max-error and -budget"},
	} {
		if status, _, errOut := runCmd(tc.args...); status != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("lowrank %q: exit %d, stderr:\n%s\nwant exit 2 and %q", tc.args, status, errOut, tc.want)
		}
	}
}
