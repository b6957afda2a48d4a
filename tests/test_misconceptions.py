"""Feedback that names the misconception, and public checks that are the same in the notebook and the grader.

- Every catalog entry (`autograder/checks/catalogs/<id>.py`) has an example submission with exactly that
  mistake (tests/submissions/<id>/examples.py, written independently of the catalog's variant), and grading
  that example names the entry, no other, and explains it.
- A catalogued example whose mistake the catalog does not know gets no name at all: a wrong name is worse
  than none.
- A correct answer never matches an entry, on any public case.
- The rendered public test (what `grader.check` runs in the student's notebook) and the grader's public
  check reach the same verdict with the same message, for the reference and every mistake.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from autograder import course
from autograder.checks import load_suite, public
from autograder.checks.misconceptions import explain
from inprocess import namespace, run_checks, support_modules

sys.path.insert(0, str(Path(__file__).resolve().parent / "submissions"))
from kit import load, source_of  # noqa: E402

ASSIGNMENTS = [a for a in course.assignment_ids() if (Path(__file__).parent / "submissions" / a / "examples.py").exists()]

# Examples that show a catalogued misconception under another name (the same mistake in another context), or
# one that shows as two entries depending on the input (swapped variances: "small" uses beta_t, "large" does not).
ALSO = {
    "hw2_ddpm": {"alpha_not_sqrt_sampler_uses_it": {"alpha_not_sqrt"}, "variance_swapped": {"always_large", "always_small"}},
    "hw3_ddim": {"sigma_ratio_inverted_sampler_uses_it": {"sigma_ratio_inverted"}},
    "hw4_guidance": {"w_for_one_plus_w_sampler_uses_it": {"w_for_one_plus_w"}},
}
NAMED = re.compile(r"This is a known mistake \(([^)]*)\)")


def _setup(assignment):
    support_modules(course.get(assignment))
    return load_suite(assignment), load(assignment)


def _entries():
    for a in ASSIGNMENTS:
        for entry in load_suite(a).catalog.entries:
            yield a, entry.name


@pytest.mark.parametrize("assignment,name", list(_entries()))
def test_every_catalog_entry_has_an_example_of_its_name_and_function(assignment, name):
    """What grading that example must say is checked with every other example's (the next test)."""
    suite, examples = _setup(assignment)
    [entry] = [e for e in suite.catalog.entries if e.name == name]
    mistakes = [m for m in examples.mistakes if m.name == name]
    assert mistakes, f"{assignment}: catalog entry {name!r} has no example mistake of the same name in examples.py"
    [mistake] = mistakes
    assert mistake.function == entry.function, (mistake.function, entry.function)


def _mistakes():
    for a in ASSIGNMENTS:
        for m in load(a).mistakes:
            yield a, m.name


@pytest.mark.parametrize("assignment,name", list(_mistakes()))
def test_a_mistake_is_named_only_as_what_it_is(assignment, name):
    """An example of a catalog entry gets that entry's name, no other, and its explanation; an example whose mistake
    is not in the catalog gets no name (or only the entry it shows under another name, `ALSO`)."""
    suite, examples = _setup(assignment)
    [mistake] = [m for m in examples.mistakes if m.name == name]
    entries = {e.name: e for e in suite.catalog.entries}
    allowed = ({name} & set(entries)) | ALSO.get(assignment, {}).get(name, set())
    outcomes = run_checks(suite, namespace(source_of(examples.mistake(mistake))), questions={mistake.question})
    messages = [o.message for o in outcomes if not o.passed]
    named = {n for msg in messages for n in NAMED.findall(msg)}
    if name in entries:
        assert named == {name.replace("_", " ")}, (named, messages)
        assert any(explain(entries[name]) in msg for msg in messages)
    assert named <= {a.replace("_", " ") for a in allowed}, (named, allowed)
    if allowed:
        assert named, f"{name}: a catalogued mistake that was not named"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_correct_answers_never_match_an_entry(assignment):
    """On every public case, the reference's answer (and so any correct rewrite's) matches no entry."""
    suite, _ = _setup(assignment)
    for question, pairs in suite.public_cases.items():
        for case, _ in pairs:
            if case.raises is not None:  # no answer to match: the contract raises on these inputs
                continue
            reference = suite.catalog.references[case.function]
            got = reference(**case.inputs)
            if case.loss is None:
                assert suite.catalog.diagnose(case.function, case.inputs, got) is None, (question, case.what)
            else:
                assert not [e for e, (value, grads) in
                            suite.catalog.loss_outputs(case.function, case.inputs, case.loss)
                            if public.close_to(got.detach(), value)
                            and all(public.close_to(g, grads[n]) for n, g in
                                    public.answer(reference, case).grads.items())], (question, case.what)


def _public_verdicts(suite, ns, question):
    """(grader's public check message or None, notebook's public test message or None)."""
    [grader] = run_checks(suite, ns, questions={question}, checks={f"{question}_public"})
    pairs = suite.public_cases[question]
    code = public.render_test(question, suite.questions[question].functions, [c for c, _ in pairs],
                              [a for _, a in pairs], suite.catalog)
    try:
        exec(compile(code, f"<public test of {question}>", "exec"), dict(ns))
        notebook = None
    except AssertionError as err:
        notebook = str(err)
    except Exception as err:  # noqa: BLE001 - the student's code raised: Otter shows the traceback
        notebook = f"raised {type(err).__name__}"
    return (None if grader.passed else grader.message), notebook


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_public_checks_agree_between_notebook_and_grader(assignment):
    suite, examples = _setup(assignment)
    for question in suite.public_cases:
        assert _public_verdicts(suite, namespace(source_of(examples.functions())), question) == (None, None)
    for mistake in examples.mistakes:
        if mistake.question not in suite.public_cases:
            continue
        grader, notebook = _public_verdicts(suite, namespace(source_of(examples.mistake(mistake))), mistake.question)
        assert (grader is None) == (notebook is None), (mistake.name, grader, notebook)
        if grader and "(public case" in grader and not notebook.startswith("raised"):
            assert grader == notebook, (mistake.name, grader, notebook)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_question_has_public_cases_covering_its_functions(assignment):
    suite = load_suite(assignment)
    for q in suite.auto_questions():
        assert q.name in suite.public_cases, f"{assignment}: question {q.name} has no public cases (Suite.public)"
        covered = {c.function for c, _ in suite.public_cases[q.name]}
        assert covered == set(q.functions), (q.name, covered, q.functions)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_message_states_what_the_student_derives(assignment):
    """The catalog's messages ship to students inside the public tests: none may give away the result of a
    written derivation (each catalog lists those results as DERIVED)."""
    import importlib

    module = importlib.import_module(f"autograder.checks.catalogs.{assignment}")
    for entry in module.CATALOG.entries:
        leaked = [d for d in module.DERIVED if d in entry.message]
        assert not leaked, f"{entry.name}: {leaked} in {entry.message!r}"


def test_a_failure_that_comes_from_a_called_function_says_so_and_names_no_mistake():
    """The grader checks ddpm_step with a correct q_posterior_mean_variance; the notebook has only the student's.
    With the posterior's variance wrong (beta_t) and ddpm_step itself right, ddpm_step's public test in the
    notebook fails, points at the posterior, and does not name `always_large` (which the answer would match)."""
    import nbformat

    from autograder.build.public_tests import calls

    suite, examples = _setup("hw2_ddpm")
    [mistake] = [m for m in examples.mistakes if m.name == "posterior_var_beta"]
    [through] = [v for v in examples.variants if v.name == "ddpm_step through the helpers, called by keyword"]
    ns = namespace(source_of(examples.functions({**through.edits, mistake.function: mistake.edits})))
    cases_of = {}
    for pairs in suite.public_cases.values():
        for case, ans in pairs:
            cases_of.setdefault(case.function, []).append((case, ans))
    called = calls(nbformat.read(course.get("hw2_ddpm").master, as_version=4), set(cases_of))
    assert called["ddpm_step"] == {"q_posterior_mean_variance", "predict_x0_from_eps"}
    pairs = suite.public_cases["ddpm_step"]
    depends = [p for h in sorted(called["ddpm_step"]) for p in cases_of[h]]
    code = public.render_test("ddpm_step", ["ddpm_step"], [c for c, _ in pairs], [a for _, a in pairs], suite.catalog,
                              depends=depends)
    with pytest.raises(AssertionError) as err:
        exec(compile(code, "<public test of ddpm_step>", "exec"), dict(ns))
    assert "may call q_posterior_mean_variance, which fails its own public check" in str(err.value)
    assert "known mistake" not in str(err.value)
    grader, _ = _public_verdicts(suite, ns, "ddpm_step")
    assert grader is None  # the grader, with a correct posterior standing in, passes it
    exec(compile(code, "<public test of ddpm_step>", "exec"), dict(namespace(source_of(examples.functions()))))


@pytest.mark.parametrize("body,passes", [("raise ValueError('n must be >= 0')", True), ("raise TypeError('no')", False),
                                         ("pass", False), ("return None", False), ("return 'refused'", False)])
def test_a_public_case_that_raises_reaches_the_same_verdict_in_notebook_and_grader(body, passes):
    """`PublicCase(raises=...)`: the contract's exception passes; returning, or raising another exception, fails
    with the same message in the notebook's test and in the grader's public check."""
    import torch

    from autograder.checks.framework import Suite
    from autograder.checks.misconceptions import Catalog

    def halve(n):
        if n < 0:
            raise ValueError("n must be >= 0")
        return torch.tensor(n / 2, dtype=torch.float64)

    suite = Suite("demo", catalog=Catalog(references={"halve": halve}))
    suite.public("q", 1, [public.PublicCase("halve", "n = 4", dict(n=4)),
                          public.PublicCase("halve", "a negative n is refused", dict(n=-1), raises="ValueError")])
    source = (f"import torch\n\n\ndef halve(n):\n    if n < 0:\n        {body}\n"
              "    return torch.tensor(n / 2, dtype=torch.float64)\n")
    grader, notebook = _public_verdicts(suite, namespace(source), "q")
    assert grader == notebook
    assert (grader is None) == passes
    if not passes:
        assert grader.startswith("halve (public case 2: a negative n is refused): ") and "ValueError" in grader
