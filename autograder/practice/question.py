"""Question generators and their variants.

A generator is a function of a seeded `random.Random` decorated with `@question(...)`: it draws the numbers of
one variant, computes the answer with `course_core`, and writes the prompt and a worked solution. A variant is
plain data: a prompt (Markdown with LaTeX), one or more parts (a derivation has several, each answered in turn
with a hint after it), and the worked solution. The same (generator, seed) gives the same variant on every
machine: the seed is a string hashed by `random.Random` (SHA-512), independent of Python's hash randomisation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from ..course import CHAPTERS
from .answers import Choice, NearMiss, Numeric, Symbolic, format_number

KINDS = ("numeric", "symbolic", "derivation", "choice", "true-false")

Answer = Numeric | Symbolic | Choice


@dataclass(frozen=True)
class Part:
    """One answer the learner gives: what is asked, how it is checked, what `worked` (the value or expression
    the worked solution arrives at, computed there independently of `answer`) is, and what is shown after it is
    answered (the justification of a choice, the hint for a derivation's next step)."""

    ask: str
    answer: Answer
    worked: str
    after: str = ""


@dataclass(frozen=True)
class Variant:
    """One drawn question: `question` is the generator's id, `seed` the seed that drew it."""

    question: str
    seed: int
    chapter: str
    kind: str
    difficulty: int
    title: str
    prompt: str
    parts: tuple[Part, ...]
    solution: str


@dataclass(frozen=True)
class Draft:
    """What a generator function returns; `question()` adds the generator's identity to make a Variant."""

    prompt: str
    parts: tuple[Part, ...] | list
    solution: str


@dataclass(frozen=True)
class Question:
    """A generator: `generate(seed)` draws one variant."""

    id: str
    chapter: str
    kind: str
    difficulty: int
    title: str
    make: Callable[[random.Random], Draft]

    def generate(self, seed: int) -> Variant:
        draft = self.make(random.Random(f"{self.id}:{seed}"))
        parts = tuple(draft.parts)
        if not parts or (self.kind == "derivation") != (len(parts) > 1):
            raise ValueError(f"{self.id}: a derivation has several parts, any other kind exactly one")
        return Variant(question=self.id, seed=seed, chapter=self.chapter, kind=self.kind,
                       difficulty=self.difficulty, title=self.title, prompt=draft.prompt.strip(), parts=parts,
                       solution=draft.solution.strip())


REGISTRY: dict[str, Question] = {}


def question(chapter: str, *, kind: str, difficulty: int, title: str):
    """Register the decorated `fn(rng) -> Draft` as the generator `<chapter>.<fn name>`."""
    if chapter not in CHAPTERS or kind not in KINDS or difficulty not in (1, 2, 3):
        raise ValueError(f"unknown chapter {chapter!r}, kind {kind!r} or difficulty {difficulty!r}")

    def register(fn):
        qid = f"{chapter}.{fn.__name__}"
        if qid in REGISTRY:
            raise ValueError(f"two generators named {qid}")
        REGISTRY[qid] = Question(id=qid, chapter=chapter, kind=kind, difficulty=difficulty, title=title, make=fn)
        return fn

    return register


def nice(rng: random.Random, low: float, high: float, digits: int = 2) -> float:
    """A number drawn uniformly from [low, high], rounded to `digits` decimals (so a prompt reads well; never
    -0.0, which would print as "-0.0")."""
    return round(rng.uniform(low, high), digits) + 0.0


def shuffled_choice(rng: random.Random, correct: str, wrong: list[tuple[str, str]]) -> Choice:
    """A Choice of `correct` and the `(option, why it is wrong)` pairs in `wrong`, in an order drawn by `rng`."""
    options = [(correct, None)] + list(wrong)
    rng.shuffle(options)
    return Choice(options=tuple(o for o, _ in options), correct=[o for o, _ in options].index(correct),
                  notes={i: why for i, (_, why) in enumerate(options) if why})


def true_false(statement_is_true: bool, why_wrong: str) -> Choice:
    """A true/false choice; `why_wrong` is shown to a learner who picked the wrong side."""
    return Choice(options=("True", "False"), correct=0 if statement_is_true else 1,
                  notes={1 if statement_is_true else 0: why_wrong})


def agrees(value: float, reference: float, rtol: float = 1e-9) -> None:
    """Stop a generator whose answer (a formula's value) disagrees with `course_core`'s `reference`."""
    if not abs(value - reference) <= rtol * (1 + abs(reference)):
        raise AssertionError(f"the answer gives {value!r} where course_core gives {reference!r}")


def apart(value: float, others, margin: float = 0.02) -> bool:
    """Whether `value` differs from each of `others` by more than `margin` (relative): a generator redraws its
    numbers until its named near misses are far from the answer, so a check never rejects them by a hair."""
    return all(abs(value - o) > margin * max(abs(value), 1e-12) for o in others)


def distinct(values, margin: float = 0.02) -> bool:
    """Whether every pair of `values` (an answer and its near misses) is `apart`: a learner's near miss is then
    named by the one message that fits it."""
    values = list(values)
    return all(apart(v, values[i + 1:], margin) for i, v in enumerate(values))


def separated(answer: float, others, margin: float = 0.02) -> bool:
    """`distinct([answer, *others])`: the answer and its named near misses all pairwise apart."""
    return distinct([answer, *others], margin)


def near_misses(pairs) -> tuple[NearMiss, ...]:
    """Named near misses from `(value or expression, message)` pairs."""
    return tuple(NearMiss(v, m) for v, m in pairs)


def scalars(*values: float):
    """A float64 vector of `values` (course_core works on tensors)."""
    import torch

    return torch.tensor(values, dtype=torch.float64)


def factor(x: float, digits: int | None = None) -> str:
    """A number as a factor in LaTeX (with `digits` significant digits when given): negative ones in parentheses."""
    text = format_number(x, digits) if digits else f"{x}"
    return f"({text})" if x < 0 else text
