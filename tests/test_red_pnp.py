"""course_core.red_pnp against autograd of the objectives, dense matrices of the degradations, and the closed-form
MAP estimate of a Gaussian prior (where PnP-ADMM with the exact MAP denoiser must land)."""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from mutation import catches

from course_core import inverse, red_pnp

F64 = torch.float64
SHAPE = (1, 2, 4)  # one channel, 2 x 4 pixels: d = 8


def _ops():
    g = torch.Generator().manual_seed(3)
    return {"denoise": inverse.Denoising(SHAPE),
            "inpaint": inverse.Inpainting(torch.rand(SHAPE, generator=g) < 0.5),
            "sr": inverse.SuperResolution(SHAPE, 2),
            "blur": inverse.SeparableBlur(SHAPE, torch.tensor([0.25, 0.5, 0.25], dtype=F64))}


def _dense_H(op):
    """``H`` as an ``(m, d)`` matrix, column j = H(e_j)."""
    return op.H(torch.eye(op.d, dtype=F64).reshape(op.d, *op.shape)).T


def _symmetric(d, seed):
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(d, d, generator=g, dtype=F64)
    return (A + A.T) / (2 * math.sqrt(d))


def _linear(W):
    """The linear denoiser ``x -> W x`` on ``(B, *D)`` batches."""
    return lambda x: (x.flatten(1) @ W.T).reshape(x.shape)


@given(seed=st.integers(0, 10**6), B=st.integers(1, 3))
def test_red_gradient_is_the_autograd_gradient_for_a_symmetric_linear_denoiser(seed, B):
    """Reference: autograd of rho(x) = 1/2 x^T (x - W x). A linear denoiser is homogeneous and its Jacobian W is
    symmetric, so the gradient is the residual x - W x; a non-symmetric W gives x - (W + W^T) x / 2 instead."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, *SHAPE, generator=g, dtype=F64).requires_grad_(True)
    W = _symmetric(8, seed)
    rho = red_pnp.red_regularizer(x, _linear(W)(x))
    assert rho.shape == (B,)
    (grad,) = torch.autograd.grad(rho.sum(), x)
    torch.testing.assert_close(red_pnp.red_gradient(x, _linear(W)(x)).detach(), grad, rtol=1e-12, atol=1e-12)
    N = W + torch.triu(torch.ones(8, 8, dtype=F64), 1)  # not symmetric
    (grad_n,) = torch.autograd.grad(red_pnp.red_regularizer(x, _linear(N)(x)).sum(), x)
    torch.testing.assert_close(grad_n, (x - _linear((N + N.T) / 2)(x)).detach(), rtol=1e-12, atol=1e-12)
    assert (red_pnp.red_gradient(x, _linear(N)(x)).detach() - grad_n).abs().max() > 0.1


def test_red_regularizer_is_half_the_inner_product_with_the_residual():
    """Golden value by hand: x = (1, 2), D(x) = (0.5, 1.5): 1/2 (1 * 0.5 + 2 * 0.5) = 0.75; per sample."""
    x = torch.tensor([[1.0, 2.0], [0.0, 0.0]], dtype=F64)
    out = red_pnp.red_regularizer(x, torch.tensor([[0.5, 1.5], [3.0, -1.0]], dtype=F64))
    torch.testing.assert_close(out, torch.tensor([0.75, 0.0], dtype=F64), rtol=0, atol=1e-15)


@pytest.mark.parametrize("kind", ["denoise", "inpaint", "sr", "blur"])
def test_red_step_is_gradient_descent_on_the_red_objective(kind):
    """Reference: autograd of ||y - H x||^2 / (2 sigma_y^2) + lam * rho(x) with a symmetric linear denoiser, H the
    dense matrix of the degradation."""
    op = _ops()[kind]
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, *SHAPE, generator=g, dtype=F64).requires_grad_(True)
    y = torch.randn(2, op.m, generator=g, dtype=F64)
    W, sigma_y, lam, mu = _symmetric(8, 2), 0.3, 0.7, 0.05
    Hd = _dense_H(op)
    energy = ((y - x.flatten(1) @ Hd.T) ** 2).sum() / (2 * sigma_y**2) + lam * red_pnp.red_regularizer(
        x, _linear(W)(x)).sum()
    (grad,) = torch.autograd.grad(energy, x)
    out = red_pnp.red_step(x.detach(), _linear(W)(x).detach(), y, op, sigma_y, lam, mu)
    assert out.shape == x.shape
    torch.testing.assert_close(out, x.detach() - mu * grad, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kind", ["denoise", "inpaint", "sr", "blur"])
@pytest.mark.parametrize("sigma_y", [0.1, 1.0])
def test_data_prox_solves_the_normal_equations(kind, sigma_y):
    """Reference: the dense solve (H^T H / sigma_y^2 + rho I) x = H^T y / sigma_y^2 + rho v."""
    op = _ops()[kind]
    g = torch.Generator().manual_seed(4)
    v, y, rho = torch.randn(3, *SHAPE, generator=g, dtype=F64), torch.randn(3, op.m, generator=g, dtype=F64), 2.5
    Hd = _dense_H(op)
    A = Hd.T @ Hd / sigma_y**2 + rho * torch.eye(op.d, dtype=F64)
    want = torch.linalg.solve(A, (y @ Hd / sigma_y**2 + rho * v.flatten(1)).T).T
    out = red_pnp.data_prox(v, y, op, sigma_y, rho)
    assert out.shape == v.shape and out.dtype == F64
    torch.testing.assert_close(out.flatten(1), want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kind", ["inpaint", "sr"])
def test_data_prox_without_noise_meets_the_measurement_and_keeps_the_rest(kind):
    """sigma_y = 0: H x = y exactly, and x - v has no component in the null space of H (it is the limit of the
    dense solve as sigma_y -> 0, checked at sigma_y = 1e-6)."""
    op = _ops()[kind]
    g = torch.Generator().manual_seed(5)
    v, y = torch.randn(2, *SHAPE, generator=g, dtype=F64), torch.randn(2, op.m, generator=g, dtype=F64)
    out = red_pnp.data_prox(v, y, op, 0.0, 1.0)
    torch.testing.assert_close(op.H(out), y, rtol=0, atol=1e-12)
    torch.testing.assert_close(op.V_T(out - v)[:, op.m:], torch.zeros(2, op.d - op.m, dtype=F64), rtol=0, atol=1e-12)
    torch.testing.assert_close(out, red_pnp.data_prox(v, y, op, 1e-6, 1.0), rtol=0, atol=1e-9)


def test_pnp_hqs_step_is_the_data_prox_then_the_denoiser_at_sqrt_lam_over_mu():
    op = _ops()["inpaint"]
    g = torch.Generator().manual_seed(6)
    z, y = torch.randn(2, *SHAPE, generator=g, dtype=F64), torch.randn(2, op.m, generator=g, dtype=F64)
    seen = []

    def denoiser(x, sigma):
        seen.append(sigma)
        return 0.5 * x

    x, z_next = red_pnp.pnp_hqs_step(z, y, op, 0.2, lam=0.09, mu=4.0, denoiser=denoiser)
    torch.testing.assert_close(x, red_pnp.data_prox(z, y, op, 0.2, 4.0), rtol=0, atol=0)
    torch.testing.assert_close(z_next, 0.5 * x, rtol=0, atol=0)
    assert seen == [pytest.approx(0.15, rel=1e-12)]


def _wiener(s2):
    """The MAP (= MMSE) denoiser of the prior N(0, s2 I) at noise level sigma: x s2 / (s2 + sigma^2)."""
    return lambda x, sigma: x * s2 / (s2 + sigma**2)


@pytest.mark.parametrize("kind", ["denoise", "inpaint", "sr", "blur"])
def test_pnp_admm_with_the_exact_map_denoiser_reaches_the_map_estimate(kind):
    """Reference: with lam = 1 and R(x) = ||x||^2 / (2 s2), the prox of R at penalty rho is the Wiener shrinkage at
    noise variance 1 / rho, and ADMM on this strongly convex problem converges to its minimiser, the dense MAP
    (H^T H / sigma_y^2 + I / s2)^{-1} H^T y / sigma_y^2. 300 iterations."""
    op = _ops()[kind]
    g = torch.Generator().manual_seed(7)
    y, sigma_y, s2, rho = torch.randn(2, op.m, generator=g, dtype=F64), 0.5, 0.8, 1.5
    Hd = _dense_H(op)
    want = torch.linalg.solve(Hd.T @ Hd / sigma_y**2 + torch.eye(op.d, dtype=F64) / s2, (y @ Hd).T / sigma_y**2).T
    z = u = torch.zeros(2, *SHAPE, dtype=F64)
    for _ in range(300):
        x, z, u = red_pnp.pnp_admm_step(z, u, y, op, sigma_y, 1.0, rho, _wiener(s2))
    torch.testing.assert_close(x.flatten(1), want, rtol=0, atol=1e-9)
    torch.testing.assert_close(z, x, rtol=0, atol=1e-9)


def test_pnp_hqs_fixed_point_for_denoising_with_a_gaussian_prior():
    """Reference: with H = I and z = a x (a = s2 / (s2 + lam / mu)), the HQS iteration x = (y / sigma_y^2 + mu z) /
    (1 / sigma_y^2 + mu) has the fixed point x* = y / (1 + mu sigma_y^2 (1 - a)), which tends to the MAP
    s2 y / (s2 + lam sigma_y^2) as mu grows (0.4 % away at mu = 100). 400 iterations contract the error by at most
    0.93^400."""
    op = inverse.Denoising((3,))
    y, sigma_y, s2, lam = torch.tensor([[1.0, -2.0, 0.5]], dtype=F64), 0.4, 0.6, 1.0
    for mu in (1.0, 100.0):
        a = s2 / (s2 + lam / mu)
        z = torch.zeros(1, 3, dtype=F64)
        for _ in range(400):
            x, z = red_pnp.pnp_hqs_step(z, y, op, sigma_y, lam, mu, _wiener(s2))
        torch.testing.assert_close(x, y / (1 + mu * sigma_y**2 * (1 - a)), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(x, s2 * y / (s2 + lam * sigma_y**2), rtol=5e-3, atol=0)
    assert not torch.allclose(x, s2 * y / (s2 + lam * sigma_y**2), rtol=1e-3, atol=0)  # HQS is biased at finite mu


# ---------------------------------------------------------------- the dense-matrix steps (hw0)


@pytest.mark.parametrize("kind", ["denoise", "inpaint", "sr", "blur"])
def test_dense_steps_agree_with_the_svd_steps(kind):
    """Oracle: the matrix-free steps above (SVD of the degradation) against the dense-matrix ones, on the same H."""
    op = _ops()[kind]
    g = torch.Generator().manual_seed(8)
    Hd = _dense_H(op)
    x, z, u = (torch.randn(2, *SHAPE, generator=g, dtype=F64) for _ in range(3))
    y = torch.randn(2, op.m, generator=g, dtype=F64)
    W = _symmetric(8, 3)
    den = lambda v, sigma: _linear(W)(v) * (1 + sigma)  # noqa: E731 - depends on sigma, so the level is checked too
    flat = lambda v: v.flatten(1)  # noqa: E731
    torch.testing.assert_close(red_pnp.data_prox_matrix(flat(x), y, Hd, 0.3, 2.0),
                               flat(red_pnp.data_prox(x, y, op, 0.3, 2.0)), rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(red_pnp.red_step_matrix(flat(x), y, Hd, 0.3, 0.7, 0.05, den, 0.2),
                               flat(red_pnp.red_step(x, den(x, 0.2), y, op, 0.3, 0.7, 0.05)), rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(red_pnp.red_fixed_point_matrix(flat(x), y, Hd, 0.3, 0.7, den, 0.2),
                               flat(red_pnp.data_prox(den(x, 0.2), y, op, 0.3, 0.7)), rtol=1e-10, atol=1e-10)
    got = red_pnp.pnp_admm_step_matrix(flat(z), flat(u), y, Hd, 0.3, 0.5, 2.0, den)
    want = red_pnp.pnp_admm_step(z, u, y, op, 0.3, 0.5, 2.0, den)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, flat(b), rtol=1e-10, atol=1e-10)


def test_red_fixed_point_matrix_solves_the_stationarity_condition():
    """Oracle: autograd of ||y - H x'||^2 / (2 sigma_y^2) + lam/2 ||x' - D(x)||^2 vanishes at the returned x'."""
    g = torch.Generator().manual_seed(9)
    H, x, y = (torch.randn(*s, generator=g, dtype=F64) for s in ((5, 8), (3, 8), (3, 5)))
    W = _symmetric(8, 4) + torch.triu(torch.ones(8, 8, dtype=F64), 1)  # any denoiser, symmetric or not
    out = red_pnp.red_fixed_point_matrix(x, y, H, 0.4, 1.3, lambda v, s: v @ W.T, 0.1).requires_grad_(True)
    energy = ((y - out @ H.T) ** 2).sum() / (2 * 0.4**2) + 1.3 / 2 * ((out - x @ W.T) ** 2).sum()
    (grad,) = torch.autograd.grad(energy, out)
    torch.testing.assert_close(grad, torch.zeros_like(grad), rtol=0, atol=1e-9)


def test_pnp_admm_step_matrix_with_the_exact_map_denoiser_reaches_the_map():
    """Reference: the closed-form MAP of a Gaussian prior N(0, Sigma), as in the SVD test above; 200 iterations. A
    flipped dual update (u - x + z_next) does not get there (mutation check below)."""
    g = torch.Generator().manual_seed(10)
    M = torch.randn(6, 6, generator=g, dtype=F64)
    Sigma = M @ M.T / 6 + 0.2 * torch.eye(6, dtype=F64)
    H, y = torch.randn(4, 6, generator=g, dtype=F64), torch.randn(3, 4, generator=g, dtype=F64)
    lam, rho, sy = 1.0, 2.0, 0.5
    wiener = lambda v, s: v @ (Sigma @ torch.linalg.inv(Sigma + s**2 * torch.eye(6, dtype=F64))).T  # noqa: E731
    want = torch.linalg.solve(H.T @ H / sy**2 + lam * torch.linalg.inv(Sigma), (y @ H).T / sy**2).T
    z = u = torch.zeros(3, 6, dtype=F64)
    for _ in range(200):
        x, z, u = red_pnp.pnp_admm_step_matrix(z, u, y, H, sy, lam, rho, wiener)
    torch.testing.assert_close(x, want, rtol=0, atol=1e-8)


def test_the_admm_test_catches_a_flipped_dual_update():
    def flipped(z, u, y, H, sigma_y, lam, rho, denoiser):
        x = red_pnp.data_prox_matrix(z - u, y, H, sigma_y, rho)
        z_next = denoiser(x + u, math.sqrt(lam / rho))
        return x, z_next, u - x + z_next

    catches(test_pnp_admm_step_matrix_with_the_exact_map_denoiser_reaches_the_map,
            broken=[(red_pnp, "pnp_admm_step_matrix", flipped)])
