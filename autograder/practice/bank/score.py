"""Chapter 3, the score function: Tweedie's formula (denoisers and the score), denoising score matching, Langevin
dynamics and its step-size bias, annealed Langevin (NCSN), and denoisers as priors (RED, PnP). Answers come from
`course_core.score`, `course_core.gmm` and `course_core.red_pnp`; worked solutions recompute them by hand, in plain
floating point."""

from __future__ import annotations

import math

import torch

from course_core import inverse, red_pnp
from course_core.gmm import GaussianMixture, gmm_score
from course_core.score import dsm_loss, langevin_stationary_variance, langevin_step, tweedie_denoiser

from ..answers import Numeric, Symbolic, Var, format_number as f
from ..question import Draft, Part, agrees, distinct, near_misses, nice, question, shuffled_choice, true_false

F64 = torch.float64


def _pt(*values) -> torch.Tensor:
    """One point ``(1, d)`` in float64."""
    return torch.tensor([list(values)], dtype=F64)


def _gaussian(mean: float, var: float) -> GaussianMixture:
    """The 1-D law N(mean, var) as a one-component mixture."""
    return GaussianMixture(torch.ones(1, dtype=F64), _pt(mean), torch.tensor([[[var]]], dtype=F64))


def _p(text, value=None) -> str:
    """A number (or its text, with `value` its sign) as a factor in LaTeX: negative ones in parentheses."""
    return f"({text})" if (text if value is None else value) < 0 else f"{text}"


# ---------------------------------------------------------------------------------------------- Tweedie


@question("score", kind="numeric", difficulty=1, title="Tweedie's posterior mean under a Gaussian prior")
def tweedie_gaussian(rng):
    while True:
        m, s2, sigma, y = nice(rng, -1, 1, 2), nice(rng, 0.2, 2.0, 2), nice(rng, 0.2, 1.2, 2), nice(rng, -3, 3, 2)
        v = s2 + sigma**2
        score = -(y - m) / v
        worked = y + sigma**2 * score
        misses = [(y - sigma**2 * (y - m) / s2, r"that uses the prior's score $\nabla\log p(y) = -(y - m)/s^2$; "
                   r"Tweedie needs the score of the *noisy* law $p_\sigma = p * \mathcal N(0, \sigma^2)$, whose "
                   r"variance is $s^2 + \sigma^2$."),
                  (y + score, r"the score is multiplied by the noise variance $\sigma^2$ in Tweedie's formula."),
                  (y + sigma * score, r"the score is multiplied by the noise *variance* $\sigma^2$, not by $\sigma$."),
                  (y - score * sigma**2, r"the sign is wrong: the correction $\sigma^2\nabla\log p_\sigma(y)$ is "
                   r"added and points toward the prior mean.")]
        if abs(y - m) > 0.3 and abs(worked) > 0.05 and distinct([worked] + [v_ for v_, _ in misses]):
            break
    gm = _gaussian(m, s2)
    answer = float(tweedie_denoiser(_pt(y), gm.noised_ve(sigma).score(_pt(y)), sigma)[0, 0])
    return Draft(
        prompt=rf"A pixel has the prior $x \sim \mathcal N(m, s^2)$ with mean $m = {m}$ and variance $s^2 = {s2}$. We "
               rf"observe $y = x + \sigma z$ with $z \sim \mathcal N(0, 1)$, $\sigma = {sigma}$ and $y = {y}$. Use "
               r"Tweedie's formula to compute the MMSE estimate $\mathbb E[x \mid y]$.",
        parts=[Part(ask=r"$\mathbb E[x \mid y]$ =", answer=Numeric(answer, near_misses=near_misses(misses)),
                    worked=repr(worked))],
        solution=rf"The noisy law is $p_\sigma = \mathcal N({m}, s^2 + \sigma^2) = \mathcal N({m}, {f(v, 6)})$, so its "
                 rf"score at $y$ is $\nabla\log p_\sigma(y) = -\frac{{y - m}}{{s^2 + \sigma^2}} = {f(score, 6)}$. "
                 r"Tweedie's formula (Efron 2011): $\mathbb E[x \mid y] = y + \sigma^2\nabla\log p_\sigma(y) = "
                 rf"{y} + {f(sigma**2, 6)} \cdot ({f(score, 6)}) = {f(worked, 6)}$. It is the Wiener shrinkage "
                 r"$\frac{s^2 y + \sigma^2 m}{s^2 + \sigma^2}$: the estimate moves from $y$ toward the prior mean.")


@question("score", kind="derivation", difficulty=3, title="Tweedie's formula for a two-component mixture prior")
def tweedie_mixture(rng):
    while True:
        pi = nice(rng, 0.2, 0.8, 2)
        mu1, mu2 = nice(rng, -2, -0.5, 2), nice(rng, 0.5, 2, 2)
        s2, sigma = nice(rng, 0.05, 0.5, 2), nice(rng, 0.3, 1.0, 2)
        y = nice(rng, mu1 - 0.3, mu2 + 0.3, 2)
        v = s2 + sigma**2
        r1 = 1 / (1 + (1 - pi) / pi * math.exp(-((y - mu2) ** 2 - (y - mu1) ** 2) / (2 * v)))
        r1_prior_var = 1 / (1 + (1 - pi) / pi * math.exp(-((y - mu2) ** 2 - (y - mu1) ** 2) / (2 * s2)))
        r1_unweighted = 1 / (1 + math.exp(-((y - mu2) ** 2 - (y - mu1) ** 2) / (2 * v)))
        score = -(r1 * (y - mu1) + (1 - r1) * (y - mu2)) / v
        score_s2 = -(r1 * (y - mu1) + (1 - r1) * (y - mu2)) / s2
        score_prior_w = -(y - (pi * mu1 + (1 - pi) * mu2)) / v
        post = y + sigma**2 * score
        post_means = r1 * mu1 + (1 - r1) * mu2
        post_no_var = y + score
        if (0.08 < r1 < 0.92 and abs(score) > 0.05 and abs(post) > 0.05
                and distinct([r1, r1_prior_var, r1_unweighted]) and distinct([score, score_s2, score_prior_w])
                and distinct([post, post_means, post_no_var])):
            break
    gm = GaussianMixture(torch.tensor([pi, 1 - pi], dtype=F64), torch.tensor([[mu1], [mu2]], dtype=F64),
                         torch.tensor([[[s2]], [[s2]]], dtype=F64))
    noisy = gm.noised_ve(sigma)
    r_ref = float(noisy.responsibilities(_pt(y))[0, 0])
    score_ref = float(noisy.score(_pt(y))[0, 0])
    post_ref = float(tweedie_denoiser(_pt(y), noisy.score(_pt(y)), sigma)[0, 0])
    agrees(post_ref, float(gm.denoise_ve(_pt(y), sigma)[0, 0]), rtol=1e-9)
    return Draft(
        prompt=rf"A pixel has the mixture prior $p(x) = {pi}\,\mathcal N(x; {mu1}, {s2}) + {f(1 - pi, 6)}\,"
               rf"\mathcal N(x; {mu2}, {s2})$ (means, and the common variance $s^2 = {s2}$). We observe $y = x + "
               rf"\sigma z$, $z \sim \mathcal N(0,1)$, with $\sigma = {sigma}$ and $y = {y}$. Compute the MMSE "
               r"denoiser $\mathbb E[x \mid y]$ through the score of the noisy law $p_\sigma$, step by step.",
        parts=[
            Part(ask=r"the responsibility $r_1(y) = P(\text{component } 1 \mid y)$ =",
                 answer=Numeric(r_ref, near_misses=near_misses([
                     (r1_prior_var, r"that uses the prior's component variance $s^2$; given component $k$, the "
                      r"observation is $y \sim \mathcal N(\mu_k, s^2 + \sigma^2)$."),
                     (r1_unweighted, r"the mixture weights $\pi_k$ multiply the likelihoods.")])),
                 worked=repr(r1),
                 after=r"Next: $p_\sigma$ is the mixture of $\mathcal N(\mu_k, s^2 + \sigma^2)$ with the same weights; its "
                       r"score is the responsibility-weighted sum of the component scores."),
            Part(ask=r"$\nabla_y \log p_\sigma(y)$ =", answer=Numeric(score_ref, near_misses=near_misses([
                (score_s2, r"the noisy components have variance $s^2 + \sigma^2$, not $s^2$."),
                (score_prior_w, r"the component scores are weighted by the responsibilities $r_k(y)$, not by the "
                 r"prior weights $\pi_k$.")])), worked=repr(score),
                 after=r"Last: Tweedie's formula, $\mathbb E[x \mid y] = y + \sigma^2 \nabla\log p_\sigma(y)$."),
            Part(ask=r"$\mathbb E[x \mid y]$ =", answer=Numeric(post_ref, near_misses=near_misses([
                (post_means, r"that averages the component means; given component $k$, the posterior mean is "
                 r"$\frac{s^2 y + \sigma^2 \mu_k}{s^2 + \sigma^2}$, not $\mu_k$."),
                (post_no_var, r"Tweedie multiplies the score by the noise variance $\sigma^2$.")])), worked=repr(post),
                 after=r"The same number is $\sum_k r_k(y)\,\frac{s^2 y + \sigma^2\mu_k}{s^2 + \sigma^2}$: a mixture of "
                       r"per-component Wiener estimates."),
        ],
        solution=rf"1. Given the component, $y \sim \mathcal N(\mu_k, s^2 + \sigma^2) = \mathcal N(\mu_k, {f(v, 6)})$. "
                 r"The Gaussian normalisers are equal, so $r_1(y) = \left(1 + \frac{\pi_2}{\pi_1}\exp\left(-\frac{"
                 r"(y - \mu_2)^2 - (y - \mu_1)^2}{2(s^2 + \sigma^2)}\right)\right)^{-1} = "
                 rf"{f(r1, 6)}$, and $r_2 = {f(1 - r1, 6)}$."
                 "\n\n"
                 r"2. $\nabla\log p_\sigma(y) = -\sum_k r_k(y)\frac{y - \mu_k}{s^2 + \sigma^2} = -\frac{"
                 rf"{f(r1, 6)} \cdot ({f(y - mu1, 6)}) + {f(1 - r1, 6)} \cdot ({f(y - mu2, 6)})}}{{{f(v, 6)}}} = "
                 rf"{f(score, 6)}$."
                 "\n\n"
                 rf"3. $\mathbb E[x \mid y] = y + \sigma^2\nabla\log p_\sigma(y) = {y} + {f(sigma**2, 6)} \cdot "
                 rf"({f(score, 6)}) = {f(post, 6)}$.")


# ---------------------------------------------------------------------------------------------- Langevin


@question("score", kind="numeric", difficulty=1, title="One unadjusted Langevin step")
def langevin_step_value(rng):
    convention = rng.choice(["delta", "eps"])
    while True:
        m, s2 = nice(rng, -1, 1, 2), nice(rng, 0.3, 2.0, 2)
        x, z = nice(rng, -2.5, 2.5, 2), nice(rng, -2, 2, 2)
        size = nice(rng, 0.01, 0.3, 3)
        h = size if convention == "delta" else size / 2  # the drift coefficient
        score = -(x - m) / s2
        worked = x + h * score + math.sqrt(2 * h) * z
        misses = [(x + h * score + math.sqrt(h) * z, r"the noise's standard deviation is $\sqrt{2h}$ for a drift "
                   r"$h\nabla\log p$: with a smaller noise the chain's stationary law is too narrow, not $p$."),
                  (x - h * score + math.sqrt(2 * h) * z, r"the drift climbs the log-density: $+h\nabla\log p$."),
                  (x + h * score + 2 * h * z, r"the noise is scaled by its standard deviation $\sqrt{2h}$, not by the "
                   r"variance $2h$.")]
        if convention == "eps":
            misses.append((x + size * score + math.sqrt(2 * size) * z, r"Song and Ermon's step $\epsilon$ multiplies "
                           r"the score by $\epsilon/2$ and the noise by $\sqrt{\epsilon}$."))
        if abs(x - m) > 0.3 and abs(z) > 0.3 and abs(worked) > 0.05 and distinct([worked] + [v for v, _ in misses]):
            break
    answer = float(langevin_step(_pt(x), gmm_score(_pt(x), torch.ones(1, dtype=F64), _pt(m),
                                                   torch.tensor([[[s2]]], dtype=F64)), h, _pt(z))[0, 0])
    step = (rf"step size $\delta = {size}$ (the drift term is $\delta\nabla\log p(x_k)$)" if convention == "delta" else
            rf"Song and Ermon's step size $\epsilon = {size}$ (the drift term is $\frac{{\epsilon}}{{2}}\nabla\log p(x_k)$)")
    noise = r"\sqrt{2\delta}" if convention == "delta" else r"\sqrt{\epsilon}"
    return Draft(
        prompt=rf"Unadjusted Langevin dynamics targets $p = \mathcal N({m}, {s2})$ (mean, variance) with {step}. From "
               rf"$x_k = {x}$, with the standard normal draw $z = {z}$, what is $x_{{k+1}}$?",
        parts=[Part(ask=r"$x_{k+1}$ =", answer=Numeric(answer, near_misses=near_misses(misses)), worked=repr(worked))],
        solution=rf"The score of $\mathcal N(m, s^2)$ is $-(x - m)/s^2$, here $-({x} - {_p(m)})/{s2} = {f(score, 6)}$. "
                 rf"With drift coefficient $h = {f(h, 6)}$ the Langevin step is $x_{{k+1}} = x_k + h\nabla\log p(x_k) + "
                 rf"{noise}\,z$, the noise variance being twice the drift coefficient (Song and Ermon 2019, §2.2): "
                 rf"${x} + {f(h, 6)} \cdot {_p(f(score, 6), score)} + {f(math.sqrt(2 * h), 6)} \cdot {_p(z)} = "
                 rf"{f(worked, 6)}$.")


_STEP_CHOICE = (
    r"Shrinking $\delta$ removes the bias ($v \to s^2$) but pushes $a$ toward 1: the chain needs about "
    r"$s^2/\delta$ steps to forget its start, so accuracy costs running time",
    [(r"A larger $\delta$ is better in every way: it mixes faster and the bias comes only from the noise draws",
      r"the bias $v - s^2 = \frac{s^2\,\delta/(2s^2)}{1 - \delta/(2s^2)}$ grows with $\delta$, and for "
      r"$\delta \ge 2s^2$ the chain diverges."),
     (r"At any fixed $\delta < 2s^2$ the bias disappears if the chain runs long enough",
      r"$v$ is the variance of the *stationary* law: running longer only reaches it, it does not remove the bias."),
     (r"The bias is the same for every $\delta$, so only the number of steps matters",
      r"$v = s^2/(1 - \delta/(2s^2))$ depends on $\delta$ and tends to $s^2$ only as $\delta \to 0$.")],
    r"This is the step-size trade-off of unadjusted Langevin: the discretisation bias is $O(\delta)$ and the "
    r"mixing time is $O(1/\delta)$. A Metropolis correction (MALA) removes the bias at a fixed step; annealed "
    r"Langevin (NCSN) instead shrinks the step with the noise level.")


@question("score", kind="derivation", difficulty=2, title="The stationary variance of unadjusted Langevin")
def langevin_bias(rng):
    while True:
        m, s2 = rng.choice([-1, 1]) * nice(rng, 0.1, 1.0, 1), nice(rng, 0.3, 2.0, 2)
        delta = nice(rng, 0.05, 0.8, 2) * s2
        delta = round(delta, 3)
        a = 1 - delta / s2
        v = 2 * delta / (1 - a**2)
        if 0.05 <= delta / s2 <= 0.8 and distinct([a, 1 + delta / s2, 1 - delta / (2 * s2)]) and \
                distinct([v, s2, 2 * delta / (1 - a), s2 / (1 - delta / s2)]):
            break
    one, zero = _pt(m + 1), _pt(0.0)
    a_ref = float(langevin_step(one, -(one - m) / s2, delta, zero)[0, 0]) - m  # the step applied to x - m = 1
    v_ref = float(langevin_stationary_variance(s2, delta))
    choice = shuffled_choice(rng, _STEP_CHOICE[0], _STEP_CHOICE[1])
    return Draft(
        prompt=rf"Unadjusted Langevin dynamics $x_{{k+1}} = x_k + \delta\nabla\log p(x_k) + \sqrt{{2\delta}}\,z_k$ "
               rf"targets $p = \mathcal N({m}, s^2)$ with $s^2 = {s2}$, using the step $\delta = {delta}$. Find the law "
               r"the chain actually converges to.",
        parts=[
            Part(ask=r"the factor $a$ in $x_{k+1} - m = a\,(x_k - m) + \sqrt{2\delta}\,z_k$ (with $m$ the target's "
                     r"mean): $a$ =",
                 answer=Numeric(a_ref, near_misses=near_misses([
                     (1 + delta / s2, r"the score $-(x - m)/s^2$ pulls toward the mean: $a = 1 - \delta/s^2$."),
                     (1 - delta / (2 * s2), r"the drift is $\delta\nabla\log p$, not $\frac{\delta}{2}\nabla\log p$.")])),
                 worked=repr(a),
                 after=r"Next: the stationary variance $v$ is a fixed point of the variance recursion "
                       r"$v = a^2 v + 2\delta$ (the noise is independent of $x_k$)."),
            Part(ask=r"the stationary variance $v$ =", answer=Numeric(v_ref, near_misses=near_misses([
                (s2, r"that is the target's variance $s^2$: with a finite step and no Metropolis correction the chain "
                 r"is biased."),
                (2 * delta / (1 - a), r"the variance recursion has $a^2$: $v = 2\delta / (1 - a^2)$."),
                (s2 / (1 - delta / s2), r"$1 - a^2 = (\delta/s^2)(2 - \delta/s^2)$, so $v = s^2 / (1 - \delta/(2s^2))$."),
            ])), worked=repr(v),
                 after=r"$v = \frac{2\delta}{1 - a^2} = \frac{s^2}{1 - \delta/(2s^2)} > s^2$: the mean is right, the "
                       r"spread is too large."),
            Part(ask=r"Which statement describes the choice of $\delta$?", answer=choice, worked=choice.typed(),
                 after=_STEP_CHOICE[2]),
        ],
        solution=rf"1. The score is $-(x - m)/s^2$ with $m = {m}$, so $x_{{k+1}} - m = (1 - \delta/s^2)(x_k - m) + "
                 rf"\sqrt{{2\delta}}\,z_k$: $a = 1 - {delta}/{s2} = {f(a, 6)}$."
                 "\n\n"
                 rf"2. Stationarity: $v = a^2 v + 2\delta$, so $v = \frac{{2\delta}}{{1 - a^2}} = \frac{{{f(2 * delta, 6)}}}"
                 rf"{{1 - {f(a * a, 6)}}} = {f(v, 6)}$, i.e. $\frac{{s^2}}{{1 - \delta/(2s^2)}}$, above $s^2 = {s2}$ "
                 rf"(Roberts and Tweedie 1996). The stationary law is $\mathcal N({m}, {f(v, 6)})$."
                 "\n\n"
                 r"3. " + _STEP_CHOICE[2])


# ---------------------------------------------------------------------------------------------- DSM


@question("score", kind="numeric", difficulty=2, title="The denoising score matching loss of one sample")
def dsm_loss_value(rng):
    while True:
        x0 = (nice(rng, -1.5, 1.5, 2), nice(rng, -1.5, 1.5, 2))
        z = (nice(rng, -1.5, 1.5, 2), nice(rng, -1.5, 1.5, 2))
        sigma, var = nice(rng, 0.2, 0.8, 2), nice(rng, 0.5, 2.0, 2)
        x_t = [a + sigma * b for a, b in zip(x0, z)]
        s = [-xi / var for xi in x_t]
        worked = 0.5 * sum((sigma * si + zi) ** 2 for si, zi in zip(s, z))
        misses = [(2 * worked, r"the loss has the factor $\frac{1}{2}$."),
                  (worked / sigma**2, r"that is the unweighted loss; $\lambda(\sigma) = \sigma^2$ multiplies it."),
                  (0.5 * sum((sigma * si - zi) ** 2 for si, zi in zip(s, z)), r"the target is "
                   r"$\nabla_{\tilde x}\log q_\sigma(\tilde x \mid x) = -(\tilde x - x)/\sigma^2 = -z/\sigma$: it points "
                   r"back toward $x$."),
                  (worked / 2, r"the squared norm is summed over the two coordinates, not averaged.")]
        if worked > 0.02 and distinct([worked] + [v for v, _ in misses]):
            break
    model = lambda x, sg: -x / var  # noqa: E731 - the score of N(0, var I), whatever the noise level
    answer = float(dsm_loss(model, _pt(*x0), torch.tensor([sigma], dtype=F64), _pt(*z)))
    return Draft(
        prompt=rf"A score model $s_\theta(\tilde x, \sigma) = -\tilde x / {var}$ (the score of $\mathcal N(0, {var} I)$) "
               r"is trained by denoising score matching with Song and Ermon's weight $\lambda(\sigma) = \sigma^2$: the "
               r"loss of one sample is $\frac{1}{2}\lambda(\sigma)\left\| s_\theta(\tilde x, \sigma) - \nabla_{\tilde x}"
               r"\log q_\sigma(\tilde x \mid x)\right\|^2$ with $\tilde x = x + \sigma z$. Compute it for the 2-D point "
               rf"$x = ({x0[0]}, {x0[1]})$, $\sigma = {sigma}$ and the draw $z = ({z[0]}, {z[1]})$.",
        parts=[Part(ask="loss =", answer=Numeric(answer, near_misses=near_misses(misses)), worked=repr(worked))],
        solution=rf"$\tilde x = x + \sigma z = ({f(x_t[0], 6)}, {f(x_t[1], 6)})$ and the model gives "
                 rf"$s_\theta = ({f(s[0], 6)}, {f(s[1], 6)})$. The target is $-(\tilde x - x)/\sigma^2 = -z/\sigma$, so "
                 r"$\frac{1}{2}\sigma^2\|s_\theta + z/\sigma\|^2 = \frac{1}{2}\|\sigma s_\theta + z\|^2$ (Song and Ermon "
                 rf"2019, Eq. 5-6) $= \frac{{1}}{{2}}\left(({f(sigma * s[0] + z[0], 6)})^2 + ({f(sigma * s[1] + z[1], 6)})^2"
                 rf"\right) = {f(worked, 6)}$.")


# ---------------------------------------------------------------------------------------------- symbolic


_V = {"y": Var("y", "y", -2, 2), "m": Var("m", "m", -1, 1), "s2": Var("s2", "s^2", 0.2, 2.0),
      "sigma": Var("sigma", r"\sigma", 0.1, 1.5), "D": Var("D", "D", -2, 2), "x_tilde": Var("x_tilde", r"\tilde x", -2, 2),
      "x": Var("x", "x", -2, 2), "delta": Var("delta", r"\delta", 0.01, 0.3)}

_FORMS = {
    "noisy_score": (
        r"the score $\nabla_y \log p_\sigma(y)$ of the noisy law of $y = x + \sigma z$ when $x \sim \mathcal N(m, s^2)$",
        "-(y - m)/(s2 + sigma^2)", "(m - y)/(s2 + sigma*sigma)", ("y", "m", "s2", "sigma"),
        (("-(y - m)/s2", r"that is the prior's score; $y$ has variance $s^2 + \sigma^2$."),
         ("-(y - m)/(s2 + sigma)", r"the noise adds its variance $\sigma^2$, not $\sigma$."),
         ("-(y - m)/sqrt(s2 + sigma^2)", r"the score of $\mathcal N(m, v)$ divides by the variance $v$, not by "
          r"the standard deviation.")),
        r"$y \sim \mathcal N(m, s^2 + \sigma^2)$ (a sum of independent Gaussians), and the score of $\mathcal N(m, v)$ "
        r"is $-(y - m)/v$"),
    "tweedie": (
        r"the MMSE estimate $\mathbb E[x \mid y]$ for $y = x + \sigma z$ and the prior $x \sim \mathcal N(m, s^2)$",
        "(s2*y + sigma^2*m)/(s2 + sigma^2)", "y - sigma^2*(y - m)/(s2 + sigma^2)", ("y", "m", "s2", "sigma"),
        (("(sigma^2*y + s2*m)/(s2 + sigma^2)", r"the weights are swapped: a large noise ($\sigma^2 \gg s^2$) must pull "
          r"the estimate to the prior mean $m$."),
         ("y - sigma^2*(y - m)/s2", r"Tweedie's formula uses the score of the noisy law, of variance $s^2 + \sigma^2$, "
          r"not the prior's score."),
         ("y - (y - m)/(s2 + sigma^2)", r"Tweedie multiplies the score by the noise variance $\sigma^2$.")),
        r"Tweedie: $\mathbb E[x \mid y] = y + \sigma^2\nabla\log p_\sigma(y)$ with $\nabla\log p_\sigma(y) = -(y - m)/"
        r"(s^2 + \sigma^2)$"),
    "score_from_denoiser": (
        r"the score $\nabla_y \log p_\sigma(y)$ of the noisy law of $y = x + \sigma z$, in terms of the MMSE "
        r"denoiser's output $D = \mathbb E[x \mid y]$ (any prior)",
        "(D - y)/sigma^2", "D/sigma^2 - y/sigma^2", ("D", "y", "sigma"),
        (("(D - y)/sigma", r"Tweedie's correction is $\sigma^2$ times the score: divide the residual by $\sigma^2$."),
         ("(y - D)/sigma^2", r"the score points from $y$ toward the denoised estimate: $D - y$."),
         ("D - y", r"the residual is $\sigma^2$ times the score.")),
        r"Tweedie: $D(y) = y + \sigma^2\nabla\log p_\sigma(y)$; solve for the score. It holds for every prior: this is "
        r"why a good denoiser gives a score"),
    "dsm_target": (
        r"the regression target $\nabla_{\tilde x}\log q_\sigma(\tilde x \mid x)$ of denoising score matching, for "
        r"$\tilde x = x + \sigma z$",
        "-(x_tilde - x)/sigma^2", "(x - x_tilde)/sigma^2", ("x_tilde", "x", "sigma"),
        (("-(x_tilde - x)/sigma", r"the score of $\mathcal N(x, \sigma^2 I)$ divides by the variance $\sigma^2$; "
          r"$-z/\sigma$ is the same target written with $z$."),
         ("(x_tilde - x)/sigma^2", r"the target points back toward the clean $x$."),
         ("-(x_tilde - x)", r"the score of $\mathcal N(x, \sigma^2 I)$ divides by $\sigma^2$.")),
        r"$q_\sigma(\tilde x \mid x) = \mathcal N(\tilde x; x, \sigma^2 I)$, whose score in $\tilde x$ is "
        r"$-(\tilde x - x)/\sigma^2$ (Vincent 2011)"),
    "langevin_variance": (
        r"the stationary variance of unadjusted Langevin $x_{k+1} = x_k + \delta\nabla\log p(x_k) + \sqrt{2\delta}z_k$ "
        r"on $p = \mathcal N(m, s^2)$ ($0 < \delta < 2s^2$)",
        "s2/(1 - delta/(2*s2))", "2*s2^2/(2*s2 - delta)", ("s2", "delta"),
        (("s2", r"with a finite step and no Metropolis correction the chain is biased: the variance exceeds $s^2$."),
         ("s2/(1 - delta/s2)", r"$v = 2\delta/(1 - a^2)$ with $a = 1 - \delta/s^2$, and $1 - a^2 = (\delta/s^2)(2 - "
          r"\delta/s^2)$."),
         ("2*s2", r"the recursion is $v = a^2 v + 2\delta$: $a$ is squared.")),
        r"one step is $x_{k+1} - m = a(x_k - m) + \sqrt{2\delta}z_k$ with $a = 1 - \delta/s^2$, so $v = a^2 v + 2\delta$, "
        r"$v = 2\delta/(1 - a^2)$"),
}


@question("score", kind="symbolic", difficulty=2, title="Scores of Gaussians, denoisers and the DSM target")
def score_identities(rng):
    key = rng.choice(sorted(_FORMS))
    asked, expr, worked, names, misses, why = _FORMS[key]
    answer = Symbolic(expr, tuple(_V[n] for n in names), near_misses(misses))
    y, m, s2, sigma = 0.7, -0.3, 0.8, 0.5
    if key == "noisy_score":
        agrees(answer.at(y=y, m=m, s2=s2, sigma=sigma), float(_gaussian(m, s2).noised_ve(sigma).score(_pt(y))[0, 0]))
    elif key == "tweedie":
        ref = tweedie_denoiser(_pt(y), _gaussian(m, s2).noised_ve(sigma).score(_pt(y)), sigma)
        agrees(answer.at(y=y, m=m, s2=s2, sigma=sigma), float(ref[0, 0]))
    elif key == "score_from_denoiser":  # the score that Tweedie's formula turns back into the denoiser's output
        score = answer.at(D=-0.2, y=y, sigma=sigma)
        agrees(float(tweedie_denoiser(_pt(y), _pt(score), sigma)[0, 0]), -0.2)
    elif key == "dsm_target":  # a model that outputs the target has zero DSM loss
        target = answer.at(x_tilde=0.4 + sigma * 1.3, x=0.4, sigma=sigma)
        agrees(float(dsm_loss(lambda xt, sg: _pt(target), _pt(0.4), torch.tensor([sigma], dtype=F64), _pt(1.3))), 0.0)
    else:
        agrees(answer.at(s2=s2, delta=0.2), float(langevin_stationary_variance(s2, 0.2)))
    return Draft(
        prompt=rf"Write {asked}. Variables: {answer.names()}.",
        parts=[Part(ask="expression =", answer=answer, worked=worked)],
        solution=rf"{why}. Answer: ${answer.latex()}$.")


# ---------------------------------------------------------------------------------------------- RED and PnP


@question("score", kind="numeric", difficulty=2, title="One steepest-descent step of RED")
def red_step_value(rng):
    pixel = rng.choice([1, 2])
    while True:
        w = nice(rng, 0.1, 0.4, 2)
        xk = (nice(rng, -1, 1, 2), nice(rng, -1, 1, 2))
        y = (nice(rng, -1, 1, 2), nice(rng, -1, 1, 2))
        sigma_y, lam, mu = nice(rng, 0.4, 1.0, 2), nice(rng, 0.5, 3.0, 1), nice(rng, 0.02, 0.15, 2)
        D = ((1 - w) * xk[0] + w * xk[1], w * xk[0] + (1 - w) * xk[1])
        i = pixel - 1
        data = (xk[i] - y[i]) / sigma_y**2
        reg = xk[i] - D[i]
        worked = xk[i] - mu * (data + lam * reg)
        misses = [(xk[i] - mu * (data + lam * (xk[i] - 0.5 * D[i])), r"that treats $D(x)$ as a constant when "
                   r"differentiating $\frac{1}{2}x^\top x - \frac{1}{2}x^\top D(x)$; the Jacobian term "
                   r"$\frac{1}{2}J_D^\top x = \frac{1}{2}D(x)$ (symmetry and homogeneity) doubles it: "
                   r"$\nabla\rho = x - D(x)$."),
                  (xk[i] - mu * (data + 0.5 * lam * reg), r"the $\frac{1}{2}$ of $\rho$ cancels: $\nabla\rho(x) = "
                   r"x - D(x)$."),
                  (xk[i] - mu * (-data + lam * reg), r"the data term's gradient is $H^\top(Hx - y)/\sigma_y^2$: here "
                   r"$(x - y)/\sigma_y^2$."),
                  (xk[i] - mu * (data * sigma_y**2 + lam * reg), r"the data term is divided by $\sigma_y^2$.")]
        if abs(reg) > 0.05 and abs(data) > 0.2 and abs(worked) > 0.05 and \
                distinct([worked] + [v for v, _ in misses], 0.03):
            break
    denoised = _pt(*D)
    out = red_pnp.red_step(_pt(*xk), denoised, _pt(*y), inverse.Denoising((2,)), sigma_y, lam, mu)
    answer = float(out[0, i])
    return Draft(
        prompt=r"RED denoises a 2-pixel signal $y = x + \sigma_y n$ by minimising $E(x) = \frac{\|y - x\|^2}{2\sigma_y^2}"
               r" + \lambda\rho(x)$ with $\rho(x) = \frac{1}{2}x^\top(x - D(x))$. The denoiser is the symmetric linear "
               rf"filter $D(x) = ({f(1 - w, 6)}\,x_1 + {w}\,x_2,\ {w}\,x_1 + {f(1 - w, 6)}\,x_2)$. "
               rf"With $\sigma_y = {sigma_y}$, $\lambda = {lam}$, $y = ({y[0]}, {y[1]})$ and $x_k = ({xk[0]}, {xk[1]})$, "
               rf"take one steepest-descent step of size $\mu = {mu}$. What is pixel {pixel} of $x_{{k+1}}$?",
        parts=[Part(ask=rf"pixel {pixel} of $x_{{k+1}}$ =", answer=Numeric(answer, near_misses=near_misses(misses)),
                    worked=repr(worked))],
        solution=r"The filter is linear, $D(x) = Wx$, hence homogeneous, and its matrix $W$ (the Jacobian) is "
                 r"symmetric, so RED's gradient is exactly the residual, "
                 r"$\nabla\rho(x) = x - D(x)$ (Romano, Elad and Milanfar 2017), and $\nabla E(x) = (x - y)/\sigma_y^2 + "
                 rf"\lambda(x - D(x))$. Here $D(x_k) = ({f(D[0], 6)}, {f(D[1], 6)})$; for pixel {pixel}: "
                 rf"$(x - y)/\sigma_y^2 = {f(data, 6)}$, $x - D(x) = {f(reg, 6)}$, so "
                 rf"$x_{{k+1}} = {xk[i]} - {mu}\,({f(data, 6)} + {lam} \cdot ({f(reg, 6)})) = {f(worked, 6)}$.")


@question("score", kind="derivation", difficulty=3, title="One plug-and-play HQS iteration with a Wiener denoiser")
def pnp_hqs(rng):
    while True:
        s2, sigma_y = nice(rng, 0.3, 1.5, 2), nice(rng, 0.2, 0.6, 2)
        lam, mu = rng.choice([nice(rng, 0.2, 0.7, 2), nice(rng, 1.5, 3.0, 2)]), nice(rng, 2, 20, 1)
        y, z = nice(rng, -2, 2, 2), nice(rng, -2, 2, 2)
        x = (y / sigma_y**2 + mu * z) / (1 / sigma_y**2 + mu)
        sd = math.sqrt(lam / mu)
        z_next = s2 / (s2 + sd**2) * x
        x_misses = [((y + mu * z) / (1 + mu), r"the data term carries the weight $1/\sigma_y^2$: $x = (y/\sigma_y^2 + "
                     r"\mu z)/(1/\sigma_y^2 + \mu)$."),
                    ((y + z) / 2, r"the two terms are weighted by their precisions $1/\sigma_y^2$ and $\mu$.")]
        sd_misses = [(lam / mu, r"that is the variance $\lambda/\mu$; the denoiser takes the standard deviation."),
                     (math.sqrt(mu / lam), r"the ratio is upside down: a larger penalty $\mu$ means a smaller noise."),
                     (math.sqrt(1 / mu), r"the regularisation weight $\lambda$ scales the prior term: "
                      r"$\sigma_d^2 = \lambda/\mu$.")]
        z_misses = [(s2 / (s2 + sd) * x, r"the Wiener gain uses the noise variance $\sigma_d^2$."),
                    (sd**2 / (s2 + sd**2) * x, r"the gain is $s^2/(s^2 + \sigma_d^2)$: little noise keeps the input."),
                    (s2 / (s2 + sigma_y**2) * x, r"the denoiser runs at the splitting's noise level $\sigma_d$, not at "
                     r"the measurement's $\sigma_y$.")]
        if abs(y - z) > 0.3 and abs(x) > 0.1 and distinct([x] + [v for v, _ in x_misses]) and \
                distinct([sd] + [v for v, _ in sd_misses]) and distinct([z_next] + [v for v, _ in z_misses]):
            break
    seen = []

    def wiener(v, sigma):  # the MAP (= MMSE) denoiser of the prior N(0, s2)
        seen.append(sigma)
        return v * s2 / (s2 + sigma**2)

    x_ref, z_ref = red_pnp.pnp_hqs_step(_pt(z), _pt(y), inverse.Denoising((1,)), sigma_y, lam, mu, wiener)
    return Draft(
        prompt=r"Plug-and-play with half-quadratic splitting (HQS) solves $\min_x \frac{(y - x)^2}{2\sigma_y^2} + "
               r"\lambda R(x)$ for one pixel by alternating $x_{k+1} = \mathrm{argmin}_x \frac{(y - x)^2}{2\sigma_y^2} + "
               r"\frac{\mu}{2}(x - z_k)^2$ and $z_{k+1} = \mathrm{argmin}_z \lambda R(z) + \frac{\mu}{2}(z - x_{k+1})^2$, the "
               r"second step replaced by a denoiser. The prior is $R(x) = x^2/(2s^2)$, whose MAP denoiser at noise "
               rf"level $\sigma_d$ is the Wiener gain $x \mapsto \frac{{s^2}}{{s^2 + \sigma_d^2}}x$. Data: $y = {y}$, "
               rf"$\sigma_y = {sigma_y}$, $s^2 = {s2}$, $\lambda = {lam}$, $\mu = {mu}$, $z_k = {z}$.",
        parts=[
            Part(ask=r"$x_{k+1}$ =", answer=Numeric(float(x_ref[0, 0]), near_misses=near_misses(x_misses)), worked=repr(x),
                 after=r"Next: divide the $z$-step by $\mu$: $\mathrm{argmin}_z \frac{\lambda}{\mu}R(z) + \frac{1}{2}(z - "
                       r"x_{k+1})^2$ is MAP denoising of $x_{k+1}$ at noise variance $\sigma_d^2 = \lambda/\mu$."),
            Part(ask=r"the denoiser's noise level $\sigma_d$ =", answer=Numeric(seen[0], near_misses=near_misses(sd_misses)),
                 worked=repr(sd), after=r"Last: apply the Wiener gain at $\sigma_d$ to $x_{k+1}$."),
            Part(ask=r"$z_{k+1}$ =", answer=Numeric(float(z_ref[0, 0]), near_misses=near_misses(z_misses)),
                 worked=repr(z_next),
                 after=r"PnP plugs any denoiser into this step (Venkatakrishnan et al. 2013 with ADMM; Zhang et al. "
                       r"2017 with HQS), usually with $\mu$ growing so that $\sigma_d$ decreases."),
        ],
        solution=rf"1. Setting the derivative to zero: $x_{{k+1}} = \frac{{y/\sigma_y^2 + \mu z_k}}{{1/\sigma_y^2 + \mu}} = "
                 rf"\frac{{{f(y / sigma_y**2, 6)} + {_p(f(mu * z, 6), mu * z)}}}{{{f(1 / sigma_y**2, 6)} + {mu}}} = "
                 rf"{f(x, 6)}$."
                 "\n\n"
                 rf"2. $\sigma_d = \sqrt{{\lambda/\mu}} = \sqrt{{{lam}/{mu}}} = {f(sd, 6)}$."
                 "\n\n"
                 rf"3. $z_{{k+1}} = \frac{{s^2}}{{s^2 + \sigma_d^2}}x_{{k+1}} = \frac{{{s2}}}{{{s2} + {f(sd**2, 6)}}} \cdot "
                 rf"{f(x, 6)} = {f(z_next, 6)}$.")


# ---------------------------------------------------------------------------------------------- choices


_PRIOR_CHOICES = [
    (r"In plug-and-play ADMM (Venkatakrishnan et al. 2013) for $\min_x f(x) + \lambda R(x)$, which step does the "
     r"denoiser replace?",
     r"The prior's proximal step $\mathrm{argmin}_v \lambda R(v) + \frac{\rho}{2}\|v - \tilde x\|^2$: MAP denoising of "
     r"$\tilde x$ at noise level $\sqrt{\lambda/\rho}$",
     [(r"The data-fidelity step $\mathrm{argmin}_x f(x) + \frac{\rho}{2}\|x - \tilde v\|^2$",
       r"that step holds the forward model $H$ and the measurement; it stays a problem-specific solve."),
      (r"The dual update $u \leftarrow u + x - v$", r"the dual update is bookkeeping of the constraint $x = v$; "
       r"it has no prior in it."),
      (r"The gradient of the log-likelihood $\nabla_x \log p(y \mid x)$", r"the likelihood belongs to the data term; "
       r"the denoiser stands for the prior.")],
     r"ADMM splits the objective into a data step and a prior step; the prior step is exactly a Gaussian denoising "
     r"problem, so any denoiser can be plugged in, even one with no explicit $R$."),
    (r"RED's regularizer is $\rho(x) = \frac{1}{2}x^\top(x - D(x))$. Under which assumptions is its gradient the "
     r"denoising residual $x - D(x)$?",
     r"$D$ is locally homogeneous ($D(cx) = cD(x)$ for $c$ near 1) and its Jacobian is symmetric",
     [(r"$D$ is the MMSE denoiser of the true prior", r"optimality plays no role in the gradient: the derivation "
       r"uses only homogeneity ($J_D x = D(x)$) and symmetry ($J_D^\top = J_D$)."),
      (r"$D$ is linear", r"a linear $D(x) = Wx$ with a non-symmetric $W$ has the gradient $x - \frac{1}{2}(W + "
       r"W^\top)x$, not $x - Wx$."),
      (r"$D$ is non-expansive (1-Lipschitz)", r"that conditions convexity and convergence, not the form of the "
       r"gradient.")],
     r"$\nabla\rho(x) = x - \frac{1}{2}D(x) - \frac{1}{2}J_D(x)^\top x$; homogeneity gives $J_D(x)x = D(x)$ and "
     r"symmetry $J_D^\top x = J_D x$, hence $x - D(x)$ (Romano, Elad and Milanfar 2017). Reehorst and Schniter 2018 "
     r"showed that practical denoisers violate symmetry."),
    (r"Which denoiser's residual is proportional to the score of the noisy density, $D(y) - y = \sigma^2\nabla\log "
     r"p_\sigma(y)$, for $y = x + \sigma z$?",
     r"The MMSE denoiser $D(y) = \mathbb E[x \mid y]$, for any prior",
     [(r"The MAP denoiser $\mathrm{argmax}_x p(x \mid y)$", r"MAP is a proximal step of $-\log p$; Tweedie's identity is "
       r"about the posterior mean."),
      (r"The posterior median (an $\ell_1$-trained denoiser)", r"the median differs from the mean for a skewed or "
       r"multimodal posterior."),
      (r"Only the Wiener filter of a Gaussian prior", r"the Wiener filter is the MMSE denoiser of a Gaussian "
       r"prior; Tweedie's formula holds for every prior.")],
     r"Tweedie's formula: $\mathbb E[x \mid y] = y + \sigma^2\nabla\log p_\sigma(y)$, so an MMSE denoiser trained "
     r"with the squared error gives the score of the noisy law: denoising score matching and diffusion rest on it."),
    (r"What is the main conceptual difference between RED and PnP?",
     r"RED defines an explicit objective, $\frac{1}{2\sigma_y^2}\|y - Hx\|^2 + \lambda\rho(x)$, that any optimizer can "
     r"minimise; PnP replaces a step of a splitting algorithm and in general minimises no explicit objective",
     [(r"RED needs a trained diffusion model, PnP any denoiser", r"both plug in an arbitrary image denoiser."),
      (r"RED calls the denoiser once, PnP at every iteration", r"RED calls $D$ at every iteration too, to evaluate "
       r"the gradient $x - D(x)$."),
      (r"PnP cannot handle noisy measurements", r"the data step of PnP includes $\sigma_y$; both handle noise.")],
     r"Romano, Elad and Milanfar 2017 proposed RED precisely to turn the denoiser into a regularizer with a clear "
     r"objective (steepest descent, ADMM or fixed-point schemes all apply), where PnP's objective is implicit."),
    (r"In PnP with half-quadratic splitting the penalty $\mu$ usually grows over the iterations. Why?",
     r"The split objective matches the original one only as $\mu \to \infty$, and the denoiser's level "
     r"$\sigma_d = \sqrt{\lambda/\mu}$ then decreases: coarse structure first, fine detail last",
     [(r"A growing $\mu$ raises $\sigma_d$, so the denoiser removes more noise at the end",
       r"$\sigma_d = \sqrt{\lambda/\mu}$ decreases as $\mu$ grows."),
      (r"The data step diverges for a fixed $\mu$", r"the data step is a well-posed quadratic problem for every "
       r"$\mu > 0$."),
      (r"It makes the denoiser's Jacobian symmetric", r"$\mu$ changes the noise level, not the denoiser's "
       r"structure; symmetry matters for RED's gradient, not here.")],
     r"HQS minimises $f(x) + \lambda R(z) + \frac{\mu}{2}\|x - z\|^2$, which forces $x = z$ only as $\mu \to \infty$; "
     r"PnP schemes such as Zhang et al. 2017 decrease $\sigma_d$ over the iterations."),
]


@question("score", kind="choice", difficulty=2, title="Denoisers as priors: Tweedie, RED and PnP")
def denoisers_as_priors(rng):
    ask, correct, wrong, why = rng.choice(_PRIOR_CHOICES)
    choice = shuffled_choice(rng, correct, wrong)
    return Draft(prompt=ask, parts=[Part(ask="Your choice:", answer=choice, worked=choice.typed(), after=why)],
                 solution=f"{choice.latex()}. {why}")


_LANGEVIN_CHOICES = [
    (r"Why does NCSN (Song and Ermon 2019) sample with annealed Langevin dynamics over noise levels "
     r"$\sigma_1 > \dots > \sigma_L$ rather than with Langevin on the data score alone?",
     r"The data score is poorly estimated in low-density regions and plain Langevin mixes slowly between "
     r"separated modes; large noise fills the space and connects the modes, small noise refines the sample",
     [(r"Langevin needs a normalised density, which annealing provides", r"Langevin needs only the score, which "
       r"is independent of the normalising constant."),
      (r"Annealing removes the bias of the finite step size", r"the last level still uses a finite step; annealing "
       r"addresses accuracy and mixing of the score, not the discretisation bias."),
      (r"A noise-conditional network is cheaper to evaluate", r"it costs the same per call; the gain is in where "
       r"the score is accurate.")],
     r"Song and Ermon 2019, §3: the manifold hypothesis and low-density regions make the score inaccurate and "
     r"mixing slow; perturbing the data with noise of decreasing scale fixes both."),
    (r"NCSN's annealed Langevin uses the step $\alpha_i = \epsilon\,\sigma_i^2/\sigma_L^2$ at noise level $\sigma_i$. "
     r"Why proportional to $\sigma_i^2$?",
     r"Since $\|\nabla\log p_{\sigma_i}\| \sim 1/\sigma_i$, it keeps the ratio of the drift $\frac{\alpha_i}{2}"
     r"s_\theta$ to the noise $\sqrt{\alpha_i}z$ the same at every level",
     [(r"Because the score grows like $\sigma_i^2$", r"the score of a $\sigma$-noised law scales like $1/\sigma$."),
      (r"So that the noise term dominates at small $\sigma_i$", r"the ratio is kept constant across levels, not "
       r"tilted toward noise."),
      (r"To make the total number of steps smaller", r"the number of steps per level is fixed; $\alpha_i$ sets the "
       r"step length.")],
     r"Song and Ermon 2019, §4.3: the 'signal-to-noise' ratio $\frac{\alpha_i s_\theta}{2\sqrt{\alpha_i}z}$ has a "
     r"norm independent of $\sigma_i$ when $\alpha_i \propto \sigma_i^2$."),
    (r"How is a noise-conditional score network trained without access to $\nabla\log p_{\mathrm{data}}$?",
     r"By denoising score matching: regress $s_\theta(\tilde x, \sigma)$ on $-(\tilde x - x)/\sigma^2$; this equals "
     r"score matching on $p_\sigma$ up to a constant",
     [(r"By maximum likelihood of the normalised density", r"the network outputs a score; its density's "
       r"normaliser is intractable."),
      (r"Against a discriminator, as in a GAN", r"no adversary is involved: the loss is a regression."),
      (r"By explicit score matching with $\nabla\log p_{\mathrm{data}}$ estimated by finite differences",
       r"the data density is unknown; the conditional score of the Gaussian corruption is known in closed form.")],
     r"Vincent 2011: $\mathbb E\|s_\theta - \nabla\log q_\sigma(\tilde x \mid x)\|^2$ and $\mathbb E\|s_\theta - "
     r"\nabla\log p_\sigma(\tilde x)\|^2$ differ by a constant, so they have the same minimiser."),
    (r"Why can Langevin dynamics sample from $p(x) = \tilde p(x)/Z$ when only $\tilde p$ is known?",
     r"It uses only the score, $\nabla\log p = \nabla\log\tilde p$, which does not depend on $Z$",
     [(r"It estimates $Z$ along the chain", r"Langevin never estimates $Z$; it does not need it."),
      (r"Because Langevin's stationary law is $\tilde p$, which is already a density", r"$\tilde p$ need not "
       r"integrate to 1; the stationary law is $p$."),
      (r"Because a Metropolis test cancels $Z$", r"unadjusted Langevin has no Metropolis test; MALA's test would "
       r"cancel $Z$ too, but the score alone already does.")],
     r"$\nabla\log(\tilde p/Z) = \nabla\log\tilde p - \nabla\log Z = \nabla\log\tilde p$: this is what makes "
     r"score-based models and energy-based models trainable and samplable."),
    (r"Continuous-time Langevin $dx = \nabla\log p(x)\,dt + \sqrt{2}\,dW$ has which stationary distribution?",
     r"$p$ itself",
     [(r"$p$ convolved with $\mathcal N(0, 2I)$", r"the noise and the drift balance exactly; no smoothing "
       r"remains in continuous time."),
      (r"The maximum of $p$ (the chain collapses to the mode)", r"that is gradient ascent without noise."),
      (r"$p^2$, normalised", r"the Fokker-Planck equation is solved by $p$: the drift $\nabla\log p$ and "
       r"diffusion coefficient 1 balance.")],
     r"Fokker-Planck: $\partial_t q = -\nabla\cdot(q\nabla\log p) + \Delta q$ vanishes at $q = p$. The bias appears "
     r"only after discretisation with a finite step."),
]


@question("score", kind="choice", difficulty=2, title="Langevin dynamics and annealed Langevin (NCSN)")
def langevin_ncsn(rng):
    ask, correct, wrong, why = rng.choice(_LANGEVIN_CHOICES)
    choice = shuffled_choice(rng, correct, wrong)
    return Draft(prompt=ask, parts=[Part(ask="Your choice:", answer=choice, worked=choice.typed(), after=why)],
                 solution=f"{choice.latex()}. {why}")


_FACTS = [
    (r"The score $\nabla_x\log p(x)$ does not change when $p$ is multiplied by a positive constant, so Langevin "
     r"dynamics can sample a density known up to its normaliser.", True,
     r"$\nabla\log(c\,p) = \nabla\log p$: the normaliser drops out of the score."),
    (r"Tweedie's formula $\mathbb E[x \mid y] = y + \sigma^2\nabla\log p_\sigma(y)$ for $y = x + \sigma z$ holds only "
     r"when the prior of $x$ is Gaussian.", False,
     r"It holds for every prior: only the noise must be Gaussian. For a Gaussian prior it reduces to the Wiener "
     r"filter."),
    (r"Unadjusted Langevin with a fixed finite step, run long enough, samples exactly from its target $p$.", False,
     r"Its stationary law is biased (on $\mathcal N(0, s^2)$ the variance is $s^2/(1 - \delta/(2s^2))$); only "
     r"$\delta \to 0$ or a Metropolis correction removes the bias."),
    (r"The denoising score matching loss and the explicit score matching loss on $p_\sigma$ differ by a constant that "
     r"does not depend on the model.", True,
     r"Vincent 2011: expanding both squares, the cross terms agree in expectation; they have the same minimiser."),
    (r"For any denoiser, $x - D(x)$ is the exact gradient of RED's $\rho(x) = \frac{1}{2}x^\top(x - D(x))$.", False,
     r"It needs local homogeneity and a symmetric Jacobian; e.g. a linear $D = W$ with non-symmetric $W$ has the "
     r"gradient $x - \frac{1}{2}(W + W^\top)x$."),
    (r"In plug-and-play HQS for $\min_x f(x) + \lambda R(x)$, split with the penalty $\frac{\mu}{2}\|x - z\|^2$, the "
     r"denoiser runs at the noise level $\sqrt{\lambda/\mu}$, set by the regularisation weight $\lambda$ and the "
     r"penalty $\mu$, not by the measurement noise $\sigma_y$.", True,
     r"The $z$-step $\mathrm{argmin}_z \lambda R(z) + \frac{\mu}{2}\|z - x\|^2$ is MAP denoising at variance $\lambda/\mu$."),
    (r"The MMSE denoiser's residual $D(y) - y$ points toward higher density of the noisy law $p_\sigma$.", True,
     r"$D(y) - y = \sigma^2\nabla\log p_\sigma(y)$, a positive multiple of the score."),
    (r"In annealed Langevin (NCSN) only the step size changes from level to level; the score network is evaluated "
     r"the same way at every level.", False,
     r"The network is noise-conditional, $s_\theta(x, \sigma_i)$: each level uses the score of $p_{\sigma_i}$, and the "
     r"step $\alpha_i \propto \sigma_i^2$ changes with it."),
]


@question("score", kind="true-false", difficulty=1, title="True or false: scores, Tweedie, Langevin, RED and PnP")
def score_facts(rng):
    statement, is_true, why = rng.choice(_FACTS)
    choice = true_false(is_true, why)
    return Draft(prompt=f"True or false? {statement}",
                 parts=[Part(ask="True or false:", answer=choice, worked=choice.typed(), after=why)],
                 solution=f"{'True' if is_true else 'False'}. {why}")
