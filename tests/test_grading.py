"""End to end: grade the bundled example submissions of every assignment in a batch, as a TA would.

Each folder tests/submissions/<id>/ holds a reference solution, the skeleton, realistic mistakes and
hostile notebooks, and expected.json says which questions each must lose and the exact status tags it must
get. The assignments are graded in separate xdist groups, so they run in parallel. The batch's own paths
(retries, limits, the cache, odd folders) are tested on small notebooks in test_batch.py.
"""

import ast
import csv
import json
from pathlib import Path

import pytest

from autograder import course
from autograder.checks import load_suite
from autograder.grading.batch import grade_folder

ROOT = Path(__file__).resolve().parents[1]
# Cells of the bundled notebooks take up to ~12 s on a loaded 2-core machine, calls well under a second: the
# limits leave ten times that; no bundled submission here pays one (the looping ones are tests/hostile.py's). A call
# limit of 5 s was tried and was too short: right after a restart on the loaded machine a first call ran past it.
LIMITS = dict(cell_timeout=120.0, call_timeout=15.0, timeout=600.0)
ASSIGNMENTS = course.assignment_ids()  # each one's tests form an xdist group (tests/conftest.py)


_GRADED: dict = {}  # assignment -> (results, out): graded once per test process, whatever the test order


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded(request, tmp_path_factory):
    assignment = request.param
    if assignment not in _GRADED:
        out = tmp_path_factory.mktemp(f"grades-{assignment}")
        results = grade_folder(assignment=assignment, submissions=ROOT / "tests" / "submissions" / assignment,
                               out=out, workers=2, progress=False, **LIMITS)
        _GRADED[assignment] = {r.submission: r for r in results}, out
    return assignment, *_GRADED[assignment]


def _expected(assignment):
    return json.loads((ROOT / "tests" / "submissions" / assignment / "expected.json").read_text())


def test_every_bundled_submission_states_what_it_must_score(graded):
    """expected.json covers exactly the folder's submissions, so a new example cannot go unchecked."""
    assignment, results, _ = graded
    folder = ROOT / "tests" / "submissions" / assignment
    names = {p.stem for p in folder.iterdir() if p.suffix in (".ipynb", ".zip")}
    assert set(_expected(assignment)) == names


def test_grade_table_matches_the_results(graded):
    """grades.csv: the questions in the suite's order, each row's points as graded, the total their sum, and
    the flag reasons for staff (in grades.csv and Gradescope's extra_data, not the student's page)."""
    assignment, results, out = graded
    rows = list(csv.DictReader((out / "grades.csv").open()))
    questions = [q.name for q in load_suite(assignment).auto_questions()]
    assert list(rows[0]) == ["submission", *questions, "total", "possible", "status", "flagged_because"]
    assert [r["submission"] for r in rows] == sorted(results)
    for row in rows:
        result = results[row["submission"]]
        points = {q: float(row[q]) for q in questions}
        assert points == result.points_by_question(), row["submission"]
        assert float(row["total"]) == pytest.approx(sum(points.values()))
        assert float(row["possible"]) == load_suite(assignment).possible()
        assert row["status"] == result.status
        assert ("flagged" in row["status"]) == bool(row["flagged_because"]), row
        staff = json.loads((out / "results" / f"{row['submission']}.json").read_text())
        assert staff["extra_data"]["flagged_because"] == result.integrity
        assert staff["score"] == pytest.approx(result.total)


def test_reference_gets_full_marks(graded):
    assignment, results, _ = graded
    ref = results["reference"]
    assert ref.total == ref.possible == load_suite(assignment).possible(), ref.notes
    assert ref.flags == [], ref.notes


# What does not depend on the assignment is graded end to end in one (each grading costs 15-40 s on 2 cores):
# reading an export zip, and regrading to the byte. test_batch.py covers the zip's odd cases.
ONCE = next(a for a in ASSIGNMENTS if (ROOT / "tests" / "submissions" / a / "reference_export.zip").exists())


@pytest.mark.parametrize("graded", [ONCE], indirect=True)
def test_exported_zip_is_graded_like_the_notebook(graded):
    _, results, _ = graded
    zips = [name for name in results if name.endswith("_export")]
    assert zips, "the bundle should hold an Otter export zip"
    for name in zips:
        assert results[name].points_by_question() == results["reference"].points_by_question()


def test_skeleton_scores_zero_points_on_every_check(graded):
    _, results, _ = graded
    sk = results["skeleton"]
    assert sk.finished
    assert all(c.points == 0 and not c.passed for q in sk.auto_questions() for c in q.checks)


def test_expected_outcomes(graded):
    """Wrong and hostile submissions lose points on the questions they break, and only there, with exactly the
    status tags expected.json gives (a crash or a grader error where none is expected fails here)."""
    assignment, results, _ = graded
    for name, spec in _expected(assignment).items():
        assert sorted(results[name].flags) == sorted(spec["status"]), f"{name}: {results[name].notes}"
        points = {q.name: (q.points, q.possible) for q in results[name].auto_questions()}
        lose = set(spec.get("lose", []))
        for question, (got, possible) in points.items():
            if question in lose:
                assert got < possible, f"{name} should lose points on {question}"
            else:
                assert got == possible, f"{name} should keep {question}: {results[name].notes}"
        if spec.get("zero"):
            assert results[name].total == 0, name


def test_what_happened_is_explained(graded):
    """Every submission whose status is not ok finishes with notes that say what happened (a flag alone is not
    an explanation), and a flagged one says why."""
    _, results, _ = graded
    for name, result in results.items():
        assert result.finished, name
        if set(result.flags) - {"flagged"}:
            assert result.notes, f"{name} ({result.status}): no note explains what happened"
        if "flagged" in result.flags:
            assert result.integrity, name


def _docstring_lines(source: str) -> set:
    """Line numbers of the module's docstrings: their first paragraph is what feedback names a check by."""
    out = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            out.update(range(body[0].lineno, body[0].end_lineno + 1))
    return out


def test_feedback_names_property_and_input_not_check_code(graded):
    assignment, results, out = graded
    check_source = (ROOT / "autograder" / "checks" / f"{assignment}.py").read_text()
    docstrings = _docstring_lines(check_source)
    code_lines = {line.strip() for number, line in enumerate(check_source.splitlines(), 1)
                  if number not in docstrings
                  and line.strip() and not line.strip().startswith(("#", '"""', "@")) and len(line.strip()) > 25}
    for path in (out / "feedback").glob("*.txt"):
        text = path.read_text()
        leaked = [line for line in code_lines if line in text]
        assert not leaked, f"{path.name} shows check code: {leaked[:3]}"
    wrong = [n for n in results if n.startswith("wrong_")]
    assert wrong
    texts = [(out / "feedback" / f"{n}.txt").read_text() for n in wrong]
    assert any("failing input" in t for t in texts)


def test_the_reference_feedback_shows_the_notebooks_figures(graded):
    """The reference runs its experiments: its feedback page carries the figures it drew (hw5: the ring against
    the exact posterior and the restored digits); a wrong submission, which carries no experiment, gets none."""
    assignment, results, out = graded
    page = out / "feedback" / "reference.html"
    figures = results["reference"].figures
    assert figures and page.exists() and page.read_text().count("<img ") == len(figures)
    if assignment == "hw5_inverse":
        assert len(figures) >= 2
    wrong = next(n for n in results if n.startswith("wrong_"))
    assert not (out / "feedback" / f"{wrong}.html").exists()


def test_gradescope_results(graded):
    assignment, results, out = graded
    data = json.loads((out / "results" / "reference.json").read_text())
    assert data["score"] == load_suite(assignment).possible()
    assert {t["visibility"] for t in data["tests"]} == {"visible", "after_published"}
    assert all(t["score"] == t["max_score"] for t in data["tests"])


@pytest.mark.parametrize("graded", [ONCE], indirect=True)
def test_regrading_is_identical(graded, tmp_path):
    assignment, results, out = graded
    folder = ROOT / "tests" / "submissions" / assignment
    pick = tmp_path / "in"
    pick.mkdir()
    for name in sorted(p.name for p in folder.glob("wrong_*.ipynb"))[:1]:
        (pick / name).write_bytes((folder / name).read_bytes())
    again = {r.submission: r for r in grade_folder(assignment=assignment, submissions=pick, out=tmp_path / "out",
                                                    workers=1, progress=False, cache=False, **LIMITS)}
    for name, result in again.items():
        assert result.questions == results[name].questions and result.flags == results[name].flags == []
        assert not result.notes  # so the feedback carries no timings, and must repeat to the byte
        assert (tmp_path / "out" / "feedback" / f"{name}.txt").read_text() == (out / "feedback" / f"{name}.txt").read_text()


# --- mutation tests of the end-to-end assertions, on results made to order (no grading) -------------------


def _as_expected(assignment) -> dict:
    """Results exactly as expected.json says: lost questions at 0, the rest full, the expected status tags."""
    from autograder.grading.result import Flag, Result

    suite = load_suite(assignment)
    out = {}
    for name, spec in _expected(assignment).items():
        r = Result.blank(assignment, name, suite)
        for q in r.auto_questions():
            for c in q.checks:
                c.passed = q.name not in spec["lose"]
                c.points = c.possible if c.passed else 0.0
        for tag in spec["status"]:
            r.flag(Flag(tag))
        r.notes = ["what happened"] if spec["status"] else []
        r.integrity = ["the code mentions 'x'"] if "flagged" in spec["status"] else []
        r.finished = True
        out[name] = r
    return out


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_outcome_assertions_catch_a_crash_a_free_point_and_an_unexplained_status(assignment):
    """test_expected_outcomes passes on results exactly as expected, and fails when a hostile submission
    crashed the grader (an extra `crashed` tag), when a wrong one keeps the point it should lose, or when a
    kernel death goes unexplained."""
    test_expected_outcomes((assignment, _as_expected(assignment), None))
    test_what_happened_is_explained((assignment, _as_expected(assignment), None))

    crashed = _as_expected(assignment)
    crashed["hostile_monkeypatch"].flags.append("crashed")
    with pytest.raises(AssertionError):
        test_expected_outcomes((assignment, crashed, None))

    free = _as_expected(assignment)
    wrong = next(n for n in free if n.startswith("wrong_"))
    for q in free[wrong].auto_questions():
        for c in q.checks:
            c.passed, c.points = True, c.possible
    with pytest.raises(AssertionError):
        test_expected_outcomes((assignment, free, None))

    silent = _as_expected(assignment)
    silent["hostile_import_reference"].notes = []
    with pytest.raises(AssertionError):
        test_what_happened_is_explained((assignment, silent, None))
