"""`diffcourse exam`: a mock final exam in the course's topic mix, and its answer key with worked solutions.

Both are single HTML pages that need no network: Markdown and LaTeX are turned into HTML and MathML when the
page is written (`autograder.written.render`: markdown-it-py and latex2mathml), and the style sheet is inline.
The same seed gives the same bytes: questions are drawn by `random.Random(f"exam:{seed}")` and nothing on the
page depends on the time or the machine.
"""

from __future__ import annotations

import html
import os
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..written.render import inline_html, markdown_html, math_html
from . import CHAPTERS, Choice, Numeric, questions
from .question import Variant

# The course's exam mix: questions per chapter (the chapters with most lecture time weigh most).
MIX = {"tools": 1, "priors": 1, "score": 1, "ddpm": 2, "acceleration": 1, "guidance": 1, "inverse": 2, "sde": 1}
POINTS = {1: 6, 2: 10, 3: 14}  # by difficulty


@dataclass(frozen=True)
class WrittenExam:
    exam: Path
    key: Path
    questions: int
    points: int


def draw(seed: int, count: int | None = None) -> list[Variant]:
    """The exam's variants: MIX per chapter (scaled to `count` questions when given), at least one derivation,
    no generator twice, in the syllabus's order."""
    rng = random.Random(f"exam:{seed}")
    bank = list(questions().values())
    mix = dict(MIX)
    if count is not None:
        chapters = list(MIX)
        mix = {c: 0 for c in chapters}
        for i in range(count):
            mix[chapters[i % len(chapters)] if i < len(chapters) else rng.choice(chapters)] += 1
    chosen = []
    for chapter, n in mix.items():
        pool = [q for q in bank if q.chapter == chapter]
        chosen += rng.sample(pool, min(n, len(pool)))
    if not any(q.kind == "derivation" for q in chosen):
        derivations = [q for q in bank if q.kind == "derivation"]
        swap = rng.choice(derivations)
        same_chapter = [i for i, q in enumerate(chosen) if q.chapter == swap.chapter] or [len(chosen) - 1]
        chosen[same_chapter[0]] = swap
    order = list(CHAPTERS)
    chosen.sort(key=lambda q: order.index(q.chapter))
    return [q.generate(rng.randrange(10**6)) for q in chosen]


def write_exam(*, seed: int, out: Path, count: int | None = None) -> WrittenExam:
    """Write `out/exam.html` and `out/key.html` for `seed` (each written whole, then renamed into place)."""
    variants = draw(seed, count)
    points = [POINTS[v.difficulty] for v in variants]
    out.mkdir(parents=True, exist_ok=True)
    exam, key = out / "exam.html", out / "key.html"
    _write(exam, _page(seed, variants, points, key=False))
    _write(key, _page(seed, variants, points, key=True))
    return WrittenExam(exam=exam, key=key, questions=len(variants), points=sum(points))


def _write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _page(seed: int, variants: list[Variant], points: list[int], *, key: bool) -> str:
    title = f"236759 Diffusion Models — mock exam {seed}" + (" — answer key" if key else "")
    body = [f"<h1>{html.escape(title)}</h1>"]
    if key:
        body.append(f'<p class="meta">Answers and worked solutions for <code>diffcourse exam --seed {seed}</code>. '
                    "Numbers are accepted within the stated tolerance; an expression is right when it is equivalent "
                    "to the one given.</p>")
    else:
        body.append(f'<p class="meta">{len(variants)} questions, {sum(points)} points. Closed book; a calculator is '
                    "allowed. Show your derivations: in a derivation question each step is graded. Regenerate with "
                    f"<code>diffcourse exam --seed {seed}</code>; the key is <code>key.html</code> next to this "
                    "page.</p>")
    for n, (variant, pts) in enumerate(zip(variants, points), 1):
        body.append(_question(n, variant, pts, key=key))
    return _TEMPLATE.format(title=html.escape(title), body="\n".join(body))


def _question(n: int, v: Variant, pts: int, *, key: bool) -> str:
    kind = {"true-false": "true or false", "choice": "multiple choice"}.get(v.kind, v.kind)
    parts = []
    for i, part in enumerate(v.parts):
        label = f"({'abcdefgh'[i]}) " if len(v.parts) > 1 else ""
        items = [f'<div class="ask">{html.escape(label)}{inline_html(part.ask)}</div>']
        if isinstance(part.answer, Choice) and not part.answer.true_false:
            items.append("<ol class=\"options\" type=\"a\">" + "".join(
                f"<li>{inline_html(o)}</li>" for o in part.answer.options) + "</ol>")
        if key:
            items.append(f'<div class="answer"><b>Answer:</b> {_answer_html(part.answer)}</div>')
            if part.after:
                items.append(f'<div class="after">{markdown_html(part.after)}</div>')
        else:
            items.append('<div class="blank"></div>')
        parts.append('<div class="part">' + "".join(items) + "</div>")
    solution = f'<div class="solution"><h3>Worked solution</h3>{markdown_html(v.solution)}</div>' if key else ""
    return (f'<section class="question" id="q{n}"><h2>Question {n} <span class="pts">({pts} points)</span></h2>'
            f'<p class="tag">{html.escape(CHAPTERS[v.chapter])} · {html.escape(kind)} · '
            f'<code>{html.escape(v.question)}</code>, seed {v.seed}</p>'
            f'{markdown_html(v.prompt)}{"".join(parts)}{solution}</section>')


def _answer_html(answer) -> str:
    if isinstance(answer, Choice):
        if answer.true_false:
            return "true" if answer.correct == 0 else "false"
        return f"({answer.letter(answer.correct)}) {inline_html(answer.options[answer.correct])}"
    if isinstance(answer, Numeric):
        return f"{math_html(answer.latex(), display=False)} (within {html.escape(answer.tolerance())})"
    return f"{math_html(answer.latex(), display=False)}; typed: <code>{html.escape(answer.typed())}</code>"


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: "DejaVu Serif", Georgia, serif; max-width: 50rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #1a1a1a; }}
h1 {{ font-size: 1.5rem; border-bottom: 2px solid #333; padding-bottom: .3rem; }}
h2 {{ font-size: 1.15rem; margin: 0 0 .2rem; }}
h3 {{ font-size: 1rem; margin: .8rem 0 .2rem; }}
.meta, .tag {{ color: #555; font-size: .9rem; }}
.tag {{ margin-top: 0; }}
.question {{ border-top: 1px solid #bbb; padding: 1rem 0; page-break-inside: avoid; }}
.pts {{ font-weight: normal; color: #555; }}
.part {{ margin: .6rem 0 .6rem 1rem; }}
.blank {{ border-bottom: 1px dotted #999; height: 2.2rem; }}
.answer {{ background: #eef6ee; border-left: 3px solid #3a7d3a; padding: .3rem .6rem; margin-top: .3rem; }}
.after {{ color: #333; font-size: .95rem; margin-left: .6rem; }}
.solution {{ background: #f6f6fa; border-left: 3px solid #556; padding: .2rem .8rem; margin-top: .6rem; }}
math[display="block"] {{ margin: .4rem 0; }}
code {{ font-size: .85em; }}
.nobr {{ white-space: nowrap; }}
@media print {{ body {{ margin: 0; }} }}
</style>
</head>
<body>
{body}
</body>
</html>
"""
