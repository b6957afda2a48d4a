"""Example submissions of hw3_ddim: a reference written differently from the master solution, other correct
writings, realistic mistakes, and where the hostile submissions act. See tests/submissions/kit.py."""

from kit import Hostile, Mistake, Variant

REFERENCE = {}

REFERENCE["ddim_timesteps"] = '''
import torch


def ddim_timesteps(T, num_steps, spacing="leading"):
    """diffusers' DDIMScheduler spacings (steps_offset = 0), descending, from the formulas in Python integers and
    floats (round: half to even, like numpy's)."""
    if spacing not in {"leading", "trailing", "linspace"}:
        raise ValueError(f"spacing must be 'leading', 'trailing' or 'linspace', not {spacing!r}")
    if not 0 < num_steps <= T:
        raise ValueError(f"need 1 <= num_steps <= T = {T}, got num_steps = {num_steps}")
    S = num_steps
    if spacing == "leading":
        steps = [k * (T // S) for k in range(S - 1, -1, -1)]
    elif spacing == "trailing":
        steps = [round(T - k * T / S) - 1 for k in range(S)]
    else:
        steps = [round(k * (T - 1) / (S - 1)) if S > 1 else 0 for k in range(S - 1, -1, -1)]
    return torch.tensor(steps, dtype=torch.int64)
'''

REFERENCE["ddim_marginal_mc"] = '''
import math

import torch


def ddim_marginal_mc(x0, alpha_bar_t, alpha_bar_prev, sigma_eta, noise):
    """Song et al. 2021, Eq. (7) and Lemma 1. Since (x_t - sqrt(ab_t) x0) / sqrt(1 - ab_t) is noise[0] itself, the
    direction term is written with noise[0] directly."""
    n = noise.shape[1]
    x_t = math.sqrt(alpha_bar_t) * x0 + math.sqrt(1 - alpha_bar_t) * noise[0]  # the draws of Ho et al. Eq. (4)
    eps = (x_t - math.sqrt(alpha_bar_t) * x0) / math.sqrt(1 - alpha_bar_t)
    keep = math.sqrt(max(1 - alpha_bar_prev - sigma_eta**2, 0.0))  # rounding at the largest sigma_eta
    x_prev = math.sqrt(alpha_bar_prev) * x0 + keep * eps + sigma_eta * noise[1]
    mean = x_prev.sum(dim=0) / n
    return mean, ((x_prev - mean) ** 2).sum(dim=0) / n
'''

REFERENCE["ddim_sigma"] = '''
import torch


def ddim_sigma(alpha_bar_t, alpha_bar_prev, eta):
    """Song et al. 2021, Eq. (16), over one square root."""
    var = (1 - alpha_bar_prev) * (alpha_bar_prev - alpha_bar_t) / ((1 - alpha_bar_t) * alpha_bar_prev)
    return eta * var.sqrt()
'''

REFERENCE["ddim_step"] = '''
import torch


def ddim_step(x_t, t, t_prev, eps_pred, alpha_bar, eta, noise):
    """Song et al. 2021, Eq. (12), written as a x_t + b eps_pred + sigma noise (x0_pred eliminated)."""
    view = (x_t.shape[0],) + (1,) * (x_t.ndim - 1)
    ab_t = alpha_bar[t]
    ab_prev = torch.ones_like(ab_t)
    final = t_prev < 0
    ab_prev[~final] = alpha_bar[t_prev[~final]]
    sigma = ddim_sigma(ab_t, ab_prev, eta)
    a = torch.sqrt(ab_prev / ab_t)
    b = torch.sqrt(1 - ab_prev - sigma**2) - torch.sqrt(ab_prev * (1 - ab_t) / ab_t)
    a, b, sigma = (v.view(view).to(x_t.dtype) for v in (a, b, sigma))
    return a * x_t + b * eps_pred + sigma * noise
'''

REFERENCE["ddim_sample"] = '''
import torch


def ddim_sample(eps_model, x_T, alpha_bar, timesteps, eta, noise):
    """Song et al. 2021, section 4.2: the generalized step down the subsequence."""
    x = x_T
    B = x.shape[0]
    current = [int(s) for s in timesteps]
    following = current[1:] + [-1]
    for i, (now, then) in enumerate(zip(current, following)):
        t = torch.full((B,), now, dtype=torch.long, device=x.device)
        x = ddim_step(x_t=x, t=t, t_prev=torch.full_like(t, then), eps_pred=eps_model(x, t), alpha_bar=alpha_bar,
                      eta=eta, noise=noise[i])
    return x
'''

# ddim_sample with the step written out, calling only ddim_sigma (correct; used as a mistake's context).
SAMPLE_THROUGH_SIGMA = '''
import torch


def ddim_sample(eps_model, x_T, alpha_bar, timesteps, eta, noise):
    x, B = x_T, x_T.shape[0]
    shape = (B,) + (1,) * (x.dim() - 1)
    steps = timesteps.tolist()
    for i, step in enumerate(steps):
        t = torch.full((B,), step, dtype=torch.int64)
        ab_t = alpha_bar[step].expand(B)
        ab_prev = alpha_bar[steps[i + 1]].expand(B) if i + 1 < len(steps) else torch.ones(B, dtype=alpha_bar.dtype)
        sigma = ddim_sigma(ab_t, ab_prev, eta).reshape(shape).to(x.dtype)
        ab_t, ab_prev = ab_t.reshape(shape).to(x.dtype), ab_prev.reshape(shape).to(x.dtype)
        eps = eps_model(x, t)
        x0_pred = (x - (1 - ab_t).sqrt() * eps) / ab_t.sqrt()
        x = ab_prev.sqrt() * x0_pred + (1 - ab_prev - sigma**2).clamp(min=0).sqrt() * eps + sigma * noise[i]
    return x
'''

REFERENCE["respace_betas"] = '''
import numpy as np
import torch


def respace_betas(alpha_bar, timesteps):
    """Nichol & Dhariwal 2021, section 4, in numpy: 1 - alpha_bar[s_i] / alpha_bar[s_(i-1)] as -expm1 of a
    difference of logs."""
    kept = np.sort(timesteps.numpy())
    log_ab = np.log(alpha_bar.numpy()[kept])
    return torch.from_numpy(-np.expm1(np.diff(log_ab, prepend=0.0)))
'''

REFERENCE["ddim_invert"] = '''
import torch


def ddim_invert(eps_model, x0, alpha_bar, timesteps):
    """Song et al. 2021, section 4.3: the eta = 0 update run upwards, as a x_s + b eps."""
    x = x0
    B = x0.shape[0]
    view = (B,) + (1,) * (x0.ndim - 1)
    ab_s = torch.ones((), dtype=torch.float64)
    for step in timesteps.flip(0).tolist():
        t = torch.full((B,), step, dtype=torch.int64)
        ab_t = alpha_bar[step]
        eps = eps_model(x, t)  # the current point, the target index
        a = torch.sqrt(ab_t / ab_s).to(x0.dtype)
        b = (torch.sqrt(1 - ab_t) - torch.sqrt(ab_t * (1 - ab_s) / ab_s)).to(x0.dtype)
        x = a * x + b * eps
        ab_s = ab_t
    return x
'''

WRITTEN = {}  # in the order of the notebook's answer cells

WRITTEN["marginal_derivation"] = r"""
**1.** Given $x_0$, the assumption is $x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon$ with $\epsilon \sim \mathcal N(0, I)$, and
Eq. (7) draws $x_{t-1} = \sqrt{\bar\alpha_{t-1}}\,x_0 + \sqrt{1-\bar\alpha_{t-1}-\sigma_t^2}\,\frac{x_t - \sqrt{\bar\alpha_t}x_0}{\sqrt{1-\bar\alpha_t}} + \sigma_t z$
with $z \sim \mathcal N(0, I)$ independent of $\epsilon$. The fraction is exactly $\epsilon$, so
$x_{t-1} = \sqrt{\bar\alpha_{t-1}}\,x_0 + \sqrt{1-\bar\alpha_{t-1}-\sigma_t^2}\,\epsilon + \sigma_t z$: an affine map of the Gaussian vector
$(\epsilon, z)$, hence Gaussian. Its mean is $\sqrt{\bar\alpha_{t-1}}\,x_0$ (both noises have mean 0) and its covariance
$(1-\bar\alpha_{t-1}-\sigma_t^2)I + \sigma_t^2 I = (1-\bar\alpha_{t-1})I$: $\sigma_t$ cancels. The induction starts at $t = T$, where
Eq. (6) defines $q_\sigma(x_T \mid x_0)$ to be $\mathcal N(\sqrt{\bar\alpha_T}x_0, (1-\bar\alpha_T)I)$, and goes down to $t = 1$; the bound
$\sigma_t^2 \le 1 - \bar\alpha_{t-1}$ keeps the square root real.

**2.** $J_\sigma$ is a sum of KLs between $q_\sigma(x_{t-1} \mid x_t, x_0)$ and $p_\theta(x_{t-1} \mid x_t)$, Gaussians with the same
variance, so each is a weighted squared error of the noise prediction at a point $x_t \sim q_\sigma(x_t \mid x_0)$.
By Lemma 1 that marginal is the same for every $\sigma$, so the objective is $L_\text{simple}$ with other weights
plus a constant; with a separate function per $t$ the minimiser $\mathbb E[\epsilon \mid x_t]$ does not depend on the
weights. The loss only sees the marginals $q(x_t \mid x_0)$, never the joint of the chain, so the network trained
once serves every $\sigma$ and every subsequence, whose marginals are the same.
"""

WRITTEN["eta_one_derivation"] = r"""
**1.** With $\bar\alpha_t/\bar\alpha_{t-1} = \alpha_t$, Eq. (16) at $\eta = 1$ gives
$\sigma_t^2 = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}(1-\alpha_t) = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t = \tilde\beta_t$.

**2.** $1 - \bar\alpha_{t-1} - \tilde\beta_t = (1-\bar\alpha_{t-1})\frac{1-\bar\alpha_t-\beta_t}{1-\bar\alpha_t} = \frac{\alpha_t(1-\bar\alpha_{t-1})^2}{1-\bar\alpha_t}$,
so the direction coefficient is $\sqrt{\alpha_t}(1-\bar\alpha_{t-1})/\sqrt{1-\bar\alpha_t}$. Putting in
$\epsilon_\theta = (x_t - \sqrt{\bar\alpha_t}\hat x_0)/\sqrt{1-\bar\alpha_t}$, the coefficient of $x_t$ is
$\frac{\sqrt{\alpha_t}(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}$ and that of $\hat x_0$ is
$\sqrt{\bar\alpha_{t-1}}\big(1 - \frac{\alpha_t(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}\big) = \frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1-\bar\alpha_t}$
(using $\sqrt{\alpha_t\bar\alpha_t} = \alpha_t\sqrt{\bar\alpha_{t-1}}$ and $1 - \bar\alpha_t - \alpha_t(1-\bar\alpha_{t-1}) = \beta_t$): the mean is
$\tilde\mu_t(x_t, \hat x_0)$, so the $\eta = 1$ step is DDPM's with $\sigma_t^2 = \tilde\beta_t$.

**3.** $\eta = 0$: $\sigma_t = 0$ and $x_{t-1} = \sqrt{\bar\alpha_{t-1}}\hat x_0 + \sqrt{1-\bar\alpha_{t-1}}\epsilon_\theta$, deterministic given
$x_t$. On a subsequence $\beta' = 1 - \bar\alpha_{\tau_i}/\bar\alpha_{\tau_{i-1}}$ plays the role of $\beta_t$: the algebra only used
$\bar\alpha_t = \alpha_t\bar\alpha_{t-1}$ and $\alpha_t + \beta_t = 1$.
"""

WRITTEN["steps_tradeoff"] = r"""
At 10 steps DDPM is at 0.112 and DDIM at 0.091; at 1000 steps both are near 0.026 (0.027 and 0.025), at or just
above the floor of 0.014 to 0.024. The predictor is exact, so the gap is discretisation error: a large DDPM step is one
Gaussian around the posterior mean with the variance of a known $x_0$, but the true kernel over a large step is
wider and multimodal, so DDPM leaves points between the clusters. DDIM is an Euler step of the probability-flow
ODE, whose trajectories are smooth, so it tolerates large steps. With many steps both become exact samplers of
the same marginals and meet. The floor is the distance between two samples of the same ring: from about 100
steps the curves are at or just above it, and their differences are smaller than its spread (about 0.01) and
mean nothing.
"""

WRITTEN["inversion"] = r"""
The rms round-trip errors are 0.124, 0.036 and 0.0099 for S = 10, 50, 200, falling about like S^-0.8. Inversion
evaluates the noise at the current point $x_s$, sampling at $x_t$: the two Euler steps of the ODE use the noise at
different points and are not each other's inverse; the mismatch shrinks with the step size, and is largest at
low noise where the clusters form (at S = 10 the points come back pulled to their cluster centres). At S = 200
the latents look like $\mathcal N(0, I)$ (mean about (-0.02, 0.07), standard deviations 0.97 and 1.04); at S = 10
they are too narrow (0.84, 0.89), although index 900 is nearly pure noise: the coarse steps again. The colours
show a continuous map that keeps the angular order: each cluster becomes a wedge of the Gaussian, and the gaps
are squeezed out.
"""

WRITTEN["digits_steps"] = r"""
Sliced W2 to real digits (floor 0.054): DDPM 0.159, 0.094, 0.090 and DDIM 0.138, 0.116, 0.117 at S = 10, 50, 1000.
DDPM's digits become grey smudges at 10 steps, while DDIM's grids barely change, so DDIM wins at 10 steps and
DDPM at 50 and 1000. The same $x_T$ gives DDIM images at 10 and 1000 steps that differ by 0.109 per pixel (DDPM:
0.663, two random digits: 0.749): DDIM is a deterministic map of $x_T$, so $x_T$ is a latent code usable for
previews, interpolation and inversion. The few-step advantage is the sampler's; DDPM's lead at many steps comes
from the network's errors, which the ODE keeps and fresh noise partly corrects.
"""

WRITTEN["ddgan"] = r"""
The true denoising distribution $q(x_{t-1} \mid x_t)$ is close to Gaussian when the step is infinitesimally small
(the narrow forward likelihood dominates) or when the data distribution is itself Gaussian. With a few large
steps neither holds: the data marginal shapes the posterior, which is multimodal for multimodal data, and a
Gaussian averages its modes. A denoising diffusion GAN replaces the Gaussian by an implicit distribution: a
generator $G_\theta(x_t, z, t)$ with a latent $z$ outputs a clean $x_0'$, $x_{t-1}$ is drawn from the posterior
$q(x_{t-1} \mid x_t, x_0')$, and a discriminator conditioned on $x_t$ and $t$ tells real pairs $(x_{t-1}, x_t)$ from
generated ones, matching the two conditionals adversarially with as few as 4 steps.
"""

WRITTEN["nested"] = r"""
At each outer step the prediction $\mathbb E[x_0 \mid x_t]$ is replaced by the output of an inner diffusion: a short
sampler of the same pretrained model started at the current outer $x_t$ and run down to a clean image. The outer
step uses that image as its prediction of $x_0$ to move to its next noise level. The inner output is (roughly) a
sample of $p(x_0 \mid x_t)$, a sharp plausible image, whereas the posterior mean averages all images consistent
with $x_t$ and is blurry at high noise. "Anytime": stopping after any outer step returns a usable image whose
quality improves with the compute spent, and the full run matches the original sampler.
"""

WRITTEN["consistency"] = r"""
Self-consistency: $f(x_t, t) = f(x_{t'}, t')$ for all points of one probability-flow ODE trajectory (the output is the
trajectory's origin), with the boundary condition $f(x_\epsilon, \epsilon) = x_\epsilon$, enforced by
$f_\theta = c_\text{skip}(t)x + c_\text{out}(t)F_\theta(x, t)$ with $c_\text{skip}(\epsilon) = 1$, $c_\text{out}(\epsilon) = 0$. One step:
$f_\theta(x_T, T)$ for $x_T \sim \mathcal N(0, T^2 I)$; more steps alternate re-noising to a smaller time and mapping back.
Distillation makes the adjacent pair with one ODE-solver step of a pretrained diffusion model and matches $f_\theta$
on both points (EMA target); consistency training needs no pretrained model and uses $x_0 + t_{n+1}z$, $x_0 + t_n z$
with the same $z$.
"""

WRITTEN["latent"] = r"""
The cost is the network, evaluated at every training and sampling step on the full pixel-space input, much of it
spent on imperceptible detail. Latent diffusion trains an autoencoder once and runs the same number of steps on
its latent: for 256×256×3 with $f = 8$ and 4 channels that is $32 \times 32 \times 4 = 4096$ values instead of 196 608
(48 times fewer); the decoder runs once per sample. The trade is that the decoder's reconstruction bounds the
detail of every sample. Rombach et al. find that small factors (1, 2) train slowly, spending capacity on pixel
detail, that $f = 32$ loses too much information, and that 4 to 16 balances speed and fidelity.
"""

VARIANTS = [
    Variant("float32 data path with the schedule cast first (as diffusers does)", {
        "ddim_step": [("    ab_t = alpha_bar[t]\n", "    alpha_bar = alpha_bar.to(x_t.dtype)\n    ab_t = alpha_bar[t]\n")],
        "ddim_invert": [("    ab_s = torch.ones((), dtype=torch.float64)", "    alpha_bar = alpha_bar.to(x0.dtype)\n"
                         "    ab_s = torch.ones((), dtype=x0.dtype)")],
        "ddim_marginal_mc": '''
import torch


def ddim_marginal_mc(x0, alpha_bar_t, alpha_bar_prev, sigma_eta, noise):
    ab_t, ab_prev, sigma = (torch.tensor(v, dtype=x0.dtype) for v in (alpha_bar_t, alpha_bar_prev, sigma_eta))
    x_t = ab_t.sqrt() * x0 + (1 - ab_t).sqrt() * noise[0]
    x_prev = ab_prev.sqrt() * x0 + (1 - ab_prev - sigma**2).sqrt() * (x_t - ab_t.sqrt() * x0) / (1 - ab_t).sqrt() \\
        + sigma * noise[1]
    return x_prev.mean(0), x_prev.var(0, unbiased=False)
'''}),
    Variant("the master's formulas, parameters renamed as in diffusers", {
        "ddim_step": '''
import torch


def ddim_step(sample, timestep, prev_timestep, model_output, alphas_cumprod, eta, variance_noise):
    shape = (-1,) + (1,) * (sample.dim() - 1)
    alpha_prod_t = alphas_cumprod[timestep].reshape(shape).to(sample.dtype)
    final_alpha_cumprod = torch.ones_like(alphas_cumprod[timestep])
    alpha_prod_t_prev = torch.where(prev_timestep >= 0, alphas_cumprod[prev_timestep.clamp(min=0)],
                                    final_alpha_cumprod).reshape(shape).to(sample.dtype)
    pred_original_sample = (sample - (1 - alpha_prod_t) ** 0.5 * model_output) / alpha_prod_t**0.5
    std_dev_t = ddim_sigma(alpha_prod_t, alpha_prod_t_prev, eta)
    pred_sample_direction = (1 - alpha_prod_t_prev - std_dev_t**2).clamp(min=0) ** 0.5 * model_output
    return alpha_prod_t_prev**0.5 * pred_original_sample + pred_sample_direction + std_dev_t * variance_noise
''',
        "ddim_invert": '''
import torch


def ddim_invert(model, latents, alphas_cumprod, timesteps):
    batch = latents.shape[0]
    shape = (-1,) + (1,) * (latents.dim() - 1)
    alpha_prod_prev = torch.ones((), dtype=latents.dtype)
    for timestep in torch.flip(timesteps, [0]):
        t = timestep.repeat(batch)
        alpha_prod_t = alphas_cumprod[timestep].to(latents.dtype)
        noise_pred = model(latents, t)
        pred_original = (latents - (1 - alpha_prod_prev) ** 0.5 * noise_pred) / alpha_prod_prev**0.5
        latents = alpha_prod_t**0.5 * pred_original + (1 - alpha_prod_t) ** 0.5 * noise_pred
        alpha_prod_prev = alpha_prod_t
    return latents
''',
        "ddim_timesteps": '''
import numpy as np
import torch


def ddim_timesteps(num_train_timesteps, num_inference_steps, timestep_spacing="leading"):
    T, S = num_train_timesteps, num_inference_steps
    if timestep_spacing not in ("leading", "trailing", "linspace"):
        raise ValueError(f"{timestep_spacing} is not supported")
    if S > T or S < 1:
        raise ValueError(f"num_inference_steps = {S} must lie in [1, {T}]")
    if timestep_spacing == "linspace":
        steps = np.linspace(0, T - 1, S).round()[::-1].copy().astype(np.int64)
    elif timestep_spacing == "leading":
        steps = (np.arange(0, S) * (T // S)).round()[::-1].copy().astype(np.int64)
    else:
        steps = np.round(np.arange(T, 0, -T / S)).astype(np.int64)[:S] - 1
    return torch.from_numpy(steps)
'''}),
    Variant("ddim_sample with the step written out (calling ddim_sigma only)", {"ddim_sample": SAMPLE_THROUGH_SIGMA}),
    Variant("numpy where natural", {
        "ddim_sigma": '''
import numpy as np
import torch


def ddim_sigma(alpha_bar_t, alpha_bar_prev, eta):
    a_t, a_prev = alpha_bar_t.numpy(), alpha_bar_prev.numpy()
    return torch.from_numpy(eta * np.sqrt((1 - a_prev) / (1 - a_t)) * np.sqrt(1 - a_t / a_prev))
''',
        "respace_betas": '''
import numpy as np
import torch


def respace_betas(alpha_bar, timesteps):
    ab = alpha_bar.numpy()[np.sort(timesteps.numpy())]
    return torch.from_numpy(1 - ab / np.concatenate([[1.0], ab[:-1]]))
''',
        "ddim_marginal_mc": '''
import numpy as np
import torch


def ddim_marginal_mc(x0, alpha_bar_t, alpha_bar_prev, sigma_eta, noise):
    x, z = x0.numpy(), noise.numpy()
    x_t = np.sqrt(alpha_bar_t) * x + np.sqrt(1 - alpha_bar_t) * z[0]
    k = np.sqrt(max(1 - alpha_bar_prev - sigma_eta**2, 0.0) / (1 - alpha_bar_t))
    x_prev = np.sqrt(alpha_bar_prev) * x + k * (x_t - np.sqrt(alpha_bar_t) * x) + sigma_eta * z[1]
    return torch.from_numpy(x_prev.mean(axis=0)).to(x0.dtype), torch.from_numpy(x_prev.var(axis=0)).to(x0.dtype)
'''}),
    Variant("timesteps with torch (torch.linspace, torch.round)", {"ddim_timesteps": '''
import torch


def ddim_timesteps(T, num_steps, spacing="leading"):
    if spacing not in ("leading", "trailing", "linspace"):
        raise ValueError(f"unknown spacing {spacing}")
    if num_steps < 1 or num_steps > T:
        raise ValueError("num_steps must be at least 1 and at most T")
    k = torch.arange(num_steps, dtype=torch.float64)
    if spacing == "leading":
        return (k * (T // num_steps)).flip(0).long()
    if spacing == "trailing":
        return torch.round(T - k * (T / num_steps)).long() - 1
    return torch.linspace(0, T - 1, num_steps, dtype=torch.float64).round().flip(0).long()
'''}),
    Variant("variance as E[x^2] - mean^2, respacing through the cumulative products", {
        "ddim_marginal_mc": [("    return mean, ((x_prev - mean) ** 2).sum(dim=0) / n",
                              "    return mean, (x_prev**2).mean(dim=0) - mean**2")],
        "respace_betas": '''
import torch


def respace_betas(alpha_bar, timesteps):
    kept = alpha_bar[torch.sort(timesteps).values]  # ascending indices, whatever the order of timesteps
    alphas = kept / torch.cat([torch.ones(1, dtype=kept.dtype), kept[:-1]])
    return 1.0 - alphas
'''}),
    Variant("ddim_sigma from the per-step alpha, the step with torch.where", {
        "ddim_sigma": '''
import torch


def ddim_sigma(alpha_bar_t, alpha_bar_prev, eta):
    alpha = alpha_bar_t / alpha_bar_prev  # the alpha of the (possibly strided) step
    return eta * torch.sqrt((1 - alpha_bar_prev) * (1 - alpha) / (1 - alpha_bar_t))
''',
        "ddim_step": '''
import torch


def ddim_step(x_t, t, t_prev, eps_pred, alpha_bar, eta, noise):
    B = x_t.shape[0]
    ab_t = alpha_bar.gather(0, t)
    ab_prev = torch.where(t_prev == -1, torch.ones_like(ab_t), alpha_bar.gather(0, t_prev.clamp(min=0)))
    sigma = ddim_sigma(ab_t, ab_prev, eta)
    ab_t, ab_prev, sigma = (v.to(x_t.dtype).view(B, *([1] * (x_t.dim() - 1))) for v in (ab_t, ab_prev, sigma))
    x0_pred = (x_t - (1 - ab_t).sqrt() * eps_pred) / ab_t.sqrt()
    return ab_prev.sqrt() * x0_pred + (1 - ab_prev - sigma**2).sqrt() * eps_pred + sigma * noise
'''}),
]

MISTAKES = [
    Mistake("timesteps", "leading_steps_offset_one", "ddim_timesteps",
            [("steps = [k * (T // S) for k in range(S - 1, -1, -1)]", "steps = [k * (T // S) + 1 for k in range(S - 1, -1, -1)]")]),
    Mistake("timesteps", "timesteps_ascending", "ddim_timesteps",
            [("    return torch.tensor(steps, dtype=torch.int64)", "    return torch.tensor(sorted(steps), dtype=torch.int64)")]),
    Mistake("timesteps", "linspace_truncated", "ddim_timesteps",
            [("steps = [round(k * (T - 1) / (S - 1)) if S > 1", "steps = [int(k * (T - 1) / (S - 1)) if S > 1")]),
    Mistake("timesteps", "trailing_no_minus_one", "ddim_timesteps",
            [("steps = [round(T - k * T / S) - 1 for k in range(S)]", "steps = [round(T - k * T / S) for k in range(S)]")]),
    Mistake("timesteps", "timesteps_no_value_error", "ddim_timesteps", '''
import torch


def ddim_timesteps(T, num_steps, spacing="leading"):
    S = num_steps  # no check of the arguments: an unknown spacing falls through to linspace
    if spacing == "leading":
        steps = [k * (T // S) for k in range(S - 1, -1, -1)]
    elif spacing == "trailing":
        steps = [round(T - k * T / S) - 1 for k in range(S)]
    else:
        steps = [round(k * (T - 1) / (S - 1)) if S > 1 else 0 for k in range(S - 1, -1, -1)]
    return torch.tensor(steps, dtype=torch.int64)
'''),
    Mistake("timesteps", "timesteps_unfinished_raises", "ddim_timesteps", '''
import torch


def ddim_timesteps(T, num_steps, spacing="leading"):
    raise ValueError("not written yet")  # raises for the invalid arguments, and for every other
'''),
    Mistake("timesteps", "timesteps_float64", "ddim_timesteps",
            [("    return torch.tensor(steps, dtype=torch.int64)", "    return torch.tensor(steps, dtype=torch.float64)")]),
    Mistake("marginal_mc", "mc_unbiased_variance", "ddim_marginal_mc",
            [("((x_prev - mean) ** 2).sum(dim=0) / n", "((x_prev - mean) ** 2).sum(dim=0) / (n - 1)")]),
    Mistake("marginal_mc", "mc_noise_swapped", "ddim_marginal_mc",
            [("math.sqrt(1 - alpha_bar_t) * noise[0]", "math.sqrt(1 - alpha_bar_t) * noise[1]"),
             ("sigma_eta * noise[1]", "sigma_eta * noise[0]")]),
    Mistake("marginal_mc", "mc_direction_ignores_sigma", "ddim_marginal_mc",
            [("keep = math.sqrt(max(1 - alpha_bar_prev - sigma_eta**2, 0.0))", "keep = math.sqrt(1 - alpha_bar_prev)")]),
    Mistake("marginal_mc", "mc_std_for_var", "ddim_marginal_mc",
            [("    return mean, ((x_prev - mean) ** 2).sum(dim=0) / n", "    return mean, (((x_prev - mean) ** 2).sum(dim=0) / n).sqrt()")]),
    Mistake("marginal_mc", "mc_in_place", "ddim_marginal_mc",
            [("    x_prev = math.sqrt(alpha_bar_prev) * x0 + keep * eps + sigma_eta * noise[1]",
              "    x_prev = noise[1].mul_(sigma_eta)\n    x_prev += math.sqrt(alpha_bar_prev) * x0 + keep * eps")]),
    Mistake("sigma", "sigma_ratio_inverted", "ddim_sigma", '''
import torch


def ddim_sigma(alpha_bar_t, alpha_bar_prev, eta):
    return eta * torch.sqrt((1 - alpha_bar_t) / (1 - alpha_bar_prev)) * torch.sqrt(1 - alpha_bar_t / alpha_bar_prev)
''', submit=True),
    # The sampler computes the step itself and calls ddim_sigma: still only sigma loses points.
    Mistake("sigma", "sigma_ratio_inverted_sampler_uses_it", "ddim_sigma", '''
import torch


def ddim_sigma(alpha_bar_t, alpha_bar_prev, eta):
    return eta * torch.sqrt((1 - alpha_bar_t) / (1 - alpha_bar_prev)) * torch.sqrt(1 - alpha_bar_t / alpha_bar_prev)
''', context={"ddim_sample": SAMPLE_THROUGH_SIGMA}),
    Mistake("sigma", "sigma_no_eta", "ddim_sigma", [("    return eta * var.sqrt()", "    return var.sqrt()")]),
    Mistake("sigma", "sigma_variance", "ddim_sigma", [("    return eta * var.sqrt()", "    return eta * var")]),
    Mistake("ddim_step", "step_direction_ignores_sigma", "ddim_step", '''
import torch


def ddim_step(x_t, t, t_prev, eps_pred, alpha_bar, eta, noise):
    shape = (-1, *[1] * (x_t.dim() - 1))
    ab_t = alpha_bar[t].to(x_t.dtype).reshape(shape)
    ab_prev = torch.where(t_prev >= 0, alpha_bar[t_prev.clamp(min=0)], 1.0).to(x_t.dtype).reshape(shape)
    x0_pred = (x_t - torch.sqrt(1 - ab_t) * eps_pred) / torch.sqrt(ab_t)
    sigma = ddim_sigma(ab_t, ab_prev, eta)
    direction = torch.sqrt(1 - ab_prev) * eps_pred  # sigma's share of the variance not taken out
    return torch.sqrt(ab_prev) * x0_pred + direction + sigma * noise
''', submit=True),
    Mistake("ddim_step", "final_step_wraps", "ddim_step",
            [("    ab_prev = torch.ones_like(ab_t)\n    final = t_prev < 0\n    ab_prev[~final] = alpha_bar[t_prev[~final]]\n",
              "    ab_prev = alpha_bar[t_prev]  # t_prev = -1 wraps around\n")]),
    Mistake("ddim_step", "final_step_index_zero", "ddim_step",
            [("    ab_prev = torch.ones_like(ab_t)\n    final = t_prev < 0\n    ab_prev[~final] = alpha_bar[t_prev[~final]]\n",
              "    ab_prev = alpha_bar[t_prev.clamp(min=0)]\n")]),
    Mistake("ddim_step", "x0_pred_with_prev", "ddim_step", '''
import torch


def ddim_step(x_t, t, t_prev, eps_pred, alpha_bar, eta, noise):
    shape = (-1, *[1] * (x_t.dim() - 1))
    ab_t = alpha_bar[t].to(x_t.dtype).reshape(shape)
    ab_prev = torch.where(t_prev >= 0, alpha_bar[t_prev.clamp(min=0)], 1.0).to(x_t.dtype).reshape(shape)
    x0_pred = (x_t - torch.sqrt(1 - ab_prev) * eps_pred) / torch.sqrt(ab_prev)  # the level of t_prev, not of t
    sigma = ddim_sigma(ab_t, ab_prev, eta)
    return torch.sqrt(ab_prev) * x0_pred + torch.sqrt(1 - ab_prev - sigma**2) * eps_pred + sigma * noise
'''),
    Mistake("ddim_step", "step_float64_for_float32", "ddim_step",
            [("    a, b, sigma = (v.view(view).to(x_t.dtype) for v in (a, b, sigma))",
              "    a, b, sigma = (v.view(view) for v in (a, b, sigma))")]),
    Mistake("ddim_step", "step_in_place", "ddim_step",
            [("    return a * x_t + b * eps_pred + sigma * noise",
              "    noise.mul_(sigma)\n    return a * x_t + b * eps_pred + noise")]),
    Mistake("ddim_step", "step_eta_ignored", "ddim_step",
            [("    sigma = ddim_sigma(ab_t, ab_prev, eta)",
              "    sigma = torch.sqrt((1 - ab_prev) / (1 - ab_t) * (1 - ab_t / ab_prev))  # eta forgotten")]),
    Mistake("ddim_sample", "sample_prev_t_minus_stride", "ddim_sample", '''
import torch


def ddim_sample(eps_model, x_T, alpha_bar, timesteps, eta, noise):
    x, B = x_T, x_T.shape[0]
    stride = alpha_bar.shape[0] // timesteps.shape[0]  # as DDIMScheduler.step does
    for i, step in enumerate(timesteps.tolist()):
        t = torch.full((B,), step, dtype=torch.int64)
        t_prev = torch.full((B,), max(step - stride, -1), dtype=torch.int64)
        x = ddim_step(x, t, t_prev, eps_model(x, t), alpha_bar, eta, noise[i])
    return x
''', submit=False),
    Mistake("ddim_sample", "sample_no_final_step", "ddim_sample",
            [("    following = current[1:] + [-1]\n    for i, (now, then) in enumerate(zip(current, following)):",
              "    following = current[1:]\n    for i, (now, then) in enumerate(zip(current, following)):")]),
    Mistake("ddim_sample", "sample_noise_reversed", "ddim_sample", [("eta=eta, noise=noise[i])", "eta=eta, noise=noise[-1 - i])")]),
    Mistake("ddim_sample", "sample_model_given_an_int", "ddim_sample", [("eps_pred=eps_model(x, t)", "eps_pred=eps_model(x, now)")]),
    Mistake("respace", "respace_original_betas", "respace_betas", '''
import torch


def respace_betas(alpha_bar, timesteps):
    beta = 1 - alpha_bar / torch.cat([torch.ones(1, dtype=alpha_bar.dtype), alpha_bar[:-1]])  # the original betas
    return beta[torch.sort(timesteps).values]
''', submit=True),
    Mistake("respace", "respace_descending", "respace_betas",
            [("    return torch.from_numpy(-np.expm1(np.diff(log_ab, prepend=0.0)))",
              "    return torch.from_numpy(-np.expm1(np.diff(log_ab, prepend=0.0))[::-1].copy())")]),
    Mistake("respace", "respace_assumes_descending", "respace_betas",
            [("    kept = np.sort(timesteps.numpy())", "    kept = timesteps.numpy()[::-1]  # a sampler's are descending")]),
    Mistake("respace", "respace_float32", "respace_betas",
            [("    log_ab = np.log(alpha_bar.numpy()[kept])", "    log_ab = np.log(alpha_bar.float().numpy()[kept])"),
             ("    return torch.from_numpy(-np.expm1(np.diff(log_ab, prepend=0.0)))",
              "    return torch.from_numpy(-np.expm1(np.diff(log_ab, prepend=0.0))).double()")]),
    Mistake("ddim_invert", "invert_eps_at_source", "ddim_invert", '''
import torch


def ddim_invert(eps_model, x0, alpha_bar, timesteps):
    x, B = x0, x0.shape[0]
    shape = (-1, *[1] * (x0.dim() - 1))
    prev = -1
    for step in reversed(timesteps.tolist()):
        s = torch.full((B,), max(prev, 0), dtype=torch.int64)
        eps = eps_model(x, s)  # the current index, not the target
        ab_s = alpha_bar[prev].to(x0.dtype) if prev >= 0 else torch.ones((), dtype=x0.dtype)
        ab_t = alpha_bar[step].to(x0.dtype)
        x0_pred = (x - torch.sqrt(1 - ab_s) * eps) / torch.sqrt(ab_s)
        x = torch.sqrt(ab_t) * x0_pred + torch.sqrt(1 - ab_t) * eps
        prev = step
    return x
'''),
    Mistake("ddim_invert", "invert_skips_first_step", "ddim_invert",
            [("    ab_s = torch.ones((), dtype=torch.float64)\n    for step in timesteps.flip(0).tolist():",
              "    ab_s = alpha_bar[timesteps[-1]]  # x0 taken as the point at the smallest index\n"
              "    for step in timesteps.flip(0).tolist()[1:]:")]),
    Mistake("ddim_invert", "invert_x0_pred_at_target", "ddim_invert", '''
import torch


def ddim_invert(eps_model, x0, alpha_bar, timesteps):
    x, B = x0, x0.shape[0]
    for step in timesteps.flip(0).tolist():
        t = torch.full((B,), step, dtype=torch.int64)
        ab_t = alpha_bar[step].to(x0.dtype)
        eps = eps_model(x, t)
        x0_pred = (x - torch.sqrt(1 - ab_t) * eps) / torch.sqrt(ab_t)  # alpha_bar of the target
        x = torch.sqrt(ab_t) * x0_pred + torch.sqrt(1 - ab_t) * eps
    return x
'''),
]

HOSTILE = Hostile(
    import_reference={
        "ddim_sigma": '''
def ddim_sigma(alpha_bar_t, alpha_bar_prev, eta):
    from course_core.ddim import ddim_sigma as reference

    return reference(alpha_bar_t, alpha_bar_prev, eta)
''',
        "ddim_step": '''
from course_core.ddim import ddim_step as _reference  # the cell stops here


def ddim_step(x_t, t, t_prev, eps_pred, alpha_bar, eta, noise):
    return _reference(x_t, t, t_prev, eps_pred, alpha_bar, eta, noise)
''',
        "respace_betas": '''
import importlib


def respace_betas(alpha_bar, timesteps):
    return importlib.import_module("course_core.ddim").respace_betas(alpha_bar, timesteps)
''',
        "ddim_invert": '''
def ddim_invert(eps_model, x0, alpha_bar, timesteps):
    import course_core.ddim

    return course_core.ddim.ddim_invert(eps_model, x0, alpha_bar, timesteps)
''',
    },
    delegating=["sigma", "ddim_step", "respace", "ddim_invert"],
    find_after="ddim_timesteps",
    middle="ddim_sigma",
)
