# One entry point for people and CI. Every target installs what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export PVP_HOME ?= $(CURDIR)/.pvp
# Two cores: one OpenMP thread per process keeps scikit-learn from fighting itself.
export OMP_NUM_THREADS ?= 1

.PHONY: run run-moto test bench lint typecheck generate dev local clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

LOCAL_REQUIREMENTS := requirements.txt ecs_proxy/requirements.txt requirements-local.txt \
	training_pipeline/requirements.txt
DEV_REQUIREMENTS := $(LOCAL_REQUIREMENTS) requirements-sagemaker.txt requirements-dev.txt

$(VENV)/.local-installed: $(LOCAL_REQUIREMENTS) | $(BIN)/activate
	$(PY) -m pip install --quiet -r requirements-local.txt
	touch $@

$(VENV)/.dev-installed: $(DEV_REQUIREMENTS) | $(BIN)/activate
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.local-installed $@

local: $(VENV)/.local-installed
dev: $(VENV)/.dev-installed

run: local
	$(PY) -m devtools.serve_local

# The AWS backend on moto_server (MOTO_PORT, default 5000) with the real model behind
# the endpoint; moto comes with the dev requirements.
run-moto: dev
	$(PY) -m devtools.serve_moto

test: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy contract chalice_app ecs_proxy training_pipeline ops devtools benchmarks
	$(PY) -m pytest -q

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: dev
	$(BIN)/mypy contract chalice_app ecs_proxy training_pipeline ops devtools benchmarks

# Rewrite every generated file (OpenAPI document, configuration table, ...) from the code.
generate: dev
	$(PY) -m devtools.generate

bench: dev
	@# wrk measures the API best; without it api_speed falls back to a Python client.
	@command -v wrk >/dev/null || apt-get install -y wrk >/dev/null 2>&1 \
		|| (apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null 2>&1) \
		|| echo "wrk not installed: benchmarks.api_speed uses its Python load generator"
	$(PY) -m benchmarks.compare_models
	$(PY) -m benchmarks.model_speed
	$(PY) -m benchmarks.pipeline_speed
	$(PY) -m benchmarks.api_speed
	$(PY) -m benchmarks.api_speed_aws
	$(PY) -m benchmarks.batch_speed
	$(PY) -m benchmarks.batch_capacity

clean:
	rm -rf $(VENV) .pvp .chalice/deployments
