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


# ---------------------------------------------------------------- hw1: numerical checks of the three derivations


def posterior_mean_mc(y: torch.Tensor, x_prior: torch.Tensor, sigma: float) -> torch.Tensor:
    """Self-normalised importance-sampling estimate of ``E[x | y]`` for ``y = x + sigma * z``, from prior samples.

    The prior samples ``x_j ~ p`` are the proposal, so the weight of ``x_j`` is the likelihood
    ``N(y_i; x_j, sigma**2 I)``, normalised over ``j`` in log space:
    ``w_ij = softmax_j(-||y_i - x_j||**2 / (2 sigma**2))``, ``E[x | y_i] ~ sum_j w_ij x_j``.
    It checks Tweedie's formula (``tweedie_denoiser``) without any score.

    Args:
        y: ``(N, d)`` noisy observations.
        x_prior: ``(S, d)`` samples of the prior ``p`` (cast to ``y``'s dtype).
        sigma: noise level (Python float).
    Returns:
        ``(N, d)`` in ``y``'s dtype.
    """
    x_prior = x_prior.to(dtype=y.dtype, device=y.device)
    sq_dist = ((y[:, None, :] - x_prior[None, :, :]) ** 2).sum(-1)  # (N, S)
    w = torch.softmax(-sq_dist / (2 * sigma**2), dim=1)  # (N, S), rows sum to 1
    return w @ x_prior  # (N, d)


def dsm_esm_gap(score_model, x0: torch.Tensor, sigma: torch.Tensor, noise: torch.Tensor, true_score) -> torch.Tensor:
    """``J_DSM - J_ESM`` on one batch: Vincent's (2011) constant, which does not depend on the model.

    Reference: Vincent 2011, Neural Computation 23(7); Song & Ermon 2019, arXiv:1907.05600, §2.1 and Eq. (5)-(6).
    With ``x_tilde = x0 + sigma * noise`` (one ``x_tilde`` for both terms) and ``lambda(sigma) = sigma**2``:
    ``J_DSM = mean_b 0.5 sigma_b**2 ||s(x_tilde_b) + noise_b / sigma_b||**2`` (``dsm_loss``) and
    ``J_ESM = mean_b 0.5 sigma_b**2 ||s(x_tilde_b) - true_score(x_tilde_b)||**2``, each squared norm summed
    over data dims. In expectation the difference is
    ``C = 0.5 E[||noise||**2 - sigma**2 ||grad log p_sigma(x_tilde)||**2]`` whatever the model; on one batch it
    differs from ``C`` by a zero-mean term linear in the model.

    Args:
        score_model, true_score: ``f(x (B, d), sigma (B,)) -> (B, d)``.
        x0: ``(B, d)`` clean data.
        sigma: ``(B,)`` per-sample noise levels.
        noise: ``(B, d)`` standard normal draws.
    Returns:
        scalar tensor, ``x0``'s dtype.
    """
    sigma_b = sigma.to(x0.dtype).reshape(-1, 1)  # (B, 1)
    x_tilde = x0 + sigma_b * noise  # (B, d)
    s = score_model(x_tilde, sigma)  # (B, d)
    dsm = 0.5 * ((sigma_b * s + noise) ** 2).sum(1)  # (B,)
    esm = 0.5 * sigma_b[:, 0] ** 2 * ((s - true_score(x_tilde, sigma)) ** 2).sum(1)  # (B,)
    return (dsm - esm).mean()


def langevin_chain_variance(x_init: torch.Tensor, s2: float, step_size: float, noise: torch.Tensor) -> torch.Tensor:
    """Sample variance, per coordinate, of unadjusted Langevin chains on ``N(0, s2 I)`` after ``n`` steps.

    Runs ``x <- langevin_step(x, -x / s2, step_size, noise[k])`` for ``k = 0..n-1`` (the score of
    ``N(0, s2 I)`` is ``-x / s2``), then returns the unbiased variance over the ``N`` chains (denominator
    ``N - 1``) of each coordinate. The step is the AR(1) map ``x' = (1 - step_size / s2) x + sqrt(2 step_size) z``,
    whose stationary variance is ``s2 / (1 - step_size / (2 s2))`` for ``0 < step_size < 2 s2``
    (the bias of unadjusted Langevin; Roberts & Tweedie 1996).

    Args:
        x_init: ``(N, d)`` starting points, ``N >= 2``.
        s2: variance of the target (Python float).
        step_size: Langevin step ``delta`` (Python float).
        noise: ``(n, N, d)``, the draw of every step.
    Returns:
        ``(d,)`` in ``x_init``'s dtype.
    """
    x = x_init
    for k in range(noise.shape[0]):
        x = langevin_step(x, -x / s2, step_size, noise[k])
    return x.var(dim=0)  # (d,), denominator N - 1


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


# ---------------------------------------------------------------- the bias of unadjusted Langevin, in closed form


def langevin_stationary_variance(s2, step_size):
    """Stationary variance of unadjusted Langevin on ``N(mu, s2 I)``: ``s2 / (1 - step_size / (2 s2))``.

    Reference: Roberts & Tweedie 1996 (the unadjusted Langevin algorithm). With the score ``-(x - mu) / s2``,
    ``langevin_step`` is the AR(1) map ``x' - mu = a (x - mu) + sqrt(2 step_size) z``, ``a = 1 - step_size / s2``;
    its stationary variance solves ``v = a**2 v + 2 step_size``, so ``v = 2 step_size / (1 - a**2)``. Defined for
    ``0 < step_size < 2 s2`` (``|a| < 1``; the chain diverges otherwise); above ``s2`` for every such step, and
    ``s2`` only in the limit ``step_size -> 0``. ``langevin_chain_variance`` estimates it by simulation.

    Args:
        s2, step_size: Python floats or tensors (elementwise, broadcast).
    Returns:
        a float or a tensor of the broadcast shape.
    """
    return s2 / (1 - step_size / (2 * s2))
