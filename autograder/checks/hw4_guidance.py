"""Hidden checks of hw4_guidance: the classifier's gradient, classifier guidance in the noise form, classifier-free
guidance and its implicit classifier, label dropout, and the guided DDIM sampler; and the written questions
(the derivation of the noise form and that classifier guidance with the implicit classifier is CFG, placed before
the functions that implement it, and interpretations), graded by hand.

Reads side by side with `solutions/hw4_guidance/hw4_guidance.ipynb` and `course_core/guidance.py`. Besides agreeing
with the reference on random inputs (points and images, float64 and float32), the functions are held to the
identities guidance rests on, with the exact scores of a labelled Gaussian mixture (`guidance.LabelledMixture`):
classifier guidance of the unconditional model at scale s is CFG at guidance_scale = s, the implicit classifier's
gradient is the exact classifier's, guidance_scale = 1 is conditional and 0 unconditional sampling. While a function
is checked, the student's other graded functions over tensors are answered by the reference (`Suite(helpers=...)`);
the guided sampler steps with `guide_toy.ddim_step`, homework 3's step, which the support module ships.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
from hypothesis import strategies as st

from course_core import ddim, schedules
from course_core import guidance as ref

from .cases import DTYPES, edged, expected, normal, random_mixture, rng, test_model
from .catalogs.hw4_guidance import CATALOG
from .compare import LOOP, CheckFailed, Tol, assert_close
from .framework import Suite
from .misconceptions import explain
from .public import PublicCase

# Every graded function over tensors that another one may call; see Suite.
SUITE = Suite("hw4_guidance", helpers=[ref.classifier_guided_eps, ref.cfg_eps, ref.implicit_classifier_grad,
                                       ref.drop_labels], catalog=CATALOG)
F64, I64 = torch.float64, torch.int64
LABELS = Tol(rtol=0.0, atol=0.01)  # labels are integers: exactly equal (a wrong label is off by 1 or more: 100x)


def _per_sample(v: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A (B,) tensor shaped (B, 1, ..., 1) in float64, to broadcast against `like`."""
    return v.to(F64).reshape(-1, *([1] * (like.dim() - 1)))


# -- per-sample tensors ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Batch:
    """Two draws of B samples of shape D in dtype (predictions or gradients), and a float64 alpha_bar_t per sample,
    uniform in (0.02, 0.98); `ab_at` "noisy" / "clean" puts the first sample's at 1e-4 / 0.9999."""

    B: int
    D: tuple
    dtype: str
    ab_at: str
    seed: int

    def tensors(self):
        g = rng(self.seed)
        a, b = (normal(g, self.B, *self.D, dtype=DTYPES[self.dtype]) for _ in range(2))
        ab = torch.from_numpy(g.uniform(0.02, 0.98, size=self.B))
        if self.ab_at != "random":
            ab[0] = 1e-4 if self.ab_at == "noisy" else 0.9999
        return a, b, ab


_BATCH = Batch(B=3, D=(2,), dtype="float64", ab_at="random", seed=0)
batches = edged(st.builds(Batch, B=st.integers(1, 5), D=st.sampled_from([(2,), (1,), (5,), (3, 4, 4), (1, 8, 8)]),
                          dtype=st.sampled_from(["float64", "float32"]),
                          ab_at=st.sampled_from(["random", "noisy", "clean"]), seed=st.integers(0, 2**16)),
                _BATCH, replace(_BATCH, B=1), replace(_BATCH, D=(1,)), replace(_BATCH, D=(3, 4, 4)),
                replace(_BATCH, dtype="float32"), replace(_BATCH, D=(3, 4, 4), dtype="float32"),
                replace(_BATCH, ab_at="noisy"), replace(_BATCH, ab_at="clean"))
scales = edged(st.floats(0.0, 10.0), 2.5, 0.0, 1.0, 10.0)


# -- the exact labelled mixture ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Labelled:
    """A random Gaussian mixture of K components in d dimensions whose component k has class k % C, at one noise
    level alpha_bar, and N points x_t with a target label each (float64: the identities hold to round-off)."""

    N: int
    d: int
    K: int
    C: int
    alpha_bar: float
    seed: int

    def tensors(self):
        """(eps_cond, eps_uncond, exact grad log p(y | x_t), alpha_bar_t (N,)), all exact."""
        g = rng(self.seed)
        weights, means, covs = random_mixture(g, self.K, self.d)
        oracle = ref.LabelledMixture(weights, means, covs, torch.arange(self.K) % self.C)
        x = normal(g, self.N, self.d, scale=1.5)
        y = torch.from_numpy(g.integers(0, self.C, size=self.N)).to(I64)
        ab = self.alpha_bar
        return (oracle.eps(x, ab, y), oracle.eps(x, ab), oracle.classifier_grad(x, ab, y),
                torch.full((self.N,), ab, dtype=F64))


_LABELLED = Labelled(N=4, d=2, K=4, C=2, alpha_bar=0.5, seed=0)
labelled = edged(st.builds(Labelled, N=st.integers(1, 6), d=st.integers(1, 3), K=st.integers(2, 5),
                           C=st.integers(2, 5), alpha_bar=st.floats(0.01, 0.99), seed=st.integers(0, 2**16))
                 .filter(lambda m: m.C <= m.K),
                 _LABELLED, replace(_LABELLED, alpha_bar=0.01), replace(_LABELLED, alpha_bar=0.99),
                 replace(_LABELLED, N=1), replace(_LABELLED, d=1), replace(_LABELLED, d=3),
                 replace(_LABELLED, K=3, C=3), replace(_LABELLED, K=5, C=4))


# -- classifier_grad (3) -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Logits:
    """A random classifier network over K classes (`test_model(..., classifier=True)`, called as logits_fn(x)) and
    B inputs of shape D in dtype with a label each."""

    B: int
    D: tuple
    K: int
    dtype: str
    seed: int

    def tensors(self):
        g = rng(self.seed)
        d = math.prod(self.D)
        # Weights of size 1/sqrt(d): pre-activations of order one, logits of order one (no saturated softmax).
        model = test_model(g, d, scale=1 / math.sqrt(d), classes=self.K, classifier=True, time="none")
        x = normal(g, self.B, *self.D, dtype=DTYPES[self.dtype])
        return model, x, torch.from_numpy(g.integers(0, self.K, size=self.B)).to(I64)


def _logits_case(B, D, K, dtype=F64, seed=0):
    model, x, y = Logits(B, D, K, "float64", seed).tensors()
    return dict(logits_fn=model, x=x.to(dtype), y=y)


# A gradient's entries can be sums of larger terms that nearly cancel; float32 arithmetic inside a function given
# float64 data (which the contract accepts) is then off by 1e-7 of the terms, more than 1e-6 of a small entry.
GRAD_TOL = (1e-5, 1e-5)


_LOGITS = Logits(B=3, D=(2,), K=3, dtype="float64", seed=0)
classifiers = edged(st.builds(Logits, B=st.integers(1, 5), D=st.sampled_from([(2,), (1,), (4,), (3, 4, 4)]),
                              K=st.integers(2, 10), dtype=st.sampled_from(["float64", "float32"]),
                              seed=st.integers(0, 2**16)),
                    _LOGITS, replace(_LOGITS, B=1), replace(_LOGITS, D=(1,)), replace(_LOGITS, D=(3, 4, 4)),
                    replace(_LOGITS, K=2), replace(_LOGITS, K=10), replace(_LOGITS, dtype="float32"))


def _gradient_terms(model, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The size of the terms the gradient sums, entrywise (float64): with h = tanh(x W^T + b) and p the softmax,
    the gradient is W^T [(1 - h^2) * V^T (e_y - p)]; its terms in absolute value are
    |W|^T [(1 - h^2) * |V|^T (e_y + p)]."""
    a = {k: torch.from_numpy(v).to(F64) for k, v in model.arrays().items()}
    h = torch.tanh(x.reshape(x.shape[0], -1).to(F64) @ a["W"].T + a["b"])
    p = torch.softmax(h @ a["V"].T, dim=-1)
    onehot = torch.nn.functional.one_hot(y, p.shape[1]).to(F64)
    return ((1 - h**2) * ((onehot + p) @ a["V"].abs()) @ a["W"].abs()).reshape(x.shape)


def _classifier_grad(got, model, x, y, what):
    assert_close(got, expected(ref.classifier_grad, model, x, y), what, dtype=x.dtype,
                 scale=_gradient_terms(model, x, y))


SUITE.public("classifier_grad", 0.5, [
    PublicCase("classifier_grad", "points, three classes", _logits_case(3, (2,), 3), tol=GRAD_TOL),
    PublicCase("classifier_grad", "images (B, C, H, W), four classes", _logits_case(2, (1, 2, 2), 4, seed=1),
               tol=GRAD_TOL),
    PublicCase("classifier_grad", "float32 data: a float32 gradient", _logits_case(3, (2,), 2, torch.float32, seed=2)),
])


@SUITE.property("classifier_grad", 1.5, function="classifier_grad", c=classifiers)
def classifier_grad_matches(student, c):
    """classifier_grad is the gradient of log softmax(logits_fn(x))[y] with respect to x, per sample, for any data
    shape, number of classes and dtype"""
    model, x, y = c.tensors()
    got = student("classifier_grad", logits_fn=model, x=x, y=y)
    _classifier_grad(got, model, x, y, f"classifier_grad (K = {c.K}, y = {y.tolist()})")


@SUITE.property("classifier_grad", 1, function="classifier_grad", max_examples=8, c=classifiers)
def classifier_grad_under_no_grad(student, c):
    """classifier_grad works when called under torch.no_grad() (as a sampler calls it) and returns a detached
    tensor"""
    model, x, y = c.tensors()
    got = student.no_grad("classifier_grad", logits_fn=model, x=x, y=y)
    _classifier_grad(got, model, x, y, "classifier_grad called under torch.no_grad()")


# -- classifier_guidance (2) -----------------------------------------------------------------------------------
def _guided_case(B, D, scale, dtype=F64, seed=0):
    eps, grad, ab = Batch(B, D, "float64", "random", seed).tensors()
    return dict(eps_pred=eps.to(dtype), grad_log_p_y=grad.to(dtype), alpha_bar_t=ab, scale=scale)


SUITE.public("classifier_guidance", 0.5, [
    PublicCase("classifier_guided_eps", "scale 2, points", _guided_case(3, (2,), 2.0)),
    PublicCase("classifier_guided_eps", "scale 0: the unguided prediction", _guided_case(3, (2,), 0.0, seed=1)),
    PublicCase("classifier_guided_eps", "images (B, C, H, W), scale 1", _guided_case(2, (1, 2, 2), 1.0, seed=2)),
    PublicCase("classifier_guided_eps", "float32 data (alpha_bar_t float64), scale 3",
               _guided_case(3, (2,), 3.0, torch.float32, seed=3)),
])


@SUITE.property("classifier_guidance", 1, function="classifier_guided_eps", c=batches, scale=scales)
def classifier_guidance_matches(student, c, scale):
    """classifier_guided_eps follows Dhariwal & Nichol 2021, §4.2 (Algorithm 2) in the noise form, at any scale,
    for any data shape and dtype"""
    eps, grad, ab = c.tensors()
    got = student("classifier_guided_eps", eps_pred=eps, grad_log_p_y=grad, alpha_bar_t=ab, scale=scale)
    terms = eps.abs() + scale * (1 - _per_sample(ab, eps)).sqrt() * grad.abs()
    assert_close(got, expected(ref.classifier_guided_eps, eps, grad, ab, scale),
                 f"classifier_guided_eps(scale={scale!r})", dtype=eps.dtype, scale=terms)


@SUITE.property("classifier_guidance", 0.5, function="classifier_guided_eps", max_examples=10, m=labelled,
                scale=scales)
def classifier_guidance_is_cfg(student, m, scale):
    """with exact scores, classifier guidance of the unconditional model at scale s, with the exact classifier's
    gradient, equals classifier-free guidance at guidance_scale = s"""
    eps_c, eps_u, grad, ab = m.tensors()
    got = student("classifier_guided_eps", eps_pred=eps_u, grad_log_p_y=grad, alpha_bar_t=ab, scale=scale)
    assert_close(got, ref.cfg_eps(eps_c, eps_u, scale), f"classifier_guided_eps(scale={scale!r}) against CFG at "
                 f"guidance_scale={scale!r} (exact scores, alpha_bar = {m.alpha_bar:.3g})", dtype=F64,
                 scale=eps_u.abs() + scale * (eps_c.abs() + eps_u.abs()))


# -- cfg (2) ------------------------------------------------------------------------------------------------
def _cfg_case(B, D, guidance_scale, dtype=F64, seed=0):
    eps_c, eps_u, _ = Batch(B, D, "float64", "random", seed).tensors()
    return dict(eps_cond=eps_c.to(dtype), eps_uncond=eps_u.to(dtype), guidance_scale=guidance_scale)


SUITE.public("cfg", 0.5, [
    PublicCase("cfg_eps", "guidance_scale = 3 (w = 2)", _cfg_case(3, (2,), 3.0)),
    PublicCase("cfg_eps", "guidance_scale = 1: the conditional prediction", _cfg_case(3, (2,), 1.0, seed=1)),
    PublicCase("cfg_eps", "guidance_scale = 0: the unconditional prediction", _cfg_case(3, (2,), 0.0, seed=2)),
    PublicCase("cfg_eps", "images (B, C, H, W), guidance_scale = 7.5", _cfg_case(2, (1, 2, 2), 7.5, seed=3)),
    PublicCase("cfg_eps", "float32 data, guidance_scale = 2", _cfg_case(3, (2,), 2.0, torch.float32, seed=4)),
])


def _cfg(student, eps_c, eps_u, s, what):
    got = student("cfg_eps", eps_cond=eps_c, eps_uncond=eps_u, guidance_scale=s)
    assert_close(got, expected(ref.cfg_eps, eps_c, eps_u, s), what, dtype=eps_c.dtype,
                 scale=eps_u.abs() + abs(s) * (eps_c.abs() + eps_u.abs()))


@SUITE.property("cfg", 0.5, function="cfg_eps", c=batches, guidance_scale=scales)
def cfg_matches(student, c, guidance_scale):
    """cfg_eps is Ho & Salimans 2022, Eq. (6), with guidance_scale = 1 + w, for any data shape and dtype"""
    eps_c, eps_u, _ = c.tensors()
    _cfg(student, eps_c, eps_u, guidance_scale, f"cfg_eps(guidance_scale={guidance_scale!r})")


@SUITE.property("cfg", 0.5, function="cfg_eps", c=batches)
def cfg_one_is_conditional_zero_unconditional(student, c):
    """guidance_scale = 1 gives the conditional prediction and guidance_scale = 0 the unconditional one"""
    eps_c, eps_u, _ = c.tensors()
    _cfg(student, eps_c, eps_u, 1.0, "cfg_eps at guidance_scale=1.0 (should be eps_cond)")
    _cfg(student, eps_c, eps_u, 0.0, "cfg_eps at guidance_scale=0.0 (should be eps_uncond)")


@SUITE.property("cfg", 0.5, function="cfg_eps", max_examples=10, m=labelled, guidance_scale=scales)
def cfg_is_classifier_guidance(student, m, guidance_scale):
    """with exact scores, CFG at guidance_scale = s equals classifier guidance of the unconditional model at scale s
    with the exact classifier's gradient"""
    eps_c, eps_u, grad, ab = m.tensors()
    got = student("cfg_eps", eps_cond=eps_c, eps_uncond=eps_u, guidance_scale=guidance_scale)
    want = ref.classifier_guided_eps(eps_u, grad, ab, guidance_scale)
    assert_close(got, want, f"cfg_eps(guidance_scale={guidance_scale!r}) against classifier guidance at scale "
                 f"{guidance_scale!r} (exact scores, alpha_bar = {m.alpha_bar:.3g})", dtype=F64,
                 scale=eps_u.abs() + guidance_scale * (eps_c.abs() + eps_u.abs()))


# -- implicit_grad (2) ------------------------------------------------------------------------------------------
def _implicit_case(B, D, dtype=F64, seed=0):
    eps_c, eps_u, ab = Batch(B, D, "float64", "random", seed).tensors()
    return dict(eps_cond=eps_c.to(dtype), eps_uncond=eps_u.to(dtype), alpha_bar_t=ab)


SUITE.public("implicit_grad", 0.5, [
    PublicCase("implicit_classifier_grad", "points", _implicit_case(3, (2,))),
    PublicCase("implicit_classifier_grad", "images (B, C, H, W)", _implicit_case(2, (1, 2, 2), seed=1)),
    PublicCase("implicit_classifier_grad", "float32 data (alpha_bar_t float64)", _implicit_case(3, (2,), torch.float32,
                                                                                            seed=2)),
])


@SUITE.property("implicit_grad", 0.75, function="implicit_classifier_grad", c=batches)
def implicit_grad_matches(student, c):
    """implicit_classifier_grad is the gradient of log p_t(y | x_t) implied by the two noise predictions (Ho & Salimans
    2022, §3.2), for any data shape and dtype"""
    eps_c, eps_u, ab = c.tensors()
    got = student("implicit_classifier_grad", eps_cond=eps_c, eps_uncond=eps_u, alpha_bar_t=ab)
    assert_close(got, expected(ref.implicit_classifier_grad, eps_c, eps_u, ab), "implicit_classifier_grad",
                 dtype=eps_c.dtype, scale=(eps_c.abs() + eps_u.abs()) / (1 - _per_sample(ab, eps_c)).sqrt())


@SUITE.property("implicit_grad", 0.75, function="implicit_classifier_grad", max_examples=10, m=labelled)
def implicit_grad_is_the_exact_classifier(student, m):
    """with the exact noise predictions of a labelled mixture, the implicit classifier's gradient is the exact
    classifier's, grad log p_t(y | x_t)"""
    eps_c, eps_u, grad, ab = m.tensors()
    got = student("implicit_classifier_grad", eps_cond=eps_c, eps_uncond=eps_u, alpha_bar_t=ab)
    assert_close(got, grad, f"implicit_classifier_grad against the exact classifier's gradient (alpha_bar = "
                 f"{m.alpha_bar:.3g})", dtype=F64, scale=(eps_c.abs() + eps_u.abs()) / math.sqrt(1 - m.alpha_bar))


# -- drop_labels (2) ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Labels:
    """B labels of C classes with a uniform draw u each (in u_dtype) and a dropout probability p. The null label:
    "count" (C), "far" (C + 7), "negative" (-1), or "collide" (a label of y: the contract's ValueError). `u_at`
    "p" sets u[0] to exactly p (kept: only u < p drops), "zero" to 0 (dropped unless p = 0)."""

    B: int
    C: int
    p: float
    null: str
    u_at: str
    u_dtype: str
    seed: int

    def tensors(self):
        g = rng(self.seed)
        y = torch.from_numpy(g.integers(0, self.C, size=self.B)).to(I64)
        y[0] = 0 if self.null == "collide" else y[0]  # class 0 present: a null label of 0 collides
        u = torch.from_numpy(g.uniform(0.0, 1.0, size=self.B)).to(DTYPES[self.u_dtype])
        p = float(torch.tensor(self.p, dtype=u.dtype))  # representable in u's dtype: u == p compares alike anywhere
        if self.u_at == "p":
            u[0] = p
        elif self.u_at == "zero":
            u[0] = 0.0
        null = {"count": self.C, "far": self.C + 7, "negative": -1}.get(self.null)
        if null is None:
            null = int(y[int(g.integers(0, self.B))])
        return y, p, null, u


_LABELS = Labels(B=6, C=3, p=0.5, null="count", u_at="random", u_dtype="float64", seed=0)
_labels = dict(B=st.integers(1, 8), C=st.integers(1, 10), p=st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9, 1.0]),
               u_at=st.sampled_from(["random", "p", "zero"]), u_dtype=st.sampled_from(["float64", "float32"]),
               seed=st.integers(0, 2**16))
labels = edged(st.builds(Labels, null=st.sampled_from(["count", "far", "negative"]), **_labels),
               _LABELS, replace(_LABELS, p=0.0), replace(_LABELS, p=1.0), replace(_LABELS, null="far"),
               replace(_LABELS, null="negative"), replace(_LABELS, u_at="p"), replace(_LABELS, u_at="zero"),
               replace(_LABELS, p=0.0, u_at="zero"), replace(_LABELS, u_dtype="float32", p=0.1),
               replace(_LABELS, B=1), replace(_LABELS, C=10, B=8))
collisions = edged(st.builds(Labels, null=st.just("collide"), **_labels),
                   replace(_LABELS, null="collide"), replace(_LABELS, null="collide", p=0.0),
                   replace(_LABELS, null="collide", p=1.0), replace(_LABELS, null="collide", B=1))


def _drop_case(y, p, null, u):
    return dict(y=torch.tensor(y), p_uncond=p, null_label=null, u=torch.tensor(u, dtype=F64))


SUITE.public("drop_labels", 0.5, [
    PublicCase("drop_labels", "p_uncond = 0.5, several classes, null label 10 (u = 0.5 exactly is kept)",
               _drop_case([3, 0, 7, 9, 3], 0.5, 10, [0.1, 0.7, 0.5, 0.3, 0.95]), tol=(0.0, 0.01)),
    PublicCase("drop_labels", "p_uncond = 0: no label is dropped", _drop_case([2, 1, 0], 0.0, 3, [0.0, 0.4, 0.9]),
               tol=(0.0, 0.01)),
    PublicCase("drop_labels", "p_uncond = 1: every label is dropped", _drop_case([2, 1, 0], 1.0, 3, [0.0, 0.4, 0.9]),
               tol=(0.0, 0.01)),
    PublicCase("drop_labels", "u as float32 (torch.rand), null label -1",
               dict(y=torch.tensor([1, 1, 0, 2]), p_uncond=0.25, null_label=-1,
                    u=torch.tensor([0.2, 0.75, 0.125, 0.5], dtype=torch.float32)), tol=(0.0, 0.01)),
    PublicCase("drop_labels", "null_label 0 is also a real label in y: ValueError",
               _drop_case([2, 0, 1], 0.5, 0, [0.3, 0.6, 0.9]), raises="ValueError"),
])

_COLLISION = next(e for e in CATALOG.entries if e.name == "null_label_collision_not_refused")


@SUITE.property("drop_labels", 1, function="drop_labels", c=labels)
def drop_labels_matches(student, c):
    """drop_labels puts the null label exactly where u < p_uncond and keeps the other labels, as int64 (Ho & Salimans
    2022, Algorithm 1)"""
    y, p, null, u = c.tensors()
    got = student("drop_labels", y=y, p_uncond=p, null_label=null, u=u)
    assert_close(got, ref.drop_labels(y, p, null, u), f"drop_labels(p_uncond={p!r}, null_label={null})", dtype=I64,
                 tol=LABELS)


@SUITE.property("drop_labels", 0.5, function="drop_labels", c=collisions)
def drop_labels_refuses_a_colliding_null_label(student, c):
    """drop_labels raises a ValueError when null_label is one of the labels in y, and only then"""
    y, p, null, u = c.tensors()
    # First a valid call on the same labels, with a null label no class has (C: y is in [0, C)): a function that
    # always raises earns nothing here.
    got = student("drop_labels", y=y, p_uncond=p, null_label=c.C, u=u)
    assert_close(got, ref.drop_labels(y, p, c.C, u), f"drop_labels(p_uncond={p!r}, null_label={c.C}) (no class is "
                 f"{c.C}: no ValueError)", dtype=I64, tol=LABELS)
    raised = student.raises("drop_labels", y=y, p_uncond=p, null_label=null, u=u)
    if raised is None:
        raise CheckFailed(f"drop_labels(null_label={null}) returned, but {null} is a label in y = {y.tolist()}; the "
                          f"contract asks for a ValueError\n{explain(_COLLISION)}")
    if raised != "ValueError":
        hint = " (raise ValueError(...): an assert raises AssertionError)" if raised == "AssertionError" else ""
        raise CheckFailed(f"drop_labels(null_label={null}) with {null} a label in y = {y.tolist()} raised {raised}; "
                          f"the contract asks for a ValueError{hint}")


# -- cfg_sample (3) ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sampling:
    """B samples of shape D, K classes (the model's null label is K), S DDIM steps of a T-step schedule with a
    timestep spacing (one of ddim.SPACINGS, or "random": S distinct indices drawn uniformly, descending, so that
    the gaps between them differ), eta, in dtype. The test model depends on the step over the whole range and on
    the label."""

    B: int
    D: tuple
    K: int
    T: int
    S: int
    spacing: str
    schedule: str
    eta: float
    dtype: str
    seed: int

    def tensors(self):
        """The arguments of cfg_ddim_sample but the guidance scale."""
        g = rng(self.seed)
        beta = (schedules.linear_beta_schedule(self.T) if self.schedule == "linear"
                else schedules.cosine_beta_schedule(self.T))
        model = test_model(g, math.prod(self.D), scale=0.3, time_scale=2.0 / self.T, time="index", classes=self.K + 1)
        dtype = DTYPES[self.dtype]
        if self.spacing == "random":
            timesteps = torch.from_numpy(g.choice(self.T, size=self.S, replace=False)).sort(descending=True).values
        else:
            timesteps = ddim.ddim_timesteps(self.T, self.S, self.spacing)
        return dict(eps_model=model, x_T=normal(g, self.B, *self.D, dtype=dtype),
                    y=torch.from_numpy(g.integers(0, self.K, size=self.B)).to(I64), null_label=self.K,
                    alpha_bar=schedules.alpha_bar_from_beta(beta),
                    timesteps=timesteps.to(I64), eta=self.eta,
                    noise=normal(g, self.S, self.B, *self.D, dtype=dtype))


_SAMPLING = Sampling(B=3, D=(2,), K=3, T=50, S=4, spacing="leading", schedule="linear", eta=0.0, dtype="float64",
                     seed=0)
samplings = edged(st.builds(Sampling, B=st.integers(1, 4), D=st.sampled_from([(2,), (1,), (3,), (2, 3, 3)]),
                            K=st.integers(1, 5), T=st.integers(8, 200), S=st.integers(1, 8),
                            spacing=st.sampled_from([*ddim.SPACINGS, "random"]),
                            schedule=st.sampled_from(["linear", "cosine"]),
                            eta=st.sampled_from([0.0, 0.5, 1.0]), dtype=st.sampled_from(["float64", "float32"]),
                            seed=st.integers(0, 2**16)),
                  _SAMPLING, replace(_SAMPLING, S=1), replace(_SAMPLING, S=8), replace(_SAMPLING, T=8, S=8),
                  replace(_SAMPLING, spacing="trailing"), replace(_SAMPLING, spacing="linspace"),
                  replace(_SAMPLING, spacing="random"), replace(_SAMPLING, T=8, S=3, spacing="trailing"),
                  replace(_SAMPLING, schedule="cosine", spacing="trailing"), replace(_SAMPLING, eta=1.0),
                  replace(_SAMPLING, eta=0.5, dtype="float32"), replace(_SAMPLING, D=(2, 3, 3)),
                  replace(_SAMPLING, B=1), replace(_SAMPLING, K=1))
guidance_scales = edged(st.floats(0.0, 8.0), 3.0, 0.0, 1.0, 7.5)


def _sample_case(B, D, T, steps, guidance_scale, eta, dtype=F64, seed=0):
    """A T-step chain sampled over the descending indices `steps` (a spacing's, or written out)."""
    g = rng(seed)
    model = test_model(g, math.prod(D), scale=0.5, time_scale=2.0 / T, time="index", classes=3)
    beta = schedules.linear_beta_schedule(T, 0.05, 0.3)  # coarse: every coefficient far from 0 and 1
    S = len(steps)
    return dict(eps_model=model, x_T=normal(g, B, *D, dtype=dtype), y=torch.tensor([0, 1, 1][:B]), null_label=2,
                guidance_scale=guidance_scale, alpha_bar=schedules.alpha_bar_from_beta(beta),
                timesteps=torch.tensor(steps, dtype=I64), eta=eta, noise=normal(g, S, B, *D, dtype=dtype))


# The timesteps are ddim.ddim_timesteps(T, S, spacing)'s; two cases have uneven gaps between them, where
# t_prev = t - T // S (what diffusers' scheduler takes) is wrong.
SUITE.public("cfg_sample", 0.5, [
    PublicCase("cfg_ddim_sample", "T = 6, timesteps 5, 3, 1 (trailing spacing), guidance_scale = 3, eta = 0",
               _sample_case(3, (2,), 6, [5, 3, 1], 3.0, 0.0)),
    PublicCase("cfg_ddim_sample", "guidance_scale = 1 (conditional), eta = 1, T = 7, timesteps 6, 4, 1 (trailing "
               "spacing: uneven gaps)", _sample_case(3, (2,), 7, [6, 4, 1], 1.0, 1.0, seed=1)),
    PublicCase("cfg_ddim_sample", "guidance_scale = 0 (unconditional), images (B, C, H, W), T = 6, timesteps 5, 2",
               _sample_case(2, (1, 2, 2), 6, [5, 2], 0.0, 0.5, seed=2)),
    PublicCase("cfg_ddim_sample", "float32 data, guidance_scale = 2, eta = 1, T = 6, timesteps 5, 3, 2, 0 "
               "(linspace spacing: uneven gaps)",
               _sample_case(3, (2,), 6, [5, 3, 2, 0], 2.0, 1.0, torch.float32, seed=3)),
])


@SUITE.property("cfg_sample", 2, function="cfg_ddim_sample", max_examples=15, c=samplings,
                guidance_scale=guidance_scales)
def cfg_sample_matches(student, c, guidance_scale):
    """cfg_ddim_sample runs the DDIM steps down the timesteps (the last to t_prev = -1) with the classifier-free
    guided prediction of the conditional model, for any spacing, eta, data shape and dtype"""
    inputs = c.tensors()
    got = student("cfg_ddim_sample", guidance_scale=guidance_scale, **inputs)
    want = expected(ref.cfg_ddim_sample, inputs["eps_model"], inputs["x_T"], inputs["y"], inputs["null_label"],
                    guidance_scale, inputs["alpha_bar"], inputs["timesteps"], inputs["eta"], inputs["noise"])
    assert_close(got, want, f"cfg_ddim_sample(guidance_scale={guidance_scale!r}, eta={c.eta!r}) over timesteps "
                 f"{inputs['timesteps'].tolist()}", dtype=inputs["x_T"].dtype, tol=LOOP)


def _ddim_with_label(eps_model, x_T, label, alpha_bar, timesteps, eta, noise):
    """Plain DDIM sampling (homework 3) with the conditional model held at one label per sample."""
    return ddim.ddim_sample(lambda x, t: eps_model(x, t, label), x_T, alpha_bar, timesteps, eta, noise)


@SUITE.property("cfg_sample", 0.5, function="cfg_ddim_sample", max_examples=6, c=samplings)
def cfg_sample_one_is_conditional_zero_unconditional(student, c):
    """cfg_ddim_sample at guidance_scale = 1 is conditional DDIM sampling, and at guidance_scale = 0 unconditional
    DDIM sampling (the model asked with the null label)"""
    inputs = c.tensors()
    labels = {1.0: inputs["y"], 0.0: torch.full_like(inputs["y"], inputs["null_label"])}
    for s, label in labels.items():
        got = student("cfg_ddim_sample", guidance_scale=s, **inputs)
        want = expected(_ddim_with_label, inputs["eps_model"], inputs["x_T"], label, inputs["alpha_bar"],
                        inputs["timesteps"], inputs["eta"], inputs["noise"])
        kind = "conditional" if s == 1.0 else "unconditional"
        assert_close(got, want, f"cfg_ddim_sample(guidance_scale={s}) against {kind} DDIM sampling",
                     dtype=inputs["x_T"].dtype, tol=LOOP)


# -- written questions (graded by hand; the rubrics are in the master notebook) -------------------------
SUITE.manual("guidance_derivation", 4, "Derivation: classifier guidance with the implicit classifier is "
             "classifier-free guidance (Bayes' rule, the noise form, the implicit classifier, guidance_scale = 1 + w)")
SUITE.manual("guidance_tradeoff", 1, "Interpretation: confidence against diversity across guidance scales")
SUITE.manual("tilted_target", 2, "What guidance aims at, the tilted distribution, and why the sampler does not "
             "sample it exactly")
SUITE.manual("digits_guidance", 1, "Interpretation: the digit grid across guidance scales")


SUITE.arrange(["classifier_grad", "guidance_derivation", "classifier_guidance", "cfg", "implicit_grad", "drop_labels",
               "cfg_sample", "guidance_tradeoff", "tilted_target", "digits_guidance"])
