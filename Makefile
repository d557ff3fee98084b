# onestep: `make up` runs the system on this machine, `make test` runs every test.
# Both set up what they need: the Python environment (uv, from requirements.lock) and
# the Apache Kafka jars (Maven, from deploy/kafka/pom.xml).

# The environment's interpreter: Debian's python3.11 where the machine has it, a build that is
# profile-guided and link-time optimized, as the images' python:3.11-slim is. A default build
# from source (pyenv's, first on this machine's PATH) is neither, and its services took about
# 8 % more CPU a case (docs/performance-history.md). `make PYTHON=...` picks another.
PYTHON ?= $(or $(wildcard /usr/bin/python3.11),python3.11)
VENV := .venv
BIN := $(VENV)/bin
LOCAL_PACKAGES := libs/contracts libs/runtime deploy/local services/intake services/case-ledger services/department-gateway services/notify
# A department adapter in a package of its own, installed as a department would install theirs (the tests use it).
EXAMPLE_PACKAGES := examples/checklist-adapter
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)

.PHONY: up test unit integration e2e simulate bench dlq env jars lint format lock schemas clean

up: env jars
	$(BIN)/onestep-up

test: env jars lint
	$(BIN)/python -m pytest tests

# Many applicants through the system `make up` runs (in another terminal); ARGS="--cases 1000" etc.
simulate: env
	$(BIN)/onestep-simulate $(ARGS)

# The benchmark (not a test): starts its own system, loads it, prints figures against the
# targets and writes JSON under var/bench/; ARGS="--store postgres", ARGS="--throughput-s 120" etc.
bench: env jars
	$(BIN)/onestep-bench $(ARGS)

# The dead-letter topic of the running system: ARGS="list", ARGS="replay --service case-ledger" (see onestep-dlq --help).
dlq: env
	$(BIN)/onestep-dlq $(ARGS)

unit: env
	$(BIN)/python -m pytest tests/unit

integration: env jars
	$(BIN)/python -m pytest tests/integration

e2e: env jars
	$(BIN)/python -m pytest tests/e2e

# The environment is rebuilt whenever the lock or a package's metadata changes. Every module
# is compiled to bytecode beforehand (the images' pip install does the same): with
# PYTHONDONTWRITEBYTECODE set, as here and in the images, each process would otherwise compile
# every module it imports from source at its start, about 2 s of CPU a service.
env: $(VENV)/.synced
	@$(BIN)/python -m compileall -q -j 0 $(addsuffix /src,$(LOCAL_PACKAGES) $(EXAMPLE_PACKAGES)) >/dev/null

$(VENV)/.synced: requirements.lock $(addsuffix /pyproject.toml,$(LOCAL_PACKAGES) $(EXAMPLE_PACKAGES)) $(VENV)/.interpreter
	@command -v $(UV) >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --user uv \
	  || $(PYTHON) -m pip install --quiet --user --break-system-packages uv \
	  || python3.11 -m pip install --quiet --user uv
	$(UV) venv --quiet --allow-existing -p $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --compile-bytecode -p $(BIN)/python --require-hashes requirements.lock
	$(UV) pip install --quiet -p $(BIN)/python --no-deps $(addprefix -e ,$(LOCAL_PACKAGES))
	$(UV) pip install --quiet -p $(BIN)/python --no-deps $(addprefix -e ,$(EXAMPLE_PACKAGES))
	@touch $@

# The interpreter chosen, rewritten only when it changes: the environment is then made anew on it.
$(VENV)/.interpreter: FORCE
	@mkdir -p $(VENV)
	@echo '$(PYTHON)' | cmp -s - $@ || echo '$(PYTHON)' > $@

FORCE:

jars: deploy/kafka/libs/.resolved

deploy/kafka/libs/.resolved: deploy/kafka/pom.xml
	mvn -q -B -f deploy/kafka/pom.xml dependency:copy-dependencies
	@touch $@

lint: env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: env
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-pin third-party packages with hashes (no index address is written).
lock:
	$(UV) pip compile requirements.in --generate-hashes --python-version 3.11 -o requirements.lock

schemas: env
	$(BIN)/onestep-schemas libs/contracts/schemas

clean:
	rm -rf $(VENV) deploy/kafka/libs var
