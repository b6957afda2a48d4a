"""Gaussian mixtures: exact identities (autograd, finite differences, scipy, Tweedie), stability and sampling."""
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from course_core.gmm import GaussianMixture, gmm_score


def _random_mixture(seed, K, d, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    weights = torch.rand(K, generator=g, dtype=dtype) + 0.1
    weights = weights / weights.sum()
    means = 3 * torch.randn(K, d, generator=g, dtype=dtype)
    A = torch.randn(K, d, d, generator=g, dtype=dtype)
    covs = A @ A.transpose(1, 2) / d + 0.2 * torch.eye(d, dtype=dtype)
    return GaussianMixture(weights, means, covs)


def _points(seed, n, d, scale=4.0, dtype=torch.float64):
    return scale * torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=dtype)


mixtures = st.builds(_random_mixture, seed=st.integers(0, 10**6), K=st.integers(1, 4), d=st.integers(1, 3))


@given(gmm=mixtures, seed=st.integers(0, 10**6))
def test_score_is_gradient_of_log_prob(gmm, seed):
    x = _points(seed, 16, gmm.dim).requires_grad_(True)
    (grad,) = torch.autograd.grad(gmm.log_prob(x).sum(), x)
    torch.testing.assert_close(gmm.score(x.detach()), grad, rtol=1e-9, atol=1e-9)


@given(gmm=mixtures, seed=st.integers(0, 10**6))
def test_score_matches_central_finite_differences(gmm, seed):
    x = _points(seed, 8, gmm.dim, scale=2.0)
    h = 1e-5
    fd = torch.stack([(gmm.log_prob(x + h * e) - gmm.log_prob(x - h * e)) / (2 * h)
                      for e in torch.eye(gmm.dim, dtype=x.dtype)], dim=1)
    # central differences: truncation O(h^2 * |third derivative|) + round-off O(eps |log p| / h) ~ 1e-6
    torch.testing.assert_close(gmm.score(x), fd, rtol=1e-5, atol=1e-5)


@given(gmm=mixtures, seed=st.integers(0, 10**6))
def test_log_prob_matches_scipy(gmm, seed):
    from scipy.stats import multivariate_normal

    x = _points(seed, 8, gmm.dim)
    dens = sum(w.item() * multivariate_normal(m.numpy(), c.numpy()).pdf(x.numpy())
               for w, m, c in zip(gmm.weights, gmm.means, gmm.covs))
    expected = torch.log(torch.as_tensor(dens, dtype=torch.float64).reshape(-1))
    torch.testing.assert_close(gmm.log_prob(x), expected, rtol=1e-9, atol=1e-9)


@given(gmm=mixtures, seed=st.integers(0, 10**6))
def test_responsibilities_are_a_distribution(gmm, seed):
    r = gmm.responsibilities(_points(seed, 10, gmm.dim))
    assert r.shape == (10, gmm.weights.shape[0])
    assert torch.all(r >= 0)
    torch.testing.assert_close(r.sum(1), torch.ones(10, dtype=r.dtype), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("far", [1e3, -1e3, 1e4])
def test_stable_far_from_every_mode(far):
    """Every component density underflows to 0 at |x| = 1e3, yet log-sum-exp keeps everything finite and the
    score equals that of the nearest (in Mahalanobis terms, dominant) component."""
    gmm = _random_mixture(0, K=4, d=2)
    x = torch.full((3, 2), far, dtype=torch.float64)
    x[1, 1] = -far
    score, logp = gmm.score(x), gmm.log_prob(x)
    assert torch.all(torch.isfinite(score)) and torch.all(torch.isfinite(logp))
    k = gmm.responsibilities(x).argmax(1)
    expected = -torch.linalg.solve(gmm.covs[k], (x - gmm.means[k])[..., None])[..., 0]
    torch.testing.assert_close(score, expected, rtol=1e-8, atol=1e-8)
    # the same for float32 points
    assert torch.all(torch.isfinite(gmm_score(x.float(), gmm.weights, gmm.means, gmm.covs)))


def test_gmm_score_function_matches_class_and_keeps_dtype():
    gmm = _random_mixture(1, K=3, d=2)
    x = _points(2, 5, 2)
    torch.testing.assert_close(gmm_score(x, gmm.weights, gmm.means, gmm.covs), gmm.score(x), rtol=0, atol=0)
    out32 = gmm_score(x.float(), gmm.weights, gmm.means, gmm.covs)
    assert out32.dtype == torch.float32 and out32.shape == (5, 2)


def test_sample_moments():
    """200k draws: mean and covariance within 5 standard errors (tolerances from the exact moments)."""
    gmm = _random_mixture(3, K=3, d=2)
    n = 200_000
    x = gmm.sample(n, generator=torch.Generator().manual_seed(0))
    assert x.shape == (n, 2) and x.dtype == torch.float64
    w, mu, cov = gmm.weights, gmm.means, gmm.covs
    m = (w[:, None] * mu).sum(0)
    second = (w[:, None, None] * (cov + mu[:, :, None] * mu[:, None, :])).sum(0)
    C = second - m[:, None] * m[None, :]
    se_mean = torch.sqrt(torch.diagonal(C) / n)
    assert torch.all((x.mean(0) - m).abs() < 5 * se_mean)
    emp_C = torch.cov(x.T)
    # Gaussian SE of a sample covariance, doubled because mixtures have heavier fourth moments
    se_C = 2 * torch.sqrt((C**2 + torch.outer(torch.diagonal(C), torch.diagonal(C))) / n)
    assert torch.all((emp_C - C).abs() < 5 * se_C)
    y = gmm.sample(5, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(y, gmm.sample(5, generator=torch.Generator().manual_seed(0)), rtol=0, atol=0)


@given(gmm=mixtures, alpha_bar=st.floats(0.01, 0.99), seed=st.integers(0, 10**6))
def test_tweedie_vp(gmm, alpha_bar, seed):
    """E[x0 | x_t] = (x_t + (1 - alpha_bar) * score_t(x_t)) / sqrt(alpha_bar) with the exact noised score."""
    x_t = _points(seed, 12, gmm.dim, scale=3.0)
    tweedie = (x_t + (1 - alpha_bar) * gmm.noised_vp(alpha_bar).score(x_t)) / math.sqrt(alpha_bar)
    torch.testing.assert_close(gmm.denoise_vp(x_t, alpha_bar), tweedie, rtol=1e-8, atol=1e-8)


@given(gmm=mixtures, sigma=st.floats(0.01, 10.0), seed=st.integers(0, 10**6))
def test_tweedie_ve(gmm, sigma, seed):
    """E[x0 | y] = y + sigma^2 * score_sigma(y) with the exact noised score."""
    y = _points(seed, 12, gmm.dim, scale=3.0)
    tweedie = y + sigma**2 * gmm.noised_ve(sigma).score(y)
    torch.testing.assert_close(gmm.denoise_ve(y, sigma), tweedie, rtol=1e-8, atol=1e-7)


def test_noised_parameters():
    gmm = _random_mixture(4, K=2, d=2)
    vp = gmm.noised_vp(0.3)
    torch.testing.assert_close(vp.means, math.sqrt(0.3) * gmm.means)
    torch.testing.assert_close(vp.covs, 0.3 * gmm.covs + 0.7 * torch.eye(2, dtype=torch.float64))
    ve = gmm.noised_ve(torch.tensor(2.0))
    torch.testing.assert_close(ve.covs, gmm.covs + 4.0 * torch.eye(2, dtype=torch.float64))
    torch.testing.assert_close(ve.means, gmm.means)


def test_one_dimensional_gaussian_posterior_mean():
    """K = 1, d = 1: E[x | y] = (s^2 y + sigma^2 mu) / (s^2 + sigma^2)."""
    mu, s2, sigma = 0.7, 0.5, 1.3
    gmm = GaussianMixture(torch.ones(1, dtype=torch.float64), torch.tensor([[mu]], dtype=torch.float64),
                          torch.tensor([[[s2]]], dtype=torch.float64))
    y = torch.linspace(-5, 5, 11, dtype=torch.float64)[:, None]
    torch.testing.assert_close(gmm.denoise_ve(y, sigma), (s2 * y + sigma**2 * mu) / (s2 + sigma**2))


@pytest.mark.parametrize("kind", ["vp", "ve"])
def test_denoiser_is_the_conditional_mean_monte_carlo(kind):
    """The residual x0 - E[x0|x_t] has mean 0 and is orthogonal to x_t (within 5 standard errors, 100k draws)."""
    gmm = _random_mixture(5, K=3, d=2)
    g = torch.Generator().manual_seed(1)
    n = 100_000
    x0 = gmm.sample(n, generator=g)
    z = torch.randn(n, 2, generator=g, dtype=torch.float64)
    if kind == "vp":
        x_t = math.sqrt(0.4) * x0 + math.sqrt(0.6) * z
        res = x0 - gmm.denoise_vp(x_t, 0.4)
    else:
        x_t = x0 + 1.5 * z
        res = x0 - gmm.denoise_ve(x_t, 1.5)
    feats = torch.cat([res, res[:, :1] * x_t, res[:, 1:] * x_t], dim=1)  # (n, 6)
    assert torch.all(feats.mean(0).abs() < 5 * feats.std(0) / math.sqrt(n))
