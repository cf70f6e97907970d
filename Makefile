# ssa-vouchers — one entry point for newcomers, developers and CI.
# `make install` is idempotent: it reinstalls only when pyproject.toml changed.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install test test-dates bench lint format clean system-deps

install: system-deps $(STAMP)

$(STAMP): pyproject.toml $(wildcard package-lock.json)
	@bash scripts/system_deps.sh
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; fi
	@touch $(STAMP)

system-deps:
	@bash scripts/system_deps.sh

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# The suite with the machine's clock moved (libfaketime) to the dates that break
# software: month ends, a leap day, both DST switches, New Year's Eve. DATES picks
# some (Brussels local time, e.g. DATES="2028-02-29T12:00"); PYTEST_ARGS narrows it.
test-dates: install
	PYTEST_ARGS="$(PYTEST_ARGS)" $(PY) scripts/test_at_dates.py $(DATES)

# `make bench` runs every benchmark; `make bench wallet` (or till, intake, ...) only those named.
BENCHES := $(filter-out bench,$(MAKECMDGOALS))
ifneq ($(filter bench,$(MAKECMDGOALS)),)
.PHONY: $(BENCHES)
$(BENCHES):
	@:
endif

bench: install
	$(PY) -m bench $(BENCHES)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --strict keys

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis

.PHONY: run
# A demo caisse in ./data (created once; its passphrase is a public DEMO one), fresh
# wallet-activation and scanner-enrolment codes printed, then the server on :8000.
run: install
	@$(VENV)/bin/ssa-admin --data data demo >/dev/null
	SSA_PASSPHRASE=demo-passphrase-not-secret $(VENV)/bin/ssa-server --data data --host 127.0.0.1 --port 8000
