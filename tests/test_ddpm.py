"""DDPM: diffusers agreement, Gaussian oracles for the posterior and the bound, and properties."""
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from course_core.ddpm import (
    ddpm_sample,
    ddpm_step,
    discretized_gaussian_log_likelihood,
    l_simple,
    normal_kl,
    p_sample_loop,
    predict_x0_from_eps,
    q_posterior_mean_variance,
    q_sample,
    vlb_bits_per_dim,
)
from course_core.schedules import alpha_bar_from_beta, cosine_beta_schedule, linear_beta_schedule

diffusers = pytest.importorskip("diffusers")

T = 1000
BETA = linear_beta_schedule(T)
ALPHA_BAR = alpha_bar_from_beta(BETA)
GRID = torch.linspace(-1, 1, 256, dtype=torch.float64)


def _randn(*shape, seed=0, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _grid_points(*shape, seed=0):
    """Random points of the 256-level grid of [-1, 1]."""
    k = torch.randint(0, 256, shape, generator=torch.Generator().manual_seed(seed))
    return GRID[k]


def _float64_scheduler(beta, variance_type):
    """A diffusers scheduler whose schedule tensors are replaced by our float64 ones (for tight comparisons)."""
    sched = diffusers.DDPMScheduler(num_train_timesteps=beta.shape[0], clip_sample=False, variance_type=variance_type)
    sched.betas = beta.clone()
    sched.alphas = 1 - beta
    sched.alphas_cumprod = alpha_bar_from_beta(beta)
    sched.one = torch.tensor(1.0, dtype=torch.float64)
    return sched


# ----------------------------------------------------------------------------- properties

shapes = st.sampled_from([(3, 2), (2, 1, 4, 4), (5, 3), (1, 2, 3)])
dtypes = st.sampled_from([torch.float32, torch.float64])


@given(shape=shapes, dtype=dtypes, seed=st.integers(0, 10**6))
def test_q_sample_and_predict_x0_round_trip(shape, dtype, seed):
    x0, noise = _randn(*shape, seed=seed, dtype=dtype), _randn(*shape, seed=seed + 1, dtype=dtype)
    t = torch.randint(0, T, (shape[0],), generator=torch.Generator().manual_seed(seed))
    x_t = q_sample(x0, t, noise, ALPHA_BAR)
    assert x_t.shape == x0.shape and x_t.dtype == dtype
    x0_back = predict_x0_from_eps(x_t, t, noise, ALPHA_BAR)
    tol = 1e-10 if dtype == torch.float64 else 2e-3  # float32: 1/sqrt(alpha_bar) <= 160 amplifies round-off
    torch.testing.assert_close(x0_back, x0, rtol=tol, atol=tol)


@given(t=st.integers(1, T - 1), seed=st.integers(0, 10**6))
def test_posterior_is_product_of_gaussians(t, seed):
    """q(x_{t-1}|x_t,x0) ∝ N(x_t; sqrt(alpha_t) x_{t-1}, beta_t) N(x_{t-1}; sqrt(ab_prev) x0, 1 - ab_prev)."""
    x0, x_t = _randn(4, 3, seed=seed), _randn(4, 3, seed=seed + 1)
    tt = torch.full((4,), t)
    mean, var = q_posterior_mean_variance(x0, x_t, tt, BETA)
    beta, ab_prev = BETA[t], ALPHA_BAR[t - 1]
    prec = (1 - beta) / beta + 1 / (1 - ab_prev)
    expected_mean = (torch.sqrt(1 - beta) * x_t / beta + torch.sqrt(ab_prev) * x0 / (1 - ab_prev)) / prec
    torch.testing.assert_close(mean, expected_mean, rtol=1e-9, atol=1e-9)
    expected_var = torch.full((4,), 1 / prec.item(), dtype=torch.float64)
    torch.testing.assert_close(var.reshape(-1), expected_var, rtol=1e-9, atol=0)
    assert var.shape == (4, 1)


def test_posterior_at_index_zero_is_x0_with_zero_variance():
    x0, x_t = _randn(3, 2, seed=1), _randn(3, 2, seed=2)
    mean, var = q_posterior_mean_variance(x0, x_t, torch.zeros(3, dtype=torch.int64), BETA)
    torch.testing.assert_close(mean, x0, rtol=1e-12, atol=1e-12)
    assert torch.all(var == 0)


@given(mean1=st.floats(-3, 3), lv1=st.floats(-4, 2), mean2=st.floats(-3, 3), lv2=st.floats(-4, 2))
def test_normal_kl_matches_torch_distributions(mean1, lv1, mean2, lv2):
    p = torch.distributions.Normal(torch.tensor(mean1, dtype=torch.float64), math.exp(lv1 / 2))
    q = torch.distributions.Normal(torch.tensor(mean2, dtype=torch.float64), math.exp(lv2 / 2))
    kl = normal_kl(torch.tensor(mean1, dtype=torch.float64), lv1, torch.tensor(mean2, dtype=torch.float64), lv2)
    torch.testing.assert_close(kl, torch.distributions.kl_divergence(p, q), rtol=1e-9, atol=1e-12)
    assert kl >= 0


def test_normal_kl_broadcasts_and_vanishes_on_equal_arguments():
    m = _randn(4, 3)
    lv = torch.zeros(4, 1, dtype=torch.float64)
    kl = normal_kl(m, lv, m, lv)
    assert kl.shape == (4, 3) and torch.all(kl.abs() < 1e-15)


@given(mean=st.floats(-1.2, 1.2), log_scale=st.floats(-6.0, 1.0))
def test_discretized_likelihood_sums_to_one_over_the_grid(mean, log_scale):
    logp = discretized_gaussian_log_likelihood(GRID, torch.tensor(mean, dtype=torch.float64),
                                               torch.tensor(log_scale, dtype=torch.float64))
    # each interior bin prob is clamped at 1e-12, so the total may exceed 1 by at most 256e-12
    assert abs(torch.exp(logp).sum().item() - 1) < 1e-9


def test_discretized_likelihood_interior_and_edge_bins():
    from scipy.stats import norm

    mean, scale = 0.1, 0.3
    x = torch.tensor([-1.0, GRID[100].item(), 1.0], dtype=torch.float64)
    logp = discretized_gaussian_log_likelihood(x, torch.tensor(mean, dtype=torch.float64),
                                               torch.tensor(math.log(scale), dtype=torch.float64))
    expected = [
        norm.logcdf(-1 + 1 / 255, mean, scale),
        math.log(norm.cdf(x[1] + 1 / 255, mean, scale) - norm.cdf(x[1] - 1 / 255, mean, scale)),
        norm.logsf(1 - 1 / 255, mean, scale),
    ]
    torch.testing.assert_close(logp, torch.tensor(expected, dtype=torch.float64), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- diffusers agreement

TIMES = [0, 1, 2, 10, 500, 998, 999]


@pytest.mark.parametrize("t", TIMES)
def test_posterior_matches_diffusers(t):
    """diffusers with prediction_type="sample" returns the posterior mean at model_output plus sqrt(var) * noise."""
    sched = _float64_scheduler(BETA, "fixed_small")
    sched.register_to_config(prediction_type="sample")
    x0, x_t = _randn(4, 3, seed=1), _randn(4, 3, seed=2)
    out = sched.step(x0, t, x_t, generator=torch.Generator().manual_seed(7)).prev_sample
    z = torch.randn(4, 3, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    mean, var = q_posterior_mean_variance(x0, x_t, torch.full((4,), t), BETA)
    d_var = sched._get_variance(t) if t > 0 else torch.tensor(0.0, dtype=torch.float64)  # diffusers clamps at 1e-20
    torch.testing.assert_close(var.reshape(-1), d_var.expand(4), rtol=1e-12, atol=0)
    expected = mean + (torch.sqrt(var) * z if t > 0 else 0)
    torch.testing.assert_close(expected, out, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("variance,variance_type", [("small", "fixed_small"), ("large", "fixed_large")])
@pytest.mark.parametrize("t", TIMES)
@pytest.mark.parametrize("schedule", ["linear", "squaredcos_cap_v2"])
def test_ddpm_step_matches_diffusers_float32(variance, variance_type, t, schedule):
    """Stock float32 diffusers scheduler vs our float64 schedule cast to float32 data.

    Tolerance 1e-3: at t = 999 the x0 prediction divides by sqrt(alpha_bar) ~ 6e-3 (linear) or 5e-5 (cosine),
    so float32 differences between the two schedules (rel ~1e-5 in alpha_bar) are amplified.
    """
    sched = diffusers.DDPMScheduler(num_train_timesteps=T, beta_schedule=schedule, clip_sample=False,
                                    variance_type=variance_type)
    beta = linear_beta_schedule(T) if schedule == "linear" else cosine_beta_schedule(T)
    x_t, eps = _randn(4, 3, 2, seed=3, dtype=torch.float32), _randn(4, 3, 2, seed=4, dtype=torch.float32)
    ref = sched.step(eps, t, x_t, generator=torch.Generator().manual_seed(11)).prev_sample
    noise = torch.randn(4, 3, 2, generator=torch.Generator().manual_seed(11), dtype=torch.float32)
    ours = ddpm_step(x_t, torch.full((4,), t), eps, beta, noise, variance)
    assert ours.dtype == torch.float32
    tol = 1e-3 if (schedule == "squaredcos_cap_v2" and t >= 998) else 1e-4
    torch.testing.assert_close(ours, ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("variance,variance_type", [("small", "fixed_small"), ("large", "fixed_large")])
@pytest.mark.parametrize("t", TIMES)
def test_ddpm_step_matches_diffusers_float64(variance, variance_type, t):
    """Same schedule in float64 on both sides: agreement to round-off (1e-10)."""
    sched = _float64_scheduler(BETA, variance_type)
    x_t, eps = _randn(4, 3, seed=5), _randn(4, 3, seed=6)
    ref = sched.step(eps, t, x_t, generator=torch.Generator().manual_seed(13)).prev_sample
    noise = torch.randn(4, 3, generator=torch.Generator().manual_seed(13), dtype=torch.float64)
    torch.testing.assert_close(ddpm_step(x_t, torch.full((4,), t), eps, BETA, noise, variance), ref,
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("variance,variance_type", [("small", "fixed_small"), ("large", "fixed_large")])
def test_ddpm_sample_matches_diffusers_loop(variance, variance_type):
    """Full loop with a toy eps model; diffusers draws noise only for t > 0, in order t = T-1, ..., 1."""
    beta = linear_beta_schedule(50, 1e-3, 0.2)
    sched = _float64_scheduler(beta, variance_type)
    eps_model = lambda x, t: torch.tanh(x) * (1 + t[:, None].to(x.dtype) / 50)  # noqa: E731
    x_T = _randn(6, 2, seed=8)
    g = torch.Generator().manual_seed(21)
    x = x_T
    for t in range(49, -1, -1):
        x = sched.step(eps_model(x, torch.full((6,), t)), t, x, generator=g).prev_sample
    g = torch.Generator().manual_seed(21)
    noise = torch.zeros(50, 6, 2, dtype=torch.float64)
    for t in range(49, 0, -1):
        noise[t] = torch.randn(6, 2, generator=g, dtype=torch.float64)
    torch.testing.assert_close(ddpm_sample(eps_model, x_T, beta, noise, variance), x, rtol=1e-10, atol=1e-10)


# ----------------------------------------------------------------------------- sampler loops


def test_ddpm_step_mixed_batch_uses_noise_only_where_t_positive():
    x_t, eps, noise = _randn(3, 2, seed=1), _randn(3, 2, seed=2), _randn(3, 2, seed=3)
    t = torch.tensor([0, 5, 0])
    a = ddpm_step(x_t, t, eps, BETA, noise)
    b = ddpm_step(x_t, t, eps, BETA, 2 * noise)
    torch.testing.assert_close(a[[0, 2]], b[[0, 2]], rtol=0, atol=0)
    assert not torch.allclose(a[1], b[1])
    with pytest.raises(ValueError):
        ddpm_step(x_t, t, eps, BETA, noise, variance="medium")


@pytest.mark.parametrize("variance", ["small", "large"])
def test_ddpm_sample_equals_manual_loop(variance):
    beta = cosine_beta_schedule(30)
    eps_model = lambda x, t: 0.3 * x + 0.01 * t[:, None, None, None].to(x.dtype)  # noqa: E731
    x_T, noise = _randn(2, 1, 3, 3, seed=1), _randn(30, 2, 1, 3, 3, seed=2)
    x = x_T
    for i in reversed(range(30)):
        t = torch.full((2,), i)
        x = ddpm_step(x, t, eps_model(x, t), beta, noise[i], variance)
    torch.testing.assert_close(ddpm_sample(eps_model, x_T, beta, noise, variance), x, rtol=0, atol=0)
    # noise[0] is unused
    noise2 = noise.clone()
    noise2[0] = 100.0
    torch.testing.assert_close(ddpm_sample(eps_model, x_T, beta, noise2, variance), x, rtol=0, atol=0)


def test_p_sample_loop_is_deterministic_and_draws_x_T_then_noise():
    beta = linear_beta_schedule(20, 1e-3, 0.2)
    eps_model = lambda x, t: 0.5 * x  # noqa: E731
    a = p_sample_loop(eps_model, (5, 2), beta, generator=torch.Generator().manual_seed(0))
    b = p_sample_loop(eps_model, (5, 2), beta, generator=torch.Generator().manual_seed(0))
    c = p_sample_loop(eps_model, (5, 2), beta, generator=torch.Generator().manual_seed(1))
    assert a.dtype == torch.float32 and a.shape == (5, 2)
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not torch.allclose(a, c)
    g = torch.Generator().manual_seed(0)
    x_T = torch.randn(5, 2, generator=g)
    noise = torch.randn(20, 5, 2, generator=g)
    torch.testing.assert_close(a, ddpm_sample(eps_model, x_T, beta, noise), rtol=0, atol=0)
    d = p_sample_loop(eps_model, (5, 2), beta, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert d.dtype == torch.float64


# ----------------------------------------------------------------------------- L_simple


def _oracle_eps_model(c, alpha_bar):
    """Bayes-optimal eps prediction when the data is the single point c: eps = (x_t - sqrt(ab) c) / sqrt(1 - ab)."""
    def eps_model(x_t, t):
        ab = alpha_bar[t].to(x_t.dtype).reshape(-1, *([1] * (x_t.dim() - 1)))
        return (x_t - torch.sqrt(ab) * c) / torch.sqrt(1 - ab)
    return eps_model


def test_l_simple_oracles():
    c = _grid_points(1, 3, 4, 4, seed=1)
    x0 = c.expand(8, 3, 4, 4)
    t = torch.randint(0, T, (8,), generator=torch.Generator().manual_seed(0))
    noise = _randn(8, 3, 4, 4, seed=2)
    assert l_simple(_oracle_eps_model(c, ALPHA_BAR), x0, t, noise, ALPHA_BAR).item() < 1e-16
    zero = l_simple(lambda x, t: torch.zeros_like(x), x0, t, noise, ALPHA_BAR)
    torch.testing.assert_close(zero, (noise**2).mean(), rtol=1e-12, atol=0)


# ----------------------------------------------------------------------------- variational bound


def _bits(x):
    return x / math.log(2)


def test_vlb_with_oracle_model_equals_prior_plus_decoder_terms():
    """Data = one grid point c and the Bayes-optimal eps model: x0_pred = c, so every L_t (t >= 1) is 0 and the
    bound is L_T + L_0, both in closed form."""
    c = _grid_points(1, 6, seed=3)
    x0 = c.expand(4, 6)
    noise = _randn(T, 4, 6, seed=4)
    vlb = vlb_bits_per_dim(_oracle_eps_model(c, ALPHA_BAR), x0, BETA, noise)
    ab_T = ALPHA_BAR[-1]
    L_T = _bits(0.5 * (-1 - torch.log(1 - ab_T) + (1 - ab_T) + ab_T * c**2)).mean()
    var1 = (1 - ALPHA_BAR[0]) / (1 - ALPHA_BAR[1]) * BETA[1]  # posterior variance at index 1
    from scipy.stats import norm

    sd = math.sqrt(var1.item())
    p = []
    for v in c.reshape(-1).tolist():
        lo = -math.inf if v < -0.999 else v - 1 / 255
        hi = math.inf if v > 0.999 else v + 1 / 255
        p.append(norm.cdf(hi, v, sd) - norm.cdf(lo, v, sd))
    L_0 = _bits(-torch.log(torch.tensor(p, dtype=torch.float64))).mean()
    assert vlb.shape == (4,)
    torch.testing.assert_close(vlb, (L_T + L_0).expand(4), rtol=1e-8, atol=1e-10)
    assert L_T.item() < 1e-4  # T = 1000, linear: the prior term is negligible


def test_vlb_finite_positive_and_decreases_as_model_improves():
    c = _grid_points(1, 8, seed=5)
    x0 = c.expand(3, 8)
    noise = _randn(T, 3, 8, seed=6)
    oracle = _oracle_eps_model(c, ALPHA_BAR)
    values = [vlb_bits_per_dim(lambda x, t, e=err: oracle(x, t) + e, x0, BETA, noise) for err in (0.0, 0.01, 0.1, 1.0)]
    for v in values:
        assert torch.all(torch.isfinite(v)) and torch.all(v > 0)
    means = [v.mean().item() for v in values]
    assert means == sorted(means) and means[-1] > 10 * means[0]


def test_vlb_matches_an_explicit_term_by_term_sum():
    """Independent re-derivation of Ho Eq. (5) term by term on a short schedule, float64."""
    beta = linear_beta_schedule(8, 1e-3, 0.3)
    ab = alpha_bar_from_beta(beta)
    x0 = _grid_points(2, 5, seed=7)
    noise = _randn(8, 2, 5, seed=8)
    eps_model = lambda x, t: 0.7 * x - 0.05 * t[:, None].to(x.dtype)  # noqa: E731
    total = _bits(normal_kl(torch.sqrt(ab[-1]) * x0, torch.log(1 - ab[-1]), 0.0, 0.0)).mean(1)
    for i in range(8):
        t = torch.full((2,), i)
        x_t = torch.sqrt(ab[i]) * x0 + torch.sqrt(1 - ab[i]) * noise[i]
        x0_pred = (x_t - torch.sqrt(1 - ab[i]) * eps_model(x_t, t)) / torch.sqrt(ab[i])
        if i == 0:
            log_scale = 0.5 * torch.log((1 - ab[0]) / (1 - ab[1]) * beta[1])
            total = total - _bits(discretized_gaussian_log_likelihood(x0, x0_pred, log_scale)).mean(1)
        else:
            var = (1 - ab[i - 1]) / (1 - ab[i]) * beta[i]
            m_true, _ = q_posterior_mean_variance(x0, x_t, t, beta)
            m_model, _ = q_posterior_mean_variance(x0_pred, x_t, t, beta)
            total = total + _bits(((m_true - m_model) ** 2 / (2 * var)).mean(1))
    torch.testing.assert_close(vlb_bits_per_dim(eps_model, x0, beta, noise), total, rtol=1e-10, atol=1e-10)


def test_vlb_golden():
    """Golden values, computed once (float64, T = 8); tolerance rel 1e-9 guards against regressions only."""
    beta = linear_beta_schedule(8, 1e-3, 0.3)
    x0 = _grid_points(2, 5, seed=7)
    noise = _randn(8, 2, 5, seed=8)
    vlb = vlb_bits_per_dim(lambda x, t: 0.7 * x - 0.05 * t[:, None].to(x.dtype), x0, beta, noise)
    torch.testing.assert_close(vlb, torch.tensor(GOLDEN_VLB, dtype=torch.float64), rtol=1e-9, atol=0)


GOLDEN_VLB = [43.55208581497933, 13.72765741554333]
