"""hw2's support module: the exact noise predictor of a Gaussian mixture under VP noising.

Student support module of hw2 only (grading_config/hw2_ddpm.toml): the build writes it next to the hw2 notebook,
with the source of every function imported from ``course_core`` on a line marked ``# shipped`` inlined in place
of the import (so the student's copy imports only torch). It is kept out of hw1's ``toy.py`` because
``mixture_eps`` computes, by autograd, the score of a Gaussian mixture: hw1's first question.
"""
import torch  # noqa: F401 - the shipped function below needs it in the student's copy

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

__all__ = ["mixture_eps"]
