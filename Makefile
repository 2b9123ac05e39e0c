# idcoord: build, test, lint and benchmark. `make test` is what .ci/run runs.

GO      ?= go
BIN     := bin/idcoord
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

# Servers the tests start (Debian packages), and the compiler -race needs.
ETCD    := etcd
ZK_JAR  := /usr/share/java/zookeeper.jar
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: build test bench lint e2e deps clean

## build: compile the idcoord binary into bin/
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/idcoord

## deps: install etcd, ZooKeeper and gcc with apt-get when any is missing
deps:
	@missing=""; \
	command -v $(ETCD) >/dev/null 2>&1 || missing="$$missing etcd-server"; \
	[ -f $(ZK_JAR) ] || missing="$$missing zookeeper"; \
	command -v gcc >/dev/null 2>&1 || missing="$$missing gcc"; \
	if [ -n "$$missing" ]; then \
		command -v apt-get >/dev/null 2>&1 || { echo "deps: need$$missing, and apt-get is not here; install them by hand"; exit 1; }; \
		echo "deps: installing$$missing"; \
		$(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

## lint: fail on unformatted files; go vet
lint:
	@unformatted="$$(gofmt -l .)"; \
	if [ -n "$$unformatted" ]; then echo "gofmt -l found unformatted files:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@if [ -f bench/go.mod ]; then echo "cd bench && $(GO) vet ./..."; cd bench && $(GO) vet ./...; fi

## test: install missing servers, lint, then run every test with -race
test: deps lint
	$(GO) test -race -timeout 14m ./...
	$(GO) test -race -tags faultclock ./clockguard/
	@if [ -f bench/go.mod ]; then echo "cd bench && $(GO) test -run 'Test' ./..."; cd bench && $(GO) test -run 'Test' ./...; fi

## bench: run the generator's benchmarks and the comparison in bench/
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./snowflake/
	@if [ -f bench/go.mod ]; then echo "cd bench && $(GO) test -run '^$$' -bench . -benchmem ./..."; cd bench && $(GO) test -run '^$$' -bench . -benchmem ./...; fi

## e2e: the long multi-process tests against real etcd and ZooKeeper servers
e2e: deps
	IDCOORD_E2E_LONG=1 $(GO) test ./test/e2e/... -run Long -timeout 60m -v

## clean: remove build output
clean:
	rm -rf bin
