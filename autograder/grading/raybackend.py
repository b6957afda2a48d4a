"""The Ray backend (``--backend ray``): one Ray task per submission, on any node of a cluster.

Each task runs `batch.grade_here` on its node: a fresh worker process for the one submission (its GPU memory
goes with it), tried again around what took it down, behind the walls that node allows; the notebook travels
as bytes and the result comes back as JSON, so the nodes share no file system with this one. A task lost with
its node (or its Ray worker) is run again elsewhere (``max_retries``), and its worker and kernel die with it
(parent-death signals). Results are gathered here as they finish, into the same cache and reports as a local
batch's.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict, replace
from pathlib import Path

from .profiles import Profile
from .result import Result


def _grade_task(assignment: str, name: str, suffix: str, data: bytes, settings: dict) -> dict:
    """On a node: grade the submission `data` (a notebook or export zip, by `suffix`); its result's JSON."""
    from .batch import Settings, grade_here

    with tempfile.TemporaryDirectory(prefix="dc-ray-") as folder:  # 0700: the submission is the grader's alone
        path = Path(folder) / f"submission{suffix}"
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as fh:
            fh.write(data)
        return grade_here(assignment, path, name, Settings(**settings)).to_json()


MAX_UPLOAD = 256 * 2**20  # bytes of one submission sent to a node; a larger file arrives cut, and is invalid there


def _read(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(MAX_UPLOAD + 1)


class BackendUnavailable(RuntimeError):
    """Ray is not installed, or its cluster cannot be joined or started."""


def _ray():
    try:
        import ray
    except ImportError:
        raise BackendUnavailable("the Ray backend needs ray: pip install 'diffcourse[ray]'") from None
    return ray


def connect(runner: Profile) -> bool:
    """Join the cluster at ``runner.address``, or start one on this machine; True when this call started Ray."""
    ray = _ray()
    if ray.is_initialized():
        return False
    options = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        if runner.address:
            ray.init(address=runner.address, **options)
        else:
            from .device import visible_gpus

            ray.init(num_cpus=max(1, runner.workers) * max(runner.num_cpus, 1), num_gpus=len(visible_gpus()),
                     **options)
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as err:
        where = f"join the Ray cluster at {runner.address}" if runner.address else "start Ray on this machine"
        raise BackendUnavailable(f"could not {where}: {type(err).__name__}: {err}") from None
    return True


def _gpus_per_task(runner: Profile, settings) -> float:
    """``num_gpus`` of the profile (none when grading on the CPU was asked for); ValueError when no node has as
    many GPUs and CPUs as one task asks for (its tasks would wait forever)."""
    ray = _ray()

    wanted = 0.0 if settings.device == "cpu" else runner.num_gpus
    nodes = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")]
    if not any(r.get("GPU", 0.0) >= wanted and r.get("CPU", 0.0) >= runner.num_cpus for r in nodes):
        most = max((r.get("GPU", 0.0) for r in nodes), default=0.0)
        raise ValueError(f"each task asks for {wanted:g} GPU and {runner.num_cpus:g} CPU, but no node of the Ray "
                         f"cluster has that much (at most {most:g} GPU on a node): grade with --device cpu, or change "
                         "num_gpus / num_cpus in the runner profile, or add nodes")
    return wanted


def _lost(assignment: str, name: str, err: Exception) -> Result:
    """The result of a submission whose task Ray gave up on (its retries spent, a node-side error): nothing
    earned, flagged for the staff, never cached, so the same command grades it again."""
    from ..checks import load_suite
    from .result import Flag

    result = Result.blank(assignment, name, load_suite(assignment))
    result.note(f"its Ray task failed and was not graded: {type(err).__name__}: {str(err)[:500]}")
    result.flag(Flag.GRADER_ERROR)
    result.finished = True
    return result


def grade_on_ray(assignment: str, todo: list, settings, runner: Profile):
    """Yield ``(name, Result)`` for each ``(path, name)`` of `todo` as its Ray task finishes. Each task asks for
    ``num_cpus`` and ``num_gpus`` (logical resources: the scheduler lends them, `grade_here` finds the GPU through
    the ``CUDA_VISIBLE_DEVICES`` Ray sets). Ctrl-C cancels the tasks still running."""
    if not todo:  # everything came from the cache: no cluster to start
        return
    ray = _ray()
    started = connect(runner)
    pending = {}
    try:
        gpus = _gpus_per_task(runner, settings)
        if not gpus:  # a task without a GPU of its own grades on the CPU: Ray hides no GPU from it
            settings = replace(settings, device="cpu")
        task = ray.remote(_grade_task).options(num_cpus=runner.num_cpus, num_gpus=gpus,
                                               max_retries=runner.max_retries, retry_exceptions=False)
        for path, name in todo:
            ref = task.remote(assignment, name, Path(path).suffix.lower(), _read(Path(path)), asdict(settings))
            pending[ref] = name
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                name = pending.pop(ref)
                try:
                    result = Result.from_json(ray.get(ref))
                except ray.exceptions.RayError as err:  # this submission's task is lost, not the batch
                    result = _lost(assignment, name, err)
                yield name, result
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    finally:
        if started:
            ray.shutdown()
