package rnn

import (
	"fmt"

	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// Damage is what compressing a model to one rank costs, measured and
// predicted.
type Damage struct {
	Rank      int // 0: the uncompressed model
	Method    Method
	Joint     bool
	Params    int     // recurrent weights
	MulAdds   int     // recurrent multiply-adds per step
	Metric    float64 // the task metric (see MetricName)
	MetricRel float64 // Metric over the uncompressed model's
	// RelErr is √(E‖h' − h‖² / E‖h‖²) over the scored steps of the probe
	// batch, measured by running both models; Predicted is the first-order
	// perturbation model's value from the uncompressed run alone.
	RelErr, Predicted float64
	// OutRelErr and OutPredicted are the same for the readout.
	OutRelErr, OutPredicted float64
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

// metric returns the task metric of a meter.
func metric(spec task.Spec, m *task.Meter) float64 {
	switch spec.Kind {
	case task.ClassifyLast:
		return m.Accuracy()
	case task.ClassifyEach:
		return m.Bits()
	}
	return m.MemoryCapacity()
}

// SweepConfig sets up a rank sweep of one model.
type SweepConfig struct {
	Ranks  []int // ranks to try; ranks ≥ Hidden are skipped
	Method Method
	Joint  bool
	// Eval is the held-out data the metric is computed on (a prefix of the
	// task's held-out set keeps a sweep fast), Probe the batch the hidden
	// state error is measured and predicted on, Calib the batches whitening
	// is calibrated on (training data).
	Eval  []*task.Batch
	Probe *task.Batch
	Calib []*task.Batch
}

// Sweep compresses m to each rank and returns the damage, the uncompressed
// model first (Rank 0).
func Sweep(m *Model, spec task.Spec, sc SweepConfig) ([]Damage, error) {
	n := m.Hidden
	if len(sc.Eval) == 0 {
		return nil, fmt.Errorf("rnn: sweep: no evaluation data for %s", spec.Name)
	}
	if cfg := ConfigFor(spec, m.Cell, m.Hidden); cfg != m.Config {
		return nil, fmt.Errorf("rnn: sweep: model %+v does not fit task %s (%+v)", m.Config, spec.Name, cfg)
	}
	base := metric(spec, engineOf(m).evaluate(spec, sc.Eval))
	g := m.Cell.gates()
	rows := []Damage{{Params: g * n * n, MulAdds: g * n * n, Metric: base, MetricRel: 1}}
	var cal *Calibration
	if sc.Method == Whitened {
		var err error
		if cal, err = Calibrate(m, sc.Calib); err != nil {
			return nil, err
		}
	}
	for _, r := range sc.Ranks {
		if r < 1 || r >= n {
			continue
		}
		c, err := Compress(m, CompressSpec{Ranks: [2]int{r, r}, Method: sc.Method, Joint: sc.Joint, Calibration: cal})
		if err != nil {
			return nil, err
		}
		d := Damage{Rank: r, Method: sc.Method, Joint: sc.Joint, Params: c.RecurrentParams(), MulAdds: g * r * 2 * n}
		// The compressed model runs on the low-rank kernels, as deployed.
		d.Metric = metric(spec, c.engine().evaluate(spec, sc.Eval))
		d.MetricRel = d.Metric / base
		measured, err := Measure(m, c.Model, sc.Probe)
		if err != nil {
			return nil, err
		}
		du, err := DeltaU(m, c.Model)
		if err != nil {
			return nil, err
		}
		predicted, err := Predict(m, du, sc.Probe)
		if err != nil {
			return nil, err
		}
		d.RelErr, d.Predicted = measured.RelErr(), predicted.RelErr()
		d.OutRelErr, d.OutPredicted = measured.OutRelErr(), predicted.OutRelErr()
		rows = append(rows, d)
	}
	return rows, nil
}
