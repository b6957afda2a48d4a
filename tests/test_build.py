"""The build: committed student folders are current, carry no outputs, no solutions and no hidden checks;
the autograder zip carries the hidden checks."""

import json
import re
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import course
from autograder.build import manifest
from autograder.build.package import SETUP_EXTRA, autograder_zip
from autograder.checks import load_suite

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=course.assignment_ids())
def fresh_build(request, built):
    """A build of this checkout (one `otter assign` per assignment for the whole test run)."""
    return request.param, *built(request.param)


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


def test_the_zip_is_a_function_of_its_inputs(fresh_build, tmp_path):
    """Packing Otter's output again gives the same bytes: entries sorted, fixed timestamps and modes. (Otter's
    own output is deterministic: the committed student folder, built elsewhere, equals this run's.)"""
    assignment, student, zip_path = fresh_build
    ours = {"run_autograder", "setup.sh"}
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        otter_part = {n: zf.read(n) for n in names if n not in ours and not n.startswith("source/")}
        setup = zf.read("setup.sh")
    assert names == sorted(names) and setup.endswith(SETUP_EXTRA.encode())
    otter_part["setup.sh"] = setup[:-len(SETUP_EXTRA.encode())]  # Otter's own, before ours is appended
    (tmp_path / "autograder").mkdir()
    with zipfile.ZipFile(tmp_path / "autograder" / "otter.zip", "w") as zf:
        for name, data in otter_part.items():
            zf.writestr(name, data)
    again = autograder_zip(course.get(assignment), tmp_path, student)
    assert again == zip_path.read_bytes()


def test_committed_example_submissions_are_current(fresh_build):
    """tests/submissions/<id>/ is what make_submissions.py writes from examples.py and the student notebook."""
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "submissions"))
    from make_submissions import stale_files

    assignment, _, _ = fresh_build
    assert stale_files(assignment) == [], "run .venv/bin/python tests/submissions/make_submissions.py and commit"


def test_build_runs_assignments_side_by_side_and_reports_them_in_order(monkeypatch):
    """`diffcourse build -j 3`: three builds at once (each waits until all three have started), printed in the
    order asked whatever order they finish in; a failing build fails the command after the others."""
    import threading
    import time

    from click.testing import CliRunner

    import autograder.build
    from autograder.cli import main

    ids = course.assignment_ids()[:3]
    together = threading.Barrier(3, timeout=20)

    def fake(*, assignment, force):
        together.wait()  # raises BrokenBarrierError if the builds ran one after another
        time.sleep(0.3 * (2 - ids.index(assignment)))  # the last asked finishes first
        if assignment == ids[1] and force:
            raise RuntimeError(f"otter assign failed for {assignment}")
        return "built"

    monkeypatch.setattr(autograder.build, "build_assignment", fake)
    done = CliRunner().invoke(main, ["build", "-j", "3", *ids])
    assert done.exit_code == 0, done.output
    assert done.output.splitlines() == [f"{a}: built" for a in ids]
    together.reset()
    failed = CliRunner().invoke(main, ["build", "-j", "3", "--force", *ids])
    assert failed.exit_code != 0 and isinstance(failed.exception, RuntimeError)
    assert failed.output.splitlines() == [f"{ids[0]}: built"]
