package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/bench"
	"github.com/lowrank-rnn/lowrank/report"
	"github.com/lowrank-rnn/lowrank/rnn"
)

// TestModelSweep trains two tiny recall models with lowrank train, then runs
// the main job on them and checks its table, CSV and figures.
func TestModelSweep(t *testing.T) {
	dir := t.TempDir()
	for _, cell := range []string{"rnn", "mgru"} {
		status, out, errOut := runCmd("train", "-task", "recall", "-rho", "0.5", "-K", "4", "-T", "30", "-cell", cell,
			"-hidden", "12", "-epochs", "2", "-per-epoch", "256", "-o", filepath.Join(dir, "recall-"+cell+".safetensors"))
		if status != 0 || !strings.Contains(out, "memory capacity") {
			t.Fatalf("train %s: exit %d\n%s%s", cell, status, out, errOut)
		}
	}
	// By default, the sweep writes nothing.
	before, _ := os.ReadDir(dir)
	status, out, errOut := runCmd("sweep", "-models", dir, "-ranks", "2,12", "-targets", "go", "-samples", "1",
		"-time", "1ms", "-eval", "32", "-methods", "svd")
	if after, _ := os.ReadDir(dir); status != 0 || len(after) != len(before) || !strings.Contains(out, "wrote nothing") {
		t.Fatalf("sweep without outputs: exit %d, %d files in %s, were %d\n%s%s", status, len(after), dir, len(before), out, errOut)
	}
	csvPath := filepath.Join(dir, "accuracy", "sweep.csv")
	timesPath := filepath.Join(dir, "cpu", "sweep.txt")
	figs := filepath.Join(dir, "figures")
	// Outputs go into folders that exist: checked before any work.
	if status, _, errOut := runCmd("sweep", "-models", dir, "-csv", csvPath); status != 2 || !strings.Contains(errOut, "accuracy does not exist: create it first") {
		t.Errorf("sweep -csv into a missing folder: exit %d, %q", status, errOut)
	}
	for _, d := range []string{"accuracy", "cpu", "figures"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	status, out, errOut = runCmd("sweep", "-models", dir, "-ranks", "2,6,full,12", "-targets", "go", "-samples", "1",
		"-time", "1ms", "-eval", "32", "-csv", csvPath, "-times", timesPath, "-figures", figs)
	if status != 0 {
		t.Fatalf("sweep: exit %d\n%s%s", status, out, errOut)
	}
	for _, want := range []string{"recall-rnn", "recall-mgru", "whitened", "state err", "predicted", "go ns", "wrote " + csvPath} {
		if !strings.Contains(out, want) {
			t.Errorf("sweep output lacks %q:\n%s", want, out)
		}
	}
	rows, err := report.ReadSweepFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	// Per model: the uncompressed row, the dense model in bf16 and int8,
	// then ranks 2 and 6 for each method (12 is not below n), in float32
	// and, rank 2 only (below n/2), in bf16 and int8; and the task's
	// coherence.
	if len(rows) != 2*(1+2+2*2+2*2) || rows[0].Rank != rnn.Full || rows[0].Coherence.Level != "ρ = 0.5" {
		t.Errorf("%d CSV rows, want 22; first %+v", len(rows), rows[0])
	}
	i := slices.IndexFunc(rows, func(r report.SweepRow) bool { return r.Rank == rnn.Full && r.Precision == rnn.Int8 })
	if i < 0 || rows[i].Bytes != 2*(12*12+4*12) || rows[i].Method != "" || rows[i].Model != "recall-mgru" {
		t.Errorf("the int8 dense row of the MGRU: %+v", rows[i])
	}
	// The step times: this machine's, per cell and rank.
	times, err := bench.ReadTimingsFile(timesPath)
	if err != nil {
		t.Fatal(err)
	}
	if times.Op(bench.StepName("mgru", 12, "6")) < 0 || times.Op(bench.StepName("rnn", 12, "full")) < 0 || len(times.Targets) != 1 {
		t.Errorf("step times: ops %q on %q", times.Ops, times.Targets)
	}
	for _, name := range []string{"coherence-svd.svg", "retention-whitened.png", "perturbation.svg", "pareto-recall.svg"} {
		if _, err := os.Stat(filepath.Join(figs, name)); err != nil {
			t.Errorf("figure %s: %v", name, err)
		}
	}
	// compress one of them, and write a report from the sweep and a memory run.
	cpath := filepath.Join(t.TempDir(), "c.safetensors") // not among the models
	status, out, errOut = runCmd("compress", "-model", filepath.Join(dir, "recall-mgru.safetensors"), "-rank", "3",
		"-method", "whitened", "-eval", "32", "-o", cpath)
	if status != 0 || !strings.Contains(out, "ranks [3 3]") || !strings.Contains(out, "predicted") {
		t.Fatalf("compress: exit %d\n%s%s", status, out, errOut)
	}
	if c, _, err := rnn.LoadCompressed(cpath); err != nil || c.Ranks != [2]int{3, 3} {
		t.Errorf("the compressed file: %v", err)
	}
	// int8, dense (no -rank): half the job of -bits.
	status, out, errOut = runCmd("compress", "-model", filepath.Join(dir, "recall-rnn.safetensors"), "-bits", "8",
		"-eval", "32", "-o", cpath)
	if status != 0 || !strings.Contains(out, "no truncation, ranks [full], int8 weights") || !strings.Contains(out, "recurrent bytes 576 → 192 (33.3%)") {
		t.Fatalf("compress -bits 8: exit %d\n%s%s", status, out, errOut)
	}
	if c, _, err := rnn.LoadCompressed(cpath); err != nil || c.Precision() != rnn.Int8 || c.Ranks[0] != int(rnn.Full) {
		t.Errorf("the int8 file: %v", err)
	}
	memCSV := filepath.Join(dir, "memory-x.csv")
	if status, out, errOut := runCmd("memory", "-hidden", "8", "-K", "3", "-ranks", "2,full", "-rho", "0", "-steps", "600", "-csv", memCSV); status != 0 {
		t.Fatalf("memory: exit %d\n%s%s", status, out, errOut)
	}
	// The planner's validation on the same models, against the sweep.
	planCSV := filepath.Join(dir, "accuracy", "plan.csv")
	status, out, errOut = runCmd("plan", "-models", dir, "-eval", "32", "-csv", planCSV, "-figures", figs, "-sweep", csvPath)
	if status != 0 || !strings.Contains(errOut, "no held-out test: the models are all of one task family") || !strings.Contains(out, "wrote "+planCSV) {
		t.Fatalf("plan -models: exit %d\n%s%s", status, out, errOut)
	}
	if plans, err := report.ReadPlanFile(planCSV); err != nil || len(plans) != 2*2*len(report.PlanThresholds()) {
		t.Errorf("plan.csv: %d rows (%v), want 2 models × 2 allocations × %d thresholds", len(plans), err, len(report.PlanThresholds()))
	}
	rep := filepath.Join(dir, "REPORT.md")
	status, out, errOut = runCmd("report", "-sweep", csvPath, "-steps", timesPath, "-plans", planCSV, "-memory", filepath.Join(dir, "memory-*.csv"),
		"-figures", figs, "-o", rep)
	if status != 0 {
		t.Fatalf("report: exit %d\n%s%s", status, out, errOut)
	}
	text, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Claim 1", "## Claim 2", "## Claim 3", "## Claim 4", "Spearman", "recall-mgru", "figures/coherence-svd.svg",
		"(step times: [cpu/sweep.txt](cpu/sweep.txt))", "**rnn-8-random**", "| linear-8-random | 2 |",
		"## Choosing the rank without labels", "No held-out test: the models are all of one task family",
		"recall(rho=0.5,K=4): 32 generated sequences"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("REPORT.md lacks %q", want)
		}
	}
	for _, bad := range [][]string{{"compress", "-model", cpath}, {"compress", "-model", "x", "-o", "y", "-rank", "2", "-energy", "0.5"},
		{"compress", "-model", "x", "-o", "y", "-rank", "full"}, {"compress", "-model", "x", "-o", "y", "-rank", "2,3,4"},
		{"compress", "-model", "x", "-o", "y", "-bits", "4"}, {"compress", "-model", "x", "-o", "y"}} {
		if status, _, _ := runCmd(bad...); status != 2 {
			t.Errorf("lowrank %q: exit %d, want 2", bad, status)
		}
	}
	testCompressRefusals(t, dir, cpath)
	if status, _, errOut := runCmd("sweep", "-models", t.TempDir()); status != 2 || !strings.Contains(errOut, "no model files") {
		t.Errorf("sweep of an empty directory: exit %d, %q", status, errOut)
	}
	if status, _, errOut := runCmd("sweep", "-methods", "qr"); status != 2 || !strings.Contains(errOut, `unknown method "qr"`) {
		t.Errorf("sweep -methods qr: exit %d, %q", status, errOut)
	}
	if status, _, errOut := runCmd("sweep", "-precisions", "f32,4"); status != 2 || !strings.Contains(errOut, `unknown precision "4"`) {
		t.Errorf("sweep -precisions f32,4: exit %d, %q", status, errOut)
	}
}

// TestTrainDataFolder: -data names the folder a task's data is read from
// (GOROOT, the fallback, is empty here).
func TestTrainDataFolder(t *testing.T) {
	t.Setenv("GOROOT", t.TempDir())
	if status, _, errOut := runCmd("train", "-task", "pi", "-o", filepath.Join(t.TempDir(), "x")); status != 2 || !strings.Contains(errOut, "pi.txt") {
		t.Fatalf("train -task pi without its data: exit %d, %q", status, errOut)
	}
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "pi.txt"), []byte("3."+strings.Repeat("1415926535", 200)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "pi.safetensors")
	status, stdout, errOut := runCmd("train", "-task", "pi", "-data", data, "-cell", "rnn", "-hidden", "4", "-epochs", "1",
		"-per-epoch", "8", "-batch", "8", "-o", out)
	if status != 0 || !strings.Contains(stdout, "bits per character") {
		t.Fatalf("train -data: exit %d\n%s%s", status, stdout, errOut)
	}
	// The model records its task, and a sweep reads the same folder.
	if _, meta, err := rnn.Load(out); err != nil || meta["task"] != "text-pi" {
		t.Fatalf("the trained model: %v, metadata %v", err, meta)
	}
	if _, err := rnn.LoadTestbed(out, 32, data); err != nil {
		t.Errorf("testbed of the data folder's π: %v", err)
	}
}

// testCompressRefusals: compress refuses what it would get wrong or
// ignore, with exit 2 and its output untouched, and warns when the
// "compressed" model is larger than the dense one.
func testCompressRefusals(t *testing.T, dir, out string) {
	rnnModel, mgru := filepath.Join(dir, "recall-rnn.safetensors"), filepath.Join(dir, "recall-mgru.safetensors")
	before, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-model", rnnModel, "-rank", "4,8"}, "-rank 4,8: the second rank is U_h's, for an MGRU truncated gate by gate; this truncation of rnn-12 has one matrix"},
		{[]string{"-model", mgru, "-rank", "4,8", "-joint"}, "this truncation of mgru-12 has one matrix"},
		{[]string{"-model", mgru, "-rank", "4", "-data", dir}, "-data names a folder of task data: a recall model's task is made from its metadata"},
		{[]string{"-model", mgru, "-rank", "4", "-eval", "0"}, "eval = 0 is out of range"},
		{[]string{"-model", mgru, "-energy", "0"}, "energy = 0 is out of range: want 0 < energy ≤ 1"},
		{[]string{"-model", mgru, "-energy", "NaN"}, "energy = NaN is out of range"},
		{[]string{"-model", mgru, "-rank", "100000"}, "rank = 100000 is out of range"},
	} {
		status, _, errOut := runCmd(append(append([]string{"compress"}, tc.args...), "-o", out)...)
		if status != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("lowrank compress %q: exit %d, stderr:\n%s\nwant exit 2 and %q", tc.args, status, errOut, tc.want)
		}
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(after, before) {
		t.Errorf("a refused compress changed %s", out)
	}
	// The output may not be the input, nor lie in a missing folder.
	for _, o := range []string{mgru, filepath.Join(dir, "missing", "c.safetensors")} {
		if status, _, errOut := runCmd("compress", "-model", mgru, "-rank", "4", "-o", o); status != 2 ||
			!strings.Contains(errOut, "is the input") && !strings.Contains(errOut, "does not exist") {
			t.Errorf("compress -o %s: exit %d, %q", o, status, errOut)
		}
	}
	// Rank 8 of n = 12 and the whole energy keep more weights than the
	// dense matrices: said plainly.
	for _, args := range [][]string{{"-rank", "8"}, {"-energy", "1"}} {
		status, _, errOut := runCmd(append([]string{"compress", "-model", rnnModel, "-eval", "32", "-o", out}, args...)...)
		if status != 0 || !strings.Contains(errOut, "warning: the compressed model has") || !strings.Contains(errOut, "larger and slower than the original") {
			t.Errorf("compress %q: exit %d, stderr %q: want a warning that it is larger", args, status, errOut)
		}
	}
}

// TestTrainRefusals: train checks its flags and its output before it
// trains: a flag of another task, a missing folder, a recall task too
// large to hold.
func TestTrainRefusals(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.safetensors")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-task", "seqmnist", "-rho", "0.5"}, "-rho is a setting of -task recall"},
		{[]string{"-task", "pi", "-T", "50"}, "-T is a setting of -task recall"},
		{[]string{"-task", "recall", "-data", "."}, "-data names a folder of task data: -task recall makes its own"},
		{[]string{"-task", "seqmnist", "-per-epoch", "100"}, "-per-epoch is for the sampled tasks"},
		{[]string{"-K", "64", "-T", "64"}, "want T > K"},
		{[]string{"-K", "4096", "-T", "10000", "-hidden", "4096"}, "more than the 1024 MiB bound"},
		{[]string{"-T", "1000000000"}, "T = 1000000000 is out of range"},
		{[]string{"-epochs", "0"}, "epochs = 0 is out of range"},
		{[]string{"-lr", "0"}, "lr = 0 is out of range"},
		{[]string{"-hidden", "100000"}, "hidden = 100000 is out of range"},
		{[]string{"-o", filepath.Join(t.TempDir(), "missing", "m.safetensors")}, "does not exist: create it first"},
	} {
		args := append([]string{"train", "-epochs", "1000"}, tc.args...)
		if !slices.Contains(tc.args, "-o") {
			args = append(args, "-o", out)
		}
		status, _, errOut := runCmd(args...)
		if status != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("lowrank %q: exit %d, stderr:\n%s\nwant exit 2 and %q", args, status, errOut, tc.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused train wrote %s", out)
	}
}
