"""Scores, Tweedie denoising, denoising score matching and (annealed) Langevin dynamics.

Shapes: ``x``, ``y``, ``x_t`` are ``(B, *D)`` (``(N, d)`` for points); ``t`` is int64 ``(B,)`` in ``[0, T)``;
``alpha_bar`` is a ``(T,)`` schedule (see ``course_core.schedules``).
"""
import math

import torch

from ._broadcast import extract

# ---------------------------------------------------------------- hw1: Tweedie, DSM, Langevin


def tweedie_denoiser(y: torch.Tensor, score: torch.Tensor, sigma: float) -> torch.Tensor:
    """Posterior mean ``E[x | y]`` for ``y = x + sigma * z``, from the score of the law of ``y``.

    Reference: Robbins 1956; Efron 2011, "Tweedie's formula and selection bias", JASA 106 (Tweedie's formula,
    Gaussian case). ``E[x | y] = y + sigma**2 * grad_y log p_sigma(y)``.

    Args:
        y: ``(N, d)`` noisy observations.
        score: ``(N, d)``, ``grad log p_sigma`` at ``y``.
        sigma: noise level (Python float).
    Returns:
        ``(N, d)``.
    """
    return y + sigma**2 * score


def dsm_loss(score_model, x0: torch.Tensor, sigma: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """Denoising score matching loss over noise levels, weighted by ``lambda(sigma) = sigma**2``.

    Reference: Song & Ermon 2019, arXiv:1907.05600, Eq. (5)-(6) with lambda(sigma) = sigma^2.
    ``x_tilde = x0 + sigma * noise``; the target score is ``-(x_tilde - x0) / sigma**2 = -noise / sigma``, so
    ``sigma**2 * 0.5 * ||s(x_tilde, sigma) + noise / sigma||**2 = 0.5 * ||sigma * s(x_tilde, sigma) + noise||**2``,
    summed over data dims and averaged over the batch.

    Args:
        score_model: ``score_model(x (B, d), sigma (B,)) -> (B, d)``.
        x0: ``(B, d)`` clean data.
        sigma: ``(B,)`` per-sample noise levels.
        noise: ``(B, d)`` standard normal draws.
    Returns:
        scalar tensor.
    """
    sigma_b = sigma.to(x0.dtype).reshape(-1, *([1] * (x0.dim() - 1)))  # (B, 1, ..., 1)
    x_tilde = x0 + sigma_b * noise
    r = sigma_b * score_model(x_tilde, sigma) + noise  # (B, d)
    return 0.5 * (r**2).flatten(1).sum(dim=1).mean()


def langevin_step(x: torch.Tensor, score: torch.Tensor, step_size: float, noise: torch.Tensor) -> torch.Tensor:
    """One unadjusted Langevin step ``x + step_size * score + sqrt(2 * step_size) * noise``.

    Reference: Song & Ermon 2019, arXiv:1907.05600, Sec. 2.2 (Langevin dynamics) with ``step_size = epsilon / 2``.
    ``x``, ``score``, ``noise``: same shape; returns that shape.
    """
    return x + step_size * score + math.sqrt(2 * step_size) * noise


def annealed_langevin(x: torch.Tensor, score_fn, sigmas: torch.Tensor, step_lr: float, n_steps: int,
                      noise: torch.Tensor) -> torch.Tensor:
    """Annealed Langevin dynamics.

    Reference: Song & Ermon 2019, arXiv:1907.05600, Algorithm 1, whose base step size epsilon is ``step_lr``
    here (the name in the paper's code). For each ``sigma_i`` (decreasing) the step is
    ``alpha_i = step_lr * sigma_i**2 / sigma_L**2``; repeat ``n_steps`` times
    ``x <- x + alpha_i / 2 * s(x, sigma_i) + sqrt(alpha_i) * z``, i.e. ``langevin_step`` with
    ``step_size = alpha_i / 2``. No final denoising step.

    Args:
        x: ``(N, *D)`` initial points.
        score_fn: ``score_fn(x, sigma)`` with ``sigma`` a 0-d tensor.
        sigmas: ``(L,)`` decreasing noise levels.
        step_lr: base step size epsilon (Python float).
        n_steps: Langevin steps per level.
        noise: ``(L, n_steps, *x.shape)``, every Gaussian draw.
    Returns:
        like ``x``.
    """
    for i in range(sigmas.shape[0]):
        step_size = step_lr * float(sigmas[i]) ** 2 / float(sigmas[-1]) ** 2 / 2  # alpha_i / 2
        for j in range(n_steps):
            x = langevin_step(x, score_fn(x, sigmas[i]), step_size, noise[i, j])
    return x


# ---------------------------------------------------------------- score <-> eps <-> x0 under VP noising


def score_from_eps(eps: torch.Tensor, t: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
    """Score of ``q(x_t)`` from a noise prediction: ``score = -eps / sqrt(1 - alpha_bar_t)``.

    Follows from Ho et al. 2020, arXiv:2006.11239, Eq. (4): ``grad log q(x_t | x0) = -eps / sqrt(1 - alpha_bar_t)``,
    and the ``eps`` minimising Eq. (14) is its posterior mean. ``eps (B, *D)``, ``t (B,)`` -> ``(B, *D)``.
    """
    return -eps / torch.sqrt(1 - extract(alpha_bar, t, eps))


def eps_from_score(score: torch.Tensor, t: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
    """Noise prediction from a score: ``eps = -sqrt(1 - alpha_bar_t) * score`` (inverse of ``score_from_eps``).

    ``score (B, *D)``, ``t (B,)`` -> ``(B, *D)``.
    """
    return -torch.sqrt(1 - extract(alpha_bar, t, score)) * score


def x0_from_score(x_t: torch.Tensor, t: torch.Tensor, score: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
    """``E[x0 | x_t]`` by Tweedie's formula under VP noising ``x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps``.

    Reference: Efron 2011 (Tweedie's formula) applied to Ho et al. 2020, Eq. (4):
    ``E[x0 | x_t] = (x_t + (1 - alpha_bar_t) * score) / sqrt(alpha_bar_t)``.
    ``x_t, score (B, *D)``, ``t (B,)`` -> ``(B, *D)``.
    """
    ab = extract(alpha_bar, t, x_t)  # (B, 1, ..., 1)
    return (x_t + (1 - ab) * score) / torch.sqrt(ab)
