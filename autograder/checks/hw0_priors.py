"""Hidden checks of hw0_priors: Gaussian conditioning, the KL between Gaussians and the Gaussian score; the posterior
under a Gaussian prior (the Wiener filter), Tikhonov, soft thresholding and ISTA; the exact MMSE denoiser of a
Gaussian mixture; RED's steepest-descent and fixed-point steps and PnP-ADMM with a dense degradation matrix; and the
written questions (the conditional Gaussian, the Wiener filter as MMSE and MAP, RED's gradient, PnP's fixed point,
three interpretations), graded by hand.

Reads side by side with `solutions/hw0_priors/hw0_priors.ipynb`, `course_core/priors.py` and `course_core/red_pnp.py`.
Besides agreeing with the reference, the functions are held to closed forms that do not restate it: the conditional
against the precision matrix's blocks, the KL of diagonal Gaussians as a sum of 1-D KLs, the score against autograd
of `torch.distributions`, the Wiener filter of an isotropic prior as a per-coordinate shrinkage, Tikhonov's normal
equations through autograd of its objective, the mixture's MMSE against `GaussianMixture.denoise_ve` and, for one
component, against the Gaussian posterior, RED's step as gradient descent on the RED objective for a symmetric
linear denoiser (autograd), and PnP-ADMM's fixed point on a linear Gaussian problem (the MAP in closed form). The
denoisers cross the process boundary as `TestModel`s `f(x, sigma) = x A^T + tanh(x W^T + b + sigma c)` (a
non-symmetric Jacobian in general; a symmetric linear map when `W, b, c` are 0). While a function is checked, the
student's `data_prox_matrix` called from the other two is answered by the reference (`Suite(helpers=...)`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
from hypothesis import strategies as st

from course_core import gmm
from course_core import priors as ref
from course_core import red_pnp

from ..boundary.codec import TestModel
from .cases import DTYPES, Mix, edged, expected, floats, mixes, normal, random_mixture, rng, seeds
from .catalogs.hw0_priors import CATALOG
from .compare import CheckFailed, Tol, assert_close
from .framework import Suite
from .public import PublicCase

SUITE = Suite("hw0_priors", helpers=[ref.gaussian_condition, ref.soft_threshold, red_pnp.data_prox_matrix],
              catalog=CATALOG)
F64 = torch.float64
AUTOGRAD = Tol(rtol=1e-9, atol=1e-10)  # float64 against autograd of the same quantity: round-off only


def _spd(g, d: int, *batch, ridge: float = 0.5) -> torch.Tensor:
    """A well-conditioned symmetric positive-definite (*batch, d, d) float64 matrix."""
    M = normal(g, *batch, d, d)
    return M @ M.transpose(-1, -2) / d + ridge * torch.eye(d, dtype=F64)


# -- gaussian_condition (2.5) ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Joint:
    """A jointly Gaussian (x_a, x_b) of sizes da, db, observed at B values of x_b, all in dtype; `batched` gives each
    sample its own mean and covariance."""

    B: int
    da: int
    db: int
    batched: bool
    dtype: str
    seed: int

    def tensors(self):
        g, dt = rng(self.seed), DTYPES[self.dtype]
        d = self.da + self.db
        batch = (self.B,) if self.batched else ()
        cov, mean = _spd(g, d, *batch), normal(g, *batch, d)
        x_b = normal(g, self.B, self.db, scale=1.5)
        a, b = slice(0, self.da), slice(self.da, d)
        return dict(mean_a=mean[..., a].to(dt), mean_b=mean[..., b].to(dt), cov_aa=cov[..., a, a].to(dt),
                    cov_ab=cov[..., a, b].to(dt), cov_bb=cov[..., b, b].to(dt), x_b=x_b.to(dt))


_JOINT = Joint(B=3, da=2, db=2, batched=False, dtype="float64", seed=0)
joints = edged(st.builds(Joint, B=st.integers(1, 4), da=st.integers(1, 3), db=st.integers(1, 4), batched=st.booleans(),
                         dtype=st.sampled_from(["float64", "float32"]), seed=st.integers(0, 2**16)),
               _JOINT, replace(_JOINT, da=1, db=1), replace(_JOINT, da=3, db=1), replace(_JOINT, da=1, db=4),
               replace(_JOINT, B=1), replace(_JOINT, batched=True), replace(_JOINT, dtype="float32"))

SUITE.public("gaussian_condition", 0.5, [
    PublicCase("gaussian_condition", "a bivariate Gaussian (da = db = 1): the regression line",
               Joint(B=2, da=1, db=1, batched=False, dtype="float64", seed=1).tensors()),
    PublicCase("gaussian_condition", "da = 2, db = 3", Joint(B=3, da=2, db=3, batched=False, dtype="float64",
                                                             seed=2).tensors()),
    PublicCase("gaussian_condition", "one joint per sample (batched means and covariances)",
               Joint(B=2, da=2, db=1, batched=True, dtype="float64", seed=3).tensors()),
    PublicCase("gaussian_condition", "float32 inputs", Joint(B=2, da=1, db=2, batched=False, dtype="float32",
                                                             seed=4).tensors()),
])


def _pair(out, what: str):
    if not isinstance(out, tuple) or len(out) != 2:
        raise CheckFailed(f"{what} should return a pair (mean, cov), got {type(out).__name__}")
    return out


@SUITE.property("gaussian_condition", 1.25, function="gaussian_condition", c=joints)
def condition_matches(student, c):
    """gaussian_condition gives the conditional mean and the Schur-complement covariance, for any block sizes,
    batched or shared joints and dtype"""
    a = c.tensors()
    mean, cov = _pair(student("gaussian_condition", **a), "gaussian_condition")
    want_mean, want_cov = expected(ref.gaussian_condition, *a.values())
    dt = a["x_b"].dtype
    assert_close(mean, want_mean, f"conditional mean (da={c.da}, db={c.db}, batched={c.batched})", dtype=dt)
    assert_close(cov, want_cov, f"conditional covariance (da={c.da}, db={c.db}, batched={c.batched})", dtype=dt)


# Float64 oracles (the identities hold to round-off): their inputs are drawn in float64 only.
SIZES = edged(st.tuples(st.integers(1, 3), st.integers(1, 4)), (2, 2), (1, 1), (3, 1), (1, 4))


@SUITE.property("gaussian_condition", 0.75, function="gaussian_condition", max_examples=10, sizes=SIZES,
                batched=edged(st.booleans(), False, True), seed=seeds())
def condition_is_the_precision_blocks(student, sizes, batched, seed):
    """the conditional agrees with the precision matrix Lambda of the joint: cov_{a|b} = Lambda_aa^{-1} and
    mean_{a|b} = mu_a - Lambda_aa^{-1} Lambda_ab (x_b - mu_b)"""
    c = Joint(B=3, da=sizes[0], db=sizes[1], batched=batched, dtype="float64", seed=seed)
    a = c.tensors()
    mean, cov = _pair(student("gaussian_condition", **a), "gaussian_condition")
    joint = torch.cat([torch.cat([a["cov_aa"], a["cov_ab"]], -1),
                       torch.cat([a["cov_ab"].transpose(-1, -2), a["cov_bb"]], -1)], -2)
    prec = torch.linalg.inv(joint)
    cov_want = torch.linalg.inv(prec[..., :c.da, :c.da])
    mean_want = a["mean_a"] - ((cov_want @ prec[..., :c.da, c.da:]) @ (a["x_b"] - a["mean_b"])[..., None])[..., 0]
    tol = Tol(rtol=1e-8, atol=1e-9)  # two routes through well-conditioned float64 solves
    assert_close(cov, cov_want, "conditional covariance against the inverse of the precision block", dtype=F64, tol=tol)
    assert_close(mean, mean_want, "conditional mean against the precision blocks", dtype=F64, tol=tol)


# -- gaussian_kl (2.5) ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pair:
    """Two Gaussians in d dimensions; `shape` is the batch shape of the first mean (the others broadcast: the second
    mean unbatched, the covariances unbatched or batched)."""

    d: int
    shape: tuple
    batched_cov: bool
    dtype: str
    seed: int

    def tensors(self):
        g, dt = rng(self.seed), DTYPES[self.dtype]
        cb = self.shape if self.batched_cov else ()
        return dict(mean1=normal(g, *self.shape, self.d).to(dt), cov1=_spd(g, self.d, *cb).to(dt),
                    mean2=normal(g, self.d).to(dt), cov2=_spd(g, self.d, *cb).to(dt))


_PAIR = Pair(d=2, shape=(3,), batched_cov=False, dtype="float64", seed=0)
pairs = edged(st.builds(Pair, d=st.integers(1, 5), shape=st.sampled_from([(), (1,), (3,), (2, 2)]),
                        batched_cov=st.booleans(), dtype=st.sampled_from(["float64", "float32"]),
                        seed=st.integers(0, 2**16)),
              _PAIR, replace(_PAIR, shape=()), replace(_PAIR, d=1), replace(_PAIR, d=5),
              replace(_PAIR, batched_cov=True),
              replace(_PAIR, shape=(2, 2), batched_cov=True), replace(_PAIR, dtype="float32"))

SUITE.public("gaussian_kl", 0.5, [
    PublicCase("gaussian_kl", "two single Gaussians in 2-D (a 0-d result)", Pair(2, (), False, "float64", 1).tensors()),
    PublicCase("gaussian_kl", "a batch of three first means against one second Gaussian",
               Pair(3, (3,), False, "float64", 2).tensors()),
    PublicCase("gaussian_kl", "batched covariances", Pair(2, (2,), True, "float64", 3).tensors()),
    PublicCase("gaussian_kl", "float32 inputs", Pair(2, (2,), False, "float32", 4).tensors()),
])


@SUITE.property("gaussian_kl", 1.5, function="gaussian_kl", c=pairs)
def kl_matches(student, c):
    """gaussian_kl is KL(N(mean1, cov1) || N(mean2, cov2)) for full covariances, with broadcast batch dims, any d
    and dtype"""
    a = c.tensors()
    got = student("gaussian_kl", **a)
    want = expected(ref.gaussian_kl, *a.values())
    # The terms (trace, Mahalanobis, d, log-determinants) are O(d) and cancel: the error is relative to them.
    assert_close(got, want, f"KL (d={c.d}, batch {c.shape}, batched covariances: {c.batched_cov})",
                 dtype=a["mean1"].dtype, scale=want.value.abs() + c.d)


@SUITE.property("gaussian_kl", 0.5, function="gaussian_kl", max_examples=10, d=edged(st.integers(1, 5), 1, 4),
                seed=edged(st.integers(0, 2**16), 0))
def kl_of_diagonal_gaussians_is_a_sum(student, d, seed):
    """for diagonal covariances the KL is the sum over coordinates of the 1-D KLs log(s2/s1) + (s1^2 + (m1 - m2)^2)
    / (2 s2^2) - 1/2, and KL(p || p) = 0"""
    g = rng(seed)
    m1, m2 = normal(g, 2, d), normal(g, 2, d)
    s1, s2 = torch.from_numpy(g.uniform(0.3, 2.0, size=(2, d))), torch.from_numpy(g.uniform(0.3, 2.0, size=(2, d)))
    got = student("gaussian_kl", mean1=m1, cov1=torch.diag_embed(s1**2), mean2=m2, cov2=torch.diag_embed(s2**2))
    want = (torch.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5).sum(-1)
    assert_close(got, want, f"KL of diagonal Gaussians (d={d})", dtype=F64, tol=Tol(rtol=1e-9, atol=1e-10))
    same = student("gaussian_kl", mean1=m1, cov1=torch.diag_embed(s1**2), mean2=m1, cov2=torch.diag_embed(s1**2))
    assert_close(same, torch.zeros(2, dtype=F64), "KL(p || p)", dtype=F64, tol=Tol(rtol=0, atol=1e-10))


# -- gaussian_score (1.5) ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Points:
    N: int
    d: int
    dtype: str
    seed: int

    def tensors(self):
        g = rng(self.seed)
        return dict(x=normal(g, self.N, self.d, scale=2.0, dtype=DTYPES[self.dtype]), mean=normal(g, self.d),
                    cov=_spd(g, self.d))


_POINTS = Points(N=4, d=2, dtype="float64", seed=0)
points = edged(st.builds(Points, N=st.integers(1, 6), d=st.integers(1, 5),
                         dtype=st.sampled_from(["float64", "float32"]), seed=st.integers(0, 2**16)),
               _POINTS, replace(_POINTS, N=1), replace(_POINTS, d=1), replace(_POINTS, d=5),
               replace(_POINTS, dtype="float32"))

SUITE.public("gaussian_score", 0.5, [
    PublicCase("gaussian_score", "2-D points, a full covariance", Points(3, 2, "float64", 1).tensors()),
    PublicCase("gaussian_score", "1-D points", Points(2, 1, "float64", 2).tensors()),
    PublicCase("gaussian_score", "float32 points (float64 parameters): a float32 score",
               Points(2, 3, "float32", 3).tensors()),
])


@SUITE.property("gaussian_score", 1, function="gaussian_score", c=points)
def score_is_the_gradient_of_the_log_density(student, c):
    """gaussian_score is the gradient of torch.distributions.MultivariateNormal's log_prob (autograd), for any d and
    dtype"""
    a = c.tensors()
    got = student("gaussian_score", **a)
    x = a["x"].detach().to(F64).requires_grad_(True)
    logp = torch.distributions.MultivariateNormal(a["mean"], a["cov"]).log_prob(x).sum()
    (want,) = torch.autograd.grad(logp, x)
    budget = expected(ref.gaussian_score, *a.values())
    assert_close(got, type(budget)(want, budget.budget), f"score of N(mean, cov) (d={c.d})", dtype=a["x"].dtype,
                 scale=want.abs() + 1e-3 * want.abs().max())


# -- Wiener: gaussian_posterior (2.5) ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Linear:
    """A linear problem: B samples in d dimensions, m measurements y = H x + noise, H a random (m, d) matrix, in dtype;
    `kind` "random" (m rows of Gaussian entries), "identity" (H = I, m = d) or "mask" (a selection of m rows of I)."""

    B: int
    d: int
    m: int
    kind: str
    dtype: str
    seed: int

    def matrix(self, g) -> torch.Tensor:
        if self.kind == "identity":
            return torch.eye(self.d, dtype=F64)
        if self.kind == "mask":
            keep = torch.from_numpy(g.permutation(self.d)[:self.m]).sort().values
            return torch.eye(self.d, dtype=F64)[keep]
        return normal(g, self.m, self.d, scale=1.0 / math.sqrt(self.d))

    def tensors(self):
        g, dt = rng(self.seed), DTYPES[self.dtype]
        H = self.matrix(g)
        x = normal(g, self.B, self.d)
        y = x @ H.T + 0.3 * normal(g, self.B, H.shape[0])
        return g, H.to(dt), x.to(dt), y.to(dt)

    @property
    def rows(self) -> int:
        return self.d if self.kind == "identity" else self.m


_LIN = Linear(B=3, d=4, m=3, kind="random", dtype="float64", seed=0)
linears = edged(st.builds(lambda d, m, **kw: Linear(d=d, m=min(m, d) if kw["kind"] == "mask" else m, **kw),
                          B=st.integers(1, 4), d=st.integers(1, 6), m=st.integers(1, 7),
                          kind=st.sampled_from(["random", "identity", "mask"]),
                          dtype=st.sampled_from(["float64", "float32"]), seed=st.integers(0, 2**16)),
                _LIN, replace(_LIN, m=6), replace(_LIN, d=1, m=1), replace(_LIN, kind="identity"),
                replace(_LIN, kind="mask", m=2), replace(_LIN, B=1), replace(_LIN, dtype="float32"))


def _posterior_args(c: Linear, sigma_y: float):
    g, H, _, y = c.tensors()
    dt = H.dtype
    return dict(y=y, H=H, sigma_y=sigma_y, mean=normal(g, c.d).to(dt), cov=_spd(g, c.d, ridge=0.3).to(dt))


SUITE.public("wiener", 0.5, [
    PublicCase("gaussian_posterior", "3 random measurements of 4 coordinates, sigma_y = 0.5",
               _posterior_args(Linear(2, 4, 3, "random", "float64", 1), 0.5)),
    PublicCase("gaussian_posterior", "denoising (H = I), sigma_y = 1",
               _posterior_args(Linear(2, 3, 3, "identity", "float64", 2), 1.0)),
    PublicCase("gaussian_posterior", "more measurements than unknowns (m = 5, d = 2)",
               _posterior_args(Linear(2, 2, 5, "random", "float64", 3), 0.3)),
    PublicCase("gaussian_posterior", "float32 inputs", _posterior_args(Linear(2, 3, 2, "random", "float32", 4), 0.5)),
])


@SUITE.property("wiener", 1.5, function="gaussian_posterior", c=linears, sigma_y=floats(0.05, 2.0))
def posterior_matches(student, c, sigma_y):
    """gaussian_posterior gives the posterior mean (the Wiener filter) and covariance of the Gaussian prior, for any
    H (fewer or more measurements than unknowns, H = I, a mask), sigma_y and dtype"""
    a = _posterior_args(c, sigma_y)
    mean, cov = _pair(student("gaussian_posterior", **a), "gaussian_posterior")
    want_mean, want_cov = expected(ref.gaussian_posterior, *a.values())
    dt = a["y"].dtype
    assert_close(mean, want_mean, f"posterior mean (d={c.d}, m={c.rows}, sigma_y={sigma_y:.3g})", dtype=dt)
    # The covariance is prior minus a correction of the prior's size: relative to the prior's entries.
    assert_close(cov, want_cov, f"posterior covariance (d={c.d}, m={c.rows}, sigma_y={sigma_y:.3g})", dtype=dt,
                 scale=want_cov.value.abs() + a["cov"].to(F64).abs())


@SUITE.property("wiener", 0.5, function="gaussian_posterior", max_examples=10, d=edged(st.integers(1, 5), 3, 1),
                s2=floats(0.1, 4.0), sigma_y=floats(0.1, 2.0), seed=edged(st.integers(0, 2**16), 0))
def posterior_of_an_isotropic_prior_is_shrinkage(student, d, s2, sigma_y, seed):
    """denoising under the prior N(m, s2 I): the posterior mean shrinks y towards m by s2 / (s2 + sigma_y^2) and the
    posterior covariance is s2 sigma_y^2 / (s2 + sigma_y^2) I (the scalar Wiener filter)"""
    g = rng(seed)
    m, y = normal(g, d), normal(g, 3, d, scale=2.0)
    mean, cov = _pair(student("gaussian_posterior", y=y, H=torch.eye(d, dtype=F64), sigma_y=sigma_y, mean=m,
                              cov=s2 * torch.eye(d, dtype=F64)), "gaussian_posterior")
    tol = Tol(rtol=1e-9, atol=1e-10)
    assert_close(mean, m + s2 / (s2 + sigma_y**2) * (y - m), "posterior mean of N(m, s2 I) at H = I", dtype=F64,
                 tol=tol)
    assert_close(cov, s2 * sigma_y**2 / (s2 + sigma_y**2) * torch.eye(d, dtype=F64),
                 "posterior covariance of N(m, s2 I) at H = I", dtype=F64, tol=tol)


# -- tikhonov (2) ------------------------------------------------------------------------------------------------
def _tikhonov_args(c: Linear, lam: float, with_D: bool):
    g, H, _, y = c.tensors()
    out = dict(y=y, H=H, lam=lam)
    if with_D:
        out["D"] = normal(g, c.d + 1, c.d).to(H.dtype)
    return out


SUITE.public("tikhonov", 0.5, [
    PublicCase("tikhonov", "ridge (D = None), 3 measurements of 4 unknowns",
               _tikhonov_args(Linear(2, 4, 3, "random", "float64", 1), 0.5, False)),
    PublicCase("tikhonov", "a regularization matrix D",
               _tikhonov_args(Linear(2, 3, 4, "random", "float64", 2), 0.2, True)),
    PublicCase("tikhonov", "lam = 0 with more measurements than unknowns: least squares",
               _tikhonov_args(Linear(2, 2, 4, "random", "float64", 3), 0.0, False)),
    PublicCase("tikhonov", "float32 inputs", _tikhonov_args(Linear(2, 3, 3, "random", "float32", 4), 0.3, True)),
])


@SUITE.property("tikhonov", 1, function="tikhonov", c=linears, lam=floats(0.05, 3.0),
                with_D=edged(st.booleans(), False, True))
def tikhonov_matches(student, c, lam, with_D):
    """tikhonov solves the normal equations (H^T H + lam D^T D) x = H^T y per sample, with D = None the identity, for
    any H, lam, D and dtype"""
    a = _tikhonov_args(c, lam, with_D)
    got = student("tikhonov", **a)
    want = expected(ref.tikhonov, *a.values())
    assert_close(got, want, f"tikhonov (d={c.d}, m={c.rows}, lam={lam:.3g}, D given: {with_D})", dtype=a["y"].dtype)


@SUITE.property("tikhonov", 0.5, function="tikhonov", max_examples=10, sizes=SIZES, lam=floats(0.05, 3.0),
                seed=seeds())
def tikhonov_is_stationary(student, sizes, lam, seed):
    """the gradient of ||y - H x||^2 + lam ||D x||^2 (autograd) vanishes at tikhonov's solution"""
    c = Linear(B=3, d=sizes[1], m=sizes[0] + 1, kind="random", dtype="float64", seed=seed)
    a = _tikhonov_args(c, lam, True)
    x = student("tikhonov", **a)
    if not isinstance(x, torch.Tensor) or tuple(x.shape) != (c.B, c.d):
        got = f"shape {tuple(x.shape)}" if isinstance(x, torch.Tensor) else type(x).__name__
        raise CheckFailed(f"tikhonov returned {got}, expected a tensor of shape {(c.B, c.d)}")
    x = x.detach().to(F64).requires_grad_(True)
    objective = ((a["y"] - x @ a["H"].T) ** 2).sum() + lam * ((x @ a["D"].T) ** 2).sum()
    (grad,) = torch.autograd.grad(objective, x)
    scale = (a["y"].abs() @ a["H"].abs()).max() + 1.0  # the size of H^T y, against which the gradient cancels
    assert_close(grad, torch.zeros_like(grad), "the objective's gradient at your solution", dtype=F64,
                 scale=scale * torch.ones_like(grad), tol=Tol(rtol=1e-9, atol=0))


# -- ista: soft_threshold and ista_step (2.5) ----------------------------------------------------------------------
def _ista_args(c: Linear, lam: float, step_frac: float):
    g, H, _, y = c.tensors()
    step = step_frac / max(torch.linalg.matrix_norm(H.to(F64), ord=2).item() ** 2, 1e-3)
    return dict(x=normal(g, c.B, c.d, scale=0.5).to(H.dtype), y=y, H=H, lam=lam, step=step)


_V = torch.tensor([[-2.0, -0.5, -0.3, 0.0, 0.3, 0.5, 1.25]], dtype=F64)
SUITE.public("ista", 0.5, [
    PublicCase("soft_threshold", "lam = 0.5: values below, at and above the threshold", dict(v=_V, lam=0.5)),
    PublicCase("soft_threshold", "a tensor lam, one threshold per column",
               dict(v=torch.tensor([[1.0, -1.0], [0.2, 3.0]], dtype=F64), lam=torch.tensor([0.5, 2.0], dtype=F64))),
    PublicCase("soft_threshold", "float32 values", dict(v=_V.to(torch.float32), lam=0.25)),
    PublicCase("ista_step", "3 measurements of 4 coefficients",
               _ista_args(Linear(2, 4, 3, "random", "float64", 1), 0.1, 0.9)),
    PublicCase("ista_step", "float32 inputs", _ista_args(Linear(2, 3, 3, "random", "float32", 2), 0.2, 0.5)),
])


@SUITE.property("ista", 0.75, function="soft_threshold", v=edged(st.integers(0, 2**16), 0),
                lam=edged(st.floats(0.0, 2.0), 0.0, 0.5, 2.0), dtype=edged(st.sampled_from(["float64", "float32"]),
                                                                          "float64", "float32"))
def soft_threshold_matches(student, v, lam, dtype):
    """soft_threshold is sign(v) max(|v| - lam, 0) elementwise, exactly 0 at |v| = lam, for lam = 0, any shape and
    dtype"""
    g = rng(v)
    values = torch.cat([normal(g, 27, scale=1.5), torch.tensor([lam, -lam, 0.0], dtype=F64)])
    values = values.reshape(2, 3, -1).to(DTYPES[dtype])  # (2, 3, 5): images too
    got = student("soft_threshold", v=values, lam=lam)
    assert_close(got, expected(ref.soft_threshold, values, lam), f"soft_threshold(lam={lam:.3g})",
                 dtype=values.dtype, tol=Tol(rtol=1e-12, atol=1e-12) if dtype == "float64" else Tol(rtol=2e-7,
                                             atol=1e-7))


@SUITE.property("ista", 1.25, function="ista_step", c=linears, lam=floats(0.0, 1.0), step_frac=floats(0.1, 1.0))
def ista_step_matches(student, c, lam, step_frac):
    """ista_step is a gradient step on 0.5 ||y - H x||^2 followed by soft thresholding at lam * step, for any H, lam,
    step and dtype"""
    a = _ista_args(c, lam, step_frac)
    got = student("ista_step", **a)
    want = expected(ref.ista_step, *a.values())
    assert_close(got, want, f"ista_step (d={c.d}, m={c.rows}, lam={lam:.3g}, step={a['step']:.3g})", dtype=a["x"].dtype,
                 scale=want.value.abs() + a["x"].to(F64).abs() + lam * a["step"])


# -- mixture_mmse (3) ---------------------------------------------------------------------------------------------
def _mixture_args(m, sigma: float, *, spread: float = 2.0, far: float = 0.0):
    g = rng(m.seed)
    weights, means, covs = random_mixture(g, m.K, m.d, spread=spread)
    y = normal(g, m.N, m.d, scale=2.0)
    if far:
        y = y / y.norm(dim=1, keepdim=True).clamp(min=1e-9) * far
    return dict(y=y.to(m.torch_dtype), sigma=sigma, weights=weights, means=means, covs=covs)


def _mix_case(N, d, K, sigma, dtype=F64, seed=0):
    g = rng(seed)
    weights, means, covs = random_mixture(g, K, d)
    return dict(y=normal(g, N, d, scale=2.0).to(dtype), sigma=sigma, weights=weights, means=means, covs=covs)


SUITE.public("mixture_mmse", 0.5, [
    PublicCase("mixture_mmse", "three components in 2-D, sigma = 0.5", _mix_case(3, 2, 3, 0.5, seed=1)),
    PublicCase("mixture_mmse", "1-D, two components, sigma = 1.5 (heavy noise)", _mix_case(4, 1, 2, 1.5, seed=2)),
    PublicCase("mixture_mmse", "one component: the Gaussian posterior mean", _mix_case(2, 2, 1, 0.7, seed=3)),
    PublicCase("mixture_mmse", "float32 observations: a float32 result",
               _mix_case(2, 2, 2, 0.5, torch.float32, seed=4)),
])


@SUITE.property("mixture_mmse", 1.5, function="mixture_mmse", m=mixes(d=(1, 4)), sigma=floats(0.05, 3.0))
def mixture_mmse_is_the_exact_posterior_mean(student, m, sigma):
    """mixture_mmse is the exact E[x | y] of the mixture (GaussianMixture.denoise_ve): per-component posterior means
    mixed with the responsibilities of the law of y, for any K, d, sigma and dtype"""
    a = _mixture_args(m, sigma)
    got = student("mixture_mmse", **a)
    want = expected(gmm.GaussianMixture(a["weights"], a["means"], a["covs"]).denoise_ve, a["y"], sigma)
    assert_close(got, want, f"E[x | y] (K={m.K}, d={m.d}, sigma={sigma:.3g})", dtype=a["y"].dtype,
                 scale=want.value.abs() + a["y"].to(F64).abs())


@SUITE.property("mixture_mmse", 0.75, function="mixture_mmse", max_examples=10, d=edged(st.integers(1, 4), 2, 1),
                sigma=floats(0.1, 2.0), seed=edged(st.integers(0, 2**16), 0))
def mixture_mmse_of_one_component_is_gaussian(student, d, sigma, seed):
    """with one component the MMSE is the Gaussian posterior mean mu + Sigma (Sigma + sigma^2 I)^{-1} (y - mu)"""
    g = rng(seed)
    _, means, covs = random_mixture(g, 1, d)
    y = normal(g, 4, d, scale=2.0)
    got = student("mixture_mmse", y=y, sigma=sigma, weights=torch.ones(1, dtype=F64), means=means, covs=covs)
    S = covs[0] + sigma**2 * torch.eye(d, dtype=F64)
    want = means[0] + (y - means[0]) @ torch.linalg.solve(S, covs[0]).T  # Sigma S^{-1} (y - mu), per row
    assert_close(got, want, f"E[x | y] of one Gaussian (d={d}, sigma={sigma:.3g})", dtype=F64,
                 tol=Tol(rtol=1e-9, atol=1e-10))


@SUITE.property("mixture_mmse", 0.25, function="mixture_mmse", max_examples=8, sizes=SIZES,
                distance=floats(30.0, 300.0), seed=seeds())
def mixture_mmse_is_stable_far_away(student, sizes, distance, seed):
    """far from every component (each density underflows to 0) the MMSE stays finite and exact: log-space
    responsibilities"""
    m = Mix(N=3, d=sizes[1], K=sizes[0] + 1, dtype="float64", seed=seed)
    a = _mixture_args(m, 0.3, far=distance)
    got = student("mixture_mmse", **a)
    want = expected(gmm.GaussianMixture(a["weights"], a["means"], a["covs"]).denoise_ve, a["y"], 0.3)
    assert_close(got, want, f"E[x | y] at distance {distance:.3g} from the origin", dtype=F64,
                 scale=want.value.abs() + a["y"].abs())


# -- data_prox (1.5) ------------------------------------------------------------------------------------------------
def _prox_args(c: Linear, sigma_y: float, rho: float):
    g, H, _, y = c.tensors()
    return dict(v=normal(g, c.B, c.d).to(H.dtype), y=y, H=H, sigma_y=sigma_y, rho=rho)


SUITE.public("data_prox", 0.5, [
    PublicCase("data_prox_matrix", "3 measurements of 4 unknowns",
               _prox_args(Linear(2, 4, 3, "random", "float64", 1), 0.5, 2.0)),
    PublicCase("data_prox_matrix", "inpainting: H selects 2 of 4 pixels",
               _prox_args(Linear(2, 4, 2, "mask", "float64", 2), 0.1, 1.0)),
    PublicCase("data_prox_matrix", "float32 inputs", _prox_args(Linear(2, 3, 3, "random", "float32", 4), 0.5, 1.0)),
])


@SUITE.property("data_prox", 1, function="data_prox_matrix", c=linears, sigma_y=floats(0.05, 2.0), rho=floats(0.1,
                10.0))
def data_prox_matches(student, c, sigma_y, rho):
    """data_prox_matrix solves (H^T H / sigma_y^2 + rho I) x = H^T y / sigma_y^2 + rho v, for any H, sigma_y, rho and
    dtype"""
    a = _prox_args(c, sigma_y, rho)
    got = student("data_prox_matrix", **a)
    want = expected(red_pnp.data_prox_matrix, *a.values())
    assert_close(got, want, f"data_prox_matrix (d={c.d}, m={c.rows}, sigma_y={sigma_y:.3g}, rho={rho:.3g})",
                 dtype=a["v"].dtype, scale=want.value.abs() + a["v"].to(F64).abs())


# -- red: red_step_matrix and red_fixed_point_matrix (2.5) -------------------------------------------------------------
def _denoiser(g, d: int, *, symmetric_linear: bool = False) -> TestModel:
    """A test denoiser f(x, sigma) = x A^T + tanh(x W^T + b + sigma c): A near 0.6 I plus a non-symmetric part; with
    `symmetric_linear` a symmetric A and W = b = c = 0 (homogeneous, symmetric Jacobian)."""
    A = 0.6 * torch.eye(d, dtype=F64) + normal(g, d, d, scale=0.3 / math.sqrt(d))
    if symmetric_linear:
        z = torch.zeros(d, dtype=F64)
        return TestModel(W=torch.zeros(d, d, dtype=F64), b=z, c=z, A=(A + A.T) / 2, time="level")
    return TestModel(W=normal(g, d, d, scale=0.5), b=normal(g, d, scale=0.3), c=normal(g, d, scale=0.5), A=A,
                     time="level")


def _red_args(c: Linear, sigma_y: float, lam: float, sigma: float, *, fixed_point=False, symmetric_linear=False):
    g, H, x, y = c.tensors()
    a = dict(x=(x + 0.2 * normal(g, c.B, c.d).to(x.dtype)), y=y, H=H, sigma_y=sigma_y, lam=lam, mu=0.05,
             denoiser=_denoiser(g, c.d, symmetric_linear=symmetric_linear), sigma=sigma)
    if fixed_point:
        del a["mu"]
    return a


SUITE.public("red", 0.5, [
    PublicCase("red_step_matrix", "a non-symmetric denoiser, 3 measurements of 4 unknowns",
               _red_args(Linear(2, 4, 3, "random", "float64", 1), 0.5, 2.0, 0.3)),
    PublicCase("red_step_matrix", "inpainting, float32",
               _red_args(Linear(2, 3, 2, "mask", "float32", 2), 0.5, 1.0, 0.2)),
    PublicCase("red_fixed_point_matrix", "a non-symmetric denoiser", _red_args(Linear(2, 4, 3, "random", "float64", 3),
                                                                               0.5, 2.0, 0.3, fixed_point=True)),
    PublicCase("red_fixed_point_matrix", "float32 inputs", _red_args(Linear(2, 3, 3, "random", "float32", 4), 0.3, 1.0,
                                                                     0.5, fixed_point=True)),
])


@SUITE.property("red", 1, function="red_step_matrix", c=linears, sigma_y=floats(0.2, 2.0), lam=floats(0.1, 5.0),
                sigma=floats(0.05, 1.0))
def red_step_matches(student, c, sigma_y, lam, sigma):
    """red_step_matrix steps along the data gradient plus lam times the denoising residual x - D(x, sigma), for any
    denoiser (a non-symmetric Jacobian included), H, sigma_y, lam and dtype"""
    a = _red_args(c, sigma_y, lam, sigma)
    got = student("red_step_matrix", **a)
    want = expected(red_pnp.red_step_matrix, *a.values())
    scale = want.value.abs() + a["x"].to(F64).abs() + a["mu"] * (a["y"].to(F64).abs().sum() / sigma_y**2 + lam)
    assert_close(got, want, f"red_step_matrix (d={c.d}, m={c.rows}, lam={lam:.3g}, sigma={sigma:.3g})",
                 dtype=a["x"].dtype, scale=scale)


KINDS = edged(st.sampled_from(["random", "identity", "mask"]), "random", "identity", "mask")


@SUITE.property("red", 0.5, function="red_step_matrix", max_examples=10, sizes=SIZES, kind=KINDS,
                lam=floats(0.1, 5.0), seed=seeds())
def red_step_descends_the_red_objective(student, sizes, kind, lam, seed):
    """with a symmetric linear denoiser (homogeneous, symmetric Jacobian) red_step_matrix is a gradient step on
    ||y - H x||^2 / (2 sigma_y^2) + lam/2 x^T (x - D(x)), the gradient taken by autograd"""
    c = Linear(B=3, d=sizes[1], m=min(sizes[0], sizes[1]), kind=kind, dtype="float64", seed=seed)
    a = _red_args(c, 0.5, lam, 0.3, symmetric_linear=True)
    got = student("red_step_matrix", **a)
    x = a["x"].detach().clone().requires_grad_(True)
    energy = (((a["y"] - x @ a["H"].T) ** 2).sum() / (2 * 0.5**2)
              + lam * 0.5 * (x * (x - a["denoiser"](x, 0.3))).sum())
    (grad,) = torch.autograd.grad(energy, x)
    assert_close(got, a["x"] - a["mu"] * grad, f"red_step_matrix against gradient descent (lam={lam:.3g})", dtype=F64,
                 tol=AUTOGRAD)


@SUITE.property("red", 0.5, function="red_fixed_point_matrix", c=linears, sigma_y=floats(0.2, 2.0),
                lam=floats(0.1, 5.0), sigma=floats(0.05, 1.0))
def red_fixed_point_matches(student, c, sigma_y, lam, sigma):
    """red_fixed_point_matrix solves H^T (H x' - y) / sigma_y^2 + lam (x' - D(x, sigma)) = 0, for any denoiser, H,
    sigma_y, lam and dtype"""
    a = _red_args(c, sigma_y, lam, sigma, fixed_point=True)
    got = student("red_fixed_point_matrix", **a)
    want = expected(red_pnp.red_fixed_point_matrix, *a.values())
    assert_close(got, want, f"red_fixed_point_matrix (d={c.d}, m={c.rows}, lam={lam:.3g}, sigma={sigma:.3g})",
                 dtype=a["x"].dtype, scale=want.value.abs() + a["x"].to(F64).abs())


# -- pnp_admm (2.5) --------------------------------------------------------------------------------------------------
def _admm_args(c: Linear, sigma_y: float, lam: float, rho: float):
    g, H, x, y = c.tensors()
    dt = x.dtype
    return dict(z=(x + 0.3 * normal(g, c.B, c.d).to(dt)), u=normal(g, c.B, c.d, scale=0.3).to(dt), y=y, H=H,
                sigma_y=sigma_y, lam=lam, rho=rho, denoiser=_denoiser(g, c.d))


SUITE.public("pnp_admm", 0.5, [
    PublicCase("pnp_admm_step_matrix", "3 measurements of 4 unknowns, lam = 1, rho = 4",
               _admm_args(Linear(2, 4, 3, "random", "float64", 1), 0.5, 1.0, 4.0)),
    PublicCase("pnp_admm_step_matrix", "inpainting, lam = 0.5, rho = 2",
               _admm_args(Linear(2, 4, 2, "mask", "float64", 2),
                                                                                    0.2, 0.5, 2.0)),
    PublicCase("pnp_admm_step_matrix", "float32 inputs",
               _admm_args(Linear(2, 3, 3, "random", "float32", 3), 0.5, 1.0, 1.0)),
])


def _triple(out):
    if not isinstance(out, tuple) or len(out) != 3:
        raise CheckFailed(f"pnp_admm_step_matrix should return a triple (x, z_next, u_next), got {type(out).__name__}")
    return out


@SUITE.property("pnp_admm", 1.25, function="pnp_admm_step_matrix", c=linears, sigma_y=floats(0.2, 2.0),
                lam=floats(0.1, 3.0), rho=floats(0.5, 10.0))
def pnp_admm_step_matches(student, c, sigma_y, lam, rho):
    """pnp_admm_step_matrix is the data prox at z - u, the denoiser at x + u with sigma = sqrt(lam / rho), and the
    dual update u + x - z_next, for any denoiser, H, sigma_y, lam, rho and dtype"""
    a = _admm_args(c, sigma_y, lam, rho)
    got = _triple(student("pnp_admm_step_matrix", **a))
    want = expected(red_pnp.pnp_admm_step_matrix, *a.values())
    where = f"(d={c.d}, m={c.rows}, lam={lam:.3g}, rho={rho:.3g})"
    scale = want[0].value.abs() + a["z"].to(F64).abs() + a["u"].to(F64).abs() + 1.0
    for name, g_, w_ in zip(("x", "z_next", "u_next"), got, want):
        assert_close(g_, w_, f"{name} of pnp_admm_step_matrix {where}", dtype=a["z"].dtype, scale=scale)


@SUITE.property("pnp_admm", 0.75, function="pnp_admm_step_matrix", max_examples=10, sizes=SIZES, kind=KINDS,
                lam=floats(0.2, 3.0), rho=floats(0.5, 10.0), seed=seeds())
def pnp_admm_fixed_point_is_the_map(student, sizes, kind, lam, rho, seed):
    """with the exact MAP denoiser of a zero-mean Gaussian prior, one step of pnp_admm_step_matrix from the fixed
    point of the iteration (computed in closed form) returns that fixed point unchanged, with x = z_next = the MAP
    estimate"""
    c = Linear(B=3, d=sizes[1], m=sizes[0] + 2 if kind == "random" else min(sizes[0], sizes[1]), kind=kind,
               dtype="float64", seed=seed)
    g, H, _, y = c.tensors()
    Sigma, sigma_y, d = _spd(g, c.d, ridge=0.3), 0.5, c.d
    eye = torch.eye(d, dtype=F64)
    W = Sigma @ torch.linalg.inv(Sigma + lam / rho * eye)
    z0 = torch.zeros(d, dtype=F64)
    denoiser = TestModel(W=torch.zeros(d, d, dtype=F64), b=z0, c=z0, A=(W + W.T) / 2, time="level")
    x_map = torch.linalg.solve(H.T @ H / sigma_y**2 + lam * torch.linalg.inv(Sigma), (y @ H).T / sigma_y**2).T
    u_star = lam / rho * torch.linalg.solve(Sigma, x_map.T).T
    x, z_next, u_next = _triple(student("pnp_admm_step_matrix", z=x_map, u=u_star, y=y, H=H, sigma_y=sigma_y, lam=lam,
                                        rho=rho, denoiser=denoiser))
    tol = Tol(rtol=1e-7, atol=1e-8)  # the fixed point is computed through other solves: float64 round-off
    for name, got, want in (("x", x, x_map), ("z_next", z_next, x_map), ("u_next", u_next, u_star)):
        assert_close(got, want, f"{name} after one step from PnP-ADMM's fixed point (lam={lam:.3g}, rho={rho:.3g})",
                     dtype=F64, tol=tol, scale=want.abs() + x_map.abs().max())


# -- written questions (graded by hand; the rubrics are in the master notebook) ---------------------------------
SUITE.manual("conditional_derivation", 3, "Derivation: the conditional and the marginal of a joint Gaussian")
SUITE.manual("wiener_derivation", 2, "Derivation: the posterior under a Gaussian prior, why its mean is the MMSE "
             "estimate, MAP and Tikhonov")
SUITE.manual("classical_priors", 1, "Interpretation: Wiener, Tikhonov and ISTA on blurred digits")
SUITE.manual("map_vs_mmse", 1, "Interpretation: MAP against MMSE under a mixture prior")
SUITE.manual("red_derivation", 3, "Derivation: RED's gradient, and when the Jacobian term drops")
SUITE.manual("pnp_fixed_point", 2, "Derivation: PnP-ADMM's fixed point on a linear Gaussian problem")
SUITE.manual("denoisers_as_priors", 1, "Interpretation: three denoisers as priors for RED and PnP")

SUITE.arrange(["conditional_derivation", "gaussian_condition", "gaussian_kl", "gaussian_score", "wiener_derivation",
               "wiener", "tikhonov", "ista", "classical_priors", "mixture_mmse", "map_vs_mmse", "red_derivation",
               "data_prox", "red", "pnp_fixed_point", "pnp_admm", "denoisers_as_priors"])
