"""The student support modules: self-contained, no reference solutions, each shipped only to the assignments that
need it; toy.py able to learn the ring quickly; and mutation tests showing that the repaired plot test fails on
broken plots."""
import ast
import contextlib
import math
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from mutation import catches, edited  # noqa: E402

from autograder import course  # noqa: E402
from autograder.build.support import support_source  # noqa: E402
from course_core import ddpm, toy  # noqa: E402
from course_core.gmm import GaussianMixture, mixture_eps  # noqa: E402
from course_core.score import dsm_loss  # noqa: E402


@contextlib.contextmanager
def _one_thread():
    """Tiny MLPs train much faster on one intra-op thread, especially on a shared 2-core machine."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)

ROOT = Path(__file__).resolve().parents[1]
TOY_SOURCE = support_source("toy.py")  # the student's copy: course_core/toy.py with the shipped functions inlined
SHIPPED = {a: course.get(a).config.support_files for a in course.assignment_ids()}  # assignment -> support modules
SUPPORT = sorted({name for names in SHIPPED.values() for name in names})


@pytest.mark.parametrize("name", SUPPORT)
def test_student_support_module_imports_only_torch_numpy_matplotlib(name):
    """... and scikit-learn, for digits.py's data set (a dependency of the student's requirements.txt)."""
    allowed = {"torch", "numpy", "matplotlib", "math"} | ({"sklearn"} if name == "digits.py" else set())
    for node in ast.walk(ast.parse(support_source(name))):
        if isinstance(node, ast.Import):
            roots = {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"relative import in the student's {name}"
            roots = {node.module.split(".")[0]}
        else:
            continue
        assert roots <= allowed, f"{name} imports {roots - allowed}"


def test_student_toy_carries_the_references_decoder():
    """The decoder students use is the reference's own function, inlined by the build (one definition)."""
    module = {}
    exec(compile(TOY_SOURCE, "toy.py", "exec"), module)
    x = torch.linspace(-1, 1, 256, dtype=torch.float64)[None]
    mean, log_scale = torch.full_like(x, 0.1), torch.full_like(x, -2.0)
    assert torch.equal(module["discretized_gaussian_log_likelihood"](x, mean, log_scale),
                       ddpm.discretized_gaussian_log_likelihood(x, mean, log_scale))
    assert toy.discretized_gaussian_log_likelihood is ddpm.discretized_gaussian_log_likelihood


def test_mixture_eps_is_never_shipped_to_hw1_and_is_the_references():
    """mixture_eps computes a mixture's score by autograd (hw1's Question 1): no support module of hw1 carries it;
    vp_toy.py (hw2, hw3) and guide_toy.py (hw4) do, as the reference's own function."""
    assert "mixture_eps" not in TOY_SOURCE and not hasattr(toy, "mixture_eps")
    assert all("mixture_eps" not in support_source(name) for name in SHIPPED["hw1_score"])
    assert {a for a, names in SHIPPED.items() if "vp_toy.py" in names} == {"hw2_ddpm", "hw3_ddim"}
    module = {}
    exec(compile(support_source("vp_toy.py"), "vp_toy.py", "exec"), module)
    w, m, c = toy.ring_mixture(K=3, radius=1.0, std=0.3)
    x = torch.randn(6, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ab = torch.linspace(0.1, 0.9, 6, dtype=torch.float64)
    assert torch.equal(module["mixture_eps"](x, ab, w, m, c), mixture_eps(x, ab, w, m, c))


def test_a_support_module_that_imports_the_course_is_refused(tmp_path, monkeypatch):
    from autograder.build import support

    (tmp_path / "bad.py").write_text("from .ddpm import q_sample\n")  # not marked `# shipped`
    monkeypatch.setattr(support, "course_core_dir", lambda: tmp_path)
    with pytest.raises(support.SupportError, match="would not work"):
        support.support_source("bad.py")


def _graded_by_assignment() -> dict:
    """{assignment: the function names of its table in docs/API.md} (sections `## <id>: ...`)."""
    api = (ROOT / "docs" / "API.md").read_text()
    sections = re.split(r"^## ", api, flags=re.M)
    return {sec.split(":")[0]: set(re.findall(r"^\| `(\w+)\(", sec, flags=re.M))
            for sec in sections if sec.split(":")[0] in SHIPPED}


@pytest.mark.parametrize("name", SUPPORT)
def test_support_module_contains_no_reference_solution(name):
    """No function or class in a support module carries a name graded in an assignment it is shipped to, or in a
    later one; only an earlier assignment's solution may ship (hw4's guide_toy.py carries hw3's DDIM step)."""
    graded = _graded_by_assignment()
    assert {"gmm_score", "ddpm_step", "vlb_bits_per_dim", "ddim_step", "cfg_eps"} <= set().union(*graded.values())
    tree = ast.parse(support_source(name))
    defined = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    first = min(a for a, names in SHIPPED.items() if name in names)
    for assignment, functions in graded.items():
        if assignment >= first:
            assert not (defined & functions), f"{name} (shipped to {first}) defines {assignment}'s {defined & functions}"


def test_ring_mixture_and_sampling():
    w, m, c = toy.ring_mixture(K=6, radius=3.0, std=0.2)
    assert w.shape == (6,) and m.shape == (6, 2) and c.shape == (6, 2, 2) and m.dtype == torch.float64
    torch.testing.assert_close(m.norm(dim=1), torch.full((6,), 3.0, dtype=torch.float64))
    torch.testing.assert_close(c, 0.04 * torch.eye(2, dtype=torch.float64).expand(6, 2, 2))
    x = toy.sample_mixture(w, m, c, 20_000, generator=torch.Generator().manual_seed(0))
    assert x.shape == (20_000, 2) and x.dtype == torch.float64
    r = x.norm(dim=1)
    assert abs(r.mean().item() - 3.0) < 0.02 and abs(x.mean(0)).max() < 0.1
    y = toy.sample_mixture(w, m, c, 7, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(y, toy.sample_mixture(w, m, c, 7, generator=torch.Generator().manual_seed(1)))
    # same draws, in the same order, as the reference GaussianMixture.sample
    ref = GaussianMixture(w, m, c).sample(7, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(y, ref, rtol=0, atol=0)


def test_quantize_snaps_to_the_256_level_grid():
    x = torch.linspace(-3.0, 3.0, 1001, dtype=torch.float64)
    q = toy.quantize(x, lo=-3.0, hi=3.0)
    k = (q + 1) / 2 * 255
    torch.testing.assert_close(k, torch.round(k), rtol=0, atol=1e-9)
    assert q.min().item() == -1.0 and q.max().item() == 1.0
    assert (q - x / 3).abs().max().item() <= 1 / 255 + 1e-12  # half a bin of width 2/255
    torch.testing.assert_close(toy.quantize(q), q, rtol=0, atol=1e-12)
    assert toy.quantize(torch.tensor([5.0, -5.0])).tolist() == [1.0, -1.0]


@pytest.mark.parametrize("s", [torch.arange(5), torch.linspace(0.01, 10.0, 5, dtype=torch.float64)])
def test_time_mlp_shapes_and_dtypes(s):
    model = toy.TimeMLP(generator=torch.Generator().manual_seed(0))
    assert all(p.dtype == torch.float32 for p in model.parameters())
    for dtype in (torch.float32, torch.float64):
        out = model(torch.zeros(5, 2, dtype=dtype), s)
        assert out.shape == (5, 2) and out.dtype == dtype
    a, b = model.embed(s[:1]), model.embed(s[1:2])
    assert (a - b).abs().max() > 1e-2  # neighbouring steps / noise levels are distinguished


def _ddpm_loss(alpha_bar):
    def loss_fn(model, x0, generator):
        t = torch.randint(0, alpha_bar.shape[0], (x0.shape[0],), generator=generator)
        eps = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
        ab = alpha_bar[t][:, None].to(x0.dtype)
        return ((model(ab.sqrt() * x0 + (1 - ab).sqrt() * eps, t) - eps) ** 2).mean()
    return loss_fn


def test_train_learns_the_ring_with_l_simple():
    """1500 Adam steps (about 3 s on one core): the loss falls by more than 2x and the learned eps at a mid-range
    step is close to the exact one of the noised ring, eps* = -sqrt(1 - alpha_bar) * score_t."""
    g = torch.Generator().manual_seed(0)
    w, m, c = toy.ring_mixture()
    data = toy.sample_mixture(w, m, c, 8192, generator=g).float()
    alpha_bar = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64), 0)
    model = toy.TimeMLP(generator=g)
    with _one_thread():
        history = toy.train(model, _ddpm_loss(alpha_bar), data, steps=1500, batch_size=256, lr=2e-3, generator=g)
    assert len(history) == 1500 and all(math.isfinite(h) for h in history)
    first, last = sum(history[:20]) / 20, sum(history[-200:]) / 200
    assert last < first / 2, (first, last)

    gmm = GaussianMixture(w, m, c)
    t, ab = 200, alpha_bar[200].item()
    x_t = gmm.noised_vp(ab).sample(2000, generator=g)
    eps_star = -math.sqrt(1 - ab) * gmm.noised_vp(ab).score(x_t)
    with torch.no_grad():
        eps_model = model(x_t, torch.full((2000,), t)).to(torch.float64)
    rel_err = ((eps_model - eps_star) ** 2).mean() / (eps_star**2).mean()
    assert rel_err < 0.15, rel_err  # measured 0.06


def test_train_with_float_noise_levels_dsm():
    """TimeMLP also takes float noise levels. DSM (Song & Ermon 2019, lambda = sigma^2) with the network giving
    sigma * score: after 1000 steps, at sigma in {0.3, 1, 3}, the loss has closed more than half of the gap between
    the zero score (loss 1) and the exact noised score."""
    g = torch.Generator().manual_seed(1)
    w, m, c = toy.ring_mixture()
    data = toy.sample_mixture(w, m, c, 4096, generator=g)

    def loss_fn(model, x0, generator):
        u = torch.rand(x0.shape[0], generator=generator, dtype=x0.dtype)
        sigma = torch.exp(math.log(0.05) + u * math.log(100.0))  # log-uniform on [0.05, 5]
        return dsm_loss(lambda x, s: model(x, s) / s[:, None], x0, sigma,
                        torch.randn(x0.shape, generator=generator, dtype=x0.dtype))

    with _one_thread():
        model = toy.TimeMLP(generator=g)
        toy.train(model, loss_fn, data, steps=1000, batch_size=256, lr=2e-3, generator=g)
    gmm = GaussianMixture(w, m, c)
    x0 = gmm.sample(4000, generator=g)
    z = torch.randn(4000, 2, generator=g, dtype=torch.float64)
    for sig in (0.3, 1.0, 3.0):
        sigma = torch.full((4000,), sig, dtype=torch.float64)
        with torch.no_grad():
            learned = dsm_loss(lambda x, s: model(x, s) / s[:, None], x0, sigma, z).item()
        exact = dsm_loss(lambda x, s: gmm.noised_ve(sig).score(x), x0, sigma, z).item()
        assert learned - exact < 0.5 * (1.0 - exact), (sig, learned, exact)


def test_train_is_reproducible_given_the_generator():
    data = torch.linspace(-1, 1, 64).reshape(32, 2)
    runs = []
    for _ in range(2):
        g = torch.Generator().manual_seed(3)
        runs.append(toy.train(toy.TimeMLP(generator=g), _ddpm_loss(torch.linspace(0.99, 0.1, 10, dtype=torch.float64)),
                              data, steps=5, batch_size=8, lr=1e-3, generator=g))
    assert runs[0] == runs[1]


def _per_parameter_adam(model, loss_fn, data, *, steps, batch_size, lr, generator):
    """toy.train's loop with torch's default Adam on the CPU (one parameter at a time)."""
    opt, history = torch.optim.Adam(model.parameters(), lr=lr, foreach=False), []
    for _ in range(steps):
        idx = torch.randint(0, data.shape[0], (batch_size,), generator=generator)
        loss = loss_fn(model, data[idx], generator)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(float(loss.detach()))
    return history


@pytest.mark.parametrize("labelled", [False, True], ids=["TimeMLP", "LabelTimeMLP"])
def test_train_is_the_default_adam_to_the_bit(labelled):
    """train's multi-tensor Adam (faster) trains exactly as the per-parameter loop torch uses by default on the
    CPU: the notebooks' printed losses and samples do not depend on which one runs."""
    d = 2 if labelled else 64
    data = torch.rand(300, d, generator=torch.Generator().manual_seed(1)) * 2 - 1
    labels = torch.arange(64) % 4  # 3 is the null label

    def make(g):
        return toy.LabelTimeMLP(d=d, num_classes=3, hidden=64, generator=g) if labelled else \
            toy.TimeMLP(d=d, hidden=128, generator=g)

    def loss(model, x0, g):
        s = torch.randint(0, 1000, (x0.shape[0],), generator=g)
        noise = torch.randn(x0.shape, generator=g)
        out = model(x0 + noise, s, labels) if labelled else model(x0 + noise, s)
        return ((out - noise) ** 2).mean()

    runs = []
    for way in (toy.train, _per_parameter_adam):
        g = torch.Generator().manual_seed(2)
        model = make(g)
        history = way(model, loss, data, steps=200, batch_size=64, lr=3e-3, generator=g)
        runs.append((history, [p.detach().clone() for p in model.parameters()]))
    assert runs[0][0] == runs[1][0]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][1], runs[1][1]))


def test_time_mlp_initialises_from_its_generator_only():
    """The same generator seed gives the same parameters, the global RNG is untouched, and the initial
    weights follow nn.Linear's law (uniform in +-1/sqrt(fan_in)); without a generator it refuses."""
    state = torch.random.get_rng_state()
    a = toy.TimeMLP(generator=torch.Generator().manual_seed(5))
    b = toy.TimeMLP(generator=torch.Generator().manual_seed(5))
    c = toy.TimeMLP(generator=torch.Generator().manual_seed(6))
    assert torch.equal(torch.random.get_rng_state(), state)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters()):
        assert torch.equal(pa, pb) and not torch.equal(pa, pc)
    for layer in (m for m in a.net if isinstance(m, torch.nn.Linear)):
        bound = 1 / math.sqrt(layer.in_features)
        w = layer.weight.detach()
        assert w.abs().max() <= bound and w.abs().max() > 0.9 * bound  # uniform up to the bound
        assert abs(w.mean().item()) < 0.1 * bound
    with pytest.raises(TypeError):
        toy.TimeMLP()


def _field(p):
    """An asymmetric field, so that swapped components or a transposed grid show: (y + 0.5, -2 x)."""
    return torch.stack([p[:, 1] + 0.5, -2 * p[:, 0]], dim=1)


def _check_plots():
    try:
        x = toy.sample_mixture(*toy.ring_mixture(), 100, generator=torch.Generator().manual_seed(0))
        ax = toy.plot_samples(x, title="ring")
        (points,) = ax.collections
        np.testing.assert_array_equal(points.get_offsets(), x.numpy())  # the samples, x then y, exactly
        assert ax.get_title() == "ring" and ax.get_aspect() == 1.0

        _, ax2 = plt.subplots()
        assert toy.plot_vector_field(_field, lim=2.0, n=7, ax=ax2) is ax2
        (quiver,) = ax2.collections
        tails = np.asarray(quiver.get_offsets())  # (n*n, 2) arrow positions, in the plot's order
        arrows = np.stack([np.asarray(quiver.U), np.asarray(quiver.V)], axis=1)  # (n*n, 2)
        # the positions are the 7 x 7 grid over [-2, 2]^2 (numpy's linspace; 1e-12 covers float64 round-off) ...
        gx, gy = np.meshgrid(np.linspace(-2.0, 2.0, 7), np.linspace(-2.0, 2.0, 7))
        grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
        order = lambda a: a[np.lexsort((a[:, 1], a[:, 0]))]  # noqa: E731 - compare as sets of points
        np.testing.assert_allclose(order(tails), order(grid), rtol=0, atol=1e-12)
        # ... and the arrow at each position is the field there (written in numpy)
        np.testing.assert_allclose(arrows, np.stack([tails[:, 1] + 0.5, -2 * tails[:, 0]], axis=1), rtol=0, atol=1e-12)
        assert ax2.get_aspect() == 1.0
    finally:
        plt.close("all")


def test_plots_draw_the_samples_and_the_field_on_the_grid():
    """Reference: what is drawn. The scatter's offsets are the samples; the quiver's arrow positions are the n x n
    grid over [-lim, lim]^2 and each arrow is the vector field at its position (numpy); titles and equal aspect."""
    _check_plots()


# ----------------------------------------------------------------------------- mutation tests of the tests


_UV = "v[:, 0].reshape(n, n).numpy(), v[:, 1].reshape(n, n).numpy()"
MUTANTS = [
    pytest.param("plot_samples", "ax.scatter(pts[:, 0], pts[:, 1]", "ax.scatter(pts[:, 1], pts[:, 0]",
                 id="scatter-x-y-swapped"),
    pytest.param("plot_samples", "ax.set_title(title)", "pass", id="title-dropped"),
    pytest.param("plot_samples", 'ax.set_aspect("equal")', "pass", id="samples-aspect-dropped"),
    pytest.param("plot_vector_field", _UV, "v[:, 1].reshape(n, n).numpy(), v[:, 0].reshape(n, n).numpy()",
                 id="quiver-u-v-swapped"),
    pytest.param("plot_vector_field", _UV, "v[:, 0].reshape(n, n).numpy(), v[:, 1].reshape(n, n).T.numpy()",
                 id="quiver-v-transposed"),
    pytest.param("plot_vector_field", "torch.linspace(-lim, lim, n, dtype=torch.float64)",
                 "torch.linspace(-lim, lim, n + 1, dtype=torch.float64)[:-1]", id="grid-misses-the-end"),
    pytest.param("plot_vector_field", "v = fn(pts)", "v = fn(pts.flip(1))", id="field-at-swapped-points"),
]


@pytest.mark.parametrize("name,old,new", MUTANTS)
def test_plot_test_catches_mutant(name, old, new):
    """The repaired plot test fails (with an assertion) when a realistic mistake is patched into toy.py."""
    catches(_check_plots, broken=[(toy, name, edited(getattr(toy, name), old, new))])


# ----------------------------------------------------------------------------- hw3/hw4: labels and digits
def test_label_time_mlp_conditions_on_the_label_and_initialises_from_its_generator():
    """LabelTimeMLP(x, s, y): shapes and dtypes follow x; different labels (the null label num_classes included)
    give different outputs; parameters come from the generator alone; a label out of range is refused."""
    state = torch.random.get_rng_state()
    a = toy.LabelTimeMLP(d=3, num_classes=4, generator=torch.Generator().manual_seed(0))
    b = toy.LabelTimeMLP(d=3, num_classes=4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    s = torch.tensor([0, 10, 100, 500, 999])
    outs = [a(x, s, torch.full((5,), c)) for c in range(5)]  # 4 is the null label
    assert all(o.shape == (5, 3) and o.dtype == torch.float64 for o in outs)
    assert min((outs[i] - outs[j]).abs().max() for i in range(5) for j in range(i)) > 1e-3
    assert a(x.float(), s, torch.zeros(5, dtype=torch.int64)).dtype == torch.float32
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 4\]"):
        a(x, s, torch.tensor([0, 1, 5, 2, 3]))


def test_digits_are_sklearns_8x8_digits_scaled_to_minus_one_one():
    """1797 images of 64 pixels with the 17 grey levels 0..16 mapped to v / 8 - 1; labels 0..9, about 180 each."""
    from course_core import digits

    x, y = digits.load_digits()
    assert x.shape == (1797, 64) and x.dtype == torch.float32 and y.shape == (1797,) and y.dtype == torch.int64
    levels = torch.unique(x.to(torch.float64))
    assert levels.min() == -1 and levels.max() == 1 and set(((levels + 1) * 8).round().tolist()) <= set(range(17))
    assert torch.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert digits.load_digits(torch.float64)[0].dtype == torch.float64


def test_plot_digits_places_each_image_in_its_cell():
    from course_core import digits

    x = torch.linspace(-1, 1, 5 * 64).reshape(5, 64)
    ax = digits.plot_digits(x, nrow=3, title="five")
    grid = np.asarray(ax.images[0].get_array())
    assert grid.shape == (2 * 9 + 1, 3 * 9 + 1) and ax.get_title() == "five"
    for i in range(5):
        r, c = divmod(i, 3)
        np.testing.assert_allclose(grid[1 + 9 * r: 9 + 9 * r, 1 + 9 * c: 9 + 9 * c], x[i].reshape(8, 8).numpy(), rtol=0,
                                   atol=1e-6)
    plt.close("all")
