"""Example submissions of hw2_ddpm: a reference written differently from the master solution, other
correct writings, realistic mistakes, and where the hostile submissions act. See tests/submissions/kit.py."""

from kit import Hostile, Mistake, Variant

REFERENCE = {}

REFERENCE["linear_beta_schedule"] = '''
import math

import torch


def linear_beta_schedule(T, beta_start=1e-4, beta_end=0.02):
    """Ho et al. 2020, section 4."""
    frac = torch.arange(T, dtype=torch.float64) / max(T - 1, 1)  # 0, ..., 1
    return beta_start + (beta_end - beta_start) * frac
'''

REFERENCE["cosine_beta_schedule"] = '''
def cosine_beta_schedule(T, s=0.008, max_beta=0.999):
    """Nichol & Dhariwal 2021, Eq. (17), through alpha_bar_t = f(t) / f(0)."""
    steps = torch.linspace(0, T, T + 1, dtype=torch.float64)
    alpha_bar = torch.cos((steps / T + s) / (1 + s) * (math.pi / 2)) ** 2
    alpha_bar = alpha_bar / alpha_bar[0]
    beta = 1 - alpha_bar[1:] / alpha_bar[:-1]
    return torch.minimum(beta, torch.full_like(beta, max_beta))
'''

REFERENCE["q_sample"] = '''
import torch


def q_sample(x0, t, noise, alpha_bar):
    """Ho et al. 2020, Eq. (4), gathering alpha_bar_t with torch.gather."""
    ab = torch.gather(alpha_bar, 0, t).to(x0.dtype).view(-1, *([1] * (x0.ndim - 1)))
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise
'''

REFERENCE["q_posterior_mean_variance"] = '''
import torch
import torch.nn.functional as F


def q_posterior_mean_variance(x0, x_t, t, beta):
    """Ho et al. 2020, Eq. (6)-(7); alpha_bar through a cumulative sum of logs, in float64, cast at the end."""
    log_alpha = torch.log1p(-beta)
    alpha_bar = torch.exp(torch.cumsum(log_alpha, 0))
    alpha_bar_prev = F.pad(alpha_bar[:-1], (1, 0), value=1.0)
    view = lambda v: torch.gather(v, 0, t).view(-1, *([1] * (x0.ndim - 1)))
    b, log_a, ab, ab_prev = view(beta), view(log_alpha), view(alpha_bar), view(alpha_bar_prev)
    coef_x0 = (ab_prev.sqrt() * b / (1 - ab)).to(x0.dtype)
    coef_xt = (torch.exp(0.5 * log_a) * (1 - ab_prev) / (1 - ab)).to(x0.dtype)
    return coef_x0 * x0 + coef_xt * x_t, ((1 - ab_prev) * b / (1 - ab)).to(x0.dtype)
'''

REFERENCE["predict_x0_from_eps"] = '''
import torch


def predict_x0_from_eps(x_t, t, eps, alpha_bar):
    """x0 = x_t / sqrt(alpha_bar) - sqrt(1 / alpha_bar - 1) eps (improved-diffusion's form)."""
    ab = torch.gather(alpha_bar, 0, t).view(-1, *([1] * (x_t.ndim - 1)))
    return (torch.rsqrt(ab).to(x_t.dtype) * x_t - torch.sqrt(1 / ab - 1).to(x_t.dtype) * eps)
'''

REFERENCE["ddpm_step"] = '''
import torch


def ddpm_step(x_t, t, eps_pred, beta, noise, variance="small"):
    """Ho et al. 2020, Algorithm 2 with the mean of Eq. (11)."""
    alpha = 1 - beta
    alpha_bar = torch.cumprod(alpha, 0)
    alpha_bar_prev = torch.cat([torch.ones_like(alpha_bar[:1]), alpha_bar[:-1]])
    view = lambda v: v[t].view(-1, *([1] * (x_t.ndim - 1)))
    b, a, ab, ab_prev = view(beta), view(alpha), view(alpha_bar), view(alpha_bar_prev)
    mean = (x_t - (b / torch.sqrt(1 - ab)).to(x_t.dtype) * eps_pred) / torch.sqrt(a).to(x_t.dtype)  # Eq. (11)
    sigma2 = (b if variance == "large" else (1 - ab_prev) / (1 - ab) * b).to(x_t.dtype)
    last = (t == 0).view(-1, *([1] * (x_t.ndim - 1)))  # no noise at index 0
    return torch.where(last, mean, mean + torch.sqrt(sigma2) * noise)
'''

REFERENCE["l_simple"] = '''
import torch.nn.functional as F


def l_simple(eps_model, x0, t, noise, alpha_bar):
    """Ho et al. 2020, Eq. (14)."""
    return F.mse_loss(eps_model(q_sample(x0, t, noise, alpha_bar), t), noise)
'''

REFERENCE["ddpm_sample"] = '''
import torch


def ddpm_sample(eps_model, x_T, beta, noise, variance="small"):
    """Ho et al. 2020, Algorithm 2."""
    x = x_T
    T = beta.shape[0]
    for step in range(T - 1, -1, -1):
        t = torch.full((x.shape[0],), step, dtype=torch.long, device=x.device)
        eps = eps_model(x, t)
        x = ddpm_step(x, t, eps, beta, noise[step], variance)
    return x
'''

# ddpm_sample written through the helpers instead of ddpm_step (correct; used as a mistake's context).
SAMPLE_THROUGH_HELPERS = '''
import torch


def ddpm_sample(eps_model, x_T, beta, noise, variance="small"):
    alpha_bar = torch.cumprod(1 - beta, dim=0)
    x = x_T
    for step in reversed(range(beta.shape[0])):
        t = torch.full((x.shape[0],), step, dtype=torch.long, device=x.device)
        x0_hat = predict_x0_from_eps(x_t=x, t=t, eps=eps_model(x, t), alpha_bar=alpha_bar)
        mean, var = q_posterior_mean_variance(x0=x0_hat, x_t=x, t=t, beta=beta)
        if variance == "large":
            var = beta[step].to(x.dtype)
        x = mean + torch.sqrt(var) * noise[step] if step > 0 else mean
    return x
'''

REFERENCE["normal_kl"] = '''
import torch


def normal_kl(mean1, logvar1, mean2, logvar2):
    """KL between diagonal Gaussians, written as log-ratio plus moment term."""
    return 0.5 * (logvar2 - logvar1) + (torch.exp(logvar1) + (mean1 - mean2) ** 2) / (2 * torch.exp(logvar2)) - 0.5
'''

REFERENCE["vlb_bits_per_dim"] = '''
import math

import torch

import toy


def vlb_bits_per_dim(eps_model, x0, beta, noise):
    """Ho et al. 2020, Eq. (5) in bits per dimension; the steps are visited from T-1 down to 0."""
    T, B = beta.shape[0], x0.shape[0]
    alpha_bar = torch.cumprod(1 - beta, 0)
    per_sample = lambda v: v.flatten(1).mean(1)  # (B, *D) -> (B,)
    zero = torch.zeros_like(x0)
    ab_T = alpha_bar[T - 1].to(x0.dtype)
    nats = per_sample(normal_kl(ab_T.sqrt() * x0, torch.log1p(-ab_T) + zero, zero, zero))
    for step in range(T - 1, -1, -1):
        t = torch.full((B,), step, dtype=torch.int64)
        x_t = q_sample(x0, t, noise[step], alpha_bar)
        x0_pred = predict_x0_from_eps(x_t, t, eps_model(x_t, t), alpha_bar)
        if step > 0:
            mean_q, var_q = q_posterior_mean_variance(x0, x_t, t, beta)
            mean_p, var_p = q_posterior_mean_variance(x0_pred, x_t, t, beta)
            nats = nats + per_sample(normal_kl(mean_q, var_q.log(), mean_p, var_p.log()))
        else:
            _, var_1 = q_posterior_mean_variance(x0, x0, torch.ones_like(t), beta)  # the posterior variance of index 1
            log_scale = 0.5 * torch.log(var_1)
            nats = nats - per_sample(toy.discretized_gaussian_log_likelihood(x0, x0_pred, log_scale))
    return nats / math.log(2.0)
'''

WRITTEN = {"posterior_derivation": r"""
Bayes' rule with the Markov property, $q(x_t \mid x_{t-1}, x_0) = q(x_t \mid x_{t-1})$:

$$q(x_{t-1} \mid x_t, x_0) \propto q(x_t \mid x_{t-1})\, q(x_{t-1} \mid x_0)
= \mathcal N(x_t; \sqrt{\alpha_t} x_{t-1}, \beta_t)\, \mathcal N(x_{t-1}; \sqrt{\bar\alpha_{t-1}} x_0, 1 - \bar\alpha_{t-1}).$$

Per coordinate, the log of the right-hand side is, up to terms without $x_{t-1}$,
$-\tfrac12 \big(A x_{t-1}^2 - 2 b\, x_{t-1}\big)$ with
$A = \frac{\alpha_t}{\beta_t} + \frac{1}{1 - \bar\alpha_{t-1}}$ and
$b = \frac{\sqrt{\alpha_t}}{\beta_t} x_t + \frac{\sqrt{\bar\alpha_{t-1}}}{1 - \bar\alpha_{t-1}} x_0$.
Completing the square gives a Gaussian with variance $1/A$ and mean $b/A$. Since
$\alpha_t(1 - \bar\alpha_{t-1}) + \beta_t = \alpha_t - \bar\alpha_t + 1 - \alpha_t = 1 - \bar\alpha_t$,

$$\tilde\beta_t = \frac1A = \frac{\beta_t (1 - \bar\alpha_{t-1})}{1 - \bar\alpha_t}, \qquad
\tilde\mu_t = \frac bA = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1 - \bar\alpha_t} x_0 + \frac{\sqrt{\alpha_t}(1 - \bar\alpha_{t-1})}{1 - \bar\alpha_t} x_t .$$

For $t = 1$, $\bar\alpha_0 = 1$ gives $\tilde\beta_1 = 0$ and $\tilde\mu_1 = x_0$.
"""}

VARIANTS = [
    Variant("ddpm_sample through the helpers instead of ddpm_step", {"ddpm_sample": SAMPLE_THROUGH_HELPERS}),
    Variant("float32 data path with the schedule cast first (as diffusers does)", {
        "q_sample": [("    ab = torch.gather(alpha_bar, 0, t).to(x0.dtype)", "    ab = torch.gather(alpha_bar.to(x0.dtype), 0, t)")],
        "q_posterior_mean_variance": [("    log_alpha = torch.log1p(-beta)", "    beta = beta.to(x0.dtype)\n    log_alpha = torch.log1p(-beta)")],
        "predict_x0_from_eps": [("    ab = torch.gather(alpha_bar, 0, t)", "    ab = torch.gather(alpha_bar.to(x_t.dtype), 0, t)")],
        "ddpm_step": [("    alpha = 1 - beta\n", "    beta = beta.to(x_t.dtype)\n    alpha = 1 - beta\n")],
        "vlb_bits_per_dim": [("    alpha_bar = torch.cumprod(1 - beta, 0)", "    alpha_bar = torch.cumprod(1 - beta.to(x0.dtype), 0)")],
    }),
    Variant("full-shape posterior variance", {"q_posterior_mean_variance": [
        ("    return coef_x0 * x0 + coef_xt * x_t, ((1 - ab_prev) * b / (1 - ab)).to(x0.dtype)",
         "    var = ((1 - ab_prev) * b / (1 - ab)).to(x0.dtype).expand_as(x0).clone()\n"
         "    return coef_x0 * x0 + coef_xt * x_t, var")]}),
    Variant("ddpm_step through the helpers, called by keyword", {"ddpm_step": '''
import torch


def ddpm_step(x_t, t, eps_pred, beta, noise, variance="small"):
    alpha_bar = torch.cumprod(1 - beta, 0)
    x0_pred = predict_x0_from_eps(eps=eps_pred, alpha_bar=alpha_bar, x_t=x_t, t=t)
    mean, var = q_posterior_mean_variance(x_t=x_t, x0=x0_pred, beta=beta, t=t)
    if variance == "large":
        var = beta[t].to(x_t.dtype).reshape(-1, *([1] * (x_t.dim() - 1)))
    nonzero = (t > 0).to(x_t.dtype).reshape(-1, *([1] * (x_t.dim() - 1)))
    return mean + nonzero * var.sqrt() * noise
'''}),
    Variant("helpers with the parameters in another order", {
        "q_posterior_mean_variance": [("def q_posterior_mean_variance(x0, x_t, t, beta):",
                                       "def q_posterior_mean_variance(x_t, x0, t, beta):")],
        "vlb_bits_per_dim": [("q_posterior_mean_variance(x0, x_t, t, beta)", "q_posterior_mean_variance(x_t, x0, t, beta)"),
                             ("q_posterior_mean_variance(x0_pred, x_t, t, beta)", "q_posterior_mean_variance(x_t, x0_pred, t, beta)")],
        "ddpm_step": '''
import torch


def ddpm_step(x_t, t, eps_pred, beta, noise, variance="small"):
    alpha_bar = torch.cumprod(1 - beta, 0)
    x0_pred = predict_x0_from_eps(x_t, t, eps_pred, alpha_bar)
    mean, var = q_posterior_mean_variance(x0=x0_pred, x_t=x_t, t=t, beta=beta)
    if variance == "large":
        var = beta[t].to(x_t.dtype).reshape(-1, *([1] * (x_t.dim() - 1)))
    nonzero = (t > 0).to(x_t.dtype).reshape(-1, *([1] * (x_t.dim() - 1)))
    return mean + nonzero * var.sqrt() * noise
'''}),
    Variant("schedules with numpy", {
        "linear_beta_schedule": '''
import math

import numpy as np
import torch


def linear_beta_schedule(T, beta_start=1e-4, beta_end=0.02):
    return torch.from_numpy(np.linspace(beta_start, beta_end, T))
''',
        "cosine_beta_schedule": '''
def cosine_beta_schedule(T, s=0.008, max_beta=0.999):
    u = np.arange(T + 1) / T
    ab = np.cos((u + s) / (1 + s) * np.pi / 2) ** 2
    return torch.from_numpy(np.minimum(1 - ab[1:] / ab[:-1], max_beta))
'''}),
    Variant("normal_kl with torch.distributions", {"normal_kl": '''
import torch


def normal_kl(mean1, logvar1, mean2, logvar2):
    m1, l1, m2, l2 = torch.broadcast_tensors(mean1, logvar1, mean2, logvar2)
    N = torch.distributions.Normal
    return torch.distributions.kl_divergence(N(m1, (0.5 * l1).exp()), N(m2, (0.5 * l2).exp()))
'''}),
    Variant("renamed parameters", {"q_sample": '''
import torch


def q_sample(x_start, timesteps, eps, alphas_cumprod):
    ab = alphas_cumprod[timesteps].to(x_start.dtype).reshape(-1, *([1] * (x_start.dim() - 1)))
    return ab.sqrt() * x_start + (1 - ab).sqrt() * eps
'''}),
    Variant("l_simple written out", {"l_simple": '''
def l_simple(eps_model, x0, t, noise, alpha_bar):
    x_t = q_sample(x0, t, noise, alpha_bar)
    return ((noise - eps_model(x_t, t)) ** 2).mean()
'''}),
]

MISTAKES = [
    Mistake("schedules", "linear_off_by_one", "linear_beta_schedule",
            [("/ max(T - 1, 1)", "/ T")]),
    Mistake("schedules", "cosine_no_offset", "cosine_beta_schedule", '''
def cosine_beta_schedule(T, s=0.008, max_beta=0.999):
    u = torch.arange(T + 1, dtype=torch.float64)
    f = torch.cos(u / T * math.pi / 2) ** 2  # the offset s is missing
    return torch.clamp(1 - f[1:] / f[:-1], max=max_beta)
''', submit=True),
    Mistake("schedules", "cosine_no_clipping", "cosine_beta_schedule",
            [("    return torch.minimum(beta, torch.full_like(beta, max_beta))", "    return beta")]),
    Mistake("schedules", "cosine_alpha_bar_for_beta", "cosine_beta_schedule",
            [("    beta = 1 - alpha_bar[1:] / alpha_bar[:-1]", "    beta = alpha_bar[1:]")]),
    Mistake("schedules", "cosine_float32", "cosine_beta_schedule",
            [("dtype=torch.float64)", "dtype=torch.float32)"),
             ("    return torch.minimum(beta, torch.full_like(beta, max_beta))",
              "    return torch.minimum(beta, torch.full_like(beta, max_beta)).double()")]),
    Mistake("q_sample", "missing_sqrt", "q_sample", '''
def q_sample(x0, t, noise, alpha_bar):
    ab = alpha_bar.to(x0.dtype)[t].reshape(-1, *[1] * (x0.dim() - 1))
    return ab * x0 + torch.sqrt(1 - ab) * noise  # missing sqrt on alpha_bar
''', submit=True),
    Mistake("q_sample", "swapped_coefficients", "q_sample",
            [("    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise", "    return (1 - ab).sqrt() * x0 + ab.sqrt() * noise")]),
    Mistake("q_sample", "step_off_by_one", "q_sample", [("torch.gather(alpha_bar, 0, t)", "torch.gather(alpha_bar, 0, (t - 1).clamp(min=0))")]),
    Mistake("q_sample", "float64_for_float32", "q_sample", [("torch.gather(alpha_bar, 0, t).to(x0.dtype)", "torch.gather(alpha_bar, 0, t)")]),
    Mistake("q_sample", "in_place", "q_sample", [("    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise",
                                                  "    x0.mul_(ab.sqrt())\n    return x0 + (1 - ab).sqrt() * noise")]),
    Mistake("q_posterior", "posterior_var_beta", "q_posterior_mean_variance", '''
def q_posterior_mean_variance(x0, x_t, t, beta):
    beta = beta.to(x0.dtype)
    alpha = 1 - beta
    alpha_bar = torch.cumprod(alpha, 0)
    alpha_bar_prev = torch.cat([alpha_bar.new_ones(1), alpha_bar[:-1]])
    shape = (-1, *[1] * (x0.dim() - 1))
    b, a, ab, ab_prev = (v[t].reshape(shape) for v in (beta, alpha, alpha_bar, alpha_bar_prev))
    mean = torch.sqrt(ab_prev) * b / (1 - ab) * x0 + torch.sqrt(a) * (1 - ab_prev) / (1 - ab) * x_t
    return mean, b  # beta_t instead of the posterior variance
'''),
    Mistake("q_posterior", "alpha_for_alpha_bar", "q_posterior_mean_variance", '''
import torch


def q_posterior_mean_variance(x0, x_t, t, beta):
    # alpha_t is used where alpha_bar_t belongs (in 1 - alpha_bar_t).
    beta = beta.to(x0.dtype)
    alpha = 1 - beta
    alpha_bar = torch.cumprod(alpha, 0)
    alpha_bar_prev = torch.cat([alpha_bar.new_ones(1), alpha_bar[:-1]])
    shape = (-1, *[1] * (x0.dim() - 1))
    b, a, ab_prev = (v[t].reshape(shape) for v in (beta, alpha, alpha_bar_prev))
    mean = torch.sqrt(ab_prev) * b / (1 - a) * x0 + torch.sqrt(a) * (1 - ab_prev) / (1 - a) * x_t
    return mean, (1 - ab_prev) / (1 - a) * b
''', submit=True),
    Mistake("q_posterior", "prev_wraps_around", "q_posterior_mean_variance",
            [("F.pad(alpha_bar[:-1], (1, 0), value=1.0)", "torch.roll(alpha_bar, 1)")]),
    Mistake("q_posterior", "alpha_not_sqrt", "q_posterior_mean_variance", [("torch.exp(0.5 * log_a)", "torch.exp(log_a)")]),
    # The sampler calls the helpers itself, not ddpm_step: still only q_posterior loses points.
    Mistake("q_posterior", "alpha_not_sqrt_sampler_uses_it", "q_posterior_mean_variance",
            [("torch.exp(0.5 * log_a)", "torch.exp(log_a)")], context={"ddpm_sample": SAMPLE_THROUGH_HELPERS}),
    Mistake("predict_x0", "predict_x0_no_sqrt", "predict_x0_from_eps", [("torch.sqrt(1 / ab - 1)", "(1 / ab - 1)")]),
    Mistake("predict_x0", "predict_x0_sign", "predict_x0_from_eps", [("* x_t - torch.sqrt", "* x_t + torch.sqrt")]),
    Mistake("ddpm_step", "noise_at_t0", "ddpm_step", '''
def ddpm_step(x_t, t, eps_pred, beta, noise, variance="small"):
    alpha_bar = torch.cumprod(1 - beta, 0)
    x0_pred = predict_x0_from_eps(x_t, t, eps_pred, alpha_bar)
    mean, var = q_posterior_mean_variance(x0_pred, x_t, t, beta)
    if variance == "large":
        var = beta.to(x_t.dtype)[t].reshape(-1, *[1] * (x_t.dim() - 1))
    return mean + torch.sqrt(var) * noise  # also adds noise at t == 0
'''),
    Mistake("ddpm_step", "variance_not_sqrt", "ddpm_step", [("mean + torch.sqrt(sigma2) * noise", "mean + sigma2 * noise")]),
    Mistake("ddpm_step", "always_large", "ddpm_step", [("b if variance == \"large\" else", "b if True else")]),
    Mistake("ddpm_step", "variance_swapped", "ddpm_step", [("b if variance == \"large\" else", "b if variance == \"small\" else")]),
    Mistake("l_simple", "l_simple_sum", "l_simple", [("F.mse_loss(eps_model(q_sample(x0, t, noise, alpha_bar), t), noise)",
                                                      "F.mse_loss(eps_model(q_sample(x0, t, noise, alpha_bar), t), noise, reduction=\"sum\")")]),
    Mistake("l_simple", "l_simple_model_at_x0", "l_simple", [("eps_model(q_sample(x0, t, noise, alpha_bar), t)", "eps_model(x0, t)")]),
    Mistake("l_simple", "l_simple_step_plus_one", "l_simple", [("alpha_bar), t)", "alpha_bar), t + 1)")]),
    Mistake("l_simple", "l_simple_float_steps", "l_simple", [("alpha_bar), t)", "alpha_bar), t.float())")]),
    Mistake("l_simple", "l_simple_item", "l_simple", [("    return F.mse_loss(eps_model(q_sample(x0, t, noise, alpha_bar), t), noise)",
                                                       "    return F.mse_loss(eps_model(q_sample(x0, t, noise, alpha_bar), t), noise).item()")]),
    Mistake("l_simple", "l_simple_no_grad", "l_simple", [
        ("    return F.mse_loss(eps_model(q_sample(x0, t, noise, alpha_bar), t), noise)",
         "    with torch.no_grad():\n        return F.mse_loss(eps_model(q_sample(x0, t, noise, alpha_bar), t), noise)"),
        ("import torch.nn.functional as F", "import torch\nimport torch.nn.functional as F")]),
    Mistake("ddpm_sample", "sample_forward_order", "ddpm_sample", [("range(T - 1, -1, -1)", "range(T)")]),
    Mistake("ddpm_sample", "sample_drops_variance", "ddpm_sample", [("beta, noise[step], variance)", "beta, noise[step])")]),
    Mistake("ddpm_sample", "sample_model_at_x_T", "ddpm_sample", [("eps = eps_model(x, t)", "eps = eps_model(x_T, t)")]),
    Mistake("ddpm_sample", "sample_noise_reversed", "ddpm_sample", [("beta, noise[step], variance)", "beta, noise[T - 1 - step], variance)")]),
    Mistake("ddpm_sample", "sample_model_given_an_int", "ddpm_sample", [("eps = eps_model(x, t)", "eps = eps_model(x, step)")]),
    Mistake("normal_kl", "kl_sign", "normal_kl", '''
import torch


def normal_kl(mean1, logvar1, mean2, logvar2):
    return 0.5 * (-1.0 + logvar1 - logvar2 + torch.exp(logvar1 - logvar2) + (mean1 - mean2) ** 2 * torch.exp(-logvar2))
'''),
    Mistake("normal_kl", "kl_no_half", "normal_kl", [("0.5 * (logvar2 - logvar1)", "(logvar2 - logvar1)")]),
    Mistake("vlb_bpd", "vlb_no_prior", "vlb_bits_per_dim", [("    nats = per_sample(normal_kl(", "    nats = 0 * per_sample(normal_kl(")]),
    Mistake("vlb_bpd", "vlb_nats", "vlb_bits_per_dim", [("    return nats / math.log(2.0)", "    return nats")]),
    Mistake("vlb_bpd", "vlb_decoder_at_x_t", "vlb_bits_per_dim", [("discretized_gaussian_log_likelihood(x0, x0_pred,",
                                                                    "discretized_gaussian_log_likelihood(x0, x_t,")]),
    Mistake("vlb_bpd", "vlb_sum_over_dims", "vlb_bits_per_dim", [("v.flatten(1).mean(1)", "v.flatten(1).sum(1)")]),
    Mistake("vlb_bpd", "vlb_no_decoder", "vlb_bits_per_dim", [("range(T - 1, -1, -1)", "range(T - 1, 0, -1)")]),
    Mistake("vlb_bpd", "vlb_decoder_variance_beta0", "vlb_bits_per_dim",
            [("            log_scale = 0.5 * torch.log(var_1)", "            log_scale = 0.5 * torch.log(beta[0]).to(x0.dtype)")]),
]

HOSTILE = Hostile(
    import_reference={
        "q_sample": '''
def q_sample(x0, t, noise, alpha_bar):
    from course_core.ddpm import q_sample as reference

    return reference(x0, t, noise, alpha_bar)
''',
        "q_posterior_mean_variance": '''
from course_core.ddpm import q_posterior_mean_variance as _reference  # the cell stops here


def q_posterior_mean_variance(x0, x_t, t, beta):
    return _reference(x0, x_t, t, beta)
''',
        "normal_kl": '''
import importlib


def normal_kl(mean1, logvar1, mean2, logvar2):
    return importlib.import_module("course_core.ddpm").normal_kl(mean1, logvar1, mean2, logvar2)
''',
        "vlb_bits_per_dim": '''
def vlb_bits_per_dim(eps_model, x0, beta, noise):
    import course_core.ddpm

    return course_core.ddpm.vlb_bits_per_dim(eps_model, x0, beta, noise)
''',
    },
    delegating=["q_sample", "q_posterior", "normal_kl", "vlb_bpd"],
    find_after="q_sample",
    middle="q_posterior_mean_variance",
    last="vlb_bits_per_dim",
    looping="normal_kl",
    exiting="l_simple",
)
