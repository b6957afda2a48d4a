"""The checks framework: explicit edge examples, the failing example in feedback, error bounds, and the
argument binding of the bridge (run in-process)."""

import inspect
import sys
from pathlib import Path

import pytest
import torch

from autograder.boundary import bridge, codec
from autograder.checks import cases, load_suite
from autograder.checks.compare import CheckFailed, Expected, GraderBug, Tol, assert_close, observe
from autograder.checks.framework import Student, Suite, explicit_examples
from autograder.course import assignment_ids

sys.path.insert(0, str(Path(__file__).resolve().parent))
from inprocess import InProcessKernel, namespace  # noqa: E402


# -- explicit examples -------------------------------------------------------------------------------
def _records(check):
    return [v for values in check.run.examples for v in values.values()]


@pytest.mark.parametrize("assignment", assignment_ids())
def test_every_property_on_steps_sees_t0_last_step_batch_of_one_images_and_float32(assignment):
    for q in load_suite(assignment).auto_questions():
        for check in q.checks:
            if not hasattr(check.run, "examples"):
                continue
            recs = _records(check)
            steps = [r for r in recs if isinstance(r, cases.Case)]
            if steps:
                if any(r.T > 1 for r in steps) and "posterior" not in check.name:
                    assert {"first", "last"} <= {r.t_at for r in steps}, check.name
                assert any(r.B == 1 for r in steps), check.name
            data = [r for r in recs if hasattr(r, "dtype")]
            if data and check.name != "gmm_score_stable_far_away":
                assert {"float64", "float32"} <= {r.dtype for r in data}, check.name
            if any(isinstance(r, cases.Case) for r in recs) and check.function not in ("normal_kl",):
                assert any(len(r.D) >= 3 for r in steps), f"{check.name} never sees an image shape"


def test_explicit_examples_vary_one_edge_at_a_time():
    out = explicit_examples({"a": cases.choice(1, 2, 3), "b": cases.floats(0.0, 1.0)})
    assert out == [{"a": 1, "b": 0.0}, {"a": 2, "b": 0.0}, {"a": 3, "b": 0.0}, {"a": 1, "b": 1.0}]


def test_a_strategy_without_edges_is_refused():
    from hypothesis import strategies as st

    with pytest.raises(TypeError, match="edge values"):
        Suite("x").property("q", 1, function="f", n=st.integers(0, 3))


# -- the failing example in feedback -----------------------------------------------------------------
def _suite_on(source, prop_body):
    suite = Suite("demo")

    @suite.property("q", 1, function="f", n=cases.ints(1, 50))
    def prop(student, n):
        prop_body(student, n)

    ns = namespace(source)
    return suite.questions["q"].checks[0], Student(InProcessKernel(ns), 10)


def test_feedback_names_the_smallest_failing_input_from_the_property_itself():
    def body(student, n):
        got = student("f", x=torch.full((n,), 1.0, dtype=torch.float64))
        assert_close(got, torch.ones(n, dtype=torch.float64), "f")

    check, student = _suite_on("def f(x):\n    return x * 2 if 7 <= x.shape[0] <= 40 else x", body)
    with pytest.raises(CheckFailed) as err:
        check.run(student)
    assert "smallest failing input: n=7" in str(err.value)  # shrunk by hypothesis, recorded by the property

    check, student = _suite_on("def f(x):\n    return x * 2 if x.shape[0] == 50 else x", body)
    with pytest.raises(CheckFailed) as err:
        check.run(student)
    assert "failing input (an edge case every submission is checked on): n=50" in str(err.value)


def test_a_student_drawing_its_own_randomness_is_told_so():
    def body(student, n):
        got = student("f", x=torch.zeros(n, dtype=torch.float64))
        assert_close(got, torch.zeros(n, dtype=torch.float64), "f")

    check, student = _suite_on("import torch\ndef f(x):\n    return x + (torch.rand(()) > 0.5) * 1.0", body)
    with pytest.raises(CheckFailed, match="different results for the same input|wrong value"):
        check.run(student)


# -- the error bound ---------------------------------------------------------------------------------
def test_a_small_entry_is_held_to_its_own_size():
    """0.09 instead of 0.01 fails even next to an entry of 1000 (a max-scaled bound would pass it)."""
    want = torch.tensor([1000.0, 0.01], dtype=torch.float64)
    with pytest.raises(CheckFailed, match=r"index \(1,\)"):
        assert_close(torch.tensor([1000.0, 0.09], dtype=torch.float64), want, "v")
    assert_close(torch.tensor([1000.0 * (1 + 1e-6), 0.01 * (1 + 1e-6)], dtype=torch.float64), want, "v")


def test_a_non_finite_reference_is_a_grader_bug_not_a_pass():
    with pytest.raises(GraderBug):
        assert_close(torch.tensor([1.0]), torch.tensor([float("nan")]), "v")
    with pytest.raises(GraderBug):
        assert_close(torch.tensor([1.0]), Expected(torch.tensor([float("inf")]), torch.zeros(1)), "v")


def test_the_float32_budget_widens_the_bound_only_where_float32_loses_digits():
    want = Expected(torch.tensor([1.0, 1.0], dtype=torch.float64), torch.tensor([0.0, 1e-4], dtype=torch.float64))
    assert_close(torch.tensor([1.0, 1.003], dtype=torch.float32), want, "v", dtype=torch.float32)
    with pytest.raises(CheckFailed, match=r"index \(0,\)"):
        assert_close(torch.tensor([1.003, 1.0], dtype=torch.float32), want, "v")


def test_results_must_keep_the_datas_dtype():
    with pytest.raises(CheckFailed, match="dtype"):
        assert_close(torch.ones(2, dtype=torch.float64), torch.ones(2), "v", dtype=torch.float32)


def test_observers_see_every_ratio():
    with observe() as seen:
        assert_close(torch.tensor([1.0 + 1e-5], dtype=torch.float64), torch.tensor([1.0]), "v", tol=Tol(rtol=1e-4, atol=0))
    assert len(seen) == 1 and seen[0][1] == pytest.approx(0.1, rel=1e-3)


# -- argument binding (bridge) -----------------------------------------------------------------------
CONTRACT = bridge.standin_contracts({"post": lambda x0, x_t, t, variance="small": None})["post"]


@pytest.mark.parametrize("student,call,want", [
    ("def post(x0, x_t, t, variance='small'): ...", lambda f: f(1, 2, 3), dict(x0=1, x_t=2, t=3, variance="small")),
    ("def post(x_t, x0, t): ...", lambda f: f(2, 1, 3), dict(x0=1, x_t=2, t=3, variance="small")),
    ("def post(x_t, x0, t): ...", lambda f: f(x0=1, x_t=2, t=3), dict(x0=1, x_t=2, t=3, variance="small")),
    ("def post(a, b, c, v='large'): ...", lambda f: f(1, 2, 3), dict(x0=1, x_t=2, t=3, variance="large")),
    ("def post(x_start, x_t, t, variance='small'): ...", lambda f: f(x_t=2, x_start=1, t=3),
     dict(x0=1, x_t=2, t=3, variance="small")),
    ("def post(x_t, t, x0, variance='small'): ...", lambda f: f(1, 2, 3), dict(x0=3, x_t=1, t=2, variance="small")),
    # renamed so that a new name is another contract name: positions decide, as in the notebook's calls
    ("def post(x_t, x1, t, variance='small'): ...", lambda f: f(1, 2, 3), dict(x0=1, x_t=2, t=3, variance="small")),
    ("def post(x0, x_t, t, variance='small', extra=None): ...", lambda f: f(1, 2, 3), dict(x0=1, x_t=2, t=3, variance="small")),
])
def test_standin_arguments_are_matched_by_name_then_by_position(student, call, want):
    original = namespace(student)["post"]
    got = {}
    call(lambda *a, **k: got.update(bridge.bind_like(original, CONTRACT, a, k)))
    assert got == want


def test_invoke_matches_by_name_only_when_the_student_kept_the_contracts_names():
    def reordered(x_t, x0):
        return x0, x_t

    assert bridge.invoke(reordered, {"x0": 1, "x_t": 2}) == (1, 2)

    def renamed(x_start, timesteps):
        return x_start, timesteps

    assert bridge.invoke(renamed, {"x0": 1, "t": 2}) == (1, 2)

    def colliding(x_t, t, noise, beta, z):  # `noise` is the contract's eps_pred here (Ho's Algorithm 2 names)
        return noise, z

    contract = {"x_t": 0, "t": 1, "eps_pred": "eps", "beta": 3, "noise": "fresh draw"}
    assert bridge.invoke(colliding, contract) == ("eps", "fresh draw")
    with pytest.raises(TypeError, match="cannot call"):
        bridge.invoke(lambda a: a, {"x0": 1, "t": 2})
    with pytest.raises(TypeError, match="no parameter for t"):
        bridge.invoke(lambda x0: x0, {"x0": 1, "t": 2})


# -- the test model, one definition on both sides ----------------------------------------------------
def test_the_test_model_crosses_the_boundary_unchanged():
    g = cases.rng(0)
    for model in (cases.test_model(g, 4), cases.test_model(g, 4, classes=3), cases.test_model(g, 4, classes=3, classifier=True)):
        spec, arrays = codec.encode_args({"m": model})
        [twin] = codec.decode_args(spec, codec.unpack(codec.pack(arrays))).values()
        x = torch.randn(2, 4, dtype=torch.float64)
        y = torch.tensor([0, 2]) if model.E is not None else None
        torch.testing.assert_close(twin(x, torch.tensor([1, 5]), y), model(x, torch.tensor([1, 5]), y), rtol=0, atol=0)


def test_the_test_model_takes_image_shapes_and_keeps_dtypes():
    model = cases.test_model(cases.rng(1), 3 * 4 * 4)
    for dtype in (torch.float32, torch.float64):
        x = torch.randn(2, 3, 4, 4, dtype=dtype)
        out = model(x, 3)
        assert out.shape == x.shape and out.dtype == dtype
    logits = cases.test_model(cases.rng(1), 48, classes=10, classifier=True)(torch.randn(2, 3, 4, 4), 0)
    assert logits.shape == (2, 10)


def test_a_classifier_called_as_logits_fn_takes_x_alone():
    """time="none": the network a check hands over as `logits_fn(x)`; it keeps its kind across the boundary, and a
    call with a time argument (or a denoiser's call without one) is a TypeError the student reads."""
    model = cases.test_model(cases.rng(2), 4, classes=3, classifier=True, time="none")
    spec, arrays = codec.encode_args({"m": model})
    [twin] = codec.decode_args(spec, codec.unpack(codec.pack(arrays))).values()
    x = torch.randn(2, 4, dtype=torch.float64)
    torch.testing.assert_close(twin(x), model(x), rtol=0, atol=0)
    assert twin.time == "none" and twin(x).shape == (2, 3)
    with pytest.raises(TypeError, match="takes x alone"):
        twin(x, 0)
    with pytest.raises(TypeError, match="second argument"):
        cases.test_model(cases.rng(2), 4)(x)


def test_the_test_model_takes_its_step_or_level_by_the_contracts_name():
    """`denoiser(x, sigma=s)` and `eps_model(x, t=t)` are calls the notebooks' own models accept, so the checks' model
    (and its twin across the boundary) gives them the same result as a positional call; any other name, or the
    value given twice, is a TypeError that says how the model is called."""
    x = torch.randn(3, 4, dtype=torch.float64)
    t = torch.tensor([1, 5, 7])
    for time, name, s in (("level", "sigma", 0.3), ("level", "sigma", torch.tensor([0.1, 0.2, 0.3])),
                          ("index", "t", t), ("any", "t", t), ("any", "sigma", 0.3)):
        model = cases.test_model(cases.rng(3), 4, time=time)
        spec, arrays = codec.encode_args({"m": model})
        [twin] = codec.decode_args(spec, codec.unpack(codec.pack(arrays))).values()
        for m in (model, twin):
            torch.testing.assert_close(m(x, **{name: s}), model(x, s), rtol=0, atol=0)
            with pytest.raises(TypeError, match="twice"):
                m(x, s, **{name: s})
    with pytest.raises(TypeError, match=r"unexpected keyword argument 't'; it is called as f\(x, sigma\[, y\]\)"):
        cases.test_model(cases.rng(3), 4, time="level")(x, t=t)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'sigma'; it is called as f\(x, t\[, y\]\)"):
        cases.test_model(cases.rng(3), 4, time="index")(x, sigma=0.3)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'noise_level'"):
        cases.test_model(cases.rng(3), 4, time="any")(x, noise_level=0.3)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'sigma'; it is called as f\(x\)"):
        cases.test_model(cases.rng(3), 4, classes=3, classifier=True, time="none")(x, sigma=0.3)


def test_a_call_under_no_grad_runs_inside_no_grad_and_must_come_back_detached():
    """`Student.no_grad`: the function runs inside torch.no_grad() in the kernel (one taking a gradient without
    torch.enable_grad() fails there), and a result still attached to a graph fails the check."""
    source = ("import torch\n"
              "def bare(x):\n"
              "    x = x.detach().requires_grad_(True)\n"
              "    return torch.autograd.grad((x ** 2).sum(), x)[0]\n"
              "def enabled(x):\n"
              "    with torch.enable_grad():\n"
              "        return bare(x)\n"
              "def attached(x):\n"
              "    with torch.enable_grad():\n"
              "        x = x.detach().requires_grad_(True)\n"
              "        return torch.autograd.grad((x ** 2).sum(), x, create_graph=True)[0]\n")
    student = Student(InProcessKernel(namespace(source)), 10)
    x = torch.tensor([1.0, -2.0], dtype=torch.float64)
    torch.testing.assert_close(student("bare", x=x), 2 * x)  # a plain call has grad enabled
    torch.testing.assert_close(student.no_grad("enabled", x=x), 2 * x)
    with pytest.raises(CheckFailed, match="bare raised RuntimeError"):
        student.no_grad("bare", x=x)
    with pytest.raises(CheckFailed, match="still requires grad"):
        student.no_grad("attached", x=x)


def test_a_standin_default_that_cannot_cross_is_refused_at_registration():
    def helper(x, device=torch.device("cpu")):
        return x

    with pytest.raises(TypeError, match="cannot cross"):
        Suite("x").check("q", 1, function="f", standins=[helper])(lambda student: None)


def test_reference_signatures_give_the_standin_contracts():
    from course_core import ddpm

    contract = bridge.standin_contracts({"ddpm_step": ddpm.ddpm_step})["ddpm_step"]
    assert [c[0] for c in contract] == list(inspect.signature(ddpm.ddpm_step).parameters)
    assert contract[-1] == ["variance", True, "small"]
