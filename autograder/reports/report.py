"""What a grading run writes: the grade table, Gradescope results and per-student feedback."""

from __future__ import annotations

import csv
import json
from pathlib import Path


def _fmt(points: float) -> str:
    return f"{points:g}"


def write_grades_csv(results: list, path: Path) -> None:
    """One row per submission: submission, one column per question (points earned), total, possible, status,
    and why the submission was flagged for a TA's review (`flagged_because`, empty when it was not)."""
    if not results:
        path.write_text("submission,total,possible,status,flagged_because\n")
        return
    names = [q.name for q in results[0].auto_questions()]
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["submission", *names, "total", "possible", "status", "flagged_because"])
        for r in sorted(results, key=lambda r: r.submission):
            points = r.points_by_question()
            writer.writerow([r.submission, *(_fmt(points.get(n, 0.0)) for n in names), _fmt(r.total),
                             _fmt(r.possible), r.status, "; ".join(r.integrity)])


def gradescope(result, hidden_visibility: str = "after_published") -> dict:
    """Gradescope's results.json: one test per check; hidden checks get `hidden_visibility`. Why a submission
    was flagged goes into `extra_data`, which Gradescope keeps for the staff and does not show the student."""
    tests = []
    for q in result.auto_questions():
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
        "extra_data": {"status": result.status, "flagged_because": list(result.integrity)},
    }


def feedback_text(result) -> str:
    """Readable feedback: per question the points, each check's verdict, the smallest failing input."""
    lines = [f"{result.assignment} - {result.submission}",
             f"Automatically graded: {_fmt(result.total)} / {_fmt(result.possible)} points   (status: {result.status})",
             ""]
    for note in result.notes:
        lines.append(f"! {note}")
    if result.notes:
        lines.append("")
    for q in result.questions:
        if q.manual:
            lines.append(f"[{q.name}] graded by hand ({_fmt(q.possible)} points): {q.prompt}")
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


def write_reports(results: list, out: Path, hidden_visibility: str = "after_published") -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results").mkdir(exist_ok=True)
    (out / "feedback").mkdir(exist_ok=True)
    write_grades_csv(results, out / "grades.csv")
    for r in results:
        (out / "results" / f"{r.submission}.json").write_text(json.dumps(gradescope(r, hidden_visibility), indent=1))
        (out / "feedback" / f"{r.submission}.txt").write_text(feedback_text(r))


def table(results: list) -> str:
    """The grade table as aligned text for the terminal."""
    if not results:
        return "(no submissions)"
    names = [q.name for q in results[0].auto_questions()]
    header = ["submission", *names, "total", "status"]
    rows = [header]
    for r in sorted(results, key=lambda r: r.submission):
        pts = r.points_by_question()
        rows.append([r.submission, *(_fmt(pts.get(n, 0.0)) for n in names), f"{_fmt(r.total)}/{_fmt(r.possible)}",
                     r.status])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)
