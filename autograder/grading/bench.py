"""Benchmark (not a test): what grading one submission costs, end to end as a TA runs it.

    python -m autograder.grading.bench [--repeats N] [ID ...]        (or: make bench)

For each assignment's reference submission it times, interleaved, `repeats` times each:
- plain: `jupyter nbconvert --to notebook --execute` of the notebook beside its support files (what a
  student's Restart & Run All costs, in a fresh process);
- graded: `diffcourse grade ID FOLDER --out OUT --no-cache --workers 1` in a fresh process, every check
  and the process boundary included;
and prints the best of each, their ratio, and where the graded run's time went (from the result's phases).

Then the sandbox (`boundary/sandbox.py`): one assignment's (the first by default) bundled reference, skeleton and mistakes graded as a
batch (`--no-cache`), interleaved, `repeats` times each: behind the plain process boundary (``--sandbox off``)
with 1 worker, behind every wall the platform allows with 1 worker and with 2; it prints the walls, the best
time of each, the sandbox's overhead per submission (seconds and the ratio to the plain boundary, also for the
kernel's start alone) and the throughput in submissions per minute.

Then the backends: 20 submissions (copies of the bundled examples of one assignment) graded with 1 and 2 local
workers and on Ray (a cluster of this machine, two tasks at a time, its start included), each `repeats` times;
it prints the throughput of each and Ray's overhead per submission against 2 local workers. With ``--part
class`` (for a GPU runner): a class of ``--class-size`` copies graded once on CUDA and once on the CPU, and the
time per submission on each.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from .. import course


def _timed(cmd: list, cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return time.perf_counter() - start


def plain(assignment, notebook: Path, tmp: Path) -> float:
    folder = tmp / "plain"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(assignment.student_dir, folder)
    shutil.copy(notebook, folder / f"{assignment.id}.ipynb")
    return _timed([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                   "--output", "executed.ipynb", f"{assignment.id}.ipynb"], folder)


def batch(assignment, folder: Path, tmp: Path, *, sandbox: str, workers: int, extra=()) -> tuple[float, list]:
    """Seconds to grade `folder` as a batch, and each result's kernel start-up time (s)."""
    out = tmp / f"out-{sandbox}-{workers}-{'-'.join(extra)}"
    shutil.rmtree(out, ignore_errors=True)
    seconds = _timed([sys.executable, "-m", "autograder.cli", "grade", assignment.id, str(folder), "--out", str(out),
                      "--no-cache", "--workers", str(workers), "--sandbox", sandbox, *extra], tmp)
    results = [json.loads(p.read_text()) for p in (out / ".cache").glob("*.json") if p.name != "unfinished.json"]
    return seconds, [r["phases"].get("start", 0.0) for r in results]


def sandbox_overhead(assignment_id: str, repeats: int) -> None:
    from ..boundary.sandbox import probe

    a = course.get(assignment_id)
    with tempfile.TemporaryDirectory(prefix="dc-bench-") as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        picked = ["reference.ipynb", "skeleton.ipynb", *sorted(p.name for p in a.examples_dir.glob("wrong_*.ipynb"))]
        for name in picked:
            shutil.copy(a.examples_dir / name, folder / name)
        runs = {("off", 1): [], ("auto", 1): [], ("auto", 2): []}
        starts = {}
        for _ in range(repeats):
            for (mode, workers), times in runs.items():
                seconds, start = batch(a, folder, Path(tmp), sandbox=mode, workers=workers)
                if not times or seconds < min(times):
                    starts[mode, workers] = sum(start) / len(start)
                times.append(seconds)
    n = len(picked)
    best = {key: min(times) for key, times in runs.items()}
    click.echo(f"\n{probe().summary()}")
    click.echo(f"{assignment_id}: {n} submissions ({', '.join(p.removesuffix('.ipynb') for p in picked)}), "
               f"best of {repeats}")
    for (mode, workers), seconds in best.items():
        click.echo(f"  --sandbox {mode:<4} --workers {workers}: {seconds:6.1f} s, {60 * n / seconds:5.1f} submissions/min, "
                   f"kernel start {starts[mode, workers]:.2f} s on average")
    off, on = best["off", 1], best["auto", 1]
    click.echo(f"  sandbox overhead per submission: {(on - off) / n:+.2f} s (sandboxed/plain {on / off:.3f}; "
               f"kernel start {starts['auto', 1] / starts['off', 1]:.2f}x)")
    click.echo(f"  2 workers / 1 worker throughput (sandboxed): {on / best['auto', 2]:.2f}x")


def _class(a, folder: Path, size: int) -> int:
    """`size` copies of the assignment's bundled examples in `folder` (reference, skeleton, mistakes in turn)."""
    folder.mkdir()
    examples = sorted(p for p in a.examples_dir.glob("*.ipynb") if not p.name.startswith("hostile"))
    for i in range(size):
        shutil.copy(examples[i % len(examples)], folder / f"student{i:03d}.ipynb")
    return size


def backends(assignment_id: str, repeats: int, size: int = 20) -> None:
    a = course.get(assignment_id)
    runs = {"local, 1 worker": (1, ()), "local, 2 workers": (2, ()),
            "ray, 2 tasks at once": (2, ("--profile", "ray", "--device", "cpu"))}
    best = {}
    with tempfile.TemporaryDirectory(prefix="dc-bench-") as tmp:
        n = _class(a, Path(tmp) / "class", size)
        for _ in range(repeats):
            for label, (workers, extra) in runs.items():
                seconds, _ = batch(a, Path(tmp) / "class", Path(tmp), sandbox="auto", workers=workers, extra=extra)
                best[label] = min(best.get(label, seconds), seconds)
    click.echo(f"\n{assignment_id}: {n} submissions (copies of its bundled examples), best of {repeats}")
    for label, seconds in best.items():
        click.echo(f"  {label:<22} {seconds:6.1f} s, {60 * n / seconds:5.1f} submissions/min")
    one, two, on_ray = best["local, 1 worker"], best["local, 2 workers"], best["ray, 2 tasks at once"]
    click.echo(f"  throughput: 2 workers / 1 worker {one / two:.2f}x; ray / 2 workers {two / on_ray:.2f}x; "
               f"ray's overhead per submission against 2 workers {(on_ray - two) / n:+.2f} s")


def class_on_devices(assignment_id: str, size: int) -> None:
    a = course.get(assignment_id)
    with tempfile.TemporaryDirectory(prefix="dc-bench-") as tmp:
        n = _class(a, Path(tmp) / "class", size)
        times = {device: batch(a, Path(tmp) / "class", Path(tmp), sandbox="auto", workers=1,
                               extra=("--device", device))[0] for device in ("cuda", "cpu")}
    click.echo(f"\n{assignment_id}: a class of {n}, one submission at a time")
    for device, seconds in times.items():
        click.echo(f"  {device}: {seconds:7.1f} s, {seconds / n:.2f} s per submission")
    click.echo(f"  cuda / cpu: {times['cuda'] / times['cpu']:.2f}")


def graded(assignment, notebook: Path, tmp: Path) -> tuple[float, dict]:
    inbox, out = tmp / "in", tmp / "out"
    shutil.rmtree(inbox, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    inbox.mkdir()
    shutil.copy(notebook, inbox / notebook.name)
    seconds = _timed([sys.executable, "-m", "autograder.cli", "grade", assignment.id, str(inbox), "--out", str(out),
                      "--no-cache", "--workers", "1"], tmp)
    [entry] = list((out / ".cache").glob("*.json"))
    result = json.loads(entry.read_text())
    if result["total"] != result["possible"]:
        raise RuntimeError(f"{notebook} was not graded full marks: {result['notes']}")
    return seconds, result["phases"]


@click.command(help=__doc__.split("\n\n")[0])
@click.argument("ids", nargs=-1)
@click.option("--repeats", default=2, show_default=True, help="Interleaved runs of each; the best is reported.")
@click.option("--submission", default="reference.ipynb", show_default=True, help="File in tests/submissions/ID/.")
@click.option("--part", type=click.Choice(["all", "notebook", "sandbox", "backends", "class"]), default="all",
              show_default=True, help="notebook: graded vs nbconvert per assignment; sandbox: the sandbox's overhead "
              "and throughput; backends: 1 vs 2 workers vs Ray; class (a GPU runner, not in all): CUDA vs CPU.")
@click.option("--sandbox-assignment", default=None,
              help="Whose bundled submissions the sandbox, backends and class parts grade (default: the first).")
@click.option("--class-size", default=200, show_default=True, help="Submissions of the class part.")
def main(ids, repeats, submission, part, sandbox_assignment, class_size) -> None:
    which = sandbox_assignment or course.assignment_ids()[0]
    if part in ("all", "notebook"):
        notebooks(ids, repeats, submission)
    if part in ("all", "sandbox"):
        sandbox_overhead(which, repeats)
    if part in ("all", "backends"):
        backends(which, repeats)
    if part == "class":
        class_on_devices(which, class_size)


def notebooks(ids, repeats, submission) -> None:
    header = (f"{'assignment':<11} {'plain s':>8} {'graded s':>9} {'graded/plain':>13}   "
              "graded run: worker+kernel start, notebook, checks, rest (s)")
    click.echo(header)
    click.echo("-" * len(header))
    for assignment_id in ids or course.assignment_ids():
        a = course.get(assignment_id)
        notebook = a.examples_dir / submission
        times = {"plain": [], "graded": []}
        phases = {}
        with tempfile.TemporaryDirectory(prefix="dc-bench-") as tmp:
            for _ in range(repeats):
                times["plain"].append(plain(a, notebook, Path(tmp)))
                seconds, run_phases = graded(a, notebook, Path(tmp))
                if not times["graded"] or seconds < min(times["graded"]):
                    phases = {**run_phases, "total": seconds}
                times["graded"].append(seconds)
        p, g = min(times["plain"]), min(times["graded"])
        start, cells, checks = (phases.get(k, 0.0) for k in ("start", "notebook", "checks"))
        rest = phases["total"] - start - cells - checks
        click.echo(f"{assignment_id:<11} {p:>8.1f} {g:>9.1f} {g / p:>13.2f}   "
                   f"{start:.1f}, {cells:.1f}, {checks:.1f}, {rest:.1f}")


if __name__ == "__main__":
    main()
