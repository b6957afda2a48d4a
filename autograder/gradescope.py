"""Gradescope entry point (`run_autograder` in the built zip): grade /autograder/submission.

Usage: python -m autograder.gradescope ASSIGNMENT SUBMISSION_DIR RESULTS_JSON
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from .assignments import load_config
from .batch import grade_folder
from .report import gradescope


def main(argv=None) -> int:
    assignment, submission_dir, results_json = (argv or sys.argv[1:])[:3]
    with tempfile.TemporaryDirectory(prefix="dc-gs-") as tmp:
        inbox = Path(tmp) / "in"
        inbox.mkdir()
        notebooks = sorted(Path(submission_dir).rglob("*.ipynb"))
        exact = [p for p in notebooks if p.name == f"{assignment}.ipynb"]
        if notebooks:
            shutil.copy((exact or notebooks)[0], inbox / "submission.ipynb")
        results = grade_folder(assignment=assignment, submissions=inbox, out=Path(tmp) / "out", progress=False)
    if results:
        data = gradescope(results[0], load_config(assignment).hidden_visibility)
    else:
        data = {"score": 0, "output": "No notebook (.ipynb) was found in the submission.", "tests": []}
    Path(results_json).parent.mkdir(parents=True, exist_ok=True)
    Path(results_json).write_text(json.dumps(data, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
