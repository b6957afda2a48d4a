"""Chapter 2, priors for images: why a prior; MAP vs MMSE; the Wiener filter as the MMSE estimator under a Gaussian
prior; Tikhonov regularization (MAP with a Gaussian smoothness prior); sparsity, the Laplace prior, soft
thresholding and ISTA; priors of the deep-learning era (GANs, VAEs, normalizing flows, energy-based models).
Answers come from `course_core.priors`; worked solutions recompute them by hand, in plain floating point."""

from __future__ import annotations

import math

import torch

from course_core import priors

from ..answers import Numeric, Symbolic, Var, format_number as f
from ..question import (Draft, Part, agrees, factor, near_misses, nice, question, scalars, separated,
                        shuffled_choice, true_false)

F64 = torch.float64
LOG_2PI = math.log(2 * math.pi)


def _m(*rows) -> torch.Tensor:
    """A matrix from its rows."""
    return torch.tensor(rows, dtype=F64)


def _soft(v: float, tau: float) -> float:
    """Soft thresholding by hand."""
    return math.copysign(max(abs(v) - tau, 0.0), v)


def _solve2(A, r):
    """The solution of a 2x2 system A x = r by Cramer's rule."""
    det = A[0][0] * A[1][1] - A[0][1] * A[1][0]
    return [(A[1][1] * r[0] - A[0][1] * r[1]) / det, (A[0][0] * r[1] - A[1][0] * r[0]) / det]


def _pmatrix(rows) -> str:
    return "\\begin{pmatrix} " + " \\\\ ".join(" & ".join(f"{v}" for v in row) for row in rows) + " \\end{pmatrix}"


def _col(values) -> str:
    return "(" + ", ".join(f"{v}" for v in values) + ")^\\top"


@question("priors", kind="numeric", difficulty=1, title="MAP and MMSE estimates under a scalar Gaussian prior")
def gaussian_prior_estimate(rng):
    which = rng.choice(["MMSE", "MAP"])
    while True:
        mu, s = nice(rng, -1, 1, 1), nice(rng, 0.5, 2, 1)
        sigma, y = nice(rng, 0.3, 1.5, 1), nice(rng, -3, 3, 2)
        mean, _ = priors.gaussian_posterior(scalars(y).reshape(1, 1), torch.eye(1, dtype=F64), sigma, scalars(mu),
                                            scalars(s**2).reshape(1, 1))
        answer = float(mean[0, 0])
        misses = [(y, "that is the maximum-likelihood estimate $\\hat x = y$, which ignores the prior."),
                  (mu, "that is the prior mean, which ignores the measurement."),
                  ((sigma**2 * y + s**2 * mu) / (s**2 + sigma**2), "the weights are swapped: the measurement gets "
                   "the weight $s^2/(s^2 + \\sigma^2)$, large when the noise is small."),
                  ((s * y + sigma * mu) / (s + sigma), "the weights are ratios of *variances*, not of standard "
                   "deviations.")]
        if abs(answer) > 0.05 and separated(answer, [v for v, _ in misses]):
            break
    w = s**2 / (s**2 + sigma**2)
    worked = mu + w * (y - mu)
    note = ("" if which == "MMSE" else " A Gaussian's mode is its mean, so the MAP estimate equals the MMSE estimate: "
            "under a Gaussian prior and Gaussian noise they coincide.")
    return Draft(
        prompt=f"A pixel has the prior $x \\sim \\mathcal N(\\mu, s^2)$ with $\\mu = {mu}$, $s = {s}$, and is measured as "
               f"$y = x + \\sigma n$, $n \\sim \\mathcal N(0, 1)$, $\\sigma = {sigma}$. We observe $y = {y}$. What is "
               f"the {which} estimate $\\hat x_{{\\mathrm{{{which}}}}}$ of $x$?",
        parts=[Part(ask=f"$\\hat x_{{\\mathrm{{{which}}}}}$ =",
                    answer=Numeric(answer, rtol=1e-3, near_misses=near_misses(misses)), worked=repr(worked))],
        solution="The posterior is Gaussian (the product of two Gaussians in $x$) with mean $\\mathbb E[x \\mid y] = "
                 "\\mu + \\frac{s^2}{s^2 + \\sigma^2}(y - \\mu)$: the Wiener filter in one dimension, a "
                 f"precision-weighted average of the prior mean and the measurement.{note} Here "
                 f"$\\frac{{s^2}}{{s^2 + \\sigma^2}} = \\frac{{{s}^2}}{{{s}^2 + {sigma}^2}} = {f(w, 6)}$, so "
                 f"$\\hat x = {mu} + {f(w, 6)} \\cdot ({y} - {factor(mu)}) = {f(worked, 6)}$.")


@question("priors", kind="numeric", difficulty=2, title="The mean squared error of the Wiener filter")
def wiener_mse(rng):
    while True:
        lam = [nice(rng, 0.05, 4, 2) for _ in range(3)]
        sigma = nice(rng, 0.3, 1.2, 1)
        _, cov = priors.gaussian_posterior(torch.zeros(1, 3, dtype=F64), torch.eye(3, dtype=F64), sigma,
                                           torch.zeros(3, dtype=F64), torch.diag(scalars(*lam)))
        answer = float(torch.trace(cov))
        misses = [(3 * sigma**2, "that is the error of the raw measurement $\\hat x = y$, $d\\sigma^2$; the Wiener "
                   "filter does better in every direction."),
                  (sum(lam), "that is the error of $\\hat x = 0$ (the prior mean), $\\sum_i \\lambda_i$."),
                  (sum(v * v / (v + sigma**2) for v in lam), "that is $\\sum_i \\lambda_i^2/(\\lambda_i + \\sigma^2)$, "
                   "the energy of the estimate; the error per direction is $\\lambda_i\\sigma^2/(\\lambda_i + "
                   "\\sigma^2)$.")]
        if min(lam) < 0.5 * sigma**2 and max(lam) > 2 * sigma**2 and separated(answer, [v for v, _ in misses]):
            break
    terms = [v * sigma**2 / (v + sigma**2) for v in lam]
    worked = sum(terms)
    return Draft(
        prompt="An image's coefficients in the eigenbasis of its covariance (the Fourier basis for a stationary "
               f"image) are independent, $x_i \\sim \\mathcal N(0, \\lambda_i)$, with $\\lambda = ({lam[0]}, {lam[1]}, "
               f"{lam[2]})$. We observe $y = x + \\sigma n$, $n \\sim \\mathcal N(0, I_3)$, $\\sigma = {sigma}$. What "
               "is the expected squared error $\\mathbb E\\|\\hat x(y) - x\\|^2$ of the MMSE estimate (the Wiener "
               "filter)?",
        parts=[Part(ask="$\\mathbb E\\|\\hat x - x\\|^2$ =",
                    answer=Numeric(answer, rtol=1e-3, near_misses=near_misses(misses)), worked=repr(worked))],
        solution="Per direction the posterior is $\\mathcal N\\left(\\frac{\\lambda_i}{\\lambda_i + \\sigma^2} y_i, "
                 "\\frac{\\lambda_i \\sigma^2}{\\lambda_i + \\sigma^2}\\right)$, and the MMSE is the trace of the "
                 "posterior covariance, $\\sum_i \\frac{\\lambda_i\\sigma^2}{\\lambda_i + \\sigma^2}$. Each term is below "
                 "$\\min(\\lambda_i, \\sigma^2)$: a strong direction ($\\lambda_i \\gg \\sigma^2$) is kept, with an "
                 "error close to $\\sigma^2$; a weak one is shrunk to nearly 0, with an error close to $\\lambda_i$. "
                 f"Here $\\sigma^2 = {f(sigma**2, 6)}$ and the terms are "
                 f"${' + '.join(f(x, 6) for x in terms)} = {f(worked, 6)}$ (against $3\\sigma^2 = "
                 f"{f(3 * sigma**2, 6)}$ for $\\hat x = y$).")


@question("priors", kind="numeric", difficulty=2, title="Tikhonov regularization of a 2x2 problem")
def tikhonov_2x2(rng):
    smooth = rng.random() < 0.5
    i = rng.randrange(2)
    while True:
        H = [[nice(rng, 0.5, 2, 1), nice(rng, -1, 1, 1)], [nice(rng, -1, 1, 1), nice(rng, 0.5, 2, 1)]]
        y = [nice(rng, -2, 2, 1), nice(rng, -2, 2, 1)]
        lam = nice(rng, 0.1, 2, 1)
        D = [[1.0, -1.0]] if smooth else [[1.0, 0.0], [0.0, 1.0]]
        if abs(H[0][0] * H[1][1] - H[0][1] * H[1][0]) < 0.3:
            continue
        answer = float(priors.tikhonov(scalars(*y).reshape(1, 2), _m(*H), lam, _m(*D))[0, i])
        HtH = [[H[0][0] ** 2 + H[1][0] ** 2, H[0][0] * H[0][1] + H[1][0] * H[1][1]],
               [H[0][0] * H[0][1] + H[1][0] * H[1][1], H[0][1] ** 2 + H[1][1] ** 2]]
        DtD = [[1.0, -1.0], [-1.0, 1.0]] if smooth else [[1.0, 0.0], [0.0, 1.0]]
        A = [[HtH[r][c] + lam * DtD[r][c] for c in range(2)] for r in range(2)]
        rhs = [H[0][0] * y[0] + H[1][0] * y[1], H[0][1] * y[0] + H[1][1] * y[1]]
        x = _solve2(A, rhs)
        misses = [(_solve2(HtH, rhs)[i], "that is the least-squares solution $H^{-1}y$ ($\\lambda = 0$): the "
                   "regularizer is missing."),
                  (_solve2(A, y)[i], "the right-hand side is $H^\\top y$, not $y$ (set the gradient "
                   "$2H^\\top(Hx - y) + 2\\lambda D^\\top D x$ to zero).")]
        if smooth:
            ridge = [[HtH[r][c] + lam * (r == c) for c in range(2)] for r in range(2)]
            misses.append((_solve2(ridge, rhs)[i], "that penalizes $\\|x\\|^2$ (ridge); the smoothness prior "
                           "penalizes the difference $x_1 - x_2$, through $D^\\top D$."))
        else:
            HHt = [[H[0][0] ** 2 + H[0][1] ** 2 + lam, H[0][0] * H[1][0] + H[0][1] * H[1][1]],
                   [H[0][0] * H[1][0] + H[0][1] * H[1][1], H[1][0] ** 2 + H[1][1] ** 2 + lam]]
            misses.append((_solve2(HHt, rhs)[i], "that uses $HH^\\top$; the normal equations have $H^\\top H$."))
        if abs(answer) > 0.05 and separated(answer, [v for v, _ in misses]):
            break
    reg = ("$D = (1 \\; -1)$ (a first difference: a smoothness prior)" if smooth else "$D = I$ (ridge)")
    return Draft(
        prompt=f"Solve $\\hat x = \\mathrm{{argmin}}_x \\|y - Hx\\|^2 + \\lambda\\|Dx\\|^2$ for $x \\in \\mathbb R^2$ with "
               f"$H = {_pmatrix(H)}$, $y = {_col(y)}$, $\\lambda = {lam}$ and {reg}. Give $\\hat x_{i + 1}$.",
        parts=[Part(ask=f"$\\hat x_{i + 1}$ =", answer=Numeric(answer, rtol=1e-3, near_misses=near_misses(misses)),
                    worked=repr(x[i]))],
        solution="Setting the gradient $2H^\\top(Hx - y) + 2\\lambda D^\\top D x$ to zero gives Tikhonov's closed form "
                 "$\\hat x = (H^\\top H + \\lambda D^\\top D)^{-1} H^\\top y$, the MAP estimate under Gaussian noise and "
                 "the Gaussian prior $p(x) \\propto \\exp(-\\|Dx\\|^2/(2\\tau^2))$ with $\\lambda = \\sigma^2/\\tau^2$. "
                 f"Here $H^\\top H + \\lambda D^\\top D = {_pmatrix([[f(v, 6) for v in row] for row in A])}$ and "
                 f"$H^\\top y = {_col([f(v, 6) for v in rhs])}$; by Cramer's rule $\\hat x = ({f(x[0], 6)}, "
                 f"{f(x[1], 6)})$, so $\\hat x_{i + 1} = {f(x[i], 6)}$.")


@question("priors", kind="numeric", difficulty=2, title="One ISTA step")
def ista_step_value(rng):
    i = rng.randrange(2)
    while True:
        H = [[nice(rng, 0.5, 1.5, 1), nice(rng, -0.8, 0.8, 1)], [nice(rng, -0.8, 0.8, 1), nice(rng, 0.5, 1.5, 1)]]
        y = [nice(rng, -2, 2, 1), nice(rng, -2, 2, 1)]
        xk = [nice(rng, -1, 1, 1), nice(rng, -1, 1, 1)]
        lam = nice(rng, 0.2, 1.5, 1)
        HtH = [[H[0][0] ** 2 + H[1][0] ** 2, H[0][0] * H[0][1] + H[1][0] * H[1][1]],
               [H[0][0] * H[0][1] + H[1][0] * H[1][1], H[0][1] ** 2 + H[1][1] ** 2]]
        tr, det = HtH[0][0] + HtH[1][1], HtH[0][0] * HtH[1][1] - HtH[0][1] ** 2
        L = tr / 2 + math.sqrt(max(tr * tr / 4 - det, 0.0))  # the largest eigenvalue of H^T H
        step = nice(rng, 0.1, 0.95 / L, 2)
        if not 0.05 <= step <= 0.95 / L:
            continue
        answer = float(priors.ista_step(scalars(*xk).reshape(1, 2), scalars(*y).reshape(1, 2), _m(*H), lam, step)[0, i])
        r = [H[0][0] * xk[0] + H[0][1] * xk[1] - y[0], H[1][0] * xk[0] + H[1][1] * xk[1] - y[1]]  # H x - y
        g = [H[0][0] * r[0] + H[1][0] * r[1], H[0][1] * r[0] + H[1][1] * r[1]]  # H^T (H x - y)
        v = [xk[j] - step * g[j] for j in range(2)]
        worked = _soft(v[i], lam * step)
        misses = [(_soft(v[i], lam), "the threshold is $\\lambda t$, not $\\lambda$: the proximal step of "
                   "$t\\lambda\\|x\\|_1$ scales with the step size."),
                  (v[i], "that is the gradient step alone; ISTA then soft-thresholds it (the proximal step of the "
                   "$\\ell_1$ term)."),
                  (_soft(xk[i] + step * g[i], lam * step), "the gradient step goes downhill: $x_k - t\\,H^\\top(Hx_k "
                   "- y)$.")]
        if abs(answer) > 0.05 and separated(answer, [m for m, _ in misses]):
            break
    return Draft(
        prompt="ISTA minimizes $\\frac{1}{2}\\|y - Hx\\|^2 + \\lambda\\|x\\|_1$ by alternating a gradient step on the "
               "data term (step size $t$) with the proximal step of the $\\ell_1$ term. With "
               f"$H = {_pmatrix(H)}$, $y = {_col(y)}$, $\\lambda = {lam}$, $t = {step}$ and the current iterate "
               f"$x_k = {_col(xk)}$, compute coordinate {i + 1} of the next iterate $x_{{k+1}}$.",
        parts=[Part(ask=f"coordinate {i + 1} of $x_{{k+1}}$ =",
                    answer=Numeric(answer, rtol=1e-3, near_misses=near_misses(misses)), worked=repr(worked))],
        solution="ISTA (Daubechies, Defrise and De Mol 2004, arXiv:math/0307152; Beck and Teboulle 2009): "
                 "$x_{k+1} = \\mathcal S_{\\lambda t}\\left(x_k - t H^\\top(Hx_k - y)\\right)$ with the soft threshold "
                 "$\\mathcal S_\\tau(v) = \\mathrm{sign}(v)\\max(|v| - \\tau, 0)$, the proximal operator of "
                 f"$\\tau|\\cdot|$. Here $Hx_k - y = ({f(r[0], 6)}, {f(r[1], 6)})$, $H^\\top(Hx_k - y) = ({f(g[0], 6)}, "
                 f"{f(g[1], 6)})$, the gradient step gives $({f(v[0], 6)}, {f(v[1], 6)})$, and thresholding at "
                 f"$\\lambda t = {f(lam * step, 6)}$ gives coordinate {i + 1} $= {f(worked, 6)}$. (The step "
                 f"$t = {step}$ is below $1/L = {f(1 / L, 4)}$, $L$ the largest eigenvalue of $H^\\top H$, so no step "
                 "increases the objective.)")


@question("priors", kind="numeric", difficulty=2, title="The log-density of an affine coupling flow")
def coupling_flow_log_density(rng):
    while True:
        alpha, beta = nice(rng, -1, 1, 1), nice(rng, -1.5, 1.5, 1)
        x1, x2 = nice(rng, -1.5, 1.5, 1), nice(rng, -2, 2, 1)

        def inverse(x, alpha=alpha, beta=beta):
            return torch.stack([x[:, 0], (x[:, 1] - beta * x[:, 0]) * torch.exp(-alpha * x[:, 0])], dim=1)

        def base(z):
            return -0.5 * (z**2).sum(1) - LOG_2PI

        answer = float(priors.flow_log_prob(scalars(x1, x2).reshape(1, 2), inverse, base)[0])
        z1, z2 = x1, (x2 - beta * x1) * math.exp(-alpha * x1)
        log_pz = -LOG_2PI - 0.5 * (z1**2 + z2**2)
        misses = [(log_pz, "the log-determinant of the Jacobian is missing."),
                  (log_pz + alpha * x1, "the sign of the log-determinant is flipped: the forward map stretches "
                   "$z_2$ by $e^{\\alpha z_1}$, so the density of $x$ is divided by it."),
                  (-LOG_2PI - 0.5 * (x1**2 + x2**2) - alpha * x1, "the base density is evaluated at $x$; it must be "
                   "evaluated at $z = f^{-1}(x)$.")]
        if abs(alpha * x1) > 0.1 and abs(answer) > 0.05 and separated(answer, [v for v, _ in misses]):
            break
    worked = log_pz - alpha * x1
    return Draft(
        prompt="A normalizing flow on $\\mathbb R^2$ has base $z \\sim \\mathcal N(0, I_2)$ and one affine coupling "
               f"layer (as in Real NVP): $x_1 = z_1$, $x_2 = z_2\\, e^{{\\alpha z_1}} + \\beta z_1$ with $\\alpha = "
               f"{alpha}$, $\\beta = {beta}$. Compute $\\log p_x(x)$ at $x = ({x1}, {x2})$.",
        parts=[Part(ask="$\\log p_x(x)$ =", answer=Numeric(answer, rtol=1e-3, near_misses=near_misses(misses)),
                    worked=repr(worked))],
        solution="Change of variables (Dinh, Sohl-Dickstein and Bengio 2017, arXiv:1605.08803): $\\log p_x(x) = "
                 "\\log p_z(f^{-1}(x)) + \\log|\\det \\partial f^{-1}/\\partial x|$. The inverse is explicit, "
                 "$z_1 = x_1$, $z_2 = (x_2 - \\beta x_1) e^{-\\alpha x_1}$, and its Jacobian is triangular with "
                 "diagonal $(1, e^{-\\alpha x_1})$, so $\\log|\\det| = -\\alpha x_1$: cheap, which is the point of "
                 f"coupling layers. Here $z = ({f(z1, 6)}, {f(z2, 6)})$, $\\log p_z(z) = -\\log(2\\pi) - "
                 f"\\frac{{1}}{{2}}\\|z\\|^2 = {f(log_pz, 6)}$ and $-\\alpha x_1 = {f(-alpha * x1, 6)}$, so "
                 f"$\\log p_x(x) = {f(worked, 6)}$. The likelihood is exact: flows are trained by maximum likelihood.")


@question("priors", kind="derivation", difficulty=2, title="MAP under a Laplace prior vs a Gaussian prior")
def laplace_vs_gaussian(rng):
    while True:
        sigma, b = nice(rng, 0.3, 1, 1), nice(rng, 0.3, 1.5, 1)
        tau = sigma**2 / b
        y = rng.choice([-1, 1]) * nice(rng, 1.3 * tau + 0.1, 3 * tau + 1, 2)
        x_map = float(priors.laplace_map(scalars(y), sigma, b)[0])
        thr = abs(y - x_map)  # the threshold course_core applied (|y| is above it)
        mean, _ = priors.gaussian_posterior(scalars(y).reshape(1, 1), torch.eye(1, dtype=F64), sigma, scalars(0.0),
                                            scalars(2 * b * b).reshape(1, 1))
        x_gauss = float(mean[0, 0])
        m_thr = [(sigma / b, "$\\sigma$ is the standard deviation: the threshold is $\\sigma^2/b$."),
                 (sigma**2 / (2 * b), "the Gaussian log-likelihood is $-(y - x)^2/(2\\sigma^2)$, with the "
                  "$\\frac{1}{2}$; without it the threshold halves."),
                 (b * sigma**2, "$b$ is the prior's scale (its density is $\\propto e^{-|x|/b}$), so the penalty is "
                  "$|x|/b$ and the threshold $\\sigma^2/b$.")]
        m_map = [(y, "that is the maximum-likelihood estimate; the Laplace prior shrinks it towards 0 by the "
                  "threshold."),
                 (_soft(y, sigma / b), "thresholded at $\\sigma/b$; the threshold is $\\sigma^2/b$."),
                 (_soft(y, sigma**2 / (2 * b)), "thresholded at $\\sigma^2/(2b)$; the Gaussian log-likelihood has "
                  "the factor $\\frac{1}{2}$, so the threshold is $\\sigma^2/b$.")]
        m_gauss = [(y * b * b / (b * b + sigma**2), "the Laplace prior's variance is $2b^2$, not $b^2$."),
                   (x_map, "that is the Laplace MAP; the Gaussian prior shrinks proportionally, without a "
                    "threshold."),
                   (y * 2 * b * b / (2 * b * b + sigma), "$\\sigma$ is the standard deviation: the gain is "
                    "$2b^2/(2b^2 + \\sigma^2)$.")]
        if (separated(thr, [v for v, _ in m_thr]) and separated(x_map, [v for v, _ in m_map])
                and separated(x_gauss, [v for v, _ in m_gauss]) and abs(x_map) > 0.05):
            break
    w_map = _soft(y, tau)
    gain = 2 * b * b / (2 * b * b + sigma**2)
    mmse = float(priors.laplace_mmse(scalars(y), sigma, b)[0])
    mmse_small = float(priors.laplace_mmse(scalars(math.copysign(tau / 2, y)), sigma, b)[0])  # where the MAP is 0
    return Draft(
        prompt=f"A coefficient $x$ (e.g. a wavelet coefficient) is measured as $y = x + \\sigma n$, $n \\sim \\mathcal "
               f"N(0, 1)$, $\\sigma = {sigma}$, and we observe $y = {y}$. Compare two priors: the sparsity-promoting "
               f"Laplace prior $p(x) = \\frac{{1}}{{2 b}} e^{{-|x|/b}}$ with $b = {b}$, and the Gaussian prior with the "
               "same variance.",
        parts=[
            Part(ask="the MAP estimate under the Laplace prior is a soft threshold of $y$; its threshold $\\tau$ =",
                 answer=Numeric(thr, rtol=1e-3, near_misses=near_misses(m_thr)), worked=repr(tau),
                 after="$-\\log p(x \\mid y) = \\frac{(y - x)^2}{2\\sigma^2} + \\frac{|x|}{b} + \\mathrm{const}$; "
                       "multiplying by $\\sigma^2$ gives $\\frac{1}{2}(y - x)^2 + \\tau|x|$ with $\\tau = \\sigma^2/b$, "
                       "whose minimizer is the soft threshold $\\mathcal S_\\tau(y)$. Apply it to the observed $y$."),
            Part(ask="$\\hat x_{\\mathrm{MAP}}$ under the Laplace prior =",
                 answer=Numeric(x_map, rtol=1e-3, near_misses=near_misses(m_map)), worked=repr(w_map),
                 after="Above the threshold, the estimate is $y$ moved towards 0 by $\\tau$; below it, exactly 0 (a "
                       "sparse estimate). Now the Gaussian prior: the Laplace density has variance $2b^2$."),
            Part(ask="$\\hat x$ (MAP = MMSE) under the Gaussian prior $\\mathcal N(0, 2b^2)$ =",
                 answer=Numeric(x_gauss, rtol=1e-3, near_misses=near_misses(m_gauss)), worked=repr(gain * y),
                 after="The Gaussian prior shrinks every $y$ by the same factor (a linear estimator, never exactly 0); "
                       "the Laplace prior leaves large coefficients nearly intact and kills small ones."),
        ],
        solution=f"**1.** $\\tau = \\sigma^2/b = {sigma}^2/{b} = {f(tau, 6)}$.\n\n"
                 f"**2.** $|y| = {abs(y)} > \\tau$, so $\\hat x_{{\\mathrm{{MAP}}}} = \\mathrm{{sign}}(y)(|y| - \\tau) = "
                 f"{f(w_map, 6)}$.\n\n"
                 f"**3.** Variance $2b^2 = {f(2 * b * b, 6)}$; the posterior mean is $\\frac{{2b^2}}{{2b^2 + \\sigma^2}}y "
                 f"= {f(gain, 6)} \\cdot {factor(y)} = {f(gain * y, 6)}$.\n\n"
                 f"For comparison, the MMSE estimate under the Laplace prior itself (the posterior mean) is "
                 f"${f(mmse, 6)}$ here (against the MAP's ${f(w_map, 6)}$). The difference shows below the threshold: "
                 f"at $y = {f(math.copysign(tau / 2, y), 6)}$ the MAP is exactly 0 while the MMSE estimate is "
                 f"${f(mmse_small, 6)}$; it shrinks but is 0 only at $y = 0$, so the sparsity of the MAP estimate is a "
                 "property of the estimator, not only of the prior.")


@question("priors", kind="derivation", difficulty=2, title="The Wiener filter for one frequency")
def wiener_filter_derivation(rng):
    while True:
        lam, h = nice(rng, 0.2, 4, 2), nice(rng, 0.2, 1.5, 2)
        sigma, y = nice(rng, 0.2, 1, 1), nice(rng, -3, 3, 2)
        gain = float(priors.wiener_gain(scalars(lam), sigma**2, scalars(h))[0])
        mean, var = priors.gaussian_posterior(scalars(y).reshape(1, 1), scalars(h).reshape(1, 1), sigma, scalars(0.0),
                                              scalars(lam).reshape(1, 1))
        x_hat, post_var = float(mean[0, 0]), float(var[0, 0])
        m_gain = [(1 / h, "that is the inverse filter $1/h$, which amplifies the noise where $|h|$ is small."),
                  (lam / (lam + sigma**2), "that ignores the blur: with $y = hx + n$ the gain is "
                   "$h\\lambda/(h^2\\lambda + \\sigma^2)$."),
                  (h / (h * h + sigma**2), "the prior variance $\\lambda$ is missing: the gain is $h/(h^2 + "
                   "\\sigma^2/\\lambda)$.")]
        m_est = [(y / h, "that is the inverse filter's estimate $y/h$."),
                 (y * lam / (lam + sigma**2), "that ignores the blur $h$."),
                 (y, "that is the raw measurement; the estimate is $g\\,y$.")]
        m_var = [(lam, "that is the prior variance; the measurement reduces it."),
                 (sigma**2 / (h * h), "that is the error variance of the inverse filter, $\\sigma^2/h^2$."),
                 (lam * sigma**2 / (lam + sigma**2), "that ignores the blur: $\\lambda\\sigma^2/(h^2\\lambda + "
                  "\\sigma^2)$.")]
        if (abs(x_hat) > 0.05 and abs(h - 1) > 0.1 and separated(gain, [v for v, _ in m_gain])
                and separated(x_hat, [v for v, _ in m_est]) and separated(post_var, [v for v, _ in m_var])):
            break
    w_gain = h * lam / (h * h * lam + sigma**2)
    w_var = lam * sigma**2 / (h * h * lam + sigma**2)
    return Draft(
        prompt="A stationary image prior is diagonal in the Fourier basis, and so is a blur: each frequency is an "
               "independent scalar problem $y = h x + n$ with $x \\sim \\mathcal N(0, \\lambda)$ ($\\lambda$ the "
               "power spectrum at that frequency), $h$ the blur's (real) frequency response and $n \\sim \\mathcal "
               f"N(0, \\sigma^2)$. At one frequency $\\lambda = {lam}$, $h = {h}$, $\\sigma = {sigma}$, and the "
               f"observed coefficient is $y = {y}$.",
        parts=[
            Part(ask="the Wiener gain $g$ (with $\\hat x = g\\,y$) =",
                 answer=Numeric(gain, rtol=1e-3, near_misses=near_misses(m_gain)), worked=repr(w_gain),
                 after="$(x, y)$ is jointly Gaussian with $\\mathrm{Cov}(x, y) = h\\lambda$ and $\\mathrm{Var}(y) = "
                       "h^2\\lambda + \\sigma^2$; the MMSE gain is their ratio. Apply it to $y$."),
            Part(ask="$\\hat x = \\mathbb E[x \\mid y]$ =",
                 answer=Numeric(x_hat, rtol=1e-3, near_misses=near_misses(m_est)), worked=repr(w_gain * y),
                 after="The error that remains is the posterior variance, $\\lambda$ minus the part explained by $y$."),
            Part(ask="the posterior variance $\\mathrm{Var}[x \\mid y]$ =",
                 answer=Numeric(post_var, rtol=1e-3, near_misses=near_misses(m_var)), worked=repr(w_var),
                 after="Where $h^2\\lambda \\gg \\sigma^2$ the filter inverts the blur; where the noise dominates it "
                       "shrinks to 0 instead of amplifying it, as the inverse filter would."),
        ],
        solution="Conditioning the Gaussian pair $(x, y)$: $g = \\frac{\\mathrm{Cov}(x, y)}{\\mathrm{Var}(y)} = "
                 "\\frac{h\\lambda}{h^2\\lambda + \\sigma^2}$ and $\\mathrm{Var}[x \\mid y] = \\lambda - "
                 "\\frac{h^2\\lambda^2}{h^2\\lambda + \\sigma^2} = \\frac{\\lambda\\sigma^2}{h^2\\lambda + \\sigma^2}$ "
                 "(Wiener 1949).\n\n"
                 f"**1.** $g = \\frac{{{h} \\cdot {lam}}}{{{h}^2 \\cdot {lam} + {sigma}^2}} = {f(w_gain, 6)}$.\n\n"
                 f"**2.** $\\hat x = {f(w_gain, 6)} \\cdot {factor(y)} = {f(w_gain * y, 6)}$.\n\n"
                 f"**3.** $\\mathrm{{Var}}[x \\mid y] = \\frac{{{lam} \\cdot {sigma}^2}}{{{h}^2 \\cdot {lam} + "
                 f"{sigma}^2}} = {f(w_var, 6)}$.")


def _shrinkage_forms():
    y, s, sigma = Var("y", "y", -2, 2), Var("s", "s", 0.3, 2), Var("sigma", "\\sigma", 0.3, 2)
    h, lam, mu = Var("h", "h", 0.3, 2), Var("lam", "\\lambda", 0.1, 2), Var("mu", "\\mu", -1, 1)
    y_big, sig_small, b = Var("y", "y", 2.5, 4), Var("sigma", "\\sigma", 0.3, 1), Var("b", "b", 0.5, 2)

    def posterior(y_, s_, sigma_, mu_=0.0):
        m, v = priors.gaussian_posterior(scalars(y_).reshape(1, 1), torch.eye(1, dtype=F64), sigma_, scalars(mu_),
                                         scalars(s_**2).reshape(1, 1))
        return float(m[0, 0]), float(v[0, 0])

    return [
        ("the MMSE estimate $\\mathbb E[x \\mid y]$ for the prior $x \\sim \\mathcal N(0, s^2)$ and $y = x + \\sigma "
         "n$, $n \\sim \\mathcal N(0, 1)$", "s^2 y/(s^2 + sigma^2)", "y/(1 + sigma**2/s**2)", (y, s, sigma),
         [("s y/(s + sigma)", "the weights are ratios of variances, not of standard deviations."),
          ("sigma^2 y/(s^2 + sigma^2)", "the weight is upside down: the measurement counts more when the noise "
           "$\\sigma^2$ is small."),
          ("y", "that is the maximum-likelihood estimate; the prior shrinks it.")],
         "conditioning the Gaussian pair $(x, y)$: $\\mathbb E[x \\mid y] = \\frac{\\mathrm{Cov}(x, y)}{\\mathrm{Var}(y)}"
         " y = \\frac{s^2}{s^2 + \\sigma^2} y$, the scalar Wiener filter",
         lambda e: agrees(e(y=0.7, s=1.2, sigma=0.5), posterior(0.7, 1.2, 0.5)[0])),
        ("the posterior variance $\\mathrm{Var}[x \\mid y]$ (the MMSE) for the prior $x \\sim \\mathcal N(0, s^2)$ "
         "and $y = x + \\sigma n$, $n \\sim \\mathcal N(0, 1)$", "s^2 sigma^2/(s^2 + sigma^2)",
         "1/(1/s**2 + 1/sigma**2)", (s, sigma),
         [("s^2", "that is the prior variance; the measurement reduces it."),
          ("sigma^2", "that is the noise variance, the error of $\\hat x = y$; the posterior is tighter than both."),
          ("s sigma/(s + sigma)", "precisions add: $1/s^2 + 1/\\sigma^2$, with variances, not standard deviations.")],
         "precisions add for a product of Gaussians: $\\mathrm{Var}[x \\mid y] = (1/s^2 + 1/\\sigma^2)^{-1} = "
         "\\frac{s^2\\sigma^2}{s^2 + \\sigma^2}$",
         lambda e: agrees(e(s=1.2, sigma=0.5), posterior(0.7, 1.2, 0.5)[1])),
        ("the scalar Tikhonov solution $\\hat x = \\mathrm{argmin}_x (y - h x)^2 + \\lambda x^2$",
         "h y/(h^2 + lam)", "(h*y)/(lam + h**2)", (y, h, lam),
         [("y/(h + lam)", "the normal equation is $(h^2 + \\lambda)x = h y$."),
          ("y/h", "that is the inverse filter ($\\lambda = 0$); the regularizer is missing."),
          ("y/(h^2 + lam)", "the right-hand side is $h y$ ($H^\\top y$), not $y$.")],
         "setting the derivative $-2h(y - hx) + 2\\lambda x$ to zero gives $\\hat x = \\frac{h y}{h^2 + \\lambda}$",
         lambda e: agrees(e(y=0.7, h=1.3, lam=0.4),
                          float(priors.tikhonov(scalars(0.7).reshape(1, 1), scalars(1.3).reshape(1, 1), 0.4)[0, 0]))),
        ("the MAP estimate under the Laplace prior $p(x) \\propto e^{-|x|/b}$ for $y = x + \\sigma n$, $n \\sim "
         "\\mathcal N(0, 1)$, when $y > \\sigma^2/b$", "y - sigma^2/b", "y - sigma*sigma/b", (y_big, sig_small, b),
         [("y - sigma/b", "$\\sigma$ is the standard deviation: the threshold is $\\sigma^2/b$."),
          ("y - sigma^2/(2 b)", "the Gaussian log-likelihood is $-(y - x)^2/(2\\sigma^2)$; keeping its "
           "$\\frac{1}{2}$ gives the threshold $\\sigma^2/b$."),
          ("y - b sigma^2", "$b$ is the prior's scale: the penalty is $|x|/b$.")],
         "minimizing $\\frac{(y - x)^2}{2\\sigma^2} + \\frac{|x|}{b}$ gives the soft threshold "
         "$\\mathcal S_{\\sigma^2/b}(y)$, which for $y > \\sigma^2/b$ is $y - \\frac{\\sigma^2}{b}$",
         lambda e: agrees(e(y=3.0, sigma=0.8, b=1.1), float(priors.laplace_map(scalars(3.0), 0.8, 1.1)[0]))),
        ("the MAP estimate for the prior $x \\sim \\mathcal N(\\mu, s^2)$ and $y = x + \\sigma n$, $n \\sim \\mathcal "
         "N(0, 1)$", "(s^2 y + sigma^2 mu)/(s^2 + sigma^2)", "mu + s**2*(y - mu)/(s**2 + sigma**2)", (y, mu, s, sigma),
         [("(sigma^2 y + s^2 mu)/(s^2 + sigma^2)", "the weights are swapped: $y$ is weighted by the prior variance "
           "$s^2$."),
          ("(y + mu)/2", "the two sources are weighted by their precisions, not equally."),
          ("(s y + sigma mu)/(s + sigma)", "the weights are variances, not standard deviations.")],
         "the posterior is Gaussian, so its mode equals its mean, the precision-weighted average "
         "$\\frac{s^2 y + \\sigma^2 \\mu}{s^2 + \\sigma^2}$",
         lambda e: agrees(e(y=0.7, mu=-0.4, s=1.2, sigma=0.5), posterior(0.7, 1.2, 0.5, -0.4)[0])),
    ]


@question("priors", kind="symbolic", difficulty=2, title="Shrinkage estimators in closed form")
def shrinkage_formulas(rng):
    ask, expr, worked, variables, misses, why, check = rng.choice(_shrinkage_forms())
    answer = Symbolic(expr, variables, near_misses(misses))
    check(answer.at)
    return Draft(
        prompt=f"Give {ask}. Variables: {answer.names()}.",
        parts=[Part(ask="=", answer=answer, worked=worked)],
        solution=f"{why[0].upper()}{why[1:]}.")


# (question, correct option, [(wrong option, why it is wrong)], justification)
_FAMILIES = [
    ("Which family of deep generative models gives the *exact* log-likelihood $\\log p_\\theta(x)$ of a data point?",
     "normalizing flows",
     [("GANs", "a GAN's generator defines samples $G(z)$ but no density that can be evaluated."),
      ("VAEs", "a VAE gives the ELBO, a lower bound on $\\log p_\\theta(x)$; the exact marginal needs an "
       "intractable integral over $z$."),
      ("energy-based models", "an EBM gives $\\log p_\\theta(x)$ only up to the intractable $\\log Z_\\theta$.")],
     "A flow is an invertible map with a tractable Jacobian determinant, so the change of variables gives "
     "$\\log p_\\theta(x) = \\log p_z(f^{-1}(x)) + \\log|\\det J_{f^{-1}}(x)|$ exactly."),
    ("Which model is trained by a min-max game between a generator and a discriminator?",
     "GANs",
     [("VAEs", "a VAE maximizes the ELBO with an encoder and a decoder, cooperatively."),
      ("normalizing flows", "a flow is trained by maximum likelihood, using the change of variables."),
      ("energy-based models", "an EBM is trained by (approximate) maximum likelihood or score matching, with MCMC "
       "samples for the gradient of $\\log Z$.")],
     "Goodfellow et al. 2014 (arXiv:1406.2661): the discriminator tells data from samples, the generator tries to "
     "fool it; no likelihood is ever computed."),
    ("Which model is trained by maximizing $\\mathbb E_{q_\\phi(z \\mid x)}[\\log p_\\theta(x \\mid z)] - "
     "\\mathrm{KL}(q_\\phi(z \\mid x) \\| p(z))$?",
     "VAEs",
     [("GANs", "a GAN has no encoder $q_\\phi(z \\mid x)$ and no likelihood term."),
      ("normalizing flows", "a flow maximizes the exact likelihood; its latent is a deterministic function of "
       "$x$."),
      ("energy-based models", "an EBM has no latent variable; it models $p(x) \\propto e^{-E_\\theta(x)}$.")],
     "That is the evidence lower bound (Kingma and Welling 2014, arXiv:1312.6114): reconstruction minus the KL "
     "to the prior, a lower bound on $\\log p_\\theta(x)$."),
    ("A model defines $p_\\theta(x) = e^{-E_\\theta(x)} / Z_\\theta$ and samples it with Langevin dynamics. What is its "
     "main difficulty?",
     "the normalizing constant $Z_\\theta$ is intractable",
     [("its score $\\nabla_x \\log p_\\theta$ cannot be computed", "the score is $-\\nabla_x E_\\theta(x)$, "
       "available by backpropagation: $Z_\\theta$ does not depend on $x$."),
      ("$E_\\theta$ must be invertible", "invertibility is the constraint of flows; an energy is any scalar "
       "function."),
      ("it has no latent variable to sample", "Langevin dynamics samples $x$ directly from the score.")],
     "This is an energy-based model; $\\log p_\\theta$ is known only up to $\\log Z_\\theta$, so maximum likelihood "
     "needs MCMC samples (or score matching avoids $Z_\\theta$): the road that leads to diffusion models."),
    ("The MAP estimate under Gaussian noise is the soft threshold $\\mathrm{sign}(y)\\max(|y| - \\tau, 0)$ for "
     "which prior?",
     "the Laplace prior $p(x) \\propto e^{-|x|/b}$",
     [("the Gaussian prior $\\mathcal N(0, s^2)$", "a Gaussian prior gives the linear shrinkage $\\frac{s^2}{s^2 + "
       "\\sigma^2}y$, never exactly 0."),
      ("the flat (uniform) prior", "a flat prior makes the MAP the maximum-likelihood estimate, $\\hat x = y$."),
      ("a prior that puts mass only on $x = 0$", "then the posterior is that point mass and the estimate is "
       "always 0.")],
     "$-\\log p(x \\mid y) = \\frac{(y - x)^2}{2\\sigma^2} + \\frac{|x|}{b}$; the non-differentiable kink at 0 makes "
     "small $|y|$ map to exactly 0 (sparsity), with threshold $\\tau = \\sigma^2/b$."),
    ("Tikhonov regularization $\\min_x \\|y - Hx\\|^2 + \\lambda\\|Dx\\|^2$ with $D$ a finite-difference operator is "
     "the MAP estimate under which prior?",
     "a Gaussian prior $p(x) \\propto \\exp(-\\|Dx\\|^2 / (2\\tau^2))$ that penalizes gradients (smoothness)",
     [("a Laplace prior on the pixels", "that would give an $\\ell_1$ penalty $\\|x\\|_1$ and soft thresholding."),
      ("a Laplace prior on the gradients", "that is total variation, $\\|Dx\\|_1$, not a squared norm."),
      ("no prior: it is maximum likelihood", "the term $\\lambda\\|Dx\\|^2$ is exactly $-\\log$ of a prior (up to "
       "a constant); maximum likelihood is $\\lambda = 0$.")],
     "$-\\log p(x \\mid y) = \\frac{\\|y - Hx\\|^2}{2\\sigma^2} + \\frac{\\|Dx\\|^2}{2\\tau^2} + \\mathrm{const}$, "
     "which is Tikhonov's objective (divided by $2\\sigma^2$) with $\\lambda = \\sigma^2/\\tau^2$."),
    ("For a Gaussian prior and Gaussian noise, how do the MAP and MMSE estimates compare?",
     "they are equal, and linear in $y$ (the Wiener filter)",
     [("the MAP is sparse, the MMSE is not", "sparsity comes from a non-smooth prior such as the Laplace prior; "
       "a Gaussian posterior has no kink."),
      ("the MMSE is always closer to 0 than the MAP", "both are the same number here: a Gaussian's mean is its "
       "mode."),
      ("the MAP is the measurement $y$ itself", "that is the maximum-likelihood estimate; the MAP includes the "
       "prior.")],
     "The posterior of a linear-Gaussian model is Gaussian, whose mean (MMSE) and mode (MAP) coincide: "
     "$\\mu + \\Sigma H^\\top(H\\Sigma H^\\top + \\sigma^2 I)^{-1}(y - H\\mu)$."),
]


@question("priors", kind="choice", difficulty=1, title="Priors, estimators and generative model families")
def prior_families(rng):
    ask, correct, wrong, why = rng.choice(_FAMILIES)
    choice = shuffled_choice(rng, correct, wrong)
    return Draft(prompt=ask,
                 parts=[Part(ask="your choice:", answer=choice, worked=choice.typed(), after=why)],
                 solution=f"{choice.latex()}. {why}")


_STATEMENTS = [
    ("Under a Gaussian prior and Gaussian noise, the MAP and MMSE estimates are equal.", True,
     "The posterior is Gaussian; a Gaussian's mode is its mean."),
    ("At a frequency where the signal's power is much smaller than the noise's, the Wiener filter's gain is close "
     "to 1.", False,
     "The gain $\\lambda/(\\lambda + \\sigma^2)$ is close to 0 there: the filter suppresses frequencies dominated by "
     "noise and keeps those dominated by signal."),
    ("A GAN's generator provides a density $p_\\theta(x)$ that can be evaluated at any $x$.", False,
     "A GAN defines $x = G(z)$ only; the pushforward density is not available (and often not even defined when "
     "$z$ has fewer dimensions than $x$)."),
    ("A VAE's ELBO is a lower bound on $\\log p_\\theta(x)$.", True,
     "$\\log p_\\theta(x) = \\mathrm{ELBO} + \\mathrm{KL}(q_\\phi(z \\mid x) \\| p_\\theta(z \\mid x))$ and the KL is "
     "non-negative."),
    ("The log-likelihood of an energy-based model $p_\\theta(x) \\propto e^{-E_\\theta(x)}$ can be computed in closed "
     "form.", False,
     "It needs $\\log Z_\\theta = \\log\\int e^{-E_\\theta}$, intractable in high dimension; the score "
     "$-\\nabla_x E_\\theta$ is available, which is why EBMs are sampled with Langevin dynamics."),
    ("The MAP estimate is invariant to a nonlinear reparametrization of $x$: if $u = g(x)$, then $\\hat u_{\\mathrm{MAP}}"
     " = g(\\hat x_{\\mathrm{MAP}})$.", False,
     "The density of $u$ picks up the Jacobian $|dx/du|$, which moves the mode; the MAP depends on the "
     "parametrization (in 1-D the posterior median, for a monotone $g$, does not)."),
    ("The MMSE estimate $\\mathbb E[x \\mid y]$ has the smallest expected squared error among *all* estimators, "
     "linear or not.", True,
     "For any $\\hat x(y)$, $\\mathbb E\\|x - \\hat x\\|^2 = \\mathbb E\\|x - \\mathbb E[x \\mid y]\\|^2 + "
     "\\mathbb E\\|\\mathbb E[x \\mid y] - \\hat x\\|^2$; the Wiener filter is that optimum only for Gaussian priors."),
    ("ISTA with a step size $t \\le 1/L$ ($L$ the largest eigenvalue of $H^\\top H$) never increases "
     "$\\frac{1}{2}\\|y - Hx\\|^2 + \\lambda\\|x\\|_1$: the objective is non-increasing from step to step.", True,
     "With $t \\le 1/L$ the quadratic upper bound of the data term holds, and each ISTA step minimizes that bound "
     "plus the $\\ell_1$ term (a majorize-minimize step; Beck and Teboulle 2009)."),
    ("Tikhonov regularization with $\\lambda \\to 0$ (and $H$ invertible) tends to $H^{-1}y$, which amplifies the "
     "noise along the small singular values of $H$.", True,
     "$(H^\\top H + \\lambda I)^{-1} H^\\top y \\to H^{-1}y$; along a singular direction the noise is divided by "
     "$s_i$, so small $s_i$ blow it up. The prior is what tames them."),
]


@question("priors", kind="true-false", difficulty=2, title="Priors and estimators: true or false")
def priors_true_false(rng):
    if rng.random() < 0.35:  # a computed statement: is the Laplace MAP or MMSE estimate exactly 0 at this y?
        sigma, b = nice(rng, 0.4, 1, 1), nice(rng, 0.3, 1, 1)
        tau = sigma**2 / b
        y = rng.choice([-1, 1]) * nice(rng, 0.2 * tau, 2 * tau, 2)
        while abs(abs(y) - tau) < 0.1 * tau:
            y = rng.choice([-1, 1]) * nice(rng, 0.2 * tau, 2 * tau, 2)
        which = rng.choice(["MAP", "MMSE"])
        value = float((priors.laplace_map if which == "MAP" else priors.laplace_mmse)(scalars(y), sigma, b)[0])
        is_true = value == 0.0
        statement = (f"For $y = x + \\sigma n$ with $\\sigma = {sigma}$ and the Laplace prior $p(x) = \\frac{{1}}{{2 b}}"
                     f" e^{{-|x|/b}}$, $b = {b}$, the {which} estimate of $x$ from $y = {y}$ is exactly 0.")
        if which == "MAP":
            why = (f"The MAP is the soft threshold at $\\tau = \\sigma^2/b = {f(tau, 4)}$; $|y| = {abs(y)}$ is "
                   + ("below it, so the estimate is exactly 0." if is_true else
                      f"above it, so the estimate is $\\mathrm{{sign}}(y)(|y| - \\tau) = {f(value, 4)}$."))
        else:
            why = ("The MMSE estimate is the posterior mean, which is 0 only at $y = 0$: here it is "
                   f"${f(value, 4)}$, shrunk towards 0 but not sparse (the MAP, a soft threshold at $\\sigma^2/b = "
                   f"{f(tau, 4)}$, {'is exactly 0' if abs(y) <= tau else 'is not 0 either'}).")
    else:
        statement, is_true, why = rng.choice(_STATEMENTS)
    answer = true_false(is_true, why)
    return Draft(prompt=f"True or false? {statement}",
                 parts=[Part(ask="true or false:", answer=answer, worked=answer.typed(), after=why)],
                 solution=f"{'True' if is_true else 'False'}. {why}")
