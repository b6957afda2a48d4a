"""End to end: grade the bundled example submissions of every assignment in a batch, as a TA would.

Each folder tests/submissions/<id>/ holds a reference solution, the skeleton, realistic mistakes and
hostile notebooks, and expected.json says which questions each must lose.
"""

import csv
import json
from pathlib import Path

import pytest

from autograder.assignments import ASSIGNMENTS
from autograder.batch import grade_folder
from autograder.checks import load_suite
from autograder.cli import main as cli

ROOT = Path(__file__).resolve().parents[1]
LIMITS = dict(cell_timeout=20.0, call_timeout=5.0, timeout=300.0)


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded(request, tmp_path_factory):
    assignment = request.param
    out = tmp_path_factory.mktemp(f"grades-{assignment}")
    results = grade_folder(assignment=assignment, submissions=ROOT / "tests" / "submissions" / assignment, out=out,
                           workers=2, progress=False, **LIMITS)
    return assignment, {r["submission"]: r for r in results}, out


def _expected(assignment):
    return json.loads((ROOT / "tests" / "submissions" / assignment / "expected.json").read_text())


def _points(result):
    return {q["name"]: (q["points"], q["possible"]) for q in result["questions"] if not q["manual"]}


def test_every_submission_is_graded(graded):
    assignment, results, out = graded
    folder = ROOT / "tests" / "submissions" / assignment
    names = {p.stem for p in folder.iterdir() if p.suffix in (".ipynb", ".zip")}
    assert set(results) == names
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert {r["submission"] for r in rows} == names
    suite = load_suite(assignment)
    assert list(rows[0]) == ["submission", *[q.name for q in suite.auto_questions()], "total", "possible", "status"]


def test_reference_gets_full_marks(graded):
    assignment, results, _ = graded
    ref = results["reference"]
    assert ref["total"] == ref["possible"] == load_suite(assignment).possible(), ref["notes"]
    assert ref["status"] == "ok", ref["notes"]


def test_exported_zip_is_graded_like_the_notebook(graded):
    _, results, _ = graded
    zips = [name for name in results if name.endswith("_export")]
    assert zips, "the bundle should hold an Otter export zip"
    for name in zips:
        assert _points(results[name]) == _points(results["reference"])


def test_skeleton_gets_zero_without_crashing(graded):
    _, results, _ = graded
    sk = results["skeleton"]
    assert sk["total"] == 0
    assert sk.get("finished")


def test_expected_outcomes(graded):
    """Wrong and hostile submissions lose points on the questions they break, and only there."""
    assignment, results, _ = graded
    for name, spec in _expected(assignment).items():
        points = _points(results[name])
        lose = set(spec.get("lose", []))
        for question, (got, possible) in points.items():
            if question in lose:
                assert got < possible, f"{name} should lose points on {question}"
            else:
                assert got == possible, f"{name} should keep {question}: {results[name]['questions']}"
        if spec.get("zero"):
            assert results[name]["total"] == 0, name


def test_hostile_submissions_finish_with_a_clear_status(graded):
    _, results, _ = graded
    for name, result in results.items():
        assert result.get("finished") or result["status"] in ("crashed", "timeout"), name
        if name.startswith("hostile_"):
            assert result["status"] != "ok" or result["notes"], f"{name}: no status or note explains what happened"


def test_feedback_names_property_and_input_not_check_code(graded):
    assignment, results, out = graded
    check_source = (ROOT / "autograder" / "checks" / f"{assignment}.py").read_text()
    code_lines = {line.strip() for line in check_source.splitlines()
                  if line.strip() and not line.strip().startswith(("#", '"""', "@")) and len(line.strip()) > 25}
    for path in (out / "feedback").glob("*.txt"):
        text = path.read_text()
        leaked = [line for line in code_lines if line in text]
        assert not leaked, f"{path.name} shows check code: {leaked[:3]}"
    wrong = [n for n in results if n.startswith("wrong_")]
    assert wrong
    texts = [(out / "feedback" / f"{n}.txt").read_text() for n in wrong]
    assert any("smallest failing input" in t for t in texts)


def test_gradescope_results(graded):
    assignment, results, out = graded
    data = json.loads((out / "results" / "reference.json").read_text())
    assert data["score"] == load_suite(assignment).possible()
    assert {t["visibility"] for t in data["tests"]} == {"visible", "after_published"}
    assert all(t["score"] == t["max_score"] for t in data["tests"])


def test_regrading_is_identical(graded, tmp_path):
    assignment, results, out = graded
    folder = ROOT / "tests" / "submissions" / assignment
    pick = tmp_path / "in"
    pick.mkdir()
    for name in ("reference.ipynb", sorted(p.name for p in folder.glob("wrong_*.ipynb"))[0]):
        (pick / name).write_bytes((folder / name).read_bytes())
    again = {r["submission"]: r for r in grade_folder(assignment=assignment, submissions=pick, out=tmp_path / "out",
                                                      workers=1, progress=False, **LIMITS)}
    for name, result in again.items():
        assert result["questions"] == results[name]["questions"]
        assert (tmp_path / "out" / "feedback" / f"{name}.txt").read_text() == (out / "feedback" / f"{name}.txt").read_text()


def test_cli_check_prints_feedback(capsys):
    notebook = ROOT / "tests" / "submissions" / "hw1_score" / "wrong_langevin_no_factor2.ipynb"
    with pytest.raises(SystemExit) as exit_info:
        cli(["check", "hw1_score", str(notebook)], standalone_mode=False)
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "[langevin_step] 0 / 3" in text or "[langevin_step] 1 / 3" in text
    assert "[gmm_score] 6 / 6" in text


def test_second_run_reuses_unchanged_results(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    src = ROOT / "tests" / "submissions" / "hw1_score" / "wrong_tweedie_sigma.ipynb"
    (folder / "a.ipynb").write_bytes(src.read_bytes())
    first = grade_folder(assignment="hw1_score", submissions=folder, out=tmp_path / "out", progress=False, **LIMITS)
    cached = list((tmp_path / "out" / ".cache").glob("*.json"))
    assert len(cached) == 1
    second = grade_folder(assignment="hw1_score", submissions=folder, out=tmp_path / "out", progress=False, **LIMITS)
    assert second == first
    (folder / "a.ipynb").write_bytes((src.parent / "reference.ipynb").read_bytes())  # a resubmission is regraded
    third = grade_folder(assignment="hw1_score", submissions=folder, out=tmp_path / "out", progress=False, **LIMITS)
    assert third[0]["total"] == third[0]["possible"] > first[0]["total"]


def test_gradescope_entry_point(tmp_path):
    from autograder.gradescope import main as gradescope_main

    sub = tmp_path / "submission"
    sub.mkdir()
    (sub / "hw1_score.ipynb").write_bytes((ROOT / "tests" / "submissions" / "hw1_score" / "reference.ipynb").read_bytes())
    gradescope_main(["hw1_score", str(sub), str(tmp_path / "results" / "results.json")])
    data = json.loads((tmp_path / "results" / "results.json").read_text())
    assert data["score"] == load_suite("hw1_score").possible()
    assert len(data["tests"]) == sum(len(q.checks) for q in load_suite("hw1_score").auto_questions())
