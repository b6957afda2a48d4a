"""How hidden checks are written: questions, checks with points, and the student's functions as seen
from the grader.

A check module (`autograder/checks/<id>.py`) builds one `Suite`. Each check is a function of a
`Student` handle, usually a hypothesis property whose examples are small parameter records (sizes, a
seed) turned into tensors inside the check, so the smallest failing input reads well in feedback.
Every comparison happens here, in the grader's process, against `course_core`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Flaky

from .kernel import StudentError

GRADING = settings(
    derandomize=True,  # the same submission graded twice gets the same examples
    database=None,
    deadline=None,
    max_examples=20,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
    print_blob=False,
)


class CheckFailed(AssertionError):
    """A check's verdict, with a message meant for the student."""


# -- arguments that are not arrays --------------------------------------------------------------
@dataclass(frozen=True)
class ToyField:
    """The test model `f(x, s) = x A^T + tanh(x W^T + b + s c)`, built on both sides from the same arrays.

    Used wherever a student's function takes a network (`eps_model`, `score_model`, `score_fn`).
    """

    W: torch.Tensor
    b: torch.Tensor
    c: torch.Tensor
    A: torch.Tensor

    @classmethod
    def random(cls, d: int, rng: np.random.Generator, scale: float = 0.5) -> "ToyField":
        g = lambda *shape: torch.from_numpy(rng.normal(size=shape) * scale)  # noqa: E731
        return cls(W=g(d, d), b=g(d), c=g(d) * 0.1, A=g(d, d))

    def __call__(self, x: torch.Tensor, s) -> torch.Tensor:
        s = torch.as_tensor(s).to(dtype=x.dtype).reshape(-1, 1)
        return x @ self.A.to(x.dtype).T + torch.tanh(x @ self.W.to(x.dtype).T + self.b.to(x.dtype) + s * self.c.to(x.dtype))


def _encode_args(kwargs: dict) -> tuple[dict, dict]:
    spec, arrays = {}, {}
    for name, value in kwargs.items():
        if isinstance(value, torch.Tensor):
            arrays[name] = value.detach().cpu().numpy()
            spec[name] = {"kind": "array", "key": name}
        elif isinstance(value, ToyField):
            keys = {}
            for part in ("W", "b", "c", "A"):
                arrays[f"{name}.{part}"] = getattr(value, part).numpy()
                keys[part] = f"{name}.{part}"
            spec[name] = {"kind": "toy_field", "keys": keys}
        elif value is None or isinstance(value, (bool, int, float, str)):
            spec[name] = {"kind": "value", "value": value}
        else:
            raise TypeError(f"cannot send {type(value).__name__} to the student's kernel")
    return spec, arrays


class Student:
    """The student's notebook as the checks see it: functions that take tensors and return tensors."""

    def __init__(self, kernel, call_timeout: float):
        self.kernel = kernel
        self.call_timeout = call_timeout

    def __call__(self, name: str, **kwargs):
        """Call the student's `name(**kwargs)`; returns a tensor, or a tuple for several outputs."""
        spec, arrays = _encode_args(kwargs)
        try:
            out = self.kernel.call(name, spec, arrays, self.call_timeout)
        except StudentError as err:
            raise CheckFailed(f"{name} {err}") from None
        tensors = tuple(torch.from_numpy(out[f"out{i}"]) for i in range(len(out)))
        return tensors[0] if len(tensors) == 1 else tensors


# -- comparisons ---------------------------------------------------------------------------------
def as_float64(x) -> torch.Tensor:
    return torch.as_tensor(x).detach().to(torch.float64)


def assert_close(got, want, what: str, *, rtol: float = 1e-4, atol: float = 1e-6, broadcast_to=None) -> None:
    """Fail unless `got` has `want`'s shape (or broadcasts to `broadcast_to`) and matches it.

    The tolerance admits a float32 implementation of a float64 reference: |got - want| must be at
    most `atol + rtol * max|want|` elementwise (a scale-aware bound, so tiny entries of a large
    vector are not held to float64 precision).
    """
    if not isinstance(got, torch.Tensor):
        raise CheckFailed(f"{what}: expected a tensor, got {type(got).__name__} (a tuple where one tensor belongs?)")
    want = as_float64(want)
    got = as_float64(got)
    if broadcast_to is not None:
        try:
            got = torch.broadcast_to(got, tuple(broadcast_to))
        except RuntimeError:
            raise CheckFailed(f"{what}: shape {tuple(got.shape)} does not broadcast to {tuple(broadcast_to)}") from None
        want = torch.broadcast_to(want, tuple(broadcast_to))
    elif got.shape != want.shape:
        raise CheckFailed(f"{what}: expected shape {tuple(want.shape)}, got {tuple(got.shape)}")
    if not torch.isfinite(got).all() and torch.isfinite(want).all():
        raise CheckFailed(f"{what}: the result contains nan or inf where the expected value is finite")
    bound = atol + rtol * (want.abs().max().item() if want.numel() else 0.0)
    err = (got - want).abs()
    if err.numel() and err.max().item() > bound:
        idx = np.unravel_index(int(err.argmax()), tuple(err.shape))
        raise CheckFailed(
            f"{what}: wrong value; largest error {err.max().item():.3g} at index {tuple(int(i) for i in idx)} "
            f"(got {got[idx].item():.6g}, expected {want[idx].item():.6g})"
        )


def assert_scalar(got, want, what: str, *, rtol: float = 1e-4, atol: float = 1e-6) -> None:
    """A loss: a tensor with one element (shape () or (1,)) close to `want`."""
    if not isinstance(got, torch.Tensor) or got.numel() != 1:
        shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
        raise CheckFailed(f"{what}: expected a scalar (a mean over the batch), got shape {shape}")
    assert_close(got.reshape(()), as_float64(want).reshape(()), what, rtol=rtol, atol=atol)


# -- questions and checks ------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    question: str
    name: str
    description: str
    points: float
    hidden: bool
    function: str  # the student's function this check calls
    run: Callable[[Student], None]
    helpers: dict = field(default_factory=dict)  # name -> (parameter names, reference function)


@dataclass
class Question:
    name: str
    manual: bool = False
    manual_points: float = 0.0
    prompt: str = ""
    checks: list = field(default_factory=list)

    @property
    def points(self) -> float:
        return self.manual_points if self.manual else sum(c.points for c in self.checks)


def _falsifying_example(err: BaseException) -> str:
    notes = getattr(err, "__notes__", []) or []
    for note in notes:
        if note.startswith(("Falsifying", "Failing test case")):
            body = note.split(":", 1)[1].strip()
            if body.startswith("prop(") and body.endswith(")"):
                body = body[len("prop("):-1]
            return " ".join(line.strip() for line in body.splitlines()).rstrip(",").strip()
    return ""


class Suite:
    """The hidden checks of one assignment, keyed to the notebook's question names."""

    def __init__(self, assignment: str):
        self.assignment = assignment
        self.questions: dict[str, Question] = {}

    def manual(self, name: str, points: float, prompt: str) -> None:
        self.questions[name] = Question(name, manual=True, manual_points=points, prompt=prompt)

    def check(self, question: str, points: float, *, function: str, hidden: bool = True,
              helpers: dict | None = None):
        """Register `fn(student)` as a check worth `points`; its docstring is the feedback name."""

        def register(fn):
            doc = (fn.__doc__ or fn.__name__).strip().splitlines()[0]
            q = self.questions.setdefault(question, Question(question))
            q.checks.append(Check(question, fn.__name__, doc, points, hidden, function, fn, dict(helpers or {})))
            return fn

        return register

    def property(self, question: str, points: float, *, function: str, hidden: bool = True,
                 helpers: dict | None = None, max_examples: int | None = None, **strategies):
        """Register a hypothesis property `fn(student, **examples)` as a check."""

        def register(fn):
            profile = GRADING if max_examples is None else settings(GRADING, max_examples=max_examples)

            def run(student):
                @profile
                @given(**strategies)
                def prop(**example):
                    fn(student, **example)

                try:
                    prop()
                except Flaky:
                    raise CheckFailed(f"{function} gave different results for the same input; does it draw "
                                      "its own random numbers instead of using the `noise` argument?") from None
                except (CheckFailed, AssertionError) as err:
                    example = _falsifying_example(err)
                    msg = str(err).strip() or "assertion failed"
                    raise CheckFailed(msg + (f"\n    smallest failing input: {example}" if example else "")) from None

            run.__doc__ = fn.__doc__
            run.__name__ = fn.__name__
            return self.check(question, points, function=function, hidden=hidden, helpers=helpers)(run)

        return register

    def auto_questions(self) -> list[Question]:
        return [q for q in self.questions.values() if not q.manual]

    def possible(self) -> float:
        return math.fsum(q.points for q in self.auto_questions())
