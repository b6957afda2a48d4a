"""The student's Python for tests/test_student_setup.py: a venv with `torch==2.13.0` (the CPU wheel), then only
`-r assignments/FRESH/requirements.txt`, as the assignment's README tells a student to install it.

Installing takes about 80 s on the 2-core machine (79.5 s in a fresh clone, beside `make venv`), so the venv is
kept in pytest's cache folder (``.pytest_cache/d/student-venv/<key>``) under a key of the requirements and the Python
version, and made again whenever either changes. Standard library only: `.ci/run` runs it (`make student-venv`) while
pip fills the project's own venv (`make venv`), so the two installs overlap and the test finds the venv made. Whoever
comes second waits on the venv's lock (``fcntl.flock``, as the `filelock` package takes it) and then uses what the
first made.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRESH = "hw2_ddpm"  # the assignment installed in a fresh venv (one is enough: every folder comes from one template)
TORCH = "torch==2.13.0"  # installed first, so pip never resolves the range in requirements.txt to a CUDA build


def requirements() -> Path:
    return ROOT / "assignments" / FRESH / "requirements.txt"


def key(python_version: str = sys.version) -> str:
    """Changes with the requirements, the Python and the torch pin: a venv made for others is made again."""
    return hashlib.sha256(requirements().read_bytes() + python_version.encode() + TORCH.encode()).hexdigest()[:16]


def ensure(base: Path, python: str = sys.executable) -> Path:
    """The venv under `base` for this key, made now with `python` unless a finished one is there (its
    ``installed.json`` says how long the install took). A half-made one, and those of other keys, are removed."""
    base.mkdir(parents=True, exist_ok=True)
    venv = base / key()
    with open(str(venv) + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (venv / "installed.json").exists():
                for old in [p for p in base.iterdir() if p.is_dir()]:
                    shutil.rmtree(old, ignore_errors=True)
                start = time.monotonic()
                subprocess.run([python, "-m", "venv", str(venv)], check=True, timeout=300)
                pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-compile"]  # bytecode on import
                subprocess.run([*pip, TORCH], check=True, timeout=900)
                subprocess.run([*pip, "-r", str(requirements())], check=True, timeout=900)
                (venv / "installed.json").write_text(json.dumps({"seconds": round(time.monotonic() - start, 1)}))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return venv


def cached() -> Path:
    """Where the test keeps it: pytest's cache folder in this checkout (its default place)."""
    return ROOT / ".pytest_cache" / "d" / "student-venv"


if __name__ == "__main__":
    print(ensure(cached()))
