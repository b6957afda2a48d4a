"""course_core.consistency: the boundary condition, EDM's scalings as the sigma_min = 0 case, golden values by hand,
per-sample noise levels, and the re-noising of multistep sampling."""

import math

import torch
from hypothesis import given
from hypothesis import strategies as st

from course_core.consistency import consistency_function, consistency_renoise, consistency_scalings

F64 = torch.float64


@given(sigma_data=st.floats(0.1, 2.0), sigma_min=st.floats(1e-4, 0.1), seed=st.integers(0, 10**6))
def test_the_boundary_condition_holds_whatever_the_network_outputs(sigma_data, sigma_min, seed):
    """c_skip(eps) = 1 and c_out(eps) = 0, so f(x, eps) = x for any F (Song et al. 2023, §3)."""
    c_skip, c_out = consistency_scalings(sigma_min, sigma_data, sigma_min)
    assert c_skip.item() == 1.0 and c_out.item() == 0.0
    g = torch.Generator().manual_seed(seed)
    x, raw = torch.randn(3, 2, 4, 4, generator=g, dtype=F64), 100 * torch.randn(3, 2, 4, 4, generator=g, dtype=F64)
    torch.testing.assert_close(consistency_function(x, sigma_min, raw, sigma_data, sigma_min), x, rtol=0, atol=0)


@given(sigma=st.floats(0.01, 80.0), sigma_data=st.floats(0.1, 2.0))
def test_sigma_min_zero_gives_edms_scalings(sigma, sigma_data):
    """Reference: Karras et al. 2022, arXiv:2206.00364, Table 1 (EDM preconditioning):
    c_skip = sigma_data^2 / (sigma^2 + sigma_data^2), c_out = sigma sigma_data / sqrt(sigma^2 + sigma_data^2)."""
    c_skip, c_out = consistency_scalings(torch.tensor(sigma, dtype=F64), sigma_data, 0.0)
    assert math.isclose(c_skip.item(), sigma_data**2 / (sigma**2 + sigma_data**2), rel_tol=1e-12)
    assert math.isclose(c_out.item(), sigma * sigma_data / math.sqrt(sigma**2 + sigma_data**2), rel_tol=1e-12)


def test_golden_values_of_the_paper_settings():
    """By hand with the paper's sigma_data = 0.5, eps = 0.002: at t = 1, c_skip = 0.25 / (0.998^2 + 0.25) =
    0.2006414..., c_out = 0.5 * 0.998 / sqrt(1.25) = 0.4463192...; at t = 80 (sigma_max) c_skip ~ 4e-5, c_out ~ 0.5."""
    c_skip, c_out = consistency_scalings(1.0)
    assert math.isclose(c_skip.item(), 0.25 / (0.998**2 + 0.25), rel_tol=1e-12)
    assert math.isclose(c_out.item(), 0.499 / math.sqrt(1.25), rel_tol=1e-12)
    assert abs(c_skip.item() - 0.200641) < 1e-6 and abs(c_out.item() - 0.446319) < 1e-6
    c_skip, c_out = consistency_scalings(80.0)
    assert c_skip.item() < 5e-5 and abs(c_out.item() - 0.5) < 1e-4


def test_per_sample_levels_broadcast_over_images():
    x = torch.ones(3, 1, 2, 2, dtype=F64)
    raw = torch.zeros_like(x)
    sigma = torch.tensor([0.002, 1.0, 10.0], dtype=F64)
    out = consistency_function(x, sigma, raw)
    assert out.shape == x.shape
    c_skip, _ = consistency_scalings(sigma)
    torch.testing.assert_close(out.flatten(1), c_skip[:, None].expand(3, 4), rtol=0, atol=1e-15)
    assert consistency_function(x.float(), 1.0, raw.float()).dtype == torch.float32


def test_renoising_reaches_the_variance_of_level_t_above_eps():
    """Algorithm 1: x = x0_pred + sqrt(t^2 - eps^2) z, so x - x0_pred has variance t^2 - eps^2 (4 standard errors
    over 20000 draws), and nothing is added at t = eps."""
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(20_000, 1, generator=g, dtype=F64)
    z = torch.randn(20_000, 1, generator=g, dtype=F64)
    out = consistency_renoise(x0, 2.0, z)
    v = 4.0 - 0.002**2
    assert abs((out - x0).var().item() - v) < 4 * math.sqrt(2 / 20_000) * v
    torch.testing.assert_close(consistency_renoise(x0, 0.002, z), x0, rtol=0, atol=0)
