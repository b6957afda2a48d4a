"""DDIM: timestep subsequences, the generalized reverse step, sampling, inversion and respaced schedules.

Reference: Song, Meng & Ermon 2021, "Denoising Diffusion Implicit Models", arXiv:2010.02502.
Index convention as in ``ddpm``: ``t`` is int64 ``(B,)`` in ``[0, T)`` (index ``t`` is the paper's step ``t + 1``);
``t_prev = -1`` means "before step 0", where ``alpha_bar = 1`` (diffusers' ``set_alpha_to_one=True``). A timestep
subsequence is a descending int64 ``(S,)`` tensor of indices. Data ``(B, *D)``; ``alpha_bar (T,)`` float64, cast
to the data's dtype after gathering.
"""

import numpy as np
import torch

from ._broadcast import extract

SPACINGS = ("leading", "trailing", "linspace")


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


def ddim_sample(eps_model, x_T: torch.Tensor, alpha_bar: torch.Tensor, timesteps: torch.Tensor, eta: float,
                noise: torch.Tensor) -> torch.Tensor:
    """Sampling along a descending subsequence with every draw passed in.

    Reference: Song, Meng & Ermon 2021, §4.2 and Eq. (12): for ``i = 0, ..., S - 1``, ``t = timesteps[i]``,
    ``t_prev = timesteps[i + 1]`` (``-1`` after the last), ``x <- ddim_step(x, t, t_prev, eps_model(x, t),
    alpha_bar, eta, noise[i])``.

    Args:
        eps_model: ``eps_model(x (B, *D), t int64 (B,)) -> (B, *D)``.
        x_T: ``(B, *D)``; alpha_bar: ``(T,)``; timesteps: int64 ``(S,)`` descending; eta: Python float.
        noise: ``(S, B, *D)``; ``noise[i]`` is the draw of step ``i``.
    Returns:
        ``(B, *D)``, the sample.
    """
    x, B = x_T, x_T.shape[0]
    steps = [int(s) for s in timesteps]
    for i, step in enumerate(steps):
        t = torch.full((B,), step, dtype=torch.int64, device=x.device)
        t_prev = torch.full((B,), steps[i + 1] if i + 1 < len(steps) else -1, dtype=torch.int64, device=x.device)
        x = ddim_step(x, t, t_prev, eps_model(x, t), alpha_bar, eta, noise[i])
    return x


def ddim_invert(eps_model, x0: torch.Tensor, alpha_bar: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
    """Deterministic DDIM inversion: from ``x0`` up the subsequence to ``x`` at ``timesteps[0]``.

    Reference: Song, Meng & Ermon 2021, §4.3 and Eq. (13) (the ODE run forwards). Going up from index ``s``
    (``-1`` for ``x0``) to the next index ``t`` of the ascending subsequence, the noise is predicted at the
    current point with the target index, ``eps = eps_model(x_s, t)`` (as diffusers' inverse scheduler does), and
    ``x_t = sqrt(ab_t) x0_pred + sqrt(1 - ab_t) eps`` with ``x0_pred = (x_s - sqrt(1 - ab_s) eps) / sqrt(ab_s)``.
    With an exact noise prediction and small steps, ``ddim_sample(..., eta=0)`` from the result returns close
    to ``x0``.

    Args:
        eps_model: as in ``ddim_sample``; x0: ``(B, *D)``; alpha_bar: ``(T,)``;
        timesteps: int64 ``(S,)`` descending (the sampler's order; inversion visits it reversed).
    Returns:
        ``(B, *D)``, the point at index ``timesteps[0]``.
    """
    x, B = x0, x0.shape[0]
    prev = -1
    for step in reversed([int(s) for s in timesteps]):
        s = torch.full((B,), prev, dtype=torch.int64, device=x.device)
        t = torch.full((B,), step, dtype=torch.int64, device=x.device)
        eps = eps_model(x, t)
        ab_s, ab_t = _alpha_bar_or_one(alpha_bar, s, x), extract(alpha_bar, t, x)
        x0_pred = (x - torch.sqrt(1 - ab_s) * eps) / torch.sqrt(ab_s)
        x = torch.sqrt(ab_t) * x0_pred + torch.sqrt(1 - ab_t) * eps
        prev = step
    return x


def respace_betas(alpha_bar: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
    """The betas of the strided chain that visits only ``timesteps``, oldest first.

    Reference: Nichol & Dhariwal 2021, arXiv:2102.09672, §4 (respacing): for the ascending subsequence
    ``s_0 < s_1 < ...``, ``beta_i = 1 - alpha_bar[s_i] / alpha_bar[s_{i-1}]`` with ``alpha_bar[s_{-1}] = 1``. The
    respaced chain has the same ``alpha_bar`` at the kept indices, so DDPM on it (``ddpm.ddpm_step`` at index
    ``i`` with these betas) is DDIM with ``eta = 1`` on the subsequence.

    Args:
        alpha_bar: ``(T,)``; timesteps: int64 ``(S,)``, descending (or ascending: only the set matters).
    Returns:
        ``(S,)`` float64 betas of the respaced chain, ascending in index.
    """
    kept = alpha_bar.to(torch.float64)[torch.sort(timesteps).values]  # (S,), ascending indices
    previous = torch.cat([kept.new_ones(1), kept[:-1]])
    return 1 - kept / previous


def ddim_marginal_mc(x0: torch.Tensor, alpha_bar_t: float, alpha_bar_prev: float, sigma_eta: float,
                     noise: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Monte-Carlo moments of ``x_{t-1}`` drawn through DDIM's non-Markovian posterior, from one data point.

    Reference: Song, Meng & Ermon 2021, Eq. (7) and Lemma 1 (Appendix B). Draws ``x_t ~ q(x_t | x0)`` (Ho et al.
    2020, Eq. (4)) with ``noise[0]``, then ``x_{t-1} ~ q_sigma(x_{t-1} | x_t, x0)`` with ``noise[1]``:
    ``x_{t-1} = sqrt(ab_prev) x0 + sqrt(1 - ab_prev - sigma_eta**2) (x_t - sqrt(ab_t) x0) / sqrt(1 - ab_t) +
    sigma_eta noise[1]``, and returns the mean and the variance (divided by ``N``) of the ``N`` draws per
    coordinate. Lemma 1: for every ``sigma_eta`` in ``[0, sqrt(1 - ab_prev)]`` they estimate ``sqrt(ab_prev) x0``
    and ``1 - ab_prev``.

    Args:
        x0: ``(*D)``, one data point; alpha_bar_t, alpha_bar_prev: Python floats in ``(0, 1]``,
        ``alpha_bar_t < 1``; sigma_eta: Python float, DDIM's sigma_t(eta) (Eq. (16)), in
        ``[0, sqrt(1 - alpha_bar_prev)]``.
        noise: ``(2, N, *D)``: ``noise[0]`` for ``x_t``, ``noise[1]`` for ``x_{t-1}``.
    Returns:
        ``(mean, var)``, each ``(*D)`` in ``x0``'s dtype.
    """
    ab_t, ab_prev = (torch.tensor(v, dtype=torch.float64) for v in (alpha_bar_t, alpha_bar_prev))
    direction = torch.sqrt((1 - ab_prev - sigma_eta**2).clamp(min=0) / (1 - ab_t))
    c_t, c_eps, c_x0, c_dir = (v.to(x0.dtype) for v in (ab_t.sqrt(), (1 - ab_t).sqrt(), ab_prev.sqrt(), direction))
    x_t = c_t * x0 + c_eps * noise[0]  # (N, *D)
    x_prev = c_x0 * x0 + c_dir * (x_t - c_t * x0) + sigma_eta * noise[1]
    return x_prev.mean(0), x_prev.var(0, unbiased=False)


__all__ = ["ddim_timesteps", "ddim_sigma", "ddim_step", "ddim_sample", "ddim_invert", "respace_betas", "ddim_marginal_mc",
           "SPACINGS"]
