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
    generic = [p for p in (ROOT / "autograder").rglob("*.py")
               if p.parent.name not in ("checks", "catalogs") or p.stem in ("__init__", "framework", "compare",
                                                                           "cases", "public", "misconceptions")]
    generic += [ROOT / "Makefile", ROOT / "tests" / "submissions" / "make_submissions.py",
                ROOT / "tests" / "submissions" / "kit.py", ROOT / "tests" / "conftest.py", ROOT / "tests" / "test_checks.py",
                ROOT / "tests" / "test_written.py"]
    for assignment in course.assignment_ids():
        named = [str(p.relative_to(ROOT)) for p in generic if assignment in p.read_text()]
        assert not named, f"{assignment} is named in generic files: {named}"


def test_every_dev_dependency_is_installed():
    """The suite's references (diffusers, scipy, ...) are installed: without one, its tests would only skip
    (and .ci/run fails on any skip)."""
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    missing = []
    for requirement in extras:
        name = re.match(r"[A-Za-z0-9_.\-]+", requirement).group(0)
        try:
            importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    assert not missing, f"dev dependencies not installed (run `make test`, which installs '.[dev]'): {missing}"


def test_a_skip_fails_the_run_in_ci_and_no_tests_stays_exit_code_5(tmp_path):
    """The guard .ci/run turns on: a test skipped for a missing module fails the run with its name; without
    the guard it is a skip; and an empty selection keeps pytest's own exit code 5."""
    import os
    import shutil
    import subprocess
    import sys

    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_demo.py").write_text("import pytest\n\n\ndef test_needs_it():\n"
                                           "    pytest.importorskip('no_such_module_for_this_test')\n")

    def run(strict, *args):
        env = {**os.environ, "DIFFCOURSE_NO_SKIPS": "1" if strict else "0"}
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=300)
        return done.returncode, done.stdout

    code, out = run(True)
    assert code == 1 and "test_demo.py::test_needs_it" in out and "skipped tests fail the run" in out
    assert run(False)[0] == 0
    assert run(True, "-k", "nothing_matches")[0] == 5
