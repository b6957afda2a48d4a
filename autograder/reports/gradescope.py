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


def pick_notebook(assignment: str, submission_dir: Path) -> Path | None:
    """The submitted notebook: `<id>.ipynb` if there is one, else the shallowest (never a checkpoint or a
    resource fork)."""
    notebooks = [p for p in Path(submission_dir).rglob("*.ipynb") if not hidden_entry(str(p.relative_to(submission_dir)))]
    exact = [p for p in notebooks if p.name == f"{assignment}.ipynb"]
    ranked = sorted(exact or notebooks, key=lambda p: (len(p.relative_to(submission_dir).parts), str(p)))
    return ranked[0] if ranked else None


def grade_for_gradescope(assignment: str, submission_dir: Path, results_json: Path) -> dict:
    """Grade the notebook in `submission_dir` and write results.json."""
    a = course.get(assignment)
    with tempfile.TemporaryDirectory(prefix="dc-gs-") as tmp:
        inbox = Path(tmp) / "in"
        inbox.mkdir()
        notebook = pick_notebook(assignment, submission_dir)
        if notebook is not None:
            shutil.copy(notebook, inbox / "submission.ipynb")
        results = grade_folder(assignment=assignment, submissions=inbox, out=Path(tmp) / "out", progress=False,
                               cache=False)
    if results:
        data = gradescope(results[0], a.config.hidden_visibility)
    else:
        data = {"score": 0, "output": "No notebook (.ipynb) was found in the submission.", "tests": []}
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
