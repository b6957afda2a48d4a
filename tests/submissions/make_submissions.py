"""Write the example submissions that the grader's end-to-end tests and `make demo` grade.

    .venv/bin/python tests/submissions/make_submissions.py            # (re)write tests/submissions/<id>/
    .venv/bin/python tests/submissions/make_submissions.py --check    # exit 1 if the committed files are stale

Every submission starts from the **student** notebook (solutions replaced by `...`): `assignments/<id>/<id>.ipynb`
when the build has written it, otherwise the output of `otter assign` on the master notebook in a temporary
folder. A graded function is found as the code cell that defines it at top level (`def <name>(`); the script
replaces that whole cell with its own code (a cell that defines two functions, such as the two schedules of
hw2, is rebuilt from the code of both). Extra cells are inserted after a question's `grader.check` cell. The
written (manual) answer is the Markdown cell tagged `otter_answer_cell`.

Per assignment this writes, into `tests/submissions/<id>/`:
- `reference.ipynb`: every function correct, written differently from the master solution; the written answer.
- `skeleton.ipynb`: the untouched student notebook.
- `wrong_*.ipynb`: the reference with exactly one realistic mistake.
- `hostile_*.ipynb`: submissions that try to cheat or to take the grader down.
- `reference_export.zip`: the reference notebook as `<id>.ipynb` in a zip, as `grader.export()` would ship it.
- `expected.json`: per submission stem, `{"lose": [questions that must score below full], "zero": bool}`;
  every automatically graded question not listed must get full marks.

The output is deterministic: cell ids are derived from content, zip entries carry a fixed timestamp.
Hidden checks of a composite function (e.g. `ddpm_step`) swap in correct versions of the helpers it calls,
so a mistake in one function costs only its own question; `expected.json` relies on that.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)

# Automatically graded question -> the functions it grades (in cell order).
QUESTIONS = {
    "hw1_score": {
        "gmm_score": ["gmm_score"],
        "tweedie_denoiser": ["tweedie_denoiser"],
        "dsm_loss": ["dsm_loss"],
        "langevin_step": ["langevin_step"],
        "annealed_langevin": ["annealed_langevin"],
    },
    "hw2_ddpm": {
        "schedules": ["linear_beta_schedule", "cosine_beta_schedule"],
        "q_sample": ["q_sample"],
        "q_posterior": ["q_posterior_mean_variance"],
        "predict_x0": ["predict_x0_from_eps"],
        "ddpm_step": ["ddpm_step"],
        "l_simple": ["l_simple"],
        "ddpm_sample": ["ddpm_sample"],
        "normal_kl": ["normal_kl"],
        "vlb_bpd": ["vlb_bits_per_dim"],
    },
}


@dataclass
class Submission:
    """How to turn the student notebook into one submission, and what it must score."""

    stem: str
    functions: dict = field(default_factory=dict)  # function name -> code that replaces its definition
    manual: str | None = None  # the written answer (Markdown)
    inserts: list = field(default_factory=list)  # (after this function's question, code of a new cell)
    lose: list = field(default_factory=list)  # questions that must score below full
    zero: bool = False  # every automatically graded question must score 0


# =====================================================================================================
# hw1_score: correct code, written differently from the master solution
# =====================================================================================================
HW1 = {}

HW1["gmm_score"] = '''
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

HW1["tweedie_denoiser"] = '''
import torch


def tweedie_denoiser(y, score, sigma):
    """E[x | y] = y + sigma^2 score (Tweedie)."""
    return torch.add(y, score, alpha=sigma * sigma)
'''

HW1["dsm_loss"] = '''
def dsm_loss(score_model, x0, sigma, noise):
    """Song & Ermon 2019, Eq. (5)-(6) written with the kernel score -(x_tilde - x0) / sigma^2, lambda = sigma^2."""
    s = sigma.view(-1, 1)
    x_tilde = x0 + s * noise
    target = -(x_tilde - x0) / s**2  # grad log q_sigma(x_tilde | x0)
    per_sample = 0.5 * sigma**2 * ((score_model(x_tilde, sigma) - target) ** 2).sum(dim=1)  # (B,)
    return per_sample.mean()
'''

HW1["langevin_step"] = '''
import torch


def langevin_step(x, score, step_size, noise):
    """x + delta score + sqrt(2 delta) z."""
    return torch.add(x, score, alpha=step_size) + (2.0 * step_size) ** 0.5 * noise
'''

HW1["annealed_langevin"] = '''
def annealed_langevin(x, score_fn, sigmas, eps, n_steps, noise):
    """Song & Ermon 2019, Algorithm 1."""
    alphas = eps * (sigmas / sigmas[-1]) ** 2  # (L,)
    for i, sigma in enumerate(sigmas):
        step = float(alphas[i]) / 2
        for j in range(n_steps):
            x = langevin_step(x, score_fn(x, sigma), step, noise[i][j])
    return x
'''

HW1_MANUAL = """
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

# ---- one mistake each ------------------------------------------------------------------------------
HW1_WRONG = {
    "wrong_langevin_no_factor2": ("langevin_step", '''
import math


def langevin_step(x, score, step_size, noise):
    return x + step_size * score + math.sqrt(step_size) * noise
'''),
    "wrong_unweighted_responsibilities": ("gmm_score", '''
import torch


def gmm_score(x, weights, means, covs):
    # The mixture weights are left out of the responsibilities.
    weights, means, covs = (v.to(x.dtype) for v in (weights, means, covs))
    diff = x[:, None, :] - means[None]  # (N, K, d)
    prec_diff = torch.einsum("kij,nkj->nki", torch.linalg.inv(covs), diff)  # (N, K, d)
    logdet = torch.linalg.slogdet(covs).logabsdet
    resp = torch.softmax(-0.5 * logdet - 0.5 * (diff * prec_diff).sum(-1), dim=1)  # (N, K)
    return -(resp[..., None] * prec_diff).sum(1)
'''),
    "wrong_tweedie_sigma": ("tweedie_denoiser", '''
def tweedie_denoiser(y, score, sigma):
    return y + sigma * score
'''),
    "wrong_dsm_no_sigma_weight": ("dsm_loss", '''
def dsm_loss(score_model, x0, sigma, noise):
    # lambda(sigma) = 1 instead of sigma**2.
    x_tilde = x0 + sigma[:, None] * noise
    return 0.5 * ((score_model(x_tilde, sigma) + noise / sigma[:, None]) ** 2).sum(1).mean()
'''),
    "wrong_annealed_step_size": ("annealed_langevin", '''
def annealed_langevin(x, score_fn, sigmas, eps, n_steps, noise):
    for i in range(len(sigmas)):
        alpha_i = eps * float(sigmas[i]) ** 2 / float(sigmas[-1]) ** 2
        for j in range(n_steps):
            x = langevin_step(x, score_fn(x, sigmas[i]), alpha_i, noise[i, j])  # forgot alpha_i / 2
    return x
'''),
}

# =====================================================================================================
# hw2_ddpm: correct code, written differently from the master solution
# =====================================================================================================
HW2 = {}

HW2["linear_beta_schedule"] = '''
import math

import torch


def linear_beta_schedule(T, beta_start=1e-4, beta_end=0.02):
    """Ho et al. 2020, section 4."""
    frac = torch.arange(T, dtype=torch.float64) / max(T - 1, 1)  # 0, ..., 1
    return beta_start + (beta_end - beta_start) * frac
'''

HW2["cosine_beta_schedule"] = '''
def cosine_beta_schedule(T, s=0.008, max_beta=0.999):
    """Nichol & Dhariwal 2021, Eq. (17), through alpha_bar_t = f(t) / f(0)."""
    steps = torch.linspace(0, T, T + 1, dtype=torch.float64)
    alpha_bar = torch.cos((steps / T + s) / (1 + s) * (math.pi / 2)) ** 2
    alpha_bar = alpha_bar / alpha_bar[0]
    beta = 1 - alpha_bar[1:] / alpha_bar[:-1]
    return torch.minimum(beta, torch.full_like(beta, max_beta))
'''

HW2["q_sample"] = '''
import torch


def q_sample(x0, t, noise, alpha_bar):
    """Ho et al. 2020, Eq. (4), gathering alpha_bar_t with torch.gather."""
    ab = torch.gather(alpha_bar.to(x0.dtype), 0, t).view(-1, *([1] * (x0.ndim - 1)))
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise
'''

HW2["q_posterior_mean_variance"] = '''
import torch
import torch.nn.functional as F


def q_posterior_mean_variance(x0, x_t, t, beta):
    """Ho et al. 2020, Eq. (6)-(7); alpha_bar through a cumulative sum of logs."""
    beta = beta.to(x0.dtype)
    log_alpha = torch.log1p(-beta)
    alpha_bar = torch.exp(torch.cumsum(log_alpha, 0))
    alpha_bar_prev = F.pad(alpha_bar[:-1], (1, 0), value=1.0)
    view = lambda v: torch.gather(v, 0, t).view(-1, *([1] * (x0.ndim - 1)))
    b, log_a, ab, ab_prev = view(beta), view(log_alpha), view(alpha_bar), view(alpha_bar_prev)
    coef_x0 = ab_prev.sqrt() * b / (1 - ab)
    coef_xt = torch.exp(0.5 * log_a) * (1 - ab_prev) / (1 - ab)
    return coef_x0 * x0 + coef_xt * x_t, (1 - ab_prev) * b / (1 - ab)
'''

HW2["predict_x0_from_eps"] = '''
import torch


def predict_x0_from_eps(x_t, t, eps, alpha_bar):
    """x0 = x_t / sqrt(alpha_bar) - sqrt(1 / alpha_bar - 1) eps (improved-diffusion's form)."""
    ab = torch.gather(alpha_bar.to(x_t.dtype), 0, t).view(-1, *([1] * (x_t.ndim - 1)))
    return torch.rsqrt(ab) * x_t - torch.sqrt(1 / ab - 1) * eps
'''

HW2["ddpm_step"] = '''
import torch


def ddpm_step(x_t, t, eps_pred, beta, noise, variance="small"):
    """Ho et al. 2020, Algorithm 2 with the mean of Eq. (11)."""
    beta = beta.to(x_t.dtype)
    alpha = 1 - beta
    alpha_bar = torch.cumprod(alpha, 0)
    alpha_bar_prev = torch.cat([torch.ones_like(alpha_bar[:1]), alpha_bar[:-1]])
    view = lambda v: v[t].view(-1, *([1] * (x_t.ndim - 1)))
    b, a, ab, ab_prev = view(beta), view(alpha), view(alpha_bar), view(alpha_bar_prev)
    mean = (x_t - b / torch.sqrt(1 - ab) * eps_pred) / torch.sqrt(a)  # Eq. (11)
    sigma2 = b if variance == "large" else (1 - ab_prev) / (1 - ab) * b
    last = (t == 0).view(-1, *([1] * (x_t.ndim - 1)))  # no noise at index 0
    return torch.where(last, mean, mean + torch.sqrt(sigma2) * noise)
'''

HW2["l_simple"] = '''
import torch.nn.functional as F


def l_simple(eps_model, x0, t, noise, alpha_bar):
    """Ho et al. 2020, Eq. (14)."""
    return F.mse_loss(eps_model(q_sample(x0, t, noise, alpha_bar), t), noise)
'''

HW2["ddpm_sample"] = '''
import torch


def ddpm_sample(eps_model, x_T, beta, noise, variance="small"):
    """Ho et al. 2020, Algorithm 2."""
    x = x_T
    T = beta.shape[0]
    for step in range(T - 1, -1, -1):
        t = torch.full((x.shape[0],), step, dtype=torch.long, device=x.device)
        eps = eps_model(x, t)
        x = ddpm_step(x, t, eps, beta, noise[step], variance)
    return x
'''

HW2["normal_kl"] = '''
import torch


def normal_kl(mean1, logvar1, mean2, logvar2):
    """KL between diagonal Gaussians, written as log-ratio plus moment term."""
    return 0.5 * (logvar2 - logvar1) + (torch.exp(logvar1) + (mean1 - mean2) ** 2) / (2 * torch.exp(logvar2)) - 0.5
'''

HW2["vlb_bits_per_dim"] = '''
import math

import torch

import toy


def vlb_bits_per_dim(eps_model, x0, beta, noise):
    """Ho et al. 2020, Eq. (5) in bits per dimension; the steps are visited from T-1 down to 0."""
    T, B = beta.shape[0], x0.shape[0]
    alpha_bar = torch.cumprod(1 - beta.to(x0.dtype), 0)
    per_sample = lambda v: v.flatten(1).mean(1)  # (B, *D) -> (B,)
    zero = torch.zeros_like(x0)
    ab_T = alpha_bar[T - 1]
    nats = per_sample(normal_kl(ab_T.sqrt() * x0, torch.log1p(-ab_T) + zero, zero, zero))
    for step in range(T - 1, -1, -1):
        t = torch.full((B,), step, dtype=torch.int64)
        x_t = q_sample(x0, t, noise[step], alpha_bar)
        x0_pred = predict_x0_from_eps(x_t, t, eps_model(x_t, t), alpha_bar)
        if step > 0:
            mean_q, var_q = q_posterior_mean_variance(x0, x_t, t, beta)
            mean_p, var_p = q_posterior_mean_variance(x0_pred, x_t, t, beta)
            nats = nats + per_sample(normal_kl(mean_q, var_q.log(), mean_p, var_p.log()))
        else:
            _, var_1 = q_posterior_mean_variance(x0, x0, torch.ones_like(t), beta)  # the posterior variance of index 1
            log_scale = 0.5 * torch.log(var_1)
            nats = nats - per_sample(toy.discretized_gaussian_log_likelihood(x0, x0_pred, log_scale))
    return nats / math.log(2.0)
'''

HW2_MANUAL = r"""
Bayes' rule with the Markov property, $q(x_t \mid x_{t-1}, x_0) = q(x_t \mid x_{t-1})$:

$$q(x_{t-1} \mid x_t, x_0) \propto q(x_t \mid x_{t-1})\, q(x_{t-1} \mid x_0)
= \mathcal N(x_t; \sqrt{\alpha_t} x_{t-1}, \beta_t)\, \mathcal N(x_{t-1}; \sqrt{\bar\alpha_{t-1}} x_0, 1 - \bar\alpha_{t-1}).$$

Per coordinate, the log of the right-hand side is, up to terms without $x_{t-1}$,
$-\tfrac12 \big(A x_{t-1}^2 - 2 b\, x_{t-1}\big)$ with
$A = \frac{\alpha_t}{\beta_t} + \frac{1}{1 - \bar\alpha_{t-1}}$ and
$b = \frac{\sqrt{\alpha_t}}{\beta_t} x_t + \frac{\sqrt{\bar\alpha_{t-1}}}{1 - \bar\alpha_{t-1}} x_0$.
Completing the square gives a Gaussian with variance $1/A$ and mean $b/A$. Since
$\alpha_t(1 - \bar\alpha_{t-1}) + \beta_t = \alpha_t - \bar\alpha_t + 1 - \alpha_t = 1 - \bar\alpha_t$,

$$\tilde\beta_t = \frac1A = \frac{\beta_t (1 - \bar\alpha_{t-1})}{1 - \bar\alpha_t}, \qquad
\tilde\mu_t = \frac bA = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1 - \bar\alpha_t} x_0 + \frac{\sqrt{\alpha_t}(1 - \bar\alpha_{t-1})}{1 - \bar\alpha_t} x_t .$$

For $t = 1$, $\bar\alpha_0 = 1$ gives $\tilde\beta_1 = 0$ and $\tilde\mu_1 = x_0$.
"""

HW2_WRONG = {
    "wrong_alpha_for_alpha_bar": ("q_posterior_mean_variance", '''
import torch


def q_posterior_mean_variance(x0, x_t, t, beta):
    # alpha_t is used where alpha_bar_t belongs (in 1 - alpha_bar_t).
    beta = beta.to(x0.dtype)
    alpha = 1 - beta
    alpha_bar = torch.cumprod(alpha, 0)
    alpha_bar_prev = torch.cat([alpha_bar.new_ones(1), alpha_bar[:-1]])
    shape = (-1, *[1] * (x0.dim() - 1))
    b, a, ab_prev = (v[t].reshape(shape) for v in (beta, alpha, alpha_bar_prev))
    mean = torch.sqrt(ab_prev) * b / (1 - a) * x0 + torch.sqrt(a) * (1 - ab_prev) / (1 - a) * x_t
    return mean, (1 - ab_prev) / (1 - a) * b
'''),
    "wrong_missing_sqrt": ("q_sample", '''
def q_sample(x0, t, noise, alpha_bar):
    ab = alpha_bar.to(x0.dtype)[t].reshape(-1, *[1] * (x0.dim() - 1))
    return ab * x0 + torch.sqrt(1 - ab) * noise  # missing sqrt on alpha_bar
'''),
    "wrong_noise_at_t0": ("ddpm_step", '''
def ddpm_step(x_t, t, eps_pred, beta, noise, variance="small"):
    alpha_bar = torch.cumprod(1 - beta, 0)
    x0_pred = predict_x0_from_eps(x_t, t, eps_pred, alpha_bar)
    mean, var = q_posterior_mean_variance(x0_pred, x_t, t, beta)
    if variance == "large":
        var = beta.to(x_t.dtype)[t].reshape(-1, *[1] * (x_t.dim() - 1))
    return mean + torch.sqrt(var) * noise  # also adds noise at t == 0
'''),
    "wrong_posterior_var_beta": ("q_posterior_mean_variance", '''
def q_posterior_mean_variance(x0, x_t, t, beta):
    beta = beta.to(x0.dtype)
    alpha = 1 - beta
    alpha_bar = torch.cumprod(alpha, 0)
    alpha_bar_prev = torch.cat([alpha_bar.new_ones(1), alpha_bar[:-1]])
    shape = (-1, *[1] * (x0.dim() - 1))
    b, a, ab, ab_prev = (v[t].reshape(shape) for v in (beta, alpha, alpha_bar, alpha_bar_prev))
    mean = torch.sqrt(ab_prev) * b / (1 - ab) * x0 + torch.sqrt(a) * (1 - ab_prev) / (1 - ab) * x_t
    return mean, b  # beta_t instead of the posterior variance
'''),
    "wrong_cosine_no_offset": ("cosine_beta_schedule", '''
def cosine_beta_schedule(T, s=0.008, max_beta=0.999):
    u = torch.arange(T + 1, dtype=torch.float64)
    f = torch.cos(u / T * math.pi / 2) ** 2  # the offset s is missing
    return torch.clamp(1 - f[1:] / f[:-1], max=max_beta)
'''),
    "wrong_kl_sign": ("normal_kl", '''
def normal_kl(mean1, logvar1, mean2, logvar2):
    return 0.5 * (-1.0 + logvar1 - logvar2 + torch.exp(logvar1 - logvar2) + (mean1 - mean2) ** 2 * torch.exp(-logvar2))
'''),
}

# =====================================================================================================
# Hostile submissions (shared pieces)
# =====================================================================================================
FIND_COURSE_CORE = '''
# Look for the course's reference code above this notebook and make it importable.
import os
import sys

here = os.path.abspath(os.getcwd())
for _ in range(8):
    if os.path.isdir(os.path.join(here, "course_core")):
        sys.path.insert(0, here)
        break
    here = os.path.dirname(here)
import course_core  # fails when the grader keeps the reference out of reach
'''

OS_EXIT = '''
import os

os._exit(1)
'''

KILL_PARENT = '''
import os

os.kill(os.getppid(), 9)
'''

INFINITE_LOOP = '''
while True:
    pass
'''


def monkeypatch_cells(assignment: str) -> list[str]:
    """Cells that try to make every check pass without solving anything (each attempt guarded)."""
    return [f'''
# Patch the reference code, the hidden checks and the test libraries, in case any of them runs in this kernel.
import sys
import types

for attempt in [
    "import course_core.gmm as m; m.gmm_score = lambda *a, **k: None",
    "import course_core.ddpm as m; m.q_sample = lambda *a, **k: None",
    "import autograder.checks.{assignment} as m; m.SUITE.checks.clear()",
    "import autograder.framework as m; m.assert_close = lambda *a, **k: None",
    "import hypothesis; hypothesis.given = lambda *a, **k: (lambda f: (lambda *x, **y: None))",
    "import otter.test_files.exception_test as m; m.test_case.call_func = lambda self, env: None",
    "import otter.test_files.abstract_test as m; m.TestFile.score = property(lambda self: self.value)",
    "import otter.test_files.abstract_test as m; m.TestFile.passed_all = property(lambda self: True)",
]:
    try:
        exec(attempt)
    except Exception as e:
        print("patch failed:", attempt.split(";")[0], type(e).__name__)

fake = types.ModuleType("course_core")
fake.__path__ = []
sys.modules.setdefault("course_core", fake)
''', '''
# Make every comparison succeed.
import builtins

import numpy as np
import torch

torch.allclose = lambda *args, **kwargs: True
torch.equal = lambda *args, **kwargs: True
torch.testing.assert_close = lambda *args, **kwargs: None
torch.Tensor.__eq__ = lambda self, other: True
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
builtins.AssertionError = type("AssertionError", (Exception,), {})
builtins.isinstance = lambda obj, cls: True
''', '''
# Leave a perfect score where a grader might look for one.
import json
import os

fake = {"score": 100, "tests": [{"name": "all", "score": 100, "max_score": 100}]}
for path in ["results.json", os.path.join("..", "results.json"), os.path.join("..", "results", "results.json")]:
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w") as f:
            json.dump(fake, f)
    except OSError:
        pass
''']


HW1_IMPORT_REFERENCE = {
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
}

HW2_IMPORT_REFERENCE = {
    "q_sample": '''
def q_sample(x0, t, noise, alpha_bar):
    from course_core.ddpm import q_sample as reference

    return reference(x0, t, noise, alpha_bar)
''',
    "q_posterior_mean_variance": '''
from course_core.ddpm import q_posterior_mean_variance as _reference  # the cell stops here


def q_posterior_mean_variance(x0, x_t, t, beta):
    return _reference(x0, x_t, t, beta)
''',
    "normal_kl": '''
import importlib


def normal_kl(mean1, logvar1, mean2, logvar2):
    return importlib.import_module("course_core.ddpm").normal_kl(mean1, logvar1, mean2, logvar2)
''',
    "vlb_bits_per_dim": '''
def vlb_bits_per_dim(eps_model, x0, beta, noise):
    import course_core.ddpm

    return course_core.ddpm.vlb_bits_per_dim(eps_model, x0, beta, noise)
''',
}


def _with_loop(code: str, name: str) -> str:
    """The function `name` in `code`, with `while True: pass` as the first statement of its body."""
    tree = ast.parse(code)
    [fn] = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
    lines = code.split("\n")
    first = fn.body[0]
    indent = " " * first.col_offset
    at = first.lineno - 1  # 0-based line of the first body statement
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):  # keep a docstring first
        at = first.end_lineno
    lines[at:at] = [f"{indent}while True:  # never returns", f"{indent}    pass"]
    return "\n".join(lines)


def _with_sys_exit(code: str, name: str) -> str:
    """The function `name` in `code`, calling `sys.exit(0)` before doing anything."""
    tree = ast.parse(code)
    [fn] = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
    lines = code.split("\n")
    first = fn.body[0]
    indent = " " * first.col_offset
    at = first.end_lineno if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) else first.lineno - 1
    lines[at:at] = [f"{indent}import sys", "", f"{indent}sys.exit(0)"]
    return "\n".join(lines)


def submissions(assignment: str) -> list[Submission]:
    """Every submission of one assignment, with what it must score."""
    if assignment == "hw1_score":
        ref, manual, wrong = HW1, HW1_MANUAL, HW1_WRONG
        imports, delegating = HW1_IMPORT_REFERENCE, ["gmm_score", "tweedie_denoiser", "dsm_loss"]
        middle, last, looping, exiting = "dsm_loss", "annealed_langevin", "langevin_step", "tweedie_denoiser"
        find_after = "tweedie_denoiser"  # the path search runs before dsm_loss's cell
    else:
        ref, manual, wrong = HW2, HW2_MANUAL, HW2_WRONG
        imports, delegating = HW2_IMPORT_REFERENCE, ["q_sample", "q_posterior", "normal_kl", "vlb_bpd"]
        middle, last, looping, exiting = "q_posterior_mean_variance", "vlb_bits_per_dim", "normal_kl", "l_simple"
        find_after = "q_sample"
    questions = QUESTIONS[assignment]
    question_of = {fn: q for q, fns in questions.items() for fn in fns}
    everything = list(questions)

    subs = [
        Submission("reference", functions=dict(ref), manual=manual),
        Submission("skeleton", lose=everything, zero=True),
    ]
    for stem, (fn, code) in wrong.items():
        subs.append(Submission(stem, functions={**ref, fn: code}, manual=manual, lose=[question_of[fn]]))
    subs += [
        Submission("hostile_import_reference", functions={**ref, **imports}, manual=manual,
                   inserts=[(find_after, FIND_COURSE_CORE)], lose=delegating),
        Submission("hostile_monkeypatch", inserts=[(middle, cell) for cell in monkeypatch_cells(assignment)],
                   lose=everything, zero=True),
        Submission("hostile_os_exit", functions=dict(ref), manual=manual, inserts=[(middle, OS_EXIT)]),
        Submission("hostile_infinite_loop", functions={**ref, looping: _with_loop(ref[looping], looping)},
                   manual=manual, inserts=[(middle, INFINITE_LOOP)], lose=[question_of[looping]]),
        Submission("hostile_sys_exit_in_function", functions={**ref, exiting: _with_sys_exit(ref[exiting], exiting)},
                   manual=manual, lose=[question_of[exiting]]),
        Submission("hostile_kill_parent", functions=dict(ref), manual=manual, inserts=[(last, KILL_PARENT)]),
    ]
    return subs


# =====================================================================================================
# Building notebooks
# =====================================================================================================
def student_notebook(assignment: str) -> nbformat.NotebookNode:
    """The student notebook: the build's output if present, else `otter assign` on the master in a temp folder."""
    built = REPO / "assignments" / assignment / f"{assignment}.ipynb"
    if built.exists():
        return nbformat.read(built, as_version=4)
    with tempfile.TemporaryDirectory(prefix=f"submissions-{assignment}-") as tmp:
        stage = Path(tmp) / "stage"
        stage.mkdir()
        shutil.copy(REPO / "solutions" / assignment / f"{assignment}.ipynb", stage)
        shutil.copy(REPO / "course_core" / "toy.py", stage)
        proc = subprocess.run([sys.executable, "-m", "otter", "assign", f"{assignment}.ipynb", str(Path(tmp) / "out")],
                              cwd=stage, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"otter assign failed for {assignment}:\n{(proc.stdout + proc.stderr)[-3000:]}")
        return nbformat.read(Path(tmp) / "out" / "student" / f"{assignment}.ipynb", as_version=4)


def defined_functions(cell) -> list[str]:
    """Names of the functions a code cell defines at top level (empty if it does not parse)."""
    if cell.cell_type != "code":
        return []
    try:
        tree = ast.parse(cell.source)
    except SyntaxError:
        return []
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]


def _is_check_cell(cell) -> bool:
    return cell.cell_type == "code" and cell.source.strip().startswith("grader.check(")


def _question_end(cells, function: str) -> int:
    """Index just after the cell that defines `function` and its `grader.check` cell."""
    [i] = [i for i, c in enumerate(cells) if function in defined_functions(c)]
    i += 1
    if i < len(cells) and _is_check_cell(cells[i]):
        i += 1
    return i


def normalize(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """No outputs, cell ids derived from content (as `diffcourse build` does)."""
    for i, cell in enumerate(nb.cells):
        cell.id = hashlib.sha1(f"{i}:{cell.cell_type}:{cell.source}".encode()).hexdigest()[:8]
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
    return nb


def make_notebook(student: nbformat.NotebookNode, sub: Submission, assignment: str) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(json.loads(json.dumps(student)))  # deep copy
    graded = [fn for fns in QUESTIONS[assignment].values() for fn in fns]
    for cell in nb.cells:
        names = defined_functions(cell)
        if any(n in sub.functions for n in names):
            unknown = [n for n in names if n not in sub.functions]
            if unknown:
                raise SystemExit(f"{assignment}/{sub.stem}: no code for {unknown} (cell also defines {names})")
            cell.source = "\n\n\n".join(sub.functions[n].strip("\n") for n in names)
    found = {n for c in nb.cells for n in defined_functions(c)}
    missing = [fn for fn in graded if fn not in found and fn not in sub.functions]
    if missing:
        raise SystemExit(f"{assignment}: the student notebook defines no cell for {missing}")
    if sub.manual is not None:
        answers = [c for c in nb.cells if c.cell_type == "markdown" and "otter_answer_cell" in c.metadata.get("tags", [])]
        if len(answers) != 1:
            raise SystemExit(f"{assignment}: expected one written-answer cell, found {len(answers)}")
        answers[0].source = sub.manual.strip("\n")
    # Insert from the bottom up so that earlier anchors keep their positions.
    positions = [(_question_end(nb.cells, fn), k, code) for k, (fn, code) in enumerate(sub.inserts)]
    for at, _, code in sorted(positions, key=lambda p: (-p[0], -p[1])):
        nb.cells.insert(at, nbformat.v4.new_code_cell(code.strip("\n")))
    return normalize(nb)


def _zip_bytes(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, data)
    return buf.getvalue()


def generate(assignment: str) -> dict[str, bytes]:
    """File name -> content of everything this script writes for one assignment."""
    student = student_notebook(assignment)
    files, expected = {}, {}
    for sub in submissions(assignment):
        files[f"{sub.stem}.ipynb"] = nbformat.writes(make_notebook(student, sub, assignment)).encode()
        expected[sub.stem] = {"lose": sub.lose, "zero": sub.zero}
    files["reference_export.zip"] = _zip_bytes(f"{assignment}.ipynb", files["reference.ipynb"])
    expected["reference_export"] = {"lose": [], "zero": False}
    files["expected.json"] = (json.dumps(expected, indent=2, sort_keys=True) + "\n").encode()
    return files


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", default=list(QUESTIONS), help="assignment ids (default: all)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed files differ from what would be written")
    args = parser.parse_args(argv)
    stale = []
    for assignment in args.assignments:
        if assignment not in QUESTIONS:
            parser.error(f"unknown assignment {assignment!r}")
        folder = HERE / assignment
        files = generate(assignment)
        if args.check:
            on_disk = {p.name for p in folder.iterdir() if p.is_file()} if folder.exists() else set()
            for name, data in files.items():
                path = folder / name
                if not path.exists() or path.read_bytes() != data:
                    stale.append(f"{assignment}/{name}")
            stale += [f"{assignment}/{name} (not generated)" for name in sorted(on_disk - set(files))]
        else:
            folder.mkdir(parents=True, exist_ok=True)
            for name in sorted({p.name for p in folder.iterdir() if p.is_file()} - set(files)):
                (folder / name).unlink()
            for name, data in files.items():
                (folder / name).write_bytes(data)
            print(f"wrote {len(files)} files to {folder.relative_to(REPO)}")
    if stale:
        print("stale example submissions (run .venv/bin/python tests/submissions/make_submissions.py):")
        print("\n".join(f"  {s}" for s in stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
