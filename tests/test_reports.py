"""What a TA and Gradescope read: the terminal table, grades.csv, and the Gradescope entry point's choice of
what to grade (checked without a kernel: grading itself is tested end to end in test_grading.py)."""

import csv
import json
import zipfile

import pytest

from autograder.grading.result import CheckResult, Flag, QuestionResult, Result
from autograder.reports import gradescope
from autograder.reports.gradescope import grade_for_gradescope, pick_submission
from autograder.reports.report import table, write_reports

pytestmark = pytest.mark.usefixtures("kernel_zygote")  # kernels fork from it (conftest.py)


def _result(name, earned: dict, flags=(), integrity=()):
    """A hw-like result: question -> (points earned, possible), one check per question, and a manual one."""
    questions = [QuestionResult(q, False, possible, checks=[CheckResult(f"{q}_check", "", possible, False, points,
                                                                        points == possible, "passed")])
                 for q, (points, possible) in earned.items()]
    questions.append(QuestionResult("written", True, 2.0))
    r = Result("hw_x", name, questions)
    for f in flags:
        r.flag(f)
    r.integrity = list(integrity)
    return r


RESULTS = [_result("zoe", {"q1": (3, 3), "q2": (0.5, 2)}),
           _result("adam_long_name", {"q1": (0, 3), "q2": (2, 2)}, [Flag.TIMEOUT, Flag.FLAGGED],
                   ["the code mentions 'sys.modules'"])]


def test_table_is_sorted_aligned_and_totals_the_automatic_questions():
    lines = table(RESULTS).splitlines()
    assert lines[0].split() == ["submission", "q1", "q2", "total", "status"]
    assert lines[1].split() == ["adam_long_name", "0", "2", "2/5", "timeout;flagged"]
    assert lines[2].split() == ["zoe", "3", "0.5", "3.5/5", "ok"]
    starts = {line.index(line.split()[3]) for line in lines}  # the total column starts at one place
    assert len(starts) == 1
    assert table([]) == "(no submissions)"


def test_grades_csv_and_gradescope_results(tmp_path):
    write_reports(RESULTS, tmp_path, "after_published")
    rows = {r["submission"]: r for r in csv.DictReader((tmp_path / "grades.csv").open())}
    assert rows["zoe"] == {"submission": "zoe", "q1": "3", "q2": "0.5", "total": "3.5", "possible": "5",
                           "status": "ok", "flagged_because": ""}
    assert rows["adam_long_name"]["flagged_because"] == "the code mentions 'sys.modules'"
    data = json.loads((tmp_path / "results" / "zoe.json").read_text())
    assert data["score"] == 3.5 and [t["score"] for t in data["tests"]] == [3, 0.5]
    assert "sys.modules" not in json.dumps({k: v for k, v in
                                            json.loads((tmp_path / "results" / "adam_long_name.json").read_text())
                                            .items() if k != "extra_data"})  # staff-only, not the student's page
    assert "q2" in (tmp_path / "feedback" / "zoe.txt").read_text()


def _png(color: str) -> str:
    """A small real PNG (matplotlib), base64."""
    import base64
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [0, 1], color=color)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def test_the_notebooks_figures_reach_the_students_feedback_page_and_nothing_else_does(tmp_path):
    """feedback/<name>.html carries the feedback text and every PNG figure the notebook drew (cell by cell);
    something that is not a PNG in base64 (a forged payload, HTML, a script) is left out, escaped text stays text;
    a notebook without figures gets no page (and a stale one is removed)."""
    with_figures = _result("zoe", {"q1": (3, 3)})
    red, blue = _png("red"), _png("blue")
    with_figures.figures = [{"cell": 4, "png": red}, {"cell": 9, "png": blue},
                            {"cell": 9, "png": "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="},  # <script>alert(1)</script>
                            {"cell": 10, "png": "not base64 !"}, {"cell": 11, "png": None}, "junk"]
    with_figures.note("a <b>note</b> & more")
    plain = _result("adam", {"q1": (0, 3)})
    (tmp_path / "feedback").mkdir()
    (tmp_path / "feedback" / "adam.html").write_text("stale")
    write_reports([with_figures, plain], tmp_path)
    page = (tmp_path / "feedback" / "zoe.html").read_text()
    assert page.count("<img ") == 2 and red in page and blue in page
    assert "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==" not in page and "<script" not in page
    assert "cell 4" in page and "cell 9" in page and "a &lt;b&gt;note&lt;/b&gt; &amp; more" in page
    assert "(2) are on zoe.html" in (tmp_path / "feedback" / "zoe.txt").read_text()
    assert "are on zoe.html" not in page  # the page shows them itself
    assert not (tmp_path / "feedback" / "adam.html").exists()
    assert "html" not in (tmp_path / "feedback" / "adam.txt").read_text()


# --- the Gradescope entry point: which upload is graded ------------------------------------------------------


def _write_zip(path, entry="hw1_score.ipynb"):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(entry, "{}")


def test_a_checkpoint_or_resource_fork_is_never_picked(tmp_path):
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "hw1_score (1)-checkpoint.ipynb").write_text("{}")
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / "__MACOSX" / "._hw1_score (1).ipynb").write_text("{}")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "notes.ipynb").write_text("{}")
    (tmp_path / "hw1_score (1).ipynb").write_text("{}")
    assert pick_submission("hw1_score", tmp_path) == tmp_path / "hw1_score (1).ipynb"  # the shallowest
    (tmp_path / "sub" / "hw1_score.ipynb").write_text("{}")
    assert pick_submission("hw1_score", tmp_path) == tmp_path / "sub" / "hw1_score.ipynb"  # the assignment's name


def test_several_notebooks_the_assignments_name_wins_then_the_shallowest_then_by_name(tmp_path):
    for name in ("b.ipynb", "a.ipynb"):
        (tmp_path / name).write_text("{}")
    assert pick_submission("hw1_score", tmp_path) == tmp_path / "a.ipynb"
    _write_zip(tmp_path / "hw1_score.zip")
    assert pick_submission("hw1_score", tmp_path) == tmp_path / "a.ipynb"  # a notebook before a zip


def test_a_zip_only_upload_is_graded_and_an_empty_one_is_told_what_to_upload(tmp_path, monkeypatch):
    """A student who uploads the zip grader.export() wrote is graded from it, not given zero."""
    graded = []

    def fake_grade_folder(*, assignment, submissions, out, **options):
        graded.append(sorted(p.name for p in submissions.iterdir()))
        return [_result("submission", {"q1": (3, 3)})] if graded[-1] else []  # as grade_folder does

    monkeypatch.setattr(gradescope, "grade_folder", fake_grade_folder)
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "__MACOSX").mkdir()
    _write_zip(upload / "__MACOSX" / "._hw1_score_2026.zip")
    _write_zip(upload / "hw1_score_2026_11_30.zip")
    data = grade_for_gradescope("hw1_score", upload, tmp_path / "results.json")
    assert graded == [["submission.zip"]] and data["score"] == 3
    assert json.loads((tmp_path / "results.json").read_text())["score"] == 3

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("forgot the notebook")
    data = grade_for_gradescope("hw1_score", empty, tmp_path / "results2.json")
    assert data["score"] == 0 and "hw1_score.ipynb" in data["output"]
    assert graded[-1] == []


@pytest.mark.parametrize("upload", [["hw1_score.ipynb"], ["other.ipynb", "hw1_score_export.zip"]])
def test_the_picked_file_keeps_its_kind(tmp_path, monkeypatch, upload):
    seen = []
    monkeypatch.setattr(gradescope, "grade_folder",
                        lambda *, submissions, **_: seen.append([p.name for p in submissions.iterdir()]) or [])
    folder = tmp_path / "up"
    folder.mkdir()
    for name in upload:
        if name.endswith(".zip"):
            _write_zip(folder / name)
        else:
            (folder / name).write_text("{}")
    grade_for_gradescope("hw1_score", folder, tmp_path / "r.json")
    assert seen == [["submission.ipynb"]]


def test_cli_build_and_list_drive_the_library(monkeypatch):
    """`diffcourse build` builds every assignment by default, or the ones named, passing --force on;
    `diffcourse list` names them (the build itself is tested in test_build.py)."""
    from click.testing import CliRunner

    import autograder.build
    from autograder import course
    from autograder.cli import main

    import autograder.practice.notebook as practice_notebooks

    calls = []
    monkeypatch.setattr(autograder.build, "build_assignment",
                        lambda *, assignment, force: calls.append((assignment, force)) or "built")
    monkeypatch.setattr(practice_notebooks, "write_notebooks", lambda folder: calls.append(("practice", folder)))
    runner = CliRunner()
    done = runner.invoke(main, ["build"])
    assert done.exit_code == 0, done.output
    assert calls == [(a, False) for a in course.assignment_ids()] + [("practice", practice_notebooks.FOLDER)]
    assert done.output.splitlines() == [f"{a}: built" for a in course.assignment_ids()] + [
        f"practice notebooks: {practice_notebooks.FOLDER}"]
    calls.clear()
    assert runner.invoke(main, ["build", "hw1_score", "--force"]).exit_code == 0 and calls == [("hw1_score", True)]
    bad = runner.invoke(main, ["build", "hw9_nothing"])
    assert bad.exit_code != 0 and "hw9_nothing" in bad.output
    listed = runner.invoke(main, ["list"])
    assert all(a in listed.output for a in course.assignment_ids())
