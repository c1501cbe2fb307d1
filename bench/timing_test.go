package bench

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lowrank-rnn/lowrank/kernels"
)

func TestTimeOps(t *testing.T) {
	ops, err := MatVecOps(32, []int{2, 8})
	if err != nil {
		t.Fatal(err)
	}
	if ops[0].Name != "SweepMatVec/n=32/rank=full" || ops[2].Name != "SweepMatVec/n=32/rank=8" ||
		ops[0].MulAdds != 32*32 || ops[1].MulAdds != 2*2*32 {
		t.Errorf("ops %+v", ops)
	}
	targets := kernels.Available()
	tm, err := TimeOps(ops, targets, 3, 50*time.Microsecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(tm.Results) != 3 || len(tm.Results[2]) != len(targets) || len(tm.Results[2][0].Samples) != 3 {
		t.Fatalf("results %v: want 3 ops × %d targets × 3 samples", tm.Results, len(targets))
	}
	for k := range targets {
		if tm.Speedups[0][k] != 1 {
			t.Errorf("target %s: the reference's speedup over itself is %v", targets[k], tm.Speedups[0][k])
		}
		if got := Ratio(tm.Results[0][k], tm.Results[1][k]); tm.Speedups[1][k] != got {
			t.Errorf("target %s: speedup %v, the paired ratio %v", targets[k], tm.Speedups[1][k], got)
		}
	}
	if _, err := TimeOps(ops, []string{"sse9"}, 1, time.Microsecond); err == nil {
		t.Error("an unknown target was timed")
	}
}

func TestStepOps(t *testing.T) {
	ops, err := StepOps("mgru", 16, []int{4})
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 2 || ops[1].Name != StepName("mgru", 16, "4") || ops[0].Name != "SweepStep/cell=mgru/n=16/rank=full" ||
		ops[0].MulAdds != 2*16*16 || ops[1].MulAdds != 2*2*4*16 {
		t.Errorf("ops %+v", ops)
	}
	for _, op := range ops {
		if allocs := testing.AllocsPerRun(10, op.Run); allocs != 0 {
			t.Errorf("%s allocates %v times per call", op.Name, allocs)
		}
	}
	for _, bad := range []struct {
		cell  string
		ranks []int
	}{{"tcn", nil}, {"rnn", []int{16}}, {"rnn", []int{0}}, {"gru", []int{16}}} {
		if _, err := StepOps(bad.cell, 16, bad.ranks); err == nil {
			t.Errorf("StepOps(%q, 16, %v) accepted", bad.cell, bad.ranks)
		}
	}
	for _, c := range []struct {
		cell  string
		gates int
	}{{"gru", 3}, {"lstm", 4}} {
		ops, err := StepOps(c.cell, 16, []int{4})
		if err != nil {
			t.Fatal(err)
		}
		if len(ops) != 2 || ops[1].Name != StepName(c.cell, 16, "4") || ops[0].MulAdds != c.gates*16*16 || ops[1].MulAdds != 4*(c.gates*16+16) {
			t.Errorf("%s ops %+v", c.cell, ops)
		}
		for _, op := range ops {
			if allocs := testing.AllocsPerRun(10, op.Run); allocs != 0 {
				t.Errorf("%s allocates %v times per call", op.Name, allocs)
			}
		}
	}
	if _, err := MatVecOps(8, []int{8}); err == nil {
		t.Error("MatVecOps with rank n accepted")
	}
}

// fakeTimings builds a Timings from given samples, as TimeOps would.
func fakeTimings(ops []string, targets []string, iters int, samples func(i, k int) []float64) *Timings {
	t := &Timings{Ops: ops, Targets: targets}
	for i := range ops {
		var rs []Result
		for k := range targets {
			s := samples(i, k)
			rs = append(rs, Result{Iters: iters, Samples: s, Median: median(s)})
		}
		t.Results = append(t.Results, rs)
	}
	for i := range ops {
		var ss []float64
		for k := range targets {
			ss = append(ss, Ratio(t.Results[0][k], t.Results[i][k]))
		}
		t.Speedups = append(t.Speedups, ss)
	}
	return t
}

func TestTimingsRoundTrip(t *testing.T) {
	targets := []string{"go", "avx2"}
	rnn := fakeTimings([]string{StepName("rnn", 8, "full"), StepName("rnn", 8, "2")}, targets, 1000,
		func(i, k int) []float64 { return []float64{100.5 / float64(i+1+k), 99.25 / float64(i+1), 101} })
	mgru := fakeTimings([]string{StepName("mgru", 8, "full"), StepName("mgru", 8, "2")}, targets, 500,
		func(i, k int) []float64 { return []float64{300, 280.125 / float64(2*i+1), 310.5} })
	var buf bytes.Buffer
	if err := WriteTimings(&buf, rnn, mgru); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{"Unit speedup better=higher\n", "cpu-slug: " + CPUSlug() + "\n",
		"BenchmarkSweepStep/impl=avx2/cell=mgru/n=8/rank=2 500 93.375 ns/op 3 speedup\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("file lacks %q:\n%s", want, text)
		}
	}
	got, err := ReadTimings(strings.NewReader(text), "x.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := &Timings{Ops: append(slices.Clone(rnn.Ops), mgru.Ops...), Targets: targets,
		Results: append(slices.Clone(rnn.Results), mgru.Results...), Speedups: append(slices.Clone(rnn.Speedups), mgru.Speedups...)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, want)
	}
	if i := got.Op(StepName("mgru", 8, "2")); i != 3 || got.Op("nope") != -1 {
		t.Errorf("Op: %d", i)
	}
}

func TestReadTimingsRejects(t *testing.T) {
	line := "BenchmarkSweepStep/impl=go/cell=rnn/n=8/rank=full 10 5 ns/op 1 speedup\n"
	for _, bad := range []struct{ name, text, want string }{
		{"empty", "", "no timings"},
		// Free text is allowed in the format (go test prints PASS), a
		// broken result line is not.
		{"broken line", "PASS\n" + line + "BenchmarkSweepStep/impl=go/cell=rnn/n=8/rank=full ten 5 ns/op\n", "x.txt:3"},
		{"no speedup", "BenchmarkSweepStep/impl=go/cell=rnn/n=8/rank=full 10 5 ns/op\n", "speedup"},
		{"no impl", "BenchmarkSweepStep/cell=rnn/n=8/rank=full 10 5 ns/op 1 speedup\n", "impl=<target>"},
		{"bad value", "BenchmarkSweepStep/impl=go/cell=rnn/n=8/rank=full 10 x ns/op 1 speedup\n", "x.txt:1"},
		{"zero time", "BenchmarkSweepStep/impl=go/cell=rnn/n=8/rank=full 10 0 ns/op 1 speedup\n", "ns/op 0"},
		{"iterations", line + strings.Replace(line, " 10 ", " 11 ", 1), "10 and 11 iterations"},
		{"missing target", line + strings.Replace(line, "impl=go/cell=rnn", "impl=avx2/cell=mgru", 1), "has no samples on target"},
	} {
		if _, err := ReadTimings(strings.NewReader(bad.text), "x.txt"); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want an error with %q", bad.name, err, bad.want)
		}
	}
}
