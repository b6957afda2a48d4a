"""One submission's grade: per question and per check, with structured flags for what went wrong.

The worker writes it as JSON after every step (`to_json`), so what was earned survives a crash; the batch
reads it back (`from_json`), caches it, and hands it to the reports.
"""

from __future__ import annotations

import enum
import json
import math
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path


def write_atomic(path, text: str) -> None:
    """Write `text` to `path` so that a reader, or a crash, sees the old file or the new one, never a part
    (a temporary file beside it, renamed over it)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    os.replace(tmp, path)


@dataclass
class Plan:
    """What a retry must avoid: cells and checks that took the grader's own process down before."""

    skip_cells: set = field(default_factory=set)
    failed_checks: dict = field(default_factory=dict)  # "question/check" -> message


class Flag(str, enum.Enum):
    """What the grade table's status column can say (in this order); no flag means "ok"."""

    KERNEL_DIED = "kernel-died"  # a cell or a call killed the student's kernel
    TIMEOUT = "timeout"  # a cell, a call or the whole submission ran past its limit
    CELL_ERRORS = "cell-errors"  # some notebook cell raised
    KILLED_GRADER = "killed-grader"  # the grader's worker died while grading it; retried around the cause
    CRASHED = "crashed"  # the worker died every time; points earned before are kept
    INVALID = "invalid"  # not a notebook the grader can read
    GRADER_ERROR = "grader-error"  # a bug in the grader (reported to the course staff, never the student's fault)
    FLAGGED = "flagged"  # the code mentions the grader's internals: for a TA to look at, not penalised


@dataclass
class CheckResult:
    name: str
    description: str
    possible: float
    hidden: bool
    points: float = 0.0
    passed: bool = False
    message: str = "not run"
    worst: float | None = None  # the largest error / bound of its comparisons (above 1 fails); None: none made


@dataclass
class ItemScore:
    """A TA's points for one rubric item of a written answer (`points` None: not entered)."""

    item: str
    description: str
    max_points: float
    points: float | None = None
    comment: str = ""


@dataclass
class QuestionResult:
    name: str
    manual: bool
    possible: float
    prompt: str = ""
    checks: list = field(default_factory=list)
    items: list = field(default_factory=list)  # ItemScore per rubric item of a written question a TA graded
    graded: bool = False  # a written question: the TA's points were merged (`diffcourse grade --manual`)

    @property
    def points(self) -> float:
        """The checks' points; for a written question, the sum of its rubric items' points (0 until graded)."""
        return math.fsum([c.points for c in self.checks] + [i.points for i in self.items if i.points is not None])

    @classmethod
    def from_json(cls, data: dict) -> "QuestionResult":
        """Tolerant of JSON written before a field existed (it gets its default) and of fields it does not know."""
        data = _known(cls, data)
        return cls(**{**data, "checks": [CheckResult(**_known(CheckResult, c)) for c in data.get("checks", [])],
                      "items": [ItemScore(**_known(ItemScore, i)) for i in data.get("items", [])]})


def _known(cls, data: dict) -> dict:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


@dataclass
class Result:
    assignment: str
    submission: str
    questions: list
    notes: list = field(default_factory=list)
    flags: list = field(default_factory=list)  # Flag values
    integrity: list = field(default_factory=list)  # why the code was flagged for a TA
    cells: list = field(default_factory=list)  # per executed cell: index, status, error, seconds
    finished: bool = False  # written by a worker that completed (never by a crash)
    seconds: float = 0.0
    phases: dict = field(default_factory=dict)  # seconds spent starting up, running the notebook, checking
    current: dict | None = None  # what the worker is doing now (a cell or a check), for crash recovery
    kernel: dict = field(default_factory=dict)  # pid and tag of the live kernel, for clean-up after a crash; forked: from the zygote
    figures: list = field(default_factory=list)  # [{"cell", "png" (base64)}]: what the notebook drew, for feedback
    sandbox: dict = field(default_factory=dict)  # the walls its kernel ran behind (boundary.sandbox.Protections)
    device: str = "cpu"  # where its kernel and the references ran (grading.device)

    @classmethod
    def blank(cls, assignment: str, submission: str, suite) -> "Result":
        """Nothing earned yet: every check of `suite` "not run"."""
        questions = [QuestionResult(q.name, q.manual, q.points, q.prompt,
                                    [] if q.manual else [CheckResult(c.name, c.description, c.points, c.hidden)
                                                         for c in q.checks])
                     for q in suite.questions.values()]
        return cls(assignment, submission, questions)

    # -- totals -------------------------------------------------------------------------------------
    def auto_questions(self) -> list:
        return [q for q in self.questions if not q.manual]

    def manual_questions(self) -> list:
        return [q for q in self.questions if q.manual]

    def counted_questions(self) -> list:
        """What `total` and `possible` cover: the automatic questions and the written ones a TA graded."""
        return [q for q in self.questions if not q.manual or q.graded]

    @property
    def total(self) -> float:
        """Points earned: automatic, plus written points once a TA's score sheet was merged."""
        return math.fsum(q.points for q in self.counted_questions())

    @property
    def possible(self) -> float:
        """What `total` is out of: the automatic points, plus the maximum of every written question graded."""
        return math.fsum(q.possible for q in self.counted_questions())

    @property
    def auto_total(self) -> float:
        return math.fsum(q.points for q in self.auto_questions())

    @property
    def auto_possible(self) -> float:
        return math.fsum(q.possible for q in self.auto_questions())

    @property
    def status(self) -> str:
        flags = [f for f in Flag if f.value in self.flags]
        return ";".join(f.value for f in flags) or "ok"

    def points_by_question(self) -> dict:
        return {q.name: q.points for q in self.auto_questions()}

    # -- bookkeeping ----------------------------------------------------------------------------------
    def flag(self, flag: Flag) -> None:
        if flag.value not in self.flags:
            self.flags.append(flag.value)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    # -- JSON -----------------------------------------------------------------------------------------
    def to_json(self) -> dict:
        data = asdict(self)
        data.update(total=self.total, possible=self.possible, status=self.status)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Result":
        """The result `to_json` wrote, also from an older or newer version of it (missing fields get their
        defaults, unknown ones are dropped); KeyError when it has no assignment, submission or questions."""
        data = _known(cls, data)
        return cls(**{**data, "questions": [QuestionResult.from_json(q) for q in data["questions"]]})

    @classmethod
    def read(cls, path) -> "Result | None":
        """The result stored at `path`, or None when it is missing, partly written or malformed."""
        try:
            return cls.from_json(json.loads(Path(path).read_text()))
        except (OSError, ValueError, TypeError, KeyError):
            return None
