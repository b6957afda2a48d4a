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
from .catalogs.hw1_score import CATALOG
from .framework import Suite
from .public import PublicCase

# Every function over tensors that another one may call (annealed Langevin through the step); see Suite.
SUITE = Suite("hw1_score", helpers=[gmm.gmm_score, ref.tweedie_denoiser, ref.langevin_step], catalog=CATALOG)
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


def _mixture_case(dtype=F64):
    g = rng(7)
    weights, means, covs = random_mixture(g, 3, 2)
    return dict(x=normal(g, 4, 2, scale=2.0, dtype=dtype), weights=weights, means=means, covs=covs)


SUITE.public("gmm_score", 1, [
    PublicCase("gmm_score", "one standard Gaussian: the score is -x",
               dict(x=torch.tensor([[1.0, 2.0], [-0.5, 0.0], [3.0, -1.0]], dtype=F64), weights=torch.ones(1, dtype=F64),
                    means=torch.zeros(1, 2, dtype=F64), covs=torch.eye(2, dtype=F64)[None])),
    PublicCase("gmm_score", "three components, unequal weights, full covariances", _mixture_case()),
    PublicCase("gmm_score", "far from both modes (the densities underflow: log-sum-exp needed)",
               dict(x=torch.tensor([[50.0, 0.0], [3.0, -40.0]], dtype=F64), weights=torch.tensor([0.3, 0.7], dtype=F64),
                    means=torch.tensor([[-1.0, 0.0], [1.0, 0.0]], dtype=F64),
                    covs=0.01 * torch.eye(2, dtype=F64).expand(2, 2, 2).clone())),
    PublicCase("gmm_score", "float32 points, float64 mixture: a float32 score", _mixture_case(torch.float32)),
])


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
SUITE.public("tweedie_denoiser", 1, [
    PublicCase("tweedie_denoiser", "sigma = 0.5",
               dict(y=torch.tensor([[1.0, 2.0], [0.0, 0.0]], dtype=F64), score=torch.tensor([[-1.0, 0.5], [2.0, -4.0]], dtype=F64),
                    sigma=0.5)),
    PublicCase("tweedie_denoiser", "float32 data in 3 dimensions, sigma = 2",
               dict(y=normal(rng(1), 2, 3, dtype=torch.float32), score=normal(rng(2), 2, 3, dtype=torch.float32), sigma=2.0)),
])


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
SUITE.public("dsm_loss", 1, [
    PublicCase("dsm_loss", "a model that returns 0 (the loss is then mean 0.5 ||noise||^2)",
               dict(score_model=_zero_model(2), x0=torch.zeros(3, 2, dtype=F64), sigma=torch.tensor([0.5, 2.0, 1.0], dtype=F64),
                    noise=torch.tensor([[1.0, 0.0], [0.0, 2.0], [-1.0, 1.0]], dtype=F64)), loss="score_model"),
    PublicCase("dsm_loss", "a random model, one noise level per sample",
               dict(score_model=test_model(rng(3), 2, time="level"), x0=normal(rng(4), 3, 2, scale=2.0),
                    sigma=torch.tensor([0.1, 1.0, 3.0], dtype=F64), noise=normal(rng(5), 3, 2)), loss="score_model"),
    PublicCase("dsm_loss", "float32 data: a float32 loss",
               dict(score_model=test_model(rng(6), 2, time="level"), x0=normal(rng(7), 3, 2, dtype=torch.float32),
                    sigma=torch.tensor([0.5, 1.0, 2.0], dtype=F64), noise=normal(rng(8), 3, 2, dtype=torch.float32)),
               loss="score_model"),
])


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
SUITE.public("langevin_step", 1, [
    # Not step_size = 0.5, where 2 * step_size = sqrt(2 * step_size) and a missing square root goes unseen.
    PublicCase("langevin_step", "step_size = 0.125",
               dict(x=torch.zeros(1, 2, dtype=F64), score=torch.tensor([[1.0, -1.0]], dtype=F64), step_size=0.125,
                    noise=torch.ones(1, 2, dtype=F64))),
    PublicCase("langevin_step", "float32 points in 3 dimensions, step_size = 0.01",
               dict(x=normal(rng(9), 2, 3, dtype=torch.float32), score=normal(rng(10), 2, 3, dtype=torch.float32),
                    step_size=0.01, noise=normal(rng(11), 2, 3, dtype=torch.float32))),
])


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



SUITE.public("annealed_langevin", 1, [
    PublicCase("annealed_langevin", "a zero score, one level: each step adds sqrt(step_lr) * noise",
               dict(x=torch.zeros(3, 2, dtype=F64), score_fn=_zero_model(2), sigmas=torch.tensor([1.0], dtype=F64),
                    step_lr=0.04, n_steps=1, noise=torch.ones(1, 1, 3, 2, dtype=F64))),
    PublicCase("annealed_langevin", "three levels, two steps each", _anneal_inputs(replace(_ANNEAL, seed=1))),
    PublicCase("annealed_langevin", "float32 points", _anneal_inputs(replace(_ANNEAL, dtype="float32", seed=2))),
])


@SUITE.property("annealed_langevin", 3, function="annealed_langevin", max_examples=15,
                a=anneals)
def annealed_matches(student, a):
    """annealed_langevin follows Song & Ermon's Algorithm 1 (step alpha_i = step_lr sigma_i^2 / sigma_L^2, and
    langevin_step with step_size alpha_i / 2)"""
    inputs = _anneal_inputs(a)
    got = student("annealed_langevin", **inputs)
    assert_close(got, expected(ref.annealed_langevin, **inputs), "annealed_langevin", dtype=inputs["x"].dtype, tol=LOOP)


SUITE.manual("why_anneal", 2, "Why anneal the noise level in Langevin sampling? (written answer, graded by hand)")


# -- the numerical checks of the three derivations (Questions 5, 9, 12) --------------------------------------------
# posterior_mean_mc (2): Tweedie's formula checked by self-normalised importance sampling from prior samples.
@dataclass(frozen=True)
class Prior:
    """N noisy points y and S prior samples in d dimensions, noise level sigma, in dtype."""

    N: int
    S: int
    d: int
    sigma: float
    dtype: str
    seed: int


_PRIOR = Prior(N=3, S=5, d=2, sigma=0.7, dtype="float64", seed=0)
priors = edged(st.builds(Prior, N=st.integers(1, 5), S=st.integers(1, 12), d=st.integers(1, 3), sigma=st.floats(0.2, 3.0),
                         dtype=st.sampled_from(["float64", "float32"]), seed=st.integers(0, 2**16)),
               _PRIOR, replace(_PRIOR, N=1), replace(_PRIOR, S=1), replace(_PRIOR, d=1), replace(_PRIOR, d=3),
               replace(_PRIOR, sigma=0.2), replace(_PRIOR, sigma=3.0), replace(_PRIOR, dtype="float32"))


def _prior_inputs(p: Prior):
    g = rng(p.seed)
    x_prior = normal(g, p.S, p.d)  # float64, like the notebook's prior samples
    return dict(y=normal(g, p.N, p.d, scale=1.5, dtype=DTYPES[p.dtype]), x_prior=x_prior, sigma=p.sigma)


def _convex_scale(x_prior, n):
    """The result is a weighted mean of the prior samples: its size is at most max_j |x_j| per coordinate."""
    return x_prior.abs().amax(0).expand(n, -1)


SUITE.public("posterior_mean_mc", 0.5, [
    PublicCase("posterior_mean_mc", "three prior samples, two points, sigma = 1",
               dict(y=torch.tensor([[0.5, 0.0], [1.0, 1.5]], dtype=F64),
                    x_prior=torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]], dtype=F64), sigma=1.0)),
    PublicCase("posterior_mean_mc", "far from every prior sample at sigma = 0.05 (log-space weights needed)",
               dict(y=torch.tensor([[6.0, -4.0]], dtype=F64),
                    x_prior=torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], dtype=F64), sigma=0.05)),
    PublicCase("posterior_mean_mc", "float32 points, float64 prior samples", _prior_inputs(replace(_PRIOR, dtype="float32", seed=3))),
])


@SUITE.property("posterior_mean_mc", 1, function="posterior_mean_mc", p=priors)
def posterior_mean_mc_matches(student, p):
    """posterior_mean_mc is the self-normalised importance-sampling mean for random points, prior samples and
    noise levels, float32 and float64"""
    inputs = _prior_inputs(p)
    got = student("posterior_mean_mc", **inputs)
    assert_close(got, expected(ref.posterior_mean_mc, **inputs), "posterior_mean_mc", dtype=inputs["y"].dtype,
                 scale=_convex_scale(inputs["x_prior"], p.N))


@SUITE.property("posterior_mean_mc", 0.5, function="posterior_mean_mc", distance=floats(3.0, 30.0), seed=seeds())
def posterior_mean_mc_far_away(student, distance, seed):
    """posterior_mean_mc stays finite and exact far from every prior sample at a small noise level (the weights
    underflow unless they are normalised in log space)"""
    g = rng(seed)
    x_prior = normal(g, 6, 2)
    direction = normal(g, 3, 2)
    y = distance * direction / direction.norm(dim=1, keepdim=True)
    got = student("posterior_mean_mc", y=y, x_prior=x_prior, sigma=0.05)
    assert_close(got, ref.posterior_mean_mc(y, x_prior, 0.05), "posterior_mean_mc far from the prior samples",
                 dtype=F64, scale=_convex_scale(x_prior, 3))


# dsm_esm_gap (2): Vincent's constant J_DSM - J_ESM on one batch.
def _gap_scale(score_model, x0, sigma, noise, true_score):
    """The size of the terms whose mean difference is the gap: mean_b (DSM_b + ESM_b), in float64."""
    x0, noise, sigma = x0.to(F64), noise.to(F64), sigma.to(F64)
    x_tilde = x0 + sigma[:, None] * noise
    s, t = score_model(x_tilde, sigma), true_score(x_tilde, sigma)
    dsm = 0.5 * ((sigma[:, None] * s + noise) ** 2).sum(1)
    esm = 0.5 * sigma**2 * ((s - t) ** 2).sum(1)
    return (dsm + esm).mean().detach()


def _true_score_minus_x():
    """The score of N(0, I), -x, as a test model (its A is -I)."""
    return TestModel(W=torch.zeros(2, 2), b=torch.zeros(2), c=torch.zeros(2), A=-torch.eye(2), time="level")


SUITE.public("dsm_esm_gap", 0.5, [
    PublicCase("dsm_esm_gap", "a zero model and the true score -x, two noise levels",
               dict(score_model=_zero_model(2), x0=torch.tensor([[1.0, 0.0], [0.0, 0.0]], dtype=F64),
                    sigma=torch.tensor([0.5, 2.0], dtype=F64), noise=torch.tensor([[0.0, 2.0], [1.0, 0.0]], dtype=F64),
                    true_score=_true_score_minus_x())),
    PublicCase("dsm_esm_gap", "random models, three noise levels",
               dict(score_model=test_model(rng(12), 2, time="level"), x0=normal(rng(13), 3, 2, scale=2.0),
                    sigma=torch.tensor([0.3, 1.0, 2.0], dtype=F64), noise=normal(rng(14), 3, 2),
                    true_score=test_model(rng(15), 2, time="level"))),
    PublicCase("dsm_esm_gap", "float32 data",
               dict(score_model=test_model(rng(16), 2, time="level"), x0=normal(rng(17), 3, 2, dtype=torch.float32),
                    sigma=torch.tensor([0.5, 1.0, 1.5], dtype=F64), noise=normal(rng(18), 3, 2, dtype=torch.float32),
                    true_score=_true_score_minus_x())),
])


@SUITE.property("dsm_esm_gap", 1.5, function="dsm_esm_gap", m=mixes(), log_sigma=floats(-3.0, 1.0))
def dsm_esm_gap_matches(student, m, log_sigma):
    """dsm_esm_gap is the sigma^2-weighted DSM minus ESM objective on one batch (one x_tilde for both, squared
    errors summed over data dimensions, mean over the batch), for random models and true scores"""
    g = rng(m.seed)
    score_model, true_score = test_model(g, m.d, time="level"), test_model(g, m.d, time="level")
    x0, noise = normal(g, m.N, m.d, scale=2.0, dtype=m.torch_dtype), normal(g, m.N, m.d, dtype=m.torch_dtype)
    sigma = torch.exp(log_sigma + torch.from_numpy(g.uniform(-1, 1, size=m.N)))
    inputs = dict(score_model=score_model, x0=x0, sigma=sigma, noise=noise, true_score=true_score)
    got = student("dsm_esm_gap", **inputs)
    assert_close(got, expected(ref.dsm_esm_gap, **inputs), "dsm_esm_gap", dtype=x0.dtype,
                 scale=_gap_scale(**inputs))


# langevin_chain_variance (2): the stationary variance of unadjusted Langevin on a Gaussian, measured.
@dataclass(frozen=True)
class Chain:
    """N chains in d dimensions on N(0, s2 I), `steps` steps of size step_frac * 2 s2 (stable for step_frac < 1)."""

    N: int
    d: int
    steps: int
    s2: float
    step_frac: float
    dtype: str
    seed: int


_CHAIN = Chain(N=4, d=2, steps=5, s2=1.0, step_frac=0.1, dtype="float64", seed=0)
chains = edged(st.builds(Chain, N=st.integers(2, 8), d=st.integers(1, 3), steps=st.integers(1, 20), s2=st.floats(0.2, 3.0),
                         step_frac=st.floats(0.001, 0.9), dtype=st.sampled_from(["float64", "float32"]),
                         seed=st.integers(0, 2**16)),
               _CHAIN, replace(_CHAIN, N=2), replace(_CHAIN, d=1), replace(_CHAIN, steps=1), replace(_CHAIN, steps=20),
               replace(_CHAIN, step_frac=0.5), replace(_CHAIN, s2=0.2), replace(_CHAIN, dtype="float32"))


def _chain_inputs(c: Chain):
    g = rng(c.seed)
    dtype = DTYPES[c.dtype]
    return dict(x_init=normal(g, c.N, c.d, scale=2.0, dtype=dtype), s2=c.s2, step_size=c.step_frac * 2 * c.s2,
                noise=normal(g, c.steps, c.N, c.d, dtype=dtype))


SUITE.public("langevin_chain_variance", 0.5, [
    PublicCase("langevin_chain_variance", "three chains in two dimensions, one step (the N - 1 denominator)",
               dict(x_init=torch.tensor([[2.0, 1.0], [0.0, 0.0], [-2.0, 1.0]], dtype=F64), s2=1.0, step_size=0.5,
                    noise=torch.tensor([[[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]], dtype=F64))),
    PublicCase("langevin_chain_variance", "five chains, four steps, s2 = 2", _chain_inputs(replace(_CHAIN, N=5, d=2, steps=4, s2=2.0,
                                                                                                  step_frac=0.3, seed=4))),
    PublicCase("langevin_chain_variance", "float32 chains", _chain_inputs(replace(_CHAIN, N=4, d=3, steps=3, dtype="float32", seed=5))),
])


@SUITE.property("langevin_chain_variance", 1.5, function="langevin_chain_variance", max_examples=15, c=chains)
def langevin_chain_variance_matches(student, c):
    """langevin_chain_variance runs Langevin steps with the score -x / s2 and returns the per-coordinate
    sample variance of the final points, float32 and float64"""
    inputs = _chain_inputs(c)
    got = student("langevin_chain_variance", **inputs)
    assert_close(got, expected(ref.langevin_chain_variance, **inputs), "langevin_chain_variance",
                 dtype=inputs["x_init"].dtype, tol=LOOP)


# -- written work (graded by hand against the rubric in the master notebook) --------------------------------------
SUITE.manual("score_smoothing", 1, "What adding noise does to the score field of the ring (written interpretation)")
SUITE.manual("tweedie_derivation", 3, "Derive Tweedie's formula (written derivation)")
SUITE.manual("tweedie_picture", 1, "Why the Tweedie denoiser puts points between modes (written interpretation)")
SUITE.manual("dsm_derivation", 3, "Why denoising score matching learns the noisy score, Vincent 2011 (written derivation)")
SUITE.manual("langevin_derivation", 3, "The stationary variance of unadjusted Langevin on a Gaussian (written derivation)")
SUITE.manual("learned_vs_exact", 1, "Where the learned score is wrong, and why (written interpretation)")


SUITE.arrange(["gmm_score", "score_smoothing", "tweedie_derivation", "tweedie_denoiser", "posterior_mean_mc",
               "tweedie_picture", "dsm_derivation", "dsm_loss", "dsm_esm_gap", "langevin_derivation", "langevin_step",
               "langevin_chain_variance", "annealed_langevin", "why_anneal", "learned_vs_exact"])
