"""Hidden checks, one module per assignment (`<id>.py`, exposing `SUITE`), and the framework they use.

- `framework.py`: `Suite`, `Check`, `Question`, and `Student` (the student's functions seen from here);
- `compare.py`: shapes, dtypes and elementwise error bounds (`assert_close`, `assert_loss`, `Tol`);
- `cases.py`: strategies with edge values and the records turned into tensors (`Case`, `Mix`, `test_model`).

The check modules live only in the grader and in the autograder zip; the build never copies them into a
student's folder (tests/test_build.py proves it).
"""

import importlib


def load_suite(assignment: str):
    """The `Suite` of an assignment (the `SUITE` of `autograder/checks/<id>.py`)."""
    module = importlib.import_module(f"{__name__}.{assignment}")
    return module.SUITE
