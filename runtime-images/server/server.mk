# Targets of the ONNX serving runtime (runtime-images/server). Included by the root Makefile.

SERVER_DIR := runtime-images/server
# Python tools live in the ignored .tools/ like Node: root eslint would otherwise lint the
# JavaScript files some PyPI packages ship.
SERVER_VENV := .tools/server-venv
SERVER_MODELS := $(SERVER_DIR)/test/fixtures/models
# onnx + numpy build the fixture models. The s3:// tests use versitygw (hack/build-s3.sh).
SERVER_PY_PINS := onnx==1.19.1 numpy==2.3.4

RUNTIME_TESTS += test-server

##@ Serving runtime (runtime-images/server)

.PHONY: server-deps
server-deps: $(SERVER_DIR)/node_modules/.installed ## Install the server's npm dependencies (lockfile-exact).

$(SERVER_DIR)/node_modules/.installed: $(SERVER_DIR)/package.json $(SERVER_DIR)/package-lock.json
	cd $(SERVER_DIR) && npm ci --no-audit --no-fund
	touch $@

$(SERVER_VENV)/.installed:
	python3 -m venv $(SERVER_VENV)
	$(SERVER_VENV)/bin/pip install --quiet --disable-pip-version-check $(SERVER_PY_PINS)
	touch $@

.PHONY: server-models
server-models: $(SERVER_VENV)/.installed ## Regenerate the fixture ONNX models (deterministic; committed).
	$(SERVER_VENV)/bin/python $(SERVER_DIR)/test/fixtures/make_models.py $(SERVER_MODELS)

# The models are committed (a few KB); they are rebuilt only when missing.
$(SERVER_MODELS)/classifier/model.onnx:
	$(MAKE) server-models

.PHONY: typecheck-server
typecheck-server: server-deps ## Type-check the server (tsc --noEmit, strict).
	cd $(SERVER_DIR) && npx tsc --noEmit -p tsconfig.json

.PHONY: test-server
test-server: s3 server-deps typecheck-server $(SERVER_VENV)/.installed $(SERVER_MODELS)/classifier/model.onnx ## Server tests: real models, real HTTP on loopback, promtool.
	@command -v promtool >/dev/null || { echo "promtool missing: apt-get install \$$(cat hack/apt-packages/server.txt)"; exit 1; }
	cd $(SERVER_DIR) && node --test --test-reporter=spec --test-concurrency=1 'test/**/*.test.ts'

.PHONY: run-server
run-server: server-deps ## Serve the fixture classifier on :8080 (MODEL_URI etc. override).
	cd $(SERVER_DIR) && MODEL_URI=$${MODEL_URI:-file://$$PWD/test/fixtures/models/classifier/model.onnx} \
	  REFERENCE_PROFILE=$${REFERENCE_PROFILE:-file://$$PWD/test/fixtures/models/classifier/profile.json} \
	  MODEL_NAME=$${MODEL_NAME:-weather} node src/main.ts

.PHONY: bench-server
bench-server: server-deps $(SERVER_VENV)/.installed ## Benchmarks of docs/performance-server.md (loopback only, a few minutes).
	bench/server/run.sh

.PHONY: image-server
image-server: ## Build the CPU server image (docker or podman).
	$${CONTAINER_TOOL:-docker} build -t modelops/server:dev --target cpu $(SERVER_DIR)

.PHONY: image-server-gpu
image-server-gpu: ## Build the GPU server image (CUDA 12 runtime base, CUDA execution provider).
	$${CONTAINER_TOOL:-docker} build -t modelops/server:dev-gpu --target gpu $(SERVER_DIR)
