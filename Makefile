# vpcsim — run `make help` for the targets.

GO       ?= go
BIN      := bin/vpcsim
PKGS     := ./...
# Integration tests create network namespaces and TUN devices: run as root.
TESTFLAGS ?= -race -count=1 -timeout 20m

.PHONY: help build test test-deps unit demo bench bench-fib bench-forward lint deps clean

help: ## show this help
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build bin/vpcsim
	$(GO) build -o $(BIN) ./cmd/vpcsim

deps: ## install ping and iperf3 (Debian) when missing
	@command -v ping >/dev/null && command -v iperf3 >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iputils-ping iperf3 iproute2; }

test-deps: deps ## also curl, tcpdump, tshark and graphviz, which the tests use
	@command -v curl >/dev/null && command -v tcpdump >/dev/null && command -v tshark >/dev/null && command -v dot >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl tcpdump tshark graphviz; }

test: test-deps build ## all tests, integration ones included (root needed for those)
	$(GO) vet $(PKGS)
	$(GO) test $(TESTFLAGS) $(PKGS)

unit: ## tests that need no root
	$(GO) test -race -count=1 -short $(PKGS)

demo: deps build ## launch the best-practice example and tour it
	./$(BIN) demo

bench: bench-fib bench-forward ## all benchmarks

# FIBBENCHTIME is the -benchtime of each FIB sub-benchmark.
FIBBENCHTIME ?= 300ms
# FIBREPORTFLAGS=-strict makes bench-fib fail when a target is missed.
FIBREPORTFLAGS ?=

bench-fib: ## FIB lookups, updates and memory beside bart and cidranger, with ratios and targets
	@mkdir -p bin
	@echo "load average before the run: $$(cut -d' ' -f1-3 /proc/loadavg) (the figures are only comparable on an idle machine)"
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(FIBBENCHTIME) -timeout 60m ./fib/ 2>&1 | tee bin/fib-bench.txt
	@grep -q '^ok' bin/fib-bench.txt
	$(GO) run ./bench/fibreport $(FIBREPORTFLAGS) < bin/fib-bench.txt

bench-forward: deps build ## iperf3/ping through vpcsim beside the kernel and a bare TUN loop; scale figures
	./$(BIN) bench --scale 10,100,500
	$(GO) test -run '^$$' -bench Forward -benchmem ./router/

lint: ## gofmt and go vet
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	$(GO) vet $(PKGS)

clean: ## remove build output
	rm -rf bin
