"""An in-process stand-in for the student's kernel, to run the hidden checks quickly on many implementations.

It runs the real bridge (`autograder.boundary.bridge.handle`) and the real codec on a namespace of Python
functions, so the checks see exactly what they would see across the process boundary (arrays in, arrays
out, stand-ins answered by the grader), minus the process.
"""

from __future__ import annotations

import math
import sys
import types
from dataclasses import dataclass

from autograder.boundary import bridge, codec
from autograder.boundary.kernel import CallTimeout, StandIns, reply_from
from autograder.build.support import support_source
from autograder.checks.compare import CheckFailed, observe
from autograder.checks.framework import Student
from autograder.course import Limits


class InProcessKernel:
    """The part of `StudentKernel` the checks use (`call`, `standins`), on a dict of functions."""

    def __init__(self, namespace: dict):
        self.ns = namespace  # the functions' own globals: replacing a name here is what a notebook sees
        self.standins = StandIns()
        self.tampered = []

    def call(self, name, kwargs, *, timeout, grads=(), no_grad=False):
        spec, arrays = codec.encode_args(kwargs)
        request = {"op": "call", "name": name, "spec": spec, "grads": list(grads),
                   "standins": self.standins.contracts(), **({"no_grad": True} if no_grad else {})}
        header, payload = bridge.handle(self.ns, request, codec.pack(arrays), self.standins.answer)
        if header.get("interrupted"):
            raise CallTimeout(f"{name} was interrupted")
        return reply_from(header, payload)


def support_modules(assignment) -> None:
    """Make the assignment's student support modules (toy.py) importable, as they are in the student folder."""
    for name in assignment.config.support_files:
        module = types.ModuleType(name[:-3])
        exec(compile(support_source(name), name, "exec"), module.__dict__)
        sys.modules[name[:-3]] = module


def namespace(source: str) -> dict:
    """Execute notebook-like source in a fresh namespace (as the student's kernel would)."""
    ns: dict = {"__name__": "__student__"}
    exec(compile(source, "<student>", "exec"), ns)
    return ns


@dataclass
class Outcome:
    question: str
    check: str
    hidden: bool
    passed: bool
    message: str
    ratio: float  # the largest error / bound seen in any comparison of this check (inf: a structural failure)


def reaches(ns: dict, names, targets: set) -> bool:
    """Whether the code of the functions `names` in `ns` can reach a name in `targets`: by the global names
    their code (nested functions, lambdas and comprehensions included) uses, followed through `ns`."""
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in targets:
            return True
        codes = [getattr(ns.get(name), "__code__", None)]
        while codes:
            code = codes.pop()
            if code is not None:
                todo += code.co_names
                codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return False


def run_checks(suite, ns: dict, questions=None, checks=None) -> list[Outcome]:
    """Every automatically graded check of `suite` (of `questions` only, and named in `checks` only, when given) on
    the functions in `ns`."""
    kernel = InProcessKernel(ns)
    student = Student(kernel, Limits().call)
    out = []
    for q in suite.auto_questions():
        if questions is not None and q.name not in questions:
            continue
        for check in q.checks:
            if checks is not None and check.name not in checks:
                continue
            with observe() as seen, kernel.standins.active(check.standins):
                try:
                    check.run(student)
                    passed, message = True, "passed"
                except CheckFailed as err:
                    passed, message = False, str(err)
            ratios = [r for _, r in seen]
            ratio = max(ratios) if ratios else (0.0 if passed else math.inf)
            if not passed and not any(r > 1 for r in ratios):
                ratio = math.inf  # failed on shape, dtype, type or an exception: no near miss possible
            out.append(Outcome(q.name, check.name, check.hidden, passed, message, ratio))
    return out


def failures(outcomes: list[Outcome]) -> dict[str, list[str]]:
    """Messages of the failing checks, by question (for readable test failures)."""
    out: dict[str, list[str]] = {}
    for o in outcomes:
        if not o.passed:
            out.setdefault(o.question, []).append(f"{o.check}: {o.message}")
    return out
