"""Otter assign on a master notebook: the student notebook (solutions stripped, public tests embedded,
export cell) and Otter's own autograder zip, made deterministic."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from .public_tests import inject as inject_public_tests
from .support import support_source


class BuildError(RuntimeError):
    """otter assign failed; the message holds the end of its log."""


def normalize_notebook(path: Path) -> None:
    """Outputs cleared and cell ids derived from content, so that a rebuild is byte-identical."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        cell.id = hashlib.sha1(f"{i}:{cell.cell_type}:{cell.source}".encode()).hexdigest()[:8]
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)


def run_otter_assign(assignment, workdir: Path, *, debug: bool = True, run_notebook: bool = True) -> Path:
    """Stage the master notebook with its support modules and run `otter assign`; returns its output folder.

    Otter runs the master notebook and its public tests (unless `run_notebook` is false: `--no-run-tests`, the
    same output without the run); with `debug` (the build), it fails on any error.
    """
    stage = workdir / "stage"
    stage.mkdir(parents=True)
    shutil.copy(assignment.master, stage / f"{assignment.id}.ipynb")
    inject_public_tests(stage / f"{assignment.id}.ipynb", assignment.id)
    for name in assignment.config.support_files:
        (stage / name).write_text(support_source(name))
    out = workdir / "otter"
    cmd = [sys.executable, "-m", "otter", "assign", *(["--debug"] if debug else []),
           *([] if run_notebook else ["--no-run-tests"]), f"{assignment.id}.ipynb", str(out)]
    proc = subprocess.run(cmd, cwd=stage, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    if proc.returncode != 0 or "Traceback" in log:
        raise BuildError(f"otter assign failed for {assignment.id}:\n{log[-3000:]}")
    return out


def render_student(otter_out: Path, target: Path) -> None:
    """Write the student folder: Otter's student output, normalized."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(otter_out / "student", target)
    for nb in target.rglob("*.ipynb"):
        normalize_notebook(nb)
