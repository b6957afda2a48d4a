"""Grade one submission in a process of its own: ``python -m autograder.grading.worker ID SUBMISSION OUT``.

The batch runner starts one worker per submission, so a submission that kills its grader costs only
itself. The worker writes its result JSON after every step (atomically), so what was earned before a crash
survives it. It launches the student's kernel before importing torch and the checks, so the two start up
side by side.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import click

from .. import course
from ..boundary import sandbox
from ..boundary.process import KernelProcess
from .result import Flag, Plan, Result, write_atomic
from .submission import BadSubmission, load_notebook, prepare_workdir, submission_name


def write_json(path: Path, data: dict) -> None:
    write_atomic(path, json.dumps(data, indent=1))


def grade_submission(assignment: str, path: Path, out: Path, *, plan=None, name: str | None = None,
                     mpl_cache: Path | None = None, timeout: float | None = None, cell_timeout: float | None = None,
                     call_timeout: float | None = None, protections: sandbox.Protections | None = None,
                     device: str = "cpu") -> Result:
    """Grade the notebook (or export zip) at `path`, writing the result to `out` as it goes. The kernel runs
    behind `protections` (default: what `sandbox.probe()` finds), on `device` (``cpu`` or ``cuda``: the first
    GPU this process sees), where the checks' references run too."""
    started = time.monotonic()
    protections = protections or sandbox.probe()
    a = course.get(assignment)
    overrides = {"submission": timeout, "cell": cell_timeout, "call": call_timeout}
    limits = replace(a.config.limits, **{k: v for k, v in overrides.items() if v is not None})
    name = name or submission_name(path)
    try:
        nb = load_notebook(path, assignment)
    except BadSubmission as err:
        from ..checks import load_suite

        result = Result.blank(assignment, name, load_suite(assignment))
        result.sandbox, result.device = protections.to_json(), device
        result.note(f"could not be graded: {err}")
        result.flag(Flag.INVALID)
        result.finished = True
        write_json(out, result.to_json())
        return result
    if device == "cuda":  # CUDA up before the kernel's sandbox is drawn: the driver makes its device files then
        from ..checks import device as grading_device

        grading_device.use(device)
    workdir = prepare_workdir(a, nb, Path(tempfile.mkdtemp(prefix="dc-sub-")))
    process = KernelProcess(workdir, limits=limits.kernel(), protections=protections,
                            output_bytes=int(limits.output_mb * 2**20), mpl_cache=mpl_cache, device=device,
                            zygote=os.environ.get("DC_ZYGOTE") or None)  # the batch's kernel zygote, if it runs one
    try:
        process.start()  # the kernel boots while this process imports torch and the checks
        import torch

        from ..boundary.kernel import StudentKernel
        from ..checks import device as grading_device
        from ..checks import load_suite
        from .engine import Grader

        torch.set_num_threads(1)  # its references are small; the kernel beside it runs on one thread too
        grading_device.use(device)
        grader = Grader(assignment, nb, name, suite=load_suite(assignment),
                        kernel=StudentKernel(workdir, process=process), limits=limits, plan=plan or Plan(),
                        on_progress=lambda result: write_json(out, result.to_json()), started=started, device=device)
        grader.result.sandbox, grader.result.device = protections.to_json(), device
        result = grader.grade()
    finally:
        process.remove()
        shutil.rmtree(workdir, ignore_errors=True)
    write_json(out, result.to_json())
    return result


@click.command()
@click.argument("assignment")
@click.argument("submission", type=click.Path(path_type=Path))
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--plan", type=click.Path(path_type=Path), help="JSON {skip_cells, failed_checks} from an earlier try.")
@click.option("--mpl-cache", type=click.Path(path_type=Path), help="A matplotlib font cache to copy for the kernel.")
@click.option("--timeout", type=float, help="Seconds for the whole submission.")
@click.option("--cell-timeout", type=float, help="Seconds per notebook cell.")
@click.option("--call-timeout", type=float, help="Seconds per call of a student's function.")
@click.option("--name", help="The submission's name in the reports (default: the file's stem).")
@click.option("--sandbox", "walls", help="The walls to grade behind: JSON of sandbox.Protections (default: probe).")
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True,
              help="Where the kernel and the references run (cuda: the first GPU CUDA_VISIBLE_DEVICES shows).")
def main(assignment, submission, out, plan, mpl_cache, timeout, cell_timeout, call_timeout, name, walls,
         device) -> None:
    """Grade one submission and write its result JSON to OUT."""
    _die_with_parent()
    os.umask(0o077)  # its result and temporary files are the grader's alone (a kernel's uid may pass through)
    todo = Plan()
    if plan and plan.exists():
        data = json.loads(plan.read_text())
        todo = Plan(set(data.get("skip_cells", [])), dict(data.get("failed_checks", {})))
    grade_submission(assignment, submission, out, plan=todo, name=name, mpl_cache=mpl_cache, timeout=timeout,
                     cell_timeout=cell_timeout, call_timeout=call_timeout,
                     protections=sandbox.Protections(**json.loads(walls)) if walls else None, device=device)


def _die_with_parent() -> None:
    """Be killed with the batch that started this worker (Linux), even by SIGKILL; then the kernel goes too.
    Started by a batch that is already gone: stop now."""
    parent = os.getppid()
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent or parent == 1:
        os._exit(1)


if __name__ == "__main__":
    main()
