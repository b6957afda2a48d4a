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

REFERENCE["posterior_mean_mc"] = '''
import torch


def posterior_mean_mc(y, x_prior, sigma):
    """Self-normalised importance sampling of E[x | y], the prior samples as proposal, weights in log space."""
    xs = x_prior.to(y.dtype)
    log_w = -0.5 * ((y.unsqueeze(1) - xs.unsqueeze(0)) ** 2).sum(dim=2) / (sigma * sigma)  # (N, M)
    log_w = log_w - torch.logsumexp(log_w, dim=1, keepdim=True)
    return torch.einsum("nm,md->nd", log_w.exp(), xs)
'''

REFERENCE["dsm_esm_gap"] = '''
def dsm_esm_gap(score_model, x0, sigma, noise, true_score):
    """Vincent's constant on one batch: the DSM and ESM terms per sample, sigma^2-weighted, then their mean difference."""
    s2 = sigma.to(x0.dtype).pow(2).unsqueeze(1)  # (B, 1)
    x_tilde = x0 + s2.sqrt() * noise
    s = score_model(x_tilde, sigma)
    target = -noise / s2.sqrt()  # grad log q_sigma(x_tilde | x0)
    j_dsm = (0.5 * s2 * (s - target) ** 2).sum(dim=1)
    j_esm = (0.5 * s2 * (s - true_score(x_tilde, sigma)) ** 2).sum(dim=1)
    return j_dsm.mean() - j_esm.mean()
'''

REFERENCE["langevin_chain_variance"] = '''
def langevin_chain_variance(x_init, s2, step_size, noise):
    """Unadjusted Langevin on N(0, s2 I), K steps, then the unbiased variance over the chains of each coordinate."""
    x = x_init
    for z in noise:
        x = langevin_step(x, -x / s2, step_size, z)
    centred = x - x.mean(dim=0, keepdim=True)
    return (centred * centred).sum(dim=0) / (x.shape[0] - 1)
'''

WRITTEN = {}  # in the order of the notebook's answer cells

WRITTEN["score_smoothing"] = r"""
Without noise the field is the mixture's own score: close to a mode the responsibility of that mode is almost 1,
so the arrows point straight at it and their length is the distance divided by 0.01 (hence -10 at (0.8, 0)). In the
gaps between modes the pull flips from one mode to the next, and at the origin the eight pulls cancel (score 0).

With $\sigma = 1$ every component has variance $1.01$, larger than the ring itself, so the components merge into
one blob. A Gaussian with the same first two moments, $\mathcal N(0, 1.255 I)$, has score $-x/1.255$, and the
printed values agree within about 5%. The noise has erased the eight modes: what remains is a smooth, almost linear
field pointing to the middle of the ring.
"""

WRITTEN["tweedie_derivation"] = r"""
Since $\partial_y \mathcal N(y; x, \sigma^2 I) = \frac{x - y}{\sigma^2} \mathcal N(y; x, \sigma^2 I)$ and this is a
bounded function of $x$, we may swap gradient and integral:
$\nabla p_\sigma(y) = \int \frac{x - y}{\sigma^2}\, p(x)\, \mathcal N(y; x, \sigma^2 I)\, dx$.
Dividing by $p_\sigma(y)$ turns $p(x)\mathcal N(y; x, \sigma^2 I)/p_\sigma(y)$ into the posterior $p(x \mid y)$
(Bayes), so $\nabla \log p_\sigma(y) = \mathbb E\big[\tfrac{x - y}{\sigma^2} \,\big|\, y\big] = \frac{\mathbb E[x \mid y] - y}{\sigma^2}$,
that is $\mathbb E[x \mid y] = y + \sigma^2 \nabla \log p_\sigma(y)$.

Conversely, the score of the noisy law $p_\sigma$ (not of the clean $p$) is (MMSE denoiser $-\ y$)$/\sigma^2$: a
good denoiser at level $\sigma$ is a good score model at level $\sigma$.
"""

WRITTEN["tweedie_picture"] = r"""
The posterior mean averages over the components that could have produced $y$:
$\mathbb E[x \mid y] = \sum_k p(k \mid y)\, \mathbb E[x \mid y, k]$. Neighbouring modes are 0.54 apart, less than
three noise standard deviations ($\sigma = 0.2$), so a noisy point between two of them gets weight on both and its
estimate falls in between, on the straight segment joining them, which is inside the circle. That is why the
median radius drops to about 0.68.

Still, this is the estimator with the smallest mean squared error: choosing one of the two modes would cost the
full mode spacing every time the guess is wrong, while the average costs half of it at most. Its MSE is about 0.05,
against about $2\sigma^2 = 0.08$ for $y$ itself; it just does not produce samples that look like the data.
"""

WRITTEN["dsm_derivation"] = r"""
Let $\tilde x = x + \sigma z \sim p_\sigma$, $s = s_\theta(\tilde x)$ and $g = \nabla \log p_\sigma(\tilde x)$.
Expanding, $J_\text{DSM} = \frac{\sigma^2}{2} \mathbb E\|s\|^2 + \sigma \mathbb E[s \cdot z] + \frac12 \mathbb E\|z\|^2$ and
$J_\text{ESM} = \frac{\sigma^2}{2} \mathbb E\|s\|^2 - \sigma^2 \mathbb E[s \cdot g] + \frac{\sigma^2}{2} \mathbb E\|g\|^2$.

Cross term: $\mathbb E[s \cdot z] = \mathbb E[s \cdot \mathbb E[z \mid \tilde x]]$, and Tweedie gives
$\mathbb E[x \mid \tilde x] = \tilde x + \sigma^2 g$, so $\mathbb E[z \mid \tilde x] = (\tilde x - \mathbb E[x \mid \tilde x])/\sigma = -\sigma g$.
Hence $\sigma \mathbb E[s \cdot z] = -\sigma^2 \mathbb E[s \cdot g]$ and
$J_\text{DSM} - J_\text{ESM} = C = \frac d2 - \frac{\sigma^2}{2} \mathbb E\|g\|^2$, free of $\theta$.

$J_\text{ESM} \ge 0$ vanishes only at $s_\theta = g$, so that is the minimiser of both, and the smallest DSM loss is
$C$. It is positive: $C = \frac12 \mathbb E\|z + \sigma g\|^2 = \frac12\mathbb E\|z - \mathbb E[z \mid \tilde x]\|^2$, the
part of the noise that $\tilde x$ does not determine, so even the exact score has a non-zero denoising loss.
"""

WRITTEN["langevin_derivation"] = r"""
(a) With $\nabla \log p(x) = -x/s^2$ a step reads $x_{k+1} = (1 - \delta/s^2) x_k + \sqrt{2\delta}\, z_k$, so
$a = 1 - \delta/s^2$ and $b = \sqrt{2\delta}$.

(b) The chain is linear and Gaussian; its mean is multiplied by $a$ each step and its variance obeys
$v_{k+1} = a^2 v_k + 2\delta$ (the new noise is independent). A limit exists iff $|a| < 1$, i.e. $0 < \delta < 2s^2$,
and it is $\mathcal N(0, v)$ with $v = 2\delta/(1 - a^2) = s^2 / (1 - \frac{\delta}{2s^2})$.

(c) The denominator is below 1, so $v > s^2$ always: the samples are too spread out. Relative excess
$\frac{\delta}{2s^2 - \delta} \approx \frac{\delta}{2 s^2}$ for small steps, going to zero only with $\delta$. For
$\delta = s^2$: $a = 0$ and $v = 2 s^2$, double the truth.
"""

WRITTEN["why_anneal"] = """
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
"""

WRITTEN["learned_vs_exact"] = r"""
The error is small (about 0.2 or less) on the ring at both levels, because that is where the training points
$\tilde x = x + \sigma z$ fall. At $\sigma \approx 0.1$ almost no noisy point reaches the hole of the ring or the region
beyond radius 1.3, so the loss never constrains the network there: the error is about 0.5 in the hole and about 2
far out. At $\sigma \approx 0.6$ the noisy points fill the whole square and the error stays around 0.1 everywhere.

This does not hurt sampling, because annealed Langevin visits the far region only at the first, large noise levels,
whose scores are accurate there; by the time $\sigma$ is small the chains are already near the ring, where the
small-$\sigma$ score was trained.
"""

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
    Variant("dsm_esm_gap from the expanded squares", {"dsm_esm_gap": '''
def dsm_esm_gap(score_model, x0, sigma, noise, true_score):
    sb = sigma.to(x0.dtype)[:, None]
    x_tilde = x0 + sb * noise
    s, t = score_model(x_tilde, sigma), true_score(x_tilde, sigma)
    # 0.5 ||sb s + z||^2 - 0.5 sb^2 ||s - t||^2: the ||s||^2 terms cancel
    per_sample = (sb * s * noise + sb**2 * s * t + 0.5 * noise**2 - 0.5 * sb**2 * t**2).sum(dim=1)
    return per_sample.mean()
'''}),
    Variant("posterior_mean_mc in float64 inside, the data's dtype outside", {"posterior_mean_mc": [
        ("    xs = x_prior.to(y.dtype)\n", "    dtype, y, xs = y.dtype, y.double(), x_prior.double()\n"),
        ('    return torch.einsum("nm,md->nd", log_w.exp(), xs)', '    return torch.einsum("nm,md->nd", log_w.exp(), xs).to(dtype)')]}),
    Variant("langevin chain inlined, torch.var", {"langevin_chain_variance": '''
def langevin_chain_variance(x_init, s2, step_size, noise):
    x = x_init
    for k in range(len(noise)):
        x = x - step_size / s2 * x + (2 * step_size) ** 0.5 * noise[k]
    return torch.var(x, dim=0, unbiased=True)
'''}),
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
    Mistake("posterior_mean_mc", "pm_sigma_not_squared", "posterior_mean_mc", [("/ (sigma * sigma)", "/ sigma")]),
    Mistake("posterior_mean_mc", "pm_unstable_weights", "posterior_mean_mc", [
        ("    log_w = log_w - torch.logsumexp(log_w, dim=1, keepdim=True)\n    return torch.einsum(\"nm,md->nd\", log_w.exp(), xs)",
         "    w = torch.exp(log_w)  # underflows to 0 far from every sample\n    return (w / w.sum(dim=1, keepdim=True)) @ xs")]),
    Mistake("posterior_mean_mc", "pm_weights_over_points", "posterior_mean_mc",
            [("torch.logsumexp(log_w, dim=1, keepdim=True)", "torch.logsumexp(log_w, dim=0, keepdim=True)")]),
    Mistake("dsm_esm_gap", "gap_esm_unweighted", "dsm_esm_gap", [("j_esm = (0.5 * s2 * (s", "j_esm = (0.5 * (s")]),
    Mistake("dsm_esm_gap", "gap_true_score_at_clean_data", "dsm_esm_gap",
            [("true_score(x_tilde, sigma)", "true_score(x0, sigma)")]),
    Mistake("dsm_esm_gap", "gap_reversed", "dsm_esm_gap",
            [("    return j_dsm.mean() - j_esm.mean()", "    return j_esm.mean() - j_dsm.mean()")]),
    Mistake("langevin_chain_variance", "chain_population_variance", "langevin_chain_variance",
            [("/ (x.shape[0] - 1)", "/ x.shape[0]")]),
    Mistake("langevin_chain_variance", "chain_score_over_std", "langevin_chain_variance", [("-x / s2,", "-x / s2**0.5,")]),
    Mistake("langevin_chain_variance", "chain_uncentred", "langevin_chain_variance",
            [("centred = x - x.mean(dim=0, keepdim=True)", "centred = x")]),
    Mistake("langevin_chain_variance", "chain_one_variance_for_all", "langevin_chain_variance",
            [("(centred * centred).sum(dim=0) / (x.shape[0] - 1)", "(centred * centred).sum() / (x.numel() - 1)")]),
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
    export=True,
)
