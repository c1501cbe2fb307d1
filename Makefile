# Thin wrappers over the go command. `make test` is what CI runs.

GO      ?= go
PKGS    := ./...
# The kernels and asm tests, run again under emulation for the paths this CPU
# does not take natively.
EMUPKGS := ./asm ./kernels
QEMU_X86   := $(shell command -v qemu-x86_64 2>/dev/null)
QEMU_ARM64 := $(shell command -v qemu-aarch64 2>/dev/null)

.PHONY: test lint vet unit purego cross fuzz bench

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

purego:
	$(GO) test -count=1 -short -tags purego $(PKGS)

# The AVX2 path without AVX-512, the generic path without AVX, and NEON,
# under qemu-user. Skipped, loudly, where qemu-user is not installed.
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
	LOWRANK_REQUIRE=neon GOARCH=arm64 $(GO) test -count=1 -short -exec '$(QEMU_ARM64)' $(EMUPKGS)
endif

# A short fuzzing session of every target against the reference.
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzKernels -fuzztime $(FUZZTIME) ./kernels

# The kernel benchmarks, six samples each, for benchstat.
bench:
	$(GO) test -run '^$$' -bench . -count 6 ./bench
