package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/lowrank-rnn/lowrank/internal/cli"
	"github.com/lowrank-rnn/lowrank/report"
	"github.com/lowrank-rnn/lowrank/rnn"
)

// registerPlan defines the flags that ask for a plan, a target and what
// the planner measures, on fs; compress and plan share them, and each has
// its own -method.
func registerPlan(fs *flag.FlagSet, r *report.PlanRequest) {
	rnn.Bounds.MaxError.Var(fs, &r.MaxError, 0, "plan the smallest compression whose predicted damage is at most `E` (0.05: 5%)")
	fs.StringVar(&r.Budget, "budget", "", "plan the least damaging compression within `B`: bytes of recurrent weights (12288), a percentage of the dense ones (25%), or a time a step on this CPU (0.5us)")
	fs.StringVar(&r.Measure, "measure", "", "the planned `damage`: state (relative state error), output (relative readout error) or loss (label-free relative loss of the metric); default state, loss with -models")
	fs.BoolVar(&r.NoJoint, "no-joint", false, "MGRU: do not consider the joint truncation of [U_f; U_h]")
}

func runPlan(args []string, stdout, stderr io.Writer) int {
	f := failer{"plan", stderr}
	fs := cli.NewFlagSet("plan", "plan -model FILE (-max-error E | -budget B) [flags] | plan -models DIR [-csv FILE] [-figures DIR]",
		"Plan chooses the ranks of a model's recurrent matrices without labels: it\n"+
			"reads the inputs of the task's held-out set, as a deployed model serves\n"+
			"them, never their labels, and plans the smallest compression whose\n"+
			"predicted damage is at most -max-error, or the least damaging within\n"+
			"-budget. It prints the plan, then the compressed model's metric measured\n"+
			"with the labels. It is a dry run: it writes nothing (lowrank compress\n"+
			"with the same flags saves the model).\n\n"+
			"With -models, it validates the planner: for every model file, the plans\n"+
			"for maximum predicted losses from 0.1% to 40%, by the planner and by the\n"+
			"greedy baseline, each scored with the labels; -csv writes them (plan.csv),\n"+
			"-figures the planned size against the oracle's from -sweep.", stderr)
	model := fs.String("model", "", "the trained model `file`")
	var plan report.PlanRequest
	registerPlan(fs, &plan)
	fs.StringVar(&plan.Method, "method", "whitened", "truncation `method`: whitened by the input's moments, or svd")
	var evalN int
	rnn.Bounds.Eval.Var(fs, &evalN, 1000, "held-out recall `sequences` (MNIST and the corpora: their whole held-out sets)")
	data := fs.String("data", "", "`folder` of task data (default $LOWRANK_DATA, then the module cache and GOROOT)")
	v := report.PlanValidation{Logf: f.logf}
	fs.StringVar(&v.Dir, "models", "", "validate the planner on every model file in `directory`")
	fs.StringVar(&v.CSV, "csv", "", "with -models: write the plans as CSV to `file`")
	fs.StringVar(&v.Figures, "figures", "", "with -models: write the planned-size figure into `directory`")
	fs.StringVar(&v.Sweep, "sweep", "results/accuracy/sweep.csv", "with -models: the labeled sweep `file`, whose smallest configurations meeting each target are the oracle")
	if status, done := cli.ParseFlags(fs, args); done {
		return status
	}
	if v.Dir != "" {
		if *model != "" || plan.Asked() {
			return f.usage("-models plans for a range of maximum errors: it takes no -model, -max-error or -budget")
		}
		v.Request, v.Eval, v.Data = plan, evalN, *data
		return f.status(v.Run(stdout))
	}
	if err := cli.Unused(fs, true, "is for the validation, with -models", "csv", "figures", "sweep"); err != nil {
		return f.usage("%v", err)
	}
	if *model == "" || !plan.Asked() {
		return f.usage("give -model FILE and one of -max-error and -budget (or -models DIR to validate the planner)")
	}
	r, tb, err := report.PlanFile(*model, plan, evalN, *data)
	if err != nil {
		return f.status(err)
	}
	report.WritePlan(stdout, *model, tb, r)
	fmt.Fprintf(stdout, "wrote nothing (a dry run; lowrank compress with the same flags and -o FILE saves the model)\n")
	return exitOK
}
