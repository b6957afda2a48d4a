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

from ._broadcast import extract  # shipped: per-sample gathering, used by the DDIM step
from .ddim import ddim_timesteps, _alpha_bar_or_one, ddim_sigma, ddim_step  # shipped: homework 3's DDIM step
from .gmm import _log_gauss_terms, gmm_log_prob, gmm_responsibilities, gmm_score  # shipped: the mixture's density
from .gmm import GaussianMixture  # shipped: the mixture oracle (log_prob, score, sample, denoise_vp, denoise_ve)

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
