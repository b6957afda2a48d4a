"""Noise schedules of the discrete forward process.

Index convention (shared by all of ``course_core``): index ``t`` in ``[0, T)`` is the paper's step ``t + 1``;
"before step 0" means ``alpha_bar = 1``. Schedules are float64 ``(T,)`` tensors:
``beta``, ``alpha = 1 - beta``, ``alpha_bar = cumprod(alpha)``.
"""
import math

import torch


def linear_beta_schedule(T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> torch.Tensor:
    """Linear variance schedule ``beta``.

    Reference: Ho et al. 2020, arXiv:2006.11239, Sec. 4 (beta_1 = 1e-4 to beta_T = 0.02, T = 1000).
    ``beta = linspace(beta_start, beta_end, T)``.

    Returns:
        float64 ``(T,)``.
    """
    return torch.linspace(beta_start, beta_end, T, dtype=torch.float64)


def cosine_beta_schedule(T: int, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """Cosine variance schedule ``beta`` (diffusers' ``squaredcos_cap_v2``).

    Reference: Nichol & Dhariwal 2021, arXiv:2102.09672, Eq. (17):
    ``f(u) = cos(((u / T + s) / (1 + s)) * pi / 2) ** 2``, ``alpha_bar`` at step u is ``f(u) / f(0)``, so for
    index t: ``beta_t = min(1 - f(t + 1) / f(t), max_beta)``.

    Returns:
        float64 ``(T,)``.
    """
    u = torch.arange(T + 1, dtype=torch.float64)  # (T+1,)
    f = torch.cos((u / T + s) / (1 + s) * math.pi / 2) ** 2  # (T+1,)
    return (1 - f[1:] / f[:-1]).clamp(max=max_beta)


def alpha_bar_from_beta(beta: torch.Tensor) -> torch.Tensor:
    """Cumulative signal fraction ``alpha_bar_t = prod_{s <= t} (1 - beta_s)``.

    Reference: Ho et al. 2020, arXiv:2006.11239, notation above Eq. (4).
    ``beta (T,)`` -> ``(T,)``, same dtype.
    """
    return torch.cumprod(1 - beta, dim=0)


def alpha_bar_prev(alpha_bar: torch.Tensor) -> torch.Tensor:
    """``alpha_bar`` one step earlier: ``[1, alpha_bar_0, ..., alpha_bar_{T-2}]``.

    Index 0 is "before step 0", where ``alpha_bar = 1``. ``alpha_bar (T,)`` -> ``(T,)``, same dtype.
    """
    return torch.cat([alpha_bar.new_ones(1), alpha_bar[:-1]])
