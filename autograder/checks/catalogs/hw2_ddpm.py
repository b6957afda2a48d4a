"""Known mistakes of hw2_ddpm, each a wrong variant of one function and the sentence that names it.

Reads beside `autograder/checks/hw2_ddpm.py` and `course_core/ddpm.py`. Every entry has an example of the
same name in tests/submissions/hw2_ddpm/examples.py (written independently), which must get this message.
"""

from __future__ import annotations

import math

import torch

from course_core import ddpm as ref
from course_core import schedules
from course_core._broadcast import extract

from ..misconceptions import Catalog

# What the student derives (written questions): no message may state it, since the messages ship with the
# public tests (tests/test_misconceptions.py).
DERIVED = ["(1 - alpha_bar_{t-1}) / (1 - alpha_bar_t)", "beta_tilde_t =", "lambda_t =", "sqrt(alpha_t) (1 - alpha_bar",
           "sqrt(alpha_bar_{t-1}) beta_t", "beta_t^2 / (2", "(x_t - sqrt(1 - alpha_bar_t)"]

CATALOG = Catalog(references={f.__name__: f for f in (
    schedules.linear_beta_schedule, schedules.cosine_beta_schedule, ref.q_sample, ref.q_posterior_mean_variance,
    ref.predict_x0_from_eps, ref.ddpm_step, ref.l_simple, ref.ddpm_sample, ref.normal_kl, ref.vlb_bits_per_dim,
    ref.posterior_moments_mc, ref.eps_loss_weight)})
add = CATALOG.add
F64 = torch.float64


def _alpha_bars(beta, dtype):
    beta = beta.to(dtype)
    alpha_bar = torch.cumprod(1 - beta, 0)
    return beta, 1 - beta, alpha_bar, torch.cat([alpha_bar.new_ones(1), alpha_bar[:-1]])


# -- schedules -----------------------------------------------------------------------------------------
@add("linear_beta_schedule", "linear_off_by_one",
     "the last value is beta_start + (T-1)/T (beta_end - beta_start), not beta_end; the T values run from "
     "beta_start to beta_end inclusive (torch.linspace).")
def _(T, beta_start=1e-4, beta_end=0.02):
    return beta_start + (beta_end - beta_start) * torch.arange(T, dtype=F64) / T


@add("cosine_beta_schedule", "cosine_no_offset",
     "the offset s is missing from f(t) = cos^2((t/T + s)/(1 + s) pi/2); without it the first betas are "
     "vanishingly small (Nichol & Dhariwal 2021, Sec. 3.2).")
def _(T, s=0.008, max_beta=0.999):
    return schedules.cosine_beta_schedule(T, 0.0, max_beta)


@add("cosine_beta_schedule", "cosine_no_clipping",
     "the betas are not clipped at max_beta; the last beta of the cosine schedule is 1 without the clip.")
def _(T, s=0.008, max_beta=0.999):
    return schedules.cosine_beta_schedule(T, s, 1.0)


@add("cosine_beta_schedule", "cosine_alpha_bar_for_beta",
     "the schedule returns alpha_bar_t (the cumulative product) where beta_t = 1 - alpha_bar_t / alpha_bar_{t-1} "
     "belongs.")
def _(T, s=0.008, max_beta=0.999):
    u = torch.arange(T + 1, dtype=F64)
    f = torch.cos((u / T + s) / (1 + s) * math.pi / 2) ** 2
    return (f / f[0])[1:]


# -- q_sample ------------------------------------------------------------------------------------------
@add("q_sample", "missing_sqrt",
     "x0 is scaled by alpha_bar_t; the forward marginal has mean sqrt(alpha_bar_t) x0 (Ho Eq. (4)).")
def _(x0, t, noise, alpha_bar):
    ab = extract(alpha_bar, t, x0)
    return ab * x0 + torch.sqrt(1 - ab) * noise


@add("q_sample", "swapped_coefficients",
     "the two coefficients are swapped: x0 gets sqrt(alpha_bar_t) and the noise sqrt(1 - alpha_bar_t).")
def _(x0, t, noise, alpha_bar):
    ab = extract(alpha_bar, t, x0)
    return torch.sqrt(1 - ab) * x0 + torch.sqrt(ab) * noise


@add("q_sample", "step_off_by_one",
     "alpha_bar is read one step early; index t uses alpha_bar[t] (index t is the paper's step t + 1).")
def _(x0, t, noise, alpha_bar):
    return ref.q_sample(x0, (t - 1).clamp(min=0), noise, alpha_bar)


@add("q_sample", "float64_for_float32",
     "float32 data gives a float64 x_t; cast the (float64) schedule to x0.dtype so results keep the data's dtype.")
def _(x0, t, noise, alpha_bar):
    return ref.q_sample(x0.to(F64), t, noise.to(F64), alpha_bar)


# -- q_posterior_mean_variance -------------------------------------------------------------------------
@add("q_posterior_mean_variance", "posterior_var_beta",
     "the posterior variance is beta_t, the variance of the forward step; q(x_{t-1} | x_t, x0) also knows x0, so "
     "it is narrower (your derivation of Eq. (6)-(7)), and it is 0 at index 0.")
def _(x0, x_t, t, beta):
    mean, _ = ref.q_posterior_mean_variance(x0, x_t, t, beta)
    return mean, extract(beta, t, x0)


@add("q_posterior_mean_variance", "alpha_for_alpha_bar",
     "a per-step alpha_t is used where the cumulative alpha_bar_t belongs (1 - alpha_bar_t is the variance of "
     "q(x_t | x0), Eq. (4)).")
def _(x0, x_t, t, beta):
    b, a, _, ab_prev = (extract(v, t, x0) for v in _alpha_bars(beta, F64))
    mean = torch.sqrt(ab_prev) * b / (1 - a) * x0 + torch.sqrt(a) * (1 - ab_prev) / (1 - a) * x_t
    return mean.to(x0.dtype), ((1 - ab_prev) / (1 - a) * b).to(x0.dtype)


@add("q_posterior_mean_variance", "prev_wraps_around",
     "alpha_bar_{t-1} at index 0 wraps around to alpha_bar_{T-1}; before step 0 alpha_bar is 1 (prepend a 1), so "
     "the posterior at index 0 is the point mass at x0.")
def _(x0, x_t, t, beta):
    b, a, ab, _ = (v for v in _alpha_bars(beta, F64))
    ab_prev = torch.roll(ab, 1)
    b, a, ab, ab_prev = (extract(v, t, x0) for v in (b, a, ab, ab_prev))
    mean = torch.sqrt(ab_prev) * b / (1 - ab) * x0 + torch.sqrt(a) * (1 - ab_prev) / (1 - ab) * x_t
    return mean.to(x0.dtype), ((1 - ab_prev) / (1 - ab) * b).to(x0.dtype)


@add("q_posterior_mean_variance", "alpha_not_sqrt",
     "the coefficient of x_t has alpha_t where your derivation has its square root (the forward step of Eq. (2) "
     "scales x_{t-1} by sqrt(alpha_t)).")
def _(x0, x_t, t, beta):
    b, a, ab, ab_prev = (extract(v, t, x0) for v in _alpha_bars(beta, F64))
    mean = torch.sqrt(ab_prev) * b / (1 - ab) * x0 + a * (1 - ab_prev) / (1 - ab) * x_t
    return mean.to(x0.dtype), ((1 - ab_prev) / (1 - ab) * b).to(x0.dtype)


@add("q_posterior_mean_variance", "posterior_coefficients_swapped",
     "the coefficients of x0 and x_t are swapped: check in your derivation which of the two multiplies beta_t.")
def _(x0, x_t, t, beta):
    mean, var = ref.q_posterior_mean_variance(x_t, x0, t, beta)
    return mean, var


# -- predict_x0_from_eps ---------------------------------------------------------------------------------
@add("predict_x0_from_eps", "predict_x0_no_sqrt",
     "the noise is scaled by (1/alpha_bar_t - 1) where solving Eq. (4) for x0 gives its square root.")
def _(x_t, t, eps, alpha_bar):
    ab = extract(alpha_bar, t, x_t)
    return x_t / torch.sqrt(ab) - (1 / ab - 1) * eps


@add("predict_x0_from_eps", "predict_x0_sign",
     "the noise is added; solving Eq. (4) for x0 subtracts it.")
def _(x_t, t, eps, alpha_bar):
    return ref.predict_x0_from_eps(x_t, t, -eps, alpha_bar)


# -- ddpm_step -------------------------------------------------------------------------------------------
@add("ddpm_step", "noise_at_t0",
     "noise is added at index 0 too; the last reverse step (the paper's t = 1) returns the mean, z = 0.")
def _(x_t, t, eps_pred, beta, noise, variance="small"):
    x0_pred = ref.predict_x0_from_eps(x_t, t, eps_pred, schedules.alpha_bar_from_beta(beta))
    mean, var = ref.q_posterior_mean_variance(x0_pred, x_t, t, beta)
    if variance == "large":
        var = extract(beta, t, x_t)
    return mean + torch.sqrt(var) * noise


@add("ddpm_step", "variance_not_sqrt",
     "the noise is scaled by the variance sigma_t^2; x_{t-1} = mean + sigma_t z needs its square root, the "
     "standard deviation.")
def _(x_t, t, eps_pred, beta, noise, variance="small"):
    x0_pred = ref.predict_x0_from_eps(x_t, t, eps_pred, schedules.alpha_bar_from_beta(beta))
    mean, var = ref.q_posterior_mean_variance(x0_pred, x_t, t, beta)
    if variance == "large":
        var = extract(beta, t, x_t)
    nonzero = (t != 0).to(x_t.dtype).reshape(-1, *([1] * (x_t.dim() - 1)))
    return mean + nonzero * var * noise


@add("ddpm_step", "always_large",
     "with variance=\"small\" the step used beta_t; \"small\" is the posterior variance of Eq. (7), "
     "\"large\" is beta_t.")
def _(x_t, t, eps_pred, beta, noise, variance="small"):
    return ref.ddpm_step(x_t, t, eps_pred, beta, noise, "large")


@add("ddpm_step", "always_small",
     "with variance=\"large\" the step used the posterior variance; \"large\" is sigma_t^2 = beta_t "
     "(Ho et al. Sec. 3.2), \"small\" is the posterior variance of Eq. (7).")
def _(x_t, t, eps_pred, beta, noise, variance="small"):
    return ref.ddpm_step(x_t, t, eps_pred, beta, noise, "small")


# -- l_simple --------------------------------------------------------------------------------------------
@add("l_simple", "l_simple_sum",
     "the squared errors are summed; L_simple averages over all elements (batch and data dimensions), like "
     "torch.nn.functional.mse_loss.")
def _(eps_model, x0, t, noise, alpha_bar):
    return ((noise - eps_model(ref.q_sample(x0, t, noise, alpha_bar), t)) ** 2).sum()


@add("l_simple", "l_simple_model_at_x0",
     "the model sees the clean x0; it predicts the noise from the noised x_t = q_sample(x0, t, noise).")
def _(eps_model, x0, t, noise, alpha_bar):
    return ((noise - eps_model(x0, t)) ** 2).mean()


@add("l_simple", "l_simple_step_plus_one",
     "the model is called with t + 1; our index t is already the paper's step t + 1, so pass t unchanged.")
def _(eps_model, x0, t, noise, alpha_bar):
    return ((noise - eps_model(ref.q_sample(x0, t, noise, alpha_bar), t + 1)) ** 2).mean()


# -- ddpm_sample -----------------------------------------------------------------------------------------
def _sample(eps_model, x_T, beta, noise, variance, *, order="down", pass_variance=True, model_at_x_T=False,
            noise_reversed=False):
    x, T = x_T, beta.shape[0]
    for step in (range(T - 1, -1, -1) if order == "down" else range(T)):
        t = torch.full((x.shape[0],), step, dtype=torch.int64)
        eps = eps_model(x_T if model_at_x_T else x, t)
        z = noise[T - 1 - step] if noise_reversed else noise[step]
        x = ref.ddpm_step(x, t, eps, beta, z, variance if pass_variance else "small")
    return x


@add("ddpm_sample", "sample_forward_order",
     "the steps run from t = 0 up; Algorithm 2 goes backwards, t = T-1 down to 0.")
def _(eps_model, x_T, beta, noise, variance="small"):
    return _sample(eps_model, x_T, beta, noise, variance, order="up")


@add("ddpm_sample", "sample_drops_variance",
     "`variance` is not passed on to ddpm_step, so \"large\" samples with the small variance.")
def _(eps_model, x_T, beta, noise, variance="small"):
    return _sample(eps_model, x_T, beta, noise, variance, pass_variance=False)


@add("ddpm_sample", "sample_model_at_x_T",
     "the model is always called on x_T; at each step it predicts the noise of the current x_t.")
def _(eps_model, x_T, beta, noise, variance="small"):
    return _sample(eps_model, x_T, beta, noise, variance, model_at_x_T=True)


@add("ddpm_sample", "sample_noise_reversed",
     "noise[T-1-t] is used at index t; the step at index t uses noise[t] (noise[0] is never used).")
def _(eps_model, x_T, beta, noise, variance="small"):
    return _sample(eps_model, x_T, beta, noise, variance, noise_reversed=True)


# -- normal_kl -------------------------------------------------------------------------------------------
@add("normal_kl", "kl_sign",
     "the log-variance terms have the wrong sign; KL(N1 || N2) has + log sigma_2^2 - log sigma_1^2.")
def _(mean1, logvar1, mean2, logvar2):
    return 0.5 * (-1.0 + logvar1 - logvar2 + torch.exp(logvar1 - logvar2) + (mean1 - mean2) ** 2 * torch.exp(-logvar2))


@add("normal_kl", "kl_no_half",
     "the log-variance difference misses its factor 1/2: KL = 1/2 (log sigma_2^2 - log sigma_1^2) + "
     "(sigma_1^2 + (mu_1 - mu_2)^2) / (2 sigma_2^2) - 1/2.")
def _(mean1, logvar1, mean2, logvar2):
    return (logvar2 - logvar1) + (torch.exp(logvar1) + (mean1 - mean2) ** 2) / (2 * torch.exp(logvar2)) - 0.5


# -- vlb_bits_per_dim ------------------------------------------------------------------------------------
def _vlb_terms(eps_model, x0, beta, noise, *, decoder_at_x_t=False, decoder_logvar_beta0=False):
    """(prior, [L_t for t >= 1], decoder), each (B,) in nats, averaged over the data dims."""
    T, B = beta.shape[0], x0.shape[0]
    beta_ = beta.to(x0.dtype)
    alpha_bar = torch.cumprod(1 - beta_, 0)
    mean = lambda v: v.reshape(B, -1).mean(1)  # noqa: E731
    ab_T = alpha_bar[-1]
    prior = mean(ref.normal_kl(torch.sqrt(ab_T) * x0, torch.log(1 - ab_T), torch.zeros_like(x0), torch.zeros_like(x0)))
    terms, decoder = [], None
    for i in range(T):
        t = torch.full((B,), i, dtype=torch.int64)
        x_t = ref.q_sample(x0, t, noise[i], alpha_bar)
        x0_pred = ref.predict_x0_from_eps(x_t, t, eps_model(x_t, t), alpha_bar)
        if i == 0:
            logvar = torch.log(beta_[0]) if decoder_logvar_beta0 else torch.log(
                (1 - alpha_bar[0]) / (1 - alpha_bar[1]) * beta_[1])
            decoder = -mean(ref.discretized_gaussian_log_likelihood(x0, x_t if decoder_at_x_t else x0_pred,
                                                                    0.5 * logvar * torch.ones_like(x0)))
        else:
            mq, var = ref.q_posterior_mean_variance(x0, x_t, t, beta)
            mp, _ = ref.q_posterior_mean_variance(x0_pred, x_t, t, beta)
            terms.append(mean(ref.normal_kl(mq, torch.log(var), mp, torch.log(var))))
    return prior, terms, decoder


@add("vlb_bits_per_dim", "vlb_no_prior",
     "the prior term L_T = KL(q(x_T | x0) || N(0, I)) is missing from the sum.")
def _(eps_model, x0, beta, noise):
    prior, terms, decoder = _vlb_terms(eps_model, x0, beta, noise)
    return (sum(terms) + decoder) / math.log(2)


@add("vlb_bits_per_dim", "vlb_nats",
     "the bound is in nats; divide by ln 2 for bits.")
def _(eps_model, x0, beta, noise):
    prior, terms, decoder = _vlb_terms(eps_model, x0, beta, noise)
    return prior + sum(terms) + decoder


@add("vlb_bits_per_dim", "vlb_no_decoder",
     "the decoder term L_0 = -log p(x0 | x_1) (index 0) is missing from the sum.")
def _(eps_model, x0, beta, noise):
    prior, terms, decoder = _vlb_terms(eps_model, x0, beta, noise)
    return (prior + sum(terms)) / math.log(2)


@add("vlb_bits_per_dim", "vlb_decoder_at_x_t",
     "the decoder's mean is x_1 itself; the decoder is centred at the model's prediction x0_pred from x_1.")
def _(eps_model, x0, beta, noise):
    prior, terms, decoder = _vlb_terms(eps_model, x0, beta, noise, decoder_at_x_t=True)
    return (prior + sum(terms) + decoder) / math.log(2)


@add("vlb_bits_per_dim", "vlb_decoder_variance_beta0",
     "the decoder's variance is beta at index 0; it is the posterior variance of index 1 (the posterior "
     "variance of index 0 is 0).")
def _(eps_model, x0, beta, noise):
    prior, terms, decoder = _vlb_terms(eps_model, x0, beta, noise, decoder_logvar_beta0=True)
    return (prior + sum(terms) + decoder) / math.log(2)


@add("vlb_bits_per_dim", "vlb_sum_over_dims",
     "each term is summed over the data dimensions; bits per dimension average over them.")
def _(eps_model, x0, beta, noise):
    prior, terms, decoder = _vlb_terms(eps_model, x0, beta, noise)
    d = x0[0].numel()
    return d * (prior + sum(terms) + decoder) / math.log(2)


# -- posterior_moments_mc -------------------------------------------------------------------------------
def _chain_pairs(x0, t, beta, noise, *, steps=None):
    x = x0.expand(noise.shape[1:])
    x_prev = x
    for s in range(t + 1 if steps is None else steps):
        b = float(beta[s])
        x_prev, x = x, math.sqrt(1 - b) * x + math.sqrt(b) * noise[s]
    return x_prev, x


def _fit(x_prev, x, *, ddof=0):
    dx, dy = x - x.mean(0), x_prev - x_prev.mean(0)
    slope = (dx * dy).sum(0) / (dx * dx).sum(0)
    intercept = x_prev.mean(0) - slope * x.mean(0)
    resid = ((x_prev - intercept - slope * x) ** 2).sum(0) / (x.shape[0] - ddof)
    return slope, intercept, resid


@add("posterior_moments_mc", "mc_regress_x_t_on_x_prev",
     "x_t is regressed on x_{t-1}; the posterior mean is a function of x_t, so regress x_{t-1} (the response) on "
     "x_t (the regressor).")
def _(x0, t, beta, noise):
    x_prev, x = _chain_pairs(x0, t, beta, noise)
    return _fit(x, x_prev)


@add("posterior_moments_mc", "mc_unbiased_residual_variance",
     "the residual variance divides by N - 2; the contract divides by N (the estimate of beta_tilde_t the check "
     "compares with).")
def _(x0, t, beta, noise):
    return _fit(*_chain_pairs(x0, t, beta, noise), ddof=2)


@add("posterior_moments_mc", "mc_chain_one_step_short",
     "the chains stop one step early: x_t is reached after the forward steps 0, ..., t (t + 1 of them), with "
     "noise[s] at step s.")
def _(x0, t, beta, noise):
    return _fit(*_chain_pairs(x0, t, beta, noise, steps=max(t, 1)))


# -- eps_loss_weight ------------------------------------------------------------------------------------
def _lambda(beta, t, variance, *, two=True, alpha=True):
    _, a, ab, ab_prev = _alpha_bars(beta, F64)
    var = beta * (1 - ab_prev) / (1 - ab) if variance == "small" else beta
    w = beta**2 / ((2 if two else 1) * var * (a if alpha else 1) * (1 - ab))
    return w[t]


@add("eps_loss_weight", "weight_no_two",
     "the factor 1/2 of the KL between Gaussians (the 1 / (2 sigma_t^2) of Eq. (8)) is missing.")
def _(beta, t, variance="small"):
    return _lambda(beta, t, variance, two=False)


@add("eps_loss_weight", "weight_no_alpha",
     "alpha_t is missing: the eps-parameterised mean of Eq. (11) divides by sqrt(alpha_t), and the squared "
     "difference of two such means keeps that factor.")
def _(beta, t, variance="small"):
    return _lambda(beta, t, variance, alpha=False)


@add("eps_loss_weight", "weight_always_large",
     "with variance=\"small\" the weight uses sigma_t^2 = beta_t; \"small\" is the posterior variance of Eq. (7).")
def _(beta, t, variance="small"):
    return _lambda(beta, t, "large")
