package main

import (
	"cmp"
	"fmt"
	"io"
	"strings"

	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
	"github.com/lowrank-rnn/lowrank/report"
	"github.com/lowrank-rnn/lowrank/rnn"
)

func runCompress(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("compress", "compress -model FILE (-rank R[,R_h] | -energy F | -bits 16|8) [flags] -o FILE",
		"Compress truncates the recurrent matrices of a trained model to low rank,\n"+
			"stores them in float32, bf16 or int8 (-bits 32, 16, 8), or both, with no\n"+
			"fine-tuning, evaluates the compressed model on its task's held-out set\n"+
			"beside the original, reports the hidden-state error measured and\n"+
			"predicted by the first-order perturbation model, and saves it as a\n"+
			"safetensors file (factors, I8 or BF16 tensors) that runs on the\n"+
			"low-rank and quantized kernels. Rank full keeps a matrix dense; with\n"+
			"-bits 16 or 8 and no -rank or -energy, every matrix stays dense.", stderr)
	model := fs.String("model", "", "the trained model `file`")
	var ranks rnn.Ranks
	fs.Var(&ranks, "rank", "`rank` of every recurrent matrix, or r_f,r_h for the MGRU (full: dense)")
	precision := rnn.F32
	fs.Var(&precision, "bits", "`bits` of a recurrent weight: 32 (float32), 16 (bf16) or 8 (int8 with a scale per row)")
	var energy float64
	rnn.Bounds.Energy.Var(fs, &energy, 0, "instead of -rank: keep this `fraction` of the singular values' energy Σσ²")
	method := fs.String("method", "svd", "`method`: svd, or whitened by the hidden states of training sequences")
	joint := fs.Bool("joint", false, "MGRU: truncate [U_f; U_h] as one matrix sharing its right factor")
	var evalN int
	rnn.Bounds.Eval.Var(fs, &evalN, 2000, "held-out sequences to evaluate on")
	data := fs.String("data", "", "`folder` of task data (default $LOWRANK_DATA, then the module cache and GOROOT)")
	out := fs.String("o", "", "write the compressed model to `file`")
	if status, done := parseFlags(fs, args); done {
		return status
	}
	f := failer{"compress", stderr}
	spec := rnn.CompressSpec{Method: rnn.Method(*method), Joint: *joint, Energy: energy, Precision: precision}
	switch {
	case *model == "" || *out == "":
		return f.usage("-model FILE and -o FILE are required")
	case len(ranks) > 0 && energy != 0:
		return f.usage("give one of -rank and -energy, not both")
	case len(ranks) == 0 && energy == 0 && precision == rnn.F32:
		return f.usage("give -rank or -energy, or -bits 16 or 8 to quantize without truncating")
	case len(ranks) == 0 && energy == 0:
		ranks = rnn.Ranks{rnn.Full}
	}
	if len(ranks) > 0 {
		var err error
		if spec.Ranks, err = ranks.PerGate(); err != nil {
			return f.usage("-rank: %v", err)
		}
		if spec.Ranks == [2]int{int(rnn.Full), int(rnn.Full)} {
			if precision == rnn.F32 {
				return f.usage("-rank full keeps every matrix dense in float32: give ranks to truncate to, or -bits 16 or 8")
			}
			if !flagsSet(fs)["method"] {
				spec.Method = "" // nothing is truncated
			}
		}
	}
	if err := atomicfile.CheckOutputs([]string{*out}, *model); err != nil {
		return f.usage("%v", err)
	}
	tb, err := rnn.LoadTestbed(*model, evalN, *data)
	if err != nil {
		return f.fail(err)
	}
	one := spec.Joint || tb.Model.Cell != rnn.MGRU // one matrix to truncate: a second rank would be ignored
	if err := cmp.Or(unused(fs, strings.HasPrefix(tb.Spec.Name, "recall"), "names a folder of task data: a recall model's task is made from its metadata", "data"),
		unused(fs, one && len(ranks) > 1, fmt.Sprintf("%s: the second rank is U_h's, for an MGRU truncated gate by gate; this truncation of %s-%d has one matrix",
			ranks, tb.Model.Cell, tb.Model.Hidden), "rank")); err != nil {
		return f.usage("%v", err)
	}
	if spec.Method == rnn.Whitened {
		spec.Calibration = tb.Calibration
	}
	return compress(tb, spec, *model, *out, stdout, f)
}

// compress compresses the testbed's model, assesses and saves it.
func compress(tb *rnn.Testbed, spec rnn.CompressSpec, model, out string, stdout io.Writer, f failer) int {
	c, err := rnn.Compress(tb.Model, spec)
	if err != nil {
		return f.usage("%v", err)
	}
	if w := c.SizeWarning(); w != "" {
		f.logf("warning: %s", w)
	}
	d, err := tb.Assess(c)
	if err != nil {
		return f.fail(err)
	}
	tb.Meta["compressed_from"] = model
	if err := c.Save(out, tb.Meta); err != nil {
		return f.fail(err)
	}
	report.WriteCompression(stdout, model, tb, c, d)
	fmt.Fprintf(stdout, "saved %s\n", out)
	return exitOK
}
