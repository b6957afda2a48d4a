"""Scores, Tweedie, DSM and Langevin: identities against the exact mixture and a Gaussian ULA oracle."""
import math

import torch
from hypothesis import given
from hypothesis import strategies as st

from course_core.ddpm import predict_x0_from_eps
from course_core.gmm import GaussianMixture
from course_core.schedules import alpha_bar_from_beta, cosine_beta_schedule, linear_beta_schedule
from course_core.score import (
    annealed_langevin,
    dsm_loss,
    eps_from_score,
    langevin_step,
    score_from_eps,
    tweedie_denoiser,
    x0_from_score,
)

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


@given(shape=st.sampled_from([(4, 2), (2, 3, 4, 4)]), seed=st.integers(0, 10**6),
       dtype=st.sampled_from([torch.float32, torch.float64]))
def test_score_eps_round_trip_and_x0_consistency(shape, seed, dtype):
    eps = _randn(*shape, seed=seed, dtype=dtype)
    x_t = _randn(*shape, seed=seed + 1, dtype=dtype)
    t = torch.randint(0, T, (shape[0],), generator=torch.Generator().manual_seed(seed))
    score = score_from_eps(eps, t, ALPHA_BAR)
    assert score.dtype == dtype and score.shape == shape
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    torch.testing.assert_close(eps_from_score(score, t, ALPHA_BAR), eps, rtol=tol, atol=tol)
    tol = 1e-10 if dtype == torch.float64 else 2e-3
    torch.testing.assert_close(x0_from_score(x_t, t, score, ALPHA_BAR), predict_x0_from_eps(x_t, t, eps, ALPHA_BAR),
                               rtol=tol, atol=tol)


@given(t=st.integers(0, 999), seed=st.integers(0, 10**6))
def test_x0_from_score_with_exact_noised_score_is_exact_vp_denoiser(t, seed):
    gmm = _ring()
    alpha_bar = alpha_bar_from_beta(cosine_beta_schedule(T))
    ab = alpha_bar[t].item()
    x_t = 2 * _randn(6, 2, seed=seed)
    tt = torch.full((6,), t)
    out = x0_from_score(x_t, tt, gmm.noised_vp(ab).score(x_t), alpha_bar)
    torch.testing.assert_close(out, gmm.denoise_vp(x_t, ab), rtol=1e-6, atol=1e-6)


def test_dsm_loss_formula_and_point_mass_oracle():
    x0, noise = _randn(16, 2, seed=1), _randn(16, 2, seed=2)
    sigma = torch.linspace(0.1, 3.0, 16, dtype=torch.float64)
    zero = dsm_loss(lambda x, s: torch.zeros_like(x), x0, sigma, noise)
    torch.testing.assert_close(zero, 0.5 * (noise**2).sum(1).mean(), rtol=1e-12, atol=0)
    # data = one point c: the exact noised score -(x - c)/sigma^2 gives loss 0
    c = torch.tensor([0.3, -1.2], dtype=torch.float64)
    point = dsm_loss(lambda x, s: -(x - c) / s[:, None] ** 2, c.expand(16, 2), sigma, noise)
    assert point.item() < 1e-20


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


def test_langevin_step_formula():
    x, score, noise = _randn(5, 2, seed=1), _randn(5, 2, seed=2), _randn(5, 2, seed=3)
    torch.testing.assert_close(langevin_step(x, score, 0.01, noise), x + 0.01 * score + math.sqrt(0.02) * noise,
                               rtol=0, atol=0)


def test_langevin_stationary_variance_gaussian_oracle():
    """ULA on N(0, s^2): x' = (1 - h/s^2) x + sqrt(2h) z has stationary variance s^2 / (1 - h / (2 s^2)).

    4000 chains after 400 burn-in steps (mixing factor (1-h/s^2)^400 < 1e-8); tolerance 5 standard errors
    of a sample variance, sqrt(2/n) * var.
    """
    s2, h, n = 2.0, 0.1, 4000
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(n, 1, dtype=torch.float64)
    for _ in range(400):
        x = langevin_step(x, -x / s2, h, torch.randn(n, 1, generator=g, dtype=torch.float64))
    expected = s2 / (1 - h / (2 * s2))
    assert abs(x.var().item() - expected) < 5 * math.sqrt(2 / n) * expected


def test_annealed_langevin_equals_manual_loop_and_accepts_tensor_sigma():
    sigmas = torch.tensor([1.0, 0.5, 0.1], dtype=torch.float64)
    noise = _randn(3, 4, 6, 2, seed=5)
    x_init = _randn(6, 2, seed=6)
    seen = []

    def score_fn(x, sigma):
        seen.append(sigma)
        return -x / (1 + sigma**2)

    out = annealed_langevin(x_init, score_fn, sigmas, 1e-3, 4, noise)
    x = x_init
    for i in range(3):
        a = 1e-3 * sigmas[i].item() ** 2 / sigmas[-1].item() ** 2
        for j in range(4):
            x = x + a / 2 * (-x / (1 + sigmas[i] ** 2)) + math.sqrt(a) * noise[i, j]
    torch.testing.assert_close(out, x, rtol=1e-12, atol=1e-12)
    assert len(seen) == 12 and all(torch.is_tensor(s) and s.dim() == 0 for s in seen)


def test_annealed_langevin_samples_the_ring():
    """With the exact noised scores, annealed Langevin lands on the ring and visits every mode."""
    gmm = _ring()
    sigmas = torch.logspace(math.log10(3.0), math.log10(0.05), 10, dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    x_init = 3 * torch.randn(1000, 2, generator=g, dtype=torch.float64)
    noise = torch.randn(10, 30, 1000, 2, generator=g, dtype=torch.float64)
    x = annealed_langevin(x_init, lambda x, s: gmm.noised_ve(s).score(x), sigmas, 1e-3, 30, noise)
    r = x.norm(dim=1)
    assert (r - 2).abs().median() < 0.2
    counts = torch.bincount(gmm.responsibilities(x).argmax(1), minlength=8)
    assert counts.min() > 1000 / 8 / 2
