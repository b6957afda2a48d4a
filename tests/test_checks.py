"""The hidden checks of every assignment, run in-process (tests/inprocess.py) on the implementations that
`tests/submissions/<id>/examples.py` describes:

- the master notebook's solution, the example reference and every correct variant get full marks, and
  every comparison they make stays below CORRECT_MARGIN of its bound (the float32 error budget has room); a variant
  is graded on the questions its changed functions reach, the rest being the reference's code;
- every catalogued mistake loses points on its own question only, is caught by a hidden check, and its
  largest error is at least ten times the bound (a wrong answer never fails by a hair).

`python tests/test_checks.py [ID ...]` prints the margins table.
"""

from __future__ import annotations

import ast
import math
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "submissions"))

from autograder import course  # noqa: E402
from autograder.checks import load_suite  # noqa: E402
from inprocess import InProcessKernel, failures, namespace, reaches, run_checks, support_modules  # noqa: E402
from kit import assignments_with_examples, load, master_solution, source_of  # noqa: E402

# A correct implementation's error is at most this fraction of the bound. Float32 rounding depends on the CPU's
# kernels: hw5's master pigdm_step (a blur's pseudo-inverse and a vector-Jacobian product in float32) measured
# 0.117 on an AVX2 AMD EPYC where it had measured under 0.1 elsewhere; 0.15 still leaves 6.7x room.
CORRECT_MARGIN = 0.15
WRONG_MARGIN = 10.0  # a mistake's error is at least this many times the bound

ASSIGNMENTS = assignments_with_examples()


def _setup(assignment):
    support_modules(course.get(assignment))
    return load(assignment), load_suite(assignment)


def master(assignment) -> dict:
    names = {f for q in load_suite(assignment).auto_questions() for f in q.functions}
    return master_solution(nbformat.read(course.get(assignment).master, as_version=4), names)


def correct_implementations(assignment):
    examples = load(assignment)
    out = [("reference", examples.functions())]
    out += [(f"variant: {v.name}", examples.variant(v)) for v in examples.variants]
    return out


def _grade(assignment, functions, *, only_changed: bool = False):
    """The outcomes of every check on `functions`. With `only_changed`, of the questions whose code can reach a
    function that differs from the example reference: the others run exactly the reference's code, graded by
    its own test (grading is deterministic), so running them again would only repeat its outcomes."""
    examples, suite = _setup(assignment)
    ns = namespace(source_of(functions))
    questions = None
    if only_changed:
        changed = {fn for fn, code in functions.items() if code != examples.reference[fn]}
        questions = {q.name for q in suite.auto_questions() if reaches(ns, q.functions, changed)}
        assert questions, f"{assignment}: the variant changes no graded question's code"
    return run_checks(suite, ns, questions)


def _cases():
    for a in ASSIGNMENTS:
        yield pytest.param(a, "master", id=f"{a}-master")
        for name, _ in correct_implementations(a):
            yield pytest.param(a, name, id=f"{a}-{name}")


@pytest.mark.parametrize("assignment,name", list(_cases()))
def test_correct_implementations_get_full_marks_with_room(assignment, name, record_property):
    if name == "master":
        functions = master(assignment)
    else:
        functions = dict(correct_implementations(assignment))[name]
    outcomes = _grade(assignment, functions, only_changed=name.startswith("variant: "))
    assert failures(outcomes) == {}
    worst = max(outcomes, key=lambda o: o.ratio)
    record_property("margin", ("correct", assignment, name, worst.ratio))
    assert worst.ratio <= CORRECT_MARGIN, (f"{worst.question}/{worst.check} uses {worst.ratio:.3g} of its bound; "
                                           f"a correct float32 implementation needs more room")


MANY = 60  # examples per property beyond the grading profile's, for the margin of correct implementations


def _sweep_cases():
    for a in ASSIGNMENTS:
        yield pytest.param(a, "master", id=f"{a}-master")
        for name, _ in correct_implementations(a):
            if name == "reference" or "float32" in name:
                yield pytest.param(a, name, id=f"{a}-{name}")


@pytest.mark.parametrize("assignment,name", list(_sweep_cases()))
def test_correct_implementations_keep_their_margin_on_many_more_examples(assignment, name):
    """The margin above is not an accident of the 20 examples grading draws: every property, run on MANY
    other examples (derandomized, without shrinking), keeps correct implementations below the same fraction
    of the bound."""
    from hypothesis import Phase, given, settings

    from autograder.checks.compare import observe
    from autograder.checks.framework import GRADING, Student

    _, suite = _setup(assignment)
    functions = master(assignment) if name == "master" else dict(correct_implementations(assignment))[name]
    kernel = InProcessKernel(namespace(source_of(functions)))
    student = Student(kernel, 10)
    worst = [0.0, None]

    def sweep(check):
        @settings(GRADING, max_examples=MANY, phases=(Phase.generate,))
        @given(**{k: s.strategy for k, s in check.run.strategies.items()})
        def prop(**values):
            with observe() as seen, kernel.standins.active(check.standins):
                check.run.body(student, **values)
            ratio = max((r for _, r in seen), default=0.0)
            if ratio > worst[0]:
                worst[:] = ratio, (check.name, values)

        prop()

    examples = load(assignment)
    changed = {fn for fn, code in functions.items() if code != examples.reference[fn]}
    for q in suite.auto_questions():
        if name.startswith("variant: ") and not reaches(kernel.ns, q.functions, changed):
            continue  # the reference's own code, swept by its own case
        for check in q.checks:
            if hasattr(check.run, "body"):
                sweep(check)
    assert worst[0] <= CORRECT_MARGIN, f"{worst[1]} uses {worst[0]:.3g} of its bound"


def _mistakes():
    for a in ASSIGNMENTS:
        for m in load(a).mistakes:
            yield pytest.param(a, m.name, id=f"{a}-{m.name}")


@pytest.mark.parametrize("assignment,name", list(_mistakes()))
def test_mistake_is_caught_on_its_question_only_by_a_wide_margin(assignment, name, record_property):
    """Every question whose code can reach a changed function (through the notebook's names, stand-ins
    included) is graded again, and only the mistake's own question loses points. The others run exactly the
    reference's code, whose full marks the tests above establish: grading is deterministic, so they are not
    run again."""
    examples, suite = _setup(assignment)
    [mistake] = [m for m in examples.mistakes if m.name == name]
    functions = examples.mistake(mistake)
    changed = {fn for fn, code in functions.items() if code != examples.reference[fn]}
    ns = namespace(source_of(functions))
    affected = {q.name for q in suite.auto_questions() if reaches(ns, q.functions, changed)}
    assert mistake.question in affected
    outcomes = run_checks(suite, ns, affected)
    failed = failures(outcomes)
    assert set(failed) == {mistake.question}, failed
    caught = [o for o in outcomes if not o.passed and o.hidden]
    assert caught, f"no hidden check catches {name}: {failed}"
    best = max(o.ratio for o in outcomes if not o.passed)
    record_property("margin", ("mistake", assignment, name, best))
    assert best >= WRONG_MARGIN, f"{name} fails by only {best:.3g} times the bound: {failed}"


STUBS = {  # what an unfinished notebook holds, and answers that do nothing: none may earn a point
    "missing": None,
    "ellipsis body": "...",
    "not implemented": "raise NotImplementedError",
    "returns its first argument": "return {first}",
    "returns zeros like its first argument": "import torch\n    return torch.zeros_like({first}) if isinstance({first}, torch.Tensor) else 0.0",
}


def stub_source(assignment, body) -> str:
    """Every graded function with its master signature and `body` (None: not defined at all)."""
    if body is None:
        return "x = 1\n"
    out = []
    for name, code in master(assignment).items():
        [fn] = [n for n in ast.parse(code).body if isinstance(n, ast.FunctionDef) and n.name == name]
        signature = ast.unparse(fn.args)
        out.append(f"def {name}({signature}):\n    " + body.format(first=fn.args.args[0].arg))
    return "\n\n".join(out) + "\n"


@pytest.mark.parametrize("stub", STUBS)
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_notebook_that_does_nothing_scores_zero_points(assignment, stub):
    """Not one check passes: zero points on every question, not merely one failing check per question."""
    _, suite = _setup(assignment)
    outcomes = run_checks(suite, namespace(stub_source(assignment, STUBS[stub])))
    passed = [f"{o.question}/{o.check}" for o in outcomes if o.passed]
    assert passed == [], f"checks that give points for a stub that {stub}: {passed}"
    assert {o.question for o in outcomes} == {q.name for q in suite.auto_questions()}


def test_reaches_follows_names_through_nested_code_and_other_functions():
    """What the mistake test re-grades: a call inside a lambda, a comprehension or through another function
    reaches; a name that is only a string, or an unrelated function, does not."""
    ns = namespace("def helper(x):\n    return x\n"
                   "def direct(x):\n    return [helper(v) for v in x]\n"
                   "def lam(x):\n    return (lambda y: helper(y))(x)\n"
                   "def via(x):\n    return direct(x)\n"
                   "def text(x):\n    return 'helper'\n")
    assert all(reaches(ns, [fn], {"helper"}) for fn in ("direct", "lam", "via"))
    assert not reaches(ns, ["text"], {"helper"})


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_question_has_examples(assignment):
    """Each graded function has reference code, each question at least one catalogued mistake."""
    examples, suite = _setup(assignment)
    functions = {f for q in suite.auto_questions() for f in q.functions}
    assert functions <= set(examples.reference), functions - set(examples.reference)
    assert {q.name for q in suite.auto_questions()} <= {m.question for m in examples.mistakes}


def margins_table(assignments) -> str:
    """Per implementation, its largest error / bound: correct ones must stay low, mistakes high."""
    lines = [f"{'assignment':<11} {'implementation':<48} {'kind':<8} {'max error / bound':>18}"]
    for a in assignments:
        examples, suite = _setup(a)
        rows = [("master", "correct", master(a))]
        rows += [(n, "correct", f) for n, f in correct_implementations(a)]
        rows += [(m.name, "mistake", examples.mistake(m)) for m in examples.mistakes]
        for name, kind, functions in rows:
            outcomes = run_checks(suite, namespace(source_of(functions)))
            if kind == "correct":
                ratio = max(o.ratio for o in outcomes)
            else:
                ratio = max((o.ratio for o in outcomes if not o.passed), default=0.0)
            shown = "structural" if math.isinf(ratio) else f"{ratio:.3g}"
            lines.append(f"{a:<11} {name[:48]:<48} {kind:<8} {shown:>18}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(margins_table(sys.argv[1:] or ASSIGNMENTS))
