"""Comparing a student's result with the reference: shapes, dtypes, and an elementwise error bound.

The bound is elementwise, ``|got_i - want_i| <= atol + rtol * scale_i + SLACK * budget_i``:
- ``scale_i`` is ``|want_i|``, or, where a result is a sum of larger terms, the size of those terms
  (``scale=``); a small entry is held to its own size, not to the largest entry of the tensor;
- ``budget_i``, for float32 data, is the measured float32 error of that entry (`cases.expected`): the
  largest deviation from the exact answer of the reference run entirely in float32 (data and schedules cast
  first, as diffusers does) and of the reference run exactly on inputs moved by one float32 rounding. It is
  large exactly where float32 loses digits (``1 - alpha_bar_t`` near t = 0, ``1 / sqrt(alpha_bar_t)`` near
  t = T - 1), whatever order a correct implementation computes in; with float64 data it is zero.

Correct implementations stay below a tenth of the bound (on the grading examples and on many more) and
every catalogued mistake exceeds it at least tenfold; `tests/test_checks.py` measures both and prints the
table.

Every comparison reports its error ratio ``max_i |got_i - want_i| / bound_i`` to the observers installed
with `observe()`, which is how those margins are measured.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from dataclasses import dataclass, field

import numpy as np
import torch


class CheckFailed(AssertionError):
    """A check's verdict, with a message meant for the student."""

    def __init__(self, message: str, ratio: float = float("inf")):
        super().__init__(message)
        self.ratio = ratio


class GraderBug(Exception):
    """The grader itself is wrong (a non-finite reference value, a bad check): never the student's fault."""


@dataclass(frozen=True)
class Tol:
    """An elementwise error bound ``atol + rtol * scale``."""

    rtol: float
    atol: float

    def bound(self, scale: torch.Tensor) -> torch.Tensor:
        return self.atol + self.rtol * scale


# Float32 arithmetic keeps about 7 significant digits; a short chain of operations loses one or two.
FLOAT32 = Tol(rtol=2e-5, atol=1e-6)
LOOP = Tol(rtol=1e-4, atol=1e-5)  # iterated maps and long sums (samplers, the bound): the error grows with the steps
FLOAT64 = Tol(rtol=1e-9, atol=1e-12)  # float64 by contract and computed from scratch (schedules): float64 precision
SLACK = 40.0  # correct float32 implementations measured within 1.7 budgets (tests/test_checks.py): 10x room and more


@dataclass(frozen=True)
class Expected:
    """A reference value (float64) with its float32 error budget, elementwise (see `cases.expected`)."""

    value: torch.Tensor
    budget: torch.Tensor


@dataclass
class Loss:
    """A loss as the student's function returned it: its value and the model parameters' gradients."""

    value: torch.Tensor
    grads: dict = field(default_factory=dict)  # "model.W" -> gradient
    grads_error: str | None = None


_OBSERVERS: contextvars.ContextVar[tuple] = contextvars.ContextVar("observers", default=())


@contextlib.contextmanager
def observe():
    """Collect ``(what, ratio)`` of every comparison made inside the block."""
    seen: list = []
    token = _OBSERVERS.set(_OBSERVERS.get() + (seen,))
    try:
        yield seen
    finally:
        _OBSERVERS.reset(token)


def _report(what: str, ratio: float) -> None:
    for seen in _OBSERVERS.get():
        seen.append((what, ratio))


def as_float64(x) -> torch.Tensor:
    return torch.as_tensor(x).detach().to(torch.float64)


def _dtype_name(dtype) -> str:
    return str(dtype).replace("torch.", "")


def require_tensor(got, what: str) -> torch.Tensor:
    if not isinstance(got, torch.Tensor):
        kind = "a tuple (several outputs)" if isinstance(got, tuple) else type(got).__name__
        raise CheckFailed(f"{what}: expected one tensor, got {kind}")
    return got


def _digits(got: float, want: float) -> int:
    """Enough significant digits for `got` and `want` to print differently."""
    rel = abs(got - want) / max(abs(want), abs(got), 1e-300)
    return int(min(17, max(6, math.ceil(-math.log10(rel)) + 2))) if rel > 0 else 6


def assert_close(got, want, what: str, *, tol: Tol = FLOAT32, dtype=None, scale=None, broadcast_to=None,
                 hint: str = "") -> None:
    """Fail unless `got` has `want`'s shape (or broadcasts to `broadcast_to`), `dtype`, and matches it.

    `want` is the reference value (float64); `scale` the elementwise magnitude the error is relative to
    (default ``|want|``); `hint` is added to a wrong value's message. A non-finite reference is a grader
    bug and raises `GraderBug`.
    """
    got = require_tensor(got, what)
    if dtype is not None and got.dtype != dtype:
        raise CheckFailed(f"{what}: returned dtype {_dtype_name(got.dtype)}; results keep the dtype of the data "
                          f"they are given ({_dtype_name(dtype)})")
    budget = torch.zeros(())
    if isinstance(want, Expected):
        want, budget = want.value, as_float64(want.budget)
    want = as_float64(want)
    if not torch.isfinite(want).all():
        raise GraderBug(f"{what}: the reference value is not finite")
    got64 = as_float64(got)
    if broadcast_to is not None:
        try:
            got64 = torch.broadcast_to(got64, tuple(broadcast_to))
        except RuntimeError:
            raise CheckFailed(f"{what}: shape {tuple(got.shape)} does not broadcast to {tuple(broadcast_to)}") from None
        want = torch.broadcast_to(want, tuple(broadcast_to))
        budget = torch.broadcast_to(budget, tuple(broadcast_to))
    elif got64.shape != want.shape:
        raise CheckFailed(f"{what}: expected shape {tuple(want.shape)}, got {tuple(got.shape)}")
    if not torch.isfinite(got64).all():
        _report(what, float("inf"))
        raise CheckFailed(f"{what}: the result contains nan or inf where the expected value is finite")
    if want.numel() == 0:
        return
    scale = want.abs() if scale is None else torch.broadcast_to(as_float64(scale).abs(), want.shape)
    err = (got64 - want).abs()
    ratios = err / (tol.bound(scale) + SLACK * budget)
    ratio = ratios.max().item()
    _report(what, ratio)
    if ratio > 1.0:
        idx = tuple(int(i) for i in np.unravel_index(int(ratios.argmax()), tuple(ratios.shape)))
        g, w = got64[idx].item(), want[idx].item()
        n = _digits(g, w)
        raise CheckFailed(
            f"{what}: wrong value at index {idx}: got {g:.{n}g}, expected {w:.{n}g} "
            f"(error {err[idx].item():.3g}, {ratio:.3g} times the tolerance)" + (f"; {hint}" if hint else ""), ratio)


def assert_scalar(got, want, what: str, *, tol: Tol = FLOAT32, dtype=None) -> None:
    """A loss value: a one-element tensor (shape () or (1,)) close to `want`."""
    got = require_tensor(got, what)
    if got.numel() != 1:
        raise CheckFailed(f"{what}: expected a scalar (a mean over the batch), got shape {tuple(got.shape)}")
    if not isinstance(want, Expected):
        want = Expected(as_float64(want), torch.zeros(()))
    assert_close(got.reshape(()), Expected(want.value.reshape(()), want.budget.reshape(())), what, tol=tol, dtype=dtype)


def assert_loss(got: Loss, want: Loss, what: str, *, tol: Tol = FLOAT32, grad_tol: Tol | None = None, dtype=None) -> None:
    """A loss matches the reference in value and in its gradient with respect to every model parameter.

    A loss that is right in value but detached from the model (a Python float, ``.item()``, ``no_grad``)
    would train nothing; it fails here.
    """
    assert_scalar(got.value, want.value, what, tol=tol, dtype=dtype)
    if got.grads_error:
        raise CheckFailed(f"{what}: {got.grads_error}; training with it would not update the model")
    for key, want_grad in want.grads.items():
        if key not in got.grads:
            raise CheckFailed(f"{what}: the loss does not depend on the test model's parameter {key.split('.')[-1]} "
                              "(is the model called on the right inputs?)")
        # A gradient is judged against its own size: an entry tiny next to the largest barely moves training.
        size = want_grad.value.abs() if isinstance(want_grad, Expected) else want_grad.abs()
        assert_close(got.grads[key], want_grad, f"{what}: gradient with respect to the test model's parameter "
                     f"{key.split('.')[-1]}", tol=grad_tol or tol, scale=size + size.max(),
                     hint="the loss has the right value but not the right dependence on the model's output")
