"""The conventions of docs/API.md, tested once: signatures, index convention, shapes, dtypes, randomness."""
import importlib
import inspect
import re
from pathlib import Path

import pytest
import torch

import course_core.ddpm as ddpm
import course_core.gmm as gmm
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


def test_no_global_rng_is_used():
    """One snapshot of torch's global RNG, taken before every stochastic function runs, is unchanged after."""
    state = torch.random.get_rng_state()
    g = torch.Generator().manual_seed(0)
    w, m, c = toy.ring_mixture()
    gmm.GaussianMixture(w, m, c).sample(10, generator=g)
    toy.sample_mixture(w, m, c, 10, generator=g)
    ddpm.p_sample_loop(_eps_model, (4, 2), BETA, generator=g)
    model = toy.TimeMLP(generator=g)
    toy.train(model, lambda mdl, x0, gen: (mdl(x0, torch.randint(0, 10, (x0.shape[0],), generator=gen)) ** 2).mean(),
              torch.randn(20, 2, generator=g), steps=3, batch_size=4, lr=1e-3, generator=g)
    x0 = toy.quantize(torch.randn(2, 2, generator=g))
    ddpm.vlb_bits_per_dim(_eps_model, x0, BETA, torch.randn(100, 2, 2, generator=g))
    assert torch.equal(torch.random.get_rng_state(), state)


def test_the_global_rng_check_can_fail():
    """The snapshot comparison above does notice a use of the global RNG."""
    state = torch.random.get_rng_state()
    torch.randn(1)
    assert not torch.equal(torch.random.get_rng_state(), state)


def test_stochastic_functions_take_generator_or_noise_never_both():
    stochastic = [ddpm.q_sample, ddpm.ddpm_step, ddpm.l_simple, ddpm.ddpm_sample, ddpm.vlb_bits_per_dim,
                  ddpm.p_sample_loop, score.dsm_loss, score.langevin_step, score.annealed_langevin,
                  gmm.GaussianMixture.sample, toy.sample_mixture, toy.train, toy.TimeMLP.__init__]
    for fn in stochastic:
        names = set(inspect.signature(fn).parameters)
        assert len(names & {"generator", "noise"}) == 1, fn.__name__
