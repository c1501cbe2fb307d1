package main

import (
	"cmp"
	"io"

	"github.com/lowrank-rnn/lowrank/internal/atomicfile"
	"github.com/lowrank-rnn/lowrank/internal/cli"
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
	fs := cli.NewFlagSet("compress", "compress -model FILE (-rank R[,R_h] | -energy F | -bits 16|8 | -max-error E | -budget B) [flags] -o FILE",
		compressHelp, stderr)
	model := fs.String("model", "", "the trained model `file`")
	var ranks rnn.Ranks
	fs.Var(&ranks, "rank", "`rank` of every recurrent matrix, or r_f,r_h for the MGRU (full: dense)")
	precision := rnn.F32
	fs.Var(&precision, "bits", "`bits` of a recurrent weight: 32 (float32), 16 (bf16) or 8 (int8 with a scale per row)")
	var energy float64
	rnn.Bounds.Energy.Var(fs, &energy, 0, "instead of -rank: keep this `fraction` of the singular values' energy Σσ²")
	var plan report.PlanRequest
	registerPlan(fs, &plan)
	method := fs.String("method", "", "`method`: svd, or whitened by the hidden states of training sequences (default svd; whitened for a plan)")
	joint := fs.Bool("joint", false, "MGRU: truncate [U_f; U_h] as one matrix sharing its right factor; GRU, LSTM: each layer's stacked gates")
	var evalN int
	rnn.Bounds.Eval.Var(fs, &evalN, 2000, "held-out recall `sequences` to evaluate on (MNIST and the corpora: their whole held-out sets)")
	data := fs.String("data", "", "`folder` of task data (default $LOWRANK_DATA, then the module cache and GOROOT)")
	out := fs.String("o", "", "write the compressed model to `file`")
	if status, done := cli.ParseFlags(fs, args); done {
		return status
	}
	f := failer{"compress", stderr}
	switch {
	case *model == "" || *out == "":
		return f.usage("-model FILE and -o FILE are required")
	case cli.Count(len(ranks) > 0, energy != 0, plan.MaxError != 0, plan.Budget != "") > 1:
		return f.usage("give at most one of -rank, -energy, -max-error and -budget")
	}
	if err := cmp.Or(atomicfile.CheckOutputs([]string{*out}, *model),
		cli.Unused(fs, plan.Asked(), "is the plan's to choose", "joint"),
		cli.Unused(fs, plan.Asked(), "is not planned: a plan chooses float32 ranks (give -rank or -energy with -bits)", "bits"),
		cli.Unused(fs, !plan.Asked(), "is for a plan's -max-error or -budget", "measure", "no-joint")); err != nil {
		return f.usage("%v", err)
	}
	c := report.Compression{Model: *model, Out: *out, Ranks: ranks, Energy: energy, Precision: precision,
		Method: *method, Joint: *joint, Plan: plan, Eval: evalN, Data: *data, Logf: f.logf}
	return f.status(c.Run(stdout))
}
