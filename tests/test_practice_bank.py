"""The question bank validated like STACK's deployed variants: for 100 seeds per generator the correct answer and
the worked solution's answer are accepted, perturbed answers and every named near miss are rejected (near misses
with their own message, and by a wide margin), variants differ, numbers are well-conditioned, and every prompt
and solution renders (MathML for the exam page, plain text for the terminal)."""

from __future__ import annotations

import math
import re

import pytest

from autograder.practice import CHAPTERS, KINDS, Choice, Numeric, Symbolic, questions
from autograder.practice.answers import format_number, parse
from autograder.practice.text import terminal
from autograder.written.render import markdown_html

SEEDS = range(100)
QUESTIONS = questions()
_NUMBER = re.compile(r"(?<![\w^_{])[-−]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def test_the_bank_covers_every_chapter_and_kind():
    assert len(QUESTIONS) >= 60
    per_chapter = {c: [q for q in QUESTIONS.values() if q.chapter == c] for c in CHAPTERS}
    assert {c: len(qs) for c, qs in per_chapter.items() if len(qs) < 6} == {}
    for chapter, qs in per_chapter.items():
        kinds = {q.kind for q in qs}
        assert len(kinds) >= 3, f"{chapter} has only {kinds}"
    assert {q.kind for q in QUESTIONS.values()} == set(KINDS)
    assert len({q.title for q in QUESTIONS.values()}) == len(QUESTIONS), "two generators share a title"


def _perturbed(answer):
    """Answers a checker must reject: nearby numbers, scaled or shifted expressions, the other options."""
    if isinstance(answer, Numeric):
        v = answer.value
        return [repr(v * k) for k in (1.02, 0.98, 1.5, 0.5, -1.0, 10.0)] + [repr(v + 1.0)]
    if isinstance(answer, Symbolic):
        e = f"({answer.expr})"
        return [f"{e}*1.02", f"{e}+0.05", f"2*{e}", f"-{e}", f"{e}^2*1.3"]
    return [answer.letter(i) for i in range(len(answer.options)) if i != answer.correct]


def _typed(miss, answer) -> str:
    return repr(float(miss.answer)) if isinstance(answer, Numeric) else str(miss.answer)


def _math_renders(markdown: str) -> None:
    page = markdown_html(markdown)
    assert 'class="tex"' not in page, f"LaTeX that does not render: {re.findall(r'<code class=.tex[^>]*>([^<]*)', page)}"


@pytest.mark.parametrize("qid", list(QUESTIONS))
def test_a_generators_variants_are_valid(qid):
    q = QUESTIONS[qid]
    signatures, rendered = set(), set()
    for seed in SEEDS:
        v = q.generate(seed)
        assert v == q.generate(seed), "the same seed drew a different variant"
        assert v.chapter == q.chapter and v.kind == q.kind and v.prompt and v.solution
        signatures.add((v.prompt, tuple(p.ask for p in v.parts), tuple(p.answer.typed() for p in v.parts)))
        for i, part in enumerate(v.parts):
            where = f"{qid} seed {seed} part {i}"
            a = part.answer
            assert a.check(a.typed()).correct, f"{where}: the answer itself is rejected"
            assert a.check(part.worked).correct, f"{where}: the worked solution's {part.worked!r} is rejected"
            for wrong in _perturbed(a):
                verdict = a.check(wrong)
                assert not verdict.correct and not verdict.retry, f"{where}: accepted or did not parse {wrong!r}"
            if isinstance(a, Numeric):
                assert math.isfinite(a.value) and 1e-4 <= abs(a.value) <= 1e6, f"{where}: ill-conditioned {a.value}"
                assert a.rtol <= 2e-3 and a.atol <= 1e-2 * abs(a.value) + 1e-3, f"{where}: too lax a tolerance"
                shown = [float(n.replace("−", "-")) for n in _NUMBER.findall(v.solution)]
                assert any(a.accepts(n) for n in shown), f"{where}: the solution never states {a.value}"
            if isinstance(a, (Numeric, Symbolic)):
                for miss in a.near_misses:
                    verdict = a.check(_typed(miss, a))
                    assert not verdict.correct and miss.message in verdict.message, f"{where}: {miss} not named"
                    if isinstance(a, Numeric):
                        gap = abs(float(miss.answer) - a.value)
                        assert gap > 5 * max(a.atol, a.rtol * abs(a.value)), f"{where}: {miss} is within a hair"
            if isinstance(a, Symbolic):
                parse(a.expr, a.variables)
            if isinstance(a, Choice):
                assert len(a.options) >= 2 and part.after, f"{where}: a choice without a justification"
        # Rendering is slow (pylatexenc, latex2mathml): every text of the first 4 seeds, and of a choice or true-false
        # generator every text its pool produces in the 100 seeds, each distinct text once.
        if seed < 4 or q.kind in ("choice", "true-false"):
            texts = [v.prompt, v.solution] + [p.ask for p in v.parts] + [p.after for p in v.parts]
            texts += [o for p in v.parts if isinstance(p.answer, Choice) for o in p.answer.options]
            for text in set(texts) - rendered:
                rendered.add(text)
                assert not re.search(r"\\n(?![A-Za-z])", text), f"{qid}: a literal backslash-n (a raw string's newline) in {text[:80]!r}"
                _math_renders(text)
                assert not re.search(r"\\[A-Za-z]", terminal(text)), f"{qid}: a LaTeX command left in {terminal(text)!r}"
    least = 50 if q.kind in ("numeric", "derivation") else 4
    assert len(signatures) >= least, f"{qid}: only {len(signatures)} distinct variants in {len(SEEDS)} seeds"


def test_numbers_are_formatted_with_significant_digits():
    assert [format_number(x) for x in (0.000123456, 12345.6, -0.5, 1e-7)] == ["0.0001235", "1.235e4", "-0.5", "1e-7"]
