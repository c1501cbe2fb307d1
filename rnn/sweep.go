package rnn

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// Damage is what compressing a model to one rank costs, measured and
// predicted.
type Damage struct {
	Rank      Rank   // Full: the uncompressed model
	Method    Method // "" for the uncompressed model
	Joint     bool
	Precision Precision // of the recurrent weights: f32, bf16, int8
	Params    int       // recurrent weights
	Bytes     int       // recurrent bytes a step reads, scales included
	MulAdds   int       // recurrent multiply-adds per step
	Metric    float64   // the task metric (see MetricName)
	// MetricSE is Metric's standard error from the sampling of the
	// held-out set: binomial for an accuracy (task.Meter.AccuracySE), by
	// the jackknife over blocks of sequences for bits per character and
	// memory capacity (BitsSE, MemoryCapacitySE); NaN below two sequences.
	MetricSE  float64
	MetricRel float64 // Metric over the uncompressed model's
	// RelErr is √(E‖h' − h‖² / E‖h‖²) over the scored steps of the probe
	// batch, measured by running the compressed model as deployed (its
	// fused float32 steps; a quantized model with the state quantized at
	// each product) against the uncompressed model's float64 run;
	// Predicted is the first-order perturbation model's value (Predict)
	// and Tangent the tangent model's (PredictTangent), both from the
	// uncompressed run alone, fed the change of the recurrent weights
	// (truncation and quantization) as ΔU.
	RelErr, Predicted, Tangent float64
	// OutRelErr, OutPredicted and OutTangent are the same for the readout.
	OutRelErr, OutPredicted, OutTangent float64
	// CalibErr is the relative error of the recurrent products on the
	// calibration states, √(Σ_g tr(ΔU_g C_g ΔU_gᵀ) / Σ_g tr(U_g C_g U_gᵀ)):
	// what whitened truncation minimises.
	CalibErr float64
}

// MetricName returns the name of a task's metric: accuracy for
// classification at the last step, bits per character for text, memory
// capacity for recall.
func MetricName(spec task.Spec) string {
	switch spec.Kind {
	case task.ClassifyLast:
		return "accuracy"
	case task.ClassifyEach:
		return "bits/char"
	}
	return "MC"
}

// metric returns the task metric of a meter; a meter that scored nothing
// is an error, not a number.
func metric(spec task.Spec, m *task.Meter) (float64, error) {
	v, _, err := metricSE(spec, m)
	return v, err
}

// metricSE is metric and its standard error (Damage.MetricSE).
func metricSE(spec task.Spec, m *task.Meter) (v, se float64, err error) {
	if m.N() == 0 {
		return 0, 0, fmt.Errorf("rnn: no %s on %s: the held-out set has no scored steps (no sequences, or all within the burn-in)", MetricName(spec), spec.Name)
	}
	switch spec.Kind {
	case task.ClassifyLast:
		return m.Accuracy(), m.AccuracySE(), nil
	case task.ClassifyEach:
		return m.Bits(), m.BitsSE(), nil
	}
	return m.MemoryCapacity(), m.MemoryCapacitySE(), nil
}

// SweepConfig sets up a rank sweep of one model.
type SweepConfig struct {
	// Ranks to try; ranks ≥ Hidden are skipped, and Full is the dense
	// model (the uncompressed model always comes first).
	Ranks  Ranks
	Method Method
	Joint  bool
	// Precisions of the recurrent weights (f32 when empty), each tried at
	// every rank; below f32 also on the dense model, and only at the ranks
	// below n/2: a truncation to n/2 or more reads at least the bytes of the
	// dense model in the same precision, and keeps less of it.
	Precisions []Precision
	// NoDense leaves out the quantized dense models (a second method's
	// sweep of the same model needs them once).
	NoDense bool
	// Eval is the held-out data the metric is computed on (a prefix of the
	// task's held-out set keeps a sweep fast), Probe the batch the hidden
	// state error is measured and predicted on, Calib the batches whitening
	// is calibrated on (training data).
	Eval  []*task.Batch
	Probe *task.Batch
	Calib []*task.Batch
	// Calibration, if set, is Calibrate(m, Calib) already computed, so that
	// sweeps of one model by several methods calibrate once.
	Calibration *Calibration
}

// Sweep compresses m to each rank and returns the damage, the uncompressed
// model first (Rank Full).
func Sweep(m *Model, spec task.Spec, sc SweepConfig) ([]Damage, error) {
	if len(sc.Eval) == 0 {
		return nil, fmt.Errorf("rnn: sweep: no evaluation data for %s", spec.Name)
	}
	if cfg := ConfigFor(spec, m.Cell, m.Hidden); cfg != m.Config {
		return nil, fmt.Errorf("rnn: sweep: model %+v does not fit task %s (%+v)", m.Config, spec.Name, cfg)
	}
	base, baseSE, err := metricSE(spec, engineOf(m).evaluate(spec, sc.Eval))
	if err != nil {
		return nil, err
	}
	return sweep(m, sc, spec, base, baseSE)
}

// sweep is Sweep with the uncompressed model's metric on sc.Eval, and its
// standard error, already computed.
func sweep(m *Model, sc SweepConfig, spec task.Spec, base, baseSE float64) ([]Damage, error) {
	p := m.RecurrentParams()
	rows := []Damage{{Rank: Full, Precision: F32, Params: p, Bytes: m.RecurrentBytes(), MulAdds: p,
		Metric: base, MetricSE: baseSE, MetricRel: 1}}
	cal := sc.Calibration
	if cal == nil {
		var err error
		if cal, err = Calibrate(m, sc.Calib); err != nil {
			return nil, err
		}
	}
	precisions := sc.Precisions
	if len(precisions) == 0 || m.Cell.Gated() {
		precisions = []Precision{F32} // the GRU and LSTM steps are float32 only
	}
	run, err := runOf(nil, m, sc.Probe) // shared by every row
	if err != nil {
		return nil, err
	}
	ranks := Ranks{Full} // the dense model (again, quantized) first, once
	for _, r := range sc.Ranks {
		if r != Full {
			ranks = append(ranks, r)
		}
	}
	factors := new(factorCache) // one SVD per matrix for every rank and precision
	for _, pr := range precisions {
		for _, r := range ranks {
			cs := CompressSpec{Ranks: [2]int{int(r), int(r)}, Method: sc.Method, Joint: sc.Joint, Calibration: cal, Precision: pr, factors: factors}
			switch {
			case r == Full && pr != F32 && !sc.NoDense: // the dense model, quantized
				cs.Method, cs.Joint, cs.Calibration = "", false, nil
			case !r.Truncates(m.Hidden):
				continue // the float32 dense model is the first row
			case pr != F32 && 2*int(r) >= m.Hidden:
				continue // more bytes than the dense model in pr: dominated by it
			}
			c, err := Compress(m, cs)
			if err != nil {
				return nil, err
			}
			d, err := assess(m, c, spec, sc.Eval, sc.Probe, cal, base, run)
			if err != nil {
				return nil, err
			}
			rows = append(rows, d)
		}
	}
	return rows, nil
}

// calibErr is Damage.CalibErr.
func calibErr(m, c *Model, cal *Calibration) float64 {
	if m.Cell.Gated() {
		return gatedCalibErr(m, c, cal)
	}
	var num, den float64
	for g := 0; g < m.Cell.gates(); g++ {
		u, uc := toDense(m.U[g]), toDense(c.U[g])
		var d mat.Dense
		d.Sub(u, uc)
		num += quadTrace(&d, cal.C[g])
		den += quadTrace(u, cal.C[g])
	}
	return errRatio(num, den)
}

// quadTrace is tr(A C Aᵀ).
func quadTrace(a *mat.Dense, c *mat.SymDense) float64 {
	var ac, p mat.Dense
	ac.Mul(a, c)
	p.Mul(&ac, a.T())
	return mat.Trace(&p)
}

// MetricOf returns the task metric of m on held-out batches, run on the
// kernels; no scored steps is an error.
func MetricOf(m *Model, spec task.Spec, eval []*task.Batch) (float64, error) {
	return metric(spec, engineOf(m).evaluate(spec, eval))
}

// Assess measures what the compressed c costs against the original m: the
// metric on eval (run on the low-rank kernels, as deployed) against base,
// the original's; the hidden-state and output errors on probe, measured by
// running both models and predicted by the first-order and tangent models
// from m's run alone; and the error of the recurrent products on the
// calibration moments cal.
func Assess(m *Model, c *Compressed, spec task.Spec, eval []*task.Batch, probe *task.Batch, cal *Calibration, base float64) (Damage, error) {
	return assess(m, c, spec, eval, probe, cal, base, nil)
}

// assess is Assess on m's run over probe (nil: run it).
func assess(m *Model, c *Compressed, spec task.Spec, eval []*task.Batch, probe *task.Batch, cal *Calibration, base float64, run *baseRun) (Damage, error) {
	run, err := runOf(run, m, probe)
	if err != nil {
		return Damage{}, err
	}
	d := Damage{Rank: Rank(c.Ranks[0]), Method: c.Spec.Method, Joint: c.Spec.Joint, Precision: c.Precision(),
		Params: c.RecurrentParams(), Bytes: c.RecurrentBytes(), CalibErr: calibErr(m, c.Model, cal)}
	d.MulAdds = d.Params // one multiply-add per weight, the shared factor of a joint pair once
	switch {
	case m.Cell.Gated():
		d.MulAdds = c.gatedMulAdds()
	case c.Spec.Joint:
		d.MulAdds = c.Ranks[0] * 4 * m.Hidden // …but V·h is computed for each gate
	}
	if d.Metric, d.MetricSE, err = metricSE(spec, c.engine().evaluate(spec, eval)); err != nil {
		return d, err
	}
	d.MetricRel = relative(d.Metric, base)
	measured, err := measureDeployed(m, c, probe, run)
	if err != nil {
		return d, err
	}
	predicted, tangent, err := predictCompressed(m, c.Model, run)
	if err != nil {
		return d, err
	}
	d.RelErr, d.Predicted, d.Tangent = measured.RelErr(), predicted.RelErr(), tangent.RelErr()
	d.OutRelErr, d.OutPredicted, d.OutTangent = measured.OutRelErr(), predicted.OutRelErr(), tangent.OutRelErr()
	return d, nil
}

// predictCompressed runs the first-order perturbation model and the
// tangent model of run's model against its compression cm.
func predictCompressed(m, cm *Model, run *baseRun) (predicted, tangent *ErrorCurve, err error) {
	if m.Cell.Gated() {
		dW, err := gatedDeltas(m, cm)
		if err != nil {
			return nil, nil, err
		}
		dw, err := gatedDeltaRows(m, dW)
		if err != nil {
			return nil, nil, err
		}
		if predicted, err = run.predictGated(dw, false); err != nil {
			return nil, nil, err
		}
		tangent, err = run.predictGated(dw, true)
		return predicted, tangent, err
	}
	du, err := DeltaU(m, cm)
	if err != nil {
		return nil, nil, err
	}
	if predicted, err = predict(m, du, run.b, "Predict", "PredictGated", false, run); err != nil {
		return nil, nil, err
	}
	tangent, err = predict(m, du, run.b, "PredictTangent", "PredictGatedTangent", true, run)
	return predicted, tangent, err
}

// A Testbed is a trained model with what judging its compressions needs,
// computed once and shared by every rank and method: its task (from the
// file's metadata), the held-out batches the metric is computed on, the
// probe batch of the state errors, the calibration moments (whitening and
// CalibErr) and the uncompressed model's metric with its standard error
// (Damage.MetricSE).
type Testbed struct {
	Model        *Model
	Meta         map[string]string
	Spec         task.Spec
	Eval         []*task.Batch
	Probe        *task.Batch
	Calibration  *Calibration
	Base, BaseSE float64
}

// LoadTestbed loads a model file and sets up its testbed on the task's
// whole held-out set: for recall, nEval sequences generated from the
// model's held-out seed (at least 32, the probe); for MNIST and the
// corpora, their fixed held-out sets (the 10,000 test images; every
// window of the held-out text), whose leading part is no fair sample of
// the rest. dataDir is the task data folder ("" for the default, see
// task.DataEnv).
func LoadTestbed(path string, nEval int, dataDir string) (*Testbed, error) {
	m, meta, err := Load(path)
	if err != nil {
		return nil, err
	}
	ds, err := TaskOf(meta, m, max(nEval, 32), dataDir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	tb := &Testbed{Model: m, Meta: meta, Spec: ds.Spec(), Eval: ds.Eval(256), Probe: ds.Eval(32)[0]}
	if tb.Calibration, err = Calibrate(m, CalibrationBatches(ds)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if tb.Base, tb.BaseSE, err = metricSE(tb.Spec, engineOf(m).evaluate(tb.Spec, tb.Eval)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tb, nil
}

// Assess returns what the compressed c costs against the testbed's model.
func (tb *Testbed) Assess(c *Compressed) (Damage, error) {
	return Assess(tb.Model, c, tb.Spec, tb.Eval, tb.Probe, tb.Calibration, tb.Base)
}

// Sweep compresses the model to each rank by each method, in each
// precision: the uncompressed model first (once), then each method's ranks
// below n (and, below f32, the dense model).
func (tb *Testbed) Sweep(ranks Ranks, methods []Method, precisions []Precision) ([]Damage, error) {
	var all []Damage
	for i, method := range methods {
		// A GRU's or LSTM's gates are truncated jointly: the form the fused
		// kernel streams in one pass, and the one its step times are of.
		d, err := sweep(tb.Model, SweepConfig{Ranks: ranks, Method: method, Eval: tb.Eval, Probe: tb.Probe,
			Calibration: tb.Calibration, Joint: tb.Model.Cell.Gated(), Precisions: precisions, NoDense: i > 0},
			tb.Spec, tb.Base, tb.BaseSE)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			d = d[1:] // the uncompressed model once
		}
		all = append(all, d...)
	}
	return all, nil
}
