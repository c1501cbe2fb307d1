package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/rnn"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

func sweepRows() []SweepRow {
	mnist := task.Coherence{Family: "seqmnist", Level: "rows in order", Order: 1}
	return []SweepRow{
		{Model: "seqmnist-mgru-128", Task: "seqmnist", Coherence: mnist, Cell: rnn.MGRU, Hidden: 128, EvalSeqs: 10000, ProbeSeqs: 32, MetricName: "accuracy",
			Damage: rnn.Damage{Rank: rnn.Full, Precision: rnn.F32, Params: 32768, Bytes: 131072, MulAdds: 32768, Metric: 0.985, MetricSE: 0.00121554, MetricRel: 1}},
		{Model: "seqmnist-mgru-128", Task: "seqmnist", Coherence: mnist, Cell: rnn.MGRU, Hidden: 128, EvalSeqs: 10000, ProbeSeqs: 32, MetricName: "accuracy",
			Damage: rnn.Damage{Rank: rnn.Full, Precision: rnn.Int8, Params: 32768, Bytes: 33792, MulAdds: 32768, Metric: 0.984, MetricSE: 0.00125475,
				MetricRel: 0.984 / 0.985, RelErr: 0.01, Predicted: 0.008, OutRelErr: 0.02, OutPredicted: 0.015, CalibErr: 0.005}},
		{Model: "seqmnist-mgru-128", Task: "seqmnist", Coherence: mnist, Cell: rnn.MGRU, Hidden: 128, EvalSeqs: 10000, ProbeSeqs: 32, MetricName: "accuracy",
			Damage: rnn.Damage{Rank: 16, Method: rnn.Whitened, Joint: true, Precision: rnn.BF16, Params: 6144, Bytes: 12288, MulAdds: 8192, Metric: 0.9, MetricSE: 0.003,
				MetricRel: 0.9 / 0.985, RelErr: 0.3, Predicted: 0.4, OutRelErr: 0.2, OutPredicted: 0.25, CalibErr: 0.1}},
		{Model: "recall-rho0.9-rnn-128", Task: "recall(rho=0.9,K=64)", Coherence: task.Coherence{Family: "recall", Level: "ρ = 0.9", Order: 0.9},
			Cell: rnn.RNN, Hidden: 128, MetricName: "MC", Damage: rnn.Damage{Rank: 4, Method: rnn.SVD, Precision: rnn.F32, Bytes: 4096, Metric: 0, MetricSE: math.NaN(), MetricRel: math.NaN()}},
	}
}

func TestSweepCSVRoundTrip(t *testing.T) {
	rows := sweepRows()
	var buf bytes.Buffer
	if err := WriteSweepCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "model,task,family,level,coherence,cell,hidden,eval_sequences,probe_sequences,method,joint,precision,rank,params,bytes,mul_adds,metric_name,") ||
		!strings.Contains(buf.String(), "\nseqmnist-mgru-128,seqmnist,seqmnist,rows in order,1,mgru,128,10000,32,,false,f32,full,32768,131072,") ||
		!strings.Contains(buf.String(), "\nseqmnist-mgru-128,seqmnist,seqmnist,rows in order,1,mgru,128,10000,32,,false,int8,full,32768,33792,32768,accuracy,0.984,0.00125475,") ||
		!strings.Contains(buf.String(), ",MC,0,NaN,NaN,") {
		t.Errorf("sweep.csv:\n%s", buf.String())
	}
	got, err := ReadSweepCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	// The CSV keeps 6 significant digits; 0/0 (an untrained model's
	// memory) is written and read as NaN, and so is an unknown error.
	for _, i := range []int{1, 2} {
		if math.Abs(got[i].MetricRel-rows[i].MetricRel) > 1e-5 {
			t.Errorf("MetricRel %v; want %v", got[i].MetricRel, rows[i].MetricRel)
		}
		got[i].MetricRel = rows[i].MetricRel
	}
	if !math.IsNaN(got[3].MetricRel) {
		t.Errorf("MetricRel %v; want NaN", got[3].MetricRel)
	}
	if !math.IsNaN(got[3].MetricSE) {
		t.Errorf("MetricSE %v; want NaN", got[3].MetricSE)
	}
	got[3].MetricRel, rows[3].MetricRel = 0, 0
	got[3].MetricSE, rows[3].MetricSE = 0, 0
	if !reflect.DeepEqual(got, rows) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, rows)
	}
}

func TestReadSweepCSVRejects(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSweepCSV(&buf, sweepRows()[:2]); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	lines := strings.SplitAfter(good, "\n")
	for _, c := range []struct{ name, text, want string }{
		{"empty", "", "empty file"},
		{"foreign", "a,b\n1,2\n", `header "a,b"`},
		{"short row", lines[0] + "x,y\n", "line 2 has 2 fields, want 27"},
		{"negative error", strings.Replace(good, ",0.985,0.00121554,", ",0.985,-0.00121554,", 1), `line 2, column metric_se: -0.00121554 is negative`},
		{"bad error", strings.Replace(good, ",0.985,0.00121554,", ",0.985,±0.001,", 1), `line 2, column metric_se: "±0.001" is not a number`},
		{"infinite error", strings.Replace(good, ",0.985,0.00121554,", ",0.985,+Inf,", 1), `line 2, column metric_se: "+Inf" is not a number`},
		{"bad precision", strings.Replace(good, ",f32,", ",f16,", 1), `line 2, column precision: unknown precision "f16"`},
		{"bad number", strings.Replace(good, ",0.985,", ",0.98x5,", 1), `line 2, column metric: "0.98x5" is not a number`},
		{"empty number", strings.Replace(good, ",0.985,", ",,", 1), `line 2, column metric: "" is not a number`},
		{"bad rank", strings.Replace(good, ",full,", ",0,", 1), "line 2, column rank"},
		{"bad cell", strings.Replace(good, ",mgru,", ",tcn,", 1), `unknown cell "tcn"`},
		{"method of the dense row", strings.Replace(good, ",,false,f32,full,", ",svd,false,f32,full,", 1), "line 2: rank full with method"},
		{"endless line", good + strings.Repeat("x", maxLine+1), "a line longer than 1048576 bytes: not a results file"},
	} {
		if _, err := ReadSweepCSV(strings.NewReader(c.text)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
}

// memoryRows are a trained model's rows (with the task readout, shorter
// than K) and the linear check's, of values the CSV's six decimals hold.
func memoryRows() []MemoryRow {
	res := func(f float64, task bool) rnn.MemoryResult {
		r := rnn.MemoryResult{Runs: 8,
			Fixed: rnn.Capacity{Curve: []float64{f, f / 2, f / 4}, MC: 1.75 * f, CI: 0.125, Lambda: 1e-10},
			Refit: rnn.Capacity{Curve: []float64{0.5, 0.25, 0.125}, MC: 0.875, CI: 0.0625, Lambda: 1e-12}}
		if task {
			r.Task = rnn.Capacity{Curve: []float64{0.0625, 0.03125}, MC: 0.09375, CI: 0.5}
		}
		return r
	}
	net := NetworkMemoryRows("recall-rho0-mgru-8", []rnn.MemoryRow{
		{Rho: 0.5, Rank: 2, Params: 48, Result: res(0.5, true)},
		{Rho: 0.5, Rank: rnn.Full, Params: 128, Result: res(0.25, true)},
	})
	lin := LinearMemoryRows("linear-8-random", []rnn.LinearRow{
		{Rank: rnn.Full, Params: 64, Bound: 8, Radius: 0.9, Curve: []float64{1, 0.5, 0.25}, MC: 1.75, CI: 0.25, Lambda: 1e-30, Runs: 8,
			TheoryCurve: []float64{1, 0.5, 0.125}, Theory: 1.625},
		{Rank: 2, Params: 32, Bound: 3, Radius: 1.2}, // unstable: no row
	})
	return append(net, lin...)
}

const memoryLine2 = "recall-rho0-mgru-8,0.5,2,48,8,1,0.500000,0.500000,0.062500,,0.875000,0.875000,0.093750,,0.125000,0.062500,0.500000,1e-10,1e-12\n"

func TestMemoryCSVRoundTrip(t *testing.T) {
	rows := memoryRows()
	if len(rows) != 3 || !rows[2].Linear() || rows[0].Linear() {
		t.Fatalf("rows %+v: want two network rows and one linear", rows)
	}
	var buf bytes.Buffer
	if err := WriteMemoryCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	want := "net,rho,rank,recurrent_params,runs,k,r2_fixed,r2_refit,r2_task,r2_theory,mc_fixed,mc_refit,mc_task,mc_theory," +
		"ci95_fixed,ci95_refit,ci95_task,lambda_fixed,lambda_refit\n" + memoryLine2
	if !strings.HasPrefix(buf.String(), want) ||
		!strings.Contains(buf.String(), "\nrecall-rho0-mgru-8,0.5,2,48,8,3,0.125000,0.125000,,,0.875000,0.875000,0.093750,,") ||
		!strings.HasSuffix(buf.String(), "\nlinear-8-random,0,full,64,8,3,,0.250000,,0.125000,,1.750000,,1.625000,,0.250000,,,1e-30\n") {
		t.Errorf("memory CSV:\n%s", buf.String())
	}
	got, err := ReadMemoryCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, rows)
	}
}

func TestReadMemoryCSVRejects(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteMemoryCSV(&buf, memoryRows()); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	line3 := "recall-rho0-mgru-8,0.5,2,48,8,2,0.250000,0.250000,0.031250,,0.875000,0.875000,0.093750,,0.125000,0.062500,0.500000,1e-10,1e-12\n"
	if !strings.Contains(good, line3) {
		t.Fatalf("no line %q in\n%s", line3, good)
	}
	for _, c := range []struct{ name, text, want string }{
		{"bad number", strings.Replace(good, "0.062500", "0.06x", 1), `line 2, column r2_task: "0.06x" is not a number`},
		{"bad rank", strings.Replace(good, ",2,48,", ",two,48,", 1), "line 2, column rank"},
		{"bad k", strings.Replace(good, memoryLine2, strings.Replace(memoryLine2, ",48,8,1,", ",48,8,2,", 1), 1), "want delay 1"},
		{"changing runs", strings.Replace(good, line3, strings.Replace(line3, ",48,8,2,", ",48,7,2,", 1), 1), "same network, ρ, rank and runs"},
		{"changing capacity", strings.Replace(good, line3, strings.Replace(line3, ",,0.875000,", ",,0.9,", 1), 1), "mc_fixed changes"},
		{"changing interval", strings.Replace(good, line3, strings.Replace(line3, ",0.125000,0.062500,", ",0.2,0.062500,", 1), 1), "ci95_fixed changes"},
		{"changing λ", strings.Replace(good, line3, strings.Replace(line3, ",1e-10,", ",1e-9,", 1), 1), "lambda_fixed changes"},
		{"gap", strings.Replace(good, "0.500000,0.500000,0.062500,", "0.500000,0.500000,,", 1), "r2_task has a gap"},
		{"curve without capacity", strings.Replace(good, ",0.875000,0.875000,0.093750,,", ",,0.875000,0.093750,,", 1),
			"r2_fixed without mc_fixed"},
		{"capacity without interval", strings.ReplaceAll(good, ",0.125000,0.062500,0.500000,", ",,0.062500,0.500000,"), "mc_fixed without ci95_fixed"},
		{"no refit", strings.ReplaceAll(good, ",0.875000,0.093750,", ",,0.093750,"), "r2_refit"},
	} {
		if _, err := ReadMemoryCSV(strings.NewReader(c.text)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
}

// The committed memory files are read as rows and written back byte for
// byte.
func TestReadCommittedMemoryFiles(t *testing.T) {
	files, _ := filepath.Glob("../results/accuracy/memory-*.csv")
	if len(files) == 0 {
		t.Skip("no committed memory files")
	}
	for _, f := range files {
		rows, err := ReadMemoryFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 || rows[0].Source != f || len(rows[0].Result.Refit.Curve) == 0 {
			t.Errorf("%s: %d rows, first %+v", f, len(rows), rows[0])
		}
		var buf bytes.Buffer
		if err := WriteMemoryCSV(&buf, rows); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(f); err != nil || !bytes.Equal(b, buf.Bytes()) {
			t.Errorf("%s: written back, it differs (%v)", f, err)
		}
	}
}

func TestSpearman(t *testing.T) {
	if got := ranks([]float64{3, 1, 2, 2}); !reflect.DeepEqual(got, []float64{4, 1, 2.5, 2.5}) {
		t.Errorf("ranks with a tie: %v", got)
	}
	if r := spearman([]float64{1, 2, 3, 4}, []float64{10, 20, 30, 1000}); math.Abs(r-1) > 1e-12 {
		t.Errorf("monotone: Spearman %v, want 1", r)
	}
	if r := spearman([]float64{1, 2, 3}, []float64{3, 2, 1}); math.Abs(r+1) > 1e-12 {
		t.Errorf("reversed: Spearman %v, want −1", r)
	}
}

// WriteFile replaces a file only when the whole write succeeds: a failed
// write leaves the old file as it was, and no temporary file behind.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "x.csv")
	if err := WriteFile(path, func(w io.Writer) error { _, err := io.WriteString(w, "old\n"); return err }); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(path, func(w io.Writer) error {
		io.WriteString(w, "half")
		return errors.New("disk full")
	})
	if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), path) {
		t.Errorf("failed write: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old\n" {
		t.Errorf("after a failed write the file holds %q, want the old content", b)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("%d files in %s, want only x.csv", len(entries), filepath.Dir(path))
	}
}

// TestMemoryVerdict checks the counts of claim 3 against their intervals:
// a difference counts as beyond the uncertainty only when it exceeds the
// two 95% half-widths combined.
func TestMemoryVerdict(t *testing.T) {
	capacity := func(mc, ci float64) rnn.Capacity { return rnn.Capacity{Curve: []float64{mc}, MC: mc, CI: ci} }
	row := func(rho float64, rank rnn.Rank, params int, fixed, refit rnn.Capacity) MemoryRow {
		return MemoryRow{Source: "m.csv", Net: "net", MemoryRow: rnn.MemoryRow{Rho: rho, Rank: rank, Params: params,
			Result: rnn.MemoryResult{Runs: 8, Fixed: fixed, Refit: refit}}}
	}
	in := Inputs{Memory: []MemoryRow{
		row(0, rnn.Full, 100, capacity(10, 0.3), capacity(10, 0.3)),
		row(0, 4, 10, capacity(1, 0.3), capacity(5, 0.3)),   // refit fell by 5 > √2·0.3: apart; fixed less, apart
		row(0, 8, 20, capacity(5.2, 0.3), capacity(5, 0.3)), // fixed more, within √2·0.3 = 0.42
		row(0.5, rnn.Full, 100, capacity(10, 1), capacity(10, 1)),
		row(0.5, 4, 10, capacity(9, 0.1), capacity(9.5, 0.5)),  // refit fell by 0.5 < √2: not apart; fixed less by 0.5 < 0.51: not apart
		row(0.5, 8, 20, capacity(12, 0.1), capacity(9.8, 0.1)), // fixed more by 2.2 > 0.14: apart
	}}
	var b strings.Builder
	memoryVerdict(func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }, in)
	for _, want := range []string{
		"**Partly agrees.** At the smallest rank, the refit memory capacity is below the uncompressed network's in 2 of 2 (network, ρ) pairs, 1 of them by more than the two 95% intervals combined;",
		"the fixed readout keeps no more memory than a refitted one in 2 of 4 compressed rows, less by more than the combined interval in 1, and more by more than it in 1:",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the verdict lacks %q:\n%s", want, b.String())
		}
	}
}
