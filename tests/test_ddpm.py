"""DDPM: diffusers agreement, Gaussian oracles for the posterior and the bound, and properties; and mutation
tests showing that the repaired tests fail on broken code."""
import math
import sys

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from mutation import catches, edited

import course_core.ddpm as ddpm
from course_core.ddpm import (
    ddpm_sample,
    ddpm_step,
    discretized_gaussian_log_likelihood,
    eps_loss_weight,
    l_simple,
    normal_kl,
    p_sample_loop,
    posterior_moments_mc,
    predict_x0_from_eps,
    q_posterior_mean_variance,
    q_sample,
    vlb_bits_per_dim,
)
from course_core.schedules import alpha_bar_from_beta, cosine_beta_schedule, linear_beta_schedule

THIS = sys.modules[__name__]
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


@pytest.fixture
def diffusers():
    """diffusers, the oracle of the tests that ask for it: only those are skipped when it cannot be imported."""
    return pytest.importorskip("diffusers")


def _float64_scheduler(diffusers, beta, variance_type="fixed_small"):
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
    """Property: predict_x0_from_eps inverts q_sample given the noise (each is checked against diffusers below)."""
    x0, noise = _randn(*shape, seed=seed, dtype=dtype), _randn(*shape, seed=seed + 1, dtype=dtype)
    t = torch.randint(0, T, (shape[0],), generator=torch.Generator().manual_seed(seed))
    x_t = q_sample(x0, t, noise, ALPHA_BAR)
    assert x_t.shape == x0.shape and x_t.dtype == dtype
    x0_back = predict_x0_from_eps(x_t, t, noise, ALPHA_BAR)
    tol = 1e-10 if dtype == torch.float64 else 2e-3  # float32: 1/sqrt(alpha_bar) <= 160 amplifies round-off
    torch.testing.assert_close(x0_back, x0, rtol=tol, atol=tol)


def _check_posterior_product_of_gaussians(t, seed):
    x0, x_t = _randn(4, 3, seed=seed), _randn(4, 3, seed=seed + 1)
    tt = torch.full((4,), t)
    mean, var = q_posterior_mean_variance(x0, x_t, tt, BETA)
    beta, ab_prev = BETA[t], ALPHA_BAR[t - 1]
    prec = (1 - beta) / beta + 1 / (1 - ab_prev)
    expected_mean = (torch.sqrt(1 - beta) * x_t / beta + torch.sqrt(ab_prev) * x0 / (1 - ab_prev)) / prec
    # float64 round-off; the precision form and Ho's coefficients differ by cancellation of O(1) terms only
    torch.testing.assert_close(mean, expected_mean, rtol=1e-9, atol=1e-9)
    expected_var = torch.full((4,), 1 / prec.item(), dtype=torch.float64)
    torch.testing.assert_close(var.reshape(-1), expected_var, rtol=1e-9, atol=0)
    assert var.shape == (4, 1)


@given(t=st.integers(1, T - 1), seed=st.integers(0, 10**6))
def test_posterior_is_product_of_gaussians(t, seed):
    """Reference: a different closed form, Bayes' rule in precision form:
    q(x_{t-1}|x_t,x0) ∝ N(x_t; sqrt(alpha_t) x_{t-1}, beta_t) N(x_{t-1}; sqrt(ab_prev) x0, 1 - ab_prev)."""
    _check_posterior_product_of_gaussians(t, seed)


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


def _check_q_sample_and_x0_against_diffusers(diffusers):
    t = torch.tensor([0, 1, 2, 10, 500, 998, 999])
    x0, noise = _randn(7, 3, 2, seed=1), _randn(7, 3, 2, seed=2)
    sched = _float64_scheduler(diffusers, BETA)
    x_t = q_sample(x0, t, noise, ALPHA_BAR)
    # float64 schedule on both sides: the same arithmetic up to the order of operations, round-off 1e-15
    torch.testing.assert_close(x_t, sched.add_noise(x0, noise, t), rtol=1e-12, atol=1e-12)
    for i, ti in enumerate(t.tolist()):  # diffusers' step takes one t at a time
        eps = _randn(1, 3, 2, seed=3 + ti)
        ref = sched.step(eps, ti, x_t[i:i + 1], generator=torch.Generator().manual_seed(0)).pred_original_sample
        # dividing by sqrt(alpha_bar_999) ~ 6e-3 amplifies round-off to ~1e-13
        torch.testing.assert_close(predict_x0_from_eps(x_t[i:i + 1], t[i:i + 1], eps, ALPHA_BAR), ref,
                                   rtol=1e-11, atol=1e-11)
    stock = diffusers.DDPMScheduler(num_train_timesteps=T, clip_sample=False)  # float32 schedule
    x32 = q_sample(x0.float(), t, noise.float(), ALPHA_BAR)
    assert x32.dtype == torch.float32
    # float32 on both sides: near t = 0, 1 - alpha_bar ~ 1e-4 is formed from a float32 alpha_bar (rounding error
    # <= 3e-8), so sqrt(1 - alpha_bar) ~ 1e-2 carries a relative error up to 1.5e-4 on each side:
    # |diff| <= 2 * 1.5e-4 * 1e-2 * |noise| (< 3) ~ 1e-5, plus float32 rounding of |x_t| < 4 (5e-7). Measured: 4e-6.
    torch.testing.assert_close(x32, stock.add_noise(x0.float(), noise.float(), t), rtol=1e-5, atol=2e-5)


def test_q_sample_and_predict_x0_match_diffusers(diffusers):
    """Reference: diffusers' DDPMScheduler.add_noise (the forward process) and the pred_original_sample of its step,
    with our float64 schedule (round-off agreement) and with its stock float32 schedule."""
    _check_q_sample_and_x0_against_diffusers(diffusers)


@pytest.mark.parametrize("t", TIMES)
def test_posterior_matches_diffusers(diffusers, t):
    """diffusers with prediction_type="sample" returns the posterior mean at model_output plus sqrt(var) * noise."""
    sched = _float64_scheduler(diffusers, BETA, "fixed_small")
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
def test_ddpm_step_matches_diffusers_float32(diffusers, variance, variance_type, t, schedule):
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


def _check_ddpm_step_float64(diffusers, variance, variance_type, t):
    sched = _float64_scheduler(diffusers, BETA, variance_type)
    x_t, eps = _randn(4, 3, seed=5), _randn(4, 3, seed=6)
    ref = sched.step(eps, t, x_t, generator=torch.Generator().manual_seed(13)).prev_sample
    noise = torch.randn(4, 3, generator=torch.Generator().manual_seed(13), dtype=torch.float64)
    torch.testing.assert_close(ddpm_step(x_t, torch.full((4,), t), eps, BETA, noise, variance), ref,
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("variance,variance_type", [("small", "fixed_small"), ("large", "fixed_large")])
@pytest.mark.parametrize("t", TIMES)
def test_ddpm_step_matches_diffusers_float64(diffusers, variance, variance_type, t):
    """Same schedule in float64 on both sides: agreement to round-off (1e-10)."""
    _check_ddpm_step_float64(diffusers, variance, variance_type, t)


LOOPS = {  # beta, data shape, eps model
    "linear-points": (linear_beta_schedule(50, 1e-3, 0.2), (6, 2),
                      lambda x, t: torch.tanh(x) * (1 + t[:, None].to(x.dtype) / 50)),
    "cosine-images": (cosine_beta_schedule(30), (2, 1, 3, 3),
                      lambda x, t: 0.3 * x + 0.01 * t[:, None, None, None].to(x.dtype)),
}


def _check_ddpm_sample_against_diffusers(diffusers, variance, variance_type, loop):
    beta, shape, eps_model = LOOPS[loop]
    n = beta.shape[0]
    sched = _float64_scheduler(diffusers, beta, variance_type)
    x_T = _randn(*shape, seed=8)
    g = torch.Generator().manual_seed(21)
    x = x_T
    for t in range(n - 1, -1, -1):
        x = sched.step(eps_model(x, torch.full((shape[0],), t)), t, x, generator=g).prev_sample
    g = torch.Generator().manual_seed(21)
    noise = torch.full((n, *shape), 100.0, dtype=torch.float64)  # noise[0] is unused: poisoned
    for t in range(n - 1, 0, -1):
        noise[t] = torch.randn(shape, generator=g, dtype=torch.float64)
    # float64 on both sides, round-off accumulated over <= 50 steps
    torch.testing.assert_close(ddpm_sample(eps_model, x_T, beta, noise, variance), x, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("variance,variance_type", [("small", "fixed_small"), ("large", "fixed_large")])
@pytest.mark.parametrize("loop", list(LOOPS))
def test_ddpm_sample_matches_diffusers_loop(diffusers, variance, variance_type, loop):
    """Reference: diffusers' own sampling loop, which draws noise only for t > 0, in order t = T-1, ..., 1; our
    noise[0], which must be unused, holds 100. Points with a linear schedule, images with the cosine one."""
    _check_ddpm_sample_against_diffusers(diffusers, variance, variance_type, loop)


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


def _check_l_simple_against_diffusers(diffusers):
    x0, noise = _grid_points(8, 3, 4, 4, seed=1), _randn(8, 3, 4, 4, seed=2)
    t = torch.randint(0, T, (8,), generator=torch.Generator().manual_seed(0))
    eps_model = lambda x, t: 0.8 * x - 1e-3 * t[:, None, None, None].to(x.dtype)  # noqa: E731
    sched = _float64_scheduler(diffusers, BETA)
    ref = torch.nn.functional.mse_loss(eps_model(sched.add_noise(x0, noise, t), t), noise)
    loss = l_simple(eps_model, x0, t, noise, ALPHA_BAR)
    assert loss.dim() == 0
    torch.testing.assert_close(loss, ref, rtol=1e-12, atol=0)  # float64 on both sides: round-off


def test_l_simple_matches_the_diffusers_training_recipe(diffusers):
    """Reference: the loss of diffusers' DDPM training example, mse_loss(model(add_noise(x0, noise, t), t), noise),
    with our float64 schedule in the scheduler."""
    _check_l_simple_against_diffusers(diffusers)


# ----------------------------------------------------------------------------- variational bound


def _bits(x):
    return x / math.log(2)


def _posterior_variance_precision_form(beta, alpha_bar, t):
    """Posterior variance of index t >= 1 by Bayes' rule in precision form:
    1 / (alpha_t / beta_t + 1 / (1 - ab_{t-1}))."""
    return 1 / ((1 - beta[t]) / beta[t] + 1 / (1 - alpha_bar[t - 1]))


def _decoder_nll(x0, mean, sd):
    """-log of the 256-level bin of x0 under N(mean, sd^2), edge bins open (Ho Eq. (13)), by scipy."""
    from scipy.stats import norm

    p = []
    for v, m in zip(x0.reshape(-1).tolist(), mean.reshape(-1).tolist()):
        lo = -math.inf if v < -0.999 else v - 1 / 255
        hi = math.inf if v > 0.999 else v + 1 / 255
        p.append(norm.cdf(hi, m, sd) - norm.cdf(lo, m, sd))
    return -torch.log(torch.tensor(p, dtype=torch.float64)).reshape(x0.shape)


def _prior_kl(x0, ab_T):
    """KL(q(x_T | x0) || N(0, I)) per element, by torch.distributions."""
    N = torch.distributions.Normal
    return torch.distributions.kl_divergence(N(torch.sqrt(ab_T) * x0, torch.sqrt(1 - ab_T)), N(0.0, 1.0))


def _check_vlb_oracle(beta, c, batch):
    alpha_bar = alpha_bar_from_beta(beta)
    x0 = c.expand(batch, *c.shape[1:])
    noise = _randn(beta.shape[0], *x0.shape, seed=4)
    vlb = vlb_bits_per_dim(_oracle_eps_model(c, alpha_bar), x0, beta, noise)
    L_T = _bits(_prior_kl(c, alpha_bar[-1])).mean()
    sd1 = math.sqrt(_posterior_variance_precision_form(beta, alpha_bar, 1).item())
    L_0 = _bits(_decoder_nll(c, c, sd1)).mean()
    assert vlb.shape == (batch,)
    # float64 round-off; x0_pred = c to ~1e-13 (it divides by sqrt(alpha_bar) >= 6e-3)
    torch.testing.assert_close(vlb, (L_T + L_0).expand(batch), rtol=1e-8, atol=1e-10)
    return L_T


def test_vlb_with_oracle_model_equals_prior_plus_decoder_terms():
    """Data = one grid point c and the Bayes-optimal eps model: x0_pred = c, so every L_t (t >= 1) is 0 and the
    bound is L_T + L_0. References: torch.distributions' KL for L_T; scipy's normal CDF for the decoder L_0, whose
    variance, the posterior variance of index 1, comes from Bayes' rule in precision form."""
    L_T = _check_vlb_oracle(BETA, _grid_points(1, 6, seed=3), 4)
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


SHORT_BETA = linear_beta_schedule(8, 1e-3, 0.3)


def _check_vlb_ho_eq12(beta, x0, noise, err):
    n = beta.shape[0]
    ab = alpha_bar_from_beta(beta)
    # The model returns the true noise plus a known error, so eps - eps_theta = -err[t] exactly.
    eps_model = lambda x, t: noise[t[0]] + err[t[0]]  # noqa: E731
    total = _bits(_prior_kl(x0, ab[-1])).mean(1)  # L_T
    for t in range(1, n):  # L_{t}, index t >= 1: Ho Eq. (12) with sigma_t^2 the posterior variance
        var = _posterior_variance_precision_form(beta, ab, t)
        weight = beta[t] ** 2 / (2 * var * (1 - beta[t]) * (1 - ab[t]))
        total = total + _bits(weight * err[t] ** 2).mean(1)
    # L_0: x0_pred - x0 = -sqrt((1 - ab_0) / ab_0) * (eps_theta - eps); decoder sd^2 = posterior variance of index 1
    x0_pred = x0 - torch.sqrt((1 - ab[0]) / ab[0]) * err[0]
    sd1 = math.sqrt(_posterior_variance_precision_form(beta, ab, 1).item())
    total = total + _bits(_decoder_nll(x0, x0_pred, sd1)).mean(1)
    # float64 round-off over 8 terms; scipy's CDF differences of bins with probability > 1e-3
    torch.testing.assert_close(vlb_bits_per_dim(eps_model, x0, beta, noise), total, rtol=1e-10, atol=1e-10)


def test_vlb_matches_ho_eq12_torch_kl_and_scipy_decoder():
    """Reference for every term of Ho Eq. (5), with a model whose error eps_theta - eps = err[t] is known: L_T by
    torch.distributions' KL; L_t (t >= 1) by the other closed form, Ho Eq. (12),
    beta_t^2 / (2 sigma_t^2 alpha_t (1 - ab_t)) ||eps - eps_theta||^2; L_0 by scipy's normal CDF."""
    _check_vlb_ho_eq12(SHORT_BETA, _grid_points(2, 5, seed=7), _randn(8, 2, 5, seed=8),
                       0.1 * _randn(8, 2, 5, seed=9))


def test_vlb_golden():
    """Golden values, computed once (float64, T = 8); tolerance rel 1e-9 guards against regressions only."""
    x0 = _grid_points(2, 5, seed=7)
    noise = _randn(8, 2, 5, seed=8)
    vlb = vlb_bits_per_dim(lambda x, t: 0.7 * x - 0.05 * t[:, None].to(x.dtype), x0, SHORT_BETA, noise)
    torch.testing.assert_close(vlb, torch.tensor(GOLDEN_VLB, dtype=torch.float64), rtol=1e-9, atol=0)


GOLDEN_VLB = [43.55208581497933, 13.72765741554333]


# ----------------------------------------------------------------------------- the posterior by simulation


def _chain(x0, t, beta, noise):
    """x_{t-1} and x_t of N forward chains written out step by step (Ho Eq. (2)), independently of course_core."""
    xs = [x0.expand(noise.shape[1:])]
    for s in range(t + 1):
        xs.append(torch.sqrt(1 - beta[s]) * xs[-1] + torch.sqrt(beta[s]) * noise[s])
    return xs[-2], xs[-1]


def _check_posterior_mc_converges(t, seed):
    beta = linear_beta_schedule(10, 0.05, 0.3)
    ab = alpha_bar_from_beta(beta)
    x0 = torch.tensor([0.3, -0.5, 1.0], dtype=torch.float64)
    n = 200_000
    noise = _randn(t + 1, n, 3, seed=seed)
    slope, intercept, resid_var = posterior_moments_mc(x0, t, beta, noise)
    # Oracle: Bayes' rule in precision form (not Ho's coefficients); x_t has mean sqrt(ab_t) x0 and variance 1 - ab_t.
    var = _posterior_variance_precision_form(beta, ab, t)
    want_slope = var * torch.sqrt(1 - beta[t]) / beta[t]
    want_intercept = var * torch.sqrt(ab[t - 1]) / (1 - ab[t - 1]) * x0
    # Least-squares standard errors with Gaussian residuals of variance `var`, regressor of variance v and mean m:
    v, m = 1 - ab[t], torch.sqrt(ab[t]) * x0
    se_slope = torch.sqrt(var / (n * v))
    se_intercept = torch.sqrt(var / n * (1 + m**2 / v))
    se_var = var * math.sqrt(2 / n)
    assert torch.all((slope - want_slope).abs() < 5 * se_slope)
    assert torch.all((intercept - want_intercept).abs() < 5 * se_intercept)
    assert torch.all((resid_var - var).abs() < 5 * se_var)


@pytest.mark.parametrize("t,seed", [(1, 0), (4, 1), (9, 2)])
def test_posterior_moments_mc_converge_to_bayes_rule(t, seed):
    """Analytic oracle with a stated standard error: 200k simulated chains give the posterior of Bayes' rule in
    precision form (slope, x0 term, variance) within 5 standard errors of least squares."""
    _check_posterior_mc_converges(t, seed)


def _check_posterior_mc_is_least_squares(N, D, t, dtype, seed):
    beta = cosine_beta_schedule(12)
    x0 = _randn(*D, seed=seed, dtype=dtype)
    noise = _randn(t + 1, N, *D, seed=seed + 1, dtype=dtype)
    slope, intercept, resid_var = posterior_moments_mc(x0, t, beta, noise)
    assert slope.shape == intercept.shape == resid_var.shape == tuple(D)
    assert slope.dtype == intercept.dtype == resid_var.dtype == dtype
    x_prev, x_t = _chain(x0.double(), t, beta, noise.double())
    xp, xt = x_prev.reshape(N, -1), x_t.reshape(N, -1)  # (N, d)
    for j in range(xp.shape[1]):  # one least-squares problem per coordinate, solved by QR (torch.linalg.lstsq)
        A = torch.stack([torch.ones(N, dtype=torch.float64), xt[:, j]], dim=1)  # (N, 2)
        coef = torch.linalg.lstsq(A, xp[:, j:j + 1]).solution[:, 0]
        resid = ((xp[:, j] - A @ coef) ** 2).mean()
        # float64: round-off of two least-squares algorithms; float32: the chain and the sums in float32
        # (N <= 50 terms of size <= 3, relative 6e-8 each) against a float64 solve, 1e-4 with room
        tol = 1e-9 if dtype == torch.float64 else 1e-4
        got = torch.stack([intercept.reshape(-1)[j], slope.reshape(-1)[j]]).double()
        torch.testing.assert_close(got, coef, rtol=tol, atol=tol)
        torch.testing.assert_close(resid_var.reshape(-1)[j].double(), resid, rtol=tol, atol=tol)


@given(N=st.integers(2, 50), D=st.sampled_from([(2,), (1,), (2, 3)]), t=st.integers(1, 11),
       dtype=st.sampled_from([torch.float64, torch.float32]), seed=st.integers(0, 10**6))
def test_posterior_moments_mc_is_least_squares_on_the_chain(N, D, t, dtype, seed):
    """Property: the three numbers are the least-squares fit (torch.linalg.lstsq, QR) of x_{t-1} on x_t over chains
    simulated here from Eq. (2), per coordinate, with the residual variance divided by N; shapes and dtypes."""
    _check_posterior_mc_is_least_squares(N, D, t, dtype, seed)


def test_posterior_moments_mc_at_index_zero_and_with_two_chains():
    """t = 0: x_{t-1} is x0 itself (slope 0, intercept x0, no residual); N = 2: a line through two points."""
    beta = linear_beta_schedule(5, 0.1, 0.3)
    x0 = torch.tensor([0.4, -1.0], dtype=torch.float64)
    slope, intercept, resid_var = posterior_moments_mc(x0, 0, beta, _randn(1, 30, 2, seed=3))
    torch.testing.assert_close(slope, torch.zeros(2, dtype=torch.float64), rtol=0, atol=1e-14)
    torch.testing.assert_close(intercept, x0, rtol=1e-14, atol=1e-14)
    torch.testing.assert_close(resid_var, torch.zeros(2, dtype=torch.float64), rtol=0, atol=1e-28)
    _, _, resid_var = posterior_moments_mc(x0, 3, beta, _randn(4, 2, 2, seed=4))
    torch.testing.assert_close(resid_var, torch.zeros(2, dtype=torch.float64), rtol=0, atol=1e-25)


# ----------------------------------------------------------------------------- the weight of Ho Eq. (12)


def _check_eps_loss_weight_is_the_kl(variance, t):
    """Per coordinate, KL(q(x_{t-1} | x_t, x0) || N(mu_theta, sigma_t^2)) minus its value at eps_theta = eps equals
    lambda_t (eps - eps_theta)^2. KL by torch.distributions; the posterior by Bayes' rule in precision form; the
    model's mean by Ho Eq. (11)."""
    beta = linear_beta_schedule(50, 1e-3, 0.2)
    ab = alpha_bar_from_beta(beta)
    x0, eps, eps_theta = _randn(6, seed=1), _randn(6, seed=2), _randn(6, seed=3)
    x_t = torch.sqrt(ab[t]) * x0 + torch.sqrt(1 - ab[t]) * eps
    var_q = _posterior_variance_precision_form(beta, ab, t)
    mean_q = var_q * (torch.sqrt(1 - beta[t]) / beta[t] * x_t + torch.sqrt(ab[t - 1]) / (1 - ab[t - 1]) * x0)
    sigma2 = var_q if variance == "small" else beta[t]
    N = torch.distributions.Normal

    def kl(e):
        mean_p = (x_t - beta[t] / torch.sqrt(1 - ab[t]) * e) / torch.sqrt(1 - beta[t])  # Ho Eq. (11)
        return torch.distributions.kl_divergence(N(mean_q, torch.sqrt(var_q)), N(mean_p, torch.sqrt(sigma2)))

    weight = eps_loss_weight(beta, torch.full((6,), t), variance)
    assert weight.shape == (6,) and weight.dtype == torch.float64
    # float64 round-off of the KL's terms, which are O(1e3) at t = 1 for the large variance: 1e-9 relative
    torch.testing.assert_close(kl(eps_theta) - kl(eps), weight * (eps - eps_theta) ** 2, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("variance", ["small", "large"])
@pytest.mark.parametrize("t", [1, 2, 25, 49])
def test_eps_loss_weight_turns_the_kl_into_a_noise_error(variance, t):
    _check_eps_loss_weight_is_the_kl(variance, t)


@given(T=st.integers(2, 1000), schedule=st.sampled_from(["linear", "cosine"]), seed=st.integers(0, 10**6))
def test_eps_loss_weight_properties(T, schedule, seed):
    """Positive and finite for t >= 1; the small variance (beta_tilde <= beta) weighs every step at least as much as
    the large one, by the factor (1 - ab_t) / (1 - ab_{t-1}); unknown variances are refused."""
    beta = linear_beta_schedule(T) if schedule == "linear" else cosine_beta_schedule(T)
    t = torch.randint(1, T, (5,), generator=torch.Generator().manual_seed(seed))
    small, large = eps_loss_weight(beta, t), eps_loss_weight(beta, t, "large")
    assert torch.all(torch.isfinite(small)) and torch.all(large > 0)
    ab = alpha_bar_from_beta(beta)
    torch.testing.assert_close(small / large, (1 - ab[t]) / (1 - ab[t - 1]), rtol=1e-9, atol=0)
    with pytest.raises(ValueError):
        eps_loss_weight(beta, t, "medium")


# ----------------------------------------------------------------------------- mutation tests of the tests
# Each repaired test must fail on a realistic mistake. A mutant is patched where the test body looks the name up:
# this module for the names it imports, course_core.ddpm for the helpers the other functions call.


def _q_sample_no_sqrt_on_noise(x0, t, noise, alpha_bar):
    """Mutant: (1 - alpha_bar_t) * noise, the square root of the noise variance forgotten."""
    ab = alpha_bar[t].to(x0.dtype).reshape(-1, *([1] * (x0.dim() - 1)))
    return torch.sqrt(ab) * x0 + (1 - ab) * noise


def _predict_x0_no_sqrt(x_t, t, eps, alpha_bar):
    """Mutant: divides by alpha_bar_t instead of sqrt(alpha_bar_t)."""
    ab = alpha_bar[t].to(x_t.dtype).reshape(-1, *([1] * (x_t.dim() - 1)))
    return (x_t - torch.sqrt(1 - ab) * eps) / ab


def _ddpm_sample_forward(eps_model, x_T, beta, noise, variance="small"):
    """Mutant: runs the reverse steps in the order t = 0, ..., T-1."""
    x = x_T
    for i in range(beta.shape[0]):
        t = torch.full((x.shape[0],), i, dtype=torch.int64)
        x = ddpm_step(x, t, eps_model(x, t), beta, noise[i], variance)
    return x


def _ddpm_sample_noise_in_draw_order(eps_model, x_T, beta, noise, variance="small"):
    """Mutant: takes noise in draw order (noise[T-1-i] at index i) instead of by index, so noise[0] is used."""
    x, n = x_T, beta.shape[0]
    for i in reversed(range(n)):
        t = torch.full((x.shape[0],), i, dtype=torch.int64)
        x = ddpm_step(x, t, eps_model(x, t), beta, noise[n - 1 - i], variance)
    return x


def _l_simple_sum_over_dims(eps_model, x0, t, noise, alpha_bar):
    """Mutant: sums the squared error over data dims before averaging over the batch."""
    x_t = ddpm.q_sample(x0, t, noise, alpha_bar)
    return ((noise - eps_model(x_t, t)) ** 2).flatten(1).sum(1).mean()


_prev_is_current = edited(ddpm._posterior_coefficients, "ab_prev = alpha_bar_prev(alpha_bar)", "ab_prev = alpha_bar")
_vlb = ddpm.vlb_bits_per_dim
_vlb_decoder_variance_of_index_0 = edited(_vlb, "torch.cat([post_var[1:2], post_var[1:]])", "post_var")
_vlb_decoder_variance_beta_1 = edited(_vlb, "torch.cat([post_var[1:2], post_var[1:]])",
                                       "torch.cat([beta[1:2], post_var[1:]])")
_vlb_decoder_log_scale_is_log_var = edited(_vlb, "0.5 * logvar", "logvar")
_vlb_no_prior_term = edited(_vlb, "total = _mean_flat(normal_kl(", "total = 0 * _mean_flat(normal_kl(")
_vlb_no_decoder_term = edited(_vlb, "for i in range(T):", "for i in range(1, T):")
_vlb_model_variance_beta = edited(_vlb, "normal_kl(mean_true, logvar, mean_model, logvar)",
                                   "normal_kl(mean_true, logvar, mean_model, torch.log(extract(beta, t, x0)))")

_mc = ddpm.posterior_moments_mc
_mc_regress_x_t_on_x_prev = edited(_mc, "dx, dy = x - x.mean(0), x_prev - x_prev.mean(0)",
                                   "dy, dx = x - x.mean(0), x_prev - x_prev.mean(0)")
_mc_chain_one_step_short = edited(_mc, "for s in range(t + 1):", "for s in range(max(t, 1)):")
_mc_unbiased_residual_variance = edited(_mc, "resid_var = ((x_prev - intercept - slope * x) ** 2).mean(0)",
                                        "resid_var = ((x_prev - intercept - slope * x) ** 2).sum(0) / (x.shape[0] - 2)")
_mc_beta_not_sqrt = edited(_mc, "math.sqrt(b) * noise[s]", "b * noise[s]")
_weight = ddpm.eps_loss_weight
_weight_no_two = edited(_weight, "(2 * var * (1 - beta)", "(var * (1 - beta)")
_weight_alpha_bar_prev = edited(_weight, "(1 - alpha_bar_from_beta(beta))",
                                "(1 - torch.cat([beta.new_ones(1), alpha_bar_from_beta(beta)[:-1]]))")
_weight_always_large = edited(_weight, "var = post_var", "var = beta")

_ORACLE = (SHORT_BETA, _grid_points(1, 6, seed=3), 2)
_EQ12 = (SHORT_BETA, _grid_points(2, 5, seed=7), _randn(8, 2, 5, seed=8), 0.1 * _randn(8, 2, 5, seed=9))
MUTANTS = [
    pytest.param(_check_posterior_product_of_gaussians, (10, 0), [(ddpm, "_posterior_coefficients", _prev_is_current)],
                 id="posterior-alpha-bar-t-for-t-1"),
    pytest.param(_check_vlb_oracle, _ORACLE, [(THIS, "vlb_bits_per_dim", _vlb_decoder_variance_of_index_0)],
                 id="vlb-oracle-decoder-var-index-0"),
    pytest.param(_check_vlb_oracle, _ORACLE, [(THIS, "vlb_bits_per_dim", _vlb_decoder_variance_beta_1)],
                 id="vlb-oracle-decoder-var-beta-1"),
    pytest.param(_check_vlb_oracle, _ORACLE, [(THIS, "vlb_bits_per_dim", _vlb_decoder_log_scale_is_log_var)],
                 id="vlb-oracle-log-scale-is-log-var"),
    pytest.param(_check_vlb_oracle, _ORACLE, [(THIS, "vlb_bits_per_dim", _vlb_no_prior_term)],
                 id="vlb-oracle-no-prior-term"),
    pytest.param(_check_vlb_ho_eq12, _EQ12, [(THIS, "vlb_bits_per_dim", _vlb_model_variance_beta)],
                 id="vlb-eq12-model-variance-beta"),
    pytest.param(_check_vlb_ho_eq12, _EQ12, [(THIS, "vlb_bits_per_dim", _vlb_no_decoder_term)],
                 id="vlb-eq12-no-decoder-term"),
    pytest.param(_check_vlb_ho_eq12, _EQ12, [(THIS, "vlb_bits_per_dim", _vlb_no_prior_term)],
                 id="vlb-eq12-no-prior-term"),
    pytest.param(_check_vlb_ho_eq12, _EQ12, [(ddpm, "_posterior_coefficients", _prev_is_current)],
                 id="vlb-eq12-alpha-bar-t-for-t-1"),
    pytest.param(_check_vlb_ho_eq12, _EQ12, [(ddpm, "q_sample", _q_sample_no_sqrt_on_noise)],
                 id="vlb-eq12-q-sample-no-sqrt"),
    pytest.param(_check_posterior_mc_converges, (4, 1), [(THIS, "posterior_moments_mc", _mc_regress_x_t_on_x_prev)],
                 id="mc-converges-regression-reversed"),
    pytest.param(_check_posterior_mc_converges, (4, 1), [(THIS, "posterior_moments_mc", _mc_chain_one_step_short)],
                 id="mc-converges-chain-one-step-short"),
    pytest.param(_check_posterior_mc_converges, (4, 1), [(THIS, "posterior_moments_mc", _mc_beta_not_sqrt)],
                 id="mc-converges-beta-not-sqrt"),
    pytest.param(_check_posterior_mc_is_least_squares, (5, (2,), 3, torch.float64, 0),
                 [(THIS, "posterior_moments_mc", _mc_unbiased_residual_variance)], id="mc-lstsq-unbiased-variance"),
    pytest.param(_check_posterior_mc_is_least_squares, (5, (2,), 3, torch.float64, 0),
                 [(THIS, "posterior_moments_mc", _mc_chain_one_step_short)], id="mc-lstsq-chain-one-step-short"),
    pytest.param(_check_eps_loss_weight_is_the_kl, ("small", 2), [(THIS, "eps_loss_weight", _weight_no_two)],
                 id="weight-no-two"),
    pytest.param(_check_eps_loss_weight_is_the_kl, ("large", 2), [(THIS, "eps_loss_weight", _weight_alpha_bar_prev)],
                 id="weight-alpha-bar-prev"),
    pytest.param(_check_eps_loss_weight_is_the_kl, ("small", 25), [(THIS, "eps_loss_weight", _weight_always_large)],
                 id="weight-always-large"),
]
DIFFUSERS_MUTANTS = [
    pytest.param(_check_q_sample_and_x0_against_diffusers, (), [(THIS, "q_sample", _q_sample_no_sqrt_on_noise)],
                 id="q-sample-no-sqrt"),
    pytest.param(_check_q_sample_and_x0_against_diffusers, (), [(THIS, "predict_x0_from_eps", _predict_x0_no_sqrt)],
                 id="predict-x0-no-sqrt"),
    pytest.param(_check_ddpm_step_float64, ("small", "fixed_small", 10),
                 [(ddpm, "_posterior_coefficients", _prev_is_current)], id="step-alpha-bar-t-for-t-1"),
    pytest.param(_check_ddpm_sample_against_diffusers, ("small", "fixed_small", "cosine-images"),
                 [(THIS, "ddpm_sample", _ddpm_sample_forward)], id="sample-forward-order"),
    pytest.param(_check_ddpm_sample_against_diffusers, ("large", "fixed_large", "linear-points"),
                 [(THIS, "ddpm_sample", _ddpm_sample_noise_in_draw_order)], id="sample-noise-in-draw-order"),
    pytest.param(_check_l_simple_against_diffusers, (), [(THIS, "l_simple", _l_simple_sum_over_dims)],
                 id="l-simple-sum-over-dims"),
    pytest.param(_check_l_simple_against_diffusers, (), [(ddpm, "q_sample", _q_sample_no_sqrt_on_noise)],
                 id="l-simple-q-sample-no-sqrt"),
]


@pytest.mark.parametrize("check,args,broken", MUTANTS)
def test_repaired_tests_catch_mutant(check, args, broken):
    """The repaired test body fails (with an assertion) when a realistic mistake is patched in."""
    catches(check, *args, broken=broken)


@pytest.mark.parametrize("check,args,broken", DIFFUSERS_MUTANTS)
def test_repaired_diffusers_tests_catch_mutant(diffusers, check, args, broken):
    """The same for the tests whose oracle is diffusers."""
    catches(check, diffusers, *args, broken=broken)
