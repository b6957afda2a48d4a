"""`diffcourse written`: a grading page per manual question, an index, and the score sheet to fill in.

Each page (`OUT/<question>.html`) keeps the question's rubric in a header that stays in view while scrolling,
then the prompt and the model answer (collapsed), then every submission's answer as a card in a grid: the
submission's name (an anchor, `#s-<n>-<name>`), the score-sheet lines of its items and the answer, math as
MathML. The pages are self-contained: no script, nothing fetched (a Content-Security-Policy says so too).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from .. import course
from . import WrittenError
from .answers import NO_ANSWER, collect_answers
from .render import inline_html, markdown_html
from .rubric import written_questions
from .sheet import SheetOutcome, blank_rows, sheet_lines, write_sheet


@dataclass
class WrittenPages:
    """What `write_pages` wrote: the index, a page per question, the score sheet, and per question how many
    submissions have an answer."""

    index: Path
    pages: list
    sheet: SheetOutcome
    answered: dict  # question -> (answers found, submissions)


def write_pages(*, assignment: str, submissions: Path, out: Path) -> WrittenPages:
    """Write the grading pages and the score sheet of `assignment`'s written questions for the submissions in
    `submissions` (a folder of `.ipynb` and Otter export `.zip` files) into `out`.

    Raises RubricError when a manual question has no rubric or a malformed one, WrittenError when the
    assignment has no manual question, ScoreSheetError when an existing `out/scores.csv` cannot be read (then
    nothing is written). An existing sheet with a TA's entries is never overwritten (`sheet.write_sheet`)."""
    a = course.get(assignment)
    questions = written_questions(a)
    if not questions:
        raise WrittenError(f"{a.id} has no manual (written) question: nothing to grade by hand")
    subs = collect_answers(assignment=a, submissions=Path(submissions), questions=questions)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sheet = write_sheet(out, blank_rows(questions, [s.name for s in subs]))
    lines = sheet_lines(sheet.path)
    anchors = _anchors([s.name for s in subs])
    pages = []
    for k, q in enumerate(questions):
        neighbours = (questions[k - 1] if k else None, questions[k + 1] if k + 1 < len(questions) else None)
        page = out / f"{q.name}.html"
        page.write_text(question_page(a.id, q, subs, lines=lines, sheet=sheet.path.name, anchors=anchors,
                                      neighbours=neighbours), encoding="utf-8")
        pages.append(page)
    answered = {q.name: (sum(s.answers[q.name].found for s in subs), len(subs)) for q in questions}
    index = out / "index.html"
    index.write_text(index_page(a.id, questions, answered, sheet), encoding="utf-8")
    return WrittenPages(index, pages, sheet, answered)


# -- a question's page ----------------------------------------------------------------------------------------


def question_page(assignment: str, q, subs: list, *, lines: dict, sheet: str, anchors: dict,
                  neighbours: tuple = (None, None)) -> str:
    """The HTML page of one written question: sticky rubric, prompt and model answer, a card per submission."""
    found = sum(s.answers[q.name].found for s in subs)
    nav = [f'<a href="index.html">{_e(assignment)}: written work</a>']
    nav += [f'<a href="{_e(n.name)}.html">{label} {_e(n.name)}</a>'
            for n, label in zip(neighbours, ("&larr;", "&rarr;")) if n is not None]
    items = "".join(f'<li><code class="id">{_e(i.id)}</code><span class="max">{_pts(i.points)}</span>'
                    f'<span class="what">{inline_html(i.description)}</span></li>' for i in q.items)
    cards = "\n".join(_card(s, q, lines.get((s.name, q.name), []), sheet, anchors[s.name]) for s in subs)
    body = f"""<header class="rubric">
<label class="narrow"><input type="checkbox" id="narrow"> narrow cards (more per row)</label>
<nav>{' &middot; '.join(nav)}</nav>
<h1>{_e(q.name)} <span class="total">{_pts(q.points)} point{"" if q.points == 1 else "s"}</span>
<span class="count">{found} of {len(subs)} submissions answered</span></h1>
<ol class="items">{items}</ol>
</header>
<main>
<details class="prompt"><summary>The question</summary>{markdown_html(q.prompt)}</details>
<details class="model"><summary>Model answer</summary>{markdown_html(q.model_answer)}</details>
<p class="howto">Enter each item's points (0 to its maximum) and an optional comment for the student in
<code>{_e(sheet)}</code>, on the lines each card names; leave all of an answer's points empty until it is graded.</p>
<section class="grid">
{cards}
</section>
</main>"""
    return _document(f"{assignment} · {q.name} ({_pts(q.points)} point{'' if q.points == 1 else 's'})", body)


def _card(sub, q, lines: list, sheet: str, anchor: str) -> str:
    answer = sub.answers[q.name]
    where = f'<span class="lines">{_e(sheet)} {_line_span(lines)}</span>' if lines else ""
    note = f'<p class="note">{_e(answer.note)}</p>' if answer.note else ""
    if answer.found:
        content = "\n".join(_part_html(p) for p in answer.parts)
    else:
        content = f'<p class="none">{NO_ANSWER}</p>'
    kind = "card" if answer.found else "card empty"
    return (f'<article class="{kind}" id="{anchor}">'
            f'<h2><a href="#{anchor}">{_e(sub.name)}</a>{where}</h2>{note}'
            f'<div class="answer">{content}</div></article>')


def _part_html(part) -> str:
    if part.kind == "markdown":
        return markdown_html(part.source, part.attachments)
    return f'<pre class="cell" title="a {_e(part.kind)} cell"><code>{_e(part.source)}</code></pre>'


def _line_span(lines: list) -> str:
    """`line 5`, `lines 5–7`, or `lines 5, 9` when not consecutive."""
    if len(lines) == 1:
        return f"line {lines[0]}"
    if lines == list(range(lines[0], lines[0] + len(lines))):
        return f"lines {lines[0]}&ndash;{lines[-1]}"
    return "lines " + ", ".join(map(str, lines))


def _anchors(names: list) -> dict:
    """A distinct HTML id per submission name (names may hold spaces and other characters)."""
    return {name: f"s-{k}-{re.sub(r'[^A-Za-z0-9_-]+', '-', name)}" for k, name in enumerate(names, start=1)}


# -- the index ------------------------------------------------------------------------------------------------


def index_page(assignment: str, questions: list, answered: dict, sheet: SheetOutcome) -> str:
    """The index: each written question with its points and how many submissions answered it; the sheet."""
    rows = "".join(f'<tr><td><a href="{_e(q.name)}.html">{_e(q.name)}</a></td><td>{_pts(q.points)}</td>'
                   f'<td>{len(q.items)}</td><td>{answered[q.name][0]} of {answered[q.name][1]}</td></tr>'
                   for q in questions)
    body = f"""<main class="index">
<h1>{_e(assignment)}: written work</h1>
<table><thead><tr><th>question</th><th>points</th><th>rubric items</th><th>answered</th></tr></thead>
<tbody>{rows}</tbody></table>
<p>{sheet_message(sheet)}</p>
<p>Then merge it: <code>diffcourse grade {_e(assignment)} SUBMISSIONS --out OUT --manual {_e(sheet.path.name)}</code>.</p>
</main>"""
    return _document(f"{assignment}: written work", body)


def sheet_message(sheet: SheetOutcome) -> str:
    """One sentence (HTML) on what happened to the score sheet."""
    name = f"<code>{_e(sheet.path.name)}</code>"
    if sheet.action == "written":
        text = f"Score sheet: {name}, one row per submission and rubric item."
    elif sheet.action == "kept":
        text = f"Score sheet: {name} (already has every row; left as it was)."
    else:
        text = (f"<code>scores.csv</code> has a TA's entries and was left as it was; {name} holds it with "
                f"{sheet.added} new row(s): check it and rename it to <code>scores.csv</code>.")
    if sheet.dropped:
        text += f" {len(sheet.dropped)} filled row(s) are no longer on the sheet: " + "; ".join(map(_e, sheet.dropped))
    return text


# -- the document -----------------------------------------------------------------------------------------------


def _e(text) -> str:
    return html.escape(str(text))


def _pts(points: float) -> str:
    return f"{points:g}"


def _document(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>{_CSS}</style>
</head>
<body>
{body}
</body>
</html>
"""


_CSS = """
:root { color-scheme: light; --line: #d5d8de; --muted: #5f6670; --accent: #2f5fb3; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1c1f23;
       background: #f3f4f6; }
a { color: var(--accent); }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .9em; }
math { font-family: "STIX Two Math", "Latin Modern Math", "Cambria Math", "DejaVu Math TeX Gyre", math; font-size: 1.05em; }
math[display="block"] { margin: .4em 0; overflow-x: auto; overflow-y: hidden; padding: .1em 0;
                        scrollbar-width: thin; }
header.rubric { position: sticky; top: 0; z-index: 2; max-height: 40vh; overflow-y: auto; background: #fff;
                border-bottom: 1px solid var(--line); box-shadow: 0 2px 8px rgba(0,0,0,.08);
                padding: .4rem 1.25rem .5rem; }
header nav { font-size: .85rem; color: var(--muted); }
header h1 { font-size: 1.15rem; margin: .15rem 0 .3rem; }
header h1 .total { font-weight: 600; color: var(--accent); margin-left: .4rem; }
header h1 .count { font-size: .85rem; font-weight: 400; color: var(--muted); margin-left: .6rem; }
ol.items { list-style: none; margin: 0; padding: 0; display: grid; column-gap: 0;
            grid-template-columns: max-content max-content 1fr; align-items: baseline; }
ol.items li { display: contents; }
ol.items li > * { padding: .12rem .7rem .12rem 0; border-top: 1px solid #eef0f3; }
ol.items li > :last-child { padding-right: 0; }
ol.items .id { font-weight: 600; }
ol.items .max { text-align: right; font-variant-numeric: tabular-nums; }
ol.items .max::after { content: " pt"; color: var(--muted); font-size: .85em; }
main { padding: .8rem 1.25rem 3rem; }
details { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .3rem .8rem;
          margin-bottom: .5rem; }
details summary { cursor: pointer; font-weight: 600; }
details.model { background: #f4faf4; }
.howto { font-size: .85rem; color: var(--muted); margin: .4rem 0 .8rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 44rem), 1fr)); gap: 1rem;
        align-items: start; }
body:has(#narrow:checked) .grid { grid-template-columns: repeat(auto-fill, minmax(min(100%, 26rem), 1fr)); }
header label.narrow { float: right; font-size: .85rem; color: var(--muted); cursor: pointer; }
.nobr { white-space: nowrap; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .6rem 1rem .8rem;
        scroll-margin-top: 42vh; min-width: 0; }
.card:target { outline: 3px solid var(--accent); }
.card h2 { font-size: 1rem; margin: 0 0 .3rem; display: flex; justify-content: space-between; gap: 1rem;
           align-items: baseline; border-bottom: 1px solid #eef0f3; padding-bottom: .2rem; }
.card h2 a { color: inherit; text-decoration: none; }
.card h2 a:hover { text-decoration: underline; }
.card .lines { font-size: .78rem; font-weight: 400; color: var(--muted); white-space: nowrap; }
.card.empty { background: #f8f8f9; }
.answer { overflow-x: auto; overflow-wrap: break-word; }
.answer p { margin: .4em 0; }
.none { color: var(--muted); font-style: italic; }
.note { font-size: .82rem; color: #8a5300; background: #fff6e0; border-radius: 4px; padding: .1rem .4rem;
        margin: .2rem 0; }
code.tex { background: #fff3cd; color: #6b4100; padding: 0 .2em; border-radius: 3px; }
pre.cell { background: #f6f7f9; border: 1px solid #e3e6ea; border-radius: 4px; padding: .4rem .6rem;
           overflow-x: auto; font-size: .85rem; }
.no-image { color: var(--muted); font-style: italic; }
.answer img { max-width: 100%; }
main.index { max-width: 50rem; }
main.index table { border-collapse: collapse; background: #fff; }
main.index th, main.index td { border: 1px solid var(--line); padding: .3rem .8rem; text-align: left; }
"""
