package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
	"github.com/lowrank-rnn/lowrank/report"
	"github.com/lowrank-rnn/lowrank/rnn"
)

// compressHelp is compress's description in its usage.
const compressHelp = "Compress truncates the recurrent matrices of a trained model to low rank,\n" +
	"stores them in float32, bf16 or int8 (-bits 32, 16, 8), or both, with no\n" +
	"fine-tuning, evaluates the compressed model on its task's held-out set\n" +
	"beside the original, reports the hidden-state error measured and\n" +
	"predicted by the first-order perturbation model, and saves it as a\n" +
	"safetensors file (factors, I8 or BF16 tensors) that runs on the\n" +
	"low-rank and quantized kernels. Rank full keeps a matrix dense; with\n" +
	"-bits 16 or 8 and no -rank or -energy, every matrix stays dense. With\n" +
	"-max-error or -budget it plans the ranks first, without labels (see\n" +
	"lowrank plan).\n\n" +
	"A PyTorch GRU or LSTM saved with safetensors.torch.save_file(state_dict)\n" +
	"compresses too, in float32 (each layer's weight_hh; see lowrank inspect).\n" +
	"Such a file names no task, so its errors are measured on Gaussian inputs,\n" +
	"and neither the whitened method nor a plan, which need the task's data,\n" +
	"is available; the output keeps PyTorch's layout (README: loading it back\n" +
	"into PyTorch)."

func runCompress(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("compress", "compress -model FILE (-rank R[,R_h] | -energy F | -bits 16|8 | -max-error E | -budget B) [flags] -o FILE",
		compressHelp, stderr)
	model := fs.String("model", "", "the trained model `file`")
	var ranks rnn.Ranks
	fs.Var(&ranks, "rank", "`rank` of every recurrent matrix, or r_f,r_h for the MGRU (full: dense)")
	precision := rnn.F32
	fs.Var(&precision, "bits", "`bits` of a recurrent weight: 32 (float32), 16 (bf16) or 8 (int8 with a scale per row)")
	var energy float64
	rnn.Bounds.Energy.Var(fs, &energy, 0, "instead of -rank: keep this `fraction` of the singular values' energy Σσ²")
	var pf planFlags
	pf.register(fs)
	method := fs.String("method", "", "`method`: svd, or whitened by the hidden states of training sequences (default svd; whitened for a plan)")
	joint := fs.Bool("joint", false, "MGRU: truncate [U_f; U_h] as one matrix sharing its right factor; GRU, LSTM: each layer's stacked gates")
	var evalN int
	rnn.Bounds.Eval.Var(fs, &evalN, 2000, "held-out recall `sequences` to evaluate on (MNIST and the corpora: their whole held-out sets)")
	data := fs.String("data", "", "`folder` of task data (default $LOWRANK_DATA, then the module cache and GOROOT)")
	out := fs.String("o", "", "write the compressed model to `file`")
	if status, done := parseFlags(fs, args); done {
		return status
	}
	f := failer{"compress", stderr}
	switch {
	case *model == "" || *out == "":
		return f.usage("-model FILE and -o FILE are required")
	case count(len(ranks) > 0, energy != 0, pf.maxError != 0, pf.budget != "") > 1:
		return f.usage("give at most one of -rank, -energy, -max-error and -budget")
	}
	if err := cmp.Or(atomicfile.CheckOutputs([]string{*out}, *model),
		unused(fs, pf.asked(), "is the plan's to choose", "joint"),
		unused(fs, pf.asked(), "is not planned: a plan chooses float32 ranks (give -rank or -energy with -bits)", "bits"),
		unused(fs, !pf.asked(), "is for a plan's -max-error or -budget", "measure", "no-joint")); err != nil {
		return f.usage("%v", err)
	}
	if pf.asked() {
		return compressPlanned(*model, pf, cmp.Or(*method, string(rnn.Whitened)), evalN, *data, *out, stdout, f)
	}
	spec, err := compressSpec(ranks, energy, precision, *method, *joint)
	if err != nil {
		return f.usage("%v", err)
	}
	switch m, meta, err := rnn.LoadPyTorch(*model); {
	case err == nil:
		return compressUntasked(f, m, meta, spec, *model, *out, stdout)
	case !errors.Is(err, rnn.ErrNotPyTorch):
		return f.fail(err)
	}
	return compressTasked(fs, ranks, spec, *model, evalN, *data, *out, stdout, f)
}

// compressTasked compresses a model file that names its task, assessed on
// the task's held-out data.
func compressTasked(fs *flag.FlagSet, ranks rnn.Ranks, spec rnn.CompressSpec, model string, evalN int, data, out string, stdout io.Writer, f failer) int {
	tb, err := rnn.LoadTestbed(model, evalN, data)
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
	return compress(tb, spec, model, out, stdout, f)
}

// compressSpec is the truncation and precision the flags ask for: ranks,
// or an energy fraction, or neither to quantize a dense model.
func compressSpec(ranks rnn.Ranks, energy float64, precision rnn.Precision, method string, joint bool) (rnn.CompressSpec, error) {
	spec := rnn.CompressSpec{Method: rnn.Method(cmp.Or(method, string(rnn.SVD))), Joint: joint, Energy: energy, Precision: precision}
	if len(ranks) == 0 && energy == 0 {
		if precision == rnn.F32 {
			return spec, fmt.Errorf("give -rank, -energy, -max-error or -budget, or -bits 16 or 8 to quantize without truncating")
		}
		ranks = rnn.Ranks{rnn.Full}
	}
	if len(ranks) == 0 {
		return spec, nil
	}
	var err error
	if spec.Ranks, err = ranks.PerGate(); err != nil {
		return spec, fmt.Errorf("-rank: %v", err)
	}
	if spec.Ranks == [2]int{int(rnn.Full), int(rnn.Full)} {
		if precision == rnn.F32 {
			return spec, fmt.Errorf("-rank full keeps every matrix dense in float32: give ranks to truncate to, or -bits 16 or 8")
		}
		if method == "" {
			spec.Method = "" // nothing is truncated
		}
	}
	return spec, nil
}

// count returns how many of the conditions hold.
func count(conds ...bool) int {
	n := 0
	for _, c := range conds {
		if c {
			n++
		}
	}
	return n
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
	report.WriteCompression(stdout, model, tb, c, d)
	return save(tb, c, model, out, stdout, f)
}

// compressPlanned plans the compression of the model file without labels,
// compresses it so and saves it.
func compressPlanned(model string, pf planFlags, method string, evalN int, data, out string, stdout io.Writer, f failer) int {
	r, tb, status := planModel(model, pf, method, evalN, data, f)
	if r == nil {
		return status
	}
	report.WritePlan(stdout, model, tb, r)
	if r.Compressed == nil {
		return f.fail(fmt.Errorf("nothing to save: the plan keeps the model dense; allow a larger -max-error or -budget"))
	}
	return save(tb, r.Compressed, model, out, stdout, f)
}

// save writes the compressed model, recording where it came from.
func save(tb *rnn.Testbed, c *rnn.Compressed, model, out string, stdout io.Writer, f failer) int {
	tb.Meta["compressed_from"] = model
	if err := c.Save(out, tb.Meta); err != nil {
		return f.fail(err)
	}
	fmt.Fprintf(stdout, "saved %s\n", out)
	return exitOK
}

// compressUntasked compresses a model whose file names no task (a PyTorch
// state_dict): the errors on Gaussian inputs, no metric.
func compressUntasked(f failer, m *rnn.Model, meta map[string]string, spec rnn.CompressSpec, model, out string, stdout io.Writer) int {
	if spec.Method == rnn.Whitened {
		return f.usage("%s names no task: the whitened method needs the task's data to calibrate on; use -method svd", model)
	}
	c, err := rnn.Compress(m, spec)
	if err != nil {
		return f.usage("%v", err)
	}
	d, err := rnn.AssessUntasked(m, c)
	if err != nil {
		return f.fail(err)
	}
	meta["compressed_from"] = model
	if err := c.Save(out, meta); err != nil {
		return f.fail(err)
	}
	if w := c.SizeWarning(); w != "" {
		f.logf("warning: %s", w)
	}
	report.WriteCompressionUntasked(stdout, model, m, c, d)
	fmt.Fprintf(stdout, "saved %s\n", out)
	return exitOK
}
