"""Benchmark (not a test): grading time per submission, side by side in one run, against plain
execution of the same notebook and against `otter run` with the same autograder zip.

    python -m autograder.bench [--repeats N] [ASSIGNMENT ...]      (or: make bench)

Prints one row per (assignment, submission) with the median seconds of each and the ratios.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .assignments import ASSIGNMENTS, REPO, student_dir
from .batch import grade_folder


def plain_execution(notebook: Path, assignment: str) -> float:
    """Restart & Run All, as a student would: one kernel, every cell, errors allowed."""
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(student_dir(assignment), tmp, dirs_exist_ok=True)
        nb = nbformat.read(notebook, as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": tmp}}).execute()
        return time.perf_counter() - start


def diffcourse_grading(notebook: Path, assignment: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "in"
        inbox.mkdir()
        shutil.copy(notebook, inbox / notebook.name)
        start = time.perf_counter()
        grade_folder(assignment=assignment, submissions=inbox, out=Path(tmp) / "out", progress=False)
        return time.perf_counter() - start


def otter_run(notebook: Path, assignment: str) -> float:
    zip_path = REPO / "dist" / f"{assignment}-autograder.zip"
    with tempfile.TemporaryDirectory() as tmp:
        sub = Path(tmp) / f"{assignment}.ipynb"
        shutil.copy(notebook, sub)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "otter", "run", "-a", str(zip_path), "-o", tmp, str(sub)],
                       capture_output=True, timeout=1200)
        return time.perf_counter() - start


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS))
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--submissions", nargs="*", default=["reference.ipynb", "skeleton.ipynb"])
    args = ap.parse_args(argv)
    header = f"{'assignment':<11} {'submission':<16} {'plain s':>8} {'graded s':>9} {'otter run s':>12} {'graded/plain':>13} {'graded/otter':>13}"
    print(header)
    print("-" * len(header))
    for assignment in args.assignments:
        for name in args.submissions:
            notebook = REPO / "tests" / "submissions" / assignment / name
            times = {k: [] for k in ("plain", "ours", "otter")}
            for _ in range(args.repeats):
                times["plain"].append(plain_execution(notebook, assignment))
                times["ours"].append(diffcourse_grading(notebook, assignment))
                times["otter"].append(otter_run(notebook, assignment))
            p, o, t = (statistics.median(times[k]) for k in ("plain", "ours", "otter"))
            print(f"{assignment:<11} {Path(name).stem:<16} {p:>8.1f} {o:>9.1f} {t:>12.1f} {o / p:>13.2f} {o / t:>13.2f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
