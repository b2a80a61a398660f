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

run: setup
	$(VENV)/bin/darkfigure compare data/capture_tables/UKdat_5.csv

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
