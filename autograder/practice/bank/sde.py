"""Chapter 8, the SDE/ODE interpretation: forward SDEs (VP, VE) and their perturbation kernels, the reverse-time SDE,
the probability-flow ODE, Euler–Maruyama, Karras et al.'s Euler and Heun steps and noise levels, DDIM as an Euler
step, and likelihoods through the ODE (Song et al. 2021, arXiv:2011.13456; Karras et al. 2022, arXiv:2206.00364).
Answers come from `course_core.sde` (and `course_core.ddim`, `course_core.gmm`); worked solutions recompute them by
hand, in plain floating point."""

from __future__ import annotations

import math

import torch

from course_core import ddim, gmm, sde

from ..answers import NearMiss, Numeric, Symbolic, Var, format_number as f
from ..question import Draft, Part, agrees, apart, nice, question, shuffled_choice, true_false

F64 = torch.float64

VP_SDE = r"$\mathrm{d}x = -\frac{1}{2}\beta(t)\,x\,\mathrm{d}t + \sqrt{\beta(t)}\,\mathrm{d}w$"
LINEAR_BETA = r"$\beta(t) = \beta_{\min} + t(\beta_{\max} - \beta_{\min})$"
VE_SDE = r"$\mathrm{d}x = \sqrt{\frac{\mathrm{d}[\sigma^2(t)]}{\mathrm{d}t}}\,\mathrm{d}w$"


def _col(*values) -> torch.Tensor:
    """A float64 batch ``(B, 1)`` of scalars."""
    return torch.tensor([[float(v)] for v in values], dtype=F64)


def _val(tensor) -> float:
    return float(torch.as_tensor(tensor).flatten()[0])


def _p(value: float, digits: int = 6) -> str:
    """`value` formatted, in parentheses when negative (so `a \\cdot (-b)` reads right)."""
    text = f(value, digits)
    return f"({text})" if value < 0 else text


def _misses(answer: float, candidates) -> tuple[NearMiss, ...]:
    """The `(value, message)` candidates that are finite and far (2 %) from the answer and from each other, in
    order: a checker then names each one, and never rejects one by a hair."""
    kept: list[NearMiss] = []
    for value, message in candidates:
        others = [float(k.answer) for k in kept]
        if (math.isfinite(value) and apart(answer, [value]) and apart(value, [answer] + others)
                and all(apart(o, [value]) for o in others)):
            kept.append(NearMiss(value, message))
    return tuple(kept)


# ---------------------------------------------------------------------------------------------------------------
# Numeric


@question("sde", kind="numeric", difficulty=1, title="VP SDE: the perturbation kernel at time t")
def vp_kernel_value(rng):
    which = rng.choice(["mean", "variance", "std"])
    while True:
        b0, b1, t = nice(rng, 0.05, 0.5, 2), float(rng.choice([5, 8, 10, 12, 15, 20])), nice(rng, 0.1, 0.9, 2)
        mean_coef, std = sde.vp_marginal(t, b0, b1)
        integral = b0 * t + 0.5 * (b1 - b0) * t * t
        beta_t = b0 + t * (b1 - b0)
        if which == "mean":
            answer, worked = _val(mean_coef), math.exp(-integral / 2)
            asked = "the mean coefficient $m(t)$"
            formula = r"m(t) = \exp\left(-\frac{1}{2}\int_0^t \beta(s)\,\mathrm{d}s\right)"
            candidates = [
                (math.exp(-integral), "that is $\\exp(-\\int_0^t \\beta)$, the signal's *variance* factor (DDPM's "
                                      "$\\bar\\alpha$); the mean coefficient is its square root, "
                                      "$\\exp(-\\frac{1}{2}\\int_0^t \\beta)$."),
                (math.exp(-beta_t * t / 2), "$\\beta(t)\\,t$ is not $\\int_0^t \\beta(s)\\,\\mathrm{d}s$: $\\beta$ "
                                            "grows linearly, so the integral is $\\beta_{\\min} t + \\frac{1}{2}"
                                            "(\\beta_{\\max} - \\beta_{\\min}) t^2$."),
                (math.sqrt(1 - math.exp(-integral)), "that is the standard deviation of the kernel, not its mean "
                                                     "coefficient."),
            ]
        elif which == "variance":
            answer, worked = _val(std) ** 2, 1 - math.exp(-integral)
            asked, formula = "the variance $v(t)$", r"v(t) = 1 - \exp\left(-\int_0^t \beta(s)\,\mathrm{d}s\right)"
            candidates = [
                (1 - math.exp(-integral / 2), "the variance is $1 - m(t)^2 = 1 - \\exp(-\\int_0^t \\beta)$; "
                                              "$1 - m(t)$ forgets the square."),
                (math.sqrt(1 - math.exp(-integral)), "that is the standard deviation; the question asks for the "
                                                     "variance."),
                (1 - math.exp(-beta_t * t), "$\\beta(t)\\,t$ is not $\\int_0^t \\beta(s)\\,\\mathrm{d}s$: integrate "
                                            "the linear $\\beta$."),
                (math.exp(-integral), "that is the signal's variance factor $m(t)^2$; the noise variance is "
                                      "$1 - m(t)^2$."),
            ]
        else:
            answer, worked = _val(std), math.sqrt(1 - math.exp(-integral))
            asked, formula = ("the standard deviation $\\sqrt{v(t)}$",
                              r"\sqrt{v(t)} = \sqrt{1 - \exp\left(-\int_0^t \beta(s)\,\mathrm{d}s\right)}")
            candidates = [
                (1 - math.exp(-integral), "that is the variance $v(t)$; the standard deviation is its square root."),
                (math.sqrt(1 - math.exp(-integral / 2)), "the variance is $1 - m(t)^2 = 1 - \\exp(-\\int_0^t "
                                                         "\\beta)$, not $1 - m(t)$."),
                (math.sqrt(1 - math.exp(-beta_t * t)), "$\\beta(t)\\,t$ is not $\\int_0^t \\beta(s)\\,\\mathrm{d}s$: "
                                                       "integrate the linear $\\beta$."),
                (math.exp(-integral / 2), "that is the mean coefficient $m(t)$, not the standard deviation."),
            ]
        misses = _misses(answer, candidates)
        if len(misses) >= 3:
            break
    return Draft(
        prompt=f"Data are perturbed by the VP SDE {VP_SDE} with {LINEAR_BETA}, $\\beta_{{\\min}} = {b0}$ and "
               f"$\\beta_{{\\max}} = {b1:g}$. Its perturbation kernel is $p_{{0t}}(x(t) \\mid x(0)) = \\mathcal N(m(t)\\,"
               f"x(0), v(t) I)$. Compute {asked} at $t = {t}$.",
        parts=[Part(ask=f"{asked} =", answer=Numeric(answer, rtol=1e-3, near_misses=misses), worked=repr(worked))],
        solution=f"Song et al. 2021, Appendix B: the kernel of the VP SDE is $\\mathcal N(m(t)\\,x(0), v(t) I)$ with "
                 f"$m(t) = \\exp(-\\frac{{1}}{{2}}\\int_0^t\\beta)$ and $v(t) = 1 - \\exp(-\\int_0^t\\beta)$ (the mean "
                 f"solves $m' = -\\frac{{1}}{{2}}\\beta m$, the "
                 f"variance $v' = \\beta (1 - v)$). Here $\\int_0^t \\beta(s)\\,\\mathrm{{d}}s = \\beta_{{\\min}} t + "
                 f"\\frac{{1}}{{2}}(\\beta_{{\\max}} - \\beta_{{\\min}}) t^2 = {b0} \\cdot {t} + \\frac{{1}}{{2}} \\cdot "
                 f"{f(b1 - b0, 6)} \\cdot {t}^2 = {f(integral, 6)}$, so ${formula} = {f(worked, 6)}$.")


@question("sde", kind="numeric", difficulty=1, title="VE SDE: the variance added between two times")
def ve_kernel_value(rng):
    which = rng.choice(["variance", "std"])
    while True:
        smin, smax = rng.choice([0.01, 0.02, 0.05, 0.1]), float(rng.choice([10, 20, 50, 80, 100]))
        s = nice(rng, 0.2, 0.75, 2)
        t = round(s + nice(rng, 0.05, 0.2, 2), 2)
        sig_s, sig_t = _val(sde.ve_sigma(s, smin, smax)), _val(sde.ve_sigma(t, smin, smax))
        std = _val(sde.ve_marginal_std(sig_t, sig_s))
        ws, wt = smin * (smax / smin) ** s, smin * (smax / smin) ** t
        from_zero = math.sqrt(wt**2 - smin**2)
        if which == "variance":
            answer, worked = std**2, wt**2 - ws**2
            asked, formula = "variance", "\\sigma(t)^2 - \\sigma(s)^2"
            candidates = [
                (wt - ws, "$\\sigma(t)$ is a standard deviation, not a variance: the variance added is "
                          "$\\sigma(t)^2 - \\sigma(s)^2$."),
                ((wt - ws) ** 2, "independent increments add their *variances*: $\\sigma(t)^2 - \\sigma(s)^2$, not "
                                 "$(\\sigma(t) - \\sigma(s))^2$."),
                (wt**2, "that is the whole variance $\\sigma(t)^2$; given $x(s)$, the noise $\\sigma(s)^2$ already in it "
                        "is known and only $\\sigma(t)^2 - \\sigma(s)^2$ is added."),
                (from_zero**2, "that is the variance accumulated since $t = 0$ ($\\sigma(0) = \\sigma_{\\min}$), not "
                               "since $s$."),
            ]
        else:
            answer, worked = std, math.sqrt(wt**2 - ws**2)
            asked, formula = "standard deviation", "\\sqrt{\\sigma(t)^2 - \\sigma(s)^2}"
            candidates = [
                (wt - ws, "standard deviations do not subtract: the variances do, so the answer is "
                          "$\\sqrt{\\sigma(t)^2 - \\sigma(s)^2}$."),
                (wt**2 - ws**2, "that is the variance; the question asks for the standard deviation."),
                (wt, "that is $\\sigma(t)$; given $x(s)$, only the variance $\\sigma(t)^2 - \\sigma(s)^2$ is added."),
                (from_zero, "that is the standard deviation accumulated since $t = 0$, not since $s$."),
            ]
        misses = _misses(answer, candidates)
        if len(misses) >= 3 and 1e-4 <= answer <= 1e6:
            break
    return Draft(
        prompt=f"The VE SDE {VE_SDE} uses the geometric noise level $\\sigma(t) = \\sigma_{{\\min}} (\\sigma_{{\\max}} / "
               f"\\sigma_{{\\min}})^t$ with $\\sigma_{{\\min}} = {smin}$, $\\sigma_{{\\max}} = {smax:g}$. Given $x(s)$ at "
               f"$s = {s}$, what is the {asked} of $x(t)$ at $t = {t}$?",
        parts=[Part(ask=f"{asked} of $x(t) \\mid x(s)$ =", answer=Numeric(answer, rtol=1e-3, near_misses=misses),
                    worked=repr(worked))],
        solution=f"The VE SDE has no drift, so $x(t) - x(s) = \\int_s^t g\\,\\mathrm{{d}}w$ is Gaussian, independent of "
                 f"$x(s)$, with variance $\\int_s^t g^2 = \\sigma(t)^2 - \\sigma(s)^2$ (Song et al. 2021, Eq. (9); "
                 f"the kernel of Appendix B is the case $s = 0$). $\\sigma(s) = {smin} \\cdot {f(smax / smin, 6)}^{{{s}}} = {f(ws, 6)}$ "
                 f"and $\\sigma(t) = {f(wt, 6)}$, so the {asked} is ${formula} = {f(worked, 6)}$.")


_VE_SCHEDULES = ("karras", "heat", "geometric")


@question("sde", kind="numeric", difficulty=2, title="Reverse-SDE and probability-flow drifts for Gaussian data (VE)")
def ve_gaussian_drift(rng):
    schedule, which = rng.choice(_VE_SCHEDULES), rng.choice(["ode", "sde"])
    while True:
        mu, s, x = nice(rng, -1, 1, 2) + 0.0, nice(rng, 0.2, 1.5, 2), nice(rng, -3, 3, 2)
        smin = smax = None
        if schedule == "karras":
            t = nice(rng, 0.2, 3, 2)
            sigma, g2 = t, 2 * t
            law, rate = "$\\sigma(t) = t$ (Karras et al.)", f"$g(t)^2 = 2t = {f(g2, 6)}$"
            g = torch.tensor(math.sqrt(2 * t), dtype=F64)
        elif schedule == "heat":
            t = nice(rng, 0.2, 4, 2)
            sigma, g2 = math.sqrt(t), 1.0
            law, rate = "$\\sigma(t) = \\sqrt{t}$ (constant-speed heat diffusion)", "$g(t)^2 = 1$"
            g = torch.tensor(1.0, dtype=F64)
        else:
            t, smin, smax = nice(rng, 0.1, 0.9, 2), rng.choice([0.01, 0.02, 0.05]), float(rng.choice([5, 10, 20]))
            sigma = smin * (smax / smin) ** t
            g2 = 2 * sigma**2 * math.log(smax / smin)
            law = (f"the geometric $\\sigma(t) = \\sigma_{{\\min}}(\\sigma_{{\\max}}/\\sigma_{{\\min}})^t$, "
                   f"$\\sigma_{{\\min}} = {smin}$, $\\sigma_{{\\max}} = {smax:g}$")
            rate = (f"$\\sigma(t) = {f(sigma, 6)}$ and $g(t)^2 = 2\\sigma(t)^2 \\log(\\sigma_{{\\max}}/\\sigma_{{\\min}}) "
                    f"= {f(g2, 6)}$")
        xs = _col(x)
        if schedule == "geometric":
            fx, g = sde.ve_sde(xs, t, smin, smax)
            sig_cc = _val(sde.ve_sigma(t, smin, smax))
        else:
            fx, sig_cc = torch.zeros_like(xs), sigma
        score = sde.gaussian_score(xs, mu, s**2 + sig_cc**2)
        if which == "ode":
            answer = _val(sde.probability_flow_drift(fx, g, score))
        else:
            answer = _val(sde.reverse_sde_drift(fx, g, score))
        k = 0.5 if which == "ode" else 1.0
        var_t = s**2 + sigma**2
        worked = k * g2 * (x - mu) / var_t
        other = (2 if which == "ode" else 0.5) * worked
        candidates = [
            (other, "that is the reverse SDE's drift $f - g^2\\nabla\\log p_t$; the probability-flow ODE takes half "
                    "of the score term, $f - \\frac{1}{2}g^2\\nabla\\log p_t$." if which == "ode" else
                    "that is the probability-flow ODE's drift $f - \\frac{1}{2}g^2\\nabla\\log p_t$; the reverse SDE "
                    "has the full $g^2$."),
            (k * math.sqrt(g2) * (x - mu) / var_t, "the score is multiplied by $g(t)^2$, not $g(t)$."),
            (k * g2 * (x - mu) / (s**2 + sigma), "$\\sigma(t)$ is the noise's standard deviation: $p_t = \\mathcal N"
                                                 "(\\mu, s^2 + \\sigma(t)^2)$, not $s^2 + \\sigma(t)$."),
            (k * g2 * (x - mu) / sigma**2, "that uses the kernel $\\mathcal N(x(0), \\sigma(t)^2)$; the drift needs the "
                                           "score of the marginal $p_t = \\mathcal N(\\mu, s^2 + \\sigma(t)^2)$."),
        ]
        misses = _misses(answer, candidates)
        if len(misses) >= 3 and abs(x - mu) > 0.3 and 1e-3 <= abs(answer) <= 1e4:
            break
    name = ("probability-flow ODE $\\frac{\\mathrm{d}x}{\\mathrm{d}t} = f - \\frac{1}{2}g^2\\nabla_x \\log p_t(x)$"
            if which == "ode" else "reverse-time SDE's drift $f - g^2\\nabla_x \\log p_t(x)$")
    asked = "the probability-flow velocity" if which == "ode" else "the reverse-SDE drift"
    return Draft(
        prompt=f"One-dimensional data $x(0) \\sim \\mathcal N(\\mu, s^2)$ with $\\mu = {mu}$, $s = {s}$ are perturbed by "
               f"the VE SDE {VE_SDE} with {law}, so that $x(t) = x(0) + \\sigma(t) z$, $z \\sim \\mathcal N(0, 1)$"
               + (" (this neglects the small $\\sigma(0) = \\sigma_{\\min}$, as Song et al. do in Appendix C)"
                  if schedule == "geometric" else "") + f". Compute {asked}, the {name}, at $x = {x}$ and "
               f"$t = {t}$.",
        parts=[Part(ask=f"{asked} =", answer=Numeric(answer, rtol=1e-3, near_misses=misses), worked=repr(worked))],
        solution=f"The VE SDE has $f = 0$ and $g(t)^2 = \\frac{{\\mathrm{{d}}[\\sigma^2(t)]}}{{\\mathrm{{d}}t}}$ "
                 f"(Song et al. 2021, Eq. (9)): {rate}. The marginal is $p_t = \\mathcal N(\\mu, s^2 + \\sigma(t)^2) = "
                 f"\\mathcal N({mu}, {f(var_t, 6)})$, whose score is $-(x - \\mu)/(s^2 + \\sigma(t)^2) = "
                 f"{f(-(x - mu) / var_t, 6)}$. "
                 + ("Eq. (13): the velocity is $0 - \\frac{1}{2}g^2 \\nabla\\log p_t = " if which == "ode" else
                    "Eq. (6): the drift is $0 - g^2 \\nabla\\log p_t = ")
                 + f"-{f(k, 2)} \\cdot {f(g2, 6)} \\cdot {_p(-(x - mu) / var_t)} = {f(worked, 6)}$.")


@question("sde", kind="numeric", difficulty=1, title="Karras et al.'s noise levels σ_i")
def karras_sigma_value(rng):
    while True:
        N, rho = rng.randint(8, 40), float(rng.choice([3, 5, 7, 7, 7, 9]))
        smin, smax = rng.choice([0.002, 0.01, 0.02, 0.05]), float(rng.choice([10, 20, 50, 80]))
        i = rng.randint(1, N - 2)
        sigmas = sde.karras_sigmas(N, smin, smax, rho)
        answer = float(sigmas[i])
        hi, lo = smax ** (1 / rho), smin ** (1 / rho)
        root = hi + i / (N - 1) * (lo - hi)
        worked = root**rho
        candidates = [
            ((hi + i / N * (lo - hi)) ** rho, "the ramp is $i/(N-1)$, so that $\\sigma_{N-1} = \\sigma_{\\min}$; "
                                              "with $i/N$ the last level would miss $\\sigma_{\\min}$."),
            (smax + i / (N - 1) * (smin - smax), "that is linear spacing in $\\sigma$ ($\\rho = 1$); Karras's levels "
                                                 "are linear in $\\sigma^{1/\\rho}$, then raised to the power $\\rho$."),
            (root, "that is $\\sigma_i^{1/\\rho}$, the interpolated root: raise it to the power $\\rho$."),
            ((hi + (N - 1 - i) / (N - 1) * (lo - hi)) ** rho, "the levels run from $\\sigma_0 = \\sigma_{\\max}$ "
                                                              "down to $\\sigma_{N-1} = \\sigma_{\\min}$: that is "
                                                              "$\\sigma_{N-1-i}$."),
        ]
        misses = _misses(answer, candidates)
        if len(misses) >= 3 and answer >= 1e-3:
            break
    return Draft(
        prompt=f"Karras et al. sample with the noise levels $\\sigma_i = \\left(\\sigma_{{\\max}}^{{1/\\rho}} + \\frac{{i}}"
               f"{{N-1}}\\left(\\sigma_{{\\min}}^{{1/\\rho}} - \\sigma_{{\\max}}^{{1/\\rho}}\\right)\\right)^{{\\rho}}$ for "
               f"$i = 0, \\dots, N-1$, and $\\sigma_N = 0$. With $N = {N}$, $\\rho = {rho:g}$, $\\sigma_{{\\min}} = "
               f"{smin}$ and $\\sigma_{{\\max}} = {smax:g}$, compute $\\sigma_{{{i}}}$.",
        parts=[Part(ask=f"$\\sigma_{{{i}}}$ =", answer=Numeric(answer, rtol=1e-3, near_misses=misses),
                    worked=repr(worked))],
        solution=f"Karras et al. 2022, Eq. (5): interpolate linearly between $\\sigma_{{\\max}}^{{1/\\rho}} = "
                 f"{f(hi, 6)}$ and $\\sigma_{{\\min}}^{{1/\\rho}} = {f(lo, 6)}$ at $i/(N-1) = {i}/{N - 1}$: "
                 f"$\\sigma_{{{i}}}^{{1/\\rho}} = {f(root, 6)}$, so $\\sigma_{{{i}}} = {f(root, 6)}^{{{rho:g}}} = "
                 f"{f(worked, 6)}$. A large $\\rho$ concentrates the steps near $\\sigma_{{\\min}}$, where the "
                 f"trajectories curve.")


@question("sde", kind="numeric", difficulty=2, title="One Euler–Maruyama step of the reverse VP SDE")
def reverse_em_step(rng):
    while True:
        b1 = float(rng.choice([10, 15, 20]))
        b0, t = 0.1, nice(rng, 0.2, 0.9, 2)
        x, score, z = nice(rng, -2, 2, 2), nice(rng, -3, 3, 2), nice(rng, -2, 2, 2)
        dt = rng.choice([0.005, 0.01, 0.02, 0.04])
        xs = _col(x)
        fx, g = sde.vp_sde(xs, t, b0, b1)
        drift = sde.reverse_sde_drift(fx, g, _col(score))
        answer = _val(sde.euler_maruyama_step(xs, drift, g, -dt, _col(z)))
        beta = b0 + t * (b1 - b0)
        d = -0.5 * beta * x - beta * score
        noise = math.sqrt(beta * dt) * z
        worked = x - d * dt + noise
        candidates = [
            (x - d * dt + math.sqrt(beta) * dt * z, "the Brownian increment over $\\Delta t$ has standard deviation "
                                                    "$\\sqrt{\\Delta t}$: the noise term is $g\\sqrt{\\Delta t}\\,z$, "
                                                    "not $g\\,\\Delta t\\,z$."),
            (x + d * dt + noise, "the reverse SDE runs backwards in time: the step is $\\mathrm{d}t = -\\Delta t$, so "
                                 "the drift enters as $-[f - g^2 s_\\theta]\\Delta t$."),
            (x - (-0.5 * beta * x - 0.5 * beta * score) * dt + noise, "$f - \\frac{1}{2}g^2 s_\\theta$ is the "
                                                                      "probability-flow ODE's drift; the reverse SDE "
                                                                      "has $f - g^2 s_\\theta$."),
            (x - (-0.5 * beta * x - score) * dt + noise, "the score is multiplied by $g(t)^2 = \\beta(t)$ in the "
                                                         "reverse drift."),
        ]
        misses = _misses(answer, candidates)
        if len(misses) >= 3 and abs(z) > 0.2 and abs(score) > 0.2 and abs(answer) >= 1e-3:
            break
    return Draft(
        prompt=f"A sampler integrates the reverse-time SDE $\\mathrm{{d}}x = [f(x,t) - g(t)^2 s_\\theta(x,t)]\\,"
               f"\\mathrm{{d}}t + g(t)\\,\\mathrm{{d}}\\bar w$ of the VP SDE {VP_SDE}, {LINEAR_BETA} with "
               f"$\\beta_{{\\min}} = {b0}$, $\\beta_{{\\max}} = {b1:g}$, by Euler–Maruyama, from $t = {t}$ to "
               f"$t - \\Delta t$ with $\\Delta t = {dt}$. At $x = {x}$ the score model gives $s_\\theta(x, t) = {score}$, "
               f"and the standard normal draw is $z = {z}$. What is the new $x$?",
        parts=[Part(ask="$x$ at $t - \\Delta t$ =", answer=Numeric(answer, rtol=1e-3, near_misses=misses),
                    worked=repr(worked))],
        solution=f"$\\beta(t) = {b0} + {t} \\cdot {f(b1 - b0, 6)} = {f(beta, 6)}$, so $f = -\\frac{{1}}{{2}}\\beta x = "
                 f"{f(-0.5 * beta * x, 6)}$ and $g^2 = \\beta$. The reverse drift (Song et al. 2021, Eq. (6)) is "
                 f"$f - g^2 s_\\theta = {f(-0.5 * beta * x, 6)} - {f(beta, 6)} \\cdot ({score}) = {f(d, 6)}$. Stepping "
                 f"back by $\\Delta t$: $x \\leftarrow x - [f - g^2 s_\\theta]\\Delta t + g\\sqrt{{\\Delta t}}\\,z = "
                 f"{x} - ({f(d, 6)})({dt}) + \\sqrt{{{f(beta * dt, 6)}}} \\cdot ({z}) = {f(worked, 6)}$.")


# ---------------------------------------------------------------------------------------------------------------
# Symbolic

VP_VARS = (Var("beta", r"\beta(t)", 0.1, 20.0), Var("x", "x", -2.0, 2.0), Var("score", "s", -3.0, 3.0))
VE_VARS = (Var("sigma", r"\sigma(t)", 0.1, 5.0), Var("sigma_dot", r"\dot\sigma(t)", 0.1, 5.0),
           Var("score", "s", -3.0, 3.0))
EPS_VARS = (Var("beta", r"\beta(t)", 0.1, 20.0), Var("x", "x", -2.0, 2.0), Var("eps", r"\epsilon_\theta", -2.0, 2.0),
            Var("std", r"\bar\sigma(t)", 0.1, 1.0))

# The LaTeX of each answer, as a solution writes it.
_DRIFT_LATEX = {
    ("vp", "sde"): r"-\frac{1}{2}\beta(t)\,x - \beta(t)\,s",
    ("vp", "ode"): r"-\frac{1}{2}\beta(t)\,x - \frac{1}{2}\beta(t)\,s",
    ("ve", "sde"): r"-2\sigma(t)\dot\sigma(t)\,s",
    ("ve", "ode"): r"-\sigma(t)\dot\sigma(t)\,s",
    ("eps", "sde"): r"-\frac{1}{2}\beta(t)\,x + \frac{\beta(t)\,\epsilon_\theta}{\bar\sigma(t)}",
    ("eps", "ode"): r"-\frac{1}{2}\beta(t)\,x + \frac{\beta(t)\,\epsilon_\theta}{2\bar\sigma(t)}",
}
# (setting, which) -> (answer, worked, near misses): the reverse-SDE drift or the probability-flow velocity.
_DRIFT_FORMS = {
    ("vp", "sde"): ("-beta*x/2 - beta*score", "-(beta/2)*(x + 2*score)", [
        ("-beta*x/2 + beta*score", "the score term enters with a minus sign: $f - g^2\\nabla\\log p_t$."),
        ("-beta*x/2 - beta*score/2", "$f - \\frac{1}{2}g^2\\nabla\\log p_t$ is the probability-flow ODE; the "
                                     "reverse SDE has the full $g^2$."),
        ("-beta*x/2 - score", "the score is multiplied by $g(t)^2 = \\beta(t)$."),
        ("-beta*x/2", "that is the forward drift $f$ alone; reversing time adds $-g^2\\nabla\\log p_t$."),
    ]),
    ("vp", "ode"): ("-beta*x/2 - beta*score/2", "-(beta/2)*(x + score)", [
        ("-beta*x/2 - beta*score", "$f - g^2\\nabla\\log p_t$ is the reverse SDE's drift; the ODE, which has no "
                                   "noise to balance, takes half: $f - \\frac{1}{2}g^2\\nabla\\log p_t$."),
        ("-beta*x/2 + beta*score/2", "the score term enters with a minus sign."),
        ("-beta*x/2 - score/2", "the score is multiplied by $\\frac{1}{2}g(t)^2 = \\frac{1}{2}\\beta(t)$."),
        ("-beta*x/2", "that is the forward drift $f$ alone; the ODE adds $-\\frac{1}{2}g^2\\nabla\\log p_t$."),
    ]),
    ("ve", "sde"): ("-2*sigma*sigma_dot*score", "-(2*sigma*sigma_dot)*score", [
        ("2*sigma*sigma_dot*score", "the score term enters with a minus sign: $f - g^2\\nabla\\log p_t$."),
        ("-sigma*sigma_dot*score", "$-\\frac{1}{2}g^2\\nabla\\log p_t$ is the probability-flow ODE; the reverse SDE "
                                   "has the full $g^2$."),
        ("-sigma**2*score", "$g(t)^2$ is the *rate* $\\frac{\\mathrm{d}[\\sigma^2]}{\\mathrm{d}t} = 2\\sigma\\dot\\sigma$, "
                            "not the variance $\\sigma^2$."),
        ("-sqrt(2*sigma*sigma_dot)*score", "the score is multiplied by $g(t)^2$, not $g(t)$."),
    ]),
    ("ve", "ode"): ("-sigma*sigma_dot*score", "-(1/2)*2*sigma*sigma_dot*score", [
        ("-2*sigma*sigma_dot*score", "that is the reverse SDE's drift; the ODE takes half of $g^2$."),
        ("sigma*sigma_dot*score", "the score term enters with a minus sign."),
        ("-sigma**2*score/2", "$g(t)^2$ is the *rate* $\\frac{\\mathrm{d}[\\sigma^2]}{\\mathrm{d}t} = 2\\sigma\\dot\\sigma$,"
                              " not the variance $\\sigma^2$."),
        ("-sqrt(2*sigma*sigma_dot)*score/2", "the score is multiplied by $\\frac{1}{2}g(t)^2$, not "
                                             "$\\frac{1}{2}g(t)$."),
    ]),
    ("eps", "sde"): ("-beta*x/2 + beta*eps/std", "-beta*x/2 - beta*(-eps/std)", [
        ("-beta*x/2 - beta*eps/std", "the score is $-\\epsilon_\\theta/\\bar\\sigma(t)$: with the minus of "
                                     "$f - g^2\\nabla\\log p_t$, the noise term enters with a plus sign."),
        ("-beta*x/2 + beta*eps/(2*std)", "that is the probability-flow ODE's drift (half of $g^2$)."),
        ("-beta*x/2 + beta*eps/std**2", "the score is $-\\epsilon_\\theta/\\bar\\sigma(t)$: divide by the standard "
                                        "deviation, not the variance."),
        ("-beta*x/2 + eps/std", "the score is multiplied by $g(t)^2 = \\beta(t)$."),
    ]),
    ("eps", "ode"): ("-beta*x/2 + beta*eps/(2*std)", "-(beta/2)*(x - eps/std)", [
        ("-beta*x/2 + beta*eps/std", "that is the reverse SDE's drift; the ODE takes half of $g^2$."),
        ("-beta*x/2 - beta*eps/(2*std)", "the score is $-\\epsilon_\\theta/\\bar\\sigma(t)$: with the minus of "
                                         "$f - \\frac{1}{2}g^2\\nabla\\log p_t$, the noise term enters with a plus."),
        ("-beta*x/2 + beta*eps/(2*std**2)", "the score is $-\\epsilon_\\theta/\\bar\\sigma(t)$: divide by the "
                                            "standard deviation, not the variance."),
        ("-beta*x/2 + eps/(2*std)", "the score is multiplied by $\\frac{1}{2}g(t)^2 = \\frac{1}{2}\\beta(t)$."),
    ]),
}


def _drift_reference(setting, which, answer):
    """The answer at one point against course_core (VP at time 0.3 with beta in [0.1, 20]; VE geometric at 0.4)."""
    fn = sde.reverse_sde_drift if which == "sde" else sde.probability_flow_drift
    xs, score = _col(0.5), _col(-0.8)
    if setting == "ve":
        smin, smax, time = 0.05, 20.0, 0.4
        fx, g = sde.ve_sde(xs, time, smin, smax)
        sigma = _val(sde.ve_sigma(time, smin, smax))
        agrees(answer.at(sigma=sigma, sigma_dot=sigma * math.log(smax / smin), score=-0.8), _val(fn(fx, g, score)))
        return
    fx, g = sde.vp_sde(xs, 0.3)
    beta = _val(sde.vp_beta(0.3))
    if setting == "vp":
        agrees(answer.at(beta=beta, x=0.5, score=-0.8), _val(fn(fx, g, score)))
    else:
        std = _val(sde.vp_marginal(0.3)[1])
        agrees(answer.at(beta=beta, x=0.5, eps=0.6, std=std), _val(fn(fx, g, _col(-0.6 / std))))


@question("sde", kind="symbolic", difficulty=2, title="The reverse-SDE drift and the probability-flow velocity")
def drift_formula(rng):
    setting, which = rng.choice(sorted(_DRIFT_FORMS))
    expr, worked, misses = _DRIFT_FORMS[(setting, which)]
    variables = {"vp": VP_VARS, "ve": VE_VARS, "eps": EPS_VARS}[setting]
    answer = Symbolic(expr, variables, tuple(NearMiss(e, m) for e, m in misses))
    _drift_reference(setting, which, answer)
    if setting == "ve":
        forward = (f"the VE SDE {VE_SDE} with a differentiable noise level $\\sigma(t)$ "
                   "($\\dot\\sigma$ its time derivative)")
        coefficients = "$f = 0$ and $g^2 = \\frac{\\mathrm{d}[\\sigma^2]}{\\mathrm{d}t} = 2\\sigma\\dot\\sigma$"
    else:
        forward = f"the VP SDE {VP_SDE}"
        coefficients = "$f = -\\frac{1}{2}\\beta(t)x$ and $g^2 = \\beta(t)$"
    score_note = ("" if setting != "eps" else " The score is given by a noise predictor, $\\nabla_x \\log p_t(x) = "
                  "-\\epsilon_\\theta(x, t)/\\bar\\sigma(t)$, with $\\bar\\sigma(t)$ the standard deviation of the "
                  "perturbation kernel $p_{0t}$.")
    target = ("the drift of the reverse-time SDE (the coefficient of $\\mathrm{d}t$; time runs backwards)"
              if which == "sde" else "the velocity $\\frac{\\mathrm{d}x}{\\mathrm{d}t}$ of the probability-flow ODE")
    general = ("f - g^2\\nabla_x \\log p_t(x)" if which == "sde" else "f - \\frac{1}{2}g^2\\nabla_x \\log p_t(x)")
    eq = "Eq. (6), Anderson 1982" if which == "sde" else "Eq. (13)"
    what = "the noise prediction" if setting == "eps" else "the score $s = \\nabla_x \\log p_t(x)$"
    return Draft(
        prompt=f"Data are perturbed by {forward}.{score_note} Write {target} in terms of {what}. "
               f"Variables: {answer.names()}.",
        parts=[Part(ask="drift =", answer=answer, worked=worked)],
        solution=f"Song et al. 2021, {eq}: the coefficient is ${general}$, with {coefficients}"
                 + (". Substituting $\\nabla_x \\log p_t = -\\epsilon_\\theta/\\bar\\sigma(t)$, the answer is"
                    if setting == "eps" else "; the answer is") + f" ${_DRIFT_LATEX[(setting, which)]}$.")


KERNEL_VARS = (Var("t", "t", 0.05, 1.0), Var("beta_min", r"\beta_{\min}", 0.05, 0.5),
               Var("beta_max", r"\beta_{\max}", 5.0, 20.0), Var("x_t", "x(t)", -2.0, 2.0),
               Var("x_0", "x(0)", -2.0, 2.0))
_I = "(beta_min*t + (beta_max - beta_min)*t**2/2)"
_BT = "(beta_min + t*(beta_max - beta_min))*t"  # beta(t) t: the integral replaced by the end value (which
# is also the integral with the 1/2 of its t^2 term dropped)

_B = r"\beta_{\min}\,t + \frac{1}{2}(\beta_{\max} - \beta_{\min})t^2"
_B_NEG = r"\beta_{\min}\,t - \frac{1}{2}(\beta_{\max} - \beta_{\min})t^2"  # -B is written -{_B_NEG}
_KERNEL_LATEX = {
    "mean": r"\exp\left(-\frac{1}{2}\beta_{\min}\,t - \frac{1}{4}(\beta_{\max} - \beta_{\min})t^2\right)",
    "variance": rf"1 - \exp\left(-{_B_NEG}\right)",
    "std": rf"\sqrt{{1 - \exp\left(-{_B_NEG}\right)}}",
    "score": rf"-\frac{{x(t) - e^{{-B/2}}x(0)}}{{1 - e^{{-B}}}}, \quad B = {_B}",
}
_KERNEL_FORMS = {
    "mean": ("the mean coefficient $m(t)$ (so that the kernel's mean is $m(t)\\,x(0)$)", f"exp(-{_I}/2)",
             "exp(-beta_min*t/2 - (beta_max - beta_min)*t^2/4)", [
                 (f"exp(-{_I})", "that is $m(t)^2$, the signal's variance factor (DDPM's $\\bar\\alpha$); the mean "
                                 "coefficient is $\\exp(-\\frac{1}{2}\\int_0^t\\beta)$."),
                 (f"exp(-{_BT}/2)", "$\\beta(t)\\,t$ is not $\\int_0^t\\beta(s)\\,\\mathrm{d}s$: integrate the linear "
                                    "$\\beta$."),
             ]),
    "variance": ("the variance $v(t)$", f"1 - exp(-{_I})", "1 - exp(-beta_min*t - (beta_max - beta_min)*t^2/2)", [
        (f"1 - exp(-{_I}/2)", "the variance is $1 - m(t)^2$, not $1 - m(t)$."),
        (f"exp(-{_I})", "that is the signal's variance factor $m(t)^2$; the noise variance is $1 - m(t)^2$."),
        (f"1 - exp(-{_BT})", "$\\beta(t)\\,t$ is not $\\int_0^t\\beta(s)\\,\\mathrm{d}s$: integrate the linear "
                             "$\\beta$."),
    ]),
    "std": ("the standard deviation $\\sqrt{v(t)}$", f"sqrt(1 - exp(-{_I}))",
            "sqrt(1 - exp(-beta_min*t - (beta_max - beta_min)*t^2/2))", [
                (f"sqrt(1 - exp(-{_I}/2))", "the variance is $1 - m(t)^2$, not $1 - m(t)$."),
                (f"sqrt(1 - exp(-{_BT}))", "$\\beta(t)\\,t$ is not $\\int_0^t\\beta(s)\\,\\mathrm{d}s$: integrate "
                                           "the linear $\\beta$."),
                (f"exp(-{_I}/2)", "that is the mean coefficient $m(t)$."),
            ]),
    "score": ("the score $\\nabla_{x(t)}\\log p_{0t}(x(t) \\mid x(0))$ of the kernel (the target of denoising score "
              "matching)", f"-(x_t - exp(-{_I}/2)*x_0)/(1 - exp(-{_I}))",
              "(exp(-beta_min*t/2 - (beta_max - beta_min)*t^2/4)*x_0 - x_t)/(1 - exp(-beta_min*t - "
              "(beta_max - beta_min)*t^2/2))", [
                  (f"-(x_t - exp(-{_I}/2)*x_0)/sqrt(1 - exp(-{_I}))", "divide by the variance $v(t)$, not the "
                                                                      "standard deviation."),
                  (f"-(x_t - x_0)/(1 - exp(-{_I}))", "the kernel's mean is $m(t)\\,x(0)$: the VP SDE shrinks the "
                                                     "signal (that would be a VE kernel)."),
                  (f"-(x_t - exp(-{_I})*x_0)/(1 - exp(-{_I}))", "the mean coefficient is $\\exp(-\\frac{1}{2}"
                                                                "\\int_0^t\\beta)$, not $\\exp(-\\int_0^t\\beta)$."),
              ]),
}


@question("sde", kind="symbolic", difficulty=2, title="The VP SDE's perturbation kernel in closed form")
def vp_kernel_formula(rng):
    which = rng.choice(sorted(_KERNEL_FORMS))
    asked, expr, worked, misses = _KERNEL_FORMS[which]
    names = ("t", "beta_min", "beta_max") + (("x_t", "x_0") if which == "score" else ())
    variables = tuple(v for v in KERNEL_VARS if v.name in names)
    answer = Symbolic(expr, variables, tuple(NearMiss(e, m) for e, m in misses))
    point = dict(t=0.6, beta_min=0.1, beta_max=20.0)
    mean_coef, std = sde.vp_marginal(0.6, 0.1, 20.0)
    if which == "score":
        reference = _val(sde.gaussian_score(_col(0.3), _val(mean_coef) * -1.2, _val(std) ** 2))
        point.update(x_t=0.3, x_0=-1.2)
    else:
        reference = {"mean": _val(mean_coef), "variance": _val(std) ** 2, "std": _val(std)}[which]
    agrees(answer.at(**point), reference)
    return Draft(
        prompt=f"The VP SDE {VP_SDE} with {LINEAR_BETA} has the Gaussian perturbation kernel $p_{{0t}}(x(t) \\mid x(0)) "
               f"= \\mathcal N(m(t)\\,x(0), v(t))$. Give {asked} as a function of $t$. Variables: {answer.names()}.",
        parts=[Part(ask="answer =", answer=answer, worked=worked)],
        solution="For an affine SDE the mean solves $m' = -\\frac{1}{2}\\beta m$ and the variance $v' = \\beta(1 - v)$ "
                 "(Song et al. 2021, Appendix B), so $m(t) = \\exp(-\\frac{1}{2}\\int_0^t\\beta)$ and $v(t) = 1 - "
                 "\\exp(-\\int_0^t\\beta)$ (Appendix B), with $\\int_0^t\\beta(s)\\,\\mathrm{d}s = \\beta_{\\min}\\,t + "
                 "\\frac{1}{2}(\\beta_{\\max} - \\beta_{\\min})t^2$ (Appendix C)"
                 + (", and the score of $\\mathcal N(m x(0), v)$ is $-(x(t) - m\\,x(0))/v$" if which == "score" else "")
                 + f". Answer: ${_KERNEL_LATEX[which]}$.")


# ---------------------------------------------------------------------------------------------------------------
# Derivations


@question("sde", kind="derivation", difficulty=3, title="The reverse-SDE drift for Gaussian data under the VP SDE")
def gaussian_reverse_drift(rng):
    while True:
        b0, b1, t = 0.1, float(rng.choice([8, 10, 12, 15, 20])), nice(rng, 0.05, 0.4, 2)
        mu, s, x = nice(rng, -1.5, 1.5, 2) + 0.0, nice(rng, 0.1, 0.8, 2), nice(rng, -2, 2, 2)
        m_cc, std_cc = sde.vp_marginal(t, b0, b1)
        mean_cc, var_cc = sde.gaussian_marginal(_val(m_cc), _val(std_cc), mu, s**2)
        xs = _col(x)
        score_t = sde.gaussian_score(xs, mean_cc, var_cc)
        fx, g = sde.vp_sde(xs, t, b0, b1)
        drift = _val(sde.reverse_sde_drift(fx, g, score_t))
        integral = b0 * t + 0.5 * (b1 - b0) * t * t
        a = math.exp(-integral / 2)
        v = a * a * s * s + 1 - a * a
        sc = -(x - a * mu) / v
        beta = b0 + t * (b1 - b0)
        d = -0.5 * beta * x - beta * sc
        m1 = _misses(var_cc, [(1 - a * a, "that is the kernel's variance only; the data's own variance adds "
                                          "$m^2 s^2$: $v_t = m^2 s^2 + 1 - m^2$."),
                              (a * s * s + 1 - a, "the signal is scaled by $m$, so its variance by $m^2$: "
                                                  "$v_t = m^2 s^2 + (1 - m^2)$."),
                              (s * s + 1 - a * a, "the data's variance shrinks with the signal: $m^2 s^2$, not $s^2$.")])
        m2 = _misses(_val(score_t), [(-(x - mu) / v, "the marginal's mean is $m\\mu$, not $\\mu$: the VP SDE shrinks "
                                                     "the mean too."),
                                     (-(x - a * mu) / (1 - a * a), "that is the kernel's variance; the score of "
                                                                   "$p_t$ divides by $v_t = m^2 s^2 + 1 - m^2$."),
                                     (-(x - a * mu) / math.sqrt(v), "divide by the variance $v_t$, not its square "
                                                                    "root.")])
        m3 = _misses(drift, [(-0.5 * beta * x + beta * sc, "the score term enters with a minus sign: "
                                                          "$f - g^2\\nabla\\log p_t$."),
                             (-0.5 * beta * x - 0.5 * beta * sc, "$f - \\frac{1}{2}g^2\\nabla\\log p_t$ is the "
                                                                 "probability-flow ODE; the reverse SDE has the full "
                                                                 "$g^2$."),
                             (-0.5 * beta * x - sc, "the score is multiplied by $g^2 = \\beta(t)$."),
                             (-0.5 * beta * x, "that is the forward drift alone; reversing time adds "
                                               "$-g^2\\nabla\\log p_t$.")])
        if (min(len(m1), len(m2), len(m3)) >= 2 and abs(x - a * mu) > 0.2 and 1e-3 <= abs(drift)
                and abs(_val(score_t)) >= 1e-3):
            break
    return Draft(
        prompt=f"One-dimensional data $x(0) \\sim \\mathcal N(\\mu, s^2)$ with $\\mu = {mu}$, $s = {s}$ are perturbed "
               f"by the VP SDE {VP_SDE}, {LINEAR_BETA} with $\\beta_{{\\min}} = {b0}$, $\\beta_{{\\max}} = {b1:g}$. "
               f"Then $p_t$ is Gaussian and its score is exact. Work at $t = {t}$ and $x = {x}$; write $m = "
               f"\\exp(-\\frac{{1}}{{2}}\\int_0^t\\beta)$ for the kernel's mean coefficient.",
        parts=[
            Part(ask="the variance $v_t$ of the marginal $p_t$ =",
                 answer=Numeric(var_cc, rtol=1e-3, near_misses=m1), worked=repr(v),
                 after=f"$\\int_0^t\\beta = {f(integral, 6)}$, $m = {f(a, 6)}$: $x(t) = m\\,x(0) + \\sqrt{{1 - m^2}}\\,z$ "
                       f"with independent terms, so $p_t = \\mathcal N(m\\mu, m^2 s^2 + 1 - m^2) = \\mathcal N("
                       f"{f(a * mu, 6)}, {f(v, 6)})$. Next: its score at $x$."),
            Part(ask="the score $\\nabla_x \\log p_t(x)$ =",
                 answer=Numeric(_val(score_t), rtol=1e-3, near_misses=m2), worked=repr(sc),
                 after=f"$\\nabla_x \\log p_t(x) = -(x - m\\mu)/v_t = {f(sc, 6)}$. Next: the reverse-time SDE's drift "
                       f"$f - g^2\\nabla_x \\log p_t$ with $f = -\\frac{{1}}{{2}}\\beta(t)x$, $g^2 = \\beta(t)$."),
            Part(ask="the reverse-SDE drift $f - g^2\\nabla_x \\log p_t(x)$ =",
                 answer=Numeric(drift, rtol=1e-3, near_misses=m3), worked=repr(d),
                 after="A sampler steps $x \\leftarrow x - (\\text{drift})\\Delta t + g\\sqrt{\\Delta t}\\,z$ "
                       "backwards in time."),
        ],
        solution=f"$\\int_0^t \\beta = \\beta_{{\\min}}t + \\frac{{1}}{{2}}(\\beta_{{\\max}} - \\beta_{{\\min}})t^2 = "
                 f"{f(integral, 6)}$, so $m = {f(a, 6)}$ (Song et al. 2021, Appendix B). The marginal is $\\mathcal N(m\\mu,"
                 f" m^2 s^2 + 1 - m^2)$ with variance $v_t = {f(v, 6)}$; its score at $x = {x}$ is $-(x - m\\mu)/v_t = "
                 f"{f(sc, 6)}$. With $\\beta(t) = {f(beta, 6)}$, the reverse drift (Eq. (6)) is $-\\frac{{1}}{{2}}"
                 f"\\beta x - \\beta \\nabla\\log p_t = {f(-0.5 * beta * x, 6)} - {f(beta, 6)} \\cdot ({f(sc, 6)}) = "
                 f"{f(d, 6)}$.")


@question("sde", kind="derivation", difficulty=3, title="An Euler and a Heun step of Karras's ODE on Gaussian data")
def karras_heun_gaussian(rng):
    while True:
        mu, s = nice(rng, -1, 1, 2) + 0.0, nice(rng, 0.2, 1.0, 2)
        sig = nice(rng, 0.5, 3, 2)
        sig_next = round(sig * nice(rng, 0.3, 0.7, 2), 2)
        x = nice(rng, -4, 4, 2)
        den = lambda z, level: sde.gaussian_denoiser(z, level, mu, s**2)  # noqa: E731
        xs = _col(x)
        D = _val(den(xs, sig))
        euler = _val(sde.karras_euler_step(xs, sig, sig_next, den))
        heun = _val(sde.karras_heun_step(xs, sig, sig_next, den))
        s2 = s * s
        Dw = (s2 * x + sig**2 * mu) / (s2 + sig**2)
        dw = (x - Dw) / sig
        h = sig_next - sig
        xe = x + h * dw
        De = (s2 * xe + sig_next**2 * mu) / (s2 + sig_next**2)
        dpw = (xe - De) / sig_next
        xh = x + h * 0.5 * (dw + dpw)
        m1 = _misses(D, [((s2 * x + sig * mu) / (s2 + sig), "$\\sigma$ is a standard deviation: the weights are "
                                                             "$s^2$ and $\\sigma^2$."),
                         ((sig**2 * x + s2 * mu) / (s2 + sig**2), "the weights are swapped: at small $\\sigma$ the "
                                                                  "denoiser must return $x$ itself."),
                         (mu, "that is the data mean, the limit $\\sigma \\to \\infty$ only.")])
        m2 = _misses(euler, [(x - h * dw, "$h = \\sigma_{i+1} - \\sigma_i$ is negative: the step goes down in noise."),
                             (x + h * (x - Dw) / sig**2, "$\\mathrm{d}x/\\mathrm{d}\\sigma = (x - D)/\\sigma$: one "
                                                         "power of $\\sigma$ ($-\\sigma\\nabla\\log p$), not "
                                                         "$\\sigma^2$."),
                             (Dw, "that is the Euler step all the way to $\\sigma = 0$, which lands on $D$; to "
                                  "reach $\\sigma_{i+1}$ go $x_i + (\\sigma_{i+1} - \\sigma_i)(x_i - D)/\\sigma_i$.")])
        m3 = _misses(heun, [(x + h * dpw, "that uses only the slope at the end; Heun averages both, "
                                          "$\\frac{1}{2}(d_i + d_i')$."),
                            (xe + h * 0.5 * (dw + dpw), "the corrected step starts again from $x_i$, not from the "
                                                        "Euler point."),
                            (x + h * (dw + dpw), "the two slopes are averaged: a factor $\\frac{1}{2}$ is missing.")])
        if min(len(m1), len(m2), len(m3)) >= 2 and abs(x - mu) > 0.5 and min(abs(D), abs(euler), abs(heun)) > 1e-3:
            break
    return Draft(
        prompt=f"Data $x_0 \\sim \\mathcal N(\\mu, s^2)$ with $\\mu = {mu}$, $s = {s}$ are noised as $x = x_0 + \\sigma n$. "
               f"Karras et al.'s probability-flow ODE with $\\sigma(t) = t$ is $\\frac{{\\mathrm{{d}}x}}{{\\mathrm{{d}}"
               f"\\sigma}} = \\frac{{x - D(x;\\sigma)}}{{\\sigma}}$, $D$ the exact denoiser $E[x_0 \\mid x]$. Take one step "
               f"from $x_i = {x}$ at $\\sigma_i = {sig}$ to $\\sigma_{{i+1}} = {sig_next}$.",
        parts=[
            Part(ask="$D(x_i; \\sigma_i)$ =", answer=Numeric(D, rtol=1e-3, near_misses=m1), worked=repr(Dw),
                 after=f"Gaussian posterior mean: $D = \\frac{{s^2 x + \\sigma^2\\mu}}{{s^2 + \\sigma^2}} = {f(Dw, 6)}$. "
                       f"Next: the Euler step $x_i + (\\sigma_{{i+1}} - \\sigma_i)\\,d_i$ with $d_i = (x_i - D)/"
                       f"\\sigma_i$."),
            Part(ask="the Euler step's $x_{i+1}$ =", answer=Numeric(euler, rtol=1e-3, near_misses=m2),
                 worked=repr(xe),
                 after=f"$d_i = {f(dw, 6)}$, $h = {f(h, 6)}$, Euler: ${f(xe, 6)}$. Next: Heun evaluates the slope "
                       f"$d_i'$ at the Euler point and $\\sigma_{{i+1}}$ (nonzero here) and averages."),
            Part(ask="Heun's $x_{i+1}$ =", answer=Numeric(heun, rtol=1e-3, near_misses=m3), worked=repr(xh),
                 after="At the last step, where $\\sigma_{i+1} = 0$, the correction would divide by zero: Algorithm 1 "
                       "keeps the Euler step there, which lands on $D(x_i;\\sigma_i)$."),
        ],
        solution=f"$D(x_i;\\sigma_i) = ({f(s2, 6)} \\cdot {_p(x)} + {f(sig**2, 6)} \\cdot {_p(mu)}) / {f(s2 + sig**2, 6)} = "
                 f"{f(Dw, 6)}$, $d_i = (x_i - D)/\\sigma_i = {f(dw, 6)}$, $h = \\sigma_{{i+1}} - \\sigma_i = {f(h, 6)}$, "
                 f"Euler: $x' = x_i + h d_i = {f(xe, 6)}$ (Karras et al. 2022, Algorithm 1, lines 4-5). Then $D(x';"
                 f"\\sigma_{{i+1}}) = {f(De, 6)}$, $d_i' = {f(dpw, 6)}$, and Heun's step (lines 7-8) is $x_i + "
                 f"\\frac{{h}}{{2}}(d_i + d_i') = {f(xh, 6)}$. The exact solution is $\\mu + (x_i - \\mu)\\sqrt{{(s^2 + "
                 f"\\sigma_{{i+1}}^2)/(s^2 + \\sigma_i^2)}} = "
                 f"{f(mu + (x - mu) * math.sqrt((s2 + sig_next**2) / (s2 + sig**2)), 6)}$.")


@question("sde", kind="derivation", difficulty=2, title="DDIM as an Euler step of the probability-flow ODE")
def ddim_euler(rng):
    while True:
        ab_t = nice(rng, 0.05, 0.6, 2)
        ab_prev = round(min(0.99, ab_t + nice(rng, 0.1, 0.35, 2)), 2)
        x, eps = nice(rng, -2, 2, 2), nice(rng, -2, 2, 2)
        sig_t, sig_prev = math.sqrt((1 - ab_t) / ab_t), math.sqrt((1 - ab_prev) / ab_prev)
        xbar_prev = _val(sde.karras_euler_step(_col(x / math.sqrt(ab_t)), sig_t, sig_prev,
                                               lambda z, level: z - level * _col(eps)))
        alpha_bar = torch.tensor([ab_prev, ab_t], dtype=F64)
        x_prev = _val(ddim.ddim_step(_col(x), torch.tensor([1]), torch.tensor([0]), _col(eps), alpha_bar, 0.0,
                                     torch.zeros(1, 1, dtype=F64)))
        st, sp = math.sqrt((1 - ab_t) / ab_t), math.sqrt((1 - ab_prev) / ab_prev)
        xb = x / math.sqrt(ab_t)
        xbp = xb + (sp - st) * eps
        xp = math.sqrt(ab_prev) * xbp
        m1 = _misses(sig_t, [((1 - ab_t) / ab_t, "that is $\\sigma_t^2$; $\\sigma_t$ is its square root."),
                             (math.sqrt(1 - ab_t), "that is the noise level of $x_t$ itself; in the scaled variable "
                                                   "$x_t/\\sqrt{\\bar\\alpha_t} = x_0 + \\sigma_t\\epsilon$ the noise is "
                                                   "divided by $\\sqrt{\\bar\\alpha_t}$ too."),
                             (math.sqrt(ab_t / (1 - ab_t)), "the ratio is upside down.")])
        m2 = _misses(xbar_prev, [(xb + (st - sp) * eps, "the step is $\\sigma_{t-1} - \\sigma_t < 0$: the noise level "
                                                        "goes down."),
                                 (x + (sp - st) * eps, "the ODE is in the scaled variable $\\bar x = x/\\sqrt{\\bar"
                                                       "\\alpha}$: start from $x_t/\\sqrt{\\bar\\alpha_t}$."),
                                 (xb + (sp**2 - st**2) * eps, "$\\mathrm{d}\\bar x/\\mathrm{d}\\sigma = \\epsilon$: "
                                                              "the step is in $\\sigma$, not $\\sigma^2$.")])
        m3 = _misses(x_prev, [(xbp, "that is the scaled $\\bar x_{t-1}$; multiply by $\\sqrt{\\bar\\alpha_{t-1}}$."),
                              (math.sqrt(ab_t) * xbp, "scale back with the target's $\\sqrt{\\bar\\alpha_{t-1}}$, not "
                                                      "$\\sqrt{\\bar\\alpha_t}$."),
                              (xbp / math.sqrt(ab_prev), "multiply by $\\sqrt{\\bar\\alpha_{t-1}}$ to undo the scaling,"
                                                         " do not divide.")])
        if min(len(m1), len(m2), len(m3)) >= 2 and abs(eps) > 0.2 and min(abs(xbar_prev), abs(x_prev)) > 1e-3:
            break
    return Draft(
        prompt=f"A DDIM sampler ($\\eta = 0$) is at $x_t = {x}$ with $\\bar\\alpha_t = {ab_t}$, the next level is "
               f"$\\bar\\alpha_{{t-1}} = {ab_prev}$, and the model predicts $\\epsilon_\\theta(x_t) = {eps}$. In the "
               f"scaled variable $\\bar x = x/\\sqrt{{\\bar\\alpha}}$ with $\\sigma = \\sqrt{{(1 - \\bar\\alpha)/\\bar"
               f"\\alpha}}$, the probability-flow ODE is $\\frac{{\\mathrm{{d}}\\bar x}}{{\\mathrm{{d}}\\sigma}} = "
               f"\\epsilon_\\theta$. Show that DDIM's step is one Euler step of it.",
        parts=[
            Part(ask="$\\sigma_t$ =", answer=Numeric(sig_t, rtol=1e-3, near_misses=m1), worked=repr(st),
                 after=f"$\\sigma_t = {f(st, 6)}$ and $\\sigma_{{t-1}} = {f(sp, 6)}$. Next: one Euler step in "
                       f"$\\sigma$ from $\\bar x_t = x_t/\\sqrt{{\\bar\\alpha_t}} = {f(xb, 6)}$."),
            Part(ask="$\\bar x_{t-1}$ after one Euler step =", answer=Numeric(xbar_prev, rtol=1e-3, near_misses=m2),
                 worked=repr(xbp),
                 after=f"$\\bar x_{{t-1}} = \\bar x_t + (\\sigma_{{t-1}} - \\sigma_t)\\,\\epsilon_\\theta = {f(xbp, 6)}$. "
                       f"Next: undo the scaling."),
            Part(ask="$x_{t-1}$ =", answer=Numeric(x_prev, rtol=1e-3, near_misses=m3), worked=repr(xp),
                 after="This is exactly DDIM's Eq. (12) with $\\sigma_t(\\eta) = 0$: DDIM is Euler's method, a "
                       "first-order solver, on the probability-flow ODE (Song, Meng and Ermon 2021, §4.3, "
                       "Eq. (13)-(14); Karras et al. 2022, §3)."),
        ],
        solution=f"$\\sigma_t = \\sqrt{{(1 - {ab_t})/{ab_t}}} = {f(st, 6)}$, $\\sigma_{{t-1}} = {f(sp, 6)}$, $\\bar x_t = "
                 f"{f(xb, 6)}$. Euler: $\\bar x_{{t-1}} = \\bar x_t + (\\sigma_{{t-1}} - \\sigma_t)\\epsilon_\\theta = "
                 f"{f(xbp, 6)}$, and $x_{{t-1}} = \\sqrt{{\\bar\\alpha_{{t-1}}}}\\,\\bar x_{{t-1}} = {f(xp, 6)}$. DDIM's "
                 f"update $\\sqrt{{\\bar\\alpha_{{t-1}}}}\\,\\hat x_0 + \\sqrt{{1 - \\bar\\alpha_{{t-1}}}}\\,"
                 f"\\epsilon_\\theta$ "
                 f"with $\\hat x_0 = (x_t - \\sqrt{{1 - \\bar\\alpha_t}}\\epsilon_\\theta)/\\sqrt{{\\bar\\alpha_t}}$ gives "
                 f"the same number, since $\\hat x_0 = \\bar x_t - \\sigma_t \\epsilon_\\theta$.")


def _simpson(values: torch.Tensor, h: float) -> float:
    """Composite Simpson's rule over an odd number of equally spaced values."""
    w = torch.ones_like(values)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    return float((w * values).sum()) * h / 3


@question("sde", kind="derivation", difficulty=3, title="An exact likelihood through the probability-flow ODE")
def ode_likelihood(rng):
    while True:
        d = rng.choice([1, 2, 3])
        mu, s, T = nice(rng, -1, 1, 1) + 0.0, nice(rng, 0.5, 1.5, 1), float(rng.choice([2, 3, 4, 5]))
        x0 = [nice(rng, -2, 2, 1) + 0.0 for _ in range(d)]  # + 0.0: no "-0" in the prompt
        s2 = s * s
        r0 = sum((v - mu) ** 2 for v in x0)
        x0_t = torch.tensor([x0], dtype=F64)  # (1, d)

        def drift(x, time):
            time = torch.as_tensor(time, dtype=F64)
            var = (s2 + time**2).reshape(-1, *([1] * (x.dim() - 1))) if time.dim() else s2 + time**2
            return sde.probability_flow_drift(torch.zeros_like(x), torch.sqrt(2 * time),
                                              sde.gaussian_score(x, mu, var))

        times = torch.linspace(0, T, 201, dtype=F64)
        path = sde.gaussian_flow(x0_t.expand(201, d), 0.0, times, mu, s2)  # the ODE's trajectory, (201, d)
        delta = _simpson(sde.divergence(lambda z: drift(z, times), path), T / 200)
        x_T = sde.gaussian_flow(x0_t, 0.0, T, mu, s2)
        rT = float(((x_T - mu) ** 2).sum())
        prior = gmm.gmm_log_prob(x_T, torch.ones(1, dtype=F64), torch.full((1, d), mu, dtype=F64),
                                 (s2 + T * T) * torch.eye(d, dtype=F64)[None])
        log_p0 = float(prior[0]) + delta
        ratio = (s2 + T * T) / s2
        rTw = r0 * ratio
        dw = 0.5 * d * math.log(ratio)
        log_pT = -0.5 * d * math.log(2 * math.pi * (s2 + T * T)) - rTw / (2 * (s2 + T * T))
        log_p_at_x0 = -0.5 * d * math.log(2 * math.pi * (s2 + T * T)) - r0 / (2 * (s2 + T * T))
        lw = log_pT + dw
        m1 = _misses(rT, [(r0, "the ODE moves the point: each coordinate's distance to $\\mu$ grows by "
                               "$\\sqrt{(s^2 + T^2)/s^2}$."),
                          (r0 * (s2 + T) / s2, "$\\sigma(t) = t$ is a standard deviation: the variance at $T$ is "
                                               "$s^2 + T^2$, not $s^2 + T$."),
                          (r0 * math.sqrt(ratio), "distances grow by $\\sqrt{(s^2 + T^2)/s^2}$, so *squared* distances "
                                                  "by $(s^2 + T^2)/s^2$."),
                          (r0 + d * T * T, "that is the SDE's *expected* squared distance; the ODE is deterministic "
                                           "and scales $x - \\mu$.")])
        m2 = _misses(delta, [(0.5 * math.log(ratio), "that is one coordinate's share; the divergence sums over all "
                                                     f"$d = {d}$ coordinates."),
                             (d * math.log(ratio), "the velocity is $-\\frac{1}{2}g^2\\nabla\\log p_t$: with the "
                                                   "$\\frac{1}{2}$, the integral is $\\frac{d}{2}\\log\\left("
                                                   "\\frac{s^2 + T^2}{s^2}\\right)$."),
                             (0.5 * d * math.log((s2 + T) / s2), "the variance at time $t$ is $s^2 + t^2$, not "
                                                                 "$s^2 + t$.")])
        m3 = _misses(log_p0, [(log_pT - dw, "$\\log p_0(x(0)) = \\log p_T(x(T)) + \\int_0^T \\nabla\\cdot\\tilde f\\,"
                                            "\\mathrm{d}t$: the correction is added (the flow spreads the density)."),
                              (log_pT, "the change of variables adds the integrated divergence."),
                              (log_p_at_x0 + dw, "the prior density is evaluated at the ODE's end point $x(T)$, "
                                                 "not at $x(0)$.")])
        if min(len(m1), len(m2), len(m3)) >= 2 and r0 > 0.1 and abs(log_p0) > 1e-2:
            break
    shown = ", ".join(f"{v:g}" for v in x0)
    return Draft(
        prompt=f"Data in $d = {d}$ dimensions are $x(0) \\sim \\mathcal N(\\mu\\mathbf 1, s^2 I)$ with $\\mu = {mu:g}$, "
               f"$s = {s:g}$, perturbed by the VE SDE with $\\sigma(t) = t$ ($f = 0$, $g^2 = 2t$), so $p_t = "
               f"\\mathcal N(\\mu\\mathbf 1, (s^2 + t^2) I)$ and the probability-flow velocity is $\\tilde f(x, t) = t\\,"
               f"(x - \\mu\\mathbf 1)/(s^2 + t^2)$. Compute $\\log p_0$ at $x(0) = ({shown})$ through the ODE, up to "
               f"$T = {T:g}$, by the instantaneous change of variables.",
        parts=[
            Part(ask="$\\|x(T) - \\mu\\mathbf 1\\|^2$ =", answer=Numeric(rT, rtol=1e-3, near_misses=m1), worked=repr(rTw),
                 after=f"Each coordinate solves $\\frac{{\\mathrm{{d}}}}{{\\mathrm{{d}}t}}(x - \\mu) = \\frac{{t}}{{s^2 + "
                       f"t^2}}(x - \\mu)$, so $x(T) - \\mu = (x(0) - \\mu)\\sqrt{{(s^2 + T^2)/s^2}}$ and "
                       f"$\\|x(T) - \\mu\\mathbf 1\\|^2 = {f(rTw, 6)}$. Next: the integrated divergence of $\\tilde f$."),
            Part(ask="$\\int_0^T \\nabla\\cdot\\tilde f(x(t), t)\\,\\mathrm{d}t$ =",
                 answer=Numeric(delta, rtol=1e-3, near_misses=m2), worked=repr(dw),
                 after=f"$\\nabla\\cdot\\tilde f = d\\,t/(s^2 + t^2)$, whose integral is $\\frac{{d}}{{2}}\\log\\left("
                       f"\\frac{{s^2 + T^2}}{{s^2}}\\right) = {f(dw, 6)}$. Next: $\\log p_0(x(0)) = \\log p_T(x(T)) + "
                       f"\\int_0^T \\nabla\\cdot"
                       f"\\tilde f\\,\\mathrm{{d}}t$."),
            Part(ask="$\\log p_0(x(0))$ =", answer=Numeric(log_p0, rtol=1e-3, near_misses=m3), worked=repr(lw),
                 after="It equals $\\log\\mathcal N(x(0); \\mu\\mathbf 1, s^2 I)$: the ODE's likelihood is exact when "
                       "the score is."),
        ],
        solution=f"The flow is affine: $x(T) - \\mu = (x(0) - \\mu)\\sqrt{{(s^2 + T^2)/s^2}}$, so $\\|x(T) - \\mu\\mathbf 1"
                 f"\\|^2 = {f(r0, 6)} \\cdot {f(ratio, 6)} = {f(rTw, 6)}$. The divergence of $\\tilde f$ is $d\\,t/(s^2 + "
                 f"t^2)$ and $\\int_0^T = \\frac{{d}}{{2}}\\log\\left(\\frac{{s^2 + T^2}}{{s^2}}\\right) = {f(dw, 6)}$. "
                 f"The prior term is "
                 f"$\\log p_T(x(T)) = -\\frac{{d}}{{2}}\\log(2\\pi(s^2 + T^2)) - \\frac{{\\|x(T) - \\mu\\mathbf 1\\|^2}}"
                 f"{{2(s^2 + T^2)}} = {f(log_pT, 6)}$, and Song et al. 2021, Appendix D.2: $\\log p_0(x(0)) = {f(log_pT, 6)} + "
                 f"{f(dw, 6)} = {f(lw, 6)}$, which is $\\log\\mathcal N(x(0); \\mu\\mathbf 1, s^2 I)$.")


# ---------------------------------------------------------------------------------------------------------------
# Choice and true-false

_ORDERS = [
    ("Heun's method (Karras et al., Algorithm 1) integrates the probability-flow ODE with $N$ steps of size $h$. How "
     "does its global error scale?", "$O(h^2)$", [
         ("$O(h)$", "that is Euler's method (and DDIM): first order."),
         ("$O(h^3)$", "that is Heun's *local* error per step; summing $N \\propto 1/h$ of them gives $O(h^2)$."),
         ("$O(h^{1/2})$", "that is Euler–Maruyama's strong order for general state-dependent noise, not an ODE "
                          "solver's.")],
     "Heun's method is second order: local error $O(h^3)$, global $O(h^2)$, for two evaluations of $D$ per step "
     "(Karras et al. 2022, §3)."),
    ("Euler's method integrates the probability-flow ODE (as DDIM does) with steps of size $h$. How does its global "
     "error scale?", "$O(h)$", [
         ("$O(h^2)$", "that is Euler's *local* error per step, or Heun's global error."),
         ("$O(h^{1/2})$", "that is a strong order of Euler–Maruyama for SDEs with state-dependent noise; the ODE has "
                          "no noise."),
         ("$O(1)$", "the error does vanish as $h \\to 0$: Euler's method is consistent.")],
     "Euler's method has local error $O(h^2)$ and global error $O(h)$: it is first order."),
    ("Karras et al.'s Heun sampler uses $N$ steps over $\\sigma_0 > \\dots > \\sigma_{N-1} > \\sigma_N = 0$. How many "
     "evaluations of the denoiser $D$ does it make?", "$2N - 1$", [
         ("$2N$", "the last step, to $\\sigma_N = 0$, is an Euler step: its correction would divide by zero."),
         ("$N$", "that is Euler's method; Heun evaluates $D$ again at the Euler point."),
         ("$N + 1$", "Heun needs a second evaluation at every step but the last.")],
     "Two evaluations per step, except the last (to $\\sigma = 0$), which reverts to Euler: $2N - 1$."),
    ("What is the local truncation error of one Heun step of size $h$ on a smooth ODE?", "$O(h^3)$", [
        ("$O(h^2)$", "that is Euler's local error; Heun's trapezoidal correction cancels the $h^2$ term."),
        ("$O(h)$", "a consistent method's local error is at least $O(h^2)$."),
        ("$O(h^5)$", "that is the classical fourth-order Runge–Kutta method's local error.")],
     "Heun is second order, so its local error is $O(h^3)$ (Karras et al. 2022, §3)."),
    ("DDIM with $\\eta = 0$ is which numerical method?", "Euler's method on the probability-flow ODE, in $\\sigma = "
     "\\sqrt{(1 - \\bar\\alpha)/\\bar\\alpha}$ and $x/\\sqrt{\\bar\\alpha}$", [
         ("Euler–Maruyama on the reverse-time SDE", "DDIM with $\\eta = 0$ injects no noise; ancestral DDPM sampling "
                                                    "is the discretization of the reverse SDE."),
         ("Heun's method on the probability-flow ODE", "DDIM evaluates the model once per step: it is first order."),
         ("The reverse-time SDE with its noise term dropped", "dropping the noise leaves the drift $f - g^2\\nabla\\log "
                                                               "p_t$, which is not the probability-flow ODE "
                                                               "($\\frac{1}{2}g^2$): it would not keep the marginals.")],
     "In the scaled variable, $\\mathrm{d}\\bar x/\\mathrm{d}\\sigma = \\epsilon_\\theta$, and DDIM's update is exactly one "
     "Euler step of it (Song, Meng and Ermon 2021, §4.3, Eq. (13)-(14); Karras et al. 2022, §3)."),
    ("What is the weak order of Euler–Maruyama (the error in expectations of smooth functions of the final sample) "
     "for the reverse-time SDE?", "1", [
         ("1/2", "1/2 is its *strong* (pathwise) order for general state-dependent noise; in distribution it is "
                 "first order (and with additive noise, as here, its strong order is 1 too)."),
         ("2", "second order needs a higher-order scheme (e.g. stochastic Runge–Kutta)."),
         ("0", "Euler–Maruyama converges: its error vanishes as $\\Delta t \\to 0$.")],
     "Euler–Maruyama has weak order 1: errors in expectations shrink like $\\Delta t$ (Kloeden & Platen 1992)."),
]


@question("sde", kind="choice", difficulty=2, title="Samplers and their orders of accuracy")
def integrator_orders(rng):
    ask, correct, wrong, why = rng.choice(_ORDERS)
    choice = shuffled_choice(rng, correct, wrong)
    return Draft(prompt=ask, parts=[Part(ask="Choose one:", answer=choice, worked=choice.typed(), after=why)],
                 solution=f"{correct}. {why}")


_EQUATIONS = [
    ("Which is the reverse-time SDE of $\\mathrm{d}x = f(x,t)\\,\\mathrm{d}t + g(t)\\,\\mathrm{d}w$ (time running "
     "backwards, $\\bar w$ a reverse-time Wiener process)?",
     "$\\mathrm{d}x = [f - g^2\\nabla_x \\log p_t(x)]\\,\\mathrm{d}t + g\\,\\mathrm{d}\\bar w$", [
         ("$\\mathrm{d}x = [f + g^2\\nabla_x \\log p_t(x)]\\,\\mathrm{d}t + g\\,\\mathrm{d}\\bar w$",
          "the sign of the score term is flipped: with $\\mathrm{d}t < 0$ the term $-g^2\\nabla\\log p_t\\,\\mathrm{d}t$ "
          "pushes towards high density."),
         ("$\\mathrm{d}x = [f - \\frac{1}{2}g^2\\nabla_x \\log p_t(x)]\\,\\mathrm{d}t + g\\,\\mathrm{d}\\bar w$",
          "the $\\frac{1}{2}$ belongs to the probability-flow ODE, which has no noise term."),
         ("$\\mathrm{d}x = [f - \\nabla_x \\log p_t(x)]\\,\\mathrm{d}t + g\\,\\mathrm{d}\\bar w$",
          "the score is multiplied by $g^2$: its weight must match the noise it undoes.")],
     "Anderson 1982; Song et al. 2021, Eq. (6)."),
    ("Which ODE has the same marginals $p_t$ as the SDE $\\mathrm{d}x = f(x,t)\\,\\mathrm{d}t + g(t)\\,\\mathrm{d}w$?",
     "$\\frac{\\mathrm{d}x}{\\mathrm{d}t} = f - \\frac{1}{2}g^2\\nabla_x \\log p_t(x)$", [
         ("$\\frac{\\mathrm{d}x}{\\mathrm{d}t} = f - g^2\\nabla_x \\log p_t(x)$",
          "that is the reverse SDE's drift; without the noise term only half of $g^2$ is needed."),
         ("$\\frac{\\mathrm{d}x}{\\mathrm{d}t} = f$", "the forward drift alone loses the spreading that the diffusion "
                                                      "term causes."),
         ("$\\frac{\\mathrm{d}x}{\\mathrm{d}t} = f + \\frac{1}{2}g^2\\nabla_x \\log p_t(x)$",
          "the sign is flipped: forward in time the flow must move *away* from high density, as diffusion does.")],
     "The probability-flow ODE, Song et al. 2021, Eq. (13): the Fokker–Planck equation written as a continuity "
     "equation (Appendix D.1)."),
    ("The VE SDE $\\mathrm{d}x = \\sqrt{\\mathrm{d}[\\sigma^2(t)]/\\mathrm{d}t}\\,\\mathrm{d}w$ starts from $x(0)$. "
     "What is $p_{0t}(x(t) \\mid x(0))$?", "$\\mathcal N(x(0), [\\sigma(t)^2 - \\sigma(0)^2] I)$", [
         ("$\\mathcal N(x(0), [\\sigma(t) - \\sigma(0)] I)$", "$\\sigma$ is a standard deviation; the variances add."),
         ("$\\mathcal N(x(0), [\\sigma(t) - \\sigma(0)]^2 I)$", "independent increments add variances, not standard "
                                                               "deviations."),
         ("$\\mathcal N(\\sqrt{1 - \\sigma(t)^2}\\,x(0), \\sigma(t)^2 I)$", "the VE SDE has no drift: the mean stays "
                                                                           "$x(0)$ (the shrinking is VP's).")],
     "Song et al. 2021, Appendix B: no drift, so the mean is $x(0)$, and the variance added is $\\int_0^t g^2 = "
     "\\sigma(t)^2 - \\sigma(0)^2$."),
    ("The VP SDE $\\mathrm{d}x = -\\frac{1}{2}\\beta(t)x\\,\\mathrm{d}t + \\sqrt{\\beta(t)}\\,\\mathrm{d}w$ starts from "
     "$x(0)$; write $B(t) = \\int_0^t\\beta(s)\\,\\mathrm{d}s$. What is $p_{0t}(x(t) \\mid x(0))$?",
     "$\\mathcal N(e^{-B(t)/2}x(0), (1 - e^{-B(t)}) I)$", [
         ("$\\mathcal N(e^{-B(t)}x(0), (1 - e^{-B(t)}) I)$", "the mean coefficient is the square root of the signal "
                                                            "factor: $e^{-B/2}$."),
         ("$\\mathcal N(e^{-B(t)/2}x(0), (1 - e^{-B(t)/2}) I)$", "the variance is $1 - m^2 = 1 - e^{-B}$, so that "
                                                                "unit-variance data keep unit variance."),
         ("$\\mathcal N(x(0), B(t) I)$", "that ignores the drift, which shrinks the signal; $B(t)$ is only the "
                                         "small-$t$ approximation of the variance.")],
     "Song et al. 2021, Appendix B: $m' = -\\frac{1}{2}\\beta m$ and $v' = \\beta(1 - v)$."),
    ("With $\\sigma(t) = t$ and $s(t) = 1$, what is Karras et al.'s probability-flow ODE in terms of the denoiser "
     "$D(x;\\sigma)$?", "$\\frac{\\mathrm{d}x}{\\mathrm{d}\\sigma} = \\frac{x - D(x;\\sigma)}{\\sigma}$", [
         ("$\\frac{\\mathrm{d}x}{\\mathrm{d}\\sigma} = \\frac{D(x;\\sigma) - x}{\\sigma}$",
          "the sign is flipped: increasing $\\sigma$ moves $x$ away from the denoised image."),
         ("$\\frac{\\mathrm{d}x}{\\mathrm{d}\\sigma} = \\frac{x - D(x;\\sigma)}{\\sigma^2}$",
          "$(D - x)/\\sigma^2$ is the score; the ODE is $-\\sigma\\nabla\\log p$, one power of $\\sigma$."),
         ("$\\frac{\\mathrm{d}x}{\\mathrm{d}\\sigma} = \\frac{x - D(x;\\sigma)}{2\\sigma}$",
          "$-\\dot\\sigma\\sigma\\nabla\\log p$ with $\\dot\\sigma = 1$ has no factor $\\frac{1}{2}$ (the $\\frac{1}{2}$ "
          "of $\\frac{1}{2}g^2$ cancels the 2 of $g^2 = 2\\sigma\\dot\\sigma$).")],
     "Karras et al. 2022, Eq. (1) with the score $(D - x)/\\sigma^2$ of Eq. (3) and $\\dot\\sigma = 1$."),
    ("Karras et al. space $N$ noise levels from $\\sigma_{\\max}$ down to $\\sigma_{\\min}$. Which is their "
     "$\\sigma_i$, $i = 0, \\dots, N-1$?",
     "$\\left(\\sigma_{\\max}^{1/\\rho} + \\frac{i}{N-1}(\\sigma_{\\min}^{1/\\rho} - \\sigma_{\\max}^{1/\\rho})"
     "\\right)^{\\rho}$", [
         ("$\\sigma_{\\max}^{1/\\rho} + \\frac{i}{N-1}(\\sigma_{\\min}^{1/\\rho} - \\sigma_{\\max}^{1/\\rho})$",
          "that is $\\sigma_i^{1/\\rho}$: raise it to the power $\\rho$."),
         ("$\\left(\\sigma_{\\max}^{1/\\rho} + \\frac{i}{N}(\\sigma_{\\min}^{1/\\rho} - \\sigma_{\\max}^{1/\\rho})"
          "\\right)^{\\rho}$", "with $i/N$ the last level $\\sigma_{N-1}$ would not reach $\\sigma_{\\min}$."),
         ("$\\sigma_{\\max}\\left(\\frac{\\sigma_{\\min}}{\\sigma_{\\max}}\\right)^{i/(N-1)}$",
          "that is geometric spacing (SMLD's, the limit $\\rho \\to \\infty$); Karras's levels are linear in "
          "$\\sigma^{1/\\rho}$.")],
     "Karras et al. 2022, Eq. (5), with $\\sigma_N = 0$ appended; $\\rho = 7$ shortens the steps near "
     "$\\sigma_{\\min}$."),
]


@question("sde", kind="choice", difficulty=1, title="SDE/ODE formulas and their near misses")
def which_equation(rng):
    ask, correct, wrong, why = rng.choice(_EQUATIONS)
    choice = shuffled_choice(rng, correct, wrong)
    return Draft(prompt=ask, parts=[Part(ask="Choose one:", answer=choice, worked=choice.typed(), after=why)],
                 solution=f"{correct}. {why}")


_STATEMENTS = [
    ("The probability-flow ODE $\\frac{\\mathrm{d}x}{\\mathrm{d}t} = f - \\frac{1}{2}g^2\\nabla_x \\log p_t(x)$ has "
     "the same marginal densities $p_t$ as the forward SDE.", True,
     "Its Liouville equation is the SDE's Fokker–Planck equation rewritten (Song et al. 2021, Appendix D.1); only the "
     "paths differ."),
    ("Dropping the noise term of the reverse-time SDE gives the probability-flow ODE.", False,
     "Dropping $g\\,\\mathrm{d}\\bar w$ leaves the drift $f - g^2\\nabla\\log p_t$; the ODE has $\\frac{1}{2}g^2$. The "
     "noise-free reverse drift over-sharpens (it collapses towards modes)."),
    ("The reverse-time SDE needs the score of the data distribution $p_0$ only.", False,
     "It needs $\\nabla_x \\log p_t$ at every time $t$, the score of the *noised* marginal: hence a time-conditioned "
     "score model."),
    ("For the VE SDE, $\\sigma(t)^2$ is the variance of the noise added to $x(0)$ by time $t$ (when $\\sigma(0) = 0$).",
     True, "$p_{0t} = \\mathcal N(x(0), [\\sigma(t)^2 - \\sigma(0)^2] I)$ (Song et al. 2021, Appendix B): $\\sigma(t)$ "
           "is a standard deviation."),
    ("The VE SDE's perturbation kernel from $s$ to $t$ has standard deviation $\\sigma(t) - \\sigma(s)$.", False,
     "Independent Gaussian increments add variances: the standard deviation is $\\sqrt{\\sigma(t)^2 - \\sigma(s)^2}$."),
    ("The VP SDE keeps data of unit variance at unit variance for every $t$.", True,
     "$\\mathrm{Var}[x(t)] = 1 + e^{-\\int_0^t\\beta}(\\mathrm{Var}[x(0)] - 1)$ (Song et al. 2021, Appendix B): "
     "hence 'variance preserving'."),
    ("DDPM's forward chain $x_i = \\sqrt{1 - \\beta_i}\\,x_{i-1} + \\sqrt{\\beta_i}\\,z$ with $\\beta_i = \\beta(i/N)/N$ "
     "converges to the VP SDE as $N \\to \\infty$.", True,
     "$\\sqrt{1 - \\beta(t)\\Delta t} \\approx 1 - \\frac{1}{2}\\beta(t)\\Delta t$ with $\\Delta t = 1/N$ (Song et al. "
     "2021, Appendix B)."),
    ("In Karras et al.'s Algorithm 1, Heun's correction is applied at every step, including the last one to "
     "$\\sigma = 0$.", False,
     "The correction evaluates $(x - D(x;\\sigma_{i+1}))/\\sigma_{i+1}$, a division by zero at $\\sigma_{i+1} = 0$: the "
     "last step stays an Euler step, which returns $D(x;\\sigma_{N-1})$."),
    ("With $\\sigma(t) = t$, one Euler step of the probability-flow ODE from $\\sigma$ straight to $0$ returns the "
     "denoiser output $D(x;\\sigma)$.", True,
     "$x + (0 - \\sigma)(x - D)/\\sigma = D$: the ODE's tangent always points at the denoised image (Karras et al. "
     "2022, §3)."),
    ("Euler–Maruyama scales the Gaussian noise of a step of size $\\Delta t$ by $g\\,\\Delta t$.", False,
     "A Brownian increment over $\\Delta t$ has variance $\\Delta t$: the noise term is $g\\sqrt{\\Delta t}\\,z$."),
    ("The exact log-likelihood through the probability-flow ODE requires the divergence (the trace of the Jacobian) "
     "of its velocity, integrated along the trajectory.", True,
     "$\\log p_0(x(0)) = \\log p_T(x(T)) + \\int_0^T\\nabla\\cdot\\tilde f\\,\\mathrm{d}t$ (Song et al. 2021, Appendix D.2);"
     " for images the trace is estimated with Skilling–Hutchinson."),
    ("Heun's method costs two evaluations of the denoiser per step and has global error $O(h^2)$, Euler's one "
     "evaluation and $O(h)$.", True,
     "Karras et al. 2022, §3: Heun's local error is $O(h^3)$, Euler's $O(h^2)$."),
    ("DDIM with $\\eta = 0$ is a second-order solver of the probability-flow ODE.", False,
     "It is Euler's method in $\\sigma = \\sqrt{(1 - \\bar\\alpha)/\\bar\\alpha}$ and $x/\\sqrt{\\bar\\alpha}$: first "
     "order."),
    ("Running the probability-flow ODE forwards from a data point gives a deterministic latent code $x(T)$, the same "
     "for any model that learns the exact score.", True,
     "The ODE has no trainable parameters besides the score, so the encoding is uniquely identifiable (Song et al. "
     "2021, §4.3)."),
]


@question("sde", kind="true-false", difficulty=2, title="SDEs and ODEs: true or false")
def sde_true_false(rng):
    statement, is_true, why = rng.choice(_STATEMENTS)
    answer = true_false(is_true, why)
    return Draft(prompt=f"True or false? {statement}",
                 parts=[Part(ask="true or false:", answer=answer, worked=answer.typed(), after=why)],
                 solution=f"{'True' if is_true else 'False'}. {why}")
