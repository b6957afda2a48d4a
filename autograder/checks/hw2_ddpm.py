"""Hidden checks of hw2_ddpm: schedules, the forward process, the posterior, the reverse step, sampling,
L_simple and the variational bound in bits per dimension.

Reads side by side with `solutions/hw2_ddpm/hw2_ddpm.ipynb`, `course_core/schedules.py` and `course_core/ddpm.py`.
Composite functions are checked with the student's helpers replaced by grader stand-ins (`helpers=`), so a
bug costs points only on the question where it was made.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from hypothesis import strategies as st

from course_core import ddpm as ref
from course_core import schedules

from ..framework import CheckFailed, Suite, ToyField, assert_close, assert_scalar
from ._cases import normal, rng

SUITE = Suite("hw2_ddpm")
F64 = torch.float64

Q_SAMPLE = {"q_sample": (["x0", "t", "noise", "alpha_bar"], ref.q_sample)}
POSTERIOR = {"q_posterior_mean_variance": (["x0", "x_t", "t", "beta"], ref.q_posterior_mean_variance)}
PREDICT_X0 = {"predict_x0_from_eps": (["x_t", "t", "eps", "alpha_bar"], ref.predict_x0_from_eps)}
STEP = {"ddpm_step": (["x_t", "t", "eps_pred", "beta", "noise", "variance"], ref.ddpm_step)}
KL = {"normal_kl": (["mean1", "logvar1", "mean2", "logvar2"], ref.normal_kl)}


@dataclass(frozen=True)
class Case:
    """A batch of B samples of shape D at random steps t of a T-step schedule (`t0`: force t[0] = 0)."""

    B: int
    D: tuple
    T: int
    schedule: str
    t0: bool
    seed: int

    def beta(self) -> torch.Tensor:
        if self.schedule == "linear":
            return schedules.linear_beta_schedule(self.T)
        return schedules.cosine_beta_schedule(self.T)

    def tensors(self):
        """beta, alpha_bar, t, and three (B, *D) standard normal tensors."""
        g = rng(self.seed)
        beta = self.beta()
        t = torch.from_numpy(g.integers(0, self.T, size=self.B)).to(torch.int64)
        if self.t0:
            t[0] = 0
        return (beta, schedules.alpha_bar_from_beta(beta), t,
                normal(g, self.B, *self.D), normal(g, self.B, *self.D), normal(g, self.B, *self.D))


def cases(T=st.integers(1, 1000), schedule=st.sampled_from(["linear", "cosine"]),
          D=st.sampled_from([(2,), (1,), (3,), (2, 2, 2)])):
    return st.builds(Case, B=st.integers(1, 4), D=D, T=T, schedule=schedule, t0=st.booleans(), seed=st.integers(0, 2**16))


def toy_cases(T=st.integers(1, 12)):
    """Cases for functions that take a model: points (B, d) and a short schedule."""
    return cases(T=T, D=st.sampled_from([(2,), (1,), (3,)]))


# -- schedules (4) -----------------------------------------------------------------------------------
@SUITE.check("schedules", 1, function="linear_beta_schedule", hidden=False)
def schedules_shape_dtype(student):
    """both schedules return float64 tensors of shape (T,) and match the papers for T = 10"""
    for name, fn in [("linear_beta_schedule", schedules.linear_beta_schedule),
                     ("cosine_beta_schedule", schedules.cosine_beta_schedule)]:
        got = student(name, T=10)
        if not isinstance(got, torch.Tensor) or got.dtype != F64:
            raise CheckFailed(f"{name}(10) should be a float64 tensor, got {getattr(got, 'dtype', type(got).__name__)}")
        assert_close(got, fn(10), f"{name}(10)")


@SUITE.property("schedules", 1, function="linear_beta_schedule", T=st.integers(1, 1000),
                beta_start=st.floats(1e-5, 1e-3), beta_end=st.floats(0.005, 0.05))
def linear_schedule_matches(student, T, beta_start, beta_end):
    """linear_beta_schedule is linspace(beta_start, beta_end, T) (Ho et al. 2020, section 4)"""
    got = student("linear_beta_schedule", T=T, beta_start=beta_start, beta_end=beta_end)
    assert_close(got, schedules.linear_beta_schedule(T, beta_start, beta_end), "linear_beta_schedule")


@SUITE.property("schedules", 2, function="cosine_beta_schedule", T=st.integers(1, 1000), s=st.floats(0.0, 0.02),
                max_beta=st.sampled_from([0.999, 0.9, 0.5]))
def cosine_schedule_matches(student, T, s, max_beta):
    """cosine_beta_schedule follows Nichol & Dhariwal 2021, Eq. (17), clipped at max_beta"""
    got = student("cosine_beta_schedule", T=T, s=s, max_beta=max_beta)
    assert_close(got, schedules.cosine_beta_schedule(T, s, max_beta), "cosine_beta_schedule")


# -- q_sample (3) --------------------------------------------------------------------------------------
@SUITE.check("q_sample", 1, function="q_sample", hidden=False)
def q_sample_fixed(student):
    """q_sample with alpha_bar = [0.64, 0.36] mixes x0 and noise with sqrt(alpha_bar_t), sqrt(1 - alpha_bar_t)"""
    got = student("q_sample", x0=torch.ones(2, 2, dtype=F64), t=torch.tensor([0, 1]),
                  noise=torch.tensor([[-1.0, -1.0], [2.0, 2.0]], dtype=F64), alpha_bar=torch.tensor([0.64, 0.36], dtype=F64))
    assert_close(got, torch.tensor([[0.2, 0.2], [2.2, 2.2]], dtype=F64), "q_sample")


@SUITE.property("q_sample", 2, function="q_sample", c=cases())
def q_sample_matches(student, c):
    """q_sample equals sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) noise (Ho et al. Eq. (4)) for any data shape"""
    _, alpha_bar, t, x0, noise, _ = c.tensors()
    got = student("q_sample", x0=x0, t=t, noise=noise, alpha_bar=alpha_bar)
    assert_close(got, ref.q_sample(x0, t, noise, alpha_bar), "q_sample")


# -- q_posterior (5) -----------------------------------------------------------------------------------
def _posterior(student, c):
    beta, _, t, x0, x_t, _ = c.tensors()
    out = student("q_posterior_mean_variance", x0=x0, x_t=x_t, t=t, beta=beta)
    if not isinstance(out, tuple) or len(out) != 2:
        raise CheckFailed("q_posterior_mean_variance should return a pair (mean, var)")
    return out, ref.q_posterior_mean_variance(x0, x_t, t, beta), x0.shape


@SUITE.check("q_posterior", 1, function="q_posterior_mean_variance", hidden=False)
def posterior_shapes(student):
    """q_posterior_mean_variance returns (mean, var): mean (B, *D), var broadcastable to it"""
    c = Case(B=3, D=(2,), T=10, schedule="linear", t0=True, seed=0)
    (mean, var), (want_mean, want_var), shape = _posterior(student, c)
    assert_close(mean, want_mean, "posterior mean")
    assert_close(var, want_var, "posterior variance", broadcast_to=shape)


@SUITE.property("q_posterior", 2, function="q_posterior_mean_variance", c=cases(T=st.integers(2, 1000)))
def posterior_mean_matches(student, c):
    """the posterior mean matches Ho et al. Eq. (7), including index t = 0 where it equals x0"""
    (mean, _), (want, _), _ = _posterior(student, c)
    assert_close(mean, want, "posterior mean")


@SUITE.property("q_posterior", 2, function="q_posterior_mean_variance", c=cases(T=st.integers(2, 1000)))
def posterior_variance_matches(student, c):
    """the posterior variance is (1 - alpha_bar_prev) / (1 - alpha_bar_t) beta_t, and 0 at t = 0"""
    (_, var), (_, want), shape = _posterior(student, c)
    assert_close(var, want, "posterior variance", broadcast_to=shape)


# -- predict_x0 (2) -----------------------------------------------------------------------------------
@SUITE.check("predict_x0", 0.5, function="predict_x0_from_eps", hidden=False)
def predict_x0_fixed(student):
    """predict_x0_from_eps inverts q_sample: alpha_bar = 0.64, x_t = 1.4, eps = 1 gives x0 = 1"""
    got = student("predict_x0_from_eps", x_t=torch.full((1, 2), 1.4, dtype=F64), t=torch.tensor([0]),
                  eps=torch.ones(1, 2, dtype=F64), alpha_bar=torch.tensor([0.64], dtype=F64))
    assert_close(got, torch.ones(1, 2, dtype=F64), "predict_x0_from_eps")


@SUITE.property("predict_x0", 1.5, function="predict_x0_from_eps", c=cases(schedule=st.just("linear")))
def predict_x0_matches(student, c):
    """predict_x0_from_eps equals (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t)"""
    _, alpha_bar, t, x_t, eps, _ = c.tensors()
    got = student("predict_x0_from_eps", x_t=x_t, t=t, eps=eps, alpha_bar=alpha_bar)
    assert_close(got, ref.predict_x0_from_eps(x_t, t, eps, alpha_bar), "predict_x0_from_eps", rtol=1e-3)


# -- ddpm_step (5) ------------------------------------------------------------------------------------
def _step(student, c, variance, zero_t=False):
    beta, _, t, x_t, eps, noise = c.tensors()
    if zero_t:
        t = torch.zeros_like(t)
    got = student("ddpm_step", x_t=x_t, t=t, eps_pred=eps, beta=beta, noise=noise, variance=variance)
    assert_close(got, ref.ddpm_step(x_t, t, eps, beta, noise, variance), f"ddpm_step(variance={variance!r})", rtol=1e-3)


@SUITE.check("ddpm_step", 1, function="ddpm_step", hidden=False, helpers={**PREDICT_X0, **POSTERIOR})
def ddpm_step_small_fixed(student):
    """ddpm_step returns x_{t-1} of shape (B, *D) (a small fixed case, variance='small')"""
    _step(student, Case(B=2, D=(2,), T=10, schedule="linear", t0=False, seed=1), "small")


@SUITE.property("ddpm_step", 2, function="ddpm_step", helpers={**PREDICT_X0, **POSTERIOR}, c=cases(schedule=st.just("linear")))
def ddpm_step_small(student, c):
    """ddpm_step with variance='small' follows Ho et al. Algorithm 2 with the posterior variance"""
    _step(student, c, "small")


@SUITE.property("ddpm_step", 1, function="ddpm_step", helpers={**PREDICT_X0, **POSTERIOR}, c=cases(schedule=st.just("linear")))
def ddpm_step_large(student, c):
    """ddpm_step with variance='large' uses sigma_t^2 = beta_t"""
    _step(student, c, "large")


@SUITE.property("ddpm_step", 1, function="ddpm_step", helpers={**PREDICT_X0, **POSTERIOR}, c=cases(schedule=st.just("linear")),
                variance=st.sampled_from(["small", "large"]))
def ddpm_step_no_noise_at_zero(student, c, variance):
    """ddpm_step adds no noise where t == 0 (the last step returns the mean)"""
    _step(student, c, variance, zero_t=True)


# -- l_simple (3) -------------------------------------------------------------------------------------
@SUITE.check("l_simple", 1, function="l_simple", hidden=False, helpers=Q_SAMPLE)
def l_simple_zero_model(student):
    """l_simple is a scalar; with a model that predicts 0 it is mean(noise^2) = 2.5 here"""
    zero = ToyField(*(torch.zeros(s, dtype=F64) for s in [(2, 2), (2,), (2,), (2, 2)]))
    got = student("l_simple", eps_model=zero, x0=torch.ones(2, 2, dtype=F64), t=torch.tensor([0, 1]),
                  noise=torch.tensor([[1.0, -1.0], [2.0, 2.0]], dtype=F64), alpha_bar=torch.tensor([0.9, 0.5], dtype=F64))
    assert_scalar(got, 2.5, "l_simple")


@SUITE.property("l_simple", 2, function="l_simple", helpers=Q_SAMPLE, c=toy_cases(T=st.integers(1, 1000)))
def l_simple_matches(student, c):
    """l_simple is the mean squared error between noise and eps_model(x_t, t) (Ho et al. Eq. (14))"""
    _, alpha_bar, t, x0, noise, _ = c.tensors()
    model = ToyField.random(c.D[0], rng(c.seed + 1))
    got = student("l_simple", eps_model=model, x0=x0, t=t, noise=noise, alpha_bar=alpha_bar)
    assert_scalar(got, ref.l_simple(model, x0, t, noise, alpha_bar), "l_simple")


# -- ddpm_sample (3) ----------------------------------------------------------------------------------
def _sample(student, c, variance):
    beta = c.beta()
    g = rng(c.seed)
    model = ToyField.random(c.D[0], g, scale=0.3)
    x_T, noise = normal(g, c.B, *c.D), normal(g, c.T, c.B, *c.D)
    got = student("ddpm_sample", eps_model=model, x_T=x_T, beta=beta, noise=noise, variance=variance)
    assert_close(got, ref.ddpm_sample(model, x_T, beta, noise, variance), f"ddpm_sample(variance={variance!r})", rtol=1e-3)


@SUITE.check("ddpm_sample", 0.5, function="ddpm_sample", hidden=False, helpers=STEP)
def ddpm_sample_fixed(student):
    """ddpm_sample returns x_0 of shape (B, d) (a fixed 5-step case)"""
    _sample(student, Case(B=3, D=(2,), T=5, schedule="linear", t0=False, seed=3), "small")


@SUITE.property("ddpm_sample", 2.5, function="ddpm_sample", helpers=STEP, max_examples=12, c=toy_cases(),
                variance=st.sampled_from(["small", "large"]))
def ddpm_sample_matches(student, c, variance):
    """ddpm_sample runs ddpm_step from t = T-1 down to 0 with eps_model(x, t) and noise[t] (Ho et al. Algorithm 2)"""
    _sample(student, c, variance)


# -- normal_kl (2) ------------------------------------------------------------------------------------
@SUITE.check("normal_kl", 0.5, function="normal_kl", hidden=False)
def normal_kl_fixed(student):
    """normal_kl is 0 between equal Gaussians and 0.5 between N(1, 1) and N(0, 1)"""
    z = torch.zeros(1, 2, dtype=F64)
    got = student("normal_kl", mean1=torch.tensor([[0.0, 1.0]], dtype=F64), logvar1=z, mean2=z, logvar2=z)
    assert_close(got, torch.tensor([[0.0, 0.5]], dtype=F64), "normal_kl")


@SUITE.property("normal_kl", 1.5, function="normal_kl", c=cases(T=st.just(1)), broadcast=st.booleans())
def normal_kl_matches(student, c, broadcast):
    """normal_kl matches the closed form KL between diagonal Gaussians, with broadcasting"""
    g = rng(c.seed)
    m1, m2 = normal(g, c.B, *c.D), normal(g, c.B, *c.D)
    lv1, lv2 = normal(g, c.B, *c.D), normal(g, c.B, *c.D)
    if broadcast:
        lv2 = normal(g, c.B, *([1] * len(c.D)))
    got = student("normal_kl", mean1=m1, logvar1=lv1, mean2=m2, logvar2=lv2)
    assert_close(got, ref.normal_kl(m1, lv1, m2, lv2), "normal_kl")


# -- vlb_bpd (4) --------------------------------------------------------------------------------------
def _vlb(student, c, beta_end):
    g = rng(c.seed)
    beta = schedules.linear_beta_schedule(c.T, 1e-3, beta_end)
    model = ToyField.random(c.D[0], g, scale=0.3)
    x0 = torch.from_numpy(g.integers(0, 256, size=(c.B, *c.D)) / 127.5 - 1.0)  # on the 256-level grid
    noise = normal(g, c.T, c.B, *c.D)
    got = student("vlb_bits_per_dim", eps_model=model, x0=x0, beta=beta, noise=noise)
    want = ref.vlb_bits_per_dim(model, x0, beta, noise)
    # Students take the decoder from toy.discretized_gaussian_log_likelihood, so the only slack needed is
    # float32 arithmetic summed over up to 10 terms.
    assert_close(got, want, "vlb_bits_per_dim", rtol=1e-3, atol=1e-4)


@SUITE.check("vlb_bpd", 1, function="vlb_bits_per_dim", hidden=False, helpers={**Q_SAMPLE, **POSTERIOR, **PREDICT_X0, **KL})
def vlb_fixed(student):
    """vlb_bits_per_dim returns one positive number per sample, shape (B,) (a fixed 4-step case)"""
    _vlb(student, Case(B=3, D=(2,), T=4, schedule="linear", t0=False, seed=5), 0.3)


@SUITE.property("vlb_bpd", 3, function="vlb_bits_per_dim", helpers={**Q_SAMPLE, **POSTERIOR, **PREDICT_X0, **KL},
                max_examples=10, c=toy_cases(T=st.integers(2, 10)), beta_end=st.floats(0.05, 0.6))
def vlb_matches(student, c, beta_end):
    """vlb_bits_per_dim sums L_T, every L_t and the discretized decoder term, in bits per dimension"""
    _vlb(student, c, beta_end)


SUITE.manual("posterior_derivation", 3, "Derivation of q(x_{t-1} | x_t, x_0) (written answer, graded by hand)")

__all__ = ["SUITE"]
