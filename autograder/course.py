"""The course: its folder, its assignments (discovered, never listed), and each one's configuration.

An assignment ``<id>`` exists when ``grading_config/<id>.toml`` does; its other pieces live in fixed
places next to it (see docs/ADDING.md):

    solutions/<id>/<id>.ipynb        master notebook (Otter assign format)
    assignments/<id>/                student folder, written by `diffcourse build`
    autograder/checks/<id>.py        hidden checks (a `Suite` named SUITE)
    tests/submissions/<id>/          example submissions and expected.json

The course folder is ``$DIFFCOURSE_ROOT`` when set (the Gradescope zip sets it: there the package is a
normal install and its own folder holds no course), else the checkout this package was imported from.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

_PACKAGE_PARENT = Path(__file__).resolve().parents[1]

# The syllabus's chapters (../shared/SYLLABUS.md), in the course's order: id -> title.
CHAPTERS = {
    "tools": "1. Mathematical tools",
    "priors": "2. Priors for images",
    "score": "3. Score, denoisers, RED and PnP, Langevin",
    "ddpm": "4. DDPM",
    "acceleration": "5. Acceleration",
    "guidance": "6. Guided diffusion",
    "inverse": "7. Diffusion for inverse problems",
    "sde": "8. The SDE/ODE interpretation",
}



class ConfigError(ValueError):
    """A grading_config file that cannot be used; the message names the file and line."""


def root() -> Path:
    """The course folder (holding grading_config/, solutions/, assignments/)."""
    env = os.environ.get("DIFFCOURSE_ROOT")
    folder = Path(env).resolve() if env else _PACKAGE_PARENT
    if not (folder / "grading_config").is_dir():
        hint = "" if env else " (set DIFFCOURSE_ROOT to the course folder)"
        raise FileNotFoundError(f"{folder} is not a course folder: it has no grading_config/{hint}")
    return folder


def assignment_ids(course: Path | None = None) -> list[str]:
    """Every assignment of the course, in name order."""
    return sorted(p.stem for p in (course or root()).glob("grading_config/*.toml"))


@dataclass
class Limits:
    """Time and memory limits while grading one submission."""

    cell: float = 60.0  # seconds for one notebook cell
    call: float = 10.0  # seconds for one call of a student's function
    submission: float = 600.0  # seconds for the whole submission: notebook and checks
    max_restarts: int = 4  # kernel restarts after a crash or a hang
    memory_gb: float = 4.0  # address-space cap of the student's kernel
    processes: int = 256  # processes and threads of the kernel's own uid (only where it has one: sandbox.py)
    open_files: int = 1024  # open files of one kernel process
    file_mb: float = 256.0  # largest file the kernel may write
    output_mb: float = 16.0  # largest message the grader accepts from the kernel (a larger one is dropped)

    def kernel(self) -> dict:
        """The kernel's resource limits, as `boot.py` sets them (CPU time: the submission's limit and a minute)."""
        return {"memory": int(self.memory_gb * 2**30), "processes": int(self.processes),
                "open_files": int(self.open_files), "file_bytes": int(self.file_mb * 2**20),
                "cpu_seconds": int(self.submission) + 60}


@dataclass(frozen=True)
class Config:
    """``grading_config/<id>.toml``: ``[limits]``, ``[gradescope]``, ``[build]``."""

    limits: Limits = field(default_factory=Limits)
    hidden_visibility: str = "after_published"  # Gradescope visibility of hidden checks
    support_files: tuple = ("toy.py",)  # course_core modules written next to the student notebook


_VISIBILITY = ("hidden", "after_due_date", "after_published", "visible")


def _line_of(text: str, section: str, key: str | None = None) -> int:
    """1-based line of `[section]` or of `key` inside it (0 when not found)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(rf"\s*\[{re.escape(section)}\]", line)), None)
    if start is None or key is None:
        return 0 if start is None else start + 1
    for i in range(start + 1, len(lines)):
        if re.match(r"\s*\[", lines[i]):
            break
        if re.match(rf"\s*{re.escape(key)}\s*=", lines[i]):
            return i + 1
    return start + 1


def read_toml(path: Path) -> tuple[dict, str]:
    """A TOML file's tables and its text; ConfigError naming the file and the line where it does not parse."""
    text = path.read_text()
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: {err}") from None


def parse_config(path: Path) -> Config:
    """Read and validate a config file; raises ConfigError naming the file, line and key at fault."""
    data, text = read_toml(path)

    def fail(section, key, msg):
        raise ConfigError(f"{path}:{_line_of(text, section, key)}: {msg}")

    known = {"limits": {f.name: f.type for f in fields(Limits)}, "gradescope": {"hidden_visibility": "str"},
             "build": {"support_files": "list"}}
    for section, body in data.items():
        if not isinstance(body, dict):
            line = next((i + 1 for i, t in enumerate(text.splitlines()) if re.match(rf"\s*{re.escape(section)}\s*=", t)), 0)
            raise ConfigError(f"{path}:{line}: {section!r} is outside any section; put it under "
                              f"{', '.join(f'[{s}]' for s in known)}")
        if section not in known:
            raise ConfigError(f"{path}:{_line_of(text, section)}: unknown section [{section}]; "
                              f"known: {', '.join(f'[{s}]' for s in known)}")
        for key, value in body.items():
            if key not in known[section]:
                fail(section, key, f"unknown key {key!r} in [{section}]; known: {', '.join(known[section])}")
            kind = known[section][key]
            number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            if kind == "float" and not (number and value > 0):
                fail(section, key, f"{key} must be a positive number, got {value!r}")
            if kind == "int" and not (number and isinstance(value, int) and value >= 0):
                fail(section, key, f"{key} must be a whole number, 0 or more, got {value!r}")
    limits = Limits(**{k: (float(v) if known["limits"][k] == "float" else v) for k, v in data.get("limits", {}).items()})
    visibility = data.get("gradescope", {}).get("hidden_visibility", "after_published")
    if visibility not in _VISIBILITY:
        fail("gradescope", "hidden_visibility", f"hidden_visibility must be one of {', '.join(_VISIBILITY)}")
    support = data.get("build", {}).get("support_files", ["toy.py"])
    if not isinstance(support, list) or not all(isinstance(s, str) and re.fullmatch(r"\w+\.py", s) for s in support):
        fail("build", "support_files", "support_files must be a list of course_core file names such as \"toy.py\"")
    return Config(limits=limits, hidden_visibility=visibility, support_files=tuple(support))


@dataclass(frozen=True)
class Assignment:
    """One assignment's places in the course folder."""

    id: str
    course: Path

    @property
    def master(self) -> Path:
        return self.course / "solutions" / self.id / f"{self.id}.ipynb"

    @property
    def student_dir(self) -> Path:
        return self.course / "assignments" / self.id

    @property
    def config_path(self) -> Path:
        return self.course / "grading_config" / f"{self.id}.toml"

    @property
    def examples_dir(self) -> Path:
        return self.course / "tests" / "submissions" / self.id

    @cached_property
    def config(self) -> Config:
        return parse_config(self.config_path)


def get(assignment: str, course: Path | None = None) -> Assignment:
    """The assignment with this id; ValueError naming the known ones otherwise."""
    course = course or root()
    known = assignment_ids(course)
    if assignment not in known:
        raise ValueError(f"unknown assignment {assignment!r}; known: {', '.join(known) or 'none'}")
    return Assignment(assignment, course)
