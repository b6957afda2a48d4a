"""The hw2 hidden checks accept correct solutions written in many ways and reject realistic mistakes,
each on its own question only. Runs the real checks in-process (see tests/inprocess.py)."""

import pytest

from autograder.checks import load_suite

from inprocess import apply_edits, assert_caught_on_its_question_only, failures, notebook_namespace

SUITE = load_suite("hw2_ddpm")
FULL = {q.name: q.points for q in SUITE.auto_questions()}

CORRECT = '''
import math
import torch
from course_core.toy import discretized_gaussian_log_likelihood

def _at(v, t, x):
    return v[t].to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))

def linear_beta_schedule(T, beta_start=1e-4, beta_end=0.02):
    return torch.linspace(beta_start, beta_end, T, dtype=torch.float64)

def cosine_beta_schedule(T, s=0.008, max_beta=0.999):
    f = lambda u: math.cos((u / T + s) / (1 + s) * math.pi / 2) ** 2
    return torch.tensor([min(1 - f(i + 1) / f(i), max_beta) for i in range(T)], dtype=torch.float64)

def q_sample(x0, t, noise, alpha_bar):
    ab = _at(alpha_bar, t, x0)
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise

def q_posterior_mean_variance(x0, x_t, t, beta):
    alpha = 1 - beta
    alpha_bar = torch.cumprod(alpha, 0)
    alpha_bar_prev = torch.cat([torch.ones(1, dtype=beta.dtype), alpha_bar[:-1]])
    c0 = _at(alpha_bar_prev.sqrt() * beta / (1 - alpha_bar), t, x0)
    ct = _at(alpha.sqrt() * (1 - alpha_bar_prev) / (1 - alpha_bar), t, x0)
    var = _at((1 - alpha_bar_prev) / (1 - alpha_bar) * beta, t, x0)
    return c0 * x0 + ct * x_t, var

def predict_x0_from_eps(x_t, t, eps, alpha_bar):
    ab = _at(alpha_bar, t, x_t)
    return (x_t - (1 - ab).sqrt() * eps) / ab.sqrt()

def ddpm_step(x_t, t, eps_pred, beta, noise, variance="small"):
    alpha_bar = torch.cumprod(1 - beta, 0)
    x0_pred = predict_x0_from_eps(x_t, t, eps_pred, alpha_bar)
    mean, var = q_posterior_mean_variance(x0_pred, x_t, t, beta)
    if variance == "large":
        var = _at(beta, t, x_t)
    nonzero = (t > 0).to(x_t.dtype).reshape(-1, *([1] * (x_t.dim() - 1)))
    return mean + nonzero * var.sqrt() * noise

def l_simple(eps_model, x0, t, noise, alpha_bar):
    x_t = q_sample(x0, t, noise, alpha_bar)
    return ((noise - eps_model(x_t, t)) ** 2).mean()

def ddpm_sample(eps_model, x_T, beta, noise, variance="small"):
    x = x_T
    for i in reversed(range(len(beta))):
        t = torch.full((x.shape[0],), i, dtype=torch.long)
        x = ddpm_step(x, t, eps_model(x, t), beta, noise[i], variance)
    return x

def normal_kl(mean1, logvar1, mean2, logvar2):
    return 0.5 * (-1.0 + logvar2 - logvar1 + torch.exp(logvar1 - logvar2) + (mean1 - mean2) ** 2 * torch.exp(-logvar2))

def vlb_bits_per_dim(eps_model, x0, beta, noise):
    T, B = len(beta), x0.shape[0]
    alpha_bar = torch.cumprod(1 - beta, 0)
    last = torch.full((B,), T - 1, dtype=torch.long)
    ab = _at(alpha_bar, last, x0)
    prior = normal_kl(ab.sqrt() * x0, torch.log(1 - ab), torch.zeros_like(x0), torch.zeros_like(x0))
    total = prior.flatten(1).mean(1)
    one = torch.ones(B, dtype=torch.long)
    for i in range(T):
        t = torch.full((B,), i, dtype=torch.long)
        x_t = q_sample(x0, t, noise[i], alpha_bar)
        x0_pred = predict_x0_from_eps(x_t, t, eps_model(x_t, t), alpha_bar)
        if i == 0:
            _, var1 = q_posterior_mean_variance(x0, x_t, one, beta)
            ll = discretized_gaussian_log_likelihood(x0, x0_pred, 0.5 * torch.log(var1))
            total = total - ll.flatten(1).mean(1)
        else:
            m_true, var = q_posterior_mean_variance(x0, x_t, t, beta)
            m_model, _ = q_posterior_mean_variance(x0_pred, x_t, t, beta)
            total = total + normal_kl(m_true, torch.log(var), m_model, torch.log(var)).flatten(1).mean(1)
    return total / math.log(2)
'''

VARIANTS = {
    "float32 data path": [
        ("    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise",
         "    return (ab.float().sqrt() * x0.float() + (1 - ab.float()).sqrt() * noise.float())"),
        ("    return (x_t - (1 - ab).sqrt() * eps) / ab.sqrt()",
         "    x_t, eps, ab = x_t.float(), eps.float(), ab.float()\n    return (x_t - (1 - ab).sqrt() * eps) / ab.sqrt()"),
    ],
    "full-shape posterior variance and gather": [
        ("    var = _at((1 - alpha_bar_prev) / (1 - alpha_bar) * beta, t, x0)",
         "    var = torch.gather((1 - alpha_bar_prev) / (1 - alpha_bar) * beta, 0, t).to(x0.dtype)\n"
         "    var = var.view(-1, *([1] * (x0.dim() - 1))).expand_as(x0).clone()"),
    ],
    "ddpm_step with Ho et al. Eq. (11)": [
        ("    alpha_bar = torch.cumprod(1 - beta, 0)\n    x0_pred = predict_x0_from_eps(x_t, t, eps_pred, alpha_bar)\n"
         "    mean, var = q_posterior_mean_variance(x0_pred, x_t, t, beta)\n",
         "    alpha = 1 - beta\n    alpha_bar = torch.cumprod(alpha, 0)\n"
         "    ab_prev = torch.cat([torch.ones(1, dtype=beta.dtype), alpha_bar[:-1]])\n"
         "    mean = (x_t - _at(beta / (1 - alpha_bar).sqrt(), t, x_t) * eps_pred) / _at(alpha.sqrt(), t, x_t)\n"
         "    var = _at((1 - ab_prev) / (1 - alpha_bar) * beta, t, x_t)\n"),
    ],
    "schedules with numpy": [
        ("    return torch.linspace(beta_start, beta_end, T, dtype=torch.float64)",
         "    import numpy as np\n    return torch.from_numpy(np.linspace(beta_start, beta_end, T))"),
        ("    f = lambda u: math.cos((u / T + s) / (1 + s) * math.pi / 2) ** 2\n"
         "    return torch.tensor([min(1 - f(i + 1) / f(i), max_beta) for i in range(T)], dtype=torch.float64)",
         "    import numpy as np\n    u = np.arange(T + 1) / T\n    ab = np.cos((u + s) / (1 + s) * np.pi / 2) ** 2\n"
         "    return torch.from_numpy(np.minimum(1 - ab[1:] / ab[:-1], max_beta))"),
    ],
    "normal_kl with torch.distributions": [
        ("    return 0.5 * (-1.0 + logvar2 - logvar1",
         "    D = torch.distributions.Normal\n"
         "    m1, l1, m2, l2 = torch.broadcast_tensors(mean1, logvar1, mean2, logvar2)\n"
         "    return torch.distributions.kl_divergence(D(m1, (0.5 * l1).exp()), D(m2, (0.5 * l2).exp()))\n"
         "    return 0.5 * (-1.0 + logvar2 - logvar1"),
    ],
    "renamed parameters": [
        ("def q_sample(x0, t, noise, alpha_bar):\n    ab = _at(alpha_bar, t, x0)\n    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise",
         "def q_sample(x_start, timesteps, eps, alphas_cumprod):\n    ab = _at(alphas_cumprod, timesteps, x_start)\n"
         "    return ab.sqrt() * x_start + (1 - ab).sqrt() * eps"),
    ],
    "l_simple with F.mse_loss": [
        ("    return ((noise - eps_model(x_t, t)) ** 2).mean()",
         "    return torch.nn.functional.mse_loss(eps_model(x_t, t), noise)"),
    ],
}

MISTAKES = {
    "schedules": [
        ("torch.linspace(beta_start, beta_end, T, dtype=torch.float64)",
         "torch.linspace(beta_start, beta_end, T + 1, dtype=torch.float64)[:-1]"),
        ("(u / T + s) / (1 + s)", "(u / T) / (1 + s)"),  # no offset s
        ("min(1 - f(i + 1) / f(i), max_beta)", "1 - f(i + 1) / f(i)"),  # no clipping
        ("for i in range(T)]", "for i in range(1, T + 1)]"),  # off by one
        ("min(1 - f(i + 1) / f(i), max_beta)", "min(f(i + 1) / f(0), max_beta)"),  # alpha_bar for beta
    ],
    "q_sample": [
        ("    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise", "    return ab * x0 + (1 - ab) * noise"),  # missing sqrt
        ("    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise", "    return (1 - ab).sqrt() * x0 + ab.sqrt() * noise"),
        ("    ab = _at(alpha_bar, t, x0)\n    return ab.sqrt()", "    ab = _at(alpha_bar, t - 1, x0)\n    return ab.sqrt()"),
    ],
    "q_posterior": [
        ("    return c0 * x0 + ct * x_t, var", "    return c0 * x0 + ct * x_t, _at(beta, t, x0)"),  # beta_t as variance
        ("    c0 = _at(alpha_bar_prev.sqrt() * beta / (1 - alpha_bar), t, x0)",
         "    c0 = _at(alpha_bar_prev.sqrt() * beta / (1 - alpha), t, x0)"),  # alpha for alpha_bar
        ("alpha_bar_prev = torch.cat([torch.ones(1, dtype=beta.dtype), alpha_bar[:-1]])",
         "alpha_bar_prev = torch.roll(alpha_bar, 1)"),  # wraps around at t = 0
        ("    ct = _at(alpha.sqrt() * (1 - alpha_bar_prev)", "    ct = _at(alpha * (1 - alpha_bar_prev)"),
    ],
    "predict_x0": [
        ("    return (x_t - (1 - ab).sqrt() * eps) / ab.sqrt()", "    return (x_t - (1 - ab) * eps) / ab.sqrt()"),
        ("    return (x_t - (1 - ab).sqrt() * eps) / ab.sqrt()", "    return (x_t + (1 - ab).sqrt() * eps) / ab.sqrt()"),
    ],
    "ddpm_step": [
        ("    return mean + nonzero * var.sqrt() * noise", "    return mean + var.sqrt() * noise"),  # noise at t = 0
        ("    return mean + nonzero * var.sqrt() * noise", "    return mean + nonzero * var * noise"),
        ("    if variance == \"large\":\n        var = _at(beta, t, x_t)", "    var = _at(beta, t, x_t)"),
        ("    if variance == \"large\":", "    if variance == \"small\":"),
    ],
    "l_simple": [
        ("    return ((noise - eps_model(x_t, t)) ** 2).mean()", "    return ((noise - eps_model(x_t, t)) ** 2).sum()"),
        ("    return ((noise - eps_model(x_t, t)) ** 2).mean()", "    return ((noise - eps_model(x0, t)) ** 2).mean()"),
        ("    return ((noise - eps_model(x_t, t)) ** 2).mean()", "    return ((noise - eps_model(x_t, t + 1)) ** 2).mean()"),
    ],
    "ddpm_sample": [
        ("    for i in reversed(range(len(beta))):", "    for i in range(len(beta)):"),
        ("        x = ddpm_step(x, t, eps_model(x, t), beta, noise[i], variance)",
         "        x = ddpm_step(x, t, eps_model(x, t), beta, noise[i])"),  # drops the variance choice
        ("eps_model(x, t), beta, noise[i]", "eps_model(x_T, t), beta, noise[i]"),
        ("beta, noise[i], variance)", "beta, noise[len(beta) - 1 - i], variance)"),
    ],
    "normal_kl": [
        ("0.5 * (-1.0 + logvar2 - logvar1", "0.5 * (-1.0 + logvar1 - logvar2"),
        ("    return 0.5 * (-1.0", "    return (-1.0"),
    ],
    "vlb_bpd": [
        ("    total = prior.flatten(1).mean(1)", "    total = 0 * prior.flatten(1).mean(1)"),  # drops L_T
        ("    return total / math.log(2)", "    return total"),  # nats
        ("ll = discretized_gaussian_log_likelihood(x0, x0_pred,", "ll = discretized_gaussian_log_likelihood(x0, x_t,"),
        (".flatten(1).mean(1)\n    return", ".flatten(1).sum(1)\n    return"),
        ("    for i in range(T):", "    for i in range(1, T):"),  # forgets the decoder term
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
