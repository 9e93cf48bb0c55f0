# modelops — developer entry points. `make help` lists them.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Node 24 on the PATH for every recipe (fetched into .tools/ when the machine's node is older).
NODE_BIN := $(shell hack/ensure-node.sh)
export PATH := $(NODE_BIN):$(PATH)
BIN := node_modules/.bin

# Where `make up` / `make demo` keep the local control plane's state.
CLUSTER_DIR ?= $(CURDIR)/_output/cluster

# Each runtime image brings its own targets (runtime-images/<name>/<name>.mk) and adds its
# test target to RUNTIME_TESTS, so `make test` runs it too.
RUNTIME_TESTS :=
-include $(wildcard runtime-images/*/*.mk)

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} \
	  /^[a-zA-Z0-9_.-]+:.*?##/ { printf "  \033[36m%-22s\033[0m %s\n", $$1, $$2 } \
	  /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

.PHONY: setup
setup: ## Install what the project needs on this machine (Debian packages, Node 24); idempotent.
	hack/install-deps.sh

.PHONY: deps
deps: node_modules/.installed ## Install npm dependencies exactly as locked.

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

##@ Main job

.PHONY: demo
demo: setup deps k8s helm s3 coredns prometheus ## The Seattle weather pipeline on a local cluster (a real node with cluster DNS and Prometheus, as root): ingest, train, serve, drift, retrain, canary.
	hack/demo.sh

.PHONY: up
up: setup k8s ## Start the local control plane only (state in _output/cluster).
	hack/control-plane.sh up --dir $(CLUSTER_DIR)

.PHONY: down
down: ## Stop the local cluster (Prometheus, node with its CoreDNS, S3 store, control plane) and remove its state.
	hack/prometheus.sh down --dir $(CLUSTER_DIR)
	hack/node.sh down --dir $(CLUSTER_DIR)
	hack/s3-server.sh down --dir $(CLUSTER_DIR)/s3
	hack/control-plane.sh down --dir $(CLUSTER_DIR)

##@ Development

.PHONY: generate
generate: deps ## Regenerate crds/ and operator/api/v1alpha1/types.ts from operator/api/v1alpha1/schema/.
	node hack/generate-api.ts

.PHONY: verify-generated
verify-generated: deps ## Fail if crds/ or the generated types are stale.
	node hack/generate-api.ts --check

.PHONY: typecheck
typecheck: deps ## Type-check every TypeScript source (tsc --noEmit, strict).
	$(BIN)/tsc --noEmit -p tsconfig.json

.PHONY: lint
lint: deps ## Lint every TypeScript source.
	$(BIN)/eslint .

.PHONY: k8s
k8s: ## Build the pinned Kubernetes and etcd binaries (cached in ~/.cache/modelops by version).
	hack/build-k8s.sh

.PHONY: helm
helm: ## Build the pinned Helm from the Go module proxy (cached in ~/.cache/modelops by version).
	hack/build-helm.sh >/dev/null

.PHONY: coredns
coredns: ## Build the pinned CoreDNS, the node's cluster DNS, from the Go module proxy (cached in ~/.cache/modelops by version).
	hack/build-coredns.sh >/dev/null

.PHONY: prometheus
prometheus: ## Build the pinned Prometheus with Kubernetes discovery from the Go module proxy (cached in ~/.cache/modelops by version).
	hack/build-prometheus.sh >/dev/null

.PHONY: s3
s3: ## Build the pinned S3-compatible server, versitygw (cached in ~/.cache/modelops by version).
	hack/build-s3.sh

.PHONY: gateway
gateway: ## Build the pinned Traefik, the local clusters' Gateway API implementation (cached in ~/.cache/modelops by version).
	hack/build-traefik.sh >/dev/null

##@ Tests

.PHONY: test
test: setup lint typecheck verify-generated test-unit test-chart test-integration test-e2e $(RUNTIME_TESTS) ## Run every test (what CI runs).

.PHONY: test-unit
test-unit: deps ## Unit tests: pure functions, no servers.
	node --test --test-reporter=spec 'operator/**/*.test.ts'

.PHONY: test-chart
test-chart: setup deps helm ## Chart tests without a cluster: helm lint/template with several values sets, Argo CD Lua health checks.
	node --test --test-reporter=spec 'test/chart/**/*.test.ts'

.PHONY: test-e2e
test-e2e: setup deps k8s helm coredns prometheus gateway ## End-to-end stories on a real node (kubelet, containerd, runc, CoreDNS, Prometheus, Traefik); needs root.
	hack/build-k8s.sh kubelet kube-proxy
	node --test --test-reporter=spec --test-concurrency=1 'e2e/**/*.test.ts'

.PHONY: test-integration
test-integration: setup deps k8s helm s3 gateway trainer-deps server-deps ## Integration tests against a real control plane, S3 server, Prometheus and Traefik (started and stopped by the tests); training runs use the trainer venv, rollouts the model server.
	node --test --test-reporter=spec --test-global-setup=test/integration/global-setup.ts 'test/integration/**/*.test.ts'
