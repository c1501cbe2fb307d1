package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lowrank-rnn/lowrank/rnn"
)

func TestInOrder(t *testing.T) {
	files := []string{"a", "b", "c", "d", "e", "f", "g"}
	var got []string
	err := inOrder(files, func(path string) (string, error) {
		return strings.ToUpper(path), nil
	}, func(v string) error {
		got = append(got, v)
		return nil
	})
	if want := []string{"A", "B", "C", "D", "E", "F", "G"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("inOrder = %q, %v; want %q in file order, no error", got, err, want)
	}
}

func TestInOrderFirstError(t *testing.T) {
	files := []string{"a", "b", "c", "d"}
	var got []string
	err := inOrder(files, func(path string) (string, error) {
		if path == "b" || path == "d" {
			return "", fmt.Errorf("%s failed", path)
		}
		return path, nil
	}, func(v string) error {
		got = append(got, v)
		return nil
	})
	if err == nil || err.Error() != "b failed" || !slices.Equal(got, []string{"a"}) {
		t.Errorf("inOrder = %q, %v; want [a] done, then b's error (the first in file order)", got, err)
	}
	doneErr := errors.New("cannot print")
	err = inOrder(files, func(path string) (string, error) { return path, nil }, func(string) error { return doneErr })
	if err != doneErr {
		t.Errorf("inOrder with a failing done = %v, want its error", err)
	}
}

func TestIsUsage(t *testing.T) {
	u := usageErrorf("-x %d: want a positive number", -1)
	if !IsUsage(u) || !IsUsage(fmt.Errorf("model.safetensors: %w", u)) {
		t.Errorf("IsUsage(%v) = false, plain or wrapped", u)
	}
	if IsUsage(errors.New("disk full")) || IsUsage(nil) || usage(nil) != nil {
		t.Error("a failure, or no error, is taken for a usage error")
	}
	if u.Error() != "-x -1: want a positive number" {
		t.Errorf("UsageError's message = %q, want the wrapped error's", u)
	}
}

// TestRequestErrors checks that the runs tell a bad request from a
// failure, before any file is read or written.
func TestRequestErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing", "out")
	for _, c := range []struct {
		name string
		run  func() error
		want string
	}{
		{"sweep of no models", func() error { return Sweep{Dir: dir}.Run(io.Discard) }, "no model files (*.safetensors) in " + dir},
		{"sweep into a missing folder", func() error {
			return Sweep{N: 8, Outputs: SweepOutputs{Times: missing}}.Run(io.Discard)
		}, "does not exist"},
		{"validation of no models", func() error { return PlanValidation{Dir: dir, Request: PlanRequest{Method: "svd"}}.Run(io.Discard) },
			"no model files (*.safetensors) in " + dir},
		{"validation by an unknown measure", func() error {
			return PlanValidation{Dir: dir, Request: PlanRequest{Measure: "vibes", Method: "svd"}}.Run(io.Discard)
		}, "-measure: "},
		{"plan by an unknown method", func() error {
			_, _, err := PlanFile(filepath.Join(dir, "m.safetensors"), PlanRequest{MaxError: 0.1, Method: "qr"}, 10, "")
			return err
		}, `-method: unknown method "qr"`},
		{"compression to no rank", func() error {
			return Compression{Model: "m.safetensors", Out: missing, Precision: rnn.F32}.Run(io.Discard)
		}, "give -rank, -energy, -max-error or -budget"},
		{"compression to full rank in float32", func() error {
			return Compression{Model: "m.safetensors", Out: missing, Ranks: rnn.Ranks{rnn.Full}, Precision: rnn.F32}.Run(io.Discard)
		}, "-rank full keeps every matrix dense in float32"},
		{"report over its input", func() error {
			in := filepath.Join(dir, "sweep.csv")
			if err := os.WriteFile(in, nil, 0o666); err != nil {
				return err
			}
			return Build{Out: in, Sweep: in, Memory: filepath.Join(dir, "none-*.csv")}.Run(io.Discard)
		}, "sweep.csv"},
	} {
		err := c.run()
		if !IsUsage(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want a UsageError saying %q", c.name, err, c.want)
		}
	}
}

func TestPlanRequestTarget(t *testing.T) {
	if _, err := (PlanRequest{MaxError: 0.1, Budget: "25%"}).target(nil); !IsUsage(err) {
		t.Errorf("a maximum error and a budget: %v, want a UsageError", err)
	}
	if got, err := (PlanRequest{MaxError: 0.1}).target(nil); err != nil || got.MaxError != 0.1 {
		t.Errorf("target of -max-error 0.1 = %+v, %v", got, err)
	}
	if (PlanRequest{Measure: "loss"}).Asked() || !(PlanRequest{Budget: "1us"}).Asked() {
		t.Error("Asked does not follow the target")
	}
}

func TestSweepProducts(t *testing.T) {
	times := filepath.Join(t.TempDir(), "times.txt")
	var notes []string
	s := Sweep{N: 16, Ranks: rnn.Ranks{4, 32}, Samples: 1, MinTime: time.Millisecond, Targets: []string{"go"},
		Outputs: SweepOutputs{Times: times}, Logf: func(format string, a ...any) { notes = append(notes, fmt.Sprintf(format, a...)) }}
	var out strings.Builder
	if err := s.Run(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"n = 16; ns per product", "median of 1 samples of ≥ 1ms", "wrote " + times} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !slices.Equal(notes, []string{"note: skipping rank 32 ≥ n = 16"}) {
		t.Errorf("notes = %q, want rank 32's skip", notes)
	}
	if len(s.Ranks) != 2 || s.Samples != 1 {
		t.Errorf("Run changed its Sweep: %+v", s)
	}
	if _, err := os.Stat(times); err != nil {
		t.Errorf("no times file: %v", err)
	}
}
