#!/usr/bin/env bash
# Installs diffcourse (with its `ray` extra) into a Python that already has torch, keeping that torch; builds every
# assignment; checks that the grader starts. The Dockerfile's one RUN of real work, so that the same steps run, and
# are tested, outside Docker (tests/test_docker.py).
#
#   usage: install.sh [COURSE]    COURSE: the checkout to install (default: the one holding this script)
#   PYTHON=...                   the interpreter to install into (default: python3 on PATH)
#   DIFFCOURSE_SKIP_BUILD=1      skip `diffcourse build` (otter assign runs every master notebook: minutes)
#
# The image's torch is the CUDA build the runner exists for: pip must not swap it for another one (a PyPI wheel of
# another version or CUDA). It is held with a constraint (torch==its installed version), and checked after the
# install: version, CUDA version and location must be unchanged, or the script fails.
set -euo pipefail

die() { echo "install.sh: $*" >&2; exit 1; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
course="$(cd "${1:-$here/../..}" && pwd)"
python="${PYTHON:-python3}"
if [ ! -f "$course/pyproject.toml" ] || [ ! -d "$course/grading_config" ]; then
  die "$course is not the course's checkout (no pyproject.toml and grading_config/)"
fi
export DIFFCOURSE_ROOT="$course"  # build and list this checkout, whatever the caller's environment says

torch_state='import importlib.metadata as m, torch
print("torch %s (CUDA %s) at %s" % (m.version("torch"), torch.version.cuda, torch.__file__))'
before="$("$python" -c "$torch_state")" || die "$python has no torch that pip can see: this script installs next to an existing torch (the base image's)"
echo "before: $before"
torch_version="$("$python" -c 'import importlib.metadata as m; print(m.version("torch"))')"

# Build the package with the interpreter's own setuptools where it can (no download); else pip's isolated build
# fetches setuptools from the package index. setuptools >= 70.1 builds wheels by itself; 68 to 70.0 needs `wheel`.
isolation=()
if "$python" -c 'import importlib.util, sys, setuptools
v = tuple(int(p) for p in setuptools.__version__.split(".")[:2])
sys.exit(not (v >= (70, 1) or (v >= (68, 0) and importlib.util.find_spec("wheel"))))' 2>/dev/null; then
  isolation=(--no-build-isolation)
  echo "building diffcourse with $python's own setuptools"
else
  echo "building diffcourse in pip's isolated environment (setuptools from the package index)"
fi

constraints="$(mktemp)"
trap 'rm -f "$constraints"' EXIT
echo "torch==$torch_version" >"$constraints"
"$python" -m pip install --no-cache-dir --constraint "$constraints" "${isolation[@]}" --editable "${course}[ray]" ||
  die "pip could not install diffcourse next to torch $torch_version (held: pip may not replace it); use a base image whose torch meets pyproject.toml's range"

after="$("$python" -c "$torch_state")"
[ "$after" = "$before" ] || die "pip replaced torch: before: $before; after: $after"
echo "torch unchanged: $after"

bin="$("$python" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
if [ "${DIFFCOURSE_SKIP_BUILD:-0}" = 1 ]; then
  echo "diffcourse build: skipped (DIFFCOURSE_SKIP_BUILD=1)"
else
  "$bin/diffcourse" build
fi

# Smoke check: the command lists the assignments; the installed package is this checkout (imported from /, so a
# folder named autograder/ in the working directory cannot stand in for it); the sandbox's probe runs (the walls a
# `docker build` gives are fewer than `docker run --privileged` does: its line is for the log, not a gate).
assignments="$("$bin/diffcourse" list)"
[ -n "$assignments" ] || die "diffcourse list printed no assignment"
echo "assignments: ${assignments//$'\n'/ }"
cd /
"$python" -c 'import pathlib, sys, autograder
from autograder.boundary import sandbox
source = pathlib.Path(autograder.__file__).resolve().parents[1]
if source != pathlib.Path(sys.argv[1]).resolve():
    sys.exit(f"autograder is imported from {source}, not from {sys.argv[1]}")
print(sandbox.probe("auto").summary())' "$course"
