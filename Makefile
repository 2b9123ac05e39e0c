# idcoord: build, test, lint and benchmark. `make test` is what .ci/run runs.

GO      ?= go
BIN     := bin/idcoord
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# The release build: static and reproducible, as the Dockerfile builds it.
# go vet and test/e2e compile with the same settings, so that one compile
# of the dependencies serves them all (a second set would cost minutes).
RELEASE := CGO_ENABLED=0
RFLAGS  := -trimpath

# What the tests run, as command:package (a path stands for a file the
# package installs): the servers, gcc for -race, the network tools of
# test/e2e's fault scenarios, and what runs the client snippets and the
# other-uid socket test, MariaDB for the import from Leaf (found in
# /usr/sbin, which a user's PATH may miss), the browser of the web
# console's test, and promtool for the alert rules. testproc.Require,
# mariadbtest and sidecar/console's test name the same packages.
DEPS    := etcd:etcd-server /usr/share/java/zookeeper.jar:zookeeper java:default-jre-headless \
           /usr/sbin/mariadbd:mariadb-server gcc:gcc iptables:iptables ip:iproute2 ss:iproute2 curl:curl setpriv:util-linux \
           /usr/bin/python3:python3 node:nodejs chromium:chromium promtool:prometheus
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: build test bench lint e2e deps clean

## build: compile the idcoord binary into bin/
build:
	$(RELEASE) $(GO) build $(RFLAGS) -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/idcoord

## deps: install with apt-get what the tests need and is missing; check root and cgroup2
deps:
	@missing=""; \
	for dep in $(DEPS); do \
		have=$${dep%%:*}; pkg=$${dep##*:}; \
		case $$have in /*) [ -e "$$have" ] ;; *) command -v "$$have" >/dev/null 2>&1 ;; esac && continue; \
		case " $$missing " in *" $$pkg "*) ;; *) missing="$$missing $$pkg" ;; esac; \
	done; \
	if [ -n "$$missing" ]; then \
		command -v apt-get >/dev/null 2>&1 || { echo "deps: missing$$missing, and apt-get is not here: install them by hand"; exit 1; }; \
		echo "deps: installing$$missing"; \
		$(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing || \
		{ echo "deps: apt-get install -y$$missing failed"; exit 1; }; \
	fi
	@[ "$$(id -u)" = 0 ] || { echo "deps: test/e2e's network scenarios (ip netns, iptables, cgroups) need root: run \`sudo make test\`"; exit 1; }
	@grep -qs ' cgroup2 ' /proc/mounts || { echo "deps: no cgroup2 hierarchy is mounted (test/e2e scenario 4 needs one): mount -t cgroup2 none /sys/fs/cgroup/unified"; exit 1; }

## lint: fail on unformatted files; go vet
lint:
	@unformatted="$$(gofmt -l .)"; \
	if [ -n "$$unformatted" ]; then echo "gofmt -l found unformatted files:"; echo "$$unformatted"; exit 1; fi
	$(RELEASE) $(GO) vet $(RFLAGS) ./...
	@if [ -f bench/go.mod ]; then echo "cd bench && $(GO) vet ./..."; cd bench && $(GO) vet ./...; fi

## test: install missing servers, lint, then run every test with -race
test: deps lint
	@# test/e2e first: the longest package starts at once, beside the others.
	@# -p 4 on 2 cores: the tests mostly wait on servers and clocks, not the CPU.
	$(GO) test -race -p 4 -timeout 14m ./test/e2e/ ./...
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
