# The Makefile is the interface: `make run`, `make test`, `make eval`, `make bench`, `make lint`.
# Every target that runs code depends on `setup`, which installs what a fresh Debian machine lacks.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
# Tesseract with OpenMP on 2 cores runs 4-10x slower than single-threaded: one tesseract per core.
export OMP_THREAD_LIMIT := 1

.PHONY: setup system compiled run test test-fast eval bench lint samples anchors clean

setup: system $(STAMP) compiled

# The repair's hot modules compiled by mypyc (lexicon/compiled.py): rebuilt when a source changed,
# a no-op otherwise; without a C compiler the repair runs as plain Python, at the same results.
compiled: $(STAMP)
	@$(PY) scripts/build_compiled.py

system:
	@bash scripts/setup-system.sh

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

# samples/bad/ holds a deliberately truncated PDF, so the sample run ends with exit code 3
# ("some files failed", docs/errors.md); anything else is a real failure.
run: setup
	@$(VENV)/bin/kinerja run samples/ --out out/; code=$$?; \
	if [ $$code -eq 3 ]; then echo "(exit 3 as expected: samples/bad/ holds a corrupt PDF; see out/documents.csv)"; \
	elif [ $$code -ne 0 ]; then exit $$code; fi

# The tests fail if the compiled build is not in use (tests/test_compiled.py): a fresh machine
# must get it, and it must give the plain modules' results.
test: setup
	KINERJA_REQUIRE_COMPILED=1 $(VENV)/bin/pytest -q

test-fast: setup
	KINERJA_REQUIRE_COMPILED=1 $(VENV)/bin/pytest -q -m "not ocr and not browser"

eval: setup
	$(PY) -m pipeline.evaluate samples/ --out eval-out/ --json eval.json

# The anchors (img2table) live in their own venv: img2table pulls opencv-contrib-python, whose
# cv2 would shadow the project's opencv-python-headless. The spec is the `anchors` extra.
ANCHORS_VENV := .venv-anchors
ANCHORS_STAMP := $(ANCHORS_VENV)/.installed-img2table-2

anchors: setup $(ANCHORS_STAMP)

$(ANCHORS_STAMP):
	@test -x $(ANCHORS_VENV)/bin/python || python3 -m venv $(ANCHORS_VENV)
	$(ANCHORS_VENV)/bin/pip install --quiet 'img2table>=2.0,<3' 'pytesseract>=0.3.10'
	@touch $@

bench: anchors
	$(PY) -m pipeline.bench --out bench-out/ --anchors-python $(ANCHORS_VENV)/bin/python

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

samples: setup
	$(PY) samples/generate.py

clean:
	rm -rf out/ eval-out/ bench-out/ eval.json $(ANCHORS_VENV)
