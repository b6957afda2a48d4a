"""Hidden checks of hw1_score: the score of a Gaussian mixture, Tweedie, DSM, Langevin.

Reads side by side with `solutions/hw1_score/hw1_score.ipynb` and `course_core/score.py`, `course_core/gmm.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from hypothesis import strategies as st

from course_core import gmm, score as ref

from ..framework import CheckFailed, Suite, ToyField, assert_close, assert_scalar
from ._cases import normal, random_mixture, rng

SUITE = Suite("hw1_score")
F64 = torch.float64
LANGEVIN = {"langevin_step": (["x", "score", "step_size", "noise"], ref.langevin_step)}


@dataclass(frozen=True)
class Mix:
    """A random mixture of K components in d dimensions, evaluated at N points."""

    N: int
    d: int
    K: int
    seed: int


mixes = st.builds(Mix, N=st.integers(1, 5), d=st.integers(1, 3), K=st.integers(1, 4), seed=st.integers(0, 2**16))


# -- gmm_score (6) -----------------------------------------------------------------------------------
@SUITE.check("gmm_score", 1, function="gmm_score", hidden=False)
def gmm_score_standard_gaussian(student):
    """gmm_score of one standard Gaussian is -x, shape (N, d)"""
    x = torch.tensor([[1.0, 2.0], [-0.5, 0.0], [3.0, -1.0]], dtype=F64)
    got = student("gmm_score", x=x, weights=torch.ones(1, dtype=F64), means=torch.zeros(1, 2, dtype=F64),
                  covs=torch.eye(2, dtype=F64)[None])
    assert_close(got, -x, "gmm_score")


@SUITE.property("gmm_score", 3, function="gmm_score", m=mixes)
def gmm_score_matches_mixture(student, m):
    """gmm_score equals the exact score of random mixtures (full covariances, unequal weights)"""
    g = rng(m.seed)
    weights, means, covs = random_mixture(g, m.K, m.d)
    x = normal(g, m.N, m.d, scale=3.0)
    got = student("gmm_score", x=x, weights=weights, means=means, covs=covs)
    assert_close(got, gmm.gmm_score(x, weights, means, covs), "gmm_score")


@SUITE.property("gmm_score", 1, function="gmm_score", w=st.floats(0.05, 0.95).filter(lambda w: abs(w - 0.5) > 0.05),
                seed=st.integers(0, 2**16))
def gmm_score_uses_weights(student, w, seed):
    """gmm_score weighs components by their mixture weights (two components, weights w and 1 - w)"""
    g = rng(seed)
    weights = torch.tensor([w, 1 - w], dtype=F64)
    means = torch.tensor([[-1.0, 0.0], [1.0, 0.0]], dtype=F64)
    covs = torch.eye(2, dtype=F64).expand(2, 2, 2).clone() * 0.5
    x = normal(g, 4, 2, scale=0.7)
    got = student("gmm_score", x=x, weights=weights, means=means, covs=covs)
    assert_close(got, gmm.gmm_score(x, weights, means, covs), "gmm_score")


@SUITE.property("gmm_score", 1, function="gmm_score", m=mixes, distance=st.floats(50.0, 500.0))
def gmm_score_stable_far_away(student, m, distance):
    """gmm_score stays finite and exact far from every mode (needs log-sum-exp responsibilities)"""
    g = rng(m.seed)
    weights, means, covs = random_mixture(g, m.K, m.d)
    direction = normal(g, m.N, m.d)
    x = distance * direction / direction.norm(dim=1, keepdim=True)
    got = student("gmm_score", x=x, weights=weights, means=means, covs=covs)
    assert_close(got, gmm.gmm_score(x, weights, means, covs), "gmm_score far from the modes")


# -- tweedie_denoiser (3) ----------------------------------------------------------------------------
@SUITE.check("tweedie_denoiser", 1, function="tweedie_denoiser", hidden=False)
def tweedie_fixed(student):
    """tweedie_denoiser(y=[1, 2], score=[0.5, -1], sigma=2) = [3, -2]"""
    got = student("tweedie_denoiser", y=torch.tensor([[1.0, 2.0]], dtype=F64),
                  score=torch.tensor([[0.5, -1.0]], dtype=F64), sigma=2.0)
    assert_close(got, torch.tensor([[3.0, -2.0]], dtype=F64), "tweedie_denoiser")


@SUITE.property("tweedie_denoiser", 1, function="tweedie_denoiser", m=mixes, sigma=st.floats(0.01, 5.0))
def tweedie_formula(student, m, sigma):
    """tweedie_denoiser equals y + sigma^2 * score for random inputs"""
    g = rng(m.seed)
    y, s = normal(g, m.N, m.d, scale=2.0), normal(g, m.N, m.d)
    got = student("tweedie_denoiser", y=y, score=s, sigma=sigma)
    assert_close(got, ref.tweedie_denoiser(y, s, sigma), "tweedie_denoiser")


@SUITE.property("tweedie_denoiser", 1, function="tweedie_denoiser", m=mixes, sigma=st.floats(0.05, 3.0))
def tweedie_is_exact_denoiser(student, m, sigma):
    """tweedie_denoiser with the exact noisy score gives the exact E[x | y] of a Gaussian mixture"""
    g = rng(m.seed)
    mixture = gmm.GaussianMixture(*random_mixture(g, m.K, m.d))
    noisy = mixture.noised_ve(sigma)
    y = noisy.sample(m.N, generator=torch.Generator().manual_seed(m.seed))
    got = student("tweedie_denoiser", y=y, score=noisy.score(y), sigma=sigma)
    assert_close(got, mixture.denoise_ve(y, sigma), "tweedie_denoiser(y, exact score, sigma) vs E[x | y]")


# -- dsm_loss (4) ------------------------------------------------------------------------------------
@SUITE.check("dsm_loss", 1, function="dsm_loss", hidden=False)
def dsm_loss_zero_model(student):
    """dsm_loss is a scalar; with a model that returns 0 it is mean 0.5 ||noise||^2 = 1.25 here"""
    zero = ToyField(*(torch.zeros(s, dtype=F64) for s in [(2, 2), (2,), (2,), (2, 2)]))
    got = student("dsm_loss", score_model=zero, x0=torch.zeros(2, 2, dtype=F64),
                  sigma=torch.tensor([0.5, 2.0], dtype=F64), noise=torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=F64))
    assert_scalar(got, 1.25, "dsm_loss")


@SUITE.property("dsm_loss", 3, function="dsm_loss", m=mixes, log_sigma=st.floats(-4.0, 2.0))
def dsm_loss_matches(student, m, log_sigma):
    """dsm_loss equals Song & Ermon's sigma^2-weighted denoising score matching loss for a random model"""
    g = rng(m.seed)
    model = ToyField.random(m.d, g)
    x0, noise = normal(g, m.N, m.d, scale=2.0), normal(g, m.N, m.d)
    sigma = torch.exp(log_sigma + torch.from_numpy(g.uniform(-1, 1, size=m.N)))
    got = student("dsm_loss", score_model=model, x0=x0, sigma=sigma, noise=noise)
    assert_scalar(got, ref.dsm_loss(model, x0, sigma, noise), "dsm_loss")


# -- langevin_step (3) -------------------------------------------------------------------------------
@SUITE.check("langevin_step", 1, function="langevin_step", hidden=False)
def langevin_fixed(student):
    """langevin_step(x=0, score=[1, -1], step_size=0.5, noise=[1, 1]) = [1.5, 0.5]"""
    got = student("langevin_step", x=torch.zeros(1, 2, dtype=F64), score=torch.tensor([[1.0, -1.0]], dtype=F64),
                  step_size=0.5, noise=torch.ones(1, 2, dtype=F64))
    assert_close(got, torch.tensor([[1.5, 0.5]], dtype=F64), "langevin_step")


@SUITE.property("langevin_step", 2, function="langevin_step", m=mixes, log_step=st.floats(-9.0, 0.0))
def langevin_matches(student, m, log_step):
    """langevin_step equals x + step_size * score + sqrt(2 step_size) * noise"""
    g = rng(m.seed)
    step = float(torch.exp(torch.tensor(log_step)))
    x, s, z = normal(g, m.N, m.d), normal(g, m.N, m.d), normal(g, m.N, m.d)
    got = student("langevin_step", x=x, score=s, step_size=step, noise=z)
    assert_close(got, ref.langevin_step(x, s, step, z), "langevin_step")


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
    eps: float
    seed: int


anneals = st.builds(Anneal, N=st.integers(1, 4), d=st.integers(1, 3), L=st.integers(1, 4), n_steps=st.integers(1, 3),
                    sigma_max=st.floats(1.0, 10.0), sigma_min=st.floats(0.01, 0.5), eps=st.floats(1e-4, 0.1),
                    seed=st.integers(0, 2**16))


def _anneal_inputs(a: Anneal):
    g = rng(a.seed)
    sigmas = torch.logspace(torch.log10(torch.tensor(a.sigma_max)).item(), torch.log10(torch.tensor(a.sigma_min)).item(),
                            a.L, dtype=F64) if a.L > 1 else torch.tensor([a.sigma_min], dtype=F64)
    return dict(x=normal(g, a.N, a.d, scale=3.0), score_fn=ToyField.random(a.d, g), sigmas=sigmas, eps=a.eps,
                n_steps=a.n_steps, noise=normal(g, a.L, a.n_steps, a.N, a.d))


@SUITE.check("annealed_langevin", 1, function="annealed_langevin", hidden=False, helpers=LANGEVIN)
def annealed_shape(student):
    """annealed_langevin returns the shape of x and, with a zero score, adds sqrt(eps) * noise per step"""
    zero = ToyField(*(torch.zeros(s, dtype=F64) for s in [(2, 2), (2,), (2,), (2, 2)]))
    noise = torch.ones(1, 1, 3, 2, dtype=F64)
    got = student("annealed_langevin", x=torch.zeros(3, 2, dtype=F64), score_fn=zero,
                  sigmas=torch.tensor([1.0], dtype=F64), eps=0.04, n_steps=1, noise=noise)
    assert_close(got, torch.full((3, 2), 0.2, dtype=F64), "annealed_langevin")


@SUITE.property("annealed_langevin", 3, function="annealed_langevin", helpers=LANGEVIN, max_examples=15, a=anneals)
def annealed_matches(student, a):
    """annealed_langevin follows Song & Ermon's Algorithm 1 (step alpha_i = eps sigma_i^2 / sigma_L^2)"""
    inputs = _anneal_inputs(a)
    got = student("annealed_langevin", **inputs)
    assert_close(got, ref.annealed_langevin(**inputs), "annealed_langevin", rtol=1e-3)


SUITE.manual("why_anneal", 2, "Why anneal the noise level in Langevin sampling? (written answer, graded by hand)")

__all__ = ["SUITE", "CheckFailed"]
