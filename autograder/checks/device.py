"""The device the checks' references run on: the one the student's kernel runs on (``--device``).

The exact float64 answer does not depend on the device; the float32 error budget (`cases._float32_budget`) is
measured on the grading device, so it includes that device's own rounding. While grading on CUDA, TF32 is off
(matmul and cuDNN) and deterministic algorithms are on, here and in the student's kernel (`boundary.bridge`).
"""

from __future__ import annotations

import os

import torch

from ..boundary.codec import TestModel, TestOperator

_DEVICE = {"name": "cpu"}


def grading_device() -> str:
    """``cpu`` or ``cuda`` (set by `use`)."""
    return _DEVICE["name"]


def deterministic() -> None:
    """TF32 off for matmul and cuDNN, cuDNN's autotuner off, deterministic algorithms on (warning, not raising,
    where an operation has none: the tolerances absorb its reordering)."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.utils.deterministic.fill_uninitialized_memory = False  # torch.empty as on the CPU


def use(device: str) -> None:
    """Grade on `device` (``cpu`` or ``cuda``) in this process."""
    if device not in ("cpu", "cuda"):
        raise ValueError(f"unknown grading device {device!r}")
    if device == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("grading on cuda, but torch sees no GPU (a CPU build of torch, or no driver)")
        torch.cuda.init()  # also makes the driver create /dev/nvidia-uvm, which the kernel's sandbox binds
        deterministic()
    _DEVICE["name"] = device


def to_device(value):
    """A tensor, test model or test operator argument on the grading device (anything else as it is)."""
    device = _DEVICE["name"]
    if device == "cpu":
        return value
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, TestModel):
        return value.copy().to(device)
    if isinstance(value, TestOperator):
        return value.to(device)
    return value


def to_cpu(out):
    """A reference's outputs (a tensor, or a tuple or list of them) back on the CPU, where the comparisons run."""
    if isinstance(out, torch.Tensor):
        return out.cpu()
    if isinstance(out, (tuple, list)):
        return type(out)(to_cpu(o) for o in out)
    return out


def run(fn, args, kwargs):
    """`fn(*args, **kwargs)` with its tensors on the grading device; its outputs on the CPU."""
    return to_cpu(fn(*(to_device(a) for a in args), **{k: to_device(v) for k, v in kwargs.items()}))
