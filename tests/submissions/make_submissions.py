"""Write the example submissions that the grader's end-to-end tests and `make demo` grade.

    .venv/bin/python tests/submissions/make_submissions.py [ID ...]          # (re)write tests/submissions/<id>/
    .venv/bin/python tests/submissions/make_submissions.py --check [ID ...]  # exit 1 if the committed files are stale

Every assignment with a `tests/submissions/<id>/examples.py` (see kit.py) gets, from its **student** notebook
(`assignments/<id>/<id>.ipynb`, solutions replaced by `...`):
- `reference.ipynb`: every function from the examples' REFERENCE, and the written answers;
- `skeleton.ipynb`: the untouched student notebook;
- `wrong_<name>.ipynb`: the reference with one catalogued mistake (those marked `submit=True`);
- `hostile_*.ipynb`: submissions that try to cheat. Every assignment gets the attacks on its own code
  (delegating to course_core, monkeypatching its reference); the attacks on the process boundary and the
  sandbox (`os._exit`, loops, signals, daemons, bombs, ...) do the same whatever the assignment and are graded
  once, in tests/hostile.py's suite;
- `reference_export.zip` (the assignment whose `HOSTILE.export` is set): the reference as `<id>.ipynb` in a zip,
  as `grader.export()` would ship it (without the experiment cells, which reference.ipynb runs already);
- `expected.json`: per submission, `{"lose": [questions that must score below full], "zero": bool,
  "status": [the status tags it must get, exactly]}`; every automatically graded question not listed must
  get full marks.

Each notebook costs only what it tests. The reference and the skeleton are the whole notebook; the export
zip and the `wrong_` and `hostile_` ones carry the functions, the written answers and their own cells but not the
experiment cells (training, sampling, plots), which only the reference needs to show they run. The looping
hostile loops in a graded function on the hidden checks' batch of one (one call limit), not in a cell; a cell
that loops or ignores the interrupt is tested on a small notebook with a short cell limit (tests/test_batch.py).

A graded function's cell is found as the code cell that defines it at top level and is replaced whole (a
cell that defines two functions is rebuilt from the code of both). Extra cells go after a question's
`grader.check` cell. The output is deterministic: cell ids come from content, zip entries carry a fixed
timestamp.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import click
import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from kit import FIND_COURSE_CORE, assignments_with_examples, load, monkeypatch_cells  # noqa: E402

_FIXED_TIME = (2020, 1, 1, 0, 0, 0)


@dataclass
class Submission:
    """How to turn the student notebook into one submission, and what it must score."""

    stem: str
    functions: dict = field(default_factory=dict)  # function name -> code that replaces its definition
    written: dict | None = None  # manual question -> the written answer (Markdown)
    inserts: list = field(default_factory=list)  # (after this function's question, code of a new cell)
    lose: list = field(default_factory=list)  # questions that must score below full
    zero: bool = False  # every automatically graded question must score 0
    status: list = field(default_factory=list)  # the status tags (result.Flag values) it must get, exactly
    experiments: bool = False  # keep the notebook's experiment cells (training, sampling, plots)


def submissions(assignment: str) -> list[Submission]:
    """Every submission of one assignment, with what it must score."""
    from autograder.checks import load_suite

    examples = load(assignment)
    questions = {q.name: q.functions for q in load_suite(assignment).auto_questions()}
    question_of = {fn: q for q, fns in questions.items() for fn in fns}
    everything = list(questions)
    ref, written, h = examples.functions(), examples.written, examples.hostile

    # Its code mentions the grader's internals (flagged for a TA); its cells raise where the functions do.
    suspicious, raising = ["flagged"], ["cell-errors"]
    subs = [Submission("reference", functions=ref, written=written, experiments=True),
            Submission("skeleton", lose=everything, zero=True, status=raising, experiments=True)]
    for m in examples.mistakes:
        if m.submit:
            subs.append(Submission(f"wrong_{m.name}", functions=examples.mistake(m), written=written, lose=[m.question]))
    subs += [
        Submission("hostile_import_reference", functions={**ref, **h.import_reference}, written=written,
                   inserts=[(h.find_after, FIND_COURSE_CORE)], lose=h.delegating, status=raising + suspicious),
        Submission("hostile_monkeypatch", inserts=[(h.middle, cell) for cell in monkeypatch_cells(assignment)],
                   lose=everything, zero=True, status=suspicious),
    ]
    return subs


# =====================================================================================================
# Building notebooks
# =====================================================================================================
def student_notebook(assignment: str) -> nbformat.NotebookNode:
    """The built student notebook (run `diffcourse build` first)."""
    from autograder import course

    built = course.get(assignment).student_dir / f"{assignment}.ipynb"
    if not built.exists():
        raise SystemExit(f"{built} does not exist: run `.venv/bin/diffcourse build {assignment}` first")
    return nbformat.read(built, as_version=4)


def defined_functions(cell) -> list[str]:
    """Names of the functions a code cell defines at top level (empty if it does not parse)."""
    if cell.cell_type != "code":
        return []
    try:
        tree = ast.parse(cell.source)
    except SyntaxError:
        return []
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]


def _plain(node) -> bool:
    """An import, a docstring, a call of Otter's `grader`, or Otter's set-up."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(node, ast.Expr):
        return isinstance(node.value, ast.Constant) or ast.unparse(node.value).startswith("grader.")
    return isinstance(node, ast.Assign) and "otter.Notebook" in ast.unparse(node.value)


def experiment_cell(cell, graded: set) -> bool:
    """A code cell that runs an experiment: it defines no graded function and does more than import or drive
    Otter."""
    if cell.cell_type != "code":
        return False
    try:
        tree = ast.parse(cell.source)
    except SyntaxError:
        return False
    if any(isinstance(n, ast.FunctionDef) and n.name in graded for n in tree.body):
        return False
    return not all(_plain(n) for n in tree.body)


def _question_end(cells, function: str) -> int:
    """Index just after the cell that defines `function` and its `grader.check` cell."""
    [i] = [i for i, c in enumerate(cells) if function in defined_functions(c)]
    i += 1
    if i < len(cells) and cells[i].cell_type == "code" and cells[i].source.strip().startswith("grader.check("):
        i += 1
    return i


def normalize(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """No outputs, cell ids derived from content (as `diffcourse build` does)."""
    for i, cell in enumerate(nb.cells):
        cell.id = hashlib.sha1(f"{i}:{cell.cell_type}:{cell.source}".encode()).hexdigest()[:8]
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
    return nb


def _answer_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "markdown" and "otter_answer_cell" in c.metadata.get("tags", [])]


def make_notebook(student: nbformat.NotebookNode, sub: Submission, assignment: str) -> nbformat.NotebookNode:
    from autograder.checks import load_suite

    nb = nbformat.from_dict(json.loads(json.dumps(student)))  # deep copy
    if not sub.experiments:
        graded = {f for q in load_suite(assignment).auto_questions() for f in q.functions}
        nb.cells = [c for c in nb.cells if not experiment_cell(c, graded)]
    for cell in nb.cells:
        names = defined_functions(cell)
        if any(n in sub.functions for n in names):
            unknown = [n for n in names if n not in sub.functions]
            if unknown:
                raise SystemExit(f"{assignment}/{sub.stem}: no code for {unknown} (cell also defines {names})")
            cell.source = "\n\n\n".join(sub.functions[n].strip("\n") for n in names)
    if sub.written is not None:
        answers = _answer_cells(nb)
        if len(answers) != len(sub.written):
            raise SystemExit(f"{assignment}: {len(sub.written)} written answers for {len(answers)} answer cells")
        for cell, text in zip(answers, sub.written.values()):
            cell.source = text.strip("\n")
    # Insert from the bottom up so that earlier anchors keep their positions.
    positions = [(_question_end(nb.cells, fn), k, code) for k, (fn, code) in enumerate(sub.inserts)]
    for at, _, code in sorted(positions, key=lambda p: (-p[0], -p[1])):
        nb.cells.insert(at, nbformat.v4.new_code_cell(code.strip("\n")))
    return normalize(nb)


def _zip_bytes(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, data)
    return buf.getvalue()


def generate(assignment: str) -> dict[str, bytes]:
    """File name -> content of everything this script writes for one assignment."""
    student = student_notebook(assignment)
    files, expected = {}, {}
    for sub in submissions(assignment):
        files[f"{sub.stem}.ipynb"] = nbformat.writes(make_notebook(student, sub, assignment)).encode()
        expected[sub.stem] = {"lose": sub.lose, "zero": sub.zero, "status": sub.status}
    examples = load(assignment)
    if examples.hostile and examples.hostile.export:  # reading an export zip is the same for every assignment:
        # one assignment's examples carry it (each example costs a full grading)
        export = Submission("reference_export", functions=examples.functions(), written=examples.written)
        files["reference_export.zip"] = _zip_bytes(f"{assignment}.ipynb",  # the export path, without the experiments
                                                   nbformat.writes(make_notebook(student, export, assignment)).encode())
        expected["reference_export"] = {"lose": [], "zero": False, "status": []}
    files["expected.json"] = (json.dumps(expected, indent=2, sort_keys=True) + "\n").encode()
    return files


def stale_files(assignment: str) -> list[str]:
    """Generated files that differ from what is on disk (and files on disk that are no longer generated)."""
    folder = HERE / assignment
    files = generate(assignment)
    kept = {"examples.py"}
    on_disk = {p.name for p in folder.iterdir() if p.is_file()} - kept
    stale = [f"{assignment}/{n}" for n, data in files.items() if not (folder / n).exists() or (folder / n).read_bytes() != data]
    return stale + [f"{assignment}/{n} (not generated)" for n in sorted(on_disk - set(files))]


@click.command(help=__doc__.split("\n\n")[0])
@click.argument("assignments", nargs=-1)
@click.option("--check", is_flag=True, help="Exit 1 if the committed files differ from what would be written.")
def main(assignments, check) -> None:
    known = assignments_with_examples()
    stale = []
    for assignment in assignments or known:
        if assignment not in known:
            raise click.BadParameter(f"no tests/submissions/{assignment}/examples.py; known: {', '.join(known)}")
        if check:
            stale += stale_files(assignment)
            continue
        folder = HERE / assignment
        files = generate(assignment)
        for name in sorted({p.name for p in folder.iterdir() if p.is_file()} - set(files) - {"examples.py"}):
            (folder / name).unlink()
        for name, data in files.items():
            (folder / name).write_bytes(data)
        click.echo(f"wrote {len(files)} files to {folder.relative_to(HERE.parents[1])}")
    if stale:
        click.echo("stale example submissions (run .venv/bin/python tests/submissions/make_submissions.py):")
        click.echo("\n".join(f"  {s}" for s in stale))
        sys.exit(1)


if __name__ == "__main__":
    main()
