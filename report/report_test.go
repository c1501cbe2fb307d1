package report

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestSweepCSVRoundTrip(t *testing.T) {
	rows := []SweepRow{
		{Model: "seqmnist-mgru-128", Task: "seqmnist", Cell: "mgru", Hidden: 128, Rank: 0, Params: 32768, MulAdds: 32768,
			Targets: []string{"go", "avx512"}, StepNs: []float64{12000, 900}, Speedup: []float64{1, 1},
			MetricName: "accuracy", Metric: 0.985, MetricRel: 1},
		{Model: "seqmnist-mgru-128", Task: "seqmnist", Cell: "mgru", Hidden: 128, Method: "svd", Rank: 16, Params: 8192, MulAdds: 8192,
			Targets: []string{"go", "avx512"}, StepNs: []float64{3000, 200}, Speedup: []float64{4, 4.5},
			MetricName: "accuracy", Metric: 0.9, MetricRel: 0.9 / 0.985, RelErr: 0.3, Predicted: 0.4, OutRelErr: 0.2, OutPredicted: 0.25, CalibErr: 0.1},
	}
	var buf bytes.Buffer
	if err := WriteSweepCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSweepCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		// The CSV keeps 6 significant digits.
		if math.Abs(got[i].MetricRel-rows[i].MetricRel) > 1e-5 {
			t.Errorf("row %d: MetricRel %v, want %v", i, got[i].MetricRel, rows[i].MetricRel)
		}
		got[i].MetricRel = rows[i].MetricRel
		if !reflect.DeepEqual(got[i], rows[i]) {
			t.Errorf("row %d: %+v\nwant %+v", i, got[i], rows[i])
		}
	}
	if _, err := ReadSweepCSV(strings.NewReader("a,b\n1,2\n")); err == nil {
		t.Error("a foreign CSV was read")
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

func TestCoherence(t *testing.T) {
	for _, c := range []struct{ task, group, level string }{
		{"recall(rho=0.99,K=64)", "recall", "ρ = 0.99"},
		{"seqmnist-perm", "seqmnist", "pixels permuted"},
		{"text-pi", "text", "digits of π"},
	} {
		g, l, _, ok := SweepRow{Task: c.task}.Coherence()
		if !ok || g != c.group || l != c.level {
			t.Errorf("%s: %q %q %v", c.task, g, l, ok)
		}
	}
	if _, _, _, ok := (SweepRow{Task: "other"}).Coherence(); ok {
		t.Error("an unknown task has a coherence level")
	}
}
