"""Gradescope entry point (`run_autograder` in the built zip): grade the one submission in a folder.

    python -m autograder.reports.gradescope ASSIGNMENT SUBMISSION_DIR RESULTS_JSON

Run from the zip's `source/` folder with ``DIFFCOURSE_ROOT`` pointing at it; the package itself is a
normal (non-editable) install there.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import click

from .. import course
from ..grading.batch import grade_folder
from ..grading.submission import hidden_entry
from .report import gradescope


def pick_submission(assignment: str, submission_dir: Path) -> Path | None:
    """The submission: a notebook if there is one, else an Otter export zip (a student who uploads what
    `grader.export()` wrote). Among several, `<id>.ipynb` / `<id>*.zip` first, then the shallowest, then by
    name; never a checkpoint or a resource fork."""
    submission_dir = Path(submission_dir)
    for suffix in (".ipynb", ".zip"):
        found = [p for p in submission_dir.rglob(f"*{suffix}")
                 if p.is_file() and not hidden_entry(str(p.relative_to(submission_dir)))]
        exact = [p for p in found if p.name == f"{assignment}.ipynb" or (suffix == ".zip" and p.name.startswith(assignment))]
        ranked = sorted(exact or found, key=lambda p: (len(p.relative_to(submission_dir).parts), str(p)))
        if ranked:
            return ranked[0]
    return None


def grade_for_gradescope(assignment: str, submission_dir: Path, results_json: Path) -> dict:
    """Grade the notebook in `submission_dir` and write results.json."""
    a = course.get(assignment)
    with tempfile.TemporaryDirectory(prefix="dc-gs-") as tmp:
        inbox = Path(tmp) / "in"
        inbox.mkdir()
        picked = pick_submission(assignment, submission_dir)
        if picked is not None:
            shutil.copy(picked, inbox / f"submission{picked.suffix}")
        results = grade_folder(assignment=assignment, submissions=inbox, out=Path(tmp) / "out", progress=False,
                               cache=False)
    if results:
        data = gradescope(results[0], a.config.hidden_visibility)
    else:
        data = {"score": 0, "output": "No notebook (.ipynb) or exported zip was found in the submission: upload "
                                      f"{assignment}.ipynb or the zip that grader.export() wrote.", "tests": []}
    Path(results_json).parent.mkdir(parents=True, exist_ok=True)
    Path(results_json).write_text(json.dumps(data, indent=1))
    return data


@click.command()
@click.argument("assignment")
@click.argument("submission_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("results_json", type=click.Path(path_type=Path))
def main(assignment: str, submission_dir: Path, results_json: Path) -> None:
    """Grade SUBMISSION_DIR's notebook and write Gradescope's RESULTS_JSON."""
    data = grade_for_gradescope(assignment, submission_dir, results_json)
    click.echo(f"{assignment}: {data['score']:g} points; results in {results_json}")


if __name__ == "__main__":
    main()
