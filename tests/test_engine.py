"""The engine's bookkeeping, with a stand-in kernel: what a grader bug, a hung function or a broken bridge do to
the checks that follow, and how flags become the status."""

import nbformat
import pytest

from autograder.boundary.kernel import BridgeUnavailable, CallTimeout, StandIns
from autograder.checks.compare import CheckFailed, GraderBug
from autograder.checks.framework import Suite
from autograder.course import Limits
from autograder.grading.engine import Grader, code_cells
from autograder.grading.result import Flag, Result


class FakeKernel:
    pid, tag, started = 1, "tag", None

    def __init__(self):
        self.standins = StandIns()
        self.tampered = []

    def alive(self):
        return True


def _grade_checks(behaviours: dict, kernel=None) -> Result:
    """Run checks that raise what `behaviours` says (check name -> exception or None) on a fake kernel."""
    suite = Suite("demo")
    for name, (function, outcome) in behaviours.items():
        def run(student, outcome=outcome):
            if outcome is not None:
                raise outcome

        run.__name__ = name
        run.__doc__ = name
        suite.check("q", 1, function=function)(run)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    grader = Grader("demo", nb, "sub", suite=suite, kernel=kernel or FakeKernel(), limits=Limits())
    grader.run_checks()
    return grader.result


def _checks(result):
    return {c.name: c for q in result.questions for c in q.checks}


def test_a_grader_bug_is_flagged_and_awards_nothing():
    result = _grade_checks({"a": ("f", GraderBug("reference is nan")), "b": ("f", None)})
    checks = _checks(result)
    assert not checks["a"].passed and "internal grader error" in checks["a"].message
    assert checks["b"].passed and checks["b"].points == 1
    assert result.status == "grader-error" and "reference is nan" in " ".join(result.notes)


def test_a_hung_function_skips_its_other_checks_only():
    result = _grade_checks({"a": ("f", CallTimeout("f did not return within 1 s")), "b": ("f", None),
                            "c": ("g", None), "d": ("g", CheckFailed("wrong value"))})
    checks = _checks(result)
    assert checks["b"].message.startswith("not run: f did not return")
    assert checks["c"].passed and checks["d"].message == "wrong value"
    assert result.status == "timeout" and result.total == 1


def test_a_broken_bridge_fails_every_later_check_without_restarts():
    result = _grade_checks({"a": ("f", BridgeUnavailable("the grader could not call the notebook's functions")),
                            "b": ("g", None), "c": ("h", None)})
    assert all(not c.passed for c in _checks(result).values())
    assert all("could not call" in c.message for c in _checks(result).values())


def test_a_notebook_that_changed_the_graders_code_is_flagged_once():
    kernel = FakeKernel()
    kernel.tampered = ["_dc_bridge._mutated"]
    result = _grade_checks({"a": ("f", None), "b": ("g", None)}, kernel)
    assert result.status == "flagged" and result.total == 2
    assert result.integrity == ["the notebook reassigned the grader's code in its kernel: _dc_bridge._mutated"]


def test_status_lists_flags_in_a_fixed_order():
    r = Result("a", "s", [])
    assert r.status == "ok"
    for flag in (Flag.FLAGGED, Flag.TIMEOUT, Flag.KERNEL_DIED, Flag.TIMEOUT):
        r.flag(flag)
    assert r.status == "kernel-died;timeout;flagged"
    assert Result.from_json(r.to_json()) == r


@pytest.mark.parametrize("source,skipped", [
    ("import otter\ngrader = otter.Notebook('hw.ipynb')", True),
    ("grader.check('q1')", True),
    ("grader.export(pdf=False)", True),
    ("import otter\nx = 1", False),
    ("grader.check('q1'); import os; os._exit(0)", False),
])
def test_only_pure_otter_cells_are_skipped(source, skipped):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    assert (code_cells(nb) == []) == skipped


def test_a_bad_standin_request_is_answered_with_an_error_not_raised():
    standins = StandIns()
    with standins.active({"h": lambda x: x + 1}):
        header, _ = standins.answer({"name": "other", "spec": {}}, b"")
        assert not header["ok"] and "no stand-in" in header["error"]
        header, _ = standins.answer({"name": "h", "spec": {"x": {"kind": "tensor", "key": "x"}}}, b"garbage")
        assert not header["ok"] and "WireError" in header["error"]
    assert standins.helpers == {}


def test_integrity_notes_name_what_code_cells_mention_and_ignore_prose():
    """A TA is pointed at code that reaches for the grader's internals; the same words in a markdown answer, or
    a clean notebook, flag nothing."""
    from autograder.grading.engine import integrity_notes

    def nb(*cells):
        return nbformat.v4.new_notebook(cells=list(cells))

    code = nbformat.v4.new_code_cell
    prose = nbformat.v4.new_markdown_cell
    assert integrity_notes(nb(code("import torch\ndef f(x):\n    return x * 2"))) == []
    assert integrity_notes(nb(prose("I did not use sys.modules or course_core, or /proc/."))) == []
    notes = integrity_notes(nb(code("import sys\nsys.modules['_dc_bridge']"), code("open('/proc/1/environ')")))
    assert sorted(notes) == ["the code mentions '/proc/'", "the code mentions '_dc_'",
                             "the code mentions 'sys.modules'"]
