"""Chapter 1, mathematical tools: Gaussians (affine maps, conditioning, marginals), Bayes' rule, expectations, the
KL divergence between Gaussians, scores (gradients of log-densities) of Gaussians and mixtures, and the change of
variables. Answers come from `course_core.ddpm.normal_kl`, `course_core.gmm` and `course_core.priors`; worked
solutions recompute them by hand, in plain floating point."""

from __future__ import annotations

import math

import torch

from course_core import ddpm, gmm, priors

from ..answers import Numeric, Symbolic, Var, format_number as f
from ..question import (Draft, Part, agrees, factor, near_misses, nice, question, scalars, separated,
                        shuffled_choice, true_false)

F64 = torch.float64
LOG_2PI = math.log(2 * math.pi)


def _kl(m1: float, s1: float, m2: float, s2: float) -> float:
    """KL(N(m1, s1^2) || N(m2, s2^2)) by hand (standard deviations s1, s2)."""
    return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


def _log_normal(x: float, m: float, s: float) -> float:
    """log N(x; m, s^2) by hand."""
    return -0.5 * LOG_2PI - math.log(s) - (x - m) ** 2 / (2 * s**2)


def _vec(values) -> str:
    return "(" + ", ".join(f"{v}" for v in values) + ")"


@question("tools", kind="numeric", difficulty=1, title="KL divergence between two 1-D Gaussians")
def kl_gaussians_1d(rng):
    while True:
        m1, m2 = nice(rng, -2, 2, 1), nice(rng, -2, 2, 1)
        s1, s2 = nice(rng, 0.3, 2.5, 2), nice(rng, 0.3, 2.5, 2)
        answer = float(ddpm.normal_kl(scalars(m1), 2 * math.log(s1), scalars(m2), 2 * math.log(s2))[0])
        misses = [(_kl(m2, s2, m1, s1), "that is $\\mathrm{KL}(q \\| p)$: the KL divergence is not symmetric; in "
                   "$\\mathrm{KL}(p \\| q)$ the expectation is under $p$ and $q$'s variance is in the denominators."),
                  (_kl(m1, s1, m1, s2), "the mean term $(\\mu_1 - \\mu_2)^2 / (2\\sigma_2^2)$ is missing."),
                  (answer + math.log(s2 / s1), "the log term is $\\log(\\sigma_2/\\sigma_1) = \\frac{1}{2}"
                   "\\log(\\sigma_2^2/\\sigma_1^2)$: the factor $\\frac{1}{2}$ on the log of the variance ratio is "
                   "missing.")]
        if answer > 0.02 and separated(answer, [v for v, _ in misses]):
            break
    worked = _kl(m1, s1, m2, s2)
    return Draft(
        prompt=f"Let $p = \\mathcal N(\\mu_1, \\sigma_1^2)$ and $q = \\mathcal N(\\mu_2, \\sigma_2^2)$ with $\\mu_1 = "
               f"{m1}$, $\\sigma_1 = {s1}$, $\\mu_2 = {m2}$, $\\sigma_2 = {s2}$ ($\\sigma$: standard deviations). "
               "Compute $\\mathrm{KL}(p \\| q)$ in nats.",
        parts=[Part(ask="$\\mathrm{KL}(p \\| q)$ =", answer=Numeric(answer, rtol=1e-3, near_misses=near_misses(misses)),
                    worked=repr(worked))],
        solution="$\\mathrm{KL}(p \\| q) = \\mathbb E_p[\\log p(x) - \\log q(x)]$; with $\\mathbb E_p[(x - \\mu_2)^2] = "
                 "\\sigma_1^2 + (\\mu_1 - \\mu_2)^2$ this gives $\\mathrm{KL}(p \\| q) = \\log\\frac{\\sigma_2}{\\sigma_1}"
                 " + \\frac{\\sigma_1^2 + (\\mu_1 - \\mu_2)^2}{2\\sigma_2^2} - \\frac{1}{2}$. Here: "
                 f"$\\log\\frac{{{s2}}}{{{s1}}} + \\frac{{{s1}^2 + ({factor(m1)} - {factor(m2)})^2}}{{2 \\cdot {s2}^2}} - "
                 f"\\frac{{1}}{{2}} = {f(math.log(s2 / s1), 6)} + {f((s1**2 + (m1 - m2) ** 2) / (2 * s2**2), 6)} - 0.5 "
                 f"= {f(worked, 6)}$ nats.")


@question("tools", kind="numeric", difficulty=2, title="KL divergence between diagonal Gaussians")
def kl_diagonal_gaussians(rng):
    vae = rng.random() < 0.5
    d = 3 if vae else 2
    while True:
        mu1 = [nice(rng, -1.5, 1.5, 1) for _ in range(d)]
        s1 = [nice(rng, 0.3, 2, 2) for _ in range(d)]
        mu2 = [0.0] * d if vae else [nice(rng, -1.5, 1.5, 1) for _ in range(d)]
        s2 = [1.0] * d if vae else [nice(rng, 0.3, 2, 2) for _ in range(d)]
        answer = float(priors.gaussian_kl(scalars(*mu1), torch.diag(scalars(*s1) ** 2), scalars(*mu2), torch.diag(scalars(*s2) ** 2)))
        agrees(answer, float(ddpm.normal_kl(scalars(*mu1), 2 * torch.log(scalars(*s1)), scalars(*mu2), 2 * torch.log(scalars(*s2))).sum()))
        terms = [_kl(a, b, c, e) for a, b, c, e in zip(mu1, s1, mu2, s2)]
        std_for_var = sum(math.log(e / b) + (b + (a - c) ** 2) / (2 * e) - 0.5 for a, b, c, e in zip(mu1, s1, mu2, s2))
        misses = [(sum(_kl(c, e, a, b) for a, b, c, e in zip(mu1, s1, mu2, s2)), "that is the reverse divergence "
                   "$\\mathrm{KL}(q \\| p)$; the order matters."),
                  (answer / d, f"that is the average over the {d} coordinates; for independent coordinates the KL "
                   "divergences add up."),
                  (std_for_var, "the standard deviations stand where the variances belong: the terms are "
                   "$\\sigma_{1,i}^2 / \\sigma_{2,i}^2$ and $(\\mu_{1,i} - \\mu_{2,i})^2 / \\sigma_{2,i}^2$.")]
        if answer > 0.05 and separated(answer, [v for v, _ in misses]):
            break
    worked = sum(terms)
    q_text = ("the standard normal $q = \\mathcal N(0, I_3)$ (the KL term of a VAE's loss)" if vae else
              f"$q = \\mathcal N(\\mu_2, \\mathrm{{diag}}(\\sigma_2^2))$ with $\\mu_2 = {_vec(mu2)}$, $\\sigma_2 = "
              f"{_vec(s2)}$")
    return Draft(
        prompt=f"Let $p = \\mathcal N(\\mu_1, \\mathrm{{diag}}(\\sigma_1^2))$ in $\\mathbb R^{d}$ with $\\mu_1 = "
               f"{_vec(mu1)}$ and standard deviations $\\sigma_1 = {_vec(s1)}$, and {q_text}. Compute "
               "$\\mathrm{KL}(p \\| q)$ in nats.",
        parts=[Part(ask="$\\mathrm{KL}(p \\| q)$ =", answer=Numeric(answer, rtol=1e-3, near_misses=near_misses(misses)),
                    worked=repr(worked))],
        solution="Both densities factor over the coordinates, so the KL divergence is the sum of 1-D ones, "
                 "$\\sum_i \\left(\\log\\frac{\\sigma_{2,i}}{\\sigma_{1,i}} + \\frac{\\sigma_{1,i}^2 + (\\mu_{1,i} - "
                 "\\mu_{2,i})^2}{2\\sigma_{2,i}^2} - \\frac{1}{2}\\right)$"
                 + (" (against $\\mathcal N(0, I)$: $\\frac{1}{2}\\sum_i (\\mu_i^2 + \\sigma_i^2 - 1 - \\log\\sigma_i^2)$,"
                    " Kingma and Welling 2014, arXiv:1312.6114, Appendix B)" if vae else "")
                 + ". Per coordinate: $" + " + ".join(f(x, 6) for x in terms) + f" = {f(worked, 6)}$ nats.")


@question("tools", kind="derivation", difficulty=2, title="Conditioning a bivariate Gaussian")
def gaussian_conditioning(rng):
    while True:
        m1, m2 = nice(rng, -2, 2, 1), nice(rng, -2, 2, 1)
        a, b = nice(rng, 0.5, 4, 1), nice(rng, 0.5, 4, 1)
        c = nice(rng, -0.85, 0.85, 2) * math.sqrt(a * b)
        c = round(c, 1)
        v = nice(rng, -3, 3, 1)
        if abs(c) < 0.2 or c * c >= 0.8 * a * b:
            continue
        mean, var = priors.gaussian_condition(scalars(m1), scalars(m2), scalars(a).reshape(1, 1), scalars(c).reshape(1, 1),
                                              scalars(b).reshape(1, 1), scalars(v).reshape(1, 1))
        mean, var = float(mean[0, 0]), float(var[0, 0])
        k = c / b
        m_gain = [(c / a, "that divides by $\\Sigma_{11}$; the gain divides by the variance of the *observed* "
                   "variable, $\\Sigma_{22}$."),
                  (c / math.sqrt(a * b), "that is the correlation coefficient $\\rho$; the gain is "
                   "$\\rho\\,\\sigma_1/\\sigma_2 = \\Sigma_{12}/\\Sigma_{22}$."),
                  (b / c, "the ratio is upside down: $k = \\Sigma_{12}\\Sigma_{22}^{-1}$.")]
        m_mean = [(m1, "that is the prior mean; observing a correlated $x_2$ moves the mean of $x_1$."),
                  (m1 + k * v, "$x_2$ must be centred: the correction is $k (x_2 - \\mu_2)$, not $k x_2$."),
                  (m1 + c / a * (v - m2), "the gain divides by $\\Sigma_{22}$, the observed variable's variance, "
                   "not by $\\Sigma_{11}$.")]
        m_var = [(a, "that is the prior variance $\\Sigma_{11}$; observing a correlated variable reduces it."),
                 (c * c / b, "that is the part of the variance explained by $x_2$; the conditional variance is "
                  "what remains, $\\Sigma_{11} - \\Sigma_{12}^2/\\Sigma_{22}$."),
                 (a - c * c / a, "the Schur complement divides by $\\Sigma_{22}$, not $\\Sigma_{11}$.")]
        if (abs(mean) > 0.05 and separated(k, [x for x, _ in m_gain]) and separated(mean, [x for x, _ in m_mean])
                and separated(var, [x for x, _ in m_var])):
            break
    w_mean, w_var = m1 + k * (v - m2), a - c * c / b
    return Draft(
        prompt=f"$(x_1, x_2)$ is jointly Gaussian with mean $(\\mu_1, \\mu_2) = ({m1}, {m2})$ and covariance "
               f"$\\Sigma = \\begin{{pmatrix}} {a} & {c} \\\\ {c} & {b} \\end{{pmatrix}}$. We observe $x_2 = {v}$. "
               "Derive the conditional law $p(x_1 \\mid x_2)$ step by step.",
        parts=[
            Part(ask="the gain $k$ in $\\mathbb E[x_1 \\mid x_2] = \\mu_1 + k (x_2 - \\mu_2)$: $k$ =",
                 answer=Numeric(k, rtol=1e-3, near_misses=near_misses(m_gain)), worked=repr(c / b),
                 after="The gain is $\\Sigma_{12}\\Sigma_{22}^{-1}$, the regression coefficient of $x_1$ on $x_2$. "
                       "Now apply it to the observed deviation $x_2 - \\mu_2$."),
            Part(ask=f"$\\mathbb E[x_1 \\mid x_2 = {v}]$ =", answer=Numeric(mean, rtol=1e-3, near_misses=near_misses(m_mean)),
                 worked=repr(w_mean),
                 after="The conditional mean moves linearly with the observation. The conditional variance is the "
                       "Schur complement of $\\Sigma_{22}$, and it does not depend on the observed value."),
            Part(ask="$\\mathrm{Var}[x_1 \\mid x_2]$ =", answer=Numeric(var, rtol=1e-3, near_misses=near_misses(m_var)),
                 worked=repr(w_var),
                 after="Conditioning never increases a Gaussian's variance; it equals $\\Sigma_{11}(1 - \\rho^2)$."),
        ],
        solution="For a jointly Gaussian pair (Bishop 2006, Sec. 2.3.1): $\\mathbb E[x_1 \\mid x_2] = \\mu_1 + "
                 "\\Sigma_{12}\\Sigma_{22}^{-1}(x_2 - \\mu_2)$ and $\\mathrm{Var}[x_1 \\mid x_2] = \\Sigma_{11} - "
                 "\\Sigma_{12}\\Sigma_{22}^{-1}\\Sigma_{21}$.\n\n"
                 f"**1.** $k = \\Sigma_{{12}} / \\Sigma_{{22}} = {c} / {b} = {f(c / b, 6)}$.\n\n"
                 f"**2.** $\\mathbb E[x_1 \\mid x_2] = {m1} + {factor(c / b, 6)} \\cdot ({v} - {factor(m2)}) = {f(w_mean, 6)}$.\n\n"
                 f"**3.** $\\mathrm{{Var}}[x_1 \\mid x_2] = {a} - {factor(c)}^2 / {b} = {f(w_var, 6)}$ (below the prior "
                 f"variance {a}).")


@question("tools", kind="numeric", difficulty=2, title="The score of a two-component Gaussian mixture")
def mixture_score(rng):
    while True:
        mu1, mu2 = nice(rng, -3, -0.5, 1), nice(rng, 0.5, 3, 1)
        s1, s2 = nice(rng, 0.5, 1.5, 1), nice(rng, 0.5, 1.5, 1)
        pi1 = nice(rng, 0.2, 0.8, 1)
        x = nice(rng, mu1, mu2, 1)
        answer = float(gmm.gmm_score(scalars(x).reshape(1, 1), scalars(pi1, 1 - pi1), scalars(mu1, mu2).reshape(2, 1),
                                     scalars(s1**2, s2**2).reshape(2, 1, 1))[0, 0])
        n1, n2 = math.exp(_log_normal(x, mu1, s1)), math.exp(_log_normal(x, mu2, s2))
        r1 = pi1 * n1 / (pi1 * n1 + (1 - pi1) * n2)
        g1, g2 = -(x - mu1) / s1**2, -(x - mu2) / s2**2
        worked = r1 * g1 + (1 - r1) * g2
        misses = [(pi1 * g1 + (1 - pi1) * g2, "that weights the component scores by the prior weights $\\pi_k$; "
                   "the score weights them by the posterior responsibilities $r_k(x) = \\pi_k \\mathcal N_k(x) / p(x)$."),
                  (g1 if r1 > 0.5 else g2, "that is the score of the more responsible component alone; the other "
                   "component still contributes in proportion to its responsibility."),
                  (g1 + g2, "that adds the component scores; the log of a sum is not the sum of logs, so the scores "
                   "are averaged with the responsibilities.")]
        if 0.08 < r1 < 0.92 and abs(answer) > 0.05 and separated(answer, [v for v, _ in misses]):
            break
    return Draft(
        prompt=f"$p(x) = {pi1}\\,\\mathcal N(x; {mu1}, {s1}^2) + {f(1 - pi1, 3)}\\,\\mathcal N(x; {mu2}, {s2}^2)$ is "
               f"a 1-D Gaussian mixture. Compute its score $\\frac{{d}}{{dx}} \\log p(x)$ at $x = {x}$.",
        parts=[Part(ask=f"$\\nabla_x \\log p({x})$ =", answer=Numeric(answer, rtol=1e-3, near_misses=near_misses(misses)),
                    worked=repr(worked))],
        solution="$\\nabla \\log p = \\frac{\\sum_k \\pi_k \\nabla \\mathcal N_k}{p} = \\sum_k r_k(x)\\, \\left(-\\frac{x - "
                 "\\mu_k}{\\sigma_k^2}\\right)$ with the responsibilities $r_k(x) = \\pi_k \\mathcal N_k(x) / p(x)$. "
                 f"Here $\\mathcal N_1(x) = {f(n1, 6)}$, $\\mathcal N_2(x) = {f(n2, 6)}$, so $r_1 = {f(r1, 6)}$, "
                 f"$r_2 = {f(1 - r1, 6)}$; the component scores are $-(x - \\mu_1)/\\sigma_1^2 = {f(g1, 6)}$ and "
                 f"$-(x - \\mu_2)/\\sigma_2^2 = {f(g2, 6)}$, so $\\nabla_x \\log p(x) = {f(r1, 6)} \\cdot {factor(g1, 6)} + "
                 f"{f(1 - r1, 6)} \\cdot {factor(g2, 6)} = {f(worked, 6)}$.")


@question("tools", kind="numeric", difficulty=1, title="Bayes' rule with two Gaussian classes")
def bayes_two_classes(rng):
    while True:
        pi1 = nice(rng, 0.1, 0.9, 2)
        mu0, mu1 = nice(rng, -2, 0, 1), nice(rng, 0.5, 2.5, 1)
        s = nice(rng, 0.5, 1.5, 1)
        x = nice(rng, mu0 - 0.5, mu1 + 0.5, 2)
        r = gmm.gmm_responsibilities(scalars(x).reshape(1, 1), scalars(1 - pi1, pi1), scalars(mu0, mu1).reshape(2, 1),
                                     scalars(s**2, s**2).reshape(2, 1, 1))
        answer = float(r[0, 1])
        l0, l1 = math.exp(_log_normal(x, mu0, s)), math.exp(_log_normal(x, mu1, s))
        worked = pi1 * l1 / (pi1 * l1 + (1 - pi1) * l0)
        misses = [(l1 / (l0 + l1), "that ignores the prior: the posterior weighs each likelihood by the class's "
                   "prior probability."),
                  (pi1, "that is the prior $P(y = 1)$; the observation $x$ updates it through the likelihoods."),
                  (1 - answer, "that is $P(y = 0 \\mid x)$, the other class.")]
        if 0.03 < answer < 0.97 and separated(answer, [v for v, _ in misses]):
            break
    return Draft(
        prompt=f"A label $y \\in \\{{0, 1\\}}$ has prior $P(y = 1) = {pi1}$, and given the label $x \\mid y = k \\sim "
               f"\\mathcal N(\\mu_k, \\sigma^2)$ with $\\mu_0 = {mu0}$, $\\mu_1 = {mu1}$, $\\sigma = {s}$. We observe "
               f"$x = {x}$. Compute $P(y = 1 \\mid x)$.",
        parts=[Part(ask=f"$P(y = 1 \\mid x = {x})$ =", answer=Numeric(answer, rtol=1e-3, near_misses=near_misses(misses)),
                    worked=repr(worked))],
        solution="Bayes' rule: $P(y = 1 \\mid x) = \\frac{P(y = 1)\\, p(x \\mid y = 1)}{P(y = 0)\\, p(x \\mid y = 0) + "
                 f"P(y = 1)\\, p(x \\mid y = 1)}}$. The likelihoods are $\\mathcal N({x}; {mu0}, {s}^2) = {f(l0, 6)}$ "
                 f"and $\\mathcal N({x}; {mu1}, {s}^2) = {f(l1, 6)}$, so $P(y = 1 \\mid x) = \\frac{{{pi1} \\cdot "
                 f"{f(l1, 6)}}}{{{f(1 - pi1, 3)} \\cdot {f(l0, 6)} + {pi1} \\cdot {f(l1, 6)}}} = {f(worked, 6)}$. "
                 "(Equivalently a logistic function of $x$: the shared variance makes the log-odds linear in $x$.)")


_FLOWS = {
    # name: (forward in LaTeX, inverse (torch), inverse (float), log |d f^{-1}/dx| (float), its LaTeX, domain)
    "exp": ("x = e^{z}", torch.log, math.log, lambda x: -math.log(x), "-\\log x", (0.2, 4.0)),
    "cube": ("x = z^3", lambda x: torch.sign(x) * x.abs() ** (1 / 3), lambda x: math.copysign(abs(x) ** (1 / 3), x),
             lambda x: -math.log(3) - 2 / 3 * math.log(abs(x)), "-\\log 3 - \\frac{2}{3}\\log|x|", (0.3, 3.0)),
    "tanh": ("x = \\tanh z", torch.atanh, math.atanh, lambda x: -math.log(1 - x * x), "-\\log(1 - x^2)", (-0.9, 0.9)),
}


@question("tools", kind="numeric", difficulty=2, title="Change of variables: the density of a transformed Gaussian")
def change_of_variables(rng):
    name = rng.choice(["exp", "cube", "tanh", "affine"])
    while True:
        mu, s = nice(rng, -1, 1, 1), nice(rng, 0.5, 1.5, 1)
        if name == "affine":
            a, c = rng.choice([-1, 1]) * nice(rng, 0.3, 3, 1), nice(rng, -2, 2, 1)
            x = nice(rng, -3, 3, 2)
            forward, inv = f"x = {a} z {'-' if c < 0 else '+'} {abs(c)}", (lambda u, a=a, c=c: (u - c) / a)
            inv_f = inv
            logjac, jac_tex = -math.log(abs(a)), f"-\\log|{a}|"
        else:
            forward, inv, inv_f, logjac_fn, jac_tex, (lo, hi) = _FLOWS[name]
            x = nice(rng, lo, hi, 2)
            if name == "cube" and rng.random() < 0.5:
                x = -x
            logjac = logjac_fn(x)
        base = torch.distributions.Normal(scalars(mu), scalars(s))
        answer = float(priors.flow_log_prob(scalars(x).reshape(1, 1), inv, lambda z: base.log_prob(z).sum(1))[0])
        z = inv_f(x)
        no_jac = _log_normal(z, mu, s)
        misses = [(no_jac, "the Jacobian term is missing: a density is not a function; it picks up "
                   "$|d f^{-1}/dx|$ so that it still integrates to 1."),
                  (no_jac - logjac, "the Jacobian term has the wrong sign: $p_x(x) = p_z(f^{-1}(x))\\,|d f^{-1}/dx|$, "
                   "i.e. divided (not multiplied) by $|f'(z)|$."),
                  (_log_normal(x, mu, s) + logjac, "the base density is evaluated at $x$; it must be evaluated at "
                   "$z = f^{-1}(x)$.")]
        if abs(answer) > 0.02 and abs(logjac) > 0.05 and separated(answer, [v for v, _ in misses]):
            break
    worked = no_jac + logjac
    return Draft(
        prompt=f"$z \\sim \\mathcal N({mu}, {s}^2)$ and ${forward}$. Compute the log-density $\\log p_x(x)$ of $x$ "
               f"at $x = {x}$.",
        parts=[Part(ask=f"$\\log p_x({x})$ =", answer=Numeric(answer, rtol=1e-3, near_misses=near_misses(misses)),
                    worked=repr(worked))],
        solution="Change of variables for an invertible map: $\\log p_x(x) = \\log p_z(f^{-1}(x)) + \\log\\left|"
                 "\\frac{d f^{-1}}{dx}\\right|$. Here "
                 f"$z = f^{{-1}}({x}) = {f(z, 6)}$ and $\\log p_z(z) = -\\frac{{1}}{{2}}\\log(2\\pi) - \\log {s} - "
                 f"\\frac{{(z - {factor(mu)})^2}}{{2 \\cdot {s}^2}} = {f(no_jac, 6)}$; $\\log|d f^{{-1}}/dx| = {jac_tex} = "
                 f"{f(logjac, 6)}$. So $\\log p_x({x}) = {f(no_jac, 6)} + {factor(logjac, 6)} = {f(worked, 6)}$.")


# Symbolic forms of scores: (ask, answer, worked, variables, near misses, justification, course_core check).
def _score_forms():
    x, mu = Var("x", "x", -2, 2), Var("mu", "\\mu", -1, 1)
    sigma, s = Var("sigma", "\\sigma", 0.3, 2), Var("s", "s", 0.3, 2)
    y, a = Var("y", "y", -2, 2), Var("a", "a", 0.3, 2)

    def score(point, mean, var):
        return float(gmm.gmm_score(scalars(point).reshape(1, 1), scalars(1.0), scalars(mean).reshape(1, 1),
                                   scalars(var).reshape(1, 1, 1))[0, 0])

    def posterior_score(x_, y_, s_, sigma_):
        m, v = priors.gaussian_posterior(scalars(y_).reshape(1, 1), scalars(1.0).reshape(1, 1), sigma_, scalars(0.0),
                                         scalars(s_**2).reshape(1, 1))
        return score(x_, float(m[0, 0]), float(v[0, 0]))

    return [
        ("the score $\\nabla_x \\log \\mathcal N(x; \\mu, \\sigma^2)$ of a 1-D Gaussian",
         "-(x - mu)/sigma^2", "(mu - x)/sigma**2", (x, mu, sigma),
         [("(x - mu)/sigma^2", "the score points towards the mean (uphill in density): $-(x - \\mu)/\\sigma^2$."),
          ("-(x - mu)/sigma", "$\\sigma$ is the standard deviation; the score divides by the variance $\\sigma^2$."),
          ("-(x - mu)^2/(2 sigma^2)", "that is the log-density (up to a constant), not its gradient.")],
         "$\\log \\mathcal N(x; \\mu, \\sigma^2) = -\\frac{(x - \\mu)^2}{2\\sigma^2} + \\mathrm{const}$; differentiating in "
         "$x$ gives $-\\frac{x - \\mu}{\\sigma^2}$",
         lambda e: agrees(e(x=0.7, mu=-0.2, sigma=1.3), score(0.7, -0.2, 1.3**2))),
        ("the score $\\nabla_y \\log p(y)$ of $y = x + \\sigma n$, where $x \\sim \\mathcal N(\\mu, s^2)$ and "
         "$n \\sim \\mathcal N(0, 1)$ are independent",
         "-(y - mu)/(s^2 + sigma^2)", "(mu - y)/(s**2 + sigma**2)", (y, mu, s, sigma),
         [("-(y - mu)/s^2", "the noise adds its variance: $y \\sim \\mathcal N(\\mu, s^2 + \\sigma^2)$."),
          ("-(y - mu)/sigma^2", "that is the likelihood's curvature alone; the marginal of $y$ has variance "
           "$s^2 + \\sigma^2$."),
          ("-(y - mu)/(s + sigma)^2", "independent variances add, not standard deviations: $s^2 + \\sigma^2$.")],
         "the sum of independent Gaussians is Gaussian, $y \\sim \\mathcal N(\\mu, s^2 + \\sigma^2)$, whose score is "
         "$-(y - \\mu)/(s^2 + \\sigma^2)$",
         lambda e: agrees(e(y=0.4, mu=-0.3, s=0.8, sigma=0.6), score(0.4, -0.3, 0.8**2 + 0.6**2))),
        ("the gradient $\\nabla_\\mu \\log \\mathcal N(x; \\mu, \\sigma^2)$ with respect to the *mean* (the "
         "parameter, not the data)",
         "(x - mu)/sigma^2", "-(mu - x)/sigma**2", (x, mu, sigma),
         [("-(x - mu)/sigma^2", "that is the gradient with respect to $x$; $\\mu$ enters $(x - \\mu)^2$ with the "
           "opposite sign."),
          ("(x - mu)/sigma", "$\\sigma$ is the standard deviation; the gradient divides by the variance.")],
         "$\\log \\mathcal N = -\\frac{(x - \\mu)^2}{2\\sigma^2} + \\mathrm{const}$ is symmetric in $x$ and $\\mu$ up to "
         "the sign of the difference, so $\\nabla_\\mu \\log \\mathcal N = -\\nabla_x \\log \\mathcal N = \\frac{x - \\mu}"
         "{\\sigma^2}$",
         lambda e: agrees(e(x=0.7, mu=-0.2, sigma=1.3), -score(0.7, -0.2, 1.3**2))),
        ("the gradient $\\nabla_x \\log p(y \\mid x)$ of the log-likelihood of $y = a x + \\sigma n$, $n \\sim "
         "\\mathcal N(0, 1)$, with respect to $x$",
         "a*(y - a*x)/sigma^2", "(a*y - a**2*x)/sigma**2", (x, y, a, sigma),
         [("(y - a*x)/sigma^2", "the chain rule's factor $a$ is missing: $\\partial (y - a x)/\\partial x = -a$."),
          ("-a*(y - a*x)/sigma^2", "the sign is flipped: the gradient pushes $a x$ towards $y$."),
          ("a*(y - x)/sigma^2", "the residual is $y - a x$, the measurement minus its prediction.")],
         "$\\log p(y \\mid x) = -\\frac{(y - a x)^2}{2\\sigma^2} + \\mathrm{const}$; the chain rule gives the factor $a$: "
         "$\\nabla_x \\log p(y \\mid x) = \\frac{a (y - a x)}{\\sigma^2}$",
         lambda e: agrees(e(x=0.5, y=-0.4, a=1.5, sigma=0.7), -1.5 * score(-0.4, 1.5 * 0.5, 0.7**2))),
        ("the posterior score $\\nabla_x \\log p(x \\mid y)$ for the prior $x \\sim \\mathcal N(0, s^2)$ and the "
         "measurement $y = x + \\sigma n$, $n \\sim \\mathcal N(0, 1)$",
         "-x/s^2 + (y - x)/sigma^2", "(s**2*y - (s**2 + sigma**2)*x)/(s**2*sigma**2)", (x, y, s, sigma),
         [("-x/s^2", "that is the prior's score alone; Bayes' rule adds the likelihood's gradient."),
          ("(y - x)/sigma^2", "that is the likelihood's gradient alone; the prior's score $-x/s^2$ is missing."),
          ("-x/s^2 - (y - x)/sigma^2", "the likelihood term pulls $x$ towards $y$: $+(y - x)/\\sigma^2$.")],
         "$\\log p(x \\mid y) = \\log p(x) + \\log p(y \\mid x) - \\log p(y)$ and the evidence $p(y)$ does not depend on "
         "$x$, so $\\nabla_x \\log p(x \\mid y) = -\\frac{x}{s^2} + \\frac{y - x}{\\sigma^2}$",
         lambda e: agrees(e(x=0.3, y=1.1, s=0.9, sigma=0.5), posterior_score(0.3, 1.1, 0.9, 0.5))),
    ]


@question("tools", kind="symbolic", difficulty=1, title="Scores and log-likelihood gradients of Gaussians")
def gaussian_scores(rng):
    ask, expr, worked, variables, misses, why, check = rng.choice(_score_forms())
    answer = Symbolic(expr, variables, near_misses(misses))
    check(answer.at)
    return Draft(
        prompt=f"Give {ask}. Variables: {answer.names()}.",
        parts=[Part(ask="=", answer=answer, worked=worked)],
        solution=f"{why[0].upper()}{why[1:]}.")


def _closed_forms():
    mu, sigma = Var("mu", "\\mu", -1.5, 1.5), Var("sigma", "\\sigma", 0.3, 2)
    m1, m2, s = Var("m_1", "m_1", -1.5, 1.5), Var("m_2", "m_2", -1.5, 1.5), Var("s", "s", 0.3, 2)
    s1, s2 = Var("s_1", "s_1", 0.3, 2), Var("s_2", "s_2", 0.3, 2)
    m, t, a = Var("m", "m", -1.5, 1.5), Var("t", "t", 0.3, 2), Var("a", "a", -1.5, 1.5)

    def kl(p_mean, p_std, q_mean, q_std):
        return float(ddpm.normal_kl(scalars(p_mean), 2 * math.log(p_std), scalars(q_mean), 2 * math.log(q_std))[0])

    return [
        ("$\\mathrm{KL}(\\mathcal N(\\mu, \\sigma^2) \\| \\mathcal N(0, 1))$, the KL term of a VAE's loss per latent "
         "coordinate", "(mu^2 + sigma^2 - 1)/2 - log(sigma)", "(mu**2 + sigma**2 - 1 - log(sigma**2))/2", (mu, sigma),
         [("log(sigma) + (1 + mu^2)/(2 sigma^2) - 1/2", "that is the reverse divergence "
           "$\\mathrm{KL}(\\mathcal N(0, 1) \\| \\mathcal N(\\mu, \\sigma^2))$."),
          ("(mu^2 + sigma - 1)/2 - log(sigma)/2", "$\\sigma$ is a standard deviation: the terms are $\\sigma^2$ and "
           "$\\log \\sigma^2$."),
          ("mu^2 + sigma^2 - 1 - 2*log(sigma)", "the factor $\\frac{1}{2}$ is missing.")],
         "$\\mathrm{KL} = \\log\\frac{\\sigma_2}{\\sigma_1} + \\frac{\\sigma_1^2 + (\\mu_1 - \\mu_2)^2}{2\\sigma_2^2} - "
         "\\frac{1}{2}$ with $\\mu_2 = 0$, $\\sigma_2 = 1$ gives $\\frac{1}{2}(\\mu^2 + \\sigma^2 - 1) - \\log\\sigma$",
         lambda e: agrees(e(mu=0.4, sigma=1.7), kl(0.4, 1.7, 0.0, 1.0))),
        ("$\\mathrm{KL}(\\mathcal N(m_1, s^2) \\| \\mathcal N(m_2, s^2))$ (equal variances)",
         "(m_1 - m_2)^2/(2 s^2)", "(m_2 - m_1)**2/(2*s**2)", (m1, m2, s),
         [("(m_1 - m_2)^2/s^2", "the factor $\\frac{1}{2}$ is missing."),
          ("(m_1 - m_2)^2/(2 s)", "$s$ is the standard deviation; the mean term divides by the variance $s^2$."),
          ("abs(m_1 - m_2)/s", "the divergence grows with the *squared* distance between the means.")],
         "with equal variances the log and trace terms cancel, leaving the Mahalanobis term $\\frac{(m_1 - m_2)^2}{2s^2}$",
         lambda e: agrees(e(m_1=0.4, m_2=-0.9, s=0.7), kl(0.4, 0.7, -0.9, 0.7))),
        ("$\\mathrm{KL}(\\mathcal N(0, s_1^2) \\| \\mathcal N(0, s_2^2))$ (equal means)",
         "log(s_2/s_1) + s_1^2/(2 s_2^2) - 1/2", "log(s_2) - log(s_1) + (s_1/s_2)**2/2 - 1/2", (s1, s2),
         [("log(s_1/s_2) + s_2^2/(2 s_1^2) - 1/2", "that is the reverse divergence; the order matters."),
          ("log(s_2/s_1) + s_1/(2 s_2) - 1/2", "the ratio of *variances* $s_1^2/s_2^2$ appears, not of standard "
           "deviations."),
          ("log(s_2/s_1) + s_1^2/(2 s_2^2)", "the constant $-\\frac{1}{2}$ is missing (the KL of two equal "
           "Gaussians must be 0).")],
         "with equal means only the log and the variance-ratio terms remain: $\\log\\frac{s_2}{s_1} + \\frac{s_1^2}{2s_2^2} - "
         "\\frac{1}{2}$",
         lambda e: agrees(e(s_1=0.6, s_2=1.4), kl(0.0, 0.6, 0.0, 1.4))),
        ("the expected log-density $\\mathbb E_{x \\sim \\mathcal N(\\mu, s^2)}[\\log \\mathcal N(x; m, t^2)]$ (minus "
         "the cross-entropy)",
         "-log(2 pi t^2)/2 - ((mu - m)^2 + s^2)/(2 t^2)", "-log(2*pi)/2 - log(t) - (s**2 + (m - mu)**2)/(2*t**2)",
         (mu, s, m, t),
         [("-log(2 pi t^2)/2 - (mu - m)^2/(2 t^2)", "that plugs in $x = \\mu$; $\\mathbb E[(x - m)^2] = "
           "(\\mu - m)^2 + s^2$, the variance term is missing."),
          ("-log(2 pi s^2)/2 - ((mu - m)^2 + s^2)/(2 t^2)", "the normalizing constant is $q$'s, "
           "$-\\frac{1}{2}\\log(2\\pi t^2)$."),
          ("-log(2 pi t^2)/2 - ((mu - m)^2 + s^2)/t^2", "the factor $\\frac{1}{2}$ of the quadratic term is "
           "missing.")],
         "$\\log \\mathcal N(x; m, t^2) = -\\frac{1}{2}\\log(2\\pi t^2) - \\frac{(x - m)^2}{2t^2}$ and "
         "$\\mathbb E[(x - m)^2] = \\mathrm{Var}[x] + (\\mathbb E x - m)^2 = s^2 + (\\mu - m)^2$, so the expectation is "
         "$-\\frac{1}{2}\\log(2\\pi t^2) - \\frac{(\\mu - m)^2 + s^2}{2t^2}$",
         # E_p[log q] = -KL(p || q) - H(p), H(p) = log(2 pi e s^2) / 2.
         lambda e: agrees(e(mu=0.3, s=0.8, m=-0.5, t=1.2), -kl(0.3, 0.8, -0.5, 1.2) - 0.5 * math.log(
             2 * math.pi * math.e * 0.8**2))),
        ("$\\mathbb E_{x \\sim \\mathcal N(\\mu, s^2)}[(x - a)^2]$",
         "s^2 + (mu - a)^2", "(a - mu)**2 + s**2", (mu, s, a),
         [("(mu - a)^2", "that is $(\\mathbb E x - a)^2$; the variance $s^2$ is missing (Jensen's gap)."),
          ("s^2", "that is the variance about the mean; measured about $a$ the squared bias $(\\mu - a)^2$ adds."),
          ("s + (mu - a)^2", "$s$ is the standard deviation; the variance is $s^2$.")],
         "the bias-variance identity $\\mathbb E[(x - a)^2] = \\mathrm{Var}[x] + (\\mathbb E x - a)^2 = s^2 + (\\mu - a)^2$",
         # From the KL's closed form with q = N(a, 1): E_p[(x - a)^2] = 2 KL(p || q) + 1 + log s^2.
         lambda e: agrees(e(mu=0.3, s=0.8, a=-0.5), 2 * kl(0.3, 0.8, -0.5, 1.0) + 1 + math.log(0.8**2))),
    ]


@question("tools", kind="symbolic", difficulty=2, title="Gaussian expectations and KL divergences in closed form")
def gaussian_closed_forms(rng):
    ask, expr, worked, variables, misses, why, check = rng.choice(_closed_forms())
    answer = Symbolic(expr, variables, near_misses(misses))
    check(answer.at)
    return Draft(
        prompt=f"Give in closed form {ask}. Variables: {answer.names()}.",
        parts=[Part(ask="=", answer=answer, worked=worked)],
        solution=f"{why[0].upper()}{why[1:]}.")


# (question, correct option, [(wrong option, why it is wrong)], justification)
_FACTS = [
    ("What is the score $\\nabla_x \\log p(x)$ of $p = \\mathcal N(\\mu, \\Sigma)$?",
     "$-\\Sigma^{-1}(x - \\mu)$",
     [("$-\\Sigma(x - \\mu)$", "the quadratic form of the log-density has the precision $\\Sigma^{-1}$, not $\\Sigma$."),
      ("$\\Sigma^{-1}(x - \\mu)$", "the score points towards the mean, where the density grows: the sign is minus."),
      ("$-\\frac{1}{2}(x - \\mu)^\\top \\Sigma^{-1}(x - \\mu)$", "that is the log-density up to a constant, a "
       "number; the score is its gradient, a vector.")],
     "$\\log p(x) = -\\frac{1}{2}(x - \\mu)^\\top\\Sigma^{-1}(x - \\mu) + \\mathrm{const}$, whose gradient is "
     "$-\\Sigma^{-1}(x - \\mu)$: a linear field pointing to the mean."),
    ("$(x_a, x_b)$ is jointly Gaussian with covariance blocks $\\Sigma_{aa}, \\Sigma_{ab}, \\Sigma_{bb}$. What is the "
     "covariance of $x_a$ given $x_b$?",
     "$\\Sigma_{aa} - \\Sigma_{ab}\\Sigma_{bb}^{-1}\\Sigma_{ba}$",
     [("$\\Sigma_{aa}$", "that is the marginal covariance; observing a correlated $x_b$ reduces the uncertainty."),
      ("$\\Sigma_{aa} - \\Sigma_{ab}\\Sigma_{bb}\\Sigma_{ba}$", "the observed block enters inverted: "
       "$\\Sigma_{bb}^{-1}$."),
      ("$\\Sigma_{aa} - \\Sigma_{ab}\\Sigma_{bb}^{-1}(x_b - \\mu_b)$", "that mixes in the mean's correction; the "
       "conditional covariance does not depend on the observed value.")],
     "It is the Schur complement of $\\Sigma_{bb}$ (Bishop 2006, Sec. 2.3.1), the same whatever value $x_b$ takes."),
    ("If $x \\sim \\mathcal N(\\mu, \\Sigma)$ in $\\mathbb R^d$, $A$ is an $m \\times d$ matrix and $b \\in "
     "\\mathbb R^m$, what is the law of $A x + b$?",
     "$\\mathcal N(A\\mu + b, A\\Sigma A^\\top)$",
     [("$\\mathcal N(A\\mu + b, A\\Sigma)$", "$A\\Sigma$ is not even square for $m \\neq d$; covariances "
       "transform as $A\\Sigma A^\\top$."),
      ("$\\mathcal N(A\\mu + b, A^\\top\\Sigma A)$", "the transpose is on the wrong side: $\\mathrm{Cov}(Ax) = "
       "\\mathbb E[A(x - \\mu)(x - \\mu)^\\top A^\\top]$."),
      ("$\\mathcal N(A\\mu, A\\Sigma A^\\top + b b^\\top)$", "a constant shift moves the mean and leaves the "
       "covariance unchanged.")],
     "Affine maps keep Gaussians Gaussian; the mean maps as $A\\mu + b$ and the covariance as $A\\Sigma A^\\top$ "
     "(this is how $q(x_t \\mid x_0)$ is derived in DDPM)."),
    ("Fitting a model $p_\\theta$ by minimizing $\\mathrm{KL}(p_{\\mathrm{data}} \\| p_\\theta)$ over $\\theta$ is "
     "equivalent to:",
     "maximizing the expected log-likelihood $\\mathbb E_{p_{\\mathrm{data}}}[\\log p_\\theta(x)]$",
     [("minimizing $\\mathrm{KL}(p_\\theta \\| p_{\\mathrm{data}})$", "the KL divergence is not symmetric; the "
       "reverse divergence needs $\\log p_{\\mathrm{data}}$, which is unknown, and is mode-seeking."),
      ("matching the mean and covariance of $p_{\\mathrm{data}}$ only", "that is what the KL reduces to only when "
       "$p_\\theta$ is restricted to Gaussians."),
      ("maximizing the entropy of $p_\\theta$", "the entropy of $p_{\\mathrm{data}}$ is the constant in the KL; "
       "$p_\\theta$'s entropy does not appear.")],
     "$\\mathrm{KL}(p_{\\mathrm{data}} \\| p_\\theta) = \\mathbb E_{p_{\\mathrm{data}}}[\\log p_{\\mathrm{data}}] - "
     "\\mathbb E_{p_{\\mathrm{data}}}[\\log p_\\theta]$; the first term does not depend on $\\theta$."),
    ("A density is known only up to its normalizing constant, $p(x) = \\tilde p(x) / Z$ with $Z = \\int \\tilde p$ "
     "intractable. Which quantity can still be computed exactly from $\\tilde p$?",
     "the score $\\nabla_x \\log p(x)$",
     [("the log-density $\\log p(x)$", "$\\log p = \\log \\tilde p - \\log Z$ needs $Z$."),
      ("the KL divergence $\\mathrm{KL}(q \\| p)$ from a given $q$", "$\\mathrm{KL}(q \\| p)$ contains "
       "$\\mathbb E_q[\\log p]$, hence $\\log Z$ (it is known only up to this constant)."),
      ("the probability of a set, $P(x \\in A)$", "that is $\\int_A \\tilde p / Z$, which needs $Z$.")],
     "$\\nabla_x \\log p = \\nabla_x \\log \\tilde p - \\nabla_x \\log Z$ and $Z$ does not depend on $x$: this is why "
     "score-based models and energy-based models work with scores."),
    ("The product of two Gaussian densities in the same variable, $\\mathcal N(x; a, A)\\,\\mathcal N(x; b, B)$, is, "
     "as a function of $x$:",
     "proportional to a Gaussian with precision $A^{-1} + B^{-1}$",
     [("a Gaussian with covariance $A + B$", "covariances add for the *sum* of independent variables (a "
       "convolution of densities); a product of densities adds precisions."),
      ("a Gaussian with mean $a + b$", "the mean is the precision-weighted average $(A^{-1} + B^{-1})^{-1}(A^{-1}a + "
       "B^{-1}b)$."),
      ("not Gaussian in general", "the exponents are quadratic in $x$ and add up to a quadratic: completing the "
       "square gives a Gaussian (up to a constant).")],
     "Adding the two quadratic exponents and completing the square gives the precision $A^{-1} + B^{-1}$; this is "
     "how Gaussian posteriors (and DDPM's $q(x_{t-1} \\mid x_t, x_0)$) are computed."),
]


@question("tools", kind="choice", difficulty=1, title="Gaussians, scores and KL: the facts")
def gaussian_facts(rng):
    ask, correct, wrong, why = rng.choice(_FACTS)
    choice = shuffled_choice(rng, correct, wrong)
    return Draft(prompt=ask,
                 parts=[Part(ask="your choice:", answer=choice, worked=choice.typed(), after=why)],
                 solution=f"{choice.latex()}. {why}")


_STATEMENTS = [
    ("The KL divergence is symmetric: $\\mathrm{KL}(p \\| q) = \\mathrm{KL}(q \\| p)$ for all $p$, $q$.", False,
     "It is not: for $p = \\mathcal N(0, 1)$ and $q = \\mathcal N(0, 4)$, $\\mathrm{KL}(p \\| q) = \\log 2 + 1/8 - 1/2 "
     "\\approx 0.318$ but $\\mathrm{KL}(q \\| p) = -\\log 2 + 2 - 1/2 \\approx 0.807$."),
    ("$\\mathrm{KL}(p \\| q) \\ge 0$, with equality only when $p = q$ (almost everywhere).", True,
     "Gibbs' inequality: by Jensen, $-\\mathrm{KL}(p \\| q) = \\mathbb E_p[\\log(q/p)] \\le "
     "\\log \\mathbb E_p[q/p] \\le \\log 1 = 0$, since $\\mathbb E_p[q/p] = \\int_{p > 0} q \\le 1$; equality "
     "needs $q/p$ constant where $p > 0$ and no mass of $q$ outside, i.e. $p = q$."),
    ("The score $\\nabla_x \\log p(x)$ does not depend on the normalizing constant of $p$.", True,
     "$\\log p = \\log \\tilde p - \\log Z$ and $\\log Z$ is constant in $x$, so its gradient vanishes."),
    ("Two uncorrelated Gaussian random variables are always independent.", False,
     "Only *jointly* Gaussian ones are. Counterexample: $x \\sim \\mathcal N(0, 1)$ and $y = s x$ with an "
     "independent random sign $s$: $y$ is Gaussian, $\\mathrm{Cov}(x, y) = 0$, but $|y| = |x|$."),
    ("For a jointly Gaussian $(x_a, x_b)$, the covariance of $x_a$ given $x_b$ depends on the observed value of "
     "$x_b$.", False,
     "It is the Schur complement $\\Sigma_{aa} - \\Sigma_{ab}\\Sigma_{bb}^{-1}\\Sigma_{ba}$, the same for every "
     "value; only the conditional mean moves (linearly) with $x_b$."),
    ("The marginal of a block $x_a$ of a jointly Gaussian vector is Gaussian, with the corresponding blocks "
     "$\\mu_a$ and $\\Sigma_{aa}$ of the mean and covariance.", True,
     "Marginalizing is the linear map $x \\mapsto x_a$, and linear maps keep Gaussians Gaussian with $A\\mu$ and "
     "$A\\Sigma A^\\top$, which select the blocks."),
    ("The score of a Gaussian mixture is the average of its components' scores weighted by the mixture weights "
     "$\\pi_k$.", False,
     "The weights are the posterior responsibilities $r_k(x) = \\pi_k \\mathcal N_k(x) / p(x)$, which depend on $x$, "
     "not the prior weights $\\pi_k$."),
    ("If $x = f(z)$ with $f$ a differentiable bijection whose inverse is differentiable, then $p_x(x) = "
     "p_z(f^{-1}(x))\\,\\left|\\det \\frac{\\partial f^{-1}}{\\partial x}\\right|$.", True,
     "This is the change-of-variables formula: probability mass is conserved, so the density is scaled by the local "
     "change of volume of the inverse map."),
    ("For $x \\sim \\mathcal N(\\mu, \\sigma^2)$, $\\mathbb E[x^2] = \\mu^2$.", False,
     "$\\mathbb E[x^2] = \\mathrm{Var}[x] + (\\mathbb E x)^2 = \\sigma^2 + \\mu^2$."),
]


@question("tools", kind="true-false", difficulty=2, title="Mathematical tools: true or false")
def tools_true_false(rng):
    if rng.random() < 0.3:  # a computed statement: the KL of two equal-variance Gaussians
        m1, m2, s = nice(rng, -2, 2, 1), nice(rng, -2, 2, 1), nice(rng, 0.5, 2, 1)
        while abs(m1 - m2) < 0.3:
            m2 = nice(rng, -2, 2, 1)
        kl = float(ddpm.normal_kl(scalars(m1), 2 * math.log(s), scalars(m2), 2 * math.log(s))[0])
        is_true = rng.random() < 0.5
        claimed = kl if is_true else 2 * kl
        statement = (f"$\\mathrm{{KL}}(\\mathcal N({m1}, {s}^2) \\| \\mathcal N({m2}, {s}^2)) = {f(claimed, 4)}$ "
                     "nats.")
        why = (f"With equal variances only the mean term remains: $\\frac{{(\\mu_1 - \\mu_2)^2}}{{2\\sigma^2}} = "
               f"\\frac{{({factor(m1)} - {factor(m2)})^2}}{{2 \\cdot {s}^2}} = {f((m1 - m2) ** 2 / (2 * s * s), 4)}$"
               + ("." if is_true else "; the stated value forgets the factor $\\frac{1}{2}$."))
    else:
        statement, is_true, why = rng.choice(_STATEMENTS)
    answer = true_false(is_true, why)
    return Draft(prompt=f"True or false? {statement}",
                 parts=[Part(ask="true or false:", answer=answer, worked=answer.typed(), after=why)],
                 solution=f"{'True' if is_true else 'False'}. {why}")
