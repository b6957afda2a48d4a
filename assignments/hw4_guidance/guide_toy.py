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

# The reference's own function (course_core/_broadcast.py), shared by both.


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
# The reference's own function (course_core/ddim.py), shared by both.


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
# The reference's own function (course_core/gmm.py), shared by both.


def mixture_eps(x_t, alpha_bar_t, weights, means, covs):
    """The exact noise prediction ``E[eps | x_t]`` when ``x0`` is drawn from a Gaussian mixture.

    For ``x_t = sqrt(ab) x0 + sqrt(1 - ab) eps`` (Ho et al. 2020, Eq. (4)) with ``x0 ~ sum_k pi_k N(mu_k, Sigma_k)``,
    ``x_t`` is distributed as the mixture with means ``sqrt(ab) mu_k`` and covariances ``ab Sigma_k + (1 - ab) I``, and
    ``E[eps | x_t] = -sqrt(1 - ab) grad log p_t(x_t)`` (Tweedie's formula, Efron 2011): the noise predictor that
    minimises L_simple, available without training. The gradient is taken by autograd through
    ``torch.distributions``, in float64, one noised mixture per distinct value of ``alpha_bar_t``. Works under
    ``torch.no_grad()``; the result is detached.

    Args:
        x_t: ``(N, d)``.
        alpha_bar_t: a Python float, a 0-d tensor, or an ``(N,)`` tensor (one value per point), in ``(0, 1]``.
        weights: ``(K,)``; means: ``(K, d)``; covs: ``(K, d, d)``.
    Returns:
        ``(N, d)`` in ``x_t``'s dtype.
    """
    D = torch.distributions
    x = x_t.detach().to(torch.float64)
    ab = torch.as_tensor(alpha_bar_t, dtype=torch.float64).reshape(-1).expand(x.shape[0])  # (N,)
    w, mu, cov = (a.detach().to(torch.float64) for a in (weights, means, covs))
    eye = torch.eye(x.shape[1], dtype=torch.float64)
    eps = torch.empty_like(x)  # (N, d)
    for a in torch.unique(ab):  # a sampler's call has one alpha_bar for the whole batch
        rows = ab == a
        p_t = D.MixtureSameFamily(D.Categorical(probs=w), D.MultivariateNormal(a.sqrt() * mu, a * cov + (1 - a) * eye))
        with torch.enable_grad():
            x_rows = x[rows].requires_grad_(True)
            (grad,) = torch.autograd.grad(p_t.log_prob(x_rows).sum(), x_rows)  # grad log p_t, (n, d)
        eps[rows] = -torch.sqrt(1 - a) * grad
    return eps.to(x_t.dtype)

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
