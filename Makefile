# One entry point for developers and CI. Everything installs into .venv and .cache (both gitignored).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CACHE := $(CURDIR)/.cache
KUBE_TESTENV := $(CACHE)/bin/kube-testenv
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# Worker processes for the suite (pytest-xdist; each kube worker runs its own control plane). Most
# tests wait on timers rather than compute, so two workers fit a 2-core machine; 0 runs in-process.
PYTEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist worksteal --durations=15

.PHONY: all venv lint unit test demo kube-testenv gitops-tools crd bench chaos image clean

all: test

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check operator tests
	$(BIN)/ruff format --check operator tests
	$(BIN)/mypy
	$(BIN)/lint-imports

# The real control plane (kube-apiserver + embedded etcd) built from Go modules; see tests/kube-testenv.
kube-testenv: $(KUBE_TESTENV)

# The Kubernetes version is the one pinned in go.mod; stamping it makes /version report it.
K8S_VERSION = $(shell awk '$$1 == "k8s.io/kubernetes" { print $$2 }' tests/kube-testenv/go.mod)
K8S_MINOR = $(word 2,$(subst ., ,$(K8S_VERSION)))
K8S_LDFLAGS = -s -w $(foreach kv,gitVersion=$(K8S_VERSION) gitMajor=1 gitMinor=$(K8S_MINOR) gitTreeState=clean,\
	-X k8s.io/component-base/version.$(kv))

# go.mod/go.sum are never rewritten by the build (-mod=readonly); Go's module and build caches are
# reused, so a rebuild with no changes is a link only.
$(KUBE_TESTENV): $(wildcard tests/kube-testenv/*.go tests/kube-testenv/go.mod tests/kube-testenv/go.sum)
	@mkdir -p $(CACHE)/bin
	cd tests/kube-testenv && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly \
		go build -trimpath -ldflags='$(K8S_LDFLAGS)' -o $(KUBE_TESTENV) .

# Everything that needs neither Go nor a control plane: pure logic, the client, the emulator, the
# reconciler against the emulator. The quick loop while changing code.
unit: $(STAMP) lint
	$(PYTEST) -m "not kube" $(PYTEST_ARGS)

# The real GitOps clients (kubectl, helm, kstatus, argo-health) built from Go modules into .cache/bin;
# see tests/gitops-tools. One `go build` links all four; rebuilt only when a file there changes.
GITOPS_TOOLS := $(addprefix $(CACHE)/bin/,kubectl helm kstatus argo-health)
gitops-tools: $(GITOPS_TOOLS)

GITOPS_MOD = tests/gitops-tools/go.mod
KUBECTL_VERSION = $(subst v0.,v1.,$(shell awk '$$1 == "k8s.io/kubectl" { print $$2 }' $(GITOPS_MOD)))
HELM_VERSION = $(shell awk '$$1 == "helm.sh/helm/v4" { print $$2 }' $(GITOPS_MOD))
GITOPS_LDFLAGS = -s -w -X helm.sh/helm/v4/internal/version.version=$(HELM_VERSION) \
	$(foreach kv,gitVersion=$(KUBECTL_VERSION) gitMajor=1 gitMinor=$(word 2,$(subst ., ,$(KUBECTL_VERSION))) \
	gitTreeState=clean,-X k8s.io/component-base/version.$(kv))

$(GITOPS_TOOLS) &: $(wildcard tests/gitops-tools/*/*.go tests/gitops-tools/internal/*/*.go tests/gitops-tools/go.mod tests/gitops-tools/go.sum)
	@mkdir -p $(CACHE)/bin
	cd tests/gitops-tools && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly \
		go build -trimpath -ldflags='$(GITOPS_LDFLAGS)' -o $(CACHE)/bin/ ./kubectl ./helm ./kstatus ./argo-health
	@touch $(GITOPS_TOOLS)

test: $(STAMP) $(KUBE_TESTENV) $(GITOPS_TOOLS) lint
	KUBE_TESTENV=$(KUBE_TESTENV) $(PYTEST) $(PYTEST_ARGS)

# The chart carries the same file in its crds/ (Helm installs it from there).
crd: $(STAMP)
	$(BIN)/eci-operator crd > crds/containergroup.yaml
	$(BIN)/eci-operator crd --kind EciAccount > crds/eciaccount.yaml
	cp crds/containergroup.yaml crds/eciaccount.yaml charts/eci-operator/crds/

# The operator's life in one go: control plane ($KUBECONFIG's cluster if set, else kube-testenv),
# the ECI emulator and the operator; apply an example, edit its image, delete it.
demo: $(STAMP) $(if $(KUBECONFIG),,$(KUBE_TESTENV))
	KUBE_TESTENV=$(KUBE_TESTENV) $(BIN)/python -m tests.e2e.demo

# Benchmarks (not part of `make test`): the default runs N=100/1000/5000; `make bench N=1000` runs
# one size. Results: .cache/bench/results.json. More options: BENCH_ARGS="--resync 30 --edits 20".
bench: $(STAMP) $(KUBE_TESTENV)
	KUBE_TESTENV=$(KUBE_TESTENV) $(BIN)/python -m tests.bench.suite $(if $(N),--sizes $(N)) $(BENCH_ARGS) \
		--out $(CACHE)/bench/results.json

# Chaos and hostile endpoints at full size (not part of `make test`, which runs the same tests small):
# 300 operations on 50 ContainerGroups under faults, 20 kill -9, apiserver outages; ECI down for
# 130 s (503) then 130 s (black hole) with 1000 ContainerGroups. Figures: .cache/chaos-figures.jsonl
chaos: $(STAMP) $(KUBE_TESTENV) $(GITOPS_TOOLS)
	@mkdir -p $(CACHE) && rm -f $(CACHE)/chaos-figures.jsonl
	CHAOS_FULL=1 HOSTILE_FULL=1 CHAOS_FIGURES=$(CACHE)/chaos-figures.jsonl KUBE_TESTENV=$(KUBE_TESTENV) \
		$(BIN)/pytest -q --timeout=3600 tests/chaos tests/hostile $(PYTEST_ARGS)
	@cat $(CACHE)/chaos-figures.jsonl

# The container image, built with buildah from the Dockerfile (no Docker engine or registry needed;
# see hack/image.sh). Not part of `make test`: `make image` then `pytest tests/image`.
image:
	hack/image.sh

clean:
	rm -rf $(VENV) $(CACHE) .pytest_cache .mypy_cache .ruff_cache
