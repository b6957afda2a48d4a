"""Toy 2-D data, a small time-conditioned MLP, a training loop and plots.

Student support module: the build writes it next to each student notebook, with the source of every
function imported from ``course_core`` on a line marked ``# shipped`` inlined in place of the import (so
the student's copy imports only torch, numpy and matplotlib). It contains no reference solution.

Shapes: points are ``(n, d)`` (``d = 2`` for the ring); a mixture is ``weights (K,)``, ``means (K, d)``,
``covs (K, d, d)``.
"""
import math

import numpy as np
import torch
from torch import nn

# The reference's own function (course_core/ddpm.py), shared by both.


def discretized_gaussian_log_likelihood(x: torch.Tensor, mean: torch.Tensor, log_scale: torch.Tensor) -> torch.Tensor:
    """Log-probability of the 256-level bin containing ``x`` under ``N(mean, exp(log_scale)**2)``.

    Reference: Ho et al. 2020, Eq. (13): bins of half-width 1/255 around each level of ``[-1, 1]``, the edge
    bins extended to ``-inf`` (``x < -0.999``) and ``+inf`` (``x > 0.999``), as in improved-diffusion's
    ``discretized_gaussian_log_likelihood``. Uses the exact normal CDF (``torch.special.ndtr``) where Ho's and
    improved-diffusion's code use a tanh approximation; edge bins use ``log_ndtr``; interior bin probabilities
    are clamped at 1e-12 before the log, as there.

    Args:
        x: ``(B, *D)`` on the grid ``-1 + 2k/255``; mean, log_scale: broadcastable to ``x``.
    Returns:
        ``(B, *D)`` log-probabilities in nats.
    """
    centered = x - mean
    inv_std = torch.exp(-log_scale)
    plus_in = inv_std * (centered + 1.0 / 255.0)
    min_in = inv_std * (centered - 1.0 / 255.0)
    log_cdf_plus = torch.special.log_ndtr(plus_in)  # log P(X <= upper edge)
    log_one_minus_cdf_min = torch.special.log_ndtr(-min_in)  # log P(X > lower edge)
    cdf_delta = torch.special.ndtr(plus_in) - torch.special.ndtr(min_in)
    log_delta = torch.log(cdf_delta.clamp(min=1e-12))
    return torch.where(x < -0.999, log_cdf_plus, torch.where(x > 0.999, log_one_minus_cdf_min, log_delta))

__all__ = [
    "ring_mixture",
    "sample_mixture",
    "quantize",
    "discretized_gaussian_log_likelihood",
    "TimeMLP",
    "LabelTimeMLP",
    "train",
    "plot_samples",
    "plot_vector_field",
]


def ring_mixture(K: int = 8, radius: float = 2.0, std: float = 0.15, dtype: torch.dtype = torch.float64):
    """Equal-weight mixture of K isotropic Gaussians evenly spaced on a circle.

    Component k has mean ``radius * (cos(2 pi k / K), sin(2 pi k / K))`` and covariance ``std**2 * I``.

    Returns:
        weights: ``(K,)``, all ``1 / K``.
        means: ``(K, 2)``.
        covs: ``(K, 2, 2)``.
    """
    angle = 2 * np.pi * torch.arange(K, dtype=dtype) / K  # (K,)
    means = radius * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)  # (K, 2)
    covs = (std**2) * torch.eye(2, dtype=dtype).expand(K, 2, 2).clone()  # (K, 2, 2)
    weights = torch.full((K,), 1.0 / K, dtype=dtype)  # (K,)
    return weights, means, covs


def sample_mixture(weights, means, covs, n: int, *, generator: torch.Generator):
    """Draw n points from sum_k weights_k N(means_k, covs_k).

    Component labels and Gaussian draws both come from ``generator`` (no global RNG).
    Dtype and device follow ``means``.

    Args:
        weights: ``(K,)`` non-negative, summing to 1.
        means: ``(K, d)``.
        covs: ``(K, d, d)`` symmetric positive definite.
        n: number of samples.
    Returns:
        ``(n, d)``.
    """
    k = torch.multinomial(weights.to(torch.float64), n, replacement=True, generator=generator)  # (n,)
    k = k.to(means.device)
    L = torch.linalg.cholesky(covs)  # (K, d, d)
    z = torch.randn(n, means.shape[1], generator=generator, dtype=means.dtype).to(means.device)  # (n, d)
    return means[k] + (L[k] @ z.unsqueeze(-1)).squeeze(-1)  # (n, d)


def quantize(x: torch.Tensor, lo: float = -1.0, hi: float = 1.0) -> torch.Tensor:
    """Rescale ``[lo, hi]`` onto ``[-1, 1]`` and snap to the 256-level grid ``-1 + 2k/255``, k = 0..255.

    Values outside ``[lo, hi]`` are clipped first. Data on this grid is what a discretized decoder
    (Ho et al. 2020, Eq. (13)) assigns probabilities to, so bits per dimension are well defined.
    Shape and dtype follow ``x``.
    """
    u = ((x - lo) / (hi - lo)).clamp(0.0, 1.0)  # in [0, 1]
    k = torch.round(u * 255)  # integer level 0..255
    return k / 255 * 2 - 1


class TimeMLP(nn.Module):
    """MLP ``f(x, s)`` conditioned on a per-sample scalar ``s`` (a step index or a noise level).

    ``s`` enters through a sinusoidal embedding ``[sin(w_j s), cos(w_j s)]`` whose ``emb_dim // 2``
    frequencies ``w_j`` are log-spaced from 1e-3 to 1e3, so both integer steps in ``[0, 1000)`` and noise
    levels ``sigma`` in ``[0.01, 10]`` are resolved. The embedding is concatenated with ``x`` and fed through
    three SiLU hidden layers.

    Parameters are float32, initialised as ``nn.Linear`` does (uniform in ``+-1/sqrt(fan_in)``) from
    ``generator``, never from torch's global RNG; inputs are cast to float32 and the output is cast back to
    ``x.dtype``.

    Args:
        d: data dimension.
        hidden: hidden width.
        emb_dim: embedding size (even).
        generator: the source of the initial parameters.
    """

    def __init__(self, d: int = 2, hidden: int = 128, emb_dim: int = 32, *, generator: torch.Generator):
        super().__init__()
        freqs = torch.logspace(-3, 3, emb_dim // 2, dtype=torch.float32)  # (emb_dim/2,)
        self.register_buffer("freqs", freqs)
        linear = lambda n_in, n_out: nn.utils.skip_init(nn.Linear, n_in, n_out)  # noqa: E731 - no global-RNG init
        self.net = nn.Sequential(
            linear(d + 2 * (emb_dim // 2), hidden),
            nn.SiLU(),
            linear(hidden, hidden),
            nn.SiLU(),
            linear(hidden, hidden),
            nn.SiLU(),
            linear(hidden, d),
        )
        with torch.no_grad():
            for layer in self.net:
                if isinstance(layer, nn.Linear):
                    bound = 1 / math.sqrt(layer.in_features)
                    layer.weight.uniform_(-bound, bound, generator=generator)
                    layer.bias.uniform_(-bound, bound, generator=generator)

    def embed(self, s: torch.Tensor) -> torch.Tensor:
        """Sinusoidal embedding: ``s (B,)`` -> ``(B, emb_dim)``."""
        arg = s.to(torch.float32).reshape(-1, 1) * self.freqs  # (B, emb_dim/2)
        return torch.cat([torch.sin(arg), torch.cos(arg)], dim=1)

    def forward(self, x: torch.Tensor, s) -> torch.Tensor:
        """``x (B, d)``, ``s`` a ``(B,)`` tensor (or a Python number / 0-d tensor, broadcast) -> ``(B, d)``."""
        s = torch.as_tensor(s, device=x.device)
        if s.dim() == 0:
            s = s.expand(x.shape[0])
        h = torch.cat([x.to(torch.float32), self.embed(s)], dim=1)  # (B, d + emb_dim)
        return self.net(h).to(x.dtype)


class LabelTimeMLP(TimeMLP):
    """MLP ``f(x, s, y)`` conditioned on a per-sample scalar ``s`` and a class label ``y`` (for guidance).

    As ``TimeMLP``, with a learned embedding of ``y`` in ``{0, ..., num_classes}`` concatenated to the input:
    ``num_classes`` labels plus one more, the null label ``num_classes`` of classifier-free guidance ("no class").
    The embedding is drawn from ``generator`` after the layers (standard normal entries).

    Args:
        d: data dimension; num_classes: number of real classes; hidden, emb_dim: as ``TimeMLP``;
        label_dim: size of the label embedding; generator: the source of the initial parameters.
    """

    def __init__(self, d: int = 2, num_classes: int = 10, hidden: int = 128, emb_dim: int = 32, label_dim: int = 16,
                 *, generator: torch.Generator):
        super().__init__(d + label_dim, hidden, emb_dim, generator=generator)
        self.d, self.num_classes = d, num_classes
        self.net[-1] = nn.utils.skip_init(nn.Linear, hidden, d)  # replaces the (hidden, d + label_dim) output layer
        self.label_emb = nn.utils.skip_init(nn.Embedding, num_classes + 1, label_dim)
        with torch.no_grad():
            bound = 1 / math.sqrt(hidden)
            self.net[-1].weight.uniform_(-bound, bound, generator=generator)
            self.net[-1].bias.uniform_(-bound, bound, generator=generator)
            self.label_emb.weight.normal_(generator=generator)

    def forward(self, x: torch.Tensor, s, y: torch.Tensor) -> torch.Tensor:
        """``x (B, d)``, ``s`` as in ``TimeMLP``, ``y`` int64 ``(B,)`` in ``[0, num_classes]`` -> ``(B, d)``."""
        y = torch.as_tensor(y, device=x.device).to(torch.int64)
        if y.dim() == 0:
            y = y.expand(x.shape[0])
        if bool(((y < 0) | (y > self.num_classes)).any()):
            raise ValueError(f"labels must lie in [0, {self.num_classes}] ({self.num_classes} is the null label), "
                             f"got {sorted(set(y.tolist()))}")
        h = torch.cat([x.to(torch.float32), self.label_emb(y)], dim=1)  # (B, d + label_dim)
        return super().forward(h, s).to(x.dtype)


def train(model: nn.Module, loss_fn, data: torch.Tensor, *, steps: int, batch_size: int, lr: float,
          generator: torch.Generator) -> list[float]:
    """Adam loop: each step draws a minibatch of ``data`` with ``generator`` and minimises ``loss_fn``.

    Args:
        model: the network being trained.
        loss_fn: ``loss_fn(model, x0_batch, generator) -> scalar tensor``; it draws any noise or steps it
            needs from ``generator``.
        data: ``(N, *D)`` training set.
        steps, batch_size, lr: optimisation settings.
        generator: the only source of randomness (batch indices, and whatever ``loss_fn`` draws).
    Returns:
        The loss at every step, as Python floats.
    """
    # The multi-tensor update is the same arithmetic as the per-parameter loop torch picks by default on the CPU
    # (the same parameters to the bit: tests/test_toy.py) in a third fewer operations per step.
    opt = torch.optim.Adam(model.parameters(), lr=lr, foreach=True)
    history = []
    for _ in range(steps):
        idx = torch.randint(0, data.shape[0], (batch_size,), generator=generator)  # (batch_size,)
        loss = loss_fn(model, data[idx.to(data.device)], generator)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(float(loss.detach()))
    return history


def plot_samples(x: torch.Tensor, ax=None, title: str | None = None):
    """Scatter plot of 2-D points ``x (n, 2)`` with equal axes; returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    pts = np.asarray(x.detach().cpu().to(torch.float64))
    ax.scatter(pts[:, 0], pts[:, 1], s=2, alpha=0.5)
    ax.set_aspect("equal")
    if title is not None:
        ax.set_title(title)
    return ax


def plot_vector_field(fn, lim: float = 3.0, n: int = 21, ax=None):
    """Quiver plot of ``fn`` on an ``n x n`` grid over ``[-lim, lim]^2``; returns the axes.

    ``fn`` maps a float64 tensor ``(n*n, 2)`` to ``(n*n, 2)`` (e.g. a score). Evaluated under ``no_grad``.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    g = torch.linspace(-lim, lim, n, dtype=torch.float64)  # (n,)
    X, Y = torch.meshgrid(g, g, indexing="xy")  # (n, n) each
    pts = torch.stack([X.reshape(-1), Y.reshape(-1)], dim=1)  # (n*n, 2)
    with torch.no_grad():
        v = fn(pts).detach().cpu().to(torch.float64)  # (n*n, 2)
    ax.quiver(X.numpy(), Y.numpy(), v[:, 0].reshape(n, n).numpy(), v[:, 1].reshape(n, n).numpy())
    ax.set_aspect("equal")
    return ax
