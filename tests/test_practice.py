"""Exam practice for the learner: the answer checkers against hostile and equivalent input, the terminal drill
(scripted, and through the real command line), the mock exam and its key (same seed, same bytes; rendered in a
real browser), and the practice notebooks (current, and run with the answers filled in)."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.practice import CHAPTERS, Choice, NearMiss, Numeric, Symbolic, Var, get, questions
from autograder.practice.drill import Progress, drill, pick
from autograder.practice.exam import MIX, draw, write_exam
from autograder.practice.notebook import FOLDER, chapter_notebook, notebook_name, write_notebooks
from autograder.written.render import math_html
from browser import chromium, png_colours

ROOT = Path(__file__).resolve().parents[1]

VARS = (Var("alpha_bar_prev", r"\bar\alpha_{t-1}", 0.2, 0.95), Var("beta_t", r"\beta_t", 0.01, 0.3),
        Var("alpha_t", r"\alpha_t", means="1 - beta_t"), Var("alpha_bar_t", r"\bar\alpha_t",
                                                            means="alpha_bar_prev*alpha_t"))
COEF = Symbolic("sqrt(alpha_bar_prev)*beta_t/(1 - alpha_bar_t)", VARS,
                (NearMiss("sqrt(alpha_bar_t)*beta_t/(1 - alpha_bar_t)", "alpha_bar_t for alpha_bar_{t-1}"),))


# -- the checkers ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "sqrt(alpha_bar_prev)*beta_t/(1 - alpha_bar_t)",
    "alpha_bar_prev^0.5 * (1 - alpha_t) / (1 - alpha_bar_prev*alpha_t)",  # derived symbols, ^, other order
    "beta_t sqrt(alpha_bar_prev) / (1-alpha_bar_prev (1-beta_t))",  # implicit multiplication
    "(alpha_bar_prev)**(1/2)*beta_t*(1 - alpha_bar_t)**-1",
    "exp(log(alpha_bar_prev)/2) * beta_t / (1 − alpha_bar_t)",  # a Unicode minus, as pasted from a PDF
])
def test_equivalent_expressions_written_differently_are_accepted(text):
    assert COEF.check(text).correct


@pytest.mark.parametrize("text, message", [
    ("sqrt(alpha_bar_t)*beta_t/(1 - alpha_bar_t)", "alpha_bar_t for alpha_bar_{t-1}"),
    ("-sqrt(alpha_bar_prev)*beta_t/(1 - alpha_bar_t)", "sign is flipped"),
    ("alpha_bar_prev*beta_t^2/(1 - alpha_bar_t)^2", "square root is missing"),
    ("(1 - alpha_bar_t)/(sqrt(alpha_bar_prev)*beta_t)", "reciprocal"),
    ("sqrt(alpha_bar_prev)*beta_t/(1 - alpha_bar_prev)", "not equivalent"),
    ("sqrt(alpha_bar_prev)*beta_t/(1 - alpha_bar_t) + 1e-4", "not equivalent"),
])
def test_wrong_expressions_are_rejected_and_near_misses_named(text, message):
    verdict = COEF.check(text)
    assert not verdict.correct and not verdict.retry and message in verdict.message


@pytest.mark.parametrize("text", [
    "", "   ", "__import__('os').system('touch /tmp/pwned')", "alpha_bar_prev.__class__", "lambda: 1",
    "open('/etc/passwd')", "x" * 1000, "sqrt(alpha_bar_prev", "alpha_bar_prev +* 2", "[1, 2]", "1; 2",
    "alpha_bar_prev = 1", "ᾱ_t", "foo(beta_t)", "\\frac{1}{2}",
])
def test_garbage_is_not_understood_asked_again_and_never_run(text, tmp_path):
    verdict = COEF.check(text)
    assert verdict.retry and not verdict.correct and verdict.message.startswith("Not understood")
    assert not Path("/tmp/pwned").exists()


def test_huge_powers_fail_fast_instead_of_hanging():
    start = time.perf_counter()
    for text in ["9**9**9**9", "alpha_t*10^10^10^10", "(10**100)**(10**100)"]:
        assert not COEF.check(text).correct
        assert Numeric(0.5).check(text).retry  # not a finite number
    assert time.perf_counter() - start < 5


def test_numbers_accept_arithmetic_within_the_tolerance_only():
    n = Numeric(0.25, rtol=1e-3, near_misses=(NearMiss(0.5, "the square root is missing"),))
    assert all(n.check(t).correct for t in ["0.25", "1/4", "0.2502", "2.5e-1", "sqrt(1/16)", "exp(log(0.25))"])
    assert not n.check("0.2504").correct  # 0.16 % off
    assert "square root is missing" in n.check("0.5").message
    assert "sign" in n.check("-0.25").message
    assert n.check("one quarter").retry and n.check("1/0").retry and n.check("sqrt(-1)").retry


def test_choices_take_letters_numbers_and_true_false():
    c = Choice(options=("x", "y", "z"), correct=1, notes={0: "x is wrong because"})
    assert c.check("b").correct and c.check("B").correct and c.check("2").correct and c.check("(b)").correct
    assert "x is wrong because" in c.check("a").message
    assert c.check("d").retry and c.check("maybe").retry
    tf = Choice(options=("True", "False"), correct=1)
    assert tf.check("false").correct and tf.check("F").correct and not tf.check("yes").correct
    assert tf.check("b").correct and tf.check("perhaps").retry


# -- the drill ---------------------------------------------------------------------------------------------------

class Script:
    """A learner typing the given lines; EOFError when they run out (Ctrl-D)."""

    def __init__(self, lines):
        self.lines, self.said = list(lines), []

    def read(self, prompt):
        if not self.lines:
            raise EOFError
        return self.lines.pop(0)

    def say(self, text):
        self.said.append(text)

    @property
    def screen(self):
        return "\n".join(self.said)


def _correct_answers(seed: int, chapter: str, count: int, progress: Progress) -> list[str]:
    """What a learner who knows every answer types, found by drawing the drill's questions the same way."""
    rng, typed = random.Random(f"drill:{seed}"), []
    shadow = Progress(None, json.loads(json.dumps(progress.chapters)), list(progress.seen))
    for _ in range(count):
        q, qseed = pick(shadow, rng, chapter)
        parts = q.generate(qseed).parts
        typed += [p.answer.typed() for p in parts]
        shadow.record(q.chapter, len(parts), 0, f"{q.id}:{qseed}")
    return typed


def test_a_drill_with_right_answers_records_them(tmp_path):
    progress = Progress.load(tmp_path / "p.json")
    script = Script(_correct_answers(5, "ddpm", 3, progress))
    drill(read=script.read, say=script.say, progress=progress, seed=5, chapter="ddpm", count=3)
    saved = json.loads((tmp_path / "p.json").read_text())
    assert saved["chapters"]["ddpm"]["wrong"] == 0 and saved["chapters"]["ddpm"]["right"] >= 3
    assert script.screen.count("Worked solution:") == 3 and "Traceback" not in script.screen


def test_garbage_gets_a_message_and_another_try_and_eof_saves_and_stops(tmp_path):
    progress = Progress.load(tmp_path / "p.json")
    script = Script(["", "what?", "__import__('os')", "help", "2..3", "skip"])  # then Ctrl-D
    drill(read=script.read, say=script.say, progress=progress, seed=1, count=5)
    screen = script.screen
    assert screen.count("Not understood") >= 2 and "Type an answer" in screen and "Answers: a number" in screen
    assert "Worked solution:" in screen and "Stopped; your progress is saved." in screen
    saved = json.loads((tmp_path / "p.json").read_text())
    assert sum(c["wrong"] for c in saved["chapters"].values()) >= 1 and len(saved["seen"]) == 1


def test_the_drill_leans_toward_the_weakest_chapter():
    weak = Progress(None, {c: {"right": 20, "wrong": 0} for c in CHAPTERS} | {"inverse": {"right": 2, "wrong": 18}})
    rng = random.Random(0)
    drawn = Counter(pick(weak, rng)[0].chapter for _ in range(400))
    assert drawn["inverse"] > 0.5 * 400 and drawn.most_common(1)[0][0] == "inverse"
    assert set(drawn) == set(CHAPTERS)  # the others still come up


def test_the_same_seed_replays_the_same_drill():
    first, second = Script(["skip"] * 4), Script(["skip"] * 4)
    for s in (first, second):
        drill(read=s.read, say=s.say, progress=Progress(None), seed=42, count=4)
    assert first.said == second.said


def test_an_unreadable_progress_file_is_set_aside_not_lost(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("{not json")
    progress = Progress.load(path)
    assert (tmp_path / "p.json.unreadable").read_text() == "{not json" and "could not be read" in progress.note
    script = Script(["skip"])
    drill(read=script.read, say=script.say, progress=progress, seed=3, count=1)
    assert "could not be read" in script.screen and json.loads(path.read_text())["seen"]


def test_a_progress_file_that_cannot_be_written_is_said_once_and_the_drill_goes_on(tmp_path):
    (tmp_path / "a_file").write_text("")
    script = Script(["skip", "skip"])
    drill(read=script.read, say=script.say, progress=Progress.load(tmp_path / "a_file" / "p.json"), seed=2, count=2)
    assert script.screen.count("Could not save your progress") == 1 and script.screen.count("Worked solution:") == 2


def test_the_practice_command_runs_in_a_terminal_session(tmp_path):
    """The real command line, fed by a pipe: garbage, a skip, then end of input; no traceback, exit status 0."""
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "practice", "--seed", "9", "--count", "3",
                           "--chapter", "ddpm", "--progress", str(tmp_path / "p.json")],
                          input="nonsense(\n\nskip\n", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Not understood" in done.stdout and "Worked solution:" in done.stdout and "Traceback" not in done.stderr
    bad = subprocess.run([sys.executable, "-m", "autograder.cli", "practice", "--chapter", "nope"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "nope" in bad.stderr and "Traceback" not in bad.stderr


# -- the mock exam -----------------------------------------------------------------------------------------------

def test_an_exam_follows_the_course_mix_and_the_same_seed_gives_the_same_pages(tmp_path):
    variants = draw(7)
    assert Counter(v.chapter for v in variants) == Counter({c: n for c, n in MIX.items()})
    assert any(v.kind == "derivation" for v in variants) and len({v.question for v in variants}) == len(variants)
    one, two = write_exam(seed=7, out=tmp_path / "a"), write_exam(seed=7, out=tmp_path / "b")
    assert one.exam.read_bytes() == two.exam.read_bytes() and one.key.read_bytes() == two.key.read_bytes()
    assert write_exam(seed=8, out=tmp_path / "c").exam.read_bytes() != one.exam.read_bytes()
    exam, key = one.exam.read_text(), one.key.read_text()
    for page in (exam, key):
        assert not re.search(r"(src|href)=\"(https?:)?//|<script|<link|@import", page), "the page reaches out"
        assert "$" not in re.sub(r"<code>.*?</code>", "", page) and 'class="tex"' not in page
    assert "Worked solution" in key and "Worked solution" not in exam
    for v in variants:  # every answer is in the key: a number as the exam shows it, an expression as typed
        for p in v.parts:
            if isinstance(p.answer, Symbolic):
                assert f"<code>{p.answer.typed()}</code>".replace("&", "&amp;") in key
            elif isinstance(p.answer, Numeric):
                assert math_html(p.answer.latex(), display=False) in key


def test_the_exam_and_its_key_render_in_a_browser(tmp_path):
    written = write_exam(seed=236759, out=tmp_path / "exam")
    for page, least_math in ((written.exam, 10), (written.key, 25)):
        dom = chromium("--virtual-time-budget=2000", "--dump-dom", page.as_uri(), profile=tmp_path / "profile")
        assert dom.returncode == 0, dom.stderr[-2000:]
        assert dom.stdout.count("<math") >= least_math and "$$" not in dom.stdout
        shot = tmp_path / f"{page.stem}.png"
        done = chromium(f"--screenshot={shot}", page.as_uri(), profile=tmp_path / "profile", size=(1000, 1400))
        assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
        assert png_colours(shot, (1000, 1400)) > 50


def test_the_exam_command(tmp_path):
    from click.testing import CliRunner

    from autograder.cli import main

    done = CliRunner().invoke(main, ["exam", "--seed", "3", "--out", str(tmp_path / "x")])
    assert done.exit_code == 0 and "exam.html" in done.output and "key.html" in done.output
    assert (tmp_path / "x" / "key.html").is_file()


# -- the practice notebooks --------------------------------------------------------------------------------------

def test_the_committed_practice_notebooks_are_current(tmp_path):
    written = write_notebooks(tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in FOLDER.glob("*.ipynb")), \
        "run `.venv/bin/diffcourse build` and commit assignments/practice"
    for path in written:
        assert path.read_text() == (FOLDER / path.name).read_text(), f"{path.name} is stale: run diffcourse build"
    for chapter in CHAPTERS:
        ids = [q.id for q in questions().values() if q.chapter == chapter]
        source = "\n".join(c.source for c in chapter_notebook(chapter).cells)
        assert all(f"practice.show({i!r})" in source for i in ids)


def test_a_practice_notebook_checks_answers_in_the_notebook(tmp_path):
    """The DDPM notebook run by a kernel: with every answer filled in correctly (a number, an expression, a
    letter, true/false) each check says so; left as None, it asks for an answer; nothing raises."""
    nb = nbformat.read(FOLDER / notebook_name("ddpm"), as_version=4)
    for cell in nb.cells:
        match = re.match(r"(answer_\d+(?:_[a-h])?) = None\npractice\.check\('([\w.]+)', \w+(?:, part=(\d))?\)",
                         cell.source)
        if match and not cell.source.startswith("answer_1 "):
            name, qid, part = match.groups()
            answer = get(qid).generate(0).parts[int(part or 0)].answer
            value = answer.typed()
            literal = repr(float(value)) if isinstance(answer, Numeric) else repr(value)
            cell.source = cell.source.replace(f"{name} = None", f"{name} = {literal}", 1)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    texts = [o.get("data", {}).get("text/markdown", "") for o in outputs]
    checks = [t for t in texts if t.startswith(("✅", "❌", "Write your answer"))]
    assert checks[0].startswith("Write your answer") and all(t.startswith("✅") for t in checks[1:]), checks
    chapter = [q for q in questions().values() if q.chapter == "ddpm"]
    assert len(checks) == sum(len(q.generate(0).parts) for q in chapter)
    assert sum("Worked solution" in t for t in texts) == len(chapter) - 1  # every question but the unanswered first


# -- the tests above fail when the code is wrong ----------------------------------------------------------------

from mutation import catches  # noqa: E402

import autograder.practice.answers as answers_mod  # noqa: E402
import autograder.practice.drill as drill_mod  # noqa: E402
import autograder.practice.exam as exam_mod  # noqa: E402


def _lax_close(a, b, rtol, atol):  # a tolerance ten times too wide
    return abs(a - b) <= 10 * max(atol, rtol * abs(b))


def _same_roughly(a, b, rtol=1e-7, _same=answers_mod.same):  # "equivalent" within 1 %
    return _same(a, b, rtol=1e-2)


@pytest.mark.parametrize("test, broken", [
    (test_numbers_accept_arithmetic_within_the_tolerance_only, [(answers_mod, "_close", _lax_close)]),
    (lambda: test_wrong_expressions_are_rejected_and_near_misses_named(
        "sqrt(alpha_bar_prev)*beta_t/(1 - alpha_bar_t) + 1e-4", "not equivalent"),
     [(answers_mod, "same", _same_roughly)]),
    (lambda: test_garbage_is_not_understood_asked_again_and_never_run("foo(beta_t)", None),
     [(answers_mod, "_FUNCTIONS", {**answers_mod._FUNCTIONS, "foo": answers_mod.sympy.Function("foo")})]),
    (test_the_drill_leans_toward_the_weakest_chapter, [(drill_mod.Progress, "weight", lambda self, chapter: 1.0)]),
    (lambda: test_the_same_seed_replays_the_same_drill(),
     [(drill_mod.random, "Random", lambda seed=None: random.SystemRandom())]),
], ids=["tolerance", "equivalence", "names", "weakest-chapter", "replay"])
def test_the_practice_tests_catch_broken_checkers_and_drills(test, broken):
    catches(test, broken=broken)


def test_the_exam_test_catches_an_exam_that_is_not_a_function_of_its_seed(tmp_path):
    catches(test_an_exam_follows_the_course_mix_and_the_same_seed_gives_the_same_pages, tmp_path,
            broken=[(exam_mod.random, "Random", lambda seed=None: random.SystemRandom())])


def test_the_bank_validation_catches_a_lax_checker_and_a_wrong_solution():
    """The 100-seed validation of one generator fails when the checker accepts too much or a worked solution
    reaches another number."""
    import test_practice_bank as bank_tests

    from autograder.practice.question import Part

    catches(bank_tests.test_a_generators_variants_are_valid, "ddpm.posterior_variance",
            broken=[(answers_mod, "_close", _lax_close)])
    real = Part.__init__

    def off_by_a_bit(self, ask, answer, worked, after=""):
        if isinstance(answer, Numeric):
            worked = repr(float(worked) * 1.01)
        real(self, ask, answer, worked, after)

    catches(bank_tests.test_a_generators_variants_are_valid, "ddpm.q_sample_value",
            broken=[(Part, "__init__", off_by_a_bit)])
