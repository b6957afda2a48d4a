"""`diffcourse build`: master notebook -> student folder (assignments/ID) and autograder zip (dist/).

- `support.py`: the student support modules (toy.py), written from course_core sources;
- `otter.py`: otter assign on the master notebook, made deterministic;
- `package.py`: the Gradescope autograder zip with the hidden checks and our run_autograder;
- `student.py`: what makes the student folder work as handed out (locally, in a fresh Python, on Colab): the
  setup cell, tests/, README.md and requirements.txt (from `templates/`), and dist/<id>-student.zip.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from .. import course
from ..grading.cache import code_digest, digest
from .otter import BuildError, normalize_notebook, render_student, run_otter_assign  # noqa: F401
from .package import autograder_zip
from .student import digest_inputs, finish_student_folder, student_zip
from .support import support_source

__all__ = ["build_assignment", "manifest", "BuildError", "support_source"]


def build_assignment(*, assignment: str, force: bool = False, student_target: Path | None = None,
                     dist: Path | None = None, run_notebook: bool = True) -> str:
    """Build one assignment; skipped when its inputs are unchanged since the last build. `run_notebook=False`
    skips Otter's run of the master notebook (the tests' builds: the output is the same)."""
    a = course.get(assignment)
    target = student_target or a.student_dir
    dist = dist or a.course / "dist"
    zip_path, stamp = dist / f"{assignment}-autograder.zip", dist / f"{assignment}.stamp"
    student_zip_path = dist / f"{assignment}-student.zip"
    supports = [support_source(n) for n in a.config.support_files]
    inputs = digest([a.master, a.config_path], extra=[code_digest(), *supports, *digest_inputs(a)])
    outputs = (zip_path, student_zip_path, target, stamp)
    if not force and all(p.exists() for p in outputs) and stamp.read_text() == inputs:
        return f"up to date ({target.relative_to(a.course) if target.is_relative_to(a.course) else target}, {zip_path.name})"
    with tempfile.TemporaryDirectory(prefix=f"dc-build-{assignment}-") as tmp:
        out = run_otter_assign(a, Path(tmp), run_notebook=run_notebook)
        render_student(out, target)
        finish_student_folder(a, target)
        for nb in target.rglob("*.ipynb"):
            normalize_notebook(nb)
        dist.mkdir(parents=True, exist_ok=True)
        zip_path.write_bytes(autograder_zip(a, out, target))
        student_zip_path.write_bytes(student_zip(assignment, target))
    stamp.write_text(inputs)
    return f"built {target}, {zip_path} and {student_zip_path.name}"


def manifest(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under `folder` (to compare two builds)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}
