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
from dataclasses import asdict
from pathlib import Path

from .profiles import Profile
from .result import Result


def _grade_task(assignment: str, name: str, suffix: str, data: bytes, settings: dict) -> dict:
    """On a node: grade the submission `data` (a notebook or export zip, by `suffix`); its result's JSON."""
    from .batch import Settings, grade_here

    with tempfile.TemporaryDirectory(prefix="dc-ray-") as folder:
        os.chmod(folder, 0o711)
        path = Path(folder) / f"submission{suffix}"
        path.write_bytes(data)
        return grade_here(assignment, path, name, Settings(**settings)).to_json()


MAX_UPLOAD = 256 * 2**20  # bytes of one submission sent to a node; a larger file arrives cut, and is invalid there


def _read(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(MAX_UPLOAD + 1)


def connect(runner: Profile) -> bool:
    """Join the cluster at ``runner.address``, or start one on this machine; True when this call started Ray."""
    import ray

    if ray.is_initialized():
        return False
    options = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)
    if runner.address:
        ray.init(address=runner.address, **options)
    else:
        from .device import visible_gpus

        ray.init(num_cpus=max(1, runner.workers) * max(runner.num_cpus, 1), num_gpus=len(visible_gpus()), **options)
    return True


def _gpus_per_task(runner: Profile, settings) -> float:
    """``num_gpus`` of the profile (none when grading on the CPU was asked for); ValueError when the cluster has
    fewer GPUs than one task asks for (its tasks would wait forever)."""
    import ray

    wanted = 0.0 if settings.device == "cpu" else runner.num_gpus
    have = ray.cluster_resources().get("GPU", 0.0)
    if wanted > have:
        raise ValueError(f"each task asks for {wanted:g} GPU but the Ray cluster has {have:g}: grade with --device "
                         "cpu, or set num_gpus = 0 in the runner profile, or add GPU nodes")
    return wanted


def grade_on_ray(assignment: str, todo: list, settings, runner: Profile):
    """Yield ``(name, Result)`` for each ``(path, name)`` of `todo` as its Ray task finishes. Each task asks for
    ``num_cpus`` and ``num_gpus`` (logical resources: the scheduler lends them, `grade_here` finds the GPU through
    the ``CUDA_VISIBLE_DEVICES`` Ray sets). Ctrl-C cancels the tasks still running."""
    import ray

    started = connect(runner)
    pending = {}
    try:
        task = ray.remote(_grade_task).options(num_cpus=runner.num_cpus, num_gpus=_gpus_per_task(runner, settings),
                                               max_retries=runner.max_retries, retry_exceptions=False)
        for path, name in todo:
            ref = task.remote(assignment, name, Path(path).suffix.lower(), _read(Path(path)), asdict(settings))
            pending[ref] = name
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                yield pending.pop(ref), Result.from_json(ray.get(ref))
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    finally:
        if started:
            ray.shutdown()
