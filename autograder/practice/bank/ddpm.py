"""Chapter 4, DDPM: the forward path, the posterior q(x_{t-1} | x_t, x_0), the reverse step, the variational
bound and likelihoods (Ho et al. 2020, arXiv:2006.11239). Answers come from `course_core.schedules` and
`course_core.ddpm`; worked solutions recompute them by hand, in plain floating point."""

from __future__ import annotations

import math
import re

import torch

from course_core import ddpm, schedules

from ..answers import NearMiss, Numeric, Symbolic, Var, format_number as f
from ..question import Draft, Part, agrees, apart, distinct, factor, nice, question, shuffled_choice, true_false

# Variables of the symbolic answers: alpha_bar_prev and beta_t are free, the others derived from them.
STEP_VARS = (Var("alpha_bar_prev", r"\bar\alpha_{t-1}", 0.2, 0.95), Var("beta_t", r"\beta_t", 0.01, 0.3),
             Var("alpha_t", r"\alpha_t", means="1 - beta_t"),
             Var("alpha_bar_t", r"\bar\alpha_t", means="alpha_bar_prev*(1 - beta_t)"))


def _schedule(rng):
    """A short linear schedule (T = 10..20) whose steps are large enough to tell t from t-1 apart."""
    T = rng.choice([10, 12, 16, 20])
    beta_1, beta_T = nice(rng, 0.01, 0.04, 3), nice(rng, 0.15, 0.3, 2)
    beta = schedules.linear_beta_schedule(T, beta_1, beta_T).double()
    return T, beta_1, beta_T, beta


@question("ddpm", kind="numeric", difficulty=1, title="ᾱ_t of a linear schedule")
def alpha_bar_linear(rng):
    while True:
        T, b1, bT, beta = _schedule(rng)
        t = rng.randint(3, T)  # the paper's step t, 1-based
        answer = float(schedules.alpha_bar_from_beta(beta)[t - 1])
        betas = [b1 + (bT - b1) * (s - 1) / (T - 1) for s in range(1, t + 1)]
        if distinct([answer, answer / (1 - betas[-1]), 1 - sum(betas), 1 - betas[-1]]):
            break
    product = math.prod(1 - b for b in betas)
    shown = ", ".join(f(b, 4) for b in betas[:3])
    factors = r" \cdot ".join(f(1 - b, 6) for b in betas)
    return Draft(
        prompt=f"A DDPM uses a linear schedule with $T = {T}$ steps, $\\beta_1 = {b1}$ and $\\beta_T = {bT}$ "
               f"($\\beta_s$ evenly spaced between them). Compute $\\bar\\alpha_{{{t}}}$.",
        parts=[Part(ask=f"$\\bar\\alpha_{{{t}}}$ =", answer=Numeric(answer, rtol=1e-3, near_misses=(
            NearMiss(answer / (1 - betas[-1]), f"that is $\\bar\\alpha_{{{t - 1}}}$: the product runs over "
                     f"$s = 1, \\dots, {t}$, including $\\beta_{{{t}}}$."),
            NearMiss(1 - sum(betas), "that is $1 - \\sum_s \\beta_s$, the first-order approximation of the "
                     "product; $\\bar\\alpha_t$ is the product itself."),
            NearMiss(1 - betas[-1], "that is $\\alpha_t = 1 - \\beta_t$ of one step; $\\bar\\alpha_t$ is the "
                     "product over all steps up to $t$."))),
            worked=repr(product))],
        solution=f"$\\beta_s = \\beta_1 + (\\beta_T - \\beta_1)\\frac{{s-1}}{{T-1}}$, so "
                 f"$\\beta_1, \\beta_2, \\beta_3, \\dots = {shown}, \\dots$ and $\\beta_{{{t}}} = {f(betas[-1], 4)}$. "
                 f"By definition $\\bar\\alpha_t = \\prod_{{s=1}}^{{t}} (1 - \\beta_s)$ (Ho et al. 2020, Sec. 2), so "
                 f"$\\bar\\alpha_{{{t}}} = \\prod_{{s=1}}^{{{t}}} (1 - \\beta_s) = {factors} = {f(product, 6)}$.")


@question("ddpm", kind="numeric", difficulty=1, title="Sampling x_t from q(x_t | x_0)")
def q_sample_value(rng):
    while True:
        alpha_bar_t, x0, eps = nice(rng, 0.1, 0.9, 2), nice(rng, -1, 1, 2), nice(rng, -2, 2, 2)
        a, b = math.sqrt(alpha_bar_t), math.sqrt(1 - alpha_bar_t)
        worked = a * x0 + b * eps
        misses = [alpha_bar_t * x0 + (1 - alpha_bar_t) * eps, a * x0 + (1 - alpha_bar_t) * eps, b * x0 + a * eps]
        if abs(worked) > 0.05 and distinct([worked] + misses, 0.05):
            break
    answer = float(ddpm.q_sample(torch.tensor([x0], dtype=torch.float64), torch.tensor([0]),
                                 torch.tensor([eps], dtype=torch.float64), torch.tensor([alpha_bar_t],
                                                                                         dtype=torch.float64))[0])
    return Draft(
        prompt=f"With $\\bar\\alpha_t = {alpha_bar_t}$, a pixel $x_0 = {x0}$ and the noise draw $\\epsilon = {eps}$, "
               "what is $x_t$ under the forward process $q(x_t \\mid x_0)$?",
        parts=[Part(ask="$x_t$ =", answer=Numeric(answer, rtol=1e-3, near_misses=(
            NearMiss(misses[0], "the coefficients are square roots: "
                     "$q(x_t \\mid x_0)$ has mean $\\sqrt{\\bar\\alpha_t} x_0$ and variance $1 - \\bar\\alpha_t$."),
            NearMiss(misses[1], "$1 - \\bar\\alpha_t$ is the variance; the noise is "
                     "scaled by the standard deviation $\\sqrt{1 - \\bar\\alpha_t}$."),
            NearMiss(misses[2], "the two coefficients are swapped."))),
            worked=repr(worked))],
        solution=f"$q(x_t \\mid x_0) = \\mathcal N(\\sqrt{{\\bar\\alpha_t}} x_0, (1 - \\bar\\alpha_t) I)$ (Ho et al. "
                 f"2020, Eq. 4), so $x_t = \\sqrt{{\\bar\\alpha_t}}\\, x_0 + \\sqrt{{1 - \\bar\\alpha_t}}\\, \\epsilon"
                 f" = {f(a, 5)} \\cdot {factor(x0)} + {f(b, 5)} \\cdot {factor(eps)} = {f(worked, 6)}$.")


@question("ddpm", kind="numeric", difficulty=2, title="The posterior variance β̃_t")
def posterior_variance(rng):
    T, b1, bT, beta = _schedule(rng)
    t = rng.randint(2, 6)
    alpha_bar = schedules.alpha_bar_from_beta(beta)
    _, var = ddpm.q_posterior_mean_variance(torch.zeros(1), torch.zeros(1), torch.tensor([t - 1]), beta)
    answer = float(var.flatten()[0])
    ab_t, ab_prev, b_t = float(alpha_bar[t - 1]), float(alpha_bar[t - 2]), float(beta[t - 1])
    worked = (1 - ab_prev) / (1 - ab_t) * b_t
    return Draft(
        prompt=f"In a DDPM, $\\beta_{{{t}}} = {f(b_t, 6)}$, $\\bar\\alpha_{{{t - 1}}} = {f(ab_prev, 6)}$ and "
               f"$\\bar\\alpha_{{{t}}} = {f(ab_t, 6)}$. What is the variance $\\tilde\\beta_{{{t}}}$ of the "
               f"posterior $q(x_{{{t - 1}}} \\mid x_{{{t}}}, x_0)$?",
        parts=[Part(ask=f"$\\tilde\\beta_{{{t}}}$ =", answer=Numeric(answer, rtol=1e-3, near_misses=(
            NearMiss(b_t, "that is $\\beta_t$, the variance of the forward step (DDPM's 'large' reverse variance); "
                     "the posterior's is smaller by the factor $(1 - \\bar\\alpha_{t-1}) / (1 - \\bar\\alpha_t)$."),
            NearMiss((1 - ab_t) / (1 - ab_prev) * b_t, "the ratio is upside down: it is "
                     "$(1 - \\bar\\alpha_{t-1}) / (1 - \\bar\\alpha_t) < 1$."),
            NearMiss(math.sqrt(worked), "that is the standard deviation; the question asks for the variance."))),
            worked=repr(worked))],
        solution=f"Ho et al. 2020, Eq. 7: $\\tilde\\beta_t = \\frac{{1 - \\bar\\alpha_{{t-1}}}}{{1 - \\bar\\alpha_t}}"
                 f"\\beta_t = \\frac{{1 - {f(ab_prev, 6)}}}{{1 - {f(ab_t, 6)}}} \\cdot {f(b_t, 6)} = "
                 f"{f(worked, 6)}$. It is below $\\beta_t$: knowing $x_0$ removes part of the uncertainty.")


# The posterior mean written two ways (Ho et al. 2020, Eq. 7 and Eq. 11), a coefficient at a time:
# (which term, in which form, the answer, the way the solution writes it, near misses, why).
_MEAN_FORMS = {
    ("x_0", "x_0"): ("sqrt(alpha_bar_prev)*beta_t/(1 - alpha_bar_t)",
                     "sqrt(alpha_bar_prev)*(1 - alpha_t)/(1 - alpha_bar_prev*alpha_t)",
                     (("sqrt(alpha_bar_t)*beta_t/(1 - alpha_bar_t)", r"$\bar\alpha_t$ stands where "
                       r"$\bar\alpha_{t-1}$ belongs: $x_0$ reaches $x_{t-1}$ through $\sqrt{\bar\alpha_{t-1}}$."),
                      ("sqrt(alpha_t)*(1 - alpha_bar_prev)/(1 - alpha_bar_t)", "that is the coefficient of $x_t$."),
                      ("alpha_bar_prev*beta_t/(1 - alpha_bar_t)", r"a square root is missing on $\bar\alpha_{t-1}$.")),
                     r"the $x_0$ term comes from $q(x_{t-1} \mid x_0)$, whose mean is $\sqrt{\bar\alpha_{t-1}} x_0$, "
                     r"weighted by its share $\beta_t / (1 - \bar\alpha_t)$ of the precision"),
    ("x_0", "x_t"): ("sqrt(alpha_t)*(1 - alpha_bar_prev)/(1 - alpha_bar_t)",
                     "sqrt(1 - beta_t)*(1 - alpha_bar_prev)/(1 - alpha_bar_prev*(1 - beta_t))",
                     (("sqrt(alpha_bar_prev)*beta_t/(1 - alpha_bar_t)", "that is the coefficient of $x_0$."),
                      ("alpha_t*(1 - alpha_bar_prev)/(1 - alpha_bar_t)", r"a square root is missing on $\alpha_t$."),
                      ("sqrt(alpha_bar_t)*(1 - alpha_bar_prev)/(1 - alpha_bar_t)", r"$x_t$ enters through one step, "
                       r"$q(x_t \mid x_{t-1})$, whose mean is $\sqrt{\alpha_t} x_{t-1}$: $\alpha_t$, not $\bar\alpha_t$.")),
                     r"the $x_t$ term comes from the one-step likelihood $q(x_t \mid x_{t-1}) = \mathcal N("
                     r"\sqrt{\alpha_t} x_{t-1}, \beta_t I)$: as a function of $x_{t-1}$ it is centred at "
                     r"$x_t/\sqrt{\alpha_t}$ with precision $\alpha_t/\beta_t$, whose share of the total precision is "
                     r"$\alpha_t(1 - \bar\alpha_{t-1}) / (1 - \bar\alpha_t)$; the coefficient is that share times "
                     r"$1/\sqrt{\alpha_t}$"),
    ("epsilon", "x_t"): ("1/sqrt(alpha_t)", "1/sqrt(1 - beta_t)",
                         (("1/sqrt(alpha_bar_t)", r"that rescales by $\bar\alpha_t$, as in $\hat x_0$; one "
                           r"reverse step undoes one forward step, $1/\sqrt{\alpha_t}$."),
                          ("1/alpha_t", r"a square root is missing on $\alpha_t$."),
                          ("sqrt(alpha_t)", "the factor is inverted: the reverse step divides by "
                           r"$\sqrt{\alpha_t}$.")),
                         r"substituting $x_0 = (x_t - \sqrt{1 - \bar\alpha_t}\,\epsilon) / \sqrt{\bar\alpha_t}$ into "
                         r"Eq. 7, the $x_t$ terms add up to $x_t / \sqrt{\alpha_t}$"),
    ("epsilon", "\\epsilon"): ("-beta_t/(sqrt(alpha_t)*sqrt(1 - alpha_bar_t))",
                               "-(1 - alpha_t)/sqrt(alpha_t*(1 - alpha_bar_prev*alpha_t))",
                               (("-beta_t/(sqrt(alpha_t)*(1 - alpha_bar_t))", r"the noise is scaled by the "
                                 r"standard deviation $\sqrt{1 - \bar\alpha_t}$, not the variance."),
                                ("-sqrt(1 - alpha_bar_t)/sqrt(alpha_bar_t)", r"that is the coefficient of "
                                 r"$\epsilon$ in $\hat x_0$, not in $\tilde\mu_t$."),
                                ("-beta_t/sqrt(1 - alpha_bar_t)", r"the whole mean is divided by "
                                 r"$\sqrt{\alpha_t}$, the $\epsilon$ term included.")),
                               r"substituting $x_0 = (x_t - \sqrt{1 - \bar\alpha_t}\,\epsilon) / \sqrt{\bar\alpha_t}$ "
                               r"into Eq. 7 gives $\tilde\mu_t = \frac{1}{\sqrt{\alpha_t}}\left(x_t - "
                               r"\frac{\beta_t}{\sqrt{1 - \bar\alpha_t}}\epsilon\right)$ (Eq. 11)"),
}


@question("ddpm", kind="symbolic", difficulty=2, title="The posterior mean's coefficients")
def posterior_mean_coefficient(rng):
    form, which = rng.choice(sorted(_MEAN_FORMS))
    expr, worked, misses, why = _MEAN_FORMS[(form, which)]
    answer = Symbolic(expr, STEP_VARS, tuple(NearMiss(e, m) for e, m in misses))
    # Checked against course_core at one point: the posterior mean with a unit in the asked-for slot.
    beta = torch.tensor([0.1, 0.2], dtype=torch.float64)
    ab = schedules.alpha_bar_from_beta(beta)
    one, zero, t = torch.ones(1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64), torch.tensor([1])
    if form == "x_0":
        x0, x_t = (one, zero) if which == "x_0" else (zero, one)
    else:  # x_0 written through x_t and eps: x0 = (x_t - sqrt(1 - ab) eps) / sqrt(ab)
        x_t, eps = (one, zero) if which == "x_t" else (zero, one)
        x0 = ddpm.predict_x0_from_eps(x_t, t, eps, ab)
    mean, _ = ddpm.q_posterior_mean_variance(x0, x_t, t, beta)
    agrees(answer.at(alpha_bar_prev=float(ab[0]), beta_t=0.2), float(mean.flatten()[0]))
    written = r"$x_0$ and $x_t$" if form == "x_0" else r"$x_t$ and the noise $\epsilon$ with $x_t = " \
                                                       r"\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon$"
    return Draft(
        prompt=r"The posterior of DDPM's forward process is $q(x_{t-1} \mid x_t, x_0) = \mathcal N(\tilde\mu_t, "
               rf"\tilde\beta_t I)$. Written in terms of {written}, $\tilde\mu_t$ is linear. Give the coefficient "
               rf"of ${which}$ in $\tilde\mu_t$. Variables: {answer.names()}.",
        parts=[Part(ask=f"coefficient of ${which}$ =", answer=answer, worked=worked)],
        solution=r"Complete the square in $x_{t-1}$ in $q(x_t \mid x_{t-1})\, q(x_{t-1} \mid x_0)$: the precision "
                 r"is $\alpha_t / \beta_t + 1 / (1 - \bar\alpha_{t-1}) = (1 - \bar\alpha_t) / (\beta_t (1 - "
                 rf"\bar\alpha_{{t-1}}))$, and {why}. So the coefficient of ${which}$ is ${answer.latex()}$ "
                 "(Ho et al. 2020).")


_X0_FORMS = {
    # asked quantity -> (answer, worked, variables, near misses)
    "x0_from_eps": (r"$\hat x_0$, the estimate of $x_0$ from $x_t$ and a noise prediction $\epsilon$",
                    "(x_t - sqrt(1 - alpha_bar_t)*eps)/sqrt(alpha_bar_t)",
                    "x_t/sqrt(alpha_bar_t) - eps*sqrt(1/alpha_bar_t - 1)",
                    (("(x_t - (1 - alpha_bar_t)*eps)/sqrt(alpha_bar_t)", "the noise enters $x_t$ scaled by "
                      r"$\sqrt{1 - \bar\alpha_t}$, the standard deviation, not the variance."),
                     ("(x_t + sqrt(1 - alpha_bar_t)*eps)/sqrt(alpha_bar_t)", "the noise is subtracted, not added."),
                     ("(x_t - sqrt(1 - alpha_bar_t)*eps)/alpha_bar_t", r"divide by $\sqrt{\bar\alpha_t}$, the "
                      "signal's scale, not by its square."))),
    "eps_from_x0": (r"the noise $\epsilon$ that produced $x_t$ from $x_0$",
                    "(x_t - sqrt(alpha_bar_t)*x_0)/sqrt(1 - alpha_bar_t)",
                    "x_t/sqrt(1 - alpha_bar_t) - x_0*sqrt(alpha_bar_t/(1 - alpha_bar_t))",
                    (("(x_t - alpha_bar_t*x_0)/sqrt(1 - alpha_bar_t)", r"the signal is scaled by "
                      r"$\sqrt{\bar\alpha_t}$ in $x_t$."),
                     ("(x_t - sqrt(alpha_bar_t)*x_0)/(1 - alpha_bar_t)", "divide by the standard deviation "
                      r"$\sqrt{1 - \bar\alpha_t}$, not the variance."))),
    "score_from_eps": (r"the score $\nabla_{x_t} \log q(x_t \mid x_0)$ in terms of the noise $\epsilon$ in $x_t$",
                       "-eps/sqrt(1 - alpha_bar_t)", "-(eps*sqrt(1 - alpha_bar_t))/(1 - alpha_bar_t)",
                       (("-eps/(1 - alpha_bar_t)", "the score of $\\mathcal N(\\mu, s^2)$ is $-(x - \\mu)/s^2$ and "
                         "$x_t - \\mu = \\sqrt{1 - \\bar\\alpha_t}\\,\\epsilon$: one square root survives."),
                        ("-eps*sqrt(1 - alpha_bar_t)", "the standard deviation divides the noise; it does not "
                         "multiply it."))),
    "x0_from_score": (r"Tweedie's estimate $\mathbb E[x_0 \mid x_t]$ from the score $s = \nabla_{x_t}\log p_t(x_t)$",
                      "(x_t + (1 - alpha_bar_t)*s)/sqrt(alpha_bar_t)",
                      "x_t/sqrt(alpha_bar_t) + s*(1 - alpha_bar_t)/sqrt(alpha_bar_t)",
                      (("(x_t + sqrt(1 - alpha_bar_t)*s)/sqrt(alpha_bar_t)", "Tweedie adds the noise *variance* "
                        r"$1 - \bar\alpha_t$ times the score."),
                       ("x_t + (1 - alpha_bar_t)*s", r"that is $\mathbb E[\sqrt{\bar\alpha_t} x_0 \mid x_t]$; "
                        r"divide by $\sqrt{\bar\alpha_t}$ to reach $x_0$."),
                       ("(x_t - (1 - alpha_bar_t)*s)/sqrt(alpha_bar_t)", "the score points toward the data: it is "
                        "added."))),
}
_X0_VARS = {"x_t": Var("x_t", "x_t", -2, 2), "eps": Var("eps", r"\epsilon", -2, 2),
            "x_0": Var("x_0", "x_0", -1, 1), "s": Var("s", "s", -2, 2),
            "alpha_bar_t": Var("alpha_bar_t", r"\bar\alpha_t", 0.05, 0.95)}


@question("ddpm", kind="symbolic", difficulty=1, title="Moving between x̂_0, ε and the score")
def parameterizations(rng):
    key = rng.choice(sorted(_X0_FORMS))
    asked, expr, worked, misses = _X0_FORMS[key]
    names = [n for n in _X0_VARS if re.search(rf"\b{n}\b", expr)]
    answer = Symbolic(expr, tuple(_X0_VARS[n] for n in names), tuple(NearMiss(e, m) for e, m in misses))
    ab = torch.tensor([0.3], dtype=torch.float64)
    x_t, other, t = torch.tensor([0.7], dtype=torch.float64), torch.tensor([-0.4], dtype=torch.float64), torch.tensor([0])
    if key == "x0_from_eps":
        ref, at = ddpm.predict_x0_from_eps(x_t, t, other, ab), dict(x_t=0.7, eps=-0.4)
    elif key == "eps_from_x0":
        ref, at = (x_t - ab.sqrt() * other) / (1 - ab).sqrt(), dict(x_t=0.7, x_0=-0.4)
        agrees(float(ddpm.q_sample(other, t, ref, ab)[0]), 0.7)  # q_sample with that noise gives x_t back
    elif key == "score_from_eps":
        from course_core.score import score_from_eps
        ref, at = score_from_eps(other, t, ab), dict(eps=-0.4)
    else:
        from course_core.score import x0_from_score
        ref, at = x0_from_score(x_t, t, other, ab), dict(x_t=0.7, s=-0.4)
    agrees(answer.at(alpha_bar_t=0.3, **at), float(ref.flatten()[0]))
    return Draft(
        prompt=rf"Under $q(x_t \mid x_0) = \mathcal N(\sqrt{{\bar\alpha_t}}\,x_0, (1 - \bar\alpha_t) I)$, write "
               rf"{asked}. Variables: {answer.names()}.",
        parts=[Part(ask="expression =", answer=answer, worked=worked)],
        solution=r"Write $x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1 - \bar\alpha_t}\,\epsilon$ and solve for the asked "
                 r"quantity; the score of the Gaussian $q(x_t \mid x_0)$ is $-(x_t - \sqrt{\bar\alpha_t}x_0)/(1 - "
                 r"\bar\alpha_t) = -\epsilon/\sqrt{1 - \bar\alpha_t}$, and Tweedie's formula gives "
                 r"$\mathbb E[\sqrt{\bar\alpha_t}x_0 \mid x_t] = x_t + (1 - \bar\alpha_t)\nabla\log p_t(x_t)$. "
                 rf"Answer: ${answer.latex()}$.")


@question("ddpm", kind="derivation", difficulty=3, title="One reverse DDPM step, by hand")
def reverse_step(rng):
    while True:
        T, b1, bT, beta = _schedule(rng)
        t = rng.randint(3, T)
        x_t, eps_pred, z = nice(rng, -1.5, 1.5, 2), nice(rng, -1.5, 1.5, 2), nice(rng, -1.5, 1.5, 2)
        ab = schedules.alpha_bar_from_beta(beta)
        ab_t, ab_prev, b_t = float(ab[t - 1]), float(ab[t - 2]), float(beta[t - 1])
        x0_hat = (x_t - math.sqrt(1 - ab_t) * eps_pred) / math.sqrt(ab_t)
        if abs(x0_hat) > 0.1 and abs(x_t) > 0.1:
            break
    ten = lambda v: torch.tensor([v], dtype=torch.float64)  # noqa: E731
    tt = torch.tensor([t - 1])
    x0_ref = float(ddpm.predict_x0_from_eps(ten(x_t), tt, ten(eps_pred), ab)[0])
    mean_ref, var_ref = (float(m.flatten()[0]) for m in ddpm.q_posterior_mean_variance(ten(x0_ref), ten(x_t), tt, beta))
    step_ref = float(ddpm.ddpm_step(ten(x_t), tt, ten(eps_pred), beta, noise=ten(z))[0])
    c0 = math.sqrt(ab_prev) * b_t / (1 - ab_t)
    ct = math.sqrt(1 - b_t) * (1 - ab_prev) / (1 - ab_t)
    mean = c0 * x0_hat + ct * x_t
    var = (1 - ab_prev) / (1 - ab_t) * b_t
    x_prev = mean + math.sqrt(var) * z
    agrees(step_ref, x_prev, rtol=1e-6)
    return Draft(
        prompt=rf"A DDPM with $\beta_{{{t}}} = {f(b_t, 6)}$, $\bar\alpha_{{{t - 1}}} = {f(ab_prev, 6)}$ and "
               rf"$\bar\alpha_{{{t}}} = {f(ab_t, 6)}$ takes one reverse step from $x_{{{t}}} = {x_t}$ (one pixel). "
               rf"The network predicts $\epsilon_\theta(x_{{{t}}}, {t}) = {eps_pred}$; the step uses the posterior "
               rf"variance $\sigma_t^2 = \tilde\beta_t$ and the noise draw $z = {z}$.",
        parts=[
            Part(ask=r"$\hat x_0$ =", answer=Numeric(x0_ref, near_misses=(
                NearMiss((x_t - (1 - ab_t) * eps_pred) / math.sqrt(ab_t), r"scale the noise by "
                         r"$\sqrt{1 - \bar\alpha_t}$, not $1 - \bar\alpha_t$."),)) if apart(
                x0_ref, [(x_t - (1 - ab_t) * eps_pred) / math.sqrt(ab_t)]) else Numeric(x0_ref),
                 worked=repr(x0_hat),
                 after=r"Next: $\tilde\mu_t$ is Eq. 7 with $x_0$ replaced by $\hat x_0$: a weighted sum of "
                       r"$\hat x_0$ and $x_t$ with weights $\frac{\sqrt{\bar\alpha_{t-1}}\beta_t}{1 - \bar\alpha_t}$ "
                       r"and $\frac{\sqrt{\alpha_t}(1 - \bar\alpha_{t-1})}{1 - \bar\alpha_t}$."),
            Part(ask=r"$\tilde\mu_t(x_t, \hat x_0)$ =", answer=Numeric(mean_ref), worked=repr(mean),
                 after=r"Next: the variance $\tilde\beta_t = \frac{1 - \bar\alpha_{t-1}}{1 - \bar\alpha_t}\beta_t$."),
            Part(ask=r"$\tilde\beta_t$ =", answer=Numeric(var_ref, near_misses=(
                NearMiss(b_t, r"that is $\beta_t$; the question fixes $\sigma_t^2 = \tilde\beta_t$."),)),
                 worked=repr(var),
                 after=r"Last: $x_{t-1} = \tilde\mu_t + \sigma_t z$ with $\sigma_t = \sqrt{\tilde\beta_t}$."),
            Part(ask=rf"$x_{{{t - 1}}}$ =", answer=Numeric(step_ref, near_misses=(
                NearMiss(mean + var * z, r"the noise is scaled by the standard deviation $\sqrt{\tilde\beta_t}$."),)
                if apart(step_ref, [mean + var * z]) else ()), worked=repr(x_prev),
                 after="This is Algorithm 2 of Ho et al. 2020 with the posterior variance."),
        ],
        solution=rf"1. $\hat x_0 = \frac{{x_t - \sqrt{{1 - \bar\alpha_t}}\,\epsilon_\theta}}{{\sqrt{{\bar\alpha_t}}}} = "
                 rf"\frac{{{x_t} - {f(math.sqrt(1 - ab_t), 6)} \cdot {factor(eps_pred)}}}{{{f(math.sqrt(ab_t), 6)}}} = "
                 rf"{f(x0_hat, 6)}$." "\n\n"
                 rf"2. With $\alpha_t = 1 - \beta_t = {f(1 - b_t, 6)}$ the weights are $\frac{{\sqrt{{\bar\alpha_{{t-1}}}}"
                 rf"\beta_t}}{{1 - \bar\alpha_t}} = {f(c0, 6)}$ and $\frac{{\sqrt{{\alpha_t}}(1 - \bar\alpha_{{t-1}})}}"
                 rf"{{1 - \bar\alpha_t}} = {f(ct, 6)}$, so $\tilde\mu_t = {f(c0, 6)} \cdot {factor(x0_hat, 6)} + "
                 rf"{f(ct, 6)} \cdot {factor(x_t)} = {f(mean, 6)}$." "\n\n"
                 rf"3. $\tilde\beta_t = \frac{{1 - {f(ab_prev, 6)}}}{{1 - {f(ab_t, 6)}}} \cdot {f(b_t, 6)} = "
                 rf"{f(var, 6)}$." "\n\n"
                 rf"4. $x_{{{t - 1}}} = \tilde\mu_t + \sqrt{{\tilde\beta_t}}\,z = {f(mean, 6)} + {f(math.sqrt(var), 6)}"
                 rf" \cdot {factor(z)} = {f(x_prev, 6)}$.")


@question("ddpm", kind="numeric", difficulty=2, title="A variational-bound term L_{t-1}")
def vlb_term(rng):
    while True:
        mu_q, mu_p = nice(rng, -1, 1, 2), nice(rng, -1, 1, 2)
        var_q, var_p = nice(rng, 0.02, 0.2, 3), nice(rng, 0.02, 0.2, 3)
        equal = rng.random() < 0.5
        if equal:
            var_p = var_q
        kl = float(ddpm.normal_kl(torch.tensor(mu_q, dtype=torch.float64), torch.tensor(math.log(var_q), dtype=torch.float64),
                                  torch.tensor(mu_p, dtype=torch.float64), torch.tensor(math.log(var_p), dtype=torch.float64)))
        worked = 0.5 * (math.log(var_p / var_q) + var_q / var_p + (mu_q - mu_p) ** 2 / var_p - 1)
        swapped = 0.5 * (math.log(var_q / var_p) + var_p / var_q + (mu_q - mu_p) ** 2 / var_q - 1)
        misses = [(swapped, r"that is $D_{\mathrm{KL}}(p_\theta \| q)$: the bound has the posterior $q$ first."),
                  (worked * 2, r"the KL has a factor $\frac{1}{2}$.")]
        if kl > 1e-3 and distinct([kl, kl / math.log(2)] + [m for m, _ in misses], 0.05):
            break
    return Draft(
        prompt=r"One term of DDPM's variational bound is $L_{t-1} = D_{\mathrm{KL}}\left(q(x_{t-1} \mid x_t, x_0) \| "
               rf"p_\theta(x_{{t-1}} \mid x_t)\right)$. For one pixel, $q = \mathcal N({mu_q}, {var_q})$ and "
               rf"$p_\theta = \mathcal N({mu_p}, {var_p})$ (means and variances). Compute $L_{{t-1}}$ in nats.",
        parts=[Part(ask="$L_{t-1}$ (nats) =", answer=Numeric(kl, near_misses=tuple(NearMiss(m, w) for m, w in misses)
                                                              + (NearMiss(kl / math.log(2), "that is in bits; "
                                                                          "the question asks for nats."),)),
                    worked=repr(worked))],
        solution=r"$D_{\mathrm{KL}}(\mathcal N(\mu_1, s_1^2) \| \mathcal N(\mu_2, s_2^2)) = \frac{1}{2}\left(\log"
                 r"\frac{s_2^2}{s_1^2} + \frac{s_1^2}{s_2^2} + \frac{(\mu_1 - \mu_2)^2}{s_2^2} - 1\right)$"
                 + (r"; with equal variances it is $\frac{(\mu_1 - \mu_2)^2}{2 s^2}$, the weighted squared error "
                    r"that $L_{\mathrm{simple}}$ reweights" if equal else "")
                 + rf". Here: $\frac{{1}}{{2}}\left(\log\frac{{{var_p}}}{{{var_q}}} + \frac{{{var_q}}}{{{var_p}}} + "
                   rf"\frac{{({mu_q} - {factor(mu_p)})^2}}{{{var_p}}} - 1\right) = {f(worked, 6)}$ nats.")


@question("ddpm", kind="numeric", difficulty=2, title="L_0: the discretized decoder's bits for one pixel")
def decoder_bits(rng):
    while True:
        level = rng.randint(1, 254)  # an interior 8-bit level, scaled to [-1, 1]
        x = level / 127.5 - 1
        mean, std = x + nice(rng, -0.03, 0.03, 3), nice(rng, 0.005, 0.03, 3)
        log_p = float(ddpm.discretized_gaussian_log_likelihood(torch.tensor([x], dtype=torch.float64),
                                                               torch.tensor([mean], dtype=torch.float64),
                                                               torch.tensor([math.log(std)], dtype=torch.float64))[0])
        bits = -log_p / math.log(2)
        phi = lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2)))  # noqa: E731
        mass = phi((x + 1 / 255 - mean) / std) - phi((x - 1 / 255 - mean) / std)
        worked = -math.log2(mass)
        density = math.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))
        misses = [(-log_p, "that is in nats; divide by $\\ln 2$ for bits."),
                  (-math.log2(density), "that is minus the log-density; the decoder assigns the *probability "
                   "mass* of the pixel's bin, $[x - 1/255, x + 1/255]$.")]
        if 0.05 < bits < 20 and distinct([bits] + [m for m, _ in misses], 0.05):
            break
    midpoint = (-math.log2(density * 2 / 255), "that approximates the bin's mass by the density at $x$ times the bin "
                "width $2/255$; the bin is not narrow compared with $\\sigma$ here, so use the difference of the normal "
                "CDF $\\Phi$ at the bin's edges.")
    if apart(midpoint[0], [bits], 0.01) and apart(midpoint[0], [m for m, _ in misses]):  # named where far enough
        misses.append(midpoint)
    return Draft(
        prompt=rf"DDPM's last step $p_\theta(x_0 \mid x_1)$ is a discretized Gaussian: pixel values "
               rf"$\{{0, \dots, 255\}}$ are scaled to $[-1, 1]$ and each gets the Gaussian's probability mass over "
               rf"its bin of width $2/255$. A pixel of level {level} ($x_0 = {f(x, 6)}$) is decoded with mean "
               rf"$\mu = {f(mean, 6)}$ and standard deviation $\sigma = {std}$. How many bits does $L_0 = -\log "
               rf"p_\theta(x_0 \mid x_1)$ cost for this pixel?",
        parts=[Part(ask="$L_0$ (bits) =", answer=Numeric(bits, near_misses=tuple(NearMiss(m, w) for m, w in misses)),
                    worked=repr(worked))],
        solution=rf"The bin is $[{f(x - 1 / 255, 6)}, {f(x + 1 / 255, 6)}]$. Its mass is $\Phi\left(\frac{{x + 1/255 - "
                 rf"\mu}}{{\sigma}}\right) - \Phi\left(\frac{{x - 1/255 - \mu}}{{\sigma}}\right) = {f(mass, 6)}$, so "
                 rf"$L_0 = -\log_2 {f(mass, 6)} = {f(worked, 6)}$ bits (Ho et al. 2020, Eq. 13).")


@question("ddpm", kind="numeric", difficulty=1, title="Bits per dimension from a negative log-likelihood")
def bits_per_dim(rng):
    side, channels = rng.choice([8, 16, 28, 32]), rng.choice([1, 3])
    D = side * side * channels
    bpd = nice(rng, 0.8, 5.0, 3)
    nll = round(bpd * D * math.log(2), 1)
    answer = nll / (D * math.log(2))
    return Draft(
        prompt=rf"A diffusion model's variational bound gives a negative log-likelihood of ${nll}$ nats for a "
               rf"${side} \times {side}$ image with {channels} channel{'s' if channels > 1 else ''}. What is it in "
               "bits per dimension?",
        parts=[Part(ask="bits/dim =", answer=Numeric(answer, near_misses=(
            NearMiss(nll / D, "that is nats per dimension; divide by $\\ln 2$ as well."),
            NearMiss(nll / (side * side * math.log(2)), "count every channel: $D$ is height × width × channels.")
            if channels > 1 else NearMiss(nll / math.log(2), "divide by the number of dimensions $D$ too."))),
            worked=repr(nll / D / math.log(2)))],
        solution=rf"$D = {side} \cdot {side} \cdot {channels} = {D}$ and bits/dim $= \frac{{\mathrm{{NLL}}}}{{D \ln 2}} = "
                 rf"\frac{{{nll}}}{{{D} \cdot {f(math.log(2), 6)}}} = {f(nll / D / math.log(2), 6)}$.")


_DDPM_CHOICES = [
    (r"What does the term $L_0 = -\log p_\theta(x_0 \mid x_1)$ of DDPM's variational bound measure?",
     "How well the last step decodes the discrete pixel values: the probability mass of each pixel's bin",
     [("How far $q(x_T \\mid x_0)$ is from the prior $\\mathcal N(0, I)$", "that is $L_T$, which has no "
       "trainable parameters."),
      ("The denoising error at the noisiest step", "the noisiest step is $t = T$; $L_0$ is the last, "
       "least noisy one."),
      ("The KL between two Gaussians, like every other term", "$L_0$ is a discrete likelihood, not a KL.")],
     r"$L_0$ is the reconstruction term: a discretized Gaussian decoder gives each 8-bit value the mass of its "
     r"bin, which makes the bound a true bound on the discrete data's likelihood."),
    (r"Why has $L_T = D_{\mathrm{KL}}(q(x_T \mid x_0) \| p(x_T))$ no effect on training?",
     "It has no trainable parameters: the forward process and the prior are fixed",
     [("It is always exactly zero", "it is small ($\\bar\\alpha_T \\approx 0$) but not zero."),
      ("It is folded into $L_{\\mathrm{simple}}$ with weight 1", "it does not depend on $\\theta$, so it has no "
       "gradient to fold in."),
      ("It is estimated by Monte Carlo and the estimate averages out", "it is a closed-form KL between Gaussians.")],
     r"Both $q(x_T \mid x_0) = \mathcal N(\sqrt{\bar\alpha_T}x_0, (1-\bar\alpha_T)I)$ and $p(x_T) = \mathcal N(0, I)$ are "
     r"fixed, so $L_T$ is a constant of the objective."),
    (r"$L_{\mathrm{simple}}$ drops the weights of the $\epsilon$-form of $L_{t-1}$. What does that do?",
     "It down-weights the small-$t$ (least noisy) terms relative to the bound, which improves sample quality",
     [("It makes the loss an exact bound on the log-likelihood", "without the weights it is no longer the bound."),
      ("It up-weights the small-$t$ terms", "the bound's weights are largest at small $t$; dropping them "
       "down-weights those terms."),
      ("Nothing: the weights are all equal to 1", "they are $\\frac{\\beta_t^2}{2\\sigma_t^2 \\alpha_t(1 - "
       "\\bar\\alpha_t)}$, which vary strongly with $t$: with $\\sigma_t^2 = \\beta_t$ about $\\frac{1}{2}$ at "
       "$t = 1$ and about $\\beta_T/2$ at $t = T$.")],
     "Ho et al. 2020 (Sec. 3.4) report better samples with the unweighted loss, which focuses the network on the "
     "harder, noisier denoising tasks; the price is a worse likelihood."),
    (r"Why can DDPM train on a single random timestep $t$ per example instead of running the whole chain?",
     r"Because $q(x_t \mid x_0)$ is Gaussian in closed form, so $x_t$ is sampled directly from $x_0$",
     [("Because the reverse process is deterministic", "the reverse process is stochastic."),
      ("Because the network ignores $t$", "the network is conditioned on $t$."),
      ("Because every term of the bound is equal", "the terms differ; uniform sampling of $t$ gives an unbiased "
       "estimate of their sum.")],
     r"$x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon$ in one draw, and a uniform $t$ gives an "
     "unbiased estimate of the sum over $t$."),
    (r"Which reverse variance makes DDPM's step exact when the data is a single point $x_0$?",
     r"$\sigma_t^2 = \tilde\beta_t$, the posterior variance",
     [(r"$\sigma_t^2 = \beta_t$", "that is optimal for $x_0 \\sim \\mathcal N(0, I)$, the other extreme."),
      (r"$\sigma_t^2 = 0$", "that is DDIM's deterministic choice, not the posterior."),
      (r"$\sigma_t^2 = 1 - \bar\alpha_t$", "that is the marginal variance of $x_t$ given $x_0$.")],
     r"With a deterministic $x_0$ the true reverse step is exactly the posterior $q(x_{t-1} \mid x_t, x_0)$, whose "
     r"variance is $\tilde\beta_t$; Ho et al. note $\beta_t$ and $\tilde\beta_t$ as the two extremes."),
]


@question("ddpm", kind="choice", difficulty=2, title="DDPM's variational bound and training, conceptually")
def bound_concepts(rng):
    stem, correct, wrong, why = rng.choice(_DDPM_CHOICES)
    choice = shuffled_choice(rng, correct, wrong)
    return Draft(prompt=stem, parts=[Part(ask="Your choice:", answer=choice, worked=choice.typed(), after=why)],
                 solution=f"Answer: ({choice.letter(choice.correct)}) {correct}. {why}")


_DDPM_FACTS = [
    (r"For every $t$, $q(x_t \mid x_0)$ is a Gaussian whose mean is $\sqrt{\bar\alpha_t}\,x_0$.", True,
     r"composing Gaussian steps gives a Gaussian: mean $\sqrt{\bar\alpha_t}x_0$, variance $(1 - \bar\alpha_t)I$."),
    (r"The reverse conditional $q(x_{t-1} \mid x_t)$ (without $x_0$) is Gaussian for any data distribution.", False,
     r"in general it is a mixture over $x_0$ of the Gaussians $q(x_{t-1} \mid x_t, x_0)$, weighted by "
     r"$q(x_0 \mid x_t)$; it is close to Gaussian only for small $\beta_t$ (and exactly Gaussian for special data, "
     r"e.g. Gaussian data). Conditioning on $x_0$ is what makes the posterior tractable."),
    (r"$\tilde\beta_t \le \beta_t$ for every $t \ge 2$.", True,
     r"$\tilde\beta_t = \frac{1 - \bar\alpha_{t-1}}{1 - \bar\alpha_t}\beta_t$ and $\bar\alpha_{t-1} > \bar\alpha_t$."),
    (r"Predicting $\epsilon$ and predicting $x_0$ are equivalent parameterizations of the reverse mean.", True,
     r"$\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\hat\epsilon)/\sqrt{\bar\alpha_t}$ is a bijection for fixed $x_t, t$; "
     "they differ in the loss weighting they induce, not in what they can express."),
    (r"$\bar\alpha_t$ increases with $t$.", False,
     r"$\bar\alpha_t = \prod_s (1 - \beta_s)$ is a product of factors below 1: it decreases toward 0."),
    (r"The variational bound of DDPM is a lower bound on $\log p_\theta(x_0)$.", True,
     r"the VLB (ELBO) bounds the log-likelihood from below; the loss $L = -\mathrm{ELBO}$ bounds the NLL from above."),
    (r"Bits per dimension compare likelihoods across image sizes because they divide by the number of pixels times "
     r"channels and by $\ln 2$.", True, r"$\mathrm{bpd} = \mathrm{NLL} / (D \ln 2)$ normalises by dimension and "
     "converts nats to bits."),
]


@question("ddpm", kind="true-false", difficulty=1, title="DDPM facts: true or false")
def ddpm_facts(rng):
    statement, truth, why = rng.choice(_DDPM_FACTS)
    choice = true_false(truth, why)
    return Draft(prompt=f"True or false: {statement}",
                 parts=[Part(ask="true or false?", answer=choice, worked=choice.typed(), after=f"{truth}: {why}")],
                 solution=f"{'True' if truth else 'False'}: {why}")
