"""The CPU-vs-CUDA error budget: ``python -m autograder.grading.errorbudget [--device cpu --device cuda]``.

Grades every assignment's reference submission (``tests/submissions/<id>/reference.ipynb``) on each device, as
a batch does (a worker process, the kernel behind the sandbox, the references on the same device), and records
per hidden or public check the largest error of the reference's answers as a fraction of the check's bound
(``CheckResult.worst``: 1 is the bound; a correct answer written another way must stay far below it), and the
seconds per submission. The figures go to ``autograder/checks/error_budget.json``, next to the checks, device
by device (measuring one device keeps the others'), and the comparison is printed. The tolerances themselves
follow the grading device: float32's error budget (`checks.cases`) is measured on it, so a device that rounds
differently widens the bound by what it measures, and this file shows how much of it a correct answer uses.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import click

from .. import course
from .batch import Settings, grade_here
from .result import write_atomic

RECORD = Path(__file__).resolve().parent.parent / "checks" / "error_budget.json"


def measure(assignment: str, device: str) -> dict:
    """Grade the assignment's reference on `device`: seconds, points, and each check's worst ratio."""
    notebook = course.root() / "tests" / "submissions" / assignment / "reference.ipynb"
    a = course.get(assignment)
    began = time.monotonic()
    result = grade_here(assignment, notebook, "reference", Settings(a.config.limits.submission, device=device))
    checks = {f"{q.name}/{c.name}": {"worst": c.worst, "passed": c.passed}
              for q in result.auto_questions() for c in q.checks}
    return {"seconds": round(time.monotonic() - began, 1), "points": result.total, "possible": result.possible,
            "status": result.status, "device": result.device, "checks": checks}


def _machine(device: str) -> dict:
    import torch

    info = {"python": platform.python_version(), "torch": torch.__version__, "processor": platform.processor()
            or platform.machine(), "measured": time.strftime("%Y-%m-%d")}
    if device == "cuda":
        info["gpu"] = torch.cuda.get_device_name(0)
        info["cuda"] = torch.version.cuda
    return info


def record(devices: list, assignments: list, path: Path = RECORD) -> dict:
    """Measure `assignments` on `devices` and merge the figures into `path` (other devices' and assignments' kept)."""
    data = json.loads(path.read_text()) if path.exists() else {}
    data.setdefault("devices", {})
    for device in devices:  # the assignments measured now replace theirs; the others' figures are kept
        entry = {"machine": _machine(device), "assignments": data["devices"].get(device, {}).get("assignments", {})}
        for assignment in assignments:
            entry["assignments"][assignment] = measure(assignment, device)
            click.echo(f"{device} {assignment}: {entry['assignments'][assignment]['seconds']} s", err=True)
        data["devices"][device] = entry
    write_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")
    return data


def summary(data: dict) -> str:
    """Per assignment: the largest ratio on each device and where, and the seconds per submission."""
    devices = sorted(data.get("devices", {}))
    lines = ["assignment   " + "  ".join(f"{d:>26}" for d in devices)]
    names = sorted({a for d in devices for a in data["devices"][d]["assignments"]})
    for name in names:
        cells = []
        for d in devices:
            got = data["devices"][d]["assignments"].get(name)
            if got is None:
                cells.append(f"{'-':>26}")
                continue
            worst = max(((v["worst"] or 0.0, k) for k, v in got["checks"].items()), default=(0.0, "-"))
            cells.append(f"{worst[0]:>9.3g} of bound, {got['seconds']:>6.1f} s")
        lines.append(f"{name:<12} " + "  ".join(cells))
    if {"cpu", "cuda"} <= set(devices):
        cpu, gpu = (sum(a["seconds"] for a in data["devices"][d]["assignments"].values()) for d in ("cpu", "cuda"))
        lines.append(f"seconds per reference submission, cuda / cpu: {gpu / cpu:.2f}")
    return "\n".join(lines)


@click.command()
@click.option("--device", "devices", multiple=True, type=click.Choice(["cpu", "cuda"]),
              help="Devices to measure (default: cpu, and cuda where a GPU is visible).")
@click.option("--assignment", "assignments", multiple=True, help="Assignments (default: all).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=RECORD, show_default=True)
def main(devices: tuple, assignments: tuple, out: Path) -> None:
    """Measure the error budget of the hidden checks on CPU and CUDA; record and print it."""
    from .device import visible_gpus

    devices = list(devices) or ["cpu", *(["cuda"] if visible_gpus() else [])]
    data = record(devices, list(assignments) or course.assignment_ids(), out)
    click.echo(summary(data))


if __name__ == "__main__":
    main()
