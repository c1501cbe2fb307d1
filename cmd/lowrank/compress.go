package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lowrank-rnn/lowrank/rnn"
	"github.com/lowrank-rnn/lowrank/rnn/task"
)

func runCompress(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("compress", "compress -model FILE (-rank R[,R_h] | -energy F) [flags] -o FILE",
		"Compress truncates the recurrent matrices of a trained model to low rank,\n"+
			"with no fine-tuning, evaluates the compressed model on its task's\n"+
			"held-out set beside the original, reports the hidden-state error measured\n"+
			"and predicted by the first-order perturbation model, and saves it as a\n"+
			"safetensors file of factors that runs on the low-rank kernels.", stderr)
	model := fs.String("model", "", "the trained model `file`")
	rankFlag := fs.String("rank", "", "`rank` of every recurrent matrix, or r_f,r_h for the MGRU")
	energy := fs.Float64("energy", 0, "instead of -rank: keep this `fraction` of the singular values' energy Σσ²")
	method := fs.String("method", "svd", "`method`: svd, or whitened by the hidden states of training sequences")
	joint := fs.Bool("joint", false, "MGRU: truncate [U_f; U_h] as one matrix sharing its right factor")
	evalN := fs.Int("eval", 2000, "held-out sequences to evaluate on")
	out := fs.String("o", "", "write the compressed model to `file`")
	if status, done := parseFlags(fs, args); done {
		return status
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "lowrank compress: "+format+"\n", a...)
		return exitUsage
	}
	failed := func(err error) int {
		fmt.Fprintf(stderr, "lowrank compress: %v\n", err)
		return exitFail
	}
	if *model == "" || *out == "" {
		return usage("-model FILE and -o FILE are required")
	}
	var spec rnn.CompressSpec
	spec.Method, spec.Joint, spec.Energy = rnn.Method(*method), *joint, *energy
	if (*rankFlag == "") == (*energy == 0) {
		return usage("give exactly one of -rank and -energy")
	}
	if *rankFlag != "" {
		parts := strings.Split(*rankFlag, ",")
		if len(parts) > 2 {
			return usage("-rank %q: want R or R_f,R_h", *rankFlag)
		}
		for i, p := range parts {
			r, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil || r < 1 {
				return usage("-rank %q: %q is not a positive integer", *rankFlag, p)
			}
			spec.Ranks[i] = r
		}
		if len(parts) == 1 {
			spec.Ranks[1] = spec.Ranks[0]
		}
	}
	m, meta, err := rnn.Load(*model)
	if err != nil {
		return failed(err)
	}
	ds, err := rnn.TaskOf(meta, m, *evalN)
	if err != nil {
		return failed(err)
	}
	cal, err := rnn.Calibrate(m, rnn.CalibrationBatches(ds))
	if err != nil {
		return failed(err)
	}
	if spec.Method == rnn.Whitened {
		spec.Calibration = cal
	}
	c, err := rnn.Compress(m, spec)
	if err != nil {
		return usage("%v", err)
	}
	tspec := ds.Spec()
	eval := rnn.HeldOut(ds, *evalN)
	base, err := rnn.MetricOf(m, tspec, eval)
	if err != nil {
		return failed(err)
	}
	d, err := rnn.Assess(m, c, tspec, eval, ds.Eval(32)[0], cal, base)
	if err != nil {
		return failed(err)
	}
	meta["compressed_from"] = *model
	if err := c.Save(*out, meta); err != nil {
		return failed(err)
	}
	n := m.Hidden
	name := rnn.MetricName(tspec)
	fmt.Fprintf(stdout, "%s: %s-%d on %s, %s truncation", *model, m.Cell, n, tspec.Name, c.Spec.Method)
	if c.Spec.Joint {
		fmt.Fprintf(stdout, " (joint [U_f; U_h])")
	}
	fmt.Fprintf(stdout, ", ranks %v\n", c.Ranks[:m.Cell.Gates()])
	fmt.Fprintf(stdout, "recurrent weights %d → %d (%.1f%%), multiply-adds per step %d → %d\n",
		m.Cell.Gates()*n*n, d.Params, 100*float64(d.Params)/float64(m.Cell.Gates()*n*n), m.Cell.Gates()*n*n, d.MulAdds)
	fmt.Fprintf(stdout, "%s %s → %s on %d held-out sequences (kept %.4f)\n", name,
		formatMetric(tspec, base), formatMetric(tspec, d.Metric), countSeqs(eval), d.MetricRel)
	fmt.Fprintf(stdout, "relative hidden-state error %.4g measured, %.4g predicted (first-order); products on calibration states %.4g\n",
		d.RelErr, d.Predicted, d.CalibErr)
	fmt.Fprintf(stdout, "saved %s\n", *out)
	return exitOK
}

func countSeqs(bs []*task.Batch) int {
	n := 0
	for _, b := range bs {
		n += b.B
	}
	return n
}
