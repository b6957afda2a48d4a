"""Classical image priors and the Gaussian tools behind them: conditioning and KL of Gaussians, the posterior under
a Gaussian prior (the Wiener filter), Tikhonov regularization, soft thresholding and ISTA (the Laplace / sparsity
prior), and the change-of-variables log-density of a normalizing flow.

Shapes: data and measurements are batch first, ``x (B, d)``, ``y (B, m)``; a matrix acting on one sample is
``H (m, d)`` and applies to a batch as ``x @ H.T``. Means are ``(d,)`` or ``(B, d)`` and covariances ``(d, d)`` or
``(B, d, d)``: they broadcast like ``torch.linalg``. Elementwise functions (``soft_threshold``, ``wiener_gain``,
``laplace_map``, ``laplace_mmse``) take tensors of any shape. Nothing here draws random numbers.
"""
from __future__ import annotations

import math

import torch


def _mv(A: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``A v`` for ``A (..., p, q)`` and ``v (..., q)``, broadcasting the batch dims: ``(..., p)``."""
    return (A @ v[..., None])[..., 0]


# ---------------------------------------------------------------- Gaussians: conditioning, KL


def gaussian_condition(mean_a, mean_b, cov_aa, cov_ab, cov_bb, x_b):
    """Mean and covariance of ``x_a`` given ``x_b`` when ``(x_a, x_b)`` is jointly Gaussian.

    Reference: Bishop 2006, Pattern Recognition and Machine Learning, Sec. 2.3.1 (conditional Gaussians):
    ``mean_{a|b} = mean_a + cov_ab cov_bb^{-1} (x_b - mean_b)`` and
    ``cov_{a|b} = cov_aa - cov_ab cov_bb^{-1} cov_ab^T`` (the Schur complement of ``cov_bb``). The covariance
    does not depend on the observed value ``x_b``.

    Args:
        mean_a: ``(da,)`` or ``(B, da)``; mean_b: ``(db,)`` or ``(B, db)``.
        cov_aa: ``(da, da)``; cov_ab: ``(da, db)`` (``Cov(x_a, x_b)``); cov_bb: ``(db, db)`` symmetric positive
            definite; each may carry a leading batch dim ``B``.
        x_b: ``(B, db)`` observed values.
    Returns:
        ``(mean (B, da), cov (da, da))``; ``cov`` is ``(B, da, da)`` when a covariance is batched.
    """
    gain = torch.linalg.solve(cov_bb, cov_ab.transpose(-1, -2)).transpose(-1, -2)  # cov_ab cov_bb^{-1}, (.., da, db)
    mean = mean_a + _mv(gain, x_b - mean_b)  # (B, da)
    cov = cov_aa - gain @ cov_ab.transpose(-1, -2)  # (.., da, da)
    return mean, cov


def gaussian_kl(mean1, cov1, mean2, cov2):
    """``KL(N(mean1, cov1) || N(mean2, cov2))`` for full covariances.

    Reference: Rasmussen & Williams 2006, Gaussian Processes for Machine Learning, Appendix A.5:
    ``0.5 * (tr(cov2^{-1} cov1) + (mean2 - mean1)^T cov2^{-1} (mean2 - mean1) - d + log det cov2 - log det cov1)``.
    With diagonal covariances it is the sum over coordinates of ``course_core.ddpm.normal_kl``. Computed with
    Cholesky factors, so both covariances must be symmetric positive definite.

    Args:
        mean1, mean2: ``(..., d)``; cov1, cov2: ``(..., d, d)``; batch dims broadcast.
    Returns:
        ``(...)``, in nats.
    """
    d = cov1.shape[-1]
    batch = torch.broadcast_shapes(mean1.shape[:-1], mean2.shape[:-1], cov1.shape[:-2], cov2.shape[:-2])
    L1 = torch.linalg.cholesky(cov1).expand(*batch, d, d)
    L2 = torch.linalg.cholesky(cov2).expand(*batch, d, d)
    M = torch.linalg.solve_triangular(L2, L1, upper=False)  # L2^{-1} L1; tr(cov2^{-1} cov1) = ||M||_F^2
    diff = (mean2 - mean1).expand(*batch, d)[..., None]  # (..., d, 1)
    u = torch.linalg.solve_triangular(L2, diff, upper=False)[..., 0]  # L2^{-1} (mean2 - mean1), (..., d)
    logdet1 = 2 * torch.log(torch.diagonal(L1, dim1=-2, dim2=-1)).sum(-1)
    logdet2 = 2 * torch.log(torch.diagonal(L2, dim1=-2, dim2=-1)).sum(-1)
    return 0.5 * ((M**2).sum((-2, -1)) + (u**2).sum(-1) - d + logdet2 - logdet1)


def gaussian_score(x, mean, cov):
    """The score ``grad_x log N(x; mean, cov) = -cov^{-1} (x - mean)`` of a Gaussian, one row per point.

    Reference: Bishop 2006, Pattern Recognition and Machine Learning, Eq. (2.43) differentiated; the one-component
    case of ``course_core.gmm.gmm_score``. Computed by a linear solve (no explicit inverse).

    Args:
        x: ``(N, d)`` points; mean: ``(d,)``; cov: ``(d, d)`` symmetric positive definite. The parameters are cast to
            ``x``'s dtype.
    Returns:
        ``(N, d)`` in ``x``'s dtype.
    """
    mean, cov = mean.to(x.dtype), cov.to(x.dtype)
    return -torch.linalg.solve(cov, (x - mean).T).T  # cov is symmetric: (cov^{-1} (x - mean)^T)^T


# ---------------------------------------------------------------- a Gaussian prior: the posterior, the Wiener filter


def gaussian_posterior(y, H, sigma_y, mean, cov):
    """Mean and covariance of ``p(x | y)`` for the prior ``x ~ N(mean, cov)`` and ``y = H x + sigma_y n``.

    Reference: Bishop 2006, Pattern Recognition and Machine Learning, Sec. 2.3.3 (Bayes' theorem for Gaussian
    variables). ``(x, y)`` is jointly Gaussian with ``Cov(x, y) = cov H^T`` and ``Cov(y) = H cov H^T +
    sigma_y^2 I``, so the posterior is the conditional (``gaussian_condition``):
    ``mean + cov H^T (H cov H^T + sigma_y^2 I)^{-1} (y - H mean)``, covariance
    ``cov - cov H^T (H cov H^T + sigma_y^2 I)^{-1} H cov``. Its mean is the MMSE estimate (the Wiener filter in
    matrix form) and also the MAP estimate (a Gaussian's mean is its mode); the trace of its covariance is the
    MMSE. ``sigma_y = 0`` is allowed when ``H cov H^T`` is invertible.

    Args:
        y: ``(B, m)`` measurements.
        H: ``(m, d)`` degradation matrix.
        sigma_y: noise standard deviation (Python float).
        mean: ``(d,)`` or ``(B, d)`` prior mean; cov: ``(d, d)`` prior covariance.
    Returns:
        ``(mean (B, d), cov (d, d))``.
    """
    cov_xy = cov @ H.T  # (d, m)
    cov_yy = H @ cov_xy + sigma_y**2 * torch.eye(H.shape[0], dtype=cov.dtype, device=cov.device)  # (m, m)
    return gaussian_condition(mean, _mv(H, mean), cov, cov_xy, cov_yy, y)


def wiener_gain(signal_var, noise_var, h=None):
    """Gain of the Wiener filter per frequency (or per eigen-direction): ``conj(h) S / (|h|^2 S + N)``.

    Reference: Wiener 1949, Extrapolation, Interpolation, and Smoothing of Stationary Time Series. For one
    coefficient ``y = h x + n`` with ``x ~ N(0, S)``, ``n ~ N(0, N)`` independent, the MMSE estimate is
    ``gain * y``; without a degradation (``h = None``) the gain is ``S / (S + N)``, near 1 where the signal
    dominates and near 0 where the noise does. With a circulant prior covariance and a circular blur, ``S`` is the
    power spectrum (the DFT of the covariance's first column), ``h`` the blur's transfer function and ``N`` the
    noise variance; ``ifft(gain * fft(y))`` is then ``gaussian_posterior``'s mean (zero prior mean).

    Args:
        signal_var: ``S``, tensor ``(...)``; noise_var: ``N``, tensor or float.
        h: the degradation's response (tensor or float, real or complex) broadcasting with ``signal_var``;
            ``None`` for 1.
    Returns:
        broadcast shape; complex when ``h`` is.
    """
    if h is None:
        return signal_var / (signal_var + noise_var)
    h = torch.as_tensor(h)
    return torch.conj(h) * signal_var / (h.abs() ** 2 * signal_var + noise_var)


def tikhonov(y, H, lam, D=None):
    """Tikhonov-regularized solution ``argmin_x ||y - H x||^2 + lam ||D x||^2 = (H^T H + lam D^T D)^{-1} H^T y``.

    Reference: Tikhonov 1963, "Solution of incorrectly formulated problems and the regularization method", Soviet
    Math. Dokl. 4. It is the MAP estimate under ``y = H x + sigma_y n`` and the Gaussian (smoothness, when ``D``
    takes differences) prior ``p(x) proportional to exp(-||D x||^2 / (2 tau^2))`` with ``lam = sigma_y^2 / tau^2``.

    Args:
        y: ``(B, m)``; H: ``(m, d)``; lam: ``lam >= 0`` (Python float);
        D: ``(k, d)`` regularization operator, ``None`` for the identity (ridge).
    Returns:
        ``(B, d)``; needs ``H^T H + lam D^T D`` invertible.
    """
    d = H.shape[1]
    DtD = torch.eye(d, dtype=H.dtype, device=H.device) if D is None else D.T @ D  # (d, d)
    A = H.T @ H + lam * DtD  # (d, d)
    return torch.linalg.solve(A, y @ H, left=False)  # X A = Y H, i.e. x_b = A^{-1} H^T y_b (A is symmetric)


# ---------------------------------------------------------------- the Laplace prior: soft thresholding, ISTA


def soft_threshold(v, lam):
    """Soft thresholding ``S_lam(v) = sign(v) max(|v| - lam, 0)``, elementwise.

    Reference: Donoho 1995, "De-noising by soft-thresholding", IEEE Trans. Inf. Theory 41(3). It is the proximal
    operator of ``lam |.|``: ``S_lam(v) = argmin_x 0.5 (x - v)^2 + lam |x|``.

    Args:
        v: tensor of any shape; lam: ``lam >= 0``, a float or a tensor broadcasting with ``v``.
    Returns:
        ``v``'s shape.
    """
    return torch.sign(v) * torch.clamp(v.abs() - lam, min=0)


def ista_step(x, y, H, lam, step):
    """One ISTA step for ``min_x 0.5 ||y - H x||^2 + lam ||x||_1``: ``S_{lam step}(x - step H^T (H x - y))``.

    Reference: Daubechies, Defrise & De Mol 2004, arXiv:math/0307152 (thresholded Landweber iteration); Beck &
    Teboulle 2009, SIAM J. Imaging Sci. 2(1) (ISTA). A gradient step on the data term, then the proximal step of
    the L1 term (``soft_threshold`` with threshold ``lam * step``). It never increases the objective for
    ``0 < step <= 1 / L``, ``L = ||H||_2^2`` the largest eigenvalue of ``H^T H`` (a majorize-minimize step).

    Args:
        x: ``(B, d)`` current iterate; y: ``(B, m)``; H: ``(m, d)``; lam, step: Python floats.
    Returns:
        ``(B, d)``.
    """
    grad = (x @ H.T - y) @ H  # (B, d): H^T (H x - y) per sample
    return soft_threshold(x - step * grad, lam * step)


def laplace_map(y, sigma, b):
    """MAP estimate of ``x`` from ``y = x + sigma n`` under the Laplace prior ``p(x) = exp(-|x| / b) / (2 b)``.

    ``argmin_x (y - x)^2 / (2 sigma^2) + |x| / b = soft_threshold(y, sigma^2 / b)`` (Donoho 1995): exactly zero
    for ``|y| <= sigma^2 / b``. Elementwise; ``y`` a tensor, ``sigma``, ``b`` positive floats.
    """
    return soft_threshold(y, sigma**2 / b)


def laplace_mmse(y, sigma, b):
    """MMSE estimate ``E[x | y]`` for ``y = x + sigma n`` under the Laplace prior ``p(x) = exp(-|x| / b) / (2 b)``.

    The posterior splits at 0 into two truncated Gaussians of variance ``sigma^2``: on ``x > 0`` centred at
    ``m+ = y - sigma^2 / b`` with mass proportional to ``exp(-y / b) Phi(m+ / sigma)``, on ``x < 0`` centred at
    ``m- = y + sigma^2 / b`` with mass proportional to ``exp(y / b) Phi(-m- / sigma)``; their means are
    ``m+ + sigma phi(m+/sigma) / Phi(m+/sigma)`` and ``m- - sigma phi(m-/sigma) / Phi(-m-/sigma)``. Unlike
    ``laplace_map`` it shrinks without ever returning exactly 0 (for ``y != 0``). Computed in log space.
    Elementwise; ``y`` a tensor, ``sigma``, ``b`` positive floats.
    """
    a = 1.0 / b
    m_pos, m_neg = y - a * sigma**2, y + a * sigma**2
    z_pos, z_neg = m_pos / sigma, m_neg / sigma
    log_norm_pdf = lambda z: -0.5 * z**2 - 0.5 * math.log(2 * math.pi)  # noqa: E731
    log_w_pos = -a * y + torch.special.log_ndtr(z_pos)
    log_w_neg = a * y + torch.special.log_ndtr(-z_neg)
    mean_pos = m_pos + sigma * torch.exp(log_norm_pdf(z_pos) - torch.special.log_ndtr(z_pos))
    mean_neg = m_neg - sigma * torch.exp(log_norm_pdf(z_neg) - torch.special.log_ndtr(-z_neg))
    w = torch.softmax(torch.stack([log_w_pos, log_w_neg]), dim=0)  # (2, ...)
    return w[0] * mean_pos + w[1] * mean_neg


# ---------------------------------------------------------------- a Gaussian-mixture prior: the exact MMSE


def mixture_mmse(y, sigma, weights, means, covs):
    """The exact MMSE estimate ``E[x | y]`` for ``y = x + sigma n`` under a Gaussian-mixture prior.

    Reference: Bishop 2006, Sec. 2.3.3 per component, mixed by Bayes' rule: with ``S_k = covs_k + sigma^2 I``,
    ``E[x | y] = sum_k r_k(y) (mu_k + covs_k S_k^{-1} (y - mu_k))``, ``r_k(y) proportional to pi_k N(y; mu_k, S_k)``
    (the responsibilities under the law of ``y``, not of ``x``). It equals Tweedie's ``y + sigma^2 grad log p(y)``
    (Efron 2011) and ``course_core.gmm.GaussianMixture.denoise_ve``. Unlike a Gaussian prior's, this posterior
    mean is not the posterior mode (MAP) in general.

    Args:
        y: ``(N, d)`` observations; sigma: noise standard deviation (Python float ``>= 0``).
        weights: ``(K,)``; means: ``(K, d)``; covs: ``(K, d, d)`` symmetric positive definite (float64 parameters).
    Returns:
        ``(N, d)`` in ``y``'s dtype.
    """
    from .gmm import GaussianMixture

    return GaussianMixture(weights, means, covs).denoise_ve(y, sigma)


# ---------------------------------------------------------------- normalizing flows


def flow_log_prob(x, inverse, base_log_prob):
    """``log p_x(x)`` of a normalizing flow ``x = f(z)``, ``z ~ p_z``, by the change of variables.

    Reference: Dinh, Krueger & Bengio 2014 (NICE), arXiv:1410.8516, Sec. 2; Papamakarios et al. 2021,
    arXiv:1912.02762, Sec. 2.1: ``log p_x(x) = log p_z(f^{-1}(x)) + log |det J_{f^{-1}}(x)|``. The Jacobian of
    ``inverse`` is taken by autograd, one backward pass per coordinate (``inverse`` must act on each sample
    separately, as a flow does); fine for the small ``d`` of exercises and tests. The result is detached.

    Args:
        x: ``(B, d)``.
        inverse: ``f^{-1}``, ``(B, d) -> (B, d)``.
        base_log_prob: ``log p_z``, ``(B, d) -> (B,)``.
    Returns:
        ``(B,)``.
    """
    with torch.enable_grad():
        x_ = x.detach().requires_grad_(True)
        z = inverse(x_)  # (B, d)
        rows = [torch.autograd.grad(z[:, j].sum(), x_, retain_graph=True)[0] for j in range(z.shape[1])]
    jac = torch.stack(rows, dim=1)  # (B, d, d): jac[b, j, i] = dz_j / dx_i
    _, logabsdet = torch.linalg.slogdet(jac)
    return (base_log_prob(z.detach()) + logabsdet).detach()
