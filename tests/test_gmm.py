"""Gaussian mixtures: exact identities (autograd, finite differences, scipy, torch.distributions, quadrature,
Tweedie), stability and sampling; and mutation tests showing that the repaired tests fail on broken code."""
import math
import sys

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from mutation import catches, edited

import course_core.gmm as gmm_module
from course_core.gmm import GaussianMixture, gmm_score, mixture_eps

THIS = sys.modules[__name__]


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


def _check_responsibilities(gmm, x):
    from scipy.special import softmax
    from scipy.stats import multivariate_normal

    log_joint = torch.stack([math.log(w.item()) + torch.as_tensor(multivariate_normal(m.numpy(), c.numpy()).logpdf(
        x.numpy()), dtype=torch.float64).reshape(-1) for w, m, c in zip(gmm.weights, gmm.means, gmm.covs)], dim=1)
    expected = torch.as_tensor(softmax(log_joint.numpy(), axis=1))
    r = gmm.responsibilities(x)
    assert r.shape == expected.shape
    # float64 round-off of log-densities of size <= 1e3 (points at 4 sd): absolute error ~1e-13 on probabilities
    torch.testing.assert_close(r, expected, rtol=1e-9, atol=1e-12)


@given(gmm=mixtures, seed=st.integers(0, 10**6))
def test_responsibilities_are_bayes_rule_with_scipy_densities(gmm, seed):
    """Reference: Bayes' rule p(k | x) = pi_k N_k(x) / sum_j pi_j N_j(x), with scipy's log-densities."""
    _check_responsibilities(gmm, _points(seed, 10, gmm.dim))


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


def _torch_distributions_mixture(gmm):
    """The same mixture written with torch.distributions: code that shares nothing with course_core.gmm."""
    D = torch.distributions
    return D.MixtureSameFamily(D.Categorical(probs=gmm.weights), D.MultivariateNormal(gmm.means, gmm.covs))


def _check_gmm_score(gmm, x):
    x32 = x.float()
    x = x32.double().requires_grad_(True)  # the float32 points, exactly, in float64
    (grad,) = torch.autograd.grad(_torch_distributions_mixture(gmm).log_prob(x).sum(), x)
    # float64: round-off of two independent Cholesky-based evaluations (covariances with condition number < 100)
    torch.testing.assert_close(gmm_score(x.detach(), gmm.weights, gmm.means, gmm.covs), grad, rtol=1e-9, atol=1e-9)
    out32 = gmm_score(x32, gmm.weights, gmm.means, gmm.covs)
    assert out32.dtype == torch.float32 and out32.shape == x.shape
    # float32 result of a float64 computation: only the final cast, relative 6e-8, rounds
    torch.testing.assert_close(out32, grad.float(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("seed,K,d", [(1, 3, 2), (6, 4, 3), (7, 2, 1)])
def test_gmm_score_is_autograd_of_torch_distributions_mixture_and_keeps_dtype(seed, K, d):
    """Reference: autograd of torch.distributions' MixtureSameFamily(Categorical, MultivariateNormal) log-density.
    float32 points give a float32 score equal to the float64 reference at those points, rounded."""
    _check_gmm_score(_random_mixture(seed, K=K, d=d), _points(seed + 1, 12, d))


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


def _convolved_log_density(gmm, y, scale, noise_var, lim=10.0, h=0.1):
    """log p(y), p(y) = integral of p0(x) N(y; scale x, noise_var I) dx, by a Riemann sum on a 2-D grid over
    [-lim, lim]^2 with p0 and the kernel from scipy (no course_core code).

    The integrand is a smooth Gaussian-mixture density in x with standard deviations >= 0.6 >> h, so the grid sum
    is exact to ~exp(-2 pi^2 (0.6 / h)^2) (spectral accuracy of the trapezoid rule), and the mass of p0 outside
    the box (means within 2 of the origin, sd <= 1.4, 5.8 sd away) is < 1e-8 (measured error of log p: 1e-15)."""
    from scipy.stats import multivariate_normal

    g = torch.arange(-lim, lim + h / 2, h, dtype=torch.float64)
    grid = torch.stack(torch.meshgrid(g, g, indexing="ij"), dim=-1).reshape(-1, 2).numpy()  # (M, 2)
    p0 = sum(w.item() * multivariate_normal(m.numpy(), c.numpy()).pdf(grid)
             for w, m, c in zip(gmm.weights, gmm.means, gmm.covs))  # (M,)
    kernel = multivariate_normal([0.0, 0.0], noise_var * torch.eye(2, dtype=torch.float64).numpy())
    dens = [h * h * (p0 * kernel.pdf(yi.numpy() - scale * grid)).sum() for yi in y]
    return torch.log(torch.tensor(dens, dtype=torch.float64))


def _check_noised_mixtures(gmm, y):
    # tolerance 1e-7 on log p: the quadrature and truncation errors above are < 1e-8 relative
    torch.testing.assert_close(gmm.noised_vp(0.3).log_prob(y), _convolved_log_density(gmm, y, math.sqrt(0.3), 0.7),
                               rtol=0, atol=1e-7)
    torch.testing.assert_close(gmm.noised_ve(torch.tensor(2.0)).log_prob(y), _convolved_log_density(gmm, y, 1.0, 4.0),
                               rtol=0, atol=1e-7)


def test_noised_mixtures_are_the_convolved_densities():
    """Reference: the law of sqrt(ab) x0 + sqrt(1 - ab) eps (VP) and of x0 + sigma z (VE, sigma a 0-d tensor) by
    numerical convolution of scipy densities; compared through log_prob on a few points."""
    _check_noised_mixtures(_random_mixture(1, K=2, d=2), _points(2, 6, 2, scale=1.5))


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


# ----------------------------------------------------------------------------- the exact noise predictor


def _check_mixture_eps(gmm, alpha_bar, x):
    """Reference: -sqrt(1 - ab) times the closed-form score of the noised mixture (GaussianMixture.noised_vp), a
    route that shares nothing with mixture_eps's autograd through torch.distributions."""
    want = -math.sqrt(1 - alpha_bar) * gmm.noised_vp(alpha_bar).score(x)
    with torch.no_grad():  # as the notebook calls it, inside a sampler
        got = mixture_eps(x, alpha_bar, gmm.weights, gmm.means, gmm.covs)
    assert got.shape == x.shape and got.dtype == x.dtype and not got.requires_grad
    # float64 round-off of two Cholesky-based evaluations (covariances with condition number < 100)
    torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9)


@given(gmm=mixtures, alpha_bar=st.floats(0.001, 1.0), seed=st.integers(0, 10**6))
def test_mixture_eps_is_the_scaled_score_of_the_noised_mixture(gmm, alpha_bar, seed):
    _check_mixture_eps(gmm, alpha_bar, _points(seed, 9, gmm.dim, scale=3.0))


def test_mixture_eps_one_value_per_point_and_float32():
    """An (N,) alpha_bar gives each point its own noised mixture (equal to N scalar calls); float32 points give a
    float32 result, the float64 result rounded."""
    gmm = _random_mixture(4, K=3, d=2)
    x = _points(5, 6, 2)
    ab = torch.tensor([0.9, 0.1, 0.9, 0.5, 1.0, 0.1], dtype=torch.float64)
    got = mixture_eps(x, ab, gmm.weights, gmm.means, gmm.covs)
    rows = torch.cat([mixture_eps(x[i:i + 1], float(a), gmm.weights, gmm.means, gmm.covs) for i, a in enumerate(ab)])
    # the same arithmetic on batches of different sizes: round-off only
    torch.testing.assert_close(got, rows, rtol=1e-13, atol=1e-13)
    assert torch.all(got[4] == 0)  # alpha_bar = 1: no noise in x_t
    x32 = x.float()
    got32 = mixture_eps(x32, ab, gmm.weights, gmm.means, gmm.covs)
    assert got32.dtype == torch.float32
    torch.testing.assert_close(got32, mixture_eps(x32.double(), ab, gmm.weights, gmm.means, gmm.covs).float(),
                               rtol=0, atol=0)


def test_mixture_eps_is_the_conditional_mean_monte_carlo():
    """E[eps | x_t]: the residual eps - mixture_eps(x_t) has mean 0 and is orthogonal to x_t (within 5 standard
    errors, 100k draws of x0 and eps)."""
    gmm = _random_mixture(6, K=3, d=2)
    g = torch.Generator().manual_seed(2)
    n, ab = 100_000, 0.3
    eps = torch.randn(n, 2, generator=g, dtype=torch.float64)
    x_t = math.sqrt(ab) * gmm.sample(n, generator=g) + math.sqrt(1 - ab) * eps
    res = eps - mixture_eps(x_t, ab, gmm.weights, gmm.means, gmm.covs)
    feats = torch.cat([res, res[:, :1] * x_t, res[:, 1:] * x_t], dim=1)  # (n, 6)
    assert torch.all(feats.mean(0).abs() < 5 * feats.std(0) / math.sqrt(n))


# ----------------------------------------------------------------------------- mutation tests of the tests
# Each repaired test must fail on a realistic mistake. A mutant is patched where the test body looks the name up:
# this module for `gmm_score`, course_core.gmm for the functions behind GaussianMixture's methods, the class itself
# for `noised_vp` / `noised_ve`.


def _score_prior_weights(x, weights, means, covs):
    """Mutant: the prior weights pi_k in place of the responsibilities r_k(x)."""
    _, prec_diff = gmm_module._log_gauss_terms(x, weights, means, covs)
    return -(weights.to(prec_diff.dtype)[None, :, None] * prec_diff).sum(1).to(x.dtype)


def _score_covariance_not_precision(x, weights, means, covs):
    """Mutant: Sigma_k (x - mu_k) in place of Sigma_k^{-1} (x - mu_k)."""
    r = gmm_module.gmm_responsibilities(x, weights, means, covs).to(means.dtype)
    diff = x.to(means.dtype)[:, None, :] - means[None]
    return -(r[..., None] * (covs[None] @ diff[..., None])[..., 0]).sum(1).to(x.dtype)


def _score_promoted_dtype(x, weights, means, covs):
    """Mutant: returns the promoted dtype (float64) for float32 points."""
    log_terms, prec_diff = gmm_module._log_gauss_terms(x, weights, means, covs)
    return -(torch.softmax(log_terms, dim=1)[..., None] * prec_diff).sum(1)


def _responsibilities_without_weights(x, weights, means, covs):
    """Mutant: the normalised likelihoods N_k(x) / sum_j N_j(x), the prior weights forgotten."""
    log_terms, _ = gmm_module._log_gauss_terms(x, weights, means, covs)
    return torch.softmax(log_terms - torch.log(weights)[None], dim=1).to(x.dtype)


def _responsibilities_wrong_axis(x, weights, means, covs):
    """Mutant: the softmax normalises over the points instead of the components."""
    log_terms, _ = gmm_module._log_gauss_terms(x, weights, means, covs)
    return torch.softmax(log_terms, dim=0).to(x.dtype)


def _eye_like(covs):
    return torch.eye(covs.shape[-1], dtype=covs.dtype)


def _noised_vp_unscaled_cov(self, alpha_bar):
    """Mutant: N(sqrt(ab) mu, Sigma + (1 - ab) I), the covariance not scaled by alpha_bar."""
    ab = float(alpha_bar)
    return GaussianMixture(self.weights, math.sqrt(ab) * self.means, self.covs + (1 - ab) * _eye_like(self.covs))


def _noised_vp_mean_times_alpha_bar(self, alpha_bar):
    """Mutant: means scaled by alpha_bar instead of its square root."""
    ab = float(alpha_bar)
    return GaussianMixture(self.weights, ab * self.means, ab * self.covs + (1 - ab) * _eye_like(self.covs))


def _noised_ve_sigma_not_squared(self, sigma):
    """Mutant: Sigma + sigma I instead of Sigma + sigma^2 I."""
    return GaussianMixture(self.weights, self.means, self.covs + float(sigma) * _eye_like(self.covs))


_mixture_eps_no_sqrt = edited(mixture_eps, "eps[rows] = -torch.sqrt(1 - a) * grad", "eps[rows] = -(1 - a) * grad")
_mixture_eps_cov_unscaled = edited(mixture_eps, "a * cov + (1 - a) * eye", "cov + (1 - a) * eye")
_MIXTURE, _X = _random_mixture(2, K=3, d=2), _points(3, 10, 2)
MUTANTS = [
    pytest.param(_check_gmm_score, (_MIXTURE, _X), [(THIS, "gmm_score", _score_prior_weights)],
                 id="score-prior-weights"),
    pytest.param(_check_gmm_score, (_MIXTURE, _X), [(THIS, "gmm_score", _score_covariance_not_precision)],
                 id="score-covariance-not-precision"),
    pytest.param(_check_gmm_score, (_MIXTURE, _X), [(THIS, "gmm_score", _score_promoted_dtype)],
                 id="score-float64-out"),
    pytest.param(_check_responsibilities, (_MIXTURE, _X),
                 [(gmm_module, "gmm_responsibilities", _responsibilities_without_weights)], id="resp-no-weights"),
    pytest.param(_check_responsibilities, (_MIXTURE, _X),
                 [(gmm_module, "gmm_responsibilities", _responsibilities_wrong_axis)], id="resp-wrong-axis"),
    pytest.param(_check_noised_mixtures, (_random_mixture(1, K=2, d=2), _points(2, 6, 2, scale=1.5)),
                 [(GaussianMixture, "noised_vp", _noised_vp_unscaled_cov)], id="vp-unscaled-cov"),
    pytest.param(_check_noised_mixtures, (_random_mixture(1, K=2, d=2), _points(2, 6, 2, scale=1.5)),
                 [(GaussianMixture, "noised_vp", _noised_vp_mean_times_alpha_bar)], id="vp-mean-times-alpha-bar"),
    pytest.param(_check_noised_mixtures, (_random_mixture(1, K=2, d=2), _points(2, 6, 2, scale=1.5)),
                 [(GaussianMixture, "noised_ve", _noised_ve_sigma_not_squared)], id="ve-sigma-not-squared"),
    pytest.param(_check_mixture_eps, (_MIXTURE, 0.4, _X), [(THIS, "mixture_eps", _mixture_eps_no_sqrt)],
                 id="mixture-eps-no-sqrt"),
    pytest.param(_check_mixture_eps, (_MIXTURE, 0.4, _X), [(THIS, "mixture_eps", _mixture_eps_cov_unscaled)],
                 id="mixture-eps-covariance-not-scaled"),
]


@pytest.mark.parametrize("check,args,broken", MUTANTS)
def test_repaired_tests_catch_mutant(check, args, broken):
    """The repaired test body fails (with an assertion) when a realistic mistake is patched in."""
    catches(check, *args, broken=broken)
