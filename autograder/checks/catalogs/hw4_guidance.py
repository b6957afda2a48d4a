"""Known mistakes of hw4_guidance, each a wrong variant of one function and the sentence that names it.

Reads beside `autograder/checks/hw4_guidance.py` and `course_core/guidance.py`. Every entry has an example of the
same name in tests/submissions/hw4_guidance/examples.py (written independently), which must get this message.
"""

from __future__ import annotations

import torch

from course_core import ddim
from course_core import guidance as ref
from course_core._broadcast import extract

from ..misconceptions import Catalog

# What the student derives (written question guidance_derivation): no message may state it, since the messages ship
# with the public tests (tests/test_misconceptions.py).
DERIVED = ["-(eps_cond - eps_uncond)", "(eps_cond - eps_uncond) /", "/ sqrt(1 - alpha_bar", "/ sqrt(1 - ab",
           "grad log p_t(x|y) =", "grad log p_t(x | y) =", "-sqrt(1 - alpha_bar_t) *", "guidance_scale = s",
           "w = 0 is conditional", "p(x|y)^s", "p(y|x)^s"]

CATALOG = Catalog(references={f.__name__: f for f in (
    ref.classifier_grad, ref.classifier_guided_eps, ref.cfg_eps, ref.implicit_classifier_grad, ref.drop_labels,
    ref.cfg_ddim_sample)})
add = CATALOG.add


def _per_sample(v, like):
    """A (B,) tensor shaped (B, 1, ..., 1) in `like`'s dtype."""
    return extract(torch.as_tensor(v), torch.arange(like.shape[0]), like)


# -- classifier_grad -----------------------------------------------------------------------------------
def _grad_of(logits_fn, x, y, pick):
    """grad_x of sum_i pick(logits_fn(x))[i, y_i], detached, in x's dtype."""
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        out = pick(logits_fn(x))
        return torch.autograd.grad(out.gather(1, y.reshape(-1, 1)).sum(), x)[0].detach()


@add("classifier_grad", "logit_not_log_softmax",
     "this is the gradient of the raw logit of class y; log p(y | x) is the log-softmax of the logits, and its "
     "normalising term (the log-sum-exp over all classes) depends on x too.")
def _(logits_fn, x, y):
    return _grad_of(logits_fn, x, y, lambda z: z)


@add("classifier_grad", "softmax_not_log",
     "this is the gradient of the probability p(y | x) (the softmax); guidance needs the gradient of its "
     "logarithm, log p(y | x).")
def _(logits_fn, x, y):
    return _grad_of(logits_fn, x, y, lambda z: torch.softmax(z, dim=-1))


@add("classifier_grad", "log_softmax_over_batch",
     "the softmax normalises over the batch (dim 0) instead of over the classes (the last dim, K).")
def _(logits_fn, x, y):
    return _grad_of(logits_fn, x, y, lambda z: torch.log_softmax(z, dim=0))


@add("classifier_grad", "grad_of_batch_mean",
     "each sample's gradient is divided by the batch size: the log-probabilities were averaged over the batch "
     "before differentiating; sum them (the samples do not interact, so the sum's gradient is every "
     "sample's own).")
def _(logits_fn, x, y):
    return _grad_of(logits_fn, x, y, lambda z: torch.log_softmax(z, dim=-1)) / x.shape[0]


# -- classifier_guided_eps ------------------------------------------------------------------------------
def _guided(eps_pred, grad_log_p_y, alpha_bar_t, scale, factor):
    return eps_pred - scale * factor(_per_sample(alpha_bar_t, eps_pred)) * grad_log_p_y


@add("classifier_guided_eps", "guidance_sign_flipped",
     "the guidance term has the wrong sign, so it steers away from class y: a noise prediction points against "
     "the score (your Question 2(b)).")
def _(eps_pred, grad_log_p_y, alpha_bar_t, scale):
    return _guided(eps_pred, -grad_log_p_y, alpha_bar_t, scale, lambda ab: torch.sqrt(1 - ab))


@add("classifier_guided_eps", "guided_missing_noise_factor",
     "the classifier's gradient (a score) is combined with a noise prediction without converting it: the factor "
     "between scores and noise predictions is missing (your Question 2(b)).")
def _(eps_pred, grad_log_p_y, alpha_bar_t, scale):
    return _guided(eps_pred, grad_log_p_y, alpha_bar_t, scale, lambda ab: torch.ones_like(ab))


@add("classifier_guided_eps", "guided_variance_not_std",
     "the gradient is scaled by the noise variance 1 - alpha_bar_t; scores and noise predictions are related "
     "through the noise's standard deviation.")
def _(eps_pred, grad_log_p_y, alpha_bar_t, scale):
    return _guided(eps_pred, grad_log_p_y, alpha_bar_t, scale, lambda ab: 1 - ab)


@add("classifier_guided_eps", "guided_sqrt_alpha_bar",
     "the gradient is scaled by sqrt(alpha_bar_t), the coefficient of the signal in x_t; scores and noise "
     "predictions are related through the noise's coefficient.")
def _(eps_pred, grad_log_p_y, alpha_bar_t, scale):
    return _guided(eps_pred, grad_log_p_y, alpha_bar_t, scale, torch.sqrt)


@add("classifier_guided_eps", "guided_divides_by_noise_factor",
     "the gradient is converted the wrong way: dividing by the noise's standard deviation turns a noise "
     "prediction into a score, and here a score has to become a noise prediction.")
def _(eps_pred, grad_log_p_y, alpha_bar_t, scale):
    return _guided(eps_pred, grad_log_p_y, alpha_bar_t, scale, lambda ab: 1 / torch.sqrt(1 - ab))


@add("classifier_guided_eps", "guided_float64_for_float32",
     "float32 inputs give a float64 result; cast the (float64) alpha_bar_t to the data's dtype so results keep "
     "the dtype of the data.")
def _(eps_pred, grad_log_p_y, alpha_bar_t, scale):
    ab = torch.as_tensor(alpha_bar_t, dtype=torch.float64).reshape(-1, *([1] * (eps_pred.dim() - 1)))
    return eps_pred.to(torch.float64) - scale * torch.sqrt(1 - ab) * grad_log_p_y.to(torch.float64)


# -- cfg_eps ---------------------------------------------------------------------------------------------
@add("cfg_eps", "w_for_one_plus_w",
     "this is Ho & Salimans' (1 + w) eps_c - w eps_u with w = guidance_scale; the contract's guidance_scale is "
     "their 1 + w (diffusers' convention), so mixing the two shifts every scale by one.")
def _(eps_cond, eps_uncond, guidance_scale):
    return (1 + guidance_scale) * eps_cond - guidance_scale * eps_uncond


@add("cfg_eps", "cfg_cond_uncond_swapped",
     "the conditional and unconditional predictions are swapped: guidance starts from the unconditional one and "
     "moves towards the conditional one.")
def _(eps_cond, eps_uncond, guidance_scale):
    return ref.cfg_eps(eps_uncond, eps_cond, guidance_scale)


@add("cfg_eps", "cfg_missing_base",
     "only the scaled difference of the two predictions is returned; the guided prediction is the unconditional "
     "one plus that difference.")
def _(eps_cond, eps_uncond, guidance_scale):
    return guidance_scale * (eps_cond - eps_uncond)


# -- implicit_classifier_grad ---------------------------------------------------------------------------
def _implicit(eps_cond, eps_uncond, alpha_bar_t, factor, sign=-1.0):
    return sign * (eps_cond - eps_uncond) * factor(_per_sample(alpha_bar_t, eps_cond))


@add("implicit_classifier_grad", "implicit_sign",
     "the implicit gradient has the wrong sign: recheck the sign that relates a noise prediction to a score in "
     "your Question 2(c).")
def _(eps_cond, eps_uncond, alpha_bar_t):
    return _implicit(eps_cond, eps_uncond, alpha_bar_t, lambda ab: 1 / torch.sqrt(1 - ab), sign=1.0)


@add("implicit_classifier_grad", "implicit_variance_not_std",
     "the difference is divided by the noise variance 1 - alpha_bar_t; noise predictions and scores are related "
     "through the noise's standard deviation (your Question 2(c)).")
def _(eps_cond, eps_uncond, alpha_bar_t):
    return _implicit(eps_cond, eps_uncond, alpha_bar_t, lambda ab: 1 / (1 - ab))


@add("implicit_classifier_grad", "implicit_times_noise_factor",
     "the noise's standard deviation is applied the wrong way: multiplying by it turns a score into a noise "
     "prediction, and here noise predictions have to become a score (your Question 2(c)).")
def _(eps_cond, eps_uncond, alpha_bar_t):
    return _implicit(eps_cond, eps_uncond, alpha_bar_t, lambda ab: torch.sqrt(1 - ab))


@add("implicit_classifier_grad", "implicit_missing_noise_factor",
     "the difference of the noise predictions is returned as a gradient of log p without converting it: the "
     "factor between noise predictions and scores is missing (your Question 2(c)).")
def _(eps_cond, eps_uncond, alpha_bar_t):
    return _implicit(eps_cond, eps_uncond, alpha_bar_t, lambda ab: torch.ones_like(ab))


# -- drop_labels ------------------------------------------------------------------------------------------
@add("drop_labels", "null_label_collision_not_refused",
     "a null_label that is also a real label in y is accepted; it would silently merge that class with "
     "'no class' in training: raise a ValueError (pick the null label outside the classes, e.g. their number).")
def _(y, p_uncond, null_label, u):  # the check names it when the call returns instead of raising
    return torch.where(u < p_uncond, torch.full_like(y, null_label), y)


@add("drop_labels", "drop_where_u_above_p",
     "labels are dropped where u >= p_uncond, so a fraction 1 - p_uncond of them; drop where u < p_uncond "
     "(p_uncond = 0 keeps every label).")
def _(y, p_uncond, null_label, u):
    return torch.where(u >= p_uncond, torch.full_like(y, null_label), y)


@add("drop_labels", "drop_where_u_at_most_p",
     "a label is dropped where u == p_uncond too; drop only where u < p_uncond (then p_uncond = 0 never drops, "
     "and a draw of exactly 0 is kept there).")
def _(y, p_uncond, null_label, u):
    return torch.where(u <= p_uncond, torch.full_like(y, null_label), y)


@add("drop_labels", "drop_labels_to_zero",
     "dropped labels are set to 0, which is a real class; set them to null_label, the label that means "
     "'no class'.")
def _(y, p_uncond, null_label, u):
    return torch.where(u < p_uncond, torch.zeros_like(y), y)


@add("drop_labels", "drop_labels_float",
     "the labels come back as floating point numbers; keep them int64 (an embedding indexes with integers): "
     "torch.where with a Python float promotes them, torch.full_like(y, null_label) does not.")
def _(y, p_uncond, null_label, u):
    return torch.where(u < p_uncond, torch.full(y.shape, float(null_label)), y.to(torch.get_default_dtype()))


# -- cfg_ddim_sample ---------------------------------------------------------------------------------------
def _sample(eps_model, x_T, y, null_label, guidance_scale, alpha_bar, timesteps, eta, noise, *, uncond_label=None,
            combine=ref.cfg_eps, last_prev=-1, eta_used=None, swap=False, stride=False):
    null = torch.full_like(y, null_label)
    uncond = null if uncond_label is None else uncond_label(y, null)
    x, B = x_T, x_T.shape[0]
    steps = [int(s) for s in timesteps]
    S, T = len(steps), alpha_bar.shape[0]
    for i, step in enumerate(steps):
        t = torch.full((B,), step, dtype=torch.int64)
        prev = max(step - T // S, -1) if stride else steps[i + 1] if i + 1 < S else last_prev
        t_prev = torch.full((B,), prev, dtype=torch.int64)
        e_c, e_u = eps_model(x, t, y), eps_model(x, t, uncond)
        if swap:
            e_c, e_u = e_u, e_c
        x = ddim.ddim_step(x, t, t_prev, combine(e_c, e_u, guidance_scale), alpha_bar,
                           eta if eta_used is None else eta_used, noise[i])
    return x


@add("cfg_ddim_sample", "sample_uncond_given_y",
     "the 'unconditional' prediction is asked with the class labels y, so both predictions are conditional and "
     "the guidance does nothing; ask the model with the null label for it.")
def _(eps_model, x_T, y, null_label, guidance_scale, alpha_bar, timesteps, eta, noise):
    return _sample(eps_model, x_T, y, null_label, guidance_scale, alpha_bar, timesteps, eta, noise,
                   uncond_label=lambda y, null: y)


@add("cfg_ddim_sample", "sample_w_for_one_plus_w",
     "the two predictions are combined as (1 + s) eps_c - s eps_u with s = guidance_scale; guidance_scale is "
     "Ho & Salimans' 1 + w (use cfg_eps).")
def _(eps_model, x_T, y, null_label, guidance_scale, alpha_bar, timesteps, eta, noise):
    return _sample(eps_model, x_T, y, null_label, guidance_scale, alpha_bar, timesteps, eta, noise,
                   combine=lambda c, u, s: (1 + s) * c - s * u)


@add("cfg_ddim_sample", "sample_cond_uncond_swapped",
     "the conditional and unconditional predictions are swapped (the model is asked with y for the one and "
     "with the null label for the other).")
def _(eps_model, x_T, y, null_label, guidance_scale, alpha_bar, timesteps, eta, noise):
    return _sample(eps_model, x_T, y, null_label, guidance_scale, alpha_bar, timesteps, eta, noise, swap=True)


@add("cfg_ddim_sample", "sample_last_step_to_index_zero",
     "the last step goes to index 0; after the last timestep the sampler steps to 'before step 0' (t_prev = -1, "
     "where alpha_bar = 1), as homework 3's DDIM sampler does.")
def _(eps_model, x_T, y, null_label, guidance_scale, alpha_bar, timesteps, eta, noise):
    return _sample(eps_model, x_T, y, null_label, guidance_scale, alpha_bar, timesteps, eta, noise, last_prev=0)


@add("cfg_ddim_sample", "sample_eta_dropped",
     "eta is not passed on to the DDIM step, which then runs with eta = 0 whatever was asked.")
def _(eps_model, x_T, y, null_label, guidance_scale, alpha_bar, timesteps, eta, noise):
    return _sample(eps_model, x_T, y, null_label, guidance_scale, alpha_bar, timesteps, eta, noise, eta_used=0.0)


@add("cfg_ddim_sample", "sample_prev_t_minus_stride",
     "the previous index is taken as t - T // S (diffusers' DDIMScheduler.step does this), which holds only when the "
     "timesteps are evenly spaced by T // S; the previous index is the next entry of timesteps (-1 after the last).")
def _(eps_model, x_T, y, null_label, guidance_scale, alpha_bar, timesteps, eta, noise):
    return _sample(eps_model, x_T, y, null_label, guidance_scale, alpha_bar, timesteps, eta, noise, stride=True)
