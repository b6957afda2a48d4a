"""Known mistakes, by name: feedback that says *which* misconception a wrong answer shows.

Each assignment ships a catalog (`autograder/checks/catalogs/<id>.py`, a `Catalog` named CATALOG): per graded
function, wrong variants written from the reference with exactly one misconception each, and one sentence
that names it and the fix. When a check fails, the grader evaluates every variant of the function on the
failing call's inputs, here in the grader's process; when the student's output matches one (same dtype, the
same values within `MATCH`) and that variant's output differs from the reference's, the feedback names it.
The public checks of the student notebook carry the variants' outputs on their cases, so `grader.check`
names the same misconception as the grading report (see `public.py`).

Every entry is exercised by `tests/test_misconceptions.py`: a submission with exactly that mistake (an example
of `tests/submissions/<id>/examples.py` of the same name, written independently of the variant) gets exactly
that message, and correct rewrites never get one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

from .compare import Loss


@dataclass(frozen=True)
class Misconception:
    """One known wrong answer of one function: `wrong(**kwargs)` has the reference's keyword contract."""

    function: str
    name: str
    message: str  # one sentence, to the student: what the answer did, and what the contract needs
    wrong: Callable


# A match: entrywise |got - wrong| <= MATCH_ATOL + MATCH_RTOL * |wrong| (float32 results keep ~6 digits).
MATCH_RTOL, MATCH_ATOL = 1e-5, 1e-7
# A variant is diagnostic on an input only where it is this far from the reference (in units of the match bound).
DISTINCT = 10.0


def _outputs(value) -> tuple:
    if isinstance(value, Loss):
        value = value.value
    return value if isinstance(value, tuple) else (value,)


def close_to(got, want, factor=1.0):
    """Whether `got` is the same answer as `want`: same dtype, shapes that broadcast together to the size of the
    larger, entries within `factor` times the match bound (nan matches nan). Self-contained (torch imported
    inside): public.py copies it into the notebook's tests, so the notebook matches exactly as the grader does."""
    import torch

    if not (isinstance(got, torch.Tensor) and isinstance(want, torch.Tensor)) or got.dtype != want.dtype:
        return False
    try:
        g, w = torch.broadcast_tensors(got.detach().to(torch.float64).cpu(), want.detach().to(torch.float64).cpu())
    except RuntimeError:
        return False
    if g.numel() != max(got.numel(), want.numel()):
        return False  # one output broadcasts to a larger shape than the other has: not the same answer
    same = (torch.isnan(g) & torch.isnan(w)) | (torch.isinf(g) & (g == w))
    err = torch.where(same, torch.zeros_like(g), (g - w).abs())
    return bool((err <= factor * (MATCH_ATOL + MATCH_RTOL * torch.nan_to_num(w.abs(), posinf=0.0))).all())


def same_answer(got, want, factor: float = 1.0) -> bool:
    """Whether two answers (a tensor, a tuple of tensors, or a loss) agree output by output."""
    got, want = _outputs(got), _outputs(want)
    return len(got) == len(want) and all(close_to(g, w, factor) for g, w in zip(got, want))


@dataclass
class Catalog:
    """The misconceptions of one assignment, with the reference of each function they are variants of."""

    references: dict  # function name -> reference callable (keyword contract)
    entries: list = field(default_factory=list)

    def add(self, function: str, name: str, message: str):
        """Register `fn` as the wrong variant `name` of `function` (a decorator)."""
        if function not in self.references:
            raise ValueError(f"misconception {name}: no reference for {function!r}")
        if any(e.name == name for e in self.entries):
            raise ValueError(f"misconception {name!r} is registered twice")

        def register(fn):
            self.entries.append(Misconception(function, name, " ".join(message.split()), fn))
            return fn

        return register

    def of(self, function: str) -> list:
        return [e for e in self.entries if e.function == function]

    def outputs(self, function: str, kwargs: dict) -> list:
        """`(entry, output)` for every variant of `function` that is diagnostic on `kwargs` (its output differs
        from the reference's by far more than the match bound)."""
        try:
            reference = self.references[function](**kwargs)
        except Exception:  # noqa: BLE001 - a reference that cannot run on these inputs diagnoses nothing
            return []
        out = []
        for entry in self.of(function):
            try:
                value = entry.wrong(**kwargs)
            except Exception:  # noqa: BLE001 - a variant that fails on these inputs is not what the student did
                continue
            if not same_answer(value, reference, DISTINCT):
                out.append((entry, value))
        return out

    def diagnose(self, function: str, kwargs: dict, got) -> Misconception | None:
        """The known mistake whose output `got` matches on `kwargs`, if exactly one kind matches. A loss
        (`compare.Loss`) matches in value and in its gradients with respect to the model's parameters."""
        if function not in self.references:
            return None
        if isinstance(got, Loss):
            matches = self._loss_matches(function, kwargs, got)
        else:
            matches = [entry for entry, value in self.outputs(function, kwargs) if same_answer(got, value)]
        return matches[0] if len(matches) == 1 else None

    def loss_outputs(self, function: str, kwargs: dict, model_name: str) -> list:
        """`(entry, (value, {parameter: gradient}))` for every variant of the loss `function` that differs from
        the reference on `kwargs` in value or in a gradient."""
        reference = _loss_answer(self.references[function], kwargs, model_name)
        if reference is None:
            return []
        out = []
        for entry in self.of(function):
            wrong = _loss_answer(entry.wrong, kwargs, model_name)
            if wrong is not None and not _same_loss(wrong, reference, DISTINCT):
                out.append((entry, wrong))
        return out

    def _loss_matches(self, function: str, kwargs: dict, got: Loss) -> list:
        if got.grads_error or not got.grads:  # a detached loss: only its value can be compared
            return [e for e, value in self.outputs(function, kwargs) if same_answer(got.value, value)]
        model_name = next(iter(got.grads)).split(".", 1)[0]
        mine = (got.value, {k.split(".", 1)[1]: g for k, g in got.grads.items()})
        return [e for e, wrong in self.loss_outputs(function, kwargs, model_name) if _same_loss(mine, wrong)]


def _loss_answer(fn, kwargs: dict, model_name: str):
    """`fn`'s value and its gradients with respect to the parameters of `kwargs[model_name]` (None if it fails)."""
    model = kwargs[model_name].copy().requires_grad_(True)
    try:
        value = fn(**{**kwargs, model_name: model})
        names, params = zip(*model.named_parameters())
        grads = torch.autograd.grad(value, params, allow_unused=True)
    except Exception:  # noqa: BLE001 - a variant that fails on these inputs is not what the student did
        return None
    return value.detach(), {n: (g if g is not None else torch.zeros_like(p)).detach()
                            for n, g, p in zip(names, grads, params)}


def _same_loss(a, b, factor: float = 1.0) -> bool:
    (va, ga), (vb, gb) = a, b
    if not close_to(va, vb, factor) or set(ga) != set(gb):
        return False
    return all(close_to(ga[n].to(torch.float64), gb[n].to(torch.float64), factor) for n in ga)


EMPTY = Catalog(references={})


def explain(entry: Misconception) -> str:
    """The line a student reads."""
    return f"This is a known mistake ({entry.name.replace('_', ' ')}): {entry.message}"
