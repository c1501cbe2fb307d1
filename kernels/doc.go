// Package kernels is lowrank's portable float32 API for batch-1 recurrent
// inference: the products y = W·x and y = U·(V·x) (W ≈ U·V truncated by
// SVD), the activations, and the fused recurrent steps of a vanilla RNN and
// a minimal gated unit, each run by the fastest target this CPU supports.
//
// The call most users need: pack the recurrent weights once, then apply
// them at every step, allocating nothing.
//
//	p := kernels.Pack(w) // w is a row-major kernels.Matrix
//	p.MatVec(y, x)       // y = W·x
//
// PackLowRank does the same for a factorised W, and RNNStep and MGRUStep
// take either kind (an Operator) and fuse the product with the input
// projection, the bias and the activations of one step. GRUStep and
// LSTMStep are the cells of PyTorch's nn.GRU and nn.LSTM: PackGates packs
// their stacked weight_hh gate-interleaved, so that one pass over it
// finishes every gate (PackGatesLowRank: a joint factorisation sharing V).
//
// What lives here:
//
//   - the types: Matrix (a row-major view), LowRank, and their packed forms
//     Packed and PackedLowRank (panels stored column by column, the layout
//     the kernels stream), in a Geometry (panel height, streams,
//     accumulators, prefetch) that Pack takes from a table measured per
//     microarchitecture (GeometryFor; `lowrank tune` measures an entry)
//     and PackWith takes from the caller; PackedGates and
//     PackedGatesLowRank (the gates interleaved by blocks of 16 units, for
//     the fused gated steps, in panels of the same table's geometry where
//     they fit the layout, else of 16 rows; PackGatesWith and
//     PackGatesLowRankWith take the geometry from the caller);
//   - the operations: Dot, Axpy, MatVec, LowRankMatVec, Packed.MatVec and
//     MatVecBatch, Tanh, Sigmoid, RNNStep, MGRUStep, GRUStep, LSTMStep,
//     their batched forms and RNNSequence, MGRUSequence. They check shapes
//     and panic with a clear message on misuse, as gonum/blas does;
//   - the pure-Go references (DotGeneric, MatVecGeneric, TanhGeneric,
//     RNNStepGeneric, GRUStepGeneric, …): always compiled, the "go"
//     target, and the specification every other target is tested against;
//   - the targets: go, avx2, avx512 (amd64) and neon (arm64), chosen at
//     start-up from the CPU's features (klauspost/cpuid), listed by Targets,
//     switched by Use or by LOWRANK_TARGET=go|avx2|avx512|neon. An
//     unsupported request is an error, never an illegal instruction.
//   - quantized weights (quant.go, bf16.go): PackInt8 (int8 with a per-row
//     scale, the state quantized to 8 bits at each product) and PackBF16,
//     and their low-rank forms PackInt8LowRank and PackBF16LowRank, all
//     Operators that the steps, batches and sequences run. Their results
//     are specified to the bit, and every target reproduces the Go
//     reference exactly. The variants avxvnni, avx512vnni, avx512bf16 and
//     neondot run the float32 kernels of their family (Target.Family) and
//     the quantized products with AVX-VNNI, AVX512_VNNI, AVX512_BF16 or
//     the Arm dot product; the plain targets emulate those instructions.
//
// What does not: the assembly itself (package asm, whose kernels are called
// from here only), models, training and compression (package rnn), and the
// benchmarks (package bench). The build tags purego and noasm leave the
// assembly out; the go target then runs everything.
package kernels
