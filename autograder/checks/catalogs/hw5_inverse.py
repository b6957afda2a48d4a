"""Known mistakes of hw5_inverse, each a wrong variant of one function and the sentence that names it.

Reads beside `autograder/checks/hw5_inverse.py` and `course_core/inverse.py`. Every entry has an example of the
same name in tests/submissions/hw5_inverse/examples.py (written independently), which must get this message.
"""

from __future__ import annotations

import math

import torch

from course_core import ddim
from course_core import inverse as ref
from course_core._broadcast import extract

from ..misconceptions import Catalog

# What the student derives (written questions ddrm_derivation and dps_derivation): no message may state it, since
# the messages ship with the public tests (tests/test_misconceptions.py).
DERIVED = ["sigma_y / s_i <=", "s_i sigma >= sigma_y", "sigma >= sigma_y / s", "zeta / ||", "zeta / (2"]

CATALOG = Catalog(references={f.__name__: f for f in (
    ref.inpaint_V_T, ref.inpaint_V, ref.inpaint_singulars, ref.sr_V_T, ref.sr_V, ref.sr_singulars, ref.ddrm_step,
    ref.ddrm_sample, ref.dps_step, ref.pigdm_step)})
add = CATALOG.add


# -- inpainting ----------------------------------------------------------------------------------------------
def _perm(mask, observed_first=True):
    flat = torch.as_tensor(mask, dtype=torch.bool).reshape(-1)
    seen, missing = torch.nonzero(flat)[:, 0], torch.nonzero(~flat)[:, 0]
    return torch.cat([seen, missing] if observed_first else [missing, seen])


@add("inpaint_V_T", "inpaint_V_T_inverse_permutation",
     "this is the inverse permutation (what inpaint_V does): V^T x must list x's observed entries first, i.e. "
     "entry k of the result is x at the k-th index of the observed-then-missing order.")
def _(x, mask):
    return x.reshape(x.shape[0], -1)[:, torch.argsort(_perm(mask))]


@add("inpaint_V_T", "missing_first",
     "the missing entries come first: the convention puts the m observed coordinates first (they go with "
     "singulars() and with y), then the d - m missing ones.")
def _(x, mask):
    return x.reshape(x.shape[0], -1)[:, _perm(mask, observed_first=False)]


@add("inpaint_V", "inpaint_V_is_V_T",
     "this applies the forward permutation again (what inpaint_V_T does): inpaint_V must undo inpaint_V_T, "
     "putting spectral coordinate k back at the pixel it came from.")
def _(z, mask):
    return z.reshape(z.shape[0], -1)[:, _perm(mask)]


@add("inpaint_singulars", "singulars_float32",
     "the singular values are float32; the contract asks for float64 (they are parameters of the degradation, "
     "kept in float64 like alpha_bar, and cast to the data's dtype where used).")
def _(mask):
    return torch.ones(int(torch.as_tensor(mask).sum()), dtype=torch.float32)


# -- super-resolution ----------------------------------------------------------------------------------------
def _blocks(x, shape, f, column_major=False):
    C, H, W = shape
    b = x.reshape(-1, C, H // f, f, W // f, f)
    b = b.permute(0, 1, 2, 4, 5, 3) if column_major else b.permute(0, 1, 2, 4, 3, 5)
    return b.reshape(b.shape[0], -1, f * f)


def _sr_V_T(x, shape, factor, first=None, column_major=False):
    z = _blocks(x, shape, factor, column_major) @ ref.householder(factor * factor).to(x.dtype)
    head = z[..., 0] if first is None else first(_blocks(x, shape, factor))
    return torch.cat([head, z[..., 1:].reshape(z.shape[0], -1)], dim=1)


@add("sr_V_T", "sr_mean_not_normalised",
     "each block's observed coordinate is the block's mean; in an orthonormal basis it is the projection on "
     "ones / sqrt(q), which is sqrt(q) = f times the mean (V must be orthogonal: V(V^T x) = x).")
def _(x, shape, factor):
    return _sr_V_T(x, shape, factor, first=lambda b: b.mean(dim=2))


@add("sr_V_T", "block_pixels_column_major",
     "the pixels inside each block are taken column by column; the convention lists a block's pixels in "
     "row-major order (row by row) before applying Q^T, so the null coordinates come out permuted.")
def _(x, shape, factor):
    return _sr_V_T(x, shape, factor, column_major=True)


@add("sr_V", "sr_V_reads_blocks_interleaved",
     "this reads z as the q coordinates of block 0, then of block 1, ...; in the spectral layout the m observed "
     "coordinates (one per block) come first, then the q - 1 null coordinates of each block.")
def _(z, shape, factor):
    C, H, W = shape
    f, q = factor, factor * factor
    b = z.reshape(z.shape[0], -1, q) @ ref.householder(q).to(z.dtype).T
    b = b.reshape(-1, C, H // f, W // f, f, f).permute(0, 1, 2, 4, 3, 5)
    return b.reshape(b.shape[0], C * H * W)


@add("sr_singulars", "singulars_one_over_q",
     "these are 1/f**2, the weight of each pixel in the block mean; the singular value is the norm of the row "
     "of H, sqrt(q) / q = 1/f.")
def _(shape, factor):
    C, H, W = shape
    return torch.full((C * H * W // factor**2,), 1.0 / factor**2, dtype=torch.float64)


# -- ddrm_step -----------------------------------------------------------------------------------------------
def _ddrm(x_t, t, t_prev, x0_pred, y, op, alpha_bar, sigma_y, eta, eta_b, noise, *, reverse=False, unscaled_s=False,
          pad_ones=False, unscaled_sigma=False, x0_with_V=False):
    """ddrm_step with one of its known mistakes switched on."""
    d = op.d
    x, x0 = x_t.reshape(x_t.shape[0], d), x0_pred.reshape(x_t.shape[0], d).to(x_t.dtype)
    ab_t, ab_prev = extract(alpha_bar, t, x), ddim._alpha_bar_or_one(alpha_bar, t_prev, x)
    if unscaled_sigma:
        sigma_t, sigma = torch.sqrt(1 - ab_t), torch.sqrt(1 - ab_prev)
    else:
        sigma_t, sigma = torch.sqrt(1 - ab_t) / torch.sqrt(ab_t), torch.sqrt(1 - ab_prev) / torch.sqrt(ab_prev)
    s_m = op.singulars().to(x.dtype)
    s = torch.cat([s_m, (torch.ones if pad_ones else torch.zeros)(d - op.m, dtype=x.dtype)])
    observed = s > 0
    s_safe = torch.where(observed, s, torch.ones_like(s))
    u = op.add_zeros(op.U_T(y.to(x.dtype)))
    y_bar = torch.where(observed, u / s_safe, torch.zeros_like(u))
    x0_bar = op.V(x0) if x0_with_V else op.V_T(x0)
    eps_bar = (op.V_T(x / torch.sqrt(ab_t)) - op.V_T(x0)) / sigma_t
    z = op.V_T(noise.reshape(x.shape[0], d).to(x.dtype))
    less = (sigma >= sigma_y) if unscaled_s else (s * sigma >= sigma_y)
    if reverse:
        less = ~less
    less_noisy = observed & less
    noisier = observed & ~less
    out = x0_bar + math.sqrt(1 - eta**2) * sigma * eps_bar + eta * sigma * z
    if sigma_y > 0:
        out = torch.where(noisier, x0_bar + math.sqrt(1 - eta**2) * sigma * s / sigma_y * (y_bar - x0_bar)
                          + eta * sigma * z, out)
    extra = torch.sqrt((sigma**2 - eta_b**2 * sigma_y**2 / s_safe**2).clamp(min=0))
    out = torch.where(less_noisy, (1 - eta_b) * x0_bar + eta_b * y_bar + extra * z, out)
    return (torch.sqrt(ab_prev) * op.V(out)).reshape(x_t.shape)


@add("ddrm_step", "case_comparison_reversed",
     "the two observed cases are swapped: check each condition against the step's definition above Question 3 "
     "(your Question 3(b) explains which way it goes).")
def _(x_t, t, t_prev, x0_pred, y, op, alpha_bar, sigma_y, eta, eta_b, noise):
    return _ddrm(x_t, t, t_prev, x0_pred, y, op, alpha_bar, sigma_y, eta, eta_b, noise, reverse=True)


@add("ddrm_step", "sigma_y_not_scaled",
     "the case test compares the step's noise level with sigma_y itself, not with sigma_y / s_i as the step's "
     "definition does (your Question 3(b)).")
def _(x_t, t, t_prev, x0_pred, y, op, alpha_bar, sigma_y, eta, eta_b, noise):
    return _ddrm(x_t, t, t_prev, x0_pred, y, op, alpha_bar, sigma_y, eta, eta_b, noise, unscaled_s=True)


@add("ddrm_step", "singulars_not_zeroed",
     "the singular values are padded with ones, so the null-space coordinates are treated as observed (with "
     "y_bar = 0 there) and pulled towards 0; pad with zeros (op.add_zeros): s_i = 0 marks a coordinate y does "
     "not see.")
def _(x_t, t, t_prev, x0_pred, y, op, alpha_bar, sigma_y, eta, eta_b, noise):
    return _ddrm(x_t, t, t_prev, x0_pred, y, op, alpha_bar, sigma_y, eta, eta_b, noise, pad_ones=True)


@add("ddrm_step", "unscaled_sigma",
     "the noise levels are sqrt(1 - alpha_bar), not the sigma of the notation table: DDRM's step works in the "
     "scaled variable x / sqrt(alpha_bar) (your Question 3(b)).")
def _(x_t, t, t_prev, x0_pred, y, op, alpha_bar, sigma_y, eta, eta_b, noise):
    return _ddrm(x_t, t, t_prev, x0_pred, y, op, alpha_bar, sigma_y, eta, eta_b, noise, unscaled_sigma=True)


@add("ddrm_step", "x0_bar_with_V",
     "x0_pred is taken to spectral coordinates with op.V instead of op.V_T (V maps spectral to data; V_T data to "
     "spectral).")
def _(x_t, t, t_prev, x0_pred, y, op, alpha_bar, sigma_y, eta, eta_b, noise):
    return _ddrm(x_t, t, t_prev, x0_pred, y, op, alpha_bar, sigma_y, eta, eta_b, noise, x0_with_V=True)


# -- ddrm_sample ---------------------------------------------------------------------------------------------
def _sample(eps_model, x_T, y, op, alpha_bar, timesteps, sigma_y, eta, eta_b, noise, *, x0_of, prev_of):
    x, B = x_T, x_T.shape[0]
    steps = [int(s) for s in timesteps]
    for i, step in enumerate(steps):
        t = torch.full((B,), step, dtype=torch.int64)
        t_prev = torch.full((B,), prev_of(steps, i, len(alpha_bar)), dtype=torch.int64)
        ab = alpha_bar[step].to(x.dtype)
        x = ref.ddrm_step(x, t, t_prev, x0_of(x, ab, eps_model(x, t)), y, op, alpha_bar, sigma_y, eta, eta_b,
                          noise[i])
    return x


def _next(steps, i, T):
    return steps[i + 1] if i + 1 < len(steps) else -1


@add("ddrm_sample", "x0_pred_without_sqrt",
     "x0_pred is x_t - sqrt(1 - alpha_bar_t) eps without the division by sqrt(alpha_bar_t) (Ho et al., Eq. (4) "
     "solved for x0).")
def _(eps_model, x_T, y, op, alpha_bar, timesteps, sigma_y, eta, eta_b, noise):
    return _sample(eps_model, x_T, y, op, alpha_bar, timesteps, sigma_y, eta, eta_b, noise,
                   x0_of=lambda x, ab, eps: x - torch.sqrt(1 - ab) * eps, prev_of=_next)


@add("ddrm_sample", "t_prev_from_stride",
     "t_prev is t minus a fixed stride T // S; the next step is the next entry of timesteps (whose gaps need not "
     "be equal), and -1 after the last.")
def _(eps_model, x_T, y, op, alpha_bar, timesteps, sigma_y, eta, eta_b, noise):
    return _sample(eps_model, x_T, y, op, alpha_bar, timesteps, sigma_y, eta, eta_b, noise,
                   x0_of=lambda x, ab, eps: (x - torch.sqrt(1 - ab) * eps) / torch.sqrt(ab),
                   prev_of=lambda steps, i, T: max(steps[i] - T // len(steps), -1))


# -- dps_step ------------------------------------------------------------------------------------------------
def _x0(eps_model, x, t, alpha_bar):
    ab = extract(alpha_bar, t, x)
    eps = eps_model(x, t)
    return (x - torch.sqrt(1 - ab) * eps) / torch.sqrt(ab), eps


def _dps(x_t, t, t_prev, eps_model, y, op, alpha_bar, zeta, eta, noise, *, loss, wrt_x0=False):
    with torch.enable_grad():
        x = x_t.detach().requires_grad_(True)
        x0, eps = _x0(eps_model, x, t, alpha_bar)
        leaf = x0.detach().requires_grad_(True) if wrt_x0 else None
        r = (y - op.H(leaf if wrt_x0 else x0)).reshape(x.shape[0], -1)
        (grad,) = torch.autograd.grad(loss(r), leaf if wrt_x0 else x)
    return (ddim.ddim_step(x_t.detach(), t, t_prev, eps.detach(), alpha_bar, eta, noise) - zeta * grad).detach()


def _per_sample_norm(r):
    return torch.linalg.vector_norm(r, dim=1).sum()


@add("dps_step", "gradient_wrt_x0_pred",
     "the gradient is taken with respect to x0_pred, not x_t: it skips the model's Jacobian d x0_pred / d x_t "
     "(your Question 7(a)), so for inpainting the missing pixels never move.")
def _(x_t, t, t_prev, eps_model, y, op, alpha_bar, zeta, eta, noise):
    return _dps(x_t, t, t_prev, eps_model, y, op, alpha_bar, zeta, eta, noise, loss=_per_sample_norm, wrt_x0=True)


@add("dps_step", "squared_norm",
     "this is the gradient of the squared norm ||y - H x0_pred||^2; the step is zeta times the gradient of the "
     "norm itself (the official code's normalised step, your Question 7(b)).")
def _(x_t, t, t_prev, eps_model, y, op, alpha_bar, zeta, eta, noise):
    return _dps(x_t, t, t_prev, eps_model, y, op, alpha_bar, zeta, eta, noise, loss=lambda r: (r**2).sum())


@add("dps_step", "one_norm_over_batch",
     "one norm is taken over the whole batch, so every sample's step depends on the others' residuals; take one "
     "norm per sample (and sum them before the backward pass).")
def _(x_t, t, t_prev, eps_model, y, op, alpha_bar, zeta, eta, noise):
    return _dps(x_t, t, t_prev, eps_model, y, op, alpha_bar, zeta, eta, noise, loss=torch.linalg.norm)


# -- pigdm_step ----------------------------------------------------------------------------------------------
def _pigdm(x_t, t, t_prev, eps_model, y, op, alpha_bar, eta, noise, *, back, weight):
    with torch.enable_grad():
        x = x_t.detach().requires_grad_(True)
        x0, eps = _x0(eps_model, x, t, alpha_bar)
        direction = (back(op, y) - back(op, op.H(x0))).detach()
        (g,) = torch.autograd.grad((direction * x0.reshape(x.shape[0], -1)).sum(), x)
    out = ddim.ddim_step(x_t.detach(), t, t_prev, eps.detach(), alpha_bar, eta, noise)
    return (out + weight(alpha_bar, t, t_prev, x) * g).detach()


@add("pigdm_step", "H_T_not_pinv",
     "this uses H^T where ΠGDM uses the pseudo-inverse H^+; they agree only when every singular value is 1 (H^T "
     "multiplies by s_i where H^+ divides by it).")
def _(x_t, t, t_prev, eps_model, y, op, alpha_bar, eta, noise):
    return _pigdm(x_t, t, t_prev, eps_model, y, op, alpha_bar, eta, noise, back=lambda op, v: op.H_T(v),
                  weight=lambda ab, t, t_prev, x: torch.sqrt(extract(ab, t, x)))


@add("pigdm_step", "weight_sqrt_ab_prev",
     "the guidance term is weighted by sqrt(alpha_bar) of t_prev; the step of the notebook's Question 9 (the "
     "paper's Algorithm 1) weights it by sqrt(alpha_bar_t) of the current step.")
def _(x_t, t, t_prev, eps_model, y, op, alpha_bar, eta, noise):
    return _pigdm(x_t, t, t_prev, eps_model, y, op, alpha_bar, eta, noise, back=lambda op, v: op.H_pinv(v),
                  weight=lambda ab, t, t_prev, x: torch.sqrt(ddim._alpha_bar_or_one(ab, t_prev, x)))
