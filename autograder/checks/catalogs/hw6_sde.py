"""Known mistakes of hw6_sde, each a wrong variant of one function and the sentence that names it.

Reads beside `autograder/checks/hw6_sde.py` and `course_core/sde.py`. Every entry has an example of the same name in
tests/submissions/hw6_sde/examples.py (written independently), which must get this message.
"""

from __future__ import annotations

import math

import torch

from course_core import sde as ref

from ..misconceptions import Catalog

# What the student derives (written questions 1, 5 and 12: the VP kernel, the probability-flow velocity, DDIM as Euler):
# no message may state it, since the messages ship with the public tests (tests/test_misconceptions.py).
DERIVED = ["exp(-B / 2)", "exp(-B/2)", "exp(-1/2 int", "1 - exp(-B)", "1 - exp(-int", "1/2 g**2", "g**2 / 2",
           "0.5 * g", "(1 + lambda", "eps_pred * (sigma_prev"]

CATALOG = Catalog(references={f.__name__: f for f in (
    ref.vp_marginal, ref.vp_sde, ref.ve_sde, ref.reverse_sde_drift, ref.probability_flow_drift,
    ref.euler_maruyama_step, ref.karras_sigmas, ref.karras_euler_step, ref.karras_heun_step, ref.ddim_euler_step,
    ref.divergence)})
add = CATALOG.add


def _per(value, x):
    v = torch.as_tensor(value, dtype=x.dtype, device=x.device)
    return v.reshape(v.shape[0], *([1] * (x.dim() - 1))) if v.dim() == 1 else v


# -- vp_marginal ----------------------------------------------------------------------------------------
@add("vp_marginal", "vp_std_as_variance",
     "the second output is the variance of the perturbation kernel; the contract returns its standard deviation.")
def _(time, beta_min=0.1, beta_max=20.0):
    mean_coef, std = ref.vp_marginal(time, beta_min, beta_max)
    return mean_coef, std**2


@add("vp_marginal", "vp_mean_coef_squared",
     "the mean coefficient decays at the rate of the signal's variance, not of its amplitude: it is the square of "
     "the right one (DDPM's alpha_bar where sqrt(alpha_bar) belongs).")
def _(time, beta_min=0.1, beta_max=20.0):
    mean_coef, std = ref.vp_marginal(time, beta_min, beta_max)
    return mean_coef**2, std


# -- vp_sde -----------------------------------------------------------------------------------------------
@add("vp_sde", "vp_drift_no_half",
     "the drift is -beta(t) x; the VP SDE's drift has a factor 1/2 (Song et al. Eq. (11)), which is what keeps "
     "the variance at 1.")
def _(x, time, beta_min=0.1, beta_max=20.0):
    f, g = ref.vp_sde(x, time, beta_min, beta_max)
    return 2 * f, g


@add("vp_sde", "vp_g_is_beta",
     "the diffusion coefficient is beta(t); g is its square root (g**2 dt is the variance the noise adds).")
def _(x, time, beta_min=0.1, beta_max=20.0):
    f, g = ref.vp_sde(x, time, beta_min, beta_max)
    return f, g**2


# -- ve_sde -----------------------------------------------------------------------------------------------
@add("ve_sde", "ve_sigma_as_variance",
     "g**2 is the time derivative of sigma(t) itself, as if sigma(t) were the variance of the kernel; sigma(t) is "
     "its standard deviation, so g**2 = d[sigma(t)**2]/dt (Song et al. Eq. (9)).")
def _(x, time, sigma_min, sigma_max):
    f, g = ref.ve_sde(x, time, sigma_min, sigma_max)
    sigma = g / math.sqrt(2 * math.log(sigma_max / sigma_min))
    return f, torch.sqrt(sigma * math.log(sigma_max / sigma_min))


@add("ve_sde", "ve_g_is_dsigma_dt",
     "g is d sigma(t)/dt; the noise's variance rate is g**2 = d[sigma(t)**2]/dt, so g = sqrt(d[sigma**2]/dt).")
def _(x, time, sigma_min, sigma_max):
    f, g = ref.ve_sde(x, time, sigma_min, sigma_max)
    sigma = g / math.sqrt(2 * math.log(sigma_max / sigma_min))
    return f, sigma * math.log(sigma_max / sigma_min)


# -- reverse_sde_drift ------------------------------------------------------------------------------------
@add("reverse_sde_drift", "reverse_drift_sign",
     "the score term has the wrong sign: the reverse-time drift is f - g**2 score (Song et al. Eq. (6)); with + the "
     "reverse process pushes samples away from the data.")
def _(f, g, score):
    return f + _per(g, score) ** 2 * score


@add("reverse_sde_drift", "reverse_drift_no_g2",
     "the score is not multiplied by g**2: the correction of the reverse drift is g(t)**2 times the score.")
def _(f, g, score):
    return f - score


@add("reverse_sde_drift", "reverse_drift_half_g2",
     "the score term has the probability-flow ODE's factor; the reverse-time SDE, which injects noise again, needs "
     "the full g**2 score of Eq. (6).")
def _(f, g, score):
    return f - 0.5 * _per(g, score) ** 2 * score


# -- probability_flow_drift -------------------------------------------------------------------------------
@add("probability_flow_drift", "pf_drift_full_g2",
     "the score term is g**2 score, the reverse SDE's drift; the probability-flow ODE adds no noise, so its score "
     "term is not the same multiple (your Question 5).")
def _(f, g, score):
    return f - _per(g, score) ** 2 * score


@add("probability_flow_drift", "pf_drift_sign",
     "the score term has the wrong sign: it enters the probability-flow velocity with the same sign as in the "
     "reverse-time drift.")
def _(f, g, score):
    return f + 0.5 * _per(g, score) ** 2 * score


# -- euler_maruyama_step ----------------------------------------------------------------------------------
@add("euler_maruyama_step", "em_noise_scaled_by_dt",
     "the noise is scaled by |dt|; a Brownian increment over dt has standard deviation sqrt(|dt|).")
def _(x, drift, g, dt, noise):
    return x + drift * _per(dt, x) + _per(g, x) * _per(dt, x).abs() * noise


@add("euler_maruyama_step", "em_drift_abs_dt",
     "the drift is multiplied by |dt|: only the noise's scale uses |dt|; the drift term is drift * dt, negative "
     "when the step goes back in time.")
def _(x, drift, g, dt, noise):
    return x + drift * _per(dt, x).abs() + _per(g, x) * torch.sqrt(_per(dt, x).abs()) * noise


# -- karras_sigmas ----------------------------------------------------------------------------------------
@add("karras_sigmas", "karras_no_final_zero",
     "the final noise level 0 is missing: Karras et al. append sigma_N = 0 after the N levels of Eq. (5).")
def _(N, sigma_min=0.002, sigma_max=80.0, rho=7.0):
    return ref.karras_sigmas(N, sigma_min, sigma_max, rho)[:-1]


@add("karras_sigmas", "karras_ascending",
     "the levels are in increasing order; sampling starts at sigma_max and goes down to 0.")
def _(N, sigma_min=0.002, sigma_max=80.0, rho=7.0):
    return ref.karras_sigmas(N, sigma_min, sigma_max, rho).flip(0)


# -- karras_euler_step ------------------------------------------------------------------------------------
@add("karras_euler_step", "euler_step_sign",
     "the step goes the wrong way: it adds (sigma - sigma_next) d; the step size is sigma_next - sigma, negative "
     "when denoising.")
def _(x, sigma, sigma_next, denoiser):
    return 2 * x - ref.karras_euler_step(x, sigma, sigma_next, denoiser)


@add("karras_euler_step", "euler_slope_without_sigma",
     "the slope is x - D(x; sigma); with sigma(t) = t the ODE's slope is (x - D(x; sigma)) / sigma (Karras et al. "
     "Eq. (1) and (3)).")
def _(x, sigma, sigma_next, denoiser):
    s, s_next = _per(sigma, x), _per(sigma_next, x)
    return x + (s_next - s) * (x - denoiser(x, sigma))


# -- karras_heun_step -------------------------------------------------------------------------------------
@add("karras_heun_step", "heun_corrects_at_zero",
     "the second-order correction is applied on the step to sigma_next = 0, where its slope divides by zero; "
     "Algorithm 1 (line 6) keeps the Euler step there.")
def _(x, sigma, sigma_next, denoiser):
    s, s_next = _per(sigma, x), _per(sigma_next, x)
    d = (x - denoiser(x, sigma)) / s
    x_euler = x + (s_next - s) * d
    d_next = (x_euler - denoiser(x_euler, sigma_next)) / s_next
    return x + (s_next - s) * 0.5 * (d + d_next)


@add("karras_heun_step", "heun_end_slope_only",
     "the correction uses the slope at the Euler point alone; Heun's method averages the two slopes, "
     "(d + d') / 2 (Algorithm 1, line 8).")
def _(x, sigma, sigma_next, denoiser):
    s, s_next = _per(sigma, x), _per(sigma_next, x)
    d = (x - denoiser(x, sigma)) / s
    x_euler = x + (s_next - s) * d
    nonzero = s_next != 0
    if not bool(nonzero.any()):
        return x_euler
    d_next = (x_euler - denoiser(x_euler, sigma_next)) / torch.where(nonzero, s_next, torch.ones_like(s_next))
    return torch.where(nonzero, x + (s_next - s) * d_next, x_euler)


# -- ddim_euler_step --------------------------------------------------------------------------------------
@add("ddim_euler_step", "ddim_euler_vp_sigma",
     "the time variable is sqrt(1 - alpha_bar), the VP noise level; in the coordinates x / sqrt(alpha_bar) the "
     "noise level is sqrt(1 - alpha_bar) / sqrt(alpha_bar).")
def _(x_t, alpha_bar_t, alpha_bar_prev, eps_pred):
    ab_t, ab_prev = _per(alpha_bar_t, x_t), _per(alpha_bar_prev, x_t)
    return torch.sqrt(ab_prev) * (x_t / torch.sqrt(ab_t) + (torch.sqrt(1 - ab_prev) - torch.sqrt(1 - ab_t)) * eps_pred)


@add("ddim_euler_step", "ddim_euler_no_rescale",
     "the result stays in the scaled coordinates x / sqrt(alpha_bar); multiply by sqrt(alpha_bar_prev) to return "
     "to x.")
def _(x_t, alpha_bar_t, alpha_bar_prev, eps_pred):
    ab_prev = _per(alpha_bar_prev, x_t)
    return ref.ddim_euler_step(x_t, alpha_bar_t, alpha_bar_prev, eps_pred) / torch.sqrt(ab_prev)


# -- divergence -------------------------------------------------------------------------------------------
@add("divergence", "divergence_jacobian_sum",
     "this is the sum of all entries of the Jacobian (the gradient of the summed output); the divergence is its "
     "trace, the sum of d fn_j / d x_j only.")
def _(fn, x):
    with torch.enable_grad():
        z = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(fn(z).sum(), z)
    return grad.reshape(x.shape[0], -1).sum(1).detach()
