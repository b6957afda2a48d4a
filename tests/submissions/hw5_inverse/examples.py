"""Example submissions of hw5_inverse: a reference written differently from the master solution, other
correct writings, realistic mistakes, and where the hostile submissions act. See tests/submissions/kit.py.

The notebook defines `inpaint_V_T`, `inpaint_V` and `inpaint_singulars` in one cell, and `sr_V_T`, `sr_V` and
`sr_singulars` in another: each cell is rebuilt from the code of its three functions, in this order, so every
function's code below defines that function only (its helpers live inside its body)."""

from kit import Hostile, Mistake, Variant

REFERENCE = {}

# ------------------------------------------------------------------------------------------- Question 1: inpainting
REFERENCE["inpaint_V_T"] = '''
import torch


def inpaint_V_T(x, mask):
    """V^T x for inpainting: the observed entries (boolean indexing keeps row-major order), then the missing ones."""
    keep = torch.as_tensor(mask, dtype=torch.bool, device=x.device).flatten()  # (d,)
    flat = x.reshape(x.shape[0], keep.numel())  # (B, d)
    return torch.cat([flat[:, keep], flat[:, ~keep]], dim=1)
'''

REFERENCE["inpaint_V"] = '''
def inpaint_V(z, mask):
    """V z for inpainting: the first m coordinates go back to the observed places, the others to the missing ones."""
    keep = torch.as_tensor(mask, dtype=torch.bool, device=z.device).flatten()  # (d,)
    m = int(keep.sum())
    flat = z.reshape(z.shape[0], keep.numel())  # (B, d)
    out = torch.empty_like(flat)
    out[:, keep] = flat[:, :m]
    out[:, ~keep] = flat[:, m:]
    return out
'''

REFERENCE["inpaint_singulars"] = '''
def inpaint_singulars(mask):
    """One singular value 1 per observed entry."""
    m = int(torch.count_nonzero(torch.as_tensor(mask, dtype=torch.bool)))
    return torch.full((m,), 1.0, dtype=torch.float64)
'''

# ------------------------------------------------------------------------------------- Question 2: super-resolution
REFERENCE["sr_V_T"] = '''
import torch
import torch.nn.functional as F

import inverse_toy


def sr_V_T(x, shape, factor):
    """V^T x for f x f block averaging: the blocks cut out with F.unfold, each expanded on the Householder basis."""
    C, H, W = shape
    f, B = factor, x.shape[0]
    patches = F.unfold(x.reshape(B, C, H, W), kernel_size=f, stride=f)  # (B, C * f * f, L), L = (H/f) (W/f)
    blocks = patches.reshape(B, C, f * f, -1).transpose(2, 3).reshape(B, -1, f * f)  # (B, N, q) in y's order
    Q = inverse_toy.householder(f * f).to(dtype=x.dtype, device=x.device)
    coeffs = torch.einsum("bnk,kj->bnj", blocks, Q)  # Q^T b for every block
    observed = coeffs[:, :, 0]  # (B, N): <ones / f, b>
    return torch.cat([observed, coeffs[:, :, 1:].reshape(B, -1)], dim=1)
'''

REFERENCE["sr_V"] = '''
import torch
import torch.nn.functional as F

import inverse_toy


def sr_V(z, shape, factor):
    """V z: the spectral coordinates regrouped per block, multiplied by Q, put back in place with F.fold."""
    C, H, W = shape
    f, q, B = factor, factor * factor, z.shape[0]
    N = C * H * W // q
    z = z.reshape(B, N * q)
    coeffs = torch.empty(B, N, q, dtype=z.dtype, device=z.device)
    coeffs[:, :, 0] = z[:, :N]
    coeffs[:, :, 1:] = z[:, N:].reshape(B, N, q - 1)
    Q = inverse_toy.householder(q).to(dtype=z.dtype, device=z.device)
    blocks = torch.einsum("bnj,kj->bnk", coeffs, Q)  # Q c for every block, (B, N, q)
    patches = blocks.reshape(B, C, -1, q).transpose(2, 3).reshape(B, C * q, -1)  # F.unfold's layout
    return F.fold(patches, output_size=(H, W), kernel_size=f, stride=f).reshape(B, N * q)
'''

REFERENCE["sr_singulars"] = '''
import torch


def sr_singulars(shape, factor):
    """One singular value 1/f per block."""
    C, H, W = shape
    return torch.ones(C * (H // factor) * (W // factor), dtype=torch.float64) / factor
'''

# ------------------------------------------------------------------------------------------- Question 4: ddrm_step
REFERENCE["ddrm_step"] = '''
import math

import torch


def ddrm_step(x_t, t, t_prev, x0_pred, y, op, alpha_bar, sigma_y, eta, eta_b, noise):
    """Kawar et al. 2022, Eq. (8): every candidate update computed on all coordinates, then picked per coordinate
    (the measurement's case first, then the noisier one, DDIM where nothing is observed)."""
    B, dtype = x_t.shape[0], x_t.dtype
    a = alpha_bar.to(device=x_t.device, dtype=dtype)
    a_t = a[t].reshape(B, 1)
    a_prev = torch.where(t_prev >= 0, a[t_prev.clamp(min=0)], torch.ones_like(a[0])).reshape(B, 1)
    sig_t = torch.sqrt(1 - a_t) / torch.sqrt(a_t)  # noise level of x_t / sqrt(a_t)
    sig = torch.sqrt(1 - a_prev) / torch.sqrt(a_prev)  # the target's, 0 at t_prev = -1

    s_obs = op.singulars().to(device=x_t.device, dtype=dtype)  # (m,)
    s = torch.cat([s_obs, s_obs.new_zeros(op.d - op.m)])  # (d,): nothing seen in the null space
    seen = s > 0
    s_div = torch.where(seen, s, torch.ones_like(s))
    u = op.U_T(y.to(dtype))  # (B, m)
    y_bar = torch.cat([u, u.new_zeros(B, op.d - op.m)], dim=1) / s_div
    y_bar = torch.where(seen, y_bar, torch.zeros_like(y_bar))

    x = x_t.reshape(B, op.d)
    x0 = x0_pred.reshape(B, op.d).to(dtype)
    x0_bar = op.V_T(x0)
    eps_bar = op.V_T(x / torch.sqrt(a_t) - x0) / sig_t
    z = op.V_T(noise.reshape(B, op.d).to(dtype))
    keep = math.sqrt(1 - eta**2)

    ddim = x0_bar + keep * sig * eps_bar + eta * sig * z
    measured = ((1 - eta_b) * x0_bar + eta_b * y_bar
                + torch.sqrt(torch.clamp(sig**2 - (eta_b * sigma_y / s_div) ** 2, min=0)) * z)
    if sigma_y > 0:
        partial = x0_bar + keep * sig * (s / sigma_y) * (y_bar - x0_bar) + eta * sig * z
    else:
        partial = ddim  # never picked: with sigma_y = 0 every observed coordinate uses the measurement
    use_y = seen & (sig * s >= sigma_y)  # (B, d)
    out = torch.where(use_y, measured, torch.where(seen, partial, ddim))
    return (torch.sqrt(a_prev) * op.V(out)).reshape(x_t.shape)
'''

# ----------------------------------------------------------------------------------------- Question 5: ddrm_sample
REFERENCE["ddrm_sample"] = '''
import torch


def ddrm_sample(eps_model, x_T, y, op, alpha_bar, timesteps, sigma_y, eta, eta_b, noise):
    """The DDIM loop with DDRM's step; x0_pred by Ho et al.'s Eq. (4)."""
    B = x_T.shape[0]
    ts = [int(s) for s in timesteps]
    nxt = ts[1:] + [-1]
    x = x_T
    for i in range(len(ts)):
        t = torch.full((B,), ts[i], dtype=torch.long, device=x_T.device)
        t_prev = torch.full_like(t, nxt[i])
        a = alpha_bar[ts[i]].to(x.dtype)
        eps = eps_model(x, t)
        x0_pred = (x - (1 - a).sqrt() * eps) / a.sqrt()
        x = ddrm_step(x, t, t_prev, x0_pred, y, op, alpha_bar, sigma_y, eta, eta_b, noise[i])
    return x
'''

# --------------------------------------------------------------------------------------------- Question 8: dps_step
REFERENCE["dps_step"] = '''
import torch

import inverse_toy


def dps_step(x_t, t, t_prev, eps_model, y, op, alpha_bar, zeta, eta, noise):
    """Chung et al. 2023, Algorithm 1 with the plain norm: the backward pass fills only the leaf's gradient."""
    B = x_t.shape[0]
    a_t = alpha_bar[t].to(x_t.dtype).reshape(B, *[1] * (x_t.dim() - 1))
    with torch.enable_grad():
        leaf = x_t.detach().clone().requires_grad_(True)
        eps = eps_model(leaf, t)
        x0_hat = (leaf - torch.sqrt(1 - a_t) * eps) / torch.sqrt(a_t)
        r = y.to(x_t.dtype) - op.H(x0_hat)
        dist = torch.linalg.norm(r.flatten(1), dim=-1)  # (B,)
        dist.sum().backward(inputs=[leaf])
    step = inverse_toy.ddim_step(x_t.detach(), t, t_prev, eps.detach(), alpha_bar, eta, noise)
    return (step - zeta * leaf.grad).detach()
'''

# ------------------------------------------------------------------------------------------- Question 9: pigdm_step
REFERENCE["pigdm_step"] = '''
import torch

import inverse_toy


def pigdm_step(x_t, t, t_prev, eps_model, y, op, alpha_bar, eta, noise):
    """Song et al. 2023, Algorithm 1 (noiseless): H^+ is linear, so the direction is H^+ (y - H x0_hat); the VJP
    is autograd.grad with that direction as grad_outputs."""
    B = x_t.shape[0]
    a_t = alpha_bar[t].to(x_t.dtype).reshape(B, *[1] * (x_t.dim() - 1))
    with torch.enable_grad():
        leaf = x_t.detach().clone().requires_grad_(True)
        eps = eps_model(leaf, t)
        x0_hat = (leaf - torch.sqrt(1 - a_t) * eps) / torch.sqrt(a_t)
        with torch.no_grad():
            v = op.H_pinv(y.to(x_t.dtype) - op.H(x0_hat))  # (B, d), a constant
        (g,) = torch.autograd.grad(x0_hat, leaf, grad_outputs=v.reshape(x0_hat.shape))
    x_prev = inverse_toy.ddim_step(x_t.detach(), t, t_prev, eps.detach(), alpha_bar, eta, noise)
    return (x_prev + torch.sqrt(a_t) * g).detach()
'''

WRITTEN = {}  # in the order of the notebook's answer cells

WRITTEN["ddrm_derivation"] = r"""
**(a)** After dividing by $s_i$, the likelihood is a product of one Gaussian factor per coordinate with $s_i > 0$;
a coordinate with $s_i = 0$ simply does not occur in $p(y \mid x_0)$. Conditioning on $y$ therefore adds no
information about it beyond what the prior says, so there is nothing to pull it towards and the right update
is the unconditional one, the DDIM step in that coordinate. The measurement still reaches the missing pixels
indirectly: $\hat x_0$ is the network's prediction from the whole of $x_t$, and the observed coordinates of $x_t$ have
been driven towards $\bar y$ at every earlier step. The learned prior knows which pixels go together (the
posterior couples coordinates even if the likelihood does not), so the unobserved part of $\bar x_0$ follows
what has been imposed on the observed part.

**(b)** In the scaled variable both sources of information about $\bar x_{0,i}$ look the same: the chain gives
$\bar x_{0,i} + \sigma_t \bar\epsilon_i$ and the measurement gives $\bar y_i = \bar x_{0,i} + (\sigma_y/s_i)\bar n_i$. The step must output a
sample at noise level $\sigma$. When $\sigma \ge \sigma_y/s_i$ the measurement is cleaner than what we need, so we may
start from $\bar y_i$ and add only the missing noise, of variance $\sigma^2 - \sigma_y^2/s_i^2 \ge 0$. When $\sigma < \sigma_y/s_i$ the
measurement is already too noisy to be used as a sample at level $\sigma$, so we only move towards it by the
fraction $\sigma s_i/\sigma_y < 1$. Both numbers have to be noise levels of the same quantity. Comparing $\sigma$ with
$\sigma_y$ forgets that dividing by $s_i$ multiplies the measurement noise by $1/s_i$ (for $\times 2$ super-resolution
the spectral measurement is twice as noisy as $y$). $\sqrt{1-\bar\alpha_{t_\text{prev}}}$ is the noise of $x_{t_\text{prev}}$ itself,
where $x_0$ appears multiplied by $\sqrt{\bar\alpha}$; $\bar y$ lives on the scale of $x_0$, so the chain's noise must be
measured after dividing by $\sqrt{\bar\alpha}$, which gives $\sigma = \sqrt{1-\bar\alpha}/\sqrt{\bar\alpha}$.
For $\eta_b = 1$: $\bar x_{t_\text{prev},i} = \bar y_i + \sqrt{\sigma^2 - \sigma_y^2/s_i^2}\,z_i = \bar x_{0,i} + (\sigma_y/s_i)\bar n_i +
\sqrt{\sigma^2 - \sigma_y^2/s_i^2}\,z_i$. The measurement noise and $z$ are independent Gaussians, so the variances
add: $\sigma_y^2/s_i^2 + \sigma^2 - \sigma_y^2/s_i^2 = \sigma^2$, exactly the level the forward process has at $t_\text{prev}$.

**(c)** $\eta_b$ decides how much we trust $y$ versus the model in the coordinates where $y$ is the cleaner
source. With $\eta_b = 0$ the third case becomes $\bar x_{0,i} + \sigma z_i$: the measurement is not used there at all,
we follow the model and add fresh noise, and the output need not be consistent with $y$. With $\eta_b = 1$ the
mean is $\bar y_i$ itself: the model's guess is thrown away in that coordinate and $y$'s own noise replaces part of
the injected noise. This gives the closest agreement with $y$, but any noise in $y$ survives in the result (the
prior never gets to denoise it). Intermediate values interpolate the mean and add variance
$\sigma^2 - \eta_b^2\sigma_y^2/s_i^2$. If $\sigma_y = 0$, every observed coordinate is in the third case, and at the final step
$\sigma = 0$, so $\eta_b = 1$ returns $\bar x_{0,i} = \bar y_i$ exactly: the output satisfies $Hx_0 = y$.
"""

WRITTEN["ddrm_vs_exact"] = r"""
My run (4000 samples, 100 steps, $\eta = 0.85$, $\eta_b = 1$):

| | mean exact / DDRM | std exact / DDRM | above the axis exact / DDRM |
|---|---|---|---|
| inpainting $x_1$, $\sigma_y = 0.05$ | (0.61, 0.02) / (0.62, 0.01) | (0.048, 0.71) / (0.042, 0.69) | 0.51 / 0.50 |
| denoising, $\sigma_y = 0.5$ | (0.54, 0.55) / (0.60, 0.61) | (0.44, 0.43) / (0.25, 0.25) | 0.88 / 0.98 |

For inpainting DDRM does well: the observed coordinate stays at $y = 0.6$ with a spread of the order of
$\sigma_y$, and the missing coordinate is split between the two modes above and below the axis in almost exactly
the right proportion (0.50 vs 0.51) with a spread close to the exact one. The prior transports the information
from $x_1$ to $x_2$.

For denoising it is visibly wrong. The samples are too concentrated (standard deviation about 0.25 instead of
0.44, i.e. roughly a third of the variance), their mean sits about 0.06 closer to the observation $(0.5, 0.5)$ than
the exact posterior mean, and the components far from $y$ are nearly missing: 98% of the samples are above the
axis where the truth has 88%.

Even a perfect denoiser cannot fix this, because the error is in the step itself. DDRM treats every spectral
coordinate separately with a Gaussian update centred at $\hat x_0$ (the first case is pure DDIM, the others
interpolate towards $\bar y$ with fixed ratios), which amounts to assuming that $p(\bar x_{t_\text{prev}} \mid x_t, y)$ factorises
and is unimodal around the model's mean. In the third case it also treats $\bar y$ as if it were a clean sample with
exactly Gaussian noise of level $\sigma_y/s_i$, ignoring what the prior says about that noise. For a multimodal prior
with a measurement as noisy as the prior is wide, these assumptions fail; DDRM's construction only matches the
marginals of its own variational family, not the true posterior.
"""

WRITTEN["dps_derivation"] = r"""
**(a)** Let $r(x_t) = y - H\hat x_0(x_t)$. By the chain rule
$\nabla_{x_t}\|r\| = -\left(\frac{\partial \hat x_0}{\partial x_t}\right)^\top H^\top \frac{r}{\|r\|}$.
The sampler updates $x_t$, and what guidance has to add is $\nabla_{x_t}\log p_t(y \mid x_t)$, a score with respect to the
current noisy sample; $x_t$ enters the approximate likelihood only through the denoiser, so the Jacobian of
$\hat x_0$ must appear. Differentiating with respect to $\hat x_0$ instead would give the vector $-H^\top r/\|r\|$: for
inpainting this is zero on every missing pixel, so only the observed pixels would be corrected and the missing
ones would not learn anything from the correction. With Tweedie's formula the Jacobian is a positive multiple of
$\operatorname{Cov}[x_0 \mid x_t]$: multiplying by it spreads the correction of the observed pixels onto the pixels the prior
says are correlated with them (the continuation of a stroke into the missing half), and shrinks it in directions
where the model is already sure.

**(b)** With the proper Gaussian weight the step is $\frac{1}{2\sigma_y^2}\nabla\|r\|^2 = \|r\|\,\nabla\|r\|/\sigma_y^2$, whose size
grows with the residual and with $1/\sigma_y^2$: enormous at the start of sampling, when $\hat x_0$ is poor and $\|r\|$
is large, and unbounded as $\sigma_y \to 0$, exactly where the point-mass approximation of $p(x_0 \mid x_t)$ is worst;
the iteration blows up. Dividing by $\|r\|$ turns the step into a unit-size direction times $\zeta$, which behaves the
same across time steps, measurement sizes and noise levels, so one $\zeta$ works. The price is that the update is no
longer a likelihood gradient: $\sigma_y$ has vanished from the formula and is hidden in the hand-tuned $\zeta$. So DPS is
not a sampler of the posterior for a given noise level, it never enforces $Hx = y$ exactly even when $\sigma_y = 0$,
and $\zeta$ must be retuned per problem (too small and $y$ is ignored, too large and the samples overshoot and show
artefacts).
"""

WRITTEN["digits_restoration"] = r"""
My table (mean PSNR in dB over the 100 held-out digits; mean $\|Hx - y\|$ in brackets):

| | $H^+ y$ | DDRM | DPS | ΠGDM |
|---|---|---|---|---|
| inpainting (bottom half) | 10.5 (0) | 13.9 (0.000) | 14.2 (0.51) | 14.4 (0.003) |
| super-resolution ×2 | 13.4 (0) | 13.8 (0.000) | 14.4 (0.13) | 14.5 (0.001) |
| denoising, $\sigma_y = 0.5$ | 14.4 | 16.9 | 15.6 | — |

The pseudo-inverse fills the missing half with 0 (flat grey), turns super-resolution into 2×2 blocks and for
denoising just returns the noisy image. The diffusion samplers all produce digit-like images. The gain over
$H^+ y$ is largest for inpainting (about +3.4 dB for DDRM, +3.8 for DPS, +3.9 for ΠGDM), small for
super-resolution (+0.4 to +1.2 dB, since the block means already contain most of a digit at this resolution), and
+1.1 (DPS) to +2.5 dB (DDRM) for denoising, where DDRM is the clear winner.

What goes wrong: DDRM and ΠGDM reproduce $y$ exactly for the noiseless problems (consistency 0.000 and 0.003),
but their completions are sometimes a different digit than the truth (in my figure a 5 is completed as a 6).
DPS is the least consistent (0.51 on inpainting: the upper half visibly drifts from the observed one) and depends on
the hand-tuned $\zeta$. For denoising the consistency is large for every method, as it should be: the truth itself is
at distance about $\sigma_y\sqrt{64} = 4$ from $y$.

PSNR against the truth is not a fair score for a posterior sampler. The estimator with the best MSE is the
posterior mean, a blurry average of all plausible completions; a true posterior sample has about twice the
posterior variance as expected squared error, and a sharp but wrong completion (a 3 finished as an 8) is
penalised much more than a grey average. A sampler should rather be judged on consistency with $y$, on realism,
and on the diversity of several samples for the same $y$.
"""

VARIANTS = [
    Variant("inpainting by index tensors: index_select forward, argsort for the inverse", {
        "inpaint_V_T": '''
import torch


def inpaint_V_T(x, mask):
    flat_mask = torch.as_tensor(mask).reshape(-1).bool()
    order = torch.cat([torch.nonzero(flat_mask).flatten(), torch.nonzero(~flat_mask).flatten()])
    return torch.index_select(x.reshape(x.shape[0], -1), 1, order.to(x.device))
''',
        "inpaint_V": '''
def inpaint_V(z, mask):
    flat_mask = torch.as_tensor(mask).reshape(-1).bool()
    order = torch.cat([torch.nonzero(flat_mask).flatten(), torch.nonzero(~flat_mask).flatten()])
    return z.reshape(z.shape[0], -1)[:, torch.argsort(order).to(z.device)]
''',
        "inpaint_singulars": '''
def inpaint_singulars(mask):
    return torch.ones(int(torch.as_tensor(mask).sum()), dtype=torch.float64)
'''}),
    Variant("super-resolution by reshape and permute, the coefficients as Q.T @ b", {
        "sr_V_T": '''
import torch

import inverse_toy


def sr_V_T(x, shape, factor):
    C, H, W = shape
    f = factor
    B = x.shape[0]
    b = x.reshape(B, C, H // f, f, W // f, f).permute(0, 1, 2, 4, 3, 5).reshape(B, -1, f * f, 1)
    Q = inverse_toy.householder(f * f).to(x)
    c = (Q.T @ b).squeeze(-1)  # (B, N, q)
    return torch.cat([c[..., 0], c[..., 1:].flatten(1)], dim=1)
''',
        "sr_V": '''
import torch

import inverse_toy


def sr_V(z, shape, factor):
    C, H, W = shape
    f = factor
    q = f * f
    B = z.shape[0]
    z = z.reshape(B, -1)
    n = z.shape[1] // q
    c = torch.cat([z[:, :n].unsqueeze(-1), z[:, n:].reshape(B, n, q - 1)], dim=-1).unsqueeze(-1)  # (B, N, q, 1)
    b = (inverse_toy.householder(q).to(z) @ c).reshape(B, C, H // f, W // f, f, f)
    return b.permute(0, 1, 2, 4, 3, 5).reshape(B, -1)
''',
        "sr_singulars": '''
import torch


def sr_singulars(shape, factor):
    n = shape[0] * shape[1] * shape[2] // factor**2
    return torch.full((n,), factor ** -1.0, dtype=torch.float64)
'''}),
    Variant("ddrm_step in float64 inside, cast back; cases by boolean masks on a copy", {"ddrm_step": '''
import math

import torch


def ddrm_step(x_t, t, t_prev, x0_pred, y, op, alpha_bar, sigma_y, eta, eta_b, noise):
    B, d = x_t.shape[0], op.d
    f64 = torch.float64
    ab = alpha_bar.to(f64)
    ab_t = ab[t][:, None]
    ab_prev = torch.ones(B, 1, dtype=f64)
    ab_prev[t_prev >= 0] = ab[t_prev[t_prev >= 0]][:, None]
    sigma_t = ((1 - ab_t) / ab_t).sqrt()
    sigma = ((1 - ab_prev) / ab_prev).sqrt()
    s = op.add_zeros(op.singulars().to(f64)[None])[0]
    obs = s > 0
    s1 = torch.where(obs, s, torch.ones_like(s))
    y_bar = torch.where(obs, op.add_zeros(op.U_T(y.to(f64))) / s1, torch.zeros(1, dtype=f64))
    x0_bar = op.V_T(x0_pred.reshape(B, d).to(f64))
    eps_bar = (op.V_T(x_t.reshape(B, d).to(f64)) / ab_t.sqrt() - x0_bar) / sigma_t
    z = op.V_T(noise.reshape(B, d).to(f64))
    c = math.sqrt(1 - eta * eta)
    new = (x0_bar + c * sigma * eps_bar + eta * sigma * z).clone()
    case3 = obs & (s * sigma >= sigma_y)
    case2 = obs & ~case3
    if sigma_y > 0:
        upd2 = x0_bar + c * sigma * s / sigma_y * (y_bar - x0_bar) + eta * sigma * z
        new[case2] = upd2[case2]
    upd3 = (1 - eta_b) * x0_bar + eta_b * y_bar + (sigma**2 - eta_b**2 * sigma_y**2 / s1**2).clamp(min=0).sqrt() * z
    new[case3] = upd3[case3]
    return (ab_prev.sqrt() * op.V(new)).to(x_t.dtype).reshape(x_t.shape)
'''}),
    Variant("dps_step one sample at a time, pigdm_step with the pseudo-inverse applied twice", {
        "dps_step": '''
import torch

import inverse_toy


def dps_step(x_t, t, t_prev, eps_model, y, op, alpha_bar, zeta, eta, noise):
    grads, epss = [], []
    for b in range(x_t.shape[0]):
        with torch.enable_grad():
            xb = x_t[b:b + 1].detach().requires_grad_(True)
            tb = t[b:b + 1]
            eps = eps_model(xb, tb)
            ab = alpha_bar[tb].to(xb.dtype).reshape(1, *[1] * (xb.dim() - 1))
            x0 = (xb - (1 - ab).sqrt() * eps) / ab.sqrt()
            loss = (y[b:b + 1] - op.H(x0)).norm()
            grads.append(torch.autograd.grad(loss, xb)[0])
        epss.append(eps.detach())
    x_prev = inverse_toy.ddim_step(x_t.detach(), t, t_prev, torch.cat(epss), alpha_bar, eta, noise)
    return (x_prev - zeta * torch.cat(grads)).detach()
''',
        "pigdm_step": '''
import torch

import inverse_toy


def pigdm_step(x_t, t, t_prev, eps_model, y, op, alpha_bar, eta, noise):
    x = x_t.detach().requires_grad_(True)
    with torch.enable_grad():
        eps = eps_model(x, t)
        ab = alpha_bar[t].to(x.dtype).view(-1, *[1] * (x.dim() - 1))
        x0 = (x - torch.sqrt(1 - ab) * eps) / torch.sqrt(ab)
        target = op.H_pinv(y).detach() - op.H_pinv(op.H(x0)).detach()
        g = torch.autograd.grad((x0.reshape(x.shape[0], -1) * target).sum(), x)[0]
    x_prev = inverse_toy.ddim_step(x_t, t, t_prev, eps.detach(), alpha_bar, eta, noise)
    return (x_prev + ab.sqrt() * g).detach()
'''}),
    Variant("ddrm_sample with tensor time steps, x0_pred through exp/log of alpha_bar", {"ddrm_sample": '''
import torch


def ddrm_sample(eps_model, x_T, y, op, alpha_bar, timesteps, sigma_y, eta, eta_b, noise):
    x = x_T
    B = x.shape[0]
    prev = torch.cat([timesteps[1:], timesteps.new_full((1,), -1)])
    for i, (now, nxt) in enumerate(zip(timesteps, prev)):
        t = now.repeat(B)
        shape = (B,) + (1,) * (x.dim() - 1)
        log_ab = torch.log(alpha_bar[t]).reshape(shape)
        x0_pred = (x - torch.sqrt(-torch.expm1(log_ab)).to(x.dtype) * eps_model(x, t)) * torch.exp(-0.5 * log_ab).to(x.dtype)
        x = ddrm_step(x, t, nxt.repeat(B), x0_pred, y, op, alpha_bar, sigma_y, eta, eta_b, noise[i])
    return x
'''}),
]

MISTAKES = [
    # inpainting_svd
    Mistake("inpainting_svd", "inpaint_V_T_inverse_permutation", "inpaint_V_T", '''
import torch


def inpaint_V_T(x, mask):
    keep = torch.as_tensor(mask, dtype=torch.bool).flatten()
    order = torch.cat([torch.nonzero(keep)[:, 0], torch.nonzero(~keep)[:, 0]])  # observed first, then missing
    return x.reshape(x.shape[0], -1)[:, torch.argsort(order)]  # the inverse of that permutation: V, not V^T
'''),
    Mistake("inpainting_svd", "missing_first", "inpaint_V_T",
            [("torch.cat([flat[:, keep], flat[:, ~keep]], dim=1)", "torch.cat([flat[:, ~keep], flat[:, keep]], dim=1)")],
            submit=True),
    Mistake("inpainting_svd", "inpaint_V_is_V_T", "inpaint_V",
            [("    out = torch.empty_like(flat)\n    out[:, keep] = flat[:, :m]\n    out[:, ~keep] = flat[:, m:]\n"
              "    return out",
              "    return torch.cat([flat[:, keep], flat[:, ~keep]], dim=1)  # the forward permutation again")]),
    Mistake("inpainting_svd", "singulars_float32", "inpaint_singulars",
            [("torch.full((m,), 1.0, dtype=torch.float64)", "torch.ones(m)")]),
    # superres_svd
    Mistake("superres_svd", "sr_mean_not_normalised", "sr_V_T",
            [("observed = coeffs[:, :, 0]", "observed = blocks.mean(dim=2)")]),
    Mistake("superres_svd", "block_pixels_column_major", "sr_V_T",
            [("patches.reshape(B, C, f * f, -1).transpose(2, 3).reshape(B, -1, f * f)",
              "patches.reshape(B, C, f, f, -1).permute(0, 1, 4, 3, 2).reshape(B, -1, f * f)")]),
    Mistake("superres_svd", "sr_V_reads_blocks_interleaved", "sr_V",
            [("    coeffs = torch.empty(B, N, q, dtype=z.dtype, device=z.device)\n"
              "    coeffs[:, :, 0] = z[:, :N]\n"
              "    coeffs[:, :, 1:] = z[:, N:].reshape(B, N, q - 1)\n",
              "    coeffs = z.reshape(B, N, q)  # block by block, as if the spectral vector were interleaved\n")]),
    Mistake("superres_svd", "singulars_one_over_q", "sr_singulars", [("dtype=torch.float64) / factor", "dtype=torch.float64) / factor**2")]),
    # ddrm_step
    Mistake("ddrm_step", "case_comparison_reversed", "ddrm_step",
            [("use_y = seen & (sig * s >= sigma_y)", "use_y = seen & (sig * s < sigma_y)")], submit=True),
    Mistake("ddrm_step", "sigma_y_not_scaled", "ddrm_step",
            [("use_y = seen & (sig * s >= sigma_y)", "use_y = seen & (sig >= sigma_y)")]),
    Mistake("ddrm_step", "singulars_not_zeroed", "ddrm_step",
            [("s = torch.cat([s_obs, s_obs.new_zeros(op.d - op.m)])", "s = torch.cat([s_obs, s_obs.new_ones(op.d - op.m)])")]),
    Mistake("ddrm_step", "unscaled_sigma", "ddrm_step",
            [("sig_t = torch.sqrt(1 - a_t) / torch.sqrt(a_t)", "sig_t = torch.sqrt(1 - a_t)"),
             ("sig = torch.sqrt(1 - a_prev) / torch.sqrt(a_prev)", "sig = torch.sqrt(1 - a_prev)")]),
    Mistake("ddrm_step", "x0_bar_with_V", "ddrm_step", [("x0_bar = op.V_T(x0)", "x0_bar = op.V(x0)")]),
    # ddrm_sample
    Mistake("ddrm_sample", "x0_pred_without_sqrt", "ddrm_sample",
            [("x0_pred = (x - (1 - a).sqrt() * eps) / a.sqrt()", "x0_pred = x - (1 - a).sqrt() * eps")]),
    Mistake("ddrm_sample", "t_prev_from_stride", "ddrm_sample",
            [("t_prev = torch.full_like(t, nxt[i])",
              "t_prev = torch.full_like(t, max(ts[i] - len(alpha_bar) // len(ts), -1))  # as DDIMScheduler.step")]),
    # dps_step
    Mistake("dps_step", "gradient_wrt_x0_pred", "dps_step", '''
import torch

import inverse_toy


def dps_step(x_t, t, t_prev, eps_model, y, op, alpha_bar, zeta, eta, noise):
    B = x_t.shape[0]
    a_t = alpha_bar[t].to(x_t.dtype).reshape(B, *[1] * (x_t.dim() - 1))
    eps = eps_model(x_t, t).detach()
    with torch.enable_grad():
        x0_hat = ((x_t - torch.sqrt(1 - a_t) * eps) / torch.sqrt(a_t)).detach().requires_grad_(True)
        dist = torch.linalg.norm((y - op.H(x0_hat)).flatten(1), dim=-1)
        (grad,) = torch.autograd.grad(dist.sum(), x0_hat)  # in x0_pred, not through the model
    step = inverse_toy.ddim_step(x_t, t, t_prev, eps, alpha_bar, eta, noise)
    return (step - zeta * grad).detach()
''', submit=True),
    Mistake("dps_step", "squared_norm", "dps_step", [("dist.sum().backward(inputs=[leaf])", "(dist**2).sum().backward(inputs=[leaf])")]),
    Mistake("dps_step", "one_norm_over_batch", "dps_step",
            [("dist = torch.linalg.norm(r.flatten(1), dim=-1)  # (B,)", "dist = torch.linalg.norm(r.flatten(1))  # one norm")]),
    # pigdm_step
    Mistake("pigdm_step", "H_T_not_pinv", "pigdm_step", [("v = op.H_pinv(", "v = op.H_T(")]),
    Mistake("pigdm_step", "weight_sqrt_ab_prev", "pigdm_step",
            [("(x_prev + torch.sqrt(a_t) * g)",
              "(x_prev + torch.sqrt(torch.where(t_prev >= 0, alpha_bar[t_prev.clamp(min=0)], 1.0)).to(x_t.dtype)"
              ".reshape(a_t.shape) * g)")]),
]

HOSTILE = Hostile(
    import_reference={
        "ddrm_step": '''
def ddrm_step(x_t, t, t_prev, x0_pred, y, op, alpha_bar, sigma_y, eta, eta_b, noise):
    from course_core.inverse import ddrm_step as reference

    return reference(x_t, t, t_prev, x0_pred, y, op, alpha_bar, sigma_y, eta, eta_b, noise)
''',
        "dps_step": '''
from course_core.inverse import dps_step as _reference  # the cell stops here


def dps_step(x_t, t, t_prev, eps_model, y, op, alpha_bar, zeta, eta, noise):
    return _reference(x_t, t, t_prev, eps_model, y, op, alpha_bar, zeta, eta, noise)
''',
        "pigdm_step": '''
import importlib


def pigdm_step(x_t, t, t_prev, eps_model, y, op, alpha_bar, eta, noise):
    return importlib.import_module("course_core.inverse").pigdm_step(x_t, t, t_prev, eps_model, y, op, alpha_bar,
                                                                     eta, noise)
''',
    },
    delegating=["ddrm_step", "dps_step", "pigdm_step"],
    find_after="inpaint_V_T",
    middle="ddrm_step",
)
