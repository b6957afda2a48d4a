"""Hidden checks of hw2_ddpm: schedules, the forward process, the posterior and its Monte-Carlo check, the reverse
step, the weight of Ho Eq. (12), sampling, L_simple and the variational bound in bits per dimension; and the
written questions (derivations and interpretations), graded by hand.

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
from .catalogs.hw2_ddpm import CATALOG
from .framework import Suite
from .public import FLOAT64_EXACT, PublicCase

# Every function over tensors that another one may call; see Suite.
SUITE = Suite("hw2_ddpm", helpers=[schedules.linear_beta_schedule, schedules.cosine_beta_schedule, ref.q_sample,
                                   ref.q_posterior_mean_variance, ref.predict_x0_from_eps, ref.ddpm_step, ref.normal_kl],
              catalog=CATALOG)
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
SUITE.public("schedules", 1, [  # float64 by contract: held to float64 precision
    PublicCase("linear_beta_schedule", "T = 5, the default endpoints", dict(T=5), tol=FLOAT64_EXACT),
    PublicCase("linear_beta_schedule", "T = 1: the single value beta_start", dict(T=1, beta_start=0.001, beta_end=0.02),
               tol=FLOAT64_EXACT),
    PublicCase("linear_beta_schedule", "T = 10, other endpoints", dict(T=10, beta_start=0.05, beta_end=0.5),
               tol=FLOAT64_EXACT),
    PublicCase("cosine_beta_schedule", "T = 10, the default offset and clip", dict(T=10), tol=FLOAT64_EXACT),
    PublicCase("cosine_beta_schedule", "T = 4, no offset, clipped at max_beta = 0.5", dict(T=4, s=0.0, max_beta=0.5),
               tol=FLOAT64_EXACT),
])


def _coarse(B: int, D: tuple, T: int, t: list, dtype=F64, seed: int = 0):
    """A coarse linear schedule (so every coefficient is far from 0 and 1), steps t and three (B, *D) draws."""
    g = rng(seed)
    beta = schedules.linear_beta_schedule(T, 0.05, 0.3)
    return (beta, schedules.alpha_bar_from_beta(beta), torch.tensor(t, dtype=torch.int64),
            *(normal(g, B, *D, dtype=dtype) for _ in range(3)))


def _public_model(D: tuple, T: int, seed: int):
    return test_model(rng(seed), int(torch.tensor(D).prod()), scale=0.5, time_scale=2.0 / T, time="index")


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
def _q_sample_case(B, D, T, t, dtype=F64, seed=0):
    _, alpha_bar, t, x0, noise, _ = _coarse(B, D, T, t, dtype, seed)
    return dict(x0=x0, t=t, noise=noise, alpha_bar=alpha_bar)


SUITE.public("q_sample", 1, [
    PublicCase("q_sample", "points, one step per sample (t = 0, 2, 5)", _q_sample_case(3, (2,), 6, [0, 2, 5])),
    PublicCase("q_sample", "images (B, C, H, W)", _q_sample_case(2, (3, 2, 2), 6, [1, 4], seed=1)),
    PublicCase("q_sample", "float32 data: a float32 x_t", _q_sample_case(3, (2,), 6, [5, 0, 3], torch.float32, seed=2)),
])


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


def _posterior_case(B, D, T, t, dtype=F64, seed=0):
    beta, _, t, x0, x_t, _ = _coarse(B, D, T, t, dtype, seed)
    return dict(x0=x0, x_t=x_t, t=t, beta=beta)


SUITE.public("q_posterior", 1, [
    PublicCase("q_posterior_mean_variance", "points at t = 0 (the point mass at x0), 2 and 5",
               _posterior_case(3, (2,), 6, [0, 2, 5]), broadcast=(1,)),
    PublicCase("q_posterior_mean_variance", "images (B, C, H, W)", _posterior_case(2, (3, 2, 2), 6, [3, 1], seed=1),
               broadcast=(1,)),
    PublicCase("q_posterior_mean_variance", "float32 data", _posterior_case(3, (2,), 6, [4, 0, 1], torch.float32, seed=2),
               broadcast=(1,)),
])


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
def _x0_case(B, D, T, t, dtype=F64, seed=0):
    _, alpha_bar, t, x_t, eps, _ = _coarse(B, D, T, t, dtype, seed)
    return dict(x_t=x_t, t=t, eps=eps, alpha_bar=alpha_bar)


SUITE.public("predict_x0", 0.5, [
    PublicCase("predict_x0_from_eps", "points at t = 0, 2, 5", _x0_case(3, (2,), 6, [0, 2, 5])),
    PublicCase("predict_x0_from_eps", "images (B, C, H, W)", _x0_case(2, (3, 2, 2), 6, [3, 5], seed=1)),
    PublicCase("predict_x0_from_eps", "float32 data", _x0_case(3, (2,), 6, [1, 4, 2], torch.float32, seed=2)),
])


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


def _step_case(B, D, T, t, variance, dtype=F64, seed=0):
    beta, _, t, x_t, eps, noise = _coarse(B, D, T, t, dtype, seed)
    return dict(x_t=x_t, t=t, eps_pred=eps, beta=beta, noise=noise, variance=variance)


SUITE.public("ddpm_step", 1, [
    PublicCase("ddpm_step", "variance = 'small', with t = 0 (no noise there)", _step_case(3, (2,), 6, [0, 2, 5], "small")),
    PublicCase("ddpm_step", "variance = 'large', with t = 0 (no noise there)", _step_case(3, (2,), 6, [4, 0, 1], "large", seed=1)),
    PublicCase("ddpm_step", "images (B, C, H, W), variance = 'small'", _step_case(2, (3, 2, 2), 6, [3, 1], "small", seed=2)),
    PublicCase("ddpm_step", "float32 data, variance = 'large'", _step_case(3, (2,), 6, [5, 2, 0], "large", torch.float32, seed=3)),
])


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
def _l_simple_case(B, D, T, t, dtype=F64, seed=0, zero=False):
    _, alpha_bar, t, x0, noise, _ = _coarse(B, D, T, t, dtype, seed)
    model = test_model(rng(0), int(torch.tensor(D).prod()), scale=0.0, time="index") if zero else _public_model(D, T, seed + 10)
    return dict(eps_model=model, x0=x0, t=t, noise=noise, alpha_bar=alpha_bar)


SUITE.public("l_simple", 1, [
    PublicCase("l_simple", "a model that predicts 0 (the loss is then mean(noise^2))", _l_simple_case(3, (2,), 6, [0, 2, 5], zero=True),
               loss="eps_model"),
    PublicCase("l_simple", "a random model", _l_simple_case(3, (2,), 6, [1, 4, 5], seed=1), loss="eps_model"),
    PublicCase("l_simple", "images (B, C, H, W)", _l_simple_case(2, (3, 2, 2), 6, [2, 0], seed=2), loss="eps_model"),
    PublicCase("l_simple", "float32 data: a float32 loss", _l_simple_case(3, (2,), 6, [3, 5, 1], torch.float32, seed=3),
               loss="eps_model"),
])


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


def _sample_case(B, D, T, variance, dtype=F64, seed=0):
    g = rng(seed)
    beta = schedules.linear_beta_schedule(T, 0.05, 0.3)
    return dict(eps_model=_public_model(D, T, seed + 20), x_T=normal(g, B, *D, dtype=dtype), beta=beta,
                noise=normal(g, T, B, *D, dtype=dtype), variance=variance)


SUITE.public("ddpm_sample", 0.5, [
    PublicCase("ddpm_sample", "4 steps, variance = 'small'", _sample_case(3, (2,), 4, "small")),
    PublicCase("ddpm_sample", "4 steps, variance = 'large'", _sample_case(3, (2,), 4, "large", seed=1)),
    PublicCase("ddpm_sample", "images (B, C, H, W), 3 steps", _sample_case(2, (1, 2, 2), 3, "small", seed=2)),
    PublicCase("ddpm_sample", "float32 data, 3 steps, variance = 'large'",
               _sample_case(3, (2,), 3, "large", torch.float32, seed=3)),
])


@SUITE.property("ddpm_sample", 2.5, function="ddpm_sample", max_examples=12,
                c=sample_cases(), variance=choice("small", "large"))
def ddpm_sample_matches(student, c, variance):
    """ddpm_sample runs the reverse steps from t = T-1 down to 0 with the model and the given noise
    (Ho et al. Algorithm 2)"""
    _sample(student, c, variance)


# -- normal_kl (2) ------------------------------------------------------------------------------------
def _kl_case(shape1, shape2, dtype=F64, seed=0):
    g = rng(seed)
    return dict(mean1=normal(g, *shape1, dtype=dtype), logvar1=normal(g, *shape1, dtype=dtype),
                mean2=normal(g, *shape2, dtype=dtype), logvar2=normal(g, *shape2, dtype=dtype))


SUITE.public("normal_kl", 0.5, [
    PublicCase("normal_kl", "elementwise, equal shapes", _kl_case((3, 2), (3, 2))),
    PublicCase("normal_kl", "broadcasting: (2, 3) against (2, 1)", _kl_case((2, 3), (2, 1), seed=1)),
    PublicCase("normal_kl", "float32", _kl_case((3, 2), (3, 2), torch.float32, seed=2)),
])


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


def _vlb_case(B, D, T, dtype=F64, seed=0):
    g = rng(seed)
    beta = schedules.linear_beta_schedule(T, 0.1, 0.2)
    x0 = torch.from_numpy(g.integers(0, 256, size=(B, *D)) / 127.5 - 1.0).to(dtype)  # the 256-level grid
    model = test_model(g, int(torch.tensor(D).prod()), scale=0.3, time_scale=2.0 / T, time="index")
    return dict(eps_model=model, x0=x0, beta=beta, noise=normal(g, T, B, *D, dtype=dtype))


SUITE.public("vlb_bpd", 1, [
    PublicCase("vlb_bits_per_dim", "an imperfect model, 4 steps (every L_t counts)", _vlb_case(3, (2,), 4)),
    PublicCase("vlb_bits_per_dim", "images (B, C, H, W), 3 steps", _vlb_case(2, (1, 2, 2), 3, seed=1)),
    PublicCase("vlb_bits_per_dim", "float32 data", _vlb_case(3, (2,), 4, torch.float32, seed=2)),
])


@SUITE.property("vlb_bpd", 3, function="vlb_bits_per_dim", max_examples=10, b=bounds)
def vlb_matches(student, b):
    """vlb_bits_per_dim sums L_T, every L_t and the discretized decoder term, in bits per dimension"""
    _vlb(student, b)




# -- posterior_mc (2) ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Chains:
    """N forward chains of one data point of shape D, run to step t of a T-step schedule ("first": t = 0,
    "last": t = T - 1, else random), in dtype. The linear schedule runs from 0.01 to 0.3, so that every step
    moves the chains."""

    N: int
    D: tuple
    T: int
    schedule: str
    t_at: str
    dtype: str
    seed: int

    def tensors(self):
        """beta (T,), t (a Python int), x0 (*D) and noise (t + 1, N, *D) in dtype."""
        g = rng(self.seed)
        beta = (schedules.linear_beta_schedule(self.T, 0.01, 0.3) if self.schedule == "linear"
                else schedules.cosine_beta_schedule(self.T))
        t = {"first": 0, "last": self.T - 1}.get(self.t_at, int(g.integers(0, self.T)))
        x0 = normal(g, *self.D, dtype=DTYPES[self.dtype])
        return beta, t, x0, normal(g, t + 1, self.N, *self.D, dtype=DTYPES[self.dtype])


_CHAINS = Chains(N=8, D=(2,), T=10, schedule="linear", t_at="random", dtype="float64", seed=0)
chains = edged(st.builds(Chains, N=st.integers(2, 40), D=st.sampled_from([(2,), (1,), (3,), (2, 3, 3)]),
                         T=st.integers(1, 40), schedule=st.sampled_from(["linear", "cosine"]),
                         t_at=st.sampled_from(["random", "first", "last"]),
                         dtype=st.sampled_from(["float64", "float32"]), seed=st.integers(0, 2**16)),
               _CHAINS, replace(_CHAINS, t_at="first"), replace(_CHAINS, t_at="last"), replace(_CHAINS, N=2),
               replace(_CHAINS, D=(1,)), replace(_CHAINS, D=(2, 3, 3)), replace(_CHAINS, dtype="float32"),
               replace(_CHAINS, T=1), replace(_CHAINS, T=40, N=40), replace(_CHAINS, schedule="cosine"))
_MOMENTS = ("slope", "intercept", "residual variance")


def _moment_scales(x0, t, beta, noise):
    """The size of the numbers each estimate is computed from, per coordinate (float64): the round-off of any
    correct least-squares algorithm is a small multiple of float precision times these. With r = rms of x_{t-1},
    s = standard deviation and m = rms of x_t over the chains: slope r / s; intercept r (1 + m / s); residual
    variance r^2 (1 + m / s)."""
    x = x0.to(F64).expand(noise.shape[1:])
    x_prev = x
    for step in range(t + 1):
        x_prev, x = x, (1 - beta[step]).sqrt() * x + beta[step].sqrt() * noise[step].to(F64)
    r, s, m = x_prev.pow(2).mean(0).sqrt(), x.std(0, unbiased=False), x.pow(2).mean(0).sqrt()
    return r / s, r * (1 + m / s), r**2 * (1 + m / s)


def _moments(student, c: Chains):
    beta, t, x0, noise = c.tensors()
    got = student("posterior_moments_mc", x0=x0, t=t, beta=beta, noise=noise)
    if not isinstance(got, tuple) or len(got) != 3:
        raise CheckFailed("posterior_moments_mc should return three tensors (slope, intercept, resid_var)")
    want = expected(ref.posterior_moments_mc, x0, t, beta, noise)
    for name, g, w, size in zip(_MOMENTS, got, want, _moment_scales(x0, t, beta, noise)):
        # Least squares over N <= 40 chains: float32 round-off (6e-8) times the size of the inputs, amplified by
        # a few for the sums; 1e-5 leaves room for any algorithm (centred sums, QR as in torch.linalg.lstsq).
        assert_close(g, w, f"posterior_moments_mc: {name} at t={t} (N={c.N})", dtype=x0.dtype,
                     tol=Tol(rtol=1e-5, atol=1e-10), scale=size)


def _chains_case(c: "Chains"):
    beta, t, x0, noise = c.tensors()
    return dict(x0=x0, t=t, beta=beta, noise=noise)


SUITE.public("posterior_mc", 0.5, [
    PublicCase("posterior_moments_mc", "eight chains in two dimensions, to step t = 3",
               _chains_case(replace(_CHAINS, t_at="last", T=4, seed=1))),
    PublicCase("posterior_moments_mc", "t = 0: x_{t-1} is x0 itself", _chains_case(replace(_CHAINS, t_at="first", seed=2))),
    PublicCase("posterior_moments_mc", "an image-shaped data point", _chains_case(replace(_CHAINS, D=(1, 2, 2), T=3, t_at="last", seed=3))),
    PublicCase("posterior_moments_mc", "float32 data", _chains_case(replace(_CHAINS, T=3, t_at="last", dtype="float32", seed=4))),
])


@SUITE.property("posterior_mc", 1.5, function="posterior_moments_mc", max_examples=15, c=chains)
def posterior_mc_matches(student, c):
    """posterior_moments_mc runs the forward chains step by step (Ho et al. Eq. (2)) and fits x_{t-1} on x_t by least
    squares per coordinate, residual variance divided by N; at t = 0, x_{t-1} is x0"""
    _moments(student, c)


# -- loss_weight (2) ----------------------------------------------------------------------------------
def _weight(student, beta, t, variance):
    got = student("eps_loss_weight", beta=beta, t=t, variance=variance)
    assert_close(got, ref.eps_loss_weight(beta, t, variance), f"eps_loss_weight(variance={variance!r}) at t={t.tolist()}",
                 dtype=F64, tol=FLOAT64, hint="a schedule quantity: compute it in float64 from the float64 beta")


SUITE.public("loss_weight", 0.5, [
    PublicCase("eps_loss_weight", "beta = [0.1, 0.2, 0.5] at t = [2, 1], variance = 'small'",
               dict(beta=torch.tensor([0.1, 0.2, 0.5], dtype=F64), t=torch.tensor([2, 1]), variance="small"), tol=FLOAT64_EXACT),
    PublicCase("eps_loss_weight", "the same, variance = 'large'",
               dict(beta=torch.tensor([0.1, 0.2, 0.5], dtype=F64), t=torch.tensor([2, 1]), variance="large"), tol=FLOAT64_EXACT),
    PublicCase("eps_loss_weight", "a 1000-step linear schedule at t = 1, 500, 999",
               dict(beta=schedules.linear_beta_schedule(1000), t=torch.tensor([1, 500, 999]), variance="small"),
               tol=FLOAT64_EXACT),
])


@dataclass(frozen=True)
class Indices:
    """B step indices in [1, T) of a T-step schedule ("first": t[0] = 1, "last": t[0] = T - 1, else random); index 0
    is outside eps_loss_weight's contract. No data: the weight is a schedule quantity (float64, shape (B,))."""

    B: int
    T: int
    schedule: str
    t_at: str
    seed: int

    def tensors(self):
        g = rng(self.seed)
        beta = (schedules.linear_beta_schedule(self.T) if self.schedule == "linear"
                else schedules.cosine_beta_schedule(self.T))
        t = torch.from_numpy(g.integers(1, self.T, size=self.B)).to(torch.int64)
        if self.t_at in ("first", "last"):
            t[0] = 1 if self.t_at == "first" else self.T - 1
        return beta, t


_INDICES = Indices(B=3, T=10, schedule="linear", t_at="random", seed=0)
indices = edged(st.builds(Indices, B=st.integers(1, 4), T=st.integers(2, 1000), schedule=st.sampled_from(["linear", "cosine"]),
                          t_at=st.sampled_from(["random", "first", "last"]), seed=st.integers(0, 2**16)),
                _INDICES, replace(_INDICES, t_at="first"), replace(_INDICES, t_at="last"), replace(_INDICES, B=1),
                replace(_INDICES, T=2), replace(_INDICES, T=1000, t_at="first"), replace(_INDICES, schedule="cosine"),
                replace(_INDICES, T=1000, schedule="cosine", t_at="first"))


@SUITE.property("loss_weight", 1.5, function="eps_loss_weight", c=indices, variance=choice("small", "large"))
def loss_weight_matches(student, c, variance):
    """eps_loss_weight is the weight lambda_t of Ho et al. Eq. (12) for sigma_t^2 = the posterior variance ('small')
    or beta_t ('large'), at indices t >= 1"""
    _weight(student, *c.tensors(), variance)


# -- written questions (graded by hand; the rubrics are in the master notebook) -------------------------
SUITE.manual("posterior_derivation", 4, "Derivation of q(x_{t-1} | x_t, x_0), Ho et al. Eq. (6)-(7)")
SUITE.manual("eps_mean_derivation", 2, "Derivation of the noise-prediction mean, Ho et al. Eq. (11)")
SUITE.manual("bound_derivation", 2, "Derivation of the variational bound and its KL decomposition, Ho et al. Eq. (3)-(5)")
SUITE.manual("loss_weight_derivation", 3, "From the KL term to the weighted noise loss, Ho et al. Eq. (8)-(12), and L_simple")
SUITE.manual("reverse_trajectory", 1, "Interpretation: the reverse trajectory")
SUITE.manual("small_vs_large", 1, "Interpretation: the two reverse variances")
SUITE.manual("linear_vs_cosine", 1, "Interpretation: linear against cosine schedule")
SUITE.manual("number_of_steps", 1, "Interpretation: the number of steps")
SUITE.manual("bits_per_dim", 1, "Interpretation: why the bound exceeds 8 bits/dim")
SUITE.manual("bound_terms", 1, "Interpretation: the terms of the bound")
SUITE.manual("ddpm_vs_langevin", 1, "Interpretation: DDPM against annealed Langevin dynamics")


SUITE.arrange([
    "schedules", "q_sample", "posterior_derivation", "q_posterior", "posterior_mc", "predict_x0",
    "eps_mean_derivation", "ddpm_step", "bound_derivation", "normal_kl", "loss_weight_derivation",
    "loss_weight", "l_simple", "ddpm_sample", "reverse_trajectory", "small_vs_large", "vlb_bpd",
    "linear_vs_cosine", "number_of_steps", "bits_per_dim", "bound_terms", "ddpm_vs_langevin"])
