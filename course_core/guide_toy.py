"""hw4's support module: DDIM's step (homework 3) and the exact class-conditional noise predictions of a labelled
Gaussian mixture under VP noising.

Student support module of hw4 only (grading_config/hw4_guidance.toml): the build writes it next to the hw4 notebook,
with the source of every function imported from ``course_core`` on a line marked ``# shipped`` inlined in place of
the import. It carries homework 3's solution of the DDIM step (hw4 builds its guided sampler on it), so it is not
shipped with hw3. The oracle ``course_core.guidance.LabelledMixture`` computes the same quantities in closed form
(tests/test_guidance.py compares them).
"""
import numpy as np  # noqa: F401 - the shipped ddim_timesteps needs it in the student's copy
import torch

from ._broadcast import extract  # shipped: per-sample gathering, used by the DDIM step
from .ddim import ddim_timesteps, _alpha_bar_or_one, ddim_sigma, ddim_step  # shipped: homework 3's DDIM step
from .gmm import mixture_eps  # shipped: the exact noise predictor of a mixture

__all__ = ["ddim_timesteps", "ddim_sigma", "ddim_step", "mixture_eps", "class_eps", "class_logits"]


def _components(labels: torch.Tensor, c: int) -> torch.Tensor:
    keep = torch.as_tensor(labels) == c
    if not bool(keep.any()):
        raise ValueError(f"no mixture component has label {c}")
    return keep


def class_eps(x_t, alpha_bar_t, weights, means, covs, labels, y, null_label):
    """The exact noise prediction ``E[eps | x_t, y]`` of a labelled mixture, per sample; ``y == null_label`` gives
    the unconditional ``E[eps | x_t]``.

    Component ``k`` of the mixture ``(weights, means, covs)`` has class ``labels[k]``; ``p(x | y = c)`` is the mixture
    of the components of class ``c`` (weights renormalised). Each case is ``mixture_eps`` of the right mixture.

    Args:
        x_t: ``(N, d)``; alpha_bar_t: a float, 0-d or ``(N,)`` tensor; weights ``(K,)``, means ``(K, d)``,
        covs ``(K, d, d)``, labels int64 ``(K,)``; y: int64 ``(N,)``; null_label: int, not a label of any component.
    Returns:
        ``(N, d)`` in ``x_t``'s dtype.
    """
    ab = torch.as_tensor(alpha_bar_t, dtype=torch.float64).reshape(-1).expand(x_t.shape[0])
    out = torch.empty_like(x_t)
    for c in torch.unique(y).tolist():
        rows = y == c
        if c == null_label:
            out[rows] = mixture_eps(x_t[rows], ab[rows], weights, means, covs)
        else:
            keep = _components(labels, c)
            out[rows] = mixture_eps(x_t[rows], ab[rows], weights[keep] / weights[keep].sum(), means[keep], covs[keep])
    return out


def class_logits(x_t, alpha_bar_t, weights, means, covs, labels):
    """The exact classifier's logits ``log p(y = c) + log p_t(x_t | y = c)`` for every class ``c = 0..C-1``.

    ``p_t`` is the VP-noised mixture (means ``sqrt(ab) mu_k``, covariances ``ab Sigma_k + (1 - ab) I``), so
    ``softmax`` of the logits is ``p(y | x_t)`` exactly. ``alpha_bar_t`` is a float or 0-d tensor (one noise level).

    Args:
        x_t: ``(N, d)``; the mixture as in ``class_eps``, with the classes ``0..C-1`` all present.
    Returns:
        ``(N, C)`` float64 logits (differentiable in ``x_t``, for autograd).
    """
    D = torch.distributions
    a = torch.as_tensor(alpha_bar_t, dtype=torch.float64)
    w, mu, cov = (v.to(torch.float64) for v in (weights, means, covs))
    eye = torch.eye(mu.shape[1], dtype=torch.float64)
    x = x_t.to(torch.float64)
    out = []
    for c in range(int(torch.as_tensor(labels).max()) + 1):
        keep = _components(labels, c)
        p_c = D.MixtureSameFamily(D.Categorical(probs=w[keep] / w[keep].sum()),
                                  D.MultivariateNormal(a.sqrt() * mu[keep], a * cov[keep] + (1 - a) * eye))
        out.append(torch.log(w[keep].sum()) + p_c.log_prob(x))
    return torch.stack(out, dim=1)
