"""Grade one notebook: run it in its own kernel, then run the hidden checks against it from outside.

The result is a plain dict (see `new_result`) written after every step through `on_progress`, so a
caller that loses this process still has everything earned up to that point.
"""

from __future__ import annotations

import ast
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat
import torch

from . import wire
from .checks import load_suite
from .framework import Check, CheckFailed, Student
from .kernel import KernelLost, StudentKernel


@dataclass
class Limits:
    """Time limits in seconds (grading_config/<id>.toml overrides them)."""

    cell: float = 60.0  # one notebook cell
    call: float = 10.0  # one call of a student's function
    submission: float = 600.0  # the whole submission: notebook and checks
    max_restarts: int = 4  # kernel restarts after a crash or a hang
    memory_gb: float = 4.0  # address-space cap of the student's kernel


@dataclass
class Plan:
    """What a retry must avoid: cells and checks that took the grader's own process down before."""

    skip_cells: set = field(default_factory=set)
    failed_checks: dict = field(default_factory=dict)  # "question/check" -> message


# Names whose appearance in a submission is reported to the TA (not penalised automatically).
_SUSPICIOUS = ("course_core", "autograder", "__editable__", "_dc_bridge", "meta_path", "otter.test_files",
               "os._exit", "getppid", "os.kill")


def new_result(assignment: str, submission: str, suite) -> dict:
    questions = []
    for q in suite.questions.values():
        questions.append({
            "name": q.name, "manual": q.manual, "possible": q.points, "points": 0.0,
            "prompt": q.prompt,
            "checks": [{"name": c.name, "description": c.description, "possible": c.points, "points": 0.0,
                        "hidden": c.hidden, "passed": False, "message": "not run"} for c in q.checks],
        })
    return {"assignment": assignment, "submission": submission, "status": "ok", "notes": [],
            "questions": questions, "total": 0.0, "possible": suite.possible(), "cells": [], "flags": [],
            "current": None, "seconds": 0.0}


def _is_otter_cell(source: str) -> bool:
    """Cells that only drive Otter (init, grader.check, export) give feedback, not grades: skipped."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    if not tree.body:
        return False
    for node in tree.body:
        if isinstance(node, ast.Import) and all(a.name == "otter" for a in node.names):
            continue
        if isinstance(node, ast.Assign) and "otter.Notebook" in ast.unparse(node.value):
            continue
        if isinstance(node, ast.Expr) and ast.unparse(node.value).startswith("grader."):
            continue
        return False
    return True


def code_cells(nb) -> list[tuple[int, str]]:
    """(index, source) of the code cells to execute, magics (`%`, `!`) included, Otter cells left out."""
    cells = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source.strip() and not _is_otter_cell(cell.source):
            cells.append((i, cell.source))
    return cells


def integrity_flags(nb) -> list[str]:
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return [f"the code mentions {word!r}" for word in _SUSPICIOUS if word in text]


class Grader:
    """Runs one submission's notebook in a kernel and its assignment's checks against it."""

    def __init__(self, assignment: str, notebook, submission: str, *, student_files: Path | None,
                 limits: Limits, plan: Plan | None = None, on_progress: Callable[[dict], None] | None = None,
                 mpl_cache: Path | None = None):
        self.assignment = assignment
        self.nb = notebook
        self.suite = load_suite(assignment)
        self.limits = limits
        self.plan = plan or Plan()
        self.on_progress = on_progress or (lambda result: None)
        self.result = new_result(assignment, submission, self.suite)
        self.result["flags"] = integrity_flags(notebook)
        self.workdir = Path(tempfile.mkdtemp(prefix="dc-sub-"))
        if student_files is not None:
            shutil.copytree(student_files, self.workdir, dirs_exist_ok=True)
        nbformat.write(notebook, self.workdir / f"{assignment}.ipynb")
        self.kernel = StudentKernel(self.workdir, mpl_cache=mpl_cache, memory_bytes=int(limits.memory_gb * 2**30))
        self.kernel.rpc = self._answer_stand_in
        self._active_helpers: dict = {}
        self._bad_cells: set = set(self.plan.skip_cells)
        self._hung_functions: dict = {}
        self._restarts = 0
        self._deadline = time.monotonic() + limits.submission
        self._start = time.monotonic()
        for index in sorted(self.plan.skip_cells):
            self._note(f"cell {index} was skipped: it took the grader's process down on an earlier try")

    # -- bookkeeping ----------------------------------------------------------------------------
    def _note(self, text: str) -> None:
        if text not in self.result["notes"]:
            self.result["notes"].append(text)

    def _progress(self, current=None) -> None:
        self.result["current"] = current
        self.result["seconds"] = round(time.monotonic() - self._start, 3)
        self.result["kernel_pid"] = self.kernel.pid
        self.result["kernel_tag"] = self.kernel.tag
        self.result["total"] = sum(q["points"] for q in self.result["questions"] if not q["manual"])
        self.on_progress(self.result)

    def _time_left(self) -> float:
        return self._deadline - time.monotonic()

    # -- the notebook ---------------------------------------------------------------------------
    def run_notebook(self) -> None:
        """Execute every code cell; a cell that kills or hangs the kernel is skipped on a restart."""
        cells = code_cells(self.nb)
        log: dict[int, dict] = {}
        pos = 0
        self.kernel.start()
        while pos < len(cells):
            index, source = cells[pos]
            if index in self._bad_cells:
                pos += 1
                continue
            if self._time_left() <= 0:
                self._note("the submission ran out of time while its notebook executed")
                break
            self._progress({"phase": "cell", "cell": index})
            began = time.monotonic()
            run = self.kernel.execute(source, min(self.limits.cell, max(self._time_left(), 1.0)))
            log[index] = {"cell": index, "status": run.status, "error": run.error,
                          "seconds": round(time.monotonic() - began, 2)}
            if run.status in ("timeout", "died"):
                # Never run again: a replay would only lose the same time, or the same kernel.
                self._bad_cells.add(index)
            if run.status == "died" or not self.kernel.alive():
                what = "timed out and did not stop" if run.status == "timeout" else "killed the kernel"
                self._note(f"cell {index} {what}; it was skipped and the notebook re-run")
                if not self._restart():
                    break
                pos = 0  # replay the cells before it in a fresh kernel
                continue
            if run.status == "timeout":
                self._note(f"cell {index} timed out after {self.limits.cell:g} s; it was interrupted and is skipped on re-runs")
            pos += 1
        self.result["cells"] = [log[i] for i in sorted(log)]
        errors = [c for c in self.result["cells"] if c["status"] == "error"]
        if errors:
            self._note(f"{len(errors)} cell(s) raised an error (first: cell {errors[0]['cell']}: {errors[0]['error'][:200]})")

    def _restart(self) -> bool:
        if self._restarts >= self.limits.max_restarts or self._time_left() <= 0:
            self._note("too many kernel crashes or hangs; grading stopped here")
            return False
        self._restarts += 1
        self.kernel.restart()
        return True

    def _replay(self) -> bool:
        """A fresh kernel with the notebook re-run (after a check killed or hung the old one)."""
        if not self._restart():
            return False
        for index, source in code_cells(self.nb):
            if index in self._bad_cells:
                continue
            run = self.kernel.execute(source, min(self.limits.cell, max(self._time_left(), 1.0)))
            if run.status in ("died", "timeout") and not self.kernel.alive():
                return False
        return self.kernel.alive()

    # -- the checks -----------------------------------------------------------------------------
    def _answer_stand_in(self, request: dict) -> dict:
        """Answer a proxied helper call from the student's kernel with the reference function."""
        name = request.get("name")
        if name not in self._active_helpers:
            return {"ok": False, "error": f"no stand-in for {name!r} in this check"}
        _, fn = self._active_helpers[name]
        arrays = wire.decode(request["arrays"])
        args = {}
        for key, item in request["spec"].items():
            if item.get("kind") == "array":
                args[key] = torch.from_numpy(arrays[item["key"]].copy())
            else:
                args[key] = item.get("value")
        out = fn(**args)
        outs = out if isinstance(out, tuple) else (out,)
        return {"ok": True, "arrays": wire.encode({f"out{i}": o.detach().numpy() for i, o in enumerate(outs)})}

    def run_checks(self) -> None:
        student = Student(self.kernel, self.limits.call)
        for q_res, question in zip(self.result["questions"], self.suite.questions.values()):
            if question.manual:
                q_res["checks"] = []
                continue
            for c_res, check in zip(q_res["checks"], question.checks):
                self._progress({"phase": "check", "question": question.name, "check": check.name})
                c_res.update(self._run_check(check, student))
                c_res["points"] = check.points if c_res["passed"] else 0.0
            q_res["points"] = sum(c["points"] for c in q_res["checks"])
            self._progress(None)

    def _run_check(self, check: Check, student: Student) -> dict:
        key = f"{check.question}/{check.name}"
        if key in self.plan.failed_checks:
            return {"passed": False, "message": self.plan.failed_checks[key]}
        if check.function in self._hung_functions:
            return {"passed": False, "message": f"not run: {self._hung_functions[check.function]}"}
        if not self.kernel.alive():
            return {"passed": False, "message": "not run: the student's kernel could not be restarted"}
        if self._time_left() <= 0:
            return {"passed": False, "message": "not run: the submission's time limit was reached"}
        try:
            if check.helpers:
                self._active_helpers = check.helpers
                self.kernel.install_proxies({name: params for name, (params, _) in check.helpers.items()})
            check.run(student)
            return {"passed": True, "message": "passed"}
        except CheckFailed as err:
            return {"passed": False, "message": str(err)}
        except Exception as err:  # noqa: BLE001 - a bug in a check must not take the batch down
            self._note(f"internal grader error in {key}: {type(err).__name__}: {err}")
            return {"passed": False, "message": "not graded: internal grader error (reported to the course staff)"}
        except KernelLost as err:
            self._hung_functions[check.function] = str(err)
            self._note(f"{check.function}: {err}; the kernel was restarted and the notebook re-run")
            self._replay()
            return {"passed": False, "message": str(err)}
        finally:
            if check.helpers and self.kernel.alive():
                self._active_helpers = {}
                try:
                    self.kernel.remove_proxies()
                except KernelLost:
                    pass

    # -- everything -----------------------------------------------------------------------------
    def grade(self) -> dict:
        try:
            self.run_notebook()
            if self.kernel.alive():
                self.run_checks()
            else:
                self._note("the notebook could not be run; no check was run")
        finally:
            self.kernel.shutdown()
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.result["status"] = status_of(self.result)
        self._progress(None)
        return self.result


def status_of(result: dict) -> str:
    """A short status for the grade table: ok, or what went wrong (details are in the feedback)."""
    tags = []
    notes = " ".join(result["notes"])
    if "killed the kernel" in notes or "kernel died" in notes:
        tags.append("kernel-died")
    if "timed out" in notes or "did not return" in notes or "ran out of time" in notes or "time limit" in notes:
        tags.append("timeout")
    if any(c["status"] == "error" for c in result["cells"]):
        tags.append("cell-errors")
    if "took the grader" in notes:
        tags.append("killed-grader")
    if "internal grader error" in notes:
        tags.append("grader-error")
    if result["flags"]:
        tags.append("flagged")
    return ";".join(tags) or "ok"
