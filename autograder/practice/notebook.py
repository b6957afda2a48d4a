"""Exam practice in Jupyter: the practice notebooks (`assignments/practice/`) and the helper they use.

A practice notebook holds, per question of its chapter, a cell that shows the question for the notebook's seed,
a cell with the learner's answer and a cell that checks it with the same checkers as the terminal drill. The
prompt is drawn when the cell runs (change `SEED` at the top for new numbers), so the committed notebooks carry
no outputs. `python -m autograder.practice.notebook` (and `diffcourse build`) writes them.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from . import CHAPTERS, Choice, get, questions
from .question import Variant
from .text import terminal

FOLDER = Path(__file__).resolve().parents[2] / "assignments" / "practice"


class Practice:
    """Shows and checks a chapter's questions for one seed: `show(id)`, `check(id, answer, part=0)`,
    `solution(id)`."""

    def __init__(self, seed: int = 0):
        self.seed = seed
        self._solved: dict[str, set] = {}

    def variant(self, question_id: str) -> Variant:
        return get(question_id).generate(self.seed)

    def show(self, question_id: str) -> None:
        v = self.variant(question_id)
        text = [v.prompt, ""]
        for i, part in enumerate(v.parts):
            label = f"**({'abcdefgh'[i]})** " if len(v.parts) > 1 else ""
            text.append(f"{label}{part.ask}")
            if isinstance(part.answer, Choice) and not part.answer.true_false:
                text += [f"- ({part.answer.letter(j)}) {o}" for j, o in enumerate(part.answer.options)]
            text.append("")
        if len(v.parts) > 1:
            text.append(f"Check each step with `practice.check({question_id!r}, answer, part=i)`, i = 0 to "
                        f"{len(v.parts) - 1}.")
        _display("\n".join(text))

    def check(self, question_id: str, answer, part: int = 0) -> None:
        """Check `answer` (a number, an expression as a string, a letter, True/False) for one part; show the
        verdict, then the step's justification or hint when it is right, and the worked solution when every part
        is. (It returns nothing, so a notebook cell shows only the verdict.)"""
        v = self.variant(question_id)
        if not 0 <= part < len(v.parts):
            raise ValueError(f"{question_id} has part 0 to {len(v.parts) - 1}, not {part}")
        p = v.parts[part]
        if answer is None or answer is ...:
            _display("Write your answer in place of `None`, then run this cell again.")
            return
        if isinstance(answer, bool):
            text = "true" if answer else "false"
        elif isinstance(answer, (int, float)):
            text = repr(float(answer))
        else:
            text = str(answer)
        verdict = p.answer.check(text)
        lines = [("✅ " if verdict.correct else "❌ ") + verdict.message]
        if verdict.correct:
            solved = self._solved.setdefault(question_id, set())
            solved.add(part)
            if p.after:
                lines.append(p.after)
            if len(solved) == len(v.parts):
                lines += ["", "**Worked solution.** " + v.solution]
        elif not verdict.retry:
            lines.append(f"Try again, or `practice.solution({question_id!r})` to see the worked solution.")
        _display("\n\n".join(lines))

    def solution(self, question_id: str) -> None:
        v = self.variant(question_id)
        answers = "; ".join(f"`{p.answer.typed()}`" for p in v.parts)
        _display(f"**Answer:** {answers}\n\n**Worked solution.** {v.solution}")


def _display(markdown: str) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        print(terminal(markdown))
        return
    if get_ipython() is None:
        print(terminal(markdown))
    else:
        display(Markdown(markdown))


_INTRO = """# Exam practice — {title}

Course 236759, *Generative AI – Diffusion Models*. Each question below is drawn from the course's question bank
for the seed in the next cell: change `SEED` and run the notebook again for new numbers. For each question, run
the cell that shows it, put your answer in place of `None`, and run the check. Answers are:

- **numbers**: `0.25`, or arithmetic as a string: `"1/3"`, `"sqrt(2)/2"`, `"exp(-1)"`;
- **expressions**: a string in the names the question lists, e.g. `"sqrt(alpha_bar_t)*x_0"`, `"beta_t/(1 - alpha_bar_t)"`
  (`^` or `**` for powers); any equivalent form is accepted;
- **choices**: the letter, `"b"`; **true or false**: `True` or `False`.

A derivation has several parts: check them in order (`part=0, 1, ...`); each right step shows the hint for the
next. `practice.solution(...)` shows the worked solution. The terminal drill (`diffcourse practice --chapter
{chapter}`) and the mock exam (`diffcourse exam --seed S --out DIR`) use the same questions."""


def chapter_notebook(chapter: str) -> nbformat.NotebookNode:
    """The practice notebook of `chapter`: every generator of the chapter, in the bank's order."""
    cells = [new_markdown_cell(_INTRO.format(title=CHAPTERS[chapter], chapter=chapter)),
             new_code_cell("from autograder.practice.notebook import Practice\n\n"
                           "SEED = 0  # change it for new numbers\npractice = Practice(SEED)")]
    for n, q in enumerate((q for q in questions().values() if q.chapter == chapter), 1):
        v = q.generate(0)
        name = f"answer_{n}"
        cells.append(new_markdown_cell(f"## {n}. {q.title}\n\n*{q.kind}, difficulty {q.difficulty}* · `{q.id}`"))
        cells.append(new_code_cell(f"practice.show({q.id!r})"))
        if len(v.parts) == 1:
            cells.append(new_code_cell(f"{name} = None\npractice.check({q.id!r}, {name})"))
        else:
            for i in range(len(v.parts)):
                cells.append(new_code_cell(f"{name}_{'abcdefgh'[i]} = None\n"
                                           f"practice.check({q.id!r}, {name}_{'abcdefgh'[i]}, part={i})"))
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})
    return nb


def notebook_name(chapter: str) -> str:
    return f"{list(CHAPTERS).index(chapter) + 1}_{chapter}.ipynb"


def write_notebooks(folder: Path = FOLDER) -> list[Path]:
    """Write every chapter's practice notebook into `folder` (cell ids are fixed, so the files are stable)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for chapter in CHAPTERS:
        nb = chapter_notebook(chapter)
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"{chapter}-{i}"
        path = folder / notebook_name(chapter)
        text = nbformat.writes(nb) + "\n"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write_notebooks():
        print(p)
