"""Written work (derivations, interpretations): rubrics, the students' answers, grading pages, the score sheet.

    rubric.py   the manual questions of a master notebook and their rubrics
    answers.py  each submission's answer to each manual question
    render.py   Markdown with LaTeX to safe, offline HTML (MathML)
    pages.py    `diffcourse written`: one grading page per question, an index, the score sheet
    sheet.py    the score sheet: writing it, reading a filled one, merging it into results

The flow and the formats are documented in docs/GRADING.md ("Written work").
"""


class WrittenError(ValueError):
    """Input a TA or an author must fix (a rubric, a score sheet); the message names the file and place."""


class RubricError(WrittenError):
    """A master notebook's manual question has no rubric or a malformed one; the message names the cell."""


class ScoreSheetError(WrittenError):
    """A score sheet that cannot be merged; the message names each offending line."""
