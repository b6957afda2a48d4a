"""The SDE / ODE view of diffusion: forward SDEs (VP, VE) and their Gaussian perturbation kernels, the reverse-time
SDE, the probability-flow ODE, Euler–Maruyama, Karras et al.'s Euler and Heun samplers, likelihoods through the ODE,
and Gaussian-data oracles (exact scores and denoisers).

References: Song, Sohl-Dickstein, Kingma, Kumar, Ermon & Poole 2021, "Score-Based Generative Modeling through
Stochastic Differential Equations", arXiv:2011.13456 (the reverse-time SDE is Anderson 1982); Karras, Aittala, Aila &
Laine 2022, "Elucidating the Design Space of Diffusion-Based Generative Models", arXiv:2206.00364.

Conventions: continuous time is ``time`` (``t`` stays the int64 index of the discrete chains), in ``[0, 1]`` for Song
et al.'s SDEs; in Karras et al.'s parameterization ``sigma(t) = t``, ``s(t) = 1`` the time *is* the noise level
``sigma``. Data ``x`` is ``(B, *D)``. A per-sample scalar (``time``, ``g``, ``dt``, ``sigma``) is a Python float, a 0-d
tensor or a ``(B,)`` tensor, reshaped to ``(B, 1, ..., 1)`` to broadcast against ``x``; results keep ``x``'s dtype.
Functions of time alone return float64 tensors of ``time``'s shape (0-d for a float). Randomness is passed in as
``noise=``.
"""
from __future__ import annotations

import math

import torch


def _per_sample(value, x: torch.Tensor) -> torch.Tensor:
    """``value`` (a float, a 0-d or ``(B,)`` tensor, or a tensor already broadcastable to ``x``) in ``x``'s dtype and
    device, shaped to broadcast against ``x (B, *D)``."""
    v = torch.as_tensor(value, dtype=x.dtype, device=x.device)
    if v.dim() == 1:
        return v.reshape(v.shape[0], *([1] * (x.dim() - 1)))
    return v


def _time(time) -> torch.Tensor:
    """``time`` as a tensor: a float becomes a 0-d float64 tensor, a tensor keeps its dtype."""
    return time if isinstance(time, torch.Tensor) else torch.tensor(float(time), dtype=torch.float64)


# ----------------------------------------------------------------------------------------------------------------
# Forward SDEs and their perturbation kernels


def vp_beta(time, beta_min: float = 0.1, beta_max: float = 20.0) -> torch.Tensor:
    """The VP SDE's noise rate ``beta(t) = beta_min + t (beta_max - beta_min)``, ``t`` in ``[0, 1]``.

    Reference: Song et al. 2021, Appendix C (``beta_min = 0.1``, ``beta_max = 20``: the limit of DDPM's linear
    schedule ``beta_i = beta_min / N + (i - 1) (beta_max - beta_min) / (N (N - 1))``, 1e-4 to 0.02 at ``N = 1000``).
    ``time``: float or tensor -> tensor of its shape.
    """
    return beta_min + _time(time) * (beta_max - beta_min)


def vp_beta_integral(time, beta_min: float = 0.1, beta_max: float = 20.0) -> torch.Tensor:
    """``int_0^t beta(s) ds = beta_min t + (beta_max - beta_min) t**2 / 2`` for the linear ``beta(t)`` of ``vp_beta``.

    Reference: Song et al. 2021, Appendix C. ``time``: float or tensor -> tensor of its shape.
    """
    time = _time(time)
    return beta_min * time + 0.5 * (beta_max - beta_min) * time**2


def vp_marginal(time, beta_min: float = 0.1, beta_max: float = 20.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean coefficient and standard deviation of the VP perturbation kernel
    ``p_0t(x(t) | x(0)) = N(mean_coef x(0), std**2 I)`` for the linear ``beta(t)``.

    Reference: Song et al. 2021, Appendix B (VP case): ``mean_coef = exp(-1/2 int_0^t beta)``,
    ``std = sqrt(1 - exp(-int_0^t beta))``; with the linear ``beta(t)``, Appendix C. It is DDPM's
    ``sqrt(alpha_bar)`` and ``sqrt(1 - alpha_bar)`` in the limit of many steps (``alpha_bar -> exp(-int beta)``).
    ``time``: float or tensor -> two tensors of its shape.
    """
    integral = vp_beta_integral(time, beta_min, beta_max)
    return torch.exp(-0.5 * integral), torch.sqrt(-torch.expm1(-integral))


def ve_sigma(time, sigma_min: float, sigma_max: float) -> torch.Tensor:
    """The geometric VE noise level ``sigma(t) = sigma_min (sigma_max / sigma_min)**t``, ``t`` in ``(0, 1]``.

    Reference: Song et al. 2021, Appendix C (the limit of SMLD's geometric noise levels).
    ``time``: float or tensor -> tensor of its shape.
    """
    return sigma_min * (sigma_max / sigma_min) ** _time(time)


def ve_marginal_std(sigma_t, sigma_s=0.0) -> torch.Tensor:
    """Standard deviation ``sqrt(sigma_t**2 - sigma_s**2)`` of ``x(t)`` given ``x(s)`` under the VE SDE (``s < t``).

    Reference: Song et al. 2021, Appendix B (VE case, ``s = 0``: ``N(x(0), [sigma(t)**2 - sigma(0)**2] I)``); the VE
    SDE adds independent Gaussian increments, so the variances (not the standard deviations) add.
    ``sigma_t``, ``sigma_s``: floats or tensors (elementwise) -> tensor.
    """
    sigma_t, sigma_s = _time(sigma_t), _time(sigma_s)
    return torch.sqrt(sigma_t**2 - sigma_s**2)


def vp_sde(x: torch.Tensor, time, beta_min: float = 0.1, beta_max: float = 20.0):
    """Drift and diffusion coefficient of the VP SDE ``dx = -1/2 beta(t) x dt + sqrt(beta(t)) dw``.

    Reference: Song et al. 2021, Eq. (11), with the linear ``beta(t)`` of ``vp_beta``.

    Args:
        x: ``(B, *D)``; time: float, 0-d or ``(B,)``.
    Returns:
        ``f (B, *D)`` and ``g`` (0-d or ``(B, 1, ..., 1)``), in ``x``'s dtype.
    """
    beta = _per_sample(vp_beta(time, beta_min, beta_max), x)
    return -0.5 * beta * x, torch.sqrt(beta)


def ve_sde(x: torch.Tensor, time, sigma_min: float, sigma_max: float):
    """Drift and diffusion coefficient of the VE SDE ``dx = sqrt(d[sigma(t)**2] / dt) dw`` with the geometric
    ``sigma(t)`` of ``ve_sigma``: ``f = 0``, ``g = sigma(t) sqrt(2 log(sigma_max / sigma_min))``.

    Reference: Song et al. 2021, Eq. (9), with the geometric ``sigma(t)`` of Appendix C.

    Args:
        x: ``(B, *D)``; time: float, 0-d or ``(B,)``.
    Returns:
        ``f (B, *D)`` (zeros) and ``g`` (0-d or ``(B, 1, ..., 1)``), in ``x``'s dtype.
    """
    sigma = _per_sample(ve_sigma(time, sigma_min, sigma_max), x)
    return torch.zeros_like(x), sigma * math.sqrt(2 * math.log(sigma_max / sigma_min))


# ----------------------------------------------------------------------------------------------------------------
# Reverse-time SDE, probability-flow ODE, Euler–Maruyama


def reverse_sde_drift(f: torch.Tensor, g, score: torch.Tensor) -> torch.Tensor:
    """Drift ``f - g**2 score`` of the reverse-time SDE ``dx = [f - g**2 grad log p_t(x)] dt + g dw_bar`` (time runs
    backwards, ``dt < 0``).

    Reference: Song et al. 2021, Eq. (6) (Anderson 1982).

    Args:
        f, score: ``(B, *D)``, the forward drift and ``grad_x log p_t`` at the same ``(x, time)``;
        g: float, 0-d, ``(B,)`` or ``(B, 1, ..., 1)``.
    Returns:
        ``(B, *D)``.
    """
    g = _per_sample(g, score)
    return f - g**2 * score


def probability_flow_drift(f: torch.Tensor, g, score: torch.Tensor) -> torch.Tensor:
    """Velocity ``f - 1/2 g**2 score`` of the probability-flow ODE ``dx/dt = f - 1/2 g**2 grad log p_t(x)``, whose
    solutions have the SDE's marginals ``p_t``.

    Reference: Song et al. 2021, Eq. (13).

    Args:
        f, score: ``(B, *D)``; g: float, 0-d, ``(B,)`` or ``(B, 1, ..., 1)``.
    Returns:
        ``(B, *D)``.
    """
    g = _per_sample(g, score)
    return f - 0.5 * g**2 * score


def euler_maruyama_step(x: torch.Tensor, drift: torch.Tensor, g, dt, noise: torch.Tensor) -> torch.Tensor:
    """One Euler–Maruyama step ``x + drift dt + g sqrt(|dt|) noise`` of ``dx = drift dt + g dw``.

    Reference: Song et al. 2021, §4.1 (general-purpose SDE solvers); Kloeden & Platen 1992. ``dt < 0`` steps
    backwards in time, as for the reverse-time SDE (with ``drift = reverse_sde_drift(...)``); the noise is scaled by
    ``sqrt(|dt|)``, not ``|dt|``. ``g = 0`` gives the Euler step of an ODE.

    Args:
        x, drift, noise: ``(B, *D)``, ``noise`` standard normal; g, dt: float, 0-d or ``(B,)``.
    Returns:
        ``(B, *D)``.
    """
    dt = _per_sample(dt, x)
    return x + drift * dt + _per_sample(g, x) * torch.sqrt(dt.abs()) * noise


# ----------------------------------------------------------------------------------------------------------------
# Karras et al.: sigma(t) = t, s(t) = 1


def karras_sigmas(N: int, sigma_min: float = 0.002, sigma_max: float = 80.0, rho: float = 7.0) -> torch.Tensor:
    """Karras et al.'s noise levels ``sigma_i = (sigma_max**(1/rho) + i / (N - 1) (sigma_min**(1/rho) -
    sigma_max**(1/rho)))**rho`` for ``i < N``, and ``sigma_N = 0``.

    Reference: Karras et al. 2022, Eq. (5) (defaults from their Table 1 and §3: ``sigma_min = 0.002``,
    ``sigma_max = 80``, ``rho = 7``). ``N = 1`` gives ``[sigma_max, 0]`` (as k-diffusion's ``get_sigmas_karras``).

    Returns:
        float64 ``(N + 1,)``, decreasing from ``sigma_max`` through ``sigma_min`` (index ``N - 1``) to 0.
    Raises:
        ValueError: ``N < 1``, ``rho <= 0`` or not ``0 < sigma_min <= sigma_max``.
    """
    if N < 1 or rho <= 0 or not 0 < sigma_min <= sigma_max:
        raise ValueError(f"need N >= 1, rho > 0 and 0 < sigma_min <= sigma_max; got N={N}, rho={rho}, "
                         f"sigma_min={sigma_min}, sigma_max={sigma_max}")
    ramp = torch.linspace(0, 1, N, dtype=torch.float64)  # i / (N - 1)
    lo, hi = sigma_min ** (1 / rho), sigma_max ** (1 / rho)
    sigmas = (hi + ramp * (lo - hi)) ** rho
    return torch.cat([sigmas, sigmas.new_zeros(1)])


def karras_ode_derivative(x: torch.Tensor, sigma, denoised: torch.Tensor) -> torch.Tensor:
    """The probability-flow ODE's slope ``dx/dsigma = (x - D(x; sigma)) / sigma`` with ``sigma(t) = t``, ``s(t) = 1``.

    Reference: Karras et al. 2022, Eq. (1) with Eq. (3) and ``sigma(t) = t`` (§3, "Trajectory curvature and noise
    schedule"); Algorithm 1, line 4.

    Args:
        x, denoised: ``(B, *D)``, ``denoised = D(x; sigma)``; sigma: float, 0-d or ``(B,)``, positive.
    Returns:
        ``(B, *D)``.
    """
    return (x - denoised) / _per_sample(sigma, x)


def karras_euler_step(x: torch.Tensor, sigma, sigma_next, denoiser) -> torch.Tensor:
    """One Euler step of the probability-flow ODE from ``sigma`` to ``sigma_next``:
    ``x + (sigma_next - sigma) (x - D(x; sigma)) / sigma``. With ``sigma_next = 0`` it returns ``D(x; sigma)``.

    Reference: Karras et al. 2022, Algorithm 1, lines 4-5 (Euler's method is Algorithm 1 without lines 6-8).

    Args:
        x: ``(B, *D)``; sigma > 0, sigma_next >= 0: floats, 0-d or ``(B,)``;
        denoiser: ``denoiser(x (B, *D), sigma) -> (B, *D)``, called with ``sigma`` as given.
    Returns:
        ``(B, *D)``.
    """
    d = karras_ode_derivative(x, sigma, denoiser(x, sigma))
    return x + (_per_sample(sigma_next, x) - _per_sample(sigma, x)) * d


def karras_heun_step(x: torch.Tensor, sigma, sigma_next, denoiser) -> torch.Tensor:
    """One step of Heun's 2nd-order method on the probability-flow ODE from ``sigma`` to ``sigma_next``: the Euler
    step ``x' = x + h d``, ``h = sigma_next - sigma``, ``d = (x - D(x; sigma)) / sigma``, then, where
    ``sigma_next != 0``, the trapezoidal correction ``x + h (d + d') / 2`` with ``d' = (x' - D(x'; sigma_next)) /
    sigma_next``. Where ``sigma_next = 0`` the Euler step is kept (the correction would divide by zero).

    Reference: Karras et al. 2022, Algorithm 1, lines 4-8 (``sigma(t) = t``, ``s(t) = 1``).

    Args:
        x: ``(B, *D)``; sigma > 0, sigma_next >= 0: floats, 0-d or ``(B,)``;
        denoiser: ``denoiser(x (B, *D), sigma) -> (B, *D)``, called with ``sigma`` and ``sigma_next`` as given (not
        at all at ``sigma_next = 0`` when that holds for the whole batch).
    Returns:
        ``(B, *D)``.
    """
    s, s_next = _per_sample(sigma, x), _per_sample(sigma_next, x)
    d = karras_ode_derivative(x, sigma, denoiser(x, sigma))
    x_euler = x + (s_next - s) * d
    nonzero = s_next != 0
    if not bool(nonzero.any()):
        return x_euler
    d_next = (x_euler - denoiser(x_euler, sigma_next)) / torch.where(nonzero, s_next, torch.ones_like(s_next))
    return torch.where(nonzero, x + (s_next - s) * 0.5 * (d + d_next), x_euler)


def karras_sample(x: torch.Tensor, sigmas: torch.Tensor, denoiser, method: str = "heun") -> torch.Tensor:
    """Deterministic sampling along the decreasing noise levels ``sigmas`` (e.g. ``karras_sigmas``):
    ``x <- step(x, sigmas[i], sigmas[i + 1], denoiser)`` for ``i = 0, ..., len(sigmas) - 2``.

    Reference: Karras et al. 2022, Algorithm 1 (``"heun"``; ``"euler"`` omits lines 6-8). ``x`` starts at noise level
    ``sigmas[0]`` (``x ~ N(0, sigma_max**2 I)`` for generation). The denoiser gets Python floats.

    Args:
        x: ``(B, *D)``; sigmas: ``(N + 1,)``, decreasing, positive except possibly the last;
        method: ``"heun"`` | ``"euler"``.
    Returns:
        ``(B, *D)``, the point at ``sigmas[-1]``.
    """
    steps = {"heun": karras_heun_step, "euler": karras_euler_step}
    if method not in steps:
        raise ValueError(f"method must be 'heun' or 'euler', got {method!r}")
    levels = [float(s) for s in sigmas]
    for sigma, sigma_next in zip(levels[:-1], levels[1:]):
        x = steps[method](x, sigma, sigma_next, denoiser)
    return x


def ddim_euler_step(x_t: torch.Tensor, alpha_bar_t, alpha_bar_prev, eps_pred: torch.Tensor) -> torch.Tensor:
    """DDIM's deterministic step (``eta = 0``) as one Euler step of the probability-flow ODE in its natural
    parameterization: ``x_bar = x / sqrt(alpha_bar)``, ``sigma = sqrt(1 - alpha_bar) / sqrt(alpha_bar)``, in which the
    ODE reads ``d x_bar / d sigma = eps(x_bar / sqrt(sigma**2 + 1), sigma)``. The step from ``alpha_bar_t`` to
    ``alpha_bar_prev`` is ``x_bar_prev = x_bar_t + (sigma_prev - sigma_t) eps_pred``, returned as
    ``sqrt(alpha_bar_prev) x_bar_prev``.

    Reference: Song, Meng & Ermon 2021 (DDIM), arXiv:2010.02502, Eq. (13)-(14); Karras et al. 2022, Eq. (4) with
    ``s(t) = 1 / sqrt(1 + sigma(t)**2)``. It equals ``course_core.ddim.ddim_step`` with ``eta = 0`` (Song et al.
    Eq. (12)); ``alpha_bar_prev = 1`` gives the prediction of ``x_0``.

    Args:
        x_t, eps_pred: ``(B, *D)``; alpha_bar_t in ``(0, 1)``, alpha_bar_prev in ``(0, 1]``: floats, 0-d or ``(B,)``
        (float64 tensors, cast to ``x_t``'s dtype).
    Returns:
        ``(B, *D)`` in ``x_t``'s dtype.
    """
    ab_t, ab_prev = _per_sample(alpha_bar_t, x_t), _per_sample(alpha_bar_prev, x_t)
    sigma_t, sigma_prev = torch.sqrt((1 - ab_t) / ab_t), torch.sqrt((1 - ab_prev) / ab_prev)
    x_bar = x_t / torch.sqrt(ab_t)
    return torch.sqrt(ab_prev) * (x_bar + (sigma_prev - sigma_t) * eps_pred)


# ----------------------------------------------------------------------------------------------------------------
# Likelihoods through the probability-flow ODE


def divergence(fn, x: torch.Tensor) -> torch.Tensor:
    """The exact divergence ``div fn(x) = tr(d fn / d x)`` per sample, by autograd (one backward pass per data
    coordinate: for small ``D``; Song et al. use the Skilling–Hutchinson estimator for images).

    Reference: Song et al. 2021, Appendix D.2 (the divergence of the probability-flow ODE's drift).

    Args:
        fn: ``(B, *D) -> (B, *D)``, each output row depending on its own input row only.
        x: ``(B, *D)``.
    Returns:
        ``(B,)`` in ``x``'s dtype, detached; works under ``torch.no_grad()``.
    """
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        out = fn(x).reshape(x.shape[0], -1)  # (B, d)
        total = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        for j in range(out.shape[1]):
            (grad,) = torch.autograd.grad(out[:, j].sum(), x, retain_graph=j + 1 < out.shape[1])
            total = total + grad.reshape(x.shape[0], -1)[:, j]
    return total.detach()


def ode_log_likelihood(x0: torch.Tensor, drift, times, prior_log_prob):
    """``log p_0(x0)`` through the probability-flow ODE and the instantaneous change of variables:
    ``log p_0(x(0)) = log p_T(x(T)) + int_0^T div drift(x(t), t) dt``.

    Reference: Song et al. 2021, Appendix D.2 (with Chen et al. 2018's instantaneous change of variables).
    The augmented ODE ``d/dt (x, l) = (drift(x, t), div drift(x, t))`` is integrated forwards from ``x0`` over the
    ascending ``times`` (``times[0]`` the data end, ``times[-1] = T``) with Heun's method; ``div`` is exact
    (``divergence``).

    Args:
        x0: ``(B, *D)``.
        drift: ``drift(x (B, *D), time: float) -> (B, *D)``, the probability-flow ODE's velocity
            (``probability_flow_drift``).
        times: ascending floats or a 1-d tensor, at least two.
        prior_log_prob: ``(B, *D) -> (B,)``, ``log p_T``.
    Returns:
        ``(log_p0 (B,), x_T (B, *D), delta (B,))`` with ``delta = int_0^T div drift dt``, in ``x0``'s dtype.
    """
    levels = [float(s) for s in times]
    x = x0.detach()
    delta = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
    for t0, t1 in zip(levels[:-1], levels[1:]):
        h = t1 - t0
        with torch.no_grad():
            k1 = drift(x, t0)
        div1 = divergence(lambda z: drift(z, t0), x)
        x_pred = x + h * k1
        with torch.no_grad():
            k2 = drift(x_pred, t1)
        div2 = divergence(lambda z: drift(z, t1), x_pred)
        x = x + 0.5 * h * (k1 + k2)
        delta = delta + 0.5 * h * (div1 + div2)
    return prior_log_prob(x) + delta, x, delta


# ----------------------------------------------------------------------------------------------------------------
# Gaussian data: exact scores and denoisers (oracles for tests and exercises)


def gaussian_marginal(mean_coef, std, mean, var):
    """Mean and variance of ``p_t`` when ``x(0) ~ N(mean, var I)`` and ``x(t) = mean_coef x(0) + std z``:
    ``(mean_coef mean, mean_coef**2 var + std**2)``; VP: ``vp_marginal``; VE: ``mean_coef = 1``, ``std = sigma``.

    Reference: Song et al. 2021, Appendix B (the perturbation kernels) convolved with the Gaussian data density.
    Arguments are floats or tensors (broadcasting); returns the pair elementwise.
    """
    return mean_coef * mean, mean_coef**2 * var + std**2


def gaussian_score(x: torch.Tensor, mean, var) -> torch.Tensor:
    """Score ``grad_x log N(x; mean, var I) = -(x - mean) / var`` (per coordinate: a diagonal Gaussian).

    With ``gaussian_marginal`` it is the exact ``grad log p_t`` of Gaussian data under any linear SDE.
    ``x (B, *D)``; mean, var: floats, or tensors broadcastable to ``x`` (``(*D)``, or per sample ``(B, 1, ..., 1)``).
    Returns ``(B, *D)``.
    """
    return -(x - mean) / var


def gaussian_denoiser(x: torch.Tensor, sigma, mean, var) -> torch.Tensor:
    """The exact denoiser ``D(x; sigma) = E[x0 | x] = (var x + sigma**2 mean) / (var + sigma**2)`` for
    ``x0 ~ N(mean, var I)`` and ``x = x0 + sigma n`` (Tweedie: ``x + sigma**2 grad log p(x; sigma)``).

    Reference: Karras et al. 2022, Eq. (2)-(3) (the L2-optimal denoiser and its score).

    Args:
        x: ``(B, *D)``; sigma: float, 0-d or ``(B,)``; mean, var: floats or tensors broadcastable to ``x``.
    Returns:
        ``(B, *D)``.
    """
    s2 = _per_sample(sigma, x) ** 2
    return (var * x + s2 * mean) / (var + s2)


def gaussian_flow(x: torch.Tensor, sigma_from, sigma_to, mean, var) -> torch.Tensor:
    """The exact solution of the probability-flow ODE ``dx/dsigma = (x - D(x; sigma)) / sigma`` for Gaussian data
    ``N(mean, var I)``: ``mean + (x - mean) sqrt((var + sigma_to**2) / (var + sigma_from**2))``.

    With ``gaussian_denoiser``, ``x - D = sigma**2 (x - mean) / (var + sigma**2)``, so ``d log(x - mean) / dsigma =
    sigma / (var + sigma**2)``; the map is affine and carries ``N(mean, (var + sigma_from**2) I)`` to
    ``N(mean, (var + sigma_to**2) I)`` (Karras et al. 2022, Eq. (1) with ``sigma(t) = t``). Either direction.

    Args:
        x: ``(B, *D)``; sigma_from, sigma_to: floats, 0-d or ``(B,)``, ``>= 0``; mean, var: as in ``gaussian_score``.
    Returns:
        ``(B, *D)``.
    """
    ratio = (var + _per_sample(sigma_to, x) ** 2) / (var + _per_sample(sigma_from, x) ** 2)
    return mean + (x - mean) * torch.sqrt(ratio)


__all__ = ["vp_beta", "vp_beta_integral", "vp_marginal", "ve_sigma", "ve_marginal_std", "vp_sde", "ve_sde",
           "reverse_sde_drift", "probability_flow_drift", "euler_maruyama_step", "karras_sigmas",
           "karras_ode_derivative", "karras_euler_step", "karras_heun_step", "karras_sample", "ddim_euler_step",
           "divergence", "ode_log_likelihood", "gaussian_marginal", "gaussian_score", "gaussian_denoiser",
           "gaussian_flow"]
