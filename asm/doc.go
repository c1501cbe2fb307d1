// Package asm holds lowrank's hand-written assembly and its Go
// declarations: AVX2+FMA and AVX-512 on amd64, Advanced SIMD (NEON) on
// arm64. Two kinds of routine live here:
//
//   - the leaf kernels of package kernels: Dot, Axpy, Gemv (row-major),
//     GemvPanels (packed), GemmPanels4 and GemmPanels2 (packed, four or
//     two vectors), GemvTiles (packed in tiles, for the V of a low rank),
//     Tanh, Sigmoid, the fused recurrent step StepPanels and the fused
//     steps of PyTorch's cells GRUStepPanels and LSTMStepPanels, one per
//     ISA, named <Op><ISA> (GemvPanelsAVX512);
//   - the quantized products of package kernels' PackedInt8 and
//     PackedBF16: GemvInt8… (gemv_int8_<isa>_<arch>.s, over the panel
//     products of panel_int8_<isa>_<arch>.h, with VPDPBUSD, VPMADDUBSW,
//     SDOT or SMULL) and GemvBF16… (gemv_bf16_…, VDPBF16PS or its
//     emulation with FMAs), and their batched forms GemmInt8x4… and
//     GemmBF16x4… (four vectors, each weight loaded once for the four).
//     Each quantizes its input into its own frame and gives the bits of
//     the Go reference; neon_quant_arm64.h spells the Arm instructions
//     they need;
//   - the roofline probes of the benchmark suite (roofline_amd64.go):
//     FMAPeak… and Read… run one resource of the core flat out, so that
//     bench can say what fraction of the machine a kernel uses.
//
// Nothing else: the Go references (the specification every routine is
// tested against), target selection and shape checks live in package
// kernels, which is the API to use.
//
// Files are named by operation, then ISA, then architecture:
// gemv_avx512_amd64.s holds GemvAVX512 and GemvPanelsAVX512,
// step_neon_arm64.s the fused NEON step, and stubs_<arch>.go declares them
// all. A loop that several routines run is written once, as assembler
// macros in a header: panel_<isa>_<arch>.h is the packed panel product, one
// loop per panel geometry, that the GemvPanels…, StepPanels…,
// GRUStepPanels… and LSTMStepPanels… routines expand with their own
// epilogues (the gated steps over gate-interleaved rows, in chunks of 16
// whatever the panels' height), gates_<isa>_<arch>.h the walk of the
// gated steps over those chunks (step_gru_…, step_lstm_…), and
// activation_<isa>_<arch>.h the tanh and sigmoid that the activation loops
// and the steps apply. avx512_amd64.h and neon_arm64.h hold small helpers
// (tail masks; the NEON instructions the Go assembler cannot spell).
//
// The routines validate nothing: the caller checks shapes and picks a
// routine the CPU supports. Each declaration states its meaning as the
// reference loop in Go. Slices are only read up to the lengths the
// routine's spec names, so a routine never touches memory outside them.
//
// The packed layout used by the …Panels… routines is a run of panels of h
// rows: row i lies in panel p = i/h, which starts at a[p*stride]; column j
// of a panel is the h consecutive floats a[p*stride+h*j:][:h]. The AVX-512
// routines take h from their geom argument (8, 16, 32, 64 or 128, with the
// loop the geometry names: see kernels.Geometry); the AVX2 and NEON ones
// stream blocks of 16 rows with columns cs floats apart, so that a panel
// of h > 16 rows is h/16 blocks with cs = h, and cs = 8 is one panel of
// at most 8 rows. Only panels of 8 or 16 rows may be partial: the rows
// past len(y) are padding, read but never stored. A packed matrix is
// several runs (kernels.Packed), one call each. The tiled layout of the
// GemvTiles… routines keeps panels of 16 rows in tiles of 16 columns, a
// tile row by row (tiles_<isa>_<arch>.s).
package asm
