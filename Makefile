# darkfigure: `make run` sets up and starts the platform; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export PYTENSOR_FLAGS ?= blas__ldflags=-lblas
export DARKFIGURE_HOME ?= $(CURDIR)/var

.PHONY: setup run test test-fast slow lint format bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

# The demo: a synthetic nation through the real intake path, then the dashboard.
# A warehouse already built is reused; DEMO_SIZE=full builds 2022-2025 for every force.
DEMO_SIZE ?= small
PORT ?= 8501
run: setup
	DARKFIGURE_DEMO=1 $(VENV)/bin/darkfigure demo --size $(DEMO_SIZE)
	DARKFIGURE_DEMO=1 $(VENV)/bin/darkfigure dashboard --port $(PORT)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy darkfigure collection validation estimation dashboards

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: setup lint
	$(PY) -m pytest -n 2 -q

test-fast: setup
	$(PY) -m pytest -n 2 -q -x

slow: setup
	$(PY) -m pytest -n 2 -q -m slow

bench: setup
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) var build *.egg-info
