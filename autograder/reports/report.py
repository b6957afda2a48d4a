"""What a grading run writes: the grade table, Gradescope results and per-student feedback."""

from __future__ import annotations

import base64
import binascii
import csv
import html
import io
import json
from pathlib import Path

from ..grading.result import write_atomic
from .classreport import REPORT as CLASS_REPORT, write_class_report


def _fmt(points: float) -> str:
    return f"{points:g}"


def _columns(results: list, written: bool) -> list:
    """The question columns: the automatic questions, then (with `written`) the written ones."""
    return [q.name for q in results[0].questions if written or not q.manual]


def _cell(result, name: str) -> str:
    """A question's points; empty for a written question not graded yet."""
    q = next((q for q in result.questions if q.name == name), None)
    if q is None:
        return _fmt(0.0)
    return "" if q.manual and not q.graded else _fmt(q.points)


def write_grades_csv(results: list, path: Path, written: bool = False) -> None:
    """One row per submission: submission, one column per question (points earned), total, possible, status,
    and why the submission was flagged for a TA's review (`flagged_because`, empty when it was not).

    With `written` (a score sheet was merged) the written questions get columns too, empty where not graded
    yet; `total` counts the written points graded and `possible` what `total` is out of (the automatic points
    plus the maxima of the written questions graded: `Result.possible`)."""
    names = _columns(results, written) if results else []
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(["submission", *names, "total", "possible", "status", "flagged_because"])
    for r in sorted(results, key=lambda r: r.submission):
        writer.writerow([r.submission, *(_cell(r, n) for n in names), _fmt(r.total),
                         _fmt(r.possible), r.status, "; ".join(r.integrity)])
    write_atomic(path, text.getvalue())


def gradescope(result, hidden_visibility: str = "after_published") -> dict:
    """Gradescope's results.json: one test per check; hidden checks get `hidden_visibility`; a written question
    a TA graded is one visible test listing its rubric items, points and comments. Why a submission was
    flagged goes into `extra_data`, which Gradescope keeps for the staff and does not show the student."""
    tests = []
    for q in result.questions:
        if q.manual and q.graded:
            tests.append({"name": f"{q.name}: written answer (graded by hand)", "score": q.points,
                          "max_score": q.possible, "visibility": "visible", "output": "\n".join(_item_lines(q))})
        for c in q.checks:
            tests.append({
                "name": f"{q.name}: {c.description}",
                "score": c.points,
                "max_score": c.possible,
                "visibility": hidden_visibility if c.hidden else "visible",
                "output": c.message,
                "status": "passed" if c.passed else "failed",
            })
    return {
        "score": result.total,
        "output": "\n".join(result.notes) or "Graded outside your notebook's kernel.",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"status": result.status, "flagged_because": list(result.integrity),
                       "sandbox": sandbox_summary(result)},
    }


def _item_lines(q) -> list:
    """A graded written question's rubric items: points, what earns them, the TA's comment."""
    lines = []
    for i in q.items:
        lines.append(f"{_fmt(i.points or 0.0)} / {_fmt(i.max_points)}  {i.item}: {i.description}")
        if i.comment:
            lines.extend("      " + line for line in f"TA: {i.comment}".splitlines())
    return lines


def feedback_text(result, *, page: bool = False) -> str:
    """Readable feedback: per question the points, each check's verdict, the smallest failing input; per
    written question its rubric items and the TA's comments, or that it is still to be graded. `page`: the text
    for the HTML page, which shows the figures itself (no pointer to it)."""
    lines = [f"{result.assignment} - {result.submission}",
             f"Automatically graded: {_fmt(result.auto_total)} / {_fmt(result.auto_possible)} points   "
             f"(status: {result.status})"]
    lines += _written_summary(result)
    lines.append("")
    if valid_figures(result) and not page:
        lines.append(f"The figures your notebook drew when it was graded ({len(valid_figures(result))}) are on "
                     f"{result.submission}.html, beside this file.")
        lines.append("")
    for note in result.notes:
        lines.append(f"! {note}")
    if result.notes:
        lines.append("")
    for q in result.questions:
        if q.manual:
            lines += _written_feedback(q)
            lines.append("")
            continue
        lines.append(f"[{q.name}] {_fmt(q.points)} / {_fmt(q.possible)}")
        for c in q.checks:
            mark = "ok  " if c.passed else "FAIL"
            kind = "hidden" if c.hidden else "public"
            lines.append(f"  {mark} ({kind}, {_fmt(c.possible)} pt) {c.description}")
            if not c.passed:
                lines.extend("         " + line for line in c.message.splitlines())
        lines.append("")
    return "\n".join(lines)


def _written_summary(result) -> list:
    manual = result.manual_questions()
    if not manual:
        return []
    graded = [q for q in manual if q.graded]
    pending = [q for q in manual if not q.graded]
    lines = []
    if graded:
        lines.append(f"Written, graded by hand: {_fmt(sum(q.points for q in graded))} / "
                     f"{_fmt(sum(q.possible for q in graded))} points")
    if pending:
        lines.append(f"Written, pending (graded by hand later): {_fmt(sum(q.possible for q in pending))} points "
                     f"({', '.join(q.name for q in pending)})")
    lines.append(f"Total so far: {_fmt(result.total)} / {_fmt(result.possible)} points")
    return lines


def _written_feedback(q) -> list:
    if not q.graded:
        unit = "point" if q.possible == 1 else "points"
        return [f"[{q.name}] written answer, {_fmt(q.possible)} {unit}: pending, graded by hand ({q.prompt})"]
    return [f"[{q.name}] {_fmt(q.points)} / {_fmt(q.possible)}  written answer, graded by hand",
            *("  " + line for line in _item_lines(q))]


def sandbox_summary(result) -> str:
    """Which walls the submission's kernel ran behind (`boundary.sandbox`), as one line."""
    from ..boundary.sandbox import Protections

    walls = getattr(result, "sandbox", None)
    return Protections(**walls).summary() if walls else "sandbox: not recorded (graded before issue 11)"


def sandbox_lines(results: list) -> list:
    """The distinct sandbox summaries of `results`, with how many submissions each (for the TA's terminal)."""
    counts: dict = {}
    for r in results:
        line = sandbox_summary(r)
        counts[line] = counts.get(line, 0) + 1
    return [line if len(counts) == 1 else f"{line} [{n} submission(s)]" for line, n in counts.items()]


def default_regrade(assignment: str) -> str:
    """The command that regrades one submission when the caller names none: `diffcourse check` on its notebook
    (run in the submissions' folder; SUBMISSION is its name, as in grades.csv)."""
    return f"diffcourse check {assignment} SUBMISSION.ipynb"


def write_reports(results: list, out: Path, hidden_visibility: str = "after_published", written: bool = False,
                  sandbox=None, regrade: str | None = None, assignment: str | None = None) -> None:
    """grades.csv, results/<submission>.json (Gradescope), feedback/<submission>.txt and, for a notebook that drew
    figures, feedback/<submission>.html (the text and the figures) under `out`, grading.json (the assignment, the
    sandbox `sandbox`, a `boundary.sandbox.Protections`, the batch ran behind, and each submission's) and, when
    there are results, class_report.html (`classreport`). `written`: a score sheet was merged into `results`
    (grades.csv then has the written questions' columns). `assignment`: the assignment's id (default: the first
    result's); `regrade`: the command line that regrades one submission, SUBMISSION in it standing for its name
    (default: `default_regrade`)."""
    out.mkdir(parents=True, exist_ok=True)
    assignment = assignment or (results[0].assignment if results else None)
    summary = {"assignment": assignment,
               "sandbox": sandbox.to_json() if sandbox is not None else None,
               "sandbox_summary": sandbox.summary() if sandbox is not None else None,
               "submissions": {r.submission: sandbox_summary(r) for r in results}}
    write_atomic(out / "grading.json", json.dumps(summary, indent=1))
    (out / "results").mkdir(exist_ok=True)
    (out / "feedback").mkdir(exist_ok=True)
    write_grades_csv(results, out / "grades.csv", written)
    for r in results:
        write_atomic(out / "results" / f"{r.submission}.json", json.dumps(gradescope(r, hidden_visibility), indent=1))
        write_atomic(out / "feedback" / f"{r.submission}.txt", feedback_text(r))
        page = out / "feedback" / f"{r.submission}.html"
        if valid_figures(r):
            write_atomic(page, feedback_page(r))
        else:
            page.unlink(missing_ok=True)
    if results:
        write_class_report(results, out, assignment=assignment, regrade=regrade or default_regrade(assignment))
    else:
        (out / CLASS_REPORT).unlink(missing_ok=True)  # no stale report of an earlier run


_PNG = b"\x89PNG\r\n\x1a\n"


def valid_figures(result) -> list:
    """The result's figures that are PNG images in base64 (anything else a notebook displayed is left out):
    ``[(cell, base64 text)]``."""
    out = []
    for fig in getattr(result, "figures", None) or []:
        png = fig.get("png") if isinstance(fig, dict) else None
        try:
            ok = isinstance(png, str) and base64.b64decode(png, validate=True).startswith(_PNG)
        except (ValueError, binascii.Error):
            ok = False
        if ok:
            out.append((fig.get("cell"), png))
    return out


def feedback_page(result) -> str:
    """The student's feedback as one self-contained HTML page: the text of feedback_text and, below it, the
    figures the notebook drew when the grader ran it (its restorations, samples, plots), cell by cell."""
    figures = "\n".join(f'<figure><img alt="figure from cell {html.escape(str(cell))}" '
                         f'src="data:image/png;base64,{png}"><figcaption>cell {html.escape(str(cell))}</figcaption>'
                         "</figure>" for cell, png in valid_figures(result))
    title = html.escape(f"{result.assignment} - {result.submission}")
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title><style>"
            "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
            "pre{white-space:pre-wrap;background:#f6f6f6;padding:1em;border-radius:4px}"
            "img{max-width:100%;border:1px solid #ddd}figure{margin:1.5em 0}figcaption{color:#555}"
            f"</style></head><body><h1>{title}</h1><pre>{html.escape(feedback_text(result, page=True))}</pre>"
            "<h2>Figures your notebook drew when it was graded</h2>"
            f"{figures}</body></html>\n")


def table(results: list, written: bool = False) -> str:
    """The grade table as aligned text for the terminal (with `written`, the written questions' columns: `-`
    where not graded yet)."""
    if not results:
        return "(no submissions)"
    names = _columns(results, written)
    header = ["submission", *names, "total", "status"]
    rows = [header]
    for r in sorted(results, key=lambda r: r.submission):
        rows.append([r.submission, *(_cell(r, n) or "-" for n in names), f"{_fmt(r.total)}/{_fmt(r.possible)}",
                     r.status])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)
