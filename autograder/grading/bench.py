"""Benchmark (not a test): what grading one submission costs, end to end as a TA runs it.

    python -m autograder.grading.bench [--repeats N] [ID ...]        (or: make bench)

For each assignment's reference submission it times, interleaved, `repeats` times each:
- plain: `jupyter nbconvert --to notebook --execute` of the notebook beside its support files (what a
  student's Restart & Run All costs, in a fresh process);
- graded: `diffcourse grade ID FOLDER --out OUT --no-cache --workers 1` in a fresh process, every check
  and the process boundary included;
and prints the best of each, their ratio, and where the graded run's time went (from the result's phases).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from .. import course


def _timed(cmd: list, cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return time.perf_counter() - start


def plain(assignment, notebook: Path, tmp: Path) -> float:
    folder = tmp / "plain"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(assignment.student_dir, folder)
    shutil.copy(notebook, folder / f"{assignment.id}.ipynb")
    return _timed([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                   "--output", "executed.ipynb", f"{assignment.id}.ipynb"], folder)


def graded(assignment, notebook: Path, tmp: Path) -> tuple[float, dict]:
    inbox, out = tmp / "in", tmp / "out"
    shutil.rmtree(inbox, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    inbox.mkdir()
    shutil.copy(notebook, inbox / notebook.name)
    seconds = _timed([sys.executable, "-m", "autograder.cli", "grade", assignment.id, str(inbox), "--out", str(out),
                      "--no-cache", "--workers", "1"], tmp)
    [entry] = list((out / ".cache").glob("*.json"))
    result = json.loads(entry.read_text())
    if result["total"] != result["possible"]:
        raise RuntimeError(f"{notebook} was not graded full marks: {result['notes']}")
    return seconds, result["phases"]


@click.command(help=__doc__.split("\n\n")[0])
@click.argument("ids", nargs=-1)
@click.option("--repeats", default=2, show_default=True, help="Interleaved runs of each; the best is reported.")
@click.option("--submission", default="reference.ipynb", show_default=True, help="File in tests/submissions/ID/.")
def main(ids, repeats, submission) -> None:
    header = (f"{'assignment':<11} {'plain s':>8} {'graded s':>9} {'graded/plain':>13}   "
              "graded run: worker+kernel start, notebook, checks, rest (s)")
    click.echo(header)
    click.echo("-" * len(header))
    for assignment_id in ids or course.assignment_ids():
        a = course.get(assignment_id)
        notebook = a.examples_dir / submission
        times = {"plain": [], "graded": []}
        phases = {}
        with tempfile.TemporaryDirectory(prefix="dc-bench-") as tmp:
            for _ in range(repeats):
                times["plain"].append(plain(a, notebook, Path(tmp)))
                seconds, run_phases = graded(a, notebook, Path(tmp))
                if not times["graded"] or seconds < min(times["graded"]):
                    phases = {**run_phases, "total": seconds}
                times["graded"].append(seconds)
        p, g = min(times["plain"]), min(times["graded"])
        start, cells, checks = (phases.get(k, 0.0) for k in ("start", "notebook", "checks"))
        rest = phases["total"] - start - cells - checks
        click.echo(f"{assignment_id:<11} {p:>8.1f} {g:>9.1f} {g / p:>13.2f}   "
                   f"{start:.1f}, {cells:.1f}, {checks:.1f}, {rest:.1f}")


if __name__ == "__main__":
    main()
