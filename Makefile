# A fresh clone needs two commands: `make demo` and `make test` (both idempotent).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Assignments are discovered: one per grading_config/<id>.toml.
ASSIGNMENTS = $(patsubst grading_config/%.toml,%,$(wildcard grading_config/*.toml))
# End-to-end grading is split per assignment (xdist groups), so assignments are graded in parallel; the slowest
# tests are listed at the end, so a CI log shows where the time goes. Three xdist workers on the 2-core CI machine:
# much of the suite waits (kernels starting, limits running out, nodes being killed), and two left the cores about a
# third idle. Three once made the hostile memory bomb's cell (then writing 3 GiB) run past its limit; it now only asks.
PYTEST_ARGS ?= -n 3 --dist loadgroup --durations=25

.PHONY: demo test venv build bench clean lab student-venv

venv: $(STAMP)

# The student's kernel is graded behind bubblewrap where the machine allows it (autograder/boundary/sandbox.py; the
# grade table says which walls were up). As root with apt (CI, a grading server) it is installed here; elsewhere
# grading goes on behind the walls it can have, and the tests that need the others are skipped, saying why.
SANDBOX_STAMP := $(VENV)/.sandbox-tools
$(SANDBOX_STAMP): $(STAMP)
	@command -v bwrap >/dev/null || { [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null && \
	  { apt-get install -y -qq bubblewrap >/dev/null 2>&1 || { apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; }; }; } || \
	  echo "bubblewrap is not installed (apt-get install bubblewrap): the kernel is graded behind fewer walls"
	@touch $(SANDBOX_STAMP)

# torch is pinned to the CPU wheel first so pip never resolves a multi-GB CUDA build;
# pyproject.toml accepts a range so GPU runners can bring their own build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The student's way in, from this checkout: `make lab A=<id>` opens the notebook in JupyterLab (the `student` extra).
# It works on a copy, work/<id>/ (git-ignored), made once from assignments/<id>/ and never overwritten: a rebuild
# replaces assignments/<id>/ whole. LAB_ARGS passes options to jupyter lab (e.g. LAB_ARGS=--no-browser); as root
# (a container) it needs --allow-root, given by default there.
LAB_STAMP := $(VENV)/.installed-student
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)
ifneq ($(filter lab,$(MAKECMDGOALS)),)
ifeq ($(wildcard assignments/$(A)/$(A).ipynb),)
$(error usage: make lab A=<id>, with <id> one of: $(ASSIGNMENTS))
endif
endif

$(LAB_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,student]'
	touch $(LAB_STAMP)

lab: $(LAB_STAMP)
	@if [ -d work/$(A) ]; then echo "work/$(A) exists: opening your copy (delete it to start again from assignments/$(A))"; \
	 else mkdir -p work && cp -R assignments/$(A) work/$(A) && echo "copied assignments/$(A) to work/$(A)"; fi
	cd work/$(A) && ../../$(BIN)/jupyter lab $(LAB_ARGS) $(A).ipynb

# The student's own Python that tests/test_student_setup.py runs the notebook in (only the assignment's
# requirements.txt); the standard library makes it, so `.ci/run` starts it while pip fills $(VENV).
student-venv:
	$(PYTHON) tests/student_venv.py

build: $(STAMP) $(SANDBOX_STAMP)
	$(BIN)/diffcourse build

# A representative set per assignment: the reference, the skeleton, two mistakes and a notebook that kills its
# kernel (the end-to-end tests grade every bundled submission). Unchanged results are reused from reports/ID/.cache.
# Each assignment's class report is reports/ID/class_report.html; the gradebook of all of them reports/gradebook.csv.
# Then a sample mock exam and its answer key (reports/exam/).
demo: build
	@for a in $(ASSIGNMENTS); do \
	  d=reports/demo-in/$$a; rm -rf $$d; mkdir -p $$d; \
	  cp tests/submissions/$$a/reference.ipynb tests/submissions/$$a/skeleton.ipynb tests/submissions/$$a/hostile_monkeypatch.ipynb $$d/; \
	  cp $$(ls tests/submissions/$$a/wrong_*.ipynb | head -n 2) $$d/; \
	  $(BIN)/diffcourse grade $$a $$d --out reports/$$a --workers 2 --cell-timeout 40 --call-timeout 5 || exit 1; \
	  echo; \
	done
	$(BIN)/diffcourse gradebook reports
	$(BIN)/diffcourse exam --seed 236759 --out reports/exam

test: $(STAMP) $(SANDBOX_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: build
	$(BIN)/python -m autograder.grading.bench

clean:
	rm -rf dist reports
