"""hw5's support module: the SVD interface of a degradation, a wrapper for the students' operator functions, homework
3's DDIM step, the exact noise predictor of a mixture, the exact posterior of a mixture prior, and PSNR.

Student support module of hw5 only (grading_config/hw5_inverse.toml): the build writes it next to the hw5 notebook,
with the source of every function imported from ``course_core`` on a line marked ``# shipped`` inlined in place of
the import. It carries homework 3's solution of the DDIM step, so it is not shipped before hw3 is over; it carries
none of hw5's answers (the inpainting and super-resolution operators, DDRM, DPS and ΠGDM stay in
``course_core.inverse``, out of the students' reach).
"""
import math  # noqa: F401 - the shipped mixture_posterior needs it in the student's copy

import numpy as np  # noqa: F401 - the shipped ddim_timesteps needs it in the student's copy
import torch

from ._broadcast import extract  # shipped: per-sample gathering, used by the DDIM step
from .ddim import ddim_timesteps, _alpha_bar_or_one, ddim_sigma, ddim_step  # shipped: homework 3's DDIM step
from .gmm import mixture_eps  # shipped: the exact noise predictor of a mixture
from .inverse import _flat, _like, Degradation, householder  # shipped: the SVD interface of a degradation
from .inverse import degradation_matrix, mixture_posterior  # shipped: the exact posterior of a mixture prior

__all__ = ["Degradation", "householder", "from_functions", "degradation_matrix", "mixture_posterior",
           "ddim_timesteps", "ddim_step", "mixture_eps", "psnr"]


class _Functional(Degradation):
    """A ``Degradation`` with ``U = I`` whose ``V``, ``V_T`` and ``singulars`` are given callables."""

    def __init__(self, shape, m: int, V, V_T, singulars):
        super().__init__(shape, m)
        self._V, self._V_T, self._singulars = V, V_T, singulars

    def V(self, z):
        return self._V(z)

    def V_T(self, x):
        return self._V_T(x)

    def U(self, z):
        return _flat(z, self.m)

    def U_T(self, y):
        return _flat(y, self.m)

    def singulars(self):
        return torch.as_tensor(self._singulars(), dtype=torch.float64)


def from_functions(shape, m: int, V, V_T, singulars) -> Degradation:
    """A degradation object for one sample's ``shape`` with ``m`` measurements and ``U = I``, from three functions:
    ``V(z)`` (spectral ``(B, d)`` -> data ``(B, d)``), ``V_T(x)`` (data -> spectral, observed coordinates first) and
    ``singulars()`` (``(m,)``). ``H``, ``H_T``, ``H_pinv`` and ``add_zeros`` come from ``Degradation``."""
    return _Functional(shape, m, V, V_T, singulars)


def psnr(x: torch.Tensor, ref: torch.Tensor, data_range: float = 2.0) -> torch.Tensor:
    """Peak signal-to-noise ratio per sample in dB, ``10 log10(data_range**2 / mean((x - ref)**2))``.

    Args:
        x, ref: ``(B, ...)`` with the same number of entries per sample; both are clipped to ``[-1, 1]`` (the
        pixel range, width ``data_range``) first. A perfect match gives 120 dB (the error is floored at 1e-12).
    Returns:
        float64 ``(B,)``.
    """
    x = x.detach().reshape(x.shape[0], -1).to(torch.float64).clamp(-1, 1)
    ref = ref.detach().reshape(ref.shape[0], -1).to(torch.float64).clamp(-1, 1)
    return 10 * torch.log10(data_range**2 / ((x - ref) ** 2).mean(1).clamp(min=1e-12))
