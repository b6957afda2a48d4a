"""Scores, Tweedie, DSM and Langevin: identities against the exact mixture, autograd of torch.distributions and
Gaussian Langevin oracles; and mutation tests showing that the repaired tests fail on broken code."""
import math
import sys

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from mutation import catches

from course_core.ddpm import predict_x0_from_eps
from course_core.gmm import GaussianMixture
from course_core.schedules import alpha_bar_from_beta, cosine_beta_schedule, linear_beta_schedule
from course_core.score import (
    annealed_langevin,
    dsm_esm_gap,
    dsm_loss,
    eps_from_score,
    langevin_chain_variance,
    langevin_step,
    posterior_mean_mc,
    score_from_eps,
    tweedie_denoiser,
    x0_from_score,
)

THIS = sys.modules[__name__]
SCORE = sys.modules["course_core.score"]
T = 1000
ALPHA_BAR = alpha_bar_from_beta(linear_beta_schedule(T))


def _randn(*shape, seed=0, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _ring(K=8, radius=2.0, std=0.15):
    angle = 2 * math.pi * torch.arange(K, dtype=torch.float64) / K
    means = radius * torch.stack([torch.cos(angle), torch.sin(angle)], 1)
    return GaussianMixture(torch.full((K,), 1.0 / K, dtype=torch.float64), means,
                           std**2 * torch.eye(2, dtype=torch.float64).expand(K, 2, 2).clone())


@given(sigma=st.floats(0.01, 5.0), seed=st.integers(0, 10**6))
def test_tweedie_denoiser_with_exact_score_is_exact_denoiser(sigma, seed):
    gmm = _ring()
    y = 3 * _randn(10, 2, seed=seed)
    out = tweedie_denoiser(y, gmm.noised_ve(sigma).score(y), sigma)
    torch.testing.assert_close(out, gmm.denoise_ve(y, sigma), rtol=1e-8, atol=1e-8)


def _check_score_eps(shape, seed, dtype):
    g = torch.Generator().manual_seed(seed)
    x0, eps = torch.randn(shape, generator=g, dtype=torch.float64), torch.randn(shape, generator=g, dtype=torch.float64)
    t = torch.randint(0, T, (shape[0],), generator=g)
    ab = ALPHA_BAR[t].reshape(-1, *([1] * (len(shape) - 1)))
    x_t = (torch.sqrt(ab) * x0 + torch.sqrt(1 - ab) * eps).requires_grad_(True)  # Ho Eq. (4)
    q = torch.distributions.Normal(torch.sqrt(ab) * x0, torch.sqrt(1 - ab))
    (score_ref,) = torch.autograd.grad(q.log_prob(x_t).sum(), x_t)  # grad of log q(x_t | x0)
    score = score_from_eps(eps.to(dtype), t, ALPHA_BAR)
    assert score.dtype == dtype and score.shape == shape
    # float64: round-off, amplified by 1 / (1 - alpha_bar) <= 1e4 in the reference; float32: near t = 0 the float32
    # alpha_bar ~ 1 - 1e-4 (rounding error <= 3e-8) leaves 1 - alpha_bar with relative error <= 3e-4, 1.5e-4 after
    # the square root (measured: 8e-5)
    tol = 1e-10 if dtype == torch.float64 else 5e-4
    torch.testing.assert_close(score, score_ref.to(dtype), rtol=tol, atol=tol)
    torch.testing.assert_close(eps_from_score(score_ref.to(dtype), t, ALPHA_BAR), eps.to(dtype), rtol=tol, atol=tol)


@given(shape=st.sampled_from([(4, 2), (2, 3, 4, 4)]), seed=st.integers(0, 10**6),
       dtype=st.sampled_from([torch.float32, torch.float64]))
def test_score_from_eps_is_the_autograd_score_of_q_xt_given_x0(shape, seed, dtype):
    """Reference: autograd of torch.distributions.Normal(sqrt(ab) x0, sqrt(1 - ab)).log_prob at
    x_t = sqrt(ab) x0 + sqrt(1 - ab) eps is score_from_eps(eps); eps_from_score maps it back to eps."""
    _check_score_eps(shape, seed, dtype)


def _check_x0_from_score(shape, seed, dtype):
    eps = _randn(*shape, seed=seed, dtype=dtype)
    x_t = _randn(*shape, seed=seed + 1, dtype=dtype)
    t = torch.randint(0, T, (shape[0],), generator=torch.Generator().manual_seed(seed))
    tol = 1e-10 if dtype == torch.float64 else 2e-3  # float32: 1/sqrt(alpha_bar) <= 160 amplifies round-off
    torch.testing.assert_close(x0_from_score(x_t, t, score_from_eps(eps, t, ALPHA_BAR), ALPHA_BAR),
                               predict_x0_from_eps(x_t, t, eps, ALPHA_BAR), rtol=tol, atol=tol)


@given(shape=st.sampled_from([(4, 2), (2, 3, 4, 4)]), seed=st.integers(0, 10**6),
       dtype=st.sampled_from([torch.float32, torch.float64]))
def test_x0_from_score_agrees_with_predict_x0_from_eps(shape, seed, dtype):
    """Reference: predict_x0_from_eps, checked against diffusers' pred_original_sample in test_ddpm.py."""
    _check_x0_from_score(shape, seed, dtype)


@given(t=st.integers(0, 999), seed=st.integers(0, 10**6))
def test_x0_from_score_with_exact_noised_score_is_exact_vp_denoiser(t, seed):
    gmm = _ring()
    alpha_bar = alpha_bar_from_beta(cosine_beta_schedule(T))
    ab = alpha_bar[t].item()
    x_t = 2 * _randn(6, 2, seed=seed)
    tt = torch.full((6,), t)
    out = x0_from_score(x_t, tt, gmm.noised_vp(ab).score(x_t), alpha_bar)
    torch.testing.assert_close(out, gmm.denoise_vp(x_t, ab), rtol=1e-6, atol=1e-6)


def _toy_score_model(x, s):
    return -x / (1 + s[:, None] ** 2) + 0.1 * torch.sin(3 * x)


def _check_dsm_loss():
    x0, noise = _randn(16, 2, seed=1), _randn(16, 2, seed=2)
    sigma = torch.linspace(0.1, 3.0, 16, dtype=torch.float64)
    x_tilde = (x0 + sigma[:, None] * noise).requires_grad_(True)
    q = torch.distributions.Normal(x0, sigma[:, None])  # q_sigma(x_tilde | x0)
    (target,) = torch.autograd.grad(q.log_prob(x_tilde).sum(), x_tilde)  # grad log q_sigma(x_tilde | x0)
    per_sample = 0.5 * ((_toy_score_model(x_tilde.detach(), sigma) - target) ** 2).sum(1)  # Eq. (5)
    expected = (sigma**2 * per_sample).mean()  # Eq. (6), lambda(sigma) = sigma^2
    loss = dsm_loss(_toy_score_model, x0, sigma, noise)
    assert loss.dim() == 0
    torch.testing.assert_close(loss, expected, rtol=1e-12, atol=0)  # float64 round-off
    # data = one point c: the exact noised score -(x - c)/sigma^2 gives loss 0
    c = torch.tensor([0.3, -1.2], dtype=torch.float64)
    point = dsm_loss(lambda x, s: -(x - c) / s[:, None] ** 2, c.expand(16, 2), sigma, noise)
    assert point.item() < 1e-20


def test_dsm_loss_matches_song_ermon_eq_5_6_with_autograd_target_and_point_mass_oracle():
    """Reference: Song & Ermon 2019, Eq. (5)-(6), written in their form: mean over the batch of
    lambda(sigma) * 0.5 * ||s(x_tilde, sigma) - grad log q_sigma(x_tilde | x0)||^2 with lambda = sigma^2 and the target
    by autograd of torch.distributions.Normal; and the loss 0 of the exact score when the data is one point."""
    _check_dsm_loss()


def test_dsm_loss_is_minimised_by_the_exact_noised_score():
    """With a single sigma, E[DSM] is minimised by grad log p_sigma (Vincent 2011); perturbations raise it."""
    gmm = _ring()
    g = torch.Generator().manual_seed(0)
    x0 = gmm.sample(50_000, generator=g)
    noise = torch.randn(50_000, 2, generator=g, dtype=torch.float64)
    sigma = torch.full((50_000,), 0.5, dtype=torch.float64)
    exact = lambda x, s: gmm.noised_ve(0.5).score(x)  # noqa: E731
    best = dsm_loss(exact, x0, sigma, noise)
    for delta in (0.05, 0.2):
        worse = dsm_loss(lambda x, s, d=delta: exact(x, s) * (1 + d), x0, sigma, noise)
        assert worse > best


def test_langevin_stationary_variance_gaussian_oracle():
    """Reference: the exact stationary law of ULA on N(0, s^2) (the test of langevin_step): the chain
    x' = (1 - h/s^2) x + sqrt(2h) z has stationary variance s^2 / (1 - h / (2 s^2)).

    4000 chains after 400 burn-in steps (mixing factor (1-h/s^2)^400 < 1e-8); tolerance 5 standard errors
    of a sample variance, sqrt(2/n) * var. Measured: the reference is off by 0.05 of the tolerance, a missing
    factor 2 or square root in the noise, or a doubled drift, by 4.4 to 7 times the tolerance.
    """
    s2, h, n = 2.0, 0.1, 4000
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(n, 1, dtype=torch.float64)
    for _ in range(400):
        x = langevin_step(x, -x / s2, h, torch.randn(n, 1, generator=g, dtype=torch.float64))
    expected = s2 / (1 - h / (2 * s2))
    assert abs(x.var().item() - expected) < 5 * math.sqrt(2 / n) * expected


def _check_annealed_langevin_gaussian_map():
    s2, step_lr, n = 0.5, 0.05, 4
    sigmas = torch.tensor([2.0, 1.0, 0.5], dtype=torch.float64)
    seen = []

    def score_fn(x, sigma):  # the exact score of the noised target N(0, s2 + sigma^2)
        seen.append(sigma)
        return -x / (s2 + sigma**2)

    x_init = _randn(1, 1, seed=6).requires_grad_(True)
    noise = _randn(3, n, 1, 1, seed=5).requires_grad_(True)
    out = annealed_langevin(x_init, score_fn, sigmas, step_lr, n, noise)
    assert out.shape == x_init.shape
    assert len(seen) == 3 * n and all(torch.is_tensor(v) and v.dim() == 0 for v in seen)
    torch.testing.assert_close(torch.stack(seen), sigmas.repeat_interleave(n), rtol=0, atol=0)
    d_init, d_noise = torch.autograd.grad(out.sum(), [x_init, noise])
    # Algorithm 1: alpha_i = step_lr sigma_i^2 / sigma_L^2, and a step x + alpha_i/2 s + sqrt(alpha_i) z multiplies
    # x by a_i = 1 - alpha_i / (2 (s2 + sigma_i^2)); unrolled, z[i, j] reaches the output through
    # sqrt(alpha_i) a_i^(n-1-j) prod_{l > i} a_l^n, and x_init through prod_i a_i^n.
    alpha = [step_lr * (sg / sigmas[-1].item()) ** 2 for sg in sigmas.tolist()]
    a = [1 - al / (2 * (s2 + sg**2)) for al, sg in zip(alpha, sigmas.tolist())]
    later = [math.prod(a_l**n for a_l in a[i + 1:]) for i in range(3)]
    expected = torch.tensor([[math.sqrt(alpha[i]) * a[i] ** (n - 1 - j) * later[i] for j in range(n)]
                             for i in range(3)], dtype=torch.float64)
    torch.testing.assert_close(d_noise.reshape(3, n), expected, rtol=1e-12, atol=0)  # float64 round-off
    torch.testing.assert_close(d_init.reshape(()), torch.tensor(math.prod(ai**n for ai in a), dtype=torch.float64),
                               rtol=1e-12, atol=0)
    # the map is affine (a linear score): with these derivatives it is fixed by its value at the origin, 0
    zero = annealed_langevin(torch.zeros(1, 1, dtype=torch.float64), score_fn, sigmas, step_lr, n,
                             torch.zeros(3, n, 1, 1, dtype=torch.float64))
    assert torch.all(zero == 0)


def test_annealed_langevin_is_the_unrolled_gaussian_map_and_passes_tensor_sigma():
    """Reference: autograd. With the exact noised score of a Gaussian target each Langevin step is linear, so the
    output's derivatives with respect to x_init and to every noise[i, j] are products of per-step factors (the
    unrolled closed form, not the loop); score_fn sees each sigmas[i] as a 0-d tensor, n_steps times, in order."""
    _check_annealed_langevin_gaussian_map()


def test_annealed_langevin_samples_the_ring():
    """With the exact noised scores and hw1's settings (the ring of hw1 and hw2, 10 levels from 1.5 to 0.025,
    step_lr 1.25e-4, 30 steps per level), annealed Langevin lands on the ring and visits every mode."""
    gmm = _ring(radius=0.7, std=0.1)
    sigmas = torch.logspace(math.log10(1.5), math.log10(0.025), 10, dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    x_init = 4 * torch.rand(1000, 2, generator=g, dtype=torch.float64) - 2
    noise = torch.randn(10, 30, 1000, 2, generator=g, dtype=torch.float64)
    x = annealed_langevin(x_init, lambda x, s: gmm.noised_ve(s).score(x), sigmas, 1.25e-4, 30, noise)
    r = x.norm(dim=1)
    assert (r - 0.7).abs().median() < 0.1  # the data's median |r - 0.7| is 0.07 (std 0.1 per coordinate)
    counts = torch.bincount(gmm.responsibilities(x).argmax(1), minlength=8)
    assert counts.min() > 1000 / 8 / 2


# ----------------------------------------------------------------------------- the numerical checks of hw1's derivations


def _gauss_posterior_mean(y, m, v, sigma):
    """E[x | y] for x ~ N(m, v I), y = x + sigma z (conjugate Gaussian): m + v / (v + sigma^2) (y - m)."""
    return m + v / (v + sigma**2) * (y - m)


def test_posterior_mean_mc_gaussian_prior_oracle():
    """Reference: the conjugate Gaussian posterior mean. Prior N(m, I) in 2-D, sigma = 0.5, M = 40000 samples.

    The effective sample size of the self-normalised weights is about 0.3 M here, and the posterior standard
    deviation sqrt(v sigma^2 / (v + sigma^2)) = 0.45, so the standard error is about 0.005; tolerance 0.025 (5 of
    them). Measured: 0.007. A sigma for sigma^2 or weights normalised over the wrong axis miss by 0.1 or more."""
    g = torch.Generator().manual_seed(0)
    m = torch.tensor([0.5, -1.0], dtype=torch.float64)
    x_prior = m + torch.randn(40_000, 2, generator=g, dtype=torch.float64)
    y = m + torch.tensor([[0.0, 0.0], [1.0, 0.5], [-1.0, 1.0], [0.3, -0.8]], dtype=torch.float64)
    got = posterior_mean_mc(y, x_prior, 0.5)
    assert got.shape == (4, 2) and got.dtype == torch.float64
    assert (got - _gauss_posterior_mean(y, m, 1.0, 0.5)).abs().max() < 0.025


def test_posterior_mean_mc_agrees_with_tweedie_on_the_ring():
    """Reference: the exact E[x | y] of the ring (GaussianMixture.denoise_ve), which is also Tweedie's formula
    with the exact noisy score. sigma = 0.2, M = 20000 prior samples (the notebook's setting): the notebook
    asserts agreement within 0.03; measured 0.006 over these points."""
    gmm = _ring(radius=0.7, std=0.1)
    x_prior = gmm.sample(20_000, generator=torch.Generator().manual_seed(3))
    y = torch.tensor([[0.0, 0.0], [0.7, 0.0], [0.45, 0.45], [1.0, -0.2], [-0.3, 0.9], [0.2, -0.5]], dtype=torch.float64)
    assert (posterior_mean_mc(y, x_prior, 0.2) - gmm.denoise_ve(y, 0.2)).abs().max() < 0.03


@given(seed=st.integers(0, 10**6), sigma=st.floats(0.05, 5.0), M=st.integers(1, 10))
def test_posterior_mean_mc_properties(seed, sigma, M):
    """A weighted mean of the prior samples: moving y and the samples by c moves the estimate by c; the order of the
    samples does not matter; one sample is returned as it is; the estimate lies in the samples' bounding box."""
    g = torch.Generator().manual_seed(seed)
    y, x_prior = torch.randn(3, 2, generator=g, dtype=torch.float64), torch.randn(M, 2, generator=g, dtype=torch.float64)
    c = torch.tensor([3.0, -2.0], dtype=torch.float64)
    out = posterior_mean_mc(y, x_prior, sigma)
    torch.testing.assert_close(posterior_mean_mc(y + c, x_prior + c, sigma), out + c, rtol=1e-10, atol=1e-10)
    perm = torch.randperm(M, generator=g)
    torch.testing.assert_close(posterior_mean_mc(y, x_prior[perm], sigma), out, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(posterior_mean_mc(y, x_prior[:1], sigma), x_prior[:1].expand(3, 2), rtol=0, atol=1e-15)
    assert torch.all(out >= x_prior.min(0).values - 1e-12) and torch.all(out <= x_prior.max(0).values + 1e-12)


def test_posterior_mean_mc_limits_and_far_field():
    """A huge sigma weighs every sample alike (the prior mean); a tiny one picks the nearest sample, also far from
    every sample, where each likelihood underflows to 0 (log-space weights keep it finite)."""
    x_prior = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    y = torch.tensor([[0.9, 0.1], [40.0, 1.0], [-3.0, 60.0]], dtype=torch.float64)
    torch.testing.assert_close(posterior_mean_mc(y, x_prior, 1e4), x_prior.mean(0).expand(3, 2), rtol=0, atol=1e-6)
    torch.testing.assert_close(posterior_mean_mc(y, x_prior, 0.05), x_prior[[1, 1, 2]], rtol=0, atol=1e-12)
    assert posterior_mean_mc(y.float(), x_prior, 0.5).dtype == torch.float32


def _dsm_setting(B, sigma, seed=0, v=0.5):
    """Data N(0, v I) in 2-D at one noise level: p_sigma = N(0, (v + sigma^2) I), whose score is -x / (v + sigma^2)."""
    g = torch.Generator().manual_seed(seed)
    x0 = math.sqrt(v) * torch.randn(B, 2, generator=g, dtype=torch.float64)
    noise = torch.randn(B, 2, generator=g, dtype=torch.float64)
    true = lambda x, s: -x / (v + s[:, None] ** 2)  # noqa: E731
    return x0, torch.full((B,), sigma, dtype=torch.float64), noise, true


def test_dsm_esm_gap_is_vincents_constant_for_every_model():
    """Reference: Vincent 2011 for Gaussian data N(0, v I): C = 0.5 E||z||^2 - 0.5 sigma^2 E||s*||^2
    = 0.5 d v / (v + sigma^2) (= 0.4 here), whatever the model. B = 100000: the per-sample gap has standard deviation
    below 1.5 for these models, so the standard error is below 0.005; tolerance 0.025. Measured: within 0.004.
    The exact score's gap is its DSM loss exactly (its ESM term is 0)."""
    x0, sigma, noise, true = _dsm_setting(100_000, 0.5)
    C = 0.5 * 2 * 0.5 / (0.5 + 0.25)
    models = [lambda x, s: torch.zeros_like(x), lambda x, s: -0.3 * x + torch.sin(3 * x), true]
    gaps = [dsm_esm_gap(m, x0, sigma, noise, true).item() for m in models]
    assert max(abs(gap - C) for gap in gaps) < 0.025, gaps
    assert gaps[2] == pytest.approx(dsm_loss(true, x0, sigma, noise).item(), rel=1e-12)


@given(seed=st.integers(0, 10**6))
def test_dsm_esm_gap_is_dsm_loss_minus_the_explicit_objective(seed):
    """dsm_loss(model) - dsm_esm_gap(model, true) is the explicit objective 0.5 mean_b sigma_b^2 ||s - s*||^2 at
    the same x_tilde, for any two fields and per-sample levels, float32 keeping its dtype."""
    g = torch.Generator().manual_seed(seed)
    x0, noise = torch.randn(6, 2, generator=g, dtype=torch.float64), torch.randn(6, 2, generator=g, dtype=torch.float64)
    sigma = torch.exp(torch.randn(6, generator=g, dtype=torch.float64))
    model = lambda x, s: torch.tanh(x @ torch.tensor([[1.0, 0.5], [-0.3, 2.0]], dtype=x.dtype)) / s[:, None].to(x.dtype)  # noqa: E731
    true = lambda x, s: -x / (1 + s[:, None].to(x.dtype) ** 2)  # noqa: E731
    x_tilde = x0 + sigma[:, None] * noise
    esm = (0.5 * sigma**2 * ((model(x_tilde, sigma) - true(x_tilde, sigma)) ** 2).sum(1)).mean()
    gap = dsm_esm_gap(model, x0, sigma, noise, true)
    torch.testing.assert_close(dsm_loss(model, x0, sigma, noise) - gap, esm, rtol=1e-10, atol=1e-12)
    assert dsm_esm_gap(model, x0.float(), sigma, noise.float(), true).dtype == torch.float32


def _unrolled_chain(x_init, s2, step_size, noise):
    """x_K of the AR(1) chain x' = a x + b z, a = 1 - step_size / s2, b = sqrt(2 step_size), in closed form:
    a^K x_0 + b sum_k a^(K-1-k) z_k."""
    a, b, K = 1 - step_size / s2, math.sqrt(2 * step_size), noise.shape[0]
    weights = torch.tensor([a ** (K - 1 - k) for k in range(K)], dtype=noise.dtype)
    return a**K * x_init + b * torch.einsum("k,knd->nd", weights, noise)


@given(seed=st.integers(0, 10**6), K=st.integers(1, 30), s2=st.floats(0.1, 5.0), frac=st.floats(0.001, 0.99))
def test_langevin_chain_variance_is_the_unrolled_ar1_chain(seed, K, s2, frac):
    """Reference: the chain unrolled in closed form (not the loop), then the unbiased variance of each coordinate."""
    g = torch.Generator().manual_seed(seed)
    x_init = torch.randn(5, 3, generator=g, dtype=torch.float64)
    noise = torch.randn(K, 5, 3, generator=g, dtype=torch.float64)
    step = frac * 2 * s2
    x_K = _unrolled_chain(x_init, s2, step, noise)
    want = ((x_K - x_K.mean(0)) ** 2).sum(0) / (5 - 1)
    got = langevin_chain_variance(x_init, s2, step, noise)
    assert got.shape == (3,)
    torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-12)  # float64 round-off over at most 30 steps


def test_langevin_chain_variance_is_biased_as_derived():
    """Reference: the stationary variance s^2 / (1 - step / (2 s^2)) of unadjusted Langevin on N(0, s^2) (the
    notebook's Question 10). N = 20000 chains started from N(0, s^2), 100 steps; tolerance 5 standard errors of a
    sample variance, 5 sqrt(2 / (N - 1)) v. Measured: within 1.1 of them. At step = s^2 the variance is 2 s^2,
    nowhere near s^2."""
    s2, N, K = 1.0, 20_000, 100
    g = torch.Generator().manual_seed(6)
    x_init = torch.randn(N, 1, generator=g, dtype=torch.float64)
    noise = torch.randn(K, N, 1, generator=g, dtype=torch.float64)
    for step in (0.2, 1.0):
        v = s2 / (1 - step / (2 * s2))
        got = langevin_chain_variance(x_init, s2, step, noise).item()
        assert abs(got - v) < 5 * math.sqrt(2 / (N - 1)) * v, (step, got, v)
    assert langevin_chain_variance(x_init, s2, 1.0, noise).item() > 1.8 * s2
    assert langevin_chain_variance(x_init.float(), s2, 0.1, noise.float()).dtype == torch.float32


# ----------------------------------------------------------------------------- mutation tests of the tests
# Each repaired test (and the ULA oracle, which now alone covers langevin_step) must fail on a realistic mistake,
# patched where the test body looks the name up: this module, or course_core.score for annealed_langevin's steps.


def _ab(alpha_bar, t, x):
    return alpha_bar[t].to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))


def _score_from_eps_no_sqrt(eps, t, alpha_bar):
    """Mutant: -eps / (1 - alpha_bar_t), the square root forgotten."""
    return -eps / (1 - _ab(alpha_bar, t, eps))


def _score_from_eps_sign(eps, t, alpha_bar):
    """Mutant: +eps / sqrt(1 - alpha_bar_t)."""
    return eps / torch.sqrt(1 - _ab(alpha_bar, t, eps))


def _score_from_eps_prev_index(eps, t, alpha_bar):
    """Mutant: alpha_bar_{t-1} in place of alpha_bar_t (1 at t = 0)."""
    prev = torch.cat([alpha_bar.new_ones(1), alpha_bar[:-1]])
    return -eps / torch.sqrt(1 - _ab(prev, t, eps))


def _eps_from_score_divides(score, t, alpha_bar):
    """Mutant: -score / sqrt(1 - alpha_bar_t), the inverse written the wrong way round."""
    return -score / torch.sqrt(1 - _ab(alpha_bar, t, score))


def _x0_from_score_no_sqrt(x_t, t, score, alpha_bar):
    """Mutant: divides by alpha_bar_t instead of its square root."""
    ab = _ab(alpha_bar, t, x_t)
    return (x_t + (1 - ab) * score) / ab


def _dsm_lambda_one(score_model, x0, sigma, noise):
    """Mutant: lambda(sigma) = 1, i.e. 0.5 ||s + noise / sigma||^2."""
    sb = sigma.to(x0.dtype)[:, None]
    return 0.5 * ((score_model(x0 + sb * noise, sigma) + noise / sb) ** 2).sum(1).mean()


def _dsm_no_half(score_model, x0, sigma, noise):
    """Mutant: the factor 1/2 dropped."""
    sb = sigma.to(x0.dtype)[:, None]
    return ((sb * score_model(x0 + sb * noise, sigma) + noise) ** 2).sum(1).mean()


def _dsm_mean_over_dims(score_model, x0, sigma, noise):
    """Mutant: the squared norm averaged over data dims instead of summed."""
    sb = sigma.to(x0.dtype)[:, None]
    return 0.5 * ((sb * score_model(x0 + sb * noise, sigma) + noise) ** 2).mean()


def _dsm_variance_as_scale(score_model, x0, sigma, noise):
    """Mutant: x_tilde = x0 + sigma^2 noise (the variance used as the scale)."""
    sb = sigma.to(x0.dtype)[:, None]
    return 0.5 * ((sb * score_model(x0 + sb**2 * noise, sigma) + noise) ** 2).sum(1).mean()


def _langevin_noise_sqrt_step(x, score, step_size, noise):
    """Mutant: sqrt(step_size) noise, the factor 2 forgotten."""
    return x + step_size * score + math.sqrt(step_size) * noise


def _langevin_noise_no_sqrt(x, score, step_size, noise):
    """Mutant: 2 step_size noise, the square root forgotten."""
    return x + step_size * score + 2 * step_size * noise


def _langevin_drift_doubled(x, score, step_size, noise):
    """Mutant: 2 step_size score (epsilon in place of epsilon / 2 in the drift)."""
    return x + 2 * step_size * score + math.sqrt(2 * step_size) * noise


def _annealed(step, *, inverted=False, unsquared=False, reversed_noise=False, float_sigma=False):
    """A mutant of annealed_langevin: `step(alpha_i)` is the step_size passed to langevin_step."""
    def annealed_langevin(x, score_fn, sigmas, step_lr, n_steps, noise):
        for i in range(sigmas.shape[0]):
            ratio = float(sigmas[-1]) / float(sigmas[i]) if inverted else float(sigmas[i]) / float(sigmas[-1])
            alpha_i = step_lr * (ratio if unsquared else ratio**2)
            for j in range(n_steps):
                z = noise[i, n_steps - 1 - j] if reversed_noise else noise[i, j]
                sigma = float(sigmas[i]) if float_sigma else sigmas[i]
                x = langevin_step(x, score_fn(x, sigma), step(alpha_i), z)
        return x
    return annealed_langevin


def _pm_sigma_not_squared(y, x_prior, sigma):
    """Mutant: the log-weights divided by 2 sigma instead of 2 sigma^2."""
    d2 = ((y[:, None] - x_prior.to(y.dtype)[None]) ** 2).sum(-1)
    return torch.softmax(-d2 / (2 * sigma), dim=1) @ x_prior.to(y.dtype)


def _pm_wrong_axis(y, x_prior, sigma):
    """Mutant: the weights normalised over the points y instead of over the prior samples."""
    d2 = ((y[:, None] - x_prior.to(y.dtype)[None]) ** 2).sum(-1)
    return torch.softmax(-d2 / (2 * sigma**2), dim=0) @ x_prior.to(y.dtype)


def _pm_unstable(y, x_prior, sigma):
    """Mutant: the likelihoods exponentiated before normalising (0 / 0 far from every sample)."""
    d2 = ((y[:, None] - x_prior.to(y.dtype)[None]) ** 2).sum(-1)
    w = torch.exp(-d2 / (2 * sigma**2))
    return (w / w.sum(1, keepdim=True)) @ x_prior.to(y.dtype)


def _gap_esm_unweighted(score_model, x0, sigma, noise, true_score):
    """Mutant: the explicit term without the sigma^2 weight (then the gap depends on the model)."""
    sb = sigma.to(x0.dtype)[:, None]
    x_tilde = x0 + sb * noise
    s = score_model(x_tilde, sigma)
    return (0.5 * ((sb * s + noise) ** 2).sum(1) - 0.5 * ((s - true_score(x_tilde, sigma)) ** 2).sum(1)).mean()


def _gap_reversed(score_model, x0, sigma, noise, true_score):
    """Mutant: J_ESM - J_DSM."""
    from course_core.score import dsm_esm_gap as right

    return -right(score_model, x0, sigma, noise, true_score)


def _gap_true_score_at_clean_data(score_model, x0, sigma, noise, true_score):
    """Mutant: the true score evaluated at x0 instead of x_tilde."""
    sb = sigma.to(x0.dtype)[:, None]
    x_tilde = x0 + sb * noise
    s = score_model(x_tilde, sigma)
    esm = 0.5 * sb[:, 0] ** 2 * ((s - true_score(x0, sigma)) ** 2).sum(1)
    return (0.5 * ((sb * s + noise) ** 2).sum(1) - esm).mean()


def _chain(x_init, s2, step_size, noise, *, score_scale=None, stat="var"):
    x = x_init
    for k in range(noise.shape[0]):
        x = langevin_step(x, -x / (score_scale or s2), step_size, noise[k])
    if stat == "population":
        return x.var(dim=0, unbiased=False)
    if stat == "second_moment":
        return (x**2).mean(0)
    return x.var(dim=0)


def _chain_population_variance(x_init, s2, step_size, noise):
    """Mutant: the variance with denominator N."""
    return _chain(x_init, s2, step_size, noise, stat="population")


def _chain_score_over_std(x_init, s2, step_size, noise):
    """Mutant: the score -x / s (the standard deviation) for -x / s^2."""
    return _chain(x_init, s2, step_size, noise, score_scale=math.sqrt(s2))


def _chain_second_moment(x_init, s2, step_size, noise):
    """Mutant: the uncentred second moment mean x^2."""
    return _chain(x_init, s2, step_size, noise, stat="second_moment")


_annealed_ok = _annealed(lambda a: a / 2)
MUTANTS = [
    pytest.param(_check_score_eps, ((4, 2), 0, torch.float64), [(THIS, "score_from_eps", _score_from_eps_no_sqrt)],
                 id="score-from-eps-no-sqrt"),
    pytest.param(_check_score_eps, ((4, 2), 0, torch.float32), [(THIS, "score_from_eps", _score_from_eps_sign)],
                 id="score-from-eps-sign"),
    pytest.param(_check_score_eps, ((4, 2), 0, torch.float64), [(THIS, "score_from_eps", _score_from_eps_prev_index)],
                 id="score-from-eps-prev-index"),
    pytest.param(_check_score_eps, ((4, 2), 0, torch.float32), [(THIS, "eps_from_score", _eps_from_score_divides)],
                 id="eps-from-score-divides"),
    pytest.param(_check_x0_from_score, ((4, 2), 0, torch.float64), [(THIS, "x0_from_score", _x0_from_score_no_sqrt)],
                 id="x0-from-score-no-sqrt"),
    pytest.param(_check_dsm_loss, (), [(THIS, "dsm_loss", _dsm_lambda_one)], id="dsm-lambda-one"),
    pytest.param(_check_dsm_loss, (), [(THIS, "dsm_loss", _dsm_no_half)], id="dsm-no-half"),
    pytest.param(_check_dsm_loss, (), [(THIS, "dsm_loss", _dsm_mean_over_dims)], id="dsm-mean-over-dims"),
    pytest.param(_check_dsm_loss, (), [(THIS, "dsm_loss", _dsm_variance_as_scale)], id="dsm-variance-as-scale"),
    pytest.param(test_langevin_stationary_variance_gaussian_oracle, (),
                 [(THIS, "langevin_step", _langevin_noise_sqrt_step)], id="langevin-noise-sqrt-step"),
    pytest.param(test_langevin_stationary_variance_gaussian_oracle, (),
                 [(THIS, "langevin_step", _langevin_noise_no_sqrt)], id="langevin-noise-no-sqrt"),
    pytest.param(test_langevin_stationary_variance_gaussian_oracle, (),
                 [(THIS, "langevin_step", _langevin_drift_doubled)], id="langevin-drift-doubled"),
    pytest.param(_check_annealed_langevin_gaussian_map, (), [(THIS, "annealed_langevin", _annealed(lambda a: a))],
                 id="annealed-step-alpha-not-half"),
    pytest.param(_check_annealed_langevin_gaussian_map, (),
                 [(THIS, "annealed_langevin", _annealed(lambda a: a / 2, inverted=True))],
                 id="annealed-inverted-ratio"),
    pytest.param(_check_annealed_langevin_gaussian_map, (),
                 [(THIS, "annealed_langevin", _annealed(lambda a: a / 2, unsquared=True))], id="annealed-unsquared"),
    pytest.param(_check_annealed_langevin_gaussian_map, (),
                 [(THIS, "annealed_langevin", _annealed(lambda a: a / 2, reversed_noise=True))],
                 id="annealed-noise-order"),
    pytest.param(_check_annealed_langevin_gaussian_map, (),
                 [(THIS, "annealed_langevin", _annealed(lambda a: a / 2, float_sigma=True))],
                 id="annealed-float-sigma"),
    pytest.param(_check_annealed_langevin_gaussian_map, (),
                 [(THIS, "annealed_langevin", _annealed_ok), (THIS, "langevin_step", _langevin_noise_sqrt_step)],
                 id="annealed-langevin-step-noise"),
    pytest.param(test_posterior_mean_mc_gaussian_prior_oracle, (), [(THIS, "posterior_mean_mc", _pm_sigma_not_squared)],
                 id="pm-sigma-not-squared"),
    pytest.param(test_posterior_mean_mc_gaussian_prior_oracle, (), [(THIS, "posterior_mean_mc", _pm_wrong_axis)],
                 id="pm-wrong-axis"),
    pytest.param(test_posterior_mean_mc_limits_and_far_field, (), [(THIS, "posterior_mean_mc", _pm_unstable)],
                 id="pm-unstable"),
    pytest.param(test_posterior_mean_mc_properties, (), [(THIS, "posterior_mean_mc", _pm_wrong_axis)],
                 id="pm-properties-wrong-axis"),
    pytest.param(test_dsm_esm_gap_is_vincents_constant_for_every_model, (), [(THIS, "dsm_esm_gap", _gap_esm_unweighted)],
                 id="gap-esm-unweighted"),
    pytest.param(test_dsm_esm_gap_is_vincents_constant_for_every_model, (), [(THIS, "dsm_esm_gap", _gap_reversed)],
                 id="gap-reversed"),
    pytest.param(test_dsm_esm_gap_is_dsm_loss_minus_the_explicit_objective, (),
                 [(THIS, "dsm_esm_gap", _gap_true_score_at_clean_data)], id="gap-true-score-at-x0"),
    pytest.param(test_langevin_chain_variance_is_the_unrolled_ar1_chain, (),
                 [(THIS, "langevin_chain_variance", _chain_population_variance)], id="chain-population-variance"),
    pytest.param(test_langevin_chain_variance_is_the_unrolled_ar1_chain, (),
                 [(THIS, "langevin_chain_variance", _chain_score_over_std)], id="chain-score-over-std"),
    pytest.param(test_langevin_chain_variance_is_the_unrolled_ar1_chain, (),
                 [(THIS, "langevin_chain_variance", _chain_second_moment)], id="chain-second-moment"),
    pytest.param(test_langevin_chain_variance_is_biased_as_derived, (),
                 [(SCORE, "langevin_step", _langevin_drift_doubled)], id="chain-bias-step-drift-doubled"),
    pytest.param(test_langevin_chain_variance_is_biased_as_derived, (),
                 [(SCORE, "langevin_step", _langevin_noise_sqrt_step)], id="chain-bias-step-noise-sqrt"),
]


def test_the_mutant_template_is_correct():
    """The unbroken instance of the annealed_langevin mutant template passes, so the mutants differ by one mistake."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(THIS, "annealed_langevin", _annealed_ok)
        _check_annealed_langevin_gaussian_map()


@pytest.mark.parametrize("check,args,broken", MUTANTS)
def test_repaired_tests_catch_mutant(check, args, broken):
    """The repaired test body fails (with an assertion) when a realistic mistake is patched in."""
    catches(check, *args, broken=broken)


def test_langevin_stationary_variance_is_the_ar1_fixed_point_and_what_the_chains_reach():
    """Reference: the fixed point v = a^2 v + 2 step of the AR(1) map that langevin_step makes on N(0, s2)
    (a = the step applied to x = 1 with no noise); then the simulated variance of langevin_chain_variance
    (20000 chains from N(0, s2), 200 steps, 5 standard errors of a sample variance); elementwise on tensors."""
    from course_core.score import langevin_stationary_variance

    one, zero = torch.ones(1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)
    for s2, step in ((1.0, 0.2), (2.0, 1.5), (0.5, 0.9)):
        a = langevin_step(one, -one / s2, step, zero).item()
        assert math.isclose(langevin_stationary_variance(s2, step), 2 * step / (1 - a**2), rel_tol=1e-12)
        assert langevin_stationary_variance(s2, step) > s2
    g = torch.Generator().manual_seed(11)
    x_init = torch.randn(20_000, 1, generator=g, dtype=torch.float64)
    noise = torch.randn(200, 20_000, 1, generator=g, dtype=torch.float64)
    v = langevin_stationary_variance(1.0, 0.5)
    assert abs(langevin_chain_variance(x_init, 1.0, 0.5, noise).item() - v) < 5 * math.sqrt(2 / 20_000) * v
    got = langevin_stationary_variance(torch.tensor([1.0, 2.0], dtype=torch.float64), torch.tensor([0.1, 0.1]))
    torch.testing.assert_close(got, torch.tensor([1 / 0.95, 2 / 0.975], dtype=torch.float64), rtol=1e-7, atol=0)
