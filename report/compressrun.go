package report

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"

	"github.com/lowrank-rnn/lowrank/rnn"
)

// A Compression is one run of lowrank compress: the model file Model
// truncated to Ranks (rank full keeps a matrix dense) or to the Energy
// fraction of its spectrum, or neither to store it dense, in Precision,
// by Method ("": svd), Joint or gate by gate, assessed and saved to Out.
// When Plan asks for one (Plan.Asked), the ranks are planned without
// labels instead, by Method ("": whitened). Its errors name the flags of
// lowrank compress.
type Compression struct {
	Model, Out string
	Ranks      rnn.Ranks
	Energy     float64
	Precision  rnn.Precision
	Method     string
	Joint      bool
	Plan       PlanRequest
	Eval       int    // held-out recall sequences to assess on
	Data       string // the folder of task data ("": the default)
	Logf       Logf
}

// Run compresses, assesses and saves the model, and prints what it did to
// w. A request that cannot be met is a UsageError.
func (c Compression) Run(w io.Writer) error {
	if c.Plan.Asked() {
		return c.planned(w)
	}
	spec, err := c.spec()
	if err != nil {
		return usage(err)
	}
	switch m, meta, err := rnn.LoadPyTorch(c.Model); {
	case err == nil:
		return c.untasked(w, m, meta, spec)
	case !errors.Is(err, rnn.ErrNotPyTorch):
		return err
	}
	return c.tasked(w, spec)
}

// spec is the truncation and precision asked for: ranks, or an energy
// fraction, or neither to quantize a dense model.
func (c Compression) spec() (rnn.CompressSpec, error) {
	spec := rnn.CompressSpec{Method: rnn.Method(cmp.Or(c.Method, string(rnn.SVD))), Joint: c.Joint, Energy: c.Energy, Precision: c.Precision}
	ranks := c.Ranks
	if len(ranks) == 0 && c.Energy == 0 {
		if c.Precision == rnn.F32 {
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
		if c.Precision == rnn.F32 {
			return spec, fmt.Errorf("-rank full keeps every matrix dense in float32: give ranks to truncate to, or -bits 16 or 8")
		}
		if c.Method == "" {
			spec.Method = "" // nothing is truncated
		}
	}
	return spec, nil
}

// tasked compresses a model file that names its task, assessed on the
// task's held-out data.
func (c Compression) tasked(w io.Writer, spec rnn.CompressSpec) error {
	tb, err := rnn.LoadTestbed(c.Model, c.Eval, c.Data)
	if err != nil {
		return err
	}
	one := spec.Joint || tb.Model.Cell != rnn.MGRU // one matrix to truncate: a second rank would be ignored
	switch {
	case c.Data != "" && strings.HasPrefix(tb.Spec.Name, "recall"):
		return usageErrorf("-data names a folder of task data: a recall model's task is made from its metadata")
	case one && len(c.Ranks) > 1:
		return usageErrorf("-rank %s: the second rank is U_h's, for an MGRU truncated gate by gate; this truncation of %s-%d has one matrix",
			c.Ranks, tb.Model.Cell, tb.Model.Hidden)
	}
	if spec.Method == rnn.Whitened {
		spec.Calibration = tb.Calibration
	}
	compressed, err := rnn.Compress(tb.Model, spec)
	if err != nil {
		return usage(err)
	}
	if warning := compressed.SizeWarning(); warning != "" {
		c.Logf.printf("warning: %s", warning)
	}
	d, err := tb.Assess(compressed)
	if err != nil {
		return err
	}
	WriteCompression(w, c.Model, tb, compressed, d)
	return c.save(w, compressed, tb.Meta)
}

// planned plans the compression of the model file without labels,
// compresses it so and saves it.
func (c Compression) planned(w io.Writer) error {
	req := c.Plan
	req.Method = cmp.Or(c.Method, string(rnn.Whitened))
	r, tb, err := PlanFile(c.Model, req, c.Eval, c.Data)
	if err != nil {
		return err
	}
	WritePlan(w, c.Model, tb, r)
	if r.Compressed == nil {
		return fmt.Errorf("nothing to save: the plan keeps the model dense; allow a larger -max-error or -budget")
	}
	return c.save(w, r.Compressed, tb.Meta)
}

// untasked compresses a model whose file names no task (a PyTorch
// state_dict): the errors on Gaussian inputs, no metric.
func (c Compression) untasked(w io.Writer, m *rnn.Model, meta map[string]string, spec rnn.CompressSpec) error {
	if spec.Method == rnn.Whitened {
		return usageErrorf("%s names no task: the whitened method needs the task's data to calibrate on; use -method svd", c.Model)
	}
	compressed, err := rnn.Compress(m, spec)
	if err != nil {
		return usage(err)
	}
	d, err := rnn.AssessUntasked(m, compressed)
	if err != nil {
		return err
	}
	if err := compressed.Save(c.Out, withSource(meta, c.Model)); err != nil {
		return err
	}
	if warning := compressed.SizeWarning(); warning != "" {
		c.Logf.printf("warning: %s", warning)
	}
	WriteCompressionUntasked(w, c.Model, m, compressed, d)
	fmt.Fprintf(w, "saved %s\n", c.Out)
	return nil
}

// save writes the compressed model, recording where it came from.
func (c Compression) save(w io.Writer, compressed *rnn.Compressed, meta map[string]string) error {
	if err := compressed.Save(c.Out, withSource(meta, c.Model)); err != nil {
		return err
	}
	fmt.Fprintf(w, "saved %s\n", c.Out)
	return nil
}

// withSource returns a copy of the metadata that records the file the
// model was compressed from (the testbed's own map stays as loaded).
func withSource(meta map[string]string, model string) map[string]string {
	out := maps.Clone(meta)
	out["compressed_from"] = model
	return out
}
