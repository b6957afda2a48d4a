"""Hidden checks, one module per assignment, each exposing `SUITE` (an `autograder.framework.Suite`).

These modules live only in the grader and in the autograder zip; the build never copies them into a
student's folder (tests/test_build.py proves it).
"""

import importlib

from ..framework import Suite


def load_suite(assignment: str) -> Suite:
    """The `Suite` of an assignment id such as `hw2_ddpm`."""
    module = importlib.import_module(f"{__name__}.{assignment}")
    return module.SUITE
