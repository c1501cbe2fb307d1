// Package bench is lowrank's benchmark suite and the library that runs and
// reads it: the suite's runs (RunSuite, TestBinary), the regression gate
// (Compare; RegressRun.Regress is all of lowrank regress), the summaries
// and figures of results files (Summary), the timing of operations on
// every target outside `go test` (TimeOps) and its per-machine timings
// files (Timings), and this CPU's identity and
// baseline (CPUSlug, FindBaseline, ConfigLines, WriteCPU).
//
// The benchmarks put our kernel targets side by side with their peers
// under names benchstat can project:
//
//	BenchmarkMatVec/impl=avx512/dtype=f32/n=512
//	BenchmarkLowRank/impl=avx512vnni/dtype=int8/n=1024/rank=64
//	BenchmarkStep/cell=mgru/impl=avx512/dtype=f32/n=256/rank=32          (rank=full: dense)
//	BenchmarkSequence/cell=rnn/impl=avx512/dtype=bf16/n=256/rank=32/T=100/B=4
//	BenchmarkRatio/op=matvec/impl=best/dtype=f32/n=256                    (the gate's)
//
// dtype is the element type of the (recurrent) weights: f32, or the
// quantized bf16 and int8 of kernels.PackBF16 and PackInt8, which run on
// every target but go, and on the quantized variants (avx512vnni, …), of
// which dtype=f32 would only repeat the family's float32 kernels; the
// peers are float32 only. `benchstat -col /dtype` compares them. The
// quantized dtypes run a subset of the shapes (low rank 16 and 64, steps
// dense and at rank 32, sequences up to n = 256 with B = 1 and 4).
//
// impl is every kernels target this CPU and build can run (go, avx2,
// avx512, neon), gonum (blas32.Gemv on the row-major matrix), and the
// peers compiled in (see Peers): openblas (cgo, -tags openblas) and simd
// (GOEXPERIMENT=simd). Steps and sequences run the kernels targets only.
// Each benchmark reports ns/op, the weight bytes read per op as MB/s,
// allocations, FLOP/s (two per multiply-add) and roof, the fraction of the
// roofline at the benchmark's own working set, weights plus vectors (the
// read bandwidth measured at that size: see ReadAt and RoofAt);
// sequences also ns/step.
//
// BenchmarkRatio times each candidate and a fixed reference back to back
// inside every iteration (see ReadReference) and reports their ratio as
// x/ref: steady where ns/op drifts with the load of a shared machine, it
// is what the regression gate (Compare, lowrank regress) compares.
// impl=best is whatever target the kernels pick by themselves, so that a
// run with LOWRANK_TARGET=avx2 against an avx512 baseline is a slowdown the
// gate must catch. BenchmarkBars measures the kernels' targets the same
// way: a product against the read probe at its working set, against the C
// peer, a fused step against its product, B streams against one.
//
// Tune (lowrank tune) measures the panel geometries of package kernels on
// this CPU and returns its entry of their table.
//
// The environment selects what runs: LOWRANK_IMPLS=avx512,gonum runs those
// impls only; LOWRANK_TARGET=t (without LOWRANK_IMPLS) runs target t and
// impl=best. OpenBLAS runs the core named by OPENBLAS_CORETYPE where that
// is set, else one chosen from cpuid (set it to nothing with env -u for
// benchmarks: `env -u OPENBLAS_CORETYPE`); the run's configuration lines
// say which (peer-openblas: …, core SkylakeX).
//
// `lowrank bench` (make bench, RunSuite) builds the suite once and runs it
// once per target, once for the peers, then the gate's ratios, and writes
// results/<cpu-slug>/
// kernels.txt, whose configuration lines (cpu, goarch, go, target,
// goamd64, cpu-slug, caches; see ConfigLines) let benchstat compare
// implementations and machines:
//
//	benchstat -col /impl results/amd-f26-m2-avx2-avx512-vnni-bf16/kernels.txt
//	benchstat -col /impl -row /rank -filter '.name:LowRank /n:256' results/amd-f26-m2-avx2-avx512-vnni-bf16/kernels.txt
//	benchstat -col .file -table '' results/*/kernels.txt  (-table '': the files' cpu lines differ)
//
// Summary and its WriteTable, WriteMarkdown and WriteFigures turn such a
// file into the tables and figures under results/ (make results).
//
// A TestBinary is a suite compiled once (go test -c) and run as often as
// a measurement needs (-test.bench, one process a sample): the one runner
// of lowrank bench and lowrank regress.
//
// Outside `go test`, [Measure] times a function the way a benchmark does
// (calibrated iteration counts, several samples, the median), and
// [MeasureEach] times several functions with interleaved samples so that
// [Ratio] can compare them pairwise:
//
//	r := bench.Measure(func() { p.MatVec(y, x) }, 7, 100*time.Millisecond)
//	fmt.Printf("%.0f ns/op\n", r.Median)
//
// [TimeOps] does that for operations on every kernels target, the speedup
// over the first (dense) one paired sample by sample: lowrank sweep times
// the fused steps of each cell and rank (StepOps), or bare products
// (MatVecOps), with it. Its Timings are per machine: WriteTimings writes
// them in the Go benchmark format under results/<cpu-slug>/ (benchstat
// reads them; so does ReadTimings, for REPORT.md), never beside the
// deterministic results of package report.
//
// What does not live here: the kernels (package kernels) and models
// (package rnn) it measures, and the deterministic results (package
// report).
package bench
