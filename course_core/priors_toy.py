"""hw0's support module: dense degradation matrices for 8x8 images (a blur, an inpainting mask), the orthonormal 2-D
DCT basis, a Gaussian-mixture fit of the digits by class, and PSNR.

Student support module of hw0 only (grading_config/hw0_priors.toml): the build writes it next to the hw0 notebook.
It carries none of hw0's answers (the Gaussian tools, the Wiener filter, Tikhonov, ISTA, the mixture's MMSE, RED
and PnP stay in ``course_core.priors`` and ``course_core.red_pnp``), and no answer of a later assignment.

Shapes: an 8x8 image is a flat row of ``d = 64`` pixels in row-major order; a degradation is an ``(m, d)`` matrix
``H`` applied to a batch ``x (B, d)`` as ``x @ H.T``.
"""
import math

import numpy as np  # noqa: F401 - kept for the student's copy (notebooks import it through here)
import torch

from .inverse_toy import psnr  # shipped: the PSNR homework 5 reports too (one definition for both)

__all__ = ["blur_matrix", "inpainting_matrix", "dct_matrix", "difference_matrix", "class_mixture", "psnr"]


def blur_matrix(n: int = 8, width: float = 1.0, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The ``(n*n, n*n)`` matrix of a Gaussian blur of an ``n x n`` image (row-major), standard deviation ``width``
    pixels, 5-tap kernel normalised to sum 1, zero padding (the border loses light). Symmetric, separable
    (``kron(B1, B1)`` of the 1-D blur ``B1``), ill-conditioned: its smallest singular values are near 0."""
    k = torch.arange(-2, 3, dtype=torch.float64)
    taps = torch.exp(-0.5 * (k / width) ** 2)
    taps = taps / taps.sum()
    B1 = torch.zeros(n, n, dtype=torch.float64)
    for i in range(n):
        for j, w in zip(range(i - 2, i + 3), taps):
            if 0 <= j < n:
                B1[i, j] = w
    return torch.kron(B1, B1).to(dtype)


def inpainting_matrix(mask: torch.Tensor, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The ``(m, d)`` selection matrix of a boolean ``mask`` of ``d`` pixels (any shape, flattened row-major): row
    ``i`` is the unit vector of the ``i``-th observed pixel, so ``x @ H.T`` lists the observed pixels."""
    flat = torch.as_tensor(mask, dtype=torch.bool).reshape(-1)
    return torch.eye(flat.numel(), dtype=dtype)[flat]


def dct_matrix(n: int = 8, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The orthonormal 2-D DCT-II of ``n x n`` images as a ``(n*n, n*n)`` matrix ``C``: ``c = x @ C.T`` are the
    coefficients of the flat images ``x`` (row-major), ``x = c @ C``. Row ``(u, v)`` (index ``u n + v``) is the
    basis image of vertical frequency ``u`` and horizontal frequency ``v``; row 0 is the constant image."""
    i = torch.arange(n, dtype=torch.float64)
    C1 = torch.cos(math.pi * (2 * i[None, :] + 1) * i[:, None] / (2 * n)) * math.sqrt(2.0 / n)  # (n, n)
    C1[0] = C1[0] / math.sqrt(2.0)
    return torch.kron(C1, C1).to(dtype)


def difference_matrix(n: int = 8, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The ``(2 n (n - 1), n*n)`` matrix ``D`` of the horizontal then vertical differences of neighbouring pixels of
    an ``n x n`` image (row-major): ``||D x||^2`` is the smoothness penalty of Tikhonov regularization."""
    rows = []
    for r in range(n):
        for c in range(n - 1):
            e = torch.zeros(n * n, dtype=torch.float64)
            e[r * n + c + 1], e[r * n + c] = 1.0, -1.0
            rows.append(e)
    for r in range(n - 1):
        for c in range(n):
            e = torch.zeros(n * n, dtype=torch.float64)
            e[(r + 1) * n + c], e[r * n + c] = 1.0, -1.0
            rows.append(e)
    return torch.stack(rows).to(dtype)


def class_mixture(x: torch.Tensor, labels: torch.Tensor, ridge: float = 0.05):
    """A Gaussian mixture fitted to labelled data, one component per class: weight the class frequency, mean and
    covariance the class's (``ridge * I`` added, so that every covariance is well conditioned).

    Args:
        x: ``(n, d)``; labels: int64 ``(n,)`` in ``0..K-1``; ridge: Python float ``> 0``.
    Returns:
        ``(weights (K,), means (K, d), covs (K, d, d))``, float64.
    """
    x = x.to(torch.float64)
    K, d = int(labels.max()) + 1, x.shape[1]
    weights = torch.stack([(labels == k).double().mean() for k in range(K)])
    means = torch.stack([x[labels == k].mean(0) for k in range(K)])
    covs = torch.stack([torch.cov(x[labels == k].T) + ridge * torch.eye(d, dtype=torch.float64) for k in range(K)])
    return weights, means, covs
