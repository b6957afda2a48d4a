"""What keeps grades reproducible and assignments pluggable: exact pins, and no generic file naming an assignment."""

import importlib.metadata
import re
from pathlib import Path

from autograder import course

ROOT = Path(__file__).resolve().parents[1]


def test_hypothesis_is_pinned_exactly_to_the_installed_version():
    """Another hypothesis version draws other examples: a grade must not change with an upgrade."""
    text = (ROOT / "pyproject.toml").read_text()
    [pinned] = re.findall(r'"hypothesis==([^"]+)"', text)
    assert pinned == importlib.metadata.version("hypothesis")


def test_no_generic_file_names_an_assignment():
    """Adding an assignment touches only its own places (docs/ADDING.md): the grader, the Makefile and the
    example-submission machinery discover assignments instead of listing them."""
    generic = [p for p in (ROOT / "autograder").rglob("*.py") if p.parent.name != "checks" or p.stem in
               ("__init__", "framework", "compare", "cases")]
    generic += [ROOT / "Makefile", ROOT / "tests" / "submissions" / "make_submissions.py",
                ROOT / "tests" / "submissions" / "kit.py", ROOT / "tests" / "conftest.py", ROOT / "tests" / "test_checks.py"]
    for assignment in course.assignment_ids():
        named = [str(p.relative_to(ROOT)) for p in generic if assignment in p.read_text()]
        assert not named, f"{assignment} is named in generic files: {named}"
