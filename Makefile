# Ferry — build, generate, test and run the fleet. Every target loops over the workspace
# modules: `./...` does not cross module boundaries.

SHELL := /bin/bash
MODULES := shared source-controller kustomize-controller helm-controller \
	image-reflector-controller image-automation-controller notification-controller cli e2e
CONTROLLERS := source-controller kustomize-controller helm-controller \
	image-reflector-controller image-automation-controller notification-controller
BIN := $(CURDIR)/bin
GO_TEST_FLAGS ?= -count=1
# VERSION is the ferry CLI's version (ferry version, the header of bootstrap's manifests).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
TESTBIN := shared/testing/testenv/testbin/build.sh
# CHROMIUM finds (or, as root on Debian, installs) the browser that the stories of ferry ui
# drive; the targets that run them fail without one.
CHROMIUM := bash hack/chromium.sh

.PHONY: all build generate api-surface testbin tools test e2e chaos run bench lint fmt images fuzz fuzz-short

all: build

## build: one static binary per controller, and the ferry CLI (with deploy/ copied into it by
## go generate, since a Go package embeds only files of its own module), into bin/
build:
	@mkdir -p $(BIN)
	@for c in $(CONTROLLERS); do echo "build $$c"; \
		(cd $$c && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o $(BIN)/$$c .) || exit 1; done
	@echo "build ferry $(VERSION)"; cd cli && go generate ./internal/manifests && \
		CGO_ENABLED=0 go build -trimpath -ldflags='-s -w -X main.version=$(VERSION)' -o $(BIN)/ferry .

## images: one OCI image per controller from its static binary, without a Docker daemon, into
## the OCI layout bin/images; REGISTRY=127.0.0.1:5000/ferry also pushes them. The tag is
## latest, the one deploy/ names; TAG=v1.2.3 sets another (then `kustomize edit set image`)
images: build
	cd e2e && go run ./cmd/images -bin $(BIN) -out $(BIN)/images \
		-tag $(or $(TAG),latest) $(if $(REGISTRY),-push $(REGISTRY))

## generate: deepcopy functions and CRDs (deploy/crds) from the API types
generate:
	cd shared && go run ./tools/crdgen -crds ../deploy/crds

## api-surface: how much of Flux's API surface the CRDs cover
api-surface:
	@cd shared && go run ./tools/crdgen -coverage -crds ../deploy/crds

## testbin: build (once, then cached) etcd, kube-apiserver & co. for the tests
testbin:
	@bash $(TESTBIN) >/dev/null

## tools: build (once, then cached) the servers and CLIs pinned in tools/ (S3 server, helm)
tools:
	@bash hack/tools.sh $$(cd tools && GOWORK=off go list tool | sed 's|.*/||') >/dev/null

## test: the whole suite: unit and integration tests on a real API server (they replay every
## fuzz target's seeds and testdata/fuzz corpus), the e2e module's checks of deploy/ and the
## fleet, `make e2e` (the user stories, ferry ui's in headless Chromium among them), all with
## bin/, then `make fuzz-short`
test: testbin tools build
	@chromium=$$($(CHROMIUM)) || exit 1; \
	export KUBEBUILDER_ASSETS=$$(bash $(TESTBIN) | tail -n 1) FERRY_BIN=$(BIN) FERRY_CHROMIUM=$$chromium; \
	failed=0; for m in $(MODULES); do echo "=== $$m"; \
		(cd $$m && go test $(GO_TEST_FLAGS) $$(go list ./... | grep -v '/e2e/stories$$')) || failed=1; done; \
	echo "=== e2e user stories"; $(MAKE) --no-print-directory e2e || failed=1; \
	echo "=== fuzz (short)"; $(MAKE) --no-print-directory fuzz-short || failed=1; exit $$failed

## fuzz: every fuzz target (func FuzzXxx of any module, found by hack/fuzz.sh) for FUZZTIME
## each (default 30s); FUZZ=<regexp> picks targets. A crash leaves its input in the package's
## testdata/fuzz/<target>/, which plain `go test` then replays: fix it and commit the file
FUZZTIME ?= 30s
fuzz:
	@bash hack/fuzz.sh $(FUZZTIME) '$(or $(FUZZ),.)'

## fuzz-short: every fuzz target for 2 s each (FUZZSHORT=…), what make test runs; about 3 min
fuzz-short:
	@bash hack/fuzz.sh $(or $(FUZZSHORT),2s) '$(or $(FUZZ),.)'

## e2e: the user stories against the whole fleet, step by step (-v); ferry ui's story drives
## headless Chromium and leaves its screenshots in $$FERRY_SCREENSHOTS (or a temporary directory)
e2e: testbin tools build
	@chromium=$$($(CHROMIUM)) || exit 1; \
	export KUBEBUILDER_ASSETS=$$(bash $(TESTBIN) | tail -n 1) FERRY_BIN=$(BIN) FERRY_CHROMIUM=$$chromium; \
	cd e2e && go test $(GO_TEST_FLAGS) -v -timeout 20m ./stories/

## chaos: the fault suite at the issue's full size (200 Kustomizations, 50 HelmReleases, 20
## controller kills; FERRY_CHAOS_SEED=<n> replays a run); make test runs its short form
chaos: testbin tools build
	@export KUBEBUILDER_ASSETS=$$(bash $(TESTBIN) | tail -n 1) FERRY_BIN=$(BIN) FERRY_CHAOS=full; \
	cd e2e && go test $(GO_TEST_FLAGS) -count=1 -v -timeout 60m ./chaos/

## run: a local control plane, the CRDs, the fleet and a live GitOps demo (a Git server you can
## push to, a chart repository, a GitRepository, Kustomizations and a HelmRelease); Ctrl-C stops
## it all. The control-plane binaries and kubectl build once (minutes, progress shown).
run: build
	@assets=$$(bash $(TESTBIN)) || exit 1; export KUBEBUILDER_ASSETS=$$(tail -n 1 <<<"$$assets"); \
	echo "build ferry-run"; cd e2e && go build -o $(BIN)/ferry-run ./cmd/run && \
	exec $(BIN)/ferry-run -bin $(BIN) -deploy $(CURDIR)/deploy -testdata $(CURDIR)/e2e/testdata

## bench: benchmarks, printed as tables (ferry ui's page at 2,000 Kustomizations among them)
bench: testbin tools build
	@chromium=$$($(CHROMIUM)) || exit 1; \
	export KUBEBUILDER_ASSETS=$$(bash $(TESTBIN) | tail -n 1) FERRY_BIN=$(BIN) FERRY_CHROMIUM=$$chromium; \
	for m in $(MODULES); do (cd $$m && go test -run '^$$' -bench . -benchmem ./...) || exit 1; done

## lint: gofmt, go vet, the module-boundary rules of STYLE.md, and shared/tools/lint (import
## aliases and groups, function length, doc comments)
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	@for m in $(MODULES); do (cd $$m && go vet ./...) || exit 1; done
	cd shared && go run ./tools/lint $(addprefix ../,$(MODULES))
	cd e2e && go test -count=1 -run 'TestModuleBoundaries' .
	@if command -v golangci-lint >/dev/null; then golangci-lint run $(addsuffix /...,$(addprefix ./,$(MODULES))); fi

fmt:
	gofmt -w $$(git ls-files '*.go')
