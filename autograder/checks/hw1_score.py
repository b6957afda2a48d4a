"""Hidden checks of hw1_score: the score of a Gaussian mixture, Tweedie, DSM, Langevin.

Reads side by side with `solutions/hw1_score/hw1_score.ipynb`, `course_core/gmm.py` and `course_core/score.py`.
Data comes in float64 and float32 (results keep the data's dtype); the mixture parameters and the noise
levels stay float64. Tolerances are elementwise (`compare.py`); where a result is a sum of larger terms,
the bound is relative to the size of those terms.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from hypothesis import strategies as st

from course_core import gmm
from course_core import score as ref

from ..boundary.codec import TestModel
from .cases import DTYPES, edged, expected, expected_loss, floats, mixes, normal, random_mixture, rng, seeds, test_model
from .compare import LOOP, Tol, assert_close, assert_loss
from .framework import Suite

# Every function over tensors that another one may call (annealed Langevin through the step); see Suite.
SUITE = Suite("hw1_score", helpers=[gmm.gmm_score, ref.tweedie_denoiser, ref.langevin_step])
F64 = torch.float64


def _zero_model(d: int) -> TestModel:
    return TestModel(W=torch.zeros(d, d), b=torch.zeros(d), c=torch.zeros(d), A=torch.zeros(d, d), time="level")


# -- gmm_score (6) -----------------------------------------------------------------------------------
def _score_terms(x, weights, means, covs):
    """Elementwise size of the terms of -sum_k r_k Sigma_k^{-1} (x - mu_k): sum_k r_k |P_k| (|x| + |mu_k|)."""
    x = x.to(F64)
    r = gmm.gmm_responsibilities(x, weights, means, covs)  # (N, K)
    prec = torch.linalg.inv(covs).abs()  # (K, d, d)
    size = x.abs()[:, None, :] + means.abs()[None]  # (N, K, d)
    return (r[..., None] * torch.einsum("kij,nkj->nki", prec, size)).sum(1)


@SUITE.check("gmm_score", 1, function="gmm_score", hidden=False)
def gmm_score_standard_gaussian(student):
    """gmm_score of one standard Gaussian is -x, shape (N, d)"""
    x = torch.tensor([[1.0, 2.0], [-0.5, 0.0], [3.0, -1.0]], dtype=F64)
    got = student("gmm_score", x=x, weights=torch.ones(1, dtype=F64), means=torch.zeros(1, 2, dtype=F64),
                  covs=torch.eye(2, dtype=F64)[None])
    assert_close(got, -x, "gmm_score", dtype=F64)


@SUITE.property("gmm_score", 3, function="gmm_score", m=mixes())
def gmm_score_matches_mixture(student, m):
    """gmm_score equals the exact score of random mixtures (full covariances, unequal weights), float32 and float64"""
    g = rng(m.seed)
    weights, means, covs = random_mixture(g, m.K, m.d)
    x = normal(g, m.N, m.d, scale=3.0, dtype=m.torch_dtype)
    got = student("gmm_score", x=x, weights=weights, means=means, covs=covs)
    assert_close(got, expected(gmm.gmm_score, x, weights, means, covs), "gmm_score", dtype=x.dtype,
                 scale=_score_terms(x, weights, means, covs))


@SUITE.property("gmm_score", 1, function="gmm_score", w=edged(st.floats(0.05, 0.95).filter(lambda w: abs(w - 0.5) > 0.1),
                                                                0.1, 0.9), seed=seeds())
def gmm_score_uses_weights(student, w, seed):
    """gmm_score weighs components by their mixture weights (two components, weights w and 1 - w)"""
    g = rng(seed)
    weights = torch.tensor([w, 1 - w], dtype=F64)
    means = torch.tensor([[-1.0, 0.0], [1.0, 0.0]], dtype=F64)
    covs = torch.eye(2, dtype=F64).expand(2, 2, 2).clone() * 0.5
    x = normal(g, 4, 2, scale=0.7)
    got = student("gmm_score", x=x, weights=weights, means=means, covs=covs)
    assert_close(got, gmm.gmm_score(x, weights, means, covs), "gmm_score", dtype=F64,
                 scale=_score_terms(x, weights, means, covs))


@SUITE.property("gmm_score", 1, function="gmm_score", m=mixes(dtypes=("float64",)), distance=floats(50.0, 500.0))
def gmm_score_stable_far_away(student, m, distance):
    """gmm_score stays finite and exact far from every mode (needs log-sum-exp responsibilities)"""
    g = rng(m.seed)
    weights, means, covs = random_mixture(g, m.K, m.d)
    direction = normal(g, m.N, m.d)
    x = distance * direction / direction.norm(dim=1, keepdim=True)
    got = student("gmm_score", x=x, weights=weights, means=means, covs=covs)
    assert_close(got, gmm.gmm_score(x, weights, means, covs), "gmm_score far from the modes", dtype=F64,
                 scale=_score_terms(x, weights, means, covs))


# -- tweedie_denoiser (3) ----------------------------------------------------------------------------
@SUITE.check("tweedie_denoiser", 1, function="tweedie_denoiser", hidden=False)
def tweedie_fixed(student):
    """tweedie_denoiser(y=[1, 2], score=[0.5, -1], sigma=2) = [3, -2]"""
    got = student("tweedie_denoiser", y=torch.tensor([[1.0, 2.0]], dtype=F64),
                  score=torch.tensor([[0.5, -1.0]], dtype=F64), sigma=2.0)
    assert_close(got, torch.tensor([[3.0, -2.0]], dtype=F64), "tweedie_denoiser", dtype=F64)


@SUITE.property("tweedie_denoiser", 1, function="tweedie_denoiser", m=mixes(), sigma=floats(0.01, 5.0))
def tweedie_formula(student, m, sigma):
    """tweedie_denoiser maps (y, score, sigma) to the posterior mean for random inputs, float32 and float64"""
    g = rng(m.seed)
    y, s = normal(g, m.N, m.d, scale=2.0, dtype=m.torch_dtype), normal(g, m.N, m.d, dtype=m.torch_dtype)
    got = student("tweedie_denoiser", y=y, score=s, sigma=sigma)
    assert_close(got, expected(ref.tweedie_denoiser, y, s, sigma), "tweedie_denoiser", dtype=y.dtype,
                 scale=y.abs() + sigma**2 * s.abs())


@SUITE.property("tweedie_denoiser", 1, function="tweedie_denoiser", m=mixes(), sigma=floats(0.05, 3.0))
def tweedie_is_exact_denoiser(student, m, sigma):
    """tweedie_denoiser with the exact noisy score gives the exact E[x | y] of a Gaussian mixture"""
    g = rng(m.seed)
    mixture = gmm.GaussianMixture(*random_mixture(g, m.K, m.d))
    noisy = mixture.noised_ve(sigma)
    y = noisy.sample(m.N, generator=torch.Generator().manual_seed(m.seed))
    s = noisy.score(y)
    got = student("tweedie_denoiser", y=y.to(m.torch_dtype), score=s.to(m.torch_dtype), sigma=sigma)
    assert_close(got, mixture.denoise_ve(y, sigma), "tweedie_denoiser(y, exact score, sigma) vs E[x | y]",
                 dtype=m.torch_dtype, scale=y.abs() + sigma**2 * s.abs())


# -- dsm_loss (4) ------------------------------------------------------------------------------------
@SUITE.check("dsm_loss", 1, function="dsm_loss", hidden=False)
def dsm_loss_zero_model(student):
    """dsm_loss is a scalar; with a model that returns 0 it is mean 0.5 ||noise||^2 = 1.25 here, and its gradient
    with respect to the model's parameters is right"""
    inputs = dict(score_model=_zero_model(2), x0=torch.zeros(2, 2, dtype=F64),
                  sigma=torch.tensor([0.5, 2.0], dtype=F64), noise=torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=F64))
    got = student.loss("dsm_loss", model="score_model", **inputs)
    assert_loss(got, expected_loss(ref.dsm_loss, model="score_model", **inputs), "dsm_loss", dtype=F64)


@SUITE.property("dsm_loss", 3, function="dsm_loss", m=mixes(), log_sigma=floats(-4.0, 2.0))
def dsm_loss_matches(student, m, log_sigma):
    """dsm_loss equals Song & Ermon's sigma^2-weighted denoising score matching loss, in value and in its
    gradient with respect to the model's parameters"""
    g = rng(m.seed)
    model = test_model(g, m.d, time="level")
    x0, noise = normal(g, m.N, m.d, scale=2.0, dtype=m.torch_dtype), normal(g, m.N, m.d, dtype=m.torch_dtype)
    sigma = torch.exp(log_sigma + torch.from_numpy(g.uniform(-1, 1, size=m.N)))
    inputs = dict(score_model=model, x0=x0, sigma=sigma, noise=noise)
    got = student.loss("dsm_loss", model="score_model", **inputs)
    # The target form -(x_tilde - x0) / sigma^2 cancels in float32 at small sigma: measured 6e-5 relative.
    assert_loss(got, expected_loss(ref.dsm_loss, model="score_model", **inputs), "dsm_loss", dtype=x0.dtype,
                tol=Tol(rtol=1e-3, atol=1e-6), grad_tol=Tol(rtol=2e-3, atol=1e-5))


# -- langevin_step (3) -------------------------------------------------------------------------------
@SUITE.check("langevin_step", 1, function="langevin_step", hidden=False)
def langevin_fixed(student):
    """langevin_step(x=0, score=[1, -1], step_size=0.125, noise=[1, 1]) = [0.625, 0.375]"""
    # Not step_size = 0.5, where 2 * step_size = sqrt(2 * step_size) and a missing square root goes unseen.
    got = student("langevin_step", x=torch.zeros(1, 2, dtype=F64), score=torch.tensor([[1.0, -1.0]], dtype=F64),
                  step_size=0.125, noise=torch.ones(1, 2, dtype=F64))
    assert_close(got, torch.tensor([[0.625, 0.375]], dtype=F64), "langevin_step", dtype=F64)


@SUITE.property("langevin_step", 2, function="langevin_step", m=mixes(), log_step=floats(-9.0, 0.0))
def langevin_matches(student, m, log_step):
    """langevin_step moves x by step_size times the score plus noise scaled as in Song & Ermon, Sec. 2.2"""
    g = rng(m.seed)
    step = float(torch.exp(torch.tensor(log_step)))
    x, s, z = (normal(g, m.N, m.d, dtype=m.torch_dtype) for _ in range(3))
    got = student("langevin_step", x=x, score=s, step_size=step, noise=z)
    assert_close(got, expected(ref.langevin_step, x, s, step, z), "langevin_step", dtype=x.dtype,
                 scale=x.abs() + step * s.abs() + (2 * step) ** 0.5 * z.abs())


# -- annealed_langevin (4) ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Anneal:
    """Annealed Langevin with L noise levels from sigma_max down to sigma_min and n_steps steps each."""

    N: int
    d: int
    L: int
    n_steps: int
    sigma_max: float
    sigma_min: float
    step_lr: float
    dtype: str
    seed: int


_ANNEAL = Anneal(N=3, d=2, L=3, n_steps=2, sigma_max=2.0, sigma_min=0.2, step_lr=1e-2, dtype="float64", seed=0)
anneals = edged(st.builds(Anneal, N=st.integers(1, 4), d=st.integers(1, 3), L=st.integers(2, 4), n_steps=st.integers(1, 3),
                          sigma_max=st.floats(1.0, 3.0), sigma_min=st.floats(0.1, 0.5), step_lr=st.floats(1e-3, 5e-2),
                          dtype=st.sampled_from(["float64", "float32"]), seed=st.integers(0, 2**16)),
                _ANNEAL, replace(_ANNEAL, L=1), replace(_ANNEAL, N=1, d=1), replace(_ANNEAL, dtype="float32"),
                replace(_ANNEAL, L=4, n_steps=3, sigma_max=3.0, sigma_min=0.1, step_lr=5e-2))


def _anneal_inputs(a: Anneal):
    """A contracting score field (like a real score), so the chain stays bounded at every step size."""
    g = rng(a.seed)
    sigmas = torch.logspace(torch.log10(torch.tensor(a.sigma_max)).item(), torch.log10(torch.tensor(a.sigma_min)).item(),
                            a.L, dtype=F64) if a.L > 1 else torch.tensor([a.sigma_min], dtype=F64)
    field = test_model(g, a.d, time_scale=1.0, time="level")
    field.A.data = -0.5 * torch.eye(a.d, dtype=F64) + 0.1 * field.A.data
    return dict(x=normal(g, a.N, a.d, scale=3.0, dtype=DTYPES[a.dtype]), score_fn=field, sigmas=sigmas, step_lr=a.step_lr,
                n_steps=a.n_steps, noise=normal(g, a.L, a.n_steps, a.N, a.d, dtype=DTYPES[a.dtype]))



@SUITE.check("annealed_langevin", 1, function="annealed_langevin", hidden=False)
def annealed_shape(student):
    """annealed_langevin returns the shape of x and, with a zero score, adds sqrt(step_lr) * noise per step"""
    noise = torch.ones(1, 1, 3, 2, dtype=F64)
    got = student("annealed_langevin", x=torch.zeros(3, 2, dtype=F64), score_fn=_zero_model(2),
                  sigmas=torch.tensor([1.0], dtype=F64), step_lr=0.04, n_steps=1, noise=noise)
    assert_close(got, torch.full((3, 2), 0.2, dtype=F64), "annealed_langevin", dtype=F64)


@SUITE.property("annealed_langevin", 3, function="annealed_langevin", max_examples=15,
                a=anneals)
def annealed_matches(student, a):
    """annealed_langevin follows Song & Ermon's Algorithm 1 (step alpha_i = step_lr sigma_i^2 / sigma_L^2, and
    langevin_step with step_size alpha_i / 2)"""
    inputs = _anneal_inputs(a)
    got = student("annealed_langevin", **inputs)
    assert_close(got, expected(ref.annealed_langevin, **inputs), "annealed_langevin", dtype=inputs["x"].dtype, tol=LOOP)


SUITE.manual("why_anneal", 2, "Why anneal the noise level in Langevin sampling? (written answer, graded by hand)")
