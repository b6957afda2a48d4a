"""Written work: rubrics in the master notebook, students' answers, the grading pages (in a real browser), the
score sheet and its merge into grades.csv, Gradescope results and feedback.

Everything but the all-assignment rubric check runs on a small synthetic course (`course`), with results
built directly (no kernel), so the file runs in seconds."""

import csv
import html.parser
import json
import zipfile
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

from autograder import course as course_mod
from autograder.cli import main
from autograder.boundary import sandbox
from autograder.grading import batch
from autograder.grading.cache import ResultCache
from autograder.grading.result import CheckResult, QuestionResult, Result
from autograder.written import RubricError, ScoreSheetError
from autograder.written.answers import PLACEHOLDER, course_texts, find_answers
from autograder.written.render import markdown_html
from autograder.written.rubric import parse_master, written_questions
from autograder.written.sheet import COLUMNS, blank_rows, read_scores
from browser import chromium, png_colours

pytestmark = pytest.mark.usefixtures("kernel_zygote")  # kernels fork from it (conftest.py)

ROOT = Path(__file__).resolve().parents[1]
ID = "hw_x"

DERIVE_PROMPT = ("**Question 2 (3 points, written).** Derive the posterior mean $\\tilde\\mu_t(x_t, x_0)$ from\n"
                 "Bayes' rule. Write your derivation in the Markdown cell below (LaTeX between `$ $`).")
INTERPRET_PROMPT = "**Question 3 (2 points, written).** What does the plot above show? Two sentences."
DERIVE_RUBRIC = """**Rubric** (3 points; partial credit within an item)
- `bayes` (1) Bayes' rule with the Markov property: $q(x_{t-1} \\mid x_t, x_0) \\propto q(x_t \\mid x_{t-1})\\, q(x_{t-1} \\mid x_0)$.
- `square` (1.5) Completes the square and reads off the precision
  $1/\\tilde\\beta_t = \\alpha_t/\\beta_t + 1/(1-\\bar\\alpha_{t-1})$.
- `identity` (0.5) Uses $\\alpha_t(1-\\bar\\alpha_{t-1}) + \\beta_t = 1-\\bar\\alpha_t$."""
INTERPRET_RUBRIC = "**Rubric** (2 points)\n- `modes` (2) The samples cover every mode of the mixture."
DERIVE_ANSWER = r"""By Bayes' rule, $q(x_{t-1} \mid x_t, x_0) \propto q(x_t \mid x_{t-1})\, q(x_{t-1} \mid x_0)$, so

$$
\tilde\mu_t = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1 - \bar\alpha_t}\, x_0
 + \frac{\sqrt{\alpha_t}\,(1 - \bar\alpha_{t-1})}{1 - \bar\alpha_t}\, x_t .
$$"""


# -- a synthetic course: a master notebook with two written questions, the students' notebook, submissions ------


def _master(derive_rubric=DERIVE_RUBRIC, interpret_rubric=INTERPRET_RUBRIC, derive_points=3):
    cells = [
        new_raw_cell("# ASSIGNMENT CONFIG\nfiles: [toy.py]"),
        new_markdown_cell("# hw_x\nA worksheet."),
        new_raw_cell("# BEGIN QUESTION\nname: q1\npoints: 2"),
        new_markdown_cell("**Question 1 (2 points).** Implement `f`."),
        new_raw_cell("# BEGIN SOLUTION"),
        new_code_cell("def f(x):\n    return x"),
        new_raw_cell("# END SOLUTION"),
        new_raw_cell("# END QUESTION"),
        new_raw_cell(f"# BEGIN QUESTION\nname: derive\npoints: {derive_points}\nmanual: true"),
        new_markdown_cell(DERIVE_PROMPT),
        new_raw_cell("# BEGIN SOLUTION"),
        new_markdown_cell("By Bayes' rule ... $$\\tilde\\mu_t = \\frac{a}{b}$$"),
        *([new_markdown_cell(derive_rubric)] if derive_rubric else []),
        new_raw_cell("# END SOLUTION"),
        new_raw_cell("# END QUESTION"),
        new_markdown_cell("## 3. Sampling\nThe plot of samples."),
        new_code_cell("plot()"),
        new_raw_cell("# BEGIN QUESTION\nname: interpret\npoints: 2\nmanual: true"),
        new_markdown_cell(INTERPRET_PROMPT),
        new_raw_cell("# BEGIN SOLUTION"),
        new_markdown_cell("The samples cover all eight modes."),
        new_markdown_cell(interpret_rubric),
        new_raw_cell("# END SOLUTION"),
        new_raw_cell("# END QUESTION"),
        new_markdown_cell("## 4. The end"),
    ]
    return new_notebook(cells=cells)


def _locked(source):
    return new_markdown_cell(source, metadata={"deletable": False, "editable": False})


def _answer(text=PLACEHOLDER):
    return new_markdown_cell(text, metadata={"tags": ["otter_answer_cell"]})


def _student(derive=PLACEHOLDER, interpret=PLACEHOLDER):
    """The notebook Otter builds from `_master`, with the two written answers filled in."""
    cells = [
        new_markdown_cell("# hw_x\nA worksheet."),
        _locked("**Question 1 (2 points).** Implement `f`."),
        new_code_cell("def f(x):\n    ...", metadata={"tags": ["otter_answer_cell"]}),
        _locked(f"<!-- BEGIN QUESTION -->\n\n{DERIVE_PROMPT}"),
        _answer(derive),
        _locked("<!-- END QUESTION -->\n\n## 3. Sampling\nThe plot of samples."),
        new_code_cell("plot()"),
        _locked(f"<!-- BEGIN QUESTION -->\n\n{INTERPRET_PROMPT}"),
        _answer(interpret),
        _locked("<!-- END QUESTION -->\n\n## 4. The end"),
    ]
    return new_notebook(cells=cells)


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A course folder with the assignment hw_x, set as DIFFCOURSE_ROOT; returns its root."""
    root = tmp_path / "course"
    (root / "grading_config").mkdir(parents=True)
    (root / "grading_config" / f"{ID}.toml").write_text("[limits]\nsubmission = 60\n")
    (root / "solutions" / ID).mkdir(parents=True)
    nbformat.write(_master(), root / "solutions" / ID / f"{ID}.ipynb")
    (root / "assignments" / ID).mkdir(parents=True)
    nbformat.write(_student(), root / "assignments" / ID / f"{ID}.ipynb")
    monkeypatch.setenv("DIFFCOURSE_ROOT", str(root))
    return root


def _submissions(folder: Path, answers: dict) -> Path:
    """`answers`: submission name -> (derive, interpret); a name ending in .zip is written as an export zip."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (derive, interpret) in answers.items():
        nb = _student(derive, interpret)
        if name.endswith(".zip"):
            with zipfile.ZipFile(folder / name, "w") as zf:
                zf.writestr(f"{ID}.ipynb", nbformat.writes(nb))
        else:
            nbformat.write(nb, folder / f"{name}.ipynb")
    return folder


ANSWERS = {"alice": (DERIVE_ANSWER, "All **eight** modes are covered."),
           "bob.zip": ("Bayes: $q \\propto q q$ and then $\\frac{1}{2$ hmm", PLACEHOLDER),
           "carol": (PLACEHOLDER, PLACEHOLDER)}


# -- rubrics -------------------------------------------------------------------------------------------------


def test_the_master_notebooks_written_questions_prompts_model_answers_and_rubrics(tmp_path):
    nbformat.write(_master(), tmp_path / "m.ipynb")
    derive, interpret = parse_master(tmp_path / "m.ipynb")
    assert (derive.name, derive.points, interpret.name, interpret.points) == ("derive", 3, "interpret", 2)
    assert derive.prompt == DERIVE_PROMPT and derive.model_answer.startswith("By Bayes' rule")
    assert [(i.id, i.points) for i in derive.items] == [("bayes", 1), ("square", 1.5), ("identity", 0.5)]
    assert derive.item("square").description.endswith("1/(1-\\bar\\alpha_{t-1})$.")  # its continuation line
    assert "**Rubric**" not in derive.model_answer


BAD_RUBRICS = {
    "an item without points": ("- `bayes` Bayes' rule", "line 2: not a rubric item"),
    "an item id used twice": ("- `bayes` (1) a\n- `bayes` (2) b", "line 3: item 'bayes' of derive is also on line 2"),
    "items that do not sum": ("- `bayes` (1) a\n- `square` (1) b", "items of derive's rubric sum to 2 points, the question has 3"),
    "a header that disagrees": ("- `bayes` (3) a", "line 1: the rubric of derive says 4 points, the question has 3"),
    "no items": ("", "the rubric of derive has no items"),
    "an item worth nothing": ("- `bayes` (3) a\n- `free` (0) b", "line 3: item 'free' of derive is worth no points"),
    "text after the list": ("- `bayes` (3) a\n\nDeduct for notation.", "line 4: not a rubric item"),
}


@pytest.mark.parametrize("case", list(BAD_RUBRICS))
def test_a_malformed_rubric_is_refused_naming_its_cell_and_line(tmp_path, case):
    body, expected = BAD_RUBRICS[case]
    header = "**Rubric** (4 points)" if case == "a header that disagrees" else "**Rubric**"
    nbformat.write(_master(derive_rubric=f"{header}\n{body}"), tmp_path / "m.ipynb")
    with pytest.raises(RubricError) as err:
        parse_master(tmp_path / "m.ipynb", label="m.ipynb")
    assert "m.ipynb, cell 13" in str(err.value) and expected in str(err.value), str(err.value)


def test_a_missing_or_misplaced_rubric_is_refused(tmp_path):
    nbformat.write(_master(derive_rubric=None), tmp_path / "m.ipynb")
    with pytest.raises(RubricError, match=r"m.ipynb, cell 9: manual question derive has no rubric"):
        parse_master(tmp_path / "m.ipynb", label="m.ipynb")
    assert parse_master(tmp_path / "m.ipynb", require_rubric=False)[0].items == ()
    nb = _master()
    nb.cells.insert(13, nb.cells.pop(12))  # after # END SOLUTION: Otter would leave it in the students' notebook
    nbformat.write(nb, tmp_path / "m.ipynb")
    with pytest.raises(RubricError, match="outside # BEGIN SOLUTION .* students would see it"):
        parse_master(tmp_path / "m.ipynb")


@pytest.mark.parametrize("assignment", course_mod.assignment_ids())
def test_every_written_question_has_a_rubric_worth_its_points(assignment):
    """Each manual question of the master notebook has a rubric whose items sum to its points, and those equal
    the `# BEGIN QUESTION` points (checked by the parser) and `SUITE.manual`'s."""
    from autograder.checks import load_suite

    questions = written_questions(assignment)  # RubricError names the cell of a missing or bad rubric
    suite = load_suite(assignment)
    assert {q.name: q.points for q in questions} == {q.name: q.points for q in suite.questions.values() if q.manual}
    for q in questions:
        assert sum(i.points for i in q.items) == pytest.approx(q.points), q.name


# -- finding the answers ---------------------------------------------------------------------------------------


@pytest.fixture
def questions(tmp_path):
    nbformat.write(_master(), tmp_path / "m.ipynb")
    return parse_master(tmp_path / "m.ipynb")


def _found(answers):
    return {name: ("\n".join(p.source for p in a.parts) if a.found else None, a.note) for name, a in answers.items()}


def test_answers_are_found_where_otter_put_them_and_the_placeholder_is_no_answer(questions):
    got = _found(find_answers(_student("My derivation.", PLACEHOLDER), questions))
    assert got == {"derive": ("My derivation.", ""), "interpret": (None, "")}


def test_consecutive_questions_leave_each_other_unanswered(questions):
    """Two written questions in a row: Otter starts the second's prompt cell with the first's END marker, which is
    not an answer to the second (hw3's four short questions)."""
    nb = _student()
    del nb.cells[5:7]  # no section between the two questions ...
    nb.cells[5].source = f"<!-- END QUESTION -->\n\n<!-- BEGIN QUESTION -->\n\n{INTERPRET_PROMPT}"  # ... as Otter writes it
    assert _found(find_answers(nb, questions)) == {"derive": (None, ""), "interpret": (None, "")}


def _moved(nb):
    nb.cells.append(nb.cells.pop(4))  # the derive answer cell dragged to the end
    return nb


def _deleted_marker(nb):
    nb.cells[3].source = DERIVE_PROMPT  # the BEGIN marker deleted from the prompt cell
    return nb


def _swapped(nb):
    nb.cells[3:6], nb.cells[7:10] = nb.cells[7:10], nb.cells[3:6]  # the two questions' cells swapped
    return nb


def _added_cell(nb):
    nb.cells.insert(5, new_markdown_cell("And the variance, $\\tilde\\beta_t$."))  # a second cell of their own
    return nb


def _end_cell_deleted(nb):
    del nb.cells[5]  # the END cell of derive (and the section text it held)
    return nb


def _in_prompt_cell(nb):
    nb.cells[3].source += "\n\nMy answer in the question's cell."
    nb.cells[4].source = PLACEHOLDER
    return nb


def _answer_deleted(nb):
    del nb.cells[4]
    return nb


@pytest.mark.parametrize("edit, derive, note", [
    (_moved, "My derivation.", "found outside the question's cells (moved?)"),
    (_deleted_marker, "My derivation.", "found by the question's text (its marker was removed)"),
    (_swapped, "My derivation.", ""),
    (_added_cell, "My derivation.\nAnd the variance, $\\tilde\\beta_t$.", ""),
    (_end_cell_deleted, "My derivation.", ""),
    (_in_prompt_cell, "My answer in the question's cell.", "written into the question's own cell"),
    (_answer_deleted, None, ""),
])
def test_answers_are_found_after_students_moved_added_or_deleted_cells(tmp_path, questions, edit, derive, note):
    nbformat.write(_student(), tmp_path / "template.ipynb")
    nb = edit(_student("My derivation.", "Interpretation."))
    got = _found(find_answers(nb, questions, course_texts=course_texts(tmp_path / "template.ipynb")))
    assert got["derive"] == (derive, note)
    assert got["interpret"] == ("Interpretation.", "")


def test_the_example_submissions_answers_are_found():
    """The bundled reference answers every written question; the skeleton answers none."""
    for assignment in course_mod.assignment_ids():
        from autograder.written.answers import collect_answers

        a = course_mod.get(assignment)
        questions = written_questions(a, require_rubric=False)
        subs = {s.name: s for s in collect_answers(assignment=a, submissions=a.examples_dir, questions=questions)}
        assert all(ans.found and not ans.note for ans in subs["reference"].answers.values()), assignment
        if "reference_export" in subs:  # one assignment carries an export zip (tests/submissions/make_submissions.py)
            assert all(ans.found for ans in subs["reference_export"].answers.values()), assignment
        assert not any(ans.found for ans in subs["skeleton"].answers.values()), assignment
    assert any((course_mod.get(a).examples_dir / "reference_export.zip").exists() for a in course_mod.assignment_ids())


# -- rendering ---------------------------------------------------------------------------------------------------


class _Tags(html.parser.HTMLParser):
    """Every start tag and its attributes, as a browser's parser sees them."""

    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(markup: str) -> list:
    parser = _Tags()
    parser.feed(markup)
    return parser.tags


def test_math_becomes_mathml_and_latex_it_cannot_render_stays_escaped_source():
    out = markdown_html(DERIVE_ANSWER + "\n\nand $\\begin{aligned} a &= b \\\\ &= c \\end{aligned}$ and $\\left( x$ "
                        "and $\\foo{x}$ and $a < b$.")
    tags = [t for t, _ in _tags(out)]
    assert tags.count("math") == 4 and "mtable" in tags and "mfrac" in tags  # `aligned` really aligned
    assert '<math display="block">' in out and "$$" not in out
    assert '<code class="tex" title="this LaTeX could not be rendered">$\\left( x$</code>' in out  # cannot parse
    assert '<code class="tex" title="this LaTeX could not be rendered">$\\foo{x}$</code>' in out  # unknown command
    assert "<mo>&lt;</mo>" in out


def test_math_styles_become_unicode_letters_and_punctuation_stays_with_its_formula():
    """Chromium's MathML ignores mathvariant: \\mathcal N must arrive as the script letter itself."""
    out = markdown_html("A Gaussian $\\mathcal N(0, I)$: on $\\mathbb{R}^d$, with $\\mathbf{x}_0$.")
    assert "<mi>\U0001d4a9</mi>" in out and "<mi>\u211d</mi>" in out and "<mi>\U0001d431</mi>" in out  # 𝒩 ℝ 𝐱
    assert "mathvariant" not in out
    assert out.count('<span class="nobr">') == 3 and "</math></span>:</span>" in out


@pytest.mark.parametrize("attack", [
    "<script>document.title = 'pwned'</script>",
    "<img src=x onerror=\"document.title = 'pwned'\">",
    "$\\text{<script>document.title = 'pwned'</script>}$",
    "$\\text{<img src=x onerror=alert(1)>}$",
    "$$\\href{javascript:alert(1)}{x}$$",
    "[click](javascript:alert(1)) ![x](http://example.com/track.png)",
    "<svg onload=alert(1)></svg>",
])
def test_html_in_an_answer_is_shown_as_text_never_run(attack):
    out = markdown_html(f"My answer: {attack}")
    for tag, attrs in _tags(out):
        assert tag not in ("script", "img", "svg", "iframe", "object"), out
        assert not any(name.startswith("on") or "javascript:" in (value or "") for name, value in attrs.items()), out
        assert tag != "a" or attrs.get("href", "").startswith(("http", "#")), out


def test_images_show_only_when_they_are_the_cells_attachments():
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    out = markdown_html("![photo](attachment:p.png) ![web](https://example.com/x.png) ![bad](attachment:s.svg)",
                        {"p.png": {"image/png": png}, "s.svg": {"image/svg+xml": "PHN2Zz4="}})
    images = [attrs for tag, attrs in _tags(out) if tag == "img"]
    assert [i["src"] for i in images] == [f"data:image/png;base64,{png}"]
    assert "[image not shown: https://example.com/x.png]" in out and "[image not shown: attachment:s.svg]" in out


# -- `diffcourse written` ------------------------------------------------------------------------------------------


def _written(subs: Path, out: Path):
    done = CliRunner().invoke(main, ["written", ID, str(subs), "--out", str(out)])
    assert done.exit_code == 0, done.output
    return done


def _rows(path: Path) -> list:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_written_writes_a_page_per_question_an_index_and_the_score_sheet(course, tmp_path):
    subs = _submissions(tmp_path / "subs", ANSWERS)
    (subs / "broken.zip").write_bytes(b"not a zip")
    out = tmp_path / "written"
    done = _written(subs, out)
    assert sorted(p.name for p in out.iterdir()) == ["derive.html", "index.html", "interpret.html", "scores.csv"]
    assert "derive.html: 2 of 4 submissions answered" in done.output
    rows = _rows(out / "scores.csv")
    assert list(rows[0]) == list(COLUMNS)
    names = ["alice", "bob", "broken", "carol"]
    assert [(r["question"], r["submission"], r["item"], r["max_points"]) for r in rows] == \
        [("derive", n, i, m) for n in names for i, m in (("bayes", "1"), ("square", "1.5"), ("identity", "0.5"))] + \
        [("interpret", n, "modes", "2") for n in names]
    assert all(r["points"] == r["comment"] == "" for r in rows)

    page = (out / "derive.html").read_text()
    assert "position: sticky" in page and "Content-Security-Policy" in page and "default-src 'none'" in page
    for k, name in enumerate(names, start=1):
        assert f'id="s-{k}-{name}"' in page and f'<a href="#s-{k}-{name}">{name}</a>' in page
    assert "scores.csv lines 2&ndash;4" in page  # alice's three items
    assert page.count("(no answer found)") == 2  # carol's placeholder and the broken zip
    assert "the submission could not be read" in page
    assert "<details class=\"model\"><summary>Model answer</summary>" in page
    assert page.count("<code class=\"id\">") == 3
    assert 'href="interpret.html"' in page and 'href="index.html"' in page
    assert "<code class=\"tex\"" not in page.split("<main>")[0]  # the rubric's own math renders
    index = (out / "index.html").read_text()
    assert '<a href="derive.html">derive</a>' in index and "2 of 4" in index


def test_rerunning_written_never_overwrites_a_sheet_a_ta_started(course, tmp_path):
    subs = _submissions(tmp_path / "subs", {"alice": ANSWERS["alice"], "carol": ANSWERS["carol"]})
    out = tmp_path / "written"
    _written(subs, out)
    sheet = out / "scores.csv"
    assert _written(subs, out) and not (out / "scores.new.csv").exists()  # blank: rewritten in place
    rows = _rows(sheet)
    rows[0].update(points="1", comment="clear, with the Markov step")
    with sheet.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=[*COLUMNS, "ta"])
        writer.writeheader()
        writer.writerows([{**r, "ta": "dana" if i == 0 else ""} for i, r in enumerate(rows)])
    before = sheet.read_bytes()

    done = _written(subs, out)  # nothing new: the sheet is complete
    assert sheet.read_bytes() == before and not (out / "scores.new.csv").exists()
    assert "already complete" in done.output

    _submissions(subs, {"bob": ANSWERS["bob.zip"]})
    done = _written(subs, out)
    assert sheet.read_bytes() == before
    assert "has a TA's entries and was left as it was" in done.output and "4 new row(s)" in done.output
    merged = _rows(out / "scores.new.csv")
    assert list(merged[0]) == [*COLUMNS, "ta"]
    assert merged[0] == {**rows[0], "ta": "dana"}
    assert [(r["question"], r["submission"]) for r in merged][:9] == \
        [("derive", n) for n in ("alice", "bob", "carol") for _ in range(3)]
    assert "scores.new.csv lines 5&ndash;7" in (out / "derive.html").read_text()  # bob's rows, in the new sheet


def test_written_refuses_an_assignment_whose_rubric_is_missing(course, tmp_path):
    nbformat.write(_master(derive_rubric=None), course / "solutions" / ID / f"{ID}.ipynb")
    done = CliRunner().invoke(main, ["written", ID, str(_submissions(tmp_path / "s", ANSWERS)), "--out",
                                     str(tmp_path / "w")])
    assert done.exit_code == 1 and "cell 9: manual question derive has no rubric" in done.output
    assert "Traceback" not in done.output and not (tmp_path / "w").exists()


# -- `diffcourse grade --manual` -------------------------------------------------------------------------------


def _result(name: str, q1_points: float) -> Result:
    """What grading hw_x gives: the automatic q1 and the two written questions (no points yet)."""
    check = CheckResult("q1_check", "f returns its input", 2.0, False, q1_points, q1_points == 2.0, "checked")
    questions = [QuestionResult("q1", False, 2.0, checks=[check]),
                 QuestionResult("derive", True, 3.0, "Derive the posterior mean"),
                 QuestionResult("interpret", True, 2.0, "Interpret the plot")]
    return Result(ID, name, questions, finished=True)


@pytest.fixture
def graded(course, tmp_path, monkeypatch):
    """Submissions alice, bob (a zip) and carol, graded before: their results are in OUT/.cache, and grading
    again would fail the test. Returns (submissions folder, OUT)."""
    subs = _submissions(tmp_path / "subs", ANSWERS)
    out = tmp_path / "out"
    a = course_mod.get(ID)
    store = ResultCache(out / ".cache", a, batch.cache_settings(batch.Settings(a.config.limits.submission), sandbox.probe()))
    for path, name, q1 in ((subs / "alice.ipynb", "alice", 2.0), (subs / "bob.zip", "bob", 0.0),
                           (subs / "carol.ipynb", "carol", 2.0)):
        store.put(store.key(path, name), _result(name, q1))

    def regrade(self, job):
        raise AssertionError(f"{job.name} was graded again")

    monkeypatch.setattr(batch.Runner, "run", regrade)
    monkeypatch.setattr(batch, "mpl_font_cache", lambda: None)
    return subs, out


def _sheet(path: Path, edit=None, columns=COLUMNS) -> Path:
    """The blank sheet of alice, bob, carol (line 2: alice's `bayes` ... line 13: carol's `modes`), edited."""
    nbformat.write(_master(), path.parent / "master.ipynb")
    rows = blank_rows(parse_master(path.parent / "master.ipynb"), ["alice", "bob", "carol"])
    if edit:
        edit(rows)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _fill(rows):
    """alice: everything graded; bob: derive graded (1 of 3), interpret not yet; carol: nothing yet."""
    for line, points, comment in ((2, "1", ""), (3, "1", "the cross term is\nmissing, see Eq. (7)"), (4, "0.5", ""),
                                  (11, "2", "all eight"), (5, "1", ""), (6, "0", "no square completed"),
                                  (7, "0", "")):
        rows[line - 2].update(points=points, comment=comment)


def _grade(subs, out, *extra):
    return CliRunner().invoke(main, ["grade", ID, str(subs), "--out", str(out), *extra])


def test_grade_merges_the_written_points_into_grades_results_and_feedback(graded, tmp_path):
    subs, out = graded
    done = _grade(subs, out, "--manual", str(_sheet(tmp_path / "scores.csv", _fill)))
    assert done.exit_code == 0, done.output
    assert "written points from" in done.output and "3 of 6 answers graded" in done.output
    table = [line.split() for line in done.stdout.splitlines()]
    header = table.index(["submission", "q1", "derive", "interpret", "total", "status"])
    assert table[header + 2] == ["bob", "0", "1", "-", "1/5", "ok"]  # `-`: not graded yet
    rows = {r["submission"]: r for r in _rows(out / "grades.csv")}
    assert list(rows["alice"]) == ["submission", "q1", "derive", "interpret", "total", "possible", "status",
                                   "flagged_because"]
    assert [rows["alice"][k] for k in ("q1", "derive", "interpret", "total", "possible")] == ["2", "2.5", "2", "6.5", "7"]
    assert [rows["bob"][k] for k in ("q1", "derive", "interpret", "total", "possible")] == ["0", "1", "", "1", "5"]
    assert [rows["carol"][k] for k in ("q1", "derive", "interpret", "total", "possible")] == ["2", "", "", "2", "2"]

    alice = json.loads((out / "results" / "alice.json").read_text())
    [derive] = [t for t in alice["tests"] if t["name"].startswith("derive")]
    assert (derive["score"], derive["max_score"], derive["visibility"]) == (2.5, 3.0, "visible")
    assert "1 / 1.5  square: Completes the square" in derive["output"]
    assert "TA: the cross term is\n      missing, see Eq. (7)" in derive["output"]
    assert alice["score"] == 6.5
    carol = json.loads((out / "results" / "carol.json").read_text())
    assert [t["name"] for t in carol["tests"]] == ["q1: f returns its input"] and carol["score"] == 2

    bob = (out / "feedback" / "bob.txt").read_text()
    assert "Automatically graded: 0 / 2 points" in bob and "Written, graded by hand: 1 / 3 points" in bob
    assert "[derive] 1 / 3  written answer, graded by hand" in bob and "TA: no square completed" in bob
    assert "[interpret] written answer, 2 points: pending" in bob
    assert "Written, pending (graded by hand later): 2 points (interpret)" in bob


def test_without_a_sheet_grades_stay_automatic_and_feedback_says_written_points_are_pending(graded):
    subs, out = graded
    done = _grade(subs, out)
    assert done.exit_code == 0, done.output
    rows = _rows(out / "grades.csv")
    assert list(rows[0]) == ["submission", "q1", "total", "possible", "status", "flagged_because"]
    assert [r["total"] for r in rows] == ["2", "0", "2"] and {r["possible"] for r in rows} == {"2"}
    alice = (out / "feedback" / "alice.txt").read_text()
    assert "Written, pending (graded by hand later): 5 points (derive, interpret)" in alice
    assert "[derive] written answer, 3 points: pending" in alice
    assert all(not t["name"].startswith(("derive", "interpret"))
               for t in json.loads((out / "results" / "alice.json").read_text())["tests"])


def _set(line, **cells):
    return lambda rows: rows[line - 2].update(cells)


BAD_SHEETS = {
    "unknown submission": (_set(2, submission="alise", points="1"), "scores.csv:2: unknown submission 'alise' (did you mean 'alice'?)"),
    "unknown question": (_set(11, question="interpet"), "scores.csv:11: unknown question 'interpet' (did you mean 'interpret'?)"),
    "unknown item": (_set(3, item="sqare"), "scores.csv:3: unknown rubric item 'sqare' of derive (its items: bayes, square, identity)"),
    "not a number": (_set(2, points="one"), "scores.csv:2: item 'bayes' of derive: points 'one' is not a number"),
    "negative": (_set(11, points="-1"), "scores.csv:11: item 'modes' of interpret: -1 is negative"),
    "above its maximum": (_set(2, points="1.5"), "scores.csv:2: item 'bayes' of derive: 1.5 is above its maximum 1"),
    "not finite": (_set(11, points="nan"), "scores.csv:11: item 'modes' of interpret: points 'nan' is not a number"),
    "a duplicate row": (lambda rows: rows.append(dict(rows[0])), "scores.csv:14: alice/derive/bayes is also on line 2"),
    "graded in part": (_set(2, points="1"), "scores.csv:3: item 'square' of derive for alice has no points while other items"),
    "a stale max_points": (_set(4, max_points="1"), "scores.csv:4: item 'identity' of derive: max_points 1 is not the rubric's 0.5"),
}


def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("case", list(BAD_SHEETS))
def test_a_bad_sheet_is_refused_naming_its_line_and_nothing_is_written(graded, tmp_path, case):
    subs, out = graded
    assert _grade(subs, out).exit_code == 0  # a previous run's reports
    before = _snapshot(out)
    edit, message = BAD_SHEETS[case]
    done = _grade(subs, out, "--manual", str(_sheet(tmp_path / "scores.csv", edit)))
    assert done.exit_code == 1 and message in done.output, done.output
    assert "nothing was written" in done.output and "Traceback" not in done.output
    assert _snapshot(out) == before
    fresh = tmp_path / "fresh_out"
    assert _grade(subs, fresh, "--manual", str(tmp_path / "scores.csv")).exit_code == 1 and not fresh.exists()


def test_a_sheet_without_the_points_column_is_refused(graded, tmp_path):
    subs, out = graded
    done = _grade(subs, out, "--manual", str(_sheet(tmp_path / "scores.csv", columns=COLUMNS[:4])))
    assert done.exit_code == 1 and "scores.csv:1: the header lacks points, comment" in done.output
    assert not out.joinpath("grades.csv").exists()


def test_every_problem_of_a_sheet_is_listed_at_once(tmp_path):
    nbformat.write(_master(), tmp_path / "master.ipynb")
    questions = parse_master(tmp_path / "master.ipynb")

    def edit(rows):
        _set(2, points="x")(rows)
        _set(12, points="3")(rows)

    with pytest.raises(ScoreSheetError) as err:
        read_scores(_sheet(tmp_path / "s.csv", edit), questions=questions, submissions=["alice", "bob", "carol"])
    assert str(err.value).startswith("2 problem(s) in the score sheet") and "s.csv:2:" in str(err.value) \
        and "s.csv:12: item 'modes' of interpret: 3 is above its maximum 2" in str(err.value)


def test_old_result_json_is_still_read():
    """Results cached before written work existed (no `items`, no `graded`) and from a newer version (a field
    this one does not know) are read, not dropped."""
    data = _result("alice", 2.0).to_json()
    for q in data["questions"]:
        del q["items"], q["graded"]
    data["questions"][0]["someday"] = 1
    data["someday"] = {"x": 1}
    again = Result.from_json(json.loads(json.dumps(data)))
    assert again.total == 2 and [q.graded for q in again.questions] == [False] * 3


# -- in a real browser ------------------------------------------------------------------------------------------

def test_a_grading_page_renders_its_math_in_chromium(course, tmp_path):
    """Two answers with inline and display math: Chromium's DOM holds MathML and no `$$`, nothing ran (the
    title an injected script would change is intact), and the screenshot is a real picture."""
    subs = _submissions(tmp_path / "subs", {
        "alice": (DERIVE_ANSWER, "x"),
        "bob": ("Inline $\\bar\\alpha_t = \\prod_{s \\le t} \\alpha_s$ and display\n\n$$\\tilde\\beta_t = "
                "\\frac{1-\\bar\\alpha_{t-1}}{1-\\bar\\alpha_t}\\,\\beta_t$$\n\n"
                "<script>document.title = 'pwned'</script><img src=x onerror=\"document.title='pwned'\">", "y")})
    out = tmp_path / "written"
    _written(subs, out)
    page = (out / "derive.html").as_uri()
    dom = chromium("--virtual-time-budget=2000", "--dump-dom", page, profile=tmp_path / "profile")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<math") >= 4 and "$$" not in dom.stdout, dom.stdout[:2000]
    assert "<title>hw_x · derive (3 points)</title>" in dom.stdout and "pwned" not in dom.stdout.split("<body")[0]
    shot = tmp_path / "derive.png"
    done = chromium(f"--screenshot={shot}", page, profile=tmp_path / "profile")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    assert png_colours(shot, (1200, 900)) > 50  # text, math, cards: not a blank page
