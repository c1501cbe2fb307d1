package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lowrank-rnn/lowrank/rnn"
)

// TestModelsMatchMakefile checks that every committed default model was
// trained with the settings the Makefile's models target gives its task
// and cell, as its metadata records them: make models must reproduce what
// is committed, and a setting that one cell refuses (readout dropout for
// a GRU) must not reach it.
func TestModelsMatchMakefile(t *testing.T) {
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Skip(err)
	}
	get := func(v string) string {
		m := regexp.MustCompile(`(?m)^` + v + `\s*:=\s*(.*)$`).FindSubmatch(mk)
		if m == nil {
			t.Fatalf("no %s in the Makefile", v)
		}
		return string(m[1])
	}
	files, _ := filepath.Glob("../../results/models/*.safetensors")
	if len(files) == 0 {
		t.Skip("no committed models")
	}
	for _, f := range files {
		m, meta, err := rnn.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		cell := string(m.Cell)
		var flags string
		switch task := meta["task"]; {
		case strings.HasPrefix(task, "recall("):
			flags = get("TRAIN_RECALL")
		case strings.HasPrefix(task, "seqmnist"):
			flags = get("TRAIN_MNIST")
		case task == "text-opticks":
			text := map[string]string{"rnn": "TEXT_RNN", "mgru": "TEXT_MGRU", "gru": "TEXT_GATED", "lstm": "TEXT_GATED"}[cell]
			flags = get("TRAIN_TEXT") + " " + get(text)
		case task == "text-pi":
			flags = get("TRAIN_PI")
		default:
			t.Errorf("%s: task %q has no settings in the Makefile", name, task)
			continue
		}
		f := strings.Fields(flags)
		seen := map[string]bool{}
		for i := 0; i+1 < len(f); i += 2 {
			key := strings.ReplaceAll(strings.TrimPrefix(f[i], "-"), "-", "_")
			seen[key] = true
			got, ok := meta[key]
			if !ok {
				continue // recorded under another name (K, T), or not at all
			}
			if !sameNumber(got, f[i+1]) {
				t.Errorf("%s: %s = %s in its metadata, %s in the Makefile", name, key, got, f[i+1])
			}
		}
		// A setting the file records and the Makefile does not give.
		for _, key := range []string{"output_dropout", "input_dropout", "weight_decay", "valid", "patience"} {
			if v, ok := meta[key]; ok && !seen[key] && !sameNumber(v, "0") {
				t.Errorf("%s: %s = %s in its metadata, not in the Makefile", name, key, v)
			}
		}
	}
}

// sameNumber reports whether a and b are the same number, or the same text.
func sameNumber(a, b string) bool {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	if errA != nil || errB != nil {
		return a == b
	}
	return x == y
}
