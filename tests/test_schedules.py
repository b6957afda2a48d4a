"""Schedules: properties (hypothesis), the cosine oracle, a sum-of-logs oracle, diffusers agreement, and goldens;
and mutation tests showing that the repaired tests fail on broken code."""
import math
import sys

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from mutation import catches

from course_core.schedules import alpha_bar_from_beta, alpha_bar_prev, cosine_beta_schedule, linear_beta_schedule

THIS = sys.modules[__name__]
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


def _check_cosine_alpha_bar(T):
    s = 0.008
    f = lambda u: math.cos((u / T + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    beta = cosine_beta_schedule(T, s=s)
    alpha_bar = alpha_bar_from_beta(beta)
    n_unclipped = int((beta < 0.999).to(torch.int64).cumprod(0).sum())
    expected = torch.tensor([f(t + 1) / f(0) for t in range(n_unclipped)], dtype=torch.float64)
    # float64 round-off of a cumulative product of <= 1000 factors: relative <= 1000 * 1.1e-16
    torch.testing.assert_close(alpha_bar[:n_unclipped], expected, rtol=1e-10, atol=1e-12)


@given(T=st.integers(2, 1000))
def test_cosine_alpha_bar_oracle(T):
    """Reference: a different closed form, Nichol & Dhariwal Eq. (17) directly: before clipping, alpha_bar at
    index t is f(t + 1) / f(0) (the code builds beta_t = 1 - f(t + 1) / f(t) and multiplies)."""
    _check_cosine_alpha_bar(T)


def _check_alpha_bar_and_prev(beta):
    log_alpha = torch.log1p(-beta)  # (T,)
    cum = torch.cumsum(log_alpha, 0)
    # float64 round-off: a cumulative sum of T <= 2000 terms, |sum| <= 100, errs by <= 2000 * 1.1e-16 * 100 ~ 2e-11
    # in log space, i.e. relative in alpha_bar; a cumulative product by <= 2000 * 1.1e-16 (measured: 5e-14)
    torch.testing.assert_close(alpha_bar_from_beta(beta), torch.exp(cum), rtol=1e-10, atol=0)
    prev = alpha_bar_prev(alpha_bar_from_beta(beta))
    assert prev.shape == beta.shape and prev.dtype == beta.dtype
    torch.testing.assert_close(prev, torch.exp(cum - log_alpha), rtol=1e-10, atol=0)  # sum over s < t; empty: 1
    assert prev[0].item() == 1.0  # "before step 0"
    # one float64 multiplication: a few ulps
    torch.testing.assert_close(prev * (1 - beta), alpha_bar_from_beta(beta), rtol=1e-12, atol=0)


@given(T=Ts, seed=st.integers(0, 10**6))
def test_alpha_bar_and_prev_match_sums_of_logs(T, seed):
    """Reference: a different closed form, alpha_bar_t = exp(sum_{s <= t} log(1 - beta_s)) and
    alpha_bar_prev_t = exp(sum_{s < t} log(1 - beta_s)) (the empty sum gives 1 at index 0), on the linear schedule
    and on random betas in (0, 0.05); and the recursion alpha_bar_t = alpha_bar_prev_t * (1 - beta_t)."""
    _check_alpha_bar_and_prev(linear_beta_schedule(T))
    _check_alpha_bar_and_prev(0.05 * torch.rand(T, generator=torch.Generator().manual_seed(seed), dtype=torch.float64))


@pytest.fixture
def diffusers():
    """diffusers, the oracle of the tests that ask for it: only those are skipped when it cannot be imported."""
    return pytest.importorskip("diffusers")


# diffusers builds its betas in float32: tolerance = a few float32 ulps (rtol 1e-6).
@pytest.mark.parametrize("T", [10, 1000])
def test_linear_matches_diffusers(diffusers, T):
    sched = diffusers.DDPMScheduler(num_train_timesteps=T, beta_schedule="linear", clip_sample=False)
    beta = linear_beta_schedule(T)
    torch.testing.assert_close(beta, sched.betas.double(), rtol=1e-6, atol=1e-9)
    # cumprod over 1000 float32 factors: relative error grows to ~1e-5.
    torch.testing.assert_close(alpha_bar_from_beta(beta), sched.alphas_cumprod.double(), rtol=3e-5, atol=1e-9)


@pytest.mark.parametrize("T", [10, 1000])
def test_cosine_matches_diffusers(diffusers, T):
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


# ----------------------------------------------------------------------------- mutation tests of the tests
# Each repaired or added test must fail on a realistic mistake, patched where the test body looks the name up.


def _prev_unshifted(alpha_bar):
    """Mutant: alpha_bar itself (alpha_bar_t in place of alpha_bar_{t-1})."""
    return alpha_bar.clone()


def _prev_shifted_the_wrong_way(alpha_bar):
    """Mutant: [alpha_bar_1, ..., alpha_bar_{T-1}, 1], the next step's value."""
    return torch.cat([alpha_bar[1:], alpha_bar.new_ones(1)])


def _prev_starts_at_zero(alpha_bar):
    """Mutant: "before step 0" taken as alpha_bar = 0."""
    return torch.cat([alpha_bar.new_zeros(1), alpha_bar[:-1]])


def _alpha_bar_first_order(beta):
    """Mutant: 1 - cumsum(beta), the first-order expansion of the product."""
    return 1 - torch.cumsum(beta, 0)


def _cosine_not_squared(T, s=0.008, max_beta=0.999):
    """Mutant: f(u) = cos(...) without the square."""
    u = torch.arange(T + 1, dtype=torch.float64)
    f = torch.cos((u / T + s) / (1 + s) * math.pi / 2)
    return (1 - f[1:] / f[:-1]).clamp(max=max_beta)


_RANDOM_BETA = 0.05 * torch.rand(50, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
MUTANTS = [
    pytest.param(_check_alpha_bar_and_prev, (_RANDOM_BETA,), [(THIS, "alpha_bar_prev", _prev_unshifted)],
                 id="prev-unshifted"),
    pytest.param(_check_alpha_bar_and_prev, (_RANDOM_BETA,), [(THIS, "alpha_bar_prev", _prev_shifted_the_wrong_way)],
                 id="prev-shifted-wrong-way"),
    pytest.param(_check_alpha_bar_and_prev, (_RANDOM_BETA,), [(THIS, "alpha_bar_prev", _prev_starts_at_zero)],
                 id="prev-starts-at-zero"),
    pytest.param(_check_alpha_bar_and_prev, (_RANDOM_BETA,), [(THIS, "alpha_bar_from_beta", _alpha_bar_first_order)],
                 id="alpha-bar-first-order"),
    pytest.param(_check_cosine_alpha_bar, (100,), [(THIS, "cosine_beta_schedule", _cosine_not_squared)],
                 id="cosine-not-squared"),
]


@pytest.mark.parametrize("check,args,broken", MUTANTS)
def test_repaired_tests_catch_mutant(check, args, broken):
    """The repaired test body fails (with an assertion) when a realistic mistake is patched in."""
    catches(check, *args, broken=broken)
