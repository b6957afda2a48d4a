"""The one helper that turns a per-step schedule into per-sample scalars that broadcast against data."""
import torch


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
