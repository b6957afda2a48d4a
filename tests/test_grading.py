"""End to end: grade the bundled example submissions of every assignment in a batch, as a TA would.

Each folder tests/submissions/<id>/ holds a reference solution, the skeleton, realistic mistakes and
hostile notebooks, and expected.json says which questions each must lose. The assignments are graded
in separate xdist groups, so they run in parallel.
"""

import csv
import json
from pathlib import Path

import pytest

from autograder import course
from autograder.checks import load_suite
from autograder.cli import main as cli
from autograder.grading.batch import grade_folder

ROOT = Path(__file__).resolve().parents[1]
# Cells of the bundled notebooks take up to ~12 s on a loaded 2-core machine; calls well under a second.
LIMITS = dict(cell_timeout=40.0, call_timeout=5.0, timeout=300.0)
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


def test_every_submission_is_graded(graded):
    assignment, results, out = graded
    folder = ROOT / "tests" / "submissions" / assignment
    names = {p.stem for p in folder.iterdir() if p.suffix in (".ipynb", ".zip")}
    assert set(results) == names
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert {r["submission"] for r in rows} == names
    suite = load_suite(assignment)
    assert list(rows[0]) == ["submission", *[q.name for q in suite.auto_questions()], "total", "possible", "status",
                             "flagged_because"]
    for row in rows:  # a TA sees why a submission was flagged, and the student's Gradescope page does not
        assert ("flagged" in row["status"]) == bool(row["flagged_because"]), row
        staff = json.loads((out / "results" / f"{row['submission']}.json").read_text())["extra_data"]
        assert staff["flagged_because"] == results[row["submission"]].integrity


def test_reference_gets_full_marks(graded):
    assignment, results, _ = graded
    ref = results["reference"]
    assert ref.total == ref.possible == load_suite(assignment).possible(), ref.notes
    assert ref.status == "ok", ref.notes


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
    """Wrong and hostile submissions lose points on the questions they break, and only there."""
    assignment, results, _ = graded
    for name, spec in _expected(assignment).items():
        points = {q.name: (q.points, q.possible) for q in results[name].auto_questions()}
        lose = set(spec.get("lose", []))
        for question, (got, possible) in points.items():
            if question in lose:
                assert got < possible, f"{name} should lose points on {question}"
            else:
                assert got == possible, f"{name} should keep {question}: {results[name].notes}"
        if spec.get("zero"):
            assert results[name].total == 0, name


def test_hostile_submissions_are_explained(graded):
    """Every hostile submission finishes with a status that says what happened, not just a flag."""
    _, results, _ = graded
    for name, result in results.items():
        assert result.finished, name
        if name.startswith("hostile_"):
            real = [f for f in result.flags if f != "flagged"]
            assert real or name == "hostile_import_reference", f"{name}: {result.status} {result.notes}"
            assert result.notes, f"{name}: no note explains what happened"


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
    assert any("failing input" in t for t in texts)


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
    for name in sorted(p.name for p in folder.glob("wrong_*.ipynb"))[:1]:
        (pick / name).write_bytes((folder / name).read_bytes())
    again = {r.submission: r for r in grade_folder(assignment=assignment, submissions=pick, out=tmp_path / "out",
                                                    workers=1, progress=False, cache=False, **LIMITS)}
    for name, result in again.items():
        assert result.questions == results[name].questions
        assert (tmp_path / "out" / "feedback" / f"{name}.txt").read_text() == (out / "feedback" / f"{name}.txt").read_text()


def test_cli_check_prints_feedback(capsys):
    notebook = ROOT / "tests" / "submissions" / "hw1_score" / "wrong_langevin_no_factor2.ipynb"
    with pytest.raises(SystemExit) as exit_info:
        cli(["check", "hw1_score", str(notebook)], standalone_mode=False)
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "[langevin_step] 0 / 3" in text or "[langevin_step] 1 / 3" in text
    assert "[gmm_score] 6 / 6" in text


def test_second_run_reuses_unchanged_results_and_no_cache_regrades(tmp_path):
    """The cache serves unchanged submissions; `--no-cache` ignores it (a tampered entry is not believed)."""
    folder = tmp_path / "in"
    folder.mkdir()
    src = ROOT / "tests" / "submissions" / "hw1_score" / "wrong_tweedie_sigma.ipynb"
    (folder / "a.ipynb").write_bytes(src.read_bytes())
    out = tmp_path / "out"
    first = grade_folder(assignment="hw1_score", submissions=folder, out=out, progress=False, **LIMITS)
    [entry] = list((out / ".cache").glob("*.json"))
    assert grade_folder(assignment="hw1_score", submissions=folder, out=out, progress=False, **LIMITS) == first

    data = json.loads(entry.read_text())
    for q in data["questions"]:
        for c in q["checks"]:
            c["points"], c["passed"] = c["possible"], True
    entry.write_text(json.dumps(data))
    tampered = grade_folder(assignment="hw1_score", submissions=folder, out=out, progress=False, **LIMITS)
    assert tampered[0].total == tampered[0].possible  # the cache is trusted by default ...
    cli(["grade", "hw1_score", str(folder), "--out", str(out), "--no-cache", "--cell-timeout", "40",
         "--call-timeout", "5", "--timeout", "300"], standalone_mode=False)  # the same settings: the same cache key
    row = next(csv.DictReader((out / "grades.csv").open()))
    assert float(row["total"]) == first[0].total < first[0].possible  # ... and --no-cache does not believe it

    (folder / "a.ipynb").write_bytes((src.parent / "reference.ipynb").read_bytes())  # a resubmission is regraded
    third = grade_folder(assignment="hw1_score", submissions=folder, out=out, progress=False, **LIMITS)
    assert third[0].total == third[0].possible


def test_cache_key_changes_with_library_versions(tmp_path, monkeypatch):
    """A result graded under other versions of torch, numpy or hypothesis is not reused."""
    from autograder.grading import cache

    a = course.get("hw1_score")
    sub = tmp_path / "a.ipynb"
    sub.write_text("{}")
    key = cache.ResultCache(tmp_path, a, {}).key(sub, "a")
    for library in ("torch", "numpy", "hypothesis"):
        real = cache.versions()
        monkeypatch.setattr(cache, "versions", lambda lib=library: {**real, lib: "0.0.0"})
        assert cache.ResultCache(tmp_path, a, {}).key(sub, "a") != key, library
        monkeypatch.undo()
    assert cache.ResultCache(tmp_path, a, {}).key(sub, "a") == key


def test_a_worker_that_dies_before_grading_is_retried_and_then_reported(tmp_path):
    """No progress written (an import failing, the machine out of memory) is retried like any crash, and the
    last try gives a clear `crashed` result, which is never cached."""
    from types import SimpleNamespace

    from autograder.grading.batch import TRANSIENT, Job, Runner

    runner = Runner("hw1_score", tmp_path, 10.0, [])
    job = Job(tmp_path / "a.ipynb", "a", tmp_path / "0.json")
    (tmp_path / "0.log").write_text("Traceback: MemoryError\n")
    dead = SimpleNamespace(returncode=1)
    assert runner._finish(job, dead, overdue=False, last=False) is None
    result = runner._finish(job, dead, overdue=False, last=True)
    assert result.finished and result.status == "crashed" and result.total == 0
    assert "exit code 1" in " ".join(result.notes)
    assert "crashed" in TRANSIENT


def test_the_gradescope_entry_point_never_grades_a_checkpoint(tmp_path):
    from autograder.reports.gradescope import pick_notebook

    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "hw1_score (1)-checkpoint.ipynb").write_text("{}")
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / "__MACOSX" / "._hw1_score (1).ipynb").write_text("{}")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "notes.ipynb").write_text("{}")
    (tmp_path / "hw1_score (1).ipynb").write_text("{}")
    assert pick_notebook("hw1_score", tmp_path) == tmp_path / "hw1_score (1).ipynb"
    (tmp_path / "sub" / "hw1_score.ipynb").write_text("{}")
    assert pick_notebook("hw1_score", tmp_path) == tmp_path / "sub" / "hw1_score.ipynb"
