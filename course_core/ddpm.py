"""DDPM: forward noising, the reverse step and sampler, the simple loss, and the variational bound.

Reference: Ho, Jain & Abbeel 2020, "Denoising Diffusion Probabilistic Models", arXiv:2006.11239.
Index convention: ``t`` is int64 ``(B,)`` in ``[0, T)``; index ``t`` is the paper's step ``t + 1``;
``alpha_bar_prev[0] = 1``. Data ``x0, x_t`` are ``(B, *D)``; schedules are ``(T,)`` and are cast to the
data's dtype after being gathered (``course_core._broadcast.extract``).
"""
import math

import torch

from ._broadcast import extract
from .schedules import alpha_bar_from_beta, alpha_bar_prev


def q_sample(x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
    """Draw ``x_t ~ q(x_t | x0)``.

    Reference: Ho et al. 2020, Eq. (4): ``x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) noise``.

    Args:
        x0: ``(B, *D)``; t: int64 ``(B,)``; noise: ``(B, *D)`` standard normal; alpha_bar: ``(T,)``.
    Returns:
        ``(B, *D)``.
    """
    ab = extract(alpha_bar, t, x0)  # (B, 1, ..., 1)
    return torch.sqrt(ab) * x0 + torch.sqrt(1 - ab) * noise


def _posterior_coefficients(beta: torch.Tensor):
    """``(T,)`` schedules of q(x_{t-1} | x_t, x0): x0 coefficient, x_t coefficient, variance (Ho Eq. (7))."""
    alpha = 1 - beta
    alpha_bar = alpha_bar_from_beta(beta)
    ab_prev = alpha_bar_prev(alpha_bar)
    coef_x0 = torch.sqrt(ab_prev) * beta / (1 - alpha_bar)
    coef_xt = torch.sqrt(alpha) * (1 - ab_prev) / (1 - alpha_bar)
    var = (1 - ab_prev) / (1 - alpha_bar) * beta  # var[0] = 0
    return coef_x0, coef_xt, var


def q_posterior_mean_variance(x0: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor, beta: torch.Tensor):
    """Mean and variance of q(x_{t-1} | x_t, x0).

    Reference: Ho et al. 2020, Eq. (6)-(7):
    ``mean = sqrt(alpha_bar_prev) beta_t / (1 - alpha_bar_t) x0``
    ``       + sqrt(alpha_t) (1 - alpha_bar_prev) / (1 - alpha_bar_t) x_t``,
    ``var = (1 - alpha_bar_prev) / (1 - alpha_bar_t) beta_t`` (0 at index 0).

    Args:
        x0, x_t: ``(B, *D)``; t: int64 ``(B,)``; beta: ``(T,)``.
    Returns:
        ``mean (B, *D)``, ``var (B, 1, ..., 1)``.
    """
    coef_x0, coef_xt, var = _posterior_coefficients(beta)
    mean = extract(coef_x0, t, x_t) * x0 + extract(coef_xt, t, x_t) * x_t
    return mean, extract(var, t, x_t)


def posterior_moments_mc(x0: torch.Tensor, t: int, beta: torch.Tensor, noise: torch.Tensor):
    """Monte-Carlo moments of q(x_{t-1} | x_t, x0): least squares of x_{t-1} on x_t over simulated forward chains.

    Reference: Ho et al. 2020, Eq. (2) (the forward step); the estimates converge to Eq. (6)-(7).
    ``N`` chains start at the same ``x0`` ("before step 0") and take the forward steps ``s = 0, ..., t`` of Eq. (2),
    ``x_s = sqrt(alpha_s) x_{s-1} + sqrt(beta_s) noise[s]``. Per coordinate, ``x_{t-1}`` (``x0`` itself when ``t = 0``)
    is regressed on ``x_t`` by least squares with an intercept over the ``N`` chains:
    ``slope = sum_n (x_t - mean x_t)(x_{t-1} - mean x_{t-1}) / sum_n (x_t - mean x_t)**2``,
    ``intercept = mean x_{t-1} - slope * mean x_t``, ``resid_var = mean_n (x_{t-1} - intercept - slope * x_t)**2``
    (divided by ``N``). Given ``x0`` the pair is jointly Gaussian, so as ``N`` grows these tend to the ``x_t``
    coefficient of the posterior mean, its ``x0`` term, and the posterior variance (0, ``x0`` and 0 at index 0).

    Args:
        x0: ``(*D)``, one data point.
        t: Python int in ``[0, T)``.
        beta: ``(T,)``.
        noise: ``(t + 1, N, *D)`` standard normal, ``N >= 2``; ``noise[s]`` drives forward step ``s``.
    Returns:
        ``slope, intercept, resid_var``, each ``(*D)`` in ``x0``'s dtype.
    """
    x = x0.expand(noise.shape[1:])  # (N, *D): the chains, before step 0
    x_prev = x
    for s in range(t + 1):
        b = float(beta[s])
        x_prev, x = x, math.sqrt(1 - b) * x + math.sqrt(b) * noise[s]  # Eq. (2)
    dx, dy = x - x.mean(0), x_prev - x_prev.mean(0)  # (N, *D), centred
    slope = (dx * dy).sum(0) / (dx * dx).sum(0)
    intercept = x_prev.mean(0) - slope * x.mean(0)
    resid_var = ((x_prev - intercept - slope * x) ** 2).mean(0)
    return slope, intercept, resid_var


def predict_x0_from_eps(x_t: torch.Tensor, t: torch.Tensor, eps: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
    """``x0`` implied by a noise prediction.

    Reference: Ho et al. 2020, Eq. (4) solved for x0: ``x0 = (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t)``.
    ``x_t, eps (B, *D)``, ``t (B,)`` -> ``(B, *D)``.
    """
    ab = extract(alpha_bar, t, x_t)
    return (x_t - torch.sqrt(1 - ab) * eps) / torch.sqrt(ab)


def ddpm_step(x_t: torch.Tensor, t: torch.Tensor, eps_pred: torch.Tensor, beta: torch.Tensor,
              noise: torch.Tensor, variance: str = "small") -> torch.Tensor:
    """One ancestral step ``x_t -> x_{t-1}`` of the reverse process.

    Reference: Ho et al. 2020, Algorithm 2 (line 4) and Eq. (11). The mean is the posterior mean (Eq. (7)) at
    ``x0_pred = predict_x0_from_eps(x_t, t, eps_pred)``, which equals Eq. (11). The variance is the posterior
    variance ``beta_tilde_t`` (``"small"``) or ``beta_t`` (``"large"``), Sec. 3.2. At index 0 the step returns the
    mean (no noise). ``x0_pred`` is not clipped.

    Args:
        x_t, eps_pred, noise: ``(B, *D)``; t: int64 ``(B,)``; beta: ``(T,)``; variance: ``"small"`` | ``"large"``.
    Returns:
        ``(B, *D)``.
    """
    x0_pred = predict_x0_from_eps(x_t, t, eps_pred, alpha_bar_from_beta(beta))
    mean, var_small = q_posterior_mean_variance(x0_pred, x_t, t, beta)
    if variance == "small":
        var = var_small
    elif variance == "large":
        var = extract(beta, t, x_t)
    else:
        raise ValueError(f"variance must be 'small' or 'large', got {variance!r}")
    nonzero = (t != 0).to(x_t.dtype).reshape(-1, *([1] * (x_t.dim() - 1)))  # (B, 1, ..., 1)
    return mean + nonzero * torch.sqrt(var) * noise


def eps_loss_weight(beta: torch.Tensor, t: torch.Tensor, variance: str = "small") -> torch.Tensor:
    """Weight lambda_t of the squared noise error in the KL term L_{t-1} of the bound.

    Reference: Ho et al. 2020, Eq. (12): ``L_{t-1} - C = lambda_t E ||eps - eps_theta||^2`` with
    ``lambda_t = beta_t**2 / (2 sigma_t**2 alpha_t (1 - alpha_bar_t))``, ``sigma_t**2`` the posterior variance
    (``"small"``) or ``beta_t`` (``"large"``), Sec. 3.2. Defined for indices ``t >= 1`` only: index 0 carries the
    decoder term ``L_0``, not a KL, and its posterior variance is 0 (``"small"`` gives ``inf`` there).

    Args:
        beta: ``(T,)``; t: int64 ``(B,)`` in ``[1, T)``; variance: ``"small"`` | ``"large"``.
    Returns:
        ``(B,)`` in ``beta``'s dtype.
    """
    _, _, post_var = _posterior_coefficients(beta)
    if variance == "small":
        var = post_var
    elif variance == "large":
        var = beta
    else:
        raise ValueError(f"variance must be 'small' or 'large', got {variance!r}")
    weight = beta**2 / (2 * var * (1 - beta) * (1 - alpha_bar_from_beta(beta)))  # (T,)
    return weight[t]


def l_simple(eps_model, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor,
             alpha_bar: torch.Tensor) -> torch.Tensor:
    """Simplified training objective.

    Reference: Ho et al. 2020, Eq. (14):
    ``mean (noise - eps_model(sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) noise, t))**2`` over every element.

    Args:
        eps_model: ``eps_model(x_t (B, *D), t (B,)) -> (B, *D)``.
        x0, noise: ``(B, *D)``; t: int64 ``(B,)``; alpha_bar: ``(T,)``.
    Returns:
        scalar tensor.
    """
    x_t = q_sample(x0, t, noise, alpha_bar)
    return ((noise - eps_model(x_t, t)) ** 2).mean()


def ddpm_sample(eps_model, x_T: torch.Tensor, beta: torch.Tensor, noise: torch.Tensor,
                variance: str = "small") -> torch.Tensor:
    """Ancestral sampling with every draw passed in.

    Reference: Ho et al. 2020, Algorithm 2: for ``t = T-1, ..., 0``:
    ``x <- ddpm_step(x, t, eps_model(x, t), beta, noise[t], variance)``.

    Args:
        eps_model: ``eps_model(x (B, *D), t (B,)) -> (B, *D)``.
        x_T: ``(B, *D)`` standard normal start.
        beta: ``(T,)``.
        noise: ``(T, B, *D)``; ``noise[0]`` is unused.
    Returns:
        ``(B, *D)``, the sample ``x_0``.
    """
    x = x_T
    for i in reversed(range(beta.shape[0])):
        t = torch.full((x.shape[0],), i, dtype=torch.int64, device=x.device)
        x = ddpm_step(x, t, eps_model(x, t), beta, noise[i], variance)
    return x


def p_sample_loop(eps_model, shape, beta: torch.Tensor, *, generator: torch.Generator, variance: str = "small",
                  dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Ancestral sampling with draws from ``generator``: ``x_T`` first, then ``noise (T, *shape)``; see ``ddpm_sample``.

    Reference: Ho et al. 2020, Algorithm 2. Tensors are created on ``generator.device`` in ``dtype``.

    Returns:
        ``shape`` = ``(B, *D)``.
    """
    shape = tuple(shape)
    x_T = torch.randn(shape, generator=generator, dtype=dtype, device=generator.device)
    noise = torch.randn((beta.shape[0], *shape), generator=generator, dtype=dtype, device=generator.device)
    return ddpm_sample(eps_model, x_T, beta, noise, variance)


def normal_kl(mean1, logvar1, mean2, logvar2):
    """``KL(N(mean1, e^logvar1) || N(mean2, e^logvar2))``, elementwise with broadcasting.

    ``0.5 * (-1 + logvar2 - logvar1 + exp(logvar1 - logvar2) + (mean1 - mean2)**2 * exp(-logvar2))``.
    Inputs are tensors or Python floats (at least one a tensor).
    """
    tensor = next(a for a in (mean1, logvar1, mean2, logvar2) if isinstance(a, torch.Tensor))
    logvar1, logvar2 = (torch.as_tensor(v, dtype=tensor.dtype, device=tensor.device) for v in (logvar1, logvar2))
    return 0.5 * (-1.0 + logvar2 - logvar1 + torch.exp(logvar1 - logvar2)
                  + (mean1 - mean2) ** 2 * torch.exp(-logvar2))


def _mean_flat(x: torch.Tensor) -> torch.Tensor:
    """Mean over all non-batch dims: ``(B, *D)`` -> ``(B,)``."""
    return x.flatten(1).mean(dim=1)


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


def vlb_bits_per_dim(eps_model, x0: torch.Tensor, beta: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """The variational bound of Ho et al. 2020, Eq. (5), in bits per dimension, every term summed.

    ``L_T = KL(q(x_T | x0) || N(0, I))`` (analytic, no noise). For index ``t >= 1``:
    ``x_t = q_sample(x0, t, noise[t])``, ``L_t = KL(q(x_{t-1} | x_t, x0) || p(x_{t-1} | x_t))`` where ``p`` has the
    posterior mean at ``x0_pred = predict_x0_from_eps(x_t, t, eps_model(x_t, t))`` and the posterior variance.
    Index 0: ``L_0 = -log p(x0 | x_1)`` with ``x_1 = q_sample(x0, 0, noise[0])`` and the discretized Gaussian
    decoder (Eq. (13)) of mean ``x0_pred`` and log-variance the posterior log-variance of index 1
    (improved-diffusion's ``posterior_log_variance_clipped``). Each term is averaged over data dims and
    divided by ``ln 2``.

    Args:
        eps_model: ``eps_model(x_t (B, *D), t (B,)) -> (B, *D)``.
        x0: ``(B, *D)`` on the 256-level grid of ``[-1, 1]``.
        beta: ``(T,)``, ``T >= 2``.
        noise: ``(T, B, *D)``.
    Returns:
        ``(B,)`` bits per dimension.
    """
    T, B = beta.shape[0], x0.shape[0]
    alpha_bar = alpha_bar_from_beta(beta)
    _, _, post_var = _posterior_coefficients(beta)
    post_logvar = torch.log(torch.cat([post_var[1:2], post_var[1:]]))  # (T,), index 0 uses index 1
    ln2 = math.log(2.0)

    # L_T: prior term, analytic.
    t_last = torch.full((B,), T - 1, dtype=torch.int64, device=x0.device)
    ab_T = extract(alpha_bar, t_last, x0)
    total = _mean_flat(normal_kl(torch.sqrt(ab_T) * x0, torch.log(1 - ab_T), 0.0, 0.0)) / ln2  # (B,)

    for i in range(T):
        t = torch.full((B,), i, dtype=torch.int64, device=x0.device)
        x_t = q_sample(x0, t, noise[i], alpha_bar)
        x0_pred = predict_x0_from_eps(x_t, t, eps_model(x_t, t), alpha_bar)
        logvar = extract(post_logvar, t, x0)
        if i == 0:  # decoder term -log p(x0 | x_1), Eq. (13)
            nll = -discretized_gaussian_log_likelihood(x0, x0_pred, 0.5 * logvar)
            total = total + _mean_flat(nll) / ln2
        else:  # L_t, a KL between Gaussians of equal variance
            mean_true, _ = q_posterior_mean_variance(x0, x_t, t, beta)
            mean_model, _ = q_posterior_mean_variance(x0_pred, x_t, t, beta)
            total = total + _mean_flat(normal_kl(mean_true, logvar, mean_model, logvar)) / ln2
    return total
