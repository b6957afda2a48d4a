"""Chapter 6, guided diffusion: classifier guidance (Dhariwal and Nichol 2021, arXiv:2105.05233), classifier-free
guidance and its implicit classifier (Ho and Salimans 2022, arXiv:2207.12598), label dropout, the sharpened
distribution p(x) p(y | x)^gamma guidance targets, and Imagen's dynamic thresholding (Saharia et al. 2022,
arXiv:2205.11487). Answers come from `course_core.guidance`; worked solutions recompute them by hand.

Conventions, stated in every prompt: Ho and Salimans write CFG as (1 + w) eps_c - w eps_u (w = 0 is conditional);
course_core and diffusers take guidance_scale s = 1 + w, eps_u + s (eps_c - eps_u) (s = 1 conditional, 0
unconditional); classifier guidance at scale s is eps - s sqrt(1 - alpha_bar_t) grad log p(y | x_t)."""

from __future__ import annotations

import math

import torch

from course_core import guidance

from ..answers import Numeric, Symbolic, Var, format_number as f
from ..question import (Draft, Part, agrees, factor, near_misses, nice, question, scalars, separated,
                        shuffled_choice, true_false)

F64 = torch.float64


_CONVENTION = {
    "w": r"Ho and Salimans' convention $\tilde\epsilon = (1 + w)\,\epsilon_\theta(x_t, c) - w\,\epsilon_\theta(x_t, "
         r"\varnothing)$, where $w = 0$ is plain conditional sampling",
    "s": r"the guidance-scale convention of diffusers and course_core, $\tilde\epsilon = \epsilon_\theta(x_t, "
         r"\varnothing) + s\,(\epsilon_\theta(x_t, c) - \epsilon_\theta(x_t, \varnothing))$, where $s = 1$ is plain "
         r"conditional sampling and $s = 0$ unconditional ($s = 1 + w$)",
}


@question("guidance", kind="numeric", difficulty=1, title="The classifier-free guided noise prediction")
def cfg_noise_prediction(rng):
    convention = rng.choice(["w", "s"])
    while True:
        eps_c, eps_u = nice(rng, -1.5, 1.5, 2), nice(rng, -1.5, 1.5, 2)
        weight = nice(rng, 0.5, 5, 1) if convention == "w" else nice(rng, 1.5, 6, 1)
        scale = 1 + weight if convention == "w" else weight
        answer = float(guidance.cfg_eps(scalars(eps_c), scalars(eps_u), scale)[0])
        if convention == "w":
            worked = (1 + weight) * eps_c - weight * eps_u
            misses = near_misses([
                (eps_u + weight * (eps_c - eps_u), "that is $\\epsilon_u + w(\\epsilon_c - \\epsilon_u)$, which uses "
                 "$w$ as the guidance scale; in Ho and Salimans' form the conditional prediction has weight $1 + w$ "
                 "($w = 0$ is the conditional model, not the unconditional one)."),
                ((1 + weight) * eps_u - weight * eps_c, "the two predictions are swapped: guidance extrapolates from "
                 "the unconditional prediction through the conditional one and beyond."),
                ((1 + weight) * eps_c + weight * eps_u, "the unconditional prediction is subtracted: the weights "
                 "$1 + w$ and $-w$ sum to one.")])
        else:
            worked = eps_u + weight * (eps_c - eps_u)
            misses = near_misses([
                ((1 + weight) * eps_c - weight * eps_u, "that reads $s$ as Ho and Salimans' $w$; with the guidance "
                 "scale $s = 1 + w$ the prediction is $\\epsilon_u + s(\\epsilon_c - \\epsilon_u) = s\\,\\epsilon_c - "
                 "(s - 1)\\,\\epsilon_u$."),
                (eps_c + weight * (eps_u - eps_c), "the two predictions are swapped: guidance extrapolates from "
                 "the unconditional prediction through the conditional one and beyond."),
                (weight * eps_c, "CFG does not just scale the conditional prediction: it moves along the difference "
                 "$\\epsilon_c - \\epsilon_u$, starting from $\\epsilon_u$.")])
        if abs(eps_c - eps_u) > 0.2 and abs(answer) > 0.05 and separated(answer, [m.answer for m in misses]):
            break
    symbol = "w" if convention == "w" else "s"
    steps = (f"(1 + {weight}) \\cdot {factor(eps_c)} - {weight} \\cdot {factor(eps_u)}" if convention == "w" else
             f"{factor(eps_u)} + {weight} \\cdot ({factor(eps_c)} - {factor(eps_u)})")
    return Draft(
        prompt=f"A classifier-free guided diffusion model predicts, at one pixel of $x_t$, "
               f"$\\epsilon_\\theta(x_t, c) = {eps_c}$ with the prompt $c$ and $\\epsilon_\\theta(x_t, \\varnothing) = "
               f"{eps_u}$ with the null label. The sampler uses {_CONVENTION[convention]}, with ${symbol} = {weight}$. "
               "What guided noise prediction $\\tilde\\epsilon$ does it use at that pixel?",
        parts=[Part(ask="$\\tilde\\epsilon$ =", answer=Numeric(answer, rtol=1e-3, near_misses=misses),
                    worked=repr(worked))],
        solution=f"Ho and Salimans 2022, Eq. (6), in the stated convention: $\\tilde\\epsilon = {steps} = {f(worked, 6)}$. "
                 "The guided prediction lies on the line through the two predictions, beyond the conditional one "
                 "(as seen from the unconditional one) whenever the conditional weight exceeds 1.")


@question("guidance", kind="numeric", difficulty=1, title="Classifier guidance in noise-prediction form")
def classifier_guided_noise(rng):
    while True:
        eps, grad = nice(rng, -1.5, 1.5, 2), nice(rng, -3, 3, 2)
        alpha_bar, scale = nice(rng, 0.1, 0.9, 2), nice(rng, 1, 10, 1)
        answer = float(guidance.classifier_guided_eps(scalars(eps), scalars(grad), scalars(alpha_bar), scale)[0])
        root = math.sqrt(1 - alpha_bar)
        worked = eps - scale * root * grad
        misses = near_misses([
            (eps + scale * root * grad, "the sign: $\\epsilon_\\theta = -\\sqrt{1 - \\bar\\alpha_t}\\,\\nabla \\log p_t$, "
             "so adding $s\\nabla\\log p_\\phi$ to the score subtracts $s\\sqrt{1 - \\bar\\alpha_t}\\,\\nabla\\log p_\\phi$ "
             "from $\\epsilon$."),
            (eps - scale * (1 - alpha_bar) * grad, "a square root is missing: the factor between score and noise is "
             "the standard deviation $\\sqrt{1 - \\bar\\alpha_t}$, not the variance."),
            (eps - scale * math.sqrt(alpha_bar) * grad, "$\\sqrt{\\bar\\alpha_t}$ scales the signal; the score-to-noise "
             "factor is the noise's standard deviation $\\sqrt{1 - \\bar\\alpha_t}$."),
            (eps - scale * grad / root, "the factor is inverted: a score becomes a noise prediction by multiplying "
             "by $-\\sqrt{1 - \\bar\\alpha_t}$.")])
        if abs(grad) > 0.3 and abs(answer) > 0.05 and separated(answer, [m.answer for m in misses]):
            break
    return Draft(
        prompt="Classifier guidance (Dhariwal and Nichol 2021, §4.2–4.3) adds $s\\,\\nabla_{x_t}\\,\\log p_\\phi(y \\mid x_t)$ "
               "to the model's score $\\nabla_{x_t}\\,\\log p_t(x_t) = -\\epsilon_\\theta(x_t) / \\sqrt{1 - \\bar\\alpha_t}$ "
               "and samples with the noise prediction $\\hat\\epsilon$ of the guided score. At one pixel, "
               f"$\\epsilon_\\theta(x_t) = {eps}$, the classifier's gradient is $\\nabla_{{x_t}}\\,\\log p_\\phi(y \\mid x_t) "
               f"= {grad}$, $\\bar\\alpha_t = {alpha_bar}$ and the scale is $s = {scale}$. Compute $\\hat\\epsilon$.",
        parts=[Part(ask="$\\hat\\epsilon$ =", answer=Numeric(answer, rtol=1e-3, near_misses=misses),
                    worked=repr(worked))],
        solution="The guided score is $-\\epsilon_\\theta / \\sqrt{1 - \\bar\\alpha_t} + s\\nabla\\log p_\\phi$; multiplying "
                 "by $-\\sqrt{1 - \\bar\\alpha_t}$ turns it back into a noise prediction: $\\hat\\epsilon = "
                 "\\epsilon_\\theta - s\\sqrt{1 - \\bar\\alpha_t}\\,\\nabla\\log p_\\phi(y \\mid x_t)$ (Dhariwal and Nichol, "
                 f"Algorithm 2). With $\\sqrt{{1 - {alpha_bar}}} = {f(root, 6)}$: $\\hat\\epsilon = {eps} - {scale} \\cdot "
                 f"{f(root, 6)} \\cdot {factor(grad)} = {f(worked, 6)}$.")


@question("guidance", kind="numeric", difficulty=2, title="The implicit classifier of CFG")
def implicit_classifier(rng):
    while True:
        eps_c, eps_u = nice(rng, -1.5, 1.5, 2), nice(rng, -1.5, 1.5, 2)
        alpha_bar = nice(rng, 0.1, 0.9, 2)
        answer = float(guidance.implicit_classifier_grad(scalars(eps_c), scalars(eps_u), scalars(alpha_bar))[0])
        root = math.sqrt(1 - alpha_bar)
        worked = -(eps_c - eps_u) / root
        misses = near_misses([
            ((eps_c - eps_u) / root, "the sign: the score is $-\\epsilon / \\sqrt{1 - \\bar\\alpha_t}$, so the "
             "classifier's gradient is minus the difference of the noise predictions, rescaled."),
            (-(eps_c - eps_u) * root, "the factor is inverted: a noise prediction becomes a score by dividing by "
             "$-\\sqrt{1 - \\bar\\alpha_t}$."),
            (-(eps_c - eps_u) / (1 - alpha_bar), "a square root is missing: divide by the noise's standard deviation "
             "$\\sqrt{1 - \\bar\\alpha_t}$."),
            (-(eps_c - eps_u) / math.sqrt(alpha_bar), "$\\sqrt{\\bar\\alpha_t}$ scales the signal; the noise-to-score "
             "factor is $-1/\\sqrt{1 - \\bar\\alpha_t}$.")])
        if abs(eps_c - eps_u) > 0.1 and separated(answer, [m.answer for m in misses]):
            break
    return Draft(
        prompt="A network trained for classifier-free guidance predicts, at one pixel of $x_t$, "
               f"$\\epsilon_\\theta(x_t, c) = {eps_c}$ and $\\epsilon_\\theta(x_t, \\varnothing) = {eps_u}$, at "
               f"$\\bar\\alpha_t = {alpha_bar}$. Treat both as exact: $\\epsilon_\\theta = -\\sqrt{{1 - \\bar\\alpha_t}}\\,"
               "\\nabla_{x_t}\\,\\log p_t$ of the conditional and the unconditional density. Bayes' rule defines the "
               "implicit classifier $p_t(c \\mid x_t) \\propto p_t(x_t \\mid c) / p_t(x_t)$ (Ho and Salimans 2022, §3.2). "
               "What is $\\nabla_{x_t}\\,\\log p_t(c \\mid x_t)$ at that pixel?",
        parts=[Part(ask="$\\nabla_{x_t}\\,\\log p_t(c \\mid x_t)$ =", answer=Numeric(answer, rtol=1e-3, near_misses=misses),
                    worked=repr(worked))],
        solution="$p(c)$ does not depend on $x_t$, so $\\nabla\\log p_t(c \\mid x_t) = \\nabla\\log p_t(x_t \\mid c) - "
                 "\\nabla\\log p_t(x_t) = -\\frac{\\epsilon_\\theta(x_t, c) - \\epsilon_\\theta(x_t, \\varnothing)}"
                 f"{{\\sqrt{{1 - \\bar\\alpha_t}}}} = -\\frac{{{eps_c} - {factor(eps_u)}}}{{{f(root, 6)}}} = {f(worked, 6)}$. "
                 "This is why CFG at guidance scale $s$ is classifier guidance of the unconditional model at scale "
                 "$s$ with this implicit classifier.")


def _sharpened_reference(which: str, gamma: float, v: float, tau: float, y: float) -> float:
    """The mean, variance or precision of the Gaussian whose score is CFG's guided score (course_core.cfg_eps),
    when p_t(x) = N(0, v) and p_t(y | x) = N(y; x, tau^2): the guided score is linear, a x + b."""
    k = math.sqrt(1 - 0.5)  # any noise level: eps = -sqrt(1 - alpha_bar) * score
    x = scalars(0.0, 1.0)
    score_u = -x / v
    score_c = score_u + (y - x) / tau**2
    guided = -guidance.cfg_eps(-k * score_c, -k * score_u, gamma) / k
    a, b = float(guided[1] - guided[0]), float(guided[0])
    return {"mean": -b / a, "variance": -1 / a, "precision": -a}[which]


@question("guidance", kind="symbolic", difficulty=3, title="The distribution CFG sharpens towards")
def guided_gaussian(rng):
    which = rng.choice(["mean", "variance", "precision"])
    convention = rng.choice(["w", "s"])
    gamma = "(1 + w)" if convention == "w" else "s"
    expr = {"mean": f"{gamma}*y*v/(tau^2 + {gamma}*v)", "variance": f"v*tau^2/(tau^2 + {gamma}*v)",
            "precision": f"1/v + {gamma}/tau^2"}[which]
    wrong = "w" if convention == "w" else "(1 + s)"
    wrong_msg = ("the classifier's exponent is $1 + w$, not $w$: $(1 + w)\\nabla\\log p_t(x \\mid y) - w\\nabla\\log "
                 "p_t(x) = \\nabla\\log p_t(x) + (1 + w)\\nabla\\log p_t(y \\mid x)$." if convention == "w" else
                 "that reads $s$ as Ho and Salimans' $w$: with the guidance scale $s$ the classifier's exponent is $s$ "
                 "itself, $\\nabla\\log p_t(x) + s\\nabla\\log p_t(y \\mid x)$.")
    plain = ("that is the plain conditional $p_t(x \\mid y)$ (exponent 1): guidance raises the classifier "
             "factor to a higher power.")
    temperature = ("that is $p_t(x \\mid y)^{\\gamma}$, a lower temperature of the whole conditional; CFG raises only "
                   "the classifier factor to the power $\\gamma$ and keeps the prior $p_t(x)$ as it is.")
    misses = {
        "mean": [(f"{wrong}*y*v/(tau^2 + {wrong}*v)", wrong_msg),
                 ("y*v/(tau^2 + v)", "that is the mean of the plain conditional $p_t(x \\mid y)$ (and of "
                  "$p_t(x \\mid y)^\\gamma$, which has the same mean): the sharpened classifier pulls it further "
                  "towards $y$."),
                 (f"{gamma}*y*v/(tau^2 + v)", "guidance does not multiply the conditional mean by the guidance "
                  "weight: the mean is a precision-weighted average of the prior's 0 and $y$, and only the "
                  "classifier's precision is scaled.")],
        "variance": [(f"v*tau^2/(tau^2 + {wrong}*v)", wrong_msg),
                     (f"v*tau^2/({gamma}*(tau^2 + v))", temperature),
                     ("v*tau^2/(tau^2 + v)", plain)],
        "precision": [(f"1/v + {wrong}/tau^2", wrong_msg),
                      (f"{gamma}*(1/v + 1/tau^2)", temperature),
                      ("1/v + 1/tau^2", plain)],
    }[which]
    weight_var = Var("w", "w", 0.5, 5) if convention == "w" else Var("s", "s", 1.5, 6)
    variables = (weight_var, Var("v", "v", 0.3, 2), Var("tau", "\\tau", 0.3, 1.5), Var("y", "y", -2, 2))
    answer = Symbolic(expr, variables, near_misses(misses))
    point = dict(v=0.8, tau=0.6, y=1.3)
    value = answer.at(**({"w": 2.5} if convention == "w" else {"s": 3.5}), **point)
    agrees(value, _sharpened_reference(which, 3.5, **point))
    g = "1 + w" if convention == "w" else "s"
    combo = ("(1 + w)\\nabla\\log p_t(x \\mid y) - w\\nabla\\log p_t(x)" if convention == "w" else
             "s\\nabla\\log p_t(x \\mid y) - (s - 1)\\nabla\\log p_t(x)")
    worked = {"mean": f"(y/tau^2)/(1/v + {gamma}/tau^2)*{gamma}",
              "variance": f"1/(1/v + {gamma}/tau^2)", "precision": f"(tau^2 + {gamma}*v)/(v*tau^2)"}[which]
    return Draft(
        prompt="At some noise level the unconditional density of a scalar $x$ is $p_t(x) = \\mathcal N(0, v)$ and "
               "an attribute $y$ has the likelihood $p_t(y \\mid x) = \\mathcal N(y; x, \\tau^2)$, so that "
               "$p_t(x \\mid y) \\propto p_t(x)\\,p_t(y \\mid x)$. A sampler follows the classifier-free guided "
               f"score in {_CONVENTION[convention]} (with $c = y$; noise predictions are $-\\sqrt{{1 - \\bar\\alpha_t}}$ "
               f"times scores). The guided score is the score of a Gaussian in $x$. Give its **{which}**. "
               f"Variables: {answer.names()}.",
        parts=[Part(ask=f"{which} =", answer=answer, worked=worked)],
        solution="Divide the guided noise prediction by $-\\sqrt{1 - \\bar\\alpha_t}$: the guided score is "
                 f"${combo} = \\nabla\\log p_t(x) + "
                 f"\\gamma\\,\\nabla\\log p_t(y \\mid x)$ with $\\gamma = {g}$: the score of $p_t(x)\\,p_t(y \\mid x)^"
                 "\\gamma$ (Ho and Salimans 2022, §3.2; Dhariwal and Nichol 2021, §4.3). Here it is "
                 "$-x/v + \\gamma (y - x)/\\tau^2$, linear in $x$: a Gaussian with precision $1/v + \\gamma/\\tau^2$, "
                 "variance $v\\tau^2 / (\\tau^2 + \\gamma v)$ and mean $\\gamma y v / (\\tau^2 + \\gamma v)$ (where the "
                 f"score vanishes). The {which} is ${answer.latex()}$: as $\\gamma$ grows the variance shrinks and the "
                 "mean moves to $y$, fidelity to the attribute bought with diversity.")


@question("guidance", kind="symbolic", difficulty=2, title="CFG written as classifier guidance")
def cfg_through_classifier(rng):
    base = rng.choice(["eps_u", "eps_c"])
    convention = rng.choice(["w", "s"])
    coef, wrong, wrong_msg = {
        ("eps_u", "w"): ("(1 + w)", "w", "starting from $\\epsilon_u$ the classifier's weight is the whole "
                         "conditional weight $1 + w$, not $w$."),
        ("eps_c", "w"): ("w", "(1 + w)", "starting from $\\epsilon_c$, which already holds one multiple of the "
                         "classifier, only $w$ more is added."),
        ("eps_u", "s"): ("s", "(s - 1)", "starting from $\\epsilon_u$ the classifier's weight is the whole guidance "
                         "scale $s$."),
        ("eps_c", "s"): ("(s - 1)", "s", "starting from $\\epsilon_c$, which already holds one multiple of the "
                         "classifier, only $s - 1$ more is added."),
    }[(base, convention)]
    expr = f"{base} - {coef}*sqrt(1 - alpha_bar_t)*g"
    misses = near_misses([
        (f"{base} - {wrong}*sqrt(1 - alpha_bar_t)*g", wrong_msg),
        (f"{base} + {coef}*sqrt(1 - alpha_bar_t)*g", "the sign: $\\epsilon = -\\sqrt{1 - \\bar\\alpha_t}\\,"
         "\\nabla\\log p_t$, so a classifier gradient added to the score is subtracted from $\\epsilon$."),
        (f"{base} - {coef}*(1 - alpha_bar_t)*g", "a square root is missing: scores and noise predictions differ by "
         "the standard deviation $\\sqrt{1 - \\bar\\alpha_t}$."),
        (f"{base} - {coef}*g/sqrt(1 - alpha_bar_t)", "the factor is inverted: a score becomes a noise prediction "
         "by multiplying by $-\\sqrt{1 - \\bar\\alpha_t}$.")])
    latex = {"eps_u": "\\epsilon_u", "eps_c": "\\epsilon_c"}[base]
    weight_var = Var("w", "w", 0.5, 5) if convention == "w" else Var("s", "s", 1.5, 6)
    variables = (Var(base, latex, -2, 2), Var("g", "g", -2, 2), Var("alpha_bar_t", "\\bar\\alpha_t", 0.1, 0.9),
                 weight_var)
    answer = Symbolic(expr, variables, misses)
    eps_c, eps_u, ab, weight = 0.3, -0.4, 0.6, 2.5
    gamma = 1 + weight if convention == "w" else weight
    g = float(guidance.implicit_classifier_grad(scalars(eps_c), scalars(eps_u), scalars(ab))[0])
    agrees(answer.at(**{base: eps_u if base == "eps_u" else eps_c, "g": g, "alpha_bar_t": ab,
                        weight_var.name: weight}),
           float(guidance.cfg_eps(scalars(eps_c), scalars(eps_u), gamma)[0]))
    worked = {("eps_u", "w"): "eps_u - sqrt(1 - alpha_bar_t)*g - w*sqrt(1 - alpha_bar_t)*g",
              ("eps_c", "w"): "eps_c - w*g*sqrt(1 - alpha_bar_t)",
              ("eps_u", "s"): "eps_u - s*g*sqrt(1 - alpha_bar_t)",
              ("eps_c", "s"): "eps_c + sqrt(1 - alpha_bar_t)*g - s*sqrt(1 - alpha_bar_t)*g"}[(base, convention)]
    other = "\\epsilon_c = \\epsilon_u - \\sqrt{1 - \\bar\\alpha_t}\\,g" if base == "eps_u" else \
        "\\epsilon_u = \\epsilon_c + \\sqrt{1 - \\bar\\alpha_t}\\,g"
    return Draft(
        prompt="Write $\\epsilon_c = \\epsilon_\\theta(x_t, c)$ and $\\epsilon_u = \\epsilon_\\theta(x_t, \\varnothing)$ "
               "for the conditional and unconditional predictions of a CFG model, each $-\\sqrt{1 - \\bar\\alpha_t}$ "
               "times the score of its density, and $g = \\nabla_{x_t}\\,\\log p_t(c \\mid x_t)$ for the implicit "
               "classifier's gradient (Bayes' rule: $\\nabla\\log p_t(c \\mid x_t) = \\nabla\\log p_t(x_t \\mid c) - "
               f"\\nabla\\log p_t(x_t)$). The sampler uses {_CONVENTION[convention]}. Express its guided "
               f"prediction $\\tilde\\epsilon$ in terms of ${latex}$, $g$, $\\bar\\alpha_t$ and ${weight_var.latex}$ only. "
               f"Variables: {answer.names()}.",
        parts=[Part(ask="$\\tilde\\epsilon$ =", answer=answer, worked=worked)],
        solution="Subtracting the two scores, $\\epsilon_c - \\epsilon_u = -\\sqrt{1 - \\bar\\alpha_t}\\,g$, i.e. "
                 f"${other}$. Substitute into the guided prediction: $\\tilde\\epsilon = {answer.latex()}$. CFG is "
                 "classifier guidance with the implicit classifier $p_t(c \\mid x_t)$, whose gradient no separate "
                 "network provides (Ho and Salimans 2022, §3.2).")


@question("guidance", kind="derivation", difficulty=3, title="Classifier guidance for two Gaussian classes")
def two_class_guidance(rng):
    while True:
        mu, v, pi = nice(rng, 0.5, 1.5, 2), nice(rng, 0.05, 0.5, 2), nice(rng, 0.2, 0.8, 2)
        alpha_bar, x_t, scale = nice(rng, 0.2, 0.9, 2), nice(rng, -1.5, 1.5, 2), nice(rng, 1, 5, 1)
        c = rng.choice([0, 1])
        # by hand
        V = alpha_bar * v + 1 - alpha_bar
        sign = 1 if c == 1 else -1
        slope = 2 * math.sqrt(alpha_bar) * mu / V
        logit = math.log(pi / (1 - pi)) + slope * x_t
        p1 = 1 / (1 + math.exp(-logit))
        p_w = p1 if c == 1 else 1 - p1
        grad_w = sign * slope * (1 - p_w)
        root = math.sqrt(1 - alpha_bar)
        eps_u = -root * ((1 - p1) * (-math.sqrt(alpha_bar) * mu - x_t) + p1 * (math.sqrt(alpha_bar) * mu - x_t)) / V
        eps_shown = float(f(eps_u, 6))
        eps_w = eps_shown - scale * root * grad_w
        p, grad, eps_hat = p_w, grad_w, eps_w  # replaced by course_core's values once the draw is kept
        clean_logit = math.log(pi / (1 - pi)) + 2 * mu * x_t / v
        p_clean = 1 / (1 + math.exp(-sign * clean_logit))
        equal_prior = 1 / (1 + math.exp(-sign * slope * x_t))
        m1 = [(p_clean, "that uses the clean class densities $\\mathcal N(\\pm\\mu, v)$; at noise level $t$ the "
               "classes are $\\mathcal N(\\pm\\sqrt{\\bar\\alpha_t}\\mu, \\bar\\alpha_t v + 1 - \\bar\\alpha_t)$."),
              (1 - p_w, "that is the probability of the other class.")]
        if abs(pi - 0.5) > 0.05:
            m1.append((equal_prior, "the prior log-odds $\\log(\\pi / (1 - \\pi))$ are missing: the classes are not "
                                    "equally likely."))
        m2 = [(sign * slope, "that is the slope of the log-odds $\\pm\\ell$ of class $c$ alone; $\\log p_t(c \\mid x_t) = "
               "\\log\\sigma(\\pm\\ell)$, and differentiating the logarithm of the logistic function gives the extra "
               "factor $1 - p_t(c \\mid x_t)$."),
              (sign * slope * p_w * (1 - p_w), "that is the gradient of $p_t(c \\mid x_t)$; guidance uses the "
               "gradient of its logarithm."),
              (sign * 2 * mu / v * (1 - p_clean), "that uses the clean class densities; at noise level $t$ the "
               "classes are $\\mathcal N(\\pm\\sqrt{\\bar\\alpha_t}\\mu, \\bar\\alpha_t v + 1 - \\bar\\alpha_t)$.")]
        m3 = [(eps_shown + scale * root * grad, "the sign: adding $s\\nabla\\log p$ to the score subtracts "
               "$s\\sqrt{1 - \\bar\\alpha_t}\\nabla\\log p$ from $\\epsilon$."),
              (eps_shown - scale * (1 - alpha_bar) * grad, "a square root is missing: scores and noise predictions "
               "differ by the factor $-\\sqrt{1 - \\bar\\alpha_t}$."),
              (eps_shown - scale * grad / root, "the factor is inverted: multiply the gradient by "
               "$\\sqrt{1 - \\bar\\alpha_t}$.")]
        ok = 0.05 < p < 0.95 and abs(grad) > 0.05 and abs(eps_hat) > 0.02
        ok = ok and all(separated(a, [m for m, _ in ms]) for a, ms in ((p, m1), (grad, m2), (eps_hat, m3)))
        if ok:
            break
    oracle = guidance.LabelledMixture(scalars(1 - pi, pi), scalars(-mu, mu).reshape(2, 1), scalars(v, v).reshape(2, 1, 1),
                                      torch.tensor([0, 1]))
    x = scalars(x_t).reshape(1, 1)
    p = float(torch.softmax(oracle.logits(x, alpha_bar), dim=1)[0, c])
    grad = float(oracle.classifier_grad(x, alpha_bar, torch.tensor([c]))[0, 0])
    agrees(float(oracle.eps(x, alpha_bar)[0, 0]), eps_u)
    eps_hat = float(guidance.classifier_guided_eps(scalars(eps_shown), scalars(grad), scalars(alpha_bar), scale)[0])
    return Draft(
        prompt=f"Two classes of a scalar $x_0$: $p(x_0 \\mid y = 1) = \\mathcal N(\\mu, v)$, $p(x_0 \\mid y = 0) = "
               f"\\mathcal N(-\\mu, v)$ with $\\mu = {mu}$, $v = {v}$, and $p(y = 1) = \\pi = {pi}$. The diffusion "
               "noises $x_t = \\sqrt{\\bar\\alpha_t}\\,x_0 + \\sqrt{1 - \\bar\\alpha_t}\\,\\epsilon$. At "
               f"$\\bar\\alpha_t = {alpha_bar}$ and $x_t = {x_t}$ the exact unconditional noise prediction is "
               f"$\\epsilon_\\theta(x_t) = {f(eps_shown, 6)}$. We guide towards class $c = {c}$ with classifier guidance "
               f"at scale $s = {scale}$ (Dhariwal and Nichol 2021, §4.2–4.3: add $s\\nabla_{{x_t}}\\,\\log p_t(c \\mid x_t)$ to "
               "the score $-\\epsilon_\\theta / \\sqrt{1 - \\bar\\alpha_t}$), using the exact noisy classifier.",
        parts=[
            Part(ask=f"$p_t(y = {c} \\mid x_t)$ =", answer=Numeric(p, rtol=1e-3, near_misses=near_misses(m1)),
                 worked=repr(p_w),
                 after="At noise level $t$ both classes are Gaussian with the same variance $V = \\bar\\alpha_t v + "
                       "1 - \\bar\\alpha_t$, so the log-odds are linear in $x_t$: $\\ell = \\log\\frac{\\pi}{1 - \\pi} + "
                       "\\frac{2\\sqrt{\\bar\\alpha_t}\\mu}{V} x_t$, and $p_t(y = 1 \\mid x_t)$ is the logistic "
                       "function of $\\ell$. Next: differentiate $\\log p_t(y = c \\mid x_t)$."),
            Part(ask=f"$\\nabla_{{x_t}}\\,\\log p_t(y = {c} \\mid x_t)$ =",
                 answer=Numeric(grad, rtol=1e-3, near_misses=near_misses(m2)), worked=repr(grad_w),
                 after="$\\frac{d}{d\\ell}\\log\\sigma(\\pm\\ell) = \\pm(1 - \\sigma(\\pm\\ell))$: the gradient is the "
                       "logit's slope times the probability of the *other* class, so it fades where the classifier "
                       "is already sure. Next: turn the guided score back into a noise prediction."),
            Part(ask="$\\hat\\epsilon$ =", answer=Numeric(eps_hat, rtol=2e-3, near_misses=near_misses(m3)),
                 worked=repr(eps_w),
                 after="$\\hat\\epsilon = \\epsilon_\\theta - s\\sqrt{1 - \\bar\\alpha_t}\\,\\nabla\\log p_t(c \\mid x_t)$ "
                       "(Dhariwal and Nichol, Algorithm 2)."),
        ],
        solution=f"**1.** $V = {alpha_bar} \\cdot {v} + 1 - {alpha_bar} = {f(V, 6)}$, and the log-odds of class 1 are "
                 f"$\\ell = \\log\\frac{{{pi}}}{{{f(1 - pi, 6)}}} + \\frac{{2\\sqrt{{{alpha_bar}}} \\cdot {mu}}}{{{f(V, 6)}}}"
                 f" \\cdot {factor(x_t)} = {f(logit, 6)}$, so $p_t(y = 1 \\mid x_t) = 1/(1 + e^{{-\\ell}}) = {f(p1, 6)}$"
                 + ("." if c == 1 else f" and $p_t(y = 0 \\mid x_t) = 1 - {f(p1, 6)} = {f(p_w, 6)}$.") + "\n\n"
                 f"**2.** The slope of $\\ell$ is $2\\sqrt{{\\bar\\alpha_t}}\\mu / V = {f(slope, 6)}$; "
                 f"$\\nabla\\log p_t(y = {c} \\mid x_t) = {'+' if c == 1 else '-'}{f(slope, 6)} \\cdot (1 - {f(p_w, 6)}) "
                 f"= {f(grad_w, 6)}$.\n\n"
                 f"**3.** $\\hat\\epsilon = {f(eps_shown, 6)} - {scale} \\cdot \\sqrt{{1 - {alpha_bar}}} \\cdot "
                 f"{factor(float(f(grad_w, 6)))} = {f(eps_w, 6)}$.")


@question("guidance", kind="derivation", difficulty=2, title="Imagen's dynamic thresholding")
def dynamic_thresholding(rng):
    while True:
        values = [nice(rng, -3, 3, 2) for _ in range(9)]
        q = rng.choice([0.75, 0.875])
        k = round(q * 8)  # the rank of the order statistic: q (n - 1) with n = 9
        absolute = sorted(abs(x) for x in values)
        s_w = max(absolute[k], 1.0)
        candidates = [j for j, x in enumerate(values) if 0.15 < abs(x) < s_w - 0.05 and abs(abs(x) - 1) > 0.05]
        if s_w < 1.1 or not candidates:
            continue
        j = rng.choice(candidates)
        x0 = scalars(*values).reshape(1, 3, 3)
        out = float(guidance.dynamic_threshold(x0, q).reshape(-1)[j])
        s = values[j] / out  # the threshold course_core applied (pixel j is not clipped)
        worked = values[j] / s_w
        signed = float(torch.quantile(scalars(*values), q))
        m1 = [(absolute[-1], "that is the largest $|\\hat x_0|$, the 100th percentile: Imagen takes a high "
               "percentile, not the maximum, so a few outlying pixels are clipped instead of dimming the image."),
              (absolute[8 - k], f"that is the {round(100 * (1 - q), 1):g}th percentile: the $p$-th percentile has a "
               "fraction $p$ of the values below it.")]
        if abs(signed) > 0.05:
            m1.append((signed, "that is the percentile of the signed values; the threshold is a percentile of "
                               "the absolute values $|\\hat x_0|$."))
        m2 = [(values[j] / absolute[-1], "that divides by the largest $|\\hat x_0|$; the threshold is the "
               "percentile $s$."),
              (max(-1.0, min(1.0, values[j])), "that is static thresholding, $\\mathrm{clip}(\\hat x_0, -1, 1)$; "
               "dynamic thresholding clips to $[-s, s]$ and divides by $s$, so every pixel is rescaled.")]
        if abs(values[j]) > 1:
            m2.append((values[j], "clipping to $[-s, s]$ leaves this pixel as it is, but the result is then "
                                  "divided by $s$."))
        if separated(s, [m for m, _ in m1]) and separated(out, [m for m, _ in m2]):
            break
    shown = ", ".join(f"{x}" for x in values)
    return Draft(
        prompt="With a large guidance weight the predicted clean image $\\hat x_0$ often leaves the data range "
               "$[-1, 1]$. Imagen's *dynamic thresholding* (Saharia et al. 2022, §2.3) sets $s$ to the $p$-th "
               "percentile of $|\\hat x_0|$ over the image's pixels, takes $s \\leftarrow \\max(s, 1)$, and replaces "
               f"$\\hat x_0$ by $\\mathrm{{clip}}(\\hat x_0, -s, s)/s$. A $3 \\times 3$ image has $\\hat x_0 = ({shown})$ "
               f"(pixels 1 to 9) and $p = {q * 100:g}\\%$ (with 9 values the percentile is an order statistic: the "
               f"{k + 1}th smallest $|\\hat x_0|$).",
        parts=[
            Part(ask="$s$ =", answer=Numeric(s, rtol=1e-3, near_misses=near_misses(m1)), worked=repr(s_w),
                 after=f"Sort the absolute values; the {q * 100:g}th percentile of nine values is the "
                       f"{k + 1}th smallest. It exceeds 1, so $s$ is that value."),
            Part(ask=f"the thresholded value of pixel {j + 1} =",
                 answer=Numeric(out, rtol=1e-3, near_misses=near_misses(m2)), worked=repr(worked),
                 after="Pixels inside $[-s, s]$ are only divided by $s$; those beyond are clipped to $\\pm 1$. The "
                       "image is pulled back into $[-1, 1]$ without saturating the many pixels near the bound, as "
                       "static clipping would."),
        ],
        solution=f"**1.** $|\\hat x_0|$ sorted: ${', '.join(f'{a:g}' for a in absolute)}$. The {k + 1}th smallest is "
                 f"${absolute[k]:g}$, so $s = \\max({absolute[k]:g}, 1) = {f(s_w, 6)}$.\n\n"
                 f"**2.** Pixel {j + 1} is ${values[j]}$, inside $[-s, s]$, so it becomes ${values[j]} / {f(s_w, 6)} = "
                 f"{f(worked, 6)}$.")


@question("guidance", kind="choice", difficulty=1, title="Label dropout in CFG training")
def label_dropout(rng):
    K = rng.choice([5, 10, 100, 1000])
    p = rng.choice([0.1, 0.2, 0.25, 0.3])
    n = 6
    dropped = set(rng.sample(range(n), rng.choice([1, 2])))
    u = [nice(rng, 0.0, p - 0.01, 2) if i in dropped else nice(rng, p + 0.01, 0.99, 2) for i in range(n)]
    y = [rng.randrange(K) for _ in range(n)]
    out = guidance.drop_labels(torch.tensor(y), p, K, scalars(*u)).tolist()
    assert sorted(i for i, lab in enumerate(out) if lab == K) == sorted(dropped)

    def vec(xs):
        return "$(" + ", ".join(str(x) for x in xs) + ")$"

    reversed_ = [K if ui >= p else yi for yi, ui in zip(y, u)]
    zero = [0 if ui < p else yi for yi, ui in zip(y, u)]
    kept = [yi for yi, ui in zip(y, u) if ui >= p]
    choice = shuffled_choice(rng, vec(out), [
        (vec(reversed_), "this drops the labels whose draw is at least $p_\\text{uncond}$: the unconditional "
                         "model would get most of the batch and the conditional one only a fraction "
                         "$p_\\text{uncond}$."),
        (vec(zero), f"0 is a real class: the null label must be a value no class has (here ${K}$), or 'no label' and "
                    "class 0 become the same input (course_core's drop_labels refuses such a null label)."),
        (vec(kept), "the dropped examples are not discarded: they stay in the batch with the null label and train "
                    "the unconditional prediction $\\epsilon_\\theta(x_t, \\varnothing)$.")])
    return Draft(
        prompt="Classifier-free guidance trains one network for both predictions by *label dropout* (Ho and Salimans "
               "2022, Algorithm 1): each training label is replaced by the null label $\\varnothing$ with probability "
               f"$p_\\text{{uncond}} = {p}$. The classes are $0, \\dots, {K - 1}$, the null label is ${K}$, and label "
               f"$i$ is dropped when its uniform draw satisfies $u_i < p_\\text{{uncond}}$. For the batch labels "
               f"$y = {vec(y)[1:-1]}$ and the draws $u = {vec(u)[1:-1]}$, which labels does the network see?",
        parts=[Part(ask="the labels the network is trained with:", answer=choice, worked=choice.typed(),
                    after=f"{'Entries' if len(dropped) > 1 else 'Entry'} "
                          f"{' and '.join(str(i + 1) for i in sorted(dropped))} "
                          f"{'have' if len(dropped) > 1 else 'has'} $u_i < {p}$ and "
                          f"{'become' if len(dropped) > 1 else 'becomes'} the null label {K}; the others keep their "
                          "class. The same network thus learns $\\epsilon_\\theta(x_t, c)$ and "
                          "$\\epsilon_\\theta(x_t, \\varnothing)$, the two predictions CFG combines at sampling time.")],
        solution=f"Replace $y_i$ by ${K}$ wherever $u_i < {p}$: the network sees {vec(out)}.")


_CONCEPTS = [
    ("In Ho and Salimans' convention $\\tilde\\epsilon = (1 + w)\\epsilon_\\theta(x_t, c) - w\\,\\epsilon_\\theta(x_t, "
     "\\varnothing)$, which $w$ samples from the plain conditional model?",
     "$w = 0$",
     [("$w = 1$", "$w = 1$ gives $2\\epsilon_c - \\epsilon_u$, already guided; in this convention the conditional "
                  "model is $w = 0$."),
      ("$w = -1$", "$w = -1$ gives $\\epsilon_\\theta(x_t, \\varnothing)$, the unconditional model."),
      ("$w \\to \\infty$", "a growing $w$ moves further from the conditional model, towards the classifier's modes.")],
     "With $w = 0$ the formula is $\\epsilon_\\theta(x_t, c)$. (In the guidance-scale convention $s = 1 + w$ the "
     "conditional model is $s = 1$ and the unconditional $s = 0$.)"),
    ("With the guidance-scale convention $\\tilde\\epsilon = \\epsilon_u + s(\\epsilon_c - \\epsilon_u)$ (diffusers, "
     "course_core), which $s$ samples the unconditional model?",
     "$s = 0$",
     [("$s = 1$", "$s = 1$ gives $\\epsilon_c$, the conditional model."),
      ("$s = -1$", "$s = -1$ gives $2\\epsilon_u - \\epsilon_c$, guidance *away* from the class."),
      ("no finite $s$", "$s = 0$ leaves only $\\epsilon_u$.")],
     "With $s = 0$ only $\\epsilon_u = \\epsilon_\\theta(x_t, \\varnothing)$ remains."),
    ("Ideally (exact scores), which density's score does CFG follow at noise level $t$, with classifier exponent "
     "$\\gamma = 1 + w$?",
     "$p_t(x_t)\\,p_t(c \\mid x_t)^{\\gamma}$, i.e. $p_t(x_t \\mid c)^{\\gamma} p_t(x_t)^{1 - \\gamma}$ up to a constant",
     [("$p_t(x_t \\mid c)^{\\gamma}$", "that lowers the temperature of the whole conditional; CFG sharpens only the "
                                         "classifier factor and keeps the prior."),
      ("$p_t(x_t)^{\\gamma}\\,p_t(c \\mid x_t)$", "the exponent sits on the classifier, not on the prior."),
      ("$p_t(x_t \\mid c)$ itself", "that is $\\gamma = 1$ ($w = 0$), no guidance.")],
     "$(1 + w)\\nabla\\log p_t(x_t \\mid c) - w\\nabla\\log p_t(x_t) = \\nabla\\log p_t(x_t) + (1 + w)\\nabla\\log "
     "p_t(c \\mid x_t)$ by Bayes' rule (Ho and Salimans 2022, §3.2)."),
    ("Why does CFG training replace labels by a null label with probability $p_\\text{uncond}$?",
     "So that one network also learns the unconditional prediction $\\epsilon_\\theta(x_t, \\varnothing)$ that CFG "
     "needs at sampling time",
     [("To regularise the conditional model against overfitting its labels",
       "any regularising effect is incidental; the dropped examples exist to train $\\epsilon_\\theta(x_t, \\varnothing)$."),
      ("To train a classifier on noisy images", "CFG has no classifier; its classifier is implicit, "
                                                "$\\nabla\\log p_t(c \\mid x_t) \\propto -(\\epsilon_c - \\epsilon_u)$."),
      ("To balance rare and frequent classes", "dropout hits every class at the same rate, so it changes no "
                                               "class balance.")],
     "Ho and Salimans 2022, Algorithm 1: a single network serves as $\\epsilon_\\theta(x_t, c)$ and, with the null "
     "label, as $\\epsilon_\\theta(x_t, \\varnothing)$."),
    ("What does raising the guidance weight trade?",
     "Higher fidelity to the condition (sharper, more class-consistent samples, higher Inception score) for less "
     "diversity (FID eventually worsens)",
     [("More diversity for less fidelity", "it is the reverse: the sharpened distribution "
                                           "$p(x)p(c \\mid x)^\\gamma$ concentrates on the classifier's modes."),
      ("Fewer sampling steps for lower quality", "guidance does not change the number of steps (CFG even doubles "
                                                 "the network evaluations per step)."),
      ("Nothing: with exact scores the samples are the same", "the guided scores are those of a different, "
                                                               "sharpened distribution.")],
     "Dhariwal and Nichol 2021 (§4.3) and Ho and Salimans 2022 (§4) show it as the scale grows: Inception score "
     "and precision rise, recall falls, and FID first improves and then worsens."),
    ("Why did Imagen introduce dynamic thresholding?",
     "Large guidance weights push $\\hat x_0$ far outside $[-1, 1]$, and static clipping then gives saturated, "
     "over-exposed images; rescaling by a per-image percentile $s$ avoids that",
     [("To speed up sampling", "it costs one percentile per step and changes no step count."),
      ("To reduce the memory of the text encoder", "it acts on the predicted image $\\hat x_0$, not on the text "
                                                   "encoder."),
      ("To make the model's noise prediction unbiased", "it alters $\\hat x_0$ to keep it in range; it does not "
                                                         "de-bias $\\epsilon_\\theta$.")],
     "Saharia et al. 2022, §2.3: $s$ is a high percentile of $|\\hat x_0|$ (at least 1); $\\hat x_0 \\leftarrow "
     "\\mathrm{clip}(\\hat x_0, -s, s)/s$."),
    ("On which inputs must the classifier of classifier guidance be trained?",
     "Noisy images $x_t$ at every noise level, with $t$ as an input",
     [("Clean images only", "its gradient is needed at every $x_t$ along the sampling path; a classifier of clean "
                            "images is unreliable on noisy inputs."),
      ("The network's predicted $\\hat x_0$ only", "Dhariwal and Nichol train on $x_t$ and differentiate "
                                                    "$\\log p_\\phi(y \\mid x_t, t)$ in $x_t$."),
      ("No training: the diffusion model's own logits", "a diffusion model has no logits; CFG's implicit classifier "
                                                        "needs a conditional model instead.")],
     "Dhariwal and Nichol 2021, §4: $p_\\phi(y \\mid x_t, t)$, trained on noisy images, guides through "
     "$\\nabla_{x_t}\\,\\log p_\\phi(y \\mid x_t, t)$."),
]


@question("guidance", kind="choice", difficulty=2, title="Guidance: the concepts")
def guidance_concepts(rng):
    ask, correct, wrong, why = rng.choice(_CONCEPTS)
    choice = shuffled_choice(rng, correct, wrong)
    return Draft(prompt=ask, parts=[Part(ask="Choose one:", answer=choice, worked=choice.typed(), after=why)],
                 solution=f"{correct}. {why}")


_STATEMENTS = [
    ("With exact noise predictions, CFG at guidance scale $s$ ($\\epsilon_u + s(\\epsilon_c - \\epsilon_u)$) gives "
     "the same noise prediction as classifier guidance of the unconditional model at scale $s$ with the exact "
     "noisy classifier $p_t(c \\mid x_t)$.", True,
     "Bayes' rule: $\\epsilon_c - \\epsilon_u = -\\sqrt{1 - \\bar\\alpha_t}\\,\\nabla\\log p_t(c \\mid x_t)$, so "
     "$\\epsilon_u + s(\\epsilon_c - \\epsilon_u) = \\epsilon_u - s\\sqrt{1 - \\bar\\alpha_t}\\,\\nabla\\log p_t(c "
     "\\mid x_t)$."),
    ("Classifier-free guidance needs a classifier trained on noisy images.", False,
     "It needs none: the conditional and unconditional predictions of one network define an implicit classifier."),
    ("Following the guided scores $\\nabla\\log p_t(x) + \\gamma\\nabla\\log p_t(c \\mid x)$ for every $t$ with an "
     "exact sampler yields exact samples of $p_0(x)\\,p_0(c \\mid x)^\\gamma / Z$ when $\\gamma > 1$.", False,
     "For $\\gamma \\neq 1$ the guided score at $t > 0$ is not the score of the noised sharpened distribution "
     "(noising does not commute with raising to a power), so the sampler only approximates it."),
    ("Classifier guidance at scale $s$ equals classifier guidance at scale 1 with the sharpened classifier "
     "$p_\\phi(y \\mid x_t)^s / Z(x_t)$, provided $Z$ does not depend on $x_t$.", True,
     "$s\\nabla\\log p_\\phi(y \\mid x_t) = \\nabla\\log(p_\\phi(y \\mid x_t)^s / Z)$ for constant $Z$ (Dhariwal & "
     "Nichol 2021, §4.3)."),
    ("Label dropout means CFG needs two networks, one trained with labels and one without.", False,
     "One network, fed the null label with probability $p_\\text{uncond}$, provides both predictions."),
    ("Increasing the guidance weight increases the diversity of the samples.", False,
     "It decreases it: the sharpened distribution concentrates where the classifier is confident."),
    ("Imagen's dynamic thresholding leaves $\\hat x_0$ unchanged when all its pixels already lie in $[-1, 1]$.", True,
     "Then the percentile $s$ is at most 1, $s = \\max(s, 1) = 1$, and $\\mathrm{clip}(\\hat x_0, -1, 1)/1 = "
     "\\hat x_0$."),
    ("In CFG with guidance scale $s > 1$, each sampling step evaluates the network twice (with the condition and "
     "with the null label).", True,
     "$\\tilde\\epsilon$ combines $\\epsilon_\\theta(x_t, c)$ and $\\epsilon_\\theta(x_t, \\varnothing)$, two "
     "forward passes (often batched together)."),
    ("The gradient of the classifier's logit for class $y$ equals $\\nabla_{x_t}\\,\\log p_\\phi(y \\mid x_t)$.", False,
     "The log-softmax subtracts $\\sum_k p_\\phi(k \\mid x_t)\\nabla\\,\\mathrm{logit}_k$; only the gradient of "
     "the log-probability is the guidance direction."),
]


@question("guidance", kind="true-false", difficulty=2, title="Guidance: true or false")
def guidance_true_false(rng):
    statement, is_true, why = rng.choice(_STATEMENTS)
    answer = true_false(is_true, why)
    return Draft(prompt=f"True or false? {statement}",
                 parts=[Part(ask="true or false:", answer=answer, worked=answer.typed(), after=why)],
                 solution=f"{'True' if is_true else 'False'}. {why}")
