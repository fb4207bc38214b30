# vpcsim — run `make help` for the targets.

GO       ?= go
BIN      := bin/vpcsim
PKGS     := ./...
# Integration tests create network namespaces and TUN devices: run as root.
TESTFLAGS ?= -race -count=1 -timeout 20m

.PHONY: help build test test-deps unit unit-check demo bench bench-fib bench-forward lint deps clean

help: ## show this help
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

# VERSION and COMMIT are what vpcsim version says.
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null)

build: ## build bin/vpcsim
	$(GO) build -ldflags "-X main.version=$(VERSION) -X main.commit=$(COMMIT)" -o $(BIN) ./cmd/vpcsim

deps: ## install ping and iperf3 (Debian) when missing
	@command -v ping >/dev/null && command -v iperf3 >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iputils-ping iperf3 iproute2; }

test-deps: deps ## also curl, tcpdump, tshark, graphviz and chromium (with a CJK font), which the tests use
	@command -v curl >/dev/null && command -v tcpdump >/dev/null && command -v tshark >/dev/null && command -v dot >/dev/null && \
		command -v chromium >/dev/null && fc-list :lang=zh 2>/dev/null | grep -q . || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl tcpdump tshark graphviz chromium fonts-wqy-microhei; }

test: test-deps build lint unit-check ## lint, then all tests, integration ones included (root needed for those)
	$(GO) test $(TESTFLAGS) $(PKGS)

unit: ## tests that need no root; even as root they create no namespace or TUN device
	$(GO) test -race -count=1 -short $(PKGS)

# unit-check runs make unit, as root, in a private mount namespace where
# /run/netns is an empty read-only tmpfs and /dev/net/tun is /dev/null, so
# that a unit test that creates a named namespace or a TUN device fails.
# (Comparing `ip netns list` before and after would miss them: every test
# removes what it creates.) Without root it is make unit.
unit-check: ## make unit, failing if a test creates a namespace or TUN device
	@if [ "$$(id -u)" != 0 ]; then exec $(MAKE) --no-print-directory unit; fi; \
	echo "make unit with /run/netns read-only and /dev/net/tun unusable"; \
	exec unshare --mount --propagation private sh -ec ' \
		mkdir -p /run/netns; \
		mount -t tmpfs -o ro,size=4k,mode=0755 vpcsim-unit-check /run/netns; \
		if [ -e /dev/net/tun ]; then mount --bind /dev/null /dev/net/tun; fi; \
		exec $(MAKE) --no-print-directory unit'

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

# FORWARDSUBJECTS are the paths bench-forward measures: the baselines,
# vpcsim, and vpcsim with a single lane (one poller, as before lanes).
FORWARDSUBJECTS ?= kernel,bare-tun,vpcsim,vpcsim-busy,vpcsim-1lane,vpcsim-1lane-busy
FORWARDMTUS     ?= 1500,9000

bench-forward: deps build ## the forwarding scenarios (1 and 4 streams, 4 VPC pairs at once, a quiet pair) beside the kernel; scale; the per-packet path on 1 CPU and all
	./$(BIN) bench --mtu $(FORWARDMTUS) --subjects $(FORWARDSUBJECTS) --pairs 4 --scale 10,100,500
	$(GO) test -run '^$$' -bench Forward -benchmem -cpu 1,$$(nproc) ./router/

# STATICCHECK is the staticcheck that lint runs, pinned.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: ## gofmt, go vet, staticcheck, and every HTTP handler under api/
	@test -z "$$(gofmt -l .)" || { echo "gofmt -l: not formatted:"; gofmt -l .; exit 1; }
	@! grep -rn --include=*.go 'HandleFunc\|mux.Handle' . | grep -v '_test.go:' | grep -v '^./api/' || \
		{ echo "HTTP handlers outside api/ (above): the daemon's HTTP surface lives in package api"; exit 1; }
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)

clean: ## remove build output
	rm -rf bin
