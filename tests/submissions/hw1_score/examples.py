"""Example submissions of hw1_score: a reference written differently from the master solution, other
correct writings, realistic mistakes, and where the hostile submissions act. See tests/submissions/kit.py."""

from kit import Hostile, Mistake, Variant

REFERENCE = {}

REFERENCE["gmm_score"] = '''
import torch


def gmm_score(x, weights, means, covs):
    """Score of a Gaussian mixture (Cholesky factors, one component at a time, log-sum-exp)."""
    dtype = x.dtype
    log_terms, comp_scores = [], []
    for k in range(weights.shape[0]):
        L = torch.linalg.cholesky(covs[k].to(dtype))  # (d, d)
        diff = (x - means[k].to(dtype)).T  # (d, N)
        white = torch.linalg.solve_triangular(L, diff, upper=False)  # L^{-1} (x - mu), (d, N)
        maha = (white**2).sum(dim=0)  # (N,)
        log_det = 2 * torch.log(torch.diagonal(L)).sum()
        log_terms.append(torch.log(weights[k].to(dtype)) - 0.5 * log_det - 0.5 * maha)
        comp_scores.append(-torch.cholesky_solve(diff, L).T)  # -Sigma^{-1} (x - mu), (N, d)
    log_terms = torch.stack(log_terms, dim=1)  # (N, K)
    resp = torch.exp(log_terms - torch.logsumexp(log_terms, dim=1, keepdim=True))  # (N, K)
    return torch.einsum("nk,knd->nd", resp, torch.stack(comp_scores))
'''

REFERENCE["tweedie_denoiser"] = '''
import torch


def tweedie_denoiser(y, score, sigma):
    """E[x | y] = y + sigma^2 score (Tweedie)."""
    return torch.add(y, score, alpha=sigma * sigma)
'''

REFERENCE["dsm_loss"] = '''
def dsm_loss(score_model, x0, sigma, noise):
    """Song & Ermon 2019, Eq. (5)-(6) written with the kernel score -(x_tilde - x0) / sigma^2, lambda = sigma^2."""
    s = sigma.to(x0.dtype).view(-1, 1)
    x_tilde = x0 + s * noise
    target = -(x_tilde - x0) / s**2  # grad log q_sigma(x_tilde | x0)
    per_sample = 0.5 * s[:, 0] ** 2 * ((score_model(x_tilde, sigma) - target) ** 2).sum(dim=1)  # (B,)
    return per_sample.mean()
'''

REFERENCE["langevin_step"] = '''
import torch


def langevin_step(x, score, step_size, noise):
    """x + delta score + sqrt(2 delta) z."""
    return torch.add(x, score, alpha=step_size) + (2.0 * step_size) ** 0.5 * noise
'''

REFERENCE["annealed_langevin"] = '''
def annealed_langevin(x, score_fn, sigmas, step_lr, n_steps, noise):
    """Song & Ermon 2019, Algorithm 1."""
    alphas = step_lr * (sigmas / sigmas[-1]) ** 2  # (L,)
    for i, sigma in enumerate(sigmas):
        step = float(alphas[i]) / 2
        for j in range(n_steps):
            x = langevin_step(x, score_fn(x, sigma), step, noise[i][j])
    return x
'''

WRITTEN = {"why_anneal": """
Score matching only learns the score where there is data: the loss is an expectation over the (noisy) data
distribution, so far from the modes, in the empty regions between them, and off the low-dimensional set where
images live, the estimate is poor — exactly where a sampler started from noise begins. Large noise spreads the
data over the whole space, so the scores of $p_\\sigma$ for large $\\sigma$ are accurate everywhere and lead the
chain towards the data.

Langevin with the clean score also mixes badly: inside one basin the score ignores the other modes and their
weights, and crossing a low-density gap between modes almost never happens. The chains keep the split they got
from the initialisation (about half and half in the experiment, instead of 0.2 / 0.8). With large $\\sigma$ the
modes overlap, the chain moves between them and settles in proportion to the weights; lowering $\\sigma$ step by
step keeps those proportions while the modes sharpen, which is why annealed Langevin gets about 0.2.
"""}

VARIANTS = [
    # (Not gmm_score: far from the modes float32 cannot hold its log-densities, so float64 data needs float64.)
    Variant("float32 arithmetic inside, the data's dtype outside", {
        "tweedie_denoiser": [("    return torch.add(y, score, alpha=sigma * sigma)",
                              "    return (y.float() + float(sigma) ** 2 * score.float()).to(y.dtype)")],
        "dsm_loss": [("    s = sigma.to(x0.dtype).view(-1, 1)", "    s = sigma.float().view(-1, 1)")],
        "langevin_step": [("    return torch.add(x, score, alpha=step_size) + (2.0 * step_size) ** 0.5 * noise",
                           "    out = x.float() + step_size * score.float() + (2 * step_size) ** 0.5 * noise.float()\n"
                           "    return out.to(x.dtype)")],
    }),
    Variant("autograd of log-sum-exp, torch.distributions", {"gmm_score": '''
import torch


def gmm_score(x, weights, means, covs):
    x = x.detach().clone().requires_grad_(True)
    comps = torch.distributions.MultivariateNormal(means.to(x.dtype), covariance_matrix=covs.to(x.dtype))
    log_p = torch.logsumexp(comps.log_prob(x[:, None, :]) + torch.log(weights.to(x.dtype)), dim=1)
    return torch.autograd.grad(log_p.sum(), x)[0]
'''}),
    Variant("dsm with the residual sigma * s + z", {"dsm_loss": '''
def dsm_loss(score_model, x0, sigma, noise):
    s = sigma[:, None].to(x0)
    return 0.5 * ((s * score_model(x0 + s * noise, sigma) + noise) ** 2).sum(dim=1).mean()
'''}),
    Variant("annealed langevin inlined with Python floats", {"annealed_langevin": '''
def annealed_langevin(x, score_fn, sigmas, step_lr, n_steps, noise):
    levels = [float(s) for s in sigmas]
    for i, sigma in enumerate(levels):
        a = step_lr * sigma**2 / levels[-1] ** 2
        for j in range(n_steps):
            x = x + a / 2 * score_fn(x, sigma) + a**0.5 * noise[i, j]
    return x
'''}),
    Variant("langevin step by name and keyword", {"annealed_langevin": [
        ("            x = langevin_step(x, score_fn(x, sigma), step, noise[i][j])",
         "            x = langevin_step(noise=noise[i][j], step_size=step, score=score_fn(x, sigma), x=x)")]}),
]

MISTAKES = [
    Mistake("gmm_score", "unweighted_responsibilities", "gmm_score",
            [("torch.log(weights[k].to(dtype)) - 0.5 * log_det", "-0.5 * log_det")]),
    Mistake("gmm_score", "identity_covariance", "gmm_score",
            [("-torch.cholesky_solve(diff, L).T", "-diff.T")]),
    Mistake("gmm_score", "unstable_responsibilities", "gmm_score",
            [("torch.exp(log_terms - torch.logsumexp(log_terms, dim=1, keepdim=True))",
              "torch.exp(log_terms) / torch.exp(log_terms).sum(dim=1, keepdim=True)")]),
    Mistake("gmm_score", "score_sign", "gmm_score", [("comp_scores.append(-torch", "comp_scores.append(torch")]),
    Mistake("gmm_score", "no_log_det", "gmm_score", [(" - 0.5 * log_det", "")]),
    Mistake("gmm_score", "float64_for_float32", "gmm_score", [("    dtype = x.dtype\n", "    dtype = means.dtype\n")]),
    Mistake("tweedie_denoiser", "tweedie_sigma", "tweedie_denoiser", [("alpha=sigma * sigma", "alpha=sigma")], submit=True),
    Mistake("tweedie_denoiser", "tweedie_sign", "tweedie_denoiser", [("alpha=sigma * sigma", "alpha=-sigma * sigma")]),
    Mistake("dsm_loss", "dsm_no_sigma_weight", "dsm_loss", '''
def dsm_loss(score_model, x0, sigma, noise):
    # lambda(sigma) = 1 instead of sigma**2.
    x_tilde = x0 + sigma[:, None] * noise
    return 0.5 * ((score_model(x_tilde, sigma) + noise / sigma[:, None]) ** 2).sum(1).mean()
''', submit=True),
    Mistake("dsm_loss", "dsm_target_sign", "dsm_loss", [("target = -(x_tilde - x0)", "target = (x_tilde - x0)")]),
    Mistake("dsm_loss", "dsm_model_at_clean_data", "dsm_loss", [("score_model(x_tilde, sigma)", "score_model(x0, sigma)")]),
    Mistake("dsm_loss", "dsm_sum_over_batch", "dsm_loss", [("    return per_sample.mean()", "    return per_sample.sum()")]),
    Mistake("dsm_loss", "dsm_no_half", "dsm_loss", [("per_sample = 0.5 * s", "per_sample = s")]),
    Mistake("dsm_loss", "dsm_returns_float", "dsm_loss", [("    return per_sample.mean()", "    return per_sample.mean().item()")]),
    Mistake("dsm_loss", "dsm_under_no_grad", "dsm_loss", [
        ("    per_sample = 0.5", "    with torch.no_grad():\n        per_sample = 0.5"),
        ("def dsm_loss(", "import torch\n\n\ndef dsm_loss(")]),
    Mistake("dsm_loss", "dsm_detached_model", "dsm_loss", [("score_model(x_tilde, sigma)", "score_model(x_tilde, sigma).detach()")]),
    Mistake("dsm_loss", "dsm_float64_for_float32", "dsm_loss", [("s = sigma.to(x0.dtype).view(-1, 1)", "s = sigma.view(-1, 1)")]),
    Mistake("langevin_step", "langevin_no_factor2", "langevin_step", '''
import math


def langevin_step(x, score, step_size, noise):
    return x + step_size * score + math.sqrt(step_size) * noise
'''),
    Mistake("langevin_step", "langevin_noise_times_step", "langevin_step",
            [("(2.0 * step_size) ** 0.5 * noise", "2.0 * step_size * noise")]),
    Mistake("langevin_step", "langevin_in_place", "langevin_step", '''
def langevin_step(x, score, step_size, noise):
    x += step_size * score + (2 * step_size) ** 0.5 * noise  # changes the caller's tensor
    return x
'''),
    Mistake("annealed_langevin", "annealed_step_size", "annealed_langevin", '''
def annealed_langevin(x, score_fn, sigmas, step_lr, n_steps, noise):
    for i in range(len(sigmas)):
        alpha_i = step_lr * float(sigmas[i]) ** 2 / float(sigmas[-1]) ** 2
        for j in range(n_steps):
            x = langevin_step(x, score_fn(x, sigmas[i]), alpha_i, noise[i, j])  # forgot alpha_i / 2
    return x
''', submit=True),
    Mistake("annealed_langevin", "annealed_sigma_not_squared", "annealed_langevin",
            [("(sigmas / sigmas[-1]) ** 2", "(sigmas / sigmas[-1])")]),
    Mistake("annealed_langevin", "annealed_first_sigma", "annealed_langevin", [("sigmas / sigmas[-1]", "sigmas / sigmas[0]")]),
    Mistake("annealed_langevin", "annealed_same_noise", "annealed_langevin", [("noise[i][j]", "noise[0][j]")]),
    Mistake("annealed_langevin", "annealed_in_place", "annealed_langevin", [
        ("            x = langevin_step(x, score_fn(x, sigma), step, noise[i][j])",
         "            x.copy_(langevin_step(x, score_fn(x, sigma), step, noise[i][j]))")]),
]

HOSTILE = Hostile(
    import_reference={
        "gmm_score": '''
def gmm_score(x, weights, means, covs):
    from course_core.gmm import gmm_score as reference

    return reference(x, weights, means, covs)
''',
        "tweedie_denoiser": '''
import importlib

_score = importlib.import_module("course_core.score")  # the cell stops here when course_core is out of reach


def tweedie_denoiser(y, score, sigma):
    return _score.tweedie_denoiser(y, score, sigma)
''',
        "dsm_loss": '''
def dsm_loss(score_model, x0, sigma, noise):
    from course_core.score import dsm_loss as reference

    return reference(score_model, x0, sigma, noise)
''',
    },
    delegating=["gmm_score", "tweedie_denoiser", "dsm_loss"],
    find_after="tweedie_denoiser",  # the path search runs before dsm_loss's cell
    middle="dsm_loss",
    last="annealed_langevin",
    looping="langevin_step",
    exiting="tweedie_denoiser",
)
