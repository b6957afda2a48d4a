"""course_core.ddim against diffusers' DDIMScheduler and against the identities DDIM is built on."""

import pytest
import torch
from diffusers import DDIMScheduler
from hypothesis import given, settings
from hypothesis import strategies as st

from course_core import ddim, ddpm, gmm, schedules, toy
from mutation import catches, mutant

F64 = torch.float64


@pytest.mark.parametrize("spacing", ddim.SPACINGS)
@settings(max_examples=200, deadline=None, derandomize=True)
@given(T=st.integers(1, 1200), frac=st.floats(0.0, 1.0))
def test_timesteps_are_diffusers(spacing, T, frac):
    num_steps = max(1, min(T, round(frac * T)))
    sched = DDIMScheduler(num_train_timesteps=T, timestep_spacing=spacing, steps_offset=0)
    sched.set_timesteps(num_steps)
    got = ddim.ddim_timesteps(T, num_steps, spacing)
    want = sched.timesteps.tolist()
    if len(want) == num_steps + 1 and want[-1] == -1:  # diffusers' float remainder (see ddim_timesteps)
        want = want[:-1]
    assert got.dtype == torch.int64 and got.tolist() == want
    assert bool((got[:-1] > got[1:]).all()) and int(got.min()) >= 0 and int(got.max()) < T


@pytest.mark.parametrize("args,match", [((10, 0, "leading"), "between 1 and T"), ((10, 11, "leading"), "between 1 and T"),
                                        ((10, 5, "uniform"), "unknown timestep spacing")])
def test_timesteps_refuse_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        ddim.ddim_timesteps(*args)


def _scheduler(T=50):
    sched = DDIMScheduler(num_train_timesteps=T, beta_schedule="linear", clip_sample=False, set_alpha_to_one=True,
                          steps_offset=0, timestep_spacing="leading")
    return sched, sched.alphas_cumprod.to(F64)  # the same alpha_bar on both sides


@pytest.mark.parametrize("eta", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("num_steps", [1, 7, 10, 50])
def test_step_is_diffusers_step_including_the_last(eta, num_steps):
    sched, alpha_bar = _scheduler()
    sched.set_timesteps(num_steps)
    g = torch.Generator().manual_seed(num_steps)
    x = torch.randn(3, 2, 4, generator=g)
    for step in sched.timesteps.tolist():
        eps, noise = torch.randn(3, 2, 4, generator=g), torch.randn(3, 2, 4, generator=g)
        want = sched.step(eps, step, x, eta=eta, variance_noise=noise).prev_sample
        t_prev = step - 50 // num_steps
        got = ddim.ddim_step(x, torch.full((3,), step), torch.full((3,), max(t_prev, -1)), eps, alpha_bar, eta, noise)
        torch.testing.assert_close(got, want, rtol=2e-5, atol=2e-5)
        x = want


def test_eta_one_on_contiguous_steps_is_the_ddpm_posterior_step():
    beta = schedules.cosine_beta_schedule(30)
    alpha_bar = schedules.alpha_bar_from_beta(beta)
    g = torch.Generator().manual_seed(0)
    x, eps, noise = (torch.randn(5, 3, 2, 2, generator=g, dtype=F64) for _ in range(3))
    t = torch.tensor([0, 1, 7, 15, 29])
    got = ddim.ddim_step(x, t, t - 1, eps, alpha_bar, 1.0, noise)
    torch.testing.assert_close(got, ddpm.ddpm_step(x, t, eps, beta, noise, "small"), rtol=1e-10, atol=1e-12)


def test_eta_zero_ignores_the_noise_and_sigma_is_eq_16():
    alpha_bar = schedules.alpha_bar_from_beta(schedules.linear_beta_schedule(100))
    g = torch.Generator().manual_seed(1)
    x, eps = torch.randn(4, 2, generator=g, dtype=F64), torch.randn(4, 2, generator=g, dtype=F64)
    t, t_prev = torch.tensor([99, 50, 10, 3]), torch.tensor([80, 20, -1, 0])
    a = ddim.ddim_step(x, t, t_prev, eps, alpha_bar, 0.0, torch.randn(4, 2, generator=g, dtype=F64))
    b = ddim.ddim_step(x, t, t_prev, eps, alpha_bar, 0.0, torch.randn(4, 2, generator=g, dtype=F64))
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    ab_t, ab_prev = torch.tensor(0.3, dtype=F64), torch.tensor(0.6, dtype=F64)
    want = (0.4 / 0.7) ** 0.5 * (1 - 0.5) ** 0.5  # eta = 1
    torch.testing.assert_close(ddim.ddim_sigma(ab_t, ab_prev, 1.0), torch.tensor(want, dtype=F64))
    torch.testing.assert_close(ddim.ddim_sigma(ab_t, ab_prev, 0.5), torch.tensor(0.5 * want, dtype=F64))


@pytest.mark.parametrize("eta", [0.0, 1.0])
def test_a_point_mass_is_reached_in_one_step_with_the_exact_eps(eta):
    """With data a single point c, the exact noise prediction is (x_t - sqrt(ab_t) c) / sqrt(1 - ab_t), and one
    step to t_prev = -1 returns c from anywhere, whatever eta."""
    alpha_bar = schedules.alpha_bar_from_beta(schedules.linear_beta_schedule(1000))
    c = torch.tensor([[0.3, -1.2]], dtype=F64)
    x = torch.randn(6, 2, generator=torch.Generator().manual_seed(2), dtype=F64) * 3
    t = torch.tensor([999, 500, 100, 10, 1, 0])
    ab = alpha_bar[t][:, None]
    eps = (x - ab.sqrt() * c) / (1 - ab).sqrt()
    noise = torch.randn(6, 2, generator=torch.Generator().manual_seed(3), dtype=F64)
    got = ddim.ddim_step(x, t, torch.full((6,), -1), eps, alpha_bar, eta, noise)
    torch.testing.assert_close(got, c.expand(6, 2), rtol=1e-9, atol=1e-9)


def test_ddpm_on_respaced_betas_is_ddim_with_eta_one():
    alpha_bar = schedules.alpha_bar_from_beta(schedules.linear_beta_schedule(1000))
    timesteps = ddim.ddim_timesteps(1000, 20, "trailing")
    beta_r = ddim.respace_betas(alpha_bar, timesteps)
    assert beta_r.shape == (20,)
    torch.testing.assert_close(schedules.alpha_bar_from_beta(beta_r), alpha_bar[timesteps.flip(0)])
    g = torch.Generator().manual_seed(3)
    ascending = timesteps.flip(0)
    for i in range(20):
        x, eps, noise = (torch.randn(3, 2, generator=g, dtype=F64) for _ in range(3))
        prev = int(ascending[i - 1]) if i > 0 else -1
        want = ddim.ddim_step(x, torch.full((3,), int(ascending[i])), torch.full((3,), prev), eps, alpha_bar, 1.0, noise)
        got = ddpm.ddpm_step(x, torch.full((3,), i), eps, beta_r, noise, "small")
        torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9)


def test_original_betas_are_not_the_respaced_ones():
    alpha_bar = schedules.alpha_bar_from_beta(schedules.linear_beta_schedule(1000))
    timesteps = ddim.ddim_timesteps(1000, 10)
    assert not torch.allclose(ddim.respace_betas(alpha_bar, timesteps), schedules.linear_beta_schedule(1000)[timesteps.flip(0)])


def test_inversion_then_sampling_returns_close_to_the_start_with_the_exact_eps():
    """The probability-flow ODE is invertible: with the ring mixture's exact eps, inverting 200 DDIM steps and
    sampling them back (eta = 0) lands within 0.05 of the start (the ring's modes have std 0.1); with 20 steps the
    error is several times larger (inversion evaluates eps one step off, so it is first order in the step)."""
    weights, means, covs = toy.ring_mixture(radius=0.7, std=0.1)
    alpha_bar = schedules.alpha_bar_from_beta(schedules.linear_beta_schedule(1000))
    x0 = toy.sample_mixture(weights, means, covs, 64, generator=torch.Generator().manual_seed(4))
    model = lambda x, t: gmm.mixture_eps(x, alpha_bar[t], weights, means, covs)  # noqa: E731
    errors = {}
    for num_steps in (20, 200):
        timesteps = ddim.ddim_timesteps(1000, num_steps, "trailing")
        x_T = ddim.ddim_invert(model, x0, alpha_bar, timesteps)
        back = ddim.ddim_sample(model, x_T, alpha_bar, timesteps, 0.0, torch.zeros(num_steps, *x0.shape, dtype=F64))
        errors[num_steps] = float((back - x0).norm(dim=1).max())
    assert errors[200] < 0.05, errors
    assert errors[20] > 3 * errors[200], errors


@pytest.mark.parametrize("which", ["zero", "ddpm", "largest"])
def test_marginal_mc_estimates_lemma_1_for_every_sigma(which):
    """Song et al. 2021, Lemma 1: through q_sigma(x_{t-1} | x_t, x0), x_{t-1} has mean sqrt(ab_prev) x0 and variance
    1 - ab_prev for every sigma in [0, sqrt(1 - ab_prev)]. 200 000 draws: each estimate within 5 standard errors
    (mean: sqrt((1 - ab_prev) / N); variance: sqrt(2 / N) (1 - ab_prev))."""
    ab_t, ab_prev, N = 0.3, 0.6, 200_000
    sigma = {"zero": 0.0, "ddpm": float(ddim.ddim_sigma(torch.tensor(ab_t), torch.tensor(ab_prev), 1.0)),
             "largest": (1 - ab_prev) ** 0.5}[which]
    g = torch.Generator().manual_seed(5)
    x0 = torch.tensor([1.5, -0.4, 0.0], dtype=F64)
    mean, var = ddim.ddim_marginal_mc(x0, ab_t, ab_prev, sigma, torch.randn(2, N, 3, generator=g, dtype=F64))
    assert mean.shape == var.shape == (3,)
    assert ((mean - ab_prev**0.5 * x0).abs() < 5 * ((1 - ab_prev) / N) ** 0.5).all(), mean
    assert ((var - (1 - ab_prev)).abs() < 5 * (2 / N) ** 0.5 * (1 - ab_prev)).all(), var


def test_marginal_mc_draws_are_the_paths_it_is_given():
    """At sigma = 0 the draw of x_{t-1} is sqrt(ab_prev) x0 + sqrt(1 - ab_prev) noise[0] (the same noise direction as
    x_t); at the largest sigma it is sqrt(ab_prev) x0 + sigma noise[1] (x_t forgotten): the moments of those draws,
    computed directly, are what the function returns. float32 data gives float32 moments."""
    g = torch.Generator().manual_seed(6)
    x0, noise = torch.randn(2, 2, generator=g, dtype=F64), torch.randn(2, 50, 2, 2, generator=g, dtype=F64)
    ab_t, ab_prev = 0.2, 0.7
    direct = ab_prev**0.5 * x0 + (1 - ab_prev) ** 0.5 * noise[0]
    mean, var = ddim.ddim_marginal_mc(x0, ab_t, ab_prev, 0.0, noise)
    torch.testing.assert_close(mean, direct.mean(0), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(var, direct.var(0, unbiased=False), rtol=1e-12, atol=1e-12)
    sigma = (1 - ab_prev) ** 0.5
    direct = ab_prev**0.5 * x0 + sigma * noise[1]
    mean, var = ddim.ddim_marginal_mc(x0, ab_t, ab_prev, sigma, noise)
    torch.testing.assert_close(mean, direct.mean(0), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(var, direct.var(0, unbiased=False), rtol=1e-12, atol=1e-12)
    mean32, var32 = ddim.ddim_marginal_mc(x0.float(), ab_t, ab_prev, 0.3, noise.float())
    assert mean32.dtype == var32.dtype == torch.float32


# ----------------------------------------------------------------------------- mutation tests of the tests
_SIGMA = "torch.sqrt((1 - alpha_bar_prev) / (1 - alpha_bar_t))"
_ROOT = "torch.sqrt((1 - ab_prev - sigma**2).clamp(min=0)) * eps_pred"
MUTANTS = [
    pytest.param(test_step_is_diffusers_step_including_the_last, dict(eta=0.5, num_steps=7),
                 [(_SIGMA, "torch.sqrt((1 - alpha_bar_t) / (1 - alpha_bar_prev))")], id="sigma-ratio-inverted"),
    pytest.param(test_eta_one_on_contiguous_steps_is_the_ddpm_posterior_step, {},
                 [(_ROOT, "torch.sqrt(1 - ab_prev) * eps_pred")], id="step-root-without-sigma"),
    pytest.param(test_step_is_diffusers_step_including_the_last, dict(eta=0.0, num_steps=10),
                 [("torch.where(t >= 0, alpha_bar.to(t.device)[t.clamp(min=0)], ones)", "alpha_bar.to(t.device)[t]")],
                 id="final-step-wraps-to-the-last-alpha-bar"),
    pytest.param(test_eta_zero_ignores_the_noise_and_sigma_is_eq_16, {},
                 [("return torch.sqrt(ab_prev) * x0_pred + direction + sigma * noise",
                   "return torch.sqrt(ab_prev) * x0_pred + direction + (sigma + 1e-3) * noise")], id="eta-zero-noisy"),
    pytest.param(test_ddpm_on_respaced_betas_is_ddim_with_eta_one, {},
                 [("return 1 - kept / previous", "return 1 - kept / kept.roll(1).clamp(max=1)")], id="respace-first-wrong"),
    pytest.param(test_inversion_then_sampling_returns_close_to_the_start_with_the_exact_eps, {},
                 [("x = torch.sqrt(ab_t) * x0_pred + torch.sqrt(1 - ab_t) * eps",
                   "x = torch.sqrt(ab_t) * x0_pred + torch.sqrt(1 - ab_s) * eps")], id="inversion-direction-at-the-source"),
    pytest.param(test_marginal_mc_estimates_lemma_1_for_every_sigma, dict(which="ddpm"),
                 [("(1 - ab_prev - sigma_eta**2).clamp(min=0) / (1 - ab_t)", "(1 - ab_prev) / (1 - ab_t)")],
                 id="marginal-mc-root-without-sigma"),
    pytest.param(test_marginal_mc_draws_are_the_paths_it_is_given, {},
                 [("x_prev.var(0, unbiased=False)", "x_prev.var(0)")], id="marginal-mc-unbiased-variance"),
]


@pytest.mark.parametrize("test,kwargs,edits", MUTANTS)
def test_repaired_tests_catch_mutant(test, kwargs, edits):
    """Each test above fails when a realistic mistake is edited into course_core/ddim.py."""
    broken = mutant(ddim, *edits)
    names = ["ddim_sigma", "ddim_step", "ddim_sample", "ddim_invert", "respace_betas", "ddim_marginal_mc",
             "_alpha_bar_or_one"]
    catches(test, broken=[(ddim, n, getattr(broken, n)) for n in names], **kwargs)
