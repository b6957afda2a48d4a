"""Schedules: properties (hypothesis), the cosine oracle, diffusers agreement, and goldens."""
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from course_core.schedules import alpha_bar_from_beta, alpha_bar_prev, cosine_beta_schedule, linear_beta_schedule

diffusers = pytest.importorskip("diffusers")

Ts = st.integers(min_value=2, max_value=2000)


@given(T=Ts)
def test_linear_properties(T):
    beta = linear_beta_schedule(T)
    assert beta.dtype == torch.float64 and beta.shape == (T,)
    assert beta[0].item() == pytest.approx(1e-4) and beta[-1].item() == pytest.approx(0.02)
    assert torch.all(beta[1:] > beta[:-1])


@given(T=Ts, s=st.floats(0.0, 0.1), max_beta=st.floats(0.5, 0.999))
def test_cosine_properties(T, s, max_beta):
    beta = cosine_beta_schedule(T, s=s, max_beta=max_beta)
    assert beta.dtype == torch.float64 and beta.shape == (T,)
    assert torch.all(beta >= 0) and torch.all(beta <= max_beta)
    alpha_bar = alpha_bar_from_beta(beta)
    assert torch.all(alpha_bar[1:] <= alpha_bar[:-1]) and torch.all(alpha_bar > 0)


@given(T=st.integers(2, 1000))
def test_cosine_alpha_bar_oracle(T):
    """Nichol & Dhariwal Eq. (17): before clipping, alpha_bar at index t is f(t + 1) / f(0)."""
    s = 0.008
    f = lambda u: math.cos((u / T + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    beta = cosine_beta_schedule(T, s=s)
    alpha_bar = alpha_bar_from_beta(beta)
    n_unclipped = int((beta < 0.999).to(torch.int64).cumprod(0).sum())
    expected = torch.tensor([f(t + 1) / f(0) for t in range(n_unclipped)], dtype=torch.float64)
    torch.testing.assert_close(alpha_bar[:n_unclipped], expected, rtol=1e-10, atol=1e-12)


@given(T=Ts)
def test_alpha_bar_prev_shifts_and_starts_at_one(T):
    alpha_bar = alpha_bar_from_beta(linear_beta_schedule(T))
    prev = alpha_bar_prev(alpha_bar)
    assert prev[0].item() == 1.0
    assert torch.equal(prev[1:], alpha_bar[:-1])
    assert torch.equal(alpha_bar[0], 1 - linear_beta_schedule(T)[0])


# diffusers builds its betas in float32: tolerance = a few float32 ulps (rtol 1e-6).
@pytest.mark.parametrize("T", [10, 1000])
def test_linear_matches_diffusers(T):
    sched = diffusers.DDPMScheduler(num_train_timesteps=T, beta_schedule="linear", clip_sample=False)
    beta = linear_beta_schedule(T)
    torch.testing.assert_close(beta, sched.betas.double(), rtol=1e-6, atol=1e-9)
    # cumprod over 1000 float32 factors: relative error grows to ~1e-5.
    torch.testing.assert_close(alpha_bar_from_beta(beta), sched.alphas_cumprod.double(), rtol=3e-5, atol=1e-9)


@pytest.mark.parametrize("T", [10, 1000])
def test_cosine_matches_diffusers(T):
    sched = diffusers.DDPMScheduler(num_train_timesteps=T, beta_schedule="squaredcos_cap_v2", clip_sample=False)
    beta = cosine_beta_schedule(T)
    torch.testing.assert_close(beta, sched.betas.double(), rtol=1e-6, atol=1e-9)


def test_goldens():
    """Golden values computed once in float64 (T = 1000); tolerance rel 1e-9 (float64 cumprod round-off)."""
    ab_lin = alpha_bar_from_beta(linear_beta_schedule(1000))
    assert ab_lin[-1].item() == pytest.approx(4.0358297653756754e-05, rel=1e-9)
    ab_cos = alpha_bar_from_beta(cosine_beta_schedule(1000))
    assert ab_cos[-1].item() == pytest.approx(2.4287669070348567e-09, rel=1e-9)
    assert cosine_beta_schedule(1000)[-1].item() == pytest.approx(0.999)  # the last beta is clipped
