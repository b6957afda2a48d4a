"""The score sheet of written work: written by `diffcourse written`, filled by TAs, merged by `grade --manual`.

A CSV file, UTF-8, one row per (submission, question, rubric item), in notebook order of the questions,
then by submission name, then in rubric order:

    submission,question,item,max_points,points,comment
    alice,posterior_derivation,bayes,1,,

A TA enters `points` (a number from 0 to `max_points`) and, if they like, a `comment` the student reads. An
answer whose `points` cells are all empty is not graded yet; once one is filled, all of its items must be.
Columns a TA adds are kept when the sheet is merged with new rows.
"""

from __future__ import annotations

import copy
import csv
import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path

from ..grading.result import ItemScore, QuestionResult
from . import RubricError, ScoreSheetError

COLUMNS = ("submission", "question", "item", "max_points", "points", "comment")
SHEET, NEW_SHEET = "scores.csv", "scores.new.csv"
MAX_ERRORS = 30  # listed in one message; the rest are counted


def _fmt(points: float) -> str:
    return f"{points:g}"


# -- writing -----------------------------------------------------------------------------------------------


def blank_rows(questions: list, names: list) -> list[dict]:
    """The rows of a fresh sheet: every submission's every rubric item, points and comment empty."""
    return [{"submission": name, "question": q.name, "item": item.id, "max_points": _fmt(item.points),
             "points": "", "comment": ""}
            for q in questions for name in sorted(names) for item in q.items]


@dataclass
class SheetOutcome:
    """What `write_sheet` did. `path`: the sheet to fill in. `action`: "written" (there was none, or only a
    blank one), "kept" (the existing sheet already has every row), "merged" (the existing sheet has a TA's
    entries and was left alone; `path` is scores.new.csv, that sheet plus `added` new rows). `dropped`: a TA's
    filled rows that are no longer on the sheet (their submission, question or item is gone), by line."""

    path: Path
    action: str
    added: int = 0
    dropped: list = field(default_factory=list)


def write_sheet(out: Path, rows: list[dict]) -> SheetOutcome:
    """Write `out/scores.csv`, never over a TA's work: an existing sheet with any points or comment stays as it
    is, and when rows must be added or dropped the merge goes to `out/scores.new.csv` (the TA's rows keep their
    points, comments and added columns). Raises ScoreSheetError when the existing sheet cannot be read."""
    path = Path(out) / SHEET
    if not path.exists():
        _write(path, rows, COLUMNS)
        return SheetOutcome(path, "written")
    header, old = _read_rows(path)
    if not any(r.get("points", "").strip() or r.get("comment", "").strip() for _, r in old):
        _write(path, rows, COLUMNS)
        return SheetOutcome(path, "written")
    merged, added, dropped = _merge(old, rows, path)
    extras = [c for c in header if c not in COLUMNS]
    if [r for _, r in old] == merged:
        return SheetOutcome(path, "kept")
    new = Path(out) / NEW_SHEET
    _write(new, merged, (*COLUMNS, *extras))
    return SheetOutcome(new, "merged", added, dropped)


def _merge(old: list, rows: list[dict], path: Path) -> tuple:
    """The fresh `rows` with the old sheet's entries (points, comment, added columns) carried over."""
    kept = {}
    for _, row in old:
        kept.setdefault(_key(row), row)
    merged = [{**row, **{k: v for k, v in kept[_key(row)].items() if k not in ("max_points", *_KEY)}}
              if _key(row) in kept else row for row in rows]
    keys = {_key(r) for r in rows}
    dropped = [f"{path}:{line}: {'/'.join(_key(row))}" for line, row in old
               if _key(row) not in keys and (row.get("points", "").strip() or row.get("comment", "").strip())]
    return merged, sum(_key(r) not in kept for r in rows), dropped


def _write(path: Path, rows: list[dict], columns) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)


def sheet_lines(path: Path) -> dict:
    """`{(submission, question): [line, ...]}`: where each answer's rows are on the sheet at `path`."""
    lines = {}
    for line, row in _read_rows(path)[1]:
        lines.setdefault(_key(row)[:2], []).append(line)
    return lines


# -- reading a filled sheet -----------------------------------------------------------------------------------

_KEY = ("submission", "question", "item")


def _key(row: dict) -> tuple:
    return tuple((row.get(k) or "").strip() for k in _KEY)


def _read_rows(path: Path) -> tuple[list, list]:
    """The header and `(line, row)` for every row that is not blank; `line` is where the row starts."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # a sheet saved by Excel starts with a BOM
    except (OSError, UnicodeDecodeError) as err:
        raise ScoreSheetError(f"{path}: cannot read the score sheet ({err})") from None
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise ScoreSheetError(f"{path}:1: the header lacks {', '.join(missing)}; a score sheet starts with "
                                  f"{','.join(COLUMNS)}")
        rows, start = [], reader.line_num + 1
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((start, dict(zip(header, cells))))
            start = reader.line_num + 1
    except csv.Error as err:
        raise ScoreSheetError(f"{path}:{reader.line_num}: not valid CSV ({err})") from None
    return header, rows


@dataclass
class Scores:
    """A checked score sheet: per (submission, question) the TA's ItemScores, for the answers graded."""

    questions: list  # rubric.WrittenQuestion
    graded: dict  # (submission, question) -> [ItemScore] in rubric order

    def apply(self, results: list) -> list:
        """Copies of `results` with the written points merged: a graded written question gets its items and
        `graded`; one not graded stays at none. RubricError when a result's written questions and points
        differ from the rubrics' (the checks' `SUITE.manual` and the master notebook disagree)."""
        merged = []
        for result in results:
            result = copy.deepcopy(result)
            self._check_questions(result)
            for q in self.questions:
                target = next((x for x in result.questions if x.name == q.name), None)
                if target is None:  # a result written without its written questions (a blank one)
                    target = QuestionResult(q.name, True, q.points, q.prompt)
                    result.questions.append(target)
                items = self.graded.get((result.submission, q.name))
                target.items, target.graded = (list(items), True) if items else ([], False)
            merged.append(result)
        return merged

    def _check_questions(self, result) -> None:
        rubrics = {q.name: q.points for q in self.questions}
        for q in result.manual_questions():
            if q.name not in rubrics:
                raise RubricError(f"written question {q.name} of the checks has no rubric in the master notebook")
            if not math.isclose(q.possible, rubrics[q.name], abs_tol=1e-9):
                raise RubricError(f"written question {q.name}: the checks give {q.possible:g} points, its rubric "
                                  f"{rubrics[q.name]:g}")


def read_scores(path: Path, *, questions: list, submissions: list) -> Scores:
    """The filled sheet at `path`, checked against the rubrics of `questions` and the submissions' names.

    Raises ScoreSheetError listing every problem as `path:line: ...`: an unknown submission, question or
    rubric item, a duplicate row, `max_points` other than the rubric's, `points` that are not a number, are
    negative or above the item's maximum, and an answer graded in part (some items' points left empty)."""
    _, rows = _read_rows(path)
    by_name = {q.name: q for q in questions}
    errors, first_line, entered = [], {}, {}
    for line, row in rows:
        where = f"{path}:{line}"
        sub, name, item_id = _key(row)
        item = _row_item(where, sub, name, item_id, by_name, submissions, errors)
        if item is None:
            continue
        if (sub, name, item_id) in first_line:
            errors.append(f"{where}: {sub}/{name}/{item_id} is also on line {first_line[(sub, name, item_id)]}")
            continue
        first_line[(sub, name, item_id)] = line
        points = _row_points(where, row, item, name, errors)
        entered.setdefault((sub, name), {})[item_id] = (line, points, (row.get("comment") or "").strip())
    graded = _graded(path, entered, by_name, errors)
    if errors:
        more = f"\n... and {len(errors) - MAX_ERRORS} more" if len(errors) > MAX_ERRORS else ""
        raise ScoreSheetError(f"{len(errors)} problem(s) in the score sheet {path}; nothing was written:\n"
                              + "\n".join(errors[:MAX_ERRORS]) + more)
    return Scores(list(questions), graded)


def _row_item(where, sub, name, item_id, by_name, submissions, errors):
    """The rubric item a row is about, or None (with the reason in `errors`)."""
    if sub not in submissions:
        errors.append(f"{where}: unknown submission {sub!r}{_did_you_mean(sub, submissions, 'submissions')}")
        return None
    question = by_name.get(name)
    if question is None:
        errors.append(f"{where}: unknown question {name!r}{_did_you_mean(name, list(by_name), 'written questions')}")
        return None
    item = question.item(item_id)
    if item is None:
        errors.append(f"{where}: unknown rubric item {item_id!r} of {name} (its items: "
                      f"{', '.join(i.id for i in question.items)})")
    return item


def _row_points(where, row, item, name, errors) -> float | None:
    """The row's points: None when empty, NaN when bad (the reason goes to `errors`)."""
    stated = (row.get("max_points") or "").strip()
    if stated and (_number(stated) is None or not math.isclose(_number(stated), item.points, abs_tol=1e-9)):
        errors.append(f"{where}: item {item.id!r} of {name}: max_points {stated} is not the rubric's {_fmt(item.points)} "
                      "(the rubric changed since the sheet was written: rerun `diffcourse written`)")
    raw = (row.get("points") or "").strip()
    if not raw:
        return None
    points = _number(raw)
    if points is None:
        errors.append(f"{where}: item {item.id!r} of {name}: points {raw!r} is not a number")
    elif points < 0:
        errors.append(f"{where}: item {item.id!r} of {name}: {raw} is negative")
    elif points > item.points + 1e-9:
        errors.append(f"{where}: item {item.id!r} of {name}: {raw} is above its maximum {_fmt(item.points)}")
    else:
        return points
    return math.nan


def _graded(path, entered: dict, by_name: dict, errors: list) -> dict:
    """ItemScores of the answers with any points entered; an answer graded in part goes to `errors` (unless
    one of its values is bad: that error is reported already)."""
    graded = {}
    for (sub, name), rows in entered.items():
        values = [points for _, points, _ in rows.values()]
        if all(v is None for v in values) or any(v is not None and math.isnan(v) for v in values):
            continue
        question, scores = by_name[name], []
        for item in question.items:
            line, points, comment = rows.get(item.id, (None, None, ""))
            if points is None:
                where = f"{path}:{line}" if line else f"{path}"
                state = "has no points" if line else "has no row"
                errors.append(f"{where}: item {item.id!r} of {name} for {sub} {state} while other items of this "
                              "answer have points (enter 0 for none, or clear the answer's other items)")
            scores.append(ItemScore(item.id, item.description, item.points, points, comment))
        graded[(sub, name)] = scores
    return graded


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _did_you_mean(word: str, known: list, what: str) -> str:
    close = difflib.get_close_matches(word, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (not among the {len(known)} {what})"
