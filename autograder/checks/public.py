"""Public checks: one list of cases that the student's `grader.check` and the grading report both run.

A question's public cases are registered in its check module with `Suite.public(question, points, cases)`.
Each `PublicCase` is a call of one graded function on small literal inputs. From the same cases:

- the grader makes a public check: it calls the student's function across the kernel boundary and compares
  with `compare_output` below;
- the build renders the question's Otter test (`render_test`): the inputs, the reference's answers, the
  known mistakes' answers on these inputs (from the assignment's misconception catalog) and the few
  functions of the "runtime" section below, as literal Python, so `grader.check` in the student's notebook
  reaches the same verdict with the same message and names the same misconception — with nothing of the
  reference in the student's folder but the answers to these cases.

One difference is deliberate: the grader checks a function with correct versions of the graded functions it
calls (stand-ins), the notebook with the student's own. When a case fails in the notebook and a function it
may call fails its own cases, the notebook says so and names no misconception (`run_cases`).

The runtime functions are self-contained (they import only torch inside) because their source is copied
into the notebook's tests.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field

import torch

from ..boundary.codec import TestModel, TestOperator
from . import misconceptions
from .misconceptions import MATCH_ATOL, MATCH_RTOL, close_to

# Public cases use small, well-conditioned numbers. The contract accepts float32 arithmetic inside a function
# given float64 data (as the hidden checks do), so float64 answers are held to 1e-6; a result that is float64 by
# contract (a schedule) passes `tol=FLOAT64_EXACT`, under which one computed in float32 is off a thousandfold.
TOLERANCE = {torch.float64: (1e-6, 1e-8), torch.float32: (1e-4, 1e-5)}
FLOAT64_EXACT = (1e-10, 1e-12)


@dataclass(frozen=True)
class PublicCase:
    """`function(**inputs)` on literal inputs. `what` says in a few words which branch of the contract it covers.

    `loss`: the name of the model argument when the function is a loss (its value and its gradient with
    respect to that model's parameters are compared). `broadcast`: indices of outputs that may be returned in
    any shape that broadcasts to the reference's (a variance of shape (B, 1, ..., 1)). `raises`: the name of the
    exception class the contract asks for on these inputs (e.g. "ValueError"); the case then has no output.
    """

    function: str
    what: str
    inputs: dict
    loss: str | None = None
    broadcast: tuple = ()
    tol: tuple | None = None  # (rtol, atol) instead of the dtype's TOLERANCE
    raises: str | None = None


@dataclass
class Answer:
    """The reference's answer to a case: outputs (float64 values and their dtypes), gradients for losses."""

    outputs: list
    dtypes: list
    grads: dict = field(default_factory=dict)  # parameter name -> float64 gradient


def _float64(value):
    if isinstance(value, TestModel):
        return value.copy()
    if isinstance(value, torch.Tensor) and value.is_floating_point():
        return value.to(torch.float64)
    return value


def answer(reference, case: PublicCase) -> Answer:
    """The exact answer (the reference on float64 copies of the inputs), in the dtype the contract gives; no
    outputs for a case that `raises` (the reference must raise exactly that)."""
    if case.raises is not None:
        try:
            reference(**case.inputs)
        except Exception as err:  # noqa: BLE001 - which exception is the point
            if type(err).__name__ != case.raises:
                raise ValueError(f"public case {case.what!r}: the reference raised {type(err).__name__}, "
                                 f"not {case.raises}") from err
            return Answer([], [])
        raise ValueError(f"public case {case.what!r}: the reference returned, but the case expects {case.raises}")
    native = reference(**case.inputs)
    native = native if isinstance(native, tuple) else (native,)
    exact_inputs = {k: _float64(v) for k, v in case.inputs.items()}
    if case.loss is None:
        exact = reference(**exact_inputs)
        exact = exact if isinstance(exact, tuple) else (exact,)
        return Answer([e.detach().to(torch.float64) for e in exact], [str(n.dtype).replace("torch.", "") for n in native])
    model = exact_inputs[case.loss]
    model.requires_grad_(True)
    value = reference(**exact_inputs)
    names, params = zip(*model.named_parameters())
    grads = torch.autograd.grad(value, params)
    return Answer([value.detach()], [str(native[0].dtype).replace("torch.", "")],
                  {n: g.detach() for n, g in zip(names, grads)})


# =====================================================================================================
# Runtime: copied verbatim into the notebook's tests (only torch, imported inside each function)
# =====================================================================================================
def compare_output(what, got, want, dtype, rtol, atol, broadcast=None):
    """None when `got` is a tensor of dtype `dtype` and `want`'s shape (or, with `broadcast` a shape, one that
    broadcasts to it as `want` does) whose entries are within atol + rtol * |want| of `want` (float64); else
    what is wrong."""
    import torch

    if not isinstance(got, torch.Tensor):
        hint = ": replace the `...` with your code" if got is None or got is Ellipsis else ""
        return f"{what}: expected a torch tensor, got {type(got).__name__}{hint}"
    if dtype is not None and str(got.dtype).replace("torch.", "") != dtype:
        return (f"{what}: returned dtype {str(got.dtype).replace('torch.', '')}, expected {dtype} "
                "(results keep the dtype of the data they are given)")
    g = got.detach().to(torch.float64).cpu()
    if broadcast:  # the shape both must broadcast to (the shape of the data)
        try:
            g, want = torch.broadcast_to(g, broadcast), torch.broadcast_to(want, broadcast)
        except RuntimeError:
            return f"{what}: shape {tuple(got.shape)} does not broadcast to {tuple(broadcast)}"
    elif g.shape != want.shape:
        return f"{what}: expected shape {tuple(want.shape)}, got {tuple(got.shape)}"
    if not torch.isfinite(g).all():
        return f"{what}: the result contains nan or inf where the expected value is finite"
    err = (g - want).abs()
    ratio = err / (atol + rtol * want.abs())
    if want.numel() and ratio.max() > 1:
        flat = int(ratio.argmax())
        idx = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), want.shape)) if want.dim() else ()
        return (f"{what}: wrong value at index {idx}: got {g[idx].item():.8g}, expected {want[idx].item():.8g} "
                f"(error {err[idx].item():.3g}, allowed {atol:.0e} + {rtol:.0e} x |expected|)")
    return None


def judge_raised(what, raised, expected):
    """None when the call raised the exception class `expected` (`raised`: the class name, None if it returned);
    else what is wrong."""
    if raised is None:
        return f"{what}: returned a result where the contract raises {expected} for these inputs"
    if raised != expected:
        return f"{what}: raised {raised} where the contract raises {expected} for these inputs"
    return None


def judge(what, outputs, answer_outputs, dtypes, rtol, atol, broadcast):
    """The first thing wrong with a function's outputs (a tensor or a tuple), or None."""
    got = outputs if isinstance(outputs, tuple) else (outputs,)
    if len(answer_outputs) > 1 and not isinstance(outputs, tuple):
        return f"{what}: expected a tuple of {len(answer_outputs)} tensors, got {type(outputs).__name__}"
    if len(got) != len(answer_outputs):
        return f"{what}: expected {len(answer_outputs)} output(s), got {len(got)}"
    for i, (g, w, d) in enumerate(zip(got, answer_outputs, dtypes)):
        name = what if len(got) == 1 else f"{what}, output {i}"
        target = tuple(answer_outputs[0].shape) if i in broadcast else None  # an output shaped like the first
        problem = compare_output(name, g, w, d, rtol, atol, target)
        if problem:
            return problem
    return None


def judge_loss(what, value, grads, answer_value, answer_grads, dtype, rtol, atol):
    """The first thing wrong with a loss's value or its gradients (parameter name -> tensor or None), or None."""
    import torch

    if not isinstance(value, torch.Tensor):
        return f"{what}: expected a scalar tensor, got {type(value).__name__}"
    if value.numel() != 1:
        return f"{what}: expected a scalar (0-d tensor), got shape {tuple(value.shape)}"
    problem = compare_output(what, value.reshape(()), answer_value.reshape(()), dtype, rtol, atol)
    if problem:
        return problem
    if grads is None:
        return (f"{what}: the loss is not differentiable with respect to the model's parameters (no .item(), "
                "no torch.no_grad(), no .detach()); training with it would not update the model")
    for name, want in answer_grads.items():
        if grads.get(name) is None:
            return f"{what}: the loss does not depend on the model's parameter {name} (is the model called on the right inputs?)"
        problem = compare_output(f"{what}: gradient with respect to the model's parameter {name}", grads[name],
                                 want, None, rtol, atol + rtol * float(want.abs().max()))
        if problem:
            return problem
    return None


def describe(inputs):
    """The inputs in one line: small tensors by value, larger ones by shape and dtype."""
    import torch

    parts = []
    for k, v in inputs.items():
        if isinstance(v, torch.Tensor):
            dtype = str(v.dtype).replace("torch.", "")
            parts.append(f"{k}={v.tolist()}" if v.numel() <= 4 else f"{k}: {dtype} of shape {tuple(v.shape)}")
        elif isinstance(v, torch.nn.Module):
            parts.append(f"{k}: a test model")
        else:
            parts.append(f"{k}={v!r}")
    return ", ".join(parts)


def run_case(fn, name, number, case, name_known=True):
    """Run one rendered case on the student's function `fn`; raise AssertionError with what is wrong."""
    import torch

    inputs = case["inputs"]
    what = f"{name} (public case {number}: {case['what']})"
    if case.get("raises"):
        raised = None
        try:
            fn(**inputs)
        except Exception as err:  # noqa: BLE001 - which exception is the point
            raised = type(err).__name__
        problem = judge_raised(what, raised, case["raises"])
        if problem:
            raise AssertionError(f"{problem}\n    inputs: {describe(inputs)}")
        return
    before = {k: v.clone() for k, v in inputs.items() if isinstance(v, torch.Tensor)}
    loss = case.get("loss")
    if loss:
        params = dict(inputs[loss].named_parameters())
        for p in params.values():
            p.requires_grad_(True)
    try:
        got = fn(**inputs)
        grads = None
        if loss and isinstance(got, torch.Tensor) and got.requires_grad and got.numel() == 1:
            values = torch.autograd.grad(got.sum(), list(params.values()), allow_unused=True)
            grads = dict(zip(params, values))
    finally:
        if loss:
            for p in params.values():
                p.requires_grad_(False)
    for k, v in before.items():
        if not torch.equal(v, inputs[k]):
            raise AssertionError(f"{what}: changed its input {k} in place; the caller still needs it: compute "
                                 "a new tensor (x = x + ..., not x += ... or x.mul_(...))")
    if loss:
        problem = judge_loss(what, got, grads, case["outputs"][0], case["grads"], case["dtypes"][0], *case["tol"])
    else:
        problem = judge(what, got, case["outputs"], case["dtypes"], *case["tol"], case.get("broadcast", ()))
    if problem:
        got_outputs = got if isinstance(got, tuple) else (got,)
        if loss and grads is not None:
            got_outputs = (got, *[grads.get(n) for n in case["grads"]])
        known = [(mistake, message) for mistake, message, outputs in case.get("known", ())
                 if len(outputs) == len(got_outputs) and all(close_to(g, w) for g, w in zip(got_outputs, outputs))]
        if name_known and len(known) == 1:  # two known mistakes that give the same answer here would be a guess
            problem += f"\nThis is a known mistake ({known[0][0].replace('_', ' ')}): {known[0][1]}"
        raise AssertionError(f"{problem}\n    inputs: {describe(inputs)}")


def run_cases(functions, cases, depends):
    """Run every case; when one fails and a function it may call (`depends`: the cases of those functions) fails
    its own cases, say so instead of naming a known mistake: the grader checks each function with correct
    versions of the functions it calls, so the mistake may well be in the one it calls."""
    for number, (name, case) in enumerate(cases, 1):
        try:
            run_case(functions[name], name, number, case)
        except AssertionError:
            broken = None
            for other, other_case in depends:
                try:
                    run_case(functions[other], other, 0, other_case, name_known=False)
                except Exception:  # noqa: BLE001 - any failure of the helper counts
                    broken = other
                    break
            if broken is None:
                raise
            try:
                run_case(functions[name], name, number, case, name_known=False)
            except AssertionError as err:
                raise AssertionError(f"{err}\nNote: {name} may call {broken}, which fails its own public check; the "
                                     f"grader checks {name} with a correct {broken}, so fix {broken} first.") from None


_RUNTIME = (compare_output, close_to, judge_raised, judge, judge_loss, describe, run_case, run_cases)


# =====================================================================================================
# Grader side
# =====================================================================================================
def tolerance(dtypes, tol=None) -> tuple:
    """(rtol, atol) of a case: its own `tol`, else the loosest of its outputs' dtypes'."""
    if tol is not None:
        return tuple(tol)
    tols = [TOLERANCE[getattr(torch, d)] for d in dtypes]
    return max(t[0] for t in tols), max(t[1] for t in tols)


def run_public(student, case: PublicCase, number: int, ans: Answer, catalog) -> None:
    """The grader's run of one case: the student's function across the boundary, judged as in the notebook."""
    from .compare import CheckFailed, _report

    what = f"{case.function} (public case {number}: {case.what})"
    if case.raises is not None:
        problem = judge_raised(what, student.raises(case.function, **case.inputs), case.raises)
        _report(what, math.inf if problem else 0.0)
        if problem:
            raise CheckFailed(problem + f"\n    inputs: {describe(case.inputs)}")
        return
    rtol, atol = tolerance(ans.dtypes, case.tol)
    if case.loss is not None:
        got = student.loss(case.function, model=case.loss, **case.inputs)
        grads = None if got.grads_error else {k.split(".", 1)[1]: g for k, g in got.grads.items()}
        problem = judge_loss(what, got.value, grads, ans.outputs[0], ans.grads, ans.dtypes[0], rtol, atol)
    else:
        got = student(case.function, **case.inputs)
        problem = judge(what, got, ans.outputs, ans.dtypes, rtol, atol, case.broadcast)
    _report(what, _ratio(got, ans, rtol, atol))
    if problem:
        entry = catalog.diagnose(case.function, case.inputs, got)
        raise CheckFailed(problem + (f"\n{misconceptions.explain(entry)}" if entry else "")
                          + f"\n    inputs: {describe(case.inputs)}")


def _ratio(got, ans: Answer, rtol: float, atol: float) -> float:
    """The largest error / bound over a case's outputs (and gradients), inf where they cannot be compared;
    what the margins of tests/test_checks.py measure."""
    from .compare import Loss

    pairs = []
    if isinstance(got, Loss):
        pairs.append((got.value, ans.outputs[0]))
        grads = {k.split(".", 1)[1]: g for k, g in got.grads.items()}
        pairs += [(grads.get(n), w) for n, w in ans.grads.items()]
    else:
        pairs += list(zip(got if isinstance(got, tuple) else (got,), ans.outputs))
    worst = 0.0
    for g, w in pairs:
        try:
            g, w = torch.broadcast_tensors(torch.as_tensor(g).detach().to(torch.float64), w)
        except (RuntimeError, TypeError):
            return math.inf
        if not torch.isfinite(g).all():
            return math.inf
        if w.numel():
            worst = max(worst, float(((g - w).abs() / (atol + rtol * w.abs())).max()))
    return worst


# =====================================================================================================
# Rendering the notebook's test
# =====================================================================================================
def literal(value) -> str:
    """Python source that rebuilds `value` (a tensor, a TestModel or TestOperator, a number, a string, a tuple)."""
    if isinstance(value, TestModel):
        parts = ", ".join(f"{p}={literal(torch.from_numpy(a))}" for p, a in value.arrays().items())
        return f"TestModel({parts}, time={value.time!r})"
    if isinstance(value, TestOperator):
        parts = ", ".join(f"{literal(torch.from_numpy(a))}" for a in value.arrays().values())
        return f"TestOperator({parts}, shape={value.shape!r})"
    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype).replace("torch.", "")
        if value.is_floating_point():
            data = _nested(value.detach().to(torch.float64).tolist())
        else:
            data = repr(value.tolist())
        return f"torch.tensor({data}, dtype=torch.{dtype})"
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, (tuple, list)):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if isinstance(value, tuple) else f"[{inner}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _float(v: float) -> str:
    if math.isnan(v):
        return "float('nan')"
    if math.isinf(v):
        return "float('inf')" if v > 0 else "-float('inf')"
    return repr(v)


def _nested(data) -> str:
    if isinstance(data, list):
        return "[" + ", ".join(_nested(d) for d in data) + "]"
    return _float(data)


def render_case(case: PublicCase, ans: Answer, known: list) -> str:
    if case.raises is not None:  # no output to compare, no known mistake to name
        fields = {"what": repr(case.what), "inputs": literal(case.inputs), "raises": repr(case.raises)}
        return "dict(\n" + "".join(f"        {k}={v},\n" for k, v in fields.items()) + "    )"
    fields = {"what": repr(case.what), "inputs": literal(case.inputs), "outputs": literal(ans.outputs),
              "dtypes": repr(ans.dtypes), "tol": repr(tolerance(ans.dtypes, case.tol))}
    if case.loss is not None:
        fields["loss"] = repr(case.loss)
        fields["grads"] = literal(ans.grads)
    if case.broadcast:
        fields["broadcast"] = repr(tuple(case.broadcast))
    fields["known"] = "[" + ", ".join(f"({e.name!r}, {e.message!r}, {literal(tuple(_as_tuple(v)))})" for e, v in known) + "]"
    return "dict(\n" + "".join(f"        {k}={v},\n" for k, v in fields.items()) + "    )"


def _as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def render_test(question: str, functions: list, cases: list, answers: list, catalog, depends: list = ()) -> str:
    """The Otter test cell of `question`: `def test_<question>(<functions>)` and its call.

    `depends`: `(case, answer)` pairs of the public cases of functions the question's functions may call; they
    run only when a case fails, to tell a mistake here from one in a function called from here (`run_cases`).
    """
    uses_model = any(isinstance(v, TestModel) for c in [*cases, *(c for c, _ in depends)] for v in c.inputs.values())
    helpers = [inspect.getsource(f) for f in _RUNTIME]
    if uses_model:
        helpers.append(inspect.getsource(TestModel).replace("    __test__ = False  # not a pytest test class\n", ""))
    if any(isinstance(v, TestOperator) for c in [*cases, *(c for c, _ in depends)] for v in c.inputs.values()):
        source = inspect.getsource(TestOperator)
        helpers.append(source[:source.index("    __test__")] + source[source.index("    def __init__"):])
    rendered = []
    for case, ans in zip(cases, answers):
        if case.raises is not None:
            known = []
        elif case.loss is None:
            known = catalog.outputs(case.function, case.inputs)
        else:  # a loss: its value and gradients, as the notebook compares them
            known = [(entry, (value, *[grads[n].to(torch.float64) for n in ans.grads]))
                     for entry, (value, grads) in catalog.loss_outputs(case.function, case.inputs, case.loss)]
        rendered.append(f"    ({case.function!r}, {render_case(case, ans, known)}),")
    rendered_depends = [f"    ({case.function!r}, {render_case(case, ans, [])})," for case, ans in depends]
    names = list(dict.fromkeys([*functions, *(c.function for c, _ in depends)]))
    args = ", ".join(names)
    body = "\n".join(
        [f"def test_{question}({args}):",
         f'    """The public cases of {question}: the grader runs exactly these (and hidden ones besides)."""',
         "    import math",
         "",
         "    import torch",
         "",
         f"    MATCH_RTOL, MATCH_ATOL = {MATCH_RTOL!r}, {MATCH_ATOL!r}",
         "",
         _indent("\n\n".join(h.rstrip() for h in helpers)),
         "",
         f"    functions = {{{', '.join(f'{f!r}: {f}' for f in names)}}}",
         "    cases = [",
         *rendered,
         "    ]",
         "    depends = [  # the public cases of functions these may call: run only when a case above fails",
         *rendered_depends,
         "    ]",
         "    run_cases(functions, cases, depends)",
         "",
         "",
         f"test_{question}({args})",
         ])
    compile(body, f"<public test of {question}>", "exec")  # the rendering is valid Python
    return body


def _indent(text: str) -> str:
    return "\n".join(("    " + line) if line.strip() else "" for line in text.splitlines())
