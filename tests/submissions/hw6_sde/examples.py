"""Example submissions of hw6_sde: a reference written differently from the master solution, other correct
writings, realistic mistakes, and where the hostile submissions act. See tests/submissions/kit.py."""

from kit import Hostile, Mistake, Variant

REFERENCE = {}

REFERENCE["vp_marginal"] = '''
import math

import torch


def vp_marginal(time, beta_min=0.1, beta_max=20.0):
    """Song et al. 2021, Appendix B: log mean_coef = -B / 2 and std**2 = 1 - exp(-B), B the integral of beta."""
    t = torch.as_tensor(time, dtype=torch.float64)
    log_mean = -(beta_min * t + (beta_max - beta_min) * t * t / 2) / 2
    mean_coef = log_mean.exp()
    std = (-torch.expm1(2 * log_mean)).sqrt()
    return mean_coef, std
'''

REFERENCE["vp_sde"] = '''
import torch


def vp_sde(x, time, beta_min=0.1, beta_max=20.0):
    """Song et al. 2021, Eq. (11)."""
    t = torch.as_tensor(time, dtype=torch.float64)
    beta = torch.lerp(torch.tensor(beta_min, dtype=torch.float64), torch.tensor(beta_max, dtype=torch.float64), t)
    if t.ndim == 1:
        beta = beta.view(x.shape[0], *(1 for _ in x.shape[1:]))
    beta = beta.to(dtype=x.dtype)
    f = x * (-beta / 2)
    g = beta.sqrt()
    return f, g
'''

REFERENCE["ve_sde"] = '''
import math

import torch


def ve_sde(x, time, sigma_min, sigma_max):
    """Song et al. 2021, Eq. (9): d[sigma^2]/dt = 2 sigma^2 log(sigma_max / sigma_min)."""
    log_ratio = math.log(sigma_max) - math.log(sigma_min)
    t = torch.as_tensor(time, dtype=torch.float64)
    if t.ndim == 1:
        t = t.view(x.shape[0], *(1 for _ in x.shape[1:]))
    sigma = torch.exp(math.log(sigma_min) + t * log_ratio)
    g = torch.sqrt(2 * log_ratio * sigma**2)
    return x * 0, g.to(dtype=x.dtype)
'''

REFERENCE["reverse_sde_drift"] = '''
import torch


def reverse_sde_drift(f, g, score):
    """Song et al. 2021, Eq. (6)."""
    g = torch.as_tensor(g, dtype=torch.float64).to(score.dtype)
    while g.ndim and g.ndim < score.ndim:
        g = g.unsqueeze(-1)
    return f - g * g * score
'''

REFERENCE["probability_flow_drift"] = '''
import torch


def probability_flow_drift(f, g, score):
    """Song et al. 2021, Eq. (13), as the average of the forward drift and the reverse-time drift."""
    g = torch.as_tensor(g, dtype=torch.float64).to(score.dtype)
    while g.ndim and g.ndim < score.ndim:
        g = g.unsqueeze(-1)
    return (f + (f - g * g * score)) / 2
'''

REFERENCE["euler_maruyama_step"] = '''
import torch


def euler_maruyama_step(x, drift, g, dt, noise):
    """Kloeden & Platen: x + drift dt + g dW with dW ~ N(0, |dt|)."""
    def column(v):
        v = torch.as_tensor(v, dtype=torch.float64).to(x.dtype)
        while v.ndim and v.ndim < x.ndim:
            v = v.unsqueeze(-1)
        return v

    dt, g = column(dt), column(g)
    dW = noise * dt.abs().sqrt()
    return x + dt * drift + g * dW
'''

REFERENCE["karras_sigmas"] = '''
import torch


def karras_sigmas(N, sigma_min=0.002, sigma_max=80.0, rho=7.0):
    """Karras et al. 2022, Eq. (5), in Python floats, then the final 0."""
    if not (isinstance(N, int) and N >= 1):
        raise ValueError(f"N must be an integer >= 1, got {N!r}")
    if rho <= 0:
        raise ValueError(f"rho must be positive, got {rho}")
    if sigma_min <= 0 or sigma_min > sigma_max:
        raise ValueError(f"need 0 < sigma_min <= sigma_max, got {sigma_min}, {sigma_max}")
    a, b = sigma_max ** (1 / rho), sigma_min ** (1 / rho)
    levels = [(a + (i / (N - 1) if N > 1 else 0.0) * (b - a)) ** rho for i in range(N)]
    return torch.tensor(levels + [0.0], dtype=torch.float64)
'''

REFERENCE["karras_euler_step"] = '''
import torch


def karras_euler_step(x, sigma, sigma_next, denoiser):
    """Karras et al. 2022, Algorithm 1 without lines 6-8: x moves towards D(x) by the fraction 1 - sigma_next / sigma."""
    def column(v):
        v = torch.as_tensor(v, dtype=torch.float64).to(x.dtype)
        return v.view(-1, *[1] * (x.ndim - 1)) if v.ndim == 1 else v

    ratio = column(sigma_next) / column(sigma)
    denoised = denoiser(x, sigma)
    return denoised + ratio * (x - denoised)
'''

REFERENCE["karras_heun_step"] = '''
import torch


def karras_heun_step(x, sigma, sigma_next, denoiser):
    """Karras et al. 2022, Algorithm 1, lines 4-8, per sample."""
    def column(v):
        v = torch.as_tensor(v, dtype=torch.float64).to(x.dtype)
        return v.view(-1, *[1] * (x.ndim - 1)) if v.ndim == 1 else v

    s, s_next = column(sigma), column(sigma_next)
    h = s_next - s
    d = (x - denoiser(x, sigma)) / s
    x_next = x + h * d
    keep = s_next > 0
    if not keep.any():
        return x_next
    safe = torch.where(keep, s_next, torch.ones_like(s_next))
    d2 = (x_next - denoiser(x_next, sigma_next)) / safe
    corrected = x + h / 2 * d + h / 2 * d2
    return torch.where(keep, corrected, x_next)
'''

REFERENCE["ddim_euler_step"] = '''
import torch


def ddim_euler_step(x_t, alpha_bar_t, alpha_bar_prev, eps_pred):
    """DDIM Eq. (13)-(14): Euler in (x / sqrt(ab), sqrt(1 / ab - 1))."""
    def column(v):
        v = torch.as_tensor(v, dtype=torch.float64).to(x_t.dtype)
        return v.view(-1, *[1] * (x_t.ndim - 1)) if v.ndim == 1 else v

    a, a_prev = column(alpha_bar_t), column(alpha_bar_prev)
    sigma, sigma_prev = (1 / a - 1).sqrt(), (1 / a_prev - 1).sqrt()
    x_bar = x_t * a.rsqrt()
    x_bar_prev = x_bar - (sigma - sigma_prev) * eps_pred
    return x_bar_prev * a_prev.sqrt()
'''

REFERENCE["divergence"] = '''
import torch


def divergence(fn, x):
    """The trace of the Jacobian: one vector-Jacobian product with each basis vector."""
    B = x.shape[0]
    d = x[0].numel()
    with torch.enable_grad():
        z = x.detach().clone().requires_grad_()
        y = fn(z)
        rows = []
        for j in range(d):
            e = torch.zeros(B, d, dtype=x.dtype, device=x.device)
            e[:, j] = 1
            (vjp,) = torch.autograd.grad(y, z, grad_outputs=e.view_as(y), retain_graph=True)
            rows.append(vjp.reshape(B, d)[:, j])
    return torch.stack(rows, 1).sum(1).detach()
'''

WRITTEN = {}  # in the order of the notebook's answer cells

WRITTEN["vp_marginal_derivation"] = r"""
**1.** Write $y = e^{\frac12 B(t)} x$ with $B = \int_0^t \beta$. Itô's product rule (no second-order term: $e^{B/2}$ is
deterministic) gives $dy = e^{B/2}(\frac12\beta x\,dt + dx) = e^{B/2}\sqrt{\beta}\,dw$, so
$x(t) = e^{-B/2}x(0) + e^{-B/2}\int_0^t e^{B(u)/2}\sqrt{\beta(u)}\,dw(u)$. The stochastic integral of a deterministic function is
Gaussian with mean 0 and variance $\int_0^t e^{B(u)}\beta(u)\,du = e^{B(t)} - 1$ (Itô isometry). Hence $m' = -\frac12\beta m$,
$v' = -\beta v + \beta$, and $x(t) \mid x(0) \sim \mathcal N(e^{-B/2}x(0), (1 - e^{-B})I)$ with $B(t) = 0.1t + 9.95t^2$ for the default
$\beta$, in general $\bar\beta_{\min}t + \frac12(\bar\beta_{\max} - \bar\beta_{\min})t^2$.

**2.** $\log\bar\alpha_i = \sum_j\log(1 - \beta_j) = -\sum_j\beta_j - O(\sum_j\beta_j^2)$; $\sum_{j\le i}\beta(j/N)/N$ is a Riemann sum of
$\int_0^{t}\beta$ and $\sum_j\beta_j^2 \le \max\beta \cdot \sum_j \beta_j / N = O(1/N)$. So $\bar\alpha_i \to e^{-B(t)}$, i.e. DDPM's kernel is the
VP kernel in the limit. Data of unit variance keeps variance $e^{-B} + 1 - e^{-B} = 1$: variance preserving.
"""

WRITTEN["pf_ode_derivation"] = r"""
**1.** $\Delta p = \nabla\cdot\nabla p = \nabla\cdot(p\nabla\log p)$, so Fokker–Planck is $\partial_t p = -\nabla\cdot[(f - \frac12 g^2\nabla\log p)p]$,
the continuity equation of the velocity $v = f - \frac12 g^2\nabla\log p_t$. Particles moving with $dx/dt = v$ transport
their density by exactly this equation, whose solution from $p_0$ is unique: the ODE's marginals are $p_t$.

**2.** In $\tau = T - t$ the reverse SDE is $dy = -(f - g^2 s)\,d\tau + g\,dw$; its Fokker–Planck equation is
$\partial_\tau q = \nabla\cdot((f - g^2 s)q) + \frac12 g^2\Delta q$. For $q = p_{T-\tau}$: left $= -\partial_t p = \nabla\cdot(fp) - \frac12 g^2\Delta p$,
right $= \nabla\cdot(fp) - g^2\Delta p + \frac12 g^2\Delta p$. Equal, so the reverse SDE has marginals $p_t$.

**3.** The ODE's drift has to produce the spreading that the noise produced ($\frac12$); the reverse SDE must in addition
cancel the spreading of its own noise ($\frac12 + \frac12$). With noise $\lambda g$ the drift $f - \frac{1 + \lambda^2}{2}g^2\nabla\log p_t$ works.
"""

WRITTEN["ddim_euler_derivation"] = r"""
**1.** $x_t/\sqrt{\bar\alpha_t} = x_0 + \sqrt{(1 - \bar\alpha_t)/\bar\alpha_t}\,\epsilon = x_0 + \sigma_t\epsilon$. In $\bar x$ the ODE is
$d\bar x/d\sigma = (\bar x - D)/\sigma$ and $D = \mathbb E[x_0 \mid \bar x] = \bar x - \sigma\mathbb E[\epsilon \mid \bar x]$, so the slope is $\hat\epsilon$,
which is $\epsilon_\theta$ at $x_t = \bar x/\sqrt{1 + \sigma^2}$ (same information).

**2.** $\bar x_{t-1} = \bar x_t + (\sigma_{t-1} - \sigma_t)\epsilon_\theta$; times $\sqrt{\bar\alpha_{t-1}}$ this is
$\sqrt{\bar\alpha_{t-1}}(x_t - \sqrt{1 - \bar\alpha_t}\epsilon_\theta)/\sqrt{\bar\alpha_t} + \sqrt{1 - \bar\alpha_{t-1}}\epsilon_\theta$, DDIM's Eq. (12) at $\eta = 0$.

**3.** For one point $\hat\epsilon = (\bar x - x^\star)/\sigma$ is constant along the solution $x^\star + \sigma\epsilon_0$: the path is a line and
Euler is exact. DDIM's error comes only from the paths' curvature, small in these coordinates.
"""

WRITTEN["pf_transport"] = r"""
NLLs: fresh samples 1.72, PF-ODE 1.71, Heun 1.70, reverse SDE 1.81. The ODE samplers match the data; the SDE is a
bit wider. The ODE is a deterministic invertible map from the Gaussian to the ring; the SDE's output depends on its
noise. Heun is second order on nearly straight paths: 35 evaluations suffice.
"""

WRITTEN["convergence"] = r"""
Euler's slope tends to $-1$, Heun's to $-2$ (first and second order). At equal cost Heun wins from 16 levels on. At
4 levels Heun's correction is evaluated at a bad point and overshoots. At $\sigma = 0$ the slope divides by zero; the
Euler step there lands on the denoiser's output at $\sigma_{\min}$, a negligible error.
"""

WRITTEN["likelihood"] = r"""
Largest errors 0.24, 0.06, 0.016 at 24, 48, 96 steps: fourfold per doubling, Heun's second order. Largest in the
clusters' tails. The Gaussian prior changes nothing measurable: at $\sigma = 20$ the noised ring is nearly Gaussian.
The exact divergence costs $d$ backward passes; images use Hutchinson's estimator.
"""

VARIANTS = [
    Variant("float32 inside: coefficients built in the data's dtype from the start", {
        "vp_sde": [("    t = torch.as_tensor(time, dtype=torch.float64)\n    beta = torch.lerp(torch.tensor(beta_min, "
                    "dtype=torch.float64), torch.tensor(beta_max, dtype=torch.float64), t)",
                    "    t = torch.as_tensor(time).to(x.dtype)\n    beta = beta_min + t * (beta_max - beta_min)")],
        "karras_euler_step": [("    denoised = denoiser(x, sigma)\n    return denoised + ratio * (x - denoised)",
                               "    denoised = denoiser(x, sigma)\n    return x + (column(sigma_next) - column(sigma)) * "
                               "(x - denoised) / column(sigma)")],
    }),
    Variant("probability-flow drift written directly, Euler-Maruyama with explicit broadcasting", {
        "probability_flow_drift": [("    return (f + (f - g * g * score)) / 2", "    return f - g.pow(2) * score * 0.5")],
        "euler_maruyama_step": [("    dW = noise * dt.abs().sqrt()\n    return x + dt * drift + g * dW",
                                 "    return torch.addcmul(x + drift * dt, g * torch.sqrt(torch.abs(dt)), noise)")],
    }),
    Variant("vp_marginal without expm1 (float64 keeps the digits for t >= 1e-4), karras_sigmas through linspace", {
        "vp_marginal": [("    std = (-torch.expm1(2 * log_mean)).sqrt()", "    std = torch.sqrt(1 - torch.exp(2 * log_mean))")],
        "karras_sigmas": [("    levels = [(a + (i / (N - 1) if N > 1 else 0.0) * (b - a)) ** rho for i in range(N)]\n"
                           "    return torch.tensor(levels + [0.0], dtype=torch.float64)",
                           "    ramp = torch.linspace(a, b, N, dtype=torch.float64) if N > 1 else torch.tensor([a], "
                           "dtype=torch.float64)\n    return torch.cat([ramp**rho, ramp.new_zeros(1)])")],
    }),
    Variant("divergence by torch.func.jacrev on each sample, Heun with the trapezoid written out", {
        "divergence": '''
import torch


def divergence(fn, x):
    """Per sample: the trace of the full Jacobian, by torch.autograd.functional.jacobian on the batch."""
    B = x.shape[0]
    with torch.enable_grad():
        jac = torch.autograd.functional.jacobian(fn, x.detach())  # (B, *D, B, *D)
    jac = jac.reshape(B, -1, B, x[0].numel())
    return torch.stack([torch.diagonal(jac[b, :, b, :]).sum() for b in range(B)]).detach()
''',
        "karras_heun_step": [("    corrected = x + h / 2 * d + h / 2 * d2", "    corrected = x + h * (d + d2) / 2")],
    }),
    Variant("both samplers call the denoiser with its level named, denoiser(x, sigma=...), as the notebook's accepts", {
        "karras_euler_step": [("    denoised = denoiser(x, sigma)", "    denoised = denoiser(x, sigma=sigma)")],
        "karras_heun_step": [("    d = (x - denoiser(x, sigma)) / s", "    d = (x - denoiser(x, sigma=sigma)) / s"),
                             ("denoiser(x_next, sigma_next)", "denoiser(x_next, sigma=sigma_next)")],
    }),
]

MISTAKES = [
    # vp_marginal
    Mistake("vp_marginal", "vp_std_as_variance", "vp_marginal",
            [("    std = (-torch.expm1(2 * log_mean)).sqrt()", "    std = -torch.expm1(2 * log_mean)  # the kernel's variance")]),
    Mistake("vp_marginal", "vp_mean_coef_squared", "vp_marginal",
            [("    mean_coef = log_mean.exp()", "    mean_coef = (2 * log_mean).exp()  # exp(-B), like alpha_bar")], submit=True),
    Mistake("vp_marginal", "vp_integral_forgets_half", "vp_marginal",
            [("(beta_max - beta_min) * t * t / 2) / 2", "(beta_max - beta_min) * t * t) / 2")]),
    # vp_sde
    Mistake("vp_sde", "vp_drift_no_half", "vp_sde", [("    f = x * (-beta / 2)", "    f = -beta * x")]),
    Mistake("vp_sde", "vp_g_is_beta", "vp_sde", [("    g = beta.sqrt()", "    g = beta")]),
    Mistake("vp_sde", "vp_float64_for_float32", "vp_sde", [("    beta = beta.to(dtype=x.dtype)\n", "")]),
    # ve_sde
    Mistake("ve_sde", "ve_sigma_as_variance", "ve_sde",
            [("    g = torch.sqrt(2 * log_ratio * sigma**2)", "    g = torch.sqrt(log_ratio * sigma)  # sqrt(d sigma / dt)")],
            submit=True),
    Mistake("ve_sde", "ve_g_is_dsigma_dt", "ve_sde",
            [("    g = torch.sqrt(2 * log_ratio * sigma**2)", "    g = log_ratio * sigma  # d sigma / dt")]),
    Mistake("ve_sde", "ve_g_float64", "ve_sde", [("    return x * 0, g.to(dtype=x.dtype)", "    return x * 0, g")]),
    # reverse_sde_drift
    Mistake("reverse_sde_drift", "reverse_drift_sign", "reverse_sde_drift",
            [("    return f - g * g * score", "    return f + g * g * score")], submit=True),
    Mistake("reverse_sde_drift", "reverse_drift_no_g2", "reverse_sde_drift",
            [("    return f - g * g * score", "    return f - score")]),
    Mistake("reverse_sde_drift", "reverse_drift_half_g2", "reverse_sde_drift",
            [("    return f - g * g * score", "    return f - 0.5 * g * g * score")]),
    Mistake("reverse_sde_drift", "reverse_drift_in_place", "reverse_sde_drift",
            [("    return f - g * g * score", "    return f.sub_(g * g * score)")]),
    # probability_flow_drift
    Mistake("probability_flow_drift", "pf_drift_full_g2", "probability_flow_drift",
            [("    return (f + (f - g * g * score)) / 2", "    return f - g * g * score")]),
    Mistake("probability_flow_drift", "pf_drift_sign", "probability_flow_drift",
            [("    return (f + (f - g * g * score)) / 2", "    return f + g * g * score / 2")]),
    Mistake("probability_flow_drift", "pf_drift_g_not_squared", "probability_flow_drift",
            [("    return (f + (f - g * g * score)) / 2", "    return f - g * score / 2")]),
    # euler_maruyama_step
    Mistake("euler_maruyama_step", "em_noise_scaled_by_dt", "euler_maruyama_step",
            [("    dW = noise * dt.abs().sqrt()", "    dW = noise * dt.abs()")]),
    Mistake("euler_maruyama_step", "em_drift_abs_dt", "euler_maruyama_step",
            [("    return x + dt * drift + g * dW", "    return x + dt.abs() * drift + g * dW")]),
    Mistake("euler_maruyama_step", "em_in_place", "euler_maruyama_step",
            [("    return x + dt * drift + g * dW", "    return x.add_(dt * drift + g * dW)")]),
    Mistake("euler_maruyama_step", "em_scalars_not_cast", "euler_maruyama_step",
            [("        v = torch.as_tensor(v, dtype=torch.float64).to(x.dtype)\n",
              "        v = torch.as_tensor(v)  # a float64 (B,) dt promotes float32 data\n")]),
    # karras_sigmas
    Mistake("karras_sigmas", "karras_no_final_zero", "karras_sigmas",
            [("    return torch.tensor(levels + [0.0], dtype=torch.float64)", "    return torch.tensor(levels, dtype=torch.float64)")]),
    Mistake("karras_sigmas", "karras_ascending", "karras_sigmas",
            [("    return torch.tensor(levels + [0.0], dtype=torch.float64)",
              "    return torch.tensor([0.0] + levels[::-1], dtype=torch.float64)")]),
    Mistake("karras_sigmas", "karras_i_over_N", "karras_sigmas",
            [("(i / (N - 1) if N > 1 else 0.0)", "(i / N)")]),
    Mistake("karras_sigmas", "karras_no_validation", "karras_sigmas",
            [("    if rho <= 0:\n        raise ValueError(f\"rho must be positive, got {rho}\")\n", "")]),
    Mistake("karras_sigmas", "karras_float32", "karras_sigmas",
            [("    return torch.tensor(levels + [0.0], dtype=torch.float64)", "    return torch.tensor(levels + [0.0])")]),
    # karras_euler_step
    Mistake("karras_euler_step", "euler_step_sign", "karras_euler_step",
            [("    return denoised + ratio * (x - denoised)", "    return 2 * x - denoised - ratio * (x - denoised)")]),
    Mistake("karras_euler_step", "euler_slope_without_sigma", "karras_euler_step", '''
import torch


def karras_euler_step(x, sigma, sigma_next, denoiser):
    def column(v):
        v = torch.as_tensor(v).to(x.dtype)
        return v.view(-1, *[1] * (x.ndim - 1)) if v.ndim == 1 else v

    d = x - denoiser(x, sigma)  # the slope, forgetting the division by sigma
    return x + (column(sigma_next) - column(sigma)) * d
'''),
    Mistake("karras_euler_step", "euler_denoiser_at_next_level", "karras_euler_step",
            [("    denoised = denoiser(x, sigma)", "    denoised = denoiser(x, sigma_next)")]),
    # karras_heun_step
    Mistake("karras_heun_step", "heun_corrects_at_zero", "karras_heun_step",
            [("    keep = s_next > 0\n    if not keep.any():\n        return x_next\n    safe = torch.where(keep, s_next, "
              "torch.ones_like(s_next))\n    d2 = (x_next - denoiser(x_next, sigma_next)) / safe\n"
              "    corrected = x + h / 2 * d + h / 2 * d2\n    return torch.where(keep, corrected, x_next)",
              "    d2 = (x_next - denoiser(x_next, sigma_next)) / s_next\n    return x + h / 2 * d + h / 2 * d2")]),
    Mistake("karras_heun_step", "heun_end_slope_only", "karras_heun_step",
            [("    corrected = x + h / 2 * d + h / 2 * d2", "    corrected = x + h * d2")]),
    Mistake("karras_heun_step", "heun_is_euler", "karras_heun_step",
            [("    corrected = x + h / 2 * d + h / 2 * d2", "    corrected = x_next")]),
    Mistake("karras_heun_step", "heun_skips_whole_batch_if_any_zero", "karras_heun_step",
            [("    if not keep.any():", "    if not keep.all():")]),
    Mistake("karras_heun_step", "heun_levels_not_cast", "karras_heun_step",
            [("        v = torch.as_tensor(v, dtype=torch.float64).to(x.dtype)\n",
              "        v = torch.as_tensor(v)  # float64 levels from karras_sigmas promote float32 data\n")]),
    # ddim_euler_step
    Mistake("ddim_euler_step", "ddim_euler_vp_sigma", "ddim_euler_step",
            [("    sigma, sigma_prev = (1 / a - 1).sqrt(), (1 / a_prev - 1).sqrt()",
              "    sigma, sigma_prev = (1 - a).sqrt(), (1 - a_prev).sqrt()")]),
    Mistake("ddim_euler_step", "ddim_euler_no_rescale", "ddim_euler_step",
            [("    return x_bar_prev * a_prev.sqrt()", "    return x_bar_prev")]),
    Mistake("ddim_euler_step", "ddim_euler_float64_for_float32", "ddim_euler_step",
            [(".to(x_t.dtype)\n        return v.view", "\n        return v.view")]),
    # divergence
    Mistake("divergence", "divergence_jacobian_sum", "divergence", '''
import torch


def divergence(fn, x):
    with torch.enable_grad():
        z = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(fn(z).sum(), z)  # sums every entry of the Jacobian, not only its diagonal
    return grad.reshape(x.shape[0], -1).sum(1).detach()
'''),
    Mistake("divergence", "divergence_no_enable_grad", "divergence",
            [("    with torch.enable_grad():\n        z = x.detach().clone().requires_grad_()",
              "    if True:\n        z = x.detach().clone().requires_grad_()")]),
]

HOSTILE = Hostile(
    import_reference={
        "reverse_sde_drift": '''
def reverse_sde_drift(f, g, score):
    from course_core.sde import reverse_sde_drift as reference

    return reference(f, g, score)
''',
        "karras_heun_step": '''
from course_core.sde import karras_heun_step as _reference  # the cell stops here


def karras_heun_step(x, sigma, sigma_next, denoiser):
    return _reference(x, sigma, sigma_next, denoiser)
''',
        "divergence": '''
import importlib


def divergence(fn, x):
    return importlib.import_module("course_core.sde").divergence(fn, x)
''',
    },
    delegating=["reverse_sde_drift", "karras_heun_step", "divergence"],
    find_after="vp_sde",
    middle="karras_sigmas",
)
