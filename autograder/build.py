"""`diffcourse build`: master notebook -> student folder (assignments/ID) and autograder zip (dist/).

Otter assign does the notebook work (solutions stripped, public tests embedded, export cell). This
module stages its inputs (the master notebook and the support modules from `course_core`), makes the
result deterministic (Otter gives new cells random ids), and repacks Otter's autograder zip with the
hidden checks and a `run_autograder` that grades outside the student's kernel.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat

from .assignments import REPO, check_id, inputs_digest, load_config, master_notebook, student_dir

_FIXED_TIME = (2020, 1, 1, 0, 0, 0)
_RUN_AUTOGRADER = """#!/usr/bin/env bash
# Written by diffcourse: grades the submission in a kernel of its own and calls the student's functions
# from outside it (Otter's runner would execute the hidden tests inside the student's kernel).
set -euo pipefail
cd /autograder/source
python -m autograder.gradescope {assignment} /autograder/submission /autograder/results/results.json
"""
_SETUP_EXTRA = """
# diffcourse: the grader and the reference implementations
pip install /autograder/source
"""


class BuildError(RuntimeError):
    """otter assign failed; the message holds the end of its log."""


def _support_sources(assignment: str) -> list[Path]:
    return [REPO / "course_core" / name for name in load_config(assignment).support_files]


def normalize_notebook(path: Path) -> None:
    """Outputs cleared and cell ids derived from content, so that a rebuild is byte-identical."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        cell.id = hashlib.sha1(f"{i}:{cell.cell_type}:{cell.source}".encode()).hexdigest()[:8]
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)


def run_otter_assign(assignment: str, workdir: Path) -> Path:
    """Stage the master notebook with its support files and run `otter assign --debug`; returns its output folder."""
    stage = workdir / "stage"
    stage.mkdir(parents=True)
    shutil.copy(master_notebook(assignment), stage / f"{assignment}.ipynb")
    for src in _support_sources(assignment):
        shutil.copy(src, stage / src.name)
    out = workdir / "otter"
    proc = subprocess.run([sys.executable, "-m", "otter", "assign", "--debug", f"{assignment}.ipynb", str(out)],
                          cwd=stage, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    if proc.returncode != 0 or "Traceback" in log:
        raise BuildError(f"otter assign failed for {assignment}:\n{log[-3000:]}")
    return out


def render_student(assignment: str, otter_out: Path, target: Path) -> None:
    """Write the student folder: Otter's student output, normalized."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(otter_out / "student", target)
    for nb in target.rglob("*.ipynb"):
        normalize_notebook(nb)


def _zip_add(zf: zipfile.ZipFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.external_attr = (mode & 0xFFFF) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def autograder_zip(assignment: str, otter_out: Path, student: Path) -> bytes:
    """Otter's autograder zip plus the hidden checks, the reference code and our run_autograder."""
    [otter_zip] = sorted((otter_out / "autograder").glob("*.zip"))
    entries: dict[str, tuple[bytes, int]] = {}
    with zipfile.ZipFile(otter_zip) as zf:
        for info in zf.infolist():
            if not info.is_dir():
                entries[info.filename] = (zf.read(info), 0o755 if info.filename.endswith(".sh") else 0o644)
    entries["run_autograder"] = (_RUN_AUTOGRADER.format(assignment=assignment).encode(), 0o755)
    entries["setup.sh"] = (entries.get("setup.sh", (b"#!/usr/bin/env bash\n", 0))[0] + _SETUP_EXTRA.encode(), 0o755)
    sources = [REPO / "pyproject.toml", REPO / "README.md", REPO / "grading_config" / f"{assignment}.toml"]
    for package in ("autograder", "course_core"):
        sources += sorted(p for p in (REPO / package).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in sources:
        if path.exists():
            entries[f"source/{path.relative_to(REPO)}"] = (path.read_bytes(), 0o644)
    for path in sorted(p for p in student.rglob("*") if p.is_file()):
        entries[f"source/assignments/{assignment}/{path.relative_to(student)}"] = (path.read_bytes(), 0o644)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(entries):
            _zip_add(zf, name, *entries[name])
    return buf.getvalue()


def build_assignment(*, assignment: str, force: bool = False, student_target: Path | None = None,
                     dist: Path | None = None) -> str:
    """Build one assignment; skipped when its inputs are unchanged since the last build."""
    check_id(assignment)
    target = student_target or student_dir(assignment)
    dist = dist or REPO / "dist"
    zip_path, stamp = dist / f"{assignment}-autograder.zip", dist / f"{assignment}.stamp"
    digest = inputs_digest(assignment, [master_notebook(assignment), *_support_sources(assignment)])
    if not force and zip_path.exists() and target.exists() and stamp.exists() and stamp.read_text() == digest:
        return f"up to date ({target.relative_to(REPO) if target.is_relative_to(REPO) else target}, {zip_path.name})"
    with tempfile.TemporaryDirectory(prefix=f"dc-build-{assignment}-") as tmp:
        out = run_otter_assign(assignment, Path(tmp))
        render_student(assignment, out, target)
        dist.mkdir(parents=True, exist_ok=True)
        zip_path.write_bytes(autograder_zip(assignment, out, target))
    stamp.write_text(digest)
    return f"built {target} and {zip_path}"


def manifest(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under `folder` (to compare two builds)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(manifest(Path(sys.argv[1])), indent=1))
