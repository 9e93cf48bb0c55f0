# modelops — developer entry points. `make help` lists them.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Node 24 on the PATH for every recipe (fetched into .tools/ when the machine's node is older).
NODE_BIN := $(shell hack/ensure-node.sh)
export PATH := $(NODE_BIN):$(PATH)

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

.PHONY: deps
deps: node_modules/.installed ## Install npm dependencies (Node 24, lockfile-exact).

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

##@ Development

.PHONY: generate
generate: deps ## Regenerate crds/ and the TypeScript API types from operator/api/.
	node hack/generate-api.ts

.PHONY: typecheck
typecheck: deps ## Type-check every TypeScript source (tsc --noEmit, strict).
	npx tsc --noEmit -p tsconfig.json

.PHONY: lint
lint: deps ## Lint every TypeScript source.
	npx eslint .

##@ Tests

.PHONY: test
test: lint typecheck test-unit test-integration $(RUNTIME_TESTS) ## Run every test (what CI runs).

.PHONY: test-unit
test-unit: deps ## Unit tests: pure functions, no servers.
	node --test --test-reporter=spec 'operator/**/*.test.ts'

.PHONY: test-integration
test-integration: deps k8s ## Integration tests against a real local control plane.
	node --test --test-reporter=spec --test-concurrency=1 'test/integration/**/*.test.ts'

##@ Local control plane

.PHONY: k8s
k8s: ## Build the pinned Kubernetes and etcd binaries (cached outside the tree by version).
	hack/build-k8s.sh
