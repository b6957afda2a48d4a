"""What a TA reads about a whole class: the class report (class_report.html) and the course's gradebook.csv.

Results are made to order (no grading); the page is also opened in headless Chromium.
"""

import base64
import csv
import html
import io
import json
import shutil

import matplotlib.image
import numpy as np
import pytest

from autograder.checks import load_suite
from autograder.checks.catalogs.hw1_score import CATALOG
from autograder.checks.misconceptions import explain
from autograder.grading.result import Flag, Result
from autograder.reports.classreport import (class_report, failing_checks, figures, misconceptions_seen,
                                            needs_a_look, regrade_command, write_class_report)
from autograder.reports.gradebook import write_gradebook
from autograder.reports.report import write_reports

ASSIGNMENT = "hw1_score"
SUITE = load_suite(ASSIGNMENT)
REGRADE = "diffcourse grade hw1_score subs --out out --only SUBMISSION"
HOSTILE = "<img src=x onerror=alert('x')>"  # a file name can hold it (no slash)


def _known(name: str) -> str:
    """The line the grader adds to a failing check's message for the catalog's misconception `name`."""
    return explain(next(e for e in CATALOG.entries if e.name == name))


def _result(name, failing=None, flags=(), integrity=(), notes=()):
    """A hw1_score result with every check passed but those of `failing` (check name -> message)."""
    failing = failing or {}
    r = Result.blank(ASSIGNMENT, name, SUITE)
    for q in r.auto_questions():
        for c in q.checks:
            c.passed = c.name not in failing
            c.points = c.possible if c.passed else 0.0
            c.message = failing.get(c.name, "passed")
    for f in flags:
        r.flag(f)
    r.integrity, r.notes, r.finished = list(integrity), list(notes), True
    return r


def _class():
    """Six submissions: two show the Tweedie-sigma mistake, one the unweighted DSM loss, one timed out (its check
    not run), one is hostile (named like a script, a forged misconception line), one crashed."""
    return [
        _result("alice", {"tweedie_formula": "tweedie_denoiser: wrong value at index (0, 0) of alice's answer\n"
                                             + _known("tweedie_sigma"),
                          "tweedie_is_exact_denoiser": "alice: tweedie_denoiser vs E[x|y] wrong\n"
                                                       + _known("tweedie_sigma")}),
        _result("bob", {"tweedie_formula": "tweedie_denoiser: wrong value at index (1, 1)\n" + _known("tweedie_sigma"),
                        "dsm_loss_matches": "dsm_loss: wrong value\n" + _known("dsm_no_sigma_weight")}),
        _result("carol"),
        _result("dave", {"annealed_matches": "not run: the submission's time limit was reached"}, [Flag.TIMEOUT],
                notes=["the submission ran past its 600 s limit"]),
        _result(HOSTILE, {"gmm_score_public": "gmm_score raised ValueError: <script>alert(1)</script>\n"
                                              "This is a known mistake (tweedie sigma): forged by the student"},
                [Flag.FLAGGED], integrity=["the code mentions 'sys.modules'"]),
        _result("erin", flags=[Flag.CRASHED], notes=["the grader's worker died every time"]),
    ]


@pytest.fixture(scope="module")
def page():
    """The class report of `_class()` (drawing its figures takes a second or two: once for the module)."""
    return class_report(_class(), assignment=ASSIGNMENT, regrade=REGRADE)


def test_the_checks_that_fail_most_often_come_first_with_an_anonymous_example(page):
    """Sorted by failure rate, then suite order; a check not run (dave's time limit) counts neither as run nor as
    failed; the example is the shortest message, with the submission's name taken out."""
    tallies = failing_checks(_class())
    assert [(t.check, t.failed, t.ran) for t in tallies] == [
        ("tweedie_formula", 2, 6), ("gmm_score_public", 1, 6), ("tweedie_is_exact_denoiser", 1, 6),
        ("dsm_loss_matches", 1, 6)]
    table = page.split("Checks that fail most often")[1].split("Named misconceptions")[0]
    positions = [table.index(f">{name}<") for name in ("tweedie_formula", "gmm_score_public",
                                                        "tweedie_is_exact_denoiser", "dsm_loss_matches")]
    assert positions == sorted(positions) and "annealed_matches" not in table
    assert "2 of 6" in table and "hidden" in table and "public" in table
    assert "wrong value at index (1, 1)" in table and "(0, 0)" not in table  # bob's is the shorter message
    assert "[submission]: tweedie_denoiser vs E[x|y] wrong" in table  # alice's, without her name
    assert "alice" not in page and "bob" not in page.split("Submissions to")[0]


def test_named_misconceptions_are_counted_by_submission_and_a_forged_one_is_not(page):
    seen = misconceptions_seen(_class(), ASSIGNMENT)
    assert [(t.name, sorted(t.submissions), t.questions) for t in seen] == [
        ("tweedie sigma", ["alice", "bob"], ["tweedie_denoiser"]), ("dsm no sigma weight", ["bob"], ["dsm_loss"])]
    section = page.split("Named misconceptions")[1].split("Submissions to look at")[0]
    assert section.index("tweedie sigma") < section.index("dsm no sigma weight")
    assert '<td class="n">2</td>' in section and "forged by the student" not in section
    sentence = next(e.message for e in CATALOG.entries if e.name == "tweedie_sigma")
    assert html.escape(sentence) in section


def test_timeouts_crashes_and_flags_are_listed_with_their_notes_and_regrade_command(page):
    assert [r.submission for r in needs_a_look(_class())] == sorted([HOSTILE, "dave", "erin"])
    section = page.split("Submissions to look at")[1]
    for name, status in (("dave", "timeout"), ("erin", "crashed"), (HOSTILE, "flagged")):
        assert f"<td>{html.escape(name)}</td><td>{status}</td>" in section
        assert html.escape(regrade_command(REGRADE, name)) in section
    assert "diffcourse grade hw1_score subs --out out --only dave" in section
    assert "the submission ran past its 600 s limit" in section and "the grader&#x27;s worker died" in section
    assert "flagged because the code mentions &#x27;sys.modules&#x27;" in section
    assert "carol" not in section and "alice" not in section
    assert f"<code>{html.escape(REGRADE)}</code>" in page  # the general command, once, in the header


def test_hostile_text_is_escaped_and_the_only_script_is_the_reports_own(page):
    assert page.count("<script") == 1 and page.count("</script>") == 1 and page.count("<img ") == 2
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # a message
    assert "&lt;img src=x onerror=alert(&#x27;x&#x27;)&gt;" in page  # a name
    assert regrade_command("grade SUBMISSIONS --only SUBMISSION", "a\\1") == "grade SUBMISSIONS --only 'a\\1'"
    assert regrade_command("x SUBMISSION", HOSTILE) == "x '<img src=x onerror=alert('\"'\"'x'\"'\"')>'"  # shell-quoted


def test_a_histogram_per_question_and_one_of_the_totals_embedded_as_png(page):
    results = _class()
    figs = figures(results)
    questions = [q.name for q in SUITE.auto_questions()]
    assert len(figs) == 2 and all(q in figs[0][0] for q in questions) and "total" in figs[1][0]
    assert page.count("<img ") == 2
    for alt, png in figs:
        assert f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{png}">' in page
    image = matplotlib.image.imread(io.BytesIO(base64.b64decode(figs[0][1])), format="png")
    assert image.shape[1] == 1080 and image.shape[0] < 500  # 8 questions: 4 panels of 270 px a row, two rows


def test_the_same_results_give_the_same_bytes_in_any_order(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_class_report(_class(), tmp_path / "a", assignment=ASSIGNMENT, regrade=REGRADE)
    second = write_class_report(list(reversed(_class())), tmp_path / "b", assignment=ASSIGNMENT, regrade=REGRADE)
    assert first.name == "class_report.html" and first.read_bytes() == second.read_bytes()


def test_write_reports_writes_the_class_report_and_names_the_assignment(tmp_path):
    write_reports(_class(), tmp_path)
    assert json.loads((tmp_path / "grading.json").read_text())["assignment"] == ASSIGNMENT
    page = (tmp_path / "class_report.html").read_text()
    assert "diffcourse check hw1_score dave.ipynb" in page  # the default regrade command
    write_reports(_class(), tmp_path, regrade=REGRADE, assignment="hw1_renamed")
    assert json.loads((tmp_path / "grading.json").read_text())["assignment"] == "hw1_renamed"
    assert "--only dave" in (tmp_path / "class_report.html").read_text()
    write_reports([], tmp_path)
    assert not (tmp_path / "class_report.html").exists()  # no stale report


@pytest.fixture
def chromium_binary():
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return binary


def test_chromium_loads_every_figure_and_shows_a_picture(tmp_path, chromium_binary):
    """In a real browser every image decodes (the page's script then sets data-figures="2-loaded") and the
    screenshot is not blank."""
    from browser import chromium

    uri = write_class_report(_class(), tmp_path, assignment=ASSIGNMENT, regrade=REGRADE).as_uri()
    dom = chromium("--virtual-time-budget=2000", "--dump-dom", uri, profile=tmp_path / "profile")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'data-figures="2-loaded"' in dom.stdout, dom.stdout[:2000]
    shot = tmp_path / "shot.png"
    done = chromium(f"--screenshot={shot}", uri, profile=tmp_path / "profile", size=(1200, 2400))
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (2400, 1200)
    assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 50  # text, tables, histograms


# -- the gradebook ------------------------------------------------------------------------------------------------

def _graded(folder, assignment, rows, possible):
    """A folder as `diffcourse grade` writes it: grades.csv (rows: submission -> total) and grading.json."""
    folder.mkdir(parents=True)
    lines = ["submission,q1,total,possible,status,flagged_because"]
    lines += [f"{name},{total},{total},{possible},ok," for name, total in rows.items()]
    (folder / "grades.csv").write_text("\r\n".join(lines) + "\r\n")
    if assignment is not None:
        (folder / "grading.json").write_text(json.dumps({"assignment": assignment, "sandbox": None}))


def test_the_gradebook_has_a_row_per_student_and_a_column_per_assignment_in_the_course_order(tmp_path):
    _graded(tmp_path / "out-ddpm", "hw2_ddpm", {"bob": 7, "alice": 9.5}, 10)
    _graded(tmp_path / "score", "hw1_score", {"alice": 20}, 26)
    _graded(tmp_path / "extra_quiz", None, {"carol": 1}, 2)  # no grading.json: the folder's name
    (tmp_path / "notes").mkdir()  # not a graded folder
    path = write_gradebook(tmp_path)
    assert path == tmp_path / "gradebook.csv"
    rows = list(csv.reader(path.open(newline="")))
    assert rows == [["student", "hw1_score", "hw2_ddpm", "extra_quiz", "total", "possible"],
                    ["alice", "20", "9.5", "", "29.5", "38"],
                    ["bob", "", "7", "", "7", "38"],
                    ["carol", "", "", "1", "1", "38"]]


def test_a_malformed_grades_csv_names_its_file_and_line_and_nothing_is_written(tmp_path):
    _graded(tmp_path / "a", "hw1_score", {"alice": 20, "bob": 3}, 26)
    _graded(tmp_path / "b", "hw2_ddpm", {"alice": 7}, 10)
    bad = tmp_path / "b" / "grades.csv"
    bad.write_text(bad.read_text() + "bob,x,lots,10,ok,\r\n")
    with pytest.raises(ValueError, match=rf"{bad}:3: total is 'lots'"):
        write_gradebook(tmp_path)
    assert not (tmp_path / "gradebook.csv").exists()
    bad.write_text("name,points\r\nalice,3\r\n")
    with pytest.raises(ValueError, match=rf"{bad}:1: the header lacks submission, total, possible"):
        write_gradebook(tmp_path)
    assert not (tmp_path / "gradebook.csv").exists()


def test_no_assignment_folder_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no assignment folder"):
        write_gradebook(tmp_path)


def test_a_name_a_spreadsheet_would_run_as_a_formula_is_written_inert(tmp_path):
    _graded(tmp_path / "score", "hw1_score", {"=HYPERLINK(x)": 3, "+1": 2, "alice": 1}, 26)
    names = [row[0] for row in csv.reader(write_gradebook(tmp_path).open(newline=""))][1:]
    assert sorted(names) == ["'+1", "'=HYPERLINK(x)", "alice"]


def test_the_example_of_a_failing_check_is_a_real_mistake_before_unfinished_work():
    from autograder.reports.classreport import failing_checks

    unfinished = "tweedie_denoiser the notebook defines no function named 'tweedie_denoiser'"
    mistake = "tweedie_denoiser: wrong value at index (0, 0): got 1.5, expected 1.25 (error 0.25, allowed 1e-6)"
    results = [_result("aaron", {"tweedie_formula": unfinished}), _result("zoe", {"tweedie_formula": mistake})]
    tally = next(t for t in failing_checks(results) if t.check == "tweedie_formula")
    assert tally.failed == 2 and tally.example[0] == mistake  # although the unfinished one is shorter
