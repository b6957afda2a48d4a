"""The course's gradebook: every student's total per assignment, from the folders `diffcourse grade` wrote.

A root folder holds one folder per graded assignment (`OUT` of `diffcourse grade`, each with the grades.csv and
grading.json of `report.write_reports`); `write_gradebook` joins their grade tables into `root/gradebook.csv`.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from .. import course
from ..grading.result import write_atomic

GRADEBOOK = "gradebook.csv"
_REQUIRED = ("submission", "total", "possible")


def _fmt(points: float) -> str:
    return f"{points:g}"


def _number(text, where: str, column: str) -> float:
    """`text` as a finite number of points; ValueError naming `where` (file:line) and the column otherwise."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        raise ValueError(f"{where}: {column} is {text!r}, not a number of points")
    return value


def read_grades(path: Path) -> tuple[dict, float]:
    """One assignment's grades.csv: ({submission: total}, possible), `possible` the largest of its `possible`
    column (0 without rows). ValueError naming the file and line of a malformed header or row."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet may have saved it with a BOM
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: cannot be read ({err})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        header = []
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise ValueError(f"{path}:1: the header lacks {', '.join(missing)} (a grades.csv of `diffcourse grade`?)")
    index = {c: header.index(c) for c in _REQUIRED}
    totals, possible = {}, 0.0
    try:
        for row in reader:
            where = f"{path}:{reader.line_num}"
            if not row:
                continue
            if len(row) != len(header):
                raise ValueError(f"{where}: {len(row)} fields where the header has {len(header)}")
            name = row[index["submission"]].strip()
            if not name:
                raise ValueError(f"{where}: no submission name")
            if name in totals:
                raise ValueError(f"{where}: {name!r} is listed twice")
            totals[name] = _number(row[index["total"]], where, "total")
            possible = max(possible, _number(row[index["possible"]], where, "possible"))
    except csv.Error as err:
        raise ValueError(f"{path}:{reader.line_num}: {err}") from None
    return totals, possible


def assignment_id(folder: Path) -> str:
    """The assignment a graded folder holds: grading.json's "assignment", else the folder's name. ValueError when
    grading.json is there but is not a JSON object."""
    path = folder / "grading.json"
    if not path.is_file():
        return folder.name
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: cannot be read ({err})") from None
    if not isinstance(summary, dict):
        raise ValueError(f"{path}:1: not a JSON object")
    found = summary.get("assignment")
    return found if isinstance(found, str) and found else folder.name


def _ordered(ids) -> list:
    """Assignment ids in the course's order (`course.assignment_ids`), then any others by name."""
    try:
        known = course.assignment_ids()
    except FileNotFoundError:  # not run from a course folder: names only
        known = []
    return [a for a in known if a in ids] + sorted(a for a in ids if a not in known)


def gradebook(root: Path) -> tuple[list, list]:
    """(header, rows) of the gradebook of `root`: a row per student (submission name, sorted), a column per
    assignment (its total; empty where the student has no submission), then `total` and `possible` (the sum of
    every assignment's possible, whether or not the student submitted it). ValueError for a malformed grades.csv
    or grading.json (naming the file and line), two folders of one assignment, or no graded folder."""
    root = Path(root)
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
                     and (p / "grades.csv").is_file()) if root.is_dir() else []
    if not folders:
        raise ValueError(f"{root}: no assignment folder (a folder holding the grades.csv of `diffcourse grade`)")
    graded: dict = {}
    for folder in folders:
        a = assignment_id(folder)
        if a in graded:
            raise ValueError(f"{root}: two folders hold {a}: {graded[a][2].name} and {folder.name}")
        graded[a] = (*read_grades(folder / "grades.csv"), folder)
    ids = _ordered(graded)
    students = sorted({s for totals, _, _ in graded.values() for s in totals})
    possible = math.fsum(graded[a][1] for a in ids)
    rows = []
    for s in students:
        points = [graded[a][0].get(s) for a in ids]
        total = math.fsum(p for p in points if p is not None)
        rows.append([_inert(s), *("" if p is None else _fmt(p) for p in points), _fmt(total), _fmt(possible)])
    return ["student", *ids, "total", "possible"], rows


def _inert(name: str) -> str:
    """A student's name as a spreadsheet shows it, never runs it: one that would start a formula (= + - @) gets a
    leading apostrophe."""
    return f"'{name}" if name[:1] in ("=", "+", "-", "@", "\t", "\r") else name


def write_gradebook(root: Path) -> Path:
    """Write `root/gradebook.csv` (atomically) from the graded assignment folders under `root` (see `gradebook`);
    return its path. Nothing is written when a folder's grades are malformed (ValueError)."""
    header, rows = gradebook(root)
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path = Path(root) / GRADEBOOK
    write_atomic(path, text.getvalue())
    return path
