"""The master notebooks and the hidden checks agree on questions and points; the notebooks follow the
contract in docs/API.md and never import the reference code."""

import re
from pathlib import Path

import nbformat
import pytest
import yaml

from autograder import course
from autograder.checks import load_suite

ASSIGNMENTS = course.assignment_ids()

ROOT = Path(__file__).resolve().parents[1]


def _questions(assignment):
    nb = nbformat.read(course.get(assignment).master, as_version=4)
    out = {}
    for cell in nb.cells:
        if cell.cell_type == "raw" and cell.source.startswith("# BEGIN QUESTION"):
            meta = yaml.safe_load(cell.source.split("\n", 1)[1])
            out[meta["name"]] = (meta["points"], bool(meta.get("manual", False)))
    return out, nb


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebook_questions_match_the_checks(assignment):
    questions, _ = _questions(assignment)
    suite = load_suite(assignment)
    assert questions == {q.name: (q.points, q.manual) for q in suite.questions.values()}
    assert list(questions) == list(suite.questions), "the suite's questions are not in the notebook's order (Suite.arrange)"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebook_signatures_match_the_contract(assignment):
    """Every function a check calls is defined in the notebook with the signature docs/API.md gives."""
    _, nb = _questions(assignment)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    api = (ROOT / "docs" / "API.md").read_text()
    for q in load_suite(assignment).auto_questions():
        for fn in {c.function for c in q.checks}:
            [signature] = re.findall(rf"`({fn}\([^`]*\))`", api)[:1]
            params = re.sub(r"\s", "", signature[len(fn) + 1:-1])
            match = re.search(rf"def {fn}\(([^)]*)\)", source)
            assert match, f"{fn} is not defined in the notebook"
            assert re.sub(r"\s", "", match.group(1)) == params, (fn, match.group(1), signature)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebooks_never_import_the_reference(assignment):
    _, nb = _questions(assignment)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not re.search(r"(import|from)\s+(course_core|autograder)", cell.source), cell.source[:200]
