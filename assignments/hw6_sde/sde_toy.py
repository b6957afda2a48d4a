"""hw6's support module: homework 3's DDIM step (to compare the probability-flow ODE's Euler step against), the
Gaussian-mixture oracle (exact log-densities, scores and denoisers of a mixture and of its noised laws), and a plot
of a point cloud.

Student support module of hw6 only (grading_config/hw6_sde.toml): the build writes it next to the hw6 notebook, with
the source of every function imported from ``course_core`` on a line marked ``# shipped`` inlined in place of the
import. It carries homework 3's solution of the DDIM step and homework 1's mixture score, so it is not shipped before
hw3 is over; it carries none of hw6's answers (the SDEs, their marginals, the drifts, the samplers and the divergence
stay in ``course_core.sde``, out of the students' reach).
"""
import math  # noqa: F401 - the shipped mixture code needs it in the student's copy

import numpy as np  # noqa: F401 - the shipped ddim_timesteps needs it in the student's copy
import torch

# The reference's own function (course_core/_broadcast.py), shared by both.


def extract(schedule: torch.Tensor, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Gather ``schedule[t]`` and reshape it to broadcast against ``x``.

    Args:
        schedule: ``(T,)`` (usually float64).
        t: int64 ``(B,)`` indices in ``[0, T)``.
        x: ``(B, *D)`` data; fixes the result's dtype, device and number of trailing singleton dims.
    Returns:
        ``(B, 1, ..., 1)`` with ``x.dim() - 1`` trailing ones, in ``x``'s dtype and on ``x``'s device.
    """
    out = schedule.to(t.device)[t]  # (B,), still in the schedule's dtype
    return out.to(dtype=x.dtype, device=x.device).reshape(t.shape[0], *([1] * (x.dim() - 1)))
# The reference's own function (course_core/ddim.py), shared by both.


def ddim_timesteps(T: int, num_steps: int, spacing: str = "leading") -> torch.Tensor:
    """The descending subsequence of ``num_steps`` indices of a ``T``-step chain that DDIM visits.

    Exactly diffusers' ``DDIMScheduler(num_train_timesteps=T, timestep_spacing=spacing, steps_offset=0)
    .set_timesteps(num_steps).timesteps`` (tests/test_ddim.py compares them), except where diffusers' trailing
    spacing returns ``num_steps + 1`` values ending in ``-1`` (a float remainder of ``np.arange``, e.g. ``T = 1087,
    num_steps = 433``): here those cases give its first ``num_steps`` values. The spacings:
    ``"leading"``: ``k * (T // num_steps)``; ``"trailing"``: ``round(T - k * T / num_steps) - 1``;
    ``"linspace"``: ``round(linspace(0, T - 1, num_steps))``; each in descending order.
    The arithmetic is numpy's, rounding half to even, as diffusers does.

    Returns:
        int64 ``(num_steps,)``, descending, in ``[0, T)``.
    Raises:
        ValueError: ``num_steps < 1``, ``num_steps > T``, or an unknown ``spacing``.
    """
    if spacing not in ("leading", "trailing", "linspace"):  # SPACINGS, spelled out: the function ships to students
        raise ValueError(f"unknown timestep spacing {spacing!r}; use one of 'leading', 'trailing', 'linspace'")
    if not 1 <= num_steps <= T:
        raise ValueError(f"num_steps must be between 1 and T = {T}, got {num_steps}")
    if spacing == "leading":
        steps = (np.arange(0, num_steps) * (T // num_steps)).round()[::-1]
    elif spacing == "trailing":  # diffusers' np.arange(T, 0, -T / num_steps) can gain a last element ~1e-11 (-> -1)
        steps = np.round(np.arange(T, 0, -T / num_steps)[:num_steps]) - 1
    else:
        steps = np.linspace(0, T - 1, num_steps).round()[::-1]
    return torch.from_numpy(steps.astype(np.int64).copy())


def _alpha_bar_or_one(alpha_bar: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``alpha_bar[t]`` shaped ``(B, 1, ..., 1)`` in ``like``'s dtype, with ``1`` where ``t == -1``."""
    ones = torch.ones_like(t, dtype=alpha_bar.dtype)
    values = torch.where(t >= 0, alpha_bar.to(t.device)[t.clamp(min=0)], ones)  # (B,)
    return extract(values, torch.arange(t.shape[0], device=t.device), like)


def ddim_sigma(alpha_bar_t: torch.Tensor, alpha_bar_prev: torch.Tensor, eta: float) -> torch.Tensor:
    """The noise scale ``sigma_t(eta)`` of the generalized reverse step, elementwise.

    Reference: Song, Meng & Ermon 2021, Eq. (16):
    ``sigma = eta * sqrt((1 - alpha_bar_prev) / (1 - alpha_bar_t)) * sqrt(1 - alpha_bar_t / alpha_bar_prev)``.
    ``eta = 1`` is DDPM's posterior standard deviation on contiguous steps; ``eta = 0`` is deterministic (DDIM).
    """
    return eta * torch.sqrt((1 - alpha_bar_prev) / (1 - alpha_bar_t)) * torch.sqrt(1 - alpha_bar_t / alpha_bar_prev)


def ddim_step(x_t: torch.Tensor, t: torch.Tensor, t_prev: torch.Tensor, eps_pred: torch.Tensor,
              alpha_bar: torch.Tensor, eta: float, noise: torch.Tensor) -> torch.Tensor:
    """One step ``x_t -> x_{t_prev}`` of the generalized (non-Markovian) reverse process.

    Reference: Song, Meng & Ermon 2021, Eq. (12):
    ``x_prev = sqrt(ab_prev) x0_pred + sqrt(1 - ab_prev - sigma**2) eps_pred + sigma * noise`` with
    ``x0_pred = (x_t - sqrt(1 - ab_t) eps_pred) / sqrt(ab_t)`` and ``sigma = ddim_sigma(ab_t, ab_prev, eta)``
    (Eq. (16)); ``ab_prev = 1`` where ``t_prev == -1``. ``x0_pred`` is not clipped. Agrees with diffusers'
    ``DDIMScheduler.step(eps_pred, t, x_t, eta=eta, variance_noise=noise)`` when ``t_prev`` is the step diffusers
    takes (``t - T // num_steps``).

    Args:
        x_t, eps_pred, noise: ``(B, *D)``.
        t: int64 ``(B,)`` in ``[0, T)``; t_prev: int64 ``(B,)`` in ``[-1, t)``.
        alpha_bar: ``(T,)``; eta: Python float ``>= 0``.
    Returns:
        ``(B, *D)`` in ``x_t``'s dtype.
    """
    ab_t = extract(alpha_bar, t, x_t)
    ab_prev = _alpha_bar_or_one(alpha_bar, t_prev, x_t)
    x0_pred = (x_t - torch.sqrt(1 - ab_t) * eps_pred) / torch.sqrt(ab_t)
    sigma = ddim_sigma(ab_t, ab_prev, eta)
    direction = torch.sqrt((1 - ab_prev - sigma**2).clamp(min=0)) * eps_pred  # "direction pointing to x_t"
    return torch.sqrt(ab_prev) * x0_pred + direction + sigma * noise
# The reference's own function (course_core/gmm.py), shared by both.


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
# The reference's own function (course_core/gmm.py), shared by both.


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

__all__ = ["ddim_timesteps", "ddim_step", "GaussianMixture", "noised", "exact_denoiser", "exact_score", "plot_points"]


def noised(mixture: GaussianMixture, mean_coef, std) -> GaussianMixture:
    """The law of ``mean_coef x0 + std z`` for ``x0 ~ mixture`` and ``z ~ N(0, I)``: component ``k`` becomes
    ``N(mean_coef mu_k, mean_coef**2 Sigma_k + std**2 I)``. VP: ``(mean_coef, std)`` from the perturbation kernel;
    VE: ``mean_coef = 1``, ``std = sigma``. ``mean_coef``, ``std``: Python floats or 0-d tensors."""
    m = torch.as_tensor(mean_coef, dtype=mixture.means.dtype)
    s = torch.as_tensor(std, dtype=mixture.covs.dtype)
    eye = torch.eye(mixture.dim, dtype=mixture.covs.dtype)
    return GaussianMixture(mixture.weights, m * mixture.means, m**2 * mixture.covs + s**2 * eye)


def exact_denoiser(mixture: GaussianMixture):
    """``D(x; sigma) = E[x0 | x0 + sigma z = x]`` for ``x0 ~ mixture``: the L2-optimal denoiser of Karras et al. 2022,
    Eq. (2), as a function ``D(x (N, d), sigma) -> (N, d)`` (``sigma`` a positive float, a 0-d tensor or an ``(N,)``
    tensor of levels, one per point, as the hidden checks' denoisers accept)."""
    def D(x, sigma):
        if not isinstance(sigma, torch.Tensor) or sigma.dim() == 0:
            return mixture.denoise_ve(x, float(sigma))
        levels = sigma.reshape(-1)  # (N,): one call per distinct level
        out = torch.empty_like(x)
        for level in levels.unique().tolist():
            rows = levels == level
            out[rows] = mixture.denoise_ve(x[rows], level)
        return out

    return D


def exact_score(mixture: GaussianMixture, mean_coef, std):
    """The score ``grad_x log p_t(x)`` of the noised law ``noised(mixture, mean_coef, std)``, as a function
    ``score(x (N, d)) -> (N, d)``."""
    return noised(mixture, mean_coef, std).score


def plot_points(x: torch.Tensor, ax=None, title: str | None = None, lim: float | None = None, **kwargs):
    """Scatter plot of 2-D points ``(N, 2)``; returns the axes. ``lim``: the axes' half-width (None: automatic)."""
    import matplotlib.pyplot as plt

    ax = ax if ax is not None else plt.gca()
    x = x.detach().cpu().to(torch.float64).numpy()
    ax.scatter(x[:, 0], x[:, 1], s=kwargs.pop("s", 3), alpha=kwargs.pop("alpha", 0.6), **kwargs)
    ax.set_aspect("equal")
    if lim is not None:
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
    if title:
        ax.set_title(title)
    return ax
