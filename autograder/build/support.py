"""Student support modules (`toy.py`, ...), written from `course_core` sources.

A support module is a `course_core` file that may import functions from other `course_core` modules on a
line marked ``# shipped``::

    from .ddpm import discretized_gaussian_log_likelihood  # shipped: the build inlines its source here

The student's copy has the source of those functions in place of the line, so it imports nothing of the
course (`course_core` is out of the student's kernel's reach) and the reference and the students use one
definition.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import re
from pathlib import Path

_SHIPPED = re.compile(r"^from \.(\w+) import ([\w, ]+?)\s*# shipped.*$", re.M)
ALLOWED_IMPORTS = {"__future__", "math", "typing", "numpy", "torch", "matplotlib", "sklearn"}


class SupportError(ValueError):
    """A support module that would not be self-contained in the student's folder."""


def course_core_dir() -> Path:
    return Path(importlib.util.find_spec("course_core").origin).parent


def support_source(name: str) -> str:
    """The student's copy of `course_core/<name>`, with every ``# shipped`` import inlined."""
    source = (course_core_dir() / name).read_text()

    def inline(match: re.Match) -> str:
        module = importlib.import_module(f"course_core.{match.group(1)}")
        names = [n.strip() for n in match.group(2).split(",")]
        parts = [f"# The reference's own function (course_core/{match.group(1)}.py), shared by both."]
        parts += [inspect.getsource(getattr(module, n)).rstrip() for n in names]
        return "\n\n\n".join(parts)

    out = _SHIPPED.sub(inline, source)
    for node in ast.walk(ast.parse(out, filename=name)):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] not in ALLOWED_IMPORTS):
            raise SupportError(f"{name}: `from {'.' * node.level}{node.module} import ...` would not work in the "
                               "student's folder (mark course_core imports `# shipped`)")
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] not in ALLOWED_IMPORTS for a in node.names):
            raise SupportError(f"{name}: imports {[a.name for a in node.names]}; a support module may import only "
                               f"{', '.join(sorted(ALLOWED_IMPORTS))}")
    return out
