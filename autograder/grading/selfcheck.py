"""Self-study: grade one notebook exactly as the TA would, and return readable feedback."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..reports.report import feedback_text
from .batch import grade_folder


def check_notebook(*, assignment: str, notebook: Path, timeout: float | None = None):
    """Run the public and hidden checks of `assignment` on `notebook` in a separate kernel; (result, text)."""
    with tempfile.TemporaryDirectory(prefix="dc-check-") as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        (folder / Path(notebook).name).write_bytes(Path(notebook).read_bytes())
        [result] = grade_folder(assignment=assignment, submissions=folder, out=Path(tmp) / "out", workers=1,
                                timeout=timeout, progress=False, cache=False)
    return result, feedback_text(result)
