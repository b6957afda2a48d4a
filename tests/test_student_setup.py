"""The student folder works as handed out (autograder/build/student.py):

- in a fresh Python with only its requirements.txt installed, the notebook runs top to bottom, every public
  `grader.check` passes and `grader.export` writes the submission zip;
- its setup cell (before Otter's init cell) finds the assignment's files on Colab (the folder in /content or a
  mounted Drive, or the uploaded `<id>-student.zip`), says what to upload when there is nothing, and does
  nothing elsewhere: not on the student's computer, not in the grader's kernel;
- every assignment has its README.md and requirements.txt, naming its own id and the pinned Otter.
"""

import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import course
from autograder.build import student as student_build
from autograder.grading.engine import _is_otter_cell, integrity_notes

import student_venv as student_venv_module

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = course.assignment_ids()
FRESH = student_venv_module.FRESH


def _notebook(assignment):
    return nbformat.read(course.get(assignment).student_dir / f"{assignment}.ipynb", as_version=4)


def _setup_cell(assignment) -> str:
    """The source of the cell just before Otter's init cell."""
    cells = _notebook(assignment).cells
    [init] = [i for i, c in enumerate(cells) if c.cell_type == "code" and "otter.Notebook(" in c.source]
    assert init >= 1, "the setup cell must come before Otter's init cell"
    return cells[init - 1].source


def _pin(name: str) -> str:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    [spec] = [d for d in deps if re.match(rf"{re.escape(name)}\b", d)]
    return spec


# -- (c) the generated README.md and requirements.txt ----------------------------------------------------------
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_student_folder_has_its_readme_and_requirements(assignment):
    folder = course.get(assignment).student_dir
    readme, reqs = (folder / "README.md").read_text(), (folder / "requirements.txt").read_text()
    title = student_build.title(course.get(assignment).master)
    assert readme.startswith(f"# {title}\n")
    for needed in (f"{assignment}.ipynb", f"{assignment}-student.zip", f"jupyter lab {assignment}.ipynb",
                   "grader.check(", "grader.export(pdf=False)", f"{assignment}_<timestamp>.zip", "Restart",
                   "download.pytorch.org/whl/cpu", "Colab", "Download .ipynb"):
        assert needed in readme, needed
    lines = [line.split("#")[0].strip() for line in reqs.splitlines()]
    lines = [line for line in lines if line]
    assert f"otter-grader=={student_build.otter_version(ROOT)}" in lines and _pin("otter-grader") in lines
    [torch] = [line for line in lines if line.startswith("torch")]
    assert "==" not in torch and torch == _pin("torch"), "torch is a range; the CPU wheel is installed first"
    assert {"numpy", "matplotlib", "ipykernel", "jupyterlab"} <= {re.match(r"[\w\-]+", x).group(0) for x in lines}
    assert "download.pytorch.org/whl/cpu" in reqs and assignment in reqs
    assert (folder / "tests").is_dir() and sorted(p.stem for p in (folder / "tests").glob("*.py")) == \
        sorted(_notebook(assignment).metadata["otter"]["tests"])


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_setup_cell_is_harmless_to_the_grader(assignment):
    """It is run by the grader (not an Otter-only cell) and must not flag the submission."""
    source = _setup_cell(assignment)
    assert f'setup_assignment("{assignment}"' in source
    assert not _is_otter_cell(source)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    assert integrity_notes(nb) == []


def test_a_template_change_rebuilds(tmp_path, monkeypatch):
    """The build's input digest holds the templates, so editing one rebuilds every assignment."""
    a = course.get(FRESH)
    before = student_build.digest_inputs(a)
    shutil.copytree(student_build.TEMPLATES, tmp_path / "templates")
    (tmp_path / "templates" / "README.md").write_text("# {{title}}\n\nchanged\n")
    monkeypatch.setattr(student_build, "TEMPLATES", tmp_path / "templates")
    assert student_build.digest_inputs(a) != before


def test_the_student_zip_holds_the_folder():
    folder = course.get(FRESH).student_dir
    data = student_build.student_zip(FRESH, folder)
    assert data == student_build.student_zip(FRESH, folder)  # deterministic
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
    assert {f"{FRESH}/{FRESH}.ipynb", f"{FRESH}/toy.py", f"{FRESH}/README.md", f"{FRESH}/requirements.txt"} <= names
    assert any(n.startswith(f"{FRESH}/tests/") for n in names)


# -- (b) the setup cell, on a fake Colab and elsewhere -------------------------------------------------------
_DRIVER = """
import json, os, sys, time, types
if {colab!r}:  # what Colab has loaded
    google = types.ModuleType("google")
    google.colab = types.ModuleType("google.colab")
    sys.modules.update({{"google": google, "google.colab": google.colab}})
if {missing!r}:  # a Python without these modules (e.g. Otter): record the pip call instead of running it
    import importlib.util, subprocess
    real = importlib.util.find_spec
    importlib.util.find_spec = lambda name, *a: None if name in {missing!r} else real(name, *a)
    subprocess.run = lambda cmd, **kw: print("PIP", json.dumps(cmd[1:])) or types.SimpleNamespace(returncode=0)
start = time.perf_counter()
try:
    exec(compile(open({cell!r}).read(), "setup_cell", "exec"), {{"__name__": "__main__"}})
    error = None
except Exception as err:
    error = f"{{type(err).__name__}}: {{err}}"
print("RESULT", json.dumps({{"cwd": os.getcwd(), "path0": sys.path[0], "error": error,
                              "seconds": time.perf_counter() - start}}))
"""


def _run_setup(tmp_path, cwd: Path, root: Path, *, colab: bool, missing: tuple = (), isolated: bool = False):
    """Execute the setup cell of FRESH in a new Python in `cwd`; returns (result, other printed lines)."""
    cell = tmp_path / "setup_cell.py"
    cell.write_text(_setup_cell(FRESH))
    driver = tmp_path / "driver.py"
    driver.write_text(_DRIVER.format(colab=colab, missing=missing, cell=str(cell)))
    env = {**os.environ, "DIFFCOURSE_COLAB_ROOT": str(root)}
    done = subprocess.run([sys.executable, *(["-I"] if isolated else []), str(driver)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    [result] = [json.loads(line[len("RESULT "):]) for line in lines if line.startswith("RESULT ")]
    return result, [line for line in lines if not line.startswith("RESULT ")]


@pytest.fixture
def content(tmp_path):
    """A fake /content (the search root) and the student zip as `diffcourse build` writes it."""
    root = tmp_path / "content"
    root.mkdir()
    data = student_build.student_zip(FRESH, course.get(FRESH).student_dir)
    return root, data


def test_on_colab_the_uploaded_zip_is_unzipped_and_entered(tmp_path, content):
    root, data = content
    (root / f"{FRESH}-student (1).zip").write_bytes(data)  # as a browser renames a second download
    result, printed = _run_setup(tmp_path, root, root, colab=True)
    folder = root / FRESH
    assert result["error"] is None and result["cwd"] == str(folder) and result["path0"] == str(folder)
    assert (folder / "toy.py").is_file() and (folder / "tests").is_dir() and (folder / f"{FRESH}.ipynb").is_file()
    assert any("Working in" in line and "Download .ipynb" in line for line in printed)
    again, _ = _run_setup(tmp_path, root, root, colab=True)  # Restart & Run All: the folder is reused
    assert again["cwd"] == str(folder)


def test_on_colab_a_folder_in_the_mounted_drive_is_found(tmp_path, content):
    root, _ = content
    folder = root / "drive" / "MyDrive" / "Colab Notebooks" / FRESH
    shutil.copytree(course.get(FRESH).student_dir, folder)
    result, _ = _run_setup(tmp_path, root, root, colab=True)
    assert result["error"] is None and result["cwd"] == str(folder)


def test_on_colab_without_the_files_it_says_what_to_upload(tmp_path, content):
    root, _ = content
    result, _ = _run_setup(tmp_path, root, root, colab=True)
    assert result["error"].startswith("FileNotFoundError: This notebook needs its files")
    assert f"upload {FRESH}-student.zip" in result["error"] and "Google Drive" in result["error"]
    assert result["cwd"] == str(root)


def test_on_colab_with_the_files_present_it_does_nothing(tmp_path, content):
    root, data = content
    (root / f"{FRESH}-student.zip").write_bytes(data)
    here = tmp_path / "here"
    shutil.copytree(course.get(FRESH).student_dir, here)
    result, printed = _run_setup(tmp_path, here, root, colab=True)
    assert result["error"] is None and result["cwd"] == str(here) and printed == []
    assert sorted(p.name for p in root.iterdir()) == [f"{FRESH}-student.zip"]  # nothing unzipped


@pytest.mark.parametrize("with_files", [True, False])
def test_elsewhere_it_does_nothing(tmp_path, content, with_files):
    """The student's computer, and the grader's kernel (`python -I`, Otter installed, the student files copied
    next to the notebook): no output, no pip, no chdir, no unzip, in a few milliseconds."""
    root, data = content
    (root / f"{FRESH}-student.zip").write_bytes(data)
    here = tmp_path / "here"
    shutil.copytree(course.get(FRESH).student_dir, here) if with_files else here.mkdir()
    result, printed = _run_setup(tmp_path, here, root, colab=False, isolated=True)
    assert result["error"] is None and result["cwd"] == str(here) and printed == []
    assert result["seconds"] < 0.5, result
    assert sorted(p.name for p in root.iterdir()) == [f"{FRESH}-student.zip"]


@pytest.mark.parametrize("missing", [("otter",), ("otter", "ot")], ids=["no-otter", "colab-no-otter-no-pot"])
def test_what_is_missing_is_installed_in_the_pinned_version(tmp_path, content, missing):
    """Otter where it is missing; on Colab (no Otter, no POT, which hw3's notebook imports) both, in one pip call,
    as pyproject.toml pins them; never torch."""
    root, _ = content
    here = tmp_path / "here"
    shutil.copytree(course.get(FRESH).student_dir, here)
    result, printed = _run_setup(tmp_path, here, root, colab=False, missing=missing)
    assert result["error"] is None
    pins = [f"otter-grader=={student_build.otter_version(ROOT)}", "pot>=0.9"][:len(missing)]
    assert printed == [f"Installing {', '.join(pins)} ...", "PIP " + json.dumps(["-m", "pip", "install", "-q", *pins])]
    assert "torch" not in _setup_cell(FRESH).split("needs=")[1]


# -- (a) a fresh Python with only the student's requirements ---------------------------------------------------
@pytest.fixture(scope="module")
def student_venv(request, tmp_path_factory):
    """A venv with `torch==2.13.0` (the CPU wheel), then only `-r assignments/FRESH/requirements.txt`
    (tests/student_venv.py), kept in pytest's cache folder (DIFFCOURSE_FRESH_STUDENT_VENV=1: made anew, in a
    temporary folder). `.ci/run` makes it while pip fills the project's venv."""
    assert student_venv_module.requirements() == course.get(FRESH).student_dir / "requirements.txt"
    cache = getattr(request.config, "cache", None)
    if os.environ.get("DIFFCOURSE_FRESH_STUDENT_VENV") == "1" or cache is None:
        return student_venv_module.ensure(tmp_path_factory.mktemp("student-venv"))
    return student_venv_module.ensure(cache.mkdir("student-venv"))


def _reference_notebook():
    """The reference submission made from the committed student notebook without its experiment cells (training,
    sampling, plots: what the grader's end-to-end tests run already), but with its setup cell."""
    import dataclasses

    sys.path.insert(0, str(ROOT / "tests" / "submissions"))
    from make_submissions import make_notebook, normalize, student_notebook, submissions

    [reference] = [s for s in submissions(FRESH) if s.stem == "reference"]
    nb = make_notebook(student_notebook(FRESH), dataclasses.replace(reference, experiments=False), FRESH)
    [init] = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "otter.Notebook(" in c.source]
    nb.cells.insert(init, nbformat.v4.new_code_cell(_setup_cell(FRESH)))
    return normalize(nb)


@pytest.mark.xdist_group("student_setup")
def test_a_fresh_python_with_the_requirements_runs_the_checks_and_exports(student_venv, tmp_path):
    python = student_venv / "bin" / "python"
    ours = subprocess.run([str(python), "-c", "import importlib.util as u; print([n for n in "
                           "('course_core', 'autograder', 'hypothesis') if u.find_spec(n)])"],
                          cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()
    assert ours == "[]", "the student's venv must hold only the student's requirements"
    work = tmp_path / FRESH
    shutil.copytree(course.get(FRESH).student_dir, work)
    nbformat.write(_reference_notebook(), work / f"{FRESH}.ipynb")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "DIFFCOURSE_ROOT")}
    env.update(PATH=f"{student_venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", HOME=str(tmp_path / "home"),
               JUPYTER_PLATFORM_DIRS="1")
    start = time.monotonic()
    done = subprocess.run([str(student_venv / "bin" / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                           "--ExecutePreprocessor.timeout=300", "--output", "executed.ipynb", f"{FRESH}.ipynb"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=900)
    seconds = time.monotonic() - start
    assert done.returncode == 0, done.stderr[-4000:]
    nb = nbformat.read(work / "executed.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert code[0].source.startswith("# Setup") and code[0].outputs == []  # Otter imports: the cell did nothing
    checked = {}
    for cell in code:
        match = re.fullmatch(r'grader\.check\("(\w+)"\)', cell.source.strip())
        if match:
            text = "".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs)
            checked[match.group(1)] = "All test cases passed!" in text
    assert checked and checked == {p.stem: True for p in (work / "tests").glob("*.py")}
    [exported] = work.glob(f"{FRESH}_*.zip")
    with zipfile.ZipFile(exported) as zf:
        assert f"{FRESH}.ipynb" in zf.namelist() and ".OTTER_LOG" in zf.namelist()
    installed = json.loads((student_venv / "installed.json").read_text())
    print(f"\nstudent venv: installed in {installed['seconds']} s (when made); notebook ran in {seconds:.1f} s")


@pytest.mark.xdist_group("student_setup")
def test_the_requirements_cover_every_assignments_support_modules(student_venv):
    """Every assignment's folder has the same requirements.txt; in the venv made from it alone, every support module
    of every assignment imports and the digits data set loads (hw3 and hw4 read it from scikit-learn's wheel), and
    POT's sliced Wasserstein distance, which hw3's notebook uses, runs."""
    def requirements(a):  # the header comment names the assignment; the requirement lines must agree
        text = (course.get(a).student_dir / "requirements.txt").read_text()
        return tuple(line for line in text.splitlines() if line.strip() and not line.startswith("#"))
    reqs = {a: requirements(a) for a in ASSIGNMENTS}
    assert len(set(reqs.values())) == 1, f"the requirements differ between assignments: {reqs}"
    assert any(line.startswith("scikit-learn") for line in reqs[ASSIGNMENTS[0]]), reqs
    script = ["import importlib, sys"]
    for a in ASSIGNMENTS:
        for name in course.get(a).config.support_files:
            script += [f"sys.path.insert(0, {str(course.get(a).student_dir)!r})",
                       f"importlib.import_module({name[:-3]!r}); sys.modules.pop({name[:-3]!r}); sys.path.pop(0)"]
    script += ["import digits, numpy as np, ot",
               "x, y = digits.load_digits(); assert x.shape == (1797, 64) and int(y.max()) == 9",
               "d = ot.sliced_wasserstein_distance(np.zeros((5, 2)), np.ones((5, 2)), n_projections=10, seed=0)",
               "assert d > 0.5, d", "print('ok')"]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "DIFFCOURSE_ROOT")}
    digits_dir = next(course.get(a).student_dir for a in ASSIGNMENTS if "digits.py" in course.get(a).config.support_files)
    done = subprocess.run([str(student_venv / "bin" / "python"), "-c", "\n".join(script)], cwd=digits_dir, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
