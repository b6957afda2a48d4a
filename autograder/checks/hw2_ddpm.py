"""Hidden checks of hw2_ddpm: schedules, the forward process, the posterior, the reverse step, sampling,
L_simple and the variational bound in bits per dimension.

Reads side by side with `solutions/hw2_ddpm/hw2_ddpm.ipynb`, `course_core/schedules.py` and `course_core/ddpm.py`.
While a function is checked, the student's other graded functions it may call are answered by the
reference (`Suite(helpers=...)`), so a bug costs points only on the question where it was made. Data comes
in float64 and float32 and in every shape the contract allows (points and images); schedules stay float64.
Tolerances are elementwise (`compare.py`), relative to the size of the terms a result is made of.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from hypothesis import strategies as st

from course_core import ddpm as ref
from course_core import schedules

from .cases import DTYPES, Case, cases, choice, edged, expected, expected_loss, floats, ints, normal, rng, test_model
from .compare import FLOAT64, LOOP, CheckFailed, Tol, assert_close, assert_loss
from .framework import Suite

# Every function over tensors that another one may call; see Suite.
SUITE = Suite("hw2_ddpm", helpers=[schedules.linear_beta_schedule, schedules.cosine_beta_schedule, ref.q_sample,
                                   ref.q_posterior_mean_variance, ref.predict_x0_from_eps, ref.ddpm_step, ref.normal_kl])
F64 = torch.float64
IN_FLOAT64 = ("schedules are float64 by contract: compute them in float64 from the start (float32 arithmetic "
              "cast to float64 is off by about 1e-8, and by much more in 1 - f(t+1)/f(t) near t = 0)")


def _at(v: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """`v[t]` in float64, shaped to broadcast against `like`."""
    return v[t].to(F64).reshape(-1, *([1] * (like.dim() - 1)))


def _model_for(c: Case, g, *, scale: float = 0.5):
    """A test eps-model whose output depends on the step index over the whole range [0, T)."""
    return test_model(g, int(torch.tensor(c.D).prod()), scale=scale, time_scale=2.0 / max(c.T, 1), time="index")


# -- schedules (4) -----------------------------------------------------------------------------------
@SUITE.check("schedules", 1, function="linear_beta_schedule", hidden=False)
def schedules_shape_dtype(student):
    """both schedules return float64 tensors of shape (T,) and match the papers for T = 10"""
    for name, fn in [("linear_beta_schedule", schedules.linear_beta_schedule),
                     ("cosine_beta_schedule", schedules.cosine_beta_schedule)]:
        got = student(name, T=10)
        assert_close(got, fn(10), f"{name}(10)", dtype=F64, tol=FLOAT64, hint=IN_FLOAT64)


@SUITE.property("schedules", 1, function="linear_beta_schedule", T=ints(1, 1000), beta_start=floats(1e-5, 1e-3),
                beta_end=floats(0.005, 0.05))
def linear_schedule_matches(student, T, beta_start, beta_end):
    """linear_beta_schedule is linear from beta_start to beta_end over T steps (Ho et al. 2020, section 4)"""
    got = student("linear_beta_schedule", T=T, beta_start=beta_start, beta_end=beta_end)
    assert_close(got, schedules.linear_beta_schedule(T, beta_start, beta_end), "linear_beta_schedule", dtype=F64,
                 tol=FLOAT64, hint=IN_FLOAT64)


@SUITE.property("schedules", 2, function="cosine_beta_schedule", T=ints(1, 1000), s=floats(0.0, 0.02),
                max_beta=choice(0.999, 0.9, 0.5))
def cosine_schedule_matches(student, T, s, max_beta):
    """cosine_beta_schedule follows Nichol & Dhariwal 2021, Eq. (17), clipped at max_beta"""
    got = student("cosine_beta_schedule", T=T, s=s, max_beta=max_beta)
    assert_close(got, schedules.cosine_beta_schedule(T, s, max_beta), "cosine_beta_schedule", dtype=F64,
                 tol=FLOAT64, hint=IN_FLOAT64)


# -- q_sample (3) --------------------------------------------------------------------------------------
@SUITE.check("q_sample", 1, function="q_sample", hidden=False)
def q_sample_fixed(student):
    """q_sample with alpha_bar = [0.64, 0.36] mixes x0 and noise with sqrt(alpha_bar_t), sqrt(1 - alpha_bar_t)"""
    got = student("q_sample", x0=torch.ones(2, 2, dtype=F64), t=torch.tensor([0, 1]),
                  noise=torch.tensor([[-1.0, -1.0], [2.0, 2.0]], dtype=F64), alpha_bar=torch.tensor([0.64, 0.36], dtype=F64))
    assert_close(got, torch.tensor([[0.2, 0.2], [2.2, 2.2]], dtype=F64), "q_sample", dtype=F64)


@SUITE.property("q_sample", 2, function="q_sample", c=cases())
def q_sample_matches(student, c):
    """q_sample draws x_t from q(x_t | x0) with the given noise (Ho et al. Eq. (4)), for any data shape and dtype"""
    _, alpha_bar, t, x0, noise, _ = c.tensors()
    got = student("q_sample", x0=x0, t=t, noise=noise, alpha_bar=alpha_bar)
    ab = _at(alpha_bar, t, x0)
    assert_close(got, expected(ref.q_sample, x0, t, noise, alpha_bar), f"q_sample at t={t.tolist()}", dtype=x0.dtype,
                 scale=ab.sqrt() * x0.abs() + (1 - ab).sqrt() * noise.abs())


# -- q_posterior (5) -----------------------------------------------------------------------------------
def _posterior(student, c):
    beta, _, t, x0, x_t, _ = c.tensors()
    out = student("q_posterior_mean_variance", x0=x0, x_t=x_t, t=t, beta=beta)
    if not isinstance(out, tuple) or len(out) != 2:
        raise CheckFailed("q_posterior_mean_variance should return a pair (mean, var)")
    coef_x0, coef_xt, _ = (v.to(F64) for v in ref._posterior_coefficients(beta))
    terms = _at(coef_x0, t, x0) * x0.abs() + _at(coef_xt, t, x0) * x_t.abs()
    return out, expected(ref.q_posterior_mean_variance, x0, x_t, t, beta), x0, terms, f" at t={t.tolist()}"


@SUITE.check("q_posterior", 1, function="q_posterior_mean_variance", hidden=False)
def posterior_shapes(student):
    """q_posterior_mean_variance returns (mean, var), mean (B, *D) and var broadcastable to it, with the right
    values on a small fixed case"""
    c = Case(B=3, D=(2,), T=10, schedule="linear", t_at="first", dtype="float64", seed=0)
    (mean, var), (want_mean, want_var), x0, terms, at = _posterior(student, c)
    assert_close(mean, want_mean, "posterior mean" + at, dtype=F64, scale=terms)
    assert_close(var, want_var, "posterior variance" + at, dtype=F64, broadcast_to=x0.shape)


@SUITE.property("q_posterior", 2, function="q_posterior_mean_variance", c=cases(T=(2, 1000)))
def posterior_mean_matches(student, c):
    """the posterior mean matches Ho et al. Eq. (7), including index t = 0 where it equals x0"""
    (mean, _), (want, _), x0, terms, at = _posterior(student, c)
    assert_close(mean, want, "posterior mean" + at, dtype=x0.dtype, scale=terms)


@SUITE.property("q_posterior", 2, function="q_posterior_mean_variance", c=cases(T=(2, 1000)))
def posterior_variance_matches(student, c):
    """the posterior variance matches Ho et al. Eq. (7), and is 0 at index t = 0"""
    (_, var), (_, want), x0, _, at = _posterior(student, c)
    assert_close(var, want, "posterior variance" + at, dtype=x0.dtype, broadcast_to=x0.shape)


# -- predict_x0 (2) -----------------------------------------------------------------------------------
@SUITE.check("predict_x0", 0.5, function="predict_x0_from_eps", hidden=False)
def predict_x0_fixed(student):
    """predict_x0_from_eps inverts q_sample: alpha_bar = 0.64, x_t = 1.4, eps = 1 gives x0 = 1"""
    got = student("predict_x0_from_eps", x_t=torch.full((1, 2), 1.4, dtype=F64), t=torch.tensor([0]),
                  eps=torch.ones(1, 2, dtype=F64), alpha_bar=torch.tensor([0.64], dtype=F64))
    assert_close(got, torch.ones(1, 2, dtype=F64), "predict_x0_from_eps", dtype=F64)


@SUITE.property("predict_x0", 1.5, function="predict_x0_from_eps", c=cases())
def predict_x0_matches(student, c):
    """predict_x0_from_eps recovers x0 from x_t and the noise (Ho et al. Eq. (4) solved for x0)"""
    _, alpha_bar, t, x_t, eps, _ = c.tensors()
    got = student("predict_x0_from_eps", x_t=x_t, t=t, eps=eps, alpha_bar=alpha_bar)
    ab = _at(alpha_bar, t, x_t)
    assert_close(got, expected(ref.predict_x0_from_eps, x_t, t, eps, alpha_bar), f"predict_x0_from_eps at t={t.tolist()}",
                 dtype=x_t.dtype, scale=(x_t.abs() + (1 - ab).sqrt() * eps.abs()) / ab.sqrt())


# -- ddpm_step (5) ------------------------------------------------------------------------------------
def _step(student, c, variance, zero_t=False):
    beta, alpha_bar, t, x_t, eps, noise = c.tensors()
    if zero_t:  # large noise: any of it added at t = 0 stands out
        t, noise = torch.zeros_like(t), 100 * noise
    got = student("ddpm_step", x_t=x_t, t=t, eps_pred=eps, beta=beta, noise=noise, variance=variance)
    coef_x0, coef_xt, var = (v.to(F64) for v in ref._posterior_coefficients(beta))
    ab = _at(alpha_bar, t, x_t)
    x0_size = (x_t.abs() + (1 - ab).sqrt() * eps.abs()) / ab.sqrt()
    sigma2 = _at(var if variance == "small" else beta, t, x_t) * (t != 0).reshape(-1, *[1] * (x_t.dim() - 1))
    terms = _at(coef_x0, t, x_t) * x0_size + _at(coef_xt, t, x_t) * x_t.abs() + sigma2.sqrt() * noise.abs()
    assert_close(got, expected(ref.ddpm_step, x_t, t, eps, beta, noise, variance),
                 f"ddpm_step(variance={variance!r}) at t={t.tolist()}",
                 dtype=x_t.dtype, scale=terms)


@SUITE.check("ddpm_step", 1, function="ddpm_step", hidden=False)
def ddpm_step_small_fixed(student):
    """ddpm_step returns x_{t-1} of shape (B, *D) with the right values on a small fixed case (variance='small')"""
    _step(student, Case(B=2, D=(2,), T=10, schedule="linear", t_at="random", dtype="float64", seed=1), "small")


@SUITE.property("ddpm_step", 2, function="ddpm_step", c=cases())
def ddpm_step_small(student, c):
    """ddpm_step with variance='small' follows Ho et al. Algorithm 2 with the posterior variance"""
    _step(student, c, "small")


@SUITE.property("ddpm_step", 1, function="ddpm_step", c=cases())
def ddpm_step_large(student, c):
    """ddpm_step with variance='large' uses sigma_t^2 = beta_t"""
    _step(student, c, "large")


@SUITE.property("ddpm_step", 1, function="ddpm_step", c=cases(),
                variance=choice("small", "large"))
def ddpm_step_no_noise_at_zero(student, c, variance):
    """ddpm_step adds no noise where t == 0 (the last step returns the mean)"""
    _step(student, c, variance, zero_t=True)


# -- l_simple (3) -------------------------------------------------------------------------------------
@SUITE.check("l_simple", 1, function="l_simple", hidden=False)
def l_simple_zero_model(student):
    """l_simple is a scalar; with a model that predicts 0 it is mean(noise^2) = 2.5 here, and its gradient with
    respect to the model's parameters is right"""
    zero = test_model(rng(0), 2, scale=0.0, time="index")
    inputs = dict(eps_model=zero, x0=torch.ones(2, 2, dtype=F64), t=torch.tensor([0, 1]),
                  noise=torch.tensor([[1.0, -1.0], [2.0, 2.0]], dtype=F64), alpha_bar=torch.tensor([0.9, 0.5], dtype=F64))
    got = student.loss("l_simple", model="eps_model", **inputs)
    assert_loss(got, expected_loss(ref.l_simple, model="eps_model", **inputs), "l_simple", dtype=F64)


@SUITE.property("l_simple", 2, function="l_simple", c=cases())
def l_simple_matches(student, c):
    """l_simple is Ho et al.'s simplified objective, Eq. (14), in value and in its gradient with respect to
    the model's parameters"""
    _, alpha_bar, t, x0, noise, _ = c.tensors()
    inputs = dict(eps_model=_model_for(c, rng(c.seed + 1)), x0=x0, t=t, noise=noise, alpha_bar=alpha_bar)
    got = student.loss("l_simple", model="eps_model", **inputs)
    assert_loss(got, expected_loss(ref.l_simple, model="eps_model", **inputs), "l_simple", dtype=x0.dtype,
                tol=Tol(rtol=1e-4, atol=1e-6), grad_tol=Tol(rtol=2e-4, atol=1e-6))


# -- ddpm_sample (3) ----------------------------------------------------------------------------------
def _sample(student, c, variance):
    beta = c.beta()
    g = rng(c.seed)
    model = _model_for(c, g, scale=0.3)
    x_T, noise = normal(g, c.B, *c.D, dtype=c.torch_dtype), normal(g, c.T, c.B, *c.D, dtype=c.torch_dtype)
    got = student("ddpm_sample", eps_model=model, x_T=x_T, beta=beta, noise=noise, variance=variance)
    assert_close(got, expected(ref.ddpm_sample, model, x_T, beta, noise, variance),
                 f"ddpm_sample(variance={variance!r})", dtype=x_T.dtype, tol=LOOP)


def sample_cases():
    """Short schedules (every step is a call of the student's ddpm_step through the grader)."""
    return cases(T=(1, 12), shapes=((2,), (1,), (3,), (2, 3, 3)))


@SUITE.check("ddpm_sample", 0.5, function="ddpm_sample", hidden=False)
def ddpm_sample_fixed(student):
    """ddpm_sample returns x_0 of shape (B, d) with the right values on a fixed 5-step case"""
    _sample(student, Case(B=3, D=(2,), T=5, schedule="linear", t_at="random", dtype="float64", seed=3), "small")


@SUITE.property("ddpm_sample", 2.5, function="ddpm_sample", max_examples=12,
                c=sample_cases(), variance=choice("small", "large"))
def ddpm_sample_matches(student, c, variance):
    """ddpm_sample runs the reverse steps from t = T-1 down to 0 with the model and the given noise
    (Ho et al. Algorithm 2)"""
    _sample(student, c, variance)


# -- normal_kl (2) ------------------------------------------------------------------------------------
@SUITE.check("normal_kl", 0.5, function="normal_kl", hidden=False)
def normal_kl_fixed(student):
    """normal_kl is 0 between equal Gaussians and 0.5 between N(1, 1) and N(0, 1)"""
    z = torch.zeros(1, 2, dtype=F64)
    got = student("normal_kl", mean1=torch.tensor([[0.0, 1.0]], dtype=F64), logvar1=z, mean2=z, logvar2=z)
    assert_close(got, torch.tensor([[0.0, 0.5]], dtype=F64), "normal_kl", dtype=F64)


@SUITE.property("normal_kl", 1.5, function="normal_kl", c=cases(T=(1, 1)), broadcast=choice(False, True))
def normal_kl_matches(student, c, broadcast):
    """normal_kl matches the closed form KL between diagonal Gaussians, with broadcasting"""
    g = rng(c.seed)
    m1, m2, lv1, lv2 = (normal(g, c.B, *c.D, dtype=c.torch_dtype) for _ in range(4))
    if broadcast:
        lv2 = normal(g, c.B, *([1] * len(c.D)), dtype=c.torch_dtype)
    got = student("normal_kl", mean1=m1, logvar1=lv1, mean2=m2, logvar2=lv2)
    m1_, m2_, lv1_, lv2_ = (v.to(F64) for v in (m1, m2, lv1, lv2))
    terms = 0.5 * (1 + lv1_.abs() + lv2_.abs() + torch.exp(lv1_ - lv2_) + (m1_ - m2_) ** 2 * torch.exp(-lv2_))
    assert_close(got, expected(ref.normal_kl, m1, lv1, m2, lv2), "normal_kl", dtype=m1.dtype, scale=terms)


# -- vlb_bpd (4) --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bound:
    """B samples of shape D on the 256-level grid; a linear schedule of T steps from beta_start up to
    beta_start * growth (so beta_0 and beta_1 are comparable, and the decoder's variance matters)."""

    B: int
    D: tuple
    T: int
    beta_start: float
    growth: float
    dtype: str
    seed: int


_BOUND = Bound(B=3, D=(2,), T=4, beta_start=0.1, growth=2.0, dtype="float64", seed=5)
bounds = edged(st.builds(Bound, B=st.integers(1, 4), D=st.sampled_from([(2,), (1,), (3,), (2, 3, 3)]),
                         T=st.integers(2, 10), beta_start=st.floats(0.02, 0.3), growth=st.floats(1.0, 3.0),
                         dtype=st.sampled_from(["float64", "float32"]), seed=st.integers(0, 2**16)),
               _BOUND, replace(_BOUND, B=1), replace(_BOUND, D=(2, 3, 3)), replace(_BOUND, dtype="float32"),
               replace(_BOUND, T=2), replace(_BOUND, T=10, beta_start=0.02, growth=3.0))
def _vlb(student, b: Bound):
    g = rng(b.seed)
    beta = schedules.linear_beta_schedule(b.T, b.beta_start, b.beta_start * b.growth)
    model = test_model(g, int(torch.tensor(b.D).prod()), scale=0.3, time_scale=2.0 / b.T, time="index")
    x0 = torch.from_numpy(g.integers(0, 256, size=(b.B, *b.D)) / 127.5 - 1.0).to(DTYPES[b.dtype])  # the 256-level grid
    noise = normal(g, b.T, b.B, *b.D, dtype=DTYPES[b.dtype])
    got = student("vlb_bits_per_dim", eps_model=model, x0=x0, beta=beta, noise=noise)
    assert_close(got, expected(ref.vlb_bits_per_dim, model, x0, beta, noise), "vlb_bits_per_dim", dtype=x0.dtype,
                 tol=LOOP)


@SUITE.check("vlb_bpd", 1, function="vlb_bits_per_dim", hidden=False)
def vlb_fixed(student):
    """vlb_bits_per_dim returns one number per sample, shape (B,), with the right values on a fixed 4-step case"""
    _vlb(student, _BOUND)


@SUITE.property("vlb_bpd", 3, function="vlb_bits_per_dim", max_examples=10, b=bounds)
def vlb_matches(student, b):
    """vlb_bits_per_dim sums L_T, every L_t and the discretized decoder term, in bits per dimension"""
    _vlb(student, b)


SUITE.manual("posterior_derivation", 3, "Derivation of q(x_{t-1} | x_t, x_0) (written answer, graded by hand)")
