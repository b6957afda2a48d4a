"""Random inputs for the checks, made from small parameter records so that failing examples read well."""

from __future__ import annotations

import numpy as np
import torch


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def normal(g: np.random.Generator, *shape: int, scale: float = 1.0) -> torch.Tensor:
    """A float64 tensor of standard normal draws (times `scale`)."""
    return torch.from_numpy(g.normal(size=shape) * scale)


def random_mixture(g: np.random.Generator, K: int, d: int, *, spread: float = 2.0):
    """Weights (K,), means (K, d) and well-conditioned covariances (K, d, d), float64."""
    weights = torch.from_numpy(g.dirichlet(np.ones(K)) * 0.9 + 0.1 / K)
    means = normal(g, K, d, scale=spread)
    L = normal(g, K, d, d, scale=0.5)
    covs = L @ L.transpose(1, 2) + 0.3 * torch.eye(d, dtype=torch.float64)
    return weights, means, covs
