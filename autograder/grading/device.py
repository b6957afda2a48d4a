"""Which device a batch grades on (``--device auto|cpu|cuda``), decided without importing torch.

On CUDA every submission gets one GPU of its own (``CUDA_VISIBLE_DEVICES`` set to one index for its worker and
kernel) and a fresh process, so its GPU memory is released with it. The student's kernel and the checks'
references run on that GPU, with TF32 off and deterministic algorithms on (`autograder.checks.device`).
"""

from __future__ import annotations

import functools
import os
import queue
import subprocess
import sys
from contextlib import contextmanager

MODES = ("auto", "cpu", "cuda")


class DeviceUnavailable(RuntimeError):
    """``--device cuda`` where no GPU is visible."""


def visible_gpus() -> list[str]:
    """The GPUs this process may use, as the indices or UUIDs ``CUDA_VISIBLE_DEVICES`` takes: none without the
    NVIDIA driver (a scheduler's logical GPUs set the variable on machines that have none), else those the
    variable lists when it is set (empty or ``-1``: none), else one per GPU the driver reports."""
    try:
        present = len(os.listdir("/proc/driver/nvidia/gpus"))
    except OSError:
        return []
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        gpus = [g.strip() for g in listed.split(",") if g.strip()]
        return [] if not gpus or gpus[0] == "-1" else gpus
    return [str(i) for i in range(present)]


@functools.lru_cache(maxsize=None)
def torch_sees_gpu(visible: str | None) -> tuple[bool, str]:
    """Whether torch, in a fresh process shown the GPUs `visible` (``CUDA_VISIBLE_DEVICES``), can use one, and
    what it said (a CPU build of torch, or a container started without its GPUs, cannot)."""
    env = {**os.environ, **({"CUDA_VISIBLE_DEVICES": visible} if visible is not None else {})}
    code = ("import torch, sys; print(torch.__version__, 'CUDA', torch.version.cuda); "
            "sys.exit(not torch.cuda.is_available())")
    try:
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as err:
        return False, str(err)
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()[-300:]


def resolve(mode: str | None = None) -> str:
    """``cpu`` or ``cuda`` for a requested mode (default ``$DIFFCOURSE_DEVICE``, else ``auto``: CUDA when a GPU is
    visible and torch can use it). Raises ValueError for an unknown mode and `DeviceUnavailable` for ``cuda``
    without a GPU torch can use."""
    mode = mode or os.environ.get("DIFFCOURSE_DEVICE") or "auto"
    if mode not in MODES:
        raise ValueError(f"device {mode!r}: use one of {', '.join(MODES)}")
    if mode == "cpu":
        return "cpu"
    gpus = visible_gpus()
    if not gpus:
        if mode == "auto":
            return "cpu"
        raise DeviceUnavailable("--device cuda: no GPU is visible to this process (CUDA_VISIBLE_DEVICES="
                                f"{os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')}, no /proc/driver/nvidia/gpus); "
                                "grade with --device cpu, or on a GPU runner")
    usable, said = torch_sees_gpu(gpus[0])
    if usable:
        return "cuda"
    if mode == "auto":
        return "cpu"
    raise DeviceUnavailable(f"--device cuda: the driver shows {len(gpus)} GPU(s) but torch cannot use them ({said}); "
                            "install a CUDA build of torch, or start the container with its GPUs (--gpus)")


class GpuPool:
    """One GPU per submission: `take` lends a free GPU's index for one worker (None on CPU) and gets it back."""

    def __init__(self, device: str):
        self.free: queue.Queue = queue.Queue()
        for gpu in visible_gpus() if device == "cuda" else []:
            self.free.put(gpu)
        self.size = self.free.qsize()

    @contextmanager
    def take(self):
        if not self.size:
            yield None
            return
        gpu = self.free.get()
        try:
            yield gpu
        finally:
            self.free.put(gpu)
