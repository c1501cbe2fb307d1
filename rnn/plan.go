package rnn

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/lowrank-rnn/lowrank/rnn/task"
)

// Planning: choosing the ranks of a model's recurrent matrices from
// unlabeled input, within a target, as a device would on the fly.
//
// A Planner is fed input frames, one at a time, and keeps no sequence.
// It works in phases, each over frames of its own:
//
//  1. Moments: the inputs' second moments, as Calibrate computes them (a
//     Calibrator), for the whitened truncation. At the end of the phase,
//     the SVD of each truncatable matrix (U; U_f, U_h and the joint
//     [U_f; U_h]), whitened by the moments.
//  2. Probe: the first-order model of perturb.go, propagated beside the
//     model for every block of discarded singular components at once. A
//     truncation's first-order error is the sum of its discarded
//     components' responses, so the Gram matrix of the responses over the
//     scored steps gives the first-order damage of every rank of every
//     matrix, and of every pair of ranks of the MGRU, with the errors'
//     compounding over time and their correlations between matrices: the
//     number Predict gives on the same input.
//  3. Check: the first-order model overestimates large errors, which
//     saturating units bound, most of all in strongly recurrent networks,
//     and it is least faithful where a model's memory collapses between
//     two ranks. So the planner runs truncations spread along the
//     first-order frontier on the low-rank kernels beside the dense model,
//     then, in the second half of the phase, more of them between the
//     checks whose measured and first-order damage disagree most, and fits
//     a non-decreasing map from first-order to measured damage.
//
// Plan then searches every configuration exhaustively, O(n²) for the MGRU:
// the pair of ranks (r_f, r_h), or one joint rank, of least cost whose
// corrected damage meets a maximum, or of least damage within a budget.
// No phase reads a label, a target or anything but the frames: Step takes
// the inputs alone.
//
// A plan chooses a rank per matrix; the precision of each matrix's weights
// will be a second choice beside it, priced in bytes and checked alike.

// DamageMeasure is what a plan's damage is measured in. All are label-free.
type DamageMeasure string

const (
	// StateError is the relative state error √(Σ‖h' − h‖² / Σ‖h‖²) over
	// the scored steps, h' the compressed model's state: Damage.RelErr.
	StateError DamageMeasure = "state"
	// OutputError is the same for the readout y = R h + c: Damage.OutRelErr.
	OutputError DamageMeasure = "output"
	// MetricLoss is the predicted relative loss of the task metric, from
	// the uncompressed model's own outputs. For classification it assumes
	// the model is calibrated (its softmax is the distribution of the
	// labels): the relative growth of the cross-entropy,
	// Σ KL(p‖q) / Σ H(p) (ClassifyEach), and the relative drop of the
	// expected accuracy, Σ (p_c − p_c') / Σ p_c with c, c' the two models'
	// decisions (ClassifyLast). For regression it assumes targets of equal
	// variance and residuals uncorrelated with the error, as for delayed
	// recall: the loss of Σ R² is Σ‖y' − y‖² / Σ_k Var(y_k).
	MetricLoss DamageMeasure = "loss"
)

// ParseMeasure parses a measure's name.
func ParseMeasure(s string) (DamageMeasure, error) {
	switch m := DamageMeasure(strings.TrimSpace(s)); m {
	case StateError, OutputError, MetricLoss:
		return m, nil
	}
	return "", fmt.Errorf("unknown measure %q (want %s, %s or %s)", s, StateError, OutputError, MetricLoss)
}

// fromEnergy converts an error energy (a squared relative error, or a
// loss) to the measure's value.
func (m DamageMeasure) fromEnergy(e float64) float64 {
	if m == MetricLoss {
		return e
	}
	return math.Sqrt(e)
}

func (m DamageMeasure) toEnergy(v float64) float64 {
	if m == MetricLoss {
		return v
	}
	return v * v
}

// Cost is what a plan spends.
type Cost string

const (
	// Bytes of recurrent weights, 4 a weight (float32).
	Bytes Cost = "bytes"
	// MulAdds of the recurrent products in one step.
	MulAdds Cost = "mul-adds"
	// StepTime is the time of one step of the model on this CPU, in
	// seconds, by a StepTiming.
	StepTime Cost = "time"
)

// PlanConfig configures a Planner. The zero value plans whitened
// truncations for the relative state error with the default frame counts.
type PlanConfig struct {
	// Method is Whitened (default) or SVD.
	Method Method
	// Measure is the damage the target bounds (default StateError).
	Measure DamageMeasure
	// NoJoint leaves the MGRU's joint truncation out, which saves a third
	// of the probe's work.
	NoJoint bool
	// Frames of each phase: MomentFrames (default 16384: a coherent input
	// needs that many to whiten as well as 25 000 frames do), ProbeFrames
	// (2048) and CheckFrames (12288, or 32768 for a model scored once a
	// sequence, ClassifyLast, whose loss is measured by decisions that
	// flip: about 1000 sequences of 28 frames). A phase ends at its count
	// or, once the stream has ended a sequence with Reset, at the end of
	// the sequence in progress, so that every phase sees whole sequences.
	MomentFrames, ProbeFrames, CheckFrames int
	// Checks is the number of truncations the check phase runs from its
	// start (default 12); its second half adds up to Checks/2 more where
	// the first half found the first-order model least faithful. NoCheck
	// skips the phase and plans by the first-order model alone.
	Checks  int
	NoCheck bool
}

// The defaults of PlanConfig.
const (
	DefaultMomentFrames = 16384
	DefaultProbeFrames  = 2048
	DefaultCheckFrames  = 12288
	// DefaultCheckFramesLast is the check phase's default for ClassifyLast.
	DefaultCheckFramesLast = 32768
	DefaultChecks          = 12
)

func (c PlanConfig) withDefaults(o Objective) (PlanConfig, error) {
	if c.Method == "" {
		c.Method = Whitened
	}
	if c.Measure == "" {
		c.Measure = StateError
	}
	def := func(v *int, d int, name string) error {
		switch {
		case *v == 0:
			*v = d
		case *v < 0:
			return fmt.Errorf("rnn: plan: %s = %d: want a positive count (0 for the default, %d)", name, *v, d)
		}
		return nil
	}
	check := DefaultCheckFrames
	if o == ClassifyLast {
		check = DefaultCheckFramesLast
	}
	err := errors.Join(def(&c.MomentFrames, DefaultMomentFrames, "MomentFrames"),
		def(&c.ProbeFrames, DefaultProbeFrames, "ProbeFrames"),
		def(&c.CheckFrames, check, "CheckFrames"),
		def(&c.Checks, DefaultChecks, "Checks"))
	if err != nil {
		return c, err
	}
	if c.Method != SVD && c.Method != Whitened {
		return c, fmt.Errorf("rnn: plan: unknown method %q (want %s or %s)", c.Method, SVD, Whitened)
	}
	if _, err := ParseMeasure(string(c.Measure)); err != nil {
		return c, fmt.Errorf("rnn: plan: %w", err)
	}
	return c, nil
}

// Target is what a plan must meet: a maximum damage, or a budget.
type Target struct {
	// MaxError, if not 0, is the largest damage allowed, in the planner's
	// measure (0.05: a relative error of 5%, or a loss of 5%); the plan is
	// the configuration of least Cost that meets it.
	MaxError float64
	// Budget, if not 0, is the most Cost a plan may spend: bytes,
	// multiply-adds, or seconds per step; the plan is the configuration of
	// least damage within it.
	Budget float64
	// Cost is what MaxError minimises or Budget bounds (default Bytes).
	Cost Cost
	// Timing is the step-time model a StepTime cost needs.
	Timing *StepTiming
	// Greedy plans by the baseline allocation instead of the exhaustive
	// search: ranks grow one at a time, each step to the matrix whose next
	// component holds the largest share of its injected energy (σ_i² when
	// whitened), blind to how errors compound over time and across
	// matrices, and never jointly. It is there to be compared with.
	Greedy bool
}

// Plan is the choice of ranks a Planner makes for a target.
type Plan struct {
	Cell    Cell
	Hidden  int
	Method  Method
	Measure DamageMeasure
	// Dense: no truncation meets the target for less than the dense
	// matrices cost; keep the model as it is.
	Dense bool
	// Joint: the MGRU's [U_f; U_h] truncated as one matrix (Ranks equal).
	Joint bool
	// Ranks per recurrent matrix (RNN: Ranks[0]; MGRU: U_f, U_h).
	Ranks [2]int
	// The plan's recurrent weights, their bytes (float32), the recurrent
	// multiply-adds of a step and, with a timing model, the time of a step.
	Params, Bytes, MulAdds int
	StepTime               time.Duration
	// Error is the predicted damage in Measure: the first-order damage
	// FirstOrder, corrected by the check phase's measurements.
	Error, FirstOrder float64
	// Calibration holds the moments the truncation is whitened by: Spec
	// passes it to Compress, which then truncates exactly as planned.
	Calibration *Calibration
}

// Spec returns the CompressSpec that compresses the model as planned. A
// Dense plan has none.
func (p *Plan) Spec() (CompressSpec, error) {
	if p.Dense {
		return CompressSpec{}, errors.New("rnn: the plan keeps the model dense: no truncation meets the target for less")
	}
	return CompressSpec{Ranks: p.Ranks, Joint: p.Joint, Method: p.Method, Calibration: p.Calibration}, nil
}

// String summarises the plan on one line.
func (p *Plan) String() string {
	if p.Dense {
		return fmt.Sprintf("dense (no truncation meets the target for less), %d bytes", p.Bytes)
	}
	ranks := fmt.Sprint(p.Ranks[0])
	switch {
	case p.Joint:
		ranks = fmt.Sprintf("joint %d", p.Ranks[0])
	case p.Cell == MGRU:
		ranks = fmt.Sprintf("%d,%d", p.Ranks[0], p.Ranks[1])
	}
	s := fmt.Sprintf("ranks %s (%s), %d bytes, %d multiply-adds", ranks, p.Method, p.Bytes, p.MulAdds)
	if p.StepTime > 0 {
		s += fmt.Sprintf(", %v a step", p.StepTime)
	}
	return s + fmt.Sprintf(", predicted %s %.4g (first order %.4g)", p.Measure, p.Error, p.FirstOrder)
}

type planPhase int

const (
	phaseMoments planPhase = iota
	phaseProbe
	phaseCheck
	phaseRefine
	phaseDone
)

func (ph planPhase) String() string {
	return [...]string{"moments", "probe", "check", "refine", "done"}[ph]
}

// Planner chooses ranks from unlabeled input frames (see the comment at
// the top of plan.go). Step and Reset allocate nothing except at the end
// of a phase, where the SVDs (after the moments) and the checked
// truncations (after the probe) are computed. A Planner is not safe for
// concurrent use.
type Planner struct {
	m       *Model
	cfg     PlanConfig
	phase   planPhase
	frames  int // frames of the phase in progress
	bounded bool
	err     error

	cal    *Calibrator
	calib  *Calibration
	ts     []*truncation
	pr     *probe
	fo     *firstOrder
	ck     *checker
	checks []PlanCheck
	// corr maps the first-order damage to the checked one, for the
	// separate truncations and the joint one: their errors saturate
	// differently.
	corr [2]correction
}

// NewPlanner returns a planner for m, which it copies.
func NewPlanner(m *Model, cfg PlanConfig) (*Planner, error) {
	if err := m.Config.validate(); err != nil {
		return nil, err
	}
	if m.Cell.Gated() {
		return nil, fmt.Errorf("rnn: plan: a %s model: the planner is for the RNN and the MGRU; compress a %s with ranks or an energy fraction", m.Cell, m.Cell)
	}
	cfg, err := cfg.withDefaults(m.Objective)
	if err != nil {
		return nil, err
	}
	if err := checkFinite(m); err != nil {
		return nil, err
	}
	p := &Planner{m: m.Clone(), cfg: cfg}
	if p.cal, err = NewCalibrator(p.m); err != nil {
		return nil, err
	}
	return p, nil
}

// Step feeds one input frame x (len In) to the phase in progress. Once
// the planner is done, frames are ignored.
func (p *Planner) Step(x []float32) {
	if len(x) != p.m.In {
		panic(fmt.Sprintf("rnn: Planner.Step: len(x) = %d, want %d", len(x), p.m.In))
	}
	switch p.phase {
	case phaseMoments:
		p.cal.Step(x)
	case phaseProbe:
		p.pr.step(x)
	case phaseCheck, phaseRefine:
		p.ck.step(x)
	default:
		return
	}
	if p.frames++; !p.bounded && p.frames >= p.need() {
		p.next()
	}
}

// Reset ends a sequence: the next frame starts a new one from a zero
// state. A model scored at the last step (ClassifyLast) is scored here.
func (p *Planner) Reset() {
	switch p.phase {
	case phaseMoments:
		p.cal.Reset()
	case phaseProbe:
		p.pr.reset()
	case phaseCheck, phaseRefine:
		p.ck.reset()
	default:
		return
	}
	p.bounded = true
	if p.frames >= p.need() {
		p.next()
	}
}

// StepBatch feeds the sequences of b one after another, each followed by
// Reset. It reads b's inputs alone: its targets and labels may be absent.
func (p *Planner) StepBatch(b *task.Batch) error {
	in := p.m.In
	if b == nil || b.T < 1 || b.B < 1 || b.In != in || len(b.X) != b.T*b.B*in {
		var got string
		if b != nil {
			got = fmt.Sprintf(" (T=%d, B=%d, In=%d, %d inputs)", b.T, b.B, b.In, len(b.X))
		}
		return fmt.Errorf("rnn: plan: a batch must hold T·B frames of the model's %d inputs%s", in, got)
	}
	for s := 0; s < b.B; s++ {
		for t := 0; t < b.T; t++ {
			p.Step(b.X[(t*b.B+s)*in : (t*b.B+s+1)*in])
		}
		p.Reset()
	}
	return nil
}

// Done reports whether the planner has seen every phase's frames (or
// stopped at an error, which Plan returns).
func (p *Planner) Done() bool { return p.phase == phaseDone }

// Progress returns the phase in progress and the frames it has seen and
// needs.
func (p *Planner) Progress() (phase string, frames, need int) {
	return p.phase.String(), p.frames, p.need()
}

func (p *Planner) need() int {
	switch p.phase {
	case phaseMoments:
		return p.cfg.MomentFrames
	case phaseProbe:
		return p.cfg.ProbeFrames
	case phaseCheck:
		return p.cfg.CheckFrames / 2
	case phaseRefine:
		return p.cfg.CheckFrames - p.cfg.CheckFrames/2
	}
	return 0
}

// next ends the phase in progress. The next phase starts from the state
// the stream is in (zero at a sequence boundary).
func (p *Planner) next() {
	p.frames = 0
	switch p.phase {
	case phaseMoments:
		p.phase = phaseProbe
		if p.calib, p.err = p.cal.Calibration(); p.err != nil {
			break
		}
		if p.ts, p.err = truncations(p.m, p.calib, p.cfg.Method, p.cfg.NoJoint); p.err != nil {
			break
		}
		p.pr = newProbe(p.m, p.ts, p.cfg.Measure)
		copy(p.pr.h, p.cal.dense.h)
		p.pr.t = p.cal.t
	case phaseProbe:
		p.phase = phaseCheck
		p.fo = p.pr.result()
		if p.fo.scored == 0 {
			p.err = p.noScored("probe")
			break
		}
		if p.cfg.NoCheck {
			p.phase = phaseDone
			break
		}
		p.ck = newChecker(p.m, p.ts, p.checkConfigs(), p.pr.h, p.pr.t)
		p.pr = nil // the responses are not needed any more
	case phaseCheck:
		p.phase = phaseRefine
		if p.ck.scored() == 0 {
			p.err = p.noScored("check")
			break
		}
		p.ck.nextRound(p.refineConfigs(p.ck.results(p.m.Cell, p.fo, p.cfg.Measure)))
	case phaseRefine:
		p.phase = phaseDone
		p.checks = p.ck.results(p.m.Cell, p.fo, p.cfg.Measure)
		for fam := range p.corr {
			var first, measured []float64
			for i, c := range p.checks {
				if c.Joint == (fam == 1) {
					first = append(first, p.fo.energy(p.ck.cands[i].cfg))
					measured = append(measured, p.cfg.Measure.toEnergy(c.value(p.cfg.Measure)))
				}
			}
			p.corr[fam] = newCorrection(first, measured)
		}
		p.ck = nil // the candidates' weights are not needed any more
	}
	if p.err != nil {
		p.phase = phaseDone
	}
}

// checkConfigs returns the truncations the check phase runs: Checks points
// spread along the first-order frontier of bytes against damage, a third
// of them on the joint truncation's when there is one.
func (p *Planner) checkConfigs() []config {
	cell, n, k := p.m.Cell, p.m.Hidden, p.cfg.Checks
	cost := p.cost(Bytes, nil)
	var cfgs []config
	add := func(joint bool, k int) {
		for _, f := range spread(frontier(cell, n, joint, p.fo, cost), k, p.cfg.Measure.toEnergy(minCheckDamage), maxCheckEnergy) {
			cfgs = append(cfgs, f.c)
		}
	}
	if p.hasJoint() {
		add(true, k/3)
		k -= k / 3
	}
	add(false, k)
	return cfgs
}

// refineConfigs returns the truncations the second round of checks adds:
// for the Checks/2 pairs of neighbouring checks of a family whose ratio of
// measured to first-order damage differs most, the frontier point halfway
// between them in first-order damage. The first-order model is least
// faithful where that ratio changes fast (a rank at which the model's
// memory collapses), and there a point between two checks is worth
// measuring rather than interpolating.
func (p *Planner) refineConfigs(checks []PlanCheck) []config {
	type gap struct {
		score float64
		c     config
	}
	var gaps []gap
	cost := p.cost(Bytes, nil)
	for _, joint := range []bool{false, true} {
		if joint && !p.hasJoint() {
			continue
		}
		type pt struct{ e, m float64 }
		var pts []pt
		for i, c := range checks {
			if c.Joint == joint {
				pts = append(pts, pt{p.fo.energy(p.ck.cands[i].cfg), p.cfg.Measure.toEnergy(c.value(p.cfg.Measure))})
			}
		}
		slices.SortFunc(pts, func(a, b pt) int { return cmp.Compare(a.e, b.e) })
		front := frontier(p.m.Cell, p.m.Hidden, joint, p.fo, cost)
		for i := 1; i < len(pts); i++ {
			a, b := pts[i-1], pts[i]
			if !(a.e > 0) || a.m >= 1 && b.m >= 1 || a.m == 0 && b.m == 0 {
				continue // nothing to learn: no damage, or ruin on both sides
			}
			score := math.Log(b.e / a.e) // a side below resolution: the width
			if a.m > 0 && b.m > 0 {
				score = math.Abs(math.Log(b.m/b.e) - math.Log(a.m/a.e))
			}
			mid := math.Sqrt(a.e * b.e)
			best, dist := config{}, math.Inf(1)
			for _, f := range front {
				if d := math.Abs(math.Log(f.energy / mid)); f.energy > a.e && f.energy < b.e && d < dist && !p.ck.has(f.c) {
					best, dist = f.c, d
				}
			}
			if !math.IsInf(dist, 1) {
				gaps = append(gaps, gap{score, best})
			}
		}
	}
	slices.SortStableFunc(gaps, func(a, b gap) int { return cmp.Compare(b.score, a.score) })
	var cfgs []config
	for _, g := range gaps[:min(len(gaps), p.cfg.Checks/2)] {
		cfgs = append(cfgs, g.c)
	}
	return cfgs
}

// The first-order damage of the truncations worth checking: beyond
// maxCheckEnergy (in energy units) a truncation ruins the model, even
// allowing for the first-order model's overestimate of large errors; below
// minCheckDamage (in the measure's units: a 0.1% error or loss) no target
// looks.
const (
	maxCheckEnergy = 10
	minCheckDamage = 1e-3
)

func (p *Planner) hasJoint() bool { return p.ts[len(p.ts)-1].joint }

// corrected returns the corrected damage of c, in energy units.
func (p *Planner) corrected(c config) float64 {
	fam := 0
	if c.joint {
		fam = 1
	}
	return p.corr[fam].at(p.fo.energy(c))
}

func (p *Planner) noScored(phase string) error {
	if p.m.Objective == ClassifyLast {
		return fmt.Errorf("rnn: plan: no scored step in the %s phase: a %s model is scored at the end of each sequence; call Reset after the last frame of each", phase, ClassifyLast)
	}
	return fmt.Errorf("rnn: plan: no scored step in the %s phase: its sequences are not longer than the burn-in of %d steps", phase, p.m.Burn)
}

// value returns the check's measured value in measure m.
func (c PlanCheck) value(m DamageMeasure) float64 {
	switch m {
	case StateError:
		return c.State
	case OutputError:
		return c.Output
	}
	return c.Loss
}

// Checks returns the truncations the check phase ran and what they
// measured.
func (p *Planner) Checks() []PlanCheck { return append([]PlanCheck(nil), p.checks...) }

// Calibration returns the moments of the first phase (nil before its end).
func (p *Planner) Calibration() *Calibration { return p.calib }

// cost returns the cost function of kind (timing for StepTime), in the
// target's units, over configurations.
func (p *Planner) cost(kind Cost, timing *StepTiming) func(config) float64 {
	cell, n := p.m.Cell, p.m.Hidden
	switch kind {
	case MulAdds:
		return func(c config) float64 { return float64(c.mulAdds(cell, n)) }
	case StepTime:
		return func(c config) float64 {
			if c.dense {
				return timing.Dense.Seconds()
			}
			return timing.LowRank(c.mulAdds(cell, n)).Seconds()
		}
	}
	return func(c config) float64 { return float64(4 * c.params(cell, n)) }
}

// Plan returns the configuration that meets the target: of least cost
// within MaxError, or of least damage within Budget. When no truncation
// meets MaxError for less than the dense matrices, or the budget admits
// the dense model, the plan is Dense. Plan can be called for any number
// of targets once the planner is done.
func (p *Planner) Plan(t Target) (*Plan, error) {
	if p.err != nil {
		return nil, p.err
	}
	if p.phase != phaseDone {
		return nil, fmt.Errorf("rnn: plan: the planner is in its %s phase, %d of %d frames seen: feed it more frames until Done", p.phase, p.frames, p.need())
	}
	if err := p.checkTarget(&t); err != nil {
		return nil, err
	}
	cell, n := p.m.Cell, p.m.Hidden
	cost := p.cost(t.Cost, t.Timing)
	dense := config{dense: true}
	var best config
	bestCost, bestErr := math.Inf(1), math.Inf(1)
	each := func(f func(config)) {
		if t.Greedy {
			for _, c := range p.greedyPath(cost) {
				f(c)
			}
			return
		}
		configs(cell, n, false, cost, f)
		if p.hasJoint() {
			configs(cell, n, true, cost, f)
		}
	}
	if t.MaxError > 0 {
		limit := p.cfg.Measure.toEnergy(t.MaxError)
		each(func(c config) {
			e := p.corrected(c)
			if k := cost(c); e <= limit && (k < bestCost || k == bestCost && e < bestErr) {
				best, bestCost, bestErr = c, k, e
			}
		})
		if math.IsInf(bestCost, 1) {
			best = dense
		}
	} else {
		if cost(dense) <= t.Budget {
			best = dense
		} else {
			each(func(c config) {
				e := p.corrected(c)
				if k := cost(c); k <= t.Budget && (e < bestErr || e == bestErr && k < bestCost) {
					best, bestCost, bestErr = c, k, e
				}
			})
			if math.IsInf(bestErr, 1) {
				return nil, fmt.Errorf("rnn: plan: a budget of %g %s is below the cheapest truncation, rank 1: %g %s", t.Budget, t.Cost, cost(config{ranks: [2]int{1, 1}}), t.Cost)
			}
		}
	}
	return p.planOf(best, t.Timing), nil
}

// greedyPath returns the baseline's configurations cheaper than the dense
// model, in the order it grows them: from rank 1, one rank at a time to the
// matrix whose next component has the largest share of the matrix's
// injected energy.
func (p *Planner) greedyPath(cost func(config) float64) []config {
	cell, n := p.m.Cell, p.m.Hidden
	dense := cost(config{dense: true})
	var share [2][]float64
	for g := 0; g < cell.gates(); g++ {
		var sum float64
		for _, e := range p.ts[g].eps {
			sum += e
		}
		share[g] = make([]float64, n)
		for i, e := range p.ts[g].eps {
			if sum > 0 {
				share[g][i] = e / sum
			}
		}
	}
	c := config{ranks: [2]int{1, 1}}
	if cell == RNN {
		c.ranks[1] = 0
	}
	var path []config
	for cost(c) < dense {
		path = append(path, c)
		g := 0
		if cell == MGRU && (c.ranks[0] >= n-1 || c.ranks[1] < n-1 && share[1][c.ranks[1]] > share[0][c.ranks[0]]) {
			g = 1
		}
		if c.ranks[g] >= n-1 {
			break
		}
		c.ranks[g]++
	}
	return path
}

// checkTarget validates t and fills in its default cost.
func (p *Planner) checkTarget(t *Target) error {
	if t.Cost == "" {
		t.Cost = Bytes
	}
	switch {
	case t.Cost != Bytes && t.Cost != MulAdds && t.Cost != StepTime:
		return fmt.Errorf("rnn: plan: unknown cost %q (want %s, %s or %s)", t.Cost, Bytes, MulAdds, StepTime)
	case (t.MaxError != 0) == (t.Budget != 0):
		return errors.New("rnn: plan: a target is a maximum error or a budget: set exactly one")
	case t.MaxError != 0 && !(t.MaxError > 0 && t.MaxError < math.Inf(1)):
		return fmt.Errorf("rnn: plan: maximum error %v: want a positive number such as 0.05", t.MaxError)
	case t.Budget != 0 && !(t.Budget > 0 && t.Budget < math.Inf(1)):
		return fmt.Errorf("rnn: plan: budget %v: want a positive number of %s", t.Budget, t.Cost)
	case t.Cost == StepTime && t.Timing == nil:
		return errors.New("rnn: plan: a time budget needs the step-time model of this CPU (MeasureStepTiming)")
	case t.Timing != nil && (t.Timing.Cell != p.m.Cell || t.Timing.Hidden != p.m.Hidden):
		return fmt.Errorf("rnn: plan: the step-time model is of a %s-%d, the model a %s-%d", t.Timing.Cell, t.Timing.Hidden, p.m.Cell, p.m.Hidden)
	}
	return nil
}

// planOf returns the plan of configuration c.
func (p *Planner) planOf(c config, timing *StepTiming) *Plan {
	cell, n := p.m.Cell, p.m.Hidden
	pl := &Plan{Cell: cell, Hidden: n, Method: p.cfg.Method, Measure: p.cfg.Measure, Dense: c.dense,
		Joint: c.joint, Params: c.params(cell, n), MulAdds: c.mulAdds(cell, n), Calibration: p.calib}
	pl.Bytes = 4 * pl.Params
	if !c.dense {
		pl.Ranks = c.ranks
		if cell == RNN {
			pl.Ranks[1] = 0
		}
		e := p.fo.energy(c)
		pl.FirstOrder = p.cfg.Measure.fromEnergy(e)
		pl.Error = p.cfg.Measure.fromEnergy(p.corrected(c))
	}
	if timing != nil {
		pl.StepTime = timing.Dense
		if !c.dense {
			pl.StepTime = timing.LowRank(pl.MulAdds)
		}
	}
	return pl
}
