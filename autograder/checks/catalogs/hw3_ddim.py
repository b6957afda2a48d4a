"""Known mistakes of hw3_ddim, each a wrong variant of one function and the sentence that names it.

Reads beside `autograder/checks/hw3_ddim.py` and `course_core/ddim.py`. Every entry has an example of the
same name in tests/submissions/hw3_ddim/examples.py (written independently), which must get this message.
"""

from __future__ import annotations

import numpy as np
import torch

from course_core import ddim as ref

from ..misconceptions import Catalog

# What the student derives (written questions 2 and 4: Eq. (7)'s mean and Eq. (16)'s sigma, and that eta = 1 is
# DDPM's posterior): no message may state it, since the messages ship with the public tests
# (tests/test_misconceptions.py).
DERIVED = ["(1 - alpha_bar_{t-1}) / (1 - alpha_bar_t)", "(1 - ab_prev) / (1 - ab_t)", "1 - alpha_bar_t / alpha_bar_{t-1}",
           "1 - ab_t / ab_prev", "1 - alpha_bar_{t-1} - sigma", "1 - ab_prev - sigma", "x_t - sqrt(alpha_bar_t) x",
           "x_t - sqrt(ab_t) x", "beta_tilde_t =", "sigma_t^2 =", "sigma_t =", "sigma**2 ="]

CATALOG = Catalog(references={f.__name__: f for f in (
    ref.ddim_timesteps, ref.ddim_marginal_mc, ref.ddim_sigma, ref.ddim_step, ref.ddim_sample, ref.respace_betas,
    ref.ddim_invert)})
add = CATALOG.add
F64 = torch.float64


def _descending(values) -> torch.Tensor:
    return torch.from_numpy(np.asarray(values, dtype=np.int64)[::-1].copy())


# -- ddim_timesteps ------------------------------------------------------------------------------------
@add("ddim_timesteps", "leading_steps_offset_one",
     "the leading spacing is shifted up by one (diffusers' steps_offset = 1, Stable Diffusion's setting); the "
     "contract has steps_offset = 0, so the subsequence ends at index 0.")
def _(T, num_steps, spacing="leading"):
    out = ref.ddim_timesteps(T, num_steps, spacing)
    return out + 1 if spacing == "leading" else out


@add("ddim_timesteps", "timesteps_ascending",
     "the indices come in ascending order; the sampler visits them from the noisiest down, so the subsequence "
     "is descending.")
def _(T, num_steps, spacing="leading"):
    return ref.ddim_timesteps(T, num_steps, spacing).flip(0)


@add("ddim_timesteps", "linspace_truncated",
     "the linspace values are truncated toward zero; diffusers rounds them to the nearest integer.")
def _(T, num_steps, spacing="leading"):
    if spacing != "linspace":
        return ref.ddim_timesteps(T, num_steps, spacing)
    return _descending(np.linspace(0, T - 1, num_steps).astype(np.int64))


@add("ddim_timesteps", "trailing_no_minus_one",
     "the trailing spacing starts at T itself, one past the last index; its values are shifted down by one, "
     "so that the subsequence starts at index T - 1.")
def _(T, num_steps, spacing="leading"):
    out = ref.ddim_timesteps(T, num_steps, spacing)
    return out + 1 if spacing == "trailing" else out


# -- ddim_marginal_mc -----------------------------------------------------------------------------------
def _mc(x0, alpha_bar_t, alpha_bar_prev, sigma, noise, *, swap=False, ignore_sigma=False, unbiased=False,
        std=False):
    n_t, n_prev = (noise[1], noise[0]) if swap else (noise[0], noise[1])
    x0_ = x0.to(F64)
    c_t, c_eps = alpha_bar_t**0.5, (1 - alpha_bar_t) ** 0.5
    c_dir = (max(1 - alpha_bar_prev - (0.0 if ignore_sigma else sigma**2), 0.0) / (1 - alpha_bar_t)) ** 0.5
    x_t = c_t * x0_ + c_eps * n_t.to(F64)
    x_prev = alpha_bar_prev**0.5 * x0_ + c_dir * (x_t - c_t * x0_) + sigma * n_prev.to(F64)
    var = x_prev.var(0, unbiased=unbiased)
    return x_prev.mean(0).to(x0.dtype), (var.sqrt() if std else var).to(x0.dtype)


@add("ddim_marginal_mc", "mc_unbiased_variance",
     "the variance divides by N - 1 (torch.var's default, unbiased=True); the contract divides by N.")
def _(x0, alpha_bar_t, alpha_bar_prev, sigma_eta, noise):
    return _mc(x0, alpha_bar_t, alpha_bar_prev, sigma_eta, noise, unbiased=True)


@add("ddim_marginal_mc", "mc_noise_swapped",
     "noise[0] and noise[1] are swapped: x_t is drawn with noise[0] and the fresh noise of the step to x_{t-1} "
     "is noise[1].")
def _(x0, alpha_bar_t, alpha_bar_prev, sigma_eta, noise):
    return _mc(x0, alpha_bar_t, alpha_bar_prev, sigma_eta, noise, swap=True)


@add("ddim_marginal_mc", "mc_direction_ignores_sigma",
     "the coefficient of the term that carries x_t does not depend on sigma, so the draws' variance grows with "
     "sigma; in Eq. (7) that coefficient shrinks as sigma grows, which is what keeps the marginal of Lemma 1.")
def _(x0, alpha_bar_t, alpha_bar_prev, sigma_eta, noise):
    return _mc(x0, alpha_bar_t, alpha_bar_prev, sigma_eta, noise, ignore_sigma=True)


@add("ddim_marginal_mc", "mc_std_for_var",
     "the second output is the standard deviation; the contract returns the variance.")
def _(x0, alpha_bar_t, alpha_bar_prev, sigma_eta, noise):
    return _mc(x0, alpha_bar_t, alpha_bar_prev, sigma_eta, noise, std=True)


# -- ddim_sigma -----------------------------------------------------------------------------------------
@add("ddim_sigma", "sigma_ratio_inverted",
     "the ratio of the two (1 - alpha_bar) factors of Eq. (16) is upside down: check which of the two steps goes "
     "on top.")
def _(alpha_bar_t, alpha_bar_prev, eta):
    return eta * torch.sqrt((1 - alpha_bar_t) / (1 - alpha_bar_prev)) * torch.sqrt(1 - alpha_bar_t / alpha_bar_prev)


@add("ddim_sigma", "sigma_no_eta",
     "eta does not scale the result, so every eta gives the eta = 1 (DDPM) noise; sigma is proportional to eta.")
def _(alpha_bar_t, alpha_bar_prev, eta):
    return ref.ddim_sigma(alpha_bar_t, alpha_bar_prev, 1.0)


@add("ddim_sigma", "sigma_variance",
     "the square root is missing: this is eta times the variance, and Eq. (16) gives the standard deviation.")
def _(alpha_bar_t, alpha_bar_prev, eta):
    return eta * (ref.ddim_sigma(alpha_bar_t, alpha_bar_prev, 1.0) ** 2)


# -- ddim_step ------------------------------------------------------------------------------------------
def _step(x_t, t, t_prev, eps_pred, alpha_bar, eta, noise, *, prev="one", x0_with_prev=False, ignore_sigma=False,
          cast=True):
    ab = alpha_bar.to(x_t.dtype) if cast else alpha_bar
    view = (-1, *[1] * (x_t.dim() - 1))
    ab_t = ab[t].reshape(view)
    if prev == "one":
        ab_prev = torch.where(t_prev >= 0, ab[t_prev.clamp(min=0)], torch.ones_like(ab[t])).reshape(view)
    elif prev == "wraps":
        ab_prev = ab[t_prev].reshape(view)  # index -1 is the last entry
    else:  # "zero"
        ab_prev = ab[t_prev.clamp(min=0)].reshape(view)
    x0_pred = (x_t - torch.sqrt(1 - (ab_prev if x0_with_prev else ab_t)) * eps_pred) / torch.sqrt(
        ab_prev if x0_with_prev else ab_t)
    sigma = ref.ddim_sigma(ab_t, ab_prev, eta)
    direction = torch.sqrt(1 - ab_prev - (0.0 if ignore_sigma else sigma**2)) * eps_pred
    return torch.sqrt(ab_prev) * x0_pred + direction + sigma * noise


@add("ddim_step", "step_direction_ignores_sigma",
     "the coefficient of eps_pred (the direction pointing to x_t) does not depend on sigma: with noise added, "
     "that term must give up variance so the step keeps the marginal of Lemma 1 (it is the same only at eta = 0).")
def _(x_t, t, t_prev, eps_pred, alpha_bar, eta, noise):
    return _step(x_t, t, t_prev, eps_pred, alpha_bar, eta, noise, ignore_sigma=True)


@add("ddim_step", "final_step_wraps",
     "t_prev = -1 reads alpha_bar[-1], which Python wraps to the last entry alpha_bar[T-1]; the final step has "
     "alpha_bar_prev = 1 (it lands on x0_pred, with no noise).")
def _(x_t, t, t_prev, eps_pred, alpha_bar, eta, noise):
    return _step(x_t, t, t_prev, eps_pred, alpha_bar, eta, noise, prev="wraps")


@add("ddim_step", "final_step_index_zero",
     "t_prev = -1 is read as index 0 (alpha_bar[0] < 1), so the final step stops short of x0_pred and adds "
     "noise; the final step has alpha_bar_prev = 1.")
def _(x_t, t, t_prev, eps_pred, alpha_bar, eta, noise):
    return _step(x_t, t, t_prev, eps_pred, alpha_bar, eta, noise, prev="zero")


@add("ddim_step", "x0_pred_with_prev",
     "x0_pred is computed with alpha_bar at t_prev; x_t was noised to level t, so predicting x0 from it uses "
     "alpha_bar at t (Ho et al. Eq. (4) solved for x0).")
def _(x_t, t, t_prev, eps_pred, alpha_bar, eta, noise):
    return _step(x_t, t, t_prev, eps_pred, alpha_bar, eta, noise, x0_with_prev=True)


@add("ddim_step", "step_float64_for_float32",
     "float32 data gives a float64 result; cast the (float64) schedule to x_t.dtype so results keep the data's "
     "dtype.")
def _(x_t, t, t_prev, eps_pred, alpha_bar, eta, noise):
    return ref.ddim_step(x_t.to(F64), t, t_prev, eps_pred.to(F64), alpha_bar, eta, noise.to(F64))


# -- ddim_sample ----------------------------------------------------------------------------------------
def _sample(eps_model, x_T, alpha_bar, timesteps, eta, noise, *, stride=False, final=True, noise_reversed=False):
    x, B = x_T, x_T.shape[0]
    steps = [int(s) for s in timesteps]
    S, T = len(steps), alpha_bar.shape[0]
    for i, step in enumerate(steps):
        if stride:
            prev = max(step - T // S, -1)
        else:
            prev = steps[i + 1] if i + 1 < S else -1
        if prev == -1 and not final:
            break
        t = torch.full((B,), step, dtype=torch.int64)
        t_prev = torch.full((B,), prev, dtype=torch.int64)
        z = noise[S - 1 - i] if noise_reversed else noise[i]
        x = ref.ddim_step(x, t, t_prev, eps_model(x, t), alpha_bar, eta, z)
    return x


@add("ddim_sample", "sample_prev_t_minus_stride",
     "the previous index is taken as t - T // S (diffusers' DDIMScheduler.step does this), which holds only for the "
     "leading spacing; the previous index is the next entry of timesteps (-1 after the last).")
def _(eps_model, x_T, alpha_bar, timesteps, eta, noise):
    return _sample(eps_model, x_T, alpha_bar, timesteps, eta, noise, stride=True)


@add("ddim_sample", "sample_no_final_step",
     "the loop stops at timesteps[-1]; the last step goes from timesteps[-1] to t_prev = -1 (alpha_bar = 1), "
     "so S indices make S steps.")
def _(eps_model, x_T, alpha_bar, timesteps, eta, noise):
    return _sample(eps_model, x_T, alpha_bar, timesteps, eta, noise, final=False)


@add("ddim_sample", "sample_noise_reversed",
     "noise[S-1-i] is used at step i; step i (from timesteps[i]) uses noise[i].")
def _(eps_model, x_T, alpha_bar, timesteps, eta, noise):
    return _sample(eps_model, x_T, alpha_bar, timesteps, eta, noise, noise_reversed=True)


# -- respace_betas ---------------------------------------------------------------------------------------
@add("respace_betas", "respace_original_betas",
     "these are the original betas at the kept indices; the strided chain jumps from one kept index to the "
     "next, so its beta compares alpha_bar at consecutive kept indices.")
def _(alpha_bar, timesteps):
    kept = torch.sort(timesteps).values
    ab = alpha_bar.to(F64)
    before = torch.where(kept > 0, ab[(kept - 1).clamp(min=0)], torch.ones_like(ab[kept]))
    return 1 - ab[kept] / before


@add("respace_betas", "respace_descending",
     "the betas come newest first (descending index); the respaced chain lists them oldest first, in ascending "
     "index.")
def _(alpha_bar, timesteps):
    return ref.respace_betas(alpha_bar, timesteps).flip(0)


@add("respace_betas", "respace_assumes_descending",
     "the kept indices are put in ascending order by reversing timesteps, which is right only when they come "
     "descending; the contract takes them in any order (only the set matters): sort them.")
def _(alpha_bar, timesteps):
    kept = alpha_bar.to(F64)[timesteps.flip(0)]
    return 1 - kept / torch.cat([kept.new_ones(1), kept[:-1]])


# -- ddim_invert -----------------------------------------------------------------------------------------
def _invert(eps_model, x0, alpha_bar, timesteps, *, eps_at="target", first=True, x0_pred_at="source"):
    x, B = x0, x0.shape[0]
    ab = alpha_bar.to(x0.dtype)
    up = sorted(int(s) for s in timesteps)
    prev = -1
    if not first:
        up, prev = up[1:], up[0]  # x0 taken as the point at the smallest index
    for step in up:
        at = step if eps_at == "target" else max(prev, 0)
        eps = eps_model(x, torch.full((B,), at, dtype=torch.int64))
        ab_s = ab[prev] if prev >= 0 else torch.ones((), dtype=x0.dtype)
        ab_x0 = ab[step] if x0_pred_at == "target" else ab_s
        x0_pred = (x - torch.sqrt(1 - ab_x0) * eps) / torch.sqrt(ab_x0)
        x = torch.sqrt(ab[step]) * x0_pred + torch.sqrt(1 - ab[step]) * eps
        prev = step
    return x


@add("ddim_invert", "invert_eps_at_source",
     "the noise is predicted with the current index (where x_s is); the contract (diffusers' inverse scheduler) "
     "calls eps_model(x_s, t) with the target index t of each step.")
def _(eps_model, x0, alpha_bar, timesteps):
    return _invert(eps_model, x0, alpha_bar, timesteps, eps_at="source")


@add("ddim_invert", "invert_skips_first_step",
     "x0 is taken as the point at the smallest index of timesteps, so the first step (from x0, where alpha_bar "
     "is 1, up to timesteps[-1]) is missing.")
def _(eps_model, x0, alpha_bar, timesteps):
    return _invert(eps_model, x0, alpha_bar, timesteps, first=False)


@add("ddim_invert", "invert_x0_pred_at_target",
     "x0_pred is computed with alpha_bar of the target index; the current point x_s is noised to level s (1 for "
     "x0), so predicting x0 from it uses alpha_bar at s.")
def _(eps_model, x0, alpha_bar, timesteps):
    return _invert(eps_model, x0, alpha_bar, timesteps, x0_pred_at="target")

