"""course_core.inverse against dense matrices, the DDRM paper's equations written out coordinate by coordinate,
closed-form Jacobians of a Gaussian prior, and the exact posterior of a Gaussian mixture."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from course_core import ddim, gmm, inverse, schedules
from mutation import catches, mutant

F64 = torch.float64
ALPHA_BAR = schedules.alpha_bar_from_beta(schedules.linear_beta_schedule(1000))


def _dense(fn, n_in, shape=None):
    """The matrix of a linear map, built column by column: column j is fn(e_j) (e_j shaped like one input)."""
    basis = torch.eye(n_in, dtype=F64)
    return fn(basis if shape is None else basis.reshape(n_in, *shape)).T


def _make(kind, C, H, W, factor=1, seed=0, p=0.5, k=3):
    g = torch.Generator().manual_seed(seed)
    if kind == "denoise":
        return inverse.Denoising((C, H, W))
    if kind == "inpaint":
        return inverse.Inpainting(torch.rand(C, H, W, generator=g) < p)
    if kind == "sr":
        return inverse.SuperResolution((C, H, W), factor)
    if kind == "color":
        return inverse.Colorization((C, H, W))
    return inverse.SeparableBlur((C, H, W), torch.rand(k, generator=g, dtype=F64) + 0.1)


@st.composite
def _operators(draw):
    kind = draw(st.sampled_from(["denoise", "inpaint", "sr", "color", "blur"]))
    factor = draw(st.integers(1, 4)) if kind == "sr" else 1
    H, W = (factor * draw(st.integers(max(1, -(-2 // factor)), 8 // factor)) for _ in range(2))
    return _make(kind, draw(st.integers(1, 3)), H, W, factor, seed=draw(st.integers(0, 2**16)),
                 p=draw(st.sampled_from([0.0, 0.3, 0.8, 1.0])), k=draw(st.sampled_from([1, 3, 5])))


def _check_svd(op):
    """Every identity of the SVD interface, on dense matrices built column by column."""
    d, m, shape = op.d, op.m, op.shape
    Hd = _dense(op.H, d, shape)  # (m, d), from image-shaped inputs
    Vd, Ud, s = _dense(op.V, d), _dense(op.U, m), op.singulars()
    assert Hd.shape == (m, d) and Vd.shape == (d, d) and Ud.shape == (m, m) and s.shape == (m,)
    torch.testing.assert_close(Vd.T @ Vd, torch.eye(d, dtype=F64), rtol=0, atol=1e-12)
    torch.testing.assert_close(Ud.T @ Ud, torch.eye(m, dtype=F64), rtol=0, atol=1e-12)
    torch.testing.assert_close(_dense(op.V_T, d, shape), Vd.T, rtol=0, atol=1e-12)  # V_T is V's transpose
    torch.testing.assert_close(_dense(op.U_T, m), Ud.T, rtol=0, atol=1e-12)
    torch.testing.assert_close(Hd, Ud @ torch.diag(s) @ Vd[:, :m].T, rtol=0, atol=1e-12)  # H = U s V^T[:m]
    g = torch.Generator().manual_seed(d + m)
    x, y, z = torch.randn(4, *shape, generator=g, dtype=F64), torch.randn(4, m, generator=g, dtype=F64), \
        torch.randn(4, m, generator=g, dtype=F64)
    torch.testing.assert_close(op.V(op.V_T(x)), x.reshape(4, d), rtol=0, atol=1e-12)
    torch.testing.assert_close(op.U(op.U_T(y)), y, rtol=0, atol=1e-12)
    torch.testing.assert_close(op.H(x), op.U(s * op.V_T(x)[:, :m]), rtol=0, atol=1e-12)
    torch.testing.assert_close(op.add_zeros(z), torch.cat([z, torch.zeros(4, d - m, dtype=F64)], 1), rtol=0, atol=0)
    torch.testing.assert_close((op.H(x) * y).sum(1), (x.reshape(4, d) * op.H_T(y)).sum(1), rtol=0, atol=1e-12)
    torch.testing.assert_close(_dense(op.H_T, m), Hd.T, rtol=0, atol=1e-12)
    P = _dense(op.H_pinv, m)  # (d, m): Moore-Penrose conditions
    for got, want in [(Hd @ P @ Hd, Hd), (P @ Hd @ P, P), (Hd @ P, (Hd @ P).T), (P @ Hd, (P @ Hd).T)]:
        torch.testing.assert_close(got, want, rtol=0, atol=1e-9)
    dense_s = torch.linalg.svdvals(Hd)  # descending
    torch.testing.assert_close(torch.sort(s, descending=True).values, dense_s, rtol=0, atol=1e-12)
    lost = int((dense_s < 1e-9 * max(float(dense_s.max()) if m else 1.0, 1.0)).sum())
    assert int((s == 0).sum()) == lost and bool((s[s != 0] > 1e-9).all()), (s, dense_s)
    assert op.H(x.float()).dtype == op.V(op.V_T(x.float())).dtype == op.H_pinv(y.float()).dtype == torch.float32


@settings(max_examples=60, deadline=None, derandomize=True)
@given(op=_operators())
def test_every_operator_is_its_svd(op):
    """V and U orthogonal, H = U diag(s) V^T[:m], H_T the adjoint, H_pinv the Moore-Penrose inverse, s the dense
    singular values, exactly 0 where the dense SVD finds a zero; on images (1..3, 2..8, 2..8)."""
    _check_svd(op)


@pytest.mark.parametrize("observed", [False, True])
def test_inpainting_with_no_or_every_entry_observed(observed):
    op = inverse.Inpainting(torch.full((2, 3, 4), observed))
    assert op.m == (24 if observed else 0)
    _check_svd(op)
    x = torch.randn(3, 2, 3, 4, generator=torch.Generator().manual_seed(0), dtype=F64)
    assert op.H(x).shape == (3, op.m)
    torch.testing.assert_close(op.H_pinv(op.H(x)), x.reshape(3, -1) if observed else torch.zeros(3, 24, dtype=F64))


def test_each_degradation_is_the_named_image_operation():
    """Golden definitions: masking, f x f block means, the channel mean, conv2d with the outer kernel (zero padding);
    observed spectral coordinates come first."""
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 3, 6, 4, generator=g, dtype=F64)
    mask = torch.rand(3, 6, 4, generator=g) < 0.4
    kept = x.reshape(2, -1)[:, mask.reshape(-1)]
    assert torch.equal(inverse.Inpainting(mask).H(x), kept)
    assert torch.equal(inverse.Inpainting(mask).V_T(x)[:, :int(mask.sum())], kept)
    torch.testing.assert_close(inverse.SuperResolution((3, 6, 4), 2).H(x), F.avg_pool2d(x, 2).reshape(2, -1))
    torch.testing.assert_close(inverse.Colorization((3, 6, 4)).H(x), x.mean(1).reshape(2, -1))
    kernel = torch.tensor([0.2, 0.5, 0.3], dtype=F64)
    blurred = F.conv2d(x.reshape(6, 1, 6, 4), torch.outer(kernel, kernel)[None, None], padding=1).reshape(2, -1)
    torch.testing.assert_close(inverse.SeparableBlur((3, 6, 4), kernel).H(x), blurred, rtol=1e-12, atol=1e-12)
    sr = inverse.SuperResolution((3, 6, 4), 2)
    y = torch.randn(2, sr.m, generator=g, dtype=F64)
    torch.testing.assert_close(sr.H_pinv(y), 4 * sr.H_T(y))  # s = 1/f, so H^+ = f**2 H^T: they differ


def test_blur_loses_exactly_the_null_space_of_its_1d_matrices():
    """The box kernel (1, 1, 1)/3 on 5 samples has a singular 1-D matrix (eigenvalue (1 + 2 cos(4 pi / 6)) / 3 = 0):
    one of 5 row frequencies is lost, so C * W singular values are exactly 0, and H_pinv stays finite."""
    op = inverse.SeparableBlur((2, 5, 4), torch.full((3,), 1 / 3, dtype=F64))
    s = op.singulars()
    assert int((s == 0).sum()) == 2 * 4 and bool((s[:-8] > 1e-3).all())
    _check_svd(op)


# ----------------------------------------------------------------------------------------------------------- DDRM
def _dense_svd(Hd):
    """``U``, the singular values padded to ``d`` (zero below 1e-9) and ``V^T`` of a dense ``(m, d)`` matrix."""
    U, S, Vh = torch.linalg.svd(Hd, full_matrices=True)
    s = torch.zeros(Hd.shape[1], dtype=F64)
    s[:S.shape[0]] = torch.where(S > 1e-9, S, torch.zeros_like(S))
    return U, s, Vh


def _ddrm_oracle(x_t, t, t_prev, x0_pred, y, Hd, sigma_y, eta, eta_b, noise):
    """Kawar et al. 2022, Eq. (8), with a dense SVD, coordinate by coordinate, in the scaled variable."""
    m, d = Hd.shape
    U, s, Vh = _dense_svd(Hd)
    out = torch.empty(x_t.shape[0], d, dtype=F64)
    for b in range(x_t.shape[0]):
        ab_t = float(ALPHA_BAR[t[b]])
        ab_p = float(ALPHA_BAR[t_prev[b]]) if t_prev[b] >= 0 else 1.0
        sig_t, sig = math.sqrt(1 - ab_t) / math.sqrt(ab_t), math.sqrt(1 - ab_p) / math.sqrt(ab_p)
        xb, x0b = Vh @ x_t[b].reshape(d) / math.sqrt(ab_t), Vh @ x0_pred[b].reshape(d)
        zb, ub = Vh @ noise[b].reshape(d), U.T @ y[b]
        new = torch.empty(d, dtype=F64)
        for i in range(d):
            if s[i] == 0:
                new[i] = x0b[i] + math.sqrt(1 - eta**2) * sig * (xb[i] - x0b[i]) / sig_t + eta * sig * zb[i]
            elif s[i] * sig < sigma_y:
                y_bar = ub[i] / s[i]
                new[i] = x0b[i] + math.sqrt(1 - eta**2) * sig * (y_bar - x0b[i]) / (sigma_y / s[i]) + eta * sig * zb[i]
            else:
                y_bar = ub[i] / s[i]
                extra = math.sqrt(sig**2 - eta_b**2 * sigma_y**2 / s[i] ** 2)
                new[i] = (1 - eta_b) * x0b[i] + eta_b * y_bar + extra * zb[i]
        out[b] = math.sqrt(ab_p) * Vh.T @ new
    return out.reshape(x_t.shape)


@pytest.mark.parametrize("kind", ["denoise", "inpaint", "sr", "color", "blur", "empty"])
@pytest.mark.parametrize("sigma_y,eta,eta_b", [(0.05, 0.85, 1.0), (0.3, 0.5, 0.7), (0.0, 0.85, 1.0), (0.0, 0.0, 0.4)])
def test_ddrm_step_is_eq_8_coordinate_by_coordinate(kind, sigma_y, eta, eta_b):
    """Against a dense SVD (any SVD gives the same step: each case is a function of s_i alone). The steps go from
    high noise (every observed coordinate less noisy than y) to the last one (t_prev = -1), so all three cases
    occur; sigma_y = 0 puts every observed coordinate in the third case."""
    op = inverse.Inpainting(torch.zeros(2, 4, 2, dtype=torch.bool)) if kind == "empty" else \
        _make(kind, 2, 4, 2, factor=2, seed=3)
    g = torch.Generator().manual_seed(4)
    B = 6
    x_t, x0_pred, noise = (torch.randn(B, 2, 4, 2, generator=g, dtype=F64) for _ in range(3))
    y = torch.randn(B, op.m, generator=g, dtype=F64)
    t, t_prev = torch.tensor([999, 700, 300, 60, 20, 5]), torch.tensor([900, 500, 100, 30, 0, -1])
    got = inverse.ddrm_step(x_t, t, t_prev, x0_pred, y, op, ALPHA_BAR, sigma_y, eta, eta_b, noise)
    want = _ddrm_oracle(x_t, t, t_prev, x0_pred, y, _dense(op.H, op.d, op.shape), sigma_y, eta, eta_b, noise)
    assert got.shape == x_t.shape
    torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9)
    got32 = inverse.ddrm_step(x_t.float(), t, t_prev, x0_pred.float(), y.float(), op, ALPHA_BAR, sigma_y, eta, eta_b,
                              noise.float())
    assert got32.dtype == torch.float32


@pytest.mark.parametrize("eta", [0.0, 0.5, 1.0])
def test_ddrm_with_nothing_observed_is_ddim(eta):
    """H = 0 (an empty mask): every coordinate is in the first case, which is DDIM's Eq. (12) with the same eps and
    noise. DDRM's eta sets the standard deviation to eta * sqrt(1 - ab_prev): that is ddim_step with
    eta_ddim = eta * sqrt(1 - ab_t) / sqrt(1 - ab_t / ab_prev) (equal at eta = 0 and on the final step)."""
    op = inverse.Inpainting(torch.zeros(3, 2, 2, dtype=torch.bool))
    g = torch.Generator().manual_seed(5)
    for step, prev in [(999, 949), (500, 300), (40, 39), (10, -1)]:
        x_t, eps, noise = (torch.randn(4, 3, 2, 2, generator=g, dtype=F64) for _ in range(3))
        t, t_prev = torch.full((4,), step), torch.full((4,), prev)
        ab_t, ab_p = float(ALPHA_BAR[step]), float(ALPHA_BAR[prev]) if prev >= 0 else 1.0
        x0_pred = (x_t - math.sqrt(1 - ab_t) * eps) / math.sqrt(ab_t)
        eta_ddim = eta * math.sqrt(1 - ab_t) / math.sqrt(1 - ab_t / ab_p)
        want = ddim.ddim_step(x_t, t, t_prev, eps, ALPHA_BAR, eta_ddim, noise)
        got = inverse.ddrm_step(x_t, t, t_prev, x0_pred, torch.zeros(4, 0, dtype=F64), op, ALPHA_BAR, 0.1, eta, 0.6,
                                noise)
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kind,s", [("denoise", 1.0), ("sr", 0.5)])
def test_ddrm_case_boundary_is_s_sigma_against_sigma_y(kind, s):
    """sigma_y set a relative 1e-6 above and below s * sigma_{t_prev} (scaled variable): just above, the step is the
    second case (towards y by sqrt(1 - eta**2)); just below, the third (the eta_b mixture). The two formulas differ by
    O(1) here, so the branch is read off the output."""
    op = _make(kind, 1, 2, 2, factor=2)
    g = torch.Generator().manual_seed(6)
    x_t, x0_pred, noise = (torch.randn(3, 1, 2, 2, generator=g, dtype=F64) for _ in range(3))
    y = torch.randn(3, op.m, generator=g, dtype=F64)
    t, t_prev, eta, eta_b = torch.full((3,), 400), torch.full((3,), 200), 0.5, 1.0
    ab_p = float(ALPHA_BAR[200])
    sig = math.sqrt(1 - ab_p) / math.sqrt(ab_p)
    Hd = _dense(op.H, op.d, op.shape)
    y_bar = (torch.linalg.pinv(Hd) @ y.T).T  # in data coordinates: V S^+ U^T y (observed part)
    proj = torch.linalg.pinv(Hd) @ Hd  # onto the observed coordinates
    x0 = x0_pred.reshape(3, -1)
    for sigma_y, case in [(s * sig * (1 + 1e-6), 2), (s * sig * (1 - 1e-6), 3)]:
        got = inverse.ddrm_step(x_t, t, t_prev, x0_pred, y, op, ALPHA_BAR, sigma_y, eta, eta_b, noise).reshape(3, -1)
        if case == 2:
            obs = x0 + math.sqrt(1 - eta**2) * sig * s / sigma_y * (y_bar - x0) + eta * sig * noise.reshape(3, -1)
        else:
            obs = (1 - eta_b) * x0 + eta_b * y_bar + math.sqrt(max(sig**2 - eta_b**2 * sigma_y**2 / s**2, 0)) * \
                noise.reshape(3, -1)
        torch.testing.assert_close(got @ proj.T, math.sqrt(ab_p) * obs @ proj.T, rtol=1e-6, atol=1e-6)


def test_ddrm_init_is_eq_7():
    """Observed entries start at sqrt(ab_T) (y + sqrt(sigma_T**2 - sigma_y**2) z), missing ones at sqrt(1 - ab_T) z;
    a singular value with s sigma_T < sigma_y is treated as unobserved (the code's rule for the init)."""
    mask = torch.tensor([[True, False, True, True]])
    op = inverse.Inpainting(mask)
    g = torch.Generator().manual_seed(7)
    y, z = torch.randn(5, 3, generator=g, dtype=F64), torch.randn(5, 1, 4, generator=g, dtype=F64)
    t = torch.full((5,), 600)
    ab = float(ALPHA_BAR[600])
    sig_T = math.sqrt(1 - ab) / math.sqrt(ab)
    got = inverse.ddrm_init(y, op, ALPHA_BAR, t, 0.2, z).reshape(5, 4)
    z_flat = z.reshape(5, 4)
    torch.testing.assert_close(got[:, mask[0]], math.sqrt(ab) * (y + math.sqrt(sig_T**2 - 0.04) * z_flat[:, mask[0]]))
    torch.testing.assert_close(got[:, ~mask[0]], math.sqrt(1 - ab) * z_flat[:, ~mask[0]])
    far = inverse.ddrm_init(y, op, ALPHA_BAR, t, 2 * sig_T, z)  # y noisier than x_T: ignored
    torch.testing.assert_close(far, math.sqrt(1 - ab) * z)



def _ddrm_init_oracle(y, Hd, t, sigma_y, noise):
    """Kawar et al. 2022, Eq. (7), with a dense SVD, coordinate by coordinate, in the scaled variable: x_bar_i =
    (U^T y)_i / s_i + sqrt(sigma_T**2 - sigma_y**2 / s_i**2) z_i where s_i > 0 and s_i sigma_T >= sigma_y, else
    sigma_T z_i; x_T = sqrt(ab_T) V x_bar."""
    m, d = Hd.shape
    U, s, Vh = _dense_svd(Hd)
    out = torch.empty(noise.shape[0], d, dtype=F64)
    for b in range(noise.shape[0]):
        ab = float(ALPHA_BAR[t[b]])
        sig_T = math.sqrt(1 - ab) / math.sqrt(ab)
        zb, ub = Vh @ noise[b].reshape(d), U.T @ y[b]
        new = torch.empty(d, dtype=F64)
        for i in range(d):
            if s[i] > 0 and s[i] * sig_T >= sigma_y:
                new[i] = ub[i] / s[i] + math.sqrt(sig_T**2 - sigma_y**2 / s[i] ** 2) * zb[i]
            else:
                new[i] = sig_T * zb[i]
        out[b] = math.sqrt(ab) * Vh.T @ new
    return out.reshape(noise.shape)


@pytest.mark.parametrize("kind", ["sr", "color"])
def test_ddrm_init_is_eq_7_coordinate_by_coordinate(kind):
    """Singular values below 1 (1/2 for 2x super-resolution, 1/sqrt(3) for the channel mean), sigma_y = 0.3, so the
    1/s factors matter. Per sample t: sigma_T from 157 down to 0.18; s sigma_T >= sigma_y (y used) at t = 999, 300,
    200, and not at t = 120, 100 (where sigma_T >= sigma_y still: a threshold without s is caught) and 50. Any dense
    SVD gives the same x_T: all singular values are equal, so each case is a function of the observed subspace."""
    op = _make(kind, 3 if kind == "color" else 2, 4, 4, factor=2)
    g = torch.Generator().manual_seed(16)
    t = torch.tensor([999, 300, 200, 120, 100, 50])
    B, sigma_y = t.shape[0], 0.3
    y, noise = torch.randn(B, op.m, generator=g, dtype=F64), torch.randn(B, *op.shape, generator=g, dtype=F64)
    s = float(op.singulars()[0])
    sig_T = torch.sqrt(1 - ALPHA_BAR[t]) / torch.sqrt(ALPHA_BAR[t])
    assert (s * sig_T >= sigma_y).tolist() == [True, True, True, False, False, False]
    assert (sig_T >= sigma_y).tolist() == [True, True, True, True, True, False]
    got = inverse.ddrm_init(y, op, ALPHA_BAR, t, sigma_y, noise)
    want = _ddrm_init_oracle(y, inverse.degradation_matrix(op), t, sigma_y, noise)
    assert got.shape == noise.shape
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)


def _mixture():
    weights = torch.tensor([0.3, 0.5, 0.2], dtype=F64)
    means = torch.tensor([[-1.0, 0.5], [0.8, -0.3], [0.2, 1.2]], dtype=F64)
    covs = torch.tensor([[[0.3, 0.1], [0.1, 0.2]], [[0.15, -0.05], [-0.05, 0.4]], [[0.2, 0.0], [0.0, 0.1]]], dtype=F64)
    return gmm.GaussianMixture(weights, means, covs)


def _eps_model(prior):
    """The exact E[eps | x_t] of a Gaussian-mixture prior (closed form, differentiable in x), for a batch at one t."""
    def eps_model(x, t):
        ab = float(ALPHA_BAR[int(t[0])])
        flat = x.reshape(x.shape[0], -1)
        return (-math.sqrt(1 - ab) * prior.noised_vp(ab).score(flat)).reshape(x.shape)
    return eps_model


def _posterior(*args):
    """inverse.mixture_posterior's (weights, means, covs) as a mixture object."""
    return gmm.GaussianMixture(*inverse.mixture_posterior(*args))


def _moments(mixture):
    w, mu, cov = mixture.weights, mixture.means, mixture.covs
    mean = (w[:, None] * mu).sum(0)
    return mean, (w[:, None, None] * (cov + mu[:, :, None] * mu[:, None, :])).sum(0) - torch.outer(mean, mean)


@pytest.mark.parametrize("kind", ["inpaint", "color"])
def test_ddrm_without_measurement_noise_ends_on_the_measurement(kind):
    """sigma_y = 0, eta_b = 1, the exact denoiser: every observed coordinate is in the third case, and the last step
    (sigma = 0) returns y_bar there, so H x_final = y to round-off."""
    prior = _mixture()
    op = inverse.Inpainting(torch.tensor([True, False])) if kind == "inpaint" else inverse.Colorization((2, 1, 1))
    g = torch.Generator().manual_seed(8)
    x_true = prior.sample(50, generator=g)
    y = op.H(x_true)
    timesteps = ddim.ddim_timesteps(1000, 20, "trailing")
    x_T = inverse.ddrm_init(y, op, ALPHA_BAR, torch.full((50,), int(timesteps[0])), 0.0,
                            torch.randn(50, 2, generator=g, dtype=F64))
    x = inverse.ddrm_sample(_eps_model(prior), x_T, y, op, ALPHA_BAR, timesteps, 0.0, 0.85, 1.0,
                            torch.randn(20, 50, 2, generator=g, dtype=F64))
    torch.testing.assert_close(op.H(x), y, rtol=0, atol=1e-12)


def test_ddrm_samples_against_the_exact_posterior():
    """DDRM is an approximation, not an exact posterior sampler, even with the exact denoiser: once
    sigma_t < sigma_y / s its steps start from x0_pred (the posterior mean, near the transition) and add only
    eta * sigma_t of noise, so the variance comes out too small, and a coordinate outside the observed ones sees y
    only through the denoiser.
    Measured at this seed (4000 samples, 100 trailing steps, the paper's eta = 0.85, eta_b = 1; Monte-Carlo standard
    errors: means below 0.01, variance ratios about 0.02), against mixture_posterior:
    - denoising (H = I, sigma_y = 0.1) of the 3-component mixture: mean error 0.005 (the prior's mean is 1.12
      away), bound 0.02; sample variance / exact variance 0.40 on both coordinates, band [0.3, 0.55];
    - the mean of two correlated Gaussian coordinates (sigma_y = 0.05): mean error 0.007 (prior 1.3 away), bound
      0.03; variance ratios 0.68, band [0.55, 0.85];
    - inpainting one of the two (sigma_y = 0.05): the missing coordinate's posterior mean is 0.40 (prior -0.2), DDRM
      reaches 0.27 (0.32 with 200 steps): error 0.125, bound 0.2; variance ratios 0.89 (observed) and 0.76
      (missing), band [0.6, 1.0]."""
    gauss = gmm.GaussianMixture(torch.ones(1, dtype=F64), torch.tensor([[0.3, -0.2]], dtype=F64),
                                torch.tensor([[[0.5, 0.3], [0.3, 0.4]]], dtype=F64))
    cases = [(_mixture(), inverse.Denoising((2,)), torch.tensor([1.3, 0.4], dtype=F64), 0.1, 0.02, (0.3, 0.55)),
             (gauss, inverse.Colorization((2, 1, 1)), torch.tensor([1.3], dtype=F64), 0.05, 0.03, (0.55, 0.85)),
             (gauss, inverse.Inpainting(torch.tensor([True, False])), torch.tensor([1.3], dtype=F64), 0.05, 0.2,
              (0.6, 1.0))]
    for prior, op, y1, sigma_y, mean_bound, (lo, hi) in cases:
        g = torch.Generator().manual_seed(9)
        B, S = 4000, 100
        y = y1.expand(B, -1)
        timesteps = ddim.ddim_timesteps(1000, S, "trailing")
        x_T = inverse.ddrm_init(y, op, ALPHA_BAR, torch.full((B,), int(timesteps[0])), sigma_y,
                                torch.randn(B, 2, generator=g, dtype=F64))
        x = inverse.ddrm_sample(_eps_model(prior), x_T, y, op, ALPHA_BAR, timesteps, sigma_y, 0.85, 1.0,
                                torch.randn(S, B, 2, generator=g, dtype=F64))
        mean, cov = _moments(_posterior(prior.weights, prior.means, prior.covs, op, y1, sigma_y))
        ratio = x.var(0) / cov.diagonal()
        assert bool(((ratio > lo) & (ratio < hi)).all()), (type(op).__name__, ratio)
        assert float((x.mean(0) - mean).abs().max()) < mean_bound, (type(op).__name__, x.mean(0), mean)


# ----------------------------------------------------------------------------------------------- DPS and ΠGDM
def _gaussian_image_prior(d, seed):
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(d, d, generator=g, dtype=F64)
    cov = A @ A.T / d + 0.05 * torch.eye(d, dtype=F64)
    return gmm.GaussianMixture(torch.ones(1, dtype=F64), torch.randn(1, d, generator=g, dtype=F64), cov[None])


def _x0_and_jacobian(prior, x_t, ab):
    """For a Gaussian prior N(mu, Sigma): x0_pred = mu + sqrt(ab) Sigma A^{-1} (x_t - sqrt(ab) mu) with
    A = ab Sigma + (1 - ab) I, so d x0_pred / d x_t = J = sqrt(ab) Sigma A^{-1}."""
    mu, cov = prior.means[0], prior.covs[0]
    A = ab * cov + (1 - ab) * torch.eye(mu.shape[0], dtype=F64)
    J = math.sqrt(ab) * cov @ torch.linalg.inv(A)
    x0 = mu + (x_t.reshape(x_t.shape[0], -1) - math.sqrt(ab) * mu) @ J.T
    return x0, J


def test_dps_step_is_the_gradient_of_the_plain_norm_through_the_model():
    """x_prev = ddim_step - zeta * grad_{x_t} ||y - H x0_pred(x_t)|| per sample, where the gradient is
    -J^T H^T r / ||r|| (r = y - H x0_pred) with J the Jacobian of the denoiser (here its eigenvalues run from 0.016
    to 0.82, far from the identity, and the residual norms are away from 1/2): a gradient taken with respect to
    x0_pred (no J), of the squared norm (2 J^T H^T r) or of one norm over the batch (the official code's) fails."""
    prior = _gaussian_image_prior(8, seed=10)
    op = inverse.Inpainting(torch.tensor([[True, False, True, True], [False, True, False, False]]))
    g = torch.Generator().manual_seed(11)
    x_t, noise = (torch.randn(5, 2, 4, generator=g, dtype=F64) for _ in range(2))
    y = 3 * torch.randn(5, op.m, generator=g, dtype=F64)
    t, t_prev, zeta, eta = torch.full((5,), 500), torch.full((5,), 450), 0.7, 0.4
    ab = float(ALPHA_BAR[500])
    x0, J = _x0_and_jacobian(prior, x_t, ab)
    eps = (x_t.reshape(5, -1) - math.sqrt(ab) * x0) / math.sqrt(1 - ab)
    torch.testing.assert_close(_eps_model(prior)(x_t, t).reshape(5, -1), eps)
    Hd = _dense(op.H, op.d, op.shape)
    r = y - x0 @ Hd.T
    step = (r @ Hd @ J) / r.norm(dim=1, keepdim=True)  # -grad, per sample: J^T H^T r / ||r||
    assert bool(((r.norm(dim=1) - 0.5).abs() > 0.2).all())
    want = ddim.ddim_step(x_t, t, t_prev, eps.reshape(x_t.shape), ALPHA_BAR, eta, noise) + \
        zeta * step.reshape(x_t.shape)
    got = inverse.dps_step(x_t, t, t_prev, _eps_model(prior), y, op, ALPHA_BAR, zeta, eta, noise)
    assert not got.requires_grad
    torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9)
    with torch.no_grad():  # the gradient is taken even under no_grad
        again = inverse.dps_step(x_t, t, t_prev, _eps_model(prior), y, op, ALPHA_BAR, zeta, eta, noise)
    torch.testing.assert_close(again, want, rtol=1e-9, atol=1e-9)


def test_dps_moves_samples_towards_the_measurement():
    """Sampling the 2-D mixture observed on its first coordinate (y from prior draws, sigma_y = 0.05, 50 steps,
    eta = 1): with DPS at zeta = 0.2 the final |y - H x| averages 0.13, against 0.98 unguided from the same noise
    (bound: a fifth). The plain norm's gradient has length ~|J^T H^T r| / |r| whatever the residual, so a constant
    zeta cannot settle below about zeta (zeta = 0.5 ends at 0.24, zeta = 0.1 at 0.25)."""
    prior = _mixture()
    op = inverse.Inpainting(torch.tensor([True, False]))
    g = torch.Generator().manual_seed(12)
    B, S = 200, 50
    y = op.H(prior.sample(B, generator=g)) + 0.05 * torch.randn(B, 1, generator=g, dtype=F64)
    x_T, noise = torch.randn(B, 2, generator=g, dtype=F64), torch.randn(S, B, 2, generator=g, dtype=F64)
    timesteps = ddim.ddim_timesteps(1000, S, "trailing")
    errors = {}
    for zeta in (0.0, 0.2):
        x = x_T
        for i in range(S):
            t = torch.full((B,), int(timesteps[i]))
            t_prev = torch.full((B,), int(timesteps[i + 1]) if i + 1 < S else -1)
            x = inverse.dps_step(x, t, t_prev, _eps_model(prior), y, op, ALPHA_BAR, zeta, 1.0, noise[i])
        errors[zeta] = float((y - op.H(x)).abs().mean())
    assert errors[0.2] < 0.2 * errors[0.0], errors


def test_pigdm_step_adds_sqrt_alpha_bar_times_the_pseudoinverse_vjp():
    """x_prev = ddim_step + sqrt(ab_t) J^T (H^+ y - H^+ H x0_pred) (Algorithm 1, noiseless), with J the denoiser's
    Jacobian and H^+ the dense pseudo-inverse. For 2x super-resolution H^+ = 4 H^T, so a guidance built with H^T
    is four times too small."""
    prior = _gaussian_image_prior(8, seed=13)
    op = inverse.SuperResolution((1, 2, 4), 2)
    g = torch.Generator().manual_seed(14)
    x_t, noise = (torch.randn(4, 1, 2, 4, generator=g, dtype=F64) for _ in range(2))
    y = torch.randn(4, op.m, generator=g, dtype=F64)
    t, t_prev, eta = torch.full((4,), 300), torch.full((4,), 250), 0.6
    ab = float(ALPHA_BAR[300])
    x0, J = _x0_and_jacobian(prior, x_t, ab)
    eps = ((x_t.reshape(4, -1) - math.sqrt(ab) * x0) / math.sqrt(1 - ab)).reshape(x_t.shape)
    Hd = _dense(op.H, op.d, op.shape)
    P = torch.linalg.pinv(Hd)
    vjp = (y @ P.T - x0 @ (P @ Hd).T) @ J  # rows: (H^+ y - H^+ H x0)^T J
    want = ddim.ddim_step(x_t, t, t_prev, eps, ALPHA_BAR, eta, noise) + math.sqrt(ab) * vjp.reshape(x_t.shape)
    got = inverse.pigdm_step(x_t, t, t_prev, _eps_model(prior), y, op, ALPHA_BAR, eta, noise)
    assert not got.requires_grad and float(vjp.abs().max()) > 0.1
    torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9)



def _tanh_eps_model(d, seed):
    """eps(x) = tanh(A x + b) with a fixed non-symmetric A (float64): the Jacobian of x0_pred,
    (I - sqrt(1 - ab) diag(1 - eps**2) A) / sqrt(ab), is far from symmetric, so J v and J^T v differ."""
    g = torch.Generator().manual_seed(seed)
    A, b = 1.5 * torch.randn(d, d, generator=g, dtype=F64) / math.sqrt(d), 0.3 * torch.randn(d, generator=g, dtype=F64)

    def eps_model(x, t):
        return torch.tanh(x.reshape(x.shape[0], -1) @ A.T + b).reshape(x.shape)
    return eps_model


def _x0_jacobians(eps_model, x_t, t):
    """x0_pred (B, d) and its per-sample Jacobians d x0_pred / d x_t (B, d, d), by torch.autograd.functional."""
    ab = float(ALPHA_BAR[int(t[0])])
    shape = x_t.shape[1:]

    def x0_of(v):  # one sample, flat
        x = v.reshape(1, *shape)
        return ((x - math.sqrt(1 - ab) * eps_model(x, t[:1])) / math.sqrt(ab)).reshape(-1)
    flat = x_t.reshape(x_t.shape[0], -1)
    x0 = torch.stack([x0_of(v) for v in flat])
    J = torch.stack([torch.autograd.functional.jacobian(x0_of, v) for v in flat])
    return x0, J


@pytest.mark.parametrize("method", ["dps", "pigdm"])
def test_guidance_is_a_vjp_with_a_non_symmetric_jacobian(method):
    """The mixture denoiser's Jacobian is symmetric (a Hessian of log p_t), so it cannot tell J^T v from J v. With
    eps = tanh(A x + b), A non-symmetric, the guidance must be J^T v (v = -H^T r / ||r|| for DPS, H^+ y - H^+ H x0
    for ΠGDM), J from torch.autograd.functional.jacobian; J v differs from it by more than half its size."""
    eps_model = _tanh_eps_model(8, seed=17)
    g = torch.Generator().manual_seed(18)
    x_t, noise = (torch.randn(4, 2, 4, generator=g, dtype=F64) for _ in range(2))
    t, t_prev, eta = torch.full((4,), 500), torch.full((4,), 450), 0.4
    ab = float(ALPHA_BAR[500])
    x0, J = _x0_jacobians(eps_model, x_t, t)
    assert float((J - J.transpose(1, 2)).abs().max()) > 1.0
    plain = ddim.ddim_step(x_t, t, t_prev, eps_model(x_t, t), ALPHA_BAR, eta, noise)
    if method == "dps":
        op = inverse.Inpainting(torch.tensor([[True, False, True, True], [False, True, False, True]]))
        y = 2 * torch.randn(4, op.m, generator=g, dtype=F64)
        r = y - op.H(x0)
        v = op.H_T(r) / r.norm(dim=1, keepdim=True)  # -d||r|| / d x0_pred
        zeta = 0.7
        got = inverse.dps_step(x_t, t, t_prev, eps_model, y, op, ALPHA_BAR, zeta, eta, noise) - plain
    else:
        op = inverse.SuperResolution((1, 2, 4), 2)
        y = 2 * torch.randn(4, op.m, generator=g, dtype=F64)
        v = op.H_pinv(y) - op.H_pinv(op.H(x0))
        zeta = math.sqrt(ab)
        got = inverse.pigdm_step(x_t, t, t_prev, eps_model, y, op, ALPHA_BAR, eta, noise) - plain
    vjp = zeta * (J.transpose(1, 2) @ v[..., None])[..., 0]  # J^T v
    jvp = zeta * (J @ v[..., None])[..., 0]
    assert float((vjp - jvp).norm()) > 0.5 * float(vjp.norm()) > 0.1
    torch.testing.assert_close(got.reshape(4, -1), vjp, rtol=1e-9, atol=1e-9)


# ----------------------------------------------------------------------------------------------- the exact oracle
@pytest.mark.parametrize("as_matrix", [True, False])
def test_mixture_posterior_is_monte_carlo_importance_weighting(as_matrix):
    """400 000 prior draws weighted by N(y; H x, sigma_y**2): the weighted mean, covariance and component
    probabilities agree with the closed form within 5 standard errors (effective sample size 275 000)."""
    prior = _mixture()
    op = torch.tensor([[0.5, 0.5]], dtype=F64) if as_matrix else inverse.Colorization((2, 1, 1))
    y, sigma_y = torch.tensor([0.25], dtype=F64), 0.3
    post = _posterior(prior.weights, prior.means, prior.covs, op, y, sigma_y)
    mean, cov = _moments(post)
    g = torch.Generator().manual_seed(15)
    N = 400_000
    k = torch.multinomial(prior.weights, N, replacement=True, generator=g)
    x = prior.means[k] + (torch.linalg.cholesky(prior.covs)[k] @ torch.randn(N, 2, 1, generator=g, dtype=F64))[..., 0]
    w = torch.softmax(-((x.sum(1, keepdim=True) / 2 - y) ** 2).sum(1) / (2 * sigma_y**2), dim=0)  # (N,)
    ess = float(1 / (w**2).sum())
    mc_mean = w @ x
    mc_cov = (w[:, None] * (x - mc_mean)).T @ (x - mc_mean)
    mc_p = torch.zeros(3, dtype=F64).index_add_(0, k, w)
    var = cov.diagonal()
    assert bool(((mc_mean - mean).abs() < 5 * (var / ess).sqrt()).all()), (mc_mean, mean, ess)
    assert bool(((mc_cov - cov).abs() < 5 * math.sqrt(2 / ess) * float(var.max())).all()), (mc_cov, cov)
    assert bool(((mc_p - post.weights).abs() < 5 * (post.weights * (1 - post.weights) / ess).sqrt()).all()), \
        (mc_p, post.weights)
    assert ess > 100_000, ess


def test_mixture_posterior_without_noise_needs_full_row_rank():
    """sigma_y = 0 with H of full row rank: every component's mean satisfies H mu = y and H Sigma H^T = 0, and it is
    the limit of small sigma_y; with H of rank 1 < m = 2, or a component whose covariance is singular along H's row
    (H Sigma_k H^T = 0 with H of full row rank), it is a ValueError naming H Sigma_k H^T."""
    prior = _mixture()
    Hd, y = torch.tensor([[1.0, 0.5]], dtype=F64), torch.tensor([0.4], dtype=F64)
    post = _posterior(prior.weights, prior.means, prior.covs, Hd, y, 0.0)
    torch.testing.assert_close(post.means @ Hd.T, y.expand(3, 1), rtol=0, atol=1e-12)
    torch.testing.assert_close(Hd @ post.covs @ Hd.T, torch.zeros(3, 1, 1, dtype=F64), rtol=0, atol=1e-12)
    near = _posterior(prior.weights, prior.means, prior.covs, Hd, y, 1e-5)
    for a, b in [(post.weights, near.weights), (post.means, near.means), (post.covs, near.covs)]:
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match=r"H Sigma_k H\^T is singular"):
        rank_one = torch.tensor([[1.0, 1.0], [2.0, 2.0]], dtype=F64)
        _posterior(prior.weights, prior.means, prior.covs, rank_one, y.repeat(2), 0.0)
    flat = prior.covs.clone()
    flat[1] = torch.outer(torch.tensor([0.5, -1.0], dtype=F64), torch.tensor([0.5, -1.0], dtype=F64))  # H Sigma H^T = 0
    with pytest.raises(ValueError, match=r"component\(s\) \[1\].*H Sigma_k H\^T is singular"):
        _posterior(prior.weights, prior.means, flat, Hd, y, 0.0)  # H of full row rank


# ----------------------------------------------------------------------------- mutation tests of the tests
# x0_pred as a function of u, in inverse.py's names: for the mutants that take a JVP instead of the VJP
_X0_OF_U = "(u - torch.sqrt(1 - extract(alpha_bar, t, u)) * eps_model(u, t)) / torch.sqrt(extract(alpha_bar, t, u))"
MUTANTS = [
    pytest.param(test_every_operator_is_its_svd, {},
                 [("self._two_sided(self.V_h.T, _flat(x, self.d), self.V_w)",
                   "self._two_sided(self.V_h, _flat(x, self.d), self.V_w.T)")], id="blur-V-for-V_T"),
    pytest.param(test_every_operator_is_its_svd, {},
                 [("return _flat(x, self.d)[:, self.perm.to(x.device)]",
                   "return _flat(x, self.d)[:, self.inverse.to(x.device)]")], id="inpainting-V-for-V_T"),
    pytest.param(test_each_degradation_is_the_named_image_operation, {},
                 [("permute(0, 1, 2, 4, 3, 5)  # (B, C, H/f, W/f, f, f)", "permute(0, 1, 2, 3, 4, 5)  # wrong blocks")],
                 id="sr-blocks-not-squares"),
    pytest.param(test_blur_loses_exactly_the_null_space_of_its_1d_matrices, {},
                 [("torch.where(s > rtol * s.max(), s, torch.zeros_like(s))", "s")], id="blur-singulars-not-zeroed"),
    pytest.param(test_blur_loses_exactly_the_null_space_of_its_1d_matrices, {},
                 [("s_pinv = torch.where(s > 0, 1 / torch.where(s > 0, s, torch.ones_like(s)), torch.zeros_like(s))",
                   "s_pinv = 1 / s")], id="pinv-divides-by-zero"),
    pytest.param(test_ddrm_step_is_eq_8_coordinate_by_coordinate, dict(kind="sr", sigma_y=0.3, eta=0.5, eta_b=0.7),
                 [("observed & (s * sigma >= sigma_y)", "observed & (s * sigma < sigma_y)")], id="ddrm-cases-reversed"),
    pytest.param(test_ddrm_step_is_eq_8_coordinate_by_coordinate, dict(kind="color", sigma_y=0.05, eta=0.85, eta_b=1.0),
                 [("sigma = torch.sqrt(1 - ab_prev) / torch.sqrt(ab_prev)", "sigma = torch.sqrt(1 - ab_prev)")],
                 id="ddrm-sigma-not-scaled"),
    pytest.param(test_ddrm_step_is_eq_8_coordinate_by_coordinate, dict(kind="sr", sigma_y=0.3, eta=0.5, eta_b=0.7),
                 [("observed = s > 0", "observed = s >= 0")], id="ddrm-zero-singular-as-observed"),
    pytest.param(test_ddrm_case_boundary_is_s_sigma_against_sigma_y, dict(kind="sr", s=0.5),
                 [("observed & (s * sigma >= sigma_y)", "observed & (sigma >= sigma_y)")], id="ddrm-boundary-without-s"),
    pytest.param(test_ddrm_with_nothing_observed_is_ddim, dict(eta=0.5),
                 [("+ math.sqrt(1 - eta**2) * sigma * eps_bar + eta * sigma * z",
                   "+ math.sqrt(1 - eta**2) * sigma * eps_bar + eta * sigma_t * z")], id="ddrm-noise-at-sigma-t"),
    pytest.param(test_ddrm_init_is_eq_7, {},
                 [("return (torch.sqrt(ab) * op.V(x_bar)).reshape(noise.shape)",
                   "return (op.V(x_bar) / sigma_T).reshape(noise.shape)")], id="ddrm-init-divided-by-sigma-T"),
    pytest.param(test_ddrm_init_is_eq_7_coordinate_by_coordinate, dict(kind="sr"),
                 [("x_bar = torch.where(use_y, _y_bar(op, y, z) +",
                   "x_bar = torch.where(use_y, op.add_zeros(op.U_T(y.to(z.dtype))) +")],
                 id="ddrm-init-y-bar-without-s"),
    pytest.param(test_ddrm_init_is_eq_7_coordinate_by_coordinate, dict(kind="color"),
                 [("torch.sqrt((sigma_T**2 - sigma_y**2 / s_safe**2).clamp(min=0)) * z",
                   "torch.sqrt((sigma_T**2 - sigma_y**2).clamp(min=0)) * z")], id="ddrm-init-sigma-y-without-s"),
    pytest.param(test_ddrm_init_is_eq_7_coordinate_by_coordinate, dict(kind="sr"),
                 [("use_y = (s > 0) & (s * sigma_T >= sigma_y)", "use_y = (s > 0) & (sigma_T >= sigma_y)")],
                 id="ddrm-init-threshold-without-s"),
    pytest.param(test_ddrm_without_measurement_noise_ends_on_the_measurement, dict(kind="color"),
                 [("less_noisy = observed & (s * sigma >= sigma_y)", "less_noisy = observed & (s * sigma > sigma_y)")],
                 id="ddrm-official-boundary"),
    pytest.param(test_ddrm_samples_against_the_exact_posterior, {},
                 [("observed & (s * sigma >= sigma_y)", "observed & (s * sigma < sigma_y)")], id="ddrm-posterior-cases"),
    pytest.param(test_dps_step_is_the_gradient_of_the_plain_norm_through_the_model, {},
                 [("torch.autograd.grad(norm.sum(), x)", "torch.autograd.grad(norm.sum(), x0_pred)")],
                 id="dps-gradient-wrt-x0"),
    pytest.param(test_dps_step_is_the_gradient_of_the_plain_norm_through_the_model, {},
                 [("norm = torch.linalg.vector_norm(residual, dim=1)",
                   "norm = torch.linalg.vector_norm(residual, dim=1)**2")],
                 id="dps-squared-norm"),
    pytest.param(test_dps_step_is_the_gradient_of_the_plain_norm_through_the_model, {},
                 [("norm = torch.linalg.vector_norm(residual, dim=1)", "norm = torch.linalg.vector_norm(residual)[None]")],
                 id="dps-one-norm-for-the-batch"),
    pytest.param(test_dps_moves_samples_towards_the_measurement, {},
                 [("return (x_prev - zeta * grad).detach()", "return (x_prev + zeta * grad).detach()")],
                 id="dps-ascends"),
    pytest.param(test_pigdm_step_adds_sqrt_alpha_bar_times_the_pseudoinverse_vjp, {},
                 [("(op.H_pinv(y) - op.H_pinv(op.H(x0_pred)))", "(op.H_T(y) - op.H_T(op.H(x0_pred)))")],
                 id="pigdm-transpose-for-pinv"),
    pytest.param(test_pigdm_step_adds_sqrt_alpha_bar_times_the_pseudoinverse_vjp, {},
                 [("return (x_prev + torch.sqrt(extract(alpha_bar, t, x_prev)) * g).detach()",
                   "return (x_prev + g).detach()")], id="pigdm-without-the-weight"),
    pytest.param(test_guidance_is_a_vjp_with_a_non_symmetric_jacobian, dict(method="dps"),
                 [("(grad,) = torch.autograd.grad(norm.sum(), x)",
                   "(v,) = torch.autograd.grad(norm.sum(), x0_pred, retain_graph=True); "
                   f"grad = torch.autograd.functional.jvp(lambda u: {_X0_OF_U}, x.detach(), v)[1]")],
                 id="dps-jvp-for-vjp"),
    pytest.param(test_guidance_is_a_vjp_with_a_non_symmetric_jacobian, dict(method="pigdm"),
                 [("(g,) = torch.autograd.grad((direction * x0_pred.reshape(x.shape[0], -1)).sum(), x)",
                   f"g = torch.autograd.functional.jvp(lambda u: {_X0_OF_U}, x.detach(), "
                   "direction.reshape(x.shape))[1]")],
                 id="pigdm-jvp-for-vjp"),
    pytest.param(test_mixture_posterior_is_monte_carlo_importance_weighting, dict(as_matrix=False),
                 [("return torch.softmax(log_w, dim=0), post_mean",
                   "return w, post_mean")], id="posterior-prior-weights"),
    pytest.param(test_mixture_posterior_is_monte_carlo_importance_weighting, dict(as_matrix=True),
                 [("log_w = torch.log(w) - 0.5 * ((resid[..., None] * sol).sum((1, 2)) + logdet",
                   "log_w = torch.log(w) - 0.5 * ((resid[..., None] * sol).sum((1, 2))")],
                 id="posterior-weights-no-logdet"),
    pytest.param(test_mixture_posterior_without_noise_needs_full_row_rank, {},
                 [("post_cov = cov - HS.transpose(1, 2) @ torch.cholesky_solve(HS, L)", "post_cov = cov")],
                 id="posterior-prior-covariance"),
]


@pytest.mark.parametrize("test,kwargs,edits", MUTANTS)
def test_repaired_tests_catch_mutant(test, kwargs, edits):
    """Each test above fails when a realistic mistake is edited into course_core/inverse.py."""
    broken = mutant(inverse, *edits)
    catches(test, broken=[(inverse, n, getattr(broken, n)) for n in inverse.__all__], **kwargs)
