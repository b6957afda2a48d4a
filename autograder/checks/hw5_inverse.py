"""Hidden checks of hw5_inverse: the SVD of two degradations (inpainting, block-average super-resolution), DDRM's
step and sampler, a DPS step and a ΠGDM step; and the written questions (what DDRM's step does per spectral
coordinate, DDRM against the exact posterior, DPS's gradient and step size, the digit restorations), graded by hand.

Reads side by side with `solutions/hw5_inverse/hw5_inverse.ipynb` and `course_core/inverse.py`. The samplers take a
degradation object; the checks hand them a `TestOperator` (the dense SVD factors of a `course_core.inverse`
degradation: inpainting with random masks, empty and full ones, super-resolution, colorization, a separable blur
with `U != I` and singular values exactly 0 among the observed ones), so a sampler is checked with correct operators
whatever the student's own are. Besides agreeing with the reference, the functions are held to the identities
the methods rest on: with nothing observed DDRM is DDIM (with the converted eta), with a noiseless measurement
DDRM's last step satisfies `H x = y` exactly, DDRM run with the exact denoiser of a Gaussian mixture lands near the
exact posterior (`inverse.mixture_posterior`, within bounds measured on the reference), DPS with `zeta = 0` is DDIM.
While a function is checked, the student's `ddrm_step` called from `ddrm_sample` is answered by the reference
(`Suite(helpers=...)`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
from hypothesis import strategies as st

from course_core import ddim, gmm, schedules, toy
from course_core import inverse as ref

from ..boundary.codec import TestOperator
from .cases import DTYPES, edged, expected, normal, rng, test_model
from .catalogs.hw5_inverse import CATALOG
from .compare import LOOP, CheckFailed, GraderBug, Tol, assert_close
from .framework import Suite
from .public import FLOAT64_EXACT, PublicCase

SUITE = Suite("hw5_inverse", helpers=[ref.ddrm_step], catalog=CATALOG)
F64, I64 = torch.float64, torch.int64
EXACT = Tol(rtol=1e-12, atol=1e-12)  # a permutation, or a constant: exactly the reference's numbers
SINGULARS = Tol(rtol=1e-9, atol=1e-12)  # float64 by contract


def dense(op) -> TestOperator:
    """The `TestOperator` of a `course_core.inverse` degradation: its SVD factors as dense float64 matrices."""
    Vt = op.V_T(torch.eye(op.d, dtype=F64)).T  # V_T(e_j) is row j of V
    U = op.U(torch.eye(op.m, dtype=F64)).T if op.m else torch.zeros(0, 0, dtype=F64)
    return TestOperator(Vt, U, op.singulars().to(F64), op.shape)


# -- degradations --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Op:
    """A degradation: `kind` on one sample's `shape`; inpainting observes each entry with probability `p` (a
    random mask from `seed`), super-resolution averages `factor` x `factor` blocks, a blur convolves each channel
    with a separable 3-tap kernel (the box [1, 1, 1] / 3 when seed is 0: exact zero singular values on a side of
    5 pixels; else a random positive one), colorization averages the channels, "empty" observes nothing."""

    kind: str
    shape: tuple
    factor: int = 1
    p: float = 0.5
    seed: int = 0

    def reference(self):
        if self.kind == "inpaint":
            g = rng(self.seed)
            return ref.Inpainting(torch.from_numpy(g.uniform(size=self.shape) < self.p))
        if self.kind == "empty":
            return ref.Inpainting(torch.zeros(self.shape, dtype=torch.bool))
        if self.kind == "denoise":
            return ref.Denoising(self.shape)
        if self.kind == "superres":
            return ref.SuperResolution(self.shape, self.factor)
        if self.kind == "color":
            return ref.Colorization(self.shape)
        if self.kind == "blur":
            kernel = (torch.ones(3, dtype=F64) if self.seed == 0
                      else torch.from_numpy(rng(self.seed).uniform(0.2, 1.0, size=3)))
            return ref.SeparableBlur(self.shape, kernel / kernel.sum())
        raise ValueError(f"unknown degradation {self.kind!r}")

    def operator(self) -> TestOperator:
        return dense(self.reference())


_OPS = [Op("superres", (1, 4, 4), factor=2), Op("inpaint", (1, 3, 3), p=0.5, seed=1), Op("blur", (1, 5, 4)),
        Op("blur", (2, 3, 3), seed=3), Op("color", (3, 2, 3)), Op("denoise", (4,)), Op("empty", (1, 2, 3)),
        Op("inpaint", (6,), p=0.7, seed=2), Op("superres", (3, 4, 6), factor=2), Op("superres", (1, 6, 3), factor=3)]
ops = edged(st.builds(lambda op, seed: replace(op, seed=seed) if op.kind == "inpaint" else op,
                      st.sampled_from(_OPS), st.integers(0, 2**16)), *_OPS)
# Singular values that are not all 1, so that H^T and H^+ differ and sigma_y / s_i is not sigma_y.
scaled_ops = edged(st.sampled_from([op for op in _OPS if op.kind in ("superres", "blur", "color")]),
                   *[op for op in _OPS if op.kind in ("superres", "blur", "color")])


def _schedule(T: int) -> torch.Tensor:
    """A coarse T-step schedule (beta from 0.01 to 0.3 for small T; Ho et al.'s for T = 1000): the noise levels
    sigma_t of the scaled variable run from about 0.1 to 10 and more, so that both sides of sigma_y / s_i occur."""
    beta = schedules.linear_beta_schedule(T) if T >= 500 else schedules.linear_beta_schedule(T, 0.01, 0.3)
    return schedules.alpha_bar_from_beta(beta)


def _steps(g, B: int, T: int, last: bool):
    """t uniform in [0, T) and t_prev uniform in [-1, t), per sample; `last` puts t_prev[0] at -1."""
    t = torch.from_numpy(g.integers(0, T, size=B)).to(I64)
    t_prev = torch.from_numpy(g.integers(-1, t.numpy())).to(I64) if B else t.clone()
    if last:
        t_prev[0] = -1
    return t, t_prev


def _measurement(g, op: TestOperator, B: int, sigma_y: float) -> torch.Tensor:
    """y = H x0 + sigma_y n (B, m) float64, for B standard normal images x0."""
    return op.H(normal(g, B, *op.shape)) + sigma_y * normal(g, B, op.m)


# -- inpainting_svd (3) -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mask:
    """B samples of `shape` in dtype and a random mask of that shape observing each entry with probability p
    (0: nothing observed, 1: everything)."""

    B: int
    shape: tuple
    p: float
    dtype: str
    seed: int

    def tensors(self):
        g = rng(self.seed)
        mask = torch.from_numpy(g.uniform(size=self.shape) < self.p)
        return normal(g, self.B, *self.shape, dtype=DTYPES[self.dtype]), mask


_MASK = Mask(B=3, shape=(1, 4, 4), p=0.5, dtype="float64", seed=0)
masks = edged(st.builds(Mask, B=st.integers(1, 4), shape=st.sampled_from([(1, 4, 4), (3, 2, 2), (6,), (2, 3, 5), (1, 8, 8)]),
                        p=st.sampled_from([0.0, 0.2, 0.5, 0.8, 1.0]), dtype=st.sampled_from(["float64", "float32"]),
                        seed=st.integers(0, 2**16)),
              _MASK, replace(_MASK, p=0.0), replace(_MASK, p=1.0), replace(_MASK, shape=(6,)),
              replace(_MASK, shape=(3, 2, 2), p=0.3), replace(_MASK, B=1), replace(_MASK, dtype="float32"),
              replace(_MASK, shape=(1, 8, 8), seed=1))


def _mask(shape, p, seed):
    return torch.from_numpy(rng(seed).uniform(size=shape) < p)


def _x(B, shape, dtype=F64, seed=0):
    return normal(rng(seed + 100), B, *shape, dtype=dtype)


SUITE.public("inpainting_svd", 0.5, [
    PublicCase("inpaint_V_T", "a random mask on (1, 3, 3) images", dict(x=_x(2, (1, 3, 3)), mask=_mask((1, 3, 3), 0.5, 3)),
               tol=FLOAT64_EXACT),
    PublicCase("inpaint_V", "the inverse permutation, a random mask on flat (5,) data",
               dict(z=_x(2, (5,), seed=1), mask=_mask((5,), 0.5, 1)), tol=FLOAT64_EXACT),
    PublicCase("inpaint_singulars", "a random mask on (2, 2, 2)", dict(mask=_mask((2, 2, 2), 0.5, 2)), tol=FLOAT64_EXACT),
    PublicCase("inpaint_V_T", "an empty mask (nothing observed, m = 0)",
               dict(x=_x(2, (1, 2, 2), seed=2), mask=torch.zeros(1, 2, 2, dtype=torch.bool)), tol=FLOAT64_EXACT),
    PublicCase("inpaint_singulars", "a full mask (m = d)", dict(mask=torch.ones(4, dtype=torch.bool)), tol=FLOAT64_EXACT),
    PublicCase("inpaint_V_T", "float32 data", dict(x=_x(2, (4,), torch.float32, seed=3), mask=_mask((4,), 0.5, 4))),
])


@SUITE.property("inpainting_svd", 1, function="inpaint_V_T", c=masks)
def inpaint_V_T_matches(student, c):
    """inpaint_V_T lists the observed entries, then the missing ones, each in row-major order, for any mask (empty
    and full ones included), data shape and dtype"""
    x, mask = c.tensors()
    got = student("inpaint_V_T", x=x, mask=mask)
    assert_close(got, ref.inpaint_V_T(x.to(F64), mask), f"inpaint_V_T (m = {int(mask.sum())} of {mask.numel()} "
                 "observed)", dtype=x.dtype, tol=EXACT)


@SUITE.property("inpainting_svd", 1, function="inpaint_V", c=masks)
def inpaint_V_inverts_V_T(student, c):
    """inpaint_V is the inverse permutation: V(V^T x) = x, for any mask, data shape and dtype"""
    x, mask = c.tensors()
    z = ref.inpaint_V_T(x, mask)
    got = student("inpaint_V", z=z, mask=mask)
    assert_close(got, x.reshape(x.shape[0], -1).to(F64), f"inpaint_V(inpaint_V_T(x)) (m = {int(mask.sum())} of "
                 f"{mask.numel()} observed)", dtype=x.dtype, tol=EXACT)


@SUITE.property("inpainting_svd", 0.5, function="inpaint_singulars", c=masks)
def inpaint_singulars_are_ones(student, c):
    """inpaint_singulars is float64 ones, one per observed entry (none for an empty mask)"""
    _, mask = c.tensors()
    got = student("inpaint_singulars", mask=mask)
    assert_close(got, ref.inpaint_singulars(mask), f"inpaint_singulars (m = {int(mask.sum())})", dtype=F64, tol=EXACT)


# -- superres_svd (3) --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Blocks:
    """B images of `shape` (C, H, W) in dtype, averaged over `factor` x `factor` blocks."""

    B: int
    shape: tuple
    factor: int
    dtype: str
    seed: int

    def tensors(self):
        return normal(rng(self.seed), self.B, *self.shape, dtype=DTYPES[self.dtype])


_BLOCKS = Blocks(B=3, shape=(1, 4, 4), factor=2, dtype="float64", seed=0)
_SR_SIZES = [((1, 4, 4), 2), ((3, 4, 6), 2), ((1, 6, 6), 3), ((2, 2, 2), 1), ((1, 8, 8), 4), ((2, 6, 4), 2)]
blocks = edged(st.builds(lambda size, B, dtype, seed: Blocks(B, size[0], size[1], dtype, seed),
                         st.sampled_from(_SR_SIZES), st.integers(1, 4), st.sampled_from(["float64", "float32"]),
                         st.integers(0, 2**16)),
               _BLOCKS, replace(_BLOCKS, shape=(3, 4, 6)), replace(_BLOCKS, shape=(1, 6, 6), factor=3),
               replace(_BLOCKS, shape=(2, 2, 2), factor=1), replace(_BLOCKS, shape=(1, 8, 8), factor=4),
               replace(_BLOCKS, B=1), replace(_BLOCKS, dtype="float32"))

SUITE.public("superres_svd", 0.5, [
    PublicCase("sr_V_T", "(1, 4, 4) images, factor 2", dict(x=_x(2, (1, 4, 4)), shape=(1, 4, 4), factor=2)),
    PublicCase("sr_V_T", "(2, 2, 4) images (two channels, not square), factor 2",
               dict(x=_x(1, (2, 2, 4), seed=1), shape=(2, 2, 4), factor=2)),
    PublicCase("sr_V", "the inverse of sr_V_T, (1, 6, 6) images, factor 3",
               dict(z=_x(1, (36,), seed=2), shape=(1, 6, 6), factor=3)),
    PublicCase("sr_singulars", "(3, 4, 4), factor 2", dict(shape=(3, 4, 4), factor=2), tol=FLOAT64_EXACT),
    PublicCase("sr_V_T", "float32 data, factor 2", dict(x=_x(2, (1, 2, 2), torch.float32, seed=3), shape=(1, 2, 2),
                                                        factor=2)),
])


@SUITE.property("superres_svd", 1, function="sr_V_T", c=blocks)
def sr_V_T_matches(student, c):
    """sr_V_T gives each block's observed coordinate (in y's order), then the null coordinates of block 0, of block 1,
    ..., in the basis householder(f**2), for any channels, image size, factor (1 included) and dtype"""
    x = c.tensors()
    got = student("sr_V_T", x=x, shape=c.shape, factor=c.factor)
    assert_close(got, expected(ref.sr_V_T, x, c.shape, c.factor), f"sr_V_T(shape={c.shape}, factor={c.factor})",
                 dtype=x.dtype)


@SUITE.property("superres_svd", 1, function="sr_V", c=blocks)
def sr_V_inverts_V_T(student, c):
    """sr_V maps spectral coordinates back to the image: V(V^T x) = x, for any channels, image size, factor and
    dtype"""
    x = c.tensors()
    z = ref.sr_V_T(x, c.shape, c.factor)
    got = student("sr_V", z=z, shape=c.shape, factor=c.factor)
    want = expected(ref.sr_V, z, c.shape, c.factor)
    assert_close(got, want, f"sr_V(sr_V_T(x), shape={c.shape}, factor={c.factor})", dtype=x.dtype)


@SUITE.property("superres_svd", 0.5, function="sr_singulars", c=blocks)
def sr_singulars_match(student, c):
    """sr_singulars is 1/f per block, float64"""
    got = student("sr_singulars", shape=c.shape, factor=c.factor)
    assert_close(got, ref.sr_singulars(c.shape, c.factor), f"sr_singulars(shape={c.shape}, factor={c.factor})",
                 dtype=F64, tol=SINGULARS)


# -- ddrm_step (4) -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One DDRM step of B samples under the degradation `op` of a T-step schedule, the measurement of random
    images with noise sigma_y, random x_t, x0_pred and noise in dtype; t and t_prev uniform per sample (`last`:
    the first sample's t_prev is -1)."""

    op: Op
    B: int
    T: int
    last: bool
    sigma_y: float
    eta: float
    eta_b: float
    dtype: str
    seed: int

    def tensors(self):
        g = rng(self.seed)
        op = self.op.operator()
        alpha_bar = _schedule(self.T)
        t, t_prev = _steps(g, self.B, self.T, self.last)
        dtype = DTYPES[self.dtype]
        y = _measurement(g, op, self.B, self.sigma_y)
        x_t, x0_pred, noise = (normal(g, self.B, *op.shape, dtype=dtype) for _ in range(3))
        return dict(x_t=x_t, t=t, t_prev=t_prev, x0_pred=x0_pred, y=y.to(dtype), op=op, alpha_bar=alpha_bar,
                    sigma_y=self.sigma_y, eta=self.eta, eta_b=self.eta_b, noise=noise)


_STEP = Step(op=_OPS[0], B=4, T=20, last=False, sigma_y=0.2, eta=0.85, eta_b=1.0, dtype="float64", seed=0)
steps = edged(st.builds(Step, op=ops.strategy, B=st.integers(1, 5), T=st.sampled_from([2, 10, 20, 50, 1000]),
                        last=st.booleans(), sigma_y=st.sampled_from([0.0, 0.05, 0.2, 0.5, 1.0]),
                        eta=st.sampled_from([0.0, 0.5, 0.85, 1.0]), eta_b=st.sampled_from([0.0, 0.4, 1.0]),
                        dtype=st.sampled_from(["float64", "float32"]), seed=st.integers(0, 2**16)),
              _STEP, *[replace(_STEP, op=op) for op in _OPS[1:]], replace(_STEP, last=True),
              replace(_STEP, sigma_y=0.0), replace(_STEP, sigma_y=1.0, seed=1), replace(_STEP, eta=0.0),
              replace(_STEP, eta_b=0.0), replace(_STEP, eta_b=0.4, eta=1.0), replace(_STEP, T=1000),
              replace(_STEP, B=1), replace(_STEP, dtype="float32"), replace(_STEP, op=_OPS[2], dtype="float32"))


def _step_args(c: Step) -> dict:
    return c.tensors()


def _step_case(op: Op, sigma_y, eta, eta_b, t, t_prev, dtype=F64, seed=0, T=20):
    g = rng(seed)
    operator = op.operator()
    B = len(t)
    y = _measurement(g, operator, B, sigma_y)
    x_t, x0_pred, noise = (normal(g, B, *operator.shape, dtype=dtype) for _ in range(3))
    return dict(x_t=x_t, t=torch.tensor(t), t_prev=torch.tensor(t_prev), x0_pred=x0_pred, y=y.to(dtype), op=operator,
                alpha_bar=_schedule(T), sigma_y=sigma_y, eta=eta, eta_b=eta_b, noise=noise)


_SR = Op("superres", (1, 4, 4), factor=2)
SUITE.public("ddrm_step", 0.5, [
    PublicCase("ddrm_step", "super-resolution x2 (s = 1/2), sigma_y = 0.2: samples 0-1 noisier than y (the third "
               "case), samples 2-3 less noisy (the second)", _step_case(_SR, 0.2, 0.85, 1.0, [19, 12, 3, 1], [15, 10, 1, 0])),
    PublicCase("ddrm_step", "inpainting (unobserved entries: the first case), eta_b = 0.4, eta = 0.5",
               _step_case(Op("inpaint", (1, 2, 3), p=0.5, seed=1), 0.1, 0.5, 0.4, [18, 6], [9, 2], seed=1)),
    PublicCase("ddrm_step", "sigma_y = 0, eta_b = 1, the last step (t_prev = -1): H x = y",
               _step_case(_SR, 0.0, 0.85, 1.0, [4, 2], [-1, -1], seed=2)),
    PublicCase("ddrm_step", "nothing observed (m = 0): DDIM", _step_case(Op("empty", (1, 2, 2)), 0.1, 0.7, 1.0, [10, 5],
                                                                         [4, -1], seed=3)),
    PublicCase("ddrm_step", "float32 data", _step_case(_SR, 0.2, 1.0, 1.0, [15, 2], [7, 0], torch.float32, seed=4)),
])


@SUITE.property("ddrm_step", 1.5, function="ddrm_step", c=steps)
def ddrm_step_matches(student, c):
    """ddrm_step treats each spectral coordinate by its case (not observed; observation noisier than the step;
    observation less noisy), in the scaled variable, for degradations with U != I and zero singular values, any
    sigma_y (0 included), eta, eta_b, data shape and dtype"""
    a = _step_args(c)
    got = student("ddrm_step", **a)
    want = expected(ref.ddrm_step, *a.values())
    assert_close(got, want, f"ddrm_step (degradation {c.op.kind}, sigma_y={c.sigma_y}, eta={c.eta}, eta_b={c.eta_b}, "
                 f"t={a['t'].tolist()}, t_prev={a['t_prev'].tolist()})", dtype=a["x_t"].dtype)


@dataclass(frozen=True)
class Boundary:
    """A degradation `op`, a measurement noise sigma_y and, per distinct positive singular value s_b of `op`, one
    sample whose step's target noise level sigma lies just on one side of sigma_y / s_b: `side` "below" (the
    coordinates with s_i = s_b are in the second case, the measurement noisier) or "above" (the third, less
    noisy), by the factor 1 -/+ `gap`. The sample's other coordinates fall wherever their s_i puts them."""

    op: Op
    sigma_y: float
    side: str
    gap: float
    dtype: str
    seed: int

    def tensors(self):
        """ddrm_step's arguments: B = the number of distinct positive singular values, sample b stepping to a
        t_prev whose sigma is (1 -/+ gap) sigma_y / s_b; alpha_bar is built to put those levels at indices."""
        g = rng(self.seed)
        op = self.op.operator()
        s = op.singulars()
        levels = torch.unique(s[s > 0])  # (B,)
        B = levels.shape[0]
        factor = 1 - self.gap if self.side == "below" else 1 + self.gap
        sigma = factor * self.sigma_y / levels  # the target noise level of each sample's step
        ab_prev = 1 / (1 + sigma**2)  # sigma = sqrt(1 - ab) / sqrt(ab)
        # alpha_bar: the B targets (increasing noise, decreasing alpha_bar), then one noisier step per sample.
        order = torch.argsort(ab_prev, descending=True)
        ab_sorted = ab_prev[order]
        alpha_bar = torch.cat([ab_sorted, ab_sorted[-1] * torch.tensor([0.5, 0.25], dtype=F64)])
        t_prev = torch.empty(B, dtype=I64)
        t_prev[order] = torch.arange(B)
        t = torch.full((B,), B + 1, dtype=I64)
        dtype = DTYPES[self.dtype]
        y = _measurement(g, op, B, self.sigma_y)
        x_t, x0_pred, noise = (normal(g, B, *op.shape, dtype=dtype) for _ in range(3))
        return dict(x_t=x_t, t=t, t_prev=t_prev, x0_pred=x0_pred, y=y.to(dtype), op=op, alpha_bar=alpha_bar,
                    sigma_y=self.sigma_y, eta=0.5, eta_b=0.7, noise=noise)


_BOUNDARY = Boundary(op=_OPS[2], sigma_y=0.3, side="below", gap=0.02, dtype="float64", seed=0)
boundaries = edged(st.builds(Boundary, op=scaled_ops.strategy, sigma_y=st.sampled_from([0.05, 0.3, 1.0]),
                             side=st.sampled_from(["below", "above"]), gap=st.sampled_from([0.02, 0.1]),
                             dtype=st.sampled_from(["float64", "float32"]), seed=st.integers(0, 2**16)),
                   _BOUNDARY, replace(_BOUNDARY, side="above"), replace(_BOUNDARY, op=_OPS[0]),
                   replace(_BOUNDARY, op=_OPS[0], side="above"), replace(_BOUNDARY, op=_OPS[4], side="above"),
                   replace(_BOUNDARY, dtype="float32", side="above"))


@SUITE.property("ddrm_step", 0.5, function="ddrm_step", max_examples=10, c=boundaries)
def ddrm_step_case_boundary_goes_the_right_way(student, c):
    """on each side of every case boundary (one sample per singular value s_b of the degradation, its step's noise
    level just below or just above sigma_y / s_b), ddrm_step takes the case the noise levels call for"""
    a = c.tensors()
    got = student("ddrm_step", **a)
    which = "noisier than the step" if c.side == "below" else "less noisy than the step"
    assert_close(got, expected(ref.ddrm_step, *a.values()), f"ddrm_step with sample b's step noise level "
                 f"{'just below' if c.side == 'below' else 'just above'} sigma_y / s_b, s_b its singular value "
                 f"(on the coordinates with s_i = s_b the measurement is {which}; degradation {c.op.kind}, "
                 f"sigma_y={c.sigma_y})", dtype=a["x_t"].dtype)


@SUITE.property("ddrm_step", 0.5, function="ddrm_step", max_examples=10, c=steps)
def ddrm_step_with_nothing_observed_is_ddim(student, c):
    """with nothing observed (H = 0) ddrm_step is DDIM's step with eta_DDIM = eta sqrt(1 - ab_t) / sqrt(1 - ab_t /
    ab_prev), the model's noise prediction and the same noise, whatever y and sigma_y"""
    a = _step_args(replace(c, op=Op("empty", c.op.shape)))
    got = student("ddrm_step", **a)
    ab = torch.cat([a["alpha_bar"], torch.ones(1, dtype=F64)])  # index -1 is alpha_bar = 1
    rows = []
    for b in range(a["x_t"].shape[0]):
        ab_t, ab_prev = ab[a["t"][b]], ab[a["t_prev"][b]]
        eta_ddim = float(c.eta * torch.sqrt(1 - ab_t) / torch.sqrt(1 - ab_t / ab_prev))
        x_t, x0 = a["x_t"][b:b + 1].to(F64), a["x0_pred"][b:b + 1].to(F64)
        eps = (x_t - torch.sqrt(ab_t) * x0) / torch.sqrt(1 - ab_t)
        rows.append(ddim.ddim_step(x_t, a["t"][b:b + 1], a["t_prev"][b:b + 1], eps, a["alpha_bar"], eta_ddim,
                                   a["noise"][b:b + 1].to(F64)))
    want = expected(ref.ddrm_step, *a.values())  # the same numbers as the DDIM rows; its float32 budget
    if not torch.allclose(torch.cat(rows), want.value, rtol=1e-6, atol=1e-6):  # the grader's own identity
        raise GraderBug("ddrm_step with nothing observed: the reference disagrees with the DDIM oracle")
    assert_close(got, want, f"ddrm_step with nothing observed against DDIM (eta={c.eta}, t={a['t'].tolist()}, "
                 f"t_prev={a['t_prev'].tolist()})", dtype=a["x_t"].dtype)


@SUITE.property("ddrm_step", 0.5, function="ddrm_step", max_examples=10, c=steps)
def ddrm_step_noiseless_last_step_fits_y(student, c):
    """with sigma_y = 0 and eta_b = 1, the last step (t_prev = -1) returns an image that the degradation maps
    exactly to y: H x = y"""
    a = _step_args(replace(c, sigma_y=0.0, eta_b=1.0))
    a["t_prev"] = torch.full_like(a["t_prev"], -1)
    op = a["op"]
    got = student("ddrm_step", **a)
    assert_close(got, expected(ref.ddrm_step, *a.values()), f"ddrm_step(sigma_y=0, eta_b=1, t_prev=-1) (degradation "
                 f"{c.op.kind})", dtype=a["x_t"].dtype)
    fit = op.H(got.to(F64))
    # y is observed only where s_i > 0: compare U^T y there (a blur's zero singular values lose the rest).
    keep = op.singulars() > 0
    assert_close(op.U_T(fit)[:, keep], op.U_T(a["y"].to(F64))[:, keep], "H x against y after the noiseless last "
                 "step", tol=LOOP if a["x_t"].dtype == torch.float32 else Tol(1e-9, 1e-9))


# DDRM with the exact denoiser of a 2-D mixture (the ring of homework 2, radius 1, std 0.15): inpainting of x_1
# at sigma_y = 0.05, y = 0.6 (a two-mode posterior over x_2). 2000 samples, 50 DDIM steps of Ho et al.'s
# schedule, eta = 0.85, eta_b = 1, from pure noise. Measured on the reference (seeds 0-3): mean error 0.016-0.018,
# std ratio 1.00-1.04 (observed x_1) and 0.94 (missing x_2), correlation of x_1 and x_2 within 0.043 of the exact
# (which is 0), share above the axis 0.49-0.50 (exact 0.50). With 25
# steps the observed coordinate's spread is 2.2 times the exact one (the last step leaves the model's error at
# sigma_t of about 0.1): DDRM needs the steps. Bounds: mean within 0.06, std ratio in [0.75, 1.3], correlation
# within 0.15, share within 0.08.
_RING = toy.ring_mixture(radius=1.0, std=0.15)


@SUITE.check("ddrm_step", 0.5, function="ddrm_step")
def ddrm_step_samples_near_the_exact_posterior(student):
    """run with the exact noise predictor of a Gaussian-mixture prior (inpainting of one coordinate of a ring of 8
    Gaussians), ddrm_step's samples have the exact posterior's mean, covariance and two modes within bounds measured
    on the reference (DDRM is not an exact posterior sampler; the bounds allow for that)"""
    weights, means, covs = _RING
    inpaint = ref.Inpainting(torch.tensor([True, False]))
    op = dense(inpaint)
    alpha_bar = schedules.alpha_bar_from_beta(schedules.linear_beta_schedule(1000))
    timesteps = [int(s) for s in ddim.ddim_timesteps(1000, 50)]
    g = torch.Generator().manual_seed(0)
    N = 2000
    y = torch.full((N, 1), 0.6, dtype=F64)
    x = torch.randn(N, 2, generator=g, dtype=F64)
    for i, step in enumerate(timesteps):
        t = torch.full((N,), step, dtype=I64)
        t_prev = torch.full((N,), timesteps[i + 1] if i + 1 < len(timesteps) else -1, dtype=I64)
        eps = gmm.mixture_eps(x, alpha_bar[t], weights, means, covs)
        x0_pred = (x - torch.sqrt(1 - alpha_bar[t])[:, None] * eps) / torch.sqrt(alpha_bar[t])[:, None]
        x = student("ddrm_step", x_t=x, t=t, t_prev=t_prev, x0_pred=x0_pred, y=y, op=op, alpha_bar=alpha_bar,
                    sigma_y=0.05, eta=0.85, eta_b=1.0, noise=torch.randn(N, 2, generator=g, dtype=F64))
        if not isinstance(x, torch.Tensor) or tuple(x.shape) != (N, 2) or not bool(torch.isfinite(x).all()):
            raise CheckFailed(f"ddrm_step returned {'non-finite values' if isinstance(x, torch.Tensor) else type(x)} "
                              f"at step {step} of a 50-step DDRM run")
        x = x.to(F64)
    pw, pm, pc = ref.mixture_posterior(weights, means, covs, inpaint, y[0], 0.05)
    mean = pw @ pm
    cov = (pw[:, None, None] * (pc + pm[:, :, None] * pm[:, None, :])).sum(0) - torch.outer(mean, mean)
    var = cov.diagonal()
    corr, exact_corr = float(torch.corrcoef(x.T)[0, 1]), float(cov[0, 1] / var.sqrt().prod())
    ratio = x.std(0) / var.sqrt()
    share = float((x[:, 1] > 0).double().mean())
    exact_share = float(pw @ torch.special.ndtr(pm[:, 1] / pc[:, 1, 1].sqrt()))
    problems = []
    if float((x.mean(0) - mean).abs().max()) > 0.06:
        problems.append(f"mean {x.mean(0).numpy().round(3).tolist()} against the exact {mean.numpy().round(3).tolist()}")
    if not bool(((ratio > 0.75) & (ratio < 1.3)).all()):
        problems.append(f"standard deviation {x.std(0).numpy().round(3).tolist()} against the exact "
                        f"{var.sqrt().numpy().round(3).tolist()}")
    if abs(corr - exact_corr) > 0.15:
        problems.append(f"correlation of x_1 and x_2 {corr:.3f} against the exact {exact_corr:.3f}")
    if abs(share - exact_share) > 0.08:
        problems.append(f"share of samples above the axis {share:.3f} against the exact {exact_share:.3f}")
    if problems:
        raise CheckFailed("DDRM with your ddrm_step and the exact denoiser of the ring (inpainting x_1 = 0.6, "
                          "sigma_y = 0.05, 50 steps, eta = 0.85, eta_b = 1, 2000 samples) is far from the exact "
                          "posterior: " + "; ".join(problems))


# -- ddrm_sample (2) -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sampling:
    """DDRM sampling of B samples under `op` with a test eps-model, S steps of a T-step schedule (a spacing of
    ddim_timesteps, or "random": S distinct indices, descending, with uneven gaps), sigma_y, eta, eta_b, dtype."""

    op: Op
    B: int
    T: int
    S: int
    spacing: str
    sigma_y: float
    eta: float
    eta_b: float
    dtype: str
    seed: int

    def tensors(self):
        g = rng(self.seed)
        op = self.op.operator()
        d = op.d
        model = test_model(g, d, scale=0.3, time_scale=2.0 / self.T, time="index")
        dtype = DTYPES[self.dtype]
        if self.spacing == "random":
            timesteps = torch.from_numpy(g.choice(self.T, size=self.S, replace=False)).sort(descending=True).values
        else:
            timesteps = ddim.ddim_timesteps(self.T, self.S, self.spacing)
        y = _measurement(g, op, self.B, self.sigma_y)
        return dict(eps_model=model, x_T=normal(g, self.B, *op.shape, dtype=dtype), y=y.to(dtype), op=op,
                    alpha_bar=_schedule(self.T), timesteps=timesteps.to(I64), sigma_y=self.sigma_y, eta=self.eta,
                    eta_b=self.eta_b, noise=normal(g, self.S, self.B, *op.shape, dtype=dtype))


_SAMPLING = Sampling(op=_OPS[0], B=3, T=20, S=4, spacing="leading", sigma_y=0.2, eta=0.85, eta_b=1.0,
                     dtype="float64", seed=0)
samplings = edged(st.builds(Sampling, op=ops.strategy, B=st.integers(1, 4), T=st.sampled_from([8, 20, 50, 1000]),
                            S=st.integers(1, 6), spacing=st.sampled_from([*ddim.SPACINGS, "random"]),
                            sigma_y=st.sampled_from([0.0, 0.1, 0.5]), eta=st.sampled_from([0.0, 0.85, 1.0]),
                            eta_b=st.sampled_from([0.0, 1.0]), dtype=st.sampled_from(["float64", "float32"]),
                            seed=st.integers(0, 2**16)).filter(lambda s: s.S <= s.T),
                  _SAMPLING, replace(_SAMPLING, S=1), replace(_SAMPLING, spacing="random"),
                  replace(_SAMPLING, spacing="trailing", T=8, S=3), replace(_SAMPLING, op=_OPS[2]),
                  replace(_SAMPLING, op=_OPS[1], sigma_y=0.0), replace(_SAMPLING, eta=0.0, eta_b=0.0),
                  replace(_SAMPLING, B=1), replace(_SAMPLING, dtype="float32"), replace(_SAMPLING, T=1000, S=5))


def _sample_case(op: Op, steps, sigma_y, eta, eta_b, dtype=F64, seed=0, T=20, B=2):
    g = rng(seed)
    operator = op.operator()
    model = test_model(g, operator.d, scale=0.3, time_scale=2.0 / T, time="index")
    y = _measurement(g, operator, B, sigma_y)
    return dict(eps_model=model, x_T=normal(g, B, *operator.shape, dtype=dtype), y=y.to(dtype), op=operator,
                alpha_bar=_schedule(T), timesteps=torch.tensor(steps, dtype=I64), sigma_y=sigma_y, eta=eta,
                eta_b=eta_b, noise=normal(g, len(steps), B, *operator.shape, dtype=dtype))


SUITE.public("ddrm_sample", 0.5, [
    PublicCase("ddrm_sample", "super-resolution x2, timesteps 19, 14, 9, 4 (leading spacing), sigma_y = 0.2",
               _sample_case(_SR, [19, 14, 9, 4], 0.2, 0.85, 1.0)),
    PublicCase("ddrm_sample", "inpainting, sigma_y = 0, timesteps 17, 10, 2 (uneven gaps)",
               _sample_case(Op("inpaint", (1, 2, 3), p=0.5, seed=1), [17, 10, 2], 0.0, 1.0, 1.0, seed=1)),
    PublicCase("ddrm_sample", "float32 data, one step", _sample_case(_SR, [9], 0.1, 0.5, 1.0, torch.float32, seed=2)),
])


@SUITE.property("ddrm_sample", 1.5, function="ddrm_sample", max_examples=12, c=samplings)
def ddrm_sample_matches(student, c):
    """ddrm_sample runs ddrm_step down the timesteps (the last to t_prev = -1) with x0_pred from the model, for any
    spacing, degradation, sigma_y, eta, eta_b, data shape and dtype"""
    a = c.tensors()
    got = student("ddrm_sample", **a)
    assert_close(got, expected(ref.ddrm_sample, *a.values()), f"ddrm_sample over timesteps {a['timesteps'].tolist()} "
                 f"(degradation {c.op.kind}, sigma_y={c.sigma_y})", dtype=a["x_T"].dtype, tol=LOOP)


# -- dps_step (3) and pigdm_step (2) ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Guided:
    """One guided step (DPS or ΠGDM) of B samples under `op`, with a test eps-model of a T-step schedule, step
    size zeta, DDIM's eta and dtype, for a noiseless measurement y = H x0 of random images (`last`: the first
    sample's t_prev is -1)."""

    op: Op
    B: int
    T: int
    last: bool
    zeta: float
    eta: float
    dtype: str
    seed: int

    def tensors(self):
        g = rng(self.seed)
        op = self.op.operator()
        model = test_model(g, op.d, scale=0.4, time_scale=2.0 / self.T, time="index")
        t, t_prev = _steps(g, self.B, self.T, self.last)
        dtype = DTYPES[self.dtype]
        y = _measurement(g, op, self.B, 0.0)
        return dict(x_t=normal(g, self.B, *op.shape, dtype=dtype), t=t, t_prev=t_prev, eps_model=model, y=y.to(dtype),
                    op=op, alpha_bar=_schedule(self.T), zeta=self.zeta, eta=self.eta,
                    noise=normal(g, self.B, *op.shape, dtype=dtype))


_GUIDED = Guided(op=_OPS[0], B=3, T=20, last=False, zeta=0.7, eta=1.0, dtype="float64", seed=0)
_NONEMPTY = [op for op in _OPS if op.kind != "empty"]
guided = edged(st.builds(Guided, op=st.sampled_from(_NONEMPTY), B=st.integers(1, 4), T=st.sampled_from([10, 20, 1000]),
                         last=st.booleans(), zeta=st.floats(0.05, 3.0), eta=st.sampled_from([0.0, 0.5, 1.0]),
                         dtype=st.sampled_from(["float64", "float32"]), seed=st.integers(0, 2**16)),
               _GUIDED, *[replace(_GUIDED, op=op) for op in _NONEMPTY[1:5]], replace(_GUIDED, last=True),
               replace(_GUIDED, B=1), replace(_GUIDED, eta=0.0), replace(_GUIDED, T=1000),
               replace(_GUIDED, dtype="float32"))


def _dps_args(c: Guided) -> dict:
    return c.tensors()


def _pigdm_args(c: Guided) -> dict:
    a = c.tensors()
    del a["zeta"]
    return a


def _guided_case(op: Op, t, t_prev, zeta, eta, dtype=F64, seed=0, T=20):
    g = rng(seed)
    operator = op.operator()
    model = test_model(g, operator.d, scale=0.4, time_scale=2.0 / T, time="index")
    B = len(t)
    y = _measurement(g, operator, B, 0.0)
    out = dict(x_t=normal(g, B, *operator.shape, dtype=dtype), t=torch.tensor(t), t_prev=torch.tensor(t_prev),
               eps_model=model, y=y.to(dtype), op=operator, alpha_bar=_schedule(T), zeta=zeta, eta=eta,
               noise=normal(g, B, *operator.shape, dtype=dtype))
    if zeta is None:
        del out["zeta"]
    return out


SUITE.public("dps_step", 0.5, [
    PublicCase("dps_step", "super-resolution x2, zeta = 0.5, eta = 1", _guided_case(_SR, [15, 8, 3], [12, 4, -1], 0.5, 1.0)),
    PublicCase("dps_step", "inpainting on flat (6,) data, zeta = 1, eta = 0",
               _guided_case(Op("inpaint", (6,), p=0.5, seed=2), [10, 19], [2, 11], 1.0, 0.0, seed=1)),
    PublicCase("dps_step", "float32 data", _guided_case(_SR, [9, 5], [6, 1], 0.8, 0.5, torch.float32, seed=2)),
])


@SUITE.property("dps_step", 1, function="dps_step", c=guided)
def dps_step_matches(student, c):
    """dps_step is DDIM's step minus zeta times the gradient, with respect to x_t and through the model, of
    ||y - H x0_pred(x_t)|| (one norm per sample), for any degradation, zeta, eta, data shape and dtype"""
    a = _dps_args(c)
    got = student("dps_step", **a)
    assert_close(got, expected(ref.dps_step, *a.values()), f"dps_step (degradation {c.op.kind}, zeta={c.zeta!r}, "
                 f"eta={c.eta}, t={a['t'].tolist()}, t_prev={a['t_prev'].tolist()})", dtype=a["x_t"].dtype)


@SUITE.property("dps_step", 0.5, function="dps_step", max_examples=8, c=guided)
def dps_step_under_no_grad(student, c):
    """dps_step works when called under torch.no_grad() (as a sampler calls it) and returns a detached tensor"""
    a = _dps_args(c)
    got = student.no_grad("dps_step", **a)
    assert_close(got, expected(ref.dps_step, *a.values()), "dps_step called under torch.no_grad()",
                 dtype=a["x_t"].dtype)


def _residual(model, x, t, y, op, alpha_bar):
    """||y - H x0_pred(x)|| per sample (float64), x0_pred from the test model at t."""
    x = x.to(F64)
    ab = alpha_bar[t].reshape(-1, *[1] * (x.dim() - 1))
    x0 = (x - torch.sqrt(1 - ab) * model(x, t)) / torch.sqrt(ab)
    return torch.linalg.vector_norm(y.to(F64) - op.H(x0), dim=1)


@SUITE.property("dps_step", 0.5, function="dps_step", max_examples=8, c=guided)
def dps_step_moves_towards_consistency(student, c):
    """the guidance part of dps_step (its result minus the result at zeta = 0), applied to x_t, lowers every
    sample's residual ||y - H x0_pred|| at a small step size: the step descends the measurement's misfit"""
    a = {**_dps_args(c), "zeta": 1e-3, "eta": 0.0}
    moved = student("dps_step", **a).to(F64)
    plain = student("dps_step", **{**a, "zeta": 0.0}).to(F64)
    shift = (moved - plain).reshape(a["x_t"].shape)
    before = _residual(a["eps_model"], a["x_t"], a["t"], a["y"], a["op"], a["alpha_bar"])
    after = _residual(a["eps_model"], a["x_t"].to(F64) + shift, a["t"], a["y"], a["op"], a["alpha_bar"])
    # To first order the correct step lowers the residual by zeta * ||grad||; demand half of that.
    want = expected(ref.dps_step, *a.values()).value.to(F64) - expected(ref.dps_step, *{**a, "zeta": 0.0}.values()).value.to(F64)
    drop = before - _residual(a["eps_model"], a["x_t"].to(F64) + want.reshape(a["x_t"].shape), a["t"], a["y"],
                              a["op"], a["alpha_bar"])
    bad = (before - after) < 0.5 * drop
    if bool(bad.any()):
        b = int(torch.nonzero(bad)[0, 0])
        raise CheckFailed(f"dps_step's guidance (zeta = 0.001) changes sample {b}'s residual ||y - H x0_pred(x_t)|| "
                          f"from {before[b].item():.6g} to {after[b].item():.6g}; the correct step lowers it to "
                          f"{(before[b] - drop[b]).item():.6g} (degradation {c.op.kind}, t={a['t'].tolist()})",
                          float("inf"))


@SUITE.property("dps_step", 0.5, function="dps_step", max_examples=8, c=guided)
def dps_step_with_zeta_zero_is_ddim(student, c):
    """dps_step with zeta = 0 is DDIM's step with the model's noise prediction"""
    a = {**_dps_args(c), "zeta": 0.0}
    got = student("dps_step", **a)
    want = expected(lambda x_t, t, t_prev, eps_model, alpha_bar, eta, noise: ddim.ddim_step(
        x_t, t, t_prev, eps_model(x_t, t), alpha_bar, eta, noise).detach(),
        a["x_t"], a["t"], a["t_prev"], a["eps_model"], a["alpha_bar"], a["eta"], a["noise"])
    assert_close(got, want, f"dps_step(zeta=0) against DDIM's step (eta={c.eta})", dtype=a["x_t"].dtype)


SUITE.public("pigdm_step", 0.5, [
    PublicCase("pigdm_step", "super-resolution x2 (H^+ is not H^T), eta = 1",
               _guided_case(_SR, [15, 8, 3], [12, 4, -1], None, 1.0)),
    PublicCase("pigdm_step", "colorization of (3, 2, 2) images, eta = 0",
               _guided_case(Op("color", (3, 2, 2)), [18, 6], [10, 0], None, 0.0, seed=1)),
    PublicCase("pigdm_step", "float32 data", _guided_case(_SR, [9, 5], [6, 1], None, 0.5, torch.float32, seed=2)),
])


@SUITE.property("pigdm_step", 1.5, function="pigdm_step", c=guided)
def pigdm_step_matches(student, c):
    """pigdm_step adds sqrt(alpha_bar_t) times the vector-Jacobian product of (H^+ y - H^+ H x0_pred) through the
    model to DDIM's step, for any degradation (singular values other than 1: H^+ is not H^T), eta, data shape and
    dtype"""
    a = _pigdm_args(c)
    got = student("pigdm_step", **a)
    assert_close(got, expected(ref.pigdm_step, *a.values()), f"pigdm_step (degradation {c.op.kind}, eta={c.eta}, "
                 f"t={a['t'].tolist()}, t_prev={a['t_prev'].tolist()})", dtype=a["x_t"].dtype)


# -- written questions (graded by hand; the rubrics are in the master notebook) -------------------------
SUITE.manual("ddrm_derivation", 3, "Derivation: why DDRM's step ignores y on unobserved coordinates, the case "
             "boundary sigma against sigma_y / s_i in the scaled variable, and what eta_b trades")
SUITE.manual("ddrm_vs_exact", 1, "Interpretation: DDRM's samples against the exact posterior of a mixture prior")
SUITE.manual("dps_derivation", 2, "Derivation: DPS's gradient through the denoiser and its normalised step size")
SUITE.manual("digits_restoration", 1, "Interpretation: the digit restorations and their PSNR against the "
             "pseudo-inverse")


SUITE.arrange(["inpainting_svd", "superres_svd", "ddrm_derivation", "ddrm_step", "ddrm_sample", "ddrm_vs_exact",
               "dps_derivation", "dps_step", "pigdm_step", "digits_restoration"])
