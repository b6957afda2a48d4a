"""Hidden checks of hw3_ddim: DDIM's timestep subsequences, the Monte-Carlo check of Lemma 1, the noise scale
sigma_t(eta), the generalized reverse step, sampling, respaced betas and inversion; and the written questions
(derivations and interpretations), graded by hand.

Reads side by side with `solutions/hw3_ddim/hw3_ddim.ipynb` and `course_core/ddim.py`. While a function is
checked, the student's other graded functions it may call are answered by the reference (`Suite(helpers=...)`),
so a bug costs points only on the question where it was made. Data comes in float64 and float32 and in every
shape the contract allows (points and images); schedules stay float64. Besides agreement with the reference on
random inputs (both schedules, T up to 1000, every spacing, eta from 0 to 1), the checks hold students to
properties with independent oracles: eta = 1 on contiguous steps is DDPM's posterior step (course_core.ddpm);
eta = 0 ignores the noise; for data that is a single point, one step with the exact noise lands on that point's
path; the respaced chain keeps alpha_bar at the kept indices; and inversion followed by sampling returns the
start exactly.

The round trip uses a test model that depends on the step only: with it, DDIM inversion (noise predicted at the
target index, as the contract says) and deterministic sampling are exact inverses, so one direction is the
student's function and the other the reference, and the answer is the start itself. The issue's form of this
property, with the exact noise of a Gaussian mixture, cannot be checked across the kernel boundary: only the
test model (`boundary/codec.TestModel`) crosses it as a model, and the exact mixture predictor is not one; with
it the round trip is also only approximate (an O(1 / S) error). The notebook shows it (Question 11).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

import torch
from hypothesis import strategies as st

from course_core import ddim as ref
from course_core import ddpm, schedules

from ..boundary.codec import TestModel
from .cases import DTYPES, Case, _perturbed, cases, choice, edged, expected, normal, rng, test_model
from .catalogs.hw3_ddim import CATALOG
from .compare import FLOAT64, LOOP, CheckFailed, Expected, GraderBug, Tol, assert_close, require_tensor
from .framework import Suite
from .public import FLOAT64_EXACT, PublicCase

# Every function over tensors and numbers that another one may call; see Suite.
SUITE = Suite("hw3_ddim", helpers=[ref.ddim_timesteps, ref.ddim_sigma, ref.ddim_step, ref.respace_betas],
              catalog=CATALOG)
F64, I64 = torch.float64, torch.int64
INDEX = Tol(rtol=0.0, atol=0.005)  # integer indices: equal, or off by at least 1 = 200 times the bound
EXACT_INDICES = (0.0, 0.005)  # the same for public cases
# Float32 data never sees eta above this where the step is not contiguous: with eta near 1 and a long jump, the
# root's argument 1 - alpha_bar_prev - sigma^2 is a tiny difference of O(1 - alpha_bar_prev) numbers, which float32
# rounding can make negative (nan without a clamp): the limit of float32, not a mistake.
ETA_FLOAT32 = 0.8


def _view(v: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return v.to(F64).reshape(-1, *([1] * (like.dim() - 1)))


def _at(alpha_bar: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """`alpha_bar[t]` in float64, with 1 where t == -1, shaped to broadcast against `like`."""
    values = torch.where(t >= 0, alpha_bar.to(F64)[t.clamp(min=0)], torch.ones(t.shape, dtype=F64))
    return _view(values, like)


def _earlier(g, t: torch.Tensor, prev: str) -> torch.Tensor:
    """t_prev for each step t: "random" in [-1, t), "final" -1, "contiguous" t - 1."""
    if prev == "final":
        return torch.full_like(t, -1)
    if prev == "contiguous":
        return t - 1
    return torch.tensor([int(g.integers(-1, int(s))) if s > 0 else -1 for s in t], dtype=I64)


def _step_terms(x_t, t, t_prev, eps, noise, alpha_bar, eta):
    """Elementwise size of the terms of Eq. (12) (float64), x0_pred's included."""
    x_t, eps, noise = (v.to(F64) for v in (x_t, eps, noise))
    ab_t, ab_prev = _at(alpha_bar, t, x_t), _at(alpha_bar, t_prev, x_t)
    x0_size = (x_t.abs() + (1 - ab_t).sqrt() * eps.abs()) / ab_t.sqrt()
    sigma = ref.ddim_sigma(ab_t, ab_prev, eta)
    return ab_prev.sqrt() * x0_size + (1 - ab_prev - sigma**2).clamp(min=0).sqrt() * eps.abs() + sigma * noise.abs()


def _coarse(B: int, D: tuple, T: int, t: list, dtype=F64, seed: int = 0, schedule: str = "linear"):
    """A coarse schedule (linear: every coefficient far from 0 and 1; or the cosine schedule of T steps), steps t
    and three (B, *D) draws."""
    g = rng(seed)
    beta = schedules.linear_beta_schedule(T, 0.05, 0.3) if schedule == "linear" else schedules.cosine_beta_schedule(T)
    return (beta, schedules.alpha_bar_from_beta(beta), torch.tensor(t, dtype=I64),
            *(normal(g, B, *D, dtype=dtype) for _ in range(3)))


# -- timesteps (3) -------------------------------------------------------------------------------------
# No public case has an unrounded value exactly half-way between two integers (see _timesteps_want): the public
# test compares with diffusers' values exactly.
SUITE.public("timesteps", 1, [
    PublicCase("ddim_timesteps", "leading spacing, T = 10, 4 steps", dict(T=10, num_steps=4, spacing="leading"),
               tol=EXACT_INDICES),
    PublicCase("ddim_timesteps", "the default spacing (leading), T = 1000, 10 steps", dict(T=1000, num_steps=10),
               tol=EXACT_INDICES),
    PublicCase("ddim_timesteps", "trailing spacing, T = 10, 3 steps", dict(T=10, num_steps=3, spacing="trailing"),
               tol=EXACT_INDICES),
    PublicCase("ddim_timesteps", "trailing spacing, T = 1000, 7 steps", dict(T=1000, num_steps=7, spacing="trailing"),
               tol=EXACT_INDICES),
    PublicCase("ddim_timesteps", "linspace spacing, T = 10, 4 steps", dict(T=10, num_steps=4, spacing="linspace"),
               tol=EXACT_INDICES),
    PublicCase("ddim_timesteps", "linspace spacing, T = 1000, 6 steps", dict(T=1000, num_steps=6, spacing="linspace"),
               tol=EXACT_INDICES),
    PublicCase("ddim_timesteps", "num_steps = T: every index", dict(T=5, num_steps=5, spacing="trailing"),
               tol=EXACT_INDICES),
    PublicCase("ddim_timesteps", "num_steps = 0 is refused", dict(T=10, num_steps=0, spacing="leading"),
               raises="ValueError"),
    PublicCase("ddim_timesteps", "num_steps > T is refused", dict(T=10, num_steps=11, spacing="trailing"),
               raises="ValueError"),
    PublicCase("ddim_timesteps", "an unknown spacing is refused", dict(T=10, num_steps=5, spacing="uniform"),
               raises="ValueError"),
])


def _unrounded(T: int, n: int, spacing: str) -> list:
    """The descending subsequence before rounding, as exact fractions (the formulas of the contract)."""
    if spacing == "leading":
        return [Fraction(k * (T // n)) for k in reversed(range(n))]
    if spacing == "trailing":
        return [T - Fraction(k * T, n) - 1 for k in range(n)]
    return [Fraction(k * (T - 1), n - 1) if n > 1 else Fraction(0) for k in reversed(range(n))]


def _timesteps_want(got: torch.Tensor, T: int, n: int, spacing: str) -> torch.Tensor:
    """diffusers' subsequence, except where the unrounded value is exactly half-way between two integers: there
    either neighbour is right. (numpy's np.arange(T, 0, -T / n) carries float remainders that decide such ties
    one way or the other, so a correct answer written another way, e.g. round(T - k T / n) - 1, may differ
    from diffusers at a tie and nowhere else.)"""
    want = ref.ddim_timesteps(T, n, spacing).to(F64)
    if tuple(got.shape) != tuple(want.shape):
        return want
    for i, (exact, value) in enumerate(zip(_unrounded(T, n, spacing), got.tolist())):
        if exact.denominator == 2 and value in (exact.numerator // 2, exact.numerator // 2 + 1):
            want[i] = value
    return want


def _assert_timesteps(got, T: int, n: int, spacing: str) -> None:
    what = f"ddim_timesteps(T={T}, num_steps={n}, spacing={spacing!r})"
    got = require_tensor(got, what)
    if got.dtype != I64:
        raise CheckFailed(f"{what}: returned dtype {str(got.dtype).replace('torch.', '')}; the subsequence is int64 "
                          "indices (index tensors must be int64)")
    assert_close(got, _timesteps_want(got, T, n, spacing), what, tol=INDEX)


@dataclass(frozen=True)
class Grid:
    """num_steps indices of a T-step chain, by `spacing`."""

    T: int
    num_steps: int
    spacing: str


_GRID = Grid(T=1000, num_steps=50, spacing="leading")
grids = edged(st.integers(1, 1100).flatmap(lambda T: st.builds(Grid, T=st.just(T), num_steps=st.integers(1, T),
                                                                spacing=st.sampled_from(ref.SPACINGS))),
              _GRID, replace(_GRID, spacing="trailing"), replace(_GRID, spacing="linspace"),
              *(Grid(1, 1, s) for s in ref.SPACINGS), *(Grid(10, 10, s) for s in ref.SPACINGS),
              *(Grid(999, 7, s) for s in ref.SPACINGS), *(Grid(1000, 1, s) for s in ref.SPACINGS),
              Grid(1087, 433, "trailing"),  # diffusers returns 434 values here; the contract keeps the first 433
              Grid(7, 6, "trailing"), Grid(6, 3, "linspace"), Grid(1000, 999, "trailing"))  # ties (see _timesteps_want)


@SUITE.property("timesteps", 1.5, function="ddim_timesteps", g=grids)
def timesteps_match(student, g):
    """ddim_timesteps gives diffusers' DDIMScheduler subsequence (steps_offset = 0) for every spacing, descending"""
    _assert_timesteps(student("ddim_timesteps", T=g.T, num_steps=g.num_steps, spacing=g.spacing),
                      g.T, g.num_steps, g.spacing)


@dataclass(frozen=True)
class Refused:
    """Arguments outside the contract: num_steps 0, negative or above T, or an unknown spacing."""

    T: int
    kind: str

    def arguments(self) -> tuple:
        return {"zero": (self.T, 0, "leading"), "negative": (self.T, -3, "trailing"),
                "too_many": (self.T, self.T + 1, "linspace"), "unknown_spacing": (self.T, 1, "uniform"),
                "unknown_spacing_upper": (self.T, 1, "Leading")}[self.kind]


_KINDS = ("zero", "negative", "too_many", "unknown_spacing", "unknown_spacing_upper")
refused = edged(st.builds(Refused, T=st.integers(1, 1000), kind=st.sampled_from(_KINDS)),
                *(Refused(10, k) for k in _KINDS), Refused(1, "too_many"), Refused(1000, "too_many"))


@SUITE.property("timesteps", 0.5, function="ddim_timesteps", r=refused)
def timesteps_refuse(student, r):
    """ddim_timesteps raises ValueError for num_steps < 1, num_steps > T and an unknown spacing, and only there (with
    the same T, a valid num_steps and spacing give the subsequence)"""
    T, n, spacing = r.arguments()
    n_valid, spacing_valid = max(1, (T + 1) // 2), spacing if spacing in ref.SPACINGS else "leading"
    got = student("ddim_timesteps", T=T, num_steps=n_valid, spacing=spacing_valid)
    _assert_timesteps(got, T, n_valid, spacing_valid)
    raised = student.raises("ddim_timesteps", T=T, num_steps=n, spacing=spacing)
    if raised != "ValueError":
        did = "returned a result" if raised is None else f"raised {raised}"
        raise CheckFailed(f"ddim_timesteps(T={T}, num_steps={n}, spacing={spacing!r}) {did}; the contract raises "
                          "ValueError (with a message that says what is wrong) for these arguments")


# -- marginal_mc (2) -----------------------------------------------------------------------------------
def _draws_case(N, D, ab_t, ab_prev, sigma, dtype=F64, seed=0):
    g = rng(seed)
    return dict(x0=normal(g, *D, scale=1.5, dtype=dtype), alpha_bar_t=ab_t, alpha_bar_prev=ab_prev, sigma_eta=sigma,
                noise=normal(g, 2, N, *D, dtype=dtype))


def _ddpm_sigma(ab_t: float, ab_prev: float) -> float:
    return ((1 - ab_prev) / (1 - ab_t) * (1 - ab_t / ab_prev)) ** 0.5


SUITE.public("marginal_mc", 0.5, [
    PublicCase("ddim_marginal_mc", "sigma = 0 (x_{t-1} is a function of x_t)", _draws_case(6, (2,), 0.4, 0.7, 0.0)),
    PublicCase("ddim_marginal_mc", "DDPM's sigma (eta = 1)", _draws_case(6, (2,), 0.4, 0.7, _ddpm_sigma(0.4, 0.7), seed=1)),
    PublicCase("ddim_marginal_mc", "the largest sigma, sqrt(1 - alpha_bar_prev) (x_t is forgotten)",
               _draws_case(6, (2,), 0.5, 0.75, 0.5, seed=2)),
    PublicCase("ddim_marginal_mc", "an image-shaped data point (C, H, W)", _draws_case(5, (1, 2, 2), 0.3, 0.6, 0.3, seed=3)),
    PublicCase("ddim_marginal_mc", "float32 data", _draws_case(6, (2,), 0.4, 0.7, 0.25, torch.float32, seed=4)),
])


@dataclass(frozen=True)
class Draws:
    """N pairs (x_t, x_{t-1}) from one data point of shape D, in dtype. alpha_bar_t in [0.1, 0.9] and alpha_bar_prev
    at least 0.05 above it and at most 0.95 (or 1: `final`); sigma is 0, DDPM's, 0.999 of the largest (where float
    rounding cannot make the root's argument negative) or random in between."""

    N: int
    D: tuple
    sigma_at: str
    final: bool
    dtype: str
    seed: int

    def inputs(self) -> dict:
        g = rng(self.seed)
        ab_t = float(g.uniform(0.1, 0.9))
        ab_prev = 1.0 if self.final else float(g.uniform(ab_t + 0.05, max(ab_t + 0.05, 0.95)))
        largest = 0.999 * (1 - ab_prev) ** 0.5
        sigma = {"zero": 0.0, "ddpm": _ddpm_sigma(ab_t, ab_prev), "max": largest,
                 "random": float(g.uniform(0, 1)) * largest}[self.sigma_at]
        dtype = DTYPES[self.dtype]
        return dict(x0=normal(g, *self.D, scale=1.5, dtype=dtype), alpha_bar_t=ab_t, alpha_bar_prev=ab_prev,
                    sigma_eta=sigma, noise=normal(g, 2, self.N, *self.D, dtype=dtype))


_DRAWS = Draws(N=8, D=(2,), sigma_at="random", final=False, dtype="float64", seed=0)
draws = edged(st.builds(Draws, N=st.integers(2, 40), D=st.sampled_from([(2,), (1,), (3,), (2, 3, 3)]),
                        sigma_at=st.sampled_from(["random", "zero", "ddpm", "max"]), final=st.sampled_from([False, True]),
                        dtype=st.sampled_from(["float64", "float32"]), seed=st.integers(0, 2**16)),
              _DRAWS, *(replace(_DRAWS, sigma_at=s) for s in ("zero", "ddpm", "max")), replace(_DRAWS, final=True),
              replace(_DRAWS, N=2), replace(_DRAWS, N=40), replace(_DRAWS, D=(1,)), replace(_DRAWS, D=(2, 3, 3)),
              replace(_DRAWS, dtype="float32"), replace(_DRAWS, dtype="float32", sigma_at="max"))


def _draw_sizes(x0, alpha_bar_t, alpha_bar_prev, sigma_eta, noise):
    """Per draw, the size of the terms x_{t-1} is made of (float64, (N, *D))."""
    x0, noise, sigma = x0.to(F64), noise.to(F64), sigma_eta
    c_t, c_eps = alpha_bar_t**0.5, (1 - alpha_bar_t) ** 0.5
    c_dir = (max(1 - alpha_bar_prev - sigma**2, 0.0) / (1 - alpha_bar_t)) ** 0.5
    x_t = c_t * x0 + c_eps * noise[0]
    return alpha_bar_prev**0.5 * x0.abs() + c_dir * (x_t.abs() + c_t * x0.abs()) + sigma * noise[1].abs()


@SUITE.property("marginal_mc", 1.5, function="ddim_marginal_mc", d=draws)
def marginal_mc_matches(student, d):
    """ddim_marginal_mc draws x_t from q(x_t | x0) with noise[0], then x_{t-1} from Eq. (7) with noise[1], and returns
    the mean and the variance (divided by N) over the draws"""
    inputs = d.inputs()
    got = student("ddim_marginal_mc", **inputs)
    if not isinstance(got, tuple) or len(got) != 2:
        raise CheckFailed("ddim_marginal_mc should return two tensors (mean, var)")
    want = expected(ref.ddim_marginal_mc, **inputs)
    size = _draw_sizes(**inputs)
    at = (f" (alpha_bar_t={inputs['alpha_bar_t']:.4g}, alpha_bar_prev={inputs['alpha_bar_prev']:.4g}, "
          f"sigma_eta={inputs['sigma_eta']:.4g}, N={d.N})")
    x0 = inputs["x0"]
    assert_close(got[0], want[0], "ddim_marginal_mc: the mean" + at, dtype=x0.dtype, scale=size.mean(0))
    assert_close(got[1], want[1], "ddim_marginal_mc: the variance" + at, dtype=x0.dtype, scale=(size**2).mean(0))


# -- sigma (2) -----------------------------------------------------------------------------------------
def _bars(*values, dtype=F64):
    return torch.tensor(values, dtype=dtype)


SUITE.public("sigma", 0.5, [
    PublicCase("ddim_sigma", "eta = 1, strided steps", dict(alpha_bar_t=_bars(0.3, 0.5, 0.8),
                                                            alpha_bar_prev=_bars(0.6, 0.9, 0.95), eta=1.0)),
    PublicCase("ddim_sigma", "eta = 0: no noise", dict(alpha_bar_t=_bars(0.3, 0.5, 0.8),
                                                       alpha_bar_prev=_bars(0.6, 0.9, 0.95), eta=0.0)),
    PublicCase("ddim_sigma", "eta = 0.5, with the final step (alpha_bar_prev = 1)",
               dict(alpha_bar_t=_bars(0.2, 0.7, 0.9), alpha_bar_prev=_bars(0.5, 1.0, 1.0), eta=0.5)),
    PublicCase("ddim_sigma", "float32, shape (B, 1, 1, 1), eta = 0.7",
               dict(alpha_bar_t=_bars(0.1, 0.45, 0.6, dtype=torch.float32).reshape(-1, 1, 1, 1),
                    alpha_bar_prev=_bars(0.3, 0.5, 0.99, dtype=torch.float32).reshape(-1, 1, 1, 1), eta=0.7)),
])


def _sigma_inputs(c: Case, prev: str):
    """alpha_bar at t and t_prev, in the case's dtype, shaped (B,) for points and (B, 1, 1, 1) for images."""
    beta, alpha_bar, t, x, _, _ = c.tensors()
    t_prev = _earlier(rng(c.seed + 1), t, prev)
    shape = (-1,) if len(c.D) < 3 else (-1, 1, 1, 1)
    ab_t = _at(alpha_bar, t, x).reshape(shape).to(c.torch_dtype)
    ab_prev = _at(alpha_bar, t_prev, x).reshape(shape).to(c.torch_dtype)
    return beta, t, t_prev, ab_t, ab_prev


def _sigma_expected(ab_t, ab_prev, eta) -> Expected:
    """`expected(ref.ddim_sigma, ...)`, whose float32 budget also holds the two alpha_bars moved by one rounding in
    opposite directions: on contiguous steps 1 - ab_t / ab_prev is a difference of nearly equal numbers, which
    moving both the same way (as `expected` does) leaves nearly unchanged."""
    want = expected(ref.ddim_sigma, ab_t, ab_prev, eta)
    budget = want.budget
    if ab_t.dtype == torch.float32:
        for sign in (1.0, -1.0):
            run = ref.ddim_sigma(_perturbed(ab_t, sign), _perturbed(ab_prev, -sign), eta)
            budget = torch.maximum(budget, torch.nan_to_num((run - want.value).abs(), nan=0.0, posinf=0.0))
    return Expected(want.value, budget)


@SUITE.property("sigma", 1, function="ddim_sigma", c=cases(), eta=edged(st.floats(0.0, 1.0), 0.5, 0.0, 1.0))
def sigma_matches(student, c, eta):
    """ddim_sigma is Song et al. 2021, Eq. (16), elementwise, for t_prev anywhere before t (-1 included) and eta
    from 0 to 1"""
    _, t, t_prev, ab_t, ab_prev = _sigma_inputs(c, "random")
    got = student("ddim_sigma", alpha_bar_t=ab_t, alpha_bar_prev=ab_prev, eta=eta)
    assert_close(got, _sigma_expected(ab_t, ab_prev, eta),
                 f"ddim_sigma(eta={eta}) from t={t.tolist()} to t_prev={t_prev.tolist()}", dtype=ab_t.dtype)


@SUITE.property("sigma", 0.5, function="ddim_sigma", c=cases())
def sigma_eta_one_is_ddpm(student, c):
    """with eta = 1 on contiguous steps, sigma_t is the standard deviation of DDPM's posterior q(x_{t-1} | x_t, x0)
    (Ho et al. Eq. (7))"""
    beta, t, t_prev, ab_t, ab_prev = _sigma_inputs(c, "contiguous")
    got = student("ddim_sigma", alpha_bar_t=ab_t, alpha_bar_prev=ab_prev, eta=1.0)
    ones = torch.ones(t.shape[0], 1, dtype=F64)
    _, posterior_var = ddpm.q_posterior_mean_variance(ones, ones, t, beta)  # the oracle: (B, 1)
    want = _sigma_expected(ab_t, ab_prev, 1.0)
    oracle = posterior_var.sqrt().reshape(want.value.shape)
    if ab_t.dtype == F64 and not torch.allclose(oracle, want.value, rtol=1e-9, atol=1e-12):
        raise GraderBug("ddim_sigma(eta=1) on contiguous steps differs from DDPM's posterior standard deviation")
    assert_close(got, Expected(oracle, want.budget), f"ddim_sigma(eta=1) from t={t.tolist()} to t - 1",
                 dtype=ab_t.dtype)


# -- ddim_step (5) -------------------------------------------------------------------------------------
def _step_case(B, D, T, t, t_prev, eta, dtype=F64, seed=0, loud=False, schedule="linear"):
    beta, alpha_bar, t, x_t, eps, noise = _coarse(B, D, T, t, dtype, seed, schedule)
    return dict(x_t=x_t, t=t, t_prev=torch.tensor(t_prev, dtype=I64), eps_pred=eps, alpha_bar=alpha_bar, eta=eta,
                noise=10 * noise if loud else noise)


SUITE.public("ddim_step", 1, [
    PublicCase("ddim_step", "eta = 0: deterministic, strided steps", _step_case(3, (2,), 8, [7, 4, 2], [3, 1, 0], 0.0)),
    PublicCase("ddim_step", "eta = 1 on contiguous steps (DDPM's posterior step)",
               _step_case(3, (2,), 8, [5, 2, 1], [4, 1, 0], 1.0, seed=1)),
    PublicCase("ddim_step", "eta = 0.5, strided steps", _step_case(3, (2,), 8, [7, 6, 3], [2, 4, 1], 0.5, seed=2)),
    PublicCase("ddim_step", "the final step, t_prev = -1 (alpha_bar_prev = 1), eta = 1, loud noise",
               _step_case(3, (2,), 8, [0, 3, 7], [-1, -1, -1], 1.0, seed=3, loud=True)),
    PublicCase("ddim_step", "images (B, C, H, W), eta = 0.5, with a final step",
               _step_case(2, (3, 2, 2), 8, [6, 2], [3, -1], 0.5, seed=4)),
    PublicCase("ddim_step", "float32 data, eta = 0.5", _step_case(3, (2,), 8, [7, 5, 1], [2, -1, 0], 0.5, torch.float32, seed=5)),
    PublicCase("ddim_step", "the cosine schedule (T = 8), from its top index, eta = 0.5",
               _step_case(3, (2,), 8, [7, 4, 2], [5, 1, -1], 0.5, seed=6, schedule="cosine")),
])


def _step_inputs(c: Case, prev: str, eta: float, loud: bool = False):
    beta, alpha_bar, t, x_t, eps, noise = c.tensors()
    t_prev = _earlier(rng(c.seed + 1), t, prev)
    if loud:  # large noise: any of it added where none belongs stands out
        noise = 100 * noise
    return beta, dict(x_t=x_t, t=t, t_prev=t_prev, eps_pred=eps, alpha_bar=alpha_bar, eta=eta, noise=noise)


def _assert_step(got, want, inputs, what):
    x_t = inputs["x_t"]
    terms = _step_terms(x_t, inputs["t"], inputs["t_prev"], inputs["eps_pred"], inputs["noise"], inputs["alpha_bar"],
                        inputs["eta"])
    assert_close(got, want, f"{what} from t={inputs['t'].tolist()} to t_prev={inputs['t_prev'].tolist()}",
                 dtype=x_t.dtype, scale=terms)


def _step(student, c, eta, prev, loud=False):
    if prev == "random" and c.dtype == "float32":
        eta = min(eta, ETA_FLOAT32)
    _, inputs = _step_inputs(c, prev, eta, loud)
    got = student("ddim_step", **inputs)
    _assert_step(got, expected(ref.ddim_step, **inputs), inputs, f"ddim_step(eta={eta})")


etas = edged(st.floats(0.0, 1.0), 0.5, 0.0, 1.0)


@SUITE.property("ddim_step", 1.5, function="ddim_step", c=cases(), eta=etas)
def ddim_step_matches(student, c, eta):
    """ddim_step follows Song et al. 2021, Eq. (12), from t to any earlier t_prev (-1 included), for eta from 0 to 1"""
    _step(student, c, eta, "random")


@SUITE.property("ddim_step", 0.5, function="ddim_step", c=cases(), eta=choice(1.0, 0.0, 0.5))
def ddim_step_final(student, c, eta):
    """the final step (t_prev = -1, where alpha_bar_prev = 1) returns x0_pred and adds no noise, whatever eta"""
    _step(student, c, eta, "final", loud=True)


@SUITE.property("ddim_step", 1, function="ddim_step", c=cases())
def ddim_step_eta_one_is_ddpm(student, c):
    """with eta = 1 on contiguous steps (t_prev = t - 1), ddim_step is DDPM's reverse step with the posterior variance
    (hw2's ddpm_step, variance='small')"""
    beta, inputs = _step_inputs(c, "contiguous", 1.0)
    got = student("ddim_step", **inputs)
    want = expected(ddpm.ddpm_step, inputs["x_t"], inputs["t"], inputs["eps_pred"], beta, inputs["noise"], "small")
    _assert_step(got, want, inputs, "ddim_step(eta=1) against ddpm_step(variance='small')")


@SUITE.property("ddim_step", 0.5, function="ddim_step", c=cases())
def ddim_step_eta_zero_ignores_noise(student, c):
    """with eta = 0 the step is deterministic: the same result whatever noise it is given"""
    _, inputs = _step_inputs(c, "random", 0.0)
    first = student("ddim_step", **inputs)
    _assert_step(first, expected(ref.ddim_step, **inputs), inputs, "ddim_step(eta=0)")
    other = {**inputs, "noise": 3 * inputs["noise"] + 1}
    second = student("ddim_step", **other)
    _assert_step(second, Expected(first.to(F64), torch.zeros(first.shape, dtype=F64)), other,
                 "ddim_step(eta=0) with other noise, against its own result with the first noise")


@SUITE.property("ddim_step", 0.5, function="ddim_step", c=cases(), eta=choice(0.0, 1.0))
def ddim_step_single_point(student, c, eta):
    """for data that is a single point, one step with the exact noise prediction stays on that point's own noising
    path (eta = 0), and the final step lands on the point itself (any eta)"""
    g = rng(c.seed)
    beta, alpha_bar, t, point, e, noise = c.tensors()
    t_prev = _earlier(rng(c.seed + 1), t, "random" if eta == 0 else "final")
    point, e = point.to(F64), e.to(F64)
    ab_t, ab_prev = _at(alpha_bar, t, point), _at(alpha_bar, t_prev, point)
    x_t = ab_t.sqrt() * point + (1 - ab_t).sqrt() * e  # q(x_t | x0 = point), Ho et al. Eq. (4)
    inputs = dict(x_t=x_t.to(c.torch_dtype), t=t, t_prev=t_prev, eps_pred=e.to(c.torch_dtype), alpha_bar=alpha_bar,
                  eta=eta, noise=noise)
    got = student("ddim_step", **inputs)
    oracle = ab_prev.sqrt() * point + (1 - ab_prev).sqrt() * e  # the point itself where t_prev = -1
    want = expected(ref.ddim_step, **inputs)  # its float32 budget (the inputs rounded to float32)
    _assert_step(got, Expected(oracle, want.budget), inputs, f"ddim_step(eta={eta}) with the exact noise of a point")


# -- ddim_sample (3) -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    """B samples of shape D through S (at most T) steps of a T-step schedule, the timesteps by `spacing`, in dtype.
    Short subsequences: every step is a call of the student's ddim_step (or the reference's, standing in) through
    the grader."""

    B: int
    D: tuple
    T: int
    S: int
    spacing: str
    schedule: str
    dtype: str
    seed: int

    @property
    def torch_dtype(self):
        return DTYPES[self.dtype]

    def schedule_tensors(self):
        beta = Case(B=self.B, D=self.D, T=self.T, schedule=self.schedule, t_at="random", dtype=self.dtype,
                    seed=self.seed).beta()
        return schedules.alpha_bar_from_beta(beta), ref.ddim_timesteps(self.T, min(self.S, self.T), self.spacing)

    def d(self) -> int:
        return int(torch.tensor(self.D).prod())


_RUN = Run(B=3, D=(2,), T=50, S=6, spacing="trailing", schedule="linear", dtype="float64", seed=0)
runs = edged(st.builds(Run, B=st.integers(1, 4), D=st.sampled_from([(2,), (1,), (3,), (2, 3, 3)]), T=st.integers(1, 1000),
                       S=st.integers(1, 12), spacing=st.sampled_from(ref.SPACINGS),
                       schedule=st.sampled_from(["linear", "cosine"]), dtype=st.sampled_from(["float64", "float32"]),
                       seed=st.integers(0, 2**16)),
             _RUN, replace(_RUN, B=1), replace(_RUN, D=(2, 3, 3)), replace(_RUN, dtype="float32"),
             replace(_RUN, spacing="leading"), replace(_RUN, spacing="linspace"), replace(_RUN, schedule="cosine"),
             replace(_RUN, S=1), replace(_RUN, T=1, S=1), replace(_RUN, T=1000, S=12),
             replace(_RUN, T=1000, S=12, schedule="cosine", dtype="float32"), replace(_RUN, T=12, S=12))


def _model(r: Run, g, *, scale: float = 0.3) -> TestModel:
    """A test eps-model whose output depends on x and on the step index over the whole range [0, T)."""
    return test_model(g, r.d(), scale=scale, time_scale=2.0 / r.T, time="index")


def _step_only_model(r: Run, g) -> TestModel:
    """A test eps-model that depends on the step index only: with it, inversion and deterministic sampling are exact
    inverses of each other (both predict the noise of a step at that step's larger index)."""
    d = r.d()
    return TestModel(W=torch.zeros(d, d), b=normal(g, d, scale=0.5), c=normal(g, d, scale=2.0 / r.T), time="index")


def _round_trip(eps_model, x0, alpha_bar, timesteps, noise):
    return ref.ddim_sample(eps_model, ref.ddim_invert(eps_model, x0, alpha_bar, timesteps), alpha_bar, timesteps, 0.0,
                           noise)


def _round_trip_want(model, x0, alpha_bar, timesteps, noise) -> Expected:
    """The start itself, with the float32 budget of a round trip. Sampling back divides by sqrt(alpha_bar) at the
    top index (down to 5e-5 for the cosine schedule): the float32 rounding of the latent itself, whichever function
    made it, is amplified that much, so the budget also holds the deviation of sampling back from the exact latent
    moved by one float32 rounding (both ways)."""
    want = expected(_round_trip, model, x0, alpha_bar, timesteps, noise)
    if not torch.allclose(want.value, x0.to(F64), rtol=1e-9, atol=1e-9):
        raise GraderBug("the reference's round trip with a step-only model does not return the start")
    budget = want.budget
    if x0.dtype == torch.float32:
        x_T = ref.ddim_invert(model, x0.to(F64), alpha_bar, timesteps)
        for sign in (1.0, -1.0):
            back = ref.ddim_sample(model, _perturbed(x_T, sign), alpha_bar, timesteps, 0.0, noise.to(F64))
            budget = torch.maximum(budget, (back - x0.to(F64)).abs())
    return Expected(x0.to(F64), budget)


def _sample_case(B, D, T, S, spacing, eta, dtype=F64, seed=0, schedule="linear"):
    g = rng(seed)
    beta = schedules.linear_beta_schedule(T, 0.05, 0.3) if schedule == "linear" else schedules.cosine_beta_schedule(T)
    return dict(eps_model=test_model(g, int(torch.tensor(D).prod()), scale=0.5, time_scale=2.0 / T, time="index"),
                x_T=normal(g, B, *D, dtype=dtype), alpha_bar=schedules.alpha_bar_from_beta(beta),
                timesteps=ref.ddim_timesteps(T, S, spacing), eta=eta, noise=normal(g, S, B, *D, dtype=dtype))


SUITE.public("ddim_sample", 0.5, [
    PublicCase("ddim_sample", "leading spacing, 3 of 9 steps, eta = 0", _sample_case(3, (2,), 9, 3, "leading", 0.0)),
    PublicCase("ddim_sample", "trailing spacing, 3 of 10 steps, eta = 1", _sample_case(3, (2,), 10, 3, "trailing", 1.0, seed=1)),
    PublicCase("ddim_sample", "linspace spacing, 4 of 10 steps, eta = 0.5, images (B, C, H, W)",
               _sample_case(2, (1, 2, 2), 10, 4, "linspace", 0.5, seed=2)),
    PublicCase("ddim_sample", "float32 data, trailing spacing, 3 of 8 steps, eta = 0",
               _sample_case(3, (2,), 8, 3, "trailing", 0.0, torch.float32, seed=3)),
    PublicCase("ddim_sample", "the cosine schedule (T = 8), leading spacing, 3 steps, eta = 0.5",
               _sample_case(3, (2,), 8, 3, "leading", 0.5, seed=4, schedule="cosine")),
])


def _run_inputs(r: Run, g, *, model=None):
    alpha_bar, timesteps = r.schedule_tensors()
    model = model or _model(r, g)
    x = normal(g, r.B, *r.D, dtype=r.torch_dtype)
    noise = normal(g, timesteps.shape[0], r.B, *r.D, dtype=r.torch_dtype)
    return model, x, alpha_bar, timesteps, noise


@SUITE.property("ddim_sample", 1.5, function="ddim_sample", max_examples=10, r=runs, eta=etas)
def ddim_sample_matches(student, r, eta):
    """ddim_sample runs ddim_step down the subsequence, from each index to the next entry and from the last to -1,
    with the model's noise prediction and noise[i] at step i"""
    if r.dtype == "float32":
        eta = min(eta, ETA_FLOAT32)
    g = rng(r.seed)
    model, x_T, alpha_bar, timesteps, noise = _run_inputs(r, g)
    got = student("ddim_sample", eps_model=model, x_T=x_T, alpha_bar=alpha_bar, timesteps=timesteps, eta=eta,
                  noise=noise)
    assert_close(got, expected(ref.ddim_sample, model, x_T, alpha_bar, timesteps, eta, noise),
                 f"ddim_sample(eta={eta}) on timesteps {timesteps.tolist()}", dtype=x_T.dtype, tol=LOOP)


@SUITE.property("ddim_sample", 1, function="ddim_sample", max_examples=8, r=runs)
def ddim_sample_inverts_inversion(student, r):
    """with eta = 0, ddim_sample from DDIM's inversion of x0 (the reference's) returns x0, for a model that depends on the
    step only (the two are then exact inverses)"""
    g = rng(r.seed)
    model, x0, alpha_bar, timesteps, noise = _run_inputs(r, g, model=_step_only_model(r, g))
    x_T = ref.ddim_invert(model, x0, alpha_bar, timesteps)
    got = student("ddim_sample", eps_model=model, x_T=x_T, alpha_bar=alpha_bar, timesteps=timesteps, eta=0.0,
                  noise=noise)
    assert_close(got, _round_trip_want(model, x0, alpha_bar, timesteps, noise),
                 f"ddim_sample(eta=0) after inversion, on timesteps {timesteps.tolist()}: the start x0", dtype=x0.dtype,
                 tol=LOOP)


# -- respace (2) ---------------------------------------------------------------------------------------
def _respace_case(T, S, spacing, schedule="linear"):
    beta = schedules.linear_beta_schedule(T) if schedule == "linear" else schedules.cosine_beta_schedule(T)
    return dict(alpha_bar=schedules.alpha_bar_from_beta(beta), timesteps=ref.ddim_timesteps(T, S, spacing))


SUITE.public("respace", 0.5, [  # float64 by contract: held to float64 precision
    PublicCase("respace_betas", "a strided subsequence [8, 5, 2] of a 10-step coarse schedule",
               dict(alpha_bar=schedules.alpha_bar_from_beta(schedules.linear_beta_schedule(10, 0.05, 0.3)),
                    timesteps=torch.tensor([8, 5, 2])), tol=FLOAT64_EXACT),
    PublicCase("respace_betas", "the same indices in ascending order, [2, 5, 8]: only the set matters",
               dict(alpha_bar=schedules.alpha_bar_from_beta(schedules.linear_beta_schedule(10, 0.05, 0.3)),
                    timesteps=torch.tensor([2, 5, 8])), tol=FLOAT64_EXACT),
    PublicCase("respace_betas", "every step kept: the original betas", _respace_case(6, 6, "leading"), tol=FLOAT64_EXACT),
    PublicCase("respace_betas", "10 leading steps of Ho's 1000-step linear schedule", _respace_case(1000, 10, "leading"),
               tol=FLOAT64_EXACT),
    PublicCase("respace_betas", "8 trailing steps of a 1000-step cosine schedule", _respace_case(1000, 8, "trailing", "cosine"),
               tol=FLOAT64_EXACT),
])


@dataclass(frozen=True)
class Respacing:
    """S indices of a T-step schedule, by `spacing`."""

    T: int
    S: int
    spacing: str
    schedule: str
    order: str = "descending"  # of the timesteps passed: the contract takes them in any order

    def inputs(self) -> dict:
        inputs = _respace_case(self.T, min(self.S, self.T), self.spacing, self.schedule)
        steps = inputs["timesteps"]
        if self.order == "ascending":
            inputs["timesteps"] = steps.flip(0)
        elif self.order == "shuffled":
            inputs["timesteps"] = steps[torch.randperm(len(steps), generator=torch.Generator().manual_seed(self.T))]
        return inputs


_RESPACING = Respacing(T=1000, S=10, spacing="leading", schedule="linear")
respacings = edged(st.builds(Respacing, T=st.integers(1, 1000), S=st.integers(1, 1000), spacing=st.sampled_from(ref.SPACINGS),
                             schedule=st.sampled_from(["linear", "cosine"]),
                             order=st.sampled_from(["descending", "ascending", "shuffled"])),
                   _RESPACING, replace(_RESPACING, spacing="trailing"), replace(_RESPACING, spacing="linspace"),
                   replace(_RESPACING, schedule="cosine"), replace(_RESPACING, S=1), replace(_RESPACING, S=1000),
                   replace(_RESPACING, T=1, S=1), replace(_RESPACING, T=50, S=7, spacing="trailing", schedule="cosine"),
                   replace(_RESPACING, order="ascending"), replace(_RESPACING, order="shuffled"),
                   replace(_RESPACING, S=100, spacing="trailing", schedule="cosine", order="shuffled"))
IN_FLOAT64 = "the respaced schedule is float64 by contract: compute it in float64 from the float64 alpha_bar"


def _precision_hint(got: torch.Tensor, want: torch.Tensor) -> str:
    """IN_FLOAT64 where `got` is off by float32 rounding only (a wrong formula or order gets no such hint)."""
    near = got.shape == want.shape and bool(torch.allclose(got.to(F64), want, rtol=1e-4, atol=1e-6))
    return IN_FLOAT64 if near else ""


def _respaced(student, r: Respacing):
    inputs = r.inputs()
    got = student("respace_betas", **inputs)
    steps = inputs["timesteps"].tolist()
    what = f"respace_betas on timesteps {steps[:12]}{'...' if len(steps) > 12 else ''} ({r.order}) of T={r.T}"
    if require_tensor(got, what).dtype != F64:
        raise CheckFailed(f"{what}: returned dtype {str(got.dtype).replace('torch.', '')}; {IN_FLOAT64}")
    return inputs, got, what


@SUITE.property("respace", 1, function="respace_betas", r=respacings)
def respace_matches(student, r):
    """respace_betas gives the betas of the chain that visits only the kept indices, oldest first
    (Nichol & Dhariwal 2021, section 4)"""
    inputs, got, what = _respaced(student, r)
    want = ref.respace_betas(**inputs)
    assert_close(got, want, what, dtype=F64, tol=FLOAT64, scale=1 - want, hint=_precision_hint(got, want))


@SUITE.property("respace", 0.5, function="respace_betas", r=respacings)
def respace_keeps_alpha_bar(student, r):
    """the respaced chain has the original alpha_bar at every kept index (the product of its 1 - beta)"""
    inputs, got, what = _respaced(student, r)
    kept = inputs["alpha_bar"][torch.sort(inputs["timesteps"]).values]
    if tuple(got.shape) != tuple(kept.shape):
        raise CheckFailed(f"{what}: expected shape {tuple(kept.shape)} (one beta per kept index), got {tuple(got.shape)}")
    products = torch.cumprod(1 - got, 0)
    assert_close(products, kept, f"{what}: the cumulative product of 1 - beta against alpha_bar at the kept indices",
                 dtype=F64, tol=FLOAT64, hint=_precision_hint(products, kept))


# -- ddim_invert (3) -----------------------------------------------------------------------------------
def _invert_case(B, D, T, S, spacing, dtype=F64, seed=0, schedule="linear"):
    inputs = _sample_case(B, D, T, S, spacing, 0.0, dtype, seed, schedule)
    return dict(eps_model=inputs["eps_model"], x0=inputs["x_T"], alpha_bar=inputs["alpha_bar"],
                timesteps=inputs["timesteps"])


SUITE.public("ddim_invert", 0.5, [
    PublicCase("ddim_invert", "leading spacing, 3 of 9 steps", _invert_case(3, (2,), 9, 3, "leading", seed=10)),
    PublicCase("ddim_invert", "trailing spacing, 3 of 10 steps", _invert_case(3, (2,), 10, 3, "trailing", seed=11)),
    PublicCase("ddim_invert", "linspace spacing, 4 of 10 steps, images (B, C, H, W)",
               _invert_case(2, (1, 2, 2), 10, 4, "linspace", seed=12)),
    PublicCase("ddim_invert", "float32 data, 3 of 8 steps", _invert_case(3, (2,), 8, 3, "trailing", torch.float32, seed=13)),
    PublicCase("ddim_invert", "the cosine schedule (T = 8), leading spacing, 3 steps",
               _invert_case(3, (2,), 8, 3, "leading", seed=14, schedule="cosine")),
])


@SUITE.property("ddim_invert", 1.5, function="ddim_invert", max_examples=10, r=runs)
def ddim_invert_matches(student, r):
    """ddim_invert runs the deterministic step up the subsequence from x0 (alpha_bar = 1), predicting the noise at the
    current point with each step's target index"""
    g = rng(r.seed)
    model, x0, alpha_bar, timesteps, _ = _run_inputs(r, g)
    got = student("ddim_invert", eps_model=model, x0=x0, alpha_bar=alpha_bar, timesteps=timesteps)
    assert_close(got, expected(ref.ddim_invert, model, x0, alpha_bar, timesteps),
                 f"ddim_invert on timesteps {timesteps.tolist()}", dtype=x0.dtype, tol=LOOP)


@SUITE.property("ddim_invert", 1, function="ddim_invert", max_examples=8, r=runs)
def ddim_invert_round_trip(student, r):
    """deterministic sampling (the reference's) from ddim_invert's result returns x0, for a model that depends on the
    step only (the two are then exact inverses)"""
    g = rng(r.seed)
    model, x0, alpha_bar, timesteps, noise = _run_inputs(r, g, model=_step_only_model(r, g))
    got = student("ddim_invert", eps_model=model, x0=x0, alpha_bar=alpha_bar, timesteps=timesteps)
    what = f"ddim_invert on timesteps {timesteps.tolist()}, then sampling back with eta = 0: the start x0"
    if require_tensor(got, what).dtype != x0.dtype or got.shape != x0.shape:
        assert_close(got, expected(ref.ddim_invert, model, x0, alpha_bar, timesteps), what, dtype=x0.dtype)
    back = ref.ddim_sample(model, got, alpha_bar, timesteps, 0.0, noise)
    assert_close(back, _round_trip_want(model, x0, alpha_bar, timesteps, noise), what, dtype=x0.dtype, tol=LOOP)


# -- written questions (graded by hand; the rubrics are in the master notebook) -------------------------
SUITE.manual("marginal_derivation", 3, "Derivation: the marginals of DDIM's non-Markovian forward process, Song et al. "
             "2021 Lemma 1, and why one trained model serves every sigma")
SUITE.manual("eta_one_derivation", 2, "Derivation: eta = 1 on contiguous steps is DDPM's posterior step, eta = 0 is "
             "deterministic")
SUITE.manual("steps_tradeoff", 1, "Interpretation: DDPM against DDIM over the number of steps")
SUITE.manual("inversion", 1, "Interpretation: the inversion round trip")
SUITE.manual("digits_steps", 1, "Interpretation: DDPM and DDIM digits at several step counts")
SUITE.manual("ddgan", 1, "Denoising diffusion GANs (Xiao et al. 2022)")
SUITE.manual("nested", 1, "Nested diffusion (Elata, Kawar, Michaeli & Elad 2024)")
SUITE.manual("consistency", 1, "Consistency models (Song et al. 2023)")
SUITE.manual("latent", 1, "Latent diffusion (Rombach et al. 2022)")


SUITE.arrange([
    "timesteps", "marginal_derivation", "marginal_mc", "eta_one_derivation", "sigma", "ddim_step", "ddim_sample",
    "respace", "ddim_invert", "steps_tradeoff", "inversion", "digits_steps", "ddgan", "nested", "consistency",
    "latent"])
