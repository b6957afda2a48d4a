"""Consistency models: the skip parameterization that enforces the boundary condition, and multistep sampling.

Reference: Song, Dhariwal, Chen & Sutskever 2023, "Consistency Models", arXiv:2303.01469. A consistency function
maps any point ``x_t`` of a probability-flow ODE trajectory (VE noising ``x_t = x0 + t z``, ``t`` in
``[sigma_min, sigma_max]``, EDM's noise level ``sigma = t``) to the trajectory's origin; it must be the identity at
``t = sigma_min`` (the boundary condition). Shapes: ``x`` ``(B, *D)``; ``sigma`` a Python float, a 0-d tensor or a
``(B,)`` tensor (one level per sample).
"""

import torch


def _per_sample(sigma, like: torch.Tensor) -> torch.Tensor:
    """``sigma`` (float, 0-d or ``(B,)``) as a tensor that broadcasts against ``like`` ``(B, *D)``."""
    s = torch.as_tensor(sigma, dtype=like.dtype, device=like.device)
    return s.reshape(-1, *([1] * (like.dim() - 1))) if s.dim() == 1 else s


def consistency_scalings(sigma, sigma_data: float = 0.5, sigma_min: float = 0.002):
    """The coefficients ``c_skip(t)`` and ``c_out(t)`` of the consistency model's parameterization.

    Reference: Song et al. 2023, arXiv:2303.01469, §3 (``f(x, t) = c_skip(t) x + c_out(t) F(x, t)`` with
    ``c_skip(eps) = 1``, ``c_out(eps) = 0``) and the choice of the official code
    (``get_scalings_for_boundary_condition``: EDM's scalings, Karras et al. 2022, arXiv:2206.00364, shifted so that
    the boundary sits at ``eps = sigma_min``):
    ``c_skip = sigma_data**2 / ((t - sigma_min)**2 + sigma_data**2)``,
    ``c_out = sigma_data (t - sigma_min) / sqrt(sigma_data**2 + t**2)``.

    Args:
        sigma: the noise level ``t``, a Python float or a tensor (any shape); sigma_data: the data's standard
        deviation (0.5 in the paper); sigma_min: the boundary ``eps`` (0.002 in the paper).
    Returns:
        ``(c_skip, c_out)``, each shaped like ``sigma`` (float64 tensors for a Python float).
    """
    t = torch.as_tensor(sigma, dtype=torch.float64) if not torch.is_tensor(sigma) else sigma
    s2 = torch.full_like(t, sigma_data**2)  # a tensor numerator: torch divides a Python scalar by a reciprocal
    c_skip = s2 / ((t - sigma_min) ** 2 + s2)
    c_out = sigma_data * (t - sigma_min) / torch.sqrt(sigma_data**2 + t**2)
    return c_skip, c_out


def consistency_function(x: torch.Tensor, sigma, raw: torch.Tensor, sigma_data: float = 0.5,
                         sigma_min: float = 0.002) -> torch.Tensor:
    """The consistency model's output ``f(x, t) = c_skip(t) x + c_out(t) F(x, t)``.

    Reference: Song et al. 2023, arXiv:2303.01469, §3; ``consistency_scalings`` gives the coefficients, so
    ``f(x, sigma_min) = x`` for every network output.

    Args:
        x: ``(B, *D)``; sigma: float, 0-d or ``(B,)``; raw: ``(B, *D)``, the free network's output ``F(x, t)``.
    Returns:
        ``(B, *D)`` in ``x``'s dtype.
    """
    c_skip, c_out = consistency_scalings(_per_sample(sigma, x), sigma_data, sigma_min)
    return c_skip * x + c_out * raw


def consistency_renoise(x0_pred: torch.Tensor, sigma, noise: torch.Tensor, sigma_min: float = 0.002) -> torch.Tensor:
    """The re-noising of multistep consistency sampling: ``x = x0_pred + sqrt(t**2 - sigma_min**2) z``.

    Reference: Song et al. 2023, arXiv:2303.01469, Algorithm 1 (multistep consistency sampling): after each
    evaluation of ``f``, the estimate is noised back to the next level ``t = tau_n``, then ``f`` is applied again.

    Args:
        x0_pred: ``(B, *D)``; sigma: the level ``tau_n >= sigma_min`` (float, 0-d or ``(B,)``); noise: ``(B, *D)``.
    Returns:
        ``(B, *D)``.
    """
    t = _per_sample(sigma, x0_pred)
    return x0_pred + torch.sqrt(t**2 - sigma_min**2) * noise


__all__ = ["consistency_scalings", "consistency_function", "consistency_renoise"]
