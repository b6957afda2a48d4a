"""Gaussian conditioning and KL, the Gaussian posterior (Wiener), Tikhonov, soft thresholding, ISTA, the Laplace
MAP and MMSE, and flow log-densities, against oracles computed another way: the joint's precision matrix, Monte
Carlo with a fixed generator, ``normal_kl``, the DFT, autograd, brute-force minimization and quadrature on a grid,
and ``torch.distributions``."""
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from mutation import catches

from course_core.ddpm import normal_kl
from course_core.priors import (
    flow_log_prob,
    gaussian_condition,
    gaussian_kl,
    gaussian_posterior,
    gaussian_score,
    ista_step,
    laplace_map,
    laplace_mmse,
    mixture_mmse,
    soft_threshold,
    tikhonov,
    wiener_gain,
)

F64 = torch.float64


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _spd(d, g, batch=()):
    """A random symmetric positive-definite ``(*batch, d, d)`` matrix, well conditioned."""
    A = torch.randn(*batch, d, d, generator=g, dtype=F64)
    return A @ A.transpose(-1, -2) + 0.5 * torch.eye(d, dtype=F64)


# ---------------------------------------------------------------- gaussian_condition


@given(da=st.integers(1, 3), db=st.integers(1, 3), seed=st.integers(0, 10**6))
def test_condition_matches_the_precision_matrix_blocks(da, db, seed):
    # With Lambda = Sigma^{-1}: cov_{a|b} = Lambda_aa^{-1}, mean_{a|b} = mu_a - Lambda_aa^{-1} Lambda_ab (x_b - mu_b)
    # (the Schur complement computed through the inverse of the whole joint covariance).
    g = _gen(seed)
    cov = _spd(da + db, g)
    mu = torch.randn(da + db, generator=g, dtype=F64)
    x_b = torch.randn(5, db, generator=g, dtype=F64)
    mean, c = gaussian_condition(mu[:da], mu[da:], cov[:da, :da], cov[:da, da:], cov[da:, da:], x_b)
    prec = torch.linalg.inv(cov)
    c_ref = torch.linalg.inv(prec[:da, :da])
    mean_ref = mu[:da] - (x_b - mu[da:]) @ (c_ref @ prec[:da, da:]).T
    assert mean.shape == (5, da) and c.shape == (da, da)
    torch.testing.assert_close(c, c_ref, rtol=1e-9, atol=1e-10)
    torch.testing.assert_close(mean, mean_ref, rtol=1e-9, atol=1e-10)


def test_condition_of_a_bivariate_gaussian_is_the_regression_line():
    s1, s2, rho, mu1, mu2 = 1.5, 0.5, -0.6, 0.3, -1.0
    cov12 = torch.tensor([[rho * s1 * s2]], dtype=F64)
    x2 = torch.tensor([[0.2], [-3.0]], dtype=F64)
    mean, var = gaussian_condition(torch.tensor([mu1], dtype=F64), torch.tensor([mu2], dtype=F64),
                                   torch.tensor([[s1**2]], dtype=F64), cov12, torch.tensor([[s2**2]], dtype=F64), x2)
    torch.testing.assert_close(mean[:, 0], mu1 + rho * s1 / s2 * (x2[:, 0] - mu2))
    torch.testing.assert_close(var, torch.tensor([[s1**2 * (1 - rho**2)]], dtype=F64))


def test_condition_broadcasts_batched_covariances():
    g = _gen(3)
    cov = _spd(3, g, batch=(4,))  # one joint per sample
    mu = torch.randn(4, 3, generator=g, dtype=F64)
    x_b = torch.randn(4, 2, generator=g, dtype=F64)
    mean, c = gaussian_condition(mu[:, :1], mu[:, 1:], cov[:, :1, :1], cov[:, :1, 1:], cov[:, 1:, 1:], x_b)
    assert mean.shape == (4, 1) and c.shape == (4, 1, 1)
    for i in range(4):
        m_i, c_i = gaussian_condition(mu[i, :1], mu[i, 1:], cov[i, :1, :1], cov[i, :1, 1:], cov[i, 1:, 1:],
                                      x_b[i:i + 1])
        torch.testing.assert_close(mean[i], m_i[0])
        torch.testing.assert_close(c[i], c_i)


def test_conditioning_on_an_independent_block_changes_nothing():
    cov = torch.diag(torch.tensor([2.0, 3.0, 0.5], dtype=F64))
    mu = torch.tensor([1.0, -2.0, 0.5], dtype=F64)
    mean, c = gaussian_condition(mu[:1], mu[1:], cov[:1, :1], cov[:1, 1:], cov[1:, 1:], torch.randn(3, 2, dtype=F64))
    torch.testing.assert_close(mean, mu[:1].expand(3, 1))
    torch.testing.assert_close(c, cov[:1, :1])


# ---------------------------------------------------------------- gaussian_kl


@given(d=st.integers(1, 4), seed=st.integers(0, 10**6))
def test_kl_with_diagonal_covariances_is_the_sum_of_normal_kl(d, seed):
    g = _gen(seed)
    m1, m2 = torch.randn(3, d, generator=g, dtype=F64), torch.randn(3, d, generator=g, dtype=F64)
    v1 = torch.rand(3, d, generator=g, dtype=F64) + 0.1
    v2 = torch.rand(3, d, generator=g, dtype=F64) + 0.1
    kl = gaussian_kl(m1, torch.diag_embed(v1), m2, torch.diag_embed(v2))
    torch.testing.assert_close(kl, normal_kl(m1, v1.log(), m2, v2.log()).sum(-1), rtol=1e-10, atol=1e-12)


def test_kl_matches_monte_carlo():
    g = _gen(0)
    d = 3
    m1, m2 = torch.randn(d, generator=g, dtype=F64), torch.randn(d, generator=g, dtype=F64)
    c1, c2 = _spd(d, g), _spd(d, g)
    p = torch.distributions.MultivariateNormal(m1, c1)
    q = torch.distributions.MultivariateNormal(m2, c2)
    L = torch.linalg.cholesky(c1)
    x = m1 + torch.randn(200_000, d, generator=g, dtype=F64) @ L.T  # draws of p from the fixed generator
    log_ratio = p.log_prob(x) - q.log_prob(x)
    kl = gaussian_kl(m1, c1, m2, c2)
    se = log_ratio.std() / math.sqrt(x.shape[0])
    assert abs(log_ratio.mean() - kl) < 5 * se
    torch.testing.assert_close(kl, torch.distributions.kl_divergence(p, q), rtol=1e-10, atol=1e-12)


def test_kl_is_zero_for_equal_gaussians_and_asymmetric_otherwise():
    g = _gen(1)
    m, c = torch.randn(2, generator=g, dtype=F64), _spd(2, g)
    assert abs(float(gaussian_kl(m, c, m, c))) < 1e-12
    c2 = 3 * c
    forward, backward = float(gaussian_kl(m, c, m, c2)), float(gaussian_kl(m, c2, m, c))
    assert forward > 0 and backward > 0 and abs(forward - backward) > 0.1
    # Equal means, covariances scaled by k: KL = d/2 (1/k - 1 + log k).
    assert math.isclose(forward, (1 / 3 - 1 + math.log(3)), rel_tol=1e-10)


def test_kl_broadcasts_a_batch_of_means_against_one_covariance():
    g = _gen(2)
    m1 = torch.randn(6, 2, generator=g, dtype=F64)
    c1, c2 = _spd(2, g), _spd(2, g)
    kl = gaussian_kl(m1, c1, torch.zeros(2, dtype=F64), c2)
    assert kl.shape == (6,)
    torch.testing.assert_close(kl[4], gaussian_kl(m1[4], c1, torch.zeros(2, dtype=F64), c2))


# ---------------------------------------------------------------- gaussian_posterior and the Wiener filter


@given(d=st.integers(1, 4), m=st.integers(1, 4), seed=st.integers(0, 10**6))
def test_posterior_matches_the_information_form(d, m, seed):
    # Precision form: cov_post = (cov^{-1} + H^T H / s^2)^{-1}, mean_post = cov_post (cov^{-1} mu + H^T y / s^2).
    g = _gen(seed)
    H = torch.randn(m, d, generator=g, dtype=F64)
    cov, mu = _spd(d, g), torch.randn(d, generator=g, dtype=F64)
    y = torch.randn(4, m, generator=g, dtype=F64)
    s = 0.7
    mean, c = gaussian_posterior(y, H, s, mu, cov)
    prec = torch.linalg.inv(cov)
    c_ref = torch.linalg.inv(prec + H.T @ H / s**2)
    mean_ref = (prec @ mu + y @ H / s**2) @ c_ref.T
    torch.testing.assert_close(c, c_ref, rtol=1e-8, atol=1e-10)
    torch.testing.assert_close(mean, mean_ref, rtol=1e-8, atol=1e-10)


def test_posterior_mean_minimises_the_squared_error_over_simulated_pairs():
    # The MMSE property: on pairs (x, y) drawn from the model, the posterior mean's mean squared error is
    # the trace of the posterior covariance, below the error of the plain pseudo-inverse.
    g = _gen(5)
    d, m, n, s = 3, 2, 100_000, 0.5
    H = torch.randn(m, d, generator=g, dtype=F64)
    cov, mu = _spd(d, g), torch.randn(d, generator=g, dtype=F64)
    x = mu + torch.randn(n, d, generator=g, dtype=F64) @ torch.linalg.cholesky(cov).T
    y = x @ H.T + s * torch.randn(n, m, generator=g, dtype=F64)
    mean, c = gaussian_posterior(y, H, s, mu, cov)
    mse = ((mean - x) ** 2).sum(1).mean()
    assert abs(mse - torch.trace(c)) < 0.02 * torch.trace(c)
    assert mse < ((y @ torch.linalg.pinv(H).T - x) ** 2).sum(1).mean()


def test_wiener_gain_in_the_fourier_domain_is_the_posterior_mean_of_a_circulant_model():
    n = 8
    k = torch.arange(n, dtype=F64)
    spectrum = 1.0 / (1.0 + torch.minimum(k, n - k) ** 2)  # symmetric, positive power spectrum
    c = torch.fft.ifft(spectrum).real  # first column of the circulant covariance
    cov = torch.stack([torch.roll(c, i) for i in range(n)], dim=1)  # cov[:, i] = c shifted by i
    kernel = torch.zeros(n, dtype=F64)
    kernel[:3] = torch.tensor([0.5, 0.3, 0.2], dtype=F64)
    H = torch.stack([torch.roll(kernel, i) for i in range(n)], dim=1)  # circular convolution with kernel
    s = 0.3
    y = torch.randn(3, n, generator=_gen(4), dtype=F64)
    mean, _ = gaussian_posterior(y, H, s, torch.zeros(n, dtype=F64), cov)
    gain = wiener_gain(torch.fft.fft(c).real, s**2, torch.fft.fft(kernel))
    torch.testing.assert_close(torch.fft.ifft(gain * torch.fft.fft(y)).real, mean, rtol=1e-9, atol=1e-10)


def test_wiener_gain_without_degradation_is_the_diagonal_posterior():
    S = torch.tensor([4.0, 1.0, 0.01], dtype=F64)
    gain = wiener_gain(S, 0.25)
    y = torch.tensor([[1.0, -2.0, 3.0]], dtype=F64)
    mean, _ = gaussian_posterior(y, torch.eye(3, dtype=F64), 0.5, torch.zeros(3, dtype=F64), torch.diag(S))
    torch.testing.assert_close(gain * y, mean)
    assert gain[0] > 0.9 and gain[2] < 0.05  # near 1 where the signal dominates, near 0 where the noise does
    torch.testing.assert_close(wiener_gain(S, 0.25, torch.tensor(2.0, dtype=F64)), 2 * S / (4 * S + 0.25))


# ---------------------------------------------------------------- tikhonov


@given(seed=st.integers(0, 10**6), lam=st.floats(0.01, 10.0))
def test_tikhonov_zeroes_the_objectives_gradient(seed, lam):
    g = _gen(seed)
    H = torch.randn(4, 3, generator=g, dtype=F64)
    D = torch.tensor([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]], dtype=F64)  # first differences: a smoothness prior
    y = torch.randn(2, 4, generator=g, dtype=F64)
    x = tikhonov(y, H, lam, D).requires_grad_(True)
    objective = ((y - x @ H.T) ** 2).sum() + lam * ((x @ D.T) ** 2).sum()
    (grad,) = torch.autograd.grad(objective, x)
    assert x.shape == (2, 3)
    torch.testing.assert_close(grad, torch.zeros_like(grad), atol=1e-9, rtol=0)


def test_ridge_tikhonov_is_the_map_under_a_gaussian_prior():
    # lam = sigma^2 / tau^2 for the prior N(0, tau^2 I) and noise sigma: the Gaussian posterior's mean.
    g = _gen(7)
    H = torch.randn(3, 3, generator=g, dtype=F64)
    y = torch.randn(5, 3, generator=g, dtype=F64)
    sigma, tau = 0.4, 1.3
    mean, _ = gaussian_posterior(y, H, sigma, torch.zeros(3, dtype=F64), tau**2 * torch.eye(3, dtype=F64))
    torch.testing.assert_close(tikhonov(y, H, sigma**2 / tau**2), mean, rtol=1e-9, atol=1e-10)
    torch.testing.assert_close(tikhonov(y, H, 0.0), torch.linalg.solve(H, y.T).T)  # no prior: H^{-1} y


# ---------------------------------------------------------------- soft thresholding, ISTA, the Laplace prior


@pytest.mark.parametrize("lam", [0.0, 0.3, 1.0])
def test_soft_threshold_is_the_prox_of_the_l1_norm(lam):
    v = torch.linspace(-2.5, 2.5, 41, dtype=F64)
    grid = torch.linspace(-4, 4, 16001, dtype=F64)  # spacing 5e-4
    objective = 0.5 * (grid[None, :] - v[:, None]) ** 2 + lam * grid.abs()[None, :]
    brute = grid[objective.argmin(dim=1)]
    torch.testing.assert_close(soft_threshold(v, lam), brute, atol=1e-3, rtol=0)


def test_soft_threshold_is_zero_inside_the_threshold_and_shifts_outside():
    v = torch.tensor([-3.0, -0.5, 0.0, 0.49, 2.0], dtype=F64)
    torch.testing.assert_close(soft_threshold(v, 0.5), torch.tensor([-2.5, 0.0, 0.0, 0.0, 1.5], dtype=F64))
    lam = torch.tensor([0.1, 1.0, 0.0, 0.2, 3.0], dtype=F64)  # a threshold per coordinate
    torch.testing.assert_close(soft_threshold(v, lam), torch.tensor([-2.9, 0.0, 0.0, 0.29, 0.0], dtype=F64))


def test_ista_with_an_orthogonal_operator_solves_the_lasso_in_one_step():
    g = _gen(8)
    Q, _ = torch.linalg.qr(torch.randn(4, 4, generator=g, dtype=F64))
    y = torch.randn(3, 4, generator=g, dtype=F64)
    x0 = torch.randn(3, 4, generator=g, dtype=F64)
    # With H^T H = I and step 1 the gradient step lands on H^T y whatever x is.
    torch.testing.assert_close(ista_step(x0, y, Q, 0.4, 1.0), soft_threshold(y @ Q, 0.4))


def test_ista_converges_to_a_point_satisfying_the_lasso_optimality_conditions():
    g = _gen(9)
    H = torch.randn(5, 4, generator=g, dtype=F64)
    y = torch.randn(2, 5, generator=g, dtype=F64)
    lam = 0.8
    step = 1.0 / float(torch.linalg.matrix_norm(H, ord=2)) ** 2
    x = torch.zeros(2, 4, dtype=F64)
    objective = lambda x: 0.5 * ((y - x @ H.T) ** 2).sum(1) + lam * x.abs().sum(1)  # noqa: E731
    previous = objective(x)
    for _ in range(3000):
        x = ista_step(x, y, H, lam, step)
        current = objective(x)
        assert (current <= previous + 1e-12).all()  # monotone for step <= 1/L
        previous = current
    corr = (y - x @ H.T) @ H  # H^T (y - H x): equals lam sign(x) on the support, within [-lam, lam] off it
    on = x != 0
    torch.testing.assert_close(corr[on], lam * torch.sign(x[on]), atol=1e-6, rtol=0)
    assert (corr[~on].abs() <= lam + 1e-6).all()
    assert (~on).any(), "the example should have a zero coordinate"


def test_laplace_map_is_the_posterior_mode_on_a_grid():
    sigma, b = 0.6, 0.5
    y = torch.tensor([-2.0, -0.5, 0.1, 0.7, 1.4], dtype=F64)
    grid = torch.linspace(-4, 4, 16001, dtype=F64)
    log_post = -((y[:, None] - grid[None]) ** 2) / (2 * sigma**2) - grid.abs()[None] / b
    torch.testing.assert_close(laplace_map(y, sigma, b), grid[log_post.argmax(1)], atol=1e-3, rtol=0)
    assert (laplace_map(y, sigma, b)[1:3] == 0).all()  # |y| <= sigma^2 / b = 0.72


def test_laplace_mmse_matches_quadrature_and_is_never_exactly_zero():
    sigma, b = 0.6, 0.5
    y = torch.tensor([-30.0, -2.0, -0.5, 0.1, 0.7, 1.4, 4.0], dtype=F64)
    grid = torch.linspace(-40, 40, 400_001, dtype=F64)
    log_post = -((y[:, None] - grid[None]) ** 2) / (2 * sigma**2) - grid.abs()[None] / b
    w = torch.softmax(log_post, dim=1)
    torch.testing.assert_close(laplace_mmse(y, sigma, b), (w * grid).sum(1), atol=1e-7, rtol=1e-7)
    est = laplace_mmse(y, sigma, b)
    assert (est != 0).all() and (est.abs() < y.abs()).all()  # shrinks, but is not sparse
    torch.testing.assert_close(laplace_mmse(-y, sigma, b), -est)  # odd
    # Far from 0 the posterior is one Gaussian shifted by sigma^2 / b, as the MAP is.
    torch.testing.assert_close(est[0], y[0] + sigma**2 / b, atol=1e-9, rtol=0)


# ---------------------------------------------------------------- flows


def _std_normal_log_prob(z):
    return -0.5 * (z**2).sum(1) - 0.5 * z.shape[1] * math.log(2 * math.pi)


@given(seed=st.integers(0, 10**6))
def test_flow_log_prob_of_a_linear_flow_is_a_gaussian(seed):
    # x = A z + b with z ~ N(0, I) is N(b, A A^T).
    g = _gen(seed)
    A = torch.randn(3, 3, generator=g, dtype=F64) + 3 * torch.eye(3, dtype=F64)
    b = torch.randn(3, generator=g, dtype=F64)
    x = torch.randn(6, 3, generator=g, dtype=F64)
    inverse = lambda x: torch.linalg.solve(A, (x - b).T).T  # noqa: E731
    ref = torch.distributions.MultivariateNormal(b, A @ A.T).log_prob(x)
    torch.testing.assert_close(flow_log_prob(x, inverse, _std_normal_log_prob), ref, rtol=1e-9, atol=1e-10)


def test_flow_log_prob_of_exp_is_the_log_normal():
    x = torch.tensor([[0.2], [1.0], [3.5]], dtype=F64)
    base = torch.distributions.Normal(torch.tensor(0.3, dtype=F64), torch.tensor(0.8, dtype=F64))
    out = flow_log_prob(x, torch.log, lambda z: base.log_prob(z).sum(1))
    ref = torch.distributions.LogNormal(torch.tensor(0.3, dtype=F64), torch.tensor(0.8, dtype=F64)).log_prob(x[:, 0])
    torch.testing.assert_close(out, ref)


def test_flow_log_prob_of_an_affine_coupling_layer_integrates_to_one():
    # x1 = z1, x2 = z2 exp(s z1) + t z1 (a Real NVP coupling, arXiv:1605.08803): log|det dz/dx| = -s x1.
    s, t = 0.4, -0.7
    inverse = lambda x: torch.stack([x[:, 0], (x[:, 1] - t * x[:, 0]) * torch.exp(-s * x[:, 0])], 1)  # noqa: E731
    u = torch.linspace(-8, 8, 401, dtype=F64)
    grid = torch.cartesian_prod(u, u)
    with torch.no_grad():  # works without autograd enabled by the caller
        logp = flow_log_prob(grid, inverse, _std_normal_log_prob)
    z = inverse(grid)
    torch.testing.assert_close(logp, _std_normal_log_prob(z) - s * grid[:, 0])
    assert abs(float(logp.exp().sum()) * float(u[1] - u[0]) ** 2 - 1) < 1e-3


# ---------------------------------------------------------------- gaussian_score, mixture_mmse (hw0)


@given(d=st.integers(1, 4), seed=st.integers(0, 10**6))
def test_gaussian_score_is_the_autograd_gradient_of_the_log_density(d, seed):
    # Oracle: autograd of torch.distributions.MultivariateNormal.log_prob.
    g = _gen(seed)
    cov, mean = _spd(d, g), torch.randn(d, generator=g, dtype=F64)
    x = torch.randn(5, d, generator=g, dtype=F64).requires_grad_(True)
    (want,) = torch.autograd.grad(torch.distributions.MultivariateNormal(mean, cov).log_prob(x).sum(), x)
    torch.testing.assert_close(gaussian_score(x.detach(), mean, cov), want, rtol=1e-9, atol=1e-10)


def test_gaussian_score_keeps_float32_and_is_zero_at_the_mean():
    mean, cov = torch.tensor([1.0, -2.0], dtype=F64), torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=F64)
    out = gaussian_score(torch.stack([mean, mean + 1]).float(), mean, cov)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out[0], torch.zeros(2))


def _mixture_1d():
    return (torch.tensor([0.7, 0.3], dtype=F64), torch.tensor([[-1.0], [1.5]], dtype=F64),
            torch.tensor([[[0.15**2]], [[0.6**2]]], dtype=F64))


def test_mixture_mmse_matches_quadrature_of_the_posterior():
    # Oracle: E[x | y] by quadrature of p(x) N(y; x, sigma^2) on a fine grid (1-D, spacing 1e-3: error << 1e-6).
    w, m, c = _mixture_1d()
    y, sigma = torch.tensor([[-2.0], [0.0], [0.4], [3.0]], dtype=F64), 0.5
    grid = torch.linspace(-8, 8, 16001, dtype=F64)
    prior = torch.distributions.MixtureSameFamily(torch.distributions.Categorical(probs=w),
                                                  torch.distributions.Normal(m[:, 0], c[:, 0, 0].sqrt()))
    log_post = prior.log_prob(grid)[None] - 0.5 * (y - grid[None]) ** 2 / sigma**2  # (4, G)
    want = (torch.softmax(log_post, 1) * grid[None]).sum(1, keepdim=True)
    torch.testing.assert_close(mixture_mmse(y, sigma, w, m, c), want, rtol=0, atol=1e-6)


def test_mixture_mmse_differs_from_the_map_between_the_modes():
    # The posterior of y = 0.25 is bimodal: its mean lies between the modes, away from the grid MAP.
    w, m, c = _mixture_1d()
    y = torch.tensor([[0.25]], dtype=F64)
    grid = torch.linspace(-4, 5, 9001, dtype=F64)
    prior = torch.distributions.MixtureSameFamily(torch.distributions.Categorical(probs=w),
                                                  torch.distributions.Normal(m[:, 0], c[:, 0, 0].sqrt()))
    x_map = grid[(prior.log_prob(grid) - 0.5 * (0.25 - grid) ** 2 / 0.25).argmax()]
    assert abs(mixture_mmse(y, 0.5, w, m, c).item() - x_map.item()) > 0.3


@given(d=st.integers(1, 3), seed=st.integers(0, 10**6))
def test_mixture_mmse_of_one_component_is_the_gaussian_posterior_mean(d, seed):
    # Oracle: gaussian_posterior with H = I (a different closed form through the joint's conditioning).
    g = _gen(seed)
    cov, mean = _spd(d, g), torch.randn(d, generator=g, dtype=F64)
    y = torch.randn(3, d, generator=g, dtype=F64)
    want, _ = gaussian_posterior(y, torch.eye(d, dtype=F64), 0.7, mean, cov)
    torch.testing.assert_close(mixture_mmse(y, 0.7, torch.ones(1, dtype=F64), mean[None], cov[None]), want,
                               rtol=1e-9, atol=1e-10)


def test_mixture_tests_catch_map_reported_as_mmse():
    """The quadrature oracle fails on the hard-assignment (MAP component) estimate."""
    import sys

    module = sys.modules[__name__]  # the test calls the name imported here

    def map_component(y, sigma, weights, means, covs):
        from course_core.gmm import GaussianMixture

        mix = GaussianMixture(weights, means, covs)
        k = mix.noised_ve(sigma).responsibilities(y).argmax(1)
        return torch.stack([GaussianMixture(weights[i:i + 1] * 0 + 1, means[i:i + 1], covs[i:i + 1]).denoise_ve(
            y[n:n + 1], sigma)[0] for n, i in enumerate(k.tolist())])

    catches(test_mixture_mmse_matches_quadrature_of_the_posterior, broken=[(module, "mixture_mmse", map_component)])


# ---------------------------------------------------------------- hw0's support module priors_toy


def test_priors_toy_matrices_against_independent_constructions():
    """Oracles: scipy's orthonormal DCT-II, torch's conv2d with zero padding, torch.diff, and a hand-made mask."""
    scipy_fft = pytest.importorskip("scipy.fft")
    from course_core import priors_toy

    x = torch.randn(3, 8, 8, generator=_gen(0), dtype=F64)
    C = priors_toy.dct_matrix(8)
    torch.testing.assert_close(C @ C.T, torch.eye(64, dtype=F64), rtol=0, atol=1e-12)
    want = torch.from_numpy(scipy_fft.dctn(x.numpy(), type=2, axes=(1, 2), norm="ortho")).reshape(3, 64)
    torch.testing.assert_close(x.reshape(3, 64) @ C.T, want, rtol=0, atol=1e-12)

    B = priors_toy.blur_matrix(8, width=1.0)
    k = torch.exp(-0.5 * torch.arange(-2, 3, dtype=F64) ** 2)
    k2 = torch.outer(k, k) / k.sum() ** 2
    conv = torch.nn.functional.conv2d(x[:, None], k2[None, None], padding=2)[:, 0].reshape(3, 64)
    torch.testing.assert_close(x.reshape(3, 64) @ B.T, conv, rtol=0, atol=1e-12)
    torch.testing.assert_close(B, B.T, rtol=0, atol=0)

    D = priors_toy.difference_matrix(8)
    diffs = torch.cat([torch.diff(x, dim=2).reshape(3, -1), torch.diff(x, dim=1).reshape(3, -1)], dim=1)
    torch.testing.assert_close(x.reshape(3, 64) @ D.T, diffs, rtol=0, atol=1e-12)

    mask = torch.zeros(8, 8, dtype=torch.bool)
    mask[::2, 1::3] = True
    torch.testing.assert_close(x.reshape(3, 64) @ priors_toy.inpainting_matrix(mask).T, x[:, mask], rtol=0, atol=0)


def test_class_mixture_is_the_per_class_frequency_mean_and_covariance():
    from course_core import priors_toy

    g = _gen(1)
    x = torch.randn(30, 3, generator=g, dtype=F64)
    labels = torch.arange(30) % 3
    w, m, c = priors_toy.class_mixture(x, labels, ridge=0.1)
    torch.testing.assert_close(w, torch.full((3,), 1 / 3, dtype=F64))
    for k in range(3):
        xk = x[labels == k]
        torch.testing.assert_close(m[k], xk.mean(0))
        centred = xk - xk.mean(0)
        torch.testing.assert_close(c[k], centred.T @ centred / (len(xk) - 1) + 0.1 * torch.eye(3, dtype=F64))
