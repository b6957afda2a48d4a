"""`diffcourse practice`: an interactive drill in the terminal.

Questions are drawn from the bank, leaning toward the chapters where the learner has been wrong most (each
chapter's weight is its Laplace-smoothed error rate, (wrong + 1) / (answered + 2), so an unseen chapter weighs as
much as one answered half right). Each part gets two tries (only a right first try counts as right in the
progress); a derivation then goes on from the correct intermediate result, with the next step's hint. Input that
is not understood gets a message and another try and is never counted; `skip`, `quit`, Ctrl-D and Ctrl-C end the
question or the session cleanly. Progress (per chapter: parts answered right and wrong, and the questions seen)
is kept in a JSON file written atomically after every question; a file that cannot be read is set aside as
`<name>.unreadable` and the drill starts a fresh one.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import CHAPTERS, Choice, Numeric, questions
from .question import Question, Variant
from .text import terminal

TRIES = 2
_RECENT = 12  # generators not drawn again within this many questions


@dataclass
class Progress:
    """Per chapter: parts answered right and wrong; `seen`: the last questions asked (`<id>:<seed>`)."""

    path: Path | None
    chapters: dict = field(default_factory=dict)
    seen: list = field(default_factory=list)
    note: str = ""

    @classmethod
    def load(cls, path: Path | None) -> "Progress":
        if path is None or not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text())
            chapters = {c: {"right": int(v["right"]), "wrong": int(v["wrong"])}
                        for c, v in data["chapters"].items() if c in CHAPTERS}
            return cls(path, chapters, [str(s) for s in data.get("seen", [])][-200:])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            aside = path.with_name(path.name + ".unreadable")
            os.replace(path, aside)
            return cls(path, note=f"{path} could not be read ({type(err).__name__}); it was kept as {aside} and a "
                                  "new progress file started")

    def record(self, chapter: str, right: int, wrong: int, seen: str) -> None:
        entry = self.chapters.setdefault(chapter, {"right": 0, "wrong": 0})
        entry["right"] += right
        entry["wrong"] += wrong
        self.seen = (self.seen + [seen])[-200:]
        self.save()

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        with os.fdopen(fd, "w") as out:
            json.dump({"chapters": self.chapters, "seen": self.seen}, out, indent=1)
        os.replace(tmp, self.path)

    def weight(self, chapter: str) -> float:
        """The chapter's smoothed error rate: how much the drill leans toward it."""
        entry = self.chapters.get(chapter, {"right": 0, "wrong": 0})
        return (entry["wrong"] + 1) / (entry["right"] + entry["wrong"] + 2)

    def summary(self) -> str:
        lines = ["chapter                                        right  wrong  accuracy"]
        for chapter, title in CHAPTERS.items():
            entry = self.chapters.get(chapter)
            if entry:
                total = entry["right"] + entry["wrong"]
                lines.append(f"{title:<46} {entry['right']:>5}  {entry['wrong']:>5}  {entry['right'] / total:>7.0%}")
        return "\n".join(lines) if len(lines) > 1 else "no questions answered yet"


def pick(progress: Progress, rng: random.Random, chapter: str | None = None) -> tuple[Question, int]:
    """The next question and seed: a chapter drawn by weight (or the given one), then a generator in it not asked
    in the last few questions."""
    bank = list(questions().values())
    if chapter is None:
        chapters = [c for c in CHAPTERS if any(q.chapter == c for q in bank)]
        chapter = rng.choices(chapters, weights=[progress.weight(c) for c in chapters])[0]
    recent = {s.split(":")[0] for s in progress.seen[-_RECENT:]}
    pool = [q for q in bank if q.chapter == chapter]
    fresh = [q for q in pool if q.id not in recent] or pool
    return rng.choice(fresh), rng.randrange(10**6)


class _Quit(Exception):
    """The learner asked to end the session."""


def ask_variant(variant: Variant, read: Callable[[str], str], say: Callable[[str], None]) -> tuple[int, int]:
    """Ask one variant part by part; (parts right, parts wrong). _Quit when the learner ends the session."""
    say(terminal(variant.prompt))
    right = wrong = 0
    for i, part in enumerate(variant.parts):
        say("")
        if len(variant.parts) > 1:
            say(f"Step {i + 1} of {len(variant.parts)}.")
        say(terminal(part.ask))
        if isinstance(part.answer, Choice) and not part.answer.true_false:
            for j, option in enumerate(part.answer.options):
                say(f"  ({part.answer.letter(j)}) {terminal(option)}")
        outcome = _answer(part, read, say)
        if outcome is None:  # skipped: the rest of the question is shown, not asked
            say(f"The answer: {_shown(part.answer)}")
            wrong += len(variant.parts) - i
            break
        right, wrong = right + (outcome == "first"), wrong + (outcome != "first")
        if outcome == "wrong":
            say(f"The answer: {_shown(part.answer)}")
        if part.after:
            say(terminal(part.after))
    say("")
    say("Worked solution:")
    say(terminal(variant.solution))
    return right, wrong


def _shown(answer) -> str:
    if isinstance(answer, Choice):
        return terminal(answer.latex())
    if isinstance(answer, Numeric):
        return f"{terminal('$' + answer.latex() + '$')} (accepted within {answer.tolerance()})"
    return f"{terminal('$' + answer.latex() + '$')}   (typed: {answer.typed()})"


def _answer(part, read, say) -> str | None:
    """"first" when answered right at the first try, "second" at the second (acknowledged, but counted as wrong
    in the progress: the drill leans toward what is not yet sure), "wrong", or None when skipped."""
    tries = 0
    while tries < TRIES:
        text = read("> ").strip()
        command = text.lower()
        if command in ("quit", "exit", "q"):
            raise _Quit
        if command in ("skip", "s", "?"):
            return None
        if command in ("help", "h"):
            say(_HELP)
            continue
        if not text:
            say("Type an answer (or: help, skip, quit).")
            continue
        verdict = part.answer.check(text)
        say(terminal(verdict.message))
        if verdict.retry:
            continue
        if verdict.correct:
            return "first" if tries == 0 else "second"
        tries += 1
        if tries < TRIES:
            say("Try once more.")
    return "wrong"


_HELP = ("Answers: a number or arithmetic (0.25, 1/3, sqrt(2)/2, exp(-1), 2e-3); an expression in the names the "
         "question lists (sqrt(alpha_bar_t)*x_0, beta_t/(1 - alpha_bar_t), x^2 or x**2); a letter for a choice; "
         "true or false. Commands: skip (show the solution), quit (save and stop).")


def drill(*, read: Callable[[str], str], say: Callable[[str], None], progress: Progress, seed: int,
          chapter: str | None = None, count: int = 10) -> Progress:
    """Ask `count` questions (or until the learner quits), recording each in `progress`."""
    if progress.note:
        say(progress.note)
    rng = random.Random(f"drill:{seed}")
    say(f"Exam practice, seed {seed} (`diffcourse practice --seed {seed}` replays this drill). Type help for "
        "the answer syntax, skip to see a solution, quit to stop.")
    for n in range(1, count + 1):
        q, qseed = pick(progress, rng, chapter)
        try:
            variant = q.generate(qseed)
            say("")
            say("=" * 96)
            say(f"[{n}/{count}] {CHAPTERS[q.chapter]} — {q.title}")
            say(f"{q.kind}, difficulty {q.difficulty} of 3 · question {q.id}, seed {qseed}")
            say("=" * 96)
            right, wrong = ask_variant(variant, read, say)
        except (_Quit, EOFError, KeyboardInterrupt):
            say("")
            say("Stopped; your progress is saved.")
            break
        try:
            progress.record(q.chapter, right, wrong, f"{q.id}:{qseed}")
        except OSError as err:
            say(f"Could not save your progress to {progress.path} ({err.strerror or err}); the drill goes on "
                "without saving it.")
            progress.path = None
    say("")
    say(progress.summary())
    if progress.path is not None:
        say(f"progress: {progress.path}")
    return progress
