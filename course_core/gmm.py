"""Gaussian mixtures: exact densities, scores, noised mixtures and exact denoisers (an analytic oracle).

A mixture is ``weights (K,)``, ``means (K, d)``, ``covs (K, d, d)``; points are ``(N, d)``. Everything is
computed in the promoted dtype of the points and the parameters (float64 recommended) and returned in the
points' dtype. Responsibilities use log-sum-exp, so results stay finite far from every mode.
"""
from __future__ import annotations

import math

import torch


def _log_gauss_terms(x, weights, means, covs):
    """``log pi_k + log N(x; mu_k, Sigma_k)`` and ``Sigma_k^{-1} (x - mu_k)``.

    ``x (N, d)`` -> ``(N, K)`` and ``(N, K, d)``, in the promoted dtype.
    """
    dtype = torch.promote_types(x.dtype, means.dtype)
    x, weights, means, covs = (a.to(dtype=dtype, device=x.device) for a in (x, weights, means, covs))
    d = x.shape[1]
    L = torch.linalg.cholesky(covs)  # (K, d, d)
    diff = x[:, None, :] - means[None]  # (N, K, d)
    # Sigma_k^{-1} diff via the Cholesky factor, one solve per component.
    prec_diff = torch.cholesky_solve(diff.permute(1, 2, 0), L).permute(2, 0, 1)  # (N, K, d)
    maha = (diff * prec_diff).sum(-1)  # (N, K)
    logdet = 2 * torch.log(torch.diagonal(L, dim1=-2, dim2=-1)).sum(-1)  # (K,)
    log_terms = torch.log(weights) - 0.5 * (maha + logdet + d * math.log(2 * math.pi))  # (N, K)
    return log_terms, prec_diff


def gmm_log_prob(x, weights, means, covs):
    """``log sum_k pi_k N(x; mu_k, Sigma_k)`` by log-sum-exp. ``x (N, d)`` -> ``(N,)``."""
    log_terms, _ = _log_gauss_terms(x, weights, means, covs)
    return torch.logsumexp(log_terms, dim=1).to(x.dtype)


def gmm_responsibilities(x, weights, means, covs):
    """Posterior component probabilities ``r_k(x) = pi_k N_k(x) / sum_j pi_j N_j(x)``. ``(N, d)`` -> ``(N, K)``."""
    log_terms, _ = _log_gauss_terms(x, weights, means, covs)
    return torch.softmax(log_terms, dim=1).to(x.dtype)


def gmm_score(x, weights, means, covs):
    """Score of a Gaussian mixture, ``grad_x log sum_k pi_k N(x; mu_k, Sigma_k)``.

    ``score(x) = -sum_k r_k(x) Sigma_k^{-1} (x - mu_k)`` with responsibilities ``r_k`` from a softmax over
    ``log pi_k + log N_k(x)`` (log-sum-exp), so it is finite far from every mode.

    Args:
        x: ``(N, d)``.
        weights: ``(K,)``; means: ``(K, d)``; covs: ``(K, d, d)``.
    Returns:
        ``(N, d)`` in ``x``'s dtype.
    """
    log_terms, prec_diff = _log_gauss_terms(x, weights, means, covs)
    r = torch.softmax(log_terms, dim=1)  # (N, K)
    return -(r[..., None] * prec_diff).sum(1).to(x.dtype)


def mixture_eps(x_t, alpha_bar_t, weights, means, covs):
    """The exact noise prediction ``E[eps | x_t]`` when ``x0`` is drawn from a Gaussian mixture.

    For ``x_t = sqrt(ab) x0 + sqrt(1 - ab) eps`` (Ho et al. 2020, Eq. (4)) with ``x0 ~ sum_k pi_k N(mu_k, Sigma_k)``,
    ``x_t`` is distributed as the mixture with means ``sqrt(ab) mu_k`` and covariances ``ab Sigma_k + (1 - ab) I``, and
    ``E[eps | x_t] = -sqrt(1 - ab) grad log p_t(x_t)`` (Tweedie's formula, Efron 2011): the noise predictor that
    minimises L_simple, available without training. The gradient is taken by autograd through
    ``torch.distributions``, in float64, one noised mixture per distinct value of ``alpha_bar_t``. Works under
    ``torch.no_grad()``; the result is detached.

    Args:
        x_t: ``(N, d)``.
        alpha_bar_t: a Python float, a 0-d tensor, or an ``(N,)`` tensor (one value per point), in ``(0, 1]``.
        weights: ``(K,)``; means: ``(K, d)``; covs: ``(K, d, d)``.
    Returns:
        ``(N, d)`` in ``x_t``'s dtype.
    """
    D = torch.distributions
    x = x_t.detach().to(torch.float64)
    ab = torch.as_tensor(alpha_bar_t, dtype=torch.float64).reshape(-1).expand(x.shape[0])  # (N,)
    w, mu, cov = (a.detach().to(torch.float64) for a in (weights, means, covs))
    eye = torch.eye(x.shape[1], dtype=torch.float64)
    eps = torch.empty_like(x)  # (N, d)
    for a in torch.unique(ab):  # a sampler's call has one alpha_bar for the whole batch
        rows = ab == a
        p_t = D.MixtureSameFamily(D.Categorical(probs=w), D.MultivariateNormal(a.sqrt() * mu, a * cov + (1 - a) * eye))
        with torch.enable_grad():
            x_rows = x[rows].requires_grad_(True)
            (grad,) = torch.autograd.grad(p_t.log_prob(x_rows).sum(), x_rows)  # grad log p_t, (n, d)
        eps[rows] = -torch.sqrt(1 - a) * grad
    return eps.to(x_t.dtype)


class GaussianMixture:
    """``p(x) = sum_k pi_k N(x; mu_k, Sigma_k)`` with exact log density, score, sampling and denoisers.

    Args:
        weights: ``(K,)``; means: ``(K, d)``; covs: ``(K, d, d)`` symmetric positive definite.
    """

    def __init__(self, weights: torch.Tensor, means: torch.Tensor, covs: torch.Tensor):
        self.weights, self.means, self.covs = weights, means, covs

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """``log p(x)``: ``(N, d)`` -> ``(N,)``."""
        return gmm_log_prob(x, self.weights, self.means, self.covs)

    def score(self, x: torch.Tensor) -> torch.Tensor:
        """``grad_x log p(x)``: ``(N, d)`` -> ``(N, d)``."""
        return gmm_score(x, self.weights, self.means, self.covs)

    def responsibilities(self, x: torch.Tensor) -> torch.Tensor:
        """``p(k | x)``: ``(N, d)`` -> ``(N, K)``."""
        return gmm_responsibilities(x, self.weights, self.means, self.covs)

    def sample(self, n: int, *, generator: torch.Generator) -> torch.Tensor:
        """``n`` draws ``(n, d)`` in the means' dtype; labels and Gaussian draws come from ``generator``."""
        k = torch.multinomial(self.weights.to(torch.float64), n, replacement=True, generator=generator)  # (n,)
        z = torch.randn(n, self.dim, generator=generator, dtype=self.means.dtype)  # (n, d)
        k, z = k.to(self.means.device), z.to(self.means.device)
        L = torch.linalg.cholesky(self.covs)  # (K, d, d)
        return self.means[k] + (L[k] @ z[..., None])[..., 0]

    def noised_vp(self, alpha_bar) -> "GaussianMixture":
        """Law of ``x_t = sqrt(alpha_bar) x0 + sqrt(1 - alpha_bar) eps`` (Ho et al. 2020, Eq. (4)), ``x0 ~ p``.

        Component k becomes ``N(sqrt(alpha_bar) mu_k, alpha_bar Sigma_k + (1 - alpha_bar) I)``.
        ``alpha_bar``: a Python float or 0-d tensor.
        """
        ab = torch.as_tensor(alpha_bar, dtype=self.means.dtype, device=self.means.device)
        eye = torch.eye(self.dim, dtype=self.covs.dtype, device=self.covs.device)
        return GaussianMixture(self.weights, torch.sqrt(ab) * self.means, ab * self.covs + (1 - ab) * eye)

    def noised_ve(self, sigma) -> "GaussianMixture":
        """Law of ``y = x + sigma z``, ``x ~ p``: component k becomes ``N(mu_k, Sigma_k + sigma**2 I)``.

        ``sigma``: a Python float or 0-d tensor.
        """
        s = torch.as_tensor(sigma, dtype=self.covs.dtype, device=self.covs.device)
        eye = torch.eye(self.dim, dtype=self.covs.dtype, device=self.covs.device)
        return GaussianMixture(self.weights, self.means, self.covs + s**2 * eye)

    def _denoise(self, y, scale, noise_var, noised):
        """``E[x0 | y]`` for ``y = scale * x0 + sqrt(noise_var) * z``, given the law ``noised`` of ``y``.

        Per component: ``E[x0 | y, k] = mu_k + scale Sigma_k (scale^2 Sigma_k + noise_var I)^{-1} (y - scale mu_k)``;
        mixed with the responsibilities ``p(k | y)`` under ``noised``.
        """
        r = noised.responsibilities(y)  # (N, K)
        dtype = torch.promote_types(y.dtype, self.means.dtype)
        y_, mu, cov = (a.to(dtype=dtype, device=y.device) for a in (y, self.means, self.covs))
        cov_y = noised.covs.to(dtype=dtype, device=y.device)  # (K, d, d)
        diff = y_[:, None, :] - scale * mu[None]  # (N, K, d)
        sol = torch.linalg.solve(cov_y[None], diff[..., None])[..., 0]  # (N, K, d)
        post_mean = mu[None] + scale * (cov[None] @ sol[..., None])[..., 0]  # (N, K, d)
        return (r.to(dtype)[..., None] * post_mean).sum(1).to(y.dtype)

    def denoise_vp(self, x_t: torch.Tensor, alpha_bar) -> torch.Tensor:
        """Exact ``E[x0 | x_t]`` for ``x_t = sqrt(alpha_bar) x0 + sqrt(1 - alpha_bar) eps`` (Ho et al. 2020, Eq. (4)).

        ``x_t (N, d)`` -> ``(N, d)``; ``alpha_bar`` a Python float or 0-d tensor.
        """
        ab = float(alpha_bar)
        return self._denoise(x_t, math.sqrt(ab), 1 - ab, self.noised_vp(ab))

    def denoise_ve(self, y: torch.Tensor, sigma) -> torch.Tensor:
        """Exact ``E[x0 | y]`` for ``y = x0 + sigma z``. ``y (N, d)`` -> ``(N, d)``; ``sigma`` float or 0-d tensor."""
        s = float(sigma)
        return self._denoise(y, 1.0, s**2, self.noised_ve(s))
