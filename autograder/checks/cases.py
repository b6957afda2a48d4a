"""Inputs for the checks: hypothesis strategies with edge values, and small records turned into tensors.

A property's examples are small records (`Case`, `Mix`) whose repr is what a student reads as the
smallest failing input; the tensors are made from the record's seed inside the check. Every strategy is
an `Edged`: the values a check must always see (t = 0, t = T - 1, B = 1, an image shape, float32 data)
run as explicit examples, whatever hypothesis draws besides.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from hypothesis import strategies as st

from course_core import schedules

from ..boundary.codec import TestModel
from . import device
from .compare import Expected, Loss

DTYPES = {"float64": torch.float64, "float32": torch.float32}
F64 = torch.float64


# -- strategies with edge values ------------------------------------------------------------------
@dataclass(frozen=True)
class Edged:
    """A strategy and the values every property using it runs explicitly (the first is the base example)."""

    strategy: st.SearchStrategy
    edges: tuple


def edged(strategy: st.SearchStrategy, *edges) -> Edged:
    if not edges:
        raise ValueError("give at least one edge value (the base example)")
    return Edged(strategy, tuple(edges))


def ints(lo: int, hi: int) -> Edged:
    return edged(st.integers(lo, hi), lo, hi)


def floats(lo: float, hi: float) -> Edged:
    return edged(st.floats(lo, hi), lo, hi)


def choice(*values) -> Edged:
    return edged(st.sampled_from(values), *values)


def seeds() -> Edged:
    return edged(st.integers(0, 2**16), 0)


# -- tensors ----------------------------------------------------------------------------------------
def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def normal(g: np.random.Generator, *shape: int, scale: float = 1.0, dtype=torch.float64) -> torch.Tensor:
    """Standard normal draws (times `scale`), made in float64 and then rounded to `dtype`."""
    return torch.from_numpy(g.normal(size=shape) * scale).to(dtype)


def random_mixture(g: np.random.Generator, K: int, d: int, *, spread: float = 2.0):
    """Weights (K,), means (K, d) and well-conditioned covariances (K, d, d), float64."""
    weights = torch.from_numpy(g.dirichlet(np.ones(K)) * 0.9 + 0.1 / K)
    means = normal(g, K, d, scale=spread)
    L = normal(g, K, d, d, scale=0.5)
    covs = L @ L.transpose(1, 2) + 0.3 * torch.eye(d, dtype=torch.float64)
    return weights, means, covs


def test_model(g: np.random.Generator, d: int, *, scale: float = 0.5, time_scale: float = 0.1, time: str = "any",
               linear: bool = True, classes: int | None = None, classifier: bool = False) -> TestModel:
    """A random `TestModel` on d-dimensional data (d = prod(D) for data of shape (B, *D)).

    `time_scale` sets how strongly the output depends on the step or noise level, `time` how the contract
    says it is given (``"index"``: an int64 (B,) tensor of steps; ``"level"``: a noise level; see TestModel);
    `classes` adds a class embedding (a conditional model) or, with `classifier`, makes it a classifier over
    that many classes.
    """
    draw = lambda *shape, s=scale: normal(g, *shape, scale=s)  # noqa: E731
    parts = dict(W=draw(d, d), b=draw(d), c=draw(d, s=scale * time_scale))
    if classifier:
        parts["V"] = draw(classes, d)
    else:
        if linear:
            parts["A"] = draw(d, d)
        if classes:
            parts["E"] = draw(classes, d)
    return TestModel(**parts, time=time)


test_model.__test__ = False  # not a pytest test


def _cast(value, dtype):
    if isinstance(value, torch.Tensor) and value.is_floating_point():
        return value.to(dtype)
    return value


def reference(fn, *args, **kwargs):
    """`fn` on float64 copies of the floating-point tensor arguments: the exact answer, for float32 inputs too.
    Run on the grading device (`device`), returned on the CPU."""
    return device.run(fn, [_cast(a, F64) for a in args], {k: _cast(v, F64) for k, v in kwargs.items()})


_ULP32 = 2.0**-24  # float32's unit roundoff


def _perturbed(value, sign: float):
    """`value` with every float entry moved by one float32 rounding of an O(1) quantity, in a fixed pattern of
    directions: ``x + sign * pattern * 2^-24 * max(|x|, 1)``. Absolute for small entries, because float32
    rounds the O(1) intermediates they enter (``1 - beta_t`` for a schedule entry of 1e-4)."""
    if isinstance(value, TestModel):
        return TestModel(**{p: _perturbed(torch.from_numpy(a), sign) for p, a in value.arrays().items()},
                         time=value.time)
    if not (isinstance(value, torch.Tensor) and value.is_floating_point()):
        return value
    pattern = torch.randint(0, 2, value.shape, generator=torch.Generator().manual_seed(value.numel())) * 2.0 - 1.0
    value = value.to(F64)
    return value + sign * _ULP32 * pattern.to(F64) * value.abs().clamp(min=1.0)


def _has_float32(values) -> bool:
    return any(isinstance(v, torch.Tensor) and v.dtype == torch.float32 for v in values)


def _float32_budget(fn, args, kwargs):
    """Per output, the entrywise size of float32's error on `fn`: the largest deviation from the exact answer
    of `fn` run entirely in float32 (data and schedules cast first, as diffusers does) and of `fn` run exactly
    on inputs moved by one float32 rounding (twice, in opposite directions). The first measures the
    arithmetic's rounding, the others the conditioning, which holds whatever order a correct implementation
    computes in."""
    runs = [device.run(fn, [_cast(a, torch.float32) for a in args],
                       {k: _cast(v, torch.float32) for k, v in kwargs.items()})]
    for sign in (1.0, -1.0):
        runs.append(device.run(fn, [_perturbed(a, sign) for a in args],
                               {k: _perturbed(v, sign) for k, v in kwargs.items()}))
    return runs


def _deviation(exact: torch.Tensor, runs) -> torch.Tensor:
    err = torch.stack([(r.detach().to(F64) - exact).abs() for r in runs]).amax(0)
    return torch.where(torch.isfinite(err), err, torch.zeros_like(err))


def expected(fn, *args, **kwargs):
    """The reference answer with its float32 error budget (`compare.Expected`), or a tuple of them.

    With float32 data the budget of each entry is `_float32_budget`'s; with float64 data it is zero.
    """
    exact = reference(fn, *args, **kwargs)
    single = not isinstance(exact, tuple)
    exact = (exact,) if single else exact
    if _has_float32([*args, *kwargs.values()]):
        runs = [(r,) if single else r for r in _float32_budget(fn, args, kwargs)]
        out = tuple(Expected(e, _deviation(e, [r[i] for r in runs])) for i, e in enumerate(exact))
    else:
        out = tuple(Expected(e, torch.zeros_like(e)) for e in exact)
    return out[0] if single else out


def _loss_and_grads(fn, model: str, kwargs: dict, cast):
    m = device.to_device(cast(kwargs[model]).copy()).requires_grad_(True)
    value = fn(**{k: device.to_device(cast(v)) for k, v in kwargs.items() if k != model}, **{model: m})
    names, params = zip(*m.named_parameters())
    grads = torch.autograd.grad(value, params)
    return value.detach().cpu(), {f"{model}.{n}": g.cpu() for n, g in zip(names, grads)}


def expected_loss(fn, *, model: str, **kwargs) -> Loss:
    """A reference loss and its gradient with respect to the parameters of the model argument `model`, each
    with its float32 error budget (as `expected`)."""
    value, grads = _loss_and_grads(fn, model, kwargs, lambda v: _cast(v, F64))
    if not _has_float32(kwargs.values()):
        return Loss(Expected(value, torch.zeros_like(value)), {k: Expected(g, torch.zeros_like(g)) for k, g in grads.items()})
    runs = [_loss_and_grads(fn, model, kwargs, lambda v: _cast(v, torch.float32))]
    runs += [_loss_and_grads(fn, model, kwargs, lambda v, s=sign: _perturbed(v, s)) for sign in (1.0, -1.0)]
    return Loss(Expected(value, _deviation(value, [r[0] for r in runs])),
                {k: Expected(g, _deviation(g, [r[1][k] for r in runs])) for k, g in grads.items()})


# -- diffusion steps ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """B samples of shape D at steps t of a T-step schedule, in dtype.

    `t_at`: "random" steps, or "first" / "last" to put t[0] at 0 / T - 1 (the others random).
    """

    B: int
    D: tuple
    T: int
    schedule: str
    t_at: str
    dtype: str
    seed: int

    @property
    def torch_dtype(self) -> torch.dtype:
        return DTYPES[self.dtype]

    def beta(self) -> torch.Tensor:
        """The float64 ``(T,)`` schedule (schedules stay float64 whatever the data's dtype)."""
        if self.schedule == "linear":
            return schedules.linear_beta_schedule(self.T)
        if self.schedule == "cosine":
            return schedules.cosine_beta_schedule(self.T)
        raise ValueError(f"unknown schedule {self.schedule!r}")

    def steps(self, g: np.random.Generator) -> torch.Tensor:
        t = torch.from_numpy(g.integers(0, self.T, size=self.B)).to(torch.int64)
        if self.t_at == "first":
            t[0] = 0
        elif self.t_at == "last":
            t[0] = self.T - 1
        return t

    def tensors(self):
        """beta, alpha_bar, t, and three (B, *D) standard normal tensors in `dtype`."""
        g = rng(self.seed)
        beta = self.beta()
        t = self.steps(g)
        draws = [normal(g, self.B, *self.D, dtype=self.torch_dtype) for _ in range(3)]
        return (beta, schedules.alpha_bar_from_beta(beta), t, *draws)


def cases(*, T=(1, 1000), B=(1, 4), shapes=((2,), (1,), (3,), (3, 4, 4)), schedules=("linear", "cosine"),
          t_at=("random", "first", "last"), dtypes=("float64", "float32")) -> Edged:
    """Cases whose edges are: the base case, then one at a time t at 0 and at T - 1, B = 1, every other
    shape (images among them), every other dtype, the smallest and largest T, every other schedule."""
    strategy = st.builds(Case, B=st.integers(*B), D=st.sampled_from(shapes), T=st.integers(*T),
                         schedule=st.sampled_from(schedules), t_at=st.sampled_from(t_at),
                         dtype=st.sampled_from(dtypes), seed=st.integers(0, 2**16))
    base = Case(B=min(max(3, B[0]), B[1]), D=shapes[0], T=min(max(10, T[0]), T[1]), schedule=schedules[0],
                t_at=t_at[0], dtype=dtypes[0], seed=0)
    edges = [base]
    edges += [replace(base, t_at=v) for v in t_at[1:]]
    edges += [replace(base, B=B[0]), *(replace(base, D=v) for v in shapes[1:])]
    edges += [replace(base, dtype=v) for v in dtypes[1:]]
    edges += [replace(base, T=v) for v in T] + [replace(base, schedule=v) for v in schedules[1:]]
    return edged(strategy, *dict.fromkeys(edges))


# -- Gaussian mixtures ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mix:
    """A random mixture of K components in d dimensions, evaluated at N points of `dtype`."""

    N: int
    d: int
    K: int
    dtype: str
    seed: int

    @property
    def torch_dtype(self) -> torch.dtype:
        return DTYPES[self.dtype]


def mixes(*, N=(1, 5), d=(1, 3), K=(1, 4), dtypes=("float64", "float32")) -> Edged:
    strategy = st.builds(Mix, N=st.integers(*N), d=st.integers(*d), K=st.integers(*K),
                         dtype=st.sampled_from(dtypes), seed=st.integers(0, 2**16))
    base = Mix(N=min(3, N[1]), d=min(2, d[1]), K=min(2, K[1]), dtype=dtypes[0], seed=0)
    edges = [base, replace(base, N=N[0]), *(replace(base, d=v) for v in d), *(replace(base, K=v) for v in K)]
    edges += [replace(base, dtype=v) for v in dtypes[1:]]
    return edged(strategy, *dict.fromkeys(edges))
