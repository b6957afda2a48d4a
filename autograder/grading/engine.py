"""Grade one notebook: run it in its own kernel, then run the hidden checks against it from outside.

The `Result` is handed to `on_progress` after every step, so a caller that loses this process still has
everything earned up to that point, and knows which cell or check was running (`Result.current`).
"""

from __future__ import annotations

import ast
import math
import sys
import time
import traceback
from typing import Callable

from ..boundary.kernel import BridgeUnavailable, CallTimeout, KernelLost, StudentKernel
from ..checks.compare import CheckFailed, observe
from ..checks.framework import Check, Student
from ..course import Limits
from .result import Flag, Plan, Result


# Names whose appearance in a submission is reported to the TA (not penalised automatically).
_SUSPICIOUS = ("course_core", "autograder", "__editable__", "_dc_", "meta_path", "sys.modules", "__closure__",
               "otter.test_files", "os._exit", "getppid", "/proc/", "os.kill", "DC_KERNEL_TAG")


MAX_FIGURES = 6  # figures of one notebook kept for the student's feedback page ...
MAX_FIGURE_CHARS = 2_000_000  # ... and their base64 characters in all (about 1.5 MB): a class fits in memory


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
    return [(i, c.source) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and c.source.strip() and not _is_otter_cell(c.source)]


def integrity_notes(nb) -> list[str]:
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return [f"the code mentions {word!r}" for word in _SUSPICIOUS if word in text]


class Grader:
    """Runs one submission's notebook in a kernel and its assignment's checks against it."""

    def __init__(self, assignment: str, notebook, submission: str, *, suite, kernel: StudentKernel, limits: Limits,
                 plan: Plan | None = None, on_progress: Callable[[Result], None] | None = None,
                 started: float | None = None, device: str = "cpu"):
        """`started`: when grading this submission began (`time.monotonic()`), if before this object; `device`:
        where the kernel runs the student's functions (`autograder.checks.device`)."""
        self.device = device
        self.nb = notebook
        self.suite = suite
        self.kernel = kernel
        self.limits = limits
        self.plan = plan or Plan()
        self.on_progress = on_progress or (lambda result: None)
        self.result = Result.blank(assignment, submission, suite)
        self.result.integrity = integrity_notes(notebook)
        if self.result.integrity:
            self.result.flag(Flag.FLAGGED)
        self._bad_cells: set = set(self.plan.skip_cells)
        self._hung: dict = {}  # function -> why its later checks are not run
        self._figures: list = []  # [{"cell", "png"}] of the latest run of the notebook
        self._restarts = 0
        self._start = started if started is not None else time.monotonic()
        self._deadline = self._start + limits.submission
        if self.plan.skip_cells or self.plan.failed_checks:
            self.result.flag(Flag.KILLED_GRADER)
        for index in sorted(self.plan.skip_cells):
            self.result.note(f"cell {index} was skipped: it took the grader's process down on an earlier try")

    # -- bookkeeping ----------------------------------------------------------------------------
    def _progress(self, current=None) -> None:
        self.result.current = current
        self.result.seconds = round(time.monotonic() - self._start, 3)
        self.result.kernel = {"pid": self.kernel.pid, "started": self.kernel.started, "tag": self.kernel.tag,
                              "forked": bool(getattr(self.kernel, "forked", False))}  # from the kernel zygote
        self.on_progress(self.result)

    def _time_left(self) -> float:
        return self._deadline - time.monotonic()

    def _restart(self) -> bool:
        if self._restarts >= self.limits.max_restarts or self._time_left() <= 0:
            self.result.note("too many kernel crashes or hangs; grading stopped here")
            return False
        self._restarts += 1
        self.kernel.restart()
        return True

    # -- the notebook ---------------------------------------------------------------------------
    def run_notebook(self) -> bool:
        """Run every code cell from the top in the current kernel; True if a live kernel ran them all.

        A cell that kills the kernel, or hangs and ignores the interrupt, is skipped from then on, and the
        notebook is re-run without it in a fresh kernel. The same loop replays the notebook after a check
        killed the kernel.
        """
        cells = code_cells(self.nb)
        log = {c["cell"]: c for c in self.result.cells}
        self._figures = []  # this run's figures (a re-run after a restart draws them again)
        pos = 0
        while pos < len(cells):
            index, source = cells[pos]
            if index in self._bad_cells:
                pos += 1
                continue
            if self._time_left() <= 0:
                self.result.note("the submission ran out of time while its notebook executed")
                self.result.flag(Flag.TIMEOUT)
                return False
            self._progress({"phase": "cell", "cell": index})
            began = time.monotonic()
            run = self.kernel.execute(source, min(self.limits.cell, max(self._time_left(), 1.0)))
            log.setdefault(index, {"cell": index, "status": run.status, "error": run.error,
                                   "seconds": round(time.monotonic() - began, 2)})
            self._keep_figures(index, run.images)
            if run.status in ("timeout", "died"):
                self._bad_cells.add(index)  # never again: a re-run would only lose the same time or kernel
                self.result.flag(Flag.TIMEOUT if run.status == "timeout" else Flag.KERNEL_DIED)
            if not self.kernel.alive():
                what = "timed out and did not stop" if run.status == "timeout" else "killed the kernel"
                self.result.note(f"cell {index} {what}; it was skipped and the notebook re-run")
                if not self._restart():
                    return False
                pos, self._figures = 0, []
                continue
            if run.status == "timeout":
                self.result.note(f"cell {index} timed out after {self.limits.cell:g} s; it was interrupted "
                                 "and is skipped on re-runs")
            pos += 1
        self.result.cells = [log[i] for i in sorted(log)]
        errors = [c for c in self.result.cells if c["status"] == "error"]
        if errors:
            self.result.flag(Flag.CELL_ERRORS)
            self.result.note(f"{len(errors)} cell(s) raised an error (first: cell {errors[0]['cell']}: "
                             f"{errors[0]['error'][:200]})")
        return self.kernel.alive()

    def _keep_figures(self, cell: int, images: list) -> None:
        """Keep a cell's figures for the feedback page, within MAX_FIGURES and MAX_FIGURE_CHARS."""
        for png in images:
            used = sum(len(f["png"]) for f in self._figures)
            if len(self._figures) < MAX_FIGURES and used + len(png) <= MAX_FIGURE_CHARS:
                self._figures.append({"cell": cell, "png": png})

    # -- the checks -----------------------------------------------------------------------------
    def run_checks(self) -> None:
        student = Student(self.kernel, self.limits.call, self._time_left, device=self.device)
        for q_res, question in zip(self.result.questions, self.suite.questions.values()):
            for c_res, check in zip(q_res.checks, question.checks):
                self._progress({"phase": "check", "question": question.name, "check": check.name})
                with observe() as seen:
                    passed, message = self._run_check(check, student)
                c_res.passed, c_res.message = passed, message
                worst = max((ratio for _, ratio in seen), default=None)
                c_res.worst = None if worst is None else (round(worst, 6) if math.isfinite(worst) else 1e300)
                c_res.points = check.points if passed else 0.0
        self._progress(None)

    def _run_check(self, check: Check, student: Student) -> tuple[bool, str]:
        key = f"{check.question}/{check.name}"
        if key in self.plan.failed_checks:
            return False, self.plan.failed_checks[key]
        if check.function in self._hung:
            return False, f"not run: {self._hung[check.function]}"
        if not self.kernel.alive():
            return False, "not run: the student's kernel could not be restarted"
        if self._time_left() <= 0:
            self.result.flag(Flag.TIMEOUT)
            return False, "not run: the submission's time limit was reached"
        try:
            with self.kernel.standins.active(check.standins):
                check.run(student)
            return True, "passed"
        except CheckFailed as err:
            return False, str(err)
        except CallTimeout as err:
            self._hung[check.function] = err.reason
            self.result.flag(Flag.TIMEOUT)
            self.result.note(f"{check.function}: {err.reason}; its other checks were not run")
            return False, err.reason
        except BridgeUnavailable as err:
            self._hung.update({c.function: err.reason for q in self.suite.auto_questions() for c in q.checks})
            self.result.note(err.reason)
            return False, err.reason
        except KernelLost as err:
            self._hung[check.function] = err.reason
            self.result.flag(Flag.TIMEOUT if "did not return" in err.reason else Flag.KERNEL_DIED)
            self.result.note(f"{check.function}: {err.reason}; the kernel was restarted and the notebook re-run")
            if self._restart():
                self.run_notebook()
            return False, err.reason
        except Exception as err:  # noqa: BLE001 - a bug in a check must not take the batch down
            traceback.print_exc(file=sys.stderr)  # into the worker's log, for the course staff
            self.result.flag(Flag.GRADER_ERROR)
            self.result.note(f"internal grader error in {key}: {type(err).__name__}: {err}")
            return False, "not graded: internal grader error (reported to the course staff)"
        finally:
            self._note_tampering()

    def _note_tampering(self) -> None:
        """Report, once, a notebook that reassigned the grader's code in its kernel (sealed: see boot.py)."""
        names = [n for n in self.kernel.tampered if not any(n in note for note in self.result.integrity)]
        if names:
            self.result.integrity.append(f"the notebook reassigned the grader's code in its kernel: {', '.join(names[:8])}")
            self.result.flag(Flag.FLAGGED)

    def _phase(self, name: str, since: float) -> float:
        now = time.monotonic()
        self.result.phases[name] = round(now - since, 3)
        return now

    # -- everything -----------------------------------------------------------------------------
    def grade(self) -> Result:
        """Run the notebook and the checks; the kernel is shut down whatever happens."""
        try:
            self.kernel.start()
            mark = self._phase("start", self._start)
            ran = self.run_notebook()
            mark = self._phase("notebook", mark)
            if ran:
                self.run_checks()
                self._phase("checks", mark)
            else:
                self.result.note("the notebook could not be run to the end; no check was run")
        except KernelLost as err:
            self.result.flag(Flag.KERNEL_DIED)
            self.result.note(f"the kernel could not be started: {err.reason}")
        finally:
            self.kernel.shutdown()
        self.result.figures = self._figures  # once, at the end: progress writes stay small
        self.result.finished = True
        self._progress(None)
        return self.result
