"""The hw1 hidden checks accept correct solutions written in many ways and reject realistic mistakes,
each on its own question only. Runs the real checks in-process (see tests/inprocess.py)."""

import pytest

from autograder.checks import load_suite

from inprocess import apply_edits, assert_caught_on_its_question_only, failures, notebook_namespace

SUITE = load_suite("hw1_score")
FULL = {q.name: q.points for q in SUITE.auto_questions()}

CORRECT = '''
import math
import torch

def gmm_score(x, weights, means, covs):
    diff = x[:, None, :] - means[None]                                # (N, K, d)
    prec = torch.linalg.inv(covs)                                     # (K, d, d)
    pd = torch.einsum("kij,nkj->nki", prec, diff)
    logp = torch.log(weights) - 0.5 * (diff * pd).sum(-1) - 0.5 * torch.logdet(covs)
    r = torch.softmax(logp, dim=1)
    return -(r[..., None] * pd).sum(1)

def tweedie_denoiser(y, score, sigma):
    return y + sigma ** 2 * score

def dsm_loss(score_model, x0, sigma, noise):
    s = sigma.reshape(-1, 1)
    x_tilde = x0 + s * noise
    return 0.5 * ((s * score_model(x_tilde, sigma) + noise) ** 2).sum(dim=1).mean()

def langevin_step(x, score, step_size, noise):
    return x + step_size * score + math.sqrt(2 * step_size) * noise

def annealed_langevin(x, score_fn, sigmas, eps, n_steps, noise):
    for i in range(len(sigmas)):
        alpha = eps * sigmas[i] ** 2 / sigmas[-1] ** 2
        for j in range(n_steps):
            x = langevin_step(x, score_fn(x, sigmas[i]), float(alpha) / 2, noise[i, j])
    return x
'''

# Other correct ways to write the same functions: float32 arithmetic, Cholesky solves, autograd, loops.
VARIANTS = {
    "float32 everywhere": [
        ("    diff = x[:, None, :] - means[None]", "    x, weights, means, covs = x.float(), weights.float(), means.float(), covs.float()\n    diff = x[:, None, :] - means[None]"),
        ("    return y + sigma ** 2 * score", "    return (y.float() + float(sigma) ** 2 * score.float())"),
        ("    return x + step_size * score + math.sqrt(2 * step_size) * noise",
         "    return (x.float() + step_size * score.float() + (2 * step_size) ** 0.5 * noise.float())"),
    ],
    "autograd of log-sum-exp": [
        ("def gmm_score(x, weights, means, covs):\n",
         "def gmm_score(x, weights, means, covs):\n"
         "    x = x.detach().clone().requires_grad_(True)\n"
         "    comps = torch.distributions.MultivariateNormal(means, covariance_matrix=covs)\n"
         "    lp = torch.logsumexp(comps.log_prob(x[:, None, :]) + torch.log(weights), dim=1)\n"
         "    return torch.autograd.grad(lp.sum(), x)[0]\n"),
    ],
    "dsm with the target score written out": [
        ("    return 0.5 * ((s * score_model(x_tilde, sigma) + noise) ** 2).sum(dim=1).mean()",
         "    target = -(x_tilde - x0) / s ** 2\n"
         "    return (0.5 * s ** 2 * (score_model(x_tilde, sigma) - target) ** 2).sum(dim=1).mean()"),
    ],
    "annealed langevin inlined with a float sigma": [
        ("            x = langevin_step(x, score_fn(x, sigmas[i]), float(alpha) / 2, noise[i, j])",
         "            a = float(alpha)\n            x = x + a / 2 * score_fn(x, float(sigmas[i])) + a ** 0.5 * noise[i, j]"),
    ],
}

MISTAKES = {
    "gmm_score": [
        ("    logp = torch.log(weights) - 0.5", "    logp = 0 * torch.log(weights) - 0.5"),  # ignores the weights
        ("    pd = torch.einsum(\"kij,nkj->nki\", prec, diff)", "    pd = diff"),  # identity covariance
        ("    r = torch.softmax(logp, dim=1)", "    r = torch.exp(logp) / torch.exp(logp).sum(1, keepdim=True)"),  # unstable
        ("    return -(r[..., None] * pd).sum(1)", "    return (r[..., None] * pd).sum(1)"),  # sign
        (" - 0.5 * torch.logdet(covs)", ""),  # drops the normalising constant of each component
    ],
    "tweedie_denoiser": [
        ("    return y + sigma ** 2 * score", "    return y + sigma * score"),
        ("    return y + sigma ** 2 * score", "    return y - sigma ** 2 * score"),
    ],
    "dsm_loss": [
        ("    return 0.5 * ((s * score_model(x_tilde, sigma) + noise) ** 2).sum(dim=1).mean()",
         "    return 0.5 * ((score_model(x_tilde, sigma) + noise / s) ** 2).sum(dim=1).mean()"),  # no sigma^2 weight
        ("s * score_model(x_tilde, sigma) + noise", "s * score_model(x_tilde, sigma) - noise"),  # target sign
        ("score_model(x_tilde, sigma)", "score_model(x0, sigma)"),  # model at the clean data
        (".sum(dim=1).mean()", ".sum()"),  # sum over the batch
        ("    return 0.5 * ((s", "    return ((s"),  # missing 1/2
    ],
    "langevin_step": [
        ("math.sqrt(2 * step_size)", "math.sqrt(step_size)"),
        ("math.sqrt(2 * step_size) * noise", "2 * step_size * noise"),
    ],
    "annealed_langevin": [
        ("float(alpha) / 2", "float(alpha)"),
        ("eps * sigmas[i] ** 2 / sigmas[-1] ** 2", "eps * sigmas[i] / sigmas[-1]"),
        ("/ sigmas[-1] ** 2", "/ sigmas[0] ** 2"),
        ("noise[i, j]", "noise[0, j]"),
    ],
}


def test_reference_gets_full_marks():
    assert failures(SUITE, notebook_namespace(CORRECT)) == {}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_correct_variants_get_full_marks(name):
    assert failures(SUITE, notebook_namespace(apply_edits(CORRECT, VARIANTS[name]))) == {}


@pytest.mark.parametrize("question,edit", [(q, e) for q, edits in MISTAKES.items() for e in edits],
                         ids=[f"{q}-{i}" for q, edits in MISTAKES.items() for i in range(len(edits))])
def test_mistake_loses_points_on_its_question_only(question, edit):
    assert_caught_on_its_question_only(SUITE, apply_edits(CORRECT, [edit]), question)


def test_missing_functions_score_zero():
    assert failures(SUITE, notebook_namespace("x = 1")).keys() == FULL.keys()
