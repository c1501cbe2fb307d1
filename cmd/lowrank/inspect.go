package main

import (
	"errors"
	"flag"
	"io"

	"github.com/lowrank-rnn/lowrank/internal/cli"
	"github.com/lowrank-rnn/lowrank/report"
	"github.com/lowrank-rnn/lowrank/rnn"
)

func runInspect(args []string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("inspect", "inspect FILE",
		"Inspect says what a model file holds: a lowrank model, a compressed one,\n"+
			"or a PyTorch GRU or LSTM state_dict saved with safetensors; the cell,\n"+
			"the layers and sizes, the metadata, every tensor's shape, and the\n"+
			"singular-value spectrum of each recurrent matrix (each layer's\n"+
			"weight_hh and its gates' blocks) as a sparkline, with the ranks that\n"+
			"keep 90%, 99% and 99.9% of its energy Σσ². The file is read as\n"+
			"strictly as compress reads it.", stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage // fs has printed the error and the usage
	}
	f := failer{"inspect", stderr}
	if fs.NArg() != 1 {
		return f.usage("want one model file, got %d arguments", fs.NArg())
	}
	path := fs.Arg(0)
	s, err := rnn.Inspect(path)
	if err != nil {
		return f.fail(err)
	}
	if err := report.WriteInspection(stdout, path, s); err != nil {
		return f.fail(err)
	}
	return exitOK
}
