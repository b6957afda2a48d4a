"""The conventions of docs/API.md, tested once: signatures, index convention, shapes, dtypes, randomness; and
mutation tests showing that the randomness test fails on functions that use torch's global RNG."""
import importlib
import inspect
import math
import re
from pathlib import Path

import pytest
import torch
from mutation import catches

import course_core.ddim as ddim
import course_core.ddpm as ddpm
import course_core.gmm as gmm
import course_core.guidance as guidance
import course_core.schedules as schedules
import course_core.score as score
import course_core.toy as toy
from course_core._broadcast import extract

API = (Path(__file__).resolve().parents[1] / "docs" / "API.md").read_text()


def _params(sig_text):
    """'x, t, noise, variance="small"' -> [('x', None), ..., ('variance', '"small"')], '*' dropped."""
    out = []
    for part in (p.strip() for p in sig_text.split(",")):
        if part in ("", "*"):
            continue
        name, _, default = part.partition("=")
        out.append((name.strip(), default.strip() or None))
    return out


def _api_table_rows():
    """(modules, function, signature) of every graded function: an assignment's section of docs/API.md names
    its course_core modules in its heading, e.g. `## hw1_score: ... (`course_core.gmm`, `course_core.score`)`."""
    rows, modules = [], []
    for line in API.splitlines():
        if line.startswith("## "):
            modules = [importlib.import_module(m) for m in re.findall(r"`(course_core\.\w+)`", line)]
        m = re.match(r"^\| `(\w+)\((.*?)\)` \|", line)
        if m and modules:
            rows.append((modules, m.group(1), m.group(2)))
    return rows


ROWS = _api_table_rows()
HELPERS = [
    (schedules, "alpha_bar_from_beta(beta)"),
    (schedules, "alpha_bar_prev(alpha_bar)"),
    (ddpm, "discretized_gaussian_log_likelihood(x, mean, log_scale)"),
    (ddpm, 'p_sample_loop(eps_model, shape, beta, *, generator, variance="small", dtype=torch.float32)'),
    (score, "score_from_eps(eps, t, alpha_bar)"),
    (score, "eps_from_score(score, t, alpha_bar)"),
    (score, "x0_from_score(x_t, t, score, alpha_bar)"),
    (toy, "ring_mixture(K=8, radius=2.0, std=0.15, dtype=torch.float64)"),
    (toy, "sample_mixture(weights, means, covs, n, *, generator)"),
    (toy, "quantize(x, lo=-1.0, hi=1.0)"),
    (toy, "train(model, loss_fn, data, *, steps, batch_size, lr, generator)"),
    (toy, "plot_samples(x, ax=None, title=None)"),
    (toy, "plot_vector_field(fn, lim=3.0, n=21, ax=None)"),
]


def _assert_signature(fn, sig_text):
    expected = _params(sig_text)
    actual = [(p.name, None if p.default is inspect.Parameter.empty else p.default)
              for p in inspect.signature(fn).parameters.values() if p.name != "self"]
    assert [n for n, _ in actual] == [n for n, _ in expected], fn.__name__
    for (name, default), (_, got) in zip(expected, actual):
        if default is not None:
            assert got == eval(default, {"torch": torch}), (fn.__name__, name)  # noqa: S307


def test_api_tables_were_parsed():
    assert len(ROWS) >= 15  # 5 in hw1_score, 10 in hw2_ddpm when written


@pytest.mark.parametrize("modules,name,sig", ROWS, ids=[r[1] for r in ROWS])
def test_graded_function_signatures_match_api(modules, name, sig):
    fn = next(getattr(m, name) for m in modules if hasattr(m, name))
    _assert_signature(fn, sig)


@pytest.mark.parametrize("module,sig", HELPERS, ids=[h[1].split("(")[0] for h in HELPERS])
def test_helper_signatures_match_api(module, sig):
    _assert_signature(getattr(module, sig.split("(")[0]), sig.split("(", 1)[1].rsplit(")", 1)[0])


def test_class_signatures():
    _assert_signature(gmm.GaussianMixture.__init__, "weights, means, covs")
    _assert_signature(gmm.GaussianMixture.sample, "n, *, generator")
    _assert_signature(toy.TimeMLP.__init__, "d=2, hidden=128, emb_dim=32, *, generator")
    for name, sig in [("log_prob", "x"), ("score", "x"), ("responsibilities", "x"), ("noised_vp", "alpha_bar"),
                      ("noised_ve", "sigma"), ("denoise_vp", "x_t, alpha_bar"), ("denoise_ve", "y, sigma")]:
        _assert_signature(getattr(gmm.GaussianMixture, name), sig)


# ----------------------------------------------------------------------------- broadcasting helper


@pytest.mark.parametrize("data_shape", [(4, 2), (4, 3, 8, 8), (4,)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16])
def test_extract_shape_dtype(data_shape, dtype):
    schedule = torch.linspace(0.1, 0.9, 10, dtype=torch.float64)
    t = torch.tensor([0, 3, 9, 3])
    out = extract(schedule, t, torch.zeros(data_shape, dtype=dtype))
    assert out.shape == (4,) + (1,) * (len(data_shape) - 1)
    assert out.dtype == dtype
    torch.testing.assert_close(out.reshape(-1), schedule[t].to(dtype))


# ----------------------------------------------------------------------------- index convention

BETA = schedules.linear_beta_schedule(100)
ALPHA_BAR = schedules.alpha_bar_from_beta(BETA)


def test_index_t_is_paper_step_t_plus_one():
    """Index 0 is step 1: alpha_bar[0] = 1 - beta[0]; before it alpha_bar = 1; the posterior at index 0 is x0."""
    assert ALPHA_BAR[0].item() == 1 - BETA[0].item()
    assert schedules.alpha_bar_prev(ALPHA_BAR)[0].item() == 1.0
    x0, noise = torch.ones(2, 3, dtype=torch.float64), torch.ones(2, 3, dtype=torch.float64)
    t0 = torch.zeros(2, dtype=torch.int64)
    x1 = ddpm.q_sample(x0, t0, noise, ALPHA_BAR)  # the paper's x_1
    torch.testing.assert_close(x1, (torch.sqrt(1 - BETA[0]) + torch.sqrt(BETA[0])) * x0)
    _, var = ddpm.q_posterior_mean_variance(x0, x1, t0, BETA)
    assert torch.all(var == 0)


# ----------------------------------------------------------------------------- dtype and shape follow the data


def _eps_model(x, t):
    return 0.5 * x


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(3, 2), (3, 1, 4, 4)])
def test_results_keep_data_dtype_and_shape(dtype, shape):
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(shape, generator=g).to(dtype).clamp(-1, 1)
    noise = torch.randn(shape, generator=g).to(dtype)
    t = torch.tensor([0, 50, 99])
    checks = [
        ddpm.q_sample(x0, t, noise, ALPHA_BAR),
        ddpm.q_posterior_mean_variance(x0, x0, t, BETA)[0],
        ddpm.predict_x0_from_eps(x0, t, noise, ALPHA_BAR),
        ddpm.ddpm_step(x0, t, noise, BETA, noise),
        ddpm.ddpm_step(x0, t, noise, BETA, noise, "large"),
        ddpm.ddpm_sample(_eps_model, x0, BETA, noise.expand(100, *shape)),
        score.score_from_eps(noise, t, ALPHA_BAR),
        score.eps_from_score(noise, t, ALPHA_BAR),
        score.x0_from_score(x0, t, noise, ALPHA_BAR),
    ]
    for out in checks:
        assert out.shape == shape and out.dtype == dtype
    assert ddpm.q_posterior_mean_variance(x0, x0, t, BETA)[1].shape == (3,) + (1,) * (len(shape) - 1)
    assert ddpm.l_simple(_eps_model, x0, t, noise, ALPHA_BAR).dtype == dtype
    grid = toy.quantize(x0)
    vlb = ddpm.vlb_bits_per_dim(_eps_model, grid, BETA, noise.expand(100, *shape))
    assert vlb.shape == (3,) and vlb.dtype == dtype


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_hw1_functions_keep_dtype(dtype):
    g = torch.Generator().manual_seed(0)
    w, m, c = toy.ring_mixture()
    x = torch.randn(5, 2, generator=g).to(dtype)
    s = gmm.gmm_score(x, w, m, c)
    assert s.dtype == dtype and s.shape == (5, 2)
    assert score.tweedie_denoiser(x, s, 0.5).dtype == dtype
    assert score.langevin_step(x, s, 0.01, x).dtype == dtype
    sig = torch.full((5,), 0.5, dtype=dtype)
    assert score.dsm_loss(lambda y, sg: -y, x, sig, x).dtype == dtype
    noise = torch.randn(2, 3, 5, 2, generator=g).to(dtype)
    out = score.annealed_langevin(x, lambda y, sg: -y, torch.tensor([1.0, 0.1], dtype=dtype), 1e-3, 3, noise)
    assert out.dtype == dtype and out.shape == (5, 2)


# ----------------------------------------------------------------------------- randomness only via generator / noise


STOCHASTIC = [ddpm.q_sample, ddpm.ddpm_step, ddpm.l_simple, ddpm.ddpm_sample, ddpm.vlb_bits_per_dim,
              ddpm.p_sample_loop, ddpm.posterior_moments_mc, ddim.ddim_step, ddim.ddim_sample,
              guidance.cfg_ddim_sample, score.dsm_loss, score.dsm_esm_gap, score.langevin_step,
              score.langevin_chain_variance, score.annealed_langevin, gmm.GaussianMixture.sample, toy.sample_mixture,
              toy.train, toy.TimeMLP.__init__]


def _train(g):
    loss = lambda mdl, x0, gen: (mdl(x0, torch.randint(0, 10, (x0.shape[0],), generator=gen)) ** 2).mean()  # noqa: E731
    return toy.train(toy.TimeMLP(hidden=8, generator=g), loss, torch.randn(20, 2, generator=g), steps=3, batch_size=4,
                     lr=1e-3, generator=g)


def _x(g, *shape):
    return torch.randn(*shape, generator=g, dtype=torch.float64)


T0 = torch.tensor([0, 50, 99])
# One call of every stochastic function, with its generator or with noise drawn from it; looked up on the module
# (or class) at call time, so that a mutant patched there is the one called.
CALLS = {
    "q_sample": lambda g: ddpm.q_sample(_x(g, 3, 2), T0, _x(g, 3, 2), ALPHA_BAR),
    "ddpm_step": lambda g: ddpm.ddpm_step(_x(g, 3, 2), T0, _x(g, 3, 2), BETA, _x(g, 3, 2)),
    "l_simple": lambda g: ddpm.l_simple(_eps_model, _x(g, 3, 2), T0, _x(g, 3, 2), ALPHA_BAR),
    "ddpm_sample": lambda g: ddpm.ddpm_sample(_eps_model, _x(g, 4, 2), BETA, _x(g, 100, 4, 2)),
    "vlb_bits_per_dim": lambda g: ddpm.vlb_bits_per_dim(_eps_model, toy.quantize(_x(g, 2, 2)), BETA, _x(g, 100, 2, 2)),
    "p_sample_loop": lambda g: ddpm.p_sample_loop(_eps_model, (4, 2), BETA, generator=g),
    "dsm_loss": lambda g: score.dsm_loss(lambda y, s: -y, _x(g, 4, 2), torch.ones(4, dtype=torch.float64), _x(g, 4, 2)),
    "ddim_step": lambda g: ddim.ddim_step(_x(g, 3, 2), T0, (T0 - 7).clamp(min=-1), _x(g, 3, 2), ALPHA_BAR, 0.5, _x(g, 3, 2)),
    "ddim_sample": lambda g: ddim.ddim_sample(_eps_model, _x(g, 4, 2), ALPHA_BAR, ddim.ddim_timesteps(100, 5), 1.0,
                                              _x(g, 5, 4, 2)),
    "cfg_ddim_sample": lambda g: guidance.cfg_ddim_sample(lambda x, t, y: _eps_model(x, t), _x(g, 4, 2),
                                                          torch.zeros(4, dtype=torch.int64), 2, 3.0, ALPHA_BAR,
                                                          ddim.ddim_timesteps(100, 5), 1.0, _x(g, 5, 4, 2)),
    "posterior_moments_mc": lambda g: ddpm.posterior_moments_mc(_x(g, 2), 3, BETA, _x(g, 4, 6, 2)),
    "dsm_esm_gap": lambda g: score.dsm_esm_gap(lambda y, s: -y, _x(g, 4, 2), torch.ones(4, dtype=torch.float64), _x(g, 4, 2),
                                               lambda y, s: -0.5 * y),
    "langevin_step": lambda g: score.langevin_step(_x(g, 4, 2), _x(g, 4, 2), 0.01, _x(g, 4, 2)),
    "langevin_chain_variance": lambda g: score.langevin_chain_variance(_x(g, 4, 2), 1.0, 0.1, _x(g, 3, 4, 2)),
    "annealed_langevin": lambda g: score.annealed_langevin(_x(g, 4, 2), lambda y, s: -y,
                                                          torch.tensor([1.0, 0.1], dtype=torch.float64), 1e-3, 2,
                                                          _x(g, 2, 2, 4, 2)),
    "GaussianMixture.sample": lambda g: gmm.GaussianMixture(*toy.ring_mixture()).sample(10, generator=g),
    "sample_mixture": lambda g: toy.sample_mixture(*toy.ring_mixture(), 10, generator=g),
    "train": _train,
    "TimeMLP.__init__": lambda g: toy.TimeMLP(hidden=8, generator=g),
}


def _uses_no_global_rng(call):
    """A snapshot of torch's global RNG, taken before the call, is unchanged after it."""
    g = torch.Generator().manual_seed(0)
    state = torch.random.get_rng_state()
    call(g)
    assert torch.equal(torch.random.get_rng_state(), state), "torch's global RNG was used"


def test_every_stochastic_function_is_checked():
    assert sorted(CALLS) == sorted(fn.__qualname__ for fn in STOCHASTIC)


@pytest.mark.parametrize("name", list(CALLS))
def test_no_global_rng_is_used(name):
    """Randomness only through generator= or noise=: torch's global RNG state is unchanged by the call."""
    _uses_no_global_rng(CALLS[name])


def test_stochastic_functions_take_generator_or_noise_never_both():
    for fn in STOCHASTIC:
        names = set(inspect.signature(fn).parameters)
        assert len(names & {"generator", "noise"}) == 1, fn.__name__


# ----------------------------------------------------------------------------- mutation tests of the tests
# Each mutant draws from torch's global RNG (a `generator=` forgotten, or a noise argument ignored) and
# test_no_global_rng_is_used must catch it in every call that reaches it.


def _gmm_sample_z_global(self, n, *, generator):
    """Mutant: the Gaussian draws of GaussianMixture.sample without generator=."""
    k = torch.multinomial(self.weights.to(torch.float64), n, replacement=True, generator=generator)
    z = torch.randn(n, self.dim, dtype=self.means.dtype)
    L = torch.linalg.cholesky(self.covs)
    return self.means[k] + (L[k] @ z[..., None])[..., 0]


def _gmm_sample_labels_global(self, n, *, generator):
    """Mutant: the component labels of GaussianMixture.sample without generator=."""
    k = torch.multinomial(self.weights.to(torch.float64), n, replacement=True)
    z = torch.randn(n, self.dim, generator=generator, dtype=self.means.dtype)
    L = torch.linalg.cholesky(self.covs)
    return self.means[k] + (L[k] @ z[..., None])[..., 0]


def _sample_mixture_z_global(weights, means, covs, n, *, generator):
    """Mutant: toy.sample_mixture's Gaussian draws without generator=."""
    k = torch.multinomial(weights.to(torch.float64), n, replacement=True, generator=generator)
    z = torch.randn(n, means.shape[1], dtype=means.dtype)
    return means[k] + (torch.linalg.cholesky(covs)[k] @ z.unsqueeze(-1)).squeeze(-1)


def _p_sample_loop_x_T_global(eps_model, shape, beta, *, generator, variance="small", dtype=torch.float32):
    """Mutant: x_T drawn without generator=."""
    x_T = torch.randn(tuple(shape), dtype=dtype)
    noise = torch.randn((beta.shape[0], *shape), generator=generator, dtype=dtype)
    return ddpm.ddpm_sample(eps_model, x_T, beta, noise, variance)


def _ddpm_sample_own_noise(eps_model, x_T, beta, noise, variance="small"):
    """Mutant: ignores `noise` and draws each step's noise with torch.randn_like."""
    x = x_T
    for i in reversed(range(beta.shape[0])):
        t = torch.full((x.shape[0],), i, dtype=torch.int64)
        x = ddpm.ddpm_step(x, t, eps_model(x, t), beta, torch.randn_like(x), variance)
    return x


def _ddpm_step_own_noise(x_t, t, eps_pred, beta, noise, variance="small"):
    """Mutant: ddpm_step draws its own noise."""
    return _DDPM_STEP(x_t, t, eps_pred, beta, torch.randn_like(x_t), variance)


def _q_sample_own_noise(x0, t, noise, alpha_bar):
    """Mutant: q_sample draws its own noise (reached by l_simple and vlb_bits_per_dim too)."""
    ab = extract(alpha_bar, t, x0)
    return torch.sqrt(ab) * x0 + torch.sqrt(1 - ab) * torch.randn_like(x0)


def _dsm_loss_own_noise(score_model, x0, sigma, noise):
    """Mutant: dsm_loss draws its own noise."""
    return _DSM_LOSS(score_model, x0, sigma, torch.randn_like(x0))


def _dsm_esm_gap_own_noise(score_model, x0, sigma, noise, true_score):
    """Mutant: dsm_esm_gap draws its own noise."""
    return _DSM_ESM_GAP(score_model, x0, sigma, torch.randn_like(x0), true_score)


def _ddim_step_own_noise(x_t, t, t_prev, eps_pred, alpha_bar, eta, noise):
    """Mutant: ddim_step draws its own noise (reached by ddim_sample too)."""
    return _DDIM_STEP(x_t, t, t_prev, eps_pred, alpha_bar, eta, torch.randn_like(noise))


def _posterior_moments_mc_own_noise(x0, t, beta, noise):
    """Mutant: the chains draw their own noise."""
    return _POSTERIOR_MOMENTS_MC(x0, t, beta, torch.randn_like(noise))


def _langevin_step_own_noise(x, score_, step_size, noise):
    """Mutant: langevin_step draws its own noise (reached by annealed_langevin too)."""
    return x + step_size * score_ + math.sqrt(2 * step_size) * torch.randn_like(x)


def _annealed_langevin_random_noise_index(x, score_fn, sigmas, step_lr, n_steps, noise):
    """Mutant: picks the noise of each step at random with torch.randint."""
    for i in range(sigmas.shape[0]):
        step_size = step_lr * float(sigmas[i]) ** 2 / float(sigmas[-1]) ** 2 / 2
        for _ in range(n_steps):
            j = int(torch.randint(0, n_steps, ()))
            x = score.langevin_step(x, score_fn(x, sigmas[i]), step_size, noise[i, j])
    return x


class _TimeMLPDefaultInit(toy.TimeMLP):
    """Mutant: the first layer keeps nn.Linear's own initialisation, which draws from the global RNG."""

    def __init__(self, *args, generator, **kwargs):
        super().__init__(*args, generator=generator, **kwargs)
        self.net[0].reset_parameters()


def _train_randint_global(model, loss_fn, data, *, steps, batch_size, lr, generator):
    """Mutant: the minibatch indices drawn without generator=."""
    opt, history = torch.optim.Adam(model.parameters(), lr=lr), []
    for _ in range(steps):
        loss = loss_fn(model, data[torch.randint(0, data.shape[0], (batch_size,))], generator)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(float(loss.detach()))
    return history


_DDPM_STEP, _DSM_LOSS, _DSM_ESM_GAP = ddpm.ddpm_step, score.dsm_loss, score.dsm_esm_gap
_POSTERIOR_MOMENTS_MC, _DDIM_STEP = ddpm.posterior_moments_mc, ddim.ddim_step
GLOBAL_RNG_MUTANTS = [  # (the calls that must catch it, where it is patched, the name, the mutant)
    (["GaussianMixture.sample"], gmm.GaussianMixture, "sample", _gmm_sample_z_global),
    (["GaussianMixture.sample"], gmm.GaussianMixture, "sample", _gmm_sample_labels_global),
    (["sample_mixture"], toy, "sample_mixture", _sample_mixture_z_global),
    (["p_sample_loop"], ddpm, "p_sample_loop", _p_sample_loop_x_T_global),
    (["ddpm_sample", "p_sample_loop"], ddpm, "ddpm_sample", _ddpm_sample_own_noise),
    (["ddpm_step", "ddpm_sample", "p_sample_loop"], ddpm, "ddpm_step", _ddpm_step_own_noise),
    (["q_sample", "l_simple", "vlb_bits_per_dim"], ddpm, "q_sample", _q_sample_own_noise),
    (["dsm_loss"], score, "dsm_loss", _dsm_loss_own_noise),
    (["dsm_esm_gap"], score, "dsm_esm_gap", _dsm_esm_gap_own_noise),
    (["posterior_moments_mc"], ddpm, "posterior_moments_mc", _posterior_moments_mc_own_noise),
    (["ddim_step", "ddim_sample", "cfg_ddim_sample"], ddim, "ddim_step", _ddim_step_own_noise),
    (["langevin_step", "annealed_langevin", "langevin_chain_variance"], score, "langevin_step", _langevin_step_own_noise),
    (["annealed_langevin"], score, "annealed_langevin", _annealed_langevin_random_noise_index),
    (["TimeMLP.__init__", "train"], toy, "TimeMLP", _TimeMLPDefaultInit),
    (["train"], toy, "train", _train_randint_global),
]
_CASES = [pytest.param(call, target, attr, mutant, id=f"{call}-{mutant.__name__.strip('_')}")
          for calls, target, attr, mutant in GLOBAL_RNG_MUTANTS for call in calls]


def test_every_stochastic_function_has_a_global_rng_mutant():
    assert {p.values[0] for p in _CASES} == set(CALLS)


@pytest.mark.parametrize("call,target,attr,mutant", _CASES)
def test_global_rng_check_catches_mutant(call, target, attr, mutant):
    """test_no_global_rng_is_used fails (with an assertion) on a function that draws from the global RNG."""
    catches(_uses_no_global_rng, CALLS[call], broken=[(target, attr, mutant)])
