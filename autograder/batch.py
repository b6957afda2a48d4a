"""Grade a folder of submissions: one worker process per submission, N at a time.

A worker that dies (a submission that kills its grader) or overruns its time is killed with its
kernel, and the submission is tried again with the offending cell skipped or the offending check
failed, so it keeps what it earned elsewhere. The batch always finishes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from .assignments import check_id, inputs_digest, load_config, student_dir
from .checks import load_suite
from .engine import new_result
from .kernel import sweep
from .report import write_reports
from .submission import find_submissions, submission_name

MAX_TRIES = 3
GRACE = 60.0  # seconds a worker gets beyond the submission limit before it is killed


@dataclass
class Job:
    path: Path
    name: str
    result_file: Path
    plan: dict = field(default_factory=lambda: {"skip_cells": [], "failed_checks": {}})
    tries: int = 0
    proc: subprocess.Popen | None = None
    started: float = 0.0


def mpl_font_cache(root: Path) -> Path:
    """Build matplotlib's font cache once, to be copied into each kernel's private config folder."""
    cache = root / "mplconfig"
    cache.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MPLCONFIGDIR": str(cache), "MPLBACKEND": "Agg"}
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cache


def _kill(job: Job) -> None:
    """Kill a worker, its process group, and the kernel it started (which runs in its own session)."""
    if job.proc is not None and job.proc.poll() is None:
        try:
            os.killpg(job.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        job.proc.wait()
    partial = _read(job.result_file) or {}
    pid = partial.get("kernel_pid")
    if pid:
        try:
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass
    if partial.get("kernel_tag"):
        sweep(partial["kernel_tag"])


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _cache_key(assignment: str, path: Path, name: str, settings: list) -> str:
    """Grading is deterministic, so a result is reusable while the submission, the grader, the reference,
    the student folder and the settings are unchanged."""
    files = sorted(p for p in student_dir(assignment).rglob("*") if p.is_file()) if student_dir(assignment).is_dir() else []
    h = hashlib.sha256(inputs_digest(assignment, files).encode())
    h.update(json.dumps([name, settings]).encode())
    h.update(path.read_bytes())
    return h.hexdigest()


def grade_folder(*, assignment: str, submissions: Path, out: Path, workers: int = 1, timeout: float | None = None,
                 cell_timeout: float | None = None, call_timeout: float | None = None,
                 progress: bool = True, cache: bool = True) -> list[dict]:
    """Grade every `.zip` / `.ipynb` in `submissions`; write the reports under `out`; return the results.

    `timeout`, `cell_timeout` and `call_timeout` override grading_config/<id>.toml (seconds per
    submission, per notebook cell, per call of a student's function). With `cache`, results of
    unchanged submissions are reused from `out/.cache` (a second run only grades what changed).
    """
    check_id(assignment)
    config = load_config(assignment)
    limit = timeout if timeout is not None else config.limits.submission
    overrides = {"cell": cell_timeout, "call": call_timeout}
    paths = find_submissions(Path(submissions))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="dc-batch-"))
    cache = mpl_font_cache(scratch)
    stems = [submission_name(p) for p in paths]
    names = [stem if stems.count(stem) == 1 else p.name for stem, p in zip(stems, paths)]  # a.zip and a.ipynb
    jobs = [Job(p, name, scratch / f"{i}.json") for i, (p, name) in enumerate(zip(paths, names))]
    cache_dir = out / ".cache"
    settings = [limit, cell_timeout, call_timeout]
    keys = {job.name: _cache_key(assignment, job.path, job.name, settings) for job in jobs}
    results = {}
    if cache:
        for job in jobs:
            hit = _read(cache_dir / f"{keys[job.name]}.json")
            if hit and hit.get("finished"):
                results[job.name] = hit
    pending, running = [j for j in jobs if j.name not in results], []
    bar = tqdm(total=len(pending), desc=f"grading {assignment}", unit="sub", disable=not progress)
    try:
        while pending or running:
            while pending and len(running) < max(1, workers):
                job = pending.pop(0)
                _start(job, assignment, cache, limit, scratch, overrides)
                running.append(job)
            time.sleep(0.1)
            for job in list(running):
                done = job.proc.poll() is not None
                overdue = time.monotonic() - job.started > limit + GRACE
                if not (done or overdue):
                    continue
                running.remove(job)
                if overdue:
                    _kill(job)
                result = _finish(job, assignment, overdue)
                if result is None:  # crashed: try again around the cause
                    pending.insert(0, job)
                    continue
                results[job.name] = result
                if result.get("finished"):  # written by a worker that completed, never by a crash
                    cache_dir.mkdir(exist_ok=True)
                    (cache_dir / f"{keys[job.name]}.json").write_text(json.dumps(result))
                bar.update(1)
    finally:
        for job in running:
            _kill(job)
        bar.close()
    ordered = [results[j.name] for j in jobs if j.name in results]
    write_reports(ordered, out, config.hidden_visibility)
    shutil.rmtree(scratch, ignore_errors=True)
    return ordered


def _start(job: Job, assignment: str, cache: Path, limit: float, scratch: Path, overrides: dict) -> None:
    job.tries += 1
    plan_file = scratch / f"{job.result_file.stem}.plan.json"
    plan_file.write_text(json.dumps(job.plan))
    job.result_file.unlink(missing_ok=True)
    log = open(scratch / f"{job.result_file.stem}.log", "ab")
    tmp = scratch / f"{job.result_file.stem}.tmp"  # the worker's temporary folders: removed with the batch's,
    tmp.mkdir(exist_ok=True)                       # even when the worker is killed before it cleans up
    job.proc = subprocess.Popen(
        [sys.executable, "-m", "autograder.worker", assignment, str(job.path), str(job.result_file),
         "--name", job.name, "--plan", str(plan_file), "--mpl-cache", str(cache), "--timeout", str(limit),
         *[arg for key, value in overrides.items() if value is not None for arg in (f"--{key}-timeout", str(value))]],
        stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True, env={**os.environ, "TMPDIR": str(tmp)})
    log.close()
    job.started = time.monotonic()


def _finish(job: Job, assignment: str, overdue: bool) -> dict | None:
    """The job's result, or None when it should be tried again around what took its worker down."""
    _kill(job)  # leftovers: a kernel orphaned by a worker that died
    partial = _read(job.result_file)
    if partial and partial.get("finished"):
        return partial
    current = (partial or {}).get("current") or {}
    cause = "ran past its time limit" if overdue else f"stopped unexpectedly (exit code {job.proc.returncode})"
    if job.tries < MAX_TRIES and current:
        if current.get("phase") == "cell":
            job.plan["skip_cells"].append(current["cell"])
        elif current.get("phase") == "check":
            key = f"{current['question']}/{current['check']}"
            job.plan["failed_checks"][key] = f"the grader's worker {cause} while this check ran"
        return None
    result = partial or new_result(assignment, job.name, load_suite(assignment))
    result.setdefault("notes", []).append(f"the grader's worker {cause}; points earned before that are kept")
    result["status"] = "crashed" if not overdue else "timeout"
    result["total"] = sum(q["points"] for q in result["questions"] if not q["manual"])
    return result
