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

REFERENCE["posterior_moments_mc"] = '''
import torch


def posterior_moments_mc(x0, t, beta, noise):
    \"\"\"The chains of Eq. (2) kept in a list; one least-squares problem per coordinate, solved by torch.linalg.lstsq.\"\"\"
    N = noise.shape[1]
    chain = [x0.expand(noise.shape[1:])]
    for s in range(t + 1):
        chain.append(torch.sqrt(1 - beta[s]).to(x0.dtype) * chain[-1] + torch.sqrt(beta[s]).to(x0.dtype) * noise[s])
    x_prev, x_t = chain[-2].reshape(N, -1).T, chain[-1].reshape(N, -1).T  # (d, N)
    design = torch.stack([torch.ones_like(x_t), x_t], dim=-1)  # (d, N, 2)
    coef = torch.linalg.lstsq(design, x_prev[..., None]).solution[..., 0]  # (d, 2): intercept, slope
    resid = x_prev - (design @ coef[..., None])[..., 0]  # (d, N)
    return coef[:, 1].reshape(x0.shape), coef[:, 0].reshape(x0.shape), (resid**2).mean(dim=1).reshape(x0.shape)
'''

REFERENCE["eps_loss_weight"] = '''
import torch


def eps_loss_weight(beta, t, variance="small"):
    \"\"\"Ho et al. 2020, Eq. (12) simplified: beta / (2 alpha (1 - alpha_bar_prev)) for the posterior variance, and
    beta / (2 alpha (1 - alpha_bar)) for sigma^2 = beta.\"\"\"
    alpha_bar = torch.cumprod(1 - beta, dim=0)
    b, a, ab = beta[t], 1 - beta[t], alpha_bar[t]
    ab_prev = torch.where(t > 0, alpha_bar[(t - 1).clamp(min=0)], torch.ones_like(ab))
    return b / (2 * a * (1 - (ab_prev if variance == "small" else ab)))
'''

WRITTEN = {}  # in the order of the notebook's answer cells

WRITTEN["posterior_derivation"] = r"""
Bayes' rule with the Markov property, $q(x_t \mid x_{t-1}, x_0) = q(x_t \mid x_{t-1})$:

$$q(x_{t-1} \mid x_t, x_0) \propto q(x_t \mid x_{t-1})\, q(x_{t-1} \mid x_0)
= \mathcal N(x_t; \sqrt{\alpha_t} x_{t-1}, \beta_t)\, \mathcal N(x_{t-1}; \sqrt{\bar\alpha_{t-1}} x_0, 1 - \bar\alpha_{t-1}),$$

the normaliser $q(x_t \mid x_0)$ being free of $x_{t-1}$. Per coordinate, the log of the right-hand side is, up to
terms without $x_{t-1}$, $-\tfrac12 \big(A x_{t-1}^2 - 2 b\, x_{t-1}\big)$ with
$A = \frac{\alpha_t}{\beta_t} + \frac{1}{1 - \bar\alpha_{t-1}}$ and
$b = \frac{\sqrt{\alpha_t}}{\beta_t} x_t + \frac{\sqrt{\bar\alpha_{t-1}}}{1 - \bar\alpha_{t-1}} x_0$.
Completing the square gives a Gaussian with variance $1/A$ and mean $b/A$. Since
$\alpha_t(1 - \bar\alpha_{t-1}) + \beta_t = \alpha_t - \bar\alpha_t + 1 - \alpha_t = 1 - \bar\alpha_t$,

$$\tilde\beta_t = \frac1A = \frac{\beta_t (1 - \bar\alpha_{t-1})}{1 - \bar\alpha_t}, \qquad
\tilde\mu_t = \frac bA = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1 - \bar\alpha_t} x_0 + \frac{\sqrt{\alpha_t}(1 - \bar\alpha_{t-1})}{1 - \bar\alpha_t} x_t .$$

For $t = 1$, $\bar\alpha_0 = 1$ gives $\tilde\beta_1 = 0$ and $\tilde\mu_1 = \beta_1 x_0 / (1 - \alpha_1) = x_0$: the posterior is the point
mass at $x_0$, which is right because $x_{t-1} = x_0$ is given.
"""

WRITTEN["eps_mean_derivation"] = r"""
Write $c = \sqrt{1 - \bar\alpha_t}$. Then $\hat x_0 = (x_t - c\,\epsilon_\theta)/\sqrt{\bar\alpha_t}$ and, with
$\sqrt{\bar\alpha_{t-1}/\bar\alpha_t} = 1/\sqrt{\alpha_t}$,

$$\tilde\mu_t(x_t, \hat x_0) = \frac{\beta_t}{\sqrt{\alpha_t}\, c^2}(x_t - c\,\epsilon_\theta) + \frac{\sqrt{\alpha_t}(1 - \bar\alpha_{t-1})}{c^2} x_t .$$

Coefficient of $x_t$: $\frac{\beta_t + \alpha_t(1 - \bar\alpha_{t-1})}{\sqrt{\alpha_t}\, c^2} = \frac{1 - \bar\alpha_t}{\sqrt{\alpha_t}(1 - \bar\alpha_t)} = \frac{1}{\sqrt{\alpha_t}}$
(the identity $\beta_t + \alpha_t - \bar\alpha_t = 1 - \bar\alpha_t$). Coefficient of $\epsilon_\theta$: $-\frac{\beta_t c}{\sqrt{\alpha_t} c^2} = -\frac{\beta_t}{\sqrt{\alpha_t}\sqrt{1 - \bar\alpha_t}}$.
So $a_t = 1/\sqrt{\alpha_t}$, $b_t = \beta_t/(\sqrt{\alpha_t}\sqrt{1 - \bar\alpha_t})$ and
$\mu_\theta = \frac{1}{\sqrt{\alpha_t}}\big(x_t - \frac{\beta_t}{\sqrt{1 - \bar\alpha_t}}\epsilon_\theta\big)$, Eq. (11).
"""

WRITTEN["bound_derivation"] = r"""
(1) Since $p_\theta(x_0) = \mathbb E_{q(x_{1:T} \mid x_0)}[p_\theta(x_{0:T})/q(x_{1:T} \mid x_0)]$ and $\log$ is concave, Jensen gives
$\log p_\theta(x_0) \ge \mathbb E_q[\log p_\theta(x_{0:T}) - \log q(x_{1:T} \mid x_0)]$; negating and using the product forms of
both chains gives $L$.

(2) For $t \ge 2$, $q(x_t \mid x_{t-1}) = q(x_t \mid x_{t-1}, x_0) = q(x_{t-1} \mid x_t, x_0)\,q(x_t \mid x_0)/q(x_{t-1} \mid x_0)$. The
factors $q(x_t \mid x_0)/q(x_{t-1} \mid x_0)$ multiply to $q(x_T \mid x_0)/q(x_1 \mid x_0)$, and the $q(x_1 \mid x_0)$ cancels
against the $t = 1$ factor $q(x_1 \mid x_0)$. What remains is
$\mathbb E_q[-\log \frac{p(x_T)}{q(x_T \mid x_0)} - \sum_{t \ge 2}\log \frac{p_\theta(x_{t-1} \mid x_t)}{q(x_{t-1} \mid x_t, x_0)} - \log p_\theta(x_0 \mid x_1)]$;
the inner expectations of the log-ratios are the KL divergences $L_T$ and $L_{t-1}$, plus $L_0$: Eq. (5).

(3) $L_T$ depends only on the fixed forward process and the fixed prior $\mathcal N(0, I)$: nothing to train.
"""

WRITTEN["loss_weight_derivation"] = r"""
(1) The KL between $\mathcal N(\tilde\mu, \tilde\beta)$ and $\mathcal N(\mu_\theta, \sigma^2)$ is
$\frac{(\tilde\mu - \mu_\theta)^2}{2\sigma^2} + \frac12\big(\frac{\tilde\beta}{\sigma^2} - 1 - \log\frac{\tilde\beta}{\sigma^2}\big)$. The second
part, $C$, has no $\theta$ in it and vanishes for $\sigma^2 = \tilde\beta$. This is Eq. (8).

(2) Substituting $x_0 = (x_t - \sqrt{1 - \bar\alpha_t}\epsilon)/\sqrt{\bar\alpha_t}$ into $\tilde\mu_t$ (the algebra of Question 7)
gives $\tilde\mu_t = \frac{1}{\sqrt{\alpha_t}}(x_t - \frac{\beta_t}{\sqrt{1 - \bar\alpha_t}}\epsilon)$. With Eq. (11),
$\tilde\mu_t - \mu_\theta = \frac{\beta_t}{\sqrt{\alpha_t(1 - \bar\alpha_t)}}(\epsilon_\theta - \epsilon)$, so
$L_{t-1} - C = \mathbb E\big[\frac{\beta_t^2}{2\sigma_t^2\alpha_t(1 - \bar\alpha_t)}\|\epsilon - \epsilon_\theta\|^2\big]$, i.e.
$\lambda_t = \frac{\beta_t^2}{2\sigma_t^2\alpha_t(1 - \bar\alpha_t)}$: $\frac{\beta_t}{2\alpha_t(1 - \bar\alpha_{t-1})}$ for $\sigma_t^2 = \tilde\beta_t$ and
$\frac{\beta_t}{2\alpha_t(1 - \bar\alpha_t)}$ for $\sigma_t^2 = \beta_t$.

(3) For $\sigma_t^2 = \tilde\beta_t$, $\lambda_t$ is about $1$ for the first steps (where $1 - \bar\alpha_{t-1}$ is tiny) and
drops to a few hundredths later. $L_\text{simple}$ uses 1 everywhere, so compared with the bound it gives the
noisy, large-$t$ steps much more weight and the nearly clean small-$t$ steps less. Ho et al. report better
sample quality this way, although the log-likelihood gets worse, since the bound is no longer what is
minimised.
"""

WRITTEN["reverse_trajectory"] = r"""
The reverse $x_t$ and the forward $x_t$ look the same at equal indices (Gaussian at 199, a disc at 20, a ring at 10):
with the exact $\epsilon^*$ every reverse step is close to the true reverse kernel, so the reverse chain reproduces
the forward marginals. The hole of the ring shows around $t = 15$ to $20$ and the clusters separate only at about
$t = 5$ ($\bar\alpha = 0.99$): the clusters have width 0.1, so the noise $\sqrt{1 - \bar\alpha_t}$ has to drop to about 0.1 to
0.15 before the gap of 0.54 between modes is 3–4 cluster widths. All the structure is created in the last ~10 of
the 200 steps; before that the sampler only contracts a Gaussian.
"""

WRITTEN["small_vs_large"] = r"""
Rms distances (data 0.142): $T = 20$: small 0.129, large 0.155; $T = 200$: small 0.133, large 0.145. The small
variance is always closer, and the difference is bigger for the short chain. $\tilde\beta_t$ is exact for a single
data point and $\beta_t$ for standard normal data; the true reverse variance is in between. Our ring is made of tight
clusters (sd 0.1 against the unit noise), close to the single-point case, so $\tilde\beta_t$ wins (slightly too tight)
and $\beta_t$ is too noisy. With few steps each $\beta_t$ is large and so is the excess $\beta_t - \tilde\beta_t$ injected in the
last noisy steps, which no later step removes; with many steps the two variances nearly coincide.
"""

WRITTEN["linear_vs_cosine"] = r"""
Linear: $\bar\alpha_t$ drops to about 0 halfway through the 50 steps and stays there. Cosine: an even S-shaped decay.
Samples: the same quality (rms 0.126 and 0.126). Bound: 9.20 (linear) against 8.15 (cosine) bits/dim. The decoder
terms are equal (4.43 vs 4.44); the linear schedule loses in the first KL terms ($L_1$ = 2.46 vs 1.13, first five
steps 4.02 vs 2.37). Half of its steps are spent on pure noise, so the low-noise end, where the data is encoded,
is crossed in fewer, larger steps ($\beta$ grows fivefold from step 1 to step 2), and a fixed-variance Gaussian
reverse step fits a large step poorly.
"""

WRITTEN["number_of_steps"] = r"""
T = 10: rms 0.156 (blurred along the ring), bound 8.33; T = 50: rms 0.122, bound 8.04; T = 200: rms 0.133, bound
8.06 (the last two equal within the Monte-Carlo error). True value 7.22. Even with the ideal $\epsilon^*$, DDPM's reverse
kernels are Gaussians with a fixed variance, which the true reverse kernels are not, so every KL term keeps an
irreducible part ($\lambda_t$ times the variance of $\epsilon$ given $x_t$), and the decoder is a Gaussian of width
$\sqrt{\tilde\beta_1}$ (0.144, 0.034, 0.012). A larger $T$ lowers $L_0$ (6.10, 4.36, 3.18) but shifts bits into the KL terms
(2.22, 3.67, 4.88), so the total approaches the truth only slowly; learned variances help more.
"""

WRITTEN["bits_per_dim"] = r"""
Trained 8.99, exact predictor 8.26, true ring 7.22, uniform 8 bits/dim. The number is a bound, not the
likelihood: the ring saves only 0.78 bits/dim over uniform, and DDPM's bound here is looser than that even with
the exact predictor. The decoder alone costs 3.6 bits/dim (width 0.018 against bins of 0.008; at least 2.56 even
with a perfect $\hat x_0$), and the first ten KL terms another 3.3 (exact) to 3.9 (trained). The trained network adds
0.73 bits/dim, mostly at those small $t$, because $L_\text{simple}$ weights them like every other step while the bound
weights them most, and the network is small and briefly trained. On images the true entropy per pixel is a few
bits thanks to strong correlations between thousands of pixels, so a bound a bit loose is still far below 8; a
2-D toy has no such redundancy.
"""

WRITTEN["bound_terms"] = r"""
The KL terms decrease steadily with $t$, from about 1.3 bits/dim at $t = 1$ to $10^{-6}$ at the end (exact model);
$L_T \approx 6 \cdot 10^{-6}$. $L_0$ (about 3.6) and the first ten $L_t$ (3.3 exact, 3.9 trained) make up most of the
total. The trained model is worse than the exact one mainly at small $t$ (0.58 of its 0.73 extra bits/dim come from
the first ten steps); at large $t$ it levels off near $10^{-4}$, which costs nothing. Those first steps have the
largest $\lambda_t$, and $L_\text{simple}$ gives them no more weight than any other step, so training spends little
effort exactly where the bound is decided.
"""

WRITTEN["ddpm_vs_langevin"] = r"""
Exact predictor: DDPM 0.128, annealed Langevin 0.209 (200 evaluations each). Trained network: DDPM 0.227,
Langevin 0.282 (200) and 0.241 (1000), data 0.144. DDPM is sharper with the same score, because each DDPM step
approximates the whole transition from one noise level to the next, whereas Langevin needs many steps at each
level to relax to $p_{t_i}$; four steps leave it unconverged and blurred. With 1000 evaluations the trained Langevin
samples are sharper but unbalanced: the most popular mode holds 27% of the points (12.5% in the data), since long
Langevin runs drift to the stationary law of the learned, imperfect score. Langevin needs far more evaluations
and a more accurate score to match DDPM.
"""

VARIANTS = [
    Variant("posterior_moments_mc through sample moments, residual variance from var - slope * cov", {"posterior_moments_mc": '''
import torch


def posterior_moments_mc(x0, t, beta, noise):
    x = x0 + 0 * noise[0]  # (N, *D)
    prev = x
    for s in range(t + 1):
        prev, x = x, (1 - beta[s]).sqrt().item() * x + beta[s].sqrt().item() * noise[s]
    mx, mp = x.mean(0), prev.mean(0)
    vx = ((x - mx) ** 2).mean(0)
    cov = ((x - mx) * (prev - mp)).mean(0)
    slope = cov / vx
    return slope, mp - slope * mx, ((prev - mp) ** 2).mean(0) - slope * cov
'''}),
    Variant("eps_loss_weight through q_posterior_mean_variance", {"eps_loss_weight": '''
import torch


def eps_loss_weight(beta, t, variance="small"):
    ones = torch.ones(t.shape[0], 1, dtype=beta.dtype)
    _, post_var = q_posterior_mean_variance(ones, ones, t, beta)
    alpha_bar = torch.cumprod(1 - beta, 0)
    var = post_var.reshape(-1) if variance == "small" else beta[t]
    return beta[t] ** 2 / (2 * var * (1 - beta[t]) * (1 - alpha_bar[t]))
'''}),
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
    Mistake("q_posterior", "posterior_coefficients_swapped", "q_posterior_mean_variance",
            [("return coef_x0 * x0 + coef_xt * x_t,", "return coef_xt * x0 + coef_x0 * x_t,")]),
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
    Mistake("ddpm_step", "always_small", "ddpm_step", [("b if variance == \"large\" else", "b if False else")]),
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
    Mistake("posterior_mc", "mc_regress_x_t_on_x_prev", "posterior_moments_mc", [
        ("design = torch.stack([torch.ones_like(x_t), x_t], dim=-1)", "design = torch.stack([torch.ones_like(x_prev), x_prev], dim=-1)"),
        ("torch.linalg.lstsq(design, x_prev[..., None])", "torch.linalg.lstsq(design, x_t[..., None])"),
        ("resid = x_prev - (design", "resid = x_t - (design")]),
    Mistake("posterior_mc", "mc_independent_marginals", "posterior_moments_mc", '''
import torch


def posterior_moments_mc(x0, t, beta, noise):
    # x_{t-1} and x_t drawn from their marginals (Eq. (4)) with separate noise: not one chain.
    N = noise.shape[1]
    alpha_bar = torch.cumprod(1 - beta, 0).to(x0.dtype)
    ab_prev = alpha_bar[t - 1] if t > 0 else torch.ones((), dtype=x0.dtype)
    x_prev = (ab_prev.sqrt() * x0 + (1 - ab_prev).sqrt() * noise[max(t - 1, 0)]).reshape(N, -1).T
    x_t = (alpha_bar[t].sqrt() * x0 + (1 - alpha_bar[t]).sqrt() * noise[t]).reshape(N, -1).T
    design = torch.stack([torch.ones_like(x_t), x_t], dim=-1)
    coef = torch.linalg.lstsq(design, x_prev[..., None]).solution[..., 0]
    resid = x_prev - (design @ coef[..., None])[..., 0]
    return coef[:, 1].reshape(x0.shape), coef[:, 0].reshape(x0.shape), (resid**2).mean(dim=1).reshape(x0.shape)
'''),
    Mistake("posterior_mc", "mc_unbiased_residual_variance", "posterior_moments_mc",
            [("(resid**2).mean(dim=1)", "((resid**2).sum(dim=1) / (N - 2))")]),
    Mistake("posterior_mc", "mc_chain_one_step_short", "posterior_moments_mc",
            [("for s in range(t + 1):", "for s in range(max(t, 1)):")]),
    Mistake("loss_weight", "weight_no_two", "eps_loss_weight", [("return b / (2 * a * (1 -", "return b / (a * (1 -")]),
    Mistake("loss_weight", "weight_always_large", "eps_loss_weight",
            [("(1 - (ab_prev if variance == \"small\" else ab))", "(1 - ab)")]),
    Mistake("loss_weight", "weight_no_alpha", "eps_loss_weight", [("return b / (2 * a * (1 -", "return b / (2 * (1 -")]),
    Mistake("loss_weight", "weight_float32", "eps_loss_weight",
            [("alpha_bar = torch.cumprod(1 - beta, dim=0)", "beta = beta.float()\n    alpha_bar = torch.cumprod(1 - beta, dim=0)")]),
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
)
