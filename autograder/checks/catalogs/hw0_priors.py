"""Known mistakes of hw0_priors, each a wrong variant of one function and the sentence that names it.

Reads beside `autograder/checks/hw0_priors.py`, `course_core/priors.py` and `course_core/red_pnp.py`. Every entry has an
example of the same name in tests/submissions/hw0_priors/examples.py (written independently), which must get this
message.
"""

from __future__ import annotations

import math

import torch

from course_core import priors as ref
from course_core import red_pnp

from ..misconceptions import Catalog

# What the student derives (written questions conditional_derivation, wiener_derivation, red_derivation,
# pnp_fixed_point): no message may state it, since the messages ship with the public tests
# (tests/test_misconceptions.py).
DERIVED = ["cov_ab cov_bb^{-1}", "Sigma_ab Sigma_bb^{-1}", "1/2 J", "J^T x", "(W + W^T)", "u* =", "Sigma^{-1} x"]

CATALOG = Catalog(references={f.__name__: f for f in (
    ref.gaussian_condition, ref.gaussian_kl, ref.gaussian_score, ref.gaussian_posterior, ref.tikhonov,
    ref.soft_threshold, ref.ista_step, ref.mixture_mmse, red_pnp.data_prox_matrix, red_pnp.red_step_matrix,
    red_pnp.red_fixed_point_matrix, red_pnp.pnp_admm_step_matrix)})
add = CATALOG.add


# -- gaussian_condition ------------------------------------------------------------------------------------------
def _gain(cov_ab, cov_bb):
    return torch.linalg.solve(cov_bb, cov_ab.transpose(-1, -2)).transpose(-1, -2)


@add("gaussian_condition", "schur_complement_added",
     "the conditional covariance adds the correction to cov_aa; observing x_b can only remove uncertainty, so the "
     "correction is subtracted (your Question 1(c)).")
def _(mean_a, mean_b, cov_aa, cov_ab, cov_bb, x_b):
    gain = _gain(cov_ab, cov_bb)
    return mean_a + (gain @ (x_b - mean_b)[..., None])[..., 0], cov_aa + gain @ cov_ab.transpose(-1, -2)


@add("gaussian_condition", "gain_without_solve",
     "the gain multiplies by cov_bb instead of solving a linear system with it: compare with the gain of your "
     "Question 1(a) in one dimension.")
def _(mean_a, mean_b, cov_aa, cov_ab, cov_bb, x_b):
    gain = cov_ab @ cov_bb
    return mean_a + (gain @ (x_b - mean_b)[..., None])[..., 0], cov_aa - gain @ cov_ab.transpose(-1, -2)


# -- gaussian_kl -------------------------------------------------------------------------------------------------
@add("gaussian_kl", "kl_arguments_swapped",
     "this is KL(N(mean2, cov2) || N(mean1, cov1)): the divergence is not symmetric, and the trace and the "
     "Mahalanobis term use the inverse of the *second* covariance.")
def _(mean1, cov1, mean2, cov2):
    return ref.gaussian_kl(mean2, cov2, mean1, cov1)


@add("gaussian_kl", "kl_without_half",
     "the result is twice the KL divergence: the bracket of trace, Mahalanobis, -d and log-determinants is "
     "multiplied by 1/2.")
def _(mean1, cov1, mean2, cov2):
    return 2 * ref.gaussian_kl(mean1, cov1, mean2, cov2)


# -- gaussian_score ----------------------------------------------------------------------------------------------
@add("gaussian_score", "score_sign_flipped",
     "the score points away from the mean; the log-density decreases away from the mean, so its gradient points "
     "towards it.")
def _(x, mean, cov):
    return -ref.gaussian_score(x, mean, cov)


@add("gaussian_score", "covariance_not_inverted",
     "this multiplies by the covariance instead of its inverse (the precision matrix); the exponent of the "
     "Gaussian is -1/2 (x - mean)^T cov^{-1} (x - mean).")
def _(x, mean, cov):
    return -(x - mean.to(x.dtype)) @ cov.to(x.dtype).T


# -- gaussian_posterior ------------------------------------------------------------------------------------------
@add("gaussian_posterior", "noise_std_not_squared",
     "the noise enters the covariance of y as sigma_y, not as the variance sigma_y**2.")
def _(y, H, sigma_y, mean, cov):
    return ref.gaussian_posterior(y, H, math.sqrt(sigma_y), mean, cov)


@add("gaussian_posterior", "prior_covariance_returned",
     "the returned covariance is the prior's: the posterior covariance is the prior's minus what the measurement "
     "explains (it depends on H and sigma_y).")
def _(y, H, sigma_y, mean, cov):
    return ref.gaussian_posterior(y, H, sigma_y, mean, cov)[0], cov


# -- tikhonov ----------------------------------------------------------------------------------------------------
@add("tikhonov", "ridge_ignores_D",
     "D is ignored: the penalty lam ||D x||^2 adds lam D^T D to H^T H (the identity only when D is None).")
def _(y, H, lam, D=None):
    return ref.tikhonov(y, H, lam, None)


@add("tikhonov", "lam_squared",
     "lam enters squared; the normal equations of ||y - H x||^2 + lam ||D x||^2 add lam D^T D, not lam**2 D^T D.")
def _(y, H, lam, D=None):
    return ref.tikhonov(y, H, lam**2, D)


# -- soft_threshold and ista_step ----------------------------------------------------------------------------------
@add("soft_threshold", "hard_threshold",
     "this is hard thresholding (values above the threshold kept unchanged); soft thresholding also shrinks them "
     "towards 0 by lam.")
def _(v, lam):
    return torch.where(v.abs() > lam, v, torch.zeros_like(v))


@add("ista_step", "threshold_not_scaled_by_step",
     "the threshold is lam; the proximal step of lam ||x||_1 after a gradient step of size `step` thresholds at "
     "lam * step.")
def _(x, y, H, lam, step):
    return ref.soft_threshold(x - step * ((x @ H.T - y) @ H), lam)


@add("ista_step", "gradient_ascent",
     "the data step goes uphill: the gradient of 0.5 ||y - H x||^2 is H^T (H x - y), and the step subtracts it.")
def _(x, y, H, lam, step):
    return ref.soft_threshold(x + step * ((x @ H.T - y) @ H), lam * step)


# -- mixture_mmse ------------------------------------------------------------------------------------------------
def _components(y, sigma, weights, means, covs, *, noisy=True):
    """The log responsibilities (N, K) and per-component posterior means (N, K, d), float64."""
    y64 = y.to(torch.float64)
    d = y.shape[1]
    S = covs + sigma**2 * torch.eye(d, dtype=torch.float64)
    R = S if noisy else covs
    diff = y64[:, None, :] - means[None]
    log_terms = (torch.log(weights) - 0.5 * torch.linalg.slogdet(R).logabsdet
                 - 0.5 * (diff * torch.linalg.solve(R[None], diff[..., None])[..., 0]).sum(-1))
    post = means[None] + (covs[None] @ torch.linalg.solve(S[None], diff[..., None]))[..., 0]
    return log_terms, post


@add("mixture_mmse", "map_component_as_mmse",
     "this returns the posterior mean of the single most probable component (a MAP decision over the components); "
     "the MMSE estimate averages every component's posterior mean, weighted by its responsibility.")
def _(y, sigma, weights, means, covs):
    log_terms, post = _components(y, sigma, weights, means, covs)
    k = log_terms.argmax(1)
    return post[torch.arange(y.shape[0]), k].to(y.dtype)


@add("mixture_mmse", "responsibilities_of_the_prior",
     "the responsibilities use the components' covariances Sigma_k; y is observed with noise, so they must be "
     "computed under the law of y, with Sigma_k + sigma**2 I.")
def _(y, sigma, weights, means, covs):
    log_terms, post = _components(y, sigma, weights, means, covs, noisy=False)
    return (torch.softmax(log_terms, 1)[..., None] * post).sum(1).to(y.dtype)


# -- data_prox_matrix --------------------------------------------------------------------------------------------
@add("data_prox_matrix", "prox_sigma_not_squared",
     "sigma_y enters unsquared; the data term ||y - H x||^2 / (2 sigma_y**2) weighs H^T H and H^T y by 1 / sigma_y**2.")
def _(v, y, H, sigma_y, rho):
    return red_pnp.data_prox_matrix(v, y, H, math.sqrt(sigma_y), rho)


# -- red_step_matrix and red_fixed_point_matrix ----------------------------------------------------------------------
@add("red_step_matrix", "red_jacobian_term_kept",
     "this differentiates rho(x) = 1/2 x^T (x - D(x)) literally, Jacobian term included; RED's algorithm steps "
     "along the denoising residual x - D(x) itself (the two agree only under the conditions of Question 12).")
def _(x, y, H, sigma_y, lam, mu, denoiser, sigma):
    with torch.enable_grad():
        x_ = x.detach().requires_grad_(True)
        Dx = denoiser(x_, sigma)
        (jtx,) = torch.autograd.grad((Dx * x.detach()).sum(), x_)
    grad_rho = x - 0.5 * Dx.detach() - 0.5 * jtx
    return x - mu * ((x @ H.T - y) @ H / sigma_y**2 + lam * grad_rho)


@add("red_step_matrix", "red_residual_sign",
     "the prior's direction is D(x) - x, so the step moves away from the denoised image; the gradient of the RED "
     "term is the residual x - D(x), which the descent step subtracts.")
def _(x, y, H, sigma_y, lam, mu, denoiser, sigma):
    return x - mu * ((x @ H.T - y) @ H / sigma_y**2 + lam * (denoiser(x, sigma) - x))


@add("red_fixed_point_matrix", "fixed_point_ignores_lam",
     "the data prox is taken with rho = 1; RED's fixed-point equation weighs the frozen D(x) by lam: "
     "(H^T H / sigma_y**2 + lam I) x' = H^T y / sigma_y**2 + lam D(x).")
def _(x, y, H, sigma_y, lam, denoiser, sigma):
    return red_pnp.data_prox_matrix(denoiser(x, sigma), y, H, sigma_y, 1.0)


# -- pnp_admm_step_matrix --------------------------------------------------------------------------------------------
@add("pnp_admm_step_matrix", "dual_update_sign",
     "the dual update has the wrong sign: the scaled dual variable accumulates the constraint residual x - z_next, "
     "u_next = u + x - z_next, as in the iteration above Question 15.")
def _(z, u, y, H, sigma_y, lam, rho, denoiser):
    x = red_pnp.data_prox_matrix(z - u, y, H, sigma_y, rho)
    z_next = denoiser(x + u, math.sqrt(lam / rho))
    return x, z_next, u - x + z_next


@add("pnp_admm_step_matrix", "denoiser_level_is_variance",
     "the denoiser is called at lam / rho, a variance; it takes the noise standard deviation sqrt(lam / rho).")
def _(z, u, y, H, sigma_y, lam, rho, denoiser):
    x = red_pnp.data_prox_matrix(z - u, y, H, sigma_y, rho)
    z_next = denoiser(x + u, lam / rho)
    return x, z_next, u + x - z_next
