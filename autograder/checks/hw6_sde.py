"""Hidden checks of hw6_sde: the VP marginal, the VP and VE SDEs, the reverse-time drift, the probability-flow drift,
Euler–Maruyama, Karras et al.'s noise levels and their Euler and Heun steps, DDIM as the Euler step of the
probability-flow ODE, and the exact divergence; and the written questions (derivations and interpretations), graded by
hand.

Reads side by side with `solutions/hw6_sde/hw6_sde.ipynb` and `course_core/sde.py`. Besides agreeing with the
reference on random inputs (points and images, float64 and float32, per-sample and scalar times and levels), the
functions are held to independent oracles: the VP marginal is DDPM's `q(x_t | x_0)` in the many-step limit (DDPM's
alpha_bar on 10^5 steps, at matching times); the probability-flow drift with the exact score of Gaussian data is the
velocity of the exact flow (`sde.gaussian_flow`, differentiated numerically); Karras et al.'s levels interpolate
linearly in `sigma**(1/rho)` between their ends; an Euler step to `sigma = 0` is the denoiser's output; one Heun
step's local error is `O(h**3)` against a fine Runge–Kutta solution (an Euler step's is `O(h**2)`, hundreds of times
larger at the steps used); DDIM's Euler step is hw3's `ddim_step` with `eta = 0`; the divergence is the trace of the
test model's Jacobian in closed form.

The samplers' denoiser and the divergence's function cross the kernel boundary as test models (`boundary/codec`):
``x A^T + tanh(x W^T + b + sigma c)``, called with the noise level (`time="level"`) or with ``x`` alone
(`time="none"`). The mixture's exact denoiser cannot cross; the notebook's experiments use it (Sections 5-7).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
from hypothesis import strategies as st

from course_core import ddim, schedules
from course_core import sde as ref

from .cases import DTYPES, edged, expected, normal, rng, test_model
from .catalogs.hw6_sde import CATALOG
from .compare import FLOAT64, CheckFailed, Tol, assert_close, require_tensor
from .framework import Suite
from .public import FLOAT64_EXACT, PublicCase

# Every graded function over tensors and numbers that another one may call; see Suite.
SUITE = Suite("hw6_sde", helpers=[ref.vp_marginal, ref.vp_sde, ref.ve_sde, ref.reverse_sde_drift,
                                  ref.probability_flow_drift, ref.euler_maruyama_step, ref.karras_sigmas,
                                  ref.ddim_euler_step], catalog=CATALOG)
F64, F32 = torch.float64, torch.float32


def _pair(got, what: str):
    """A tuple of two outputs, or a failure that says so."""
    if not (isinstance(got, tuple) and len(got) == 2):
        kind = f"{len(got)} outputs" if isinstance(got, tuple) else type(got).__name__
        raise CheckFailed(f"{what}: expected a tuple of two tensors, got {kind}")
    return got


def _per(value, like: torch.Tensor) -> torch.Tensor:
    """A per-sample scalar (float, 0-d or (B,)) in float64, shaped to broadcast against `like`."""
    v = torch.as_tensor(value, dtype=F64)
    return v.reshape(v.shape[0], *([1] * (like.dim() - 1))) if v.dim() == 1 else v


def _level(g, kind: str, B: int, lo: float, hi: float, dtype=F64):
    """A per-sample scalar drawn in [lo, hi]: a Python float, or a (B,) tensor ("batch") or (B, 1) column ("column")."""
    if kind == "float":
        return float(g.uniform(lo, hi))
    v = torch.from_numpy(g.uniform(lo, hi, size=B)).to(dtype)
    return v if kind == "batch" else v.reshape(B, 1)


def _scalar_dtype(scalars: str, data_dtype):
    """The dtype of a per-sample scalar tensor: the data's ("data") or float64 (karras_sigmas' levels, a float64
    schedule), which the contract casts to the data's dtype."""
    return data_dtype if scalars == "data" else F64


# == vp_marginal (1.5) ===========================================================================================
SUITE.public("vp_marginal", 0.5, [
    PublicCase("vp_marginal", "a Python float time, the default beta_min, beta_max", dict(time=0.5)),
    PublicCase("vp_marginal", "time 0 (no noise yet) and time 1", dict(time=torch.tensor([0.0, 1.0], dtype=F64))),
    PublicCase("vp_marginal", "a float64 tensor of times, other beta_min, beta_max",
               dict(time=torch.tensor([0.01, 0.1, 0.3, 0.9], dtype=F64), beta_min=0.5, beta_max=10.0)),
])


@dataclass(frozen=True)
class Times:
    """Times of the VP SDE: a Python float, or a float64 tensor of B times ("tensor"); `at` puts the first at 0, at 1
    or near 0 (1e-4), or leaves it random in (0, 1]."""

    kind: str
    B: int
    at: str
    beta_min: float
    beta_max: float
    seed: int

    def time(self):
        g = rng(self.seed)
        values = g.uniform(1e-3, 1.0, size=self.B)
        values[0] = {"zero": 0.0, "one": 1.0, "small": 1e-4, "random": values[0]}[self.at]
        return float(values[0]) if self.kind == "float" else torch.from_numpy(values)


_TIMES = Times(kind="tensor", B=5, at="random", beta_min=0.1, beta_max=20.0, seed=0)
times = edged(st.builds(Times, kind=st.sampled_from(["float", "tensor"]), B=st.integers(1, 8),
                        at=st.sampled_from(["random", "zero", "one", "small"]), beta_min=st.sampled_from([0.1, 0.5, 1.0]),
                        beta_max=st.sampled_from([20.0, 10.0, 5.0]), seed=st.integers(0, 2**16)),
              _TIMES, replace(_TIMES, kind="float"), replace(_TIMES, kind="float", at="zero"),
              replace(_TIMES, at="zero"), replace(_TIMES, at="one"), replace(_TIMES, at="small"), replace(_TIMES, B=1),
              replace(_TIMES, beta_min=1.0, beta_max=5.0))


def _vp_marginal_got(student, r: Times, steps: int | None = None):
    """Call vp_marginal on r's times (rounded to multiples of 1 / steps if given)."""
    time = r.time()
    if steps is not None:
        time = round(time * steps) / steps if isinstance(time, float) else torch.round(time * steps) / steps
    shown = time if isinstance(time, float) else f"tensor {[round(v, 4) for v in time.tolist()]}"
    what = f"vp_marginal(time={shown}, beta_min={r.beta_min}, beta_max={r.beta_max})"
    got = _pair(student("vp_marginal", time=time, beta_min=r.beta_min, beta_max=r.beta_max), what)
    return time, got, what


@SUITE.property("vp_marginal", 0.5, function="vp_marginal", max_examples=10, r=times)
def vp_marginal_matches(student, r):
    """vp_marginal gives the mean coefficient exp(-1/2 int_0^t beta) and the standard deviation
    sqrt(1 - exp(-int_0^t beta)) of the VP perturbation kernel, float64, of the time's shape"""
    time, (mean_coef, std), what = _vp_marginal_got(student, r)
    want_mean, want_std = ref.vp_marginal(time, r.beta_min, r.beta_max)
    assert_close(mean_coef, want_mean, f"{what}, the mean coefficient", dtype=F64)
    assert_close(std, want_std, f"{what}, the standard deviation", dtype=F64)


DDPM_STEPS = 100_000  # DDPM's alpha_bar at this many steps is the VP kernel to within 1e-4 (measured: 2e-5)
DDPM_TOL = Tol(rtol=0.0, atol=2e-3)  # a hundred times that gap; the catalogued mistakes are off by 2e-2 and more


def _ddpm_alpha_bar(beta_min: float, beta_max: float) -> torch.Tensor:
    """DDPM's alpha_bar for Ho et al.'s linear schedule scaled to N = DDPM_STEPS steps, beta_min / N to beta_max / N
    (beta_i = beta((i - 1) / (N - 1)) / N; Song et al. 2021, Appendix C)."""
    N = DDPM_STEPS
    return schedules.alpha_bar_from_beta(schedules.linear_beta_schedule(N, beta_min / N, beta_max / N))


@SUITE.property("vp_marginal", 0.5, function="vp_marginal", max_examples=6, r=times)
def vp_marginal_is_ddpms_kernel(student, r):
    """vp_marginal at time i / N is DDPM's q(x_i | x_0) = N(sqrt(alpha_bar_i) x_0, (1 - alpha_bar_i) I) for the linear
    schedule from beta_min / N to beta_max / N with N = 10^5 steps (the many-step limit, within 2e-3)"""
    time, (mean_coef, std), what = _vp_marginal_got(student, r, DDPM_STEPS)
    step = torch.round(torch.as_tensor(time, dtype=F64) * DDPM_STEPS).to(torch.int64)  # the paper's step i
    ab = torch.where(step > 0, _ddpm_alpha_bar(r.beta_min, r.beta_max)[(step - 1).clamp(min=0)], torch.ones((), dtype=F64))
    assert_close(mean_coef, ab.sqrt(), f"{what} against DDPM's sqrt(alpha_bar) at the same time", dtype=F64, tol=DDPM_TOL)
    assert_close(std, (1 - ab).sqrt(), f"{what} against DDPM's sqrt(1 - alpha_bar) at the same time", dtype=F64,
                 tol=DDPM_TOL)


# == the SDEs: vp_sde (1), ve_sde (1) ============================================================================
def _x(g, B, D, dtype=F64, scale=1.0):
    return normal(g, B, *D, scale=scale, dtype=dtype)


SUITE.public("vp_sde", 0.5, [
    PublicCase("vp_sde", "points, one Python float time", dict(x=torch.tensor([[1.0, -2.0], [0.5, 0.25]], dtype=F64),
                                                              time=0.3), broadcast=(1,)),
    PublicCase("vp_sde", "a time per sample (B,), other beta_min, beta_max",
               dict(x=torch.tensor([[1.0, -2.0], [0.5, 0.25], [3.0, 0.0]], dtype=F64),
                    time=torch.tensor([0.0, 0.5, 1.0], dtype=F64), beta_min=0.5, beta_max=10.0), broadcast=(1,)),
    PublicCase("vp_sde", "float32 images (B, C, H, W)", dict(x=_x(rng(1), 2, (1, 2, 2), F32), time=torch.tensor(
        [0.2, 0.7], dtype=F64)), broadcast=(1,)),
])
SUITE.public("ve_sde", 0.5, [
    PublicCase("ve_sde", "points, one Python float time", dict(x=torch.tensor([[1.0, -2.0], [0.5, 0.25]], dtype=F64),
                                                              time=0.3, sigma_min=0.01, sigma_max=50.0), broadcast=(1,)),
    PublicCase("ve_sde", "a time per sample (B,), from sigma_min to sigma_max",
               dict(x=torch.tensor([[1.0], [0.5], [3.0]], dtype=F64), time=torch.tensor([0.0, 0.5, 1.0], dtype=F64),
                    sigma_min=0.002, sigma_max=80.0), broadcast=(1,)),
    PublicCase("ve_sde", "float32 images (B, C, H, W)", dict(x=_x(rng(2), 2, (1, 2, 2), F32), time=torch.tensor(
        [0.2, 0.7], dtype=F64), sigma_min=0.01, sigma_max=1.0), broadcast=(1,)),
])


@dataclass(frozen=True)
class Point:
    """B points of shape D in `dtype` at a time in [0, 1]: one Python float ("float") or one per sample ("batch")."""

    B: int
    D: tuple
    dtype: str
    time_kind: str
    seed: int

    def inputs(self):
        g = rng(self.seed)
        x = _x(g, self.B, self.D, DTYPES[self.dtype], scale=2.0)
        time = _level(g, self.time_kind, self.B, 0.0, 1.0)
        return x, time


_POINT = Point(B=3, D=(2,), dtype="float64", time_kind="batch", seed=0)
points = edged(st.builds(Point, B=st.integers(1, 5), D=st.sampled_from([(2,), (1,), (3,), (1, 2, 2)]),
                         dtype=st.sampled_from(["float64", "float32"]), time_kind=st.sampled_from(["batch", "float"]),
                         seed=st.integers(0, 2**16)),
               _POINT, replace(_POINT, time_kind="float"), replace(_POINT, B=1), replace(_POINT, D=(1, 2, 2)),
               replace(_POINT, D=(1,)), replace(_POINT, dtype="float32"))
VE_RANGES = [(0.01, 50.0), (0.002, 80.0), (0.1, 1.0)]


def _check_sde(student, name: str, x, time, params: dict):
    shown = time if isinstance(time, float) else "per sample"
    what = (f"{name}(x of shape {tuple(x.shape)} {str(x.dtype).replace('torch.', '')}, time={shown}"
            + "".join(f", {k}={v}" for k, v in params.items()) + ")")
    f, g = _pair(student(name, x=x, time=time, **params), what)
    want_f, want_g = expected(getattr(ref, name), x, time, **params)
    assert_close(f, want_f, f"{what}, the drift f", dtype=x.dtype)
    assert_close(g, want_g, f"{what}, the diffusion coefficient g (broadcast against x)", dtype=x.dtype,
                 broadcast_to=x.shape)
    if g.dim() not in (0, x.dim()):
        raise CheckFailed(f"{what}: g has shape {tuple(g.shape)}; the contract gives it as a 0-d tensor or (B, 1, ..., 1), "
                          "so that it broadcasts against x per sample")


@SUITE.property("vp_sde", 0.5, function="vp_sde", max_examples=10, p=points,
                betas=edged(st.sampled_from([(0.1, 20.0), (0.5, 10.0)]), (0.1, 20.0), (0.5, 10.0)))
def vp_sde_matches(student, p, betas):
    """vp_sde gives the VP SDE's drift -1/2 beta(t) x and diffusion coefficient sqrt(beta(t)) (Song et al. Eq. (11)),
    per sample, in the data's dtype"""
    x, time = p.inputs()
    _check_sde(student, "vp_sde", x, time, dict(beta_min=betas[0], beta_max=betas[1]))


@SUITE.property("ve_sde", 0.5, function="ve_sde", max_examples=10, p=points,
                sigmas=edged(st.sampled_from(VE_RANGES), *VE_RANGES))
def ve_sde_matches(student, p, sigmas):
    """ve_sde gives the VE SDE's drift 0 and diffusion coefficient sqrt(d[sigma(t)**2]/dt) for the geometric
    sigma(t) (Song et al. Eq. (9)), per sample, in the data's dtype"""
    x, time = p.inputs()
    _check_sde(student, "ve_sde", x, time, dict(sigma_min=sigmas[0], sigma_max=sigmas[1]))


# == the drifts: reverse_sde_drift (1), probability_flow_drift (1.5) ============================================
def _drift_case(B, D, g, dtype=F64, seed=0):
    r = rng(seed)
    return dict(f=_x(r, B, D, dtype), g=g, score=_x(r, B, D, dtype))


for _name in ("reverse_sde_drift", "probability_flow_drift"):
    SUITE.public(_name, 0.5, [
        PublicCase(_name, "points, g a Python float", _drift_case(3, (2,), 1.5)),
        PublicCase(_name, "g per sample (B,)", _drift_case(3, (2,), torch.tensor([0.5, 1.0, 2.0], dtype=F64), seed=1)),
        PublicCase(_name, "g shaped (B, 1, ..., 1), as vp_sde returns it, images",
                   _drift_case(2, (1, 2, 2), torch.tensor([0.5, 3.0], dtype=F64).reshape(2, 1, 1, 1), seed=2)),
        PublicCase(_name, "float32 data", _drift_case(3, (2,), torch.tensor([0.5, 1.0, 2.0], dtype=F32), F32, seed=3)),
        PublicCase(_name, "float32 data, g a float64 (B,) tensor (cast to the data's dtype)",
                   _drift_case(3, (2,), torch.tensor([0.5, 1.0, 2.0], dtype=F64), F32, seed=4)),
    ])


@dataclass(frozen=True)
class Drift:
    """f and score, B samples of shape D in `dtype`; g in [0.1, 5] as a float, (B,) or (B, 1, ..., 1) ("column"), a
    tensor g in the data's dtype or in float64 (`scalars`: the contract casts it, so results keep the data's dtype)."""

    B: int
    D: tuple
    dtype: str
    g_kind: str
    seed: int
    scalars: str = "data"

    def inputs(self) -> dict:
        r = rng(self.seed)
        dtype = DTYPES[self.dtype]
        f, score = _x(r, self.B, self.D, dtype), _x(r, self.B, self.D, dtype, scale=3.0)
        g = _level(r, "float" if self.g_kind == "float" else "batch", self.B, 0.1, 5.0, _scalar_dtype(self.scalars, dtype))
        if self.g_kind == "column":
            g = g.reshape(self.B, *([1] * len(self.D)))
        return dict(f=f, g=g, score=score)


_DRIFT = Drift(B=3, D=(2,), dtype="float64", g_kind="batch", seed=0)
drifts = edged(st.builds(Drift, B=st.integers(1, 5), D=st.sampled_from([(2,), (1,), (3,), (1, 2, 2)]),
                         dtype=st.sampled_from(["float64", "float32"]), g_kind=st.sampled_from(["batch", "float", "column"]),
                         seed=st.integers(0, 2**16), scalars=st.sampled_from(["data", "float64"])),
               _DRIFT, replace(_DRIFT, g_kind="float"), replace(_DRIFT, g_kind="column"), replace(_DRIFT, B=1),
               replace(_DRIFT, D=(1, 2, 2), g_kind="column"), replace(_DRIFT, dtype="float32"),
               replace(_DRIFT, dtype="float32", scalars="float64"),
               replace(_DRIFT, dtype="float32", g_kind="column", scalars="float64"))


def _check_drift(student, name: str, d: Drift):
    inputs = d.inputs()
    f, g, score = inputs["f"], inputs["g"], inputs["score"]
    got = student(name, **inputs)
    scale = f.to(F64).abs() + _per(g, f).to(F64) ** 2 * score.to(F64).abs()  # the two terms' sizes
    assert_close(got, expected(getattr(ref, name), **inputs), f"{name} on {d}", dtype=f.dtype, scale=scale)


@SUITE.property("reverse_sde_drift", 0.5, function="reverse_sde_drift", max_examples=10, d=drifts)
def reverse_drift_matches(student, d):
    """reverse_sde_drift gives f - g**2 score (Song et al. Eq. (6)), g per sample"""
    _check_drift(student, "reverse_sde_drift", d)


@SUITE.property("probability_flow_drift", 0.5, function="probability_flow_drift", max_examples=10, d=drifts)
def pf_drift_matches(student, d):
    """probability_flow_drift gives f - 1/2 g**2 score (Song et al. Eq. (13)), g per sample"""
    _check_drift(student, "probability_flow_drift", d)


@dataclass(frozen=True)
class GaussianData:
    """Gaussian data N(mean, var I) in D dimensions under sigma(t) = t (VE with g**2 = d[t**2]/dt = 2t), B points at
    times in [0.05, 3]; `kind` "float" puts every point at one time."""

    B: int
    d: int
    var: float
    kind: str
    seed: int


_GAUSS = GaussianData(B=4, d=2, var=0.5, kind="batch", seed=0)
gaussians = edged(st.builds(GaussianData, B=st.integers(1, 6), d=st.integers(1, 3), var=st.sampled_from([0.05, 0.5, 2.0]),
                            kind=st.sampled_from(["batch", "float"]), seed=st.integers(0, 2**16)),
                  _GAUSS, replace(_GAUSS, kind="float"), replace(_GAUSS, var=0.05), replace(_GAUSS, B=1, d=1))
FLOW = Tol(rtol=1e-6, atol=1e-9)  # against a central difference (h = 1e-5): its error is ~1e-10 relative


@SUITE.property("probability_flow_drift", 0.5, function="probability_flow_drift", max_examples=6, c=gaussians)
def pf_drift_is_the_exact_flows_velocity(student, c):
    """with the exact score of Gaussian data under sigma(t) = t, the probability-flow drift is the velocity of the exact
    solution of the ODE (which carries N(mean, (var + t**2) I) to N(mean, (var + s**2) I)), d/dt of sde.gaussian_flow"""
    r = rng(c.seed)
    mean = normal(r, c.d)
    x = mean + _x(r, c.B, (c.d,), scale=2.0)
    time = _level(r, c.kind, c.B, 0.05, 3.0)
    t = _per(time, x)
    score = ref.gaussian_score(x, mean, c.var + t**2)
    g = torch.sqrt(2 * torch.as_tensor(time, dtype=F64))  # g**2 = d[t**2]/dt
    got = student("probability_flow_drift", f=torch.zeros_like(x), g=float(g) if c.kind == "float" else g, score=score)
    h = 1e-5
    velocity = (ref.gaussian_flow(x, time, t.reshape(-1) + h if c.kind == "batch" else time + h, mean, c.var)
                - ref.gaussian_flow(x, time, t.reshape(-1) - h if c.kind == "batch" else time - h, mean, c.var)) / (2 * h)
    assert_close(got, velocity, f"probability_flow_drift with the exact Gaussian score on {c}: the velocity of the "
                 "exact flow", dtype=F64, tol=FLOW)


# == euler_maruyama_step (1) =====================================================================================
def _em_case(B, D, g, dt, dtype=F64, seed=0):
    r = rng(seed)
    return dict(x=_x(r, B, D, dtype), drift=_x(r, B, D, dtype), g=g, dt=dt, noise=_x(r, B, D, dtype))


SUITE.public("euler_maruyama_step", 0.5, [
    PublicCase("euler_maruyama_step", "a backward step (dt < 0), floats", _em_case(3, (2,), 1.5, -0.01)),
    PublicCase("euler_maruyama_step", "a forward step (dt > 0)", _em_case(3, (2,), 0.5, 0.04, seed=1)),
    PublicCase("euler_maruyama_step", "g and dt per sample (B,), images",
               _em_case(2, (1, 2, 2), torch.tensor([0.5, 2.0], dtype=F64), torch.tensor([-0.01, -0.2], dtype=F64), seed=2)),
    PublicCase("euler_maruyama_step", "g = 0: Euler's step of an ODE", _em_case(3, (2,), 0.0, -0.1, seed=3)),
    PublicCase("euler_maruyama_step", "float32 data", _em_case(3, (2,), 1.0, -0.05, F32, seed=4)),
    PublicCase("euler_maruyama_step", "float32 data, g and dt float64 (B,) tensors (cast to the data's dtype)",
               _em_case(3, (2,), torch.tensor([0.5, 1.0, 2.0], dtype=F64), torch.tensor([-0.05, -0.1, -0.02], dtype=F64),
                        F32, seed=5)),
])


@dataclass(frozen=True)
class EM:
    """One step of B samples of shape D; dt in [-0.5, -1e-3] ("backward"), in [1e-3, 0.5] ("forward"), per sample
    when `per_sample`; g in [0, 4] (0 exactly with `g_zero`)."""

    B: int
    D: tuple
    dtype: str
    direction: str
    per_sample: bool
    g_zero: bool
    seed: int
    scalars: str = "data"

    def inputs(self) -> dict:
        r = rng(self.seed)
        dtype = DTYPES[self.dtype]
        x, drift, noise = (_x(r, self.B, self.D, dtype) for _ in range(3))
        kind = "batch" if self.per_sample else "float"
        dt = _level(r, kind, self.B, 1e-3, 0.5, _scalar_dtype(self.scalars, dtype))
        dt = -dt if self.direction == "backward" else dt
        g = 0.0 if self.g_zero else _level(r, kind, self.B, 0.1, 4.0, _scalar_dtype(self.scalars, dtype))
        return dict(x=x, drift=drift, g=g, dt=dt, noise=noise)


_EM = EM(B=3, D=(2,), dtype="float64", direction="backward", per_sample=True, g_zero=False, seed=0)
ems = edged(st.builds(EM, B=st.integers(1, 5), D=st.sampled_from([(2,), (1,), (1, 2, 2)]),
                      dtype=st.sampled_from(["float64", "float32"]),
                      direction=st.sampled_from(["backward", "forward"]), per_sample=st.booleans(), g_zero=st.just(False),
                      seed=st.integers(0, 2**16), scalars=st.sampled_from(["data", "float64"])),
            _EM, replace(_EM, direction="forward"), replace(_EM, per_sample=False), replace(_EM, B=1),
            replace(_EM, D=(1, 2, 2)), replace(_EM, dtype="float32"), replace(_EM, g_zero=True),
            replace(_EM, dtype="float32", scalars="float64"))


@SUITE.property("euler_maruyama_step", 0.5, function="euler_maruyama_step", max_examples=10, e=ems)
def em_step_matches(student, e):
    """euler_maruyama_step gives x + drift dt + g sqrt(|dt|) noise, forwards and backwards in time, g and dt per sample"""
    inputs = e.inputs()
    x, drift, noise = inputs["x"], inputs["drift"], inputs["noise"]
    dt, g = _per(inputs["dt"], x), _per(inputs["g"], x)
    scale = x.to(F64).abs() + (drift.to(F64) * dt).abs() + (g * dt.abs().sqrt() * noise.to(F64)).abs()
    got = student("euler_maruyama_step", **inputs)
    assert_close(got, expected(ref.euler_maruyama_step, **inputs), f"euler_maruyama_step on {e}", dtype=x.dtype,
                 scale=scale)


# == karras_sigmas (1.5) =========================================================================================
SUITE.public("karras_sigmas", 0.5, [
    PublicCase("karras_sigmas", "the defaults (sigma_min 0.002, sigma_max 80, rho 7), N = 5", dict(N=5), tol=FLOAT64_EXACT),
    PublicCase("karras_sigmas", "other levels and rho = 3, N = 4", dict(N=4, sigma_min=0.01, sigma_max=10.0, rho=3.0),
               tol=FLOAT64_EXACT),
    PublicCase("karras_sigmas", "N = 1: [sigma_max, 0]", dict(N=1, sigma_min=0.1, sigma_max=2.0), tol=FLOAT64_EXACT),
    PublicCase("karras_sigmas", "N = 0 is refused", dict(N=0), raises="ValueError"),
    PublicCase("karras_sigmas", "sigma_min > sigma_max is refused", dict(N=4, sigma_min=5.0, sigma_max=1.0),
               raises="ValueError"),
])


@dataclass(frozen=True)
class Levels:
    N: int
    sigma_min: float
    sigma_max: float
    rho: float

    def kwargs(self) -> dict:
        return dict(N=self.N, sigma_min=self.sigma_min, sigma_max=self.sigma_max, rho=self.rho)


_LEVELS = Levels(N=18, sigma_min=0.002, sigma_max=80.0, rho=7.0)
levels = edged(st.builds(Levels, N=st.integers(1, 200), sigma_min=st.sampled_from([0.002, 0.01, 0.1]),
                         sigma_max=st.sampled_from([1.0, 10.0, 80.0]), rho=st.sampled_from([1.0, 3.0, 7.0, 10.0])),
               _LEVELS, replace(_LEVELS, N=1), replace(_LEVELS, N=2), replace(_LEVELS, N=200), replace(_LEVELS, rho=1.0),
               replace(_LEVELS, sigma_min=0.1, sigma_max=1.0, rho=3.0), replace(_LEVELS, sigma_min=1.0, sigma_max=1.0))


@SUITE.property("karras_sigmas", 0.5, function="karras_sigmas", max_examples=10, lv=levels)
def karras_sigmas_match(student, lv):
    """karras_sigmas gives Karras et al.'s Eq. (5) levels, float64, decreasing from sigma_max to sigma_min, then 0; they
    are evenly spaced in sigma**(1/rho)"""
    what = f"karras_sigmas({', '.join(f'{k}={v}' for k, v in lv.kwargs().items())})"
    got = require_tensor(student("karras_sigmas", **lv.kwargs()), what)
    want = ref.karras_sigmas(**lv.kwargs())
    assert_close(got, want, what, dtype=F64, tol=FLOAT64)
    ramp = torch.arange(lv.N, dtype=F64) / max(lv.N - 1, 1)  # independent: i / (N - 1)
    lo, hi = lv.sigma_min ** (1 / lv.rho), lv.sigma_max ** (1 / lv.rho)
    assert_close(got[:-1] ** (1 / lv.rho), hi + ramp * (lo - hi), f"{what}: sigma**(1/rho) interpolates linearly",
                 dtype=F64, tol=FLOAT64)


VALID_LEVELS = dict(N=5, sigma_min=0.002, sigma_max=80.0, rho=7.0)


@dataclass(frozen=True)
class BadLevels:
    kind: str

    def kwargs(self) -> dict:
        """Every argument, in the contract's order (a call passes them all: see boundary.bridge.invoke)."""
        changed = {"zero": dict(N=0), "negative": dict(N=-2), "rho": dict(rho=0.0),
                   "order": dict(sigma_min=2.0, sigma_max=1.0), "min_zero": dict(sigma_min=0.0)}[self.kind]
        return {**VALID_LEVELS, **changed}


_BAD = ("zero", "negative", "rho", "order", "min_zero")
bad_levels = edged(st.sampled_from(_BAD).map(BadLevels), *(BadLevels(k) for k in _BAD))


@SUITE.property("karras_sigmas", 0.5, function="karras_sigmas", bl=bad_levels)
def karras_sigmas_refuse(student, bl):
    """karras_sigmas raises ValueError for N < 1, rho <= 0 and unless 0 < sigma_min <= sigma_max, and only there (valid
    arguments give the levels)"""
    assert_close(require_tensor(student("karras_sigmas", **VALID_LEVELS), "karras_sigmas(N=5)"),
                 ref.karras_sigmas(**VALID_LEVELS), "karras_sigmas(N=5)", dtype=F64, tol=FLOAT64)
    raised = student.raises("karras_sigmas", **bl.kwargs())
    if raised != "ValueError":
        did = "returned a result" if raised is None else f"raised {raised}"
        raise CheckFailed(f"karras_sigmas({bl.kwargs()}) {did}; the contract raises ValueError for these arguments")


# == karras_euler_step (1.5), karras_heun_step (1.5) =============================================================
def _denoiser(g, d: int):
    """A test denoiser D(x; sigma) = x A^T + tanh(x W^T + b + sigma c), called with the noise level."""
    return test_model(g, d, scale=0.4, time_scale=0.5, time="level")


def _step_case(B, D, sigma, sigma_next, dtype=F64, seed=0):
    g = rng(seed)
    return dict(x=_x(g, B, D, dtype, scale=2.0), sigma=sigma, sigma_next=sigma_next,
                denoiser=_denoiser(g, math.prod(D)))


for _name in ("karras_euler_step", "karras_heun_step"):
    SUITE.public(_name, 0.5, [
        PublicCase(_name, "points, Python float levels", _step_case(3, (2,), 2.0, 1.5)),
        PublicCase(_name, "the last step, to sigma_next = 0", _step_case(3, (2,), 0.5, 0.0, seed=1)),
        PublicCase(_name, "levels per sample (B,), one of them going to 0, images",
                   _step_case(3, (1, 2, 2), torch.tensor([1.0, 0.8, 0.3], dtype=F64),
                              torch.tensor([0.6, 0.5, 0.0], dtype=F64), seed=2)),
        PublicCase(_name, "float32 data", _step_case(3, (2,), 1.0, 0.7, F32, seed=3)),
        PublicCase(_name, "float32 data, float64 levels per sample (B,), as karras_sigmas gives them",
                   _step_case(3, (2,), torch.tensor([1.0, 0.8, 0.3], dtype=F64), torch.tensor([0.7, 0.5, 0.0], dtype=F64),
                              F32, seed=4)),
    ])


@dataclass(frozen=True)
class Step:
    """A step of B samples of shape D from sigma in [0.05, 5] to sigma_next in [0, sigma): Python floats or per-sample
    (B,) tensors; `final` sends every sample ("all") or the first one ("first") to sigma_next = 0."""

    B: int
    D: tuple
    dtype: str
    kind: str
    final: str
    seed: int
    scalars: str = "data"

    def inputs(self) -> dict:
        g = rng(self.seed)
        dtype = DTYPES[self.dtype]
        x = _x(g, self.B, self.D, dtype, scale=2.0)
        sigma = _level(g, self.kind, self.B, 0.05, 5.0, _scalar_dtype(self.scalars, dtype))
        frac = _level(g, self.kind, self.B, 0.1, 0.95, _scalar_dtype(self.scalars, dtype))
        sigma_next = sigma * frac
        if self.final == "all":
            sigma_next = sigma_next * 0
        elif self.final == "first" and self.kind == "batch":
            sigma_next = sigma_next.clone()
            sigma_next[0] = 0.0
        return dict(x=x, sigma=sigma, sigma_next=sigma_next, denoiser=_denoiser(g, math.prod(self.D)))


_STEP = Step(B=3, D=(2,), dtype="float64", kind="batch", final="none", seed=0)
steps = edged(st.builds(Step, B=st.integers(1, 4), D=st.sampled_from([(2,), (1,), (1, 2, 2)]),
                        dtype=st.sampled_from(["float64", "float32"]), kind=st.sampled_from(["batch", "float"]),
                        final=st.sampled_from(["none", "all", "first"]), seed=st.integers(0, 2**16),
                        scalars=st.sampled_from(["data", "float64"])),
              _STEP, replace(_STEP, kind="float"), replace(_STEP, final="all"), replace(_STEP, final="first"),
              replace(_STEP, kind="float", final="all"), replace(_STEP, B=1), replace(_STEP, D=(1, 2, 2)),
              replace(_STEP, dtype="float32"), replace(_STEP, dtype="float32", final="first"),
              replace(_STEP, dtype="float32", final="first", scalars="float64"))


def _step_scale(inputs) -> torch.Tensor:
    """The size of the terms of a step: |x| + |h| |x - D(x)| / sigma, in float64."""
    x, model = inputs["x"].to(F64), inputs["denoiser"]
    s, s_next = _per(inputs["sigma"], x), _per(inputs["sigma_next"], x)
    with torch.no_grad():
        slope = (x - model(x, torch.as_tensor(inputs["sigma"], dtype=F64))).abs() / s
    return x.abs() + (s - s_next).abs() * slope * 2


def _check_step(student, name: str, st_: Step):
    inputs = st_.inputs()
    got = student(name, **inputs)
    assert_close(got, expected(getattr(ref, name), **inputs), f"{name} on {st_}", dtype=inputs["x"].dtype,
                 scale=_step_scale(inputs))


@SUITE.property("karras_euler_step", 0.5, function="karras_euler_step", max_examples=8, st_=steps)
def euler_step_matches(student, st_):
    """karras_euler_step gives x + (sigma_next - sigma) (x - D(x; sigma)) / sigma (Karras et al. Algorithm 1 without
    its correction), levels per sample"""
    _check_step(student, "karras_euler_step", st_)


@SUITE.property("karras_euler_step", 0.5, function="karras_euler_step", max_examples=6, st_=steps)
def euler_step_to_zero_is_the_denoiser(student, st_):
    """an Euler step to sigma_next = 0 lands on the denoiser's output D(x; sigma) (a step to a smaller level lands
    between x and D(x; sigma), on the line through both)"""
    inputs = {**st_.inputs()}
    x = inputs["x"]
    inputs["sigma_next"] = inputs["sigma_next"] * 0 if isinstance(inputs["sigma_next"], torch.Tensor) else 0.0
    got = student("karras_euler_step", **inputs)
    want = expected(lambda x, sigma, denoiser: denoiser(x, sigma), x, inputs["sigma"], inputs["denoiser"])
    assert_close(got, want, f"karras_euler_step to sigma_next = 0 on {st_}: D(x; sigma)", dtype=x.dtype,
                 scale=_step_scale(inputs))


@SUITE.property("karras_heun_step", 0.5, function="karras_heun_step", max_examples=8, st_=steps)
def heun_step_matches(student, st_):
    """karras_heun_step gives Karras et al.'s Algorithm 1 step: Euler, then the trapezoidal correction with the slope at
    the Euler point, except where sigma_next = 0 (the Euler step is kept there), levels per sample"""
    _check_step(student, "karras_heun_step", st_)


@dataclass(frozen=True)
class Order:
    """One point of dimension d at sigma, stepped with the steps h = H * 2**-k, k = 0..3, as a batch of 4 samples."""

    d: int
    sigma: float
    seed: int


_ORDER = Order(d=2, sigma=1.0, seed=0)
orders = edged(st.builds(Order, d=st.integers(1, 3), sigma=st.sampled_from([0.5, 1.0, 3.0]), seed=st.integers(0, 2**16)),
               _ORDER, replace(_ORDER, d=1), replace(_ORDER, sigma=3.0), replace(_ORDER, sigma=0.5, d=3))
ORDER_H = 2e-3  # the largest step; Heun's local error is then ~1e-9, Euler's ~1e-6
ORDER_FACTOR = 20.0  # a correct Heun step's error is the reference's (ratio 1 / ORDER_FACTOR); Euler's is >= 1e3 times it


def _rk4(model, x, s0: float, s1, n: int = 8):
    """The ODE dx/dsigma = (x - D(x; sigma)) / sigma from s0 to s1 (per sample) by n classical Runge–Kutta steps."""
    s1 = _per(s1, x)
    h = (s1 - s0) / n
    s = torch.full_like(s1, s0)
    f = lambda z, lv: (z - model(z, lv.reshape(-1))) / lv  # noqa: E731
    with torch.no_grad():
        for _ in range(n):
            k1 = f(x, s)
            k2 = f(x + h / 2 * k1, s + h / 2)
            k3 = f(x + h / 2 * k2, s + h / 2)
            k4 = f(x + h * k3, s + h)
            x, s = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4), s + h
    return x


@SUITE.property("karras_heun_step", 0.5, function="karras_heun_step", max_examples=4, o=orders)
def heun_step_is_second_order(student, o):
    """one Heun step's local error is O(h**3): against a fine Runge–Kutta solution of the ODE, within 20 times the
    error of Algorithm 1's step, for steps h from 2e-3 down to 2.5e-4 (an Euler step's error, O(h**2), is about a
    thousand times larger)"""
    g = rng(o.seed)
    model = _denoiser(g, o.d)
    h = ORDER_H * 2.0 ** -torch.arange(4, dtype=F64)  # (4,)
    x = normal(g, 1, o.d, scale=2.0).expand(4, o.d).clone()
    sigma, sigma_next = torch.full((4,), o.sigma, dtype=F64), o.sigma - h
    got = student("karras_heun_step", x=x, sigma=sigma, sigma_next=sigma_next, denoiser=model)
    assert_close(got, expected(ref.karras_heun_step, x, sigma, sigma_next, model), f"karras_heun_step on {o}",
                 dtype=F64, scale=x.abs() + 1.0)
    exact = _rk4(model, x, o.sigma, sigma_next)
    err = (got - exact).abs().amax(1)  # (4,)
    ref_err = (ref.karras_heun_step(x, sigma, sigma_next, model) - exact).abs().amax(1)
    assert_close(err, torch.zeros(4, dtype=F64), f"karras_heun_step on {o}: the local error for steps h = "
                 f"{[f'{v:.2g}' for v in h.tolist()]}", tol=Tol(rtol=1.0, atol=1e-14), scale=ORDER_FACTOR * ref_err)


# == ddim_euler_step (1.5) =======================================================================================
def _ddim_case(B, D, ab_t, ab_prev, dtype=F64, seed=0):
    g = rng(seed)
    return dict(x_t=_x(g, B, D, dtype), alpha_bar_t=ab_t, alpha_bar_prev=ab_prev, eps_pred=_x(g, B, D, dtype))


SUITE.public("ddim_euler_step", 0.5, [
    PublicCase("ddim_euler_step", "points, Python float alpha_bars", _ddim_case(3, (2,), 0.3, 0.6)),
    PublicCase("ddim_euler_step", "alpha_bar per sample (B,), images",
               _ddim_case(2, (1, 2, 2), torch.tensor([0.1, 0.5], dtype=F64), torch.tensor([0.4, 0.9], dtype=F64), seed=1)),
    PublicCase("ddim_euler_step", "the last step, alpha_bar_prev = 1", _ddim_case(3, (2,), 0.8, 1.0, seed=2)),
    PublicCase("ddim_euler_step", "float32 data", _ddim_case(3, (2,), torch.tensor([0.2, 0.5, 0.7], dtype=F64),
                                                             torch.tensor([0.5, 0.6, 0.99], dtype=F64), F32, seed=3)),
])


@dataclass(frozen=True)
class DDIMStep:
    """B samples of shape D at indices t of a T-step schedule, stepping to random earlier indices (or -1, `final`);
    alpha_bar passed as (B,) float64 tensors, or as Python floats when `scalar` (one index for the batch)."""

    B: int
    D: tuple
    T: int
    schedule: str
    dtype: str
    final: bool
    scalar: bool
    seed: int

    def inputs(self):
        g = rng(self.seed)
        linear = self.schedule == "linear"
        beta = schedules.linear_beta_schedule(self.T) if linear else schedules.cosine_beta_schedule(self.T)
        alpha_bar = schedules.alpha_bar_from_beta(beta)
        t = torch.from_numpy(g.integers(0, self.T, size=1 if self.scalar else self.B)).expand(self.B).clone()
        t_prev = torch.tensor([int(g.integers(-1, int(s))) if s > 0 and not self.final else -1 for s in t])
        if self.scalar:
            t_prev = t_prev[:1].expand(self.B).clone()
        dtype = DTYPES[self.dtype]
        x, eps = _x(g, self.B, self.D, dtype), _x(g, self.B, self.D, dtype)
        return alpha_bar, t, t_prev, x, eps


_DDIM = DDIMStep(B=3, D=(2,), T=1000, schedule="linear", dtype="float64", final=False, scalar=False, seed=0)
ddim_steps = edged(st.builds(DDIMStep, B=st.integers(1, 4), D=st.sampled_from([(2,), (1,), (1, 2, 2)]),
                             T=st.integers(2, 1000),
                             schedule=st.sampled_from(["linear", "cosine"]), dtype=st.sampled_from(["float64", "float32"]),
                             final=st.booleans(), scalar=st.booleans(), seed=st.integers(0, 2**16)),
                   _DDIM, replace(_DDIM, final=True), replace(_DDIM, scalar=True), replace(_DDIM, B=1),
                   replace(_DDIM, D=(1, 2, 2)), replace(_DDIM, dtype="float32"), replace(_DDIM, schedule="cosine"),
                   replace(_DDIM, T=2))


def _hw3_ddim(x, t, t_prev, eps, alpha_bar):
    return ddim.ddim_step(x, t, t_prev, eps, alpha_bar, 0.0, torch.zeros_like(x))


@SUITE.property("ddim_euler_step", 1, function="ddim_euler_step", max_examples=10, c=ddim_steps)
def ddim_euler_step_is_ddim(student, c):
    """ddim_euler_step, the Euler step of the probability-flow ODE in (x / sqrt(alpha_bar), sqrt(1 - alpha_bar) /
    sqrt(alpha_bar)), is homework 3's ddim_step with eta = 0 (Song et al. Eq. (12)), to any earlier index and to the
    end (alpha_bar_prev = 1)"""
    alpha_bar, t, t_prev, x, eps = c.inputs()
    ab_t = alpha_bar[t]
    ab_prev = torch.where(t_prev >= 0, alpha_bar[t_prev.clamp(min=0)], torch.ones((), dtype=F64))
    if c.scalar:
        ab_t, ab_prev = float(ab_t[0]), float(ab_prev[0])
    got = student("ddim_euler_step", x_t=x, alpha_bar_t=ab_t, alpha_bar_prev=ab_prev, eps_pred=eps)
    a_t, a_prev = _per(ab_t, x), _per(ab_prev, x)
    scale = (a_prev / a_t).sqrt() * x.to(F64).abs() + (1 + (a_prev * (1 - a_t) / a_t).sqrt()) * eps.to(F64).abs()
    assert_close(got, expected(_hw3_ddim, x, t, t_prev, eps, alpha_bar),
                 f"ddim_euler_step from index {t.tolist()} to {t_prev.tolist()} against ddim_step(eta=0)", dtype=x.dtype,
                 scale=scale)


# == divergence (1.5) ============================================================================================
def _field(g, d: int):
    """A test vector field fn(x) = x A^T + tanh(x W^T + b), called with x alone."""
    return test_model(g, d, scale=0.7, time="none")


def _div_case(B, D, dtype=F64, seed=0):
    g = rng(seed)
    return dict(fn=_field(g, math.prod(D)), x=_x(g, B, D, dtype))


SUITE.public("divergence", 0.5, [
    PublicCase("divergence", "2-D points", _div_case(3, (2,))),
    PublicCase("divergence", "images (B, C, H, W): the trace over all C H W coordinates", _div_case(2, (1, 2, 2), seed=1)),
    PublicCase("divergence", "float32 data", _div_case(3, (3,), F32, seed=2)),
])


def _exact_divergence(fn, x):
    """tr d/dx [x A^T + tanh(x W^T + b)] = tr A + sum_j (1 - tanh(h_j)**2) W_jj, h = x W^T + b (the test model)."""
    flat = x.reshape(x.shape[0], -1)
    W, b, A = (p.to(x.dtype) for p in (fn.W, fn.b, fn.A))
    h = flat @ W.T + b
    return torch.diagonal(A).sum() + ((1 - torch.tanh(h) ** 2) * torch.diagonal(W)).sum(1)


@dataclass(frozen=True)
class Field:
    B: int
    D: tuple
    dtype: str
    seed: int

    def inputs(self):
        return _div_case(self.B, self.D, DTYPES[self.dtype], self.seed)


_FIELD = Field(B=3, D=(2,), dtype="float64", seed=0)
fields = edged(st.builds(Field, B=st.integers(1, 5), D=st.sampled_from([(2,), (1,), (3,), (1, 2, 2)]),
                         dtype=st.sampled_from(["float64", "float32"]), seed=st.integers(0, 2**16)),
               _FIELD, replace(_FIELD, B=1), replace(_FIELD, D=(1,)), replace(_FIELD, D=(1, 2, 2)),
               replace(_FIELD, dtype="float32"))


def _check_divergence(student, f: Field, no_grad: bool):
    inputs = f.inputs()
    fn, x = inputs["fn"], inputs["x"]
    got = student.no_grad("divergence", **inputs) if no_grad else student("divergence", **inputs)
    W, A = fn.W.detach(), fn.A.detach()
    scale = (torch.diagonal(A).abs().sum() + torch.diagonal(W).abs().sum()).expand(x.shape[0])
    assert_close(got, expected(_exact_divergence, fn, x), f"divergence on {f}{' inside torch.no_grad()' if no_grad else ''}",
                 dtype=x.dtype, scale=scale)


@SUITE.property("divergence", 0.5, function="divergence", max_examples=8, f=fields)
def divergence_is_the_trace(student, f):
    """divergence gives the trace of the Jacobian per sample (for the test field x A^T + tanh(x W^T + b): tr A +
    sum_j (1 - tanh(h_j)**2) W_jj), over every coordinate of image-shaped data, in the data's dtype"""
    _check_divergence(student, f, no_grad=False)


@SUITE.property("divergence", 0.5, function="divergence", max_examples=4, f=fields)
def divergence_under_no_grad(student, f):
    """divergence works inside torch.no_grad() (as the likelihood's integrator calls it) and returns a detached tensor"""
    _check_divergence(student, f, no_grad=True)


# == written questions (graded by hand; the rubrics are in the master notebook) ==================================
SUITE.manual("vp_marginal_derivation", 2, "Derivation: the VP SDE's perturbation kernel from its drift and diffusion, and "
             "DDPM's alpha_bar as its many-step limit")
SUITE.manual("pf_ode_derivation", 3, "Derivation: the probability-flow ODE from the Fokker–Planck equation, and the "
             "reverse-time SDE's drift")
SUITE.manual("ddim_euler_derivation", 2, "Derivation: DDIM (eta = 0) is the Euler step of the probability-flow ODE in "
             "the coordinates x / sqrt(alpha_bar), sqrt(1 - alpha_bar) / sqrt(alpha_bar)")
SUITE.manual("pf_transport", 1, "Interpretation: the probability-flow ODE carries the noised mixture to the data mixture")
SUITE.manual("convergence", 1, "Interpretation: Euler's and Heun's errors against the number of steps")
SUITE.manual("likelihood", 1, "Interpretation: the exact log-likelihood through the ODE against the mixture's log-density")


SUITE.arrange([
    "vp_marginal_derivation", "vp_marginal", "vp_sde", "ve_sde", "pf_ode_derivation", "reverse_sde_drift",
    "probability_flow_drift", "euler_maruyama_step", "karras_sigmas", "karras_euler_step", "karras_heun_step",
    "ddim_euler_derivation", "ddim_euler_step", "pf_transport", "convergence", "divergence", "likelihood"])
