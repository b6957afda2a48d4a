"""The Gradescope autograder zip, run as Gradescope runs it: unzipped into an `/autograder`-style tree
(`source/`, `submission/`, `results/`), the package installed normally (not editable) into a Python
environment where course_core sits in the same site-packages as torch and ipykernel, and `run_autograder`
executed from there. The scores in `results/results.json` must be the grader's."""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from autograder.checks import load_suite

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "hw1_score"
pytestmark = pytest.mark.xdist_group("gradescope-zip")
_OURS = ("autograder", "course_core", "__editable__", "diffcourse", "_diffcourse")


@pytest.fixture(scope="module")
def autograder_root(tmp_path_factory, built):
    """An unzipped autograder and a Python environment with a normal install of the zip's `source/`."""
    tmp = tmp_path_factory.mktemp("gradescope")
    _, zip_path = built(ASSIGNMENT)
    root = tmp / "autograder"
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(root)
    (root / "run_autograder").chmod(0o755)

    # A fresh environment holding this one's libraries (linked, not copied) but not our packages...
    env_dir = tmp / "env"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env_dir)
    ours = Path(sysconfig.get_paths()["purelib"])
    theirs = Path(subprocess.run([str(env_dir / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 capture_output=True, text=True, check=True).stdout.strip())
    for entry in ours.iterdir():
        if not entry.name.startswith(_OURS) and not (theirs / entry.name).exists():
            (theirs / entry.name).symlink_to(entry)
    # ... which then gets the package from the zip's source/ by a normal install, as setup.sh does.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(env_dir / "bin" / "python"), "install", "--quiet",
                    "--no-deps", "--no-index", "--no-build-isolation", str(root / "source")], check=True)
    shutil.rmtree(root / "source" / "build", ignore_errors=True)
    return root, env_dir, theirs


def _run_autograder(root: Path, env_dir: Path, submission: Path) -> dict:
    """Grade `submission` (a notebook, or the zip `grader.export()` writes) as Gradescope would: alone in
    `submission/`, under the name a student's upload has."""
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder, ignore_errors=True)
        (root / folder).mkdir()
    name = f"{ASSIGNMENT}.ipynb" if submission.suffix == ".ipynb" else f"{ASSIGNMENT}_2026_12_01T09_30_00_000000.zip"
    shutil.copy(submission, root / "submission" / name)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PATH": f"{env_dir / 'bin'}:{os.environ['PATH']}"}
    env.pop("DIFFCOURSE_ROOT", None)
    proc = subprocess.run([str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_the_package_is_a_normal_install_beside_torch(autograder_root):
    _, env_dir, site = autograder_root
    out = subprocess.run([str(env_dir / "bin" / "python"), "-c",
                          "import course_core, autograder, torch, ipykernel; print(course_core.__file__)"],
                         capture_output=True, text=True, check=True, cwd="/").stdout
    assert Path(out.strip()).parent.parent == site  # in site-packages itself, not a link to this checkout
    assert not (site / "course_core").is_symlink()
    assert (site / "torch").exists() and (site / "ipykernel").exists()


def test_reference_gets_full_marks_through_run_autograder(autograder_root):
    """What most students upload: the zip `grader.export()` wrote (the reference without its experiment cells,
    which the end-to-end grading of reference.ipynb runs already)."""
    root, env_dir, _ = autograder_root
    data = _run_autograder(root, env_dir, ROOT / "tests" / "submissions" / ASSIGNMENT / "reference_export.zip")
    assert data["score"] == load_suite(ASSIGNMENT).possible(), data["output"]
    assert all(t["score"] == t["max_score"] for t in data["tests"])


def test_a_wrong_submission_loses_exactly_its_question_through_run_autograder(autograder_root):
    root, env_dir, _ = autograder_root
    data = _run_autograder(root, env_dir, ROOT / "tests" / "submissions" / ASSIGNMENT / "wrong_tweedie_sigma.ipynb")
    lost = {t["name"].split(":")[0] for t in data["tests"] if t["score"] < t["max_score"]}
    assert lost == {"tweedie_denoiser"}, data["tests"]
    assert data["score"] == sum(t["score"] for t in data["tests"]) < load_suite(ASSIGNMENT).possible()
