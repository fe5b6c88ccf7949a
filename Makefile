# Make targets for github.com/zmqx/zmq. Every target first runs
# scripts/bootstrap.sh, which installs (as root) or names (otherwise) the
# Debian packages the build and the tests need, and is silent when all is there.
#
# GOFLAGS, from the environment or the command line, reaches every go command
# unchanged (e.g. `make test GOFLAGS=-v`). GO, PKGS, TESTFLAGS and BENCHFLAGS
# can be overridden the same way (e.g. `make test TESTFLAGS='-count=1 -run Pipe'`).

SHELL       := /bin/bash
.SHELLFLAGS := -euo pipefail -c

GO         ?= go
GOFMT      ?= gofmt
PKGS       ?= ./...
# The packages whose tests run on the engine ZMQ_ENGINE names; the internal
# packages test one engine or the wire each, whatever ZMQ_ENGINE says.
ENGINE_PKGS ?= . ./auth/... ./cmd/... ./examples/...
# zmqwatchdog compiles in the libzmq engine's lost-wake-up watchdog, which
# the tests run over everything (internal/watchtest).
TESTFLAGS  ?= -race -count=1 -timeout 20m -tags zmqwatchdog
# libpgm (epgm tests) warns on stderr about the loopback interface.
export PGM_MIN_LOG_LEVEL ?= ERROR
BENCHFLAGS ?= -run '^$$' -bench . -benchtime 1x
BOOTSTRAP  := bash scripts/bootstrap.sh

.DEFAULT_GOAL := help
# The platforms the go engine must build for without cgo.
CROSS      ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64 freebsd/amd64 freebsd/arm64

.PHONY: help demo test bench benchcheck cgocheck soak crossbuild

help:
	@echo 'Targets:'
	@echo '  make demo    run the pub/sub example (go run ./examples/pubsub)'
	@echo '  make test    gofmt check, go mod tidy -diff, go vet, go test $(TESTFLAGS) on each engine, zmqcat built without cgo, the allocation tests without -race'
	@echo "  make bench   every Go benchmark once (the root package's on both engines), then bench/run.sh (C, libzmq engine, go engine) into bench/results/run.txt, chart.png, table.md"
	@echo '  make benchcheck  the same with tiny counts, into a temporary directory: checks that every benchmark and the harness run (about a minute)'
	@echo '  make cgocheck  the tests again on the libzmq engine, built with GOEXPERIMENT=cgocheck2 (checks the cgo pointer rules)'
	@echo '  make crossbuild  CGO_ENABLED=0 go build ./... for $(CROSS)'
	@echo '  make soak    opt-in soak tier (~20 min): 50 M sequenced msgs, 200 kill/restart cycles, every fuzz target, C-leak check under -asan; knobs in scripts/soak.sh'
	@echo '  make help    this list'
	@echo 'Each target first runs scripts/bootstrap.sh (installs missing Debian packages as root).'

demo:
	@$(BOOTSTRAP)
	$(GO) run ./examples/pubsub

test:
	@$(BOOTSTRAP)
	@echo '$(GOFMT) -l .'
	@unformatted="$$($(GOFMT) -l .)"; \
	if [[ -n "$$unformatted" ]]; then \
		echo "gofmt: these files are not gofmt-formatted (fix with: gofmt -w <file>):" >&2; \
		echo "$$unformatted" >&2; \
		exit 1; \
	fi
	$(GO) mod tidy -diff
	$(GO) vet $(PKGS)
	$(GO) vet -tags zmqwatchdog $(PKGS)
	ZMQ_ENGINE=libzmq $(GO) test $(TESTFLAGS) $(PKGS)
	@# Every test that is not about one engine runs once more on the other.
	ZMQ_ENGINE=go $(GO) test $(TESTFLAGS) $(ENGINE_PKGS)
	@# zmqcat built without cgo, so with the go engine only (and no -race,
	@# which needs cgo), passes its own tests against the same peers.
	CGO_ENABLED=0 $(GO) test -count=1 -timeout 10m ./cmd/zmqcat/
	@# Allocation counts mean nothing under the race detector, which makes
	@# sync.Pool drop items: those tests run once more without it.
	ZMQ_ENGINE=libzmq $(GO) test -count=1 -run 'Allocates' .
	ZMQ_ENGINE=go $(GO) test -count=1 -run 'Allocates' .

bench:
	@$(BOOTSTRAP)
	$(GO) test $(BENCHFLAGS) $(PKGS)
	ZMQ_ENGINE=go $(GO) test $(BENCHFLAGS) .
	mkdir -p bench/results
	bash bench/run.sh | tee bench/results/run.txt
	cd bench/chart && $(GO) run . -in ../results/run.txt -png ../results/chart.png -md ../results/table.md
	@echo 'bench: wrote bench/results/run.txt, bench/results/chart.png and bench/results/table.md'

# What CI runs: every benchmark once and the harness with tiny counts, so
# that none of them rots; the numbers mean nothing and are thrown away.
BENCHCHECK_KNOBS := REPS=1 SIZES=16 COUNTS=2000 IPC_SIZES=16 LAT_COUNT=20 LAT_SIZES=16 FAN_COUNT=2000 FAN_SUBS=2 \
	INPROC_SIZES=16 INPROC_BENCHTIME=100x
benchcheck:
	@$(BOOTSTRAP)
	$(GO) test -run '^$$' -bench . -benchtime 1x $(PKGS)
	ZMQ_ENGINE=go $(GO) test -run '^$$' -bench . -benchtime 1x .
	@out=$$(mktemp -d); trap 'rm -rf "$$out"' EXIT; \
	echo "$(BENCHCHECK_KNOBS) bash bench/run.sh"; \
	$(BENCHCHECK_KNOBS) bash bench/run.sh >"$$out/run.txt" 2>"$$out/run.err" || { cat "$$out/run.err" >&2; exit 1; }; \
	(cd bench/chart && $(GO) run . -in "$$out/run.txt" -png "$$out/chart.png" -md "$$out/table.md"); \
	echo 'benchcheck: every benchmark, bench/run.sh and bench/chart ran'

crossbuild:
	@for t in $(CROSS); do \
		echo "CGO_ENABLED=0 GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build ./..."; \
		CGO_ENABLED=0 GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build ./... || exit 1; \
	done

# The cgo pointer rules, checked at run time: the whole suite rebuilt with
# GOEXPERIMENT=cgocheck2 (Go 1.26 no longer accepts GODEBUG=cgocheck=2).
cgocheck:
	@$(BOOTSTRAP)
	ZMQ_ENGINE=libzmq GOEXPERIMENT=cgocheck2 $(GO) test $(TESTFLAGS) $(PKGS)

# The soak tier: long sequence and kill/restart runs, every fuzz target and
# a LeakSanitizer run of socket churn. Opt-in; scripts/soak.sh lists its knobs.
soak:
	@$(BOOTSTRAP)
	GO=$(GO) bash scripts/soak.sh
