"""Which device a batch grades on (``--device auto|cpu|cuda``), decided without importing torch.

On CUDA every submission gets one GPU of its own (``CUDA_VISIBLE_DEVICES`` set to one index for its worker and
kernel) and a fresh process, so its GPU memory is released with it. The student's kernel and the checks'
references run on that GPU, with TF32 off and deterministic algorithms on (`autograder.checks.device`).
"""

from __future__ import annotations

import os
import queue
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


def resolve(mode: str | None = None) -> str:
    """``cpu`` or ``cuda`` for a requested mode (default ``$DIFFCOURSE_DEVICE``, else ``auto``: CUDA when a GPU is
    visible). Raises ValueError for an unknown mode and `DeviceUnavailable` for ``cuda`` without a GPU."""
    mode = mode or os.environ.get("DIFFCOURSE_DEVICE") or "auto"
    if mode not in MODES:
        raise ValueError(f"device {mode!r}: use one of {', '.join(MODES)}")
    gpus = visible_gpus()
    if mode == "cuda" and not gpus:
        raise DeviceUnavailable("--device cuda: no GPU is visible to this process (CUDA_VISIBLE_DEVICES="
                                f"{os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')}, no /proc/driver/nvidia/gpus); "
                                "grade with --device cpu, or on a GPU runner")
    return "cuda" if mode == "cuda" or (mode == "auto" and gpus) else "cpu"


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
