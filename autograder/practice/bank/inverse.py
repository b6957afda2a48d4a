"""Chapter 7, diffusion for inverse problems: y = H x + n, the Bayesian view (posterior mean, MAP, posterior
sampling), degradations through their SVD, DDRM (Kawar et al. 2022, arXiv:2201.11793), DPS (Chung et al. 2023,
arXiv:2209.14687) and ΠGDM (Song, Vahdat, Mardani & Kautz 2023). Answers come from `course_core.inverse` (and
`gmm`, `ddim`); worked solutions recompute them by hand.

Conventions, stated in every prompt: y = H x0 + sigma_y n; DDRM works on the scaled variable x_t / sqrt(alpha_bar_t)
with sigma_t = sqrt(1 - alpha_bar_t) / sqrt(alpha_bar_t), in spectral coordinates x_bar = V^T x, y_bar_i =
(U^T y)_i / s_i, with eta (noise on unobserved/noisier coordinates) and eta_b (weight of y_bar); DPS subtracts
zeta * grad ||y - H x0_hat(x_t)|| (the plain norm) from an unconditional step; ΠGDM adds sqrt(alpha_bar_t) times
the pseudo-inverse vector-Jacobian product."""

from __future__ import annotations

import math

import torch

from course_core import ddim, gmm, inverse
from course_core.inverse_toy import from_functions

from ..answers import Numeric, Symbolic, Var, format_number as f
from ..question import (Draft, Part, agrees, factor, near_misses, nice, question, scalars, separated,
                        shuffled_choice, true_false)

F64 = torch.float64


def _diagonal(singulars, d: int):
    """The degradation ``H = [diag(s) 0]`` (``m = len(s)`` rows, ``d`` columns): U = V = I, so the spectral
    coordinates are the coordinates themselves."""
    s = scalars(*singulars)
    flat = lambda v: v.reshape(v.shape[0], -1)  # noqa: E731
    return from_functions((d,), len(singulars), flat, flat, lambda: s)


def _gaussian_eps(v0: float, alpha_bar: torch.Tensor):
    """The exact noise prediction of the prior N(0, v0) per coordinate: sqrt(1 - ab) x / (ab v0 + 1 - ab)."""
    def eps_model(x, t):
        ab = alpha_bar[t].reshape(-1, *([1] * (x.dim() - 1))).to(x.dtype)
        return torch.sqrt(1 - ab) * x / (ab * v0 + 1 - ab)
    return eps_model


# ------------------------------------------------------------------------------------------ the Bayesian view
@question("inverse", kind="numeric", difficulty=2, title="The posterior of a scalar Gaussian prior")
def scalar_gaussian_posterior(rng):
    which = rng.choice(["mean", "variance"])
    while True:
        mu0, v0, h = nice(rng, -1, 1, 2), nice(rng, 0.2, 2, 2), nice(rng, 0.3, 2, 2)
        sigma_y, y = nice(rng, 0.1, 1, 2), nice(rng, -2, 2, 2)
        S = h * h * v0 + sigma_y**2
        gain = h * v0 / S
        mean_w, var_w = mu0 + gain * (y - h * mu0), v0 * sigma_y**2 / S
        if which == "mean":
            worked = mean_w
            misses = [(y / h, "that is $y/h$, the maximum-likelihood (least-squares) estimate: it ignores the "
                              "prior, which pulls the estimate towards $\\mu_0$."),
                      (mu0 + v0 * (y - h * mu0) / (v0 + sigma_y**2), "$h$ is missing from the gain: it is "
                       "$K = h v_0 / (h^2 v_0 + \\sigma_y^2)$."),
                      (mu0 + gain * (y - mu0), "the residual compares $y$ with the predicted measurement "
                       "$h\\mu_0$, not with $\\mu_0$."),
                      (mu0 + h * v0 * (y - h * mu0) / (h * h * v0 + sigma_y), "$\\sigma_y$ is a standard "
                       "deviation: the denominator holds the noise variance $\\sigma_y^2$.")]
        else:
            worked = var_w
            misses = [(sigma_y**2 / h**2, "that is $\\sigma_y^2/h^2$, the variance of the least-squares estimate "
                                          "$y/h$: it ignores the prior."),
                      (v0 * sigma_y**2 / (v0 + sigma_y**2), "$h$ is missing: the measurement's precision about "
                       "$x$ is $h^2/\\sigma_y^2$."),
                      (1 / (1 / v0 + h / sigma_y**2), "$h$ enters squared: the precision adds "
                       "$h^2/\\sigma_y^2$."),
                      (v0, "that is the prior variance: observing $y$ always reduces it.")]
        if abs(mean_w) > 0.05 and abs(y - h * mu0) > 0.1 and separated(worked, [m for m, _ in misses]):
            break
    _, means, covs = inverse.mixture_posterior(scalars(1.0), scalars(mu0).reshape(1, 1), scalars(v0).reshape(1, 1, 1),
                                               scalars(h).reshape(1, 1), scalars(y), sigma_y)
    answer = float(means[0, 0]) if which == "mean" else float(covs[0, 0, 0])
    extra = ("It is the MMSE estimate and, the posterior being Gaussian, also the MAP estimate."
             if which == "mean" else "It does not depend on $y$: a Gaussian prior and a linear measurement give a "
                                     "posterior uncertainty known before measuring.")
    return Draft(
        prompt=f"A scalar $x$ has the prior $x \\sim \\mathcal N(\\mu_0, v_0)$ with $\\mu_0 = {mu0}$, $v_0 = {v0}$, "
               f"and is measured as $y = h x + n$, $n \\sim \\mathcal N(0, \\sigma_y^2)$, with $h = {h}$ and "
               f"$\\sigma_y = {sigma_y}$. The measurement is $y = {y}$. What is the posterior {which} of $x$ given $y$?",
        parts=[Part(ask=f"posterior {which} =", answer=Numeric(answer, rtol=1e-3, near_misses=near_misses(misses)),
                    worked=repr(worked))],
        solution="Multiply prior and likelihood and complete the square (the scalar Kalman update): the posterior "
                 "precision is $1/v_0 + h^2/\\sigma_y^2$, so with $S = h^2 v_0 + \\sigma_y^2 = "
                 f"{h}^2 \\cdot {v0} + {sigma_y}^2 = {f(S, 6)}$ the variance is $v_0\\sigma_y^2 / S = {f(var_w, 6)}$ and "
                 f"the mean is $\\mu_0 + \\frac{{h v_0}}{{S}}(y - h\\mu_0) = {mu0} + {f(gain, 6)} \\cdot "
                 f"({y} - {h} \\cdot {factor(mu0)}) = {f(mean_w, 6)}$. The posterior {which} is "
                 f"${f(worked, 6)}$. {extra}")


@question("inverse", kind="symbolic", difficulty=2, title="Gaussian posteriors in closed form")
def gaussian_posterior_formula(rng):
    form = rng.choice(["mean", "map", "variance", "r_t", "tweedie"])
    linear = (Var("mu0", "\\mu_0", -1, 1), Var("v0", "v_0", 0.2, 2), Var("h", "h", 0.3, 2),
              Var("sigma_y", "\\sigma_y", 0.1, 1), Var("y", "y", -2, 2))
    noisy = (Var("v0", "v_0", 0.2, 2), Var("alpha_bar_t", "\\bar\\alpha_t", 0.1, 0.9), Var("x_t", "x_t", -2, 2))
    setting = ("A scalar $x$ has the prior $\\mathcal N(\\mu_0, v_0)$ and is measured as $y = h x + n$, "
               "$n \\sim \\mathcal N(0, \\sigma_y^2)$, $h > 0$.")
    diffusion = ("Data $x_0 \\sim \\mathcal N(0, v_0)$ (a scalar) is noised as $x_t = \\sqrt{\\bar\\alpha_t}\\,x_0 + "
                 "\\sqrt{1 - \\bar\\alpha_t}\\,\\epsilon$, a linear measurement of $x_0$ with $h = \\sqrt{\\bar\\alpha_t}$ "
                 "and noise variance $1 - \\bar\\alpha_t$.")
    mean = "mu0 + h*v0*(y - h*mu0)/(h^2*v0 + sigma_y^2)"
    mean_misses = [("y/h", "that is the maximum-likelihood estimate $y/h$: it ignores the prior."),
                   ("mu0 + v0*(y - h*mu0)/(v0 + sigma_y^2)", "$h$ is missing from the gain $K = h v_0 / (h^2 v_0 + "
                    "\\sigma_y^2)$."),
                   ("mu0 + h*v0*(y - mu0)/(h^2*v0 + sigma_y^2)", "the residual compares $y$ with the predicted "
                    "measurement $h\\mu_0$, not with $\\mu_0$."),
                   ("mu0 + h*v0*(y - h*mu0)/(h^2*v0 + sigma_y)", "$\\sigma_y$ is a standard deviation: the "
                    "denominator holds the variance $\\sigma_y^2$.")]
    spec = {
        "mean": (setting + " Give the posterior mean $\\mathbb E[x \\mid y]$ (the MMSE estimate).", mean, linear,
                 mean_misses, "mu0 + (y - h*mu0)*h*v0/(sigma_y^2 + v0*h^2)"),
        "map": (setting + " Give the MAP estimate $\\mathrm{argmax}_x\\, p(x \\mid y)$.", mean, linear, mean_misses,
                "(mu0*sigma_y^2 + h*v0*y)/(h^2*v0 + sigma_y^2)"),
        "variance": (setting + " Give the posterior variance $\\mathrm{Var}[x \\mid y]$.",
                     "v0*sigma_y^2/(h^2*v0 + sigma_y^2)", linear,
                     [("sigma_y^2/h^2", "that is the variance of the least-squares estimate $y/h$: it ignores the "
                                        "prior."),
                      ("v0*sigma_y^2/(v0 + sigma_y^2)", "$h$ is missing: the measurement's precision about $x$ is "
                                                        "$h^2/\\sigma_y^2$."),
                      ("1/(1/v0 + h/sigma_y^2)", "$h$ enters squared: the precision adds $h^2/\\sigma_y^2$.")],
                     "1/(1/v0 + h^2/sigma_y^2)"),
        "r_t": (diffusion + " ΠGDM approximates $p(x_0 \\mid x_t)$ by a Gaussian of variance $r_t^2$; for this prior "
                "it is exact. Give $r_t^2 = \\mathrm{Var}[x_0 \\mid x_t]$.",
                "v0*(1 - alpha_bar_t)/(alpha_bar_t*v0 + 1 - alpha_bar_t)", noisy[:2],
                [("1 - alpha_bar_t", "that is $r_t^2$ for $v_0 = 1$ (ΠGDM's choice for data of unit variance); here "
                                     "the prior variance is $v_0$."),
                 ("(1 - alpha_bar_t)/alpha_bar_t", "that is $\\sigma_t^2$, the variance of the likelihood of $x_0$ "
                                                   "alone ($x_t/\\sqrt{\\bar\\alpha_t} = x_0 + \\sigma_t\\epsilon$); "
                                                   "the prior shrinks it."),
                 ("v0*(1 - alpha_bar_t)", "the denominator $\\bar\\alpha_t v_0 + 1 - \\bar\\alpha_t$, the variance "
                                          "of $x_t$, is missing.")],
                "1/(1/v0 + alpha_bar_t/(1 - alpha_bar_t))"),
        "tweedie": (diffusion + " Give the posterior mean $\\hat x_0 = \\mathbb E[x_0 \\mid x_t]$ (the denoiser DPS "
                    "and ΠGDM differentiate).",
                    "sqrt(alpha_bar_t)*v0*x_t/(alpha_bar_t*v0 + 1 - alpha_bar_t)", noisy,
                    [("x_t/sqrt(alpha_bar_t)", "that drops the noise ($\\epsilon = 0$); the posterior mean shrinks "
                                               "towards the prior mean 0."),
                     ("sqrt(alpha_bar_t)*x_t", "that is the answer for $v_0 = 1$; here the prior variance is $v_0$."),
                     ("alpha_bar_t*v0*x_t/(alpha_bar_t*v0 + 1 - alpha_bar_t)", "a square root is missing: $x_t$ "
                      "measures $x_0$ through $h = \\sqrt{\\bar\\alpha_t}$.")],
                    "(x_t + (1 - alpha_bar_t)*(-x_t/(alpha_bar_t*v0 + 1 - alpha_bar_t)))/sqrt(alpha_bar_t)"),
    }
    prompt, expr, variables, misses, worked = spec[form]
    answer = Symbolic(expr, variables, near_misses(misses))
    if form in ("mean", "map", "variance"):
        point = dict(mu0=0.3, v0=0.8, h=1.3, sigma_y=0.4, y=-0.7)
        _, means, covs = inverse.mixture_posterior(scalars(1.0), scalars(0.3).reshape(1, 1), scalars(0.8).reshape(1, 1, 1),
                                                   scalars(1.3).reshape(1, 1), scalars(-0.7), 0.4)
    else:
        point = dict(v0=0.8, alpha_bar_t=0.35, x_t=1.1) if form == "tweedie" else dict(v0=0.8, alpha_bar_t=0.35)
        _, means, covs = inverse.mixture_posterior(scalars(1.0), scalars(0.0).reshape(1, 1), scalars(0.8).reshape(1, 1, 1),
                                                   scalars(math.sqrt(0.35)).reshape(1, 1), scalars(1.1), math.sqrt(0.65))
    agrees(answer.at(**point), float(covs[0, 0, 0]) if form in ("variance", "r_t") else float(means[0, 0]))
    why = {"mean": "The log-posterior is quadratic in $x$: precision $1/v_0 + h^2/\\sigma_y^2$, and the mean is the "
                   "prior mean corrected by the gain times the residual $y - h\\mu_0$.",
           "map": "The posterior is Gaussian, so its mode is its mean: setting the derivative of $-\\frac{(x - \\mu_0)^2}"
                  "{2 v_0} - \\frac{(y - h x)^2}{2\\sigma_y^2}$ to zero gives the precision-weighted combination.",
           "variance": "The precisions add: $1/v_0 + h^2/\\sigma_y^2$; invert.",
           "r_t": "Precisions add: $1/v_0 + \\bar\\alpha_t/(1 - \\bar\\alpha_t)$; invert. For $v_0 = 1$ it is "
                  "$1 - \\bar\\alpha_t$, ΠGDM's $r_t^2$ for unit-variance data.",
           "tweedie": "Tweedie's formula: $\\hat x_0 = (x_t + (1 - \\bar\\alpha_t)\\nabla\\log p_t(x_t))/\\sqrt{"
                      "\\bar\\alpha_t}$ with $p_t = \\mathcal N(0, \\bar\\alpha_t v_0 + 1 - \\bar\\alpha_t)$, or the "
                      "Gaussian posterior mean with $h = \\sqrt{\\bar\\alpha_t}$, $\\sigma_y^2 = 1 - \\bar\\alpha_t$."}[form]
    return Draft(prompt=f"{prompt} Variables: {answer.names()}.",
                 parts=[Part(ask="answer =", answer=answer, worked=worked)],
                 solution=f"{why} The result: ${answer.latex()}$.")


@question("inverse", kind="numeric", difficulty=3, title="MMSE under a two-mode prior")
def mixture_posterior_mean(rng):
    while True:
        mu, v, pi = nice(rng, 0.5, 1.5, 2), nice(rng, 0.05, 0.4, 2), nice(rng, 0.2, 0.8, 2)
        h, sigma_y, y = nice(rng, 0.5, 1.5, 2), nice(rng, 0.2, 1.0, 2), nice(rng, -2, 2, 2)
        S = h * h * v + sigma_y**2
        comp = [(1 - pi, -mu), (pi, mu)]
        m = [mk + h * v * (y - h * mk) / S for _, mk in comp]
        logw = [math.log(pk) - (y - h * mk) ** 2 / (2 * S) for pk, mk in comp]
        top = max(logw)
        w = [math.exp(lw - top) for lw in logw]
        w = [wk / sum(w) for wk in w]
        worked = w[0] * m[0] + w[1] * m[1]
        mean_p = (2 * pi - 1) * mu
        var_p = v + mu * mu - mean_p**2
        lmmse = mean_p + h * var_p * (y - h * mean_p) / (h * h * var_p + sigma_y**2)
        misses = [((1 - pi) * m[0] + pi * m[1], "the components keep their prior weights; observing $y$ reweights "
                   "them by the evidence $\\pi_k\\,\\mathcal N(y; h\\mu_k, h^2 v + \\sigma_y^2)$."),
                  (m[0] if w[0] > w[1] else m[1], "that is the posterior mean of the more likely component, close "
                   "to the posterior's main mode; the MMSE estimate averages both components."),
                  (lmmse, "that is the linear MMSE (Wiener) estimate, which uses only the prior's mean and variance: "
                          "optimal among linear estimators, not the posterior mean of a mixture.")]
        if 0.1 < w[0] < 0.9 and abs(worked) > 0.05 and separated(worked, [x for x, _ in misses]):
            break
    weights, means, _ = inverse.mixture_posterior(scalars(1 - pi, pi), scalars(-mu, mu).reshape(2, 1),
                                                  scalars(v, v).reshape(2, 1, 1), scalars(h).reshape(1, 1), scalars(y), sigma_y)
    answer = float((weights[:, None] * means).sum())
    return Draft(
        prompt="A scalar $x$ has the two-mode prior $p(x) = (1 - \\pi)\\,\\mathcal N(-\\mu, v) + "
               f"\\pi\\,\\mathcal N(\\mu, v)$ "
               f"with $\\mu = {mu}$, $v = {v}$, $\\pi = {pi}$, and is measured as $y = h x + n$, $n \\sim \\mathcal N(0, "
               f"\\sigma_y^2)$, with $h = {h}$, $\\sigma_y = {sigma_y}$. Given $y = {y}$, compute the MMSE estimate "
               "$\\mathbb E[x \\mid y]$.",
        parts=[Part(ask="$\\mathbb E[x \\mid y]$ =", answer=Numeric(answer, rtol=1e-3, near_misses=near_misses(misses)),
                    worked=repr(worked))],
        solution="The posterior is again a two-component mixture. Each component is updated like a Gaussian prior, "
                 f"with $S = h^2 v + \\sigma_y^2 = {f(S, 6)}$: $m_k = \\mu_k + \\frac{{h v}}{{S}}(y - h\\mu_k)$, "
                 f"giving $m_- = {f(m[0], 6)}$ and $m_+ = {f(m[1], 6)}$. The weights become proportional to "
                 "$\\pi_k \\exp(-(y - h\\mu_k)^2 / (2S))$ (same $S$ for both, so the normalising constants cancel): "
                 f"$w_- = {f(w[0], 6)}$, $w_+ = {f(w[1], 6)}$. Then $\\mathbb E[x \\mid y] = w_- m_- + w_+ m_+ = "
                 f"{f(worked, 6)}$. It may fall between the modes, where the posterior has little mass: the MMSE "
                 "estimate is an average, not a typical sample; posterior sampling draws from the mixture instead.")


# -------------------------------------------------------------------------------------- degradations and SVDs
@question("inverse", kind="derivation", difficulty=2, title="The SVD of average-pooling super-resolution")
def sr_svd(rng):
    f_ = rng.choice([2, 3, 4])
    C = rng.choice([1, 3])
    a, b = rng.randint(2, 8), rng.randint(2, 8)
    Hh, W = f_ * a, f_ * b
    y1 = nice(rng, -0.9, 0.9, 2)
    while abs(y1) < 0.1:
        y1 = nice(rng, -0.9, 0.9, 2)
    op = inverse.SuperResolution((C, Hh, W), f_)
    s = float(op.singulars()[0])
    null = op.d - op.m
    y = torch.zeros(1, op.m, dtype=F64)
    y[0, 0] = y1
    pinv = op.H_pinv(y)
    y_bar = float(op.V_T(pinv)[0, 0])
    pixel = float(pinv.reshape(C, Hh, W)[0, 0, 0])
    d, m = C * Hh * W, C * a * b
    q = f_ * f_
    return Draft(
        prompt=f"Super-resolution by a factor {f_}: $H$ maps a ${C} \\times {Hh} \\times {W}$ image $x$ (channels "
               f"$\\times$ height $\\times$ width) to the ${C} \\times {a} \\times {b}$ image $y = Hx$ of the means of its "
               f"disjoint ${f_} \\times {f_}$ blocks (DDRM's super-resolution operator). Work with the SVD "
               "$H = U\\Sigma V^\\top$ (here $U = I$) and DDRM's spectral coordinates $\\bar x = V^\\top x$, "
               "$\\bar y_i = (U^\\top y)_i / s_i$.",
        parts=[
            Part(ask="the nonzero singular value $s_i$ (all are equal) =",
                 answer=Numeric(s, rtol=1e-3, near_misses=near_misses([
                     (1 / q, f"the entries of a row are $1/{q}$, but a row has ${q}$ of them: its norm is "
                             f"$\\sqrt{{{q}}}/{q} = 1/{f_}$."),
                     (1.0, "that would be subsampling (keeping one pixel per block), an inpainting whose singular "
                           "values are 1."),
                     (float(f_), "that is the reciprocal: averaging shrinks, so $s_i < 1$.")])),
                 worked=repr(1 / f_),
                 after=f"Each row of $H$ is $1/{q}$ on one block: rows are orthogonal with norm $1/{f_}$, so "
                       f"$HH^\\top = I/{q}$, $s_i = 1/{f_}$, and the matching right singular vector is the block's "
                       f"normalised indicator $\\mathbf 1_\\mathrm{{block}}/{f_}$. Next: the null space."),
            Part(ask="the dimension of the null space of $H$ (the spectral coordinates DDRM leaves to the prior) =",
                 answer=Numeric(float(null), rtol=min(1e-3, 0.4 / null), near_misses=near_misses([
                     (float(m), "that is $m$, the number of measurements (the observed coordinates)."),
                     (float(d), "that is the whole dimension $d$; the block means are observed.")]
                     + ([(float((f_ - 1) * m), f"each block loses ${q} - 1$ of its ${q}$ dimensions, not "
                                               f"${f_} - 1$.")] if f_ > 2 else []))),
                 worked=repr(float(d - m)),
                 after=f"$d = {d}$, $m = {m}$: rank $m$, so $d - m$ coordinates (the within-block variations) carry "
                       "no information about $y$. Next: the measurement in spectral coordinates."),
            Part(ask=f"if the first block's mean is $y_1 = {y1}$, then $\\bar y_1$ =",
                 answer=Numeric(y_bar, rtol=1e-3, near_misses=near_misses([
                     (y1, "that is $y_1$ itself; DDRM divides by the singular value: $\\bar y_1 = y_1 / s_1$."),
                     (y1 / f_, "that multiplies by $s_1$; DDRM divides by it."),
                     (y1 * q, "that divides by $s_1^2$; DDRM divides once.")])),
                 worked=repr(y1 * f_),
                 after=f"$\\bar y_1 = y_1/s_1 = {f_} y_1$: the block's coordinate along "
                       f"$\\mathbf 1_\\mathrm{{block}}/{f_}$ is "
                       f"$\\langle \\mathbf 1_\\mathrm{{block}}/{f_}, b\\rangle = {f_} \\cdot$ mean. Next: back to pixels."),
            Part(ask="the value of $H^\\dagger y$ (the pseudo-inverse) at a pixel of the first block =",
                 answer=Numeric(pixel, rtol=1e-3, near_misses=near_misses([
                     (y1 / q, f"that is $H^\\top y$, which spreads $y_1/{q}$ over the block; the pseudo-inverse is "
                              f"$H^\\top (HH^\\top)^{{-1}} = {q} H^\\top$."),
                     (y1 * f_, "that is the spectral coordinate $\\bar y_1$; $V$ maps it back along "
                               f"$\\mathbf 1_\\mathrm{{block}}/{f_}$, giving $\\bar y_1/{f_}$ per pixel.")])),
                 worked=repr(y1),
                 after="$H^\\dagger y$ is the blocky upsampling that repeats each mean over its block: the "
                       "minimum-norm image consistent with $y$, with all the null-space coordinates set to zero."),
        ],
        solution=f"**1.** The rows of $H$ are orthogonal, each with ${q}$ entries $1/{q}$, norm $1/{f_}$: "
                 f"$s_i = {f(1 / f_, 6)}$.\n\n"
                 f"**2.** $d = {C} \\cdot {Hh} \\cdot {W} = {d}$ and $m = {C} \\cdot {a} \\cdot {b} = {m}$, so "
                 f"$d - m = {d - m}$.\n\n"
                 f"**3.** $\\bar y_1 = y_1 / s_1 = {f_} \\cdot {factor(y1)} = {f(y1 * f_, 6)}$.\n\n"
                 f"**4.** $H^\\dagger y = V\\Sigma^\\dagger U^\\top y$ puts $\\bar y_1$ on the block's unit vector "
                 f"$\\mathbf 1_\\mathrm{{block}}/{f_}$: each pixel gets $\\bar y_1/{f_} = {f(y1, 6)}$, the block mean.")


def _singulars_option(value: float, latex: str) -> str:
    return f"all equal to ${latex} \\approx {f(value, 4)}$"


@question("inverse", kind="choice", difficulty=1, title="Degradations and their singular values")
def degradation_singulars(rng):
    kind = rng.choice(["sr", "color", "subsample", "inpaint", "sr_null"])
    if kind == "sr":
        q = rng.choice([2, 3, 4])
        s = float(inverse.sr_singulars((1, 2 * q, 2 * q), q)[0])
        ask = (f"Super-resolution by ${q} \\times {q}$ average pooling ($y$ holds the mean of each block of "
               f"${q * q}$ pixels). What are the nonzero singular values of $H$?")
        correct = _singulars_option(s, f"1/{q}")
        wrong = [(_singulars_option(1 / q**2, f"1/{q * q}"), f"a row's entries are $1/{q * q}$, but its norm is "
                  f"$\\sqrt{{{q * q}}}/{q * q} = 1/{q}$."),
                 ("all equal to $1$", "that is subsampling (one pixel per block), not averaging."),
                 (_singulars_option(float(q), f"{q}"), "averaging cannot amplify: the singular values are below 1.")]
        why = (f"$HH^\\top = I/{q * q}$: the rows are orthogonal with norm $1/{q}$, so every singular value is "
               f"$1/{q}$ (Kawar et al. 2022, super-resolution).")
    elif kind == "color":
        C = 3
        s = float(inverse.Colorization((C, 2, 2)).singulars()[0])
        ask = ("Colorization: $H$ maps an RGB image to its grey image, each grey pixel the mean of the 3 channels. "
               "What are the nonzero singular values of $H$?")
        correct = _singulars_option(s, "1/\\sqrt{3}")
        wrong = [(_singulars_option(1 / 3, "1/3"), "a row's entries are $1/3$, but its norm is $\\sqrt 3/3 = "
                                                   "1/\\sqrt 3$."),
                 ("all equal to $1$", "averaging three channels shrinks: the singular value is the row norm "
                                      "$1/\\sqrt 3$."),
                 (_singulars_option(math.sqrt(3), "\\sqrt{3}"), "that is the reciprocal of the singular value.")]
        why = "Each row is $(1/3, 1/3, 1/3)$ on one pixel's channels, norm $1/\\sqrt 3$; rows are orthogonal."
    elif kind == "subsample":
        q = rng.choice([2, 3, 4])
        mask = torch.zeros(1, 2 * q, 2 * q, dtype=torch.bool)
        mask[:, ::q, ::q] = True
        s = float(inverse.inpaint_singulars(mask)[0])
        ask = (f"Super-resolution by subsampling: $y$ keeps the top-left pixel of each ${q} \\times {q}$ block and "
               "drops the others. What are the nonzero singular values of $H$?")
        correct = "all equal to $1$"
        assert s == 1.0
        wrong = [(_singulars_option(1 / q, f"1/{q}"), "that is block averaging; subsampling copies pixels."),
                 (_singulars_option(1 / q**2, f"1/{q * q}"), "subsampling copies pixels, it does not average them."),
                 ("$1$ for the kept pixels and $0$ for the dropped ones, $d$ values in all",
                  "$H$ has $m$ rows, so $m$ singular values; the dropped pixels span its null space, they are not "
                  "singular values.")]
        why = ("Subsampling is inpainting with a regular mask: $H$ selects rows of the identity, $HH^\\top = I$, "
               "every singular value is 1, and the dropped pixels form the null space.")
    elif kind == "inpaint":
        keep = rng.choice([0.25, 0.5, 0.75])
        n = 8
        mask = torch.zeros(n, dtype=torch.bool)
        mask[: int(keep * n)] = True
        s = inverse.inpaint_singulars(mask)
        assert bool((s == 1).all())
        ask = (f"Inpainting: $y$ keeps a fraction {keep} of the pixels of $x$ and drops the rest. In DDRM's "
               "spectral view, which statement is right?")
        correct = "Every singular value is 1; the dropped pixels span the null space and come from the prior alone"
        wrong = [(f"Every singular value is {keep}, the fraction of pixels kept",
                  "the fraction kept is the number of rows over $d$, not a singular value: each kept pixel is "
                  "copied with gain 1."),
                 ("The kept pixels have singular value 0 and the dropped ones 1",
                  "it is the reverse: a kept pixel is copied (gain 1), a dropped one is lost."),
                 ("Every pixel has singular value 1, so DDRM updates all of them from $y$",
                  "only the $m$ kept pixels are observed; the others are in the null space.")]
        why = "$H$ selects rows of the identity: $U = I$, $V$ a permutation, singular values 1 on the kept pixels."
    else:
        q = rng.choice([2, 3, 4])
        C, n = rng.choice([1, 3]), rng.choice([8, 16, 32])
        n = (n // q) * q
        op = inverse.SuperResolution((C, n, n), q)
        null = op.d - op.m
        ask = (f"Super-resolution by ${q} \\times {q}$ average pooling of a ${C} \\times {n} \\times {n}$ image. How "
               "many spectral coordinates does DDRM fill from the prior alone (the null space of $H$)?")
        correct = f"${null}$"
        wrong = [(f"${op.m}$", "that is $m$, the number of observed coordinates (one per block)."),
                 (f"${op.d}$", "the block means are observed; only the within-block variations are free."),
                 ("$0$", "averaging loses information: $d > m$.")]
        why = f"$d = {op.d}$, $m = d/{q * q} = {op.m}$, and the null space has dimension $d - m = {null}$."
    choice = shuffled_choice(rng, correct, wrong)
    return Draft(prompt=ask, parts=[Part(ask="Choose one:", answer=choice, worked=choice.typed(), after=why)],
                 solution=f"{correct}. {why}")


# --------------------------------------------------------------------------------------------------------- DDRM
_REGIMES = {
    "prior": "not observed ($s_i = 0$): a DDIM-like step from $\\bar x_0$ alone",
    "noisier": "observed, measurement noisier than the step ($s_i \\sigma_{t-1} < \\sigma_y$): a partial pull "
               "towards $\\bar y_i$",
    "less": "observed, measurement less noisy than the step ($s_i \\sigma_{t-1} \\ge \\sigma_y$): mix $\\bar x_0$ "
            "and $\\bar y_i$ and add the noise $\\bar y_i$ lacks",
}

_DDRM_RULES = (
    "DDRM (Kawar et al. 2022, Eq. (8)) works on the scaled variable $x_t / \\sqrt{\\bar\\alpha_t} = x_0 + \\sigma_t "
    "\\epsilon$, $\\sigma_t = \\sqrt{1 - \\bar\\alpha_t} / \\sqrt{\\bar\\alpha_t}$, in spectral coordinates "
    "$\\bar x = V^\\top x$, with $\\bar y_i = (U^\\top y)_i / s_i$ for $y = Hx_0 + \\sigma_y n$. With "
    "$\\sigma = \\sigma_{t-1}$, $\\bar x_0$ the model's prediction and $z \\sim \\mathcal N(0, 1)$, coordinate $i$ "
    "of the scaled $\\bar x_{t-1}$ is: if $s_i = 0$, $\\bar x_0 + \\sqrt{1 - \\eta^2}\\,\\sigma\\,\\bar\\epsilon_i + "
    "\\eta\\sigma z$ with $\\bar\\epsilon_i = (\\bar x_{t,i} - \\bar x_0)/\\sigma_t$; if $s_i\\sigma < \\sigma_y$, "
    "$\\bar x_0 + \\sqrt{1 - \\eta^2}\\,\\sigma\\,\\frac{s_i}{\\sigma_y}(\\bar y_i - \\bar x_0) + \\eta\\sigma z$; if "
    "$s_i\\sigma \\ge \\sigma_y$, $(1 - \\eta_b)\\bar x_0 + \\eta_b \\bar y_i + \\sqrt{\\sigma^2 - \\eta_b^2 "
    "\\sigma_y^2 / s_i^2}\\, z$. Finally $x_{t-1} = \\sqrt{\\bar\\alpha_{t-1}}\\, V \\bar x_{t-1}$.")


def _ddrm(singulars, d, y, x_t, x0_pred, noise, ab_prev, ab_t, sigma_y, eta, eta_b):
    """course_core's DDRM step from index 1 (alpha_bar_t) to index 0 (alpha_bar_prev) on a diagonal H, returned in
    the scaled variable x_{t-1} / sqrt(alpha_bar_{t-1}) (the spectral coordinates, since V = I)."""
    op = _diagonal(singulars, d)
    out = inverse.ddrm_step(scalars(*x_t).reshape(1, d), torch.tensor([1]), torch.tensor([0]), scalars(*x0_pred).reshape(1, d),
                            scalars(*y).reshape(1, -1), op, scalars(ab_prev, ab_t), sigma_y, eta, eta_b,
                            scalars(*noise).reshape(1, d))
    return out[0] / math.sqrt(ab_prev)


def _regimes(singulars, d, ab_prev, sigma_y):
    """Each coordinate's DDRM case, read off course_core's ddrm_step: with x0_pred = 0, y_bar = 1, z = 0 and
    eta_b = 1 the 'less noisy' coordinates land on 1; with eta = 0 and eps_bar = 0 the 'noisier' ones move and the
    unobserved ones stay at 0."""
    y = list(singulars)  # y_i = s_i, so y_bar_i = 1 where s_i > 0
    zeros = [0.0] * d
    a = _ddrm(singulars, d, y, zeros, zeros, zeros, ab_prev, ab_prev * 0.9, sigma_y, 1.0, 1.0)
    b = _ddrm(singulars, d, y, zeros, zeros, zeros, ab_prev, ab_prev * 0.9, sigma_y, 0.0, 1.0)
    return ["less" if abs(float(a[i]) - 1) < 1e-9 else "noisier" if abs(float(b[i])) > 1e-12 else "prior"
            for i in range(d)]


@question("inverse", kind="derivation", difficulty=3, title="One DDRM update of an observed coordinate")
def ddrm_coordinate_update(rng):
    regime = rng.choice(["less", "noisier"])
    while True:
        s_i, sigma_y, ab_prev = nice(rng, 0.2, 1.5, 2), nice(rng, 0.05, 0.5, 2), nice(rng, 0.05, 0.95, 2)
        sigma = math.sqrt((1 - ab_prev) / ab_prev)
        ratio = s_i * sigma / sigma_y
        if not (ratio >= 1.15 if regime == "less" else ratio <= 0.87):
            continue
        x0, y_i, z = nice(rng, -1.5, 1.5, 2), nice(rng, -1.5, 1.5, 2), nice(rng, -1.5, 1.5, 2)
        eta, eta_b = nice(rng, 0.3, 0.9, 1), nice(rng, 0.5, 1.0, 1)
        y_bar = y_i / s_i
        if regime == "less":
            extra = math.sqrt(sigma**2 - eta_b**2 * sigma_y**2 / s_i**2)
            worked = (1 - eta_b) * x0 + eta_b * y_bar + extra * z
            m3 = [((1 - eta_b) * x0 + eta_b * y_bar + sigma * z, "the added noise has variance $\\sigma^2 - "
                   "\\eta_b^2\\sigma_y^2/s_i^2$, not $\\sigma^2$: $\\bar y_i$ already carries noise of standard "
                   "deviation $\\sigma_y/s_i$."),
                  ((1 - eta_b) * x0 + eta_b * y_i + math.sqrt(max(sigma**2 - eta_b**2 * sigma_y**2, 0)) * z,
                   "that uses $y_i$ where $\\bar y_i = y_i/s_i$ belongs."),
                  (x0 + math.sqrt(1 - eta**2) * sigma * s_i / sigma_y * (y_bar - x0) + eta * sigma * z,
                   "that is the rule for a measurement noisier than the step; here $s_i\\sigma \\ge \\sigma_y$.")]
        else:
            weight = math.sqrt(1 - eta**2) * sigma * s_i / sigma_y
            worked = x0 + weight * (y_bar - x0) + eta * sigma * z
            m3 = [(x0 + sigma * s_i / sigma_y * (y_bar - x0) + eta * sigma * z, "the pull is weighted by "
                   "$\\sqrt{1 - \\eta^2}$, so that with the fresh noise $\\eta\\sigma z$ the step keeps variance "
                   "$\\sigma^2$."),
                  (x0 + weight * (y_i - x0) + eta * sigma * z, "that uses $y_i$ where $\\bar y_i = y_i/s_i$ belongs."),
                  ((1 - eta_b) * x0 + eta_b * y_bar + sigma * z, "mixing $\\bar x_0$ and $\\bar y_i$ is the rule "
                   "for a measurement less noisy than the step; here $s_i\\sigma < \\sigma_y$.")]
        m1 = [(y_i, "that is $y_i$ itself; DDRM divides by the singular value."),
              (y_i * s_i, "that multiplies by $s_i$; DDRM divides by it.")]
        if abs(y_i) > 0.1 and abs(z) > 0.2 and abs(worked) > 0.05 and separated(y_bar, [m for m, _ in m1]) \
                and separated(worked, [m for m, _ in m3]):
            break
    singulars, d = [s_i], 2
    op = _diagonal(singulars, d)
    answer1 = float(op.V_T(op.H_pinv(scalars(y_i).reshape(1, 1)))[0, 0])
    found = _regimes(singulars, d, ab_prev, sigma_y)[0]
    assert found == regime
    scaled = _ddrm(singulars, d, [y_i], [0.3, 0.2], [x0, 0.0], [z, 0.0], ab_prev, ab_prev * 0.9, sigma_y, eta, eta_b)
    answer3 = float(scaled[0])
    wrong = [(_REGIMES[k], why) for k, why in (
        ("prior", "$s_i > 0$: the coordinate is observed, so $\\bar y_i$ is used."),
        ("noisier", f"$s_i\\sigma = {f(s_i * sigma, 4)} \\ge \\sigma_y = {sigma_y}$: the measurement is the less "
                    "noisy of the two."),
        ("less", f"$s_i\\sigma = {f(s_i * sigma, 4)} < \\sigma_y = {sigma_y}$: the measurement is noisier than the "
                 "step."),
    ) if k != regime]
    choice = shuffled_choice(rng, _REGIMES[regime], wrong)
    comparison = "\\ge" if regime == "less" else "<"
    if regime == "less":
        step3 = (f"(1 - {eta_b}) \\cdot {factor(x0)} + {eta_b} \\cdot {factor(float(f(y_bar, 6)))} + \\sqrt{{{f(sigma, 6)}^2 - "
                 f"{eta_b}^2 \\cdot {sigma_y}^2 / {s_i}^2}} \\cdot {factor(z)}")
    else:
        step3 = (f"{factor(x0)} + \\sqrt{{1 - {eta}^2}} \\cdot {f(sigma, 6)} \\cdot \\frac{{{s_i}}}{{{sigma_y}}} \\cdot "
                 f"({f(y_bar, 6)} - {factor(x0)}) + {eta} \\cdot {f(sigma, 6)} \\cdot {factor(z)}")
    return Draft(
        prompt=f"{_DDRM_RULES}\n\nOne spectral coordinate $i$ has the singular value $s_i = {s_i}$ and the measurement "
               f"$(U^\\top y)_i = {y_i}$, with $\\sigma_y = {sigma_y}$. The step goes to $\\bar\\alpha_{{t-1}} = {ab_prev}$; "
               f"the model predicts $\\bar x_{{0,i}} = {x0}$; $\\eta = {eta}$, $\\eta_b = {eta_b}$, and the noise draw "
               f"is $z_i = {z}$.",
        parts=[
            Part(ask="$\\bar y_i$ =", answer=Numeric(answer1, rtol=1e-3, near_misses=near_misses(m1)),
                 worked=repr(y_bar),
                 after="$\\bar y_i = (U^\\top y)_i / s_i$: the measurement expressed on the same scale as $\\bar x_i$, "
                       "with noise of standard deviation $\\sigma_y / s_i$. Next: which rule applies?"),
            Part(ask="which case of the update applies?", answer=choice, worked=choice.typed(),
                 after=f"$\\sigma_{{t-1}} = \\sqrt{{(1 - {ab_prev})/{ab_prev}}} = {f(sigma, 6)}$, so "
                       f"$s_i\\sigma_{{t-1}} = {f(s_i * sigma, 6)} {comparison} \\sigma_y = {sigma_y}$. Next: apply "
                       "that rule."),
            Part(ask="the scaled coordinate $\\bar x_{t-1,i}$ =",
                 answer=Numeric(answer3, rtol=1e-3, near_misses=near_misses(m3)), worked=repr(worked),
                 after="DDRM then multiplies by $\\sqrt{\\bar\\alpha_{t-1}}$ and maps back with $V$."),
        ],
        solution=f"**1.** $\\bar y_i = {y_i} / {s_i} = {f(y_bar, 6)}$.\n\n"
                 f"**2.** $\\sigma_{{t-1}} = {f(sigma, 6)}$ and $s_i\\sigma_{{t-1}} = {f(s_i * sigma, 6)} {comparison} "
                 f"{sigma_y}$: {_REGIMES[regime]}.\n\n"
                 f"**3.** $\\bar x_{{t-1,i}} = {step3} = {f(worked, 6)}$.")


@question("inverse", kind="numeric", difficulty=2, title="DDRM on a missing pixel")
def ddrm_unobserved_step(rng):
    while True:
        ab_t = nice(rng, 0.1, 0.8, 2)
        ab_prev = nice(rng, min(ab_t + 0.05, 0.9), 0.95, 2)
        x_t, x0, z = nice(rng, -2, 2, 2), nice(rng, -1, 1, 2), nice(rng, -1.5, 1.5, 2)
        eta = nice(rng, 0.2, 0.9, 1)
        sigma_t, sigma = math.sqrt((1 - ab_t) / ab_t), math.sqrt((1 - ab_prev) / ab_prev)
        eps_bar = (x_t / math.sqrt(ab_t) - x0) / sigma_t
        scaled = x0 + math.sqrt(1 - eta**2) * sigma * eps_bar + eta * sigma * z
        worked = math.sqrt(ab_prev) * scaled
        wrong_eps = (x_t - x0) / sigma_t
        eps = (x_t - math.sqrt(ab_t) * x0) / math.sqrt(1 - ab_t)  # the same as eps_bar
        ddim_eta = float(ddim.ddim_step(scalars(x_t).reshape(1, 1), torch.tensor([1]), torch.tensor([0]),
                                        scalars(eps).reshape(1, 1), scalars(ab_prev, ab_t), eta, scalars(z).reshape(1, 1))[0, 0])
        misses = [(scaled, "that is the scaled coordinate $\\bar x_{t-1}$; DDRM returns $x_{t-1} = "
                           "\\sqrt{\\bar\\alpha_{t-1}}\\,\\bar x_{t-1}$."),
                  (ddim_eta, "that is DDIM's step with the same $\\eta$, whose noise is $\\sigma_t(\\eta) = \\eta"
                             "\\sqrt{(1 - \\bar\\alpha_{t-1})/(1 - \\bar\\alpha_t)}\\sqrt{1 - \\bar\\alpha_t/"
                             "\\bar\\alpha_{t-1}}$; DDRM's $\\eta$ sets the scaled step's standard deviation to "
                             "$\\eta\\sigma_{t-1}$, i.e. $\\eta\\sqrt{1 - \\bar\\alpha_{t-1}}$ unscaled."),
                  (math.sqrt(ab_prev) * (x0 + math.sqrt(1 - eta**2) * sigma * wrong_eps + eta * sigma * z),
                   "$\\bar\\epsilon$ is computed in the scaled variable: $\\bar x_t = x_t/\\sqrt{\\bar\\alpha_t}$, "
                   "then $\\bar\\epsilon = (\\bar x_t - \\bar x_0)/\\sigma_t$."),
                  (math.sqrt(ab_prev) * (x0 + sigma * eps_bar + eta * sigma * z), "the deterministic part is "
                   "weighted by $\\sqrt{1 - \\eta^2}$, so that the step keeps the variance $\\sigma_{t-1}^2$.")]
        if abs(worked) > 0.05 and separated(worked, [m for m, _ in misses]):
            break
    op = inverse.Inpainting(torch.tensor([True, False]))
    out = inverse.ddrm_step(scalars(0.1, x_t).reshape(1, 2), torch.tensor([1]), torch.tensor([0]), scalars(0.0, x0).reshape(1, 2),
                            scalars(0.4).reshape(1, 1), op, scalars(ab_prev, ab_t), 0.1, eta, 1.0, scalars(0.0, z).reshape(1, 2))
    answer = float(out[0, 1])
    return Draft(
        prompt=f"{_DDRM_RULES}\n\nIn an inpainting problem ($U = I$, $V$ a permutation, singular value 1 on every "
               f"observed pixel) pixel $j$ is missing: its spectral coordinate lies in the null space, $s_j = 0$. "
               f"At this step $\\bar\\alpha_t = {ab_t}$, $\\bar\\alpha_{{t-1}} = {ab_prev}$, "
               f"the current (unscaled) value is $x_{{t,j}} = {x_t}$, the model predicts $\\hat x_{{0,j}} = {x0}$, "
               f"DDRM's $\\eta = {eta}$ and the noise draw is $z_j = {z}$. What is the (unscaled) $x_{{t-1,j}}$?",
        parts=[Part(ask="$x_{t-1,j}$ =", answer=Numeric(answer, rtol=1e-3, near_misses=near_misses(misses)),
                    worked=repr(worked))],
        solution=f"The measurement says nothing about pixel $j$: DDRM takes a DDIM-like step on it. "
                 f"$\\sigma_t = \\sqrt{{(1 - {ab_t})/{ab_t}}} = {f(sigma_t, 6)}$, $\\sigma_{{t-1}} = "
                 f"\\sqrt{{(1 - {ab_prev})/{ab_prev}}} = {f(sigma, 6)}$. Scaled: $\\bar x_{{t,j}} = {x_t}/\\sqrt{{{ab_t}}} = "
                 f"{f(x_t / math.sqrt(ab_t), 6)}$, so $\\bar\\epsilon_j = ({f(x_t / math.sqrt(ab_t), 6)} - {factor(x0)})/"
                 f"{f(sigma_t, 6)} = {f(eps_bar, 6)}$. Then $\\bar x_{{t-1,j}} = {factor(x0)} + \\sqrt{{1 - {eta}^2}} \\cdot "
                 f"{f(sigma, 6)} \\cdot {factor(float(f(eps_bar, 6)))} + {eta} \\cdot {f(sigma, 6)} \\cdot {factor(z)} = "
                 f"{f(scaled, 6)}$, and $x_{{t-1,j}} = \\sqrt{{{ab_prev}}} \\cdot {factor(float(f(scaled, 6)))} = "
                 f"{f(worked, 6)}$.")


@question("inverse", kind="choice", difficulty=2, title="DDRM's three cases")
def ddrm_cases(rng):
    ask = rng.choice(["less", "noisier", "prior"])
    while True:
        zero = rng.random() < 0.5
        s = [nice(rng, 0.05, 1.5, 2) for _ in range(4)]
        if zero:
            s[rng.randrange(4)] = 0.0
        sigma_y, ab_prev = nice(rng, 0.05, 0.3, 2), nice(rng, 0.3, 0.95, 2)
        sigma = math.sqrt((1 - ab_prev) / ab_prev)
        ratios = [si * sigma / sigma_y for si in s if si > 0]
        cases = ["prior" if si == 0 else "less" if si * sigma >= sigma_y else "noisier" for si in s] + ["prior"] * 2
        if all(abs(r - 1) > 0.05 for r in ratios) and "less" in cases and "noisier" in cases:
            break
    found = _regimes(s, 6, ab_prev, sigma_y)
    assert found == cases

    def text(indices):
        if not indices:
            return "none of them"
        return ("coordinate " if len(indices) == 1 else "coordinates ") + ", ".join(str(i + 1) for i in indices)

    sets = {k: [i for i, c in enumerate(found) if c == k] for k in _REGIMES}
    plain = [i for i in range(4) if s[i] > 0 and sigma >= sigma_y]  # comparing sigma with sigma_y, s_i forgotten
    first_m_zero = [4, 5]
    candidates = [(text(sets[k]), f"those are the coordinates of another case: {_REGIMES[k]}.") for k in _REGIMES
                  if k != ask]
    if ask == "less":
        candidates.append((text(plain), "that compares $\\sigma_{t-1}$ with $\\sigma_y$ directly; the measurement's "
                                        "noise on $\\bar y_i$ is $\\sigma_y/s_i$, so the test is $s_i\\sigma_{t-1} "
                                        "\\ge \\sigma_y$."))
    elif ask == "prior":
        candidates.append((text(first_m_zero), "a zero singular value among the first $m$ also loses its coordinate: "
                                               "DDRM treats $s_i = 0$ as unobserved."))
    else:
        candidates.append((text([i for i in range(4) if s[i] > 0]), "only the observed coordinates with "
                                                                    "$s_i\\sigma_{t-1} < \\sigma_y$ take this rule."))
    correct = text(sets[ask])
    wrong, seen = [], {correct}
    for option, why in candidates:
        if option not in seen:
            wrong.append((option, why))
            seen.add(option)
    choice = shuffled_choice(rng, correct, wrong)
    question_text = {"less": "are updated by the 'less noisy' rule (a mix of $\\bar x_0$ and $\\bar y_i$)",
                     "noisier": "are updated by the 'noisier' rule (a partial pull towards $\\bar y_i$)",
                     "prior": "ignore $y$ entirely (the DDIM-like step of an unobserved coordinate)"}[ask]
    table = ", ".join(f"s_{i + 1} = {si:g}" for i, si in enumerate(s))
    return Draft(
        prompt=f"{_DDRM_RULES}\n\nA degradation has $d = 6$ spectral coordinates and $m = 4$ measurements, with "
               f"singular values ${table}$ (coordinates 5 and 6 span the null space of $H$), and $\\sigma_y = "
               f"{sigma_y}$. At a step to $\\bar\\alpha_{{t-1}} = {ab_prev}$, which coordinates {question_text}?",
        parts=[Part(ask="Choose one:", answer=choice, worked=choice.typed(),
                    after=f"$\\sigma_{{t-1}} = \\sqrt{{(1 - {ab_prev})/{ab_prev}}} = {f(sigma, 4)}$. Compare each "
                          f"$s_i\\sigma_{{t-1}}$ with $\\sigma_y = {sigma_y}$: "
                          + ", ".join(f"$s_{i + 1}\\sigma_{{t-1}} = {f(s[i] * sigma, 3)}$" for i in range(4) if s[i] > 0)
                          + ". Zero singular values and the null space are unobserved.")],
        solution=f"{correct}. Less noisy: {text(sets['less'])}; noisier: {text(sets['noisier'])}; "
                 f"unobserved: {text(sets['prior'])}.")


# ---------------------------------------------------------------------------------------------- DPS and ΠGDM
@question("inverse", kind="derivation", difficulty=3, title="A DPS step for a scalar problem")
def dps_scalar(rng):
    while True:
        v0, ab_t = nice(rng, 0.2, 2, 2), nice(rng, 0.1, 0.8, 2)
        ab_prev = nice(rng, min(ab_t + 0.05, 0.9), 0.95, 2)
        x_t, h, y = nice(rng, -2, 2, 2), nice(rng, 0.5, 2, 2), nice(rng, -2, 2, 2)
        zeta = nice(rng, 0.1, 1.0, 2)
        c = math.sqrt(ab_t) * v0 / (ab_t * v0 + 1 - ab_t)
        x0 = c * x_t
        r = y - h * x0
        sign = 1.0 if r > 0 else -1.0
        grad_w = -h * c * sign
        eps = (x_t - math.sqrt(ab_t) * x0) / math.sqrt(1 - ab_t)
        uncond = math.sqrt(ab_prev) * x0 + math.sqrt(1 - ab_prev) * eps
        worked = uncond - zeta * grad_w
        m1 = [(x_t / math.sqrt(ab_t), "that drops the noise ($\\epsilon_\\theta = 0$): the posterior mean shrinks "
                                      "towards the prior mean."),
              (math.sqrt(ab_t) * x_t, "that is the denoiser of a unit-variance prior; here $v_0$ enters.")]
        m2 = [(-h * sign, "that is the gradient with respect to $\\hat x_0$; the chain rule through the denoiser "
                          "multiplies by $d\\hat x_0/dx_t$."),
              (-2 * h * c * r, "that is the gradient of the squared norm; the step uses the plain norm, whose "
                               "gradient has the residual normalised to $\\pm 1$."),
              (-c * sign, "$h$ is missing: the residual is $y - h\\hat x_0$.")]
        m3 = [(uncond + zeta * grad_w, "the sign: DPS descends the residual norm, $x_{t-1} = x'_{t-1} - \\zeta\\nabla$."),
              (uncond, "that is the unconditional DDIM step alone; DPS then subtracts $\\zeta$ times the gradient."),
              (uncond + zeta * 2 * h * c * r, "that steps along the squared norm's gradient; with this $\\zeta$ the "
                                              "norm is not squared.")]
        ok = abs(r) > 0.1 and abs(x0) > 0.05 and abs(worked) > 0.05 and abs(v0 - 1) > 0.05
        ok = ok and all(separated(a, [m for m, _ in ms]) for a, ms in ((x0, m1), (grad_w, m2), (worked, m3)))
        if ok:
            break
    alpha_bar = scalars(ab_prev, ab_t)
    eps_model = _gaussian_eps(v0, alpha_bar)
    op = _diagonal([h], 1)
    xt, t, t_prev, zero = scalars(x_t).reshape(1, 1), torch.tensor([1]), torch.tensor([0]), scalars(0.0).reshape(1, 1)
    x0_hat = float(gmm.GaussianMixture(scalars(1.0), scalars(0.0).reshape(1, 1), scalars(v0).reshape(1, 1, 1)).denoise_vp(xt, ab_t)[0, 0])
    step = inverse.dps_step(xt, t, t_prev, eps_model, scalars(y).reshape(1, 1), op, alpha_bar, zeta, 0.0, zero)
    plain = ddim.ddim_step(xt, t, t_prev, eps_model(xt, t), alpha_bar, 0.0, zero)
    answer3 = float(step[0, 0])
    grad = float((plain - step)[0, 0]) / zeta
    return Draft(
        prompt=f"DPS (Chung et al. 2023) for a scalar: the prior is $x_0 \\sim \\mathcal N(0, v_0)$ with $v_0 = {v0}$, "
               f"so the exact denoiser is linear, and $y = h x_0 + n$ with $h = {h}$ and $y = {y}$. At "
               f"$\\bar\\alpha_t = {ab_t}$ the current sample is $x_t = {x_t}$. DPS computes the unconditional step "
               f"$x'_{{t-1}}$ (here deterministic DDIM, $\\eta = 0$, to $\\bar\\alpha_{{t-1}} = {ab_prev}$) and sets "
               f"$x_{{t-1}} = x'_{{t-1}} - \\zeta\\,\\nabla_{{x_t}} \\lVert y - h\\hat x_0(x_t) \\rVert$ "
               f"with $\\zeta = {zeta}$ "
               "(the plain norm, as in the official code and course_core; Algorithm 1 writes $\\zeta_i\\nabla\\lVert "
               "\\cdot\\rVert^2$ with $\\zeta_i = \\zeta'/\\lVert y - H\\hat x_0\\rVert$, the same step for "
               "$\\zeta = 2\\zeta'$).",
        parts=[
            Part(ask="$\\hat x_0(x_t) = \\mathbb E[x_0 \\mid x_t]$ =",
                 answer=Numeric(x0_hat, rtol=1e-3, near_misses=near_misses(m1)), worked=repr(x0),
                 after="Gaussian posterior mean with $h = \\sqrt{\\bar\\alpha_t}$ and noise variance $1 - "
                       "\\bar\\alpha_t$: $\\hat x_0 = \\frac{\\sqrt{\\bar\\alpha_t} v_0}{\\bar\\alpha_t v_0 + 1 - "
                       "\\bar\\alpha_t} x_t$. Next: differentiate the residual norm through it."),
            Part(ask="$\\nabla_{x_t}\\lVert y - h\\hat x_0(x_t)\\rVert$ =",
                 answer=Numeric(grad, rtol=1e-3, near_misses=near_misses(m2)), worked=repr(grad_w),
                 after="$\\frac{d}{dx_t}|y - h c x_t| = -h c\\,\\mathrm{sign}(y - h\\hat x_0)$ with $c = d\\hat x_0/dx_t$. "
                       "Next: the DDIM step and the correction."),
            Part(ask="$x_{t-1}$ =", answer=Numeric(answer3, rtol=1e-3, near_misses=near_misses(m3)), worked=repr(worked),
                 after="The correction moves $x_t$'s successor so that $h\\hat x_0$ gets closer to $y$; its size is "
                       "$\\zeta h c$ whatever the residual's magnitude."),
        ],
        solution=f"**1.** $c = \\frac{{\\sqrt{{{ab_t}}} \\cdot {v0}}}{{{ab_t} \\cdot {v0} + 1 - {ab_t}}} = {f(c, 6)}$, "
                 f"$\\hat x_0 = c\\,x_t = {f(x0, 6)}$.\n\n"
                 f"**2.** The residual $y - h\\hat x_0 = {f(r, 6)}$ has sign ${'+' if r > 0 else '-'}1$, so the "
                 f"gradient is $-h c\\,\\mathrm{{sign}}(r) = {f(grad_w, 6)}$.\n\n"
                 f"**3.** $\\epsilon_\\theta = (x_t - \\sqrt{{\\bar\\alpha_t}}\\hat x_0)/\\sqrt{{1 - \\bar\\alpha_t}} = "
                 f"{f(eps, 6)}$; DDIM: $x'_{{t-1}} = \\sqrt{{{ab_prev}}}\\,\\hat x_0 + \\sqrt{{1 - {ab_prev}}}\\,"
                 f"\\epsilon_\\theta = {f(uncond, 6)}$; $x_{{t-1}} = {f(uncond, 6)} - {zeta} \\cdot "
                 f"{factor(float(f(grad_w, 6)))} = {f(worked, 6)}$.")


@question("inverse", kind="numeric", difficulty=3, title="A ΠGDM step for inpainting")
def pigdm_inpainting(rng):
    while True:
        v0, ab_t = nice(rng, 0.2, 2, 2), nice(rng, 0.1, 0.8, 2)
        ab_prev = nice(rng, min(ab_t + 0.05, 0.9), 0.95, 2)
        x1, x2, y = nice(rng, -2, 2, 2), nice(rng, -2, 2, 2), nice(rng, -1, 1, 2)
        c = math.sqrt(ab_t) * v0 / (ab_t * v0 + 1 - ab_t)
        x0 = c * x1
        eps = (x1 - math.sqrt(ab_t) * x0) / math.sqrt(1 - ab_t)
        uncond = math.sqrt(ab_prev) * x0 + math.sqrt(1 - ab_prev) * eps
        g = c * (y - x0)
        worked = uncond + math.sqrt(ab_t) * g
        misses = [(uncond + g, "Algorithm 1 weights the guidance by $\\sqrt{\\bar\\alpha_t}$."),
                  (uncond + math.sqrt(ab_t) * (y - x0), "the vector-Jacobian product is missing: $g$ is "
                   "$(H^\\dagger y - H^\\dagger H\\hat x_0)^\\top \\partial\\hat x_0/\\partial x_t$, and here "
                   "$\\partial\\hat x_{0,1}/\\partial x_{t,1} = c$."),
                  (uncond, "that is the unconditional DDIM step; ΠGDM adds the guidance term."),
                  (uncond - math.sqrt(ab_t) * g, "the sign: the guidance moves $\\hat x_0$ towards the measurement.")]
        if abs(y - x0) > 0.1 and abs(worked) > 0.05 and separated(worked, [m for m, _ in misses]):
            break
    alpha_bar = scalars(ab_prev, ab_t)
    op = inverse.Inpainting(torch.tensor([True, False]))
    out = inverse.pigdm_step(scalars(x1, x2).reshape(1, 2), torch.tensor([1]), torch.tensor([0]), _gaussian_eps(v0, alpha_bar),
                             scalars(y).reshape(1, 1), op, alpha_bar, 0.0, torch.zeros(1, 2, dtype=F64))
    answer = float(out[0, 0])
    return Draft(
        prompt="ΠGDM (Song, Vahdat, Mardani and Kautz 2023, Algorithm 1, noiseless $y = Hx_0$, with DDIM) updates "
               "$x_{t-1} = x'_{t-1} + \\sqrt{\\bar\\alpha_t}\\, g$, where $x'_{t-1}$ is the unconditional DDIM step "
               "($\\eta = 0$ here) and $g = \\left((H^\\dagger y - H^\\dagger H\\hat x_0)^\\top \\frac{\\partial\\hat x_0}"
               "{\\partial x_t}\\right)^\\top$ is a vector-Jacobian product through the denoiser. Two pixels, "
               f"pixel 1 observed ($y = {y}$) and pixel 2 missing (inpainting). The prior makes the pixels independent, "
               f"each $\\mathcal N(0, v_0)$ with $v_0 = {v0}$, so the exact denoiser acts pixel by pixel: "
               "$\\hat x_{0,j} = \\frac{\\sqrt{\\bar\\alpha_t} v_0}{\\bar\\alpha_t v_0 + 1 - \\bar\\alpha_t} "
               "x_{t,j}$. "
               f"At $\\bar\\alpha_t = {ab_t}$, $x_t = ({x1}, {x2})$, stepping to $\\bar\\alpha_{{t-1}} = {ab_prev}$: what is "
               "pixel 1 of $x_{t-1}$?",
        parts=[Part(ask="$x_{t-1,1}$ =", answer=Numeric(answer, rtol=1e-3, near_misses=near_misses(misses)),
                    worked=repr(worked))],
        solution=f"$c = \\partial\\hat x_{{0,1}}/\\partial x_{{t,1}} = {f(c, 6)}$ and $\\hat x_{{0,1}} = {f(x0, 6)}$. "
                 "For inpainting $H^\\dagger y$ puts $y$ on the observed pixel and $H^\\dagger H\\hat x_0$ keeps the "
                 "observed pixel of $\\hat x_0$, so the direction is $(y - \\hat x_{0,1}, 0)$ and, the Jacobian being "
                 f"diagonal, $g_1 = c\\,(y - \\hat x_{{0,1}}) = {f(g, 6)}$ (and $g_2 = 0$). DDIM: $\\epsilon_\\theta = "
                 f"(x_{{t,1}} - \\sqrt{{\\bar\\alpha_t}}\\hat x_{{0,1}})/\\sqrt{{1 - \\bar\\alpha_t}} = {f(eps, 6)}$, "
                 f"$x'_{{t-1,1}} = \\sqrt{{{ab_prev}}}\\,\\hat x_{{0,1}} + \\sqrt{{1 - {ab_prev}}}\\,\\epsilon_\\theta = "
                 f"{f(uncond, 6)}$. Then $x_{{t-1,1}} = {f(uncond, 6)} + \\sqrt{{{ab_t}}} \\cdot {factor(float(f(g, 6)))} = "
                 f"{f(worked, 6)}$.")


_STATEMENTS = [
    ("For a Gaussian prior, a linear $H$ and Gaussian noise, the MAP and MMSE estimates of $x$ coincide.", True,
     "The posterior is Gaussian, so its mode and its mean are the same point."),
    ("The MMSE estimate $\\mathbb E[x \\mid y]$ is a typical sample of the posterior $p(x \\mid y)$.", False,
     "It is the posterior's average: for an ill-posed problem it blurs over the plausible solutions (and may even "
     "lie between modes). Posterior sampling draws typical, sharp solutions instead."),
    ("DPS needs the SVD of $H$.", False,
     "DPS only applies $H$ and differentiates $\\lVert y - H\\hat x_0(x_t)\\rVert$; it even works for nonlinear "
     "forward models."),
    ("DDRM needs the SVD of $H$ (a way to apply $V$, $V^\\top$, $U$, $U^\\top$ and the singular values).", True,
     "Its update is defined coordinate by coordinate in the spectral space $\\bar x = V^\\top x$."),
    ("In DDRM, a spectral coordinate whose singular value is 0 is pulled towards $\\bar y_i$.", False,
     "$s_i = 0$ means $y$ carries no information on that coordinate: DDRM takes a DDIM-like step from $\\bar x_0$ "
     "alone, leaving it to the prior."),
    ("Following the paper's Eq. (8) (where $s_i\\sigma \\ge \\sigma_y$ is the 'less noisy' case), DDRM with "
     "$\\sigma_y = 0$ and $\\eta_b = 1$ ends on a sample with $Hx = y$ exactly.", True,
     "With $\\sigma_y = 0$, $s_i\\sigma \\ge 0 = \\sigma_y$ at every step, so every observed coordinate ($s_i > 0$) "
     "takes the 'less noisy' rule, which with $\\eta_b = 1$ sets $\\bar x_i = \\bar y_i$ plus noise of standard deviation "
     "$\\sigma$; on the last step $\\sigma = 0$ (the boundary case $0 \\ge 0$). Then $Hx = U\\Sigma V^\\top x = "
     "U\\Sigma\\bar y = y$ (where $s_i = 0$, $(U^\\top y)_i = 0$ since $y = Hx_0$)."),
    ("DPS differentiates through the denoiser network, which costs a backward pass per sampling step.", True,
     "The gradient $\\nabla_{x_t}\\lVert y - H\\hat x_0(x_t)\\rVert$ runs through $\\hat x_0(x_t)$, i.e. through "
     "$\\epsilon_\\theta$: a vector-Jacobian product."),
    ("ΠGDM (Algorithm 1) needs no gradient through the network.", False,
     "Its guidance $((H^\\dagger y - H^\\dagger H\\hat x_0)^\\top \\partial\\hat x_0/\\partial x_t)^\\top$ is a "
     "vector-Jacobian product through the denoiser, like DPS's."),
    ("With a prior that makes the pixels independent, ΠGDM's guidance for inpainting is zero on the missing "
     "pixels.", True,
     "The Jacobian $\\partial\\hat x_0/\\partial x_t$ is then diagonal and the direction $H^\\dagger y - H^\\dagger H"
     "\\hat x_0$ vanishes on missing pixels. A real image prior correlates pixels, and its Jacobian carries the "
     "measurement into the holes."),
    ("Super-resolution by average pooling has a unique solution when $\\sigma_y = 0$.", False,
     "$H$ has a null space of dimension $d(1 - 1/f^2)$: infinitely many images share the block means; the prior "
     "chooses among them."),
    ("In DPS with $\\zeta_i = \\zeta'/\\lVert y - H\\hat x_0\\rVert$, the guidance step does not grow with the "
     "size of the residual: only its direction $r/\\lVert r\\rVert$ enters.", True,
     "With $r = y - H\\hat x_0$ and $J = \\partial\\hat x_0/\\partial x_t$, $\\zeta_i\\nabla\\lVert r\\rVert^2 = "
     "2\\zeta'\\nabla\\lVert r\\rVert = -2\\zeta' J^\\top H^\\top r/\\lVert r\\rVert$: only the residual's direction "
     "matters."),
]


@question("inverse", kind="true-false", difficulty=2, title="Inverse problems: true or false")
def inverse_true_false(rng):
    statement, is_true, why = rng.choice(_STATEMENTS)
    answer = true_false(is_true, why)
    return Draft(prompt=f"True or false? {statement}",
                 parts=[Part(ask="true or false:", answer=answer, worked=answer.typed(), after=why)],
                 solution=f"{'True' if is_true else 'False'}. {why}")
