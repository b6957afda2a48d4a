"""The Gradescope autograder zip: Otter's, plus the grader, the reference, the hidden checks, and a
`run_autograder` that grades outside the student's kernel."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

FIXED_TIME = (2020, 1, 1, 0, 0, 0)
RUN_AUTOGRADER = """#!/usr/bin/env bash
# Written by diffcourse: grades the submission in a kernel of its own and calls the student's functions
# from outside it (Otter's runner would execute the hidden tests inside the student's kernel).
set -euo pipefail
AG="${{AUTOGRADER_ROOT:-/autograder}}"
export DIFFCOURSE_ROOT="$AG/source"
cd "$AG/source"
python -m autograder.reports.gradescope {assignment} "$AG/submission" "$AG/results/results.json"
"""
SETUP_EXTRA = """
# diffcourse: the grader and the reference implementations (a normal install; course files stay in source/)
pip install /autograder/source
# diffcourse: the student's kernel runs behind bubblewrap where the container allows namespaces; either way the
# results' extra_data says which walls were in force (autograder/boundary/sandbox.py)
(command -v bwrap || apt-get install -y -qq bubblewrap) >/dev/null 2>&1 || echo "diffcourse: bubblewrap not installed"
"""


def zip_add(zf: zipfile.ZipFile, name: str, data: bytes, mode: int = 0o644) -> None:
    """A deterministic entry: fixed timestamp and mode."""
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.external_attr = (mode & 0xFFFF) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def autograder_zip(assignment, otter_out: Path, student: Path) -> bytes:
    """Otter's autograder zip with our run_autograder, and under `source/` the course files the grader needs."""
    [otter_zip] = sorted((otter_out / "autograder").glob("*.zip"))
    entries: dict[str, tuple[bytes, int]] = {}
    with zipfile.ZipFile(otter_zip) as zf:
        for info in zf.infolist():
            if not info.is_dir():
                entries[info.filename] = (zf.read(info), 0o755 if info.filename.endswith(".sh") else 0o644)
    entries["run_autograder"] = (RUN_AUTOGRADER.format(assignment=assignment.id).encode(), 0o755)
    entries["setup.sh"] = (entries.get("setup.sh", (b"#!/usr/bin/env bash\n", 0))[0] + SETUP_EXTRA.encode(), 0o755)
    root = assignment.course
    sources = [root / "pyproject.toml", root / "README.md", assignment.config_path]
    for package in ("autograder", "course_core"):
        sources += sorted(p for p in (root / package).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in sources:
        if path.exists():
            entries[f"source/{path.relative_to(root)}"] = (path.read_bytes(), 0o644)
    for path in sorted(p for p in student.rglob("*") if p.is_file()):
        entries[f"source/assignments/{assignment.id}/{path.relative_to(student)}"] = (path.read_bytes(), 0o644)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(entries):
            zip_add(zf, name, *entries[name])
    return buf.getvalue()
