package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/lowrank-rnn/lowrank/rnn"
)

// fullRank stands for "full" in a rank list: the uncompressed network.
const fullRank = 0

// memoryRow is one network (ρ, rank) of the memorization experiment.
type memoryRow struct {
	rho    float64
	rank   int // fullRank: uncompressed
	params int // recurrent weights
	res    rnn.MemoryResult
}

// linearRow is one rank of the linear network check.
type linearRow struct {
	rank, bound int
	mc, theory  float64
	curve, th   []float64
	radius      float64 // spectral radius of the (truncated) A
}

func runMemory(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("memory", "memory [flags]",
		"Memory runs the noiseless memorization experiment: a network with one\n"+
			"input is driven by a long AR(1) input u_t (coefficient ρ, unit variance,\n"+
			"no noise), and a ridge readout (float64) of u_{t−k}, k = 1..K, from the\n"+
			"state h_t is fitted on a training run and scored by R²(k) on an\n"+
			"independent test run. MC = Σ_k max(R²(k), 0) is the memory capacity.\n"+
			"For each ρ and rank the recurrent matrices are truncated (no fine-tuning)\n"+
			"and two readouts are scored: fixed, fitted on the uncompressed network's\n"+
			"states (what a deployed model does), and refit, fitted on the compressed\n"+
			"network's own states (the memory its dynamics still hold). With -model\n"+
			"(a trained model with one input, e.g. a recall model) the model's own\n"+
			"readout is scored too (the task metric); without it an untrained\n"+
			"network is used (-cell, -hidden, -net, -radius, -seed). A linear network\n"+
			"x_t = A x_{t−1} + v u_t (A from -net and -radius, white input) checks\n"+
			"the theory: MC ≤ r + 1 after a rank-r truncation of A.", stderr)
	cellFlag := fs.String("cell", "rnn", "untrained network: `cell` rnn or mgru")
	hidden := fs.Int("hidden", 128, "untrained network: state size n")
	netKind := fs.String("net", "random", "`kind` of the untrained and linear networks' recurrent matrices: random (Gaussian) or orthogonal")
	radius := fs.Float64("radius", 0.9, "spectral radius of the untrained and linear networks' recurrent matrices")
	seed := fs.Uint64("seed", 1, "seed of the untrained and linear networks")
	modelPath := fs.String("model", "", "trained model `file` with one input (default: an untrained network)")
	rhoFlag := fs.String("rho", "0,0.5,0.9,0.99", "comma-separated AR(1) `coefficients` ρ of the input, each in [0, 1)")
	ranksFlag := fs.String("ranks", "2,4,8,16,32,64,full", "comma-separated `ranks`; full is the uncompressed network; ranks ≥ n are skipped")
	K := fs.Int("K", 64, "largest delay K")
	steps := fs.Int("steps", 10000, "steps per run (a training run and a test run per network and ρ)")
	washout := fs.Int("washout", 0, "leading `steps` of each run not used (default max(K, min(500, steps/4)))")
	lambda := fs.Float64("lambda", rnn.DefaultMemoryLambda, "ridge penalty relative to the mean state variance")
	dataSeed := fs.Uint64("data-seed", 1, "seed of the inputs")
	methodFlag := fs.String("method", "svd", "truncation `method`: svd or whitened (calibrated on the training run)")
	joint := fs.Bool("joint", false, "MGRU: truncate [U_f; U_h] as one matrix (shared right factor)")
	linear := fs.Bool("linear", true, "also run the linear network check")
	csvPath := fs.String("csv", "", "also write the memory curves as CSV to `file` (one row per network, ρ, rank and delay k)")
	if status, done := parseFlags(fs, args); done {
		return status
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "lowrank memory: "+format+"\n", a...)
		return exitUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	rhos, err := parseRhos(*rhoFlag)
	if err != nil {
		return usageErr("%v", err)
	}
	ranks, err := parseMemoryRanks(*ranksFlag)
	if err != nil {
		return usageErr("%v", err)
	}
	method := rnn.Method(*methodFlag)
	if method != rnn.SVD && method != rnn.Whitened {
		return usageErr("-method %q: want svd or whitened", *methodFlag)
	}
	if *netKind != "random" && *netKind != "orthogonal" {
		return usageErr("-net %q: want random or orthogonal", *netKind)
	}
	if !(*radius > 0 && *radius < 1) {
		return usageErr("-radius %v: want a spectral radius in (0, 1) (the linear network must be stable)", *radius)
	}
	orth := *netKind == "orthogonal"
	switch { // zero values mean defaults in rnn.MemoryConfig, not here
	case *K < 1:
		return usageErr("-K %d: want a largest delay ≥ 1", *K)
	case *steps < 1:
		return usageErr("-steps %d: want a positive number of steps", *steps)
	case !(*lambda > 0):
		return usageErr("-lambda %v: want a positive ridge λ", *lambda)
	case *washout < 0:
		return usageErr("-washout %d: want 0 (the default) or at least -K", *washout)
	}

	// The network.
	var ref *rnn.Model
	var name, origin string
	if *modelPath != "" {
		m, meta, err := rnn.Load(*modelPath)
		if err != nil {
			fmt.Fprintf(stderr, "lowrank memory: %v\n", err)
			return exitFail
		}
		if m.In != 1 {
			return usageErr("%s has %d inputs; the memorization experiment drives one (train a recall model)", *modelPath, m.In)
		}
		if set["cell"] && rnn.Cell(*cellFlag) != m.Cell || set["hidden"] && *hidden != m.Hidden {
			return usageErr("-cell and -hidden describe an untrained network; %s is %s-%d", *modelPath, m.Cell, m.Hidden)
		}
		ref = m
		name = strings.TrimSuffix(filepath.Base(*modelPath), filepath.Ext(*modelPath))
		origin = fmt.Sprintf("trained model %s (%s-%d", *modelPath, m.Cell, m.Hidden)
		if t := meta["task"]; t != "" {
			origin += ", " + t
		}
		origin += ")"
	} else {
		if *hidden < 1 || *hidden > 4096 {
			return usageErr("-hidden %d: want 1 ≤ n ≤ 4096", *hidden)
		}
		m, err := rnn.RandomReservoir(rnn.Cell(*cellFlag), *hidden, *radius, orth, *seed)
		if err != nil {
			return usageErr("%v", err)
		}
		ref = m
		name = fmt.Sprintf("%s-%d-%s", m.Cell, m.Hidden, *netKind)
		origin = fmt.Sprintf("untrained %s-%d, %s recurrent matrices of spectral radius %g, seed %d", m.Cell, m.Hidden, *netKind, *radius, *seed)
	}
	if *joint && ref.Cell != rnn.MGRU {
		return usageErr("-joint truncates the MGRU's [U_f; U_h]; the network is an %s", ref.Cell)
	}
	n := ref.Hidden
	var kept []int
	for _, r := range ranks {
		if r != fullRank && r >= n {
			fmt.Fprintf(stderr, "lowrank memory: note: skipping rank %d ≥ n = %d\n", r, n)
			continue
		}
		kept = append(kept, r)
	}
	ranks = kept
	if len(ranks) == 0 {
		return usageErr("no rank of -ranks %q is below n = %d", *ranksFlag, n)
	}
	hasTask := ref.Objective == rnn.Regression && *modelPath != ""
	taskOut := 0
	if hasTask {
		taskOut = ref.Out
	}
	cfg, err := rnn.MemoryConfig{K: *K, Steps: *steps, Washout: *washout, Lambda: *lambda, Seed: *dataSeed, Task: hasTask}.Resolve(taskOut)
	if err != nil {
		return usageErr("%v", err)
	}

	var csvFile *os.File
	if *csvPath != "" {
		if csvFile, err = os.Create(*csvPath); err != nil {
			fmt.Fprintf(stderr, "lowrank memory: %v\n", err)
			return exitFail
		}
		defer csvFile.Close()
	}

	start := time.Now()
	fmt.Fprintf(stdout, "lowrank memory  %s\n", origin)
	fmt.Fprintf(stdout, "K = %d delays; %d steps per run (washout %d), training and test runs independent; ridge λ = %g × mean state variance; %s truncation",
		cfg.K, cfg.Steps, cfg.Washout, cfg.Lambda, method)
	if *joint {
		fmt.Fprint(stdout, " (joint [U_f; U_h])")
	}
	fmt.Fprint(stdout, "\n\n")

	rows, err := memoryRows(ref, rhos, ranks, cfg, method, *joint)
	if err != nil {
		fmt.Fprintf(stderr, "lowrank memory: %v\n", err)
		return exitFail
	}
	printMemoryTable(stdout, rows, hasTask)
	fmt.Fprintf(stdout, "\nMC: capacity Σ_k max(R²(k), 0), k = 1..%d. fixed: readout fitted on the uncompressed network; refit: on the compressed one.\n", cfg.K)
	if hasTask {
		fmt.Fprintf(stdout, "task: the model's own readout, output j scored as u_{t−1−j} (%d outputs).\n", ref.Out)
	}
	var base []string
	for _, rho := range rhos {
		base = append(base, fmt.Sprintf("ρ = %g: %.2f", rho, inputOnlyMC(rho, cfg.K)))
	}
	fmt.Fprintf(stdout, "Memoryless baseline (u_t alone, Σ_k ρ^{2k}): %s.\n", strings.Join(base, ", "))

	var lin []linearRow
	var linName string
	if *linear {
		linName = fmt.Sprintf("linear-%d-%s", n, *netKind)
		fmt.Fprintf(stdout, "\nLinear network x_t = A x_{t−1} + v u_t, n = %d, A %s of spectral radius %g, white input:\n\n", n, *netKind, *radius)
		lin, err = linearRows(n, *radius, orth, *seed, ranks, cfg)
		if err != nil {
			fmt.Fprintf(stderr, "lowrank memory: linear network: %v\n", err)
			return exitFail
		}
		printLinearTable(stdout, lin)
		fmt.Fprint(stdout, "\ntheory: Σ_{k=1..K} vᵀA^{kᵀ}P⁺A^k v with P = A P Aᵀ + v vᵀ. bound: r + 1 (n at full rank) on Σ_{k≥0};\n"+
			"the delays k ≥ 1 measured here hold that total less m(0) = vᵀP⁺v.\n")
	}
	fmt.Fprintf(stdout, "(%.1f s)\n", time.Since(start).Seconds())

	if csvFile != nil {
		w := csv.NewWriter(csvFile)
		w.WriteAll(memoryCSV(name, rows, hasTask, linName, lin, n)) // WriteAll flushes
		if err := w.Error(); err == nil {
			err = csvFile.Close()
		}
		if err != nil {
			fmt.Fprintf(stderr, "lowrank memory: writing %s: %v\n", *csvPath, err)
			return exitFail
		}
	}
	return exitOK
}

// memoryRows measures every (ρ, rank), the ρ values in parallel.
func memoryRows(ref *rnn.Model, rhos []float64, ranks []int, cfg rnn.MemoryConfig, method rnn.Method, joint bool) ([]memoryRow, error) {
	out := make([][]memoryRow, len(rhos))
	errs := make([]error, len(rhos))
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for i, rho := range rhos {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i], errs[i] = memoryRowsFor(ref, rho, ranks, cfg, method, joint)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var rows []memoryRow
	for _, r := range out {
		rows = append(rows, r...)
	}
	return rows, nil
}

func memoryRowsFor(ref *rnn.Model, rho float64, ranks []int, cfg rnn.MemoryConfig, method rnn.Method, joint bool) ([]memoryRow, error) {
	cfg.Rho = rho
	p, err := rnn.NewMemoryProbe(ref, cfg)
	if err != nil {
		return nil, fmt.Errorf("ρ = %g: %w", rho, err)
	}
	spec := rnn.CompressSpec{Method: method, Joint: joint}
	if method == rnn.Whitened {
		if spec.Calibration, err = p.Calibrate(ref); err != nil {
			return nil, fmt.Errorf("ρ = %g: %w", rho, err)
		}
	}
	var rows []memoryRow
	for _, r := range ranks {
		m, params := ref, denseRecurrentParams(ref)
		if r != fullRank {
			spec.Ranks = [2]int{r, r}
			c, err := rnn.Compress(ref, spec)
			if err != nil {
				return nil, fmt.Errorf("ρ = %g, rank %d: %w", rho, r, err)
			}
			m, params = c.Model, c.RecurrentParams()
		}
		res, err := p.Measure(m)
		if err != nil {
			return nil, fmt.Errorf("ρ = %g, rank %d: %w", rho, r, err)
		}
		rows = append(rows, memoryRow{rho: rho, rank: r, params: params, res: res})
	}
	return rows, nil
}

// linearRows measures and predicts the linear network's capacity for each
// rank of A (white input).
func linearRows(n int, radius float64, orth bool, seed uint64, ranks []int, cfg rnn.MemoryConfig) ([]linearRow, error) {
	rng := rand.New(rand.NewPCG(seed, 0x6c696e656172)) // "linear"
	a := rnn.RandomRecurrent(rng, n, radius, orth)
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	cfg.Rho, cfg.Task = 0, false
	rows := make([]linearRow, len(ranks))
	errs := make([]error, len(ranks))
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for i, r := range ranks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ar, bound := a, n
			if r != fullRank {
				var err error
				if ar, err = rnn.TruncatedSVD(a, r); err != nil {
					errs[i] = err
					return
				}
				bound = r + 1
			}
			// Truncating a stable non-normal A can make it unstable: no
			// stationary state to measure.
			if rad := rnn.SpectralRadius(ar); !(rad < 1) {
				rows[i] = linearRow{rank: r, bound: bound, radius: rad}
				return
			}
			mc, curve, err := rnn.LinearMemory(ar, v, cfg)
			if err != nil {
				errs[i] = fmt.Errorf("rank %s: %w", rankName(r), err)
				return
			}
			th, _, err := rnn.LinearMemoryTheory(ar, v, cfg.K)
			if err != nil {
				errs[i] = fmt.Errorf("rank %s: %w", rankName(r), err)
				return
			}
			var theory float64
			for _, x := range th {
				theory += x
			}
			rows[i] = linearRow{rank: r, bound: bound, mc: mc, theory: theory, curve: curve, th: th, radius: rnn.SpectralRadius(ar)}
		}()
	}
	wg.Wait()
	return rows, errors.Join(errs...)
}

// denseRecurrentParams is n² per recurrent matrix.
func denseRecurrentParams(m *rnn.Model) int {
	if m.Cell == rnn.MGRU {
		return 2 * m.Hidden * m.Hidden
	}
	return m.Hidden * m.Hidden
}

// inputOnlyMC is the capacity of a readout of u_t alone: R²(k) = ρ^{2k}.
func inputOnlyMC(rho float64, K int) float64 {
	var s float64
	for k := 1; k <= K; k++ {
		s += math.Pow(rho, 2*float64(k))
	}
	return s
}

func rankName(r int) string {
	if r == fullRank {
		return "full"
	}
	return strconv.Itoa(r)
}

func printMemoryTable(w io.Writer, rows []memoryRow, hasTask bool) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', tabwriter.AlignRight)
	head := []string{"rho", "rank", "rec-params", "MC-fixed", "MC-refit"}
	if hasTask {
		head = append(head, "task-MC", "task-R²(1)", "task-R²(K)")
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, r := range rows {
		line := []string{strconv.FormatFloat(r.rho, 'g', -1, 64), rankName(r.rank), strconv.Itoa(r.params),
			fmt.Sprintf("%.2f", r.res.MCFixed), fmt.Sprintf("%.2f", r.res.MCRefit)}
		if hasTask {
			t := r.res.Task
			line = append(line, fmt.Sprintf("%.2f", r.res.MCTask), fmt.Sprintf("%.3f", t[0]), fmt.Sprintf("%.3f", t[len(t)-1]))
		}
		fmt.Fprintln(tw, strings.Join(line, "\t")+"\t")
	}
	tw.Flush()
}

func printLinearTable(w io.Writer, rows []linearRow) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rank\tMC-measured\tMC-theory\tbound\tMC ≤ bound\t")
	for _, r := range rows {
		if r.curve == nil {
			fmt.Fprintf(tw, "%s\t-\t-\t%d\tunstable (spectral radius %.3f)\t\n", rankName(r.rank), r.bound, r.radius)
			continue
		}
		ok := "yes"
		if r.mc > float64(r.bound)+0.05 {
			ok = "NO"
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%d\t%s\t\n", rankName(r.rank), r.mc, r.theory, r.bound, ok)
	}
	tw.Flush()
}

// memoryCSV is the long form: one row per network, ρ, rank and delay.
func memoryCSV(name string, rows []memoryRow, hasTask bool, linName string, lin []linearRow, n int) [][]string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }
	out := [][]string{{"net", "rho", "rank", "recurrent_params", "k", "r2_fixed", "r2_refit", "r2_task", "r2_theory",
		"mc_fixed", "mc_refit", "mc_task", "mc_theory"}}
	for _, r := range rows {
		for k := range r.res.Refit {
			task, mcTask := "", ""
			if hasTask {
				mcTask = f(r.res.MCTask)
				if k < len(r.res.Task) {
					task = f(r.res.Task[k])
				}
			}
			out = append(out, []string{name, strconv.FormatFloat(r.rho, 'g', -1, 64), rankName(r.rank), strconv.Itoa(r.params),
				strconv.Itoa(k + 1), f(r.res.Fixed[k]), f(r.res.Refit[k]), task, "",
				f(r.res.MCFixed), f(r.res.MCRefit), mcTask, ""})
		}
	}
	for _, r := range lin {
		params := n * n
		if r.rank != fullRank {
			params = 2 * r.rank * n
		}
		for k := range r.curve {
			out = append(out, []string{linName, "0", rankName(r.rank), strconv.Itoa(params), strconv.Itoa(k + 1),
				"", f(r.curve[k]), "", f(r.th[k]), "", f(r.mc), "", f(r.theory)})
		}
	}
	return out
}

// parseRhos parses a comma-separated list of distinct AR(1) coefficients.
func parseRhos(s string) ([]float64, error) {
	var rhos []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || !(v >= 0 && v < 1) {
			return nil, fmt.Errorf("-rho %q: %q is not a coefficient in [0, 1); want a list such as 0,0.5,0.9", s, f)
		}
		if slices.Contains(rhos, v) {
			return nil, fmt.Errorf("-rho %q: %g is listed twice", s, v)
		}
		rhos = append(rhos, v)
	}
	return rhos, nil
}

// parseMemoryRanks parses a comma-separated list of distinct positive
// ranks and "full" (fullRank).
func parseMemoryRanks(s string) ([]int, error) {
	var ranks []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		r := fullRank
		if f != "full" {
			var err error
			if r, err = strconv.Atoi(f); err != nil || r < 1 {
				return nil, fmt.Errorf("-ranks %q: %q is neither a positive integer nor full; want a list such as 8,16,full", s, f)
			}
		}
		if slices.Contains(ranks, r) {
			return nil, fmt.Errorf("-ranks %q: rank %s is listed twice", s, f)
		}
		ranks = append(ranks, r)
	}
	return ranks, nil
}
