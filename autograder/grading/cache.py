"""Reusing the results of unchanged submissions (``OUT/.cache``), and digests of what a grade depends on.

Grading is deterministic, so a result can be reused while everything it depends on is unchanged: the
submission's bytes and name, the grading settings, the assignment's config and student folder, the code
of the grader and of the reference, and the versions of the libraries that decide the grade (Python,
torch, numpy, hypothesis: a new hypothesis draws other examples, a new torch rounds differently). For
the grades that count, `diffcourse grade --no-cache` regrades everything. Results flagged as a crash, a
time-out or a grader error are never stored (`batch.TRANSIENT`): their outcome may not repeat.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import platform
from pathlib import Path

from .result import Result, write_atomic

_LIBRARIES = ("torch", "numpy", "hypothesis", "nbformat", "jupyter_client", "ipykernel")


def versions() -> dict:
    """The versions a grade depends on (read from package metadata, nothing imported)."""
    out = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def package_files(*packages: str) -> list[Path]:
    """The Python files of installed or checked-out packages, in a stable order."""
    files = []
    for name in packages:
        spec = importlib.util.find_spec(name)
        folder = Path(spec.origin).parent
        files += sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)
    return files


def digest(paths, *, extra=()) -> str:
    """sha256 over the names and bytes of `paths` (files, or folders taken whole) and `extra` JSON values."""
    h = hashlib.sha256()
    for item in extra:
        h.update(json.dumps(item, sort_keys=True).encode())
    for path in paths:
        path = Path(path)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.exists():
                h.update(file.name.encode() + b"\0" + file.read_bytes())
    return h.hexdigest()


def code_digest() -> str:
    """The grader's and the reference's code, and the library versions."""
    return digest(package_files("autograder", "course_core"), extra=[versions()])


class ResultCache:
    """Results by a key over the submission and everything its grade depends on."""

    def __init__(self, folder: Path, assignment, settings: dict):
        self.folder = Path(folder)
        self.base = digest([assignment.config_path, assignment.student_dir], extra=[code_digest(), settings])

    def key(self, path: Path, name: str) -> str:
        h = hashlib.sha256(self.base.encode())
        h.update(name.encode() + b"\0")
        h.update(Path(path).read_bytes())
        return h.hexdigest()

    def get(self, key: str) -> Result | None:
        result = Result.read(self.folder / f"{key}.json")
        return result if result is not None and result.finished else None

    def put(self, key: str, result: Result) -> None:
        if not result.finished:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self.folder / f"{key}.json", json.dumps(result.to_json()))
