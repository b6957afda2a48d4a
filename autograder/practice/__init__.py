"""Exam practice: a bank of randomized question generators (a module per syllabus chapter under `bank/`), an
interactive terminal drill (`diffcourse practice`), mock exams with answer keys (`diffcourse exam`) and practice
notebooks (`assignments/practice/`). Every answer is computed with `course_core`; see `question.py`."""

from .answers import Choice, InputError, NearMiss, Numeric, Symbolic, Var, Verdict
from .question import CHAPTERS, KINDS, Draft, Part, Question, Variant


def questions() -> dict[str, Question]:
    """Every registered generator, by id (`<chapter>.<name>`), in the syllabus's order."""
    from . import bank as _modules  # noqa: F401 - importing the chapter modules registers their generators
    from .question import REGISTRY

    order = list(CHAPTERS)
    return dict(sorted(REGISTRY.items(), key=lambda item: (order.index(item[1].chapter), item[0])))


def get(question_id: str) -> Question:
    """The generator `question_id`; KeyError naming the known ids' chapters when there is none."""
    known = questions()
    if question_id not in known:
        raise KeyError(f"no question {question_id!r}; ids look like ddpm.posterior_variance (chapters: "
                       f"{', '.join(CHAPTERS)})")
    return known[question_id]


__all__ = ["CHAPTERS", "KINDS", "Choice", "Draft", "InputError", "NearMiss", "Numeric", "Part", "Question",
           "Symbolic", "Var", "Variant", "Verdict", "get", "questions"]
