"""What the student folder needs besides Otter's notebook, so that it works as handed out: on the student's
own computer, in a fresh Python, and on Google Colab. Written for every assignment from `templates/`:

- a setup cell, placed before Otter's init cell (`import otter` fails on a Python without Otter): it installs
  the pinned otter-grader where Otter is missing and, on Colab, finds the assignment's files (its folder in
  /content or a mounted Drive, or `<id>-student.zip`) and moves there. Where Otter imports and the files
  are next to the notebook (the student's computer, the grader's kernel) it does nothing;
- `tests/<question>.py`: the public tests Otter embedded in the notebook's metadata, as files, because
  Otter on Colab reads tests only from files (the same text `otter assign` writes with `tests: files: true`);
- `README.md` (open, check, submit) and `requirements.txt` (what the notebook needs, pins from pyproject.toml);
- `dist/<id>-student.zip`: the folder as one file, to hand out and to upload to Colab.
"""

from __future__ import annotations

import importlib.metadata
import io
import pprint
import re
import zipfile
from pathlib import Path

import nbformat

from .otter import BuildError
from .package import zip_add

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

TEMPLATES = Path(__file__).resolve().parent / "templates"
# What the notebooks import (the support modules import only numpy, torch, matplotlib and scikit-learn), their
# checks and their kernel; specs
# are taken from pyproject.toml's dependencies, then its `student` extra (a notebook UI) is added.
NOTEBOOK_PACKAGES = ("torch", "numpy", "matplotlib", "scikit-learn", "pot", "otter-grader", "ipykernel")


def render(template: str, **values) -> str:
    """`template` with every `{{name}}` replaced by `values[name]` (a KeyError names a missing value)."""
    return re.sub(r"\{\{(\w+)\}\}", lambda m: str(values[m.group(1)]), template)


def template(name: str) -> str:
    return (TEMPLATES / name).read_text()


def requirements(course: Path) -> list[str]:
    """The student's requirement lines: pyproject.toml's specs of NOTEBOOK_PACKAGES, then its `student` extra."""
    project = tomllib.loads((course / "pyproject.toml").read_text())["project"]
    specs = {re.match(r"[A-Za-z0-9_.\-]+", d).group(0).lower(): d for d in project["dependencies"]}
    missing = [n for n in NOTEBOOK_PACKAGES if n not in specs]
    if missing:
        raise BuildError(f"pyproject.toml's dependencies name no {missing}: the student's requirements.txt needs them")
    return [specs[n] for n in NOTEBOOK_PACKAGES] + list(project.get("optional-dependencies", {}).get("student", []))


# Packages a notebook imports that a notebook platform may lack (Colab has torch, numpy, matplotlib and
# scikit-learn, not Otter or POT): the setup cell installs those missing, by import name. Never torch: a bare
# `pip install torch` resolves a multi-GB CUDA build.
COLAB_NEEDS = {"otter": "otter-grader", "ot": "pot", "sklearn": "scikit-learn"}


def colab_needs(course: Path) -> dict[str, str]:
    """`{import name: requirement}` for the setup cell, the requirements as pyproject.toml pins them."""
    pins = {re.match(r"[A-Za-z0-9_.\-]+", r).group(0).lower(): r for r in requirements(course)}
    return {module: pins[dist] for module, dist in COLAB_NEEDS.items()}


def otter_version(course: Path) -> str:
    """The otter-grader version pinned in pyproject.toml, which must be the one building the notebook."""
    [pin] = [r for r in requirements(course) if r.startswith("otter-grader")]
    match = re.fullmatch(r"otter-grader==([\w.]+)", pin)
    installed = importlib.metadata.version("otter-grader")
    if not match or match.group(1) != installed:
        raise BuildError(f"pyproject.toml pins {pin!r} but otter-grader {installed} is installed: the students' "
                         "Otter must be the one that builds their notebook (pin it exactly, reinstall)")
    return installed


def title(master: Path) -> str:
    """The master notebook's first Markdown heading (`# Homework 2: ...`)."""
    for cell in nbformat.read(master, as_version=4).cells:
        match = re.search(r"^#\s+(.+?)\s*$", cell.source, re.M) if cell.cell_type == "markdown" else None
        if match:
            return match.group(1)
    raise BuildError(f"{master}: no Markdown heading (`# Title`) to name the assignment by")


def digest_inputs(assignment) -> list[str]:
    """What the generated files depend on beyond the master and the config: the templates and the pins."""
    return [template(p.name) for p in sorted(TEMPLATES.iterdir()) if p.is_file()] + requirements(assignment.course)


def write_public_tests(notebook: Path, folder: Path) -> list[str]:
    """`folder/tests/<question>.py` from the notebook's embedded tests; returns the questions."""
    tests = nbformat.read(notebook, as_version=4).metadata.get("otter", {}).get("tests", {})
    for name, test in sorted(tests.items()):
        if not isinstance(test, str):  # an OK-format test is a dict; written as otter assign writes it
            test = f"OK_FORMAT = True\n\ntest = {pprint.pformat(test, indent=4, width=200)}\n"
        (folder / "tests").mkdir(exist_ok=True)
        (folder / "tests" / f"{name}.py").write_text(test)
    return sorted(tests)


def add_setup_cell(notebook: Path, source: str) -> None:
    """Insert the setup cell just before Otter's init cell (or first, without one)."""
    nb = nbformat.read(notebook, as_version=4)
    init = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "otter.Notebook(" in c.source), 0)
    nb.cells.insert(init, nbformat.v4.new_code_cell(source, metadata={"deletable": False, "editable": False}))
    nbformat.write(nb, notebook)


def finish_student_folder(assignment, folder: Path) -> None:
    """Add to Otter's student output in `folder`: tests/, the setup cell, README.md and requirements.txt."""
    notebook = folder / f"{assignment.id}.ipynb"
    support = list(assignment.config.support_files)
    has_tests = bool(write_public_tests(notebook, folder))
    files = (notebook.name, *support, *(["tests"] if has_tests else []))
    values = dict(assignment=assignment.id, title=title(assignment.master),
                  otter_version=otter_version(assignment.course))
    quoted = ", ".join(f'"{name}"' for name in files)
    needs = ", ".join(f'"{module}": "{spec}"' for module, spec in colab_needs(assignment.course).items())
    add_setup_cell(notebook, render(template("setup_cell.py"), files=f"[{quoted}]", needs=f"{{{needs}}}",
                                    **values).strip())
    limits = assignment.config.limits
    (folder / "README.md").write_text(render(
        template("README.md"), support=" and ".join(f"`{name}`" for name in support) or "no support module",
        cell_seconds=f"{limits.cell:g}", submission_seconds=f"{limits.submission:g}", **values))
    (folder / "requirements.txt").write_text(render(
        template("requirements.txt"), requirements="\n".join(requirements(assignment.course)), **values))


def student_zip(assignment_id: str, folder: Path) -> bytes:
    """The student folder as `<id>/...` entries, deterministic (what the setup cell unzips on Colab)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            zip_add(zf, f"{assignment_id}/{path.relative_to(folder).as_posix()}", path.read_bytes())
    return buf.getvalue()
