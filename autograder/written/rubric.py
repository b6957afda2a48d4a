"""The manual questions of a master notebook: prompt, model answer and rubric.

A manual question is Otter's raw `# BEGIN QUESTION` cell with `manual: true`. Its prompt is the Markdown
before `# BEGIN SOLUTION`; inside `# BEGIN SOLUTION` ... `# END SOLUTION` (which Otter strips from the student
notebook) come the model answer and one Markdown cell whose first line starts with `**Rubric**`:

    **Rubric** (3 points; partial credit within an item)
    - `bayes` (1) Bayes' rule with the Markov property: ...
    - `square` (1.5) Completes the square and reads off the precision ...

Item ids are unique within the question and the items' points sum to the question's points. A long item may
go on over several lines (indented, or directly below it). Errors name the notebook, the cell (counted from 1,
as the notebook shows them top to bottom) and the line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from .. import course
from . import RubricError

HEADER = "**Rubric**"
_ITEM = re.compile(r"[-*]\s+`(\w+)`\s+\((\d+(?:\.\d+)?)\)\s+(\S.*)", re.ASCII)
_BULLET = re.compile(r"[-*]\s")
_STATED = re.compile(r"\((\d+(?:\.\d+)?)\s+points?\b")


@dataclass(frozen=True)
class RubricItem:
    id: str
    points: float
    description: str  # Markdown, may hold LaTeX


@dataclass(frozen=True)
class WrittenQuestion:
    """One manual question of the master notebook, in notebook order."""

    name: str
    points: float
    prompt_cells: tuple  # the Markdown cells before the solution (the first is the one Otter marks)
    model_answer: str  # the solution's cells other than the rubric (code cells as fenced blocks)
    items: tuple  # RubricItem, in the rubric's order; empty when the rubric is missing and not required

    @property
    def prompt(self) -> str:
        return "\n\n".join(self.prompt_cells)

    def item(self, item_id: str) -> RubricItem | None:
        return next((i for i in self.items if i.id == item_id), None)


def written_questions(assignment, *, require_rubric: bool = True) -> list[WrittenQuestion]:
    """The manual questions of `assignment`'s master notebook (an `course.Assignment` or its id)."""
    a = course.get(assignment) if isinstance(assignment, str) else assignment
    try:
        label = str(a.master.relative_to(a.course))
    except ValueError:
        label = str(a.master)
    return parse_master(a.master, label=label, require_rubric=require_rubric)


def parse_master(path: Path, *, label: str | None = None, require_rubric: bool = True) -> list[WrittenQuestion]:
    """The manual questions of the master notebook at `path`. Raises RubricError listing every problem found
    (a malformed or misplaced rubric, and with `require_rubric` a missing one), each with its cell."""
    nb = nbformat.read(str(path), as_version=4)
    where = label or str(path)
    questions, errors, current = [], [], None
    for number, cell in enumerate(nb.cells, start=1):
        source = cell.source
        if cell.cell_type == "raw" and source.startswith("# BEGIN QUESTION"):
            current = _start(source, f"{where}, cell {number}", errors)
        elif cell.cell_type == "raw" and source.strip() == "# END QUESTION":
            if current is not None and current["manual"]:
                questions.append(_finish(current, where, require_rubric, errors))
            current = None
        elif cell.cell_type == "raw" and source.strip() in ("# BEGIN SOLUTION", "# END SOLUTION"):
            if current is not None:
                current["part"] = "solution" if "BEGIN" in source else "after"
        elif _is_rubric(cell):
            _place_rubric(current, cell, f"{where}, cell {number}", errors)
        elif current is not None and current["manual"]:
            _add_text(current, cell)
    if current is not None and current["manual"]:
        errors.append(f"{current['where']}: manual question {current['name']} has no # END QUESTION cell")
    if errors:
        raise RubricError("\n".join(errors))
    return questions


def _start(source: str, where: str, errors: list) -> dict:
    try:
        meta = yaml.safe_load(source.split("\n", 1)[1] if "\n" in source else "") or {}
    except yaml.YAMLError as err:
        errors.append(f"{where}: the # BEGIN QUESTION cell is not valid YAML ({err})")
        meta = {}
    points = meta.get("points")
    manual = bool(meta.get("manual", False))
    if manual and not (isinstance(points, (int, float)) and not isinstance(points, bool)):
        errors.append(f"{where}: manual question {meta.get('name')!r} needs a number of points, got {points!r}")
        points = 0
    if manual and not re.fullmatch(r"\w+", str(meta.get("name", "")), re.ASCII):
        errors.append(f"{where}: a manual question's name must be letters, digits and _, got {meta.get('name')!r}")
    return {"name": str(meta.get("name", "")), "points": float(points or 0), "manual": manual, "where": where,
            "part": "prompt", "prompt": [], "answer": [], "rubric": None}


def _is_rubric(cell) -> bool:
    return cell.cell_type == "markdown" and cell.source.lstrip().startswith(HEADER)


def _place_rubric(current: dict | None, cell, where: str, errors: list) -> None:
    """A rubric belongs to a manual question's solution block; anywhere else students would see it, or no
    question would own it."""
    if current is None or not current["manual"]:
        errors.append(f"{where}: a rubric outside any manual question (put it inside the solution block of a "
                      "question marked `manual: true`)")
    elif current["part"] != "solution":
        errors.append(f"{where}: the rubric of {current['name']} is outside # BEGIN SOLUTION ... # END SOLUTION, "
                      "so students would see it; move it into the solution block")
    elif current["rubric"] is not None:
        errors.append(f"{where}: a second rubric for {current['name']} (the first is in {current['rubric'][1]})")
    else:
        current["rubric"] = (cell.source, where)


def _add_text(current: dict, cell) -> None:
    text = cell.source.strip()
    if not text or cell.cell_type == "raw":
        return
    if cell.cell_type == "code":
        text = f"```python\n{text}\n```"
    if current["part"] == "prompt" and cell.cell_type == "markdown":
        current["prompt"].append(text)
    elif current["part"] == "solution":
        current["answer"].append(text)


def _finish(current: dict, where: str, require_rubric: bool, errors: list) -> WrittenQuestion:
    items = ()
    if current["rubric"] is None:
        if require_rubric:
            errors.append(f"{current['where']}: manual question {current['name']} has no rubric: add a Markdown "
                          f"cell starting with {HEADER} inside its solution block")
    else:
        items = parse_rubric(current["rubric"][0], where=current["rubric"][1], name=current["name"],
                             points=current["points"], errors=errors)
    return WrittenQuestion(current["name"], current["points"], tuple(current["prompt"]),
                           "\n\n".join(current["answer"]), items)


def parse_rubric(source: str, *, where: str, name: str, points: float, errors: list) -> tuple:
    """The items of one rubric cell; problems are appended to `errors` as `where, line N: ...`."""
    lines = source.strip("\n").splitlines()
    stated = _STATED.search(lines[0])
    if stated and not math.isclose(float(stated.group(1)), points, abs_tol=1e-9):
        errors.append(f"{where}, line 1: the rubric of {name} says {stated.group(1)} points, the question has "
                      f"{points:g}")
    items, blank_before = [], False
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            blank_before = True
            continue
        match = _ITEM.fullmatch(line.strip())
        if match:
            items.append([match.group(1), float(match.group(2)), match.group(3).strip(), number])
        elif items and not _BULLET.match(line.strip()) and (line[:1].isspace() or not blank_before):
            items[-1][2] += " " + line.strip()  # an item that goes on over several lines
        else:
            errors.append(f"{where}, line {number}: not a rubric item: {line.strip()[:60]!r}; expected "
                          "- `item_id` (points) what earns them")
        blank_before = False
    return _checked_items(items, where=where, name=name, points=points, errors=errors)


def _checked_items(items: list, *, where: str, name: str, points: float, errors: list) -> tuple:
    if not items:
        errors.append(f"{where}: the rubric of {name} has no items (- `item_id` (points) what earns them)")
        return ()
    seen = {}
    for item_id, item_points, _, number in items:
        if item_id in seen:
            errors.append(f"{where}, line {number}: item {item_id!r} of {name} is also on line {seen[item_id]}")
        seen.setdefault(item_id, number)
        if item_points <= 0:
            errors.append(f"{where}, line {number}: item {item_id!r} of {name} is worth no points")
    total = math.fsum(p for _, p, _, _ in items)
    if not math.isclose(total, points, abs_tol=1e-9):
        errors.append(f"{where}: the items of {name}'s rubric sum to {total:g} points, the question has {points:g}")
    return tuple(RubricItem(i, p, d) for i, p, d, _ in items)
