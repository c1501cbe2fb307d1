package main

import (
	"fmt"
	"io"

	"github.com/lowrank-rnn/lowrank/report"
	"github.com/lowrank-rnn/lowrank/rnn"
)

func runCompress(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("compress", "compress -model FILE (-rank R[,R_h] | -energy F) [flags] -o FILE",
		"Compress truncates the recurrent matrices of a trained model to low rank,\n"+
			"with no fine-tuning, evaluates the compressed model on its task's\n"+
			"held-out set beside the original, reports the hidden-state error measured\n"+
			"and predicted by the first-order perturbation model, and saves it as a\n"+
			"safetensors file of factors that runs on the low-rank kernels.", stderr)
	model := fs.String("model", "", "the trained model `file`")
	var ranks rnn.Ranks
	fs.Var(&ranks, "rank", "`rank` of every recurrent matrix, or r_f,r_h for the MGRU")
	energy := fs.Float64("energy", 0, "instead of -rank: keep this `fraction` of the singular values' energy Σσ²")
	method := fs.String("method", "svd", "`method`: svd, or whitened by the hidden states of training sequences")
	joint := fs.Bool("joint", false, "MGRU: truncate [U_f; U_h] as one matrix sharing its right factor")
	evalN := fs.Int("eval", 2000, "held-out sequences to evaluate on")
	data := fs.String("data", "", "`folder` of task data (default $LOWRANK_DATA, then the module cache and GOROOT)")
	out := fs.String("o", "", "write the compressed model to `file`")
	if status, done := parseFlags(fs, args); done {
		return status
	}
	f := failer{"compress", stderr}
	spec := rnn.CompressSpec{Method: rnn.Method(*method), Joint: *joint, Energy: *energy}
	switch {
	case *model == "" || *out == "":
		return f.usage("-model FILE and -o FILE are required")
	case (len(ranks) == 0) == (*energy == 0):
		return f.usage("give exactly one of -rank and -energy")
	}
	if len(ranks) > 0 {
		var err error
		if spec.Ranks, err = ranks.PerGate(); err != nil {
			return f.usage("-rank: %v", err)
		}
	}
	tb, err := rnn.LoadTestbed(*model, *evalN, *data)
	if err != nil {
		return f.fail(err)
	}
	if spec.Method == rnn.Whitened {
		spec.Calibration = tb.Calibration
	}
	c, err := rnn.Compress(tb.Model, spec)
	if err != nil {
		return f.usage("%v", err)
	}
	d, err := tb.Assess(c)
	if err != nil {
		return f.fail(err)
	}
	tb.Meta["compressed_from"] = *model
	if err := c.Save(*out, tb.Meta); err != nil {
		return f.fail(err)
	}
	report.WriteCompression(stdout, *model, tb, c, d)
	fmt.Fprintf(stdout, "saved %s\n", *out)
	return exitOK
}
