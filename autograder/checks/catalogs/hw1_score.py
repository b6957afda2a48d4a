"""Known mistakes of hw1_score, each a wrong variant of one function and the sentence that names it.

Reads beside `autograder/checks/hw1_score.py` and `course_core/score.py`. Every entry has an example of the
same name in tests/submissions/hw1_score/examples.py (written independently), which must get this message.
"""

from __future__ import annotations

import math

import torch

from course_core import gmm
from course_core import score as ref

from ..misconceptions import Catalog

# What the student derives (written questions): no message may state it, since the messages ship with the
# public tests (tests/test_misconceptions.py).
DERIVED = ["sigma^2 score", "sigma**2 * score", "y + sigma", "s2 / (1 -", "1 - step_size / (2"]

CATALOG = Catalog(references={f.__name__: f for f in (gmm.gmm_score, ref.tweedie_denoiser, ref.posterior_mean_mc,
                                                     ref.dsm_loss, ref.dsm_esm_gap, ref.langevin_step,
                                                     ref.langevin_chain_variance, ref.annealed_langevin)})
add = CATALOG.add


# -- gmm_score -----------------------------------------------------------------------------------------
@add("gmm_score", "unweighted_responsibilities",
     "the responsibilities ignore the mixture weights; r_k(x) is proportional to pi_k N(x; mu_k, Sigma_k), so "
     "log pi_k belongs in the softmax.")
def _(x, weights, means, covs):
    return gmm.gmm_score(x, torch.full_like(weights, 1.0 / len(weights)), means, covs)


@add("gmm_score", "identity_covariance",
     "each component's score is -(x - mu_k), as if Sigma_k were the identity; the score of N(mu_k, Sigma_k) "
     "is -Sigma_k^{-1} (x - mu_k).")
def _(x, weights, means, covs):
    r = gmm.gmm_responsibilities(x, weights, means, covs).to(x.dtype)  # (N, K)
    return -(r[:, :, None] * (x[:, None, :] - means.to(x.dtype)[None])).sum(1)


@add("gmm_score", "no_log_det",
     "the responsibilities leave out -1/2 log det Sigma_k; components with different covariances need it "
     "(it is the normalising constant of N(x; mu_k, Sigma_k)).")
def _(x, weights, means, covs):
    w = weights * torch.exp(0.5 * torch.linalg.slogdet(covs).logabsdet)  # cancels the log-det in the softmax
    return gmm.gmm_score(x, w / w.sum(), means, covs)


@add("gmm_score", "score_sign",
     "the score points away from the modes; the score of a Gaussian is -Sigma^{-1} (x - mu), which points "
     "towards its mean.")
def _(x, weights, means, covs):
    return -gmm.gmm_score(x, weights, means, covs)


@add("gmm_score", "unstable_responsibilities",
     "far from every mode the densities underflow to 0 and the responsibilities become 0/0 = nan; compute "
     "them from log pi_k + log N(x; mu_k, Sigma_k) with a log-sum-exp (torch.softmax or torch.logsumexp).")
def _(x, weights, means, covs):
    w, m, c = (v.to(x.dtype) for v in (weights, means, covs))
    dens = torch.exp(torch.distributions.MultivariateNormal(m, covariance_matrix=c).log_prob(x[:, None, :])) * w
    r = dens / dens.sum(1, keepdim=True)  # (N, K): 0/0 far away
    prec = torch.linalg.inv(c)
    return -(r[:, :, None] * torch.einsum("kij,nkj->nki", prec, x[:, None, :] - m[None])).sum(1)


@add("gmm_score", "float64_for_float32",
     "float32 points give a float64 score; cast the (float64) mixture parameters to x.dtype so the result "
     "keeps the data's dtype.")
def _(x, weights, means, covs):
    return gmm.gmm_score(x.to(weights.dtype), weights, means, covs)


# -- tweedie_denoiser ----------------------------------------------------------------------------------
@add("tweedie_denoiser", "tweedie_sigma",
     "the score is scaled by sigma; check the power of sigma in your derivation (the score has units of "
     "1 / length, the correction to y units of length).")
def _(y, score, sigma):
    return y + sigma * score


@add("tweedie_denoiser", "tweedie_sign",
     "the correction points against the score; by your derivation the posterior mean moves y along the score of "
     "p_sigma, towards higher density.")
def _(y, score, sigma):
    return y - sigma**2 * score


# -- dsm_loss -------------------------------------------------------------------------------------------
def _dsm(score_model, x0, sigma, noise, *, weight=True, half=True, reduce="mean", model_at_x0=False, sign=1.0):
    s = sigma.to(x0.dtype)[:, None]
    x_tilde = x0 + s * noise
    out = score_model(x0 if model_at_x0 else x_tilde, sigma)
    residual = out + sign * noise / s  # the target is -noise / sigma
    per = (residual**2).sum(1) * (s[:, 0] ** 2 if weight else 1.0) * (0.5 if half else 1.0)
    return per.mean() if reduce == "mean" else per.sum()


@add("dsm_loss", "dsm_no_sigma_weight",
     "the per-level losses are not weighted by lambda(sigma) = sigma^2, so small noise levels dominate; "
     "multiply each sample's loss by sigma_b^2.")
def _(score_model, x0, sigma, noise):
    return _dsm(score_model, x0, sigma, noise, weight=False)


@add("dsm_loss", "dsm_target_sign",
     "the regression target has the wrong sign; the score of the noising kernel q(x_tilde | x0) is "
     "-(x_tilde - x0) / sigma^2 = -noise / sigma.")
def _(score_model, x0, sigma, noise):
    return _dsm(score_model, x0, sigma, noise, sign=-1.0)


@add("dsm_loss", "dsm_model_at_clean_data",
     "the model is evaluated at the clean x0; denoising score matching evaluates it at the noisy "
     "x_tilde = x0 + sigma * noise.")
def _(score_model, x0, sigma, noise):
    return _dsm(score_model, x0, sigma, noise, model_at_x0=True)


@add("dsm_loss", "dsm_sum_over_batch",
     "the loss sums over the batch; average over the batch (sum only over the data dimensions).")
def _(score_model, x0, sigma, noise):
    return _dsm(score_model, x0, sigma, noise, reduce="sum")


@add("dsm_loss", "dsm_no_half",
     "the factor 1/2 of Song & Ermon's Eq. (5) is missing.")
def _(score_model, x0, sigma, noise):
    return _dsm(score_model, x0, sigma, noise, half=False)


# -- langevin_step --------------------------------------------------------------------------------------
@add("langevin_step", "langevin_no_factor2",
     "the noise is scaled by sqrt(step_size); with a drift of step_size times the score, Langevin dynamics "
     "needs noise sqrt(2 step_size) z to sample from p.")
def _(x, score, step_size, noise):
    return x + step_size * score + math.sqrt(step_size) * noise


@add("langevin_step", "langevin_noise_times_step",
     "the noise is scaled by 2 step_size instead of its square root sqrt(2 step_size).")
def _(x, score, step_size, noise):
    return x + step_size * score + 2 * step_size * noise


# -- annealed_langevin ----------------------------------------------------------------------------------
def _anneal(x, score_fn, sigmas, step_lr, n_steps, noise, *, half=True, power=2, last=True, same_noise=False):
    ref_sigma = float(sigmas[-1] if last else sigmas[0])
    for i in range(len(sigmas)):
        alpha = step_lr * (float(sigmas[i]) / ref_sigma) ** power
        for j in range(n_steps):
            x = ref.langevin_step(x, score_fn(x, sigmas[i]), alpha / 2 if half else alpha,
                                  noise[0 if same_noise else i, j])
    return x


@add("annealed_langevin", "annealed_step_size",
     "langevin_step gets alpha_i as its step size; Algorithm 1's update x + alpha_i/2 score + sqrt(alpha_i) z "
     "is langevin_step with step_size = alpha_i / 2.")
def _(x, score_fn, sigmas, step_lr, n_steps, noise):
    return _anneal(x, score_fn, sigmas, step_lr, n_steps, noise, half=False)


@add("annealed_langevin", "annealed_sigma_not_squared",
     "the step size scales with sigma_i / sigma_L; Algorithm 1 scales it with the noise variance, "
     "alpha_i = step_lr sigma_i^2 / sigma_L^2.")
def _(x, score_fn, sigmas, step_lr, n_steps, noise):
    return _anneal(x, score_fn, sigmas, step_lr, n_steps, noise, power=1)


@add("annealed_langevin", "annealed_first_sigma",
     "the step size is relative to the first (largest) level; Algorithm 1 divides by the last, smallest "
     "level sigma_L, so step_lr is the step size at the end.")
def _(x, score_fn, sigmas, step_lr, n_steps, noise):
    return _anneal(x, score_fn, sigmas, step_lr, n_steps, noise, last=False)


@add("annealed_langevin", "annealed_same_noise",
     "every level reuses the first level's noise draws; level i, step j uses noise[i, j].")
def _(x, score_fn, sigmas, step_lr, n_steps, noise):
    return _anneal(x, score_fn, sigmas, step_lr, n_steps, noise, same_noise=True)


# -- posterior_mean_mc ------------------------------------------------------------------------------------
def _weights(y, x_prior, sigma, *, var=True, dim=1):
    x_prior = x_prior.to(y.dtype)
    log_w = -((y[:, None, :] - x_prior[None]) ** 2).sum(-1) / (2 * (sigma**2 if var else sigma))  # (N, S)
    return torch.softmax(log_w, dim=dim), x_prior


@add("posterior_mean_mc", "pm_sigma_not_squared",
     "the log-weights divide by 2 sigma instead of 2 sigma^2; the likelihood N(y; x_j, sigma^2 I) has "
     "-||y - x_j||^2 / (2 sigma^2) in its exponent.")
def _(y, x_prior, sigma):
    w, xs = _weights(y, x_prior, sigma, var=False)
    return w @ xs


@add("posterior_mean_mc", "pm_unstable_weights",
     "far from every prior sample the weights exp(-||y - x_j||^2 / (2 sigma^2)) underflow to 0 and their ratio is "
     "0/0 = nan; normalise them in log space (torch.softmax or torch.logsumexp).")
def _(y, x_prior, sigma):
    xs = x_prior.to(y.dtype)
    w = torch.exp(-((y[:, None, :] - xs[None]) ** 2).sum(-1) / (2 * sigma**2))
    return (w / w.sum(1, keepdim=True)) @ xs


@add("posterior_mean_mc", "pm_weights_over_points",
     "the weights are normalised over the observed points y_i instead of over the prior samples x_j; each y_i "
     "needs its own weights over j that sum to 1.")
def _(y, x_prior, sigma):
    w, xs = _weights(y, x_prior, sigma, dim=0)
    return w @ xs


# -- dsm_esm_gap --------------------------------------------------------------------------------------------
def _gap(score_model, x0, sigma, noise, true_score, *, esm_weight=True, true_at_x0=False, sign=1.0):
    s_b = sigma.to(x0.dtype)[:, None]
    x_tilde = x0 + s_b * noise
    s = score_model(x_tilde, sigma)
    dsm = 0.5 * ((s_b * s + noise) ** 2).sum(1)
    target = true_score(x0 if true_at_x0 else x_tilde, sigma)
    esm = 0.5 * (s_b[:, 0] ** 2 if esm_weight else 1.0) * ((s - target) ** 2).sum(1)
    return sign * (dsm - esm).mean()


@add("dsm_esm_gap", "gap_esm_unweighted",
     "the explicit score matching term is not weighted by sigma^2 while the DSM term is; both objectives carry "
     "the same weight lambda(sigma) = sigma^2, or their difference depends on the model.")
def _(score_model, x0, sigma, noise, true_score):
    return _gap(score_model, x0, sigma, noise, true_score, esm_weight=False)


@add("dsm_esm_gap", "gap_true_score_at_clean_data",
     "the true score is evaluated at the clean x0; explicit score matching compares the model with the score of "
     "p_sigma at the same noisy x_tilde.")
def _(score_model, x0, sigma, noise, true_score):
    return _gap(score_model, x0, sigma, noise, true_score, true_at_x0=True)


@add("dsm_esm_gap", "gap_reversed",
     "the result is J_ESM - J_DSM; the contract asks for J_DSM - J_ESM (Vincent's constant C, which is positive "
     "on average).")
def _(score_model, x0, sigma, noise, true_score):
    return _gap(score_model, x0, sigma, noise, true_score, sign=-1.0)


# -- langevin_chain_variance --------------------------------------------------------------------------------
def _chain(x_init, s2, step_size, noise, *, score_scale=None):
    x = x_init
    for k in range(noise.shape[0]):
        x = ref.langevin_step(x, -x / (s2 if score_scale is None else score_scale), step_size, noise[k])
    return x


@add("langevin_chain_variance", "chain_population_variance",
     "the variance divides by N; the unbiased sample variance over the N chains divides by N - 1.")
def _(x_init, s2, step_size, noise):
    return _chain(x_init, s2, step_size, noise).var(dim=0, correction=0)


@add("langevin_chain_variance", "chain_score_over_std",
     "the score of N(0, s2 I) is -x / s2 (the variance), not -x / sqrt(s2).")
def _(x_init, s2, step_size, noise):
    return _chain(x_init, s2, step_size, noise, score_scale=s2**0.5).var(dim=0)


@add("langevin_chain_variance", "chain_uncentred",
     "the squares are not centred: subtract the chains' mean before squaring (a variance, not a second moment).")
def _(x_init, s2, step_size, noise):
    x = _chain(x_init, s2, step_size, noise)
    return (x * x).sum(0) / (x.shape[0] - 1)


@add("langevin_chain_variance", "chain_one_variance_for_all",
     "one variance is pooled over all coordinates; the contract returns one variance per coordinate, shape (d,).")
def _(x_init, s2, step_size, noise):
    x = _chain(x_init, s2, step_size, noise)
    c = x - x.mean(0, keepdim=True)
    return ((c * c).sum() / (x.numel() - 1)).expand(x.shape[1])
