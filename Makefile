# A fresh clone needs two commands: `make demo` and `make test` (both idempotent).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Assignments are discovered: one per grading_config/<id>.toml.
ASSIGNMENTS = $(patsubst grading_config/%.toml,%,$(wildcard grading_config/*.toml))
# End-to-end grading is split per assignment (xdist groups), so assignments are graded in parallel.
PYTEST_ARGS ?= -n 2 --dist loadgroup

.PHONY: demo test venv build bench clean

venv: $(STAMP)

# torch is pinned to the CPU wheel first so pip never resolves a multi-GB CUDA build;
# pyproject.toml accepts a range so GPU runners can bring their own build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

build: $(STAMP)
	$(BIN)/diffcourse build

# A representative set per assignment: the reference, the skeleton, two mistakes and a notebook that kills its
# kernel (the end-to-end tests grade every bundled submission). Unchanged results are reused from reports/ID/.cache.
demo: build
	@for a in $(ASSIGNMENTS); do \
	  d=reports/demo-in/$$a; rm -rf $$d; mkdir -p $$d; \
	  cp tests/submissions/$$a/reference.ipynb tests/submissions/$$a/skeleton.ipynb tests/submissions/$$a/hostile_os_exit.ipynb $$d/; \
	  cp $$(ls tests/submissions/$$a/wrong_*.ipynb | head -n 2) $$d/; \
	  $(BIN)/diffcourse grade $$a $$d --out reports/$$a --workers 2 --cell-timeout 40 --call-timeout 5 || exit 1; \
	  echo; \
	done

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: build
	$(BIN)/python -m autograder.grading.bench

clean:
	rm -rf dist reports
