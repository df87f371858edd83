# One entry point for people and CI. Every target installs what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export PVP_HOME ?= $(CURDIR)/.pvp
# Two cores: one OpenMP thread per process keeps scikit-learn from fighting itself.
export OMP_NUM_THREADS ?= 1

.PHONY: run run-moto test test-slow test-all bench lint typecheck generate dev local clean layer package \
	lint-infra infra-tools deploy destroy smoke cost

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

LOCAL_REQUIREMENTS := layers/requirements.txt ecs_proxy/requirements.txt requirements-local.txt \
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

# make test (CI) leaves out the suites marked slow (whole runs through subprocesses,
# make run and run-moto, the fuzz, packaging: about 5 min of test time) to stay under
# 10 minutes on a fresh two-core machine; make test-slow runs them, make test-all both.
test: dev lint-infra
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy contract chalice_app ecs_proxy training_pipeline ops devtools benchmarks
	$(PY) -m pytest -q -n auto -m "not slow"

test-slow: dev infra-tools
	$(PY) -m pytest -q -n auto -m slow

test-all: test test-slow

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
	$(PY) -m benchmarks.analytics
	$(PY) -m benchmarks.batch_speed
	$(PY) -m benchmarks.batch_capacity
	$(PY) -m benchmarks.event_check
	$(PY) -m benchmarks.image_size

# The shared dependencies layer (layers/): hashed pins, Lambda's platform, bytecode.
LAYER_ZIP := build/layer/layer.zip
$(LAYER_ZIP): layers/requirements.lock devtools/infra/layer.py | $(VENV)/.dev-installed
	$(PY) -m devtools.infra.layer build
layer: $(LAYER_ZIP)

# Offline: build/$(STAGE)/ gets the merged template, the function zip and the layer zip.
STAGE ?= dev
package: dev $(LAYER_ZIP)
	$(PY) -m devtools.infra.package --stage $(STAGE) --layer $(LAYER_ZIP)

# Offline: the stage's monthly cost at rest and per 1,000 predictions, beside the old
# topology's, from the templates and the dated prices in devtools/infra/prices.json.
cost: dev
	$(PY) -m devtools.infra.cost --stage $(STAGE)

# cfn-lint, aws-sam-translator and checkov: their own environment (requirements-infra.txt).
TOOLS := .venv-tools
INFRA_TOOLS := $(TOOLS)/infra/.installed
$(INFRA_TOOLS): requirements-infra.txt
	$(PYTHON) -m venv $(TOOLS)/infra
	$(TOOLS)/infra/bin/pip install --quiet --disable-pip-version-check -r requirements-infra.txt
	touch $@
infra-tools: $(INFRA_TOOLS)

# cfn-lint and checkov on every template (each shipped stage packaged and merged),
# hadolint on both Dockerfiles. checkov skips carry their reasons in each resource.
INFRA_TEMPLATES := infra/account.yaml infra/data.yaml infra/analytics.yaml infra/network.yaml \
	infra/ecs.yaml infra/alarms.yaml infra/pipeline.yaml
lint-infra: dev $(LAYER_ZIP) $(INFRA_TOOLS)
	for stage in dev stg prd; do \
		$(PY) -m devtools.infra.package --stage $$stage --layer $(LAYER_ZIP) >/dev/null || exit 1; \
	done
	$(TOOLS)/infra/bin/cfn-lint $(INFRA_TEMPLATES) build/dev/sam.yaml build/stg/sam.yaml build/prd/sam.yaml
	$(TOOLS)/infra/bin/checkov --quiet --compact --skip-download --framework cloudformation \
		$(addprefix -f ,$(INFRA_TEMPLATES)) -f build/dev/sam.yaml -f build/stg/sam.yaml \
		-f build/prd/sam.yaml
	$(BIN)/hadolint ecs_proxy/Dockerfile training_pipeline/Dockerfile

# The AWS backend on moto_server (MOTO_PORT, default 5000) with the real model behind
# the endpoint: the account, data and functions stacks from infra/ and `make package`.
run-moto: dev $(INFRA_TOOLS) package
	PVP_STAGE=$(STAGE) $(PY) -m devtools.serve_moto --package build/$(STAGE)

# The only targets that need an AWS account (credentials and region from the usual AWS
# variables or profile). TRAIN=... VALIDATION=... upload data; DATA=1 on destroy also
# deletes the stage's data stack. DRY_RUN=1 prints the commands instead. On a stage with
# the ECS front, CERTIFICATE=<ACM ARN> API_HOST=<its name> put the internal ALB on HTTPS.
# ALARM_EMAIL=... subscribes an address to the stage's alarms.
deploy: dev $(LAYER_ZIP)
	$(PY) -m devtools.infra.deploy deploy --stage $(STAGE) $(if $(TRAIN),--train $(TRAIN)) \
		$(if $(VALIDATION),--validation $(VALIDATION)) $(if $(DRY_RUN),--dry-run) \
		$(if $(CERTIFICATE),--certificate $(CERTIFICATE)) $(if $(API_HOST),--host-name $(API_HOST)) \
		$(if $(ALARM_EMAIL),--alarm-email $(ALARM_EMAIL))

# The test invoker's events against a deployed stage (an account, like deploy); the
# delivery pipeline runs it after each stage's deploy. WAIT=seconds first waits for
# /ping to answer 200 (a fresh stage's first training run deploys its model).
smoke: local
	$(PY) -m devtools.infra.smoke --stage $(STAGE) $(if $(WAIT),--wait $(WAIT))

destroy: dev
	$(PY) -m devtools.infra.deploy destroy --stage $(STAGE) $(if $(DATA),--data) \
		$(if $(DRY_RUN),--dry-run)

clean:
	rm -rf $(VENV) $(TOOLS) .pvp .chalice/deployments build
