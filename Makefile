# Thin wrappers over the go command. `make test` is what CI runs.

GO      ?= go
PKGS    := ./...
# The command, built afresh by the targets that run it (defined before
# them: make expands a rule's prerequisites as it reads the rule).
LOWRANK := bin/lowrank
# The kernels and asm tests, run again under emulation for the paths this CPU
# does not take natively.
EMUPKGS := ./asm ./kernels
QEMU_X86   := $(shell command -v qemu-x86_64 2>/dev/null)
QEMU_ARM64 := $(shell command -v qemu-aarch64 2>/dev/null)

.PHONY: test lint vet unit purego cross fuzz bench results results-kernels results-accuracy results-plan results-memory results-report gate models FORCE

test: lint unit purego cross

# gofmt, and go vet (asmdecl included) for amd64 and arm64, with and
# without the purego tag.
lint vet:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	GOARCH=amd64 $(GO) vet $(PKGS)
	GOARCH=amd64 $(GO) vet -tags purego $(PKGS)
	GOARCH=arm64 $(GO) vet $(PKGS)
	GOARCH=arm64 $(GO) vet -tags purego $(PKGS)

# Native run. LOWRANK_REQUIRE (for example avx512,avx2) turns a missing
# target into a failure; .ci/run sets it from /proc/cpuinfo.
unit:
	$(GO) test -count=1 $(PKGS)

# The portable build has only the go target: nothing else can be required.
purego:
	LOWRANK_REQUIRE= $(GO) test -count=1 -short -tags purego $(PKGS)

# The AVX2 path without AVX-512, the generic path without AVX, and NEON
# with and without the dot product (cortex-a57 lacks it), under qemu-user.
# Skipped, loudly, where qemu-user is not installed.
cross:
ifeq ($(QEMU_X86),)
	@echo "cross: qemu-x86_64 not found (apt-get install qemu-user): SKIPPED the Haswell and qemu64 runs"
else
	LOWRANK_REQUIRE=avx2 GOARCH=amd64 $(GO) test -count=1 -short -exec '$(QEMU_X86) -cpu Haswell' $(EMUPKGS)
	LOWRANK_REQUIRE= GOARCH=amd64 $(GO) test -count=1 -short -exec '$(QEMU_X86) -cpu qemu64' $(EMUPKGS)
endif
ifeq ($(QEMU_ARM64),)
	@echo "cross: qemu-aarch64 not found (apt-get install qemu-user): SKIPPED the arm64 run"
else
	LOWRANK_REQUIRE=neon,neondot GOARCH=arm64 $(GO) test -count=1 -short -exec '$(QEMU_ARM64) -cpu max' $(EMUPKGS)
	LOWRANK_REQUIRE=neon GOARCH=arm64 $(GO) test -count=1 -short -exec '$(QEMU_ARM64) -cpu cortex-a57' $(EMUPKGS)
endif

# A short fuzzing session of every target against the reference.
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzKernels -fuzztime $(FUZZTIME) ./kernels
	$(GO) test -run '^$$' -fuzz FuzzQuant -fuzztime $(FUZZTIME) ./kernels

# A fresh results file for this CPU, results/<identity>/kernels.txt (lowrank
# cpu -slug: vendor, family, model and ISA, not the brand string): the
# suite once per kernels target and once for the peers (gonum, and OpenBLAS
# and Go's simd package where they build), then the gate's paired ratios;
# about ten minutes. OpenBLAS runs the core in OPENBLAS_CORETYPE if that is
# set: `env -u OPENBLAS_CORETYPE make bench` lets cpuid choose (SkylakeX
# with AVX-512). BENCHFLAGS passes flags, e.g. BENCHFLAGS='-targets avx512'.
BENCHFLAGS ?=
bench:
	$(GO) run ./cmd/lowrank bench $(BENCHFLAGS)

# Every figure and table under results/: the kernel tables and figures
# from the committed benchmark files, then the rank sweep (this CPU's step
# times go to results/<identity>/sweep.txt), the planner's validation
# against it and the memorization experiments of the committed models
# (minutes; nothing is retrained), and REPORT.md. The only way, beside a
# command's explicit output flag, that the committed results change.
results: results-kernels results-accuracy results-plan results-memory results-report

results-kernels:
	@set -e; for f in results/*/kernels.txt; do \
		[ -f "$$f" ] || continue; \
		echo "results: $$f"; \
		$(GO) run ./cmd/lowrank bench -from "$$f" -figures results/figures -table "$$(dirname $$f)/kernels.md" >/dev/null; \
	done

# The regression gate: the paired ratios (x/ref) of impl=best, ten fresh
# runs against this CPU's committed baseline; fails on a regression
# (Mann-Whitney, Holm-corrected, and at least GATE_MIN_EFFECT slower: on a
# shared machine x/ref still moves by up to ~6% between quarter-hours, so
# 8% keeps false alarms out and catches a 15% slowdown). The baseline is
# `lowrank cpu -baseline results`: results/<identity>/kernels.txt, the
# identity being vendor, family, model and ISA (lowrank cpu -slug), or else
# one of the same vendor, family and model, which it names. A CPU with
# neither cannot be gated: the gate says so in a line that starts
# "gate: NOT RUN". GATE_BENCH must equal bench.GateBench.
GATE_BENCH     := ^BenchmarkRatio$$/./^impl=best$$
GATE_COUNT     ?= 10
GATE_BENCHTIME ?= 300ms
GATE_MIN_EFFECT ?= 0.08
gate: $(LOWRANK)
	@base=$$($(LOWRANK) cpu -baseline results); rc=$$?; \
	if [ $$rc -eq 1 ]; then echo "gate: NOT RUN: no baseline for this CPU, $$($(LOWRANK) cpu -slug), or its microarchitecture under results/ (make bench records one)"; exit 0; fi; \
	[ $$rc -eq 0 ] || exit $$rc; \
	echo "gate: $$base"; \
	$(LOWRANK) regress -base "$$base" -bench '$(GATE_BENCH)' -count $(GATE_COUNT) \
		-benchtime $(GATE_BENCHTIME) -min-effect $(GATE_MIN_EFFECT) -cpu 1 -filter '/impl:best'

# The committed default models, results/models/<task>-<cell>-128.safetensors:
# delayed recall at ρ = 0, 0.5, 0.9, 0.99 (K = 64), row-sequential MNIST plain
# and pixel-permuted, Opticks and π, for the RNN, the MGRU, and PyTorch's GRU
# and LSTM (one layer, in PyTorch's layout), trained from fixed seeds.
# `make models` reproduces them bit for bit on the same target: about half
# an hour of CPU per cell for the RNN and the MGRU, an hour for the GRU and
# an hour and a half for the LSTM (one process per model: run cells or
# tasks side by side on more cores, e.g. make models CELLS=gru). The
# training settings are recorded in each file's metadata.
MODELS  := results/models
$(LOWRANK): FORCE
	@mkdir -p bin
	$(GO) build -o $@ ./cmd/lowrank
FORCE:

TRAIN_RECALL := -K 64 -T 200 -epochs 6 -per-epoch 8000 -lr 2e-3 -decay 0.8 -seed 1
TRAIN_MNIST  := -epochs 10 -lr 2e-3 -decay 0.8 -seed 1
# Opticks: the weights of the best epoch on a validation tenth carved from
# the training part in blocks, and readout dropout for the RNN and the MGRU
# (the GRU and LSTM stop early instead). The RNN learns slowest: more
# epochs, with a slower decay of the step size (about 10 minutes of CPU
# time; 8 for the MGRU, 10 for the GRU and LSTM).
TRAIN_TEXT   := -per-epoch 15000 -lr 3e-3 -seed 1 -valid 0.1 -patience 2
TEXT_RNN     := -epochs 14 -decay 0.85 -output-dropout 0.1
TEXT_MGRU    := -epochs 8 -decay 0.7 -output-dropout 0.1
TEXT_GATED   := -epochs 8 -decay 0.7
# π is incompressible: a few passes learn its digit frequencies, more only
# memorise the training digits and lose on the held-out ones.
TRAIN_PI     := -epochs 2 -per-epoch 2000 -lr 3e-3 -decay 0.7 -seed 1

CELLS ?= rnn mgru gru lstm

models: $(LOWRANK)
	@mkdir -p $(MODELS)
	@set -e; for cell in $(CELLS); do \
		for rho in 0 0.5 0.9 0.99; do \
			$(LOWRANK) train -task recall -rho $$rho $(TRAIN_RECALL) -cell $$cell -hidden 128 -o $(MODELS)/recall-rho$$rho-$$cell-128.safetensors; \
		done; \
		for t in seqmnist seqmnist-perm; do \
			$(LOWRANK) train -task $$t $(TRAIN_MNIST) -cell $$cell -hidden 128 -o $(MODELS)/$$t-$$cell-128.safetensors; \
		done; \
		case $$cell in rnn) text="$(TEXT_RNN)";; mgru) text="$(TEXT_MGRU)";; *) text="$(TEXT_GATED)";; esac; \
		$(LOWRANK) train -task opticks $(TRAIN_TEXT) $$text -cell $$cell -hidden 128 -o $(MODELS)/opticks-$$cell-128.safetensors; \
		$(LOWRANK) train -task pi $(TRAIN_PI) -cell $$cell -hidden 128 -o $(MODELS)/pi-$$cell-128.safetensors; \
	done

# The science under results/: the rank sweep of the default models (its
# deterministic table, this CPU's step times and the figures), the
# memorization experiments, then REPORT.md.
ACC := results/accuracy
results-accuracy: $(LOWRANK)
	@mkdir -p $(ACC) results/figures results/$$($(LOWRANK) cpu -slug)
	$(LOWRANK) sweep -csv $(ACC)/sweep.csv -times results/$$($(LOWRANK) cpu -slug)/sweep.txt -figures results/figures

# The planner, which reads no labels, held out by task family: each model
# planned for a range of maximum predicted losses and scored with labels,
# against the sweep's smallest configurations (plan.csv and its figure).
results-plan: $(LOWRANK)
	@mkdir -p $(ACC) results/figures
	$(LOWRANK) plan -models $(MODELS) -csv $(ACC)/plan.csv -sweep $(ACC)/sweep.csv -figures results/figures

# The memorization experiments: per network a training, a validation and
# eight test runs, the ridge λ chosen on the validation run; the linear
# check also writes MC against λ for float64 and float32 states and
# regressions (ridge-*.csv and its figure). About 8 minutes of CPU time,
# four of wall time on two cores.
results-memory: $(LOWRANK)
	@mkdir -p $(ACC) results/figures
	@set -e; for f in $(MODELS)/recall-*.safetensors; do \
		name=$$(basename $$f .safetensors); rho=$${name#recall-rho}; rho=$${rho%%-*}; \
		joint=; case $$name in *-gru-*|*-lstm-*) joint=-joint;; esac; \
		for method in svd whitened; do \
			$(LOWRANK) memory -model $$f -rho $$rho -ranks 4,8,16,32,64,96,full -method $$method -linear=false $$joint \
				-csv $(ACC)/memory-$$name-$$method.csv >/dev/null; \
		done; \
	done
	$(LOWRANK) memory -cell rnn -net random -csv $(ACC)/memory-untrained-rnn-random.csv \
		-ridge-csv $(ACC)/ridge-linear-128-random.csv -figures results/figures >/dev/null
	$(LOWRANK) memory -cell rnn -net orthogonal -linear=false -csv $(ACC)/memory-untrained-rnn-orthogonal.csv >/dev/null
	$(LOWRANK) memory -cell mgru -net random -linear=false -csv $(ACC)/memory-untrained-mgru-random.csv >/dev/null

results-report: $(LOWRANK)
	$(LOWRANK) report -o results/REPORT.md
