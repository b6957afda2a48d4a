"""hw5's support module: the SVD interface of a degradation, a wrapper for the students' operator functions, homework
3's DDIM step, the exact noise predictor of a mixture, the exact posterior of a mixture prior, and PSNR.

Student support module of hw5 only (grading_config/hw5_inverse.toml): the build writes it next to the hw5 notebook,
with the source of every function imported from ``course_core`` on a line marked ``# shipped`` inlined in place of
the import. It carries homework 3's solution of the DDIM step, so it is not shipped before hw3 is over; it carries
none of hw5's answers (the inpainting and super-resolution operators, DDRM, DPS and ΠGDM stay in
``course_core.inverse``, out of the students' reach).
"""
import math  # noqa: F401 - the shipped mixture_posterior needs it in the student's copy

import numpy as np  # noqa: F401 - the shipped ddim_timesteps needs it in the student's copy
import torch

# The reference's own function (course_core/_broadcast.py), shared by both.


def extract(schedule: torch.Tensor, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Gather ``schedule[t]`` and reshape it to broadcast against ``x``.

    Args:
        schedule: ``(T,)`` (usually float64).
        t: int64 ``(B,)`` indices in ``[0, T)``.
        x: ``(B, *D)`` data; fixes the result's dtype, device and number of trailing singleton dims.
    Returns:
        ``(B, 1, ..., 1)`` with ``x.dim() - 1`` trailing ones, in ``x``'s dtype and on ``x``'s device.
    """
    out = schedule.to(t.device)[t]  # (B,), still in the schedule's dtype
    return out.to(dtype=x.dtype, device=x.device).reshape(t.shape[0], *([1] * (x.dim() - 1)))
# The reference's own function (course_core/ddim.py), shared by both.


def ddim_timesteps(T: int, num_steps: int, spacing: str = "leading") -> torch.Tensor:
    """The descending subsequence of ``num_steps`` indices of a ``T``-step chain that DDIM visits.

    Exactly diffusers' ``DDIMScheduler(num_train_timesteps=T, timestep_spacing=spacing, steps_offset=0)
    .set_timesteps(num_steps).timesteps`` (tests/test_ddim.py compares them), except where diffusers' trailing
    spacing returns ``num_steps + 1`` values ending in ``-1`` (a float remainder of ``np.arange``, e.g. ``T = 1087,
    num_steps = 433``): here those cases give its first ``num_steps`` values. The spacings:
    ``"leading"``: ``k * (T // num_steps)``; ``"trailing"``: ``round(T - k * T / num_steps) - 1``;
    ``"linspace"``: ``round(linspace(0, T - 1, num_steps))``; each in descending order.
    The arithmetic is numpy's, rounding half to even, as diffusers does.

    Returns:
        int64 ``(num_steps,)``, descending, in ``[0, T)``.
    Raises:
        ValueError: ``num_steps < 1``, ``num_steps > T``, or an unknown ``spacing``.
    """
    if spacing not in ("leading", "trailing", "linspace"):  # SPACINGS, spelled out: the function ships to students
        raise ValueError(f"unknown timestep spacing {spacing!r}; use one of 'leading', 'trailing', 'linspace'")
    if not 1 <= num_steps <= T:
        raise ValueError(f"num_steps must be between 1 and T = {T}, got {num_steps}")
    if spacing == "leading":
        steps = (np.arange(0, num_steps) * (T // num_steps)).round()[::-1]
    elif spacing == "trailing":  # diffusers' np.arange(T, 0, -T / num_steps) can gain a last element ~1e-11 (-> -1)
        steps = np.round(np.arange(T, 0, -T / num_steps)[:num_steps]) - 1
    else:
        steps = np.linspace(0, T - 1, num_steps).round()[::-1]
    return torch.from_numpy(steps.astype(np.int64).copy())


def _alpha_bar_or_one(alpha_bar: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``alpha_bar[t]`` shaped ``(B, 1, ..., 1)`` in ``like``'s dtype, with ``1`` where ``t == -1``."""
    ones = torch.ones_like(t, dtype=alpha_bar.dtype)
    values = torch.where(t >= 0, alpha_bar.to(t.device)[t.clamp(min=0)], ones)  # (B,)
    return extract(values, torch.arange(t.shape[0], device=t.device), like)


def ddim_sigma(alpha_bar_t: torch.Tensor, alpha_bar_prev: torch.Tensor, eta: float) -> torch.Tensor:
    """The noise scale ``sigma_t(eta)`` of the generalized reverse step, elementwise.

    Reference: Song, Meng & Ermon 2021, Eq. (16):
    ``sigma = eta * sqrt((1 - alpha_bar_prev) / (1 - alpha_bar_t)) * sqrt(1 - alpha_bar_t / alpha_bar_prev)``.
    ``eta = 1`` is DDPM's posterior standard deviation on contiguous steps; ``eta = 0`` is deterministic (DDIM).
    """
    return eta * torch.sqrt((1 - alpha_bar_prev) / (1 - alpha_bar_t)) * torch.sqrt(1 - alpha_bar_t / alpha_bar_prev)


def ddim_step(x_t: torch.Tensor, t: torch.Tensor, t_prev: torch.Tensor, eps_pred: torch.Tensor,
              alpha_bar: torch.Tensor, eta: float, noise: torch.Tensor) -> torch.Tensor:
    """One step ``x_t -> x_{t_prev}`` of the generalized (non-Markovian) reverse process.

    Reference: Song, Meng & Ermon 2021, Eq. (12):
    ``x_prev = sqrt(ab_prev) x0_pred + sqrt(1 - ab_prev - sigma**2) eps_pred + sigma * noise`` with
    ``x0_pred = (x_t - sqrt(1 - ab_t) eps_pred) / sqrt(ab_t)`` and ``sigma = ddim_sigma(ab_t, ab_prev, eta)``
    (Eq. (16)); ``ab_prev = 1`` where ``t_prev == -1``. ``x0_pred`` is not clipped. Agrees with diffusers'
    ``DDIMScheduler.step(eps_pred, t, x_t, eta=eta, variance_noise=noise)`` when ``t_prev`` is the step diffusers
    takes (``t - T // num_steps``).

    Args:
        x_t, eps_pred, noise: ``(B, *D)``.
        t: int64 ``(B,)`` in ``[0, T)``; t_prev: int64 ``(B,)`` in ``[-1, t)``.
        alpha_bar: ``(T,)``; eta: Python float ``>= 0``.
    Returns:
        ``(B, *D)`` in ``x_t``'s dtype.
    """
    ab_t = extract(alpha_bar, t, x_t)
    ab_prev = _alpha_bar_or_one(alpha_bar, t_prev, x_t)
    x0_pred = (x_t - torch.sqrt(1 - ab_t) * eps_pred) / torch.sqrt(ab_t)
    sigma = ddim_sigma(ab_t, ab_prev, eta)
    direction = torch.sqrt((1 - ab_prev - sigma**2).clamp(min=0)) * eps_pred  # "direction pointing to x_t"
    return torch.sqrt(ab_prev) * x0_pred + direction + sigma * noise
# The reference's own function (course_core/gmm.py), shared by both.


def mixture_eps(x_t, alpha_bar_t, weights, means, covs):
    """The exact noise prediction ``E[eps | x_t]`` when ``x0`` is drawn from a Gaussian mixture.

    For ``x_t = sqrt(ab) x0 + sqrt(1 - ab) eps`` (Ho et al. 2020, Eq. (4)) with ``x0 ~ sum_k pi_k N(mu_k, Sigma_k)``,
    ``x_t`` is distributed as the mixture with means ``sqrt(ab) mu_k`` and covariances ``ab Sigma_k + (1 - ab) I``, and
    ``E[eps | x_t] = -sqrt(1 - ab) grad log p_t(x_t)`` (Tweedie's formula, Efron 2011): the noise predictor that
    minimises L_simple, available without training. The gradient is taken by autograd through
    ``torch.distributions``, in float64, one noised mixture per distinct value of ``alpha_bar_t``. Works under
    ``torch.no_grad()``; the result is detached.

    Args:
        x_t: ``(N, d)``.
        alpha_bar_t: a Python float, a 0-d tensor, or an ``(N,)`` tensor (one value per point), in ``(0, 1]``.
        weights: ``(K,)``; means: ``(K, d)``; covs: ``(K, d, d)``.
    Returns:
        ``(N, d)`` in ``x_t``'s dtype.
    """
    D = torch.distributions
    x = x_t.detach().to(torch.float64)
    ab = torch.as_tensor(alpha_bar_t, dtype=torch.float64).reshape(-1).expand(x.shape[0])  # (N,)
    w, mu, cov = (a.detach().to(torch.float64) for a in (weights, means, covs))
    eye = torch.eye(x.shape[1], dtype=torch.float64)
    eps = torch.empty_like(x)  # (N, d)
    for a in torch.unique(ab):  # a sampler's call has one alpha_bar for the whole batch
        rows = ab == a
        p_t = D.MixtureSameFamily(D.Categorical(probs=w), D.MultivariateNormal(a.sqrt() * mu, a * cov + (1 - a) * eye))
        with torch.enable_grad():
            x_rows = x[rows].requires_grad_(True)
            (grad,) = torch.autograd.grad(p_t.log_prob(x_rows).sum(), x_rows)  # grad log p_t, (n, d)
        eps[rows] = -torch.sqrt(1 - a) * grad
    return eps.to(x_t.dtype)
# The reference's own function (course_core/inverse.py), shared by both.


def _flat(v: torch.Tensor, n: int) -> torch.Tensor:
    """``v (B, ...)`` as ``(B, n)``."""
    if v.dim() == 0 or v.numel() != v.shape[0] * n:
        raise ValueError(f"expected {n} entries per sample, got shape {tuple(v.shape)}")
    return v.reshape(v.shape[0], n)


def _like(p: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """A parameter (kept in float64) in ``v``'s dtype and on ``v``'s device."""
    return p.to(dtype=v.dtype, device=v.device)


class Degradation:
    """A linear degradation ``H`` (``(m, d)``) given by its SVD ``H = U diag(s) V^T[:m]``.

    Subclasses define ``V``, ``V_T``, ``U``, ``U_T`` and ``singulars`` (and may override ``H`` by a direct
    formula); ``H_T``, ``H_pinv`` and ``add_zeros`` follow from them. Attributes: ``shape`` (one sample), ``d``
    (input dimension), ``m`` (measurement dimension).
    """

    def __init__(self, shape, m: int):
        self.shape, self.d, self.m = tuple(shape), math.prod(shape), m

    def V(self, z: torch.Tensor) -> torch.Tensor:
        """Spectral ``(B, d)`` -> data ``(B, d)``."""
        raise NotImplementedError

    def V_T(self, x: torch.Tensor) -> torch.Tensor:
        """Data ``(B, d)`` -> spectral ``(B, d)``: observed coordinates first, then the null space."""
        raise NotImplementedError

    def U(self, z: torch.Tensor) -> torch.Tensor:
        """Spectral ``(B, m)`` -> measurement ``(B, m)``."""
        raise NotImplementedError

    def U_T(self, y: torch.Tensor) -> torch.Tensor:
        """Measurement ``(B, m)`` -> spectral ``(B, m)``."""
        raise NotImplementedError

    def singulars(self) -> torch.Tensor:
        """``s``, float64 ``(m,)``, in the order of ``U``'s columns; exactly ``0.0`` where information is lost."""
        raise NotImplementedError

    def add_zeros(self, z: torch.Tensor) -> torch.Tensor:
        """``(B, m)`` -> ``(B, d)``: ``d - m`` zeros appended (the paper's code's ``add_zeros``)."""
        z = _flat(z, self.m)
        return torch.cat([z, z.new_zeros(z.shape[0], self.d - self.m)], dim=1)

    def H(self, x: torch.Tensor) -> torch.Tensor:
        """``H x = U(s * V_T(x)[:, :m])``: ``(B, d)`` -> ``(B, m)``."""
        x = _flat(x, self.d)
        return self.U(_like(self.singulars(), x) * self.V_T(x)[:, :self.m])

    def H_T(self, y: torch.Tensor) -> torch.Tensor:
        """``H^T y = V(add_zeros(s * U_T(y)))``: ``(B, m)`` -> ``(B, d)``."""
        y = _flat(y, self.m)
        return self.V(self.add_zeros(_like(self.singulars(), y) * self.U_T(y)))

    def H_pinv(self, y: torch.Tensor) -> torch.Tensor:
        """Moore–Penrose pseudo-inverse ``H^+ y = V(add_zeros(s^+ * U_T(y)))``, ``s^+ = 1/s`` where ``s > 0``, else
        ``0`` (the paper's code divides by every ``s``). ``(B, m)`` -> ``(B, d)``."""
        y = _flat(y, self.m)
        s = _like(self.singulars(), y)
        s_pinv = torch.where(s > 0, 1 / torch.where(s > 0, s, torch.ones_like(s)), torch.zeros_like(s))
        return self.V(self.add_zeros(s_pinv * self.U_T(y)))


def householder(q: int) -> torch.Tensor:
    """A symmetric orthogonal ``(q, q)`` float64 matrix whose first column is ``ones / sqrt(q)``."""
    v = torch.full((q,), q ** -0.5, dtype=torch.float64)
    w = v.clone()
    w[0] -= 1  # w = v - e_1; the reflection I - 2 w w^T / |w|^2 swaps e_1 and v
    if q == 1 or float(w @ w) == 0.0:
        return torch.eye(q, dtype=torch.float64)
    return torch.eye(q, dtype=torch.float64) - 2 * torch.outer(w, w) / (w @ w)
# The reference's own function (course_core/inverse.py), shared by both.


def degradation_matrix(op: Degradation) -> torch.Tensor:
    """The dense float64 ``(m, d)`` matrix of ``op``, column ``j`` being ``op.H(e_j)``."""
    return op.H(torch.eye(op.d, dtype=torch.float64)).T


def mixture_posterior(weights: torch.Tensor, means: torch.Tensor, covs: torch.Tensor, op, y: torch.Tensor,
                      sigma_y: float) -> tuple:
    """The exact posterior ``p(x0 | y)`` of a Gaussian-mixture prior under ``y = H x0 + sigma_y n``.

    Gaussian conditioning per component (the Kalman update): with ``S_k = H Sigma_k H^T + sigma_y**2 I`` and
    ``K_k = Sigma_k H^T S_k^{-1}``, component ``k`` becomes ``N(mu_k + K_k (y - H mu_k), Sigma_k - K_k H Sigma_k)``
    with weight proportional to ``pi_k N(y; H mu_k, S_k)`` (log-sum-exp). ``sigma_y = 0`` needs every
    ``H Sigma_k H^T`` invertible (``H`` of full row rank and each ``Sigma_k`` non-singular along the directions ``H``
    observes); then the posterior covariances are singular (rank ``d - m``), so use the
    means and covariances (``sample`` and ``log_prob`` need positive definite ones).

    Args:
        weights: ``(K,)``; means: ``(K, d)``; covs: ``(K, d, d)``; op: a ``Degradation`` or an ``(m, d)`` matrix;
        y: ``(m,)``, one measurement; sigma_y: Python float ``>= 0``.
    Returns:
        ``(weights (K,), means (K, d), covs (K, d, d))`` of the posterior mixture, in float64 (the promoted dtype of
        the parameters and float64): a mixture's parameters, to sample (``toy.sample_mixture``) or evaluate.
    Raises:
        ValueError: some ``S_k`` is singular (``sigma_y = 0`` with ``H Sigma_k H^T`` singular: ``H`` not of full
        row rank, or ``Sigma_k`` singular on ``H``'s row space).
    """
    dtype = torch.promote_types(means.dtype, torch.float64)
    Hm = degradation_matrix(op) if isinstance(op, Degradation) else torch.as_tensor(op)
    w, mu, cov, Hm, y = (a.to(dtype) for a in (weights, means, covs, Hm, torch.as_tensor(y).reshape(-1)))
    m = Hm.shape[0]
    if m == 0:
        return w, mu, cov
    HS = Hm @ cov  # (K, m, d): H Sigma_k
    S = HS @ Hm.T + sigma_y**2 * torch.eye(m, dtype=dtype)  # (K, m, m)
    L, info = torch.linalg.cholesky_ex(S)
    if bool((info > 0).any()):
        bad = torch.nonzero(info > 0)[:, 0].tolist()
        raise ValueError(f"H Sigma_k H^T + sigma_y^2 I is not positive definite for component(s) {bad}: with "
                         f"sigma_y = {sigma_y}, H Sigma_k H^T is singular there (H not of full row rank, or "
                         "Sigma_k singular along a direction H observes)")
    resid = y - mu @ Hm.T  # (K, m)
    sol = torch.cholesky_solve(resid[..., None], L)  # (K, m, 1): S_k^{-1} (y - H mu_k)
    post_mean = mu + (HS.transpose(1, 2) @ sol)[..., 0]
    post_cov = cov - HS.transpose(1, 2) @ torch.cholesky_solve(HS, L)
    logdet = 2 * torch.log(torch.diagonal(L, dim1=-2, dim2=-1)).sum(-1)
    log_w = torch.log(w) - 0.5 * ((resid[..., None] * sol).sum((1, 2)) + logdet + m * math.log(2 * math.pi))
    return torch.softmax(log_w, dim=0), post_mean, 0.5 * (post_cov + post_cov.transpose(1, 2))

__all__ = ["Degradation", "householder", "from_functions", "degradation_matrix", "mixture_posterior",
           "ddim_timesteps", "ddim_step", "mixture_eps", "psnr"]


class _Functional(Degradation):
    """A ``Degradation`` with ``U = I`` whose ``V``, ``V_T`` and ``singulars`` are given callables."""

    def __init__(self, shape, m: int, V, V_T, singulars):
        super().__init__(shape, m)
        self._V, self._V_T, self._singulars = V, V_T, singulars

    def V(self, z):
        return self._V(z)

    def V_T(self, x):
        return self._V_T(x)

    def U(self, z):
        return _flat(z, self.m)

    def U_T(self, y):
        return _flat(y, self.m)

    def singulars(self):
        return torch.as_tensor(self._singulars(), dtype=torch.float64)


def from_functions(shape, m: int, V, V_T, singulars) -> Degradation:
    """A degradation object for one sample's ``shape`` with ``m`` measurements and ``U = I``, from three functions:
    ``V(z)`` (spectral ``(B, d)`` -> data ``(B, d)``), ``V_T(x)`` (data -> spectral, observed coordinates first) and
    ``singulars()`` (``(m,)``). ``H``, ``H_T``, ``H_pinv`` and ``add_zeros`` come from ``Degradation``."""
    return _Functional(shape, m, V, V_T, singulars)


def psnr(x: torch.Tensor, ref: torch.Tensor, data_range: float = 2.0) -> torch.Tensor:
    """Peak signal-to-noise ratio per sample in dB, ``10 log10(data_range**2 / mean((x - ref)**2))``.

    Args:
        x, ref: ``(B, ...)`` with the same number of entries per sample; both are clipped to ``[-1, 1]`` (the
        pixel range, width ``data_range``) first. A perfect match gives 120 dB (the error is floored at 1e-12).
    Returns:
        float64 ``(B,)``.
    """
    x = x.detach().reshape(x.shape[0], -1).to(torch.float64).clamp(-1, 1)
    ref = ref.detach().reshape(ref.shape[0], -1).to(torch.float64).clamp(-1, 1)
    return 10 * torch.log10(data_range**2 / ((x - ref) ** 2).mean(1).clamp(min=1e-12))
