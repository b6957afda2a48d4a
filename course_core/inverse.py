"""Linear inverse problems with a diffusion prior: degradations given by their SVD, DDRM, DPS, ΠGDM, and the exact
posterior of a Gaussian-mixture prior (an analytic oracle).

The measurement is ``y = H x0 + sigma_y n``, ``n ~ N(0, I)``, with ``H`` an ``(m, d)`` matrix that is never formed:
each degradation applies ``H``, its transpose and the factors of its SVD ``H = U diag(s) V^T[:m]`` to batches, as
the ``H_functions`` of the DDRM code do (Kawar, Elad, Ermon & Song 2022, "Denoising Diffusion Restoration Models",
arXiv:2201.11793, github.com/bahjat-kawar/ddrm, ``functions/svd_replacement.py``).

Conventions (tests/test_inverse.py):
- A degradation is built for one data shape ``shape`` (``(C, H, W)`` for images, ``(d,)`` for vectors),
  ``d = prod(shape)``. Every method takes a batch ``(B, ...)`` with ``B * d`` (or ``B * m``) entries, e.g.
  ``(B, C, H, W)`` or ``(B, d)``, and returns a flat ``(B, d)`` or ``(B, m)`` tensor in the input's dtype.
- The measurement ``y`` is ``(B, m)``, in the layout each class states (a masked, downsampled, grey or blurred
  image, flattened row-major).
- Spectral coordinates (``V_T(x)``, ``(B, d)``): the first ``m`` go with ``singulars()`` (``(m,)``, the order ``U``
  uses), the last ``d - m`` span the null space of ``H``. Observed first, as in the paper's code.
  ``add_zeros`` pads an ``(B, m)`` spectral vector with ``d - m`` trailing zeros. A singular value is exactly
  ``0.0`` where ``H`` loses that coordinate (it can be among the first ``m``: a blur's zeros).
- Samplers follow ``ddim``: ``t`` int64 ``(B,)`` in ``[0, T)`` (index ``t`` is the paper's step ``t + 1``),
  ``t_prev = -1`` is "before step 0" (``alpha_bar = 1``), ``alpha_bar (T,)`` float64, data ``(B, *D)``.
"""

import math

import torch

from ._broadcast import extract
from .ddim import _alpha_bar_or_one, ddim_step


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


class Inpainting(Degradation):
    """Keep the entries where ``mask`` is true: ``y = x.flatten()[mask.flatten()]``, ``m = mask.sum()``.

    ``mask``: bool tensor of one sample's shape (e.g. ``(C, H, W)``; a pixel mask is expanded over channels by the
    caller). ``V_T`` is a permutation: observed entries first, then the missing ones, each in row-major order;
    ``U`` is the identity and every singular value is 1. An empty mask (``m = 0``) and a full one (``m = d``) work.
    """

    def __init__(self, mask: torch.Tensor):
        mask = torch.as_tensor(mask, dtype=torch.bool)
        super().__init__(mask.shape, int(mask.sum()))
        flat = mask.reshape(-1).cpu()
        self.perm = torch.cat([torch.nonzero(flat)[:, 0], torch.nonzero(~flat)[:, 0]])  # (d,) observed first
        self.inverse = torch.argsort(self.perm)

    def V(self, z):
        return _flat(z, self.d)[:, self.inverse.to(z.device)]

    def V_T(self, x):
        return _flat(x, self.d)[:, self.perm.to(x.device)]

    def U(self, z):
        return _flat(z, self.m)

    def U_T(self, y):
        return _flat(y, self.m)

    def singulars(self):
        return torch.ones(self.m, dtype=torch.float64)

    def H(self, x):
        return _flat(x, self.d)[:, self.perm[:self.m].to(x.device)]


class Denoising(Inpainting):
    """``H = I`` (every entry observed): ``Inpainting`` with a full mask. ``shape``: one sample's shape."""

    def __init__(self, shape):
        super().__init__(torch.ones(tuple(shape), dtype=torch.bool))


def householder(q: int) -> torch.Tensor:
    """A symmetric orthogonal ``(q, q)`` float64 matrix whose first column is ``ones / sqrt(q)``."""
    v = torch.full((q,), q ** -0.5, dtype=torch.float64)
    w = v.clone()
    w[0] -= 1  # w = v - e_1; the reflection I - 2 w w^T / |w|^2 swaps e_1 and v
    if q == 1 or float(w @ w) == 0.0:
        return torch.eye(q, dtype=torch.float64)
    return torch.eye(q, dtype=torch.float64) - 2 * torch.outer(w, w) / (w @ w)


class _BlockMean(Degradation):
    """``y_n`` = mean of block ``n`` (``q`` entries), for ``N`` disjoint blocks: ``m = N``.

    Per block, ``mean = (1/sqrt(q)) * <ones/sqrt(q), b>``: one singular value ``1/sqrt(q)``, ``U = 1``, and ``V`` the
    Householder matrix ``Q`` (first column ``ones/sqrt(q)``). Spectral layout: the ``N`` block coordinates
    ``<ones/sqrt(q), b_n>`` in block order, then the ``q - 1`` null coordinates of block 0, of block 1, ...
    Subclasses define ``_blocks`` (``(B, d)`` -> ``(B, N, q)``) and ``_unblocks`` (its inverse).
    """

    def __init__(self, shape, q: int):
        super().__init__(shape, math.prod(shape) // q)
        self.q, self.Q = q, householder(q)

    def V_T(self, x):
        z = self._blocks(_flat(x, self.d)) @ _like(self.Q, x)  # (B, N, q); Q is symmetric, so this is Q^T b
        return torch.cat([z[..., 0], z[..., 1:].reshape(z.shape[0], -1)], dim=1)

    def V(self, z):
        z = _flat(z, self.d)
        rest = z[:, self.m:].reshape(z.shape[0], self.m, self.q - 1)
        blocks = torch.cat([z[:, :self.m, None], rest], dim=2) @ _like(self.Q, z).T  # (B, N, q)
        return self._unblocks(blocks)

    def U(self, z):
        return _flat(z, self.m)

    def U_T(self, y):
        return _flat(y, self.m)

    def singulars(self):
        return torch.full((self.m,), self.q ** -0.5, dtype=torch.float64)

    def H(self, x):
        return self._blocks(_flat(x, self.d)).mean(dim=2)


class SuperResolution(_BlockMean):
    """Downsampling by ``factor`` by block averaging (the paper's ``SuperResolution``): ``y`` is the ``(C, H/f, W/f)``
    image of the means of the ``f x f`` blocks, flattened; singular values ``1/f``, ``m = d / f**2``.

    ``shape``: ``(C, H, W)`` with ``factor`` dividing ``H`` and ``W``.
    """

    def __init__(self, shape, factor: int):
        C, Hh, W = shape
        if Hh % factor or W % factor:
            raise ValueError(f"factor {factor} does not divide the image size {Hh}x{W}")
        self.f = factor
        super().__init__(shape, factor * factor)

    def _blocks(self, x):
        C, Hh, W = self.shape
        f = self.f
        x = x.reshape(-1, C, Hh // f, f, W // f, f).permute(0, 1, 2, 4, 3, 5)  # (B, C, H/f, W/f, f, f)
        return x.reshape(x.shape[0], -1, f * f)

    def _unblocks(self, b):
        C, Hh, W = self.shape
        f = self.f
        b = b.reshape(-1, C, Hh // f, W // f, f, f).permute(0, 1, 2, 4, 3, 5)  # (B, C, H/f, f, W/f, f)
        return b.reshape(b.shape[0], self.d)


class Colorization(_BlockMean):
    """Grey image as the mean over channels (the paper's ``Colorization``, with exact weights ``1/C``): ``y`` is the
    ``(H, W)`` grey image flattened; singular values ``1/sqrt(C)``, ``m = H * W``. ``shape``: ``(C, H, W)``."""

    def __init__(self, shape):
        super().__init__(shape, shape[0])

    def _blocks(self, x):
        C = self.shape[0]
        return x.reshape(x.shape[0], C, -1).transpose(1, 2)  # (B, H*W, C)

    def _unblocks(self, b):
        return b.transpose(1, 2).reshape(b.shape[0], self.d)


# The two degradations of hw5 as plain functions of tensors (the notebook's questions 1 and 2; U = I for both).
def inpaint_V_T(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``Inpainting(mask).V_T(x)``: ``(B, d)``, the observed entries (row-major), then the missing ones."""
    return Inpainting(mask).V_T(x)


def inpaint_V(z: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``Inpainting(mask).V(z)``: ``(B, d)``, the inverse permutation of ``inpaint_V_T``."""
    return Inpainting(mask).V(z)


def inpaint_singulars(mask: torch.Tensor) -> torch.Tensor:
    """``Inpainting(mask).singulars()``: float64 ones ``(m,)``, ``m = mask.sum()``."""
    return Inpainting(mask).singulars()


def sr_V_T(x: torch.Tensor, shape, factor: int) -> torch.Tensor:
    """``SuperResolution(shape, factor).V_T(x)``: ``(B, d)``, one observed coordinate per block (in ``y``'s order),
    then the ``f**2 - 1`` null coordinates of block 0, of block 1, ... (the basis ``householder(f**2)``)."""
    return SuperResolution(shape, factor).V_T(x)


def sr_V(z: torch.Tensor, shape, factor: int) -> torch.Tensor:
    """``SuperResolution(shape, factor).V(z)``: ``(B, d)``, the inverse of ``sr_V_T``."""
    return SuperResolution(shape, factor).V(z)


def sr_singulars(shape, factor: int) -> torch.Tensor:
    """``SuperResolution(shape, factor).singulars()``: float64 ``(d / f**2,)``, all ``1 / f``."""
    return SuperResolution(shape, factor).singulars()


def _conv_matrix(kernel: torch.Tensor, n: int) -> torch.Tensor:
    """The ``(n, n)`` matrix of 1-D cross-correlation with ``kernel`` (odd length ``k``), zero padding ``k // 2``:
    ``(A x)_i = sum_j kernel[j - i + k // 2] x_j`` (``torch.nn.functional.conv1d`` with ``padding=k // 2``)."""
    k = kernel.shape[0]
    i, j = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
    offset = j - i + k // 2
    inside = (offset >= 0) & (offset < k)
    return torch.where(inside, kernel.to(torch.float64)[offset.clamp(0, k - 1)], torch.zeros((), dtype=torch.float64))


class SeparableBlur(Degradation):
    """Separable blur: each channel is correlated with ``kernel`` along columns and along rows (zero padding), i.e.
    ``torch.nn.functional.conv2d`` with the kernel ``outer(kernel, kernel)`` and ``padding = k // 2``; ``m = d``.

    The 1-D matrices ``A_h (H, H)`` and ``A_w (W, W)`` have SVDs ``U_h S_h V_h^T`` and ``U_w S_w V_w^T``; on one
    channel ``Y = A_h X A_w^T``, so ``H`` is a Kronecker product with singular values ``S_h[a] S_w[b]`` (the DDRM
    paper's Appendix, ``Deblurring`` in their code). 1-D singular values at most ``rtol`` times the largest are set
    to exactly 0 (so ``H`` is the truncated SVD; the paper's code uses an absolute threshold 3e-2). Spectral order:
    singular values sorted descending (stable) over channels and positions; the zeros come last.

    ``shape``: ``(C, H, W)``; ``kernel``: 1-D, odd length.
    """

    def __init__(self, shape, kernel: torch.Tensor, rtol: float = 1e-8):
        C, Hh, W = shape
        kernel = torch.as_tensor(kernel, dtype=torch.float64)
        if kernel.dim() != 1 or kernel.shape[0] % 2 == 0:
            raise ValueError("kernel must be 1-D with an odd length")
        super().__init__(shape, C * Hh * W)
        self.U_h, s_h, V_hT = torch.linalg.svd(_conv_matrix(kernel, Hh))
        self.U_w, s_w, V_wT = torch.linalg.svd(_conv_matrix(kernel, W))
        self.V_h, self.V_w = V_hT.T, V_wT.T
        s_h, s_w = (torch.where(s > rtol * s.max(), s, torch.zeros_like(s)) for s in (s_h, s_w))
        s2 = torch.outer(s_h, s_w).expand(C, Hh, W).reshape(-1)  # (d,) in (c, a, b) order
        self._singulars, self.perm = torch.sort(s2, descending=True, stable=True)
        self.inverse = torch.argsort(self.perm)

    def _two_sided(self, left, v, right):
        """``left @ X @ right`` on every channel image ``X`` of ``v (B, d)``; returns ``(B, d)``."""
        X = v.reshape(-1, *self.shape)
        return (_like(left, v) @ X @ _like(right, v)).reshape(v.shape[0], self.d)

    def V_T(self, x):
        return self._two_sided(self.V_h.T, _flat(x, self.d), self.V_w)[:, self.perm.to(x.device)]

    def V(self, z):
        return self._two_sided(self.V_h, _flat(z, self.d)[:, self.inverse.to(z.device)], self.V_w.T)

    def U_T(self, y):
        return self._two_sided(self.U_h.T, _flat(y, self.m), self.U_w)[:, self.perm.to(y.device)]

    def U(self, z):
        return self._two_sided(self.U_h, _flat(z, self.m)[:, self.inverse.to(z.device)], self.U_w.T)

    def singulars(self):
        return self._singulars


# ----------------------------------------------------------------------------------------------------------- DDRM
def _spectral(op: Degradation, v: torch.Tensor) -> torch.Tensor:
    """``(m,)`` singular values padded to ``(d,)`` with zeros, in ``v``'s dtype and on its device."""
    return op.add_zeros(_like(op.singulars(), v)[None])[0]


def _y_bar(op: Degradation, y: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``y_bar = add_zeros(s^+ U^T y)`` ``(B, d)``: the measurement in spectral coordinates (0 where ``s = 0``)."""
    s = _spectral(op, like)  # (d,)
    u = op.add_zeros(op.U_T(y.to(like.dtype)))  # (B, d)
    return torch.where(s > 0, u / torch.where(s > 0, s, torch.ones_like(s)), torch.zeros_like(u))


def ddrm_step(x_t: torch.Tensor, t: torch.Tensor, t_prev: torch.Tensor, x0_pred: torch.Tensor, y: torch.Tensor,
              op: Degradation, alpha_bar: torch.Tensor, sigma_y: float, eta: float, eta_b: float,
              noise: torch.Tensor) -> torch.Tensor:
    """One DDRM step ``x_t -> x_{t_prev}`` for ``y = H x0 + sigma_y n``.

    Reference: Kawar et al. 2022, arXiv:2201.11793, Eq. (8), as in their code (``efficient_generalized_steps``).
    It works on the scaled variable ``x / sqrt(alpha_bar)`` (``x0 + sigma eps``, ``sigma = sqrt(1 - ab) / sqrt(ab)``)
    in spectral coordinates: ``x_bar = V^T x_t / sqrt(ab_t)``, ``x0_bar = V^T x0_pred``,
    ``eps_bar = (x_bar - x0_bar) / sigma_t``, ``y_bar_i = (U^T y)_i / s_i``, ``z = V^T noise``, and with
    ``sigma = sigma_{t_prev}`` (0 when ``t_prev == -1``), per coordinate ``i``:

    - ``s_i = 0`` (not observed): ``x0_bar + sqrt(1 - eta**2) sigma eps_bar + eta sigma z``;
    - ``s_i sigma < sigma_y`` (the measurement is noisier than the step):
      ``x0_bar + sqrt(1 - eta**2) sigma (y_bar - x0_bar) s_i / sigma_y + eta sigma z``;
    - ``s_i sigma >= sigma_y`` (the measurement is less noisy):
      ``(1 - eta_b) x0_bar + eta_b y_bar + sqrt(sigma**2 - eta_b**2 sigma_y**2 / s_i**2) z``;

    then ``x_{t_prev} = sqrt(ab_prev) V(...)``. ``eta`` is DDRM's: on unobserved coordinates the step's standard
    deviation is ``eta * sqrt(1 - ab_prev)`` (DDIM's ``ddim_sigma`` with another eta). The official code uses
    ``eta`` for the first two cases (its ``etaC``, ``etaA``) and ``eta_b`` for the third (``etaB``), and draws
    its noise in spectral coordinates (here ``z = V^T noise``, the same law). Run with the same draws, the two
    agree to round-off except in two cases:

    - at the boundary ``s_i sigma == sigma_y``, where the code falls back to the first case and this function
      applies the paper's ``>=``: with ``sigma_y = 0`` and ``eta_b = 1`` the last step (``sigma = 0``) returns
      ``H x = y`` exactly, where the code returns ``x0_pred``;
    - a singular value exactly ``0`` among the first ``m`` (a blur's zeros) with ``sigma_y > 0``: the code's
      ``cond_after`` test (``s_i sigma < sigma_y``, true for ``s_i = 0``) sends that coordinate to the second
      ("noisier") case, which adds ``sqrt(1 - eta**2) sigma (U^T y)_i / sigma_y`` in place of DDIM's
      ``sqrt(1 - eta**2) sigma eps_bar_i``, pulling it towards ``(U^T y)_i / sigma_y``, pure measurement noise
      there. This function follows the paper's Eq. (8), where ``s_i = 0`` is unobserved (the first case).

    Args:
        x_t, x0_pred, noise: ``(B, *D)`` (``noise`` a standard normal draw in data coordinates).
        t: int64 ``(B,)`` in ``[0, T)``; t_prev: int64 ``(B,)`` in ``[-1, t)``.
        y: ``(B, m)``; op: a ``Degradation`` for ``*D``; alpha_bar: ``(T,)``.
        sigma_y: Python float ``>= 0``; eta, eta_b: Python floats in ``[0, 1]``.
    Returns:
        ``(B, *D)`` in ``x_t``'s dtype.
    """
    d = op.d
    x, x0 = _flat(x_t, d), _flat(x0_pred, d).to(x_t.dtype)
    ab_t, ab_prev = extract(alpha_bar, t, x), _alpha_bar_or_one(alpha_bar, t_prev, x)  # (B, 1) each
    sigma_t = torch.sqrt(1 - ab_t) / torch.sqrt(ab_t)
    sigma = torch.sqrt(1 - ab_prev) / torch.sqrt(ab_prev)
    s = _spectral(op, x)  # (d,)
    x0_bar = op.V_T(x0)
    eps_bar = (op.V_T(x / torch.sqrt(ab_t)) - x0_bar) / sigma_t
    y_bar, z = _y_bar(op, y, x), op.V_T(_flat(noise, d).to(x_t.dtype))  # (B, d) each
    observed = s > 0
    less_noisy = observed & (s * sigma >= sigma_y)  # (B, d)
    noisier = observed & ~less_noisy
    # 1. not observed: DDIM on the coordinate
    out = x0_bar + math.sqrt(1 - eta**2) * sigma * eps_bar + eta * sigma * z
    # 2. measurement noisier than the step (never when sigma_y = 0): towards y_bar by the ratio of noise levels
    if sigma_y > 0:
        toward_y = x0_bar + math.sqrt(1 - eta**2) * sigma * s / sigma_y * (y_bar - x0_bar) + eta * sigma * z
        out = torch.where(noisier, toward_y, out)
    # 3. measurement less noisy: mix x0_bar and y_bar, add the noise y lacks
    s_safe = torch.where(observed, s, torch.ones_like(s))
    extra = torch.sqrt((sigma**2 - eta_b**2 * sigma_y**2 / s_safe**2).clamp(min=0))
    out = torch.where(less_noisy, (1 - eta_b) * x0_bar + eta_b * y_bar + extra * z, out)
    return (torch.sqrt(ab_prev) * op.V(out)).reshape(x_t.shape)


def ddrm_init(y: torch.Tensor, op: Degradation, alpha_bar: torch.Tensor, t: torch.Tensor, sigma_y: float,
              noise: torch.Tensor) -> torch.Tensor:
    """DDRM's starting point ``x_T`` given ``y``, at index ``t`` (usually ``timesteps[0]``).

    Reference: Kawar et al. 2022, Eq. (7): in the scaled variable, ``x_bar_T = y_bar + sqrt(sigma_T**2 -
    sigma_y**2 / s_i**2) z`` where ``s_i > 0`` and ``s_i sigma_T >= sigma_y``, else ``sigma_T z`` (the code's
    "treat a too small singular value as zero, only for the init"); ``x_T = sqrt(ab_T) V(x_bar_T)``,
    ``z = V^T noise``. (The official code divides by ``sigma_T`` instead of multiplying by ``sqrt(ab_T)``, which
    is this ``x_T`` divided by ``sqrt(1 - ab_T)``.)

    Args:
        y: ``(B, m)``; op: ``Degradation``; alpha_bar: ``(T,)``; t: int64 ``(B,)``; sigma_y: Python float;
        noise: ``(B, *D)``, fixes the result's shape and dtype.
    Returns:
        ``(B, *D)``.
    """
    z = op.V_T(_flat(noise, op.d))
    ab = extract(alpha_bar, t, z)
    sigma_T = torch.sqrt(1 - ab) / torch.sqrt(ab)  # (B, 1)
    s = _spectral(op, z)
    use_y = (s > 0) & (s * sigma_T >= sigma_y)
    s_safe = torch.where(s > 0, s, torch.ones_like(s))
    x_bar = torch.where(use_y, _y_bar(op, y, z) + torch.sqrt((sigma_T**2 - sigma_y**2 / s_safe**2).clamp(min=0)) * z,
                        sigma_T * z)
    return (torch.sqrt(ab) * op.V(x_bar)).reshape(noise.shape)


def ddrm_sample(eps_model, x_T: torch.Tensor, y: torch.Tensor, op: Degradation, alpha_bar: torch.Tensor,
                timesteps: torch.Tensor, sigma_y: float, eta: float, eta_b: float, noise: torch.Tensor) -> torch.Tensor:
    """DDRM sampling along a descending subsequence (``ddim.ddim_sample``'s loop with ``ddrm_step``).

    Reference: Kawar et al. 2022, §3 and Eq. (7)–(8). For ``i = 0..S-1``, ``t = timesteps[i]``, ``t_prev =
    timesteps[i + 1]`` (``-1`` after the last): ``x0_pred`` from ``eps_model(x, t)`` (Ho et al. 2020, Eq. (4)),
    ``x <- ddrm_step(x, t, t_prev, x0_pred, y, op, alpha_bar, sigma_y, eta, eta_b, noise[i])``. The paper starts
    from ``ddrm_init(y, op, alpha_bar, timesteps[0], sigma_y, z)``; any ``x_T`` is accepted.

    Args:
        eps_model: ``eps_model(x (B, *D), t int64 (B,)) -> (B, *D)``; x_T: ``(B, *D)``; y: ``(B, m)``;
        timesteps: int64 ``(S,)`` descending; noise: ``(S, B, *D)``, ``noise[i]`` for step ``i``.
    Returns:
        ``(B, *D)``.
    """
    x, B = x_T, x_T.shape[0]
    steps = [int(s) for s in timesteps]
    for i, step in enumerate(steps):
        t = torch.full((B,), step, dtype=torch.int64, device=x.device)
        t_prev = torch.full((B,), steps[i + 1] if i + 1 < len(steps) else -1, dtype=torch.int64, device=x.device)
        ab_t = extract(alpha_bar, t, x)
        x0_pred = (x - torch.sqrt(1 - ab_t) * eps_model(x, t)) / torch.sqrt(ab_t)
        x = ddrm_step(x, t, t_prev, x0_pred, y, op, alpha_bar, sigma_y, eta, eta_b, noise[i])
    return x


# ------------------------------------------------------------------------------------------------- DPS and ΠGDM
def _x0_through_model(eps_model, x_t, t, alpha_bar):
    """A leaf copy ``x`` of ``x_t`` that requires grad, ``eps_pred = eps_model(x, t)`` and ``x0_pred`` (Ho Eq. (4)),
    both still attached to ``x``. Call under ``torch.enable_grad()``."""
    x = x_t.detach().requires_grad_(True)
    eps_pred = eps_model(x, t)
    ab_t = extract(alpha_bar, t, x)
    return x, eps_pred, (x - torch.sqrt(1 - ab_t) * eps_pred) / torch.sqrt(ab_t)


def dps_step(x_t: torch.Tensor, t: torch.Tensor, t_prev: torch.Tensor, eps_model, y: torch.Tensor, op,
             alpha_bar: torch.Tensor, zeta: float, eta: float, noise: torch.Tensor) -> torch.Tensor:
    """One step of diffusion posterior sampling (DPS) for ``y = H x0 + sigma_y n``.

    Reference: Chung, Kim, McCann, Klasky & Ye 2023, arXiv:2209.14687, Algorithm 1, as in the official code
    (github.com/DPS2022/diffusion-posterior-sampling, ``PosteriorSampling``): the unconditional step
    ``ddim_step(x_t, t, t_prev, eps_pred, alpha_bar, eta, noise)`` (with ``eta = 1`` on contiguous steps, the
    paper's DDPM step) minus ``zeta * grad_{x_t} ||y - H x0_pred(x_t)||``. The norm is *not* squared: Algorithm 1
    steps by ``zeta_i`` along the gradient of the squared norm, with ``zeta_i = zeta' / ||r||`` (the paper's
    Appendix C), and ``grad ||r||**2 = 2 ||r|| grad ||r||``, so this function's ``zeta`` (the code's ``scale``,
    applied to the plain norm) is ``2 zeta'``, i.e. ``zeta_i = zeta / (2 ||r||)``. The norm is taken per sample
    (the code takes one norm over the whole batch, the same for ``B = 1``), and the gradient runs through the
    model: ``-(d x0_pred / d x_t)^T H^T r / ||r||`` with ``r = y - H x0_pred``. Two further differences from the
    official code: it clips ``x0_pred`` to ``[-1, 1]`` (``clip_denoised: True``) before forming the residual
    (and the step), and its DDPM step uses the model's learned variance, where ``eta = 1`` here gives the
    posterior variance ``beta_tilde``.

    Args:
        x_t, noise: ``(B, *D)``; t, t_prev: int64 ``(B,)``; eps_model: differentiable ``(x, t) -> (B, *D)``;
        y: ``(B, m)``; op: anything with ``op.H(x) -> (B, m)`` (a ``Degradation``); alpha_bar: ``(T,)``;
        zeta, eta: Python floats.
    Returns:
        ``(B, *D)``, detached.
    """
    with torch.enable_grad():
        x, eps_pred, x0_pred = _x0_through_model(eps_model, x_t, t, alpha_bar)
        residual = (y - op.H(x0_pred)).reshape(x.shape[0], -1)  # (B, m)
        norm = torch.linalg.vector_norm(residual, dim=1)  # (B,), one norm per sample
        (grad,) = torch.autograd.grad(norm.sum(), x)  # samples are independent: d norm_b / d x_b
    x_prev = ddim_step(x_t.detach(), t, t_prev, eps_pred.detach(), alpha_bar, eta, noise)
    return (x_prev - zeta * grad).detach()


def pigdm_step(x_t: torch.Tensor, t: torch.Tensor, t_prev: torch.Tensor, eps_model, y: torch.Tensor,
               op: Degradation, alpha_bar: torch.Tensor, eta: float, noise: torch.Tensor) -> torch.Tensor:
    """One step of pseudoinverse-guided diffusion (ΠGDM) for a noiseless ``y = H x0``.

    Reference: Song, Vahdat, Mardani & Kautz 2023, "Pseudoinverse-Guided Diffusion Models for Inverse Problems"
    (ICLR 2023), Algorithm 1 (noiseless, with DDIM). The guidance is the vector-Jacobian product
    ``g = ((H^+ y - H^+ H x0_pred)^T d x0_pred / d x_t)^T`` through the model, the noiseless form of their
    ``grad log p_t(y | x_t) ≈ r_t^{-2} g`` (``p_t(y | x_t) ≈ N(H x0_pred, r_t^2 H H^T)``). Algorithm 1's update,
    in the paper's notation (its ``alpha_t`` is ``alpha_bar_t`` here, its ``s`` is ``t_prev``), is
    ``x_s = sqrt(ab_s) x0_hat + c1 eps + c2 eps_theta + sqrt(ab_t) g`` (``c1`` is ``ddim_sigma``, ``eps`` fresh
    noise, ``c2 = sqrt(1 - ab_s - c1**2)``), so ``x_{t_prev} = ddim_step(x_t, t, t_prev, eps_pred, alpha_bar, eta,
    noise) + sqrt(ab_t) g``. The weight ``sqrt(ab_t)`` is the paper's heuristic, not derived, and this function
    adds no other guidance scale. Alternatives: the authors' later code (NVlabs/RED-diff, ``algos/pgdm.py``, by
    default) and azula use ``sqrt(ab_prev * ab_t)``; substituting ``grad log p_t ≈ g / r_t^2`` with
    ``r_t^2 = 1 - ab_t`` into DDIM (through Tweedie's ``x0_hat`` and ``eps_theta``) gives
    ``sqrt(ab_prev / ab_t) - c2 / sqrt(1 - ab_t)``. RED-diff's ΠGDM also starts from a noised ``H^+ y`` rather
    than pure noise.

    Args:
        as ``dps_step``; op: a ``Degradation`` (``H`` and ``H_pinv``); y: ``(B, m)``.
    Returns:
        ``(B, *D)``, detached.
    """
    with torch.enable_grad():
        x, eps_pred, x0_pred = _x0_through_model(eps_model, x_t, t, alpha_bar)
        direction = (op.H_pinv(y) - op.H_pinv(op.H(x0_pred))).detach()  # (B, d)
        (g,) = torch.autograd.grad((direction * x0_pred.reshape(x.shape[0], -1)).sum(), x)  # the VJP
    x_prev = ddim_step(x_t.detach(), t, t_prev, eps_pred.detach(), alpha_bar, eta, noise)
    return (x_prev + torch.sqrt(extract(alpha_bar, t, x_prev)) * g).detach()


# ----------------------------------------------------------------------------------------------- the exact oracle
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


__all__ = ["Degradation", "householder", "Inpainting", "Denoising", "SuperResolution", "Colorization", "SeparableBlur",
           "inpaint_V_T", "inpaint_V", "inpaint_singulars", "sr_V_T", "sr_V", "sr_singulars",
           "ddrm_step", "ddrm_init", "ddrm_sample", "dps_step", "pigdm_step", "degradation_matrix", "mixture_posterior"]
