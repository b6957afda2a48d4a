"""Example submissions of hw0_priors: a reference written differently from the master solution, other correct
writings, realistic mistakes, and where the hostile submissions act. See tests/submissions/kit.py.

The notebook defines `soft_threshold` and `ista_step` in one cell, and `red_step_matrix` and `red_fixed_point_matrix`
in another: each cell is rebuilt from the code of its functions, in this order, so every function's code below
defines that function only."""

from kit import Hostile, Mistake, Variant

REFERENCE = {}

# ------------------------------------------------------------------------------ Question 2: gaussian_condition
REFERENCE["gaussian_condition"] = '''
import torch


def gaussian_condition(mean_a, mean_b, cov_aa, cov_ab, cov_bb, x_b):
    L = torch.linalg.cholesky(cov_bb)  # cov_bb = L L^T
    K = torch.cholesky_solve(cov_ab.transpose(-1, -2), L).transpose(-1, -2)  # (.., da, db)
    r = (x_b - mean_b).unsqueeze(-1)  # (B, db, 1)
    cond_mean = mean_a + torch.matmul(K, r).squeeze(-1)
    cond_cov = cov_aa - torch.matmul(K, cov_ab.transpose(-1, -2))
    return cond_mean, cond_cov
'''

# ------------------------------------------------------------------------------------ Question 3: gaussian_kl
REFERENCE["gaussian_kl"] = '''
import torch


def gaussian_kl(mean1, cov1, mean2, cov2):
    d = mean1.shape[-1]
    L2 = torch.linalg.cholesky(cov2)
    L1 = torch.linalg.cholesky(cov1)
    batch = torch.broadcast_shapes(mean1.shape[:-1], mean2.shape[:-1], cov1.shape[:-2], cov2.shape[:-2])
    L1, L2 = L1.expand(*batch, d, d), L2.expand(*batch, d, d)
    M = torch.linalg.solve_triangular(L2, L1, upper=False)
    delta = (mean2 - mean1).expand(*batch, d).unsqueeze(-1)
    w = torch.linalg.solve_triangular(L2, delta, upper=False).squeeze(-1)
    half_logdet = lambda L: torch.log(torch.diagonal(L, dim1=-2, dim2=-1)).sum(-1)
    return 0.5 * (M.pow(2).sum((-2, -1)) + w.pow(2).sum(-1) - d) + half_logdet(L2) - half_logdet(L1)
'''

# ---------------------------------------------------------------------------------- Question 4: gaussian_score
REFERENCE["gaussian_score"] = '''
import torch


def gaussian_score(x, mean, cov):
    P = torch.linalg.inv(cov.to(torch.float64))  # precision, float64
    return (-(x.to(torch.float64) - mean) @ P).to(x.dtype)  # P is symmetric
'''

# ------------------------------------------------------------------------------------ Question 6: the Wiener filter
REFERENCE["gaussian_posterior"] = '''
import torch


def gaussian_posterior(y, H, sigma_y, mean, cov):
    m = H.shape[0]
    S = H @ cov @ H.T + (sigma_y ** 2) * torch.eye(m, dtype=y.dtype)
    K = cov @ H.T @ torch.linalg.inv(S)  # the Kalman gain, (d, m)
    innovation = y - (H @ mean)  # (B, m)
    return mean + innovation @ K.T, cov - K @ H @ cov
'''

# ------------------------------------------------------------------------------------------ Question 7: tikhonov
REFERENCE["tikhonov"] = '''
import math

import torch


def tikhonov(y, H, lam, D=None):
    # Least squares on the stacked system [H; sqrt(lam) D] x = [y; 0].
    d = H.shape[1]
    R = torch.eye(d, dtype=H.dtype) if D is None else D
    A = torch.cat([H, math.sqrt(lam) * R], dim=0)
    rhs = torch.cat([y, torch.zeros(y.shape[0], R.shape[0], dtype=y.dtype)], dim=1)
    return torch.linalg.lstsq(A, rhs.T).solution.T
'''

# ---------------------------------------------------------------------------------------------- Question 8: ista
REFERENCE["soft_threshold"] = '''
import torch


def soft_threshold(v, lam):
    return torch.relu(v - lam) - torch.relu(-v - lam)
'''

REFERENCE["ista_step"] = '''
import torch


def ista_step(x, y, H, lam, step):
    residual = torch.matmul(x, H.T) - y  # (B, m)
    z = x - step * torch.matmul(residual, H)
    thr = lam * step
    return torch.where(z > thr, z - thr, torch.where(z < -thr, z + thr, torch.zeros_like(z)))
'''

# ------------------------------------------------------------------------------------- Question 10: mixture_mmse
REFERENCE["mixture_mmse"] = '''
import math

import torch


def mixture_mmse(y, sigma, weights, means, covs):
    N, d = y.shape
    K = weights.shape[0]
    yy = y.double()
    logs, posts = [], []
    for k in range(K):
        S = covs[k] + sigma * sigma * torch.eye(d, dtype=torch.float64)
        L = torch.linalg.cholesky(S)
        r = yy - means[k]  # (N, d)
        z = torch.linalg.solve_triangular(L, r.T, upper=False)  # (d, N)
        logs.append(math.log(weights[k]) - torch.log(torch.diagonal(L)).sum() - 0.5 * (z * z).sum(0))
        posts.append(means[k] + (covs[k] @ torch.cholesky_solve(r.T, L)).T)
    resp = torch.softmax(torch.stack(logs, dim=1), dim=1)  # (N, K)
    out = sum(resp[:, k:k + 1] * posts[k] for k in range(K))
    return out.to(y.dtype)
'''

# --------------------------------------------------------------------------------------- Question 13: data_prox
REFERENCE["data_prox_matrix"] = '''
import torch


def data_prox_matrix(v, y, H, sigma_y, rho):
    prec = sigma_y ** -2
    A = prec * H.T @ H + rho * torch.eye(H.shape[1], dtype=v.dtype)
    L = torch.linalg.cholesky(A)
    return torch.cholesky_solve((prec * y @ H + rho * v).T, L).T
'''

# ----------------------------------------------------------------------------------------------- Question 14: red
REFERENCE["red_step_matrix"] = '''
import torch


def red_step_matrix(x, y, H, sigma_y, lam, mu, denoiser, sigma):
    denoised = denoiser(x, sigma)
    g_data = torch.matmul(torch.matmul(x, H.T) - y, H) / (sigma_y * sigma_y)
    g_prior = lam * (x - denoised)
    return x - mu * g_data - mu * g_prior
'''

REFERENCE["red_fixed_point_matrix"] = '''
import torch


def red_fixed_point_matrix(x, y, H, sigma_y, lam, denoiser, sigma):
    v = denoiser(x, sigma)
    A = H.T @ H / sigma_y**2 + lam * torch.eye(x.shape[1], dtype=x.dtype)
    b = y @ H / sigma_y**2 + lam * v
    return torch.linalg.solve(A, b, left=False)  # x A = b row by row (A symmetric)
'''

# ------------------------------------------------------------------------------------------ Question 16: pnp_admm
REFERENCE["pnp_admm_step_matrix"] = '''
import math

import torch


def pnp_admm_step_matrix(z, u, y, H, sigma_y, lam, rho, denoiser):
    x = data_prox_matrix(z - u, y, H, sigma_y, rho)
    sig = math.sqrt(lam / rho)
    z_new = denoiser(x + u, sig)
    return x, z_new, u + x - z_new
'''


WRITTEN = {}  # in the order of the notebook's answer cells

WRITTEN["conditional_derivation"] = r"""
**(a)** Put $A = \Sigma_{ab}\Sigma_{bb}^{-1}$ and $e = x_a - \mu_a - A(x_b - \mu_b)$. Then
$\operatorname{Cov}(e, x_b) = \Sigma_{ab} - A\Sigma_{bb} = 0$, and as $(e, x_b)$ is jointly Gaussian, $e$ is independent of $x_b$.
So given $x_b$, $x_a$ is $\mu_a + A(x_b - \mu_b)$ plus the independent zero-mean Gaussian $e$, whose covariance is
$\Sigma_{aa} - \Sigma_{ab}\Sigma_{bb}^{-1}\Sigma_{ab}^\top$: mean $\mu_a + \Sigma_{ab}\Sigma_{bb}^{-1}(x_b - \mu_b)$, covariance the Schur complement.

**(b)** $x_a$ is the linear map $(I\ 0)$ of a Gaussian: mean $\mu_a$, covariance $\Sigma_{aa}$.

**(c)** Only the mean depends on $x_b$ (affinely). The difference $\Sigma_{aa} - \Sigma_{a|b} = \Sigma_{ab}\Sigma_{bb}^{-1}\Sigma_{ab}^\top$ is
positive semi-definite, so conditioning never increases the covariance.
"""

WRITTEN["wiener_derivation"] = r"""
**(a)** $\operatorname{Cov}(x, y) = \Sigma H^\top$, $\operatorname{Cov}(y) = H\Sigma H^\top + \sigma_y^2 I$; by Question 1 the posterior mean is
$\mu + \Sigma H^\top(H\Sigma H^\top + \sigma_y^2 I)^{-1}(y - H\mu)$ and the covariance $\Sigma - \Sigma H^\top(H\Sigma H^\top + \sigma_y^2I)^{-1}H\Sigma$.

**(b)** $\mathbb E\|x - f(y)\|^2 = \mathbb E\|x - \mathbb E[x|y]\|^2 + \mathbb E\|\mathbb E[x|y] - f(y)\|^2$ (the cross term has zero conditional mean),
so the posterior mean is optimal, with error the trace of the posterior covariance.

**(c)** The Gaussian posterior's mode is its mean. $-\log p(x|y) = \|y - Hx\|^2/(2\sigma_y^2) + \|Dx\|^2/(2\tau^2) + c$, so the MAP
minimises $\|y - Hx\|^2 + \lambda\|Dx\|^2$ with $\lambda = \sigma_y^2/\tau^2$.
"""

WRITTEN["classical_priors"] = r"""
Wiener ≈ 19.6 dB, Tikhonov and ISTA ≈ 16.5 dB, the blurred input 11.8 dB. The Wiener filter's prior was estimated
from digits (mean digit, pixel covariances), so it is the exact MMSE for a prior that knows digits; smoothness and
DCT sparsity are generic and leave ringing and blur. On letters the learned Gaussian would be mismatched and lose
its edge, the generic priors would not change much.
"""

WRITTEN["map_vs_mmse"] = r"""
The MAP jumps where the two posterior modes are equally high (between the components); the MMSE is smooth there,
averaging both. MSE: MAP 0.11, MMSE 0.10, not a coincidence since the posterior mean minimises the MSE. On
digits at sigma = 1, MAP 15.7 dB vs MMSE 16.8 dB: the MAP commits to one class (not always the most responsible one:
a tight class has a high peak), and a wrong class costs a whole digit, while the MMSE hedges. MAP is preferable when
a single plausible (modal) answer or sparsity is wanted.
"""

WRITTEN["red_derivation"] = r"""
**(a)** $\nabla(\tfrac12 x^\top x) = x$ and $\nabla(x^\top D(x)) = D(x) + J_D(x)^\top x$ by the product rule, so
$\nabla\rho = x - \tfrac12 D(x) - \tfrac12 J_D(x)^\top x$.

**(b)** Differentiate $D(cx) = cD(x)$ at $c = 1$: $J_D(x)x = D(x)$. With $J_D = J_D^\top$, $J_D^\top x = D(x)$ and
$\nabla\rho = x - D(x)$.

**(c)** For $D = Wx$, $\nabla\rho = x - \tfrac12(W + W^\top)x$, the residual iff $W = W^\top$. The zero-mean Wiener filter is
symmetric and linear; the mixture MMSE has a symmetric Jacobian (a posterior covariance over $\sigma^2$) but is not
homogeneous; a trained network satisfies neither in general.
"""

WRITTEN["pnp_fixed_point"] = r"""
**(a)** $\lambda\Sigma^{-1}z + \rho(z - v) = 0$ gives $z = \Sigma(\Sigma + \tfrac\lambda\rho I)^{-1}v$.

**(b)** The dual update gives $x^* = z^*$; the $z$-step gives $\rho u^* = \lambda\Sigma^{-1}x^*$; the $x$-step then reads
$H^\top(Hx^* - y)/\sigma_y^2 + \lambda\Sigma^{-1}x^* = 0$, whose solution is the MAP.

**(c)** The fixed points do not change, but the multiplier moves the wrong way, so a gap $x \ne z$ grows instead of
shrinking: the iteration diverges and never reaches the MAP.
"""

WRITTEN["denoisers_as_priors"] = r"""
The mixture MMSE is the best denoiser (19.2 dB at σ = 0.5) and the best prior (PnP ≈ 21.3 dB deblurring, 20.8 dB
inpainting), then Wiener and the learned net: here a better (approximate MMSE) denoiser gives a better prior.
PnP-ADMM converges in 30 iterations; RED's descent is slow (its step is limited by the data term's curvature), and
with the learned denoiser's non-symmetric Jacobian RED's direction is not the gradient of $\rho$. A diffusion model
is a denoiser at every noise level trained on much more data, and also allows sampling the posterior.
"""


VARIANTS = [
    Variant("gaussian_condition through the precision matrix of the joint", {"gaussian_condition": '''
import torch


def gaussian_condition(mean_a, mean_b, cov_aa, cov_ab, cov_bb, x_b):
    da = cov_aa.shape[-1]
    top = torch.cat([cov_aa, cov_ab], dim=-1)
    bottom = torch.cat([cov_ab.transpose(-1, -2), cov_bb], dim=-1)
    P = torch.linalg.inv(torch.cat([top, bottom], dim=-2))
    cov = torch.linalg.inv(P[..., :da, :da])
    gain = -cov @ P[..., :da, da:]
    return mean_a + (gain @ (x_b - mean_b)[..., None])[..., 0], cov
'''}),
    Variant("gaussian_kl with slogdet and explicit inverses, computed in float64 and cast back", {"gaussian_kl": '''
import torch


def gaussian_kl(mean1, cov1, mean2, cov2):
    dt = mean1.dtype
    m1, c1, m2, c2 = (t.double() for t in (mean1, cov1, mean2, cov2))
    P2 = torch.linalg.inv(c2)
    diff = m2 - m1
    tr = torch.einsum("...ij,...ji->...", P2, c1)
    maha = torch.einsum("...i,...ij,...j->...", diff, P2, diff)
    out = 0.5 * (tr + maha - m1.shape[-1] + torch.linalg.slogdet(c2)[1] - torch.linalg.slogdet(c1)[1])
    return out.to(dt)
'''}),
    Variant("gaussian_posterior through gaussian_condition; tikhonov by the normal equations", {
        "gaussian_posterior": '''
import torch


def gaussian_posterior(y, H, sigma_y, mean, cov):
    cov_xy = cov @ H.T
    cov_yy = H @ cov_xy + sigma_y**2 * torch.eye(H.shape[0], dtype=cov.dtype)
    return gaussian_condition(mean, mean @ H.T, cov, cov_xy, cov_yy, y)
''',
        "tikhonov": '''
import torch


def tikhonov(y, H, lam, D=None):
    DtD = torch.eye(H.shape[1], dtype=H.dtype) if D is None else D.T @ D
    return torch.linalg.solve(H.T @ H + lam * DtD, (y @ H).T).T
'''}),
    Variant("gaussian_posterior in information form (Bishop's Eqs. 2.116-2.117), in float64 and cast back", {
        "gaussian_posterior": '''
import torch


def gaussian_posterior(y, H, sigma_y, mean, cov):
    dt = y.dtype
    y, H, mean, cov = y.double(), H.double(), mean.double(), cov.double()
    prior_prec = torch.linalg.inv(cov)
    post_cov = torch.linalg.inv(prior_prec + H.T @ H / sigma_y**2)  # (d, d)
    post_mean = (y @ H / sigma_y**2 + mean @ prior_prec) @ post_cov  # post_cov symmetric
    return post_mean.to(dt), post_cov.to(dt)
'''}),
    Variant("soft_threshold with sign and clamp on a tensor lam; ista_step through soft_threshold", {
        "soft_threshold": '''
import torch


def soft_threshold(v, lam):
    lam = torch.as_tensor(lam, dtype=v.dtype)
    return v.sign() * (v.abs() - lam).clamp_min(0)
''',
        "ista_step": '''
def ista_step(x, y, H, lam, step):
    return soft_threshold(x - step * ((x @ H.T - y) @ H), lam * step)
'''}),
    Variant("mixture_mmse by torch.distributions in the data's dtype", {"mixture_mmse": '''
import torch


def mixture_mmse(y, sigma, weights, means, covs):
    dt = y.dtype
    w, mu, C = weights.to(dt), means.to(dt), covs.to(dt)
    S = C + sigma**2 * torch.eye(y.shape[1], dtype=dt)
    log_p = torch.distributions.MultivariateNormal(mu, covariance_matrix=S).log_prob(y[:, None, :])  # (N, K)
    r = torch.softmax(torch.log(w) + log_p, dim=1)
    post = mu + torch.einsum("kij,nkj->nki", C, torch.linalg.solve(S, (y[:, None, :] - mu)[..., None])[..., 0])
    return torch.einsum("nk,nkd->nd", r, post)
'''}),
    Variant("the RED steps and PnP in float64 inside, cast back; PnP with its own data step", {
        "red_step_matrix": '''
import torch


def red_step_matrix(x, y, H, sigma_y, lam, mu, denoiser, sigma):
    residual = (x - denoiser(x, sigma)).double()
    grad = ((x.double() @ H.double().T - y.double()) @ H.double()) / sigma_y**2 + lam * residual
    return (x.double() - mu * grad).to(x.dtype)
''',
        "red_fixed_point_matrix": '''
def red_fixed_point_matrix(x, y, H, sigma_y, lam, denoiser, sigma):
    return data_prox_matrix(denoiser(x, sigma), y, H, sigma_y, lam)
''',
        "pnp_admm_step_matrix": '''
import torch


def pnp_admm_step_matrix(z, u, y, H, sigma_y, lam, rho, denoiser):
    A = H.T @ H / sigma_y**2 + rho * torch.eye(H.shape[1], dtype=z.dtype)
    x = torch.linalg.solve(A, (y @ H / sigma_y**2 + rho * (z - u)).T).T
    z_next = denoiser(x + u, (lam / rho) ** 0.5)
    u_next = u + x - z_next
    return x, z_next, u_next
'''}),
    Variant("RED and PnP call the denoiser with its level named, denoiser(x, sigma=...), as the notebook's accept", {
        "red_step_matrix": [("    denoised = denoiser(x, sigma)", "    denoised = denoiser(x, sigma=sigma)")],
        "red_fixed_point_matrix": [("    v = denoiser(x, sigma)", "    v = denoiser(x, sigma=sigma)")],
        "pnp_admm_step_matrix": [("    z_new = denoiser(x + u, sig)", "    z_new = denoiser(x + u, sigma=sig)")],
    }),
]

MISTAKES = [
    # gaussian_condition
    Mistake("gaussian_condition", "schur_complement_added", "gaussian_condition",
            [("cond_cov = cov_aa - torch.matmul(K, cov_ab.transpose(-1, -2))",
              "cond_cov = cov_aa + torch.matmul(K, cov_ab.transpose(-1, -2))")]),
    Mistake("gaussian_condition", "gain_without_solve", "gaussian_condition",
            [("K = torch.cholesky_solve(cov_ab.transpose(-1, -2), L).transpose(-1, -2)  # (.., da, db)",
              "K = cov_ab @ cov_bb  # forgot the inverse")]),
    # gaussian_kl
    Mistake("gaussian_kl", "kl_arguments_swapped", "gaussian_kl", '''
import torch


def gaussian_kl(mean1, cov1, mean2, cov2):
    d = mean1.shape[-1]
    P1 = torch.linalg.inv(cov1)  # the precision of the wrong Gaussian
    diff = (mean1 - mean2)[..., None]
    tr = torch.diagonal(P1 @ cov2, dim1=-2, dim2=-1).sum(-1)
    maha = (diff.transpose(-1, -2) @ P1 @ diff)[..., 0, 0]
    return 0.5 * (tr + maha - d + torch.logdet(cov1) - torch.logdet(cov2))
'''),
    Mistake("gaussian_kl", "kl_without_half", "gaussian_kl",
            [("return 0.5 * (M.pow(2).sum((-2, -1)) + w.pow(2).sum(-1) - d) + half_logdet(L2) - half_logdet(L1)",
              "return (M.pow(2).sum((-2, -1)) + w.pow(2).sum(-1) - d) + 2 * (half_logdet(L2) - half_logdet(L1))")]),
    # gaussian_score
    Mistake("gaussian_score", "score_sign_flipped", "gaussian_score",
            [("return (-(x.to(torch.float64) - mean) @ P).to(x.dtype)", "return ((x.to(torch.float64) - mean) @ P).to(x.dtype)")]),
    Mistake("gaussian_score", "covariance_not_inverted", "gaussian_score",
            [("P = torch.linalg.inv(cov.to(torch.float64))  # precision, float64", "P = cov.to(torch.float64)")]),
    Mistake("gaussian_score", "score_float64_for_float32", "gaussian_score",  # no catalog entry: the dtype check
            [("return (-(x.to(torch.float64) - mean) @ P).to(x.dtype)", "return -(x.to(torch.float64) - mean) @ P")]),
    # gaussian_posterior
    Mistake("wiener", "noise_std_not_squared", "gaussian_posterior",
            [("(sigma_y ** 2) * torch.eye(m, dtype=y.dtype)", "sigma_y * torch.eye(m, dtype=y.dtype)")]),
    Mistake("wiener", "prior_covariance_returned", "gaussian_posterior",
            [("return mean + innovation @ K.T, cov - K @ H @ cov", "return mean + innovation @ K.T, cov")]),
    # tikhonov
    Mistake("tikhonov", "ridge_ignores_D", "tikhonov",
            [("R = torch.eye(d, dtype=H.dtype) if D is None else D", "R = torch.eye(d, dtype=H.dtype)")]),
    Mistake("tikhonov", "lam_squared", "tikhonov", [("math.sqrt(lam) * R", "lam * R")]),
    # ista
    Mistake("ista", "hard_threshold", "soft_threshold", '''
import torch


def soft_threshold(v, lam):
    return v * (v.abs() > lam)  # keep the large ones
'''),
    Mistake("ista", "threshold_not_scaled_by_step", "ista_step", [("thr = lam * step", "thr = lam")]),
    Mistake("ista", "gradient_ascent", "ista_step", [("z = x - step * torch.matmul(residual, H)",
                                                     "z = x + step * torch.matmul(residual, H)")]),
    Mistake("ista", "ista_in_place", "ista_step", '''
import torch


def ista_step(x, y, H, lam, step):
    x -= step * ((x @ H.T - y) @ H)  # in place: the caller's iterate changes
    return torch.sign(x) * torch.clamp(x.abs() - lam * step, min=0)
'''),
    # mixture_mmse
    Mistake("mixture_mmse", "map_component_as_mmse", "mixture_mmse",
            [("    resp = torch.softmax(torch.stack(logs, dim=1), dim=1)  # (N, K)\n"
              "    out = sum(resp[:, k:k + 1] * posts[k] for k in range(K))\n",
              "    best = torch.stack(logs, dim=1).argmax(dim=1)  # the most probable component\n"
              "    out = torch.stack(posts, dim=1)[torch.arange(N), best]\n")], submit=True),
    Mistake("mixture_mmse", "responsibilities_of_the_prior", "mixture_mmse", '''
import math

import torch


def mixture_mmse(y, sigma, weights, means, covs):
    yy = y.double()
    d = y.shape[1]
    eye = torch.eye(d, dtype=torch.float64)
    prior = torch.distributions.MultivariateNormal(means, covariance_matrix=covs)  # the law of x, not of y
    r = torch.softmax(torch.log(weights) + prior.log_prob(yy[:, None, :]), dim=1)
    gain = covs @ torch.linalg.inv(covs + sigma**2 * eye)  # (K, d, d)
    post = means + torch.einsum("kij,nkj->nki", gain, yy[:, None, :] - means)
    return (r[..., None] * post).sum(1).to(y.dtype)
'''),
    # data_prox
    Mistake("data_prox", "prox_sigma_not_squared", "data_prox_matrix", [("prec = sigma_y ** -2", "prec = 1 / sigma_y")]),
    # red
    Mistake("red", "red_jacobian_term_kept", "red_step_matrix", '''
import torch


def red_step_matrix(x, y, H, sigma_y, lam, mu, denoiser, sigma):
    # the gradient of rho(x) = 1/2 x^T (x - D(x)) by autograd, Jacobian term and all
    with torch.enable_grad():
        xr = x.detach().clone().requires_grad_(True)
        rho = 0.5 * (xr * (xr - denoiser(xr, sigma))).sum()
        (g_rho,) = torch.autograd.grad(rho, xr)
    g_data = (x @ H.T - y) @ H / sigma_y**2
    return x - mu * (g_data + lam * g_rho)
''', submit=True),
    Mistake("red", "red_residual_sign", "red_step_matrix", [("g_prior = lam * (x - denoised)", "g_prior = lam * (denoised - x)")]),
    Mistake("red", "fixed_point_ignores_lam", "red_fixed_point_matrix",
            [("A = H.T @ H / sigma_y**2 + lam * torch.eye(x.shape[1], dtype=x.dtype)\n    b = y @ H / sigma_y**2 + lam * v",
              "A = H.T @ H / sigma_y**2 + torch.eye(x.shape[1], dtype=x.dtype)\n    b = y @ H / sigma_y**2 + v")]),
    # pnp_admm
    Mistake("pnp_admm", "dual_update_sign", "pnp_admm_step_matrix",
            [("return x, z_new, u + x - z_new", "return x, z_new, u - (x - z_new)")], submit=True),
    Mistake("pnp_admm", "denoiser_level_is_variance", "pnp_admm_step_matrix",
            [("sig = math.sqrt(lam / rho)", "sig = lam / rho")]),
    Mistake("pnp_admm", "admm_prox_at_z", "pnp_admm_step_matrix",  # not in the catalog: no message
            [("x = data_prox_matrix(z - u, y, H, sigma_y, rho)", "x = data_prox_matrix(z, y, H, sigma_y, rho)")]),
]

HOSTILE = Hostile(
    import_reference={
        "mixture_mmse": '''
def mixture_mmse(y, sigma, weights, means, covs):
    from course_core.priors import mixture_mmse as reference

    return reference(y, sigma, weights, means, covs)
''',
        "red_step_matrix": '''
from course_core.red_pnp import red_step_matrix as _reference  # the cell stops here


def red_step_matrix(x, y, H, sigma_y, lam, mu, denoiser, sigma):
    return _reference(x, y, H, sigma_y, lam, mu, denoiser, sigma)
''',
        "pnp_admm_step_matrix": '''
import importlib


def pnp_admm_step_matrix(z, u, y, H, sigma_y, lam, rho, denoiser):
    return importlib.import_module("course_core.red_pnp").pnp_admm_step_matrix(z, u, y, H, sigma_y, lam, rho, denoiser)
''',
    },
    delegating=["mixture_mmse", "red", "pnp_admm"],
    find_after="gaussian_score",
    middle="mixture_mmse",
)
