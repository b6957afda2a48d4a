"""A denoiser as an image prior: regularization by denoising (RED) and plug-and-play (PnP) priors.

Both solve a linear inverse problem ``y = H x0 + sigma_y n`` by minimising (or, for PnP, by imitating the splitting
algorithms that minimise) ``E(x) = ||y - H x||**2 / (2 sigma_y**2) + lam * R(x)`` with a denoiser in place of the
prior ``R``. References: Romano, Elad & Milanfar 2017, "The Little Engine that Could: Regularization by Denoising
(RED)", arXiv:1611.02862; Venkatakrishnan, Bouman & Wohlberg 2013, "Plug-and-Play Priors for Model Based
Reconstruction", IEEE GlobalSIP (PnP-ADMM); Zhang, Zuo, Gu & Zhang 2017, "Learning Deep CNN Denoiser Prior for Image
Restoration", arXiv:1704.03264 (PnP with half-quadratic splitting, HQS).

Conventions: as ``course_core.inverse``: ``op`` is a ``course_core.inverse.Degradation`` (``H`` given by its SVD,
never formed), data ``x, z, u`` are ``(B, *D)`` with ``prod(D) = op.d``, the measurement ``y`` is ``(B, op.m)``.
A denoiser is called ``denoiser(x (B, *D), sigma) -> (B, *D)`` with ``sigma`` a Python float, the standard
deviation of the Gaussian noise it removes. Results have ``x``'s shape and dtype.
"""

import math

import torch


def red_regularizer(x: torch.Tensor, denoised: torch.Tensor) -> torch.Tensor:
    """The RED regularizer ``rho(x) = 1/2 x^T (x - D(x))``, one value per sample.

    Reference: Romano, Elad & Milanfar 2017, arXiv:1611.02862 (the RED prior: the image's inner product with its
    denoising residual).

    Args:
        x: ``(B, *D)``; denoised: ``(B, *D)``, the denoiser's output ``D(x)``.
    Returns:
        ``(B,)``.
    """
    return 0.5 * (x * (x - denoised)).flatten(1).sum(dim=1)


def red_gradient(x: torch.Tensor, denoised: torch.Tensor) -> torch.Tensor:
    """The gradient of the RED regularizer, ``grad rho(x) = x - D(x)``: the denoising residual.

    Reference: Romano, Elad & Milanfar 2017, arXiv:1611.02862. Exact when ``D`` is locally homogeneous
    (``D(c x) = c D(x)`` for ``c`` near 1, so ``J_D(x) x = D(x)``) and its Jacobian ``J_D(x)`` is symmetric:
    ``grad rho = x - 1/2 D(x) - 1/2 J_D(x)^T x``, which the two conditions reduce to ``x - D(x)``. For a linear
    denoiser ``D(x) = W x`` the exact gradient is ``x - (W + W^T) x / 2``.

    Args:
        x: ``(B, *D)``; denoised: ``(B, *D)``, ``D(x)``.
    Returns:
        ``(B, *D)``.
    """
    return x - denoised


def data_gradient(x: torch.Tensor, y: torch.Tensor, op, sigma_y: float) -> torch.Tensor:
    """The gradient of the data term ``||y - H x||**2 / (2 sigma_y**2)``: ``H^T (H x - y) / sigma_y**2``.

    Args:
        x: ``(B, *D)``; y: ``(B, m)``; op: a ``Degradation``; sigma_y: Python float ``> 0``.
    Returns:
        ``(B, *D)``.
    """
    return op.H_T(op.H(x) - y).reshape(x.shape) / sigma_y**2


def red_step(x: torch.Tensor, denoised: torch.Tensor, y: torch.Tensor, op, sigma_y: float, lam: float,
             mu: float) -> torch.Tensor:
    """One steepest-descent step on the RED objective ``||y - H x||**2 / (2 sigma_y**2) + lam * rho(x)``.

    Reference: Romano, Elad & Milanfar 2017, arXiv:1611.02862 (the steepest-descent scheme):
    ``x_next = x - mu * (H^T (H x - y) / sigma_y**2 + lam * (x - D(x)))``, with ``red_gradient`` for ``grad rho``.

    Args:
        x: ``(B, *D)`` the current estimate; denoised: ``(B, *D)``, ``D(x)``; y: ``(B, m)``; op: a ``Degradation``;
        sigma_y, lam, mu: Python floats (noise level ``> 0``, regularization weight, step size).
    Returns:
        ``(B, *D)``.
    """
    return x - mu * (data_gradient(x, y, op, sigma_y) + lam * red_gradient(x, denoised))


def data_prox(v: torch.Tensor, y: torch.Tensor, op, sigma_y: float, rho: float) -> torch.Tensor:
    """The proximal step of the data term: ``argmin_x ||y - H x||**2 / (2 sigma_y**2) + rho / 2 ||x - v||**2``.

    Solved in the spectral coordinates of ``H = U diag(s) V^T`` (Kawar et al. 2022, arXiv:2201.11793, §3): with
    ``v_bar = V^T v`` and ``y_bar = U^T y``, the observed coordinates become
    ``(s y_bar + rho sigma_y**2 v_bar) / (s**2 + rho sigma_y**2)`` and the others keep ``v_bar``, i.e.
    ``x = (H^T H / sigma_y**2 + rho I)^{-1} (H^T y / sigma_y**2 + rho v)``. ``sigma_y = 0`` gives the limit
    (``H x = y`` exactly, the rest of ``v`` kept). It is the x-update of PnP-HQS and PnP-ADMM and, with
    ``v = D(x_k)`` and ``rho = lam``, RED's fixed-point update.

    Args:
        v: ``(B, *D)``; y: ``(B, m)``; op: a ``Degradation``; sigma_y: Python float ``>= 0``; rho: Python float ``> 0``.
    Returns:
        ``(B, *D)``.
    """
    v_bar = op.V_T(v)  # (B, d)
    s = op.singulars().to(dtype=v.dtype, device=v.device)  # (m,)
    y_bar = op.U_T(y.to(v.dtype))  # (B, m)
    obs = v_bar[:, :op.m]
    den = s**2 + rho * sigma_y**2
    solved = (s * y_bar + rho * sigma_y**2 * obs) / torch.where(den > 0, den, torch.ones_like(den))
    x_bar = torch.cat([torch.where(den > 0, solved, obs), v_bar[:, op.m:]], dim=1)
    return op.V(x_bar).reshape(v.shape)


def pnp_hqs_step(z: torch.Tensor, y: torch.Tensor, op, sigma_y: float, lam: float, mu: float, denoiser):
    """One iteration of plug-and-play half-quadratic splitting.

    Reference: Zhang, Zuo, Gu & Zhang 2017, arXiv:1704.03264 (HQS with a denoiser prior). Splitting
    ``||y - H x||**2 / (2 sigma_y**2) + lam R(z) + mu / 2 ||x - z||**2``:
    ``x = data_prox(z, y, op, sigma_y, mu)`` (the data step), then ``z_next = denoiser(x, sqrt(lam / mu))``: the
    prior step ``argmin_z lam R(z) + mu / 2 ||z - x||**2`` is MAP denoising of ``x`` at noise variance ``lam / mu``,
    and PnP plugs in a denoiser for it.

    Args:
        z: ``(B, *D)``; y: ``(B, m)``; op: a ``Degradation``; sigma_y: Python float ``>= 0``;
        lam, mu: Python floats ``> 0``; denoiser: ``denoiser(x, sigma) -> like x``.
    Returns:
        ``(x, z_next)``, each ``(B, *D)``.
    """
    x = data_prox(z, y, op, sigma_y, mu)
    return x, denoiser(x, math.sqrt(lam / mu))


def pnp_admm_step(z: torch.Tensor, u: torch.Tensor, y: torch.Tensor, op, sigma_y: float, lam: float, rho: float,
                  denoiser):
    """One iteration of plug-and-play ADMM (scaled form).

    Reference: Venkatakrishnan, Bouman & Wohlberg 2013 (PnP priors; ADMM on ``f(x) + lam R(z)`` subject to
    ``x = z``, with the prior's proximal step replaced by a denoiser):
    ``x = data_prox(z - u, y, op, sigma_y, rho)``, ``z_next = denoiser(x + u, sqrt(lam / rho))``,
    ``u_next = u + x - z_next``.

    Args:
        z, u: ``(B, *D)`` (the split variable and the scaled dual variable); y: ``(B, m)``; op: a ``Degradation``;
        sigma_y: Python float ``>= 0``; lam, rho: Python floats ``> 0``; denoiser: ``denoiser(x, sigma) -> like x``.
    Returns:
        ``(x, z_next, u_next)``, each ``(B, *D)``.
    """
    x = data_prox(z - u, y, op, sigma_y, rho)
    z_next = denoiser(x + u, math.sqrt(lam / rho))
    return x, z_next, u + x - z_next


# ---------------------------------------------------------------- the same steps with H a dense matrix (hw0)
# For small problems (8x8 digits: d = 64) H is an (m, d) matrix applied to a batch as x @ H.T, as in
# course_core.priors. The denoiser is called ``denoiser(x (B, d), sigma) -> (B, d)``.


def data_prox_matrix(v: torch.Tensor, y: torch.Tensor, H: torch.Tensor, sigma_y: float, rho: float) -> torch.Tensor:
    """``data_prox`` with a dense ``H``: ``argmin_x ||y - H x||**2 / (2 sigma_y**2) + rho / 2 ||x - v||**2``.

    The normal equations: ``x = (H^T H / sigma_y**2 + rho I)^{-1} (H^T y / sigma_y**2 + rho v)``, one solve for the
    batch.

    Args:
        v: ``(B, d)``; y: ``(B, m)``; H: ``(m, d)`` in ``v``'s dtype; sigma_y, rho: Python floats ``> 0``.
    Returns:
        ``(B, d)``.
    """
    d = H.shape[1]
    A = H.T @ H / sigma_y**2 + rho * torch.eye(d, dtype=H.dtype, device=H.device)  # (d, d), symmetric
    return torch.linalg.solve(A, (y @ H / sigma_y**2 + rho * v).T).T


def red_step_matrix(x: torch.Tensor, y: torch.Tensor, H: torch.Tensor, sigma_y: float, lam: float, mu: float,
                    denoiser, sigma: float) -> torch.Tensor:
    """RED's steepest-descent step with a dense ``H`` and the denoiser applied at noise level ``sigma``.

    Reference: Romano, Elad & Milanfar 2017, arXiv:1611.02862 (steepest descent):
    ``x - mu * (H^T (H x - y) / sigma_y**2 + lam * (x - denoiser(x, sigma)))``; ``red_step`` with ``H`` a matrix.
    The direction uses the denoising residual, not the Jacobian term (they agree when the denoiser is locally
    homogeneous with a symmetric Jacobian).

    Args:
        x: ``(B, d)``; y: ``(B, m)``; H: ``(m, d)``; sigma_y ``> 0``, lam, mu, sigma: Python floats;
        denoiser: ``denoiser(x (B, d), sigma) -> (B, d)``.
    Returns:
        ``(B, d)``.
    """
    return x - mu * ((x @ H.T - y) @ H / sigma_y**2 + lam * (x - denoiser(x, sigma)))


def red_fixed_point_matrix(x: torch.Tensor, y: torch.Tensor, H: torch.Tensor, sigma_y: float, lam: float, denoiser,
                           sigma: float) -> torch.Tensor:
    """RED's fixed-point step with a dense ``H``: solve the stationarity condition with ``D(x)`` frozen.

    Reference: Romano, Elad & Milanfar 2017, arXiv:1611.02862 (the fixed-point strategy):
    ``H^T (H x_next - y) / sigma_y**2 + lam (x_next - D(x)) = 0``, i.e.
    ``data_prox_matrix(denoiser(x, sigma), y, H, sigma_y, lam)``.

    Args:
        as ``red_step_matrix`` (no step size).
    Returns:
        ``(B, d)``.
    """
    return data_prox_matrix(denoiser(x, sigma), y, H, sigma_y, lam)


def pnp_admm_step_matrix(z: torch.Tensor, u: torch.Tensor, y: torch.Tensor, H: torch.Tensor, sigma_y: float,
                         lam: float, rho: float, denoiser):
    """``pnp_admm_step`` with a dense ``H``: one iteration of plug-and-play ADMM (scaled form).

    Reference: Venkatakrishnan, Bouman & Wohlberg 2013: ``x = data_prox_matrix(z - u, y, H, sigma_y, rho)``,
    ``z_next = denoiser(x + u, sqrt(lam / rho))``, ``u_next = u + x - z_next``.

    Args:
        z, u: ``(B, d)``; y: ``(B, m)``; H: ``(m, d)``; sigma_y, lam, rho: Python floats ``> 0``;
        denoiser: ``denoiser(x (B, d), sigma) -> (B, d)``.
    Returns:
        ``(x, z_next, u_next)``, each ``(B, d)``.
    """
    x = data_prox_matrix(z - u, y, H, sigma_y, rho)
    z_next = denoiser(x + u, math.sqrt(lam / rho))
    return x, z_next, u + x - z_next


__all__ = ["red_regularizer", "red_gradient", "data_gradient", "red_step", "data_prox", "pnp_hqs_step",
           "pnp_admm_step", "data_prox_matrix", "red_step_matrix", "red_fixed_point_matrix",
           "pnp_admm_step_matrix"]
