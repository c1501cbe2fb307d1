// Package bench is lowrank's benchmark suite and the small timing library
// the lowrank command uses outside `go test`.
//
// The benchmarks (kernels_test.go) put our kernel targets side by side with
// their peers under names benchstat can project:
//
//	BenchmarkMatVec/impl=avx512/n=512
//	BenchmarkLowRank/impl=avx512/n=512/rank=64
//
// impl is every kernels target this CPU and build can run (go, avx2, avx512,
// neon) plus gonum (blas32.Gemv on the row-major matrix). Each reports
// ns/op, the weight bytes read per product as MB/s, allocations, and
// FLOP/s (two per multiply-add). Run them at least six times, so that
// benchstat can give a confidence interval, and compare implementations in
// columns:
//
//	go test -run '^$' -bench . -count 6 ./bench | tee new.txt
//	benchstat -col /impl new.txt
//	benchstat -col /impl -row /n new.txt
//
// The whole suite takes about 15 minutes at -count 6; select shapes with
// -bench, e.g. -bench 'MatVec/.*/n=256' or -bench 'LowRank/.*/n=512/'.
//
// Absolute times on a small shared machine vary by tens of percent from run
// to run; read the columns of one run against each other rather than two
// runs against each other.
//
// Outside `go test`, [Measure] times a function the way a benchmark does
// (calibrated iteration counts, several samples, the median), and
// [MeasureEach] times several functions with interleaved samples so that
// [Ratio] can compare them pairwise:
//
//	r := bench.Measure(func() { p.MatVec(y, x) }, 7, 100*time.Millisecond)
//	fmt.Printf("%.0f ns/op\n", r.Median)
package bench
