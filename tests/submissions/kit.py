"""Example submissions, described once per assignment (`tests/submissions/<id>/examples.py`) and built here.

An assignment's `examples.py` defines:
- `REFERENCE`: every graded function, correct, written differently from the master solution
  (function name -> code of its cell);
- `WRITTEN`: the written answers (manual question name -> Markdown);
- `VARIANTS`: other correct ways to write some functions (`Variant`), checked in-process;
- `MISTAKES`: realistic mistakes, one function each (`Mistake`); those with `submit=True` are also written
  as `wrong_<name>.ipynb` and graded end to end;
- `HOSTILE`: which functions the generic hostile submissions use (`Hostile`); one assignment also carries the
  Otter export zip (`Hostile.export`). The attacks on the process boundary and the sandbox themselves (the same
  whatever the assignment) are `tests/hostile.py`'s.

`tests/test_checks.py` runs every check in-process on the master solution, the reference and each
variant (full marks, every comparison well inside its bound) and on each mistake (points lost on its
own question only, caught by a hidden check by a wide margin). `make_submissions.py` writes the
notebooks that `tests/test_grading.py` and `make demo` grade.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Variant:
    """Another correct way to write some functions: function -> list of (old, new) edits of its reference code."""

    name: str
    edits: dict


@dataclass(frozen=True)
class Mistake:
    """One realistic mistake in one function: (old, new) edits of its reference code, or its whole new code."""

    question: str
    name: str
    function: str
    edits: list | str
    submit: bool = False  # also written as wrong_<name>.ipynb and graded end to end
    # Other functions written another way (function -> edits or code): a mistake must cost its own question
    # only, whichever helpers the rest of the notebook chose to call.
    context: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Hostile:
    """Where the generic hostile submissions act in this assignment's notebook."""

    import_reference: dict  # function -> code that imports course_core (every call fails: course_core is unreachable)
    delegating: list  # the questions those functions belong to (they must lose points)
    find_after: str  # function after whose question the file-system search for course_core is inserted
    middle: str  # function after whose question the cell-level attacks (patches; os._exit) go
    # Reading an Otter export zip is the same for every assignment: one assignment's examples carry one.
    export: bool = False


@dataclass
class Examples:
    assignment: str
    reference: dict
    written: dict
    variants: list = field(default_factory=list)
    mistakes: list = field(default_factory=list)
    hostile: Hostile | None = None

    def code(self, function: str, edits) -> str:
        """The reference code of `function` with `edits` applied (or `edits` itself, when it is code)."""
        if isinstance(edits, str):
            return edits
        source = self.reference[function]
        for old, new in edits:
            if old not in source:
                raise AssertionError(f"{self.assignment}: edit target not found in {function}: {old!r}")
            source = source.replace(old, new)
        return source

    def functions(self, changes: dict | None = None) -> dict:
        """Every function's code, with `changes` (function -> edits or code) applied."""
        return {fn: self.code(fn, (changes or {}).get(fn, [])) for fn in self.reference}

    def variant(self, variant: Variant) -> dict:
        return self.functions(variant.edits)

    def mistake(self, mistake: Mistake) -> dict:
        return self.functions({**mistake.context, mistake.function: mistake.edits})


def load(assignment: str) -> Examples:
    """The examples of one assignment, from `tests/submissions/<id>/examples.py`."""
    path = HERE / assignment / "examples.py"
    spec = importlib.util.spec_from_file_location(f"examples_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Examples(assignment, module.REFERENCE, module.WRITTEN, list(getattr(module, "VARIANTS", [])),
                    list(getattr(module, "MISTAKES", [])), getattr(module, "HOSTILE", None))


def assignments_with_examples() -> list[str]:
    return sorted(p.parent.name for p in HERE.glob("*/examples.py"))


def source_of(functions: dict) -> str:
    """One notebook-like source defining every function, in order."""
    return "\n\n".join(code.strip("\n") for code in functions.values()) + "\n"


def master_solution(notebook, names) -> dict:
    """The master notebook's solution: the code of the cells that define the functions `names`, by name."""
    out = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in names:
                out[node.name] = cell.source
    return out


# =====================================================================================================
# Hostile cells, the same for every assignment
# =====================================================================================================
FIND_COURSE_CORE = '''
# Look for the course's reference code above this notebook and make it importable.
import os
import sys

here = os.path.abspath(os.getcwd())
for _ in range(8):
    if os.path.isdir(os.path.join(here, "course_core")):
        sys.path.insert(0, here)
        break
    here = os.path.dirname(here)
import course_core  # fails when the grader keeps the reference out of reach
'''

INFINITE_LOOP = '''
while True:
    pass
'''


def monkeypatch_cells(assignment: str) -> list[str]:
    """Cells that try to make every check pass without solving anything (each attempt guarded)."""
    return [f'''
# Patch the reference code, the hidden checks and the test libraries, in case any of them runs in this kernel.
import sys
import types

for attempt in [
    "import course_core.gmm as m; m.gmm_score = lambda *a, **k: None",
    "import course_core.ddpm as m; m.q_sample = lambda *a, **k: None",
    "import autograder.checks.{assignment} as m; m.SUITE.questions.clear()",
    "import autograder.checks.compare as m; m.assert_close = lambda *a, **k: None",
    "import hypothesis; hypothesis.given = lambda *a, **k: (lambda f: (lambda *x, **y: None))",
    "import otter.test_files.exception_test as m; m.test_case.call_func = lambda self, env: None",
    "import otter.test_files.abstract_test as m; m.TestFile.score = property(lambda self: self.value)",
    "import otter.test_files.abstract_test as m; m.TestFile.passed_all = property(lambda self: True)",
]:
    try:
        exec(attempt)
    except Exception as e:
        print("patch failed:", attempt.split(";")[0], type(e).__name__)

fake = types.ModuleType("course_core")
fake.__path__ = []
sys.modules.setdefault("course_core", fake)
''', '''
# Make every comparison succeed.
import builtins

import numpy as np
import torch

torch.allclose = lambda *args, **kwargs: True
torch.equal = lambda *args, **kwargs: True
torch.testing.assert_close = lambda *args, **kwargs: None
torch.Tensor.__eq__ = lambda self, other: True
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
builtins.AssertionError = type("AssertionError", (Exception,), {})
''', '''
# Leave a perfect score where a grader might look for one.
import json
import os

fake = {"score": 100, "tests": [{"name": "all", "score": 100, "max_score": 100}]}
for path in ["results.json", os.path.join("..", "results.json"), os.path.join("..", "results", "results.json")]:
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w") as f:
            json.dump(fake, f)
    except OSError:
        pass
''']
