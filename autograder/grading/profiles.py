"""Runner profiles: where and how a batch is graded (``grading_config/runners/<name>.toml``, ``--profile``).

One ``[runner]`` table. Every key has a default, and an option given on the command line wins over the profile:

- ``backend``: ``local`` (worker processes on this machine), ``ray`` (one Ray task per submission) or ``slurm``
  (``--emit DIR`` writes an ``sbatch --array`` script; ``diffcourse collect DIR`` merges its results);
- ``device``: ``auto``, ``cpu`` or ``cuda`` (`grading.device`); ``workers``: submissions at once (local);
- ray: ``address`` (an existing cluster; none: a cluster of this machine), ``num_cpus`` and ``num_gpus`` per
  task, ``max_retries`` (a task lost with its node is run again on another);
- slurm: ``partition``, ``account``, ``gres`` (``gpu:1``), ``cpus_per_task``, ``mem_gb``, ``max_parallel``
  (the array's ``%`` throttle, 0: none), ``python`` (the interpreter on the nodes; none: this one), ``setup``
  (shell lines run before each task, e.g. ``module load cuda``). The array task's time limit is the
  submission's limit plus a margin for the worker's start and its retries.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .. import course
from ..course import ConfigError, read_toml

BACKENDS = ("local", "ray", "slurm")


@dataclass(frozen=True)
class Profile:
    name: str = ""  # as given to --profile (empty: the defaults)
    backend: str = "local"
    device: str = "auto"
    workers: int = 1
    address: str = ""
    num_cpus: float = 1.0
    num_gpus: float = 0.0
    max_retries: int = 3
    partition: str = ""
    account: str = ""
    gres: str = ""
    cpus_per_task: int = 2
    mem_gb: int = 8
    max_parallel: int = 0
    python: str = ""
    setup: tuple = ()

    def override(self, **given) -> "Profile":
        """The profile with the options given on the command line (None: not given) in place of its own."""
        return replace(self, **{k: v for k, v in given.items() if v is not None})


_CHOICES = {"backend": BACKENDS, "device": ("auto", "cpu", "cuda")}
_AT_LEAST_ONE = ("workers", "cpus_per_task", "mem_gb")  # Slurm reads --mem=0 as "the whole node"


def folder() -> Path:
    return course.root() / "grading_config" / "runners"


def names() -> list[str]:
    """The profiles the course ships (``grading_config/runners/*.toml``)."""
    return sorted(p.stem for p in folder().glob("*.toml"))


def load(name_or_path: str | None) -> Profile:
    """The profile named (a file of grading_config/runners/) or at a path; the defaults for None. Raises
    ConfigError naming the file and line of a key it cannot use."""
    if not name_or_path:
        return Profile()
    path = Path(name_or_path)
    if not path.suffix:
        path = folder() / f"{name_or_path}.toml"
    if not path.is_file():
        raise ConfigError(f"no runner profile {name_or_path!r}: {path} does not exist (shipped: {', '.join(names())})")
    return replace(parse(path), name=name_or_path)  # named as given: `--profile NAME` finds it again


def parse(path: Path) -> Profile:
    data, text = read_toml(path)
    lines = text.splitlines()

    def fail(key: str, msg: str):
        line = next((i + 1 for i, t in enumerate(lines)
                     if re.match(rf"\s*({re.escape(key)}\s*=|\[\s*{re.escape(key)}\s*\])", t)), 0)
        raise ConfigError(f"{path}:{line}: {msg}")

    extra = [k for k in data if k != "runner"]
    if extra:
        fail(extra[0], f"{extra[0]!r}: a runner profile has one table, [runner]")
    body = data.get("runner", {})
    types = {f.name: f.type for f in fields(Profile) if f.name != "name"}
    values = {}
    for key, value in body.items():
        if key not in types:
            fail(key, f"unknown key {key!r} in [runner]; known: {', '.join(types)}")
        values[key] = _checked(key, value, types[key], lambda msg, key=key: fail(key, msg))
    return Profile(name=path.stem, **values)


def _checked(key: str, value, kind: str, fail):
    number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if kind == "str":
        if not isinstance(value, str) or (key in _CHOICES and value not in _CHOICES[key]):
            fail(f"{key} must be " + (f"one of {', '.join(_CHOICES[key])}" if key in _CHOICES else "a string")
                 + f", got {value!r}")
        return value
    if kind == "int":
        least = 1 if key in _AT_LEAST_ONE else 0
        if not (number and isinstance(value, int) and value >= least):
            fail(f"{key} must be a whole number, {least} or more, got {value!r}")
        return value
    if kind == "float":
        if not (number and value >= 0):
            fail(f"{key} must be a number, 0 or more, got {value!r}")
        return float(value)
    if not (isinstance(value, list) and all(isinstance(s, str) for s in value)):
        fail(f"{key} must be a list of strings (shell lines), got {value!r}")
    return tuple(value)
