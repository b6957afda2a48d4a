"""Chapter 5, acceleration: DDIM (the non-Markovian forward process, the eta-family and sigma_t(eta), deterministic
sampling on a subsequence of steps, inversion, and DDPM on a respaced chain), denoising diffusion GANs, nested
diffusion, consistency models (self-consistency, the boundary condition, c_skip and c_out), latent and multi-scale
diffusion. Answers come from `course_core.ddim`, `course_core.schedules` and `course_core.consistency`; worked
solutions recompute them by hand, in plain floating point."""

from __future__ import annotations

import math

import torch

from course_core import ddim, schedules
from course_core.consistency import consistency_function, consistency_scalings

from ..answers import Numeric, Symbolic, Var, format_number as f
from ..question import Draft, Part, agrees, apart, distinct, near_misses, nice, question, shuffled_choice, true_false

F64 = torch.float64


def _one(v: float) -> torch.Tensor:
    """One scalar sample ``(1, 1)`` in float64."""
    return torch.tensor([[v]], dtype=F64)


def _ddim_step(x_t: float, eps: float, ab_t: float, ab_prev: float, eta: float, z: float = 0.0) -> float:
    """``course_core.ddim.ddim_step`` on one scalar, the schedule holding only the two levels (index 1 -> 0)."""
    alpha_bar = torch.tensor([ab_prev, ab_t], dtype=F64)
    out = ddim.ddim_step(_one(x_t), torch.tensor([1]), torch.tensor([0]), _one(eps), alpha_bar, eta, _one(z))
    return float(out[0, 0])


def _levels(rng):
    """Two levels of a DDIM subsequence, alpha_bar_t < alpha_bar_prev, far enough apart to tell them apart."""
    ab_t = nice(rng, 0.05, 0.6, 3)
    ab_prev = nice(rng, min(ab_t + 0.1, 0.9), min(ab_t + 0.5, 0.98), 3)
    return ab_t, ab_prev


_PREV = r"\bar\alpha_{\mathrm{prev}}"


# ---------------------------------------------------------------------------------------------- DDIM numerics


@question("acceleration", kind="numeric", difficulty=1, title="DDIM's noise scale σ_t(η)")
def ddim_sigma_value(rng):
    while True:
        ab_t, ab_prev = _levels(rng)
        eta = rng.choice([0.2, 0.3, 0.5, 0.7, 0.8, 1.0])
        ratio, one_step = (1 - ab_prev) / (1 - ab_t), 1 - ab_t / ab_prev
        worked = eta * math.sqrt(ratio) * math.sqrt(one_step)
        misses = [(worked**2, r"that is the variance $\sigma_t^2(\eta)$; the question asks for the standard deviation."),
                  (eta * math.sqrt(one_step / ratio), r"the ratio is upside down: it is $\frac{1 - " + _PREV +
                   r"}{1 - \bar\alpha_t} < 1$, the share of the noise left at the next level."),
                  (eta * math.sqrt(one_step), r"that is $\eta\sqrt{1 - \bar\alpha_t/" + _PREV + r"}$, the "
                   r"standard deviation of the forward jump (DDPM's 'large' choice); the posterior's has the extra "
                   r"factor $\sqrt{(1 - " + _PREV + r")/(1 - \bar\alpha_t)}$.")]
        if eta != 1.0:
            misses.append((math.sqrt(eta) * worked / eta, r"$\eta$ multiplies the standard deviation, not the "
                           r"variance."))
        if worked > 0.01 and distinct([worked] + [v for v, _ in misses]):
            break
    answer = float(ddim.ddim_sigma(torch.tensor(ab_t, dtype=F64), torch.tensor(ab_prev, dtype=F64), eta))
    return Draft(
        prompt=rf"A DDIM sampler steps from $\bar\alpha_t = {ab_t}$ to the next (less noisy) level of its subsequence, "
               rf"${_PREV} = {ab_prev}$, with $\eta = {eta}$. What is the standard deviation $\sigma_t(\eta)$ of the "
               "fresh noise this step adds?",
        parts=[Part(ask=r"$\sigma_t(\eta)$ =", answer=Numeric(answer, near_misses=near_misses(misses)), worked=repr(worked))],
        solution=r"Song, Meng and Ermon 2021, Eq. (16): $\sigma_t(\eta) = \eta\sqrt{\frac{1 - " + _PREV + r"}{1 - "
                 r"\bar\alpha_t}}\sqrt{1 - \frac{\bar\alpha_t}{" + _PREV + r"}}" + rf" = {eta} \cdot "
                 rf"\sqrt{{{f(ratio, 6)}}} \cdot \sqrt{{{f(one_step, 6)}}} = {f(worked, 6)}$. With $\eta = 1$ it is "
                 r"the standard deviation of DDPM's posterior on the respaced chain; with $\eta = 0$ the step is "
                 r"deterministic.")


@question("acceleration", kind="numeric", difficulty=2, title="One deterministic DDIM step (η = 0)")
def ddim_deterministic_step(rng):
    while True:
        ab_t, ab_prev = _levels(rng)
        x_t, eps = nice(rng, -2, 2, 2), nice(rng, -1.5, 1.5, 2)
        x0 = (x_t - math.sqrt(1 - ab_t) * eps) / math.sqrt(ab_t)
        worked = math.sqrt(ab_prev) * x0 + math.sqrt(1 - ab_prev) * eps
        misses = [(math.sqrt(ab_prev) * x0, r"the step keeps the 'direction pointing to $x_t$', $\sqrt{1 - " + _PREV +
                   r"}\,\epsilon_\theta$: without it $x_{\mathrm{prev}}$ would be too clean for its level."),
                  (math.sqrt(ab_prev) * x0 + math.sqrt(1 - ab_t) * eps, r"the noise term is rescaled to the *target* "
                   r"level: $\sqrt{1 - " + _PREV + r"}$, not $\sqrt{1 - \bar\alpha_t}$."),
                  (x0, r"that is $\hat x_0$ itself, where the step would go only if $" + _PREV + r" = 1$ (the last "
                   r"step).")]
        if abs(x0) > 0.1 and abs(eps) > 0.2 and abs(worked) > 0.05 and distinct([worked] + [v for v, _ in misses]):
            break
    answer = _ddim_step(x_t, eps, ab_t, ab_prev, eta=0.0)
    return Draft(
        prompt=rf"A DDIM sampler with $\eta = 0$ is at $x_t = {x_t}$ (one pixel) with $\bar\alpha_t = {ab_t}$, and the "
               rf"network predicts $\epsilon_\theta(x_t, t) = {eps}$. The next level of its subsequence has "
               rf"${_PREV} = {ab_prev}$. What is $x_{{\mathrm{{prev}}}}$?",
        parts=[Part(ask=r"$x_{\mathrm{prev}}$ =", answer=Numeric(answer, near_misses=near_misses(misses)),
                    worked=repr(worked))],
        solution=rf"First the predicted clean pixel: $\hat x_0 = (x_t - \sqrt{{1 - \bar\alpha_t}}\,\epsilon_\theta) / "
                 rf"\sqrt{{\bar\alpha_t}} = ({x_t} - {f(math.sqrt(1 - ab_t), 6)} \cdot ({eps})) / {f(math.sqrt(ab_t), 6)} "
                 rf"= {f(x0, 6)}$. With $\sigma_t = 0$, Eq. (12) of Song, Meng and Ermon 2021 gives "
                 rf"$x_{{\mathrm{{prev}}}} = \sqrt{{{_PREV}}}\,\hat x_0 + \sqrt{{1 - {_PREV}}}\,\epsilon_\theta = "
                 rf"{f(math.sqrt(ab_prev), 6)} \cdot ({f(x0, 6)}) + {f(math.sqrt(1 - ab_prev), 6)} \cdot ({eps}) = "
                 rf"{f(worked, 6)}$.")


_SPACING_TEXT = {
    "leading": r"the indices $0, c, 2c, \dots, (S - 1)c$ with the stride $c = \lfloor T/S \rfloor$ (diffusers' "
               r"'leading' spacing)",
    "trailing": r"the indices $\mathrm{round}(T - jT/S) - 1$ for $j = 0, \dots, S - 1$, which end at $T - 1$ "
                r"(diffusers' 'trailing' spacing; numpy's rounding, a half goes to the even integer)",
    "linspace": r"$S$ indices evenly spaced from $0$ to $T - 1$, rounded to integers (diffusers' 'linspace' spacing; "
                r"numpy's rounding, a half goes to the even integer)",
}


def _spaced_steps(T: int, S: int, spacing: str, k: int) -> str:
    """The worked computation of the k-th index (1-based, descending), in LaTeX, ending in its value."""
    value = _spaced(T, S, spacing, k)
    if spacing == "leading":
        return rf"(S - k)\lfloor T/S \rfloor = {S - k} \cdot {T // S} = {value}"
    if spacing == "trailing":
        return (rf"j = k - 1 = {k - 1}$: $\mathrm{{round}}({T} - {k - 1} \cdot {T}/{S}) - 1 = "
                rf"\mathrm{{round}}({f(T - (k - 1) * T / S, 8)}) - 1 = {value}")
    return (rf"\mathrm{{round}}\left(\frac{{(S - k)(T - 1)}}{{S - 1}}\right) = \mathrm{{round}}\left("
            rf"\frac{{{S - k} \cdot {T - 1}}}{{{S - 1}}}\right) = \mathrm{{round}}({f((S - k) * (T - 1) / (S - 1), 8)}) "
            rf"= {value}")


def _spaced(T: int, S: int, spacing: str, k: int) -> int:
    """The k-th index (1-based, in the sampler's descending order), by hand."""
    j = k - 1
    if spacing == "leading":
        return (S - 1 - j) * (T // S)
    if spacing == "trailing":
        return round(T - j * T / S) - 1
    return round((S - 1 - j) * (T - 1) / (S - 1))


@question("acceleration", kind="numeric", difficulty=1, title="Which index a DDIM step visits")
def ddim_timestep(rng):
    while True:
        T = rng.choice([100, 200, 250, 500, 1000])
        S = rng.choice([5, 8, 10, 20, 25, 50])
        spacing = rng.choice(sorted(_SPACING_TEXT))
        k = rng.randint(1, S)
        worked = _spaced(T, S, spacing, k)
        misses = [(_spaced(T, S, spacing, S + 1 - k), r"that counts from the wrong end: the sampler visits the "
                   r"subsequence in *descending* order, from the noisiest index down.")]
        misses += [(_spaced(T, S, other, k), rf"that is the '{other}' spacing; this sampler uses '{spacing}'.")
                   for other in sorted(_SPACING_TEXT) if other != spacing]
        misses = [(float(v), m) for v, m in misses if v != 0 and apart(worked, [v], 0.02)]
        if worked >= 1 and len(misses) >= 2 and distinct([worked] + [v for v, _ in misses]):
            break
    answer = float(ddim.ddim_timesteps(T, S, spacing)[k - 1])
    agrees(answer, worked)
    return Draft(
        prompt=rf"A DDPM trained with $T = {T}$ steps (indices $0, \dots, {T - 1}$) is sampled by DDIM with $S = {S}$ "
               rf"steps on a subsequence: {_SPACING_TEXT[spacing]}. At which index does the sampler's network "
               rf"evaluation number {k} happen (number 1 is the first, noisiest step)?",
        parts=[Part(ask="index =", answer=Numeric(answer, near_misses=near_misses(misses)), worked=repr(float(worked)))],
        solution=r"DDIM (Song, Meng and Ermon 2021, §4.2) runs its update on an increasing subsequence $\tau_1 < \dots < "
                 r"\tau_S$ of $\{0, \dots, T - 1\}$, visited from $\tau_S$ down: evaluation number $k$ is at $\tau_{S+1-k}$"
                 rf" (the same network, trained on all $T$ steps). Here the subsequence is {_SPACING_TEXT[spacing]}. "
                 rf"Evaluation $k = {k}$ is at $\tau_{{{S + 1 - k}}}$: ${_spaced_steps(T, S, spacing, k)}$, so "
                 rf"evaluation {k} is at index ${worked}$.")


@question("acceleration", kind="numeric", difficulty=2, title="One step of DDIM inversion")
def ddim_inversion(rng):
    while True:
        ab_t, ab_s = _levels(rng)  # going up: from ab_s (less noisy) to ab_t
        x_s, eps = nice(rng, -2, 2, 2), nice(rng, -1.5, 1.5, 2)
        x0 = (x_s - math.sqrt(1 - ab_s) * eps) / math.sqrt(ab_s)
        worked = math.sqrt(ab_t) * x0 + math.sqrt(1 - ab_t) * eps
        misses = [(math.sqrt(ab_t) * x_s + math.sqrt(1 - ab_t) * eps, r"that noises $x_s$ as if it were clean data; "
                   r"first remove its own noise: $\hat x_0 = (x_s - \sqrt{1 - \bar\alpha_s}\,\epsilon_\theta)/"
                   r"\sqrt{\bar\alpha_s}$."),
                  (math.sqrt(ab_t / ab_s) * x_s + math.sqrt(1 - ab_t / ab_s) * eps, r"that is a forward (Markov) jump "
                   r"$q(x_t \mid x_s)$ with $\epsilon_\theta$ as its noise draw; inversion runs the deterministic DDIM "
                   r"update backwards, re-using the predicted noise at the new level."),
                  (math.sqrt(ab_t) * x0, r"the predicted noise is put back at the new level: $+\sqrt{1 - "
                   r"\bar\alpha_t}\,\epsilon_\theta$.")]
        if abs(x0) > 0.1 and abs(eps) > 0.2 and abs(worked) > 0.05 and distinct([worked] + [v for v, _ in misses]):
            break

    def eps_model(x, t):  # 0 on the way to the first level (so x_s is reached exactly), then the prediction
        return torch.zeros_like(x) if int(t[0]) == 0 else torch.full_like(x, eps)

    x0_start = _one(x_s / math.sqrt(ab_s))  # from here, the first inversion step lands on x_s
    answer = float(ddim.ddim_invert(eps_model, x0_start, torch.tensor([ab_s, ab_t], dtype=F64), torch.tensor([1, 0]))[0, 0])
    return Draft(
        prompt=rf"DDIM inversion maps an image to its noise by running the deterministic ($\eta = 0$) update upward. "
               rf"It is at $x_s = {x_s}$ (one pixel) with $\bar\alpha_s = {ab_s}$, and the next level up has "
               rf"$\bar\alpha_t = {ab_t}$. The network predicts $\epsilon_\theta = {eps}$ there (as diffusers' inverse "
               "scheduler does, at the current point and the target level). What is $x_t$?",
        parts=[Part(ask=r"$x_t$ =", answer=Numeric(answer, near_misses=near_misses(misses)), worked=repr(worked))],
        solution=rf"Invert the deterministic step (Song, Meng and Ermon 2021, §4.3): $\hat x_0 = (x_s - \sqrt{{1 - "
                 rf"\bar\alpha_s}}\,\epsilon_\theta)/\sqrt{{\bar\alpha_s}} = {f(x0, 6)}$, then $x_t = \sqrt{{\bar\alpha_t}}"
                 rf"\,\hat x_0 + \sqrt{{1 - \bar\alpha_t}}\,\epsilon_\theta = {f(math.sqrt(ab_t), 6)} \cdot ({f(x0, 6)}) + "
                 rf"{f(math.sqrt(1 - ab_t), 6)} \cdot ({eps}) = {f(worked, 6)}$. It is exact only as the steps shrink: "
                 r"the noise is predicted at $x_s$, not at the unknown $x_t$.")


# ---------------------------------------------------------------------------------------------- DDIM symbolic


_DDIM_VARS = {"alpha_bar_t": Var("alpha_bar_t", r"\bar\alpha_t", 0.1, 0.5),
              "alpha_bar_prev": Var("alpha_bar_prev", _PREV, 0.55, 0.95),
              "eta": Var("eta", r"\eta", 0.1, 1.0), "sigma_t": Var("sigma_t", r"\sigma_t", 0.01, 0.2)}

_DDIM_FORMS = {
    "sigma": (
        r"the standard deviation $\sigma_t(\eta)$ of the fresh noise $z$",
        "eta*sqrt((1 - alpha_bar_prev)/(1 - alpha_bar_t))*sqrt(1 - alpha_bar_t/alpha_bar_prev)",
        "eta*sqrt((1 - alpha_bar_prev)*(alpha_bar_prev - alpha_bar_t)/((1 - alpha_bar_t)*alpha_bar_prev))",
        ("eta", "alpha_bar_t", "alpha_bar_prev"),
        (("eta*sqrt((1 - alpha_bar_t)/(1 - alpha_bar_prev))*sqrt(1 - alpha_bar_t/alpha_bar_prev)", r"the first ratio "
          r"is upside down: $(1 - " + _PREV + r")/(1 - \bar\alpha_t) < 1$."),
         ("eta*sqrt(1 - alpha_bar_t/alpha_bar_prev)", r"that is DDPM's 'large' standard deviation of the jump; the "
          r"posterior's has the factor $\sqrt{(1 - " + _PREV + r")/(1 - \bar\alpha_t)}$."),
         ("eta*(1 - alpha_bar_prev)/(1 - alpha_bar_t)*(1 - alpha_bar_t/alpha_bar_prev)", r"that is a variance "
          r"multiplied by $\eta$; $\sigma_t(\eta)$ is a standard deviation, linear in $\eta$.")),
        r"Song, Meng and Ermon 2021, Eq. (16): $\sigma_t(\eta) = \eta\sqrt{(1 - " + _PREV + r")/(1 - \bar\alpha_t)}"
        r"\sqrt{1 - \bar\alpha_t/" + _PREV + r"}$, $\eta$ times the standard deviation of the posterior "
        r"$q(x_{\mathrm{prev}} \mid x_t, x_0)$ of the respaced Markov chain"),
    "x_coef": (
        r"the coefficient of $x_t$ when $\eta = 0$",
        "sqrt(alpha_bar_prev/alpha_bar_t)", "sqrt(alpha_bar_prev)/sqrt(alpha_bar_t)", ("alpha_bar_t", "alpha_bar_prev"),
        (("sqrt(alpha_bar_prev)", r"$x_t$ enters through $\hat x_0$, which divides it by $\sqrt{\bar\alpha_t}$."),
         ("1/sqrt(alpha_bar_t)", r"that is its coefficient in $\hat x_0$; the step then scales $\hat x_0$ by "
          r"$\sqrt{" + _PREV + r"}$."),
         ("alpha_bar_prev/alpha_bar_t", r"the signal is scaled by square roots of $\bar\alpha$.")),
        r"Song, Meng and Ermon 2021, Eq. (12) with $\sigma_t = 0$: $x_{\mathrm{prev}} = \sqrt{" + _PREV + r"}\,\hat x_0 "
        r"+ \sqrt{1 - " + _PREV + r"}\,\epsilon_\theta$. Substituting $\hat x_0$ and collecting terms, $x_{\mathrm{prev}}"
        r" = \sqrt{" + _PREV + r"/\bar\alpha_t}\,x_t + \left(\sqrt{1 - " + _PREV + r"} - \sqrt{" + _PREV + r"(1 - "
        r"\bar\alpha_t)/\bar\alpha_t}\right)\epsilon_\theta$: $x_t$ enters only through $\hat x_0$, whose "
        r"coefficient $1/\sqrt{\bar\alpha_t}$ is multiplied by $\sqrt{" + _PREV + r"}$"),
    "eps_coef0": (
        r"the coefficient of $\epsilon_\theta$ when $\eta = 0$",
        "sqrt(1 - alpha_bar_prev) - sqrt(alpha_bar_prev*(1 - alpha_bar_t)/alpha_bar_t)",
        "sqrt(1 - alpha_bar_prev) - sqrt(alpha_bar_prev)*sqrt(1 - alpha_bar_t)/sqrt(alpha_bar_t)",
        ("alpha_bar_t", "alpha_bar_prev"),
        (("sqrt(1 - alpha_bar_prev)", r"$\epsilon_\theta$ also enters through $\hat x_0$, with the coefficient "
          r"$-\sqrt{" + _PREV + r"}\sqrt{1 - \bar\alpha_t}/\sqrt{\bar\alpha_t}$."),
         ("-sqrt(alpha_bar_prev*(1 - alpha_bar_t)/alpha_bar_t)", r"the direction term $\sqrt{1 - " + _PREV +
          r"}\,\epsilon_\theta$ is part of the step too."),
         ("sqrt(1 - alpha_bar_t) - sqrt(alpha_bar_prev*(1 - alpha_bar_t)/alpha_bar_t)", r"the direction term is "
          r"scaled to the target level: $\sqrt{1 - " + _PREV + r"}$.")),
        r"Song, Meng and Ermon 2021, Eq. (12) with $\sigma_t = 0$: $x_{\mathrm{prev}} = \sqrt{" + _PREV + r"}\,\hat x_0 "
        r"+ \sqrt{1 - " + _PREV + r"}\,\epsilon_\theta$, so $\epsilon_\theta$ appears twice: in the direction term, "
        r"with $\sqrt{1 - " + _PREV + r"}$, and inside $\sqrt{" + _PREV + r"}\,\hat x_0$, with $-\sqrt{" + _PREV +
        r"}\sqrt{1 - \bar\alpha_t}/\sqrt{\bar\alpha_t}$; their sum is the coefficient"),
    "eps_coef": (
        r"the coefficient of $\epsilon_\theta$ when the step adds the fresh noise $\sigma_t z$ (write it with "
        r"$\sigma_t$)",
        "sqrt(1 - alpha_bar_prev - sigma_t^2) - sqrt(alpha_bar_prev*(1 - alpha_bar_t)/alpha_bar_t)",
        "sqrt(1 - alpha_bar_prev - sigma_t*sigma_t) - sqrt(alpha_bar_prev/alpha_bar_t - alpha_bar_prev)",
        ("alpha_bar_t", "alpha_bar_prev", "sigma_t"),
        (("sqrt(1 - alpha_bar_prev) - sqrt(alpha_bar_prev*(1 - alpha_bar_t)/alpha_bar_t)", r"the fresh noise takes "
          r"its share $\sigma_t^2$ of the variance $1 - " + _PREV + r"$: the direction term is $\sqrt{1 - " + _PREV +
          r" - \sigma_t^2}\,\epsilon_\theta$."),
         ("sqrt(1 - alpha_bar_prev - sigma_t) - sqrt(alpha_bar_prev*(1 - alpha_bar_t)/alpha_bar_t)", r"the fresh "
          r"noise's variance is $\sigma_t^2$, not $\sigma_t$."),
         ("sqrt(1 - alpha_bar_prev - sigma_t^2)", r"$\epsilon_\theta$ also enters through $\hat x_0$.")),
        r"Song, Meng and Ermon 2021, Eq. (12): $x_{\mathrm{prev}} = \sqrt{" + _PREV + r"}\,\hat x_0 + \sqrt{1 - " + _PREV
        + r" - \sigma_t^2}\,\epsilon_\theta + \sigma_t z$, and $\sqrt{" + _PREV + r"}\,\hat x_0$ contributes $-\sqrt{"
        + _PREV + r"}\sqrt{1 - \bar\alpha_t}/\sqrt{\bar\alpha_t}$ to the coefficient of $\epsilon_\theta$. The "
        r"direction term gives up the variance the fresh noise takes: given $x_0$, $(1 - " + _PREV + r" - \sigma_t^2) + "
        r"\sigma_t^2 = 1 - " + _PREV + r"$, the variance of the marginal $q(x_{\mathrm{prev}} \mid x_0)$ (Lemma 1)"),
}


@question("acceleration", kind="symbolic", difficulty=2, title="The coefficients of the DDIM update")
def ddim_coefficients(rng):
    key = rng.choice(sorted(_DDIM_FORMS))
    asked, expr, worked, names, misses, why = _DDIM_FORMS[key]
    answer = Symbolic(expr, tuple(_DDIM_VARS[n] for n in names), near_misses(misses))
    ab_t, ab_prev, eta = 0.3, 0.7, 0.6
    if key == "sigma":
        ref = float(ddim.ddim_sigma(torch.tensor(ab_t, dtype=F64), torch.tensor(ab_prev, dtype=F64), eta))
        agrees(answer.at(eta=eta, alpha_bar_t=ab_t, alpha_bar_prev=ab_prev), ref)
    elif key == "x_coef":
        agrees(answer.at(alpha_bar_t=ab_t, alpha_bar_prev=ab_prev), _ddim_step(1.0, 0.0, ab_t, ab_prev, 0.0))
    elif key == "eps_coef0":
        agrees(answer.at(alpha_bar_t=ab_t, alpha_bar_prev=ab_prev), _ddim_step(0.0, 1.0, ab_t, ab_prev, 0.0))
    else:
        sigma = float(ddim.ddim_sigma(torch.tensor(ab_t, dtype=F64), torch.tensor(ab_prev, dtype=F64), eta))
        agrees(answer.at(alpha_bar_t=ab_t, alpha_bar_prev=ab_prev, sigma_t=sigma), _ddim_step(0.0, 1.0, ab_t, ab_prev, eta))
    return Draft(
        prompt=r"A DDIM step goes from $x_t$ (level $\bar\alpha_t$) to the next level of its subsequence, $" + _PREV +
               r" > \bar\alpha_t$, using $\hat x_0 = (x_t - \sqrt{1 - \bar\alpha_t}\,\epsilon_\theta)/\sqrt{\bar\alpha_t}$. "
               r"Written out, $x_{\mathrm{prev}}$ is a linear combination of $x_t$, the network's $\epsilon_\theta$ "
               rf"and a fresh $z \sim \mathcal N(0, I)$. Give {asked}. Variables: {answer.names()}.",
        parts=[Part(ask="expression =", answer=answer, worked=worked)],
        solution=rf"{why}. Answer: ${answer.latex()}$.")


# ---------------------------------------------------------------------------------------------- derivations


@question("acceleration", kind="derivation", difficulty=3, title="One stochastic DDIM step with η > 0, by hand")
def ddim_stochastic_step(rng):
    while True:
        ab_t, ab_prev = _levels(rng)
        eta = rng.choice([0.3, 0.5, 0.8, 1.0])
        x_t, eps, z = nice(rng, -2, 2, 2), nice(rng, -1.5, 1.5, 2), nice(rng, -1.5, 1.5, 2)
        x0 = (x_t - math.sqrt(1 - ab_t) * eps) / math.sqrt(ab_t)
        sigma = eta * math.sqrt((1 - ab_prev) / (1 - ab_t)) * math.sqrt(1 - ab_t / ab_prev)
        mean = math.sqrt(ab_prev) * x0 + math.sqrt(1 - ab_prev - sigma**2) * eps
        worked = mean + sigma * z
        x0_misses = [((x_t - (1 - ab_t) * eps) / math.sqrt(ab_t), r"the noise in $x_t$ is scaled by "
                      r"$\sqrt{1 - \bar\alpha_t}$, not $1 - \bar\alpha_t$."),
                     ((x_t - math.sqrt(1 - ab_t) * eps) / ab_t, r"divide by $\sqrt{\bar\alpha_t}$, the signal's scale.")]
        s_misses = [(sigma**2, r"that is the variance; the question asks for $\sigma_t(\eta)$, the standard deviation."),
                    (eta * math.sqrt(1 - ab_t / ab_prev), r"the posterior's standard deviation has the factor "
                     r"$\sqrt{(1 - " + _PREV + r")/(1 - \bar\alpha_t)}$.")]
        x_misses = [(math.sqrt(ab_prev) * x0 + math.sqrt(1 - ab_prev) * eps + sigma * z, r"the direction term gives up "
                     r"the variance the fresh noise takes: $\sqrt{1 - " + _PREV + r" - \sigma_t^2}$."),
                    (mean + sigma**2 * z, r"the fresh noise is scaled by the standard deviation $\sigma_t$.")]
        if abs(x0) > 0.1 and abs(z) > 0.2 and abs(worked) > 0.05 and sigma > 0.02 and \
                distinct([x0] + [v for v, _ in x0_misses]) and distinct([sigma] + [v for v, _ in s_misses]) and \
                distinct([worked] + [v for v, _ in x_misses]):
            break
    alpha_bar = torch.tensor([ab_prev, ab_t], dtype=F64)
    x0_ref = float(((_one(x_t) - (1 - alpha_bar[1]).sqrt() * eps) / alpha_bar[1].sqrt())[0, 0])
    sigma_ref = float(ddim.ddim_sigma(alpha_bar[1], alpha_bar[0], eta))
    step_ref = _ddim_step(x_t, eps, ab_t, ab_prev, eta, z)
    return Draft(
        prompt=rf"A DDIM sampler with $\eta = {eta}$ is at $x_t = {x_t}$ (one pixel), $\bar\alpha_t = {ab_t}$; the next "
               rf"level of its subsequence has ${_PREV} = {ab_prev}$. The network predicts $\epsilon_\theta = {eps}$ and "
               rf"the fresh standard normal draw is $z = {z}$. Take the step, in three parts.",
        parts=[
            Part(ask=r"$\hat x_0$ =", answer=Numeric(x0_ref, near_misses=near_misses(x0_misses)), worked=repr(x0),
                 after=r"Next: the noise scale of Eq. (16), $\sigma_t(\eta) = \eta\sqrt{\frac{1 - " + _PREV + r"}{1 - "
                       r"\bar\alpha_t}}\sqrt{1 - \frac{\bar\alpha_t}{" + _PREV + r"}}$."),
            Part(ask=r"$\sigma_t(\eta)$ =", answer=Numeric(sigma_ref, near_misses=near_misses(s_misses)), worked=repr(sigma),
                 after=r"Last: Eq. (12), $x_{\mathrm{prev}} = \sqrt{" + _PREV + r"}\,\hat x_0 + \sqrt{1 - " + _PREV +
                       r" - \sigma_t^2}\,\epsilon_\theta + \sigma_t z$."),
            Part(ask=r"$x_{\mathrm{prev}}$ =", answer=Numeric(step_ref, near_misses=near_misses(x_misses)),
                 worked=repr(worked),
                 after=r"Every $\eta$ gives the same marginals $q(x_t \mid x_0)$, so the network trained for DDPM "
                       r"serves them all; $\eta = 0$ is deterministic, $\eta = 1$ is DDPM on the respaced chain."),
        ],
        solution=rf"1. $\hat x_0 = (x_t - \sqrt{{1 - \bar\alpha_t}}\,\epsilon_\theta)/\sqrt{{\bar\alpha_t}} = ({x_t} - "
                 rf"{f(math.sqrt(1 - ab_t), 6)} \cdot ({eps}))/{f(math.sqrt(ab_t), 6)} = {f(x0, 6)}$."
                 "\n\n"
                 rf"2. $\sigma_t(\eta) = {eta} \cdot \sqrt{{{f((1 - ab_prev) / (1 - ab_t), 6)}}} \cdot "
                 rf"\sqrt{{{f(1 - ab_t / ab_prev, 6)}}} = {f(sigma, 6)}$ (Song, Meng and Ermon 2021, Eq. 16)."
                 "\n\n"
                 rf"3. $x_{{\mathrm{{prev}}}} = {f(math.sqrt(ab_prev), 6)} \cdot ({f(x0, 6)}) + "
                 rf"{f(math.sqrt(1 - ab_prev - sigma**2), 6)} \cdot ({eps}) + {f(sigma, 6)} \cdot ({z}) = {f(worked, 6)}$"
                 r" (Eq. 12).")


_RESPACED_CHOICE = (
    r"DDPM's ancestral sampler on the respaced chain (betas $\beta'$), with its posterior variance",
    [(r"DDPM on the original chain with its original $\beta_t$, simply skipping the other steps",
      r"the original $\beta_t$ describes one step; a jump over many steps needs $\beta' = 1 - \bar\alpha_t/" + _PREV +
      r"$."),
     (r"A deterministic sampler", r"$\eta = 1$ adds fresh noise with $\sigma_t(1) > 0$; $\eta = 0$ is the "
      r"deterministic one."),
     (r"A sampler that needs a network retrained on the respaced betas", r"the marginals $q(x_t \mid x_0)$ at the "
      r"kept indices are unchanged, so the same $\epsilon_\theta$ serves.")],
    r"Respacing (Nichol and Dhariwal 2021, §4) keeps $\bar\alpha$ at the kept indices and sets $\beta'_i = 1 - "
    r"\bar\alpha_{\tau_i}/\bar\alpha_{\tau_{i-1}}$; DDPM's posterior on that chain has the standard deviation "
    r"$\sigma_t(1)$, so DDIM with $\eta = 1$ and DDPM on the respaced chain are the same sampler.")


@question("acceleration", kind="derivation", difficulty=2, title="DDIM with η = 1 is DDPM on a respaced chain")
def respaced_chain(rng):
    T = 1000
    beta = schedules.linear_beta_schedule(T)  # Ho et al.: 1e-4 to 0.02
    alpha_bar = schedules.alpha_bar_from_beta(beta)
    while True:
        S = rng.choice([10, 20, 25, 40, 50])
        steps = ddim.ddim_timesteps(T, S, "leading")  # descending
        k = rng.randint(0, S - 2)
        t, t_prev = int(steps[k]), int(steps[k + 1])
        ab_t, ab_prev = float(f(float(alpha_bar[t]), 6)), float(f(float(alpha_bar[t_prev]), 6))  # as the prompt shows
        b_new = 1 - ab_t / ab_prev
        std = math.sqrt((1 - ab_prev) / (1 - ab_t) * b_new)
        b_misses = [(ab_prev - ab_t, r"the jump's $\beta'$ comes from the *ratio*: $1 - \beta' = \bar\alpha_t/" + _PREV
                     + r"$."),
                    (float(beta[t]), rf"that is the original $\beta$ of the single step at index {t}; the respaced "
                     rf"chain jumps {t - t_prev} steps at once."),
                    (1 - ab_t, r"that is the noise variance accumulated from $x_0$, not the jump's.")]
        s_misses = [(math.sqrt(b_new), r"that is $\sqrt{\beta'}$, DDPM's 'large' choice; $\sigma_t(1)$ is the "
                     r"*posterior's* standard deviation, $\sqrt{\tilde\beta'}$."),
                    ((1 - ab_prev) / (1 - ab_t) * b_new, r"that is the variance $\tilde\beta'$; take its square root.")]
        if b_new > 1e-3 and std > 1e-2 and distinct([b_new] + [v for v, _ in b_misses]) and \
                distinct([std] + [v for v, _ in s_misses]):
            break
    kept = alpha_bar.clone()
    kept[t], kept[t_prev] = ab_t, ab_prev  # the schedule with the two values the prompt shows (rounded)
    respaced = ddim.respace_betas(kept, steps)  # ascending in index
    b_ref = float(respaced[S - 1 - k])
    std_ref = float(ddim.ddim_sigma(torch.tensor(ab_t, dtype=F64), torch.tensor(ab_prev, dtype=F64), 1.0))
    agrees(std_ref, std, rtol=1e-9)
    choice = shuffled_choice(rng, _RESPACED_CHOICE[0], _RESPACED_CHOICE[1])
    return Draft(
        prompt=rf"A DDPM with $T = {T}$ and the linear schedule $\beta_1 = 10^{{-4}}, \dots, \beta_T = 0.02$ is sampled "
               rf"on the subsequence of $S = {S}$ indices with stride ${T // S}$. One step jumps from index ${t}$ "
               rf"($\bar\alpha_t = {f(ab_t, 6)}$) to index ${t_prev}$ (${_PREV} = {f(ab_prev, 6)}$). Respacing turns "
               r"the subsequence into a Markov chain of its own, with betas $\beta'$.",
        parts=[
            Part(ask=r"the respaced chain's $\beta'$ for this jump =", answer=Numeric(b_ref, near_misses=near_misses(b_misses)),
                 worked=repr(b_new),
                 after=r"Next: DDPM's posterior on the respaced chain has the variance $\tilde\beta' = \frac{1 - " + _PREV +
                       r"}{1 - \bar\alpha_t}\beta'$; compare its square root with DDIM's $\sigma_t(1)$."),
            Part(ask=r"DDIM's $\sigma_t(\eta = 1)$ for this jump =", answer=Numeric(std_ref, near_misses=near_misses(s_misses)),
                 worked=repr(std),
                 after=r"It equals $\sqrt{\tilde\beta'}$: Eq. (16) at $\eta = 1$ is exactly the posterior standard "
                       r"deviation of the respaced chain."),
            Part(ask=r"So DDIM with $\eta = 1$ on this subsequence is:", answer=choice, worked=choice.typed(),
                 after=_RESPACED_CHOICE[2]),
        ],
        solution=rf"1. Keeping $\bar\alpha$ at the visited indices, $1 - \beta' = \bar\alpha_t/{_PREV}$, so $\beta' = "
                 rf"1 - {f(ab_t, 6)}/{f(ab_prev, 6)} = {f(b_new, 6)}$."
                 "\n\n"
                 rf"2. $\sigma_t(1) = \sqrt{{\frac{{1 - {_PREV}}}{{1 - \bar\alpha_t}}}}\sqrt{{1 - \frac{{\bar\alpha_t}}"
                 rf"{{{_PREV}}}}} = \sqrt{{\frac{{{f(1 - ab_prev, 6)}}}{{{f(1 - ab_t, 6)}}} \cdot {f(b_new, 6)}}} = "
                 rf"{f(std, 6)}$, which is $\sqrt{{\tilde\beta'}}$."
                 "\n\n"
                 r"3. " + _RESPACED_CHOICE[2])


@question("acceleration", kind="derivation", difficulty=2, title="A consistency model's output and its boundary condition")
def consistency_parameterization(rng):
    while True:
        sd, eps = rng.choice([0.5, 0.7, 1.0]), rng.choice([0.1, 0.2, 0.3])
        t, x, F = nice(rng, 0.4, 3.0, 2), nice(rng, -2, 2, 2), nice(rng, -1, 1, 2)
        edm_boundary = sd**2 / (eps**2 + sd**2)
        c_skip = sd**2 / ((t - eps) ** 2 + sd**2)
        c_out = sd * (t - eps) / math.sqrt(sd**2 + t**2)
        out = c_skip * x + c_out * F
        e_misses = [(1.0, r"that is the *shifted* $c_{\mathrm{skip}}(\epsilon)$; EDM's coefficients, written for a "
                     r"boundary at $0$, give less than 1 at $t = \epsilon$."),
                    (sd / (eps**2 + sd**2) if sd != 1.0 else sd**2 / (eps + sd**2),
                     r"both $\sigma_{\mathrm{data}}$ and $t$ enter squared.")]
        s_misses = [(sd**2 / (t**2 + sd**2), r"that is EDM's unshifted $c_{\mathrm{skip}}(t)$; the consistency model "
                     r"uses $t - \epsilon$ so that $c_{\mathrm{skip}}(\epsilon) = 1$."),
                    (c_out, r"that is $c_{\mathrm{out}}(t)$, the weight of the network's output.")]
        o_misses = [(c_out * x + c_skip * F, r"the coefficients are swapped: $c_{\mathrm{skip}}$ multiplies the input "
                     r"$x$, which is what makes $f(x, \epsilon) = x$."),
                    (sd**2 / (t**2 + sd**2) * x + sd * t / math.sqrt(sd**2 + t**2) * F,
                     r"those are EDM's unshifted coefficients."),
                    (c_skip * x + F, r"the network's output is scaled by $c_{\mathrm{out}}(t)$.")]
        if abs(t - eps) > 0.2 and abs(x) > 0.2 and abs(F) > 0.2 and abs(out) > 0.05 and \
                distinct([edm_boundary] + [v for v, _ in e_misses]) and distinct([c_skip] + [v for v, _ in s_misses]) \
                and distinct([out] + [v for v, _ in o_misses]):
            break
    edm_ref = float(consistency_scalings(eps, sd, 0.0)[0])  # EDM's scalings are the sigma_min = 0 case
    skip_ref = float(consistency_scalings(t, sd, eps)[0])
    out_ref = float(consistency_function(_one(x), t, _one(F), sd, eps)[0, 0])
    agrees(float(consistency_function(_one(x), eps, _one(F), sd, eps)[0, 0]), x)  # the boundary condition
    return Draft(
        prompt=r"A consistency model on $t \in [\epsilon, T]$ is $f_\theta(x, t) = c_{\mathrm{skip}}(t)\,x + "
               r"c_{\mathrm{out}}(t)\,F_\theta(x, t)$. EDM's preconditioning uses $c_{\mathrm{skip}}(t) = \frac{\sigma_"
               r"{\mathrm{data}}^2}{t^2 + \sigma_{\mathrm{data}}^2}$, $c_{\mathrm{out}}(t) = \frac{\sigma_{\mathrm{data}}"
               r"\,t}{\sqrt{\sigma_{\mathrm{data}}^2 + t^2}}$; Song et al. 2023 shift them to $c_{\mathrm{skip}}(t) = "
               r"\frac{\sigma_{\mathrm{data}}^2}{(t - \epsilon)^2 + \sigma_{\mathrm{data}}^2}$, $c_{\mathrm{out}}(t) = "
               r"\frac{\sigma_{\mathrm{data}}(t - \epsilon)}{\sqrt{\sigma_{\mathrm{data}}^2 + t^2}}$. Take "
               rf"$\sigma_{{\mathrm{{data}}}} = {sd}$ and a large boundary $\epsilon = {eps}$ (to make the effect visible).",
        parts=[
            Part(ask=r"EDM's $c_{\mathrm{skip}}$ at $t = \epsilon$ =", answer=Numeric(edm_ref, near_misses=near_misses(e_misses)),
                 worked=repr(edm_boundary),
                 after=r"Below 1 (and EDM's $c_{\mathrm{out}}(\epsilon) > 0$): with EDM's coefficients $f(x, \epsilon) "
                       r"\neq x$ for a general network. The shifted ones give $c_{\mathrm{skip}}(\epsilon) = 1$, "
                       r"$c_{\mathrm{out}}(\epsilon) = 0$ for every $F_\theta$."),
            Part(ask=rf"the consistency model's $c_{{\mathrm{{skip}}}}({t})$ =",
                 answer=Numeric(skip_ref, near_misses=near_misses(s_misses)), worked=repr(c_skip),
                 after=r"Last: the output also needs $c_{\mathrm{out}}(t)$."),
            Part(ask=rf"$f_\theta(x, t)$ at $t = {t}$, $x = {x}$, when the network outputs $F_\theta(x, t) = {F}$ =",
                 answer=Numeric(out_ref, near_misses=near_misses(o_misses)), worked=repr(out),
                 after=r"At large $t$, $c_{\mathrm{skip}} \to 0$ and the network's output carries the answer; near "
                       r"$\epsilon$ the input passes through."),
        ],
        solution=rf"1. $\frac{{\sigma_{{\mathrm{{data}}}}^2}}{{\epsilon^2 + \sigma_{{\mathrm{{data}}}}^2}} = "
                 rf"\frac{{{f(sd**2, 6)}}}{{{f(eps**2, 6)} + {f(sd**2, 6)}}} = {f(edm_boundary, 6)}$."
                 "\n\n"
                 rf"2. $c_{{\mathrm{{skip}}}}({t}) = \frac{{{f(sd**2, 6)}}}{{({t} - {eps})^2 + {f(sd**2, 6)}}} = "
                 rf"{f(c_skip, 6)}$."
                 "\n\n"
                 rf"3. $c_{{\mathrm{{out}}}}({t}) = \frac{{{sd} \cdot ({t} - {eps})}}{{\sqrt{{{f(sd**2, 6)} + "
                 rf"{f(t**2, 6)}}}}} = {f(c_out, 6)}$, so $f_\theta = {f(c_skip, 6)} \cdot ({x}) + {f(c_out, 6)} \cdot "
                 rf"({F}) = {f(out, 6)}$ (Song, Dhariwal, Chen and Sutskever 2023, §3).")


# ---------------------------------------------------------------------------------------------- choices


_CONSISTENCY_CHOICES = [
    (r"A consistency model $f_\theta(x, t) = c_{\mathrm{skip}}(t)x + c_{\mathrm{out}}(t)F_\theta(x, t)$ lives on "
     r"$t \in [\epsilon, T]$. Which coefficients enforce the boundary condition $f_\theta(x, \epsilon) = x$ for every "
     r"network $F_\theta$?",
     r"$c_{\mathrm{skip}}(t) = \frac{\sigma_d^2}{(t - \epsilon)^2 + \sigma_d^2}$, $c_{\mathrm{out}}(t) = "
     r"\frac{\sigma_d(t - \epsilon)}{\sqrt{\sigma_d^2 + t^2}}$",
     [(r"$c_{\mathrm{skip}}(t) = \frac{\sigma_d^2}{t^2 + \sigma_d^2}$, $c_{\mathrm{out}}(t) = \frac{\sigma_d t}"
       r"{\sqrt{\sigma_d^2 + t^2}}$", r"EDM's coefficients give $c_{\mathrm{skip}}(\epsilon) < 1$ and "
       r"$c_{\mathrm{out}}(\epsilon) > 0$: close to the identity, not equal."),
      (r"$c_{\mathrm{skip}}(t) = \frac{\sigma_d(t - \epsilon)}{\sqrt{\sigma_d^2 + t^2}}$, $c_{\mathrm{out}}(t) = "
       r"\frac{\sigma_d^2}{(t - \epsilon)^2 + \sigma_d^2}$", r"swapped: at $t = \epsilon$ this returns "
       r"$F_\theta(x, \epsilon)$, not $x$."),
      (r"$c_{\mathrm{skip}}(t) = \frac{t - \epsilon}{t}$, $c_{\mathrm{out}}(t) = \frac{\epsilon}{t}$",
       r"at $t = \epsilon$: $c_{\mathrm{skip}} = 0$ and $c_{\mathrm{out}} = 1$, so it returns the network's output.")],
     r"The boundary condition needs $c_{\mathrm{skip}}(\epsilon) = 1$ and $c_{\mathrm{out}}(\epsilon) = 0$; Song et al. "
     r"2023 shift EDM's skip connection by $\epsilon$ ($\sigma_d = \sigma_{\mathrm{data}} = 0.5$, $\epsilon = 0.002$)."),
    (r"What does the self-consistency property of a consistency function $f$ require?",
     r"$f(x_t, t) = f(x_{t'}, t')$ for all $t, t' \in [\epsilon, T]$ whenever $x_t$ and $x_{t'}$ lie on the same "
     r"probability-flow ODE trajectory",
     [(r"$f(x_t, t) = x_t$ for every $t$", r"the identity is required only at $t = \epsilon$ (the boundary "
       r"condition)."),
      (r"$f(x_t, t) = \mathbb E[x_0 \mid x_t]$", r"that is the MMSE denoiser (Tweedie's formula), an average over "
       r"every clean image compatible with $x_t$; $f$ follows one ODE trajectory to its end."),
      (r"$f(x_t, t)$ is a sample of $q(x_0 \mid x_t)$", r"$f$ is deterministic: it maps each point to the origin of "
       r"its own ODE trajectory.")],
     r"Song et al. 2023, §3: $f$ maps every point of a PF-ODE trajectory to the trajectory's origin $x_\epsilon$, so "
     r"one evaluation at $t = T$ turns noise into a sample."),
    (r"How does multistep consistency sampling trade compute for quality?",
     r"After $\hat x = f_\theta(x_T, T)$, noise is added back to a smaller level $\tau$, $x = \hat x + \sqrt{\tau^2 - "
     r"\epsilon^2}\,z$, and $f_\theta$ is applied again; each round refines the sample",
     [(r"An ODE solver runs between two evaluations of $f_\theta$", r"no ODE solver is used at sampling time; it "
       r"appears only in consistency distillation's training."),
      (r"$f_\theta$ is averaged over several noise draws at $t = T$", r"averaging samples blurs them; it does not "
       r"refine one."),
      (r"$f_\theta$ is evaluated at decreasing $t$ on the same $x_T$", r"$x_T$ is far noisier than a level "
       r"$t < T$: $(x_T, t)$ lies on another trajectory than $(x_T, T)$, in a region $f_\theta$ never saw in training; "
       r"multistep sampling re-noises the estimate so that its input matches the level $\tau$.")],
     r"Song et al. 2023, Algorithm 1: alternate denoising with $f_\theta$ and re-noising to decreasing levels "
     r"$\tau_1 > \tau_2 > \dots$."),
    (r"What does consistency distillation need that consistency training does not?",
     r"A pretrained diffusion model, whose probability-flow ODE is solved for one step to produce the pair of points "
     r"on a trajectory",
     [(r"A discriminator", r"neither method is adversarial."),
      (r"Clean training data", r"both use data: distillation noises a data point, then takes one ODE step with the "
       r"teacher's score."),
      (r"An exponential moving average of the weights", r"both use an EMA target network $f_{\theta^-}$.")],
     r"Consistency training replaces the teacher's score in that ODE step by the one-sample unbiased estimate "
     r"$-(x_{t_{n+1}} - x_0)/t_{n+1}^2$; the Euler step from $x_0 + t_{n+1} z$ then lands on $x_0 + t_n z$ (the same "
     r"$z$), so the pair needs no pretrained model."),
    (r"Why is the boundary condition $f_\theta(x, \epsilon) = x$ built into the parameterization instead of being "
     r"left to the loss?",
     r"Self-consistency alone is satisfied by any constant function; the boundary anchors every trajectory's "
     r"output to its data end, and hard-coding it removes that failure mode",
     [(r"It makes $f_\theta$ invertible", r"$f_\theta$ maps many points to one; invertibility is neither needed nor "
       r"obtained."),
      (r"It lets the network skip training at small $t$", r"all levels are trained; the parameterization only fixes "
       r"the value at $t = \epsilon$."),
      (r"It is required for the ODE solver to converge", r"the ODE solver (in distillation) uses the teacher's score, "
       r"not $f_\theta$.")],
     r"The loss matches $f_\theta(x_{t_{n+1}}, t_{n+1})$ to $f_{\theta^-}(x_{t_n}, t_n)$ at neighbouring levels; "
     r"only the boundary, where $f$ is the identity, ties the chain of levels to the data, and the match carries it "
     r"from $t = \epsilon$ up to $T$.")
]


@question("acceleration", kind="choice", difficulty=2, title="Consistency models: self-consistency and the boundary")
def consistency_concepts(rng):
    ask, correct, wrong, why = rng.choice(_CONSISTENCY_CHOICES)
    choice = shuffled_choice(rng, correct, wrong)
    return Draft(prompt=ask, parts=[Part(ask="Your choice:", answer=choice, worked=choice.typed(), after=why)],
                 solution=f"{choice.latex()}. {why}")


_SAMPLER_CHOICES = [
    (r"Denoising diffusion GANs (Xiao, Kreis and Vahdat 2022) use only a handful of denoising steps. Why do they model "
     r"each step with a conditional GAN instead of a Gaussian $p_\theta(x_{t-1} \mid x_t)$?",
     r"With few, large steps the true denoising distribution $q(x_{t-1} \mid x_t)$ is multimodal and far from "
     r"Gaussian; the Gaussian approximation holds only for small steps",
     [(r"A GAN makes the forward process shorter", r"the forward process is fixed by the schedule; the GAN models "
       r"the reverse step."),
      (r"Because a Gaussian step cannot be trained by maximum likelihood", r"DDPM trains Gaussian steps through the "
       r"variational bound; the issue is that they are the wrong family for large steps."),
      (r"To remove the need for a noise schedule", r"the model still uses a (short) noise schedule.")],
     r"For small $\beta_t$ the reverse conditional is close to Gaussian; with $T \approx 4$ steps it inherits the "
     r"data's multimodality, which an implicit (GAN) model can represent."),
    (r"In a denoising diffusion GAN, what does the discriminator judge?",
     r"Pairs $(x_{t-1}, x_t)$ at step $t$: a real pair from the forward process against $x_t$ with the generator's "
     r"$x_{t-1}$",
     [(r"Clean images $x_0$ only", r"matching $x_0$ alone would ignore the conditioning on $x_t$; the target is "
       r"$q(x_{t-1} \mid x_t)$."),
      (r"The noise $\epsilon$ that the generator predicts", r"the generator predicts $x_0$ (then samples "
       r"$x_{t-1} \sim q(x_{t-1} \mid x_t, \hat x_0)$); it is not trained by noise regression."),
      (r"Whether $x_T$ is Gaussian", r"$x_T$ is Gaussian by construction.")],
     r"Xiao et al. 2022: the generator $G(x_t, z, t)$ outputs $\hat x_0$, $x_{t-1}$ is drawn from the posterior "
     r"$q(x_{t-1} \mid x_t, \hat x_0)$, and a time-conditional discriminator $D(x_{t-1}, x_t, t)$ compares pairs."),
    (r"What makes latent diffusion (Rombach et al. 2022) cheaper than pixel-space diffusion?",
     r"The diffusion model runs in the lower-dimensional latent space of a pretrained autoencoder, so each network "
     r"evaluation is much cheaper; a decoder maps the final latent to pixels",
     [(r"The latent space needs no noise schedule", r"the latent diffusion model has a schedule like any DDPM."),
      (r"It needs fewer sampling steps by construction", r"the number of steps is chosen as for any DDPM/DDIM; the "
       r"saving is per step."),
      (r"The autoencoder and the diffusion model are one network trained end to end by the diffusion loss",
       r"the autoencoder is trained first (perceptual and adversarial losses) and frozen.")],
     r"Compressing e.g. $256 \times 256 \times 3$ images to $32 \times 32 \times 4$ latents removes imperceptible "
     r"detail before diffusion, so training and sampling cost far less."),
    (r"Nested diffusion (Elata, Kawar, Michaeli and Elad) runs an outer diffusion sampler with few steps. What is "
     r"nested inside it?",
     r"At each outer step, the prediction $\hat x_0$ is produced by a short inner diffusion sampler started from the "
     r"current $x_t$, so every outer step already holds a complete sample (anytime generation)",
     [(r"A GAN that replaces the reverse step", r"that is a denoising diffusion GAN."),
      (r"An autoencoder that compresses the image", r"that is latent diffusion."),
      (r"A second, smaller network that predicts the noise", r"the inner process is a sampler, not a noise "
       r"predictor; both levels use the same pretrained model.")],
     r"The outer process uses the inner sampler's output as its $\hat x_0$; intermediate outer iterates are "
     r"viable images whose quality grows with the compute spent, so generation can stop at any time."),
    (r"Cascaded (multi-scale) diffusion generates high-resolution images how?",
     r"A base model samples at low resolution and conditional super-resolution diffusion models upsample in stages; "
     r"most of the work happens on small images",
     [(r"One model denoises all resolutions at once", r"each stage is a separate model conditioned on the previous "
       r"stage's output."),
      (r"By upsampling a low-resolution sample with bicubic interpolation", r"the upsamplers are generative "
       r"(diffusion) models that add detail."),
      (r"By running DDIM with fewer steps at high resolution", r"the number of steps is orthogonal to the "
       r"multi-scale design.")],
     r"Ho et al. 2022 (cascaded diffusion) and Imagen: base + super-resolution stages, with noise augmentation of the "
     r"conditioning image so each stage tolerates its predecessor's errors."),
    (r"Why can a network trained with DDPM's objective be sampled by DDIM without retraining?",
     r"$L_{\mathrm{simple}}$ depends only on the marginals $q(x_t \mid x_0)$, and every member of DDIM's "
     r"non-Markovian family has those same marginals",
     [(r"Because DDIM uses a different noise schedule", r"DDIM keeps $\bar\alpha_t$; changing it would change the "
       r"marginals the network was trained on."),
      (r"Because DDIM's forward process is Markovian too", r"DDIM's forward process $q_\sigma(x_t \mid x_{t-1}, x_0)$ "
       r"is non-Markovian: $x_t$ depends on $x_0$ as well as on $x_{t-1}$."),
      (r"It cannot: DDIM requires fine-tuning on the subsequence", r"the same $\epsilon_\theta$ is used as is.")],
     r"Song, Meng and Ermon 2021, §3-4: the family $q_\sigma$ (Eq. 7) keeps $q_\sigma(x_t \mid x_0) = \mathcal N("
     r"\sqrt{\bar\alpha_t}x_0, (1 - \bar\alpha_t)I)$ (Lemma 1), so the weighted objectives share their minimiser."),
]


@question("acceleration", kind="choice", difficulty=2, title="Fast samplers: DD-GAN, latent, nested and cascaded diffusion")
def fast_samplers(rng):
    ask, correct, wrong, why = rng.choice(_SAMPLER_CHOICES)
    choice = shuffled_choice(rng, correct, wrong)
    return Draft(prompt=ask, parts=[Part(ask="Your choice:", answer=choice, worked=choice.typed(), after=why)],
                 solution=f"{choice.latex()}. {why}")


_FACTS = [
    (r"All of DDIM's non-Markovian forward processes (every $\sigma$, i.e. every $\eta$) have DDPM's marginals "
     r"$q(x_t \mid x_0)$, so one trained $\epsilon_\theta$ serves every $\eta$.", True,
     r"Lemma 1 of Song, Meng and Ermon 2021; the training objective sees only these marginals."),
    (r"DDIM inversion (running the $\eta = 0$ update upward) recovers the exact $x_T$ of an image for any step size.",
     False, r"Each inverted step predicts the noise at the current point rather than at the unknown next one; the "
     r"error vanishes only as the steps shrink (the ODE limit)."),
    (r"DDIM with $\eta = 1$ on contiguous steps ($" + _PREV + r" = \bar\alpha_{t-1}$) is DDPM's ancestral step with the "
     r"posterior variance $\tilde\beta_t$.", True,
     r"$\sigma_t(1)^2 = \frac{1 - \bar\alpha_{t-1}}{1 - \bar\alpha_t}\beta_t = \tilde\beta_t$ and Eq. (12) then "
     r"reproduces the posterior mean."),
    (r"A denoising diffusion GAN's discriminator looks only at clean images $x_0$.", False,
     r"It judges pairs $(x_{t-1}, x_t)$ at each step, to match the conditional $q(x_{t-1} \mid x_t)$."),
    (r"A consistency model with the skip parameterization returns its input unchanged at $t = \epsilon$, whatever the "
     r"network's weights.", True, r"$c_{\mathrm{skip}}(\epsilon) = 1$ and $c_{\mathrm{out}}(\epsilon) = 0$ by design."),
    (r"Skipping steps with DDIM requires retraining the network on the chosen subsequence.", False,
     r"The subsequence keeps $\bar\alpha$ at its indices, so the network trained on all $T$ steps is used as is."),
    (r"With few, large denoising steps the true reverse conditional $q(x_{t-1} \mid x_t)$ can be multimodal, so a "
     r"Gaussian reverse step is a poor model.", True,
     r"This is the motivation of denoising diffusion GANs: the Gaussian approximation needs small steps."),
    (r"Consistency models can only generate in a single step.", False,
     r"Multistep consistency sampling alternates $f_\theta$ with re-noising to smaller levels, trading compute for "
     r"quality."),
    (r"Latent diffusion needs no decoder: the latent it samples is already a low-resolution image.", False,
     r"The latent is an autoencoder code (e.g. $32 \times 32 \times 4$); the autoencoder's decoder maps it to pixels."),
    (r"With $\eta = 0$, DDIM's sample is a deterministic function of its starting noise $x_T$.", True,
     r"$\sigma_t(0) = 0$: no fresh noise enters, which is what makes interpolation in $x_T$ and inversion possible."),
]


@question("acceleration", kind="true-false", difficulty=1, title="True or false: DDIM, DD-GANs and consistency models")
def acceleration_facts(rng):
    statement, is_true, why = rng.choice(_FACTS)
    choice = true_false(is_true, why)
    return Draft(prompt=f"True or false? {statement}",
                 parts=[Part(ask="True or false:", answer=choice, worked=choice.typed(), after=why)],
                 solution=f"{'True' if is_true else 'False'}. {why}")
