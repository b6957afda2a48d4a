"""An in-process stand-in for the student's kernel, to test the hidden checks quickly.

It runs the real bridge code (`autograder/kernel_side.py`) on a dict of Python functions, so the
checks see exactly what they would see across the process boundary (arrays in, arrays out), minus
the process. Used to run many correct and mutated implementations through every check in seconds.
"""

from __future__ import annotations

import types
from pathlib import Path

from autograder import wire
from autograder.engine import Limits
from autograder.framework import CheckFailed, Student
from autograder.kernel import StudentError

_BRIDGE_SRC = (Path(__file__).resolve().parents[1] / "autograder" / "kernel_side.py").read_text()


def _bridge() -> types.ModuleType:
    module = types.ModuleType("_dc_bridge_test")
    exec(compile(_BRIDGE_SRC, "_dc_bridge", "exec"), module.__dict__)
    return module


class InProcessKernel:
    """Implements the part of `StudentKernel` the checks use: call, install_proxies, remove_proxies."""

    def __init__(self, namespace: dict):
        self.ns = namespace  # the functions' own globals: replacing a name here is what a notebook sees
        self.bridge = _bridge()
        self.helpers: dict = {}
        self._saved: dict = {}

    def call(self, name, spec, arrays, timeout):
        fn = self.ns.get(name)
        if fn is None:
            raise StudentError(f"raised NameError: the notebook defines no function named {name!r}")
        try:
            result = self.bridge.invoke(fn, self.bridge._build_args(spec, wire.decode(wire.encode(arrays))))
        except Exception as err:  # noqa: BLE001
            raise StudentError(f"raised {type(err).__name__}: {err}") from None
        try:
            return wire.decode(self.bridge._encode_arrays(self.bridge._to_arrays(result)))
        except (TypeError, ValueError) as err:
            raise StudentError(str(err)) from None

    def install_proxies(self, helpers):
        for name in helpers:
            params, ref = self.helpers[name]
            self._saved.setdefault(name, self.ns.get(name))

            def proxy(*args, _params=params, _ref=ref, _original=self._saved[name], **kwargs):
                return _ref(**self.bridge._bind_like(_original, _params, args, kwargs))

            self.ns[name] = proxy

    def remove_proxies(self):
        for name, fn in self._saved.items():
            self.ns[name] = fn
        self._saved.clear()


def notebook_namespace(source: str) -> dict:
    """Execute notebook-like source in a fresh namespace (as the student's kernel would)."""
    ns: dict = {"__name__": "__student__"}
    exec(compile(source, "<student>", "exec"), ns)
    return ns


def failures(suite, namespace: dict) -> dict[str, list[str]]:
    """Messages of the failing checks, by question (for readable test failures)."""
    kernel = InProcessKernel(namespace)
    student = Student(kernel, Limits().call)
    out: dict[str, list[str]] = {}
    for q in suite.auto_questions():
        for check in q.checks:
            kernel.helpers = check.helpers
            try:
                if check.helpers:
                    kernel.install_proxies({k: v[0] for k, v in check.helpers.items()})
                check.run(student)
            except CheckFailed as err:
                out.setdefault(q.name, []).append(f"{check.name}: {err}")
            finally:
                if check.helpers:
                    kernel.remove_proxies()
    return out



def apply_edits(source: str, edits) -> str:
    """`source` with each (old, new) replacement applied; every `old` must occur."""
    for old, new in edits:
        assert old in source, f"edit target not found: {old!r}"
        source = source.replace(old, new)
    return source


def assert_caught_on_its_question_only(suite, source: str, question: str) -> None:
    """The mistake in `source` fails `question` only, and at least one hidden check of it catches it."""
    failed = failures(suite, notebook_namespace(source))
    assert set(failed) == {question}, failed
    hidden = {c.name for c in suite.questions[question].checks if c.hidden}
    assert any(msg.split(":")[0] in hidden for msg in failed[question]), failed
