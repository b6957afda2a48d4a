"""The public tests of the student notebook, written from the hidden checks' public cases.

`otter assign` reads a question's tests from the `# BEGIN TESTS` ... `# END TESTS` cells of the master notebook.
Before it runs, the build replaces those cells, in the staged copy of the master, by the test that
`autograder.checks.public.render_test` writes from the question's `Suite.public` cases: one list of cases
for the student's `grader.check` and the grader's public check. A question without public cases keeps the
master's own test cells (and tests/test_misconceptions.py requires every graded question to have cases).
The test also carries the cases of the graded functions the master solution's code calls (`calls`), which
run only when a case fails, to tell the student a mistake may lie in a function called from there.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat

from ..checks import load_suite
from ..checks.public import render_test


def _raw(source: str):
    return nbformat.v4.new_raw_cell(source)


def _question_name(cell) -> str | None:
    if cell.cell_type != "raw" or not cell.source.lstrip().startswith("# BEGIN QUESTION"):
        return None
    for line in cell.source.splitlines():
        if line.strip().startswith("name:"):
            return line.split(":", 1)[1].strip()
    return None


def _marker(cell, text: str) -> bool:
    return cell.cell_type == "raw" and cell.source.strip() == text


def calls(nb, graded: set) -> dict:
    """Per graded function, the graded functions its master solution may call, directly or through others."""
    direct: dict = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in graded:
                used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                direct[node.name] = (used & graded) - {node.name}
    out = {}
    for name in direct:
        seen, todo = set(), list(direct[name])
        while todo:
            other = todo.pop()
            if other not in seen:
                seen.add(other)
                todo += direct.get(other, ())
        out[name] = seen - {name}
    return out


def inject(notebook: Path, assignment: str) -> list[str]:
    """Rewrite `notebook` (a staged master) with generated public tests; returns the questions rewritten."""
    suite = load_suite(assignment)
    nb = nbformat.read(notebook, as_version=4)
    cases_of = {}  # function -> its public (case, answer) pairs
    for pairs in suite.public_cases.values():
        for case, ans in pairs:
            cases_of.setdefault(case.function, []).append((case, ans))
    called = calls(nb, set(cases_of))
    done = []
    i = 0
    while i < len(nb.cells):
        name = _question_name(nb.cells[i])
        if name is None or name not in suite.public_cases:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(nb.cells)) if _marker(nb.cells[j], "# END QUESTION"))
        kept = [c for c in nb.cells[i + 1:end] if not _in_tests(nb.cells, c, i, end)]
        pairs = suite.public_cases[name]
        own = suite.questions[name].functions
        helpers = sorted(set().union(*(called.get(f, set()) for f in own)) - set(own))
        code = render_test(name, own, [c for c, _ in pairs], [a for _, a in pairs], suite.catalog,
                           depends=[pair for h in helpers for pair in cases_of[h]])
        block = [_raw("# BEGIN TESTS"), nbformat.v4.new_code_cell(code), _raw("# END TESTS")]
        nb.cells[i + 1:end] = kept + block
        done.append(name)
        i += 1 + len(kept) + len(block) + 1
    nbformat.write(nb, notebook)
    return done


def _in_tests(cells, cell, start: int, end: int) -> bool:
    """Whether `cell` (between `start` and `end`) lies inside a `# BEGIN TESTS` ... `# END TESTS` block."""
    inside = False
    for c in cells[start + 1:end]:
        if _marker(c, "# BEGIN TESTS"):
            inside = True
        if c is cell:
            return inside or _marker(c, "# END TESTS")
        if _marker(c, "# END TESTS"):
            inside = False
    return False
