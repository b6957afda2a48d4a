"""The build: committed student folders are current, carry no outputs, no solutions and no hidden checks;
the autograder zip carries the hidden checks."""

import json
import re
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import course
from autograder.build import build_assignment, manifest
from autograder.checks import load_suite

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", params=course.assignment_ids())
def fresh_build(request, tmp_path_factory):
    assignment = request.param
    tmp = tmp_path_factory.mktemp(f"build-{assignment}")
    build_assignment(assignment=assignment, force=True, student_target=tmp / "student", dist=tmp / "dist")
    return assignment, tmp / "student", tmp / "dist" / f"{assignment}-autograder.zip"


def test_committed_student_folder_is_current(fresh_build):
    assignment, student, _ = fresh_build
    committed = ROOT / "assignments" / assignment
    assert manifest(student) == manifest(committed), (
        f"assignments/{assignment} is stale: run `.venv/bin/diffcourse build {assignment}` and commit it")


def test_committed_notebooks_have_no_outputs():
    for path in [*ROOT.glob("assignments/*/*.ipynb"), *ROOT.glob("solutions/*/*.ipynb")]:
        nb = nbformat.read(path, as_version=4)
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), path


def test_no_hidden_check_or_solution_reaches_the_student(fresh_build):
    assignment, student, _ = fresh_build
    suite = load_suite(assignment)
    check_names = [c.name for q in suite.questions.values() for c in q.checks if c.hidden]
    text = "\n".join(p.read_text(errors="replace") for p in student.rglob("*") if p.is_file())
    assert not re.search(r"(import|from)\s+(course_core|autograder)", text)
    for forbidden in ["autograder.checks", "SUITE", "BEGIN SOLUTION", "END SOLUTION", *check_names]:
        assert forbidden not in text, forbidden
    nb = nbformat.read(student / f"{assignment}.ipynb", as_version=4)
    tests = json.dumps(nb.metadata.get("otter", {}).get("tests", {}))
    assert "hidden=True" not in tests


def test_student_notebook_defines_every_graded_function(fresh_build):
    """Every function a check calls has its signature in the student notebook."""
    assignment, student, _ = fresh_build
    nb = nbformat.read(student / f"{assignment}.ipynb", as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for q in load_suite(assignment).auto_questions():
        for fn in {c.function for c in q.checks}:
            assert f"def {fn}(" in source, fn


def test_autograder_zip_carries_the_hidden_checks(fresh_build):
    assignment, _, zip_path = fresh_build
    with zipfile.ZipFile(zip_path) as zf:
        names = set(zf.namelist())
        run = zf.read("run_autograder").decode()
    assert f"source/autograder/checks/{assignment}.py" in names
    assert "source/course_core/ddpm.py" in names
    assert f"source/grading_config/{assignment}.toml" in names
    assert "python -m autograder.reports.gradescope" in run


def test_build_is_deterministic(fresh_build, tmp_path):
    assignment, student, zip_path = fresh_build
    build_assignment(assignment=assignment, force=True, student_target=tmp_path / "student", dist=tmp_path / "dist")
    assert manifest(tmp_path / "student") == manifest(student)
    assert (tmp_path / "dist" / zip_path.name).read_bytes() == zip_path.read_bytes()


def test_committed_example_submissions_are_current(fresh_build):
    """tests/submissions/<id>/ is what make_submissions.py writes from examples.py and the student notebook."""
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "submissions"))
    from make_submissions import stale_files

    assignment, _, _ = fresh_build
    assert stale_files(assignment) == [], "run .venv/bin/python tests/submissions/make_submissions.py and commit"
