# Trainer runtime (runtime-images/trainer): included by the root Makefile.
# Python tests run in a venv over Debian's packages (hack/apt-packages/trainer.txt) plus the
# exact PyPI pins in requirements.txt; the Node parity check has its own pinned package.

TRAINER_DIR := runtime-images/trainer
TRAINER_VENV := $(TRAINER_DIR)/.venv
TRAINER_SYSTEM_PYTHON ?= /usr/bin/python3

##@ Trainer runtime

.PHONY: trainer-deps
trainer-deps: $(TRAINER_VENV)/.installed $(TRAINER_DIR)/tests/node/node_modules/.installed ## Set up the trainer's test venv (Debian torch + pinned wheels) and its Node check.

$(TRAINER_VENV)/.installed: $(TRAINER_DIR)/requirements.txt
	@$(TRAINER_SYSTEM_PYTHON) -c 'import torch, onnx, pandas, boto3, pytest' 2>/dev/null \
	  || { echo "error: Debian's python3-torch & co. are missing: apt-get install \$$(grep -v '^#' hack/apt-packages/trainer.txt)" >&2; exit 1; }
	rm -rf $(TRAINER_VENV)
	$(TRAINER_SYSTEM_PYTHON) -m venv --system-site-packages $(TRAINER_VENV)
	$(TRAINER_VENV)/bin/pip install --quiet --disable-pip-version-check --no-input -r $(TRAINER_DIR)/requirements.txt
	touch $@

$(TRAINER_DIR)/tests/node/node_modules/.installed: $(TRAINER_DIR)/tests/node/package.json $(TRAINER_DIR)/tests/node/package-lock.json
	cd $(TRAINER_DIR)/tests/node && npm ci --no-audit --no-fund
	touch $@

.PHONY: test-trainer
test-trainer: s3 deps trainer-deps ## Trainer tests: pytest on CPU (real data, ONNX parity incl. onnxruntime-node, DDP, bad data).
	cd $(TRAINER_DIR) && OMP_NUM_THREADS=1 .venv/bin/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

RUNTIME_TESTS += test-trainer
