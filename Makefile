# The Makefile is the interface: `make run`, `make test`, `make eval`, `make bench`, `make lint`.
# Every target that runs code depends on `setup`, which installs what a fresh Debian machine lacks.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
# Tesseract with OpenMP on 2 cores runs 4-10x slower than single-threaded: one tesseract per core.
export OMP_THREAD_LIMIT := 1

.PHONY: setup system run test test-fast eval bench lint samples anchors clean

setup: system $(STAMP)

system:
	@bash scripts/setup-system.sh

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

run: setup
	$(VENV)/bin/kinerja run samples/ --out out/

test: setup
	$(VENV)/bin/pytest -q

test-fast: setup
	$(VENV)/bin/pytest -q -m "not ocr and not browser"

eval: setup
	$(PY) -m pipeline.evaluate samples/ --out eval-out/ --json eval.json

anchors: setup
	$(PY) -m pip install --quiet -e '.[dev,anchors]'

bench: anchors
	$(PY) -m pipeline.bench --out bench-out/

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

samples: setup
	$(PY) samples/generate.py

clean:
	rm -rf out/ eval-out/ bench-out/ eval.json
