"""The class report: one self-contained HTML page a TA reads after a grading run (issue 12).

What it shows: the class's scores (a histogram per automatically graded question and one of the totals), the
checks that fail most often, the named misconceptions (`checks/misconceptions.py`) that appear most often, each
with an example message and no submission's name, and the submissions a TA should look at, each with the command
that regrades it. Everything a submission wrote (names, messages, notes) is escaped. The same results give the
same bytes, in whatever order they come, so a page can be compared with the last run's.
"""

from __future__ import annotations

import base64
import html
import importlib
import io
import itertools
import math
import re
import shlex
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from ..grading.result import Flag, write_atomic

REPORT = "class_report.html"
PLACEHOLDER = "SUBMISSION"  # where a regrade command names the submission
TOP_CHECKS = 20  # rows of the failing-checks table
EXAMPLE_CHARS = 1200  # an example message is cut after this many characters
# Statuses a TA must look at; `cell-errors` alone is the student's business (the notes say which cell raised).
NEEDS_A_LOOK = (Flag.KERNEL_DIED, Flag.TIMEOUT, Flag.KILLED_GRADER, Flag.CRASHED, Flag.INVALID, Flag.GRADER_ERROR,
                Flag.FLAGGED)
# The line `misconceptions.explain` adds to a failing check's message.
_KNOWN = re.compile(r"^This is a known mistake \(([^()\n]+)\): (.+)$", re.MULTILINE)


def _fmt(points: float) -> str:
    return f"{round(points, 2):g}"


def _e(text) -> str:
    return html.escape(str(text), quote=True)


# -- what the page counts ---------------------------------------------------------------------------------------

@dataclass
class CheckTally:
    """One check over the class: how many submissions it ran on, how many failed it, one failure's message."""

    question: str
    check: str
    description: str
    hidden: bool
    order: int  # position in the suite, for ties
    ran: int = 0
    failed: int = 0
    example: tuple = ()  # (message, submission) of the example failure, the submission only to choose it

    @property
    def rate(self) -> float:
        return self.failed / self.ran if self.ran else 0.0


@dataclass
class MisconceptionTally:
    """One named misconception over the class: the submissions that showed it, where, and an example message."""

    name: str
    sentence: str
    submissions: set = field(default_factory=set)
    questions: list = field(default_factory=list)
    example: tuple = ()


def _ran(message: str) -> bool:
    """Whether a check's verdict is about the answer: not skipped (time limit, crash) nor a grader bug."""
    return not message.startswith(("not run", "not graded"))


# Failures of work not done (no function, a body still `...`): an example of them teaches a TA nothing.
_UNFINISHED = ("defines no function", "the body still `...`", "a missing `return`", "raised NotImplementedError")


def _rank(message: str, submission: str) -> tuple:
    return (any(sign in message for sign in _UNFINISHED), len(message), submission)


def _example(current: tuple, message: str, submission: str) -> tuple:
    """The deterministic choice of example: a failure of an attempt before one of unfinished work, then the
    shortest message, then the first submission by name."""
    candidate = (message, submission)
    return candidate if not current or _rank(message, submission) < _rank(*current) else current


def anonymous(message: str, submission: str) -> str:
    """`message` without the submission's name (replaced by ``[submission]`` where it stands as a word), cut to
    EXAMPLE_CHARS."""
    if len(submission) >= 4:
        message = re.sub(rf"(?<![\w-]){re.escape(submission)}(?![\w-])", "[submission]", message)
    return message if len(message) <= EXAMPLE_CHARS else message[:EXAMPLE_CHARS] + " [...]"


def failing_checks(results: list) -> list:
    """Every check that failed at least once, most often failed first (by rate, then count, then suite order).
    A check not run (time limit, crash) or not graded (grader error) counts neither as run nor as failed."""
    tallies: dict = {}
    for r in sorted(results, key=lambda r: r.submission):
        for q in r.auto_questions():
            for c in q.checks:
                t = tallies.setdefault((q.name, c.name), CheckTally(q.name, c.name, c.description, c.hidden,
                                                                    len(tallies)))
                if not _ran(c.message):
                    continue
                t.ran += 1
                if not c.passed:
                    t.failed += 1
                    t.example = _example(t.example, c.message, r.submission)
    failed = [t for t in tallies.values() if t.failed]
    return sorted(failed, key=lambda t: (-t.rate, -t.failed, t.order))


def _catalog(assignment: str) -> dict | None:
    """The assignment's misconception sentences by the name `explain` prints, or None without a catalog."""
    if not assignment.isidentifier():
        return None
    try:
        module = importlib.import_module(f"autograder.checks.catalogs.{assignment}")
    except ModuleNotFoundError:
        return None
    return {e.name.replace("_", " "): e.message for e in module.CATALOG.entries}


def misconceptions_seen(results: list, assignment: str) -> list:
    """The named misconceptions in failing checks' messages, shown by the most submissions first. Where the
    assignment has a catalog only its exact sentences count (a student's exception text cannot add one)."""
    catalog = _catalog(assignment)
    tallies: dict = {}
    for r in sorted(results, key=lambda r: r.submission):
        for q in r.auto_questions():
            for c in q.checks:
                if c.passed:
                    continue
                for name, sentence in _KNOWN.findall(c.message):
                    if catalog is not None and catalog.get(name) != sentence:
                        continue
                    t = tallies.setdefault(name, MisconceptionTally(name, sentence))
                    t.submissions.add(r.submission)
                    if q.name not in t.questions:
                        t.questions.append(q.name)
                    t.example = _example(t.example, c.message, r.submission)
    return sorted(tallies.values(), key=lambda t: (-len(t.submissions), t.name))


def needs_a_look(results: list) -> list:
    """The submissions a TA must look at (a status of NEEDS_A_LOOK, or integrity reasons), by name."""
    look = {f.value for f in NEEDS_A_LOOK}
    return [r for r in sorted(results, key=lambda r: r.submission) if look & set(r.flags) or r.integrity]


def regrade_command(regrade: str, submission: str | None = None) -> str:
    """`regrade` with the word PLACEHOLDER (not SUBMISSIONS) replaced by `submission`, quoted for a POSIX shell;
    `regrade` as given without one."""
    if submission is None:
        return regrade
    return re.sub(rf"\b{PLACEHOLDER}\b", lambda _: shlex.quote(submission), regrade)


def status_counts(results: list) -> dict:
    """How many submissions carry each status flag (in `Flag`'s order), and how many are ``ok``; zeros left out."""
    counts = {"ok": sum(1 for r in results if not r.flags)}
    counts.update({f.value: sum(1 for r in results if f.value in r.flags) for f in Flag})
    return {k: n for k, n in counts.items() if n}


# -- figures ----------------------------------------------------------------------------------------------------

def _nice_step(unit: float, span: float, most: int) -> float:
    """The smallest of `unit` times 1, 2, 5, 10, 20, 50, ... that cuts `span` into at most `most` parts."""
    for k in itertools.count():
        for m in (1, 2, 5):
            if span <= most * unit * m * 10**k:
                return unit * m * 10**k


def _bin_width(values: list, possible: float) -> float:
    """A bin per point (half a point where some score is not whole), wider where that would make over 30 bins."""
    unit = 1.0 if all(float(v).is_integer() for v in [*values, possible]) else 0.5
    return _nice_step(unit, possible, 30)


def _histogram(ax, title: str, values: list, possible: float) -> None:
    """One panel: how many submissions earned how many points of `possible`, bins centred on the points."""
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    w = _bin_width(values, possible)
    edges = (np.arange(math.ceil(possible / w) + 2) - 0.5) * w
    ax.hist(np.clip(values, edges[0], edges[-1]), bins=edges, color="#4c72b0", edgecolor="white")
    mean = statistics.fmean(values) if values else 0.0
    ax.axvline(mean, color="#c44e52", linestyle="--", linewidth=1)
    ax.set_xlim(edges[0], edges[-1])
    ax.set_title(f"{title}\nof {_fmt(possible)}, mean {_fmt(mean)}", fontsize=9, linespacing=1.3)
    step = _nice_step(w, possible, 8)
    ax.set_xticks(np.arange(math.floor(possible / step) + 1) * step)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(labelsize=8)


def _small_multiples(panels: list, columns: int = 4, width: float = 2.7) -> str:
    """A PNG (base64) with one histogram per `(title, values, possible)` of `panels`, `columns` to a row, each
    `width` inches (100 pixels an inch) wide."""
    from matplotlib.figure import Figure

    columns = min(columns, len(panels))
    rows = math.ceil(len(panels) / columns)
    w, h = width * columns, 2.15 * rows + 0.1  # inches; fixed margins (constrained layout draws twice: slow)
    fig = Figure(figsize=(w, h), dpi=100)
    fig.subplots_adjust(left=0.5 / w, right=1 - 0.15 / w, bottom=0.5 / h, top=1 - 0.45 / h, wspace=1.0 / width,
                        hspace=0.75)
    for i, (title, values, possible) in enumerate(panels):
        ax = fig.add_subplot(rows, columns, i + 1)
        _histogram(ax, title, values, possible)
        if i % columns == 0:
            ax.set_ylabel("submissions", fontsize=8)
        if i >= len(panels) - columns:
            ax.set_xlabel("points", fontsize=8)
    return _png(fig)


def _png(fig) -> str:
    """The figure as base64 PNG text, the same bytes for the same figure (no software or date stamp)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _questions(results: list) -> list:
    """`(name, possible)` of the automatically graded questions, in the suite's order."""
    seen: dict = {}
    for r in sorted(results, key=lambda r: r.submission):
        for q in r.auto_questions():
            seen[q.name] = max(seen.get(q.name, 0.0), q.possible)
    return list(seen.items())


def figures(results: list) -> list:
    """`(alt text, base64 PNG)`: the questions' histograms (one figure) and the totals' (another)."""
    ordered = sorted(results, key=lambda r: r.submission)
    panels = [(name, [r.points_by_question().get(name, 0.0) for r in ordered], possible)
              for name, possible in _questions(results)]
    out = []
    if panels:
        names = ", ".join(name for name, _, _ in panels)
        out.append((f"histograms of the points per question: {names}", _small_multiples(panels)))
    totals = ("total", [r.total for r in ordered], max(r.possible for r in ordered))
    out.append(("histogram of the total points", _small_multiples([totals], 1, 6.0)))
    return out


# -- the page ---------------------------------------------------------------------------------------------------

_CSS = ("body{font-family:sans-serif;font-size:15px;line-height:1.4;max-width:1120px;margin:1.5em auto;padding:0 1em;"
        "color:#222}h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}"
        "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.3em .5em;"
        "vertical-align:top;text-align:left}th{background:#f3f3f3}td.n{text-align:right;white-space:nowrap}"
        "pre,code{font-family:monospace;font-size:13px}pre{white-space:pre-wrap;word-break:break-word;"
        "background:#f6f6f6;padding:.4em;margin:0;max-height:12em;overflow:auto}code{background:#f0f0f0;"
        "padding:0 .2em;word-break:break-all}img{max-width:100%;height:auto;display:block;margin:.5em 0}"
        ".muted{color:#666}.bar{display:inline-block;height:.7em;background:#c44e52;vertical-align:middle}")

# Sets body[data-figures] to "<count>-loaded" once every image has loaded (what a browser test waits for).
_SCRIPT = ("<script>(function(){var imgs=Array.prototype.slice.call(document.images);function check(){"
           "if(imgs.every(function(i){return i.complete&&i.naturalWidth>0;})){"
           "document.body.dataset.figures=imgs.length+'-loaded';}}"
           "imgs.forEach(function(i){i.addEventListener('load',check);});check();})();</script>")


def _header(results: list, assignment: str, regrade: str) -> str:
    totals = [r.total for r in results]
    possible = max(r.possible for r in results)
    stats = "".join(f"<td class=\"n\">{_fmt(f(totals))}</td>" for f in (statistics.fmean, statistics.median, min, max))
    counts = ", ".join(f"{_e(k)}: {n}" for k, n in status_counts(results).items())
    return (f"<h1>{_e(assignment)}: class report</h1>"
            f"<p>{len(results)} submission(s) graded. Total points out of {_fmt(possible)}:</p>"
            "<table><tr><th>mean</th><th>median</th><th>min</th><th>max</th></tr>"
            f"<tr>{stats}</tr></table><p>Status: {counts}.</p>"
            f"<p>Regrade one submission: <code>{_e(regrade_command(regrade))}</code> "
            f"(<code>{PLACEHOLDER}</code>: its name, as in grades.csv).</p>")


def _figures_section(results: list) -> str:
    imgs = "".join(f'<img alt="{_e(alt)}" src="data:image/png;base64,{png}">' for alt, png in figures(results))
    return ("<h2>Scores</h2><p class=\"muted\">Submissions per points earned; the dashed line is the mean.</p>"
            f"{imgs}")


def _checks_section(results: list) -> str:
    tallies = failing_checks(results)
    if not tallies:
        return "<h2>Checks that fail most often</h2><p>No check failed.</p>"
    rows = "".join(
        f"<tr><td>{_e(t.question)}</td><td>{_e(t.description or t.check)}<br><span class=\"muted\">{_e(t.check)}"
        f"</span></td><td>{'hidden' if t.hidden else 'public'}</td><td class=\"n\">{t.failed} of {t.ran}<br>"
        f"<span class=\"bar\" style=\"width:{round(60 * t.rate)}px\"></span> {round(100 * t.rate)}%</td>"
        f"<td><pre>{_e(anonymous(*t.example))}</pre></td></tr>" for t in tallies[:TOP_CHECKS])
    more = f"<p class=\"muted\">{len(tallies) - TOP_CHECKS} more failing check(s) not shown.</p>" \
        if len(tallies) > TOP_CHECKS else ""
    return ("<h2>Checks that fail most often</h2><p class=\"muted\">Failed of the submissions the check ran on "
            "(a check skipped by a time limit or a crash counts in neither); the example is one failure's message "
            "(the shortest).</p><table><tr><th>question</th><th>check</th><th>kind</th><th>failed</th>"
            f"<th>example message</th></tr>{rows}</table>{more}")


def _misconceptions_section(results: list, assignment: str) -> str:
    tallies = misconceptions_seen(results, assignment)
    if not tallies:
        return "<h2>Named misconceptions</h2><p>No failing check named a known mistake.</p>"
    rows = "".join(
        f"<tr><td>{_e(t.name)}</td><td class=\"n\">{len(t.submissions)}</td><td>{_e(', '.join(t.questions))}</td>"
        f"<td>{_e(t.sentence)}<pre>{_e(anonymous(*t.example))}</pre></td></tr>" for t in tallies)
    return ("<h2>Named misconceptions</h2><p class=\"muted\">Known mistakes the failing checks recognised "
            f"(misconception catalog of {_e(assignment)}), by the number of submissions that showed them.</p>"
            "<table><tr><th>misconception</th><th>submissions</th><th>questions</th>"
            f"<th>what it is, and an example message</th></tr>{rows}</table>")


def _look_section(results: list, regrade: str) -> str:
    flagged = needs_a_look(results)
    title = "<h2>Submissions to look at</h2>"
    if not flagged:
        return title + "<p>None timed out, crashed, was invalid, met a grader error or was flagged.</p>"
    rows = []
    for r in flagged:
        notes = "".join(f"<li>{_e(n)}</li>" for n in r.notes)
        why = "".join(f"<li>flagged because {_e(i)}</li>" for i in r.integrity)
        rows.append(f"<tr><td>{_e(r.submission)}</td><td>{_e(r.status)}</td><td class=\"n\">{_fmt(r.total)} / "
                    f"{_fmt(r.possible)}</td><td><ul>{notes}{why}</ul><code>"
                    f"{_e(regrade_command(regrade, r.submission))}</code></td></tr>")
    return (f"{title}<p class=\"muted\">Timed out, crashed, invalid, a grader error, or flagged for its code "
            "(a flag is for a TA to judge; it costs no points).</p><table><tr><th>submission</th><th>status</th>"
            f"<th>total</th><th>notes, and the command that regrades it</th></tr>{''.join(rows)}</table>")


def class_report(results: list, *, assignment: str, regrade: str) -> str:
    """The class report of `results` (at least one) as one HTML page: no network, no script but the one that
    marks the figures loaded. `regrade`: a command line with PLACEHOLDER where a submission's name goes."""
    if not results:
        raise ValueError("a class report needs at least one result")
    body = "".join([_header(results, assignment, regrade), _figures_section(results), _checks_section(results),
                    _misconceptions_section(results, assignment), _look_section(results, regrade)])
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(assignment)}: class report</title><style>{_CSS}</style></head>"
            f"<body>{body}{_SCRIPT}</body></html>\n")


def write_class_report(results: list, out: Path, *, assignment: str, regrade: str) -> Path:
    """Write `out/class_report.html` (atomically) for `results`, at least one; return its path."""
    path = Path(out) / REPORT
    write_atomic(path, class_report(results, assignment=assignment, regrade=regrade))
    return path
