package report

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/rnn"
)

// ridgeRows are the paths of two estimators at one rank, and the linear
// check's row of that rank.
func ridgeRows() ([]RidgeRow, []MemoryRow) {
	pts := []rnn.RidgePoint{
		{Rank: 8, Estimator: rnn.EstimatorSVD, Lambda: 1e-8, Valid: 6.875},
		{Rank: 8, Estimator: rnn.EstimatorSVD, Lambda: 1e-10, Valid: 7.5},
		{Rank: 8, Estimator: rnn.EstimatorSVD, Lambda: 1e-12, Valid: 8, Chosen: true,
			Test: rnn.Capacity{Curve: []float64{1, 1}, MC: 7.998, CI: 0.004, Lambda: 1e-12}},
		{Rank: 8, Estimator: rnn.EstimatorNormal, Lambda: 1e-8, Valid: 6.875, Chosen: true,
			Test: rnn.Capacity{MC: 6.75, CI: 0.25, Lambda: 1e-8}},
	}
	lin := LinearMemoryRows("linear-16-random", []rnn.LinearRow{{Rank: 8, Params: 256, Bound: 9, Curve: []float64{1, 1},
		MC: 7.998, CI: 0.004, Lambda: 1e-12, Runs: 8, TheoryCurve: []float64{1, 1}, Theory: 8}})
	return RidgeRows("linear-16-random", pts), lin
}

func TestRidgeCSVRoundTrip(t *testing.T) {
	rows, _ := ridgeRows()
	if rows[2].Test.Curve != nil {
		t.Fatal("RidgeRows kept the test curve")
	}
	var buf bytes.Buffer
	if err := WriteRidgeCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	want := "net,rank,estimator,lambda,mc_valid,chosen,mc_test,ci95_test\n" +
		"linear-16-random,8,f64-svd,1e-08,6.875000,false,,\n" +
		"linear-16-random,8,f64-svd,1e-10,7.500000,false,,\n" +
		"linear-16-random,8,f64-svd,1e-12,8.000000,true,7.998000,0.004000\n" +
		"linear-16-random,8,f64-normal,1e-08,6.875000,true,6.750000,0.250000\n"
	if buf.String() != want {
		t.Fatalf("ridge CSV:\n%s\nwant\n%s", buf.String(), want)
	}
	got, err := ReadRidgeCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, rows)
	}
	line := "linear-16-random,8,f64-svd,1e-10,7.500000,false,,\n"
	for _, c := range []struct{ name, text, want string }{
		{"estimator", strings.Replace(want, "f64-svd", "f16", 1), `unknown estimator "f16"`},
		{"test off the chosen", strings.Replace(want, line, "linear-16-random,8,f64-svd,1e-10,7.500000,false,7,0.1\n", 1), "line 3: chosen false"},
		{"chosen without test", strings.Replace(want, line, "linear-16-random,8,f64-svd,1e-10,7.500000,true,7,\n", 1), "line 3: chosen true"},
		{"two chosen", strings.Replace(want, line, "linear-16-random,8,f64-svd,1e-10,7.500000,true,7,0.1\n", 1), "line 4: a second chosen λ"},
		{"bool", strings.Replace(want, ",false,", ",no,", 1), "line 2, column chosen"},
	} {
		if _, err := ReadRidgeCSV(strings.NewReader(c.text)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
}

// The figure and the report's section come from the points: the numbers
// at λ = 1e-8, 1e-10, 1e-12, the chosen ones with their intervals, and
// measured minus theory.
func TestRidgeReport(t *testing.T) {
	rows, lin := ridgeRows()
	dir := t.TempDir()
	paths, err := RidgeFigure(rows, lin, dir)
	if err != nil || len(paths) != 2 || paths[0] != filepath.Join(dir, "ridge-linear-16-random.svg") {
		t.Fatalf("RidgeFigure: %v, %v", paths, err)
	}
	for _, p := range paths {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	estimatorSection(p, Inputs{Ridge: rows, RidgePaths: []string{"accuracy/ridge.csv"}, Memory: lin, Figures: "figures"})
	out := b.String()
	for _, want := range []string{
		"![MC against λ, linear-16-random](figures/ridge-linear-16-random.svg)",
		"| 8 | 8.00 | 6.88, fails, fails | 8.00 ± 0.00 (1e-12) | 6.75 ± 0.25 (1e-08; fails below 1e-08) | – | – |",
		"at rank 8, 6.88, 7.50 and 8.00 on the validation run",
		"rank 8 -0.00; within the test runs' 95% interval at 1 of 1 ranks (8)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
}

// The committed ridge files are read and written back byte for byte.
func TestReadCommittedRidgeFiles(t *testing.T) {
	files, _ := filepath.Glob("../results/accuracy/ridge-*.csv")
	if len(files) == 0 {
		t.Skip("no committed ridge files")
	}
	for _, f := range files {
		rows, err := ReadRidgeFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteRidgeCSV(&buf, rows); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(f); err != nil || !bytes.Equal(b, buf.Bytes()) || math.IsNaN(rows[0].Valid) {
			t.Errorf("%s: written back, it differs (%v)", f, err)
		}
	}
}
