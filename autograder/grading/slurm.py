"""The Slurm backend: ``diffcourse grade ... --backend slurm --emit DIR`` and ``diffcourse collect DIR``.

`emit` writes, into a folder the cluster's nodes share with this machine: the submissions (copied, so the job
does not depend on the TA's folder staying as it was), ``manifest.json`` (the assignment, the grading settings,
each submission's index, name, file and SHA-256) and ``grade.sbatch``, an array job with one task per
submission (``--gres``, ``--time`` from the submission's limit, ``--mem`` and ``--cpus-per-task`` from the
runner profile). Each task runs ``python -m autograder.grading.slurm DIR --index $SLURM_ARRAY_TASK_ID``, which
grades its submission as a local batch does (`batch.grade_here`) and writes ``results/<index>.json``. `collect`
checks every result against the manifest and writes the same reports a local batch writes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shlex
import shutil
import sys
from dataclasses import asdict
from pathlib import Path

import click

from .. import course
from .batch import GRACE, MAX_TRIES, OutputLock, Settings, _score_sheet, grade_here, regrade_command, select
from .profiles import Profile
from .result import Result, write_atomic
from .submission import named_submissions

MANIFEST = "manifest.json"
SCRIPT = "grade.sbatch"
MAX_ARRAY = 1000  # tasks in one array: Slurm's default MaxArraySize is 1001 (indices 0 to 1000)
STARTUP = 300  # seconds for a node to start Python, the worker and the kernel, beyond the grading itself


class CollectError(RuntimeError):
    """Results missing or not those of the manifest's submissions; nothing was written."""


def emit(*, assignment: str, submissions: Path, folder: Path, settings: Settings, runner: Profile,
         out: Path | None = None, only: tuple = ()) -> dict:
    """Write the array job for every submission in `submissions` (or those named in `only`) into `folder` (empty
    or new, made private: 0700); returns the manifest. `out`: where `collect` writes the reports by default."""
    a = course.get(assignment)
    folder = Path(folder).resolve()
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(f"{folder} is not empty: emit a job into a new folder")
    named = select(named_submissions(Path(submissions)), only)
    if not named:
        raise ValueError(f"{submissions} holds no submission (.ipynb or .zip)")
    if len(named) > MAX_ARRAY:
        raise ValueError(f"{len(named)} submissions: more than Slurm's default MaxArraySize allows in one array "
                         f"({MAX_ARRAY}); emit them in parts with --only")
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)  # on a shared file system: the students' work and grades are the course's alone
    for sub in ("submissions", "results", "logs"):
        (folder / sub).mkdir(mode=0o700)
    entries = []
    for index, (name, path) in enumerate(named):
        target = folder / "submissions" / f"{index}{path.suffix.lower()}"
        shutil.copyfile(path, target)
        os.chmod(target, 0o600)
        entries.append({"index": index, "name": name, "file": target.name,
                        "sha256": hashlib.sha256(target.read_bytes()).hexdigest()})
    manifest = {"assignment": a.id, "settings": asdict(settings), "submissions": entries,
                "source": str(Path(submissions).resolve()), "profile": runner.name,
                "out": str(Path(out).resolve()) if out else str(folder / "report")}
    write_atomic(folder / MANIFEST, json.dumps(manifest, indent=1))
    write_atomic(folder / SCRIPT, script(folder, a.id, len(entries), settings, runner))
    return manifest


def time_limit(settings: Settings) -> str:
    """``HH:MM:SS`` for one array task: every try the batch allows at its limit, and the start."""
    seconds = (settings.limit + GRACE) * MAX_TRIES + STARTUP
    minutes = math.ceil(seconds / 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def script(folder: Path, assignment: str, count: int, settings: Settings, runner: Profile) -> str:
    """The sbatch script of the array job: one task per submission."""
    throttle = f"%{runner.max_parallel}" if runner.max_parallel else ""
    lines = ["#!/bin/bash", f"#SBATCH --job-name=diffcourse-{assignment}", f"#SBATCH --array=0-{count - 1}{throttle}",
             "#SBATCH --ntasks=1", f"#SBATCH --cpus-per-task={runner.cpus_per_task}", f"#SBATCH --mem={runner.mem_gb}G",
             f"#SBATCH --time={time_limit(settings)}", f"#SBATCH --output={folder}/logs/%a-%A.log"]
    if runner.gres and settings.device != "cpu":
        lines.append(f"#SBATCH --gres={runner.gres}")
    lines += [f"#SBATCH --{key}={value}" for key, value in (("partition", runner.partition),
                                                            ("account", runner.account)) if value]
    python = runner.python or sys.executable
    lines += ["", f"# diffcourse: {count} submission(s) of {assignment}; when every task is done:",
              f"#   diffcourse collect {shlex.quote(str(folder))}", "umask 077", *runner.setup, "set -euo pipefail",
              f"exec {shlex.quote(python)} -m autograder.grading.slurm {shlex.quote(str(folder))} "
              '--index "$SLURM_ARRAY_TASK_ID"', ""]
    return "\n".join(lines)


def _manifest(folder: Path) -> dict:
    try:
        return json.loads((Path(folder) / MANIFEST).read_text())
    except (OSError, ValueError) as err:
        raise CollectError(f"{folder} is not a job written by `diffcourse grade --emit` ({MANIFEST}: {err})") from None


def run_task(folder: Path, index: int) -> Result:
    """Grade the manifest's submission `index` on this node; its result goes to ``results/<index>.json``."""
    manifest = _manifest(folder)
    entries = manifest["submissions"]
    if not 0 <= index < len(entries):
        raise CollectError(f"task {index}: the job has submissions 0 to {len(entries) - 1}")
    entry = entries[index]
    path = Path(folder) / "submissions" / entry["file"]
    if hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
        raise CollectError(f"{path} is not the file the job was written with (its SHA-256 changed)")
    result = grade_here(manifest["assignment"], path, entry["name"], Settings(**manifest["settings"]))
    write_atomic(Path(folder) / "results" / f"{index}.json", json.dumps(result.to_json(), indent=1))
    return result


def collect(folder: Path, out: Path | None = None, *, allow_missing: bool = False, regrade: str | None = None,
            manual: Path | None = None):
    """Write the reports of the job in `folder` under `out` (default: the manifest's) and return the results.

    Raises CollectError, writing nothing, when a task's result is missing (unless `allow_missing`: the reports
    then cover those present, and the error's text is returned too), unreadable, or not the result of the
    manifest's submission and assignment. `manual`: a filled score sheet of `diffcourse written`, checked first
    and merged as `batch.grade_folder` merges it."""
    from ..reports.report import write_reports

    folder = Path(folder)
    manifest = _manifest(folder)
    results, missing = [], []
    for entry in manifest["submissions"]:
        path = folder / "results" / f"{entry['index']}.json"
        result = Result.read(path)
        if result is None:
            missing.append(entry["index"])
            continue
        if result.submission != entry["name"] or result.assignment != manifest["assignment"] or not result.finished:
            raise CollectError(f"{path} is not the finished result of {entry['name']} ({manifest['assignment']}): "
                               "grade that task again")
        results.append(result)
    note = ""
    if missing:
        listed = ",".join(str(i) for i in missing)
        note = (f"{len(missing)} of {len(manifest['submissions'])} task(s) have no result: {listed}; run them again "
                f"with: sbatch --array={listed} {folder / SCRIPT}")
        if not allow_missing:
            raise CollectError(note)
    a = course.get(manifest["assignment"])
    if manual is not None:
        results = _score_sheet(manual, a, [e["name"] for e in manifest["submissions"]]).apply(results)
    out = Path(out or manifest["out"])
    regrade = regrade or regrade_command(a.id, Path(manifest.get("source", folder / "submissions")), out,
                                         Settings(**manifest["settings"]), profile=manifest.get("profile", ""),
                                         manual=manual)
    out.mkdir(parents=True, exist_ok=True)
    with OutputLock(out):
        write_reports(results, out, a.config.hidden_visibility, written=manual is not None, regrade=regrade,
                      assignment=a.id)
    return results, note


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--index", type=int, required=True, help="The array task's index ($SLURM_ARRAY_TASK_ID).")
def main(folder: Path, index: int) -> None:
    """Grade one submission of a job written by `diffcourse grade --backend slurm --emit FOLDER`."""
    try:
        result = run_task(folder, index)
    except CollectError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"{result.submission}: {result.total:g}/{result.possible:g} ({result.status})")


if __name__ == "__main__":
    main()
