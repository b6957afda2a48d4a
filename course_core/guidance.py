"""Guided diffusion: classifier guidance, classifier-free guidance, label dropout, a guided DDIM sampler, and
an exact class-conditional Gaussian-mixture oracle.

References: Dhariwal & Nichol 2021, "Diffusion Models Beat GANs on Image Synthesis", arXiv:2105.05233 (classifier
guidance, §4 and Algorithm 2 in eps form); Ho & Salimans 2022, "Classifier-Free Diffusion Guidance",
arXiv:2207.12598, Eq. (6). Conventions as in ``ddpm`` and ``ddim``: ``t`` int64 ``(B,)``, data ``(B, *D)``,
``alpha_bar_t (B,)`` per-sample values, labels int64 ``(B,)``.
"""

import torch

from . import ddim
from .gmm import GaussianMixture


def _per_sample(v: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A ``(B,)`` tensor shaped ``(B, 1, ..., 1)`` in ``like``'s dtype."""
    return torch.as_tensor(v).to(dtype=like.dtype, device=like.device).reshape(-1, *([1] * (like.dim() - 1)))


def classifier_guided_eps(eps_pred: torch.Tensor, grad_log_p_y: torch.Tensor, alpha_bar_t: torch.Tensor,
                          scale: float) -> torch.Tensor:
    """The noise prediction of classifier guidance at scale ``s``.

    Reference: Dhariwal & Nichol 2021, §4.2 (Algorithm 2): ``eps_pred - s * sqrt(1 - alpha_bar_t) * grad_log_p_y``,
    i.e. the score ``-eps / sqrt(1 - alpha_bar_t)`` plus ``s`` times the classifier's gradient.

    Args:
        eps_pred, grad_log_p_y: ``(B, *D)`` (the gradient of ``log p(y | x_t)`` with respect to ``x_t``);
        alpha_bar_t: ``(B,)``; scale: Python float.
    Returns:
        ``(B, *D)`` in ``eps_pred``'s dtype.
    """
    return eps_pred - scale * torch.sqrt(1 - _per_sample(alpha_bar_t, eps_pred)) * grad_log_p_y


def cfg_eps(eps_cond: torch.Tensor, eps_uncond: torch.Tensor, guidance_scale: float) -> torch.Tensor:
    """The classifier-free guided noise prediction, ``eps_uncond + guidance_scale * (eps_cond - eps_uncond)``.

    Reference: Ho & Salimans 2022, Eq. (6), written ``(1 + w) eps_c - w eps_u``: ``guidance_scale = 1 + w``
    (diffusers' ``guidance_scale``). ``guidance_scale = 1`` is conditional, ``0`` unconditional sampling.
    """
    return eps_uncond + guidance_scale * (eps_cond - eps_uncond)


def classifier_grad(logits_fn, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``grad_x log softmax(logits_fn(x))[y]``, per sample, by autograd.

    Args:
        logits_fn: callable ``x (B, *D) -> (B, K)`` logits; x: ``(B, *D)``; y: int64 ``(B,)`` in ``[0, K)``.
    Returns:
        ``(B, *D)`` in ``x``'s dtype, detached (works under ``torch.no_grad()``).
    """
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        log_p = torch.log_softmax(logits_fn(x), dim=-1)  # (B, K)
        picked = log_p.gather(1, y.reshape(-1, 1).to(log_p.device)).sum()  # samples are independent
        return torch.autograd.grad(picked, x)[0].detach()


def implicit_classifier_grad(eps_cond: torch.Tensor, eps_uncond: torch.Tensor,
                             alpha_bar_t: torch.Tensor) -> torch.Tensor:
    """The classifier gradient ``grad_x log p_t(y | x_t)`` implied by a conditional and an unconditional noise
    prediction.

    Reference: Ho & Salimans 2022, §3.2 (the implicit classifier ``p(y | x) ∝ p(x | y) / p(x)``): with
    ``eps = -sqrt(1 - alpha_bar_t) * score`` (Tweedie's formula under Ho et al. 2020, Eq. (4)), Bayes' rule gives
    ``-(eps_cond - eps_uncond) / sqrt(1 - alpha_bar_t)``. With the exact noise predictions it is the exact
    classifier's gradient (``LabelledMixture.classifier_grad``), which is why classifier guidance at scale ``s``
    and CFG at ``guidance_scale = s`` agree.

    Args:
        eps_cond, eps_uncond: ``(B, *D)``; alpha_bar_t: ``(B,)``.
    Returns:
        ``(B, *D)`` in ``eps_cond``'s dtype.
    """
    return -(eps_cond - eps_uncond) / torch.sqrt(1 - _per_sample(alpha_bar_t, eps_cond))


def drop_labels(y: torch.Tensor, p_uncond: float, null_label: int, u: torch.Tensor) -> torch.Tensor:
    """Label dropout for classifier-free guidance training: ``null_label`` where ``u < p_uncond``, else ``y``.

    Reference: Ho & Salimans 2022, Algorithm 1 (``p_uncond``). ``u`` holds the uniform draws (randomness passed in).

    Args:
        y: int64 ``(B,)``; p_uncond: Python float in ``[0, 1]``; null_label: int; u: ``(B,)`` uniform in ``[0, 1)``.
    Returns:
        int64 ``(B,)``.
    Raises:
        ValueError: ``null_label`` is one of the labels in ``y`` (it would erase a real class).
    """
    if bool((y == null_label).any()):
        raise ValueError(f"null_label {null_label} is also a real label in y; use a value no class has "
                         "(e.g. the number of classes)")
    return torch.where(u < p_uncond, torch.full_like(y, null_label), y)


def cfg_ddim_sample(eps_model, x_T: torch.Tensor, y: torch.Tensor, null_label: int, guidance_scale: float,
                    alpha_bar: torch.Tensor, timesteps: torch.Tensor, eta: float, noise: torch.Tensor) -> torch.Tensor:
    """DDIM sampling (``ddim.ddim_sample``'s loop) with the classifier-free guided noise prediction.

    ``eps_model(x, t, y)`` is conditional on labels; ``y = null_label`` asks it for the unconditional prediction.
    At each step ``eps = cfg_eps(eps_model(x, t, y), eps_model(x, t, null), guidance_scale)``.

    Args:
        x_T: ``(B, *D)``; y: int64 ``(B,)``; timesteps: int64 ``(S,)`` descending; noise: ``(S, B, *D)``.
    Returns:
        ``(B, *D)``.
    """
    null = torch.full_like(y, null_label)
    guided = lambda x, t: cfg_eps(eps_model(x, t, y), eps_model(x, t, null), guidance_scale)  # noqa: E731
    return ddim.ddim_sample(guided, x_T, alpha_bar, timesteps, eta, noise)


class LabelledMixture:
    """A class-conditional Gaussian mixture: component ``k`` has weight ``pi_k`` and class ``labels[k]``, so
    ``p(x | y = c)`` is the mixture of the components of class ``c`` and ``p(y = c)`` their total weight.

    Under VP noising (Ho et al. 2020, Eq. (4)) every score is exact: unconditional, conditional, and the
    classifier's ``grad_x log p(y | x_t) = grad log p_t(x | y) - grad log p_t(x)`` (Bayes' rule).
    """

    def __init__(self, weights: torch.Tensor, means: torch.Tensor, covs: torch.Tensor, labels: torch.Tensor):
        self.mixture = GaussianMixture(weights, means, covs)
        self.labels = torch.as_tensor(labels, dtype=torch.int64)
        self.num_classes = int(self.labels.max()) + 1

    def _noised(self, alpha_bar: float, c: int | None) -> GaussianMixture:
        m = self.mixture.noised_vp(alpha_bar)
        if c is None:
            return m
        keep = self.labels == c
        return GaussianMixture(m.weights[keep] / m.weights[keep].sum(), m.means[keep], m.covs[keep])

    def class_prior(self) -> torch.Tensor:
        """``p(y)``, shape ``(num_classes,)``."""
        return torch.zeros(self.num_classes, dtype=self.mixture.weights.dtype).index_add_(
            0, self.labels, self.mixture.weights)

    def score(self, x_t: torch.Tensor, alpha_bar: float, y: torch.Tensor | None = None) -> torch.Tensor:
        """``grad log p_t(x_t)``, or ``grad log p_t(x_t | y)`` per sample; ``x_t (N, d)``, ``y`` int64 ``(N,)``."""
        if y is None:
            return self._noised(alpha_bar, None).score(x_t)
        out = torch.empty_like(x_t)
        for c in torch.unique(y).tolist():
            rows = y == c
            out[rows] = self._noised(alpha_bar, c).score(x_t[rows])
        return out

    def eps(self, x_t: torch.Tensor, alpha_bar: float, y: torch.Tensor | None = None) -> torch.Tensor:
        """The exact noise prediction ``-sqrt(1 - alpha_bar) * score`` (conditional when ``y`` is given)."""
        return -(1 - alpha_bar) ** 0.5 * self.score(x_t, alpha_bar, y)

    def logits(self, x_t: torch.Tensor, alpha_bar: float) -> torch.Tensor:
        """``log p(y = c) + log p_t(x_t | c)`` for every class: the exact classifier's logits, ``(N, num_classes)``."""
        prior = self.class_prior()
        return torch.stack([torch.log(prior[c]) + self._noised(alpha_bar, c).log_prob(x_t)
                            for c in range(self.num_classes)], dim=1)

    def classifier_grad(self, x_t: torch.Tensor, alpha_bar: float, y: torch.Tensor) -> torch.Tensor:
        """``grad_x log p_t(y | x_t)`` in closed form: the conditional minus the unconditional score."""
        return self.score(x_t, alpha_bar, y) - self.score(x_t, alpha_bar)


def dynamic_threshold(x0_pred: torch.Tensor, percentile: float) -> torch.Tensor:
    """Imagen's dynamic thresholding of a predicted clean sample, per sample.

    Reference: Saharia et al. 2022, "Photorealistic Text-to-Image Diffusion Models with Deep Language
    Understanding", arXiv:2205.11487, §2.3 (large guidance weight samplers): ``s`` is the ``percentile`` quantile
    of ``|x0_pred|`` over each sample's entries (``torch.quantile``, linear interpolation), ``s = max(s, 1)``, and
    the prediction becomes ``clip(x0_pred, -s, s) / s``. A sample already inside ``[-1, 1]`` is unchanged (``s = 1``);
    static thresholding is ``clip(x0_pred, -1, 1)``.

    Args:
        x0_pred: ``(B, *D)`` float; percentile: Python float in ``[0, 1]`` (Imagen uses 0.995).
    Returns:
        ``(B, *D)`` in ``x0_pred``'s dtype, every entry in ``[-1, 1]``.
    """
    s = torch.quantile(x0_pred.reshape(x0_pred.shape[0], -1).abs(), percentile, dim=1).clamp(min=1)  # (B,)
    s = _per_sample(s, x0_pred)
    return torch.maximum(torch.minimum(x0_pred, s), -s) / s
