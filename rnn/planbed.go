package rnn

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Planning a testbed's model: the planner reads the inputs of the task's
// held-out set, the input a deployed model serves, and never its targets
// or labels; those only judge the plan afterwards, as Assess judges any
// compression.

// Planner returns a planner of the testbed's model, fed the held-out
// inputs (the Eval batches, over again as often as the phases need) until
// it is done.
func (tb *Testbed) Planner(cfg PlanConfig) (*Planner, error) {
	if len(tb.Eval) == 0 {
		return nil, errors.New("rnn: plan: the testbed has no held-out input")
	}
	p, err := NewPlanner(tb.Model, cfg)
	if err != nil {
		return nil, err
	}
	for i := 0; !p.Done(); i++ {
		if err := p.StepBatch(tb.Eval[i%len(tb.Eval)]); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// PlanResult is a plan for a testbed's model and what it costs there.
type PlanResult struct {
	Plan *Plan
	// Compressed is the model compressed as planned, nil when the plan
	// keeps it dense.
	Compressed *Compressed
	// Damage is what the plan costs on the held-out set, measured with its
	// labels (the uncompressed model's row for a dense plan).
	Damage Damage
}

// PlanCompression plans the compression of the testbed's model for t from
// its held-out inputs alone, compresses it as planned and assesses the
// result. A time cost without a step-time model measures one (about
// 0.1 s).
func (tb *Testbed) PlanCompression(cfg PlanConfig, t Target) (*PlanResult, error) {
	if t.Cost == StepTime && t.Timing == nil {
		var err error
		if t.Timing, err = MeasureStepTiming(tb.Model); err != nil {
			return nil, err
		}
	}
	p, err := tb.Planner(cfg)
	if err != nil {
		return nil, err
	}
	pl, err := p.Plan(t)
	if err != nil {
		return nil, err
	}
	return tb.assessPlan(pl)
}

// assessPlan compresses the testbed's model as pl says and assesses it.
func (tb *Testbed) assessPlan(pl *Plan) (*PlanResult, error) {
	r := &PlanResult{Plan: pl}
	if pl.Dense {
		p := tb.Model.RecurrentParams()
		r.Damage = Damage{Rank: Full, Params: p, MulAdds: p, Metric: tb.Base, MetricRel: 1}
		return r, nil
	}
	spec, err := pl.Spec()
	if err != nil {
		return nil, err
	}
	if r.Compressed, err = Compress(tb.Model, spec); err != nil {
		return nil, err
	}
	if r.Damage, err = tb.Assess(r.Compressed); err != nil {
		return nil, err
	}
	return r, nil
}

// PlanPoint is the plan for one target and what it costs on the held-out
// set, measured with the labels.
type PlanPoint struct {
	Target Target
	Plan   *Plan
	// Metric is the compressed model's task metric, MetricSE its standard
	// error over the held-out set (Damage.MetricSE), MetricRel the metric
	// over the uncompressed model's.
	Metric, MetricSE, MetricRel float64
}

// PlanCurve returns the plans of p for each target with their metric on
// the held-out set: the data from which a maximum predicted damage is
// mapped to a loss of the metric. A configuration planned for several
// targets is evaluated once.
func (tb *Testbed) PlanCurve(p *Planner, targets []Target) ([]PlanPoint, error) {
	metrics := map[string][2]float64{}
	var out []PlanPoint
	for _, t := range targets {
		pl, err := p.Plan(t)
		if err != nil {
			return nil, err
		}
		key := fmt.Sprint(pl.Dense, pl.Joint, pl.Ranks)
		ms, ok := metrics[key]
		if !ok {
			m, se := tb.Base, tb.BaseSE
			if !pl.Dense {
				spec, err := pl.Spec()
				if err != nil {
					return nil, err
				}
				c, err := Compress(tb.Model, spec)
				if err != nil {
					return nil, err
				}
				if m, se, err = metricSE(tb.Spec, c.engine().evaluate(tb.Spec, tb.Eval)); err != nil {
					return nil, err
				}
			}
			ms = [2]float64{m, se}
			metrics[key] = ms
		}
		out = append(out, PlanPoint{Target: t, Plan: pl, Metric: ms[0], MetricSE: ms[1], MetricRel: relative(ms[0], tb.Base)})
	}
	return out, nil
}

// ParseBudget parses a budget as a command line writes it, for the model
// m: bytes of recurrent weights ("12288"), a percentage of the dense
// recurrent weights' bytes ("25%"), or a time per step ("0.5us", "800ns",
// as time.ParseDuration reads it). The target's Timing is left for the
// caller to fill in.
func ParseBudget(s string, m *Model) (Target, error) {
	s = strings.TrimSpace(s)
	dense := float64(4 * m.RecurrentParams())
	switch {
	case strings.HasSuffix(s, "%"):
		v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		if err == nil {
			err = Bounds.BudgetPercent.Check(v)
		}
		if err != nil {
			return Target{}, fmt.Errorf("budget %q: %v", s, err)
		}
		return Target{Budget: math.Floor(v / 100 * dense), Cost: Bytes}, nil
	case strings.ContainsAny(s, "smhnuµ"):
		d, err := time.ParseDuration(s)
		if err == nil {
			err = Bounds.BudgetTime.Check(d.Seconds())
		}
		if err != nil {
			return Target{}, fmt.Errorf("budget %q: %v (a time is written like 0.5us or 800ns)", s, err)
		}
		return Target{Budget: d.Seconds(), Cost: StepTime}, nil
	}
	v, err := strconv.Atoi(s)
	if err == nil {
		err = Bounds.BudgetBytes.Check(v)
	}
	if err != nil {
		return Target{}, fmt.Errorf("budget %q: %v; want bytes (12288), a percentage of the dense weights (25%%) or a time per step (0.5us)", s, err)
	}
	return Target{Budget: float64(v), Cost: Bytes}, nil
}
