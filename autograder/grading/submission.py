"""Reading submissions: Otter export zips and bare notebooks, with nothing trusted."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path, PurePosixPath

import nbformat

MAX_NOTEBOOK_BYTES = 50 * 2**20


class BadSubmission(Exception):
    """The file is not a notebook we can grade; the message says why, for the grade table."""


def find_submissions(folder: Path) -> list[Path]:
    """Every `.zip` and `.ipynb` directly in `folder`, sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".zip", ".ipynb"))


def submission_name(path: Path) -> str:
    return Path(path).stem


def named_submissions(folder: Path) -> list[tuple[str, Path]]:
    """`(name, path)` for every submission in `folder`, sorted by file name. A name is the file's stem, or its
    whole file name where two files share a stem (`a.zip` and `a.ipynb`): the names grades.csv, results/ and
    the written-work score sheet use."""
    paths = find_submissions(folder)
    stems = [submission_name(p) for p in paths]
    return [(stem if stems.count(stem) == 1 else p.name, p) for stem, p in zip(stems, paths)]


def hidden_entry(name: str) -> bool:
    """Checkpoints, macOS resource forks and other hidden entries of a zip."""
    parts = PurePosixPath(name).parts
    return "__MACOSX" in parts or any(p.startswith(".") and p not in (".", "..") for p in parts)


def _notebook_bytes(path: Path, assignment: str) -> bytes:
    if path.suffix.lower() == ".ipynb":
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            raise BadSubmission("the notebook is larger than 50 MB")
        return path.read_bytes()
    try:
        with zipfile.ZipFile(path) as zf:
            names = [i for i in zf.infolist() if i.filename.endswith(".ipynb") and not i.is_dir()
                     and not hidden_entry(i.filename)]
            if not names:
                raise BadSubmission("the zip holds no .ipynb notebook")
            exact = [i for i in names if Path(i.filename).name == f"{assignment}.ipynb"]
            info = (exact or sorted(names, key=lambda i: (i.filename.count("/"), i.filename)))[0]
            if info.file_size > MAX_NOTEBOOK_BYTES:
                raise BadSubmission("the notebook in the zip is larger than 50 MB")
            return zf.read(info)  # read in memory: nothing is extracted to disk
    except zipfile.BadZipFile as err:
        raise BadSubmission(f"not a valid zip file ({err})") from None


def load_notebook(path: Path, assignment: str):
    """The submission's notebook (nbformat v4 node), outputs dropped."""
    raw = _notebook_bytes(Path(path), assignment)
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
    except Exception as err:  # noqa: BLE001 - any parse failure is the submission's problem
        raise BadSubmission(f"not a readable Jupyter notebook ({type(err).__name__}: {str(err)[:200]})") from None
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def prepare_workdir(assignment, nb, workdir: Path) -> Path:
    """The kernel's folder: the assignment's student files (toy.py, ...) and the notebook, nothing else."""
    if assignment.student_dir.is_dir():
        shutil.copytree(assignment.student_dir, workdir, dirs_exist_ok=True)
    nbformat.write(nb, workdir / f"{assignment.id}.ipynb")
    return workdir
