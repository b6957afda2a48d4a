"""How hidden checks are written: questions, checks with points, and the student's functions as the
grader sees them.

A check module (`autograder/checks/<id>.py`) builds one `Suite`. Each check is a function of a
`Student` handle, usually a hypothesis property whose examples are small records (sizes, a dtype, a
seed) turned into tensors inside the check, so the smallest failing input reads well in feedback. Every
comparison happens here, in the grader's process, against `course_core` (see `compare.py`).

Every strategy of a property carries edge values (`cases.Edged`); the property always runs them as
explicit examples (t = 0, t = T - 1, B = 1, image shapes, float32 data, ...) before hypothesis draws its
own, so the cases a check must see never depend on hypothesis's choices.
"""

from __future__ import annotations

import inspect
import math
import re
from dataclasses import dataclass, field
from typing import Callable

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis.errors import Flaky

from ..boundary.bridge import standin_contracts
from ..boundary.codec import is_value
from ..boundary.kernel import StudentError
from . import misconceptions, public
from .cases import Edged
from .compare import CheckFailed, Loss

GRADING = settings(
    derandomize=True,  # the same submission graded twice gets the same examples
    database=None,
    deadline=None,
    max_examples=20,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
    print_blob=False,
)

_KIND_NAMES = {"number": "Python number", "ndarray": "numpy array"}
DEVICE_RULE = ("Contract: the device follows the inputs. Create new tensors on the inputs' device "
               "(torch.zeros_like(x), torch.randn(..., device=x.device), x.new_tensor(...)) and never move data with "
               ".cpu(), .cuda() or .to('cuda'); graders run your code on CPU and GPU machines.")


def device_hint(error: str, device: str) -> str:
    """A hint for an error a device mix-up raises (a tensor created on the CPU meeting GPU inputs, or a GPU asked
    for where there is none); empty for any other error."""
    signs = ("same device", "Torch not compiled with CUDA", "cuda:0 and cpu", "cpu and cuda:0", "No CUDA GPUs",
             "found no NVIDIA driver")
    if not any(sign in error for sign in signs):
        return ""
    return f". The inputs were on {device}. {DEVICE_RULE}"


class Student:
    """The student's notebook as the checks see it: functions of tensors that return tensors.

    Every call is checked for the contract's basics: the function ran, returned torch tensors, and left
    its inputs unchanged.
    """

    def __init__(self, kernel, call_timeout: float, time_left=None, device: str = "cpu"):
        """`time_left()`: seconds left for the whole submission; a call never gets more than that. `device`: where
        the kernel puts the arguments (``cpu`` or ``cuda``); the contract is that results come back on it."""
        self.kernel = kernel
        self.device = device
        self.call_timeout = call_timeout
        self.time_left = time_left or (lambda: float("inf"))
        self.last = None  # (name, kwargs, what it returned) of the latest call that returned, for diagnosis

    def _call(self, name: str, kwargs: dict, grads: tuple = (), no_grad: bool = False):
        self.last = None
        timeout = min(self.call_timeout, max(self.time_left(), 0.5))
        try:
            reply = self.kernel.call(name, kwargs, timeout=timeout, grads=grads, no_grad=no_grad)
        except StudentError as err:
            raise CheckFailed(f"{name} {err}{device_hint(str(err), self.device)}") from None
        if reply.mutated:
            raise CheckFailed(f"{name} changed its input {', '.join(reply.mutated)} in place; the caller still "
                              "needs it: compute a new tensor (x = x + ..., not x += ... or x.mul_(...))")
        for i, meta in enumerate(reply.meta):
            if meta.get("kind") != "tensor":
                which = f"output {i} " if len(reply.meta) > 1 else ""
                raise CheckFailed(f"{name} returned {which}as a {_KIND_NAMES.get(meta.get('kind'), meta.get('kind'))}, "
                                  "not a torch tensor")
            where = str(meta.get("device", "cpu")).split(":")[0][:16]  # the kernel's word: bounded
            if where != self.device:
                which = f"output {i}" if len(reply.meta) > 1 else "its result"
                raise CheckFailed(f"{name} returned {which} on {where}, but its inputs were on {self.device}: the "
                                  f"result must be on the inputs' device. {DEVICE_RULE}")
        return reply

    def __call__(self, name: str, **kwargs):
        """Call the student's `name(**kwargs)`; returns a tensor, or a tuple for several outputs."""
        outputs = self._call(name, kwargs).outputs
        got = outputs[0] if len(outputs) == 1 else outputs
        self.last = (name, kwargs, got)
        return got

    def no_grad(self, name: str, **kwargs):
        """Call `name(**kwargs)` inside `torch.no_grad()`, as a sampler calls a guidance gradient, where the contract
        says the function works there; its result must come back detached (an output that still requires grad
        fails the check). Returns what `__call__` returns."""
        reply = self._call(name, kwargs, no_grad=True)
        if any(meta.get("requires_grad") for meta in reply.meta):
            raise CheckFailed(f"{name} returned a tensor that still requires grad (part of an autograd graph); "
                              "return it detached, as the contract asks")
        got = reply.outputs[0] if len(reply.outputs) == 1 else reply.outputs
        self.last = (name, kwargs, got)
        return got

    def raises(self, name: str, **kwargs) -> str | None:
        """Call `name(**kwargs)` where the contract asks for an exception: the name of the exception's class, or
        None when the call returned, whatever it returned (the notebook's public test says the same). Anything
        else that goes wrong (a hang, a crash) fails the check as usual."""
        self.last = None
        timeout = min(self.call_timeout, max(self.time_left(), 0.5))
        try:
            self.kernel.call(name, kwargs, timeout=timeout)
        except StudentError as err:
            match = re.match(r"raised (\w+)", str(err))
            if match:
                return match.group(1)
            if str(err).startswith("returned"):  # something that is not numbers: it returned, did not raise
                return None
            raise CheckFailed(f"{name} {err}") from None  # no such function, ...
        return None

    def loss(self, name: str, *, model: str, **kwargs) -> Loss:
        """Call a loss function; returns its value and its gradient with respect to `kwargs[model]`'s parameters."""
        reply = self._call(name, kwargs, grads=(model,))
        if len(reply.outputs) != 1:
            raise CheckFailed(f"{name} should return one scalar tensor, got {len(reply.outputs)} outputs")
        got = Loss(reply.outputs[0], reply.grads, reply.grads_error)
        self.last = (name, kwargs, got)
        return got


# -- questions and checks ------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    question: str
    name: str
    description: str
    points: float
    hidden: bool
    function: str  # the student's function this check calls
    run: Callable[[Student], None]
    standins: dict = field(default_factory=dict)  # helper name -> reference function answering it


@dataclass
class Question:
    name: str
    manual: bool = False
    manual_points: float = 0.0
    prompt: str = ""
    checks: list = field(default_factory=list)

    @property
    def points(self) -> float:
        return self.manual_points if self.manual else math.fsum(c.points for c in self.checks)

    @property
    def functions(self) -> list:
        """The student's functions this question grades, in the order its checks call them."""
        return list(dict.fromkeys(c.function for c in self.checks))


def _standins(functions) -> dict:
    """Reference functions by name; their defaults must be plain values (they cross to the kernel)."""
    out = {fn.__name__: fn for fn in functions}
    for name, contract in standin_contracts(out).items():
        for param, has_default, default in contract:
            if has_default and not is_value(default):
                raise TypeError(f"stand-in {name}: the default of {param!r} cannot cross to the kernel")
    return out


def explicit_examples(strategies: dict) -> list[dict]:
    """Each parameter's first edge, then every other edge of one parameter at a time (deduplicated)."""
    base = {name: s.edges[0] for name, s in strategies.items()}
    out = [base]
    for name, s in strategies.items():
        for edge in s.edges[1:]:
            candidate = {**base, name: edge}
            if candidate not in out:
                out.append(candidate)
    return out


def _format_example(values: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in values.items())


class Suite:
    """The hidden checks of one assignment, keyed to the notebook's question names."""

    def __init__(self, assignment: str, *, helpers=(), catalog: misconceptions.Catalog = misconceptions.EMPTY):
        """`helpers`: the references of the graded functions that other graded functions may call (they take
        tensors and numbers, not models). While any check runs, each of them except the function under check
        answers the student's function of the same name: a bug costs points only on its own question,
        whichever helpers the student chose to call.

        `catalog`: the assignment's known mistakes (`misconceptions.Catalog`); a failing check whose last call
        matches one names it in its feedback. Its references also give the public cases' answers."""
        self.assignment = assignment
        self.questions: dict[str, Question] = {}
        self.helpers = _standins(helpers)
        self.catalog = catalog
        self.public_cases: dict[str, list] = {}  # question -> [(PublicCase, public.Answer)]

    def _diagnosed(self, fn):
        """`fn(student)`, with a failure's message extended by the known mistake its last call shows, if any."""

        def run(student):
            try:
                fn(student)
            except CheckFailed as err:
                last = student.last
                entry = self.catalog.diagnose(last[0], last[1], last[2]) if last else None
                if entry is None or misconceptions.explain(entry) in str(err):
                    raise
                raise CheckFailed(f"{err}\n{misconceptions.explain(entry)}", err.ratio) from None

        for attr in ("__doc__", "__name__", "examples", "body", "strategies"):
            if hasattr(fn, attr):
                setattr(run, attr, getattr(fn, attr))
        return run

    def public(self, question: str, points: float, cases: list) -> None:
        """The public check of `question`: `cases` (`public.PublicCase`), run by the grader and rendered into the
        student notebook's `grader.check` (see public.py). Their answers come from the catalog's references."""
        for case in cases:
            if case.function not in self.catalog.references:
                raise ValueError(f"{question}: public case of {case.function!r}, which has no reference in the catalog")
        answers = [public.answer(self.catalog.references[c.function], c) for c in cases]
        self.public_cases[question] = list(zip(cases, answers))
        catalog = self.catalog

        def run(student):
            for number, (case, ans) in enumerate(zip(cases, answers), 1):
                public.run_public(student, case, number, ans, catalog)

        run.__doc__ = "public cases: " + "; ".join(c.what for c in cases)
        run.__name__ = f"{question}_public"
        self.check(question, points, function=cases[0].function, hidden=False)(run)
        q = self.questions[question]
        q.checks.insert(0, q.checks.pop())  # the public check comes first, as in the notebook

    def manual(self, name: str, points: float, prompt: str) -> None:
        """A question graded by hand (a derivation, an interpretation)."""
        self.questions[name] = Question(name, manual=True, manual_points=points, prompt=prompt)

    def check(self, question: str, points: float, *, function: str, hidden: bool = True, standins=()):
        """Register `fn(student)` as a check worth `points`; its docstring's first paragraph names it in feedback.

        While the check runs, the suite's `helpers` other than `function`, and `standins` (more reference
        functions), answer the student's functions of the same names, bound through the reference's signature.
        """
        answered = {**{name: ref for name, ref in self.helpers.items() if name != function}, **_standins(standins)}

        def register(fn):
            doc = " ".join((fn.__doc__ or fn.__name__).strip().split("\n\n")[0].split())  # the first paragraph
            q = self.questions.setdefault(question, Question(question))
            q.checks.append(Check(question, fn.__name__, doc, points, hidden, function, self._diagnosed(fn), answered))
            return fn

        return register

    def property(self, question: str, points: float, *, function: str, hidden: bool = True, standins=(),
                 max_examples: int | None = None, **strategies: Edged):
        """Register a hypothesis property `fn(student, **examples)` as a check.

        Every strategy is an `Edged` (see `cases.py`): its edge values always run as explicit examples.
        The feedback of a failure names the smallest failing input.
        """
        for name, s in strategies.items():
            if not isinstance(s, Edged):
                raise TypeError(f"{question}: strategy {name!r} needs edge values (use checks.cases: ints, floats, "
                                "choice, seeds, edged, or a case builder)")
        profile = GRADING if max_examples is None else settings(GRADING, max_examples=max_examples)
        examples = explicit_examples(strategies)

        def register(fn):
            params = list(inspect.signature(fn).parameters)[1:]
            if sorted(params) != sorted(strategies):
                raise TypeError(f"{fn.__name__}: parameters {params} do not match the strategies {sorted(strategies)}")

            def run(student):
                failing: dict = {}

                @profile
                @given(**{name: s.strategy for name, s in strategies.items()})
                def prop(**values):
                    try:
                        fn(student, **values)
                    except Exception:
                        failing.clear()
                        failing.update(values)  # the last failure hypothesis replays is the one it reports
                        raise

                for values in reversed(examples):
                    prop = example(**values)(prop)
                try:
                    prop()
                except Flaky:
                    raise CheckFailed(f"{function} gave different results for the same input; does it draw "
                                      "its own random numbers instead of using the `noise` argument?") from None
                except AssertionError as err:  # CheckFailed, or an assert in the check
                    msg = str(err).strip() or "assertion failed"
                    if not failing:
                        where = ""
                    elif failing in examples:
                        where = f"\n    failing input (an edge case every submission is checked on): {_format_example(failing)}"
                    else:
                        where = f"\n    smallest failing input: {_format_example(failing)}"
                    raise CheckFailed(msg + where, getattr(err, "ratio", float("inf"))) from None

            run.__doc__ = fn.__doc__
            run.__name__ = fn.__name__
            run.examples = examples  # the explicit examples every submission is checked on
            run.body = fn  # the property itself, for sweeps outside hypothesis (tests/test_checks.py)
            run.strategies = strategies
            return self.check(question, points, function=function, hidden=hidden, standins=standins)(run)

        return register

    def arrange(self, names: list) -> None:
        """Put the questions in the notebook's order (reports and grades.csv follow it); `names` must be exactly
        the registered questions."""
        if sorted(names) != sorted(self.questions):
            raise ValueError(f"{self.assignment}: arrange() got {sorted(names)}, the suite has {sorted(self.questions)}")
        self.questions = {name: self.questions[name] for name in names}

    def auto_questions(self) -> list[Question]:
        return [q for q in self.questions.values() if not q.manual]

    def possible(self) -> float:
        return math.fsum(q.points for q in self.auto_questions())
