"""Example submissions of hw4_guidance: a reference written differently from the master solution, other
correct writings, realistic mistakes, and where the hostile submissions act. See tests/submissions/kit.py."""

from kit import Hostile, Mistake, Variant

REFERENCE = {}

REFERENCE["classifier_grad"] = '''
import torch
import torch.nn.functional as F
from torch.func import grad as func_grad


def classifier_grad(logits_fn, x, y):
    """grad_x log p(y | x) by torch.func.grad of the summed log-probabilities, picked with a one-hot dot product
    (rows are independent, so the gradient of the sum is each row's own); torch.func ignores an outer no_grad."""

    def total_log_prob(z):
        logits = logits_fn(z)  # (B, K)
        log_p = logits - torch.logsumexp(logits, dim=-1, keepdim=True)
        return (log_p * F.one_hot(y, log_p.shape[-1]).to(log_p.dtype)).sum()

    return func_grad(total_log_prob)(x.detach())
'''

REFERENCE["classifier_guided_eps"] = '''
import numpy as np
import torch


def classifier_guided_eps(eps_pred, grad_log_p_y, alpha_bar_t, scale):
    """Dhariwal & Nichol 2021, Algorithm 2: the noise scale sigma_t = sqrt(1 - alpha_bar_t) computed in numpy."""
    sigma = np.sqrt(1.0 - alpha_bar_t.detach().cpu().numpy().astype(np.float64))  # (B,)
    sigma = torch.from_numpy(scale * sigma).to(eps_pred.dtype).view(-1, *([1] * (eps_pred.ndim - 1)))
    return eps_pred - sigma * grad_log_p_y
'''

REFERENCE["cfg_eps"] = '''
def cfg_eps(eps_cond, eps_uncond, guidance_scale):
    """Ho & Salimans 2022, Eq. (6) with guidance_scale = 1 + w: linear interpolation, extrapolated beyond 1."""
    return torch.lerp(eps_uncond, eps_cond, guidance_scale)
'''

REFERENCE["implicit_classifier_grad"] = '''
def implicit_classifier_grad(eps_cond, eps_uncond, alpha_bar_t):
    """Ho & Salimans 2022, section 3.2: the two noise predictions' difference, back in score units."""
    inv_sigma = torch.rsqrt(1 - alpha_bar_t).to(eps_cond.dtype)  # (B,)
    return (eps_uncond - eps_cond) * inv_sigma.view(-1, *([1] * (eps_cond.ndim - 1)))
'''

REFERENCE["drop_labels"] = '''
import numpy as np
import torch


def drop_labels(y, p_uncond, null_label, u):
    """Ho & Salimans 2022, Algorithm 1, in numpy."""
    labels = y.cpu().numpy()
    if null_label in set(labels.tolist()):
        raise ValueError(f"the null label {null_label} is a real class of y; choose one no class uses")
    return torch.from_numpy(np.where(u.cpu().numpy() < p_uncond, null_label, labels).astype(np.int64))
'''

REFERENCE["cfg_ddim_sample"] = '''
import torch

import guide_toy


def cfg_ddim_sample(eps_model, x_T, y, null_label, guidance_scale, alpha_bar, timesteps, eta, noise):
    """Ho & Salimans 2022, Algorithm 2, on DDIM steps; one model call per step on the doubled batch (as diffusers
    pipelines do): the first half with the labels, the second with the null label."""
    B = x_T.shape[0]
    labels = torch.cat([y, torch.full_like(y, null_label)])  # (2B,)
    steps = timesteps.tolist()
    x = x_T
    for i, (now, nxt) in enumerate(zip(steps, steps[1:] + [-1])):
        t = torch.full((B,), now, dtype=torch.int64)
        both = eps_model(torch.cat([x, x]), torch.cat([t, t]), labels)  # (2B, *D)
        eps = cfg_eps(eps_cond=both[:B], eps_uncond=both[B:], guidance_scale=guidance_scale)
        x = guide_toy.ddim_step(x, t, torch.full_like(t, nxt), eps, alpha_bar, eta, noise[i])
    return x
'''

# cfg_ddim_sample with the guided combination written out (correct; used as a mistake's context).
SAMPLE_INLINE = '''
import torch

import guide_toy


def cfg_ddim_sample(eps_model, x_T, y, null_label, guidance_scale, alpha_bar, timesteps, eta, noise):
    x = x_T
    null = torch.full_like(y, null_label)
    S = len(timesteps)
    for i in range(S):
        t = timesteps[i].repeat(x.shape[0])
        t_prev = timesteps[i + 1].repeat(x.shape[0]) if i < S - 1 else torch.full_like(t, -1)
        e_c, e_u = eps_model(x, t, y), eps_model(x, t, null)
        x = guide_toy.ddim_step(x, t, t_prev, guidance_scale * e_c + (1 - guidance_scale) * e_u, alpha_bar, eta,
                                noise[i])
    return x
'''

# cfg_ddim_sample calling cfg_eps by position (correct; used as a mistake's context).
SAMPLE_CALLS_CFG = '''
import torch

import guide_toy


def cfg_ddim_sample(eps_model, x_T, y, null_label, guidance_scale, alpha_bar, timesteps, eta, noise):
    x, B = x_T, x_T.shape[0]
    null = torch.full_like(y, null_label)
    steps = [int(s) for s in timesteps] + [-1]
    for i in range(len(steps) - 1):
        t, t_prev = torch.full((B,), steps[i]), torch.full((B,), steps[i + 1])
        eps = cfg_eps(eps_model(x, t, y), eps_model(x, t, null), guidance_scale)
        x = guide_toy.ddim_step(x, t, t_prev, eps, alpha_bar, eta, noise[i])
    return x
'''

WRITTEN = {}  # in the order of the notebook's answer cells

WRITTEN["guidance_derivation"] = r"""
**(a)** Bayes' rule at noise level $t$: $p_t(x_t \mid y) = p_t(y \mid x_t)\, p_t(x_t) / p(y)$. Taking logs and the gradient in
$x_t$, the term $\log p(y)$ disappears: the label is never noised, so its marginal is the same at every $t$, and it is a
constant in $x_t$. Hence $\nabla_{x_t} \log p_t(x_t \mid y) = \nabla_{x_t} \log p_t(x_t) + \nabla_{x_t} \log p_t(y \mid x_t)$.

**(b)** With $\sigma_t = \sqrt{1 - \bar\alpha_t}$, the exact noise prediction is $\epsilon^* = -\sigma_t \nabla \log p_t$ (Tweedie / Ho Eq. (11)).
The guided score is $\nabla \log p_t(x_t) + s \nabla \log p_t(y \mid x_t)$; multiplying by $-\sigma_t$:
$\hat\epsilon = \epsilon^*(x_t, t) - s\,\sigma_t\, \nabla_{x_t} \log p_t(y \mid x_t)$.

**(c)** From (a), $\nabla \log p_t(y \mid x_t) = \nabla \log p_t(x_t \mid y) - \nabla \log p_t(x_t) = \big(-\epsilon^*(x_t, t, y) + \epsilon^*(x_t, t)\big)/\sigma_t$,
i.e. $-\big(\epsilon^*(x_t, t, y) - \epsilon^*(x_t, t)\big) / \sqrt{1 - \bar\alpha_t}$.

**(d)** Substituting, $\hat\epsilon = \epsilon_u - s\,\sigma_t \cdot (-(\epsilon_c - \epsilon_u)/\sigma_t) = \epsilon_u + s(\epsilon_c - \epsilon_u)$: CFG with $g = s$.
Ho & Salimans' $(1 + w)\epsilon_c - w\epsilon_u = \epsilon_u + (1 + w)(\epsilon_c - \epsilon_u)$, so $g = s = 1 + w$. Then $w = 0$ ($g = 1$) samples the
conditional $p(x \mid y)$, with no extra guidance, and $g = 0$ samples the unconditional $p(x)$. Passing $w$ as the
`guidance_scale` therefore guides one unit too weakly: the value meant as "plain conditional" ($w = 0$) gives
unconditional samples that ignore the label.
"""

WRITTEN["guidance_tradeoff"] = r"""
My run (class 0, 1000 samples from the same $x_T$):

| scale | 0 | 1 | 2 | 4 | 8 |
|---|---|---|---|---|---|
| confidence $\mathbb E\, p(y = 0 \mid x_0)$ | 0.505 | 0.985 | 0.9999 | 1.0000 | 1.0000 |
| component entropy (bits) | 2.998 | 2.045 | 1.836 | 1.387 | 1.074 |
| sliced Wasserstein to $p(x \mid y = 0)$ | 0.363 | 0.0215 | 0.126 | 0.245 | 0.356 |

(exact class-conditional draws: confidence 0.979, entropy 2.074 bits; two exact draws are 0.0186 apart.)

Confidence goes up and is saturated from scale 2; entropy goes down monotonically, from the whole ring (3 bits) to
the four class-0 components (about 2 bits at scale 1) to about two components (1.07 bits at 8). The distance has a
minimum at scale 1, practically at the floor, and grows on either side, reaching at 8 about the value of the
unconditional samples.

At scale 1 the combination is just the conditional prediction, so with exact scores the sampler draws
$p(x \mid y = 0)$: the distance is at its floor (0.985 vs 0.979 in confidence, a slight sharpening from the 50 DDIM
steps). At scale 0 it is the unconditional prediction: the label is ignored and half the samples land on class 1.
Above 1, the two boundary components of class 0, at 0° and 135° (the neighbours of class 1), empty first: shares
0.236/0.254/0.261/0.243 of components 0-3 at scale 1, 0.042/0.450/0.474/0.034 at 4, 0.004/0.488/0.503/0.005 at 8,
and the samples drift outward (mean radius 0.705 at 1, 0.843 at 4, 0.958 at 8, ring radius 0.7), away from class 1,
to where the classifier is most certain. The last column compares classifier guidance (my `classifier_grad` of
the exact classifier in `classifier_guided_eps`) with CFG at the same scale: at most $7.7 \cdot 10^{-15}$ apart, the
identity of Question 2 holding through the whole sampler.
"""

WRITTEN["tilted_target"] = r"""
**(a)** Bayes' rule gives $p(y \mid x) = p(x \mid y) p(y) / p(x)$, hence
$p(x)\, p(y \mid x)^s = p(y)^s\, p(x \mid y)^s\, p(x)^{1 - s} \propto p(x \mid y)^s\, p(x)^{1 - s}$ ($p(y)^s$ is a constant).
For $s > 1$ this is a geometric extrapolation past $p(x \mid y)$: the class-conditional law raised to a power
(sharper, like a lower temperature), divided by a power of $p(x)$, which removes mass from points that other
classes also explain. The mass concentrates where $p(y \mid x)$ is close to 1.

**(b)** Noise the tilted law: $\pi_{s,t}(x_t) \propto \int \mathcal N(x_t; \sqrt{\bar\alpha_t}\, x_0, (1 - \bar\alpha_t) I)\, p(x_0)\, p(y \mid x_0)^s\, dx_0
= p_t(x_t)\, \mathbb E_{x_0 \sim p(x_0 \mid x_t)}[p(y \mid x_0)^s]$. The guided sampler instead uses
$p_t(x_t)\, p_t(y \mid x_t)^s$, and $p_t(y \mid x_t) = \mathbb E[p(y \mid x_0) \mid x_t]$, so it uses $(\mathbb E[p(y \mid x_0) \mid x_t])^s$. A power of
a mean is not the mean of the power (Jensen: strictly, unless $p(y \mid x_0)$ is constant over the posterior of
$x_0$), and the ratio of the two varies with $x_t$, so the scores differ. Tilting and noising do not commute; the
guided scores are not the scores of the noised marginals of any distribution, and the reverse process only ends
at a given law when it follows that law's noised scores. The two agree only at $t = 0$.

**(c)** My numbers: the tilted law $\pi_4$ has component shares 0.237/0.259/0.260/0.243, confidence 0.992 and mean radius
0.725, almost $p(x \mid y)$ itself (at $t = 0$ the classifier is nearly 1 on all of class 0 except a thin overlap
with class 1, the only region the tilt removes); the guided samples at 4 have 0.042/0.450/0.474/0.034 and radius
0.843, sliced Wasserstein 0.239 from $\pi_4$ (0.030 at scale 1). At 8: tilted 0.246/0.266/0.245/0.243, radius 0.724;
guided radius 0.958, 0.351 away. The classifier maps explain it: at $\bar\alpha = 0.05$ and 0.3 the noisy classifier
is a smooth, almost linear ramp over the whole plane, whose gradient points away from class 1 everywhere; scaled
by $s$ it pushes every trajectory, early on, towards components 1 and 2 and outward, and when the classifier has
become the sharp boundary seen by $\pi_s$ the samples have already chosen. In practice: large scales over-sharpen
much more than the tilted law would, losing modes and leaving the data (radius 0.96 for a ring of 0.7); the
result is not $\pi_s$ or any known law, so the scale is tuned empirically (fidelity against diversity), and sampling
$\pi_s$ itself would need corrector steps (Langevin, SMC) at each noise level.
"""

WRITTEN["digits_guidance"] = r"""
My run (30 samples per digit, 50 DDIM steps, same $x_T$ at every scale; the SVM recognises 95.2% of held-out digits):

| scale | 0 | 1 | 2 | 3 | 4 | 6 | data |
|---|---|---|---|---|---|---|---|
| recognised as the digit asked for | 0.123 | 0.577 | 0.913 | 0.987 | 0.990 | 0.990 | |
| within-digit distance | 6.66 | 6.01 | 5.59 | 5.52 | 5.66 | 6.15 | 4.06 |
| overshoot beyond $[-1, 1]$ | 0.271 | 0.251 | 0.380 | 0.579 | 0.802 | 1.271 | 0 |

At scale 0 the rows are digit-like strokes of any class (12%, chance): the unconditional model ignores the label.
At 1 (plain conditional sampling) a bit more than half are the digit asked for (58%), many are blurred or
ambiguous, which is what a small MLP trained for about 15 seconds gives. The rows become clean from scale 2 to 3
(91%, then 99%): guidance amplifies what the label changes in the prediction.

Within a row the samples become more alike as the scale grows (the within-digit distance drops from 6.01 at 1 to
5.52 at 3), and at 6 the digits are heavy, blocky and speckled with saturated pixels: the overshoot grows fivefold
from scale 1 (0.25) to 6 (1.27), and the distance goes back up to 6.15. That rise is not diversity: the distance
counts noise and artifacts as well as variety, and every sample set stays above the data's 4.06 because of its
speckled background. The pixel distance therefore only supports the drop from 1 to 3, which the grid confirms; a
feature-space measure (FID, precision/recall) or looking at the grid is needed to separate diversity from
artifacts.
"""

VARIANTS = [
    Variant("classifier_grad by backward() on a leaf copy, indexing the picked log-probabilities", {"classifier_grad": '''
import torch


def classifier_grad(logits_fn, x, y):
    leaf = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        log_p = torch.nn.functional.log_softmax(logits_fn(leaf), dim=1)
        log_p[torch.arange(x.shape[0]), y].sum().backward()
    return leaf.grad
'''}),
    Variant("classifier_grad per sample with torch.func.vmap", {"classifier_grad": '''
import torch
from torch.func import grad, vmap


def classifier_grad(logits_fn, x, y):
    def one(xi, yi):
        log_p = torch.log_softmax(logits_fn(xi.unsqueeze(0)), dim=-1)[0]  # (K,)
        return torch.gather(log_p, 0, yi.unsqueeze(0)).squeeze(0)

    return vmap(grad(one))(x.detach(), y)
'''}),
    Variant("classifier_grad in float32 inside, cast back", {"classifier_grad": '''
import torch


def classifier_grad(logits_fn, x, y):
    with torch.enable_grad():
        z = x.detach().to(torch.float32).requires_grad_(True)
        log_p = torch.log_softmax(logits_fn(z).to(torch.float32), dim=-1)
        (g,) = torch.autograd.grad(log_p.gather(1, y[:, None]).sum(), z)
    return g.to(x.dtype)
'''}),
    Variant("guidance through the score, as in the derivation", {
        "classifier_guided_eps": '''
def classifier_guided_eps(eps_pred, grad_log_p_y, alpha_bar_t, scale):
    sigma = (1 - alpha_bar_t).sqrt().to(eps_pred.dtype).reshape(-1, *[1] * (eps_pred.dim() - 1))
    score = -eps_pred / sigma
    return -sigma * (score + scale * grad_log_p_y)
''',
        "implicit_classifier_grad": '''
def implicit_classifier_grad(eps_cond, eps_uncond, alpha_bar_t):
    sigma = (1 - alpha_bar_t).sqrt().to(eps_cond.dtype).reshape(-1, *[1] * (eps_cond.dim() - 1))
    return (-eps_cond / sigma) - (-eps_uncond / sigma)
''',
        "cfg_eps": '''
def cfg_eps(eps_cond, eps_uncond, guidance_scale):
    return guidance_scale * eps_cond + (1 - guidance_scale) * eps_uncond
'''}),
    Variant("renamed parameters, helpers called by position", {
        "cfg_eps": '''
def cfg_eps(cond, uncond, w_plus_one):
    return uncond + w_plus_one * (cond - uncond)
''',
        "cfg_ddim_sample": SAMPLE_CALLS_CFG}),
    Variant("guided combination written out in the sampler, timesteps as tensors", {"cfg_ddim_sample": SAMPLE_INLINE}),
    Variant("drop_labels with masked_fill, alpha_bar_t cast with Tensor.to(other)", {
        "drop_labels": '''
import torch


def drop_labels(y, p_uncond, null_label, u):
    if bool((y == null_label).any()):
        raise ValueError("null_label collides with a class in y")
    return y.masked_fill(u < p_uncond, null_label)
''',
        "classifier_guided_eps": '''
def classifier_guided_eps(eps_pred, grad_log_p_y, alpha_bar_t, scale):
    ab = alpha_bar_t.to(eps_pred)  # dtype and device of the data
    return eps_pred - scale * (1 - ab).sqrt().view(-1, *[1] * (eps_pred.dim() - 1)) * grad_log_p_y
'''}),
]

MISTAKES = [
    # classifier_grad
    Mistake("classifier_grad", "logit_not_log_softmax", "classifier_grad", '''
import torch


def classifier_grad(logits_fn, x, y):
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        logits = logits_fn(x)
        picked = logits[torch.arange(len(y)), y].sum()  # the logit of class y, not its log-probability
        return torch.autograd.grad(picked, x)[0].detach()
''', submit=True),
    Mistake("classifier_grad", "softmax_not_log", "classifier_grad",
            [("log_p = logits - torch.logsumexp(logits, dim=-1, keepdim=True)", "log_p = torch.softmax(logits, dim=-1)")]),
    Mistake("classifier_grad", "log_softmax_over_batch", "classifier_grad",
            [("log_p = logits - torch.logsumexp(logits, dim=-1, keepdim=True)",
              "log_p = logits - torch.logsumexp(logits, dim=0, keepdim=True)")]),
    Mistake("classifier_grad", "grad_of_batch_mean", "classifier_grad",
            [("F.one_hot(y, log_p.shape[-1]).to(log_p.dtype)).sum()", "F.one_hot(y, log_p.shape[-1]).to(log_p.dtype)).sum(1).mean()")]),
    Mistake("classifier_grad", "classifier_grad_without_enable_grad", "classifier_grad", '''
import torch


def classifier_grad(logits_fn, x, y):
    x = x.detach().requires_grad_(True)  # under an outer torch.no_grad() nothing is recorded
    log_p = torch.log_softmax(logits_fn(x), dim=-1)
    return torch.autograd.grad(log_p.gather(1, y[:, None]).sum(), x)[0]
'''),
    Mistake("classifier_grad", "classifier_grad_attached", "classifier_grad", '''
import torch


def classifier_grad(logits_fn, x, y):
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        log_p = torch.log_softmax(logits_fn(x), dim=-1)
        return torch.autograd.grad(log_p.gather(1, y[:, None]).sum(), x, create_graph=True)[0]  # keeps the graph
'''),
    # classifier_guided_eps
    Mistake("classifier_guidance", "guidance_sign_flipped", "classifier_guided_eps", '''
def classifier_guided_eps(eps_pred, grad_log_p_y, alpha_bar_t, scale):
    sigma = torch.sqrt(1 - alpha_bar_t).to(eps_pred.dtype).reshape(-1, *[1] * (eps_pred.dim() - 1))
    return eps_pred + scale * sigma * grad_log_p_y  # moves eps along the gradient, i.e. the score against it
''', submit=True),
    Mistake("classifier_guidance", "guided_missing_noise_factor", "classifier_guided_eps",
            [("    return eps_pred - sigma * grad_log_p_y", "    return eps_pred - scale * grad_log_p_y")]),
    Mistake("classifier_guidance", "guided_variance_not_std", "classifier_guided_eps",
            [("sigma = np.sqrt(1.0 - alpha_bar_t", "sigma = (1.0 - alpha_bar_t")]),
    Mistake("classifier_guidance", "guided_sqrt_alpha_bar", "classifier_guided_eps",
            [("sigma = np.sqrt(1.0 - alpha_bar_t", "sigma = np.sqrt(alpha_bar_t")]),
    Mistake("classifier_guidance", "guided_divides_by_noise_factor", "classifier_guided_eps", '''
def classifier_guided_eps(eps_pred, grad_log_p_y, alpha_bar_t, scale):
    sigma = torch.sqrt(1 - alpha_bar_t).to(eps_pred.dtype).reshape(-1, *[1] * (eps_pred.dim() - 1))
    return eps_pred - scale * grad_log_p_y / sigma  # converts the gradient the wrong way
'''),
    Mistake("classifier_guidance", "guided_float64_for_float32", "classifier_guided_eps",
            [("torch.from_numpy(scale * sigma).to(eps_pred.dtype)", "torch.from_numpy(scale * sigma)")]),
    Mistake("classifier_guidance", "guided_in_place", "classifier_guided_eps",
            [("    return eps_pred - sigma * grad_log_p_y", "    return eps_pred.sub_(sigma * grad_log_p_y)")]),
    Mistake("classifier_guidance", "guided_alpha_bar_not_per_sample", "classifier_guided_eps", '''
def classifier_guided_eps(eps_pred, grad_log_p_y, alpha_bar_t, scale):
    return eps_pred - scale * torch.sqrt(1 - alpha_bar_t).to(eps_pred.dtype) * grad_log_p_y  # (B,) against the last dim
'''),
    # cfg_eps
    Mistake("cfg", "w_for_one_plus_w", "cfg_eps", '''
def cfg_eps(eps_cond, eps_uncond, guidance_scale):
    w = guidance_scale  # Ho & Salimans' w, but guidance_scale is 1 + w
    return (1 + w) * eps_cond - w * eps_uncond
''', submit=True),
    Mistake("cfg", "cfg_cond_uncond_swapped", "cfg_eps", [("torch.lerp(eps_uncond, eps_cond,", "torch.lerp(eps_cond, eps_uncond,")]),
    Mistake("cfg", "cfg_missing_base", "cfg_eps", [("    return torch.lerp(eps_uncond, eps_cond, guidance_scale)",
                                                    "    return guidance_scale * (eps_cond - eps_uncond)")]),
    Mistake("cfg", "cfg_in_place", "cfg_eps", [("    return torch.lerp(eps_uncond, eps_cond, guidance_scale)",
                                                "    return eps_uncond.add_(guidance_scale * (eps_cond - eps_uncond))")]),
    # The sampler calls cfg_eps: still only cfg loses points.
    Mistake("cfg", "w_for_one_plus_w_sampler_uses_it", "cfg_eps", '''
def cfg_eps(eps_cond, eps_uncond, guidance_scale):
    return eps_cond + guidance_scale * (eps_cond - eps_uncond)
''', context={"cfg_ddim_sample": SAMPLE_CALLS_CFG}),
    # implicit_classifier_grad
    Mistake("implicit_grad", "implicit_sign", "implicit_classifier_grad",
            [("(eps_uncond - eps_cond) * inv_sigma", "(eps_cond - eps_uncond) * inv_sigma")]),
    Mistake("implicit_grad", "implicit_variance_not_std", "implicit_classifier_grad",
            [("torch.rsqrt(1 - alpha_bar_t)", "(1 / (1 - alpha_bar_t))")]),
    Mistake("implicit_grad", "implicit_times_noise_factor", "implicit_classifier_grad",
            [("torch.rsqrt(1 - alpha_bar_t)", "torch.sqrt(1 - alpha_bar_t)")]),
    Mistake("implicit_grad", "implicit_missing_noise_factor", "implicit_classifier_grad", '''
def implicit_classifier_grad(eps_cond, eps_uncond, alpha_bar_t):
    return eps_uncond - eps_cond  # a difference of noise predictions, not of scores
'''),
    Mistake("implicit_grad", "implicit_first_alpha_bar_for_all", "implicit_classifier_grad",
            [("torch.rsqrt(1 - alpha_bar_t).to(eps_cond.dtype)", "torch.rsqrt(1 - alpha_bar_t[0]).to(eps_cond.dtype).expand(len(alpha_bar_t))")]),
    # drop_labels
    Mistake("drop_labels", "null_label_collision_not_refused", "drop_labels", '''
import torch


def drop_labels(y, p_uncond, null_label, u):
    return torch.where(u < p_uncond, torch.full_like(y, null_label), y)  # no check that null_label is free
'''),
    Mistake("drop_labels", "drop_where_u_above_p", "drop_labels", [("np.where(u.cpu().numpy() < p_uncond", "np.where(u.cpu().numpy() >= p_uncond")]),
    Mistake("drop_labels", "drop_where_u_at_most_p", "drop_labels", [("np.where(u.cpu().numpy() < p_uncond", "np.where(u.cpu().numpy() <= p_uncond")]),
    Mistake("drop_labels", "drop_labels_to_zero", "drop_labels", [("< p_uncond, null_label, labels)", "< p_uncond, 0, labels)")]),
    Mistake("drop_labels", "drop_labels_float", "drop_labels", '''
import torch


def drop_labels(y, p_uncond, null_label, u):
    if (y == null_label).any():
        raise ValueError("null_label is a real class")
    return torch.where(u < p_uncond, float(null_label), y)  # a Python float promotes the labels to float
'''),
    Mistake("drop_labels", "drop_labels_in_place", "drop_labels", '''
import torch


def drop_labels(y, p_uncond, null_label, u):
    if (y == null_label).any():
        raise ValueError("null_label is a real class")
    y[u < p_uncond] = null_label  # overwrites the caller's labels
    return y
'''),
    # Refuses every call, valid or not: earns nothing, not even the refusal's points.
    Mistake("drop_labels", "drop_labels_always_refuses", "drop_labels", '''
def drop_labels(y, p_uncond, null_label, u):
    raise ValueError("null_label is a real class")  # the check of null_label is written as the only branch
'''),
    Mistake("drop_labels", "drop_labels_assert", "drop_labels", '''
import torch


def drop_labels(y, p_uncond, null_label, u):
    assert not (y == null_label).any(), "null_label is a real class"  # AssertionError, not the contract's ValueError
    return torch.where(u < p_uncond, torch.full_like(y, null_label), y)
'''),
    # cfg_ddim_sample
    Mistake("cfg_sample", "sample_uncond_given_y", "cfg_ddim_sample",
            [("labels = torch.cat([y, torch.full_like(y, null_label)])", "labels = torch.cat([y, y])")]),
    Mistake("cfg_sample", "sample_w_for_one_plus_w", "cfg_ddim_sample",
            [("        eps = cfg_eps(eps_cond=both[:B], eps_uncond=both[B:], guidance_scale=guidance_scale)",
              "        eps = (1 + guidance_scale) * both[:B] - guidance_scale * both[B:]")]),
    Mistake("cfg_sample", "sample_cond_uncond_swapped", "cfg_ddim_sample",
            [("eps_cond=both[:B], eps_uncond=both[B:]", "eps_cond=both[B:], eps_uncond=both[:B]")]),
    Mistake("cfg_sample", "sample_last_step_to_index_zero", "cfg_ddim_sample", [("steps[1:] + [-1]", "steps[1:] + [0]")]),
    Mistake("cfg_sample", "sample_eta_dropped", "cfg_ddim_sample",
            [("eps, alpha_bar, eta, noise[i])", "eps, alpha_bar, 0.0, noise[i])")]),
    Mistake("cfg_sample", "sample_prev_t_minus_stride", "cfg_ddim_sample", '''
import torch

import guide_toy


def cfg_ddim_sample(eps_model, x_T, y, null_label, guidance_scale, alpha_bar, timesteps, eta, noise):
    x, B = x_T, x_T.shape[0]
    null = torch.full_like(y, null_label)
    stride = len(alpha_bar) // len(timesteps)  # as DDIMScheduler.step does
    for i, step in enumerate(timesteps.tolist()):
        t = torch.full((B,), step, dtype=torch.int64)
        t_prev = torch.full((B,), max(step - stride, -1), dtype=torch.int64)
        eps = cfg_eps(eps_model(x, t, y), eps_model(x, t, null), guidance_scale)
        x = guide_toy.ddim_step(x, t, t_prev, eps, alpha_bar, eta, noise[i])
    return x
'''),
    Mistake("cfg_sample", "sample_model_given_an_int", "cfg_ddim_sample",
            [("both = eps_model(torch.cat([x, x]), torch.cat([t, t]), labels)", "both = eps_model(torch.cat([x, x]), now, labels)")]),
]

HOSTILE = Hostile(
    import_reference={
        "cfg_eps": '''
def cfg_eps(eps_cond, eps_uncond, guidance_scale):
    from course_core.guidance import cfg_eps as reference

    return reference(eps_cond, eps_uncond, guidance_scale)
''',
        "implicit_classifier_grad": '''
from course_core.guidance import implicit_classifier_grad as _reference  # the cell stops here


def implicit_classifier_grad(eps_cond, eps_uncond, alpha_bar_t):
    return _reference(eps_cond, eps_uncond, alpha_bar_t)
''',
        "drop_labels": '''
import importlib


def drop_labels(y, p_uncond, null_label, u):
    return importlib.import_module("course_core.guidance").drop_labels(y, p_uncond, null_label, u)
''',
        "cfg_ddim_sample": '''
def cfg_ddim_sample(eps_model, x_T, y, null_label, guidance_scale, alpha_bar, timesteps, eta, noise):
    import course_core.guidance

    return course_core.guidance.cfg_ddim_sample(eps_model, x_T, y, null_label, guidance_scale, alpha_bar, timesteps,
                                                eta, noise)
''',
    },
    delegating=["cfg", "implicit_grad", "drop_labels", "cfg_sample"],
    find_after="cfg_eps",
    middle="implicit_classifier_grad",
)
