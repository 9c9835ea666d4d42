# kapso-platform: every target sets up what it needs from the committed locks (uv.lock,
# mock/package-lock.json), so a fresh clone needs only Python 3.11+, git, make, npm and the
# package registries.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS_DIR := .tools
UV := $(TOOLS_DIR)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
SYNCED := $(VENV)/.synced
PRISM := mock/node_modules/.bin/prism
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never

.PHONY: help setup regen check dist-check test lint mock demo bench spec-diff spec-update clean

help:
	@echo "make demo         set up, verify generated code, erase a contact through the Prism mock"
	@echo "make test         contract checks and the whole test suite"
	@echo "make regen        regenerate generated/ from openapi-platform.yaml (SPEC=.. OUT=.. [PATCH=..])"
	@echo "make check        spec validity, spec.lock, generated/ freshness, the overlay's contract"
	@echo "make dist-check   pip-install generated/ alone into an empty venv and import it"
	@echo "make spec-diff    OLD=a.yaml NEW=b.yaml: breaking-change report"
	@echo "make spec-update  [SPEC_URL=..|SPEC_FILE=..]: vendor a new upstream spec, regen, check"
	@echo "make lint         ruff and mypy --strict"
	@echo "make mock         serve the vendored spec with Prism on 127.0.0.1:$${MOCK_PORT:-4010}"
	@echo "make bench        benchmarks (ratios measured in one run)"

setup: $(SYNCED) $(PRISM)

$(UV):
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version'
	$(PYTHON) -m venv $(TOOLS_DIR)
	$(TOOLS_DIR)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(SYNCED): $(UV) uv.lock pyproject.toml generated/kapso-platform-api-client/pyproject.toml
	$(UV) sync --frozen --python $(PYTHON) --quiet
	@touch $@

$(PRISM): mock/package.json mock/package-lock.json
	npm ci --prefix mock --no-audit --no-fund --loglevel=error
	@touch $@

regen: $(SYNCED)
	$(PY) -m tools.regen $(if $(SPEC),--spec $(SPEC)) $(if $(OUT),--out $(OUT)) $(if $(PATCH),--patch $(PATCH))

check: $(SYNCED)
	$(PY) -m tools.check

# The generated distribution must install on its own, from the package registry, into an empty
# venv: run here rather than in pytest, because tests never reach the network.
dist-check: $(UV)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(UV) venv --quiet --python $(PYTHON) "$$tmp/venv" && \
	$(UV) pip install --quiet --python "$$tmp/venv/bin/python" ./generated/kapso-platform-api-client && \
	(cd "$$tmp" && "$$tmp/venv/bin/python" -c "import kapso_platform_api_client.api.contacts.erase_whatsapp_contact") && \
	echo "dist-check: generated/kapso-platform-api-client installs and imports in an empty venv"

test: setup check dist-check
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(SYNCED)
	$(PY) -m ruff check overlay tests tools bench
	$(PY) -m ruff format --check overlay tests tools bench
	$(PY) -m mypy

mock: setup
	$(PRISM) mock --host 127.0.0.1 --port $${MOCK_PORT:-4010} openapi-platform.yaml

demo: setup check
	$(PY) -m tools.demo

bench: setup
	$(PY) -m bench

spec-diff: $(SYNCED)
	@[ -n "$(OLD)" ] && [ -n "$(NEW)" ] || { echo "make spec-diff: pass OLD=a.yaml NEW=b.yaml (e.g. OLD=openapi-platform.yaml NEW=../shared/specs/kapso/openapi-platform.yaml)" >&2; exit 2; }
	$(PY) -m tools.spec_diff $(OLD) $(NEW)

spec-update: setup
	$(PY) -m tools.spec_update $(if $(SPEC_URL),--url $(SPEC_URL)) $(if $(SPEC_FILE),--file $(SPEC_FILE))

clean:
	rm -rf $(VENV) $(TOOLS_DIR) mock/node_modules .pytest_cache .mypy_cache .ruff_cache
