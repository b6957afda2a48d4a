"""Each submission's answer to each manual question, found in the notebook Otter built for the students.

Otter writes a manual question as a Markdown prompt cell starting `<!-- BEGIN QUESTION -->`, the answer
cell(s) tagged `otter_answer_cell` (holding a placeholder), and a next cell starting `<!-- END QUESTION -->`.
Students delete, add and move cells, so an answer is looked for in steps; a step past the first leaves a note
on the grading page:

1. The prompt cells: the marked cells, paired with the manual questions in order when there are as many and
   each one's text is like its question's prompt. A question left over takes the Markdown cell most like its
   prompt, failing that its marked cell by position.
2. The answer: every cell after the prompt cell up to the next cell with a BEGIN or END marker, another
   question's prompt cell, a locked cell (Otter locks prompts and checks), or a cell of the student notebook's
   own text (what follows when the END cell lost its marker). Empty cells and the untouched placeholder
   `_Type your answer here, replacing this text._` are no answer.
3. Moved answer cells: tagged Markdown cells outside every question's cells go to the questions still without
   an answer: all of them to a single one, else one each in order when there are as many.
4. Lines a student added to the prompt cell itself, when nothing else was found.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .. import course
from ..grading.submission import BadSubmission, load_notebook, named_submissions

BEGIN, END = "<!-- BEGIN QUESTION -->", "<!-- END QUESTION -->"
PLACEHOLDER = "_Type your answer here, replacing this text._"
ANSWER_TAG = "otter_answer_cell"
SIMILAR = 0.6  # difflib ratio above which a cell's text is taken for a question's prompt
NO_ANSWER = "(no answer found)"


@dataclass(frozen=True)
class Part:
    """One cell of an answer: its type ("markdown", "code" or "raw"), text and (Markdown) image attachments."""

    kind: str
    source: str
    attachments: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    parts: tuple = ()  # Part, in notebook order; empty: no answer found
    note: str = ""  # how it was found, when not where Otter put it; or why nothing was

    @property
    def found(self) -> bool:
        return bool(self.parts)


@dataclass(frozen=True)
class SubmissionAnswers:
    name: str  # as grades.csv names the submission
    answers: dict  # question name -> Answer
    error: str = ""  # why the notebook could not be read (then every answer is empty)


def collect_answers(*, assignment, submissions: Path, questions: list) -> list[SubmissionAnswers]:
    """The answers of every submission in the folder (`.ipynb`, Otter export `.zip`), sorted by name."""
    a = course.get(assignment) if isinstance(assignment, str) else assignment
    texts = course_texts(a.student_dir / f"{a.id}.ipynb")
    out = []
    for name, path in named_submissions(Path(submissions)):
        try:
            nb = load_notebook(path, a.id)
        except BadSubmission as err:
            empty = Answer(note=f"the submission could not be read: {err}")
            out.append(SubmissionAnswers(name, {q.name: empty for q in questions}, str(err)))
            continue
        out.append(SubmissionAnswers(name, find_answers(nb, questions, course_texts=texts)))
    return sorted(out, key=lambda s: s.name)


def course_texts(student_notebook: Path) -> frozenset:
    """The normalised text of every cell of the students' notebook that is not an answer cell."""
    if not student_notebook.is_file():
        return frozenset()
    nb = nbformat.read(str(student_notebook), as_version=4)
    return frozenset(t for c in nb.cells if not _tagged(c) and (t := _norm(c.source)))


def find_answers(nb, questions: list, *, course_texts: frozenset = frozenset()) -> dict:
    """`{question name: Answer}` for the manual `questions` (rubric.WrittenQuestion, in notebook order)."""
    cells = nb.cells
    prompts = _locate_prompts(cells, questions)
    starts = {i for i, _ in prompts.values()}
    blocks = {name: _block(cells, i, starts, course_texts) for name, (i, _) in prompts.items()}
    answers = {}
    for name, (_, note) in prompts.items():
        parts = _parts(cells[j] for j in blocks[name])
        if parts:
            answers[name] = Answer(parts, note)
    used = starts.union(*blocks.values())
    _place_moved(cells, [q.name for q in questions], answers, used)
    for q in questions:
        if q.name not in answers and q.name in prompts:
            extra = _added_to_prompt(cells[prompts[q.name][0]], q)
            if extra:
                answers[q.name] = Answer((extra,), "written into the question's own cell")
    missing = {q.name: Answer(note="" if q.name in prompts else "the question's cells were not found")
               for q in questions}
    return {q.name: answers.get(q.name, missing[q.name]) for q in questions}


# -- step 1: the prompt cells --------------------------------------------------------------------------------


def _locate_prompts(cells, questions) -> dict:
    """`{question name: (cell index, note)}` for the questions whose prompt cell was found."""
    marked = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and BEGIN in c.source]
    by_order = dict(zip([q.name for q in questions], marked)) if len(marked) == len(questions) else {}
    like = _Likeness(cells, questions)
    found = {}
    for q in questions:
        i = by_order.get(q.name)
        if i is not None and like(i, q) >= SIMILAR:
            found[q.name] = (i, "")
    for q in questions:
        if q.name in found:
            continue
        taken = {i for i, _ in found.values()}
        score, best = max(((like(i, q), i) for i, c in enumerate(cells)
                           if i not in taken and c.cell_type == "markdown"), default=(0.0, None))
        if score >= SIMILAR:
            note = "" if BEGIN in cells[best].source else "found by the question's text (its marker was removed)"
            found[q.name] = (best, note)
        elif by_order.get(q.name) is not None and by_order[q.name] not in taken:
            found[q.name] = (by_order[q.name], "matched by position: the question's text was changed")
    return found


class _Likeness:
    """How like a question's prompt (its first cell, or all of it) a cell's text is, from 0 to 1: difflib's
    ratio over words, so that a notebook of a hundred cells is searched in milliseconds."""

    def __init__(self, cells, questions):
        self.cells = cells
        self.prompts = {q.name: (_words(q.prompt_cells[0] if q.prompt_cells else ""), _words(q.prompt))
                        for q in questions}
        self.words = {}

    def __call__(self, i: int, question) -> float:
        if i not in self.words:
            self.words[i] = _words(self.cells[i].source)
        return max(_ratio(self.words[i], prompt) for prompt in self.prompts[question.name])


def _words(text: str) -> list:
    return re.findall(r"\w+|[^\w\s]", _norm(text))


def _ratio(a: list, b: list) -> float:
    if not a or not b:
        return 0.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.ratio() if matcher.real_quick_ratio() >= SIMILAR and matcher.quick_ratio() >= SIMILAR else 0.0


# -- step 2: the cells of an answer ---------------------------------------------------------------------------


def _block(cells, start: int, starts: set, course_texts: frozenset) -> list:
    """Indices of the cells after the prompt cell at `start` that belong to its answer."""
    out = []
    for j in range(start + 1, len(cells)):
        cell = cells[j]
        if (j in starts or BEGIN in cell.source or END in cell.source or _locked(cell)
                or (not _tagged(cell) and _norm(cell.source) in course_texts)):
            break
        out.append(j)
    return out


def _parts(cells) -> tuple:
    out = []
    for cell in cells:
        text = cell.source.replace(PLACEHOLDER, "").strip()
        if text:
            attachments = dict(cell.get("attachments") or {}) if cell.cell_type == "markdown" else {}
            out.append(Part(cell.cell_type, text, attachments))
    return tuple(out)


# -- steps 3 and 4: moved cells, text in the prompt cell ------------------------------------------------------


def _place_moved(cells, names: list, answers: dict, used: set) -> None:
    """Give tagged Markdown cells found outside every question's cells to the questions without an answer."""
    moved = [p for i, c in enumerate(cells) if i not in used and c.cell_type == "markdown" and _tagged(c)
             for p in _parts([c])]
    waiting = [n for n in names if n not in answers]
    note = "found outside the question's cells (moved?)"
    if moved and len(waiting) == 1:
        answers[waiting[0]] = Answer(tuple(moved), note)
    elif moved and len(moved) == len(waiting):
        for name, part in zip(waiting, moved):
            answers[name] = Answer((part,), note)


def _added_to_prompt(cell, question) -> Part | None:
    """The lines of the prompt cell that are not the question's own (a student who wrote into it)."""
    own = {line.strip() for text in question.prompt_cells for line in text.splitlines()}
    # Otter's markers are not the student's: a question right after another starts `<!-- END QUESTION -->`
    lines = [line for line in cell.source.replace(BEGIN, "").replace(END, "").splitlines() if line.strip() not in own]
    text = "\n".join(lines).replace(PLACEHOLDER, "").strip()
    return Part("markdown", text, dict(cell.get("attachments") or {})) if text else None


# -- helpers ------------------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    """Text without HTML comments (Otter's markers), whitespace collapsed, lower case."""
    return " ".join(re.sub(r"<!--.*?-->", " ", text, flags=re.S).split()).lower()


def _tagged(cell) -> bool:
    tags = cell.get("metadata", {}).get("tags", [])
    return isinstance(tags, list) and ANSWER_TAG in tags


def _locked(cell) -> bool:
    meta = cell.get("metadata", {})
    return meta.get("editable") is False or meta.get("deletable") is False
