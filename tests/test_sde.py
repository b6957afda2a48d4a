"""course_core.sde against analytic oracles: DDPM's alpha_bar in the many-step limit, the moment ODEs and the
Fokker–Planck equation of linear SDEs, Euler–Maruyama moments on Gaussians (fixed generators), the exact flow of the
probability-flow ODE on Gaussian data (Euler first order, Heun second order), DDIM as an Euler step, diffusers' EDM
noise levels, exact Gaussian likelihoods through the ODE; and mutation tests showing the tests fail on broken code."""
import math
import sys

import pytest
import torch
from mutation import catches, edited

from course_core import ddim, gmm, schedules, sde

F64 = torch.float64
THIS = sys.modules[__name__]
SDE = sys.modules["course_core.sde"]


def _gen(seed):
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------------------------------------------------------
# Forward SDEs and kernels


def test_vp_marginal_is_the_limit_of_ddpm_alpha_bar():
    """DDPM with beta_i = beta(i/N)/N (Song et al. 2021, Appendix C) has alpha_bar_i -> exp(-int_0^{i/N} beta): the
    gap in log alpha_bar shrinks like 1/N, and at N = 10^4 the mean coefficient and std agree to 1e-3."""
    beta_min, beta_max = 0.1, 20.0
    gaps = []
    for N in (100, 1000, 10000):
        alpha_bar = schedules.alpha_bar_from_beta(schedules.linear_beta_schedule(N, beta_min / N, beta_max / N))
        steps = torch.tensor([N // 10, N // 4, N // 2, 3 * N // 4, N])  # the paper's step i, time i / N
        mean_coef, std = sde.vp_marginal(steps.to(F64) / N, beta_min, beta_max)
        ab = alpha_bar[steps - 1]
        gaps.append(float((torch.log(ab) - 2 * torch.log(mean_coef)).abs().max()))
        if N == 10000:
            torch.testing.assert_close(mean_coef, torch.sqrt(ab), rtol=0, atol=1e-3)
            torch.testing.assert_close(std, torch.sqrt(1 - ab), rtol=0, atol=1e-3)
    assert gaps[2] < 0.02 and 7 < gaps[0] / gaps[1] < 13 and 7 < gaps[1] / gaps[2] < 13, gaps


def test_vp_marginal_closed_form_and_unit_variance():
    """Song et al. 2021, Appendix C: mean coefficient exp(-t^2 (b_max - b_min) / 4 - t b_min / 2), variance
    1 - exp(-t^2 (b_max - b_min) / 2 - t b_min); the VP SDE keeps unit-variance data at unit variance."""
    time = torch.linspace(0, 1, 11, dtype=F64)
    b0, b1 = 0.3, 12.0
    mean_coef, std = sde.vp_marginal(time, b0, b1)
    torch.testing.assert_close(mean_coef, torch.exp(-time**2 * (b1 - b0) / 4 - time * b0 / 2), rtol=1e-12, atol=0)
    torch.testing.assert_close(std**2, 1 - torch.exp(-time**2 * (b1 - b0) / 2 - time * b0), rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(mean_coef**2 + std**2, torch.ones_like(time), rtol=1e-12, atol=0)
    assert float(mean_coef[0]) == 1.0 and float(std[0]) == 0.0
    assert sde.vp_marginal(0.5)[0].dtype == F64 and sde.vp_marginal(0.5)[0].dim() == 0
    torch.testing.assert_close(sde.vp_beta(time, b0, b1), b0 + time * (b1 - b0))


def _rk4(rhs, y0, t0, t1, n):
    y, h = y0, (t1 - t0) / n
    for k in range(n):
        t = t0 + k * h
        k1 = rhs(t, y)
        k2 = rhs(t + h / 2, y + h / 2 * k1)
        k3 = rhs(t + h / 2, y + h / 2 * k2)
        k4 = rhs(t + h, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


@pytest.mark.parametrize("kind", ["vp", "ve"])
def test_sde_coefficients_give_the_kernels_moments(kind):
    """For dx = a(t) x dt + g(t) dw the mean m and variance v of x(t) | x(0) solve m' = a m, v' = 2 a v + g^2
    (the moment equations of a linear SDE, Song et al. 2021, Appendix B): integrated with RK4 from the SDE's own
    coefficients they are the closed-form kernels."""
    one = torch.ones(1, 1, dtype=F64)
    if kind == "vp":
        coef = lambda t: sde.vp_sde(one, t, 0.2, 15.0)  # noqa: E731
        a = lambda t: float(coef(t)[0].flatten()[0])  # noqa: E731  (x = 1: the drift is a(t))
        t0, t1 = 0.0, 0.8
        want_mean, want_std = sde.vp_marginal(t1, 0.2, 15.0)
        want_var = float(want_std) ** 2
    else:
        coef = lambda t: sde.ve_sde(one, t, 0.05, 30.0)  # noqa: E731
        a = lambda t: 0.0  # noqa: E731
        t0, t1 = 0.3, 0.9
        want_mean = 1.0
        want_var = float(sde.ve_marginal_std(sde.ve_sigma(t1, 0.05, 30.0), sde.ve_sigma(t0, 0.05, 30.0))) ** 2
    rhs = lambda t, y: torch.stack([a(t) * y[0], 2 * a(t) * y[1] + float(coef(t)[1].flatten()[0]) ** 2])  # noqa: E731
    m, v = _rk4(rhs, torch.tensor([1.0, 0.0], dtype=F64), t0, t1, 400)
    assert abs(float(m) - float(want_mean)) < 1e-9 and abs(float(v) - want_var) < 1e-8 * (1 + want_var)


def test_ve_diffusion_squared_is_the_derivative_of_sigma_squared():
    """Song et al. 2021, Eq. (9): g(t)^2 = d[sigma(t)^2]/dt, by autograd of ve_sigma."""
    time = torch.linspace(0.05, 1.0, 9, dtype=F64, requires_grad=True)
    (dsigma2,) = torch.autograd.grad((sde.ve_sigma(time, 0.01, 50.0) ** 2).sum(), time)
    _, g = sde.ve_sde(torch.zeros(9, 2, dtype=F64), time.detach(), 0.01, 50.0)
    assert g.shape == (9, 1)
    torch.testing.assert_close(g[:, 0] ** 2, dsigma2, rtol=1e-12, atol=0)


def test_ve_marginal_std_adds_variances():
    assert float(sde.ve_marginal_std(5.0, 3.0)) == pytest.approx(4.0, rel=1e-15)
    assert float(sde.ve_marginal_std(2.5)) == pytest.approx(2.5, rel=1e-15)
    s = torch.tensor([1.0, 2.0, 4.0], dtype=F64)
    torch.testing.assert_close(sde.ve_marginal_std(s[1:], s[:-1]) ** 2 + s[:-1] ** 2, s[1:] ** 2)


# ---------------------------------------------------------------------------------------------------------------
# Reverse SDE and probability-flow ODE: the Fokker–Planck equation on Gaussian data


def _vp_gaussian_density(x, time, mu, s2, b0=0.1, b1=20.0):
    m, std = sde.vp_marginal(time, b0, b1)
    mean, var = sde.gaussian_marginal(m, std, mu, s2)
    return torch.exp(-(x - mean) ** 2 / (2 * var)) / torch.sqrt(2 * math.pi * var), mean, var


def test_probability_flow_drift_solves_the_continuity_equation():
    """Song et al. 2021, Appendix D.1: the probability-flow velocity v = f - g^2 score / 2 carries p_t exactly,
    dp/dt = -d(v p)/dx. Checked for Gaussian data under the VP SDE at several (x, t), with dp/dt by central
    differences in t and d(v p)/dx by autograd. The reverse-SDE drift does not (it needs the diffusion term)."""
    mu, s2, h = 0.7, 0.3, 1e-5
    x = torch.linspace(-2, 2, 9, dtype=F64)[:, None].requires_grad_(True)  # (B, 1)
    for time in (0.05, 0.3, 0.7):
        dp_dt = (_vp_gaussian_density(x, time + h, mu, s2)[0] - _vp_gaussian_density(x, time - h, mu, s2)[0]) / (2 * h)
        p, mean, var = _vp_gaussian_density(x, time, mu, s2)
        f, g = sde.vp_sde(x, time)
        score = sde.gaussian_score(x, mean, var)
        for drift_fn, ok in ((sde.probability_flow_drift, True), (sde.reverse_sde_drift, False)):
            (flux,) = torch.autograd.grad((drift_fn(f, g, score) * p).sum(), x, retain_graph=True)
            close = torch.allclose(dp_dt, -flux, rtol=1e-5, atol=1e-7)
            assert close == ok, (time, drift_fn.__name__)


def test_reverse_drift_is_the_time_reversal():
    """Anderson 1982 / Song et al. 2021, Eq. (6): the forward Fokker–Planck equation
    dp/dt = -d(f p)/dx + g^2/2 d^2p/dx^2 equals -d(f_rev p)/dx - g^2/2 d^2p/dx^2 with f_rev the reverse drift
    (the same density evolution, read backwards with the diffusion's sign flipped)."""
    mu, s2, time = -0.4, 0.5, 0.25
    x = torch.linspace(-2, 2, 7, dtype=F64)[:, None].requires_grad_(True)
    p, mean, var = _vp_gaussian_density(x, time, mu, s2)
    f, g = sde.vp_sde(x, time)
    (dp,) = torch.autograd.grad(p.sum(), x, create_graph=True)
    (d2p,) = torch.autograd.grad(dp.sum(), x, retain_graph=True)
    (flux_f,) = torch.autograd.grad((f * p).sum(), x, retain_graph=True)
    rev = sde.reverse_sde_drift(f, g, sde.gaussian_score(x, mean, var))
    (flux_rev,) = torch.autograd.grad((rev * p).sum(), x, retain_graph=True)
    forward = -flux_f + 0.5 * g**2 * d2p
    torch.testing.assert_close(forward, -flux_rev - 0.5 * g**2 * d2p, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(rev, 2 * sde.probability_flow_drift(f, g, sde.gaussian_score(x, mean, var)) - f)


def test_drifts_broadcast_per_sample_and_keep_dtype():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 2, 4, generator=g, dtype=torch.float32)
    score = torch.randn(3, 2, 4, generator=g, dtype=torch.float32)
    time = torch.tensor([0.1, 0.5, 0.9], dtype=F64)
    f, gt = sde.vp_sde(x, time)
    assert f.dtype == torch.float32 and gt.shape == (3, 1, 1)
    out = sde.reverse_sde_drift(f, gt, score)
    pf = sde.probability_flow_drift(f, gt.flatten(), score)
    assert out.dtype == pf.dtype == torch.float32 and out.shape == pf.shape == x.shape
    for b in range(3):
        fb, gb = sde.vp_sde(x[b:b + 1], float(time[b]))
        torch.testing.assert_close(out[b:b + 1], sde.reverse_sde_drift(fb, float(gb), score[b:b + 1]))
        torch.testing.assert_close(pf[b:b + 1], sde.probability_flow_drift(fb, float(gb), score[b:b + 1]))


# ---------------------------------------------------------------------------------------------------------------
# Euler–Maruyama


def test_one_euler_maruyama_step_has_the_gaussian_moments():
    """One step from a fixed x is N(x + drift dt, g^2 |dt|): 200 000 draws, a fixed generator, 5 standard errors."""
    n, x, drift, g, dt = 200_000, 0.8, -1.3, 1.7, -0.04
    noise = torch.randn(n, 1, generator=_gen(1), dtype=F64)
    out = sde.euler_maruyama_step(torch.full((n, 1), x, dtype=F64), torch.full((n, 1), drift, dtype=F64), g, dt, noise)
    var = g**2 * abs(dt)
    assert abs(float(out.mean()) - (x + drift * dt)) < 5 * math.sqrt(var / n)
    assert abs(float(out.var()) / var - 1) < 5 * math.sqrt(2 / n)


def _em_vp(x, t_from, t_to, K, mu, s2, generator, reverse):
    """K Euler–Maruyama steps of the forward VP SDE (reverse=False) or of the reverse-time SDE with the exact
    Gaussian score (reverse=True)."""
    dt = (t_to - t_from) / K
    for k in range(K):
        time = t_from + k * dt
        f, g = sde.vp_sde(x, time)
        if reverse:
            m, std = sde.vp_marginal(time)
            mean, var = sde.gaussian_marginal(m, std, mu, s2)
            drift = sde.reverse_sde_drift(f, g, sde.gaussian_score(x, mean, var))
        else:
            drift = f
        x = sde.euler_maruyama_step(x, drift, g, dt, torch.randn(x.shape, generator=generator, dtype=x.dtype))
    return x


def test_euler_maruyama_forward_vp_matches_the_kernel():
    """20 000 forward paths from x(0) ~ N(mu, s2), 200 steps to t = 0.6: the sample mean and variance are
    m mu and m^2 s2 + std^2 of the kernel (Appendix B) (Monte Carlo error ~ 1%, discretization error ~ 1/K)."""
    mu, s2, n = 1.5, 0.25, 20_000
    g = _gen(2)
    x0 = mu + math.sqrt(s2) * torch.randn(n, 2, generator=g, dtype=F64)
    x = _em_vp(x0, 0.0, 0.6, 200, mu, s2, g, reverse=False)
    m, std = sde.vp_marginal(0.6)
    mean, var = sde.gaussian_marginal(float(m), float(std), mu, s2)
    assert abs(float(x.mean()) - mean) < 0.02 and abs(float(x.var()) / var - 1) < 0.04


def test_euler_maruyama_reverse_sde_recovers_the_data():
    """20 000 paths from p_1 (exact), the reverse-time SDE with the exact score, 400 steps back to t = 1e-3:
    mean mu and variance s2 of the data, within Monte Carlo and discretization error."""
    mu, s2, n = -0.8, 0.09, 20_000
    g = _gen(3)
    m, std = sde.vp_marginal(1.0)
    mean, var = sde.gaussian_marginal(float(m), float(std), mu, s2)
    x1 = mean + math.sqrt(var) * torch.randn(n, 1, generator=g, dtype=F64)
    x = _em_vp(x1, 1.0, 1e-3, 400, mu, s2, g, reverse=True)
    assert abs(float(x.mean()) - mu) < 0.02 and abs(float(x.var()) / s2 - 1) < 0.08


def test_probability_flow_ode_maps_the_vp_marginals():
    """The probability-flow ODE of the VP SDE (Heun steps by hand), from t = 1 to t = 0.05 on Gaussian data: it is
    affine, so the ratio of output to input spread must be sqrt(v(0.05) / v(1)) and the mean must follow."""
    mu, s2 = 0.6, 0.2
    x = torch.linspace(-3, 3, 13, dtype=F64).reshape(13, 1)

    def velocity(z, time):
        m, std = sde.vp_marginal(time)
        mean, var = sde.gaussian_marginal(m, std, mu, s2)
        f, gt = sde.vp_sde(z, time)
        return sde.probability_flow_drift(f, gt, sde.gaussian_score(z, mean, var))

    times = torch.linspace(1.0, 0.05, 401, dtype=F64).tolist()
    z = x
    for t0, t1 in zip(times[:-1], times[1:]):
        k1 = velocity(z, t0)
        k2 = velocity(z + (t1 - t0) * k1, t1)
        z = z + (t1 - t0) * 0.5 * (k1 + k2)
    (mean1, var1), (mean0, var0) = (sde.gaussian_marginal(*sde.vp_marginal(t), mu, s2) for t in (1.0, 0.05))
    want = mean0 + (x - mean1) * torch.sqrt(var0 / var1)
    torch.testing.assert_close(z, want, rtol=0, atol=1e-4)


# ---------------------------------------------------------------------------------------------------------------
# Karras et al.


def test_karras_sigmas_endpoints_monotonicity_and_formula():
    for N, smin, smax, rho in ((18, 0.002, 80.0, 7.0), (2, 0.1, 10.0, 3.0), (40, 0.01, 50.0, 1.0)):
        s = sde.karras_sigmas(N, smin, smax, rho)
        assert s.dtype == F64 and s.shape == (N + 1,)
        assert float(s[0]) == pytest.approx(smax, rel=1e-12) and float(s[N - 1]) == pytest.approx(smin, rel=1e-12)
        assert float(s[N]) == 0.0 and bool((s[1:] < s[:-1]).all())
        want = [(smax ** (1 / rho) + i / (N - 1) * (smin ** (1 / rho) - smax ** (1 / rho))) ** rho for i in range(N)]
        torch.testing.assert_close(s[:N], torch.tensor(want, dtype=F64), rtol=1e-12, atol=0)
    torch.testing.assert_close(sde.karras_sigmas(5, 1.0, 5.0, 1.0), torch.tensor([5.0, 4, 3, 2, 1, 0], dtype=F64))
    assert sde.karras_sigmas(1, 0.002, 80.0).tolist() == [80.0, 0.0]


def test_karras_sigmas_are_diffusers_edm_sigmas():
    from diffusers import EDMEulerScheduler

    for N in (1, 2, 18, 50):
        sched = EDMEulerScheduler(sigma_min=0.002, sigma_max=80.0, rho=7.0)
        sched.set_timesteps(N)
        torch.testing.assert_close(sde.karras_sigmas(N).float(), sched.sigmas, rtol=2e-6, atol=1e-9)


@pytest.mark.parametrize("args", [(0, 0.1, 1.0, 7.0), (5, 0.0, 1.0, 7.0), (5, 2.0, 1.0, 7.0), (5, 0.1, 1.0, 0.0)])
def test_karras_sigmas_refuse_bad_arguments(args):
    with pytest.raises(ValueError):
        sde.karras_sigmas(*args)


MU, VAR = 0.4, 0.5**2


def _denoiser(x, sigma):
    return sde.gaussian_denoiser(x, sigma, MU, VAR)


def test_gaussian_denoiser_is_tweedie_and_the_mixture_oracle():
    """D(x; sigma) = x + sigma^2 grad log p(x; sigma) (Karras Eq. (3)); and course_core.gmm's exact VE denoiser of a
    one-component mixture."""
    x = torch.linspace(-3, 3, 10, dtype=F64).reshape(5, 2)
    for sigma in (0.05, 0.7, 4.0):
        score = sde.gaussian_score(x, MU, VAR + sigma**2)
        torch.testing.assert_close(_denoiser(x, sigma), x + sigma**2 * score, rtol=1e-12, atol=1e-12)
        mix = gmm.GaussianMixture(torch.ones(1, dtype=F64), torch.full((1, 2), MU, dtype=F64),
                                  VAR * torch.eye(2, dtype=F64)[None])
        torch.testing.assert_close(_denoiser(x, sigma), mix.denoise_ve(x, sigma), rtol=1e-10, atol=1e-12)


def test_gaussian_flow_solves_the_ode_and_carries_the_marginals():
    """d/dsigma gaussian_flow(x, s0, sigma) = (x_sigma - D(x_sigma; sigma)) / sigma (autograd), and the affine map
    takes variance VAR + s0^2 to VAR + s1^2."""
    x = torch.linspace(-2, 2, 6, dtype=F64).reshape(3, 2)
    sigma = torch.tensor(1.3, dtype=F64, requires_grad=True)
    out = sde.gaussian_flow(x, 2.0, sigma, MU, VAR)
    (dx,) = torch.autograd.grad(out.sum(), sigma)
    s = float(sigma.detach())
    slope = sde.karras_ode_derivative(out.detach(), s, _denoiser(out.detach(), s))
    assert float(dx) == pytest.approx(float(slope.sum()), rel=1e-12)
    scale = float((sde.gaussian_flow(torch.ones(1, 1, dtype=F64) + MU, 2.0, 0.3, MU, VAR) - MU).flatten()[0])
    assert scale**2 * (VAR + 4.0) == pytest.approx(VAR + 0.09, rel=1e-12)


def _grid_error(step, N, s_max=5.0, s_min=0.05):
    x0 = torch.linspace(-3, 3, 8, dtype=F64).reshape(2, 4)
    sigmas = torch.linspace(s_max, s_min, N + 1, dtype=F64)
    x = x0
    for s, s_next in zip(sigmas[:-1].tolist(), sigmas[1:].tolist()):
        x = step(x, s, s_next, _denoiser)
    return float((x - sde.gaussian_flow(x0, s_max, s_min, MU, VAR)).abs().max())


def test_heun_is_second_order_and_euler_first_order():
    """On Gaussian data the ODE's solution is known (gaussian_flow): halving the step divides Euler's global error by
    ~2 and Heun's by ~4 (Karras et al. 2022, §3: local errors O(h^2) and O(h^3))."""
    euler = [_grid_error(sde.karras_euler_step, N) for N in (32, 64, 128)]
    heun = [_grid_error(sde.karras_heun_step, N) for N in (32, 64, 128)]
    assert all(1.8 < a / b < 2.2 for a, b in zip(euler, euler[1:])), euler
    assert all(3.6 < a / b < 4.4 for a, b in zip(heun, heun[1:])), heun
    assert heun[-1] < euler[-1] / 20


def test_heun_skips_the_correction_at_sigma_zero():
    """Algorithm 1, line 6: stepping to sigma = 0, Heun is Euler, which lands on D(x; sigma); the denoiser is never
    called at sigma = 0. In a batch with per-sample levels, only the rows with sigma_next = 0 skip it."""
    def strict(x, sigma):
        assert float(torch.as_tensor(sigma).min()) > 0, "the denoiser was called at sigma = 0"
        return _denoiser(x, sigma)

    x = torch.linspace(-2, 2, 6, dtype=F64).reshape(3, 2)
    heun = sde.karras_heun_step(x, 0.3, 0.0, strict)
    torch.testing.assert_close(heun, sde.karras_euler_step(x, 0.3, 0.0, strict), rtol=0, atol=0)
    torch.testing.assert_close(heun, _denoiser(x, 0.3), rtol=1e-14, atol=1e-14)
    mixed = sde.karras_heun_step(x, torch.full((3,), 0.3, dtype=F64), torch.tensor([0.1, 0.0, 0.2], dtype=F64),
                                 lambda z, s: _denoiser(z, torch.as_tensor(s)))
    torch.testing.assert_close(mixed[1], heun[1])
    for b, s_next in ((0, 0.1), (2, 0.2)):
        torch.testing.assert_close(mixed[b:b + 1], sde.karras_heun_step(x[b:b + 1], 0.3, s_next, _denoiser))
        assert not torch.allclose(mixed[b:b + 1], sde.karras_euler_step(x[b:b + 1], 0.3, s_next, _denoiser))


def test_karras_sample_on_the_edm_grid_reaches_the_exact_solution():
    """Heun on Karras's grid (N = 64, to sigma = 0) from sigma_max = 80 ends within 1e-2 of the exact flow, ten times
    closer than Euler (errors measured: 4.6e-3 and 5.6e-2); shapes (B, C, H, W) and float32 pass through."""
    g = _gen(4)
    x = 80.0 * torch.randn(2, 3, 2, 2, generator=g, dtype=F64)
    sigmas = sde.karras_sigmas(64, 0.002, 80.0, 7.0)
    want = sde.gaussian_flow(x, 80.0, 0.0, MU, VAR)
    heun = sde.karras_sample(x, sigmas, _denoiser)
    euler = sde.karras_sample(x, sigmas, _denoiser, method="euler")
    err_heun, err_euler = float((heun - want).abs().max()), float((euler - want).abs().max())
    assert err_heun < 1e-2 and err_euler > 10 * err_heun
    assert sde.karras_sample(x.float(), sigmas, _denoiser).dtype == torch.float32
    with pytest.raises(ValueError):
        sde.karras_sample(x, sigmas, _denoiser, method="rk4")


def test_probability_flow_ode_preserves_a_mixtures_moments():
    """Non-Gaussian data: a two-component mixture's exact VE denoiser (course_core.gmm), 8 000 draws of
    p(x; sigma_max = 20), Heun on Karras's grid to sigma = 0: the samples have the mixture's mean and variance."""
    weights = torch.tensor([0.3, 0.7], dtype=F64)
    means = torch.tensor([[-2.0], [1.0]], dtype=F64)
    covs = torch.tensor([[[0.1]], [[0.2]]], dtype=F64)
    mix = gmm.GaussianMixture(weights, means, covs)
    g = _gen(5)
    x = mix.sample(8000, generator=g) + 20.0 * torch.randn(8000, 1, generator=g, dtype=F64)
    out = sde.karras_sample(x, sde.karras_sigmas(48, 0.002, 20.0), lambda z, s: mix.denoise_ve(z, s))
    mean = float((weights * means[:, 0]).sum())
    var = float((weights * (covs[:, 0, 0] + means[:, 0] ** 2)).sum()) - mean**2
    assert abs(float(out.mean()) - mean) < 0.05 and abs(float(out.var()) / var - 1) < 0.05


def test_ddim_is_the_euler_step_of_the_probability_flow_ode():
    """Song, Meng & Ermon 2021, §4.3, Eq. (13)-(14) / Karras et al. 2022, §3: with xbar = x / sqrt(alpha_bar) and
    sigma = sqrt((1 - alpha_bar) / alpha_bar), DDIM (eta = 0) is one Euler step of dxbar/dsigma = eps, i.e.
    karras_euler_step with the denoiser D(xbar; sigma) = xbar - sigma eps."""
    alpha_bar = schedules.alpha_bar_from_beta(schedules.linear_beta_schedule(100))
    g = _gen(6)
    x = torch.randn(4, 3, generator=g, dtype=F64)
    eps = torch.randn(4, 3, generator=g, dtype=F64)
    for t, t_prev in ((99, 79), (40, 39), (10, -1)):
        ab, ab_prev = float(alpha_bar[t]), (float(alpha_bar[t_prev]) if t_prev >= 0 else 1.0)
        t_, t_prev_ = torch.full((4,), t), torch.full((4,), t_prev)
        want = ddim.ddim_step(x, t_, t_prev_, eps, alpha_bar, 0.0, torch.zeros_like(x))
        s, s_prev = math.sqrt((1 - ab) / ab), math.sqrt((1 - ab_prev) / ab_prev)
        xbar = sde.karras_euler_step(x / math.sqrt(ab), s, s_prev, lambda z, sig: z - sig * eps)
        torch.testing.assert_close(math.sqrt(ab_prev) * xbar, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("t,t_prev", [(99, 79), (40, 39), (10, -1), (0, -1)])
def test_ddim_euler_step_is_hw3s_ddim_step_at_eta_zero(t, t_prev):
    """The Euler step in (xbar, sigma) coordinates (ddim_euler_step) is DDIM's Eq. (12) with eta = 0 (hw3's ddim_step,
    an independent formula), for strided, contiguous and final steps, on points and images; float32 data stays
    float32 within float32 rounding."""
    alpha_bar = schedules.alpha_bar_from_beta(schedules.cosine_beta_schedule(100))
    g = _gen(16)
    for shape in ((4, 3), (2, 1, 2, 2)):
        x, eps = torch.randn(*shape, generator=g, dtype=F64), torch.randn(*shape, generator=g, dtype=F64)
        B = shape[0]
        t_, t_prev_ = torch.full((B,), t), torch.full((B,), t_prev)
        want = ddim.ddim_step(x, t_, t_prev_, eps, alpha_bar, 0.0, torch.zeros_like(x))
        ab_prev = alpha_bar[t_prev_] if t_prev >= 0 else torch.ones(B, dtype=F64)
        got = sde.ddim_euler_step(x, alpha_bar[t_], ab_prev, eps)  # per-sample (B,) levels
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)
        scalar = sde.ddim_euler_step(x, float(alpha_bar[t]), float(ab_prev[0]), eps)  # Python floats
        torch.testing.assert_close(scalar, want, rtol=1e-10, atol=1e-10)
        low = sde.ddim_euler_step(x.float(), alpha_bar[t_], ab_prev, eps.float())
        assert low.dtype == torch.float32
        # float32: 1 / sqrt(alpha_bar) up to ~1e2 for the cosine schedule's top step amplifies rounding
        torch.testing.assert_close(low.double(), want, rtol=1e-4, atol=1e-4)


def test_ddim_euler_step_is_exact_for_a_single_point():
    """For data that is one point x*, eps(x, t) = (x - sqrt(ab) x*) / sqrt(1 - ab) is constant along the ODE's paths in
    (xbar, sigma), so the Euler step is exact: from any level it lands on the same path, and at alpha_bar_prev = 1
    on x* itself."""
    x_star = torch.tensor([[0.4, -1.2]], dtype=F64).expand(3, 2)
    eps = torch.randn(3, 2, generator=_gen(17), dtype=F64)
    ab_t = torch.tensor([0.02, 0.5, 0.97], dtype=F64)
    x_t = ab_t.sqrt()[:, None] * x_star + (1 - ab_t).sqrt()[:, None] * eps
    for ab_prev in (torch.tensor([0.3, 0.8, 0.99], dtype=F64), torch.ones(3, dtype=F64)):
        want = ab_prev.sqrt()[:, None] * x_star + (1 - ab_prev).sqrt()[:, None] * eps
        torch.testing.assert_close(sde.ddim_euler_step(x_t, ab_t, ab_prev, eps), want, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# Likelihoods


def test_divergence_is_the_trace_of_the_jacobian():
    A = torch.tensor([[1.0, 2.0, 0.0], [0.5, -3.0, 1.0], [0.0, 4.0, 0.25]], dtype=F64)
    x = torch.randn(5, 3, generator=_gen(7), dtype=F64)
    torch.testing.assert_close(sde.divergence(lambda z: z @ A.T + 1.0, x), torch.full((5,), -1.75, dtype=F64))
    x4 = torch.randn(2, 2, 3, generator=_gen(8), dtype=F64)  # (B, C, D): the divergence sums over all 6 coordinates
    with torch.no_grad():
        div = sde.divergence(lambda z: torch.sin(z) * z.sum((1, 2), keepdim=True), x4)
    want = (torch.cos(x4) * x4.sum((1, 2), keepdim=True) + torch.sin(x4)).sum((1, 2))
    torch.testing.assert_close(div, want, rtol=1e-12, atol=1e-12)


def _ve_likelihood(N, x0, mu, s2, T):
    def drift(x, time):
        return sde.probability_flow_drift(torch.zeros_like(x), math.sqrt(2 * time),
                                          sde.gaussian_score(x, mu, s2 + time**2))
    def prior(x):
        d = x.shape[1]
        return gmm.gmm_log_prob(x, torch.ones(1, dtype=F64), torch.full((1, d), mu, dtype=F64),
                                (s2 + T**2) * torch.eye(d, dtype=F64)[None])

    return sde.ode_log_likelihood(x0, drift, torch.linspace(0, T, N + 1, dtype=F64), prior)


def test_ode_log_likelihood_is_the_exact_gaussian_likelihood():
    """Song et al. 2021, Appendix D.2 on Gaussian data with sigma(t) = t: log p_T(x(T)) + int div = log N(x0; mu, s2 I)
    exactly in the limit; Heun's error falls ~4x per halving; the encoding x(T) is the exact flow."""
    mu, s2, T = 0.3, 0.64, 3.0
    x0 = torch.tensor([[0.7, -0.2], [-1.2, 2.0]], dtype=F64)
    exact = gmm.gmm_log_prob(x0, torch.ones(1, dtype=F64), torch.full((1, 2), mu, dtype=F64),
                             s2 * torch.eye(2, dtype=F64)[None])
    errors = []
    for N in (20, 40, 80):
        log_p, x_T, delta = _ve_likelihood(N, x0, mu, s2, T)
        errors.append(float((log_p - exact).abs().max()))
    assert all(3.5 < a / b < 4.5 for a, b in zip(errors, errors[1:])) and errors[-1] < 3e-3, errors
    torch.testing.assert_close(delta, torch.full((2,), math.log((s2 + T**2) / s2), dtype=F64), rtol=1e-3, atol=0)
    torch.testing.assert_close(x_T, sde.gaussian_flow(x0, 0.0, T, mu, s2), rtol=1e-3, atol=0)


# ---------------------------------------------------------------------------------------------------------------
# Mutation tests: each test above fails on a realistic mistake


def _mutant(test, name, old, new, id, args=()):
    """``test`` run with ``course_core.sde.<name>`` replaced by its source with ``old`` replaced by ``new``."""
    return pytest.param(test, args, [(SDE, name, edited(getattr(sde, name), old, new))], id=id)


MUTANTS = [
    _mutant(test_probability_flow_drift_solves_the_continuity_equation, "probability_flow_drift", "0.5 * g**2",
            "g**2", "pf-no-half"),
    _mutant(test_reverse_drift_is_the_time_reversal, "reverse_sde_drift", "return f - g**2", "return f + g**2",
            "reverse-sign"),
    _mutant(test_euler_maruyama_reverse_sde_recovers_the_data, "reverse_sde_drift", "g**2 * score", "score",
            "reverse-no-g2"),
    _mutant(test_euler_maruyama_reverse_sde_recovers_the_data, "reverse_sde_drift", "g**2 * score",
            "0.5 * g**2 * score", "reverse-half-g2"),
    _mutant(test_one_euler_maruyama_step_has_the_gaussian_moments, "euler_maruyama_step", "torch.sqrt(dt.abs())",
            "dt.abs()", "em-noise-dt"),
    _mutant(test_euler_maruyama_forward_vp_matches_the_kernel, "vp_sde", "-0.5 * beta * x", "-beta * x",
            "vp-drift-no-half"),
    _mutant(test_vp_marginal_is_the_limit_of_ddpm_alpha_bar, "vp_marginal", "torch.exp(-0.5 * integral)",
            "torch.exp(-integral)", "vp-mean-no-half"),
    _mutant(test_sde_coefficients_give_the_kernels_moments, "ve_marginal_std", "torch.sqrt(sigma_t**2 - sigma_s**2)",
            "torch.sqrt((sigma_t - sigma_s)**2)", "ve-std-subtracted", args=("ve",)),
    _mutant(test_karras_sigmas_endpoints_monotonicity_and_formula, "karras_sigmas",
            "torch.linspace(0, 1, N, dtype=torch.float64)", "torch.arange(N, dtype=torch.float64) / N",
            "karras-i-over-N"),
    _mutant(test_heun_is_second_order_and_euler_first_order, "karras_heun_step", "0.5 * (d + d_next)", "d_next",
            "heun-uses-only-the-end-slope"),
    _mutant(test_heun_skips_the_correction_at_sigma_zero, "karras_heun_step", "if not bool(nonzero.any()):",
            "if False:", "heun-corrects-at-zero"),
    _mutant(test_ddim_is_the_euler_step_of_the_probability_flow_ode, "karras_euler_step",
            "_per_sample(sigma_next, x) - _per_sample(sigma, x)", "_per_sample(sigma, x) - _per_sample(sigma_next, x)",
            "euler-step-sign"),
    _mutant(test_ddim_euler_step_is_hw3s_ddim_step_at_eta_zero, "ddim_euler_step",
            "torch.sqrt((1 - ab_prev) / ab_prev)", "torch.sqrt(1 - ab_prev)", "ddim-euler-vp-sigma", args=(99, 79)),
    _mutant(test_ddim_euler_step_is_exact_for_a_single_point, "ddim_euler_step",
            "return torch.sqrt(ab_prev) * (", "return (", "ddim-euler-no-rescale"),
    _mutant(test_ode_log_likelihood_is_the_exact_gaussian_likelihood, "ode_log_likelihood",
            "prior_log_prob(x) + delta", "prior_log_prob(x) - delta", "likelihood-sign"),
]


@pytest.mark.parametrize("check,args,broken", MUTANTS)
def test_repaired_tests_catch_mutant(check, args, broken):
    catches(check, *args, broken=broken)
